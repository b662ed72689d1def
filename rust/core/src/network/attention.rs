//! Lightning self-attention X -> V X X^T K^T Q X with Q, K in R^{a x d}, V in R^{d' x d}.
//! Inputs are the entries of X (d x t, row-major), outputs those of the d' x t result.

use std::fmt;

use super::linear::determinantal_dim;
use super::{check_coefficients, Family, Subnetwork};
use crate::error::{Error, Result};
use crate::poly::{Poly, PolyBuilder};

#[derive(Clone, Debug, PartialEq)]
pub struct LightningAttention {
    d: usize,
    d_out: usize,
    a: usize,
    t: usize,
}

impl LightningAttention {
    pub fn new(d: usize, d_out: usize, a: usize, t: usize) -> Result<Self> {
        if d == 0 || d_out == 0 || a == 0 || t == 0 {
            return Err(Error::InvalidArchitecture(format!(
                "attention sizes must be positive, got d={d}, d_out={d_out}, a={a}, t={t}"
            )));
        }
        Ok(LightningAttention { d, d_out, a, t })
    }
    pub fn sizes(&self) -> (usize, usize, usize, usize) {
        (self.d, self.d_out, self.a, self.t)
    }
}

impl Family for LightningAttention {
    fn n_params(&self) -> usize {
        2 * self.a * self.d + self.d_out * self.d
    }
    fn n_inputs(&self) -> usize {
        self.d * self.t
    }
    fn n_outputs(&self) -> usize {
        self.d_out * self.t
    }
    fn check_size(&self) -> Result<()> {
        check_coefficients(self.n_outputs().max(self.d * self.d), self.n_inputs(), &[3].into(), "the cubic map")
    }
    fn build(&self, pb: &mut PolyBuilder) -> Result<Vec<Poly>> {
        let (d, dout, a, t) = (self.d, self.d_out, self.a, self.t);
        let q = |i: usize, j: usize| i * d + j;
        let k = |i: usize, j: usize| a * d + i * d + j;
        let v = |i: usize, j: usize| 2 * a * d + i * d + j;
        // M = K^T Q (d x d): only this product of K and Q matters
        let mut m = vec![0; d * d];
        for j in 0..d {
            for l in 0..d {
                let pairs: Vec<_> = (0..a).map(|s| (pb.slp.input(k(s, j)), pb.slp.input(q(s, l)))).collect();
                m[j * d + l] = pb.slp.dot(&pairs);
            }
        }
        let x: Vec<Poly> = (0..d * t).map(|i| pb.variable(i)).collect();
        let one = pb.slp.one();
        // Z = M X (d x t), linear in X
        let mut z = Vec::with_capacity(d * t);
        for j in 0..d {
            for c in 0..t {
                let terms: Vec<_> = (0..d).map(|l| (m[j * d + l], &x[l * t + c])).collect();
                z.push(pb.linear(&terms, None)?);
            }
        }
        // G = X X^T (d x d), quadratic in X
        let mut g = Vec::with_capacity(d * d);
        for i in 0..d {
            for j in 0..d {
                let mut acc = Poly::default();
                for s in 0..t {
                    let prod = pb.mul(&x[i * t + s], &x[j * t + s])?;
                    acc = pb.linear(&[(one, &acc), (one, &prod)], None)?;
                }
                g.push(acc);
            }
        }
        // W = V G (d' x d), then the output V G Z = W Z
        let mut w = Vec::with_capacity(dout * d);
        for p in 0..dout {
            for j in 0..d {
                let terms: Vec<_> = (0..d).map(|i| (pb.slp.input(v(p, i)), &g[i * d + j])).collect();
                w.push(pb.linear(&terms, None)?);
            }
        }
        let mut out = Vec::with_capacity(dout * t);
        for p in 0..dout {
            for c in 0..t {
                let mut acc = Poly::default();
                for j in 0..d {
                    let prod = pb.mul(&w[p * d + j], &z[j * t + c])?;
                    acc = pb.linear(&[(one, &acc), (one, &prod)], None)?;
                }
                out.push(acc);
            }
        }
        Ok(out)
    }
    /// f depends on (V, K^T Q) only, up to V -> c V, K^T Q -> K^T Q / c; K^T Q ranges over
    /// d x d matrices of rank <= min(a, d). GL(a) acts on (K, Q) with these orbits.
    fn symmetry_dim(&self) -> usize {
        let r = self.a.min(self.d);
        let effective = self.d_out * self.d + determinantal_dim(self.d, self.d, r) - 1;
        self.n_params().saturating_sub(effective)
    }
    fn symmetries(&self) -> Vec<String> {
        vec![
            format!("GL({}) acting on K and Q: Q -> G Q, K -> G^-T K", self.a),
            "rescaling: V -> t V, Q -> Q / t".into(),
        ]
    }
    /// One dimension of the attention head switched off (last rows of Q and K zero).
    fn subnetworks(&self) -> Vec<Subnetwork> {
        if self.a < 2 {
            return vec![];
        }
        let (d, a) = (self.d, self.a);
        let keep = |block: usize| (0..(a - 1) * d).map(move |i| block + i);
        let embedding = keep(0).chain(keep(a * d)).chain((2 * a * d)..self.n_params()).collect();
        vec![Subnetwork {
            description: "one dimension of the key/query space switched off".into(),
            architecture: LightningAttention { a: a - 1, ..self.clone() }.into(),
            embedding,
        }]
    }
    fn real_filling(&self) -> Option<bool> {
        None
    }
}

impl fmt::Display for LightningAttention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "attention:{},{},{},{}", self.d, self.d_out, self.a, self.t)
    }
}
