"""The edge of poly:2,2,3,2^2 (two first-layer squares, three layer-2 neurons): the squares of
three members of the pencil P = span(l_1^2, l_2^2) span Sym^2 P, so the outputs are any
quadratic forms F_o(U, V) in a basis of P. The layer-2 neurons' limits stay in M_R, and the
edge is the limit of the first-layer neurons merging, l^2 q_o with any binary quadratics q_o:
reached by constructed parameters, and decided as a brute-force search over the pieces does."""

from __future__ import annotations

import numpy as np

import neuromanifold as nm
import neuromanifold._voronoi_networks as vn
from neuromanifold._voronoi_quartic_pairs import PIECES, QuarticPairsEdge, definite_member, quartic_pairs, quartic_pairs_available
from test_voronoi_quartic_pairs import _agree_with_brute_force, _theta, _times

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
    # with three outputs; c (x) l^4 has 4 * 4 - 2 (a ratio of two forms of degree 8 in l)
    spec = nm.parse("poly:2,2,3,3^2")
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
