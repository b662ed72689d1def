"""Voronoi decisions for neuromanifolds in coefficient space (Euclidean distance on the
coefficient vector mu(theta)).

The strata are the network's smooth part, its subnetworks (recursively: a subnetwork's own
subnetworks too), with biases the constant functions, and the zero function; for linear
networks the rank strata. A sample's nearest point is in the target when the best point of the
target strata beats the best point of every other stratum:

* exhaustive: every real critical point of the distance on each stratum, by parameter homotopy
  from generic solutions found once (in a chart of the stratum): by monodromy, or for networks
  linear in blocks of parameters (linear convolutions, some lightning attention) by a
  start-system homotopy (see ``_exhaustive_available`` for when the real critical points give
  the nearest point, and which of them are points of M);
* multistart: Levenberg-Marquardt on each stratum's parameters from several random starts, a
  local search whose result is marked as not exhaustive. For the boundary, a best point of the
  smooth part next to the edge counts for it only if the search, going on, keeps heading there
  (``NetworkJob._heading_to_edge``); with biases, searches also pass the seams where a neuron
  merges with the next layer's biases (``_voronoi_seams``).

The target "boundary" is the edge of a semi-algebraic M: the sample's nearest point is a point
of the smooth part where D mu drops rank (and no other real parameters of it have full rank).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ._blocks import balanced_blocks, chart_dim, filter_blocks, is_multilinear, multilinear_form  # filter_blocks: also imported from here
from ._chunks import chunk_samples, decided_counts
from ._kept_solves import kept_solve
from ._edge_certificates import FILLS, edge_argument, edge_is_lower_strata, quadratic_one_output, spanned_hyperplanes
from ._conic_pencils import orthogonal_pencil, orthogonal_pencil_available
from ._shifted_pencils import shifted_pencil, shifted_pencil_available
from ._ternary_cubics import constant_pencil, constant_pencil_available
from ._voronoi_cells import NullCellJob, cell_bound, null_certificate
from ._voronoi_membership import decided_membership, membership, membership_available
from ._voronoi_hyperplanes import HyperplaneOfPowers, hyperplane_available, hyperplane_edge
from ._voronoi_pencils import pencil_available, pencil_edge
from ._voronoi_real_rank import derivative_rank_available, derivative_real_rank, real_rank, real_rank_available
from ._voronoi_relu import ReluCells, relu_cells_unavailable
from ._relu_revival import free_units, revived
from ._voronoi_seams import SEAM_STARTS, continued_ratio, seam_searches, seams_available
from ._voronoi_join import join_edge, join_edge_available
from ._voronoi_cubed_cubics import cubed_cubics, cubed_cubics_available
from ._voronoi_quartic_pairs import part_decider, quartic_pairs, quartic_pairs_available, two_neurons_part_available
from ._voronoi_biased_pair import biased_pair, biased_pair_available, biased_pair_quick
from ._voronoi_tangent import tangent_edge, tangent_edge_available, tangent_slice_dim
from ._voronoi_attention_forms import attention_forms, attention_forms_available, fewer_keys_part, fewer_keys_part_available
from ._charts import BlockForm, Chart, block_cone_chart, cone_critical_system, critical_system, linear_shape, quadratic_closure_chart, rank_chart, slice_chart
from .architectures import ConvNetwork, LightningAttention, Network, PolynomialNetwork, Subnetwork
from .evaluation import NeuromanifoldAt
from .critical import REAL_TOL, Restarts, _dim, _distinct, _generic_solutions, _neurons, _random_complex, _to_targets, balanced_rows
from .system import MonodromyResult, System, solve

TIE_BAND = 1e-9  # relative: squared distances closer than this are a tie (undecided)
MULTISTART_MATCH = 1e-7  # relative: a local search that ends this close to the target's best did not beat it
MULTISTART_BEAT = 1e-4  # relative: ... and one this much better did
MULTISTART_STARTS = 8
DEEP_STARTS = 32  # MLPs with two or more hidden layers: more local minima (``_random_starts``)
RELU_STARTS = 64  # a ReLU neuron whose weights start on the wrong side of the data stays there
RELU_REVIVALS, RELU_REVIVED = 4, 16  # rounds of searches from the best fit with a unit redrawn (``_relu_revival``), copies each
RELU_SIDES = 32  # perturbed copies of a ReLU network's best parameters: the open pieces next to them
RELU_SIDE_STEP = 1e-7  # relative size of the perturbations (searches end at kinks far closer than this)
MULTISTART_ITERATIONS = 150
EDGE_RATIO = 1e-3  # sigma_dim / sigma_1 of D mu at or below this: the best point is next to the edge ...
EDGE_ITERATIONS = 300  # ... and the search goes on this many steps to see whether it heads there:
EDGE_FALL = 2.0  # the ratio fell this many times,
EDGE_FLOOR = 1e-6  # or it is at most this (RANK_GAP): a search can stall there (seen up to 7e-9)
EDGE_STARTS = 8  # starts next to the edge of two merging neurons (``_edge_starts``)
EDGE_SPLIT = 0.05
EDGE_RESTARTS = 16  # more random starts for samples counted for the edge
SEAM_RESTARTS = 24  # ... and in seam coordinates for those still counted for it, in deeper MLPs (``_through_seams``)
SPARE_CHARTS = 1  # more random charts for data with a lost path (exhaustive method)
GENERIC_ATTEMPTS = 6  # generic data solved by start-system homotopies before giving up
AUTO_START_PATHS = 5000  # "auto" runs no exhaustive method whose start systems have more paths
AUTO_CHART_DIM = 8  # ... nor monodromy in MLP charts with more coordinates (poly:5,2,1^2: 3,368 paths per sample)
RANK_GAP = 1e-6  # D mu drops rank where sigma_dim / sigma_1 is below this (exhaustive boundary)
RANK_BAND = 100.0  # ... and the rank is undecided within this factor of RANK_GAP
CONTAIN_BAND = 1e-6  # relative: a full stratum this much farther than M's best does not hold the nearest point
ZERO_DISTANCE = 1e-18  # squared distances below this times |u|^2 are zero (data on M)

# rank of D mu at the smooth part's best point
RANK_DROP, RANK_FULL, RANK_UNKNOWN = 1, 0, -1


@dataclass(frozen=True)
class Stratum:
    name: str
    dim: int
    support: tuple[int, ...] | None = None  # parameters of a subnetwork (None: all)
    rank: int | None = None  # matrix rank, for linear networks
    point: bool = False  # the zero function
    full: bool = False  # a subnetwork of the dimension of M: a part of M, not a singular stratum
    network: Any = field(default=None, compare=False, repr=False)  # the subnetwork's own network


def strata(net: Network, seed: int) -> list[Stratum]:
    """The smooth part first, then the lower strata."""
    shape = linear_shape(net)
    top = Stratum("smooth part", net.dim(seed) if isinstance(net, NeuromanifoldAt) else _dim(net, seed))
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
                out.append(Stratum(name, s.dim, support=key, full=s.dim == top.dim, network=s.network))
            walk(s.network, np.array(key, dtype=np.int64), name)

    walk(net, None, "")
    constants = net.constants() if isinstance(net, NeuromanifoldAt) else _output_biases(net)
    if constants is not None:
        out.append(Stratum("constant functions (a hidden layer switched off)", len(constants), support=tuple(int(i) for i in constants)))
    if np.allclose(net.mu(np.zeros(net.n_params)), 0.0):
        out.append(Stratum("zero function", 0, point=True))
    return out


def _variety_name(net: Network) -> str:
    return f"neuromanifold of {net.description if isinstance(net, NeuromanifoldAt) else net.spec}"


def _null_certificate(net: Network, all_strata: list[Stratum], targets: list[int], seed: int) -> tuple[str, str]:
    """A certificate that the target's strata have null Voronoi cells at every point, or why not."""
    if any(all_strata[i].full for i in targets):
        return "", "a target stratum has the dimension of M: a part of M with a full-dimensional Voronoi cell"
    certificate, why_not = null_certificate(net, [cell_bound(net, all_strata[i], seed) for i in targets])
    if not certificate and not isinstance(net, NeuromanifoldAt) and net._core.dimension(seed)["filling"] is True:
        # almost every data point lies in M and is its own nearest point; the strata are null sets
        worst = max(all_strata[i].dim for i in targets)
        return f"M is the whole space (data are their own nearest points) and the target has dimension <= {worst} < {net.ambient_dim}", ""
    return certificate, why_not


def _boundary_certificate(net: Network, all_strata: list[Stratum], seed: int) -> str:
    """A proof that the edge of M (the points where D mu has lower rank at every real
    parameter, and the limits no parameters reach) attracts a null set of data, or "": M fills
    the space (a set of critical values, null by Sard's theorem), almost every hyperplane in
    reach is spanned by real powers (``spanned_hyperplanes``), or the shape of M leaves the edge
    to its lower strata up to a null set (``edge_argument``) and their cells are proven null."""
    if isinstance(net, NeuromanifoldAt):
        return ""
    if net._core.dimension(seed)["filling"] is True:
        return FILLS
    hyperplanes = spanned_hyperplanes(net)
    if hyperplanes:
        return hyperplanes
    argument = edge_argument(net)
    if argument is None:
        return ""
    lower = [i for i, s in enumerate(all_strata) if i and not s.full]
    certificate = _null_certificate(net, all_strata, lower, seed)[0] if lower else "no lower strata"
    return argument.replace("{lower}", certificate) if certificate else ""


# Exact deciders of real membership, which decide the edge where M fills: closed forms first
# (roots, eigenvalues, discriminants: no homotopies, any fibers), then real preimages by homotopy.
_MEMBERSHIP_DECIDERS: list[tuple[Callable[[Any, int], str | None], Callable[[Any, int, dict[str, Any]], Any]]] = [
    (real_rank_available, real_rank),  # binary forms
    (derivative_rank_available, derivative_real_rank),  # the same on the derivative (one input with biases)
    (pencil_available, pencil_edge),  # pencils' eigenvalues
    (shifted_pencil_available, shifted_pencil),  # the same after the best shift of the constants
    (hyperplane_available, hyperplane_edge),  # the smallest eigenvectors of one matrix
    (constant_pencil_available, constant_pencil),  # one binary cubic's discriminant
    (orthogonal_pencil_available, orthogonal_pencil),  # the same for conics orthogonal to the outputs
    (membership_available, membership),
]


def edge_membership(net: PolynomialNetwork, f: npt.NDArray[np.float64], tol: float) -> bool | None:
    """Is f in M, by the exact decider of the edge? Where M has the ambient dimension, data in M
    are their own nearest points, off the edge for almost all of them, and data outside have
    theirs on it: f is in M exactly when the decider says "not on the edge" (ValueError where it
    cannot tell). With more outputs than the hyperplane of powers leaves room for, f must first
    lie in a hyperplane (the outputs' smallest singular value at most tol). Else None."""
    dim = int(net._core.dimension(0)["dim"])
    if dim == net.ambient_dim:
        for available, decider in _MEMBERSHIP_DECIDERS:
            if available(net, dim) is None:
                # deciders kept with the network: a homotopy's generic solutions are found once
                cache = net.__dict__.setdefault("_edge_deciders", {})
                return decided_membership(decider(net, 0, cache), net, f, "the edge")  # (the zero function: in M)
        return None
    if hyperplane_available(net) is not None:
        return None
    if not np.any(f):
        return True  # all output weights 0
    edge = HyperplaneOfPowers(net)
    V = f.reshape(net.n_outputs, -1)[:, edge.columns]
    sv = np.linalg.svd(V, compute_uv=False)
    if len(sv) >= V.shape[1] and sv[-1] > tol * max(sv[0], 1.0):
        return False  # the outputs span every coefficient: in no hyperplane
    return decided_membership(edge, net, f, "the edge")


def _exact_edge(net: Network, dim: int, method: str) -> Callable[[Any, int, dict[str, Any]], Any] | None:
    """The exact decision of the boundary target that applies to ``net`` under "auto" and
    "exhaustive": real rank of binary forms (one hidden layer on two inputs with z^k, h >= k - 1
    or 2h in (k + 1, k + 2) neurons; on one input with biases of the derivative), the eigenvalues of pencils of quadratic forms (z^2, d0
    neurons, two outputs; with biases and d0 + 1 neurons on three to sixteen inputs, after the best
    shift of the constant terms), the hyperplane of powers (``_voronoi_hyperplanes``; for even
    powers on three or more inputs by the normal form's definiteness), the pencil of
    conics through the constant's point (cubics with three neurons and biases) or orthogonal to
    the outputs (quadratic forms in three variables), real membership
    when M fills the ambient space, the tangential variety of two merging neurons with z^k (on
    one input with biases, of the derivative's) ("auto": with slices of at most AUTO_CHART_DIM
    coordinates), with biases on two inputs also the neurons merging with the constant
    (``_voronoi_biased_pair``; "auto": cubes only), the join of a neuron with it
    and the osculating variety for three neurons on
    binary forms (with several outputs, and on one input with biases of the derivative's:
    "exhaustive" only), and the cubes c l^6 n^3 of the cubics with a double root for two neurons
    on binary cubics cubed by one (``_voronoi_cubed_cubics``), and the limits of merging
    neurons in either layer of (2, h, 2, m) and (2, 2, h, m) with z^2 (``_voronoi_quartic_pairs``;
    (2, h, 2, m >= 3): "exhaustive" only), and the definite forms of one-token attention on
    d inputs with d - 1 key/query dimensions (``_voronoi_attention_forms``; several outputs, and
    four inputs with one: "exhaustive" only)."""
    if method not in ("auto", "exhaustive"):
        return None
    for available, decider in _MEMBERSHIP_DECIDERS:
        if available(net, dim) is None:
            return decider
    if tangent_edge_available(net) is None and (method == "exhaustive" or tangent_slice_dim(net) <= AUTO_CHART_DIM):
        return tangent_edge
    if biased_pair_available(net) is None and (method == "exhaustive" or biased_pair_quick(net)):
        return biased_pair
    if cubed_cubics_available(net) is None:
        return cubed_cubics
    if quartic_pairs_available(net) is None and (method == "exhaustive" or net.widths[-1] == 2 or net.widths[2] >= 3):
        return quartic_pairs  # ((2, h, 2, 3): ~3 s a sample, one in twenty undecided; free outputs' forms: 75 paths at most)
    if join_edge_available(net) is None and (method == "exhaustive" or (not net.bias and net.widths[-1] == 1)):
        # (one input with biases: ~20 s a sample; several outputs: ~1.5 s a sample, one in twenty undecided)
        return join_edge
    if attention_forms_available(net, method) is None:
        return attention_forms  # (two outputs: 2514 critical points on X, about 1 s a sample; four inputs: 6532, 1.5 s)
    return None


class _EveryPoint:
    """The membership of a subnetwork that fills the space: no data point lies outside."""

    def decide(self, U: npt.NDArray[np.float64], salt: int = 0) -> npt.NDArray[np.int8]:
        return np.zeros(len(U), dtype=np.int8)


def _every_point(net: Any, seed: int, cache: dict[str, Any]) -> _EveryPoint:
    return _EveryPoint()


def _exact_part(net: Network, all_strata: list[Stratum], targets: list[int], method: str, seed: int) -> tuple[Callable[[Any, int, dict[str, Any]], Any], Network] | None:
    """The exact decision for a part of M of its dimension (a subnetwork of the dimension of M)
    when the real M fills the space: data are their own nearest points, so the part is hit by
    the data in the subnetwork's real image (up to null sets): all of them when the subnetwork
    fills the space too, else decided by its real membership where that is exact (real rank of
    binary forms, the eigenvalues of pencils, the hyperplane of powers, whose points of M are at
    distance 0, real preimages of filling networks with finite fibers). Where M does not fill,
    the parts of the wide layer of (2, 2, h >= 3, m) and (2, h >= 3, 2, m) with z^2
    (``_voronoi_quartic_pairs``), and the part of d - 1 key/query dimensions of one-token
    attention on d = 3 or 4 inputs with a >= d (``_voronoi_attention_forms``): missed where the
    nearest point of the closure of M_R is outside the part, decided with the network itself.
    The decider and the network it decides with, or None."""
    if method not in ("auto", "exhaustive") or len(targets) != 1 or targets[0] < 1 or isinstance(net, NeuromanifoldAt):
        return None
    part = all_strata[targets[0]]
    if not part.full or part.network is None:
        return None
    if two_neurons_part_available(net, part.network, method) is None:
        return part_decider(net, part.network), net
    if fewer_keys_part_available(net, part.network, method) is None:
        return fewer_keys_part, net
    if net._core.dimension(seed)["filling"] is not True:
        return None
    if part.network._core.dimension(seed)["filling"] is True:
        return _every_point, part.network  # the part is all of M
    for available, decider in _MEMBERSHIP_DECIDERS:
        if available(part.network, part.dim) is None:
            return decider, part.network
    return None


def _output_biases(net: Network) -> npt.NDArray[np.int64] | None:
    """With biases, a hidden layer switched off leaves the constant functions, the output biases
    (the last parameters): the most singular stratum, with the zero function inside it."""
    if not (isinstance(net, PolynomialNetwork) and net.bias):
        return None
    return np.arange(net.n_params - net.n_outputs, net.n_params)


def _resolve_target(net: Network, all_strata: list[Stratum], target: object, seed: int) -> tuple[list[int], str]:
    names = [s.name for s in all_strata]
    if isinstance(target, str):
        if target == "singular":
            lower = [i for i, s in enumerate(all_strata) if i and not s.full]
            if not lower:
                raise ValueError(f"{net.spec} has no singular strata to target: its subnetworks have the dimension of M")
            return lower, "the singular strata"
        if target == "boundary":
            return [-1], "the boundary"
        if target in names[1:]:
            return [names.index(target)], target
        described = [sub for sub in net.subnetworks(seed) if sub.description == target]
        if described:  # (a subnetwork's description where its stratum has another name: linear networks' ranks)
            return _resolve_target(net, all_strata, described[0], seed)
        raise ValueError(f"unknown target {target!r}: use 'singular', 'boundary', a subnetwork or one of {names[1:]}")
    if isinstance(target, Subnetwork):
        if target.parent != net:
            raise ValueError(f"subnetwork {target.description!r} belongs to {target.parent.spec}, not {net.spec}")
        if linear_shape(net) is not None:
            hit = [i for i, s in enumerate(all_strata) if s.rank is not None and s.dim == target.dim and i > 0]
        else:
            key = tuple(sorted(int(i) for i in target.embedding))
            hit = [i for i, s in enumerate(all_strata) if s.support == key]
        if not hit and target.dim == all_strata[0].dim:
            raise ValueError(f"subnetwork {target.description!r} has the dimension of M ({target.dim}): a part of M, not a lower stratum of this network")
        if not hit:
            raise ValueError(f"subnetwork {target.description!r} is not a stratum of positive dimension")
        return hit, all_strata[hit[0]].name
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        subs = net.subnetworks(seed)
        if not 0 <= int(target) < len(subs):
            raise ValueError(f"subnetwork index {target} out of range: the network has {len(subs)} subnetworks")
        return _resolve_target(net, all_strata, subs[int(target)], seed)
    if isinstance(target, (list, tuple, np.ndarray)):
        # a point: the point strata (the zero function) are the points of M with cells to weigh
        try:
            point = np.asarray(target, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"a point target must be real coordinates, got {target!r}") from None
        if point.shape != (net.ambient_dim,):
            raise ValueError(f"a point target of {net.spec} has {net.ambient_dim} coordinates (the function's), got shape {point.shape}")
        hit = [i for i, s in enumerate(all_strata) if s.point and not np.abs(point).any()]
        if not hit:
            raise ValueError(
                f"the point targets of {net.spec} are its point strata (the zero function); other points of M lie on "
                "its strata and count with them: use a stratum or 'singular'"
            )
        return hit, all_strata[hit[0]].name
    raise TypeError(f"target must be 'singular', 'boundary', a stratum name, a Subnetwork or its index, or a point, got {target!r}")


def _exhaustive_available(net: Network, all_strata: list[Stratum], targets: Sequence[int] = ()) -> str | None:
    """Why the exhaustive method does not apply, or None.

    The nearest point must be a real critical point of some stratum's chart, and the
    candidates must be points of the real neuromanifold. Two cases:

    * the real neuromanifold is the real part of its closure, so every real image of a complex
      critical point is a candidate: linear networks (determinantal varieties) and one hidden
      layer with activation z^2 and one output (real quadratic forms of bounded rank, signs
      absorbed by the output weights). With biases the output is [x; 1]^T S [x; 1] + c with S
      symmetric of rank <= r, so the real image is the set of real (A, b) with the constant term
      free that admit an S = [[A, b], [b^T, s]] of rank <= r: rank A <= r - 2, or rank A <= r
      with b in the column space of A. Its closure is rank [A | b] <= r, the real part of the
      Zariski closure; the rest, rank A = r - 1 with b outside its column space, is a smooth
      hypersurface of it (the nearest point lies there for a null set of data only) and is not
      in the complex image either. A real point of the complex image is in the real image: the
      minors of S are affine in its one entry s, so a complex s that works forces a real one.
      With two or more outputs the real image is not the real part of its closure: the outputs
      of poly:2,2,2^2 are pencils of binary quadratics with real simultaneous diagonalization,
      and (x^2 - y^2, xy) is none;
    * on every stratum, mu is linear in each block of parameters of a slice (``_blocks.py``):
      the filters of linear convolutions (any strides), or homogeneous of degree k^(L - 1 - l)
      in filter l with the activation z^k; V, k, q of lightning attention with one
      key/query dimension; V and M = K^T Q with a >= d key/query dimensions (then M is any real
      d x d matrix, realized as K = [I; 0], Q = [M; 0]; with one token, t = 1, only the symmetric
      part of M counts and M is upper triangular). Then mu(w) = (prod |w_i|) mu(w_1 /
      |w_1|, ...), and the real image is the cone over the compact image of a product of spheres,
      which avoids 0: a product of nonzero polynomials is nonzero; with z^k, a filter applied to
      the k-th powers of the shifted copies of a nonzero polynomial is nonzero (in lex order the
      shift moves the leading monomial, so the powers have distinct leading monomials and are
      linearly independent); for attention with t >= 2
      tokens the entry (p, 1) at X = [x, y, 0, ...] is (v.x)(x^T M x) + (v.y)(y^T M x), nonzero
      when the row v of V and M are (the second term alone has degree 2 in y); with one token it
      is (v.x)(x^T M x), and an upper triangular M != 0 has a nonzero quadratic form. So the image is
      closed and the nearest point is mu(w*) for a real global minimizer w*. The cone chart
      (t w_1, w_2, ...) fixes one entry of every block (``block_cone_chart``; t scales a block of
      degree 1, the last filter); a rescaling of
      w* lies in it when those entries of w* are nonzero, and is a global minimizer there too,
      so a real critical point of the chart. Filters with a zero end tap lie on the subnetwork
      with that tap switched off, a stratum of its own. Attention blocks with a zero entry lie on
      no stratum, so their charts fix a random linear functional of each block: for each data
      point the set of functionals vanishing on its w* is null, so by Fubini, for almost every
      chart, almost every data point has its minimizer in the chart. The charts are charts (the
      fibers are the rescalings of the blocks, up to finitely many points) when the stratum's
      dimension is the number of chart coordinates (``chart_dim``). The candidates are the
      images of real critical points, not all real images: a real image of complex blocks need
      not be in M (conv (2, 2) gives exactly the quadratics with real roots; attention with
      d = 2, d_out = 1 and V = w^T, K^T Q = conj(w) lambda^T for complex w has a real image
      holding the definite form (w.x)(conj(w).x), where real parameters give products of real
      linear forms). The critical points on the edge of M (where D mu drops rank) are a
      component of the critical equations of their own, so the generic solutions come from
      start-system homotopies, not monodromy (``_isolated_solutions``).

    A subnetwork of the dimension of M is a part of M, not a singular stratum (``Stratum.full``):
    with a > d the subnetworks with at least d key/query dimensions have the image of the
    network (and its chart); with t = 1 and d = 2, one key/query dimension gives the forms
    (V x)(x^T S x) whose quadratic form has real linear factors, a full-dimensional part of M.

    Attention with 1 < a' < d key/query dimensions on some stratum (d >= 3, a >= 2) has K^T Q of
    rank a' < d, no free block: multistart there, unless that stratum is a part of M of its
    dimension (one token, d = 3, a >= 3), which is never nearer than the smooth part and needs
    no chart unless it is among the ``targets``. Elsewhere the real neuromanifold may have a
    boundary that is no stratum (binary quartics of real rank 2)."""
    if isinstance(net, NeuromanifoldAt):
        # one hidden layer with one output or one neuron: polyhedral cones (_voronoi_relu.py)
        return relu_cells_unavailable(net) or _relu_strata_unavailable(net, all_strata)
    if linear_shape(net) is not None:
        return None
    if quadratic_one_output(net):
        return None
    top = multilinear_form(net)
    if isinstance(top, str):
        if isinstance(net, (ConvNetwork, LightningAttention)):
            return top
        return (
            f"the real neuromanifold of {net.spec} may be semi-algebraic with a boundary that is not a stratum, "
            "so critical points alone need not give the nearest point; use method='multistart'"
        )
    for i, s in enumerate(all_strata):
        if s.point or (_uncharted_part(net, i, s) and i not in targets):
            continue
        form = multilinear_form(net, s.support)
        if isinstance(form, str):
            return form
        if s.dim != chart_dim(form, s.support):
            return (
                f"the stratum {s.name!r} of {net.spec} has dimension {s.dim}, not {chart_dim(form, s.support)}: its fibers are "
                "larger than the rescalings of the blocks of parameters, so the exhaustive charts do not apply; use method='multistart'"
            )
    return None


def _relu_neurons(net: NeuromanifoldAt, s: Stratum) -> int | None:
    """The hidden neurons of a stratum of a ReLU network with one hidden layer (None for a
    point): those with an output weight in its support."""
    if s.point:
        return None
    if s.support is None:
        return net.net.widths[1]
    return len(_relu_kept(net, s.support))


def _relu_kept(net: NeuromanifoldAt, support: object) -> list[int]:
    """The neurons with an output weight in a support; the parameters are W1 (h x d), b1 (h),
    W2 (m x h), b2 (m), the biases when present."""
    d, h, m = net.net.widths
    start = d * h + (h if net.net.bias else 0)
    held = set(support)  # type: ignore[call-overload]
    return [i for i in range(h) if any(start + o * h + i in held for o in range(m))]


def _relu_strata_unavailable(net: NeuromanifoldAt, all_strata: list[Stratum]) -> str | None:
    """The exact method counts neurons: every stratum must be whole neurons (weights, bias and
    output weight) with the output bias, as the subnetworks and the constant functions are."""
    relu = net.net
    d, h, m = relu.widths
    start = d * h + (h if relu.bias else 0)
    for s in all_strata:
        if s.point or s.support is None:
            continue
        whole = set()
        for i in _relu_kept(net, s.support):
            whole.update(range(i * d, (i + 1) * d))
            if relu.bias:
                whole.add(d * h + i)
            whole.update(start + o * h + i for o in range(m))
        if relu.bias:
            whole.update(range(relu.n_params - m, relu.n_params))
        if whole != set(s.support):
            return f"the stratum {s.name!r} of {net.spec} is not made of whole neurons with the output bias; use method='multistart'"
    return None


def _uncharted_part(net: Network, i: int, s: Stratum) -> bool:
    """Is stratum i a part of M of its dimension without a chart of its own (attention with
    1 < a' < d key/query dimensions, such as two on three inputs with one token)? It is never
    nearer than the smooth part, so only a target needs its chart."""
    return bool(i) and s.full and isinstance(multilinear_form(net, s.support), str)


def _charted_like_top(net: Network, s: Stratum) -> bool:
    """Does the stratum have the smooth part's chart (attention with a > d: the subnetworks with
    at least d key/query dimensions have the same image, realized on the same slice)?"""
    if not s.full:
        return False
    top, form = multilinear_form(net), multilinear_form(net, s.support)
    if not isinstance(top, BlockForm) or not isinstance(form, BlockForm):
        return False
    same_base = (top.base is None and form.base is None) or (top.base is not None and form.base is not None and np.array_equal(top.base, form.base))
    return bool(np.array_equal(top.labels, form.labels) and same_base)


@dataclass
class _Solved:
    chart: Chart
    system: Any
    generic: Any
    restarts: Restarts = field(default_factory=Restarts)


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
    inputs: list[list[float]] | None = None  # input points of a ReLU network (NeuromanifoldAt)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def create(
        cls, net: Network, target: object, distribution: Any, seed: int, n: int, method: str, chunk_size: int, certify: bool = True
    ) -> "NetworkJob | NullCellJob":
        """The job for ``voronoi_mc``; "auto" takes the certificate of null Voronoi cells where
        there is one (``certify=False``: never), else the exhaustive method where it applies."""
        all_strata = strata(net, seed)
        if len(all_strata) == 1:
            raise ValueError(f"{net.spec} has no singular strata to target")
        # the distribution must fit the ambient space
        distribution.draw(np.random.default_rng(0), 1, net.ambient_dim)
        targets, name = _resolve_target(net, all_strata, target, seed)
        if targets == [-1] and (method == "certificate" or (method == "auto" and certify)):
            certificate = _boundary_certificate(net, all_strata, seed)
            if certificate:
                return NullCellJob(_variety_name(net), name, distribution, seed, n, chunk_size, certificate)
            if method == "certificate":
                raise ValueError(
                    f"{net.spec}: the boundary has no certificate of a null Voronoi cell here (where M has an edge beyond its "
                    "lower strata, its cell can be full-dimensional); use method='auto'"
                )
        if method == "certificate" or (method == "auto" and certify and targets != [-1]):
            # a proof beats an estimate, and costs no samples
            certificate, why_not = _null_certificate(net, all_strata, targets, seed)
            if certificate:
                return NullCellJob(_variety_name(net), name, distribution, seed, n, chunk_size, certificate)
            if method == "certificate":
                raise ValueError(f"{net.spec}, target {name!r}: {why_not}")
        if (targets == [-1] and _exact_edge(net, all_strata[0].dim, method) is not None) or _exact_part(net, all_strata, targets, method, seed):
            job = cls(net.spec, targets, name, distribution, seed, n, chunk_size, "exhaustive", True)
            job._cache.update(net=net, strata=all_strata)
            return job
        why = None if method == "multistart" else _exhaustive_available(net, all_strata, targets)
        automatic = method == "auto"
        built: dict[int, tuple[Chart, System, bool]] = {}
        relu = isinstance(net, NeuromanifoldAt)
        if automatic and why is None and not relu and _start_paths(net, all_strata, seed, built) > AUTO_START_PATHS:
            # (attention:3,1,1,2 has 16,333 paths per generic solve: many minutes before the first
            # sample)
            why = f"{net.spec}: the exhaustive method's start systems have over {AUTO_START_PATHS} paths"
        if automatic and why is None and isinstance(net, PolynomialNetwork):
            # (poly:4,3,1^2, 9 coordinates: generic solves of a few seconds, then about 2 s per sample)
            largest = max(s.dim for s in all_strata if not s.point and not s.full)
            if largest > AUTO_CHART_DIM:
                why = f"{net.spec}: the exhaustive method's charts have {largest} coordinates, over {AUTO_CHART_DIM}: its generic solve takes minutes (method='exhaustive' insists)"
        if method == "auto":
            method = "multistart" if why else "exhaustive"
        if method == "exhaustive" and why:
            raise ValueError(why)
        if targets == [-1] and method == "exhaustive" and not relu and not is_multilinear(net) and not edge_is_lower_strata(net):
            if automatic:
                method = "multistart"
            else:
                raise ValueError(
                    "the boundary target with method='exhaustive' needs a network linear (or homogeneous) in blocks of parameters "
                    "(linear convolutional networks or with z^k, lightning attention with a = 1 or d <= 2): the rank of D mu "
                    "at exact critical points, or one whose edge is its lower strata (linear networks, one hidden layer with z^2 "
                    "and one output, without biases); use method='multistart'"
                )
        inputs = net.X.tolist() if isinstance(net, NeuromanifoldAt) else None
        job = cls(net.spec, targets, name, distribution, seed, n, chunk_size, method, method == "exhaustive", inputs)
        job._cache["net"] = net
        job._cache["strata"] = all_strata
        job._cache["built"] = built  # the first charts' systems, counted above: not built again
        form = multilinear_form(net) if job.exhaustive and automatic else None
        if isinstance(form, BlockForm) and form.degrees is not None and any(d > 1 for d in form.degrees):
            # higher degrees give critical points far out in the charts, whose paths a generic
            # solve can lose: "auto" solves every stratum now and takes local searches if one fails
            from ._core import NeuromanifoldError

            try:
                for i, s in enumerate(all_strata):
                    if not s.point and not (i and _charted_like_top(net, s)):
                        job._solved(i, s)
            except NeuromanifoldError:
                return cls.create(net, target, distribution, seed, n, "multistart", chunk_size)
        return job

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_cache"] = {}
        return state

    @property
    def variety_name(self) -> str:
        return _variety_name(self.net)

    @property
    def net(self) -> Network:
        if "net" not in self._cache:
            from .spec import parse

            net = parse(self.spec)
            self._cache["net"] = net if self.inputs is None else NeuromanifoldAt(net, np.array(self.inputs))
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
        edge = _exact_edge(self.net, self.strata[0].dim, self.method) if self.targets == [-1] else None
        if edge is not None:
            return edge(self.net, self.seed, self._cache).decide(U, salt)
        part = _exact_part(self.net, self.strata, self.targets, self.method, self.seed)
        if part is not None:
            # outside the subnetwork's image (1) is a miss, inside (0) a hit
            outside = part[0](part[1], self.seed, self._cache.setdefault(("part", self.targets[0]), {})).decide(U, salt)
            return np.where(outside < 0, -1, 1 - outside).astype(np.int8)
        D, rank_drop = self.distances(U, salt)
        return self.decide_from(D, rank_drop, self.targets)

    def distances(self, U: npt.NDArray[np.float64], salt: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Best squared distance from each row of U to each stratum (B, strata), and whether D mu
        drops rank at the smooth part's best point (RANK_DROP, RANK_FULL or RANK_UNKNOWN; exhaustive
        methods without parameters of their own say RANK_FULL)."""
        if self.method == "multistart":
            return self._multistart_distances(U, salt)
        if isinstance(self.net, NeuromanifoldAt):
            return self._relu_distances(U)
        cols, rank_drop = [], np.full(len(U), RANK_FULL, dtype=np.int8)
        for i, s in enumerate(self.strata):
            if s.point:
                cols.append((U**2).sum(axis=1))
                continue
            if i and (_charted_like_top(self.net, s) or _uncharted_part(self.net, i, s)):
                cols.append(cols[0])  # (the same image; or a part, which decide_from leaves out)
                continue
            found = self._real_critical_points(i, s, U, salt)
            cols.append(np.array([_best_distance(c, u) for c, u in zip(found, U)]))
            if i == 0 and is_multilinear(self.net):
                rank_drop = np.array([self._rank_drop(c, u) for c, u in zip(found, U)], dtype=np.int8)
        return np.column_stack(cols), rank_drop

    def _relu_distances(self, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact distances of a ReLU network with one hidden layer and one output (or one neuron):
        the least feasible projection onto the unions of faces of its neurons' cones (with several
        outputs, the best eigenvector of each face's captured energy; ``ReluCells``); the
        rank drops where the nearest union lies next to a piece of lower rank (RANK_UNKNOWN when
        two unions tie with different answers)."""
        net = self.net
        assert isinstance(net, NeuromanifoldAt)
        cells = ReluCells.of(net)
        neurons = [_relu_neurons(net, s) for s in self.strata]
        counted = [n for n in neurons if n is not None]
        best, first, runner, runner_value = cells.nearest(U, counted)
        cols = []
        for s, n in zip(self.strata, neurons):
            cols.append((U**2).sum(axis=1) if n is None else best[:, counted.index(n)])
        D = np.column_stack(cols)
        dim = self.strata[0].dim
        drop = np.array([cells.drops_rank(int(f), dim) for f in first])
        tie = runner_value <= D[:, 0] * (1 + TIE_BAND) + ZERO_DISTANCE * (U**2).sum(axis=1)
        other = np.array([cells.drops_rank(int(r), dim) if t and r >= 0 else d for r, t, d in zip(runner, tie, drop)], dtype=bool)
        rank_drop = np.where(drop != other, RANK_UNKNOWN, np.where(drop, RANK_DROP, RANK_FULL)).astype(np.int8)
        # a limit of two neurons merging that an attained union reaches too is attained: the
        # attained union decides (the limit's cone overlaps it there)
        for i in np.flatnonzero(rank_drop == RANK_UNKNOWN):
            f, r = int(first[i]), int(runner[i])
            if cells.attained_limit(U[i], f, r):
                rank_drop[i] = RANK_DROP if cells.drops_rank(r if cells.limits[f] else f, dim) else RANK_FULL
        return D, rank_drop

    def decide_from(self, D: np.ndarray, rank_drop: np.ndarray, targets: list[int]) -> npt.NDArray[np.int8]:
        exhaustive = self.method == "exhaustive"
        match, beat = (TIE_BAND, TIE_BAND) if exhaustive else (MULTISTART_MATCH, MULTISTART_BEAT)
        full = [i for i, s in enumerate(self.strata) if s.full]
        if full and targets != [-1] and set(targets) <= set(full):
            zero = [i for i, s in enumerate(self.strata) if s.point]
            return _contains(D, targets, *((TIE_BAND, CONTAIN_BAND) if exhaustive else (MULTISTART_MATCH, MULTISTART_BEAT)), zero)
        # a full stratum is a part of the smooth part, never nearer than it: no competitor
        keep = [i for i in range(D.shape[1]) if i not in full]
        D, targets = D[:, keep], [keep.index(i) if i >= 0 else i for i in targets]
        if targets == [-1]:
            # boundary: the best point is on the smooth part's edge (a rank drop), not on a stratum
            out = _compare(D, [0], match, beat)
            return np.where(out == 1, rank_drop, out).astype(np.int8)
        return _compare(D, targets, match, beat)

    def _solved(self, i: int, s: Stratum, spare: int = 0) -> _Solved:
        """The critical equations of stratum i in a chart and their generic solutions; ``spare``
        picks another random chart (for data whose paths were lost in the first)."""
        key = f"chart{i}.{spare}"
        if key not in self._cache:
            # (kept by the process too: the generic solve of a start system can take minutes)
            shared = ("network chart", self.spec, None if self.inputs is None else str(self.inputs), self.seed, i, spare)
            self._cache[key] = kept_solve(shared, lambda: self._solve(i, s, spare))
        return self._cache[key]

    def _solve(self, i: int, s: Stratum, spare: int) -> _Solved:
        built = self._cache.get("built", {}).pop(i, None) if spare == 0 else None
        chart, system, cone = built or _chart_system(self.net, s, self.seed + i + 1000 * spare, spare)
        if cone:
            generic = _isolated_solutions(system, self.seed + i + 1000 * spare, f"stratum {s.name!r} of {self.net.spec}")
        else:
            generic = _generic_solutions(system, self.seed + i + 1000 * spare, 10)
        return _Solved(chart, system, generic)

    def _exhaustive_distances(self, i: int, s: Stratum, U: np.ndarray, salt: int) -> np.ndarray:
        """Squared distance from each row of U to the nearest real critical point on stratum s
        (inf if none, nan if a path was lost)."""
        if s.point:
            return (U**2).sum(axis=1)
        return np.array([_best_distance(c, u) for c, u in zip(self._real_critical_points(i, s, U, salt), U)])

    def _real_critical_points(self, i: int, s: Stratum, U: np.ndarray, salt: int) -> list[_Candidates | None]:
        """For each row of U the candidates of stratum s: its real critical points of the distance
        that are points of the real neuromanifold; None if in every chart a path was lost or a
        critical point was too close to real to tell."""
        out: list[_Candidates | None] = [None] * len(U)
        todo = np.arange(len(U))
        real_parameters = is_multilinear(self.net)
        for spare in range(SPARE_CHARTS + 1):
            # data with a lost path are solved again in another random chart; a hard path (seconds
            # when retracked carefully) is usually easy there, so only the last chart retracks
            solved = self._solved(i, s, spare)
            seed = self.seed + 7919 * salt + i + 104729 * spare
            results, complete = _to_targets(solved.system, solved.generic, U[todo].astype(np.complex128), seed, retry_failed=spare == SPARE_CHARTS, restarts=solved.restarts)
            lost, done, ends = [], [], []
            for k, r, ok in zip(todo, results, complete):
                if not ok:
                    lost.append(k)
                    continue
                done.append(k)
                ends.append(r.endpoints[r.status == "nonsingular"])
            found = _real_parameter_candidates(solved.chart, ends) if real_parameters else _real_image_candidates(solved.chart, ends)
            for k, c in zip(done, found):
                out[k] = c
                if c is None:
                    lost.append(k)  # a point far out in this chart, maybe not in the next
            todo = np.array(sorted(lost), dtype=np.int64)
            if not len(todo):
                break
        return out

    def _rank_drop(self, c: _Candidates | None, u: np.ndarray) -> int:
        """Does D mu drop rank at every nearest candidate of the smooth part? RANK_UNKNOWN when
        the candidates are unknown or a singular value ratio is within RANK_BAND of RANK_GAP.

        The rank is that of D mu in the blocks, at blocks of equal norms. For attention with
        a >= d that is D of (V, M) -> mu on the slice K = [I; 0]: at any parameters with K^T Q =
        M the image of D mu lies in its image, so a drop there is a drop at every real parameter
        of the point. The rule is needed for attention too: with d = 2, d_out = 1 its real image
        is not the real part of its closure (see ``_exhaustive_available``), and with a = 1 its
        edge (v parallel to k: (v.x)(k.x) a square) attracts data with positive probability."""
        if c is None:
            return RANK_UNKNOWN
        if not len(c.images):
            return RANK_FULL  # no real point: the smooth part is not the nearest stratum anyway
        d = ((c.images - u) ** 2).sum(axis=1)
        near = d <= d.min() * (1 + TIE_BAND) + ZERO_DISTANCE * float(u @ u)
        if "form" not in self._cache:  # (asked for every sample)
            self._cache["form"] = multilinear_form(self.net)
        form = self._cache["form"]
        assert isinstance(form, BlockForm)
        thetas = c.thetas[near] if form.reduce is None else form.reduce(c.thetas[near])
        blocks = form.labels >= 0  # not the held K
        sv = np.linalg.svd(self.net.jacobian(balanced_blocks(thetas, form.labels, form.degrees))[:, :, blocks], compute_uv=False)
        ratio = sv[:, self.strata[0].dim - 1] / sv[:, 0]
        if (ratio < RANK_GAP / RANK_BAND).all():
            return RANK_DROP
        if (ratio > RANK_GAP * RANK_BAND).all():
            return RANK_FULL
        return RANK_UNKNOWN

    def _multistart_distances(self, U: np.ndarray, salt: int) -> tuple[np.ndarray, np.ndarray]:
        """Best squared distances per stratum by local searches; the smooth part's searches also
        start next to every lower stratum's best point, so a stratum counts as nearest only if no
        descent leads away from it. Also whether D mu drops rank at the smooth part's best point
        (RANK_DROP or RANK_FULL, ``_heading_to_edge``)."""
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
        near += _edge_starts(net, U, np.random.default_rng([self.seed, salt, 0, 0xED6E]))
        cols[0], theta = _least_squares(net, np.arange(net.n_params), U, rng, near)
        balanced = self._balanced(theta)
        ratio = self._ratio_at(balanced)
        near = np.flatnonzero(ratio <= EDGE_RATIO)
        rank_drop = np.full(len(U), RANK_FULL, dtype=np.int8)
        if len(near):
            best, theta_on = _continued_search(net, U[near], balanced[near])
            cols[0][near] = np.minimum(cols[0][near], best)
            rank_drop[near] = np.where(self._heading_to_edge(ratio[near], self._rank_ratio(theta_on)), RANK_DROP, RANK_FULL)
        if isinstance(net, NeuromanifoldAt):
            rank_drop[self._drops_next_to(balanced, salt)] = RANK_DROP
        if self.targets == [-1] and not isinstance(net, NeuromanifoldAt):
            self._restarts_at_the_edge(U, cols, rank_drop, salt)
        if seams_available(net):
            self._through_seams(U, cols, balanced, rank_drop, salt)
        return np.column_stack(cols), rank_drop

    def _drops_next_to(self, theta: np.ndarray, salt: int) -> npt.NDArray[np.bool_]:
        """ReLU networks: does D mu drop rank on an open piece of the parameter space next to the
        best parameters (B, N)? A search that ends on a kink (a pre-activation 0 at an input
        point) computes D mu on one side of it, while the same function is reached from the
        pieces on the other sides too; where one of them has lower rank (a neuron active at one
        extreme input point alone: a spike) the point is on the edge, as the exact method of one
        hidden layer decides (``ReluCells.drops_rank``). The pieces are found by RELU_SIDES small
        random perturbations of the parameters. Such a piece drops rank exactly, so only ratios
        below RANK_GAP / RANK_BAND count: D mu can be near a drop at a point of full rank (two
        neurons off at the same input points, with nearly parallel output weights)."""
        rng = np.random.default_rng([self.seed, salt, 0x51DE])
        step = RELU_SIDE_STEP * (1.0 + np.abs(theta).max(axis=1, keepdims=True))
        least = np.full(len(theta), np.inf)
        for _ in range(RELU_SIDES):
            d = rng.standard_normal(theta.shape)
            least = np.minimum(least, self._ratio_at(theta + step * d / np.linalg.norm(d, axis=1, keepdims=True)))
        return least < RANK_GAP / RANK_BAND

    def _restarts_at_the_edge(self, U: np.ndarray, cols: list[np.ndarray], rank_drop: np.ndarray, salt: int) -> None:
        """Samples counted for the edge get EDGE_RESTARTS more random starts on the smooth part:
        the nearest real network can have a small basin (on ``poly:2,3,1^6`` 256 random starts
        found real networks far nearer than 8 for samples whose search headed to the edge). A
        point found as near where D mu has full rank is no edge."""
        which = np.flatnonzero(rank_drop == RANK_DROP)
        if not len(which) or not EDGE_RESTARTS:
            return
        rng = np.random.default_rng([self.seed, salt, 0, 0x2C])
        found, theta = _least_squares(self.net, np.arange(self.net.n_params), U[which], rng, starts=EDGE_RESTARTS)
        _take_attained(cols[0], rank_drop, which, found, self._rank_ratio(theta) > EDGE_RATIO)

    def _through_seams(self, U: np.ndarray, cols: list[np.ndarray], balanced: np.ndarray, rank_drop: np.ndarray, salt: int) -> None:
        """MLPs with biases: where the smooth part's best point counts for the edge or a lower
        stratum is as near, search again in coordinates smooth through the seams of neurons
        merging with the next layer's biases (``_voronoi_seams``). A point found there at least as
        near, whose tangent space has full dimension, is attained (or on the seam, a null set):
        the smooth part holds the nearest point, with no rank drop. A point as near next to the
        edge gets the network's own rule (``_heading_to_edge``): the search goes on from it, and
        the point is attained unless the ratio keeps falling. With two or more hidden
        layers, samples still counted for the edge get SEAM_RESTARTS more random starts there
        (on ``poly:1,2,2,1^3+bias``, 500 samples, before that rule: 88 hits after 8 starts, 78
        after 32 or 64, 76 after 128; with one hidden layer, 24 more changed no decision on
        1,000 samples of ``poly:1,2,1^5+bias`` and doubled the time)."""
        lower = np.column_stack(cols[1:]).min(axis=1) if len(cols) > 1 else np.full(len(U), np.inf)
        edge = (rank_drop == RANK_DROP) & (self.targets == [-1])  # the rank matters for the boundary only
        which = np.flatnonzero(edge | (lower <= cols[0] * (1 + MULTISTART_BEAT)))
        if not len(which):
            return
        rng = np.random.default_rng([self.seed, salt, 0x5EA])
        self._seam_pass(U, cols, balanced, rank_drop, which, rng, SEAM_STARTS)
        still = which[(rank_drop[which] == RANK_DROP) & (self.targets == [-1])]
        if len(still) and SEAM_RESTARTS and len(self.net.widths) > 3:
            self._seam_pass(U, cols, balanced, rank_drop, still, rng, SEAM_RESTARTS)

    def _seam_pass(
        self, U: np.ndarray, cols: list[np.ndarray], balanced: np.ndarray, rank_drop: np.ndarray, rows: np.ndarray, rng: np.random.Generator, starts: int
    ) -> None:
        """Seam searches for ``rows`` from the searches' best points and ``starts`` random starts."""
        net, dim = self.net, self.strata[0].dim
        assert isinstance(net, PolynomialNetwork)
        found, ratio, P = seam_searches(net, U[rows], balanced[rows], dim, rng, starts)
        full = ratio > EDGE_RATIO
        settle = np.flatnonzero(~full & (found <= cols[0][rows] * (1 + MULTISTART_MATCH)))
        if len(settle):
            full[settle] = ~self._heading_to_edge(ratio[settle], continued_ratio(net, U[rows[settle]], P[settle], dim, EDGE_ITERATIONS))
        _take_attained(cols[0], rank_drop, rows, found, full)

    def _balanced(self, theta: np.ndarray) -> np.ndarray:
        """Parameters (B, N) at the balanced points of their fibers: a neuron's weights near 20
        with its output weights near 1 put the singular values of D mu orders of magnitude apart,
        a rank drop in name (ReLU networks: as they are)."""
        return theta if isinstance(self.net, NeuromanifoldAt) else balanced_rows(self.net, theta)

    def _rank_ratio(self, theta: np.ndarray) -> np.ndarray:
        """sigma_dim / sigma_1 of D mu at the balanced points of the parameters (B, N)."""
        return self._ratio_at(self._balanced(theta))

    def _ratio_at(self, balanced: np.ndarray) -> np.ndarray:
        """sigma_dim / sigma_1 of D mu at parameters (B, N) already balanced."""
        sv = np.linalg.svd(self.net.jacobian(balanced), compute_uv=False)
        return sv[:, self.strata[0].dim - 1] / sv[:, 0]

    @staticmethod
    def _heading_to_edge(before: np.ndarray, after: np.ndarray) -> npt.NDArray[np.bool_]:
        """Is a local search whose best point is next to the edge (D mu nearly rank-deficient)
        heading there? The edge is not attained: the parameters of a search towards it diverge,
        and the rank ratio keeps falling as the search goes on (by 2.5 to 10,000 times in
        EDGE_ITERATIONS more steps on the networks with an exact edge), while a search that
        ended at a real critical point with nearly parallel neurons stays where it is (the same
        ratio to three digits). Ratios at most RANK_GAP, a drop for the exhaustive methods too,
        count as the edge either way: there a search can stall (true edge points of
        poly:3,2,2^2 at 1e-10 to 7e-9, unchanged)."""
        return (after <= before / EDGE_FALL) | (after <= EDGE_FLOOR)


def _take_attained(smooth: np.ndarray, rank_drop: np.ndarray, which: np.ndarray, found: np.ndarray, full: np.ndarray) -> None:
    """More searches on the smooth part for the samples ``which``: their best squared distances
    ``found`` improve ``smooth``, and a point found at least as near where D mu has full rank
    (``full``) is attained, no edge."""
    attained = (found <= smooth[which] * (1 + MULTISTART_MATCH)) & full
    smooth[which] = np.minimum(smooth[which], found)
    rank_drop[which[attained]] = RANK_FULL


@dataclass(frozen=True)
class _Candidates:
    """Real critical points of one stratum for one data point: images (k, A) and, when known,
    real parameters (k, N) of each."""

    images: np.ndarray
    thetas: np.ndarray


def _real_image_candidates(chart: Chart, ends: list[np.ndarray]) -> list[_Candidates]:
    """For each data point's critical points ys, those with a real image: points of the real
    neuromanifold when it is the real part of its closure (linear networks, z^2 with one hidden
    layer). One evaluation of the chart for all data points."""
    A = len(chart.phi)
    ys = np.concatenate([e.reshape(-1, chart.n) for e in ends]) if ends else np.zeros((0, chart.n), dtype=complex)
    images = chart.mu(ys).reshape(-1, A) if len(ys) else np.zeros((0, A), dtype=complex)
    real = np.abs(images.imag).max(axis=1, initial=0.0) <= REAL_TOL * (1 + np.abs(images).max(axis=1, initial=0.0))
    parts = np.split(np.arange(len(ys)), np.cumsum([len(e) for e in ends])[:-1]) if ends else []
    return [_Candidates(images[idx[real[idx]]].real, np.zeros((int(real[idx].sum()), 0))) for idx in parts]


def _real_parameter_candidates(chart: Chart, ends: list[np.ndarray]) -> list[_Candidates | None]:
    """For each data point's critical points ys, the real ones (linear convolutions: a real image
    of complex filters need not be in M); None when a point is neither real within REAL_TOL nor
    paired with its conjugate (the critical points of real data are real or come in conjugate
    pairs, so that is a point too close to real to tell, whatever the scales of the
    coordinates). One evaluation of the chart and its lift for all data points."""
    if not ends:
        return []
    if len({len(e) for e in ends}) > 1:  # (complete results all have the generic count)
        return [c for e in ends for c in _real_parameter_candidates(chart, [e])]
    E = np.stack([e.reshape(-1, chart.n) for e in ends])  # (T, S, n)
    imag = np.abs(E.imag).max(axis=2, initial=0.0)
    real = imag <= REAL_TOL * (1.0 + np.abs(E).max(axis=2, initial=0.0))
    unclear = np.zeros(len(E), dtype=bool)
    for t in np.flatnonzero(~real.all(axis=1)):
        gap = np.abs(E[t][:, None, :] - E[t].conj()[None, :, :]).max(axis=2, initial=0.0)
        np.fill_diagonal(gap, np.inf)
        unclear[t] = bool((gap.min(axis=1)[~real[t]] > 1e-3 * imag[t][~real[t]]).any())
    real[unclear] = False
    y = E[real].real  # row by row, in the order of the data
    images = chart.mu(y).reshape(-1, len(chart.phi))
    thetas = chart.lift(y)
    bounds = np.concatenate([[0], np.cumsum(real.sum(axis=1))])
    return [None if unclear[t] else _Candidates(images[bounds[t] : bounds[t + 1]], thetas[bounds[t] : bounds[t + 1]]) for t in range(len(E))]


def _best_distance(c: _Candidates | None, u: np.ndarray) -> float:
    if c is None:
        return np.nan
    return float(((c.images - u) ** 2).sum(axis=1).min(initial=np.inf))


def _chart_system(net: Network, s: Stratum, seed: int, spare: int = 0) -> tuple[Chart, System, bool]:
    """A chart of stratum s, the critical equations of the distance on it, and whether it is a
    cone chart (whose generic solutions need start-system homotopies)."""
    support = None if s.support is None else np.array(s.support, dtype=np.int64)
    form = multilinear_form(net, s.support)
    if s.rank is not None:
        shape = linear_shape(net)
        assert shape is not None
        chart = rank_chart(shape, s.rank, seed)
    elif isinstance(form, BlockForm):
        # spare charts fix the other end entries: a point with a tiny first tap is far out in
        # the first chart but not in the second
        chart = block_cone_chart(net, form, s.dim, seed, support, "first" if spare % 2 == 0 else "last")
    elif quadratic_one_output(net) and net.bias:
        # a chart of the closure: with biases a parameter slice has critical points far out
        # towards the points of the closure that no parameters give, whose paths get lost
        # (poly:3,2,1^2+bias: 356 critical points in a slice, 71 on the closure). Without
        # biases the slice tracks faster though it meets each fiber several times
        # (poly:3,2,1^2: 52 against 13; poly:4,3,1^2: a generic solve of 54 s against 132 s).
        d0, r = net.widths[0], net.widths[1]
        first = r * d0 + (r if net.bias else 0)  # the output weights
        neurons = r if support is None else int(((support >= first) & (support < first + r)).sum())
        chart = quadratic_closure_chart(net, min(neurons, d0), seed)
        assert chart.n == s.dim, (chart.n, s.dim)
    else:
        chart = slice_chart(net, s.dim, seed, support)
    if isinstance(form, BlockForm):
        return chart, cone_critical_system(chart), True
    return chart, critical_system(chart, np.eye(len(chart.phi))), False


def _start_paths(net: Network, all_strata: list[Stratum], seed: int, built: dict[int, tuple[Chart, System, bool]]) -> float:
    """Paths of the largest start-system homotopy the exhaustive method would run (cone charts;
    each runs at several generic data points): what decides whether "auto" can afford it. The
    charts and systems of stratum i (seed + i, the first chart) go into ``built``."""
    most = 0.0
    for i, s in enumerate(all_strata):
        if not s.point and s.rank is None and not (i and _charted_like_top(net, s)) and not _uncharted_part(net, i, s):
            built[i] = _chart_system(net, s, seed + i)
            if built[i][2]:
                most = max(most, float(built[i][1].best_variable_groups()[1]))
    return most


def _isolated_solutions(system: System, seed: int, what: str) -> MonodromyResult:
    """All isolated solutions at generic complex data, by start-system homotopies: monodromy
    from a generic point only finds the critical points of the main component, and the points
    of the edge of a semi-algebraic image (where the chart drops rank) form a component of the
    critical equations of their own (conv (2, 2): the quadratics with a double root).

    A path of a start-system homotopy can end in the wrong place (at infinity, or at a point
    that is no solution), which would lose a critical point for every data point. So runs with
    other random start systems at the same generic data are united until two runs in a row add
    nothing. (Moving the solutions of runs at other generic data by parameter homotopies would
    do too, but loses paths to critical points far out in the chart: conv (2, 2, 2) with z^2
    has some at 1e8.)"""
    from ._core import NeuromanifoldError

    rng = np.random.default_rng([seed, 0x15C7])
    p0 = _random_complex(rng, system.n_params)
    known = np.zeros((0, system.n_vars), dtype=np.complex128)
    quiet = 0
    for attempt in range(GENERIC_ATTEMPTS):
        result = solve(system, parameters=p0, seed=seed + attempt)
        if ((result.status == "singular") & (result.residual < 1e-8)).any():
            # a positive-dimensional set of critical points could hold the nearest point
            raise NeuromanifoldError(f"the critical equations of the distance on the {what} have a positive-dimensional solution set; use method='multistart'")
        united = np.concatenate([known, result.endpoints[result.status == "nonsingular"]])
        keep = _distinct(united)
        quiet = quiet + 1 if len(keep) == len(known) and len(known) else 0
        known = united[keep]
        if quiet == 2:
            return MonodromyResult(parameters=p0, solutions=known, loops=0)
    raise NeuromanifoldError(f"the critical equations of the distance on the {what} gave different solutions in {GENERIC_ATTEMPTS} runs; try another seed")


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


def _contains(D: np.ndarray, targets: list[int], match: float, beat: float, zero: list[int]) -> np.ndarray:
    """Decisions for strata of the dimension of M (parts of M, which a nearest point can share
    with the smooth part): hit if the targets' best is the overall best within ``match``, miss if
    it is worse by more than ``beat``, undecided in between or when a distance is unknown. Data on
    M (distance 0) are compared up to ZERO_DISTANCE times |u|^2 (the zero function's distance)."""
    t = D[:, targets].min(axis=1)
    best = D.min(axis=1)
    scale = D[:, zero].max(axis=1) if zero else np.where(np.isfinite(D), D, 0.0).max(axis=1)
    slack = ZERO_DISTANCE * scale
    out = np.where(t <= best * (1 + match) + slack, 1, np.where(t > best * (1 + beat) + slack, 0, -1))
    return np.where(np.isnan(D).any(axis=1), -1, out).astype(np.int8)


def _least_squares(
    net: Network, support: np.ndarray, U: np.ndarray, rng: np.random.Generator, extra: list[np.ndarray] | None = None, starts: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """min over theta (zero outside support) of |mu(theta) - u|^2 for each row u of U, by
    batched Levenberg-Marquardt from ``starts`` random starts (default ``_random_starts``) and
    the given extra starts, one (B, N) array each: best value and parameters."""
    extra = extra or []
    relu = isinstance(net, NeuromanifoldAt)
    if starts is None:
        starts = _random_starts(net)
    B, N = len(U), net.n_params
    K = starts + len(extra)
    k = len(support)
    scale = _start_scale(net, U)
    theta = np.zeros((B, K, N))
    theta[:, :starts, support] = scale * rng.standard_normal((B, starts, k))
    for j, th in enumerate(extra):
        theta[:, starts + j] = th
    if relu:
        _anchor_kinks(net, theta[:, : starts // 2], support, rng)
    best, theta = _local_searches(net, support, U, theta, MULTISTART_ITERATIONS)
    free = free_units(net, support) if isinstance(net, NeuromanifoldAt) else None
    if free is not None and free.any():
        for _ in range(RELU_REVIVALS):
            again, moved = _local_searches(net, support, U, revived(net, theta, RELU_REVIVED, rng, free), MULTISTART_ITERATIONS)
            better = again < best
            best, theta[better] = np.where(better, again, best), moved[better]
    return best, theta


def _random_starts(net: Network) -> int:
    """Random starts of the local searches: RELU_STARTS for ReLU networks, DEEP_STARTS for
    polynomial MLPs with two or more hidden layers, MULTISTART_STARTS otherwise. Deeper
    landscapes have more local minima: with 8 starts the boundary hits on 200 samples of
    ``poly:2,2,2,1^3+bias`` were 38, with 32 45, with 64 44 (on 300 of ``poly:1,2,2,1^3+bias``
    45, 52, 53), while one hidden layer agreed with the exact method with 8."""
    if isinstance(net, NeuromanifoldAt):
        return RELU_STARTS
    if isinstance(net, PolynomialNetwork) and len(net.widths) > 3:
        return DEEP_STARTS
    return MULTISTART_STARTS


def _edge_starts(net: Network, U: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """EDGE_STARTS starts (B, N) next to the edge of a polynomial MLP where two neurons of a
    layer merge: random parameters, but the two with incoming weights l +- e m and outgoing
    weights +-a / (2 k e) + g / 2 (e = EDGE_SPLIT), near g sigma(l) + (a / k) sigma'(l) m on the
    tangential variety. From random starts alone the searches seldom head there (on
    ``poly:1,2,1^5+bias`` some settled at real networks farther than the edge's infimum, which
    searches from these starts reached)."""
    if not isinstance(net, PolynomialNetwork):
        return []
    neurons = _neurons(net)
    layers = np.repeat(np.arange(len(net.widths) - 2), net.widths[1:-1])
    wide = [np.flatnonzero(layers == L) for L in range(len(net.widths) - 2) if net.widths[L + 1] >= 2]
    if not wide:
        return []
    k = len(net.activation) - 1
    B, N = len(U), net.n_params
    scale = _start_scale(net, U)
    out = []
    for _ in range(EDGE_STARTS):
        layer = wide[int(rng.integers(len(wide)))]
        i, j = (neurons[int(n)] for n in rng.choice(layer, size=2, replace=False))
        theta = scale * rng.standard_normal((B, N))
        l, m = theta[:, i[0]], rng.standard_normal((B, len(i[0])))
        a, g = rng.standard_normal((B, len(i[1]))), theta[:, i[1]]
        theta[:, i[0]], theta[:, j[0]] = l + EDGE_SPLIT * m, l - EDGE_SPLIT * m
        theta[:, i[1]], theta[:, j[1]] = a / (2 * k * EDGE_SPLIT) + g / 2, -a / (2 * k * EDGE_SPLIT) + g / 2
        out.append(theta)
    return out


def _continued_search(net: Network, U: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """EDGE_ITERATIONS more steps of Levenberg-Marquardt on all parameters from theta (B, N),
    one search per row of U: best squared distance (B,) and its parameters (B, N)."""
    return _local_searches(net, np.arange(net.n_params), U, theta[:, None, :], EDGE_ITERATIONS)


def _local_searches(net: Network, support: np.ndarray, U: np.ndarray, starts: np.ndarray, iterations: int) -> tuple[np.ndarray, np.ndarray]:
    """Levenberg-Marquardt in the core over ``support`` from starts (B, K, N), ``iterations``
    steps each: best squared distance (B,) and its parameters (B, N)."""
    starts = np.ascontiguousarray(starts, dtype=np.float64)
    if isinstance(net, NeuromanifoldAt):
        return net.local_least_squares(support, U, starts, iterations)
    return net._core.local_least_squares([int(i) for i in support], np.ascontiguousarray(U, dtype=np.float64), starts, iterations)


def _anchor_kinks(net: NeuromanifoldAt, theta: np.ndarray, support: np.ndarray, rng: np.random.Generator) -> None:
    """Move the first layer's biases of starts (B, K, N) so that every unit's kink passes through
    an input point or a random point between two: a unit whose kink starts outside the data has
    no gradient to bring it in, and minima often have kinks at input points (biases in the
    support only)."""
    if not net.net.bias:
        return
    d0, d1 = net.widths[0], net.widths[1]
    X = net.X
    B, K, _ = theta.shape
    for r in range(d1):
        bias = d0 * d1 + r
        if bias not in support:
            continue
        a, b = rng.integers(0, X.shape[1], (2, B, K))
        lam = np.where(rng.random((B, K, 1)) < 0.5, 1.0, rng.random((B, K, 1)))  # half through an input point
        anchor = lam * X.T[a] + (1 - lam) * X.T[b]  # (B, K, d0)
        theta[:, :, bias] = -(theta[:, :, r * d0 : (r + 1) * d0] * anchor).sum(axis=2)


def _start_scale(net: Network, U: np.ndarray) -> float:
    """Random starts of this size give images of about the data's size."""
    return float(np.sqrt(np.mean(U**2)) + 1e-12) ** (1.0 / max(1, _degree(net)))


def _degree(net: Network) -> int:
    """Degree of mu in theta, roughly (one factor per layer): scales random starts to the data."""
    widths = getattr(net, "widths", None)
    return max(1, len(widths) - 1) if widths is not None else 2


def stratum_probabilities(net: Network, n: int, seed: int = 0, distribution: Any = None, method: str = "auto") -> list[Any]:
    """Voronoi estimates for every lower stratum of ``net`` from one set of ``n`` samples
    (Gaussian by default): the same distances serve every target. Where the real
    neuromanifold can have an edge that is no stratum (semi-algebraic: networks linear in
    blocks, ReLU networks at input points, or any network under local searches), the edge's
    estimate ("boundary") comes last;
    linear networks and one hidden layer with z^2 and one output have none (their real
    neuromanifold is the real part of its closure, up to a null set of it with biases)."""
    from .voronoi import _RECHECK_SALTS, Gaussian, _estimate, _recheck_size

    job = NetworkJob.create(net, "singular", distribution or Gaussian(), seed, n, method, n, certify=False)
    assert isinstance(job, NetworkJob)
    U = job.samples(0)
    distances: tuple[np.ndarray, np.ndarray] | None = None
    again: list[tuple[np.ndarray, np.ndarray]] | None = None

    def decided(target: list[int]) -> npt.NDArray[np.int8]:
        # the distances once, and only for a target without a certificate or an exact test
        nonlocal distances
        if distances is None:
            distances = job.distances(U, 0)
        return job.decide_from(*distances, target)

    def rechecked(target: list[int]) -> tuple[int, int]:
        # local searches: the first samples twice more from independent starts (as voronoi_mc)
        nonlocal again
        if again is None:
            k = _recheck_size(n)
            again = [job.distances(U[:k], salt) for salt in _RECHECK_SALTS] if k else []
        if not again:
            return 0, 0
        first, second = (job.decide_from(*D, target) for D in again)
        return len(first), int((first != second).sum())

    targets = [([i], f"{s.name} (a part of M of its dimension)" if s.full else s.name) for i, s in enumerate(job.strata[1:], start=1)]
    exact_edge = _exact_edge(net, job.strata[0].dim, "auto") is not None
    edge_certificate = _boundary_certificate(net, job.strata, seed)
    if job.method == "multistart" or is_multilinear(net) or exact_edge or isinstance(net, NeuromanifoldAt) or edge_certificate:
        targets.append(([-1], "boundary"))
    out = []
    for target, name in targets:
        if target == [-1] and edge_certificate:
            out.append(_estimate(NullCellJob(job.variety_name, name, job.distribution, seed, n, n, edge_certificate), {0: (0, 0, n)}))
            continue
        if (target == [-1] and exact_edge) or _exact_part(net, job.strata, target, "auto", seed):
            exact = NetworkJob(job.spec, target, name, job.distribution, seed, n, n, "exhaustive", True)
            exact._cache.update(net=net, strata=job.strata)
            d = exact.decide(U, 0)
            out.append(_estimate(exact, {0: (int((d == 1).sum()), int((d == -1).sum()), len(U))}))
            continue
        if target != [-1]:
            # a proven null cell is exact (local searches only bound from above, and the samples'
            # decisions can only agree)
            certificate, _ = _null_certificate(net, job.strata, target, seed)
            if certificate:
                null = NullCellJob(job.variety_name, name, job.distribution, seed, n, n, certificate)
                out.append(_estimate(null, {0: (0, 0, n)}))
                continue
        d = decided(target)
        counts = {0: (int((d == 1).sum()), int((d == -1).sum()), len(U))}
        part = NetworkJob(job.spec, target, name, job.distribution, seed, n, n, job.method, job.exhaustive)
        out.append(_estimate(part, counts, (0, 0) if job.exhaustive else rechecked(target)))
    return out
