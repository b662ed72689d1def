"""Ternary cubics are sums of four real cubes: one hidden layer with z^3 and one output on three
inputs (two with biases) fills its space with four neurons. Checked by building the four cubes
as in the proof (exact fits of random cubics at every scale, under real changes of variables),
by the facts the proof rests on (base points and singular members of pencils, the flex tangent),
and by the Voronoi estimator's certificate. With three neurons and biases, membership by the
pencil through the constant's point: checked against the homotopy membership and on cubics
built from chosen base points."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import neuromanifold as nm
from neuromanifold._conic_pencils import discriminant_cubic, real_flexes
from neuromanifold._ternary_cubics import ConstantPencil, apolar_net, constant_pencil, cubes, cubic_tensor, four_cubes, ternary_cubic_preimage
from neuromanifold._voronoi_membership import Membership
from neuromanifold._voronoi_networks import NetworkJob, _exact_edge

NETWORKS = ["poly:3,4,1^3", "poly:2,4,1^3+bias", "poly:3,6,1^3", "poly:2,5,1^3+bias"]


def from_tensor(net: nm.PolynomialNetwork, T: np.ndarray) -> np.ndarray:
    """The coefficient vector of sum T_ijk x_i x_j x_k (x = (x, 1) with biases)."""
    E = np.asarray(net.monomials)
    if net.bias:
        E = np.column_stack([E, 3 - E.sum(axis=1)])
    # sum over ordered index triples: each monomial x^e collects multinomial(e) equal entries
    out = np.zeros(len(E))
    for i in range(3):
        for j in range(3):
            for k in range(3):
                e = np.bincount([i, j, k], minlength=3)
                out[np.flatnonzero((E == e).all(axis=1))[0]] += T[i, j, k]
    return out


def built_and_filling(net: nm.PolynomialNetwork, f: np.ndarray, theta: np.ndarray | None) -> None:
    """theta (built for f) is a real preimage of f, contains(f) agrees, and the core says M fills."""
    assert theta is not None
    np.testing.assert_allclose(net.mu(theta), f, atol=1e-9 * np.abs(f).max())
    assert net.contains(f)
    assert nm.dimension(net).filling is True


@pytest.mark.parametrize("spec", NETWORKS)
@given(scale=st.floats(1e-3, 1e3), seed=st.integers(0, 2**32 - 1))
def test_four_real_cubes_reach_every_ternary_cubic(spec: str, scale: float, seed: int) -> None:
    net = nm.parse(spec)
    f = scale * np.random.default_rng(seed).standard_normal(net.ambient_dim)
    built_and_filling(net, f, ternary_cubic_preimage(net, f))


@given(seed=st.integers(0, 2**32 - 1))
def test_four_cubes_under_real_changes_of_variables(seed: int) -> None:
    # f(P x) is as much a sum of four cubes as f: the construction finds both
    rng = np.random.default_rng(seed)
    net = nm.parse("poly:3,4,1^3")
    T = cubic_tensor(net, rng.standard_normal(10))
    P = rng.standard_normal((3, 3))
    assume(np.linalg.cond(P) < 1e3)  # nearly singular P makes f(P x) nearly a cone, where None is the answer
    for S in (T, np.einsum("abc,ai,bj,ck->ijk", T, P, P, P)):
        f = from_tensor(net, S)
        A, c = four_cubes(net, f)
        np.testing.assert_allclose(cubes(net, A) @ c, f, atol=1e-9 * np.abs(f).max())


def test_cubics_of_low_real_rank_and_cones() -> None:
    net = nm.parse("poly:3,4,1^3")
    E = [tuple(e) for e in np.asarray(net.monomials)]

    def cubic(terms: dict[tuple[int, int, int], float]) -> np.ndarray:
        return np.array([terms.get(e, 0.0) for e in E])

    fermat = cubic({(3, 0, 0): 1.0, (0, 3, 0): 1.0, (0, 0, 3): 1.0})  # three cubes
    xyz = cubic({(1, 1, 1): 1.0})  # four: 24 xyz = (x+y+z)^3 - (x+y-z)^3 - (x-y+z)^3 + (-x+y+z)^3
    line_times_circle = cubic({(3, 0, 0): 1.0, (1, 2, 0): 1.0, (1, 0, 2): 1.0})
    for f in (fermat, xyz, line_times_circle):
        theta = ternary_cubic_preimage(net, f)
        assert theta is not None
        np.testing.assert_allclose(net.mu(theta), f, atol=1e-9)
    # cones: cubics in two linear forms are binary cubics, of real rank <= 3
    for f in (cubic({(2, 1, 0): 1.0}), cubic({(3, 0, 0): 1.0}), cubic({(2, 1, 0): 1.0, (0, 3, 0): -2.0}), np.zeros(10)):
        assert apolar_net(cubic_tensor(net, f)) is None
        assert net.contains(f)


def conics_through(points: list[np.ndarray]) -> np.ndarray:
    """Two real symmetric matrices spanning the conics through four points, closed under
    conjugation (a complex point gives the conditions of its real and imaginary parts)."""
    rows = []
    for p in points:
        row = np.array([p[i] * p[j] * (1 if i == j else 2) for i in range(3) for j in range(i, 3)])
        rows += [row.real, row.imag] if np.iscomplexobj(p) and np.abs(p.imag).max() > 0 else [row.real]
    kernel = np.linalg.svd(np.array(rows))[2][-2:]
    out = []
    for q in kernel:
        Q = np.zeros((3, 3))
        for value, (i, j) in zip(q, [(i, j) for i in range(3) for j in range(i, 3)]):
            Q[i, j] = Q[j, i] = value
        out.append(Q)
    return np.array(out)


def singular_member_signatures(A: np.ndarray, B: np.ndarray) -> list[str]:
    """'indefinite' or 'semidefinite' for each real singular member A + t B (real roots t of det)."""
    ts = np.linspace(-1.0, 1.0, 4)
    roots = np.roots(np.polyfit(ts, [np.linalg.det(A + t * B) for t in ts], 3))
    out = []
    for t in roots[np.abs(roots.imag) < 1e-9]:
        lam = np.linalg.eigvalsh(A + t.real * B)
        big = np.abs(lam).max()
        nonzero = lam[np.abs(lam) > 1e-8 * big]
        out.append("indefinite" if nonzero.min() < 0 < nonzero.max() else "semidefinite")
    return sorted(out)


@given(seed=st.integers(0, 2**32 - 1))
def test_real_base_points_and_the_signatures_of_singular_members(seed: int) -> None:
    # the proof's criterion: four real base points exactly when the three singular members are
    # real pairs of real lines; a conjugate pair of base points leaves one real singular member;
    # two conjugate pairs leave three, two of them semidefinite (pairs of conjugate lines)
    rng = np.random.default_rng(seed)

    def conjugate_pair() -> list[np.ndarray]:
        p = rng.standard_normal(3) + 1j * rng.standard_normal(3)
        return [p, p.conj()]

    real = [rng.standard_normal(3) for _ in range(4)]
    cases = {
        "four real": (real, ["indefinite"] * 3),
        "two real": (real[:2] + conjugate_pair(), ["indefinite"]),
        "none real": (conjugate_pair() + conjugate_pair(), ["indefinite", "semidefinite", "semidefinite"]),
    }
    for points, expected in cases.values():
        A, B = conics_through(points)
        assert singular_member_signatures(A, B) == expected


@given(seed=st.integers(0, 2**32 - 1))
def test_flex_tangents_meet_the_discriminant_at_the_flex_only(seed: int) -> None:
    net = nm.parse("poly:3,4,1^3")
    f = np.random.default_rng(seed).standard_normal(10)
    N = apolar_net(cubic_tensor(net, f))
    # the net annihilates f: sum_ij Q_ij T_ijk = 0
    np.testing.assert_allclose(np.einsum("nij,ijk->nk", N, cubic_tensor(net, f)), 0.0, atol=1e-12 * np.abs(f).max())
    D = discriminant_cubic(N)
    s = np.random.default_rng(seed + 1).standard_normal(3)
    np.testing.assert_allclose(np.einsum("ijk,i,j,k->", D, s, s, s), np.linalg.det(np.einsum("s,sij->ij", s, N)), rtol=1e-9, atol=1e-14)
    flexes = real_flexes(D)
    assert flexes  # a real smooth cubic has three real flexes
    for p in flexes:
        n = np.einsum("ijk,i,j->k", D, p, p)
        u = np.cross(p, n)
        u /= np.linalg.norm(u)
        # along the tangent p + t u the cubic is c t^3: its value, slope and curvature vanish at p
        values = [np.einsum("ijk,i,j,k->", D, *([p + t * u] * 3)) for t in (-1.0, -0.5, 0.5, 1.0)]
        c = np.polyfit([-1.0, -0.5, 0.5, 1.0], values, 3)
        assert np.abs(c[1:]).max() <= 1e-6 * np.abs(c[0])


def test_the_boundary_of_ternary_cubics_is_certified_null() -> None:
    # M is the whole space: every sample is its own nearest point, and no sampling is needed
    net = nm.parse("poly:3,4,1^3")
    result = nm.voronoi_mc(net, "boundary", 100, seed=0, progress=False)
    assert result.hits == 0 and result.n_failed == 0
    assert "whole space" in str(result)


def test_three_neurons_are_not_decided_by_four_cubes() -> None:
    net = nm.parse("poly:3,3,1^3")
    assert ternary_cubic_preimage(net, np.ones(10)) is None
    with pytest.raises(NotImplementedError):
        net.contains(np.ones(10))


def decides_as_the_homotopy_membership(net: nm.PolynomialNetwork, decider: object, chosen: object, n: int) -> None:
    """``decider`` is the exact edge "auto" chooses for ``net`` (which does not fill), and on n
    samples its decisions are the homotopy membership's, all decided, both kinds occurring."""
    assert _exact_edge(net, net.ambient_dim, "auto") is chosen
    assert nm.dimension(net).filling is False
    U = NetworkJob.create(net, "boundary", nm.Gaussian(), 3, n, "auto", n).samples(0)
    by_closed_form = decider.decide(U)  # type: ignore[attr-defined]
    by_homotopy = Membership(net, 3).decide(U, 0)
    assert (by_closed_form >= 0).all() and (by_homotopy >= 0).all()
    assert np.array_equal(by_closed_form, by_homotopy)
    assert 0 < by_closed_form.sum() < len(U)  # both kinds occur


def test_the_pencil_through_the_constant_decides_as_the_homotopy_membership() -> None:
    net = nm.parse("poly:2,3,1^3+bias")
    decides_as_the_homotopy_membership(net, ConstantPencil(net), constant_pencil, 400)


@given(conjugate=st.booleans(), beta=st.floats(-3.0, 3.0), scale=st.floats(1e-2, 1e2), seed=st.integers(0, 2**32 - 1))
def test_cubics_built_from_base_points_through_the_constant(conjugate: bool, beta: float, scale: float, seed: int) -> None:
    # f = sum c_i (p_i . (x, 1))^3 + beta 1: in M exactly when the three points p_i are real
    # (a conjugate pair with conjugate coefficients gives a real cubic outside M)
    net = nm.parse("poly:2,3,1^3+bias")
    rng = np.random.default_rng(seed)
    while True:  # base points in general position: no three of them (with e) nearly on a line
        P = rng.standard_normal((3, 3)).astype(complex)
        c = rng.standard_normal(3).astype(complex)
        if conjugate:
            P[2], c[2] = P[1] + 1j * rng.standard_normal(3), c[1] + 1j * rng.standard_normal()
            P[1], c[1] = P[2].conj(), c[2].conj()
        Z = np.vstack([P, np.eye(3)[2]])
        Z /= np.linalg.norm(Z, axis=1, keepdims=True)
        if min(abs(np.linalg.det(Z[list(t)])) for t in ((0, 1, 2), (0, 1, 3), (0, 2, 3), (1, 2, 3))) > 0.1:
            break
    f = scale * (cubes(net, P) @ c).real + beta * scale * cubes(net, np.eye(3)[2:])[:, 0]
    decision = ConstantPencil(net).decide(f[None])[0]
    assert decision == int(conjugate)
    assert net.contains(f) is (not conjugate)


def test_points_of_m_through_the_constant_are_inside() -> None:
    net = nm.parse("poly:2,3,1^3+bias")
    inside = net.mu(np.random.default_rng(0).standard_normal((300, net.n_params)))
    assert (ConstantPencil(net).decide(inside) == 0).all()
    assert net.contains(np.zeros(net.ambient_dim))
