//! 1D convolutional networks: one filter per layer, y[j] = sum_m w[m] x[s j + m], with an
//! optional polynomial activation after every layer but the last.
//!
//! The input is a signal of the length of the receptive field, so that the output is a single
//! number; for linear networks mu is then the end-to-end filter, the polynomial product
//! w_1(z) w_2(z^{s_1}) w_3(z^{s_1 s_2}) ... with w(z) = sum_m w[m] z^m.

use std::collections::BTreeSet;
use std::fmt;

use super::{activation_degrees, check_coefficients, join, Activation, Family, Subnetwork};
use crate::error::{Error, Result};
use crate::poly::{Poly, PolyBuilder};
use crate::rank::real_root_count;

#[derive(Clone, Debug, PartialEq)]
pub struct ConvNetwork {
    filters: Vec<usize>,
    strides: Vec<usize>,
    activation: Option<Activation>,
}

impl ConvNetwork {
    /// `filters[i]` is the width k_i of layer i's filter, `strides[i]` its stride.
    pub fn new(filters: &[usize], strides: &[usize], activation: Option<Activation>) -> Result<Self> {
        if filters.is_empty() {
            return Err(Error::InvalidArchitecture("a convolutional network needs at least one filter".into()));
        }
        if let Some(i) = filters.iter().position(|&k| k == 0) {
            return Err(Error::InvalidArchitecture(format!("filter {i} has width zero; widths must be positive")));
        }
        if strides.len() != filters.len() {
            return Err(Error::InvalidArchitecture(format!(
                "{} strides given for {} filters",
                strides.len(),
                filters.len()
            )));
        }
        if let Some(i) = strides.iter().position(|&s| s == 0) {
            return Err(Error::InvalidArchitecture(format!("stride {i} is zero; strides must be positive")));
        }
        let net = ConvNetwork { filters: filters.to_vec(), strides: strides.to_vec(), activation };
        if net.receptive_field_f64() > 1e6 {
            return Err(Error::TooLarge("receptive field above 10^6 inputs".into()));
        }
        Ok(net)
    }
    pub fn filters(&self) -> &[usize] {
        &self.filters
    }
    pub fn strides(&self) -> &[usize] {
        &self.strides
    }
    pub fn activation(&self) -> Option<&Activation> {
        self.activation.as_ref()
    }
    fn receptive_field_f64(&self) -> f64 {
        let mut k = 1.0;
        let mut step = 1.0;
        for (&f, &s) in self.filters.iter().zip(&self.strides) {
            k += (f as f64 - 1.0) * step;
            step *= s as f64;
        }
        k
    }
    /// 1 + sum_i (k_i - 1) s_1 ... s_{i-1}.
    pub fn receptive_field(&self) -> usize {
        self.receptive_field_f64() as usize
    }
    fn is_linear(&self) -> bool {
        match &self.activation {
            None => true,
            Some(a) => a.monomial_degree() == Some(1) || self.filters.len() == 1,
        }
    }
    fn offsets(&self) -> Vec<usize> {
        let mut off = vec![0];
        for &k in &self.filters {
            off.push(off.last().unwrap() + k);
        }
        off
    }
}

impl Family for ConvNetwork {
    fn n_params(&self) -> usize {
        self.filters.iter().sum()
    }
    fn n_inputs(&self) -> usize {
        self.receptive_field()
    }
    fn n_outputs(&self) -> usize {
        1
    }
    fn check_size(&self) -> Result<()> {
        let n = self.receptive_field();
        let mut degrees: BTreeSet<usize> = [1].into();
        let mut len = n;
        for (l, (&k, &s)) in self.filters.iter().zip(&self.strides).enumerate() {
            len = (len - k) / s + 1;
            check_coefficients(len, n, &degrees, &format!("layer {}", l + 1))?;
            if let (Some(a), true) = (&self.activation, l + 1 < self.filters.len()) {
                degrees = activation_degrees(&degrees, a)?;
                check_coefficients(len, n, &degrees, &format!("activation {}", l + 1))?;
            }
        }
        Ok(())
    }
    fn build(&self, pb: &mut PolyBuilder) -> Result<Vec<Poly>> {
        let n = self.receptive_field();
        let off = self.offsets();
        let mut h: Vec<Poly> = (0..n).map(|i| pb.variable(i)).collect();
        let layers = self.filters.len();
        for l in 0..layers {
            let (k, s) = (self.filters[l], self.strides[l]);
            let len = (h.len() - k) / s + 1;
            let mut next = Vec::with_capacity(len);
            for j in 0..len {
                let terms: Vec<_> = (0..k).map(|m| (pb.slp.input(off[l] + m), &h[s * j + m])).collect();
                next.push(pb.linear(&terms, None)?);
            }
            if let (Some(a), true) = (&self.activation, l + 1 < layers) {
                next = next.iter().map(|p| pb.activation(p, a.coefficients())).collect::<Result<_>>()?;
            }
            h = next;
        }
        Ok(h)
    }
    /// Rescaling filter i by t and filter i+1 by t^-r (r the activation degree, 1 if linear).
    fn symmetry_dim(&self) -> usize {
        match &self.activation {
            Some(a) if a.monomial_degree().is_none() && self.filters.len() > 1 => 0,
            _ => self.filters.len() - 1,
        }
    }
    fn symmetries(&self) -> Vec<String> {
        if self.symmetry_dim() == 0 {
            return vec![];
        }
        let r = self.activation.as_ref().and_then(|a| a.monomial_degree()).unwrap_or(1);
        (1..self.filters.len())
            .map(|i| format!("rescaling: filter {i} times t, filter {} times t^-{r}", i + 1))
            .collect()
    }
    /// A filter whose first or last tap vanishes acts as a shorter filter.
    fn subnetworks(&self) -> Vec<Subnetwork> {
        let off = self.offsets();
        let mut out = Vec::new();
        for (i, &k) in self.filters.iter().enumerate() {
            if k < 2 {
                continue;
            }
            let mut f = self.filters.clone();
            f[i] -= 1;
            let sub = ConvNetwork { filters: f, strides: self.strides.clone(), activation: self.activation.clone() };
            for (end, skipped) in [("last", k - 1), ("first", 0)] {
                let embedding = (0..self.n_params()).filter(|&p| p != off[i] + skipped).collect();
                out.push(Subnetwork {
                    description: format!("filter {} with its {end} tap switched off", i + 1),
                    architecture: sub.clone().into(),
                    embedding,
                });
            }
        }
        out
    }
    /// Linear, stride 1: real end-to-end filters factor into real filters of widths k_i iff
    /// at most one width is even (odd-degree factors need a real root each).
    fn real_filling(&self) -> Option<bool> {
        if self.is_linear() && self.strides.iter().all(|&s| s == 1) {
            Some(self.filters.iter().filter(|&&k| k % 2 == 0).count() <= 1)
        } else {
            None
        }
    }
    fn contains(&self, f: &[f64], tol: f64) -> Result<bool> {
        if !(self.is_linear() && self.strides.iter().all(|&s| s == 1)) {
            return Err(Error::Unsupported(
                "membership is implemented for linear convolutional networks with stride 1".into(),
            ));
        }
        if f.iter().all(|&c| c == 0.0) {
            return Ok(true);
        }
        // A real polynomial of degree D = sum (k_i - 1) with rho real roots (roots at infinity
        // included) factors into real factors of degrees k_i - 1 iff rho >= #odd degrees.
        let odd = self.filters.iter().filter(|&&k| (k - 1) % 2 == 1).count();
        let rho = real_root_count(f, tol)?;
        Ok(rho >= odd)
    }
}

impl fmt::Display for ConvNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conv:{}", join(&self.filters))?;
        if self.strides.iter().any(|&s| s != 1) {
            write!(f, "/{}", join(&self.strides))?;
        }
        if let Some(a) = &self.activation {
            write!(f, "^{a}")?;
        }
        Ok(())
    }
}
