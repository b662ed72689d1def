"""Jacobians of mu are its derivatives: central differences, complex steps, batches, complex input."""

import numpy as np
import pytest
from conftest import FAMILIES, relu_cases, scale, seeds
from hypothesis import given, settings
from hypothesis import strategies as st

import neuromanifold as nm


def draw_net(data: st.DataObject, family: str):
    return data.draw(FAMILIES[family], label="architecture").net


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=20, deadline=None)
@given(data=st.data(), seed=seeds)
def test_jacobian_equals_central_differences(family: str, data: st.DataObject, seed: int) -> None:
    net = draw_net(data, family)
    theta = net.random_params(seed=seed)
    J = net.jacobian(theta)
    assert J.shape == (net.ambient_dim, net.n_params) and J.dtype == np.float64
    h = 1e-6
    eye = np.eye(net.n_params)
    fd = (net.mu(theta + h * eye) - net.mu(theta - h * eye)).T / (2 * h)
    assert np.allclose(J, fd, rtol=1e-5, atol=1e-5 * scale(J))


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=20, deadline=None)
@given(data=st.data(), seed=seeds)
def test_jacobian_equals_complex_step(family: str, data: st.DataObject, seed: int) -> None:
    net = draw_net(data, family)
    theta = net.random_params(seed=seed)
    J = net.jacobian(theta)
    h = 1e-20
    steps = theta[None, :] + 1j * h * np.eye(net.n_params)  # (N, N) complex128 batch
    out = net.mu(steps)
    assert out.dtype == np.complex128 and out.shape == (net.n_params, net.ambient_dim)
    cs = out.imag.T / h
    assert np.allclose(J, cs, rtol=1e-12, atol=1e-12 * scale(J))
    # the real part of mu at theta + i h e_k is mu(theta) up to O(h^2)
    assert np.allclose(out.real, net.mu(theta)[None, :], rtol=1e-12, atol=1e-12 * scale(out.real))


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=15, deadline=None)
@given(data=st.data(), seed=seeds, batch=st.integers(1, 6))
def test_batches_equal_single_evaluations(family: str, data: st.DataObject, seed: int, batch: int) -> None:
    net = draw_net(data, family)
    thetas = net.random_params(batch, seed=seed)
    mus, Js = net.mu(thetas), net.jacobian(thetas)
    assert mus.shape == (batch, net.ambient_dim) and Js.shape == (batch, net.ambient_dim, net.n_params)
    for t, m, J in zip(thetas, mus, Js):
        assert np.allclose(net.mu(t), m, rtol=1e-12, atol=1e-12 * scale(m))
        assert np.allclose(net.jacobian(t), J, rtol=1e-12, atol=1e-12 * scale(J))
    # complex batches as well
    z = thetas + 1j * np.random.default_rng(seed).standard_normal(thetas.shape)
    Jz = net.jacobian(z)
    assert Jz.dtype == np.complex128 and Jz.shape == Js.shape
    for t, J in zip(z, Jz):
        assert np.allclose(net.jacobian(t), J, rtol=1e-12, atol=1e-12 * scale(J))


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=15, deadline=None)
@given(data=st.data(), seed=seeds)
def test_complex_jacobian_of_real_parameters_is_the_real_one(family: str, data: st.DataObject, seed: int) -> None:
    net = draw_net(data, family)
    theta = net.random_params(seed=seed)
    Jc = net.jacobian(theta.astype(np.complex128))
    J = net.jacobian(theta)
    assert Jc.dtype == np.complex128 and Jc.shape == J.shape
    assert np.allclose(Jc.real, J, rtol=1e-12, atol=1e-12 * scale(J))
    assert np.abs(Jc.imag).max(initial=0.0) <= 1e-12 * scale(J)
    muc = net.mu(theta.astype(np.complex128))
    assert muc.dtype == np.complex128
    assert np.allclose(muc.real, net.mu(theta), rtol=1e-12, atol=1e-12 * scale(muc))
    # mu has real coefficients: mu(conj z) = conj mu(z)
    z = theta + 1j * np.random.default_rng(seed).standard_normal(net.n_params)
    assert np.allclose(net.mu(z.conj()), net.mu(z).conj(), rtol=1e-10, atol=1e-10 * scale(net.mu(z)))


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=10, deadline=None)
@given(data=st.data(), seed=seeds)
def test_complex_jacobian_is_holomorphic_derivative(family: str, data: st.DataObject, seed: int) -> None:
    # mu is a polynomial: for complex z, (mu(z + h e_k) - mu(z - h e_k)) / 2h -> J(z) e_k
    net = draw_net(data, family)
    rng = np.random.default_rng(seed)
    z = net.random_params(seed=seed) + 1j * rng.standard_normal(net.n_params)
    J = net.jacobian(z)
    h = 1e-6
    eye = np.eye(net.n_params)
    fd = (net.mu(z + h * eye) - net.mu(z - h * eye)).T / (2 * h)
    assert np.allclose(J, fd, rtol=1e-5, atol=1e-5 * scale(J))


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=10, deadline=None)
@given(data=st.data(), seed=seeds)
def test_results_do_not_depend_on_the_thread_count(family: str, data: st.DataObject, seed: int) -> None:
    net = draw_net(data, family)
    thetas = net.random_params(17, seed=seed)
    saved = nm.get_num_threads()
    try:
        nm.set_num_threads(1)
        one_mu, one_J = net.mu(thetas), net.jacobian(thetas)
        nm.set_num_threads(2)
        two_mu, two_J = net.mu(thetas), net.jacobian(thetas)
    finally:
        nm.set_num_threads(saved)
    assert np.allclose(one_mu, two_mu, rtol=1e-14, atol=1e-14 * scale(one_mu))
    assert np.allclose(one_J, two_J, rtol=1e-14, atol=1e-14 * scale(one_J))


@settings(max_examples=25, deadline=None)
@given(relu_cases, seeds)
def test_relu_jacobian_equals_central_differences_at_generic_points(case, seed: int) -> None:
    net = case.net
    theta = net.random_params(seed=seed)
    X = np.random.default_rng(seed + 1).standard_normal((net.n_inputs, 5))
    J = net.jacobian(theta, X)
    assert J.shape == (net.n_outputs, 5, net.n_params)
    h = 1e-6
    eye = np.eye(net.n_params)
    # at generic (theta, X) no pre-activation is within h of a kink, so the function is smooth there
    fd = np.stack(
        [(case.forward(theta + h * e, X) - case.forward(theta - h * e, X)) / (2 * h) for e in eye], axis=-1
    )
    assert np.allclose(J, fd, rtol=1e-5, atol=1e-5 * scale(J))
    fd_lib = np.stack([(net.evaluate(theta + h * e, X) - net.evaluate(theta - h * e, X)) / (2 * h) for e in eye], axis=-1)
    assert np.allclose(J, fd_lib, rtol=1e-5, atol=1e-5 * scale(J))


@settings(max_examples=10, deadline=None)
@given(relu_cases, seeds)
def test_relu_batches_equal_single_evaluations(case, seed: int) -> None:
    net = case.net
    thetas = net.random_params(3, seed=seed)
    X = np.random.default_rng(seed).standard_normal((net.n_inputs, 4))
    Jb = net.jacobian(thetas, X)
    assert Jb.shape == (3, net.n_outputs, 4, net.n_params)
    for t, J in zip(thetas, Jb):
        assert np.allclose(net.jacobian(t, X), J, rtol=1e-12, atol=1e-12 * scale(J))


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=10, deadline=None)
@given(data=st.data(), seed=seeds)
def test_memory_layout_of_the_input_does_not_matter(family: str, data: st.DataObject, seed: int) -> None:
    net = draw_net(data, family)
    thetas = net.random_params(4, seed=seed)
    mus, Js = net.mu(thetas), net.jacobian(thetas)
    fortran = np.asfortranarray(thetas)
    strided = np.repeat(thetas, 2, axis=0)[::2]  # a non-contiguous view
    for arr in (fortran, strided, thetas.tolist()):
        assert np.allclose(net.mu(arr), mus, rtol=1e-14, atol=1e-14 * scale(mus))
        assert np.allclose(net.jacobian(arr), Js, rtol=1e-14, atol=1e-14 * scale(Js))
    column = np.stack([thetas[0], thetas[1]], axis=1)[:, 0]  # strided 1-D view
    assert np.allclose(net.mu(column), mus[0], rtol=1e-14, atol=1e-14 * scale(mus))
    zc = np.asfortranarray(thetas + 1j * thetas[::-1])
    assert np.allclose(net.mu(zc), net.mu(np.ascontiguousarray(zc)), rtol=1e-14, atol=1e-14 * scale(mus))



@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=8, deadline=None)
@given(data=st.data(), seed=seeds)
def test_hessian_matches_central_differences_of_the_jacobian(family: str, data: st.DataObject, seed: int) -> None:
    net = draw_net(data, family)
    theta = np.random.default_rng(seed).standard_normal(net.n_params)
    H = net.hessian(theta)
    assert H.shape == (net.ambient_dim, net.n_params, net.n_params)
    assert np.allclose(H, H.transpose(0, 2, 1), atol=1e-10 * (1 + np.abs(H).max()))
    h = 1e-5
    for i in range(net.n_params):
        e = np.zeros(net.n_params)
        e[i] = h
        fd = (net.jacobian(theta + e) - net.jacobian(theta - e)) / (2 * h)
        assert np.allclose(H[:, :, i], fd, rtol=1e-5, atol=1e-6 * (1 + np.abs(fd).max()))
