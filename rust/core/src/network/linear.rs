//! Linear networks x -> W_L ... W_1 x: the neuromanifold is the determinantal variety of
//! d_L x d_0 matrices of rank at most r = min widths.

use std::fmt;

use super::{build_dense, check_widths, dense_subnetworks, join, Family, Subnetwork};
use crate::error::Result;
use crate::poly::{Poly, PolyBuilder};
use crate::rank::numerical_rank;

#[derive(Clone, Debug, PartialEq)]
pub struct LinearNetwork {
    widths: Vec<usize>,
}

impl LinearNetwork {
    pub fn new(widths: &[usize]) -> Result<Self> {
        check_widths(widths, "a linear network", 2)?;
        Ok(LinearNetwork { widths: widths.to_vec() })
    }
    pub fn widths(&self) -> &[usize] {
        &self.widths
    }
    /// The rank bound r = min widths.
    pub fn rank_bound(&self) -> usize {
        *self.widths.iter().min().unwrap()
    }
}

/// dim {rank <= r} in m x n matrices: r (m + n - r).
pub fn determinantal_dim(m: usize, n: usize, r: usize) -> usize {
    let r = r.min(m).min(n);
    r * (m + n - r)
}

impl Family for LinearNetwork {
    fn n_params(&self) -> usize {
        self.widths.windows(2).map(|w| w[0] * w[1]).sum()
    }
    fn n_inputs(&self) -> usize {
        self.widths[0]
    }
    fn n_outputs(&self) -> usize {
        *self.widths.last().unwrap()
    }
    fn check_size(&self) -> Result<()> {
        super::check_coefficients(*self.widths.iter().max().unwrap(), self.widths[0], &[1].into(), "a layer")
    }
    fn build(&self, pb: &mut PolyBuilder) -> Result<Vec<Poly>> {
        build_dense(pb, &self.widths, false, None, false)
    }
    /// GL(d_i) acts between layers; its generic orbits are the generic fibers, of dimension
    /// N - r (d_0 + d_L - r).
    fn symmetry_dim(&self) -> usize {
        let (d0, dl) = (self.widths[0], *self.widths.last().unwrap());
        self.n_params() - determinantal_dim(dl, d0, self.rank_bound())
    }
    fn symmetries(&self) -> Vec<String> {
        let l = self.widths.len() - 1;
        (1..l)
            .map(|i| {
                format!(
                    "GL({}) between layers {i} and {}: W{i} -> G W{i}, W{} -> W{} G^-1",
                    self.widths[i],
                    i + 1,
                    i + 1,
                    i + 1
                )
            })
            .collect()
    }
    fn subnetworks(&self) -> Vec<Subnetwork> {
        dense_subnetworks(&self.widths, false, |w| {
            (format!(" (rank <= {})", w.iter().min().unwrap()), LinearNetwork { widths: w }.into())
        })
    }
    fn real_filling(&self) -> Option<bool> {
        let (d0, dl) = (self.widths[0], *self.widths.last().unwrap());
        Some(self.rank_bound() == d0.min(dl))
    }
    fn contains(&self, f: &[f64], tol: f64) -> Result<bool> {
        let (d0, dl) = (self.widths[0], *self.widths.last().unwrap());
        let (rank, _) = numerical_rank(f, dl, d0, tol)?;
        Ok(rank <= self.rank_bound())
    }
}

impl fmt::Display for LinearNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "linear:{}", join(&self.widths))
    }
}
