"""Figures, written to PNG files (matplotlib without a display)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .critical import CriticalPoint
from .landscape import Landscape

if TYPE_CHECKING:
    from .architectures import Network
    from .evaluation import NeuromanifoldAt
    from .curves import PlaneCurve
    from .varieties import ParametrizedVariety
    from .voronoi import Distribution

__all__ = ["critical_values", "landscape_heatmap", "voronoi"]


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def landscape_heatmap(result: Landscape, path: str | os.PathLike[str]) -> str:
    """Heat map of ``result.table`` (rows: local minima, columns: real critical points)."""
    plt = _pyplot()
    table = result.table
    fig, ax = plt.subplots(figsize=(1.0 + 0.6 * max(table.shape[1], 3), 1.2 + 0.5 * max(table.shape[0], 2)))
    im = ax.imshow(table, cmap="viridis", aspect="auto", origin="upper")
    ax.set_xticks(range(table.shape[1]), [str(j + 1) for j in range(table.shape[1])])
    ax.set_yticks(range(table.shape[0]), [str(i + 1) for i in range(table.shape[0])])
    ax.set_xlabel("real critical points")
    ax.set_ylabel("local minima")
    ax.set_title(f"{result.samples} data sets, weights {result.weights}")
    peak = table.max(initial=0)
    for i in range(table.shape[0]):
        for j in range(table.shape[1]):
            if table[i, j]:
                ax.text(j, i, str(int(table[i, j])), ha="center", va="center", color="white" if table[i, j] < peak / 2 else "black", fontsize=8)
    fig.colorbar(im, ax=ax)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return str(path)


def critical_values(points: Sequence[CriticalPoint], path: str | os.PathLike[str]) -> str:
    """The losses of the real critical points, one marker per point, by kind and purity."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3))
    colors = {"minimum": "tab:green", "strict_saddle": "tab:orange", "nonstrict_saddle": "tab:purple", "maximum": "tab:red", "degenerate": "tab:gray"}
    real = [p for p in points if p.real]
    for k, p in enumerate(sorted(real, key=lambda p: p.loss)):
        ax.scatter([k], [p.loss], color=colors.get(p.kind or "", "black"), marker="o" if p.pure else "x", s=40)
    for kind, c in colors.items():
        ax.scatter([], [], color=c, label=kind.replace("_", " "))
    ax.set_xlabel("real critical points (o pure, x spurious)")
    ax.set_ylabel("loss")
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return str(path)


def voronoi(
    curve: "PlaneCurve | Network | NeuromanifoldAt | ParametrizedVariety",
    path: str | os.PathLike[str],
    samples: int = 20_000,
    distribution: "Distribution | None" = None,
    seed: int = 0,
) -> str:
    """The curve and random samples coloured by the stratum of their nearest point (the smooth
    part, or one of the singular points): full-dimensional Voronoi cells show as coloured regions.
    For a network: samples on a random 2D plane through the origin of its ambient space (the
    coefficient space; for a ReLU network its values at the input points), coloured by the
    stratum of their nearest point on the neuromanifold.
    For a :class:`ParametrizedVariety`: in the plane, the samples of ``voronoi_mc`` with these
    arguments and the curve; in R^n, n > 2, samples on a random plane through the origin (its two
    coordinates drawn from ``distribution``); colours by the nearest stratum (the smooth part,
    each named stratum, each singular point; undecided black), decided as ``voronoi_mc`` does.
    ``distribution`` defaults to ``UniformBox(-1, 1)`` (ignored for networks)."""
    from .architectures import Network
    from .curves import PlaneCurve
    from .evaluation import NeuromanifoldAt
    from .varieties import ParametrizedVariety
    from .voronoi import UniformBox, voronoi_samples

    if isinstance(curve, (Network, NeuromanifoldAt)):
        return _voronoi_slice(curve, path, samples, seed)
    if isinstance(curve, ParametrizedVariety):
        return _voronoi_variety(curve, path, samples, distribution or UniformBox(-1.0, 1.0), seed)
    if not isinstance(curve, PlaneCurve):
        raise TypeError(f"voronoi pictures are drawn for plane curves and networks and for parametrized varieties, got {type(curve).__name__}")
    distribution = distribution or UniformBox(-1.0, 1.0)
    S = voronoi_samples(curve, samples, distribution, seed=seed)
    _, stratum = curve.nearest(S)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 5))
    lo, hi = S.min(axis=0), S.max(axis=0)
    pad = 0.05 * (hi - lo)
    smooth = stratum < 0
    ax.scatter(S[smooth, 0], S[smooth, 1], s=1, color="lightgray", label="smooth part", rasterized=True)
    sing = curve.singular_points
    palette = ["tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown"]
    for i, q in enumerate(sing):
        mine = stratum == i
        c = palette[i % len(palette)]
        ax.scatter(S[mine, 0], S[mine, 1], s=1, color=c, alpha=0.6, rasterized=True, label=f"nearest to ({q[0]:.3g}, {q[1]:.3g}): {mine.mean():.3f}")
    X, Y = np.meshgrid(np.linspace(lo[0] - pad[0], hi[0] + pad[0], 600), np.linspace(lo[1] - pad[1], hi[1] + pad[1], 600))
    Z = curve(np.column_stack([X.ravel(), Y.ravel()])).reshape(X.shape)
    ax.contour(X, Y, Z, levels=[0.0], colors="purple", linewidths=1.5)
    if len(sing):
        ax.scatter(sing[:, 0], sing[:, 1], color="black", s=25, zorder=3)
    ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
    ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
    ax.set_aspect("equal")
    ax.set_title(f"Voronoi cells of {curve.description}")
    ax.legend(fontsize=7, loc="upper left", markerscale=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return str(path)


def _random_plane(dim: int, seed: int) -> tuple[np.random.Generator, np.ndarray]:
    """An orthonormal basis (dim, 2) of a random plane through the origin, and the random
    stream that drew it (which then draws the samples' coordinates on it)."""
    rng = np.random.default_rng([seed, 0x5E])
    return rng, np.linalg.qr(rng.standard_normal((dim, 2)))[0]


def _voronoi_slice(net: "Network | NeuromanifoldAt", path: str | os.PathLike[str], samples: int, seed: int) -> str:
    from ._voronoi_networks import NetworkJob
    from .voronoi import Gaussian

    # every stratum's distances are drawn, so no certificate stands in for them
    job = NetworkJob.create(net, "singular", Gaussian(), seed, samples, "auto", samples, certify=False)
    rng, basis = _random_plane(net.ambient_dim, seed)
    xy = rng.uniform(-2.0, 2.0, (samples, 2))
    U = xy @ basis.T
    D, rank_drop = job.distances(U, 0)
    order = np.sort(D, axis=1)
    nearest = np.argmin(np.nan_to_num(D, nan=np.inf), axis=1)
    nearest = np.where((nearest == 0) & (rank_drop == 1), -2, nearest)  # the smooth part's edge: a rank drop
    unknown = np.isnan(D).any(axis=1) | (order[:, 1] <= order[:, 0] * (1 + 1e-9)) | ((nearest == 0) & (rank_drop == -1))
    nearest = np.where(unknown, -1, nearest)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 5))
    palette = ["lightgray", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown"]
    groups = [(i, s.name, palette[i % len(palette)]) for i, s in enumerate(job.strata)]
    groups += [(-2, "boundary (rank drop)", "tab:blue"), (-1, "undecided", "black")]
    for i, name, color in groups:
        mine = nearest == i
        if mine.any():
            ax.scatter(xy[mine, 0], xy[mine, 1], s=2, color=color, rasterized=True, label=f"{name}: {mine.mean():.3f}")
    ax.set_aspect("equal")
    note = "" if job.exhaustive else " (multistart)"
    ax.set_title(f"nearest strata of {net.spec} on a random plane{note}", fontsize=9)
    ax.legend(fontsize=7, loc="upper left", markerscale=4)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return str(path)


STRATUM_COLORS = ["tab:orange", "tab:green", "tab:red", "tab:cyan", "tab:brown", "tab:pink", "tab:olive"]
CURVE_POINTS = 20_001  # parameter values of a drawn curve: a smooth line in a 5 inch figure


def _variety_samples(
    variety: "ParametrizedVariety", samples: int, distribution: "Distribution", seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xy, U, labels): plotted coordinates (B, 2), the data U (B, n) and the labels of
    ``nearest_strata`` (the decisions of ``voronoi_mc``). In the plane U = xy are the samples of
    ``voronoi_mc`` with these arguments; in R^n, n > 2, U lies on a random plane through the
    origin, xy its coordinates in an orthonormal basis, drawn from ``distribution``."""
    from .voronoi import _count_arg, nearest_strata

    if variety.ambient_dim == 2:
        U, labels = nearest_strata(variety, samples, distribution, seed)
        return U, U, labels
    rng, basis = _random_plane(variety.ambient_dim, seed)
    try:
        xy = distribution.draw(rng, _count_arg(samples), 2)
    except ValueError as e:
        raise ValueError(f"on a random plane the distribution draws the two plane coordinates: {e}") from None
    U = xy @ basis.T
    return xy, U, nearest_strata(variety, U, seed=seed)[1]


def _voronoi_variety(variety: "ParametrizedVariety", path: str | os.PathLike[str], samples: int, distribution: "Distribution", seed: int) -> str:
    from .varieties import ParametrizedVariety
    from .voronoi import _variety_strata, stratum_names

    xy, _, labels = _variety_samples(variety, samples, distribution, seed)
    plane = variety.ambient_dim == 2
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 5))
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    pad = 0.05 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    names = stratum_names(variety)
    colors = ["lightgray", *(STRATUM_COLORS[i % len(STRATUM_COLORS)] for i in range(len(names) - 1))]
    groups = list(zip(range(len(names)), names, colors))
    if (labels == -1).any():
        groups.append((-1, "undecided", "black"))
    for i, name, color in groups:
        mine = labels == i
        ax.scatter(xy[mine, 0], xy[mine, 1], s=1, color=color, alpha=1.0 if i <= 0 else 0.6, rasterized=True, label=f"{name}: {mine.mean():.3f}")
    if plane:
        # only curves are drawn: the image of two parameters is a region, which the samples show
        strata = _variety_strata(variety)
        if variety.n_params == 1:
            _draw_curve(ax, variety, lo, hi, color="purple", linewidth=1.5)
        for s, color in zip(strata, colors[1:]):
            if isinstance(s, ParametrizedVariety) and s.n_params == 1:
                _draw_curve(ax, s, lo, hi, color=color, linewidth=2.0)
        points = np.array([s for s in strata if not isinstance(s, ParametrizedVariety)]).reshape(-1, 2)
        ax.scatter(points[:, 0], points[:, 1], color="black", s=25, zorder=3)
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.set_title(f"Voronoi cells of {variety.description}", fontsize=9)
    else:
        ax.set_title(f"nearest strata of {variety.description} on a random plane", fontsize=9)
    ax.set_aspect("equal")
    ax.legend(fontsize=7, loc="upper left", markerscale=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return str(path)


def _draw_curve(ax: Any, curve: "ParametrizedVariety", lo: np.ndarray, hi: np.ndarray, **style: Any) -> None:
    """The image of a one-parameter map over all parameters that can land in the box [lo, hi];
    matplotlib clips it to the axes."""
    T = _parameter_bound(curve, lo, hi)
    t = np.linspace(-T, T, CURVE_POINTS)
    xy = np.asarray(curve(t[:, None]), dtype=np.float64).reshape(-1, 2)
    ax.plot(xy[:, 0], xy[:, 1], **style)


def _parameter_bound(curve: "ParametrizedVariety", lo: np.ndarray, hi: np.ndarray) -> float:
    """T with phi(t) outside the box for |t| > T. Beyond every root of phi_i - lo_i and
    phi_i - hi_i a non-constant phi_i stays on one side of both bounds and, being unbounded,
    ends outside them; complex roots are included, so near-double real roots are not lost."""
    radius = 0.0
    for i, p in enumerate(curve._phi):
        degree = max((e[0] for e in p), default=0)
        if degree == 0:
            continue
        coefficients = np.zeros(degree + 1)
        for e, c in p.items():
            coefficients[degree - e[0]] += c
        for bound in (lo[i], hi[i]):
            shifted = coefficients.copy()
            shifted[-1] -= bound
            radius = max(radius, float(np.abs(np.roots(shifted)).max(initial=0.0)))
    return 1.01 * radius + 1e-9  # a little past the box edge, so the curve reaches it
