"""Input checks shared by the Python layer: clear errors before anything reaches the core."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt


def positive_int(value: object, name: str) -> int:
    """An int >= 1 (bools and floats are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be positive, got {value}")
    return int(value)


def nonnegative_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be non-negative, got {value}")
    return int(value)


def int_tuple(values: object, name: str, min_len: int = 1) -> tuple[int, ...]:
    """A sequence of positive ints."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a sequence of positive integers, got {values!r}")
    out = tuple(positive_int(v, f"{name}[{i}]") for i, v in enumerate(values))
    if len(out) < min_len:
        raise ValueError(f"{name} needs at least {min_len} entries, got {len(out)}")
    return out


def activation_coefficients(activation: object) -> tuple[float, ...]:
    """sigma as coefficients (a0, a1, ..., ak): from an int degree r or a coefficient sequence."""
    if isinstance(activation, bool):
        raise TypeError("activation must be an int degree or a tuple of coefficients, not a bool")
    if isinstance(activation, numbers.Integral):
        r = positive_int(activation, "activation degree")
        return tuple([0.0] * r + [1.0])
    if isinstance(activation, (str, bytes)) or not isinstance(activation, Sequence):
        raise TypeError(
            f"activation must be an int degree r (sigma = z^r) or a tuple (a0, a1, ...), got {activation!r}"
        )
    coeffs = []
    for i, c in enumerate(activation):
        if isinstance(c, bool) or not isinstance(c, numbers.Real):
            raise TypeError(f"activation coefficient {i} must be a real number, got {c!r}")
        if not np.isfinite(float(c)):
            raise ValueError(f"activation coefficient {i} is not finite: {c!r}")
        coeffs.append(float(c))
    while coeffs and coeffs[-1] == 0.0:
        coeffs.pop()
    if len(coeffs) < 2:
        raise ValueError("activation must have degree at least 1 (a constant activation kills the network)")
    return tuple(coeffs)


def real_or_complex(array: object, name: str) -> np.ndarray:
    """float64 or complex128 array from array-like numeric input."""
    arr = np.asarray(array)
    if arr.dtype.kind in "biuf":
        return np.ascontiguousarray(arr, dtype=np.float64)
    if arr.dtype.kind == "c":
        return np.ascontiguousarray(arr, dtype=np.complex128)
    raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")


def real(array: object, name: str) -> npt.NDArray[np.float64]:
    arr = np.asarray(array)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=np.float64)


def params(theta: object, n_params: int) -> tuple[np.ndarray, bool]:
    """(B, N) array and whether the input was a single vector."""
    arr = real_or_complex(theta, "theta")
    if arr.ndim == 1:
        if arr.shape[0] != n_params:
            raise ValueError(f"theta has length {arr.shape[0]}, but the network has {n_params} parameters")
        return arr.reshape(1, n_params), True
    if arr.ndim == 2:
        if arr.shape[1] != n_params:
            raise ValueError(
                f"theta has shape {arr.shape}; a batch must have shape (B, {n_params}) for this network"
            )
        return arr, False
    raise ValueError(f"theta must have shape ({n_params},) or (B, {n_params}), got {arr.shape}")


def points(x: object, n_inputs: int) -> npt.NDArray[np.float64]:
    """Input points as a (n_inputs, n_points) array, columns are samples."""
    arr = real(x, "X")
    if arr.ndim == 1 and n_inputs == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2 or arr.shape[0] != n_inputs:
        raise ValueError(
            f"X must have shape ({n_inputs}, n_points) (columns are input points), got {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError("X contains NaN or infinity")
    return arr
