"""The edge of two neurons with biases on two inputs: E, a neuron merged with the constant, and
both merged with it (``_voronoi_biased_pair``)."""

from math import comb

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import neuromanifold as nm
from neuromanifold._voronoi_biased_pair import (
    BiasedPairEdge,
    _edge_coordinates,
    _edge_forms,
    _rank_one_distance,
    biased_pair_available,
    blown_up_edge_chart,
    power_edge_chart,
)
from neuromanifold._voronoi_networks import _least_squares
from neuromanifold._voronoi_tangent import _slice_point
from neuromanifold.system import track

SPEC = "poly:2,2,1^3+bias"


@pytest.fixture(scope="module")
def edge() -> BiasedPairEdge:
    return BiasedPairEdge(nm.parse(SPEC), 0)


def _forms(edge: BiasedPairEdge, f: sp.Expr) -> np.ndarray:
    """The coefficients of a form in (x, x0) at the compared monomials."""
    x = sp.symbols(f"x1:{edge.net.widths[0]}") + (sp.Symbol("x0"),)
    poly = sp.Poly(sp.expand(f), *x)
    exps = np.asarray(edge.net.monomials)[edge._keep]
    return np.array([float(poly.coeff_monomial(sp.Mul(*(s ** int(a) for s, a in zip(x, e))))) for e in exps])


def _network(edge: BiasedPairEdge, c: list[float], l: list[np.ndarray]) -> np.ndarray:
    """The compared coefficients of c_1 l_1^k + c_2 l_2^k (l_i = (w_i, b_i)) by the network with biases."""
    net = nm.parse(SPEC)
    theta = np.concatenate([np.concatenate([li[:2] for li in l]), [li[2] for li in l], c, [0.0]])
    return net.mu(theta)[edge._columns]


@pytest.mark.parametrize("spec", [SPEC, "poly:3,2,1^4+bias"])
def test_blown_up_chart_is_the_tangential_variety(spec: str) -> None:
    # both charts give l^(k-1) v (expanded by sympy) at the coordinates of (l, v), and their moves agree
    edge = BiasedPairEdge(nm.parse(spec), 0)
    n, k = edge.net.widths[0], int(spec.split("^")[1].split("+")[0])
    x = sp.symbols(f"x1:{n}") + (sp.Symbol("x0"),)
    rng = np.random.default_rng(3)
    L, V = rng.standard_normal((4, n)), rng.standard_normal((4, n))
    for seed, blown in ((5, True), (6, False)):
        chart = blown_up_edge_chart(edge.net, seed) if blown else power_edge_chart(edge.net, seed)
        Y = _edge_coordinates(edge.net, seed, blown, L, V)
        images = chart.mu(Y)[:, edge._keep]
        for i in range(len(L)):
            expected = _forms(edge, sum(float(a) * s for a, s in zip(L[i], x)) ** (k - 1) * sum(float(a) * s for a, s in zip(V[i], x)))
            np.testing.assert_allclose(images[i], expected, atol=1e-9 * (1 + np.abs(expected).max()))
        L2, _ = _edge_forms(edge.net, seed, blown, Y)
        np.testing.assert_allclose(L2 / L2[:, -1:], L / L[:, -1:], atol=1e-9)  # the same l up to scale


def test_each_part_of_the_edge_is_a_limit_of_real_networks(edge: BiasedPairEdge) -> None:
    # E: l_2 = l + e m; merged: l_2 = x_0 + e w with c_2 = b / (k e); both: E's points at t -> 0
    k = 3
    rng = np.random.default_rng(1)
    l, m, w = rng.standard_normal(3), rng.standard_normal(3), np.append(rng.standard_normal(2), 0.0)
    a, b, c1 = 0.7, -1.3, 0.4
    x = sp.symbols("x1 x2 x0")
    form = lambda v: sum(float(p) * s for p, s in zip(v, x))  # noqa: E731
    on_e = _forms(edge, a * form(l) ** k + b * form(l) ** (k - 1) * form(m))
    merged = _forms(edge, c1 * form(l) ** k + b * x[2] ** (k - 1) * form(w))
    gaps_e, gaps_merged = [], []
    for e in (1e-2, 1e-3, 1e-4):
        gaps_e.append(np.abs(_network(edge, [a - b / (k * e), b / (k * e)], [l, l + e * m]) - on_e).max())
        gaps_merged.append(np.abs(_network(edge, [c1, b / (k * e)], [l, np.array([0, 0, 1.0]) + e * w]) - merged).max())
    for gaps in (gaps_e, gaps_merged):
        assert gaps[2] < 1e-3 and gaps[2] < gaps[1] < gaps[0]
    # the blown-up chart at t = 0 is mu C x_0^(k-2) w^2 + x_0^(k-1) n, C = C(k-1, 2) - (k-1)^2
    chart = blown_up_edge_chart(edge.net, 4)
    y = np.array([0.0, 0.3, 1.7, -0.2, 0.9])
    L, V = _edge_forms(edge.net, 4, True, np.array([[1e-9, *y[1:]]]))
    wl = L[0, :2] / 1e-9
    triple = _forms(edge, (comb(k - 1, 2) - (k - 1) ** 2) * 1.7 * x[2] ** (k - 2) * (wl[0] * x[0] + wl[1] * x[1]) ** 2 + x[2] ** (k - 1) * (-0.2 * x[0] + 0.9 * x[1]))
    np.testing.assert_allclose(chart.mu(y[None])[0, edge._keep], triple, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-3, 3), min_size=3, max_size=3))
def test_rank_one_distance_is_the_least_over_all_squares(q: list[float]) -> None:
    exps = np.array([[2, 0, 1], [1, 1, 1], [0, 2, 1]])
    got = _rank_one_distance(np.array([q]), exps)[0]
    angles = np.linspace(0, np.pi, 20001)
    squares = np.column_stack([np.cos(angles) ** 2, 2 * np.cos(angles) * np.sin(angles), np.sin(angles) ** 2])
    dense = ((np.array(q) ** 2).sum() - (squares @ q) ** 2 / (squares**2).sum(axis=1)).min()
    assert got <= dense + 1e-9 and got >= dense - 1e-5 * (1 + abs(dense))


def test_strays_on_e_are_the_single_neurons_critical_points(edge: BiasedPairEdge) -> None:
    # l^(k-1) v with v = c l is c l^k: there E's equations are one neuron's, isolated solutions
    # apart from E's own; the filter drops exactly them, and E's count is the same at another seed
    solved = edge._solved(0, 0)
    p = solved.generic.parameters
    assert edge._alive(0, solved.generic.solutions).all()
    assert len(BiasedPairEdge(nm.parse(SPEC), 1)._solved(0, 0).generic.solutions) == len(solved.generic.solutions)
    neuron = edge._solved(2, 0)
    ends = track(neuron.system, neuron.generic.solutions, neuron.generic.parameters, p[None], seed=1)[0]
    Y = ends.endpoints[ends.status == "nonsingular"]
    assert len(Y) == len(neuron.generic.solutions)
    theta0, fixed = _slice_point(edge.net, edge.seed)
    L = np.column_stack([np.full(len(Y), theta0[fixed[0]]), Y[:, :2]])
    strays = _edge_coordinates(edge.net, edge.seed, True, L, Y[:, 2:3] * L)
    residuals = [np.abs(solved.system.evaluate(y, p)).max() / (1 + np.abs(y).max() ** 4) for y in strays]
    assert max(residuals) < 1e-8
    assert not edge._alive(0, strays).any()


def test_no_local_search_beats_the_exact_distance_and_it_is_reached(edge: BiasedPairEdge) -> None:
    net = nm.parse(SPEC)
    U = np.random.default_rng(7).standard_normal((12, net.ambient_dim))
    decided, to_edge, to_rest = edge.decide_with_distances(U, 0)
    assert (decided >= 0).all()
    assert edge.decide(U, 0).tolist() == decided.tolist()  # (with only the work each row needs)
    exact = np.fmin(to_edge, to_rest)
    searched, _ = _least_squares(net, np.arange(net.n_params), U, np.random.default_rng(5))
    assert np.all(exact <= searched * (1 + 1e-6) + 1e-12)
    # where the rest is nearer, a real network is at that distance (local searches find it)
    rest = decided == 0
    np.testing.assert_allclose(searched[rest], to_rest[rest], rtol=1e-4)
    # where the edge is nearer, real networks come arbitrarily close but none reaches it
    hits = decided == 1
    assert hits.any() and np.all(searched[hits] > to_edge[hits] * (1 + 1e-6))


def test_voronoi_mc_decides_the_boundary_exactly() -> None:
    got = nm.voronoi_mc(SPEC, "boundary", n=20, seed=3, progress=False)
    assert got.exhaustive and got.n_failed == 0 and got.n == 20


def test_three_inputs_fall_back_to_local_searches_and_say_so() -> None:
    assert biased_pair_available(nm.parse("poly:3,2,1^3+bias")) is not None
    assert biased_pair_available(nm.parse("poly:2,2,2^3+bias")) is not None  # several outputs
    got = nm.voronoi_mc("poly:3,2,1^3+bias", "boundary", n=10, seed=1, progress=False)
    assert not got.exhaustive
