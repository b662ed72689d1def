"""Two neurons with z^2 on binary quadratic forms: the boundary is hit exactly when the smallest
eigenvector n of G = sum u_i u_i^T has n2^2 < n1 n3. Checked against the tangential homotopy
method and the pencils' eigenvalues, and against the exact probability for standard normal
data (the eigenvectors of G are uniform on the sphere)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import quad

import neuromanifold as nm
from neuromanifold._voronoi_binary_quadrics import PlaneOfSquares, planes_available
from neuromanifold._voronoi_pencils import PencilMembership
from neuromanifold._voronoi_tangent import tangent_edge


def edge_probability() -> float:
    """P(y3^2 > 2 y1^2 + y2^2) for standard normal y: given the angle phi of (y1, y2), the
    ratio |y3| / |(y1, y2)| exceeds s with probability 1 - s / sqrt(1 + s^2)."""
    inside = quad(lambda phi: np.sqrt((1 + np.cos(phi) ** 2) / (2 + np.cos(phi) ** 2)), 0, 2 * np.pi)[0] / (2 * np.pi)
    return 1 - inside


@pytest.mark.parametrize("outputs", [3, 4])
def test_planes_decide_as_the_tangential_homotopy(outputs: int) -> None:
    net = nm.parse(f"poly:2,2,{outputs}^2")
    U = np.random.default_rng(outputs).standard_normal((40, net.ambient_dim))
    by_planes = PlaneOfSquares(net).decide(U)
    by_homotopy = tangent_edge(net, 0, {}).decide(U, 0)
    both = (by_planes >= 0) & (by_homotopy >= 0)
    assert both.sum() >= 38 and np.array_equal(by_planes[both], by_homotopy[both])
    assert 0 < by_planes[both].sum() < both.sum()


def test_planes_decide_as_the_pencils() -> None:
    net = nm.parse("poly:2,2,2^2")
    U = np.random.default_rng(0).standard_normal((5000, net.ambient_dim))
    assert np.array_equal(PlaneOfSquares(net).decide(U), PencilMembership(net).decide(U))


@pytest.mark.parametrize("outputs", [3, 5])
def test_the_edge_attracts_the_cone_of_definite_normals(outputs: int) -> None:
    net = nm.parse(f"poly:2,2,{outputs}^2")
    est = nm.voronoi_mc(net, "boundary", 20000, seed=1, progress=False)
    p = edge_probability()
    assert est.exhaustive and est.n_failed == 0 and 0.2 < p < 0.25
    assert abs(est.p - p) < 4 * np.sqrt(p * (1 - p) / est.n)


@given(outputs=st.integers(2, 5), seed=st.integers(0, 2**32 - 1))
def test_points_of_m_are_off_the_edge_and_mixing_outputs_keeps_decisions(outputs: int, seed: int) -> None:
    net = nm.PolynomialNetwork((2, 2, outputs), [0.0, 0.0, -1.5])
    rng = np.random.default_rng(seed)
    decide = PlaneOfSquares(net).decide
    on_m = decide(net.mu(rng.standard_normal((50, net.n_params))))
    assert (on_m != 1).all() and (on_m == 0).sum() >= 45
    U = rng.standard_normal((50, net.ambient_dim))
    O = np.linalg.qr(rng.standard_normal((outputs, outputs)))[0]
    mixed = np.einsum("ij,bjk->bik", O, U.reshape(50, outputs, 3)).reshape(50, -1)
    first, moved = decide(U), decide(mixed)
    both = (first >= 0) & (moved >= 0)
    assert both.sum() >= 45 and np.array_equal(first[both], moved[both])


def test_planes_apply_to_two_neurons_on_binary_quadratic_forms_only() -> None:
    assert planes_available(nm.parse("poly:2,2,3^2")) is None
    for spec in ("poly:2,2,1^2", "poly:3,2,2^2", "poly:2,3,2^2", "poly:2,2,2^3", "poly:2,2,2^2+bias"):
        assert planes_available(nm.parse(spec)) is not None
