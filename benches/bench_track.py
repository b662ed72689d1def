"""Parameter-homotopy throughput: the 39 solutions of the weighted 3x3 rank-one ED problem at
generic complex parameters, tracked to T random real instances (weights and targets).

Two kinds of start parameters: the random complex ones of `monodromy_solve`, and a complex
perturbation of a typical instance (weights with positive real parts), whose parameter lines
stay away from vanishing weights, where solutions escape to infinity.

    python benches/bench_track.py [--targets 200] [--repeat 5]

Each row runs in a fresh process: best (and median) of --repeat timed calls after a warm-up.
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


def run(targets: int, start_kind: str, repeat: int) -> tuple[float, float, int, int]:
    F, _ = ed_system()
    start = nm.monodromy_solve(F, seed=0)
    solutions, parameters = start.solutions, start.parameters
    if start_kind == "near":
        rng = np.random.default_rng(5)
        weights = rng.uniform(0.5, 2.0, 9) + 1j * rng.uniform(-0.5, 0.5, 9)
        parameters = np.concatenate([weights, rng.standard_normal(9) + 1j * rng.standard_normal(9)])
        moved = nm.track(F, start.solutions, start.parameters, parameters[None, :])[0]
        assert moved.summary()["nonsingular"] == len(start)
        solutions = moved.nonsingular_solutions
    rng = np.random.default_rng(1)
    T = np.concatenate([rng.uniform(0.5, 2.0, (targets, 9)), rng.standard_normal((targets, 9))], axis=1)
    nm.track(F, solutions, parameters, T[:5])  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        res = nm.track(F, solutions, parameters, T)
        times.append(time.perf_counter() - t)
    paths = sum(r.summary()["paths"] for r in res)
    complete = sum(r.summary()["nonsingular"] == len(start) for r in res)
    return min(times), float(np.median(times)), paths, complete


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", choices=["random", "near"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        e, med, p, c = run(args.targets, args.child, args.repeat)
        print(f"{e} {med} {p} {c}")
        return
    print("| start parameters | threads | targets | paths | seconds (best) | paths/s | median seconds | instances with all 39 |")
    print("|---|---|---|---|---|---|---|---|")
    for kind, label in (("random", "random complex (monodromy)"), ("near", "near the instances")):
        for threads in (1, 2):
            env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
            cmd = [sys.executable, __file__, "--child", kind, "--targets", str(args.targets), "--repeat", str(args.repeat)]
            out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
            e, med, p, c = out.stdout.split()
            print(f"| {label} | {threads} | {args.targets} | {p} | {float(e):.3f} | {int(p) / float(e):,.0f} | {float(med):.3f} | {c} |")


if __name__ == "__main__":
    main()
