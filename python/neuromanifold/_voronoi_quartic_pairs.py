"""The edge of two layers of squares on two inputs, one of them of two neurons: binary quartics
that are quadratic forms in two quadratics.

The network (2, 2, 2, m) with z^2, no biases and m >= 2 outputs ((2, 2, 2, 2) is the smallest
deeper MLP whose M does not fill; with one output it fills) computes f_o = C_o1 g_1^2 + C_o2
g_2^2 with g_i = B_i1 l_1^2 + B_i2 l_2^2. So the quadratics U, V of a pencil P = span(l_1^2,
l_2^2) give each output as a binary quadratic form F_o(U, V), all F_o in one plane Q spanned by
the squares g_1^2, g_2^2 of two real members of P. A plane of binary quadratic forms holds two
real squares exactly when it holds a definite form: with F_1, F_2 spanning it, the determinant
on the pencil, s^2 det F_1 + s t mixed + t^2 det F_2, is then indefinite, h(F_1, F_2) =
mixed^2 - 4 det F_1 det F_2 > 0 (h changes by a positive factor with the basis, of the plane or
of (U, V)). So M_R is {(F_o(U, V))_o : P and Q hold definite forms} (P's two real squares are
l_1^2, l_2^2), an open part of the real points of the Zariski closure X = {F_o in a plane of
Sym^2 P} (dimension 2m + 4 of 5m); X's other real points have complex conjugate g's or l's.
Real parameters reach their limits in two ways, the edges:

* A, two layer-2 neurons merging (Q tangent to the squares of P, h = 0 on Q): f_o = g h_o with
  g and h_o in P, real (2m + 3 dimensions);
* B, two first-layer neurons merging (l_2 -> l_1: P tends to l span(l, n)): f_o = l^2 q_o with
  the binary quadratics q_o in a plane holding a definite form (2m + 3 dimensions);

which meet in the corner C = {l^2 m n_o} (2m + 2 dimensions, h = 0 on B's plane), singular
along D = {l^3 n_o} (2m + 1 dimensions, m = l). None of them is in M_R (a multiple of l^2 or of
a member of P is in the image only where it is a lower stratum). Within M_R the charts of X are
singular where they meet one layer-2 neuron, c (x) g^2 (g any real binary quadratic: its real
rank is at most 2), and one first-layer neuron, c (x) l^4. Proportional outputs (the F_o on one
line of Q, in M_R; X is singular there for m >= 3) bound X's admitted part too, but they are
nearest for a null set only: a definite G added to that line F spans a plane holding a definite
form, whose best point is nearer unless the residual is orthogonal to G, for every definite G
(an open set); likewise on B.

So the nearest point of the closure of M_R to data u is a real critical point of the distance
on one of the pieces, admitted where it lies in the closure: on X where P and Q hold definite
forms, on A where P does, on B where the q's plane does, on C, on D, on c (x) g^2, on c (x) l^4,
or 0. The edge is hit when the best of A, B, C, D beats the others. Every piece is charted with
its forms on random real patches and its planes in random real graph charts (a real point of the
piece has real coordinates, up to a null set); charting P rather than l_1 and l_2 keeps the
neurons' swap out and the degrees low.

With three or more first-layer neurons, (2, h, 2, m) with h >= 3, the squares l_j^2 span every
binary quadratic: g_1, g_2 are any real quadratics, P any real pencil, and first-layer neurons
merging leave that span. So M_R is {F_o(U, V) : Q holds a definite form} with P free, B (P
tangent to the squares) lies in it, and the edge is A alone, g h_o with g and h_o in any real
pencil; the rest is X and one layer-2 neuron (c l^4 is a point of c g^2 where its chart is
regular), or 0.

With three or more layer-2 neurons on two first-layer ones, (2, 2, h, m) with h >= 3, the
squares of three distinct members of P span Sym^2 P (U^2, U V, V^2), so the F_o are free: M_R
is {F_o(U, V) : P holds a definite form} (dimension 3m + 2). Layer-2 neurons merging stay in
it, and P tends to a pencil with a base point, l span(l, n), whose Sym^2 is l^2 times every
binary quadratic: the edge is B with the q_o free, l^2 q_o (3m + 1 dimensions; its points lie in
no Sym^2 of a pencil with two real squares but where the q_o are special), singular along D,
which is singular along c l^4 (a point of M_R). X's chart is an immersion but where the F_o
are multiples of one square (dF_o(U, V) on a direction out of P is a member of P times one out
of it, in Sym^2 P only where it is 0), c g^2, a point of M_R. So the edge is B or D, the rest
X where P holds a definite form, c g^2, c l^4, or 0.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _polynomials as pl
from ._charts import Chart
from ._voronoi_cubed_cubics import _form, _power_of, _times
from ._voronoi_cubed_cubics import _Patches as _CubicsPatches
from ._voronoi_tangent import Part, TangentEdge, _affine, _power
from .architectures import PolynomialNetwork

PENCIL_BAND = 1e-9  # relative: a real critical point with |h| below this is on the seam of its piece

# by (the first layer's squares span the quadratics, the second's span Sym^2 P): (A, B, C, D) and
# (X, one layer-2 neuron, one first-layer neuron; then 0); (A) and (X, one layer-2 neuron); (B,
# D) and (X, one layer-2 neuron, one first-layer neuron)
PIECES = {(False, False): ((0, 3, 4, 5), (1, 2, 6)), (True, False): ((0,), (1, 2)), (False, True): ((3, 5), (1, 2, 6))}


def quartic_pairs_available(net: object) -> str | None:
    """Why the edge of pairs of quartics does not decide the boundary of ``net``, or None."""
    if not isinstance(net, PolynomialNetwork) or net.bias or len(net.widths) != 4 or net.widths[0] != 2 or min(net.widths[1:]) < 2 or min(net.widths[1:3]) > 2 or _power(net) != 2:
        return "the edge of binary quartics of two layers of squares is charted for (2, h, 2, m) and (2, 2, h, m) with z^2, h, m >= 2, only"
    return None


def definite_member(F1: npt.NDArray[np.float64], F2: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """h(F_1, F_2) for binary quadratic forms (coefficients a, b, c of a s^2 + b s t + c t^2 on
    the last axis): positive where their pencil holds a definite form, 0 where they share a
    root (the determinant on the pencil, s^2 det F_1 + s t mixed + t^2 det F_2, indefinite)."""
    a1, b1, c1 = (F1[..., i] for i in range(3))
    a2, b2, c2 = (F2[..., i] for i in range(3))
    mixed = a1 * c2 + a2 * c1 - b1 * b2 / 2
    return mixed**2 - 4 * (a1 * c1 - b1 * b1 / 4) * (a2 * c2 - b2 * b2 / 4)


def _holds_definite(F1: npt.NDArray[np.float64], F2: npt.NDArray[np.float64], sign: int = 1) -> npt.NDArray[np.bool_]:
    """h(F_1, F_2) >= 0 within the band, h judged against the forms' size (sign -1: h <= 0
    within the band, the plane holds no definite form)."""
    size = np.maximum(np.abs(F1).max(axis=-1), np.abs(F2).max(axis=-1))
    return sign * definite_member(F1, F2) >= -PENCIL_BAND * size**4


def _graph_basis(E: np.ndarray, r: np.ndarray) -> np.ndarray:
    """The basis E_1 + r_1 E_3, E_2 + r_2 E_3 (rows) of the plane of R^3 at graph coordinates r
    (on the last axis) in the orthonormal basis E (columns): almost every plane has one."""
    return np.stack([E[:, 0] + r[..., 0:1] * E[:, 2], E[:, 1] + r[..., 1:2] * E[:, 2]], -2)


def _graph_coordinates(E: np.ndarray, plane: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The graph coordinates in E of the plane spanned by the rows of ``plane``, and the rows'
    coordinates in its graph basis (their components along E_1 and E_2)."""
    normal = np.cross(plane[0], plane[1])
    return -np.array([normal @ E[:, 0], normal @ E[:, 1]]) / (normal @ E[:, 2]), plane @ E[:, :2]


def _graph_polys(E: np.ndarray, r1: pl.Poly, r2: pl.Poly, nv: int) -> list[list[pl.Poly]]:
    """``_graph_basis`` with the coordinates r polynomials."""
    e = [[pl.constant(float(x), nv) for x in E[:, i]] for i in range(3)]
    one = pl.constant(1.0, nv)
    return [_combination([one, r1], [e[0], e[2]]), _combination([one, r2], [e[1], e[2]])]


def _symmetric(F: np.ndarray) -> np.ndarray:
    """Binary quadratic forms (a, b, c) as symmetric matrices."""
    return np.stack([np.stack([F[..., 0], F[..., 1] / 2], -1), np.stack([F[..., 1] / 2, F[..., 2]], -1)], -2)


def _in_basis(F: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Forms F (rows of coefficients of U^2, U V, V^2) in the basis (U', V') with (U, V) =
    T (U', V'): the matrices T^t S T."""
    S = np.einsum("ia,...ij,jb->...ab", T, _symmetric(F), T)
    return np.stack([S[..., 0, 0], 2 * S[..., 0, 1], S[..., 1, 1]], -1)


class _Patches(_CubicsPatches):
    """The random real patches of the charts of seed s: linear forms on lines of R^2 (l of B, C,
    D and one first-layer neuron; m of C), g of A on a line of its pencil's coordinates, the
    quadratic g of one layer-2 neuron on a plane of R^3; and an orthonormal basis of R^3 (the
    coefficients of x^2, x y, y^2) for the graph chart of the pencil of X and A."""

    def __init__(self, s: int) -> None:
        rng = np.random.default_rng([s, 0x9A125])
        self.lines = [_affine(rng, 2, 1) for _ in range(2)]
        self.span = _affine(rng, 2, 1)
        self.quadric = _affine(rng, 3, 1)
        self.pencil = np.linalg.qr(rng.standard_normal((3, 3)))[0]


def _combination(coefficients: list[pl.Poly], forms: list[list[pl.Poly]]) -> list[pl.Poly]:
    """sum_i coefficients[i] forms[i] for forms of one degree (coefficients by the power of y)."""
    return [pl.add(*(pl.mul(c, f[j]) for c, f in zip(coefficients, forms))) for j in range(len(forms[0]))]


class QuarticPairsEdge(TangentEdge):
    """Boundary decisions for (2, h, 2, m) and (2, 2, h, m) with z^2, m >= 2: 1 the nearest point
    of the closure of M_R is on an edge (A, B, C or D; for (2, h >= 3, 2, m) A; for (2, 2, h >= 3,
    m) B with free q's or D), 0 on M_R (X where the pencil and the outputs' plane hold definite
    forms, for (2, h >= 3, 2, m) where the plane does, for (2, 2, h >= 3, m) where the pencil
    does, with free F's; one layer-2 neuron; for two first-layer neurons one of them; 0), -1
    undecided."""

    SLICE = -1  # no chart here is a slice of the network's parameters

    # coordinates of the forms in chart ``which``, then per output: A (pencil, g; h_o), X
    # (pencil, F_1, F_2; the weights of F_o on them for o > 2), one layer-2 neuron (g; c_o), B (l,
    # q_1, q_2; the weights of q_o), C (l, m; n_o), D (l; n_o), one first-layer neuron (l; c_o).
    # The first two outputs' forms span the plane of all (almost everywhere): with two outputs
    # the charts are linear in them, with half the paths' time of a chart of the plane. Where
    # layer 2's squares span Sym^2 P, X and B have every output's form free instead.
    FORMS = {0: 3, 1: 8, 2: 2, 3: 7, 4: 2, 5: 1, 6: 1}
    PER_OUTPUT = {0: 2, 1: 2, 2: 1, 3: 2, 4: 2, 5: 2, 6: 1}

    def __init__(self, net: PolynomialNetwork, seed: int) -> None:
        super().__init__(net, seed)
        self.outputs = net.widths[-1]
        self.spanning = net.widths[1] >= 3  # the first layer's squares span the quadratics
        self.free = net.widths[2] >= 3  # layer 2's squares span Sym^2 P: the outputs' forms are free
        self.forms, self.per_output = dict(self.FORMS), dict(self.PER_OUTPUT)
        if self.free:
            self.forms.update({1: 2, 3: 1})
            self.per_output.update({1: 3, 3: 3})
        # with three or more outputs a few paths fail in every chart for about one sample in six
        # (0.5 samples/s); a last track in extended precision decides most of them
        self.precise_last = self.outputs > 2
        self.degrees = np.asarray(net.monomials)[:, 1]  # each coefficient's power of y

    def _blocks(self, which: int) -> int:
        """The number of per-output blocks of coordinates of chart ``which``."""
        return self.outputs - 2 if which in (1, 3) and not self.free else self.outputs

    def _chart(self, which: int, s: int) -> Chart:
        """Chart ``which`` of seed s (0: A, 1: X, 2: one layer-2 neuron, 3: B, 4: C, 5: D, 6: one
        first-layer neuron)."""
        P = _Patches(s)
        k, per = self.forms[which], self.per_output[which]
        nv = k + per * self._blocks(which)
        var = lambda i: pl.variable(i, nv)  # noqa: E731
        out = [[var(k + per * o + j) for j in range(per)] for o in range(self._blocks(which))]
        if which in (1, 3) and not self.free:  # the first two outputs' forms, the others' weights on them
            first = [[var(k - 6 + 3 * o + j) for j in range(3)] for o in range(2)]
            out = first + [_combination(w, first) for w in out]
        if which in (0, 1):
            U, V = _graph_polys(P.pencil, var(0), var(1), nv)
            if which == 1:
                squares = [_times(U, U, nv), _times(U, V, nv), _times(V, V, nv)]
                forms = [_combination(F, squares) for F in out]
            else:
                g = _combination(_form(*P.span[:2], 2, nv), [U, V])
                forms = [_times(g, _combination(h, [U, V]), nv) for h in out]
        elif which == 2:
            g2 = _power_of(_form(*P.quadric[:2], 0, nv), 2, nv)
            forms = [[pl.mul(c[0], a) for a in g2] for c in out]
        else:
            l = _form(*P.lines[0][:2], 0, nv)
            if which == 3:
                forms = [_times(_power_of(l, 2, nv), q, nv) for q in out]
            elif which == 4:
                lm = _times(_power_of(l, 2, nv), _form(*P.lines[1][:2], 1, nv), nv)
                forms = [_times(lm, n, nv) for n in out]
            elif which == 5:
                forms = [_times(_power_of(l, 3, nv), n, nv) for n in out]
            else:
                forms = [[pl.mul(c[0], a) for a in _power_of(l, 4, nv)] for c in out]
        return Chart(phi=[forms[o][int(j)] for o in range(self.outputs) for j in self.degrees], n=nv, lift=lambda y: y, rank=None, top=which == 1)

    def _divided(self, which: int, s: int) -> dict[int, int]:
        return {}

    def _moved(self, which: int, source: int, dest: int, Y: np.ndarray) -> np.ndarray | None:
        """The points at coordinates Y of chart ``which`` of seed ``source`` in the chart of seed
        ``dest``: each form rescaled onto the other patch, planes in the other graph chart, the
        outputs' weights against them."""
        old, new = _Patches(source), _Patches(dest)
        k, per, m = self.forms[which], self.per_output[which], self._blocks(which)
        spanned = 3 * (self.outputs if self.free else 2)  # the coordinates of the forms spanning the outputs
        out = []
        for y in Y:
            w = y[k:].reshape(m, per)
            if which in (0, 1):
                UV = _graph_basis(old.pencil, y[:2])
                s, T = _graph_coordinates(new.pencil, UV)  # (U, V) = T (U', V')
                if which == 1:  # (the weights on F_1, F_2 stay)
                    F = y[2 : 2 + spanned].reshape(-1, 3)
                    out.append(np.r_[s, _in_basis(F, T).ravel(), y[2 + spanned :]])
                else:
                    zg, mu = new.coordinates(new.span, _Patches.at(old.span, y[2:3]) @ T)
                    out.append(np.r_[s, zg, (w @ T / mu).ravel()])
            elif which == 2:
                zg, mu = new.coordinates(new.quadric, _Patches.at(old.quadric, y[:2]))
                out.append(np.r_[zg, (w / mu**2).ravel()])
            else:
                zl, lam = new.coordinates(new.lines[0], _Patches.at(old.lines[0], y[:1]))
                if which == 3:
                    out.append(np.r_[zl, y[1 : 1 + spanned] / lam**2, y[1 + spanned :]])
                elif which == 4:
                    zm, mu = new.coordinates(new.lines[1], _Patches.at(old.lines[1], y[1:2]))
                    out.append(np.r_[zl, zm, (w / (lam**2 * mu)).ravel()])
                else:
                    out.append(np.r_[zl, (w / lam ** {5: 3, 6: 4}[which]).ravel()])
        return np.array(out, dtype=complex).reshape(len(Y), k + per * m)

    def _alive(self, which: int, X: np.ndarray) -> npt.NDArray[np.bool_]:
        """No strays: the charts have no term that can vanish on a component of its own."""
        return np.ones(len(X), dtype=bool)

    def _admitted(self, which: int, Y: npt.NDArray[np.float64], seed: int) -> npt.NDArray[np.bool_]:
        """The real critical points in the closure of M_R, read in the patches of the chart's
        seed: on X and A where the pencil holds a definite form (two real squares l_1^2, l_2^2);
        on X and B where the outputs' plane does (F in U, V; q in x), h >= 0 (within the band);
        (not where layer 2's squares span Sym^2 P); every real point of the other pieces."""
        ok = np.ones(len(Y), dtype=bool)
        if which not in (0, 1, 3) or not len(Y):
            return ok
        P = _Patches(seed)
        if which in (0, 1) and not self.spanning:
            UV = _graph_basis(P.pencil, Y[:, :2])
            ok &= _holds_definite(UV[:, 0], UV[:, 1])
        if which in (1, 3) and not self.free:
            at = self.forms[which] - 6
            ok &= _holds_definite(Y[:, at : at + 3], Y[:, at + 3 : at + 6])
        return ok

    def _parts(self, U: npt.NDArray[np.float64], salt: int, needed: Any) -> tuple[list[Part], list[Part]]:
        edge_pieces, rest_pieces = PIECES[self.spanning, self.free]
        edge = [self._part(w, U, salt, needed) for w in edge_pieces]
        rest = [self._part(w, U, salt, needed) for w in rest_pieces]
        return edge, rest + [Part.closed((U**2).sum(axis=1))]


class OutsideTwoNeurons(QuarticPairsEdge):
    """The part of M that two neurons of one layer reach, of the dimension of M: in (2, 2, h >= 3,
    2) the image of (2, 2, 2, 2), F_1, F_2 in U, V whose plane holds a definite form (above); in
    (2, h >= 3, 2, m) the image of (2, 2, 2, m), the pencil P holding one. Decisions: 1 the
    nearest point of the closure of M_R is outside the part (on the edge, or on X where that
    plane holds no definite form: side 7 of X's one track), 0 in it (X where it holds one, the
    one-neuron strata, 0), -1 undecided. On the seam between the two (h = 0: points of g h_o, or
    of l^2 q_o) both sides admit a band, so a nearest point there is a tie, as it is for a null
    set only (M is smooth across it)."""

    SOLVES_AS = "QuarticPairsEdge"  # the same charts, with their solves

    def __init__(self, net: PolynomialNetwork, seed: int) -> None:
        super().__init__(net, seed)
        self.first_layer = self.spanning  # the part of two first-layer neurons (else of layer 2)

    def _admitted(self, which: int, Y: npt.NDArray[np.float64], seed: int) -> npt.NDArray[np.bool_]:
        """On X as above and where the part's plane (P, or the F's) holds a definite form (side
        1) or does not (side 7), each within the band; as above elsewhere."""
        ok = super()._admitted(1 if which == 7 else which, Y, seed)
        if which in (1, 7) and len(Y):
            if self.first_layer:
                UV = _graph_basis(_Patches(seed).pencil, Y[:, :2])
                F1, F2 = UV[:, 0], UV[:, 1]
            else:
                F1, F2 = Y[:, 2:5], Y[:, 5:8]
            ok &= _holds_definite(F1, F2, sign=1 if which == 1 else -1)
        return ok

    def _parts(self, U: npt.NDArray[np.float64], salt: int, needed: Any) -> tuple[list[Part], list[Part]]:
        edge, rest = PIECES[self.spanning, self.free]
        beyond, within = self._parts_of(1, U, salt, needed, (7, 1))  # X tracked once, split at the seam
        outside = [self._part(w, U, salt, needed) for w in edge] + [beyond]
        inside = [within if w == 1 else self._part(w, U, salt, needed) for w in rest]
        return outside, inside + [Part.closed((U**2).sum(axis=1))]


def two_neurons_part_available(net: object, part: object, method: str = "exhaustive") -> str | None:
    """Why the decisions of a part of M of (2, 2, h >= 3, m) or (2, h >= 3, 2, m) (neurons of the
    wide layer switched off, of the dimension of M) are not exact here, or None."""
    if quartic_pairs_available(net) is not None or not isinstance(net, PolynomialNetwork) or not isinstance(part, PolynomialNetwork) or part.bias:
        return "parts are decided for (2, 2, h, m) and (2, h, 2, m) with z^2 only"
    wide = _wide_layer(net)
    kept = [i for i in range(4) if i != wide]
    if net.widths[wide] < 3 or [part.widths[i] for i in kept] != [net.widths[i] for i in kept] or part.widths[wide] < 2:
        return "parts are decided for neurons of the wide layer of (2, 2, h >= 3, m) or (2, h >= 3, 2, m) only"
    if wide == 2 and part.widths[2] == 2 and net.widths[3] != 2:
        return "two layer-2 neurons make a part of M with two outputs only"
    if wide == 1 and net.widths[3] > 2 and method == "auto":
        return "(2, h, 2, m) with m >= 3 outputs is decided under \"exhaustive\" only (seconds a sample)"
    return None


def _wide_layer(net: PolynomialNetwork) -> int:
    """The hidden layer of three or more neurons, whose neurons a part switches off."""
    return 1 if net.widths[1] >= 3 else 2


def part_decider(net: PolynomialNetwork, part: PolynomialNetwork) -> Callable[[Any, int, dict[str, Any]], QuarticPairsEdge]:
    """The decider of a part that ``two_neurons_part_available`` admits: with two neurons left
    in the wide layer ``two_neurons_part``; with more the part's image is M_R, missed where the
    edge is hit, ``quartic_pairs``."""
    return two_neurons_part if part.widths[_wide_layer(net)] == 2 else quartic_pairs


def two_neurons_part(net: Any, seed: int, cache: dict[str, Any]) -> QuarticPairsEdge:
    """The decider of the part of M that two neurons of the wide layer reach."""
    if "two_neurons_part" not in cache:
        cache["two_neurons_part"] = OutsideTwoNeurons(net, seed)
    return cache["two_neurons_part"]


def quartic_pairs(net: Any, seed: int, cache: dict[str, Any]) -> QuarticPairsEdge:
    if "quartic_pairs" not in cache:
        cache["quartic_pairs"] = QuarticPairsEdge(net, seed)
    return cache["quartic_pairs"]
