"""Local searches through the seams where a neuron merges with the constant.

In an MLP with biases, a hidden neuron h_i = sigma(w_i . g + b_i) (g: the previous layer, or
the inputs) whose weights w_i tend to 0 while its outgoing weights c_i grow (c_i |w_i| bounded)
tends to its affine part: the constant c_i sigma(b_i) goes into the next layer's biases, and
c_i (sigma(b_i + w_i . g) - sigma(b_i)) tends to c_i sigma'(b_i) w_i . g. The real image lies
on both sides of these limits (w_i . g changes sign), and next to them M is smooth, with the
quadratic term c_i sigma''(b_i) (w_i . g)^2 / 2 among its tangents. But the parameters diverge
there, and the columns of D mu for c_i, b_i and the next biases become parallel: a local search
in the network's own parameters crawls towards minima with a small |w_i|, or misses them, and
its best point looks like one heading to the edge (D mu nearly rank-deficient, the rank ratio
falling).

Seam coordinates give every hidden neuron a scale t_i, a bias b_i and unit-free weights v_i,
with w_i = t_i v_i / t_prev (the previous layer's scales, 1 for the inputs), the output weights
A / t_last, and every bias taking the constants of the layer before. The neuron minus its
constant, over its scale,

    g_i = sum_{j >= 1} sigma^(j)(b_i) / j! t_i^(j - 1) (v_i . g_prev)^j,

is polynomial and smooth through t_i = 0, and the network is A g_last + beta: every network
with all w_i != 0, and the affine limits where some t_i = 0. Searches there reach the minima
next to the seams, and the rank of their Jacobian is that of M's tangent space (columns scaled
to unit norm: the coordinates are redundant, and a large A would set columns apart by scale
alone). Limits that stay unattained in these coordinates too, such as two neurons merging,
still drop rank there.

The coefficients of the network come from its values at N points z_k = (w^(a_1 k), ...,
w^(a_d k)), w = exp(2 pi i / N), a rank-1 lattice on the complex torus: where the exponents
e . a mod N of the monomials differ, the coefficients are the discrete Fourier transform of
the values, exactly and with perfect conditioning.
"""

from __future__ import annotations

from functools import lru_cache
from math import comb

import numpy as np
import numpy.typing as npt

from .architectures import Network, PolynomialNetwork

SEAM_STARTS = 8  # random starts beside the network's own best point
SEAM_ITERATIONS = 60
_DAMPING = 1e-3  # Levenberg-Marquardt: initial lambda (times the diagonal of J^T J)
_STALL = 1e-12  # relative gain of a step below which a search has converged
_TANGENTS = 4_000_000  # complex entries of a block of values (rows x points x width, times n for tangents)


def seams_available(net: Network) -> bool:
    """MLPs with biases (each layer's biases take the merged constants of the layer before)."""
    return isinstance(net, PolynomialNetwork) and net.bias


@lru_cache(maxsize=None)
def fourier_lattice(monomials: tuple[tuple[int, ...], ...]) -> tuple[int, tuple[int, ...]]:
    """A number of points N and a generator a = (1, g, g^2, ...) mod N (Korobov's) with the
    numbers e . a mod N distinct over the monomials e: the lattice that reads their coefficients
    off N values. N runs up from the number of monomials, by steps of 2% (within 2% of the least
    such N), every g tried at once; a = (1, D + 1, (D + 1)^2, ...) with N = (D + 1)^d, the full
    grid, always works."""
    E = np.array(monomials, dtype=np.int64)
    d, D = E.shape[1], int(E.max(initial=0))
    grid = (D + 1) ** d
    N = len(E)
    while N < grid:
        g = np.arange(N, dtype=np.int64)
        A = np.ones((d, N), dtype=np.int64)
        for r in range(1, d):
            A[r] = A[r - 1] * g % N
        residues = np.sort(E @ A % N, axis=0)  # (monomials, g)
        distinct = (np.diff(residues, axis=0) > 0).all(axis=0)
        if distinct.any():
            return N, tuple(int(x) for x in A[:, int(np.argmax(distinct))])
        N = max(N + 1, int(N * 1.02))
    return grid, tuple((D + 1) ** r for r in range(d))


class SeamCoordinates:
    """mu and D mu of an MLP with biases in seam coordinates: per hidden layer V (h, h_prev),
    t (h), b (h), then A (o, h_last) and beta (o), flattened in that order, per row."""

    def __init__(self, net: PolynomialNetwork) -> None:
        if not seams_available(net):
            raise ValueError(f"seam coordinates need an MLP with biases, got {net.spec}")
        self.net = net
        self.widths = tuple(net.widths)
        self.d, self.o = self.widths[0], self.widths[-1]
        at = 0
        self.layers: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (V, t, b) indices per hidden layer
        for prev, h in zip(self.widths[:-2], self.widths[1:-1]):
            V = at + np.arange(h * prev).reshape(h, prev)
            self.layers.append((V, V.size + at + np.arange(h), V.size + at + h + np.arange(h)))
            at += V.size + 2 * h
        self.A = at + np.arange(self.o * self.widths[-2]).reshape(self.o, -1)
        self.beta = at + self.A.size + np.arange(self.o)
        self.n = at + self.A.size + self.o
        monomials = tuple(tuple(int(x) for x in e) for e in net.monomials.tolist())
        N, a = fourier_lattice(monomials)
        # a real polynomial takes conjugate values at z_k and z_(N-k) = conj(z_k): the first half
        # of the lattice, each point but z_0 (and z_(N/2)) weighing twice in the transform
        k = np.arange(N // 2 + 1)
        phase = 2j * np.pi / N
        self.points = np.exp(phase * np.outer(k, a))  # (H, d) on the torus
        weights = np.where((k == 0) | (2 * k == N), 1.0, 2.0) / N
        self.analysis = weights * np.exp(-phase * (np.array(monomials) @ np.array(a))[:, None] * k[None, :])  # (M, H)
        c = np.asarray(net.activation, dtype=np.float64)
        self.K = len(c) - 1
        # sigma^(j)(b) / j! = sum_p c_(j+p) C(j + p, j) b^p: row j of T times the powers of b
        self.T = np.array([[c[j + p] * comb(j + p, j) if j + p <= self.K else 0.0 for p in range(self.K + 1)] for j in range(self.K + 2)])

    def output_coordinates(self) -> npt.NDArray[np.int64]:
        """Indices of A and beta (the coordinates on the scale of the data)."""
        return np.concatenate([self.A.ravel(), self.beta])

    def _powers(self, x: np.ndarray) -> np.ndarray:
        """x^p for p = 0..K: (..., K + 1), by products (no pow)."""
        out = np.empty((*x.shape, self.K + 1), dtype=x.dtype)
        out[..., 0] = 1.0
        for p in range(1, self.K + 1):
            out[..., p] = out[..., p - 1] * x
        return out

    def _taylor(self, b: np.ndarray) -> np.ndarray:
        """sigma^(j)(b) / j! for j = 0..K+1: (..., K + 2)."""
        return np.einsum("...m,jm->...j", self._powers(b), self.T)

    def _values(self, P: np.ndarray, derivatives: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """The network at the lattice points (R, H, o) and, if asked, its derivatives (R, H, o, n)
        by forward differentiation, for rows P (R, n)."""
        R, H = len(P), len(self.points)
        G = np.broadcast_to(self.points, (R, H, self.d)).astype(np.complex128)
        dG: np.ndarray | None = None  # the inputs do not depend on the coordinates
        K = self.K
        j = np.arange(K + 2)
        for Vi, ti, bi in self.layers:
            V, t, b = P[:, Vi], P[:, ti], P[:, bi]  # (R, h, prev), (R, h), (R, h)
            U = _times(G, np.swapaxes(V, 1, 2))  # (R, H, h)
            s = self._taylor(b)  # (R, h, K + 2): s_j = sigma^(j)(b) / j!
            tp = np.concatenate([np.zeros_like(t[..., None]), self._powers(t)], axis=-1)  # t^(j - 1) at j = 0..K+1
            # g = sum_j s_j t^(j - 1) U^j, and its derivatives: in U, j s_j t^(j - 1) U^(j - 1); in t,
            # (j - 1) s_j t^(j - 2) U^j; in b, (j + 1) s_(j+1) t^(j - 1) U^j
            coef = s[..., : K + 1] * tp[..., : K + 1]
            G_next = _polynomial(coef, U)
            if derivatives:
                dU = np.zeros((R, H, len(ti), self.n), dtype=np.complex128) if dG is None else _left(V[:, None], dG)
                for i in range(len(ti)):
                    dU[:, :, i, Vi[i]] += G
                phi_U = _polynomial(j[1 : K + 1] * coef[..., 1:], U)
                lower2 = np.concatenate([np.zeros_like(tp[..., :1]), tp[..., : K]], axis=-1)  # t^(j - 2), 0 below 2
                phi_t = _polynomial(np.maximum(j[: K + 1] - 1, 0) * s[..., : K + 1] * lower2, U)
                phi_b = _polynomial((j[: K + 1] + 1) * s[..., 1:] * tp[..., : K + 1], U)
                dG = phi_U[..., None] * dU
                for i in range(len(ti)):
                    dG[:, :, i, ti[i]] += phi_t[:, :, i]
                    dG[:, :, i, bi[i]] += phi_b[:, :, i]
            G = G_next
        A, beta = P[:, self.A], P[:, self.beta]
        F = _times(G, np.swapaxes(A, 1, 2)) + beta[:, None, :]
        if not derivatives:
            return F, None
        assert dG is not None
        dF = _left(A[:, None], dG)
        for o in range(self.o):
            dF[:, :, o, self.A[o]] += G
            dF[:, :, o, self.beta[o]] += 1.0
        return F, dF

    def mu(self, P: np.ndarray) -> npt.NDArray[np.float64]:
        """Coefficients (..., o * M), outputs after one another as in ``net.mu``."""
        flat = P.reshape(-1, self.n)
        out = np.empty((len(flat), self.o, len(self.analysis)))
        rows = max(1, _TANGENTS // (len(self.points) * max(self.widths)))
        for r0 in range(0, len(flat), rows):
            F, _ = self._values(flat[r0 : r0 + rows], derivatives=False)
            out[r0 : r0 + rows] = np.swapaxes(self.analysis @ F, 1, 2).real
        return out.reshape(*P.shape[:-1], -1)

    def jacobian(self, P: np.ndarray) -> npt.NDArray[np.float64]:
        """D mu in these coordinates: (..., o * M, n)."""
        flat = P.reshape(-1, self.n)
        out = np.empty((len(flat), self.o * len(self.analysis), self.n))
        rows = max(1, _TANGENTS // (len(self.points) * max(self.widths) * self.n))
        for r0 in range(0, len(flat), rows):
            _, dF = self._values(flat[r0 : r0 + rows], derivatives=True)
            assert dF is not None
            R, N = dF.shape[:2]
            coef = (self.analysis @ dF.reshape(R, N, -1)).real.reshape(R, -1, self.o, self.n)  # (R, M, o, n)
            out[r0 : r0 + rows] = np.swapaxes(coef, 1, 2).reshape(R, -1, self.n)
        return out.reshape(*P.shape[:-1], -1, self.n)

    def from_params(self, theta: np.ndarray) -> npt.NDArray[np.float64]:
        """The seam coordinates of the network's parameters (..., N), laid out W_1, b_1, W_2,
        b_2, ... (row-major): t_i = |w_i t_prev| and v_i = w_i t_prev / t_i (an arbitrary unit
        vector where t_i = 0), each bias plus the outgoing weights' share of the constants
        sigma(b) of the layer before, A = W_out t_last."""
        flat = theta.reshape(-1, theta.shape[-1])
        R = len(flat)
        P = np.empty((R, self.n))
        at = 0
        scale = np.ones((R, self.d))
        constants = np.zeros((R, self.d))  # of the inputs: none
        for (Vi, ti, bi), prev, h in zip(self.layers, self.widths[:-2], self.widths[1:-1]):
            W = flat[:, at : at + h * prev].reshape(R, h, prev)
            b = flat[:, at + h * prev : at + h * prev + h] + np.einsum("rki,ri->rk", W, constants)
            at += h * prev + h
            scaled = W * scale[:, None, :]
            t = np.linalg.norm(scaled, axis=-1)
            safe = np.where(t > 0, t, 1.0)
            P[:, Vi] = np.where((t > 0)[..., None], scaled / safe[..., None], np.eye(1, prev)[0])
            P[:, ti], P[:, bi] = t, b
            scale, constants = t, self._taylor(b)[..., 0]
        W = flat[:, at : at + self.o * self.widths[-2]].reshape(R, self.o, -1)
        beta = flat[:, at + W.shape[1] * W.shape[2] :]
        P[:, self.A] = W * scale[:, None, :]
        P[:, self.beta] = beta + np.einsum("roi,ri->ro", W, constants)
        return P.reshape(*theta.shape[:-1], self.n)

    def to_params(self, P: np.ndarray) -> npt.NDArray[np.float64]:
        """The network's parameters (..., N) of seam coordinates off the seams (every t_i != 0):
        the inverse of ``from_params`` up to the network's symmetries."""
        flat = P.reshape(-1, self.n)
        R = len(flat)
        parts = []
        scale = np.ones((R, self.d))
        constants = np.zeros((R, self.d))
        for Vi, ti, bi in self.layers:
            t, b = flat[:, ti], flat[:, bi]
            W = flat[:, Vi] * t[..., None] / scale[:, None, :]
            parts += [W.reshape(R, -1), b - np.einsum("rki,ri->rk", W, constants)]
            scale, constants = t, self._taylor(b)[..., 0]
        W = flat[:, self.A] / scale[:, None, :]
        parts += [W.reshape(R, -1), flat[:, self.beta] - np.einsum("roi,ri->ro", W, constants)]
        return np.concatenate(parts, axis=1).reshape(*P.shape[:-1], -1)


def _polynomial(coef: np.ndarray, U: np.ndarray) -> np.ndarray:
    """sum_j coef[r, i, j] U[r, p, i]^j by Horner's rule: (R, H, h)."""
    c = coef[:, None]
    acc = np.broadcast_to(c[..., -1], U.shape).astype(U.dtype)
    for q in range(coef.shape[-1] - 2, -1, -1):
        acc = acc * U + c[..., q]
    return acc


def _times(Z: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Complex Z (R, p, a) times real X (R, a, b)."""
    return (Z.real @ X) + 1j * (Z.imag @ X)


def _left(X: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """Real X (..., a, b) times complex Z (..., b, n): one real product on the interleaved parts."""
    out = X @ Z.view(np.float64)
    return out.view(np.complex128)


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
    net: PolynomialNetwork, U: np.ndarray, theta: np.ndarray, dim: int, rng: np.random.Generator, starts: int = SEAM_STARTS
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Local searches in seam coordinates for the rows of U, from the network's parameters theta
    (B, N) and ``starts`` random starts each: the best squared distance, the normalized rank
    ratio (``normalized_rank_ratio``) at the best point, and the best point (B, n)."""
    seam = SeamCoordinates(net)
    B = len(U)
    scale = float(np.sqrt(np.mean(U**2)) + 1e-12)
    random = rng.standard_normal((B, starts, seam.n))
    random[:, :, seam.output_coordinates()] *= scale
    P0 = np.concatenate([seam.from_params(theta)[:, None, :], random], axis=1)
    cost, P = _levenberg_marquardt(seam, U, P0, SEAM_ITERATIONS)
    best = np.argmin(cost, axis=1)
    rows = np.arange(B)
    return cost[rows, best], normalized_rank_ratio(seam, P[rows, best], dim), P[rows, best]


def continued_ratio(net: PolynomialNetwork, U: np.ndarray, P: np.ndarray, dim: int, iterations: int) -> npt.NDArray[np.float64]:
    """The normalized rank ratio after ``iterations`` more steps from the seam coordinates P
    (B, n), one search per row of U: it keeps falling where the search heads to an edge."""
    seam = SeamCoordinates(net)
    _, on = _levenberg_marquardt(seam, U, P[:, None, :], iterations)
    return normalized_rank_ratio(seam, on[:, 0], dim)
