"""The edge of two neurons with a power activation: the tangential variety.

The network x -> (sum_i c_oi (l_i . x)^k)_o with two hidden neurons and the activation z^k
(k >= 3, or k = 2 with two or more outputs) has a real image M_R that is not the real part of
its closure: two complex conjugate neurons give real outputs too. Where the two kinds meet,
l_1 and l_2 coincide, and real parameters with l_2 = l_1 + e m, c_o1 = a_o - b_o / (k e),
c_o2 = b_o / (k e) tend to (a_o l^k + b_o (l . x)^(k-1) (m . x))_o as e -> 0: the edge E
(dimension 2n + 2m - 3, a hypersurface of M), in the closure of M_R but generically not in it
(with one output and n = 2: binary forms with a root of multiplicity k - 1, which a sum of two
k-th powers of independent forms never has). Real parameters diverge with a bounded image
only when l_1 and l_2 become parallel (l_1^k and l_2^k are independent otherwise), and then
c_2 (l_2^k - l_1^k) = k c_2 l^(k-1) (l_2 - l_1) + O(c_2 |l_2 - l_1|^2) tends to a point of E; so
the closure of M_R is M_R with E (and a single neuron with 0 where the two kinds meet it in
lower strata), and the nearest point of that closure to data u is

* a real critical point of the distance on M in a slice fixing one incoming weight of each
  neuron (rescaling a neuron by a real lambda, its output weights by lambda^-k, reaches any
  nonzero value there, so real networks are real points of the slice, and complex conjugate
  neurons are not), or
* a real critical point on E, in a chart fixing l_1, m_1 = 0 and m_2 (l -> lambda l,
  m -> s m + t l with b and a adjusted keep the point; real lambda, s, t reach those values), or
* a point of a lower stratum: a single neuron c (l . x)^k (its own real slice), or 0.

The edge is hit when E's best point beats all others.

One input with biases and two neurons, (1, 2, m) with z^k, reduces to this: the output biases
make the constant terms free, and f'_o = sum_i k c_oi w_i (w_i x + b_i)^(k-1) are any outputs of
two neurons on binary forms of degree k - 1 (in (x, 1)), with the same limits (a neuron merging
with the constant, w_i -> 0, gives a power of the constant's form, a point of that set). The
distance to M is the distance of the other coefficients to the antiderivatives: the charts of
(2, 2, m) with z^(k-1), the coefficient of x^j y^(k-1-j) divided by j + 1, against u's
coefficient of x^(j+1).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from math import factorial
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _polynomials as pl
from ._charts import Chart, _slice, divided_critical_system
from ._kept_solves import kept_solve
from ._voronoi_membership import imaginary_ratio, incoming_weight_point, permuted_neurons
from .architectures import PolynomialNetwork
from .critical import REAL_TOL, RESTARTS, Restarts, _distinct, _generic_solutions, _separate
from .system import MonodromyResult, System, track

ALIVE = 1e-8  # relative size of a term of a generic critical point below which it is a stray (seen: <= 1e-10; alive: >= 1e-3)
CROSS_CHECK = 500  # the seed offset of the chart whose generic critical points are taken over (spares: 1000 apart)
CROSS_CHECKS = 3  # charts tried in turn while the points taken over come to fewer than that chart had
TIE_BAND = 1e-9  # relative: squared distances closer than this are a tie
SPARE_CHARTS = 3  # more random charts for data with a hard path (cheap: their generic solutions are moved over)


def _power(net: PolynomialNetwork) -> int:
    """k for the activation z^k, else 0."""
    degrees = np.flatnonzero(np.asarray(net.activation))
    return int(degrees[0]) if len(degrees) == 1 and net.activation[degrees[0]] == 1.0 else 0


def _antiderivative_of(net: object, neurons: int = 2) -> tuple[PolynomialNetwork, np.ndarray, np.ndarray] | None:
    """For one input with biases, ``neurons`` neurons with z^k and m outputs (two: k >= 4, or
    k >= 3 with m >= 2, where the derivatives' tangential edge applies; three: k >= 7 and one
    output, the join edge of ``_voronoi_join``): the network of the derivatives (the neurons on
    binary forms of degree k - 1, m outputs), and for each of its coefficients the column of u it
    is compared with and the factor taking it to the antiderivative's coefficient."""
    if not isinstance(net, PolynomialNetwork) or not net.bias or len(net.widths) != 3 or tuple(net.widths[:2]) != (1, neurons):
        return None
    k, m = _power(net), net.widths[2]
    if neurons == 2 and (k < 3 or (k == 3 and m < 2)):
        return None
    if neurons == 3 and (k < 7 or m != 1):
        return None
    derivative = PolynomialNetwork((2, neurons, m), activation=k - 1)
    A = net.ambient_dim // m  # coefficients per output
    power_of_x = {int(e[0]): i for i, e in enumerate(np.asarray(net.monomials))}
    j = np.asarray(derivative.monomials)[:, 0]  # the power of x of each coefficient of f'
    columns = np.array([o * A + power_of_x[int(a) + 1] for o in range(m) for a in j])  # outputs one after another
    return derivative, columns, np.tile(1.0 / (j + 1.0), m)


def tangent_slice_dim(net: object) -> int:
    """The coordinates of the slice of M that the tangential edge solves on."""
    reduced = _antiderivative_of(net)
    return (reduced[0] if reduced is not None else net).n_params - 2  # type: ignore[attr-defined]


def tangent_edge_available(net: object) -> str | None:
    """Why the tangential edge does not decide the boundary of ``net``, or None."""
    if _antiderivative_of(net) is not None:
        return None
    if not isinstance(net, PolynomialNetwork) or len(net.widths) != 3 or net.bias:
        return "the tangential edge is charted for one hidden layer without biases, or one input with biases and two neurons (z^k, k >= 4, or k = 3 with several outputs)"
    n, r, m = net.widths
    k = _power(net)
    if r != 2 or n < 2 or k < 2 or (k == 2 and m < 2):
        return f"{net.spec}: the tangential edge is charted for two neurons with z^k, k >= 3 or k = 2 with two or more outputs"
    return None


def least_known(*parts: np.ndarray) -> np.ndarray:
    """The least of the columns ``parts`` in each row, nan where any of them is nan (unknown)."""
    stacked = np.column_stack(parts)
    return np.where(np.isnan(stacked).any(axis=1), np.nan, stacked.min(axis=1))


def _multinomial(e: tuple[int, ...]) -> int:
    out = factorial(sum(e))
    for a in e:
        out //= factorial(a)
    return out


def _edge_coefficients(net: PolynomialNetwork, a: list[pl.Poly], b: list[pl.Poly], l: list[pl.Poly], m: list[pl.Poly], nv: int) -> list[pl.Poly]:
    """Coefficients in the network's basis of (a_o (l . x)^k + b_o (l . x)^(k-1) (m . x))_o, for
    output weights a, b and linear forms l, m (lists of n) in the chart's variables: the
    coefficient of x^e is a_o multinomial(e) l^e + b_o sum_j m_j multinomial(e - e_j) l^(e - e_j)."""
    powers: dict[tuple[int, ...], pl.Poly] = {}

    def l_power(e: tuple[int, ...]) -> pl.Poly:
        if e not in powers:
            j = next((i for i, x in enumerate(e) if x), None)
            if j is None:
                powers[e] = pl.constant(1.0, nv)
            else:
                rest = tuple(x - (i == j) for i, x in enumerate(e))
                powers[e] = pl.mul(l[j], l_power(rest))
        return powers[e]

    out: list[pl.Poly] = []
    for o in range(net.widths[-1]):
        for e in (tuple(int(x) for x in row) for row in net.monomials.tolist()):
            terms = [pl.scale(pl.mul(a[o], l_power(e)), _multinomial(e))]
            for j, x in enumerate(e):
                if x:
                    f = tuple(y - (i == j) for i, y in enumerate(e))
                    terms.append(pl.scale(pl.mul(b[o], pl.mul(m[j], l_power(f))), _multinomial(f)))
            out.append(pl.add(*terms))
    return out


def _affine(rng: np.random.Generator, n: int, conditions: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A random real affine subspace {v : V v = e_last} of R^n, as a point, an orthonormal
    basis of its directions (n - conditions of them) and V: a random patch keeps coordinates
    moderate."""
    V = np.linalg.qr(rng.standard_normal((n, n)))[0][:conditions]
    target = np.zeros(conditions)
    target[-1] = 1.0
    point = np.linalg.lstsq(V, target, rcond=None)[0]
    basis = np.linalg.qr(np.vstack([V, rng.standard_normal((n - conditions, n))]).T)[0][:, conditions:]
    return point, basis, V


@dataclass(frozen=True)
class EdgePatch:
    """The affine planes of E's chart: l with v_1 . l = 1, m with v_2 . m = 0 and v_3 . m = 1."""

    n: int
    m: int
    k: int
    pl: np.ndarray
    Bl: np.ndarray
    Vl: np.ndarray
    pm: np.ndarray
    Bm: np.ndarray
    Vm: np.ndarray

    @classmethod
    def draw(cls, net: PolynomialNetwork, seed: int) -> "EdgePatch":
        n, _, m = net.widths
        rng = np.random.default_rng([seed, 0x7A9E])
        return cls(n, m, _power(net), *_affine(rng, n, 1), *_affine(rng, n, 2))

    def point(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(l, m, a, b) at chart coordinates y."""
        n, m = self.n, self.m
        return self.pl + self.Bl @ y[: n - 1], self.pm + self.Bm @ y[n - 1 : 2 * n - 3], y[2 * n - 3 : 2 * n - 3 + m], y[2 * n - 3 + m :]

    def coordinates(self, l: np.ndarray, mm: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Chart coordinates of the point (a_o l^k + b_o l^(k-1) m)_o (complex allowed): l -> lambda
        l, m -> s m + t l, b -> b / (lambda^(k-1) s), a -> a / lambda^k - b' t keep it."""
        lam = 1.0 / (self.Vl @ l)[0]
        l2 = lam * l
        s, t = np.linalg.solve(np.column_stack([self.Vm @ mm, self.Vm @ l2]), np.array([0.0, 1.0]))
        m2 = s * mm + t * l2
        b2 = b / (lam ** (self.k - 1) * s)
        a2 = a / lam**self.k - b2 * t
        return np.concatenate([self.Bl.T @ (l2 - self.pl), self.Bm.T @ (m2 - self.pm), a2, b2])


def edge_chart(net: PolynomialNetwork, seed: int) -> Chart:
    """E as (a_o l^k + b_o l^(k-1) m)_o with l on a random real hyperplane (v_1 . l = 1) and m on a
    random real affine plane (v_2 . m = 0, v_3 . m = 1): l -> lambda l and m -> s m + t l reach
    them from almost every real (l, m). Coordinates: those of l and m in the planes, a, b."""
    n, _, m = net.widths
    patch = EdgePatch.draw(net, seed)
    nv = (n - 1) + (n - 2) + 2 * m
    yl = [pl.variable(i, nv) for i in range(n - 1)]
    ym = [pl.variable(n - 1 + i, nv) for i in range(n - 2)]
    l_ = [pl.add(pl.constant(patch.pl[j], nv), pl.linear_combination((patch.Bl[j, i], yl[i]) for i in range(n - 1))) for j in range(n)]
    m_ = [pl.add(pl.constant(patch.pm[j], nv), pl.linear_combination((patch.Bm[j, i], ym[i]) for i in range(n - 2))) for j in range(n)]
    a = [pl.variable(2 * n - 3 + o, nv) for o in range(m)]
    b = [pl.variable(2 * n - 3 + m + o, nv) for o in range(m)]
    phi = _edge_coefficients(net, a, b, l_, m_, nv)
    return Chart(phi=phi, n=nv, lift=lambda y: y, rank=None, top=False)


def _neuron_slices(net: PolynomialNetwork, seed: int) -> tuple[Chart, Chart]:
    """Slices of M and of the one-neuron stratum fixing the first incoming weight of each
    neuron at a random real value (neuron 0's block is its weights, then its output weights)."""
    theta0, fixed = _slice_point(net, seed)
    chart = _slice(net, theta0, np.setdiff1d(np.arange(net.n_params), fixed))
    one = theta0.copy()
    one[fixed[1:]] = 0.0
    return chart, _slice(net, one, _first_neuron(net))


def _slice_point(net: PolynomialNetwork, seed: int) -> tuple[np.ndarray, list[int]]:
    """The base point and fixed parameters of the slices of chart seed ``seed``: fixed weights
    of similar sizes for three or more neurons (the join edge: monodromy in the slice of M took
    4.6 times less time, with the same decisions), standard normal ones for two (on the
    derivative edges similar sizes left one more sample of 2000 undecided)."""
    return incoming_weight_point(net, np.random.default_rng([seed, 0x51CE]), similar_sizes=net.widths[1] >= 3)


def _slice_divided(net: PolynomialNetwork, seed: int) -> dict[int, int]:
    """The columns of the slice of M of seed ``seed`` (one output) to divide: each neuron's free
    incoming weights by its output weight c_i, a factor of every term of theirs. Else the points
    with c_i = 0, critical for the other neurons with neuron i's weights at the roots of its
    one equation, are critical points of their own, which monodromy strays into."""
    n, r, _ = net.widths
    _, fixed = _slice_point(net, seed)
    free = [int(j) for j in np.setdiff1d(np.arange(net.n_params), fixed)]
    at = {j: i for i, j in enumerate(free)}
    return {at[j]: at[r * n + j // n] for j in free if j < r * n}


def _first_neuron(net: PolynomialNetwork) -> np.ndarray:
    """The free parameters of the one-neuron slice: neuron 0's weights but the first, then its
    output weights."""
    n, r, m = net.widths
    return np.array(list(range(1, n)) + [r * n + k * r for k in range(m)])


def _rescaled(net: PolynomialNetwork, theta: np.ndarray, fixed: list[int], values: np.ndarray) -> np.ndarray:
    """theta with each neuron's incoming weights rescaled so that its fixed weight takes the
    given value, and its outgoing weights by the inverse k-th power (the same network)."""
    n, r, m = net.widths
    out = theta.copy()
    for i, f in enumerate(fixed):
        lam = values[i] / theta[f]
        out[i * n : (i + 1) * n] *= lam
        out[r * n + i :: r] /= lam ** _power(net)
    return out


def _moved_solutions(net: PolynomialNetwork, which: int, seed: int, spare_seed: int, Y: np.ndarray) -> np.ndarray:
    """Coordinates in chart ``which`` of seed ``spare_seed`` of the points at coordinates Y in
    the chart of seed ``seed``: the same points of E or M, so the same critical points."""
    if which == 0:
        old, new = EdgePatch.draw(net, seed), EdgePatch.draw(net, spare_seed)
        return np.array([new.coordinates(*old.point(y)) for y in Y])
    theta0, fixed = _slice_point(net, seed)
    theta1, _ = _slice_point(net, spare_seed)
    if which == 1:
        free = np.setdiff1d(np.arange(net.n_params), fixed)
        thetas = np.broadcast_to(theta0, (len(Y), net.n_params)).astype(complex)
        thetas[:, free] = Y
        return np.array([_rescaled(net, t, fixed, theta1[fixed])[free] for t in thetas])
    free = _first_neuron(net)
    thetas = np.zeros((len(Y), net.n_params), dtype=complex)
    thetas[:, fixed[0]] = theta0[fixed[0]]
    thetas[:, free] = Y
    return np.array([_rescaled(net, t, fixed[:1], theta1[fixed[:1]])[free] for t in thetas])


def _slice_terms(net: PolynomialNetwork, seed: int, X: np.ndarray) -> np.ndarray:
    """|c_i| |w_i|^k of each neuron i at the points X of the slice of M of seed ``seed`` (c_i its
    output weights, w_i its incoming ones)."""
    n, r, m = net.widths
    theta0, fixed = _slice_point(net, seed)
    free = np.setdiff1d(np.arange(net.n_params), fixed)
    thetas = np.broadcast_to(theta0, (len(X), net.n_params)).astype(complex)
    thetas[:, free] = X
    W = np.abs(thetas[:, : r * n].reshape(len(X), r, n))
    C = np.abs(thetas[:, r * n : r * n + m * r].reshape(len(X), m, r))
    return np.linalg.norm(C, axis=1) * np.linalg.norm(W, axis=2) ** _power(net)


def _edge_terms(net: PolynomialNetwork, seed: int, X: np.ndarray) -> np.ndarray:
    """|a| |l|^k and |b| |l|^(k-1) |m| at the points X of the chart of E of seed ``seed``."""
    patch, k = EdgePatch.draw(net, seed), _power(net)
    parts = [patch.point(x) for x in X]
    size = lambda v: float(np.linalg.norm(v))  # noqa: E731
    return np.array([[size(a) * size(l) ** k, size(b) * size(l) ** (k - 1) * size(m)] for l, m, a, b in parts])


def _newton(system: System, x: np.ndarray, p: np.ndarray) -> np.ndarray | None:
    """x after Newton steps at parameters p, if they converge to a regular solution, else None.
    The last step is judged in each coordinate against that coordinate's size: critical points
    spread over orders of magnitude, and a point right only in its largest coordinates would
    pass a test against the whole point's size."""
    try:
        for _ in range(4):
            dx = np.linalg.solve(system.jacobian(x, p), -system.evaluate(x, p))
            x = x + dx
    except np.linalg.LinAlgError:
        return None
    return x if np.all(np.isfinite(x)) and np.all(np.abs(dx) <= 1e-8 * (1 + np.abs(x))) else None


def _polished(system: System, X: np.ndarray, p: np.ndarray) -> np.ndarray | None:
    """Newton steps on X at parameters p; None unless every point converges to a distinct
    regular solution."""
    out = [_newton(system, x, p) for x in X]
    if any(x is None for x in out):
        return None
    Y = np.array(out)
    return Y if len(_distinct(Y)) == len(Y) else None


@dataclass
class _Solved:
    chart: Chart
    system: System
    generic: MonodromyResult
    restarts: Restarts = field(default_factory=Restarts)
    seed: int = 0  # the chart's seed


Needed = Callable[[], npt.NDArray[np.bool_]]  # the rows whose decision is still open


@dataclass
class Part:
    """One part of a side (the edge or the rest) for rows of data: squared distances to its
    nearest real point (nan where not known exactly) and upper bounds, with the work left after
    the first track (none for a part in closed form)."""

    exact: npt.NDArray[np.float64]
    bound: npt.NDArray[np.float64]
    work: Iterator[None] | None = None
    nearest: dict[int, tuple[np.ndarray, int]] = field(default_factory=dict)  # row -> (chart coordinates, chart seed) of the bound

    @classmethod
    def closed(cls, exact: npt.NDArray[np.float64]) -> Part:
        return cls(exact, exact)

    def complete(self) -> None:
        """Do the rest of the work (for the rows still needed)."""
        if self.work is not None:
            for _ in self.work:
                pass
            self.work = None


def _sides(edge: list[Part], rest: list[Part]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Squared distances to the edge and to the rest (nan where not known exactly), and upper
    bounds on both."""
    bound = lambda parts: np.column_stack([p.bound for p in parts]).min(axis=1)
    return least_known(*(p.exact for p in edge)), least_known(*(p.exact for p in rest)), bound(edge), bound(rest)


def _decided(edge: np.ndarray, rest: np.ndarray, edge_bound: np.ndarray, rest_bound: np.ndarray) -> npt.NDArray[np.int8]:
    """1 where a real point of the edge is nearer than the exact rest, 0 where a real point of
    the rest is nearer than the exact edge, -1 where neither is known."""
    out = np.full(len(edge), -1, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        out[~np.isnan(rest) & (edge_bound < rest * (1 - TIE_BAND))] = 1
        out[~np.isnan(edge) & (rest_bound < edge * (1 - TIE_BAND))] = 0
    return out


class TangentEdge:
    """Boundary decisions: 1 the nearest point of the closure of M_R is on E, 0 on M_R or a lower
    stratum, -1 undecided (a tie within the band, or a lost path in every chart)."""

    SLICE = 1  # the chart of the slice of M

    def __init__(self, net: PolynomialNetwork, seed: int) -> None:
        self.net, self.seed = net, seed
        self._origin = net.spec  # (the network before any reduction below: the key of its solves)
        self.precise_last = False  # a last track in extended precision for rows still short (``JoinEdge``)
        self._cache: dict[tuple[int, int], _Solved] = {}
        self._orbits: dict[int, npt.NDArray[np.int_]] = {}
        # one input with biases: the charts of the derivatives, taken to their antiderivatives
        self._columns: np.ndarray | None = None
        self._factors: np.ndarray | None = None
        reduced = _antiderivative_of(net)
        if reduced is not None:
            self.net, self._columns, self._factors = reduced

    def _chart(self, which: int, s: int) -> Chart:
        """Chart ``which`` (0: E, 1: M, 2: one neuron) of seed s."""
        return edge_chart(self.net, s) if which == 0 else _neuron_slices(self.net, s)[which - 1]

    def _moved(self, which: int, source: int, dest: int, Y: np.ndarray) -> np.ndarray | None:
        """The points at coordinates Y of chart ``which`` of seed ``source`` in the chart of seed
        ``dest`` (None: not known, found by monodromy there)."""
        return _moved_solutions(self.net, which, source, dest, Y)

    def _system(self, which: int, s: int) -> tuple[Chart, System]:
        """Chart ``which`` of seed s and the critical equations of the distance on it, divided
        where that drops stray solutions (``_divided``)."""
        chart = self._chart(which, s)
        if self._factors is not None:
            chart = replace(chart, phi=[pl.scale(p, float(c)) for p, c in zip(chart.phi, self._factors)])
        kept = self._kept(which)
        if kept is not None:
            chart = replace(chart, phi=[chart.phi[int(i)] for i in kept])
        return chart, divided_critical_system(chart, self._divided(which, s))

    def _kept(self, which: int) -> np.ndarray | None:
        """The coefficients chart ``which`` is compared on (None: all of them)."""
        return None

    def _generic(self, which: int, system: System) -> MonodromyResult:
        """The critical points of the first chart at generic data: by monodromy there and in a
        chart of another seed, whose points are tracked to the same data and taken over,
        without the points of a dead term (``_alive``), and on the slice of M closed under the
        neurons' permutations. Monodromy alone stalls in some charts, where many paths are hard
        (on binary sextics, at some seeds, 85 of the slice's 128 points after 35 loops and 97
        after 96, or 1 of the one-neuron slice's 16), and an exact decision needs every
        critical point; two charts rarely stall together (the same numbers at each of 24
        seeds, for five networks). Where the points taken over come to fewer than the other
        chart had (a path lost on the way), charts of other seeds are tried in turn, up to
        CROSS_CHECKS."""
        first = _generic_solutions(system, self.seed + which, 10)
        X, loops = first.solutions, first.loops
        for attempt in range(CROSS_CHECKS):
            o = self.seed + CROSS_CHECK + 7 * attempt
            _, other_system = self._system(which, o)
            other = _generic_solutions(other_system, o + which, 10)
            there = track(other_system, other.solutions, other.parameters, first.parameters, seed=o)[0]
            ends = there.endpoints[there.status == "nonsingular"]
            with np.errstate(all="ignore"):
                moved = self._moved(which, o, self.seed, ends) if len(ends) else None
            taken = [x for x in (_newton(system, y, first.parameters) for y in (moved if moved is not None else [])) if x is not None]
            X, loops = self._closed(which, np.vstack([X, *taken])), loops + other.loops
            if len(X) >= len(other.solutions):
                break  # (else a point of the other chart was lost on its way here: another chart)
        return MonodromyResult(first.parameters, X, loops)

    def _divided(self, which: int, s: int) -> dict[int, int]:
        """Columns of chart ``which`` of seed s to divide (``divided_critical_system``), with one
        output: on E, p = a l^k + b l^(k-1) m, those of m by b (every term has it), and those of
        l by b after dropping a k l^(k-1) D l, whose products with p - u are combinations of the
        equations of a, b and m (the forms l^(k-1) w, w in span(l, m, D m), are all of
        l^(k-1) F_1); else every point with b = 0 and its (l, a) critical for a l^k alone, which
        makes D l^(k-1) m dependent, is an isolated critical point that monodromy strays into.
        On the slice of M, ``_slice_divided``."""
        n, _, m = self.net.widths
        if m != 1 or self.net.bias:
            return {}
        if which == self.SLICE:
            return _slice_divided(self.net, s)
        return {i: 2 * n - 2 for i in range(2 * n - 3)} if which == 0 else {}

    def _closed(self, which: int, X: np.ndarray) -> np.ndarray:
        """The distinct points X with every term alive, on the slice of M with their images under
        the neurons' permutations (which map critical points to critical points)."""
        X = X[self._alive(which, X)]
        if which == self.SLICE and len(X):
            X = np.vstack([X, self._permuted(X)])
        return X[_separate(X)]

    def _admitted(self, which: int, Y: npt.NDArray[np.float64], seed: int) -> npt.NDArray[np.bool_]:
        """Which real critical points Y of chart ``which`` of seed ``seed`` are points of the
        closure of M_R (all of them here: each chart's real points are)."""
        return np.ones(len(Y), dtype=bool)

    def _alive(self, which: int, X: np.ndarray) -> npt.NDArray[np.bool_]:
        """Which points X of the first chart ``which`` have every term alive: on the slice of M a
        neuron's output weights can vanish, and such points (critical points of one neuron, with
        the other neuron's weights at the roots of one equation) form components of their own
        that monodromy strays into (their terms have relative size 1e-10 and below, the others'
        1e-3 and above); so do the points of E with b = 0 (a = 0 is no component). With one
        output the divided equations (``_divided``) have none at generic data, and this only
        guards the ends at the samples. The one-neuron slice has none."""
        if which == 2 or not len(X):
            return np.ones(len(X), dtype=bool)
        terms = _slice_terms(self.net, self.seed, X) if which == 1 else _edge_terms(self.net, self.seed, X)
        alive = terms if which == 1 else terms[:, 1:]
        return alive.min(axis=1) > ALIVE * terms.max(axis=1)

    def _solved(self, which: int, spare: int) -> _Solved:
        """Chart ``which`` with its critical points at generic data: found by monodromy in the
        first chart, and in a spare chart moved over from the first (the same points of E or M
        in other coordinates), by monodromy only if that fails. The solves depend on the class,
        the network and the seed alone, so the process keeps them for other instances
        (``kept_solve``; their restarts are drawn from the seed too, whatever the order)."""
        key = (which, spare)
        if key not in self._cache:
            shared = (getattr(self, "SOLVES_AS", type(self).__qualname__), self._origin, self.seed, which, spare)
            self._cache[key] = kept_solve(shared, lambda: self._solve(which, spare))
        return self._cache[key]

    def _solve(self, which: int, spare: int) -> _Solved:
        s = self.seed + 1000 * spare
        chart, system = self._system(which, s)
        generic = None if spare else self._generic(which, system)
        if spare:
            first = self._solved(which, 0).generic
            with np.errstate(all="ignore"):
                moved = self._moved(which, self.seed, s, first.solutions)
                polished = _polished(system, moved, first.parameters) if moved is not None and np.all(np.isfinite(moved)) else None
            if polished is not None:
                generic = MonodromyResult(first.parameters, polished, 0)
        return _Solved(chart, system, generic or _generic_solutions(system, s + which, 10), seed=s)

    def _part(self, which: int, U: npt.NDArray[np.float64], salt: int, needed: Needed) -> Part:
        """Squared distance from each row of U to the nearest real critical point of chart
        ``which`` (0: E, 1: M, 2: one neuron), nan where paths were lost in every chart; and an
        upper bound everywhere: the real critical points found are real points of the chart, so
        the nearest of them bounds the distance even when paths were lost (inf if none). The
        first track is done; the rest of the work (``Part.complete``) only for the rows that
        ``needed`` still names."""
        return self._parts_of(which, U, salt, needed, (which,))[0]

    def _parts_of(self, which: int, U: npt.NDArray[np.float64], salt: int, needed: Needed, sides: tuple[int, ...]) -> list[Part]:
        """``_part`` for each of ``sides``, from one track of chart ``which``: its real critical
        points admitted as ``_admitted`` says for each side (a chart split at a seam)."""
        parts = [Part(np.full(len(U), np.nan), np.full(len(U), np.inf)) for _ in sides]

        def record(k: int, y: np.ndarray, solved: _Solved, complete: bool) -> None:
            # (every call's real ends are genuine critical points: the least of them all is the
            # exact distance once the ends are complete)
            real = imaginary_ratio(y) <= REAL_TOL
            for side, part in zip(sides, parts):
                admitted = real.copy()
                admitted[real] = self._admitted(side, y[real].real, solved.seed)
                images = np.real(solved.chart.mu(y[admitted].real)) if admitted.any() else np.zeros((0, U.shape[1]))
                distances = ((images - U[k]) ** 2).sum(axis=1)
                if len(distances) and distances.min() < part.bound[k]:
                    part.bound[k] = distances.min()
                    part.nearest[k] = (y[admitted][np.argmin(distances)].real, solved.seed)
                if complete:
                    part.exact[k] = part.bound[k]

        work = self._critical_points(which, U, self.seed + 7919 * salt + which, record, needed)
        next(work, None)
        for part in parts:
            part.work = work  # (one generator: completing one part completes them all)
        return parts

    def _critical_points(self, which: int, U: npt.NDArray[np.float64], seed: int, record: Any, needed: Needed) -> Iterator[None]:
        """Collect the distinct regular critical points of chart ``which`` for each row of U until
        there are as many as at generic data, then ``record(k, no ends, solved, True)``; every
        batch of genuine ends found on the way goes to ``record(k, ends, solved, False)``. The
        critical points are one set whatever the paths to them, so the ends of several tracks
        add up (compared in the first chart's coordinates; ends closer than the tolerance count
        once, so the count can only fall short): every path from the first chart's generic
        parameters (then a pause: the caller resumes the generator for the rest), then for the
        rows short of the count and ``needed`` every path from other generic parameters
        (``Restarts``), then in the spare charts (the same points in other coordinates: a
        critical point near one chart's infinity is a hard path there), each with its
        restarts. A hard path needs not be tracked again: any other path to its end will do.
        With ``precise_last``, rows still short get the first chart's paths once more, a failed one
        retried in extended precision. Rows still short stay undecided on this side (their
        bounds stand)."""
        first = self._solved(which, 0)
        count = len(first.generic)
        found: list[np.ndarray] = [first.generic.solutions[:0]] * len(U)
        complete = np.zeros(len(U), dtype=bool)
        wanted = np.ones(len(U), dtype=bool)  # (all rows in the first track)

        def short() -> list[int]:
            return [k for k in range(len(U)) if len(found[k]) < count and wanted[k]]

        def finished() -> None:
            for k in range(len(U)):
                if not complete[k] and len(found[k]) == count:
                    complete[k] = True
                    record(k, found[k][:0], first, True)

        def gather(spare: int, s: _Solved, p: np.ndarray, starts: np.ndarray, salt: int, precise: bool = False) -> dict[int, np.ndarray]:
            # returns for each row tracked which paths brought a critical point
            rows = short()
            reached: dict[int, np.ndarray] = {}
            for k, r in zip(rows, track(s.system, starts, p, U[rows].astype(np.complex128), seed=salt, retry_failed=precise)):
                regular = r.status == "nonsingular"
                ends = r.endpoints[regular]
                record(k, ends, s, False)
                reached[k] = np.zeros(len(starts), dtype=bool)
                if spare:
                    with np.errstate(all="ignore"):
                        ends = self._moved(which, self.seed + 1000 * spare, self.seed, ends) if len(ends) else ends
                if ends is not None:
                    finite = np.isfinite(ends).all(axis=1)
                    ends = ends[finite]
                    alive = self._alive(which, ends)
                    reached[k][np.flatnonzero(regular)[finite][alive]] = True
                    if which == self.SLICE:  # (the same functions: their images add nothing to record)
                        ends = np.vstack([ends, self._permuted(ends)])
                        alive = np.r_[alive, self._alive(which, ends[len(alive) :])]
                    # (a stray is no critical point counted; ends are merged generously, so
                    # that the count can only fall short of the generic one, which is counted
                    # strictly and can only exceed it)
                    merged = np.vstack([found[k], ends[alive]])
                    found[k] = merged[_distinct(merged)]
            return reached

        def orbitwise(spare: int, s: _Solved, p: np.ndarray, starts: np.ndarray, salt: int) -> None:
            # on the slice of M one path per orbit of the neurons' permutations (in the first
            # chart, and in spare charts whose points were moved over in its order), then for
            # rows still short the paths to the other points of the orbits whose representative
            # brought none (all of them if every representative did: a path jumped)
            if which != self.SLICE or (spare and s.generic.loops) or len(starts) != count:
                gather(spare, s, p, starts, salt)
                return
            orbit, one = self._orbits_of(which), self._orbit_representatives(which)
            reached = gather(spare, s, p, starts[one], salt)
            rows = short()
            if not rows:
                return
            missed = [np.flatnonzero(one)[~reached[k]] for k in rows]
            mates = ~one & (np.isin(orbit, np.concatenate(missed)) if all(len(m) for m in missed) else True)
            gather(spare, s, p, starts[mates], salt + 104729 * (SPARE_CHARTS + 1))

        for spare in range(SPARE_CHARTS + 1):
            if spare:
                wanted = needed()
                if not short():
                    break
            s = self._solved(which, spare)
            orbitwise(spare, s, s.generic.parameters, s.generic.solutions, seed + 104729 * spare)
            if spare == 0:
                finished()
                yield
            used = 0
            for attempt in range(2 * RESTARTS):  # (a restart with a lost path of its own is skipped)
                wanted = needed()
                if not short() or used == RESTARTS:
                    break
                got = s.restarts.moved(s.system, s.generic, attempt)
                if got is not None:
                    used += 1
                    orbitwise(spare, s, got[0], got[1].solutions, seed + 104729 * spare + attempt + 1)
            finished()
        if self.precise_last:
            wanted = needed()
            if short():
                # the first chart's paths once more, a failed one again in extended precision
                gather(0, first, first.generic.parameters, first.generic.solutions, seed + 104729 * (SPARE_CHARTS + 2), precise=True)
                finished()

    def _permuted(self, X: np.ndarray) -> np.ndarray:
        """The points X of the first slice of M with the neurons permuted in every other way."""
        return permuted_neurons(self.net, _slice_point(self.net, self.seed)[0], X)

    def _orbit_representatives(self, which: int) -> npt.NDArray[np.bool_]:
        """One generic critical point of the first slice of M per orbit of the neurons'
        permutations (which act freely there): the paths to the others end at the same points
        permuted, so tracking these and permuting the ends finds every critical point."""
        orbit = self._orbits_of(which)
        return orbit == np.arange(len(orbit))

    def _orbits_of(self, which: int) -> npt.NDArray[np.int_]:
        """For each generic critical point of the first slice of M, the index of its orbit's
        representative (the first point of the orbit)."""
        if which not in self._orbits:
            X = self._solved(which, 0).generic.solutions
            orbit = np.full(len(X), -1)
            tolerance = 1e-6 * (1 + np.abs(X).max(axis=1))
            for i in range(len(X)):
                if orbit[i] >= 0:
                    continue
                images = self._permuted(X[i : i + 1])
                mates = np.abs(X[:, None, :] - images[None, :, :]).max(axis=2).min(axis=1, initial=np.inf) <= tolerance
                orbit[mates & (orbit < 0)] = i
                orbit[i] = i
            self._orbits[which] = orbit
        return self._orbits[which]

    def _parts(self, U: npt.NDArray[np.float64], salt: int, needed: Needed) -> tuple[list[Part], list[Part]]:
        """The parts of the edge (E) and of the rest (M_R, one neuron, 0), after their first
        tracks."""
        if self._columns is not None:
            U = U[:, self._columns]  # the constant term is matched by the output bias
        edge = [self._part(0, U, salt, needed)]
        return edge, [self._part(1, U, salt, needed), self._part(2, U, salt, needed), Part.closed((U**2).sum(axis=1))]

    def _bounds(self, U: npt.NDArray[np.float64], salt: int, lazy: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Squared distances to the edge and to the rest of the closure of M_R (nan where not
        known exactly), and upper bounds on both. ``lazy``: the work after the first tracks
        only for the rows not yet decided, so that the distances stay unknown where the
        decision did not need them (a decision made early is the one all critical points make:
        a bound only falls and an exact distance stays)."""
        edge: list[Part] = []
        rest: list[Part] = []
        everything = np.ones(len(U), dtype=bool)
        needed = (lambda: _decided(*_sides(edge, rest)) < 0) if lazy else (lambda: everything)
        edge, rest = self._parts(U, salt, needed)
        for part in edge + rest:
            part.complete()
        return _sides(edge, rest)

    def distances(self, U: npt.NDArray[np.float64], salt: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Squared distances from each row of U to the nearest point of the edge and of the rest
        of the closure of M_R (nan where not known exactly)."""
        edge, rest, _, _ = self._bounds(U, salt)
        return edge, rest

    def decide(self, U: npt.NDArray[np.float64], salt: int) -> npt.NDArray[np.int8]:
        """Where paths were lost on one side only, the bound found there can still decide: a
        real point of the edge nearer than the exact rest puts the nearest point on the edge, a
        real point of the rest nearer than the exact edge puts it off the edge. Each row gets
        only the work its decision needs."""
        return _decided(*self._bounds(U, salt, lazy=True))

    def decide_with_distances(self, U: npt.NDArray[np.float64], salt: int) -> tuple[npt.NDArray[np.int8], np.ndarray, np.ndarray]:
        """The decisions with the distances of ``distances``, from one run."""
        edge, rest, edge_bound, rest_bound = self._bounds(U, salt)
        return _decided(edge, rest, edge_bound, rest_bound), edge, rest


def tangent_edge(net: Any, seed: int, cache: dict[str, Any]) -> TangentEdge:
    if "tangent" not in cache:
        cache["tangent"] = TangentEdge(net, seed)
    return cache["tangent"]
