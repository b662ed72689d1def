"""Chunks of Monte Carlo samples: chunk c of a run of n samples draws from its own random
stream (seed, c, stream), so its samples do not depend on where or when it runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt


def chunk_samples(distribution: Any, seed: int, c: int, chunk_size: int, n: int, dim: int, stream: int) -> npt.NDArray[np.float64]:
    size = min(chunk_size, n - c * chunk_size)
    return distribution.draw(np.random.default_rng([seed, c, stream]), size, dim)


def decided_counts(
    samples: Callable[[int], np.ndarray], decide: Callable[[np.ndarray, int], np.ndarray], c0: int, c1: int
) -> npt.NDArray[np.uint64]:
    """Rows (hits, undecided, samples) for chunks c0..c1 from decisions 1 / 0 / -1."""
    rows = []
    for c in range(c0, c1):
        d = decide(samples(c), c)
        rows.append((int((d == 1).sum()), int((d == -1).sum()), len(d)))
    return np.array(rows, dtype=np.uint64).reshape(-1, 3)
