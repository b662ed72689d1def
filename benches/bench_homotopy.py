"""Homotopy continuation against PHCpack's blackbox solver (phc -b), in one run.

Systems: the weighted Euclidean distance problem for 3x3 matrices of rank <= 1 (39 solutions;
243 total-degree paths, 73 multihomogeneous ones) and a dense system of 10 quadrics in 10
variables (1024 paths). neuromanifold runs with its automatic start system and with the total
degree; best of 3 after a warm-up. Both solvers get
the same instance (PHCpack through its input format); solution counts are compared.

    apt-get install phcpack      # provides `phc`
    python benches/bench_homotopy.py
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import sympy

import neuromanifold as nm


def ed_system() -> tuple[nm.System, np.ndarray]:
    u1, u2 = sympy.symbols("u1 u2")
    u = [1 - sympy.Rational(3, 7) * u1 + sympy.Rational(5, 11) * u2, u1, u2]
    v = list(sympy.symbols("v0 v1 v2"))
    w, q = sympy.symbols("w0:9"), sympy.symbols("q0:9")
    loss = sum(w[3 * i + j] * (u[i] * v[j] - q[3 * i + j]) ** 2 for i in range(3) for j in range(3))
    unknowns = [u1, u2, *v]
    rng = np.random.default_rng(2)
    params = np.concatenate([rng.uniform(0.5, 2.0, 9), rng.standard_normal(9)])
    return nm.System([sympy.diff(loss, z) for z in unknowns], unknowns, [*w, *q]), params


def dense_quadrics(n: int = 10, seed: int = 1) -> nm.System:
    rng = np.random.default_rng(seed)
    monos = np.array([m for m in itertools.product(range(3), repeat=n) if sum(m) <= 2])
    names = [f"x{i}" for i in range(n)]
    coeffs = [rng.standard_normal(len(monos)) for _ in range(n)]
    F = nm.System.from_arrays([monos] * n, coeffs)
    F.variables = tuple(names)
    return F


def phc(system: nm.System, params: np.ndarray | None) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as d:
        src, out = os.path.join(d, "in"), os.path.join(d, "out")
        with open(src, "w") as f:
            f.write(system.to_phcpack(params))
        t = time.perf_counter()
        subprocess.run(["phc", "-b", src, out], check=True, capture_output=True)
        elapsed = time.perf_counter() - t
        sols = nm.read_phcpack_solutions(open(out).read(), system.variables)
    return elapsed, len(sols)


def ours(system: nm.System, params: np.ndarray | None, start: str) -> tuple[float, int, int]:
    nm.solve(system, params, start=start)  # warm-up
    best = np.inf
    for _ in range(3):
        t = time.perf_counter()
        r = nm.solve(system, params, start=start)
        best = min(best, time.perf_counter() - t)
    return best, r.summary()["nonsingular"], r.summary()["paths"]


def main() -> None:
    if shutil.which("phc") is None:
        sys.exit("phc not found: apt-get install phcpack")
    cases = [("3x3 rank-1 weighted ED", *ed_system()), ("10 dense quadrics", dense_quadrics(), None)]
    print("| system | PHCpack phc -b: s (solutions) | neuromanifold start system (paths) | s (nonsingular solutions) | speed-up |")
    print("|---|---|---|---|---|")
    for name, system, params in cases:
        t_phc, n_phc = phc(system, params)
        for start in ("auto", "total_degree"):
            t_nm, n_nm, paths = ours(system, params, start)
            print(f"| {name} | {t_phc:.2f} ({n_phc}) | {start} ({paths}) | {t_nm:.3f} ({n_nm}) | {t_phc / t_nm:.1f}x |")


if __name__ == "__main__":
    main()
