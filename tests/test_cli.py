"""The command line: dimension reports and the main analysis, for people and machines."""

import json
import subprocess
import sys

import pytest

import neuromanifold as nm


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "neuromanifold", *args], capture_output=True, text=True, timeout=300
    )


def test_dim_json() -> None:
    out = run("dim", "linear:4,2,3", "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    # rank <= 2 matrices of size 3 x 4: 2 (4 + 3 - 2) = 10
    assert d["dim"] == 10 and d["ambient"] == 12 and d["n_params"] == 14
    assert d["expected"] == 10 and d["defect"] == 0 and d["fiber_dim"] == 4
    assert d["filling"] is False and d["complex_filling"] is False


@pytest.mark.parametrize("spec", ["poly:3,2,1^2", "conv:2,2,3", "attention:2,1,2,2", "residual:2,2"])
def test_dim_json_agrees_with_the_python_api(spec: str) -> None:
    out = run("dim", spec, "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    r = nm.dimension(nm.parse(spec))
    for key in ("dim", "exact_rank", "expected", "ambient", "n_params", "fiber_dim", "filling", "defect", "certified"):
        assert d[key] == getattr(r, key), key


def test_dim_text() -> None:
    out = run("dim", "poly:3,2,1^2")
    assert out.returncode == 0, out.stderr
    assert "defect" in out.stdout and "5" in out.stdout


def test_analyze_default_architecture(tmp_path) -> None:
    out = run("analyze", "--json", "--figures", str(tmp_path / "figs"), "--voronoi-samples", "60")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    for key in ("dimension", "symmetries", "subnetworks"):
        assert key in d
    dim = d["dimension"]
    assert dim["exact_rank"] <= dim["dim"] <= dim["expected"] <= min(dim["n_params"], dim["ambient"])
    assert dim["defect"] == dim["expected"] - dim["dim"]
    assert d["symmetries"] and d["subnetworks"]
    for s in d["subnetworks"]:
        assert 0 <= s["dim"] <= dim["dim"]
    assert d["generic_ed_degree"] >= d["ed_degree"] >= 1
    # the strata's Voronoi probabilities: (3, 2, 1) with z^2 is exhaustive, its rank-one
    # stratum attracts nothing (a two-sided tangent cone)
    assert [e["n"] for e in d["voronoi"]] == [60] * len(d["voronoi"]) and d["voronoi"]
    assert all(e["exhaustive"] and e["hits"] == 0 for e in d["voronoi"])
    # ... and the two-sided directions of a switched-off neuron prove it for every point
    cells = d["voronoi_cells"]
    assert [b["stratum"] for b in cells] + ["boundary"] == [e["target"] for e in d["voronoi"]]
    # its edge lies in those strata: the boundary is proven to attract nothing too
    assert d["voronoi"][-1]["method"] == "certificate" and "lower strata" in d["voronoi"][-1]["certificate"]
    assert all(b["null"] and b["everywhere"] and b["cell_dim"] < b["ambient_dim"] for b in cells)
    c = d["critical_points"]
    assert c["summary"]["real"] == len(c["real"]) >= 1
    assert sum(p["global_min"] for p in c["real"]) >= 1
    assert all(p["kind"] in ("minimum", "strict_saddle", "nonstrict_saddle", "maximum", "degenerate") for p in c["real"])
    for f in d["figures"]:
        assert (tmp_path / "figs" / f.rsplit("/", 1)[-1]).stat().st_size > 0
    text = run("analyze", "--figures", str(tmp_path / "figs"))
    assert text.returncode == 0, text.stderr
    assert text.stdout.strip()


def test_analyze_linear_network_reports_eckart_young(tmp_path) -> None:
    out = run("analyze", "linear:3,1,3", "--json", "--figures", str(tmp_path))
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["ed_degree"] == 3 and d["generic_ed_degree"] == 39
    pure = [p for p in d["critical_points"]["real"] if p["pure"]]
    assert len(pure) == 3 and sum(p["kind"] == "minimum" for p in pure) == 1


def test_landscape_command_writes_a_heat_map(tmp_path) -> None:
    png = tmp_path / "map.png"
    out = run("landscape", "linear:2,1,2", "--samples", "60", "--weights", "euclidean", "--out", str(png), "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["samples"] == 60 and d["complex_critical_points"] == 2
    assert sum(c["instances"] for c in d["counts"]) + d["failed"] == 60
    assert all(c["local_minima"] == 1 for c in d["counts"])  # Eckart-Young: one local minimum
    assert png.stat().st_size > 0
    text = run("landscape", "linear:2,1,2", "--samples", "20", "--out", str(png))
    assert text.returncode == 0 and "local minima" in text.stdout


def test_analyze_named_architecture(tmp_path) -> None:
    out = run("analyze", "poly:3,3,1^2", "--json", "--figures", str(tmp_path), "--voronoi-samples", "0")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["dimension"]["dim"] == 6
    assert d["subnetworks"] and all(s["dim"] == 5 for s in d["subnetworks"])  # sums of two squares


def test_analyze_a_relu_network_at_input_points() -> None:
    out = run("analyze", "relu:1,3,1", "--inputs", "6", "--json", "--voronoi-samples", "200")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    # three kinks among six points and the bias: every function on them nearby (rank 6)
    assert (d["inputs"], d["n_params"], d["functional_dimension"], d["expected"]) == (6, 10, 6, 6)
    assert [s["dim"] for s in d["subnetworks"]] == [5]
    assert all(b["null"] and b["everywhere"] for b in d["voronoi_cells"])
    estimates = {e["target"]: e for e in d["voronoi"]}
    assert estimates["boundary"]["exhaustive"] and estimates["boundary"]["ci95"][0] > 0  # the edge attracts data
    assert all(e["p"] == 0 for name, e in estimates.items() if name != "boundary")
    text = run("analyze", "relu:1,3,1", "--inputs", "6", "--voronoi-samples", "50")
    assert text.returncode == 0 and "6 input points" in text.stdout and "boundary" in text.stdout
    bad = run("analyze", "relu:1,3,1")
    assert bad.returncode == 2 and "--inputs" in bad.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("dim", "nonsense:1"),
        ("dim", "linear:3,0"),
        ("analyze", "poly:2,1^0"),
        ("dim",),
        ("analyze", "poly:3,2,1^2", "--inputs", "4"),
        ("voronoi", "poly:2,2,1^3", "--samples", "1e9x"),
        ("voronoi", "poly:2,2,1^3", "--samples", "2.5"),
        ("voronoi", "poly:2,2,1^3", "--samples", "10", "--checkpoint", "."),
    ],
)
def test_bad_input_is_a_clean_error(args) -> None:
    out = run(*args)
    assert out.returncode != 0
    assert out.stderr.strip() and "Traceback" not in out.stderr and "lambda" not in out.stderr


def test_voronoi_of_a_polynomial_map_with_strata(capsys) -> None:
    from neuromanifold.cli import main

    umbrella = nm.ParametrizedVariety(
        ["s*t", "s", "t**2"], ["s", "t"], strata={"handle": (["0", "0", "t**2"], ["t"])}, singular_points=[[0, 0, 0]]
    )
    args = ["voronoi", "s*t; s; t**2", "--parameters", "s,t", "--stratum", "handle=0; 0; t**2", "--singular-point", "0,0,0"]
    for target, api_target in [("handle", "handle"), ("0,0,0", (0, 0, 0)), ("singular", "singular")]:
        assert main([*args, "--target", target, "--samples", "200", "--seed", "2", "--quiet", "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        direct = nm.voronoi_mc(umbrella, api_target, 200, seed=2, progress=False)
        assert {k: out[k] for k in ("hits", "n", "n_failed", "target", "variety")} == {
            "hits": direct.hits, "n": 200, "n_failed": direct.n_failed, "target": direct.target, "variety": direct.variety
        }
        assert out["hits"] == 0 and out["figure"] is None  # the handle is a crossing of two sheets


def test_voronoi_of_a_half_plane_edge_from_the_command_line(capsys, tmp_path) -> None:
    # parameters default to the map's symbols; the edge {y = 0} of the half-plane (s, t^2, 0)
    # is nearest for the data with y < 0
    from neuromanifold.cli import main

    assert main(["voronoi", "s; t**2; 0", "--stratum", "edge=r; 0; 0", "--target", "edge", "--samples", "400", "--quiet", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ci95"][0] <= 0.5 <= out["ci95"][1] and out["n_failed"] == 0
    assert "(s, t**2, 0) in s, t" in out["variety"] and "edge = (r, 0, 0) in r" in out["variety"]
    assert main(["voronoi", "s; t**2; 0", "--stratum", "edge=r; 0; 0", "--samples", "100", "--quiet"]) == 0
    assert "P(nearest point in the singular locus)" in capsys.readouterr().out
    # with a picture: samples on a random plane, coloured by their nearest stratum
    png = tmp_path / "edge.png"
    assert main(["voronoi", "s; t**2; 0", "--stratum", "edge=r; 0; 0", "--samples", "300", "--quiet", "--json", "--plot", str(png)]) == 0
    assert json.loads(capsys.readouterr().out)["figure"] == str(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_voronoi_of_a_relu_network_at_input_points(capsys, tmp_path) -> None:
    # --inputs K draws K standard normal points from the seed; a file gives them as rows of
    # coordinates (one column per point); both runs equal the Python API's
    import numpy as np

    from neuromanifold.cli import main

    X = np.random.default_rng([3, 0x1A9]).standard_normal((1, 5))
    path = tmp_path / "points.txt"
    np.savetxt(path, X)
    direct = nm.voronoi_mc(nm.NeuromanifoldAt(nm.parse("relu:1,2,1"), X), "boundary", 150, seed=3, progress=False)
    for inputs in ("5", str(path)):
        assert main(["voronoi", "relu:1,2,1", "--inputs", inputs, "--target", "boundary", "--samples", "150", "--seed", "3", "--quiet", "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert (out["hits"], out["n_failed"], out["exhaustive"]) == (direct.hits, direct.n_failed, True)  # one hidden layer, one output: exact
        assert "relu:1,2,1 at 5 input points" in out["variety"]


def test_voronoi_plane_curve_syntax_is_unchanged(capsys) -> None:
    # 'x(t); y(t)' alone is a plane curve (exact critical polynomial); with --parameters it is
    # solved as a parametrized variety; both decide the same samples
    from neuromanifold.cli import _voronoi_variety

    assert isinstance(_voronoi_variety("t**2; t**3"), nm.PlaneCurve)
    assert isinstance(_voronoi_variety("u**2; u**3"), nm.PlaneCurve)
    assert isinstance(_voronoi_variety("t**2; t**3", parameters="t"), nm.ParametrizedVariety)
    assert isinstance(_voronoi_variety("t; t**2; t**3"), nm.ParametrizedVariety)
    assert isinstance(_voronoi_variety("t**3", parameters="t"), nm.ParametrizedVariety)
    origin = _voronoi_variety("t**2; t**3", strata=["cusp=0; 0"])
    assert isinstance(origin, nm.ParametrizedVariety) and list(origin.strata["cusp"]) == [0.0, 0.0]


@pytest.mark.parametrize(
    "args, message",
    [
        (["s*t; s; t**2", "--stratum", "handle=0; t**2"], "2 components"),
        (["s*t; s; t**2", "--stratum", "handle"], "NAME="),
        (["s*t; s; t**2", "--stratum", "a=0; 0; t**2", "--stratum", "a=0; 0; 0"], "more than once: a"),
        (["s*t; s; t**2", "--stratum", "handle=0; 0; sin(t)"], "polynomial"),
        (["s*t; s; t**2", "--parameters", "s"], "unknown symbols"),
        (["s*t; s; t**2", "--parameters", "s t"], "names separated by commas"),
        (["s*t; ; t**2"], "empty component"),
        (["s*t; s; t**2", "--singular-point", "0,zero,0"], "coordinates"),
        (["s*t; s; t**2", "--target", "handle"], "unknown target"),
        (["s*t; s; t**2"], "no singular points or strata"),
        (["y**2 - x**3", "--stratum", "edge=t; 0"], "parametrized variety"),
        (["linear:2,1,2", "--singular-point", "0,0,0,0"], "parametrized variety"),
        (["relu:1,3,1"], "--inputs K"),
        (["relu:1,3,1", "--inputs", "no-such-file.txt"], "cannot read input points"),
        (["linear:2,1,2", "--inputs", "4"], "ReLU network"),
    ],
)
def test_voronoi_bad_maps_are_clean_errors(args, message, capsys) -> None:
    from neuromanifold.cli import main

    assert main(["voronoi", *args, "--samples", "10", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("neuromanifold: error:") and message in err


def test_analyze_reports_each_part_as_it_is_done(tmp_path, capsys) -> None:
    # the structure first (at once), then the critical points, then the Voronoi estimates; the
    # printed text is the whole report either way
    from neuromanifold.cli import analyze, main

    seen: list[tuple[str, set[str]]] = []
    result = analyze("linear:2,1,2", figures=str(tmp_path), voronoi_samples=20, on_section=lambda name, r: seen.append((name, set(r))))
    assert [name for name, _ in seen] == ["structure", "critical", "voronoi"]
    assert "dimension" in seen[0][1] and "ed_degree" not in seen[0][1]
    assert "ed_degree" in seen[1][1] and "voronoi" not in seen[1][1]
    assert seen[2][1] == set(result)
    assert main(["analyze", "linear:2,1,2", "--figures", str(tmp_path), "--voronoi-samples", "20"]) == 0
    text = capsys.readouterr().out
    assert text.index("dimension") < text.index("ED degree") < text.index("voronoi") < text.index("figure")


def test_analyze_can_leave_out_the_critical_points(tmp_path, capsys) -> None:
    # (ternary cubics of three neurons have tens of thousands of critical points in a slice)
    from neuromanifold.cli import analyze, main

    result = analyze("linear:2,1,2", figures=str(tmp_path), voronoi_samples=20, critical=False)
    assert result["critical_points"] is None and result["ed_degree"] is None and result["figures"] == []
    assert result["dimension"]["dim"] == 3 and result["voronoi"]
    assert main(["analyze", "linear:2,1,2", "--figures", str(tmp_path), "--voronoi-samples", "20", "--no-critical"]) == 0
    text = capsys.readouterr().out
    assert "critical points  left out" in text and "ED degree" not in text and "voronoi" in text
