"""Upper bounds on the dimension of the Voronoi cell of a stratum of a neuromanifold, from the
two-sided tangent directions that the real fibers of mu give at its points.

If p = mu(theta) is the nearest point of M = mu(R^N) to data u, then for every real theta with
mu(theta) = p and every v the curve e -> mu(theta + e v) lies in M and passes p at e = 0 from
both sides, so the derivative of |u - mu(theta + e v)|^2 at e = 0 vanishes: u - p is orthogonal
to D mu(theta) v. Hence u - p is orthogonal to W_p, the span of the images of D mu at all real
points of the fiber of p, and the Voronoi cell of a stratum S (the data whose nearest point lies
on S) is contained in {p + w : p in S, w orthogonal to W_p}, of dimension at most
dim S + A - dim W_p (A the ambient dimension). It is null (probability 0 for data with a
density) when dim W_p > dim S.

A cusp or an edge has no two-sided directions beyond its own (W_p = T_p S), and there the bound
says nothing, as it should: those cells can be full-dimensional. At a subnetwork the fiber holds
the parameters of the switched-off neuron with its outgoing weights zero and its incoming
weights anything; the outgoing weights then move p in the directions of the neuron's function,
both ways. With one hidden layer mu is a sum over neurons, so these directions do not depend on
p, and the bound holds at every point of S; for deeper networks they do, and the bound is
computed at random (generic) points of S, except for two or more hidden layers with z^k, where
the directions that every point of S has give one (``_everywhere_bounds``), and for lightning
attention.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .architectures import Network
from ._everywhere_bounds import attention_everywhere, layers_everywhere
from .evaluation import NeuromanifoldAt, kinks_among_points

RANK_TOL = 1e-8  # relative: singular values below this times the largest are zero
SAME_IMAGE = 1e-9  # relative: a fill of switched-off parameters that moves mu less stays in the fiber
STALE = 12  # fiber points in a row that add no direction end the search at a point of the stratum
TRIALS = 2  # random points of the stratum


@dataclass(frozen=True)
class VoronoiCellBound:
    """What the two-sided tangent directions of M at the points of a stratum say about its
    Voronoi cell. ``two_sided_dim`` is dim W_p (the span of the images of D mu over the real
    fiber of p, as far as found); ``cell_dim`` = min(A, stratum_dim + A - two_sided_dim) bounds
    the dimension of the cell; ``null`` says cell_dim < A, so the stratum is nearest for a null
    set of data. ``everywhere``: the bound holds at every point of the stratum (mu separates
    into the stratum's parameters and the switched-off ones, as with one hidden layer), not
    only at the generic points of a random draw."""

    stratum: str
    stratum_dim: int
    ambient_dim: int
    two_sided_dim: int
    cell_dim: int
    null: bool
    everywhere: bool

    def __str__(self) -> str:
        if not self.null:
            return (
                f"{self.stratum}: no bound (two-sided directions span {self.two_sided_dim}, the stratum has dimension "
                f"{self.stratum_dim}); its Voronoi cell may be full-dimensional"
            )
        where, what = ("at every point", "probability 0") if self.everywhere else ("at generic points", "probability 0 off a lower-dimensional part of the stratum")
        return (
            f"{self.stratum}: Voronoi cell of dimension <= {self.cell_dim} < {self.ambient_dim} ({where}: two-sided "
            f"directions span {self.two_sided_dim} > {self.stratum_dim} = dim of the stratum), {what}"
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Span:
    """An orthonormal basis of the span of the blocks of directions added so far; each block is
    scaled to norm 1 first, since the fiber points give derivatives of any size."""

    def __init__(self, dim: int) -> None:
        self.basis = np.zeros((dim, 0))

    def add(self, block: npt.NDArray[np.float64]) -> bool:
        """Add the columns of ``block``; True when the span grew. [Q, B] with B = Q C + R has
        all but rank Q singular values at most those of R (Weyl), and its largest is between
        max(1, |B|) and sqrt 2 times that: R's singular values above the tolerance of
        max(1, |B|) give the new directions, without decomposing [Q, B] (the span grows by a
        few directions at a time, in spaces of hundreds)."""
        norm = np.abs(block).max(initial=0.0)
        if norm == 0.0:
            return False
        block = block / norm
        residual = block - self.basis @ (self.basis.T @ block)
        residual -= self.basis @ (self.basis.T @ residual)  # twice: orthogonal to working precision
        U, sv, _ = np.linalg.svd(residual, full_matrices=False)
        top = max(1.0 if self.basis.shape[1] else 0.0, float(np.linalg.norm(block, 2)))
        new = sv > RANK_TOL * top
        self.basis = np.hstack([self.basis, U[:, new]])
        return bool(new.any())

    @property
    def dim(self) -> int:
        return self.basis.shape[1]


def _fiber_point(net: Any, theta0: npt.NDArray[np.float64], p: npt.NDArray[np.float64], off: npt.NDArray[np.int64], rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """A real point of the fiber of p = mu(theta0): the switched-off parameters filled with
    random values one at a time in a random order, each kept when mu does not move (mu is
    polynomial, so a random value that keeps it keeps it for every value, given the ones
    filled before)."""
    scale = 1.0 + np.abs(p).max(initial=0.0)
    theta = theta0.copy()
    anchored = _first_layer_biases(net)
    order = rng.permutation(off)
    if anchored:
        # first-layer weights, then their biases (drawn against them), then the rest: an output
        # weight drawn before the kink is placed would stay only on a neuron dead at every input
        first = net.widths[0] * net.widths[1]
        order = np.array(sorted(order, key=lambda j: 0 if j < first else 1 if j in anchored else 2), dtype=np.int64)
    for j in order:
        theta[j] = _anchored_bias(net, theta, anchored[j], rng) if j in anchored else rng.standard_normal()
        if np.abs(net.mu(theta) - p).max(initial=0.0) > SAME_IMAGE * scale:
            theta[j] = 0.0
    return theta


def _first_layer_biases(net: Any) -> dict[int, int]:
    """The first-layer biases of a ReLU network at input points, by index, with their neurons."""
    if not isinstance(net, NeuromanifoldAt) or not net.net.bias:
        return {}
    d0, d1 = net.widths[0], net.widths[1]
    return {d0 * d1 + r: r for r in range(d1)}


def _anchored_bias(net: NeuromanifoldAt, theta: npt.NDArray[np.float64], r: int, rng: np.random.Generator) -> float:
    """A bias that puts the kink of first-layer neuron r among the input points (else its
    directions are affine or dead and the span found falls short)."""
    d0 = net.widths[0]
    return float(kinks_among_points((theta[r * d0 : (r + 1) * d0] @ net.X)[None, :], rng)[0])


def _separates(net: Any, on: npt.NDArray[np.int64], off: npt.NDArray[np.int64], rng: np.random.Generator) -> bool:
    """Is mu(theta) = g(theta_on) + h(theta_off)? Then the directions that the switched-off
    parameters give at the fiber points do not depend on the point of the stratum. For a
    polynomial mu the mixed second derivatives vanish identically when they vanish at a random
    point; ReLU networks with one hidden layer are sums over their neurons."""
    if isinstance(net, NeuromanifoldAt):
        return len(net.widths) == 3
    if not isinstance(net, Network) or not len(on) or not len(off):
        return True
    H = net.hessian(rng.standard_normal(net.n_params))
    mixed = H[:, on][:, :, off]
    return bool(np.abs(mixed).max(initial=0.0) <= 1e-10 * (1.0 + np.abs(H).max(initial=0.0)))


def cell_bound(net: Any, stratum: Any, seed: int) -> VoronoiCellBound | None:
    """The bound for one stratum (``support``: its parameters; a point stratum: the zero
    function), or None when the stratum has no parameters of the network."""
    name, dim, support, point = stratum.name, stratum.dim, stratum.support, stratum.point
    A = net.ambient_dim
    if stratum.rank is not None:
        # M is a determinantal variety (the matrices of rank <= r; residual linear networks:
        # all square matrices): at a matrix of rank below r, M holds the line through it in
        # every rank-one direction, and those span all matrices
        return VoronoiCellBound(name, dim, A, A, dim, dim < A, True)
    if support is None and not point:
        return None
    on = np.array(support or (), dtype=np.int64)
    off = np.setdiff1d(np.arange(net.n_params), on)
    rng = np.random.default_rng([seed, 0x5EC7, len(on)])
    best, best_switched = 0, 0
    for _ in range(TRIALS):
        # W_p at one random point p of the stratum: the largest over the trials is the generic value
        two_sided, switched = _Span(A), _Span(A)
        theta0 = np.zeros(net.n_params)
        theta0[on] = rng.standard_normal(len(on))
        p = net.mu(theta0)
        two_sided.add(net.jacobian(theta0))
        stale = 0  # fiber points in a row that added no direction
        while stale < STALE and (two_sided.dim < A or switched.dim < A):
            J = net.jacobian(_fiber_point(net, theta0, p, off, rng))
            # the switched-off parameters' own directions: W_p holds them at every point of S when mu separates
            grew = switched.add(J[:, off])
            stale = 0 if two_sided.add(J) or grew else stale + 1
        best, best_switched = max(best, two_sided.dim), max(best_switched, switched.dim)
    # the dimension of a ReLU stratum is a largest rank over random draws; the bound takes one
    # that holds for every piece: parameters less one positive rescaling per hidden neuron
    top = _relu_dimension_bound(net, on) if isinstance(net, NeuromanifoldAt) else dim
    everywhere = best_switched > top and _separates(net, on, off, rng)
    rank = best_switched if everywhere else best
    if not everywhere and not point:
        # the constant functions (biases): every hidden neuron off
        hidden = tuple(getattr(net, "widths", ())[1:-1])
        widths = tuple(0 for _ in hidden) if stratum.network is None else tuple(getattr(stratum.network, "widths", ())[1:-1])
        guaranteed = layers_everywhere(net, widths, seed) if hidden else attention_everywhere(net, dim)
        if guaranteed is not None:
            everywhere, rank = True, guaranteed
    cell = min(A, top + A - rank)
    return VoronoiCellBound(name, dim, A, rank, cell, cell < A, everywhere)


def _relu_dimension_bound(net: NeuromanifoldAt, on: npt.NDArray[np.int64]) -> int:
    """An upper bound for the dimension of the image of the parameters ``on`` (the others
    zero) that holds on every activation pattern: their number less one per hidden neuron kept
    (relu(l z) = l relu(z) for l > 0)."""
    from ._voronoi_membership import incoming_weights

    kept = set(int(i) for i in on)
    neurons = sum(i in kept for i in incoming_weights(net.widths, net.net.bias))
    return min(net.ambient_dim, len(on) - neurons)


DEGENERATE = 1e-9  # relative: a Hessian determinant this small is zero (no Morse point)


def _curve_bounds(curve: Any) -> list[VoronoiCellBound]:
    """Singular points of a plane curve. A parametrized curve's real fiber over a point is the
    set of real t mapping to it, each giving the two-sided direction (x'(t), y'(t)). On an
    implicit curve a singular point with an indefinite Hessian of F is, by the Morse lemma, the
    crossing of two smooth real branches with distinct tangents (a node): two-sided directions
    spanning the plane. A definite Hessian is an isolated real point, and a degenerate one (a cusp,
    a tacnode, ...) is not resolved here: no bound either way."""
    import sympy

    x, y = curve._x, curve._y
    F = curve.equation
    H = sympy.lambdify((x, y), sympy.hessian(F, (x, y)), "numpy")
    out = []
    for px, py in curve.singular_points:
        name = f"the singular point ({px:g}, {py:g})"
        directions: list[npt.NDArray[np.float64]] = []
        if curve.is_parametrized:
            cx, cy = (np.polynomial.Polynomial(c) for c in curve._param)
            for t in (cx - px).roots():
                if abs(t.imag) <= 1e-7 * (1 + abs(t)) and abs(cy(t.real) - py) <= 1e-7 * (1 + abs(py)):
                    directions.append(np.array([cx.deriv()(t.real), cy.deriv()(t.real)]))
        else:
            h = np.array(H(px, py), dtype=np.float64)
            if np.linalg.det(h) < -DEGENERATE * max(np.abs(h).max(), 1e-300) ** 2:
                directions = list(np.eye(2))  # two transversal smooth branches
        span = _Span(2)
        for d in directions:
            span.add(d[:, None])
        out.append(VoronoiCellBound(name, 0, 2, span.dim, 2 - span.dim, span.dim > 0, True))
    return out


FIBER_STARTS = 48  # local searches for real preimages of a point of a parametrized variety
ON_POINT = 1e-10  # relative: a preimage must map this close to the point
DIRECTION = 1e-4  # relative to D phi at random parameters: smaller singular values at a preimage are zero


def _variety_point_bounds(variety: Any, seed: int) -> list[VoronoiCellBound]:
    """Point strata of a :class:`ParametrizedVariety` (named ones, then the singular points).
    Real preimages come from local least-squares searches from random starts: every preimage
    found adds its directions, so the bound holds whichever are missed (it may only be weaker).
    A search ends near a preimage, not on it: where D phi vanishes to order m - 1 (a cusp), the
    residual 1e-10 leaves D phi of size about 1e-10^((m - 1) / m) <= 1e-5, so only singular
    directions of D phi above DIRECTION times its size at random parameters count."""
    from scipy.optimize import least_squares

    from .varieties import _point_description

    named = [(name, s) for name, s in variety.strata.items() if isinstance(s, np.ndarray)]
    points = named + [(_point_description(q), q) for q in variety.singular_points]
    rng = np.random.default_rng([seed, 0xF1BE])
    typical = np.median([np.linalg.norm(variety.jacobian(t), 2) for t in rng.standard_normal((16, variety.n_params))])
    out = []
    for name, q in points:
        span = _Span(variety.ambient_dim)
        for i in range(FIBER_STARTS):
            start = rng.standard_normal(variety.n_params) * (0.3, 1.0, 3.0)[i % 3]
            fit = least_squares(lambda t: variety(t) - q, start, jac=variety.jacobian, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15)
            if np.abs(variety(fit.x) - q).max() <= ON_POINT * (1 + np.abs(q).max()):
                U, sv, _ = np.linalg.svd(variety.jacobian(fit.x), full_matrices=False)
                span.add(U[:, sv > DIRECTION * typical])
        A = variety.ambient_dim
        out.append(VoronoiCellBound(name, 0, A, span.dim, A - span.dim, span.dim > 0, True))
    return out


def voronoi_cell_bounds(net: object, seed: int = 0) -> list[VoronoiCellBound]:
    """Bounds on the Voronoi cells of the lower strata of a network's neuromanifold (subnetworks,
    constant functions, the zero function), in the order of the strata of ``voronoi_mc``, of
    the singular points of a :class:`PlaneCurve`, or of the point strata of a
    :class:`ParametrizedVariety` (named ones, then its singular points).

    >>> import neuromanifold as nm
    >>> b = nm.voronoi_cell_bounds(nm.PolynomialNetwork((3, 2, 1), activation=3))[0]
    >>> (b.null, b.everywhere, b.two_sided_dim == b.ambient_dim)
    (True, True, True)
    """
    from . import _validate as v
    from ._voronoi_networks import strata

    from .curves import PlaneCurve
    from .varieties import ParametrizedVariety

    seed = v.nonnegative_int(seed, "seed")
    if isinstance(net, PlaneCurve):
        return _curve_bounds(net)
    if isinstance(net, ParametrizedVariety):
        return _variety_point_bounds(net, seed)
    if not isinstance(net, (Network, NeuromanifoldAt)):
        raise TypeError(
            f"voronoi_cell_bounds takes an algebraic Network, a NeuromanifoldAt, a PlaneCurve or a ParametrizedVariety, got {type(net).__name__}"
        )
    out = []
    for s in strata(net, seed)[1:]:
        b = cell_bound(net, s, seed)
        if b is not None:
            out.append(b)
    return out


def null_certificate(net: Any, bounds: list[VoronoiCellBound | None]) -> tuple[str, str]:
    """(certificate, "") when every stratum of a target has a null Voronoi cell at every point,
    else ("", why not)."""
    for b in bounds:
        if b is None:
            return "", "a target stratum is no image of the network's parameters, so its fibers are unknown"
        if not (b.null and b.everywhere):
            return "", f"no certificate for {b}" if not b.null else f"the bound for {b.stratum!r} holds at generic points only (mu does not separate into its parameters and the switched-off ones)"
    worst = max(b.cell_dim for b in bounds if b is not None)
    return f"Voronoi cells of dimension <= {worst} < {net.ambient_dim} at every point of the target (two-sided tangent directions of switched-off neurons)", ""


@dataclass
class NullCellJob:
    """Counts for a target whose strata have null Voronoi cells at every point: the nearest point
    of a sample lies off the target with probability one, so every chunk counts its samples
    as decided misses without drawing them."""

    variety_name: str
    target_name: str
    distribution: Any
    seed: int
    n: int
    chunk_size: int
    certificate: str
    method: str = "certificate"
    exhaustive: bool = True

    def count(self, c0: int, c1: int) -> npt.NDArray[np.uint64]:
        sizes = [min(self.chunk_size, self.n - c * self.chunk_size) for c in range(c0, c1)]
        return np.array([(0, 0, s) for s in sizes], dtype=np.uint64).reshape(-1, 3)

    def fingerprint(self) -> dict[str, Any]:
        from .voronoi import _fingerprint

        return _fingerprint(self)
