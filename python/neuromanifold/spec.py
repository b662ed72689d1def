"""Compact text specifications of architectures (``linear:4,2,3``, ``poly:3,2,1^2``, ...)."""

from __future__ import annotations

from typing import Any

from . import _core
from .architectures import (
    ConvNetwork,
    LightningAttention,
    LinearNetwork,
    Network,
    PolynomialNetwork,
    ReLUNetwork,
    ResidualLinearNetwork,
)

SPEC_HELP = """\
linear:4,2,3            linear network, widths (4, 2, 3)
poly:3,2,1^2            polynomial MLP, activation z^2 (add +bias for biases)
poly:2,2,1^(0,1,1)      activation given by coefficients: z + z^2
conv:2,3                linear 1D convolutions, filter widths 2 and 3 (stride 1)
conv:2,3/2,1^2          ... with strides (2, 1) and activation z^2
attention:2,1,2,2       lightning self-attention, d=2, d_out=1, a=2, t=2
residual:3,2            linear residual network, width 3, 2 layers
relu:1,3,1              ReLU network (add +nobias to drop biases)"""


def from_description(family: str, kwargs: dict[str, Any]) -> Network | ReLUNetwork:
    if family == "linear":
        return LinearNetwork(kwargs["widths"])
    if family == "poly":
        return PolynomialNetwork(kwargs["widths"], tuple(kwargs["activation"]), kwargs["bias"])
    if family == "conv":
        act = kwargs["activation"]
        return ConvNetwork(kwargs["filters"], kwargs["strides"], None if act is None else tuple(act))
    if family == "attention":
        return LightningAttention(kwargs["d"], kwargs["d_out"], kwargs["a"], kwargs["t"])
    if family == "residual":
        return ResidualLinearNetwork(kwargs["width"], kwargs["layers"])
    if family == "relu":
        return ReLUNetwork(kwargs["widths"], kwargs["bias"])
    raise ValueError(f"unknown architecture family {family!r}")


def parse(spec: str) -> Network | ReLUNetwork:
    """Build an architecture from its text specification.

    >>> parse("poly:3,2,1^2").n_params
    8
    """
    if not isinstance(spec, str):
        raise TypeError(f"spec must be a string, got {type(spec).__name__}")
    family, kwargs = _core.parse_spec(spec)
    return from_description(family, kwargs)
