"""The edge of two neurons with biases on two inputs: merging neurons, and neurons merging with
the constant.

The network x -> c_1 (w_1 . x + b_1)^k + c_2 (w_2 . x + b_2)^k + delta on d0 >= 2 inputs, z^k
with k >= 3, one output, computes the forms c_1 l_1^k + c_2 l_2^k + delta x_0^k in (x, x_0),
x_0 the constant's coordinate (charted for any d0; decided on two inputs, where the
generic solves take seconds). The output bias matches the coefficient of x_0^k, so the
distance to M is that of the other coefficients (the projection pi dropping x_0^k) to the
images of c_1 l_1^k + c_2 l_2^k: the network without biases on d0 + 1 variables, compared
without that coefficient.

Which limits does the real image have? Its points lie in the span of the length-3 scheme
{l_1, l_2, x_0} on the k-th Veronese variety, and with the x_0^k coefficient set to 0 a bounded
sequence of them stays in those spans. For k >= 2 every scheme of length 3 spans a plane (its
k-th powers are independent), so a bounded sequence has its limits in the spans of the limit
schemes: real schemes of length 3 containing the point x_0, the limits of pairs of real
points. Their spans give
* three distinct points: M itself;
* a double point at l (l_1 and l_2 merging), with tangent m: l^(k-1) v + delta x_0^k, v any
  linear form (a l^k + b l^(k-1) m), the tangential variety E, compared under pi;
* a double point at x_0 (a neuron merging with the constant) and l_1: c_1 l_1^k + x_0^(k-1) m
  (+ delta x_0^k), m any linear form in x: one neuron compared without the coefficients of
  x_0^k and x_0^(k-1) x_j (matched by m);
* a curvilinear triple point at x_0 with tangent w: mu x_0^(k-2) w^2 + x_0^(k-1) n
  (+ delta x_0^k), n any; the non-curvilinear one adds x_0^(k-1) n alone (mu = 0). The distance
  is that of the coefficients of x_0^j, j <= k - 3, to 0, of those of x_0^(k-2) to the forms
  mu w^2 (on two inputs in closed form, ``_rank_one_distance``), and 0 for x_0^(k-1).

Each of these is in the closure of the real image (l_2 = l + e m, c_2 = b / (k e); l_2 = x_0 +
e w with c_2 = b / (k e); both neurons at x_0 + e w and x_0 + e w + e^2 n with weights of order
e^-2), and generically not in it: so the nearest point of the closure to data u is a real
critical point of the distance on the slice of M (fixing the x_1 weight of each neuron), on E,
on the merged neuron's slice, the nearest point of the triple point's set, or one neuron alone
or the constants (lower strata). The edge is hit when one of E, the merged neuron and the
triple point beats all others. E is charted as l^(k-1) v: blown up where l meets x_0 in the
first chart and every other spare, with l on a random real hyperplane in the rest. The sums
a l^k + b l^(k-1) m of ``edge_chart`` are badly conditioned where v is near the line of l (a
and b of 500 at moderate v), and the hyperplane chart near l = x_0, where E has critical points
with v_0 of 60 at l within 0.01 of x_0: in those charts alone one of E's 160 critical points
was lost for 17 of 100 samples of ``poly:2,2,1^3+bias``, in every chart.
"""

from __future__ import annotations

from math import comb
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _polynomials as pl
from ._charts import Chart
from ._voronoi_tangent import ALIVE, Needed, Part, TangentEdge, _affine, _edge_coefficients, _moved_solutions, _neuron_slices, _power
from .architectures import PolynomialNetwork


def _homogenized_of(net: object) -> tuple[PolynomialNetwork, np.ndarray, np.ndarray] | None:
    """For two neurons with biases on d0 >= 2 inputs, z^k (k >= 3) and one output: the network
    without biases on (x, x_0) (x_0 the constant's coordinate, last), the indices of its
    coefficients other than x_0^k, and the column of u each is compared with."""
    if not isinstance(net, PolynomialNetwork) or not net.bias or len(net.widths) != 3 or tuple(net.widths[1:]) != (2, 1):
        return None
    k, d0 = _power(net), net.widths[0]
    if k < 3 or d0 < 2:
        return None
    forms = PolynomialNetwork((d0 + 1, 2, 1), activation=k)
    exponents = np.asarray(forms.monomials)
    keep = np.flatnonzero(exponents[:, -1] < k)
    column = {tuple(int(a) for a in e): i for i, e in enumerate(np.asarray(net.monomials))}
    return forms, keep, np.array([column[tuple(int(a) for a in exponents[i, :-1])] for i in keep])


def biased_pair_available(net: object) -> str | None:
    """Why the biased pair's edge does not decide the boundary of ``net``, or None: two inputs
    (on three, monodromy on E alone ran for over 15 minutes without finishing)."""
    if _homogenized_of(net) is None or net.widths[0] != 2:  # type: ignore[attr-defined]
        return "the edge of neurons merging with the constant is charted for two inputs with biases, two neurons, z^k (k >= 3) and one output"
    return None


def biased_pair_quick(net: object) -> bool:
    """Cubes: a few samples a second (z^4 takes about 11 s a sample)."""
    return isinstance(net, PolynomialNetwork) and _power(net) == 3


def _power_patch(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The random real hyperplane v_1 . l = 1 of the chart of E of seed ``seed``."""
    return _affine(np.random.default_rng([seed, 0x9A1E]), n, 1)


def _line_patch(d0: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The random real hyperplane a . w = 1 of the blown-up chart of E of seed ``seed``."""
    return _affine(np.random.default_rng([seed, 0xB10E]), d0, 1)


def power_edge_chart(net: PolynomialNetwork, seed: int) -> Chart:
    """E (one output) as l^(k-1) v with l on a random real hyperplane (l -> lambda l, v ->
    lambda^(1-k) v reach it from almost every real l): coordinates those of l in the plane, then
    v."""
    n = net.widths[0]
    point, basis, _ = _power_patch(n, seed)
    nv = (n - 1) + n
    y = [pl.variable(i, nv) for i in range(n - 1)]
    l_ = [pl.add(pl.constant(point[j], nv), pl.linear_combination((basis[j, i], y[i]) for i in range(n - 1))) for j in range(n)]
    v = [pl.variable(n - 1 + j, nv) for j in range(n)]
    phi = _edge_coefficients(net, [pl.constant(0.0, nv)], [pl.constant(1.0, nv)], l_, v, nv)
    return Chart(phi=phi, n=nv, lift=lambda y: y, rank=None, top=False)


def blown_up_edge_chart(net: PolynomialNetwork, seed: int) -> Chart:
    """E (one output, forms in (x, x_0)) blown up where l meets x_0: l = x_0 + t (w . x)
    with w on a random real hyperplane, v = v_0 x_0 + (v . x) with v_0 = mu / t^2 and (v . x) = n -
    (k - 1) (mu / t) w. The part of l^(k-1) v of degree j in x is then the polynomial
    (C(k-1, j) - (k-1) C(k-1, j-1)) mu t^(j-2) (w . x)^j + C(k-1, j-1) t^(j-1) (w . x)^(j-1)
    (n . x) (n . x for j = 1), so near l = x_0, where v_0 grows as E approaches the triple
    point's set (its points at t = 0), the chart stays well conditioned; the hyperplane chart
    does not there (v_0 of 60 at l within 0.01 of x_0). Coordinates t, w's on the plane, mu, n."""
    k, d0 = _power(net), net.widths[0] - 1
    point, basis, _ = _line_patch(d0, seed)
    nv = 2 * d0 + 1
    t, mu = pl.variable(0, nv), pl.variable(d0, nv)
    w = [pl.add(pl.constant(point[j], nv), pl.linear_combination((basis[j, i], pl.variable(1 + i, nv)) for i in range(d0 - 1))) for j in range(d0)]
    n_ = [pl.variable(d0 + 1 + j, nv) for j in range(d0)]
    parts: dict[int, dict[tuple[int, ...], pl.Poly]] = {}
    for j in range(1, k + 1):
        binary = PolynomialNetwork((d0, 2, 1), activation=j)  # (forms of degree j in x)
        c = comb(k - 1, j) - (k - 1) * comb(k - 1, j - 1)
        a = pl.scale(pl.mul(mu, pl.power(t, j - 2, nv)), c) if j >= 2 else pl.constant(0.0, nv)
        b = pl.scale(pl.power(t, j - 1, nv), comb(k - 1, j - 1))
        coefficients = _edge_coefficients(binary, [a], [b], w, n_, nv)
        parts[j] = {tuple(int(a) for a in e): f for e, f in zip(np.asarray(binary.monomials), coefficients)}
    phi = [parts[k - int(e[-1])][tuple(int(a) for a in e[:-1])] if e[-1] < k else pl.constant(0.0, nv) for e in np.asarray(net.monomials)]
    return Chart(phi=phi, n=nv, lift=lambda y: y, rank=None, top=False)


def _edge_forms(net: PolynomialNetwork, seed: int, blown_up: bool, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(l, v) with l^(k-1) v the points Y of the chart of E of seed ``seed``."""
    k, n = _power(net), net.widths[0]
    if not blown_up:
        p0, B0, _ = _power_patch(n, seed)
        return p0 + Y[:, : n - 1] @ B0.T, Y[:, n - 1 :]
    d0 = n - 1
    p, B, _ = _line_patch(d0, seed)
    t, mu = Y[:, 0], Y[:, d0]
    w = p + Y[:, 1:d0] @ B.T
    L = np.column_stack([t[:, None] * w, np.ones(len(Y))])
    V = np.column_stack([Y[:, d0 + 1 :] - (k - 1) * (mu / t)[:, None] * w, mu / t**2])
    return L, V


def _edge_coordinates(net: PolynomialNetwork, seed: int, blown_up: bool, L: np.ndarray, V: np.ndarray) -> np.ndarray:
    """Coordinates in the chart of E of seed ``seed`` of l^(k-1) v (l -> lambda l, v ->
    lambda^(1-k) v keep the point)."""
    k, n = _power(net), net.widths[0]
    if not blown_up:
        p1, B1, V1 = _power_patch(n, seed)
        lam = 1.0 / (L @ V1[0])
        return np.column_stack([(lam[:, None] * L - p1) @ B1, V * lam[:, None] ** (1 - k)])
    d0 = n - 1
    p, B, a = _line_patch(d0, seed)
    lam = 1.0 / L[:, d0]
    L, V = lam[:, None] * L, V * lam[:, None] ** (1 - k)
    t = L[:, :d0] @ a[0]
    w = L[:, :d0] / t[:, None]
    mu = t**2 * V[:, d0]
    n_ = V[:, :d0] + (k - 1) * (t * V[:, d0])[:, None] * w
    return np.column_stack([t, (w - p) @ B, mu, n_])


def _rank_one_distance(Q: np.ndarray, exponents: np.ndarray) -> np.ndarray:
    """The squared distance from each row of Q (coefficients of binary quadratic forms at the
    monomials ``exponents``, their first two columns the powers of x_1, x_2) to the forms
    mu (x_1 + t x_2)^2 and mu x_2^2: |Q|^2 - max <Q, v^2>^2 / |v^2|^2 over v = (1, t) and (0, 1),
    v^2 = (1, 2 t, t^2). With h = <Q, v^2> and N = |v^2|^2 the critical t are the roots of
    h (2 h' N - h N'), the maxima among the real roots of the second factor."""
    at = {(int(e[0]), int(e[1])): i for i, e in enumerate(exponents)}
    a, b, c = Q[:, at[(2, 0)]], Q[:, at[(1, 1)]], Q[:, at[(0, 2)]]
    N = np.array([1.0, 0.0, 4.0, 0.0, 1.0])  # 1 + 4 t^2 + t^4, increasing powers
    dN = np.array([0.0, 8.0, 0.0, 4.0])
    best = c**2  # v = (0, 1)
    for i in range(len(Q)):
        h = np.array([a[i], 2 * b[i], c[i]])
        f = 2 * np.convolve(np.array([2 * b[i], 2 * c[i]]), N) - np.convolve(h, dN)
        # leading coefficients negligible against the rest only move roots towards t = oo,
        # where v = (0, 1) stands for them
        f = f[: 1 + int(np.flatnonzero(np.abs(f) > 1e-13 * np.abs(f).max(initial=0.0)).max(initial=0))]
        if len(f) < 2:
            continue
        roots = np.roots(f[::-1])
        t = roots.real[np.abs(roots.imag) <= 1e-9 * (1 + np.abs(roots))]
        if len(t):
            values = (a[i] + 2 * b[i] * t + c[i] * t**2) ** 2 / (1 + 4 * t**2 + t**4)
            best[i] = max(best[i], float(values.max()))
    return (Q**2).sum(axis=1) - best


class BiasedPairEdge(TangentEdge):
    """Boundary decisions for two neurons with biases on two inputs: 1 the nearest point of the
    closure of M_R is on E, on a neuron merged with the constant beside the other, or on both
    merged with it; 0 on M_R or a lower stratum; -1 undecided."""

    MERGED = 3  # the slice of one neuron, beside x_0^(k-1) m

    def __init__(self, net: PolynomialNetwork, seed: int) -> None:
        super().__init__(net, seed)
        reduced = _homogenized_of(net)
        assert reduced is not None, biased_pair_available(net)
        self.net, self._keep, self._columns = reduced
        self._powers = np.asarray(self.net.monomials)[self._keep, -1]  # of x_0, in each compared coefficient

    def _blown_up(self, s: int) -> bool:
        """Is the chart of E of seed s the blown-up one (the first and every other spare)?"""
        return (s - self.seed) // 1000 % 2 == 0

    def _chart(self, which: int, s: int) -> Chart:
        """0: E (blown up at x_0, or as l^(k-1) v), 1: the slice of M, 2 and 3: one neuron."""
        if which == 0:
            return blown_up_edge_chart(self.net, s) if self._blown_up(s) else power_edge_chart(self.net, s)
        return _neuron_slices(self.net, s)[min(which, 2) - 1]

    def _moved(self, which: int, source: int, dest: int, Y: np.ndarray) -> np.ndarray | None:
        if which == 0:
            L, V = _edge_forms(self.net, source, self._blown_up(source), Y)
            return _edge_coordinates(self.net, dest, self._blown_up(dest), L, V)
        return _moved_solutions(self.net, min(which, 2), source, dest, Y)

    def _kept(self, which: int) -> np.ndarray | None:
        """All coefficients but x_0^k; for MERGED also without those of x_0^(k-1) x_j."""
        if which != self.MERGED:
            return self._keep
        return self._keep[self._powers <= _power(self.net) - 2]

    def _divided(self, which: int, s: int) -> dict[int, int]:
        """The slice of M as without biases; E as l^(k-1) v has no factor to divide: its points
        with v = 0 would need l^(k-1) x_j . u = 0 for three j, of l in a plane."""
        return super()._divided(which, s) if which == self.SLICE else {}

    def _alive(self, which: int, X: np.ndarray) -> npt.NDArray[np.bool_]:
        """On E the points l^(k-1) v with v on the line of l (a single neuron's critical points,
        where the chart is singular: relative sizes 1e-13 and below against 0.15 and above for
        the others) are a component of their own that monodromy strays into; on the slice of M
        as without biases."""
        if which == self.SLICE:
            return super()._alive(which, X)
        if which != 0 or not len(X):
            return np.ones(len(X), dtype=bool)
        L, V = _edge_forms(self.net, self.seed, self._blown_up(self.seed), X)
        along = (V * L.conj()).sum(axis=1) / (np.abs(L) ** 2).sum(axis=1)
        with np.errstate(all="ignore"):
            off = np.linalg.norm(V - along[:, None] * L, axis=1) / np.linalg.norm(V, axis=1)
        return np.nan_to_num(off, nan=0.0) > ALIVE

    def _parts(self, U: npt.NDArray[np.float64], salt: int, needed: Needed) -> tuple[list[Part], list[Part]]:
        """The edge: E, the merged neuron and the triple point (closed form); the rest: M_R, one
        neuron and the constants."""
        assert self._columns is not None
        U = U[:, self._columns]
        k = _power(self.net)
        edge = [self._part(0, U, salt, needed), self._part(self.MERGED, U[:, self._powers <= k - 2], salt, needed), Part.closed(self._triple(U))]
        return edge, [self._part(1, U, salt, needed), self._part(2, U, salt, needed), Part.closed((U**2).sum(axis=1))]

    def _triple(self, U: npt.NDArray[np.float64]) -> np.ndarray:
        """Squared distances to mu x_0^(k-2) w^2 + x_0^(k-1) n: the coefficients of x_0^j,
        j <= k - 3, against 0, those of x_0^(k-2) against the binary squares mu w^2 in closed
        form."""
        k = _power(self.net)
        quadric = self._powers == k - 2
        near = _rank_one_distance(U[:, quadric], np.asarray(self.net.monomials)[self._keep[quadric]])
        return near + (U[:, self._powers <= k - 3] ** 2).sum(axis=1)


def biased_pair(net: Any, seed: int, cache: dict[str, Any]) -> BiasedPairEdge:
    if "biased pair" not in cache:
        cache["biased pair"] = BiasedPairEdge(net, seed)
    return cache["biased pair"]
