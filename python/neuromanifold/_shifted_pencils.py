"""Pencils of quadratic polynomials with d0 + 1 neurons: the output biases shift the constants.

One hidden layer with c z^2, biases and two outputs gives pencils (Q1, Q2) of quadratic forms in
the d = d0 + 1 variables (x, 1) (``_voronoi_pencils``), and the output biases add (g1, g2) E,
with E = e e^T the square of the constant's point e. With h = d neurons whose forms w_j are
independent (the rest is a null set), a shift (Q1 - g1 E, Q2 - g2 E) = sum_j (a_j, b_j) w_j w_j^T
is a pencil diagonalized by one congruence, whose eigenvalues [a_j : b_j] on P^1 are real; and a
pencil with d distinct real eigenvalues is one. By the matrix determinant lemma

    F_L(c, s) = det(c (Q1 - g1 E) + s (Q2 - g2 E)) = P(c, s) - L(c, s) R(c, s),

with P = det(c Q1 + s Q2), R the same for the (d - 1) x (d - 1) blocks of the quadratic parts
(the constant deleted) and L = g1 c + g2 s. So u is in M, up to a null set, exactly when the
open set H of linear forms L with F_L hyperbolic (d distinct real roots) is not empty.

The tangents decide it. The tangent L_tau at a point tau of P^1 with R(tau) != 0 is the one L
with a double root of F_L at tau (F_L(tau) = P(tau) - L(tau) R(tau) and its derivative vanish);
call G_tau = F_L_tau / (tau's linear form)^2 its cofactor, of degree d - 2. No tangent is in H,
so if H is not empty its boundary is not either: an L there has all roots of F_L real and one
repeated, at some tau (where R(tau) != 0 unless P and R share a root, a null set), so L = L_tau
with G_tau having only real roots. Conversely if G_tau has distinct real roots, moving L off
L_tau by delta c R with the sign of delta R(tau) G_tau(tau) splits the double root into two real
ones: H is not empty. So

    u in M  <=>  G_tau has only real roots for some tau   (up to the boundary, a null set).

For d = 2 and 3 (d0 <= 2) G_tau has degree 0 or 1: every tangent serves, and M fills. For d = 4
and 5 (d0 = 3, 4) it is a quadratic or a cubic, with distinct real roots exactly where its
discriminant D(tau) is positive. Cleared of R(tau), D is a trigonometric polynomial in the angle
of tau, so u is outside M exactly when max D < 0: taken over the roots of D' on the unit circle,
from D's Fourier coefficients (where it lies within their rounding of 0, as on more inputs
below). Both have an open set of pencils with D < 0 everywhere (about 4% and 17% of Gaussian
pairs of symmetric matrices): M does not fill, and data there have their
nearest point on the edge (``_voronoi_membership``). Nor on more inputs: the direct sum of such
a pencil on three inputs (with the constant) and any pencil on the others has a non-real
eigenvalue for every shift, and so do small perturbations of it (for large shifts the pair tends
to one of the quadratic parts' pencil, non-real too). There the cofactor has degree 4 or more,
and no single discriminant tells whether its roots are real: the number of real roots is
counted on each arc of tangent points between the discriminant's zeros, the eigenvalues of a
matrix polynomial (``_cofactor_arcs``; up to MAX_INPUTS inputs).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from ._quadratic_forms import polished, quadratic_forms, quadratic_shape, real_congruence, reference_members
from .architectures import PolynomialNetwork

ANGLES = 64  # tangent points sampled on P^1: D is a form of degree <= 2 (3d - 2)(d - 3) in tau, at most 26 harmonics in 2 theta for d <= 5
NEGLIGIBLE = 1e-11  # a harmonic below this share of D's coefficients is rounding
TOL = 1e-8  # max D within this share of D's coefficients of 0: the arcs decide
MAX_INPUTS = 16  # measured up to here: the arcs' eigenvalue problems have (2d - 6)(3d - 6) eigenvalues, 660 on twelve inputs (about 1.8 pencils a second), 1260 on sixteen (about 8 s a pencil)


def _rotations(degree: int, t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """(t.shape, degree + 1, degree + 1): the coefficients (in c^(degree - k) s^k) of the binary
    form P(c cos t - s sin t, c sin t + s cos t) from those of P, at the angles t."""
    t = np.asarray(t, dtype=np.float64)
    m = np.arange(degree + 1)
    binomial = np.array([[math.comb(a, i) for i in m] for a in m], dtype=np.float64)
    # (x0 + x1 s)^a with (x0, x1) = (cos t, -sin t), and (y0 + y1 s)^a with (sin t, cos t): coefficients of s^i
    rest = np.maximum(m[:, None] - m, 0)  # the binomial is 0 where i > a
    X = binomial * np.cos(t)[..., None, None] ** rest * (-np.sin(t))[..., None, None] ** m
    Y = binomial * np.sin(t)[..., None, None] ** rest * np.cos(t)[..., None, None] ** m
    R = np.zeros(t.shape + (degree + 1, degree + 1))
    for k in m:
        for i in range(degree - k + 1):
            R[..., i : i + k + 1, k] += X[..., degree - k, i, None] * Y[..., k, : k + 1]
    return R


def determinant_forms(A: npt.NDArray[np.float64], B: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Coefficients (batch, d + 1) of the binary forms det(c A + s B) in c^(d - k) s^k, for
    symmetric (batch, d, d) A and B, from their values at d + 1 angles."""
    d = A.shape[-1]
    t = np.pi * (np.arange(d + 1) + 0.5) / (d + 1)
    k = np.arange(d + 1)
    V = np.cos(t)[:, None] ** (d - k) * np.sin(t)[:, None] ** k
    values = np.linalg.det(np.cos(t)[None, :, None, None] * A[:, None] + np.sin(t)[None, :, None, None] * B[:, None])
    return np.linalg.solve(V, values.T).T


def _hyperbolicity(g: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """For binary forms of degree <= 3 (coefficients on the last axis): positive where their
    roots are real and distinct (the discriminant; 1 for degree 0 and 1)."""
    if g.shape[-1] <= 2:
        return np.ones(g.shape[:-1])
    if g.shape[-1] == 3:
        return g[..., 1] ** 2 - 4 * g[..., 0] * g[..., 2]
    a, b, c, e = (g[..., i] for i in range(4))
    return b * b * c * c - 4 * a * c**3 - 4 * b**3 * e - 27 * a * a * e * e + 18 * a * b * c * e


def _tangents(Q: npt.NDArray[np.float64], t: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], ...]:
    """For pencils Q (batch, 2, d, d), at the tangent points tau = (cos t, sin t) (angles t of
    shape (n,), or (batch, n) per pencil): the forms P and R rotated so that tau is (1, 0)
    (coefficients (batch, n, d + 1), R padded) and the cofactors' coefficients cleared of
    R(tau)^2 (batch, n, d - 1)."""
    d = Q.shape[-1]
    rows = "tij" if np.ndim(t) == 1 else "btij"
    P = np.einsum(f"{rows},bj->bti", _rotations(d, t), determinant_forms(Q[:, 0], Q[:, 1]))
    R = np.einsum(f"{rows},bj->bti", _rotations(d - 1, t), determinant_forms(Q[:, 0, :-1, :-1], Q[:, 1, :-1, :-1]))
    R = np.concatenate([R, np.zeros(R.shape[:-1] + (1,))], axis=-1)
    # F = P - (g1 c + g2 s) R with F's coefficients of c^d and c^(d-1) s zero: g1 = P0 / R0,
    # g2 = (P1 - g1 R1) / R0; times R0^2 the rest of F (the cofactor) is polynomial
    P0, P1, R0, R1 = P[..., 0], P[..., 1], R[..., 0], R[..., 1]
    k = np.arange(2, d + 1)
    G = R0[..., None] ** 2 * P[..., k] - (P0 * R0)[..., None] * R[..., k] - (P1 * R0 - P0 * R1)[..., None] * R[..., k - 1]
    return P, R, G


def _grid(n: int) -> npt.NDArray[np.float64]:
    """n equally spaced angles of tangent points on P^1 (t and t + pi are the same point)."""
    return np.pi * np.arange(n) / n


def tangent_discriminants(Q: npt.NDArray[np.float64], n: int = ANGLES) -> npt.NDArray[np.float64]:
    """D at the n tangent points t_j = pi j / n of pencils Q (batch, 2, d, d), d <= 5: positive
    where the tangent's cofactor has distinct real roots."""
    return _hyperbolicity(_tangents(Q, _grid(n))[2])


def _unit_discriminants(Q: npt.NDArray[np.float64], t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The sign of D at the angles t, scaled to the cofactors of unit norm: D varies by the
    cofactor's norm to the power 2 (d - 3), which across P^1 spans many decades for some pencils."""
    G = _tangents(Q, t)[2]
    m = G.shape[-1] - 1
    # the Bombieri norm, invariant under rotations of P^1 (the discriminant is too)
    weights = np.array([math.comb(m, k) for k in range(m + 1)], dtype=np.float64)
    norm = np.sqrt((G**2 / weights).sum(axis=-1, keepdims=True))
    return _hyperbolicity(G / np.maximum(norm, 1e-300))


def trigonometric_maximum(values: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """For trigonometric polynomials in phi = 2 t given at t_j = pi j / n (rows of ``values``,
    degree below n / 2): their maxima over all t, the angles t of the maxima and the sums of the
    absolute Fourier coefficients (bounds of |D|). The maxima are taken over the samples and the
    roots of D' (a polynomial in z = e^(i phi) after multiplying by z^K)."""
    n = values.shape[1]
    c = np.fft.rfft(values, axis=1) / n  # D(phi) = sum_{|k| <= K} c_k e^(i k phi), c_-k = conj(c_k)
    scale = np.abs(c[:, 0]) + 2 * np.abs(c[:, 1:]).sum(axis=1)
    significant = np.abs(c) > NEGLIGIBLE * scale[:, None]
    degree = np.where(significant.any(axis=1), significant.shape[1] - 1 - np.argmax(significant[:, ::-1], axis=1), 0)
    best = values.max(axis=1)
    where = np.pi * values.argmax(axis=1) / n
    for K in np.unique(degree[degree > 0]):
        rows = np.flatnonzero(degree == K)
        ck = c[rows, : K + 1]
        k = np.arange(-K, K + 1)
        full = np.concatenate([np.conj(ck[:, :0:-1]), ck], axis=1)  # c_-K .. c_K
        derivative = 1j * k * full  # z^K D'(phi) / i: coefficients of z^0 .. z^2K
        companion = np.zeros((len(rows), 2 * K, 2 * K), dtype=complex)
        companion[:, 0, :] = -derivative[:, -2::-1] / derivative[:, -1:]
        companion[:, np.arange(1, 2 * K), np.arange(2 * K - 1)] = 1.0
        phi = np.angle(np.linalg.eigvals(companion))  # (rows, 2K): critical points, projected to |z| = 1
        D = np.einsum("rk,rjk->rj", full, np.exp(1j * phi[:, :, None] * k)).real
        top = D.argmax(axis=1)
        better = D[np.arange(len(rows)), top] > best[rows]
        best[rows[better]] = D[better, top[better]]
        where[rows[better]] = np.mod(phi[better, top[better]] / 2, np.pi)
    return best, where, scale


def orthonormal_outputs(Q: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Pencils Q (batch, 2, d, d) with the outputs mixed to be orthonormal (trace inner product).
    Mixing the outputs is a change of basis of the pencil and of its shifts (the same membership),
    acting on P^1 by a Moebius map: orthonormal outputs undo the ones that crowd the tangent
    points together, up to rotations, under which the maxima are invariant."""
    gram = np.einsum("baij,bcij->bac", Q, Q)
    w, V = np.linalg.eigh(gram)
    whitening = np.einsum("bij,bj,bkj->bik", V, 1.0 / np.sqrt(np.maximum(w, 1e-300 * w[:, -1:] + 1e-300)), V)
    return np.einsum("bac,bcij->baij", whitening, Q)


def tangent_decisions(Q: npt.NDArray[np.float64], seed: int = 0) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float64]]:
    """For pencils Q (batch, 2, d, d): 0 where the cofactor of some tangent has d - 2 distinct
    real roots (u in M), 1 where none has (outside), -1 undecided; and inside, the angle of
    such a tangent. For d <= 5 from the maximum of D over P^1, exactly from D's Fourier
    coefficients where it stands clear of their rounding; else (the cofactor's norm spanning
    many decades, about one pencil in twenty on four inputs) and for d >= 6 by counting real
    roots on the arcs between D's zeros (``_cofactor_arcs``)."""
    from ._cofactor_arcs import decide

    if Q.shape[-1] >= 6:
        return decide(Q, seed)
    best, where, scale = trigonometric_maximum(tangent_discriminants(Q))
    relative = best / np.maximum(scale, 1e-300)
    out = np.where(relative > 0, 0, 1).astype(np.int8)
    unclear = np.flatnonzero(~(np.abs(relative) > TOL))
    if len(unclear):
        out[unclear], where[unclear] = decide(Q[unclear], seed)
    return out, where


def shifted_pencil_available(net: object, dim: int) -> str | None:
    """Why the tangents' cofactors do not decide the edge of ``net``, or None."""
    shape = quadratic_shape(net)
    if shape is None or not (3 <= shape[0] <= MAX_INPUTS and shape[1:] == (shape[0] + 1, 2, True)):
        return f"the tangents' cofactors decide the edge of one hidden layer with z^2, biases, two outputs and d0 + 1 neurons on 3 to {MAX_INPUTS} inputs only"
    return None


class ShiftedPencil:
    """Is u outside M for (d0, d0 + 1, 2) with z^2 and biases, 3 <= d0 <= MAX_INPUTS (the
    module's docstring)? 1: yes (its nearest point is on the edge), 0: no, -1: undecided."""

    def __init__(self, net: PolynomialNetwork, seed: int = 0) -> None:
        self.net, self.seed = net, seed

    def decide(self, U: npt.NDArray[np.float64], salt: int = 0) -> npt.NDArray[np.int8]:
        out = np.full(len(U), -1, dtype=np.int8)
        if not len(U):
            return out
        return tangent_decisions(orthonormal_outputs(quadratic_forms(self.net, np.asarray(U, dtype=np.float64))), self.seed)[0]


def shifted_pencil(net: Any, seed: int, cache: dict[str, Any]) -> ShiftedPencil:
    if "shifted_pencil" not in cache:
        cache["shifted_pencil"] = ShiftedPencil(net, seed)
    return cache["shifted_pencil"]


def _rotated(pair: npt.NDArray[np.float64], t: float) -> npt.NDArray[np.float64]:
    """(cos t X + sin t Y, -sin t X + cos t Y) of a pair (X, Y) along the first axis."""
    return np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]]) @ pair.reshape(2, -1)


def shifted_terms(C: npt.NDArray[np.float64], B: npt.NDArray[np.float64]) -> tuple[list[Any], tuple[float, float]] | None:
    """d terms ((a, b), w) and the shift (g1, g2) of a pencil (C, B) of d x d forms in (x, 1),
    the constant last: (C - g1 E, B - g2 E) = sum (a, b) w w^T (the module's docstring:
    a tangent with a hyperbolic cofactor, moved to split its double root). None if no tangent
    serves clearly."""
    d = len(C)
    Q = np.stack([C, B])[None]
    size = np.abs(Q).max()
    Q = Q / size
    E = np.zeros((d, d))
    E[-1, -1] = 1.0
    inside, where = tangent_decisions(Q)
    if inside[0] != 0:
        return None
    # the witness tangent and points next to it (on an arc, or where D > 0), then for d <= 5
    # sampled ones with a clearly positive D, largest |R(tau)| first among those with about the
    # same D (for d <= 3 every tangent serves: D is constant)
    candidates = [float(where[0]) + h for h in (0.0, 1e-3, -1e-3, 1e-2, -1e-2)]
    if d <= 5:
        t = _grid(ANGLES)
        D = _unit_discriminants(Q, t)[0]
        R = _tangents(Q, t)[1][0, :, 0]
        order = np.lexsort((-np.abs(R), -np.round(D / np.abs(D).max(), 2)))
        candidates += [float(t[j]) for j in order if D[j] > TOL][:16]
    for angle in candidates:
        Ct, Bt = _rotated(np.stack([C, B]), angle).reshape(2, d, d)
        p, r = determinant_forms(Ct[None], Bt[None])[0], np.append(determinant_forms(Ct[None, :-1, :-1], Bt[None, :-1, :-1])[0], 0.0)
        if abs(r[0]) <= 1e-12 * np.abs(r).max():
            continue
        g1 = p[0] / r[0]
        g2 = (p[1] - g1 * r[1]) / r[0]
        f2 = p[2] - g1 * r[2] - g2 * r[1]  # the cofactor at tau
        if not abs(f2) > 1e-12 * size**d:
            continue
        sign = np.sign(r[0] * f2)
        found: tuple[float, list[Any], tuple[float, float]] | None = None
        for eps in np.logspace(-10, 0, 21):
            shift = np.array([g1 + sign * eps * abs(f2 / r[0]), g2])
            pair = np.stack([Ct - shift[0] * E, Bt - shift[1] * E])
            phi, M, ratio = reference_members(pair[None])
            if ratio[0] <= 1e-10:
                continue
            other = _rotated(pair, float(phi[0]))[1].reshape(d, d)
            W = real_congruence(M[0], other)
            if W is None:
                continue
            D1, D2, rows = W.T @ M[0] @ W, W.T @ other @ W, np.linalg.inv(W)
            # back from (member, other) = rotation by phi, then by t, to (C, B)
            coefficients = _rotated(_rotated(np.stack([np.diag(D1), np.diag(D2)]), -float(phi[0])), -angle)
            terms = [((coefficients[0, j], coefficients[1, j]), rows[j]) for j in range(d)]
            back = _rotated(shift[:, None], -angle)[:, 0]
            rebuilt = sum(np.multiply.outer(np.asarray(c), np.outer(w, w)) for c, w in terms)
            residual = float(np.abs(rebuilt - np.stack([C - back[0] * E, B - back[1] * E])).max())
            if found is None or residual < found[0]:
                found = (residual, terms, (float(back[0]), float(back[1])))
        if found is not None:
            # the best conditioned split, polished once (a small split cancels digits)
            g = found[2]
            residual, terms = polished(found[1], np.stack([C - g[0] * E, B - g[1] * E]))
            if residual <= 1e-9 * size:
                return terms, g
    return None
