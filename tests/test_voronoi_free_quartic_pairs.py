"""The edge of poly:2,2,3,2^2 (two first-layer squares, three layer-2 neurons): the squares of
three members of the pencil P = span(l_1^2, l_2^2) span Sym^2 P, so the outputs are any
quadratic forms F_o(U, V) in a basis of P. The layer-2 neurons' limits stay in M_R, and the
edge is the limit of the first-layer neurons merging, l^2 q_o with any binary quadratics q_o:
reached by constructed parameters, and decided as a brute-force search over the pieces does."""

from __future__ import annotations

import numpy as np

import neuromanifold as nm
import neuromanifold._voronoi_networks as vn
from neuromanifold._voronoi_quartic_pairs import PIECES, OutsideTwoNeurons, QuarticPairsEdge, definite_member, quartic_pairs, quartic_pairs_available, two_neurons_part, two_neurons_part_available
from test_voronoi_quartic_pairs import _agree_on_the_part, _agree_with_brute_force, _grid, _least, _on_B, _on_D, _on_one_first_layer_neuron, _on_one_layer2_neuron, _on_X, _over_the_pencil, _refined, _theta, _times

NET = "poly:2,2,3,2^2"


def test_the_edge_holds_every_plane_of_quadratics() -> None:
    # l_2 = l + e n: (v - u) / (2 e) tends to l n, so g_i = beta_i u + gamma_i (v - u) / (2 e)
    # tends to l m_i; the three squares m_i^2 span the quadratics, so l^2 q_o is reached for any
    # q_o, here a plane of indefinite forms (Re and Im of a complex square), which two layer-2
    # neurons do not reach (their q's plane holds a definite form)
    net = nm.parse(NET)
    rng = np.random.default_rng(5)
    l, n = rng.standard_normal((2, 2))
    beta, gamma = rng.standard_normal((2, 3))
    m = beta[:, None] * l + gamma[:, None] * n
    w = rng.standard_normal(2) + 1j * rng.standard_normal(2)
    q = np.array([_times(w, w).real, _times(w, w).imag])
    assert definite_member(q[0], q[1]) < 0
    squares = np.array([_times(mi, mi) for mi in m])  # (3, 3): the rows span the quadratics
    C = np.linalg.solve(squares.T, q.T).T  # q_o = sum_i C_oi m_i^2
    target = np.concatenate([_times(_times(l, l), q[o]) for o in range(2)])
    gaps = []
    for e in (1e-2, 1e-3, 1e-4):
        W2 = np.column_stack([beta - gamma / (2 * e), gamma / (2 * e)])
        gaps.append(np.abs(net.mu(_theta(np.vstack([l, l + e * n]), W2, C)[None])[0] - target).max())
    assert gaps[1] < 0.2 * gaps[0] and gaps[2] < 0.2 * gaps[1] and gaps[2] < 1e-2


def test_generic_critical_points_do_not_depend_on_the_charts() -> None:
    # c (x) l^4 has 4 * 4 - 2 (a ratio of two forms of degree 8 in l)
    spec = nm.parse(NET)
    edge, other = QuarticPairsEdge(spec, 0), QuarticPairsEdge(spec, 1)
    assert edge.free and not edge.spanning
    pieces = [w for side in PIECES[False, True] for w in side]
    counts = [len(edge._solved(which, 0).generic) for which in pieces]
    assert counts == [len(other._solved(which, 0).generic) for which in pieces]
    assert counts[pieces.index(6)] == 4 * 4 - 2


def test_decisions_agree_with_a_brute_force_search() -> None:
    rng = np.random.default_rng(23)
    U = rng.standard_normal((8, 10))
    # and data next to the edge: l^2 q_o with q's of no definite form, moved a little
    l = rng.standard_normal((3, 2))
    w = rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))
    near = [np.concatenate([_times(_times(a, a), getattr(_times(b, b), part)) for part in ("real", "imag")]) for a, b in zip(l, w)]
    U = np.vstack([U, np.array(near) + 0.05 * rng.standard_normal((3, 10))])
    _agree_with_brute_force(QuarticPairsEdge(nm.parse(NET), 0), U, False, free=True)


def test_the_free_edge_decides_the_boundary_under_auto() -> None:
    three = nm.parse("poly:2,2,3,3^2")
    for spec in (NET, "poly:2,2,4,2^2"):
        assert quartic_pairs_available(nm.parse(spec)) is None
    assert vn._exact_edge(three, three.ambient_dim, "auto") is quartic_pairs
    # with three neurons in both layers the real M is open in the space (complex filling)
    assert quartic_pairs_available(nm.parse("poly:2,3,3,2^2")) is not None
    est = nm.voronoi_mc(three, "boundary", 24, seed=0, progress=False)
    assert est.exhaustive and est.n_failed == 0 and est.n == 24


def _outside_and_inside(u: np.ndarray) -> tuple[float, float]:
    """Brute force: squared distances to the points outside the part of two layer-2 neurons (B,
    D, local minima on X whose F's plane holds no definite form) and inside it (those whose
    plane holds one, one neuron in either layer, 0)."""
    U = u.reshape(-1, 5)
    pairs = _grid(90, 90)
    pairs = pairs[np.abs(np.sin(pairs[:, 0] - pairs[:, 1])) > 0.02]
    d, _ = _on_X(pairs, U)
    minima = [(dist, float(_on_X(t, U)[1])) for dist, t in _refined(_on_X, pairs[np.argsort(d)[:12]], U) if abs(np.sin(t[0] - t[1])) > 1e-3]
    outside = [x for x, h in minima if h < 0] + [_least(_on_B, _grid(180), U), _least(_on_D, _grid(180), U)]
    inside = [x for x, h in minima if h > 0] + [_least(_on_one_layer2_neuron, _grid(48, 48), U), _least(_on_one_first_layer_neuron, _grid(180), U), float((U**2).sum())]
    return min(outside), min(inside)


def test_the_part_of_two_layer2_neurons_decides_as_a_brute_force_search() -> None:
    # the subnetwork with a layer-2 neuron off has the dimension of M: its image is the part
    # where the F's plane holds a definite form, hit where the nearest point of the closure lies
    part = OutsideTwoNeurons(nm.parse(NET), 0)
    assert not part.first_layer
    rng = np.random.default_rng(24)
    U = rng.standard_normal((4, 10))
    # and data next to points of M outside the part: F_o(l_1^2, l_2^2) with F_1, F_2 the real
    # and imaginary parts of a complex square (a plane of indefinite forms)
    near = []
    for _ in range(3):
        l1, l2 = (_times(v, v) for v in rng.standard_normal((2, 2)))
        w = rng.standard_normal(2) + 1j * rng.standard_normal(2)
        F = [_times(w, w).real, _times(w, w).imag]
        near.append(_over_the_pencil(F, l1, l2))
    _agree_on_the_part(part, np.vstack([U, np.array(near) + 0.05 * rng.standard_normal((3, 10))]), _outside_and_inside)


def test_parts_of_the_layer2_neurons_are_decided_exactly() -> None:
    net, wide = nm.parse(NET), nm.parse("poly:2,2,4,2^2")
    assert two_neurons_part_available(net, nm.parse("poly:2,2,2,2^2")) is None and two_neurons_part_available(wide, nm.parse("poly:2,2,3,2^2")) is None
    assert two_neurons_part_available(nm.parse("poly:2,2,3,3^2"), nm.parse("poly:2,2,2,3^2")) is not None  # (not of the dimension of M)
    assert two_neurons_part_available(nm.parse("poly:2,3,2,2^2"), nm.parse("poly:2,2,2,2^2")) is None
    assert two_neurons_part_available(nm.parse("poly:2,3,2,3^2"), nm.parse("poly:2,2,2,3^2"), "auto") is not None
    job = vn.NetworkJob.create(wide, "hidden layer 2 with one neuron switched off", nm.Gaussian(), 0, 12, "auto", 12)
    assert job.exhaustive and vn._exact_part(wide, job.strata, job.targets, "auto", 0) == (quartic_pairs, wide)
    # the part of three layer-2 neurons is all of M_R: missed exactly where the edge is hit
    U = job.samples(0)
    boundary = vn.NetworkJob.create(wide, "boundary", nm.Gaussian(), 0, 12, "auto", 12).decide(U, 0)
    assert job.decide(U, 0).tolist() == (1 - boundary).tolist()
    est = nm.voronoi_mc(net, "hidden layer 2 with one neuron switched off", 24, seed=0, progress=False)
    assert est.exhaustive and est.n_failed == 0 and 0 < est.hits < est.n
    two = vn.NetworkJob.create(net, "hidden layer 2 with one neuron switched off", nm.Gaussian(), 0, 1, "auto", 1)
    assert vn._exact_part(net, two.strata, two.targets, "auto", 0) == (two_neurons_part, net)
    # the first layer's parts of (2, h >= 3, 2, 2): two neurons (the pencil holds a definite form), three (all of M_R)
    for spec, expected in (("poly:2,3,2,2^2", two_neurons_part), ("poly:2,4,2,2^2", quartic_pairs)):
        first = vn.NetworkJob.create(nm.parse(spec), "hidden layer 1 with one neuron switched off", nm.Gaussian(), 0, 1, "auto", 1)
        assert first.exhaustive and vn._exact_part(first.net, first.strata, first.targets, "auto", 0)[0] is expected
