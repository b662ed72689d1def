"""Why subnetwork strata of polynomial MLPs attract no data (Voronoi cells of measure zero).

At a point p = mu(theta) where a hidden neuron is switched off (its outgoing weights zero), the
neuromanifold M contains the curves t -> mu(theta + t e) for every outgoing weight e of that
neuron, whatever its incoming weights: lines through p in both directions, since the outgoing
weight takes either sign. With the stratum's own tangent space they span the tangent cone's
linear hull. If that hull is the whole ambient space, the polar of the tangent cone is {0}, so
data u with nearest point p must satisfy u - p = 0: every point of the stratum has a Voronoi
cell of one point, and the stratum (of lower dimension) attracts data with probability zero.
The tests check that the hull is the whole space for one hidden layer, with and without bias
and for several activations: there the implicit bias of subnetworks (they are critical points
of the loss for all data) is not a Voronoi effect. With two hidden layers the outgoing weights
of a first-layer neuron give too few lines, and lines of second order complete the hull (see the
last test).
"""

from __future__ import annotations

import numpy as np
import pytest

import neuromanifold as nm


def layer_blocks(net: nm.PolynomialNetwork) -> list[tuple[int, int, int]]:
    """(offset, rows, cols) of each weight matrix in the parameter vector."""
    blocks, offset = [], 0
    for rows, cols in zip(net.widths[1:], net.widths[:-1]):
        blocks.append((offset, rows, cols))
        offset += rows * cols + (rows if net.bias else 0)
    return blocks


def outgoing_weights(net: nm.PolynomialNetwork, off: np.ndarray) -> np.ndarray:
    """The switched-off parameters that are outgoing weights of the switched-off neuron: those
    in a weight matrix after the first one that holds switched-off parameters."""
    blocks = layer_blocks(net)
    first = min(k for k, (o, r, c) in enumerate(blocks) if np.any((off >= o) & (off < o + r * c + (r if net.bias else 0))))
    o, r, c = blocks[first + 1]
    return off[(off >= o) & (off < o + r * c)]


@pytest.mark.parametrize(
    "spec",
    ["poly:3,2,1^2", "poly:3,2,1^2+bias", "poly:3,2,1^3", "poly:2,2,1^4", "poly:2,3,1^(0,1,1)", "poly:3,3,1^2+bias"],
)
def test_subnetwork_points_have_trivial_normal_cones(spec: str) -> None:
    net = nm.parse(spec)
    subnetworks = net.subnetworks()
    assert subnetworks
    for s in subnetworks:
        assert tangent_hull_rank(net, s) == net.ambient_dim, s.description


def tangent_hull_rank(net: nm.PolynomialNetwork, s: nm.Subnetwork) -> int:
    """Rank of the stratum's tangent space and the lines mu(th + t e) at a random point of s."""
    rng = np.random.default_rng(0)
    off = np.setdiff1d(np.arange(net.n_params), s.embedding)
    out = outgoing_weights(net, off)
    incoming = np.setdiff1d(off, out)
    assert len(out) and len(incoming)
    theta = rng.standard_normal(net.n_params)
    theta[off] = 0.0
    p = net.mu(theta)
    # the stratum's tangent space at p
    hull = [net.jacobian(theta)[:, s.embedding]]
    for _ in range(net.ambient_dim):
        th = theta.copy()
        th[incoming] = rng.standard_normal(len(incoming))
        # with its outgoing weights zero the neuron adds nothing, whatever comes in
        assert np.allclose(net.mu(th), p)
        # mu(th + t e) lies in M for all real t: a line through p in the tangent cone
        hull.append(net.jacobian(th)[:, out])
    sv = np.linalg.svd(np.hstack(hull), compute_uv=False)
    return int((sv > 1e-8 * sv[0]).sum())


def test_a_one_sided_tangent_cone_has_a_cell_of_positive_measure() -> None:
    # the contrast: at the end point of the half parabola t -> (t^2, t^4) the tangent cone is a
    # half-line, its polar a half-plane, and the end point attracts a quarter of the box and more
    half = nm.PlaneCurve.parametrized("t**2", "t**4")
    est = nm.voronoi_mc(half, (0, 0), 4000, nm.UniformBox(-1, 1), seed=0, progress=False)
    assert est.ci95[0] > 0.25


def test_two_hidden_layers_need_second_order_lines() -> None:
    # (2, 2, 2, 1) with z^2 gives the binary quartics a l1^4 + b l1^2 l2^2 + c l2^4. At a point
    # c x^4 of the stratum "a neuron of the first layer off" the lines through the outgoing
    # weights span only x^2 times the binary quadratics (3 of 5 dimensions). But M also holds
    # x^4 + t m^4 for every m and both signs of t (second-layer neurons of opposite output
    # signs cancel the x^2 m^2 term), and with those lines the hull is everything again.
    net = nm.parse("poly:2,2,2,1^2")
    first = [s for s in net.subnetworks() if "layer 1" in s.description]
    assert first and tangent_hull_rank(net, first[0]) == 3
    rng = np.random.default_rng(1)
    x4 = np.array([1.0, 0, 0, 0, 0])
    lines = []
    for _ in range(5):
        m = rng.standard_normal(2)
        m4 = np.array([m[0] ** 4, 4 * m[0] ** 3 * m[1], 6 * m[0] ** 2 * m[1] ** 2, 4 * m[0] * m[1] ** 3, m[1] ** 4])
        e, r = rng.uniform(0.2, 1.0, 2)
        # W1 rows x and m; second layer (A11, A12; A21, A22); output weights v
        plus = np.array([1, 0, *m, 1, e, 1, -e, 0.5, 0.5])  # x^4 + e^2 m^4
        c, s_ = np.cosh(r), np.sinh(r)
        minus = np.array([1, 0, *m, c, e * s_, s_, e * c, 1.0, -1.0])  # x^4 - e^2 m^4
        for theta, sign in ((plus, 1.0), (minus, -1.0)):
            f = net.mu(theta)
            assert np.allclose(f, x4 + sign * e**2 * m4)
        lines.append(m4)
    theta = np.array([1, 0, 0, 0, 1, 0, 1, 0, 0.5, 0.5])  # x^4 with the second neuron off
    assert np.allclose(net.mu(theta), x4)
    hull = np.column_stack([net.jacobian(theta), *lines])
    sv = np.linalg.svd(hull, compute_uv=False)
    assert (sv > 1e-8 * sv[0]).sum() == net.ambient_dim


def subnetwork_optimum(net, support: tuple[int, ...], u: np.ndarray, seed: int) -> np.ndarray:
    """The best parameters of the subnetwork (zero outside ``support``) for data u, by local
    searches from random starts, polished by scipy's trust-region least squares; checked to be a
    critical point of the subnetwork's loss."""
    from scipy.optimize import least_squares

    from neuromanifold._voronoi_networks import _least_squares

    idx = np.array(support, dtype=np.int64)
    _, theta = _least_squares(net, idx, u[None, :], np.random.default_rng(seed))
    theta = np.asarray(theta).reshape(-1, net.n_params)[0].copy()
    assert np.all(theta[np.setdiff1d(np.arange(net.n_params), idx)] == 0.0)

    def embed(y: np.ndarray) -> np.ndarray:
        full = np.zeros(net.n_params)
        full[idx] = y
        return full

    fit = least_squares(lambda y: net.mu(embed(y)) - u, theta[idx], jac=lambda y: net.jacobian(embed(y))[:, idx], method="trf", xtol=1e-15, ftol=1e-15, gtol=1e-15)
    theta = embed(fit.x)
    J = net.jacobian(theta)[:, idx]
    residual = net.mu(theta) - u
    assert np.linalg.norm(J.T @ residual) <= 1e-7 * (1 + np.linalg.norm(u)) ** 2
    return theta


@pytest.mark.parametrize("spec", ["poly:3,2,1^2", "poly:2,2,2,1^2", "poly:3,2,1^3"])
def test_subnetwork_optima_are_critical_points_of_the_whole_mlp(spec: str) -> None:
    # the implicit bias of MLP subnetworks: with a neuron switched off (outgoing weights zero)
    # and sigma(0) = sigma'(0) = 0 (incoming weights zero too), the derivatives of mu along that
    # neuron's weights vanish, so every critical point of the subnetwork's loss is one of the
    # whole network's loss, for all data (a set of positive measure, unlike the Voronoi cells)
    net = nm.parse(spec)
    rng = np.random.default_rng(7)
    sub = next(s for s in net.subnetworks() if "one neuron switched off" in s.description)
    from neuromanifold._voronoi_networks import NetworkJob

    job = NetworkJob.create(net, "singular", nm.Gaussian(), 0, 1, "multistart", 1)
    stratum = next(s for s in job.strata if s.name == sub.description)
    for k in range(5):
        u = rng.standard_normal(net.ambient_dim)
        theta = subnetwork_optimum(net, stratum.support, u, k)
        point = nm.classify(net, nm.DistanceLoss(u), theta)
        assert point.kind != "not_critical" 
        assert point.real and not point.pure  # mu(theta) lies on the singular stratum


def test_subnetwork_optima_of_convolutions_are_not_critical_points() -> None:
    # conv (2, 2): a filter with an end tap switched off. mu is linear in each filter, and the
    # derivative along the switched-off tap is z^k times the other filter: not orthogonal to
    # the residual for generic data, so the subnetwork's optimum is no critical point of the
    # whole network's loss (the seed notes' "CNN singularities don't" bias)
    net = nm.ConvNetwork((2, 2))
    from neuromanifold._voronoi_networks import NetworkJob

    job = NetworkJob.create(net, "singular", nm.Gaussian(), 0, 1, "multistart", 1)
    rng = np.random.default_rng(3)
    for stratum in [s for s in job.strata if not s.point and s.support is not None and len(s.support) == 3]:
        for k in range(5):
            u = rng.standard_normal(net.ambient_dim)
            theta = subnetwork_optimum(net, stratum.support, u, k)
            off = np.setdiff1d(np.arange(net.n_params), stratum.support)
            gradient = 2 * net.jacobian(theta).T @ (net.mu(theta) - u)
            assert np.abs(gradient[off]).max() > 1e-3 * (1 + np.linalg.norm(u))
            point = nm.classify(net, nm.DistanceLoss(u), theta)
            assert point.kind == "not_critical"
