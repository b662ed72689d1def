"""Voronoi cells by Monte Carlo: the probability that a random data point has its nearest point
on a variety in a target (a singular point, the singular locus, a subnetwork stratum).

A positive probability for a singular stratum is a form of implicit bias: a full-dimensional
set of data is best approximated there. The nearest point is the global one: every real
critical point of the distance on the smooth part is compared with the best point of every
stratum (exhaustively: all critical points come from the homotopy engine, or for plane curves
from the roots of one critical polynomial).

Samples come in chunks, chunk c from its own random stream derived from (seed, c), so the counts
are the same for any number of threads, for a run spread over a Dask cluster and for a run
resumed from a checkpoint.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, Union

import numpy as np
import numpy.typing as npt

from . import _core
from . import _validate as v
from ._chunks import chunk_samples, decided_counts
from .curves import PlaneCurve

__all__ = ["Gaussian", "UniformBox", "VoronoiEstimate", "nearest_strata", "stratum_names", "voronoi_mc", "voronoi_samples", "wilson_interval"]

CURVE_CHUNK = 10_000
NETWORK_CHUNK = 200
Z95 = 1.959963984540054


# -- distributions -----------------------------------------------------------------------


def _vector(x: object, name: str) -> tuple[float, ...] | float:
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        if not math.isfinite(float(x)):
            raise ValueError(f"{name} must be finite, got {x!r}")
        return float(x)
    arr = np.asarray(x)
    if arr.ndim != 1 or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a number or a vector of numbers, got {x!r}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {x!r}")
    return tuple(float(a) for a in arr)


def _broadcast(x: tuple[float, ...] | float, dim: int, name: str) -> npt.NDArray[np.float64]:
    if isinstance(x, float):
        return np.full(dim, x)
    if len(x) != dim:
        raise ValueError(f"{name} has length {len(x)}, but the ambient space has dimension {dim}")
    return np.array(x)


@dataclass(frozen=True)
class Gaussian:
    """Independent normal coordinates with standard deviation ``scale`` around ``center`` (0)."""

    scale: float = 1.0
    center: Union[float, tuple[float, ...]] = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.scale, bool) or not isinstance(self.scale, numbers.Real):
            raise TypeError(f"scale must be a number, got {self.scale!r}")
        if not (math.isfinite(self.scale) and self.scale > 0):
            raise ValueError(f"scale must be positive and finite, got {self.scale}")
        object.__setattr__(self, "center", _vector(self.center, "center"))

    def draw(self, rng: np.random.Generator, n: int, dim: int) -> npt.NDArray[np.float64]:
        return _broadcast(self.center, dim, "center") + self.scale * rng.standard_normal((n, dim))

    def core_args(self, dim: int) -> tuple[str, list[float], list[float]]:
        c = _broadcast(self.center, dim, "center")
        return "gaussian", list(c), [float(self.scale), 0.0]

    def __str__(self) -> str:
        return f"Gaussian(scale={self.scale:g}, center={self.center})"


@dataclass(frozen=True)
class UniformBox:
    """The uniform distribution on the box [low, high] (numbers, or one bound per coordinate)."""

    low: Union[float, tuple[float, ...]] = -1.0
    high: Union[float, tuple[float, ...]] = 1.0

    def __post_init__(self) -> None:
        lo, hi = _vector(self.low, "low"), _vector(self.high, "high")
        object.__setattr__(self, "low", lo)
        object.__setattr__(self, "high", hi)
        dim = 1 if isinstance(lo, float) and isinstance(hi, float) else len(lo if not isinstance(lo, float) else hi)  # type: ignore[arg-type]
        if not np.all(_broadcast(lo, dim, "low") < _broadcast(hi, dim, "high")):
            raise ValueError(f"a uniform box needs low < high in every coordinate, got low={self.low}, high={self.high}")

    def draw(self, rng: np.random.Generator, n: int, dim: int) -> npt.NDArray[np.float64]:
        lo, hi = _broadcast(self.low, dim, "low"), _broadcast(self.high, dim, "high")  # type: ignore[arg-type]
        return lo + (hi - lo) * rng.random((n, dim))

    def core_args(self, dim: int) -> tuple[str, list[float], list[float]]:
        return "uniform_box", list(_broadcast(self.low, dim, "low")), list(_broadcast(self.high, dim, "high"))  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"UniformBox(low={self.low}, high={self.high})"


Distribution = Union[Gaussian, UniformBox]


# -- the estimate ------------------------------------------------------------------------


def wilson_interval(hits: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion hits / n."""
    if n <= 0:
        return (0.0, 1.0)
    p = hits / n
    d = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / d
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    lo = 0.0 if hits == 0 else max(0.0, mid - half)
    hi = 1.0 if hits == n else min(1.0, mid + half)
    return (lo, hi)


@dataclass(frozen=True)
class VoronoiEstimate:
    """P(nearest point in the target) from ``n`` samples: ``hits`` of them had their nearest point
    in the target, ``n_failed`` could not be decided (a tie within the tolerance band, or a lost
    path). ``p`` is the proportion among the decided samples; ``ci95`` is a Wilson 95% interval
    that also holds if every undecided sample went either way. ``exhaustive`` is False for the
    multistart method, whose nearest points come from local searches: a search can miss the
    nearest point either way (a hit where a nearer point was not found; a miss where the target
    holds a nearer point no search reached, as a limit on the edge of M), so ``ci95`` is the
    interval of those decisions and bounds the true probability neither way; ``rechecked``
    samples were then decided again by local searches from other random starts, and
    ``recheck_changed`` of those decisions changed (a measure of how much the searches' results
    depend on their starts, not a bound). ``certificate`` is set when the target's Voronoi cell is proven null
    (``method="certificate"``, see :func:`voronoi_cell_bounds`): then p = 0 exactly, with
    ci95 = (0, 0), and the samples count as decided misses without being drawn."""

    p: float
    ci95: tuple[float, float]
    hits: int
    n: int
    n_failed: int
    target: str
    variety: str
    distribution: str
    seed: int
    method: str
    exhaustive: bool
    chunks: int = field(repr=False)
    certificate: str = ""
    rechecked: int = 0
    recheck_changed: int = 0

    def __str__(self) -> str:
        lo, hi = self.ci95
        note = "" if self.exhaustive else " (multistart: not exhaustive, decided by local searches)"
        if self.rechecked:
            note = note[:-1] + f"; other random starts changed {self.recheck_changed} of {self.rechecked} decisions)"
        if self.certificate:
            note = f" (certified: {self.certificate})"
        return (
            f"P(nearest point in {self.target}) = {self.p:.6g}  95% CI [{lo:.6g}, {hi:.6g}]  "
            f"({self.hits} hits of {self.n} samples, {self.n_failed} undecided){note}"
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ci95"] = list(self.ci95)
        return d


def _estimate(job: "_Job", counts: dict[int, tuple[int, int, int]], recheck: tuple[int, int] = (0, 0)) -> VoronoiEstimate:
    hits = sum(c[0] for c in counts.values())
    failed = sum(c[1] for c in counts.values())
    n = sum(c[2] for c in counts.values())
    decided = n - failed
    p = hits / decided if decided else float("nan")
    lo = wilson_interval(hits, n)[0]
    hi = wilson_interval(hits + failed, n)[1]
    certificate = getattr(job, "certificate", "")
    if certificate:
        lo = hi = 0.0  # proven: the cell is null
    return VoronoiEstimate(
        p=p,
        ci95=(lo, hi),
        hits=hits,
        n=n,
        n_failed=failed,
        target=job.target_name,
        variety=job.variety_name,
        distribution=str(job.distribution),
        seed=job.seed,
        method=job.method,
        exhaustive=job.exhaustive,
        chunks=len(counts),
        certificate=certificate,
        rechecked=recheck[0],
        recheck_changed=recheck[1],
    )


RECHECK = 100  # samples decided twice by local searches from independent random starts (at most n / 10 by default)
_RECHECK_SALTS = (2**40 + 1, 2**40 + 2)  # beyond every chunk index (the chunks' salts)


def _recheck_size(n: int) -> int:
    """Samples rechecked by default in a run of n: a tenth, at most RECHECK."""
    return min(RECHECK, n // 10)


def _recheck(job: "_Job", k: int) -> tuple[int, int]:
    """The first k samples of chunk 0 decided twice, by local searches from independent random
    starts: (k, decisions that differ)."""
    U = job.samples(0)[:k]
    first, second = (job.decide(U, salt) for salt in _RECHECK_SALTS)  # type: ignore[attr-defined]
    return len(U), int((first != second).sum())


# -- jobs: what a chunk of samples is counted by ------------------------------------------------


class _Job(Protocol):
    n: int
    chunk_size: int
    seed: int
    method: str
    exhaustive: bool
    target_name: str
    variety_name: str
    distribution: Distribution

    def count(self, c0: int, c1: int) -> npt.NDArray[np.uint64]: ...

    def fingerprint(self) -> dict[str, Any]: ...


def _fingerprint(job: _Job) -> dict[str, Any]:
    return {
        "variety": job.variety_name,
        "target": job.target_name,
        "distribution": str(job.distribution),
        "seed": job.seed,
        "n": job.n,
        "chunk_size": job.chunk_size,
        "method": job.method,
    }


@dataclass
class _CurveJob:
    curve: PlaneCurve
    indices: list[int] | None
    point: tuple[float, float] | None
    target_name: str
    distribution: Distribution
    seed: int
    n: int
    chunk_size: int
    method: str = "exhaustive"
    exhaustive: bool = True

    @property
    def variety_name(self) -> str:
        return f"plane curve {self.curve.description}"

    def count(self, c0: int, c1: int) -> npt.NDArray[np.uint64]:
        kind, a, b = self.distribution.core_args(2)
        return self.curve._core.count(self.indices, self.point, kind, a, b, self.seed, c0, c1, self.chunk_size, self.n)

    def samples(self, c: int) -> npt.NDArray[np.float64]:
        kind, a, b = self.distribution.core_args(2)
        return _core.voronoi_chunk_samples(kind, a, b, self.seed, c, self.chunk_size, self.n)

    def fingerprint(self) -> dict[str, Any]:
        return _fingerprint(self)


@dataclass
class _VarietyJob:
    """A parametrized variety: all real critical points of the distance in parameter space, for
    the variety's parametrization and for every stratum's own, by parameter homotopy from the
    solutions at generic data (solved once per process).

    Decision for a data point u and a target T (a union of strata; a point stratum is its own
    only critical point): every real critical point found is a *candidate*, a point of M. The
    target candidates are those of T's strata; every other candidate that coincides with one of
    them (relative distance below ``SAME_POINT``) lies on T and is dropped, since the variety's
    own critical points include the points of T that are critical for it, such as the edge
    t = 0 of (s, t) -> (s, t^2, 0). The sample is a hit when the best target candidate is nearer
    than every remaining candidate by the relative band ``TIE_BAND``, a miss when a remaining
    candidate is nearer by the band, undecided otherwise. This decides whether the nearest point
    of M lies in T, i.e. dist(u, T) = dist(u, M): a nearest point of M (when attained) is a
    critical point of the variety's parametrization, and when it lies on T it is also T's
    nearest point, hence a critical point of T's parametrization; a miss is witnessed by a
    point of M nearer than T.
    """

    variety: Any
    targets: list[int]  # indices into _variety_strata(variety)
    target_name: str
    distribution: Distribution
    seed: int
    n: int
    chunk_size: int
    method: str = "exhaustive"
    exhaustive: bool = True
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_cache": {}}

    @property
    def variety_name(self) -> str:
        strata = self.variety.strata_description()
        return f"parametrized variety {self.variety.description}" + (f"; strata: {strata}" if strata else "")

    def fingerprint(self) -> dict[str, Any]:
        return _fingerprint(self)

    def samples(self, c: int) -> npt.NDArray[np.float64]:
        return chunk_samples(self.distribution, self.seed, c, self.chunk_size, self.n, self.variety.ambient_dim, 0x7B)

    def _solved(self) -> list[Any]:
        """Critical equations of the variety's parametrization, then of each stratum's."""
        if "solved" not in self._cache:
            from .varieties import CriticalEquations, ParametrizedVariety

            maps = [self.variety] + [s for s in _variety_strata(self.variety) if isinstance(s, ParametrizedVariety)]
            self._cache["solved"] = [CriticalEquations.solve(m, self.seed, stream) for stream, m in enumerate(maps)]
        return self._cache["solved"]

    def candidates(self, U: npt.NDArray[np.float64], salt: int = 0) -> tuple[list[Any], list[list[Any]]]:
        """Per data point: the images of the variety's real critical points (or None when a
        path was lost), and per stratum of ``_variety_strata`` its real critical images (a point
        stratum: the point itself)."""
        from .varieties import ParametrizedVariety

        solved = self._solved()
        seed = self.seed + 7919 * salt
        images = [eq.real_images(U, seed + 104_729 * i) for i, eq in enumerate(solved)]
        top, maps = images[0], iter(images[1:])
        strata = [next(maps) if isinstance(s, ParametrizedVariety) else [s[None, :]] * len(U) for s in _variety_strata(self.variety)]
        return top, strata

    def decisions(
        self, U: npt.NDArray[np.float64], salt: int, groups: Sequence[Collection[int]]
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int8]]:
        """For data U (B, n): whether every path reached the sample, and per group of strata
        (indices into ``_variety_strata``) 1 if the nearest point lies in the group, 0 if not,
        -1 undecided (B, len(groups)). All groups are decided on one set of candidates."""
        top, strata = self.candidates(U, salt)
        complete = np.array([top[k] is not None and all(s[k] is not None for s in strata) for k in range(len(U))], dtype=bool)
        out = np.full((len(U), len(groups)), -1, dtype=np.int8)
        for k in np.flatnonzero(complete):
            for g, group in enumerate(groups):
                inside = set(group)
                target = [strata[j][k] for j in range(len(strata)) if j in inside]
                others = [top[k]] + [strata[j][k] for j in range(len(strata)) if j not in inside]
                out[k, g] = _nearest_in_target(U[k], np.vstack(target), np.vstack(others))
        return complete, out

    def decide(self, U: npt.NDArray[np.float64], salt: int = 0) -> npt.NDArray[np.int8]:
        """1: nearest point in the target, 0: not, -1: undecided, for data U (B, n)."""
        return self.decisions(U, salt, [self.targets])[1][:, 0]

    def nearest_strata(self, U: npt.NDArray[np.float64], salt: int = 0) -> npt.NDArray[np.int64]:
        """Per row of U the index into ``stratum_names``: 0 the smooth part (the nearest point
        lies on no stratum), 1 + i stratum i of ``_variety_strata``, -1 undecided. A nearest
        point where strata meet gets the one of least dimension (a point before a curve): the
        estimator counts it for each of them, so its hits come from ``decisions`` directly."""
        from .varieties import ParametrizedVariety

        strata = _variety_strata(self.variety)
        complete, d = self.decisions(U, salt, [[j] for j in range(len(strata))])
        labels = np.where(complete & (d == 0).all(axis=1), 0, -1).astype(np.int64)

        def size(j: int) -> tuple[int, int]:
            return (strata[j].n_params if isinstance(strata[j], ParametrizedVariety) else 0, j)

        # largest first, so that a smaller stratum (or an earlier one) overwrites it
        for j in sorted(range(len(strata)), key=size, reverse=True):
            labels[d[:, j] == 1] = j + 1
        return labels

    def count(self, c0: int, c1: int) -> npt.NDArray[np.uint64]:
        return decided_counts(self.samples, self.decide, c0, c1)


TIE_BAND = 1e-9  # squared distances this close (relatively) are a tie: the sample is undecided
SAME_POINT = 1e-7  # computed points this close (relative L1 distance) are one point


def _nearest_in_target(u: npt.NDArray[np.float64], target: npt.NDArray[np.float64], others: npt.NDArray[np.float64]) -> int:
    """1 if the best target point is nearer to u than every other point by the tie band, 0 if
    another point is nearer by the band, -1 otherwise; other points on the target don't count."""
    if len(target) and len(others):
        gap = np.abs(others[:, None, :] - target[None, :, :]).sum(axis=2).min(axis=1)
        others = others[gap > SAME_POINT * (1 + np.abs(others).sum(axis=1))]
    d_target = ((target - u) ** 2).sum(axis=1).min(initial=np.inf)
    d_other = ((others - u) ** 2).sum(axis=1).min(initial=np.inf)
    if d_target < d_other * (1 - TIE_BAND):
        return 1
    return 0 if d_other < d_target * (1 - TIE_BAND) else -1


def _variety_strata(variety: Any) -> list[Any]:
    """The named strata (parametrizations or points), then the unnamed singular points."""
    return list(variety.strata.values()) + list(variety.singular_points)


def stratum_names(variety: Any) -> list[str]:
    """Names of the labels of :func:`nearest_strata` from 0: the smooth part, the named strata,
    then the unnamed singular points."""
    from .varieties import _point_description

    return ["smooth part", *variety.strata, *(_point_description(p) for p in variety.singular_points)]


def nearest_strata(
    variety: Any, samples: int | npt.ArrayLike, distribution: Distribution | None = None, seed: int = 0
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """(U, labels) for a :class:`ParametrizedVariety`: data U (B, n) and per row the index of the
    stratum of its nearest point in ``stratum_names(variety)`` (0 the smooth part), or -1 when
    undecided. ``samples``: a count, for the samples ``voronoi_mc(variety, ..., samples,
    distribution, seed)`` draws and decides (its default chunk size), or the data as rows."""
    from .varieties import ParametrizedVariety

    if not isinstance(variety, ParametrizedVariety):
        raise TypeError(f"nearest_strata labels samples of a ParametrizedVariety, got {type(variety).__name__}")
    seed = v.nonnegative_int(seed, "seed")
    if isinstance(samples, numbers.Real) and not isinstance(samples, bool):
        n = _count_arg(samples)
        job = _VarietyJob(variety, [], "", distribution or Gaussian(), seed, n, NETWORK_CHUNK)
        chunks = [job.samples(c) for c in range(-(-n // NETWORK_CHUNK))]
    else:
        U = np.asarray(samples, dtype=np.float64)
        if U.ndim != 2 or U.shape[1] != variety.ambient_dim or not np.all(np.isfinite(U)):
            raise ValueError(f"samples must be finite rows of {variety.ambient_dim} coordinates, got an array of shape {U.shape}")
        job = _VarietyJob(variety, [], "", distribution or Gaussian(), seed, len(U), NETWORK_CHUNK)
        chunks = [U[i : i + NETWORK_CHUNK] for i in range(0, len(U), NETWORK_CHUNK)]
    # chunk c with salt c, as voronoi_mc decides it: the same homotopy seeds, the same labels
    labels = [job.nearest_strata(Uc, c) for c, Uc in enumerate(chunks)]
    dim = variety.ambient_dim
    return np.vstack(chunks) if chunks else np.zeros((0, dim)), np.concatenate(labels) if labels else np.zeros(0, dtype=np.int64)


def _variety_target(variety: Any, target: object) -> tuple[list[int], str]:
    strata = _variety_strata(variety)
    if isinstance(target, str):
        if target == "singular":
            if not strata:
                raise ValueError("the variety has no singular points or strata given (pass singular_points=... or strata=...)")
            return list(range(len(strata))), "the singular points" if not variety.strata else "the singular locus"
        if target in variety.strata:
            return [list(variety.strata).index(target)], f"the stratum {target}"
        names = ", ".join(repr(n) for n in variety.strata) or "none given"
        raise ValueError(f"unknown target {target!r} for a parametrized variety: use 'singular', a stratum name ({names}) or a point stratum's coordinates")
    try:
        q = np.asarray(target, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise TypeError(f"target must be 'singular', a stratum name or a point, got {target!r}") from None
    for i, s in enumerate(strata):
        if isinstance(s, np.ndarray) and q.shape == s.shape and np.abs(s - q).sum() <= 1e-9 * (1 + np.abs(q).sum()):
            return [i], f"the point {tuple(float(x) for x in q)}"
    points = [s.tolist() for s in strata if isinstance(s, np.ndarray)]
    raise ValueError(f"target {target!r} is not one of the variety's singular points or point strata {points}")


def _curve_target(curve: PlaneCurve, target: object) -> tuple[list[int] | None, tuple[float, float] | None, str]:
    sing = curve.singular_points
    if isinstance(target, str):
        if target == "singular":
            return list(range(len(sing))), None, "the singular points"
        if target == "boundary":
            raise ValueError("a plane curve has no boundary target; use 'singular' or a point")
        raise ValueError(f"unknown target {target!r} for a plane curve: use 'singular' or a point (x, y)")
    try:
        q = np.asarray(target, dtype=np.float64).reshape(2)
    except (TypeError, ValueError):
        raise TypeError(f"target must be 'singular' or a point (x, y), got {target!r}") from None
    if not np.all(np.isfinite(q)):
        raise ValueError(f"target point must be finite, got {target!r}")
    for i, s in enumerate(sing):
        if np.abs(s - q).sum() <= 1e-9 * (1 + np.abs(q).sum()):
            return [i], None, f"the singular point ({s[0]:g}, {s[1]:g})"
    if not curve.contains(q):
        raise ValueError(f"target point {tuple(q)} does not lie on the curve {curve.description}")
    return None, (float(q[0]), float(q[1])), f"the point ({q[0]:g}, {q[1]:g})"


def _make_job(variety: object, target: object, distribution: Distribution, seed: int, n: int, method: str, chunk_size: int | None) -> _Job:
    if isinstance(variety, str):
        from .spec import parse

        try:
            variety = parse(variety)
        except ValueError:
            variety = PlaneCurve(variety)
    if isinstance(variety, PlaneCurve):
        if method not in ("exhaustive", "auto"):
            raise ValueError(f"plane curves are always solved exhaustively; method {method!r} is not available")
        indices, point, name = _curve_target(variety, target)
        return _CurveJob(variety, indices, point, name, distribution, seed, n, chunk_size or CURVE_CHUNK)
    from .architectures import Network, ReLUNetwork
    from ._voronoi_cells import NullCellJob
    from ._voronoi_networks import NetworkJob
    from .evaluation import NeuromanifoldAt
    from .varieties import ParametrizedVariety

    if isinstance(variety, ParametrizedVariety):
        if method not in ("exhaustive", "auto"):
            raise ValueError(f"parametrized varieties are solved exhaustively; method {method!r} is not available")
        targets, name = _variety_target(variety, target)
        variety_job = _VarietyJob(variety, targets, name, distribution, seed, n, chunk_size or NETWORK_CHUNK)
        variety_job.distribution.draw(np.random.default_rng(0), 1, variety.ambient_dim)
        return variety_job

    if isinstance(variety, (Network, NeuromanifoldAt)):
        job = NetworkJob.create(variety, target, distribution, seed, n, method, chunk_size or NETWORK_CHUNK)  # type: ignore[arg-type]
        if isinstance(job, NullCellJob) and chunk_size is None:
            job.chunk_size = n  # nothing is drawn: one chunk
        return job
    if isinstance(variety, ReLUNetwork):
        raise TypeError(f"a ReLU network is seen through its values at input points: pass nm.NeuromanifoldAt({variety.spec!r} network, X)")
    raise TypeError(
        f"variety must be a PlaneCurve, a ParametrizedVariety, an algebraic Network, a NeuromanifoldAt or a spec/equation string, got {type(variety).__name__}"
    )


# -- running chunks: locally, resumably, or on a cluster ----------------------------------------


def _count_range(job: _Job, c0: int, c1: int) -> tuple[int, list[list[int]]]:
    return c0, np.asarray(job.count(c0, c1)).astype(int).tolist()


class _Checkpoint:
    """Finished chunks in a JSON file, written atomically; refuses a file of another run."""

    def __init__(self, path: str | os.PathLike[str] | None, fingerprint: dict[str, Any]) -> None:
        if path is not None and not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"checkpoint must be a file path, got {type(path).__name__}")
        self.path = None if path is None else os.fspath(path)
        if self.path is not None and os.path.isdir(self.path):
            raise ValueError(f"checkpoint must be a file path, got the directory {self.path}")
        if self.path is not None and not os.path.isdir(os.path.dirname(os.path.abspath(self.path))):
            raise ValueError(f"checkpoint {self.path}: its directory does not exist")
        self.fingerprint = fingerprint
        self.last = 0.0

    def load(self) -> dict[int, tuple[int, int, int]]:
        if self.path is None or not os.path.exists(self.path):
            return {}
        with open(self.path) as f:
            try:
                data = json.load(f)
            except json.JSONDecodeError as e:
                raise ValueError(f"checkpoint {self.path} is not a checkpoint file: {e}") from None
        if data.get("run") != self.fingerprint:
            raise ValueError(f"checkpoint {self.path} belongs to another run: {data.get('run')} (this run: {self.fingerprint})")
        return {int(k): (int(c[0]), int(c[1]), int(c[2])) for k, c in data["chunks"].items()}

    def save(self, counts: dict[int, tuple[int, int, int]], force: bool = False) -> None:
        if self.path is None or (not force and time.monotonic() - self.last < 1.0):
            return
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"run": self.fingerprint, "chunks": {str(k): list(c) for k, c in sorted(counts.items())}}, f)
        os.replace(tmp, self.path)
        self.last = time.monotonic()


def _ranges(todo: list[int], size: int) -> Iterator[tuple[int, int]]:
    """Runs of consecutive chunk indices, cut into ranges of at most ``size``."""
    i = 0
    while i < len(todo):
        j = i
        while j + 1 < len(todo) and todo[j + 1] == todo[j] + 1 and j + 1 - i < size:
            j += 1
        yield todo[i], todo[j] + 1
        i = j + 1


def voronoi_mc(
    variety: object,
    target: object = "singular",
    n: int = 100_000,
    distribution: Distribution | None = None,
    seed: int = 0,
    progress: bool = True,
    checkpoint: str | os.PathLike[str] | None = None,
    client: Any = None,
    method: str = "auto",
    chunk_size: int | None = None,
    recheck: int | None = None,
) -> VoronoiEstimate:
    """Estimate the probability that the nearest point of ``variety`` to a random data point lies
    in ``target``.

    ``variety``: a :class:`PlaneCurve`, a :class:`ParametrizedVariety`, an algebraic network (its
    neuromanifold in coefficient space, with the Euclidean distance on coefficients), a
    :class:`NeuromanifoldAt` (a ReLU network's values at input points: exact with one hidden layer
    and one output, a finite union of polyhedral cones, or one hidden neuron and several outputs,
    or two on one input; else local searches), or
    a spec / curve equation string.
    ``target``: ``"singular"`` (all singular strata), a point (of a network: its zero function),
    for parametrized varieties the name of one of their strata, for networks a subnetwork (or its description, or its index in
    ``net.subnetworks()``) or ``"boundary"`` (the nearest point is a point of the smooth part
    where D mu drops rank: exhaustive for linear networks and one hidden layer with z^2 and one
    output without biases (their edge lies in their lower strata: a point of top rank has
    parameters where D mu has full rank), for linear convolutional networks and lightning attention
    with a = 1 or d <= 2, for one hidden layer on binary forms with z^k and h >= k - 1 or
    2h = k + 1 or 2h = k + 2 neurons (the data of real rank above h: with h = k - 1 those with k
    real roots, with h >= k none, else those whose apolar forms of degree h have no member with
    h distinct real roots; on one input with biases and 2h in (k, k + 1) the same for the
    derivative), for pencils of quadratic forms (one hidden layer, z^2, d0 neurons, two
    outputs: the pencils with a non-real eigenvalue), for one hidden layer whose powers span a
    hyperplane (k neurons on binary forms of degree k with several outputs, z^2 with one neuron
    fewer than the monomials, one input with biases and k - 1 neurons: the edge is hit when the
    smallest eigenvector of sum u_i u_i^T is the normal of no hyperplane spanned by real powers),
    for cubics in two variables of three neurons with z^3 and biases (the data whose pencil of
    apolar conics through the constant's point has non-real base points), for z^2 on quadratic
    forms in three variables with four neurons and four outputs, or three of each with biases
    (the data whose pencil of conics orthogonal to the outputs has non-real base points), for
    polynomial MLPs with z^k that fill the ambient space with finite
    fibers up to the neuron rescalings (then the edge is hit exactly by the data without a real
    preimage), for two neurons with z^k, k >= 3 or k = 2 with several outputs (the edge is the
    tangential variety of the two neurons merging; with biases on two inputs and one output
    also a neuron merging with the constant, beside the other or with it; "auto" for z^3 only),
    for two neurons on binary cubics cubed by one neuron (the edge c l^6 n^3), for two layers
    of squares on two inputs, (2, h, 2, m) (the limits of merging neurons in either layer; "auto"
    for two outputs) and (2, 2, h, m) (the first-layer limits l^2 q_o), else multistart). A subnetwork of the dimension of M is no singular stratum (``"singular"``
    leaves it out); as a target it is hit when the nearest point lies on it (exact where M
    fills and the part's membership is, and for the parts of the wide layer of (2, 2, h >= 3, m)
    and (2, h >= 3, 2, m)).
    ``distribution``: :class:`Gaussian` (default, scale 1) or :class:`UniformBox`.
    ``method``: ``"exhaustive"`` (all critical points), ``"multistart"`` (local searches from
    random starts: fast, not exhaustive, and said so) or ``"auto"`` (the certificate below where
    one exists, else exhaustive where available:
    linear networks, one hidden layer with z^2 and one output (with or without biases),
    convolutional networks that are linear or have the activation z^k, lightning attention with
    a = 1 or d <= 2: mu linear in V, k, q or in V and K^T Q; ReLU networks with one hidden layer
    and one output at input points, up to 200,000 unions of faces; not where its start systems would
    exceed 5,000 paths, nor for MLP charts of more than 8 coordinates; else local searches) or
    ``"certificate"`` (networks: a proof
    that every target stratum has a null Voronoi cell at every point, from the two-sided tangent
    directions of the real fibers of mu, see :func:`voronoi_cell_bounds`; it holds for the
    lower strata of networks with one hidden layer, whatever the activation, outputs and
    biases; for ``"boundary"`` where the edge lies in such strata: linear networks, one hidden
    layer with z^2 and one output, with biases also the affine parts of merged pairs of neurons,
    one neuron in the first hidden layer without biases (M = {c (x) l^K} is closed), a later hidden
    layer of one neuron without biases fed by one hidden layer with z^2, one whose powers span
    every form of their degree, or such a chain (M = {c (x) g^K} is closed), one hidden neuron
    with biases (its affine limits are the exceptional divisor of a blow-up), with biases a last
    hidden layer of one neuron over one whose powers and the constant span every polynomial of
    their degree, or on one input over k - 1 neurons (the same blow-up at the constant), biases, z^k and one first-layer neuron
    before one more hidden layer of at least k neurons, one for k = 2, or k - 1 with one
    output (polynomials of degree <= k in one power (w.x + b)^k; on one input and k = 2 the
    quartics symmetric about an axis, whose closure adds the axis at infinity);
    where M fills the space (``nm.dimension``: data are their own nearest points); and where
    almost every hyperplane of powers in reach is spanned by real powers. Then p = 0 exactly and
    no sample is drawn). A subnetwork of the dimension of a filling M is decided exactly where
    its real membership is (``"auto"``).
    ``checkpoint``: a JSON file of finished chunks; a rerun resumes from it and ends with the
    counts of an uninterrupted run. ``client``: a ``dask.distributed.Client``; each task counts a
    range of chunks. Ctrl-C stops after the running chunks and keeps the finished ones in the
    checkpoint. ``recheck``: for local searches (not exhaustive), how many samples (the first of
    chunk 0) are decided twice more from independent random starts, to report how many decisions
    change (``VoronoiEstimate.recheck_changed``); default ``min(100, n // 10)``, 0 for none.

    The nearest point lies in the target when the distance to the target equals the distance to
    the variety: a point where the target meets the rest of the variety (the boundary line of a
    half-plane, a curve along which two sheets cross) counts for the target. A sample is
    undecided (``n_failed``) when the target and some point off it are equally near within a
    relative band of 1e-9, or when a path of the homotopy was lost.
    """
    n = _count_arg(n)
    seed = v.nonnegative_int(seed, "seed")
    if distribution is None:
        distribution = Gaussian()
    if not isinstance(distribution, (Gaussian, UniformBox)):
        raise TypeError(f"distribution must be nm.Gaussian(...) or nm.UniformBox(...), got {distribution!r}")
    if not isinstance(method, str) or method not in ("auto", "exhaustive", "multistart", "certificate"):
        raise ValueError(f"method must be 'auto', 'exhaustive', 'multistart' or 'certificate', got {method!r}")
    if chunk_size is not None:
        chunk_size = v.positive_int(chunk_size, "chunk_size")
    if recheck is not None:
        recheck = v.nonnegative_int(recheck, "recheck")
    if client is not None and not all(hasattr(client, a) for a in ("scheduler_info", "scatter", "submit")):
        raise TypeError(f"client must be a dask.distributed.Client, got {type(client).__name__}")
    job = _make_job(variety, target, distribution, seed, n, method, chunk_size)
    store = _Checkpoint(checkpoint, job.fingerprint())
    counts = store.load()
    n_chunks = -(-n // job.chunk_size)
    todo = [c for c in range(n_chunks) if c not in counts]
    bar = _progress(progress and not getattr(job, "certificate", ""), n, sum(c[2] for c in counts.values()), job)

    def record(c0: int, rows: list[list[int]]) -> None:
        for k, row in enumerate(rows):
            counts[c0 + k] = (row[0], row[1], row[2])
            if bar is not None:
                bar.update(row[2])
        store.save(counts)

    try:
        if client is None:
            _run_locally(job, todo, record)
        else:
            _run_on_cluster(client, job, todo, record)
    finally:
        store.save(counts, force=True)
        if bar is not None:
            bar.close()
    k = min(_recheck_size(n) if recheck is None else recheck, n, job.chunk_size)
    return _estimate(job, counts, _recheck(job, k) if k and not job.exhaustive else (0, 0))


BATCH_SECONDS = 0.25  # Ctrl-C is seen between calls into the core, so calls stay short


def _run_locally(job: _Job, todo: list[int], record: Callable[[int, list[list[int]]], None]) -> None:
    """Consecutive chunks in calls of about BATCH_SECONDS each, a multiple of the thread count
    (no thread idles at the end of a call)."""
    threads = max(1, _core.get_num_threads())
    least = 4 * threads
    batch = 2 * least
    for r0, r1 in _ranges(todo, max(1, len(todo))):
        c = r0
        while c < r1:
            end = min(r1, c + batch)
            t0 = time.monotonic()
            record(*_count_range(job, c, end))
            dt = max(time.monotonic() - t0, 1e-6)
            batch = int(min(max(least, batch * BATCH_SECONDS / dt), 4 * batch, 100_000)) // threads * threads
            c = end


def _run_on_cluster(client: Any, job: _Job, todo: list[int], record: Callable[[int, list[list[int]]], None]) -> None:
    from distributed import as_completed

    workers = max(1, len(client.scheduler_info().get("workers", {})))
    per_task = max(1, -(-len(todo) // (8 * workers)))
    remote = client.scatter(job, broadcast=True)
    futures = [client.submit(_count_range, remote, c0, c1, pure=False) for c0, c1 in _ranges(todo, per_task)]
    try:
        for fut in as_completed(futures):
            record(*fut.result())
    except BaseException:
        client.cancel(futures)
        raise


def _progress(progress: bool, total: int, done: int, job: _Job) -> Any:
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=done, unit="sample", unit_scale=True, desc=f"voronoi {job.target_name}")


MAX_SAMPLES = 2**53  # counts stay exact in the estimate's floating point


def _count_arg(n: object) -> int:
    if isinstance(n, float) and n.is_integer():
        n = int(n)
    n = v.positive_int(n, "n")
    if n > MAX_SAMPLES:
        raise ValueError(f"n must be at most 2**53 = {MAX_SAMPLES} samples, got {n}")
    return n


def voronoi_samples(variety: PlaneCurve, n: int, distribution: Distribution | None = None, seed: int = 0, chunk_size: int = CURVE_CHUNK) -> npt.NDArray[np.float64]:
    """The samples (n, 2) that :func:`voronoi_mc` draws for a plane curve with these arguments."""
    if not isinstance(variety, PlaneCurve):
        raise TypeError("voronoi_samples draws the samples of plane-curve runs")
    n = _count_arg(n)
    job = _CurveJob(variety, [], None, "", distribution or Gaussian(), v.nonnegative_int(seed, "seed"), n, v.positive_int(chunk_size, "chunk_size"))
    return np.vstack([job.samples(c) for c in range(-(-n // job.chunk_size))])
