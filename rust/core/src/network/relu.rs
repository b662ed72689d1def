//! ReLU networks: piecewise linear, not algebraic, so they are seen through their values at
//! given input points: theta -> (f_theta(x_1), ..., f_theta(x_n)).

use std::fmt;

use rayon::prelude::*;

use super::{check_finite, check_widths, dense_neuron_embedding, dense_offsets, join};
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

/// Buffers of the forward passes (reused across calls in inner loops).
#[derive(Default)]
pub(crate) struct ReluScratch {
    point: Vec<f64>,
    buf: Vec<f64>,
    next: Vec<f64>,
    dual_point: Vec<Dual<f64, LANES>>,
    seeds: Vec<Dual<f64, LANES>>,
    dual_buf: Vec<Dual<f64, LANES>>,
    dual_next: Vec<Dual<f64, LANES>>,
    block: Vec<f64>,
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
        self.forward_with(theta, x, buf, next, None, None);
    }

    /// Hidden units, layer by layer (the length of an activation pattern at one point).
    pub(crate) fn hidden_units(&self) -> usize {
        self.widths[1..self.widths.len() - 1].iter().sum()
    }

    /// Forward pass with the activation pattern given (one flag per hidden unit, true = active)
    /// instead of the sign test when `pattern` is Some; the hidden pre-activations go to `pre`
    /// when given.
    fn forward_with<S: RealScalar>(
        &self,
        theta: &[S],
        x: &[S],
        buf: &mut Vec<S>,
        next: &mut Vec<S>,
        pattern: Option<&[bool]>,
        mut pre: Option<&mut Vec<S>>,
    ) {
        let offsets = dense_offsets(&self.widths, self.bias);
        buf.clear();
        buf.extend_from_slice(x);
        if let Some(p) = pre.as_deref_mut() {
            p.clear();
        }
        let layers = self.widths.len() - 1;
        let mut unit = 0;
        for l in 0..layers {
            let (din, dout) = (self.widths[l], self.widths[l + 1]);
            next.clear();
            for r in 0..dout {
                let row = &theta[offsets[l] + r * din..offsets[l] + (r + 1) * din];
                let mut acc = if self.bias { theta[offsets[l] + din * dout + r] } else { S::zero() };
                for (w, h) in row.iter().zip(buf.iter()) {
                    acc += *w * *h;
                }
                if l + 1 < layers {
                    if let Some(p) = pre.as_deref_mut() {
                        p.push(acc);
                    }
                    let active = match pattern {
                        Some(flags) => flags[unit],
                        None => acc.is_positive(),
                    };
                    if !active {
                        acc = S::zero();
                    }
                    unit += 1;
                }
                next.push(acc);
            }
            std::mem::swap(buf, next);
        }
    }

    /// Hidden pre-activations at every point (n_points x hidden units) into `pre`.
    pub(crate) fn preactivations_into(
        &self,
        theta: &[f64],
        x: &[f64],
        n_points: usize,
        pre: &mut Vec<f64>,
        s: &mut ReluScratch,
    ) {
        let (d0, h) = (self.n_inputs(), self.hidden_units());
        pre.clear();
        s.point.resize(d0, 0.0);
        let mut unit_pre = Vec::with_capacity(h);
        for p in 0..n_points {
            for i in 0..d0 {
                s.point[i] = x[i * n_points + p];
            }
            self.forward_with(theta, &s.point, &mut s.buf, &mut s.next, None, Some(&mut unit_pre));
            pre.extend_from_slice(&unit_pre);
        }
    }

    /// With a fixed activation pattern (n_points x hidden units): the values (d_L x n_points)
    /// and their Jacobian ((d_L n_points) x N), and the pre-activations of the units `kinks`
    /// ((point, unit) pairs) with their Jacobian (kinks x N). Exact derivatives of the
    /// polynomial map of that pattern, by dual numbers.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn pattern_jacobians(
        &self,
        theta: &[f64],
        x: &[f64],
        n_points: usize,
        pattern: &[bool],
        kinks: &[(usize, usize)],
        values: &mut [f64],
        jac: &mut [f64],
        kink_values: &mut [f64],
        kink_jac: &mut [f64],
        s: &mut ReluScratch,
    ) {
        let (n, d0, dl, h) = (self.n_params(), self.n_inputs(), self.n_outputs(), self.hidden_units());
        let mut pre: Vec<Dual<f64, LANES>> = Vec::with_capacity(h);
        for p in 0..n_points {
            dual_point(x, n_points, p, d0, &mut s.dual_point);
            let flags = &pattern[p * h..(p + 1) * h];
            for lo in (0..n).step_by(LANES) {
                let hi = (lo + LANES).min(n);
                seed_lanes(theta, lo, hi, &mut s.seeds);
                self.forward_with(
                    &s.seeds,
                    &s.dual_point,
                    &mut s.dual_buf,
                    &mut s.dual_next,
                    Some(flags),
                    Some(&mut pre),
                );
                for o in 0..dl {
                    values[o * n_points + p] = s.dual_buf[o].re;
                    let row = (o * n_points + p) * n;
                    jac[row + lo..row + hi].copy_from_slice(&s.dual_buf[o].eps[..hi - lo]);
                }
                for (k, &(kp, unit)) in kinks.iter().enumerate() {
                    if kp == p {
                        kink_values[k] = pre[unit].re;
                        kink_jac[k * n + lo..k * n + hi].copy_from_slice(&pre[unit].eps[..hi - lo]);
                    }
                }
            }
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
        let mut out = vec![0.0; self.n_outputs() * n_points];
        self.values_into(theta, x, n_points, &mut out, &mut ReluScratch::default());
        Ok(out)
    }

    /// `evaluate` into `out` (d_L x n_points) without checks: for inner loops.
    pub(crate) fn values_into(&self, theta: &[f64], x: &[f64], n_points: usize, out: &mut [f64], s: &mut ReluScratch) {
        let (d0, dl) = (self.n_inputs(), self.n_outputs());
        s.point.resize(d0, 0.0);
        for p in 0..n_points {
            for i in 0..d0 {
                s.point[i] = x[i * n_points + p];
            }
            self.forward(theta, &s.point, &mut s.buf, &mut s.next);
            for o in 0..dl {
                out[o * n_points + p] = s.buf[o];
            }
        }
    }

    /// The Jacobian rows of one point (d_L x N, row-major) into `block`, by dual numbers in
    /// chunks of LANES parameters.
    fn point_jacobian(
        &self,
        theta: &[f64],
        x: &[f64],
        n_points: usize,
        p: usize,
        block: &mut [f64],
        s: &mut ReluScratch,
    ) {
        let (n, d0, dl) = (self.n_params(), self.n_inputs(), self.n_outputs());
        dual_point(x, n_points, p, d0, &mut s.dual_point);
        for lo in (0..n).step_by(LANES) {
            let hi = (lo + LANES).min(n);
            seed_lanes(theta, lo, hi, &mut s.seeds);
            self.forward(&s.seeds, &s.dual_point, &mut s.dual_buf, &mut s.dual_next);
            for o in 0..dl {
                block[o * n + lo..o * n + hi].copy_from_slice(&s.dual_buf[o].eps[..hi - lo]);
            }
        }
    }

    /// `jacobian` into `out` ((d_L n_points) x N) without checks, on the calling thread.
    pub(crate) fn jacobian_into(
        &self,
        theta: &[f64],
        x: &[f64],
        n_points: usize,
        out: &mut [f64],
        s: &mut ReluScratch,
    ) {
        let (n, dl) = (self.n_params(), self.n_outputs());
        let mut block = std::mem::take(&mut s.block);
        block.resize(dl * n, 0.0);
        for p in 0..n_points {
            self.point_jacobian(theta, x, n_points, p, &mut block, s);
            for o in 0..dl {
                let row = (o * n_points + p) * n;
                out[row..row + n].copy_from_slice(&block[o * n..(o + 1) * n]);
            }
        }
        s.block = block;
    }

    /// Check parameters and points once before `values_into` / `jacobian_into` run many times.
    pub(crate) fn check_points(&self, x: &[f64], n_points: usize) -> Result<()> {
        self.check(&vec![0.0; self.n_params()], x, n_points)
    }

    /// One subnetwork per hidden layer of width >= 2, its last neuron switched off, with the
    /// positions of its parameters in this network's.
    pub fn subnetworks(&self) -> Vec<(usize, ReLUNetwork, Vec<usize>)> {
        (1..self.widths.len() - 1)
            .filter(|&layer| self.widths[layer] >= 2)
            .map(|layer| {
                let mut widths = self.widths.clone();
                widths[layer] -= 1;
                let emb = dense_neuron_embedding(&self.widths, self.bias, layer, self.widths[layer] - 1);
                (layer, ReLUNetwork { widths, bias: self.bias }, emb)
            })
            .collect()
    }

    /// Jacobian of theta -> f_theta(X): rows indexed by (output o, point p) as o * n_points + p,
    /// N columns. At a kink the one-sided derivative with ReLU'(0) = 0 is used.
    pub fn jacobian(&self, theta: &[f64], x: &[f64], n_points: usize) -> Result<Vec<f64>> {
        self.check(theta, x, n_points)?;
        let (n, dl) = (self.n_params(), self.n_outputs());
        let mut jac = vec![0.0; dl * n_points * n];
        let rows_per_point: Vec<(usize, Vec<f64>)> = (0..n_points)
            .into_par_iter()
            .map_init(ReluScratch::default, |scratch, p| {
                let mut block = vec![0.0; dl * n];
                self.point_jacobian(theta, x, n_points, p, &mut block, scratch);
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

/// Input point p of `x` (row-major d_0 x n_points) as dual constants.
fn dual_point(x: &[f64], n_points: usize, p: usize, d0: usize, out: &mut Vec<Dual<f64, LANES>>) {
    out.clear();
    out.extend((0..d0).map(|i| Dual::constant(x[i * n_points + p])));
}

/// The parameters as dual numbers whose derivative lanes are those of parameters lo..hi.
fn seed_lanes(theta: &[f64], lo: usize, hi: usize, out: &mut Vec<Dual<f64, LANES>>) {
    out.clear();
    out.extend(theta.iter().enumerate().map(|(j, &v)| {
        if (lo..hi).contains(&j) {
            Dual::variable(v, j - lo)
        } else {
            Dual::constant(v)
        }
    }));
}

impl fmt::Display for ReLUNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "relu:{}{}", join(&self.widths), if self.bias { "" } else { "+nobias" })
    }
}
