"""The unions of faces of one or two ReLU neurons with several outputs, for the core's exact
nearest points (``_core.RankOneFaces``): M = {c 1^T + sum_i a_i u_i^T}, a_i in R^m, each u_i in
the neuron's cone (a finite union of polyhedral faces).

The nearest point lies on a union of faces, one per neuron, with the u_i in their relative
interiors and independent (dependent u's give the same point with fewer neurons, the a's being
free). There the best a's and c are least squares, capturing E = tr(Y~ P_U Y~^T), so the point
is a critical point of E. Each union is planned as its cones and its free rays (a ray is a
fixed direction whose output weights are free): rays alone give a projection, one cone beside
rays an eigenproblem after projecting off the rays and the constant, and two 2-dimensional cones
two polynomial equations in two unknowns (``cone_pairs.rs`` in the core).

With two neurons M is not closed: two neurons whose kinks meet at an input point from either
side, with opposite output weights growing as their difference shrinks, tend to c r^T + a v^T
with v in R r + cone(g_A, -g_B), the one-sided derivatives at the shared ray r of the faces
A = (r, g_A) and B = (r, g_B). With the output biases the ray may be shared up to sign (the
increasing and decreasing affine functions differ by a constant): then the weights grow alike
and v lies in R r + cone(g_A, g_B). That limit set is a cone beside a free ray, planned the
same way.
"""

from __future__ import annotations

import numpy as np

from . import _core

Plan = tuple[list[np.ndarray], np.ndarray]  # the union's cones (generator rows) and free rays (rows)


def merging_limit(A: np.ndarray, B: np.ndarray) -> Plan | None:
    """The limits of two neurons merging at a ray shared by the 2-dimensional faces A and B
    (unit generator rows, centred with the output biases): the cone (g_A, -s g_B) beside the
    free ray r = s r_B; None when they share none. With the biases the shared ray can come
    with s = -1: the affine functions x - x_1 and x_K - x are opposite up to a constant."""
    for i in range(2):
        for j in range(2):
            for sign in (1.0, -1.0):
                if np.allclose(A[i], sign * B[j], rtol=0, atol=1e-12):
                    return [np.array([A[1 - i], -sign * B[1 - j]])], A[i][None, :]
    return None


def _orthonormal(rows: np.ndarray) -> np.ndarray | None:
    """An orthonormal basis (columns) of the span of independent rows (n, K), or None."""
    if not len(rows):
        return np.zeros((rows.shape[1], 0))
    q, r = np.linalg.qr(rows.T)
    d = np.abs(np.diag(r))
    return q if d.min() > 1e-10 * max(d.max(), 1e-300) else None


def _cone_off(G: np.ndarray, F: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """A cone's span projected off the free directions F (columns): an orthonormal basis
    (columns) and R with G~^T = Q R, or None when dependent."""
    Gr = G - (G @ F) @ F.T
    Q, R = np.linalg.qr(Gr.T)
    d = np.abs(np.diag(R))
    return (Q, R) if d.min() > 1e-10 * max(d.max(), 1e-300) else None


def core_unions(plans: list[Plan], neurons: list[int], K: int, outputs: int, bias: bool) -> _core.RankOneFaces:
    """The unions' bases for the core, in the order of ``plans`` (a union dependent with its
    free directions is left out: its points lie on smaller unions)."""
    ones = np.ones((1, K)) / np.sqrt(K)
    layouts: dict[tuple[int, int], tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray], list[int], list[int]]] = {}
    pairs: list[tuple[np.ndarray, int]] = []
    for c, ((cones, rays), n) in enumerate(zip(plans, neurons)):
        if len(cones) == 2:
            (g1, h1), (g2, h2) = cones
            pairs.append((np.array([g1 + h1, h1 - g1, g2 + h2, h2 - g2]), c))
            continue
        F = _orthonormal(np.vstack([ones, rays]) if bias else rays)
        if F is None:
            continue
        k = len(cones[0]) if cones else 0
        basis, coefficients = np.zeros((0, K)), np.zeros((0, 0))
        if k:
            off = _cone_off(cones[0], F)
            if off is None:
                continue
            basis, coefficients = off[0].T, np.linalg.inv(off[1])
        free, bases, coefs, counts, index = layouts.setdefault((k, F.shape[1]), ([], [], [], [], []))
        free.append(F.T)
        bases.append(basis)
        coefs.append(coefficients)
        counts.append(n)
        index.append(c)
    groups = [
        (k, f, np.vstack(free).reshape(-1, K), np.vstack(bases).reshape(-1, K), np.vstack(coefs) if k else np.zeros((0, 0)), counts, index)
        for (k, f), (free, bases, coefs, counts, index) in sorted(layouts.items())
    ]
    return _core.RankOneFaces(K, outputs, groups, [(bias, np.vstack([p for p, _ in pairs]) if pairs else np.zeros((0, K)), [c for _, c in pairs])])


def nearest_coefficients(Y: np.ndarray, plan: Plan) -> list[np.ndarray]:
    """For one data point Y (m, K), centred as the generators are, the generator coefficients
    (>= 0) of each cone of a nearest point of the union, for witness parameters."""
    cones, rays = plan
    if len(cones) == 2:
        (g1, h1), (g2, h2) = cones
        found = _core.cone_pair_point(np.ascontiguousarray(Y.ravel()), np.array([g1 + h1, h1 - g1, g2 + h2, h2 - g2]), Y.shape[0])
        if found is None:
            raise ValueError("no critical point of the union inside its cones")
        z = found[1]
        return [np.array([1.0 - z[0], 1.0 + z[0]]), np.array([1.0 - z[1], 1.0 + z[1]])]
    if not cones:
        return []
    F = _orthonormal(rays)
    off = _cone_off(cones[0], F) if F is not None else None
    if off is None:
        raise ValueError("the union is dependent with its free directions")
    Q, R = off
    Yr = Y - (Y @ F) @ F.T  # type: ignore[operator]
    Z = Yr @ Q
    best, t = np.inf, np.zeros(len(cones[0]))
    for s in np.linalg.eigh(Z.T @ Z)[1].T:
        coef = np.linalg.solve(R, s)
        if (coef > 0).any() and (coef < 0).any():
            continue
        value = ((Yr - np.outer(Z @ s, Q @ s)) ** 2).sum()
        if value < best:
            best, t = value, np.abs(coef)
    return [t]


def nearest_point(Y: np.ndarray, plan: Plan) -> np.ndarray:
    """For one data point Y (m, K), centred as the generators are, a nearest point (m, K) of the
    union: its projection onto the free rays and each cone's nearest vector."""
    cones, rays = plan
    vectors = [c @ np.asarray(g) for c, g in zip(nearest_coefficients(Y, plan), cones)]
    basis = np.column_stack(list(rays) + vectors) if len(rays) or vectors else np.zeros((Y.shape[1], 0))
    return (basis @ np.linalg.lstsq(basis, Y.T, rcond=None)[0]).T
