"""Dimensions of neuromanifolds: Jacobian ranks, numerically and exactly over a prime field."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _validate as v
from ._voronoi_relu import one_layer_dimension
from .architectures import Network, ReLUNetwork
from .evaluation import NeuromanifoldAt, kinks_among_points


@dataclass(frozen=True)
class DimensionReport:
    """Dimension of a neuromanifold M = mu(R^N) in its ambient space R^A.

    ``dim`` is the numerical rank of D mu at random real parameters, resting on the singular-value
    ``gap`` s[dim-1]/s[dim]; ``exact_rank`` is the rank modulo ``prime`` at random parameters, a
    certified lower bound; ``expected`` = min(N - dim of the symmetry orbits, A) is an upper bound.
    ``certified`` means the two bounds meet. ``filling`` answers whether the *real* neuromanifold is
    all of R^A (None where that is not decided); ``complex_filling`` is dim == A.
    """

    dim: int
    gap: float
    exact_rank: int
    expected: int
    ambient: int
    n_params: int
    fiber_dim: int
    filling: bool | None
    complex_filling: bool
    defect: int
    certified: bool
    prime: int
    singular_values: npt.NDArray[np.float64] = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (an infinite gap, at full rank, becomes None)."""
        d = asdict(self)
        d["singular_values"] = [float(s) for s in self.singular_values]
        d["gap"] = None if math.isinf(self.gap) else float(self.gap)
        return d

    def __str__(self) -> str:
        gap = "full rank" if math.isinf(self.gap) else f"gap {self.gap:.3g}"
        filling = {True: "yes", False: "no", None: "undecided over the reals"}[self.filling]
        lines = [
            f"dimension        {self.dim}   (numerical Jacobian rank, {gap})",
            f"exact rank       {self.exact_rank}   (mod {self.prime}: certified lower bound)",
            f"expected         {self.expected}   (parameters minus symmetries, at most the ambient dimension)",
            f"defect           {self.defect}",
            f"certified        {'yes' if self.certified else 'no'}",
            f"ambient          {self.ambient}",
            f"parameters       {self.n_params}",
            f"fiber dimension  {self.fiber_dim}",
            f"filling          {filling} (complex: {'yes' if self.complex_filling else 'no'})",
        ]
        return "\n".join(lines)


def dimension(net: Network, seed: int = 0) -> DimensionReport:
    """Dimension report of the neuromanifold of ``net``.

    >>> import neuromanifold as nm
    >>> r = nm.dimension(nm.PolynomialNetwork((3, 2, 1), activation=2))
    >>> (r.dim, r.expected, r.defect)
    (5, 6, 1)
    """
    if isinstance(net, ReLUNetwork):
        raise TypeError("ReLU networks are not algebraic; use functional_dimension(net, X)")
    if not isinstance(net, Network):
        raise TypeError(f"expected a network architecture, got {type(net).__name__}")
    d = net._core.dimension(v.nonnegative_int(seed, "seed"))
    return DimensionReport(**d)


def functional_dimension(
    net: Network | ReLUNetwork,
    X: object,
    theta: object | None = None,
    seed: int = 0,
    trials: int = 10,
) -> int:
    """Rank of the Jacobian of theta -> f_theta(X) at the input points X (columns).

    With ``theta`` None, the maximum over ``trials`` random parameter draws (for ReLU networks the
    rank depends on the activation pattern, and the generic value is the largest; with biases
    also over ``trials`` draws whose kinks lie among the input points, layer by layer). With one
    hidden layer it is exact: the largest rank over the open cells of the neurons'
    arrangement of the inputs (``_voronoi_relu.one_layer_dimension``).
    """
    seed = v.nonnegative_int(seed, "seed")
    trials = v.positive_int(trials, "trials")
    if theta is not None:
        thetas = [theta]
    else:
        if isinstance(net, ReLUNetwork):
            # one hidden layer: the largest rank over the open cells, exactly
            exact = one_layer_dimension(NeuromanifoldAt(net, X))
            if exact is not None:
                return exact
        thetas = list(net.random_params(trials, seed))
        if isinstance(net, ReLUNetwork) and net.bias:
            thetas += list(_kinks_among_points(net, v.points(X, net.n_inputs), trials, seed))
    best = 0
    for t in thetas:
        if isinstance(net, ReLUNetwork):
            j = net.jacobian(t, X)
        elif isinstance(net, Network):
            x = v.points(X, net.n_inputs)
            # f(x_p)_o = sum_m mu[o*M+m] x_p^e_m: chain rule through the monomial values
            mono = np.prod(x.T[:, None, :] ** net.monomials[None, :, :], axis=2)  # (n_points, M)
            jm = net.jacobian(t).reshape(net.n_outputs, mono.shape[1], net.n_params)
            j = np.einsum("pm,omk->opk", mono, jm)
        else:
            raise TypeError(f"expected a network architecture, got {type(net).__name__}")
        j = j.reshape(-1, j.shape[-1])
        best = max(best, int(np.linalg.matrix_rank(j)))
    return best


def _kinks_among_points(net: ReLUNetwork, X: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Random parameters (n, N) whose hidden units have their kinks among the input points X
    (d_0, K), layer by layer: each bias puts the unit's zero at an input's pre-activation or
    between two. Standard normal parameters often leave a kink outside the data, where the
    unit is affine or dead at every point and the rank is below the generic one."""
    rng = np.random.default_rng([seed, 0x4B1])
    thetas = net.random_params(n, seed + 1).copy()
    widths = net.widths
    for theta in thetas:
        A, at = X, 0
        for layer in range(len(widths) - 1):
            d_in, d_out = widths[layer], widths[layer + 1]
            W = theta[at : at + d_out * d_in].reshape(d_out, d_in)
            at += d_out * d_in
            if layer < len(widths) - 2:
                Z = W @ A  # (d_out, K) before the bias
                theta[at : at + d_out] = kinks_among_points(Z, rng)
                A = np.maximum(Z + theta[at : at + d_out, None], 0.0)
            at += d_out
    return thetas
