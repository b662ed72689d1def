"""Shifted pencils on five or more inputs: the arcs of tangent points along which the tangents'
cofactors keep their number of real roots.

For one hidden layer with z^2, biases, two outputs and d0 + 1 neurons (d = d0 + 1 variables
with the constant), data u is in M, up to a null set, exactly when the cofactor G_tau of some
tangent has d - 2 distinct real roots (``_shifted_pencils``). For d <= 5 the sign of G_tau's
discriminant D(tau) tells; for d >= 6 (a quartic or more) it does not, and the number of real
roots has to be counted. It changes with tau only where two roots meet: at the real zeros of D.
Between two consecutive ones it is constant, so the cofactor at each arc's middle shows every
number there is.

The zeros of D cannot be taken from D's samples: cleared of R(tau)^2, D is a trigonometric
polynomial, but across P^1 it spans more decades than double precision holds (its least sampled
value relative to the sum of its Fourier coefficients was 5e-15 for the median Gaussian pencil
on five inputs, 4e-23 on six). They are found as the solutions (x, y) of

    G_tau(rho) = 0,  d/dy G_tau(rho) = 0,   tau = (1, x),  rho = (y cos g - sin g, y sin g + cos g)

(a random real chart of the roots; the pencil is turned by a random real angle first, so that
x = infinity is no zero), with the cofactor written in the coordinates (c, s) -> c tau + s (0, 1):
a shear that takes tau to (1, 0) as a rotation would, but degenerates nowhere in the chart (a
rotation by the unnormalized tau is singular at x = +-i, where some paths then ended singular).
A parameter homotopy solves them, with the coefficients of the G_k(x) (k = 2 .. d, of degree
3d - 4 - k in x) as parameters: the family is linear in them and larger than the pencils'
cofactors, so at a pencil some generic solutions go to infinity (12 of 60 for d = 6), and the
regular ones left are all there are (counted once at random pencils: no pencil has more than a
generic one, the pencils being an irreducible family). A pencil with fewer in one chart (a
change point near its x = infinity, among the family's own at infinity) is solved in the next,
turned by another random angle. Every solution with x near real starts an arc (generously: an
extra arc only adds a middle to look at).

Inside where some middle's cofactor has d - 2 clearly distinct real roots (a witness: the
preimage is built at that tangent); outside where every middle's cofactor clearly has a
non-real root and all regular solutions were found; undecided otherwise.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from . import _polynomials as pl
from ._charts import _system
from ._core import NeuromanifoldError
from ._shifted_pencils import _rotated, _tangents, determinant_forms
from ._voronoi_real_rank import _all_roots_real, _products
from .critical import _distinct, _generic_solutions
from .system import MonodromyResult, System, track

NEAR_REAL = 1e-6  # solutions x this close to real (relatively) start an arc
SPARE_TURNS = 3  # more random charts for pencils with a lost change point
REFERENCE_PENCILS = 3  # random pencils at which the regular solutions are counted


def _shear_table(degree: int) -> npt.NDArray[np.float64]:
    """T (degree + 1, degree + 1, degree + 1): the coefficient of c^(degree - j) s^j in
    F(c, c x + s) is sum_i f_i sum_e T[j, i, e] x^e, for F = sum_i f_i c^(degree - i) s^i."""
    T = np.zeros((degree + 1,) * 3)
    for i in range(degree + 1):
        for j in range(i + 1):
            T[j, i, i - j] = math.comb(i, j)
    return T


def cofactor_coefficients(P: npt.NDArray[np.float64], R: npt.NDArray[np.float64]) -> list[npt.NDArray[np.float64]]:
    """For binary forms P (batch, d + 1) and R (batch, d): the coefficients G_k(x), k = 2 .. d,
    each (batch, 3d - 3 - k) in x^0, x^1, ..., of the cofactor of the tangent at tau = (1, x), in
    the coordinates (c, s) -> c tau + s (0, 1) (a shear: tau goes to (1, 0) as in
    ``_shifted_pencils._tangents``, and unlike a rotation it never degenerates, also not at
    x = +-i, where the rotation's matrix is singular)."""
    d = P.shape[1] - 1
    Pj = np.einsum("jie,bi->bje", _shear_table(d), P)  # (batch, d + 1, d + 1): P_j of degree d - j
    Rj = np.einsum("jie,bi->bje", _shear_table(d - 1), R)  # (batch, d, d)
    Rj = np.concatenate([Rj, np.zeros((len(P), 1, d))], axis=1)  # R_d = 0
    R0, R1, P0, P1 = Rj[:, 0], Rj[:, 1], Pj[:, 0], Pj[:, 1]
    times = _products  # (of polynomials in x, coefficients of x^0, x^1, ...: the same arithmetic)
    first, second = times(R0, R0), times(P0, R0)
    third = times(P1, R0) - times(P0, R1)
    G = [times(first, Pj[:, k]) - times(second, Rj[:, k]) - times(third, Rj[:, k - 1]) for k in range(2, d + 1)]
    return [g[:, : 3 * d - 3 - k] for g, k in zip(G, range(2, d + 1))]  # (the rest is 0: degree 3d - 4 - k)


def change_system(d: int, g: float) -> System:
    """G_tau(rho) = 0 and its derivative in y (the module's docstring), with the coefficients
    of the G_k(x) as parameters."""
    sizes = [3 * d - 3 - k for k in range(2, d + 1)]
    nv = 2 + sum(sizes)
    x, y = pl.variable(0, nv), pl.variable(1, nv)
    c = pl.add(pl.scale(y, math.cos(g)), pl.constant(-math.sin(g), nv))
    s = pl.add(pl.scale(y, math.sin(g)), pl.constant(math.cos(g), nv))
    terms = []
    first = 2
    for k, size in zip(range(2, d + 1), sizes):
        rho = pl.mul(pl.power(c, d - k, nv), pl.power(s, k - 2, nv))
        Gk = pl.add(*(pl.mul(pl.variable(first + a, nv), pl.power(x, a, nv)) for a in range(size)))
        terms.append(pl.mul(Gk, rho))
        first += size
    G = pl.add(*terms)
    return _system([G, pl.diff(G, 1)], nv, nv - 2)


class CofactorArcs:
    """The arcs of one size of pencils (d >= 6): the change system, its solutions at generic
    coefficients and the random charts. Each chart turns the pencils by a random angle first; a
    pencil with a lost change point in one chart (one near its x = infinity, where the family's
    own solutions at infinity lie) is solved again in the next."""

    def __init__(self, d: int, seed: int) -> None:
        rng = np.random.default_rng([seed, 0xA7C5, d])
        self.d, self.seed = d, seed
        self.turns = rng.uniform(0, np.pi, SPARE_TURNS + 1)
        self.system = change_system(d, float(rng.uniform(0, np.pi)))
        self.generic: MonodromyResult = _generic_solutions(self.system, seed, 10)
        # the family is larger than the pencils' cofactors: at theirs some paths go to infinity,
        # as many at every pencil. The most regular ends at random pencils in every chart (one
        # chart alone loses some at about half the pencils), seen at least twice
        M = np.random.default_rng([seed, 0xC0F]).standard_normal((REFERENCE_PENCILS, 2, d, d))
        M = M + M.transpose(0, 1, 3, 2)
        counts = [len(e) for turn in self.turns for e in self._ends(self._targets(M, turn), seed)]
        self.finite = max(counts)
        if counts.count(self.finite) < 2:
            raise NeuromanifoldError(f"the change points of pencils of size {d} were not found at random pencils (regular ends {counts}); try another seed")

    def _targets(self, Q: npt.NDArray[np.float64], turn: float) -> npt.NDArray[np.complex128]:
        """The parameters (the cofactors' coefficients, scaled to at most 1) of pencils Q turned
        by ``turn`` (a tangent point at angle t there is at t + turn in Q)."""
        Qt = np.swapaxes(_rotated(np.swapaxes(Q, 0, 1), turn).reshape(2, *Q.shape[:1], *Q.shape[2:]), 0, 1)
        P = determinant_forms(Qt[:, 0], Qt[:, 1])
        R = determinant_forms(Qt[:, 0, :-1, :-1], Qt[:, 1, :-1, :-1])
        G = np.concatenate(cofactor_coefficients(P, R), axis=1)
        return (G / np.abs(G).max(axis=1, keepdims=True)).astype(np.complex128)

    def _ends(self, targets: npt.NDArray[np.complex128], seed: int) -> list[npt.NDArray[np.complex128]]:
        """The distinct regular finite solutions at each target. No pencil has more regular
        solutions than a generic pencil (the pencils are an irreducible family), so ``finite``
        of them are all of them; a pencil with fewer goes to the next chart (other generic
        parameters in the same chart lose the same points: those near its x = infinity)."""
        out = []
        for r in track(self.system, self.generic.solutions, self.generic.parameters, targets, seed=seed, retry_failed=False):
            regular = r.endpoints[r.status == "nonsingular"]
            out.append(regular[_distinct(regular)])
        return out

    def decide(self, Q: npt.NDArray[np.float64], salt: int) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float64]]:
        """For pencils Q (batch, 2, d, d): 0 inside M, 1 outside, -1 undecided; and inside, the
        angle of a tangent whose cofactor has d - 2 distinct real roots (an arc's middle)."""
        out = np.full(len(Q), -1, dtype=np.int8)
        where = np.zeros(len(Q))
        for spare, turn in enumerate(self.turns):
            rows = np.flatnonzero(out < 0)
            if not len(rows):
                break
            for b, ends in zip(rows, self._ends(self._targets(Q[rows], turn), self.seed + 7919 * salt + 104729 * spare)):
                x = ends[np.abs(ends[:, 0].imag) <= NEAR_REAL * (1 + np.abs(ends[:, 0])), 0].real
                zeros = np.sort(np.mod(np.arctan(x) + turn, np.pi))
                middles = (zeros + np.roll(zeros, -1) + np.where(np.arange(len(zeros)) == len(zeros) - 1, np.pi, 0.0)) / 2 if len(zeros) else np.zeros(1)
                # (the cofactor at tau in the rotated frame, c^(d-2) first as the roots expect)
                real = _all_roots_real(_tangents(Q[b : b + 1], np.mod(middles, np.pi))[2][0])
                if (real == 1).any():
                    out[b], where[b] = 0, np.mod(middles[int(np.argmax(real == 1))], np.pi)
                elif len(ends) == self.finite and (real == 0).all():
                    out[b] = 1
        return out, where


@lru_cache(maxsize=8)
def cofactor_arcs(d: int, seed: int) -> CofactorArcs:
    """The arcs of pencils of size d (solved once per process: about a second for d = 6)."""
    return CofactorArcs(d, seed)
