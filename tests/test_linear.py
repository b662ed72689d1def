"""Linear and residual linear networks: mu is the product matrix, the neuromanifold is determinantal."""

import numpy as np
from conftest import dense_layers, scale, seeds, small_seeds, widths
from hypothesis import given, settings
from hypothesis import strategies as st

import neuromanifold as nm


def product_matrix(theta: np.ndarray, ws) -> np.ndarray:
    P = np.eye(ws[0])
    for W, _ in dense_layers(theta, ws, False):
        P = W @ P
    return P


@settings(max_examples=30, deadline=None)
@given(widths, seeds)
def test_mu_is_the_row_major_product_matrix(ws: list[int], seed: int) -> None:
    net = nm.LinearNetwork(ws)
    assert net.n_params == sum(a * b for a, b in zip(ws[:-1], ws[1:]))
    assert net.ambient_dim == ws[0] * ws[-1]
    assert (net.n_inputs, net.n_outputs) == (ws[0], ws[-1])
    theta = net.random_params(seed=seed)
    P = product_matrix(theta, ws)
    assert P.shape == (ws[-1], ws[0])
    assert np.allclose(net.mu(theta), P.ravel(), rtol=1e-12, atol=1e-12 * scale(P))
    thetas = net.random_params(3, seed=seed)
    assert np.allclose(net.mu(thetas), [product_matrix(t, ws).ravel() for t in thetas])


@settings(max_examples=30, deadline=None)
@given(widths, small_seeds)
def test_dimension_of_the_determinantal_variety(ws: list[int], seed: int) -> None:
    r = min(ws)
    d0, dl = ws[0], ws[-1]
    report = nm.dimension(nm.LinearNetwork(ws), seed=seed)
    # matrices of rank <= r in (dl x d0)
    assert report.dim == r * (d0 + dl - r)
    assert report.ambient == d0 * dl
    assert report.filling == (r == min(d0, dl))
    assert report.complex_filling == (r == min(d0, dl))
    assert report.fiber_dim == report.n_params - report.dim
    # GL symmetries on each hidden layer account for the whole fiber
    assert report.expected == report.dim and report.defect == 0


@settings(max_examples=30, deadline=None)
@given(widths, seeds)
def test_membership_is_a_rank_condition(ws: list[int], seed: int) -> None:
    net = nm.LinearNetwork(ws)
    r, d0, dl = min(ws), ws[0], ws[-1]
    rng = np.random.default_rng(seed)
    assert net.contains(net.mu(net.random_params(seed=seed)))
    # a random matrix of rank exactly r is inside, one of rank r + 1 (if it exists) is not
    low = rng.standard_normal((dl, r)) @ rng.standard_normal((r, d0))
    assert net.contains(low.ravel())
    if r < min(d0, dl):
        high = rng.standard_normal((dl, r + 1)) @ rng.standard_normal((r + 1, d0))
        assert not net.contains(high.ravel())
        assert not net.contains(rng.standard_normal(dl * d0))
    else:
        assert net.contains(rng.standard_normal(dl * d0))
    assert net.contains(np.zeros(dl * d0))


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 4), st.integers(1, 3), seeds)
def test_residual_networks(width: int, layers: int, seed: int) -> None:
    net = nm.ResidualLinearNetwork(width, layers)
    assert net.n_params == layers * width * width and net.ambient_dim == width * width
    theta = net.random_params(seed=seed)
    P = np.eye(width)
    for k in range(layers):
        W = theta[k * width * width : (k + 1) * width * width].reshape(width, width)
        P = (np.eye(width) + W) @ P
    assert np.allclose(net.mu(theta), P.ravel(), rtol=1e-12, atol=1e-12 * scale(P))
    report = nm.dimension(net, seed=seed % 1000)
    assert report.dim == width * width and report.filling is True and report.complex_filling
    assert report.fiber_dim == report.n_params - width * width
    assert net.contains(np.random.default_rng(seed).standard_normal(width * width))
