"""Euclidean distance degrees of neuromanifolds, by homotopy continuation."""

from __future__ import annotations

from typing import Union

import numpy as np
import numpy.typing as npt

from . import _validate as v
from ._charts import critical_system
from .architectures import Network
from .critical import _charts, _distinct
from .dimension import dimension
from .losses import generic_weights
from .system import monodromy_solve

__all__ = ["ed_degree"]


def _weights(net: Network, weights: Union[None, str, npt.ArrayLike], seed: int) -> np.ndarray:
    if weights is None:
        return np.ones(net.ambient_dim)
    if isinstance(weights, str):
        if weights != "generic":
            raise ValueError(f"weights must be None, an array or 'generic', got {weights!r}")
        return generic_weights(net.ambient_dim, seed)
    w = v.real(weights, "weights").reshape(-1)
    if w.shape != (net.ambient_dim,):
        raise ValueError(f"weights must have {net.ambient_dim} entries, got {w.size}")
    if not np.all(np.isfinite(w)) or not (w > 0).all():
        raise ValueError("weights must be positive and finite")
    return w


def ed_degree(net: Network, weights: Union[None, str, npt.ArrayLike] = None, seed: int = 0, loops: int = 10) -> int:
    """The number of complex critical points of the distance sum_i w_i (m_i - u_i)^2 from generic
    data u to the smooth part of the neuromanifold (weights None: the Euclidean distance;
    "generic": random positive weights, which gives the generic ED degree).

    Found by monodromy on the top stratum: it stops after ``loops`` loops without a new point.
    For architectures solved through a slice, points with the same image count once. Where the
    exact rank of D mu (a certified lower bound of dim M) is the ambient dimension, M is dense
    and the ED degree is 1 without solving.
    """
    if not isinstance(net, Network):
        raise TypeError(f"expected an algebraic Network, got {type(net).__name__}")
    seed = v.nonnegative_int(seed, "seed")
    w = _weights(net, weights, seed)
    loops = v.positive_int(loops, "loops")
    if dimension(net, seed=seed).exact_rank == net.ambient_dim:
        # a certified full rank: M is dense in the ambient space, whose only critical point of
        # the distance to u is u itself
        return 1
    return _by_monodromy(net, w, seed, loops)


def _by_monodromy(net: Network, w: np.ndarray, seed: int, loops: int) -> int:
    chart = _charts(net, seed)[-1]
    assert chart is not None and chart.top
    system = critical_system(chart, np.diag(w))
    generic = monodromy_solve(system, seed=seed, loops_without_new=loops)
    images = chart.mu(generic.solutions)
    return len(_distinct(np.atleast_2d(images))) if len(images) else 0
