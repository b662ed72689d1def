"""Local searches through the seam where a neuron merges with the constant: the coordinates
(A, t, v, b) give the network's functions (minus constants) for t != 0 and their affine limits
at t = 0, smoothly; searches there decide samples as the exact method does."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neuromanifold as nm
import neuromanifold._voronoi_networks as vn
from neuromanifold._voronoi_seams import SeamCoordinates, fourier_lattice, normalized_rank_ratio, seams_available

SPECS = [
    "poly:1,2,1^5+bias",
    "poly:2,2,1^3+bias",
    "poly:2,2,2^3+bias",
    "poly:3,2,1^2+bias",
    "poly:2,3,2^(1,0.5,-1,2)+bias",
    "poly:1,3,1^(0,2,0,1)+bias",
    "poly:2,2,2,1^2+bias",
    "poly:1,2,2,1^3+bias",
    "poly:2,2,3,2^(1,0.5,-1)+bias",
]


def _pack(seam: SeamCoordinates, V: np.ndarray, t: np.ndarray, b: np.ndarray, A: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Seam coordinates of one hidden layer from their parts."""
    P = np.zeros(seam.n)
    Vi, ti, bi = seam.layers[0]
    P[Vi], P[ti], P[bi], P[seam.A], P[seam.beta] = V, t, b, A, beta
    return P


@settings(max_examples=20, deadline=None)
@given(spec=st.sampled_from(SPECS), seed=st.integers(0, 2**32 - 1))
def test_seam_coordinates_give_the_network_and_its_derivative(spec: str, seed: int) -> None:
    net = nm.parse(spec)
    seam = SeamCoordinates(net)
    theta = np.random.default_rng(seed).standard_normal((3, net.n_params))
    # off the seams, where central differences of to_params (which divides by the scales) hold
    theta = np.where(np.abs(theta) < 0.05, np.copysign(0.05, theta), theta)
    P = seam.from_params(theta)
    assert np.allclose(seam.mu(P), net.mu(theta), atol=1e-10 * (1 + np.abs(net.mu(theta)).max()))
    # D mu against central differences
    h = 1e-6
    steps = np.eye(seam.n) * h
    fd = np.stack([(seam.mu(P + e) - seam.mu(P - e)) / (2 * h) for e in steps], axis=-1)
    J = seam.jacobian(P)
    assert np.allclose(J, fd, atol=1e-6 * (1 + np.abs(J).max()))
    # the coordinates are redundant, but D mu spans the same tangent space in both: by the chain
    # rule through from_params and through its inverse off the seams, each Jacobian is the other's
    # times a matrix
    assert np.allclose(seam.to_params(P), theta, atol=1e-10)
    for th, p in zip(theta, P):
        d_from = np.stack([(seam.from_params(th + e) - seam.from_params(th - e)) / (2 * h) for e in np.eye(net.n_params) * h], axis=-1)
        J_net = net.jacobian(th)
        assert np.allclose(seam.jacobian(p) @ d_from, J_net, atol=1e-6 * (1 + np.abs(J_net).max()))
        d_to = np.stack([(seam.to_params(p + e) - seam.to_params(p - e)) / (2 * h) for e in steps], axis=-1)
        J_seam = seam.jacobian(p)
        assert np.allclose(net.jacobian(seam.to_params(p)) @ d_to, J_seam, atol=1e-6 * (1 + np.abs(J_seam).max()))


@pytest.mark.parametrize("spec", ["poly:1,2,1^5+bias", "poly:2,2,1^3+bias", "poly:2,3,2^(1,0.5,-1,2)+bias"])
def test_at_t_zero_a_neuron_is_the_limit_of_a_neuron_merging_with_the_constant(spec: str) -> None:
    # c sigma(w.x + b) + beta with w = t v, c = A / t, beta = beta' - c sigma(b) tends to
    # A sigma'(b) v.x + beta' as t -> 0, and the seam coordinates give that limit at t = 0
    net = nm.parse(spec)
    seam = SeamCoordinates(net)
    d, h, o = net.widths
    rng = np.random.default_rng(7)
    A, v, b, beta = rng.standard_normal((o, h)), rng.standard_normal((h, d)), rng.standard_normal(h), rng.standard_normal(o)
    t = np.array([0.0] + list(rng.standard_normal(h - 1)))  # the first neuron on the seam
    P = _pack(seam, v, t, b, A, beta)
    a = np.asarray(net.activation)
    sigma = lambda z: sum(c * z**k for k, c in enumerate(a))  # noqa: E731
    dsigma = lambda z: sum(k * c * z ** (k - 1) for k, c in enumerate(a) if k)  # noqa: E731
    limits = []
    for eps in (1e-2, 1e-3, 1e-4):
        tt = t.copy()
        tt[0] = eps
        W1, C = tt[:, None] * v, A / tt[None, :]
        theta = np.concatenate([W1.ravel(), b, C.ravel(), beta - C @ sigma(b)])
        limits.append(np.abs(net.mu(theta) - seam.mu(P)).max())
    assert limits[0] > limits[1] > limits[2] and limits[2] < 1e-3 * (1 + np.abs(seam.mu(P)).max())
    # the first neuron alone at t = 0: A sigma'(b) v.x, an affine form without constant
    only = _pack(seam, v, t, b, np.where(np.arange(h) == 0, A, 0.0), np.zeros(o))
    f = seam.mu(only).reshape(o, -1)
    linear = {tuple(e): k for k, e in enumerate(net.monomials.tolist())}
    for oi in range(o):
        expect = np.zeros(f.shape[1])
        for r in range(d):
            expect[linear[tuple(int(i == r) for i in range(d))]] = A[oi, 0] * dsigma(b[0]) * v[0, r]
        assert np.allclose(f[oi], expect, atol=1e-12)


def test_M_is_smooth_through_the_seam_where_the_network_s_own_jacobian_degenerates() -> None:
    # along the way to the seam the columns of D mu for c, b and beta become parallel: the rank
    # ratio of the network's own Jacobian falls like t^2 (balanced or not), while in seam
    # coordinates M's tangent space keeps its dimension, up to the seam itself
    net = nm.parse("poly:1,2,1^5+bias")
    seam = SeamCoordinates(net)
    dim = nm.dimension(net).dim
    rng = np.random.default_rng(3)
    A, v, b, beta = rng.standard_normal((1, 2)), np.array([[1.0], [1.0]]), rng.standard_normal(2), rng.standard_normal(1)
    own, ours = [], []
    for eps in (1e-1, 1e-2, 1e-3, 0.0):
        t = np.array([eps, 0.8])
        P = _pack(seam, v, t, b, A, beta)
        ours.append(normalized_rank_ratio(seam, P[None, :], dim)[0])
        if eps:
            W1, C = t[:, None] * v, A / t[None, :]
            theta = np.concatenate([W1.ravel(), b, C.ravel(), beta - C @ (b**5)])
            job = vn.NetworkJob.create(net, "boundary", nm.Gaussian(), 0, 10, "multistart", 10, certify=False)
            own.append(job._rank_ratio(theta[None, :])[0])
    assert own[0] > 10 * own[1] > 100 * own[2]
    assert min(ours) > vn.EDGE_RATIO and ours[-1] > 0.5 * ours[0]


def test_searches_through_the_seams_decide_as_the_exact_method(monkeypatch: pytest.MonkeyPatch) -> None:
    # poly:1,2,1^5+bias has an exact boundary (neurons merging, on the derivatives): every
    # sample whose local-search decision the seam searches change is decided that way exactly
    # (without the random restarts at the edge, which find some of the same points)
    monkeypatch.setattr(vn, "EDGE_RESTARTS", 0)
    net = nm.parse("poly:1,2,1^5+bias")
    assert seams_available(net) and not seams_available(nm.parse("poly:2,2,1^3"))
    exact = vn.NetworkJob.create(net, "boundary", nm.Gaussian(), 0, 300, "auto", 300)
    U = exact.samples(0)
    truth = exact.decide(U, 0)
    local = vn.NetworkJob.create(net, "boundary", nm.Gaussian(), 0, 300, "multistart", 300)
    with_seams = local.decide(U, 0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(vn, "seams_available", lambda net_: False)
        without = local.decide(U, 0)
    changed = np.flatnonzero(with_seams != without)
    assert len(changed) >= 3
    assert (with_seams[changed] == truth[changed]).all()
    assert ((with_seams != truth) & (truth >= 0)).sum() < ((without != truth) & (truth >= 0)).sum()


@pytest.mark.parametrize("spec", ["poly:2,2,1^3+bias", "poly:2,2,2,1^2+bias"])
def test_data_next_to_a_real_network_beside_a_seam_are_not_counted_for_the_edge(spec: str) -> None:
    # a real network with a neuron at scale t = 1e-3 (first or second hidden layer) where M's
    # tangent space is well conditioned, and data 1e-4 |mu| off it along a normal: the nearest
    # point is that network, attained, so no search may count the sample for the edge. The
    # network's own searches crawl there and mostly do; through the seams none does
    net = nm.parse(spec)
    seam = SeamCoordinates(net)
    dim = nm.dimension(net).dim
    rng = np.random.default_rng(11)
    U, sq = [], []
    while len(U) < 12:
        P = seam.from_params(rng.standard_normal(net.n_params))
        P[seam.layers[len(U) % len(seam.layers)][1][0]] = 1e-3
        if normalized_rank_ratio(seam, P[None, :], dim)[0] < 0.05:
            continue
        m = seam.mu(P)
        normal = np.linalg.svd(seam.jacobian(P))[0][:, dim:] @ rng.standard_normal(len(m) - dim)
        U.append(m + 1e-4 * np.linalg.norm(m) * normal / np.linalg.norm(normal))
        sq.append((1e-4 * np.linalg.norm(m)) ** 2)
    job = vn.NetworkJob.create(net, "boundary", nm.Gaussian(), 0, 12, "multistart", 12)
    D, drop = job.distances(np.array(U), 0)
    assert (job.decide_from(D, drop, job.targets) == 0).all()
    assert (D[:, 0] <= np.array(sq) * (1 + 1e-6)).mean() >= 0.75  # found (or a nearer point)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(vn, "seams_available", lambda net_: False)
        assert (job.decide(np.array(U), 0) == 1).any()


@settings(max_examples=20, deadline=None)
@given(d=st.integers(1, 4), D=st.integers(1, 7), seed=st.integers(0, 2**32 - 1))
def test_the_lattice_reads_off_every_coefficient(d: int, D: int, seed: int) -> None:
    # a polynomial of degree <= D in d variables from its values at N points of the lattice:
    # the transform returns its coefficients whenever e . a mod N separates the monomials
    E = [e for e in np.ndindex(*([D + 1] * d)) if sum(e) <= D]
    N, a = fourier_lattice(tuple(E))
    assert len(E) <= N <= (D + 1) ** d and a[0] == 1
    assert len({int(np.dot(e, a)) % N for e in E}) == len(E)
    c = np.random.default_rng(seed).standard_normal(len(E))
    z = np.exp(2j * np.pi * np.outer(np.arange(N), a) / N)
    values = np.array([sum(ci * np.prod(zk ** np.array(e)) for ci, e in zip(c, E)) for zk in z])
    read = np.array([values @ np.exp(-2j * np.pi * np.arange(N) * (np.dot(e, a) % N) / N) / N for e in E])
    assert np.allclose(read, c, atol=1e-10)
