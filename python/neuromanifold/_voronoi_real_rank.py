"""The edge of one hidden layer with z^k on binary forms, decided by real rank.

The network (2, h, 1) with the activation z^k and no biases gives the binary forms
sum_i a_i (w_i . x)^k: its real neuromanifold is the set of real binary forms of degree k of
real rank at most h (a real coefficient a_i absorbs the sign for even k). When it fills the
space (h >= ceil((k + 1) / 2)), data in M are their own nearest points and data outside have
theirs on the edge (``_voronoi_membership`` says why), so the boundary target is hit exactly
when u is not in M. Real ranks of binary forms are known at the top (Comon and Ottaviani;
Causa and Re): every real binary form of degree k has real rank at most k, and one with distinct
roots has real rank k exactly when all its k roots are real. So for h >= k the edge is hit by
nothing, and for h = k - 1 exactly by the forms with k real roots: read off their roots, with
no homotopy and with positive-dimensional fibers (h > (k + 1) / 2) as well.

With finitely many decompositions, 2h = k + 1, Sylvester's apolarity decides: f = sum a_j
binom(k, j) x^(k-j) y^j is a sum of h real k-th powers of distinct real linear forms exactly when
a real binary form g = sum g_i X^(h-i) Y^i with h distinct real roots is apolar to it, sum_i g_i
a_(i+m) = 0 for m = 0..k-h (the roots (alpha : beta) of g are the forms alpha x + beta y). For
generic f these Hankel equations have a one-dimensional solution space, so u is in M exactly
when that g has h distinct real roots. With 2h = k + 2 they have a pencil of solutions
cos(psi) g1 + sin(psi) g2, and u is in M exactly when some member has h distinct real roots. The
number of real roots changes along the pencil only where a member has a real double root p,
and there the gradients of g1 and g2 are parallel: p is a real root of the Jacobian g1_X g2_Y -
g1_Y g2_X (degree 2h - 2), and psi is read off g1(p), g2(p). So one member between each two
consecutive such psi decides (a member with h distinct real roots proves u in M by itself).
Forms with a multiple root are a null set; samples too close to one to tell are undecided.

One input with biases, (1, h, 1): f(x) = sum c_i (w_i x + b_i)^k + beta, so the derivative
f' = sum k c_i w_i (w_i x + b_i)^(k-1) is, homogenized, a binary form of degree k - 1 of real rank
<= h; conversely such a decomposition of f' with real (w_i : b_i), w_i != 0 (all but a null
set), integrates to one of f, the output bias taking the constant. So u is in M exactly when its
derivative is in M of (2, h, 1) with z^(k-1) (``DerivativeRealRank``): with 2h = k two neurons
merge at the edge of a space filled with finite fibers, with 2h = k + 1 (positive-dimensional
fibers) the pencil test above. For quartics of two neurons: f is outside M exactly when f' has
three real roots.
"""

from __future__ import annotations

from math import comb
from typing import Any

import numpy as np
import numpy.typing as npt

from ._quadratic_forms import quadratic_forms
from .architectures import PolynomialNetwork

REAL_ROOT = 1e-7  # relative imaginary part of a real root (eigenvalues near a double root err by ~1e-8)
COMPLEX_ROOT = 1e-6  # ... and of one that is surely not real; in between the sample is undecided
DISTINCT = 1e-6  # relative gap between real roots that are surely distinct
RANK_GAP = 1e-9  # relative: a smaller last singular value of the Hankel equations is no clear rank


def real_rank_available(net: object, dim: int) -> str | None:
    """Why real rank does not decide the edge of ``net`` (of dimension ``dim``), or None."""
    if not isinstance(net, PolynomialNetwork) or len(net.widths) != 3 or net.widths[0] != 2 or net.widths[2] != 1 or net.bias:
        return "real rank decides the edge of one hidden layer on binary forms (widths (2, h, 1), no biases) only"
    degrees = np.flatnonzero(np.asarray(net.activation))
    if len(degrees) != 1 or degrees[0] < 2:
        return f"{net.spec}: the activation is no power z^k (k >= 2)"
    k, h = int(degrees[0]), net.widths[1]
    if dim != net.ambient_dim:
        return f"{net.spec}: M does not fill the binary forms of degree {k}"
    if h < k - 1 and 2 * h not in (k + 1, k + 2):
        return f"{net.spec}: real rank {h} of binary forms of degree {k} has no root criterion here (only h >= k - 1, 2h = k + 1 or 2h = k + 2)"
    return None


class RealRank:
    """Is u outside M (real rank above h)? 1: yes (the nearest point is on the edge), 0: no, -1:
    undecided (a root too close to real, or real roots too close together, to tell)."""

    def __init__(self, net: PolynomialNetwork) -> None:
        self.k = int(np.flatnonzero(np.asarray(net.activation))[0])
        self.h = net.widths[1]

    def decide(self, U: npt.NDArray[np.float64], salt: int = 0) -> npt.NDArray[np.int8]:
        U = np.asarray(U, dtype=np.float64)
        if self.h >= self.k or not len(U):
            return np.zeros(len(U), dtype=np.int8)  # every real binary form of degree k has real rank <= k
        if self.h == self.k - 1:
            return _all_roots_real(U)  # real rank k: all roots real
        # in M exactly when an apolar form of degree h has h distinct real roots
        apolar = _apolar_space(U, self.h)
        clear = ~np.isnan(apolar).any(axis=(1, 2))
        out = np.full(len(U), -1, dtype=np.int8)
        G = apolar[clear]
        inside = _all_roots_real(G[:, 0]) if G.shape[1] == 1 else _pencil_has_hyperbolic(G[:, 0], G[:, 1])
        out[clear] = np.where(inside < 0, -1, 1 - inside)
        return out


def _roots(U: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.complex128], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Roots of binary forms (rows: coefficients of x^k, x^(k-1) y, ..., y^k) on the projective
    line, dehomogenized at the end with the larger coefficient so that none lies at infinity:
    the roots t, whether each row was flipped (t = y / x, else t = x / y), and the rows with both
    end coefficients zero (a null set, left undecided)."""
    k = U.shape[1] - 1
    flip = np.abs(U[:, 0]) < np.abs(U[:, -1])
    P = np.where(flip[:, None], U[:, ::-1], U)  # highest power first
    degenerate = P[:, 0] == 0
    P[degenerate] = np.eye(1, k + 1)[0] - np.eye(1, k + 1, k)[0]
    C = np.zeros((len(U), k, k))
    C[:, 0, :] = -P[:, 1:] / P[:, :1]
    C[:, np.arange(1, k), np.arange(k - 1)] = 1.0
    return np.linalg.eigvals(C), flip, degenerate


def _all_roots_real(U: npt.NDArray[np.float64]) -> npt.NDArray[np.int8]:
    """Per row (a binary form, x^k first): 1 when it has k distinct real roots on the projective
    line, 0 when it has a non-real one, -1 when too close to tell (real roots of f(t, 1) and of
    f(1, t) are the same points)."""
    if not len(U):
        return np.zeros(0, dtype=np.int8)
    roots, _, degenerate = _roots(U)
    scale = 1.0 + np.abs(roots)
    imag = np.abs(roots.imag) / scale
    complex_root = (imag > COMPLEX_ROOT).any(axis=1)
    real = (imag <= REAL_ROOT).all(axis=1)
    r = np.sort(roots.real, axis=1)
    gap = (np.diff(r, axis=1) / (1.0 + np.abs(r[:, 1:]))).min(axis=1, initial=np.inf)
    out = np.where(complex_root, 0, np.where(real & (gap > DISTINCT), 1, -1)).astype(np.int8)
    out[degenerate] = -1
    return out


def _apolar_space(U: npt.NDArray[np.float64], h: int) -> npt.NDArray[np.float64]:
    """Per row of U (a binary form of degree k, x^k first, 2h >= k + 1), a basis (B, 2h - k, h + 1)
    of the forms g of degree h apolar to it (X^h first): the solutions of the Hankel equations
    sum_i g_i a_(i+m) = 0, m = 0..k-h, with f = sum a_j binom(k, j) x^(k-j) y^j; NaNs where
    those equations have no clear rank k - h + 1."""
    k = U.shape[1] - 1
    a = U / np.array([comb(k, j) for j in range(k + 1)], dtype=np.float64)
    rows = k - h + 1
    H = np.stack([a[:, m : m + h + 1] for m in range(rows)], axis=1)  # (B, rows, h + 1)
    _, sv, Vt = np.linalg.svd(H)
    G = Vt[:, rows:, :].copy()
    G[sv[:, -1] <= RANK_GAP * sv[:, 0]] = np.nan
    return G


def _apolar_form(U: npt.NDArray[np.float64], h: int) -> npt.NDArray[np.float64]:
    """The form of degree h apolar to each row of U (k = 2h - 1), unit norm, NaNs if unclear."""
    return _apolar_space(U, h)[:, 0, :]


def _products(P: npt.NDArray[np.float64], Q: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Row-wise products of binary forms (coefficient rows, X first), for all rows at once."""
    out = np.zeros((len(P), P.shape[1] + Q.shape[1] - 1))
    for j in range(Q.shape[1]):
        out[:, j : j + P.shape[1]] += P * Q[:, j : j + 1]
    return out


def _pencil_has_hyperbolic(G1: npt.NDArray[np.float64], G2: npt.NDArray[np.float64]) -> npt.NDArray[np.int8]:
    """Per row: 1 when some member cos(psi) G1 + sin(psi) G2 of the pencil of binary forms of
    degree h has h distinct real roots, 0 when none has, -1 when too close to tell. A member is
    tested between each two consecutive psi where a member has a real double root p (a real root
    of the Jacobian J = G1_X G2_Y - G1_Y G2_X, where cos(psi) G1(p) + sin(psi) G2(p) = 0)."""
    B, n = G1.shape
    h = n - 1
    if h < 2 or not B:
        return np.ones(B, dtype=np.int8)  # linear forms: one real root each
    # X- and Y-derivatives of forms with X^h first: coefficient of X^(h-1-i) Y^i
    i = np.arange(h)
    dX1, dY1 = G1[:, :-1] * (h - i), G1[:, 1:] * (i + 1)
    dX2, dY2 = G2[:, :-1] * (h - i), G2[:, 1:] * (i + 1)
    J = _products(dX1, dY2) - _products(dY1, dX2)  # degree 2h - 2, X first
    roots, flip, degenerate = _roots(J)
    scale = 1.0 + np.abs(roots)
    imag = np.abs(roots.imag) / scale
    unclear = ((imag > REAL_ROOT) & (imag <= COMPLEX_ROOT)).any(axis=1) | degenerate
    real = imag <= REAL_ROOT
    # the points p = (X, Y) of the real roots
    t = roots.real
    X, Y = np.where(flip[:, None], 1.0, t), np.where(flip[:, None], t, 1.0)
    powers = np.arange(h, -1, -1)

    def value(G: np.ndarray) -> np.ndarray:
        return (G[:, None, :] * X[:, :, None] ** powers * Y[:, :, None] ** (h - powers)).sum(axis=2)

    psi = np.mod(np.arctan2(-value(G1), value(G2)), np.pi)
    psi = np.where(real, psi, np.nan)
    psi = np.sort(psi, axis=1)  # NaNs last
    count = real.sum(axis=1)
    # members at the midpoints of the arcs between consecutive critical psi (cyclic, mod pi)
    m = psi.shape[1]
    nxt = np.where(np.arange(m)[None, :] + 1 < count[:, None], np.roll(psi, -1, axis=1), psi[:, :1] + np.pi)
    mid = np.where(np.arange(m)[None, :] < count[:, None], (psi + nxt) / 2, np.nan)
    mid[count == 0, 0] = 0.0  # no critical member: every member has the same real roots
    members = np.cos(mid)[:, :, None] * G1[:, None, :] + np.sin(mid)[:, :, None] * G2[:, None, :]
    tested = ~np.isnan(mid)
    verdict = np.full(mid.shape, 0, dtype=np.int8)
    verdict[tested] = _all_roots_real(members[tested])
    witness = ((verdict == 1) & tested).any(axis=1)
    sure_none = ~((verdict == -1) & tested).any(axis=1) & ~unclear
    return np.where(witness, 1, np.where(sure_none, 0, -1)).astype(np.int8)


def _one_input_with_biases(net: object) -> tuple[int, int] | None:
    """(k, h) of (1, h, 1) with c z^k and biases, else None."""
    if not isinstance(net, PolynomialNetwork) or net.widths[0] != 1 or len(net.widths) != 3 or net.widths[2] != 1 or not net.bias:
        return None
    degrees = np.flatnonzero(np.asarray(net.activation))
    if len(degrees) != 1 or degrees[0] < 2:
        return None
    return int(degrees[0]), net.widths[1]


def derivative_rank_available(net: object, dim: int) -> str | None:
    """Why the derivative's real rank does not decide the edge of ``net``, or None."""
    shape = _one_input_with_biases(net)
    if shape is None:
        return "the derivative's real rank decides the edge of one input with biases (widths (1, h, 1)) only"
    k, h = shape
    if dim != net.ambient_dim:  # type: ignore[attr-defined]
        return f"{net.spec}: M does not fill the polynomials of degree {k}"  # type: ignore[attr-defined]
    if h >= k - 1:
        return f"{net.spec}: M fills the space (h >= k - 1)"  # type: ignore[attr-defined]
    return real_rank_available(PolynomialNetwork((2, h, 1), k - 1), k)


class DerivativeRealRank:
    """Is u outside M for one input with biases (the module's docstring)? As ``RealRank`` on
    the derivative."""

    def __init__(self, net: PolynomialNetwork) -> None:
        k, h = _one_input_with_biases(net)  # type: ignore[misc]
        self.k = k
        self.columns = np.asarray(net.monomials, dtype=np.int64)[:, 0]  # the power of x of each coefficient
        self.rank = RealRank(PolynomialNetwork((2, h, 1), k - 1))

    def derivative(self, U: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """f' as binary forms of degree k - 1 (x^(k-1) first): j u_j x^(j-1) y^(k-j)."""
        D = np.zeros((len(U), self.k))
        for col, j in enumerate(self.columns):
            if j >= 1:
                D[:, self.k - j] = j * np.asarray(U, dtype=np.float64)[:, col]
        return D

    def decide(self, U: npt.NDArray[np.float64], salt: int = 0) -> npt.NDArray[np.int8]:
        return self.rank.decide(self.derivative(U))


def derivative_real_rank(net: Any, seed: int, cache: dict[str, Any]) -> DerivativeRealRank:
    if "derivative_real_rank" not in cache:
        cache["derivative_real_rank"] = DerivativeRealRank(net)
    return cache["derivative_real_rank"]


def waring_membership(net: PolynomialNetwork, f: npt.NDArray[np.float64], tol: float) -> bool | None:
    """Is f in the real neuromanifold of one hidden layer with c z^k and one output, no biases
    (the real forms of real Waring rank <= h)? None where that is not decided here. Quadratic
    forms: the rank of their symmetric matrix (any signature); binary forms: real rank as in
    ``RealRank`` (forms too close to one with a multiple root raise ValueError)."""
    if derivative_rank_available(net, net.ambient_dim) is None:
        decision = DerivativeRealRank(net).decide(f[None, :])[0]
        if decision < 0:
            raise ValueError(f"{net.spec}: the derivative of f is too close to a form with a multiple root to decide its real rank")
        return bool(decision == 0)
    w = net.widths
    degrees = np.flatnonzero(np.asarray(net.activation))
    if len(w) != 3 or w[2] != 1 or net.bias or len(degrees) != 1 or degrees[0] < 2:
        return None
    k, h = int(degrees[0]), w[1]
    if k == 2:
        lam = np.abs(np.linalg.eigvalsh(quadratic_forms(net, f[None, :])[0, 0]))
        return bool((lam > tol * max(lam.max(initial=0.0), 1e-300)).sum() <= h)
    if w[0] != 2 or 2 * h < k + 1 or real_rank_available(net, net.ambient_dim) is not None:
        return None
    a = f / np.array([comb(k, j) for j in range(k + 1)], dtype=np.float64)
    sv = np.linalg.svd(np.stack([a[:-1], a[1:]]), compute_uv=False)
    if sv[1] <= tol * max(sv[0], 1e-300):
        return True  # c l^k (a Hankel matrix of rank <= 1), one neuron: a multiple root, yet in M
    decision = RealRank(net).decide(f[None, :])[0]
    if decision < 0:
        raise ValueError(f"{net.spec}: f is too close to a binary form with a multiple root to decide its real rank")
    return bool(decision == 0)


def real_rank(net: Any, seed: int, cache: dict[str, Any]) -> RealRank:
    if "real_rank" not in cache:
        cache["real_rank"] = RealRank(net)
    return cache["real_rank"]
