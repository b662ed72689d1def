"""Command line: ``neuromanifold dim SPEC``, ``neuromanifold analyze [SPEC]``,
``neuromanifold landscape [SPEC]`` and ``neuromanifold voronoi SPEC|CURVE|MAP``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Callable, Sequence


from .architectures import Network, ReLUNetwork
from ._voronoi_cells import voronoi_cell_bounds
from .dimension import dimension
from .spec import SPEC_HELP, parse

DEFAULT_ARCHITECTURE = "poly:3,2,1^2"


def _algebraic(spec: str) -> Network:
    net = parse(spec)
    if isinstance(net, ReLUNetwork):
        raise ValueError("ReLU networks are not algebraic: they have no dimension report (use the Python API)")
    return net


def _critical_summary(net: Network, seed: int, figures: str | None) -> dict[str, Any]:
    """ED degrees and the classified critical points of the distance to random data."""
    import numpy as np

    from .critical import critical_points
    from .ed import ed_degree
    from .losses import DistanceLoss

    target = np.random.default_rng([seed, 0xDA7A]).standard_normal(net.ambient_dim)
    points = critical_points(net, DistanceLoss(target), seed=seed)
    out: dict[str, Any] = {
        "ed_degree": ed_degree(net, seed=seed),
        "generic_ed_degree": ed_degree(net, weights="generic", seed=seed),
        "critical_points": {
            "data": "standard normal target, Euclidean distance",
            "method": points.method,
            "paths": points.paths,
            "summary": points.summary(),
            "real": [
                {"loss": float(p.loss), "kind": p.kind, "index": p.index, "pure": p.pure, "reason": p.reason, "global_min": p.global_min}
                for p in points.real
            ],
        },
        "figures": [],
    }
    if figures is not None:
        import os

        from .plot import critical_values

        os.makedirs(figures, exist_ok=True)
        out["figures"].append(critical_values(points, os.path.join(figures, "critical_values.png")))
    return out


def analyze(
    spec: str,
    seed: int = 0,
    figures: str | None = None,
    voronoi_samples: int = 300,
    inputs: str | None = None,
    on_section: Callable[[str, dict[str, Any]], None] | None = None,
    critical: bool = True,
) -> dict[str, Any]:
    """The main job: dimension, symmetries, subnetwork strata, ED degrees, the classified
    critical points of the distance to random data and the Voronoi probabilities of the lower
    strata; figures go to the folder ``figures``. A ReLU network is analysed at its ``inputs``
    (K random points or a file): functional dimension, strata, Voronoi cells and probabilities.
    ``on_section(name, result so far)`` is called as each part is done ("structure", "critical",
    "voronoi"): the structure is known at once, the critical points can take minutes (hours
    for large systems: ``critical=False`` leaves out the ED degrees and critical points)."""
    if ":" in spec and isinstance(parse(spec), ReLUNetwork):
        return _analyze_at_inputs(_relu_at_inputs(spec, inputs, seed), seed, voronoi_samples)
    if inputs is not None:
        raise ValueError(f"--inputs are the input points of a ReLU network, not of {spec!r}")
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
    result = _structure(net, report, strata)
    if on_section is not None:
        on_section("structure", result)
    if critical:
        result.update(_critical_summary(net, seed, figures))
    else:
        result.update({"ed_degree": None, "generic_ed_degree": None, "critical_points": None, "figures": []})
    if on_section is not None:
        on_section("critical", result)
    result["voronoi_cells"] = [b.to_dict() for b in voronoi_cell_bounds(net, seed)]
    result["voronoi"] = _voronoi_summary(net, seed, voronoi_samples)
    if on_section is not None:
        on_section("voronoi", result)
    return result


def _analyze_at_inputs(net: Any, seed: int, voronoi_samples: int) -> dict[str, Any]:
    """A ReLU network's values at input points: no polynomial map, so no ED degree; its
    functional dimension, subnetwork strata and Voronoi cells."""
    dim = net.dim(seed)
    hidden = sum(net.widths[1:-1])
    return {
        "architecture": net.spec,
        "inputs": net.n_points,
        "n_params": net.n_params,
        "ambient_dim": net.ambient_dim,
        "functional_dimension": dim,
        # each hidden neuron's positive rescaling keeps the function
        "expected": min(net.n_params - hidden, net.ambient_dim),
        "subnetworks": [
            {"description": s.description, "subnetwork": s.network.spec, "dim": s.dim, "codim": dim - s.dim}
            for s in net.subnetworks(seed=seed)
        ],
        "voronoi_cells": [b.to_dict() for b in voronoi_cell_bounds(net, seed)],
        "voronoi": _voronoi_summary(net, seed, voronoi_samples),
    }


def _print_analysis_at_inputs(result: dict[str, Any]) -> None:
    print(f"architecture     {result['architecture']} at {result['inputs']} input points")
    print(f"parameters       {result['n_params']}")
    print(f"ambient          {result['ambient_dim']} (its values at the inputs)")
    print(f"dimension        {result['functional_dimension']} (functional, the largest rank of D mu)   expected {result['expected']}")
    print("subnetwork strata (candidate singularities)")
    for s in result["subnetworks"] or [None]:
        print("  none" if s is None else f"  - {s['description']}: {s['subnetwork']}, dim {s['dim']} (codim {s['codim']})")
    _print_voronoi(result)


def _voronoi_summary(net: Network, seed: int, samples: int) -> list[dict[str, Any]]:
    """Voronoi probabilities of the lower strata for standard normal data."""
    from ._voronoi_networks import stratum_probabilities

    if samples <= 0:
        return []
    return [e.to_dict() for e in stratum_probabilities(net, samples, seed=seed)]


def _structure(net: Network, report: Any, strata: list[dict[str, Any]]) -> dict[str, Any]:
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
    for section in ("structure", "critical", "voronoi"):
        _print_section(section, result)


def _print_section(section: str, result: dict[str, Any]) -> None:
    """One part of the analysis as text, as soon as it is done (flushed: a pipe shows it too)."""
    {"structure": _print_structure, "critical": _print_critical, "voronoi": _print_voronoi_and_figures}[section](result)
    sys.stdout.flush()


def _print_structure(result: dict[str, Any]) -> None:
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


def _print_critical(result: dict[str, Any]) -> None:
    if result["critical_points"] is None:
        print("critical points  left out (--no-critical)")
        return
    print(f"ED degree        {result['ed_degree']} (Euclidean)   generic {result['generic_ed_degree']}")
    c = result["critical_points"]
    sm = c["summary"]
    print(f"critical points  of the distance to a random target ({c['method']}, {c['paths']} path{'s' if c['paths'] != 1 else ''}):")
    print(f"  {sm['points']} complex, {sm['real']} real: {sm['minimum']} minima, {sm['strict_saddle']} strict saddles, "
          f"{sm['nonstrict_saddle']} non-strict saddles, {sm['maximum']} maxima, {sm['degenerate']} degenerate; "
          f"{sm['pure']} pure, {sm['spurious']} spurious; {sm['failed_paths']} failed paths")
    for p in c["real"]:
        tag = ", global minimum" if p["global_min"] else ""
        print(f"  - loss {p['loss']:.6g}: {p['kind']} (index {p['index']}), {'pure' if p['pure'] else 'spurious'}: {p['reason']}{tag}")


def _print_voronoi_and_figures(result: dict[str, Any]) -> None:
    _print_voronoi(result)
    for f in result["figures"]:
        print(f"figure           {f}")


def _print_voronoi(result: dict[str, Any]) -> None:
    if result["voronoi_cells"]:
        print("voronoi cells    dimension bounds from the two-sided tangent directions of the real fibers")
    for b in result["voronoi_cells"]:
        if b["null"]:
            where = "every point" if b["everywhere"] else "generic points"
            print(f"  - {b['stratum']}: dim <= {b['cell_dim']} < {b['ambient_dim']} at {where}: probability 0")
        else:
            print(f"  - {b['stratum']}: no bound (directions span {b['two_sided_dim']} = dim of the stratum)")
    if result["voronoi"]:
        print("voronoi          P(nearest point of standard normal data in the stratum), 95% CI")
    for e in result["voronoi"]:
        note = " (certified)" if e["certificate"] else "" if e["exhaustive"] else " (multistart: not exhaustive)"
        if e.get("rechecked"):
            note = note[:-1] + f"; other starts changed {e['recheck_changed']} of {e['rechecked']})"
        print(f"  - {e['target']}: {e['p']:.4g} [{e['ci95'][0]:.4g}, {e['ci95'][1]:.4g}] from {e['n']} samples, {e['n_failed']} undecided{note}")


def _landscape(args: argparse.Namespace) -> int:
    from .landscape import landscape
    from .plot import landscape_heatmap

    weights = None if args.weights == "euclidean" else args.weights
    result = landscape(_algebraic(args.spec), samples=args.samples, weights=weights, seed=args.seed, progress=not args.json)
    png = landscape_heatmap(result, args.out)
    if args.json:
        print(json.dumps({
            "counts": [{"real": r, "local_minima": m, "instances": c} for (r, m), c in result.counts.items()],
            "table": result.table.tolist(),
            "samples": result.samples,
            "failed": result.failed,
            "complex_critical_points": result.n_complex,
            "figure": png,
        }, indent=2))
    else:
        print(result)
        print(f"heat map written to {png}")
    return 0


def _voronoi_variety(
    text: str, parameters: str | None = None, strata: Sequence[str] = (), points: Sequence[str] = (), inputs: str | None = None, seed: int = 0
) -> Any:
    """An architecture spec ('linear:2,1,2'; a ReLU spec with ``inputs``), a curve equation
    F(x, y), or a polynomial map 'phi_1; ...; phi_n' (components separated by ';').

    ``inputs`` are the input points of a ReLU network: a count K (K standard normal points from
    ``seed``) or a text file of d_0 rows (one column per point, as numpy.loadtxt reads it).

    A map is a parametrized variety in the parameters ``parameters`` ('s,t'; by default its
    symbols in alphabetical order), with strata 'NAME=phi_1; ...; phi_n' (in their own
    symbols; constant components make a point) and singular points 'x,y,...'. A map 'x(t); y(t)'
    in one parameter without any of these options is a plane curve, solved through its critical
    polynomial."""
    from .curves import PlaneCurve
    from .varieties import ParametrizedVariety

    if ":" in text and ";" not in text and isinstance(parse(text), ReLUNetwork):
        return _relu_at_inputs(text, inputs, seed)
    if inputs is not None:
        raise ValueError(f"--inputs are the input points of a ReLU network, not of {text!r}")
    options = parameters is not None or bool(strata) or bool(points)
    if ";" not in text and parameters is None:
        if options:
            raise ValueError(f"--stratum and --singular-point need a parametrized variety 'phi_1; ...; phi_n', got {text!r}")
        return _algebraic(text) if ":" in text else PlaneCurve(text)
    components = _components(text)
    names = _names(parameters) if parameters is not None else _symbols(components)
    if not options and len(components) == 2 and len(names) == 1:
        return PlaneCurve.parametrized(components[0], components[1], names[0])
    named = [_stratum(s) for s in strata]
    repeated = sorted({name for name, _ in named if sum(n == name for n, _ in named) > 1})
    if repeated:
        raise ValueError(f"strata named more than once: {', '.join(repeated)}")
    return ParametrizedVariety(components, names, singular_points=[_coordinates(p) for p in points] or None, strata=dict(named))


def _relu_at_inputs(spec: str, inputs: str | None, seed: int) -> Any:
    import numpy as np

    from .evaluation import NeuromanifoldAt

    net = parse(spec)
    assert isinstance(net, ReLUNetwork)
    if inputs is None:
        raise ValueError(f"{spec} is a ReLU network, seen through its values at input points: give --inputs K (random points) or --inputs FILE")
    if inputs.isdigit():
        X = np.random.default_rng([seed, 0x1A9]).standard_normal((net.n_inputs, int(inputs)))
    else:
        try:
            X = np.loadtxt(inputs, ndmin=2)
        except OSError as e:
            raise ValueError(f"cannot read input points from {inputs!r}: {e}") from None
    return NeuromanifoldAt(net, X)


def _components(text: str) -> list[str]:
    parts = [p.strip() for p in text.split(";")]
    if not all(parts):
        raise ValueError(f"a polynomial map is written 'phi_1; ...; phi_n' with no empty component, got {text!r}")
    return parts


def _names(text: str) -> list[str]:
    names = [p.strip() for p in text.split(",")]
    if not all(n.isidentifier() for n in names):
        raise ValueError(f"parameters are names separated by commas, e.g. 's,t', got {text!r}")
    return names


def _symbols(components: Sequence[str]) -> list[str]:
    """The symbols of the components, in alphabetical order."""
    import sympy

    found: set[str] = set()
    for c in components:
        try:
            found |= {str(x) for x in sympy.sympify(c).free_symbols}
        except (sympy.SympifyError, SyntaxError, TypeError, AttributeError, NameError) as e:
            raise ValueError(f"cannot parse component {c!r}: {e}") from None
    return sorted(found)


def _stratum(text: str) -> tuple[str, tuple[list[str], list[str]]]:
    """'NAME=phi_1; ...; phi_n' as (name, (components, parameters))."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise ValueError(f"a stratum is written NAME='phi_1; ...; phi_n', e.g. handle='0; 0; t**2', got {text!r}")
    components = _components(value)
    return name.strip(), (components, _symbols(components))


def _coordinates(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",")]
    except ValueError:
        raise ValueError(f"a point is written as coordinates 'x,y,...', got {text!r}") from None


def _voronoi_target(text: str) -> Any:
    if text in ("singular", "boundary"):
        return text
    parts = text.split(",")
    if len(parts) >= 2:
        try:
            return tuple(float(p) for p in parts)
        except ValueError:
            pass
    if text.isdigit():
        return int(text)
    return text


def _voronoi(args: argparse.Namespace) -> int:
    from .curves import PlaneCurve
    from .varieties import ParametrizedVariety
    from .voronoi import Gaussian, UniformBox, voronoi_mc

    variety = _voronoi_variety(args.variety, args.parameters, args.stratum, args.singular_point, args.inputs, args.seed)
    dist = Gaussian(args.scale) if args.distribution == "gaussian" else UniformBox(args.low, args.high)
    try:
        est = voronoi_mc(
            variety, _voronoi_target(args.target), args.samples, dist, seed=args.seed, progress=not args.quiet,
            checkpoint=args.checkpoint, method=args.method, recheck=args.recheck,
        )
    except KeyboardInterrupt:
        kept = f"; finished chunks are kept in {args.checkpoint}" if args.checkpoint else ""
        print(f"neuromanifold: interrupted{kept}", file=sys.stderr)
        return 130
    figure = None
    if args.plot:
        from .plot import voronoi

        # plane curves and parametrized varieties: samples from the run's distribution (for a
        # map into more than two dimensions, the coordinates on a random plane)
        drawn = dist if isinstance(variety, (PlaneCurve, ParametrizedVariety)) else None
        figure = voronoi(variety, args.plot, samples=min(20_000, int(args.samples)), distribution=drawn, seed=args.seed)
    if args.json:
        print(json.dumps({**est.to_dict(), "figure": figure}, indent=2))
    else:
        print(est)
        if figure:
            print(f"figure written to {figure}")
    return 0



def _count(text: str) -> int:
    """A number of samples as an integer or in scientific notation (1e7)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of samples such as 1000 or 1e7, got {text!r}") from None
    if not value.is_integer():
        raise argparse.ArgumentTypeError(f"expected a whole number of samples, got {text!r}")
    return int(value)

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
    p_an = sub.add_parser("analyze", help="dimension, symmetries, strata, ED degrees, critical points (the main job)")
    p_an.add_argument("spec", nargs="?", default=DEFAULT_ARCHITECTURE, help=f"architecture (default {DEFAULT_ARCHITECTURE})")
    p_an.add_argument("--figures", default="neuromanifold-figures", help="folder for figures (default neuromanifold-figures)")
    p_ls = sub.add_parser("landscape", help="real critical points and local minima over many random data sets")
    p_ls.add_argument("spec", nargs="?", default="linear:3,1,3", help="architecture (default linear:3,1,3)")
    p_ls.add_argument("--samples", type=_count, default=2000, help="number of data sets (default 2000)")
    p_ls.add_argument("--weights", choices=["generic", "euclidean"], default="generic", help="random weights or the plain distance")
    p_ls.add_argument("--out", default="landscape.png", help="heat-map PNG (default landscape.png)")
    p_vo = sub.add_parser("voronoi", help="probability that the nearest point of random data lies in a target (Monte Carlo)")
    p_vo.add_argument(
        "variety",
        help="architecture spec, curve equation 'y**2 - x**3', plane curve 't**2; t**3', or polynomial map 's*t; s; t**2' (any dimension)",
    )
    p_vo.add_argument("--target", default="singular", help="'singular', 'boundary', a point 'x,y,...', a stratum name or subnetwork index")
    p_vo.add_argument("--parameters", default=None, help="parameters of a polynomial map, e.g. 's,t' (default: its symbols, alphabetically)")
    p_vo.add_argument(
        "--stratum", action="append", default=[], metavar="NAME=MAP",
        help="a named stratum of a polynomial map, e.g. handle='0; 0; t**2' (constants: a point); repeatable",
    )
    p_vo.add_argument("--singular-point", action="append", default=[], metavar="X,Y,...", help="a singular point of a polynomial map; repeatable")
    p_vo.add_argument("--inputs", default=None, metavar="K|FILE", help="input points of a ReLU network: K random ones, or a file of d_0 rows")
    p_vo.add_argument("--samples", type=_count, default=100_000, help="number of samples, e.g. 1e7 (default 1e5)")
    p_vo.add_argument("--distribution", choices=["gaussian", "box"], default="gaussian", help="Gaussian (--scale) or uniform box (--low, --high)")
    p_vo.add_argument("--scale", type=float, default=1.0)
    p_vo.add_argument("--low", type=float, default=-1.0)
    p_vo.add_argument("--high", type=float, default=1.0)
    p_vo.add_argument("--method", choices=["auto", "exhaustive", "multistart", "certificate"], default="auto")
    p_vo.add_argument("--checkpoint", default=None, help="JSON file of finished chunks; a rerun resumes from it")
    p_vo.add_argument(
        "--recheck", type=int, default=None, metavar="K",
        help="local searches: decide K samples twice more from other random starts and report how many decisions change (default: a tenth of the samples, at most 100; 0: none)",
    )
    p_vo.add_argument("--plot", default=None, help="PNG of the samples coloured by the stratum of their nearest point (for maps into more than two dimensions, on a random plane)")
    p_vo.add_argument("--quiet", action="store_true", help="no progress bar")
    p_an.add_argument("--voronoi-samples", type=int, default=300, help="samples per Voronoi estimate of the strata (0: none)")
    p_an.add_argument("--no-critical", action="store_true", help="leave out the ED degrees and critical points (hours for large systems)")
    p_an.add_argument("--inputs", default=None, metavar="K|FILE", help="input points of a ReLU network: K random ones, or a file of d_0 rows")
    for p in (p_dim, p_an, p_ls, p_vo):
        p.add_argument("--seed", type=int, default=0, help="seed of the random parameters (default 0)")
        p.add_argument("--json", action="store_true", help="print JSON for machines")
    args = parser.parse_args(argv)
    try:
        if args.command == "landscape":
            return _landscape(args)
        if args.command == "voronoi":
            return _voronoi(args)
        if args.command == "dim":
            report = dimension(_algebraic(args.spec), seed=args.seed)
            print(json.dumps(report.to_dict(), indent=2) if args.json else report)
        else:
            # text: each part as soon as it is done
            streamed = None if args.json or args.inputs is not None else _print_section
            result = analyze(
                args.spec,
                seed=args.seed,
                figures=args.figures,
                voronoi_samples=args.voronoi_samples,
                inputs=args.inputs,
                on_section=streamed,
                critical=not args.no_critical,
            )
            if args.json:
                print(json.dumps(result, indent=2))
            elif "inputs" in result:
                _print_analysis_at_inputs(result)
    except (ValueError, TypeError, NotImplementedError) as e:
        print(f"neuromanifold: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
