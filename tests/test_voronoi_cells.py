"""Bounds on Voronoi cells from two-sided tangent directions: if p is the nearest point of M to
u, then u - p is orthogonal to the image of D mu at every real point of the fiber of p. At a
subnetwork the switched-off neuron moves p both ways in the directions of its own function, so
the lower strata of a network with one hidden layer have null Voronoi cells at every point,
whatever the activation; full-dimensional parts of M get no bound."""

from __future__ import annotations

from math import comb
from typing import Any

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import neuromanifold as nm
from neuromanifold._everywhere_bounds import _layers_bound, _merged, _two_hidden_layers_bound
from neuromanifold._voronoi_cells import _Span, _fiber_point, _separates
from neuromanifold._voronoi_networks import strata


def neuron_span(n: int, activation: tuple[float, ...], bias: bool) -> int:
    """dim span {s(w.x + b)} for s(z) = sum a_j z^j: rescaling (w, b) separates the homogeneous
    parts, and the j-th powers of affine (linear) forms span all polynomials of degree <= j
    (all forms of degree j)."""
    degrees = [j for j, a in enumerate(activation) if a != 0]
    if bias:
        return comb(n + max(degrees), max(degrees))
    return sum(comb(n + j - 1, j) for j in degrees)


@st.composite
def one_hidden_layer(draw: st.DrawFn) -> tuple[nm.PolynomialNetwork, tuple[float, ...]]:
    n, r, m = draw(st.integers(1, 3)), draw(st.integers(2, 3)), draw(st.integers(1, 2))
    k = draw(st.integers(1, 3))
    lower = draw(st.lists(st.sampled_from([0.0, 0.0, 1.0, -0.5]), min_size=k, max_size=k))
    activation = tuple(lower) + (draw(st.sampled_from([1.0, 2.0, -1.0])),)
    bias = draw(st.booleans())
    return nm.PolynomialNetwork((n, r, m), activation=activation, bias=bias), activation


@settings(max_examples=25, deadline=None)
@given(one_hidden_layer())
def test_one_hidden_layer_strata_have_null_cells_everywhere(case) -> None:
    net, activation = case
    n, m = net.widths[0], net.widths[-1]
    D = m * neuron_span(n, activation, net.bias)
    lower = strata(net, 0)[1:]
    bounds = nm.voronoi_cell_bounds(net)
    assert [b.stratum for b in bounds] == [s.name for s in lower]
    for s, b in zip(lower, bounds):
        # M lies in the span of the neurons' functions (and the constants), so a stratum of
        # lower dimension than M is exceeded by it
        assert b.null == (not s.full)
        if b.null:
            assert b.everywhere and b.two_sided_dim == D
            assert b.cell_dim == b.stratum_dim + b.ambient_dim - D


def test_linear_rank_strata_are_their_own_cells() -> None:
    # Eckart-Young: data whose nearest matrix of rank <= 2 has rank 1 have rank 1 themselves
    (b1, b0) = nm.voronoi_cell_bounds(nm.LinearNetwork((3, 2, 3)))
    assert (b1.stratum, b1.null, b1.everywhere, b1.two_sided_dim, b1.cell_dim) == ("rank <= 1", True, True, 9, 5)
    assert (b0.stratum, b0.cell_dim) == ("zero function", 0)


def test_convolutions_get_bounds_at_generic_points_only() -> None:
    net = nm.parse("conv:3,2^2")
    for s, b in zip(strata(net, 0)[1:], nm.voronoi_cell_bounds(net)):
        assert b.null
        assert b.everywhere == s.point  # the zero function is one point: its bound is its own
    with pytest.raises(ValueError, match="generic points only"):
        nm.voronoi_mc(net, "singular", 10, method="certificate", progress=False)


def _stratum(net: nm.PolynomialNetwork, widths: tuple[int, ...]) -> tuple[Any, np.ndarray]:
    """The subnetwork stratum of ``net`` with these hidden widths, and its switched-off parameters."""
    s = next(x for x in strata(net, 0)[1:] if x.network is not None and tuple(x.network.widths[1:-1]) == widths)
    return s, np.setdiff1d(np.arange(net.n_params), np.array(s.support))


def _meets_each_part(net: nm.PolynomialNetwork, cases: list[tuple[np.ndarray, int, int | None]], off: np.ndarray, rng: np.random.Generator, points: int) -> None:
    """At each point (theta0, bound, count) of a part of a stratum: the part's bound exceeds its
    dimension count (None: the general part), and the span of D mu over the fiber meets it."""
    for theta0, bound, count in cases:
        assert not theta0[off].any()
        assert count is None or bound > count
        assert _fiber_span(net, theta0, off, rng, points) >= bound


@given(ranks=st.lists(st.integers(0, 4), min_size=1, max_size=6), scales=st.lists(st.floats(1e-6, 1e6), min_size=6, max_size=6), seed=st.integers(0, 2**32 - 1))
def test_span_dimension_is_the_rank_of_all_blocks(ranks: list[int], scales: list[float], seed: int) -> None:
    # blocks of any size drawn from a fixed 9-dimensional subspace of R^30, some of them spanned
    # by earlier blocks: the span's dimension is the rank of all blocks together, its basis
    # orthonormal, and a block grows it exactly when the rank goes up
    rng = np.random.default_rng(seed)
    space = np.linalg.qr(rng.standard_normal((30, 9)))[0]
    span, blocks = _Span(30), []
    for r, scale in zip(ranks, scales):
        block = scale * space @ rng.standard_normal((9, r)) @ rng.standard_normal((r, 5))
        if blocks and rng.random() < 0.3:
            block = scale * np.hstack(blocks) @ rng.standard_normal((sum(b.shape[1] for b in blocks), 3))  # nothing new
        before = np.linalg.matrix_rank(np.hstack(blocks)) if blocks else 0
        blocks.append(block / np.abs(block).max(initial=1.0))
        after = np.linalg.matrix_rank(np.hstack(blocks))
        assert span.add(block) == (after > before)
        assert span.dim == after
        assert np.allclose(span.basis.T @ span.basis, np.eye(span.dim), atol=1e-10)


def _fiber_span(net: nm.PolynomialNetwork, theta0: np.ndarray, off: np.ndarray, rng: np.random.Generator, points: int) -> int:
    p, span = net.mu(theta0), _Span(net.ambient_dim)
    span.add(net.jacobian(theta0))
    for _ in range(points):
        span.add(net.jacobian(_fiber_point(net, theta0, p, off, rng)))
    return span.dim


@pytest.mark.parametrize("spec", ["poly:2,2,2,2,1^2", "poly:3,2,2,2,1^2", "poly:2,2,2,2,2^2", "poly:2,2,2,2,1^2+bias", "poly:2,3,3,2,1^2", "poly:2,2,2,2,1^3"])
def test_three_hidden_layers_bounds_hold_and_certify_chains(spec: str) -> None:
    # a chain of switched-off neurons from layer 1 computes any power l^(k^j): its outgoing
    # weights move p along them (times a sensitivity, or an output's unit vector), so the
    # strata with a first-layer neuron off are null at every point where those powers exceed
    # them; the bounds never exceed the span of D mu over the fiber found at random points
    net = nm.parse(spec)
    rng = np.random.default_rng(0)
    d0, *hidden, m = net.widths
    certified = 0
    for s, b in zip(strata(net, 0)[1:], nm.voronoi_cell_bounds(net)):
        assert b.null
        if s.network is None:
            assert b.everywhere and b.two_sided_dim == net.ambient_dim
            continue
        widths = tuple(s.network.widths[1:-1])
        bound = _layers_bound(net, _merged(d0, widths, net.bias))  # (one neuron feeding several: as one)
        if b.everywhere:
            certified += 1
            assert b.two_sided_dim == bound > s.dim
        if widths[0] == 1 and not net.bias and m == 1:
            # one first-layer neuron: f = c l^(k^3), d-dimensional; W_p holds the forms of
            # degree k times a sensitivity, or all forms of degree k^j along a chain
            assert b.everywhere
        if any(a + net.bias == 1 < c for a, c in zip(widths, widths[1:])):
            continue  # proportional outputs feed the next layer: fewer neurons reach every point
        off = np.setdiff1d(np.arange(net.n_params), np.array(s.support))
        theta0 = rng.standard_normal(net.n_params)
        if hidden[0] <= d0:
            # orthonormal first-layer forms: the outputs' coefficients (degree k^3) keep a
            # range of sizes that the numerical rank of the span resolves
            theta0[: d0 * hidden[0]] = np.linalg.qr(rng.standard_normal((d0, d0)))[0][: hidden[0]].ravel()
        theta0[off] = 0.0
        assert _fiber_span(net, theta0, off, rng, 160) >= bound, s.name
    assert certified >= 3
    if not all(b.everywhere for b in nm.voronoi_cell_bounds(net)):
        with pytest.raises(ValueError, match="generic points only"):
            nm.voronoi_mc(net, "singular", 10, method="certificate", progress=False)


def test_layer_one_chains_certify_a_deep_stratum() -> None:
    # poly:2,2,2,2,1^2 with one first-layer neuron: f = c l^8, a 2-dimensional stratum whose
    # switched-off neurons move it along l^6 F_2, l^4 F_4 and all octics: null at every point
    net = nm.parse("poly:2,2,2,2,1^2")
    est = nm.voronoi_mc(net, "hidden layer 1 with one neuron switched off", 10**6, progress=False)
    assert est.method == "certificate" and (est.hits, est.n) == (0, 10**6)
    assert _layers_bound(net, (1, 2, 2)) == 3 and _layers_bound(net, (1, 1, 1)) == net.ambient_dim
    # one neuron in layer 2 feeds both of layer 3 with multiples of one function: (2, 1, 2) has
    # the image of (2, 1, 1), whose chain from layer 2 moves p along all r^4, r in span(l_1^2,
    # l_2^2): 5, and moving l_1 along l_2 adds the class of odd exponents in those coordinates
    assert _merged(2, (2, 1, 2), False) == (2, 1, 1) and _merged(2, (2, 1, 2), True) == (2, 1, 2)
    bounds = {b.stratum: b for b in nm.voronoi_cell_bounds(net)}
    assert bounds["hidden layer 2 with one neuron switched off"].everywhere
    assert bounds["hidden layer 2 with one neuron switched off"].two_sided_dim == _layers_bound(net, (2, 1, 1)) == 6


@pytest.mark.parametrize("spec", ["poly:2,2,2,2,1^2", "poly:3,2,2,2,1^2", "poly:2,2,2,2,2^2", "poly:2,2,2,2,1^3"])
def test_two_first_layer_neurons_certify_every_deep_stratum(spec: str) -> None:
    # l_1, l_2 are coordinates and p = G(l_1^k, l_2^k) is the shallower network's output: its
    # bound holds in the class of exponents 0 mod k, and the moves of l_j along the other
    # coordinates lie in the other classes
    net = nm.parse(spec)
    bounds = nm.voronoi_cell_bounds(net)
    assert all(b.null and b.everywhere for b in bounds)
    est = nm.voronoi_mc(net, "singular", 10**6, method="certificate", progress=False)
    assert (est.hits, est.n, est.ci95) == (0, 10**6, (0.0, 0.0))
    # the shallower network's bound needs a neuron off in layers 2..L: with a first-layer
    # neuron off only, the bound is the chain's from layer 1, the forms of degree k times a
    # sensitivity
    wider = nm.parse(spec.replace("poly:2,2,", "poly:2,3,", 1).replace("poly:3,2,", "poly:3,3,", 1))
    d0, k = wider.widths[0], 3 if spec.endswith("^3") else 2
    assert _layers_bound(wider, (2, 2, 2)) == comb(d0 + k - 1, k)
    if spec == "poly:2,2,2,2,1^2":
        # a neuron off in layer 3: p = c r^2, r = w_1 q_1^2 + w_2 q_2^2, q_i in span(u, v), u =
        # l_1^2, v = l_2^2. Exponents even at both: P^2 = span(y_1^2, y_1 y_2, y_2^2) (y_i =
        # q_i^2) and the moves of layers 2..4, r times every quadric in (u, v), meet in r
        # span(y_1, y_2) (r divides no square of y_1, y_2 alike): 3 + 3 - 2 = 4; odd at both:
        # l_2 dp/dl_1 and l_1 dp/dl_2, proportional only for G a power of one form in (u, v)
        named = {b.stratum: b for b in bounds}
        third = named["hidden layer 3 with one neuron switched off"]
        assert third.two_sided_dim == _layers_bound(net, (2, 2, 1)) == 4 + 2 > third.stratum_dim == 5


def test_separation_of_mu() -> None:
    rng = np.random.default_rng(0)
    one = nm.parse("poly:3,2,1^2+bias")
    s = strata(one, 0)[1]
    on = np.array(s.support)
    off = np.setdiff1d(np.arange(one.n_params), on)
    assert _separates(one, on, off, rng)
    deep = nm.parse("poly:2,2,2,1^2")
    s = strata(deep, 0)[1]
    on = np.array(s.support)
    assert not _separates(deep, on, np.setdiff1d(np.arange(deep.n_params), on), rng)


def test_full_dimensional_parts_get_no_bound() -> None:
    # attention with t = 1, d = 2 and a >= d: a subnetwork with d key/query dimensions has the
    # image of the network
    att = nm.parse("attention:2,1,3,1")
    for s, b in zip(strata(att, 0)[1:], nm.voronoi_cell_bounds(att)):
        assert b.null == (not s.full)
    with pytest.raises(ValueError, match="dimension of M"):
        nm.voronoi_mc(att, 0, 10, method="certificate", progress=False)
    # a ReLU subnetwork that fills the space of values at 6 points: data on it are their own nearest points
    X = np.random.default_rng(0).standard_normal((2, 6))
    relu = nm.NeuromanifoldAt(nm.parse("relu:2,3,1"), X)
    first = nm.voronoi_cell_bounds(relu)[0]
    assert first.stratum_dim == relu.ambient_dim and not first.null


def test_certificate_is_exact_and_draws_nothing(tmp_path) -> None:
    net = nm.parse("poly:2,2,2^2")  # two outputs: no exhaustive method, local searches otherwise
    est = nm.voronoi_mc(net, "singular", 10**9, seed=3, progress=False)
    assert est.method == "certificate" and est.exhaustive and est.certificate
    assert (est.p, est.ci95, est.hits, est.n, est.n_failed) == (0.0, (0.0, 0.0), 0, 10**9, 0)
    assert est.to_dict()["certificate"] == est.certificate
    # checkpointed and resumed, the counts stay
    path = tmp_path / "cp.json"
    a = nm.voronoi_mc(net, 0, 1000, seed=1, progress=False, checkpoint=path, chunk_size=100)
    b = nm.voronoi_mc(net, 0, 1000, seed=1, progress=False, checkpoint=path, chunk_size=100)
    assert (a.hits, a.n, a.chunks) == (b.hits, b.n, b.chunks) == (0, 1000, 10)
    # a one-hidden-layer ReLU network at input points, otherwise local searches only
    X = np.random.default_rng(1).standard_normal((2, 5))
    relu = nm.NeuromanifoldAt(nm.parse("relu:2,2,1"), X)
    r = nm.voronoi_mc(relu, "singular", 500, progress=False)
    assert r.method == "certificate" and r.p == 0.0
    # six inputs on one side of 0, where standard normal weights leave most kinks outside the
    # data: the switched-off neuron's kinks are placed among the inputs, and its directions
    # still span every function on them
    X = np.sort(np.random.default_rng(4).uniform(0.2, 1.7, (1, 6)))
    bounds = nm.voronoi_cell_bounds(nm.NeuromanifoldAt(nm.parse("relu:1,3,1"), X))
    assert all(b.null and b.everywhere for b in bounds)


def test_certificate_agrees_with_local_searches() -> None:
    # z^3 and two outputs: no exhaustive method; local searches prove misses, and find no hit
    net = nm.parse("poly:2,2,2^3")
    cert = nm.voronoi_mc(net, "singular", 200, seed=0, progress=False)
    ms = nm.voronoi_mc(net, "singular", 200, seed=0, progress=False, method="multistart")
    assert cert.method == "certificate" and cert.hits == 0
    assert ms.hits == 0


def test_certificate_refuses_what_it_cannot_prove() -> None:
    with pytest.raises(ValueError, match="boundary"):
        nm.voronoi_mc(nm.parse("conv:2,2"), "boundary", 10, method="certificate", progress=False)  # quadratics with real roots
    with pytest.raises(ValueError, match="certificate"):
        nm.voronoi_mc(nm.PlaneCurve("y**2 - x**3"), "singular", 10, method="certificate", progress=False)
    with pytest.raises(TypeError, match="Network"):
        nm.voronoi_cell_bounds("y**2 - x**3")


@pytest.mark.parametrize("spec", ["linear:3,2,2,3", "linear:4,2,3,4", "residual:3,2"])
def test_rank_strata_of_any_depth_are_null_everywhere(spec: str) -> None:
    # M is the determinantal variety whatever the depth: a matrix of lower rank plus any
    # rank-one matrix stays in M, so the cell of a rank stratum is the stratum itself
    net = nm.parse(spec)
    for b in nm.voronoi_cell_bounds(net):
        assert b.null and b.everywhere and b.two_sided_dim == b.ambient_dim and b.cell_dim == b.stratum_dim
    assert nm.voronoi_mc(net, "singular", 100, progress=False).method == "certificate"


@pytest.mark.parametrize("a", [-1.5, -0.7, -0.3, 0.3, 0.7, 1.5])
@settings(max_examples=2, deadline=None)
@given(seed=st.integers(0, 1000))
def test_curve_bounds_agree_with_the_exact_estimator(a: float, seed: int) -> None:
    # y^2 = x^2 (x + a): a node for a > 0 (two real branches, Morse), an isolated real point
    # for a < 0; the exact estimator finds the node's cell empty and the isolated point's not
    curve = nm.PlaneCurve(f"y**2 - x**2*(x + ({a}))")
    (b,) = nm.voronoi_cell_bounds(curve)
    assert b.null == (a > 0) and b.everywhere
    est = nm.voronoi_mc(curve, "singular", 20_000, nm.UniformBox(-1, 1), seed=seed, progress=False)
    assert (est.hits == 0) == b.null


def test_parametrized_curve_bounds_use_the_real_fiber() -> None:
    # the node of t -> (t^2 - 1, t^3 - t) is reached at t = 1 and t = -1 with directions
    # (2, 2) and (-2, 2); the cusp and the end point of (t^2, t^4) at t = 0 only, where the
    # derivative vanishes; the implicit node (x^2 + y^2)^2 = 2 (x^2 - y^2) is a lemniscate's crossing
    (node,) = nm.voronoi_cell_bounds(nm.PlaneCurve.parametrized("t**2 - 1", "t**3 - t"))
    assert node.null and node.two_sided_dim == 2 and node.cell_dim == 0
    for x, y in (("t**2", "t**3"), ("t**2", "t**4")):
        (b,) = nm.voronoi_cell_bounds(nm.PlaneCurve.parametrized(x, y))
        assert not b.null and b.two_sided_dim == 0
    (lemniscate,) = nm.voronoi_cell_bounds(nm.PlaneCurve("(x**2 + y**2)**2 - 2*(x**2 - y**2)"))
    assert lemniscate.null


def test_point_strata_of_parametrized_varieties() -> None:
    # real preimages found by local searches: the node of (t^2 - 1, t^3 - t) at t = +-1 spans
    # the plane; a cusp, an end point and an isolated point (complex preimages only) get no
    # bound; on the half-plane (s, t^2, 0) the corner (0, 0, 0) of its edge sees the edge's
    # direction only (its cell: the data below the edge line's point, a plane)
    node = nm.ParametrizedVariety(["t**2 - 1", "t**3 - t"], ["t"], singular_points=[[0, 0]])
    (b,) = nm.voronoi_cell_bounds(node)
    assert b.null and b.two_sided_dim == 2
    for x, y in (("t**2", "t**3"), ("t**2", "t**4"), ("t**2 + 1", "t**3 + t")):
        (b,) = nm.voronoi_cell_bounds(nm.ParametrizedVariety([x, y], ["t"], singular_points=[[0, 0]]))
        assert not b.null and b.two_sided_dim == 0
    half = nm.ParametrizedVariety(["s", "t**2", "0"], ["s", "t"], strata={"edge": (["r", "0", "0"], ["r"]), "origin": [0, 0, 0]})
    (origin,) = nm.voronoi_cell_bounds(half)
    assert (origin.stratum, origin.two_sided_dim, origin.cell_dim) == ("origin", 1, 2)
    est = nm.voronoi_mc(half, "origin", 2000, nm.Gaussian(1.0), seed=0, progress=False)
    assert est.hits == 0


def _span_over_two_triples(net: nm.PolynomialNetwork, point: Any, W2: np.ndarray, off: np.ndarray, rng: np.random.Generator) -> int:
    """The span of D mu over the fibers of two points with the same p: first-layer lines x, y,
    x + y in the plane z = 0, then x - y, 2x + y, x + 3y with the layer-2 weights that give the
    same quadrics (``point(lines, W2)`` builds theta)."""
    A = np.array([[1.0, 0, 0], [0, 1.0, 0], [1.0, 1.0, 0]])
    B = np.array([[1.0, -1.0, 0], [2.0, 1.0, 0], [1.0, 3.0, 0]])
    squares = lambda L: np.array([[a * a, 2 * a * b, b * b] for a, b, _ in L])  # noqa: E731  (x^2, xy, y^2)
    W2B = np.linalg.solve(squares(B).T, (W2 @ squares(A)).T).T  # the same q_i in the new squares
    first, second = point(A, W2), point(B, W2B)
    assert np.allclose(net.mu(first), net.mu(second))
    p, span = net.mu(first), _Span(net.ambient_dim)
    for theta0 in (first, second):
        span.add(net.jacobian(theta0))
        for _ in range(100):
            span.add(net.jacobian(_fiber_point(net, theta0, p, off, rng)))
    return span.dim


def _unit_first_layer(net: nm.PolynomialNetwork, theta: np.ndarray) -> np.ndarray:
    """theta with each nonzero first-layer weight row scaled to length 1: the same stratum, and
    outputs (forms of degree k^2) whose coefficients keep sizes that the numerical rank of a
    span resolves."""
    d, h1 = net.widths[0], net.widths[1]
    out = theta.copy()
    W1 = out[: d * h1].reshape(h1, d)
    norms = np.linalg.norm(W1, axis=1, keepdims=True)
    out[: d * h1] = np.where(norms > 0, W1 / np.where(norms > 0, norms, 1.0), 0.0).ravel()
    return out


def _special_point(net: nm.PolynomialNetwork, support: tuple[int, ...]) -> np.ndarray:
    """A point of a stratum of a network (d, h1, h2, m) without biases that is no random draw:
    first-layer weights along the axes (then all ones), second-layer rows of a Vandermonde
    matrix with small integer nodes (non-proportional inputs to layer 2), small integer output
    weights; the switched-off parameters zero."""
    d, h1, h2, m = net.widths
    W1 = np.array([np.eye(d)[i] if i < d else np.ones(d) for i in range(h1)])
    W2 = np.array([[float(i + 2) ** j for j in range(h1)] for i in range(h2)])
    W3 = np.array([[1.0 + o + 2 * i for i in range(h2)] for o in range(m)])
    if net.bias:  # W1, b1, W2, b2, W3, b3: integer biases
        blocks = [W1.ravel(), np.arange(h1) - 1.0, W2.ravel(), (-2.0) ** np.arange(h2), W3.ravel(), np.full(m, 2.0)]
    else:
        blocks = [W1.ravel(), W2.ravel(), W3.ravel()]
    theta = np.concatenate(blocks)
    mask = np.zeros(net.n_params, dtype=bool)
    mask[list(support)] = True
    return np.where(mask, theta, 0.0)


@pytest.mark.parametrize(
    "spec",
    [
        "poly:2,2,2,2^2",
        "poly:2,2,2,1^3",
        "poly:3,3,2,1^2",
        "poly:4,3,2,1^2",
        "poly:3,2,2,2^2",
        "poly:2,3,2,1^3",
        "poly:3,2,2,1^3",
        "poly:2,2,2,2^3",
        "poly:2,2,2,3^2",
        "poly:2,3,2,2^2",
        "poly:2,2,2,2^2+bias",
        "poly:2,2,2,1^2+bias",
        "poly:3,3,2,1^2+bias",
        "poly:3,3,2,1^3",
        "poly:3,3,3,1^3",
        "poly:2,3,3,1^3",
        "poly:3,3,3,1^2",
        "poly:4,3,3,1^2",
        "poly:2,3,2,2^3",
        "poly:2,3,2,3^3",
        "poly:2,3,3,2^3",
        "poly:1,2,2,1^2+bias",
        "poly:1,2,2,2^2+bias",
        "poly:1,2,2,2^3+bias",
        "poly:1,2,3,2^3+bias",
        "poly:2,3,2,2^2+bias",
        "poly:3,3,3,2^2",
        "poly:2,2,3,2^2+bias",
        "poly:2,2,1,3^2",
        "poly:3,3,1,2^2",
        "poly:2,2,1,3^3",
        "poly:2,2,1,2^2+bias",
        "poly:1,2,1,2^3+bias",
        "poly:2,3,3,2^2",
        "poly:2,3,4,3^2",
        "poly:2,2,3,3^2",
        "poly:3,2,3,3^2",
    ],
)
def test_two_hidden_layers_bounds_hold_at_special_points(spec: str) -> None:
    # the bounds that hold at every point of a stratum (off its smaller subnetworks, each with a
    # bound of its own) are met by the span of D mu over the fiber at axis-aligned integer points
    # and at random ones
    net = nm.parse(spec)
    rng = np.random.default_rng(0)
    d, h1, h2, m = net.widths
    for s, b in zip(strata(net, 0)[1:], nm.voronoi_cell_bounds(net)):
        if s.point or not b.everywhere:
            continue
        if s.network is None:
            assert b.two_sided_dim == net.ambient_dim  # the constant functions: every neuron off
            continue
        a, c = s.network.widths[1], s.network.widths[2]
        assert b.two_sided_dim == _two_hidden_layers_bound(net, *_merged(d, (a, c), net.bias)) > s.dim
        # every smaller subnetwork's bound exceeds its dimension too
        for a2 in range(1, a + 1):
            for c2 in range(1, c + 1):
                if _merged(d, (a2, c2), net.bias) != (a2, c2):
                    continue  # one neuron feeding several: the image of (a2, 1), checked too
                sub = nm.PolynomialNetwork((d, a2, c2, m), activation=net.activation, bias=net.bias)
                assert _two_hidden_layers_bound(net, a2, c2) > nm.dimension(sub).dim
        if a + net.bias == 1 < c:
            continue  # one first-layer neuron feeds proportional inputs to layer 2: one neuron there reaches every point
        off = np.setdiff1d(np.arange(net.n_params), np.array(s.support))
        for theta0 in (_special_point(net, s.support), _unit_first_layer(net, np.where(np.isin(np.arange(net.n_params), off), 0.0, rng.standard_normal(net.n_params)))):
            p, span = net.mu(theta0), _Span(net.ambient_dim)
            span.add(net.jacobian(theta0))
            for _ in range(120):  # (the whole space of quartics in four variables takes about 100)
                span.add(net.jacobian(_fiber_point(net, theta0, p, off, rng)))
            assert span.dim >= b.two_sided_dim, (s.name, span.dim)


@pytest.mark.parametrize("spec", ["poly:3,3,2,1^2+bias", "poly:2,3,2,1^2+bias"])
def test_one_layer_two_neuron_with_biases_where_the_constant_is_in_the_span(spec: str) -> None:
    # one layer-2 neuron left: p = c q^2 + delta, q = sum_j B_j l_j^2 + gamma. Here l_1 = x + 1,
    # l_2 = x - 1, l_3 = y span L, which holds the constant x_0, and Q = (l_1^2 - l_2^2) / 2 +
    # l_3^2 = 2 x x_0 + y^2 has x_0 isotropic for Q^-1: no shift of gamma lowers its rank, so
    # no fewer neurons reach p this way. The bound there, m (A(a, 2) + a) + a (d - a), exceeds
    # the dimension of such points and is met by the fiber (on two inputs L is everything and
    # every point of the stratum is such a point)
    net = nm.parse(spec)
    d0, h1, h2, m = net.widths
    s, off = _stratum(net, (3, 1))
    W1 = np.zeros((3, d0))
    W1[0, 0] = W1[1, 0] = W1[2, 1] = 1.0
    blocks = [W1.ravel(), [1.0, -1.0, 0.0], [0.5, -0.5, 1.0, 0, 0, 0], [1.0, 0.0], [1.3, 0.0], [0.7]]
    theta0 = np.concatenate([np.asarray(b, dtype=float) for b in blocks])
    on = np.array(s.support)
    off = np.setdiff1d(np.arange(net.n_params), on)
    assert not theta0[off].any()
    Q = np.array([[0.0, 1, 0], [1, 0, 0], [0, 0, 1]])  # in (x_0, x, y)
    assert np.linalg.inv(Q)[0, 0] == 0.0
    a, d = 3, d0 + 1
    on_lines, points = m * (comb(a + 1, 2) + a) + a * (d - a), (a - 1) * (d - a) + comb(a + 1, 2) - 1 + 2 * m - 1
    assert on_lines > points and on_lines > s.dim
    assert _fiber_span(net, theta0, off, np.random.default_rng(0), 150) >= on_lines
    if d > a:
        # elsewhere l_1, l_2, l_3, x_0 are coordinates and the bound is the finer one
        assert _two_hidden_layers_bound(net, 3, 1) == comb(5, 2) + comb(4, 2) + 3 * (d - 3) - 3 > s.dim
    else:
        assert _two_hidden_layers_bound(net, 3, 1) == on_lines
    bounds = nm.voronoi_cell_bounds(net)
    assert next(b for b in bounds if b.stratum == s.name).everywhere


def test_two_hidden_layers_certify_the_singular_strata() -> None:
    net = nm.parse("poly:2,2,2,2^2")  # M is 8-dimensional in R^10
    assert nm.dimension(net).filling is False
    assert all(b.null and b.everywhere for b in nm.voronoi_cell_bounds(net))
    est = nm.voronoi_mc(net, "singular", 10**7, progress=False)
    assert est.method == "certificate" and (est.p, est.ci95) == (0.0, (0.0, 0.0))
    # one neuron left in layer 2 of poly:3,3,2,1^2: p = c q^2 with q of rank 3, whose moves
    # span 9 > 6 dimensions everywhere; of poly:2,2,2,1^3: c q^3 with q = B_1 x^3 + B_2 y^3,
    # 6 > 4
    # of poly:2,3,2,1^3 with one first-layer neuron off: two coprime cubics q_1, q_2 in
    # span(l_1^3, l_2^3), whose spaces q_i^2 F_3 meet in 0: 8 > 6
    for spec in ("poly:3,3,2,1^2", "poly:2,2,2,1^3", "poly:3,3,2,1^2+bias", "poly:2,3,2,1^3"):
        deep = nm.parse(spec)
        assert all(b.null and b.everywhere for b in nm.voronoi_cell_bounds(deep))
        assert nm.voronoi_mc(deep, "singular", 10**7, progress=False).method == "certificate"
    # with z^3 and four first-layer neurons on three inputs, c q^3 with q = sum_j B_j l_j^3: the
    # l_j are dependent, and the Cauchy-Davenport bound 10 does not exceed the stratum's
    # dimension 10; the products of three of the four cubes, counted for both configurations
    # of four lines in the plane, span at least 19
    assert all(b.everywhere for b in nm.voronoi_cell_bounds(nm.parse("poly:3,4,2,1^3")))
    # with biases, z^2 and two of three layer-2 neurons left, x_0 in the span of three
    # independent l_j leaves a part without a bound above its dimension: generic points only
    squares = nm.parse("poly:3,3,3,1^2+bias")
    assert not all(b.everywhere for b in nm.voronoi_cell_bounds(squares))
    with pytest.raises(ValueError, match="generic points only"):
        nm.voronoi_mc(squares, "singular", 10, method="certificate", progress=False)


def test_cubes_of_dependent_first_layer_forms() -> None:
    # poly:3,3,2,1^3, one layer-2 neuron left: p = c q^3, q = sum_j B_j l_j^3. With l_1, l_2,
    # l_3 independent they are coordinates: 10 + 9 - 3 = 16 > 9 directions. Here they lie in a
    # plane, l_3 = l_1 + l_2, and q = x^3 + y^3 - (x + y)^3 = -3 x y (x + y) has three real
    # roots (real rank 3: no fewer neurons reach p); such points make up at most 2 + 4 = 6
    # dimensions, below the Cauchy-Davenport bound 3 (3 - 1) + 1 = 7, which the fiber meets
    net = nm.parse("poly:3,3,2,1^3")
    s, off = _stratum(net, (3, 1))
    assert _two_hidden_layers_bound(net, 3, 1) == comb(5, 3) + 9 - 3 > s.dim == 9
    W1 = np.array([[1.0, 0, 0], [0, 1.0, 0], [1.0, 1.0, 0]])
    theta0 = np.concatenate([W1.ravel(), [1.0, 1.0, -1.0, 0, 0, 0], [1.0, 0.0]])
    assert not theta0[off].any()
    points, powers = 2 * 1 + comb(4, 3) + 0, 3 * (3 - 1) + 1
    assert powers > points
    assert _fiber_span(net, theta0, off, np.random.default_rng(0), 150) >= powers
    assert all(b.null and b.everywhere for b in nm.voronoi_cell_bounds(net))


@pytest.mark.parametrize("spec", ["attention:3,1,2,1", "attention:3,2,2,1", "attention:4,1,2,1", "attention:4,1,3,1", "attention:3,1,2,2", "attention:4,2,3,2", "attention:3,2,3,2", "attention:2,2,2,2", "attention:2,3,2,3"])
def test_attention_strata_are_null_at_every_point(spec: str) -> None:
    # a switched-off key/query row with Q_a = 0 and any K_a moves f = V X X^T A X along V X X^T B X
    # for every B: with t = 1 that is (V x) s for every quadratic form s, plus the moves of V:
    # A(d, 2) + m d - 1 directions, or A(d, 2) + m d - d where V = u v^T and (v . x) divides q
    # (a part of at most m + 2d - 2 dimensions); with t >= 2, d^2 directions and the moves of V
    # but V itself, or but u w^T where V = u v^T and A = v c^T (a part of as many dimensions). The
    # span of D mu over the fiber meets these at random points and at points V = u v^T, K_1 = v
    # (with t >= 2 the other key/query rows zero: A = K_1^T Q_1)
    net = nm.parse(spec)
    d, m, a, t = net.d, net.d_out, net.a, net.t
    rng = np.random.default_rng(0)
    certified = 0
    for s, b in zip(strata(net, 0)[1:], nm.voronoi_cell_bounds(net)):
        if s.point:
            continue
        generic = min(net.ambient_dim, (d * d if t >= 2 else comb(d + 1, 2)) + m * d - 1)
        divisible = min(net.ambient_dim, d * d + (m - 1) * d if t >= 2 else comb(d + 1, 2) + m * d - d)
        assert b.everywhere == (min(generic if divisible > m + 2 * d - 2 else divisible, net.ambient_dim) > s.dim)
        certified += b.everywhere
        on = np.array(s.support)
        off = np.setdiff1d(np.arange(net.n_params), on)
        theta0 = np.zeros(net.n_params)
        theta0[on] = rng.standard_normal(len(on))
        assert _fiber_span(net, theta0, off, rng, 150) >= generic
        # V = u v^T with v the first key row: (v . x) divides q's term (K_1 . x)(Q_1 . x)
        special = theta0.copy()
        special[2 * a * d :] = np.outer(rng.standard_normal(m), theta0[a * d : a * d + d]).ravel()
        if t >= 2:
            special[d : a * d] = special[a * d + d : 2 * a * d] = 0.0
        assert _fiber_span(net, special, off, rng, 150) >= divisible
    assert certified >= 1
    if all(b.everywhere for b in nm.voronoi_cell_bounds(net)):
        est = nm.voronoi_mc(net, "singular", 10**6, progress=False)
        assert est.method == "certificate" and (est.hits, est.n_failed) == (0, 0)


def _one_layer_two_neuron(spec: str, W1: list[list[float]], b1: list[float], B: list[float]) -> tuple[nm.PolynomialNetwork, np.ndarray, np.ndarray, int]:
    """A point of the stratum of (d, h1, h2, m) with biases whose first-layer neurons are (W1, b1)
    feeding one layer-2 neuron with weights B (bias 1/2, output weight 1.3, output bias 0.7)."""
    net = nm.parse(spec)
    d0, h1, h2, m = net.widths
    a = len(b1)
    s, off = _stratum(net, (a, 1))
    W1f, b1f, W2, b2, W3 = np.zeros((h1, d0)), np.zeros(h1), np.zeros((h2, h1)), np.zeros(h2), np.zeros((m, h2))
    W1f[:a], b1f[:a], W2[0, :a], b2[0], W3[0, 0] = W1, b1, B, 0.5, 1.3
    theta0 = np.concatenate([W1f.ravel(), b1f, W2.ravel(), b2, W3.ravel(), [0.7]])
    assert not theta0[off].any()
    return net, theta0, off, s.dim


@pytest.mark.parametrize(
    "spec, W1, b1, B, r",
    [
        ("poly:3,2,2,1^3+bias", [[1, 0, 0], [1, 0, 0]], [1, -1], [1.0, 0.8], 2),  # l_j = x +- 1: span(x, x_0)
        ("poly:3,3,2,1^3+bias", [[1, 0, 0], [1, 0, 0], [0, 1, 0]], [1, -1, 0], [1.0, 0.8, -0.6], 3),
        ("poly:3,3,2,1^3+bias", [[1, 0, 0], [1, 0, 0], [1, 0, 0]], [1, -1, 2], [1.0, 0.8, -0.6], 2),
        ("poly:2,2,2,1^3+bias", [[1, 0], [1, 0]], [1, -1], [1.0, 0.8], 2),
    ],
)
def test_cubes_with_biases_where_the_constant_is_in_the_span(spec: str, W1: list[list[float]], b1: list[float], B: list[float], r: int) -> None:
    # p = c q^3 + delta, q = sum_j B_j l_j^3 + gamma x_0^3 with l_1..l_a and x_0 spanning only r
    # dimensions: the Cauchy-Davenport bound on P^3 (or, with the l_j coordinates on their
    # span, the monomials in the l_j^3 and x_0^9) plus the moves of the l_j out of the span,
    # q^2 l_j^2 z, exceeds the count of such points; the span of D mu over the fiber meets it
    net, theta0, off, dim = _one_layer_two_neuron(spec, W1, b1, B)
    a, d, k, m = len(b1), net.widths[0] + 1, 3, 1
    powers = k * a + 1 if r < a else max(k * a + 1, comb(a + k - 1, k) + 1)
    bound = m * powers + (d - r) * (a if r == a else min(a, k))
    count = (r - 1) * (d - r) + comb(r + k - 1, k) + 2 * m - 1
    assert bound > count
    assert _fiber_span(net, theta0, off, np.random.default_rng(0), 200) >= bound
    # where l_1..l_a, x_0 are independent: the monomials in their cubes and the moves
    if a + 1 <= d:
        assert _two_hidden_layers_bound(net, a, 1) == m * comb(a + k, k) + a * d - a > dim
    assert all(b.null and b.everywhere for b in nm.voronoi_cell_bounds(net))


def test_two_layer_two_neurons_of_cubes() -> None:
    # poly:3,3,3,1^3 with two layer-2 neurons left: p = c_1 q_1^3 + c_2 q_2^3. With the l_j
    # independent each s_j x_j^2 x_t (t != j) is alone in its class of exponents mod 3: 10 + 6
    # = 16 > 12 directions. With l_3 = l_1 + l_2 in a plane, P^3 is the span of the products
    # x^3a y^3b (x + y)^3c (nine of the ten: one relation), and moving the l_j out of the plane
    # adds the two derivatives of p in it: 11, above the 2 + 8 dimensions of such points
    from neuromanifold._everywhere_bounds import _powers_of_one_more

    x, y = sympy.symbols("x y")
    products = [sympy.Poly(sympy.expand(x ** (3 * a) * y ** (3 * b) * (x + y) ** (3 * (3 - a - b))), x, y) for a in range(4) for b in range(4 - a)]
    exact = sympy.Matrix([[p.coeff_monomial(x**i * y ** (9 - i)) for i in range(10)] for p in products]).rank()
    assert _powers_of_one_more(2, 3) == exact == 9
    net = nm.parse("poly:3,3,3,1^3")
    s, off = _stratum(net, (3, 2))
    assert _two_hidden_layers_bound(net, 3, 2) == comb(5, 3) + 3 * 2 > s.dim == 12
    W1 = np.array([[1.0, 0, 0], [0, 1.0, 0], [1.0, 1.0, 0]])
    W2 = np.array([[1.0, -0.7, 0.4], [0.3, 1.2, -0.9], [0, 0, 0]])
    theta0 = np.concatenate([W1.ravel(), W2.ravel(), [1.1, -0.6, 0.0]])
    assert not theta0[off].any()
    on_plane, points = 9 + (3 - 2) * 2, 2 * 1 + min(2 * comb(4, 3), comb(10, 9))
    assert on_plane > points
    assert _fiber_span(net, theta0, off, np.random.default_rng(0), 200) >= on_plane
    assert all(b.null and b.everywhere for b in nm.voronoi_cell_bounds(net))
    # on two inputs every point is such a point: 9 > 8
    assert all(b.null and b.everywhere for b in nm.voronoi_cell_bounds(nm.parse("poly:2,3,3,1^3")))


@pytest.mark.parametrize("spec", ["poly:2,3,2,2^3", "poly:2,3,2,3^3", "poly:2,3,3,2^3", "poly:1,2,2,2^3+bias", "poly:1,2,3,2^3+bias", "poly:1,2,2,2^2+bias"])
def test_layer_one_strata_with_separate_outputs(spec: str) -> None:
    # a first-layer neuron off, P spanned by the k-th powers of two coordinates (l_1, l_2, or l_1
    # and the constant): p = sum_i c_i (x) q_i^k (+ delta). Where two c_i are independent, the
    # part along c_i holds q_i^(k-1) F_k and the k-th powers of the other points of P, and so
    # does the part along c_j modulo c_i; the others hold those powers: 2 D_1 + (m - 2) E, and
    # a third neuron one rank-one tensor more in the class of each monomial of degree k off P.
    # Where every c_i is on one line, the one-output bound along it, on fewer dimensions
    net = nm.parse(spec)
    d0, h1, h2, m = net.widths
    bias, k = int(net.bias), 3 if spec.endswith("3") or "^3" in spec else 2
    a, b = 2 - bias, h2
    s, off = _stratum(net, (a, b))
    forms, points = comb(d0 + bias + k - 1, k), min(k + 1, b + bias)
    general = 2 * (forms + min(k + 1, b + 1 + bias) - 2) + (m - 2) * points + (forms - 2) * (min(b, 3) - 2)
    assert _two_hidden_layers_bound(net, a, b) == min(general, net.ambient_dim) > s.dim
    one = _two_hidden_layers_bound(nm.PolynomialNetwork((d0, h1, h2, 1), activation=net.activation, bias=net.bias), a, b)
    sub = nm.PolynomialNetwork((d0, a, b, 1), activation=net.activation, bias=net.bias)
    assert one + (m - 1) * points > (1 + bias) * (m - 1) + nm.dimension(sub).dim
    rng = np.random.default_rng(0)
    W1 = np.eye(h1, d0) if not bias else np.array([[1.0], [0.0]])
    W2 = np.array([[1.0, 2.0, -1.0][:h1], [1.0, -1.0, 0.5][:h1], [2.0, 1.0, 0.5][:h1]][:h2]) * (np.arange(h1) < a)
    configurations = [rng.standard_normal((m, h2)), np.outer(rng.standard_normal(m), rng.standard_normal(h2))]
    if h2 == 3:  # two of the three on one line
        c = rng.standard_normal((m, h2))
        configurations.append(np.column_stack([c[:, 0], -2.0 * c[:, 0], c[:, 2]]))
    for c in configurations:
        blocks = [W1.ravel(), [0.5, 0.0][:h1] if bias else [], W2.ravel(), [1.0, -1.0, 0.5][:h2] if bias else [], c.ravel(), [0.3] * m if bias else []]
        theta0 = np.concatenate([np.asarray(x, dtype=float) for x in blocks])
        assert not theta0[off].any()
        bound = min(general, net.ambient_dim) if np.linalg.matrix_rank(c) >= 2 else one + (m - 1) * points
        assert _fiber_span(net, theta0, off, rng, 100) >= bound
    assert all(b.null and b.everywhere for b in nm.voronoi_cell_bounds(net))


def test_separate_outputs_with_the_constant_as_a_third_coordinate() -> None:
    # poly:2,3,2,2^2+bias with a first-layer neuron off: p = c_1 (x) q_1^2 + c_2 (x) q_2^2 +
    # delta. Where l_1, l_2, x_0 are coordinates and q_1, q_2, x_0^2 a basis of P: 2 (6 + 2) = 16;
    # the parts where x_0^2 lies in span(q_1, q_2), where x_0 lies in span(l_1, l_2), and where
    # c_2 ~ c_1 have bounds above their dimensions, and the fiber meets each bound
    net = nm.parse("poly:2,3,2,2^2+bias")
    s, off = _stratum(net, (2, 2))
    assert _two_hidden_layers_bound(net, 2, 2) == 16 > s.dim == 14
    rng = np.random.default_rng(0)
    c = np.array([[1.0, -0.4], [0.7, 1.3]])

    def point(W1: list[list[float]], b1: list[float], W2: list[list[float]], c: np.ndarray) -> np.ndarray:
        W1_, W2_ = np.vstack([W1, [0.0, 0.0]]), np.column_stack([W2, [0.0, 0.0]])
        return np.concatenate([W1_.ravel(), [*b1, 0.0], W2_.ravel(), [1.0, -1.0], c.ravel(), [0.3, -0.2]])

    one = _two_hidden_layers_bound(nm.parse("poly:2,3,2,1^2+bias"), 2, 2)
    cases = [
        (point([[1, 0], [0, 1]], [0.5, -0.3], [[1, 2], [1, -1]], c), 16, None),
        (point([[1, 0], [0, 1]], [0.5, -0.3], [[1, 2], [2, 4]], c), 2 * (6 + 1), 2 * 3 + 1 + 3 * 2),
        (point([[1, 0], [2, 0]], [0.5, -0.3], [[1, 2], [1, -1]], c), 2 * 6, 1 + 2 * 5),
        (point([[1, 0], [0, 1]], [0.5, -0.3], [[1, 2], [1, -1]], np.outer([1.0, -2.0], [1.0, 0.6])), one + 3, 2 + 2 * 3 + 5),
    ]
    _meets_each_part(net, cases, off, rng, 120)
    assert all(b.null and b.everywhere for b in nm.voronoi_cell_bounds(net))


def test_two_layer_two_neurons_of_squares_with_two_outputs() -> None:
    # poly:3,3,3,2^2: each output holds the 6 products of squares, and the classes {j, t} the
    # same 2 directions as with one output: 12 + 6 = 18 > 14; where two columns of W are
    # proportional one less, on at most 6 + 2 + 4 = 12 dimensions; in a plane every binary
    # quartic in each output, and over the triples of lines there (all in the fiber) 3 moves
    # out of it, as for the output phi(p) with phi(c_1), phi(c_2) != 0: 13 > 2 + 10
    net = nm.parse("poly:3,3,3,2^2")
    s, off = _stratum(net, (3, 2))
    assert _two_hidden_layers_bound(net, 3, 2) == 18 > s.dim == 14
    rng = np.random.default_rng(0)
    c = np.array([[1.1, -0.6, 0.0], [0.4, 0.9, 0.0]])

    def point(W1: np.ndarray, W2: np.ndarray) -> np.ndarray:
        theta = np.concatenate([W1.ravel(), np.vstack([W2, np.zeros(3)]).ravel(), c.ravel()])
        assert not theta[off].any()
        return theta

    W2 = np.array([[1.0, -0.7, 0.4], [0.3, 1.2, -0.9]])
    proportional = W2.copy()
    proportional[:, 2] = 0.7 * proportional[:, 1]
    _meets_each_part(net, [(point(np.eye(3), W2), 18, None), (point(np.eye(3), proportional), 17, 12)], off, rng, 150)
    # in the plane z = 0, two triples of lines for the same p
    assert _span_over_two_triples(net, point, W2, off, rng) >= 5 * 2 + 3 * (3 - 2) > 2 * (3 - 2) + 10
    assert all(b.null and b.everywhere for b in nm.voronoi_cell_bounds(net))


def test_two_squares_with_the_constant() -> None:
    # poly:2,2,3,2^2+bias with a layer-2 neuron off: p = c_1 (x) q_1^2 + c_2 (x) q_2^2 + delta,
    # q_i = W_i1 l_1^2 + W_i2 l_2^2 + beta_i. Where l_1, l_2, x_0 are coordinates: 12 products of
    # squares, 2 in the class {1, 2}, 1 in each {j, 0}: 16 > 14; proportional columns of W: 15
    # on at most 4 + 6 = 10 dimensions; l_1, l_2 parallel (x_0 in their span): every binary
    # quartic in each output and 2 moves out of the plane, 12 on at most 1 + 10
    net = nm.parse("poly:2,2,3,2^2+bias")
    s, off = _stratum(net, (2, 2))
    assert _two_hidden_layers_bound(net, 2, 2) == 16 > s.dim == 14
    rng = np.random.default_rng(0)

    def point(W1: list[list[float]], W2: list[list[float]]) -> np.ndarray:
        W2_ = np.vstack([W2, [0.0, 0.0]])
        c = np.array([[1.1, -0.6, 0.0], [0.4, 0.9, 0.0]])
        return np.concatenate([np.ravel(W1), [0.5, -0.3], W2_.ravel(), [1.0, -1.0, 0.0], c.ravel(), [0.3, -0.2]])

    cases = ((point([[1, 0], [0, 1]], [[1, 2], [1, -1]]), 16, None), (point([[1, 0], [0, 1]], [[1, 2], [-0.5, -1]]), 15, 4 + 6), (point([[1, 0], [2, 0]], [[1, 2], [1, -1]]), 12, 1 + 10))
    _meets_each_part(net, list(cases), off, rng, 150)
    assert all(b.null and b.everywhere for b in nm.voronoi_cell_bounds(net))


def test_four_ternary_forms() -> None:
    # four pairwise non-proportional forms spanning three dimensions are x, y, z and x + y + z,
    # or x, y, x + y and z (three in a plane): the products of three of their cubes span 20 and
    # 19 dimensions (exact ranks), above Cauchy-Davenport's 10 and above the 10 and 16
    # dimensions of the strata of poly:3,4,3,1^3 with four first-layer neurons
    from neuromanifold._everywhere_bounds import _powers_of_one_more

    x, y, z = sympy.symbols("x y z")

    def rank(lines: list[sympy.Expr]) -> int:
        from itertools import combinations_with_replacement

        products = [sympy.Poly(sympy.expand(sympy.Mul(*(lines[j] ** 3 for j in c))), x, y, z) for c in combinations_with_replacement(range(4), 3)]
        monomials = sorted({m for p in products for m in p.monoms()})
        return int(sympy.Matrix([[p.coeff_monomial(m) for m in monomials] for p in products]).rank())

    assert _powers_of_one_more(3, 3) == min(rank([x, y, z, x + y + z]), rank([x, y, x + y, z])) == 19
    net = nm.parse("poly:3,4,3,1^3")
    rng = np.random.default_rng(0)
    for widths in ((4, 1), (4, 2)):
        s, off = _stratum(net, widths)
        assert _two_hidden_layers_bound(net, *widths) >= 19 > s.dim
        W1 = np.array([[1.0, 0, 0], [0, 1.0, 0], [1.0, 1.0, 0], [0, 0, 1.0]])  # three in a plane
        W2 = np.array([[1.0, -0.7, 0.4, 0.8], [0.3, 1.2, -0.9, 0.5], [0, 0, 0, 0]])
        W2[widths[1] :] = 0.0
        theta0 = np.concatenate([W1.ravel(), W2.ravel(), [1.1, -0.6, 0.0]])
        theta0[off] = 0.0
        assert _fiber_span(net, theta0, off, rng, 150) >= 19
    assert all(b.null and b.everywhere for b in nm.voronoi_cell_bounds(net))
    assert all(b.null and b.everywhere for b in nm.voronoi_cell_bounds(nm.parse("poly:3,4,2,1^3")))


def test_coprime_squares_in_layer_two() -> None:
    # poly:3,4,2,1^2+bias with a first-layer neuron off: the off neuron moves p along c_i q_i F_2,
    # and q_1 F_2, q_2 F_2 meet in the line of q_1 q_2 where the q_i are coprime: 2 * 10 - 1 = 19
    # > 17. Where they share a factor (q_1 = x^2 - y^2, q_2 = (x + y)^2) they meet in (x + y)
    # (x - y)(x + y) F_1: 16, on at most 3 * 3 + 3 = 12 dimensions
    net = nm.parse("poly:3,4,2,1^2+bias")
    s, off = _stratum(net, (3, 2))
    assert _two_hidden_layers_bound(net, 3, 2) == 19 > s.dim == 17
    rng = np.random.default_rng(0)
    W1 = np.array([[1.0, 0, 0], [0, 1.0, 0], [1.0, 1.0, 0], [0, 0, 0]])
    for W2, bound in (([[1.0, -1.0, 0, 0], [0, 0, 1.0, 0]], 16), ([[1.0, -0.7, 0.4, 0], [0.3, 1.2, -0.9, 0]], 19)):
        theta0 = np.concatenate([W1.ravel(), [0.0, 0.0, 0.0, 0.0] if bound == 16 else [0.5, -0.2, 0.3, 0.0], np.ravel(W2), [0.0, 0.0], [1.1, -0.6], [0.2]])
        assert not theta0[off].any()
        assert _fiber_span(net, theta0, off, rng, 150) >= bound
    assert 16 > 3 * 3 + 3
    assert all(b.null and b.everywhere for b in nm.voronoi_cell_bounds(net))


@pytest.mark.parametrize("spec", ["poly:3,4,3,2^2", "poly:2,3,3,2^2+bias"])
def test_three_layer_two_neurons_on_three_squares(spec: str) -> None:
    # a first-layer neuron off, three layer-2 neurons on P = span(y_1^2, y_2^2, y_3^2) (three
    # l_j, or two and the constant): p = sum_i c_i (x) q_i^2 (+ delta). With the y_j coordinates
    # and the q_i a basis of P, splitting the outputs gives 3 * 6 - 1 and the output weights
    # 3 more: 20 > dim. Dependent q_i (17 on 14 dimensions), c_i on one line (14 on 13 or 12),
    # the y_j in a plane (15 on 12 or 11; 11 on 8 with one line) are null parts
    net = nm.parse(spec)
    bias = int(net.bias)
    a, h1 = 3 - bias, net.widths[1]
    s, off = _stratum(net, (a, 3))
    assert _two_hidden_layers_bound(net, a, 3) == 20 > s.dim == 18 - 2 * bias
    rng = np.random.default_rng(0)

    def point(W1: list[list[float]], W2: list[list[float]], c: np.ndarray) -> np.ndarray:
        W2_ = np.asarray(W2, dtype=float)  # columns: the l_j (, the constant's square)
        first = np.vstack([np.asarray(W1, dtype=float)[:, : net.widths[0]], np.zeros((h1 - a, net.widths[0]))])
        blocks = [first.ravel()]
        if bias:
            blocks.append(np.concatenate([np.asarray(W1, dtype=float)[:, -1], np.zeros(h1 - a)]))
        blocks.append(np.column_stack([W2_[:, :a], np.zeros((3, h1 - a))]).ravel())
        if bias:
            blocks.append(W2_[:, -1])
        blocks += [c.ravel(), [0.3, -0.2] if bias else []]
        return np.concatenate([np.asarray(x, dtype=float) for x in blocks])

    # rows l_j (with biases the last column is the bias): coordinates, or three in a plane
    coordinates = [[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]][:a] if not bias else [[1.0, 0, 0.5], [0, 1.0, -0.3]]
    plane = [[1.0, 0, 0], [0, 1.0, 0], [1.0, 1.0, 0]] if not bias else [[1.0, 0, 0.5], [2.0, 0, -0.3]]
    W2 = [[1.0, -0.7, 0.4], [0.3, 1.2, -0.9], [0.5, 0.8, 1.1]]
    dependent = [W2[0], W2[1], [1.3, 0.5, -0.5]]
    c = np.array([[1.1, -0.6, 0.8], [0.4, 0.9, -0.5]])
    two_on_a_line = np.column_stack([c[:, 0], -2.0 * c[:, 0], c[:, 2]])
    line = np.outer([1.0, -2.0], [1.1, -0.6, 0.8])
    cases = [
        (point(coordinates, W2, c), 20, None),
        (point(coordinates, W2, two_on_a_line), 20, None),
        (point(coordinates, dependent, c), 17, 2 * a + 2 + 2 * (3 + bias)),
        (point(coordinates, W2, line), 11 + 3, 2 * a + 6 + 1 + bias),
        (point(plane, W2, c), 15, (2 - bias) + 10),
        (point(plane, W2, line), 9 + 2, (2 - bias) + 5 + 1 + bias),
    ]
    _meets_each_part(net, cases, off, rng, 150)
    assert all(b.null and b.everywhere for b in nm.voronoi_cell_bounds(net))


@pytest.mark.parametrize("spec", ["poly:3,4,3,2^2", "poly:2,3,3,2^2+bias"])
def test_squares_of_one_more_form_than_dimensions(spec: str) -> None:
    # four first-layer squares (or three and the constant's) in three variables, two layer-2
    # neurons left: the off layer-2 neuron moves each output along P^2, and P is spanned by the
    # squares of x, y, z and x + y + z, or of x, y, x + y and z: at least 9 products, 18 > 16
    net = nm.parse(spec)
    d0, h1, h2, m = net.widths
    bias = int(net.bias)
    a = 4 - bias
    s, off = _stratum(net, (a, 2))
    assert _two_hidden_layers_bound(net, a, 2) == 18 > s.dim
    rng = np.random.default_rng(0)
    forms = ([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], [[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1]])  # in (x, y, x_0) with biases
    for lines in forms:
        L = np.array(lines[:a], dtype=float)
        W1, b1 = (L[:, :2], L[:, 2]) if bias else (L, np.zeros(0))
        W2 = np.array([[1.0, -0.7, 0.4, 0.8][:h1], [0.3, 1.2, -0.9, 0.5][:h1], [0.0] * h1])
        blocks = [W1.ravel(), b1, W2.ravel(), [0.5, -1.0, 0.0] if bias else [], np.array([[1.1, -0.6, 0], [0.4, 0.9, 0]]).ravel(), [0.2, 0.1] if bias else []]
        theta0 = np.concatenate([np.asarray(x, dtype=float) for x in blocks])
        assert not theta0[off].any()
        assert _fiber_span(net, theta0, off, rng, 120) >= 18
    assert all(b.stratum_dim < b.two_sided_dim for b in nm.voronoi_cell_bounds(net) if b.everywhere)


def test_two_layer_two_neurons_of_squares() -> None:
    # poly:3,3,3,1^2 with two layer-2 neurons left: p = c_1 q_1^2 + c_2 q_2^2. With independent
    # l_j: 6 products of squares and 2 directions in each class {j, t}: 12 > 11; one less where
    # two columns of W are proportional, a part of at most 9 dimensions. With the l_j in a plane
    # every triple of lines there gives a point of the fiber, and their moves out of the plane
    # span z (q_1 L + q_2 L): 5 + 3 = 8 > 7
    net = nm.parse("poly:3,3,3,1^2")
    s, off = _stratum(net, (3, 2))
    assert _two_hidden_layers_bound(net, 3, 2) == 12 > s.dim == 11
    rng = np.random.default_rng(0)

    def point(W1: np.ndarray, W2: np.ndarray, c: list[float]) -> np.ndarray:
        theta = np.concatenate([W1.ravel(), np.vstack([W2, np.zeros(3)]).ravel(), [*c, 0.0]])
        assert not theta[off].any()
        return theta

    W2 = np.array([[1.0, -0.7, 0.4], [0.3, 1.2, -0.9]])
    proportional = W2.copy()
    proportional[:, 2] = 0.7 * proportional[:, 1]
    assert _fiber_span(net, point(np.eye(3), proportional, [1.1, -0.6]), off, rng, 150) >= 3 * 3 + 2
    # in the plane z = 0, two triples of lines for the same p
    spanned = _span_over_two_triples(net, lambda L, W: point(L, W, [1.1, -0.6]), W2, off, rng)
    assert spanned >= 5 + 3 * (3 - 2) > 2 * (3 - 2) + 5
    assert all(b.null and b.everywhere for b in nm.voronoi_cell_bounds(net))


def test_two_layer_two_neurons_of_cubes_with_biases() -> None:
    # poly:2,2,3,1^3+bias, two layer-2 neurons left: with l_1, l_2, x_0 independent, 10 products
    # of cubes and 2 (d - 1) moves, 14 > 11. With l_1 = x + 1, l_2 = x - 1 the three lines l_1,
    # l_2, x_0 lie in a plane: P^3 has the nine dimensions of three cubes' products, and the
    # derivatives of p add two: 11 > 1 + 9, the count of such points
    from neuromanifold._everywhere_bounds import _powers_of_one_more

    net = nm.parse("poly:2,2,3,1^3+bias")
    s, off = _stratum(net, (2, 2))
    assert _two_hidden_layers_bound(net, 2, 2) == comb(5, 3) + 2 * 2 > s.dim == 11
    theta0 = np.concatenate([[1.0, 0, 1.0, 0], [1.0, -1.0], [1.0, -0.7, 0.3, 1.2, 0, 0], [0.4, -0.5, 0], [1.1, -0.6, 0.0], [0.3]])
    assert not theta0[off].any()
    in_plane, points = _powers_of_one_more(2, 3) + (3 - 2) * 2, 1 * 1 + min(2 * comb(4, 3) + 3 - 2, comb(10, 9))
    assert in_plane > points
    assert _fiber_span(net, theta0, off, np.random.default_rng(0), 200) >= in_plane
    assert all(b.null and b.everywhere for b in nm.voronoi_cell_bounds(net))


@pytest.mark.parametrize("k", [2, 3])
def test_powers_of_coordinates_and_the_constant(k: int) -> None:
    # P = span(y_1^k, y_2^k, y_3^k, x_0^k) with x_0 = y_1 + 2 y_2 - y_3: P^k holds the monomials in
    # the y_j^k and x_0^k times those of degree k - 1, whose parts off the exponents 0 mod k are
    # independent; so on two inputs with biases and z^3, three first-layer neurons and one
    # layer-2 neuron left (every point has x_0 among the coordinates' span), 16 > 11
    from itertools import combinations_with_replacement

    from neuromanifold._everywhere_bounds import _coordinates_and_constant

    y = sympy.symbols("y1:4")
    generators = [v**k for v in y] + [(y[0] + 2 * y[1] - y[2]) ** k]
    products = [sympy.Poly(sympy.expand(sympy.Mul(*c)), *y) for c in combinations_with_replacement(generators, k)]
    monomials = sorted({m for p in products for m in p.monoms()})
    rank = sympy.Matrix([[dict(p.terms()).get(m, 0) for m in monomials] for p in products]).rank()
    assert rank >= _coordinates_and_constant(3, k) == comb(3 + k - 1, k) + comb(3 + k - 2, k - 1)
    if k == 3:
        net = nm.parse("poly:2,3,2,1^3+bias")
        s, off = _stratum(net, (3, 1))
        # (the exact count of the products of x, y, z, x + y + z or x, y, x + y, z is 19)
        assert _two_hidden_layers_bound(net, 3, 1) == 19 > 16 > s.dim == 11
        assert all(b.null and b.everywhere for b in nm.voronoi_cell_bounds(net))


def test_one_layer_two_neuron_output_weights_and_biases_count() -> None:
    # one layer-2 neuron left: p = c (x) q^k (+ delta). The off first-layer neuron moves p along
    # c (x) q^(k-1) F_k, the output weights along e_o (x) q^k and the biases along e_o: A(d, k)
    # + m - 1 (+ m). poly:2,2,1,2^2: one first-layer neuron left, p = c (x) l^4: 3 + 1 = 4 > 3;
    # with biases (forms in (x, 1)): 6 + 1 + 2 = 9 > 7
    for spec, bound in (("poly:2,2,1,2^2", 4), ("poly:2,2,1,2^2+bias", 9), ("poly:1,2,1,1^3+bias", 5)):
        net = nm.parse(spec)
        s, off = _stratum(net, (1, 1))
        assert _two_hidden_layers_bound(net, 1, 1) == bound > s.dim
        theta0 = _special_point(net, s.support)
        _meets_each_part(net, [(theta0, bound, None)], off, np.random.default_rng(0), 60)
        assert all(b.null and b.everywhere for b in nm.voronoi_cell_bounds(net))


def test_a_third_layer_two_neuron_adds_a_rank_one_tensor() -> None:
    # poly:2,3,3,2^2 with a first-layer neuron off: p = sum_i c_i (x) q_i^2, q_i in
    # span(x^2, y^2), a tuple of quartics in x^2, y^2 (3 m + 2 = 8 dimensions). Grading the
    # exponents mod 2, the class of x y holds c_i (x) q_i x y for the three neurons: rank-one
    # tensors, three independent ones where the c_i are not all parallel, so 3 m + 3 = 9; with
    # every c_i on one line, p = c (x) f with f any binary quartic (at most 1 + 5 dimensions),
    # and W_p holds all quartics along c and the squares in the other output: 5 + 3 = 8
    net = nm.parse("poly:2,3,3,2^2")
    s, off = _stratum(net, (2, 3))
    assert _two_hidden_layers_bound(net, 2, 3) == 9 > s.dim == 8
    rng = np.random.default_rng(0)
    W2 = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, -1.0, 0.0]])

    def point(c: np.ndarray) -> np.ndarray:
        return np.concatenate([np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]).ravel(), W2.ravel(), c.ravel()])

    one_line = np.array([[1.0, -2.0, 0.5], [2.0, -4.0, 1.0]])
    two_lines = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    _meets_each_part(net, [(point(two_lines), 9, None), (point(one_line), 8, 1 + 5)], off, rng, 80)
    assert all(b.null and b.everywhere for b in nm.voronoi_cell_bounds(net))


def test_two_squares_of_two_first_layer_forms() -> None:
    # poly:3,2,3,3^2 with a layer-2 neuron off: p = c_1 (x) q_1^2 + c_2 (x) q_2^2, q_i in
    # span(l_1^2, l_2^2). The off neuron gives the 3 products of the squares in each output;
    # moving l_j along x_t gives s_j x_j x_t, s_j = 2 sum_i W_ij c_i (x) q_i: s_1, s_2
    # independent in the class of l_1 l_2 (W is invertible), one in each l_j x_3: 9 + 2 + 2 = 13
    # > 12, also where c_1 and c_2 are parallel
    net = nm.parse("poly:3,2,3,3^2")
    s, off = _stratum(net, (2, 2))
    assert _two_hidden_layers_bound(net, 2, 2) == 13 > s.dim == 12
    W1 = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    W2 = np.array([[1.0, 2.0], [1.0, -1.0], [0.0, 0.0]])

    def point(c: np.ndarray) -> np.ndarray:
        return np.concatenate([W1.ravel(), W2.ravel(), np.hstack([c, np.zeros((3, 1))]).ravel()])

    parallel = np.array([[1.0, 2.0], [0.0, 0.0], [-1.0, -2.0]])
    independent = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    _meets_each_part(net, [(point(independent), 13, None), (point(parallel), 13, None)], off, np.random.default_rng(0), 80)
    assert all(b.null and b.everywhere for b in nm.voronoi_cell_bounds(net))


def test_three_outputs_with_the_constant_in_the_plane_of_two_lines() -> None:
    # poly:2,3,2,3^2+bias with a first-layer neuron off: p = c_1 (x) q_1^2 + c_2 (x) q_2^2 +
    # delta, q_i in span(l_1^2, l_2^2, 1). Where l_1, l_2, x_0 are coordinates: 2 (6 + 2) + 3 =
    # 19 > 17. Where x_0 lies in span(l_1, l_2) (l_1 = x + 1, l_2 = x - 1), the q_i are any
    # quadrics in (x, 1) and p = c_1 q_1^2 + c_2 q_2^2 + delta has at most 1 + 3 m + 4 = 14
    # dimensions, below the bound 2 A(3, 2) + 3 (m - 2) = 15 there
    net = nm.parse("poly:2,3,2,3^2+bias")
    s, off = _stratum(net, (2, 2))
    assert _two_hidden_layers_bound(net, 2, 2) == 19 > s.dim == 17
    c = np.array([[1.1, -0.6], [0.4, 0.9], [0.3, 0.5]])

    def point(W1: list[list[float]], b1: list[float]) -> np.ndarray:
        W1_, b1_ = np.vstack([W1, [0.0, 0.0]]), np.array([*b1, 0.0])
        W2 = np.array([[1.0, 2.0, 0.0], [1.0, -1.0, 0.0]])
        return np.concatenate([W1_.ravel(), b1_, W2.ravel(), [1.0, -1.0], c.ravel(), [0.3, -0.2, 0.1]])

    cases = [(point([[1, 0], [0, 1]], [0.5, -0.3]), 19, None), (point([[1, 0], [1, 0]], [1.0, -1.0]), 15, 1 + 3 * 3 + 4)]
    _meets_each_part(net, cases, off, np.random.default_rng(0), 150)
    assert all(b.null and b.everywhere for b in nm.voronoi_cell_bounds(net))


def test_three_squares_in_three_with_three_outputs() -> None:
    # poly:3,4,3,3^2 with a first-layer neuron off: p = sum_i c_i (x) q_i^2, q_i in
    # span(l_1^2, l_2^2, l_3^2). Where the c_i span a plane C, the two-output bound 3 A + 2
    # within it and the three squares q_i^2 off it: 20 + 3 = 23 > 21; where they span R^3, the
    # direct sum of c_i (x) (q_i F + E): 3 (6 + 2) = 24. With l_1, l_2, l_3 in a plane L
    # (quadrics on L), C a 3-space gives 3 A = 18 on at most 2 + 15 dimensions and C a plane
    # 3 A - 3 + 2 = 17 on at most 2 + 12
    net = nm.parse("poly:3,4,3,3^2")
    s, off = _stratum(net, (3, 3))
    assert _two_hidden_layers_bound(net, 3, 3) == 23 > s.dim == 21
    W2 = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [1.0, 2.0, -1.0, 0.0]])
    independent = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, -0.4], [0.3, 0.2, 1.0]])
    in_a_plane = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [0.5, -0.5, 0.0]])

    def point(W1: np.ndarray, c: np.ndarray) -> np.ndarray:
        return np.concatenate([np.vstack([W1, np.zeros(3)]).ravel(), W2.ravel(), c.ravel()])

    lines, flat = np.eye(3), np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0]])
    cases = [
        (point(lines, independent), 24, None),
        (point(lines, in_a_plane), 23, None),
        (point(flat, independent), 18, 2 + 15),
        (point(flat, in_a_plane), 17, 2 + 12),
    ]
    _meets_each_part(net, cases, off, np.random.default_rng(0), 150)
    assert all(b.null and b.everywhere for b in nm.voronoi_cell_bounds(net))


def test_exact_directions_agree_with_the_network() -> None:
    # mu and D mu from the explicit integer polynomials: exactly mu at integer points, and D mu
    # modulo the prime; the stratum's parameters are those of the subnetwork strata
    from neuromanifold._everywhere_bounds import PRIME
    from neuromanifold._finite_fibers import _directions, _integer_polynomials, _value, stratum_support, switched_off_rows

    net = nm.parse("poly:1,2,3,1^3+bias")
    polys = _integer_polynomials(net)
    assert polys is not None
    rng = np.random.default_rng(0)
    theta = [int(t) for t in rng.integers(-3, 4, net.n_params)]
    assert _value(polys, theta) == [int(round(v)) for v in net.mu(np.array(theta, dtype=float))]
    J = np.rint(net.jacobian(np.array(theta, dtype=float))).astype(np.int64) % PRIME
    columns = _directions(polys, theta)
    assert all(columns[j].get((a,), 0) == J[a, j] for a in range(net.ambient_dim) for j in range(net.n_params))
    for widths in ((2, 2), (1, 3), (2, 1)):
        s, _ = _stratum(net, widths)
        assert sorted(s.support) == stratum_support(net.widths, True, widths)
        # the switched-off neurons' incoming weights and biases: any values keep mu
        rows = switched_off_rows(net.widths, True, widths)
        assert set(rows).isdisjoint(s.support)
        theta0 = np.zeros(net.n_params)
        theta0[list(s.support)] = rng.standard_normal(len(s.support))
        filled = theta0.copy()
        filled[rows] = rng.standard_normal(len(rows))
        assert np.allclose(net.mu(filled), net.mu(theta0), rtol=1e-12, atol=1e-12)


def test_finite_fibers_certify_a_stratum_whose_bound_equals_its_dimension() -> None:
    # poly:1,2,3,1^3+bias with a layer-2 neuron off: binary forms in (x, 1), P = span(l_1^3, l_2^3,
    # 1), and P^3 has 9 of the 10 dimensions everywhere (the one relation among the products of
    # x^3, y^3, (x + y)^3), the stratum's dimension. Its 13 parameters less 4 rescalings are 9:
    # finite fibers, so where D mu over the fillings spans all 10 (exactly, at an integer point)
    # the points falling short are a part of at most 8 dimensions, null with 9 directions
    from neuromanifold._finite_fibers import finite_fiber_bound

    net = nm.parse("poly:1,2,3,1^3+bias")
    s, off = _stratum(net, (2, 2))
    assert _two_hidden_layers_bound(net, 2, 2) == s.dim == 9 == len(s.support) - 4
    assert finite_fiber_bound(net, (2, 2), 9, 0) == 10
    assert finite_fiber_bound(net, (2, 2), 8, 0) is None  # a bound below the dimension proves nothing
    assert all(b.null and b.everywhere for b in nm.voronoi_cell_bounds(net) if b.stratum_dim < net.ambient_dim)
    assert nm.voronoi_mc(net, "singular", 10**6, method="certificate", progress=False).p == 0.0
    # with a positive-dimensional fiber up to the rescalings (20 - 5 = 15 parameters for a
    # 12-dimensional stratum) the points falling short could fill the stratum: no certificate
    wide = nm.parse("poly:2,3,3,1^2+bias")
    sw, _ = _stratum(wide, (3, 2))
    assert len(sw.support) - 5 > sw.dim
    assert finite_fiber_bound(wide, (3, 2), sw.dim, 0) is None
