"""Shifted pencils: the arcs of tangent points along which the tangents' cofactors keep their
number of real roots (on five or more inputs; on three and four where the maximum of their
discriminant lies within its rounding of 0).

For one hidden layer with z^2, biases, two outputs and d0 + 1 neurons (d = d0 + 1 variables
with the constant), data u is in M, up to a null set, exactly when the cofactor G_tau of some
tangent has d - 2 distinct real roots (``_shifted_pencils``). For d <= 5 the sign of G_tau's
discriminant D(tau) tells; for d >= 6 (a quartic or more) it does not, and the number of real
roots has to be counted. It changes with tau only where two roots meet: at the real zeros of D.
Between two consecutive ones it is constant, so the cofactor at each arc's middle shows every
number there is.

The zeros of D cannot be taken from D's samples or coefficients: across P^1 it spans more
decades than double precision holds (its least sampled value relative to the sum of its Fourier
coefficients was 5e-15 for the median Gaussian pencil on five inputs, 4e-23 on six). They are
the eigenvalues of a matrix polynomial instead. A binary form G of degree n has a repeated root
exactly where its partial derivatives G_c and G_s (of degree n - 1) have a common root, that is
where their Sylvester matrix S (2n - 2 square, linear in G's coefficients) is singular: det S =
Res(G_c, G_s) is n^(n-2) times G's discriminant. With the tangent point at tau = (1, x) and the
cofactor in the coordinates (c, s) -> c tau + s (0, 1) (a shear: ``cofactor_coefficients``),
S(x) is a matrix polynomial in x, and the zeros of det S(x) are the eigenvalues of its
companion pencil, found by the QZ algorithm. It is backward stable, loses no zero (as a
homotopy's path can be lost), and on real matrices keeps a simple real eigenvalue real.

At x = infinity the shear degenerates and det S has a zero of high order, whose eigenvalues
scatter in double precision (to |x| of about 20 and beyond on five inputs). So two charts turned
by a right angle each keep the zeros with |x| <= 1 + MARGIN, where those are far. Every
eigenvalue near real there is polished by Newton's method on det S (x <- x - 1 / tr(S^-1 S')).
Its raw value can be off by about the spacing of a cluster of zeros (where the cofactor nearly
vanishes: P and R nearly share a root), and then Newton's method stalls or takes two raw values
to one zero; such a cluster is solved again from S's Taylor polynomial at its middle, where its
zeros are well separated (``_zoomed``). On ten inputs and more some simple zeros are so badly
conditioned (S(x) nearly drops rank by two there) that rounding keeps Newton's steps at 1e-9 to
1e-7; a real iteration that stays within such a ball counts as converged (``_newton``).

Inside where some arc's middle has a cofactor with d - 2 clearly distinct real roots (a witness:
the preimage is built at that tangent); outside where every middle's cofactor clearly has a
non-real root and every near-real eigenvalue was polished to a zero of its own; undecided
otherwise (then tried again in SPARE_TURNS other pairs of charts), and counted.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import scipy.linalg

from ._shifted_pencils import _rotated, _tangents, determinant_forms
from ._voronoi_real_rank import _all_roots_real, _products

MARGIN = 0.05  # a chart keeps the zeros with |x| <= 1 + MARGIN (the two charts overlap)
NEAR_REAL = 1e-2  # eigenvalues this close to real (relatively) are polished
REAL = 1e-10  # a polished zero this close to real (relatively) is real
SAME = 1e-8  # polished zeros this close (in angle) are one (a double zero is polished to about 1e-8)
NEWTON = 12  # Newton steps at most
CONVERGED = 1e-10  # a Newton step this small (relatively): converged
SPARE_TURNS = 2  # more pairs of charts for undecided pencils
ZOOM = 1e-2  # a stalled candidate's cluster: the zeros of the Taylor polynomial within this of it
ZOOM_TERMS = 5  # Taylor coefficients of S there
DUPLICATE = 1e-8  # converged points this close (relatively) reached the same zero
HOVER = 1e-6  # a real point whose last steps all stay below this (relatively) is at its zero
HOVER_STEPS = 3


def _shear_table(degree: int) -> npt.NDArray[np.float64]:
    """T (degree + 1, degree + 1, degree + 1): the coefficient of c^(degree - j) s^j in
    F(c, c x + s) is sum_i f_i sum_e T[j, i, e] x^e, for F = sum_i f_i c^(degree - i) s^i."""
    T = np.zeros((degree + 1,) * 3)
    for i in range(degree + 1):
        for j in range(i + 1):
            T[j, i, i - j] = math.comb(i, j)
    return T


def cofactor_coefficients(P: npt.NDArray[np.float64], R: npt.NDArray[np.float64]) -> list[npt.NDArray[np.float64]]:
    """For binary forms P (batch, d + 1) and R (batch, d): the coefficients G_k(x), k = 2 .. d,
    each (batch, 3d - 3 - k) in x^0, x^1, ..., of the cofactor of the tangent at tau = (1, x), in
    the coordinates (c, s) -> c tau + s (0, 1) (a shear: tau goes to (1, 0) as in
    ``_shifted_pencils._tangents``, and unlike a rotation by the unnormalized tau it degenerates
    at no finite x, also not at x = +-i, where that rotation's matrix is singular; at x =
    infinity it does, hence two charts)."""
    d = P.shape[1] - 1
    Pj = np.einsum("jie,bi->bje", _shear_table(d), P)  # (batch, d + 1, d + 1): P_j of degree d - j
    Rj = np.einsum("jie,bi->bje", _shear_table(d - 1), R)  # (batch, d, d)
    Rj = np.concatenate([Rj, np.zeros((len(P), 1, d))], axis=1)  # R_d = 0
    R0, R1, P0, P1 = Rj[:, 0], Rj[:, 1], Pj[:, 0], Pj[:, 1]
    times = _products  # (of polynomials in x, coefficients of x^0, x^1, ...: the same arithmetic)
    first, second = times(R0, R0), times(P0, R0)
    third = times(P1, R0) - times(P0, R1)
    G = [times(first, Pj[:, k]) - times(second, Rj[:, k]) - times(third, Rj[:, k - 1]) for k in range(2, d + 1)]
    return [g[:, : 3 * d - 3 - k] for g, k in zip(G, range(2, d + 1))]  # (the rest is 0: degree 3d - 4 - k)


def discriminant_matrices(G: list[npt.NDArray[np.float64]]) -> npt.NDArray[np.float64]:
    """For cofactors G = sum_j G_(j+2)(x) c^(n-j) s^j (``cofactor_coefficients``: n = d - 2, each
    G_k (batch, size) in x^0, x^1, ...): the Sylvester matrices S (batch, e + 1, 2n - 2, 2n - 2)
    of G_c and G_s as matrix polynomials in x (coefficients of x^0 .. x^e), rows of G_c first."""
    n, batch = len(G) - 1, len(G[0])
    size = max(g.shape[1] for g in G)
    a = np.zeros((batch, n + 1, size))
    for j, g in enumerate(G):
        a[:, j, : g.shape[1]] = g
    j = np.arange(n)[:, None]
    # the coefficients of c^(n-1-j) s^j: (n - j) a_j in G_c and (j + 1) a_(j+1) in G_s
    derivatives = ((n - j) * a[:, :n]).transpose(0, 2, 1), ((j + 1) * a[:, 1:]).transpose(0, 2, 1)
    m = 2 * n - 2
    S = np.zeros((batch, size, m, m))
    for r in range(n - 1):
        S[:, :, r, r : r + n] = derivatives[0]
        S[:, :, n - 1 + r, r : r + n] = derivatives[1]
    return S


def _turned_cofactors(Q: npt.NDArray[np.float64], turn: float) -> list[npt.NDArray[np.float64]]:
    """The cofactors' coefficients of pencils Q (batch, 2, d, d) turned by ``turn`` (a tangent
    point at angle t there is at t + turn in Q)."""
    Qt = np.swapaxes(_rotated(np.swapaxes(Q, 0, 1), turn).reshape(2, *Q.shape[:1], *Q.shape[2:]), 0, 1)
    P = determinant_forms(Qt[:, 0], Qt[:, 1])
    R = determinant_forms(Qt[:, 0, :-1, :-1], Qt[:, 1, :-1, :-1])
    return cofactor_coefficients(P, R)


def _eigenvalues(S: npt.NDArray[np.float64]) -> npt.NDArray[np.complex128]:
    """The finite eigenvalues of a matrix polynomial S (e + 1, m, m) (the zeros of det S(x) and
    some scattered ones of its zero at infinity), from the companion pencil (A, B): A's first
    block row -[S_(e-1), ..., S_0] above the shifted identity, B = diag(S_e, 1, ..., 1)."""
    e, m = S.shape[0] - 1, S.shape[1]
    N = m * e
    A, B = np.eye(N, k=-m), np.eye(N)
    A[:m] = -S[e - 1 :: -1].transpose(1, 0, 2).reshape(m, N)
    B[:m, :m] = S[e]
    alpha, beta = scipy.linalg.eig(A, B, right=False, homogeneous_eigvals=True)
    finite = np.abs(beta) > 1e-200 * np.abs(alpha)
    return alpha[finite] / beta[finite]


def _traces(value: npt.NDArray[np.complex128], slope: npt.NDArray[np.complex128]) -> npt.NDArray[np.complex128]:
    """tr(V^-1 W) for each pair; infinite where V is singular (a point exactly on a zero)."""
    try:
        return np.trace(np.linalg.solve(value, slope), axis1=1, axis2=2)
    except np.linalg.LinAlgError:
        out = np.full(len(value), np.inf, dtype=complex)
        for i, (v, w) in enumerate(zip(value, slope)):
            try:
                out[i] = np.trace(np.linalg.solve(v, w))
            except np.linalg.LinAlgError:
                pass
        return out


def _newton(S: npt.NDArray[np.float64], x: npt.NDArray[np.complex128]) -> tuple[npt.NDArray[np.complex128], npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """Newton's method on det S(x) from the points x: x <- x - 1 / tr(S(x)^-1 S'(x)). Returns the
    points, whether each converged, and each one's spread: 0 where a step fell below CONVERGED
    (then it stops there: further steps are rounding), and for a real point whose last
    HOVER_STEPS steps all stayed below HOVER (relatively: an ill-conditioned simple zero, where
    rounding keeps the steps from shrinking further; on twelve inputs, where S(x) has a second
    singular value of 1e-8, they stay about 1e-9) the largest of them, which counts as converged
    too; so does a complex point hovering much farther from the real axis than that. A real
    point stays real (S is real), so at worst it marks an arc's end that is not there, which
    only adds a middle; a complex one next to the real axis has to converge."""
    x = np.array(x, dtype=np.complex128)
    e = np.arange(S.shape[0])
    done = np.zeros(len(x), dtype=bool)
    steps = np.full((len(x), HOVER_STEPS), np.inf)
    for _ in range(NEWTON):
        rows = np.flatnonzero(~done)
        if not len(rows):
            break
        y = x[rows]
        value = np.einsum("ce,eij->cij", y[:, None] ** e, S)
        slope = np.einsum("ce,eij->cij", e * y[:, None] ** np.maximum(e - 1, 0), S)
        with np.errstate(all="ignore"):
            trace = _traces(value, slope)
            step = np.where(np.isfinite(trace), 1.0 / trace, 0.0)
        x[rows] = y - step
        relative = np.abs(step) / (1 + np.abs(x[rows]))
        steps[rows] = np.column_stack([steps[rows, 1:], np.where(np.isfinite(trace), relative, np.inf)])
        done[rows] = relative <= CONVERGED
    spread = np.where(done, 0.0, steps.max(axis=1))
    hovering = ~done & (spread <= HOVER) & ((x.imag == 0) | (np.abs(x.imag) > 100 * spread * (1 + np.abs(x))))
    finite = np.isfinite(x)
    return x, (done | hovering) & finite, np.where(hovering, spread, 0.0)


def _taylor(S: npt.NDArray[np.float64], c: float, terms: int) -> npt.NDArray[np.float64]:
    """The first ``terms`` Taylor coefficients of the matrix polynomial S at x = c, S(c + h) =
    sum_j T_j h^j (|c| <= 1 + MARGIN: the binomial sums stay moderate)."""
    e = np.arange(S.shape[0])
    return np.array([np.einsum("e,eij->ij", np.array([math.comb(int(k), j) for k in e]) * c ** np.maximum(e - j, 0) * (e >= j), S) for j in range(terms)])


def _shared(
    z: npt.NDArray[np.complex128], done: npt.NDArray[np.bool_], starts: npt.NDArray[np.complex128] | None = None, spread: npt.NDArray[np.float64] | None = None
) -> npt.NDArray[np.bool_]:
    """Converged points that another converged point reached too (within DUPLICATE, or ten times
    either one's ``spread`` from ``_newton``): each eigenvalue stands for one zero (with
    multiplicity), so a zero reached twice means one missed next to it. With the
    ``starts`` of a zoom (accurate at the cluster's scale, so that the missed zero lies within
    about four times the farthest start's distance) only where that disc meets the real axis:
    elsewhere the missed zero is not real, and no change point."""
    out = np.zeros(len(z), dtype=bool)
    rows = np.flatnonzero(done)
    if len(rows) > 1:
        near = np.maximum(DUPLICATE, 10 * (spread[rows] if spread is not None else np.zeros(len(rows))))
        same = np.abs(z[rows, None] - z[None, rows]) <= np.maximum(near[:, None], near[None, :]) * (1 + np.abs(z[rows, None]))
        for i, group in zip(rows, same):
            if group.sum() > 1:
                out[i] = starts is None or abs(z[i].imag) <= 4 * np.abs(starts[rows[group]] - z[i]).max()
    return out


def _zoomed(S: npt.NDArray[np.float64], z: npt.NDArray[np.complex128], done: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.complex128], npt.NDArray[np.bool_]]:
    """Newton's ends with the stalled ones (a cluster of zeros, where the raw eigenvalues err by
    about their spacing, so that some starts stall or reach the same zero; or a real start next
    to a complex pair, which a real iteration never leaves) replaced by the zeros of S's Taylor
    polynomial at their middle: at that scale they are well separated, and Newton's method
    polishes each. Returns the points and whether each converged to a zero of its own."""
    if done.all():
        return z, done
    points, converged = [z[done]], [done[done]]
    stalled = np.sort(z[~done].real)
    clusters = np.split(stalled, np.flatnonzero(np.diff(stalled) > ZOOM / 2) + 1)  # (one zoom each)
    for c in (float(np.median(cluster)) for cluster in clusters):
        h = _eigenvalues(_taylor(S, c, ZOOM_TERMS))
        starts = (c + h[np.abs(h) <= ZOOM]).astype(complex)
        w, ok, spread = _newton(S, starts)
        points.append(w), converged.append(ok & ~_shared(w, ok, starts, spread))
    return np.concatenate(points), np.concatenate(converged)


def change_points(Q: npt.NDArray[np.float64], turn: float) -> tuple[npt.NDArray[np.float64], bool]:
    """The angles in [0, pi) of the real zeros of D for one pencil Q (2, d, d), from the charts
    turned by ``turn`` and ``turn + pi / 2``; and whether every near-real eigenvalue was polished
    to a zero of its own (the module's docstring)."""
    angles: list[npt.NDArray[np.float64]] = []
    complete = True
    for chart in (turn, turn + np.pi / 2):
        S = discriminant_matrices(_turned_cofactors(Q[None], chart))[0]
        size = np.abs(S).max()
        if not (np.isfinite(size) and size > 0):
            return np.zeros(0), False  # (a degenerate pencil: every cofactor vanishes)
        S = S / size
        try:
            x = _eigenvalues(S)
            near = x[(np.abs(x.real) <= 1 + MARGIN) & (np.abs(x.imag) <= NEAR_REAL * (1 + np.abs(x)))]
            z, done, spread = _newton(S, near)
            z, done = _zoomed(S, z, done & ~_shared(z, done, spread=spread))
        except (np.linalg.LinAlgError, ValueError):  # (QZ did not converge)
            return np.zeros(0), False
        complete &= bool(done.all())
        # a zero not polished stays a boundary where it is (an extra arc only adds a middle)
        real = np.abs(z.imag) <= np.where(done, REAL, NEAR_REAL) * (1 + np.abs(z))
        x_real = z[real].real
        angles.append(np.mod(np.arctan(x_real[np.abs(x_real) <= 1 + MARGIN]) + chart, np.pi))
    a = np.sort(np.concatenate(angles))
    if len(a) > 1:
        keep = np.append(np.diff(a) > SAME, a[-1] - a[0] < np.pi - SAME)  # (the last one is the first one's, across pi)
        a = a[keep]
    return a, complete


def _middles(zeros: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The middles of the arcs between consecutive angles on P^1 (angles mod pi, sorted)."""
    if not len(zeros):
        return np.zeros(1)
    following = np.append(zeros[1:], zeros[0] + np.pi)
    return np.mod((zeros + following) / 2, np.pi)


def _decided(Q: npt.NDArray[np.float64], turns: npt.NDArray[np.float64]) -> tuple[int, float]:
    """One pencil (2, d, d): 0 inside with the angle of a witness tangent, 1 outside, -1
    undecided, trying the pairs of charts of ``turns`` in order."""
    if not np.isfinite(Q).all():
        return -1, 0.0
    for turn in turns:
        zeros, complete = change_points(Q, float(turn))
        middles = _middles(zeros)
        # (the cofactor at tau in the rotated frame, c^(d-2) first as the roots expect)
        real = _all_roots_real(_tangents(Q[None], middles)[2][0])
        if (real == 1).any():
            return 0, float(middles[int(np.argmax(real == 1))])
        if complete and (real == 0).all():
            return 1, 0.0
    return -1, 0.0


def decide(Q: npt.NDArray[np.float64], seed: int = 0) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float64]]:
    """For pencils Q (batch, 2, d, d), d >= 4: 0 inside M, 1 outside, -1 undecided; and inside,
    the angle of a tangent whose cofactor has d - 2 distinct real roots (an arc's middle). The
    charts' turns depend on the seed and d alone, so every pencil is decided the same way in
    every chunk. (One thread: with a pool over the pencils two threads ran at 0.8 times one,
    the small eigenvalue problems leaving most of the time to Python.)"""
    turns = np.random.default_rng([seed, 0xA7C5, Q.shape[-1]]).uniform(0, np.pi / 2, SPARE_TURNS + 1)
    results = [_decided(q, turns) for q in Q]
    return np.array([r[0] for r in results], dtype=np.int8).reshape(len(Q)), np.array([r[1] for r in results], dtype=np.float64).reshape(len(Q))
