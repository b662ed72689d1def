"""Parameter-homotopy throughput: the 39 solutions of the weighted 3x3 rank-one ED problem at
generic complex parameters, tracked to T random real instances (weights and targets).

    python benches/bench_track.py [--targets 200]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import numpy as np

import neuromanifold as nm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_homotopy import ed_system  # noqa: E402


def run(targets: int) -> tuple[float, int, int]:
    F, _ = ed_system()
    start = nm.monodromy_solve(F, seed=0)
    rng = np.random.default_rng(1)
    T = np.concatenate([rng.uniform(0.5, 2.0, (targets, 9)), rng.standard_normal((targets, 9))], axis=1)
    nm.track(F, start.solutions, start.parameters, T[:5])  # warm-up
    t = time.perf_counter()
    res = nm.track(F, start.solutions, start.parameters, T)
    elapsed = time.perf_counter() - t
    paths = sum(r.summary()["paths"] for r in res)
    complete = sum(r.summary()["nonsingular"] == len(start) for r in res)
    return elapsed, paths, complete


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=200)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        e, p, c = run(args.targets)
        print(f"{e} {p} {c}")
        return
    print("| threads | targets | paths | seconds | paths/s | instances with all 39 |")
    print("|---|---|---|---|---|---|")
    for threads in (1, 2):
        env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
        out = subprocess.run([sys.executable, __file__, "--child", "--targets", str(args.targets)], env=env, capture_output=True, text=True, check=True)
        e, p, c = out.stdout.split()
        print(f"| {threads} | {args.targets} | {p} | {float(e):.2f} | {int(p) / float(e):,.0f} | {c} |")


if __name__ == "__main__":
    main()
