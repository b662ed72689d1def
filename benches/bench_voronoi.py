"""Voronoi Monte Carlo throughput.

1. The cusp t -> (t^2, t^3) with samples uniform on [-1, 1]^2: samples per second of
   `nm.voronoi_mc` (1 and 2 threads) against a vectorised numpy reference that finds the
   critical points of the distance as the real eigenvalues of batched companion matrices of
   the quartic 3t^4 + 2t^2 - 3v t - 2u and compares the best with the cusp. Decisions are
   checked to agree on the same samples before timing.
2. A polynomial MLP stratum problem (the one-neuron stratum of (2, 2, 1) with z^4, multistart):
   samples per second locally and on a Dask LocalCluster with one worker process, taking turns
   in four rounds, same counts.
3. The network estimators (exhaustive convolutions, attention and MLP edges, binary forms by
   their roots, pencils by their eigenvalues, ReLU local searches):
   samples per second on 1 and 2 threads, same counts.
4. Edges in closed form against the homotopies they replace, same samples, same decisions:
   pencils of quadratic forms (`poly:3,3,2^2`) by their eigenvalues against real membership,
   k neurons on binary forms of degree k by the hyperplane of powers: squares with three outputs
   (`poly:2,2,3^2`) against the tangential variety, cubes with three outputs (`poly:2,3,3^3`)
   against real membership, cubics in two variables of three neurons with biases
   (`poly:2,3,1^3+bias`) by the pencil through the constant, four quadratic forms in three
   variables (`poly:3,4,4^2`) by the orthogonal pencil, quartics in one variable with biases
   (`poly:1,2,1^4+bias`) by their derivative's roots, against real membership.
5. Edges in closed form where only local searches existed: pencils of quadratic polynomials
   with d0 + 1 neurons (`poly:3,4,2^2+bias`, `poly:4,5,2^2+bias`) by the tangents' cofactors,
   against the multistart local searches, same samples; on five to seven inputs
   (`poly:5,6,2^2+bias` to `poly:7,8,2^2+bias`) by counting the cofactors' real roots on arcs
   whose ends are the eigenvalues of a matrix polynomial (`--arcs-samples`); on eight to ten
   inputs alone (`--arcs-large-samples`).
6. One input with biases and two neurons (`poly:1,2,1^5+bias`, `poly:1,2,1^6+bias`,
   `poly:1,2,2^4+bias`): the derivatives' tangential variety (homotopies) against the local
   searches, same samples.
7. The local searches' edge rules (a best point next to the edge counted outright, or only
   when the search, going on, keeps heading there; starts next to the edge; restarts for the
   samples counted for it; searches through the seams) against the exact decisions, same
   samples (`--edge-rule-samples`, off by default; networks by `--edge-rule-spec`).
8. The searches through the seams in MLPs with two hidden layers and biases, with and without
   them, same samples (`--deep-seam-samples`, off by default; networks by `--deep-seam-spec`).
9. The number of random starts in MLPs with two hidden layers (8, 32, 64), same samples
   (`--deep-start-samples`, off by default).
10. The recheck of local-search decisions from independent starts against the exact decisions
    on networks with an exact edge (`--recheck-samples`, off by default).
11. Three neurons on pairs of binary quartics (`poly:2,3,2^4`): the join edge with a weight per
    output under "exhaustive" against the local searches, same samples
    (`--join-outputs-samples`, off by default).
12. Exact edges of deeper MLPs against the local searches, same samples: cubes of binary cubics
    (`--cubed-cubics-samples`), two layers of two squares (`--quartic-pairs-samples`,
    `--quartic-pairs-three-outputs-samples`), and two first-layer squares under three layer-2
    neurons (`--free-quartic-pairs-samples`), and the parts of M that two neurons of the wide
    layer reach (`--parts-samples`); off by default.
13. One-token attention on three inputs: the edge of semidefinite forms (a = 2) and the part of
    two key/query dimensions (a = 3) against the local searches, same samples
    (`--attention-forms-samples`); on four inputs (a = 3 and 4, "exhaustive")
    (`--attention-four-samples`); off by default.
14. ReLU local searches against the exact method of one hidden layer: how often they reach the
    nearest point, and their edge decisions there (`--relu-searches-samples`, off by default).
    One or two ReLU neurons with several outputs, exact (the eigenvectors of each face's
    captured energy; two neurons: each union's critical points and the limits of two neurons
    merging), against the local searches (`--relu-outputs-samples`, off by default), and the
    rates of two neurons on up to 100 points (`--relu-pair-samples`, off by default).

    python benches/bench_voronoi.py [--samples 2000000] [--mlp-samples 10000] [--network-samples 2000] [--closed-form-samples 2000] [--local-samples 200] [--arcs-samples 200] [--derivative-samples 2000]
    (0 skips a part)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

import neuromanifold as nm

BOX = nm.UniformBox(-1.0, 1.0)


def reference(S: np.ndarray) -> np.ndarray:
    """1 where the cusp is strictly nearer than every real critical point of the smooth part."""
    u, v = S[:, 0], S[:, 1]
    B = len(S)
    # monic quartic t^4 + (2/3) t^2 - v t - (2/3) u
    C = np.zeros((B, 4, 4))
    C[:, 1, 0] = C[:, 2, 1] = C[:, 3, 2] = 1.0
    C[:, 0, 3] = 2.0 / 3.0 * u
    C[:, 1, 3] = v
    C[:, 2, 3] = -2.0 / 3.0
    t = np.linalg.eigvals(C)
    real = np.abs(t.imag) <= 1e-9 * (1 + np.abs(t))
    tr = np.where(real, t.real, np.nan)
    d = (tr**2 - u[:, None]) ** 2 + (tr**3 - v[:, None]) ** 2
    smooth = np.nanmin(np.where(np.isnan(d), np.inf, d), axis=1)
    return (u**2 + v**2 < smooth).astype(np.int8)


def best_of(f, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def cusp(samples: int, repeat: int) -> None:
    curve = nm.PlaneCurve.parametrized("t**2", "t**3")
    check = nm.voronoi_samples(curve, 200_000, BOX, seed=1)
    ours = curve.decide(check)
    ref = reference(check)
    sure = ours >= 0
    disagree = int((ours[sure] != ref[sure]).sum())
    print(f"decisions on 200000 samples: {disagree} disagreements, {int((~sure).sum())} undecided")
    if disagree > 20:
        sys.exit("the reference and neuromanifold disagree")
    S = nm.voronoi_samples(curve, samples, BOX, seed=0)
    # the estimators take turns, round after round (this machine's speed drifts within minutes),
    # and each keeps its best round
    names = ["numpy companion-matrix eigenvalues", "neuromanifold, 1 thread", "neuromanifold, 2 threads"]
    best = dict.fromkeys(names, float("inf"))
    reference(S[:1000])
    for _ in range(repeat):
        best[names[0]] = min(best[names[0]], best_of(lambda: reference(S), 1))
        for threads, name in ((1, names[1]), (2, names[2])):
            nm.set_num_threads(threads)
            best[name] = min(best[name], best_of(lambda: nm.voronoi_mc(curve, "singular", samples, BOX, seed=0, progress=False), 1))
    nm.set_num_threads(0)
    t_ref = best[names[0]]
    rows = [(name, best[name]) for name in names]
    print(f"\ncusp, uniform box, {samples} samples, best of {repeat} rounds\n")
    print("| estimator | seconds | samples/s | vs numpy |")
    print("|---|---|---|---|")
    for name, t in rows:
        print(f"| {name} | {t:.3f} | {samples / t:,.0f} | {t_ref / t:.1f}x |")
    print(f"\nthread scaling 1 -> 2: {rows[1][1] / rows[2][1]:.2f}x")


def mlp(samples: int, rounds: int = 4) -> None:
    """Local and Dask runs take turns in ``rounds`` rounds of samples / rounds each (one seed per
    round, the same counts asserted), so that a drift of the machine's speed falls on both."""
    from distributed import Client, LocalCluster

    net = nm.PolynomialNetwork((2, 2, 1), 4)
    part = -(-samples // rounds)
    t_local = t_dask = 0.0
    hits = failed = 0
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        nm.voronoi_mc(net, "singular", 200, seed=1, progress=False, client=client, method="multistart")  # workers warm
        for r in range(rounds):
            t0 = time.perf_counter()
            local = nm.voronoi_mc(net, "singular", part, seed=r, progress=False, method="multistart")
            t_local += time.perf_counter() - t0
            t0 = time.perf_counter()
            remote = nm.voronoi_mc(net, "singular", part, seed=r, progress=False, client=client, method="multistart")
            t_dask += time.perf_counter() - t0
            assert (remote.hits, remote.n_failed) == (local.hits, local.n_failed), "Dask and local counts differ"
            hits, failed = hits + local.hits, failed + local.n_failed
    # (its cell is proven null, so "auto" would draw no samples: the local searches are timed)
    total = part * rounds
    print(f"\n(2, 2, 1) with z^4, one-neuron stratum, multistart, {total} samples in {rounds} rounds\n")
    print("| run | seconds | samples/s |")
    print("|---|---|---|")
    print(f"| local | {t_local:.2f} | {total / t_local:,.0f} |")
    print(f"| Dask LocalCluster, 1 worker process (the core uses both cores) | {t_dask:.2f} | {total / t_dask:,.0f} |")
    print(f"\nDask overhead: {100 * (t_dask / t_local - 1):+.1f}%  (same counts: {hits} hits, {failed} undecided)")


def _rate(r: float) -> str:
    return f"{r:,.0f}" if r >= 100 else f"{r:.3g}"


def networks(samples: int) -> None:
    """Samples per second of the network estimators on 1 and 2 threads, same counts. Each run
    first solves the critical equations at generic data (exhaustive methods): that setup is
    timed as a run with one sample; a second such run (without the solves the process keeps)
    is left out of the rate."""
    inputs = np.array([[-1.3, -0.4, 0.2, 0.9, 1.7, 2.2]])
    inputs_2d = np.array([[-1.3, -0.4, 0.2, 0.9, 1.7, 2.2], [0.5, -1.1, 0.8, -0.3, 1.4, -0.9]])
    cases = [
        ("conv:2,2^2", "boundary", nm.parse("conv:2,2^2")),
        ("conv:2,2,2", "boundary", nm.parse("conv:2,2,2")),
        ("attention:2,2,2,1", "one dimension of the key/query space switched off", nm.parse("attention:2,2,2,1")),
        # exact (polyhedral cones), with more samples: a run of 1,000 is over in a blink
        ("relu:1,3,1 at 6 points", "boundary", nm.NeuromanifoldAt(nm.parse("relu:1,3,1"), inputs), "auto", 100),
        ("relu:1,3,1 at 6 points", "boundary", nm.NeuromanifoldAt(nm.parse("relu:1,3,1"), inputs), "multistart"),
        ("relu:2,2,1 at 6 points", "boundary", nm.NeuromanifoldAt(nm.parse("relu:2,2,1"), inputs_2d), "auto", 10),
        # binary forms by their roots (real rank; apolar forms), with more samples
        ("poly:2,2,1^3", "boundary", nm.parse("poly:2,2,1^3"), "auto", 100),
        ("poly:2,3,1^5", "boundary", nm.parse("poly:2,3,1^5"), "auto", 100),
        ("poly:2,4,1^6", "boundary", nm.parse("poly:2,4,1^6"), "auto", 100),
        ("poly:3,3,2^2", "boundary", nm.parse("poly:3,3,2^2"), "auto", 100),  # eigenvalues
        ("poly:2,2,1^4", "boundary", nm.parse("poly:2,2,1^4")),  # the tangential edges
        ("poly:3,2,2^2", "boundary", nm.parse("poly:3,2,2^2")),  # (a fifth of the samples)
    ]
    share = {"poly:3,2,2^2": 5}
    before = nm.get_num_threads()
    print(f"\nNetwork estimators, {samples} samples per row (or the share noted), standard normal data; setup = a run with one sample\n")
    print("| variety | target | method | setup s (1 / 2 threads) | 1 thread samples/s | 2 threads samples/s | speed-up |")
    print("|---|---|---|---|---|---|---|")
    try:
        for name, target, variety, *how in cases:
            method = how[0] if how else "auto"
            n = max(samples * (how[1] if len(how) > 1 else 1) // share.get(name, 1), 2)
            setups, rates, counts = [], [], []
            for threads in (1, 2):
                nm.set_num_threads(threads)
                t0 = time.perf_counter()
                nm.voronoi_mc(variety, target, 1, seed=0, progress=False, method=method)
                setups.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                nm.voronoi_mc(variety, target, 1, seed=0, progress=False, method=method)  # (the same work as below, for one sample)
                one = time.perf_counter() - t0
                t0 = time.perf_counter()
                est = nm.voronoi_mc(variety, target, n, seed=0, progress=False, method=method)
                rates.append((n - 1) / max(time.perf_counter() - t0 - one, 1e-9))
                counts.append((est.hits, est.n_failed))
            assert counts[0] == counts[1], f"{name}: counts differ between thread counts"
            print(
                f"| {name}{f' ({n} samples)' if n != samples else ''} | {target} | {est.method} | {setups[0]:.2f} / {setups[1]:.2f} | {_rate(rates[0])} | {_rate(rates[1])} | "
                f"{rates[1] / rates[0]:.2f}x |"
            )
    finally:
        nm.set_num_threads(before)


def closed_forms(samples: int) -> None:
    """Edges decided in closed form against the homotopy methods they replace, on the same
    samples (the homotopies' generic solves left out), 1 and 2 threads, the same decisions where
    both decide: pencils
    of ternary quadrics by their eigenvalues (real membership before), k neurons on binary forms
    of degree k by the hyperplane of powers (the tangential variety, real membership before),
    cubics in two variables of three neurons by the pencil through the constant, quadratic
    forms in three variables by the pencil orthogonal to the outputs, quartics in one variable
    by the roots of their derivative (real membership before)."""
    from neuromanifold._conic_pencils import OrthogonalPencil
    from neuromanifold._ternary_cubics import ConstantPencil
    from neuromanifold._voronoi_hyperplanes import HyperplaneOfPowers
    from neuromanifold._voronoi_membership import Membership
    from neuromanifold._voronoi_pencils import PencilMembership
    from neuromanifold._voronoi_real_rank import DerivativeRealRank
    from neuromanifold._voronoi_tangent import tangent_edge

    cases = [
        ("poly:3,3,2^2", "eigenvalues", PencilMembership, "real membership", lambda net: Membership(net, 0)),
        ("poly:2,2,3^2", "hyperplane of squares", HyperplaneOfPowers, "tangential variety", lambda net: tangent_edge(net, 0, {})),
        ("poly:2,3,3^3", "hyperplane of cubes", HyperplaneOfPowers, "real membership", lambda net: Membership(net, 0)),
        ("poly:2,3,1^3+bias", "pencil through the constant", ConstantPencil, "real membership", lambda net: Membership(net, 0)),
        ("poly:3,4,4^2", "orthogonal pencil", OrthogonalPencil, "real membership", lambda net: Membership(net, 0)),
        ("poly:1,2,1^4+bias", "roots of the derivative", DerivativeRealRank, "real membership", lambda net: Membership(net, 0)),
    ]
    before = nm.get_num_threads()
    print(f"\nEdges in closed form against homotopies, {samples} samples (closed forms: 100 times as many)\n")
    print("| variety | threads | closed form | samples/s | homotopy | samples/s | ratio | undecided (closed form / homotopy) |")
    print("|---|---|---|---|---|---|---|---|")
    try:
        for spec, fast_name, fast_method, slow_name, slow_method in cases:
            net = nm.parse(spec)
            U = np.random.default_rng(0).standard_normal((samples, net.ambient_dim))
            for threads in (1, 2):
                nm.set_num_threads(threads)
                homotopy = slow_method(net)
                homotopy.decide(U[:1], 0)  # the generic solve
                t0 = time.perf_counter()
                by_homotopy = homotopy.decide(U, 0)
                slow = samples / (time.perf_counter() - t0)
                many = np.tile(U, (100, 1))
                t0 = time.perf_counter()
                by_closed_form = fast_method(net).decide(many)
                fast = len(many) / (time.perf_counter() - t0)
                mine = by_closed_form[:samples]
                both = (mine >= 0) & (by_homotopy >= 0)
                assert np.array_equal(mine[both], by_homotopy[both]), f"{spec}: the decisions differ"
                undecided = f"{int((mine < 0).sum())} / {int((by_homotopy < 0).sum())}"
                print(f"| {spec} | {threads} | {fast_name} | {_rate(fast)} | {slow_name} | {_rate(slow)} | {fast / slow:,.0f}x | {undecided} |")
    finally:
        nm.set_num_threads(before)


def _boundary_rate(net: Any, samples: int, chunk: int, method: str = "auto", target: str = "boundary") -> tuple[Any, float]:
    """The boundary estimate (or another target's) on ``samples`` standard normal samples (seed
    0) and its samples/s."""
    t0 = time.perf_counter()
    estimate = nm.voronoi_mc(net, target, samples, seed=0, progress=False, chunk_size=chunk, method=method)
    return estimate, samples / (time.perf_counter() - t0)


@contextmanager
def _threads(n: int) -> Iterator[None]:
    """Run the block on n threads, then restore the count."""
    before = nm.get_num_threads()
    nm.set_num_threads(n)
    try:
        yield
    finally:
        nm.set_num_threads(before)


def closed_forms_against_local_searches(samples: int) -> None:
    """Edges whose fibers are positive-dimensional (no real membership by homotopies): the
    tangents' cofactors against multistart local searches on the same samples (one chunk, the
    same seed), 2 threads; the closed form's throughput on 100 times as many."""
    print(f"\nEdges in closed form against local searches, {samples} samples (closed forms: 100 times as many), 2 threads\n")
    print("| variety | closed form | samples/s | hits | local searches | samples/s | hits (local searches) | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    with _threads(2):
        for spec in ("poly:3,4,2^2+bias", "poly:4,5,2^2+bias"):
            net = nm.parse(spec)
            exact = nm.voronoi_mc(net, "boundary", samples, seed=0, progress=False, chunk_size=samples)
            _, fast = _boundary_rate(net, 100 * samples, samples)
            local, slow = _boundary_rate(net, samples, samples, method="multistart")
            assert exact.exhaustive and not local.exhaustive
            print(f"| {spec} | tangents' cofactors | {_rate(fast)} | {exact.hits} | multistart | {_rate(slow)} | {local.hits} | {fast / slow:,.0f}x |")


def cofactor_arcs_against_local_searches(samples: int) -> None:
    """Pencils of quadratic polynomials of d0 + 1 neurons with biases on five to seven inputs: the
    tangents' cofactors' real roots counted on arcs (their ends the eigenvalues of a matrix
    polynomial, per sample) against multistart local searches on the same samples (one chunk,
    the same seed), 2 threads."""
    specs = ("poly:5,6,2^2+bias", "poly:6,7,2^2+bias", "poly:7,8,2^2+bias")
    _exact_against_local("The tangents' cofactors on five to seven inputs (arcs by eigenvalues) against local searches", specs, samples)


def cofactor_arcs_on_more_inputs(samples: int) -> None:
    """The tangents' cofactors on eight to MAX_INPUTS inputs, exact only (the local searches took
    over a second a sample on seven): samples/s and hits on standard normal samples (one chunk,
    seed 0), 2 threads."""
    from neuromanifold._shifted_pencils import MAX_INPUTS

    print(f"\nThe tangents' cofactors on eight to {MAX_INPUTS} inputs (arcs by eigenvalues), {samples} samples, 2 threads\n")
    print("| variety | eigenvalues per chart | samples/s | hits | undecided |")
    print("|---|---|---|---|---|")
    with _threads(2):
        for d0 in range(8, MAX_INPUTS + 1):
            d = d0 + 1
            exact, rate = _boundary_rate(nm.parse(f"poly:{d0},{d},2^2+bias"), samples, samples)
            assert exact.exhaustive
            print(f"| poly:{d0},{d},2^2+bias | {(2 * d - 6) * (3 * d - 6)} | {_rate(rate)} | {exact.hits} | {exact.n_failed} |")


def derivative_edges_against_local_searches(samples: int) -> None:
    """One input with biases and two neurons, (1, 2, m): the derivatives' tangential variety (a
    parameter homotopy per sample and chart) against multistart local searches, on the same
    samples (one chunk, the same seed), 2 threads."""
    title = "The derivative's tangential variety against local searches"
    _exact_against_local(title, ("poly:1,2,1^5+bias", "poly:1,2,1^6+bias", "poly:1,2,2^4+bias"), samples)


def join_edges_against_local_searches(samples: int) -> None:
    """Three neurons on binary sextics: the join and osculating charts with the pieces of two
    neurons (parameter homotopies per sample in six charts) against multistart local searches."""
    _exact_against_local("The join edge of three neurons against local searches", ("poly:2,3,1^6",), samples)


def biased_pair_edges_against_local_searches(samples: int) -> None:
    """Two neurons with biases on two inputs: E with the constant's power, a neuron merged with
    the constant and both merged (parameter homotopies per sample in four charts, a closed form
    for the last) against multistart local searches."""
    title = "The edge of two neurons with biases on two inputs against local searches"
    _exact_against_local(title, ("poly:2,2,1^3+bias",), samples)


def join_edges_with_outputs_against_local_searches(samples: int) -> None:
    """Three neurons on pairs of binary quartics (the outputs' common apolar cubic): J and O with
    a weight per output, under "exhaustive", against multistart local searches."""
    _exact_against_local("The join edge of three neurons with two outputs against local searches", ("poly:2,3,2^4",), samples, "exhaustive")


def cubed_cubics_against_local_searches(samples: int) -> None:
    """Two neurons on binary cubics cubed by one: the edge c (x) l^6 n^3 against multistart local
    searches, with one output and (a tenth of the samples) with two."""
    _exact_against_local("The edge of cubes of cubics against local searches", ("poly:2,2,1,1^3",), samples)
    _exact_against_local("The same with two outputs", ("poly:2,2,1,2^3",), max(samples // 10, 1))


def quartic_pairs_against_local_searches(samples: int, three_outputs: int) -> None:
    """Two layers of two squares on two inputs (binary quartics in l_1^2, l_2^2): the limits of
    merging neurons in either layer against multistart local searches, with two outputs and
    (under "exhaustive") three; and with three first-layer neurons (the layer-2 neurons'
    limits alone)."""
    if samples:
        _exact_against_local("The edges of two layers of squares against local searches", ("poly:2,2,2,2^2", "poly:2,3,2,2^2"), samples)
    if three_outputs:
        _exact_against_local("The same with three outputs", ("poly:2,2,2,3^2",), three_outputs, "exhaustive")


def free_quartic_pairs_against_local_searches(samples: int) -> None:
    """Two first-layer squares and three layer-2 neurons on two inputs (the outputs any quadratic
    forms in l_1^2, l_2^2): the limits of the first-layer neurons merging against multistart
    local searches, with two and three outputs."""
    _exact_against_local("The edge of two first-layer squares under three layer-2 neurons against local searches", ("poly:2,2,3,2^2", "poly:2,2,3,3^2"), samples)


def two_neuron_parts_against_local_searches(samples: int) -> None:
    """The parts of M that two neurons of the wide layer reach (subnetworks of the dimension of
    M) against multistart local searches: two layer-2 neurons in `poly:2,2,3,2^2`, two
    first-layer neurons in `poly:2,3,2,2^2`."""
    title = "The parts of two neurons against local searches"
    _exact_against_local(title + ": layer 2", ("poly:2,2,3,2^2",), samples, target="hidden layer 2 with one neuron switched off")
    _exact_against_local(title + ": layer 1", ("poly:2,3,2,2^2",), samples, target="hidden layer 1 with one neuron switched off")


def attention_forms_against_local_searches(samples: int) -> None:
    """One-token attention on three inputs: the edge of semidefinite forms of `attention:3,1,2,1`
    and the part of two key/query dimensions of `attention:3,1,3,1` against multistart local
    searches."""
    _exact_against_local("The edge of semidefinite forms in one-token attention against local searches", ("attention:3,1,2,1",), samples)
    _exact_against_local("The part of two key/query dimensions against local searches", ("attention:3,1,3,1",), samples, target="one dimension of the key/query space switched off")


def relu_searches_against_exact(samples: int) -> None:
    """ReLU networks with one hidden layer at input points: the local searches' edge decisions
    against the exact method on the same samples, before and after the revival of spent units
    (``_relu_revival``) and the look at the open pieces next to the searches' best parameters
    (``NetworkJob._drops_next_to``): how often the searches reach the exact nearest point, and
    their edge decisions where they do."""
    import neuromanifold._voronoi_networks as vn

    cases = [("relu:1,2,1", [[-1.3, -0.4, 0.2, 0.9, 1.7]]), ("relu:1,3,1", [[-1.3, -0.4, 0.2, 0.9, 1.7, 2.2]]), ("relu:2,2,1", np.random.default_rng(0).standard_normal((2, 6)).tolist())]
    _relu_exact_against_searches("ReLU local searches against the exact method", cases, samples, [(0, 0), (vn.RELU_SIDES, vn.RELU_REVIVALS)])


def relu_outputs_against_searches(samples: int) -> None:
    """One or two hidden neurons with several outputs (exact: the faces' eigenvectors of the
    captured energy, ``_core.RankOneFaces``; for two neurons on one input the critical points of
    each union of faces and the limits of two neurons merging, ``_relu_rank_one``) against
    the local searches on the same samples."""
    import neuromanifold._voronoi_networks as vn

    five, six = [[-1.3, -0.4, 0.2, 0.9, 1.7]], [[-1.3, -0.4, 0.2, 0.9, 1.7, 2.2]]
    cases = [("relu:1,1,2", five), ("relu:1,1,3", six), ("relu:2,1,2", np.random.default_rng(0).standard_normal((2, 6)).tolist()), ("relu:1,2,2", five), ("relu:1,2,3", six)]
    _relu_exact_against_searches("ReLU networks with several outputs: exact against local searches", cases, samples, [(vn.RELU_SIDES, vn.RELU_REVIVALS)])


def relu_pair_rates(samples: int) -> None:
    """The exact distances and edge decisions of two ReLU neurons with several outputs alone
    (unions of faces, their critical points and the limits of merging), against the local
    searches' distances alone, up to 100 input points; 2 threads."""
    import neuromanifold._voronoi_networks as vn
    from neuromanifold._voronoi_relu import ReluCells

    cases = [("relu:1,2,2", [-1.3, -0.4, 0.2, 0.9, 1.7]), ("relu:1,2,3", [-1.3, -0.4, 0.2, 0.9, 1.7, 2.2])]
    cases += [("relu:1,2,2", np.linspace(-2, 2, k).tolist()) for k in (12, 45, 100)]
    print(f"\nTwo ReLU neurons with several outputs, exact against local searches, boundary, {samples} samples, 2 threads\n")
    print("| variety | unions of two cones | edge: exact | undecided | samples/s: exact, searches |")
    print("|---|---|---|---|---|")
    with _threads(2):
        for spec, x in cases:
            M = nm.NeuromanifoldAt(nm.parse(spec), np.array([x]))
            job = vn.NetworkJob.create(M, "boundary", nm.Gaussian(), 0, samples, "exhaustive", samples)
            U = job.samples(0)
            pairs = sum(len(cones) == 2 for cones, _ in ReluCells.of(M).plans)  # built once per network
            start = time.perf_counter()
            job._relu_distances(U)
            rate = samples / (time.perf_counter() - start)
            decided = job.decide(U, 0)
            local = vn.NetworkJob.create(M, "boundary", nm.Gaussian(), 0, samples, "multistart", samples)
            start = time.perf_counter()
            local._multistart_distances(U, 0)
            searched = samples / (time.perf_counter() - start)
            print(f"| {spec} at {len(x)} points | {pairs:,} | {int((decided == 1).sum())} | {int((decided < 0).sum())} | {_rate(rate)}: {_rate(searched)} |")


def _relu_exact_against_searches(title: str, cases: list[tuple[str, list[list[float]]]], samples: int, variants: list[tuple[int, int]]) -> None:
    """For each network and points: how often the searches (each variant: RELU_SIDES,
    RELU_REVIVALS) reach the exact distance, the exact edge decisions there, the searches'
    mismatches there, the edge hits of both, and both rates (2 threads)."""
    import neuromanifold._voronoi_networks as vn

    both = " (before / after)" if len(variants) > 1 else ""
    print(f"\n{title}, boundary, {samples} samples, 2 threads{both}\n")
    print("| variety | searches reach the exact distance | edge there (exact) | mismatches there | edge hits: exact, searches | samples/s: exact, searches |")
    print("|---|---|---|---|---|---|")
    kept = vn.RELU_SIDES, vn.RELU_REVIVALS
    with _threads(2):
        for spec, X in cases:
            M = nm.NeuromanifoldAt(nm.parse(spec), np.array(X))
            exact = vn.NetworkJob.create(M, "boundary", nm.Gaussian(), 0, samples, "exhaustive", samples)
            U = exact.samples(0)
            start = time.perf_counter()
            E, drop = exact._relu_distances(U)
            exact_rate = samples / (time.perf_counter() - start)
            hits = int((exact.decide(U, 0) == 1).sum())
            rows = []
            for sides, revivals in variants:
                try:
                    vn.RELU_SIDES, vn.RELU_REVIVALS = sides, revivals
                    local = vn.NetworkJob.create(M, "boundary", nm.Gaussian(), 0, samples, "multistart", samples)
                    start = time.perf_counter()
                    D, searched = local._multistart_distances(U, 0)
                    rate = samples / (time.perf_counter() - start)
                    decided = local.decide(U, 0)
                finally:
                    vn.RELU_SIDES, vn.RELU_REVIVALS = kept
                reached = D[:, 0] <= E[:, 0] * (1 + 1e-9) + 1e-12 * (U**2).sum(axis=1)
                rows.append((int(reached.sum()), int((drop[reached] == 1).sum()), int((searched[reached] != drop[reached]).sum()), int((decided == 1).sum()), _rate(rate)))
            cols = [" / ".join(str(r[k]) for r in rows) for k in range(5)]
            print(f"| {spec} at {len(X[0])} points | {cols[0]} | {cols[1]} | {cols[2]} | {hits}: {cols[3]} | {_rate(exact_rate)}: {cols[4]} |")


def attention_forms_on_four_inputs(samples: int) -> None:
    """One-token attention on four inputs ("exhaustive": X has 6532 critical points): the edge of
    `attention:4,1,3,1` and the part of three key/query dimensions of `attention:4,1,4,1`
    against multistart local searches."""
    _exact_against_local("The edge of semidefinite forms on four inputs against local searches", ("attention:4,1,3,1",), samples, exact_method="exhaustive")
    _exact_against_local(
        "The part of three key/query dimensions on four inputs against local searches",
        ("attention:4,1,4,1",),
        samples,
        exact_method="exhaustive",
        target="one dimension of the key/query space switched off",
    )
    _edge_against_network_fits("attention:4,1,3,1", max(1, samples // 5), 30)


def _edge_against_network_fits(spec: str, samples: int, starts: int) -> None:
    """The exact edge decisions against least-squares fits of the network's own parameters from
    ``starts`` random starts per sample (points of M_R: upper bounds on the distance): where the
    edge is missed no fit beats the exact distance to the rest and the best reach it; where it
    is hit the best fit beats the rest, at an S that is semidefinite."""
    from scipy.optimize import least_squares

    from neuromanifold._voronoi_attention_forms import AttentionFormsEdge

    net = nm.parse(spec)
    U = np.random.default_rng(21).standard_normal((samples, net.ambient_dim))
    decided, _, rest = AttentionFormsEdge(net, 0).decide_with_distances(U, 0)
    rng = np.random.default_rng(22)
    keys = net.a * net.d
    agree = 0
    for u, d, r in zip(U, decided, rest):
        fits = [least_squares(lambda t: net.mu(t) - u, rng.standard_normal(net.n_params), jac=lambda t: net.jacobian(t), xtol=1e-15, ftol=1e-15, gtol=1e-15) for _ in range(starts)]
        best = min(fits, key=lambda f: f.cost)
        Q, K = best.x[:keys].reshape(net.a, net.d), best.x[keys : 2 * keys].reshape(net.a, net.d)
        w = np.linalg.eigvalsh((K.T @ Q + Q.T @ K) / 2)
        if d == 0:
            agree += r * (1 - 1e-7) <= 2 * best.cost <= r * (1 + 1e-4)
        elif d == 1:
            agree += 2 * best.cost < r * (1 - 1e-4) and min(abs(w[0]), abs(w[-1])) < 1e-3 * abs(w).max()
    print(f"\n{spec}: {samples} standard normal samples, {int((decided == 1).sum())} on the edge, {int((decided < 0).sum())} undecided; the best of {starts} fits of the network agrees on {agree}\n")



def _exact_against_local(title: str, specs: tuple[str, ...], samples: int, exact_method: str = "auto", target: str = "boundary") -> None:
    """The exact boundary decisions (or another target's) against multistart local searches on
    the same samples (one chunk, the same seed), 2 threads. The first run solves its charts at
    generic data (kept by the process for the same network and seed): that setup is timed on
    one sample, and a second run of one sample is left out of the exact method's samples/s."""
    print(f"\n{title}, {samples} samples, 2 threads\n")
    print("| variety | exact: setup s | exact: samples/s | hits | undecided | local searches: samples/s | hits (local searches) | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    with _threads(2):
        for spec in specs:
            net = nm.parse(spec)
            _, one = _boundary_rate(net, 1, 1, method=exact_method, target=target)  # the generic solves and one sample
            setup = 1 / one
            _, again = _boundary_rate(net, 1, 1, method=exact_method, target=target)  # one sample, the solves kept
            exact, fast = _boundary_rate(net, samples, samples, method=exact_method, target=target)
            fast = (samples - 1) / max(samples / fast - 1 / again, 1e-9)
            local, slow = _boundary_rate(net, samples, samples, method="multistart", target=target)
            assert exact.exhaustive and not local.exhaustive
            print(f"| {spec} | {setup:.1f} | {_rate(fast)} | {exact.hits} | {exact.n_failed} | {_rate(slow)} | {local.hits} | {fast / slow:.2g}x |")


def _boundary_job(spec: str, samples: int, method: str) -> tuple[Any, np.ndarray]:
    """The boundary job of a network (standard normal samples, seed 0, one chunk) and its samples."""
    import neuromanifold._voronoi_networks as vn

    job = vn.NetworkJob.create(nm.parse(spec), "boundary", nm.Gaussian(), 0, samples, method, samples)
    return job, job.samples(0)


EDGE_RULE_SPECS = ("poly:2,2,1^3+bias", "poly:1,2,1^5+bias", "poly:2,2,1^4", "poly:3,2,2^2")


def edge_rule_against_exact(samples: int, specs: tuple[str, ...] = EDGE_RULE_SPECS) -> None:
    """The local searches' edge test against the exact decisions, on the same samples (one
    chunk, the same seed), 2 threads: a best point next to the edge (rank ratio of D mu at most
    1e-3) counted as the edge outright (the rule before), against the search going on from it
    and counting the edge only when the ratio keeps falling or is at most 1e-6; then with starts
    next to the edge of two merging neurons, more random starts for the samples counted for the
    edge, and with biases also the searches through the seams of neurons merging with the
    constant (the rules now), each row adding to the one before.
    Disagreements: samples where the local searches decide otherwise than the exact method."""
    import neuromanifold._voronoi_networks as vn

    print(f"\nThe local searches' edge test against exact decisions, {samples} samples, 2 threads\n")
    print("| variety | exact hits | rule | hits (local searches) | disagreements | samples/s |")
    print("|---|---|---|---|---|---|")
    search, heading, seams, edge_starts, restarts = vn._continued_search, vn.NetworkJob._heading_to_edge, vn.seams_available, vn.EDGE_STARTS, vn.EDGE_RESTARTS
    with _threads(2):
        for spec in specs:
            exact, U = _boundary_job(spec, samples, "auto")
            truth = exact.decide(U, 0)
            rules = ("outright", "searches go on", "starts next to the edge", "restarts at the edge") + (("through the seams",) if seams(exact.net) else ())
            for rule in rules:
                if rule == "outright":
                    vn._continued_search = lambda net_, V, theta: (np.full(len(V), np.inf), theta)  # type: ignore[assignment]
                    vn.NetworkJob._heading_to_edge = staticmethod(lambda before, after: np.ones(len(before), dtype=bool))  # type: ignore[method-assign]
                if rule in ("outright", "searches go on"):
                    vn.EDGE_STARTS = 0
                if rule in ("outright", "searches go on", "starts next to the edge"):
                    vn.EDGE_RESTARTS = 0
                if rule != "through the seams":
                    vn.seams_available = lambda net_: False  # type: ignore[assignment]
                try:
                    local, _ = _boundary_job(spec, samples, "multistart")
                    t0 = time.perf_counter()
                    decided = local.decide(U, 0)
                    rate = samples / (time.perf_counter() - t0)
                finally:
                    vn._continued_search, vn.NetworkJob._heading_to_edge = search, staticmethod(heading)  # type: ignore[method-assign]
                    vn.seams_available, vn.EDGE_STARTS, vn.EDGE_RESTARTS = seams, edge_starts, restarts  # type: ignore[assignment]
                wrong = int(((decided != truth) & (truth >= 0)).sum())
                print(f"| {spec} | {(truth == 1).sum()} | {rule} | {(decided == 1).sum()} | {wrong} | {_rate(rate)} |")


DEEP_SEAM_SPECS = ("poly:1,2,2,1^3+bias", "poly:2,2,2,1^2+bias")


def seams_in_deeper_networks(samples: int, specs: tuple[str, ...] = DEEP_SEAM_SPECS) -> None:
    """The local searches on MLPs with two hidden layers and biases (no exact method), with and
    without the searches through the seams of neurons merging with the next layer's biases, same
    samples, 2 threads: boundary hits, samples whose decision the seams changed, and among them
    those where the seam searches found a point of M strictly nearer (by MULTISTART_BEAT) than the
    network's own searches did, which then decided wrongly."""
    import neuromanifold._voronoi_networks as vn

    print(f"\nThe seams in deeper networks, {samples} samples, 2 threads\n")
    print("| variety | hits without seams | samples/s | hits with seams | samples/s | changed | of them strictly nearer |")
    print("|---|---|---|---|---|---|---|")
    seams = vn.seams_available
    with _threads(2):
        for spec in specs:
            job, U = _boundary_job(spec, samples, "multistart")
            (before, d_before, r0), (after, d_after, r1) = (_boundary_with(job, U, "seams_available", f) for f in (lambda net_: False, seams))
            changed = before != after
            nearer = changed & (d_after < d_before * (1 - vn.MULTISTART_BEAT))
            print(f"| {spec} | {(before == 1).sum()} | {_rate(r0)} | {(after == 1).sum()} | {_rate(r1)} | {changed.sum()} | {nearer.sum()} |")


def _boundary_with(job: Any, U: np.ndarray, name: str, value: Any) -> tuple[np.ndarray, np.ndarray, float]:
    """Boundary decisions of a local-search job on U with the module constant ``name`` of the
    network estimators set to ``value``: the decisions, the best squared distances to M and
    the samples per second."""
    import neuromanifold._voronoi_networks as vn

    old = getattr(vn, name)
    setattr(vn, name, value)
    try:
        t0 = time.perf_counter()
        D, drop = job.distances(U, 0)
        rate = len(U) / (time.perf_counter() - t0)
    finally:
        setattr(vn, name, old)
    return job.decide_from(D, drop, job.targets), D[:, 0], rate


DEEP_START_SPECS = ("poly:1,2,2,1^3+bias", "poly:2,2,2,1^3+bias", "poly:1,3,2,1^3+bias", "poly:2,2,2,1^2+bias", "poly:2,2,2,2^2")


def starts_in_deeper_networks(samples: int, specs: tuple[str, ...] = DEEP_START_SPECS, counts: tuple[int, ...] = (8, 32, 64)) -> None:
    """The local searches on MLPs with two hidden layers (no exact method) with 8, 32 and 64
    random starts, same samples, 2 threads: boundary hits, decisions changed against the first
    count, and samples whose best point on M got strictly nearer (by MULTISTART_BEAT)."""
    import neuromanifold._voronoi_networks as vn

    print(f"\nRandom starts in deeper networks, {samples} samples, 2 threads\n")
    print("| variety | starts | hits | changed | strictly nearer | samples/s |")
    print("|---|---|---|---|---|---|")
    with _threads(2):
        for spec in specs:
            job, U = _boundary_job(spec, samples, "multistart")
            first = None
            for count in counts:
                decided, smooth, rate = _boundary_with(job, U, "DEEP_STARTS", count)
                first = first or (decided, smooth)
                changed = int((decided != first[0]).sum())
                nearer = int((smooth < first[1] * (1 - vn.MULTISTART_BEAT)).sum())
                print(f"| {spec} | {count} | {(decided == 1).sum()} | {changed} | {nearer} | {_rate(rate)} |")


RECHECK_SPECS = ("poly:2,2,1^3+bias", "poly:1,2,1^5+bias", "poly:2,2,1^4", "poly:2,3,1^6")


def recheck_against_exact(samples: int, specs: tuple[str, ...] = RECHECK_SPECS) -> None:
    """Is the recheck a fair measure of the local searches' errors? On networks with an exact
    edge, the same samples decided by the exact method, by the local searches (salt 0, as in a
    run's first chunk) and by the local searches from the recheck's two independent starts:
    disagreements with the exact method against decisions changed between independent starts."""
    from neuromanifold.voronoi import _RECHECK_SALTS

    print(f"\nThe recheck against the exact decisions, {samples} samples, 2 threads\n")
    print("| variety | exact hits | disagreements with exact (local, 3 runs) | changed between runs (3 pairs) |")
    print("|---|---|---|---|")
    with _threads(2):
        for spec in specs:
            exact, U = _boundary_job(spec, samples, "auto")
            truth = exact.decide(U, 0)
            local, _ = _boundary_job(spec, samples, "multistart")
            runs = [local.decide(U, salt) for salt in (0, *_RECHECK_SALTS)]
            wrong = [int(((d != truth) & (truth >= 0)).sum()) for d in runs]
            pairs = [int((runs[i] != runs[j]).sum()) for i, j in ((0, 1), (0, 2), (1, 2))]
            print(f"| {spec} | {(truth == 1).sum()} | {', '.join(map(str, wrong))} | {', '.join(map(str, pairs))} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=lambda x: int(float(x)), default=2_000_000)
    ap.add_argument("--mlp-samples", type=lambda x: int(float(x)), default=10_000)
    ap.add_argument("--network-samples", type=lambda x: int(float(x)), default=2_000)
    ap.add_argument("--closed-form-samples", type=lambda x: int(float(x)), default=2_000)
    ap.add_argument("--local-samples", type=lambda x: int(float(x)), default=200)
    ap.add_argument("--arcs-samples", type=lambda x: int(float(x)), default=200)
    ap.add_argument("--arcs-large-samples", type=lambda x: int(float(x)), default=0)
    ap.add_argument("--derivative-samples", type=lambda x: int(float(x)), default=2_000)
    ap.add_argument("--join-samples", type=lambda x: int(float(x)), default=100)
    ap.add_argument("--join-outputs-samples", type=lambda x: int(float(x)), default=0)
    ap.add_argument("--biased-pair-samples", type=lambda x: int(float(x)), default=500)
    ap.add_argument("--cubed-cubics-samples", type=lambda x: int(float(x)), default=0)
    ap.add_argument("--quartic-pairs-samples", type=lambda x: int(float(x)), default=0)
    ap.add_argument("--quartic-pairs-three-outputs-samples", type=lambda x: int(float(x)), default=0)
    ap.add_argument("--free-quartic-pairs-samples", type=lambda x: int(float(x)), default=0)
    ap.add_argument("--parts-samples", type=lambda x: int(float(x)), default=0)
    ap.add_argument("--attention-forms-samples", type=lambda x: int(float(x)), default=0)
    ap.add_argument("--attention-four-samples", type=lambda x: int(float(x)), default=0)
    ap.add_argument("--relu-searches-samples", type=lambda x: int(float(x)), default=0)
    ap.add_argument("--relu-outputs-samples", type=lambda x: int(float(x)), default=0)
    ap.add_argument("--relu-pair-samples", type=lambda x: int(float(x)), default=0)
    ap.add_argument("--edge-rule-samples", type=lambda x: int(float(x)), default=0)
    ap.add_argument("--edge-rule-spec", action="append", help="a network for --edge-rule-samples (repeat; default: four with an exact edge)")
    ap.add_argument("--deep-seam-samples", type=lambda x: int(float(x)), default=0)
    ap.add_argument("--deep-seam-spec", action="append", help="a network for --deep-seam-samples (repeat)")
    ap.add_argument("--deep-start-samples", type=lambda x: int(float(x)), default=0)
    ap.add_argument("--recheck-samples", type=lambda x: int(float(x)), default=0)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}, cores {os.cpu_count()}; {subprocess.run(['uname', '-m'], capture_output=True, text=True).stdout.strip()}")
    if args.samples:
        cusp(args.samples, args.repeat)
    if args.mlp_samples:
        mlp(args.mlp_samples)
    if args.network_samples:
        networks(args.network_samples)
    if args.closed_form_samples:
        closed_forms(args.closed_form_samples)
    if args.local_samples:
        closed_forms_against_local_searches(args.local_samples)
    if args.arcs_samples:
        cofactor_arcs_against_local_searches(args.arcs_samples)
    if args.arcs_large_samples:
        cofactor_arcs_on_more_inputs(args.arcs_large_samples)
    if args.derivative_samples:
        derivative_edges_against_local_searches(args.derivative_samples)
    if args.join_samples:
        join_edges_against_local_searches(args.join_samples)
    if args.join_outputs_samples:
        join_edges_with_outputs_against_local_searches(args.join_outputs_samples)
    if args.biased_pair_samples:
        biased_pair_edges_against_local_searches(args.biased_pair_samples)
    if args.cubed_cubics_samples:
        cubed_cubics_against_local_searches(args.cubed_cubics_samples)
    if args.quartic_pairs_samples or args.quartic_pairs_three_outputs_samples:
        quartic_pairs_against_local_searches(args.quartic_pairs_samples, args.quartic_pairs_three_outputs_samples)
    if args.free_quartic_pairs_samples:
        free_quartic_pairs_against_local_searches(args.free_quartic_pairs_samples)
    if args.parts_samples:
        two_neuron_parts_against_local_searches(args.parts_samples)
    if args.attention_forms_samples:
        attention_forms_against_local_searches(args.attention_forms_samples)
    if args.relu_searches_samples:
        relu_searches_against_exact(args.relu_searches_samples)
    if args.relu_outputs_samples:
        relu_outputs_against_searches(args.relu_outputs_samples)
    if args.relu_pair_samples:
        relu_pair_rates(args.relu_pair_samples)
    if args.attention_four_samples:
        attention_forms_on_four_inputs(args.attention_four_samples)
    if args.edge_rule_samples:
        edge_rule_against_exact(args.edge_rule_samples, tuple(args.edge_rule_spec or EDGE_RULE_SPECS))
    if args.deep_seam_samples:
        seams_in_deeper_networks(args.deep_seam_samples, tuple(args.deep_seam_spec or DEEP_SEAM_SPECS))
    if args.deep_start_samples:
        starts_in_deeper_networks(args.deep_start_samples)
    if args.recheck_samples:
        recheck_against_exact(args.recheck_samples)


if __name__ == "__main__":
    main()
