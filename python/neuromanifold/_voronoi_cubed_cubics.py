"""The edge of a one-neuron layer over two neurons on binary cubics: cubes of cubics.

The network (2, 2, 1, m) with z^3 and no biases computes f = c (x) g^3 with g = a l_1^3 + b
l_2^3: the first layer gives binary cubics of real rank at most 2, and the one-neuron layer
cubes them (its output weight and the last layer's into c in R^m). A real binary cubic has real
rank 2 when it has a pair of complex conjugate roots (discriminant < 0), or is a cube; with
three distinct real roots its real rank is 3. The limits of two neurons merging are l^2 n, the
tangential variety: the closure of the first layer's real image is {g : disc(g) <= 0} (g = l q
with q semidefinite), a closed cone whose cube map keeps |g^3| bounded below on its unit
sphere. So the closure of M_R is {c (x) g^3 : disc(g) <= 0}, and its points off M_R are the
edge E = {c (x) l^6 n^3}, l != n (l^2 n is no sum of two real cubes).

The Zariski closure X = {c (x) g^3} is smooth off 0 (g^2 dg is a multiple of g^3 only for dg
a multiple of g, and g^3 determines g), and a real point of X is c (x) g^3 with g real (the
roots of g are those of the real forms, each of multiplicity 3). So M_R is open in the real
points of X where disc(g) < 0, and the nearest point of the closure to data u is

* a real critical point of the distance on X with disc(g) < 0 (X in a chart with g on a random
  real affine hyperplane of the cubics and c free: 203 critical points at generic data with one
  output, 374 with two);
* a real critical point on E (l and n on random real lines, c free: 177, and 294); or
* a point of the lower strata: one first-layer neuron, c (x) l^9 (25 = 3 * 9 - 2, the ED
  degree of the cone over a rational normal curve, and 34), or 0.

The edge is hit when E's best point beats all others. Random real patches reach almost every
real point (l -> lambda l, g -> lambda g with c rescaled). The charts are scaled so that
coordinates of size 1 give outputs of size about 1 (the start pair of monodromy is judged
against 1 + |u|).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from . import _polynomials as pl
from ._charts import Chart
from ._shifted_pencils import _hyperbolicity
from ._voronoi_tangent import TangentEdge, _affine, _power
from .architectures import PolynomialNetwork

PATCH_SCALE = 0.5  # the linear forms and cubics of the charts at coordinates of size 1 (see above)
DISCRIMINANT_BAND = 1e-9  # relative: a real critical point of X with |disc(g)| below this is on the closure's seam


def cubed_cubics_available(net: object) -> str | None:
    """Why the edge of cubes of cubics does not decide the boundary of ``net``, or None."""
    if not isinstance(net, PolynomialNetwork) or net.bias or tuple(net.widths[:3]) != (2, 2, 1) or len(net.widths) != 4 or _power(net) != 3:
        return "the edge of cubes of cubics is charted for (2, 2, 1, m) with z^3 (two neurons on binary cubics cubed by one) only"
    return None


def _times(p: list[pl.Poly], q: list[pl.Poly], nv: int) -> list[pl.Poly]:
    """The product of two binary forms given by their coefficients (index: the power of y)."""
    out = [pl.constant(0.0, nv) for _ in range(len(p) + len(q) - 1)]
    for i, a in enumerate(p):
        for j, b in enumerate(q):
            out[i + j] = pl.add(out[i + j], pl.mul(a, b))
    return out


def _power_of(p: list[pl.Poly], e: int, nv: int) -> list[pl.Poly]:
    out = [pl.constant(1.0, nv)]
    for _ in range(e):
        out = _times(out, p, nv)
    return out


def _form(point: np.ndarray, basis: np.ndarray, first: int, nv: int) -> list[pl.Poly]:
    """PATCH_SCALE (point + basis y) with y the chart variables first, first + 1, ..."""
    return [
        pl.scale(pl.add(pl.constant(point[j], nv), pl.linear_combination((basis[j, i], pl.variable(first + i, nv)) for i in range(basis.shape[1]))), PATCH_SCALE)
        for j in range(len(point))
    ]


class _Patches:
    """The random real patches of the charts of seed s: a cubic g on a hyperplane of R^4, two
    linear forms on lines of R^2 (E's l and n; the one neuron's l is the first)."""

    def __init__(self, s: int) -> None:
        rng = np.random.default_rng([s, 0xC0BE])
        self.cubic = _affine(rng, 4, 1)
        self.lines = [_affine(rng, 2, 1) for _ in range(2)]

    @staticmethod
    def coordinates(patch: tuple[np.ndarray, np.ndarray, np.ndarray], v: np.ndarray) -> tuple[np.ndarray, complex]:
        """The patch coordinates of the multiple of v on the patch, and that multiple."""
        point, basis, V = patch
        lam = 1.0 / (V @ v)[0]
        return basis.T @ (lam * v - point), lam

    @staticmethod
    def at(patch: tuple[np.ndarray, np.ndarray, np.ndarray], y: np.ndarray) -> np.ndarray:
        """The point of the patch at coordinates y."""
        point, basis, _ = patch
        return point + basis @ y


class CubedCubicsEdge(TangentEdge):
    """Boundary decisions for (2, 2, 1, m) with z^3: 1 the nearest point of the closure of M_R
    is on E = {c (x) l^6 n^3}, 0 on M_R (c (x) g^3, disc(g) < 0) or a lower stratum, -1
    undecided."""

    SLICE = -1  # no chart here is a slice of the network's parameters

    def __init__(self, net: PolynomialNetwork, seed: int) -> None:
        super().__init__(net, seed)
        self.degrees = np.asarray(net.monomials)[:, 1]  # each coefficient's power of y
        self.outputs = net.widths[-1]

    def _forms(self, which: int) -> int:
        """The number of coordinates of the forms in chart ``which`` (the output weights c follow)."""
        return (2, 3, 1)[which]

    def _chart(self, which: int, s: int) -> Chart:
        """Chart ``which`` (0: E, 1: X, 2: one neuron) of seed s."""
        patches = _Patches(s)
        nv = self._forms(which) + self.outputs
        if which == 0:
            form = _times(_power_of(_form(*patches.lines[0][:2], 0, nv), 6, nv), _power_of(_form(*patches.lines[1][:2], 1, nv), 3, nv), nv)
        elif which == 1:
            form = _power_of(_form(*patches.cubic[:2], 0, nv), 3, nv)
        else:
            form = _power_of(_form(*patches.lines[0][:2], 0, nv), 9, nv)
        c = [pl.variable(self._forms(which) + o, nv) for o in range(self.outputs)]
        return Chart(phi=[pl.mul(c[o], form[int(j)]) for o in range(self.outputs) for j in self.degrees], n=nv, lift=lambda y: y, rank=None, top=which == 1)

    def _divided(self, which: int, s: int) -> dict[int, int]:
        """With one output, the columns of the forms' coordinates, divided by c (a factor of all
        their terms): else every point with c = 0 is critical, a component monodromy strays
        into. With several outputs no one weight divides them; c = 0 is then a component of
        positive dimension (the forms with <g^3, u_o> = 0 for all o), whose points are singular."""
        k = self._forms(which)
        return {i: k for i in range(k)} if self.outputs == 1 else {}

    def _moved(self, which: int, source: int, dest: int, Y: np.ndarray) -> np.ndarray | None:
        """The points at coordinates Y of chart ``which`` of seed ``source`` in the chart of seed
        ``dest``: each form rescaled onto the other patch, c by the inverse powers."""
        old, new = _Patches(source), _Patches(dest)
        out = []
        for y in Y:
            if which == 1:
                g = _Patches.at(old.cubic, y[:3])
                z, lam = new.coordinates(new.cubic, g)
                out.append(np.r_[z, y[3:] / lam**3])
            else:
                l = _Patches.at(old.lines[0], y[:1])
                zl, lam = new.coordinates(new.lines[0], l)
                if which == 2:
                    out.append(np.r_[zl, y[1:] / lam**9])
                    continue
                n = _Patches.at(old.lines[1], y[1:2])
                zn, mu = new.coordinates(new.lines[1], n)
                out.append(np.r_[zl, zn, y[2:] / (lam**6 * mu**3)])
        return np.array(out, dtype=complex).reshape(len(Y), self._forms(which) + self.outputs)

    def _alive(self, which: int, X: np.ndarray) -> npt.NDArray[np.bool_]:
        """No strays here: with one output the divided equations drop the points with c = 0, with
        several those points are singular (``_divided``)."""
        return np.ones(len(X), dtype=bool)

    def _admitted(self, which: int, Y: npt.NDArray[np.float64], seed: int) -> npt.NDArray[np.bool_]:
        """On X, the real critical points in the closure of M_R: disc(g) <= 0 (one real root or a
        multiple one; a cubic with three real roots has real rank 3), g read in the patch of the
        chart's seed (a spare chart's own)."""
        if which != 1 or not len(Y):
            return np.ones(len(Y), dtype=bool)
        point, basis, _ = _Patches(seed).cubic
        G = point[None, :] + Y[:, :3] @ basis.T  # coefficients of x^3, x^2 y, x y^2, y^3
        return _hyperbolicity(G) <= DISCRIMINANT_BAND * np.abs(G).max(axis=1) ** 4  # (the discriminant)


def cubed_cubics(net: Any, seed: int, cache: dict[str, Any]) -> CubedCubicsEdge:
    if "cubed_cubics" not in cache:
        cache["cubed_cubics"] = CubedCubicsEdge(net, seed)
    return cache["cubed_cubics"]
