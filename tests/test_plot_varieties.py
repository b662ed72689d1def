"""Voronoi pictures of parametrized varieties: the labels behind the colours are the decisions of
voronoi_mc (same samples, same counts), agree with a brute-force nearest point, and known cells
(the cusp's, a half-plane's edge, the umbrella's handle) come out as they must."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import cKDTree

import neuromanifold as nm
from neuromanifold.plot import _parameter_bound, _variety_samples
from neuromanifold import nearest_strata, stratum_names
from neuromanifold.voronoi import _make_job

BOX = nm.UniformBox(-1.0, 1.0)
PNG = b"\x89PNG\r\n\x1a\n"


def cusp() -> nm.ParametrizedVariety:
    return nm.ParametrizedVariety(["t**2", "t**3"], ["t"], singular_points=[[0, 0]])


def umbrella() -> nm.ParametrizedVariety:
    return nm.ParametrizedVariety(
        ["s*t", "s", "t**2"], ["s", "t"], strata={"handle": (["0", "0", "t**2"], ["t"])}, singular_points=[[0, 0, 0]]
    )


def test_cusp_labels_are_the_counts_of_voronoi_mc_and_the_brute_force_nearest_point(tmp_path) -> None:
    n, seed = 1000, 4
    xy, U, labels = _variety_samples(cusp(), n, BOX, seed)
    assert np.array_equal(xy, U) and U.shape == (n, 2)
    # the very samples voronoi_mc draws with these arguments
    job = _make_job(cusp(), (0, 0), BOX, seed, n, "auto", None)
    assert np.array_equal(U, np.vstack([job.samples(c) for c in range(-(-n // job.chunk_size))]))
    est = nm.voronoi_mc(cusp(), [0, 0], n, BOX, seed, progress=False)
    assert est.hits == int((labels == 1).sum()) and est.n_failed == int((labels == -1).sum())
    assert set(np.unique(labels)) <= {-1, 0, 1} and stratum_names(cusp()) == ["smooth part", "the point (0, 0)"]
    # brute force: the cusp (label 1) when nearer than every point of a dense sampling of the
    # branches; near a tie the sampling error could decide, so a thin band is left out
    t = np.arange(-2.0, 2.0, 2e-5)
    t = t[np.abs(t) >= 1e-3]
    d_smooth = cKDTree(np.column_stack([t**2, t**3])).query(U)[0] ** 2
    d_cusp = (U**2).sum(axis=1)
    clear = np.abs(d_cusp - d_smooth) > 1e-8
    assert clear.mean() > 0.99 and (labels >= 0).all()
    assert np.array_equal(labels[clear], (d_cusp < d_smooth)[clear].astype(int))
    assert 0.3 < (labels == 1).mean() < 0.6  # the cusp attracts a positive share of the box
    png = nm.plot.voronoi(cusp(), tmp_path / "cusp.png", samples=300, seed=seed)
    with open(png, "rb") as f:
        assert f.read(8) == PNG


def test_the_drawn_parameter_range_covers_every_point_in_the_box() -> None:
    # phi(t) in [-1, 1]^2 only for |t| <= T: beyond every root of phi_i -+ 1 the curve stays outside
    curve = nm.ParametrizedVariety(["t**3 - 2*t", "t**2 - 1"], ["t"])
    lo, hi = -np.ones(2), np.ones(2)
    T = _parameter_bound(curve, lo, hi)
    t = np.linspace(-10.0, 10.0, 400_001)
    xy = curve(t[:, None])
    inside = ((xy >= lo) & (xy <= hi)).all(axis=1)
    assert np.abs(t[inside]).max() <= T < 2.0  # the last exit is at t = golden ratio = 1.618...
    assert _parameter_bound(cusp(), lo, hi) == pytest.approx(1.01)


def test_umbrella_on_a_random_plane(tmp_path) -> None:
    # the handle is where two sheets cross: its Voronoi cell (and the origin's) has measure
    # zero, so no sample of a plane gets it, while data on the handle and below the origin do
    var = umbrella()
    assert stratum_names(var) == ["smooth part", "handle", "the point (0, 0, 0)"]
    xy, U, labels = _variety_samples(var, 300, BOX, 2)
    assert np.linalg.svd(U, compute_uv=False)[2] < 1e-12  # a plane through the origin
    assert np.allclose((U**2).sum(axis=1), (xy**2).sum(axis=1))  # in orthonormal coordinates
    assert set(np.unique(labels)) <= {-1, 0} and (labels == 0).mean() > 0.95
    est = nm.voronoi_mc(var, "singular", 300, BOX, seed=2, progress=False)
    assert est.hits == 0
    _, on = nearest_strata(var, [[0.0, 0.0, 0.5], [0.0, 0.0, -0.5], [0.3, 0.2, 0.1]])
    assert on.tolist() == [1, 2, 0]  # the handle; the origin, where it meets the handle; the smooth part
    png = nm.plot.voronoi(var, tmp_path / "umbrella.png", samples=300, seed=2)
    with open(png, "rb") as f:
        assert f.read(8) == PNG


def test_edge_of_a_half_plane_on_a_random_plane(tmp_path) -> None:
    # (s, t^2, 0) is the half-plane {y >= 0, z = 0}: its edge {y = z = 0} is nearest exactly
    # for the data with y < 0
    half = nm.ParametrizedVariety(["s", "t**2", "0"], ["s", "t"], strata={"edge": (["s", "0", "0"], ["s"])})
    _, U, labels = _variety_samples(half, 400, BOX, 1)
    clear = np.abs(U[:, 1]) > 1e-6
    assert np.array_equal(labels[clear], (U[clear, 1] < 0).astype(int))
    assert nm.plot.voronoi(half, tmp_path / "half.png", samples=200) == str(tmp_path / "half.png")


def test_bad_input(tmp_path) -> None:
    for bad, name in [("y - x", "str"), (42, "int"), (np.zeros(3), "ndarray")]:
        with pytest.raises(TypeError, match=name):
            nm.plot.voronoi(bad, tmp_path / "x.png", samples=10)
    with pytest.raises(TypeError, match="PlaneCurve"):
        nearest_strata(nm.PlaneCurve("y - x**2"), 10)
    with pytest.raises(ValueError, match="two plane coordinates"):
        nm.plot.voronoi(umbrella(), tmp_path / "x.png", samples=10, distribution=nm.UniformBox([-1, -1, -1], [1, 1, 1]))
    with pytest.raises(ValueError, match="3 coordinates"):
        nearest_strata(umbrella(), np.zeros((4, 2)))
