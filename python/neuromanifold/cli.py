"""Command line: ``neuromanifold dim SPEC`` and ``neuromanifold analyze [SPEC]``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Sequence


from .architectures import Network, ReLUNetwork
from .dimension import dimension
from .spec import SPEC_HELP, parse

DEFAULT_ARCHITECTURE = "poly:3,2,1^2"


def _algebraic(spec: str) -> Network:
    net = parse(spec)
    if isinstance(net, ReLUNetwork):
        raise ValueError("ReLU networks are not algebraic: they have no dimension report (use the Python API)")
    return net


def analyze(spec: str, seed: int = 0) -> dict[str, Any]:
    """The main job: dimension, symmetries and subnetwork strata of an architecture."""
    net = _algebraic(spec)
    report = dimension(net, seed=seed)
    strata = [
        {
            "description": s.description,
            "subnetwork": s.network.spec,
            "dim": s.dim,
            "codim": report.dim - s.dim,
        }
        for s in net.subnetworks(seed=seed)
    ]
    return {
        "architecture": net.spec,
        "n_params": net.n_params,
        "ambient_dim": net.ambient_dim,
        "n_monomials": int(net.monomials.shape[0]),
        "dimension": report.to_dict(),
        "symmetries": net.symmetries,
        "symmetry_dim": net.symmetry_dim,
        "subnetworks": strata,
    }


def _print_analysis(result: dict[str, Any]) -> None:
    d = result["dimension"]
    print(f"architecture     {result['architecture']}")
    print(f"parameters       {result['n_params']}")
    print(f"ambient          {result['ambient_dim']} ({result['n_monomials']} monomials per output)")
    gap = "full rank" if d["gap"] is None else f"gap {d['gap']:.3g}"
    print(f"dimension        {d['dim']} (numerical, {gap}); exact rank {d['exact_rank']} (certified lower bound)")
    print(f"expected         {d['expected']}  defect {d['defect']}  certified {'yes' if d['certified'] else 'no'}")
    filling = {True: "yes", False: "no", None: "undecided over the reals"}[d["filling"]]
    print(f"fiber dimension  {d['fiber_dim']}   filling {filling}")
    print(f"symmetries       (orbit dimension {result['symmetry_dim']})")
    for s in result["symmetries"] or ["none known"]:
        print(f"  - {s}")
    print("subnetwork strata (candidate singularities)")
    if not result["subnetworks"]:
        print("  none")
    for s in result["subnetworks"]:
        print(f"  - {s['description']}: {s['subnetwork']}, dim {s['dim']} (codim {s['codim']})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="neuromanifold",
        description="Neuroalgebraic geometry of neural network architectures.",
        epilog="Architecture specifications:\n" + SPEC_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_dim = sub.add_parser("dim", help="dimension report of a neuromanifold")
    p_dim.add_argument("spec", help="architecture, e.g. linear:4,2,3")
    p_an = sub.add_parser("analyze", help="dimension, symmetries and subnetwork strata (the main job)")
    p_an.add_argument("spec", nargs="?", default=DEFAULT_ARCHITECTURE, help=f"architecture (default {DEFAULT_ARCHITECTURE})")
    for p in (p_dim, p_an):
        p.add_argument("--seed", type=int, default=0, help="seed of the random parameters (default 0)")
        p.add_argument("--json", action="store_true", help="print JSON for machines")
    args = parser.parse_args(argv)
    try:
        if args.command == "dim":
            report = dimension(_algebraic(args.spec), seed=args.seed)
            print(json.dumps(report.to_dict(), indent=2) if args.json else report)
        else:
            result = analyze(args.spec, seed=args.seed)
            if args.json:
                print(json.dumps(result, indent=2))
            else:
                _print_analysis(result)
    except (ValueError, TypeError, NotImplementedError) as e:
        print(f"neuromanifold: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
