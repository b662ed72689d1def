"""Shared strategies and independent numpy references for the test suite.

Every strategy draws a small architecture together with a reference forward pass written
here in plain numpy from the documented definitions (parameter layout, layer formulas), so
that the library's parametrization mu can be checked against the network function itself.
"""

from __future__ import annotations

import os

if "PYTEST_XDIST_WORKER" in os.environ:
    # one worker per core already: a pool of threads per worker would only contend (rayon's
    # threads spin while they wait); tests that compare thread counts set their own pools
    os.environ.setdefault("RAYON_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import neuromanifold as nm

settings.register_profile(
    "default",
    deadline=None,
    max_examples=20,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("default")

seeds = st.integers(0, 2**32 - 1)
small_seeds = st.integers(0, 10_000)


# --------------------------------------------------------------------------------------
# helpers: activations, parameter layouts, monomials
# --------------------------------------------------------------------------------------
def activation_coefficients(activation: int | Sequence[float]) -> tuple[float, ...]:
    """sigma(z) = sum a_k z^k as (a0, ..., ak); an int r means z^r."""
    if isinstance(activation, int):
        return (0.0,) * activation + (1.0,)
    return tuple(float(a) for a in activation)


def apply_activation(coeffs: Sequence[float], Z: np.ndarray) -> np.ndarray:
    out = np.zeros_like(Z)
    for a in reversed(coeffs):  # Horner
        out = out * Z + a
    return out


def dense_layers(theta: np.ndarray, widths: Sequence[int], bias: bool) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Split dense parameters into (W_i, b_i): each W_i row-major (d_i, d_{i-1}), then b_i."""
    out, off = [], 0
    for din, dout in zip(widths[:-1], widths[1:]):
        W = np.array(theta[off : off + din * dout]).reshape(dout, din)
        off += din * dout
        b = None
        if bias:
            b = np.array(theta[off : off + dout])
            off += dout
        out.append((W, b))
    assert off == len(theta), "parameter count does not match the documented layout"
    return out


def join_dense(layers: Sequence[tuple[np.ndarray, np.ndarray | None]]) -> np.ndarray:
    parts = []
    for W, b in layers:
        parts.append(np.ravel(W))
        if b is not None:
            parts.append(np.ravel(b))
    return np.concatenate(parts)


def monomial_values(X: np.ndarray, monomials: np.ndarray) -> np.ndarray:
    """(n_points, M): the basis monomials at the columns of X."""
    return np.prod(X.T[:, None, :] ** monomials[None, :, :], axis=2)


def function_from_coefficients(net: nm.Network, coeffs: np.ndarray, X: np.ndarray) -> np.ndarray:
    """(n_outputs, n_points): the polynomial map with coefficient vector coeffs, at X."""
    C = np.asarray(coeffs).reshape(net.n_outputs, -1)
    return C @ monomial_values(X, net.monomials).T


def scale(a: np.ndarray) -> float:
    return 1.0 + float(np.abs(a).max(initial=0.0))


# --------------------------------------------------------------------------------------
# numpy reference forward passes (columns of X are input points)
# --------------------------------------------------------------------------------------
def dense_forward(theta, widths, bias, coeffs, X, relu=False):
    layers = dense_layers(theta, widths, bias)
    h = X
    for i, (W, b) in enumerate(layers):
        h = W @ h
        if b is not None:
            h = h + b[:, None]
        if i + 1 < len(layers):
            h = np.maximum(h, 0.0) if relu else apply_activation(coeffs, h)
    return h


def conv_forward(theta, filters, strides, coeffs, X):
    ends = np.cumsum([0, *filters])
    h = X
    for i, (k, s) in enumerate(zip(filters, strides)):
        w = theta[ends[i] : ends[i + 1]]
        n = h.shape[0]
        n_out = (n - k) // s + 1
        assert (n - k) % s == 0 or i + 1 == len(filters)
        h = np.stack([sum(w[m] * h[s * j + m] for m in range(k)) for j in range(n_out)])
        if i + 1 < len(filters) and coeffs is not None:
            h = apply_activation(coeffs, h)
    assert h.shape[0] == 1
    return h


def attention_forward(theta, d, d_out, a, t, X):
    Q = theta[: a * d].reshape(a, d)
    K = theta[a * d : 2 * a * d].reshape(a, d)
    V = theta[2 * a * d :].reshape(d_out, d)
    cols = []
    for x in X.T:
        Xm = x.reshape(d, t)
        cols.append((V @ Xm @ Xm.T @ K.T @ Q @ Xm).ravel())
    return np.stack(cols, axis=1)


def residual_forward(theta, width, layers, X):
    h = X
    for k in range(layers):
        W = theta[k * width * width : (k + 1) * width * width].reshape(width, width)
        h = h + W @ h
    return h


# --------------------------------------------------------------------------------------
# architectures with their references
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """A network and an independent numpy implementation of its function."""

    label: str
    net: object
    forward: Callable[[np.ndarray, np.ndarray], np.ndarray]

    def __repr__(self) -> str:
        return self.label


def linear_case(widths):
    widths = tuple(widths)
    return Case(
        f"LinearNetwork({widths})",
        nm.LinearNetwork(widths),
        lambda th, X: dense_forward(th, widths, False, (0.0, 1.0), X),
    )


def polynomial_case(widths, activation, bias):
    widths = tuple(widths)
    coeffs = activation_coefficients(activation)
    return Case(
        f"PolynomialNetwork({widths}, activation={activation!r}, bias={bias})",
        nm.PolynomialNetwork(widths, activation=activation, bias=bias),
        lambda th, X: dense_forward(th, widths, bias, coeffs, X),
    )


def conv_case(filters, strides, activation):
    filters, strides = tuple(filters), tuple(strides)
    coeffs = None if activation is None else activation_coefficients(activation)
    return Case(
        f"ConvNetwork({filters}, strides={strides}, activation={activation!r})",
        nm.ConvNetwork(filters, strides=strides, activation=activation),
        lambda th, X: conv_forward(th, filters, strides, coeffs, X),
    )


def attention_case(d, d_out, a, t):
    return Case(
        f"LightningAttention({d}, {d_out}, {a}, {t})",
        nm.LightningAttention(d, d_out, a, t),
        lambda th, X: attention_forward(th, d, d_out, a, t, X),
    )


def residual_case(width, layers):
    return Case(
        f"ResidualLinearNetwork({width}, {layers})",
        nm.ResidualLinearNetwork(width, layers),
        lambda th, X: residual_forward(th, width, layers, X),
    )


def relu_case(widths, bias):
    widths = tuple(widths)
    return Case(
        f"ReLUNetwork({widths}, bias={bias})",
        nm.ReLUNetwork(widths, bias=bias),
        lambda th, X: dense_forward(th, widths, bias, None, X, relu=True),
    )


def _coefficient_tuples(max_len: int):
    coefficient = st.sampled_from([-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0])
    return st.lists(coefficient, min_size=2, max_size=max_len).filter(lambda c: any(v != 0 for v in c[1:])).map(tuple)


widths = st.lists(st.integers(1, 4), min_size=2, max_size=4)  # depth 1..3, widths 1..4
int_activations = st.integers(1, 3)
activations = st.one_of(int_activations, _coefficient_tuples(4))  # degree 1..3

linear_cases = widths.map(linear_case)
polynomial_cases = st.builds(polynomial_case, widths, activations, st.booleans())


@st.composite
def conv_cases(draw, activation=True):
    L = draw(st.integers(1, 3))
    act = None
    if activation:
        act = draw(st.one_of(st.none(), int_activations, _coefficient_tuples(3)))
    top = 3 if (act is not None and L == 3) else 4  # keeps the monomial basis small
    filters = draw(st.lists(st.integers(1, top), min_size=L, max_size=L))
    strides = draw(st.lists(st.integers(1, 2), min_size=L, max_size=L))
    return conv_case(filters, strides, act)


attention_cases = st.builds(attention_case, st.integers(1, 3), st.integers(1, 2), st.integers(1, 3), st.integers(1, 3))
residual_cases = st.builds(residual_case, st.integers(1, 4), st.integers(1, 3))
relu_cases = st.builds(relu_case, widths, st.booleans())

FAMILIES = {
    "linear": linear_cases,
    "polynomial": polynomial_cases,
    "conv": conv_cases(),
    "attention": attention_cases,
    "residual": residual_cases,
}
algebraic_cases = st.one_of(*FAMILIES.values())
