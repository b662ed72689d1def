"""k neurons with z^k on binary forms with m >= max(2, k - 1) outputs: the boundary is hit
exactly when the smallest eigenspace of G = sum u_i u_i^T holds no form with k real roots (the
normal of a hyperplane spanned by real k-th powers). Checked against the tangential homotopy
(k = 2), the pencils' eigenvalues (k = 2, m = 2), real membership by homotopy (m = k), local
searches (never fewer hits), tuples built in chosen hyperplanes, and the exact probability for
k = 2 and standard normal data (the eigenvectors of G are uniform on the sphere)."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest
import scipy.linalg
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.integrate import quad

import neuromanifold as nm
from neuromanifold._voronoi_hyperplanes import HyperplaneOfPowers, hyperplane_available
from neuromanifold._voronoi_membership import Membership
from neuromanifold._voronoi_networks import NetworkJob
from neuromanifold._voronoi_pencils import PencilMembership
from neuromanifold._voronoi_tangent import tangent_edge


def edge_probability() -> float:
    """P(y3^2 > 2 y1^2 + y2^2) for standard normal y: given the angle phi of (y1, y2), the
    ratio |y3| / |(y1, y2)| exceeds s with probability 1 - s / sqrt(1 + s^2)."""
    inside = quad(lambda phi: np.sqrt((1 + np.cos(phi) ** 2) / (2 + np.cos(phi) ** 2)), 0, 2 * np.pi)[0] / (2 * np.pi)
    return 1 - inside


def agree(a: np.ndarray, b: np.ndarray, decided: int) -> None:
    both = (a >= 0) & (b >= 0)
    assert both.sum() >= decided and np.array_equal(a[both], b[both])
    assert 0 < a[both].sum() < both.sum()  # both kinds occur


def quadric_normal(net: nm.PolynomialNetwork, S: np.ndarray) -> np.ndarray:
    """The normal n (one entry per monomial of one output) with w^T S w = n.coefficients((w.x)^2)."""
    out = []
    for e in net.monomials.tolist():
        i = np.flatnonzero(e)
        out.append(S[i[0], i[0]] if len(i) == 1 else S[i[0], i[1]])
    return np.array(out)


def fit_last_layer(net: nm.PolynomialNetwork, W: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Parameters with first-layer rows W (w, or (w, b) with biases) and the output weights (and
    biases) fitted to target by least squares: mu is linear in them."""
    d0, h, _ = net.widths
    theta = np.zeros(net.n_params)
    theta[: h * d0] = W[:, :d0].ravel()
    if net.bias:
        theta[h * d0 : h * d0 + h] = W[:, d0]
    first = W.size
    columns = []
    for j in range(first, net.n_params):
        e = theta.copy()
        e[j] = 1.0
        columns.append(net.mu(e))
    theta[first:] = np.linalg.lstsq(np.column_stack(columns), target, rcond=None)[0]
    return theta


def points_on_quadric(S: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Random real w with w^T S w = 0 (S indefinite): on lines a + t b through the cone."""
    out = []
    while len(out) < count:
        a, b = rng.standard_normal((2, len(S)))
        qa, qb, qab = a @ S @ a, b @ S @ b, a @ S @ b
        disc = qab**2 - qa * qb
        if disc > 0 and abs(qb) > 1e-3:
            out.append(a + (-qab + np.sqrt(disc)) / qb * b)
    return np.array(out)


def homogeneous_monomials(net: nm.PolynomialNetwork) -> list[tuple[int, ...]]:
    E = np.asarray(net.monomials)
    return [tuple(e) for e in np.column_stack([E, 2 - E.sum(axis=1)]).tolist()]


def normal_quadric(net: nm.PolynomialNetwork, n: np.ndarray) -> np.ndarray:
    """S with w~^T S w~ = n.coefficients((w.x + b)^2), w~ = (w, b) (w without biases)."""
    d = net.widths[0] + int(net.bias)
    S = np.zeros((d, d))
    for value, e in zip(n, homogeneous_monomials(net) if net.bias else [tuple(e) for e in net.monomials.tolist()]):
        i = np.flatnonzero(e)
        S[i[0], i[-1]] = S[i[-1], i[0]] = value
    return S


def power_coefficients(d0: int, k: int, bias: bool, W: np.ndarray) -> np.ndarray:
    """Coefficient vectors of (w.x + b)^k for rows w~ = (w, b) (or w) of W."""
    single = nm.PolynomialNetwork((d0, 1, 1), k, bias)
    theta = np.zeros((len(W), single.n_params))
    theta[:, : W.shape[1]] = W  # w, then the bias b
    theta[:, W.shape[1]] = 1.0  # the output weight (the output bias stays 0)
    return single.mu(theta)


def real_zeros_of_normal(n: np.ndarray, d0: int, k: int, bias: bool, count: int, rng: np.random.Generator) -> np.ndarray:
    """Real zeros w~ of N_n(w~) = n.coefficients((w~ . x~)^k), on random lines (with biases near
    (0, ..., 0, 1), a zero of N_n)."""
    d = d0 + int(bias)
    out: list[np.ndarray] = []
    ts = np.linspace(-1.0, 1.0, k + 1)
    for _ in range(100 * count):
        a, b = rng.standard_normal((2, d))
        if bias:
            a = np.eye(d)[-1] + 0.3 * a
        values = power_coefficients(d0, k, bias, a + ts[:, None] * b) @ n
        roots = np.roots(np.polyfit(ts, values, k))
        out.extend(a + t.real * b for t in roots if abs(t.imag) < 1e-9 and abs(t.real) < 10)
        if len(out) >= 4 * count:
            break
    return np.array(out)


def spread(points: np.ndarray, count: int, d0: int, k: int, bias: bool, rng: np.random.Generator) -> np.ndarray:
    """count of the points whose powers are the best conditioned of a few random choices."""
    P = power_coefficients(d0, k, bias, points)
    P /= np.linalg.norm(P, axis=1, keepdims=True)
    constant = [np.eye(P.shape[1])[np.argmax(power_coefficients(d0, k, bias, np.eye(d0 + 1)[-1:])[0])]] if bias else []
    choices = [rng.choice(len(points), count, replace=False) for _ in range(30)]
    return points[max(choices, key=lambda c: np.linalg.svd(np.array(constant + list(P[c])), compute_uv=False)[-1])]


@pytest.mark.parametrize("outputs", [3, 4])
def test_squares_decide_as_the_tangential_homotopy(outputs: int) -> None:
    net = nm.parse(f"poly:2,2,{outputs}^2")
    U = np.random.default_rng(outputs).standard_normal((40, net.ambient_dim))
    agree(HyperplaneOfPowers(net).decide(U), tangent_edge(net, 0, {}).decide(U, 0), 38)


def test_squares_decide_as_the_pencils() -> None:
    net = nm.parse("poly:2,2,2^2")
    U = np.random.default_rng(0).standard_normal((5000, net.ambient_dim))
    assert np.array_equal(HyperplaneOfPowers(net).decide(U), PencilMembership(net).decide(U))


def test_cubes_decide_as_the_homotopy_membership() -> None:
    # three outputs: M fills the space with finite fibers, so the edge is hit by the tuples with
    # no real preimage
    net = nm.parse("poly:2,3,3^3")
    U = np.random.default_rng(1).standard_normal((300, net.ambient_dim))
    agree(HyperplaneOfPowers(net).decide(U), Membership(net, 1).decide(U, 0), 295)


@pytest.mark.parametrize("spec", ["poly:2,3,2^3", "poly:2,3,4^3", "poly:2,4,3^4"])
def test_local_searches_never_find_fewer_hits(spec: str) -> None:
    # a local search's miss is proven (a point of M off the edge at least as near), its hit is not
    net = nm.parse(spec)
    exact = nm.voronoi_mc(net, "boundary", 60, seed=3, progress=False)
    searched = nm.voronoi_mc(net, "boundary", 60, seed=3, progress=False, method="multistart")
    assert exact.exhaustive and not searched.exhaustive and exact.n_failed == 0
    assert exact.hits <= searched.hits


@given(k=st.integers(2, 5), extra=st.integers(0, 2), seed=st.integers(0, 2**32 - 1))
def test_tuples_in_chosen_hyperplanes(k: int, extra: int, seed: int) -> None:
    # u_i spanning the hyperplane of n: in M when N_n has k real roots, else nearest on the edge
    m = k + extra
    net = nm.PolynomialNetwork((2, k, m), k)
    rng = np.random.default_rng(seed)
    columns = [[tuple(e) for e in net.monomials.tolist()].index((k - j, j)) for j in range(k + 1)]
    binomials = np.array([comb(k, j) for j in range(k + 1)], dtype=np.float64)
    real_roots = np.sort(rng.uniform(-2, 2, k))
    for roots in (real_roots, np.concatenate([real_roots[:-2], [real_roots[-1] + 1j, real_roots[-1] - 1j]])):
        n = np.real(np.poly(roots))[::-1][::-1] / binomials  # N_n = prod (X - r Y), coefficients X^k first
        n /= np.linalg.norm(n)
        basis = np.linalg.svd(n[None, :])[2][1:]  # the hyperplane n^perp
        V = rng.standard_normal((m, k)) @ basis
        u = np.zeros(net.ambient_dim)
        u.reshape(m, k + 1)[:, columns] = V
        expected = 0 if np.isreal(roots).all() else 1
        assert HyperplaneOfPowers(net).decide(u[None])[0] == expected


@pytest.mark.parametrize("outputs", [3, 5])
def test_the_edge_of_squares_attracts_the_cone_of_definite_normals(outputs: int) -> None:
    net = nm.parse(f"poly:2,2,{outputs}^2")
    est = nm.voronoi_mc(net, "boundary", 20000, seed=1, progress=False)
    p = edge_probability()
    assert est.exhaustive and est.n_failed == 0 and 0.2 < p < 0.25
    assert abs(est.p - p) < 4 * np.sqrt(p * (1 - p) / est.n)


@given(k=st.integers(2, 4), extra=st.integers(-1, 2), seed=st.integers(0, 2**32 - 1))
def test_points_of_m_are_off_the_edge_and_mixing_outputs_keeps_decisions(k: int, extra: int, seed: int) -> None:
    outputs = max(2, k + extra)
    net = nm.PolynomialNetwork((2, k, outputs), [0.0] * k + [-1.5])
    rng = np.random.default_rng(seed)
    decide = HyperplaneOfPowers(net).decide
    theta = rng.standard_normal((50, net.n_params))
    W = theta[:, : 2 * k].reshape(50, k, 2)
    W /= np.linalg.norm(W, axis=2, keepdims=True)  # unit directions: powers of one size, a well-conditioned G
    on_m = decide(net.mu(theta))
    assert (on_m != 1).all() and (on_m == 0).sum() >= 45
    U = rng.standard_normal((50, net.ambient_dim))
    O = np.linalg.qr(rng.standard_normal((outputs, outputs)))[0]
    mixed = np.einsum("ij,bjk->bik", O, U.reshape(50, outputs, k + 1)).reshape(50, -1)
    first, moved = decide(U), decide(mixed)
    both = (first >= 0) & (moved >= 0)
    assert both.sum() >= 45 and np.array_equal(first[both], moved[both])


def test_hyperplanes_apply_to_k_neurons_with_enough_outputs_only() -> None:
    for spec in ("poly:2,2,3^2", "poly:2,3,2^3", "poly:2,4,3^4", "poly:2,4,7^4"):
        assert hyperplane_available(nm.parse(spec)) is None, spec
    for spec in ("poly:3,5,5^2", "poly:3,5,7^2", "poly:4,9,9^2"):
        assert hyperplane_available(nm.parse(spec)) is None, spec
    for spec in ("poly:1,2,1^3+bias", "poly:1,3,1^4+bias", "poly:1,2,2^4+bias", "poly:2,2,2^3+bias", "poly:2,2,1^2", "poly:3,2,2^2", "poly:2,3,2^2", "poly:2,2,2^3", "poly:2,2,2^2+bias", "poly:2,4,2^4", "poly:3,5,4^2", "poly:3,4,5^2", "poly:3,5,5^3"):
        assert hyperplane_available(nm.parse(spec)) is not None, spec


@given(d0=st.integers(3, 4), data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_one_square_fewer_than_monomials_fills_with_few_outputs(d0: int, data: st.DataObject, seed: int) -> None:
    squares = d0 * (d0 + 1) // 2
    m = data.draw(st.integers(2, squares - 2))
    net = nm.PolynomialNetwork((d0, squares - 1, m), 2)
    assert nm.dimension(net).filling is True
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(net.ambient_dim)
    # a normal vanishing on the outputs whose quadric is indefinite: from the kernel's pencil
    kernel = np.linalg.svd(u.reshape(m, squares))[2][m:]
    for _ in range(100):
        n = rng.standard_normal(len(kernel)) @ kernel
        S = normal_quadric(net, n)
        ev = np.linalg.eigvalsh(S)
        if ev[0] < -1e-3 * abs(ev).max() and ev[-1] > 1e-3 * abs(ev).max():
            break
    else:
        raise AssertionError("no indefinite member in the kernel")
    # real squares on that quadric, as many as neurons: their output weights fit u exactly
    W = points_on_quadric(S, squares - 1, rng)
    np.testing.assert_allclose(net.mu(fit_last_layer(net, W, u)), u, atol=1e-7 * max(1.0, np.abs(u).max()))


@pytest.mark.parametrize(("k", "m"), [(4, 13), (4, 5)])
def test_one_even_power_fewer_than_monomials_fills_with_few_outputs(k: int, m: int) -> None:
    # m <= A1 - 2 outputs leave a pencil of normals; its indefinite members change sign across
    # smooth real zeros, whose real k-th powers span the hyperplane: A1 - 1 neurons reach u
    monomials = comb(k + 2, k)
    net = nm.PolynomialNetwork((3, monomials - 1, m), k)
    assert nm.dimension(net).filling is True
    rng = np.random.default_rng(k + m)
    u = rng.standard_normal(net.ambient_dim)
    kernel = np.linalg.svd(u.reshape(m, monomials))[2][m:]
    values = power_coefficients(3, k, False, rng.standard_normal((500, 3))) @ kernel.T  # N_n at random points
    angles = np.linspace(0.0, np.pi, 90, endpoint=False)
    signs = np.array([values @ np.array([np.cos(a), np.sin(a)] + [0.0] * (len(kernel) - 2)) for a in angles])
    a = angles[np.argmax(np.minimum(signs.max(axis=1), -signs.min(axis=1)))]  # the most clearly indefinite member
    n = np.array([np.cos(a), np.sin(a)] + [0.0] * (len(kernel) - 2)) @ kernel
    W = spread(real_zeros_of_normal(n, 3, k, False, net.widths[1], rng), net.widths[1], 3, k, False, rng)
    np.testing.assert_allclose(net.mu(fit_last_layer(net, W, u)), u, atol=1e-5 * max(1.0, np.abs(u).max()))


@given(d0=st.integers(3, 4), extra=st.integers(0, 1), definite=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_quadric_hyperplanes_built_with_chosen_normals(d0: int, extra: int, definite: bool, seed: int) -> None:
    squares = d0 * (d0 + 1) // 2
    m = squares - 1 + extra
    net = nm.PolynomialNetwork((d0, squares - 1, m), 2)
    rng = np.random.default_rng(seed)
    P = np.linalg.qr(rng.standard_normal((d0, d0)))[0] * rng.uniform(0.5, 2.0, d0)  # a change of variables, well conditioned
    signs = np.ones(d0) if definite else np.array([1.0] * (d0 - 1) + [-1.0])
    S = P.T @ np.diag(signs * rng.uniform(0.5, 2.0, d0)) @ P
    n = quadric_normal(net, S)
    basis = np.linalg.svd(n[None, :])[2][1:]
    u = (rng.standard_normal((m, squares - 1)) @ basis).ravel()
    assert HyperplaneOfPowers(net).decide(u[None])[0] == (1 if definite else 0)
    if not definite:  # in M: the real squares of the quadric span the hyperplane
        W = points_on_quadric(S, squares - 1, rng)
        np.testing.assert_allclose(net.mu(fit_last_layer(net, W, u)), u, atol=1e-6 * max(1.0, np.abs(u).max()))


def test_quadric_points_of_m_are_off_the_edge_and_searches_never_find_fewer_hits() -> None:
    net = nm.parse("poly:3,5,5^2")
    rng = np.random.default_rng(4)
    theta = rng.standard_normal((50, net.n_params))
    W = theta[:, :15].reshape(50, 5, 3)
    W /= np.linalg.norm(W, axis=2, keepdims=True)
    on_m = HyperplaneOfPowers(net).decide(net.mu(theta))
    assert (on_m != 1).all() and (on_m == 0).sum() >= 45
    exact = nm.voronoi_mc(net, "boundary", 40, seed=3, progress=False)
    searched = nm.voronoi_mc(net, "boundary", 40, seed=3, progress=False, method="multistart")
    assert exact.exhaustive and exact.n_failed == 0 and 0 < exact.hits <= searched.hits


@given(d0=st.integers(1, 2), extra=st.integers(-2, 1), seed=st.integers(0, 2**32 - 1))
def test_hyperplanes_through_the_constant_hold_the_nearest_point(d0: int, extra: int, seed: int) -> None:
    # z^2 with biases, two neurons fewer than the monomials of (x, 1): the nearest hyperplane
    # through the constant's square (the smallest eigenvector of G there) has an indefinite
    # quadric, whose real squares with the output bias reach the projection of u, where D mu has
    # full rank: not the edge; with at most A1 - 2 outputs u itself
    squares = (d0 + 1) * (d0 + 2) // 2
    m = max(1, squares - 1 + extra)
    net = nm.PolynomialNetwork((d0, squares - 2, m), 2, True)
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(net.ambient_dim)
    constant = homogeneous_monomials(net).index((0,) * d0 + (2,))
    V = u.reshape(m, squares)
    L = np.delete(np.eye(squares), constant, axis=0)  # normals with n_E = 0
    n = L.T @ np.linalg.eigh(L @ V.T @ V @ L.T)[1][:, 0]
    S = normal_quadric(net, n)
    ev = np.linalg.eigvalsh(S)
    assert ev[0] < 0 < ev[-1]  # indefinite
    p = (V - np.outer(V @ n, n)).ravel()  # the projection onto the tuples in n^perp
    W = spread(points_on_quadric(S, 10 * squares, rng), squares - 2, d0, 2, True, rng)
    theta = fit_last_layer(net, W, p)
    np.testing.assert_allclose(net.mu(theta), p, atol=1e-7 * max(1.0, np.abs(u).max()))
    assert net.jacobian_rank(theta) == nm.dimension(net).dim
    if m <= squares - 2:
        np.testing.assert_allclose(p, u, atol=1e-9 * max(1.0, np.abs(u).max()))
        assert nm.dimension(net).filling is True
    est = nm.voronoi_mc(net, "boundary", 50, progress=False)
    assert est.p == 0 and est.method == "certificate"


def test_one_input_with_biases_decides_as_the_homotopy_membership() -> None:
    # cubics in one variable, two outputs, two neurons: M fills the space with finite fibers
    net = nm.parse("poly:1,2,2^3+bias")
    U = np.random.default_rng(2).standard_normal((300, net.ambient_dim))
    agree(HyperplaneOfPowers(net).decide(U), Membership(net, 2).decide(U, 0), 295)


@pytest.mark.parametrize("spec", ["poly:1,3,2^4+bias", "poly:1,2,3^3+bias"])
def test_one_input_with_biases_local_searches_never_find_fewer_hits(spec: str) -> None:
    net = nm.parse(spec)
    exact = nm.voronoi_mc(net, "boundary", 80, seed=3, progress=False)
    searched = nm.voronoi_mc(net, "boundary", 80, seed=3, progress=False, method="multistart")
    assert exact.exhaustive and exact.n_failed == 0 and exact.hits <= searched.hits


@given(k=st.integers(3, 5), extra=st.integers(0, 2), seed=st.integers(0, 2**32 - 1))
def test_one_input_hyperplanes_through_the_constant_built_with_chosen_roots(k: int, extra: int, seed: int) -> None:
    # the normal's form has the root (0 : 1) (the constant's power) and k - 1 more: real, or with a
    # complex pair; the outputs span its hyperplane, plus any constant terms
    m = k - 1 + extra
    net = nm.PolynomialNetwork((1, k - 1, m), k, True)
    rng = np.random.default_rng(seed)
    binomials = np.array([comb(k, j) for j in range(k + 1)], dtype=np.float64)
    columns = [[tuple(e) for e in net.monomials.tolist()].index((k - j,)) for j in range(k + 1)]  # x^k ... 1
    real_roots = np.sort(rng.uniform(-2, 2, k - 1))
    for roots in (real_roots, np.concatenate([real_roots[:-2], [real_roots[-1] + 1j, real_roots[-1] - 1j]])):
        # N(X, Y) = Y prod (X - r Y): coefficients X^k first, the last (Y^k) zero
        n = np.concatenate([np.real(np.poly(roots)), [0.0]]) / binomials
        basis = np.linalg.svd(n[None, :])[2][1:]
        V = rng.standard_normal((m, k)) @ basis
        u = np.zeros(net.ambient_dim)
        u.reshape(m, k + 1)[:, columns] = V
        assert HyperplaneOfPowers(net).decide(u[None])[0] == (0 if np.isreal(roots).all() else 1)


@pytest.mark.parametrize(("d0", "k", "bias"), [(3, 3, False), (2, 3, True), (2, 4, True)])
@pytest.mark.parametrize("extra", [-3, 0, 1])
def test_hyperplanes_with_real_zeros_hold_the_nearest_point(d0: int, k: int, bias: bool, extra: int) -> None:
    # one neuron fewer than monomials (two with biases): almost every hyperplane of normals in
    # reach (n_E = 0 with biases) is spanned by real powers (odd degree; the zero (0 : 1)), so
    # the nearest point is the projection onto the smallest eigenvector's hyperplane, reached
    # exactly by real powers on the normal's zeros, with full-rank D mu: no edge. With few
    # outputs that is u itself: M fills.
    fixed = 1 + int(bias)
    monomials = comb(d0 + int(bias) + k - 1, k)
    m = monomials - fixed + extra
    net = nm.PolynomialNetwork((d0, monomials - fixed, m), k, bias)
    rng = np.random.default_rng(d0 + 10 * k + extra)
    u = rng.standard_normal(net.ambient_dim)
    V = u.reshape(m, monomials)
    E = np.argmax(power_coefficients(d0, k, bias, np.eye(d0 + 1)[-1:])[0]) if bias else None
    L = np.delete(np.eye(monomials), [E], axis=0) if bias else np.eye(monomials)
    n = L.T @ np.linalg.eigh(L @ V.T @ V @ L.T)[1][:, 0]
    p = (V - np.outer(V @ n, n)).ravel()
    W = spread(real_zeros_of_normal(n, d0, k, bias, net.widths[1], rng), net.widths[1], d0, k, bias, rng)
    theta = fit_last_layer(net, W, p)
    # (a target off the span would leave a residual of the order of u; thirteen quartic powers
    # leave rounding errors near 1e-6)
    np.testing.assert_allclose(net.mu(theta), p, atol=1e-5 * max(1.0, np.abs(u).max()))
    report = nm.dimension(net)
    if m <= monomials - fixed:
        np.testing.assert_allclose(p, u, atol=1e-9 * max(1.0, np.abs(u).max()))
        assert report.filling is True
    else:
        assert net.jacobian_rank(theta) == report.dim
    est = nm.voronoi_mc(net, "boundary", 50, progress=False)
    assert est.p == 0 and est.method == "certificate"


def test_a_part_of_m_decided_by_its_hyperplane() -> None:
    # binary cubics with three outputs and four neurons fill the space; the subnetwork of three
    # neurons has the dimension of M and holds the tuples whose hyperplane is spanned by real cubes
    net = nm.parse("poly:2,4,3^3")
    est = nm.voronoi_mc(net, 0, 300, seed=2, progress=False, chunk_size=300)
    U = NetworkJob.create(net, 0, nm.Gaussian(), 2, 300, "auto", 300).samples(0)
    by_homotopy = Membership(nm.parse("poly:2,3,3^3"), 2).decide(U, 0)
    assert est.exhaustive and est.n_failed == 0 and (by_homotopy >= 0).all()
    assert est.hits == int((by_homotopy == 0).sum())


def sums_of_powers_normal(net: nm.PolynomialNetwork, L: np.ndarray, c: np.ndarray) -> np.ndarray:
    """n with N_n(w) = n.coefficients((w.x)^k) = sum_i c_i (l_i . w)^k: n_e = sum_i c_i l_i^e."""
    E = np.asarray(net.monomials)
    return (c[:, None] * np.prod(L[:, None, :] ** E[None, :, :], axis=2)).sum(axis=0)


@given(extra=st.integers(0, 1), definite=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_even_power_hyperplanes_built_with_chosen_normals(extra: int, definite: bool, seed: int) -> None:
    # fourth powers on three inputs, 14 neurons (the monomials less one): N_n = sum c_i (l_i.w)^4
    # is positive definite with c > 0 (four l_i spanning R^3), and indefinite with c = (+, +, -, -)
    # (negative on the line where l_1 and l_2 vanish, positive where l_3 and l_4 do): outside M,
    # or in M with 14 real zeros' powers
    net = nm.PolynomialNetwork((3, 14, 14 + extra), 4)
    rng = np.random.default_rng(seed)
    L = rng.standard_normal((4, 3))
    # (four l_i nearly in a plane make N_n nearly vanish on a line: data at the edge, undecided)
    assume(np.linalg.svd(L, compute_uv=False)[-1] > 0.1)
    c = rng.uniform(0.5, 2.0, 4) * (1.0 if definite else np.array([1.0, 1.0, -1.0, -1.0]))
    n = sums_of_powers_normal(net, L, c)
    basis = np.linalg.svd(n[None, :])[2][1:]
    u = (rng.standard_normal((14 + extra, 14)) @ basis).ravel()
    assert HyperplaneOfPowers(net).decide(u[None])[0] == (1 if definite else 0)
    if not definite:
        # in M: 14 real zeros of N_n whose powers are the best conditioned (pivoted QR among many,
        # on random lines; a small real curve makes any choice ill-conditioned, so a few draws)
        best = np.inf
        for _ in range(3):
            Z = real_zeros_of_normal(n, 3, 4, False, 60, rng)
            for _ in range(3):  # Newton steps onto N_n = 0 (central differences for the gradient)
                h = 1e-6
                grad = np.stack([(power_coefficients(3, 4, False, Z + h * e) - power_coefficients(3, 4, False, Z - h * e)) @ n / (2 * h) for e in np.eye(3)], axis=1)
                Z = Z - ((power_coefficients(3, 4, False, Z) @ n) / (grad**2).sum(axis=1))[:, None] * grad
            powers = power_coefficients(3, 4, False, Z)
            W = Z[scipy.linalg.qr((powers / np.linalg.norm(powers, axis=1, keepdims=True)).T, pivoting=True)[2][:14]]
            theta = fit_last_layer(net, W, u)
            for _ in range(5):  # Gauss-Newton from there to a real preimage nearby
                theta = theta - np.linalg.lstsq(net.jacobian(theta), net.mu(theta) - u, rcond=None)[0]
            best = min(best, float(np.abs(net.mu(theta) - u).max()))
        assert best <= 1e-6 * max(1.0, np.abs(u).max())


@pytest.mark.parametrize(("d", "k"), [(3, 4), (3, 6), (4, 4)])
def test_definiteness_of_even_forms_by_their_critical_points_on_the_sphere(d: int, k: int) -> None:
    # against the values at many points of the sphere: two signs there prove a form indefinite;
    # forms shifted by a multiple of |x|^k whose sampled values keep a clear sign are definite
    # (the sphere's samples are dense enough that the minimum is within their spread)
    from neuromanifold._definite_forms import FormDefiniteness

    net = nm.PolynomialNetwork((d, 1, 1), k)
    monomials = [tuple(e) for e in np.asarray(net.monomials).tolist()]
    rng = np.random.default_rng(d + k)
    P = rng.standard_normal((60, len(monomials)))
    X = rng.standard_normal((4000, d))
    norm_k = power_coefficients(d, k, False, np.eye(d))  # x_i^k: sum_i x_i^k is definite
    P[:30] += 3.0 * norm_k.sum(axis=0)
    decisions = FormDefiniteness(monomials, 0).decide(P)
    assert (decisions >= 0).mean() >= 0.95 and 0 < decisions.sum() < len(P)
    values = P @ np.prod(X[None, :, :] ** np.asarray(monomials)[:, None, :], axis=2)
    values /= np.linalg.norm(X, axis=1) ** k
    two_signs = (values.max(axis=1) > 0) & (values.min(axis=1) < 0)
    assert not (two_signs & (decisions == 1)).any()
    clear = np.minimum(np.abs(values.max(axis=1)), np.abs(values.min(axis=1))) > 0.05 * np.abs(values).max(axis=1)
    assert np.array_equal(decisions[clear & ~two_signs & (decisions >= 0)], np.ones((clear & ~two_signs & (decisions >= 0)).sum()))
    assert (decisions[two_signs] != 1).all()


def test_even_powers_with_as_many_outputs_as_neurons_do_not_fill_and_are_decided_exactly() -> None:
    from neuromanifold._voronoi_hyperplanes import hyperplane_edge
    from neuromanifold._voronoi_networks import _exact_edge

    net = nm.parse("poly:3,14,14^4")
    assert nm.dimension(net).filling is False
    assert _exact_edge(net, net.ambient_dim, "auto") is hyperplane_edge
    est = nm.voronoi_mc(net, "boundary", 200, seed=1, progress=False)
    assert est.exhaustive and est.n_failed == 0


@pytest.mark.parametrize("spec", ["poly:2,3,3^3", "poly:2,2,2^2", "poly:3,5,5^2", "poly:1,2,2^3+bias", "poly:2,2,3^2", "poly:2,3,4^3", "poly:3,4,2^2+bias"])
def test_contains_by_the_exact_edge(spec: str) -> None:
    # points of M are in M; where M has the ambient dimension, data are in M exactly when the
    # edge's decider says their nearest point is off the edge; with more outputs, data in no
    # hyperplane are outside, and data moved into a hyperplane of a point of M are in M
    from neuromanifold._voronoi_networks import _exact_edge

    net = nm.parse(spec)
    rng = np.random.default_rng(2)
    for theta in rng.standard_normal((5, net.n_params)):
        assert net.contains(net.mu(theta))
    U = rng.standard_normal((40, net.ambient_dim))
    full = nm.dimension(net).dim == net.ambient_dim
    if full:
        decisions = _exact_edge(net, net.ambient_dim, "auto")(net, 0, {}).decide(U)  # type: ignore[misc]
        assert [net.contains(u) for u in U] == [d == 0 for d in decisions]
    else:
        assert not any(net.contains(u) for u in U)
        # outputs of a point of M mixed by random weights stay in its hyperplane: in M
        m = net.n_outputs
        V = net.mu(rng.standard_normal(net.n_params)).reshape(m, -1)
        assert net.contains((rng.standard_normal((m, m)) @ V).ravel())


@given(k=st.integers(3, 6), eps=st.floats(0.0, 1e-3), seed=st.integers(0, 2**32 - 1))
def test_pencils_of_normals_through_a_complex_pair_stay_outside(k: int, eps: float, seed: int) -> None:
    # the core's rule for k neurons on binary forms with k - 1 outputs: a pencil of normals whose
    # members all have the factor x^2 + y^2, and small perturbations of it, holds no form with k
    # real roots, so the k - 1 outputs orthogonal to it are outside M (an open set)
    net = nm.PolynomialNetwork((2, k, k - 1), k)
    assert nm.dimension(net).filling is False
    rng = np.random.default_rng(seed)
    columns = [[tuple(e) for e in net.monomials.tolist()].index((k - j, j)) for j in range(k + 1)]
    binomials = np.array([comb(k, j) for j in range(k + 1)], dtype=np.float64)
    circle = np.array([1.0, 0.0, 1.0])  # x^2 + y^2, coefficients of X^2, XY, Y^2
    forms = np.array([np.convolve(circle, rng.standard_normal(k - 1)) for _ in range(2)])  # X^k first
    forms += eps * np.linalg.norm(forms, axis=1, keepdims=True) * rng.standard_normal(forms.shape)
    normals = forms / binomials  # N_n = sum_j n_j binom(k, j) X^(k-j) Y^j
    basis = np.linalg.svd(normals)[2][2:]  # the k - 1 dimensional space orthogonal to the pencil
    u = np.zeros(net.ambient_dim)
    u.reshape(k - 1, k + 1)[:, columns] = rng.standard_normal((k - 1, k - 1)) @ basis
    assert HyperplaneOfPowers(net).decide(u[None])[0] == 1
