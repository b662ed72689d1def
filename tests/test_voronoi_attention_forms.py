"""One-token lightning attention on d inputs (d = 3, 4): x -> (V x)(x^T K^T Q x), the outputs L_o
times one quadratic form S = sym(K^T Q). d - 1 key/query dimensions reach every S but the
definite ones (S = A B^T + B A^T has at most d - 1 eigenvalues of each sign), d or more every S.
So the part of d - 1 key/query dimensions of a >= d is where the nearest point of {L S} has an S
that is not definite, and with a = d - 1 the closure of M_R has the edge L times a semidefinite
form of rank d - 1. Checked on three inputs against a brute-force search over L (least squares in S for each) and against
local fits of the network's own parameters."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import least_squares

import neuromanifold as nm
import neuromanifold._voronoi_networks as vn
from neuromanifold._voronoi_attention_forms import (
    OUTSIDE,
    QUADRATIC,
    X,
    AttentionFormsEdge,
    _definite,
    _fit_on_edge,
    _matrix,
    attention_forms_available,
    fewer_keys_part_available,
    quadratic,
)

PART = "one dimension of the key/query space switched off"  # of attention:3,1,3,1: two left


def _coefficients(net: nm.LightningAttention) -> np.ndarray:
    """(10, 3, 6): the coefficients of x_i times each of S's monomials, in the network's basis."""
    monomials = [tuple(r) for r in np.asarray(net.monomials).tolist()]
    D = np.zeros((3, len(monomials), 6))
    for j, q in enumerate(QUADRATIC):
        for i in range(3):
            e = list(q)
            e[i] += 1
            D[i, monomials.index(tuple(e)), j] += 1
    return D


def _parameters(net: nm.LightningAttention, L: np.ndarray, K: np.ndarray, Q: np.ndarray) -> np.ndarray:
    return np.concatenate([Q.ravel(), K.ravel(), L.ravel()])


def test_one_key_query_dimension_fewer_than_the_inputs_reaches_the_forms_that_are_not_definite() -> None:
    rng = np.random.default_rng(3)
    for d in (3, 4):
        net = nm.parse(f"attention:{d},1,{d - 1},1")
        x = rng.standard_normal((d, 50))
        for _ in range(20):
            K, Q = rng.standard_normal((2, d - 1, d))
            S = (K.T @ Q + Q.T @ K) / 2
            w = np.linalg.eigvalsh(S)
            assert w[0] < 0 < w[-1] or abs(np.linalg.det(S)) < 1e-12  # never definite
            L = rng.standard_normal((1, d))
            f = net.evaluate(_parameters(net, L, K, Q), x)
            assert np.allclose(f, (L @ x) * np.einsum("in,ij,jn->n", x, S, x))
        # every S that is not definite: d - 1 rank-one terms sym(k q^T) of signature (1, 1) or
        # squares, one eigenvalue each; a definite S is reached with d (K = I, Q = S)
        w = np.r_[rng.uniform(0.5, 2, d - 1), -rng.uniform(0.5, 2)]
        O = np.linalg.qr(rng.standard_normal((d, d)))[0]
        target = O @ np.diag(w) @ O.T
        pos = np.sqrt(w[:-2])[:, None] * O[:, :-2].T  # squares
        a, b = np.sqrt(w[-2]), np.sqrt(-w[-1])  # a^2 u u^T - b^2 v v^T = sym((a u + b v)(a u - b v)^T)
        K = np.vstack([pos, a * O[:, -2] + b * O[:, -1]])
        Q = np.vstack([pos, a * O[:, -2] - b * O[:, -1]])
        assert np.allclose((K.T @ Q + Q.T @ K) / 2, target)
        f = nm.parse(f"attention:{d},1,{d},1").evaluate(_parameters(net, L, np.eye(d), np.eye(d)), x)
        assert np.allclose(f, (L @ x) * (x * x).sum(axis=0))


def test_charts_are_points_of_the_closure() -> None:
    # X's points are the network's with d key/query dimensions (K = I, Q = S); the fits on E are
    # points L B^T B with K = Q = B of d - 1 rows
    rng = np.random.default_rng(8)
    for spec, full in (("attention:3,2,2,1", "attention:3,2,3,1"), ("attention:4,1,3,1", "attention:4,1,4,1")):
        net, net_full = nm.parse(spec), nm.parse(full)
        d = net.d
        edge = AttentionFormsEdge(net, 0)
        y = rng.standard_normal(edge._n(X))
        L, S = edge._point(y, 4)
        assert np.allclose(edge._chart(X, 4).mu(y), net_full.mu(_parameters(net_full, L, np.eye(d), S)))
        u = rng.standard_normal(net.ambient_dim)
        A = rng.standard_normal((d, d))
        distance, theta = _fit_on_edge(net, u, L, -(A @ A.T + np.eye(d)))
        keys = (d - 1) * d
        assert np.array_equal(theta[:keys], theta[keys : 2 * keys])  # K = Q: S = B^T B
        assert np.isclose(distance, ((net.mu(theta) - u) ** 2).sum())
        start = np.eye(d)[: d - 1]
        assert distance < ((u - net.mu(_parameters(net, -L, start, start))) ** 2).sum()  # (a fit, not its start)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31 - 1), st.sampled_from(["attention:3,2,2,1", "attention:4,1,3,1"]))
def test_moved_coordinates_keep_the_point(seed: int, spec: str) -> None:
    edge = AttentionFormsEdge(nm.parse(spec), 0)
    y = np.random.default_rng(seed).standard_normal(edge._n(X))
    moved = edge._moved(X, 3, 1003, y[None])
    assert np.allclose(edge._chart(X, 3).mu(y), edge._chart(X, 1003).mu(moved[0]), rtol=1e-8, atol=1e-8)


def test_quadratic_forms_as_matrices() -> None:
    rng = np.random.default_rng(2)
    for d in (3, 4):
        q, x = rng.standard_normal(d * (d + 1) // 2), rng.standard_normal(d)
        value = sum(c * np.prod(x ** np.array(e)) for c, e in zip(q, quadratic(d)))
        assert np.isclose(x @ _matrix(q) @ x, value)
    assert quadratic(3) == QUADRATIC


def test_definiteness_band_admits_the_seam_on_both_sides() -> None:
    S = np.array([np.diag([1.0, 2.0, 3.0]), np.diag([1.0, -2.0, 3.0]), np.diag([0.0, 2.0, 3.0]), np.diag([-1e-12, 2.0, 3.0])])
    assert _definite(S, 1).tolist() == [True, False, True, True]
    assert _definite(S, -1).tolist() == [False, True, True, True]


def _nearest_of_all_forms(net: nm.LightningAttention, U: np.ndarray, keep: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Brute force, one output: the nearest point of {l S} to each row of U over a grid of l on
    a half sphere (least squares in S), refined from the best grid points; its squared distance
    and S."""
    D = _coefficients(net)
    n = 6000
    i = np.arange(n) + 0.5
    phi, th = np.arccos(1 - 2 * i / n), np.pi * (1 + 5**0.5) * i
    grid = np.c_[np.cos(th) * np.sin(phi), np.sin(th) * np.sin(phi), np.cos(phi)]
    grid = grid[grid[:, 2] >= 0]
    A = np.einsum("ni,iab->nab", grid, D)
    pinv = np.linalg.pinv(A)
    values, forms = [], []
    for u in U:
        fits = pinv @ u
        residuals = ((u - np.einsum("nab,nb->na", A, fits)) ** 2).sum(axis=1)

        def residual(l: np.ndarray) -> np.ndarray:
            Al = np.einsum("i,iab->ab", l / np.linalg.norm(l), D)
            return u - Al @ np.linalg.lstsq(Al, u, rcond=None)[0]

        best = min((least_squares(residual, grid[k], xtol=1e-15, ftol=1e-15, gtol=1e-15) for k in np.argsort(residuals)[:keep]), key=lambda r: r.cost)
        l = best.x / np.linalg.norm(best.x)
        Al = np.einsum("i,iab->ab", l, D)
        values.append(2 * best.cost)
        forms.append(np.linalg.lstsq(Al, u, rcond=None)[0])
    return np.array(values), np.array(forms)


def test_part_of_two_key_query_dimensions_against_brute_force() -> None:
    net = nm.parse("attention:3,1,3,1")
    assert fewer_keys_part_available(net, nm.parse("attention:3,1,2,1")) is None
    job = vn.NetworkJob.create(net, PART, nm.Gaussian(), 0, 40, "auto", 40)
    assert job.method == "exhaustive"
    U = job.samples(0)
    decided = job.decide(U, 0)
    assert (decided >= 0).all() and 0 < decided.mean() < 1
    values, forms = _nearest_of_all_forms(net, U)
    w = np.linalg.eigvalsh(_matrix(forms))
    clear = np.abs(w).min(axis=1) > 1e-4 * np.abs(w).max(axis=1)  # (a brute force can tell)
    inside = ~((w[:, 0] > 0) | (w[:, -1] < 0))
    assert clear.sum() >= 36
    assert np.array_equal(decided[clear], inside[clear].astype(np.int8))
    est = nm.voronoi_mc(net, PART, 40, seed=0, progress=False, chunk_size=40)
    assert est.exhaustive and est.hits == int(decided.sum()) and est.n_failed == 0


def test_other_networks_are_not_charted_here() -> None:
    assert attention_forms_available(nm.parse("attention:3,1,2,1")) is None
    assert attention_forms_available(nm.parse("attention:3,1,2,2")) is not None  # two tokens
    assert attention_forms_available(nm.parse("attention:4,1,2,1")) is not None  # signatures with three of one sign left out too
    assert attention_forms_available(nm.parse("attention:4,1,3,1")) is None
    assert attention_forms_available(nm.parse("attention:4,2,3,1")) is not None  # four inputs: one output
    assert attention_forms_available(nm.parse("attention:5,1,4,1")) is not None
    assert fewer_keys_part_available(nm.parse("attention:3,1,2,1"), nm.parse("attention:3,1,1,1")) is not None
    assert fewer_keys_part_available(nm.parse("attention:3,1,4,1"), nm.parse("attention:3,1,2,1")) is None
    # with several outputs (2514 critical points on X with two) under "exhaustive" only
    assert vn._exact_edge(nm.parse("attention:3,1,2,1"), 8, "auto") is not None
    assert vn._exact_edge(nm.parse("attention:3,2,2,1"), 11, "auto") is None
    assert vn._exact_edge(nm.parse("attention:3,2,2,1"), 11, "exhaustive") is not None
    assert fewer_keys_part_available(nm.parse("attention:3,2,3,1"), nm.parse("attention:3,2,2,1"), "auto") is not None
    # four inputs (6532 critical points on X): under "exhaustive" only
    assert vn._exact_edge(nm.parse("attention:4,1,3,1"), 13, "auto") is None
    assert vn._exact_edge(nm.parse("attention:4,1,3,1"), 13, "exhaustive") is not None
    assert fewer_keys_part_available(nm.parse("attention:4,1,4,1"), nm.parse("attention:4,1,3,1")) is None
    assert fewer_keys_part_available(nm.parse("attention:4,1,4,1"), nm.parse("attention:4,1,3,1"), "auto") is not None
    assert fewer_keys_part_available(nm.parse("attention:4,1,4,1"), nm.parse("attention:4,1,2,1")) is not None


def _nearest_by_local_fits(net: nm.LightningAttention, u: np.ndarray, starts: int, rng: np.random.Generator) -> tuple[float, np.ndarray]:
    """The least squared distance from u of local least-squares fits of the network's own
    parameters from random starts (points of M_R: an upper bound on the distance to it), and
    the quadratic form S = sym(K^T Q) there."""
    best, form = np.inf, np.zeros((3, 3))
    for _ in range(starts):
        fit = least_squares(lambda t: net.mu(t) - u, rng.standard_normal(net.n_params), jac=lambda t: net.jacobian(t), xtol=1e-15, ftol=1e-15, gtol=1e-15)
        if 2 * fit.cost < best:
            Q, K = fit.x[:6].reshape(2, 3), fit.x[6:12].reshape(2, 3)
            best, form = 2 * fit.cost, (K.T @ Q + Q.T @ K) / 2
    return best, form


def test_boundary_of_two_key_query_dimensions_against_local_fits() -> None:
    # rows whose nearest point of {L S} has an S that is not definite are settled on X (edge at
    # inf): that point is the nearest, which no local fit of the network beats and the best
    # fits reach; data next to L S with S definite (outside M_R) are decided by a point of E
    # nearer than the rest (edge unknown, 1), where the best fits beat the rest too, at an S
    # that is semidefinite
    net = nm.parse("attention:3,1,2,1")
    edge = AttentionFormsEdge(net, 0)
    rng = np.random.default_rng(12)
    D = _coefficients(net)
    U = rng.standard_normal((8, net.ambient_dim))
    for A in rng.standard_normal((3, 3, 3)):
        S = A @ A.T + 0.5 * np.eye(3)
        s = np.array([S[0, 0], 2 * S[0, 1], 2 * S[0, 2], S[1, 1], 2 * S[1, 2], S[2, 2]])
        U = np.vstack([U, np.einsum("i,iab->ab", rng.standard_normal(3), D) @ s + 0.05 * rng.standard_normal(net.ambient_dim)])
    decided, on_edge, rest = edge.decide_with_distances(U, 0)
    assert (decided >= 0).all() and decided[-3:].all() and not decided.all()
    assert np.array_equal(np.isinf(on_edge), decided == 0) and np.isnan(on_edge[decided == 1]).all()
    for u, d, r in zip(U, decided, rest):
        fitted, S = _nearest_by_local_fits(net, u, 30, rng)
        if d == 0:
            assert r * (1 - 1e-7) <= fitted <= r * (1 + 1e-4)
        else:
            w = np.linalg.eigvalsh(S)
            assert fitted < r * (1 - 1e-4) and min(abs(w[0]), abs(w[-1])) < 1e-3 * abs(w).max()
    # the split of X: its nearest point overall is definite exactly on the rows decided by E
    inside, outside = edge._parts_of(X, U, 0, lambda: np.ones(len(U), dtype=bool), (X, OUTSIDE))
    inside.complete()
    assert np.array_equal(outside.exact < inside.exact, decided == 1)


def test_the_chart_of_all_forms_has_the_networks_critical_points() -> None:
    # {L S} is the closure of the network's image (a = 2), so X has as many critical points at
    # generic data as the network's own parameter space modulo its fibers (GL(2) on K, Q and
    # the rescaling), found there independently (monodromy in a slice of the parameters)
    net = nm.parse("attention:3,1,2,1")
    u = np.random.default_rng(0).standard_normal(net.ambient_dim)
    found = nm.critical_points(net, nm.DistanceLoss(u), seed=0)
    assert found.complete and found.failed == 0
    assert len(found.points) == len(AttentionFormsEdge(net, 0)._solved(X, 0).generic)
