"""The command line: dimension reports and the main analysis, for people and machines."""

import json
import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "neuromanifold", *args], capture_output=True, text=True, timeout=120)


def test_dim_json() -> None:
    out = run("dim", "linear:4,2,3", "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["dim"] == 10 and d["ambient"] == 12 and d["certified"] is True


def test_dim_text() -> None:
    out = run("dim", "poly:3,2,1^2")
    assert out.returncode == 0 and "defect" in out.stdout


def test_analyze_default_architecture() -> None:
    out = run("analyze", "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["dimension"]["dim"] <= d["dimension"]["expected"]
    assert d["symmetries"] and d["subnetworks"]
    for s in d["subnetworks"]:
        assert 0 <= s["dim"] <= d["dimension"]["dim"]
    text = run("analyze")
    assert text.returncode == 0 and "subnetwork strata" in text.stdout


def test_bad_spec_is_a_clean_error() -> None:
    out = run("dim", "nonsense:1")
    assert out.returncode == 2
    assert "unknown family" in out.stderr and "Traceback" not in out.stderr
