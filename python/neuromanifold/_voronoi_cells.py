"""Upper bounds on the dimension of the Voronoi cell of a stratum of a neuromanifold, from the
two-sided tangent directions that the real fibers of mu give at its points.

If p = mu(theta) is the nearest point of M = mu(R^N) to data u, then for every real theta with
mu(theta) = p and every v the curve e -> mu(theta + e v) lies in M and passes p at e = 0 from
both sides, so the derivative of |u - mu(theta + e v)|^2 at e = 0 vanishes: u - p is orthogonal
to D mu(theta) v. Hence u - p is orthogonal to W_p, the span of the images of D mu at all real
points of the fiber of p, and the Voronoi cell of a stratum S (the data whose nearest point lies
on S) is contained in {p + w : p in S, w orthogonal to W_p}, of dimension at most
dim S + A - dim W_p (A the ambient dimension). It is null (probability 0 for data with a
density) when dim W_p > dim S.

A cusp or an edge has no two-sided directions beyond its own (W_p = T_p S), and there the bound
says nothing, as it should: those cells can be full-dimensional. At a subnetwork the fiber holds
the parameters of the switched-off neuron with its outgoing weights zero and its incoming
weights anything; the outgoing weights then move p in the directions of the neuron's function,
both ways. With one hidden layer mu is a sum over neurons, so these directions do not depend on
p, and the bound holds at every point of S; for deeper networks they do, and the bound is
computed at random (generic) points of S, except for two or more hidden layers with z^k, where
the directions that every point of S has give one (``_layers_bound``), and for lightning
attention (``_attention_everywhere``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from math import comb
from typing import Any

import numpy as np
import numpy.typing as npt

from .architectures import Network
from .evaluation import NeuromanifoldAt, kinks_among_points

RANK_TOL = 1e-8  # relative: singular values below this times the largest are zero
SAME_IMAGE = 1e-9  # relative: a fill of switched-off parameters that moves mu less stays in the fiber
STALE = 12  # fiber points in a row that add no direction end the search at a point of the stratum
TRIALS = 2  # random points of the stratum


@dataclass(frozen=True)
class VoronoiCellBound:
    """What the two-sided tangent directions of M at the points of a stratum say about its
    Voronoi cell. ``two_sided_dim`` is dim W_p (the span of the images of D mu over the real
    fiber of p, as far as found); ``cell_dim`` = min(A, stratum_dim + A - two_sided_dim) bounds
    the dimension of the cell; ``null`` says cell_dim < A, so the stratum is nearest for a null
    set of data. ``everywhere``: the bound holds at every point of the stratum (mu separates
    into the stratum's parameters and the switched-off ones, as with one hidden layer), not
    only at the generic points of a random draw."""

    stratum: str
    stratum_dim: int
    ambient_dim: int
    two_sided_dim: int
    cell_dim: int
    null: bool
    everywhere: bool

    def __str__(self) -> str:
        if not self.null:
            return (
                f"{self.stratum}: no bound (two-sided directions span {self.two_sided_dim}, the stratum has dimension "
                f"{self.stratum_dim}); its Voronoi cell may be full-dimensional"
            )
        where, what = ("at every point", "probability 0") if self.everywhere else ("at generic points", "probability 0 off a lower-dimensional part of the stratum")
        return (
            f"{self.stratum}: Voronoi cell of dimension <= {self.cell_dim} < {self.ambient_dim} ({where}: two-sided "
            f"directions span {self.two_sided_dim} > {self.stratum_dim} = dim of the stratum), {what}"
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Span:
    """An orthonormal basis of the span of the blocks of directions added so far; each block is
    scaled to norm 1 first, since the fiber points give derivatives of any size."""

    def __init__(self, dim: int) -> None:
        self.basis = np.zeros((dim, 0))

    def add(self, block: npt.NDArray[np.float64]) -> bool:
        """Add the columns of ``block``; True when the span grew."""
        norm = np.abs(block).max(initial=0.0)
        if norm == 0.0:
            return False
        U, sv, _ = np.linalg.svd(np.hstack([self.basis, block / norm]), full_matrices=False)
        rank = int((sv > RANK_TOL * sv[0]).sum())
        grew = rank > self.basis.shape[1]
        self.basis = U[:, :rank]
        return grew

    @property
    def dim(self) -> int:
        return self.basis.shape[1]


def _fiber_point(net: Any, theta0: npt.NDArray[np.float64], p: npt.NDArray[np.float64], off: npt.NDArray[np.int64], rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """A real point of the fiber of p = mu(theta0): the switched-off parameters filled with
    random values one at a time in a random order, each kept when mu does not move (mu is
    polynomial, so a random value that keeps it keeps it for every value, given the ones
    filled before)."""
    scale = 1.0 + np.abs(p).max(initial=0.0)
    theta = theta0.copy()
    anchored = _first_layer_biases(net)
    order = rng.permutation(off)
    if anchored:
        # first-layer weights, then their biases (drawn against them), then the rest: an output
        # weight drawn before the kink is placed would stay only on a neuron dead at every input
        first = net.widths[0] * net.widths[1]
        order = np.array(sorted(order, key=lambda j: 0 if j < first else 1 if j in anchored else 2), dtype=np.int64)
    for j in order:
        theta[j] = _anchored_bias(net, theta, anchored[j], rng) if j in anchored else rng.standard_normal()
        if np.abs(net.mu(theta) - p).max(initial=0.0) > SAME_IMAGE * scale:
            theta[j] = 0.0
    return theta


def _first_layer_biases(net: Any) -> dict[int, int]:
    """The first-layer biases of a ReLU network at input points, by index, with their neurons."""
    if not isinstance(net, NeuromanifoldAt) or not net.net.bias:
        return {}
    d0, d1 = net.widths[0], net.widths[1]
    return {d0 * d1 + r: r for r in range(d1)}


def _anchored_bias(net: NeuromanifoldAt, theta: npt.NDArray[np.float64], r: int, rng: np.random.Generator) -> float:
    """A bias that puts the kink of first-layer neuron r among the input points (else its
    directions are affine or dead and the span found falls short)."""
    d0 = net.widths[0]
    return float(kinks_among_points((theta[r * d0 : (r + 1) * d0] @ net.X)[None, :], rng)[0])


def _separates(net: Any, on: npt.NDArray[np.int64], off: npt.NDArray[np.int64], rng: np.random.Generator) -> bool:
    """Is mu(theta) = g(theta_on) + h(theta_off)? Then the directions that the switched-off
    parameters give at the fiber points do not depend on the point of the stratum. For a
    polynomial mu the mixed second derivatives vanish identically when they vanish at a random
    point; ReLU networks with one hidden layer are sums over their neurons."""
    if isinstance(net, NeuromanifoldAt):
        return len(net.widths) == 3
    if not isinstance(net, Network) or not len(on) or not len(off):
        return True
    H = net.hessian(rng.standard_normal(net.n_params))
    mixed = H[:, on][:, :, off]
    return bool(np.abs(mixed).max(initial=0.0) <= 1e-10 * (1.0 + np.abs(H).max(initial=0.0)))


def cell_bound(net: Any, stratum: Any, seed: int) -> VoronoiCellBound | None:
    """The bound for one stratum (``support``: its parameters; a point stratum: the zero
    function), or None when the stratum has no parameters of the network."""
    name, dim, support, point = stratum.name, stratum.dim, stratum.support, stratum.point
    A = net.ambient_dim
    if stratum.rank is not None:
        # M is a determinantal variety (the matrices of rank <= r; residual linear networks:
        # all square matrices): at a matrix of rank below r, M holds the line through it in
        # every rank-one direction, and those span all matrices
        return VoronoiCellBound(name, dim, A, A, dim, dim < A, True)
    if support is None and not point:
        return None
    on = np.array(support or (), dtype=np.int64)
    off = np.setdiff1d(np.arange(net.n_params), on)
    rng = np.random.default_rng([seed, 0x5EC7, len(on)])
    best, best_switched = 0, 0
    for _ in range(TRIALS):
        # W_p at one random point p of the stratum: the largest over the trials is the generic value
        two_sided, switched = _Span(A), _Span(A)
        theta0 = np.zeros(net.n_params)
        theta0[on] = rng.standard_normal(len(on))
        p = net.mu(theta0)
        two_sided.add(net.jacobian(theta0))
        stale = 0  # fiber points in a row that added no direction
        while stale < STALE and (two_sided.dim < A or switched.dim < A):
            J = net.jacobian(_fiber_point(net, theta0, p, off, rng))
            # the switched-off parameters' own directions: W_p holds them at every point of S when mu separates
            grew = switched.add(J[:, off])
            stale = 0 if two_sided.add(J) or grew else stale + 1
        best, best_switched = max(best, two_sided.dim), max(best_switched, switched.dim)
    # the dimension of a ReLU stratum is a largest rank over random draws; the bound takes one
    # that holds for every piece: parameters less one positive rescaling per hidden neuron
    top = _relu_dimension_bound(net, on) if isinstance(net, NeuromanifoldAt) else dim
    everywhere = best_switched > top and _separates(net, on, off, rng)
    rank = best_switched if everywhere else best
    if not everywhere and not point:
        # the constant functions (biases): every hidden neuron off
        hidden = tuple(getattr(net, "widths", ())[1:-1])
        widths = tuple(0 for _ in hidden) if stratum.network is None else tuple(getattr(stratum.network, "widths", ())[1:-1])
        guaranteed = _layers_everywhere(net, widths, seed) if hidden else _attention_everywhere(net, dim)
        if guaranteed is not None:
            everywhere, rank = True, guaranteed
    cell = min(A, top + A - rank)
    return VoronoiCellBound(name, dim, A, rank, cell, cell < A, everywhere)


def _two_hidden_layers_bound(net: Any, a: int, b: int) -> int:
    """A lower bound for dim W_p at every point p of the subnetwork with a and b neurons left in
    the hidden layers of net = (d0, h1, h2, m) with c z^k, off the images of its own smaller
    subnetworks. W_p holds the images of D mu at every real point of the fiber, where switched-off
    neurons have zero outgoing weights and any incoming ones. Forms in d = d0 variables, or in
    d = d0 + 1 with biases (in (x, 1): a neuron's input is any linear form l in them, and layer 2
    adds the constant's power z^k).

    * Neurons off in both layers: an off neuron of layer 2 fed by an off neuron of layer 1 alone
      computes c l^(k^2), and its outgoing weights move p along e_o l^(k^2) for every l: these
      powers span everything, W_p is the whole space.
    * Only in layer 2: the off neuron's input is any r in P, the span of the a first-layer powers
      (and z^k), so W_p holds e_o r^k. Off the smaller subnetworks the powers are independent of
      each other (and of z^k: else fewer first-layer neurons reach p), so dim P = g = a (+ 1).
      The k-th powers of P span its k-fold product P^k, and products of spaces of polynomials
      (over C, algebraically closed in the rational functions) have dim AB >= dim A + dim B - 1
      (the linear Cauchy-Davenport theorem): dim P^k >= k (g - 1) + 1 for each output.
      With one neuron left in layer 2, p = c (x) q^k + delta with q = sum_j B_j l_j^k (+ gamma
      x_0^k) and every B_j and c nonzero off the smaller subnetworks. Where the l_j (and x_0)
      are independent they are coordinates: P^k is spanned by the monomials in their k-th
      powers, and W_p also holds c (x) q^(k-1) G, G spanned by the l_j^(k-1) x_i (moving l_j).
      As q^(k-1) is a form in the k-th powers, q^(k-1) g lies in P^k only for g in the span of
      the l_j^k (grading the exponents mod k): dim W_p >= m dim P^k + dim G - a. The l_j are
      independent when k = 2 (sum_j B_j l_j^2 has rank a: a real form of rank r is a sum of r
      signed real squares, so fewer neurons reach it otherwise; a <= d) and when a = 2 and there
      are no biases (non-proportional forms). Without biases and k = 2: m A(a, 2) + (A(a, 2) +
      a (d - a)) - a. With k >= 3 they (and x_0) may span fewer dimensions
      (``_forms_in_fewer_variables``); with biases and k = 2, x_0 may lie in L = span(l_j)
      (``_constant_in_the_span``).
    * Only in layer 1: its outgoing weight into layer-2 neuron i moves output o by c_oi k q_i^(k-1)
      l^k, so W_p holds c_i (x) q_i^(k-1) F_k (F_k the forms of degree k, spanned by the powers).
      Off the smaller subnetworks every c_i and q_i is nonzero and two q_i, q_j are not
      proportional (else one layer-2 neuron reaches p); then q_i^(k-1) g = q_j^(k-1) g' forces g
      to be a multiple of (q_j / gcd)^(k-1), of degree >= k - 1, so the two spaces meet in at most
      the d linear forms' worth: dim >= 2 A(d, k) - d (A(d, k) with one layer-2 neuron). With
      two first-layer neurons and no biases any two q_i span P = span(l_1^k, l_2^k), so they are
      coprime (l_1, l_2 are not proportional): (q_j)^(k-1) has degree k (k - 1), above k for
      k >= 3 (the spaces meet in 0) and equal to k for k = 2 (in at most q_j's line); with
      biases the same where l_1, l_2 and x_0 are independent."""
    from .critical import _power

    d0, h1, h2, m = net.widths
    d, k = d0 + int(net.bias), int(_power(net) or 0)
    A = int(net.ambient_dim)
    if a < h1 and b < h2:
        return A
    if b < h2:
        if k == 2 and b == 1 and a <= d:
            squares = comb(a + 1 + int(net.bias), 2)  # dim P^2: the products of two of the a (+ 1) squares
            independent = m * squares + comb(a + 1, 2) + a * (d - a) - a
            if net.bias:
                return min(A, _constant_in_the_span(net, a, independent))
            return min(A, independent)
        if k >= 3 and b == 1:
            return min(A, _forms_in_fewer_variables(net, a, k))
        if k >= 3 and b == 2:
            return min(A, _two_left_in_layer_two(net, a, k))
        if k == 2 and b == 2 and a == 3 and m == 1 and not net.bias:
            return min(A, _two_squares_of_three(net))
        g = a + int(net.bias)
        return m * (k * (g - 1) + 1) if g >= 2 else m
    forms = comb(d + k - 1, k)
    if b == 1:
        return forms
    coprime = 2 * forms - (1 if k == 2 else 0)
    if a == 2 and not net.bias:
        # two non-proportional q_i span P = span(l_1^k, l_2^k): they are coprime, and
        # (q_j)^(k-1) of degree k (k - 1) divides a form g of degree k only for k = 2 (g ~ q_j)
        return coprime
    if a == 2 and d >= 3:
        # with biases where l_1, l_2, x_0 are coordinates y_1, y_2, y_0: a common factor of a
        # plane in span(y_1^k, y_2^k, y_0^k) would divide nonzero forms in (y_1, y_2), (y_1, y_0)
        # and (y_2, y_0) alike; x_0 in span(l_1, l_2) leaves binary forms of degree k^2 on that
        # plane (m (k^2 + 1), and d - 2 for the plane), a null part where below 2 A(d, k) - d
        general, plane = 2 * forms - d, (d - 2) + m * (k * k + 1)
        return coprime if general > plane else min(coprime, general)
    return 2 * forms - d


def _constant_in_the_span(net: Any, a: int, independent: int) -> int:
    """The bound for one layer-2 neuron left with z^2 and biases, p = c (x) q^2 + delta, q = Q +
    gamma x_0^2, Q = sum_j B_j l_j^2 of rank a on L = span(l_j), given ``independent``, the bound
    where l_1..l_a, x_0 are independent (a + 1 <= d). Where x_0 lies in L, Q - t x_0^2 has rank
    a - 1 for t = 1 / (x_0^T Q^-1 x_0): fewer neurons reach p, unless x_0 is isotropic for
    Q^-1 (B'). There P = span(l_j^2, x_0^2) lies in the forms on L, and P^2 holds the A(a, 2)
    monomials y_i^2 y_j^2 in the coordinates y_j = l_j and the a forms x_0^2 y_j^2, whose
    parts with odd exponents at y_1, y_2 are 2 alpha_1 alpha_2 y_1 y_2 y_j^2 (x_0 = sum_j
    alpha_j y_j is no multiple of one y_j: that neuron would be constant); and q L Z (Z a
    complement of L, of degree 1 in it, unlike P^2) adds a (d - a): W_p >= m (A(a, 2) + a) + a
    (d - a). The B' points
    are the images of L (a Grassmannian of dimension (a - 1)(d - a): L contains x_0), q on L
    with x_0 isotropic for q^-1 (A(a, 2) - 1), c up to q's scale and delta (2m - 1): where that
    count is below the bound, they add a null part, and the bound is the independent one; else
    the smaller of the two (all of them when a >= d, where every point is a B' point)."""
    d0, _, _, m = net.widths
    d = d0 + 1
    if a == 1:  # l_1 in span(x_0) is a constant neuron: fewer neurons reach p
        return independent
    on_lines = m * (comb(a + 1, 2) + a) + a * (d - a)
    if a >= d:
        return on_lines
    points = (a - 1) * (d - a) + comb(a + 1, 2) - 1 + 2 * m - 1
    return independent if on_lines > points else min(independent, on_lines)


def _forms_in_fewer_variables(net: Any, a: int, k: int) -> int:
    """The bound for one layer-2 neuron left with z^k, k >= 3: p = c (x) q^k (+ delta), q =
    sum_j B_j l_j^k (+ gamma x_0^k). Off the smaller subnetworks the l_j are pairwise
    non-proportional and the a (+ 1) powers spanning P independent (else fewer neurons reach p).
    Let L = span(l_j (, x_0)), of dimension r.

    * r = a (+ 1), the l_j (and x_0) independent: in these coordinates the x_j^(k-1) x_i are a d
      distinct monomials, a of them k-th powers, and q^(k-1) is a form in k-th powers (grading
      the exponents mod k): m A(g, k) + a d - a, g = dim P.
    * r smaller (q a form on L, of real rank a: binary cubics with three real roots): dim P^k
      >= k (g - 1) + 1 (Cauchy-Davenport), or ``_coordinates_and_constant`` where the l_j are
      coordinates on L and x_0 lies in it; and moving l_j along a complement Z of L adds q^(k-1) l_j^(k-1) z,
      of degree 1 in Z (unlike P^k), with the l_j^(k-1) spanning a (l_j independent) or at least
      min(a, k) dimensions (powers of pairwise non-proportional forms): (d - r) times that.
      Those points are images of L (a Grassmannian of dimension (r - 1)(d - r) with x_0 in L,
      else r (d - r)), q on L (A(r, k)) and c, delta up to q's scale.

    Where every lower-dimensional part's count is below its bound it is null, and the bound is
    the independent one (where there is none, the largest of theirs, which then exceeds every
    count and so the stratum's dimension); else the smallest bound of the parts not proven null."""
    d0, m = net.widths[0], net.widths[-1]
    bias = int(net.bias)
    d, g = d0 + bias, a + bias
    parts: list[tuple[int, int]] = []  # (bound, dimension) of each lower-dimensional part
    for r in range(2, min(a, d) + 1 if bias else min(a - 1, d) + 1):
        powers = k * (g - 1) + 1
        if bias and r == a:
            powers = max(powers, _coordinates_and_constant(a, k))
        bound = m * powers + (d - r) * (a if r == a else min(a, k))
        count = (r - bias) * (d - r) + comb(r + k - 1, k) + (1 + bias) * m - 1
        parts.append((bound, count))
    open_parts = [bound for bound, count in parts if bound <= count]
    if g > d:  # no independent part
        return min(open_parts) if open_parts else max(bound for bound, _ in parts)
    independent = m * comb(g + k - 1, k) + a * d - a
    return min([independent, *open_parts])


def _coordinates_and_constant(a: int, k: int) -> int:
    """A lower bound for dim P^k, P = span(y_1^k, ..., y_a^k, x_0^k) for coordinates y_j and
    x_0 = sum_j alpha_j y_j with two alpha_j nonzero (else x_0 is a neuron's form): the
    A(a, k) monomials in the y_j^k (exponents 0 mod k), and x_0^k times the A(a, k - 1) of
    degree k - 1, whose parts off that class are N times them, N the part of x_0^k off it (its
    term y_1^(k-1) y_2 is nonzero), independent as multiplication by N is injective."""
    return comb(a + k - 1, k) + comb(a + k - 2, k - 1)


def _two_left_in_layer_two(net: Any, a: int, k: int) -> int:
    """The bound for two layer-2 neurons left with z^k, k >= 3: p = c_1 (x) q_1^k + c_2 (x) q_2^k
    (+ delta), q_i = sum_j W_ij l_j^k (+ beta_i x_0^k), off the smaller subnetworks (q_1, q_2 not
    proportional, every c_i, every column of W and every l_j nonzero, the l_j (and x_0)
    pairwise non-proportional). Moving l_j adds s_j l_j^(k-1) x_t with s_j = sum_i c_i (x) W_ij
    q_i^(k-1), nonzero (the q_i^(k-1) are independent, and a neuron with W_1j = W_2j = 0 is
    dead); with biases x_t runs over x_0 too.

    * The l_j (and x_0) independent (coordinates): s_j x_j^(k-1) x_t for t != j is alone in its
      class of exponents mod k (k - 1 != 1), and P^k is the monomials in the g = a (+ 1) k-th
      powers: m A(g, k) + a (d - 1).
    * The l_j (and x_0) spanning only r < g dimensions (p a form on L): dim P^k is at least
      k (g - 1) + 1, and exactly that of span{x^(ka) y^(kb) (x + y)^(kc)} for three lines in a
      plane (any three distinct lines are x, y, x + y after a change of coordinates and
      rescalings);
      moving the l_j along a complement Z of L adds (d - r) times the span of the s_j l_j^(k-1),
      which holds dp/dx_t / k^2 for the r directions in L, two of them independent (else p is a
      power of one form: fewer neurons reach it). Those points are images of L (r (d - r), or
      (r - 1)(d - r) with x_0 in L) and of q_1, q_2 on L, c and delta up to the q_i's scales (or
      of all forms of degree k^2 on L).

    Combined as in ``_forms_in_fewer_variables``."""
    d0, m = net.widths[0], net.widths[-1]
    bias = int(net.bias)
    d, g = d0 + bias, a + bias
    parts: list[tuple[int, int]] = []
    for r in range(2, min(g - 1, d) + 1):
        if (r, g) == (2, 3):
            powers = _products_of_three_powers(k)
        elif bias and r == a:
            powers = max(k * (g - 1) + 1, _coordinates_and_constant(a, k))
        else:
            powers = k * (g - 1) + 1
        bound = m * powers + (d - r) * 2
        count = (r - bias) * (d - r) + min(2 * comb(r + k - 1, k) + (2 + bias) * m - 2, m * comb(r + k * k - 1, k * k))
        parts.append((bound, count))
    open_parts = [bound for bound, count in parts if bound <= count]
    if g > d:  # no independent part
        return min(open_parts) if open_parts else max(bound for bound, _ in parts)
    independent = m * comb(g + k - 1, k) + a * (d - 1)
    return min([independent, *open_parts])


def _two_squares_of_three(net: Any) -> int:
    """The bound for three first-layer neurons and two layer-2 neurons left with z^2, no biases,
    one output: p = c_1 q_1^2 + c_2 q_2^2, q_i = sum_j W_ij l_j^2, off the smaller subnetworks
    (q_1, q_2 not proportional, no column of W zero). Moving l_j adds s_j l_j x_t with s_j =
    sum_t M_jt l_t^2, M = W^T diag(c) W of rank 2; s_j = 0 only for a dead neuron.

    * l_1, l_2, l_3 independent (coordinates, d >= 3): P^2 is the 6 products x_i^2 x_j^2; the
      class of exponents mod 2 at {j, t} (j != t <= 3) holds s_j x_j x_t and s_t x_t x_j, the
      span of rows j and t of M times x_j x_t: 2 dimensions unless columns j and t of W are
      proportional (rows of M = (diag(c) W_j)^T W); the class {j, t > 3} holds s_j x_j x_t alone:
      6 + 6 + 3 (d - 3) = 3d + 3. Where columns 2 and 3 (say) are proportional, one less, on the
      part where p is a quadratic form in l_1^2 and a rank-2 quadric Q = l_2^2 + lambda l_3^2, of
      at most 3 + (d - 1) + (2d - 2) = 3d < 3d + 2 dimensions: null.
    * l_1, l_2, l_3 in a plane L (on two inputs, everywhere): P^2 is every binary quartic on L
      (5); and the fiber holds every real triple of lines in L (their squares span the quadrics on
      L), whose s'_j = B(phi_j) for the dual basis phi_j and the map B(phi) = sum_i c_i phi(q_i)
      q_i: over all triples the moves out of L span (d - 2) (q_1 L + q_2 L), of dimension 3 (4
      unless q_1, q_2 share a factor): 5 + 3 (d - 2) > 2 (d - 2) + 5, the count of such points
      (the plane and a binary quartic), for d >= 3."""
    d = net.widths[0]
    return 3 * d + 3 if d >= 3 else 5


@lru_cache(maxsize=None)
def _products_of_three_powers(k: int) -> int:
    """A lower bound for dim span{x^(ka) y^(kb) (x + y)^(kc) : a + b + c = k}: its rank modulo a
    large prime, at most the rank over the rationals (5, 9, 14 for k = 2, 3, 4; for k = 3 one
    relation among the ten products)."""
    prime = 2**61 - 1
    x_plus_y = [comb(k, i) for i in range(k + 1)]  # (x + y)^k, coefficients of x^i y^(k - i)
    rows = []
    for a in range(k + 1):
        for b in range(k + 1 - a):
            row = [0] * (k * k + 1)
            factor = [1]
            for _ in range(k - a - b):  # (x + y)^(k c)
                factor = [sum(factor[i - j] * x_plus_y[j] for j in range(len(x_plus_y)) if 0 <= i - j < len(factor)) % prime for i in range(len(factor) + k)]
            for i, f in enumerate(factor):
                row[i + k * a] = f  # times x^(ka) y^(kb): the power of x shifts by k a
            rows.append(row)
    rank = 0
    for col in range(k * k + 1):
        pivot = next((i for i in range(rank, len(rows)) if rows[i][col]), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        inverse = pow(rows[rank][col], prime - 2, prime)
        for i in range(len(rows)):
            if i != rank and rows[i][col]:
                f = rows[i][col] * inverse % prime
                rows[i] = [(x - f * y) % prime for x, y in zip(rows[i], rows[rank])]
        rank += 1
    return rank


def _layers_bound(net: Any, widths: tuple[int, ...]) -> int:
    """A lower bound for dim W_p at every point p of the subnetwork with ``widths`` neurons left
    in the hidden layers of net = (d0, h_1, ..., h_L, m) with c z^k, off the images of its
    smaller subnetworks and of the constant functions. Two hidden layers: the finer bounds of
    ``_two_hidden_layers_bound``. Else, for each hidden layer l with a neuron off, a chain of off
    neurons through layers l..l' (each fed by the one before alone, with weight 1): its first
    neuron's input is any r in P, the span of layer l - 1's outputs (the linear forms for
    l = 1, of dimension d; else of dimension g = a_(l-1) (+ 1 with biases), since dependent
    outputs let fewer neurons reach p), and its last one computes r^K, K = k^(l' - l + 1).
    Its outgoing weights move p along e_o r^K when l' = L, so W_p holds m copies of P^K; else
    along the sensitivity s_i = dp / dz_i of a neuron i of layer l' + 1 (all on) times r^K,
    and some s_i is nonzero since p is not constant (dp/dx = sum_i s_i dz_i/dx). dim P^K is
    A(d, K) (the powers of linear forms span all forms) for l = 1, else at least K (g - 1) + 1
    (linear Cauchy-Davenport). The largest of these is the bound."""
    from .critical import _power

    d0, *hidden, m = net.widths
    if len(hidden) == 2:
        return _two_hidden_layers_bound(net, widths[0], widths[1])
    k, d = int(_power(net) or 0), d0 + int(net.bias)
    best = 0
    for start in range(len(hidden)):
        if widths[start] >= hidden[start]:
            continue
        end = start
        while end + 1 < len(hidden) and widths[end + 1] < hidden[end + 1]:
            end += 1
        K = k ** (end - start + 1)
        g = d if start == 0 else widths[start - 1] + int(net.bias)
        spanned = comb(d + K - 1, K) if start == 0 else K * (g - 1) + 1
        best = max(best, spanned * (m if end == len(hidden) - 1 else 1))
    return min(int(net.ambient_dim), best)


def _layers_everywhere(net: Any, widths: tuple[int, ...], seed: int) -> int | None:
    """dim W_p bounded below at every point of the subnetwork with hidden ``widths`` and of all
    its smaller subnetworks, each bound above the subnetwork's dimension (so every point of the
    stratum lies in a part of it with a null cell): the bound for the stratum itself, or None.
    Two or more hidden layers with c z^k, k >= 2, only; all zeros is the constant functions."""
    from itertools import product

    from .architectures import PolynomialNetwork
    from .critical import _dim, _power

    if not isinstance(net, PolynomialNetwork) or len(net.widths) < 4 or (_power(net) or 0) < 2 or len(widths) != len(net.widths) - 2:
        return None
    d0, m = net.widths[0], net.widths[-1]
    for smaller in product(*(range(1, a + 1) for a in widths)):
        if _merged(d0, smaller, net.bias) != smaller:
            continue  # its points are those of a smaller subnetwork in this loop
        sub = PolynomialNetwork((d0, *smaller, m), activation=net.activation, bias=net.bias)
        if _layers_bound(net, smaller) <= _dim(sub, seed):
            return None
    # (with biases the constant functions, below every stratum, have the bound A > m)
    return _layers_bound(net, _merged(d0, widths, net.bias))


def _merged(d0: int, widths: tuple[int, ...], bias: bool) -> tuple[int, ...]:
    """Hidden widths with the same image: without biases a layer fed by one function (one
    neuron, or one input) has every neuron compute a multiple of that function's k-th power,
    as one neuron does."""
    out, fed = [], d0
    for a in widths:
        fed = min(a, 1) if fed == 1 and not bias else a
        out.append(fed)
    return tuple(out)


def _attention_everywhere(net: Any, dim: int) -> int | None:
    """A lower bound for dim W_p at every point p of a stratum of lightning attention f(X) = V X
    X^T K^T Q X with key/query dimensions switched off, when it exceeds the stratum's dimension
    ``dim``, else None. At every point of the stratum the fiber holds a switched-off row with
    Q_a = 0 and any K_a, whose moves of Q_a give V X X^T B X for every B = K_a^T dQ (rank one,
    spanning all d x d matrices), and V moves along dV X X^T A X (A = K^T Q). Off the zero
    function V and f are nonzero.

    * t >= 2 inputs: column j of V X X^T B X is sum_s (V x_s)(x_s^T B x_j), whose terms s != j
      have distinct multidegrees, so it vanishes only for B = 0: d^2 directions.
    * t = 1: f = (V x) q(x), q = x^T A x, and the B part is (V x) s for every quadratic form s,
      A(d, 2) directions. A move dV adds nothing new only when (dV x) q = (V x) s: with rank V >=
      2 (two coprime rows) only for dV ~ V; with V = u v^T for the m with (v . x) | m q, one line
      unless (v . x) divides q. So A(d, 2) + m d - 1 directions, and A(d, 2) + m d - d on the
      part u v^T (v . x) n(x), of at most m + 2d - 2 dimensions: where that is below, the part
      is null and the first bound holds."""
    from .architectures import LightningAttention

    if not isinstance(net, LightningAttention):
        return None
    d, m = net.d, net.d_out
    if net.t >= 2:
        bound = d * d
    else:
        quadrics = comb(d + 1, 2)
        generic, divisible = quadrics + m * d - 1, quadrics + m * d - d
        bound = generic if divisible > m + 2 * d - 2 else divisible
    bound = min(int(net.ambient_dim), bound)
    return bound if bound > dim else None


def _relu_dimension_bound(net: NeuromanifoldAt, on: npt.NDArray[np.int64]) -> int:
    """An upper bound for the dimension of the image of the parameters ``on`` (the others
    zero) that holds on every activation pattern: their number less one per hidden neuron kept
    (relu(l z) = l relu(z) for l > 0)."""
    from ._voronoi_membership import incoming_weights

    kept = set(int(i) for i in on)
    neurons = sum(i in kept for i in incoming_weights(net.widths, net.net.bias))
    return min(net.ambient_dim, len(on) - neurons)


DEGENERATE = 1e-9  # relative: a Hessian determinant this small is zero (no Morse point)


def _curve_bounds(curve: Any) -> list[VoronoiCellBound]:
    """Singular points of a plane curve. A parametrized curve's real fiber over a point is the
    set of real t mapping to it, each giving the two-sided direction (x'(t), y'(t)). On an
    implicit curve a singular point with an indefinite Hessian of F is, by the Morse lemma, the
    crossing of two smooth real branches with distinct tangents (a node): two-sided directions
    spanning the plane. A definite Hessian is an isolated real point, and a degenerate one (a cusp,
    a tacnode, ...) is not resolved here: no bound either way."""
    import sympy

    x, y = curve._x, curve._y
    F = curve.equation
    H = sympy.lambdify((x, y), sympy.hessian(F, (x, y)), "numpy")
    out = []
    for px, py in curve.singular_points:
        name = f"the singular point ({px:g}, {py:g})"
        directions: list[npt.NDArray[np.float64]] = []
        if curve.is_parametrized:
            cx, cy = (np.polynomial.Polynomial(c) for c in curve._param)
            for t in (cx - px).roots():
                if abs(t.imag) <= 1e-7 * (1 + abs(t)) and abs(cy(t.real) - py) <= 1e-7 * (1 + abs(py)):
                    directions.append(np.array([cx.deriv()(t.real), cy.deriv()(t.real)]))
        else:
            h = np.array(H(px, py), dtype=np.float64)
            if np.linalg.det(h) < -DEGENERATE * max(np.abs(h).max(), 1e-300) ** 2:
                directions = list(np.eye(2))  # two transversal smooth branches
        span = _Span(2)
        for d in directions:
            span.add(d[:, None])
        out.append(VoronoiCellBound(name, 0, 2, span.dim, 2 - span.dim, span.dim > 0, True))
    return out


FIBER_STARTS = 48  # local searches for real preimages of a point of a parametrized variety
ON_POINT = 1e-10  # relative: a preimage must map this close to the point
DIRECTION = 1e-4  # relative to D phi at random parameters: smaller singular values at a preimage are zero


def _variety_point_bounds(variety: Any, seed: int) -> list[VoronoiCellBound]:
    """Point strata of a :class:`ParametrizedVariety` (named ones, then the singular points).
    Real preimages come from local least-squares searches from random starts: every preimage
    found adds its directions, so the bound holds whichever are missed (it may only be weaker).
    A search ends near a preimage, not on it: where D phi vanishes to order m - 1 (a cusp), the
    residual 1e-10 leaves D phi of size about 1e-10^((m - 1) / m) <= 1e-5, so only singular
    directions of D phi above DIRECTION times its size at random parameters count."""
    from scipy.optimize import least_squares

    from .varieties import _point_description

    named = [(name, s) for name, s in variety.strata.items() if isinstance(s, np.ndarray)]
    points = named + [(_point_description(q), q) for q in variety.singular_points]
    rng = np.random.default_rng([seed, 0xF1BE])
    typical = np.median([np.linalg.norm(variety.jacobian(t), 2) for t in rng.standard_normal((16, variety.n_params))])
    out = []
    for name, q in points:
        span = _Span(variety.ambient_dim)
        for i in range(FIBER_STARTS):
            start = rng.standard_normal(variety.n_params) * (0.3, 1.0, 3.0)[i % 3]
            fit = least_squares(lambda t: variety(t) - q, start, jac=variety.jacobian, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15)
            if np.abs(variety(fit.x) - q).max() <= ON_POINT * (1 + np.abs(q).max()):
                U, sv, _ = np.linalg.svd(variety.jacobian(fit.x), full_matrices=False)
                span.add(U[:, sv > DIRECTION * typical])
        A = variety.ambient_dim
        out.append(VoronoiCellBound(name, 0, A, span.dim, A - span.dim, span.dim > 0, True))
    return out


def voronoi_cell_bounds(net: object, seed: int = 0) -> list[VoronoiCellBound]:
    """Bounds on the Voronoi cells of the lower strata of a network's neuromanifold (subnetworks,
    constant functions, the zero function), in the order of the strata of ``voronoi_mc``, of
    the singular points of a :class:`PlaneCurve`, or of the point strata of a
    :class:`ParametrizedVariety` (named ones, then its singular points).

    >>> import neuromanifold as nm
    >>> b = nm.voronoi_cell_bounds(nm.PolynomialNetwork((3, 2, 1), activation=3))[0]
    >>> (b.null, b.everywhere, b.two_sided_dim == b.ambient_dim)
    (True, True, True)
    """
    from . import _validate as v
    from ._voronoi_networks import strata

    from .curves import PlaneCurve
    from .varieties import ParametrizedVariety

    seed = v.nonnegative_int(seed, "seed")
    if isinstance(net, PlaneCurve):
        return _curve_bounds(net)
    if isinstance(net, ParametrizedVariety):
        return _variety_point_bounds(net, seed)
    if not isinstance(net, (Network, NeuromanifoldAt)):
        raise TypeError(
            f"voronoi_cell_bounds takes an algebraic Network, a NeuromanifoldAt, a PlaneCurve or a ParametrizedVariety, got {type(net).__name__}"
        )
    out = []
    for s in strata(net, seed)[1:]:
        b = cell_bound(net, s, seed)
        if b is not None:
            out.append(b)
    return out


def null_certificate(net: Any, bounds: list[VoronoiCellBound | None]) -> tuple[str, str]:
    """(certificate, "") when every stratum of a target has a null Voronoi cell at every point,
    else ("", why not)."""
    for b in bounds:
        if b is None:
            return "", "a target stratum is no image of the network's parameters, so its fibers are unknown"
        if not (b.null and b.everywhere):
            return "", f"no certificate for {b}" if not b.null else f"the bound for {b.stratum!r} holds at generic points only (mu does not separate into its parameters and the switched-off ones)"
    worst = max(b.cell_dim for b in bounds if b is not None)
    return f"Voronoi cells of dimension <= {worst} < {net.ambient_dim} at every point of the target (two-sided tangent directions of switched-off neurons)", ""


@dataclass
class NullCellJob:
    """Counts for a target whose strata have null Voronoi cells at every point: the nearest point
    of a sample lies off the target with probability one, so every chunk counts its samples
    as decided misses without drawing them."""

    variety_name: str
    target_name: str
    distribution: Any
    seed: int
    n: int
    chunk_size: int
    certificate: str
    method: str = "certificate"
    exhaustive: bool = True

    def count(self, c0: int, c1: int) -> npt.NDArray[np.uint64]:
        sizes = [min(self.chunk_size, self.n - c * self.chunk_size) for c in range(c0, c1)]
        return np.array([(0, 0, s) for s in sizes], dtype=np.uint64).reshape(-1, 3)

    def fingerprint(self) -> dict[str, Any]:
        from .voronoi import _fingerprint

        return _fingerprint(self)
