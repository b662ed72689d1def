"""Voronoi decisions for polynomial MLPs with one hidden layer and z^2: with biases the
exhaustive distances equal the distances to the closure of the real neuromanifold, a union of
linear spaces over a sphere (checked by minimizing over the sphere); with two outputs the real
neuromanifold has an edge, so critical points alone do not give the nearest point."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

import neuromanifold as nm
from neuromanifold._charts import quadratic_closure_chart
from neuromanifold._voronoi_networks import AUTO_CHART_DIM, NetworkJob, stratum_probabilities


def quadratic_coefficients(monomials: np.ndarray, A: np.ndarray, b: np.ndarray, c: np.ndarray | float) -> np.ndarray:
    """Coefficients of x^T A x + 2 b.x + c in the network's monomial basis (batched over the
    leading axes of A (..., n, n), b (..., n) and c)."""
    A, b = np.asarray(A), np.asarray(b)
    out = np.zeros(A.shape[:-2] + (len(monomials),))
    for k, e in enumerate(monomials):
        idx = np.flatnonzero(e)
        if e.sum() == 2:
            i, j = (idx[0], idx[0]) if len(idx) == 1 else (idx[0], idx[1])
            out[..., k] = A[..., i, j] if i == j else 2 * A[..., i, j]
        elif e.sum() == 1:
            out[..., k] = 2 * b[..., idx[0]]
        else:
            out[..., k] = c
    return out


def sphere_directions(n: int, k: int) -> np.ndarray:
    """k points spread over the unit sphere in R^n (n = 2 or 3; a half sphere is enough: the
    spaces below depend on the direction up to sign)."""
    if n == 2:
        phi = np.linspace(0, np.pi, k, endpoint=False)
        return np.column_stack([np.cos(phi), np.sin(phi)])
    i = np.arange(k) + 0.5
    z, phi = i / k, np.pi * (1 + 5**0.5) * i
    r = np.sqrt(1 - z**2)
    return np.column_stack([r * np.cos(phi), r * np.sin(phi), z])


def rank_one_space(monomials: np.ndarray, W: np.ndarray) -> np.ndarray:
    """For unit directions W (K, n): rows (K, 3, A) spanning {a (w.x)^2 + 2 beta (w.x) + c},
    the quadratics with rank [A | b] <= 1 whose rows are multiples of w."""
    K, n = W.shape
    zA, zb, zc = np.zeros((K, n, n)), np.zeros((K, n)), np.zeros(K)
    return np.stack(
        [
            quadratic_coefficients(monomials, W[:, :, None] * W[:, None, :], zb, zc),
            quadratic_coefficients(monomials, zA, W, zc),
            quadratic_coefficients(monomials, zA, zb, np.ones(K)),
        ],
        axis=1,
    )


def corank_one_space(monomials: np.ndarray, V: np.ndarray) -> np.ndarray:
    """For unit directions V (K, n): rows spanning the quadratics with A v = 0 and b.v = 0, i.e.
    rank [A | b] <= n - 1 with left kernel v."""
    K, n = V.shape
    Q = np.linalg.svd(V[:, None, :])[2][:, 1:, :]  # (K, n - 1, n): orthonormal rows, complement of v
    zA, zb, zc = np.zeros((K, n, n)), np.zeros((K, n)), np.zeros(K)
    rows = []
    for i in range(n - 1):
        for j in range(i, n - 1):
            A = Q[:, i, :, None] * Q[:, j, None, :]
            rows.append(quadratic_coefficients(monomials, A + A.transpose(0, 2, 1), zb, zc))
        rows.append(quadratic_coefficients(monomials, zA, Q[:, i], zc))
    rows.append(quadratic_coefficients(monomials, zA, zb, np.ones(K)))
    return np.stack(rows, axis=1)


def distance_to_union(u: np.ndarray, space, n: int) -> float:
    """min over unit directions d of the squared distance from u to the linear space space(d):
    a dense sweep of the sphere, then a local refinement of the best directions."""

    def dist(D: np.ndarray) -> np.ndarray:
        D = D / np.linalg.norm(D, axis=-1, keepdims=True)
        Q = np.linalg.qr(space(D).transpose(0, 2, 1))[0]  # (K, A, k): orthonormal basis of each space
        return float(u @ u) - (np.einsum("kai,a->ki", Q, u) ** 2).sum(axis=1)

    dirs = sphere_directions(n, 1000 if n == 2 else 6000)
    values = dist(dirs)
    refined = [minimize(lambda d: dist(d[None, :])[0], dirs[i], method="BFGS", options={"gtol": 1e-10}).fun for i in np.argsort(values)[:4]]
    return float(min(min(refined), values.min()))


@settings(max_examples=12, deadline=None)
@given(shape=st.sampled_from([(2, 1), (3, 1), (3, 2), (4, 2), (3, 3)]), bias=st.booleans(), seed=st.integers(0, 2**16))
def test_closure_chart_points_are_networks(shape: tuple[int, int], bias: bool, seed: int) -> None:
    # a generic (complex) chart point is the function of the parameters its lift gives:
    # sum_i a_i (w_i.x + b_i)^2 + c, expanded by hand
    n, r = shape
    net = nm.PolynomialNetwork((n, r, 1), 2, bias=bias)
    chart = quadratic_closure_chart(net, r, seed)
    assert chart.n == nm.dimension(net).dim  # a chart: as many coordinates as the dimension of M
    rng = np.random.default_rng(seed)
    y = rng.standard_normal(chart.n) + 1j * rng.standard_normal(chart.n)
    theta = chart.lift(y)
    W = theta[: r * n].reshape(r, n)
    b = theta[r * n : r * n + r] if bias else np.zeros(r)
    a = theta[r * n + r : r * n + 2 * r] if bias else theta[r * n :]
    c = theta[-1] if bias else 0.0
    A = (W.T * a) @ W
    expected = quadratic_coefficients(net.monomials, A.real, (W.T @ (a * b)).real, (a @ b**2 + c).real)
    expected = expected + 1j * quadratic_coefficients(net.monomials, A.imag, (W.T @ (a * b)).imag, (a @ b**2 + c).imag)
    assert np.allclose(chart.mu(y), expected, rtol=1e-9, atol=1e-9 * np.abs(expected).max())


@pytest.mark.parametrize("n", [2, 3])
def test_biased_one_neuron_distances_equal_the_closure(n: int) -> None:
    # poly:n,1,1^2+bias: a (w.x + b)^2 + c, whose closure is rank [A | b] <= 1: the union over
    # unit w of the linear spaces {a (w.x)^2 + 2 beta (w.x) + c}
    net = nm.PolynomialNetwork((n, 1, 1), 2, bias=True)
    job = NetworkJob.create(net, "zero function", nm.Gaussian(), 0, 12, "auto", 12, certify=False)
    assert job.exhaustive
    U = job.samples(0)
    top = job._exhaustive_distances(0, job.strata[0], U, 0)
    mono = net.monomials
    ok = np.isfinite(top)
    assert ok.mean() > 0.9
    for u, d in zip(U[ok], top[ok]):
        assert d == pytest.approx(distance_to_union(u, lambda w: rank_one_space(mono, w), n), rel=1e-6, abs=1e-12)


def test_biased_two_neuron_distances_equal_the_closure_on_both_strata() -> None:
    # poly:3,2,1^2+bias: the closure is rank [A | b] <= 2, the union over unit v of {A v = 0,
    # b.v = 0}; the one-neuron subnetwork is rank [A | b] <= 1; the constants are A = 0, b = 0
    net = nm.PolynomialNetwork((3, 2, 1), 2, bias=True)
    job = NetworkJob.create(net, "singular", nm.Gaussian(), 0, 8, "auto", 8, certify=False)
    assert job.exhaustive and job.strata[1].name == "hidden layer 1 with one neuron switched off"
    U = job.samples(0)
    D, _ = job.distances(U, 0)
    mono = net.monomials
    ok = np.isfinite(D).all(axis=1)
    assert ok.mean() > 0.7
    constant = int(np.flatnonzero(mono.sum(axis=1) == 0)[0])
    assert [s.name for s in job.strata[2:]] == ["constant functions (a hidden layer switched off)", "zero function"]
    for u, d in zip(U[ok], D[ok]):
        assert d[0] == pytest.approx(distance_to_union(u, lambda v: corank_one_space(mono, v), 3), rel=1e-6, abs=1e-12)
        assert d[1] == pytest.approx(distance_to_union(u, lambda w: rank_one_space(mono, w), 3), rel=1e-6, abs=1e-12)
        assert d[2] == pytest.approx(u @ u - u[constant] ** 2, rel=1e-9)  # the constants: drop the rest


def test_two_outputs_have_an_edge_that_critical_points_miss() -> None:
    # poly:2,2,2^2: pairs (q1, q2) = (a11 l1^2 + a12 l2^2, a21 l1^2 + a22 l2^2). Over C every pair
    # is one (the map fills), over R exactly those whose Jacobian det d(q1, q2)/d(x, y), a binary
    # quadratic (a multiple of l1 l2), has real roots: (x^2 - y^2, xy) has 2x^2 + 2y^2 and is no
    # real network. Data outside has its nearest point on the edge, where D mu drops rank.
    net = nm.PolynomialNetwork((2, 2, 2), 2)
    with pytest.raises(ValueError, match="semi-algebraic"):
        NetworkJob.create(net, "singular", nm.Gaussian(), 0, 10, "exhaustive", 10)
    job = NetworkJob.create(net, "boundary", nm.Gaussian(), 0, 400, "multistart", 400)
    U = job.samples(0)
    index = {tuple(e): k for k, e in enumerate(net.monomials.tolist())}
    m = len(index)
    (a1, b1, c1), (a2, b2, c2) = ([U[:, o * m + index[e]] for e in [(2, 0), (1, 1), (0, 2)]] for o in range(2))
    outside = (a1 * c2 - a2 * c1) ** 2 < (a1 * b2 - a2 * b1) * (b1 * c2 - b2 * c1)
    assert 0.05 < outside.mean() < 0.95
    D, rank_drop = job._multistart_distances(U, 0)
    on_M = D[:, 0] < 1e-12 * (U**2).sum(axis=1)
    assert np.mean(on_M == ~outside) > 0.99
    assert np.mean((job.decide_from(D, rank_drop, [-1]) == 1) == outside) > 0.97
    # the subnetwork (q1, q2 multiples of one square) is on the edge but attracts nothing
    assert (job.decide_from(D, rank_drop, [1]) != 1).all()
    # the map fills, so the edge is exactly where data have no real preimage ("auto": exhaustive)
    exact = NetworkJob.create(net, "boundary", nm.Gaussian(), 0, 400, "auto", 400)
    assert exact.method == "exhaustive"
    assert np.array_equal(exact.decide(U, 0) == 1, outside)
    est = stratum_probabilities(net, 400, seed=0)
    assert [e.target for e in est][-1] == "boundary" and est[-1].exhaustive and est[-1].hits == outside.sum()


def test_auto_takes_local_searches_where_mlp_charts_are_large() -> None:
    # charts of more than AUTO_CHART_DIM coordinates need minutes of monodromy before the first
    # sample: "auto" takes local searches there, and "exhaustive" still insists
    small = NetworkJob.create(nm.PolynomialNetwork((3, 2, 1), 2, bias=True), "singular", nm.Gaussian(), 0, 4, "auto", 4, certify=False)
    assert small.exhaustive and max(s.dim for s in small.strata) <= AUTO_CHART_DIM
    net = nm.PolynomialNetwork((4, 3, 1), 2)
    assert nm.dimension(net).dim > AUTO_CHART_DIM
    assert NetworkJob.create(net, "singular", nm.Gaussian(), 0, 4, "auto", 4, certify=False).method == "multistart"
    # (with the certificate of null cells, which one hidden layer has, "auto" needs no samples)
    assert NetworkJob.create(net, "singular", nm.Gaussian(), 0, 4, "auto", 4).method == "certificate"
    assert NetworkJob.create(net, "singular", nm.Gaussian(), 0, 4, "exhaustive", 4).exhaustive


@pytest.mark.parametrize("spec", ["poly:2,1,1^3", "poly:2,1,2^2", "poly:3,1,2^3", "poly:2,1,1,2^2", "poly:2,1,3,2^2"])
def test_one_neuron_per_layer_has_no_edge_beyond_the_zero_function(spec: str) -> None:
    # one first-layer neuron, no biases: f = c (x) l^K (every later neuron computes a multiple
    # of a power of l): the image is closed and D mu has full rank at every point but 0, so the
    # boundary is certified null; local searches agree: from every sample the nearest point
    # found is a point of M where D mu has the rank of M
    net = nm.parse(spec)
    est = nm.voronoi_mc(net, "boundary", 10**6, progress=False)
    assert est.method == "certificate" and (est.hits, est.n) == (0, 10**6) and "closed" in est.certificate
    dim = nm.dimension(net).dim
    assert dim == net.widths[-1] + net.widths[0] - 1  # the cone over the Segre-Veronese variety
    rng = np.random.default_rng(0)
    for _ in range(20):
        theta = rng.standard_normal(net.n_params)
        assert np.linalg.matrix_rank(net.jacobian(theta), tol=1e-8 * np.abs(net.jacobian(theta)).max()) == dim
    local = nm.voronoi_mc(net, "boundary", 200, method="multistart", seed=1, progress=False)
    assert local.hits == 0


@pytest.mark.parametrize("spec", ["poly:2,2,1,1^2", "poly:3,2,1,1^2", "poly:2,3,1,2^2", "poly:2,2,1,1,1^2", "poly:2,2,1,2,1^2", "poly:2,4,1,1^3", "poly:2,4,1,1,2^3"])
def test_a_bottleneck_over_a_closed_network_has_no_edge_beyond_its_lower_strata(spec: str) -> None:
    # a hidden layer of one neuron, fed by N' (quadratic forms of rank <= r, all forms of their
    # degree when the powers span them, or such a bottleneck again): f = c (x) g^K with g in N', a closed cone, so M is closed, and D mu has
    # the rank of M wherever g has full rank in N' (R^m (x) g^K + c (x) K g^(K-1) T_g N', related
    # only by the rescaling): the boundary is certified null; local searches agree
    net = nm.parse(spec)
    est = nm.voronoi_mc(net, "boundary", 10**6, progress=False)
    assert est.method == "certificate" and (est.hits, est.n) == (0, 10**6) and "closed" in est.certificate
    last_one = max(i for i in range(2, len(net.widths) - 1) if net.widths[i] == 1)
    inner = nm.PolynomialNetwork((*net.widths[:last_one], 1), net.activation)
    dim, m = nm.dimension(net).dim, net.widths[-1]
    assert dim == m + nm.dimension(inner).dim - 1
    rng = np.random.default_rng(0)
    for _ in range(20):
        theta = rng.standard_normal(net.n_params)
        J = net.jacobian(theta)
        assert np.linalg.matrix_rank(J, tol=1e-8 * np.abs(J).max()) == dim
    local = nm.voronoi_mc(net, "boundary", 200, method="multistart", seed=1, progress=False)
    assert local.hits == 0


def test_a_bottleneck_over_binary_cubics_of_two_neurons_has_an_edge() -> None:
    # N' = two neurons on binary cubics is not closed (its limits are the tangential variety),
    # so no certificate: data have their nearest point on the edge (``_voronoi_cubed_cubics``)
    net = nm.parse("poly:2,2,1,1^3")
    assert nm.voronoi_mc(net, "boundary", 60, seed=0, progress=False).hits > 0
    with pytest.raises(ValueError, match="no certificate"):
        nm.voronoi_mc(net, "boundary", 10, method="certificate", progress=False)


def _psi(monomials: np.ndarray, k: int, e: float, v: np.ndarray) -> np.ndarray:
    """Coefficients of ((e v.x + 1)^k - 1) / e (or k v.x at e = 0), by monomial."""
    from math import comb, factorial

    out = np.zeros(len(monomials))
    for i, a in enumerate(monomials):
        j = int(a.sum())
        if j == 0:
            continue
        # (v.x)^j = sum over |a| = j of j! / a! v^a x^a
        multinomial = factorial(j) / np.prod([factorial(int(t)) for t in a])
        out[i] = comb(k, j) * e ** (j - 1) * multinomial * np.prod(v**a)
    return out


@settings(max_examples=20, deadline=None)
@given(d0=st.integers(1, 2), k=st.integers(2, 4), m=st.integers(1, 2), seed=st.integers(0, 2**32 - 1))
def test_one_neuron_with_biases_leaves_its_edge_to_a_null_set(d0: int, k: int, m: int, seed: int) -> None:
    # the closure of c (w.x + b)^k + delta is c psi(e, v) + delta over the blow-up at the
    # constant's direction; the squared projection R of the data is smooth there, and at the
    # exceptional divisor e = 0 (the affine maps) its derivative in e is 2 sum_o <u_o, psi_0>
    # <u_o, psi_1> / |psi_0|^2: nonzero for random data, so the maximum (the nearest point of the
    # closure) is not there
    net = nm.PolynomialNetwork((d0, 1, m), k, bias=True)
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((m, len(net.monomials)))
    degree = net.monomials.sum(axis=1)
    U[:, degree == 0] = 0.0  # the constants go into delta
    L = U[:, degree == 1]  # the linear coefficients (x_1..x_d0 in order)
    v = np.linalg.svd(L)[2][0]

    def R(e: float) -> float:
        psi = _psi(net.monomials, k, e, v)
        return float(((U @ psi) ** 2).sum() / (psi @ psi))

    psi0, psi1 = _psi(net.monomials, k, 0.0, v), np.where(degree == 2, 1.0, 0.0) * (_psi(net.monomials, k, 1.0, v))
    slope = 2 * float((U @ psi0) @ (U @ psi1)) / float(psi0 @ psi0)
    h = 1e-6
    assert (R(h) - R(-h)) / (2 * h) == pytest.approx(slope, rel=1e-4, abs=1e-9)
    assert abs(slope) > 1e-12  # random data: the maximum over the closure is off the affine maps
    assert R(0.0) == pytest.approx(float(np.linalg.svd(L, compute_uv=False)[0] ** 2))  # the affine maps' best


@pytest.mark.parametrize("spec", ["poly:1,1,1^3+bias", "poly:2,1,2^2+bias", "poly:3,1,1^4+bias"])
def test_one_neuron_with_biases_has_a_null_boundary(spec: str) -> None:
    est = nm.voronoi_mc(nm.parse(spec), "boundary", 10**6, progress=False)
    assert est.method == "certificate" and est.hits == 0 and "exceptional divisor" in est.certificate


def test_one_neuron_with_biases_has_nearer_points_than_its_affine_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    # the samples that local searches in the network's own parameters leave near the edge of
    # poly:2,1,1^2+bias: a direction (w, b) of the neuron found by a search over the sphere
    # projects them closer than the best affine map alpha (v.x) + beta does (the top singular
    # value of their linear coefficients); the searches through the seam, where the neuron
    # merges with the constant, find nearer points themselves
    import neuromanifold._voronoi_networks as vn

    net = nm.parse("poly:2,1,1^2+bias")
    job = NetworkJob.create(net, "boundary", nm.Gaussian(), 0, 400, "multistart", 400, certify=False)
    U = job.samples(0)
    assert (job.decide(U) == 1).sum() == 0
    with monkeypatch.context() as mp:
        mp.setattr(vn, "seams_available", lambda net_: False)
        near = np.flatnonzero(job.decide(U) == 1)
    assert len(near) >= 1
    degree = net.monomials.sum(axis=1)
    rng = np.random.default_rng(1)

    def coefficients(l: np.ndarray) -> np.ndarray:
        w, b = l[:2], l[2]
        return np.array([(1 if a.max() == 2 else 2) * np.prod(w**a) if a.sum() == 2 else 2 * b * np.prod(w**a) if a.sum() == 1 else 0.0 for a in net.monomials])

    for u in U[near]:
        u = np.where(degree == 0, 0.0, u)
        R = lambda l: -float((u @ coefficients(l)) ** 2 / (coefficients(l) @ coefficients(l)))  # noqa: E731
        best = max(-minimize(R, rng.standard_normal(3), method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-14, "maxiter": 20000}).fun for _ in range(12))
        assert best > float(u[degree == 1] @ u[degree == 1]) * (1 + 1e-9)


def test_local_searches_next_to_the_edge_go_on_to_see_where_they_head(monkeypatch: pytest.MonkeyPatch) -> None:
    # a best point with D mu nearly rank-deficient is either a real critical point with nearly
    # parallel neurons (the search has converged: the gradient of the loss vanishes there) or a
    # point on the way to the edge, which is not attained (the search goes on: the parameters
    # grow as the neurons merge, and the rank ratio keeps falling)
    import neuromanifold._voronoi_networks as vn

    net = nm.parse("poly:2,2,1^3+bias")
    job = NetworkJob.create(net, "boundary", nm.Gaussian(), 0, 300, "multistart", 300, certify=False)
    U = job.samples(0)
    seen: dict[str, np.ndarray] = {}
    search = vn._continued_search

    def recorded(net_: object, V: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        best, on = search(net_, V, theta)  # type: ignore[arg-type]
        seen.update(U=V, before=theta, after=on, best=best)
        return best, on

    monkeypatch.setattr(vn, "_continued_search", recorded)
    D, rank_drop = job._multistart_distances(U, 0)
    before, after = job._rank_ratio(seen["before"]), job._rank_ratio(seen["after"])
    assert (before <= vn.EDGE_RATIO).all()
    heading = job._heading_to_edge(before, after)
    falling = after <= before / vn.EDGE_FALL
    settled = ~heading
    assert falling.sum() >= 10 and settled.sum() >= 3
    # settled: a critical point of the loss at a real network where D mu has full rank
    for theta, u in zip(seen["after"][settled], seen["U"][settled]):
        J = net.jacobian(theta[None, :])[0]
        r = net.mu(theta[None, :])[0] - u
        assert np.linalg.norm(J.T @ r) <= 1e-6 * np.linalg.norm(J) * np.linalg.norm(r)
    assert (after[settled] > vn.EDGE_FLOOR).all()
    # falling: the parameters (balanced) grow on the way to the edge
    grown = np.linalg.norm(job._balanced(seen["after"][falling]), axis=1) / np.linalg.norm(seen["before"][falling], axis=1)
    assert (grown > 1).all()
    # the searches went on from their best points: the smooth part's distance only improved
    rows = [int(np.flatnonzero((U == v).all(axis=1))[0]) for v in seen["U"]]
    assert np.allclose(D[rows, 0], np.minimum(D[rows, 0], seen["best"]))
    # (the searches through the seams may clear a drop, never add one)
    assert (rank_drop[rows] <= np.where(heading, 1, 0)).all()


@pytest.mark.parametrize("spec", ["poly:1,2,1^5+bias", "poly:2,2,1^4"])
def test_starts_next_to_the_edge_change_decisions_as_the_exact_method(spec: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # starts where two neurons nearly merge (l +- e m, outgoing weights of order 1 / e) let
    # searches reach the edge's infimum where random starts settle at farther real networks,
    # and more random starts for the samples counted for the edge find real networks nearer
    # than it; both networks have an exact boundary (the tangential variety of the neurons
    # merging)
    import neuromanifold._voronoi_networks as vn
    from neuromanifold.critical import _neurons

    net = nm.parse(spec)
    U = np.random.default_rng(5).standard_normal((20, net.ambient_dim))
    for start in vn._edge_starts(net, U, np.random.default_rng(0)):
        # some pair of neurons at distance 2 e |m| with outgoing weights of order 1 / e
        gaps = [np.linalg.norm(start[:, i[0]] - start[:, j[0]], axis=1) for n1, i in enumerate(_neurons(net)) for j in _neurons(net)[n1 + 1 :]]
        assert any((g <= 2 * vn.EDGE_SPLIT * 10).all() for g in gaps)
    exact = NetworkJob.create(net, "boundary", nm.Gaussian(), 0, 300, "auto", 300)
    U = exact.samples(0)
    truth = exact.decide(U, 0)
    local = NetworkJob.create(net, "boundary", nm.Gaussian(), 0, 300, "multistart", 300)
    with_edge_starts = local.decide(U, 0)
    monkeypatch.setattr(vn, "EDGE_RESTARTS", 0)
    only_edge_starts = local.decide(U, 0)
    monkeypatch.setattr(vn, "EDGE_STARTS", 0)
    without = local.decide(U, 0)
    restarted = np.flatnonzero(with_edge_starts != only_edge_starts)
    assert (with_edge_starts[restarted] == 0).all()  # restarts only find real networks
    changed = np.flatnonzero(with_edge_starts != without)
    assert len(changed) >= 2
    assert (with_edge_starts[changed] == truth[changed]).all()
