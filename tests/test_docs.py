"""The examples in docstrings and the tutorials run and say what they claim."""

import doctest
import importlib
import pathlib
import runpy

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["neuromanifold", "neuromanifold.dimension", "neuromanifold.spec", "neuromanifold.system", "neuromanifold.curves", "neuromanifold.varieties", "neuromanifold._voronoi_cells"])
def test_docstring_examples(name: str) -> None:
    failures, _ = doctest.testmod(importlib.import_module(name), raise_on_error=False)
    assert failures == 0


@pytest.mark.parametrize("script", sorted((ROOT / "docs").glob("tutorial_*.py")), ids=lambda p: p.name)
def test_tutorials_run(script: pathlib.Path) -> None:
    runpy.run_path(str(script), run_name="__main__")
