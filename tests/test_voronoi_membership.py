"""The edge of filling polynomial MLPs by real membership: data outside the real image have
their nearest point on its edge, and real preimages are decided exactly. Checked against the
classical descriptions of the real images: binary cubics of real Waring rank <= 2 are those
with one real root; pencils of quadratic forms are diagonalized by a real congruence when
Q1^-1 Q2 has real eigenvalues."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import neuromanifold as nm
from neuromanifold._voronoi_membership import Membership, incoming_weights, membership_available
from neuromanifold._voronoi_networks import NetworkJob, _dim


def coefficients(net: nm.PolynomialNetwork, U: np.ndarray, output: int = 0) -> dict[tuple[int, ...], np.ndarray]:
    m = len(net.monomials)
    return {tuple(e): U[:, output * m + k] for k, e in enumerate(net.monomials.tolist())}


def symmetric(net: nm.PolynomialNetwork, U: np.ndarray, output: int) -> np.ndarray:
    """The symmetric matrices (B, n, n) of the quadratic forms of one output."""
    n = net.widths[0]
    c = coefficients(net, U, output)
    Q = np.zeros((len(U), n, n))
    for e, v in c.items():
        idx = np.flatnonzero(e)
        if len(idx) == 1:
            Q[:, idx[0], idx[0]] = v
        else:
            Q[:, idx[0], idx[1]] = Q[:, idx[1], idx[0]] = v / 2
    return Q


def edge_decisions(spec: str, n: int, seed: int) -> tuple[nm.VoronoiEstimate, np.ndarray, np.ndarray]:
    net = nm.parse(spec)
    est = nm.voronoi_mc(net, "boundary", n, seed=seed, progress=False, chunk_size=n)
    job = NetworkJob.create(net, "boundary", nm.Gaussian(), seed, n, "auto", n)
    U = job.samples(0)
    return est, U, job.decide(U, 0)


# derandomized: each example runs homotopies, whose cost varies with the seed; CI runs the same ones
@settings(max_examples=3, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**16))
def test_binary_cubics_outside_have_three_real_roots(seed: int) -> None:
    est, U, d = edge_decisions("poly:2,2,1^3", 400, seed)
    c = coefficients(nm.parse("poly:2,2,1^3"), U)
    a, b, cc, e = c[(3, 0)], c[(2, 1)], c[(1, 2)], c[(0, 3)]
    disc = b * b * cc * cc - 4 * a * cc**3 - 4 * b**3 * e - 27 * a * a * e * e + 18 * a * b * cc * e
    assert est.exhaustive and est.method == "exhaustive" and est.n_failed == 0
    assert np.array_equal(d == 1, disc > 0)
    lo, hi = est.ci95
    assert est.hits == int((disc > 0).sum()) and lo <= est.p <= hi


@settings(max_examples=2, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**16))
@example(seed=299)  # complex solutions far out in the slice, which a realness test relative to the largest coordinate left undecided
def test_pencils_outside_have_complex_eigenvalues(seed: int) -> None:
    # the homotopy membership itself ("auto" reads the pencil's eigenvalues: test_voronoi_pencils.py)
    net = nm.parse("poly:3,3,2^2")
    U = NetworkJob.create(net, "boundary", nm.Gaussian(), seed, 150, "auto", 150).samples(0)
    d = Membership(net, seed).decide(U, 0)
    Q1, Q2 = symmetric(net, U, 0), symmetric(net, U, 1)
    eig = np.linalg.eigvals(np.linalg.solve(Q1, Q2))
    complex_pair = np.abs(eig.imag).max(axis=1) > 1e-9 * np.abs(eig).max(axis=1)
    assert (d >= 0).all() and np.array_equal(d == 1, complex_pair)


def test_membership_applies_to_filling_power_networks_only() -> None:
    assert membership_available(nm.parse("poly:2,2,2^2"), 6) is None
    for spec in ("poly:3,2,1^2", "poly:2,2,2,1^2", "conv:2,2"):
        net = nm.parse(spec)
        assert membership_available(net, _dim(net, 0)) is not None
    assert membership_available(nm.PolynomialNetwork((2, 2, 1), (0, 1, 0, 1)), 4) is not None
    # no edge to decide exactly: the exhaustive boundary still refuses
    with pytest.raises(ValueError, match="boundary"):
        nm.voronoi_mc(nm.parse("poly:2,2,2,1^2"), "boundary", 10, method="exhaustive", progress=False)


@settings(max_examples=10, deadline=None)
@given(spec=st.sampled_from(["poly:2,2,2^2", "poly:3,2,1^2+bias", "poly:2,3,2,2^3", "poly:1,2,1^4+bias"]), seed=st.integers(0, 2**16))
def test_rescaling_the_fixed_weights_keeps_mu(spec: str, seed: int) -> None:
    # the slice fixes the weights incoming_weights names: one per hidden neuron, each rescaled
    # with its neuron (incoming weights and bias by lambda, outgoing by lambda^-k)
    net = nm.parse(spec)
    k = int(np.flatnonzero(net.activation)[0])
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal(net.n_params)
    fixed = incoming_weights(net.widths, net.bias)
    assert len(fixed) == sum(net.widths[1:-1])
    w, offset, neuron = net.widths, 0, 0
    for layer in range(1, len(w) - 1):
        rows = w[layer - 1]
        for i in range(w[layer]):
            lam = rng.uniform(0.5, 2.0) * rng.choice([-1.0, 1.0])
            t = theta.copy()
            row = offset + i * rows + np.arange(rows)
            assert fixed[neuron] == row[0]
            t[row] *= lam
            if net.bias:
                t[offset + w[layer] * rows + i] *= lam
            nxt = offset + w[layer] * rows + (w[layer] if net.bias else 0)
            t[nxt + np.arange(w[layer + 1]) * w[layer] + i] *= lam ** (-k)
            assert np.allclose(net.mu(t), net.mu(theta), atol=1e-9 * (1 + np.abs(net.mu(theta)).max()))
            neuron += 1
        offset += w[layer] * rows + (w[layer] if net.bias else 0)
