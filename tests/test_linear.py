"""Linear and residual linear networks: mu is the matrix product, M is determinantal."""

import numpy as np
from conftest import seeds, widths
from hypothesis import given
from hypothesis import strategies as st

import neuromanifold as nm


@given(widths, seeds)
def test_mu_is_the_product_matrix(ws: list[int], seed: int) -> None:
    net = nm.LinearNetwork(ws)
    theta = net.random_params(seed=seed)
    off, P = 0, np.eye(ws[0])
    for din, dout in zip(ws[:-1], ws[1:]):
        P = theta[off : off + din * dout].reshape(dout, din) @ P
        off += din * dout
    assert np.allclose(net.mu(theta), P.ravel())


@given(widths, seeds)
def test_dimension_of_the_determinantal_variety(ws: list[int], seed: int) -> None:
    r = min(ws)
    d0, dl = ws[0], ws[-1]
    report = nm.dimension(nm.LinearNetwork(ws), seed=seed % 1000)
    assert report.dim == r * (d0 + dl - r)
    assert report.exact_rank == report.dim and report.certified
    assert report.filling == (r == min(d0, dl))
    assert report.fiber_dim == report.n_params - report.dim


@given(widths, seeds)
def test_membership_is_a_rank_condition(ws: list[int], seed: int) -> None:
    net = nm.LinearNetwork(ws)
    r, d0, dl = min(ws), ws[0], ws[-1]
    assert net.contains(net.mu(net.random_params(seed=seed)))
    rng = np.random.default_rng(seed)
    generic = rng.standard_normal(dl * d0)
    assert net.contains(generic) == (r >= min(d0, dl))


@given(st.integers(1, 3), st.integers(1, 3), seeds)
def test_residual_networks(width: int, layers: int, seed: int) -> None:
    net = nm.ResidualLinearNetwork(width, layers)
    theta = net.random_params(seed=seed)
    P = np.eye(width)
    for k in range(layers):
        W = theta[k * width * width : (k + 1) * width * width].reshape(width, width)
        P = (np.eye(width) + W) @ P
    assert np.allclose(net.mu(theta), P.ravel())
    report = nm.dimension(net)
    assert report.dim == width * width and report.filling and report.certified
