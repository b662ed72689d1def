"""The neuromanifold of a ReLU network at input points: theta -> f_theta(X) in R^(d_L x n).

A ReLU network is piecewise linear, not algebraic, so its function space is seen through its
values at finitely many inputs (as for the functional dimension). The image is a semi-algebraic
set, a finite union of images of polynomial maps (one per activation pattern); its strata are
the subnetworks (a hidden neuron switched off, recursively) and, with biases, the constant
functions (a hidden layer switched off, or dead on every input point).
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

from . import _validate as v
from .architectures import ReLUNetwork, Subnetwork


class NeuromanifoldAt:
    """``{f_theta(X) : theta}`` for a ReLU network and input points X (columns, shape
    (d_0, n)); its coordinates are the values f_theta(X)[o, p], row-major (A = d_L n)."""

    def __init__(self, net: ReLUNetwork, X: object) -> None:
        if not isinstance(net, ReLUNetwork):
            raise TypeError(
                f"NeuromanifoldAt takes a ReLUNetwork, got {type(net).__name__} (an algebraic network is its own "
                "neuromanifold in coefficient space: pass it directly)"
            )
        x = np.ascontiguousarray(v.points(X, net.n_inputs), dtype=np.float64)
        if x.shape[1] == 0:
            raise ValueError("X must hold at least one input point")
        x.flags.writeable = False
        self.net = net
        self.X = x

    @property
    def spec(self) -> str:
        return self.net.spec

    @property
    def widths(self) -> tuple[int, ...]:
        return self.net.widths

    @property
    def n_params(self) -> int:
        return self.net.n_params

    @property
    def n_points(self) -> int:
        return int(self.X.shape[1])

    @property
    def ambient_dim(self) -> int:
        return self.net.n_outputs * self.n_points

    @property
    def description(self) -> str:
        digest = hashlib.sha256(self.X.tobytes() + str(self.X.shape).encode()).hexdigest()[:12]
        return f"{self.spec} at {self.n_points} input points (sha256 {digest})"

    def random_params(self, n: int | None = None, seed: int = 0) -> npt.NDArray[np.float64]:
        return self.net.random_params(n, seed)

    def mu(self, theta: object) -> npt.NDArray[np.float64]:
        """The values f_theta(X), flattened: (A,) or (B, A)."""
        out = self.net.evaluate(theta, self.X)
        return out.reshape(out.shape[:-2] + (-1,))

    def jacobian(self, theta: object) -> npt.NDArray[np.float64]:
        """D mu: (A, N) or (B, A, N)."""
        out = self.net.jacobian(theta, self.X)
        return out.reshape(out.shape[:-3] + (self.ambient_dim, self.n_params))

    def dim(self, seed: int = 0) -> int:
        """The functional dimension at X: the generic rank of D mu (largest over random draws)."""
        from .dimension import functional_dimension

        return functional_dimension(self.net, self.X, seed=seed)

    def subnetworks(self, seed: int = 0) -> list[Subnetwork]:
        """One hidden neuron switched off per hidden layer of width >= 2 (by symmetry any neuron
        gives the same stratum), each seen at the same points."""
        out = []
        for layer, widths, embedding in self.net._core.subnetworks():
            sub = NeuromanifoldAt(ReLUNetwork(widths, bias=self.net.bias), self.X)
            out.append(
                Subnetwork(
                    description=f"hidden layer {layer} with one neuron switched off",
                    network=sub,  # type: ignore[arg-type]
                    embedding=np.asarray(embedding, dtype=np.int64),
                    parent=self,  # type: ignore[arg-type]
                    dim=sub.dim(seed),
                )
            )
        return out

    def constants(self) -> npt.NDArray[np.int64] | None:
        """The output biases: with a hidden layer off (or dead at every point) the network is
        the constant b_L; None without biases (then that is the zero function)."""
        if not self.net.bias:
            return None
        return np.arange(self.n_params - self.net.n_outputs, self.n_params)

    def local_least_squares(self, support: npt.NDArray[np.int64], U: np.ndarray, starts: np.ndarray, iterations: int) -> tuple[np.ndarray, np.ndarray]:
        """Levenberg-Marquardt on |f_theta(X) - u|^2 over ``support`` from starts (B, K, N) in
        the core: best squared distance (B,) and its parameters (B, N)."""
        return self.net._core.local_least_squares(
            [int(i) for i in support], self.X, np.ascontiguousarray(U, dtype=np.float64), np.ascontiguousarray(starts, dtype=np.float64), iterations
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NeuromanifoldAt) and other.net == self.net and np.array_equal(other.X, self.X)

    def __hash__(self) -> int:
        return hash((self.spec, self.X.tobytes()))

    def __repr__(self) -> str:
        return f"<NeuromanifoldAt {self.description}: N={self.n_params}, A={self.ambient_dim}>"


def kinks_among_points(Z: npt.NDArray[np.float64], rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """Biases (rows,) that put the zero of each unit, whose pre-activations without bias at the
    input points are the rows of Z (rows, K), at an input (half of them) or at a random point
    between two: standard normal biases mostly leave the kink outside the data, where the unit
    is affine or dead at every input."""
    rows = np.arange(Z.shape[0])
    p, q = rng.integers(0, Z.shape[1], (2, Z.shape[0]))
    lam = np.where(rng.random(Z.shape[0]) < 0.5, 1.0, rng.random(Z.shape[0]))
    return np.asarray(-(lam * Z[rows, p] + (1 - lam) * Z[rows, q]), dtype=np.float64)
