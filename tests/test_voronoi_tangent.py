"""The edge of two quadratic neurons with several outputs is the tangential variety E: tuples
in the span of l^2 and l m, limits of real networks whose two neurons merge. With two inputs
the map fills, so real membership decides the edge independently: both agree exactly."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import neuromanifold as nm
from neuromanifold._voronoi_membership import Membership
from neuromanifold._voronoi_networks import NetworkJob
from neuromanifold._voronoi_tangent import TangentEdge, _affine, edge_chart, tangent_edge_available


@settings(max_examples=20, deadline=None)
@given(spec=st.sampled_from(["poly:2,2,2^2", "poly:3,2,2^2", "poly:3,2,3^2", "poly:4,2,2^2"]), seed=st.integers(0, 2**16))
def test_edge_points_are_limits_of_real_networks(spec: str, seed: int) -> None:
    # l_2 = l_1 + e m, c_1 = a - b / (2e), c_2 = b / (2e): mu -> (a l^2 + b l m) as e -> 0, with
    # error O(e); l and m are read off the chart's affine planes
    net = nm.parse(spec)
    n, _, m = net.widths
    chart = edge_chart(net, seed)
    y = np.random.default_rng(seed).standard_normal(chart.n)
    p = chart.mu(y[None, :])[0].real
    rng = np.random.default_rng([seed, 0x7A9E])
    pl_, Bl = _affine(rng, n, 1)
    pm, Bm = _affine(rng, n, 2)
    l, mm = pl_ + Bl @ y[: n - 1], pm + Bm @ y[n - 1 : 2 * n - 3]
    a, b = y[2 * n - 3 : 2 * n - 3 + m], y[2 * n - 3 + m :]
    errors = []
    for e in (1e-2, 1e-3, 1e-4):
        theta = np.concatenate([np.vstack([l, l + e * mm]).ravel(), np.column_stack([a - b / (2 * e), b / (2 * e)]).ravel()])
        errors.append(np.abs(net.mu(theta) - p).max())
    assert errors[2] < 1e-2 * (1 + np.abs(p).max()) and errors[2] < errors[0]


def test_tangent_edge_agrees_with_real_membership() -> None:
    net = nm.parse("poly:2,2,2^2")
    U = np.random.default_rng(7).standard_normal((80, net.ambient_dim))
    edge = TangentEdge(net, 3).decide(U, 0)
    member = Membership(net, 3).decide(U, 0)
    assert (edge >= 0).mean() > 0.97
    both = (edge >= 0) & (member >= 0)
    assert np.array_equal(edge[both], member[both]) and 0 < edge.sum() < len(U)


def test_exhaustive_boundary_of_two_neurons_with_several_outputs() -> None:
    assert tangent_edge_available(nm.parse("poly:3,2,2^2")) is None
    for spec in ("poly:3,3,2^2", "poly:3,2,1^2", "poly:3,2,2^3", "poly:3,2,2^2+bias"):
        assert tangent_edge_available(nm.parse(spec)) is not None
    job = NetworkJob.create(nm.parse("poly:3,2,2^2"), "boundary", nm.Gaussian(), 0, 10, "exhaustive", 10)
    assert job.exhaustive and job.method == "exhaustive"
    # "auto" keeps the local searches there (a few seconds per sample exhaustively)
    assert NetworkJob.create(nm.parse("poly:3,2,2^2"), "boundary", nm.Gaussian(), 0, 10, "auto", 10).method == "multistart"
