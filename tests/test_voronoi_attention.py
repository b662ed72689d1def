"""Voronoi cells of lightning self-attention X -> V X X^T K^T Q X, decided exhaustively where mu
is linear in blocks of parameters: V, k, q with one key/query dimension (a = 1), and V, M =
K^T Q when a = d (M is then any real d x d matrix). The real image is a closed cone, so the
nearest point is the image of real blocks, a real critical point of a chart that fixes a random
functional of each block. Checked against the parameter layout, random real parameters, local
searches, real images of complex parameters (not points of M) and thread counts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neuromanifold as nm
from neuromanifold._blocks import multilinear_form
from neuromanifold._charts import BlockForm, block_cone_chart
from neuromanifold._voronoi_networks import RANK_DROP, RANK_FULL, NetworkJob, _Candidates, _least_squares


def parameters(V: np.ndarray, K: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """The parameter vector: Q, K, V, each row-major."""
    return np.concatenate([Q.ravel(), K.ravel(), V.ravel()])


def test_parameters_are_q_k_v_and_mu_depends_on_v_and_k_transpose_q() -> None:
    d, d_out, a, t = 2, 3, 3, 2
    net = nm.LightningAttention(d, d_out, a, t)
    rng = np.random.default_rng(0)
    V, K, Q, X = rng.standard_normal((d_out, d)), rng.standard_normal((a, d)), rng.standard_normal((a, d)), rng.standard_normal((d, t))
    assert np.allclose(net.evaluate(parameters(V, K, Q), X), V @ X @ X.T @ K.T @ Q @ X)
    g = rng.standard_normal((a, a))
    assert np.allclose(net.mu(parameters(V, g @ K, np.linalg.inv(g).T @ Q)), net.mu(parameters(V, K, Q)))
    # the slice of the charts for a >= d: K = [I; 0], Q = [K^T Q; 0]
    K_slice, Q_slice = np.vstack([np.eye(d), np.zeros((a - d, d))]), np.vstack([K.T @ Q, np.zeros((a - d, d))])
    assert np.allclose(net.mu(parameters(V, K_slice, Q_slice)), net.mu(parameters(V, K, Q)))


def job(spec: str, target: str = "singular", method: str = "auto", n: int = 10, seed: int = 0) -> NetworkJob:
    return NetworkJob.create(nm.parse(spec), target, nm.Gaussian(), seed, n, method, n, certify=False)


def test_method_choice_for_attention() -> None:
    # a = d = 2 (strata: a = 2 and a = 1), a = 1 with d = 2 and d = 3: linear in blocks
    for spec in ("attention:2,1,2,2", "attention:2,1,1,2", "attention:2,1,1,1"):
        assert job(spec).method == "exhaustive" and job(spec, "boundary").method == "exhaustive", spec
    # a = 1 with d = 3 is linear in blocks too, but its start systems have 16,333 paths: "auto"
    # takes local searches (for its only lower stratum, the zero function, the certificate of a
    # null cell), and "exhaustive" is there when asked for
    assert job("attention:3,1,1,2", "boundary").method == "multistart"
    assert NetworkJob.create(nm.parse("attention:3,1,1,2"), "singular", nm.Gaussian(), 0, 10, "auto", 10).method == "certificate"
    assert job("attention:3,1,1,2", method="exhaustive").method == "exhaustive"
    # 1 < a < d: K^T Q of rank a < d, no free block; a = d = 3 has such a stratum (a = 2)
    for spec in ("attention:3,1,2,2", "attention:3,1,3,2"):
        assert job(spec).method == "multistart" and not job(spec).exhaustive
        with pytest.raises(ValueError, match=r"1 < 2 < d = 3.*GL\(2\).*multistart"):
            job(spec, method="exhaustive")
    # a > d: the subnetwork with a - 1 >= d dimensions has the same image (and chart); t = 1:
    # only the symmetric part of M counts, realized by an upper triangular M
    for spec in ("attention:2,1,3,2", "attention:2,1,2,1", "attention:2,2,2,1"):
        assert job(spec).method == "exhaustive", spec


specs = st.sampled_from(
    ["attention:2,1,2,2", "attention:2,1,1,2", "attention:2,2,1,2", "attention:1,2,1,2", "attention:2,1,1,1", "attention:2,2,2,2", "attention:3,1,1,2", "attention:2,1,3,2", "attention:2,2,2,1", "attention:2,1,3,1"]
)


@settings(max_examples=12, deadline=None)
@given(spec=specs, seed=st.integers(0, 2**16))
def test_real_parameters_have_real_chart_coordinates(spec: str, seed: int) -> None:
    # every real parameter vector (any K, Q: reduced to V and M = K^T Q when a >= d) is rescaled
    # onto the chart by real factors, on every stratum, in both charts, with the same image
    net = nm.parse(spec)
    rng = np.random.default_rng(seed)
    for s in job(spec, seed=seed, method="exhaustive", n=1).strata:
        if s.point:
            continue
        form = multilinear_form(net, s.support)
        assert isinstance(form, BlockForm) and form.mixed
        on = np.ones(net.n_params) if s.support is None else np.isin(np.arange(net.n_params), s.support).astype(float)
        theta = rng.standard_normal((4, net.n_params)) * on
        for end in ("first", "last"):
            chart = block_cone_chart(net, form, s.dim, seed, None if s.support is None else np.array(s.support), end)
            y = chart.coordinates(theta) if chart.coordinates is not None else None
            assert chart.n == s.dim and y is not None and y.dtype == np.float64 and y.shape == (4, s.dim)
            for image in (chart.mu(y), net.mu(chart.lift(y))):
                assert np.allclose(image, net.mu(theta), rtol=1e-9, atol=1e-12), (s.name, end)


@settings(max_examples=4, deadline=None)
@given(spec=st.sampled_from(["attention:2,1,2,2", "attention:2,1,1,2"]), seed=st.integers(0, 2**16))
def test_exhaustive_distance_is_never_beaten_by_real_parameters(spec: str, seed: int) -> None:
    # the nearest point of each stratum is never farther than the image of any real parameters
    # on it: random ones, and those where local searches from random starts end
    net = nm.parse(spec)
    n = 10
    j = job(spec, seed=seed, n=n)
    assert j.method == "exhaustive"
    U = j.samples(0)
    rng = np.random.default_rng(seed)
    for i, s in enumerate(j.strata):
        if s.point:
            continue
        exhaustive = j._exhaustive_distances(i, s, U, 0)
        ok = np.isfinite(exhaustive)
        assert ok.mean() >= 0.75
        support = np.arange(net.n_params) if s.support is None else np.array(s.support, dtype=np.int64)
        thetas = np.zeros((n * 50, net.n_params))
        thetas[:, support] = rng.standard_normal((n * 50, len(support)))
        random_distance = ((net.mu(thetas).reshape(n, 50, -1) - U[:, None, :]) ** 2).sum(axis=2).min(axis=1)
        searched, _ = _least_squares(net, support, U, rng)
        bound = np.minimum(random_distance, searched)
        assert np.all(exhaustive[ok] <= bound[ok] * (1 + 1e-9) + 1e-12), s.name


@pytest.mark.parametrize("spec, target", [("attention:2,1,2,2", "singular"), ("attention:2,1,1,2", "boundary")])
def test_exhaustive_and_multistart_agree_where_local_searches_decide(spec: str, target: str) -> None:
    # local searches end at real points of the strata, so their distances bound the exhaustive
    # ones from above; where they find the same distances and decide, the decisions agree
    n = 60
    exhaustive, multistart = job(spec, target, n=n, seed=2), job(spec, target, "multistart", n=n, seed=2)
    assert exhaustive.method == "exhaustive" and multistart.method == "multistart"
    U = exhaustive.samples(0)
    De, re = exhaustive.distances(U, 0)
    Dm, rm = multistart.distances(U, 0)
    assert not np.isnan(De).any()
    assert np.all(De <= Dm * (1 + 1e-9) + 1e-12)
    same = np.all(np.abs(De - Dm) <= 1e-7 * (1 + Dm), axis=1)
    assert same.mean() > 0.9
    de = exhaustive.decide_from(De, re, exhaustive.targets)
    dm = multistart.decide_from(Dm, rm, multistart.targets)
    both = same & (dm >= 0) & (de >= 0)
    assert both.mean() > 0.85 and np.array_equal(de[both], dm[both])
    if target == "boundary":
        # a = 1, d = 2: the real image holds (v.x)(k.x) with real v, k only; its edge (v
        # parallel to k) is nearest for a positive share of the data
        assert (de == 1).sum() >= 5


def complex_data(spec: str, n: int, seed: int) -> np.ndarray:
    """Real images of complex parameters V = w^T, K^T Q = conj(w) lambda^T (d = 2, d_out = 1):
    they hold the definite form (w.x)(conj(w).x), not a product of real linear forms."""
    net = nm.parse(spec)
    assert isinstance(net, nm.LightningAttention) and net.d == 2 and net.d_out == 1
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        w = rng.standard_normal(2) + 1j * rng.standard_normal(2)
        lam = rng.standard_normal(2)
        K = np.vstack([np.conj(w), np.zeros((net.a - 1, 2))])
        Q = np.vstack([lam, np.zeros((net.a - 1, 2))])
        u = net.mu(parameters(w[None, :], K, Q))
        assert np.abs(u.imag).max() <= 1e-12 * np.abs(u).max()
        out.append(u.real)
    return np.array(out)


@pytest.mark.parametrize("spec", ["attention:2,1,1,2", "attention:2,1,2,2"])
def test_real_images_of_complex_parameters_are_not_points_of_the_neuromanifold(spec: str) -> None:
    # candidates are images of real critical points: the rule "real image" would put these data
    # at distance 0; real parameters of the same image do not exist. Images of real parameters
    # are at distance 0.
    j = job(spec, n=8)
    U = complex_data(spec, 8, seed=5)
    D, _ = j.distances(U, 0)
    assert np.all(D[:, 0] > 1e-9 * (U**2).sum(axis=1))
    net = nm.parse(spec)
    on = net.mu(np.random.default_rng(1).standard_normal((8, net.n_params)))
    D, _ = j.distances(on, 0)
    assert np.all(D[:, 0] <= 1e-18 * (on**2).sum(axis=1))


def test_rank_drop_is_free_of_rescalings_and_of_the_key_query_parametrization() -> None:
    # a = 1: D mu drops rank where v is parallel to k ((v.x)(k.x) a square); a = d = 2: where
    # V = v^T and M = K^T Q = v lambda^T, at any K (reduced to the slice K = I)
    rng = np.random.default_rng(4)
    v, q = rng.standard_normal(2), rng.standard_normal(2)
    one = job("attention:2,1,1,2", "boundary", method="exhaustive", n=1)
    two = job("attention:2,1,2,2", "boundary", method="exhaustive", n=1)
    g = rng.standard_normal((2, 2))
    for e, expected in [(0.0, RANK_DROP), (1e-2, RANK_FULL)]:
        k = v + e * rng.standard_normal(2)
        M = np.outer(k, q)
        for scale in (1.0, 1e3):
            theta = parameters(scale * v[None, :], k[None, :] / scale, q[None, :])[None, :]
            assert one._rank_drop(_Candidates(one.net.mu(theta), theta), one.net.mu(theta[0])) == expected, (e, scale)
            theta = parameters(scale * v[None, :], g, np.linalg.inv(g).T @ M / scale)[None, :]
            assert two._rank_drop(_Candidates(two.net.mu(theta), theta), two.net.mu(theta[0])) == expected, (e, scale)


def test_exhaustive_attention_counts_do_not_depend_on_threads() -> None:
    before = nm.get_num_threads()
    try:
        for spec, target in (("attention:2,1,1,2", "boundary"), ("attention:2,1,2,2", "singular")):
            out = []
            for threads in (1, 2):
                nm.set_num_threads(threads)
                # (the singular stratum is also proven null everywhere: sample it anyway)
                est = nm.voronoi_mc(nm.parse(spec), target, 80, seed=3, progress=False, chunk_size=40, method="exhaustive")
                assert est.exhaustive and est.method == "exhaustive"
                out.append((est.hits, est.n_failed))
            assert out[0] == out[1], spec
    finally:
        nm.set_num_threads(before)


def test_more_key_query_dimensions_than_d_change_nothing() -> None:
    # with a >= d, K^T Q is any d x d matrix: attention:2,1,3,2 and attention:2,1,2,2 have the same
    # neuromanifold and the same lower strata (a = 1, the zero function), so on the same data the
    # exhaustive distances to them agree, found in charts of different parameter spaces. The
    # subnetwork with a = 2 is M itself: not singular, and it holds every nearest point
    n = 40
    three, two = job("attention:2,1,3,2", n=n, seed=4), job("attention:2,1,2,2", n=n, seed=4)
    assert three.method == two.method == "exhaustive"
    assert [(s.dim, s.full) for s in three.strata] == [(5, False), (5, True), (4, False), (0, False)]
    assert three.targets == [2, 3]  # "singular" leaves the full stratum out
    U = three.samples(0)
    D3, r3 = three.distances(U, 0)
    D2, r2 = two.distances(U, 0)
    assert not np.isnan(D3).any() and not np.isnan(D2).any()
    assert np.allclose(D3[:, [0, 2, 3]], D2, rtol=1e-8, atol=0) and np.array_equal(D3[:, 1], D3[:, 0])
    for t3, t2 in (([2, 3], [1, 2]), ([-1], [-1])):
        assert np.array_equal(three.decide_from(D3, r3, t3), two.decide_from(D2, r2, t2))
    assert np.all(three.decide_from(D3, r3, [1]) == 1)


def cubic_discriminant(u: np.ndarray) -> np.ndarray:
    """Discriminant of a x^3 + b x^2 y + c x y^2 + d y^3 (rows of u: a, b, c, d): > 0 for three
    distinct real roots, < 0 for one."""
    a, b, c, d = u.T
    return 18 * a * b * c * d - 4 * b**3 * d + b**2 * c**2 - 4 * a * c**3 - 27 * a**2 * d**2


def test_one_token_attention_is_all_cubics_and_one_key_query_dimension_those_with_real_roots() -> None:
    # t = 1: x -> (v.x)(x^T M x) with M upper triangular (x^T M x sees the symmetric part only).
    # Every real binary cubic has a real linear factor, so attention:2,1,2,1 is all cubics (data
    # lie on M, no edge); its subnetwork with a = 1, (v.x)(k.x)(q.x), is a full-dimensional part:
    # the cubics with three real roots. It holds the nearest point exactly for data with a
    # positive discriminant (a formula, not the homotopies)
    n = 200
    j = job("attention:2,1,2,1", "one dimension of the key/query space switched off", n=n, seed=1)
    assert j.method == "exhaustive" and [(s.dim, s.full) for s in j.strata] == [(4, False), (4, True), (0, False)]
    U = j.samples(0)
    D, rank_drop = j.distances(U, 0)
    assert np.all(D[:, 0] <= 1e-18 * (U**2).sum(axis=1))
    d = j.decide_from(D, rank_drop, j.targets)
    disc = cubic_discriminant(U)
    clear = np.abs(disc) > 1e-6 * (U**2).sum(axis=1) ** 2
    assert (d[clear] >= 0).all() and np.array_equal(d[clear] == 1, disc[clear] > 0)
    assert 0.1 < (disc > 0).mean() < 0.5
    for target in ([2], [-1]):  # the zero function and the edge hold nothing
        assert (j.decide_from(D, rank_drop, target) == 1).sum() == 0
    assert job("attention:2,1,2,1").targets == [2]  # "singular": the zero function only


def test_one_token_two_outputs_real_factors_decide_the_full_stratum() -> None:
    # attention:2,2,2,1: (V x)(x^T S x) in the pairs of binary cubics (dimension 6 of 8). The
    # subnetwork with a = 1 is the part where x^T S x has real linear factors (det S <= 0): it
    # holds the nearest point exactly when the smooth part's nearest point has det S <= 0; local
    # searches agree where they find the same distances
    n = 40
    exhaustive = job("attention:2,2,2,1", "one dimension of the key/query space switched off", n=n, seed=2)
    multistart = job("attention:2,2,2,1", "one dimension of the key/query space switched off", "multistart", n=n, seed=2)
    assert exhaustive.method == "exhaustive" and exhaustive.strata[1].full
    U = exhaustive.samples(0)
    De, re = exhaustive.distances(U, 0)
    Dm, rm = multistart.distances(U, 0)
    assert not np.isnan(De).any() and np.all(De <= Dm * (1 + 1e-9) + 1e-12)
    de = exhaustive.decide_from(De, re, exhaustive.targets)
    dm = multistart.decide_from(Dm, rm, multistart.targets)
    same = np.all(np.abs(De - Dm) <= 1e-7 * (1 + Dm), axis=1)
    both = same & (de >= 0) & (dm >= 0)
    assert both.mean() > 0.8 and np.array_equal(de[both], dm[both])
    signs = []
    for c, u in zip(exhaustive._real_critical_points(0, exhaustive.strata[0], U, 0), U):
        assert c is not None
        theta = c.thetas[np.argmin(((c.images - u) ** 2).sum(axis=1))]
        M = theta[4:8].reshape(2, 2).T @ theta[:4].reshape(2, 2)  # K^T Q
        S = (M + M.T) / 2
        signs.append(np.linalg.det(S) / (S**2).sum())
    signs = np.array(signs)
    clear = (de >= 0) & (np.abs(signs) > 1e-6)
    assert clear.mean() > 0.9 and np.array_equal(de[clear] == 1, signs[clear] < 0)
    assert 0 < (de == 1).sum() < n


def test_the_analysis_marks_parts_of_m_of_its_dimension() -> None:
    # attention:2,1,3,2: the subnetwork with a = 2 is M itself, so it holds every nearest point
    from neuromanifold._voronoi_networks import stratum_probabilities

    estimates = stratum_probabilities(nm.parse("attention:2,1,3,2"), 40, seed=1)
    full = [e for e in estimates if e.target.endswith("(a part of M of its dimension)")]
    assert len(full) == 1 and full[0].hits == 40 and full[0].n_failed == 0
    assert [e.target for e in estimates if e not in full][-1] == "boundary"
