"""Critical points of losses on neuromanifolds: Eckart-Young, Baldi-Hornik, pure versus spurious,
ED degrees against closed formulas, Hessians against finite differences, landscapes."""

from itertools import combinations
from math import comb

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neuromanifold as nm
from neuromanifold.formulas import determinantal_dimension, eckart_young_count, generic_ed_degree_rank_one


def fd_hessian(net: nm.Network, loss: nm.Loss, theta: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central differences of the exact gradient."""
    n = len(theta)
    H = np.zeros((n, n))
    for i in range(n):
        e = np.zeros(n)
        e[i] = h
        H[:, i] = (loss.gradient(net, theta + e) - loss.gradient(net, theta - e)) / (2 * h)
    return (H + H.T) / 2


def ey_index(sigma: np.ndarray, chosen: tuple[int, ...]) -> int:
    """Index of the sum of the chosen singular components on the rank-r matrices: one descent
    direction per pair (i chosen, j not chosen) with sigma_j > sigma_i."""
    others = [j for j in range(len(sigma)) if j not in chosen]
    return sum(sigma[j] > sigma[i] for i in chosen for j in others)


@pytest.mark.parametrize("widths, seed", [((3, 1, 3), 0), ((3, 2, 4), 1), ((2, 1, 3), 2), ((4, 2, 3), 3)])
def test_eckart_young(widths: tuple[int, ...], seed: int) -> None:
    net = nm.LinearNetwork(widths)
    m, n, r = widths[-1], widths[0], min(widths)
    U = np.random.default_rng(seed).standard_normal((m, n))
    u, sigma, vh = np.linalg.svd(U)
    points = nm.critical_points(net, nm.DistanceLoss(U), seed=seed)
    assert points.complete
    pure = [p for p in points if p.pure]
    assert len(pure) == eckart_young_count(m, n, r) == comb(min(m, n), r)
    assert all(p.real for p in pure)
    minima = [p for p in points if p.kind == "minimum"]
    assert len(minima) == 1 and minima[0].global_min
    truncated = (u[:, :r] * sigma[:r]) @ vh[:r]
    assert np.allclose(minima[0].mu.reshape(m, n), truncated, atol=1e-8)
    # every pure point is a sum of r singular components, with the index the theory predicts
    expected = {}
    for chosen in combinations(range(min(m, n)), r):
        W = (u[:, chosen] * sigma[list(chosen)]) @ vh[list(chosen)]
        expected[chosen] = (W, ey_index(sigma, chosen))
    for p in pure:
        W = p.mu.reshape(m, n)
        match = [k for k, (Wk, _) in expected.items() if np.allclose(W, Wk, atol=1e-7)]
        assert len(match) == 1
        assert p.index == expected[match[0]][1] and p.image_kind == p.kind
        assert p.kind == ("minimum" if p.index == 0 else "strict_saddle")
    assert abs(minima[0].loss - (sigma[r:] ** 2).sum()) < 1e-9


@pytest.mark.parametrize("widths", [(3, 2, 3), (2, 3, 2), (3, 1, 2), (2, 2, 2, 2), (3, 3, 1, 3)])
@pytest.mark.parametrize("seed", [0, 1])
def test_baldi_hornik_every_local_minimum_is_global(widths: tuple[int, ...], seed: int) -> None:
    rng = np.random.default_rng(seed + 10)
    net = nm.LinearNetwork(widths)
    X = rng.standard_normal((widths[0], 12))
    Y = rng.standard_normal((widths[-1], 12))
    loss = nm.SquaredError(X, Y)
    points = nm.critical_points(net, loss, seed=seed)
    assert points.complete
    real = points.real
    best = min(p.loss for p in real)
    minima = [p for p in real if p.kind == "minimum"]
    assert minima
    for p in minima:
        assert p.global_min and abs(p.loss - best) <= 1e-8 * (1 + best)
    for p in real:
        assert np.abs(loss.gradient(net, p.theta)).max() < 1e-7


def test_pure_and_spurious_points_of_a_deep_linear_network() -> None:
    net = nm.LinearNetwork((3, 3, 2, 3))  # rank <= 2 inside 3 x 3: not filling
    dim = nm.dimension(net).dim
    assert dim == determinantal_dimension(3, 3, 2)
    U = np.random.default_rng(4).standard_normal((3, 3))
    points = nm.critical_points(net, nm.DistanceLoss(U))
    assert points.summary()["spurious"] > 0 and points.summary()["pure"] == 3
    for p in points:
        assert p.real
        rank = np.linalg.matrix_rank(p.mu.reshape(3, 3), tol=1e-8)
        if rank < 2:
            assert not p.pure and net.jacobian_rank(p.theta) < dim
            assert p.kind != "minimum"  # quadratic loss: no spurious local minimum (Baldi-Hornik)
        else:
            assert p.pure and net.jacobian_rank(p.theta) == dim
            assert p.kind == p.image_kind  # pure points have the type of their image


def test_kinds_and_indices_agree_with_finite_difference_hessians() -> None:
    for widths, seed in [((3, 1, 3), 0), ((3, 3, 2, 3), 1), ((2, 2, 2), 2)]:
        net = nm.LinearNetwork(widths)
        U = np.random.default_rng(seed).standard_normal((widths[-1], widths[0]))
        loss = nm.DistanceLoss(U, weights="generic", seed=seed)
        for p in nm.critical_points(net, loss, seed=seed).real:
            H = fd_hessian(net, loss, p.theta)
            assert np.allclose(H, loss.hessian(net, p.theta), atol=1e-5 * (1 + np.abs(H).max()))
            lam = np.linalg.eigvalsh(H)
            tol = 1e-5 * max(1.0, np.abs(lam).max())
            neg, pos = int((lam < -tol).sum()), int((lam > tol).sum())
            assert p.index == neg
            if p.kind == "minimum":
                assert neg == 0
            elif p.kind == "strict_saddle":
                assert neg > 0
            elif p.kind == "maximum":
                assert pos == 0


def test_generic_ed_degree_of_three_by_three_rank_one_is_39() -> None:
    assert nm.ed_degree(nm.LinearNetwork((3, 1, 3)), weights="generic") == 39 == generic_ed_degree_rank_one(3, 3)


@pytest.mark.parametrize("m, n", [(2, 2), (2, 3), (3, 2)])
def test_ed_degrees_match_closed_formulas(m: int, n: int) -> None:
    net = nm.LinearNetwork((n, 1, m))
    assert nm.ed_degree(net, weights="generic", seed=1) == generic_ed_degree_rank_one(m, n)
    assert nm.ed_degree(net) == eckart_young_count(m, n, 1)


def test_rank_two_generic_ed_degree_equals_rank_one_by_duality() -> None:
    # for square 3 x 3 matrices the rank-2 and rank-1 varieties are dual: equal generic ED degrees
    assert nm.ed_degree(nm.LinearNetwork((3, 2, 3)), weights="generic") == 39


def test_generic_ed_degree_formula_facts() -> None:
    for n in range(1, 6):
        assert generic_ed_degree_rank_one(1, n) == 1  # a linear space
    for m in range(1, 5):
        for n in range(1, 5):
            assert generic_ed_degree_rank_one(m, n) == generic_ed_degree_rank_one(n, m)
            assert generic_ed_degree_rank_one(m, n) >= eckart_young_count(m, n, 1)


def test_landscape_generic_weights_have_bad_local_minima_the_plain_distance_never() -> None:
    net = nm.LinearNetwork((3, 1, 3))
    plain = nm.landscape(net, samples=150, weights=None, seed=3)
    assert plain.failed == 0 and plain.counts == {(3, 1): 150}
    weighted = nm.landscape(net, samples=250, weights="generic", seed=3)
    assert weighted.n_complex == 39
    assert sum(weighted.counts.values()) + weighted.failed == 250
    assert weighted.failed <= 2
    assert any(m > 1 for (_, m) in weighted.counts)
    for (r, m), c in weighted.counts.items():
        assert r % 2 == 1 and 1 <= m <= r  # real points of a generic real instance come in odd number
        assert weighted.table[m - 1, r - 1] == c


def test_classify_where_gradient_descent_stops() -> None:
    net = nm.LinearNetwork((3, 2, 3))
    rng = np.random.default_rng(7)
    X, Y = rng.standard_normal((3, 10)), rng.standard_normal((3, 10))
    loss = nm.SquaredError(X, Y)
    theta = 0.3 * rng.standard_normal(net.n_params)
    for _ in range(20000):
        theta -= 2e-3 * loss.gradient(net, theta)
    c = nm.classify(net, loss, theta, gradient_tol=1e-3)
    assert c.kind == "minimum" and c.pure
    best = min(p.loss for p in nm.critical_points(net, loss).real)
    assert abs(c.loss - best) < 1e-6
    assert nm.classify(net, loss, rng.standard_normal(net.n_params)).kind == "not_critical"


def test_polynomial_network_critical_points_are_critical() -> None:
    net = nm.PolynomialNetwork((2, 2, 1), activation=2)
    rng = np.random.default_rng(0)
    loss = nm.DistanceLoss(rng.standard_normal(net.ambient_dim), weights="generic")
    points = nm.critical_points(net, loss)
    assert points.complete and len(points.real) >= 1
    for p in points.real:
        assert np.abs(loss.gradient(net, p.theta)).max() < 1e-7
        lam = np.linalg.eigvalsh(fd_hessian(net, loss, p.theta))
        assert p.index == int((lam < -1e-5 * max(1, np.abs(lam).max())).sum())


def test_kinds_do_not_depend_on_the_point_of_the_fiber() -> None:
    # rescaling a neuron (w -> l w, c -> c / l^2 for z^2) moves along the fiber; the Hessian
    # changes by a congruence, so its signature and the kind stay. The default analysis found its
    # global minimum at weights near 20 with output weights near 1, and called it degenerate
    from neuromanifold.critical import _kind

    net = nm.parse("poly:3,2,1^2")
    loss = nm.DistanceLoss(np.random.default_rng([0, 0xDA7A]).standard_normal(net.ambient_dim))
    points = nm.critical_points(net, loss, seed=0)
    assert points.complete and points.real and points.real[0].global_min
    assert points.real[0].kind == "minimum"  # the nearest point of a smooth part, generic data
    for p in points.real:
        for scale in (1 / 30, 30.0):
            theta = p.theta.copy()
            theta[0:3] *= scale  # the first neuron's incoming weights
            theta[6] /= scale**2  # and its output weight
            assert np.allclose(net.mu(theta), net.mu(p.theta))
            assert _kind(net, loss, theta, net.jacobian_rank(theta), 5, False, 0)[0] == p.kind


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000))
def test_loss_is_constant_on_fibers_and_its_gradient_matches_differences(seed: int) -> None:
    rng = np.random.default_rng(seed)
    net = nm.LinearNetwork((2, 2, 3))
    loss = nm.DistanceLoss(rng.standard_normal(6), weights="generic", seed=seed)
    theta = rng.standard_normal(net.n_params)
    G = rng.standard_normal((2, 2)) + 3 * np.eye(2)
    W1, W2 = theta[:4].reshape(2, 2), theta[4:].reshape(3, 2)
    moved = np.concatenate([(G @ W1).ravel(), (W2 @ np.linalg.inv(G)).ravel()])
    assert np.isclose(loss.value(net, theta), loss.value(net, moved), rtol=1e-10)
    e = 1e-6 * rng.standard_normal(net.n_params)
    fd = (loss.value(net, theta + e) - loss.value(net, theta - e)) / 2
    assert np.isclose(fd, loss.gradient(net, theta) @ e, rtol=1e-5, atol=1e-12)


def test_squared_error_is_the_sum_of_squared_residuals() -> None:
    rng = np.random.default_rng(2)
    net = nm.PolynomialNetwork((2, 3, 2), activation=2)
    X, Y = rng.standard_normal((2, 15)), rng.standard_normal((2, 15))
    theta = rng.standard_normal(net.n_params)
    direct = ((net.evaluate(theta, X) - Y) ** 2).sum()
    assert np.isclose(nm.SquaredError(X, Y).value(net, theta), direct)


def test_bad_input_raises_clear_errors() -> None:
    net = nm.LinearNetwork((3, 1, 3))
    with pytest.raises(ValueError, match="method"):
        nm.critical_points(net, nm.DistanceLoss(np.ones(9)), method="newton")
    with pytest.raises(ValueError, match="target has 4 entries"):
        nm.critical_points(net, nm.DistanceLoss(np.ones(4)))
    with pytest.raises(ValueError, match="weights must be"):
        nm.DistanceLoss(np.ones(9), weights="random")
    with pytest.raises(ValueError, match="positive"):
        nm.DistanceLoss(np.ones(9), weights=-np.ones(9))
    with pytest.raises(ValueError, match="NaN"):
        nm.DistanceLoss(np.full(9, np.nan))
    with pytest.raises(ValueError, match="not isolated"):
        nm.critical_points(net, nm.SquaredError(np.ones((3, 2)), np.ones((3, 2))))
    with pytest.raises(ValueError, match="samples"):
        nm.SquaredError(np.ones((3, 2)), np.ones((3, 5)))
    with pytest.raises(TypeError):
        nm.critical_points(net, "distance")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        nm.ed_degree(net, weights=np.ones(3))
    with pytest.raises(ValueError):
        nm.landscape(net, samples=0)


def test_residual_network_minima_are_global_and_lower_ranks_are_spurious() -> None:
    net = nm.ResidualLinearNetwork(2, 2)  # (I + W2)(I + W1): every 2 x 2 matrix
    rng = np.random.default_rng(3)
    loss = nm.SquaredError(rng.standard_normal((2, 8)), rng.standard_normal((2, 8)))
    points = nm.critical_points(net, loss)
    assert points.complete
    for p in points.real:
        assert np.abs(loss.gradient(net, p.theta)).max() < 1e-7
    minima = [p for p in points.real if p.kind == "minimum"]
    assert len(minima) == 1 and minima[0].global_min and minima[0].pure
    # the unconstrained least-squares solution
    Q, b, _ = loss.quadratic(net)
    assert np.allclose(minima[0].mu, np.linalg.solve(Q, b), atol=1e-8)
    for p in points:
        if p.rank is not None and p.rank < 2:
            assert not p.pure and "not critical" in p.reason


@pytest.mark.parametrize("spec", ["conv:2,2", "attention:2,1,1,1", "poly:2,2,1^2", "poly:3,2,1^2", "conv:2,2^2"])
def test_other_architectures_through_the_parametrization(spec: str) -> None:
    net = nm.parse(spec)
    rng = np.random.default_rng(1)
    # data near the real neuromanifold, so that its nearest points are not only on the boundary
    target = net.mu(net.random_params(seed=3)) + 0.3 * rng.standard_normal(net.ambient_dim)
    loss = nm.DistanceLoss(target)
    points = nm.critical_points(net, loss)
    assert len(points.real) >= 1
    assert sum(p.global_min for p in points.real) >= 1
    for p in points.real:
        assert np.abs(loss.gradient(net, p.theta)).max() < 1e-6
        lam = np.linalg.eigvalsh(fd_hessian(net, loss, p.theta))
        assert p.index == int((lam < -1e-5 * max(1, np.abs(lam).max())).sum())
        if p.pure:
            assert net.jacobian_rank(p.theta) == nm.dimension(net).dim or "smooth" in p.reason
    # no real critical point has a smaller loss than the global minimum found
    best = min(p.loss for p in points.real)
    samples = rng.standard_normal((4000, net.n_params))
    assert (loss.value(net, samples) >= best - 1e-9).all()


@pytest.mark.parametrize("spec", ["conv:2,2^2", "conv:3,2"])
def test_kinds_of_convolutions_do_not_depend_on_the_rescaling_of_filters(spec: str) -> None:
    # mu is homogeneous in each filter: scaling the first by l and the second by l^(-d1/d2)
    # keeps it, and the Hessian changes by a congruence
    from neuromanifold._blocks import multilinear_form
    from neuromanifold.critical import _kind

    net = nm.parse(spec)
    form = multilinear_form(net)
    d = form.degrees or (1, 1)
    loss = nm.DistanceLoss(np.random.default_rng(1).standard_normal(net.ambient_dim))
    points = nm.critical_points(net, loss, seed=0)
    dim = nm.dimension(net).dim
    assert points.complete and points.real
    for p in points.real:
        for scale in (1e-2, 1e2):
            theta = p.theta.copy()
            theta[form.labels == 0] *= scale
            theta[form.labels == 1] /= scale ** (d[0] / d[1])
            assert np.allclose(net.mu(theta), net.mu(p.theta))
            assert _kind(net, loss, theta, net.jacobian_rank(theta), dim, False, 0)[0] == p.kind


@pytest.mark.parametrize("spec", ["poly:2,2,1^3", "poly:1,2,1^4+bias", "poly:2,3,2^2"])
def test_dense_neuromanifolds_have_ed_degree_one_and_one_critical_image(spec: str) -> None:
    # M dense in the ambient space: the distance's only critical point is u itself (real
    # exactly when u has a real preimage), whatever the fiber; monodromy agrees
    from neuromanifold.ed import _by_monodromy

    net = nm.parse(spec)
    A = net.ambient_dim
    assert nm.dimension(net).exact_rank == A
    assert nm.ed_degree(net) == nm.ed_degree(net, weights="generic") == 1 == _by_monodromy(net, np.ones(A), 0, 10)
    rng = np.random.default_rng(5)
    for seed in range(3):
        u = rng.standard_normal(A)
        loss = nm.DistanceLoss(u)
        auto = nm.critical_points(net, loss, seed=seed)
        by_monodromy = nm.critical_points(net, loss, seed=seed, method="monodromy")
        assert auto.complete and "dense" in auto.method
        assert len(auto.points) == len(by_monodromy.points) == 1
        np.testing.assert_allclose(auto.points[0].mu, u, atol=1e-8)
        assert auto.points[0].real == by_monodromy.points[0].real == net.contains(u)


@given(log_scale=st.floats(-3.0, 3.0), seed=st.integers(0, 2**32 - 1))
def test_balancing_picks_one_point_per_orbit_with_a_dead_neuron_or_a_zero_filter(log_scale: float, seed: int) -> None:
    # the kind is read off the Hessian at the balanced point: it must not depend on where in the
    # orbit theta was, also where equal norms are only reached in the limit (a zero block)
    from neuromanifold._blocks import multilinear_form
    from neuromanifold.critical import _balanced

    rng = np.random.default_rng(seed)
    scale = 10.0**log_scale
    mlp = nm.parse("poly:2,2,1^2")  # W1 (2 x 2) row-major, then W2 (1 x 2)
    theta = rng.standard_normal(mlp.n_params)
    theta[0:2] = 0.0  # the first neuron's incoming weights
    moved = theta.copy()
    moved[4] *= scale  # its outgoing weight, with the incoming ones (zero) scaled by scale^(-1/2)
    np.testing.assert_allclose(_balanced(mlp, moved), _balanced(mlp, theta), rtol=1e-9, atol=1e-12)
    conv = nm.parse("conv:3,2")
    form = multilinear_form(conv)
    d = form.degrees or (1, 1)
    theta = rng.standard_normal(conv.n_params)
    theta[form.labels == 0] = 0.0
    moved = theta.copy()
    moved[form.labels == 1] /= scale ** (d[0] / d[1])
    np.testing.assert_allclose(_balanced(conv, moved), _balanced(conv, theta), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(conv.mu(_balanced(conv, theta)), conv.mu(theta), atol=1e-12)


@given(spec=st.sampled_from(["poly:2,3,1^4", "poly:1,2,1^4+bias", "poly:2,2,2,1^3", "poly:3,2,2^2+bias"]), seed=st.integers(0, 2**32 - 1))
def test_real_points_moved_by_complex_rescalings_are_found(spec: str, seed: int) -> None:
    # neurons rescaled by complex factors (incoming times l, outgoing times l^-k) keep mu: a
    # complex parameter vector of a real function that is such a point gives back a real one
    from neuromanifold.critical import _neurons, _real_point_of_orbit

    net = nm.parse(spec)
    k = int(np.flatnonzero(np.asarray(net.activation))[0])
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal(net.n_params)
    moved = theta.astype(np.complex128)
    for incoming, outgoing in _neurons(net):
        lam = np.exp(1j * rng.uniform(0, 2 * np.pi)) * rng.uniform(0.5, 2.0)
        moved[incoming] *= lam
        moved[outgoing] /= lam**k
    np.testing.assert_allclose(net.mu(moved), net.mu(theta), atol=1e-9 * (1 + np.abs(net.mu(theta)).max()))
    real = _real_point_of_orbit(net, moved)
    assert real is not None and real.dtype == np.float64
    np.testing.assert_allclose(net.mu(real), net.mu(theta), atol=1e-8 * (1 + np.abs(net.mu(theta)).max()))
    # a genuinely complex point (non-real function) is not moved to a real one
    assert _real_point_of_orbit(net, theta + 0.3j * rng.standard_normal(net.n_params)) is None


def test_auto_tracks_every_total_degree_path_of_small_systems() -> None:
    # the total-degree homotopy finds every isolated critical point, also off the main component
    # that monodromy follows: here a point with the first filter zero (a strict saddle)
    net = nm.parse("conv:2,2^2")
    rng = np.random.default_rng(1)
    target = net.mu(net.random_params(seed=3)) + 0.3 * rng.standard_normal(net.ambient_dim)
    loss = nm.DistanceLoss(target)
    auto = nm.critical_points(net, loss)
    by_monodromy = nm.critical_points(net, loss, method="monodromy")
    assert auto.method.startswith("total degree")  # (with monodromy too where a run lost paths)
    for p in by_monodromy.real:
        assert any(abs(p.loss - q.loss) <= 1e-8 * (1 + abs(p.loss)) for q in auto.real)
    extra = [q for q in auto.real if all(abs(p.loss - q.loss) > 1e-8 * (1 + abs(q.loss)) for p in by_monodromy.real)]
    assert extra and all(np.abs(q.theta[:2]).max() < 1e-8 for q in extra)
    for q in extra:
        lam = np.linalg.eigvalsh(fd_hessian(net, loss, q.theta))
        assert q.kind == "strict_saddle" and q.index == int((lam < -1e-5 * np.abs(lam).max()).sum()) == 1


def test_restarts_are_tracked_once_and_shared_by_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    # a target with a lost path is retried from other generic parameters; the solutions there
    # are tracked once per system and kept (the same whatever the targets and their order)
    import dataclasses

    import neuromanifold.critical as critical

    F = nm.System(["x*y - a", "x + y - b"], ["x", "y"], ["a", "b"])
    generic = nm.monodromy_solve(F, seed=1)
    assert len(generic) == 2
    targets = np.array([[2.0, 3.0], [6.0, 5.0], [-4.0, 0.0]], dtype=complex)
    moves, original = [], critical.track

    def track(system, starts, p0, p, **kw):  # type: ignore[no-untyped-def]
        out = original(system, starts, p0, p, **kw)
        if np.ndim(p) == 1:
            moves.append(p)  # generic solutions moved to a restart's parameters
        elif np.allclose(p0, generic.parameters):
            # the first attempt loses a path of every target
            out = [dataclasses.replace(r, status=np.array(["failed"] + list(r.status[1:]))) for r in out]
        return out

    monkeypatch.setattr(critical, "track", track)
    restarts = critical.Restarts(7)
    results, complete = critical._to_targets(F, generic, targets, seed=3, restarts=restarts)
    assert all(complete) and len(moves) == 1
    for (a, b), r in zip(targets.real, results):
        x, y = r.endpoints.T  # the roots of z^2 - b z + a, both
        assert np.allclose(sorted((x + y).real), [b, b]) and np.allclose(x * y, a)
    again, _ = critical._to_targets(F, generic, targets[::-1], seed=4, restarts=restarts)
    assert len(moves) == 1  # kept
    assert np.array_equal(restarts.moved(F, generic, 0)[0], critical.Restarts(7).moved(F, generic, 0)[0])
    assert len(moves) == 2  # a fresh set of restarts tracks again, to the same parameters


@settings(max_examples=10, deadline=None)
@given(spec=st.sampled_from(["poly:2,2,1^2", "poly:3,3,2^3", "poly:2,2,2,1^2+bias", "poly:1,2,2,1^3+bias", "conv:3,2", "poly:2,2,1^(0,0,1,1)"]), seed=st.integers(0, 2**32 - 1))
def test_balancing_many_rows_at_once_is_balancing_each(spec: str, seed: int) -> None:
    # the Voronoi searches balance all their ends at once: each row as alone, with dead
    # neurons (zero incoming or outgoing weights, or both) among them
    from neuromanifold.critical import _balanced, balanced_rows

    net = nm.parse(spec)
    rng = np.random.default_rng(seed)
    thetas = rng.standard_normal((12, net.n_params)) * np.exp(rng.uniform(-3, 3, (12, 1)))
    thetas[rng.random(thetas.shape) < 0.15] = 0.0
    thetas[0] = 0.0
    np.testing.assert_allclose(balanced_rows(net, thetas), np.array([_balanced(net, t) for t in thetas]), rtol=1e-12, atol=1e-300)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), points=st.integers(1, 60), coordinates=st.integers(1, 7), repeats=st.integers(0, 90))
def test_distinct_points_are_the_first_of_each_cluster_as_by_all_pairs(seed: int, points: int, coordinates: int, repeats: int) -> None:
    # the sorted projection compares only near neighbours: the same points kept as when every
    # pair is compared (point i repeats a kept j < i when max |x_i - x_j| <= 1e-6 (1 + max |x_i|)),
    # with points of very different sizes and repeats just inside and outside the tolerance
    from neuromanifold.critical import _distinct

    rng = np.random.default_rng(seed)
    base = (rng.standard_normal((points, coordinates)) + 1j * rng.standard_normal((points, coordinates))) * 10 ** rng.uniform(-3, 5, size=(points, 1))
    which = rng.integers(0, points, size=repeats)
    noise = 10 ** rng.uniform(-9, -5.5, size=(repeats, 1)) * rng.standard_normal((repeats, coordinates))
    X = np.vstack([base, base[which] * (1 + noise)])[rng.permutation(points + repeats)]
    scale = 1 + np.abs(X).max(axis=1)
    close = np.abs(X[:, None, :] - X[None, :, :]).max(axis=2) <= 1e-6 * scale[:, None]
    keep: list[int] = []
    for i in range(len(X)):
        if not close[i, keep].any():
            keep.append(i)
    assert _distinct(X) == keep
