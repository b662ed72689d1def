//! # neuromanifold
//!
//! Computational neuroalgebraic geometry: a network architecture is a polynomial map
//! mu: theta -> f_theta whose image is the neuromanifold. This crate compiles mu into a
//! straight-line program, evaluates it over any [`Scalar`] (real, complex, prime field,
//! dual numbers), and computes dimensions, fibers and subnetwork strata.
//!
//! ```
//! use neuromanifold::{dimension, Activation, Network, PolynomialNetwork};
//! let arch = PolynomialNetwork::new(&[3, 2, 1], Activation::power(2).unwrap(), false).unwrap();
//! let net = Network::new(arch).unwrap();
//! let report = dimension(&net, 0).unwrap();
//! assert_eq!((report.dim, report.expected), (5, 6)); // sums of two squares: defective
//! ```

pub mod ddouble;
pub mod dimension;
pub mod error;
pub mod homotopy;
pub mod network;
pub mod poly;
pub mod random;
pub mod rank;
pub mod scalar;
pub mod slp;
pub mod spec;
pub mod system;
pub mod voronoi;

pub use dimension::{dimension, exact_rank, jacobian_rank, stratum_dimension, DimensionReport};
pub use error::{Error, Result};
pub use homotopy::monodromy::{monodromy_solve, MonodromyOptions, MonodromyResult};
pub use homotopy::{solve, track_parameters, PathResult, PathStatus, SolveOptions, Start};
pub use network::{
    Activation, Architecture, ConvNetwork, LightningAttention, LinearNetwork, Network, PolynomialNetwork, ReLUNetwork,
    ResidualLinearNetwork, Subnetwork,
};
pub use scalar::{Complex64, Dual, Fp, Scalar};
pub use spec::{parse, Spec};
pub use system::{System, Term};
