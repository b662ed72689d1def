"""Voronoi cells by Monte Carlo: decisions against brute force, known probabilities (cusp and
isolated points positive, nodes and smooth points zero, Eckart-Young; for parametrized
varieties edges positive, crossings of sheets and curves on smooth surfaces zero),
reproducibility across threads, clusters and interruptions, and input validation."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree

import neuromanifold as nm
import neuromanifold._voronoi_networks as vn
from neuromanifold._voronoi_networks import NetworkJob

BOX = nm.UniformBox(-1.0, 1.0)


def brute_force_singular(samples: np.ndarray, singular: np.ndarray, smooth_points: np.ndarray, band: float):
    """Decisions by dense sampling of the smooth part: 1 if the singular point is nearer than
    every sampled smooth point, 0 if not, -1 within the band (where sampling error could decide)."""
    tree = cKDTree(smooth_points)
    d_smooth = tree.query(samples)[0] ** 2
    d_sing = ((samples - singular) ** 2).sum(axis=1)
    out = np.where(d_sing < d_smooth, 1, 0)
    return np.where(np.abs(d_sing - d_smooth) <= band, -1, out)


def cusp_branch(h: float = 2e-5, gap: float = 1e-3) -> np.ndarray:
    """Dense points of the cusp's smooth part outside |t| < gap: sampling closer to the cusp
    would make the margin of every point of its cell smaller than the sampling error."""
    t = np.arange(-2.0, 2.0 + h / 2, h)
    t = t[np.abs(t) >= gap]
    return np.column_stack([t**2, t**3])


@pytest.mark.parametrize("curve", [nm.PlaneCurve("y**2 - x**3"), nm.PlaneCurve.parametrized("t**2", "t**3")], ids=["implicit", "parametrized"])
def test_cusp_decisions_agree_with_brute_force(curve: nm.PlaneCurve) -> None:
    n = 20_000
    S = nm.voronoi_samples(curve, n, BOX, seed=3)
    ours = curve.decide(S, "singular")
    brute = brute_force_singular(S, np.zeros(2), cusp_branch(), band=1e-8)
    sure = (brute >= 0) & (ours >= 0)
    assert (brute < 0).mean() < 0.01
    assert np.array_equal(ours[sure], brute[sure])
    est = nm.voronoi_mc(curve, "singular", n, BOX, seed=3, progress=False)
    assert est.hits == int((ours == 1).sum()) and est.n == n
    p_brute = (brute == 1).mean()
    assert est.ci95[0] <= p_brute <= est.ci95[1]
    assert est.ci95[0] > 0.3  # the cusp attracts a positive share of the box


DECISION_CASES = [
    (nm.PlaneCurve("y**2 - x**3"), "singular"),
    (nm.PlaneCurve.parametrized("t**2", "t**3"), "singular"),
    (nm.PlaneCurve("y**2 - x**2*(x + 1)"), "singular"),
    (nm.PlaneCurve("y**2 - x**2*(x - 1)"), "singular"),
    (nm.PlaneCurve.parametrized("t**2", "t**4"), (0.0, 0.0)),
    (nm.PlaneCurve.parametrized("t**2 - 1", "t**3 - t"), (0.0, 0.0)),
    (nm.PlaneCurve("x**2 + y**2 - 1"), (0.6, 0.8)),
]


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**16), scale=st.floats(0.2, 3.0))
def test_decisions_are_those_of_the_nearest_point(seed: int, scale: float) -> None:
    # a decision stops at the first point of the curve found nearer than the target; it must
    # be the one that the nearest point from all critical points gives
    for curve, target in DECISION_CASES:
        S = nm.voronoi_samples(curve, 4000, nm.Gaussian(scale), seed=seed)
        ours = curve.decide(S, target)
        nearest, index = curve.nearest(S)
        if target == "singular":
            inside = index >= 0
        else:
            inside = np.abs(nearest - np.array(target)).sum(axis=1) <= 1e-6
        sure = ours >= 0
        assert (~sure).sum() <= 2
        assert np.array_equal(ours[sure], inside[sure].astype(np.int8)), curve


def test_implicit_and_parametrized_cusp_count_the_same() -> None:
    a = nm.voronoi_mc(nm.PlaneCurve("y**2 - x**3"), "singular", 200_000, BOX, seed=1, progress=False)
    b = nm.voronoi_mc(nm.PlaneCurve.parametrized("t**2", "t**3"), "singular", 200_000, BOX, seed=1, progress=False)
    assert (a.hits, a.n_failed) == (b.hits, b.n_failed)


def test_node_and_smooth_points_have_probability_zero() -> None:
    # at a node the tangent cone is two lines: a nearest point there must be orthogonal to
    # both, so the Voronoi cell of a node is the node itself
    node = nm.PlaneCurve("y**2 - x**2*(x + 1)")
    assert np.allclose(node.singular_points, [[0.0, 0.0]])
    est = nm.voronoi_mc(node, "singular", 100_000, BOX, seed=0, progress=False)
    assert est.hits == 0 and est.ci95[1] < 1e-4
    circle = nm.PlaneCurve("x**2 + y**2 - 1")
    assert len(circle.singular_points) == 0
    est = nm.voronoi_mc(circle, (0.6, 0.8), 100_000, nm.Gaussian(1.0), seed=0, progress=False)
    assert est.hits == 0 and est.ci95[1] < 1e-4


def test_isolated_real_point_attracts_its_neighbourhood() -> None:
    # y^2 = x^2 (x - 1): the branch x >= 1 and the isolated real point 0
    curve = nm.PlaneCurve("y**2 - x**2*(x - 1)")
    S = nm.voronoi_samples(curve, 5000, BOX, seed=2)
    s = np.linspace(0.0, 2.0, 400_001)
    x = 1 + s**2
    branch = np.vstack([np.column_stack([x, x * s]), np.column_stack([x, -x * s])])
    brute = brute_force_singular(S, np.zeros(2), branch, band=1e-7)
    ours = curve.decide(S)
    sure = (brute >= 0) & (ours >= 0)
    assert np.array_equal(ours[sure], brute[sure])
    est = nm.voronoi_mc(curve, "singular", 5000, BOX, seed=2, progress=False)
    assert est.ci95[0] <= (brute == 1).mean() <= est.ci95[1]
    assert est.ci95[0] > 0.5


def test_end_point_of_a_parametrization_is_a_stratum() -> None:
    # t -> (t^2, t^4) is the half parabola x >= 0: its end point attracts the lower left
    half = nm.PlaneCurve.parametrized("t**2", "t**4")
    assert np.allclose(half.singular_points, [[0.0, 0.0]])
    est = nm.voronoi_mc(half, (0, 0), 20_000, BOX, seed=0, progress=False)
    assert est.ci95[0] > 0.2


def test_rank_drop_of_determinantal_variety_has_probability_zero() -> None:
    # Eckart-Young: the nearest matrix of rank <= 2 to a generic 3 x 3 matrix has rank 2
    net = nm.LinearNetwork((3, 2, 3))
    est = nm.voronoi_mc(net, "singular", 400, seed=0, progress=False, method="exhaustive")
    assert est.exhaustive and est.hits == 0 and est.n_failed <= 4
    # the exhaustive nearest distance is the Eckart-Young distance sigma_3^2
    job = NetworkJob.create(net, "singular", nm.Gaussian(), 0, 50, "exhaustive", 50)
    U = job.samples(0)
    top = job._exhaustive_distances(0, job.strata[0], U, 0)
    sigma3 = np.linalg.svd(U.reshape(-1, 3, 3), compute_uv=False)[:, 2]
    ok = np.isfinite(top)
    assert ok.mean() > 0.9
    assert np.allclose(top[ok], sigma3[ok] ** 2, rtol=1e-8)
    ms = nm.voronoi_mc(net, "singular", 400, seed=0, progress=False, method="multistart")
    assert not ms.exhaustive and ms.hits == 0 and "not exhaustive" in str(ms)


def test_quadratic_mlp_rank_one_stratum_has_probability_zero() -> None:
    # (3, 2, 1) with z^2: ternary quadratic forms of rank <= 2, a hypersurface whose tangent cone
    # at a rank-one form is a two-sided quadratic cone: like a node, the stratum attracts nothing
    net = nm.PolynomialNetwork((3, 2, 1), 2)
    est = nm.voronoi_mc(net, "singular", 200, seed=0, progress=False, method="exhaustive")
    assert est.exhaustive and est.hits == 0 and est.n_failed <= 4


@pytest.mark.parametrize("spec", ["linear:3,2,3", "linear:3,2,2,3", "linear:2,1,2", "residual:3,2", "poly:3,2,1^2"])
def test_edges_of_determinantal_neuromanifolds_are_their_lower_strata(spec: str) -> None:
    # at a real point of top rank r, parameters through its column and row spaces have D mu of
    # full rank (the tangent space of rank <= r is reached); below rank r D mu drops rank at
    # every parameter. So the boundary is the lower strata: nearest with probability 0, decided
    # exhaustively
    from neuromanifold._charts import linear_shape

    net = nm.parse(spec)
    dim = nm.dimension(net).dim
    rng = np.random.default_rng(3)
    shape = linear_shape(net)
    for _ in range(5):
        if shape is not None:
            r = shape.rank
            U, _s, Vt = np.linalg.svd(rng.standard_normal((shape.rows, shape.cols)))
            S = np.diag(rng.uniform(0.1, 10.0, r))
            theta = shape.lift(U[:, :r] @ np.sqrt(S), np.sqrt(S) @ Vt[:r])
            lower = net.random_params(1, seed=int(rng.integers(1 << 30)))[0]
            lower[: shape.cols] = 0.0  # a row of W_1 off: rank r - 1 (the first layer is the bottleneck)
            low = not shape.residual
        else:  # a l1^2 - b l2^2
            l1, l2, a, b = rng.standard_normal(3), rng.standard_normal(3), rng.uniform(0.1, 10), rng.uniform(0.1, 10)
            theta = np.concatenate([l1, l2, [a, -b]])
            lower = np.concatenate([l1, l1 * rng.uniform(0.5, 2.0), [a, -b]])  # both neurons on one line: rank 1
            low = True
        assert net.jacobian_rank(theta) == dim, spec
        if low:
            if shape is not None:
                assert np.linalg.matrix_rank(net.mu(lower).reshape(shape.rows, shape.cols)) < shape.rank
            assert net.jacobian_rank(lower) < dim, spec
    est = nm.voronoi_mc(net, "boundary", 200, seed=1, progress=False, method="exhaustive")
    assert est.exhaustive and est.method == "exhaustive" and est.hits == 0 and est.n_failed <= 2, spec
    # "auto" takes the proof: the lower strata's cells are null
    proof = nm.voronoi_mc(net, "boundary", 200, seed=1, progress=False)
    why = "whole space" if nm.dimension(net).filling else "lower strata"
    assert proof.method == "certificate" and proof.p == 0 and why in proof.certificate, spec


@pytest.mark.parametrize("d0, r", [(3, 2), (3, 3), (4, 3), (4, 4), (2, 2)])
def test_merged_pairs_of_biased_quadratic_neurons_are_an_edge_with_null_cells(d0: int, r: int) -> None:
    # x^T A x + 2 b.x + c: a pair of neurons along one w with opposite output weights gives an
    # affine part; with r - 2 more neurons, rank A = r - 2 and b outside col A, and D mu drops rank
    # there (an edge). Its two-sided directions span the tangent space of rank r - 1, all linear
    # and constant parts: d0 - r + 2 more than that set's dimension, so its cells are null
    net = nm.PolynomialNetwork((d0, r, 1), 2, bias=True)
    dim = nm.dimension(net).dim
    rng = np.random.default_rng(d0 * 10 + r)
    D = lambda s: s * d0 - s * (s - 1) // 2  # noqa: E731  (symmetric matrices of rank s)
    for _ in range(3):
        W = rng.standard_normal((r, d0))
        W[r - 1] = W[r - 2]
        beta = rng.standard_normal(r)
        a = rng.standard_normal(r)
        a[r - 1] = -a[r - 2]
        theta = np.concatenate([W.ravel(), beta, a, [rng.standard_normal()]])
        A = (W.T * a) @ W
        b = W.T @ (a * beta)
        assert np.linalg.matrix_rank(A, tol=1e-9) == r - 2
        assert np.linalg.matrix_rank(np.column_stack([A, b]), tol=1e-9) == r - 1  # b outside col A
        rank = net.jacobian_rank(theta)
        assert rank < dim  # an edge point of M
        assert rank >= D(r - 1) + d0 + 1 > D(r - 2) + d0 + 1
    est = nm.voronoi_mc(net, "boundary", 100, progress=False)
    assert est.method == "certificate" and est.p == 0


def test_a_network_point_target_is_its_point_stratum() -> None:
    # the zero function given by its coefficients is the stratum "zero function"
    net = nm.ConvNetwork((2, 2))
    by_point = nm.voronoi_mc(net, np.zeros(net.ambient_dim), 300, seed=2, progress=False, method="exhaustive")
    by_name = nm.voronoi_mc(net, "zero function", 300, seed=2, progress=False, method="exhaustive")
    assert by_point.target == by_name.target == "zero function"
    assert (by_point.hits, by_point.n_failed) == (by_name.hits, by_name.n_failed) == (0, 0)


def test_a_subnetwork_is_a_target_by_its_description() -> None:
    # linear networks name their strata by rank; a subnetwork's description names the same one
    net = nm.parse("linear:3,2,2,3")
    for sub in net.subnetworks():
        by_description = nm.voronoi_mc(net, sub.description, 50, seed=1, progress=False)
        by_subnetwork = nm.voronoi_mc(net, sub, 50, seed=1, progress=False)
        assert by_description.target == by_subnetwork.target == "rank <= 1"
        assert (by_description.hits, by_description.n) == (by_subnetwork.hits, 50)


def test_multistart_misses_are_witnessed() -> None:
    # (2, 2, 1) with z^4: binary quartics a l1^4 + b l2^4, semi-algebraic. A local search's miss
    # has a witness (a point nearer than the stratum's best point found); here no sample is a
    # hit of the one-neuron stratum, as the certificate of null cells ("auto" here) proves.
    net = nm.PolynomialNetwork((2, 2, 1), 4)
    assert nm.voronoi_mc(net, "singular", 1000, seed=0, progress=False).method == "certificate"
    est = nm.voronoi_mc(net, "singular", 1000, seed=0, progress=False, method="multistart")
    assert not est.exhaustive and est.method == "multistart" and "not exhaustive" in str(est)
    job = NetworkJob.create(net, "singular", nm.Gaussian(), 0, 1000, "multistart", 200)
    misses = 0
    for c in range(-(-job.n // job.chunk_size)):
        U = job.samples(c)
        D, _ = job._multistart_distances(U, c)
        miss = job.decide(U, c) == 0
        # a witness: a parameter vector whose function is nearer than every stratum point
        assert np.all(D[miss, 0] < D[miss, 1:].min(axis=1))
        misses += int(miss.sum())
    assert misses == est.n - est.hits - est.n_failed
    assert est.hits == 0 and est.ci95[1] < 0.005


def test_boundary_of_a_semi_algebraic_neuromanifold_by_local_searches() -> None:
    # conv (2, 2): quadratics (a x + b)(c x + d), i.e. those with real roots, a full-dimensional
    # semi-algebraic set; data outside it (negative discriminant) has its nearest point on the
    # boundary (double roots, where D mu drops rank), data inside is its own nearest point
    net = nm.ConvNetwork((2, 2))
    job = NetworkJob.create(net, "boundary", nm.Gaussian(), 0, 1000, "multistart", 1000)
    U = job.samples(0)
    d = job.decide(U, 0)
    disc = U[:, 1] ** 2 - 4 * U[:, 0] * U[:, 2]  # coefficients (x^2, x, 1) or reversed: same discriminant
    outside = disc < 0
    assert np.mean((d == 1) == outside) > 0.99
    est = nm.voronoi_mc(net, "boundary", 1000, seed=0, progress=False, chunk_size=1000, method="multistart")
    assert est.hits == int((d == 1).sum()) and not est.exhaustive
    assert abs(est.p - outside.mean()) < 0.01


def test_local_searches_are_rechecked_from_other_starts() -> None:
    # low-rank approximation has no spurious local minima (every local minimum of
    # |W2 W1 - U|^2 is global, Eckart-Young): searches from any starts decide alike. With one
    # random start and none next to the edge, searches on binary quartics of two neurons
    # (poly:2,2,1^4) end at different local minima, and the recheck says so
    net = nm.LinearNetwork((3, 2, 3))
    est = nm.voronoi_mc(net, "rank <= 1", 300, seed=3, progress=False, method="multistart", recheck=60)
    assert (est.rechecked, est.recheck_changed) == (60, 0) and "changed 0 of 60" in str(est)
    assert nm.voronoi_mc(net, "rank <= 1", 300, seed=3, progress=False, method="multistart").rechecked == 30  # a tenth
    assert nm.voronoi_mc(net, "rank <= 1", 300, seed=3, progress=False, method="exhaustive", recheck=60).rechecked == 0
    # the main job's estimates: certified for linear networks, rechecked where local searches decide
    assert all(e.exhaustive and not e.rechecked for e in vn.stratum_probabilities(net, 300, seed=3, method="multistart"))
    local = [e for e in vn.stratum_probabilities(nm.parse("poly:2,2,2,1^2+bias"), 100, seed=3) if not e.exhaustive]
    assert [e.target for e in local] == ["boundary"] and local[0].rechecked == 10 and 0 <= local[0].recheck_changed <= 10
    quartics = nm.parse("poly:2,2,1^4")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(vn, "MULTISTART_STARTS", 1)
        mp.setattr(vn, "EDGE_STARTS", 0)
        mp.setattr(vn, "EDGE_RESTARTS", 0)
        runs = [nm.voronoi_mc(quartics, "boundary", 100, seed=0, progress=False, method="multistart", recheck=100) for _ in range(2)]
    assert runs[0].recheck_changed > 0 and runs[0].to_dict() == runs[1].to_dict()  # and reproducible
    assert 0 <= runs[0].recheck_changed <= runs[0].rechecked == 100


@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 400), recheck=st.one_of(st.none(), st.integers(0, 500)), chunk=st.integers(1, 300))
def test_the_recheck_takes_its_samples_from_the_first_chunk(n: int, recheck: int | None, chunk: int) -> None:
    # min(recheck, n, chunk size) samples, by default a tenth of n up to 100; never for exact
    # methods; the counts are those of a run without it
    net = nm.LinearNetwork((2, 1, 2))
    est = nm.voronoi_mc(net, "zero function", n, seed=1, progress=False, method="multistart", chunk_size=chunk, recheck=recheck)
    assert est.rechecked == min(min(100, n // 10) if recheck is None else recheck, n, chunk)
    assert 0 <= est.recheck_changed <= est.rechecked
    plain = nm.voronoi_mc(net, "zero function", n, seed=1, progress=False, method="multistart", chunk_size=chunk, recheck=0)
    assert (plain.hits, plain.n_failed, plain.rechecked) == (est.hits, est.n_failed, 0)
    assert nm.voronoi_mc(nm.PlaneCurve("y**2 - x**3"), "singular", n, seed=1, progress=False, recheck=recheck).rechecked == 0


def test_counts_do_not_depend_on_the_thread_count() -> None:
    cusp = nm.PlaneCurve("y**2 - x**3")
    net = nm.LinearNetwork((2, 1, 2))
    before = nm.get_num_threads()
    try:
        out = []
        for threads in (1, 2):
            nm.set_num_threads(threads)
            a = nm.voronoi_mc(cusp, "singular", 100_000, nm.Gaussian(0.7), seed=4, progress=False)
            b = nm.voronoi_mc(net, "singular", 300, seed=4, progress=False, chunk_size=100, method="exhaustive")
            out.append((a.hits, a.n_failed, b.hits, b.n_failed))
        assert out[0] == out[1]
    finally:
        nm.set_num_threads(before)


def test_dask_local_cluster_gives_the_counts_of_a_local_run() -> None:
    distributed = pytest.importorskip("distributed")
    cusp = nm.PlaneCurve("y**2 - x**3")
    net = nm.PolynomialNetwork((2, 2, 1), 4)
    local = nm.voronoi_mc(cusp, "singular", 300_000, BOX, seed=9, progress=False)
    local_net = nm.voronoi_mc(net, "singular", 300, seed=9, progress=False, chunk_size=50, method="multistart")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            remote = nm.voronoi_mc(cusp, "singular", 300_000, BOX, seed=9, progress=False, client=client)
            remote_net = nm.voronoi_mc(net, "singular", 300, seed=9, progress=False, chunk_size=50, client=client, method="multistart")
    assert (remote.hits, remote.n_failed, remote.n) == (local.hits, local.n_failed, local.n)
    assert (remote_net.hits, remote_net.n_failed) == (local_net.hits, local_net.n_failed)


# long enough (about 4 s on two threads) that the interruption, sent as soon as the first
# chunks are saved, comes before the end even on a busy machine
RUN_SAMPLES, RUN_CHUNK = 16_000_000, 20_000
RUN = textwrap.dedent(
    f"""
    import signal
    import sys
    import neuromanifold as nm
    # Ctrl-C as in a terminal, whatever the test runner's children inherit
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])
    signal.signal(signal.SIGINT, signal.default_int_handler)
    nm.voronoi_mc(nm.PlaneCurve("y**2 - x**3"), "singular", {RUN_SAMPLES}, nm.UniformBox(-1, 1),
                  seed=5, progress=False, checkpoint=sys.argv[1], chunk_size={RUN_CHUNK})
    """
)


@pytest.fixture(scope="module")
def uninterrupted_run() -> nm.VoronoiEstimate:
    return nm.voronoi_mc(nm.PlaneCurve("y**2 - x**3"), "singular", RUN_SAMPLES, BOX, seed=5, progress=False, chunk_size=RUN_CHUNK)


def _start_and_wait_for_checkpoint(path: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-c", RUN, path])
    deadline = time.monotonic() + 60
    while not os.path.exists(path):
        assert proc.poll() is None, "the run ended before its first checkpoint"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return proc


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["kill", "ctrl-c"])
def test_resume_after_interruption_gives_the_uninterrupted_counts(tmp_path, how, uninterrupted_run) -> None:
    path = str(tmp_path / "run.json")
    proc = _start_and_wait_for_checkpoint(path)
    proc.send_signal(how)
    t0 = time.monotonic()
    proc.wait(timeout=30)
    if how == signal.SIGINT:
        assert time.monotonic() - t0 < 5  # stops promptly
    saved = json.load(open(path))["chunks"]
    assert 0 < len(saved) < RUN_SAMPLES // RUN_CHUNK, f"the run was not interrupted (exit code {proc.returncode})"
    resumed = nm.voronoi_mc(nm.PlaneCurve("y**2 - x**3"), "singular", RUN_SAMPLES, BOX, checkpoint=path, seed=5, progress=False, chunk_size=RUN_CHUNK)
    whole = uninterrupted_run
    assert (resumed.hits, resumed.n_failed, resumed.n) == (whole.hits, whole.n_failed, whole.n)


def test_checkpoint_of_another_run_is_refused(tmp_path) -> None:
    path = tmp_path / "run.json"
    cusp = nm.PlaneCurve("y**2 - x**3")
    nm.voronoi_mc(cusp, "singular", 10_000, BOX, seed=0, progress=False, checkpoint=path)
    with pytest.raises(ValueError, match="another run"):
        nm.voronoi_mc(cusp, "singular", 10_000, BOX, seed=1, progress=False, checkpoint=path)


def test_bad_input_is_refused_clearly() -> None:
    cusp = nm.PlaneCurve("y**2 - x**3")
    with pytest.raises(ValueError, match="unknown target"):
        nm.voronoi_mc(cusp, "cusp", 10, progress=False)
    with pytest.raises(ValueError, match="does not lie on the curve"):
        nm.voronoi_mc(cusp, (1.0, 0.0), 10, progress=False)
    with pytest.raises(ValueError, match="polynomial"):
        nm.PlaneCurve("sin(x) - y")
    with pytest.raises(ValueError, match="unknown symbols"):
        nm.PlaneCurve("y**2 - z**3")
    with pytest.raises(ValueError, match="positive"):
        nm.voronoi_mc(cusp, "singular", 0, progress=False)
    with pytest.raises(TypeError):
        nm.voronoi_mc(cusp, "singular", "many", progress=False)
    for n in (1e30, 2**53 + 1):  # (counts must stay exact)
        with pytest.raises(ValueError, match="at most 2\\*\\*53"):
            nm.voronoi_mc(nm.LinearNetwork((2, 1, 2)), "singular", n, progress=False)
    with pytest.raises(ValueError, match="scale"):
        nm.Gaussian(-1.0)
    with pytest.raises(ValueError, match="low < high"):
        nm.UniformBox(1.0, 0.0)
    with pytest.raises(ValueError, match="dimension"):
        nm.voronoi_mc(nm.LinearNetwork((2, 1, 2)), "singular", 10, nm.UniformBox((0, 0), (1, 1)), progress=False)
    with pytest.raises(ValueError, match="activation.*multistart"):
        nm.voronoi_mc(nm.ConvNetwork((2, 2), activation=(0, 1, 1)), "singular", 10, method="exhaustive", progress=False)
    with pytest.raises(ValueError, match="boundary.*linear convolutional"):
        nm.voronoi_mc(nm.PolynomialNetwork((3, 2, 1), 2, bias=True), "boundary", 10, method="exhaustive", progress=False)
    with pytest.raises(ValueError, match="unknown target"):
        nm.voronoi_mc(nm.LinearNetwork((2, 1, 2)), "cusp", 10, progress=False)
    with pytest.raises(ValueError, match="point strata"):
        nm.voronoi_mc(nm.LinearNetwork((2, 1, 2)), np.ones(4), 10, progress=False)
    with pytest.raises(ValueError, match="4 coordinates"):
        nm.voronoi_mc(nm.LinearNetwork((2, 1, 2)), (0.0, 0.0), 10, progress=False)
    with pytest.raises(TypeError, match="variety"):
        nm.voronoi_mc(3.0, "singular", 10, progress=False)
    with pytest.raises(ValueError, match="dimension of M"):  # (I + W2) x: every matrix, all of M
        nm.voronoi_mc(nm.parse("residual:2,2"), 0, 10, progress=False)
    with pytest.raises(ValueError, match="directory"):
        nm.voronoi_mc(cusp, "singular", 10, checkpoint=os.getcwd(), progress=False)
    with pytest.raises(ValueError, match="does not exist"):
        nm.voronoi_mc(cusp, "singular", 10, checkpoint=os.path.join(os.getcwd(), "no such directory", "run.json"), progress=False)
    with pytest.raises(TypeError, match="file path"):
        nm.voronoi_mc(cusp, "singular", 10, checkpoint=3, progress=False)
    with pytest.raises(TypeError, match="dask.distributed.Client"):
        nm.voronoi_mc(cusp, "singular", 10, client=object(), progress=False)
    with pytest.raises(ValueError, match="recheck"):
        nm.voronoi_mc(cusp, "singular", 10, recheck=-1, progress=False)
    with pytest.raises(TypeError, match="recheck"):
        nm.voronoi_mc(cusp, "singular", 10, recheck=2.5, progress=False)


@settings(max_examples=25, deadline=None)
@given(hits=st.integers(0, 10_000), extra=st.integers(0, 10_000))
def test_wilson_interval_contains_the_proportion(hits: int, extra: int) -> None:
    n = hits + extra
    lo, hi = nm.wilson_interval(hits, n)
    assert 0.0 <= lo <= hi <= 1.0
    if n:
        assert lo <= hits / n <= hi


@settings(max_examples=15, deadline=None)
@given(a=st.floats(0.2, 3.0), b=st.floats(-0.5, 0.5), seed=st.integers(0, 2**32 - 1))
def test_smooth_parabola_points_attract_nothing(a: float, b: float, seed: int) -> None:
    parabola = nm.PlaneCurve(f"y - {a!r}*x**2")
    est = nm.voronoi_mc(parabola, (b, a * b * b), 2000, nm.Gaussian(1.0), seed=seed, progress=False)
    assert est.hits == 0


def test_cli_voronoi_prints_json_and_draws_the_cells(tmp_path, capsys) -> None:
    from neuromanifold.cli import main

    png = tmp_path / "cusp.png"
    assert main(["voronoi", "t**2; t**3", "--samples", "2e4", "--distribution", "box", "--quiet", "--json", "--plot", str(png)]) == 0
    out = json.loads(capsys.readouterr().out)
    direct = nm.voronoi_mc(nm.PlaneCurve.parametrized("t**2", "t**3"), "singular", 20_000, BOX, progress=False)
    assert out["hits"] == direct.hits and out["n"] == 20_000 and png.stat().st_size > 0
    assert main(["voronoi", "sin(x) - y", "--samples", "10", "--quiet"]) == 2
    assert main(["voronoi", "linear:2,1,2", "--target", "nowhere", "--samples", "10", "--quiet"]) == 2


def test_analyze_reports_voronoi_probabilities_of_the_strata() -> None:
    from neuromanifold.cli import analyze

    result = analyze("linear:2,1,2", voronoi_samples=100)
    names = [e["target"] for e in result["voronoi"]]
    assert names == ["zero function", "boundary"]  # the edge: the zero function, proven null
    assert result["voronoi"][1]["method"] == "certificate" and result["voronoi"][1]["p"] == 0
    e = result["voronoi"][0]
    assert e["n"] == 100 and e["hits"] == 0 and 0 <= e["ci95"][0] <= e["ci95"][1] <= 1


def test_plane_slice_picture_of_a_network(tmp_path) -> None:
    png = nm.plot.voronoi(nm.ConvNetwork((2, 2)), tmp_path / "conv.png", samples=300)
    assert os.path.getsize(png) > 0
    # networks whose strata are proven null are drawn from their distances too, and so are ReLU
    # networks at input points
    relu = nm.NeuromanifoldAt(nm.parse("relu:1,2,1"), np.array([[-1.0, 0.3, 1.2, 2.0]]))
    for net, name in [(nm.parse("poly:2,2,1^3"), "cubics.png"), (relu, "relu.png")]:
        assert os.path.getsize(nm.plot.voronoi(net, tmp_path / name, samples=200)) > 0
    with pytest.raises(TypeError, match="plane curves and networks"):
        nm.plot.voronoi("y - x", tmp_path / "x.png")


def test_parametrized_variety_decides_like_the_plane_curve() -> None:
    # the cusp as a polynomial map t -> (t^2, t^3), its critical points in t from the
    # homotopy engine, against the plane curve's critical polynomial on the same samples
    from neuromanifold.voronoi import _make_job

    var = nm.ParametrizedVariety(["t**2", "t**3"], ["t"], singular_points=[[0.0, 0.0]])
    curve = nm.PlaneCurve.parametrized("t**2", "t**3")
    S = nm.voronoi_samples(curve, 400, BOX, seed=6)
    job = _make_job(var, "singular", BOX, 0, 400, "auto", 400)
    ours = job.decide(S)
    theirs = curve.decide(S)
    sure = (ours >= 0) & (theirs >= 0)
    assert sure.mean() > 0.97 and np.array_equal(ours[sure], theirs[sure])
    est = nm.voronoi_mc(var, (0, 0), 400, BOX, seed=6, progress=False)
    assert est.exhaustive and est.ci95[0] > 0.3


def test_parametrized_variety_input_is_checked() -> None:
    with pytest.raises(ValueError, match="finite-to-one"):
        nm.ParametrizedVariety(["s + t", "s + t"], ["s", "t"])
    with pytest.raises(ValueError, match="unknown symbols"):
        nm.ParametrizedVariety(["s", "u**2"], ["s"])
    cubic = nm.ParametrizedVariety(["t", "t**2", "t**3"], ["t"])
    with pytest.raises(ValueError, match="no singular points"):
        nm.voronoi_mc(cubic, "singular", 10, progress=False)
    with pytest.raises(ValueError, match="not one of"):
        nm.voronoi_mc(cubic, (1.0, 1.0, 1.0), 10, progress=False)


# -- parametrized varieties with positive-dimensional strata ---------------------------------

UMBRELLA = (["s*t", "s", "t**2"], ["s", "t"])  # Whitney umbrella x^2 = y^2 z, z >= 0


def umbrella_map(Y: np.ndarray) -> np.ndarray:
    s, t = Y[..., 0], Y[..., 1]
    return np.stack([s * t, s, t**2], axis=-1)


def umbrella_jacobian(Y: np.ndarray) -> np.ndarray:
    s, t = Y[..., 0], Y[..., 1]
    zero, one = np.zeros_like(s), np.ones_like(s)
    return np.stack([np.stack([t, s], -1), np.stack([one, zero], -1), np.stack([zero, 2 * t], -1)], axis=-2)


def sheared_edge_map(Y: np.ndarray) -> np.ndarray:
    s, t = Y[..., 0], Y[..., 1]
    return np.stack([s, t**2, t**3 + s * t**2], axis=-1)


def sheared_edge_jacobian(Y: np.ndarray) -> np.ndarray:
    s, t = Y[..., 0], Y[..., 1]
    zero, one = np.zeros_like(s), np.ones_like(s)
    return np.stack([np.stack([one, zero], -1), np.stack([zero, 2 * t], -1), np.stack([t**2, 3 * t**2 + 2 * s * t], -1)], axis=-2)


def brute_force_nearest(phi, jac, U: np.ndarray, s_range: float, t_range: float, gap: float = 0.0):
    """Squared distance from each row of U to the surface phi(s, t) (|t| >= gap, |s| <= s_range,
    |t| <= t_range), independently of the library: the nearest points of a grid on each side of
    t = 0 start Levenberg-Marquardt descents in numpy; descents ending within the gap of t = 0 are
    dropped (that curve is the stratum, compared exactly)."""
    s = np.arange(-s_range, s_range + 1e-9, 0.02)
    best = np.full(len(U), np.inf)
    for sign in (1.0, -1.0):
        t = sign * np.arange(max(gap, 0.01), t_range + 1e-9, 0.02)
        grid = np.stack(np.meshgrid(s, t, indexing="ij"), axis=-1).reshape(-1, 2)
        _, idx = cKDTree(phi(grid)).query(U, k=4)
        Y = grid[idx]  # (B, 4, 2) starts
        target = U[:, None, :]
        f = ((phi(Y) - target) ** 2).sum(-1)
        lam = np.full(f.shape, 1e-3)
        for _ in range(200):
            r, J = phi(Y) - target, jac(Y)
            H = np.einsum("bsnk,bsnl->bskl", J, J) + lam[..., None, None] * np.eye(2)
            step = -np.linalg.solve(H, np.einsum("bsnk,bsn->bsk", J, r)[..., None])[..., 0]
            f_new = ((phi(Y + step) - target) ** 2).sum(-1)
            better = f_new < f
            Y = np.where(better[..., None], Y + step, Y)
            f = np.where(better, f_new, f)
            lam = np.where(better, lam / 3, lam * 4)
        f = np.where(np.abs(Y[..., 1]) >= gap, f, np.inf)
        best = np.minimum(best, f.min(axis=1))
    return best


def decisions_against(d_target: np.ndarray, d_rest: np.ndarray, band: float) -> np.ndarray:
    """1 if the target is nearer than the rest by the band, 0 if the rest is nearer, else -1."""
    out = np.where(d_target < d_rest, 1, 0)
    return np.where(np.abs(d_target - d_rest) <= band * (1 + d_target), -1, out)


def test_whitney_umbrella_handle_attracts_nothing_like_brute_force() -> None:
    # two sheets of the umbrella cross transversally along the handle {(0, 0, z): z >= 0}: at a
    # point of it that is nearest to u, u - p is normal to both sheets, so u lies on a line, and
    # the handle's Voronoi cell has measure zero (like a node's). Every miss is witnessed by a
    # point of the surface, found without the library, nearer than the handle.
    from neuromanifold.voronoi import _make_job

    var = nm.ParametrizedVariety(*UMBRELLA, strata={"handle": (["0", "0", "t**2"], ["t"])}, singular_points=[[0, 0, 0]])
    n = 400
    for target, d_target in [
        ("handle", lambda U: U[:, 0] ** 2 + U[:, 1] ** 2 + np.minimum(U[:, 2], 0) ** 2),
        ("singular", lambda U: U[:, 0] ** 2 + U[:, 1] ** 2 + np.minimum(U[:, 2], 0) ** 2),
        ((0, 0, 0), lambda U: (U**2).sum(axis=1)),
    ]:
        job = _make_job(var, target, BOX, 11, n, "auto", n)
        U = job.samples(0)
        ours = job.decide(U)
        brute = decisions_against(d_target(U), brute_force_nearest(umbrella_map, umbrella_jacobian, U, 2.5, 1.8), 1e-7)
        sure = (brute >= 0) & (ours >= 0)
        assert sure.mean() > 0.97
        assert np.array_equal(ours[sure], brute[sure]) and not ours[sure].any()
        est = nm.voronoi_mc(var, target, n, BOX, seed=11, progress=False, chunk_size=n)
        assert est.hits == 0 and est.exhaustive and est.n_failed == int((ours < 0).sum())


def test_cuspidal_edge_decisions_agree_with_brute_force() -> None:
    # (s, t^2, t^3 + s t^2): a cusp in every plane x = s, sheared along the edge {(s, 0, 0)};
    # the edge attracts the data whose nearest point has t = 0, a positive proportion
    from neuromanifold.voronoi import _make_job

    var = nm.ParametrizedVariety(["s", "t**2", "t**3 + s*t**2"], ["s", "t"], strata={"edge": (["s", "0", "0"], ["s"])})
    n = 600
    job = _make_job(var, "edge", BOX, 5, n, "auto", n)
    U = job.samples(0)
    ours = job.decide(U)
    d_edge = U[:, 1] ** 2 + U[:, 2] ** 2  # nearest edge point (u1, 0, 0)
    d_smooth = brute_force_nearest(sheared_edge_map, sheared_edge_jacobian, U, 3.0, 1.8, gap=1e-3)
    brute = decisions_against(d_edge, d_smooth, 1e-6)
    sure = (brute >= 0) & (ours >= 0)
    assert sure.mean() > 0.97
    assert np.array_equal(ours[sure], brute[sure])
    assert 0.2 < (ours == 1).mean() < 0.8  # both outcomes are exercised
    est = nm.voronoi_mc(var, "edge", n, BOX, seed=5, progress=False, chunk_size=n)
    assert est.hits == int((ours == 1).sum()) and est.ci95[0] > 0.2


def test_edge_of_a_half_plane_attracts_half_of_a_gaussian() -> None:
    # (s, t^2, 0) is the half-plane {y >= 0, z = 0}; its boundary line {y = 0, z = 0} is nearest
    # exactly for the data with y < 0: probability 1/2 for a centred Gaussian. The variety's
    # own critical points include the boundary (t = 0 is critical for all data): they lie on
    # the target and must not compete with it. A point stratum on the edge attracts nothing.
    from neuromanifold.voronoi import _make_job

    half = nm.ParametrizedVariety(["s", "t**2", "0"], ["s", "t"], strata={"edge": (["s", "0", "0"], ["s"]), "origin": [0, 0, 0]})
    n = 2000
    gauss = nm.Gaussian(1.0)
    job = _make_job(half, "edge", gauss, 0, n, "auto", n)
    U = job.samples(0)
    ours = job.decide(U)
    clear = np.abs(U[:, 1]) > 1e-6
    assert np.array_equal(ours[clear], (U[clear, 1] < 0).astype(np.int8))
    est = nm.voronoi_mc(half, "edge", n, gauss, seed=0, progress=False, chunk_size=n)
    assert est.hits == int((U[:, 1] < 0).sum()) and est.n_failed == 0
    assert est.ci95[0] <= 0.5 <= est.ci95[1]
    union = nm.voronoi_mc(half, "singular", n, gauss, seed=0, progress=False, chunk_size=n)
    assert (union.hits, union.n_failed) == (est.hits, est.n_failed)
    origin = nm.voronoi_mc(half, "origin", n, gauss, seed=0, progress=False, chunk_size=n)
    by_point = nm.voronoi_mc(half, (0, 0, 0), n, gauss, seed=0, progress=False, chunk_size=n)
    assert origin.hits == by_point.hits == 0 and origin.n_failed == by_point.n_failed == 0


vectors = st.tuples(*[st.floats(-2.0, 2.0, allow_nan=False)] * 3)
tenths = st.integers(-10, 10).map(lambda k: k / 10)


@settings(max_examples=8, deadline=None)
@given(a=vectors, b=vectors, c=vectors)
def test_edge_of_any_half_plane_is_nearest_exactly_behind_it(a, b, c) -> None:
    # the half-plane {c + s a + r b : r >= 0} (r = t^2) in R^3: its edge c + s a is the nearest
    # point exactly when u - c has a negative component along b made orthogonal to a
    from hypothesis import assume

    from neuromanifold.voronoi import _make_job

    a, b, c = np.array(a), np.array(b), np.array(c)
    assume(np.linalg.norm(np.cross(a, b)) > 0.3 * max(np.linalg.norm(a) * np.linalg.norm(b), 1e-3))
    half = nm.ParametrizedVariety(
        [f"{c[i]:.17g} + {a[i]:.17g}*s + {b[i]:.17g}*t**2" for i in range(3)], ["s", "t"],
        strata={"edge": ([f"{c[i]:.17g} + {a[i]:.17g}*s" for i in range(3)], ["s"])},
    )
    n = 200
    job = _make_job(half, "edge", nm.Gaussian(1.0), 1, n, "auto", n)
    U = job.samples(0)
    ours = job.decide(U)
    b_perp = b - (b @ a) / (a @ a) * a
    side = (U - c) @ b_perp / np.linalg.norm(b_perp)
    clear = np.abs(side) > 1e-6
    assert (ours[clear] >= 0).mean() > 0.98
    decided = clear & (ours >= 0)
    assert np.array_equal(ours[decided], (side[decided] < 0).astype(np.int8))


@settings(max_examples=8, deadline=None)
@given(p=tenths, q=tenths, w=tenths, m=tenths.map(lambda x: 2 * x), k=tenths, seed=st.integers(0, 2**16))
def test_a_curve_on_a_smooth_surface_attracts_nothing(p, q, w, m, k, seed) -> None:
    # the graph of z = p s^2 + q t^2 + w s t is smooth; the curve over the line t = m s + k on it
    # is a stratum of dimension 1 inside the smooth part: the nearest point of a generic data
    # point is a critical point of the surface, where the data is normal to the surface, and
    # the data normal to the surface along a curve form a set of measure zero
    line = f"({m}*r + {k})"
    surface = nm.ParametrizedVariety(
        ["s", "t", f"{p}*s**2 + {q}*t**2 + {w}*s*t"], ["s", "t"],
        strata={"curve": (["r", line, f"{p}*r**2 + {q}*{line}**2 + {w}*r*{line}"], ["r"])},
    )
    est = nm.voronoi_mc(surface, "curve", 150, nm.Gaussian(1.0), seed=seed, progress=False, chunk_size=150)
    assert est.hits == 0 and est.n_failed <= 2


def test_strata_critical_points_are_exhaustive() -> None:
    # the handle t -> (0, 0, t^2): its critical equation 2 t (t^2 - u3) = 0 has the root t = 0
    # for all data (off the main component, which monodromy alone would miss); its nearest
    # point is (0, 0, max(u3, 0))
    from neuromanifold.voronoi import _make_job

    var = nm.ParametrizedVariety(*UMBRELLA, strata={"handle": (["0", "0", "t**2"], ["t"])})
    job = _make_job(var, "handle", nm.Gaussian(1.0), 3, 200, "auto", 200)
    U = job.samples(0)
    top, (handle,) = job.candidates(U)
    for u, pts in zip(U, handle):
        assert pts is not None
        nearest = ((pts - u) ** 2).sum(axis=1).min()
        assert np.isclose(nearest, u[0] ** 2 + u[1] ** 2 + min(u[2], 0.0) ** 2, rtol=1e-9, atol=1e-12)
    # the umbrella itself: the best real critical point is never farther than the handle
    for u, pts, h in zip(U, top, handle):
        assert ((pts - u) ** 2).sum(axis=1).min() <= ((h - u) ** 2).sum(axis=1).min() * (1 + 1e-9)


def test_strata_are_given_in_several_forms() -> None:
    from neuromanifold.voronoi import _make_job

    handle = nm.ParametrizedVariety(["0", "0", "t**2"], ["t"])
    a = nm.ParametrizedVariety(*UMBRELLA, strata={"handle": handle, "origin": (["0", "0", "0"], [])})
    b = nm.ParametrizedVariety(*UMBRELLA, strata={"handle": (["0", "0", "u**2"], ["u"]), "origin": [0.0, 0.0, 0.0]})
    assert a.strata["handle"] is handle and isinstance(b.strata["handle"], nm.ParametrizedVariety)
    assert np.array_equal(a.strata["origin"], np.zeros(3)) and np.array_equal(b.strata["origin"], np.zeros(3))
    assert "handle" in repr(a)
    U = nm.Gaussian(1.0).draw(np.random.default_rng(0), 50, 3)
    for target in ("handle", "origin", (0, 0, 0), "singular"):
        da = _make_job(a, target, BOX, 0, 50, "auto", 50).decide(U)
        db = _make_job(b, target, BOX, 0, 50, "auto", 50).decide(U)
        assert np.array_equal(da, db)


def test_strata_input_is_checked() -> None:
    with pytest.raises(ValueError, match="2 components, but the variety lies in R\\^3"):
        nm.ParametrizedVariety(*UMBRELLA, strata={"handle": (["0", "t**2"], ["t"])})
    with pytest.raises(ValueError, match="stratum 'handle'.*unknown symbols"):
        nm.ParametrizedVariety(*UMBRELLA, strata={"handle": (["0", "0", "s**2"], ["t"])})
    with pytest.raises(ValueError, match="stratum 'handle'.*polynomial"):
        nm.ParametrizedVariety(*UMBRELLA, strata={"handle": (["0", "0", "sin(t)"], ["t"])})
    with pytest.raises(ValueError, match="stratum 'handle'.*finite-to-one"):
        nm.ParametrizedVariety(*UMBRELLA, strata={"handle": (["0", "0", "s*t"], ["s", "t"])})
    with pytest.raises(ValueError, match="unknown symbols"):
        nm.ParametrizedVariety(*UMBRELLA, strata={"origin": (["0", "0", "t"], [])})
    with pytest.raises(ValueError, match="reserved"):
        nm.ParametrizedVariety(*UMBRELLA, strata={"singular": [0, 0, 0]})
    with pytest.raises(ValueError, match="3 components|R\\^3"):
        nm.ParametrizedVariety(*UMBRELLA, strata={"origin": [0, 0]})
    with pytest.raises(ValueError, match="finite"):
        nm.ParametrizedVariety(*UMBRELLA, strata={"origin": [0, np.nan, 0]})
    with pytest.raises(ValueError, match="strata of its own"):
        inner = nm.ParametrizedVariety(["0", "0", "t**2"], ["t"], singular_points=[[0, 0, 0]])
        nm.ParametrizedVariety(*UMBRELLA, strata={"handle": inner})
    with pytest.raises(TypeError, match="mapping"):
        nm.ParametrizedVariety(*UMBRELLA, strata=[(["0", "0", "t**2"], ["t"])])
    with pytest.raises(TypeError, match="names"):
        nm.ParametrizedVariety(*UMBRELLA, strata={1: [0, 0, 0]})
    with pytest.raises(TypeError, match="string"):
        nm.ParametrizedVariety(*UMBRELLA, strata={"handle": "0; 0; t**2"})
    with pytest.raises(ValueError, match="distinct"):
        nm.ParametrizedVariety(["s", "t"], ["s", "s"])
    with pytest.raises(ValueError, match="singular points must have 3 coordinates"):
        nm.ParametrizedVariety(*UMBRELLA, singular_points=[0, 0])
    var = nm.ParametrizedVariety(*UMBRELLA, strata={"handle": (["0", "0", "t**2"], ["t"])})
    with pytest.raises(ValueError, match="unknown target 'edge'.*'handle'"):
        nm.voronoi_mc(var, "edge", 10, progress=False)
    with pytest.raises(ValueError, match="not one of"):
        nm.voronoi_mc(var, (0, 0, 1), 10, progress=False)
