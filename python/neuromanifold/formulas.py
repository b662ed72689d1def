"""Closed formulas for determinantal varieties (linear networks), to check homotopy counts against."""

from __future__ import annotations

from fractions import Fraction
from math import comb, factorial

from . import _validate as v

__all__ = ["determinantal_dimension", "eckart_young_count", "generic_ed_degree_rank_one"]


def eckart_young_count(m: int, n: int, r: int) -> int:
    """ED degree of the m x n matrices of rank <= r for the Euclidean distance: binom(min(m, n), r)
    (the critical points are the sums of r of the singular components of the data)."""
    m, n, r = (v.positive_int(x, name) for x, name in ((m, "m"), (n, "n"), (r, "r")))
    return comb(min(m, n), r)


def determinantal_dimension(m: int, n: int, r: int) -> int:
    """Dimension r (m + n - r) of the m x n matrices of rank <= r (mn once r >= min(m, n))."""
    m, n, r = (v.positive_int(x, name) for x, name in ((m, "m"), (n, "n"), (r, "r")))
    r = min(r, m, n)
    return r * (m + n - r)


def generic_ed_degree_rank_one(m: int, n: int) -> int:
    """Generic ED degree of the m x n matrices of rank <= 1 (for a generic weighted distance).

    The closed formula for the Segre variety P^a x P^b is stated in projective dimensions
    a = m - 1, b = n - 1:
    sum_{s=0}^{a+b} (-1)^s (2^(a+b+1-s) - 1) (a+b-s)! sum_{i+j=s, i<=a, j<=b}
    binom(a+1, i) binom(b+1, j) / ((a-i)! (b-j)!). It gives 39 for 3 x 3 matrices.
    """
    a = v.positive_int(m, "m") - 1
    b = v.positive_int(n, "n") - 1
    total = Fraction(0)
    for s in range(a + b + 1):
        inner = Fraction(0)
        for i in range(min(a, s) + 1):
            j = s - i
            if j <= b:
                inner += Fraction(comb(a + 1, i) * comb(b + 1, j), factorial(a - i) * factorial(b - j))
        total += (-1) ** s * (2 ** (a + b + 1 - s) - 1) * factorial(a + b - s) * inner
    assert total.denominator == 1
    return int(total)
