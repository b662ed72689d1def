"""Landscape statistics: real critical points and local minima of the distance to a
neuromanifold over many random data sets, by one generic solve and parameter homotopies."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Union

import numpy as np
import numpy.typing as npt

from . import _validate as v
from ._charts import Chart, critical_system
from .architectures import Network
from .critical import _charts, _distinct, _generic_solutions, _image_kind, _is_real, _to_targets
from .ed import _weights
from .losses import WEIGHT_RANGE
from .system import SolveResult, System

__all__ = ["Landscape", "landscape"]

CHUNK = 250


@dataclass(frozen=True)
class Landscape:
    """``counts[(n_real, n_local_minima)]`` = number of data sets with that many real critical points
    and local minima of the distance on the smooth part of M; ``table[i - 1, j - 1]`` is the number
    with i local minima and j real critical points. Data sets with a lost path are not counted
    but reported in ``failed``."""

    counts: dict[tuple[int, int], int]
    table: npt.NDArray[np.int64] = field(repr=False)
    samples: int
    failed: int
    n_complex: int
    weights: str

    def __str__(self) -> str:
        rows, cols = self.table.shape
        width = max(5, len(str(int(self.table.max(initial=0)))) + 1)
        head = "local minima \\ real critical points"
        lines = [head, " " * 6 + "".join(f"{j + 1:>{width}}" for j in range(cols))]
        for i in range(rows):
            lines.append(f"{i + 1:>6}" + "".join(f"{int(x):>{width}}" for x in self.table[i]))
        lines.append(
            f"{self.samples} data sets, {self.n_complex} complex critical points each, "
            f"weights {self.weights}; {self.failed} data sets with a lost path left out"
        )
        return "\n".join(lines)


def _whole(r: SolveResult, expected: int) -> bool:
    ys = r.endpoints[r.status == "nonsingular"]
    return len(ys) == expected and len(_distinct(ys)) == expected


def _count(chart: Chart, system: System, r: SolveResult, p: np.ndarray) -> tuple[int, int] | None:
    """(real critical points, local minima) of one data set; None if a real point's type is not
    decided in this chart."""
    ys = r.endpoints[r.status == "nonsingular"]
    real = [y.real for y in ys if _is_real(y)]
    if chart.rank is None and real:
        images = chart.mu(np.array(real))
        real = [real[i] for i in _distinct(np.atleast_2d(images))]
    kinds = [_image_kind(system.jacobian(y, p.real).real) for y in real]
    if "degenerate" in kinds:
        return None
    return len(real), kinds.count("minimum")


def landscape(
    net: Network,
    samples: int = 2000,
    weights: Union[None, str, npt.ArrayLike] = "generic",
    seed: int = 0,
    progress: bool = False,
) -> Landscape:
    """Random data u (standard normal) and, with ``weights="generic"``, random weights w (uniform on
    [0.1, 1)) for each of ``samples`` data sets: count the real critical points and local minima of
    sum_i w_i (m_i - u_i)^2 on the smooth part of the neuromanifold.

    The critical equations are solved once at generic complex data (monodromy); every data set
    is then reached by a parameter homotopy, all of them in one parallel batch per chunk.
    ``weights`` None means the Euclidean distance, an array fixed weights.
    """
    if not isinstance(net, Network):
        raise TypeError(f"expected an algebraic Network, got {type(net).__name__}")
    samples = v.positive_int(samples, "samples")
    seed = v.nonnegative_int(seed, "seed")
    A = net.ambient_dim
    rng = np.random.default_rng([seed, 0x1A4D])
    U = rng.standard_normal((samples, A))
    if isinstance(weights, str) and weights == "generic":
        Q = None
        W = rng.uniform(*WEIGHT_RANGE, (samples, A))
        targets = np.hstack([W, W * U])
        label = "generic"
    else:
        w = _weights(net, weights, seed)
        Q = np.diag(w)
        targets = w * U
        label = "euclidean" if weights is None else "fixed"
    # the sparsest chart first; data sets with a point near its edge are redone in a random one
    chart = _charts(net, None)[-1]
    backup = _charts(net, seed + 1)[-1]
    assert chart is not None and backup is not None
    system = critical_system(chart, Q)
    generic = _generic_solutions(system, seed, 10)
    spare: tuple | None = None
    counts: Counter[tuple[int, int]] = Counter()
    failed = 0
    chunks = range(0, samples, CHUNK)
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=samples, unit="data set", desc="landscape")
    for start in chunks:
        block = targets[start : start + CHUNK].astype(np.complex128)
        results, _ = _to_targets(system, generic, block, seed + start)
        for p, r in zip(block, results):
            count = _count(chart, system, r, p) if _whole(r, len(generic)) else None
            if count is None:
                # a point near the edge of the chart: redo the data set in the random chart
                if spare is None:
                    spare_system = critical_system(backup, Q)
                    spare = (spare_system, _generic_solutions(spare_system, seed + 1, 10))
                (r,), _ = _to_targets(spare[0], spare[1], p[None, :], seed + start + 1)
                count = _count(backup, spare[0], r, p) if _whole(r, len(generic)) else None
                if count is None:
                    failed += 1
                    continue
            counts[count] += 1
        if progress:
            bar.update(len(block))
    if progress:
        bar.close()
    n_real = max((k[0] for k in counts), default=0)
    n_min = max((k[1] for k in counts), default=0)
    table = np.zeros((n_min, n_real), dtype=np.int64)
    for (r, m), c in counts.items():
        if r and m:
            table[m - 1, r - 1] += c
    return Landscape(counts=dict(sorted(counts.items())), table=table, samples=samples, failed=failed, n_complex=len(generic), weights=label)
