"""Voronoi cells of ReLU networks seen at input points (nm.NeuromanifoldAt): the image of
theta -> f_theta(X) is a finite union of images of polynomial maps (one per activation pattern).
With one hidden layer and one output it is a finite union of polyhedral cones, and the nearest
points are exact (``_voronoi_relu.py``); so with one neuron and several outputs (the best
rank-one fits over each face); else local searches (multistart, not exhaustive).

One hidden neuron on inputs x_1 < ... < x_n is solved in closed form: x -> a relu(w x + b) + c
takes the values c + alpha (x - t)_+ (w > 0) or c + alpha (t - x)_+ (w < 0), so M is the union
over kinks t of the planes span{1, r_t}. On an interval between input points r_t is affine in t,
and the best t is the one stationary point of a ratio of quadratics, or an end (a kink at an
input point). Where t leaves the data (an affine function) or only one extreme point is active
(a spike), D mu drops rank: those pieces are the edges of M, and they are nearest for a positive
share of the data."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neuromanifold as nm
import neuromanifold._voronoi_networks as vn
from neuromanifold._relu_revival import free_units, revived
from neuromanifold._voronoi_networks import NetworkJob, _least_squares, strata
from neuromanifold._voronoi_relu import ReluCells, one_layer_dimension

X1 = np.array([-1.3, -0.4, 0.2, 0.9, 1.7])


def exact_one_neuron(U: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Squared distance from each row of U to M of relu:1,1,1 at the points x, and the best
    squared projections of the centred data onto the edges (affine functions, spikes at an
    extreme point) and onto the other pieces."""
    n = len(x)
    xs = np.sort(x)
    Uc = U - U.mean(axis=1, keepdims=True)

    def gain(r: np.ndarray) -> np.ndarray:
        rc = r - r.mean()
        norm = rc @ rc
        return np.zeros(len(U)) if norm < 1e-14 else (Uc @ rc) ** 2 / norm

    edge = gain(x)  # affine functions
    for p in (np.argmin(x), np.argmax(x)):
        edge = np.maximum(edge, gain(np.eye(n)[p]))
    inner = np.zeros(len(U))
    for sign in (1, -1):
        for t in xs[1:-1]:  # kinks at inner input points
            r = np.maximum(sign * (x - t), 0)
            if (r > 0).sum() >= 2:
                inner = np.maximum(inner, gain(r))
        for lo, hi in zip(xs[:-1], xs[1:]):
            active = x > lo if sign == 1 else x < hi
            if active.sum() < 2:
                continue  # a spike: the whole interval gives one edge plane
            # r_t = sign (v - t e) on the active points; the stationary t of <u, r>^2 / |r|^2
            e = active.astype(float)
            v, e = x * e - (x * e).mean(), e - e.mean()
            a0, a1 = Uc @ v, Uc @ e
            q0, q1, q2 = v @ v, v @ e, e @ e
            with np.errstate(divide="ignore", invalid="ignore"):
                t = (a1 * q0 - a0 * q1) / (a1 * q1 - a0 * q2)
                value = (a0 - t * a1) ** 2 / (q0 - 2 * t * q1 + t**2 * q2)
            inner = np.maximum(inner, np.where((t > lo) & (t < hi), value, 0.0))
    return (Uc**2).sum(axis=1) - np.maximum(edge, inner), edge, inner


def one_neuron_job(target: str = "boundary", n: int = 400, seed: int = 0, method: str = "auto") -> NetworkJob:
    return NetworkJob.create(nm.NeuromanifoldAt(nm.parse("relu:1,1,1"), X1[None, :]), target, nm.Gaussian(), seed, n, method, n, certify=False)


@pytest.mark.parametrize("method", ["auto", "multistart"])
def test_one_neuron_distances_and_edges_match_the_closed_form(method: str) -> None:
    j = one_neuron_job(method=method)
    assert (j.method, j.exhaustive) == (("exhaustive", True) if method == "auto" else ("multistart", False))
    assert [(s.name, s.dim) for s in j.strata] == [("smooth part", 3), ("constant functions (a hidden layer switched off)", 1), ("zero function", 0)]
    U = j.samples(0)
    D, rank_drop = j.distances(U, 0)
    dist, edge, inner = exact_one_neuron(U, X1)
    d = j.decide_from(D, rank_drop, [-1])
    clear = np.abs(edge - inner) > 1e-3 * (edge + inner)
    on_edge = edge > inner
    if j.exhaustive:
        # the least projection onto the faces of the neuron's cones is the distance itself, and
        # the nearest face lies next to a piece of lower rank exactly on the edges
        assert np.allclose(D[:, 0], dist, rtol=1e-9, atol=1e-12)
        assert (d >= 0).all() and np.array_equal(d[clear] == 1, on_edge[clear])
    else:
        # a local search's value is attained by its parameters, so never below the minimum; with
        # kinks anchored at the data and the stalls at kinks polished, it finds the minimum
        assert np.all(D[:, 0] >= dist * (1 - 1e-9) - 1e-12)
        assert np.mean(D[:, 0] <= dist * (1 + 1e-7) + 1e-12) >= 0.99
        decided = clear & (d >= 0)
        assert decided.mean() > 0.9
        assert np.mean((d[decided] == 1) == on_edge[decided]) >= 0.98
    # the edges (affine functions, spikes) are nearest for a positive share of the data
    assert 0.1 < on_edge.mean() < 0.9
    # the constants lie in every piece: nearest only for data orthogonal to all of them
    assert (j.decide_from(D, rank_drop, [1]) == 1).sum() == 0


def test_one_neuron_with_several_outputs_matches_a_dense_scan_of_its_kink() -> None:
    # x -> a relu(w x + b) + c with a in R^3: for a fixed kink t the best a and c are least
    # squares, capturing |Y~ r~|^2 / |r~|^2 of the centred data; a dense scan of t on both sides
    # (the inner pieces), the affine functions and the spikes at the extreme points (the edges)
    m = 3
    M = nm.NeuromanifoldAt(nm.parse(f"relu:1,1,{m}"), X1[None, :])
    j = NetworkJob.create(M, "boundary", nm.Gaussian(), 0, 300, "auto", 300, certify=False)
    assert (j.method, j.exhaustive) == ("exhaustive", True)
    U = j.samples(0)
    D, rank_drop = j.distances(U, 0)
    Yc = U.reshape(len(U), m, len(X1))
    Yc = Yc - Yc.mean(axis=2, keepdims=True)

    def gain(R: np.ndarray) -> np.ndarray:  # R (T, K): the best over its rows, per sample
        Rc = R - R.mean(axis=1, keepdims=True)
        return (((Yc @ Rc.T) ** 2).sum(axis=1) / (Rc**2).sum(axis=1)).max(axis=1)

    edge = gain(np.vstack([X1, np.eye(len(X1))[[np.argmin(X1), np.argmax(X1)]]]))
    t = np.linspace(X1.min(), X1.max(), 6001)
    R = np.vstack([np.maximum(X1[None, :] - t[:, None], 0), np.maximum(t[:, None] - X1[None, :], 0)])
    inner = gain(R[(R > 0).sum(axis=1) >= 2])
    dist = (Yc**2).sum(axis=(1, 2)) - np.maximum(edge, inner)
    # exact: never above a scanned kink's distance, and as close to it as the scan's spacing allows
    assert np.all(D[:, 0] <= dist * (1 + 1e-9) + 1e-12)
    assert np.allclose(D[:, 0], dist, rtol=1e-5, atol=1e-9)
    d = j.decide_from(D, rank_drop, [-1])
    clear = np.abs(edge - inner) > 1e-3 * (edge + inner)
    assert (d >= 0).all() and np.array_equal(d[clear] == 1, (edge > inner)[clear])
    assert 0.1 < (edge > inner).mean() < 0.9


def test_two_neurons_with_several_outputs_match_a_dense_scan_of_their_kinks() -> None:
    # x -> a_1 relu(w_1 x + b_1) + a_2 relu(w_2 x + b_2) + c, a_i in R^2: for fixed kinks the best
    # a's and c are least squares; a dense scan of both kinks and sides bounds the distance from
    # above (over well-conditioned pairs), and comes near it, also where the nearest point is a
    # limit of two neurons merging at a kink (output weights growing without bound; among these
    # samples also the increasing and decreasing affine functions, equal up to the bias)
    m = 2
    M = nm.NeuromanifoldAt(nm.parse(f"relu:1,2,{m}"), X1[None, :])
    cells = ReluCells.of(M)
    U = np.random.default_rng(11).standard_normal((240, M.ambient_dim))
    best, first, _, _ = cells.nearest(U, [2])
    limit = np.array([cells.limits[f] for f in first])
    assert 0 < limit.sum() < len(U)
    Yc = U.reshape(len(U), m, len(X1))
    Yc = Yc - Yc.mean(axis=2, keepdims=True)
    t = np.linspace(X1.min(), X1.max(), 401)
    R = np.vstack([np.maximum(X1[None, :] - t[:, None], 0), np.maximum(t[:, None] - X1[None, :], 0)])
    R = R - R.mean(axis=1, keepdims=True)
    R = R[np.linalg.norm(R, axis=1) > 1e-9]
    R /= np.linalg.norm(R, axis=1, keepdims=True)
    G = R @ R.T
    det = 1.0 - G**2
    scan = np.empty(len(U))
    for start in range(0, len(U), 20):
        Z = Yc[start : start + 20] @ R.T  # (b, m, n)
        zz = np.einsum("bmi,bmj->bij", Z, Z)
        own = np.diagonal(zz, axis1=1, axis2=2)
        with np.errstate(divide="ignore", invalid="ignore"):  # the energy of span(r_i, r_j), unit r's
            pairs = np.where(det > 1e-4, (own[:, :, None] - 2 * zz * G + own[:, None, :]) / det, 0.0)
        scan[start : start + 20] = (Yc[start : start + 20] ** 2).sum(axis=(1, 2)) - np.maximum(pairs.max(axis=(1, 2)), own.max(axis=1))
    assert np.all(best[:, 0] <= scan * (1 + 1e-9))
    gap = (scan - best[:, 0]) / scan
    assert gap[~limit].max() < 1e-2 and gap[limit].max() < 5e-2
    # limits are edges; the other nearest unions are attained by parameters
    assert all(cells.drops_rank(int(f), M.dim()) for f in first[limit])
    for u, f, b in zip(U[~limit][:40], first[~limit][:40], best[~limit, 0][:40]):
        assert np.isclose(((M.mu(cells.witness(M, u, int(f))) - u) ** 2).sum(), b, rtol=1e-8, atol=1e-10)


def test_a_limit_that_parameters_attain_is_no_edge() -> None:
    # the cone of a merging limit can overlap an attained union's cone beside the same free ray:
    # where the nearest point lies in the overlap, both tie at one point, which the attained
    # union's parameters reach with D mu of full rank, so it is no edge (here 3 of 1000 samples)
    M = nm.NeuromanifoldAt(nm.parse("relu:1,2,2"), X1[None, :])
    job = NetworkJob.create(M, "boundary", nm.Gaussian(), 0, 1000, "exhaustive", 1000)
    U = job.samples(0)
    D, drop = job._relu_distances(U)
    cells = ReluCells.of(M)
    _, first, runner, _ = cells.nearest(U, [2])
    both = [i for i in range(len(U)) if runner[i] >= 0 and cells.attained_limit(U[i], int(first[i]), int(runner[i]))]
    assert both and (drop >= 0).all()
    for i in both:
        attained = int(runner[i]) if cells.limits[int(first[i])] else int(first[i])
        theta = cells.witness(M, U[i], attained)
        assert np.isclose(((M.mu(theta) - U[i]) ** 2).sum(), D[i, 0], rtol=1e-8)
        sv = np.linalg.svd(M.jacobian(theta), compute_uv=False)
        assert sv[M.dim() - 1] > 1e-6 * sv[0] and drop[i] == vn.RANK_FULL


def test_searches_decide_two_neurons_with_several_outputs_as_the_exact_method() -> None:
    # where the local searches reach the exact distance they decide the edge alike, also where
    # D mu is near a drop at a point of full rank (two neurons off at the same input points, with
    # nearly parallel output weights), which is no edge
    M = nm.NeuromanifoldAt(nm.parse("relu:1,2,2"), X1[None, :])
    exact = NetworkJob.create(M, "boundary", nm.Gaussian(), 0, 150, "exhaustive", 150)
    U = exact.samples(0)
    E, drop = exact._relu_distances(U)
    local = NetworkJob.create(M, "boundary", nm.Gaussian(), 0, 150, "multistart", 150)
    D, searched = local._multistart_distances(U, 0)
    reached = D[:, 0] <= E[:, 0] * (1 + 1e-9) + 1e-12 * (U**2).sum(axis=1)
    assert reached.sum() > 75 and (drop[reached] == vn.RANK_FULL).any() and (drop[reached] == vn.RANK_DROP).any()
    assert np.array_equal(searched[reached], drop[reached])


def test_merging_limits_share_a_ray_up_to_sign() -> None:
    from neuromanifold._relu_rank_one import merging_limit

    r, g, h = np.eye(3)
    same = merging_limit(np.array([r, g]), np.array([h, r]))
    assert same is not None and np.allclose(same[0][0], [g, -h]) and np.allclose(same[1], [r])
    # up to sign (x - x_1 and x_K - x with the biases): the weights grow alike, v in cone(g, h)
    opposite = merging_limit(np.array([r, g]), np.array([-r, h]))
    assert opposite is not None and np.allclose(opposite[0][0], [g, h])
    assert merging_limit(np.array([r, g]), np.array([h, (r + g) / np.sqrt(2)])) is None


ONE_LAYER = st.sampled_from([(1, 2, 1), (2, 2, 1), (1, 3, 1), (3, 2, 1)])
ONE_NEURON = st.sampled_from([(1, 1, 2), (2, 1, 2), (1, 1, 3), (3, 1, 2)])
TWO_NEURONS = st.sampled_from([(1, 2, 2), (1, 2, 3), (2, 2, 2)])  # on a plane of pre-activations


@settings(max_examples=20, deadline=None)
@given(widths=st.one_of(ONE_LAYER, ONE_NEURON, TWO_NEURONS), bias=st.booleans(), n_points=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_exact_distances_are_attained_and_beat_every_search(widths: tuple[int, ...], bias: bool, n_points: int, seed: int) -> None:
    bias = bias and not (widths[1] == 2 and widths[2] > 1 and widths[0] > 1)  # (a plane of pre-activations)
    rng = np.random.default_rng(seed)
    M = nm.NeuromanifoldAt(nm.ReLUNetwork(widths, bias=bias), rng.standard_normal((widths[0], n_points)))
    cells = ReluCells.of(M)
    U = rng.standard_normal((6, M.ambient_dim))
    best, first, _, _ = cells.nearest(U, [widths[1], 0] if bias else [widths[1]])
    # attained: parameters built from the nearest union of faces give that distance (unless it
    # is a limit of two neurons merging, in the closure of M only)
    limits = cells.limits or [False] * cells.n_unions
    for u, f, b in zip(U, first, best[:, 0]):
        if limits[f]:
            continue
        assert np.isclose(((M.mu(cells.witness(M, u, int(f))) - u) ** 2).sum(), b, rtol=1e-8, atol=1e-10)
    # and never beaten by random parameters or by local searches
    random = ((M.mu(rng.standard_normal((500, M.n_params)))[None, :, :] - U[:, None, :]) ** 2).sum(axis=2).min(axis=1)
    assert np.all(best[:, 0] <= random * (1 + 1e-9) + 1e-12)
    searched, _ = _least_squares(M, np.arange(M.n_params), U, rng)  # type: ignore[arg-type]
    assert np.all(best[:, 0] <= searched * (1 + 1e-9) + 1e-12)
    if bias:  # the constants: the mean
        centred = U.reshape(len(U), widths[-1], n_points)
        centred = centred - centred.mean(axis=2, keepdims=True)
        assert np.allclose(best[:, 1], (centred**2).sum(axis=(1, 2)))
    # M is a cone, and the order of the input points is no matter; nor is that of the outputs
    assert np.allclose(cells.nearest(3.0 * U, [widths[1]])[0][:, 0], 9.0 * best[:, 0], rtol=1e-9, atol=1e-9)
    order = rng.permutation(n_points)
    swapped = ReluCells.of(nm.NeuromanifoldAt(M.net, M.X[:, order]))
    values = U.reshape(len(U), widths[-1], n_points)
    moved = values[:, ::-1][:, :, order].reshape(len(U), -1)
    assert np.allclose(swapped.nearest(moved, [widths[1]])[0][:, 0], best[:, 0], rtol=1e-9, atol=1e-10)


def test_local_searches_see_the_spike_on_the_other_side_of_a_kink() -> None:
    # two neurons at five points: neuron 1 active at the last two points, its kink just above
    # x_4, neuron 2 at the first two. D mu has full rank there, but the same function is reached
    # with neuron 1 active at x_5 alone (a spike, where D mu drops rank): an edge point, as the
    # exact method decides; a kink between input points has full-rank pieces on both sides
    M = nm.NeuromanifoldAt(nm.ReLUNetwork((1, 2, 1)), X1[None, :])
    job = NetworkJob.create(M, "boundary", nm.Gaussian(), 0, 10, "multistart", 10)
    at_kink = np.array([1.0, -1.0, -X1[3] + 1e-12, 0.0, 1.0, 1.0, 0.0])  # W1, b1, a, c
    between = np.array([1.0, -1.0, -0.5, 0.0, 1.0, 1.0, 0.0])
    theta = np.array([at_kink, between])
    assert np.all(job._ratio_at(theta) > 0.1)
    assert job._drops_next_to(theta, 0).tolist() == [True, False]
    # where the searches reach the exact nearest point, they decide the edge as the exact method
    exact = NetworkJob.create(M, "boundary", nm.Gaussian(), 0, 200, "exhaustive", 200)
    U = exact.samples(0)
    E, drop_exact = exact._relu_distances(U)
    D, drop_searched = job._multistart_distances(U, 0)
    reached = D[:, 0] <= E[:, 0] * (1 + 1e-9) + 1e-12 * (U**2).sum(axis=1)
    assert reached.sum() >= 150 and (drop_exact[reached] == 1).sum() >= 100
    assert np.array_equal(drop_searched[reached], drop_exact[reached])


@pytest.mark.parametrize("spec", ["relu:1,3,1", "relu:2,3,2,1", "relu:2,2,2,2+nobias"])
def test_a_dead_unit_is_revived_without_changing_the_function(spec: str) -> None:
    rng = np.random.default_rng(4)
    net = nm.parse(spec)
    M = nm.NeuromanifoldAt(net, rng.standard_normal((net.widths[0], 7)))
    theta = rng.standard_normal((6, M.n_params))
    # kill a unit of the last hidden layer: every incoming weight 0, the bias (if any) negative
    widths, L = net.widths, len(net.widths) - 3
    first = sum(a * b + (b if net.bias else 0) for a, b in zip(widths[:L], widths[1 : L + 1]))
    din, dout = widths[L], widths[L + 1]
    theta[:, first : first + din] = 0.0
    if net.bias:
        theta[:, first + din * dout] = -1.0
    copies = revived(M, theta, 3, rng)
    assert copies.shape == (6, 3, M.n_params)
    assert np.allclose(M.mu(copies[:, 0]), M.mu(theta), atol=1e-12)  # the dead unit, redrawn
    assert np.all(copies[:, 0, first : first + din] != 0.0)
    for j in range(3):  # any redrawn unit: theta's values less its share
        changed = np.flatnonzero((copies[:, j] != theta).any(axis=0))
        assert len(changed) > 0


def test_a_subnetworks_search_revives_its_own_units_only() -> None:
    # (2, 3, 2, 1): a second-layer unit switched off (its parameters out of the support)
    net = nm.parse("relu:2,3,2,1")
    M = nm.NeuromanifoldAt(net, np.random.default_rng(1).standard_normal((2, 6)))
    sub = [s for s in M.subnetworks() if "layer 2" in s.description][0]
    support = np.array(sorted(int(i) for i in sub.embedding))
    free = free_units(M, support)
    assert free.tolist() == [True, True, True, True, False]  # three first-layer units, one second-layer unit left
    assert free_units(M, np.arange(M.n_params)).all()
    theta = np.zeros((4, M.n_params))
    theta[:, support] = np.random.default_rng(2).standard_normal((4, len(support)))
    copies = revived(M, theta, 8, np.random.default_rng(3), free)
    outside = np.setdiff1d(np.arange(M.n_params), support)
    assert np.all(copies[:, :, outside] == 0.0)
    assert not free_units(M, np.array([M.n_params - 1])).any()  # the constants: nothing to revive


def test_revived_searches_only_improve_and_reach_more_nearest_points() -> None:
    M = nm.NeuromanifoldAt(nm.ReLUNetwork((1, 3, 1)), np.array([[-1.3, -0.4, 0.2, 0.9, 1.7, 2.2]]))
    U = np.random.default_rng(2).standard_normal((200, 6))
    exact = ReluCells.of(M).nearest(U, [3])[0][:, 0]
    full = np.arange(M.n_params)
    with_revival, _ = _least_squares(M, full, U, np.random.default_rng(5))  # type: ignore[arg-type]
    rounds = vn.RELU_REVIVALS
    try:
        vn.RELU_REVIVALS = 0
        without, _ = _least_squares(M, full, U, np.random.default_rng(5))  # type: ignore[arg-type]
    finally:
        vn.RELU_REVIVALS = rounds
    assert np.all(with_revival <= without) and np.all(exact <= with_revival * (1 + 1e-9) + 1e-12)
    tolerance = exact * (1 + 1e-9) + 1e-12 * (U**2).sum(axis=1)
    assert (with_revival <= tolerance).sum() > (without <= tolerance).sum()  # searches that reach the nearest point


def test_exact_method_on_a_network_that_fills_its_points() -> None:
    # relu:1,2,1 at 5 points has dimension 5: data in M are their own nearest points (rank full
    # there), and the estimator agrees with the local searches wherever those reach the minimum
    M = nm.NeuromanifoldAt(nm.parse("relu:1,2,1"), X1[None, :])
    assert M.dim() == 5
    ex = NetworkJob.create(M, "boundary", nm.Gaussian(), 0, 300, "exhaustive", 300)
    ms = NetworkJob.create(M, "boundary", nm.Gaussian(), 0, 300, "multistart", 300)
    U = ex.samples(0)
    (De, re), (Dm, rm) = ex.distances(U, 0), ms.distances(U, 0)
    assert np.all(De <= Dm * (1 + 1e-9) + 1e-12)
    inside = De[:, 0] <= 1e-20 * (U**2).sum(axis=1)
    assert 0.05 < inside.mean() < 0.95 and (re[inside] == 0).all()
    assert (ex.decide_from(De, re, [-1])[inside] == 0).all()
    reached = np.abs(De[:, 0] - Dm[:, 0]) <= 1e-7 * De[:, 0]
    assert reached.sum() >= 50
    assert np.mean(ex.decide_from(De, re, [-1])[reached] == ms.decide_from(Dm, rm, [-1])[reached]) >= 0.85


def test_functional_dimension_finds_the_kinks_among_the_points() -> None:
    # three neurons with kinks in distinct gaps of six points, and the bias: rank min(6, 3 * 2 + 1);
    # standard normal parameters often put kinks outside the data
    for seed in range(5):
        X = np.random.default_rng(seed).standard_normal((1, 6))
        assert nm.functional_dimension(nm.parse("relu:1,3,1"), X) == 6
        assert nm.NeuromanifoldAt(nm.parse("relu:1,3,1"), X).dim() == 6


@settings(max_examples=10, deadline=None)
@given(widths=st.one_of(ONE_LAYER, ONE_NEURON, st.sampled_from([(1, 2, 2), (2, 2, 3)])), bias=st.booleans(), n_points=st.integers(1, 7), seed=st.integers(0, 2**16))
def test_exact_one_layer_dimension_is_the_largest_rank(widths: tuple[int, ...], bias: bool, n_points: int, seed: int) -> None:
    from neuromanifold.dimension import _kinks_among_points

    net = nm.ReLUNetwork(widths, bias=bias)
    X = np.random.default_rng(seed).standard_normal((widths[0], n_points))
    exact = one_layer_dimension(nm.NeuromanifoldAt(net, X))
    thetas = np.vstack([net.random_params(100, seed)] + ([_kinks_among_points(net, X, 300, seed)] if bias else []))
    ranks = [int(np.linalg.matrix_rank(net.jacobian(t, X).reshape(-1, net.n_params))) for t in thetas]
    # the largest rank over the cells: no parameter beats it, and random ones reach it
    assert exact is not None and max(ranks) == exact


def test_strata_are_subnetworks_at_the_same_points() -> None:
    rng = np.random.default_rng(3)
    X = rng.standard_normal((2, 6))
    M = nm.NeuromanifoldAt(nm.parse("relu:2,3,1"), X)
    assert M.ambient_dim == 6 and M.dim() == nm.functional_dimension(M.net, X)
    subs = M.subnetworks()
    assert [s.description for s in subs] == ["hidden layer 1 with one neuron switched off"]
    sub = subs[0]
    assert isinstance(sub.network, nm.NeuromanifoldAt) and sub.network.net.widths == (2, 2, 1)
    theta = rng.standard_normal((4, sub.network.n_params))
    assert np.allclose(M.mu(sub.embed(theta)), sub.network.mu(theta))
    names = [s.name for s in strata(M, 0)]  # type: ignore[arg-type]
    assert names[0] == "smooth part" and "constant functions (a hidden layer switched off)" in names and names[-1] == "zero function"
    no_bias = nm.NeuromanifoldAt(nm.parse("relu:2,3,1+nobias"), X)
    assert no_bias.constants() is None and "constant functions (a hidden layer switched off)" not in [s.name for s in strata(no_bias, 0)]  # type: ignore[arg-type]


def test_a_subnetwork_target_by_index() -> None:
    # relu:2,2,1 at four points: its subnetwork of one neuron, targeted by index
    X = np.array([[-1.0, 0.3, 1.2, 2.0], [0.5, -0.7, 0.1, 1.1]])
    M = nm.NeuromanifoldAt(nm.parse("relu:2,2,1"), X)
    by_index = nm.voronoi_mc(M, 0, 100, seed=1, progress=False)
    by_subnetwork = nm.voronoi_mc(M, M.subnetworks()[0], 100, seed=1, progress=False)
    assert by_index.exhaustive and (by_index.hits, by_index.n_failed) == (by_subnetwork.hits, by_subnetwork.n_failed)


def test_relu_counts_do_not_depend_on_threads_and_survive_pickling() -> None:
    M = nm.NeuromanifoldAt(nm.parse("relu:1,2,1"), X1[None, :])
    before = nm.get_num_threads()
    try:
        out = []
        for method in ("multistart", "auto"):
            out = []
            for threads in (1, 2):
                nm.set_num_threads(threads)
                est = nm.voronoi_mc(M, "boundary", 120, seed=2, progress=False, chunk_size=40, method=method)
                assert est.exhaustive == (method == "auto") and ("not exhaustive" in str(est)) == (method == "multistart")
                out.append((est.hits, est.n_failed))
            assert out[0] == out[1]
    finally:
        nm.set_num_threads(before)
    job = NetworkJob.create(M, "singular", nm.Gaussian(), 1, 60, "multistart", 30)
    copy = pickle.loads(pickle.dumps(job))
    assert copy.net == M and np.array_equal(copy.count(0, 2), job.count(0, 2))
    other = NetworkJob.create(nm.NeuromanifoldAt(nm.parse("relu:1,2,1"), X1[None, :] + 0.1), "singular", nm.Gaussian(), 1, 60, "multistart", 30)
    assert other.fingerprint() != job.fingerprint()


def test_relu_bad_input() -> None:
    net = nm.parse("relu:1,2,1")
    with pytest.raises(TypeError, match="NeuromanifoldAt"):
        nm.voronoi_mc(net, "singular", 10, progress=False)
    with pytest.raises(TypeError, match="takes a ReLUNetwork"):
        nm.NeuromanifoldAt(nm.parse("linear:2,1,2"), np.zeros((2, 3)))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="shape"):
        nm.NeuromanifoldAt(net, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="at least one input point"):
        nm.NeuromanifoldAt(net, np.zeros((1, 0)))
    with pytest.raises(ValueError, match="NaN"):
        nm.NeuromanifoldAt(net, np.array([[0.0, np.nan]]))
    M = nm.NeuromanifoldAt(net, X1[None, :])
    with pytest.raises(ValueError, match="piecewise linear"):
        nm.voronoi_mc(nm.NeuromanifoldAt(nm.parse("relu:1,2,2,1"), X1[None, :]), "boundary", 10, progress=False, method="exhaustive")
    with pytest.raises(ValueError, match="unknown target"):
        nm.voronoi_mc(M, "cusp", 10, progress=False)


def test_too_many_unions_of_faces_fall_back_to_local_searches() -> None:
    M = nm.NeuromanifoldAt(nm.parse("relu:2,4,1"), np.random.default_rng(0).standard_normal((2, 8)))
    with pytest.raises(ValueError, match="unions of faces"):
        nm.voronoi_mc(M, "boundary", 10, progress=False, method="exhaustive")
    assert NetworkJob.create(M, "boundary", nm.Gaussian(), 0, 10, "auto", 10).method == "multistart"


def test_too_many_unions_of_two_cones_fall_back_to_local_searches(monkeypatch: pytest.MonkeyPatch) -> None:
    import neuromanifold._voronoi_relu as vr

    M = nm.NeuromanifoldAt(nm.parse("relu:1,2,2"), np.linspace(-2.0, 2.0, 7)[None, :])
    monkeypatch.setattr(vr, "MAX_CONE_PAIRS", 10)
    monkeypatch.setattr(vr, "_BUILT", {})
    with pytest.raises(ValueError, match="unions of two cones"):
        nm.voronoi_mc(M, "boundary", 10, progress=False, method="exhaustive")
    assert NetworkJob.create(M, "boundary", nm.Gaussian(), 0, 10, "auto", 10).method == "multistart"


@pytest.mark.parametrize(
    "spec, X",
    [
        ("relu:1,2,1", [[0.0, 1.0, 1.0, 2.0, 3.0]]),  # a repeated input
        ("relu:2,2,1", [[0, 1, 2, 3, 0.5], [0, 1, 2, 3, -1.0]]),  # four inputs on a line
        ("relu:2,2,1+nobias", [[-1, -1, -1, 0, 0, 0, 1, 1, 1], [-1, 0, 1, -1, 0, 1, -1, 0, 1]]),  # a grid, the origin on it
    ],
)
def test_exact_method_on_inputs_in_special_position(spec: str, X: list[list[float]]) -> None:
    # cells with more zero coordinates than the rank needs, and repeated rows: the distances are
    # still attained and unbeaten
    M = nm.NeuromanifoldAt(nm.parse(spec), np.array(X, dtype=float))
    cells = ReluCells.of(M)
    U = np.random.default_rng(2).standard_normal((40, M.ambient_dim))
    best, first, _, _ = cells.nearest(U, [cells.neurons])
    for u, f, b in zip(U, first, best[:, 0]):
        assert np.isclose(((M.mu(cells.witness(M, u, int(f))) - u) ** 2).sum(), b, rtol=1e-8, atol=1e-10)
    random = ((M.mu(M.random_params(3000, seed=3))[None, :, :] - U[:, None, :]) ** 2).sum(axis=2).min(axis=1)
    searched, _ = _least_squares(M, np.arange(M.n_params), U, np.random.default_rng(0))  # type: ignore[arg-type]
    assert np.all(best[:, 0] <= np.minimum(random, searched) * (1 + 1e-9) + 1e-12)


def test_face_unions_refuse_bad_shapes() -> None:
    from neuromanifold import _core

    groups = [([1], False, np.eye(2), np.eye(2), [0, 1])]
    unions = _core.FaceUnions(2, groups)
    best, first, runner, value = unions.nearest(np.array([[3.0, -4.0]]), [1])
    assert best[0, 0] == 9.0 and first[0] == 1 and runner[0] == 0 and value[0] == 16.0  # the nearer axis
    with pytest.raises(ValueError, match="shape"):
        unions.nearest(np.zeros((1, 3)), [1])
    with pytest.raises(ValueError, match="entries"):
        _core.FaceUnions(2, [([1], False, np.eye(2)[:1], np.eye(2), [0, 1])]).nearest(np.zeros((1, 2)), [1])
    with pytest.raises(ValueError, match="NaN"):
        unions.nearest(np.array([[np.nan, 0.0]]), [1])


def test_rank_one_faces_refuse_bad_shapes() -> None:
    from neuromanifold import _core

    # the quadrant's axes in R^2, two outputs: Y = [[3, -4], [0, 1]] is nearest to its e2 column
    axes = (1, 0, np.zeros((0, 2)), np.eye(2), np.ones((2, 1)), [1, 1], [0, 1])
    faces = _core.RankOneFaces(2, 2, [axes])
    best, first, runner, value = faces.nearest(np.array([[3.0, -4.0, 0.0, 1.0]]), [1])
    assert np.isclose(best[0, 0], 9.0) and first[0] == 1 and runner[0] == 0 and np.isclose(value[0], 17.0)
    with pytest.raises(ValueError, match="shape"):
        faces.nearest(np.zeros((1, 3)), [1])
    with pytest.raises(ValueError, match="rows of length"):
        _core.RankOneFaces(2, 2, [(1, 0, np.zeros((0, 2)), np.eye(3), np.ones((3, 1)), [1] * 3, [0, 1, 2])])
    with pytest.raises(ValueError, match="entries"):
        _core.RankOneFaces(2, 2, [(1, 0, np.zeros((0, 2)), np.eye(2)[:1], np.ones((2, 1)), [1, 1], [0, 1])]).nearest(np.zeros((1, 4)), [1])
    with pytest.raises(ValueError, match="NaN"):
        faces.nearest(np.array([[np.nan, 0.0, 0.0, 0.0]]), [1])
    with pytest.raises(ValueError, match="shape"):
        _core.cone_pair_point(np.zeros(4), np.eye(2), 2)


@settings(max_examples=10, deadline=None)
@given(d=st.integers(1, 2), bias=st.booleans(), n_points=st.integers(2, 6), seed=st.integers(0, 2**16))
def test_rank_one_faces_with_one_output_are_the_projections(d: int, bias: bool, n_points: int, seed: int) -> None:
    # with one output the captured energy has rank one: its eigenvector is the projection
    from neuromanifold._relu_rank_one import core_unions
    from neuromanifold._voronoi_relu import _several_output_unions

    rng = np.random.default_rng(seed)
    M = nm.NeuromanifoldAt(nm.ReLUNetwork((d, 1, 1), bias=bias), rng.standard_normal((d, n_points)))
    cells = ReluCells.of(M)
    unions, plans, _ = _several_output_unions(np.maximum(cells.rays, 0.0), cells.faces, n_points, 1, bias)
    rank_one = core_unions(plans, [len(u) for u in unions], n_points, 1, bias)
    U = rng.standard_normal((20, n_points))
    assert np.allclose(rank_one.nearest(U, [1])[0], cells.nearest(U, [1])[0], rtol=1e-9, atol=1e-12)
