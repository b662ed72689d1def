"""Two hidden layers with z^2 and one output fill the space of their outputs: the real networks
built here reach random forms, as the filling rules of the core claim.

Binary quartics (`poly:2,2,2,1^2`, and `poly:1,2,2,1^2+bias` on quartic polynomials in one
variable): f is a real quadratic form in (u^2, v^2) for the two real fixed points u, v of an
involution of P^1 that swaps its roots in pairs. Of the three such involutions two have real
fixed points when all roots are real or none is, one when two are. Ternary quartics
(`poly:3,h,3,1^2` with h = 6, 5, 4, and `poly:2,4,3,1^2+bias`): a signed sum of three squares of
real quadrics, which the first layer's squares span.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import least_squares

import neuromanifold as nm
from neuromanifold._conic_pencils import conic_basis, real_base_point_sets

PAIRINGS = [((0, 1), (2, 3)), ((0, 2), (1, 3)), ((0, 3), (1, 2))]


def _quartic(rng: np.random.Generator, real_roots: int) -> np.ndarray:
    """Coefficients of x^4, x^3 y, ..., y^4 of a real binary quartic with that many real roots."""
    roots = list(rng.standard_normal(real_roots))
    for _ in range((4 - real_roots) // 2):
        z = complex(rng.standard_normal(), abs(rng.standard_normal()) + 0.2)
        roots += [z, z.conjugate()]
    return float(rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 2.0)) * np.real(np.poly(roots))


def _fixed_points(roots: np.ndarray, pairing: tuple[tuple[int, int], tuple[int, int]]) -> tuple[float, float] | None:
    """The real fixed points p (the involution's fixed lines x - p y) of the involution of P^1
    swapping the roots in the pairs, or None when it is not real or fixes no real point. They are
    the roots of the Jacobian of the two pairs' quadrics, the pair harmonic to both."""
    (a, b), (c, d) = pairing
    q1, q2 = np.poly(roots[[a, b]]), np.poly(roots[[c, d]])
    jac = np.polysub(np.polymul(np.polyder(q1), q2), np.polymul(q1, np.polyder(q2)))
    jac = jac / jac[np.argmax(np.abs(jac))]  # real up to this complex factor when the involution is
    if np.abs(jac.imag).max() > 1e-9:
        return None
    p = np.roots(jac.real)
    if np.abs(p.imag).max() > 1e-9 * np.abs(p).max():
        return None
    return float(p[0].real), float(p[1].real)


def _network_from_fixed_points(f: np.ndarray, p: tuple[float, float]) -> tuple[np.ndarray, np.ndarray] | None:
    """(W1, W2, a) as one vector for (2, 2, 2, 1) with f = a1 q1^2 + a2 q2^2, q_j in span(u^2,
    v^2), u = x - p1 y, v = x - p2 y; and the residual of f in span(u^4, u^2 v^2, v^4)."""
    # unit weights: a fixed point near infinity (u close to y) keeps the basis well conditioned
    u, v = (np.array([1.0, -x]) / np.hypot(1.0, x) for x in p)
    basis = np.column_stack([np.polymul(np.polymul(s, s), np.polymul(t, t)) for s, t in [(u, u), (u, v), (v, v)]])
    abc, *_ = np.linalg.lstsq(basis, f, rcond=None)
    residual = np.linalg.norm(basis @ abc - f) / np.linalg.norm(f)
    # the quadratic form alpha U^2 + beta U V + gamma V^2 in (U, V) = (u^2, v^2), diagonalized
    lam, R = np.linalg.eigh(np.array([[abc[0], abc[1] / 2], [abc[1] / 2, abc[2]]]))
    theta = np.concatenate([u, v, R.T.ravel(), lam])
    return theta, np.array([residual])


def _binary_preimages(f: np.ndarray) -> list[np.ndarray]:
    roots = np.roots(f)
    out = []
    for pairing in PAIRINGS:
        p = _fixed_points(roots, pairing)
        if p is None:
            continue
        theta, residual = _network_from_fixed_points(f, p)
        assert residual[0] < 1e-8, "f is even in the involution's fixed lines"
        out.append(theta)
    return out


@settings(max_examples=60)
@given(seed=st.integers(0, 2**32 - 1), real_roots=st.sampled_from([0, 2, 4]))
def test_binary_quartics_are_reached_by_two_hidden_layers(seed: int, real_roots: int) -> None:
    net = nm.parse("poly:2,2,2,1^2")
    assert nm.dimension(net).filling is True
    f = _quartic(np.random.default_rng(seed), real_roots)
    thetas = _binary_preimages(f)
    # with four real roots the two whose pairs do not interlace; with two the one swapping them;
    # with none the one swapping conjugates and one of the two others (both are real, and their
    # product, the first, reverses the orientation of the real line)
    assert len(thetas) == {4: 2, 2: 1, 0: 2}[real_roots]
    for theta in thetas:
        assert np.allclose(net.mu(theta), f, rtol=0, atol=1e-8 * np.abs(f).max())


@settings(max_examples=30)
@given(seed=st.integers(0, 2**32 - 1))
def test_quartic_polynomials_in_one_variable_with_biases(seed: int) -> None:
    # f(x) homogenized is a binary quartic in (x, 1); the neurons are affine forms w x + b
    net = nm.parse("poly:1,2,2,1^2+bias")
    assert nm.dimension(net).filling is True
    rng = np.random.default_rng(seed)
    f = rng.standard_normal(5)  # coefficients of 1, x, ..., x^4
    theta4 = _binary_preimages(f[::-1])[0]
    u, v, W2, a = theta4[:2], theta4[2:4], theta4[4:8].reshape(2, 2), theta4[8:]
    # parameters: W1 (2 x 1), b1, W2 (2 x 2), b2, W3 (1 x 2), b3
    theta = np.concatenate([[u[0], v[0]], [u[1], v[1]], W2.ravel(), [0.0, 0.0], a, [0.0]])
    assert np.allclose(net.mu(theta), f, rtol=0, atol=1e-8 * np.abs(f).max())


def test_without_a_second_neuron_or_with_too_few_neurons_no_rule() -> None:
    # one neuron in the second layer: a q^2 + c, of lower dimension; the rule needs two in each
    assert nm.dimension(nm.parse("poly:2,2,1,1^2")).filling is False
    assert nm.dimension(nm.parse("poly:2,1,2,1^2")).filling is False


MONOMIALS_2 = [e for e in itertools.product(range(3), repeat=3) if sum(e) == 2]


def _squares_of_quadrics(Q: np.ndarray, monomials: list[tuple[int, ...]]) -> np.ndarray:
    """Coefficients (in ``monomials`` of degree 4) of q^2 for each row q of Q (in MONOMIALS_2)."""
    index = {e: i for i, e in enumerate(monomials)}
    out = np.zeros((len(Q), len(monomials)))
    for (i, a), (j, b) in itertools.product(enumerate(MONOMIALS_2), repeat=2):
        out[:, index[tuple(x + y for x, y in zip(a, b))]] += Q[:, i] * Q[:, j]
    return out


def _three_squares(f: np.ndarray, monomials: list[tuple[int, ...]], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Signs s and quadrics Q (rows, in MONOMIALS_2) with f = sum_j s_j q_j^2, by least squares
    over the four sign patterns from random starts (a smooth ternary quartic has 63 Gram matrices
    of rank 3 over C: an odd number, so a real one)."""
    for attempt in range(200):
        signs = np.array([(1, 1, 1), (1, 1, -1), (1, -1, -1), (-1, -1, -1)][attempt % 4], dtype=float)
        fit = least_squares(
            lambda z: signs @ _squares_of_quadrics(z.reshape(3, 6), monomials) - f, rng.standard_normal(18), xtol=1e-15, ftol=1e-15, gtol=1e-15
        )
        if np.linalg.norm(fit.fun) < 1e-10 * np.linalg.norm(f):
            return signs, fit.x.reshape(3, 6)
    raise AssertionError("no real signed sum of three squares found")


def _matrix(q: np.ndarray) -> np.ndarray:
    """The symmetric matrix of a quadric given in MONOMIALS_2."""
    M = np.zeros((3, 3))
    for c, e in zip(q, MONOMIALS_2):
        i, j = [k for k in range(3) for _ in range(e[k])]
        M[i, j] = M[j, i] = c if i == j else c / 2
    return M


def _coordinates(Q: np.ndarray, points: np.ndarray) -> np.ndarray | None:
    """W with Q_j = sum_i W[j, i] l_i l_i^T for the rows l_i of ``points``: the quadrics' coordinates
    in the squares, or None when the squares do not span them."""
    squares = np.array([np.outer(l, l).ravel() for l in points]).T
    mats = np.array([_matrix(q).ravel() for q in Q]).T
    W, *_ = np.linalg.lstsq(squares, mats, rcond=None)
    return W.T if np.linalg.norm(squares @ W - mats) < 1e-8 * np.linalg.norm(mats) else None


def _normals(constraints: list[np.ndarray]) -> np.ndarray:
    """Symmetric matrices n with tr(n C) = 0 for every C (a basis, as rows of 3 x 3 matrices)."""
    basis = conic_basis()
    A = np.array([[np.sum(B * C) for B in basis] for C in constraints])
    null = np.linalg.svd(A)[2][len(constraints) :]
    return np.einsum("ks,sij->kij", null, basis)


def _points_on_indefinite_normal(normals: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` real points l with l^T n l = 0 for an indefinite n in the span of ``normals``."""
    for _ in range(100):
        n = np.einsum("k,kij->ij", rng.standard_normal(len(normals)), normals)
        lam, V = np.linalg.eigh(n)
        if lam[0] < -1e-3 * np.abs(lam).max() and lam[2] > 1e-3 * np.abs(lam).max():
            break
    else:
        raise AssertionError("no indefinite normal")
    points = []
    while len(points) < count:
        # between a positive and a negative direction the form has a real zero
        a, b = V[:, 2] + 0.3 * rng.standard_normal(3), V[:, 0] + 0.3 * rng.standard_normal(3)
        t = np.roots([b @ n @ b, 2 * a @ n @ b, a @ n @ a])
        if np.isreal(t).all():
            points.append(a + t[0].real * b)
    return np.array(points)


@settings(max_examples=6)
@given(seed=st.integers(0, 2**32 - 1), sign=st.sampled_from([-1.0, 1.0]), width=st.sampled_from([6, 5, 4]))
def test_ternary_quartics_are_reached_with_three_second_layer_neurons(seed: int, sign: float, width: int) -> None:
    # f = sum_j s_j q_j^2 with real quadrics (a real Gram matrix of rank 3); the first layer's squares
    # must span a space P holding the net N = span(q_j): any six; five on the conic of an indefinite
    # normal to N; four, the base points of a pencil in the net of normals to N
    net = nm.parse(f"poly:3,{width},3,1^2")
    assert nm.dimension(net).filling is True
    rng = np.random.default_rng(seed)
    monomials = [tuple(int(x) for x in e) for e in net.monomials]
    f = sign * rng.standard_normal(net.ambient_dim)
    if seed % 3 == 0:  # also positive (negative) definite ones, away from the standard normal draws
        f = sign * _squares_of_quadrics(rng.standard_normal((4, 6)), monomials).sum(axis=0)
    signs, Q = _three_squares(f, monomials, rng)
    if width == 6:
        candidates = iter([rng.standard_normal((6, 3))])
    elif width == 5:
        candidates = iter([_points_on_indefinite_normal(_normals([_matrix(q) for q in Q]), 5, rng)])
    else:
        # the pencils through the flexes, turned off the tangent: the first few nearly tangent
        # ones have nearly coincident base points, whose squares span N too poorly to check
        candidates = real_base_point_sets(_normals([_matrix(q) for q in Q]))
    points, W = next((P, W) for P in candidates if (W := _coordinates(Q, P)) is not None)
    theta = np.concatenate([points.ravel(), W.ravel(), signs])
    assert np.allclose(net.mu(theta), f, rtol=0, atol=1e-7 * np.abs(f).max())


@settings(max_examples=4)
@given(seed=st.integers(0, 2**32 - 1))
def test_quartic_polynomials_in_two_variables_with_biases(seed: int) -> None:
    # f(x, y) homogenized in (x, y, z); P holds the constant's square z^2 (the second layer's
    # biases) and the squares of four affine forms, on the conic of a normal to N and to z^2
    net = nm.parse("poly:2,4,3,1^2+bias")
    assert nm.dimension(net).filling is True
    rng = np.random.default_rng(seed)
    monomials = [(int(a), int(b), 4 - int(a) - int(b)) for a, b in net.monomials]
    f = rng.standard_normal(net.ambient_dim)
    signs, Q = _three_squares(f, monomials, rng)
    z2 = np.diag([0.0, 0.0, 1.0])
    points = _points_on_indefinite_normal(_normals([_matrix(q) for q in Q] + [z2]), 4, rng)
    W = _coordinates(Q, np.vstack([points, [0.0, 0.0, 1.0]]))  # the last column: the biases
    assert W is not None
    # parameters: W1 (4 x 2), b1, W2 (3 x 4), b2, W3 (1 x 3), b3
    theta = np.concatenate([points[:, :2].ravel(), points[:, 2], W[:, :4].ravel(), W[:, 4], signs, [0.0]])
    assert np.allclose(net.mu(theta), f, rtol=0, atol=1e-7 * np.abs(f).max())


@pytest.mark.parametrize("spec", ["poly:2,2,2,1^2", "poly:1,2,2,1^2+bias", "poly:3,4,3,1^2"])
def test_filling_networks_certify_every_lower_stratum_and_the_edge(spec: str) -> None:
    net = nm.parse(spec)
    for target in ("singular", "boundary"):
        est = nm.voronoi_mc(net, target, 10**8, progress=False)
        assert est.method == "certificate" and est.exhaustive
        assert (est.p, est.ci95, est.n_failed) == (0.0, (0.0, 0.0), 0)
    # local searches agree: no sample has its nearest point on a lower stratum
    est = nm.voronoi_mc(net, "singular", 40, seed=1, method="multistart", progress=False)
    assert est.hits == 0
