"""Sparse polynomials as dictionaries {exponent tuple: coefficient}: just enough algebra to write
the critical equations of a loss on a parametrized variety."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Union

import numpy as np
import numpy.typing as npt

Poly = dict[tuple[int, ...], complex]
Number = Union[int, float, complex]


def variable(i: int, n: int) -> Poly:
    e = [0] * n
    e[i] = 1
    return {tuple(e): 1.0}


def constant(c: Number, n: int) -> Poly:
    return {(0,) * n: c} if c != 0 else {}


def add(*polys: Poly) -> Poly:
    out: Poly = {}
    for p in polys:
        for e, c in p.items():
            out[e] = out.get(e, 0) + c
    return {e: c for e, c in out.items() if c != 0}


def scale(p: Poly, c: Number) -> Poly:
    return {e: c * v for e, v in p.items()} if c != 0 else {}


def linear_combination(terms: Iterable[tuple[Number, Poly]]) -> Poly:
    out: Poly = {}
    for a, p in terms:
        if a == 0:
            continue
        for e, c in p.items():
            out[e] = out.get(e, 0) + a * c
    return {e: c for e, c in out.items() if c != 0}


def mul(p: Poly, q: Poly) -> Poly:
    out: Poly = {}
    for e1, c1 in p.items():
        for e2, c2 in q.items():
            e = tuple(a + b for a, b in zip(e1, e2))
            out[e] = out.get(e, 0) + c1 * c2
    return {e: c for e, c in out.items() if c != 0}


def power(p: Poly, e: int, n: int) -> Poly:
    """p^e (n variables)."""
    out = constant(1.0, n)
    for _ in range(e):
        out = mul(out, p)
    return out


def diff(p: Poly, i: int) -> Poly:
    out: Poly = {}
    for e, c in p.items():
        if e[i]:
            f = list(e)
            f[i] -= 1
            out[tuple(f)] = c * e[i]
    return out


def extend(p: Poly, n_extra: int) -> Poly:
    """The same polynomial in n + n_extra variables (the new ones last)."""
    pad = (0,) * n_extra
    return {e + pad: c for e, c in p.items()}


def to_arrays(p: Poly, n: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.complex128]]:
    if not p:
        return np.zeros((1, n), dtype=np.int64), np.zeros(1, dtype=np.complex128)
    exps = np.array(list(p.keys()), dtype=np.int64).reshape(-1, n)
    return exps, np.array(list(p.values()), dtype=np.complex128)


class Evaluator:
    """Numerical evaluation of a list of polynomials at many points at once."""

    def __init__(self, polys: list[Poly], n: int) -> None:
        self.n = n
        monos: dict[tuple[int, ...], int] = {}
        for p in polys:
            for e in p:
                monos.setdefault(e, len(monos))
        self.exponents = np.array(list(monos), dtype=np.int64).reshape(-1, n)
        self.matrix = np.zeros((len(polys), len(monos)), dtype=np.complex128)
        for i, p in enumerate(polys):
            for e, c in p.items():
                self.matrix[i, monos[e]] += c

    def __call__(self, y: npt.ArrayLike) -> np.ndarray:
        """Values at y of shape (n,) or (B, n): (len(polys),) or (B, len(polys))."""
        arr = np.asarray(y)
        pts = arr.reshape(-1, self.n)
        powers = np.prod(pts[:, None, :] ** self.exponents[None, :, :], axis=2)
        out = powers @ self.matrix.T
        if not np.iscomplexobj(arr):
            out = out.real
        return out[0] if arr.ndim == 1 else out
