//! Dimension of a neuromanifold: the Jacobian rank of mu at a generic point, numerically and
//! exactly over a prime field, against the expected dimension from the known symmetries.

use crate::error::{Error, Result};
use crate::network::{random_normal, Network, Subnetwork};
use crate::rank::{random_field_elements, rank_from_singular_values, rank_mod_p, singular_values};
use crate::scalar::{Fp, PRIME};

/// Relative singular-value threshold for numerical ranks.
pub const RANK_TOLERANCE: f64 = 1e-9;
/// Random points at which the Jacobian rank is computed.
pub const GENERIC_POINTS: u64 = 3;

#[derive(Clone, Debug, PartialEq)]
pub struct DimensionReport {
    /// Numerical rank of D mu at random real parameters.
    pub dim: usize,
    /// s[dim-1] / s[dim]: the gap the numerical rank rests on (infinite at full rank).
    pub gap: f64,
    pub singular_values: Vec<f64>,
    /// Rank of D mu modulo `prime` at random parameters: a certified lower bound for dim M.
    pub exact_rank: usize,
    pub prime: u64,
    /// min(N - symmetry orbit dimension, A): an upper bound for dim M.
    pub expected: usize,
    pub ambient: usize,
    pub n_params: usize,
    pub fiber_dim: usize,
    /// Whether the real neuromanifold is the whole ambient space; `None` where undecided.
    pub filling: Option<bool>,
    /// dim M == ambient (the complex question).
    pub complex_filling: bool,
    /// expected - dim.
    pub defect: i64,
    /// The exact lower bound meets the upper bound: dim M = exact_rank is proved.
    pub certified: bool,
}

/// Numerical Jacobian rank at `theta`, with the singular values of the equilibrated Jacobian.
pub fn jacobian_rank(net: &Network, theta: &[f64]) -> Result<(usize, Vec<f64>)> {
    let mut j = net.jacobian(theta)?;
    equilibrate(&mut j, net.ambient_dim(), net.n_params());
    let s = singular_values(&j, net.ambient_dim(), net.n_params())?;
    Ok((rank_from_singular_values(&s, RANK_TOLERANCE), s))
}

/// Scale rows, then columns, to unit largest entry. The rank is unchanged, but coefficients of
/// monomials of different degrees (whose sizes differ by orders of magnitude) no longer hide
/// small but genuine singular values below the threshold.
pub fn equilibrate(a: &mut [f64], rows: usize, cols: usize) {
    for r in 0..rows {
        let row = &mut a[r * cols..(r + 1) * cols];
        let m = row.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        if m > 0.0 {
            row.iter_mut().for_each(|x| *x /= m);
        }
    }
    for c in 0..cols {
        let m = (0..rows).fold(0.0f64, |m, r| m.max(a[r * cols + c].abs()));
        if m > 0.0 {
            (0..rows).for_each(|r| a[r * cols + c] /= m);
        }
    }
}

/// Rank of D mu over the prime field at random parameters from `seed`.
pub fn exact_rank(net: &Network, seed: u64) -> Result<usize> {
    let theta = random_field_elements(net.n_params(), seed);
    let j: Vec<Fp> = net.jacobian(&theta)?;
    Ok(rank_mod_p(&j, net.ambient_dim(), net.n_params()))
}

pub fn dimension(net: &Network, seed: u64) -> Result<DimensionReport> {
    let (n, a) = (net.n_params(), net.ambient_dim());
    // the generic rank is the largest rank at any point: take the best of a few random points
    // (one can land near a degenerate configuration) and keep the clearest singular values
    let mut best: Option<(usize, Vec<f64>)> = None;
    for k in 0..GENERIC_POINTS {
        let theta = random_normal(n, seed.wrapping_add(k.wrapping_mul(0x9E37_79B9)));
        let (r, s) = jacobian_rank(net, &theta)?;
        let clarity = |r: usize, s: &[f64]| if r == 0 { 0.0 } else { s[r - 1] / s[0] };
        let better = match &best {
            None => true,
            Some((br, bs)) => r > *br || (r == *br && clarity(r, &s) > clarity(*br, bs)),
        };
        if better {
            best = Some((r, s));
        }
    }
    let (dim, s) = best.expect("at least one point");
    let gap = if dim == 0 || dim >= s.len() || s[dim] == 0.0 { f64::INFINITY } else { s[dim - 1] / s[dim] };
    let exact = exact_rank(net, seed)?;
    let expected = net.expected_dim();
    let complex_filling = dim == a;
    let filling = if !complex_filling { Some(false) } else { net.real_filling_rule() };
    Ok(DimensionReport {
        dim,
        gap,
        singular_values: s,
        exact_rank: exact,
        prime: PRIME,
        expected,
        ambient: a,
        n_params: n,
        fiber_dim: n - dim,
        filling,
        complex_filling,
        defect: expected as i64 - dim as i64,
        certified: exact == expected,
    })
}

/// Dimension of a subnetwork stratum inside the parent's ambient space: the rank of
/// D mu_parent restricted to the subnetwork's parameters.
pub fn stratum_dimension(net: &Network, sub: &Subnetwork, seed: u64) -> Result<usize> {
    let n = net.n_params();
    if sub.embedding.iter().any(|&k| k >= n) {
        return Err(Error::Shape("subnetwork embedding does not fit the network".into()));
    }
    let theta_sub = random_normal(sub.embedding.len(), seed);
    let theta = sub.embed(&theta_sub, n)?;
    let j = net.jacobian(&theta)?;
    let a = net.ambient_dim();
    let k = sub.embedding.len();
    let mut restricted = vec![0.0; a * k];
    for r in 0..a {
        for (c, &p) in sub.embedding.iter().enumerate() {
            restricted[r * k + c] = j[r * n + p];
        }
    }
    equilibrate(&mut restricted, a, k);
    let s = singular_values(&restricted, a, k)?;
    Ok(rank_from_singular_values(&s, RANK_TOLERANCE))
}
