"""Lightning self-attention X -> V X X^T K^T Q X."""

import numpy as np
from conftest import attention_forward, scale, seeds, small_seeds
from hypothesis import given, settings
from hypothesis import strategies as st

import neuromanifold as nm

sizes = st.tuples(st.integers(1, 3), st.integers(1, 2), st.integers(1, 3), st.integers(1, 3))


@settings(max_examples=25, deadline=None)
@given(sizes, seeds)
def test_sizes_and_layout(dims, seed: int) -> None:
    d, d_out, a, t = dims
    net = nm.LightningAttention(d, d_out, a, t)
    assert net.n_params == 2 * a * d + d_out * d
    assert (net.n_inputs, net.n_outputs) == (d * t, d_out * t)
    theta = net.random_params(seed=seed)
    Q = theta[: a * d].reshape(a, d)
    K = theta[a * d : 2 * a * d].reshape(a, d)
    V = theta[2 * a * d :].reshape(d_out, d)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((d, t))
    expected = V @ X @ X.T @ K.T @ Q @ X
    out = net.evaluate(theta, X)  # (d, t) -> (d_out, t)
    assert out.shape == (d_out, t)
    assert np.allclose(out, expected, rtol=1e-10, atol=1e-10 * scale(expected))
    cols = net.evaluate(theta, X.reshape(-1, 1))  # flattened row-major
    assert np.allclose(cols[:, 0], expected.ravel(), rtol=1e-10, atol=1e-10 * scale(expected))


@settings(max_examples=20, deadline=None)
@given(sizes, seeds)
def test_function_is_a_cubic_form(dims, seed: int) -> None:
    d, d_out, a, t = dims
    net = nm.LightningAttention(d, d_out, a, t)
    theta = net.random_params(seed=seed)
    X = np.random.default_rng(seed).standard_normal((d * t, 3))
    f = net.evaluate(theta, X)
    assert np.allclose(net.evaluate(theta, 2.0 * X), 8.0 * f, rtol=1e-10, atol=1e-10 * scale(f))
    assert np.allclose(f, attention_forward(theta, d, d_out, a, t, X), rtol=1e-10, atol=1e-10 * scale(f))
    # mu is linear in V and in K and in Q separately
    mu = net.mu(theta)
    nq = a * d
    scaled = theta.copy()
    scaled[2 * nq :] *= -3.0
    assert np.allclose(net.mu(scaled), -3.0 * mu, rtol=1e-10, atol=1e-10 * scale(mu))
    scaled = theta.copy()
    scaled[:nq] *= 2.0
    assert np.allclose(net.mu(scaled), 2.0 * mu, rtol=1e-10, atol=1e-10 * scale(mu))


def test_lightning_attention_dimension_five() -> None:
    net = nm.LightningAttention(d=2, d_out=1, a=2, t=2)
    r = nm.dimension(net)
    assert r.dim == 5
    assert net.n_params == 10
    # GL(2) on (Q, K) and the rescaling between V and Q/K: 10 - 5 = 5
    assert net.symmetry_dim == 5 and r.expected == 5


@settings(max_examples=15, deadline=None)
@given(sizes, small_seeds)
def test_dimension_bounded_by_parameters_minus_symmetries(dims, seed: int) -> None:
    d, d_out, a, t = dims
    net = nm.LightningAttention(d, d_out, a, t)
    r = nm.dimension(net, seed=seed)
    assert r.exact_rank <= r.dim <= min(r.n_params, r.ambient)
    assert r.dim <= r.expected
    # the product K^T Q is a d x d matrix of rank <= min(a, d): at most
    # d_out * d + rank(d + d - rank) parameters matter, minus the V <-> K^T Q rescaling
    k = min(a, d)
    assert r.dim <= d_out * d + k * (2 * d - k) - 1


@settings(max_examples=15, deadline=None)
@given(sizes, seeds)
def test_batched_evaluation_on_matrices(dims, seed: int) -> None:
    d, d_out, a, t = dims
    net = nm.LightningAttention(d, d_out, a, t)
    thetas = net.random_params(3, seed=seed)
    X = np.random.default_rng(seed).standard_normal((d, t))
    out = net.evaluate(thetas, X)
    assert out.shape == (3, d_out, t)
    for th, o in zip(thetas, out):
        assert np.allclose(o, attention_forward(th, d, d_out, a, t, X.reshape(-1, 1)).reshape(d_out, t))
