"""Landscape statistics for 3 x 3 matrices of rank <= 1 with generic weights: neuromanifold's
`landscape` (one generic solve, then a parameter homotopy to every data set) against PHCpack's
blackbox solver on the same critical equations, run on a subset of the data sets and scaled.

    apt-get install phcpack      # provides `phc`
    python benches/bench_landscape.py [--samples 2000] [--phc-subset 10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time

import numpy as np

import neuromanifold as nm
from neuromanifold._charts import critical_system
from neuromanifold.critical import _charts, _is_real
from neuromanifold.losses import WEIGHT_RANGE


def data(samples: int, seed: int, A: int) -> tuple[np.ndarray, np.ndarray]:
    """The data sets `landscape` draws: targets U and weights W."""
    rng = np.random.default_rng([seed, 0x1A4D])
    U = rng.standard_normal((samples, A))
    W = rng.uniform(*WEIGHT_RANGE, (samples, A))
    return U, W


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--phc-subset", type=int, default=10)
    parser.add_argument("--child-threads", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    net = nm.LinearNetwork((3, 1, 3))
    if args.child_threads:
        nm.set_num_threads(args.child_threads)
        t = time.perf_counter()
        r = nm.landscape(net, samples=args.samples, weights="generic", seed=0)
        elapsed = time.perf_counter() - t
        print(f"{elapsed} {r.failed} {sum(r.counts.values())}")
        print(r)
        return
    if shutil.which("phc") is None:
        sys.exit("phc not found: apt-get install phcpack")
    rows = []
    for threads in (1, 2):
        out = subprocess.run([sys.executable, __file__, "--samples", str(args.samples), "--child-threads", str(threads)], capture_output=True, text=True, check=True)
        first, *table = out.stdout.splitlines()
        elapsed, failed, counted = first.split()
        rows.append((threads, float(elapsed), int(failed), int(counted)))
    # PHCpack on the first data sets, the same critical equations (chart of rank-one matrices)
    chart = _charts(net, 0)[-1]
    system = critical_system(chart, None)
    U, W = data(args.phc_subset, 0, net.ambient_dim)
    t_phc = 0.0
    agree = 0
    for u, w in zip(U, W):
        params = np.concatenate([w, w * u])
        elapsed, sols = phc_solutions(system, params)
        t_phc += elapsed
        # phc -b also lists the ends of diverging paths: keep the finite solutions
        finite = [x for x in sols if np.abs(x).max() < 1e6 and np.abs(system.evaluate(x, params)).max() < 1e-8]
        sols = np.array(finite).reshape(-1, system.n_vars)
        real_phc = sum(_is_real(m) for m in chart.mu(sols)) if len(sols) else 0
        ours = nm.critical_points(net, nm.DistanceLoss(u, weights=w))
        agree += len(sols) == 39 and real_phc == sum(p.pure for p in ours.real)
    scaled = t_phc / args.phc_subset * args.samples
    print("| tool | threads | data sets | paths | seconds | data sets/s | ratio |")
    print("|---|---|---|---|---|---|---|")
    for threads, elapsed, failed, counted in rows:
        print(f"| neuromanifold `landscape` | {threads} | {args.samples} ({failed} with a lost path) | {39 * args.samples} | {elapsed:.1f} | {args.samples / elapsed:.0f} | {scaled / elapsed:.0f}x |")
    print(f"| PHCpack `phc -b`, {args.phc_subset} data sets scaled to {args.samples} | 1 | {args.samples} | {243 * args.samples} (total degree) | {scaled:.0f} | {args.samples / scaled:.2f} | 1x |")
    print(f"\nPHCpack and neuromanifold agree (39 solutions, same number of real critical points) on {agree} of {args.phc_subset} data sets")
    print("\n" + "\n".join(table))


def phc_solutions(system: nm.System, params: np.ndarray) -> tuple[float, np.ndarray]:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        src, out = os.path.join(d, "in"), os.path.join(d, "out")
        with open(src, "w") as f:
            f.write(system.to_phcpack(params))
        t = time.perf_counter()
        subprocess.run(["phc", "-b", src, out], check=True, capture_output=True)
        elapsed = time.perf_counter() - t
        sols = nm.read_phcpack_solutions(open(out).read(), system.variables)
    return elapsed, sols


if __name__ == "__main__":
    main()
