"""Proofs that the edge of a neuromanifold attracts a null set of data, from the shape of M.

The edge is where D mu has lower rank at every real parameter, and the points of the closure
that no parameters reach. Each argument below shows that, up to a null set of data, a nearest
point there lies in the lower strata (subnetworks), whose Voronoi cells are bounded separately
(``_voronoi_cells``): the closure is M itself, or the squared projection of the data onto a
compact family of linear spaces is smooth and its maximum at the points off M needs an extra
equation. ``edge_argument`` gives the sentence, with a ``{lower}`` slot for the lower strata's
certificate.
"""

from __future__ import annotations

from math import comb

import numpy as np

from ._charts import linear_shape
from .architectures import Network, PolynomialNetwork
from .critical import _power

FILLS = "M is the whole space: data are their own nearest points, and the edge is a set of critical values (null, Sard)"


def spanned_hyperplanes(net: Network) -> str:
    """One hidden layer with c z^k and one neuron fewer than the A1 monomials (two fewer with
    biases, counting the forms in (x, 1)), where almost every hyperplane of normals in reach is
    spanned by real powers: a proof that the edge is hit by a null set of data, or "".

    The outputs lie in a hyperplane n^perp (with biases through the constant's power E, the output
    bias: n_E = 0), which holds the k-th powers of the zeros of the form N_n. Real powers span it
    when N_n has a smooth real zero (those are Zariski dense in its irreducible zero set, which lies
    on no other form of degree k): for odd k on three or more variables always (N(-v) = -N(v), and
    a generic form is smooth), with biases at the zero (0 : 1) of N_n, smooth for almost all n (for
    k = 2 on one input too: the quadric is then indefinite). So M is the tuples in those
    hyperplanes, all but a null set of the normals. The distance to the tuples in n^perp is n^T G n
    (G = sum u_i u_i^T) over unit normals, which has no local minima but the smallest eigenvector
    of G (on n_E = 0 with biases): for almost all data a generic normal, whose hyperplane holds the
    projection of u, a point of M where D mu has full rank for almost all u (the outputs span the
    hyperplane, modulo E, and the tilts of the powers move it in every direction). With few enough
    outputs M fills the space (the core's filling rule)."""
    if not (isinstance(net, PolynomialNetwork) and len(net.widths) == 3):
        return ""
    degrees = np.flatnonzero(np.asarray(net.activation))
    if len(degrees) != 1 or degrees[0] < 2:
        return ""
    k, (d0, h, _) = int(degrees[0]), net.widths
    monomials = comb(d0 + int(net.bias) + k - 1, k)
    spanned = (d0 >= 2 or k == 2) if net.bias else (d0 >= 3 and k % 2 == 1)
    if not spanned or h + 1 + int(net.bias) < monomials:
        return ""
    through = "through the constant's power (the output bias) " if net.bias else ""
    return (
        f"M is the tuples in the hyperplanes {through}spanned by real k-th powers, almost all of them (a smooth real zero of "
        "the normal's form), and the nearest one, the smallest eigenvector of sum u_i u_i^T, is such a hyperplane for almost "
        "all data: the edge attracts a null set"
    )


def edge_is_lower_strata(net: Network) -> bool:
    """Does the edge of M (the points where D mu has lower rank at every real parameter) lie in
    its lower strata? For linear networks and one hidden layer with z^2 and one output without
    biases: the real neuromanifold is the real part of its closure (matrices, or quadratic forms,
    of rank <= r), and a point of rank r has real parameters through its column and row spaces
    (W = U S V^T factored as U S^(1/2), identities, S^(1/2) V^T; a form as r signed squares of
    independent linear forms) where D mu reaches the whole tangent space of rank <= r, {U Z + Y
    V^T} or {l_1 m_1 + ... + l_r m_r}. So the edge lies in the lower strata (residual networks fill
    the space and have none) and the nearest point is on it only when it is on a lower stratum;
    the exhaustive distances decide that, with no rank to read off."""
    return linear_shape(net) is not None or (quadratic_one_output(net) and not getattr(net, "bias", False))


def _one_first_layer_neuron(net: Network) -> bool:
    """One neuron in the first hidden layer, c z^k, no biases: every later neuron computes a
    multiple of a power of l = w.x, so f = c (x) l^K, K = k^L, with c any vector of R^m (the
    last layer's weights times the powers of the others'; one neuron in each layer reaches the
    same). The image is closed: rescale l_n to |l_n| = 1 (into c_n); then |c_n (x) l_n^K| >=
    |c_n| min over the unit sphere of |l^K| > 0, so a converging sequence keeps c_n bounded and
    a subsequence of (c_n, l_n) converges to a preimage of the limit. At f != 0, D mu spans c
    (x) l^(K-1) F_1 (moving w) + R^m (x) l^K (the last layer's weights of a neuron with a
    nonzero output), the tangent space of the cone over the Segre-Veronese variety: the edge is
    the zero function."""
    return isinstance(net, PolynomialNetwork) and not net.bias and len(net.widths) >= 3 and net.widths[1] == 1 and _power(net) is not None


def _closed_bottleneck(net: Network) -> bool:
    """A hidden layer of one neuron after the first, c z^k, no biases, fed by a network N' (the
    layers before, with that neuron's incoming weights as its one output) whose real image is
    closed and has its edge in its lower strata: z^2 on one hidden layer (forms of rank <= r,
    ``edge_is_lower_strata``), one hidden layer whose powers span every form of their degree
    (``_spanning_layer``), one first-layer neuron (``_one_first_layer_neuron``), or such a
    bottleneck again. Every later neuron computes a multiple of a power of its output g, so f =
    c (x) g^K (K = k^j for the j hidden layers from there on), c any vector of R^m, with g in N',
    a closed cone: rescale g_n to |g_n| = 1 (into c_n); |c_n (x) g_n^K| >= |c_n| min over the
    unit sphere of N' of |g^K| > 0, so a converging sequence keeps c_n bounded and a
    subsequence converges to c (x) g^K in M. Where D N' reaches the tangent space of N' at g (any
    g off the edge of N'), D mu spans R^m (x) g^K (the last layer's weights of a neuron with a
    nonzero output) + c (x) K g^(K-1) T_g N', whose only relation is the rescaling (delta g =
    t g: g^(K-1) (delta c_o g + K c_o delta g) = 0 for c_o != 0), so it has the dimension of M.
    Hence the edge of M is the zero function and the points c (x) g^K with g on the edge of N',
    which lie in the images of the subnetworks of N': subnetworks of M too."""
    if not (isinstance(net, PolynomialNetwork) and not net.bias and _power(net) is not None):
        return False
    ones = [i for i in range(2, len(net.widths) - 1) if net.widths[i] == 1]
    if not ones:
        return False
    inner = PolynomialNetwork((*net.widths[: ones[-1]], 1), activation=net.activation, bias=False)
    closed_forms = len(inner.widths) == 3 and _power(inner) == 2  # (c z^2: the forms of rank <= r, any c)
    return closed_forms or _spanning_layer(inner) or _one_first_layer_neuron(inner) or _closed_bottleneck(inner)


def _one_neuron_with_biases(net: Network) -> bool:
    """One hidden layer of one neuron with c z^k, k >= 2, and biases: f = c (x) (w.x + b)^k +
    delta. With l = (w, b) on the unit sphere, f = c (x) l^k + delta; where w -> 0 write l = (e
    v, 1): (e v.x + 1)^k - 1 = e psi(e, v), psi = sum_j C(k, j) e^(j-1) (v.x)^j, polynomial and
    nonzero at e = 0 (k v.x). So the closure is the union of the spaces {c (x) psi + delta} over
    the blow-up of the sphere's directions at (0, 1), a compact manifold (a converging f_n keeps
    the coefficient of psi bounded, as psi is bounded below off the constants), and the points
    off M are its exceptional divisor e = 0: the affine maps alpha (x) (v.x) + beta. The nearest
    point of the closure to u maximizes R = sum_o <u_o, psi>^2 / |psi|^2 (constants dropped), a
    smooth function there; a maximum at e = 0 is a critical point in e too, and dR/de = 0 at e =
    0 reads sum_o <u_o, v.x><u_o, (v.x)^2> = 0 (<psi_0, psi_1> = 0: different degrees), with v
    the top right singular vector of the linear coefficients: a nontrivial equation, so a null
    set of data has its nearest point there."""
    return isinstance(net, PolynomialNetwork) and net.bias and len(net.widths) == 3 and net.widths[1] == 1 and (_power(net) or 0) >= 2


def quadratic_one_output(net: Network) -> bool:
    """One hidden layer with z^2 and one output (``quadratic_closure_chart``)."""
    return isinstance(net, PolynomialNetwork) and len(net.widths) == 3 and net.activation == (0.0, 0.0, 1.0) and net.widths[2] == 1


def _spanning_layer(net: Network) -> bool:
    """One hidden layer with c z^k (k >= 2) and one output whose powers span every form of
    degree k: at least as many neurons as monomials (powers of generic directions span them, the
    Veronese variety lying in no hyperplane); with biases every polynomial of degree <= k, the
    constant from the output's bias, so one neuron fewer. Its real image is that linear space,
    and at parameters with spanning powers D mu reaches all of it."""
    if not (isinstance(net, PolynomialNetwork) and len(net.widths) == 3 and net.widths[2] == 1 and (_power(net) or 0) >= 2):
        return False
    d0, h, k = net.widths[0], net.widths[1], _power(net) or 0
    return h + int(net.bias) >= comb(d0 + int(net.bias) + k - 1, k)


def _biased_bottleneck(net: Network) -> bool:
    """With biases, a last hidden layer of one neuron c z^k fed by one hidden layer whose powers
    span the polynomials of degree <= k (``_spanning_layer``): f = c (x) l^k + delta with l any
    polynomial of degree <= k. Where l tends to a constant (1 + e v, v without constant term,
    e -> 0), (1 + e v)^k - 1 = e psi(e, v), psi = k v + C(k, 2) e v^2 + ..., so the closure is
    c (x) psi + delta over the blow-up of the directions of l at the constant's, a compact
    manifold (psi is bounded below near e = 0), whose exceptional divisor e = 0 adds c (x) v +
    delta. The nearest point of the closure maximizes R = psi^T G psi / |psi|^2 (G = sum_o u_o
    u_o^T, constants dropped), smooth there; at e = 0 the maximum over the divisor is the top
    eigenvector v of G on the polynomials of degree 1..k, where dR/de = (k - 1) <(G - R) v, v^2>
    / |v|^2 must vanish too: a nontrivial equation (u = x^k + x^(2k) gives 1), so a null set of
    data. At every other point (l not constant, c != 0) the tangent space c (x) l^(k-1) P_k +
    R^m (x) l^k + constants has the dimension of M and D mu reaches it with spanning powers, so
    the rest of the edge is the constants, a lower stratum.

    On one input k - 1 neurons suffice: a polynomial P of degree exactly k, shifted by the
    output's bias until P - b0 has a non-real root and distinct roots (|b0| large, off finitely
    many values), is a binary form in (x, 1) of real rank at most k - 1 (Causa and Re: a real
    binary form of degree k >= 3 with distinct roots has real rank k only when all its roots are
    real; for k = 2 shift P to a square instead); a power of the constant's form y among its
    terms goes into b0. So the first layer reaches every l of degree k, and M holds all of the
    above but points c (x) l^k + delta with deg l < k, a hypersurface of the smooth part of the
    closure: the data with their nearest point there (a normal vector at a point of it) are a
    null set."""
    if not (isinstance(net, PolynomialNetwork) and net.bias and len(net.widths) == 4 and net.widths[2] == 1):
        return False
    k = _power(net) or 0
    almost = net.widths[0] == 1 and net.widths[1] == k - 1  # one input: every l of degree k
    return k >= 2 and (almost or _spanning_layer(PolynomialNetwork(net.widths[:2] + (1,), activation=net.activation, bias=True)))


def _polynomials_of_one_power(net: Network) -> bool:
    """With biases and z^k, one first-layer neuron and one more hidden layer of h >= k neurons,
    or h = 1 for k = 2, or h = k - 1 with one output: (d0, 1, h, m). The neuron gives y = (w.x + b)^k (its output weight
    absorbed), the next layer polynomials in y: with h >= k the powers (b_j y + b0_j)^k of
    distinct ratios and the output bias span all of degree <= k, so every output is any P_o(y)
    and M is the union of the spaces V^m + constants, V = span{y, ..., y^k} modulo constants.
    With k = 2 and h = 1 the rows are proportional: c (x) (lambda y^2 + mu y) + delta,
    (lambda : mu) in P^1. On one input and k = 2 these are the quartics symmetric about the axis
    x = -b / w.

    Closure: where (w, b) on its sphere tends to (0, +-1), write it (e v, 1); y - 1 = e psi with
    psi = k v.x + C(k, 2) e (v.x)^2 + ..., and V = span{psi, ..., psi^k} (triangular in the y^j
    - 1), which tends to span{v.x, ..., (v.x)^k}. So the closure is the image of the blow-up of
    the sphere's directions at the constant's (and of P^1 for h = 1), a compact manifold, and
    adds its exceptional divisor e = 0 (on one input: the polynomials of degree <= k); with h =
    1 also lambda = 0 (c (x) y, one neuron's outputs, no longer squared). The nearest point
    maximizes the squared projection R of the data (G = sum_o u_o u_o^T, constants dropped;
    with h = 1, R = w^T G w / |w|^2 over the family's w), smooth there. At a maximum all its
    derivatives vanish, one equation per dimension of the manifold: <z, t> = 0 for the
    family's tangent directions t, z the residuals times the projections (sum_o r_o p_o^T, or
    (G - R) w). Where the tangent directions are independent (the family immersed), moving u_o
    normal to the family moves z freely, so the equations are independent in u, and on a piece
    of lower dimension they outnumber its dimension: by parametric transversality a null set of
    data has its maximum there. On the divisor the direction of e adds p_k (v.x)^(k+1) (p_k the
    coefficient of (v.x)^k, a new degree: independent where p_k != 0, and p_k = 0 is one more
    equation), the moves of v add sum_j j p_j (v.x)^(j-1) (v'.x), independent for v' normal to
    v; with h = 1 at lambda = 0 the move of lambda adds y^2, of degree 4, and the moves of (w,
    b) add l dl, independent of y and constants while w != 0. On one input the derivative in e
    at the divisor is k (k - 1) sum_o u_ok u_o(k+1) (u_oj the coefficient of x^j, e as above). Off the
    constants D mu has the dimension of M ((k + 1) m + d0; m + d0 + 1 + m with h = 1): the moves
    of (w, b) add P_o'(y) l^(k-1) dl, no polynomial in y, so the rest of the edge is the
    constants, a lower stratum.

    With one output, k - 1 neurons in layer 2 (k >= 3) reach every P of degree exactly k: P -
    b0 (b0 the output's bias) with distinct roots not all real is a binary form in (y, 1) of
    real rank at most k - 1 (Causa and Re), a power of the constant's form going into b0. The
    closure is the same; what M leaves out of its smooth part (deg P < k, and the points whose
    every decomposition is degenerate, where Terracini's lemma, 2 (k - 1) >= k + 1, gives full
    rank elsewhere) has positive codimension there, and the data with their nearest point on
    such a set (a point of it plus a normal vector) are a null set."""
    if not (isinstance(net, PolynomialNetwork) and net.bias and len(net.widths) == 4 and net.widths[1] == 1):
        return False
    k, h, m = _power(net) or 0, net.widths[2], net.widths[3]
    return k >= 2 and (h >= k or (k == 2 and h == 1) or (k >= 3 and h == k - 1 and m == 1))


def edge_argument(net: Network) -> str | None:
    """Why the edge of ``net`` attracts a null set of data beyond its lower strata: a sentence
    with a ``{lower}`` slot for the lower strata's certificate, or None.

    Linear networks and one hidden layer with z^2 and one output without biases: the edge lies
    in the lower strata (``edge_is_lower_strata``). With biases the output is x^T A x + 2 b.x +
    c, and the real image is {rank A <= r - 2} with any b, or {rank A <= r} with b in the
    column space of A. At rank A = r the r neurons are independent and D mu reaches the whole
    tangent space; rank A = r - 1 with b in its column space, or rank A <= r - 2 with b in it,
    is a subnetwork. What is left is rank A <= r - 2 with b outside the column space: a pair of
    neurons with one direction w and opposite output weights gives the affine part 2a(beta_1 -
    beta_2)(w.x) + const. At rank A = r - 2 exactly (lower ranks leave neurons free, whose
    directions (w.x + beta)^2 span everything), that pair moves the quadratic part in the
    directions w m and with delta_1 = delta_2 the linear part anywhere: the two-sided directions
    span the tangent space of rank r - 1 at col A + w (w is outside col A), all linear and
    constant parts, d_0 - r + 2 more than the dimension of that set, so its cells have dimension
    at most A - (d_0 - r + 2) < A (``_voronoi_cells``). With r - 2 >= d_0, M fills the space
    and its edge is a set of critical values, null by Sard's theorem."""
    if _one_neuron_with_biases(net):
        return (
            "the closure of M is c (x) psi + delta over the blow-up of the directions of (w, b) at the constant's, a compact "
            "manifold on which the squared projection of the data is smooth; the affine maps alpha (x) (v.x) + beta left by a "
            "neuron merging with the constant are its exceptional divisor, where a maximum also needs the normal derivative "
            "sum_o <u_o, v.x><u_o, (v.x)^2> = 0: a null set of data; the rest of the edge lies in the lower strata: {lower}"
        )
    if _polynomials_of_one_power(net):
        family = "c (x) (lambda y^2 + mu y) + delta (also lambda = 0 in the closure)" if net.widths[2] == 1 else "sum_o e_o (x) P_o(y), P_o any polynomial of degree <= k,"
        return (
            f"M is {family} with y = (w.x + b)^k (on one input and k = 2 the quartics symmetric about an axis); its closure adds "
            "the exceptional divisor of the blow-up of the directions of (w, b) at the constant's, span{v.x, ..., (v.x)^k} (on one "
            "input the polynomials of degree <= k), where the family is immersed off a smaller set and the squared projection of "
            "the data is smooth, so a maximum there needs one equation more than the piece's dimension: a null set of data; "
            "D mu has the rank of M off the constants, so the rest of the edge lies in the lower strata: {lower}"
        )
    if _biased_bottleneck(net):
        return (
            "M = {c (x) l^k + delta}, l any polynomial of degree <= k (the first layer's powers with the constant span them, or "
            "on one input reach every l of degree k); its "
            "closure is c (x) psi + delta over the blow-up of the directions of l at the constant's, a compact manifold on which "
            "the squared projection of the data is smooth; the limits c (x) v + delta as l tends to a constant are its "
            "exceptional divisor, where a maximum also needs the normal derivative <(G - R) v, v^2> = 0 (v the top eigenvector "
            "of G = sum_o u_o u_o^T there): a null set of data; D mu has the rank of M wherever l is not constant, so the rest "
            "of the edge lies in the lower strata: {lower}"
        )
    if _one_first_layer_neuron(net):
        return (
            "M = {c (x) l^K} is closed (c_n (x) l_n^K with |l_n| = 1 converging keeps c_n bounded) and D mu reaches its "
            "tangent space at every point but 0, so the edge lies in the lower strata: {lower}"
        )
    if _closed_bottleneck(net):
        return (
            "M = {c (x) g^K : g in N'}, N' the network up to the input of a hidden layer of one neuron, which is closed with its "
            "edge in its lower strata; so M is closed (|g_n| = 1 keeps c_n bounded) and D mu reaches its tangent space wherever g has "
            "full rank in N', and the edge lies in the lower strata: {lower}"
        )
    if edge_is_lower_strata(net):
        return "the edge lies in the lower strata: {lower}"
    if not quadratic_one_output(net):
        return None
    d0, r, A = net.widths[0], net.widths[1], net.ambient_dim
    if r - 2 >= d0:
        return FILLS
    if r < 2:
        return "the edge lies in the lower strata: {lower}"
    return (
        "the edge lies in the lower strata ({lower}) and among the affine parts of merged pairs of neurons "
        f"(rank A <= {r - 2}, b outside its column space), whose cells have dimension <= {A - (d0 - r + 2)} < {A}"
    )
