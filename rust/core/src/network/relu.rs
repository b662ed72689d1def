//! ReLU networks: piecewise linear, not algebraic, so they are seen through their values at
//! given input points: theta -> (f_theta(x_1), ..., f_theta(x_n)).

use std::fmt;

use rayon::prelude::*;

use super::{check_finite, check_widths, dense_offsets, join};
use crate::error::{Error, Result};
use crate::scalar::{Dual, Scalar};
use crate::slp::LANES;

/// Real scalars with the sign test ReLU needs.
pub trait RealScalar: Scalar {
    fn is_positive(self) -> bool;
}
impl RealScalar for f64 {
    #[inline(always)]
    fn is_positive(self) -> bool {
        self > 0.0
    }
}
impl<const K: usize> RealScalar for Dual<f64, K> {
    #[inline(always)]
    fn is_positive(self) -> bool {
        self.re > 0.0
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReLUNetwork {
    widths: Vec<usize>,
    bias: bool,
}

impl ReLUNetwork {
    pub fn new(widths: &[usize], bias: bool) -> Result<Self> {
        check_widths(widths, "a ReLU network", 2)?;
        Ok(ReLUNetwork { widths: widths.to_vec(), bias })
    }
    pub fn widths(&self) -> &[usize] {
        &self.widths
    }
    pub fn bias(&self) -> bool {
        self.bias
    }
    pub fn n_params(&self) -> usize {
        *dense_offsets(&self.widths, self.bias).last().unwrap()
    }
    pub fn n_inputs(&self) -> usize {
        self.widths[0]
    }
    pub fn n_outputs(&self) -> usize {
        *self.widths.last().unwrap()
    }

    /// Forward pass at one point `x` (length d_0), ReLU after every layer but the last.
    fn forward<S: RealScalar>(&self, theta: &[S], x: &[S], buf: &mut Vec<S>, next: &mut Vec<S>) {
        let offsets = dense_offsets(&self.widths, self.bias);
        buf.clear();
        buf.extend_from_slice(x);
        let layers = self.widths.len() - 1;
        for l in 0..layers {
            let (din, dout) = (self.widths[l], self.widths[l + 1]);
            next.clear();
            for r in 0..dout {
                let row = &theta[offsets[l] + r * din..offsets[l] + (r + 1) * din];
                let mut acc = if self.bias { theta[offsets[l] + din * dout + r] } else { S::zero() };
                for (w, h) in row.iter().zip(buf.iter()) {
                    acc += *w * *h;
                }
                if l + 1 < layers && !acc.is_positive() {
                    acc = S::zero();
                }
                next.push(acc);
            }
            std::mem::swap(buf, next);
        }
    }

    fn check(&self, theta: &[f64], x: &[f64], n_points: usize) -> Result<()> {
        if theta.len() != self.n_params() {
            return Err(Error::Shape(format!(
                "parameter vector has length {}, expected {}",
                theta.len(),
                self.n_params()
            )));
        }
        if x.len() != self.n_inputs() * n_points {
            return Err(Error::Shape(format!(
                "input array has {} entries, expected {} x {n_points}",
                x.len(),
                self.n_inputs()
            )));
        }
        check_finite(theta, "parameters")?;
        check_finite(x, "input points")
    }

    /// f_theta at the columns of `x` (row-major d_0 x n_points); result d_L x n_points.
    pub fn evaluate(&self, theta: &[f64], x: &[f64], n_points: usize) -> Result<Vec<f64>> {
        self.check(theta, x, n_points)?;
        let (d0, dl) = (self.n_inputs(), self.n_outputs());
        let mut out = vec![0.0; dl * n_points];
        let (mut buf, mut next, mut point) = (Vec::new(), Vec::new(), vec![0.0; d0]);
        for p in 0..n_points {
            for i in 0..d0 {
                point[i] = x[i * n_points + p];
            }
            self.forward(theta, &point, &mut buf, &mut next);
            for o in 0..dl {
                out[o * n_points + p] = buf[o];
            }
        }
        Ok(out)
    }

    /// Jacobian of theta -> f_theta(X): rows indexed by (output o, point p) as o * n_points + p,
    /// N columns. At a kink the one-sided derivative with ReLU'(0) = 0 is used.
    pub fn jacobian(&self, theta: &[f64], x: &[f64], n_points: usize) -> Result<Vec<f64>> {
        self.check(theta, x, n_points)?;
        let (n, d0, dl) = (self.n_params(), self.n_inputs(), self.n_outputs());
        let mut jac = vec![0.0; dl * n_points * n];
        let rows_per_point: Vec<(usize, Vec<f64>)> = (0..n_points)
            .into_par_iter()
            .map(|p| {
                let point: Vec<Dual<f64, LANES>> = (0..d0).map(|i| Dual::constant(x[i * n_points + p])).collect();
                let mut block = vec![0.0; dl * n];
                let (mut buf, mut next) = (Vec::new(), Vec::new());
                for lo in (0..n).step_by(LANES) {
                    let hi = (lo + LANES).min(n);
                    let seeds: Vec<Dual<f64, LANES>> = theta
                        .iter()
                        .enumerate()
                        .map(
                            |(j, &v)| {
                                if (lo..hi).contains(&j) {
                                    Dual::variable(v, j - lo)
                                } else {
                                    Dual::constant(v)
                                }
                            },
                        )
                        .collect();
                    self.forward(&seeds, &point, &mut buf, &mut next);
                    for o in 0..dl {
                        block[o * n + lo..o * n + hi].copy_from_slice(&buf[o].eps[..hi - lo]);
                    }
                }
                (p, block)
            })
            .collect();
        for (p, block) in rows_per_point {
            for o in 0..dl {
                let row = (o * n_points + p) * n;
                jac[row..row + n].copy_from_slice(&block[o * n..(o + 1) * n]);
            }
        }
        Ok(jac)
    }
}

impl fmt::Display for ReLUNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "relu:{}{}", join(&self.widths), if self.bias { "" } else { "+nobias" })
    }
}
