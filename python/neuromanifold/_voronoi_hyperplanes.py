"""One hidden layer whose powers span a hyperplane, with several outputs: the hyperplane of powers.

The network (2, k, m) with c z^k and no biases gives the tuples of m binary forms of degree k in
the span of k powers (w_j . x)^k: a hyperplane of the coefficient space R^(k+1) (k distinct
powers are independent). The hyperplane n.u = 0 holds the power (alpha x + beta y)^k, with
coefficients binom(k, j) alpha^(k-j) beta^j, exactly when the form N_n = sum_j n_j binom(k, j)
X^(k-j) Y^j vanishes at (alpha, beta): it is spanned by real powers when N_n has k distinct real
roots (hyperbolic). The closure of that cone of normals adds the forms with a multiple real root,
whose hyperplanes hold l^(k-1) m for the double root l: the limits of merging neurons, the edge.
So M is the set of tuples lying in a common hyperplane with a hyperbolic normal form.

The distance from u to the hyperplanes of unit normal n is sum_i (n.u_i)^2 = n^T G n, G = sum_i
u_i u_i^T, minimized over the closed cone of normals. On the sphere a quadratic form has no local
minima but the unit vectors of its smallest eigenspace. So if that eigenspace holds no
(closed-)hyperbolic form, the constrained minimum lies on the boundary of the cone: the nearest
point is on the edge. If it holds a hyperbolic form, the nearest point is the projection onto that
hyperplane, a point of M off the edge (distance 0 when m < k + 1: then u is in M). Generic data
with m >= k outputs have a one-dimensional smallest eigenspace: the edge is hit when its form has
a non-real root. With m = k - 1 it is the pencil G's kernel: the edge is hit when no member of
the pencil is hyperbolic (``_voronoi_real_rank``). For k = 2 the test is n2^2 < n1 n3, and with
standard normal data G is invariant under rotations of R^3: its eigenvectors are uniform on the
sphere, so the probability is that of the cone y3^2 > 2 y1^2 + y2^2 for every m >= 2.

With biases on one input, (1, k - 1, m) with z^k, k >= 3: the outputs are binary forms in (x, 1)
whose constant terms the output biases move, so M is the tuples in a hyperplane through the
constant's power y^k (n_E = 0) spanned by it and k - 1 real powers: N_n has k distinct real
roots, (0 : 1) among them. The same argument on the normals with n_E = 0 decides the edge with
m >= k - 1 outputs (one form) or m = k - 2 (a pencil).

Quadrics: (d0, A1 - 1, m) with c z^2, A1 = d0 (d0 + 1) / 2 coefficients per output. The
hyperplane n.u = 0 holds (w.x)^2 when w^T S w = 0, S_ii = n of x_i^2, S_ij = n of x_i x_j. For
an indefinite S the real points of that quadric are Zariski dense in it, and its squares span
the hyperplane (a quadric lies on no other quadric), so A1 - 1 real squares span it; a definite
S has no real square in its hyperplane, and the semidefinite ones bound that cone: the edge.
With m >= A1 - 1 outputs the edge is hit exactly when the smallest eigenvector's S is definite;
with fewer, the kernel of the data holds a pencil, which holds an indefinite member (between
two of its eigenvalues, unless they all coincide): M fills the space (the core's filling rule).

Even powers k >= 4 on three or more inputs, (d0, A1 - 1, m) with m >= A1 - 1: the hyperplane
holds (w.x)^k when N_n(w) = sum_e n_e multinomial(e) w^e vanishes. A generic N_n is irreducible:
if it is indefinite it changes sign across smooth real zeros, which are Zariski dense in its
hypersurface, and their powers span the hyperplane (a hypersurface of degree k lies on no other
form of degree k); a definite one has no real zero. So the edge is hit exactly when the smallest
eigenvector's N_n is definite, decided from all its critical points on the sphere
(``_definite_forms``).
"""

from __future__ import annotations

from math import comb
from typing import Any

import numpy as np
import numpy.typing as npt

from ._definite_forms import FormDefiniteness, multinomial
from ._voronoi_real_rank import _all_roots_real, _pencil_has_hyperbolic
from .architectures import PolynomialNetwork

GAP = 1e-6  # relative gap of singular values at the end of the smallest eigenspace (its vectors then err by ~1e-10)
SEMIDEFINITE = 1e-8  # relative |eigenvalue| of the normal quadric below which it is too close to semidefinite


def hyperplane_available(net: object, dim: int | None = None) -> str | None:
    """Why the hyperplane of powers does not decide the edge of ``net``, or None (any dimension
    ``dim``: the criterion holds whether or not M fills)."""
    if not isinstance(net, PolynomialNetwork) or len(net.widths) != 3:
        return "the hyperplane of powers decides the edge of one hidden layer with z^k only"
    degrees = np.flatnonzero(np.asarray(net.activation))
    if len(degrees) != 1 or degrees[0] < 2:
        return f"{net.spec}: the activation is no power z^k (k >= 2)"
    (d0, h, m), k = net.widths, int(degrees[0])
    if net.bias:
        if d0 != 1 or k < 3 or h != k - 1 or m < max(2, k - 2):
            return f"{net.spec}: with biases, the hyperplane of powers decides one input with k - 1 neurons, k >= 3, and at least max(2, k - 2) outputs only"
        return None
    if d0 == 2 and (h != k or m < max(2, k - 1)):
        return f"{net.spec}: not k = {k} neurons on binary forms with at least max(2, k - 1) outputs"
    monomials = len(net.monomials)
    if d0 > 2 and (k % 2 or h != monomials - 1 or m < monomials - 1):
        return f"{net.spec}: not an even power with {monomials - 1} neurons (the monomials less one) and at least as many outputs"
    if d0 < 2:
        return f"{net.spec}: one input"
    return None


class HyperplaneOfPowers:
    """Is the nearest point of u on the edge? 1: yes, 0: no, -1: undecided (no clear smallest
    eigenspace of G, or its normal forms too close to one with a multiple root, or to a
    semidefinite one)."""

    def __init__(self, net: PolynomialNetwork, seed: int = 0) -> None:
        self.d0, self.outputs = net.widths[0], net.widths[2]
        self.k = int(np.flatnonzero(np.asarray(net.activation))[0])
        self.monomials = [tuple(e) for e in np.asarray(net.monomials).tolist()]
        # even powers k >= 4 on three or more inputs: the normal form's definiteness from its
        # critical points on the sphere
        self.definiteness = FormDefiniteness(self.monomials, seed) if self.d0 > 2 and self.k > 2 else None
        self.multinomials = np.array([multinomial(e) for e in self.monomials])
        self.binomials = np.array([comb(self.k, j) for j in range(self.k + 1)], dtype=np.float64)
        self.through_constant = net.bias  # one input: forms in (x, 1), hyperplanes through the constant's power
        if self.through_constant:
            # x^k, ..., x: the normal's entry at the constant is 0, and the output biases absorb it
            self.columns = [self.monomials.index((self.k - j,)) for j in range(self.k)]
        elif self.d0 == 2:
            self.columns = [self.monomials.index((self.k - j, j)) for j in range(self.k + 1)]  # x^k first
        else:
            self.columns = list(range(len(self.monomials)))

    def decide(self, U: npt.NDArray[np.float64], salt: int = 0) -> npt.NDArray[np.int8]:
        out = np.full(len(U), -1, dtype=np.int8)
        if not len(U):
            return out
        A = len(self.columns)
        V = np.asarray(U, dtype=np.float64).reshape(len(U), self.outputs, -1)[:, :, self.columns]
        # G = V^T V: its eigenvectors are V's right singular vectors, whose errors go with the
        # singular values' gaps (the eigenvalues' are their squares)
        _, sv, Vt = np.linalg.svd(V, full_matrices=True)
        sigma = np.zeros((len(U), A))
        sigma[:, : sv.shape[1]] = sv
        sigma = sigma[:, ::-1]  # ascending, like the rows of Vt reversed
        basis = Vt[:, ::-1, :]
        size = 1 if self.outputs >= A - 1 else 2  # the smallest eigenspace of generic data
        clear = sigma[:, size] - sigma[:, size - 1] > GAP * np.maximum(sigma[:, -1], 1e-300)
        if self.d0 <= 2:
            normals = basis[clear][:, :size, :]
            if self.through_constant:  # n_E = 0: a root at (0 : 1), the constant's power
                normals = np.concatenate([normals, np.zeros((len(normals), size, 1))], axis=2)
            forms = normals * self.binomials[None, None, :]  # the normal forms N_n, X^k first
            spanned = _all_roots_real(forms[:, 0]) if size == 1 else _pencil_has_hyperbolic(forms[:, 0], forms[:, 1])
        elif self.definiteness is None:
            spanned = self._indefinite(basis[clear][:, 0, :])
        else:
            # N_n(w) = sum_e n_e multinomial(e) w^e vanishes at w exactly when (w . x)^k is in n's hyperplane
            definite = self.definiteness.decide(basis[clear][:, 0, :] * self.multinomials, salt)
            spanned = np.where(definite < 0, -1, 1 - definite).astype(np.int8)
        out[clear] = np.where(spanned < 0, -1, 1 - spanned)
        return out

    def _indefinite(self, n: npt.NDArray[np.float64]) -> npt.NDArray[np.int8]:
        """1 where the quadric w^T S w = 0 of the normal n (S_ii = n of x_i^2, S_ij = n of x_i x_j)
        is indefinite, 0 where definite, -1 where too close to semidefinite to tell."""
        S = np.zeros((len(n), self.d0, self.d0))
        for col, e in enumerate(self.monomials):
            i = np.flatnonzero(e)
            if len(i) == 1:
                S[:, i[0], i[0]] = n[:, col]
            else:
                S[:, i[0], i[1]] = S[:, i[1], i[0]] = n[:, col]
        ev = np.linalg.eigvalsh(S)
        scale = np.abs(ev).max(axis=1)
        positive, negative = ev[:, -1] > SEMIDEFINITE * scale, ev[:, 0] < -SEMIDEFINITE * scale
        near = (np.abs(ev) <= SEMIDEFINITE * scale[:, None]).any(axis=1)
        return np.where(positive & negative, 1, np.where(near, -1, 0)).astype(np.int8)


def hyperplane_edge(net: Any, seed: int, cache: dict[str, Any]) -> HyperplaneOfPowers:
    if "hyperplane" not in cache:
        cache["hyperplane"] = HyperplaneOfPowers(net, seed)
    return cache["hyperplane"]
