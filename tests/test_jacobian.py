"""Jacobians of mu are derivatives: finite differences, complex steps, batches, complex input."""

import numpy as np
from conftest import algebraic_networks, seeds
from hypothesis import given

import neuromanifold as nm


def scale(J: np.ndarray) -> float:
    return 1.0 + float(np.abs(J).max(initial=0.0))


@given(algebraic_networks, seeds)
def test_jacobian_equals_central_differences(net: nm.Network, seed: int) -> None:
    theta = net.random_params(seed=seed)
    J = net.jacobian(theta)
    assert J.shape == (net.ambient_dim, net.n_params)
    h = 1e-6
    eye = np.eye(net.n_params)
    fd = (net.mu(theta + h * eye) - net.mu(theta - h * eye)).T / (2 * h)
    assert np.allclose(J, fd, rtol=1e-5, atol=1e-5 * scale(J))


@given(algebraic_networks, seeds)
def test_jacobian_equals_complex_step(net: nm.Network, seed: int) -> None:
    theta = net.random_params(seed=seed)
    J = net.jacobian(theta)
    h = 1e-20
    steps = theta[None, :] + 1j * h * np.eye(net.n_params)
    cs = net.mu(steps).imag.T / h
    assert np.allclose(J, cs, rtol=1e-10, atol=1e-10 * scale(J))


@given(algebraic_networks, seeds)
def test_batches_equal_single_evaluations(net: nm.Network, seed: int) -> None:
    thetas = net.random_params(5, seed=seed)
    mus, Js = net.mu(thetas), net.jacobian(thetas)
    assert mus.shape == (5, net.ambient_dim) and Js.shape == (5, net.ambient_dim, net.n_params)
    for t, m, J in zip(thetas, mus, Js):
        assert np.allclose(net.mu(t), m, rtol=1e-12, atol=1e-12 * scale(m))
        assert np.allclose(net.jacobian(t), J, rtol=1e-12, atol=1e-12 * scale(J))


@given(algebraic_networks, seeds)
def test_complex_parameters(net: nm.Network, seed: int) -> None:
    theta = net.random_params(seed=seed)
    Jc = net.jacobian(theta.astype(complex))
    assert Jc.dtype == np.complex128
    assert np.allclose(Jc.real, net.jacobian(theta), atol=1e-12 * scale(Jc)) and not Jc.imag.any()
    # mu is a polynomial with real coefficients: mu(conj z) = conj mu(z)
    rng = np.random.default_rng(seed)
    z = theta + 1j * rng.standard_normal(net.n_params)
    assert np.allclose(net.mu(z.conj()), net.mu(z).conj(), atol=1e-10 * scale(net.mu(z)))


@given(algebraic_networks, seeds)
def test_evaluate_is_the_function_with_coefficients_mu(net: nm.Network, seed: int) -> None:
    rng = np.random.default_rng(seed)
    theta = net.random_params(seed=seed)
    X = rng.standard_normal((net.n_inputs, 4))
    coeffs = net.mu(theta).reshape(net.n_outputs, -1)
    monomial_values = np.prod(X.T[:, None, :] ** net.monomials[None, :, :], axis=2)  # (points, M)
    expected = coeffs @ monomial_values.T
    assert np.allclose(net.evaluate(theta, X), expected, rtol=1e-9, atol=1e-9 * scale(expected))


def test_polynomial_network_evaluates_like_numpy() -> None:
    net = nm.PolynomialNetwork((3, 4, 2), activation=(0.5, -1.0, 2.0), bias=True)
    theta = net.random_params(seed=3)
    W1, b1 = theta[:12].reshape(4, 3), theta[12:16]
    W2, b2 = theta[16:24].reshape(2, 4), theta[24:26]
    X = np.random.default_rng(0).standard_normal((3, 7))
    Z = W1 @ X + b1[:, None]
    expected = W2 @ (0.5 - Z + 2 * Z**2) + b2[:, None]
    assert np.allclose(net.evaluate(theta, X), expected)


def test_monomial_basis_order() -> None:
    net = nm.PolynomialNetwork((3, 2, 1), activation=2)
    assert net.monomials.tolist() == [[2, 0, 0], [1, 1, 0], [1, 0, 1], [0, 2, 0], [0, 1, 1], [0, 0, 2]]
