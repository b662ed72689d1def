"""Critical points of a loss L = l o mu: all of them by homotopy continuation, each classified."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from . import _validate as v
from ._blocks import balanced_blocks, multilinear_form
from ._charts import Chart, balanced_lift, critical_system, linear_shape, rank_chart, rank_stratum_hessian, slice_chart
from .architectures import Network, PolynomialNetwork
from .dimension import dimension
from .losses import Loss
from .system import MonodromyResult, SolveResult, System, monodromy_solve, solve, track

__all__ = ["CriticalPoint", "CriticalPoints", "classify", "critical_points"]

KINDS = ("minimum", "strict_saddle", "nonstrict_saddle", "maximum", "degenerate")
EIG_TOL = 1e-7  # eigenvalues below this (relative to the largest) count as zero
REAL_TOL = 1e-7
TOTAL_DEGREE_LIMIT = 200  # slice systems with at most this many total-degree paths track them all
CAREFUL_ATTEMPTS = 2  # paths to the optimum's fiber retracked carefully when every quick one failed


@dataclass(frozen=True)
class CriticalPoint:
    """One critical point of L = l o mu.

    ``kind`` and ``index`` (the number of negative Hessian eigenvalues; the fiber's tangent
    directions carry none) are set for real points only. ``pure`` means mu(theta) is a smooth
    point of M and critical for l on M; ``reason`` says why a point is pure or spurious.
    ``image_kind`` is the type of mu(theta) as a critical point of l on the smooth part of M
    (when known). ``rank`` is the rank of the product matrix for linear networks.
    """

    theta: np.ndarray = field(repr=False)
    mu: np.ndarray = field(repr=False)
    loss: float
    real: bool
    kind: str | None
    index: int | None
    pure: bool
    reason: str
    global_min: bool | None
    image_kind: str | None = None
    rank: int | None = None
    gradient_norm: float = 0.0


@dataclass(frozen=True)
class CriticalPoints(Sequence[CriticalPoint]):
    """Every critical point found, with the accounting of the homotopy paths behind them.

    ``failed`` counts paths that did not reach a finite nonsingular endpoint after retries
    (their critical points are missing from the list); ``complete`` is ``failed == 0``.
    """

    points: tuple[CriticalPoint, ...]
    paths: int
    failed: int
    method: str

    def __getitem__(self, i: Any) -> Any:
        return self.points[i]

    def __len__(self) -> int:
        return len(self.points)

    def __iter__(self) -> Iterator[CriticalPoint]:
        return iter(self.points)

    @property
    def complete(self) -> bool:
        return self.failed == 0

    @property
    def real(self) -> list[CriticalPoint]:
        return [p for p in self.points if p.real]

    def summary(self) -> dict[str, int]:
        """Counts: all points, real ones, each kind among the real ones, pure and spurious."""
        out = {"points": len(self.points), "real": len(self.real)}
        kinds = Counter(p.kind for p in self.real)
        out.update({k: kinds.get(k, 0) for k in KINDS})
        out["pure"] = sum(p.pure for p in self.points)
        out["spurious"] = len(self.points) - out["pure"]
        out["failed_paths"] = self.failed
        return out

    def table(self) -> str:
        """A text table of the real critical points, by loss."""
        rows = ["  loss            kind               index  pure   reason"]
        for p in sorted(self.real, key=lambda p: p.loss):
            tag = " (global min)" if p.global_min else ""
            rows.append(f"  {p.loss:<14.8g}  {p.kind:<17}  {p.index!s:>5}  {'yes' if p.pure else 'no':<5}  {p.reason}{tag}")
        return "\n".join(rows)


# -- solving ---------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _dim(net: Network, seed: int) -> int:
    return dimension(net, seed=seed).dim


def _charts(net: Network, seed: int) -> list[Chart | None]:
    """Charts of the strata holding critical points: for linear networks one per rank
    s = 0..r (None for the zero matrix; lower ranks only with two or more layers), else one slice.
    ``seed`` picks the random chart."""
    shape = linear_shape(net)
    if shape is None:
        return [slice_chart(net, _dim(net, seed), seed)]
    ranks = range(shape.rank + 1) if shape.layers >= 2 else [shape.rank]
    return [None if s == 0 else rank_chart(shape, s, seed) for s in ranks]


CHART_ATTEMPTS = 3  # a solution near the edge of a chart is ill-conditioned there: try another chart


def _random_complex(rng: np.random.Generator, n: int) -> np.ndarray:
    return (rng.standard_normal(n) + 1j * rng.standard_normal(n)) / math.sqrt(2)


def _generic_solutions(system: System, seed: int, loops: int) -> MonodromyResult:
    return monodromy_solve(system, seed=seed, loops_without_new=loops)


def _generic_solutions_twice(system: System, seed: int, loops: int) -> MonodromyResult:
    """Monodromy from two seeds, the second's solutions tracked to the first's parameters: the
    union of both. One run alone can stall (a slice of a filling network with two preimages
    per point gave one at some seeds), and an exact decision needs every solution."""
    first = monodromy_solve(system, seed=seed, loops_without_new=loops)
    other = monodromy_solve(system, seed=seed + 0x5EED, loops_without_new=loops)
    there = track(system, other.solutions, other.parameters, first.parameters, seed=seed)[0]
    union = np.vstack([first.solutions, there.endpoints[there.status == "nonsingular"]])
    return MonodromyResult(first.parameters, union[_separate(union)], first.loops + other.loops)


RESTARTS = 5  # other generic parameters to retry a target with a lost path from


class Restarts:
    """Other generic parameters for one system and its generic solutions, with the solutions
    there, each tracked to once and kept: every target with a lost path is retried from them.
    Drawn from ``seed`` alone, they are the same whatever the targets and their order. A restart
    with a lost path is dropped rather than retracked carefully (seconds to a minute a path):
    another one is cheaper."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._moved: dict[int, tuple[np.ndarray, SolveResult | None]] = {}

    def moved(self, system: System, generic: MonodromyResult, attempt: int) -> tuple[np.ndarray, SolveResult] | None:
        """(parameters, solutions there) of restart ``attempt``, or None if a path was lost."""
        if attempt not in self._moved:
            p1 = _random_complex(np.random.default_rng([self.seed, attempt, 0xF1]), system.n_params)
            r = track(system, generic.solutions, generic.parameters, p1, seed=self.seed + attempt + 1, retry_failed=False)[0]
            self._moved[attempt] = (p1, None if _lost_counts([r], len(generic))[0] else r)
        p1, r = self._moved[attempt]
        return None if r is None else (p1, r)


def _to_targets(
    system: System, generic: MonodromyResult, targets: np.ndarray, seed: int, retry_failed: bool = True, restarts: Restarts | None = None
) -> tuple[list[SolveResult], list[bool]]:
    """Parameter homotopy to each target; targets with a lost path are retried from other
    generic parameters (those of ``restarts``, kept by the caller for this system, else drawn
    from ``seed``). Returns the results and whether each is complete (every path ended at a
    distinct nonsingular solution). ``retry_failed=False``: no careful retrack of a failed
    path (see ``track``)."""
    results = track(system, generic.solutions, generic.parameters, targets, seed=seed, retry_failed=retry_failed)
    expected = len(generic)
    lost = _lost_counts(results, expected)  # computed once per result: the retries update it
    restarts = restarts or Restarts(int(np.random.default_rng([seed, 0xF1]).integers(2**31)))
    used = 0
    for attempt in range(2 * RESTARTS):  # (a restart with a lost path is skipped)
        bad = [i for i, k in enumerate(lost) if k]
        if not bad or used == RESTARTS:
            break
        got = restarts.moved(system, generic, attempt)
        if got is None:
            continue
        used += 1
        p1, moved = got
        retried = track(system, moved.solutions, p1, targets[bad], seed=seed + attempt + 1, retry_failed=retry_failed)
        for i, r, k in zip(bad, retried, _lost_counts(retried, expected)):
            if k < lost[i]:
                results[i], lost[i] = r, k
    return results, [k == 0 for k in lost]


def _lost_counts(results: list[SolveResult], expected: int) -> list[int]:
    """For each result, the paths that did not end at a distinct nonsingular solution, and the
    missing ones (any, when not all of the ``expected`` paths were tracked)."""
    return [max(1, expected - len(r.status)) if len(r.status) != expected else _lost(r) for r in results]


def _lost(r: SolveResult) -> int:
    """Paths that did not end at a distinct nonsingular solution."""
    good = r.status == "nonsingular"
    sols = r.endpoints[good]
    distinct = _distinct(sols)
    return len(r.status) - len(distinct)


def _distinct(sols: np.ndarray, tol: float = 1e-6) -> list[int]:
    """Indices of the first occurrence of each point (up to a relative tolerance): point i
    repeats an earlier kept point j when max_k |x_ik - x_jk| <= tol (1 + max_k |x_ik|).

    Points are sorted by a fixed real projection r(x) = a . Re x + b . Im x with entries of a and
    b in [-1, 1]: a repeat has |r_i - r_j| <= (|a|_1 + |b|_1) times the tolerance, so only the
    neighbours within that band in the sorted order are compared (n log n for hundreds of
    critical points merged per sample, where all pairs cost n^2)."""
    sols = np.asarray(sols)
    m = len(sols)
    if m == 0:
        return []
    if sols.ndim == 1 or sols.shape[1] == 0:
        sols = sols.reshape(m, -1)
    a, b = _projection(sols.shape[1])
    band = tol * (1 + np.abs(sols).max(axis=1))
    r = sols.real @ a + sols.imag @ b
    reach = (1 + 1e-9) * (np.abs(a).sum() + np.abs(b).sum()) * band  # (rounding of r)
    order = np.argsort(r, kind="stable")
    ranked = r[order]
    lo = np.searchsorted(ranked, r - reach, side="left")
    counts = np.searchsorted(ranked, r + reach, side="right") - lo
    if (counts <= 1).all():
        return list(range(m))  # all distinct, the common case
    rows = np.repeat(np.arange(m), counts)
    cols = order[np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts - lo, counts)]
    earlier = cols < rows
    rows, cols = rows[earlier], cols[earlier]
    close = np.abs(sols[rows] - sols[cols]).max(axis=1) <= band[rows]
    rows, cols = rows[close], cols[close]
    keep = np.ones(m, dtype=bool)
    if len(rows):
        order = np.argsort(rows, kind="stable")  # ascending i: the earlier points are settled
        rows, cols = rows[order], cols[order]
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        for i, js in zip(rows[starts], np.split(cols, starts[1:])):
            keep[i] = not keep[js].any()
    return np.flatnonzero(keep).tolist()


_PROJECTIONS: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _projection(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The fixed projection of ``_distinct`` for points with n coordinates."""
    if n not in _PROJECTIONS:
        ab = np.random.default_rng([0xD157, n]).uniform(-1, 1, size=(2, n))
        _PROJECTIONS[n] = (ab[0], ab[1])
    return _PROJECTIONS[n]


def _separate(sols: np.ndarray, tol: float = 1e-6) -> list[int]:
    """Indices of the first occurrence of each point, two points being the same when every
    coordinate agrees up to tol relative to its own size: for counting points of very different
    scales (a tolerance relative to a point's largest coordinate merges points that share a huge
    one and differ in the small ones)."""
    sols = np.asarray(sols)
    keep: list[int] = []
    for i, x in enumerate(sols):
        kept = sols[keep]
        if not (np.abs(kept - x) <= tol * (1 + np.maximum(np.abs(kept), np.abs(x)))).all(axis=1).any():
            keep.append(i)
    return keep


def _is_real(z: np.ndarray) -> bool:
    return bool(np.abs(np.imag(z)).max(initial=0.0) <= REAL_TOL * (1 + np.abs(z).max(initial=0.0)))


# -- classification --------------------------------------------------------------------


def _signature(H: np.ndarray, rel_tol: float = EIG_TOL) -> tuple[int, int, int, np.ndarray, np.ndarray]:
    lam, vec = np.linalg.eigh((H + H.T) / 2)
    tol = rel_tol * max(1.0, float(np.abs(lam).max(initial=0.0)))
    neg, pos = int((lam < -tol).sum()), int((lam > tol).sum())
    return neg, pos, len(lam) - neg - pos, lam, vec[:, np.abs(lam) <= tol]


def _image_kind(H: np.ndarray, rel_tol: float = 1e-9) -> str:
    """Type of a critical point of l on the smooth part of M from the Hessian of l o phi in a
    chart (a chart far from orthonormal scales eigenvalues apart: pass a smaller tolerance)."""
    neg, pos, zero, _, _ = _signature(H, rel_tol)
    if zero:
        return "degenerate"
    return "minimum" if neg == 0 else "maximum" if pos == 0 else "strict_saddle"


def _probe(net: Network, loss: Loss, theta: np.ndarray, null: np.ndarray, sign: float, seed: int) -> bool:
    """Does L decrease (sign=-1: increase) along some direction of the Hessian's null space, to
    higher order? Straight lines from a local minimum never decrease L for small steps."""
    if null.shape[1] == 0:
        return False
    rng = np.random.default_rng([seed, 0x9B])
    dirs = [null[:, k] for k in range(null.shape[1])]
    dirs += [null @ rng.standard_normal(null.shape[1]) for _ in range(16)]
    L0 = float(loss.value(net, theta))
    scale = 1.0 + float(np.abs(theta).max())
    noise = 1e-11 * (1.0 + abs(L0))
    for t in (1e-3, 1e-2):
        for d in dirs:
            d = d / np.linalg.norm(d)
            steps = np.stack([theta + t * scale * d, theta - t * scale * d])
            change = sign * (np.asarray(loss.value(net, steps)) - L0)
            if (change < -noise).any():
                return True
    return False


def _balanced(net: Network, theta: np.ndarray) -> np.ndarray:
    """The point of the fiber of theta where every hidden neuron of a polynomial MLP with the
    activation z^k is balanced: its incoming weights and bias scaled by l and its outgoing
    weights by l^-k (which keeps mu), with l minimizing the norm of the neuron's parameters (a
    few sweeps over the layers; a neuron with one side zero gets the other of unit norm); for
    networks homogeneous in blocks, the blocks of equal norm (with a zero block, the others of
    unit norm); theta itself for other networks. One point per orbit: the kind read off its
    Hessian does not depend on where in the orbit theta was."""
    if not isinstance(net, PolynomialNetwork):
        return _balanced_blocks(net, theta)
    if _power(net) is None:
        return theta  # not homogeneous: no rescaling symmetry
    return balanced_rows(net, np.asarray(theta, dtype=np.float64)[None, :])[0]


def balanced_rows(net: Network, thetas: np.ndarray) -> np.ndarray:
    """``_balanced`` for every row of thetas (B, N), the sweeps of a polynomial MLP done for all
    rows at once."""
    thetas = np.asarray(thetas, dtype=np.float64)
    k = _power(net) if isinstance(net, PolynomialNetwork) else None
    if k is None or thetas.ndim != 2:
        return np.array([_balanced(net, t) for t in thetas.reshape(-1, thetas.shape[-1])]).reshape(thetas.shape)
    out = thetas.copy()
    neurons = _neurons(net)
    for _ in range(4):
        for incoming, outgoing in neurons:  # layer by layer
            a, c = (out[:, incoming] ** 2).sum(axis=1), (out[:, outgoing] ** 2).sum(axis=1)
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                # no incoming weights: the outgoing ones to unit norm; no outgoing weights: the
                # incoming ones to unit norm; else l^2 a + l^(-2k) c is least at l^(2k + 2) = k c / a
                lam = np.where(a <= 1e-16 * c, c ** (1.0 / (2 * k)), np.where(c <= 1e-16 * a, a**-0.5, (k * c / a) ** (1.0 / (2 * k + 2))))
            lam = np.where(a + c == 0.0, 1.0, lam)
            out[:, incoming] *= lam[:, None]
            out[:, outgoing] /= lam[:, None] ** k
    return out


def _power(net: PolynomialNetwork) -> int | None:
    """k for the activation c z^k (k >= 1): its neurons rescale, else None."""
    nonzero = [i for i, a in enumerate(net.activation) if a != 0]
    return nonzero[0] if len(nonzero) == 1 and nonzero[0] >= 1 else None


def _neurons(net: PolynomialNetwork) -> list[tuple[list[int], list[int]]]:
    """For each hidden neuron of an MLP, layer by layer: the indices of its incoming weights
    (and bias) and of its outgoing weights. The parameters are W_1, b_1, W_2, b_2, ..., each W_l
    row-major, one row per neuron of layer l."""
    widths, bias = net.widths, net.bias
    starts = np.cumsum([0] + [a * b + (b if bias else 0) for a, b in zip(widths[:-1], widths[1:])])
    out = []
    for layer in range(len(widths) - 2):
        d_in, d_out, d_next = widths[layer], widths[layer + 1], widths[layer + 2]
        at, nxt = int(starts[layer]), int(starts[layer + 1])
        for i in range(d_out):
            incoming = [at + i * d_in + j for j in range(d_in)] + ([at + d_in * d_out + i] if bias else [])
            out.append((incoming, [nxt + r * d_out + i for r in range(d_next)]))
    return out


def _balanced_blocks(net: Network, theta: np.ndarray) -> np.ndarray:
    """For a network homogeneous in blocks of parameters (convolutions linear or with z^k,
    lightning attention): the blocks rescaled to equal norms, which keeps mu; theta otherwise."""
    form = multilinear_form(net)
    if isinstance(form, str) or form.reduce is not None:
        return theta
    blocks = np.unique(form.labels[form.labels >= 0])
    norms = np.array([np.linalg.norm(theta[form.labels == b]) for b in blocks])
    if norms.min() <= 1e-8 * norms.max():
        # a (nearly) zero block: equal norms are only reached in the limit at 0. The orbit's
        # point with the other blocks of unit norm, the first zero block compensating
        degrees = np.array([1 if form.degrees is None else form.degrees[b] for b in blocks], dtype=np.float64)
        zero = norms <= 1e-8 * norms.max()
        factors = np.where(zero, 1.0, 1.0 / np.maximum(norms, 1e-300))
        first = int(np.flatnonzero(zero)[0])
        factors[first] = float(np.prod(norms[~zero] ** degrees[~zero])) ** (1.0 / degrees[first])
        balanced = theta.astype(np.float64).copy()
        for b, f in zip(blocks, factors):
            balanced[form.labels == b] *= f
    else:
        balanced = balanced_blocks(theta[None, :], form.labels, form.degrees)[0]
    m = net.mu(theta)
    if not np.allclose(net.mu(balanced), m, rtol=1e-9, atol=1e-12 * (1.0 + float(np.abs(m).max(initial=0.0)))):
        return theta
    return balanced


def _kind(net: Network, loss: Loss, theta: np.ndarray, rank: int, dim: int, at_optimum: bool, seed: int) -> tuple[str, int]:
    # the kind is that of every point of the fiber (the rescalings act linearly, so the Hessian
    # changes by a congruence); at a balanced one the Hessian is well scaled: weights near 20 with
    # output weights near 1 put its eigenvalues 1e8 apart, and the smallest across the fiber
    # passed for zero
    theta = _balanced(net, theta)
    H = loss.hessian(net, theta)
    neg, pos, zero, _, null = _signature(H)
    smooth_fiber = rank == dim and zero == net.n_params - rank  # Morse-Bott: zeros only along the fiber
    if neg and pos:
        return "strict_saddle", neg
    if neg:
        if smooth_fiber:
            return "maximum", neg
        return ("strict_saddle" if _probe(net, loss, theta, null, -1.0, seed) else "degenerate"), neg
    if at_optimum or smooth_fiber:
        return "minimum", 0
    return ("nonstrict_saddle" if _probe(net, loss, theta, null, 1.0, seed) else "degenerate"), 0


def _purity(net: Network, loss: Loss, theta: np.ndarray, m: np.ndarray, rank: int, dim: int) -> tuple[bool, str]:
    shape = linear_shape(net)
    if shape is None:
        if rank == dim:
            return True, "D mu has maximal rank"
        return False, f"D mu is rank-deficient (rank {rank} < dim M = {dim})"
    W = np.asarray(m).reshape(shape.rows, shape.cols)
    G = np.asarray(loss.function_gradient(net, m)).reshape(W.shape)
    U, sv, Vh = np.linalg.svd(W)
    s = int((np.abs(sv) > 1e-8 * max(1.0, float(np.abs(sv).max(initial=0.0)))).sum())
    if s < shape.rank and not shape.filling:
        return False, f"mu(theta) has rank {s} < {shape.rank}: a singular point of M"
    gscale = 1e-7 * (1.0 + float(np.abs(G).max()) + float(np.abs(W).max()))
    if s < shape.rank:
        critical = float(np.abs(G).max()) <= gscale
    else:
        Uc, Vc = U[:, :s], Vh[:s].conj().T
        critical = max(float(np.abs(Uc.conj().T @ G).max()), float(np.abs(G @ Vc).max())) <= gscale
    if not critical:
        return False, "mu(theta) is not critical for the loss on M"
    if rank == dim:
        return True, "D mu has maximal rank"
    return True, "mu(theta) is a smooth point of M, critical for the loss on M"


def _real_from(net: Network, theta: np.ndarray, seed: int) -> np.ndarray | None:
    """Real parameters with the (real) image of complex ``theta``: on the orbit of the neurons'
    complex rescalings, else by Levenberg-Marquardt; None if neither finds them."""
    found = _real_point_of_orbit(net, theta)
    return found if found is not None else _real_preimage(net, net.mu(theta).real, theta.real, seed)


def _real_point_of_orbit(net: Network, theta: np.ndarray) -> np.ndarray | None:
    """For a polynomial MLP with the activation z^k: rescaling a hidden neuron's incoming
    weights and bias by 1 / l and its outgoing weights by l^k keeps mu for complex l too, so a
    complex theta may be a real point moved by complex factors (a slice through a real fiber
    can meet it only there). Each neuron, layer by layer, divided by the phase of its largest
    incoming entry: the real point if that gives one with the same mu, else None."""
    k = _power(net) if isinstance(net, PolynomialNetwork) else None
    if k is None:
        return None
    out = np.array(theta, dtype=np.complex128)
    # layer by layer: a layer's rescalings move the next layer's incoming weights
    for incoming, outgoing in _neurons(net):
        largest = out[incoming][np.argmax(np.abs(out[incoming]))]
        if largest == 0:
            continue
        phase = largest / abs(largest)
        out[incoming] /= phase
        out[outgoing] *= phase**k
    if not _is_real(out):
        return None
    real = out.real.copy()
    m = net.mu(theta)
    if np.abs(net.mu(real) - m).max() > 1e-8 * (1.0 + float(np.abs(m).max())):
        return None
    return real


def _real_preimage(net: Network, target: np.ndarray, start: np.ndarray, seed: int) -> np.ndarray | None:
    """Real theta with mu(theta) = target by Levenberg-Marquardt, from ``start`` and then from
    random points; None if none is found (the function is outside the real neuromanifold)."""
    rng = np.random.default_rng([seed, 0x2E])
    tol = 1e-11 * (1.0 + float(np.abs(target).max()))
    for attempt in range(8):
        theta = start.copy() if attempt == 0 else rng.standard_normal(net.n_params)
        lam = 1e-3
        r = net.mu(theta) - target
        for _ in range(300):
            if float(np.abs(r).max()) <= tol:
                return theta
            J = net.jacobian(theta)
            JtJ = J.T @ J
            damping = lam * max(1.0, float(np.abs(np.diag(JtJ)).max()))
            try:
                step = np.linalg.solve(JtJ + damping * np.eye(net.n_params), J.T @ r)
            except np.linalg.LinAlgError:
                lam *= 4
                continue
            trial = theta - step
            rt = net.mu(trial) - target
            if np.linalg.norm(rt) < np.linalg.norm(r):
                theta, r, lam = trial, rt, max(lam / 3, 1e-12)
            else:
                lam *= 4
                if lam > 1e12:
                    break
    return None


def classify(net: Network, loss: Loss, theta: object, seed: int = 0, gradient_tol: float = 1e-6) -> CriticalPoint:
    """Classify a real parameter vector (for instance where gradient descent stopped).

    If the gradient of L is larger than ``gradient_tol`` (relative to the size of the loss's
    gradient in function space) the kind is ``"not_critical"``. Otherwise the Hessian of L decides
    minimum / strict saddle / maximum; where it is degenerate beyond the fiber's tangent space,
    L is probed along the null directions to tell non-strict saddles from undecided points.
    """
    if not isinstance(net, Network):
        raise TypeError(f"expected an algebraic Network, got {type(net).__name__}")
    if not isinstance(loss, Loss):
        raise TypeError(f"expected a Loss, got {type(loss).__name__}")
    arr, single = v.params(theta, net.n_params)
    if not single or arr.dtype.kind == "c":
        raise ValueError("classify takes one real parameter vector of shape (N,)")
    if not np.all(np.isfinite(arr)):
        raise ValueError("theta contains NaN or infinity")
    return _point(net, loss, arr[0], seed=v.nonnegative_int(seed, "seed"), gradient_tol=float(gradient_tol))


def _point(
    net: Network,
    loss: Loss,
    theta: np.ndarray,
    seed: int,
    gradient_tol: float = 1e-6,
    image_kind: str | None = None,
    matrix_rank: int | None = None,
) -> CriticalPoint:
    dim = _dim(net, seed)
    real = not np.iscomplexobj(theta) or _is_real(theta)
    if not real and _is_real(net.mu(theta)):
        # a real function reached from complex parameters: look for real parameters in its fiber,
        # first on the orbit of the neurons' complex rescalings
        found = _real_from(net, theta, seed)
        if found is not None:
            theta, real = found, True
    if real:
        theta = np.real(theta).astype(np.float64)
    m = net.mu(theta)
    Q, b, c = loss.quadratic(net)
    value = complex(m @ Q @ m - 2 * m @ b + c)
    J = net.jacobian(theta)
    g = loss.function_gradient(net, m)
    grad = J.T @ g
    gnorm = float(np.abs(grad).max(initial=0.0))
    if real:
        rank = net.jacobian_rank(theta)
        pure, reason = _purity(net, loss, theta, m, rank, dim)
        at_optimum = float(np.abs(g).max()) <= 1e-9 * (1 + float(np.abs(b).max()))
        if gnorm > gradient_tol * (1.0 + float(np.abs(g).max()) * (1.0 + float(np.abs(J).max()))):
            kind, index = "not_critical", None
        else:
            kind, index = _kind(net, loss, theta, rank, dim, at_optimum, seed)
    else:
        sv = np.linalg.svd(J, compute_uv=False)
        rank = int((sv > 1e-8 * max(1.0, sv.max(initial=0.0))).sum())
        pure = rank == dim
        reason = "D mu has maximal rank" if pure else f"D mu is rank-deficient (rank {rank} < dim M = {dim})"
        kind, index = None, None
    return CriticalPoint(
        theta=theta,
        mu=m,
        loss=value.real if real else value,  # type: ignore[arg-type]
        real=real,
        kind=kind,
        index=index,
        pure=pure,
        reason=reason,
        global_min=None,
        image_kind=image_kind,
        rank=matrix_rank,
        gradient_norm=gnorm,
    )


def critical_points(net: Network, loss: Loss, seed: int = 0, loops: int = 8, method: str = "auto") -> CriticalPoints:
    """Every critical point of L = l o mu, each with its classification.

    Linear (and residual linear) networks are solved in function space: for each rank s <= r the
    critical points of l on the rank-s matrices (lower ranks are images of spurious critical points
    when the network has two or more layers), each lifted to parameters. Other architectures are
    solved through the parametrization on a slice that fixes the fibers (symmetries). Each system
    is solved at generic complex data by monodromy (``loops`` loops without a new solution end it),
    then a parameter homotopy goes to the given data. One parameter vector represents each point
    of function space; its whole fiber consists of critical points of the same kind.

    Where the exact rank of D mu is the ambient dimension (M dense, certified), every critical
    point on the main component maps to the loss's optimum in function space, and one path to
    one point of its fiber replaces monodromy. Through the parametrization, monodromy finds the
    critical points on the main component of the critical equations; points off it (spurious
    ones where D mu drops rank, e.g. on the boundary of a semi-algebraic neuromanifold) need the
    total-degree homotopy, which
    ``method="total_degree"`` forces and ``"auto"`` uses when it has at most 200 paths (with
    monodromy as well when every run lost a path).
    """
    if method not in ("auto", "monodromy", "total_degree"):
        raise ValueError(f"method must be 'auto', 'monodromy' or 'total_degree', got {method!r}")
    if not isinstance(net, Network):
        raise TypeError(f"expected an algebraic Network, got {type(net).__name__}")
    if not isinstance(loss, Loss):
        raise TypeError(f"expected a Loss, got {type(loss).__name__}")
    seed = v.nonnegative_int(seed, "seed")
    loops = v.positive_int(loops, "loops")
    Q, b, _ = loss.quadratic(net)
    _check_definite(Q)
    points: list[CriticalPoint] = []
    paths = failed = 0
    used = "monodromy + parameter homotopy"
    charts = list(zip(*[_charts(net, seed + k) for k in range(CHART_ATTEMPTS if linear_shape(net) else 1)]))
    for alternatives in charts:
        chart = alternatives[0]
        if chart is None:  # the zero product, critical for two or more layers
            shape = linear_shape(net)
            assert shape is not None
            theta0 = balanced_lift(shape, np.zeros((shape.rows, shape.cols)), 0)
            points.append(_point(net, loss, theta0, seed, matrix_rank=0))
            continue
        system = critical_system(chart, Q)
        small = system.bezout_number <= TOTAL_DEGREE_LIMIT
        if chart.rank is None and (method == "total_degree" or (method == "auto" and small)):
            # small enough to track every path of the total-degree homotopy: this also finds
            # critical points off the main component (spurious ones, boundary points)
            ys, tracked, lost = _total_degree(system, b, seed)
            used = "total degree"
            paths += tracked
            failed += lost
            if method == "auto" and lost:
                # a run that lost paths may have lost points of the main component, which
                # monodromy reaches reliably: both, and the failed paths still counted
                generic = _generic_solutions(system, seed, loops)
                (result,), _ = _to_targets(system, generic, b.astype(np.complex128)[None, :], seed)
                paths += len(result.status)
                failed += _lost(result)
                ys = np.concatenate([ys, result.endpoints[result.status == "nonsingular"]])
                used = "total degree and monodromy + parameter homotopy"
        elif method == "auto" and linear_shape(net) is None and dimension(net, seed=seed).exact_rank == net.ambient_dim:
            # M is dense (a certified full rank): every critical point where the slice's Jacobian
            # is invertible maps to the loss's optimum u* = Q^-1 b, so one point of its fiber
            # represents them all, reached by one path from a point of another fiber
            ys, tracked, lost = _one_point_of_the_optimum_fiber(net, system, chart, Q, b, seed)
            used = "parameter homotopy from a point of another fiber (M is dense)"
            paths += tracked
            failed += lost
        else:
            for k, chart in enumerate(alternatives):
                system = critical_system(chart, Q)
                generic = _generic_solutions(system, seed, loops)
                (result,), (complete,) = _to_targets(system, generic, b.astype(np.complex128)[None, :], seed)
                if complete:
                    break
            paths += len(result.status)
            failed += _lost(result)
            ys = result.endpoints[result.status == "nonsingular"]
        ys = ys[_distinct(ys)]
        shape = linear_shape(net)
        if shape is None and len(ys):
            ys = ys[_few_per_image(ys, chart.mu(ys))]
        for y in ys:
            if shape is not None:
                # realness and type are read off the matrix W, independent of the chart
                W = chart.mu(y).reshape(shape.rows, shape.cols)
                if _is_real(W):
                    W = W.real
                    s = int(chart.rank or 0)
                    kind = _image_kind(rank_stratum_hessian(Q, b, W, s)) if chart.top else None
                    points.append(_point(net, loss, balanced_lift(shape, W, s), seed, image_kind=kind, matrix_rank=s))
                else:
                    points.append(_point(net, loss, chart.lift(y), seed, matrix_rank=chart.rank))
                continue
            y_real = _is_real(y)
            image_kind = _image_kind(system.jacobian(y.real, b).real, 1e-11) if y_real else None
            points.append(_point(net, loss, chart.lift(y.real if y_real else y), seed, image_kind=image_kind))
    if linear_shape(net) is None:
        # a slice point where the slice is not transverse to the fiber need not be critical for L
        points = _distinct_images([p for p in points if p.kind != "not_critical" and _critical(p)])
    real_losses = [p.loss for p in points if p.real]
    best = min(real_losses) if real_losses else math.inf
    tol = 1e-8 * (1 + abs(best))
    points = [_with_global(p, best, tol) for p in points]
    points.sort(key=lambda p: (not p.real, p.loss.real if isinstance(p.loss, complex) else p.loss))
    return CriticalPoints(points=tuple(points), paths=paths, failed=failed, method=used)


def _total_degree(system: System, b: np.ndarray, seed: int, runs: int = 3) -> tuple[np.ndarray, int, int]:
    """The finite solutions of the total-degree homotopy at data b, from runs with new random
    gammas until one has no failed path (at most ``runs``), the union of their solutions: the
    distinct ones, the number of paths tracked, and the least number of failed paths of a run
    (0 when a run ended every path)."""
    found, tracked, failures = [], 0, []
    for k in range(runs):
        result = solve(system, parameters=b, seed=seed + k)
        tracked += len(result.status)
        found.append(result.endpoints[result.finite & (result.residual < 1e-8)])
        failures.append(int((result.status == "failed").sum()))
        if not failures[-1]:
            break
    ys = np.concatenate(found)
    return ys[_distinct(ys)], tracked, min(failures)


def _one_point_of_the_optimum_fiber(
    net: Network, system: System, chart: Chart, Q: np.ndarray, b: np.ndarray, seed: int, attempts: int = 12
) -> tuple[np.ndarray, int, int]:
    """Where M is dense: a random complex slice point y0 is a critical point of the loss with
    data b0 = Q phi(y0) (its optimum is phi(y0)); the parameter homotopy from b0 to b carries it
    to a point of the fiber over the optimum Q^-1 b. Paths from new random starts until one ends
    at a real point (real parameters directly; the optimum is real) or one whose real point is
    found from it, at most ``attempts`` (without careful retracking, then CAREFUL_ATTEMPTS with it
    if every path failed), and only one where ``contains`` says the optimum has no real
    preimage: one endpoint, real if any
    was (none if no path ended nonsingular), the number of paths tracked, and of failed ones
    (counted only when no path ended nonsingular: the others only searched for a real point of a
    fiber already reached)."""
    try:
        real_preimage: bool | None = bool(net.contains(np.linalg.solve(Q, b)))
    except (NotImplementedError, ValueError):
        real_preimage = None  # undecided: search
    rng = np.random.default_rng([seed, 0xF1BE])
    found: list[np.ndarray] = []
    for k in range(attempts + CAREFUL_ATTEMPTS):
        if k >= attempts and found:
            break
        y0 = _random_complex(rng, chart.n)
        # a failed path is retracked carefully (up to a minute) only once every start failed:
        # another start is usually cheaper
        careful = k >= attempts
        result = track(system, y0[None, :], Q @ chart.mu(y0), b.astype(np.complex128), seed=seed + k, retry_failed=careful)[0]
        ends = result.endpoints[result.status == "nonsingular"]
        real = [y for y in ends if _is_real(y)]
        if real:
            return np.array(real[:1]), k + 1, 0
        found.extend(ends)
        if found and real_preimage is False:
            return np.array(found[:1]), k + 1, 0
        if len(ends) and _real_from(net, chart.lift(ends[0]), seed) is not None:
            return ends[:1], k + 1, 0  # its fiber's real point is found from there (``_point``)
    if found:
        return np.array(found[:1]), k + 1, 0
    return np.zeros((0, chart.n), dtype=np.complex128), k + 1, k + 1


def _few_per_image(ys: np.ndarray, images: np.ndarray, keep: int = 3) -> list[int]:
    """Indices of at most ``keep`` slice points per point of function space, real slice points
    first (they give real parameters directly): a slice meets each fiber in many points
    (hundreds where M fills the space), which all give the same critical point; more than one
    in case the slice is not transverse to the fiber at the first."""
    images = np.atleast_2d(images)
    real = np.array([_is_real(y) for y in ys], dtype=bool)
    order = np.concatenate([np.flatnonzero(real), np.flatnonzero(~real)])
    scale = 1 + np.abs(images).max(axis=1)
    out: list[int] = []
    for first in (order[i] for i in _distinct(images[order])):
        same = np.abs(images[order] - images[first]).max(axis=1) <= 1e-6 * scale[first]
        out.extend(order[same][:keep].tolist())
    return out


def _critical(p: CriticalPoint) -> bool:
    return p.gradient_norm <= 1e-6 * (1.0 + float(np.abs(p.mu).max()))


def _with_global(p: CriticalPoint, best: float, tol: float) -> CriticalPoint:
    import dataclasses

    return dataclasses.replace(p, global_min=bool(p.real and p.loss <= best + tol))


def _distinct_images(points: list[CriticalPoint]) -> list[CriticalPoint]:
    """One representative per point of function space (a slice may cut a fiber several times)."""
    out: list[CriticalPoint] = []
    for p in points:
        if all(np.abs(p.mu - q.mu).max() > 1e-6 * (1 + np.abs(p.mu).max()) for q in out):
            out.append(p)
    return out


def _check_definite(Q: np.ndarray) -> None:
    lam = np.linalg.eigvalsh(Q)
    if lam.min() <= 1e-12 * max(1.0, lam.max()):
        raise ValueError(
            "the loss is degenerate on the space of functions (its quadratic form is singular, e.g. "
            "fewer samples than monomials): critical points are not isolated"
        )
