"""Local searches through the seam where a neuron merges with the constant.

In one hidden layer with biases, x -> sum_i c_i sigma(w_i . x + b_i) + beta, a neuron whose
weights w_i tend to 0 while c_i grows (c_i |w_i| bounded) tends to its affine part: the constant
c_i sigma(b_i) goes into beta, and c_i (sigma(b_i + w_i . x) - sigma(b_i)) tends to
c_i sigma'(b_i) w_i . x. The real image lies on both sides of these limits (w_i . x changes
sign), and next to them M is smooth, with the quadratic term c_i sigma''(b_i) (w_i . x)^2 / 2
among its tangents. But the parameters diverge there, and the columns of D mu for c_i, b_i
and beta become parallel (all near the constant): a local search in the network's own
parameters crawls towards minima with a small |w_i|, or misses them, and its best point looks
like one heading to the edge (D mu nearly rank-deficient, the rank ratio falling).

In the coordinates (A_i, t_i, v_i, b_i) with c_i = A_i / t_i and w_i = t_i v_i (beta taking the
constants), the neuron minus its constant is

    A_i sum_{j >= 1} sigma^(j)(b_i) / j! t_i^(j - 1) (v_i . x)^j,

polynomial and smooth through t_i = 0: every network with w_i != 0, and the affine limits at
t_i = 0. Searches there reach the minima next to the seam, and the rank of their Jacobian is
that of M's tangent space (columns scaled to unit norm: the coordinates are redundant, and a
large A_i would set columns apart by scale alone). Limits that stay unattained in these
coordinates too, such as two neurons merging, still drop rank there.
"""

from __future__ import annotations

from math import comb

import numpy as np
import numpy.typing as npt

from ._definite_forms import multinomial
from .architectures import Network, PolynomialNetwork
from .critical import _neurons

SEAM_STARTS = 8  # random starts beside the network's own best point
SEAM_ITERATIONS = 60
_DAMPING = 1e-3  # Levenberg-Marquardt: initial lambda (times the diagonal of J^T J)
_STALL = 1e-12  # relative gain of a step below which a search has converged


def seams_available(net: Network) -> bool:
    """One hidden layer with biases (the output bias takes the merged constants)."""
    return isinstance(net, PolynomialNetwork) and net.bias and len(net.widths) == 3


class SeamCoordinates:
    """mu and D mu of a network with one hidden layer and biases in the coordinates
    P = (A (o, h), t (h), v (h, d), b (h), beta (o)), flattened in that order, per row."""

    def __init__(self, net: PolynomialNetwork) -> None:
        if not seams_available(net):
            raise ValueError(f"seam coordinates need one hidden layer with biases, got {net.spec}")
        self.net = net
        self.d, self.h, self.o = net.widths
        self.E = np.asarray(net.monomials, dtype=np.int64)  # (M, d)
        self.order = self.E.sum(axis=1)  # j = |e|
        self.multinomial = np.array([multinomial(tuple(int(x) for x in e)) for e in self.E])
        neurons = _neurons(net)
        self.incoming = np.array([n[0] for n in neurons])  # (h, d + 1): w_i, then b_i
        self.outgoing = np.array([n[1] for n in neurons]).T  # (o, h)
        a = np.asarray(net.activation, dtype=np.float64)
        self.K = len(a) - 1
        # sigma^(j)(b) / j! = sum_p a_(j+p) C(j + p, j) b^p: row j of T times the powers of b
        self.T = np.array([[a[j + p] * comb(j + p, j) if j + p <= self.K else 0.0 for p in range(self.K + 1)] for j in range(self.K + 2)])
        self.n = self.o * self.h + 2 * self.h + self.h * self.d + self.o

    def split(self, P: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(A, t, v, b, beta) of the rows of P (..., n)."""
        o, h, d = self.o, self.h, self.d
        cuts = np.cumsum([o * h, h, h * d, h])
        A, t, v, b, beta = np.split(P, cuts, axis=-1)
        return A.reshape(*P.shape[:-1], o, h), t, v.reshape(*P.shape[:-1], h, d), b, beta

    def _powers(self, x: np.ndarray) -> np.ndarray:
        """x^p for p = 0..K: (..., K + 1), by products (no pow)."""
        out = np.empty((*x.shape, self.K + 1))
        out[..., 0] = 1.0
        for p in range(1, self.K + 1):
            out[..., p] = out[..., p - 1] * x
        return out

    def _taylor(self, b: np.ndarray) -> np.ndarray:
        """sigma^(j)(b) / j! for j = 0..K+1: (..., h, K + 2)."""
        return np.einsum("...m,jm->...j", self._powers(b), self.T)

    def _parts(self, P: np.ndarray, derivatives: bool) -> dict[str, np.ndarray]:
        A, t, v, b, beta = self.split(P)
        j, E = self.order, self.E
        s = self._taylor(b)  # (..., h, K + 2)
        tp = self._powers(t)  # (..., h, K + 1)
        vp = self._powers(v)  # (..., h, d, K + 1)
        factors = np.stack([vp[..., r, E[:, r]] for r in range(self.d)], axis=-1)  # (..., h, M, d): v_r^(e_r)
        V = factors.prod(axis=-1)
        tpow = np.where(j >= 1, tp[..., np.maximum(j - 1, 0)], 0.0)  # (..., h, M)
        coef = s[..., j] * tpow * self.multinomial  # sigma^(j)(b) / j! t^(j - 1) times the multinomial
        out = {"A": A, "beta": beta, "g": coef * V}  # g: the neurons minus their constants (..., h, M)
        if not derivatives:
            return out
        dtpow = np.where(j >= 2, (j - 1) * tp[..., np.maximum(j - 2, 0)], 0.0)
        out["dt"] = s[..., j] * dtpow * self.multinomial * V
        out["db"] = s[..., j + 1] * (j + 1) * tpow * self.multinomial * V
        # d v^e / d v_r = e_r v^(e - 1_r): the product of the other factors and v_r^(e_r - 1)
        dV = np.empty_like(factors)
        for r in range(self.d):
            others = np.ones_like(V)
            for q in range(self.d):
                if q != r:
                    others = others * factors[..., q]
            dV[..., r] = E[:, r] * others * vp[..., r, np.maximum(E[:, r] - 1, 0)]
        out["dv"] = coef[..., None] * dV  # (..., h, M, d)
        return out

    def mu(self, P: np.ndarray) -> npt.NDArray[np.float64]:
        """Coefficients (..., o * M), outputs after one another as in ``net.mu``."""
        q = self._parts(P, derivatives=False)
        f = q["A"] @ q["g"]
        f[..., self.order == 0] += q["beta"][..., None]
        return f.reshape(*P.shape[:-1], -1)

    def jacobian(self, P: np.ndarray) -> npt.NDArray[np.float64]:
        """D mu in these coordinates: (..., o * M, n)."""
        q = self._parts(P, derivatives=True)
        o, h, d = self.o, self.h, self.d
        M = len(self.order)
        lead = P.shape[:-1]
        A = q["A"]
        dA = np.zeros((*lead, o, M, o, h))
        for oi in range(o):
            dA[..., oi, :, oi, :] = np.swapaxes(q["g"], -1, -2)
        Ai = A[..., :, None, :]  # (..., o, 1, h)
        dt = Ai * np.swapaxes(q["dt"], -1, -2)[..., None, :, :]
        dv = (Ai[..., None] * np.swapaxes(q["dv"], -3, -2)[..., None, :, :, :]).reshape(*lead, o, M, h * d)
        db = Ai * np.swapaxes(q["db"], -1, -2)[..., None, :, :]
        dbeta = np.zeros((*lead, o, M, o))
        for oi in range(o):
            dbeta[..., oi, self.order == 0, oi] = 1.0
        J = np.concatenate([dA.reshape(*lead, o, M, o * h), dt, dv, db, dbeta], axis=-1)
        return J.reshape(*lead, o * M, self.n)

    def from_params(self, theta: np.ndarray) -> npt.NDArray[np.float64]:
        """The seam coordinates of the network's parameters (..., N): t_i = |w_i|, A_i = c_i t_i,
        beta + sum_i c_i sigma(b_i) (a neuron with w_i = 0 is a constant: A_i = 0)."""
        d = self.d
        W1, b = theta[..., self.incoming[:, :d]], theta[..., self.incoming[:, d]]
        C, beta = theta[..., self.outgoing], theta[..., -self.o :]  # the output biases come last
        t = np.linalg.norm(W1, axis=-1)
        safe = np.where(t > 0, t, 1.0)
        v = np.where((t > 0)[..., None], W1 / safe[..., None], np.eye(1, d)[0])
        sigma_b = self._taylor(b)[..., 0]
        A = C * t[..., None, :]
        beta = beta + np.einsum("...oi,...i->...o", C, sigma_b)
        return np.concatenate([A.reshape(*A.shape[:-2], -1), t, v.reshape(*v.shape[:-2], -1), b, beta], axis=-1)


def _levenberg_marquardt(seam: SeamCoordinates, U: np.ndarray, P: np.ndarray, iterations: int) -> tuple[np.ndarray, np.ndarray]:
    """Batched Levenberg-Marquardt (Marquardt's scaling by the diagonal of J^T J) from the
    starts P (B, K, n) for the rows of U (B, m): each start's squared distance and point. A
    start stops once a step gains less than STALL of its value or the damping reaches its cap."""
    B, K, n = P.shape
    P = P.reshape(B * K, n).copy()
    u = np.repeat(U, K, axis=0)
    r = seam.mu(P) - u
    cost = (r**2).sum(axis=1)
    lam = np.full(B * K, _DAMPING)
    live = np.arange(B * K)
    eye = np.eye(n)
    for _ in range(iterations):
        if not len(live):
            break
        J = seam.jacobian(P[live])
        Jt = np.swapaxes(J, 1, 2)
        G = Jt @ J
        g = (Jt @ r[live][:, :, None])[:, :, 0]
        diag = np.diagonal(G, axis1=1, axis2=2)
        D = np.maximum(diag, 1e-9 * diag.max(axis=1, keepdims=True)) + 1e-30
        system = G + (lam[live, None] * D)[:, :, None] * eye
        bad = ~np.isfinite(system).all(axis=(1, 2)) | ~np.isfinite(g).all(axis=1)
        system[bad], g[bad] = eye, 0.0  # a diverged start stays where it is
        with np.errstate(all="ignore"):
            try:
                step = np.linalg.solve(system, -g[:, :, None])[:, :, 0]
            except np.linalg.LinAlgError:  # singular to working precision: least squares
                step = np.einsum("bij,bj->bi", np.linalg.pinv(system), -g)
            trial = P[live] + step
            r_new = seam.mu(trial) - u[live]
            new = (r_new**2).sum(axis=1)
        better = np.isfinite(new) & (new < cost[live])
        gain = np.where(better, cost[live] - new, 0.0)
        idx = live[better]
        P[idx], r[idx], cost[idx] = trial[better], r_new[better], new[better]
        lam[live] = np.where(better, lam[live] / 3.0, lam[live] * 4.0)
        stalled = (better & (gain <= _STALL * cost[live])) | (lam[live] >= 1e12) | bad
        live = live[~stalled]
    return cost.reshape(B, K), P.reshape(B, K, n)


def normalized_rank_ratio(seam: SeamCoordinates, P: np.ndarray, dim: int) -> npt.NDArray[np.float64]:
    """sigma_dim / sigma_1 of D mu in seam coordinates with unit columns (zero columns left
    out): how near M's tangent space at the points P (B, n) is to losing a dimension."""
    J = seam.jacobian(P)
    norms = np.linalg.norm(J, axis=1, keepdims=True)
    Jn = np.where(norms > 0, J / np.where(norms > 0, norms, 1.0), 0.0)
    sv = np.linalg.svd(Jn, compute_uv=False)
    return sv[:, dim - 1] / sv[:, 0]


def seam_searches(
    net: PolynomialNetwork, U: np.ndarray, theta: np.ndarray, dim: int, rng: np.random.Generator
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Local searches in seam coordinates for the rows of U, from the network's parameters theta
    (B, N) and SEAM_STARTS random starts each: the best squared distance and the normalized
    rank ratio (``normalized_rank_ratio``) at the best point."""
    seam = SeamCoordinates(net)
    B = len(U)
    scale = float(np.sqrt(np.mean(U**2)) + 1e-12)
    starts = rng.standard_normal((B, SEAM_STARTS, seam.n))
    A_cols = np.arange(seam.o * seam.h)
    starts[:, :, A_cols] *= scale
    starts[:, :, seam.n - seam.o :] *= scale
    P0 = np.concatenate([seam.from_params(theta)[:, None, :], starts], axis=1)
    cost, P = _levenberg_marquardt(seam, U, P0, SEAM_ITERATIONS)
    best = np.argmin(cost, axis=1)
    rows = np.arange(B)
    return cost[rows, best], normalized_rank_ratio(seam, P[rows, best], dim)
