"""Definiteness of real forms of even degree, from all their critical points on the sphere.

A form N of even degree k in d variables is definite when it keeps one sign on the unit sphere,
that is when its least and largest values there have the same sign. Both are critical values:
at a real x with grad N(x) = lambda x (an eigenvector of the symmetric tensor of N), where
Euler's relation x . grad N = k N(x) gives N(x / |x|) = lambda / (k |x|^(k - 2)), of the sign of
lambda. On a real affine chart a . x = 1 the eigenvectors are isolated, ((k - 1)^d - 1) / (k - 2)
of them for generic N (Cartwright and Sturmfels), all found by a parameter homotopy from generic
complex coefficients (monodromy once). So N is indefinite when two real eigenvectors have lambdas
of opposite signs (a certificate, even with a lost path), and definite when all of them are found
and every real one has lambdas of one sign. Eigenvectors on the chart's hyperplane at infinity are
a null set; a sample with a lost path moves to a spare chart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import factorial

import numpy as np
import numpy.typing as npt

from . import _polynomials as pl
from ._charts import _system
from .critical import Restarts
from ._voronoi_membership import endpoints_in_spares, imaginary_ratio
from .system import MonodromyResult, System, monodromy_solve

REAL = 1e-7  # imaginary part of a real eigenvector, relative to each coordinate
COMPLEX = 1e-5  # ... and of one that is surely not real; in between the form is undecided
SIGN = 1e-8  # |critical value| on the sphere, relative to the unit coefficient vector, below which its sign is unclear
SPARES = 1  # more random charts for forms with a lost path


def multinomial(e: tuple[int, ...]) -> float:
    """k! / prod e_i!: the coefficient of x^e in (w . x)^k is multinomial(e) w^e."""
    out = factorial(sum(e))
    for a in e:
        out //= factorial(a)
    return float(out)


@dataclass
class _Chart:
    system: System
    generic: MonodromyResult
    restarts: Restarts = field(default_factory=Restarts)


class FormDefiniteness:
    """Is the form sum_e p_e x^e (exponents ``monomials``, all of even degree k, in d variables)
    definite? 1: yes, 0: no (indefinite), -1: undecided (a critical value too close to 0, an
    eigenvector too close to real to tell, or lost paths in every chart)."""

    def __init__(self, monomials: list[tuple[int, ...]], seed: int) -> None:
        self.monomials = [tuple(int(a) for a in e) for e in monomials]
        self.d, self.k = len(self.monomials[0]), sum(self.monomials[0])
        self.seed = seed
        self._charts: dict[int, _Chart] = {}

    def _chart(self, spare: int) -> _Chart:
        if spare not in self._charts:
            d, A = self.d, len(self.monomials)
            # unknowns x and lambda, then the parameters: the coefficients and the chart's
            # constant c (1 at the forms; a parameter so that monodromy moves every equation)
            nv = d + 1 + A + 1
            N = {tuple(e) + (0,) + tuple(int(i == j) for i in range(A + 1)): 1.0 for j, e in enumerate(self.monomials)}
            x = [pl.variable(i, nv) for i in range(d)]
            lam = pl.variable(d, nv)
            a = np.random.default_rng([self.seed, 0xDEF1, spare]).standard_normal(d)
            equations = [pl.add(pl.diff(N, i), pl.scale(pl.mul(lam, x[i]), -1.0)) for i in range(d)]
            equations.append(pl.add(pl.linear_combination((float(a[i]), x[i]) for i in range(d)), pl.scale(pl.variable(nv - 1, nv), -1.0)))
            system = _system(equations, nv, A + 1)
            count = ((self.k - 1) ** d - 1) // (self.k - 2)
            generic = monodromy_solve(system, seed=self.seed + 7 * spare, loops_without_new=10, target_count=count)
            self._charts[spare] = _Chart(system, generic)
        return self._charts[spare]

    def decide(self, P: npt.NDArray[np.float64], salt: int = 0) -> npt.NDArray[np.int8]:
        out = np.full(len(P), -1, dtype=np.int8)
        if not len(P):
            return out
        P = np.asarray(P, dtype=np.float64)
        P = P / np.maximum(np.linalg.norm(P, axis=1, keepdims=True), 1e-300)  # the same signs
        P = np.column_stack([P, np.ones(len(P))])  # the chart a . x = 1
        d, k = self.d, self.k

        def record(row: int, y: np.ndarray, chart: _Chart, complete: bool) -> bool:
            ratio = imaginary_ratio(y)
            real = y[ratio <= REAL].real
            values = real[:, d] / (k * np.linalg.norm(real[:, :d], axis=1) ** (k - 2))
            if (values > SIGN).any() and (values < -SIGN).any():
                out[row] = 0  # two real points of opposite signs
                return True
            if not complete:
                return False
            unclear = ((ratio > REAL) & (ratio < COMPLEX)).any() or (np.abs(values) <= SIGN).any() or not len(values)
            out[row] = -1 if unclear else 1
            return True

        endpoints_in_spares(self._chart, P, self.seed + 7919 * salt, SPARES, record)
        return out
