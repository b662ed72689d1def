"""ReLU networks through their values at data points."""

import numpy as np
import pytest
from conftest import dense_layers, seeds
from hypothesis import given
from hypothesis import strategies as st

import neuromanifold as nm


def reference(theta: np.ndarray, ws: tuple[int, ...], bias: bool, X: np.ndarray) -> np.ndarray:
    h = X
    layers = dense_layers(theta, ws, bias)
    for i, (W, b) in enumerate(layers):
        h = W @ h + (b[:, None] if b is not None else 0)
        if i + 1 < len(layers):
            h = np.maximum(h, 0)
    return h


@given(st.lists(st.integers(1, 4), min_size=2, max_size=4), st.booleans(), seeds)
def test_evaluate_matches_numpy(ws: list[int], bias: bool, seed: int) -> None:
    net = nm.ReLUNetwork(ws, bias=bias)
    theta = net.random_params(seed=seed)
    X = np.random.default_rng(seed).standard_normal((ws[0], 5))
    assert np.allclose(net.evaluate(theta, X), reference(theta, tuple(ws), bias, X))


@given(st.lists(st.integers(1, 3), min_size=2, max_size=3), st.booleans(), seeds)
def test_jacobian_equals_central_differences(ws: list[int], bias: bool, seed: int) -> None:
    net = nm.ReLUNetwork(ws, bias=bias)
    theta = net.random_params(seed=seed)
    X = np.random.default_rng(seed + 1).standard_normal((ws[0], 4))
    J = net.jacobian(theta, X)
    assert J.shape == (ws[-1], 4, net.n_params)
    h = 1e-7
    for k in range(net.n_params):
        e = np.zeros(net.n_params)
        e[k] = h
        fd = (net.evaluate(theta + e, X) - net.evaluate(theta - e, X)) / (2 * h)
        # away from kinks (generic points) the function is linear in each parameter direction
        assert np.allclose(J[:, :, k], fd, atol=1e-5)


@pytest.mark.parametrize("h", [1, 2, 3, 4])
def test_shallow_functional_dimension(h: int) -> None:
    # parameters 3h + 1 minus the h positive rescalings of the hidden neurons
    X = np.linspace(-5, 5, 200).reshape(1, -1)
    assert nm.functional_dimension(nm.ReLUNetwork((1, h, 1)), X) == 2 * h + 1


def test_functional_dimension_of_algebraic_networks_is_bounded_by_the_dimension() -> None:
    net = nm.PolynomialNetwork((3, 2, 1), activation=2)
    X = np.random.default_rng(0).standard_normal((3, 40))
    assert nm.functional_dimension(net, X) == nm.dimension(net).dim
