"""One hidden layer with z^2, biases, two outputs and d0 + 1 neurons: a pencil is in M when a
shift of its constant terms leaves d distinct real eigenvalues, decided by the tangents' cofactors
(``_shifted_pencils``). Checked: the tangent's algebra (double roots, rotated forms), the maxima
of trigonometric polynomials, preimages built for every pencil decided inside, no shift found
for those decided outside by a brute-force search, invariance under affine changes of the inputs
and mixing of the outputs, and the estimator on the edge."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import neuromanifold as nm
from neuromanifold._cofactor_arcs import _eigenvalues, _newton, _shared, _turned_cofactors, _zoomed
from neuromanifold._cofactor_arcs import change_points, cofactor_coefficients, discriminant_matrices
from neuromanifold._cofactor_arcs import decide as decide_on_arcs
from neuromanifold._voronoi_real_rank import _all_roots_real
from neuromanifold._quadratic_forms import quadratic_forms
from neuromanifold._shifted_pencils import (
    ShiftedPencil,
    orthonormal_outputs,
    _rotations,
    _tangents,
    _unit_discriminants,
    determinant_forms,
    shifted_pencil,
    shifted_pencil_available,
    tangent_discriminants,
    trigonometric_maximum,
    TOL,
)
from neuromanifold._voronoi_networks import NetworkJob, _exact_edge
from neuromanifold._voronoi_pencils import pencil_preimage
from test_voronoi_pencils import coefficients


def binary_form(coefficients: np.ndarray, c: np.ndarray, s: np.ndarray) -> np.ndarray:
    n = coefficients.shape[-1] - 1
    return sum(coefficients[..., k] * c ** (n - k) * s**k for k in range(n + 1))


def random_pencils(d: int, n: int, rng: np.random.Generator) -> np.ndarray:
    M = rng.standard_normal((n, 2, d, d))
    return M + M.transpose(0, 1, 3, 2)


@given(degree=st.integers(0, 5), t=st.floats(-4.0, 4.0), seed=st.integers(0, 2**32 - 1))
def test_rotated_forms_are_the_substitution(degree: int, t: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = rng.standard_normal(degree + 1)
    c, s = rng.standard_normal(2)
    rotated = _rotations(degree, np.array([t]))[0] @ p
    expected = binary_form(p, c * np.cos(t) - s * np.sin(t), c * np.sin(t) + s * np.cos(t))
    assert binary_form(rotated, c, s) == pytest.approx(expected, rel=1e-10, abs=1e-10)


@given(d=st.integers(2, 5), seed=st.integers(0, 2**32 - 1))
def test_determinant_forms(d: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    Q = random_pencils(d, 1, rng)
    c, s = rng.standard_normal(2)
    form = determinant_forms(Q[:, 0], Q[:, 1])[0]
    assert binary_form(form, c, s) == pytest.approx(np.linalg.det(c * Q[0, 0] + s * Q[0, 1]), rel=1e-9, abs=1e-9)


@given(d=st.integers(2, 5), t=st.floats(0.0, np.pi), seed=st.integers(0, 2**32 - 1))
def test_the_tangent_shift_has_a_double_root_with_the_cofactor(d: int, t: float, seed: int) -> None:
    # F = det(c (Q1 - g1 E) + s (Q2 - g2 E)) vanishes twice at tau = (cos t, sin t), and F is
    # (tau's linear form)^2 times the cofactor (cleared of R(tau)^2)
    rng = np.random.default_rng(seed)
    Q = random_pencils(d, 1, rng)
    P, R, G = (x[0, 0] for x in _tangents(Q, np.array([t])))
    if abs(R[0]) < 1e-3:
        return
    g1 = P[0] / R[0]
    g2 = (P[1] - g1 * R[1]) / R[0]
    ct, st_ = np.cos(t), np.sin(t)
    shift = np.array([ct * g1 - st_ * g2, st_ * g1 + ct * g2])  # (g1, g2) in the rotated basis, back
    E = np.zeros((d, d))
    E[-1, -1] = 1.0

    def F(c: float, s: float) -> float:
        return float(np.linalg.det(c * (Q[0, 0] - shift[0] * E) + s * (Q[0, 1] - shift[1] * E)))

    scale = np.abs(Q).max() ** d
    assert abs(F(ct, st_)) <= 1e-9 * scale
    h = 1e-5
    assert abs(F(ct - h * st_, st_ + h * ct) - F(ct + h * st_, st_ - h * ct)) <= 1e-7 * scale
    for c, s in rng.standard_normal((3, 2)):
        # in rotated coordinates (c', s') the point tau is (1, 0) and its linear form s'
        s_rot = -st_ * c + ct * s
        c_rot = ct * c + st_ * s
        cofactor = binary_form(G, c_rot, s_rot) / R[0] ** 2
        assert F(c, s) == pytest.approx(s_rot**2 * cofactor, rel=1e-6, abs=1e-8 * scale)


@given(K=st.integers(1, 12), seed=st.integers(0, 2**32 - 1))
def test_maxima_of_trigonometric_polynomials(K: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((2, K + 1)) / (1 + np.arange(K + 1))
    k = np.arange(K + 1)

    def D(phi: np.ndarray) -> np.ndarray:
        return (a * np.cos(np.multiply.outer(phi, k)) + b * np.sin(np.multiply.outer(phi, k))).sum(axis=-1)

    n = 64
    best, where, scale = trigonometric_maximum(D(2 * np.pi * np.arange(n) / n)[None])
    grid = np.linspace(0.0, 2 * np.pi, 200001)
    dense = D(grid)
    # no sample beats the maximum, which beats the grid's by at most (h / 2)^2 / 2 max |D''|,
    # and |D''| <= K^2 max |D| (Bernstein)
    h = grid[1] - grid[0]
    assert dense.max() - 1e-12 <= best[0] <= dense.max() + K**2 * scale[0] * h**2 / 8 + 1e-12
    assert D(np.array([2 * where[0]]))[0] == pytest.approx(best[0], abs=1e-9 * scale[0])
    assert scale[0] >= np.abs(dense).max() - 1e-12


def shifts_found(Q: np.ndarray, rng: np.random.Generator, n: int = 40000) -> int:
    """How many of n random shifts of the constant terms (any direction, scales 1e-3 to 1e3)
    leave a pencil (2, d, d) with only real eigenvalues: a brute-force search for a point of H."""
    d = Q.shape[-1]
    size = np.abs(Q).max()
    g = rng.standard_normal((n, 2)) * size * 10.0 ** rng.uniform(-3, 3, (n, 1))
    X = np.broadcast_to(Q[0], (n, d, d)).copy()
    Y = np.broadcast_to(Q[1], (n, d, d)).copy()
    X[:, -1, -1] -= g[:, 0]
    Y[:, -1, -1] -= g[:, 1]
    phi = rng.uniform(0, np.pi, n)[:, None, None]
    member, other = np.cos(phi) * X + np.sin(phi) * Y, -np.sin(phi) * X + np.cos(phi) * Y
    lam = np.linalg.eigvals(np.linalg.solve(member, other))
    return int((np.abs(lam.imag) <= 1e-9 * (1 + np.abs(lam))).all(axis=1).sum())


@pytest.mark.parametrize("spec", ["poly:3,4,2^2+bias", "poly:4,5,2^2+bias"])
def test_inside_is_built_and_outside_has_no_shift(spec: str) -> None:
    net = nm.parse(spec)
    assert _exact_edge(net, net.ambient_dim, "auto") is shifted_pencil
    assert nm.dimension(net).filling is False
    rng = np.random.default_rng(11)
    U = rng.standard_normal((60, net.ambient_dim))
    decisions = ShiftedPencil(net).decide(U)
    assert (decisions >= 0).all() and 0 < decisions.sum() < len(U)  # both kinds occur: M does not fill
    Q = quadratic_forms(net, U)
    for u, q, outside in zip(U, Q, decisions):
        if outside:
            assert pencil_preimage(net, u) is None
            assert shifts_found(q, rng) == 0
            assert not net.contains(u)
        else:
            theta = pencil_preimage(net, u)
            assert theta is not None
            np.testing.assert_allclose(net.mu(theta), u, atol=1e-7 * np.abs(u).max())
            assert net.contains(u)


@given(d0=st.sampled_from([3, 4]), scale=st.floats(1e-3, 1e3), seed=st.integers(0, 2**32 - 1))
def test_decisions_are_invariant_under_affine_inputs_and_mixed_outputs(d0: int, scale: float, seed: int) -> None:
    # x -> S x + t keeps neurons (w.x + b)^2 and the constant; mixing the outputs by G keeps M
    net = nm.PolynomialNetwork((d0, d0 + 1, 2), 2, True)
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((20, net.ambient_dim))
    T = np.eye(d0 + 1)
    T[:d0] = rng.standard_normal((d0, d0 + 1))
    G = scale * rng.standard_normal((2, 2))
    Q = quadratic_forms(net, U)
    moved = coefficients(net, np.einsum("ab,nbij->naij", G, T.T @ Q @ T))
    before, after = ShiftedPencil(net).decide(U), ShiftedPencil(net).decide(moved)
    decided = (before >= 0) & (after >= 0)
    assert decided.mean() >= 0.9
    assert np.array_equal(before[decided], after[decided])


@given(d0=st.integers(1, 2), scale=st.floats(1e-2, 1e2), seed=st.integers(0, 2**32 - 1))
def test_one_or_two_inputs_with_biases_fill_with_d0_plus_one_neurons(d0: int, scale: float, seed: int) -> None:
    # the cofactor has degree 0 or 1: every tangent serves
    net = nm.PolynomialNetwork((d0, d0 + 1, 2), 2, True)
    assert nm.dimension(net).filling is True
    u = scale * np.random.default_rng(seed).standard_normal(net.ambient_dim)
    theta = pencil_preimage(net, u)
    assert theta is not None
    np.testing.assert_allclose(net.mu(theta), u, atol=1e-8 * np.abs(u).max())


def test_the_estimator_counts_the_edge_by_the_tangents() -> None:
    net = nm.parse("poly:3,4,2^2+bias")
    est = nm.voronoi_mc(net, "boundary", 2000, seed=4, progress=False, chunk_size=2000)
    U = NetworkJob.create(net, "boundary", nm.Gaussian(), 4, 2000, "auto", 2000).samples(0)
    decisions = ShiftedPencil(net).decide(U)
    assert est.n_failed == int((decisions < 0).sum())
    assert est.hits == int((decisions == 1).sum()) and est.hits > 0
    assert est.exhaustive


@pytest.mark.parametrize("perturbation", [0.0, 1e-3])
def test_direct_sums_with_a_pencil_outside_stay_outside_on_more_inputs(perturbation: float) -> None:
    # the core's rule on five inputs: a pencil on three inputs (with the constant) that no shift
    # makes real, summed with any pencil on two more inputs, keeps a non-real pair for every
    # shift, also after a small perturbation: an open set outside M
    small = nm.parse("poly:3,4,2^2+bias")
    rng = np.random.default_rng(8)
    U = rng.standard_normal((400, small.ambient_dim))
    outside = np.flatnonzero(ShiftedPencil(small).decide(U) == 1)
    assert len(outside) >= 3
    big = nm.parse("poly:5,6,2^2+bias")
    assert nm.dimension(big).filling is False
    for row in outside[:3]:
        q = quadratic_forms(small, U[row : row + 1])[0]  # (2, 4, 4): x1, x2, x3, 1
        Q = np.zeros((2, 6, 6))
        inner = [0, 1, 2, 5]  # the small pencil's variables among x1, ..., x5, 1
        Q[:, np.ix_(inner, inner)[0], np.ix_(inner, inner)[1]] = q
        Q[:, 3:5, 3:5] = random_pencils(2, 1, rng)[0]
        Q += perturbation * np.abs(q).max() * random_pencils(6, 1, rng)[0]
        assert shifts_found(Q, rng) == 0
        assert pencil_preimage(big, coefficients(big, Q[None])[0]) is None
        # the arcs' decision: never inside (near the direct sum, a special pencil whose change
        # points are multiple, some stay undecided)
        assert ShiftedPencil(big).decide(coefficients(big, Q[None]))[0] != 0


@settings(max_examples=6, deadline=None)
@given(d0=st.sampled_from([3, 4]), seed=st.integers(0, 2**32 - 1))
def test_the_arcs_decide_as_the_discriminants_sign_where_it_tells(d0: int, seed: int) -> None:
    # on three and four inputs the cofactor is a quadratic or a cubic, real-rooted exactly where
    # its discriminant is positive: counting real roots on the arcs between the discriminant's
    # zeros (the method for five inputs and more, and where D's maximum is too close to its
    # rounding) gives the same decisions as the sign of that maximum where it stands clear
    net = nm.PolynomialNetwork((d0, d0 + 1, 2), 2, True)
    U = np.random.default_rng(seed).standard_normal((40, net.ambient_dim))
    Q = orthonormal_outputs(quadratic_forms(net, U))
    arcs = decide_on_arcs(Q)[0]
    best, _, scale = trigonometric_maximum(tangent_discriminants(Q))
    clear = np.abs(best) > TOL * scale
    assert (arcs >= 0).all() and clear.mean() >= 0.8
    assert np.array_equal(arcs[clear], np.where(best[clear] > 0, 0, 1))
    assert np.array_equal(ShiftedPencil(net).decide(U), arcs)


@settings(max_examples=30, deadline=None)
@given(d=st.integers(4, 7), x=st.floats(-20.0, 20.0), seed=st.integers(0, 2**32 - 1))
@example(d=7, x=6.0, seed=45)
def test_the_sheared_cofactor_has_the_rotated_ones_roots(d: int, x: float, seed: int) -> None:
    # the cofactor of the tangent at tau = (1, x) in the coordinates c tau + s (0, 1) (its
    # coefficients polynomials in x, truncated at degree 3d - 4 - k) is the rotated one in other
    # coordinates of the same line: the same roots on P^1, mapped by the change of coordinates
    Q = random_pencils(d, 1, np.random.default_rng(seed))
    P = determinant_forms(Q[:, 0], Q[:, 1])
    R = determinant_forms(Q[:, 0, :-1, :-1], Q[:, 1, :-1, :-1])
    sheared = np.array([np.polynomial.polynomial.polyval(x, g[0]) for g in cofactor_coefficients(P, R)])
    rotated = _tangents(Q, np.array([np.arctan(x)]))[2][0, 0]
    # the point c tau + s (0, 1) of the sheared frame has the coordinates (c |tau|^2 + s x, s) /
    # |tau| in the rotated frame (tau / |tau|, tau^perp / |tau|): the two forms agree up to a
    # factor under that change of coordinates (tested at d - 1 points, more than its degree)
    angles = np.linspace(0.1, 3.0, d - 1)
    c, s = np.cos(angles), np.sin(angles)
    here, there = binary_form(sheared, c, s), binary_form(rotated, c * (1 + x * x) + s * x, s)
    factor = (here @ there) / (there @ there)
    assert np.abs(here - factor * there).max() <= 1e-9 * np.abs(here).max()
    real = _all_roots_real(np.stack([sheared, rotated]))
    assert real[0] == real[1] or -1 in real  # all roots real in both, or in neither (or too close to tell)


def test_four_inputs_too_close_to_rounding_are_decided_on_arcs_with_preimages() -> None:
    # where D's maximum is within its rounding of 0 (about one pencil in twenty on four inputs)
    # the arcs decide: those inside get real parameters built at the witness tangent
    net = nm.parse("poly:4,5,2^2+bias")
    U = np.random.default_rng(21).standard_normal((1500, net.ambient_dim))
    Q = orthonormal_outputs(quadratic_forms(net, U))
    best, _, scale = trigonometric_maximum(tangent_discriminants(Q))
    unclear = np.flatnonzero(~(np.abs(best) > TOL * scale))
    decisions = ShiftedPencil(net).decide(U[unclear])
    assert len(unclear) >= 5 and (decisions >= 0).all() and (decisions == 0).any()
    for u, outside in zip(U[unclear], decisions):
        theta = pencil_preimage(net, u)
        assert (theta is None) == bool(outside)
        if theta is not None:
            np.testing.assert_allclose(net.mu(theta), u, atol=1e-7 * np.abs(u).max())


@settings(max_examples=30, deadline=None)
@given(d=st.integers(4, 8), x=st.floats(-3.0, 3.0), seed=st.integers(0, 2**32 - 1))
def test_the_sylvester_matrix_of_the_derivatives_is_the_discriminant(d: int, x: float, seed: int) -> None:
    # det S(x) = Res(G_c, G_s) = +-n^(n-2) disc G for the cofactor G at x (n = d - 2), with
    # disc G = a_0^(2n-2) prod_(i<j) (r_i - r_j)^2 over G's roots
    Q = random_pencils(d, 1, np.random.default_rng(seed))
    G = cofactor_coefficients(determinant_forms(Q[:, 0], Q[:, 1]), determinant_forms(Q[:, 0, :-1, :-1], Q[:, 1, :-1, :-1]))
    S = discriminant_matrices(G)[0]
    g = np.array([np.polynomial.polynomial.polyval(x, c[0]) for c in G])
    scale = np.abs(g).max()
    S_x, g = np.einsum("e,eij->ij", x ** np.arange(len(S)), S) / scale, g / scale
    n = d - 2
    r = np.roots(g)
    discriminant = (g[0] ** (2 * n - 2) * np.prod([(r[i] - r[j]) ** 2 for i in range(n) for j in range(i + 1, n)])).real
    assert abs(np.linalg.det(S_x)) == pytest.approx(n ** (n - 2) * abs(discriminant), rel=1e-6, abs=1e-9 * n ** (n - 2))


def real_roots(g: np.ndarray) -> np.ndarray:
    """The number of real roots of binary forms (rows), counted at a tolerance."""
    roots = [np.roots(row / np.abs(row).max()) for row in g]
    return np.array([int((np.abs(r.imag) <= 1e-7 * (1 + np.abs(r))).sum()) + (len(g[0]) - 1 - len(r)) for r in roots])


def arcs_of(zeros: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For grid angles t: which are 1e-3 or more away from every zero (on P^1), and the arc
    (between consecutive zeros) each lies on."""
    gap = np.abs(t[:, None] - zeros[None, :])
    away = np.minimum(gap, np.pi - gap).min(axis=1, initial=np.inf) > 1e-3
    return away, np.searchsorted(zeros, t) % max(len(zeros), 1)


@pytest.mark.parametrize("d", [4, 5])
def test_the_change_points_are_the_discriminants_zeros(d: int) -> None:
    # for a quadratic or cubic cofactor the sign of D (at the unit cofactors) tells whether its
    # roots are real: it is constant on every arc between the change points found and changes
    # at their ends, in any pair of charts
    t = np.linspace(0, np.pi, 6000, endpoint=False)
    Q = random_pencils(d, 6, np.random.default_rng(d))
    changes = 0
    for q in Q:
        D = np.sign(_unit_discriminants(q[None], t)[0])
        for turn in (0.3, 1.1):
            zeros, complete = change_points(q, turn)
            assert complete
            away, arc = arcs_of(zeros, t)
            signs = [set(D[away & (arc == a)]) for a in np.unique(arc[away])]
            assert all(len(sign) == 1 for sign in signs)
            changes += sum(a != b for a, b in zip(signs, signs[1:] + signs[:1]))
            sign_changes = np.flatnonzero(D != np.roll(D, 1))  # (D(pi) = D(0): the grid wraps)
            assert all(np.abs(np.angle(np.exp(2j * (zeros - t[j])))).min(initial=np.inf) / 2 <= 2 * np.pi / len(t) for j in sign_changes)
    assert changes > 0


@pytest.mark.parametrize("d0", [5, 6, 7, 9, 12])
def test_the_real_roots_change_only_at_the_arcs_ends(d0: int) -> None:
    # between consecutive change points the cofactors keep their number of real roots (on a
    # fine grid of tangent points away from the ends), and it changes at the ends: no change
    # point is missed, and the decision is that of the best arc (on twelve inputs one of these
    # pencils has a zero whose Newton steps hover at rounding, and counts as complete by them)
    net = nm.PolynomialNetwork((d0, d0 + 1, 2), 2, True)
    U = np.random.default_rng(4).standard_normal((6, net.ambient_dim))
    Q = orthonormal_outputs(quadratic_forms(net, U))
    decisions = decide_on_arcs(Q)[0]
    assert (decisions >= 0).all() and (0 < decisions.sum() < len(U) or d0 > 7)  # (on nine inputs nearly all are outside)
    t = np.linspace(0, np.pi, 6000, endpoint=False)
    changes = 0
    for q, decision in zip(Q, decisions):
        zeros, complete = change_points(q, 0.4)
        assert complete
        counts = real_roots(_tangents(q[None], t)[2][0])
        away, arc = arcs_of(zeros, t)
        for a in np.unique(arc[away]):
            assert len(set(counts[away & (arc == a)])) == 1
        per_arc = [counts[away & (arc == a)][0] for a in np.unique(arc[away])]
        changes += sum(p != q for p, q in zip(per_arc, per_arc[1:] + per_arc[:1]))
        assert (max(per_arc) == d0 - 1) == (decision == 0)  # d - 2 real roots on some arc: inside
    assert changes > 0


@settings(max_examples=5, deadline=None)
@given(d0=st.sampled_from([5, 6]), seed=st.integers(0, 2**32 - 1), other=st.integers(1, 2**16))
def test_the_arcs_decide_alike_in_other_charts(d0: int, seed: int, other: int) -> None:
    # the change points are the same points of P^1 whichever pair of charts finds them: charts
    # turned by other random angles make the same decisions
    net = nm.PolynomialNetwork((d0, d0 + 1, 2), 2, True)
    Q = orthonormal_outputs(quadratic_forms(net, np.random.default_rng(seed).standard_normal((8, net.ambient_dim))))
    first, second = decide_on_arcs(Q, 0)[0], decide_on_arcs(Q, other)[0]
    both = (first >= 0) & (second >= 0)
    assert both.mean() >= 0.75 and np.array_equal(first[both], second[both])


def test_a_cluster_of_change_points_is_solved_again_at_its_middle() -> None:
    # after this affine change of the inputs a pencil on seven inputs has tangents where P and R
    # nearly share a root: the cofactor nearly vanishes there, and D's zeros crowd so that their
    # raw eigenvalues err by about their spacing and Newton's method stalls. The Taylor
    # polynomial at the cluster's middle separates them: all are polished, each to a zero of its
    # own, the real roots' count is constant between them, and the decision is the original's
    # (in other charts such a cluster can stay unresolved: the pencil is then left undecided)
    d0 = 7
    net = nm.PolynomialNetwork((d0, d0 + 1, 2), 2, True)
    rng = np.random.default_rng(189664413)
    U = rng.standard_normal((6, net.ambient_dim))
    T = np.eye(d0 + 1)
    T[:d0] = rng.standard_normal((d0, d0 + 1))
    G = 61.25 * rng.standard_normal((2, 2))
    moved = coefficients(net, np.einsum("ab,nbij->naij", G, T.T @ quadratic_forms(net, U) @ T))[4:5]
    q = orthonormal_outputs(quadratic_forms(net, moved))[0]
    turn = float(np.random.default_rng([0, 0xA7C5, d0 + 1]).uniform(0, np.pi / 2))  # (the first charts of seed 0)
    stalled = 0
    for chart in (turn, turn + np.pi / 2):
        S = discriminant_matrices(_turned_cofactors(q[None], chart))[0]
        S = S / np.abs(S).max()
        x = _eigenvalues(S)
        near = x[(np.abs(x.real) <= 1.05) & (np.abs(x.imag) <= 1e-2 * (1 + np.abs(x)))]
        z, done, spread = _newton(S, near)
        done &= ~_shared(z, done, spread=spread)
        stalled += int((~done).sum())
        z, done = _zoomed(S, z, done)
        assert done.all()  # (each zoomed point a zero of its own among the zoomed ones)
    assert stalled > 0
    zeros, complete = change_points(q, turn)
    assert complete
    t = np.linspace(0, np.pi, 20000, endpoint=False)
    counts = real_roots(_tangents(q[None], t)[2][0])
    away, arc = arcs_of(zeros, t)
    assert all(len(set(counts[away & (arc == a)])) == 1 for a in np.unique(arc[away]))
    assert ShiftedPencil(net).decide(moved)[0] == ShiftedPencil(net).decide(U[4:5])[0] >= 0


@pytest.mark.parametrize("d0", [3, 5])
def test_degenerate_pencils_are_left_undecided(d0: int) -> None:
    # the zero pencil and a constant one have every cofactor zero (a null set of data): counted
    # as undecided, never an error; a pencil with one output zero is decided
    net = nm.PolynomialNetwork((d0, d0 + 1, 2), 2, True)
    U = np.zeros((3, net.ambient_dim))
    U[1, 0] = 1.0
    U[2] = np.random.default_rng(0).standard_normal(net.ambient_dim)
    U[2, : net.ambient_dim // 2] = 0.0
    got = ShiftedPencil(net).decide(U)
    assert got[:2].tolist() == [-1, -1] and got[2] >= 0


def test_a_zero_reached_twice_blocks_only_where_a_missed_one_could_be_real() -> None:
    # two starts polished to one zero stand for a missed zero next to them: it could be real
    # (the decision must wait) unless, for a zoom's accurate starts, the zero lies farther from
    # the real axis than they do
    z = np.array([0.5 + 1e-3j, 0.5 + 1e-3j, 0.2 + 0j, 0.7 + 1e-6j, 0.7 + 1e-6j])
    starts = np.array([0.5 + 1.01e-3j, 0.5 + 0.99e-3j, 0.2 + 1e-9j, 0.7 + 1e-5j, 0.7 - 1e-5j])
    done = np.ones(len(z), dtype=bool)
    assert _shared(z, done, starts).tolist() == [False, False, False, True, True]
    assert _shared(z, done).tolist() == [True, True, False, True, True]  # (raw starts: every twice-reached zero)
    done[4] = False  # (a start that did not converge reached nothing)
    assert not _shared(z, done, starts).any()


def test_the_arcs_decide_each_pencil_alone() -> None:
    # the charts depend on the seed and the size alone: a pencil's decision does not depend on
    # the others in its batch (chunks of any size decide alike)
    net = nm.parse("poly:5,6,2^2+bias")
    Q = orthonormal_outputs(quadratic_forms(net, np.random.default_rng(9).standard_normal((12, net.ambient_dim))))
    together = decide_on_arcs(Q, 3)
    apart = [decide_on_arcs(Q[i : i + 5], 3) for i in range(0, 12, 5)]
    assert np.array_equal(together[0], np.concatenate([a[0] for a in apart]))
    assert np.array_equal(together[1], np.concatenate([a[1] for a in apart]))


@settings(max_examples=6, deadline=None)
@given(d0=st.sampled_from([5, 6, 7]), scale=st.floats(1e-2, 1e2), seed=st.integers(0, 2**32 - 1))
def test_five_inputs_and_more_decide_inside_with_a_preimage_and_invariantly(d0: int, scale: float, seed: int) -> None:
    # every pencil decided inside gets real parameters built at the witness tangent, none
    # decided outside does; affine changes of the inputs and mixed outputs keep the decisions
    net = nm.PolynomialNetwork((d0, d0 + 1, 2), 2, True)
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((6, net.ambient_dim))
    decisions = ShiftedPencil(net).decide(U)
    assert (decisions >= 0).all()
    for u, outside in zip(U, decisions):
        theta = pencil_preimage(net, u)
        assert (theta is None) == bool(outside)
        if theta is not None:
            np.testing.assert_allclose(net.mu(theta), u, atol=1e-7 * np.abs(u).max())
    T = np.eye(d0 + 1)
    T[:d0] = rng.standard_normal((d0, d0 + 1))
    G = scale * rng.standard_normal((2, 2))
    moved = coefficients(net, np.einsum("ab,nbij->naij", G, T.T @ quadratic_forms(net, U) @ T))
    again = ShiftedPencil(net).decide(moved)
    both = (again >= 0) & (decisions >= 0)  # (a pencil too near a special one can stay undecided)
    assert both.sum() >= len(U) - 1 and np.array_equal(again[both], decisions[both])


def test_the_arcs_decide_on_up_to_sixteen_inputs() -> None:
    # fourteen inputs: the networks' own points are inside, standard normal pencils are outside
    # (nearly all are from nine inputs on), and contains() agrees
    net = nm.PolynomialNetwork((14, 15, 2), 2, True)
    rng = np.random.default_rng(4)
    U = np.vstack([net.mu(rng.standard_normal((2, net.n_params))), rng.standard_normal((2, net.ambient_dim))])
    assert shifted_pencil_available(net, 0) is None and shifted_pencil_available(nm.PolynomialNetwork((17, 18, 2), 2, True), 0) is not None
    assert ShiftedPencil(net).decide(U).tolist() == [0, 0, 1, 1]
    assert [net.contains(u) for u in U] == [True, True, False, False]
