"""Dimension reports: bounds, known dimensions and defects, subnetwork strata."""

import dataclasses
import json
import math

import numpy as np
import pytest
from conftest import FAMILIES, scale, seeds, small_seeds
from hypothesis import given, settings
from hypothesis import strategies as st

import neuromanifold as nm


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=20, deadline=None)
@given(data=st.data(), seed=small_seeds)
def test_rank_bounds(family: str, data: st.DataObject, seed: int) -> None:
    net = data.draw(FAMILIES[family], label="architecture").net
    r = nm.dimension(net, seed=seed)
    assert (r.n_params, r.ambient) == (net.n_params, net.ambient_dim)
    # exact rank mod p at integer points is a lower bound, the numerical rank at most N and A
    assert r.exact_rank <= r.dim <= min(r.n_params, r.ambient)
    # the fibers contain the symmetry orbits, so dim <= N - symmetry_dim
    assert r.expected == min(r.n_params - net.symmetry_dim, r.ambient)
    assert r.dim <= r.expected
    assert r.fiber_dim == r.n_params - r.dim
    assert r.defect == r.expected - r.dim >= 0
    assert r.complex_filling == (r.dim == r.ambient)
    assert r.certified == (r.exact_rank == r.expected)
    if r.certified:
        assert r.exact_rank == r.expected == r.dim
    if not r.complex_filling:
        assert r.filling is False  # a lower-dimensional set is not all of R^A
    assert r.filling in (True, False, None)
    sv = np.asarray(r.singular_values)
    assert len(sv) == min(r.n_params, r.ambient)
    assert (sv >= 0).all() and (np.diff(sv) <= 1e-12 * scale(sv)).all()  # descending
    if r.dim == min(r.n_params, r.ambient):
        assert math.isinf(r.gap)
    else:
        assert r.gap > 1


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=10, deadline=None)
@given(data=st.data(), seeds2=st.lists(small_seeds, min_size=2, max_size=2, unique=True), seed=seeds)
def test_dimension_is_a_generic_rank(family: str, data: st.DataObject, seeds2, seed: int) -> None:
    net = data.draw(FAMILIES[family], label="architecture").net
    a, b = (nm.dimension(net, seed=s) for s in seeds2)
    assert a.dim == b.dim  # the rank at random parameters is the generic rank
    # the Jacobian rank at a random point is the generic rank
    assert net.jacobian_rank(net.random_params(seed=seed)) == a.dim


def test_sums_of_two_squares_are_defective() -> None:
    # quadrics of rank <= 2 in 3 variables: the hypersurface det = 0 in the 6-dim space of quadrics
    r = nm.dimension(nm.PolynomialNetwork((3, 2, 1), activation=2))
    assert (r.dim, r.expected, r.defect, r.ambient) == (5, 6, 1, 6)
    assert r.n_params == 8 and r.fiber_dim == 3
    assert not r.filling and not r.complex_filling and not r.certified
    assert r.exact_rank <= 5


def test_sums_of_two_squares_image_is_the_determinant_hypersurface() -> None:
    net = nm.PolynomialNetwork((3, 2, 1), activation=2)
    for theta in net.random_params(10, seed=1):
        c = net.mu(theta)  # x0^2, x0x1, x0x2, x1^2, x1x2, x2^2
        S = np.array([[c[0], c[1] / 2, c[2] / 2], [c[1] / 2, c[3], c[4] / 2], [c[2] / 2, c[4] / 2, c[5]]])
        assert abs(np.linalg.det(S)) <= 1e-10 * scale(S) ** 3


def test_lightning_attention_is_five_dimensional() -> None:
    r = nm.dimension(nm.LightningAttention(d=2, d_out=1, a=2, t=2))
    assert r.dim == 5
    assert r.n_params == 10 and r.fiber_dim == 5


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), small_seeds)
def test_binary_forms_are_not_defective(h: int, r: int, seed: int) -> None:
    # Sylvester: sums of h r-th powers of binary linear forms have dimension min(2h, r + 1)
    report = nm.dimension(nm.PolynomialNetwork((2, h, 1), activation=r), seed=seed)
    assert report.dim == min(2 * h, r + 1)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2), st.integers(1, 3), st.integers(1, 3), small_seeds)
def test_enough_powers_span_all_forms(extra: int, r: int, n_out: int, seed: int) -> None:
    # h >= r + 1 generic r-th powers of binary linear forms span all binary forms of degree r
    net = nm.PolynomialNetwork((2, r + 1 + extra, n_out), activation=r)
    report = nm.dimension(net, seed=seed)
    assert report.ambient == n_out * (r + 1)
    assert report.dim == report.ambient and report.complex_filling


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 3), st.integers(1, 2), seeds)
def test_quadratic_networks_are_symmetric_matrices_of_bounded_rank(n: int, h: int, seed: int) -> None:
    # x -> v . (W x)^2 gives the quadrics of rank <= h: dimension h n - h(h-1)/2 (h <= n)
    if h > n:
        h = n
    report = nm.dimension(nm.PolynomialNetwork((n, h, 1), activation=2), seed=seed % 1000)
    assert report.dim == h * n - h * (h - 1) // 2


@settings(max_examples=10, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=2, max_size=3), st.integers(1, 2), small_seeds)
def test_functional_dimension_of_algebraic_networks(ws: list[int], r: int, seed: int) -> None:
    # at enough generic points, evaluation is injective on the span of the monomials
    net = nm.PolynomialNetwork(ws, activation=r)
    M = net.monomials.shape[0]
    X = np.random.default_rng(seed).uniform(-1, 1, (ws[0], M + 3))
    assert nm.functional_dimension(net, X, seed=seed) == nm.dimension(net, seed=seed).dim
    theta = net.random_params(seed=seed)
    assert nm.functional_dimension(net, X, theta=theta) == net.jacobian_rank(theta)
    # at one point there is at most n_outputs dimensions to see
    assert nm.functional_dimension(net, X[:, :1], seed=seed) <= net.n_outputs


# ------------------------------------------------------------------------------------------
# subnetwork strata
# ------------------------------------------------------------------------------------------
def test_subnetworks_of_a_three_neuron_quadratic_network() -> None:
    net = nm.PolynomialNetwork((3, 3, 1), activation=2)
    parent = nm.dimension(net)
    assert parent.dim == 6  # three squares give every ternary quadric
    smaller = nm.PolynomialNetwork((3, 2, 1), activation=2)
    subs = net.subnetworks()
    assert subs
    for s in subs:
        assert isinstance(s.description, str) and s.description
        sub = s.network
        assert isinstance(sub, nm.PolynomialNetwork)
        assert sub.n_params == smaller.n_params == 8  # one hidden neuron fewer
        assert np.array_equal(sub.monomials, net.monomials)
        for seed in range(5):
            theta_sub = sub.random_params(seed=seed)
            theta = s.embed(theta_sub)
            assert theta.shape == (net.n_params,)
            assert np.allclose(net.mu(theta), sub.mu(theta_sub))
            assert np.allclose(sub.mu(theta_sub), smaller.mu(theta_sub))  # it is the (3, 2, 1) network
            assert net.jacobian_rank(theta) < parent.dim  # the stratum is singular
        assert s.dim <= parent.dim
        assert s.dim == nm.dimension(sub).dim == 5
        batch = sub.random_params(4, seed=1)
        assert np.allclose(net.mu(s.embed(batch)), sub.mu(batch))


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=3, max_size=4), st.integers(1, 3), st.booleans(), seeds)
def test_subnetworks_are_strata(ws: list[int], r: int, bias: bool, seed: int) -> None:
    net = nm.PolynomialNetwork(ws, activation=r, bias=bias)
    report = nm.dimension(net)
    subs = net.subnetworks()
    if any(w >= 2 for w in ws[1:-1]):
        assert subs
    # removing neuron from hidden layer i saves its incoming and outgoing weights (and a bias)
    savings = {ws[i - 1] + ws[i + 1] + int(bias) for i in range(1, len(ws) - 1) if ws[i] >= 2}
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((ws[0], 6))
    for s in subs:
        assert net.n_params - s.network.n_params in savings
        theta_sub = s.network.random_params(seed=seed)
        theta = s.embed(theta_sub)
        # the parent at the embedded parameters computes the subnetwork's function
        assert np.allclose(net.evaluate(theta, X), s.network.evaluate(theta_sub, X))
        if np.array_equal(s.network.monomials, net.monomials):
            assert np.allclose(net.mu(theta), s.network.mu(theta_sub))
        assert s.dim <= report.dim
        assert s.dim <= nm.dimension(s.network).dim


@pytest.mark.parametrize(
    "net",
    [
        nm.LinearNetwork((3, 2, 3)),
        nm.ConvNetwork((2, 3)),
        nm.ConvNetwork((3, 2), strides=2),
        nm.LightningAttention(2, 1, 2, 2),
        nm.ResidualLinearNetwork(2, 2),
        nm.PolynomialNetwork((2, 2, 2), activation=(0.0, 1.0, 1.0), bias=True),
        nm.PolynomialNetwork((2, 3, 2, 1), activation=3),
        nm.ConvNetwork((2, 3), activation=2),
        nm.ConvNetwork((3, 2, 2), strides=(2, 1, 1), activation=(1.0, 0.0, 1.0)),
    ],
    ids=repr,
)
def test_strata_of_other_families(net: nm.Network) -> None:
    report = nm.dimension(net)
    X = np.random.default_rng(0).standard_normal((net.n_inputs, 5))
    for s in net.subnetworks():
        theta_sub = s.network.random_params(seed=2)
        assert s.network.n_params <= net.n_params
        theta = s.embed(theta_sub)
        assert theta.shape == (net.n_params,)
        if s.network.n_inputs == net.n_inputs:
            assert np.allclose(net.evaluate(theta, X), s.network.evaluate(theta_sub, X))
        assert 0 <= s.dim <= report.dim
        # the stratum is the image of mu restricted to the embedded parameters
        J = net.jacobian(s.embed(s.network.random_params(seed=3)))
        assert np.linalg.matrix_rank(J[:, s.embed(np.arange(1, s.network.n_params + 1)).nonzero()[0]]) == s.dim


def test_linear_strata_are_lower_rank_matrices() -> None:
    net = nm.LinearNetwork((3, 2, 3))
    for s in net.subnetworks():
        assert s.dim == 1 * (3 + 3 - 1)  # rank-one 3 x 3 matrices
        M = net.mu(s.embed(s.network.random_params(seed=5))).reshape(3, 3)
        assert np.linalg.matrix_rank(M) == 1


def test_report_is_printable_and_serialisable() -> None:
    r = nm.dimension(nm.LinearNetwork((2, 2)))
    assert "dimension" in str(r)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["dim"] == 4 and d["ambient"] == 4 and d["filling"] is True
    for key in ("dim", "gap", "singular_values", "exact_rank", "expected", "ambient", "n_params",
                "fiber_dim", "filling", "complex_filling", "defect", "certified"):
        assert key in d
    r2 = nm.dimension(nm.PolynomialNetwork((3, 2, 1), activation=2))
    d2 = json.loads(json.dumps(r2.to_dict()))
    assert d2["dim"] == 5 and d2["defect"] == 1 and d2["gap"] > 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.dim = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    "spec", ["poly:2,3,2^2", "poly:3,6,2^2", "poly:2,4,3^3", "poly:2,6,1^2+bias", "poly:2,5,2^2+bias", "poly:1,3,4^3+bias", "poly:2,9,1^3+bias"]
)
def test_as_many_neurons_as_monomials_fill_the_real_space(spec: str) -> None:
    # the k-th powers of generic real (affine) forms span the forms of degree k: with random
    # first-layer weights the output weights fit any real data exactly, by linear least squares
    # (with biases one neuron fewer: the output bias is the constant's power)
    net = nm.parse(spec)
    assert nm.dimension(net).filling is True
    d0, h, m = net.widths
    first = d0 * h + (h if net.bias else 0)
    rng = np.random.default_rng(0)
    theta = np.zeros(net.n_params)
    theta[:first] = rng.standard_normal(first)
    # mu is linear in the output weights (and output biases): its columns at unit vectors
    columns = []
    for j in range(first, net.n_params):
        e = theta.copy()
        e[j] = 1.0
        columns.append(net.mu(e) - net.mu(theta))
    B = np.column_stack(columns)
    u = rng.standard_normal(net.ambient_dim)
    w, *_ = np.linalg.lstsq(B, u - net.mu(theta), rcond=None)
    theta[first:] = w
    assert np.allclose(net.mu(theta), u, atol=1e-8)
    est = nm.voronoi_mc(net, "boundary", 100, progress=False)  # nothing outside M: no edge to reach
    assert est.method == "certificate" and est.p == 0
