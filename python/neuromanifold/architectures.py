"""Network architectures: each a parametrization mu from parameters to the coefficients of
the network's function in a fixed monomial basis; its image is the neuromanifold."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import numpy.typing as npt

from . import _core
from . import _validate as v

__all__ = [
    "Network",
    "LinearNetwork",
    "PolynomialNetwork",
    "ConvNetwork",
    "LightningAttention",
    "ResidualLinearNetwork",
    "ReLUNetwork",
    "Subnetwork",
]


@dataclass(frozen=True)
class Subnetwork:
    """A smaller architecture inside a network (a neuron, filter tap or layer switched off).

    Its image ``parent.mu(embed(theta))`` is a candidate singular stratum of the parent's
    neuromanifold; ``dim`` is the dimension of that stratum in the parent's ambient space.
    """

    description: str
    network: "Network"
    embedding: npt.NDArray[np.int64] = field(repr=False)
    parent: "Network" = field(repr=False)
    dim: int

    def embed(self, theta_sub: object) -> np.ndarray:
        """Parent parameters (zero where switched off) of subnetwork parameters (N_sub,) or (B, N_sub)."""
        arr, single = v.params(theta_sub, len(self.embedding))
        out = np.zeros((arr.shape[0], self.parent.n_params), dtype=arr.dtype)
        out[:, self.embedding] = arr
        return out[0] if single else out


class _Parametrized:
    """What algebraic and ReLU architectures share: sizes and random parameters."""

    _core: Any

    @property
    def spec(self) -> str:
        """The compact text specification (see :func:`neuromanifold.parse`)."""
        return self._core.spec

    @property
    def n_params(self) -> int:
        """N, the number of parameters."""
        return self._core.n_params

    @property
    def n_inputs(self) -> int:
        return self._core.n_inputs

    @property
    def n_outputs(self) -> int:
        return self._core.n_outputs

    def random_params(self, n: int | None = None, seed: int = 0) -> npt.NDArray[np.float64]:
        """Standard normal parameters: shape (N,) or (n, N)."""
        seed = v.nonnegative_int(seed, "seed")
        if n is None:
            return self._core.random_params(1, seed)[0]
        return self._core.random_params(v.nonnegative_int(n, "n"), seed)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec}: N={self.n_params}>"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.spec == self.spec  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self.spec)


class Network(_Parametrized):
    """Base class of algebraic architectures.

    Parameters are laid out layer by layer, each weight matrix row-major, then its bias.
    ``mu(theta)[o * M + m]`` is the coefficient of monomial ``monomials[m]`` in output ``o``.
    """

    _core: _core.Network

    def __init__(self, core: _core.Network) -> None:
        self._core = core

    # -- sizes -------------------------------------------------------------------------
    @property
    def ambient_dim(self) -> int:
        """A = n_outputs * len(monomials), the dimension of the space of functions mu lands in."""
        return self._core.ambient_dim

    @property
    def monomials(self) -> npt.NDArray[np.int64]:
        """Exponent vectors (M, n_inputs) of the basis: by degree, then lexicographically descending."""
        return self._core.monomials()

    @property
    def symmetry_dim(self) -> int:
        """Dimension of a generic orbit of the known continuous symmetries."""
        return self._core.symmetry_dim

    @property
    def symmetries(self) -> list[str]:
        """The known symmetries of the parametrization, in words."""
        return self._core.symmetries()

    @property
    def expected_dim(self) -> int:
        """min(N - symmetry_dim, A): an upper bound for the dimension of the neuromanifold."""
        return self._core.expected_dim

    # -- parametrization ---------------------------------------------------------------
    def mu(self, theta: object) -> np.ndarray:
        """Coefficients of f_theta: (N,) -> (A,), (B, N) -> (B, A); float64 or complex128."""
        arr, single = v.params(theta, self.n_params)
        out = self._core.mu_complex(arr) if arr.dtype.kind == "c" else self._core.mu(arr)
        return out[0] if single else out

    def jacobian(self, theta: object) -> np.ndarray:
        """Jacobian of mu: (N,) -> (A, N), (B, N) -> (B, A, N); float64 or complex128."""
        arr, single = v.params(theta, self.n_params)
        out = self._core.jacobian_complex(arr) if arr.dtype.kind == "c" else self._core.jacobian(arr)
        return out[0] if single else out

    def hessian(self, theta: object) -> npt.NDArray[np.float64]:
        """Exact second derivatives of mu at one real theta: (A, N, N), entry [a, i, j] is
        d^2 mu_a / d theta_i d theta_j."""
        arr, single = v.params(theta, self.n_params)
        if not single or arr.dtype.kind == "c":
            raise ValueError("hessian takes one real parameter vector of shape (N,)")
        return self._core.hessian(arr[0])

    def evaluate(self, theta: object, X: object) -> npt.NDArray[np.float64]:
        """f_theta at the columns of X (n_inputs, n_points): (n_outputs, n_points), batched over theta."""
        arr, single = v.params(theta, self.n_params)
        if arr.dtype.kind == "c":
            raise TypeError("evaluate takes real parameters")
        x = v.points(X, self.n_inputs)
        out = self._core.evaluate(arr, x)
        return out[0] if single else out

    def jacobian_rank(self, theta: object) -> int:
        """Numerical rank of D mu at theta (a drop below dim M marks a singular point)."""
        arr, single = v.params(theta, self.n_params)
        if not single or arr.dtype.kind == "c":
            raise ValueError("jacobian_rank takes one real parameter vector of shape (N,)")
        return self._core.jacobian_rank(arr[0])[0]

    def contains(self, f: object, tol: float = 1e-8) -> bool:
        """Is the real coefficient vector f (shape (A,)) a point of the real neuromanifold?

        Decided by rank for linear networks, always true for residual linear networks, by
        counting the real roots of the end-to-end filter for linear convolutions of stride 1, and
        by real Waring rank for one hidden layer with z^k and one output without biases: quadratic
        forms by the rank of their matrix, binary forms of degree k by their roots when
        h >= k - 1 (a form with k distinct real roots has real rank k) and by their apolar forms
        when 2h = k + 1 or k + 2 (Sylvester; ValueError for a binary form too close to one with a
        multiple root), on one input with biases and 2h in (k, k + 1) by the real rank of the
        derivative, and for one hidden layer with z^2 and two outputs (pencils of quadratic
        forms) by the pencil's eigenvalues with d0 neurons and no biases, with biases and d0 + 1
        neurons on three to sixteen inputs by the tangents' cofactors (the best shift of the constant
        terms), by building a preimage with d + 1 neurons or more, and for ternary cubics (z^3, one output, three inputs
        or two with biases) with four neurons or more by building four real cubes (ValueError
        too close to a singular cubic) and with three neurons and biases by the real base points
        of the pencil of conics through the constant's point; for z^2 on quadratic forms in three
        variables by the real base points of the pencil of conics orthogonal to the outputs
        ((3, 4, 4), or (2, 3, 3) with biases) and by building a preimage ((3, h >= 4, 3));
        otherwise, where M has the ambient dimension and the boundary target of ``voronoi_mc``
        has an exact decider (hyperplanes of powers, real membership by homotopy), by that
        decider (data in M are off the edge), and for the hyperplane of powers with more outputs
        by checking first that the outputs lie in a hyperplane.
        Raises NotImplementedError for other architectures.
        """
        arr = v.real(f, "f")
        if arr.shape != (self.ambient_dim,):
            raise ValueError(f"f must have shape ({self.ambient_dim},), got {arr.shape}")
        if not np.isfinite(arr).all():
            raise ValueError("f must be finite (it has NaN or infinite coefficients)")
        decided = self._membership(arr, float(tol))
        return decided if decided is not None else self._core.contains(arr, float(tol))

    def _membership(self, f: npt.NDArray[np.float64], tol: float) -> bool | None:
        """Membership decided in Python for this architecture, or None (then the core's)."""
        return None

    def subnetworks(self, seed: int = 0) -> list[Subnetwork]:
        """Subnetworks with one hidden neuron / filter tap / head dimension / layer switched off."""
        from .spec import from_description

        out = []
        for description, family, kwargs, embedding in self._core.subnetworks():
            dim = self._core.stratum_dimension(embedding, v.nonnegative_int(seed, "seed"))
            out.append(
                Subnetwork(
                    description=description,
                    network=from_description(family, kwargs),
                    embedding=np.asarray(embedding, dtype=np.int64),
                    parent=self,
                    dim=dim,
                )
            )
        return out

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec}: N={self.n_params}, A={self.ambient_dim}>"


class LinearNetwork(Network):
    """x -> W_L ... W_1 x with W_i of shape (d_i, d_{i-1}); mu is the row-major product matrix.

    The neuromanifold is the determinantal variety of d_L x d_0 matrices of rank <= min(widths).
    """

    def __init__(self, widths: Sequence[int]) -> None:
        self.widths = v.int_tuple(widths, "widths", 2)
        super().__init__(_core.Network.linear(list(self.widths)))


class PolynomialNetwork(Network):
    """x -> W_L s(... s(W_1 x + b_1) ...) + b_L with s applied entrywise after every layer but the last.

    ``activation`` is an int r (s(z) = z^r) or coefficients (a0, a1, ..., ak) of s(z) = sum a_k z^k.
    """

    def __init__(self, widths: Sequence[int], activation: int | Sequence[float] = 2, bias: bool = False) -> None:
        self.widths = v.int_tuple(widths, "widths", 2)
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"bias must be a bool, got {bias!r}")
        self.activation = v.activation_coefficients(activation)
        self.bias = bool(bias)
        super().__init__(_core.Network.polynomial(list(self.widths), list(self.activation), self.bias))

    def _membership(self, f: npt.NDArray[np.float64], tol: float) -> bool | None:
        from ._conic_pencils import conic_membership  # (they import this module)
        from ._ternary_cubics import ternary_cubic_membership
        from ._voronoi_pencils import pencil_membership
        from ._voronoi_real_rank import waring_membership

        from ._voronoi_networks import edge_membership

        for membership in (waring_membership, pencil_membership, ternary_cubic_membership, conic_membership, edge_membership):
            decided = membership(self, f, tol)
            if decided is not None:
                return decided
        return None


class ConvNetwork(Network):
    """1D convolutions y[j] = sum_m w[m] x[s j + m], one filter of width k_i and stride s_i per layer.

    The input is a signal of length ``n_inputs`` (the receptive field), the output one number.
    Without activation, mu is the end-to-end filter w_1(z) w_2(z^{s_1}) w_3(z^{s_1 s_2}) ...
    """

    def __init__(
        self,
        filters: Sequence[int],
        strides: int | Sequence[int] = 1,
        activation: int | Sequence[float] | None = None,
    ) -> None:
        self.filters = v.int_tuple(filters, "filters", 1)
        if isinstance(strides, (int, np.integer)) and not isinstance(strides, bool):
            self.strides = (v.positive_int(strides, "stride"),) * len(self.filters)
        else:
            self.strides = v.int_tuple(strides, "strides", 1)
        if len(self.strides) != len(self.filters):
            raise ValueError(f"{len(self.strides)} strides given for {len(self.filters)} filters")
        self.activation = None if activation is None else v.activation_coefficients(activation)
        super().__init__(
            _core.Network.conv(
                list(self.filters),
                list(self.strides),
                None if self.activation is None else list(self.activation),
            )
        )


class LightningAttention(Network):
    """X -> V X X^T K^T Q X with Q, K of shape (a, d), V of shape (d_out, d), X of shape (d, t).

    Parameters are Q, K, V, each row-major. Inputs are the entries of X (row-major), outputs those
    of the (d_out, t) result.
    """

    def __init__(self, d: int, d_out: int, a: int, t: int) -> None:
        self.d = v.positive_int(d, "d")
        self.d_out = v.positive_int(d_out, "d_out")
        self.a = v.positive_int(a, "a")
        self.t = v.positive_int(t, "t")
        super().__init__(_core.Network.attention(self.d, self.d_out, self.a, self.t))

    def evaluate(self, theta: object, X: object) -> npt.NDArray[np.float64]:
        """Also accepts X of shape (d, t) -> (d_out, t) and (n, d, t) -> (n, d_out, t)."""
        x = v.real(X, "X")
        if x.shape == (self.d, self.t) or (x.ndim == 3 and x.shape[1:] == (self.d, self.t)):
            stacked = x.reshape(-1, self.d * self.t).T  # columns are flattened X
            out = super().evaluate(theta, stacked)  # (..., d_out * t, n)
            out = np.moveaxis(out, -1, -2).reshape(out.shape[:-2] + (out.shape[-1], self.d_out, self.t))
            return out[..., 0, :, :] if x.ndim == 2 else out
        return super().evaluate(theta, X)


class ResidualLinearNetwork(Network):
    """x -> (I + W_L) ... (I + W_1) x with square W_i of size ``width``."""

    def __init__(self, width: int, layers: int) -> None:
        self.width = v.positive_int(width, "width")
        self.layers = v.positive_int(layers, "layers")
        super().__init__(_core.Network.residual(self.width, self.layers))


class ReLUNetwork(_Parametrized):
    """x -> W_L relu(... relu(W_1 x + b_1) ...) + b_L. Piecewise linear, not algebraic: it is studied
    through its values at input points (see :func:`neuromanifold.functional_dimension`)."""

    def __init__(self, widths: Sequence[int], bias: bool = True) -> None:
        self.widths = v.int_tuple(widths, "widths", 2)
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"bias must be a bool, got {bias!r}")
        self.bias = bool(bias)
        self._core = _core.ReluNetwork(list(self.widths), self.bias)

    def _each(self, theta: object, fn: Any) -> np.ndarray:
        arr, single = v.params(theta, self.n_params)
        if arr.dtype.kind == "c":
            raise TypeError("ReLU networks take real parameters")
        outs = [fn(t) for t in arr]
        return outs[0] if single else np.stack(outs)

    def evaluate(self, theta: object, X: object) -> npt.NDArray[np.float64]:
        """f_theta at the columns of X (d_0, n_points) -> (d_L, n_points); batched over theta."""
        x = v.points(X, self.n_inputs)
        return self._each(theta, lambda t: self._core.evaluate(t, x))

    def jacobian(self, theta: object, X: object) -> npt.NDArray[np.float64]:
        """Jacobian of theta -> f_theta(X): (d_L, n_points, N); batched over theta."""
        x = v.points(X, self.n_inputs)
        return self._each(theta, lambda t: self._core.jacobian(t, x))
