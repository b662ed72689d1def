"""neuromanifold: computational neuroalgebraic geometry.

A network architecture is a polynomial map mu: theta -> f_theta from parameters to functions;
its image is the neuromanifold. This package computes mu, its Jacobians, the dimension of the
neuromanifold, its symmetries and subnetwork strata, all critical points of losses with their
classification, ED degrees and landscape statistics, with a Rust core.

>>> import neuromanifold as nm
>>> net = nm.PolynomialNetwork((3, 2, 1), activation=2)
>>> nm.dimension(net).dim
5
"""

from importlib.metadata import PackageNotFoundError, version

from ._core import NeuromanifoldError, get_num_threads, set_num_threads
from .architectures import (
    ConvNetwork,
    LightningAttention,
    LinearNetwork,
    Network,
    PolynomialNetwork,
    ReLUNetwork,
    ResidualLinearNetwork,
    Subnetwork,
)
from . import formulas, plot
from .curves import PlaneCurve
from .varieties import ParametrizedVariety
from .critical import CriticalPoint, CriticalPoints, classify, critical_points
from .dimension import DimensionReport, dimension, functional_dimension
from .evaluation import NeuromanifoldAt
from .ed import ed_degree
from .landscape import Landscape, landscape
from .losses import DistanceLoss, Loss, SquaredError
from .spec import parse
from ._voronoi_cells import VoronoiCellBound, voronoi_cell_bounds
from .voronoi import Gaussian, UniformBox, VoronoiEstimate, nearest_strata, stratum_names, voronoi_mc, voronoi_samples, wilson_interval
from .system import MonodromyResult, SolveResult, System, monodromy_solve, read_phcpack_solutions, solve, track

try:
    __version__ = version("neuromanifold")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "ConvNetwork",
    "Gaussian",
    "ParametrizedVariety",
    "PlaneCurve",
    "UniformBox",
    "VoronoiCellBound",
    "VoronoiEstimate",
    "voronoi_cell_bounds",
    "nearest_strata",
    "stratum_names",
    "voronoi_mc",
    "voronoi_samples",
    "wilson_interval",
    "CriticalPoint",
    "CriticalPoints",
    "DimensionReport",
    "DistanceLoss",
    "Landscape",
    "Loss",
    "SquaredError",
    "classify",
    "critical_points",
    "ed_degree",
    "formulas",
    "landscape",
    "plot",
    "LightningAttention",
    "LinearNetwork",
    "MonodromyResult",
    "Network",
    "NeuromanifoldAt",
    "NeuromanifoldError",
    "PolynomialNetwork",
    "ReLUNetwork",
    "ResidualLinearNetwork",
    "SolveResult",
    "Subnetwork",
    "System",
    "dimension",
    "functional_dimension",
    "get_num_threads",
    "monodromy_solve",
    "parse",
    "read_phcpack_solutions",
    "set_num_threads",
    "solve",
    "track",
]
