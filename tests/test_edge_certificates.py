"""Certificates that the edge of M attracts a null set of data, for networks whose closure
adds points no parameters reach: quadratic polynomials in one square (w.x + b)^2 (biases, z^2,
one first-layer neuron and one more hidden layer; on one input the quartics symmetric about an
axis), whose closure adds the limits where the square tends to a constant (the axis at infinity),
and a last hidden layer of one neuron over a layer whose powers span every polynomial, whose
closure adds the limits at the constant. The closure is checked against searches in the
network's parameters, and the derivative that a maximum at the added points would need against
finite differences."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.polynomial import polynomial as P
from scipy.linalg import eigh
from scipy.optimize import least_squares, minimize_scalar

import neuromanifold as nm

AXIS_SPECS = ["poly:1,1,1,1^2+bias", "poly:1,1,2,1^2+bias", "poly:1,1,1,2^2+bias", "poly:1,1,2,2^2+bias", "poly:1,1,3,2^2+bias"]


def _row_scaled(J: np.ndarray) -> np.ndarray:
    """J with each nonzero row scaled to maximum 1 (the same rank): coefficients of degree k^2
    span many orders of magnitude."""
    return J / np.maximum(np.abs(J).max(axis=1, keepdims=True), 1e-300)


def _padded(c: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n)
    out[: len(c)] = c
    return out


def _g(theta: float) -> tuple[np.ndarray, np.ndarray]:
    """g = t x^2 - 2 s x and g^2, coefficients of x^0..x^4, at (s, t) = (sin, cos) theta: the
    axis x = s / t, at infinity for theta = pi / 2."""
    g = np.array([0.0, -2 * np.sin(theta), np.cos(theta)])
    return _padded(g, 5), _padded(P.polymul(g, g), 5)


def _plane_energy(theta: float, U: np.ndarray) -> float:
    """sum_o |projection of u_o onto span{g, g^2}|^2 (constants dropped from U)."""
    B = np.stack(_g(theta), axis=1)
    coef = np.linalg.lstsq(B, U.T, rcond=None)[0]
    return float(((B @ coef) ** 2).sum())


def _line_energy(theta: float, phi: float, G: np.ndarray) -> float:
    """w^T G w / |w|^2 for w = cos(phi) g^2 + sin(phi) g: one layer-2 neuron."""
    g, g2 = _g(theta)
    w = np.cos(phi) * g2 + np.sin(phi) * g
    return float(w @ G @ w / (w @ w))


def _data(net: nm.PolynomialNetwork, rng: np.random.Generator) -> np.ndarray:
    """Standard normal coefficients, m rows of x^0..x^4 with the constants dropped (the output
    biases take them)."""
    U = rng.standard_normal((net.widths[-1], 5))
    U[:, 0] = 0.0
    return U


@pytest.mark.parametrize("spec", AXIS_SPECS)
def test_quartics_symmetric_about_an_axis(spec: str) -> None:
    # the first neuron gives b (x - s)^2 + const, so every output is even about x = s: no odd
    # coefficients after the shift; D mu has the dimension of M at random parameters, which is
    # 2 m + 2 with one layer-2 neuron (c (x) (lambda g^2 + mu g) + delta) and 3 m + 1 with more
    # (the planes V(s : t)^m + constants), at most the 5 m coefficients
    net = nm.parse(spec)
    m, h = net.widths[-1], net.widths[2]
    dim = nm.dimension(net).dim
    assert dim == (2 * m + 2 if h == 1 else min(3 * m + 1, 5 * m))
    rng = np.random.default_rng(0)
    for _ in range(10):
        theta = rng.standard_normal(net.n_params)
        a, a0 = theta[0], theta[1]
        F = net.mu(theta[None])[0].reshape(m, 5)
        for f in F:
            # f(x + axis) by Taylor: the coefficient of y^j is f^(j)(axis) / j!
            shifted = [P.polyval(-a0 / a, P.polyder(f, j)) / np.prod(np.arange(1, j + 1)) for j in range(5)]
            assert abs(shifted[1]) + abs(shifted[3]) <= 1e-9 * np.abs(f).max()
        J = net.jacobian(theta)
        assert np.linalg.matrix_rank(J, tol=1e-8 * np.abs(J).max()) == dim


@settings(max_examples=25, deadline=None)
@given(h=st.integers(1, 3), m=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_the_axis_at_infinity_needs_a_vanishing_derivative(h: int, m: int, seed: int) -> None:
    # at t = 0 the closure's planes are span{x, x^2}: the squared projection R of the data
    # moves with t at rate -2 sum_o u_o2 u_o3 (d theta = -d t here); with one layer-2 neuron
    # and two or more outputs R = w^T G w / |w|^2, and at the top eigenvector w = 4 lambda x^2 -
    # 2 mu x of G on the plane the rate is -8 lambda (G w)_3 / |w|^2. Random data: nonzero, so
    # the nearest point of the closure is not there
    net = nm.PolynomialNetwork((1, 1, h, m), 2, bias=True)
    U = _data(net, np.random.default_rng(seed))
    step, top = 1e-5, np.pi / 2
    if h >= 2 or m == 1:
        slope = (_plane_energy(top + step, U) - _plane_energy(top - step, U)) / (2 * step)
        claimed = 2 * float(U[:, 2] @ U[:, 3])
    else:
        G = U.T @ U
        a = np.linalg.eigh(G[1:3, 1:3])[1][:, -1]  # top eigenvector on span{x, x^2}
        lam, mu = a[1] / 4, -a[0] / 2  # w = 4 lambda x^2 - 2 mu x at s = 1
        phi = np.arctan2(mu, lam)
        w = _padded(np.array([0.0, a[0], a[1]]), 5)
        assert _line_energy(top, phi, G) == pytest.approx(float(w @ G @ w), rel=1e-9)
        slope = (_line_energy(top + step, phi, G) - _line_energy(top - step, phi, G)) / (2 * step)
        claimed = 8 * lam * float((G @ w)[3])
    assert slope == pytest.approx(claimed, rel=1e-5, abs=1e-9)
    assert abs(claimed) > 1e-12


def _closure_best(net: nm.PolynomialNetwork, U: np.ndarray) -> tuple[float, float, float]:
    """The squared distance from U (constants dropped) to the closure, maximizing the squared
    projection over the axis (theta on a grid, refined), the best theta, and the squared
    distance to the axis at infinity alone."""
    m, h = U.shape[0], net.widths[2]
    G = U.T @ U
    if h >= 2 or m == 1:
        energy = lambda theta: _plane_energy(theta, U)  # noqa: E731
    else:
        # the best line in each plane span{g, g^2}: the top eigenvalue of G there
        def energy(theta: float) -> float:
            Q = np.linalg.qr(np.stack(_g(theta), axis=1))[0]
            return float(np.linalg.eigvalsh(Q.T @ G @ Q)[-1])

    grid = np.linspace(0, np.pi, 721)
    values = np.array([energy(t) for t in grid])
    i = int(values.argmax())
    best = minimize_scalar(lambda t: -energy(t), bounds=(grid[i] - np.pi / 720, grid[i] + np.pi / 720), method="bounded", options={"xatol": 1e-12})
    theta = float(best.x) if -best.fun >= values[i] else float(grid[i])
    total = float((U**2).sum())
    return total - energy(theta), theta, total - energy(np.pi / 2)


def _parameters_at(net: nm.PolynomialNetwork, U: np.ndarray, theta: float) -> np.ndarray:
    """Network parameters whose outputs are the projection of U onto the closure's part at the
    axis x = tan(theta): the first neuron gives y = (x - axis)^2, layer 2 (b y + b0)^2, and the
    output weights fit y^2 and y (parameters W_1, b_1, W_2, b_2, W_3, b_3)."""
    m, h = U.shape[0], net.widths[2]
    axis = np.tan(theta)
    y = np.array([0.0, -2 * axis, 1.0])  # (x - axis)^2 without its constant
    Y = np.stack([_padded(P.polymul(y + [axis**2, 0, 0], y + [axis**2, 0, 0]), 5), _padded(y, 5)], axis=1)
    Y[0] = 0.0  # constants dropped: y^2 and y as directions
    coef = np.linalg.lstsq(Y, U.T, rcond=None)[0]  # (2, m): the weights of y^2 and y
    b, b0, W3 = np.zeros(h), np.zeros(h), np.zeros((m, h))
    if h >= 2:
        b[:2], b0[:2] = 1.0, (0.0, 1.0)  # y^2 and y^2 + 2 y + 1
        W3[:, 1] = coef[1] / 2
        W3[:, 0] = coef[0] - W3[:, 1]
    else:
        # one neuron: every output on the best line c_o (y + b0)^2 of the plane
        G = Y.T @ (U.T @ U) @ Y
        pq = eigh(G, Y.T @ Y)[1][:, -1]  # the top generalized eigenvector: the best line
        w = Y @ pq
        b[0], b0[0] = 1.0, pq[1] / (2 * pq[0])
        W3[:, 0] = (U @ w) / (w @ w) * pq[0]
    params = np.concatenate([[1.0, -axis], b, b0, W3.reshape(-1), np.zeros(m)])
    constants = net.mu(params[None])[0].reshape(m, 5)[:, 0]
    params[-m:] = -constants  # the output biases cancel the constant terms
    return params


@pytest.mark.parametrize("spec", ["poly:1,1,1,1^2+bias", "poly:1,1,2,1^2+bias", "poly:1,1,1,2^2+bias", "poly:1,1,2,2^2+bias"])
def test_the_closure_of_the_symmetric_quartics_is_reached_by_the_network(spec: str) -> None:
    # the best point of the union of the planes over (s : t) in P^1 is a point of M: parameters
    # built from it reach its distance, and searches from random starts never get nearer (the
    # closure holds M); no sample has the axis at infinity as its best
    net = nm.parse(spec)
    rng = np.random.default_rng(3)

    def search(start: np.ndarray) -> float:
        fit = least_squares(lambda th: net.mu(th[None])[0] - u, start, jac=lambda th: net.jacobian(th), xtol=1e-15, ftol=1e-15, gtol=1e-15)
        return 2 * float(fit.cost)

    for _ in range(12):
        U = _data(net, rng)
        u = U.reshape(-1)
        closure, theta, at_infinity = _closure_best(net, U)
        assert at_infinity > closure + 1e-9
        assert search(_parameters_at(net, U, theta)) == pytest.approx(closure, rel=1e-6, abs=1e-12)
        assert min(search(rng.standard_normal(net.n_params)) for _ in range(4)) >= closure - 1e-9 * (1 + closure)


@pytest.mark.parametrize(
    "spec",
    [
        *AXIS_SPECS,
        *("poly:2,1,1,1^2+bias", "poly:2,1,2,1^2+bias", "poly:2,1,1,2^2+bias", "poly:3,1,2,2^2+bias"),
        *("poly:1,1,3,1^3+bias", "poly:2,1,3,1^3+bias", "poly:1,1,4,2^4+bias"),
        *("poly:1,1,2,1^3+bias", "poly:2,1,2,1^3+bias", "poly:1,1,3,1^4+bias"),  # k - 1 neurons, one output
    ],
)
def test_polynomials_of_one_power_have_a_null_boundary(spec: str) -> None:
    # M = sum_o e_o (x) P_o(y), y = (w.x + b)^k, P_o of degree <= k (proportional rows
    # lambda y^2 + mu y with one layer-2 neuron and k = 2; with one output k - 1 neurons reach
    # every P of degree k): dimension (k + 1) m + d0, or 2 m + d0 + 1, reached by D mu at
    # random parameters; certified, and local searches agree
    net = nm.parse(spec)
    d0, h, m, k = net.widths[0], net.widths[2], net.widths[-1], int(np.flatnonzero(net.activation)[0])
    dim = nm.dimension(net).dim
    assert dim == min(2 * m + d0 + 1 if h == 1 else (k + 1) * m + d0, net.ambient_dim)
    rng = np.random.default_rng(0)
    for _ in range(10):
        J = _row_scaled(net.jacobian(rng.standard_normal(net.n_params)))
        assert np.linalg.matrix_rank(J, tol=1e-8) == dim
    est = nm.voronoi_mc(net, "boundary", 10**6, progress=False)
    assert est.method == "certificate" and (est.hits, est.n) == (0, 10**6) and "y = (w.x + b)^k" in est.certificate
    local = nm.voronoi_mc(net, "boundary", 200, method="multistart", seed=1, progress=False)
    assert local.hits == 0


@settings(max_examples=20, deadline=None)
@given(k=st.integers(2, 4), m=st.integers(1, 2), seed=st.integers(0, 2**32 - 1))
def test_the_limit_of_polynomials_of_one_power_needs_a_vanishing_derivative(k: int, m: int, seed: int) -> None:
    # one input: near (w, b) = (e, 1) the spaces are span{psi, ..., psi^k}, psi = ((1 + e x)^k
    # - 1) / e, which at e = 0 is span{x, ..., x^k}; the squared projection R of the data moves
    # with e at rate k (k - 1) sum_o u_ok u_o(k+1) (the basis (psi / k)^j moves by j (k - 1) / 2
    # x^(j+1), outside the space for j = k): nonzero for random data, so the nearest point of
    # the closure is not there
    net = nm.PolynomialNetwork((1, 1, k, m), k, bias=True)
    size = len(net.monomials)
    U = np.random.default_rng(seed).standard_normal((m, size))
    U[:, 0] = 0.0

    def R(e: float) -> float:
        psi = _psi(np.array([0.0, 1.0]), k, e, size)
        B = np.stack([_padded(P.polypow(psi, j)[:size], size) for j in range(1, k + 1)], axis=1)
        coef = np.linalg.lstsq(B, U.T, rcond=None)[0]
        return float(((B @ coef) ** 2).sum())

    claimed = k * (k - 1) * float(U[:, k] @ U[:, k + 1])
    assert R(0.0) == pytest.approx(float((U[:, 1 : k + 1] ** 2).sum()), rel=1e-9)
    step = 1e-6
    assert (R(step) - R(-step)) / (2 * step) == pytest.approx(claimed, rel=1e-4, abs=1e-8)
    assert abs(claimed) > 1e-12


def _powers_of_a_linear_form(monomials: np.ndarray, v: np.ndarray) -> list[np.ndarray]:
    """Coefficients of (v.x)^j, j = 0..4, in the network's monomial basis (multinomials)."""
    from math import factorial

    out = [np.zeros(len(monomials)) for _ in range(5)]
    for i, a in enumerate(monomials):
        j = int(a.sum())
        if j <= 4:
            out[j][i] = factorial(j) / np.prod([factorial(int(t)) for t in a]) * np.prod(v**a)
    return out


@settings(max_examples=15, deadline=None)
@given(m=st.integers(1, 2), seed=st.integers(0, 2**32 - 1))
def test_the_divisor_of_quadratics_of_one_square_needs_a_vanishing_derivative(m: int, seed: int) -> None:
    # two inputs, two layer-2 neurons: near the divisor (w, b) = (e v, 1) the planes are
    # span{psi, psi^2}, psi = 2 v.x + e (v.x)^2. At the best v of the divisor (e = 0, planes
    # span{v.x, (v.x)^2}) the derivative in e is 2 sum_o alpha_o <u_o, (v.x)^3>, alpha_o the
    # coefficient of (v.x)^2: nonzero for random data, so the nearest point is off the divisor
    net = nm.PolynomialNetwork((2, 1, 2, m), 2, bias=True)
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((m, len(net.monomials)))
    U[:, net.monomials.sum(axis=1) == 0] = 0.0

    def planes(e: float, phi: float) -> tuple[np.ndarray, list[np.ndarray]]:
        L = _powers_of_a_linear_form(net.monomials, np.array([np.cos(phi), np.sin(phi)]))
        return np.stack([L[1] + e / 2 * L[2], L[2] + e * L[3] + e * e / 4 * L[4]], axis=1), L  # psi / 2, psi^2 / 4

    def R(e: float, phi: float) -> float:
        B = planes(e, phi)[0]
        coef = np.linalg.lstsq(B, U.T, rcond=None)[0]
        return float(((B @ coef) ** 2).sum())

    grid = np.linspace(0, np.pi, 721)
    i = int(np.argmax([R(0.0, t) for t in grid]))
    phi = float(minimize_scalar(lambda t: -R(0.0, t), bounds=(grid[i] - np.pi / 720, grid[i] + np.pi / 720), method="bounded", options={"xatol": 1e-12}).x)
    B, L = planes(0.0, phi)
    alpha = np.linalg.lstsq(B, U.T, rcond=None)[0][1]
    claimed = 2 * float(alpha @ (U @ L[3]))
    step = 1e-6
    assert (R(step, phi) - R(-step, phi)) / (2 * step) == pytest.approx(claimed, rel=1e-4, abs=1e-8)
    assert abs(claimed) > 1e-10


def _psi(v: np.ndarray, k: int, e: float, size: int) -> np.ndarray:
    """Coefficients of ((1 + e v)^k - 1) / e = sum_j C(k, j) e^(j - 1) v^j (one input)."""
    out, power = np.zeros(size), np.array([1.0])
    for j in range(1, k + 1):
        power = P.polymul(power, v)
        out += comb(k, j) * e ** (j - 1) * _padded(power, size)
    return out


@settings(max_examples=20, deadline=None)
@given(k=st.integers(2, 3), m=st.integers(1, 2), seed=st.integers(0, 2**32 - 1))
def test_a_biased_bottleneck_leaves_its_limits_at_the_constant_to_a_null_set(k: int, m: int, seed: int) -> None:
    # f = c (x) l^k + delta, l any polynomial of degree <= k; as l tends to a constant the
    # closure adds c (x) v + delta, the exceptional divisor e = 0 of c (x) psi(e, v) + delta.
    # Its best point is the top eigenvector v of G on the degrees 1..k, and dR/de there is
    # (k - 1) <(G - R) v, v^2> / |v|^2: nonzero for random data
    net = nm.PolynomialNetwork((1, k, 1, m), k, bias=True)
    size = len(net.monomials)
    assert size == k * k + 1
    U = np.random.default_rng(seed).standard_normal((m, size))
    U[:, 0] = 0.0
    G = U.T @ U
    low = slice(1, k + 1)
    rho, vecs = np.linalg.eigh(G[low, low])
    v = np.concatenate([[0.0], vecs[:, -1]])

    def R(e: float) -> float:
        psi = _psi(v, k, e, size)
        return float(psi @ G @ psi / (psi @ psi))

    assert R(0.0) == pytest.approx(rho[-1], rel=1e-9)
    v2 = _padded(P.polymul(v, v), size)
    claimed = (k - 1) * float((G @ _padded(v, size) - rho[-1] * _padded(v, size)) @ v2) / float(v @ v)
    step = 1e-6
    assert (R(step) - R(-step)) / (2 * step) == pytest.approx(claimed, rel=1e-4, abs=1e-9)
    assert abs(claimed) > 1e-12


@pytest.mark.parametrize("spec", ["poly:1,2,1,1^2+bias", "poly:1,3,1,2^3+bias", "poly:2,5,1,1^2+bias", "poly:1,2,1,1^3+bias", "poly:1,3,1,1^4+bias", "poly:1,2,1,2^3+bias"])
def test_a_biased_bottleneck_over_a_spanning_layer_has_a_null_boundary(spec: str) -> None:
    # M = {c (x) l^k + delta}: dimension m (c) + N - 1 (l up to scale, N polynomials of degree
    # <= k) + m (delta), reached by D mu at random parameters; certified, and local searches
    # agree. On one input k - 1 neurons reach every l of degree k (shifted to real rank k - 1)
    net = nm.parse(spec)
    d0, k, m = net.widths[0], int(np.flatnonzero(net.activation)[0]), net.widths[-1]
    dim = nm.dimension(net).dim
    assert dim == 2 * m + comb(d0 + k, k) - 1
    rng = np.random.default_rng(0)
    for _ in range(10):
        J = _row_scaled(net.jacobian(rng.standard_normal(net.n_params)))
        assert np.linalg.matrix_rank(J, tol=1e-8) == dim
    est = nm.voronoi_mc(net, "boundary", 10**6, progress=False)
    assert est.method == "certificate" and est.hits == 0 and "exceptional divisor" in est.certificate
    local = nm.voronoi_mc(net, "boundary", 200, method="multistart", seed=1, progress=False)
    assert local.hits == 0


@pytest.mark.parametrize("spec", ["poly:1,1,1,1^3+bias", "poly:1,1,2,2^3+bias"])
def test_too_few_neurons_have_no_certificate(spec: str) -> None:
    # one cube and the constant reach no open set of cubic polynomials; two outputs of two
    # neurons on y = (w.x + b)^3 share their powers of y: no certificate
    with pytest.raises(ValueError, match="no certificate"):
        nm.voronoi_mc(nm.parse(spec), "boundary", 10, method="certificate", progress=False)


@pytest.mark.parametrize("k", [3, 4])
def test_k_minus_one_neurons_with_biases_reach_every_polynomial_of_degree_k(k: int) -> None:
    # P - b0 with a non-real root and distinct roots has real rank <= k - 1 (Causa-Re), so the
    # layer (1, k - 1, 1) with biases reaches every P of degree exactly k: a least-squares fit
    # from a few starts lands on it
    inner = nm.PolynomialNetwork((1, k - 1, 1), k, bias=True)
    rng = np.random.default_rng(k)
    for _ in range(8):
        target = rng.standard_normal(k + 1)
        best = np.inf
        for _ in range(30):
            fit = least_squares(lambda th: inner.mu(th[None])[0] - target, rng.standard_normal(inner.n_params), jac=lambda th: inner.jacobian(th), xtol=1e-15, ftol=1e-15, gtol=1e-15)
            best = min(best, 2 * fit.cost)
            if best < 1e-20:
                break
        assert best < 1e-16
