"""Figures, written to PNG files (matplotlib without a display)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from .critical import CriticalPoint
from .landscape import Landscape

__all__ = ["critical_values", "landscape_heatmap"]


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
