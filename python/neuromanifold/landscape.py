"""Landscape statistics: real critical points and local minima of the distance to a
neuromanifold over many random data sets, by one generic solve and parameter homotopies."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Union

import numpy as np
import numpy.typing as npt

from . import _validate as v
from ._charts import Chart, critical_system, rank_stratum_hessian
from .architectures import Network
from .critical import REAL_TOL, _charts, _distinct, _generic_solutions, _image_kind, _to_targets
from .ed import _weights
from .losses import WEIGHT_RANGE
from .system import MonodromyResult, SolveResult, System, track

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


def _real_rows(z: np.ndarray) -> np.ndarray:
    """Mask of the rows of z that are real (as `_is_real`, for a whole array at once)."""
    z = np.atleast_2d(z)
    if z.size == 0:
        return np.zeros(len(z), dtype=bool)
    return np.abs(z.imag).max(axis=1) <= REAL_TOL * (1 + np.abs(z).max(axis=1))


def _count(chart: Chart, system: System, r: SolveResult, Q: np.ndarray | None, p: np.ndarray) -> tuple[int, int] | None:
    """(real critical points, local minima) of one data set at parameters p; None if a real
    point's type is not decided."""
    ys = r.endpoints[r.status == "nonsingular"]
    if chart.rank is not None and chart.matrix_shape is not None:
        # linear networks: realness and type from the matrix itself, in a chart centred there
        A = len(chart.phi)
        Qp, b = (np.diag(p[:A].real), p[A:].real) if Q is None else (Q, p.real)
        images = chart.mu(ys)
        real = [m.real.reshape(chart.matrix_shape) for m in images[_real_rows(images)]]
        kinds = [_image_kind(rank_stratum_hessian(Qp, b, W, chart.rank)) for W in real]
    else:
        real_y = list(ys[_real_rows(ys)].real)
        if real_y:
            images = chart.mu(np.array(real_y))
            real_y = [real_y[i] for i in _distinct(np.atleast_2d(images))]
        kinds = [_image_kind(system.jacobian(y, p.real).real, 1e-11) for y in real_y]
    if "degenerate" in kinds:
        return None
    return len(kinds), kinds.count("minimum")


def _near_start(system: System, generic: MonodromyResult, weights_free: bool, A: int, seed: int) -> MonodromyResult:
    """Move the generic solutions to complex parameters near typical data sets (weights with
    positive real parts): the parameter lines to the data then stay away from vanishing
    weights, where critical points escape to infinity, and paths are shorter."""
    if not weights_free:
        return generic
    rng = np.random.default_rng([seed, 0x4E])
    w = rng.uniform(0.5, 1.0, A) + 1j * rng.uniform(-1.0, 1.0, A)
    u = rng.standard_normal(A) + 1j * rng.standard_normal(A)
    p = np.concatenate([w, w * u])
    moved = track(system, generic.solutions, generic.parameters, p, seed=seed)[0]
    ys = moved.endpoints[moved.status == "nonsingular"]
    if len(ys) != len(generic) or len(_distinct(ys)) != len(ys):
        return generic
    return MonodromyResult(parameters=p, solutions=ys, loops=generic.loops)


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
    # data sets with a point that is ill-conditioned in the chart are redone in a second one
    chart = _charts(net, seed)[-1]
    backup = _charts(net, seed + 1)[-1]
    assert chart is not None and backup is not None
    system = critical_system(chart, Q)
    generic = _near_start(system, _generic_solutions(system, seed, 10), Q is None, A, seed)
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
        redo = []
        for k, (p, r) in enumerate(zip(block, results)):
            count = _count(chart, system, r, Q, p) if _whole(r, len(generic)) else None
            if count is None:
                redo.append(k)
            else:
                counts[count] += 1
        if redo:
            # points near the edge of the chart: redo those data sets in the random chart
            if spare is None:
                spare_system = critical_system(backup, Q)
                spare = (spare_system, _generic_solutions(spare_system, seed + 1, 10))
            again, _ = _to_targets(spare[0], spare[1], block[redo], seed + start + 1)
            for p, r in zip(block[redo], again):
                count = _count(backup, spare[0], r, Q, p) if _whole(r, len(generic)) else None
                if count is None:
                    failed += 1
                else:
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
