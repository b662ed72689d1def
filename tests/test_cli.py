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


@pytest.mark.parametrize("args", [("dim", "nonsense:1"), ("dim", "linear:3,0"), ("analyze", "poly:2,1^0"), ("dim",)])
def test_bad_input_is_a_clean_error(args) -> None:
    out = run(*args)
    assert out.returncode != 0
    assert out.stderr.strip() and "Traceback" not in out.stderr
