//! Polynomial activations sigma(z) = sum_k a_k z^k.

use std::fmt;

use crate::error::{Error, Result};

/// A polynomial activation, applied entrywise.
#[derive(Clone, Debug, PartialEq)]
pub struct Activation {
    coeffs: Vec<f64>,
}

impl Activation {
    /// sigma(z) = z^r.
    pub fn power(r: usize) -> Result<Self> {
        if r == 0 {
            return Err(Error::InvalidArchitecture("activation degree must be at least 1".into()));
        }
        let mut coeffs = vec![0.0; r + 1];
        coeffs[r] = 1.0;
        Ok(Activation { coeffs })
    }
    /// sigma(z) = a_0 + a_1 z + ... + a_k z^k; trailing zeros are dropped.
    pub fn from_coefficients(a: &[f64]) -> Result<Self> {
        if let Some(bad) = a.iter().find(|c| !c.is_finite()) {
            return Err(Error::NonFinite(format!("activation coefficient {bad}")));
        }
        let Some(last) = a.iter().rposition(|&c| c != 0.0) else {
            return Err(Error::InvalidArchitecture("activation is the zero polynomial".into()));
        };
        if last == 0 {
            return Err(Error::InvalidArchitecture("activation is constant; it must have degree at least 1".into()));
        }
        Ok(Activation { coeffs: a[..=last].to_vec() })
    }
    pub fn coefficients(&self) -> &[f64] {
        &self.coeffs
    }
    pub fn degree(&self) -> usize {
        self.coeffs.len() - 1
    }
    /// `Some(r)` when sigma(z) = c z^r: then rescaling a neuron's input by t rescales its
    /// output by t^r, a continuous symmetry of the network.
    pub fn monomial_degree(&self) -> Option<usize> {
        let nonzero: Vec<usize> = (0..self.coeffs.len()).filter(|&k| self.coeffs[k] != 0.0).collect();
        match nonzero.as_slice() {
            [r] => Some(*r),
            _ => None,
        }
    }
    /// Degrees present in sigma.
    pub fn degrees(&self) -> Vec<usize> {
        (0..self.coeffs.len()).filter(|&k| self.coeffs[k] != 0.0).collect()
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.monomial_degree() {
            Some(r) if self.coeffs[r] == 1.0 => write!(f, "{r}"),
            _ => {
                let parts: Vec<String> = self.coeffs.iter().map(|c| format!("{c}")).collect();
                write!(f, "({})", parts.join(","))
            }
        }
    }
}
