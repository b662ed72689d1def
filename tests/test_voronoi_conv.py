"""Voronoi cells of convolutional networks, decided exhaustively.

mu is linear in each filter (homogeneous with the activation z^k): its real image is closed, so the nearest point is the image of real
filters, a real critical point of the distance in a chart that fixes one tap per filter. The
candidates are the images of real critical points (not every real image: a real quadratic
with complex roots is the image of complex filters only). Checked against root counting, an
independent minimization in numpy, local searches, and random real filters."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neuromanifold as nm
from neuromanifold._charts import block_cone_chart
from neuromanifold._voronoi_networks import (
    RANK_DROP,
    RANK_FULL,
    RANK_UNKNOWN,
    NetworkJob,
    _Candidates,
    _least_squares,
    filter_blocks,
)


def quadratic_coefficients_are_filter_products(net: nm.ConvNetwork) -> None:
    """mu of filters (a, b), (c, d) is (ac, ad + bc, bd): the coefficients of z^0, z^1, z^2 of
    (a + b z)(c + d z), one per input (the monomials are the inputs x_0, x_1, x_2)."""
    assert np.array_equal(net.monomials, np.eye(3, dtype=np.int64))
    a, b, c, d = 0.3, -1.7, 2.0, 0.9
    assert np.allclose(net.mu(np.array([a, b, c, d])), [a * c, a * d + b * c, b * d])


def real_root_count(U: np.ndarray) -> np.ndarray:
    """Real roots of u_0 + u_1 z + u_2 z^2 for each row (companion matrices, eigenvalues)."""
    companion = np.zeros((len(U), 2, 2))
    companion[:, 0, 1] = 1.0
    companion[:, 1, 0] = -U[:, 0] / U[:, 2]
    companion[:, 1, 1] = -U[:, 1] / U[:, 2]
    roots = np.linalg.eigvals(companion)
    return (np.abs(roots.imag) <= 1e-12 * (1 + np.abs(roots))).sum(axis=1)


def distance_to_double_roots(U: np.ndarray) -> np.ndarray:
    """min over c, s of |c (z - s)^2 - u|^2 in numpy: with s = tan(phi) the direction of
    (s^2, -2 s, 1) is v(phi) = (sin^2, -2 sin cos, cos^2) (phi = pi/2: the constants, a double
    root at infinity), the best c is a projection, and phi (of period pi) is found on a grid,
    each of the grid's four lowest local minima then polished by golden-section search."""

    def f(phi: np.ndarray) -> np.ndarray:
        sn, cs = np.sin(phi), np.cos(phi)
        v = np.stack([sn**2, -2 * sn * cs, cs**2], axis=-1)
        proj = np.einsum("bgk,bk->bg", v, U)
        return (U**2).sum(axis=1)[:, None] - proj**2 / (v**2).sum(axis=-1)

    grid = np.linspace(0.0, np.pi, 2000, endpoint=False)
    values = f(np.broadcast_to(grid, (len(U), len(grid))))
    local = (values <= np.roll(values, 1, axis=1)) & (values <= np.roll(values, -1, axis=1))
    starts = grid[np.argsort(np.where(local, values, np.inf), axis=1)[:, :4]]
    h = grid[1] - grid[0]
    lo, hi = starts - h, starts + h
    g = (np.sqrt(5.0) - 1) / 2
    for _ in range(80):
        c, d = hi - g * (hi - lo), lo + g * (hi - lo)
        left = f(c) < f(d)
        hi = np.where(left, d, hi)
        lo = np.where(left, lo, c)
    return np.minimum(values.min(axis=1), f((lo + hi) / 2).min(axis=1))


def test_quadratics_nearest_point_is_on_the_boundary_exactly_without_real_roots() -> None:
    # conv (2, 2): the quadratics with real roots, a full-dimensional closed set; its edge are
    # the double roots, where D mu drops rank. Data with complex roots have their nearest point
    # there, data with real roots are their own nearest point.
    net = nm.ConvNetwork((2, 2))
    quadratic_coefficients_are_filter_products(net)
    n = 600
    job = NetworkJob.create(net, "boundary", nm.Gaussian(), 0, n, "auto", n, certify=False)
    assert job.method == "exhaustive"
    U = job.samples(0)
    D, rank_drop = job.distances(U, 0)
    d = job.decide_from(D, rank_drop, job.targets)
    complex_roots = real_root_count(U) < 2
    assert np.array_equal(complex_roots, U[:, 1] ** 2 < 4 * U[:, 0] * U[:, 2])
    assert np.array_equal(d, complex_roots.astype(np.int8))
    assert 0.2 < complex_roots.mean() < 0.5  # both outcomes are exercised
    # data with real roots lie on M: distance 0; the others are at the distance to the double
    # roots, which the rule "real image" would have missed (their own complex filters)
    norms = (U**2).sum(axis=1)
    assert np.all(D[~complex_roots, 0] <= 1e-20 * norms[~complex_roots])
    outside = U[complex_roots]
    assert np.allclose(D[complex_roots].min(axis=1), distance_to_double_roots(outside), rtol=1e-8, atol=1e-14)
    assert np.all(D[complex_roots, 0] > 1e-6 * norms[complex_roots])
    est = nm.voronoi_mc(net, "boundary", n, seed=0, progress=False, chunk_size=n)
    assert est.exhaustive and est.method == "exhaustive"
    assert est.hits == int(complex_roots.sum()) and est.n_failed == 0
    # the exact share, by counting real roots of many more quadratics
    many = np.random.default_rng(12345).standard_normal((200_000, 3))
    share = float((real_root_count(many) < 2).mean())
    assert est.ci95[0] <= share <= est.ci95[1]


def test_jobs_on_one_network_and_seed_share_their_generic_solves() -> None:
    # a chart's generic solve depends on the network, the stratum and the seed alone: a second
    # job takes it over (the same decisions), another seed solves its own
    net = nm.ConvNetwork((2, 2, 2))
    first, again, other = (NetworkJob.create(net, "boundary", nm.Gaussian(), seed, 20, "exhaustive", 20) for seed in (31, 31, 32))
    U = first.samples(0)
    decided = first.decide(U, 0)
    s = first.strata[0]
    assert again._solved(0, s) is first._solved(0, s) and other._solved(0, s) is not first._solved(0, s)
    assert again.decide(U[::-1], 0).tolist() == decided[::-1].tolist()
    assert len(other._solved(0, s).generic) == len(first._solved(0, s).generic)


def test_quadratics_lower_strata_are_decided_exhaustively() -> None:
    # the strata of conv (2, 2) (linear polynomials, x times a linear one, constants, ...) lie in
    # M and meet its edge (a cone, smooth away from 0) along lines only: they attract nothing
    net = nm.ConvNetwork((2, 2))
    est = nm.voronoi_mc(net, "singular", 300, seed=1, progress=False, chunk_size=150)
    assert est.exhaustive and est.hits == 0 and est.n_failed == 0


def test_cubics_fill_so_every_datum_is_its_own_nearest_point() -> None:
    # conv (3, 2): a real quadratic times a real linear filter; every real cubic has a real
    # root, so M is all of R^4: the smooth part holds u itself (real filters), and the singular
    # strata (taps switched off: hypersurfaces) are farther for every sample
    net = nm.ConvNetwork((3, 2))
    n = 200
    job = NetworkJob.create(net, "singular", nm.Gaussian(), 0, n, "auto", n, certify=False)
    assert job.method == "exhaustive"
    U = job.samples(0)
    D, rank_drop = job.distances(U, 0)
    norms = (U**2).sum(axis=1)
    assert not np.isnan(D).any()
    assert np.all(D[:, 0] <= 1e-20 * norms)
    assert np.all(D[:, 1:].min(axis=1) > 1e-12 * norms)
    assert np.all(job.decide_from(D, rank_drop, job.targets) == 0)
    assert np.all(job.decide_from(D, rank_drop, [-1]) == 0)  # no boundary: D mu has full rank at u
    est = nm.voronoi_mc(net, "singular", n, seed=0, progress=False, chunk_size=n)
    assert est.exhaustive and est.hits == 0 and est.n_failed == 0


def exhaustive_against_local_searches(net: nm.ConvNetwork, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exhaustive and multistart distances of the same samples ("singular"): every local search
    ends at a real point of a stratum, so its distance bounds the exhaustive one from above,
    stratum by stratum. Returns the exhaustive distances, where both found the same ones, and
    both methods' decisions."""
    exhaustive = NetworkJob.create(net, "singular", nm.Gaussian(), 2, n, "auto", n, certify=False)
    multistart = NetworkJob.create(net, "singular", nm.Gaussian(), 2, n, "multistart", n)
    assert exhaustive.method == "exhaustive"
    U = exhaustive.samples(0)
    De, re = exhaustive.distances(U, 0)
    Dm, rm = multistart.distances(U, 0)
    assert not np.isnan(De).any()
    assert np.all(De <= Dm * (1 + 1e-9) + 1e-12)
    same = np.all(np.abs(De - Dm) <= 1e-7 * (1 + Dm), axis=1)
    return De, same, exhaustive.decide_from(De, re, exhaustive.targets), multistart.decide_from(Dm, rm, multistart.targets)


def test_strided_convolution_is_exhaustive_and_bounded_by_local_searches() -> None:
    # strides (2, 1): w_1(z) w_2(z^2), a 4-dimensional cone in R^6; where the local searches find
    # the same distances and decide, the decisions agree
    net = nm.parse("conv:2,3/2,1")
    assert isinstance(net, nm.ConvNetwork) and net.filters == (2, 3) and net.strides == (2, 1)
    De, same, de, dm = exhaustive_against_local_searches(net, 120)
    assert np.all(De[:, 0] > 1e-6)  # a proper subset of R^6: generic data lie off it
    assert same.mean() > 0.9
    both = same & (dm >= 0)
    assert both.mean() > 0.9 and np.array_equal(de[both], dm[both]) and (de >= 0).all()


conv_specs = st.lists(st.tuples(st.integers(1, 3), st.integers(1, 2)), min_size=1, max_size=3).filter(
    lambda layers: sum(k - 1 for k, _ in layers) <= 3
)


@settings(max_examples=6, deadline=None)
@given(layers=conv_specs, seed=st.integers(0, 2**16))
def test_exhaustive_distance_is_never_beaten_by_real_filters(layers, seed: int) -> None:
    # the nearest point of the smooth part is never farther than the image of any real filters:
    # random ones, and those where local searches from random starts end
    net = nm.ConvNetwork([k for k, _ in layers], [s for _, s in layers])
    n = 12
    job = NetworkJob.create(net, "singular", nm.Gaussian(), seed, n, "auto", n, certify=False)
    assert job.method == "exhaustive"
    U = job.samples(0)
    top = job._exhaustive_distances(0, job.strata[0], U, 0)
    ok = np.isfinite(top)
    assert ok.mean() >= 0.75
    rng = np.random.default_rng(seed)
    thetas = rng.standard_normal((n, 50, net.n_params))
    random_distance = ((net.mu(thetas.reshape(-1, net.n_params)).reshape(n, 50, -1) - U[:, None, :]) ** 2).sum(axis=2).min(axis=1)
    searched, _ = _least_squares(net, np.arange(net.n_params), U, rng)
    bound = np.minimum(random_distance, searched)
    assert np.all(top[ok] <= bound[ok] * (1 + 1e-9) + 1e-12)


@settings(max_examples=15, deadline=None)
@given(layers=conv_specs, seed=st.integers(0, 2**16), end=st.sampled_from(["first", "last"]), pick=st.integers(0, 10**6))
def test_real_filters_have_real_coordinates_in_the_chart(layers, seed: int, end: str, pick: int) -> None:
    # the chart fixes one end tap per filter: real filters with nonzero fixed taps are rescaled
    # onto it by real factors, on every stratum
    net = nm.ConvNetwork([k for k, _ in layers], [s for _, s in layers])
    job = NetworkJob.create(net, "singular", nm.Gaussian(), seed, 1, "exhaustive", 1)
    positive = [s for s in job.strata if not s.point]
    s = positive[pick % len(positive)]
    support = None if s.support is None else np.array(s.support, dtype=np.int64)
    chart = block_cone_chart(net, filter_blocks(net), s.dim, seed, support, end)
    assert chart.n == s.dim and chart.coordinates is not None
    theta = np.random.default_rng(seed).standard_normal((5, net.n_params))
    if support is not None:
        theta[:, np.setdiff1d(np.arange(net.n_params), support)] = 0.0
    y = chart.coordinates(theta)
    assert y.dtype == np.float64 and y.shape == (5, s.dim)
    assert np.allclose(chart.mu(y), net.mu(theta), rtol=1e-9, atol=1e-12)
    assert np.allclose(net.mu(chart.lift(y)), net.mu(theta), rtol=1e-9, atol=1e-12)


def test_rank_drop_is_decided_with_a_band_and_free_of_rescalings() -> None:
    # filters (1 + a z) and (1 + (a + e) z): a common root when e = 0, where D mu drops rank;
    # near the threshold the sample is undecided, whatever the rescaling of the filters
    net = nm.ConvNetwork((2, 2))
    job = NetworkJob.create(net, "boundary", nm.Gaussian(), 0, 1, "exhaustive", 1)
    for e, expected in [(0.0, RANK_DROP), (1e-12, RANK_DROP), (1e-6, RANK_UNKNOWN), (1e-2, RANK_FULL)]:
        for scale in (1.0, 1e3):
            theta = np.array([[scale, 0.7 * scale, 1 / scale, (0.7 + e) / scale]])
            u = net.mu(theta[0])
            assert job._rank_drop(_Candidates(net.mu(theta), theta), u) == expected, (e, scale)
    assert job._rank_drop(None, np.ones(3)) == RANK_UNKNOWN


def test_method_choice_for_convolutions() -> None:
    linear = nm.ConvNetwork((2, 2))
    assert NetworkJob.create(linear, "singular", nm.Gaussian(), 0, 10, "auto", 10, certify=False).method == "exhaustive"
    # z^k keeps mu homogeneous in each filter; other activations do not
    with_power = nm.ConvNetwork((2, 2), activation=2)
    assert NetworkJob.create(with_power, "boundary", nm.Gaussian(), 0, 10, "auto", 10, certify=False).method == "exhaustive"
    with_activation = nm.ConvNetwork((2, 2), activation=(0, 1, 1))
    job = NetworkJob.create(with_activation, "singular", nm.Gaussian(), 0, 10, "auto", 10, certify=False)
    assert job.method == "multistart" and not job.exhaustive
    with pytest.raises(ValueError, match="not a power z\\^k.*not homogeneous in each filter.*multistart"):
        NetworkJob.create(with_activation, "singular", nm.Gaussian(), 0, 10, "exhaustive", 10)
    # with z^k "auto" solves every stratum when the job is made, and takes local searches when a
    # generic solve fails
    import neuromanifold._voronoi_networks as vn

    def failing(*args: object) -> None:
        raise nm.NeuromanifoldError("lost paths")

    real = vn._isolated_solutions
    vn._isolated_solutions = failing  # type: ignore[assignment]
    try:
        assert NetworkJob.create(with_power, "singular", nm.Gaussian(), 2, 10, "auto", 10, certify=False).method == "multistart"
    finally:
        vn._isolated_solutions = real
    # the boundary is decided exhaustively for linear convolutions
    assert NetworkJob.create(linear, "boundary", nm.Gaussian(), 0, 10, "auto", 10, certify=False).method == "exhaustive"
    # (and for networks whose edge lies in their lower strata, such as linear ones), not where it
    # needs the rank of D mu at parameters that are not multilinear blocks
    assert NetworkJob.create(nm.LinearNetwork((2, 1, 2)), "boundary", nm.Gaussian(), 0, 10, "auto", 10, certify=False).method == "exhaustive"
    biased = nm.PolynomialNetwork((2, 2, 1), 2, bias=True)
    assert NetworkJob.create(biased, "boundary", nm.Gaussian(), 0, 10, "auto", 10, certify=False).method == "multistart"


def test_exhaustive_convolution_counts_do_not_depend_on_threads_or_ranges() -> None:
    net = nm.ConvNetwork((2, 2))
    before = nm.get_num_threads()
    try:
        out = []
        for threads in (1, 2):
            nm.set_num_threads(threads)
            est = nm.voronoi_mc(net, "boundary", 200, seed=3, progress=False, chunk_size=50)
            out.append((est.hits, est.n_failed))
        assert out[0] == out[1]
    finally:
        nm.set_num_threads(before)
    job = NetworkJob.create(net, "boundary", nm.Gaussian(), 3, 200, "auto", 50, certify=False)
    whole = job.count(0, 4)
    split = np.vstack([job.count(0, 1), job.count(1, 4)])
    assert np.array_equal(whole, split) and int(whole[:, 0].sum()) == out[0][0]


def test_the_analysis_reports_the_edge_of_the_neuromanifold() -> None:
    # `neuromanifold analyze` lists the strata and, for a semi-algebraic neuromanifold, its
    # edge: for conv (2, 2) exactly the data with complex roots, from the same samples
    from neuromanifold._voronoi_networks import stratum_probabilities

    net = nm.ConvNetwork((2, 2))
    estimates = stratum_probabilities(net, 300, seed=4)
    edge = estimates[-1]
    assert edge.target == "boundary" and edge.exhaustive and edge.n_failed == 0
    U = NetworkJob.create(net, "singular", nm.Gaussian(), 4, 300, "auto", 300, certify=False).samples(0)
    assert edge.hits == int((U[:, 1] ** 2 < 4 * U[:, 0] * U[:, 2]).sum())
    assert all(e.hits == 0 for e in estimates[:-1])  # the strata attract nothing
    # the real part of its closure, whose edge lies in the lower strata: proven to attract nothing
    linear = stratum_probabilities(nm.LinearNetwork((2, 1, 2)), 50)[-1]
    assert linear.target == "boundary" and linear.method == "certificate" and linear.p == 0


def test_polynomial_convolution_is_decided_exhaustively_and_its_strata_attract_nothing() -> None:
    # conv (2, 2) with z^2: p (a x0 + b x1)^2 + q (a x1 + b x2)^2, homogeneous of degree 2 in
    # (a, b) and 1 in (p, q); its real image is closed (the squares of the shifted forms are
    # independent), so the exhaustive distance is the minimum over the angle of (a, b) of the
    # distance to the plane of (p, q), found here on a grid. The seed notes' claim holds: no
    # singular stratum of this polynomial convolution, nor its edge, is nearest for any sample
    net = nm.ConvNetwork((2, 2), activation=2)
    assert [tuple(m) for m in net.monomials] == [(2, 0, 0), (1, 1, 0), (0, 2, 0), (0, 1, 1), (0, 0, 2)]
    n = 400
    job = NetworkJob.create(net, "singular", nm.Gaussian(), 0, n, "auto", n, certify=False)
    assert job.method == "exhaustive" and job.exhaustive
    U = job.samples(0)
    D, rank_drop = job.distances(U, 0)
    assert not np.isnan(D).any()
    angle = np.linspace(0, np.pi, 4001)
    a, b = np.cos(angle), np.sin(angle)
    zero = np.zeros_like(a)
    P = np.stack([a**2, 2 * a * b, b**2, zero, zero], axis=1)
    Q = np.stack([zero, zero, a**2, 2 * a * b, b**2], axis=1)
    grid = np.full(n, np.inf)
    for k in range(len(angle)):
        basis, _ = np.linalg.qr(np.stack([P[k], Q[k]], axis=1))
        grid = np.minimum(grid, ((U - (U @ basis) @ basis.T) ** 2).sum(axis=1))
    assert np.all(D[:, 0] <= grid * (1 + 1e-9))
    assert np.all(D[:, 0] >= grid * (1 - 1e-3))  # the grid is within 1e-3 of the minimum
    for target in (job.targets, [-1]):
        d = job.decide_from(D, rank_drop, target)
        assert (d >= 0).mean() > 0.98 and (d == 1).sum() == 0


@pytest.mark.parametrize("spec", ["conv:2,3^2", "conv:2,2/2,1^2", "conv:2,2^3"])
def test_polynomial_convolution_exhaustive_distances_bound_local_searches(spec: str) -> None:
    net = nm.parse(spec)
    assert isinstance(net, nm.ConvNetwork)
    _, same, de, dm = exhaustive_against_local_searches(net, 30)
    assert same.mean() > 0.85
    both = same & (dm >= 0) & (de >= 0)
    assert np.array_equal(de[both], dm[both])


@settings(max_examples=10, deadline=None)
@given(filters=st.lists(st.integers(1, 3), min_size=2, max_size=3), power=st.integers(2, 3), seed=st.integers(0, 2**16), end=st.sampled_from(["first", "last"]))
def test_real_filters_have_real_coordinates_in_the_homogeneous_chart(filters: list[int], power: int, seed: int, end: str) -> None:
    # mu(l_1 w_1, ..., l_L w_L) = prod l_i^(k^(L - 1 - i)) mu(w): real filters are rescaled onto
    # the chart by real factors, t undoing the product of their powers
    from neuromanifold._blocks import multilinear_form

    net = nm.ConvNetwork(filters, activation=power)
    form = multilinear_form(net)
    assert not isinstance(form, str) and form.degrees == tuple(power ** (len(filters) - 1 - i) for i in range(len(filters)))
    dim = nm.dimension(net).dim
    assert dim == net.n_params - len(filters) + 1  # the fibers are the rescalings: a chart
    chart = block_cone_chart(net, form, dim, seed, None, end)
    theta = np.random.default_rng(seed).standard_normal((5, net.n_params))
    y = chart.coordinates(theta)
    assert y.dtype == np.float64 and y.shape == (5, dim)
    for image in (chart.mu(y), net.mu(chart.lift(y))):
        assert np.allclose(image, net.mu(theta), rtol=1e-8, atol=1e-10)
