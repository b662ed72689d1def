"""The edge of three neurons on binary forms: the join of a neuron with the tangential variety and
the osculating variety, against a brute-force search over the roots of the apolar cubic."""

from math import comb

import numpy as np
import pytest
from scipy.optimize import minimize

import neuromanifold as nm
from neuromanifold._charts import critical_system
from neuromanifold._voronoi_join import JoinEdge, join_edge, join_edge_available
from neuromanifold._voronoi_tangent import CROSS_CHECK, _antiderivative_of, _newton
from neuromanifold.critical import _generic_solutions

SEXTICS = nm.parse("poly:2,3,1^6")
QUARTICS = nm.parse("poly:2,3,2^4")  # two outputs


def power(theta: np.ndarray, k: int, monomials: np.ndarray, order: int = 2) -> np.ndarray:
    """Coefficients of (cos t x + sin t y)^k and their first ``order`` t-derivatives (at most
    two): (t, A, order + 1)."""

    def d1(t: np.ndarray) -> np.ndarray:
        # d/dt c^a s^b = -a c^(a-1) s^(b+1) + b c^(a+1) s^(b-1)
        c, s = np.cos(t)[:, None], np.sin(t)[:, None]
        return binom * (-a * c ** np.maximum(a - 1, 0) * s ** (b + 1) * (a > 0) + b * c ** (a + 1) * s ** np.maximum(b - 1, 0) * (b > 0))

    t = np.atleast_1d(theta)
    a, b = monomials[:, 0], monomials[:, 1]
    binom = np.array([comb(k, int(j)) for j in b])
    v = binom * np.cos(t)[:, None] ** a * np.sin(t)[:, None] ** b
    h = 1e-5
    columns = [v, d1(t) if order > 0 else None, (d1(t + h) - d1(t - h)) / (2 * h) if order > 1 else None]
    return np.stack(columns[: order + 1], axis=-1)


def distance2(V: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Squared distance from u (one output's coefficients after another) to the column spans of
    V (..., A, r), output by output."""
    Q = np.linalg.qr(V)[0]
    return sum(uo @ uo - (np.einsum("...ar,a->...r", Q, uo) ** 2).sum(-1) for uo in u.reshape(-1, V.shape[-2]))


def brute_force(u: np.ndarray, k: int, monomials: np.ndarray, gap: float = 0.03) -> tuple[float, float]:
    """Squared distances from u to the real rank-3 forms with apolar roots apart by >= gap (three
    real neurons: spans of three powers), and to the edge (a neuron and a tangent, three merging
    neurons); grids and Nelder-Mead. Near the diagonal the span of three powers is numerically
    any plane, so the pieces there are charted by derivatives instead."""
    P = lambda t, order=2: power(np.asarray(t, dtype=float), k, monomials, order)

    def apart(t: np.ndarray) -> float:
        r = np.sort(np.mod(t, np.pi))
        if np.diff(np.concatenate([r, [r[0] + np.pi]])).min() < gap:
            return np.inf
        return float(distance2(P(t, 0)[:, :, 0].T, u))

    def join(t: np.ndarray) -> float:
        g = abs(np.mod(t[0] - t[1], np.pi))
        if min(g, np.pi - g) < gap:
            return np.inf
        p = P(t, 1)
        return float(distance2(np.column_stack([p[0, :, 0], p[1, :, 0], p[1, :, 1]]), u))

    def osculating(t: np.ndarray) -> float:
        return float(distance2(P(t)[0], u))

    def search(f, starts: np.ndarray, values: np.ndarray | None = None) -> float:
        values = np.array([f(s) for s in starts]) if values is None else values
        best = values.min()
        for s in starts[np.argsort(values)[:3]]:
            best = min(best, minimize(f, s, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-11, "maxiter": 3000}).fun)
        return best

    grid = np.pi * np.arange(36) / 36
    triples = np.array([(a, b, c) for a in grid for b in grid for c in grid if a < b < c])
    pairs = np.array([(a, b) for a in grid for b in grid])
    edge = min(search(join, pairs), search(osculating, grid[:, None]))
    # the grid's triples are apart (by pi / 36): their distances at once
    spans = P(triples.ravel(), 0)[:, :, 0].reshape(len(triples), 3, -1).transpose(0, 2, 1)
    return search(apart, triples, distance2(spans, u)), edge


def edges_seen(decisions: np.ndarray) -> bool:
    return bool((decisions == 1).any() and (decisions == 0).any())


@pytest.fixture(scope="module")
def edge() -> JoinEdge:
    return JoinEdge(SEXTICS, 1)


def assert_decides_as_the_brute_force(edge: JoinEdge, net: nm.PolynomialNetwork, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The edge's decisions on six standard normal samples against ``brute_force``; returns the
    samples and the decisions."""
    monomials = np.asarray(net.monomials)
    U = np.random.default_rng(5).standard_normal((6, net.ambient_dim))
    decisions, on_edge, rest = edge.decide_with_distances(U, 0)
    compared = 0
    for u, d, e, r in zip(U, decisions, on_edge, rest):
        if d < 0:
            continue  # undecided (a path lost in every chart)
        apart, near = brute_force(u, k, monomials)
        # the brute force's points lie in the closure of M_R: never nearer than the exact best
        # (where both sides are exact; a decision can also come from a real point found on one)
        if not np.isnan(e + r):
            assert min(apart, near) >= min(e, r) * (1 - 1e-6)
        # the edge is nearest when no three powers apart beat it (those approach it as they
        # merge); three apart are nearest when they beat it by a margin
        if near <= apart or apart < near * (1 - 1e-3):
            assert d == int(near <= apart), (e, r, apart, near)
            compared += 1
    assert edges_seen(decisions) and compared >= 4
    return U, decisions


def test_the_edge_decides_as_a_brute_force_search(edge: JoinEdge) -> None:
    U, decisions = assert_decides_as_the_brute_force(edge, SEXTICS, 6)
    assert edge.decide(U, 0).tolist() == decisions.tolist()  # (with only the work each row needs)


def test_generic_critical_points_do_not_depend_on_the_chart(edge: JoinEdge) -> None:
    # the critical points of the distance on J, O and M at generic data, in charts of two seeds:
    # the same numbers (the varieties' ED degrees), those of M a multiple of 3! (the neurons'
    # permutations act freely on the slice), and no stray critical point of fewer neurons
    other = JoinEdge(SEXTICS, 3)
    counts = [len(edge._solved(w, 0).generic) for w in range(3)]
    assert counts == [len(other._solved(w, 0).generic) for w in range(3)]
    assert counts[2] % 6 == 0
    for w in (0, 2):
        terms = edge._term_sizes(w, edge._solved(w, 0).generic.solutions)
        alive = terms if w == 2 else terms[:, [0, 2]]  # c l_1^k and b l^(k-1) m on J
        assert (alive.min(axis=1) > 1e-8 * terms.max(axis=1)).all()


def test_divided_equations_keep_every_critical_point_and_no_stray(edge: JoinEdge) -> None:
    # monodromy on the divided equations of J and of the slice of M at a chart of another seed:
    # every solution is a critical point of the distance (the undivided equations vanish) with
    # every term alive (no point of fewer neurons with c, b or an output weight 0), and as many
    # as in the first chart
    o = edge.seed + CROSS_CHECK
    for which in (0, 2):
        chart, system = edge._system(which, o)
        found = _generic_solutions(system, o + which, 10)
        plain = critical_system(chart, np.eye(SEXTICS.ambient_dim))
        for x in found.solutions:
            y = _newton(plain, x, found.parameters)
            assert y is not None and np.allclose(y, x, rtol=1e-6, atol=1e-9)
        saved = edge.seed
        edge.seed = o  # term sizes in the chart of seed o
        try:
            assert edge._alive(which, found.solutions).all()
        finally:
            edge.seed = saved
        if which == 0:  # (monodromy alone can stall on the slice: the first chart closes it)
            assert len(found) == len(edge._solved(which, 0).generic)


def test_one_path_per_orbit_reaches_every_critical_point_of_the_slice(edge: JoinEdge) -> None:
    # the neurons' permutations act freely on the slice of M: one point of each orbit of 3! = 6,
    # and their images under the permutations are all the others
    from neuromanifold._voronoi_membership import permuted_neurons
    from neuromanifold._voronoi_tangent import _slice_point

    X = edge._solved(2, 0).generic.solutions
    one = edge._orbit_representatives(2)
    assert 6 * one.sum() == len(X)
    images = np.vstack([X[one], permuted_neurons(SEXTICS, _slice_point(SEXTICS, edge.seed)[0], X[one])])
    gaps = np.abs(X[:, None, :] - images[None, :, :]).max(axis=2).min(axis=1)
    assert np.all(gaps < 1e-6 * (1 + np.abs(X).max(axis=1)))


def test_spare_charts_hold_the_same_points(edge: JoinEdge) -> None:
    rng = np.random.default_rng(2)
    for which in (0, 1, 2):
        first, spare = edge._chart(which, edge.seed), edge._chart(which, edge.seed + 1000)
        Y = rng.standard_normal((4, first.n))
        if which == 2:
            Y = edge._solved(2, 0).generic.solutions[:4]
        moved = edge._moved(which, edge.seed, edge.seed + 1000, Y)
        assert moved is not None
        assert np.allclose(first.mu(Y), spare.mu(moved), atol=1e-9 * (1 + np.abs(first.mu(Y)).max()))
        back = edge._moved(which, edge.seed + 1000, edge.seed, moved)  # and back again
        assert np.allclose(first.mu(back), first.mu(Y), atol=1e-9 * (1 + np.abs(first.mu(Y)).max()))


def test_one_input_with_biases_reduces_to_the_derivative() -> None:
    # f = sum c_i (w_i x + b_i)^7 + c: f' = sum 7 c_i w_i (w_i x + b_i)^6, three neurons on binary
    # sextics in (x, 1); the reduction compares them with u's coefficients times 1 / (j + 1)
    net = nm.parse("poly:1,3,1^7+bias")
    derivative, columns, factors = _antiderivative_of(net, neurons=3)
    assert derivative.widths == (2, 3, 1) and derivative.activation == SEXTICS.activation
    rng = np.random.default_rng(0)
    w, b, c, c0 = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal()
    f = net.mu(np.concatenate([w, b, c, [c0]]))
    g = derivative.mu(np.concatenate([np.column_stack([w, b]).ravel(), 7 * c * w]))
    assert np.allclose(g * factors, f[columns])
    assert _antiderivative_of(nm.parse("poly:1,3,1^6+bias"), neurons=3) is None


def test_voronoi_mc_takes_the_join_edge() -> None:
    from neuromanifold._voronoi_networks import _exact_edge

    assert _exact_edge(SEXTICS, 6, "auto") is join_edge
    # one input with biases: the derivative's edge under "exhaustive" only (seconds a sample)
    biased = nm.parse("poly:1,3,1^7+bias")
    assert _exact_edge(biased, 7, "auto") is None and _exact_edge(biased, 7, "exhaustive") is join_edge
    # several outputs: under "exhaustive" only (about one sample in twenty undecided); where
    # m (k - 2) < 4, M has the ambient dimension and no unique apolar cubic
    assert _exact_edge(QUARTICS, 9, "auto") is None and _exact_edge(QUARTICS, 9, "exhaustive") is join_edge
    cubics = nm.parse("poly:2,3,2^3")
    assert join_edge_available(cubics) is not None and nm.dimension(cubics).dim == cubics.ambient_dim


@pytest.fixture(scope="module")
def pair_edge() -> JoinEdge:
    return JoinEdge(QUARTICS, 1)


def test_two_outputs_decide_as_a_brute_force_search(pair_edge: JoinEdge) -> None:
    # two outputs: M holds the pairs with a common apolar cubic (their span lies in that of
    # three powers), a hypersurface for quartics; the closure of M_R adds the common cubics
    # with a double or triple root, J and O with a weight per output. Against the brute force
    # over the cubic's roots, with the distance summed over the outputs
    assert_decides_as_the_brute_force(pair_edge, QUARTICS, 4)


def test_two_outputs_have_chart_independent_critical_points_and_moves(pair_edge: JoinEdge) -> None:
    # J and O with two outputs: the same numbers of critical points at generic data in charts
    # of two seeds, and the spare charts' coordinates give the same points
    other = JoinEdge(QUARTICS, 3)
    assert [len(pair_edge._solved(w, 0).generic) for w in (0, 1)] == [len(other._solved(w, 0).generic) for w in (0, 1)]
    rng = np.random.default_rng(2)
    for which in (0, 1):
        first, spare = pair_edge._chart(which, 1), pair_edge._chart(which, 1001)
        Y = rng.standard_normal((4, first.n)) + 1j * rng.standard_normal((4, first.n))
        moved = pair_edge._moved(which, 1, 1001, Y)
        assert np.allclose(first.mu(Y), spare.mu(moved), atol=1e-9 * (1 + np.abs(first.mu(Y)).max()))
