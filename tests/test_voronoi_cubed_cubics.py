"""The edge of poly:2,2,1,m^3 (two neurons on binary cubics, cubed by one): f = c (x) g^3 with g
of real rank <= 2 (disc(g) <= 0 in the closure), whose edge is c (x) l^6 n^3. The decisions are checked
against a brute-force search over the closure, parametrized as g = l q with q semidefinite."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

import neuromanifold as nm
from neuromanifold._voronoi_cubed_cubics import CubedCubicsEdge, cubed_cubics_available

NET = "poly:2,2,1,1^3"


@pytest.fixture(scope="module")
def edge() -> CubedCubicsEdge:
    return CubedCubicsEdge(nm.parse(NET), 0)


def test_generic_critical_points_do_not_depend_on_the_charts(edge: CubedCubicsEdge) -> None:
    # ED degrees: of E = {c l^6 n^3}, of X = {c g^3} and of the cone over the rational normal
    # curve of degree 9 (3 d - 2 = 25), the same in the charts of another seed
    counts = [len(edge._solved(which, 0).generic) for which in range(3)]
    other = CubedCubicsEdge(nm.parse(NET), 1)
    assert counts == [len(other._solved(which, 0).generic) for which in range(3)]
    assert counts[2] == 3 * 9 - 2


def test_only_cubics_of_real_rank_two_are_admitted(edge: CubedCubicsEdge) -> None:
    # a real critical point of X is in the closure of M_R when g has a pair of complex roots (or
    # a multiple one); three distinct real roots mean real rank 3
    from neuromanifold._voronoi_cubed_cubics import _Patches

    point, basis, V = _Patches(0).cubic

    def coordinates(g: np.ndarray) -> np.ndarray:
        g = g / (V @ g)[0]
        return np.r_[basis.T @ (g - point), 1.0]

    three_real = np.convolve(np.convolve([1, -1], [1, -2]), [1, 1])  # (x - y)(x - 2y)(x + y)
    one_real = np.convolve([1, -1], [1, 0, 1])  # (x - y)(x^2 + y^2)
    double = np.convolve([1, -1], np.convolve([1, 2], [1, 2]))  # (x - y)(x + 2y)^2: the closure
    Y = np.array([coordinates(np.asarray(g, dtype=float)) for g in (three_real, one_real, double)])
    assert edge._admitted(1, Y, 0).tolist() == [False, True, True]
    # in a spare chart the same cubics have other coordinates, read in that chart's own patch
    spare = 1000
    other_point, other_basis, other_V = _Patches(spare).cubic
    Z = np.array([np.r_[other_basis.T @ (g / (other_V @ g)[0] - other_point), 1.0] for g in (np.asarray(g, dtype=float) for g in (three_real, one_real, double))])
    assert edge._admitted(1, Z, spare).tolist() == [False, True, True]


def _cubes(P: np.ndarray) -> np.ndarray:
    """Coefficients (powers of y) of (l q)^3 for angles P (..., 3): l = (cos t, sin t), q = (a x
    + b y)^2 + (d y)^2 with (a, b, d) on the unit sphere, d = sin(psi) >= 0; d = 0 is the edge."""

    def times(p: np.ndarray, q: np.ndarray) -> np.ndarray:
        out = np.zeros(np.broadcast_shapes(p.shape[:-1], q.shape[:-1]) + (p.shape[-1] + q.shape[-1] - 1,))
        for i in range(p.shape[-1]):
            out[..., i : i + q.shape[-1]] += p[..., i : i + 1] * q
        return out

    t, phi, psi = P[..., 0], P[..., 1], P[..., 2]
    a, b, d = np.cos(psi) * np.cos(phi), np.cos(psi) * np.sin(phi), np.sin(psi)
    g = times(np.stack([np.cos(t), np.sin(t)], -1), np.stack([a * a, 2 * a * b, b * b + d * d], -1))
    return times(times(g, g), g)


def _brute_force(u: np.ndarray) -> tuple[float, float]:
    """The best squared projections of u (one row per output) on the edge (d = 0) and on the
    interior local maxima (d clearly positive), from a grid over the angles refined by local
    searches."""
    U = u.reshape(-1, 10)
    ratio = lambda P: ((_cubes(P) @ U.T) ** 2).sum(-1) / (_cubes(P) ** 2).sum(-1)  # noqa: E731
    grid = np.stack(np.meshgrid(np.linspace(0, np.pi, 40, endpoint=False), np.linspace(0, np.pi, 40, endpoint=False), np.linspace(0, np.pi / 2, 21)), -1).reshape(-1, 3)
    edge = inner = 0.0
    for start in grid[np.argsort(ratio(grid))[-20:]]:
        fit = minimize(lambda P: -ratio(P), start, method="L-BFGS-B", bounds=[(None, None), (None, None), (0, np.pi / 2)], options={"ftol": 1e-16, "gtol": 1e-13, "maxiter": 5000})
        if fit.x[2] > 1e-3:
            inner = max(inner, -fit.fun)
        on_edge = minimize(lambda P: -ratio(np.r_[P, 0.0]), start[:2], method="BFGS", options={"gtol": 1e-13})
        edge = max(edge, -on_edge.fun, -fit.fun if fit.x[2] <= 1e-3 else 0.0)
    return edge, inner


def test_decisions_agree_with_a_brute_force_search(edge: CubedCubicsEdge) -> None:
    # the nearest point of the closure maximizes <u, g^3>^2 / |g^3|^2 over g = l q, q
    # semidefinite: on the edge when the maximum is at d = 0 (q a square) only
    U = np.random.default_rng(11).standard_normal((24, 10))
    decided = edge.decide(U, 0)
    assert (decided >= 0).all()
    compared = 0
    for u, d in zip(U, decided):
        on_edge, inner = _brute_force(u)
        if abs(on_edge - inner) <= 1e-6 * max(on_edge, inner):
            continue  # a tie within the search's accuracy
        compared += 1
        assert d == int(on_edge > inner)
    assert compared >= 20 and 0 < decided.sum() < len(U)


def test_decisions_with_two_outputs_agree_with_a_brute_force_search() -> None:
    # c (x) g^3 with c in R^2: the best squared projection sums over the outputs
    edge = CubedCubicsEdge(nm.parse("poly:2,2,1,2^3"), 0)
    U = np.random.default_rng(12).standard_normal((12, 20))
    decided = edge.decide(U, 0)
    assert (decided >= 0).all()
    for u, d in zip(U, decided):
        on_edge, inner = _brute_force(u)
        if abs(on_edge - inner) > 1e-6 * max(on_edge, inner):
            assert d == int(on_edge > inner)


def test_the_boundary_of_cubed_cubics_is_exhaustive() -> None:
    net = nm.parse(NET)
    assert cubed_cubics_available(net) is None and cubed_cubics_available(nm.parse("poly:2,2,1,2^3")) is None
    assert cubed_cubics_available(nm.parse("poly:2,2,1,1^2")) is not None and cubed_cubics_available(nm.parse("poly:2,3,1,1^3")) is not None
    est = nm.voronoi_mc(net, "boundary", 60, seed=0, progress=False)
    assert est.exhaustive and est.n_failed == 0 and est.hits > 0
