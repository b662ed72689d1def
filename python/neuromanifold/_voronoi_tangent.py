"""The edge of two quadratic neurons with several outputs: the tangential variety.

The network x -> (sum_i c_ki (l_i . x)^2)_k with two hidden neurons, activation z^2 and m >= 2
outputs has a real image M_R that is not the real part of its closure: two complex conjugate
neurons give real outputs too. Where the two kinds meet, l_1 and l_2 coincide, and real
parameters with l_2 = l_1 + e m, c_k1 = a_k - b_k / (2e), c_k2 = b_k / (2e) tend to
(a_k l^2 + b_k (l . x)(m . x))_k as e -> 0: the edge E, the tuples of quadratic forms in the
span of l^2 and l m (dimension 2n + 2m - 3, a hypersurface of M), in the closure of M_R but
generically not in it. Parameters of M_R diverge only when l_1 and l_2 become parallel, so the
closure of M_R is M_R with E, and the nearest point of that closure to data u is

* a real critical point of the distance on M in a slice fixing one incoming weight of each
  neuron (rescaling a neuron by a real lambda reaches any nonzero value there, so real
  networks are real points of the slice, and complex conjugate neurons are not), or
* a real critical point on E, in a chart fixing l_1, m_1 = 0 and m_2 (l -> lambda l,
  m -> s m + t l with b and a adjusted keep the point; real lambda, s, t reach those values), or
* a point of a lower stratum: a single neuron c (l . x)^2 (its own real slice), or 0.

The edge is hit when E's best point beats all others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _polynomials as pl
from ._charts import Chart, _slice, critical_system
from ._voronoi_membership import endpoints_in_spares, imaginary_ratio, incoming_weight_slice
from .architectures import PolynomialNetwork
from .critical import REAL_TOL, _generic_solutions
from .system import MonodromyResult, System

TIE_BAND = 1e-9  # relative: squared distances closer than this are a tie
SPARE_CHARTS = 1


def tangent_edge_available(net: object) -> str | None:
    """Why the tangential edge does not decide the boundary of ``net``, or None."""
    if not isinstance(net, PolynomialNetwork) or len(net.widths) != 3 or net.bias:
        return "the tangential edge is charted for one hidden layer without biases"
    n, r, m = net.widths
    if r != 2 or m < 2 or n < 2 or tuple(net.activation) != (0.0, 0.0, 1.0):
        return f"{net.spec}: the tangential edge is charted for two neurons with z^2 and two or more outputs"
    return None


def _quadratic_coefficients(net: PolynomialNetwork, forms: list[tuple[pl.Poly, list[pl.Poly], list[pl.Poly]]], nv: int) -> list[pl.Poly]:
    """Coefficients in the network's basis of (sum_j g_k (p . x)(q . x))_k, one term per
    (g, p, q) in ``forms`` with g a list of m output weights and p, q lists of n linear forms
    in the chart's variables."""
    monomials = [tuple(int(a) for a in e) for e in net.monomials.tolist()]
    out: list[pl.Poly] = []
    for k in range(net.widths[-1]):
        for e in monomials:
            idx = [i for i, a in enumerate(e) for _ in range(a)]
            i, j = idx[0], idx[1]
            terms = []
            for g, p, q in forms:
                # coefficient of x_i x_j in (p . x)(q . x)
                pq = pl.mul(p[i], q[j]) if i == j else pl.add(pl.mul(p[i], q[j]), pl.mul(p[j], q[i]))
                terms.append(pl.mul(g[k], pq))
            out.append(pl.add(*terms))
    return out


def _affine(rng: np.random.Generator, n: int, conditions: int) -> tuple[np.ndarray, np.ndarray]:
    """A random real affine subspace {v : V v = e_last} of R^n, as a point and an orthonormal
    basis of its directions (n - conditions of them): a random patch keeps coordinates moderate."""
    V = np.linalg.qr(rng.standard_normal((n, n)))[0][:conditions]
    target = np.zeros(conditions)
    target[-1] = 1.0
    point = np.linalg.lstsq(V, target, rcond=None)[0]
    basis = np.linalg.qr(np.vstack([V, rng.standard_normal((n - conditions, n))]).T)[0][:, conditions:]
    return point, basis


def edge_chart(net: PolynomialNetwork, seed: int) -> Chart:
    """E as (a_k l^2 + b_k l m)_k with l on a random real hyperplane (v_1 . l = 1) and m on a
    random real affine plane (v_2 . m = 0, v_3 . m = 1): l -> lambda l and m -> s m + t l reach
    them from almost every real (l, m). Coordinates: those of l and m in the planes, a, b."""
    n, _, m = net.widths
    rng = np.random.default_rng([seed, 0x7A9E])
    pl_, Bl = _affine(rng, n, 1)
    pm, Bm = _affine(rng, n, 2)
    nv = (n - 1) + (n - 2) + 2 * m
    yl = [pl.variable(i, nv) for i in range(n - 1)]
    ym = [pl.variable(n - 1 + i, nv) for i in range(n - 2)]
    l_ = [pl.add(pl.constant(pl_[j], nv), pl.linear_combination((Bl[j, i], yl[i]) for i in range(n - 1))) for j in range(n)]
    m_ = [pl.add(pl.constant(pm[j], nv), pl.linear_combination((Bm[j, i], ym[i]) for i in range(n - 2))) for j in range(n)]
    a = [pl.variable(2 * n - 3 + k, nv) for k in range(m)]
    b = [pl.variable(2 * n - 3 + m + k, nv) for k in range(m)]
    phi = _quadratic_coefficients(net, [(a, l_, l_), (b, l_, m_)], nv)
    return Chart(phi=phi, n=nv, lift=lambda y: y, rank=None, top=False)


def _neuron_slices(net: PolynomialNetwork, seed: int) -> tuple[Chart, Chart]:
    """Slices of M and of the one-neuron stratum fixing the first incoming weight of each
    neuron at a random real value (neuron 0's block is its weights, then its output weights)."""
    n, r, m = net.widths
    chart, theta0, fixed = incoming_weight_slice(net, np.random.default_rng([seed, 0x51CE]))
    neuron0 = np.array([j for j in range(1, n)] + [r * n + k * r for k in range(m)])
    one = theta0.copy()
    one[fixed[1:]] = 0.0
    return chart, _slice(net, one, neuron0)


@dataclass
class _Solved:
    chart: Chart
    system: System
    generic: MonodromyResult


class TangentEdge:
    """Boundary decisions: 1 the nearest point of the closure of M_R is on E, 0 on M_R or a lower
    stratum, -1 undecided (a tie within the band, or a lost path in every chart)."""

    def __init__(self, net: PolynomialNetwork, seed: int) -> None:
        self.net, self.seed = net, seed
        self._cache: dict[tuple[int, int], _Solved] = {}

    def _solved(self, which: int, spare: int) -> _Solved:
        key = (which, spare)
        if key not in self._cache:
            s = self.seed + 1000 * spare
            chart = edge_chart(self.net, s) if which == 0 else _neuron_slices(self.net, s)[which - 1]
            system = critical_system(chart, np.eye(self.net.ambient_dim))
            self._cache[key] = _Solved(chart, system, _generic_solutions(system, s + which, 10))
        return self._cache[key]

    def _best(self, which: int, U: npt.NDArray[np.float64], salt: int) -> npt.NDArray[np.float64]:
        """Squared distance from each row of U to the nearest real critical point of chart
        ``which`` (0: E, 1: M, 2: one neuron); nan where paths were lost in every chart."""
        out = np.full(len(U), np.nan)

        def record(k: int, y: np.ndarray, solved: _Solved) -> bool:
            real = imaginary_ratio(y) <= REAL_TOL
            images = np.real(solved.chart.mu(y[real].real)) if real.any() else np.zeros((0, U.shape[1]))
            out[k] = ((images - U[k]) ** 2).sum(axis=1).min(initial=np.inf)
            return True

        endpoints_in_spares(lambda spare: self._solved(which, spare), U, self.seed + 7919 * salt + which, SPARE_CHARTS, record)
        return out

    def decide(self, U: npt.NDArray[np.float64], salt: int) -> npt.NDArray[np.int8]:
        edge = self._best(0, U, salt)
        others = np.column_stack([self._best(1, U, salt), self._best(2, U, salt), (U**2).sum(axis=1)])
        rest = others.min(axis=1)
        out = np.full(len(U), -1, dtype=np.int8)
        known = ~np.isnan(edge) & ~np.isnan(others).any(axis=1)
        out[known & (edge < rest * (1 - TIE_BAND))] = 1
        out[known & (rest < edge * (1 - TIE_BAND))] = 0
        return out


def tangent_edge(net: Any, seed: int, cache: dict[str, Any]) -> TangentEdge:
    if "tangent" not in cache:
        cache["tangent"] = TangentEdge(net, seed)
    return cache["tangent"]
