//! Linear residual networks x -> (I + W_L) ... (I + W_1) x.

use std::fmt;

use super::{build_dense, Family, Subnetwork};
use crate::error::{Error, Result};
use crate::poly::{Poly, PolyBuilder};

#[derive(Clone, Debug, PartialEq)]
pub struct ResidualLinearNetwork {
    width: usize,
    layers: usize,
}

impl ResidualLinearNetwork {
    pub fn new(width: usize, layers: usize) -> Result<Self> {
        if width == 0 || layers == 0 {
            return Err(Error::InvalidArchitecture(format!(
                "a residual network needs positive width and layer count, got width {width}, layers {layers}"
            )));
        }
        Ok(ResidualLinearNetwork { width, layers })
    }
    pub fn width(&self) -> usize {
        self.width
    }
    pub fn layers(&self) -> usize {
        self.layers
    }
}

impl Family for ResidualLinearNetwork {
    fn n_params(&self) -> usize {
        self.layers * self.width * self.width
    }
    fn n_inputs(&self) -> usize {
        self.width
    }
    fn n_outputs(&self) -> usize {
        self.width
    }
    fn check_size(&self) -> Result<()> {
        super::check_coefficients(self.width, self.width, &[1].into(), "a layer")
    }
    fn build(&self, pb: &mut PolyBuilder) -> Result<Vec<Poly>> {
        build_dense(pb, &vec![self.width; self.layers + 1], false, None, true)
    }
    /// Between consecutive layers GL(n) acts: (I + W_{i+1}) G^-1 and G (I + W_i).
    fn symmetry_dim(&self) -> usize {
        (self.layers - 1) * self.width * self.width
    }
    fn symmetries(&self) -> Vec<String> {
        (1..self.layers)
            .map(|i| {
                format!(
                    "GL({n}) between layers {i} and {}: I+W{i} -> G (I+W{i}), I+W{} -> (I+W{}) G^-1",
                    i + 1,
                    i + 1,
                    i + 1,
                    n = self.width
                )
            })
            .collect()
    }
    /// A layer switched off (W_i = 0) is the identity: a residual network with one layer less.
    fn subnetworks(&self) -> Vec<Subnetwork> {
        if self.layers < 2 {
            return vec![];
        }
        let n2 = self.width * self.width;
        (0..self.layers)
            .map(|skip| Subnetwork {
                description: format!("layer {} switched off (W{} = 0)", skip + 1, skip + 1),
                architecture: ResidualLinearNetwork { width: self.width, layers: self.layers - 1 }.into(),
                embedding: (0..self.layers).filter(|&l| l != skip).flat_map(|l| l * n2..(l + 1) * n2).collect(),
            })
            .collect()
    }
    /// Every matrix is I + W for some W, so the image is all matrices.
    fn real_filling(&self) -> Option<bool> {
        Some(true)
    }
    fn contains(&self, _f: &[f64], _tol: f64) -> Result<bool> {
        Ok(true)
    }
}

impl fmt::Display for ResidualLinearNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "residual:{},{}", self.width, self.layers)
    }
}
