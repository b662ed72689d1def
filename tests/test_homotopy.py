"""Homotopy continuation: every solution, each path accounted for."""

import itertools

import numpy as np
import pytest
import sympy
from hypothesis import example, given, settings
from hypothesis import strategies as st

import neuromanifold as nm


def _coefficients(n: int, degree: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    size = sum(1 for m in itertools.product(range(degree + 1), repeat=n) if sum(m) <= degree)
    return [rng.standard_normal(size) + 1j * rng.standard_normal(size) for _ in range(n)]


def dense_system(n: int, degree: int, seed: int) -> nm.System:
    monos = [m for m in itertools.product(range(degree + 1), repeat=n) if sum(m) <= degree]
    return nm.System.from_arrays([np.array(monos)] * n, _coefficients(n, degree, seed))


@pytest.mark.parametrize("n, degree, bezout", [(2, 2, 4), (3, 3, 27), (4, 2, 16)])
def test_random_dense_systems_reach_the_bezout_number(n: int, degree: int, bezout: int) -> None:
    system = dense_system(n, degree, seed=n * 10 + degree)
    result = nm.solve(system)
    s = result.summary()
    assert s["paths"] == bezout and s["nonsingular"] == bezout
    assert (result.residual < 1e-10).all()
    sols = result.solutions
    for x in sols:
        assert np.abs(system.evaluate(x)).max() < 1e-9
    # pairwise distinct
    d = np.abs(sols[:, None, :] - sols[None, :, :]).max(axis=2) + np.eye(len(sols))
    assert d.min() > 1e-6


@given(st.lists(st.integers(-5, 5), min_size=2, max_size=4, unique=True), st.integers(0, 1000))
# a path that jumped onto another one's root (two paths at -4, none at -1)
@example(roots=[-5, -1, -2, -4], seed=831)
# cond(A) = 1825: the roots u = 1 and u = 2 are solutions of size about 300 and 600 in the same
# direction, close in the projective patch; loops around t = 0 wind around both
@example(roots=[0, 1, 2], seed=279)
# cond(A) = 1489: three roots of size about 1000 in the same direction look like a path to
# infinity until t is about 1e-9
@example(roots=[-3, 0, 4, -5], seed=834)
def test_known_roots_of_products_of_linear_factors(roots: list[int], seed: int) -> None:
    # prod (u - r) = 0 and v = 0 after a random invertible change of coordinates (u, v) = A (x, y):
    # every root once, regular, whatever the condition of A
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((2, 2)) + 2 * np.eye(2)
    x, y = sympy.symbols("x y")
    u = A[0, 0] * x + A[0, 1] * y
    w = A[1, 0] * x + A[1, 1] * y
    F = nm.System([sympy.Mul(*[u - r for r in roots]), w], [x, y])
    result = nm.solve(F, seed=seed)
    assert result.summary()["nonsingular"] == len(roots) == len(result.status)
    # (the expanded polynomial's coefficients carry rounding, which an ill-conditioned A
    # amplifies: its roots of size cond(A) have terms of size cond(A)^k that cancel)
    found = sorted((result.solutions @ A.T)[:, 0].real)
    assert np.allclose(found, sorted(roots), atol=1e-8 if np.linalg.cond(A) < 100 else 1e-3)
    assert result.real.all()


@settings(max_examples=12, deadline=None)
@given(st.lists(st.integers(-4, 4), min_size=3, max_size=3), st.integers(0, 1000))
def test_badly_scaled_unknowns_lose_no_solution(logs: list[int], seed: int) -> None:
    # F(x) = G(x / D) for a dense cubic system G and D = diag(10^k): the solutions of F are D
    # times those of G, all 27 of them, even when their coordinates differ in size by 1e8
    # (unscaled, such solutions lie near infinity in the homotopy's projective coordinates)
    G = dense_system(3, 3, seed)
    D = 10.0 ** np.array(logs)
    monos = np.array([m for m in itertools.product(range(4), repeat=3) if sum(m) <= 3])
    F = nm.System.from_arrays([monos] * 3, [c / np.prod(D**monos, axis=1) for c in _coefficients(3, 3, seed)])
    expected = nm.solve(G, seed=seed).solutions * D
    for start in ("total_degree", "auto"):
        result = nm.solve(F, seed=seed, start=start)
        assert result.summary()["nonsingular"] == 27
        found = result.solutions
        # each expected solution is found, relative to the size of each coordinate
        rel = np.abs(found[:, None, :] - expected[None, :, :]) / (np.abs(expected[None, :, :]) + 1e-12 * D)
        assert (rel.max(axis=2).min(axis=0) < 1e-8).all()


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 1000), st.lists(st.sampled_from([1e-19, 1e-250, 2.2e-311]), min_size=1, max_size=4))
def test_coefficients_at_noise_level_do_not_spoil_the_scaling(seed: int, tiny: list[float]) -> None:
    # critical equations built numerically carry terms of size 1e-19 where exact arithmetic
    # gives 0 (and sympy may hand over subnormal ones): a dense cubic system with some such
    # coefficients still has its 27 solutions, each solving it
    monos = np.array([m for m in itertools.product(range(4), repeat=3) if sum(m) <= 3])
    coeffs = _coefficients(3, 3, seed)
    rng = np.random.default_rng(seed)
    for c in tiny:
        coeffs[rng.integers(3)][rng.integers(len(monos))] = c
    F = nm.System.from_arrays([monos] * 3, coeffs)
    result = nm.solve(F, seed=seed)
    assert result.summary()["nonsingular"] == 27
    # each solves it up to rounding: |f_i(x)| against the sizes of its terms (a solution of size
    # 100 has terms near 1e6, whose rounding alone exceeds 1e-10 against the coefficients)
    x = result.endpoints[result.finite]
    values = np.prod(x[:, None, :] ** monos[None, :, :], axis=2)  # (S, monomials)
    for c in coeffs:
        assert (np.abs(values @ c) <= 1e-12 * (np.abs(values) @ np.abs(c))).all()


def test_solutions_at_infinity_are_accounted_for() -> None:
    F = nm.System(["x*y - 1", "x*y + x - 3"], ["x", "y"])
    s = nm.solve(F, start="total_degree").summary()
    assert s == {"nonsingular": 1, "singular": 0, "at_infinity": 3, "failed": 0, "paths": 4, "real": 1}
    # bilinear in {x}, {y}: the multihomogeneous start system has 2 paths, one to infinity
    assert F.best_variable_groups()[1] == 2 == F.multihomogeneous_bezout_number([["x"], ["y"]])
    s = nm.solve(F).summary()
    assert s == {"nonsingular": 1, "singular": 0, "at_infinity": 1, "failed": 0, "paths": 2, "real": 1}
    assert np.allclose(nm.solve(F).solutions, [[2, 0.5]])


def test_multihomogeneous_start_system_of_the_rank_one_ed_problem() -> None:
    # degree 1 in u and 2 in v for the u-equations, the reverse for the v-equations:
    # coefficient of a^2 b^3 in (a + 2b)^2 (2a + b)^3 = 73 paths instead of 3^5 = 243
    F = rank_one_ed_system()
    groups, count = F.best_variable_groups()
    assert count == 73 and F.bezout_number == 243
    assert sorted(len(g) for g in groups) == [2, 3]
    rng = np.random.default_rng(2)
    params = np.concatenate([rng.uniform(0.5, 2.0, 9), rng.standard_normal(9)])
    auto = nm.solve(F, params)
    total = nm.solve(F, params, start="total_degree")
    assert auto.summary()["paths"] == 73 and total.summary()["paths"] == 243
    assert auto.summary()["nonsingular"] == total.summary()["nonsingular"] == 39
    a = auto.nonsingular_solutions
    b = total.nonsingular_solutions
    assert all(np.abs(b - x).max(axis=1).min() < 1e-8 for x in a)


@given(st.integers(0, 10_000), st.sampled_from([(1, 1), (1, 2), (2, 1)]), st.sampled_from([(1, 1), (1, 2), (2, 1)]))
def test_multihomogeneous_and_total_degree_homotopies_agree(seed: int, d1: tuple[int, int], d2: tuple[int, int]) -> None:
    # two equations in x (group 1) and y (group 2) with random coefficients and degrees d1, d2
    rng = np.random.default_rng(seed)
    exps, coeffs = [], []
    for dx, dy in (d1, d2):
        monos = np.array([(a, b) for a in range(dx + 1) for b in range(dy + 1)])
        exps.append(monos)
        coeffs.append(rng.standard_normal(len(monos)) + 1j * rng.standard_normal(len(monos)))
    F = nm.System.from_arrays(exps, coeffs)
    # Bezout number of the groups {x}, {y}: d1x d2y + d1y d2x
    expected = d1[0] * d2[1] + d1[1] * d2[0]
    assert F.multihomogeneous_bezout_number([[0], [1]]) == expected
    by_groups = nm.solve(F, start="multihomogeneous", groups=[[0], [1]], seed=seed)
    by_degree = nm.solve(F, start="total_degree", seed=seed)
    assert by_groups.summary()["paths"] == expected
    assert by_groups.summary()["failed"] == by_degree.summary()["failed"] == 0
    a, b = by_groups.nonsingular_solutions, by_degree.nonsingular_solutions
    assert len(a) == len(b) == expected  # generic coefficients: every solution is finite
    assert all(np.abs(b - x).max(axis=1).min() < 1e-8 for x in a)


def test_start_systems_validate_their_input() -> None:
    F = nm.System(["x*y - 1", "x*y + x - 3"], ["x", "y"])
    with pytest.raises(ValueError, match="start must be"):
        nm.solve(F, start="polyhedral")
    with pytest.raises(ValueError, match="start='multihomogeneous'"):
        nm.solve(F, groups=[["x"], ["y"]])
    with pytest.raises(ValueError, match="not a variable"):
        nm.solve(F, start="multihomogeneous", groups=[["x"], ["z"]])
    with pytest.raises(ValueError, match="in no group"):
        nm.solve(F, start="multihomogeneous", groups=[["x"]])
    with pytest.raises(ValueError, match="in two groups"):
        F.multihomogeneous_bezout_number([["x", "y"], ["y"]])
    with pytest.raises(TypeError):
        F.multihomogeneous_bezout_number("xy")
    with pytest.raises(TypeError, match="scale must be True or False"):
        nm.solve(F, scale="yes")  # type: ignore[arg-type]


def test_double_root_is_singular_with_multiplicity_two() -> None:
    F = nm.System(["(x - 1)**2", "y - 2"], ["x", "y"])
    r = nm.solve(F)
    assert list(r.status) == ["singular", "singular"]
    assert (r.multiplicity == 2).all()
    assert np.allclose(r.solutions, [[1, 2], [1, 2]], atol=1e-6)


def rank_one_ed_system() -> nm.System:
    """Critical points of sum w_ij (u_i v_j - q_ij)^2 over 3x3 matrices u v^T, on the chart
    u_0 + c_1 u_1 + c_2 u_2 = 1 (a generic chart keeps every critical point at moderate size)."""
    u1, u2 = sympy.symbols("u1 u2")
    u = [1 - sympy.Rational(3, 7) * u1 + sympy.Rational(5, 11) * u2, u1, u2]
    v = list(sympy.symbols("v0 v1 v2"))
    w = sympy.symbols("w0:9")
    q = sympy.symbols("q0:9")
    loss = sum(w[3 * i + j] * (u[i] * v[j] - q[3 * i + j]) ** 2 for i in range(3) for j in range(3))
    unknowns = u[1:] + v
    return nm.System([sympy.diff(loss, z) for z in unknowns], unknowns, [*w, *q])


def test_eckart_young_three_real_critical_points() -> None:
    F = rank_one_ed_system()
    Q = np.random.default_rng(1).standard_normal((3, 3))
    r = nm.solve(F, np.concatenate([np.ones(9), Q.ravel()]))
    assert r.summary()["nonsingular"] == 3 and r.real[r.status[r.finite] == "nonsingular"].all()
    # they are the rank-one truncations sigma_k u_k v_k^T of the SVD
    U, S, Vt = np.linalg.svd(Q)
    u0 = lambda x: 1 - 3 / 7 * x[0] + 5 / 11 * x[1]  # noqa: E731
    found = sorted(np.linalg.norm(np.outer([u0(x), *x[:2]], x[2:]).real) for x in r.nonsingular_solutions)
    assert np.allclose(found, sorted(S))


def test_generic_weighted_ed_degree_is_39() -> None:
    F = rank_one_ed_system()
    rng = np.random.default_rng(2)
    params = np.concatenate([rng.uniform(0.5, 2.0, 9), rng.standard_normal(9)])
    r = nm.solve(F, params)
    assert r.summary()["nonsingular"] == 39


def test_no_lost_solutions_over_seeds() -> None:
    F = rank_one_ed_system()
    rng = np.random.default_rng(3)
    params = np.concatenate([rng.uniform(0.5, 2.0, 9), rng.standard_normal(9)])
    for seed in range(20):
        assert nm.solve(F, params, seed=seed).summary()["nonsingular"] == 39, seed


def test_same_result_for_any_thread_count() -> None:
    system = dense_system(3, 2, seed=4)
    try:
        nm.set_num_threads(1)
        one = nm.solve(system, seed=9)
        nm.set_num_threads(2)
        two = nm.solve(system, seed=9)
    finally:
        nm.set_num_threads(0)
    assert np.array_equal(one.endpoints, two.endpoints) and np.array_equal(one.status, two.status)
    for bad in (-1, 10**6):
        with pytest.raises(ValueError, match="number of threads"):
            nm.set_num_threads(bad)
    with pytest.raises(TypeError):
        nm.set_num_threads(1.5)  # type: ignore[arg-type]
    assert nm.get_num_threads() >= 1


def test_malformed_systems() -> None:
    with pytest.raises(ValueError, match="square"):
        nm.System(["x + y"], ["x", "y"])
    with pytest.raises(ValueError, match="neither variables nor parameters: z"):
        nm.System(["x + z", "y"], ["x", "y"])
    with pytest.raises(ValueError, match="not a polynomial"):
        nm.System(["sin(x)", "y"], ["x", "y"])
    with pytest.raises(ValueError, match="no equations"):
        nm.System([], [])
    with pytest.raises(ValueError, match="cannot be parsed"):
        nm.System(["x +* 2"], ["x"])
    with pytest.raises(ValueError, match="NaN"):
        nm.System.from_arrays([np.array([[1], [0]])], [np.array([1.0, np.nan])])
    with pytest.raises(ValueError, match="zero|involve"):
        nm.System(["0", "y"], ["x", "y"])
    with pytest.raises(ValueError, match="parameters"):
        nm.solve(nm.System(["x - a"], ["x"], ["a"]))
    with pytest.raises(ValueError, match="NaN"):
        nm.solve(nm.System(["x - a"], ["x"], ["a"]), [np.nan])
    with pytest.raises(TypeError):
        nm.solve("x - 1")  # type: ignore[arg-type]


def test_parameter_homotopy_matches_solving_from_scratch() -> None:
    F = rank_one_ed_system()
    rng = np.random.default_rng(5)
    start_params = rng.standard_normal(18) + 1j * rng.standard_normal(18)
    start = nm.solve(F, start_params, seed=1)
    assert start.summary()["nonsingular"] == 39
    targets = np.concatenate([rng.uniform(0.5, 2.0, (100, 9)), rng.standard_normal((100, 9))], axis=1)
    tracked = nm.track(F, start.nonsingular_solutions, start_params, targets)
    assert len(tracked) == 100
    for k in (0, 37, 99):  # compare a few with a full solve
        direct = nm.solve(F, targets[k]).nonsingular_solutions
        found = tracked[k].nonsingular_solutions
        assert len(found) == len(direct) == 39
        dist = np.abs(found[:, None, :] - direct[None, :, :]).max(axis=2)
        assert (dist.min(axis=1) < 1e-7).all() and (dist.min(axis=0) < 1e-7).all()
    for r in tracked:
        assert r.summary()["nonsingular"] == 39 and r.summary()["paths"] == 39
    # without the careful retrack of failed paths, every other path is tracked the same way
    quick = nm.track(F, start.nonsingular_solutions, start_params, targets, retry_failed=False)
    for r, q in zip(tracked, quick):
        same = q.status != "failed"
        assert np.array_equal(q.steps[same], r.steps[same]) and np.array_equal(q.endpoints[same], r.endpoints[same])
        assert np.all(q.steps[~same] <= r.steps[~same])


def test_track_validates_its_input() -> None:
    F = nm.System(["x**2 - a"], ["x"], ["a"])
    with pytest.raises(ValueError, match="start_solutions"):
        nm.track(F, np.zeros((2, 3)), [1.0], [[2.0]])
    with pytest.raises(ValueError, match="NaN"):
        nm.track(F, [[1.0]], [1.0], [[np.nan]])
    (r,) = nm.track(F, [[1.0], [-1.0]], [1.0], [4.0])
    assert np.allclose(sorted(r.solutions[:, 0].real), [-2.0, 2.0])


def test_export_formats() -> None:
    F = nm.System(["x**2 + y**2 - a", "(1 + 2*I)*x*y - 2"], ["x", "y"], ["a"])
    bertini = F.to_bertini([5.0])
    assert "variable_group x,y;" in bertini and "(1.0+2.0*I)*x*y" in bertini and "(-5.0)" in bertini
    phc = F.to_phcpack([5.0])
    assert phc.splitlines()[0] == "2" and "x**2" in phc and "2.0*i" in phc
    julia = F.to_julia()
    assert "@var x y a" in julia and "parameters = [a]" in julia and "2.0*im" in julia


PHC_OUTPUT = """
START SOLUTIONS :
2 2
solution 1 :
t :  0.0 0.0
m : 1
the solution for t :
 x :  9.0 0.0
 y :  9.0 0.0
== err :  0.0 = rco :  1.0 = res :  0.0 ==
THE SOLUTIONS :
2 2
solution 1 :
t :  1.0 0.0
m : 1
the solution for t :
 y : -2.00000000000000E+00   1.0E-16
 x :  1.00000000000000E+00   0.0
== err :  0.0 = rco :  1.0 = res :  0.0 ==
solution 2 :
t :  1.0 0.0
m : 1
the solution for t :
 y :  2.5E-01  -3.0E+00
 x : -1.0 0.0
== err :  0.0 = rco :  1.0 = res :  0.0 ==
"""


def test_read_phcpack_solutions() -> None:
    S = nm.read_phcpack_solutions(PHC_OUTPUT, ["x", "y"])
    assert np.allclose(S, [[1, -2 + 1e-16j], [-1, 0.25 - 3j]])
    with pytest.raises(ValueError, match="lacks"):
        nm.read_phcpack_solutions(PHC_OUTPUT, ["x", "z"])


@pytest.mark.skipif(__import__("shutil").which("phc") is None, reason="PHCpack is not installed")
def test_phcpack_finds_the_same_solutions(tmp_path) -> None:
    import subprocess

    F = nm.System(["x**2 + y**2 - 5", "(1 + 2*I)*x*y - 2"], ["x", "y"])
    (tmp_path / "in").write_text(F.to_phcpack())
    subprocess.run(["phc", "-b", str(tmp_path / "in"), str(tmp_path / "out")], check=True, capture_output=True, timeout=60)
    theirs = nm.read_phcpack_solutions((tmp_path / "out").read_text(), F.variables)
    ours = nm.solve(F).solutions
    assert len(theirs) == len(ours) == 4
    assert np.abs(theirs[:, None] - ours[None]).max(axis=2).min(axis=1).max() < 1e-8


def test_monodromy_finds_the_same_39() -> None:
    F = rank_one_ed_system()
    m = nm.monodromy_solve(F, seed=3)
    assert len(m) == 39
    direct = nm.solve(F, m.parameters).nonsingular_solutions
    dist = np.abs(m.solutions[:, None, :] - direct[None, :, :]).max(axis=2)
    assert (dist.min(axis=1) < 1e-7).all() and (dist.min(axis=0) < 1e-7).all()
    # and they start parameter homotopies to real data
    targets = np.concatenate([np.ones(9), np.random.default_rng(0).standard_normal(9)])
    (r,) = nm.track(F, m.solutions, m.parameters, targets)
    assert r.summary()["nonsingular"] == 3  # Eckart-Young for the plain distance
    assert r.summary()["singular"] + r.summary()["at_infinity"] + r.summary()["failed"] == 36


def test_monodromy_needs_parameters() -> None:
    with pytest.raises(NotImplementedError, match="parameters"):
        nm.monodromy_solve(nm.System(["x**2 - 1"], ["x"]))
