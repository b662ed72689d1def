"""mu is invariant under the symmetries of the parametrization."""

import numpy as np
from conftest import dense_layers, join_dense, seeds
from hypothesis import given
from hypothesis import strategies as st

import neuromanifold as nm

hidden_widths = st.lists(st.integers(1, 3), min_size=3, max_size=4)


def close(a: np.ndarray, b: np.ndarray) -> bool:
    return np.allclose(a, b, rtol=1e-8, atol=1e-8 * (1 + np.abs(b).max()))


@given(hidden_widths, st.integers(1, 3), st.booleans(), seeds, st.data())
def test_hidden_neuron_rescaling(ws: list[int], r: int, bias: bool, seed: int, data: st.DataObject) -> None:
    net = nm.PolynomialNetwork(ws, activation=r, bias=bias)
    theta = net.random_params(seed=seed)
    layer = data.draw(st.integers(0, len(ws) - 3))  # index of the layer producing the neuron
    j = data.draw(st.integers(0, ws[layer + 1] - 1))
    c = data.draw(st.floats(0.3, 3.0)) * data.draw(st.sampled_from([-1, 1]))
    layers = [(W.copy(), None if b is None else b.copy()) for W, b in dense_layers(theta, tuple(ws), bias)]
    W, b = layers[layer]
    W[j] *= c
    if b is not None:
        b[j] *= c
    layers[layer + 1][0][:, j] *= c ** (-r)
    assert close(net.mu(join_dense(layers)), net.mu(theta))


@given(hidden_widths, st.one_of(st.integers(1, 3), st.just((0.5, 1.0, -1.0))), st.booleans(), seeds, st.data())
def test_hidden_neuron_permutation(ws: list[int], act, bias: bool, seed: int, data: st.DataObject) -> None:
    net = nm.PolynomialNetwork(ws, activation=act, bias=bias)
    theta = net.random_params(seed=seed)
    layer = data.draw(st.integers(0, len(ws) - 3))
    perm = np.array(data.draw(st.permutations(range(ws[layer + 1]))))
    layers = [(W.copy(), None if b is None else b.copy()) for W, b in dense_layers(theta, tuple(ws), bias)]
    W, b = layers[layer]
    layers[layer] = (W[perm], None if b is None else b[perm])
    layers[layer + 1] = (layers[layer + 1][0][:, perm], layers[layer + 1][1])
    assert close(net.mu(join_dense(layers)), net.mu(theta))


@given(hidden_widths, seeds)
def test_gl_between_linear_layers(ws: list[int], seed: int) -> None:
    net = nm.LinearNetwork(ws)
    theta = net.random_params(seed=seed)
    rng = np.random.default_rng(seed)
    layers = dense_layers(theta, tuple(ws), False)
    for i in range(len(layers) - 1):
        G = rng.standard_normal((ws[i + 1], ws[i + 1])) + 3 * np.eye(ws[i + 1])
        layers[i] = (G @ layers[i][0], None)
        layers[i + 1] = (layers[i + 1][0] @ np.linalg.inv(G), None)
    assert close(net.mu(join_dense(layers)), net.mu(theta))


@given(st.integers(1, 3), st.integers(1, 2), st.integers(1, 3), st.integers(1, 3), seeds, st.floats(0.3, 3.0))
def test_attention_symmetries(d: int, d_out: int, a: int, t: int, seed: int, c: float) -> None:
    net = nm.LightningAttention(d, d_out, a, t)
    theta = net.random_params(seed=seed)
    Q, K, V = theta[: a * d].reshape(a, d), theta[a * d : 2 * a * d].reshape(a, d), theta[2 * a * d :].reshape(d_out, d)
    G = np.random.default_rng(seed).standard_normal((a, a)) + 3 * np.eye(a)
    moved = np.concatenate([(G @ Q).ravel(), (np.linalg.inv(G).T @ K).ravel(), V.ravel()])
    assert close(net.mu(moved), net.mu(theta))
    rescaled = np.concatenate([(Q / c).ravel(), K.ravel(), (c * V).ravel()])
    assert close(net.mu(rescaled), net.mu(theta))


@given(st.lists(st.integers(1, 4), min_size=2, max_size=3), st.integers(1, 2), seeds, st.floats(0.3, 3.0))
def test_conv_filter_rescaling(filters: list[int], stride: int, seed: int, c: float) -> None:
    net = nm.ConvNetwork(filters, strides=stride)
    theta = net.random_params(seed=seed).copy()
    ends = np.cumsum([0] + filters)
    moved = theta.copy()
    moved[ends[0] : ends[1]] *= c
    moved[ends[1] : ends[2]] /= c
    assert close(net.mu(moved), net.mu(theta))


@given(st.lists(st.integers(1, 3), min_size=2, max_size=3), st.integers(2, 3), seeds, st.floats(0.3, 3.0))
def test_polynomial_conv_rescaling(filters: list[int], r: int, seed: int, c: float) -> None:
    net = nm.ConvNetwork(filters, activation=r)
    theta = net.random_params(seed=seed)
    ends = np.cumsum([0] + filters)
    moved = theta.copy()
    moved[ends[0] : ends[1]] *= c
    moved[ends[1] : ends[2]] *= c ** (-r)
    assert close(net.mu(moved), net.mu(theta))
