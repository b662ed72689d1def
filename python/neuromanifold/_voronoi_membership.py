"""The edge of a filling neuromanifold, decided by real membership.

When M has the ambient dimension A, data u in the real image M = mu(R^N) are their own nearest
points, and D mu has full rank there for almost all u (the critical values of mu are a null
set): not the edge. Data outside M have their nearest point on the boundary of its closure,
where D mu drops rank (a point of M where D mu has full rank is interior: mu is open there).
So the boundary target is hit exactly when u has no real preimage.

Preimages come from the square system mu(y) = u on a slice that fixes one incoming weight of
every hidden neuron at a random real value. With the activation z^k, rescaling a neuron's
incoming weights (and bias) by any real lambda != 0 and its outgoing weights by lambda^-k keeps
mu, so every real theta whose fixed weights are nonzero has a real point of the slice in its
fiber (the rest is a null set of M). When the neuron rescalings are the only symmetries and
N - (number of hidden neurons) = A, the slice meets the fibers in finitely many points: all
complex solutions come from a parameter homotopy from generic ones found once by monodromy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _polynomials as pl
from ._charts import Chart, _slice, _system
from .architectures import PolynomialNetwork
from .critical import Restarts, _distinct, _generic_solutions_twice, _separate, _to_targets
from .system import MonodromyResult, System

REAL = 1e-7  # imaginary part of a real solution, relative to each coordinate
COMPLEX = 1e-5  # ... and of one that is surely not real; in between the sample is undecided
SPARE_SLICES = 1  # more random slices for data with a lost path


def incoming_weights(widths: tuple[int, ...], bias: bool) -> list[int]:
    """One incoming weight of every hidden neuron of an MLP (polynomial or ReLU): the
    parameters are W_1, b_1, W_2, b_2, ..., each W_l row-major, one row per neuron of layer l."""
    out, offset = [], 0
    for layer in range(1, len(widths)):
        if layer < len(widths) - 1:
            out.extend(offset + i * widths[layer - 1] for i in range(widths[layer]))
        offset += widths[layer] * widths[layer - 1] + (widths[layer] if bias else 0)
    return out


def incoming_weight_point(
    net: PolynomialNetwork, rng: np.random.Generator, similar_sizes: bool = False
) -> tuple[npt.NDArray[np.float64], list[int]]:
    """The base point of the slice fixing one incoming weight of every hidden neuron (those at
    random real values, standard normal or, with ``similar_sizes``, 0.8 to 1.2 with random
    signs; the rest 0) and the fixed parameters."""
    fixed = incoming_weights(net.widths, net.bias)
    theta0 = np.zeros(net.n_params)
    if similar_sizes:
        theta0[fixed] = rng.uniform(0.8, 1.2, len(fixed)) * rng.choice([-1.0, 1.0], len(fixed))
    else:
        theta0[fixed] = rng.standard_normal(len(fixed))
    return theta0, fixed


def incoming_weight_slice(net: PolynomialNetwork, rng: np.random.Generator) -> tuple[Chart, npt.NDArray[np.float64], list[int]]:
    """The slice fixing one incoming weight of every hidden neuron at a random real value of
    similar size: its chart, base point and fixed parameters. Permuting two neurons on the slice
    rescales their outgoing weights by the k-th power of their fixed weights' ratio; with many
    neurons and a high power, standard normal values (ratios of 5 and more) spread one orbit's
    coordinates over orders of magnitude (output weights of 1e-4 and 1e6), where paths grew
    ill-conditioned: at one seed a sixth of the binary septics of four neurons were undecided,
    none with similar sizes."""
    theta0, fixed = incoming_weight_point(net, rng, similar_sizes=True)
    return _slice(net, theta0, np.setdiff1d(np.arange(net.n_params), fixed)), theta0, fixed


def membership_available(net: object, dim: int) -> str | None:
    """Why real membership does not decide the edge of ``net`` (of dimension ``dim``), or None."""
    if not isinstance(net, PolynomialNetwork):
        return "real membership decides the edge of polynomial MLPs only"
    degrees = np.flatnonzero(np.asarray(net.activation))
    if len(degrees) != 1 or degrees[0] < 2:
        return f"{net.spec}: the activation is no power z^k (k >= 2), so neurons have no real rescalings"
    hidden = sum(net.widths[1:-1])
    if dim != net.ambient_dim or net.n_params - hidden != dim or net.symmetry_dim != hidden:
        return f"{net.spec}: M is not filling with finite fibers up to the neuron rescalings"
    return None


@dataclass
class _Slice:
    system: System
    generic: MonodromyResult
    theta0: npt.NDArray[np.float64]
    restarts: Restarts = field(default_factory=Restarts)


def permuted_neurons(net: PolynomialNetwork, theta0: npt.NDArray[np.float64], Y: np.ndarray) -> np.ndarray:
    """The points Y of the slice through theta0 fixing one incoming weight per neuron (one hidden
    layer) with their neurons permuted in every way but the identity and rescaled back onto the
    slice: the same functions, so preimages of the same data and critical points of the same
    distances (none for deeper networks)."""
    from itertools import permutations

    if len(net.widths) != 3 or not len(Y):
        return Y[:0]
    d, h, m = net.widths
    k = int(np.flatnonzero(np.asarray(net.activation))[0])
    fixed = incoming_weights(net.widths, net.bias)
    free = np.setdiff1d(np.arange(net.n_params), fixed)
    thetas = np.broadcast_to(theta0, (len(Y), net.n_params)).astype(complex)
    thetas[:, free] = Y
    bias = int(net.bias)
    W1, b1 = thetas[:, : h * d].reshape(-1, h, d), thetas[:, h * d : h * d + bias * h]
    W2 = thetas[:, h * d + bias * h : h * d + bias * h + m * h].reshape(-1, m, h)
    out = []
    for order in list(permutations(range(h)))[1:]:
        lam = theta0[fixed][None, :] / W1[:, list(order), 0]  # each neuron's fixed weight back to its value
        moved = thetas.copy()
        moved[:, : h * d] = (W1[:, list(order)] * lam[:, :, None]).reshape(len(Y), h * d)
        if bias:
            moved[:, h * d : h * d + h] = b1[:, list(order)] * lam
        moved[:, h * d + bias * h : h * d + bias * h + m * h] = (W2[:, :, list(order)] / lam[:, None, :] ** k).reshape(len(Y), m * h)
        out.append(moved[:, free])
    with np.errstate(all="ignore"):
        X = np.vstack(out)
    return X[np.isfinite(X).all(axis=1)]


def _closed(net: PolynomialNetwork, theta0: npt.NDArray[np.float64], Y: np.ndarray, strict: bool) -> np.ndarray:
    """The distinct points of Y and of their neuron permutations on the slice: told apart
    coordinate by coordinate (``strict``: for the generic solutions, whose number can then only
    exceed the true one), or merged generously (for a sample's, whose number can then only fall
    short): either way a sample is never taken for complete when it is not."""
    X = np.vstack([Y, permuted_neurons(net, theta0, Y)])
    return X[_separate(X) if strict else _distinct(X)]


class Membership:
    """Does data u have a real preimage? 1: no (the nearest point is on the edge), 0: yes, -1:
    undecided (a lost path, or a solution too close to real to tell)."""

    def __init__(self, net: PolynomialNetwork, seed: int) -> None:
        self.net, self.seed = net, seed
        self._slices: dict[int, _Slice] = {}

    def _solved(self, spare: int) -> _Slice:
        if spare not in self._slices:
            chart, theta0, _ = incoming_weight_slice(self.net, np.random.default_rng([self.seed, 0x3E3B, spare]))
            A, n = len(chart.phi), chart.n
            nv = n + A
            equations = [pl.add(pl.extend(p, A), pl.scale(pl.variable(n + a, nv), -1)) for a, p in enumerate(chart.phi)]
            system = _system(equations, nv, A)
            found = _generic_solutions_twice(system, self.seed + 7 * spare, 10)
            # (monodromy alone stalled at some seeds: 18 of the 24 preimages of binary septics)
            generic = MonodromyResult(found.parameters, _closed(self.net, theta0, found.solutions, strict=True), found.loops)
            self._slices[spare] = _Slice(system, generic, theta0)
        return self._slices[spare]

    def decide(self, U: npt.NDArray[np.float64], salt: int) -> npt.NDArray[np.int8]:
        out = np.full(len(U), -1, dtype=np.int8)

        def record(k: int, y: np.ndarray, solved: _Slice, complete: bool) -> bool:
            ratio = imaginary_ratio(y)
            if (ratio <= REAL).any():
                out[k] = 0  # a real preimage, whatever paths were lost
                return True
            # the permutations of the preimages found are preimages (real with them): all of
            # them when as many as at generic data, whatever paths were lost
            if not complete and len(_closed(self.net, solved.theta0, y, strict=False)) != len(solved.generic):
                return False  # a singular endpoint (u on the edge) or a lost path
            out[k] = 1 if (ratio >= COMPLEX).all() else -1
            return True

        endpoints_in_spares(self._solved, U, self.seed + 7919 * salt, SPARE_SLICES, record)
        return out


def imaginary_ratio(y: npt.NDArray[np.complex128]) -> npt.NDArray[np.float64]:
    """Per solution (row), the largest imaginary part relative to its own coordinate. Relative
    to the largest coordinate instead, a complex solution far out in the slice (|y| ~ 1e5, where
    a fixed weight is nearly zero) looked real to within 1e-5; coordinate by coordinate it is
    complex by 0.3 or more, while real ones stay at rounding level."""
    return (np.abs(y.imag) / (1 + np.abs(y))).max(axis=1, initial=0.0)


def endpoints_in_spares(
    solved: Callable[[int], Any], U: npt.NDArray[np.float64], seed: int, spares: int, record: Callable[[int, np.ndarray, Any, bool], bool]
) -> None:
    """Track the generic solutions of ``solved(spare)`` (with .system and .generic) to each row
    of U; ``record(k, nonsingular endpoints, solved, complete)`` takes row k's endpoints (all of
    them, or with paths lost: ``complete`` False, still genuine solutions) and says whether they
    settle it. Rows not settled go to the next spare chart. Failed
    paths are not retracked carefully: a path hard in one chart (a critical point near its
    infinity) is usually easy in another, and one hard in every chart (data near the locus
    where critical points diverge) stays hard, at up to a minute per sample in extended
    precision; such rows are left undecided."""
    todo = np.arange(len(U))
    for spare in range(spares + 1):
        s = solved(spare)
        results, complete = _to_targets(s.system, s.generic, U[todo].astype(np.complex128), seed + 104729 * spare, retry_failed=False, restarts=s.restarts)
        todo = np.array(
            [k for k, r, ok in zip(todo, results, complete) if not record(k, r.endpoints[r.status == "nonsingular"], s, ok)],
            dtype=np.int64,
        )
        if not len(todo):
            break


def decided_membership(decider: Any, net: PolynomialNetwork, f: npt.NDArray[np.float64], undecided: str) -> bool:
    """f in M by one sample's decision (0: in M) of an exact decider; the zero function is in M
    (all output weights 0); ValueError naming ``undecided`` when the decider cannot tell."""
    if not np.any(f):
        return True
    decision = decider.decide(np.asarray(f, dtype=np.float64)[None, :])[0]
    if decision < 0:
        raise ValueError(f"{net.spec}: f is too close to {undecided} to decide")
    return bool(decision == 0)


def membership(net: Any, seed: int, cache: dict[str, Any]) -> Membership:
    if "membership" not in cache:
        cache["membership"] = Membership(net, seed)
    return cache["membership"]
