"""The edge of one-token lightning attention on d inputs with d - 1 key/query dimensions (d = 3,
and d = 4 with one output).

With one token (t = 1) attention is x -> (V x)(x^T K^T Q x): the outputs are the linear forms
L_o = v_o . x times one quadratic form S = sym(K^T Q). With a key/query dimensions S is any
real symmetric matrix A B^T + B A^T with A, B of a columns, which has at most a positive and at
most a negative eigenvalues (and every such S is reached: a sum of a forms of signature (1, 1)
or squares). With a = d - 1 that is every S but the definite ones, so

    M_R = {L S : S not definite},

a semi-algebraic set of the dimension of its closure {L S}, whose boundary is where S is
semidefinite of rank d - 1 (K = Q): E = {L B^T B : B of d - 1 rows}, one dimension less. D mu
drops rank at every parameter of a point of E (else the image would hold a neighbourhood of it
in the closure), so E is the edge of M.

For fixed L the distance is a convex quadratic q_L in S (L S is injective in S for L != 0). Let
L* S* be the nearest point of the closure of M_R to data u and S_0 the minimizer of q_L* over
all S:

* S_0 definite: S* is the nearest point of the boundary of the definite cone in q_L*'s metric,
  where an ellipsoid about S_0 inside the cone touches it, so at a smooth point of its
  boundary: S* is semidefinite of rank d - 1, a point of E;
* S_0 indefinite: S* = S_0, which stays indefinite for L next to L*, so L* S* is a real
  critical point of the distance on X = {L S} (L on a random affine hyperplane, S free) where S
  is not definite (the real points with S definite are not in M_R);
* S_0 semidefinite and singular, or L* = 0: for a null set of data only, but for the point 0
  (S* is then fixed while L moves freely in M_R: d m - 1 more equations on the data u whose
  S_0 at some L is singular and semidefinite, a set of dimension at most N + d m - 2 for N the
  data's).

X's chart fails to be an immersion only at L_o all divisible by a factor of S (with one output
l^2 n), points of the stratum of one key/query dimension, whose Voronoi cells are null
(``_voronoi_cells``). Where X's nearest real critical point has an S that is not definite, it is
the nearest point of the closure of {L S}, which holds E: the edge is missed. Elsewhere any real
point of the closure of E nearer than the rest (X where S is not definite, 0) puts the nearest
point on E: a local fit of L B^T B (K = Q = B) from X's nearest point, its S cut to its d - 1
largest eigenvalues. E's own critical points are not solved: on three inputs they are many (1080
against X's 207 with one output) and those next to the squares, where E's closure is singular,
are badly conditioned (condition numbers up to 1e10 at generic data), so tracks to them failed
for every sample tried; a row whose fit does not beat the rest stays undecided.

With a >= d key/query dimensions S is any symmetric matrix, M_R = {L S} is closed, and the
subnetwork of d - 1 key/query dimensions is the part of M where S is not definite, of the
dimension of M: its Voronoi cell is the set of data whose nearest real critical point on X has
an S that is not definite (``OutsideFewerKeys``).

On four inputs X has 6532 critical points at generic data with one output (against 207 on
three), found once by monodromy (about 2 minutes) and tracked in about 1.5 s a sample.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import least_squares

from . import _polynomials as pl
from ._charts import Chart
from ._voronoi_cubed_cubics import _Patches as _CubicsPatches
from ._voronoi_join import Form, _linear, _on_line, _times
from ._voronoi_tangent import TIE_BAND, Part, TangentEdge, _affine
from .architectures import LightningAttention

DEFINITE_BAND = 1e-9  # relative: eigenvalues this close to 0 are on the seam, admitted on both sides
X = 1  # the chart L S
OUTSIDE = 7  # X where S is definite: the side outside the part of d - 1 key/query dimensions


def quadratic(d: int) -> list[tuple[int, ...]]:
    """The monomials x_i x_j (i <= j) of the quadratic forms in d variables: S's coordinates in X."""
    return [tuple(int(k == i) + int(k == j) for k in range(d)) for i in range(d) for j in range(i, d)]


QUADRATIC = quadratic(3)


def _charted(net: object) -> str | None:
    """Why X = {L S} is not charted for ``net``, or None: one token on three inputs (any number
    of outputs) or four (one output: 6532 critical points at generic data)."""
    if not isinstance(net, LightningAttention) or net.t != 1 or net.d not in (3, 4):
        return "X = {L S} is charted for one-token attention on three or four inputs"
    if net.d == 4 and net.d_out > 1:
        return "X = {L S} on four inputs is charted for one output (6532 critical points at generic data)"
    return None


def attention_forms_available(net: object, method: str = "exhaustive") -> str | None:
    """Why the edge of definite forms does not decide the boundary of ``net``, or None: one
    token on d inputs with d - 1 key/query dimensions ("auto": three inputs and one output)."""
    if _charted(net) is not None or net.a != net.d - 1:  # type: ignore[attr-defined]
        return "the edge of definite forms is charted for one-token attention on three (or four) inputs with one key/query dimension fewer"
    if method == "auto" and (net.d, net.d_out) != (3, 1):  # type: ignore[attr-defined]
        return "the edge of definite forms decides here under \"exhaustive\" only (several outputs or four inputs: seconds a sample)"
    return None


def fewer_keys_part_available(net: object, part: object, method: str = "exhaustive") -> str | None:
    """Why the part of d - 1 key/query dimensions of ``net`` (one token on d inputs, a >= d) is
    not decided here, or None."""
    if _charted(net) is not None or net.a < net.d:  # type: ignore[attr-defined]
        return "the part of one key/query dimension fewer than the inputs is decided for one-token attention on three (or four) inputs with a >= d"
    if not isinstance(part, LightningAttention) or part.a != net.d - 1:  # type: ignore[attr-defined]
        return "only the part of d - 1 key/query dimensions is decided here"
    if method == "auto" and (net.d, net.d_out) != (3, 1):  # type: ignore[attr-defined]
        return "the part decides here under \"exhaustive\" only (several outputs or four inputs: seconds a sample)"
    return None


class _Patches(_CubicsPatches):
    """The random real patch of X's chart of seed s: L on a hyperplane of R^(d m)."""

    def __init__(self, s: int, outputs: int, d: int) -> None:
        self.outputs = _affine(np.random.default_rng([s, 0xA77E]), d * outputs, 1)


def _definite(S: npt.NDArray[np.float64], sign: int) -> npt.NDArray[np.bool_]:
    """S (..., d, d) definite within the band (sign 1), or not definite within it (sign -1)."""
    w = np.linalg.eigvalsh(S)
    band = DEFINITE_BAND * np.abs(w).max(axis=-1)
    if sign > 0:
        return (w[..., 0] >= -band) | (w[..., -1] <= band)
    return (w[..., 0] <= band) & (w[..., -1] >= -band)


def _matrix(q: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Quadratic forms in d variables (coefficients in the order of ``quadratic(d)``, the last
    axis) as symmetric matrices."""
    q = np.asarray(q)
    d = int(round((np.sqrt(8 * q.shape[-1] + 1) - 1) / 2))
    S = np.zeros(q.shape[:-1] + (d, d), dtype=q.dtype)
    for k, (i, j) in enumerate((i, j) for i in range(d) for j in range(i, d)):
        S[..., i, j] = S[..., j, i] = q[..., k] if i == j else q[..., k] / 2
    return S


class _OneTokenForms(TangentEdge):
    """The chart of L S (X) for one-token attention on d inputs."""

    SLICE = -1  # no chart here is a slice of the network's parameters
    SOLVES_AS = "_OneTokenForms"  # both deciders' chart, with its solves

    def __init__(self, net: LightningAttention, seed: int) -> None:
        super().__init__(net, seed)  # type: ignore[arg-type]
        self.outputs, self.d = net.d_out, net.d
        self.forms = self.d * (self.d + 1) // 2  # coordinates of S (then L's)
        self.monomials = [tuple(int(v) for v in row) for row in np.asarray(net.monomials).tolist()]
        self._origin = ("one token", self.outputs, tuple(self.monomials))  # X is the same for every a: its solves are shared

    def _patches(self, s: int) -> _Patches:
        return _Patches(s, self.outputs, self.d)

    def _n(self, which: int) -> int:
        return self.forms + self.d * self.outputs - 1

    def _chart(self, which: int, s: int) -> Chart:
        """X's chart of seed s: the coordinates of S, then L's on a hyperplane."""
        nv, k, d = self._n(X), self.forms, self.d
        var = [pl.variable(i, nv) for i in range(nv)]
        L = _on_line(*self._patches(s).outputs[:2], var[k:], nv)
        form: Form = dict(zip(quadratic(d), var))
        phi = []
        for o in range(self.outputs):
            product = _times(_linear(L[d * o : d * o + d]), form)
            phi += [product.get(e, pl.constant(0.0, nv)) for e in self.monomials]
        return Chart(phi=phi, n=nv, lift=lambda y: y, rank=None, top=True)

    def _divided(self, which: int, s: int) -> dict[int, int]:
        return {}

    def _alive(self, which: int, Y: np.ndarray) -> npt.NDArray[np.bool_]:
        """No strays: no term of a chart can vanish on a component of its own."""
        return np.ones(len(Y), dtype=bool)

    def _moved(self, which: int, source: int, dest: int, Y: np.ndarray) -> np.ndarray | None:
        """The points at coordinates Y of X's chart of seed ``source`` in the chart of seed
        ``dest``: L rescaled onto the other patch, S the other way."""
        old, new = self._patches(source), self._patches(dest)
        k = self.forms
        out = []
        for y in Y:
            z, lam = new.coordinates(new.outputs, old.at(old.outputs, y[k:]))
            out.append(np.r_[y[:k] / lam, z])
        return np.array(out, dtype=complex).reshape(len(Y), self._n(X))

    def _point(self, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """(L (m, d), S (d, d)) at coordinates y of X's chart of seed ``seed``."""
        k = self.forms
        return _Patches.at(self._patches(seed).outputs, y[k:]).reshape(self.outputs, self.d), _matrix(y[:k])

    def _admitted(self, which: int, Y: npt.NDArray[np.float64], seed: int) -> npt.NDArray[np.bool_]:
        """The real critical points in the closure of M_R: on X where S is not definite (side
        X) or where it is (side OUTSIDE), each within the band (so a nearest point on the seam
        is a tie)."""
        if not len(Y):
            return np.ones(0, dtype=bool)
        return _definite(_matrix(Y[:, : self.forms]), 1 if which == OUTSIDE else -1)


class AttentionFormsEdge(_OneTokenForms):
    """Boundary decisions for one-token attention on d inputs with a = d - 1: 1 the nearest
    point of the closure of M_R is on E (L times a semidefinite form of rank d - 1), 0 on M_R (X
    where S is not definite, 0), -1 undecided."""

    def _parts(self, U: npt.NDArray[np.float64], salt: int, needed: Any) -> tuple[list[Part], list[Part]]:
        """The edge (the fits on E: exact inf where X settles the row, else unknown) and the rest
        (X where S is not definite, 0)."""
        everything = np.ones(len(U), dtype=bool)
        inside, outside = self._parts_of(X, U, salt, lambda: everything, (X, OUTSIDE))  # X tracked once, split at the seam
        inside.complete()
        with np.errstate(invalid="ignore"):
            rows = np.flatnonzero(~(inside.exact < outside.exact * (1 - TIE_BAND)))
        edge = Part(np.full(len(U), np.inf), np.full(len(U), np.inf))
        edge.exact[rows] = np.nan
        for k in rows:
            if k in outside.nearest:
                edge.bound[k] = _fit_on_edge(self.net, U[k], *self._point(*outside.nearest[k]))[0]  # type: ignore[arg-type]
        return [edge], [inside, Part.closed((U**2).sum(axis=1))]


def _fit_on_edge(net: LightningAttention, u: np.ndarray, L: np.ndarray, S: np.ndarray) -> tuple[float, np.ndarray]:
    """The squared distance from u of a local least-squares fit of L B^T B (the network at K =
    Q = B with d - 1 rows, a real semidefinite point of E or below) from X's point L S with S
    definite, cut to its d - 1 largest eigenvalues (in absolute value); and the network's
    parameters there."""
    d = net.d
    sign = 1.0 if np.linalg.eigvalsh(S)[-1] > 0 else -1.0
    w, vectors = np.linalg.eigh(sign * S)
    B0 = np.sqrt(np.maximum(w[1:], 0.0))[:, None] * vectors[:, 1:].T  # (d - 1, d): B^T B = the top of sign S
    n, keys = d * net.d_out, (d - 1) * d

    def theta(z: np.ndarray) -> np.ndarray:
        B = z[n:].reshape(d - 1, d)
        return np.concatenate([B.ravel(), B.ravel(), z[:n]])

    def jacobian(z: np.ndarray) -> np.ndarray:
        J = net.jacobian(theta(z))
        return np.hstack([J[:, 2 * keys :], J[:, :keys] + J[:, keys : 2 * keys]])

    fit = least_squares(lambda z: net.mu(theta(z)) - u, np.r_[sign * L.ravel(), B0.ravel()], jac=jacobian, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15)
    return float(2 * fit.cost), theta(fit.x)


class OutsideFewerKeys(_OneTokenForms):
    """The part of d - 1 key/query dimensions of one-token attention on d inputs with a >= d
    (S not definite, of the dimension of M = {L S}): 1 the nearest point of M is outside it (X
    where S is definite: side OUTSIDE of X's one track), 0 in it (X where S is not definite, 0),
    -1 undecided. On the seam (S semidefinite) both sides admit a band, so a nearest point there
    is a tie, as it is for a null set only (M is smooth across it)."""

    def _parts(self, U: npt.NDArray[np.float64], salt: int, needed: Any) -> tuple[list[Part], list[Part]]:
        outside, inside = self._parts_of(X, U, salt, needed, (OUTSIDE, X))  # X tracked once, split at the seam
        return [outside], [inside, Part.closed((U**2).sum(axis=1))]


def attention_forms(net: Any, seed: int, cache: dict[str, Any]) -> AttentionFormsEdge:
    if "attention_forms" not in cache:
        cache["attention_forms"] = AttentionFormsEdge(net, seed)
    return cache["attention_forms"]


def fewer_keys_part(net: Any, seed: int, cache: dict[str, Any]) -> OutsideFewerKeys:
    """The decider of the part of M that d - 1 key/query dimensions reach."""
    if "fewer_keys_part" not in cache:
        cache["fewer_keys_part"] = OutsideFewerKeys(net, seed)
    return cache["fewer_keys_part"]
