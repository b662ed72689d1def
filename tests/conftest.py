"""Shared hypothesis strategies: small random architectures of every family."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import neuromanifold as nm

settings.register_profile(
    "default",
    deadline=None,
    max_examples=25,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("default")

widths = st.lists(st.integers(1, 4), min_size=2, max_size=4)
activations = st.one_of(
    st.integers(1, 3),
    st.lists(st.floats(-2, 2, allow_nan=False).map(lambda x: round(x, 2)), min_size=2, max_size=4).filter(
        lambda c: any(v != 0 for v in c[1:])
    ),
)

linear_networks = st.builds(nm.LinearNetwork, widths)
polynomial_networks = st.builds(
    nm.PolynomialNetwork,
    st.lists(st.integers(1, 3), min_size=2, max_size=4),
    activation=activations,
    bias=st.booleans(),
)
conv_networks = st.integers(1, 3).flatmap(
    lambda L: st.builds(
        nm.ConvNetwork,
        st.lists(st.integers(1, 4), min_size=L, max_size=L),
        strides=st.lists(st.integers(1, 2), min_size=L, max_size=L),
        activation=st.one_of(st.none(), st.integers(1, 3)),
    )
)
attention_networks = st.builds(
    nm.LightningAttention, st.integers(1, 3), st.integers(1, 2), st.integers(1, 3), st.integers(1, 3)
)
residual_networks = st.builds(nm.ResidualLinearNetwork, st.integers(1, 3), st.integers(1, 3))

algebraic_networks = st.one_of(
    linear_networks, polynomial_networks, conv_networks, attention_networks, residual_networks
)
seeds = st.integers(0, 2**32 - 1)


def dense_layers(theta: np.ndarray, widths: tuple[int, ...], bias: bool) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Split a dense network's parameters into (W_i, b_i) following the documented layout."""
    out, off = [], 0
    for din, dout in zip(widths[:-1], widths[1:]):
        W = theta[off : off + din * dout].reshape(dout, din)
        off += din * dout
        b = None
        if bias:
            b = theta[off : off + dout]
            off += dout
        out.append((W, b))
    assert off == len(theta)
    return out


def join_dense(layers: list[tuple[np.ndarray, np.ndarray | None]]) -> np.ndarray:
    parts = []
    for W, b in layers:
        parts.append(W.ravel())
        if b is not None:
            parts.append(b)
    return np.concatenate(parts)
