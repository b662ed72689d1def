"""Pencils of quadratic forms as symmetric matrices: the outputs of one hidden layer with z^2,
their best conditioned members, real congruences diagonalizing them, and Gauss-Newton polishing
of their rank-one terms."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from .architectures import PolynomialNetwork

MEMBERS = 8  # members tried as the reference C (angles k pi / MEMBERS): the best conditioned is used


def quadratic_shape(net: object) -> tuple[int, int, int, bool] | None:
    """(d0, h, outputs, bias) of one hidden layer with c z^2, else None."""
    if not isinstance(net, PolynomialNetwork) or len(net.widths) != 3:
        return None
    if list(np.flatnonzero(np.asarray(net.activation))) != [2]:
        return None
    return net.widths[0], net.widths[1], net.widths[2], net.bias


def quadratic_forms(net: PolynomialNetwork, U: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The symmetric matrices (B, outputs, d, d) of coefficient vectors U (B, A): x^T S x, with
    biases in (x, 1) (the last variable is the constant 1)."""
    d0 = net.widths[0]
    d = d0 + int(net.bias)
    E = np.asarray(net.monomials, dtype=np.int64)
    if net.bias:
        E = np.column_stack([E, 2 - E.sum(axis=1)])
    U = np.asarray(U, dtype=np.float64).reshape(len(U), net.n_outputs, len(E))
    S = np.zeros((len(U), net.n_outputs, d, d))
    for col, e in enumerate(E):
        i = np.flatnonzero(e)
        if len(i) == 1:
            S[:, :, i[0], i[0]] = U[:, :, col]
        else:
            S[:, :, i[0], i[1]] = S[:, :, i[1], i[0]] = U[:, :, col] / 2
    return S


def reference_members(Q: npt.NDArray[np.float64]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For pencils Q (B, 2, d, d): the angle of the best conditioned of MEMBERS members, that
    member C, and its ratio of smallest to largest |eigenvalue|."""
    phi = np.arange(MEMBERS) * np.pi / MEMBERS
    members = np.cos(phi)[None, :, None, None] * Q[:, None, 0] + np.sin(phi)[None, :, None, None] * Q[:, None, 1]
    ev = np.abs(np.linalg.eigvalsh(members))
    ratio = ev.min(axis=2) / np.maximum(ev.max(axis=2), 1e-300)
    best = ratio.argmax(axis=1)
    rows = np.arange(len(Q))
    return phi[best], members[rows, best], ratio[rows, best]


def real_congruence(C: npt.NDArray[np.float64], B: npt.NDArray[np.float64]) -> npt.NDArray[np.float64] | None:
    """W with W^T C W and W^T B W diagonal when the eigenvalues of C^-1 B are real (C
    nonsingular, the pencil diagonalizable), else None. Eigenvectors of distinct eigenvalues are
    C-orthogonal; within a repeated one (B = lambda C there) C is diagonalized by eigh."""
    lam, V = np.linalg.eig(np.linalg.solve(C, B))
    if (np.abs(lam.imag) > 1e-9 * (1.0 + np.abs(lam))).any():
        return None
    order = np.argsort(lam.real)
    lam, V = lam.real[order], V.real[:, order]
    cuts = np.flatnonzero(np.diff(lam) > 1e-8 * (1.0 + np.abs(lam[1:]))) + 1
    columns = []
    for group in np.split(np.arange(len(lam)), cuts):
        basis = np.linalg.qr(V[:, group])[0]
        columns.append(basis @ np.linalg.eigh(basis.T @ C @ basis)[1])
    return np.hstack(columns)


def polished(terms: list[Any], target: npt.NDArray[np.float64]) -> tuple[float, list[Any]]:
    """Gauss-Newton steps on the terms ((a, b), w) of a pencil: sum_j (a_j, b_j) w_j w_j^T =
    target (2, d, d). A large rank-one update cancels digits, which a few steps restore. The
    largest residual and the terms."""
    d = target.shape[1]
    iu = np.triu_indices(d)
    K = np.array([np.asarray(c, dtype=np.float64) for c, _ in terms])  # (n, 2)
    W = np.array([np.asarray(w, dtype=np.float64) for _, w in terms])  # (n, d)

    def residual(K: np.ndarray, W: np.ndarray) -> np.ndarray:
        return (np.einsum("nc,ni,nj->cij", K, W, W) - target)[:, iu[0], iu[1]].ravel()

    r = residual(K, W)
    for _ in range(8):
        columns = []
        for j in range(len(K)):
            outer = np.outer(W[j], W[j])[iu]
            columns += [np.concatenate([outer, 0 * outer]), np.concatenate([0 * outer, outer])]
            for i in range(d):
                dw = np.zeros((d, d))
                dw[i] += W[j]
                dw[:, i] += W[j]
                columns.append(np.concatenate([K[j, 0] * dw[iu], K[j, 1] * dw[iu]]))
        step = np.linalg.lstsq(np.column_stack(columns), -r, rcond=None)[0].reshape(len(K), d + 2)
        K2, W2 = K + step[:, :2], W + step[:, 2:]
        r2 = residual(K2, W2)
        if not np.abs(r2).max() < np.abs(r).max():
            break
        K, W, r = K2, W2, r2
    return float(np.abs(r).max()), [((K[j, 0], K[j, 1]), W[j]) for j in range(len(K))]
