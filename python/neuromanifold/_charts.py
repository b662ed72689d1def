"""Charts of a neuromanifold and the critical equations of a quadratic loss on them.

A chart is a polynomial map phi: C^n -> C^A onto an open dense part of M (or of one of its
strata) together with a lift y -> theta into parameter space. Linear networks get charts of
their rank strata in function space; other architectures a coordinate slice of parameter space
that cuts every generic fiber in finitely many points.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

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

    @cached_property
    def _evaluator(self) -> pl.Evaluator:
        # built once: mu is asked for every sample
        return pl.Evaluator(self.phi, self.n)

    def mu(self, y: npt.ArrayLike) -> np.ndarray:
        return self._evaluator(y)


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


def quadratic_closure_chart(net: Network, r: int, seed: int) -> Chart:
    """One hidden layer with z^2 and one output, r neurons: x^T A x with rank A <= r, or with
    biases x^T A x + 2 b.x + c with rank [A | b] <= r (the closure of the neuromanifold, see
    ``_exhaustive_available``). The column space of A (or [A | b]) is spanned by P (n x r),
    normalized by [I, L] P = I for a random complex L as in ``rank_chart``; A = P C P^T with C
    symmetric, b = P d, and c free. Coordinates: P' (the last n - r rows of P, row-major), C
    (upper triangle, row-major), then with biases d and c. A chart of the variety, not of
    parameter space: its critical points are those of the distance on the closure (each once,
    where a parameter slice meets a fiber several times), with biases including points that no
    parameters give (rank A = r - 1, b outside its column space), which generic data never
    have as nearest point."""
    n, bias = net.n_inputs, net.bias
    rng = np.random.default_rng([seed, 0xB1A5, r])
    L = (rng.standard_normal((r, n - r)) + 1j * rng.standard_normal((r, n - r))) / np.sqrt(2 * max(n - r, 1))
    nP, nC = (n - r) * r, r * (r + 1) // 2
    nv = nP + nC + (r + 1 if bias else 0)
    lower = [[pl.variable(i * r + k, nv) for k in range(r)] for i in range(n - r)]
    top = [[pl.add(pl.constant(float(i == k), nv), *[pl.scale(lower[l][k], -L[i, l]) for l in range(n - r)]) for k in range(r)] for i in range(r)]
    P = top + lower
    upper = [(k, m) for k in range(r) for m in range(k, r)]
    C = [[pl.variable(nP + upper.index((min(k, m), max(k, m))), nv) for m in range(r)] for k in range(r)]
    d = [pl.variable(nP + nC + k, nv) for k in range(r)] if bias else []
    PC = [[pl.add(*[pl.mul(P[i][k], C[k][m]) for k in range(r)]) for m in range(r)] for i in range(n)]

    def entry(i: int, j: int) -> pl.Poly:
        return pl.add(*[pl.mul(PC[i][m], P[j][m]) for m in range(r)])

    phi: list[pl.Poly] = []
    for e in np.asarray(net.monomials):
        idx = np.flatnonzero(e)
        if e.sum() == 2:
            i, j = (idx[0], idx[0]) if len(idx) == 1 else (idx[0], idx[1])
            phi.append(entry(i, j) if i == j else pl.scale(entry(i, j), 2.0))
        elif e.sum() == 1:
            phi.append(pl.scale(pl.add(*[pl.mul(P[idx[0]][k], d[k]) for k in range(r)]), 2.0))
        else:
            phi.append(pl.variable(nv - 1, nv))

    def lift(y: np.ndarray) -> np.ndarray:
        """Parameters (complex: the normalization is) of chart points with C invertible: A = P C
        P^T, or with biases [A, b; b^T, s] = G S' G^T with G = diag(P, 1) and S' = [C, d; d^T,
        d^T C^-1 d] of rank r; S' = Q diag(lambda) Q^T (Q^T Q = I, generic for a complex
        symmetric S'): the columns of G Q are the neurons (w_i and b_i), lambda the output
        weights, c - s the output bias."""
        y = np.asarray(y, dtype=np.complex128)
        if y.ndim > 1:
            return np.array([lift(row) for row in y])
        lo = y[:nP].reshape(n - r, r)
        G = np.vstack([np.eye(r) - L @ lo, lo])
        S = np.zeros((r, r), dtype=np.complex128)
        for k, (a, m) in enumerate(upper):
            S[a, m] = S[m, a] = y[nP + k]
        if bias:
            dv = y[nP + nC : nP + nC + r]
            S = np.block([[S, dv[:, None]], [dv[None, :], np.array([[dv @ np.linalg.solve(S, dv)]])]])
            G = np.block([[G, np.zeros((n, 1))], [np.zeros((1, r)), np.ones((1, 1))]])
        lam, Q = np.linalg.eig(S)
        keep = np.argsort(-np.abs(lam))[:r]
        Q = Q[:, keep] / np.sqrt((Q[:, keep] ** 2).sum(axis=0))
        V = G @ Q  # columns (w_i) or (w_i, b_i)
        if not bias:
            return np.concatenate([V.T.reshape(-1), lam[keep]])
        return np.concatenate([V[:n].T.reshape(-1), V[n], lam[keep], [y[-1] - S[r, r]]])

    return Chart(phi=phi, n=nv, lift=lift, rank=None, top=r == net.widths[1])


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


@dataclass(frozen=True)
class BlockForm:
    """A slice of parameter space on which mu is linear in each block of parameters (the filters
    of a linear convolution; V, k, q or V, M of lightning attention, see ``_blocks.py``)."""

    labels: npt.NDArray[np.int64]  # block of each parameter; -1: off the blocks, held at ``base``
    base: npt.NDArray[np.float64] | None = None
    mixed: bool = False  # fix a random linear functional of each block instead of an end entry
    reduce: Callable[[np.ndarray], np.ndarray] | None = None  # real parameters -> real ones on the slice, same mu
    degrees: tuple[int, ...] | None = None  # degree of mu in each block (None: linear in each)

    def degree(self, block: int) -> int:
        return 1 if self.degrees is None else self.degrees[block]


def block_cone_chart(
    net: Network, blocks: npt.NDArray[np.int64] | BlockForm, dim: int, seed: int, support: npt.NDArray[np.int64] | None = None, end: str = "first"
) -> Chart:
    """A chart of the image of a map linear in each block of parameters (the filters of a linear
    convolutional network; ``blocks[j]`` is the block of parameter j, or a ``BlockForm``): theta =
    (t w_1, w_2, ..., w_L) where every w_i has its ``end`` ("first" or "last") entry in the support
    fixed at a random real value c_i; the coordinates are t and the other entries of the support.
    A mixed form fixes that entry of w_i in a random orthonormal basis of its block instead.

    mu(l_1 w_1, ..., l_L w_L) = (l_1 ... l_L) mu(w), so a real theta whose fixed entries are nonzero
    has the real coordinates w_i = theta_i c_i / theta_ij, t = prod theta_ij / c_i (see
    ``coordinates``): every real point of the image with such a representative is the image of
    real coordinates. For filters, one whose representatives all vanish at a fixed tap lies in the
    image of the subnetwork with that end tap switched off. The chart is phi(t, w) = t m(w), zero
    only at t = 0 (no block vanishes), which ``cone_critical_system`` uses. It is a chart (finitely
    many points per fiber) when the fibers are no larger than the rescalings: checked as dim =
    number of coordinates and a Jacobian of full column rank."""
    if end not in ("first", "last"):
        raise ValueError(f"end must be 'first' or 'last', got {end!r}")
    form = blocks if isinstance(blocks, BlockForm) else BlockForm(np.asarray(blocks, dtype=np.int64))
    theta0, inside = _base_point(net, seed, support)
    held = inside[form.labels[inside] < 0]
    if len(held):
        assert form.base is not None, "parameters off the blocks need base values"
        theta0[held] = form.base[held]
    inside = np.sort(inside[form.labels[inside] >= 0])
    present = np.unique(form.labels[inside])
    members = [inside[form.labels[inside] == b] for b in present]
    if 1 + sum(len(m) - 1 for m in members) != dim:
        raise ValueError(
            f"{net.spec}: a stratum of dimension {dim} has {len(inside)} parameters in {len(present)} blocks; "
            "its fibers are larger than the rescalings of the blocks"
        )
    rng = np.random.default_rng([seed, 0xB10C])
    bases = [_rotation(rng, len(m)) if form.mixed else np.eye(len(m)) for m in members]
    fixed = [0 if end == "first" else len(m) - 1 for m in members]
    c = [float((theta0[m] @ R)[f]) for m, R, f in zip(members, bases, fixed)]
    offsets = np.cumsum([1] + [len(m) - 1 for m in members])
    # transversal to the fibers: the tangent vectors of the coordinates are independent
    directions = np.zeros((net.n_params, offsets[-1] - 1))
    for m, R, f, o in zip(members, bases, fixed, offsets):
        directions[m, o - 1 : o - 1 + len(m) - 1] = np.delete(R, f, axis=1)
    J = np.column_stack([net.mu(theta0), net.jacobian(theta0) @ directions])
    sv = np.linalg.svd(J, compute_uv=False)
    if sv[-1] <= 1e-8 * sv[0]:
        raise ValueError(f"{net.spec}: the chart fixing one entry per block is not transverse to the fibers")
    degrees = np.array([form.degree(int(b)) for b in present])
    linear = bool((degrees == 1).all())
    if not linear and form.mixed:
        raise ValueError("a mixed form needs mu linear in each block")
    if (degrees != 1).all():
        raise ValueError(f"{net.spec}: mu has degree 1 in no block, so the chart has no scale t")
    scale = int(np.argmax(degrees == 1))  # the scale t multiplies a block of degree 1
    if linear:
        out, index, coef = _block_terms(_slice(net, theta0, inside).phi, inside, members)
        if form.mixed:
            out, index, coef = _rotate_terms(out, index, coef, bases, net.ambient_dim)
        phi = _cone_polynomials(out, index, coef, fixed, c, offsets, net.ambient_dim)
    else:
        phi = _homogeneous_cone_polynomials(_slice(net, theta0, inside).phi, inside, members, degrees, scale, fixed, c, offsets)

    def lift(y: np.ndarray) -> np.ndarray:
        y = np.asarray(y)
        theta = np.broadcast_to(theta0, y.shape[:-1] + theta0.shape).astype(np.result_type(y, np.float64))
        for b, (m, R, f, o) in enumerate(zip(members, bases, fixed, offsets)):
            w = np.insert(y[..., o : o + len(m) - 1], f, c[b], axis=-1) @ R.T
            theta[..., m] = w * y[..., :1] if b == scale else w  # mu is linear in that block: t m(w)
        return theta

    def coordinates(theta: np.ndarray) -> np.ndarray:
        theta = np.asarray(theta, dtype=np.float64)
        if form.reduce is not None:
            theta = form.reduce(theta)
        ws = [theta[..., m] @ R for m, R in zip(members, bases)]
        factors = np.stack([cb / w[..., f] for cb, w, f in zip(c, ws, fixed)], axis=-1)  # l_i: block i rescaled to c_i
        parts = [np.delete(w * factors[..., b : b + 1], f, axis=-1) for b, (w, f) in enumerate(zip(ws, fixed))]
        # mu(l_1 w_1, ...) = prod l_i^d_i mu(w): t undoes that product
        return np.concatenate([1.0 / np.prod(factors**degrees, axis=-1, keepdims=True)] + parts, axis=-1)

    return Chart(phi=phi, n=int(offsets[-1]), lift=lift, rank=None, top=True, coordinates=coordinates)


def _rotation(rng: np.random.Generator, k: int) -> np.ndarray:
    """A random orthogonal k x k matrix (Haar)."""
    q, r = np.linalg.qr(rng.standard_normal((k, k)))
    return q * np.sign(np.diag(r))


def _block_terms(phi: list[pl.Poly], inside: np.ndarray, members: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The terms of polynomials linear in each block (variables ``inside``): output, position of
    the variable of each block (terms, blocks), coefficient."""
    block = np.zeros(len(inside), dtype=np.int64)
    position = np.zeros(len(inside), dtype=np.int64)
    for b, m in enumerate(members):
        at = np.searchsorted(inside, m)
        block[at], position[at] = b, np.arange(len(m))
    out, index, coef = [], [], []
    for a, p in enumerate(phi):
        if not p:
            continue
        exps = np.array(list(p.keys()), dtype=np.int64).reshape(-1, len(inside))
        rows, cols = np.nonzero(exps)
        idx = np.full((len(exps), len(members)), -1, dtype=np.int64)
        idx[rows, block[cols]] = position[cols]
        # one variable of degree 1 from every block in every term
        if (exps[rows, cols] != 1).any() or (np.bincount(rows, minlength=len(exps)) != len(members)).any() or (idx < 0).any():
            raise ValueError("mu is not linear in each block of parameters")
        out.append(np.full(len(exps), a))
        index.append(idx)
        coef.append(np.array(list(p.values()), dtype=np.complex128))
    if not out:
        return np.zeros(0, dtype=np.int64), np.zeros((0, len(members)), dtype=np.int64), np.zeros(0, dtype=np.complex128)
    return np.concatenate(out), np.concatenate(index), np.concatenate(coef)


def _rotate_terms(out: np.ndarray, index: np.ndarray, coef: np.ndarray, bases: list[np.ndarray], A: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same multilinear map in the coordinates w_i = R_i w'_i: a dense tensor (A, k_1, ...)."""
    T = np.zeros((A,) + tuple(len(R) for R in bases), dtype=np.complex128)
    np.add.at(T, (out,) + tuple(index.T), coef)
    for b, R in enumerate(bases):
        T = np.moveaxis(np.tensordot(T, R, axes=([1 + b], [0])), -1, 1 + b)
    nz = np.nonzero(T)
    return nz[0], np.stack(nz[1:], axis=1), T[nz]


def _cone_polynomials(out: np.ndarray, index: np.ndarray, coef: np.ndarray, fixed: list[int], c: list[float], offsets: np.ndarray, A: int) -> list[pl.Poly]:
    """phi_a(t, w) = t m_a(w) with the fixed entry of block i at c_i, the others coordinates."""
    exps = np.zeros((len(out), int(offsets[-1])), dtype=np.int64)
    exps[:, 0] = 1
    coef = coef.copy()
    for b, (f, o) in enumerate(zip(fixed, offsets)):
        free = index[:, b] != f
        exps[free, o + index[free, b] - (index[free, b] > f)] = 1
        coef[~free] *= c[b]
    phi: list[pl.Poly] = [{} for _ in range(A)]
    for a, e, v in zip(out, map(tuple, exps.tolist()), coef):
        if v != 0:
            phi[a][e] = v
    return phi


def _homogeneous_cone_polynomials(
    phi: list[pl.Poly], inside: np.ndarray, members: list[np.ndarray], degrees: np.ndarray, scale: int, fixed: list[int], c: list[float], offsets: np.ndarray
) -> list[pl.Poly]:
    """phi_a(t, w) = t m_a(w) for mu homogeneous of degree d_i in block i (d = 1 in block
    ``scale``, which t multiplies): the fixed entry of block i at c_i, the others coordinates."""
    block = np.zeros(len(inside), dtype=np.int64)
    position = np.zeros(len(inside), dtype=np.int64)
    for b, m in enumerate(members):
        at = np.searchsorted(inside, m)
        block[at], position[at] = b, np.arange(len(m))
    out: list[pl.Poly] = []
    for p in phi:
        q: pl.Poly = {}
        for e, v in p.items():
            exps = np.array(e, dtype=np.int64)
            if not all(exps[block == b].sum() == d for b, d in enumerate(degrees)):
                raise ValueError("mu is not homogeneous of the given degree in each block of parameters")
            new = np.zeros(int(offsets[-1]), dtype=np.int64)
            new[0] = 1
            for j in np.nonzero(exps)[0]:
                b, k = block[j], position[j]
                if k == fixed[b]:
                    v = v * c[b] ** int(exps[j])
                else:
                    new[offsets[b] + k - (k > fixed[b])] = exps[j]
            key = tuple(int(x) for x in new)
            q[key] = q.get(key, 0) + v
        out.append({e: v for e, v in q.items() if v != 0})
    return out


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
    ``block_cone_chart``), parameters u: m . (t m - u) = 0 and, divided by t, D m^T (t m - u) = 0.
    Without the factor t, the points t = 0 (image 0) would be critical wherever m(w) . u = 0, a
    positive-dimensional set; with it divided out they must satisfy m . u = 0 and D m^T u = 0,
    more equations than unknowns, which generic data do not. For t != 0 nothing changes."""
    assert all(e[0] == 1 for p in chart.phi for e in p), "the chart is not of the form t m(w)"
    return divided_critical_system(chart, {k: 0 for k in range(1, chart.n)})


def divided_critical_system(chart: Chart, divided: dict[int, int]) -> System:
    """The critical equations of the Euclidean distance on ``chart`` (parameters u), D_i phi .
    (phi - u) = 0, with the column D_i phi of each coordinate i in ``divided`` replaced by its
    terms divisible by y_f, f = divided[i], divided by y_f. Where all its terms are, that only
    divides the equation by y_f; where D_i phi = y_f G + R with R . (phi - u) a combination of
    the other equations, the system is the same at y_f != 0 too. Either way it keeps the
    critical points with y_f != 0, nonsingular or not alike, and drops those with y_f = 0
    that the factor made: components of their own (or isolated points of a chart's singular
    locus), which monodromy strays into."""
    equations, nv, P = _critical_equations(chart, np.eye(len(chart.phi)), divided)
    return _system(equations, nv, P)


def _critical_equations(chart: Chart, Q: np.ndarray | None, divided: dict[int, int] | None = None) -> tuple[list[pl.Poly], int, int]:
    A, n = len(chart.phi), chart.n
    P = A if Q is not None else 2 * A
    nv = n + P
    phi = [pl.extend(p, P) for p in chart.phi]
    if Q is not None:
        psi = [pl.add(pl.linear_combination((Q[a, c], phi[c]) for c in range(A) if Q[a, c] != 0), pl.scale(pl.variable(n + a, nv), -1)) for a in range(A)]
    else:
        psi = [pl.add(pl.mul(pl.variable(n + a, nv), phi[a]), pl.scale(pl.variable(n + A + a, nv), -1)) for a in range(A)]

    def column(k: int) -> list[pl.Poly]:
        out = [pl.diff(phi[a], k) for a in range(A)]
        f = (divided or {}).get(k)
        if f is None:
            return out
        return [{e[:f] + (e[f] - 1,) + e[f + 1 :]: c for e, c in p.items() if e[f] >= 1} for p in out]

    dphi = [column(k) for k in range(n)]
    return [pl.add(*[pl.mul(dphi[k][a], psi[a]) for a in range(A) if dphi[k][a]]) for k in range(n)], nv, P


def _system(equations: list[pl.Poly], nv: int, P: int) -> System:
    arrays = [pl.to_arrays(F, nv) for F in equations]
    return System.from_arrays([e for e, _ in arrays], [c for _, c in arrays], n_params=P)
