"""Real plane curves, implicit or parametrized, prepared for nearest-point queries.

The critical points of the squared distance from data (u, v) to the smooth part of a curve
are the real roots of one univariate *critical polynomial* whose coefficients are polynomials in
(u, v), derived here once with sympy: (x(t) - u) x'(t) + (y(t) - v) y'(t) for a parametrization,
the resultant in y of F and (x - u) F_y - (y - v) F_x for an implicit curve F = 0. The singular
points (and, for a parametrization, the images of the parameters where it stops being an
immersion, such as the end point of t -> (t^2, t^4)) are found once as well; they are the
strata a Voronoi estimate compares against.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from . import _core

__all__ = ["PlaneCurve"]

REAL_TOL = 1e-9


def _sympify(expr: object, names: dict[str, Any], what: str) -> Any:
    import sympy

    try:
        out = sympy.sympify(expr, locals=names) if isinstance(expr, str) else sympy.sympify(expr)
    except (sympy.SympifyError, SyntaxError, TypeError, AttributeError, NameError) as e:
        raise ValueError(f"cannot parse {what} {expr!r}: {e}") from None
    # exact coefficients: resultants over floating-point domains break down
    out = sympy.nsimplify(out, rational=True)
    unknown = out.free_symbols - set(names.values())
    if unknown:
        raise ValueError(f"{what} {expr!r} has unknown symbols {sorted(map(str, unknown))}; expected {sorted(names)}")
    return out


def _poly(expr: Any, gens: tuple[Any, ...], what: str) -> Any:
    import sympy

    try:
        p = sympy.Poly(sympy.expand(expr), *gens)
    except sympy.PolynomialError:
        raise ValueError(f"{what} must be a polynomial, got {expr}") from None
    for c in p.coeffs():
        if not c.is_real:
            raise ValueError(f"{what} must have real coefficients, got {c}")
    return p


def _terms(p: Any) -> list[tuple[int, int, float]]:
    """Terms (a, b, c) of a sympy Poly in two generators."""
    return [(int(m[0]), int(m[1]), float(c)) for m, c in p.terms() if float(c) != 0.0]


def _real_points(equations: list[Any], x: Any, y: Any) -> list[tuple[float, float]]:
    """Real solutions of a zero-dimensional polynomial system in x, y (exact where sympy can)."""
    import sympy

    sols = sympy.solve(equations, [x, y], dict=True)
    out: list[tuple[float, float]] = []
    for s in sols:
        if x not in s or y not in s:
            raise ValueError("the curve has a positive-dimensional singular locus (is its equation square-free?)")
        px, py = complex(sympy.N(s[x], 30)), complex(sympy.N(s[y], 30))
        if abs(px.imag) <= REAL_TOL * (1 + abs(px)) and abs(py.imag) <= REAL_TOL * (1 + abs(py)):
            point = (px.real, py.real)
            if all(abs(point[0] - q[0]) + abs(point[1] - q[1]) > 1e-9 for q in out):
                out.append(point)
    return sorted(out)


class PlaneCurve:
    """A real plane curve {F(x, y) = 0}, or the image of t -> (x(t), y(t)).

    >>> import neuromanifold as nm
    >>> cusp = nm.PlaneCurve("y**2 - x**3")
    >>> cusp.singular_points
    array([[0., 0.]])
    """

    def __init__(self, equation: object, variables: tuple[str, str] = ("x", "y")) -> None:
        import sympy

        if not (isinstance(variables, (tuple, list)) and len(variables) == 2 and all(isinstance(s, str) for s in variables)):
            raise TypeError(f"variables must be two names, got {variables!r}")
        x, y = sympy.symbols(list(variables))
        names = {str(x): x, str(y): y}
        F = _poly(_sympify(equation, names, "curve equation"), (x, y), "curve equation")
        if F.total_degree() < 1:
            raise ValueError(f"curve equation must not be constant, got {F.as_expr()}")
        self._init(F.as_expr(), x, y, parametrization=None, description=str(equation) if isinstance(equation, str) else str(F.as_expr()))

    @classmethod
    def parametrized(cls, x_of_t: object, y_of_t: object, parameter: str = "t") -> "PlaneCurve":
        """The image of t -> (x(t), y(t)) for real t, x and y polynomials."""
        import sympy

        if not isinstance(parameter, str):
            raise TypeError(f"parameter must be a name, got {parameter!r}")
        t = sympy.Symbol(parameter)
        px = _poly(_sympify(x_of_t, {parameter: t}, "x(t)"), (t,), "x(t)")
        py = _poly(_sympify(y_of_t, {parameter: t}, "y(t)"), (t,), "y(t)")
        if px.degree() < 1 and py.degree() < 1:
            raise ValueError("a parametrization must not be constant")
        x, y = sympy.symbols("x y")
        F = sympy.resultant(x - px.as_expr(), y - py.as_expr(), t)
        self = cls.__new__(cls)
        self._init(F, x, y, parametrization=(px, py, t), description=f"({x_of_t}, {y_of_t})")
        return self

    def _init(self, F: Any, x: Any, y: Any, parametrization: Any, description: str) -> None:
        import sympy

        F = sympy.sqf_part(sympy.expand(F), x, y) if sympy.Poly(F, x, y).total_degree() > 0 else F
        self._x, self._y = x, y
        self.equation = sympy.expand(F)
        self.description = description
        Fx, Fy = sympy.diff(F, x), sympy.diff(F, y)
        singular = _real_points([F, Fx, Fy], x, y)
        u, v = sympy.symbols("u_ v_")
        if parametrization is None:
            if sympy.degree(F, y) < 1:
                raise ValueError(f"curve equation must involve {y} (write x = f(y) curves with the variables swapped)")
            G = sympy.expand((x - u) * Fy - (y - v) * Fx)
            R = sympy.resultant(F, G, y)
            s, param = x, None
        else:
            px, py, t = parametrization
            X, Y = px.as_expr(), py.as_expr()
            R = sympy.expand((X - u) * sympy.diff(X, t) + (Y - v) * sympy.diff(Y, t))
            # where the parametrization is no immersion the image may end or turn: such points
            # are strata of their own
            s = t
            dX, dY = sympy.Poly(sympy.diff(X, t), t), sympy.Poly(sympy.diff(Y, t), t)
            g = sympy.gcd(dX, dY)
            for r in sympy.Poly(g, t).real_roots() if g.degree() > 0 else []:
                point = (float(X.subs(t, r)), float(Y.subs(t, r)))
                if all(abs(point[0] - q[0]) + abs(point[1] - q[1]) > 1e-9 for q in singular):
                    singular.append(point)
            singular.sort()
            param = ([float(c) for c in reversed(px.all_coeffs())], [float(c) for c in reversed(py.all_coeffs())])
        Rp = sympy.Poly(R, s)
        if Rp.is_zero or Rp.degree() < 1:
            raise ValueError("the critical polynomial of the distance vanishes identically; is the curve square-free?")
        coeffs = list(reversed(Rp.all_coeffs()))
        # a root s = 0 for all data is a point where the parametrization is no immersion (or a
        # singular point of an implicit curve): a stratum compared on its own, so divide it out
        while len(coeffs) > 2 and sympy.expand(coeffs[0]) == 0:
            coeffs.pop(0)
        critical = [_terms(sympy.Poly(c, u, v)) for c in coeffs]
        self._critical = critical
        self._implicit = _terms(sympy.Poly(F, x, y))
        self._param = param
        self._singular = singular
        self._core = _core.PlaneCurve(critical, self._implicit, singular, param)

    # pickled by its data (for workers of a cluster), rebuilt without sympy
    def __getstate__(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("_critical", "_implicit", "_param", "_singular", "description")} | {"equation": str(self.equation)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        import sympy

        self.__dict__.update({k: v for k, v in state.items() if k != "equation"})
        self._x, self._y = sympy.symbols("x y")
        self.equation = sympy.sympify(state["equation"])
        self._core = _core.PlaneCurve(self._critical, self._implicit, self._singular, self._param)

    @property
    def singular_points(self) -> npt.NDArray[np.float64]:
        """The real singular points, shape (k, 2) (with the points where a parametrization stops
        being an immersion)."""
        return np.array(self._singular, dtype=np.float64).reshape(-1, 2)

    @property
    def is_parametrized(self) -> bool:
        return self._param is not None

    def __call__(self, points: npt.ArrayLike) -> np.ndarray:
        """F at points of shape (B, 2)."""
        p = np.atleast_2d(np.asarray(points, dtype=np.float64))
        out = np.zeros(len(p))
        for a, b, c in self._implicit:
            out += c * p[:, 0] ** a * p[:, 1] ** b
        return out

    def contains(self, point: npt.ArrayLike, tol: float = 1e-8) -> bool:
        p = np.asarray(point, dtype=np.float64).reshape(2)
        scale = sum(abs(c) * (1 + abs(p[0])) ** a * (1 + abs(p[1])) ** b for a, b, c in self._implicit)
        return bool(abs(self(p)[0]) <= tol * scale)

    def nearest(self, samples: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """For samples (B, 2): the nearest point of the curve (B, 2) and the index of the
        singular point it is (-1 for a smooth point)."""
        S = _samples(samples)
        d2, pts, idx, sd2 = self._core.nearest(S)
        singular = (idx >= 0) & (sd2 <= d2)
        out = pts.copy()
        out[singular] = self.singular_points[idx[singular]]
        return out, np.where(singular, idx, -1)

    def decide(self, samples: npt.ArrayLike, target: object = "singular") -> npt.NDArray[np.int8]:
        """For samples (B, 2): 1 where the nearest point of the curve is in ``target`` (as in
        :func:`neuromanifold.voronoi_mc`), 0 where it is not, -1 where it is not decided (a tie)."""
        from .voronoi import _curve_target

        indices, point, _ = _curve_target(self, target)
        return self._core.decide(_samples(samples), indices, point)

    def __repr__(self) -> str:
        kind = "parametrized" if self.is_parametrized else "implicit"
        return f"PlaneCurve({self.description!r}, {kind}, {len(self._singular)} singular points)"


def _samples(samples: npt.ArrayLike) -> npt.NDArray[np.float64]:
    S = np.ascontiguousarray(np.asarray(samples, dtype=np.float64))
    if S.ndim == 1 and S.shape == (2,):
        S = S.reshape(1, 2)
    if S.ndim != 2 or S.shape[1] != 2:
        raise ValueError(f"samples must have shape (B, 2), got {S.shape}")
    if not np.all(np.isfinite(S)):
        raise ValueError("samples contain NaN or infinity")
    return S
