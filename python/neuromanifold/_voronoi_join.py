"""The edge of three neurons on binary forms: a neuron joined to the tangential variety, and the
osculating variety.

The network x -> sum_i c_i (l_i . x)^k on two inputs with three neurons and z^k, k >= 6, has for
its closure M the hypersurface of binary forms of Waring rank at most 3. A form f of rank 3 has
a unique apolar cubic g (3 < (k + 2) / 2), and f = sum c_i l_i^k for the linear forms l_i dual
to the roots of g. So a real f of M is the output of real neurons exactly when g has three
distinct real roots; with one real root and two complex conjugate ones it comes from complex
conjugate neurons. The closure of the real image M_R is the set of f with a real-rooted apolar
cubic (roots apart are neurons, and the set is closed as roots stay on the real projective
line), and its points off M_R are those whose cubic has a multiple root:

* a double root: f = c l_1^k + a l^k + b l^(k-1) m, the join J of a neuron with the tangential
  variety (two neurons merging along m);
* a triple root: f = l^(k-2) (a l^2 + b l m + c m^2), the osculating variety O (three merging);
* and the forms of rank at most 2 with their own edge, the tangential variety of two neurons
  (``_voronoi_tangent``), which J and O contain in their closures.

A real form of J (or O) of rank 3 has a real cubic g with a double (triple) root, which is real
(a complex one would come with its conjugate), so its chart coordinates (l_1 and l on random
real lines l . v = 1, m at a random real point, the rest the weights) are real. The nearest
point of the closure of M_R to data u is a real critical point of the distance in one of the
charts: J, O, the slice of M fixing one incoming weight per neuron (real there exactly for real
neurons), or the pieces of two neurons and fewer. The edge is hit when J, O or the two neurons'
edge hold the best point.

With m outputs the same holds for their common apolar cubic: each form in the span of three
k-th powers is annihilated by the cubic g of their roots (k - 2 linear conditions on g per
output), so for m (k - 2) >= 4 M is a proper subvariety (a hypersurface for binary quartics with
two outputs) on which g is unique at generic points, and J and O carry a weight per output
(c_o l_1^k + a_o l^k + b_o l^(k-1) m, l^(k-2) (a_o l^2 + b_o l m + c_o m^2)). The limit argument
is the same: the unit cubics g_n of a converging sequence of real points converge to a
real-rooted g, with a double or triple root off M_R.

One input with biases and three neurons, (1, 3, 1) with z^k, k >= 7, reduces to this as for two
neurons: the derivatives are three neurons on binary forms of degree k - 1 (in (x, 1)), and a
neuron merging with the constant (w_i -> 0) leaves a power of the constant's form there.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from . import _polynomials as pl
from ._charts import Chart
from ._voronoi_tangent import ALIVE, EdgePatch, Needed, Part, TangentEdge, _affine, _antiderivative_of, _moved_solutions, _neuron_slices, _power, _slice_divided, _slice_terms
from .architectures import PolynomialNetwork

Form = dict[tuple[int, ...], pl.Poly]  # a form in x with coefficients polynomial in the chart


def join_edge_available(net: object) -> str | None:
    """Why the join edge does not decide the boundary of ``net``, or None."""
    if _antiderivative_of(net, neurons=3) is not None:
        return None
    if not isinstance(net, PolynomialNetwork) or net.bias or tuple(net.widths[:2]) != (2, 3) or len(net.widths) != 3 or (_power(net) or 0) < 3:
        return "the join edge is charted for three neurons on two inputs with z^k and m outputs, m (k - 2) >= 4 (or one input with biases, k >= 7, one output)"
    if net.widths[2] * (_power(net) - 2) < 4:
        return (
            f"{net.spec}: where m (k - 2) < 4 three neurons on binary forms give M of the ambient dimension, with no unique "
            "apolar cubic (real membership decides its edge)"
        )
    return None


def _linear(l: list[pl.Poly]) -> Form:
    n = len(l)
    return {tuple(int(i == j) for i in range(n)): l[j] for j in range(n)}


def _times(f: Form, g: Form) -> Form:
    out: Form = {}
    for e, p in f.items():
        for h, q in g.items():
            key = tuple(a + b for a, b in zip(e, h))
            out[key] = pl.add(out[key], pl.mul(p, q)) if key in out else pl.mul(p, q)
    return out


def _power_of(f: Form, k: int, nv: int) -> Form:
    out: Form = {tuple(0 for _ in next(iter(f))): pl.constant(1.0, nv)}
    for _ in range(k):
        out = _times(out, f)
    return out


def _coefficients(net: PolynomialNetwork, terms: list[tuple[list[pl.Poly], Form]], nv: int) -> list[pl.Poly]:
    """Coefficients in the network's basis (output by output) of sum weights_o * form, each
    term's weights one per output."""
    out = []
    for o in range(net.widths[-1]):
        for e in (tuple(int(x) for x in row) for row in net.monomials.tolist()):
            parts = [pl.mul(w[o], f[e]) for w, f in terms if e in f]
            out.append(pl.add(*parts) if parts else pl.constant(0.0, nv))
    return out


def _on_line(point: np.ndarray, basis: np.ndarray, y: list[pl.Poly], nv: int) -> list[pl.Poly]:
    """The linear form point + basis y in the chart's variables y."""
    return [pl.add(pl.constant(point[j], nv), pl.linear_combination((basis[j, i], y[i]) for i in range(len(y)))) for j in range(len(point))]


def join_chart(net: PolynomialNetwork, seed: int) -> Chart:
    """J as (c_o l_1^k + a_o l^k + b_o l^(k-1) m)_o: l_1 and l on random real lines, m a random
    real point (on two inputs; the tangent part as in ``edge_chart``). Coordinates: l_1's, c,
    l's, m's, a, b (the weights one per output)."""
    n, k, outputs = net.widths[0], _power(net), net.widths[-1]
    patch = EdgePatch.draw(net, seed)
    p1, B1, _ = _affine(np.random.default_rng([seed, 0x501E]), n, 1)
    nv = 2 * (n - 1) + (n - 2) + 3 * outputs
    y = [pl.variable(i, nv) for i in range(nv)]
    l1 = _on_line(p1, B1, y[: n - 1], nv)
    at = n - 1 + outputs  # (the tangent part: l, m, a, b)
    l = _on_line(patch.pl, patch.Bl, y[at : at + n - 1], nv)
    m = _on_line(patch.pm, patch.Bm, y[at + n - 1 : at + 2 * n - 3], nv)
    a = y[at + 2 * n - 3 : at + 2 * n - 3 + outputs]
    c, b = y[n - 1 : at], y[at + 2 * n - 3 + outputs :]
    L = _linear(l)
    Lk1 = _power_of(L, k - 1, nv)
    terms = [(c, _power_of(_linear(l1), k, nv)), (a, _times(Lk1, L)), (b, _times(Lk1, _linear(m)))]
    return Chart(phi=_coefficients(net, terms, nv), n=nv, lift=lambda v: v, rank=None, top=False)


def osculating_chart(net: PolynomialNetwork, seed: int) -> Chart:
    """O as (l^(k-2) (a_o l^2 + b_o l m + c_o m^2))_o, l on a random real line, m a random real
    point. Coordinates: l's, m's, a, b, c (one per output)."""
    n, k, outputs = net.widths[0], _power(net), net.widths[-1]
    patch = EdgePatch.draw(net, seed)
    nv = (n - 1) + (n - 2) + 3 * outputs
    y = [pl.variable(i, nv) for i in range(nv)]
    L = _linear(_on_line(patch.pl, patch.Bl, y[: n - 1], nv))
    M = _linear(_on_line(patch.pm, patch.Bm, y[n - 1 : 2 * n - 3], nv))
    Lk2 = _power_of(L, k - 2, nv)
    w = y[2 * n - 3 :]
    a, b, c = w[:outputs], w[outputs : 2 * outputs], w[2 * outputs :]
    terms = [(a, _times(Lk2, _times(L, L))), (b, _times(Lk2, _times(L, M))), (c, _times(Lk2, _times(M, M)))]
    return Chart(phi=_coefficients(net, terms, nv), n=nv, lift=lambda v: v, rank=None, top=False)


def _osculating_point(patch: EdgePatch, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(l, m, (a, b, c)) at coordinates y of the osculating chart on ``patch`` (the weights (3,
    outputs))."""
    n = patch.n
    return patch.pl + patch.Bl @ y[: n - 1], patch.pm + patch.Bm @ y[n - 1 : 2 * n - 3], y[2 * n - 3 :].reshape(3, -1)


def _osculating_coordinates(patch: EdgePatch, l: np.ndarray, m: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Coordinates on ``patch`` of (l^(k-2) (a_o l^2 + b_o l m + c_o m^2))_o: with l = L / lam and
    m = (M - t L / lam) / s for L, M on the patch, the quadratics a_o l^2 + b_o l m + c_o m^2 in
    (L, M)."""
    k = patch.k
    lam = 1.0 / (patch.Vl @ l)[0]
    L = lam * l
    s, t = np.linalg.solve(np.column_stack([patch.Vm @ m, patch.Vm @ L]), np.array([0.0, 1.0]))
    M = s * m + t * L
    a, b, c = w
    # l = L / lam, m = (M - t L) / s (t taken for L): q(l, m) l^(k-2) in L, M
    u, v = 1.0 / lam, -t / s  # l = u L, m = v L + M / s
    aL = a * u * u + b * u * v + c * v * v
    bL = (b * u + 2 * c * v) / s
    cL = c / (s * s)
    scale = u ** (k - 2)
    return np.concatenate([patch.Bl.T @ (L - patch.pl), patch.Bm.T @ (M - patch.pm), scale * np.concatenate([aL, bL, cL])])


class JoinEdge(TangentEdge):
    """Boundary decisions for three neurons on binary forms: 1 the nearest point of the closure of
    M_R is on J, O or the two neurons' edge, 0 on M_R or fewer neurons, -1 undecided."""

    def __init__(self, net: PolynomialNetwork, seed: int) -> None:
        super().__init__(net, seed)
        reduced = _antiderivative_of(net, neurons=3)
        if reduced is not None:
            self.net, self._columns, self._factors = reduced
        # two neurons and fewer: the same network with one neuron less (its own reduction)
        pair = PolynomialNetwork((net.widths[0], 2, net.widths[2]), activation=net.activation, bias=net.bias)
        self.pair = TangentEdge(pair, seed + 17)
        # several outputs: J's critical points near c = 0 or b = 0 have condition numbers to
        # 1e14, and their paths fail in every chart for about one sample in ten; in extended
        # precision most come through (4 s a sample left; one output: 3.3 times the time)
        self.precise_last = net.widths[-1] > 1

    SLICE = 2

    def _chart(self, which: int, s: int) -> Chart:
        """0: J, 1: O, 2: the slice of M."""
        return (join_chart, osculating_chart, lambda net, s: _neuron_slices(net, s)[0])[which](self.net, s)

    def _moved(self, which: int, source: int, dest: int, Y: np.ndarray) -> np.ndarray | None:
        if which == 2:
            return _moved_solutions(self.net, 1, source, dest, Y)
        old, new = EdgePatch.draw(self.net, source), EdgePatch.draw(self.net, dest)
        if which == 1:
            return np.array([_osculating_coordinates(new, *_osculating_point(old, y)) for y in Y])
        line = lambda seed: _affine(np.random.default_rng([seed, 0x501E]), self.net.widths[0], 1)
        (p0, B0, _), (p1, B1, V1) = line(source), line(dest)
        n, k, outputs = self.net.widths[0], _power(self.net), self.net.widths[-1]
        at = n - 1 + outputs  # (the tangent part)
        out = []
        for y in Y:
            l1 = p0 + B0 @ y[: n - 1]
            lam = 1.0 / (V1 @ l1)[0]  # l_1 -> lam l_1 on the new line, c -> c / lam^k
            new_l1 = B1.T @ (lam * l1 - p1)
            out.append(np.concatenate([new_l1, y[n - 1 : at] / lam**k, new.coordinates(*old.point(y[at:]))]))
        return np.array(out)

    def _divided(self, which: int, s: int) -> dict[int, int]:
        """With one output: on J the columns of l_1 by c (every term has it), and as on E those
        of m by b and of l by b after dropping a k l^(k-1) D l: else the points with c = 0 or b =
        0 critical on the smaller charts are isolated critical points that monodromy strays into
        (194 beside J's 116 on binary sextics at one seed, tripling the paths of a loop and the
        loops). On the slice of M, ``_slice_divided``. With several outputs no column has one
        weight for a factor (as on E), and c = 0 leaves no isolated points: <u_o - p_o, l_1^k> = 0
        for every output o is more equations than l_1 has coordinates."""
        n, outputs = self.net.widths[0], self.net.widths[-1]
        if outputs != 1:
            return {}
        if which == self.SLICE:
            return _slice_divided(self.net, s)
        if which != 0:
            return {}
        c, b = n - 1, 3 * n - 2
        return {**{i: c for i in range(n - 1)}, **{i: b for i in range(n, 3 * n - 3)}}

    def _alive(self, which: int, X: np.ndarray) -> np.ndarray:
        """As for two neurons: points of J and of the slice of M whose every term is alive. Where
        an output weight or b vanishes the point is one of fewer neurons (their own charts), and
        those form components of their own, which monodromy can stray into (strays have a term
        of relative size 1e-10 and below, the others none below 1e-3); on J only c and b factor
        out of the equations (a = 0 is no component); O has none. The divided equations
        (``_divided``) have none at generic data, so this only guards the ends at the samples."""
        if which == 1 or not len(X):
            return np.ones(len(X), dtype=bool)
        terms = self._term_sizes(which, X)
        alive = terms if which == 2 else terms[:, [0, 2]]
        return alive.min(axis=1) > ALIVE * terms.max(axis=1)

    def _term_sizes(self, which: int, X: np.ndarray) -> np.ndarray:
        """|weights| |form|^k of each term at the chart points X of the first seed (the weights'
        norm over the outputs)."""
        n, k, outputs = self.net.widths[0], _power(self.net), self.net.widths[-1]
        if which == 2:
            return _slice_terms(self.net, self.seed, X)
        patch = EdgePatch.draw(self.net, self.seed)
        p1, B1, _ = _affine(np.random.default_rng([self.seed, 0x501E]), n, 1)
        size = lambda v: np.linalg.norm(v, axis=1)
        at = n - 1 + outputs
        l1 = p1 + X[:, : n - 1] @ B1.T
        l = patch.pl + X[:, at : at + n - 1] @ patch.Bl.T
        m = patch.pm + X[:, at + n - 1 : at + 2 * n - 3] @ patch.Bm.T
        c, a, b = X[:, n - 1 : at], X[:, at + 2 * n - 3 : at + 2 * n - 3 + outputs], X[:, at + 2 * n - 3 + outputs :]
        return np.column_stack([size(c) * size(l1) ** k, size(a) * size(l) ** k, size(b) * size(l) ** (k - 1) * size(m)])

    def _parts(self, U: npt.NDArray[np.float64], salt: int, needed: Needed) -> tuple[list[Part], list[Part]]:
        """The edge: J, O and the edge of two neurons; the rest: the slice of M and the rest of
        two neurons."""
        V = U[:, self._columns] if self._columns is not None else U
        join, osculating, slice_ = (self._part(which, V, salt, needed) for which in range(3))
        pair_edge, pair_rest = self.pair._parts(U, salt, needed)
        return [join, osculating, *pair_edge], [slice_, *pair_rest]


def join_edge(net: Any, seed: int, cache: dict[str, Any]) -> JoinEdge:
    if "join" not in cache:
        cache["join"] = JoinEdge(net, seed)
    return cache["join"]
