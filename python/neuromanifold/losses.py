"""Losses on the space of functions: quadratic functions l(m) = m^T Q m - 2 b^T m + c of the
coefficient vector m = mu(theta). The loss of a network is L = l o mu."""

from __future__ import annotations

from typing import Union

import numpy as np
import numpy.typing as npt

from . import _validate as v
from .architectures import Network

__all__ = ["DistanceLoss", "Loss", "SquaredError", "generic_weights"]

WEIGHT_RANGE = (0.1, 1.0)


def _finite(array: object, name: str) -> npt.NDArray[np.float64]:
    arr = v.real(array, name)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity")
    return arr


def generic_weights(size: int, seed: int) -> npt.NDArray[np.float64]:
    """Random positive weights, uniform on [0.1, 1), for a generic (perturbed) Euclidean distance."""
    return np.random.default_rng([v.nonnegative_int(seed, "seed"), 0x57]).uniform(*WEIGHT_RANGE, size)


class Loss:
    """A quadratic loss on the ambient space R^A of a network's functions."""

    def quadratic(self, net: Network) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], float]:
        """(Q, b, c) with l(m) = m^T Q m - 2 b^T m + c; Q is symmetric positive semidefinite."""
        raise NotImplementedError

    def diagonal(self, net: Network) -> npt.NDArray[np.float64] | None:
        """The weights when Q is diagonal, else None."""
        Q, _, _ = self.quadratic(net)
        d = np.diag(Q).copy()
        return d if np.array_equal(Q, np.diag(d)) else None

    def value(self, net: Network, theta: object) -> float | npt.NDArray[np.float64]:
        """L(theta) = l(mu(theta)); batched over rows of theta."""
        Q, b, c = self.quadratic(net)
        m = net.mu(theta)
        return np.einsum("...i,ij,...j->...", m, Q, m) - 2 * m @ b + c

    def function_gradient(self, net: Network, m: npt.ArrayLike) -> np.ndarray:
        """grad l at m: 2 (Q m - b)."""
        Q, b, _ = self.quadratic(net)
        return 2 * (np.asarray(m) @ Q - b)

    def gradient(self, net: Network, theta: object) -> np.ndarray:
        """grad L(theta) = D mu^T grad l, at one parameter vector."""
        return net.jacobian(theta).T @ self.function_gradient(net, net.mu(theta))

    def hessian(self, net: Network, theta: object) -> npt.NDArray[np.float64]:
        """Exact Hessian of L at one real theta: D mu^T (2Q) D mu + sum_a (grad l)_a Hess mu_a."""
        Q, _, _ = self.quadratic(net)
        J = net.jacobian(theta)
        g = self.function_gradient(net, net.mu(theta))
        return 2 * J.T @ Q @ J + np.einsum("a,aij->ij", g, net.hessian(theta))


class DistanceLoss(Loss):
    """l(m) = sum_i w_i (m_i - u_i)^2: the (weighted) squared Euclidean distance to a target u.

    ``weights`` is None (the plain Euclidean distance), an array of positive weights, or
    ``"generic"`` for random positive weights drawn from ``seed``.
    """

    def __init__(self, target: npt.ArrayLike, weights: Union[None, str, npt.ArrayLike] = None, seed: int = 0) -> None:
        u = _finite(target, "target").reshape(-1)
        if u.size == 0:
            raise ValueError("the target is empty")
        self.target = u
        if weights is None:
            w = np.ones_like(u)
        elif isinstance(weights, str):
            if weights != "generic":
                raise ValueError(f"weights must be None, an array or 'generic', got {weights!r}")
            w = generic_weights(u.size, seed)
        else:
            w = _finite(weights, "weights").reshape(-1)
            if w.shape != u.shape:
                raise ValueError(f"weights have {w.size} entries but the target has {u.size}")
            if not (w > 0).all():
                raise ValueError("weights must be positive")
        self.weights = w
        self.plain = weights is None

    def _check(self, net: Network) -> None:
        if self.target.size != net.ambient_dim:
            raise ValueError(
                f"the target has {self.target.size} entries but the network's functions live in "
                f"dimension {net.ambient_dim}"
            )

    def quadratic(self, net: Network) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], float]:
        self._check(net)
        w, u = self.weights, self.target
        return np.diag(w), w * u, float(w @ u**2)

    def diagonal(self, net: Network) -> npt.NDArray[np.float64]:
        self._check(net)
        return self.weights

    def __repr__(self) -> str:
        kind = "euclidean" if self.plain else "weighted"
        return f"DistanceLoss({kind}, A={self.target.size})"


class SquaredError(Loss):
    """l(f) = sum_j |f(x_j) - y_j|^2 over the samples (columns) of X (n_inputs, n) and Y (n_outputs, n)."""

    def __init__(self, X: npt.ArrayLike, Y: npt.ArrayLike) -> None:
        x = _finite(X, "X")
        y = _finite(Y, "Y")
        if x.ndim != 2 or y.ndim != 2:
            raise ValueError(f"X and Y must be matrices whose columns are samples, got shapes {x.shape} and {y.shape}")
        if x.shape[1] != y.shape[1]:
            raise ValueError(f"X has {x.shape[1]} samples but Y has {y.shape[1]}")
        if x.shape[1] == 0:
            raise ValueError("no samples")
        self.X, self.Y = x, y

    def quadratic(self, net: Network) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], float]:
        if self.X.shape[0] != net.n_inputs or self.Y.shape[0] != net.n_outputs:
            raise ValueError(
                f"the network maps R^{net.n_inputs} -> R^{net.n_outputs}, but X has {self.X.shape[0]} rows "
                f"and Y has {self.Y.shape[0]}"
            )
        # f_o(x) = sum_k m[o*K + k] x^e_k: evaluation rows of the monomial basis at the samples
        V = np.prod(self.X.T[:, None, :] ** net.monomials[None, :, :], axis=2).T  # (K, n)
        Q = np.kron(np.eye(net.n_outputs), V @ V.T)
        b = (self.Y @ V.T).reshape(-1)
        return Q, b, float((self.Y**2).sum())

    def __repr__(self) -> str:
        return f"SquaredError({self.X.shape[1]} samples)"
