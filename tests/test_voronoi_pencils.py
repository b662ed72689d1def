"""One hidden layer with z^2 and two outputs: pencils of quadratic forms. floor(3d / 2) neurons,
and d + 1, reach every pencil with a nonsingular member (checked by building the parameters,
including pencils none of whose members has fewer than d / 2 negative eigenvalues, and pencils
with no real eigenvalue); with d0 neurons and
no biases a pencil is in M exactly when its eigenvalues are real (checked against the homotopy
membership, real congruences and output mixing)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import neuromanifold as nm
from neuromanifold._voronoi_membership import Membership
from neuromanifold._voronoi_networks import NetworkJob
from neuromanifold._voronoi_pencils import PencilMembership, pencil_available, pencil_preimage, quadratic_forms


def coefficients(net: nm.PolynomialNetwork, Q: np.ndarray) -> np.ndarray:
    """Coefficient vectors (B, A) of the forms x^T Q x (Q: (B, outputs, d, d), with biases in (x, 1))."""
    E = np.asarray(net.monomials)
    if net.bias:
        E = np.column_stack([E, 2 - E.sum(axis=1)])
    out = np.zeros((len(Q), net.n_outputs, len(E)))
    for col, e in enumerate(E):
        i = np.flatnonzero(e)
        out[:, :, col] = Q[:, :, i[0], i[0]] if len(i) == 1 else 2 * Q[:, :, i[0], i[1]]
    return out.reshape(len(Q), -1)


def transformed(net: nm.PolynomialNetwork, U: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """U under a random real change of variables x -> P x and a random mixing of the two
    outputs: both keep M."""
    Q = quadratic_forms(net, U)
    P = rng.standard_normal((Q.shape[2],) * 2)
    G = rng.standard_normal((2, 2))
    Q = np.einsum("ab,nbij->naij", G, P.T @ Q @ P)
    return coefficients(net, Q)


@given(d0=st.integers(1, 4), bias=st.booleans(), scale=st.sampled_from([1.0, -2.5]), seed=st.integers(0, 2**32 - 1))
def test_floor_three_halves_d_neurons_reach_every_pencil(d0: int, bias: bool, scale: float, seed: int) -> None:
    d = d0 + int(bias)
    net = nm.PolynomialNetwork((d0, 3 * d // 2, 2), [0.0, 0.0, scale], bias)
    u = np.random.default_rng(seed).standard_normal(net.ambient_dim)
    theta = pencil_preimage(net, u)
    assert theta is not None
    np.testing.assert_allclose(net.mu(theta), u, atol=1e-9 * max(1.0, np.abs(u).max()))
    assert nm.dimension(net).filling is True
    assert net.contains(u)


def complex_pencil(d: int, rng: np.random.Generator) -> np.ndarray:
    """A pencil (2, d, d) with floor(d / 2) pairs of non-real eigenvalues (2 x 2 blocks whose
    eigenvalues are at least 0.2 off the real line), moved by a random well-conditioned congruence."""
    Q = np.zeros((2, d, d))
    for start in range(0, d - 1, 2):
        while True:
            A, B = (M + M.T for M in rng.standard_normal((2, 2, 2)))
            if np.abs(np.linalg.eigvals(np.linalg.solve(B, A)).imag).min() > 0.2:
                break
        Q[0, start : start + 2, start : start + 2], Q[1, start : start + 2, start : start + 2] = A, B
    if d % 2:
        Q[:, -1, -1] = rng.standard_normal(2)
    P = rng.standard_normal((d, d))
    while np.linalg.cond(P) > 100:  # a nearly singular congruence makes every member nearly singular
        P = rng.standard_normal((d, d))
    return np.einsum("ji,ajk,kl->ail", P, Q, P)


@given(d=st.integers(2, 6), bias=st.booleans(), generic=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_d_plus_one_neurons_reach_every_pencil(d: int, bias: bool, generic: bool, seed: int) -> None:
    # one rank-one neuron makes every eigenvalue real, then one congruence: d + 1 neurons, fewer
    # than floor(3d / 2) for d >= 4; pencils with no real eigenvalue at all included
    d0 = d - int(bias)
    if d0 < 1:
        return
    net = nm.PolynomialNetwork((d0, d + 1, 2), 2, bias)
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(net.ambient_dim) if generic else coefficients(net, complex_pencil(d, rng)[None])[0]
    theta = pencil_preimage(net, u)
    assert theta is not None
    np.testing.assert_allclose(net.mu(theta), u, atol=1e-7 * np.abs(u).max())
    assert nm.dimension(net).filling is True
    assert net.contains(u)


def test_proportional_outputs_and_repeated_eigenvalues_are_reached() -> None:
    # B = 2 C: every eigenvalue repeated; one congruence diagonalizes both (d0 + 1 neurons)
    for spec in ("poly:4,5,2^2", "poly:5,6,2^2"):
        net = nm.parse(spec)
        q = np.random.default_rng(1).standard_normal(net.ambient_dim // 2)
        u = np.concatenate([q, 2.0 * q])
        theta = pencil_preimage(net, u)
        assert theta is not None
        np.testing.assert_allclose(net.mu(theta), u, atol=1e-9 * np.abs(u).max())
        assert net.contains(u)


@given(scale=st.floats(0.1, 10.0), seed=st.integers(0, 2**32 - 1))
def test_three_neurons_with_biases_reach_every_pair_of_quadratics_in_two_variables(scale: float, seed: int) -> None:
    # the output biases shift the constant terms until the pencil in (x, y, 1) has three distinct
    # real eigenvalues: one congruence, three neurons
    net = nm.parse("poly:2,3,2^2+bias")
    u = scale * np.random.default_rng(seed).standard_normal(net.ambient_dim)
    theta = pencil_preimage(net, u)
    assert theta is not None
    np.testing.assert_allclose(net.mu(theta), u, atol=1e-8 * np.abs(u).max())
    assert nm.dimension(net).filling is True and net.contains(u)


@pytest.mark.parametrize("spec", ["poly:4,6,2^2", "poly:3,6,2^2+bias"])
def test_pencils_with_no_real_eigenvalue_are_reached(spec: str) -> None:
    # blocks (diag(1, -1), [[0, 1], [1, 0]]) have eigenvalues +-i: every member of their sum
    # has inertia (2, 2), the construction's worst case (two neurons to make a member definite)
    net = nm.parse(spec)
    rng = np.random.default_rng(7)
    J, K = np.diag([1.0, -1.0]), np.array([[0.0, 1.0], [1.0, 0.0]])
    Q = np.zeros((1, 2, 4, 4))
    Q[0, 0, :2, :2] = Q[0, 0, 2:, 2:] = J
    Q[0, 1, :2, :2] = Q[0, 1, 2:, 2:] = K
    P = rng.standard_normal((4, 4))
    Q = P.T @ Q @ P
    for phi in np.linspace(0, np.pi, 13):
        assert (np.linalg.eigvalsh(np.cos(phi) * Q[0, 0] + np.sin(phi) * Q[0, 1]) < 0).sum() == 2
    u = coefficients(net, Q)[0]
    theta = pencil_preimage(net, u)
    assert theta is not None
    np.testing.assert_allclose(net.mu(theta), u, atol=1e-9 * np.abs(u).max())


@given(d0=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_one_output_with_biases_fills_with_d0_neurons(d0: int, seed: int) -> None:
    # x~^T S x~ + c: one real c drops the rank of S - c E to d0 (det is affine in c), and d0
    # signed squares of affine forms give the rest
    net = nm.PolynomialNetwork((d0, d0, 1), 2, True)
    u = np.random.default_rng(seed).standard_normal(net.ambient_dim)
    S = quadratic_forms(net, u[None])[0, 0]
    c = np.linalg.det(S) / np.linalg.det(S[:d0, :d0])
    S[d0, d0] -= c
    lam, V = np.linalg.eigh(S)
    keep = np.argsort(np.abs(lam))[1:]  # the zero eigenvalue goes
    W = (V[:, keep] * np.sqrt(np.abs(lam[keep]))).T  # rows (w, beta)
    theta = np.concatenate([W[:, :d0].ravel(), W[:, d0], np.sign(lam[keep]), [c]])
    np.testing.assert_allclose(net.mu(theta), u, atol=1e-8 * max(1.0, np.abs(u).max()))
    assert nm.dimension(net).filling is True


@pytest.mark.parametrize("spec", ["poly:2,2,2^2", "poly:3,3,2^2"])
def test_eigenvalues_decide_as_the_homotopy_membership(spec: str) -> None:
    net = nm.parse(spec)
    U = NetworkJob.create(net, "boundary", nm.Gaussian(), 3, 300, "auto", 300).samples(0)
    by_eigenvalues = PencilMembership(net).decide(U)
    by_homotopy = Membership(net, 3).decide(U, 0)
    assert (by_eigenvalues >= 0).all() and (by_homotopy >= 0).all()
    assert np.array_equal(by_eigenvalues, by_homotopy)
    assert 0 < (by_eigenvalues == 1).sum() < len(U)  # both kinds occur


@given(d0=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_images_are_inside_and_membership_is_invariant(d0: int, seed: int) -> None:
    net = nm.PolynomialNetwork((d0, d0, 2), 2)
    rng = np.random.default_rng(seed)
    inside = net.mu(rng.standard_normal((50, net.n_params)))
    decide = PencilMembership(net).decide
    on_m = decide(inside)  # (undecided: a nearly singular W makes every member nearly singular)
    assert (on_m != 1).all() and (on_m == 0).sum() >= 45
    U = rng.standard_normal((50, net.ambient_dim))
    first, moved = decide(U), decide(transformed(net, U, rng))
    both = (first >= 0) & (moved >= 0)
    assert both.sum() >= 45 and np.array_equal(first[both], moved[both])


def test_a_pencil_with_complex_eigenvalues_is_outside() -> None:
    net = nm.parse("poly:2,2,2^2")
    u = np.array([1.0, 0.0, -1.0, 0.0, 1.0, 0.0])  # (x^2 - y^2, xy): eigenvalues +-i
    assert not net.contains(u)
    # and so is every pencil near it (non-real eigenvalues move continuously): M does not fill
    rng = np.random.default_rng(3)
    assert not any(net.contains(u + 1e-2 * rng.standard_normal(6)) for _ in range(20))
    assert nm.dimension(net).filling is False
    assert PencilMembership(net).decide(transformed(net, u[None], np.random.default_rng(1)))[0] == 1
    assert net.contains(net.mu(np.random.default_rng(2).standard_normal(net.n_params)))
    # Q2 = 2 Q1: one form, a sum of two signed squares, in both outputs (every eigenvalue repeated)
    assert net.contains(np.array([1.0, 0.0, -1.0, 2.0, 0.0, -2.0]))
    for spec in ("poly:3,4,2^2+bias", "poly:4,5,2^2+bias", "poly:3,3,2^2"):
        big = nm.parse(spec)
        q = np.random.default_rng(4).standard_normal(big.ambient_dim // 2)
        assert big.contains(np.concatenate([q, -3.0 * q])) and big.contains(np.concatenate([q, 0.0 * q]))


def test_the_estimator_reads_the_eigenvalues() -> None:
    net = nm.parse("poly:2,2,2^2")
    est = nm.voronoi_mc(net, "boundary", 2000, seed=5, progress=False, chunk_size=500)
    U = np.concatenate([NetworkJob.create(net, "boundary", nm.Gaussian(), 5, 2000, "auto", 500).samples(c) for c in range(4)])
    Q = quadratic_forms(net, U)
    eig = np.linalg.eigvals(np.linalg.solve(Q[:, 0], Q[:, 1]))
    assert est.exhaustive and est.n_failed == 0
    assert est.hits == int((np.abs(eig.imag).max(axis=1) > 1e-9).sum())
    # floor(3d / 2) neurons fill: the edge is certified null without samples
    filled = nm.voronoi_mc(nm.parse("poly:3,4,2^2"), "boundary", 1000, method="certificate", progress=False)
    assert filled.p == 0 and filled.hits == 0


def test_pencils_apply_to_d0_neurons_and_two_outputs_only() -> None:
    assert pencil_available(nm.parse("poly:3,3,2^2"), 12) is None
    for spec in ("poly:3,2,2^2", "poly:3,3,2^2+bias", "poly:3,3,1^2", "poly:3,3,2^3", "poly:3,3,3^2"):
        net = nm.parse(spec)
        assert pencil_available(net, net.ambient_dim) is not None


def test_the_part_of_d0_neurons_holds_the_pencils_with_real_eigenvalues() -> None:
    # poly:3,4,2^2 fills: data are their own nearest points, and its subnetwork of three neurons
    # (of the dimension of M) holds exactly the pencils with real eigenvalues
    net = nm.parse("poly:3,4,2^2")
    est = nm.voronoi_mc(net, 0, 1000, seed=2, progress=False, chunk_size=1000)
    U = NetworkJob.create(net, 0, nm.Gaussian(), 2, 1000, "auto", 1000).samples(0)
    Q = quadratic_forms(net, U)
    eig = np.linalg.eigvals(np.linalg.solve(Q[:, 0], Q[:, 1]))
    assert est.exhaustive and est.n_failed == 0
    assert est.hits == int((np.abs(eig.imag).max(axis=1) < 1e-9).sum())
