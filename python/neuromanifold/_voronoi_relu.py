"""Exact nearest points for ReLU networks with one hidden layer and one output, or one or two
hidden neurons and several outputs, seen at input points: the image is a finite union of
polyhedral cones, or of their rank-one products with the output space.

A neuron's values at the inputs X are relu(v) for v in V = {X^T w + b} (the column space of
[X^T, 1], or of X^T without biases). The coordinate hyperplanes v_k = 0 cut V into closed cells,
on each of which relu is linear, so relu(cell) is the polyhedral cone spanned by the images of
the cell's rays (the 1-dimensional faces: v in V with rank - 1 independent zero coordinates). A
set of rays lies in one closed cell exactly when no coordinate is positive on one and negative on
another. With output weights of either sign and the output bias free,

    M = R 1 + sum_i (cone_i or -cone_i),  cone_i = relu(some closed cell),

a finite union of polyhedral cones. The nearest point of a polyhedral cone lies in the relative
interior of a face, where it is the projection onto the span of linearly independent generators
of that face, with coefficients of one sign for each neuron (Caratheodory). Every such projection
is a point of M. So the distance to M is the least residual over the projections onto the spans
of independent unions of faces, one face of a cone per neuron, whose coefficients have one sign
per neuron: an exact minimum, no local search. A subnetwork (fewer neurons) is the same with
fewer faces; the constant functions are R 1.

The faces, their unions and the projections' matrices are made here; the projections of the
samples run in the core (``_core.FaceUnions``), in parallel.

With one neuron and m outputs, M = {c 1^T + a u^T : a in R^m, u in the neuron's cone}: for u in
a face the best a is a least-squares fit, so the nearest point inside a face is a critical point
of the captured energy |Y~ u~|^2 / |u~|^2, an eigenvector of a small symmetric matrix with
coefficients of one sign (``_core.RankOneFaces``): again an exact minimum over the faces. Two
neurons whose pre-activations fill a plane (one input with biases) couple on each union of faces:
there the critical points solve two equations in two unknowns, and M is not closed (two neurons
merging at a kink, with opposite output weights growing, tend to points outside it), so the
limits join the unions (``_relu_rank_one.py``). With more neurons or inputs local searches
decide.

The edge of M (where D mu drops rank): the nearest point is on it when the union of faces that
holds it lies next to an open cell, for some neuron, on which D mu has lower rank: a spike at an
extreme input point (next to the one-point cells), the affine functions. A kink on an inner
input point lies between two full cells, which fold there: it attracts a positive share of data
(as the closed form of one neuron shows) and is no edge.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations, product
from math import comb

import numpy as np

from . import _core
from .architectures import ReLUNetwork
from ._relu_rank_one import Plan, core_unions, merging_limit, nearest_coefficients, nearest_point
from .evaluation import NeuromanifoldAt

MAX_FACE_UNIONS = 200_000  # unions of faces projected onto per sample, at most
MAX_CONE_PAIRS = 20_000  # unions of two 2-dimensional cones per sample (about 100 input points), at most
RANK_TOL = 1e-9  # relative singular values below this are rank drops (dependent generators)
SAME_POINT = 1e-9  # two unions' nearest points this close (relative to the data) are one point
_BUILT: dict[tuple[object, ...], "ReluCells"] = {}  # the cells of the last network asked for


def relu_cells_unavailable(net: NeuromanifoldAt) -> str | None:
    """Why the exact method does not apply to this network, or None."""
    relu = net.net
    if not isinstance(relu, ReLUNetwork) or len(relu.widths) != 3 or (relu.widths[1] > 2 and relu.widths[-1] > 1):
        return (
            f"{net.spec} is piecewise linear: exact nearest points need one hidden layer with one output, or one or two "
            "neurons with several outputs (then M is a finite union of polyhedral cones, or of their products with the "
            "outputs); with more, the neurons' terms couple (a weighted low-rank problem on each union of faces), and "
            "deeper, its pieces are images of multilinear maps, with edges that are no stratum; use method='multistart'"
        )
    try:
        ReluCells.of(net)
    except ValueError as e:
        return str(e)
    return None


def _preactivations(net: NeuromanifoldAt) -> tuple[np.ndarray, np.ndarray]:
    """B (K, d + 1, or d without biases) with a neuron's pre-activations at the inputs B (w, b),
    and an orthonormal basis V (K, r) of their space."""
    X = net.X
    K = X.shape[1]
    B = np.vstack([X, np.ones((1, K))]).T if net.net.bias else X.T
    u, s, _ = np.linalg.svd(B, full_matrices=False)
    r = int((s > RANK_TOL * max(s[0], 1e-300)).sum()) if s.size else 0
    return B, u[:, :r]


def _cells_rank(V: np.ndarray, cells: Sequence[np.ndarray], bias: bool, outputs: int = 1) -> int:
    """The rank of D mu with one neuron on each open cell (active sets) and m outputs, at a
    generic point of those cells: the span of R^m (x) 1 (the output biases), and for each neuron
    a (x) (V restricted to its active points) (its weights and bias) and R^m (x) u (its output
    weights a), with a and u = relu(v) drawn at random (the rank is a polynomial condition in
    them, and u ranges over an open set of V's restriction). With one output, dim(R 1 + the sum
    of the restrictions of V)."""
    K = V.shape[0]
    rng = np.random.default_rng(len(cells))
    cols = [np.kron(np.eye(outputs), np.ones((K, 1)))] if bias else []
    for P in cells:
        restricted = V * P[:, None]
        a, u = rng.standard_normal(outputs), restricted @ rng.standard_normal(V.shape[1])
        cols += [np.kron(a[:, None], restricted), np.kron(np.eye(outputs), u[:, None])]
    return int(np.linalg.matrix_rank(np.hstack(cols))) if cols else 0


def _rays(V: np.ndarray) -> np.ndarray:
    """The rays (R, K) of the arrangement of coordinate hyperplanes in the column space of the
    orthonormal V (K, r), both orientations, one per sign vector."""
    K, r = V.shape
    found: dict[tuple[int, ...], np.ndarray] = {}
    for zeros in combinations(range(K), r - 1):
        if r > 1:
            _, s, vt = np.linalg.svd(V[list(zeros)])  # vt: (r, r)
            if s[-1] <= RANK_TOL * max(s[0], 1e-300):
                continue  # dependent zeros: a plane or more, no ray
            y = V @ vt[-1]  # the one direction with these zeros
        else:
            y = V[:, 0]
        y = y / np.abs(y).max()
        for ray in (y, -y):
            found.setdefault(tuple(_signs(ray[None, :])[0]), ray)
    return np.array(list(found.values())).reshape(-1, K)


@dataclass
class ReluCells:
    """The faces of the neurons' cones for a network at its input points, and the unions of
    faces (at most one per neuron) whose spans hold the nearest points."""

    neurons: int
    outputs: int
    bias: bool
    V: np.ndarray  # (K, r) orthonormal basis of the neurons' pre-activation values
    rays: np.ndarray  # (R, K) rays of the arrangement with a nonzero image
    faces: list[tuple[int, ...]]  # rays spanning a face: one closed cell, independent images
    unions: list[tuple[int, ...]]  # indices into faces, independent together with the bias
    projections: _core.FaceUnions | _core.RankOneFaces  # the unions' nearest points, in the core
    plans: list[Plan] = field(default_factory=list)  # with several outputs: each union's cones and free rays
    limits: list[bool] = field(default_factory=list)  # with several outputs: limits of two neurons merging
    _ranks: dict[tuple[int, int], bool] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, net: NeuromanifoldAt) -> "ReluCells":
        key = (net.spec, net.X.shape, net.X.tobytes())
        if key not in _BUILT:
            _BUILT.clear()  # (one network at a time)
            _BUILT[key] = cls._build(net)
        return _BUILT[key]

    @classmethod
    def _build(cls, net: NeuromanifoldAt) -> "ReluCells":
        relu = net.net
        K = net.n_points
        _, V = _preactivations(net)
        r = V.shape[1]
        rays = _rays(V) if r else np.zeros((0, K))
        rays = rays[np.maximum(rays, 0.0).max(axis=1, initial=0.0) > 1e-12]
        images = np.maximum(rays, 0.0)
        signs = _signs(rays)
        # compatible: never positive on one and negative on the other
        compatible = ~((signs[:, None, :] * signs[None, :, :]) < 0).any(axis=2)
        faces: list[tuple[int, ...]] = []

        def grow(face: tuple[int, ...]) -> None:
            faces.append(face)
            if len(face) == r:
                return
            for j in range(face[-1] + 1, len(rays)):
                if compatible[j, list(face)].all() and _independent(images[list(face) + [j]]):
                    grow(face + (j,))

        for j in range(len(rays)):
            grow((j,))
        # the same image set from different rays is one face
        unique: dict[tuple[bytes, ...], tuple[int, ...]] = {}
        for f in faces:
            unique.setdefault(tuple(sorted(images[j].round(12).tobytes() for j in f)), f)
        faces = list(unique.values())
        h, outputs = relu.widths[1], relu.widths[-1]
        fixed = 1 if relu.bias else 0
        if outputs > 1:
            if h > 2 or (h == 2 and r > 2):
                raise ValueError(
                    f"{net.spec} at {K} points: with several outputs the exact method takes one neuron, or two whose "
                    "pre-activations fill a plane (one input with biases); the neurons' rank-one terms couple (a weighted "
                    "low-rank problem on each union of faces); use method='multistart'"
                )
            unions, plans, limits = _several_output_unions(images, faces, K, h, relu.bias)
            pairs = sum(len(cones) == 2 for cones, _ in plans)
            if pairs > MAX_CONE_PAIRS:
                raise ValueError(
                    f"{net.spec} at {K} points: {pairs:,} unions of two cones to solve per sample, over {MAX_CONE_PAIRS:,}; "
                    "use method='multistart'"
                )
            projections = core_unions(plans, [2 if lim else len(u) for u, lim in zip(unions, limits)], K, outputs, relu.bias)
            return cls(h, outputs, relu.bias, V, rays, faces, unions, projections, plans, limits)
        count = _union_count([len(f) for f in faces], h, K - fixed)
        if count > MAX_FACE_UNIONS:
            raise ValueError(
                f"{net.spec} at {net.n_points} points: {count:,} unions of faces to project onto per sample, "
                f"over {MAX_FACE_UNIONS:,}; use method='multistart'"
            )
        layouts: dict[tuple[int, ...], list[tuple[int, ...]]] = {}
        for k in range(h + 1):
            for c in combinations(range(len(faces)), k):
                if sum(len(faces[i]) for i in c) + fixed <= K:
                    layouts.setdefault(tuple(len(faces[i]) for i in c), []).append(c)
        ones = np.ones(K) / np.sqrt(K)
        unions: list[tuple[int, ...]] = []
        groups = []
        for sizes, members in layouts.items():
            if not sizes and not fixed:
                continue  # the zero function: a point stratum of its own
            G = np.stack([np.column_stack(([ones] if fixed else []) + [images[j] for i in c for j in faces[i]]) for c in members])
            sv = np.linalg.svd(G, compute_uv=False)
            ok = sv[:, -1] > RANK_TOL * sv[:, 0]  # a dependent union is covered by a smaller one
            kept = [c for c, o in zip(members, ok) if o]
            if not kept:
                continue
            index = np.arange(len(unions), len(unions) + len(kept))
            unions.extend(kept)
            # the rows of each union's pseudo-inverse and its generators, stacked: (C m, K)
            C, m = int(ok.sum()), G.shape[2]
            pinv = np.ascontiguousarray(np.linalg.pinv(G[ok]).reshape(C * m, K))
            generators = np.ascontiguousarray(G[ok].transpose(0, 2, 1).reshape(C * m, K))
            groups.append((list(sizes), bool(fixed), pinv, generators, [int(i) for i in index]))
        return cls(h, 1, relu.bias, V, rays, faces, unions, _core.FaceUnions(K, groups))

    @property
    def n_unions(self) -> int:
        return len(self.unions)

    def nearest(self, U: np.ndarray, neurons: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Least squared distance from each row of U (B, K m) to the image of at most n neurons, for
        each n in ``neurons`` (B, len(neurons)), with the zero function left out when there is no
        output bias; and for the first n, the nearest union of faces (B,), the second best
        union (B,; -1: none) and its squared distance (B,). In the core, in parallel."""
        return self.projections.nearest(np.ascontiguousarray(U, dtype=np.float64), [int(n) for n in neurons])

    def witness(self, net: NeuromanifoldAt, u: np.ndarray, union: int) -> np.ndarray:
        """Parameters (N,) whose values at the inputs are the projection of u onto this union
        of faces (when its coefficients are feasible): each neuron's pre-activations are the
        positive combination of its face's rays, its output weight the sign."""
        if self.outputs > 1:
            return self._several_outputs_witness(net, u, union)
        relu = net.net
        d, h = relu.widths[0], relu.widths[1]
        K = net.n_points
        faces = [self.faces[i] for i in self.unions[union]]
        ones = np.ones(K) / np.sqrt(K)
        G = np.column_stack(([ones] if self.bias else []) + [np.maximum(self.rays[j], 0.0) for f in faces for j in f])
        coef = np.linalg.lstsq(G, u, rcond=None)[0]
        B, _ = _preactivations(net)
        theta = np.zeros(relu.n_params)
        out = d * h + (h if self.bias else 0)
        start = 1 if self.bias else 0
        for i, f in enumerate(faces):
            lam = coef[start : start + len(f)]
            start += len(f)
            sign = -1.0 if (lam < 0).any() else 1.0
            pre = (np.abs(lam)[:, None] * self.rays[list(f)]).sum(axis=0)
            wb = np.linalg.lstsq(B, pre, rcond=None)[0]
            theta[i * d : (i + 1) * d] = wb[:d]
            if self.bias:
                theta[d * h + i] = wb[d]
            theta[out + i] = sign
        if self.bias:
            theta[-1] = coef[0] / np.sqrt(K)
        return theta

    def _several_outputs_witness(self, net: NeuromanifoldAt, u: np.ndarray, union: int) -> np.ndarray:
        """``witness`` with several outputs: the union's nearest generator coefficients (one
        sign) give the pre-activations, least squares the output weights and biases."""
        if self.limits[union]:
            raise ValueError("a limit of two neurons merging lies in the closure of M only: no parameters attain it")
        relu = net.net
        d, h, m = relu.widths
        K = net.n_points
        Y = u.reshape(m, K)
        centred = Y - Y.mean(axis=1, keepdims=True) if self.bias else Y
        cones = iter(nearest_coefficients(centred, self.plans[union]))
        B, _ = _preactivations(net)
        theta = np.zeros(relu.n_params)
        design = [np.ones(K)] if self.bias else []
        for i, f in enumerate(self.faces[j] for j in self.unions[union]):
            _, norms = _centred_generators(np.maximum(self.rays[list(f)], 0.0), self.bias)
            c = next(cones) if len(f) > 1 else np.ones(1)
            pre = (np.abs(c) / norms) @ self.rays[list(f)]  # relu is linear on the face's closed cell
            wb = np.linalg.lstsq(B, pre, rcond=None)[0]
            theta[i * d : (i + 1) * d] = wb[:d]
            if self.bias:
                theta[d * h + i] = wb[d]
            design.append(np.maximum(pre, 0.0))
        if design:
            fit = np.linalg.lstsq(np.column_stack(design), Y.T, rcond=None)[0]  # (bias + neurons, m)
            start = d * h + (h if self.bias else 0)
            for i in range(len(design) - (1 if self.bias else 0)):
                theta[start + np.arange(m) * h + i] = fit[i + (1 if self.bias else 0)]
            if self.bias:
                theta[relu.n_params - m :] = fit[0]
        return theta

    def attained_limit(self, u: np.ndarray, first: int, runner: int) -> bool:
        """Do two unions at the same distance from u (K m,), one a limit of two neurons merging
        and one attained, have the same nearest point? The limit's cone can overlap an attained
        union's (the same cone beside the same free ray, locally): such a point is attained."""
        if not self.limits or self.limits[first] == self.limits[runner]:
            return False
        Y = u.reshape(self.outputs, -1)
        if self.bias:
            Y = Y - Y.mean(axis=1, keepdims=True)
        try:
            a, b = (nearest_point(Y, self.plans[i]) for i in (first, runner))
        except ValueError:
            return False  # a union without its critical point here: the tie stays undecided
        return bool(np.abs(a - b).max() <= SAME_POINT * (1.0 + np.abs(Y).max()))

    def drops_rank(self, union: int, dim: int) -> bool:
        """Does D mu drop rank (below ``dim``) on some open piece of M next to the relative
        interior of this union of faces? The open cells next to a neuron's face resolve the signs
        of its zero coordinates; on one, the neuron's derivatives span V restricted to its active
        coordinates; a switched-off neuron adds its one output-weight direction. A spike (an
        extreme input point alone active) is next to the one-point cells, where the rank drops; a
        kink on an inner input point only to full cells on both sides, which fold there."""
        key = (union, dim)
        if self.limits and self.limits[union]:
            return True  # two neurons merging: a point of the closure only, with divergent parameters
        if key not in self._ranks:
            faces = [self.faces[i] for i in self.unions[union]]
            spare = (self.neurons - len(faces)) * self.outputs  # an off neuron's output weights at most
            least = dim
            for choice in product(*[self._sides(f) for f in faces]):
                least = min(least, _cells_rank(self.V, choice, self.bias, self.outputs) + spare)
            self._ranks[key] = least < dim
        return self._ranks[key]

    def _sides(self, face: tuple[int, ...]) -> list[np.ndarray]:
        """Active sets (boolean, (K,)) of the open cells next to a face."""
        return _cells_next_to(self.V, self.rays[list(face)].sum(axis=0))


def _centred_generators(images: np.ndarray, bias: bool) -> tuple[np.ndarray, np.ndarray]:
    """A face's generator images (k, K), centred with the output biases, as unit rows, and
    their norms."""
    G = images - images.mean(axis=1, keepdims=True) if bias else images
    norms = np.linalg.norm(G, axis=1)
    return G / np.where(norms > 0, norms, 1.0)[:, None], norms


def _several_output_unions(images: np.ndarray, faces: list[tuple[int, ...]], K: int, neurons: int, bias: bool) -> tuple[list[tuple[int, ...]], list[Plan], list[bool]]:
    """The unions of at most ``neurons`` (1 or 2) faces, faces dependent with the constant left
    out (their points lie on smaller faces), then the limits of two neurons merging at a ray
    shared by two 2-dimensional faces; their plans (cones and free rays, centred with the output
    biases) and which are limits."""
    generators = {}
    for i, f in enumerate(faces):
        G, _ = _centred_generators(images[list(f)], bias)
        if len(f) + (1 if bias else 0) <= K and _independent(G):
            generators[i] = G
    kept = list(generators)
    unions: list[tuple[int, ...]] = ([()] if bias else []) + [(i,) for i in kept]
    if neurons == 2:
        unions += list(combinations(kept, 2))
    plans: list[Plan] = []
    for u in unions:
        gens = [generators[i] for i in u]
        plans.append(([g for g in gens if len(g) > 1], np.array([g[0] for g in gens if len(g) == 1]).reshape(-1, K)))
    limits = [False] * len(unions)
    if neurons == 2:
        for a, b in combinations([i for i in kept if len(generators[i]) == 2], 2):
            limit = merging_limit(generators[a], generators[b])
            if limit is not None:
                unions.append((a, b))
                plans.append(limit)
                limits.append(True)
    return unions, plans, limits


def _cells_next_to(V: np.ndarray, v: np.ndarray) -> list[np.ndarray]:
    """Active sets (boolean, (K,)) of the open cells of the arrangement in the column space of V
    (K, r) whose closures hold the point v: the signs of its zero coordinates resolved."""
    s = _signs(v[None, :])[0]
    Z = np.flatnonzero(s == 0)
    if not len(Z):
        return [s > 0]
    sub = V[Z]  # (|Z|, r): every sign pattern on Z is realized when these rows are independent
    if np.linalg.matrix_rank(sub) == len(Z):
        patterns: Iterable[tuple[bool, ...]] = product((False, True), repeat=len(Z))
    else:
        rng = np.random.default_rng(len(Z))
        patterns = {tuple(y > 0) for y in (sub @ rng.standard_normal((V.shape[1], 64))).T}
    out = []
    for p in patterns:
        P = s > 0
        P[Z] = p
        out.append(P)
    return out


MAX_CELL_TUPLES = 50_000  # tuples of open cells whose rank the exact dimension tries, at most


def one_layer_dimension(net: NeuromanifoldAt) -> int | None:
    """The functional dimension of a ReLU network with one hidden layer at its input points,
    exactly: the largest rank of D mu over the tuples of open cells, one per neuron (with one
    output dim(R 1 + sum_i V restricted to the active points of cell i); ``_cells_rank``); None
    for other networks, or when the tuples are too many to try (tried in a seeded random order,
    stopping at the largest possible rank)."""
    relu = net.net
    if not isinstance(relu, ReLUNetwork) or len(relu.widths) != 3:
        return None
    K, m = net.n_points, relu.widths[-1]
    _, V = _preactivations(net)
    r = V.shape[1]
    if not r:
        return m if relu.bias else 0
    cells: dict[bytes, np.ndarray] = {}
    for ray in _rays(V):
        for P in _cells_next_to(V, ray):
            if P.any():  # (a dead neuron adds nothing)
                cells.setdefault(P.tobytes(), P)
    masks = list(cells.values())
    h = relu.widths[1]
    # each neuron: r pre-activation and m output weights, less its rescaling; and m biases
    most = min(K * m, h * (r + m - 1) + (m if relu.bias else 0))
    total = comb(len(masks) + h - 1, h)
    rng = np.random.default_rng(K)
    everything = total <= MAX_CELL_TUPLES
    picks = rng.permutation(total) if everything else rng.choice(total, MAX_CELL_TUPLES, replace=False)
    best = m if relu.bias else 0
    for i in picks:
        best = max(best, _cells_rank(V, [masks[c] for c in _tuple_at(int(i), len(masks), h)], relu.bias, m))
        if best >= most:
            return best
    return best if everything else None


def _tuple_at(i: int, n: int, h: int) -> tuple[int, ...]:
    """The i-th h-multiset of range(n) in the order of combinations_with_replacement."""
    out: list[int] = []
    low = 0
    for k in range(h, 0, -1):
        for c in range(low, n):
            block = comb(n - c + k - 2, k - 1)  # multisets starting with c
            if i < block:
                out.append(c)
                low = c
                break
            i -= block
    return tuple(out)


def _union_count(sizes: list[int], most: int, room: int) -> int:
    """Sets of at most ``most`` faces whose sizes add up to at most ``room``."""
    ways = np.zeros((most + 1, room + 1), dtype=object)  # ways[k, s]: k faces of total size s
    ways[0, 0] = 1
    for size in sizes:
        for k in range(most, 0, -1):
            ways[k, size:] = ways[k, size:] + ways[k - 1, : room + 1 - size]
    return int(ways.sum())


def _signs(rays: np.ndarray) -> np.ndarray:
    return np.where(np.abs(rays) <= 1e-9, 0, np.sign(rays)).astype(np.int8)


def _independent(A: np.ndarray) -> bool:
    s = np.linalg.svd(A, compute_uv=False)
    return bool(s[-1] > RANK_TOL * s[0])
