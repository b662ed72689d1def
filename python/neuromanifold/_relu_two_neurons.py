"""Exact nearest points of two ReLU neurons with several outputs whose pre-activations fill a
plane (one input with biases, or at most two without): M = {c 1^T + a_1 u_1^T + a_2 u_2^T},
each u_i in the neuron's cone, whose faces are rays and 2-dimensional cones.

The nearest point lies on a union of at most two faces, one per neuron, with u_1, u_2 in their
relative interiors and independent (dependent u's give the same point with one neuron fewer,
the a's being free). There the best a's and c are least squares, capturing E = tr(Y~ P_U Y~^T)
of the centred data Y~ (U = [u~_1, u~_2], centred), so the point is a critical point of E:

- one face: an eigenvector of the face's captured energy (as for one neuron);
- two rays: the projection onto their span;
- a ray and a cone: an eigenvector after projecting the data and the cone off the ray;
- two cones: with u_i = (1 - z_i) g_i + (1 + z_i) h_i, z_i in (-1, 1), E = Nu / D with D =
  det U^T U and Nu of bidegree (2, 2), and its critical points solve d_i Nu D - Nu d_i D = 0, of
  bidegrees (2, 4) and (4, 2) (the top terms cancel). Their resultant in z_1 (a 6 x 6 Sylvester
  determinant) has degree at most 20 in z_2: its values at 32 points of the unit circle give its
  coefficients, its roots near (-1, 1) the candidates for z_2, the quadratic in z_1 those for
  z_1, and Newton steps on the pair refine them. Every candidate inside the box is a point of M,
  so it bounds the distance from above: generous tolerances cost nothing, and only a missed
  critical point could, which the resultant (exact up to rounding) rules out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CIRCLE = 32  # points of the unit circle at which the resultant (degree <= 20) is interpolated
RESULTANT_DEGREE = 20
NEAR_REAL = 0.05  # candidate roots with |Im| below this (and |Re| < 1 + NEAR_REAL) are refined
NEWTON_STEPS = 12
INDEPENDENT = 1e-10  # det U^T U / (|u_1|^2 |u_2|^2) below this: dependent u's (fewer neurons)


@dataclass
class TwoNeuronFaces:
    """The unions of at most two faces of a neuron's cone (face indices of ``ReluCells``) and
    the limits of two neurons merging at a ray, each with its plan: its cones' generators and
    its free rays (rows, centred with the output biases)."""

    points: int
    outputs: int
    bias: bool
    unions: list[tuple[int, ...]]
    plans: list[tuple[list[np.ndarray], np.ndarray]]
    limits: list[bool]  # the union is a limit of two merging neurons (in the closure of M only)

    def nearest(self, U: np.ndarray, counts: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """As ``_core.FaceUnions.nearest``: the least squared distance over the unions of at most
        counts[t] faces (B, T); for counts[0] the nearest union, the runner-up (-1: none) and its
        distance."""
        values = self.values(U)
        sizes = np.array([len(u) for u in self.unions])
        best = np.column_stack([np.where(sizes[None, :] <= c, values, np.inf).min(axis=1, initial=np.inf) for c in counts])
        allowed = np.where(sizes[None, :] <= counts[0], values, np.inf)
        order = np.argsort(allowed, axis=1, kind="stable")[:, :2]
        rows = np.arange(len(U))
        first = np.where(np.isfinite(allowed[rows, order[:, 0]]), order[:, 0], -1)
        second = order[:, 1] if allowed.shape[1] > 1 else np.full(len(U), -1)
        runner_value = allowed[rows, second] if allowed.shape[1] > 1 else np.full(len(U), np.inf)
        runner = np.where(np.isfinite(runner_value), second, -1)
        return best, first.astype(np.int64), runner.astype(np.int64), runner_value

    def values(self, U: np.ndarray) -> np.ndarray:
        """Squared distance (B, unions) from each row of U (B, m K) to the points of each union
        (inf where none is feasible)."""
        Y = U.reshape(len(U), self.outputs, self.points)
        if self.bias:
            Y = Y - Y.mean(axis=2, keepdims=True)
        out = np.full((len(U), len(self.unions)), np.inf)
        for c, (cones, rays) in enumerate(self.plans):
            if len(cones) == 2:
                out[:, c] = _two_cones(Y, cones[0], cones[1])
            elif cones:
                out[:, c] = _cone_beside(Y, cones[0], rays)
            else:
                out[:, c] = _span_residual(Y, rays)
        return out


def merging_limit(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Two neurons merging at a ray r shared by two 2-dimensional faces A = (r, g_A) and B =
    (r, g_B) (generator rows): one from each side, with opposite output weights growing as
    their difference shrinks, tend to c r^T + a v^T with v in R r + cone(g_A, -g_B) (the
    one-sided derivatives). That limit set is a cone beside a free ray: (cone, ray), or None
    when A and B share no ray."""
    for i in range(2):
        for j in range(2):
            if np.allclose(A[i], B[j], rtol=0, atol=1e-12):
                return np.array([A[1 - i], -B[1 - j]]), A[i][None, :]
    return None


def nearest_coefficients(Y: np.ndarray, gens: list[np.ndarray]) -> list[np.ndarray]:
    """For one data point Y (m, K), centred as the generators are, and a union of at most two
    faces (their generator rows): each face's generator coefficients (one sign, here >= 0) of a
    nearest point of the union, for witness parameters."""
    Y = Y[None]
    cones = [i for i, g in enumerate(gens) if len(g) > 1]
    coefficients = [np.ones(1) for _ in gens]
    if len(cones) == 2:
        _, z = _two_cones(Y, gens[0], gens[1], keep=True)
        for i, zi in zip(cones, z[0]):
            coefficients[i] = np.array([1.0 - zi, 1.0 + zi])
    elif cones:
        rays = np.array([g[0] for g in gens if len(g) == 1]).reshape(-1, Y.shape[2])
        _, t = _cone_beside(Y, gens[cones[0]], rays, keep=True)
        coefficients[cones[0]] = t[0]
    return coefficients


def _orthonormal(rows: np.ndarray) -> np.ndarray | None:
    """An orthonormal basis (columns) of the span of independent rows, or None."""
    if not len(rows):
        return np.zeros((rows.shape[1] if rows.ndim == 2 else 0, 0))
    q, r = np.linalg.qr(rows.T)
    d = np.abs(np.diag(r))
    return q if d.min() > 1e-10 * max(d.max(), 1e-300) else None


def _span_residual(Y: np.ndarray, rays: np.ndarray) -> np.ndarray:
    """|Y - Y P|^2 with P the projection onto the span of independent rays (rows)."""
    Q = _orthonormal(rays)
    if Q is None:
        return np.full(len(Y), np.inf)
    R = Y - (Y @ Q) @ Q.T
    return (R**2).sum(axis=(1, 2))


def _cone_beside(Y: np.ndarray, G: np.ndarray, rays: np.ndarray, keep: bool = False):  # type: ignore[no-untyped-def]
    """The least squared distance from each Y (B, m, K) to a u^T + sum_j b_j r_j^T with u in
    the cone of G's rows (k, K), the rays r_j free: project off the rays, then the best
    eigenvector of the captured energy whose generator coefficients have one sign. With
    ``keep``, also those coefficients (B, k)."""
    F = _orthonormal(rays)
    B, k = len(Y), len(G)
    if F is None:
        return (np.full(B, np.inf), np.zeros((B, k))) if keep else np.full(B, np.inf)
    Yr = Y - (Y @ F) @ F.T
    Gr = G - (G @ F) @ F.T
    Q, R = np.linalg.qr(Gr.T)
    d = np.abs(np.diag(R))
    if d.min() <= 1e-10 * max(d.max(), 1e-300):
        return (np.full(B, np.inf), np.zeros((B, k))) if keep else np.full(B, np.inf)
    Z = Yr @ Q  # (B, m, k)
    _, S = np.linalg.eigh(np.swapaxes(Z, 1, 2) @ Z)  # eigenvectors (B, k, k), columns
    T = np.linalg.solve(R, S)  # generator coefficients of each eigenvector
    feasible = ~((T > 0).any(axis=1) & (T < 0).any(axis=1))  # (B, k): one sign
    values = np.empty((B, k))
    for e in range(k):
        s = S[:, :, e]  # (B, k)
        a = np.einsum("bmk,bk->bm", Z, s)
        v = s @ Q.T  # (B, K)
        values[:, e] = ((Yr - a[:, :, None] * v[:, None, :]) ** 2).sum(axis=(1, 2))
    values = np.where(feasible, values, np.inf)
    pick = values.argmin(axis=1)
    best = values[np.arange(B), pick]
    if keep:
        return best, np.abs(T[np.arange(B), :, pick])
    return best


def _quadratic_forms(A: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For symmetric A (..., 4, 4) in the basis (p_1, q_1, p_2, q_2) with u_i = p_i + z_i q_i:
    the coefficient arrays [z_1^i z_2^j] of u_1.A.u_1 (3, 1), u_1.A.u_2 (2, 2), u_2.A.u_2 (1, 3)."""
    q11 = np.stack([A[..., 0, 0], 2 * A[..., 0, 1], A[..., 1, 1]], axis=-1)[..., :, None]
    q12 = np.stack([np.stack([A[..., 0, 2], A[..., 0, 3]], -1), np.stack([A[..., 1, 2], A[..., 1, 3]], -1)], -2)
    q22 = np.stack([A[..., 2, 2], 2 * A[..., 2, 3], A[..., 3, 3]], axis=-1)[..., None, :]
    return q11, q12, q22


def _mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Product of bivariate coefficient arrays (..., n1, n2) and (..., p1, p2)."""
    n1, n2 = a.shape[-2:]
    p1, p2 = b.shape[-2:]
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (n1 + p1 - 1, n2 + p2 - 1)
    out = np.zeros(shape)
    for i in range(p1):
        for j in range(p2):
            out[..., i : i + n1, j : j + n2] += a * b[..., i, j][..., None, None]
    return out


def _d(a: np.ndarray, axis: int) -> np.ndarray:
    """Derivative of a bivariate coefficient array in z_1 (axis 0) or z_2 (axis 1)."""
    n = a.shape[-2 + axis]
    k = np.arange(1, n).reshape((-1, 1) if axis == 0 else (1, -1))
    return (a[..., 1:, :] if axis == 0 else a[..., :, 1:]) * k


def _pad(a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    out = np.zeros(a.shape[:-2] + shape)
    out[..., : a.shape[-2], : a.shape[-1]] = a
    return out


def _critical_equations(P: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The critical equations of E = Nu / D for data forms P (B, 4, 4) and the Gram matrix W
    (4, 4): eq_1 (B, 3, 5) and eq_2 (B, 5, 3) as coefficient arrays (the cancelled tops cut)."""
    w11, w12, w22 = _quadratic_forms(W)
    p11, p12, p22 = _quadratic_forms(P)
    D = _mul(w11, w22) - _mul(w12, w12)  # (3, 3)
    Nu = _mul(p11, w22) + _mul(p22, w11) - 2 * _mul(p12, w12)  # (B, 3, 3)
    eqs = []
    for axis in (0, 1):
        e = _mul(_pad(_d(Nu, axis), (3, 3)), D) - _mul(Nu, _pad(_d(D, axis), (3, 3)))  # (B, 5, 5)
        eqs.append(e[..., :3, :] if axis == 0 else e[..., :, :3])
    return eqs[0], eqs[1]


def _two_cones(Y: np.ndarray, G1: np.ndarray, G2: np.ndarray, keep: bool = False):  # type: ignore[no-untyped-def]
    """The least squared distance from each Y (B, m, K) to a_1 u_1^T + a_2 u_2^T with u_i in
    the open cones of G_i's two rows (generators) and independent: the best critical point of E
    (module docstring); inf where there is none. With ``keep``, also its (z_1, z_2) (B, 2)."""
    B = len(Y)
    H = np.array([G1[0] + G1[1], G1[1] - G1[0], G2[0] + G2[1], G2[1] - G2[0]])  # (p_1, q_1, p_2, q_2)
    W = H @ H.T
    Z = Y @ H.T  # (B, m, 4)
    P = np.swapaxes(Z, 1, 2) @ Z
    scale = np.abs(P).max(axis=(1, 2), keepdims=True)
    scale = np.where(scale > 0, scale, 1.0)
    eq1, eq2 = _critical_equations(P / scale, W / np.abs(W).max())
    # the resultant in z_1 at z_2 = w on the unit circle: f = eq1 (z_1-degree 2), g = eq2 (4)
    w = np.exp(2j * np.pi * np.arange(CIRCLE) / CIRCLE)
    powers = w[:, None] ** np.arange(5)[None, :]  # (N, 5)
    f = np.einsum("bij,nj->bni", eq1, powers[:, :5])  # (B, N, 3): coefficients in z_1
    g = np.einsum("bij,nj->bni", eq2, powers[:, :3])  # (B, N, 5)
    S = np.zeros((B, CIRCLE, 6, 6), dtype=complex)
    for r in range(4):  # rows of f, highest power first
        S[:, :, r, r : r + 3] = f[:, :, ::-1]
    for r in range(2):
        S[:, :, 4 + r, r : r + 5] = g[:, :, ::-1]
    values = np.linalg.det(S)  # (B, N)
    coefficients = np.fft.fft(values, axis=1) / CIRCLE  # c_j of w^j
    best = np.full(B, np.inf)
    where = np.full((B, 2), np.nan)
    for b in range(B):
        c = coefficients[b, : RESULTANT_DEGREE + 1]
        for z2 in _roots_near_the_box(c):
            q = np.polynomial.polynomial.polyval(z2, eq1[b].T)  # coefficients in z_1 at z_2
            for z1 in _roots_near_the_box(q.astype(complex)):
                z = _newton(eq1[b], eq2[b], np.array([z1, z2]))
                if z is None:
                    continue
                value = _pair_residual(Y[b], G1, G2, z)
                if value < best[b]:
                    best[b], where[b] = value, z
    return (best, where) if keep else best


def _roots_near_the_box(c: np.ndarray) -> list[float]:
    """Real parts of the roots of sum c_j w^j within NEAR_REAL of the real interval (-1, 1)."""
    c = np.asarray(c)
    top = np.abs(c).max(initial=0.0)
    if top == 0:
        return []
    nonzero = np.flatnonzero(np.abs(c) > 1e-13 * top)
    c = c[: nonzero[-1] + 1]
    if len(c) < 2:
        return []
    r = np.roots(c[::-1])
    keep = (np.abs(r.imag) < NEAR_REAL) & (np.abs(r.real) < 1 + NEAR_REAL)
    return [float(x) for x in r.real[keep]]


def _newton(eq1: np.ndarray, eq2: np.ndarray, z: np.ndarray) -> np.ndarray | None:
    """Newton steps on (eq_1, eq_2) = 0 from z; the end if it lies in the open box."""
    pv = np.polynomial.polynomial.polyval2d
    d1 = [_d(e, 0) for e in (eq1, eq2)]
    d2 = [_d(e, 1) for e in (eq1, eq2)]
    for _ in range(NEWTON_STEPS):
        F = np.array([pv(z[0], z[1], eq1), pv(z[0], z[1], eq2)])
        J = np.array([[pv(z[0], z[1], d1[0]), pv(z[0], z[1], d2[0])], [pv(z[0], z[1], d1[1]), pv(z[0], z[1], d2[1])]])
        try:
            step = np.linalg.solve(J, F)
        except np.linalg.LinAlgError:
            break
        z = z - np.clip(step, -0.5, 0.5)
        if np.abs(step).max() < 1e-15:
            break
    return z if np.abs(z).max() < 1 else None


def _pair_residual(Y: np.ndarray, G1: np.ndarray, G2: np.ndarray, z: np.ndarray) -> float:
    """|Y - Y P_U|^2 at the cones' points u_i = (1 - z_i) g_i + (1 + z_i) h_i (inf if dependent)."""
    u1 = (1 - z[0]) * G1[0] + (1 + z[0]) * G1[1]
    u2 = (1 - z[1]) * G2[0] + (1 + z[1]) * G2[1]
    gram = np.array([[u1 @ u1, u1 @ u2], [u1 @ u2, u2 @ u2]])
    if np.linalg.det(gram) <= INDEPENDENT * gram[0, 0] * gram[1, 1]:
        return np.inf
    U = np.column_stack([u1, u2])
    fit = Y @ U @ np.linalg.solve(gram, U.T)
    return float(((Y - fit) ** 2).sum())
