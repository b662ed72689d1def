"""ReLU networks through their values at data points."""

import numpy as np
import pytest
from conftest import dense_layers, join_dense, relu_cases, scale, seeds
from hypothesis import given, settings
from hypothesis import strategies as st

import neuromanifold as nm


@settings(max_examples=25, deadline=None)
@given(relu_cases, seeds)
def test_evaluate_matches_numpy(case, seed: int) -> None:
    net = case.net
    theta = net.random_params(seed=seed)
    X = np.random.default_rng(seed).standard_normal((net.n_inputs, 7))
    assert np.allclose(net.evaluate(theta, X), case.forward(theta, X), rtol=1e-12, atol=1e-12)
    batch = net.random_params(3, seed=seed)
    out = net.evaluate(batch, X)
    assert out.shape == (3, net.n_outputs, 7)
    for t, o in zip(batch, out):
        assert np.allclose(o, case.forward(t, X), rtol=1e-12, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=3, max_size=4), st.booleans(), seeds)
def test_positive_rescaling_of_hidden_neurons(ws: list[int], bias: bool, seed: int) -> None:
    net = nm.ReLUNetwork(ws, bias=bias)
    theta = net.random_params(seed=seed)
    rng = np.random.default_rng(seed)
    layers = [(W.copy(), None if b is None else b.copy()) for W, b in dense_layers(theta, ws, bias)]
    for i in range(len(ws) - 2):
        c = rng.uniform(0.2, 5.0, ws[i + 1])  # relu(c z) = c relu(z) for c > 0
        W, b = layers[i]
        layers[i] = (c[:, None] * W, None if b is None else c * b)
        layers[i + 1] = (layers[i + 1][0] / c[None, :], layers[i + 1][1])
    X = rng.standard_normal((ws[0], 8))
    f = net.evaluate(theta, X)
    assert np.allclose(net.evaluate(join_dense(layers), X), f, rtol=1e-10, atol=1e-10 * scale(f))


@pytest.mark.parametrize("h", [1, 2, 3, 4])
def test_shallow_functional_dimension(h: int) -> None:
    # 3h + 1 parameters minus the h positive rescalings of the hidden neurons
    X = np.linspace(-5, 5, 200).reshape(1, -1)
    net = nm.ReLUNetwork((1, h, 1))
    assert net.n_params == 3 * h + 1
    assert nm.functional_dimension(net, X) == 2 * h + 1


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=2, max_size=4), st.booleans(), seeds)
def test_functional_dimension_bounded_by_rescalings(ws: list[int], bias: bool, seed: int) -> None:
    # each hidden neuron's positive rescaling is a direction in the kernel of the Jacobian
    net = nm.ReLUNetwork(ws, bias=bias)
    X = np.random.default_rng(seed).standard_normal((ws[0], 30))
    fd = nm.functional_dimension(net, X, seed=seed % 1000, trials=3)
    assert 0 <= fd <= net.n_params - sum(ws[1:-1])
    assert fd <= ws[-1] * 30
    theta = net.random_params(seed=seed)
    J = net.jacobian(theta, X).reshape(-1, net.n_params)
    assert nm.functional_dimension(net, X, theta=theta) == np.linalg.matrix_rank(J)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 4), seeds)
def test_jacobian_is_exact_for_piecewise_linear_output_layer(h: int, seed: int) -> None:
    # f is linear in the last layer: its block of the Jacobian is relu(W1 x + b1) (and 1 for b2)
    net = nm.ReLUNetwork((2, h, 1))
    theta = net.random_params(seed=seed)
    X = np.random.default_rng(seed).standard_normal((2, 5))
    W1, b1 = theta[: 2 * h].reshape(h, 2), theta[2 * h : 3 * h]
    J = net.jacobian(theta, X)
    hidden = np.maximum(W1 @ X + b1[:, None], 0.0)  # (h, points)
    assert np.allclose(J[0, :, 3 * h : 4 * h], hidden.T)
    assert np.allclose(J[0, :, 4 * h], 1.0)
