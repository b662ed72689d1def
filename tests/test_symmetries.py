"""mu is invariant under the symmetries of the parametrization."""

import numpy as np
from conftest import activations, dense_layers, join_dense, scale, seeds
from hypothesis import given, settings
from hypothesis import strategies as st

import neuromanifold as nm

# at least one hidden layer
hidden_widths = st.lists(st.integers(1, 4), min_size=3, max_size=4)
factors = st.floats(0.3, 3.0).filter(lambda c: abs(c - 1.0) > 0.05).flatmap(lambda c: st.sampled_from([c, -c]))


def close(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.allclose(a, b, rtol=1e-8, atol=1e-9 * scale(b)))


def copy_layers(theta, ws, bias):
    return [(W.copy(), None if b is None else b.copy()) for W, b in dense_layers(theta, ws, bias)]


@settings(max_examples=30, deadline=None)
@given(hidden_widths, st.integers(1, 3), st.booleans(), seeds, factors, st.data())
def test_hidden_neuron_rescaling(ws: list[int], r: int, bias: bool, seed: int, c: float, data: st.DataObject) -> None:
    # sigma(c z) = c^r sigma(z) for sigma = z^r
    net = nm.PolynomialNetwork(ws, activation=r, bias=bias)
    theta = net.random_params(seed=seed)
    i = data.draw(st.integers(0, len(ws) - 3), label="layer")  # layer i+1 produces the neuron
    j = data.draw(st.integers(0, ws[i + 1] - 1), label="neuron")
    layers = copy_layers(theta, ws, bias)
    W, b = layers[i]
    W[j] *= c
    if b is not None:
        b[j] *= c
    layers[i + 1][0][:, j] *= c ** (-r)
    moved = join_dense(layers)
    assert not np.allclose(moved, theta)
    assert close(net.mu(moved), net.mu(theta))


@settings(max_examples=20, deadline=None)
@given(hidden_widths, st.integers(1, 3), st.booleans(), seeds, st.data())
def test_all_neurons_rescaled_at_once(ws: list[int], r: int, bias: bool, seed: int, data: st.DataObject) -> None:
    net = nm.PolynomialNetwork(ws, activation=r, bias=bias)
    theta = net.random_params(seed=seed)
    rng = np.random.default_rng(seed)
    layers = copy_layers(theta, ws, bias)
    for i in range(len(ws) - 2):
        c = rng.uniform(0.5, 2.0, ws[i + 1]) * rng.choice([-1, 1], ws[i + 1])
        W, b = layers[i]
        layers[i] = (c[:, None] * W, None if b is None else c * b)
        layers[i + 1] = (layers[i + 1][0] * c[None, :] ** (-r), layers[i + 1][1])
    assert close(net.mu(join_dense(layers)), net.mu(theta))


@settings(max_examples=30, deadline=None)
@given(hidden_widths, activations, st.booleans(), seeds, st.data())
def test_hidden_neuron_permutation(ws: list[int], act, bias: bool, seed: int, data: st.DataObject) -> None:
    net = nm.PolynomialNetwork(ws, activation=act, bias=bias)
    theta = net.random_params(seed=seed)
    i = data.draw(st.integers(0, len(ws) - 3), label="layer")
    perm = np.array(data.draw(st.permutations(range(ws[i + 1])), label="permutation"))
    layers = copy_layers(theta, ws, bias)
    W, b = layers[i]
    layers[i] = (W[perm], None if b is None else b[perm])
    layers[i + 1] = (layers[i + 1][0][:, perm], layers[i + 1][1])
    assert close(net.mu(join_dense(layers)), net.mu(theta))


@settings(max_examples=15, deadline=None)
@given(hidden_widths, st.booleans(), seeds)
def test_permutation_invariance_of_relu_networks(ws: list[int], bias: bool, seed: int) -> None:
    net = nm.ReLUNetwork(ws, bias=bias)
    theta = net.random_params(seed=seed)
    rng = np.random.default_rng(seed)
    layers = copy_layers(theta, ws, bias)
    for i in range(len(ws) - 2):
        perm = rng.permutation(ws[i + 1])
        W, b = layers[i]
        layers[i] = (W[perm], None if b is None else b[perm])
        layers[i + 1] = (layers[i + 1][0][:, perm], layers[i + 1][1])
    X = rng.standard_normal((ws[0], 6))
    assert close(net.evaluate(join_dense(layers), X), net.evaluate(theta, X))


@settings(max_examples=30, deadline=None)
@given(hidden_widths, seeds)
def test_gl_between_linear_layers(ws: list[int], seed: int) -> None:
    net = nm.LinearNetwork(ws)
    theta = net.random_params(seed=seed)
    rng = np.random.default_rng(seed)
    layers = dense_layers(theta, ws, False)
    for i in range(len(layers) - 1):
        n = ws[i + 1]
        G = rng.standard_normal((n, n))
        while abs(np.linalg.det(G)) < 0.1:
            G = rng.standard_normal((n, n))
        layers[i] = (G @ layers[i][0], None)
        layers[i + 1] = (layers[i + 1][0] @ np.linalg.inv(G), None)
    assert close(net.mu(join_dense(layers)), net.mu(theta))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3), st.integers(1, 2), st.integers(1, 3), st.integers(1, 3), seeds, factors)
def test_attention_symmetries(d: int, d_out: int, a: int, t: int, seed: int, c: float) -> None:
    net = nm.LightningAttention(d, d_out, a, t)
    theta = net.random_params(seed=seed)
    Q = theta[: a * d].reshape(a, d)
    K = theta[a * d : 2 * a * d].reshape(a, d)
    V = theta[2 * a * d :].reshape(d_out, d)
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((a, a))
    while abs(np.linalg.det(G)) < 0.1:
        G = rng.standard_normal((a, a))
    # K^T Q -> K^T G^-1 G Q
    moved = np.concatenate([(G @ Q).ravel(), (np.linalg.inv(G).T @ K).ravel(), V.ravel()])
    assert close(net.mu(moved), net.mu(theta))
    rescaled = np.concatenate([(Q / c).ravel(), K.ravel(), (c * V).ravel()])
    assert close(net.mu(rescaled), net.mu(theta))
    also_k = np.concatenate([Q.ravel(), (K / c).ravel(), (c * V).ravel()])
    assert close(net.mu(also_k), net.mu(theta))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=2, max_size=4), st.integers(1, 2), seeds, factors, st.data())
def test_linear_conv_filter_rescaling(filters: list[int], stride: int, seed: int, c: float, data: st.DataObject) -> None:
    net = nm.ConvNetwork(filters, strides=stride)
    theta = net.random_params(seed=seed)
    i, j = data.draw(st.lists(st.integers(0, len(filters) - 1), min_size=2, max_size=2, unique=True), label="filters")
    ends = np.cumsum([0, *filters])
    moved = theta.copy()
    moved[ends[i] : ends[i + 1]] *= c
    moved[ends[j] : ends[j + 1]] /= c
    assert close(net.mu(moved), net.mu(theta))


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=2, max_size=3), st.integers(2, 3), seeds, factors)
def test_homogeneous_conv_rescaling(filters: list[int], r: int, seed: int, c: float) -> None:
    # with sigma = z^r, scaling filter i by c and filter i+1 by c^-r leaves the function unchanged
    net = nm.ConvNetwork(filters, activation=r)
    theta = net.random_params(seed=seed)
    ends = np.cumsum([0, *filters])
    moved = theta.copy()
    moved[ends[0] : ends[1]] *= c
    moved[ends[1] : ends[2]] *= c ** (-r)
    assert close(net.mu(moved), net.mu(theta))


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 4), st.integers(2, 3), seeds)
def test_residual_factors_can_be_moved_between_layers(width: int, layers: int, seed: int) -> None:
    # (I + W2)(I + W1) = [(I + W2) G^-1][G (I + W1)]: W1 -> G(I + W1) - I, W2 -> (I + W2)G^-1 - I
    net = nm.ResidualLinearNetwork(width, layers)
    theta = net.random_params(seed=seed) * 0.3
    rng = np.random.default_rng(seed)
    n2 = width * width
    Ws = [theta[k * n2 : (k + 1) * n2].reshape(width, width) for k in range(layers)]
    A1 = np.eye(width) + Ws[0]
    A2 = np.eye(width) + Ws[1]
    G = np.eye(width) + 0.1 * rng.standard_normal((width, width))
    Ws[0] = G @ A1 - np.eye(width)
    Ws[1] = A2 @ np.linalg.inv(G) - np.eye(width)
    assert close(net.mu(np.concatenate([W.ravel() for W in Ws])), net.mu(theta))
