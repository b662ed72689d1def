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
when that g has h distinct real roots. Forms with a multiple root are a null set; samples too
close to one to tell are undecided.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from .architectures import PolynomialNetwork

REAL_ROOT = 1e-7  # relative imaginary part of a real root (eigenvalues near a double root err by ~1e-8)
COMPLEX_ROOT = 1e-6  # ... and of one that is surely not real; in between the sample is undecided
DISTINCT = 1e-6  # relative gap between real roots that are surely distinct
RANK_GAP = 1e-9  # relative: a smaller h-th singular value of the Hankel equations is no clear rank


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
    if h < k - 1 and 2 * h != k + 1:
        return f"{net.spec}: real rank {h} of binary forms of degree {k} has no root criterion here (only h >= k - 1 or 2h = k + 1)"
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
        # 2h = k + 1: in M exactly when the apolar form has h distinct real roots
        apolar = _apolar_form(U, self.h)
        clear = ~np.isnan(apolar).any(axis=1)
        out = np.full(len(U), -1, dtype=np.int8)
        inside = _all_roots_real(apolar[clear])
        out[clear] = np.where(inside < 0, -1, 1 - inside)
        return out


def _all_roots_real(U: npt.NDArray[np.float64]) -> npt.NDArray[np.int8]:
    """Per row (the coefficients of x^k, x^(k-1) y, ..., y^k): 1 when the form has k distinct
    real roots on the projective line, 0 when it has a non-real one, -1 when too close to tell.
    The form is dehomogenized at the end with the larger coefficient, so no root lies at
    infinity; real roots of f(t, 1) and of f(1, t) are the same points."""
    k = U.shape[1] - 1
    flip = np.abs(U[:, 0]) < np.abs(U[:, -1])
    P = np.where(flip[:, None], U[:, ::-1], U)  # highest power first
    # both end coefficients zero (a null set): roots at 0 and infinity, left undecided
    degenerate = P[:, 0] == 0
    P[degenerate] = np.eye(1, k + 1)[0] - np.eye(1, k + 1, k)[0]
    C = np.zeros((len(U), k, k))
    C[:, 0, :] = -P[:, 1:] / P[:, :1]
    C[:, np.arange(1, k), np.arange(k - 1)] = 1.0
    roots = np.linalg.eigvals(C)
    scale = 1.0 + np.abs(roots)
    imag = np.abs(roots.imag) / scale
    complex_root = (imag > COMPLEX_ROOT).any(axis=1)
    real = (imag <= REAL_ROOT).all(axis=1)
    r = np.sort(roots.real, axis=1)
    gap = (np.diff(r, axis=1) / (1.0 + np.abs(r[:, 1:]))).min(axis=1, initial=np.inf)
    out = np.where(complex_root, 0, np.where(real & (gap > DISTINCT), 1, -1)).astype(np.int8)
    out[degenerate] = -1
    return out


def _apolar_form(U: npt.NDArray[np.float64], h: int) -> npt.NDArray[np.float64]:
    """Per row of U (a binary form of degree k = 2h - 1, coefficients of x^k first), the form g of
    degree h apolar to it (coefficients of X^h first, unit norm), or NaNs where the Hankel
    equations sum_i g_i a_(i+m) = 0 have no clear one-dimensional solution space."""
    k = U.shape[1] - 1
    from math import comb

    a = U / np.array([comb(k, j) for j in range(k + 1)], dtype=np.float64)
    H = np.stack([a[:, m : m + h + 1] for m in range(k - h + 1)], axis=1)  # (B, k - h + 1, h + 1)
    _, sv, Vt = np.linalg.svd(H)
    g = Vt[:, -1, :]
    unclear = sv[:, -1] <= RANK_GAP * sv[:, 0]  # (k - h + 1 = h rows: sv[:, -1] is the last of h)
    g[unclear] = np.nan
    return g


def real_rank(net: Any, seed: int, cache: dict[str, Any]) -> RealRank:
    if "real_rank" not in cache:
        cache["real_rank"] = RealRank(net)
    return cache["real_rank"]
