"""k neurons with z^k on binary forms with m >= max(2, k - 1) outputs: the boundary is hit
exactly when the smallest eigenspace of G = sum u_i u_i^T holds no form with k real roots (the
normal of a hyperplane spanned by real k-th powers). Checked against the tangential homotopy
(k = 2), the pencils' eigenvalues (k = 2, m = 2), real membership by homotopy (m = k), local
searches (never fewer hits), tuples built in chosen hyperplanes, and the exact probability for
k = 2 and standard normal data (the eigenvectors of G are uniform on the sphere)."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import quad

import neuromanifold as nm
from neuromanifold._voronoi_hyperplanes import HyperplaneOfPowers, hyperplane_available
from neuromanifold._voronoi_membership import Membership
from neuromanifold._voronoi_pencils import PencilMembership
from neuromanifold._voronoi_tangent import tangent_edge


def edge_probability() -> float:
    """P(y3^2 > 2 y1^2 + y2^2) for standard normal y: given the angle phi of (y1, y2), the
    ratio |y3| / |(y1, y2)| exceeds s with probability 1 - s / sqrt(1 + s^2)."""
    inside = quad(lambda phi: np.sqrt((1 + np.cos(phi) ** 2) / (2 + np.cos(phi) ** 2)), 0, 2 * np.pi)[0] / (2 * np.pi)
    return 1 - inside


def agree(a: np.ndarray, b: np.ndarray, decided: int) -> None:
    both = (a >= 0) & (b >= 0)
    assert both.sum() >= decided and np.array_equal(a[both], b[both])
    assert 0 < a[both].sum() < both.sum()  # both kinds occur


@pytest.mark.parametrize("outputs", [3, 4])
def test_squares_decide_as_the_tangential_homotopy(outputs: int) -> None:
    net = nm.parse(f"poly:2,2,{outputs}^2")
    U = np.random.default_rng(outputs).standard_normal((40, net.ambient_dim))
    agree(HyperplaneOfPowers(net).decide(U), tangent_edge(net, 0, {}).decide(U, 0), 38)


def test_squares_decide_as_the_pencils() -> None:
    net = nm.parse("poly:2,2,2^2")
    U = np.random.default_rng(0).standard_normal((5000, net.ambient_dim))
    assert np.array_equal(HyperplaneOfPowers(net).decide(U), PencilMembership(net).decide(U))


def test_cubes_decide_as_the_homotopy_membership() -> None:
    # three outputs: M fills the space with finite fibers, so the edge is hit by the tuples with
    # no real preimage
    net = nm.parse("poly:2,3,3^3")
    U = np.random.default_rng(1).standard_normal((300, net.ambient_dim))
    agree(HyperplaneOfPowers(net).decide(U), Membership(net, 1).decide(U, 0), 295)


@pytest.mark.parametrize("spec", ["poly:2,3,2^3", "poly:2,3,4^3", "poly:2,4,3^4"])
def test_local_searches_never_find_fewer_hits(spec: str) -> None:
    # a local search's miss is proven (a point of M off the edge at least as near), its hit is not
    net = nm.parse(spec)
    exact = nm.voronoi_mc(net, "boundary", 60, seed=3, progress=False)
    searched = nm.voronoi_mc(net, "boundary", 60, seed=3, progress=False, method="multistart")
    assert exact.exhaustive and not searched.exhaustive and exact.n_failed == 0
    assert exact.hits <= searched.hits


@given(k=st.integers(2, 5), extra=st.integers(0, 2), seed=st.integers(0, 2**32 - 1))
def test_tuples_in_chosen_hyperplanes(k: int, extra: int, seed: int) -> None:
    # u_i spanning the hyperplane of n: in M when N_n has k real roots, else nearest on the edge
    m = k + extra
    net = nm.PolynomialNetwork((2, k, m), k)
    rng = np.random.default_rng(seed)
    columns = [[tuple(e) for e in net.monomials.tolist()].index((k - j, j)) for j in range(k + 1)]
    binomials = np.array([comb(k, j) for j in range(k + 1)], dtype=np.float64)
    real_roots = np.sort(rng.uniform(-2, 2, k))
    for roots in (real_roots, np.concatenate([real_roots[:-2], [real_roots[-1] + 1j, real_roots[-1] - 1j]])):
        n = np.real(np.poly(roots))[::-1][::-1] / binomials  # N_n = prod (X - r Y), coefficients X^k first
        n /= np.linalg.norm(n)
        basis = np.linalg.svd(n[None, :])[2][1:]  # the hyperplane n^perp
        V = rng.standard_normal((m, k)) @ basis
        u = np.zeros(net.ambient_dim)
        u.reshape(m, k + 1)[:, columns] = V
        expected = 0 if np.isreal(roots).all() else 1
        assert HyperplaneOfPowers(net).decide(u[None])[0] == expected


@pytest.mark.parametrize("outputs", [3, 5])
def test_the_edge_of_squares_attracts_the_cone_of_definite_normals(outputs: int) -> None:
    net = nm.parse(f"poly:2,2,{outputs}^2")
    est = nm.voronoi_mc(net, "boundary", 20000, seed=1, progress=False)
    p = edge_probability()
    assert est.exhaustive and est.n_failed == 0 and 0.2 < p < 0.25
    assert abs(est.p - p) < 4 * np.sqrt(p * (1 - p) / est.n)


@given(k=st.integers(2, 4), extra=st.integers(-1, 2), seed=st.integers(0, 2**32 - 1))
def test_points_of_m_are_off_the_edge_and_mixing_outputs_keeps_decisions(k: int, extra: int, seed: int) -> None:
    outputs = max(2, k + extra)
    net = nm.PolynomialNetwork((2, k, outputs), [0.0] * k + [-1.5])
    rng = np.random.default_rng(seed)
    decide = HyperplaneOfPowers(net).decide
    theta = rng.standard_normal((50, net.n_params))
    W = theta[:, : 2 * k].reshape(50, k, 2)
    W /= np.linalg.norm(W, axis=2, keepdims=True)  # unit directions: powers of one size, a well-conditioned G
    on_m = decide(net.mu(theta))
    assert (on_m != 1).all() and (on_m == 0).sum() >= 45
    U = rng.standard_normal((50, net.ambient_dim))
    O = np.linalg.qr(rng.standard_normal((outputs, outputs)))[0]
    mixed = np.einsum("ij,bjk->bik", O, U.reshape(50, outputs, k + 1)).reshape(50, -1)
    first, moved = decide(U), decide(mixed)
    both = (first >= 0) & (moved >= 0)
    assert both.sum() >= 45 and np.array_equal(first[both], moved[both])


def test_hyperplanes_apply_to_k_neurons_with_enough_outputs_only() -> None:
    for spec in ("poly:2,2,3^2", "poly:2,3,2^3", "poly:2,4,3^4", "poly:2,4,7^4"):
        assert hyperplane_available(nm.parse(spec)) is None, spec
    for spec in ("poly:2,2,1^2", "poly:3,2,2^2", "poly:2,3,2^2", "poly:2,2,2^3", "poly:2,2,2^2+bias", "poly:2,4,2^4"):
        assert hyperplane_available(nm.parse(spec)) is not None, spec
