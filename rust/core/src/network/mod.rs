//! Architectures and their parametrization mu: theta -> coefficients of f_theta.
//!
//! Each family describes how to run the network on symbolic polynomials ([`PolyBuilder`]);
//! [`Network::new`] does so once and keeps the resulting straight-line program, which then
//! evaluates mu over any scalar: values, Jacobians (dual numbers), exact ranks (prime field).

mod activation;
mod attention;
mod conv;
mod linear;
mod polynomial;
mod relu;
mod residual;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::OnceLock;

use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

pub use activation::Activation;
pub use attention::LightningAttention;
pub use conv::ConvNetwork;
pub use linear::LinearNetwork;
pub use polynomial::PolynomialNetwork;
pub use relu::ReLUNetwork;
pub(crate) use relu::ReluScratch;
pub use residual::ResidualLinearNetwork;

use crate::error::{Error, Result};
use crate::poly::{count_monomials, Poly, PolyBuilder};
use crate::random::rng_stream;
use crate::scalar::{Dual, Scalar};
use crate::slp::{Slp, LANES};

/// Largest number of coefficients an intermediate layer may hold (a memory guard).
pub const MAX_COEFFICIENTS: f64 = 2.0e7;
/// Largest total degree (exponents are stored in 16 bits).
pub const MAX_DEGREE: usize = 60_000;

/// A smaller architecture inside a larger one: a hidden neuron, a filter tap, a head dimension
/// or a layer switched off. Its image is a candidate singular stratum of the parent.
#[derive(Clone, Debug, PartialEq)]
pub struct Subnetwork {
    pub description: String,
    pub architecture: Architecture,
    /// `embedding[k]` is the parent's parameter index of the subnetwork's parameter k;
    /// all other parent parameters are zero on the stratum.
    pub embedding: Vec<usize>,
}

impl Subnetwork {
    /// Parent parameters of a subnetwork parameter vector (zeros where switched off).
    pub fn embed(&self, theta: &[f64], parent_params: usize) -> Result<Vec<f64>> {
        if theta.len() != self.embedding.len() {
            return Err(Error::Shape(format!(
                "subnetwork has {} parameters, got {}",
                self.embedding.len(),
                theta.len()
            )));
        }
        let mut out = vec![0.0; parent_params];
        for (&k, &v) in self.embedding.iter().zip(theta) {
            out[k] = v;
        }
        Ok(out)
    }
}

/// What every algebraic family provides.
pub(crate) trait Family {
    fn n_params(&self) -> usize;
    fn n_inputs(&self) -> usize;
    fn n_outputs(&self) -> usize;
    /// Reject architectures whose coefficients would not fit in memory, before building.
    fn check_size(&self) -> Result<()>;
    /// Output polynomials in the input variables.
    fn build(&self, pb: &mut PolyBuilder) -> Result<Vec<Poly>>;
    /// Dimension of a generic orbit of the known continuous symmetries.
    fn symmetry_dim(&self) -> usize;
    /// The known symmetries, in words.
    fn symmetries(&self) -> Vec<String>;
    fn subnetworks(&self) -> Vec<Subnetwork>;
    /// Whether the real neuromanifold is the whole ambient space, where known
    /// (given that the complex dimension is full).
    fn real_filling(&self) -> Option<bool>;
    /// Membership of a real coefficient vector in the real neuromanifold.
    fn contains(&self, _f: &[f64], _tol: f64) -> Result<bool> {
        Err(Error::Unsupported(
            "membership in the real neuromanifold is implemented for linear, residual linear and linear stride-1 convolutional networks"
                .into(),
        ))
    }
}

/// An algebraic architecture.
#[derive(Clone, Debug, PartialEq)]
pub enum Architecture {
    Linear(LinearNetwork),
    Polynomial(PolynomialNetwork),
    Conv(ConvNetwork),
    Attention(LightningAttention),
    Residual(ResidualLinearNetwork),
}

impl Architecture {
    pub(crate) fn family(&self) -> &dyn Family {
        match self {
            Architecture::Linear(a) => a,
            Architecture::Polynomial(a) => a,
            Architecture::Conv(a) => a,
            Architecture::Attention(a) => a,
            Architecture::Residual(a) => a,
        }
    }
    pub fn n_params(&self) -> usize {
        self.family().n_params()
    }
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Architecture::Linear(a) => write!(f, "{a}"),
            Architecture::Polynomial(a) => write!(f, "{a}"),
            Architecture::Conv(a) => write!(f, "{a}"),
            Architecture::Attention(a) => write!(f, "{a}"),
            Architecture::Residual(a) => write!(f, "{a}"),
        }
    }
}

macro_rules! into_architecture {
    ($($t:ident => $v:ident),*) => {$(
        impl From<$t> for Architecture {
            fn from(a: $t) -> Self { Architecture::$v(a) }
        }
    )*};
}
into_architecture!(LinearNetwork => Linear, PolynomialNetwork => Polynomial, ConvNetwork => Conv,
    LightningAttention => Attention, ResidualLinearNetwork => Residual);

/// A compiled algebraic network: mu and its Jacobian over any scalar, in batches.
#[derive(Clone, Debug)]
pub struct Network {
    architecture: Architecture,
    slp: Slp,
    monomials: Vec<Vec<u16>>,
    /// The Jacobian's own program, compiled on first use (`None`: too large, use dual numbers).
    jacobian_program: OnceLock<Option<Slp>>,
}

/// Parameter vectors per parallel task in batched evaluation.
const CHUNK: usize = 64;

impl Network {
    pub fn new(architecture: impl Into<Architecture>) -> Result<Self> {
        let architecture = architecture.into();
        let fam = architecture.family();
        fam.check_size()?;
        let mut pb = PolyBuilder::new(fam.n_params(), fam.n_inputs());
        let outputs = fam.build(&mut pb)?;
        // The basis: every monomial that occurs in some output, in the documented order.
        let mut used: Vec<u32> = outputs.iter().flat_map(|p| p.terms.iter().map(|t| t.0)).collect();
        used.sort_unstable();
        used.dedup();
        used.sort_by_key(|&m| pb.monos.order_key(m));
        let position: std::collections::HashMap<u32, usize> = used.iter().enumerate().map(|(i, &m)| (m, i)).collect();
        let zero = pb.slp.zero();
        let mut regs = vec![zero; outputs.len() * used.len()];
        for (o, p) in outputs.iter().enumerate() {
            for &(m, r) in &p.terms {
                regs[o * used.len() + position[&m]] = r;
            }
        }
        let monomials = used.iter().map(|&m| pb.monos.exponents(m).to_vec()).collect();
        let slp = pb.slp.finish(regs);
        Ok(Network { architecture, slp, monomials, jacobian_program: OnceLock::new() })
    }

    pub fn architecture(&self) -> &Architecture {
        &self.architecture
    }
    pub fn n_params(&self) -> usize {
        self.slp.n_inputs()
    }
    pub fn ambient_dim(&self) -> usize {
        self.slp.n_outputs()
    }
    pub fn n_inputs(&self) -> usize {
        self.architecture.family().n_inputs()
    }
    pub fn n_outputs(&self) -> usize {
        self.architecture.family().n_outputs()
    }
    /// Exponent vectors of the monomial basis (graded, then lexicographically descending).
    pub fn monomials(&self) -> &[Vec<u16>] {
        &self.monomials
    }
    /// The compiled parametrization.
    pub fn program(&self) -> &Slp {
        &self.slp
    }
    /// The compiled Jacobian (row-major A x N outputs), if it fits the size limit.
    pub fn jacobian_program(&self) -> Option<&Slp> {
        self.jacobian_program.get_or_init(|| self.slp.derivative(crate::poly::MAX_PRODUCTS / 8)).as_ref()
    }
    pub fn symmetry_dim(&self) -> usize {
        self.architecture.family().symmetry_dim()
    }
    pub fn symmetries(&self) -> Vec<String> {
        self.architecture.family().symmetries()
    }
    /// min(N - symmetry orbit dimension, A): an upper bound for dim M.
    pub fn expected_dim(&self) -> usize {
        (self.n_params() - self.symmetry_dim().min(self.n_params())).min(self.ambient_dim())
    }
    pub fn subnetworks(&self) -> Vec<Subnetwork> {
        self.architecture.family().subnetworks()
    }
    pub(crate) fn real_filling_rule(&self) -> Option<bool> {
        self.architecture.family().real_filling()
    }
    /// Is the real coefficient vector `f` a point of the real neuromanifold?
    pub fn contains(&self, f: &[f64], tol: f64) -> Result<bool> {
        self.check_len(f.len(), self.ambient_dim(), "coefficient vector")?;
        check_finite(f, "coefficient vector")?;
        self.architecture.family().contains(f, tol)
    }

    fn check_len(&self, got: usize, want: usize, what: &str) -> Result<()> {
        if got != want {
            return Err(Error::Shape(format!("{what} has length {got}, expected {want}")));
        }
        Ok(())
    }

    fn check_batch<S: Scalar>(&self, thetas: &[S]) -> Result<usize> {
        let n = self.n_params();
        if n == 0 || thetas.len() % n != 0 {
            return Err(Error::Shape(format!(
                "parameter array of {} entries is not a batch of vectors of length {n}",
                thetas.len()
            )));
        }
        check_finite(thetas, "parameters")?;
        Ok(thetas.len() / n)
    }

    /// mu(theta) for one parameter vector.
    pub fn mu<S: Scalar>(&self, theta: &[S]) -> Result<Vec<S>> {
        self.check_len(theta.len(), self.n_params(), "parameter vector")?;
        self.mu_batch(theta)
    }

    /// mu for a row-major batch of parameter vectors (B x N), in parallel.
    pub fn mu_batch<S: Scalar>(&self, thetas: &[S]) -> Result<Vec<S>> {
        let b = self.check_batch(thetas)?;
        let mut out = vec![S::zero(); b * self.ambient_dim()];
        self.mu_batch_into(thetas, &mut out)?;
        Ok(out)
    }

    /// mu for a batch into a caller's buffer of length B x A (every entry is written).
    pub fn mu_batch_into<S: Scalar>(&self, thetas: &[S], out: &mut [S]) -> Result<()> {
        let b = self.check_batch(thetas)?;
        let (n, a) = (self.n_params(), self.ambient_dim());
        self.check_len(out.len(), b * a, "output buffer")?;
        if a == 0 {
            return Ok(());
        }
        out.par_chunks_mut(a * CHUNK).zip(thetas.par_chunks(n * CHUNK)).for_each(|(o, t)| self.slp.eval_batch(t, o));
        Ok(())
    }

    /// Jacobian of mu (A x N, row-major) at one parameter vector.
    pub fn jacobian<S: Scalar>(&self, theta: &[S]) -> Result<Vec<S>> {
        self.check_len(theta.len(), self.n_params(), "parameter vector")?;
        self.jacobian_batch(theta)
    }

    /// Jacobians for a batch (B x A x N, row-major), in parallel.
    pub fn jacobian_batch<S: Scalar>(&self, thetas: &[S]) -> Result<Vec<S>> {
        let b = self.check_batch(thetas)?;
        let mut out = vec![S::zero(); b * self.ambient_dim() * self.n_params()];
        self.jacobian_batch_into(thetas, &mut out)?;
        Ok(out)
    }

    /// Jacobians for a batch into a caller's buffer of length B x A x N (every entry is written).
    pub fn jacobian_batch_into<S: Scalar>(&self, thetas: &[S], out: &mut [S]) -> Result<()> {
        let b = self.check_batch(thetas)?;
        let (n, a) = (self.n_params(), self.ambient_dim());
        self.check_len(out.len(), b * a * n, "output buffer")?;
        if a * n == 0 {
            return Ok(());
        }
        match self.jacobian_program() {
            Some(prog) => out
                .par_chunks_mut(a * n * CHUNK)
                .zip(thetas.par_chunks(n * CHUNK))
                .for_each(|(j, t)| prog.eval_batch(t, j)),
            None => out.par_chunks_mut(a * n).zip(thetas.par_chunks(n)).for_each_init(
                || (Vec::<Dual<S, LANES>>::new(), Vec::new(), Vec::new()),
                |(regs, seeds, outs), (j, t)| self.slp.jacobian_with(t, regs, seeds, outs, None, j),
            ),
        }
        Ok(())
    }

    /// mu as explicit polynomials in theta, one per ambient coordinate (at most `max_terms` terms
    /// in any intermediate polynomial).
    pub fn mu_polynomials(&self, max_terms: usize) -> Result<Vec<crate::slp::SparsePoly>> {
        self.slp.expand(max_terms).ok_or_else(|| {
            Error::TooLarge(format!(
                "mu of {} has more than {max_terms} terms as explicit polynomials",
                self.architecture
            ))
        })
    }

    /// Second derivatives of mu at one parameter vector: A x N x N, row-major (entry
    /// [a, i, j] is d^2 mu_a / d theta_i d theta_j), by forward mode through the Jacobian program.
    pub fn hessian<S: Scalar>(&self, theta: &[S]) -> Result<Vec<S>> {
        self.check_len(theta.len(), self.n_params(), "parameter vector")?;
        check_finite(theta, "parameters")?;
        let prog = self.jacobian_program().ok_or_else(|| {
            Error::TooLarge("the Jacobian program of this network exceeds the size limit; no Hessian".into())
        })?;
        Ok(prog.jacobian(theta))
    }

    /// f_theta at input points: `x` is row-major `n_inputs x n_points` (columns are points);
    /// the result is `n_outputs x n_points`.
    pub fn evaluate<S: Scalar>(&self, theta: &[S], x: &[S], n_points: usize) -> Result<Vec<S>> {
        let coeffs = self.mu(theta)?;
        self.evaluate_coefficients(&coeffs, x, n_points)
    }

    /// f_theta at input points for a batch of parameter vectors: `B x n_outputs x n_points`.
    pub fn evaluate_batch<S: Scalar>(&self, thetas: &[S], x: &[S], n_points: usize) -> Result<Vec<S>> {
        let coeffs = self.mu_batch(thetas)?;
        let a = self.ambient_dim();
        let b = thetas.len() / self.n_params();
        let per = self.n_outputs() * n_points;
        if a == 0 {
            return Ok(vec![S::zero(); b * per]);
        }
        let parts: Vec<Vec<S>> =
            coeffs.par_chunks(a).map(|c| self.evaluate_coefficients(c, x, n_points)).collect::<Result<_>>()?;
        Ok(parts.concat())
    }

    /// A function given by its coefficient vector, evaluated at input points.
    pub fn evaluate_coefficients<S: Scalar>(&self, coeffs: &[S], x: &[S], n_points: usize) -> Result<Vec<S>> {
        self.check_len(coeffs.len(), self.ambient_dim(), "coefficient vector")?;
        let d = self.n_inputs();
        self.check_len(x.len(), d * n_points, "input array")?;
        check_finite(x, "input points")?;
        let m = self.monomials.len();
        let outs = self.n_outputs();
        let mut result = vec![S::zero(); outs * n_points];
        let mut values = vec![S::zero(); m];
        for p in 0..n_points {
            for (v, e) in values.iter_mut().zip(&self.monomials) {
                let mut acc = S::one();
                for (i, &k) in e.iter().enumerate() {
                    for _ in 0..k {
                        acc = acc * x[i * n_points + p];
                    }
                }
                *v = acc;
            }
            for o in 0..outs {
                let mut acc = S::zero();
                for (c, v) in coeffs[o * m..(o + 1) * m].iter().zip(&values) {
                    acc += *c * *v;
                }
                result[o * n_points + p] = acc;
            }
        }
        Ok(result)
    }

    /// `n` standard normal parameter vectors (row-major), from `seed`.
    pub fn random_params(&self, n: usize, seed: u64) -> Vec<f64> {
        random_normal(n * self.n_params(), seed)
    }
}

/// Standard normal samples from the stream of `seed`.
pub fn random_normal(len: usize, seed: u64) -> Vec<f64> {
    let mut rng = rng_stream(seed, 0);
    (0..len).map(|_| StandardNormal.sample(&mut rng)).collect()
}

pub(crate) fn check_finite<S: Scalar>(v: &[S], what: &str) -> Result<()> {
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(Error::NonFinite(format!("{what} contain NaN or infinity (entry {i})")));
    }
    Ok(())
}

pub(crate) fn check_widths(widths: &[usize], what: &str, min_len: usize) -> Result<()> {
    if widths.len() < min_len {
        return Err(Error::InvalidArchitecture(format!(
            "{what} needs at least {min_len} widths, got {}",
            widths.len()
        )));
    }
    if let Some(i) = widths.iter().position(|&w| w == 0) {
        return Err(Error::InvalidArchitecture(format!("{what}: width {i} is zero; widths must be positive")));
    }
    Ok(())
}

/// Degrees occurring after applying sigma to a polynomial with degrees `d`.
pub(crate) fn activation_degrees(d: &BTreeSet<usize>, sigma: &Activation) -> Result<BTreeSet<usize>> {
    let mut out = BTreeSet::new();
    let mut power: BTreeSet<usize> = [0].into();
    for k in 0..=sigma.degree() {
        if k > 0 {
            let mut next = BTreeSet::new();
            for a in &power {
                for b in d {
                    next.insert(a + b);
                }
            }
            power = next;
        }
        if sigma.coefficients()[k] != 0.0 {
            out.extend(power.iter().copied());
        }
    }
    if out.iter().any(|&e| e > MAX_DEGREE) {
        return Err(Error::TooLarge(format!("polynomial degree above {MAX_DEGREE}")));
    }
    Ok(out)
}

/// Reject `count` polynomials with degrees `degrees` in `n_vars` variables if too many coefficients.
pub(crate) fn check_coefficients(count: usize, n_vars: usize, degrees: &BTreeSet<usize>, what: &str) -> Result<()> {
    let per: f64 = degrees.iter().map(|&d| count_monomials(n_vars, d)).sum();
    let total = per * count as f64;
    if total > MAX_COEFFICIENTS {
        return Err(Error::TooLarge(format!(
            "{what} would hold {total:.3e} polynomial coefficients (limit {MAX_COEFFICIENTS:.0e}); the monomial basis does not fit in memory"
        )));
    }
    Ok(())
}

/// Parameter offsets of dense layers `widths[i] -> widths[i+1]`, each weight matrix then bias.
pub(crate) fn dense_offsets(widths: &[usize], bias: bool) -> Vec<usize> {
    let mut offsets = Vec::with_capacity(widths.len());
    let mut off = 0;
    for w in widths.windows(2) {
        offsets.push(off);
        off += w[0] * w[1] + if bias { w[1] } else { 0 };
    }
    offsets.push(off);
    offsets
}

/// Embedding of the subnetwork of a dense network with neuron `j` of hidden layer `layer`
/// (1-based index into widths) removed.
pub(crate) fn dense_neuron_embedding(widths: &[usize], bias: bool, layer: usize, j: usize) -> Vec<usize> {
    let offsets = dense_offsets(widths, bias);
    let mut emb = Vec::new();
    for l in 0..widths.len() - 1 {
        let (din, dout) = (widths[l], widths[l + 1]);
        for r in 0..dout {
            for c in 0..din {
                let removed = (l + 1 == layer && r == j) || (l == layer && c == j);
                if !removed {
                    emb.push(offsets[l] + r * din + c);
                }
            }
        }
        if bias {
            for r in 0..dout {
                if !(l + 1 == layer && r == j) {
                    emb.push(offsets[l] + din * dout + r);
                }
            }
        }
    }
    emb
}

/// One subnetwork per hidden layer of width >= 2: its last neuron switched off (by the
/// permutation symmetry, any neuron gives the same stratum).
pub(crate) fn dense_subnetworks(
    widths: &[usize],
    bias: bool,
    make: impl Fn(Vec<usize>) -> (String, Architecture),
) -> Vec<Subnetwork> {
    (1..widths.len() - 1)
        .filter(|&layer| widths[layer] >= 2)
        .map(|layer| {
            let mut w = widths.to_vec();
            w[layer] -= 1;
            let (detail, architecture) = make(w);
            Subnetwork {
                description: format!("hidden layer {layer} with one neuron switched off{detail}"),
                architecture,
                embedding: dense_neuron_embedding(widths, bias, layer, widths[layer] - 1),
            }
        })
        .collect()
}

/// Dense layers on symbolic polynomials: `sigma` after every layer but the last.
pub(crate) fn build_dense(
    pb: &mut PolyBuilder,
    widths: &[usize],
    bias: bool,
    sigma: Option<&Activation>,
    identity_shortcut: bool,
) -> Result<Vec<Poly>> {
    let offsets = dense_offsets(widths, bias);
    let mut h: Vec<Poly> = (0..widths[0]).map(|i| pb.variable(i)).collect();
    let layers = widths.len() - 1;
    for l in 0..layers {
        let (din, dout) = (widths[l], widths[l + 1]);
        let mut next = Vec::with_capacity(dout);
        for r in 0..dout {
            let mut terms = Vec::with_capacity(din);
            for c in 0..din {
                let mut w = pb.slp.input(offsets[l] + r * din + c);
                if identity_shortcut && r == c {
                    // (I + W): the diagonal weight is 1 + W[r, r]
                    let one = pb.slp.one();
                    w = pb.slp.add(w, one);
                }
                terms.push((w, &h[c]));
            }
            let b = bias.then(|| pb.slp.input(offsets[l] + din * dout + r));
            next.push(pb.linear(&terms, b)?);
        }
        if let (Some(s), true) = (sigma, l + 1 < layers) {
            next = next.iter().map(|p| pb.activation(p, s.coefficients())).collect::<Result<_>>()?;
        }
        h = next;
    }
    Ok(h)
}

/// Formats a list of widths as "a,b,c".
pub(crate) fn join(v: &[usize]) -> String {
    v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(",")
}
