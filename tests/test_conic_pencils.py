"""Pencils of conics with four real base points. One hidden layer with z^2 on quadratic forms in
three variables: the outputs are in the span of the neurons' squares exactly when the conics
orthogonal to them hold the pencil through the neurons' points. Four outputs of four neurons
(three with biases and three neurons) are decided by that pencil's base points: checked against
the homotopy membership and on outputs built from chosen real or conjugate points. Three
outputs of four neurons fill the space: checked by building the parameters."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from test_ternary_cubics import built_and_filling, conics_through, decides_as_the_homotopy_membership
from test_voronoi_pencils import coefficients

import neuromanifold as nm
from neuromanifold._conic_pencils import OrthogonalPencil, conic_basis, net_preimage, orthogonal_pencil, real_base_points


def general_points(count: int, conjugate_pairs: int, with_constant: bool, rng: np.random.Generator) -> np.ndarray:
    """count points (rows, complex) with the last 2 * conjugate_pairs in conjugate pairs and, with
    the constant's point e = (0, 0, 1) among them, no three of the points with e nearly on a line."""
    while True:
        P = rng.standard_normal((count, 3)).astype(complex)
        for j in range(conjugate_pairs):
            k = count - 2 * j - 2
            P[k] = P[k] + 1j * rng.standard_normal(3)
            P[k + 1] = P[k].conj()
        Z = np.vstack([P, np.eye(3)[2]]) if with_constant else P
        Z = Z / np.linalg.norm(Z, axis=1, keepdims=True)
        triples = [(a, b, c) for a in range(len(Z)) for b in range(a + 1, len(Z)) for c in range(b + 1, len(Z))]
        if min(abs(np.linalg.det(Z[list(t)])) for t in triples) > 0.1:
            return P


def outputs_from_points(P: np.ndarray, outputs: int, rng: np.random.Generator) -> np.ndarray:
    """Real quadratic forms (outputs, 3, 3) sum_i a_oi p_i p_i^T with conjugate coefficients on
    conjugate points."""
    a = rng.standard_normal((outputs, len(P))).astype(complex)
    for i in range(len(P)):
        j = int(np.argmin(np.abs(P - P[i].conj()).sum(axis=1)))
        if j > i:
            a[:, i] += 1j * rng.standard_normal(outputs)
            a[:, j] = a[:, i].conj()
    return np.einsum("oi,ij,ik->ojk", a, P, P).real


@pytest.mark.parametrize("spec", ["poly:3,4,4^2", "poly:2,3,3^2+bias"])
def test_the_orthogonal_pencil_decides_as_the_homotopy_membership(spec: str) -> None:
    net = nm.parse(spec)
    decides_as_the_homotopy_membership(net, OrthogonalPencil(net), orthogonal_pencil, 300)


@given(pairs=st.integers(0, 2), scale=st.floats(1e-2, 1e2), seed=st.integers(0, 2**32 - 1))
def test_four_outputs_built_from_chosen_points(pairs: int, scale: float, seed: int) -> None:
    # in M exactly when the four points are real (the decomposition is unique)
    net = nm.parse("poly:3,4,4^2")
    rng = np.random.default_rng(seed)
    Q = scale * outputs_from_points(general_points(4, pairs, False, rng), 4, rng)
    u = coefficients(net, Q[None])[0]
    assert OrthogonalPencil(net).decide(u[None])[0] == int(pairs > 0)
    assert net.contains(u) is (pairs == 0)


@given(pair=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_three_outputs_with_biases_built_from_chosen_points(pair: bool, seed: int) -> None:
    # quadratic forms in (x, 1): three neurons' squares and the output biases' E = e e^T
    net = nm.parse("poly:2,3,3^2+bias")
    rng = np.random.default_rng(seed)
    Q = outputs_from_points(general_points(3, int(pair), True, rng), 3, rng)
    Q[:, 2, 2] += rng.standard_normal(3)  # the output biases
    # data in general position: the outputs and E span four dimensions clearly (else the
    # orthogonal conics are a net, not a pencil, and the decision is rightly left open)
    forms = np.vstack([(Q / np.linalg.norm(Q, axis=(1, 2), keepdims=True)).reshape(3, 9), np.eye(9)[8]])
    sv = np.linalg.svd(forms, compute_uv=False)
    assume(sv[-1] > 1e-3 * sv[0])
    u = coefficients(net, Q[None])[0]
    assert OrthogonalPencil(net).decide(u[None])[0] == int(pair)
    assert net.contains(u) is (not pair)


@given(seed=st.integers(0, 2**32 - 1))
def test_the_signatures_decide_the_base_points(seed: int) -> None:
    # the pencil given by four conditions (its orthogonal complement in the conic coordinates)
    rng = np.random.default_rng(seed)
    basis = conic_basis()
    for pairs, expected in ((0, 0), (1, 1), (2, 1)):
        pencil = np.einsum("aij,qij->aq", conics_through(list(general_points(4, pairs, False, rng))), basis)
        conditions = np.linalg.svd(pencil)[2][2:]
        assert real_base_points(conditions[None], through_real_point=False)[0] == expected


@pytest.mark.parametrize("h", [4, 5])
@given(scale=st.floats(1e-2, 1e2), seed=st.integers(0, 2**32 - 1))
def test_three_outputs_of_four_neurons_reach_every_triple(h: int, scale: float, seed: int) -> None:
    # the net of conics orthogonal to three outputs holds a pencil with four real base points
    net = nm.PolynomialNetwork((3, h, 3), 2)
    u = scale * np.random.default_rng(seed).standard_normal(net.ambient_dim)
    built_and_filling(net, u, net_preimage(net, u))


def test_dependent_outputs_and_the_zero_function_are_in_m() -> None:
    net = nm.parse("poly:3,4,3^2")
    u = np.random.default_rng(0).standard_normal(net.ambient_dim)
    u[6:12] = 2.0 * u[:6]  # two proportional outputs
    assert net.contains(u) and net.contains(np.zeros(net.ambient_dim))
    assert nm.parse("poly:3,4,4^2").contains(np.zeros(24))


def test_three_outputs_of_four_neurons_are_certified() -> None:
    est = nm.voronoi_mc(nm.parse("poly:3,4,3^2"), "boundary", 100, progress=False)
    assert est.p == 0 and est.method == "certificate"
