"""Pencils of conics with four real base points: where real decompositions into squares or cubes
of three-variable forms live.

Four points in general position in the plane are the base points of one pencil of conics, and
its three singular members are the line pairs through them. All four are real exactly when the
three singular members are real pairs of real lines (indefinite, of rank 2): two real points and
a conjugate pair leave one real singular member, two conjugate pairs leave three, two of them
pairs of conjugate lines (semidefinite). With one base point known to be real, three real
singular members suffice. The singular members are the roots of the binary cubic
det(cos(phi) A + sin(phi) B), read off its discriminant.

Almost every real net of conics holds a pencil with four real base points. In the plane P(N)
of the net the singular conics form a cubic curve D, smooth for almost all nets. A semidefinite
conic of rank 2 has definite neighbours (unless its real point is a base point of the net, a
null set), so the semidefinite points of D bound the convex set of definite conics: they fill
the oval of D when it has one, and the other branch J is made of real line pairs. The tangent
at a real flex p (every real smooth cubic has three) meets D at p only, three times, so it
misses the oval and p lies on J. A line through p turned slightly to one side meets D in three
real points near p, on J: a pencil whose three singular members are real line pairs, with four
real base points (``real_base_point_sets`` follows this).

One hidden layer with z^2 on quadratic forms in three variables (three inputs, or two with
biases: forms in (x, 1)): outputs Q_o = sum_i a_oi w_i w_i^T (+ beta_o E with biases, E the
constant's square) span a space N inside the span of the neurons' squares (and E). Its
orthogonal complement, in the trace pairing, holds the conics through the points w_i (and the
constant's point e): four neurons and four outputs, (3, 4, 4), or three neurons, three outputs and
biases, (2, 3, 3), leave one pencil, N's complement (through e), and u is in M exactly when it has
four real base points (``OrthogonalPencil``; M fills its space with finite fibers, so data
outside M have their nearest point on the edge). With three outputs, (3, 4, 3), the complement
is a net, which holds pencils with four real base points (above): M fills the space
(``net_preimage`` builds the parameters).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import permutations
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.linalg

from ._voronoi_membership import decided_membership
from ._quadratic_forms import quadratic_forms, quadratic_shape
from .architectures import PolynomialNetwork

REAL = 1e-8  # relative imaginary part of a real flex or a real singular member
ANGLES = np.concatenate([-np.geomspace(1.0, 1e-9, 37), np.geomspace(1e-9, 1.0, 37)])  # turns of the flex tangent
# The discriminant of a pencil's binary cubic, relative to its coefficients to the fourth, is
# clearly not 0 beyond DISCRIMINANT / (the conditions' singular value ratio): rounding in the
# pencil grows as that ratio falls. It vanishes quadratically in the gap of two roots, so a band
# of 1e-13 leaves a few samples in 10^6 undecided.
DISCRIMINANT = 1e-13
PENCIL = 1e-6  # smallest over largest singular value of the conditions on the pencil
INDEFINITE = 1e-6  # relative size of the smaller eigenvalue of a clearly indefinite line pair


def conic_basis() -> npt.NDArray[np.float64]:
    """Six symmetric 3 x 3 matrices, orthonormal in the Frobenius product."""
    basis = []
    for i in range(3):
        for j in range(i, 3):
            B = np.zeros((3, 3))
            B[i, j] = B[j, i] = 1.0 if i == j else np.sqrt(0.5)
            basis.append(B)
    return np.array(basis)


def real_base_points(conditions: npt.NDArray[np.float64], through_real_point: bool) -> npt.NDArray[np.int8]:
    """Per sample, the pencil of conics Q = sum_q c_q basis_q with conditions @ c = 0 (conditions
    (B, 4, 6), in ``conic_basis`` coordinates): 0 when its four base points are real, 1 when not,
    -1 when undecided (no clear pencil, or nearly repeated base points). ``through_real_point``:
    one base point is known to be real."""
    basis = conic_basis()
    _, sv, Vt = np.linalg.svd(conditions)
    ratio = sv[:, 3] / np.maximum(sv[:, 0], 1e-300)
    A, B = (np.einsum("bq,qij->bij", Vt[:, r], basis) for r in (4, 5))
    # the binary cubic det(cos(phi) A + sin(phi) B) from its values at four angles
    phis = np.arange(4) * np.pi / 4
    c, s = np.cos(phis), np.sin(phis)
    values = np.linalg.det(c[None, :, None, None] * A[:, None] + s[None, :, None, None] * B[:, None])
    a3, a2, a1, a0 = (values @ np.linalg.inv(np.stack([c**3, c**2 * s, c * s**2, s**3], axis=1)).T).T
    discriminant = a2 * a2 * a1 * a1 - 4 * a3 * a1**3 - 4 * a2**3 * a0 - 27 * a3 * a3 * a0 * a0 + 18 * a3 * a2 * a1 * a0
    relative = discriminant / np.maximum((a3 * a3 + a2 * a2 + a1 * a1 + a0 * a0) ** 2, 1e-300)
    band = DISCRIMINANT / np.maximum(ratio, PENCIL)
    out = np.where(relative > band, 0, np.where(relative < -band, 1, -1)).astype(np.int8)
    if not through_real_point:
        # three real singular members: four real base points, or two conjugate pairs (two
        # semidefinite members); the signs of the members' eigenvalues tell
        three = np.flatnonzero(out == 0)
        if len(three):
            companion = np.zeros((len(three), 3, 3))
            lead = np.where(np.abs(a3[three]) > 0, a3[three], 1e-300)
            companion[:, 0, :] = -np.stack([a2[three], a1[three], a0[three]], axis=1) / lead[:, None]
            companion[:, [1, 2], [0, 1]] = 1.0
            t = np.linalg.eigvals(companion).real  # cot(phi) of the singular members t A + B
            members = t[:, :, None, None] * A[three, None] + B[three, None]
            lam = np.linalg.eigvalsh(members)
            size = np.abs(lam).max(axis=2)
            indefinite = (lam[:, :, 0] < -INDEFINITE * size) & (lam[:, :, 2] > INDEFINITE * size)
            semidefinite = (lam[:, :, 0] > -INDEFINITE * size) | (lam[:, :, 2] < INDEFINITE * size)
            verdict = np.where(indefinite.all(axis=1), 0, np.where(semidefinite.any(axis=1), 1, -1))
            out[three] = verdict
    return np.where(ratio > PENCIL, out, -1).astype(np.int8)


def discriminant_cubic(N: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The symmetric tensor D of the cubic det(sum_a s_a N_a) = D(s, s, s), fitted exactly on
    points of the sphere (a cubic is determined by its values at ten points in general position)."""
    rng = np.random.default_rng(0)
    S = rng.normal(size=(30, 3))
    values = np.linalg.det(np.einsum("ps,sij->pij", S, N))
    monomials = [(i, j, k) for i in range(3) for j in range(i, 3) for k in range(j, 3)]
    V = np.array([[s[i] * s[j] * s[k] for i, j, k in monomials] for s in S])
    c = np.linalg.lstsq(V, values, rcond=None)[0]
    D = np.zeros((3, 3, 3))
    for value, index in zip(c, monomials):
        orbit = set(permutations(index))
        for p in orbit:
            D[p] = value / len(orbit)
    return D


def _cubic_in_y(C: npt.NDArray[np.float64]) -> list[list[float]]:
    """A cubic C(s, s, s) at s = (x, y, 1) as coefficients a_j(x) of y^j (lists, lowest power of x first)."""
    out = [[0.0] * (4 - j) for j in range(4)]
    for i in range(3):
        for j in range(3):
            for k in range(3):
                index = (i, j, k)
                out[index.count(1)][index.count(0)] += C[i, j, k]
    return out


def real_flexes(D: npt.NDArray[np.float64]) -> list[npt.NDArray[np.float64]]:
    """The real inflection points (unit vectors) of the plane cubic D(s, s, s) = 0: its common
    points with the Hessian curve det(D(s, ., .)) = 0, by the resultant in y as a polynomial
    eigenvalue problem in x in random orthogonal charts (a flex near one chart's line at infinity
    is found in another), refined by Newton."""
    out: list[npt.NDArray[np.float64]] = []
    for chart in range(1, 4):
        for p in _flexes_in_chart(D, np.linalg.qr(np.random.default_rng(chart).normal(size=(3, 3)))[0]):
            if not any(min(np.linalg.norm(p - q), np.linalg.norm(p + q)) < 1e-6 for q in out):
                out.append(p)
        if len(out) >= 3:  # a smooth real cubic has three real flexes
            break
    return out


def _flexes_in_chart(D: npt.NDArray[np.float64], R: npt.NDArray[np.float64]) -> list[npt.NDArray[np.float64]]:
    """The real flexes found in the chart s = R (x, y, 1)."""
    Dc = np.einsum("abc,ai,bj,ck->ijk", D, R, R, R)  # D in the chart s = R t

    def values(t: npt.NDArray[np.float64]) -> tuple[float, float]:
        return float(np.einsum("ijk,i,j,k->", Dc, t, t, t)), float(np.linalg.det(np.einsum("ijk,i->jk", Dc, t)))

    # the Hessian curve's tensor: fitted like D from its values
    rng = np.random.default_rng(2)
    S = rng.normal(size=(30, 3))
    monomials = [(i, j, k) for i in range(3) for j in range(i, 3) for k in range(j, 3)]
    V = np.array([[s[i] * s[j] * s[k] for i, j, k in monomials] for s in S])
    c = np.linalg.lstsq(V, np.array([values(s)[1] for s in S]), rcond=None)[0]
    H = np.zeros((3, 3, 3))
    for value, index in zip(c, monomials):
        orbit = set(permutations(index))
        for p in orbit:
            H[p] = value / len(orbit)
    a, b = _cubic_in_y(Dc), _cubic_in_y(H)
    # Sylvester's matrix of a and b in y, rows y^2 a, y a, a, y^2 b, y b, b on (y^5, ..., 1)
    S3 = np.zeros((4, 6, 6))
    for row, (poly, shift) in enumerate([(a, 0), (a, 1), (a, 2), (b, 0), (b, 1), (b, 2)]):
        for j in range(4):
            for power, coefficient in enumerate(poly[j]):
                S3[power, row, shift + 3 - j] += coefficient
    n = 6
    A = np.zeros((3 * n, 3 * n))
    Bm = np.eye(3 * n)
    A[:n, n : 2 * n] = np.eye(n)
    A[n : 2 * n, 2 * n :] = np.eye(n)
    A[2 * n :, :n], A[2 * n :, n : 2 * n], A[2 * n :, 2 * n :] = -S3[0], -S3[1], -S3[2]
    Bm[2 * n :, 2 * n :] = S3[3]
    xs, Z = scipy.linalg.eig(A, Bm)
    scale = np.abs(Dc).max()
    out: list[npt.NDArray[np.float64]] = []
    for x, z in zip(xs, Z.T):
        if not np.isfinite(x) or abs(x.imag) > REAL * max(1.0, abs(x)) ** 2 + 1e-6:
            continue
        v = z[:n]
        if abs(v[5]) < 1e-12 * np.abs(v).max():
            continue
        y = v[4] / v[5]
        if abs(y.imag) > 1e-4 * max(1.0, abs(y)):
            continue
        t = np.array([x.real, y.real, 1.0])
        for _ in range(30):  # Newton on (D, Hessian) in the chart's plane t_3 = 1
            F = np.array(values(t))
            J = np.zeros((2, 2))
            for col in range(2):
                dt = np.zeros(3)
                dt[col] = 1e-7 * max(1.0, abs(t[col]))
                J[:, col] = (np.array(values(t + dt)) - np.array(values(t - dt))) / (2 * dt[col])
            try:
                step = np.linalg.solve(J, F)
            except np.linalg.LinAlgError:
                break
            t[:2] -= step
            if np.abs(step).max() <= 1e-14 * max(1.0, np.abs(t).max()):
                break
        p = R @ t / np.linalg.norm(t)
        if abs(np.einsum("ijk,i,j,k->", D, p, p, p)) <= 1e-9 * scale:
            out.append(p)
    return out


def base_points(N: npt.NDArray[np.float64], D: npt.NDArray[np.float64], normal: npt.NDArray[np.float64]) -> npt.NDArray[np.float64] | None:
    """The four base points (rows) of the pencil of conics sum_a s_a N_a over the line
    normal . s = 0 when its three singular members are real pairs of real lines, else None."""
    s1, s2 = np.linalg.svd(normal[None, :])[2][1:]
    # the binary cubic D(t1 s1 + t2 s2, ...) in t = t1 / t2
    c = [np.einsum("ijk,i,j,k->", D, *([s1] * (3 - r) + [s2] * r)) * (1, 3, 3, 1)[r] for r in range(4)]
    roots = np.roots(c)
    if len(roots) != 3 or np.any(np.abs(roots.imag) > REAL * np.maximum(1.0, np.abs(roots))):
        return None
    members = [np.einsum("s,sij->ij", r.real * s1 + s2, N) for r in roots]
    lines = []
    for C in members:
        lam, V = np.linalg.eigh(C)
        if not lam[0] < 0 < lam[2] or abs(lam[1]) > 1e-6 * max(-lam[0], lam[2]):
            return None  # not a real pair of real lines
        lines.append((np.sqrt(lam[2]) * V[:, 2], np.sqrt(-lam[0]) * V[:, 0]))
    # the base points: the first pair's lines cut by the second pair's (four real points)
    (p, q), (r, s) = lines[0], lines[1]
    points = [np.cross(a, b) for a in (p + q, p - q) for b in (r + s, r - s)]
    return np.array([x / np.linalg.norm(x) for x in points])


def real_base_point_sets(N: npt.NDArray[np.float64]) -> Iterator[npt.NDArray[np.float64]]:
    """Four real points (rows) that are the base points of a pencil in the net of conics
    sum_a s_a N_a: lines through each real flex of the net's discriminant cubic D, turned off
    the tangent by the angles ANGLES (the module's docstring says why some of them are)."""
    D = discriminant_cubic(N)
    for p in real_flexes(D):
        n = np.einsum("ijk,i,j->k", D, p, p)
        n /= np.linalg.norm(n)
        m = np.cross(p, n)  # turning the tangent about p
        for angle in ANGLES:
            A = base_points(N, D, np.cos(angle) * n + np.sin(angle) * m)
            if A is not None:
                yield A


def orthogonal_pencil_available(net: object, dim: int) -> str | None:
    """Why the pencil orthogonal to the outputs does not decide the edge of ``net``, or None."""
    if quadratic_shape(net) not in ((3, 4, 4, False), (2, 3, 3, True)):
        return "the pencil orthogonal to the outputs decides the edge of (3, 4, 4) with z^2, or (2, 3, 3) with biases, only"
    return None


class OrthogonalPencil:
    """Is u outside M for (3, 4, 4) with z^2, or (2, 3, 3) with z^2 and biases (the module's
    docstring)? 1: yes (its nearest point is on the edge), 0: no, -1: undecided."""

    def __init__(self, net: PolynomialNetwork) -> None:
        self.net = net
        self.basis = conic_basis()

    def decide(self, U: npt.NDArray[np.float64], salt: int = 0) -> npt.NDArray[np.int8]:
        Q = quadratic_forms(self.net, np.asarray(U, dtype=np.float64))  # (B, m, 3, 3)
        Q = Q / np.maximum(np.linalg.norm(Q, axis=(2, 3), keepdims=True), 1e-300)
        conditions = np.einsum("bmij,qij->bmq", Q, self.basis)  # trace pairings with the basis
        if self.net.bias:
            E = np.zeros((3, 3))
            E[2, 2] = 1.0  # the constant's square (the last variable is the constant 1)
            row = np.einsum("ij,qij->q", E, self.basis)
            conditions = np.concatenate([conditions, np.broadcast_to(row, (len(U), 1, 6))], axis=1)
        return real_base_points(conditions, through_real_point=self.net.bias)


def orthogonal_pencil(net: Any, seed: int, cache: dict[str, Any]) -> OrthogonalPencil:
    if "orthogonal_pencil" not in cache:
        cache["orthogonal_pencil"] = OrthogonalPencil(net)
    return cache["orthogonal_pencil"]


def net_preimage(net: PolynomialNetwork, f: npt.NDArray[np.float64]) -> npt.NDArray[np.float64] | None:
    """Real parameters of (3, h, 3) with z^2 and h >= 4 (no biases) with mu = f: four real
    points spanning the outputs by their squares, the base points of a pencil in the net
    orthogonal to the outputs (the module's docstring); None if none is found clearly."""
    shape = quadratic_shape(net)
    if shape is None or shape[0] != 3 or shape[2] != 3 or shape[3] or shape[1] < 4:
        return None
    basis = conic_basis()
    Q = np.einsum("mij,qij->mq", quadratic_forms(net, np.asarray(f, dtype=np.float64)[None, :])[0], basis)
    N = np.einsum("nq,qij->nij", np.linalg.svd(Q)[2][3:], basis)  # a net orthogonal to the outputs (dependent ones too)
    best: tuple[float, npt.NDArray[np.float64], npt.NDArray[np.float64]] | None = None
    for A in real_base_point_sets(N):
        squares = np.einsum("ni,nj,qij->nq", A, A, basis)  # (4, 6)
        coefficients = np.linalg.lstsq(squares.T, Q.T, rcond=None)[0]  # (4, 3)
        residual = float(np.abs(squares.T @ coefficients - Q.T).max() / np.abs(Q).max())
        if best is None or residual < best[0]:
            best = (residual, A, coefficients)
        if best[0] <= 1e-13:
            break
    if best is None or best[0] > 1e-9:
        return None
    _, A, coefficients = best
    h = net.widths[1]
    theta = np.zeros(net.n_params)
    theta[: 4 * 3] = A.ravel()
    W2 = theta[3 * h : 3 * h + 3 * h].reshape(3, h)
    W2[:, :4] = coefficients.T / float(np.asarray(net.activation)[2])
    return theta


def conic_membership(net: PolynomialNetwork, f: npt.NDArray[np.float64], tol: float) -> bool | None:
    """Is f in M? For (3, 4, 4) with z^2, and (2, 3, 3) with z^2 and biases, by the real base
    points of the pencil orthogonal to the outputs (ValueError when too close to tell); for
    (3, h >= 4, 3) by building a preimage; else None."""
    if orthogonal_pencil_available(net, 0) is None:
        return decided_membership(OrthogonalPencil(net), net, f, "outputs whose orthogonal pencil has a repeated base point")
    shape = quadratic_shape(net)
    if shape is None or shape[0] != 3 or shape[2] != 3 or shape[3] or shape[1] < 4:
        return None
    if not np.any(f):
        return True  # the zero function: all output weights 0
    theta = net_preimage(net, f)
    if theta is not None and np.linalg.norm(net.mu(theta) - f) <= 1e3 * tol * max(np.linalg.norm(f), 1.0):
        return True
    return None
