"""Lower bounds for dim W_p that hold at every point p of a stratum of a neuromanifold, from
the two-sided directions that every point's real fiber has (``_voronoi_cells``): switched-off
neurons with zero outgoing weights and any incoming ones, chains of them through the layers, the
moves of the stratum's own neurons, and other points of the fiber. Each bound holds off the
images of the stratum's smaller subnetworks, which have bounds of their own; where the points
where an argument fails make up a part of the stratum of smaller dimension than that part's own
bound, the part is null and the bound is the one elsewhere. Two or more hidden layers with c z^k,
k >= 2, and lightning attention. Forms in d = d0 variables, or d0 + 1 with biases (in (x, 1),
x_0 the constant's coordinate); A(n, k) = comb(n + k - 1, k) the forms of degree k in n
variables; P the span of the outputs of the layer feeding a switched-off neuron."""

from __future__ import annotations

from functools import lru_cache
from math import comb
from typing import Any


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
      the d linear forms' worth: dim >= 2 A(d, k) - d. With one layer-2 neuron, p = c (x) q^k
      (+ delta (x) x_0^(k^2)): its output weights (and biases) add e_o (x) q^k (and e_o (x)
      x_0^(k^2)) for every output o, which meet c (x) q^(k-1) F_k in c (x) q^k alone (q^(k-1)
      divides x_0^(k^2) only for q ~ x_0^k, a constant p): A(d, k) + m - 1 (+ m). With
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
        if k == 2 and b == 2 and a == 3 and not net.bias:
            return min(A, _two_squares_of_three(net))
        if k == 2 and b == 2 and a == 2 and not net.bias:
            return min(A, _two_squares_of_two(net))
        if k == 2 and b == 2 and a == 2 and net.bias and d >= 3:
            return min(A, _two_squares_with_constant(net))
        g = a + int(net.bias)
        return min(A, m * _products_of_powers(g, d, k) if g >= 2 else m)
    forms = comb(d + k - 1, k)
    if b == 1:
        return min(A, forms + m - 1 + int(net.bias) * m)
    if k == 2 and b == 3 and a + int(net.bias) == 3 and m >= 2 and d >= 3:
        return min(A, _three_squares_in_three(net, a, forms))
    coprime = 2 * forms - (1 if k == 2 else 0)
    if a + int(net.bias) == 2:
        # two non-proportional q_i span P = span(y_1^k, y_2^k) (y = l_1, l_2, or l_1 and the
        # constant x_0, independent as l_1 is no constant): they are coprime, and (q_j)^(k-1)
        # of degree k (k - 1) divides a form g of degree k only for k = 2 (g ~ q_j)
        one = coprime
    elif a == 2 and d >= 3:
        # with biases where l_1, l_2, x_0 are coordinates y_1, y_2, y_0: a common factor of a
        # plane in span(y_1^k, y_2^k, y_0^k) would divide nonzero forms in (y_1, y_2), (y_1, y_0)
        # and (y_2, y_0) alike; x_0 in span(l_1, l_2) leaves binary forms of degree k^2 on that
        # plane (m (k^2 + 1), and d - 2 for the plane), a null part where below 2 A(d, k) - d
        def on_lines(outputs: int) -> int:
            general, plane = 2 * forms - d, (d - 2) + outputs * (k * k + 1)
            return coprime if general > plane else min(coprime, general)

        one = on_lines(m)
        if m >= 2 and b == 2:
            return min(A, _separate_outputs_and_constant(net, k, forms, on_lines(1)))
    elif k == 2 and b == 2:
        # q_1 F_2 and q_2 F_2 meet in the line of q_1 q_2 where the q_i are coprime; where they
        # share a linear factor pi, p = pi^2 (c_1 (x) s_1^2 + c_2 (x) s_2^2) (+ delta (x) x_0^4),
        # of at most 3 (d - 1) + (2 + bias) m dimensions, and the spaces meet in pi s_1 s_2 F_1
        shared = (2 * forms - d, 3 * (d - 1) + (2 + int(net.bias)) * m)
        one = _combined([shared], coprime)
    else:
        one = 2 * forms - d
    if m >= 2 and a + int(net.bias) == 2:
        return min(A, _separate_outputs(net, a, b, k, forms, one))
    return min(A, one)


def _products_of_powers(g: int, d: int, k: int) -> int:
    """A lower bound for dim P^k, P spanned by the k-th powers of g pairwise non-proportional
    forms in d variables, independent (else fewer neurons reach p), whatever their span L, of
    dimension r <= min(g, d) with A(r, k) >= g: A(g, k) (monomials in k-th powers of
    coordinates) for r = g, ``_powers_of_one_more`` for r = g - 1, and Cauchy-Davenport's k (g
    - 1) + 1 always; the smallest over r."""
    spans = [r for r in range(2, min(g, d) + 1) if comb(r + k - 1, k) >= g]
    davenport = k * (g - 1) + 1

    def at(r: int) -> int:
        if r == g:
            return comb(g + k - 1, k)
        return max(davenport, _powers_of_one_more(r, k)) if r == g - 1 else davenport

    return min((at(r) for r in spans), default=davenport)


def _separate_outputs(net: Any, a: int, b: int, k: int, forms: int, one: int) -> int:
    """The bound for a first-layer neuron off, b >= 2 layer-2 neurons left, m >= 2 outputs, and
    P spanned by the k-th powers of two coordinates y_1, y_2 (l_1, l_2 without biases; l_1 and
    the constant x_0 with them, never proportional as l_1 is no constant): p = sum_i c_i (x)
    q_i^k (+ delta (x) x_0^(k^2)), the q_i pairwise non-proportional forms in P (else fewer
    layer-2 neurons reach p), none proportional to x_0^k (a constant layer-2 neuron goes into
    the output biases): b (+ 1) distinct points of the line P. The off neuron moves p along c_i
    (x) q_i^(k-1) F_k and the output weights (and biases) along e_o (x) q_i^k (and e_o (x)
    x_0^(k^2)); the k-th powers of distinct points of P span E = min(k + 1, b (+ 1)) of its
    k + 1 forms of degree k.

    * c_j not proportional to c_i: split R^m (x) F into the part along c_i and the rest. Along
      c_i, q_i^(k-1) F_k meets the forms in y_1^k, y_2^k (grading the exponents mod k) in
      q_i^(k-1) P, to which the other points' powers add min(k + 1, b + 1 (+ 1)) - 2 (a point
      counted twice and the others once: apolarity), D_1 = A(d, k) + that in all; modulo c_i the
      same along the image of c_j, and E along each of the other m - 2 directions: 2 D_1 + (m -
      2) E. That counts two directions in each class of a monomial n of F_k off P (the A(d, k)
      - 2 others, each alone in its class: n is fixed by its exponents mod k and its degree in
      the other coordinates), where W_p holds c_i (x) q_i^(k-1) n for every neuron i: rank-one
      tensors with pairwise non-proportional second factors, of which two with independent c_i
      span a plane holding no other rank-one tensor but their multiples, so a third neuron adds
      one more: (A(d, k) - 2) (min(b, 3) - 2) in all.
    * every c_i on one line: p = c (x) f (+ delta), the one-output bound ``one`` along c and E
      in each other direction, on a part of at most (m - 1) (+ m - 1 for delta) plus the
      one-output stratum's parameters less one rescaling per neuron, or the forms of degree
      k^2 in d variables where fewer."""
    d, m = net.widths[0] + int(net.bias), net.widths[-1]
    bias = int(net.bias)
    points = min(k + 1, b + bias)
    along = forms + min(k + 1, b + 1 + bias) - 2
    one_output = min(a * d + a * (b - 1) + bias * (b + 1), comb(d + k * k - 1, k * k))
    proportional = (one + (m - 1) * points, (1 + bias) * (m - 1) + one_output)
    third = (forms - 2) * (min(b, 3) - 2)
    return _combined([proportional], 2 * along + (m - 2) * points + third)


def _three_squares_in_three(net: Any, a: int, forms: int) -> int:
    """The bound for a first-layer neuron off, three layer-2 neurons left, z^2, m >= 2 outputs and
    P spanned by three squares y_1^2, y_2^2, y_3^2 (three l_j, or two and the constant x_0),
    d >= 3: p = sum_i c_i (x) q_i^2 (+ delta (x) x_0^4), the q_i pairwise non-proportional in P
    (else fewer layer-2 neurons reach p). W_p holds c_i (x) q_i F (F the forms of degree 2, A =
    A(d, 2) of them; the off neuron's outgoing weights) and e_o (x) q_i^2 (the output weights).
    Where c_i, c_j are independent, a functional phi of the outputs with phi(c_j) = 0 != phi(c_i)
    splits W_p: dim W_p >= dim(q_i F + phi(c_l) q_l F) + dim q_j F, the third neuron l taken
    with phi(c_l) != 0 (one of the three pairings has it). q_i F and q_l F meet in the line of
    q_i q_l for coprime q_i, q_l, in pi s_i s_l F_1 (d dimensions) where q_i = pi s_i, q_l = pi s_l.

    * y_1, y_2, y_3 independent (coordinates) and the q_i a basis of P: pairwise non-proportional
      forms in the y_j^2 are coprime (a reducible one is w_1 y_1^2 + w_2 y_2^2 or y_1^2), so the
      split gives 3 A - 1 (3 A where c_1, c_2, c_3 are pairwise independent). Grading the
      exponents mod 2, the forms of (q_i, q_l) in the class 0 are q_i G + q_l G (G the squares
      of the coordinates), and q_j^2 is not among them (the q_i are coordinates on P): the
      output weights e_o (x) q_j^2 off the image add 3 where c_1 ~ c_2 (q_3^2 along c_1, q_1^2
      and q_2^2 along c_3) and where the c_i are pairwise independent (c_3 = alpha c_1 + beta c_2:
      q_2^2 along c_1, q_1^2 along c_2, q_3^2): 3 A + 2 at least, within the span C of the c_i
      when it is a plane.

    With m >= 3 outputs the c_i span a plane C or all of a 3-space. Off C, W_p holds E = the span
    of the q_i^2 in each of m - dim C directions: the squares of three pairwise non-proportional
    elements of P are independent where they lie in a plane of it or form a basis (3), and two
    squares are independent anyway (2). Where c_1, c_2, c_3 are independent, W_p holds the direct
    sum of c_i (x) (q_i F + E), and E adds to q_i F what the squares q_j^2 give modulo q_i in the
    forms on P: with the q_i a basis, the restrictions of q_j, q_l to the plane q_i = 0 are not
    proportional (2); with q_j^2 in q_i F only where q_i | q_j^2, which a square y_t^2 of P and
    q_j != y_t^2 exclude (1). In each part below the case of a plane C is the smaller:

    * y_1, y_2, y_3 independent, the q_i a basis of P: 3 A + 2 + 3 (m - 2) (3 (A + 2) + 3 (m -
      3) where C is a 3-space).
    * the q_i dependent, in a plane S of P: 3 A - 1 + 3 (m - 2) (3 (A + 1) + 3 (m - 3)), on at
      most a (d - 1) (the l_j up to scale) + 2 (S) + m (3 + bias) (p in R^m (x) S^2 and delta)
      dimensions.
    * every c_i on one line c: (q_1, q_2) along c, 2 A - 1, and the three squares q_i^2 in each
      other direction: 2 A - 1 + 3 (m - 1), on at most a (d - 1) + 6 (a quadratic form in
      the y_j^2) + (m - 1) (1 + bias) (the line c and delta off it).
    * y_1, y_2, y_3 in a plane L (x_0 in span(l_1, l_2)), where P is every quadric on L: with C a
      plane, 3 A - d + 2 (m - 2), on at most (2 - bias)(d - 2) (L) + the tuples of binary
      quartics on L in C and delta off it, 2 (m - 2) + 10 + bias (m - 2), or 5 m where fewer;
      with C a 3-space, the q_i F are independent: 3 A + 2 (m - 3), on at most (2 - bias)(d -
      2) + 5 m; every c_i on one line, 2 A - d + 2 (m - 1), on at most (2 - bias)(d - 2) + 5 +
      (m - 1)(1 + bias).

    The parts are combined by ``_combined``."""
    d, m = net.widths[0] + int(net.bias), net.widths[-1]
    bias = int(net.bias)
    plane = (2 - bias) * (d - 2)
    parts = [
        (3 * forms - 1 + 3 * (m - 2), a * (d - 1) + 2 + m * (3 + bias)),
        (2 * forms - 1 + 3 * (m - 1), a * (d - 1) + 6 + (m - 1) * (1 + bias)),
        (3 * forms - d + 2 * (m - 2), plane + min(5 * m, (2 + bias) * (m - 2) + 10)),
        (2 * forms - d + 2 * (m - 1), plane + 5 + (m - 1) * (1 + bias)),
    ]
    if m >= 3:
        parts.append((3 * forms + 2 * (m - 3), plane + 5 * m))
    return _combined(parts, 3 * forms + 2 + 3 * (m - 2))


def _separate_outputs_and_constant(net: Any, k: int, forms: int, one: int) -> int:
    """The bound for a first-layer neuron off, two left there (l_1, l_2) and two in layer 2, with
    biases, d = d_0 + 1 >= 3, m >= 2 outputs: p = c_1 (x) q_1^k + c_2 (x) q_2^k + delta (x)
    x_0^(k^2), the q_i and x_0^k pairwise non-proportional in P = span(l_1^k, l_2^k, x_0^k)
    (else fewer neurons reach p), so their k-th powers span E = 3 dimensions. ``one`` is the
    one-output bound.

    * l_1, l_2, x_0 independent (coordinates) and q_1, q_2, x_0^k a basis s, t, w of P: along
      c_1, q_1^(k-1) F_k meets P^k in s^(k-1) P (grading the exponents mod k), and t^k, w^k
      add two directions; along c_2 modulo c_1 the same; E in each other direction:
      2 (A(d, k) + 2) + 3 (m - 2).
    * x_0^k = alpha q_1 + beta q_2 (alpha beta != 0): t^k and (alpha s + beta t)^k add one
      direction for k = 2 (s^2, s t, t^2 are all forms in s, t), two for k >= 3; a hypersurface
      of the parameters, of at most 2 d + 1 + 3 m dimensions (2 d + 6 + 3 m parameters, less a
      rescaling per neuron and the condition).
    * x_0 in span(l_1, l_2): q_i^(k-1) F_k along c_1 and modulo it along c_2, E in the others;
      p is a tuple of binary forms on that plane: (d - 2) + m (k^2 + 1) dimensions, and at
      most (d - 2) + 3 m + 6 (l_1, l_2 up to scale on the plane, the three weights of each q_i
      less its rescaling against c_i, c and delta); for k = 2 the squares of l_1, l_2, x_0 span
      every quadric on the plane, so the lines drop out: (d - 2) + 3 m + 4.
    * c_2 ~ c_1: the one-output bound along c and E in the other directions, on 2 (m - 1)
      (c and delta) plus at most 2 d + 5 (the one-output parameters less the rescalings).

    The parts are combined by ``_combined``."""
    d, m = net.widths[0] + 1, net.widths[-1]
    parts = [
        (2 * (forms + 1 + (1 if k >= 3 else 0)) + 3 * (m - 2), 2 * d + 1 + 3 * m),
        (2 * forms + 3 * (m - 2), (d - 2) + min(m * (k * k + 1), 3 * m + (4 if k == 2 else 6))),
        (one + 3 * (m - 1), 2 * (m - 1) + 2 * d + 5),
    ]
    return _combined(parts, 2 * (forms + 2) + 3 * (m - 2))


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
      >= k (g - 1) + 1 (Cauchy-Davenport), ``_coordinates_and_constant`` where the l_j are
      coordinates on L and x_0 lies in it, and ``_powers_of_one_more`` for g = r + 1 (four
      ternary forms: 19 cubes of products); and moving l_j along a complement Z of L adds q^(k-1) l_j^(k-1) z,
      of degree 1 in Z (unlike P^k), with the l_j^(k-1) spanning a (l_j independent) or at least
      min(a, k) dimensions (powers of pairwise non-proportional forms): (d - r) times that.
      Those points are images of L (a Grassmannian of dimension (r - 1)(d - r) with x_0 in L,
      else r (d - r)), q on L (A(r, k)) and c, delta up to q's scale.

    The parts are combined by ``_combined``."""
    d0, m = net.widths[0], net.widths[-1]
    bias = int(net.bias)
    d, g = d0 + bias, a + bias
    parts: list[tuple[int, int]] = []  # (bound, dimension) of each lower-dimensional part
    for r in range(2, min(a, d) + 1 if bias else min(a - 1, d) + 1):
        powers = k * (g - 1) + 1
        if bias and r == a:
            powers = max(powers, _coordinates_and_constant(a, k))
        if g == r + 1:
            powers = max(powers, _powers_of_one_more(r, k))
        bound = m * powers + (d - r) * (a if r == a else min(a, k))
        count = (r - bias) * (d - r) + comb(r + k - 1, k) + (1 + bias) * m - 1
        parts.append((bound, count))
    return _combined(parts, m * comb(g + k - 1, k) + a * d - a if g <= d else None)


def _combined(parts: list[tuple[int, int]], independent: int | None) -> int:
    """One bound from the bound where the first-layer forms are independent (None: they never
    are) and (bound, dimension) of each lower-dimensional part where they are not: a part whose
    dimension is below its bound is null. The independent bound where every part is null, else
    the smallest bound of the parts not proven null; with no independent part and every part
    null, the largest of their bounds, which exceeds every part's dimension and so the
    stratum's."""
    open_parts = [bound for bound, count in parts if bound <= count]
    if independent is None:
        return min(open_parts) if open_parts else max(bound for bound, _ in parts)
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
      k (g - 1) + 1, and at least ``_powers_of_one_more`` for g = r + 1 (three lines in a plane
      are x, y, x + y after a change of coordinates and rescalings);
      moving the l_j along a complement Z of L adds (d - r) times the span of the s_j l_j^(k-1),
      which holds dp/dx_t / k^2 for the r directions in L, two of them independent (else p is a
      power of one form: fewer neurons reach it). Those points are images of L (r (d - r), or
      (r - 1)(d - r) with x_0 in L) and of q_1, q_2 on L, c and delta up to the q_i's scales (or
      of all forms of degree k^2 on L).

    The parts are combined by ``_combined``."""
    d0, m = net.widths[0], net.widths[-1]
    bias = int(net.bias)
    d, g = d0 + bias, a + bias
    parts: list[tuple[int, int]] = []
    for r in range(2, min(g - 1, d) + 1):
        powers = k * (g - 1) + 1
        if bias and r == a:
            powers = max(powers, _coordinates_and_constant(a, k))
        if g == r + 1:
            powers = max(powers, _powers_of_one_more(r, k))
        bound = m * powers + (d - r) * 2
        count = (r - bias) * (d - r) + min(2 * comb(r + k - 1, k) + (2 + bias) * m - 2, m * comb(r + k * k - 1, k * k))
        parts.append((bound, count))
    return _combined(parts, m * comb(g + k - 1, k) + a * (d - 1) if g <= d else None)


def _two_squares_of_three(net: Any) -> int:
    """The bound for three first-layer neurons and two layer-2 neurons left with z^2, no biases:
    p = c_1 (x) q_1^2 + c_2 (x) q_2^2, q_i = sum_j W_ij l_j^2, off the smaller subnetworks
    (q_1, q_2 not proportional, no column of W zero, every c_i nonzero). Moving l_j adds s_j
    l_j x_t with s_j = sum_i c_i W_ij q_i; since q_1, q_2 are independent, s_j and s_t are
    proportional only where columns j and t of W are (c_i W_ij = lambda c_i W_it for each i),
    and s_j = 0 only for a dead neuron.

    * l_1, l_2, l_3 independent (coordinates, d >= 3): P^2 is the 6 products x_i^2 x_j^2 in each
      output; the class of exponents mod 2 at {j, t} (j != t <= 3) holds s_j x_j x_t and s_t x_t
      x_j: 2 dimensions unless columns j and t of W are proportional; the class {j, t > 3} holds
      s_j x_j x_t alone: 6 m + 6 + 3 (d - 3). Where columns 2 and 3 (say) are proportional,
      one less, on the part where p is a tuple of quadratic forms in l_1^2 and a rank-2 quadric
      Q = l_2^2 + lambda l_3^2, of at most min(3 m, 2 m + 2) + (d - 1) + (2 d - 2) dimensions.
    * l_1, l_2, l_3 in a plane L (on two inputs, everywhere): P^2 is every binary quartic on L
      (5 in each output); and the fiber holds every real triple of lines in L (their squares
      span the quadrics on L). With one output their s'_j = B(phi_j) for the dual basis phi_j
      and the map B(phi) = sum_i c_i phi(q_i) q_i: over all triples the moves out of L span (d -
      2) (q_1 L + q_2 L), of dimension 3 (4 unless q_1, q_2 share a factor); with several, their
      images under a linear map phi of the outputs with phi(c_1), phi(c_2) != 0 are those of
      one output, so at least 3 per direction z of a complement too. Such points: the plane (a
      Grassmannian of dimension 2 (d - 2)) and the tuple on it, at most 2 (d - 2) + min(5 m,
      2 m + 7) dimensions (6 weights on the plane, 6 in W, 2 m output weights, less five
      rescalings).

    The parts are combined by ``_combined``."""
    d, m = net.widths[0], net.widths[-1]
    if d < 3:
        return 5 * m
    parts = [
        (6 * m + 6 + 3 * (d - 3) - 1, min(3 * m, 2 * m + 2) + (d - 1) + (2 * d - 2)),
        (5 * m + 3 * (d - 2), 2 * (d - 2) + min(5 * m, 2 * m + 7)),
    ]
    return _combined(parts, 6 * m + 6 + 3 * (d - 3))


def _two_squares_of_two(net: Any) -> int:
    """The bound for two first-layer neurons and two layer-2 neurons left with z^2, no biases:
    p = c_1 (x) q_1^2 + c_2 (x) q_2^2, q_i = W_i1 l_1^2 + W_i2 l_2^2, off the smaller
    subnetworks (l_1, l_2 not proportional, so coordinates x_1, x_2; q_1, q_2 not proportional,
    so W is invertible; every c_i nonzero). The off layer-2 neuron gives e_o (x) r^2 for every r
    in P = span(x_1^2, x_2^2): the 3 products of the squares in each output. Moving l_j along
    x_t adds s_j x_j x_t, s_j = 2 sum_i W_ij c_i (x) q_i; grading the exponents mod 2, the class
    of x_1 x_2 holds s_1 and s_2, independent as the columns of W are (a functional that is 1 at
    q_1 and 0 at q_2 maps sum_i alpha_i c_i (x) q_i to alpha_1 c_1), and each x_j x_t, t > 2,
    one: 3 m + 2 (d - 1)."""
    d, m = net.widths[0], net.widths[-1]
    return 3 * m + 2 * (d - 1)


def _two_squares_with_constant(net: Any) -> int:
    """The bound for two first-layer neurons and two layer-2 neurons left with z^2 and biases,
    d = d_0 + 1 >= 3: p = c_1 (x) q_1^2 + c_2 (x) q_2^2 + delta (x) x_0^4, q_i = W_i1 l_1^2 +
    W_i2 l_2^2 + beta_i x_0^2, off the smaller subnetworks (q_1, q_2 not proportional, every
    c_i and column of W nonzero). Moving l_j adds s_j l_j x_t, s_j = sum_i c_i W_ij q_i, with
    s_1 ~ s_2 only where the columns of W are proportional (q_1, q_2 are independent).

    * l_1, l_2, x_0 independent (coordinates y_1, y_2, y_0): grading the exponents mod 2, P^2
      gives the 6 products of the squares in each output, the class {1, 2} holds s_1 and s_2,
      the classes {j, 0} (moving l_j along x_0: its bias) and {j, t} for the other coordinates
      one each: 6 m + 4 + 2 (d - 3). Where the columns of W are proportional one less, on the
      part where p is a tuple of quadratic forms in x_0^2 and a quadric Q = l_1^2 + lambda l_2^2
      of rank 2: at most (2 d - 2) + 3 m dimensions.
    * x_0 in L = span(l_1, l_2): the squares of l_1, l_2, x_0 span the quadrics on L, so P^2 is
      every binary quartic on L in each output, and the fiber holds every real pair of lines
      l'_1, l'_2 in L: were all their moves s'_j l'_j z out of L proportional, infinitely many
      lines would divide one cubic (s'_1 = 0 only for span(q_1, q_2) = span(l'_2^2, x_0^2), one
      l'_2 at most): 5 m + 2 (d - 2), on at most (d - 2) + min(5 m, 3 m + 4) dimensions (the
      plane; c, the q_i up to scale, delta).

    The parts are combined by ``_combined``."""
    d, m = net.widths[0] + 1, net.widths[-1]
    general = 6 * m + 4 + 2 * (d - 3)
    parts = [(general - 1, (2 * d - 2) + 3 * m), (5 * m + 2 * (d - 2), (d - 2) + min(5 * m, 3 * m + 4))]
    return _combined(parts, general)


PRIME = 2_147_483_647  # ranks of integer matrices modulo this prime: never above the rank over Q
EXACT_PRODUCTS = 400  # the most products of powers whose span is computed exactly


@lru_cache(maxsize=None)
def _powers_of_one_more(r: int, k: int) -> int:
    """A lower bound for dim P^k where P is spanned by the k-th powers of r + 1 pairwise
    non-proportional linear forms spanning r dimensions: r of them are coordinates x_j and the
    last, after rescaling, x_1 + ... + x_s for some 2 <= s <= r (up to a permutation), so P^k
    is spanned by the products x^(k e) (x_1 + ... + x_s)^(k c), |e| + c = k. The smallest rank
    over s, computed modulo a prime (a lower bound for the rank over Q); for r = 2: x, y, x + y
    (5, 9, 14 for k = 2, 3, 4: for cubes one relation among the ten). Cauchy-Davenport's
    k r + 1 where there would be more than EXACT_PRODUCTS products."""
    from itertools import combinations_with_replacement

    if comb(r + k, k) > EXACT_PRODUCTS:
        return k * r + 1
    best = None
    for s in range(2, r + 1):
        rows = []
        for chosen in combinations_with_replacement(range(r + 1), k):
            e = [k * chosen.count(j) for j in range(r)]
            rows.append(_times_power_of_sum(e, s, k * chosen.count(r)))
        rank = _rank_modulo(rows)
        best = rank if best is None else min(best, rank)
    return int(best or 0)


def _times_power_of_sum(e: list[int], s: int, n: int) -> dict[tuple[int, ...], int]:
    """The coefficients of x^e (x_1 + ... + x_s)^n, by monomial (each choice of counts is one)."""
    from itertools import combinations_with_replacement

    from ._voronoi_tangent import _multinomial

    out: dict[tuple[int, ...], int] = {}
    for picks in combinations_with_replacement(range(s), n):
        counts = tuple(picks.count(j) for j in range(s))
        out[tuple(e[j] + (counts[j] if j < s else 0) for j in range(len(e)))] = _multinomial(counts)
    return out


def _rank_modulo(rows: list[dict[tuple[int, ...], int]]) -> int:
    """The rank modulo PRIME of the sparse integer rows, by elimination."""
    pivots: dict[tuple[int, ...], dict[tuple[int, ...], int]] = {}
    for row in rows:
        row = {m: c % PRIME for m, c in row.items() if c % PRIME}
        while row:
            lead = max(row)
            if lead not in pivots:
                inverse = pow(row[lead], PRIME - 2, PRIME)
                pivots[lead] = {m: c * inverse % PRIME for m, c in row.items()}
                break
            factor = row[lead]
            for m, c in pivots[lead].items():
                v = (row.get(m, 0) - factor * c) % PRIME
                if v:
                    row[m] = v
                else:
                    row.pop(m, None)
    return len(pivots)


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
    (linear Cauchy-Davenport). With two first-layer neurons and no biases, or one with
    biases, and a neuron off in a later layer, also the bound of ``_first_layer_coordinates``.
    The largest of these is the bound."""
    from .critical import _power

    d0, *hidden, m = net.widths
    if len(hidden) == 2:
        return _two_hidden_layers_bound(net, widths[0], widths[1])
    k, d = int(_power(net) or 0), d0 + int(net.bias)
    later_off = any(a < h for a, h in zip(widths[1:], hidden[1:]))  # the shallower network has a neuron off
    coordinates = widths[0] + int(net.bias) == 2  # l_1, l_2 or l_1, x_0
    best = _first_layer_coordinates(net, widths, k) if coordinates and later_off else 0
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


def _first_layer_coordinates(net: Any, widths: tuple[int, ...], k: int) -> int:
    """The bound for three or more hidden layers where the first layer's forms are coordinates:
    two first-layer neurons without biases (l_1, l_2 not proportional, else one neuron reaches
    p), or one with biases (l_1 and the constant x_0: l_1 is no constant), with a neuron off in
    a later layer (the shallower network's bound needs one). With x_1 (, x_2) those forms, x_0
    the constant's coordinate and others beside them, p = G(u) is the output of the shallower
    network (a_1, h_2, ..., h_L, m) (with biases: homogeneous in u_0 = x_0^k) at its inputs u_j
    = x_j^k. Grading the exponents mod k:

    * class 0 holds every move of layers 2..L + 1, of their switched-off neurons and of the
      points of their fiber, so the shallower network's own bound at G (off its smaller
      subnetworks, which are the deep network's with the same l_j; forms in u map injectively
      to forms in x);
    * moving l_j along x_t (t != j; along x_0: its bias) adds k x_j^(k-1) x_t dG/du_j, nonzero
      (else fewer neurons reach p). For k >= 3 each ordered pair (j, t) is a class of its own:
      a_1 (d - 1). So it is with one neuron for k = 2. With two and k = 2 the class of x_1 x_2
      holds dG/du_1 and dG/du_2, proportional only where G is invariant along a direction of
      the u-plane, G = c (lambda u_1 + u_2)^D: one neuron in every later layer reaches p, so two
      directions unless those layers have one neuron; and each x_j x_t, t > 2, one: 2 (d - 2) +
      2 (or + 1)."""
    from .architectures import PolynomialNetwork

    d0, *hidden, m = net.widths
    a, d = widths[0], d0 + int(net.bias)
    shallower = PolynomialNetwork((a, *hidden[1:], m), activation=net.activation, bias=net.bias)
    inner = _layers_bound(shallower, _merged(a, widths[1:], net.bias))
    if k >= 3 or a == 1:
        return inner + a * (d - 1)
    return inner + 2 * (d - 2) + (2 if any(w > 1 for w in widths[1:]) else 1)


def layers_everywhere(net: Any, widths: tuple[int, ...], seed: int) -> int | None:
    """dim W_p bounded below at every point of the subnetwork with hidden ``widths`` and of all
    its smaller subnetworks, each bound above the subnetwork's dimension (so every point of the
    stratum lies in a part of it with a null cell), or equal to it where the parametrization is
    finite up to the rescalings and exact ranks show more directions at generic points
    (``_finite_fibers``): the bound for the stratum itself, or None. Two or more hidden layers
    with c z^k, k >= 2, only; all zeros is the constant functions."""
    from itertools import product

    from .architectures import PolynomialNetwork
    from .critical import _dim, _power

    if not isinstance(net, PolynomialNetwork) or len(net.widths) < 4 or (_power(net) or 0) < 2 or len(widths) != len(net.widths) - 2:
        return None
    d0, m = net.widths[0], net.widths[-1]

    def certified(hidden: tuple[int, ...]) -> int | None:
        from ._finite_fibers import finite_fiber_bound

        bound = _layers_bound(net, hidden)
        dim = _dim(PolynomialNetwork((d0, *hidden, m), activation=net.activation, bias=net.bias), seed)
        if bound > dim:
            return bound
        return finite_fiber_bound(net, hidden, bound, seed) if bound == dim else None

    for smaller in product(*(range(1, a + 1) for a in widths)):
        if _merged(d0, smaller, net.bias) != smaller:
            continue  # its points are those of a smaller subnetwork in this loop
        if certified(smaller) is None:
            return None
    # (with biases the constant functions, below every stratum, have the bound A > m)
    return certified(_merged(d0, widths, net.bias))


def _merged(d0: int, widths: tuple[int, ...], bias: bool) -> tuple[int, ...]:
    """Hidden widths with the same image: without biases a layer fed by one function (one
    neuron, or one input) has every neuron compute a multiple of that function's k-th power,
    as one neuron does."""
    out, fed = [], d0
    for a in widths:
        fed = min(a, 1) if fed == 1 and not bias else a
        out.append(fed)
    return tuple(out)


def attention_everywhere(net: Any, dim: int) -> int | None:
    """A lower bound for dim W_p at every point p of a stratum of lightning attention f(X) = V X
    X^T K^T Q X with key/query dimensions switched off, when it exceeds the stratum's dimension
    ``dim``, else None. At every point of the stratum the fiber holds a switched-off row with
    Q_a = 0 and any K_a, whose moves of Q_a give V X X^T B X for every B = K_a^T dQ (rank one,
    spanning all d x d matrices), and V moves along dV X X^T A X (A = K^T Q). Off the zero
    function V and f are nonzero.

    * t >= 2 inputs: column j of V X X^T B X is sum_s (V x_s)(x_s^T B x_j), whose terms s != j
      have distinct multidegrees, so it vanishes only for B = 0: d^2 directions. A move dV = N
      lands among them only where (N x)(x^T A y) = (V x)(x^T B y) for all x, y: N x ~ V x for
      every x, so N = lambda V (two independent rows of V: N_1 V_2 + V_2 N_1 = N_2 V_1 + V_1
      N_2 as products of linear forms), or N = u w^T where V = u v^T, and then (w . x) A^T x =
      (v . x) B^T x forces w ~ v unless A = v c^T. So d^2 + m d - 1 directions; on the part V =
      u v^T, A = v c^T (of at most m + 2d - 2 dimensions) the identity reads (N x)(c . y) = u
      (x^T B y), so every N = u w^T lands among them and no other: d^2 + (m - 1) d.
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
        bound = _combined([(d * d + (m - 1) * d, m + 2 * d - 2)], d * d + m * d - 1)
    else:
        quadrics = comb(d + 1, 2)
        generic, divisible = quadrics + m * d - 1, quadrics + m * d - d
        bound = generic if divisible > m + 2 * d - 2 else divisible
    bound = min(int(net.ambient_dim), bound)
    return bound if bound > dim else None
