"""The edge of one hidden layer with z^k on binary forms, decided by real rank: the network
(2, h, 1) gives the binary forms of degree k of real rank <= h. With h = k - 1 the data outside
M are the forms with k distinct real roots (real rank k), with h >= k there are none; with
2h = k + 1 the data in M are those whose apolar form of degree h has h distinct real roots, with
2h = k + 2 those whose pencil of apolar forms holds one (Sylvester). Checked against the quartic's classical root criteria, the cubic's discriminant
and the homotopy membership test, against local searches (which never reach a form of higher
real rank, and reach the others), on forms built from their decompositions, and for invariance
under real changes of variables. One input with biases by the real rank of the derivative:
checked against the homotopy membership, local searches and polynomials built from their roots."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neuromanifold as nm
from neuromanifold._voronoi_membership import Membership
from neuromanifold._voronoi_networks import NetworkJob, _least_squares
from neuromanifold._voronoi_networks import _exact_edge
from neuromanifold._voronoi_real_rank import (
    DerivativeRealRank,
    RealRank,
    _all_roots_real,
    _apolar_form,
    _apolar_space,
    _pencil_has_hyperbolic,
    derivative_real_rank,
    real_rank_available,
)


def job(spec: str, n: int, seed: int = 0, method: str = "auto") -> NetworkJob:
    return NetworkJob.create(nm.parse(spec), "boundary", nm.Gaussian(), seed, n, method, n)


def quartic_all_real(u: np.ndarray) -> np.ndarray:
    """a x^4 + b x^3 y + c x^2 y^2 + d x y^3 + e y^4 has four distinct real roots exactly when
    its discriminant is positive and P = 8ac - 3b^2 < 0, D = 64a^3e - 16a^2c^2 + 16ab^2c -
    16a^2bd - 3b^4 < 0 (the classical criteria, with a != 0)."""
    a, b, c, d, e = u.T
    disc = (
        256 * a**3 * e**3 - 192 * a**2 * b * d * e**2 - 128 * a**2 * c**2 * e**2 + 144 * a**2 * c * d**2 * e - 27 * a**2 * d**4
        + 144 * a * b**2 * c * e**2 - 6 * a * b**2 * d**2 * e - 80 * a * b * c**2 * d * e + 18 * a * b * c * d**3 + 16 * a * c**4 * e
        - 4 * a * c**3 * d**2 - 27 * b**4 * e**2 + 18 * b**3 * c * d * e - 4 * b**3 * d**3 - 4 * b**2 * c**3 * e + b**2 * c**2 * d**2
    )
    P = 8 * a * c - 3 * b**2
    D = 64 * a**3 * e - 16 * a**2 * c**2 + 16 * a * b**2 * c - 16 * a**2 * b * d - 3 * b**4
    return (disc > 0) & (P < 0) & (D < 0)


def test_binary_quartics_of_three_neurons_miss_exactly_the_forms_with_four_real_roots() -> None:
    j = job("poly:2,3,1^4", 4000, seed=1)
    assert j.method == "exhaustive" and j.exhaustive
    U = j.samples(0)
    d = j.decide(U)
    assert (d >= 0).mean() > 0.999
    expected = quartic_all_real(U)
    assert np.array_equal(d[d >= 0] == 1, expected[d >= 0])
    assert 0.02 < expected.mean() < 0.1


def test_binary_cubics_agree_with_the_discriminant_and_the_homotopy_membership() -> None:
    net = nm.parse("poly:2,2,1^3")
    j = job("poly:2,2,1^3", 300, seed=2)
    U = j.samples(0)
    d = j.decide(U)
    a, b, c, e = U.T
    disc = 18 * a * b * c * e - 4 * b**3 * e + b**2 * c**2 - 4 * a * c**3 - 27 * a**2 * e**2
    clear = d >= 0
    assert clear.mean() > 0.99 and np.array_equal(d[clear] == 1, disc[clear] > 0)
    homotopy = Membership(net, seed=2).decide(U[:60], 0)
    both = (homotopy >= 0) & clear[:60]
    assert both.mean() > 0.9 and np.array_equal(homotopy[both], d[:60][both])


@pytest.mark.parametrize("spec", ["poly:2,3,1^5", "poly:2,4,1^7"])
def test_apolarity_agrees_with_the_homotopy_membership(spec: str) -> None:
    # finitely many decompositions (2h = k + 1): two exact methods, one from the apolar form's
    # roots, one from all complex preimages on a slice
    net = nm.parse(spec)
    j = job(spec, 60, seed=4)
    U = j.samples(0)
    d = j.decide(U)
    homotopy = Membership(net, seed=4).decide(U, 0)
    both = (d >= 0) & (homotopy >= 0)
    # the homotopy leaves data undecided only where a path is lost in every slice (a quarter of
    # the septics at this seed, before the slices' fixed weights were of similar sizes), the
    # roots almost none
    assert (d >= 0).mean() > 0.95 and both.mean() > 0.9 and np.array_equal(d[both], homotopy[both])
    assert 0 < (d == 1).sum() < len(U)


def test_the_two_criteria_agree_on_binary_cubics() -> None:
    # k = 3, h = 2 = k - 1 = (k + 1) / 2: f has three real roots exactly when its apolar quadratic
    # has none
    U = np.random.default_rng(5).standard_normal((2000, 4))
    f, g = _all_roots_real(U), _all_roots_real(_apolar_form(U, 2))
    clear = (f >= 0) & (g >= 0)
    assert clear.mean() > 0.99 and np.array_equal(f[clear] == 1, g[clear] == 0)


def test_the_pencil_criterion_agrees_with_the_roots_on_binary_quartics() -> None:
    # k = 4, h = 3 = k - 1 and 2h = k + 2: a quartic has four real roots exactly when no cubic of
    # its apolar pencil has three (two theorems, two computations)
    U = np.random.default_rng(6).standard_normal((3000, 5))
    roots = _all_roots_real(U)
    G = _apolar_space(U, 3)
    pencil = _pencil_has_hyperbolic(G[:, 0], G[:, 1])
    clear = (roots >= 0) & (pencil >= 0)
    assert clear.mean() > 0.99 and np.array_equal(roots[clear] == 1, pencil[clear] == 0)
    assert 0.02 < (roots == 1).mean() < 0.1


def decomposed(h: int, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """f = sum lambda_i (alpha_i x + beta_i y)^k (x^k first), with its points."""
    alpha, beta, lam = rng.standard_normal(h), rng.standard_normal(h), rng.standard_normal(h)
    f = np.zeros(k + 1)
    for a, b, c in zip(alpha, beta, lam):
        f += c * (np.polynomial.Polynomial([b, a]) ** k).coef[::-1]  # (a t + b)^k in t = x / y
    return f, alpha, beta


@settings(max_examples=20, deadline=None)
@given(h=st.integers(3, 5), seed=st.integers(0, 2**32 - 1))
def test_sums_of_h_real_powers_are_in_m_for_the_pencil_criterion(h: int, seed: int) -> None:
    # 2h = k + 2: the apolar pencil holds prod (beta_i X - alpha_i Y), with h real roots
    k = 2 * h - 2
    f, _, _ = decomposed(h, k, np.random.default_rng(seed))
    assert RealRank(nm.PolynomialNetwork((2, h, 1), k)).decide(f[None, :])[0] in (0, -1)


@settings(max_examples=20, deadline=None)
@given(h=st.integers(2, 4), seed=st.integers(0, 2**32 - 1))
def test_the_apolar_form_vanishes_at_the_decomposition(h: int, seed: int) -> None:
    # f = sum lambda_i (alpha_i x + beta_i y)^k with k = 2h - 1: its apolar form is
    # prod (beta_i X - alpha_i Y), whose roots are the points (alpha_i : beta_i) (Sylvester)
    k = 2 * h - 1
    f, alpha, beta = decomposed(h, k, np.random.default_rng(seed))
    g = _apolar_form(f[None, :], h)[0]
    decision = RealRank(nm.PolynomialNetwork((2, h, 1), k)).decide(f[None, :])[0]
    if np.isnan(g).any():
        # Hankel equations too ill-conditioned to fix g (points nearly together): undecided, never wrong
        assert decision == -1
        return
    assert decision == 0  # a point of M
    expected = np.array([1.0])
    for a, b in zip(alpha, beta):
        expected = np.convolve(expected, [b, -a])  # beta X - alpha Y, X first
    expected /= np.linalg.norm(expected)
    assert np.allclose(g, expected, atol=1e-5) or np.allclose(g, -expected, atol=1e-5)


@pytest.mark.parametrize("spec, reached", [("poly:2,3,1^4", 0.9), ("poly:2,4,1^5", 0.9), ("poly:2,3,1^5", 0.9), ("poly:2,4,1^6", 0.6)])
def test_local_searches_never_reach_forms_of_higher_real_rank(spec: str, reached: float) -> None:
    # a form of real rank above h: no parameters reach it, so local searches stop at a positive
    # distance; the other forms are points of M, reached by most searches (sextics of four
    # neurons: three quarters with 8 starts; more starts reach the rest)
    net = nm.parse(spec)
    j = job(spec, 300, seed=3)
    U = j.samples(0)
    d = j.decide(U)
    D, _ = _least_squares(net, np.arange(net.n_params), U, np.random.default_rng(3))
    relative = D / (U**2).sum(axis=1)
    assert (d == 1).sum() >= 1
    assert np.all(relative[d == 1] > 1e-8)
    assert (relative[d == 0] < 1e-12).mean() > reached


def test_enough_neurons_reach_every_binary_form() -> None:
    # every real binary form of degree k has real rank <= k: nothing is outside M, and the
    # dimension report says the real neuromanifold fills the space (with fewer neurons it does not)
    net = nm.parse("poly:2,4,1^4")
    assert nm.dimension(net).filling is True and nm.dimension(nm.parse("poly:2,3,1^4")).filling is False
    est = nm.voronoi_mc(net, "boundary", 10_000, seed=0, progress=False, method="exhaustive")
    assert est.exhaustive and est.hits == 0 and est.n_failed == 0
    proof = nm.voronoi_mc(net, "boundary", 10_000, seed=0, progress=False)
    assert proof.method == "certificate" and "whole space" in proof.certificate
    U = job("poly:2,4,1^4", 100, method="exhaustive").samples(0)
    D, _ = _least_squares(net, np.arange(net.n_params), U, np.random.default_rng(0))
    assert (D / (U**2).sum(axis=1) < 1e-12).mean() > 0.95


@settings(max_examples=20, deadline=None)
@given(
    k=st.integers(3, 6),
    seed=st.integers(0, 2**32 - 1),
    change=st.lists(st.floats(-3, 3, allow_nan=False), min_size=4, max_size=4),
    scale=st.floats(0.01, 100.0),
)
def test_real_roots_do_not_depend_on_the_coordinates(k: int, seed: int, change: list[float], scale: float) -> None:
    # x -> a x + b y, y -> c x + d y (invertible) moves the roots by a real Moebius map: as many
    # stay real; a nonzero factor moves none
    a, b, c, e = change
    if abs(a * e - b * c) < 0.1:
        return
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((8, k + 1))
    # f(a x + b y, c x + e y) by multiplying out the linear forms of each monomial
    lx, ly = np.polynomial.Polynomial([b, a]), np.polynomial.Polynomial([e, c])  # in t = x / y
    moved = np.zeros_like(u)
    for j in range(k + 1):
        coef = (lx ** (k - j) * ly**j).coef
        coef = np.pad(coef, (0, k + 1 - len(coef)))
        moved += np.outer(u[:, j], coef[::-1])  # x^k first
    before, after = _all_roots_real(u), _all_roots_real(scale * moved)
    clear = (before >= 0) & (after >= 0)
    assert clear.mean() >= 0.75 and np.array_equal(before[clear], after[clear])


def test_real_rank_applies_where_it_is_proven() -> None:
    for spec in ("poly:2,3,1^4", "poly:2,4,1^5", "poly:2,2,1^3", "poly:2,4,1^4", "poly:2,2,1^2", "poly:2,3,1^5", "poly:2,4,1^7", "poly:2,4,1^6"):
        net = nm.parse(spec)
        assert real_rank_available(net, net.ambient_dim) is None, spec
    for spec, why in (
        ("poly:2,3,1^6", "no root criterion"),
        ("poly:3,3,1^3", "binary forms"),
        ("poly:2,3,1^4+bias", "binary forms"),
        ("poly:2,3,2^4", "binary forms"),
        ("poly:2,3,1^(0,1,1)", "no power"),
    ):
        net = nm.parse(spec)
        assert why in (real_rank_available(net, net.ambient_dim) or ""), spec
    assert "does not fill" in (real_rank_available(nm.parse("poly:2,3,1^4"), 4) or "")
    # decisions of whole chunks, whatever their size
    rank = RealRank(nm.parse("poly:2,3,1^4"))
    assert rank.decide(np.zeros((0, 5))).shape == (0,)


@settings(max_examples=20, deadline=None)
@given(k=st.integers(3, 7), seed=st.integers(0, 2**32 - 1))
def test_membership_of_binary_forms_agrees_with_their_decompositions(k: int, seed: int) -> None:
    # sums of h real k-th powers are in M for every h the criteria cover; forms with k distinct
    # real roots are not in M when h = k - 1, and are when h = k
    rng = np.random.default_rng(seed)
    for h in range((k + 2) // 2, k + 1):
        net = nm.PolynomialNetwork((2, h, 1), k)
        if real_rank_available(net, net.ambient_dim) is not None:
            continue
        f, _, _ = decomposed(h, k, rng)
        try:
            assert net.contains(f), (k, h)
        except ValueError:
            pass  # too close to a multiple root to tell: refused, never wrong
    roots = np.sort(rng.uniform(-3, 3, k))
    if np.diff(roots).min() > 0.05:
        hyperbolic = np.poly(roots)  # prod (x - r_i y), x^k first
        assert not nm.PolynomialNetwork((2, k - 1, 1), k).contains(hyperbolic)
        assert nm.PolynomialNetwork((2, k, 1), k).contains(hyperbolic)
    one_neuron = -2.0 * (np.polynomial.Polynomial([rng.standard_normal(), rng.standard_normal()]) ** k).coef[::-1]
    assert nm.PolynomialNetwork((2, k - 1, 1), k).contains(one_neuron)  # a k-fold root, rank 1


def test_membership_of_quadratic_forms_is_their_rank() -> None:
    net = nm.parse("poly:3,2,1^2")  # monomials x^2, xy, xz, y^2, yz, z^2
    assert net.contains([1.0, 0.0, 0.0, -1.0, 0.0, 0.0])  # x^2 - y^2: rank 2, indefinite
    assert not net.contains([1.0, 0.0, 0.0, 1.0, 0.0, 1.0])  # x^2 + y^2 + z^2: rank 3
    assert net.contains([1.0, 2.0, 0.0, 1.0, 0.0, 0.0])  # (x + y)^2
    assert nm.parse("poly:3,3,1^2").contains([1.0, 0.0, 0.0, 1.0, 0.0, 1.0])
    with pytest.raises(NotImplementedError):
        nm.parse("poly:2,2,1^(0,1,1)").contains(np.zeros(5))
    with pytest.raises(ValueError, match="shape"):
        net.contains([1.0, 0.0])


@settings(max_examples=20, deadline=None)
@given(k=st.integers(3, 7), seed=st.integers(0, 2**32 - 1))
def test_polynomials_in_one_variable_are_reached_with_k_minus_one_neurons(k: int, seed: int) -> None:
    # p(x) = sum a_i (w_i x + b_i)^k + c: homogenized, p - c is a binary form, of real rank <= k - 1
    # once it has a non-real root, which a large enough |c| makes sure of
    net = nm.parse(f"poly:1,{k - 1},1^{k}+bias")
    u = np.random.default_rng(seed).standard_normal(net.ambient_dim)  # coefficients of 1, x, ..., x^k
    forms = nm.parse(f"poly:2,{k - 1},1^{k}")  # x^k, x^(k-1) y, ..., y^k

    def reached(c: float) -> bool:
        try:
            return forms.contains((u - np.eye(k + 1)[0] * c)[::-1])
        except ValueError:  # too close to a multiple root to tell: another c
            return False

    assert any(reached(s * 10.0**e) for e in range(-1, 4) for s in (1.0, -1.0))
    assert nm.dimension(net).filling is True
    est = nm.voronoi_mc(net, "boundary", 100, method="certificate", progress=False)
    assert est.p == 0 and "critical values" in est.certificate


def test_the_part_of_two_neurons_holds_the_cubics_with_a_non_real_root() -> None:
    # binary cubics of three neurons fill the space; the subnetwork of two neurons (of the same
    # dimension) holds the cubics of real rank <= 2: negative discriminant
    net = nm.parse("poly:2,3,1^3")
    est = nm.voronoi_mc(net, 0, 2000, seed=4, progress=False, chunk_size=2000)
    U = NetworkJob.create(net, 0, nm.Gaussian(), 4, 2000, "auto", 2000).samples(0)
    a, b, c, e = U.T
    disc = b * b * c * c - 4 * a * c**3 - 4 * b**3 * e - 27 * a * a * e * e + 18 * a * b * c * e
    assert est.exhaustive and est.n_failed == 0
    assert est.hits == int((disc < 0).sum())


def test_a_part_that_fills_holds_every_data_point() -> None:
    # binary cubics of four neurons: the subnetwork of three fills the space too
    est = nm.voronoi_mc(nm.parse("poly:2,4,1^3"), 0, 300, seed=1, progress=False)
    assert est.exhaustive and est.hits == est.n == 300 and est.n_failed == 0


@pytest.mark.parametrize("spec", ["poly:1,2,1^4+bias", "poly:1,3,1^6+bias"])
def test_the_derivative_decides_as_the_homotopy_membership(spec: str) -> None:
    # f = sum c_i (w_i x + b_i)^k + beta is in M exactly when f' is a sum of h real (k-1)-th powers
    net = nm.parse(spec)
    U = job(spec, 300, seed=2).samples(0)
    by_derivative = DerivativeRealRank(net).decide(U)
    by_homotopy = Membership(net, 2).decide(U, 0)
    assert (by_derivative >= 0).all() and (by_homotopy >= 0).all()
    assert np.array_equal(by_derivative, by_homotopy)
    assert 0 < by_derivative.sum() < len(U)


@pytest.mark.parametrize("spec, reached", [("poly:1,3,1^5+bias", 0.8), ("poly:1,4,1^7+bias", 0.5)])
def test_the_derivative_decides_where_fibers_are_positive_dimensional(spec: str, reached: float) -> None:
    # 2h = k + 1: no finite fibers, so no homotopy membership; the decisions are exact all the
    # same: local searches never reach the data outside M, and reach most of the others (the
    # septics' searches from 8 starts reach two thirds; more starts reach more)
    net = nm.parse(spec)
    assert _exact_edge(net, net.ambient_dim, "auto") is derivative_real_rank
    j = job(spec, 300, seed=3)
    U = j.samples(0)
    d = j.decide(U)
    assert (d >= 0).all() and 0 < d.sum() < len(U)
    D, _ = _least_squares(net, np.arange(net.n_params), U, np.random.default_rng(3))
    relative = D / (U**2).sum(axis=1)
    assert np.all(relative[d == 1] > 1e-8)
    assert (relative[d == 0] < 1e-12).mean() > reached
    inside = net.mu(np.random.default_rng(4).standard_normal((200, net.n_params)))
    assert (DerivativeRealRank(net).decide(inside) != 1).all()


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), complex_pair=st.booleans())
def test_quintics_whose_derivative_has_four_real_roots_are_outside(seed: int, complex_pair: bool) -> None:
    # (1, 3, 1) with z^5 and biases: f' is a quartic of real rank <= 3 unless its four roots are
    # real, so f is outside M exactly then (f built from the roots of f')
    net = nm.parse("poly:1,3,1^5+bias")
    rng = np.random.default_rng(seed)
    roots = np.sort(rng.uniform(-2.0, 2.0, 4))
    while np.diff(roots).min() < 0.1:
        roots = np.sort(rng.uniform(-2.0, 2.0, 4))
    derivative = np.poly(roots)[::-1]  # coefficients of 1, x, ..., x^4
    if complex_pair:
        derivative = np.polymul(np.poly(roots[:2]), [1.0, -roots[2], roots[2] ** 2 + 1.0])[::-1]
    scale = rng.uniform(0.1, 10.0) * rng.choice([-1.0, 1.0])
    f = np.concatenate([[rng.standard_normal()], scale * derivative / np.arange(1, 6)])  # coefficients of 1, x, ..., x^5
    assert DerivativeRealRank(net).decide(f[None])[0] == int(not complex_pair)
    assert net.contains(f) is complex_pair
