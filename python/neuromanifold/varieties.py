"""Parametrized varieties: the image of a polynomial map phi: R^k -> R^n, y -> (phi_1(y), ...),
with named strata that are themselves parametrized (or points).

The nearest point of the image to data u is phi(y*) for a global minimum y* of
|phi(y) - u|^2 over real y, which is a real critical point: a real solution of
J_phi(y)^T (phi(y) - u) = 0. These equations are solved once at generic complex data by a
start-system homotopy, which finds every isolated solution (also those off the main component
of the critical equations, such as the points where phi stops being an immersion), and every
data point is reached from there by a parameter homotopy. The same is done for each stratum's
own parametrization, so the best point of every stratum is found exhaustively too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np
import numpy.typing as npt

from . import _polynomials as pl
from .system import MonodromyResult, System

__all__ = ["ParametrizedVariety"]

RESERVED_NAMES = ("singular",)  # targets of voronoi_mc with their own meaning
GENERIC_ATTEMPTS = 3  # generic data tried before the critical equations are given up on


class ParametrizedVariety:
    """The image of y -> (components(y)) for real y, with strata of its own.

    ``components``: polynomials in ``parameters`` (strings or sympy expressions, real
    coefficients); the map must be generically finite-to-one.

    ``strata`` (optional): named subsets of the variety, e.g. its singular locus or the edge of a
    semi-algebraic image, each given as a :class:`ParametrizedVariety` (without strata of its
    own), as a pair ``(components, parameters)`` of the same form, or as a point (coordinates). A
    pair without parameters (constant components) is a point. ``singular_points`` (optional)
    are further points, unnamed. Strata are the targets of :func:`neuromanifold.voronoi_mc` (by
    name, by coordinates for points, or all of them as ``"singular"``). Each stratum must lie in
    the variety (in the image of the real parameters or in its closure); this is not checked.

    ``strata`` maps names to :class:`ParametrizedVariety` objects (positive-dimensional strata)
    or to coordinate arrays (point strata); ``singular_points`` is an array (m, n).

    >>> import neuromanifold as nm
    >>> umbrella = nm.ParametrizedVariety(["s*t", "s", "t**2"], ["s", "t"],
    ...                                   strata={"handle": (["0", "0", "t**2"], ["t"])})
    >>> umbrella.ambient_dim, umbrella.n_params, umbrella.strata["handle"].n_params
    (3, 2, 1)
    """

    def __init__(
        self,
        components: Sequence[object],
        parameters: Sequence[str],
        singular_points: npt.ArrayLike | None = None,
        strata: Mapping[str, StratumSpec] | None = None,
    ) -> None:
        self.parameters, self.components, self._phi = _parse_map(components, parameters, "component")
        if not self.parameters:
            raise ValueError("a parametrized variety needs at least one parameter (give a point as a stratum or singular point)")
        self.n_params = len(self.parameters)
        self.ambient_dim = len(self._phi)
        # evaluators built once: phi and D phi are asked for every sample
        self._values = pl.Evaluator(self._phi, self.n_params)
        self._derivatives = [pl.Evaluator([pl.diff(p, j) for p in self._phi], self.n_params) for j in range(self.n_params)]
        y = np.random.default_rng(0).standard_normal(self.n_params)
        if np.linalg.matrix_rank(self.jacobian(y), tol=1e-9) < self.n_params:
            raise ValueError(
                f"the parametrization {self.description} must be generically finite-to-one "
                "(its Jacobian of rank equal to the number of parameters)"
            )
        self.singular_points = _points(singular_points, self.ambient_dim)
        self.strata: dict[str, ParametrizedVariety | npt.NDArray[np.float64]] = _strata(strata, self.ambient_dim)

    def __call__(self, y: npt.ArrayLike) -> np.ndarray:
        """phi at parameters (k,) or (B, k)."""
        return self._values(np.asarray(y))

    def jacobian(self, y: npt.ArrayLike) -> np.ndarray:
        """D phi (n, k) at one parameter vector (exact derivatives of the polynomials)."""
        y = np.asarray(y, dtype=np.float64)
        return np.column_stack([np.atleast_1d(d(y)).reshape(-1) for d in self._derivatives])

    @property
    def description(self) -> str:
        return f"({', '.join(self.components)}) in {', '.join(self.parameters)}"

    @property
    def has_strata(self) -> bool:
        """Whether any stratum or singular point is given."""
        return bool(self.strata) or len(self.singular_points) > 0

    def strata_description(self) -> str:
        """The strata and singular points, in words (empty when there are none)."""
        parts = [f"{name} = {_stratum_description(s)}" for name, s in self.strata.items()]
        parts += [_point_description(p) for p in self.singular_points]
        return "; ".join(parts)

    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __repr__(self) -> str:
        named = f", strata {', '.join(self.strata)}" if self.strata else ""
        return f"ParametrizedVariety({self.description}, {len(self.singular_points)} singular points{named})"


StratumSpec = Union[ParametrizedVariety, tuple[Sequence[object], Sequence[str]], npt.ArrayLike]


def _parse_map(components: Sequence[object], parameters: Sequence[str], what: str) -> tuple[tuple[str, ...], tuple[str, ...], list[pl.Poly]]:
    """(parameters, components as text, components as sparse real polynomials)."""
    import sympy

    from .curves import _poly, _sympify

    if isinstance(parameters, str) or not isinstance(parameters, Sequence) or not all(isinstance(p, str) for p in parameters):
        raise TypeError(f"parameters must be a sequence of names, got {parameters!r}")
    if len(set(parameters)) != len(parameters):
        raise ValueError(f"parameters must be distinct names, got {list(parameters)}")
    if isinstance(components, str) or not isinstance(components, Sequence) or len(components) < 1:
        raise TypeError(f"components must be a sequence of polynomials, got {components!r}")
    syms = tuple(sympy.Symbol(p) for p in parameters)
    names = {str(s): s for s in syms}
    phi: list[pl.Poly] = []
    for c in components:
        expr = _sympify(c, names, what)
        if not syms:
            phi.append(_constant(expr, what))
            continue
        p = _poly(expr, syms, what)
        phi.append({tuple(int(e) for e in m): float(v) for m, v in p.terms() if float(v) != 0.0})
    return tuple(parameters), tuple(str(c) for c in components), phi


def _constant(expr: Any, what: str) -> pl.Poly:
    """A component without parameters: a real number, as a polynomial in no variables."""
    if not (expr.is_number and expr.is_real):
        raise ValueError(f"{what} {expr} of a point must be a real number")
    value = float(expr)
    return {(): value} if value != 0.0 else {}


def _points(points: npt.ArrayLike | None, dim: int) -> npt.NDArray[np.float64]:
    if points is None:
        return np.zeros((0, dim))
    try:
        arr = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"singular points must be an array of coordinates, got {points!r}") from None
    if arr.size % dim or (arr.ndim > 1 and arr.shape[-1] != dim):
        raise ValueError(f"singular points must have {dim} coordinates each, got an array of shape {arr.shape}")
    arr = arr.reshape(-1, dim)
    if not np.all(np.isfinite(arr)):
        raise ValueError("singular points must be finite")
    return arr


def _strata(strata: Mapping[str, StratumSpec] | None, dim: int) -> dict[str, ParametrizedVariety | npt.NDArray[np.float64]]:
    if strata is None:
        return {}
    if not isinstance(strata, Mapping):
        raise TypeError(f"strata must be a mapping from names to strata, got {type(strata).__name__}")
    out: dict[str, ParametrizedVariety | npt.NDArray[np.float64]] = {}
    for name, spec in strata.items():
        if not isinstance(name, str) or not name.strip():
            raise TypeError(f"stratum names must be non-empty strings, got {name!r}")
        if name in RESERVED_NAMES:
            raise ValueError(f"{name!r} is reserved (the union of all strata); choose another stratum name")
        out[name] = _stratum(name, spec, dim)
    return out


def _stratum(name: str, spec: object, dim: int) -> ParametrizedVariety | npt.NDArray[np.float64]:
    """A stratum as a parametrization of positive dimension, or as a point."""
    if isinstance(spec, ParametrizedVariety):
        if spec.has_strata:
            raise ValueError(f"stratum {name!r} has strata of its own: give them as strata of the variety instead")
        stratum: ParametrizedVariety | npt.NDArray[np.float64] = spec
    elif _is_map_pair(spec):
        components, parameters = spec  # type: ignore[misc]
        if len(parameters) == 0:
            _, _, phi = _parse_map(components, parameters, f"component of stratum {name!r}")
            stratum = np.array([p.get((), 0.0) for p in phi], dtype=np.float64)
        else:
            try:
                stratum = ParametrizedVariety(components, parameters)
            except (TypeError, ValueError) as e:
                raise type(e)(f"stratum {name!r}: {e}") from None
    elif isinstance(spec, str):
        raise TypeError(f"stratum {name!r} must be (components, parameters), a ParametrizedVariety or a point, got the string {spec!r}")
    else:
        try:
            stratum = np.asarray(spec, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"stratum {name!r} must be (components, parameters), a ParametrizedVariety or a point, got {spec!r}") from None
        if stratum.ndim != 1 or not np.all(np.isfinite(stratum)):
            raise ValueError(f"stratum {name!r} as a point must be one finite coordinate vector, got {spec!r}")
    size = stratum.ambient_dim if isinstance(stratum, ParametrizedVariety) else len(stratum)
    if size != dim:
        raise ValueError(f"stratum {name!r} has {size} components, but the variety lies in R^{dim}")
    return stratum


def _is_map_pair(spec: object) -> bool:
    """(components, parameters): parameters a sequence of names (possibly empty)."""
    if not isinstance(spec, (tuple, list)) or len(spec) != 2:
        return False
    components, parameters = spec
    return (
        isinstance(components, Sequence)
        and not isinstance(components, str)
        and isinstance(parameters, Sequence)
        and not isinstance(parameters, str)
        and all(isinstance(p, str) for p in parameters)
    )


def _stratum_description(s: ParametrizedVariety | npt.NDArray[np.float64]) -> str:
    return s.description if isinstance(s, ParametrizedVariety) else _point_description(s)


def _point_description(p: npt.NDArray[np.float64]) -> str:
    return f"the point ({', '.join(f'{x:g}' for x in p)})"


# -- all real critical points of the distance, for many data points ---------------------------


def _restarts() -> Any:
    from .critical import Restarts

    return Restarts()


@dataclass(frozen=True)
class CriticalEquations:
    """J_phi(y)^T (phi(y) - u) = 0 for one parametrization phi, with the data u as parameters,
    and all its isolated solutions at generic complex data."""

    variety: ParametrizedVariety
    system: System
    generic: MonodromyResult
    restarts: Any = field(default_factory=_restarts, compare=False)  # (critical.Restarts)

    @classmethod
    def solve(cls, variety: ParametrizedVariety, seed: int, stream: int = 0) -> CriticalEquations:
        """Solve at generic complex data by a start-system homotopy. Monodromy would only find
        the main component, and the critical equations often factor: for t -> (t^2, t^3) the
        root t = 0 (the cusp) is critical for all data, a component of its own."""
        from ._core import NeuromanifoldError
        from ._charts import Chart, critical_system
        from .critical import _distinct, _random_complex
        from .system import solve

        chart = Chart(phi=variety._phi, n=variety.n_params, lift=lambda y: y, rank=None, top=True)
        system = critical_system(chart, np.eye(variety.ambient_dim))
        rng = np.random.default_rng([seed, stream, 0xC217])
        for attempt in range(GENERIC_ATTEMPTS):
            p = _random_complex(rng, system.n_params)
            result = solve(system, parameters=p, seed=seed + attempt)
            if (result.status == "failed").any():
                continue  # another generic point: a missed solution would miss critical points
            # singular endpoints are not isolated (positive-dimensional sets of critical points)
            ys = result.endpoints[result.status == "nonsingular"]
            ys = ys[_distinct(ys)]
            return cls(variety, system, MonodromyResult(parameters=p, solutions=ys, loops=0))
        raise NeuromanifoldError(
            f"the critical equations of the distance to {variety.description} lost paths at "
            f"{GENERIC_ATTEMPTS} generic data points; try another seed"
        )

    def real_images(self, U: npt.NDArray[np.float64], seed: int) -> list[npt.NDArray[np.float64] | None]:
        """For each data point (row of U) the images phi(y) (m, n) of all real critical points
        y, or None when a path was lost (the sample cannot be decided)."""
        from .critical import _is_real, _to_targets

        results, complete = _to_targets(self.system, self.generic, np.asarray(U, dtype=np.complex128), seed, restarts=self.restarts)
        k = self.variety.n_params
        out: list[npt.NDArray[np.float64] | None] = []
        for r, ok in zip(results, complete):
            if not ok:
                out.append(None)
                continue
            ys = r.endpoints[r.status == "nonsingular"]
            # the variety is the image of real parameters: complex critical points are not on it
            real = np.array([y.real for y in ys if _is_real(y)], dtype=np.float64).reshape(-1, k)
            out.append(np.asarray(self.variety(real), dtype=np.float64).reshape(-1, self.variety.ambient_dim))
        return out
