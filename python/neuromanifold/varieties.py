"""Parametrized varieties: the image of a polynomial map phi: R^k -> R^n, y -> (phi_1(y), ...).

The nearest point of the image to data u is phi(y*) for a global minimum y* of
|phi(y) - u|^2 over real y, which is a real critical point: a real solution of
J_phi(y)^T (phi(y) - u) = 0. These are found for every data point by a parameter homotopy
from the solutions at generic complex data (monodromy), so the comparison is exhaustive when
phi is generically finite-to-one (its Jacobian has rank k somewhere).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _polynomials as pl

__all__ = ["ParametrizedVariety"]


class ParametrizedVariety:
    """The image of y -> (components(y)) for real y; ``singular_points`` (optional) are points
    of it to treat as strata of their own (targets of :func:`neuromanifold.voronoi_mc`).

    >>> import neuromanifold as nm
    >>> umbrella = nm.ParametrizedVariety(["s*t", "s", "t**2"], ["s", "t"])
    >>> umbrella.ambient_dim, umbrella.n_params
    (3, 2)
    """

    def __init__(self, components: Sequence[object], parameters: Sequence[str], singular_points: npt.ArrayLike | None = None) -> None:
        import sympy

        from .curves import _poly, _sympify

        if isinstance(parameters, str) or not all(isinstance(p, str) for p in parameters):
            raise TypeError(f"parameters must be a sequence of names, got {parameters!r}")
        if isinstance(components, str) or len(components) < 1:
            raise TypeError(f"components must be a sequence of polynomials, got {components!r}")
        self.parameters = tuple(parameters)
        self.components = tuple(str(c) for c in components)
        syms = sympy.symbols(list(self.parameters))
        syms = syms if isinstance(syms, (list, tuple)) else (syms,)
        names = {str(s): s for s in syms}
        self._phi: list[pl.Poly] = []
        for c in components:
            p = _poly(_sympify(c, names, "component"), tuple(syms), "component")
            self._phi.append({tuple(int(e) for e in m): float(v) for m, v in p.terms() if float(v) != 0.0})
        self.n_params = len(self.parameters)
        self.ambient_dim = len(self._phi)
        y = np.random.default_rng(0).standard_normal(self.n_params)
        if np.linalg.matrix_rank(self.jacobian(y), tol=1e-9) < self.n_params:
            raise ValueError("the parametrization must be generically finite-to-one (its Jacobian of rank equal to the number of parameters)")
        sing = np.zeros((0, self.ambient_dim)) if singular_points is None else np.asarray(singular_points, dtype=np.float64).reshape(-1, self.ambient_dim)
        if not np.all(np.isfinite(sing)):
            raise ValueError("singular points must be finite")
        self.singular_points = sing

    def __call__(self, y: npt.ArrayLike) -> np.ndarray:
        """phi at parameters (k,) or (B, k)."""
        return pl.Evaluator(self._phi, self.n_params)(np.asarray(y))

    def jacobian(self, y: npt.ArrayLike) -> np.ndarray:
        """D phi (n, k) at one parameter vector (exact derivatives of the polynomials)."""
        y = np.asarray(y, dtype=np.float64)
        cols = []
        for j in range(self.n_params):
            d = [pl.diff(p, j) for p in self._phi]
            cols.append(np.atleast_1d(pl.Evaluator(d, self.n_params)(y)).reshape(-1))
        return np.column_stack(cols)

    @property
    def description(self) -> str:
        return f"({', '.join(self.components)}) in {', '.join(self.parameters)}"

    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __repr__(self) -> str:
        return f"ParametrizedVariety({self.description}, {len(self.singular_points)} singular points)"
