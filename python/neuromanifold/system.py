"""Polynomial systems F(x; p) = 0 and their solution by homotopy continuation."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _core
from . import _validate as v

__all__ = ["MonodromyResult", "System", "SolveResult", "monodromy_solve", "read_phcpack_solutions", "solve", "track"]


def _symbols(names: object, what: str) -> list[Any]:
    import sympy

    if isinstance(names, (str, sympy.Symbol)):
        names = [names]
    if not isinstance(names, Sequence):
        raise TypeError(f"{what} must be a sequence of symbols or names, got {names!r}")
    out = []
    for s in names:
        if isinstance(s, str):
            s = sympy.Symbol(s)
        if not isinstance(s, sympy.Symbol):
            raise TypeError(f"{what} must be symbols or names, got {s!r}")
        out.append(s)
    if len(set(out)) != len(out):
        raise ValueError(f"{what} contain a repeated symbol")
    return out


class System:
    """A square polynomial system F(x; p) = 0 with complex coefficients and parameters p.

    >>> import neuromanifold as nm
    >>> F = nm.System(["x**2 + y**2 - 5", "x*y - 2"], ["x", "y"])
    >>> nm.solve(F).summary()["nonsingular"]
    4
    """

    def __init__(self, equations: Sequence[object], variables: Sequence[object], parameters: Sequence[object] = ()) -> None:
        import sympy

        xs = _symbols(variables, "variables")
        ps = _symbols(parameters, "parameters")
        if set(xs) & set(ps):
            raise ValueError("a symbol cannot be both a variable and a parameter")
        if isinstance(equations, (str, bytes)) or not isinstance(equations, Sequence):
            raise TypeError("equations must be a sequence of expressions or strings")
        if len(equations) == 0:
            raise ValueError("the system has no equations")
        known = {s.name: s for s in xs + ps}
        terms = []
        for i, eq in enumerate(equations):
            try:
                expr = sympy.sympify(eq, locals=known) if isinstance(eq, str) else sympy.sympify(eq)
            except (sympy.SympifyError, SyntaxError, TypeError) as e:
                raise ValueError(f"equation {i} cannot be parsed: {eq!r}") from e
            unknown = expr.free_symbols - set(xs) - set(ps)
            if unknown:
                names = ", ".join(sorted(str(s) for s in unknown))
                raise ValueError(f"equation {i} has symbols that are neither variables nor parameters: {names}")
            try:
                poly = sympy.Poly(sympy.expand(expr), *(xs + ps))
            except sympy.PolynomialError as e:
                raise ValueError(f"equation {i} is not a polynomial in the variables and parameters: {expr}") from e
            exps, coeffs = [], []
            for monom, c in poly.terms():
                value = complex(sympy.N(c))
                exps.append(monom)
                coeffs.append(value)
            terms.append((np.array(coeffs, dtype=np.complex128), np.array(exps, dtype=np.int64).reshape(-1, len(xs) + len(ps))))
        self._init(terms, len(xs), len(ps))
        self.variables = tuple(xs)
        self.parameters = tuple(ps)

    def _init(self, terms: list[tuple[np.ndarray, np.ndarray]], n_vars: int, n_params: int) -> None:
        if len(terms) != n_vars:
            raise ValueError(f"the system is not square: {len(terms)} equations in {n_vars} variables")
        prepared = []
        for i, (c, e) in enumerate(terms):
            c = np.ascontiguousarray(c, dtype=np.complex128)
            e = np.asarray(e)
            if e.dtype.kind not in "iu":
                raise TypeError(f"equation {i}: exponents must be integers")
            if c.ndim != 1 or e.ndim != 2 or e.shape != (c.shape[0], n_vars + n_params):
                raise ValueError(
                    f"equation {i}: expected coefficients (T,) and exponents (T, {n_vars + n_params}), "
                    f"got {c.shape} and {e.shape}"
                )
            if (e < 0).any():
                raise ValueError(f"equation {i}: exponents must be non-negative")
            if not np.all(np.isfinite(c)):
                raise ValueError(f"equation {i}: coefficients contain NaN or infinity")
            prepared.append((c, np.ascontiguousarray(e, dtype=np.uint32)))
        self._core = _core.System(n_vars, n_params, prepared)
        self._terms = prepared

    @classmethod
    def from_arrays(
        cls,
        exponents: Sequence[npt.ArrayLike],
        coefficients: Sequence[npt.ArrayLike],
        n_params: int = 0,
    ) -> "System":
        """From per-equation arrays: ``exponents[i]`` of shape (T_i, n_vars + n_params) and
        ``coefficients[i]`` of shape (T_i,) (complex allowed)."""
        if len(exponents) != len(coefficients):
            raise ValueError(f"{len(exponents)} exponent arrays but {len(coefficients)} coefficient arrays")
        n_params = v.nonnegative_int(n_params, "n_params")
        self = cls.__new__(cls)
        width = np.asarray(exponents[0]).shape[-1] if len(exponents) else 0
        self._init([(np.asarray(c), np.asarray(e)) for e, c in zip(exponents, coefficients)], width - n_params, n_params)
        self.variables = tuple(f"x{i}" for i in range(width - n_params))
        self.parameters = tuple(f"p{i}" for i in range(n_params))
        return self

    @property
    def n_vars(self) -> int:
        return self._core.n_vars

    @property
    def n_params(self) -> int:
        return self._core.n_params

    @property
    def degrees(self) -> list[int]:
        return self._core.degrees

    @property
    def bezout_number(self) -> int:
        """Number of paths of the total-degree homotopy: the product of the degrees."""
        return int(np.prod(self.degrees, dtype=object))

    def _groups(self, groups: object) -> list[list[int]]:
        """Variable groups given by index, name or symbol, as lists of indices."""
        if isinstance(groups, (str, bytes)) or not isinstance(groups, Sequence):
            raise TypeError("groups must be a sequence of sequences of variables (indices, names or symbols)")
        names = [str(x) for x in self.variables]
        out = []
        for g in groups:
            if isinstance(g, (str, bytes)) or not isinstance(g, Sequence):
                raise TypeError(f"each group must be a sequence of variables, got {g!r}")
            idx = []
            for x in g:
                if isinstance(x, numbers.Integral) and not isinstance(x, bool):
                    idx.append(int(x))
                elif str(x) in names:
                    idx.append(names.index(str(x)))
                else:
                    raise ValueError(f"{x!r} is not a variable of the system (variables: {', '.join(names)})")
            out.append(idx)
        return out

    def multihomogeneous_bezout_number(self, groups: Sequence[Sequence[object]]) -> int:
        """Number of paths of the multihomogeneous homotopy for a partition of the variables:
        the coefficient of prod a_j^{n_j} in prod_i (sum_j d_ij a_j), d_ij the degree of
        equation i in group j (n_j variables)."""
        return int(self._core.multihomogeneous_bezout_number(self._groups(groups)))

    def best_variable_groups(self) -> tuple[tuple[tuple[object, ...], ...], int]:
        """The partition of the variables (up to 8 of them; one group beyond) with the smallest
        multihomogeneous Bezout number, and that number: what ``solve(start="auto")`` uses."""
        groups, count = self._core.best_variable_groups()
        return tuple(tuple(self.variables[k] for k in g) for g in groups), int(count)

    def _params(self, parameters: object) -> np.ndarray:
        if parameters is None:
            if self.n_params:
                raise ValueError(f"the system has {self.n_params} parameters: give their values")
            return np.zeros(0, dtype=np.complex128)
        p = np.ascontiguousarray(np.asarray(parameters, dtype=np.complex128).reshape(-1))
        if p.shape != (self.n_params,):
            raise ValueError(f"expected {self.n_params} parameter values, got {p.shape[0]}")
        return p

    def evaluate(self, x: npt.ArrayLike, parameters: object = None) -> npt.NDArray[np.complex128]:
        """F(x; p)."""
        return self._core.evaluate(np.ascontiguousarray(np.asarray(x, dtype=np.complex128).reshape(-1)), self._params(parameters))

    def jacobian(self, x: npt.ArrayLike, parameters: object = None) -> npt.NDArray[np.complex128]:
        """dF/dx at x, shape (n, n)."""
        return self._core.jacobian(np.ascontiguousarray(np.asarray(x, dtype=np.complex128).reshape(-1)), self._params(parameters))

    # -- interoperability ---------------------------------------------------------------
    def _instance_terms(self, parameters: object) -> list[tuple[np.ndarray, np.ndarray]]:
        """Terms in the variables only, with parameter values substituted (monomials merged)."""
        p = self._params(parameters)
        out = []
        for c, e in self._terms:
            merged: dict[tuple[int, ...], complex] = {}
            for coeff, row in zip(c, e):
                value = coeff * np.prod(p ** row[self.n_vars :]) if self.n_params else coeff
                key = tuple(int(k) for k in row[: self.n_vars])
                merged[key] = merged.get(key, 0) + complex(value)
            keys = [k for k, val in merged.items() if val != 0]
            out.append((np.array([merged[k] for k in keys]), np.array(keys, dtype=np.int64).reshape(-1, self.n_vars)))
        return out

    def _format(self, terms: tuple[np.ndarray, np.ndarray], names: Sequence[str], unit: str, power: str) -> str:
        parts = []
        for c, row in zip(*terms):
            re, im = float(np.real(c)), float(np.imag(c))
            coeff = f"({re!r}{'+' if im >= 0 else '-'}{abs(im)!r}*{unit})" if im else f"({re!r})"
            mono = [f"{n}{power}{k}" if k > 1 else n for n, k in zip(names, row) if k > 0]
            parts.append("*".join([coeff, *mono]))
        return " + ".join(parts) if parts else "0"

    def _names(self) -> list[str]:
        return [str(v) for v in self.variables]

    def to_bertini(self, parameters: object = None) -> str:
        """Bertini input file of the instance at ``parameters``."""
        names = self._names()
        fs = [f"f{i + 1}" for i in range(self.n_vars)]
        body = [f"{f} = {self._format(t, names, 'I', '^')};" for f, t in zip(fs, self._instance_terms(parameters))]
        return "\n".join(
            ["CONFIG", "END;", "INPUT", f"variable_group {','.join(names)};", f"function {','.join(fs)};", *body, "END;", ""]
        )

    def to_phcpack(self, parameters: object = None) -> str:
        """PHCpack input (for ``phc -b``) of the instance at ``parameters``."""
        names = self._names()
        bad = {"i", "I", "e", "E"} & set(names)
        if bad:
            raise ValueError(f"PHCpack reserves the names {sorted(bad)}; rename these variables")
        rows = [f"{self._format(t, names, 'i', '**')};" for t in self._instance_terms(parameters)]
        return "\n".join([str(self.n_vars), *rows, ""])

    def to_julia(self) -> str:
        """A HomotopyContinuation.jl script defining the system (parameters kept symbolic)."""
        names = self._names()
        pnames = [str(p) for p in self.parameters]
        allnames = names + pnames
        eqs = []
        for c, e in self._terms:
            eqs.append(self._format((c, e), allnames, "im", "^"))
        lines = [
            "using HomotopyContinuation",
            f"@var {' '.join(allnames)}",
            "F = System([",
            *[f"    {q}," for q in eqs],
            f"], variables = [{', '.join(names)}]" + (f", parameters = [{', '.join(pnames)}])" if pnames else ")"),
            "",
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<System of {self.n_vars} equations of degrees {self.degrees}, {self.n_params} parameters>"


STATUSES = ("nonsingular", "singular", "at_infinity", "failed")


@dataclass(frozen=True)
class SolveResult:
    """Every path of a homotopy, accounted for.

    ``status[k]`` is one of nonsingular, singular, at_infinity, failed; ``endpoints[k]`` the finite
    solution of path k (NaN for the others); ``solutions`` the finite solutions (nonsingular and
    singular), ``real`` a mask over ``solutions`` with tolerance ``real_tol``. ``condition[k]`` is
    the condition number of the Jacobian at the solution relative to the sizes of the equations'
    terms and of the unknowns (1 + |x_j|), in the 1-norm; ``residual[k]`` is |F(x)| relative to
    the coefficients.
    """

    status: npt.NDArray[np.str_]
    endpoints: npt.NDArray[np.complex128] = field(repr=False)
    residual: npt.NDArray[np.float64] = field(repr=False)
    condition: npt.NDArray[np.float64] = field(repr=False)
    winding: npt.NDArray[np.int64] = field(repr=False)
    multiplicity: npt.NDArray[np.int64] = field(repr=False)
    steps: npt.NDArray[np.int64] = field(repr=False)
    real_tol: float = 1e-8

    @property
    def finite(self) -> npt.NDArray[np.bool_]:
        return (self.status == "nonsingular") | (self.status == "singular")

    @property
    def solutions(self) -> npt.NDArray[np.complex128]:
        """Finite solutions (one row per path that ended at one)."""
        return self.endpoints[self.finite]

    @property
    def nonsingular_solutions(self) -> npt.NDArray[np.complex128]:
        return self.endpoints[self.status == "nonsingular"]

    @property
    def real(self) -> npt.NDArray[np.bool_]:
        """Mask over ``solutions``: imaginary parts below real_tol * (1 + |x|)."""
        s = self.solutions
        if s.size == 0:
            return np.zeros(len(s), dtype=bool)
        scale = 1.0 + np.abs(s).max(axis=1)
        return np.abs(s.imag).max(axis=1) <= self.real_tol * scale

    @property
    def real_solutions(self) -> npt.NDArray[np.float64]:
        return self.solutions[self.real].real

    def summary(self) -> dict[str, int]:
        """Counts of paths by status (they add up to ``paths``) and of real finite solutions."""
        counts = {s: int((self.status == s).sum()) for s in STATUSES}
        counts["paths"] = len(self.status)
        counts["real"] = int(self.real.sum())
        return counts


def solve(
    system: System,
    parameters: object = None,
    seed: int = 0,
    real_tol: float = 1e-8,
    start: str = "auto",
    groups: Sequence[Sequence[object]] | None = None,
    scale: bool = True,
) -> SolveResult:
    """All isolated complex solutions of a square system by homotopy continuation.

    ``start`` chooses the start system: ``"total_degree"`` (prod deg F_i paths),
    ``"multihomogeneous"`` (products of random linear forms for the variable partition
    ``groups``, as many paths as its multihomogeneous Bezout number), or ``"auto"``: the
    partition with the fewest paths (``System.best_variable_groups``), the total degree when no
    partition has fewer. Paths are tracked in parallel (the same result for any thread count);
    every one is accounted for: nonsingular, singular (with multiplicity), at infinity or failed.

    ``scale``: first rescale the unknowns and equations so that the coefficients at these
    parameters have sizes near 1 (least squares on their logarithms), when that moves some
    unknown by more than a factor 4. Solutions whose coordinates differ much in size (one near
    100, the others near 0.3) lie close to infinity in the homotopy's projective coordinates,
    where paths to them can end at infinity instead; scaled, they do not. Solutions,
    residuals and endpoints are reported in the original unknowns, condition numbers in the
    scaled ones.
    """
    if not isinstance(system, System):
        raise TypeError(f"expected a System, got {type(system).__name__}")
    if not isinstance(real_tol, numbers.Real) or real_tol < 0:
        raise ValueError("real_tol must be a non-negative number")
    p = system._params(parameters)
    if not np.all(np.isfinite(p)):
        raise ValueError("parameters contain NaN or infinity")
    if start not in ("auto", "total_degree", "multihomogeneous"):
        raise ValueError(f"start must be 'auto', 'total_degree' or 'multihomogeneous', got {start!r}")
    if groups is not None and start != "multihomogeneous":
        raise ValueError("variable groups are given with start='multihomogeneous'")
    if not isinstance(scale, bool):
        raise TypeError(f"scale must be True or False, got {type(scale).__name__}")
    idx = system._groups(groups) if groups is not None else None
    return _result(system._core.solve(p, v.nonnegative_int(seed, "seed"), start, idx, scale), float(real_tol))


def _result(d: dict[str, Any], real_tol: float) -> SolveResult:
    return SolveResult(
        status=np.array(d["status"], dtype=str),
        endpoints=d["endpoints"],
        residual=d["residual"],
        condition=d["condition"],
        winding=d["winding"],
        multiplicity=d["multiplicity"],
        steps=d["steps"],
        real_tol=real_tol,
    )


def track(
    system: System,
    start_solutions: npt.ArrayLike,
    start_parameters: npt.ArrayLike,
    target_parameters: npt.ArrayLike,
    seed: int = 0,
    real_tol: float = 1e-8,
    retry_failed: bool = True,
) -> list[SolveResult]:
    """Parameter homotopy: follow the solutions at (generic, complex) start parameters to each
    row of ``target_parameters`` (shape (T, n_params), or (n_params,) for one target).

    Tracks only as many paths as there are start solutions, in parallel over all targets;
    returns one :class:`SolveResult` per target. A path that fails is tracked again with
    smaller steps in extended precision (up to 25 times the steps); ``retry_failed=False``
    reports it failed at once, for callers with a cheaper way round (other start parameters,
    another chart).
    """
    if not isinstance(system, System):
        raise TypeError(f"expected a System, got {type(system).__name__}")
    starts = np.ascontiguousarray(np.asarray(start_solutions, dtype=np.complex128))
    if starts.ndim == 1:
        starts = starts.reshape(1, -1)
    if starts.ndim != 2 or starts.shape[1] != system.n_vars:
        raise ValueError(f"start_solutions must have shape (S, {system.n_vars}), got {starts.shape}")
    p0 = system._params(start_parameters)
    targets = np.ascontiguousarray(np.asarray(target_parameters, dtype=np.complex128))
    single = targets.ndim == 1
    targets = targets.reshape(-1, system.n_params) if system.n_params else targets.reshape(-1, 0)
    for arr, name in [(starts, "start_solutions"), (p0, "start_parameters"), (targets, "target_parameters")]:
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contain NaN or infinity")
    out = [_result(d, float(real_tol)) for d in system._core.track(starts, p0, targets, v.nonnegative_int(seed, "seed"), bool(retry_failed))]
    return out[:1] if single else out


def read_phcpack_solutions(text: str, variables: Sequence[object]) -> npt.NDArray[np.complex128]:
    """Solutions from PHCpack output (the blocks after "the solution for t :"), as an array
    (S, n) with columns in the order of ``variables``."""
    import re

    names = [str(v) for v in variables]
    number = r"([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)"
    line = re.compile(r"^\s*(\S+)\s*:\s*" + number + r"\s+" + number + r"\s*$")
    # the output lists the start solutions first; the final list comes last
    if "THE SOLUTIONS" in text:
        text = text.rsplit("THE SOLUTIONS", 1)[1]
    solutions = []
    for block in text.split("the solution for t :")[1:]:
        values: dict[str, complex] = {}
        for raw in block.splitlines()[1:]:
            m = line.match(raw)
            if not m:
                break
            values[m.group(1)] = complex(float(m.group(2)), float(m.group(3)))
        missing = [n for n in names if n not in values]
        if missing:
            raise ValueError(f"a PHCpack solution lacks the variables {missing}")
        solutions.append([values[n] for n in names])
    return np.array(solutions, dtype=np.complex128).reshape(-1, len(names))


@dataclass(frozen=True)
class MonodromyResult:
    """Solutions of a parametrized system at generic complex ``parameters``, found by monodromy;
    feed them to :func:`track` to reach other parameters."""

    parameters: npt.NDArray[np.complex128]
    solutions: npt.NDArray[np.complex128]
    loops: int

    def __len__(self) -> int:
        return len(self.solutions)


def monodromy_solve(
    system: System,
    seed: int = 0,
    loops_without_new: int = 5,
    max_loops: int = 500,
    target_count: int | None = None,
) -> MonodromyResult:
    """All solutions at random complex parameters by monodromy.

    Builds a start pair itself (a random point and parameters that make it a solution), then moves
    the parameters around random triangles; every loop permutes the solutions and reveals new ones.
    Stops after ``loops_without_new`` loops without a new solution (or at ``target_count``).
    """
    if not isinstance(system, System):
        raise TypeError(f"expected a System, got {type(system).__name__}")
    params, sols, loops = system._core.monodromy(
        v.nonnegative_int(seed, "seed"),
        v.positive_int(loops_without_new, "loops_without_new"),
        v.positive_int(max_loops, "max_loops"),
        None if target_count is None else v.positive_int(target_count, "target_count"),
    )
    return MonodromyResult(parameters=params, solutions=sols, loops=loops)
