"""The edge of poly:2,2,2,2^2 (two layers of two squares on two inputs): f_o = F_o(l_1^2, l_2^2)
with the pencil of the F's holding a definite form (with m outputs, their plane). Its edges are the limits of two layer-2
neurons merging (f_o = g h_o, g and h_o in span(l_1^2, l_2^2)) and of two first-layer neurons
merging (f_o = l^2 q_o), meeting in l^2 m n_o. The limits are reached by constructed
parameters, the pencil test is checked against a scan of the pencil, and the decisions against
a brute-force search over every piece of the closure; with three first-layer neurons also the
part of M that two of them reach (the pencil holds a definite form), of the dimension of M."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

import neuromanifold as nm
from neuromanifold._voronoi_quartic_pairs import OutsideTwoNeurons, QuarticPairsEdge, definite_member, quartic_pairs_available

NET = "poly:2,2,2,2^2"


@pytest.fixture(scope="module")
def edge() -> QuarticPairsEdge:
    return QuarticPairsEdge(nm.parse(NET), 0)


def _times(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Products of binary forms (coefficients by the power of y on the last axis)."""
    out = np.zeros(np.broadcast_shapes(p.shape[:-1], q.shape[:-1]) + (p.shape[-1] + q.shape[-1] - 1,), dtype=np.result_type(p, q))
    for i in range(p.shape[-1]):
        out[..., i : i + q.shape[-1]] += p[..., i : i + 1] * q
    return out


def _line(t: np.ndarray | float) -> np.ndarray:
    t = np.asarray(t, dtype=float)
    return np.stack([np.cos(t), np.sin(t)], -1)


def _theta(W1: np.ndarray, W2: np.ndarray, W3: np.ndarray) -> np.ndarray:
    return np.concatenate([W1.ravel(), W2.ravel(), W3.ravel()])


def test_generic_critical_points_do_not_depend_on_the_charts(edge: QuarticPairsEdge) -> None:
    # ED degrees of the seven pieces, the same in the charts of another seed; for c (x) l^4 the
    # best c is a least-squares fit and |<U, l^4>|^2 / |l^4|^2 a ratio of two forms of degree 8
    # in l, whose derivative on the projective line has 4 * 4 - 2 roots
    counts = [len(edge._solved(which, 0).generic) for which in range(7)]
    other = QuarticPairsEdge(nm.parse(NET), 1)
    assert counts == [len(other._solved(which, 0).generic) for which in range(7)]
    assert counts[6] == 4 * 4 - 2


@pytest.mark.parametrize("spec", [NET, "poly:2,2,2,3^2", "poly:2,2,3,3^2"])
def test_points_moved_between_charts_are_the_same_functions(spec: str) -> None:
    # the spare charts and the generic solve take points over from charts of other seeds: the
    # same functions, and (real points) the same admission, for every piece
    pairs = QuarticPairsEdge(nm.parse(spec), 0)
    rng = np.random.default_rng(8)
    for which in range(7):
        n = pairs._chart(which, 0).n
        Y = rng.standard_normal((6, n)) + 1j * rng.standard_normal((6, n))
        moved = pairs._moved(which, 0, 1000, Y)
        assert np.allclose(pairs._chart(which, 1000).mu(moved), pairs._chart(which, 0).mu(Y), rtol=1e-9, atol=1e-9)
        real = rng.standard_normal((40, n))
        there = pairs._moved(which, 0, 1000, real)
        assert np.abs(there.imag).max() < 1e-9
        assert (pairs._admitted(which, real, 0) == pairs._admitted(which, there.real, 1000)).all()
        if which == 1 or (which == 3 and not pairs.free):  # (free q's: B is closed)
            assert 0 < pairs._admitted(which, real, 0).sum() < len(real)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-3, 3), min_size=6, max_size=6))
def test_a_pencil_holds_a_definite_form_exactly_where_h_is_positive(c: list[float]) -> None:
    F1, F2 = np.array(c[:3]), np.array(c[3:])
    h = float(definite_member(F1, F2))
    scale = max(np.abs(F1).max(), np.abs(F2).max(), 1e-3) ** 4
    if abs(h) < 1e-3 * scale:
        return  # next to the seam the scan below cannot tell
    t = np.linspace(0, np.pi, 20001)
    a, b, cc = (np.cos(t)[:, None] * F1 + np.sin(t)[:, None] * F2).T
    assert (h > 0) == bool((4 * a * cc - b * b > 0).any())


def test_the_pencils_of_real_and_of_conjugate_squares() -> None:
    # span(l_1^2, l_2^2) holds l_1^2 + l_2^2 (definite); for l = p + i q the real forms Re l^2,
    # Im l^2 span a pencil of indefinite forms (no real squares); a shared root gives h = 0
    rng = np.random.default_rng(3)
    for _ in range(20):
        p, q = rng.standard_normal(2), rng.standard_normal(2)
        assert definite_member(_times(p, p), _times(q, q)) > 0
        l = p + 1j * q
        assert definite_member(_times(l, l).real, _times(l, l).imag) < 0
        g, h1, h2 = rng.standard_normal((3, 2))
        assert abs(definite_member(_times(g, h1), _times(g, h2))) < 1e-12 * (1 + np.abs(_times(g, h1)).max() ** 4)


def test_the_edges_are_limits_of_real_parameters() -> None:
    net = nm.parse(NET)
    rng = np.random.default_rng(4)
    l1, l2, n = rng.standard_normal((3, 2))
    u, v = _times(l1, l1), _times(l2, l2)
    b, h = rng.standard_normal((2, 2))  # g = b . (u, v) and h = h . (u, v)
    a_out, b_out = rng.standard_normal((2, 2))
    g_form, h_form = b[0] * u + b[1] * v, h[0] * u + h[1] * v
    A_point = np.concatenate([_times(g_form, a_out[o] * g_form + b_out[o] * h_form) for o in range(2)])
    # two layer-2 neurons merging: g_2 = g_1 + e h, c_o2 = b_o / (2 e), c_o1 = a_o - b_o / (2 e)
    gaps = []
    for e in (1e-2, 1e-3, 1e-4):
        W3 = np.column_stack([a_out - b_out / (2 * e), b_out / (2 * e)])
        gaps.append(np.abs(net.mu(_theta(np.vstack([l1, l2]), np.vstack([b, b + e * h]), W3)[None])[0] - A_point).max())
    assert gaps[1] < 0.2 * gaps[0] and gaps[2] < 0.2 * gaps[1] and gaps[2] < 1e-2
    # two first-layer neurons merging, l_2 = l + e n: (v - u) / (2 e) tends to l n, so
    # g_i = beta_i u + gamma_i (v - u) / (2 e) tends to l m_i with m_i = beta_i l + gamma_i n
    beta, gamma = rng.standard_normal((2, 2))
    C = rng.standard_normal((2, 2))
    m = beta[:, None] * l1 + gamma[:, None] * n
    B_point = np.concatenate([_times(_times(l1, l1), sum(C[o, i] * _times(m[i], m[i]) for i in range(2))) for o in range(2)])
    q = B_point.reshape(2, 5)
    gaps = []
    for e in (1e-2, 1e-3, 1e-4):
        W2 = np.column_stack([beta - gamma / (2 * e), gamma / (2 * e)])
        gaps.append(np.abs(net.mu(_theta(np.vstack([l1, l1 + e * n]), W2, C)[None])[0] - B_point).max())
    assert gaps[1] < 0.2 * gaps[0] and gaps[2] < 0.2 * gaps[1] and gaps[2] < 1e-2
    # the limit l^2 q_o: its q's pencil holds a definite form (sums of the squares m_i^2)
    quadrics = np.array([sum(C[o, i] * _times(m[i], m[i]) for i in range(2)) for o in range(2)])
    assert np.allclose(np.vstack([_times(_times(l1, l1), quadrics[o]) for o in range(2)]), q)
    assert definite_member(quadrics[0], quadrics[1]) > 0


# a brute-force search over the pieces of the closure: for fixed forms the outputs' coefficients
# are a least-squares fit, so each piece's distance is a function of one to three angles


def _fit(B: np.ndarray, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Squared distances of U (2, 5) to the spans of the forms B (..., r, 5), output by output
    (from an orthonormal basis of the span: near the spans' degenerations the normal equations
    lose the digits), and the coefficients (..., 2, r)."""
    _, S, Vt = np.linalg.svd(B, full_matrices=False)
    kept = S > 1e-10 * S[..., :1]
    along = np.einsum("...ij,oj->...oi", Vt, U) * kept[..., None, :]
    C = np.einsum("...ij,...oj->...oi", np.linalg.pinv(B.swapaxes(-1, -2), rcond=1e-10), U)
    return (U**2).sum() - (along**2).sum(axis=(-1, -2)), C


def _h(C: np.ndarray) -> np.ndarray:
    return definite_member(C[..., 0, :], C[..., 1, :]) / np.maximum(np.abs(C).max(axis=(-1, -2)), 1e-300) ** 4


def _pencil(T: np.ndarray, spanning: bool) -> tuple[np.ndarray, np.ndarray]:
    """A basis of the pencil at the angles T: span(l_1^2, l_2^2), or with a first layer spanning
    the quadratics any plane of them (an orthonormal basis of the plane normal to the angles')."""
    if spanning:
        a, b = T[..., 0:1], T[..., 1:2]
        zero = np.zeros_like(a)
        return np.concatenate([-np.sin(b), np.cos(b), zero], -1), np.concatenate([-np.sin(a) * np.cos(b), -np.sin(a) * np.sin(b), np.cos(a)], -1)
    u, v = _line(T[..., 0]), _line(T[..., 1])
    return _times(u, u), _times(v, v)


def _on_X(T: np.ndarray, U: np.ndarray, spanning: bool = False) -> tuple[np.ndarray, np.ndarray]:
    u, v = _pencil(T, spanning)
    d, C = _fit(np.stack([_times(u, u), _times(u, v), _times(v, v)], -2), U)
    return d, _h(C)


def _on_A(T: np.ndarray, U: np.ndarray, spanning: bool = False) -> np.ndarray:
    u, v = _pencil(T, spanning)
    g = np.cos(T[..., 2:3]) * u + np.sin(T[..., 2:3]) * v
    return _fit(np.stack([_times(g, u), _times(g, v)], -2), U)[0]


def _on_B(T: np.ndarray, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    l2 = _times(_line(T[..., 0]), _line(T[..., 0]))
    d, C = _fit(np.stack([_times(l2, e) for e in np.eye(3)], -2), U)
    return d, _h(C)


def _on_C(T: np.ndarray, U: np.ndarray) -> np.ndarray:
    l, m = _line(T[..., 0]), _line(T[..., 1])
    lm = _times(_times(l, l), m)
    return _fit(np.stack([_times(lm, e) for e in np.eye(2)], -2), U)[0]


def _on_D(T: np.ndarray, U: np.ndarray) -> np.ndarray:
    l = _line(T[..., 0])
    l3 = _times(_times(l, l), l)
    return _fit(np.stack([_times(l3, e) for e in np.eye(2)], -2), U)[0]


def _on_one_layer2_neuron(T: np.ndarray, U: np.ndarray) -> np.ndarray:
    g = np.stack([np.cos(T[..., 0]) * np.cos(T[..., 1]), np.cos(T[..., 0]) * np.sin(T[..., 1]), np.sin(T[..., 0])], -1)
    return _fit(_times(g, g)[..., None, :], U)[0]


def _on_one_first_layer_neuron(T: np.ndarray, U: np.ndarray) -> np.ndarray:
    l2 = _times(_line(T[..., 0]), _line(T[..., 0]))
    return _fit(_times(l2, l2)[..., None, :], U)[0]


def _grid(*ns: int) -> np.ndarray:
    axes = [np.linspace(0, np.pi, n, endpoint=False) for n in ns]
    return np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, len(ns))


def _refined(f, starts: np.ndarray, U: np.ndarray) -> list[tuple[float, np.ndarray]]:  # type: ignore[no-untyped-def]
    def value(t: np.ndarray) -> float:
        found = f(t, U)
        return float(np.atleast_1d(found[0] if isinstance(found, tuple) else found)[0])

    out = []
    for start in starts:
        r = minimize(value, start, method="Nelder-Mead", options={"xatol": 1e-9, "fatol": 1e-13, "maxiter": 2000})
        out.append((float(r.fun), r.x))
    return out


def _least(f, grid: np.ndarray, U: np.ndarray, keep: int = 4) -> float:  # type: ignore[no-untyped-def]
    vals = f(grid, U)
    vals = vals[0] if isinstance(vals, tuple) else vals
    return min(d for d, _ in _refined(f, grid[np.argsort(vals)[:keep]], U))


def _brute_force(u: np.ndarray, spanning: bool = False, free: bool = False) -> tuple[float, float]:
    """Squared distances to the edge (A, B with h(q) >= 0, C, D) and to the rest: local minima
    of the distance on X inside (h(F) > 0, l_1 != l_2; at the region's border the minimum is on
    an edge, searched on its own), one neuron in layer 2 or in layer 1, and 0. With a first
    layer spanning the quadratics: A, and X (any pencil), one neuron in layer 2 and 0. With the
    outputs' forms free (three or more layer-2 neurons): B with any q's and D, and X with any
    F's, one neuron in either layer and 0."""
    U = u.reshape(-1, 5)
    on_X = partial(_on_X, spanning=spanning)
    pairs = _grid(72, 72)
    if not spanning:
        pairs = pairs[np.abs(np.sin(pairs[:, 0] - pairs[:, 1])) > 0.02]
    d, h = on_X(pairs, U)
    if free:
        h = np.ones_like(d)
    inside = [dist for dist, t in _refined(on_X, pairs[h > 0][np.argsort(d[h > 0])[:8]], U) if (free or on_X(t, U)[1] > 1e-5) and (spanning or abs(np.sin(t[0] - t[1])) > 1e-3)]
    if spanning:
        return _least(partial(_on_A, spanning=True), _grid(32, 32, 32), U), min([*inside, _least(_on_one_layer2_neuron, _grid(48, 48), U), float((U**2).sum())])
    rest = min([*inside, _least(_on_one_layer2_neuron, _grid(48, 48), U), _least(_on_one_first_layer_neuron, _grid(180), U), float((U**2).sum())])
    if free:
        return min(_least(_on_B, _grid(180), U), _least(_on_D, _grid(180), U)), rest
    B = [dist for dist, t in _refined(_on_B, _grid(180)[np.argsort(_on_B(_grid(180), U)[0])[:4]], U) if _on_B(t, U)[1] >= -1e-9]
    edge = min([*B, _least(_on_A, _grid(32, 32, 32), U), _least(_on_C, _grid(72, 72), U), _least(_on_D, _grid(180), U)])
    return edge, rest


def test_decisions_agree_with_a_brute_force_search(edge: QuarticPairsEdge) -> None:
    _agree_with_brute_force(edge, np.random.default_rng(21).standard_normal((8, 10)), False)


def test_with_a_first_layer_spanning_the_quadratics() -> None:
    # poly:2,3,2,2^2: g_1, g_2 are any binary quadratics, so the limits of first-layer neurons
    # merging are in M_R, and the edge is that of the layer-2 neurons alone
    spanning = QuarticPairsEdge(nm.parse("poly:2,3,2,2^2"), 0)
    assert spanning.spanning and not QuarticPairsEdge(nm.parse(NET), 0).spanning
    _agree_with_brute_force(spanning, np.random.default_rng(22).standard_normal((6, 10)), True)


def _agree_with_brute_force(edge: QuarticPairsEdge, U: np.ndarray, spanning: bool, free: bool = False) -> None:
    decided, on_edge, rest = edge.decide_with_distances(U, 0)
    assert (decided >= 0).all()
    compared = 0
    for k, u in enumerate(U):
        e, r = _brute_force(u, spanning, free)
        # the exact distances are the least over all critical points: the searches cannot beat them
        assert min(e, r) >= min(on_edge[k], rest[k]) * (1 - 1e-7)
        if abs(e - r) <= 1e-6 * max(e, r):
            continue  # a tie within the search's accuracy
        compared += 1
        assert decided[k] == int(e < r)
    assert compared >= len(U) - 2 and 0 < decided.sum() < len(U)


def test_the_boundary_of_pairs_of_quartics_is_exhaustive() -> None:
    import neuromanifold._voronoi_networks as vn

    net, three = nm.parse(NET), nm.parse("poly:2,2,2,3^2")
    assert quartic_pairs_available(net) is None and quartic_pairs_available(three) is None
    assert quartic_pairs_available(nm.parse("poly:2,2,2,1^2")) is not None and quartic_pairs_available(nm.parse("poly:2,2,2,2^3")) is not None
    # three outputs (seconds a sample) under "exhaustive" only
    assert vn._exact_edge(three, three.ambient_dim, "exhaustive") is not None and vn._exact_edge(three, three.ambient_dim, "auto") is None
    est = nm.voronoi_mc(net, "boundary", 24, seed=0, progress=False)
    assert est.exhaustive and est.n_failed == 0 and 0 < est.hits < est.n


def _over_the_pencil(F: list[np.ndarray], U: np.ndarray, V: np.ndarray) -> np.ndarray:
    """The outputs F_o(U, V) for binary quadratic forms F_o and quadratics U, V."""
    return np.concatenate([f[0] * _times(U, U) + f[1] * _times(U, V) + f[2] * _times(V, V) for f in F])


def _agree_on_the_part(part: OutsideTwoNeurons, U: np.ndarray, brute_force) -> None:  # type: ignore[no-untyped-def]
    """The part's decisions on U against a brute-force search (squared distances outside and
    inside the part), where the search does not tie."""
    decided, outside, inside = part.decide_with_distances(U, 0)
    assert (decided >= 0).all() and 0 < decided.sum() < len(U)
    compared = 0
    for k, u in enumerate(U):
        o, i = brute_force(u)
        assert min(o, i) >= min(outside[k], inside[k]) * (1 - 1e-7)  # no search beats the exact best
        if abs(o - i) > 1e-6 * max(o, i):
            compared += 1
            assert decided[k] == int(o < i)
    assert compared >= len(U) - 1


def _outside_and_inside_of_two_first_layer_neurons(u: np.ndarray) -> tuple[float, float]:
    """Brute force for poly:2,3,2,2^2: squared distances to the points outside the part of two
    first-layer neurons (A, local minima on X whose pencil holds no definite form) and inside it
    (those whose pencil holds one, one layer-2 neuron, 0); on X the outputs' plane holds one."""
    U = u.reshape(-1, 5)
    on_X = lambda t, U: _on_X(t, U, spanning=True)  # noqa: E731
    pairs = _grid(72, 72)
    d, h = on_X(pairs, U)
    minima = []
    for dist, t in _refined(on_X, pairs[h > 0][np.argsort(d[h > 0])[:12]], U):
        if on_X(t, U)[1] > 1e-5:
            minima.append((dist, float(definite_member(*_pencil(t, True)))))
    outside = [x for x, hp in minima if hp < 0] + [_least(lambda t, U: _on_A(t, U, spanning=True), _grid(32, 32, 32), U)]
    inside = [x for x, hp in minima if hp > 0] + [_least(_on_one_layer2_neuron, _grid(48, 48), U), float((U**2).sum())]
    return min(outside), min(inside)


def test_the_part_of_two_first_layer_neurons_decides_as_a_brute_force_search() -> None:
    # poly:2,3,2,2^2: any pencil P of quadratics; the subnetwork with a first-layer neuron off
    # has the dimension of M, its image where P holds a definite form (two real squares)
    part = OutsideTwoNeurons(nm.parse("poly:2,3,2,2^2"), 0)
    assert part.first_layer
    rng = np.random.default_rng(25)
    U = rng.standard_normal((4, 10))
    # and data next to points of M outside the part: P spanned by the real and imaginary parts
    # of a complex square (no definite form), F_1 = U^2 + V^2 (definite)
    near = []
    for _ in range(3):
        w = rng.standard_normal(2) + 1j * rng.standard_normal(2)
        P = [_times(w, w).real, _times(w, w).imag]
        F = [np.array([1.0, 0.0, 1.0]), rng.standard_normal(3)]
        near.append(_over_the_pencil(F, *P))
    _agree_on_the_part(part, np.vstack([U, np.array(near) + 0.05 * rng.standard_normal((3, 10))]), _outside_and_inside_of_two_first_layer_neurons)
