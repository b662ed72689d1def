"""Two neurons with z^2 on binary quadratic forms, any number of outputs: the plane of squares.

The network (2, 2, m) with c z^2 and no biases gives the tuples of m binary quadratic forms in
the plane spanned by (w.x)^2 and (v.x)^2: M is the set of tuples (u_1, ..., u_m) lying in a
common plane through 0 of the coefficient space R^3 that holds two independent real squares.
The plane n.u = 0 holds the square (w.x)^2, with coefficients (w1^2, 2 w1 w2, w2^2), when
n1 w1^2 + 2 n2 w1 w2 + n3 w2^2 = 0: two real lines of squares when n2^2 - n1 n3 > 0, one (a
tangential plane, the limit of two merging neurons: the edge) when it is 0, none when < 0.

The distance from u to the planes with normal n is sum_i (n.u_i)^2 = n^T G n for a unit n,
G = sum_i u_i u_i^T, minimized over the closed set n2^2 >= n1 n3 of the sphere. On the sphere a
quadratic form has no local minima but the eigenvector of its smallest eigenvalue, so if that
eigenvector has n2^2 < n1 n3 the constrained minimum lies where n2^2 = n1 n3: the nearest point
is on the edge. Else it is the projection onto that plane, a point of M off the edge. So the
boundary target is hit exactly when the smallest eigenvector n of G has n2^2 < n1 n3. With
standard normal data G is invariant under rotations of R^3, its eigenvectors are uniform on the
sphere, and the probability is that of the cone y3^2 > 2 y1^2 + y2^2 (the form n2^2 - n1 n3 in
its eigenbasis), for every m >= 2.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from .architectures import PolynomialNetwork

GAP = 1e-9  # relative gap between the two smallest eigenvalues of G below which n is no clear direction
EDGE = 1e-9  # |n2^2 - n1 n3| below this is too close to a tangential plane to tell


def planes_available(net: object) -> str | None:
    """Why the plane of squares does not decide the edge of ``net``, or None."""
    if not isinstance(net, PolynomialNetwork) or net.bias or len(net.widths) != 3 or net.widths[:2] != (2, 2) or net.widths[2] < 2:
        return "the plane of squares decides the edge of two neurons on binary quadratic forms, (2, 2, m) with m >= 2 and no biases, only"
    degrees = np.flatnonzero(np.asarray(net.activation))
    if len(degrees) != 1 or degrees[0] != 2:
        return f"{net.spec}: the activation is not c z^2"
    return None


class PlaneOfSquares:
    """Is the nearest point of u on the edge? 1: yes, 0: no, -1: undecided (a repeated smallest
    eigenvalue of G, or a nearest plane too close to a tangential one)."""

    def __init__(self, net: PolynomialNetwork) -> None:
        order = [tuple(e) for e in np.asarray(net.monomials).tolist()]
        self.columns = [order.index(e) for e in ((2, 0), (1, 1), (0, 2))]  # coefficients of x^2, xy, y^2
        self.outputs = net.widths[2]

    def decide(self, U: npt.NDArray[np.float64], salt: int = 0) -> npt.NDArray[np.int8]:
        V = np.asarray(U, dtype=np.float64).reshape(len(U), self.outputs, 3)[:, :, self.columns]
        lam, vec = np.linalg.eigh(np.einsum("bmi,bmj->bij", V, V))
        n = vec[:, :, 0]
        tangential = n[:, 1] ** 2 - n[:, 0] * n[:, 2]
        clear = (lam[:, 1] - lam[:, 0] > GAP * np.maximum(lam[:, 2], 1e-300)) & (np.abs(tangential) > EDGE)
        return np.where(clear, (tangential < 0).astype(np.int8), np.int8(-1)).astype(np.int8)


def plane_edge(net: Any, seed: int, cache: dict[str, Any]) -> PlaneOfSquares:
    if "planes" not in cache:
        cache["planes"] = PlaneOfSquares(net)
    return cache["planes"]
