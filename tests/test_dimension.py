"""Dimension reports: bounds, known dimensions and defects, subnetwork strata."""

import numpy as np
from conftest import algebraic_networks, seeds
from hypothesis import given
from hypothesis import strategies as st

import neuromanifold as nm


@given(algebraic_networks, st.integers(0, 1000))
def test_rank_bounds(net: nm.Network, seed: int) -> None:
    r = nm.dimension(net, seed=seed)
    assert r.exact_rank <= r.dim <= min(r.n_params, r.ambient)
    assert r.dim <= r.expected <= min(r.n_params, r.ambient)
    assert r.fiber_dim == r.n_params - r.dim
    assert r.defect == r.expected - r.dim
    assert r.complex_filling == (r.dim == r.ambient)
    if r.certified:
        assert r.exact_rank == r.expected == r.dim
    if not r.complex_filling:
        assert r.filling is False
    assert len(r.singular_values) == min(r.n_params, r.ambient)


def test_sums_of_two_squares_are_defective() -> None:
    r = nm.dimension(nm.PolynomialNetwork((3, 2, 1), activation=2))
    assert (r.dim, r.expected, r.defect, r.ambient) == (5, 6, 1, 6)
    assert r.exact_rank == 5 and not r.certified and r.filling is False


def test_lightning_attention_is_five_dimensional() -> None:
    r = nm.dimension(nm.LightningAttention(d=2, d_out=1, a=2, t=2))
    assert r.dim == 5 and r.certified


@given(st.integers(1, 4), st.integers(1, 4), seeds)
def test_binary_forms_are_not_defective(h: int, r: int, seed: int) -> None:
    # Sylvester: sums of h r-th powers of binary linear forms have dimension min(2h, r + 1)
    report = nm.dimension(nm.PolynomialNetwork((2, h, 1), activation=r), seed=seed % 1000)
    assert report.dim == min(2 * h, r + 1)


@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), seeds)
def test_enough_powers_span_all_forms(extra: int, r: int, n_out: int, seed: int) -> None:
    # h >= r + 1 generic r-th powers span the binary forms of degree r: the network fills
    net = nm.PolynomialNetwork((2, r + extra, n_out), activation=r)
    report = nm.dimension(net, seed=seed % 1000)
    assert report.dim == report.ambient == n_out * (r + 1)


@given(st.lists(st.integers(1, 3), min_size=3, max_size=4), st.integers(1, 3), st.booleans(), seeds)
def test_subnetworks_are_strata(ws: list[int], r: int, bias: bool, seed: int) -> None:
    net = nm.PolynomialNetwork(ws, activation=r, bias=bias)
    report = nm.dimension(net)
    subs = net.subnetworks()
    assert len(subs) == sum(1 for w in ws[1:-1] if w >= 2)
    for s in subs:
        assert s.network.n_params == len(s.embedding) < net.n_params
        assert sum(a != b for a, b in zip(s.network.widths, ws)) == 1
        theta_sub = s.network.random_params(seed=seed)
        # the parent at the embedded parameters computes the subnetwork's function
        X = np.random.default_rng(seed).standard_normal((ws[0], 6))
        assert np.allclose(net.evaluate(s.embed(theta_sub), X), s.network.evaluate(theta_sub, X))
        assert s.dim <= report.dim
        assert s.dim <= nm.dimension(s.network).dim


def test_subnetwork_stratum_is_where_the_rank_drops() -> None:
    net = nm.PolynomialNetwork((3, 2, 1), activation=2)
    (s,) = net.subnetworks()
    assert s.dim == 3  # rank-one quadrics
    theta = s.embed(s.network.random_params(seed=4))
    assert net.jacobian_rank(theta) < nm.dimension(net).dim


def test_strata_of_other_families() -> None:
    assert [s.network.spec for s in nm.LinearNetwork((3, 2, 3)).subnetworks()] == ["linear:3,1,3"]
    assert {s.network.spec for s in nm.ConvNetwork((2, 3)).subnetworks()} == {"conv:1,3", "conv:2,2"}
    assert [s.network.spec for s in nm.LightningAttention(2, 1, 2, 2).subnetworks()] == ["attention:2,1,1,2"]
    assert all(s.network.spec == "residual:2,1" for s in nm.ResidualLinearNetwork(2, 2).subnetworks())
    for s in nm.LinearNetwork((3, 2, 3)).subnetworks():
        assert s.dim == 1 * (3 + 3 - 1)


def test_report_is_printable_and_serialisable() -> None:
    import json

    r = nm.dimension(nm.LinearNetwork((2, 2)))
    assert "dimension" in str(r)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["dim"] == 4 and d["gap"] is None
