"""mu(theta) is the coefficient vector of the network function f_theta in the monomial basis."""

import numpy as np
import pytest
from conftest import FAMILIES, conv_cases, function_from_coefficients, relu_cases, scale, seeds
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.polynomial import polynomial as P

import neuromanifold as nm


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=20, deadline=None)
@given(data=st.data(), seed=seeds)
def test_coefficients_give_the_network_function(family: str, data: st.DataObject, seed: int) -> None:
    case = data.draw(FAMILIES[family], label="architecture")
    net = case.net
    rng = np.random.default_rng(seed)
    theta = net.random_params(seed=seed)
    X = rng.uniform(-1.0, 1.0, (net.n_inputs, 5))
    expected = case.forward(theta, X)
    assert expected.shape == (net.n_outputs, 5)
    from_mu = function_from_coefficients(net, net.mu(theta), X)
    assert np.allclose(from_mu, expected, rtol=1e-8, atol=1e-9 * scale(expected))
    evaluated = net.evaluate(theta, X)
    assert evaluated.shape == (net.n_outputs, 5)
    assert np.allclose(evaluated, expected, rtol=1e-8, atol=1e-9 * scale(expected))


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=10, deadline=None)
@given(data=st.data(), seed=seeds)
def test_batched_evaluation(family: str, data: st.DataObject, seed: int) -> None:
    net = data.draw(FAMILIES[family], label="architecture").net
    thetas = net.random_params(3, seed=seed)
    X = np.random.default_rng(seed).standard_normal((net.n_inputs, 4))
    batch = net.evaluate(thetas, X)
    assert batch.shape == (3, net.n_outputs, 4)
    for t, row in zip(thetas, batch):
        assert np.allclose(net.evaluate(t, X), row, rtol=1e-12, atol=1e-12 * scale(row))


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_monomial_basis_is_graded_and_lexicographically_descending(family: str, data: st.DataObject) -> None:
    net = data.draw(FAMILIES[family], label="architecture").net
    mons = net.monomials
    assert mons.dtype == np.int64 and mons.ndim == 2 and mons.shape[1] == net.n_inputs
    assert (mons >= 0).all()
    assert net.ambient_dim == net.n_outputs * mons.shape[0]
    rows = [tuple(int(e) for e in m) for m in mons]
    assert len(set(rows)) == len(rows)
    keys = [(sum(m), tuple(-e for e in m)) for m in rows]  # degree ascending, then lex descending
    assert keys == sorted(keys)


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=10, deadline=None)
@given(data=st.data(), seed=seeds)
def test_random_params_are_standard_normal_draws(family: str, data: st.DataObject, seed: int) -> None:
    net = data.draw(FAMILIES[family], label="architecture").net
    one = net.random_params(seed=seed)
    many = net.random_params(4, seed=seed)
    assert one.shape == (net.n_params,) and one.dtype == np.float64
    assert many.shape == (4, net.n_params) and many.dtype == np.float64
    assert np.isfinite(many).all()
    assert np.array_equal(net.random_params(4, seed=seed), many)  # reproducible


def test_random_params_look_standard_normal() -> None:
    net = nm.LinearNetwork((4, 4, 4))
    x = net.random_params(2000, seed=7).ravel()
    assert abs(x.mean()) < 0.02 and abs(x.std() - 1.0) < 0.02


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=4).flatmap(
        lambda f: st.tuples(st.just(f), st.lists(st.integers(1, 3), min_size=len(f), max_size=len(f)))
    ),
    seeds,
)
def test_linear_convolution_is_a_product_of_filter_polynomials(fs, seed: int) -> None:
    filters, strides = fs
    net = nm.ConvNetwork(filters, strides=strides)
    K = 1 + sum((k - 1) * int(np.prod(strides[:i])) for i, k in enumerate(filters))
    assert net.n_inputs == K and net.n_outputs == 1 and net.n_params == sum(filters)
    theta = net.random_params(seed=seed)
    ends = np.cumsum([0, *filters])
    product, step = np.array([1.0]), 1
    for i, k in enumerate(filters):
        w = theta[ends[i] : ends[i + 1]]
        spread = np.zeros((k - 1) * step + 1)
        spread[::step] = w  # w(z^step)
        product = P.polymul(product, spread)
        step *= strides[i]
    # mu lists coefficients of linear monomials x_p (inputs that no path reaches may be left out
    # of the basis when strides leave gaps): spread them back onto x_0 .. x_{K-1}
    mons = net.monomials
    assert (mons.sum(axis=1) == 1).all()
    dense = np.zeros(K)
    dense[mons.argmax(axis=1)] = net.mu(theta)
    assert np.allclose(dense, product, rtol=1e-12, atol=1e-12 * scale(product))
    if all(s == 1 for s in strides[:-1]):
        # stride 1: the basis is x_0, ..., x_{K-1} in that order and mu is the whole product
        assert mons.tolist() == np.eye(K, dtype=int).tolist()


@settings(max_examples=20, deadline=None)
@given(conv_cases(activation=False), seeds)
def test_linear_conv_evaluates_as_a_dot_product_with_the_end_to_end_filter(case, seed: int) -> None:
    net = case.net
    theta = net.random_params(seed=seed)
    X = np.random.default_rng(seed).standard_normal((net.n_inputs, 3))
    rows = net.monomials.argmax(axis=1)  # each basis monomial is one input x_p
    assert np.allclose(net.evaluate(theta, X), net.mu(theta) @ X[rows])


def test_polynomial_network_with_affine_activation_and_biases() -> None:
    net = nm.PolynomialNetwork((3, 4, 2), activation=(0.5, -1.0, 2.0), bias=True)
    theta = net.random_params(seed=3)
    W1, b1 = theta[:12].reshape(4, 3), theta[12:16]
    W2, b2 = theta[16:24].reshape(2, 4), theta[24:26]
    X = np.random.default_rng(0).standard_normal((3, 7))
    Z = W1 @ X + b1[:, None]
    expected = W2 @ (0.5 - Z + 2 * Z**2) + b2[:, None]
    assert np.allclose(net.evaluate(theta, X), expected)
    assert np.allclose(function_from_coefficients(net, net.mu(theta), X), expected)


def test_quadratic_network_coefficients_by_hand() -> None:
    # f(x) = sum_j v_j (w_j . x)^2: the coefficient of x_a x_b is sum_j v_j w_ja w_jb (times 2 off-diagonal)
    net = nm.PolynomialNetwork((3, 2, 1), activation=2)
    assert net.monomials.tolist() == [[2, 0, 0], [1, 1, 0], [1, 0, 1], [0, 2, 0], [0, 1, 1], [0, 0, 2]]
    theta = net.random_params(seed=11)
    W, v = theta[:6].reshape(2, 3), theta[6:]
    S = W.T @ np.diag(v) @ W  # the symmetric matrix of the quadric
    expected = [S[0, 0], 2 * S[0, 1], 2 * S[0, 2], S[1, 1], 2 * S[1, 2], S[2, 2]]
    assert np.allclose(net.mu(theta), expected)


@settings(max_examples=20, deadline=None)
@given(relu_cases, seeds)
def test_relu_evaluate_matches_numpy(case, seed: int) -> None:
    net = case.net
    theta = net.random_params(seed=seed)
    X = np.random.default_rng(seed).standard_normal((net.n_inputs, 6))
    out = net.evaluate(theta, X)
    assert out.shape == (net.n_outputs, 6)
    assert np.allclose(out, case.forward(theta, X), rtol=1e-12, atol=1e-12)
