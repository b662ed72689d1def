"""The edge of one-token lightning attention on three inputs with two key/query dimensions.

With one token (t = 1) attention is x -> (V x)(x^T K^T Q x): the outputs are the linear forms
L_o = v_o . x times one quadratic form S = sym(K^T Q). With a key/query dimensions S is any
real symmetric matrix A B^T + B A^T with A, B of a columns, which has at most a positive and at
most a negative eigenvalues. On three inputs with a = 2 that is every S but the definite ones,
so

    M_R = {L S : S not definite},

a semi-algebraic set of the dimension of its closure {L S}, whose boundary is where S is
semidefinite of rank 2 (K = Q): E = {L P(U, V) : P a definite binary form, U, V linear forms},
one dimension less. D mu drops rank at every parameter of a point of E (else the image would
hold a neighbourhood of it in the closure), so E is the edge of M.

For fixed L the distance is a convex quadratic in S. Where its minimizer is definite, the best S
that is not definite is on the boundary of the definite cone, so the nearest point of the
closure of M_R is

* a real critical point of the distance on X = {L S} (L on a random affine hyperplane, S free)
  where S is not definite (the real points with S definite are not in M_R), or
* a point of E, or a real critical point on {L m^2} (m on a random affine plane; the corners of
  the semidefinite cone), or 0.

X's chart fails to be an immersion only at L_o all divisible by a factor of S (with one output
l^2 n), points of the stratum of one key/query dimension, whose Voronoi cells are null
(``_voronoi_cells``). Where X's nearest real critical point has an S that is not definite, it is
the nearest point of the closure of {L S}, which holds E: the edge is missed. Elsewhere any real
point of E nearer than the rest (X where S is not definite, L m^2, 0) puts the nearest point on
E: a local fit of L B^T B (K = Q = B) from X's nearest point, its S cut to its two largest
eigenvalues. E's own critical points are not solved: they are many (1080 against X's 207 with
one output) and those next to the squares, where E's closure is singular, are badly
conditioned (condition numbers up to 1e10 at generic data), so tracks to them failed for every
sample tried; a row whose fit does not beat the rest stays undecided.

With a >= 3 key/query dimensions S is any symmetric matrix, M_R = {L S} is closed, and the
subnetwork of two key/query dimensions is the part of M where S is not definite, of the
dimension of M: its Voronoi cell is the set of data whose nearest real critical point on X has
an S that is not definite (``OutsideTwoKeys``).
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
X, SQUARE = 1, 2  # the charts: L S, L m^2
OUTSIDE = 7  # X where S is definite: the side outside the part of two key/query dimensions

QUADRATIC = [(2, 0, 0), (1, 1, 0), (1, 0, 1), (0, 2, 0), (0, 1, 1), (0, 0, 2)]  # S's coordinates in X


def attention_forms_available(net: object) -> str | None:
    """Why the edge of definite forms does not decide the boundary of ``net``, or None."""
    if not isinstance(net, LightningAttention) or (net.d, net.a, net.t) != (3, 2, 1):
        return "the edge of definite forms is charted for one-token attention on three inputs with two key/query dimensions"
    return None


def two_keys_part_available(net: object, part: object, method: str = "exhaustive") -> str | None:
    """Why the part of two key/query dimensions of ``net`` is not decided here, or None."""
    if not isinstance(net, LightningAttention) or (net.d, net.t) != (3, 1) or net.a < 3:
        return "the part of two key/query dimensions is decided for one-token attention on three inputs with a >= 3"
    if not isinstance(part, LightningAttention) or part.a != 2:
        return "only the part of two key/query dimensions is decided here"
    if net.d_out > 1 and method == "auto":
        return "with several outputs the part is decided under \"exhaustive\" only (2514 critical points with two, about 1 s a sample)"
    return None


class _Patches(_CubicsPatches):
    """The random real patches of the charts of seed s: L on a hyperplane of R^(3 m) (X), m on an
    affine plane of R^3 (L m^2)."""

    def __init__(self, s: int, outputs: int) -> None:
        rng = np.random.default_rng([s, 0xA77E])
        self.outputs = _affine(rng, 3 * outputs, 1)
        self.square = _affine(rng, 3, 1)


def _definite(S: npt.NDArray[np.float64], sign: int) -> npt.NDArray[np.bool_]:
    """S (..., 3, 3) definite within the band (sign 1), or not definite within it (sign -1)."""
    w = np.linalg.eigvalsh(S)
    band = DEFINITE_BAND * np.abs(w).max(axis=-1)
    if sign > 0:
        return (w[..., 0] >= -band) | (w[..., -1] <= band)
    return (w[..., 0] <= band) & (w[..., -1] >= -band)


def _matrix(q: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Ternary quadratic forms (coefficients in the order of QUADRATIC) as symmetric matrices."""
    a, b, c, d, e, f = np.moveaxis(q, -1, 0)
    return np.stack([np.stack([a, b / 2, c / 2], -1), np.stack([b / 2, d, e / 2], -1), np.stack([c / 2, e / 2, f], -1)], -2)


class _OneTokenForms(TangentEdge):
    """The charts of L S (X) and L m^2 for one-token attention on three inputs."""

    SLICE = -1  # no chart here is a slice of the network's parameters
    SOLVES_AS = "_OneTokenForms"  # both deciders' charts, with their solves
    FORMS = {X: 6, SQUARE: 2}  # coordinates of the quadratic form (then L's)

    def __init__(self, net: LightningAttention, seed: int) -> None:
        super().__init__(net, seed)  # type: ignore[arg-type]
        self.outputs = net.d_out
        self.monomials = [tuple(int(v) for v in row) for row in np.asarray(net.monomials).tolist()]

    def _n(self, which: int) -> int:
        return self.FORMS[which] + 3 * self.outputs - (which == X)

    def _chart(self, which: int, s: int) -> Chart:
        """Chart ``which`` of seed s: the coordinates of the form, then L's (on a hyperplane
        for X, free for L m^2)."""
        P = _Patches(s, self.outputs)
        nv, k = self._n(which), self.FORMS[which]
        var = [pl.variable(i, nv) for i in range(nv)]
        if which == X:
            L = _on_line(*P.outputs[:2], var[k:], nv)
            form: Form = dict(zip(QUADRATIC, var))
        else:
            L = var[k:]
            m = _linear(_on_line(*P.square[:2], var[:k], nv))
            form = _times(m, m)
        phi = []
        for o in range(self.outputs):
            product = _times(_linear(L[3 * o : 3 * o + 3]), form)
            phi += [product.get(e, pl.constant(0.0, nv)) for e in self.monomials]
        return Chart(phi=phi, n=nv, lift=lambda y: y, rank=None, top=which == X)

    def _divided(self, which: int, s: int) -> dict[int, int]:
        return {}

    def _alive(self, which: int, Y: np.ndarray) -> npt.NDArray[np.bool_]:
        """No strays: no term of a chart can vanish on a component of its own."""
        return np.ones(len(Y), dtype=bool)

    def _moved(self, which: int, source: int, dest: int, Y: np.ndarray) -> np.ndarray | None:
        """The points at coordinates Y of chart ``which`` of seed ``source`` in the chart of seed
        ``dest``: L (or m) rescaled onto the other patch, the form (or L) the other way."""
        old, new = _Patches(source, self.outputs), _Patches(dest, self.outputs)
        k = self.FORMS[which]
        out = []
        for y in Y:
            if which == X:
                z, lam = new.coordinates(new.outputs, old.at(old.outputs, y[k:]))
                out.append(np.r_[y[:k] / lam, z])
            else:
                z, lam = new.coordinates(new.square, old.at(old.square, y[:k]))
                out.append(np.r_[z, y[k:] / lam**2])
        return np.array(out, dtype=complex).reshape(len(Y), self._n(which))

    def _point(self, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """(L (m, 3), S (3, 3)) at coordinates y of X's chart of seed ``seed``."""
        return _Patches.at(_Patches(seed, self.outputs).outputs, y[6:]).reshape(self.outputs, 3), _matrix(y[:6])

    def _admitted(self, which: int, Y: npt.NDArray[np.float64], seed: int) -> npt.NDArray[np.bool_]:
        """The real critical points in the closure of M_R: on X where S is not definite (side
        X) or where it is (side OUTSIDE), each within the band (so a nearest point on the seam
        is a tie); every real point of L m^2."""
        if which == SQUARE or not len(Y):
            return np.ones(len(Y), dtype=bool)
        return _definite(_matrix(Y[:, :6]), 1 if which == OUTSIDE else -1)


class AttentionFormsEdge(_OneTokenForms):
    """Boundary decisions for one-token attention on three inputs with a = 2: 1 the nearest
    point of the closure of M_R is on E (L times a semidefinite form of rank 2), 0 on M_R (X
    where S is not definite, L m^2, 0), -1 undecided."""

    def _parts(self, U: npt.NDArray[np.float64], salt: int, needed: Any) -> tuple[list[Part], list[Part]]:
        """The edge (the fits on E: exact inf where X settles the row, else unknown) and the rest
        (X where S is not definite, L m^2 on the rows X does not settle, 0)."""
        everything = np.ones(len(U), dtype=bool)
        inside, outside = self._parts_of(X, U, salt, lambda: everything, (X, OUTSIDE))  # X tracked once, split at the seam
        inside.complete()
        with np.errstate(invalid="ignore"):
            rows = np.flatnonzero(~(inside.exact < outside.exact * (1 - TIE_BAND)))
        edge = Part(np.full(len(U), np.inf), np.full(len(U), np.inf))
        square = Part(np.full(len(U), np.inf), np.full(len(U), np.inf))
        if len(rows):
            edge.exact[rows] = np.nan
            for k in rows:
                if k in outside.nearest:
                    edge.bound[k] = _fit_on_edge(self.net, U[k], *self._point(*outside.nearest[k]))[0]  # type: ignore[arg-type]
            on_rows = self._part(SQUARE, U[rows], salt, lambda: everything[rows])
            on_rows.complete()
            square.exact[rows], square.bound[rows] = on_rows.exact, on_rows.bound
        return [edge], [inside, square, Part.closed((U**2).sum(axis=1))]


def _fit_on_edge(net: LightningAttention, u: np.ndarray, L: np.ndarray, S: np.ndarray) -> tuple[float, np.ndarray]:
    """The squared distance from u of a local least-squares fit of L B^T B (the network at K =
    Q = B, a real point of E or of L m^2) from X's point L S with S definite, cut to its two
    largest eigenvalues (in absolute value); and the network's parameters there."""
    sign = 1.0 if np.linalg.eigvalsh(S)[-1] > 0 else -1.0
    w, vectors = np.linalg.eigh(sign * S)
    B0 = np.sqrt(np.maximum(w[1:], 0.0))[:, None] * vectors[:, 1:].T  # (2, 3): B^T B = the top of sign S
    n = 3 * net.d_out

    def theta(z: np.ndarray) -> np.ndarray:
        B = z[n:].reshape(2, 3)
        return np.concatenate([B.ravel(), B.ravel(), z[:n]])

    def jacobian(z: np.ndarray) -> np.ndarray:
        J = net.jacobian(theta(z))
        return np.hstack([J[:, 12:], J[:, :6] + J[:, 6:12]])

    fit = least_squares(lambda z: net.mu(theta(z)) - u, np.r_[sign * L.ravel(), B0.ravel()], jac=jacobian, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15)
    return float(2 * fit.cost), theta(fit.x)


class OutsideTwoKeys(_OneTokenForms):
    """The part of two key/query dimensions of one-token attention on three inputs with a >= 3
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


def two_keys_part(net: Any, seed: int, cache: dict[str, Any]) -> OutsideTwoKeys:
    """The decider of the part of M that two key/query dimensions reach."""
    if "two_keys_part" not in cache:
        cache["two_keys_part"] = OutsideTwoKeys(net, seed)
    return cache["two_keys_part"]
