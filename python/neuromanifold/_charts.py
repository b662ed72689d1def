"""Charts of a neuromanifold and the critical equations of a quadratic loss on them.

A chart is a polynomial map phi: C^n -> C^A onto an open dense part of M (or of one of its
strata) together with a lift y -> theta into parameter space. Linear networks get charts of
their rank strata in function space; other architectures a coordinate slice of parameter space
that cuts every generic fiber in finitely many points.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from . import _polynomials as pl
from .architectures import LinearNetwork, Network, ResidualLinearNetwork
from .system import System

MAX_TERMS = 200_000


@dataclass(frozen=True)
class Chart:
    phi: list[pl.Poly]
    n: int
    lift: Callable[[np.ndarray], np.ndarray]
    rank: int | None  # matrix rank of the stratum, for linear networks
    top: bool  # charts the smooth part of M (not a lower stratum)
    matrix_shape: tuple[int, int] | None = None  # (rows, cols) of the product, for linear networks
    coordinates: Callable[[np.ndarray], np.ndarray] | None = None  # real coordinates of real parameters (up to the fibers)

    def mu(self, y: npt.ArrayLike) -> np.ndarray:
        return pl.Evaluator(self.phi, self.n)(y)


@dataclass(frozen=True)
class LinearShape:
    """A linear network seen as a product of matrices V_L ... V_1 (V_i = I + W_i when residual)."""

    widths: tuple[int, ...]
    residual: bool

    @property
    def rows(self) -> int:
        return self.widths[-1]

    @property
    def cols(self) -> int:
        return self.widths[0]

    @property
    def layers(self) -> int:
        return len(self.widths) - 1

    @property
    def rank(self) -> int:
        return min(self.widths)

    @property
    def filling(self) -> bool:
        return self.rank == min(self.rows, self.cols)

    def lift(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        """Parameters with product A @ B (A: rows x s, B: s x cols), padded with zeros."""
        s = A.shape[1]
        d = self.widths
        dtype = np.result_type(A, B)
        if self.layers == 1:
            mats = [A @ B]
        else:
            first = np.zeros((d[1], d[0]), dtype=dtype)
            first[:s] = B
            mats = [first]
            for i in range(2, self.layers):
                mid = np.zeros((d[i], d[i - 1]), dtype=dtype)
                mid[:s, :s] = np.eye(s)
                mats.append(mid)
            last = np.zeros((d[-1], d[-2]), dtype=dtype)
            last[:, :s] = A
            mats.append(last)
        if self.residual:
            mats = [m - np.eye(m.shape[0]) for m in mats]
        return np.concatenate([m.reshape(-1) for m in mats])


def linear_shape(net: Network) -> LinearShape | None:
    if isinstance(net, LinearNetwork):
        return LinearShape(net.widths, False)
    if isinstance(net, ResidualLinearNetwork):
        return LinearShape((net.width,) * (net.layers + 1), True)
    return None


def rank_chart(shape: LinearShape, s: int, seed: int) -> Chart:
    """m x n matrices of rank s as W = A B with B free (s x n) and A (m x s) normalized by
    [I, L] A = I for a random complex L: A = [I - L A'; A'], coordinates (A' row-major, B
    row-major). The normalization is generic, so critical points of real data stay at moderate
    coordinates (a real normalization would put some near its edge); real matrices get complex
    coordinates, and realness is read off W."""
    m, n = shape.rows, shape.cols
    rng = np.random.default_rng([seed, 0xC4A7, s])
    L = (rng.standard_normal((s, m - s)) + 1j * rng.standard_normal((s, m - s))) / np.sqrt(2 * max(m - s, 1))
    nA = (m - s) * s
    nv = nA + s * n
    Aprime = [[pl.variable(l * s + k, nv) for k in range(s)] for l in range(m - s)]
    top = [[pl.add(pl.constant(float(i == k), nv), *[pl.scale(Aprime[l][k], -L[i, l]) for l in range(m - s)]) for k in range(s)] for i in range(s)]
    Afull = top + Aprime
    B = [[pl.variable(nA + k * n + j, nv) for j in range(n)] for k in range(s)]
    phi = [pl.add(*[pl.mul(Afull[i][k], B[k][j]) for k in range(s)]) for i in range(m) for j in range(n)]

    def lift(y: np.ndarray) -> np.ndarray:
        y = np.asarray(y)
        Ap = y[:nA].reshape(m - s, s)
        A = np.vstack([np.eye(s) - L @ Ap, Ap])
        return shape.lift(A, y[nA:].reshape(s, n))

    return Chart(phi=phi, n=nv, lift=lift, rank=s, top=s == shape.rank, matrix_shape=(m, n))


def balanced_lift(shape: LinearShape, W: np.ndarray, s: int) -> np.ndarray:
    """Real parameters with product W (of rank <= s): the factors U sqrt(S), sqrt(S) V^T of
    the truncated SVD, padded with zeros."""
    U, S, Vh = np.linalg.svd(W)
    root = np.sqrt(S[:s])
    return shape.lift(U[:, :s] * root, root[:, None] * Vh[:s])


def rank_stratum_hessian(Q: np.ndarray, b: np.ndarray, W: np.ndarray, s: int) -> np.ndarray:
    """Hessian of l(m) = m^T Q m - 2 b^T m on the rank-s matrices at a real W of rank s, in the
    chart (X, B) -> (U_s + U_perp X) B centred at W (orthonormal U: well conditioned); its
    signature is the type of W as a critical point of l on that stratum."""
    m, n = W.shape
    U, S, Vh = np.linalg.svd(W)
    Us, Up = U[:, :s], U[:, s:]
    B0 = S[:s, None] * Vh[:s]
    G = (2 * (Q @ W.reshape(-1) - b)).reshape(m, n)
    cols = [np.outer(Up[:, k], B0[l]).reshape(-1) for k in range(m - s) for l in range(s)]
    cols += [np.outer(Us[:, l], np.eye(n)[j]).reshape(-1) for l in range(s) for j in range(n)]
    J = np.array(cols).T
    H = 2 * J.T @ Q @ J
    nX = (m - s) * s
    cross = Up.T @ G  # d^2 phi / dX_kl dB_lj = U_perp[:, k] e_j^T
    for k in range(m - s):
        for l in range(s):
            for j in range(n):
                H[k * s + l, nX + l * n + j] += cross[k, j]
                H[nX + l * n + j, k * s + l] += cross[k, j]
    return H


def slice_chart(net: Network, dim: int, seed: int, support: npt.NDArray[np.int64] | None = None) -> Chart:
    """Fix all but ``dim`` parameters at random values: the free ones are chosen where D mu has
    full column rank, so the slice is transverse to the fibers (symmetries fixed).

    With ``support`` (a subnetwork's parameters in the parent) the parameters outside it are
    zero: a chart of that subnetwork's stratum of the parent's neuromanifold."""
    import scipy.linalg

    theta0, inside = _base_point(net, seed, support)
    J = net.jacobian(theta0)[:, inside]
    piv = scipy.linalg.qr(J, pivoting=True, mode="r")[1]
    return _slice(net, theta0, np.sort(inside[piv[:dim]]))


def filter_cone_chart(net: Network, blocks: npt.NDArray[np.int64], dim: int, seed: int, support: npt.NDArray[np.int64] | None = None, end: str = "first") -> Chart:
    """A chart of the image of a map linear in each block of parameters (the filters of a linear
    convolutional network; ``blocks[j]`` is the block of parameter j): theta = (t w_1, w_2, ...,
    w_L) where every w_i has its ``end`` ("first" or "last") tap in the support fixed at a random
    real value c_i; the coordinates are t and the other taps of the support.

    mu(l_1 w_1, ..., l_L w_L) = (l_1 ... l_L) mu(w), so a real theta whose fixed taps are nonzero
    has the real coordinates w_i = theta_i c_i / theta_ij, t = prod theta_ij / c_i (see
    ``coordinates``): every real point of the image with such a representative is the image of
    real coordinates. One whose representatives all vanish at a fixed tap lies in the image of the
    subnetwork with that end tap switched off. The chart is phi(t, w) = t m(w), zero only at t = 0
    (no filter vanishes), which ``cone_critical_system`` uses. It is a chart (finitely many points
    per fiber) when the fibers are no larger than the rescalings: checked as dim = number of
    coordinates and a Jacobian of full column rank."""
    if end not in ("first", "last"):
        raise ValueError(f"end must be 'first' or 'last', got {end!r}")
    theta0, inside = _base_point(net, seed, support)
    present = np.unique(blocks[inside])
    fixed = np.array([inside[blocks[inside] == b][0 if end == "first" else -1] for b in present], dtype=np.int64)
    free = np.setdiff1d(inside, fixed)
    if 1 + len(free) != dim:
        raise ValueError(
            f"{net.spec}: a stratum of dimension {dim} has {len(inside)} parameters in {len(present)} filters; "
            "its fibers are larger than the rescalings of the filters"
        )
    J = np.column_stack([net.mu(theta0), net.jacobian(theta0)[:, free]])
    sv = np.linalg.svd(J, compute_uv=False)
    if sv[-1] <= 1e-8 * sv[0]:
        raise ValueError(f"{net.spec}: the chart fixing one tap per filter is not transverse to the fibers")
    m = _slice(net, theta0, free)
    scaled = blocks == present[0]  # mu is linear in this block: mu(t w_1, ...) = t mu(w)
    phi = [{(1,) + e: c for e, c in p.items()} for p in m.phi]

    def lift(y: np.ndarray) -> np.ndarray:
        y = np.asarray(y)
        theta = m.lift(y[..., 1:])
        theta[..., scaled] *= y[..., :1]
        return theta

    def coordinates(theta: np.ndarray) -> np.ndarray:
        theta = np.asarray(theta)
        factors = theta0[fixed] / theta[..., fixed]  # l_i: filter i rescaled to its fixed tap
        w = theta * factors[..., np.searchsorted(present, blocks)]
        return np.concatenate([1.0 / np.prod(factors, axis=-1, keepdims=True), w[..., free]], axis=-1)

    return Chart(phi=phi, n=1 + len(free), lift=lift, rank=None, top=True, coordinates=coordinates)


def _base_point(net: Network, seed: int, support: npt.NDArray[np.int64] | None) -> tuple[np.ndarray, np.ndarray]:
    """Random real parameters, zero outside ``support``, and the parameters inside it."""
    theta0 = net.random_params(seed=seed)
    inside = np.arange(net.n_params) if support is None else np.asarray(support, dtype=np.int64)
    theta0[np.setdiff1d(np.arange(net.n_params), inside)] = 0.0
    return theta0, inside


def _slice(net: Network, theta0: np.ndarray, free: npt.NDArray[np.int64]) -> Chart:
    """The chart y -> mu(theta) with theta = theta0 except theta[free] = y."""
    fixed = np.setdiff1d(np.arange(net.n_params), free)
    phi: list[pl.Poly] = []
    for exps, coeffs in net._core.mu_polynomials(MAX_TERMS):
        p: dict[tuple[int, ...], complex] = {}
        values = coeffs * np.prod(theta0[fixed] ** exps[:, fixed], axis=1)
        for e, c in zip(exps[:, free], values):
            key = tuple(int(k) for k in e)
            p[key] = p.get(key, 0) + c
        phi.append({e: c for e, c in p.items() if c != 0})

    def lift(y: np.ndarray) -> np.ndarray:
        y = np.asarray(y)
        theta = np.broadcast_to(theta0, y.shape[:-1] + theta0.shape).astype(np.result_type(y, np.float64))
        theta[..., free] = y
        return theta

    return Chart(phi=phi, n=len(free), lift=lift, rank=None, top=True)


def critical_system(chart: Chart, Q: np.ndarray | None) -> System:
    """F(y; p) = J_phi(y)^T (Q phi(y) - b): half the gradient of l o phi.

    With Q given the parameters are b (A of them); with Q None they are (w, b) (2A) for the
    weighted distance sum_a w_a (m_a - u_a)^2 with b = w * u.
    """
    equations, nv, P = _critical_equations(chart, Q)
    return _system(equations, nv, P)


def cone_critical_system(chart: Chart) -> System:
    """The critical equations of the distance |phi(t, w) - u|^2 on a chart phi = t m(w) (see
    ``filter_cone_chart``), parameters u: m . (t m - u) = 0 and, divided by t, D m^T (t m - u) = 0.
    Without the factor t, the points t = 0 (image 0) would be critical wherever m(w) . u = 0, a
    positive-dimensional set; with it divided out they must satisfy m . u = 0 and D m^T u = 0,
    more equations than unknowns, which generic data do not. For t != 0 nothing changes."""
    equations, nv, P = _critical_equations(chart, np.eye(len(chart.phi)))
    divided = [equations[0]]
    for F in equations[1:]:
        assert all(e[0] >= 1 for e in F), "the chart is not of the form t m(w)"
        divided.append({(e[0] - 1,) + e[1:]: c for e, c in F.items()})
    return _system(divided, nv, P)


def _critical_equations(chart: Chart, Q: np.ndarray | None) -> tuple[list[pl.Poly], int, int]:
    A, n = len(chart.phi), chart.n
    P = A if Q is not None else 2 * A
    nv = n + P
    phi = [pl.extend(p, P) for p in chart.phi]
    if Q is not None:
        psi = [pl.add(pl.linear_combination((Q[a, c], phi[c]) for c in range(A) if Q[a, c] != 0), pl.scale(pl.variable(n + a, nv), -1)) for a in range(A)]
    else:
        psi = [pl.add(pl.mul(pl.variable(n + a, nv), phi[a]), pl.scale(pl.variable(n + A + a, nv), -1)) for a in range(A)]
    dphi = [[pl.diff(phi[a], k) for a in range(A)] for k in range(n)]
    return [pl.add(*[pl.mul(dphi[k][a], psi[a]) for a in range(A) if dphi[k][a]]) for k in range(n)], nv, P


def _system(equations: list[pl.Poly], nv: int, P: int) -> System:
    arrays = [pl.to_arrays(F, nv) for F in equations]
    return System.from_arrays([e for e, _ in arrays], [c for _, c in arrays], n_params=P)
