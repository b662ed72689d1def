"""Voronoi decisions for neuromanifolds in coefficient space (Euclidean distance on the
coefficient vector mu(theta)).

The strata are the network's smooth part, its subnetworks (recursively: a subnetwork's own
subnetworks too) and the zero function; for linear networks the rank strata. A sample's nearest
point is in the target when the best point of the target strata beats the best point of every
other stratum:

* exhaustive: every real critical point of the distance on each stratum, by parameter homotopy
  from generic solutions found once by monodromy (in a chart of the stratum);
* multistart: Levenberg-Marquardt on each stratum's parameters from several random starts, a
  local search whose result is marked as not exhaustive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ._chunks import chunk_samples, decided_counts
from ._charts import Chart, critical_system, linear_shape, rank_chart, slice_chart
from .architectures import Network, PolynomialNetwork, Subnetwork
from .critical import _complete, _dim, _distinct, _generic_solutions, _is_real, _to_targets

TIE_BAND = 1e-9  # relative: squared distances closer than this are a tie (undecided)
MULTISTART_MATCH = 1e-7  # relative: a local search that ends this close to the target's best did not beat it
MULTISTART_BEAT = 1e-4  # relative: ... and one this much better did
MULTISTART_STARTS = 8
MULTISTART_ITERATIONS = 150
SPARE_CHARTS = 1  # more random charts for data with a lost path (exhaustive method)


@dataclass(frozen=True)
class Stratum:
    name: str
    dim: int
    support: tuple[int, ...] | None = None  # parameters of a subnetwork (None: all)
    rank: int | None = None  # matrix rank, for linear networks
    point: bool = False  # the zero function


def strata(net: Network, seed: int) -> list[Stratum]:
    """The smooth part first, then the lower strata."""
    shape = linear_shape(net)
    top = Stratum("smooth part", _dim(net, seed))
    if shape is not None:
        m, n = shape.rows, shape.cols
        # a subnetwork of each rank (for local searches): switch off neurons one by one
        supports: dict[int, tuple[int, ...]] = {}
        network, support = net, np.arange(net.n_params)
        for s in range(shape.rank - 1, 0, -1):
            subs = [x for x in network.subnetworks(seed) if x.dim == s * (m + n - s)]
            if not subs:
                break
            network, support = subs[0].network, support[subs[0].embedding]
            supports[s] = tuple(sorted(int(i) for i in support))
        lower = [Stratum(f"rank <= {s}", s * (m + n - s), support=supports.get(s), rank=s) for s in range(shape.rank - 1, 0, -1)]
        return [Stratum("smooth part", top.dim, rank=shape.rank)] + lower + [Stratum("zero function", 0, point=True)]
    out = [top]
    seen: set[tuple[int, ...]] = set()

    def walk(network: Network, support: npt.NDArray[np.int64] | None, prefix: str) -> None:
        for s in network.subnetworks(seed):
            sup = s.embedding if support is None else support[s.embedding]
            key = tuple(sorted(int(i) for i in sup))
            if key in seen:
                continue
            seen.add(key)
            name = s.description if not prefix else f"{prefix}, then {s.description}"
            if s.dim > 0:
                out.append(Stratum(name, s.dim, support=key))
            walk(s.network, np.array(key, dtype=np.int64), name)

    walk(net, None, "")
    if np.allclose(net.mu(np.zeros(net.n_params)), 0.0):
        out.append(Stratum("zero function", 0, point=True))
    return out


def _resolve_target(net: Network, all_strata: list[Stratum], target: object, seed: int) -> tuple[list[int], str]:
    names = [s.name for s in all_strata]
    if isinstance(target, str):
        if target == "singular":
            return list(range(1, len(all_strata))), "the singular strata"
        if target == "boundary":
            return [-1], "the boundary"
        if target in names[1:]:
            return [names.index(target)], target
        raise ValueError(f"unknown target {target!r}: use 'singular', 'boundary', a subnetwork or one of {names[1:]}")
    if isinstance(target, Subnetwork):
        if target.parent != net:
            raise ValueError(f"subnetwork {target.description!r} belongs to {target.parent.spec}, not {net.spec}")
        if linear_shape(net) is not None:
            hit = [i for i, s in enumerate(all_strata) if s.rank is not None and s.dim == target.dim and i > 0]
        else:
            key = tuple(sorted(int(i) for i in target.embedding))
            hit = [i for i, s in enumerate(all_strata) if s.support == key]
        if not hit:
            raise ValueError(f"subnetwork {target.description!r} is not a stratum of positive dimension")
        return hit, all_strata[hit[0]].name
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        subs = net.subnetworks(seed)
        if not 0 <= int(target) < len(subs):
            raise ValueError(f"subnetwork index {target} out of range: the network has {len(subs)} subnetworks")
        return _resolve_target(net, all_strata, subs[int(target)], seed)
    raise TypeError(f"target must be 'singular', 'boundary', a stratum name, a Subnetwork or its index, got {target!r}")


def _exhaustive_available(net: Network) -> str | None:
    """Why the exhaustive method does not apply, or None.

    It needs the real neuromanifold to be the real part of its closure, so that the nearest
    point is a critical point of a stratum: true for linear networks (determinantal varieties)
    and for one hidden layer with activation z^2 and no bias (real quadratic forms of bounded
    rank, signs absorbed by the output weights). Elsewhere the real neuromanifold may have a
    boundary that is no stratum (binary quartics of real rank 2, polynomials with real factors)."""
    if linear_shape(net) is not None:
        return None
    if isinstance(net, PolynomialNetwork) and len(net.widths) == 3 and net.activation == (0.0, 0.0, 1.0) and not net.bias:
        return None
    return (
        f"the real neuromanifold of {net.spec} may be semi-algebraic with a boundary that is not a stratum, "
        "so critical points alone need not give the nearest point; use method='multistart'"
    )


@dataclass
class _Solved:
    chart: Chart
    system: Any
    generic: Any


@dataclass
class NetworkJob:
    spec: str
    targets: list[int]
    target_name: str
    distribution: Any
    seed: int
    n: int
    chunk_size: int
    method: str
    exhaustive: bool
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def create(cls, net: Network, target: object, distribution: Any, seed: int, n: int, method: str, chunk_size: int) -> "NetworkJob":
        why = _exhaustive_available(net)
        if method == "auto":
            method = "multistart" if why else "exhaustive"
        if method == "exhaustive" and why:
            raise ValueError(why)
        all_strata = strata(net, seed)
        if len(all_strata) == 1:
            raise ValueError(f"{net.spec} has no singular strata to target")
        targets, name = _resolve_target(net, all_strata, target, seed)
        if targets == [-1] and method == "exhaustive":
            raise ValueError("the boundary target needs method='multistart'")
        # the distribution must fit the ambient space
        distribution.draw(np.random.default_rng(0), 1, net.ambient_dim)
        job = cls(net.spec, targets, name, distribution, seed, n, chunk_size, method, method == "exhaustive")
        job._cache["net"] = net
        job._cache["strata"] = all_strata
        return job

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_cache"] = {}
        return state

    @property
    def variety_name(self) -> str:
        return f"neuromanifold of {self.spec}"

    @property
    def net(self) -> Network:
        if "net" not in self._cache:
            from .spec import parse

            self._cache["net"] = parse(self.spec)
        return self._cache["net"]

    @property
    def strata(self) -> list[Stratum]:
        if "strata" not in self._cache:
            self._cache["strata"] = strata(self.net, self.seed)
        return self._cache["strata"]

    def fingerprint(self) -> dict[str, Any]:
        from .voronoi import _fingerprint

        return _fingerprint(self)

    def samples(self, c: int) -> npt.NDArray[np.float64]:
        return chunk_samples(self.distribution, self.seed, c, self.chunk_size, self.n, self.net.ambient_dim, 0x7A)

    def count(self, c0: int, c1: int) -> npt.NDArray[np.uint64]:
        return decided_counts(self.samples, self.decide, c0, c1)

    # -- decisions ---------------------------------------------------------------

    def decide(self, U: npt.NDArray[np.float64], salt: int = 0) -> npt.NDArray[np.int8]:
        """1: nearest point in the target, 0: not, -1: undecided, for data U (B, A)."""
        D, deficient = self.distances(U, salt)
        return self.decide_from(D, deficient, self.targets)

    def distances(self, U: npt.NDArray[np.float64], salt: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Best squared distance from each row of U to each stratum (B, strata), and whether the
        smooth part's best point has a rank drop (multistart only)."""
        if self.method == "exhaustive":
            D = np.column_stack([self._exhaustive_distances(i, s, U, salt) for i, s in enumerate(self.strata)])
            return D, np.zeros(len(U), dtype=bool)
        return self._multistart_distances(U, salt)

    def decide_from(self, D: np.ndarray, deficient: np.ndarray, targets: list[int]) -> npt.NDArray[np.int8]:
        if self.method == "exhaustive":
            return _compare(D, targets, TIE_BAND, TIE_BAND)
        if targets == [-1]:
            # boundary: the best point is on the smooth chart's edge, not on a stratum
            out = _compare(D, [0], MULTISTART_MATCH, MULTISTART_BEAT)
            return np.where(out == 1, np.where(deficient, 1, 0), out).astype(np.int8)
        return _compare(D, targets, MULTISTART_MATCH, MULTISTART_BEAT)

    def _solved(self, i: int, s: Stratum, spare: int = 0) -> _Solved:
        """The critical equations of stratum i in a chart and their generic solutions; ``spare``
        picks another random chart (for data whose paths were lost in the first)."""
        key = f"chart{i}.{spare}"
        if key not in self._cache:
            net = self.net
            seed = self.seed + i + 1000 * spare
            if s.rank is not None:
                shape = linear_shape(net)
                assert shape is not None
                chart = rank_chart(shape, s.rank, seed)
            else:
                support = None if s.support is None else np.array(s.support, dtype=np.int64)
                chart = slice_chart(net, s.dim, seed, support)
            system = critical_system(chart, np.eye(len(chart.phi)))
            self._cache[key] = _Solved(chart, system, _generic_solutions(system, seed, 10))
        return self._cache[key]

    def _exhaustive_distances(self, i: int, s: Stratum, U: np.ndarray, salt: int) -> np.ndarray:
        """Squared distance from each row of U to the nearest real critical point on stratum s
        (inf if none, nan if a path was lost)."""
        if s.point:
            return (U**2).sum(axis=1)
        out = np.full(len(U), np.nan)
        todo = np.arange(len(U))
        for spare in range(SPARE_CHARTS + 1):
            # data with a lost path are solved again in another random chart
            solved = self._solved(i, s, spare)
            seed = self.seed + 7919 * salt + i + 104729 * spare
            results, _ = _to_targets(solved.system, solved.generic, U[todo].astype(np.complex128), seed)
            lost = []
            for k, r in zip(todo, results):
                if not _complete(r, len(solved.generic)):
                    lost.append(k)
                    continue
                ys = r.endpoints[r.status == "nonsingular"]
                images = solved.chart.mu(ys) if len(ys) else np.zeros((0, U.shape[1]))
                # a real point of a stratum's closure is a point of the real neuromanifold
                # for the architectures of the exhaustive method (see _exhaustive_available)
                real = [m.real for m in images if _is_real(m)]
                out[k] = min((float(((m - U[k]) ** 2).sum()) for m in real), default=np.inf)
            todo = np.array(lost, dtype=np.int64)
            if not len(todo):
                break
        return out

    def _multistart_distances(self, U: np.ndarray, salt: int) -> tuple[np.ndarray, np.ndarray]:
        """Best squared distances per stratum by local searches; the smooth part's searches also
        start next to every lower stratum's best point, so a stratum counts as nearest only if no
        descent leads away from it. Also whether the smooth part's best point has a rank drop."""
        net = self.net
        cols: list[np.ndarray] = [np.empty(0)] * len(self.strata)
        starts = []
        for i, s in enumerate(self.strata[1:], start=1):
            if s.point:
                cols[i] = (U**2).sum(axis=1)
                starts.append(np.zeros((len(U), net.n_params)))
                continue
            if s.support is None:
                raise ValueError(f"no subnetwork parametrizes the stratum {s.name!r} of {net.spec}: use method='exhaustive'")
            support = np.array(s.support, dtype=np.int64)
            cols[i], theta = _least_squares(net, support, U, np.random.default_rng([self.seed, salt, i, 0x3C]))
            starts.append(theta)
        rng = np.random.default_rng([self.seed, salt, 0, 0x3C])
        near = [th + 1e-2 * rng.standard_normal(th.shape) for th in starts]
        cols[0], theta = _least_squares(net, np.arange(net.n_params), U, rng, near)
        sv = np.linalg.svd(net.jacobian(theta), compute_uv=False)
        dim = self.strata[0].dim
        deficient = sv[:, dim - 1] <= 1e-3 * sv[:, 0]
        return np.column_stack(cols), deficient


def _compare(D: np.ndarray, targets: list[int], match: float, beat: float) -> np.ndarray:
    """Decisions from squared distances D (B, strata): hit if the target strata's best is not
    beaten by another stratum, miss if it is beaten by a margin, undecided in between or when
    a distance is unknown (nan)."""
    mask = np.zeros(D.shape[1], dtype=bool)
    mask[targets] = True
    t = D[:, mask].min(axis=1)
    o = D[:, ~mask].min(axis=1) if (~mask).any() else np.full(len(D), np.inf)
    bad = np.isnan(D).any(axis=1)
    if match == beat:  # exhaustive: a symmetric tie band
        hit = t < o * (1 - match)
    else:  # multistart: a local search that does not beat the target's best by a margin
        hit = t <= o * (1 + match)
    miss = ~hit & (o < t * (1 - beat))
    out = np.where(hit, 1, np.where(miss, 0, -1))
    return np.where(bad, -1, out).astype(np.int8)


def _least_squares(
    net: Network, support: np.ndarray, U: np.ndarray, rng: np.random.Generator, extra: list[np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """min over theta (zero outside support) of |mu(theta) - u|^2 for each row u of U, by
    batched Levenberg-Marquardt from MULTISTART_STARTS random starts (and the given extra
    starts, one (B, N) array each): best value and parameters."""
    extra = extra or []
    B, N = len(U), net.n_params
    K = MULTISTART_STARTS + len(extra)
    k = len(support)
    scale = float(np.sqrt(np.mean(U**2)) + 1e-12) ** (1.0 / max(1, _degree(net)))
    theta = np.zeros((B, K, N))
    theta[:, : MULTISTART_STARTS, support] = scale * rng.standard_normal((B, MULTISTART_STARTS, k))
    for j, th in enumerate(extra):
        theta[:, MULTISTART_STARTS + j] = th
    best, params = net._core.local_least_squares([int(i) for i in support], np.ascontiguousarray(U, dtype=np.float64), theta, MULTISTART_ITERATIONS)
    return best, params


def _degree(net: Network) -> int:
    """Degree of mu in theta, roughly (one factor per layer): scales random starts to the data."""
    widths = getattr(net, "widths", None)
    return max(1, len(widths) - 1) if widths is not None else 2


def stratum_probabilities(net: Network, n: int, seed: int = 0, distribution: Any = None, method: str = "auto") -> list[Any]:
    """Voronoi estimates for every lower stratum of ``net`` from one set of ``n`` samples
    (Gaussian by default): the same distances serve every target."""
    from .voronoi import Gaussian, _estimate

    job = NetworkJob.create(net, "singular", distribution or Gaussian(), seed, n, method, n)
    U = job.samples(0)
    D, deficient = job.distances(U, 0)
    out = []
    for i, s in enumerate(job.strata[1:], start=1):
        d = job.decide_from(D, deficient, [i])
        counts = {0: (int((d == 1).sum()), int((d == -1).sum()), len(U))}
        part = NetworkJob(job.spec, [i], s.name, job.distribution, seed, n, n, job.method, job.exhaustive)
        out.append(_estimate(part, counts))
    return out
