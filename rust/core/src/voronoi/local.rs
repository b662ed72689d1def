//! Nearest points of a neuromanifold (or of a subnetwork stratum) to data by local search:
//! Levenberg-Marquardt on ||mu(theta) - u||^2 over the parameters of a support, from several
//! starts per data point. Not exhaustive: the best value found is an upper bound on the
//! squared distance, attained by the parameters returned.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::network::Network;
use crate::scalar::Dual;
use crate::slp::LANES;

/// Best squared distance (B) and its parameters (B x N) for targets (B x A) and starts
/// (B x K x N, row-major); coordinates outside `support` keep their start values.
pub fn local_least_squares(
    net: &Network,
    support: &[usize],
    targets: &[f64],
    starts: &[f64],
    k: usize,
    iterations: usize,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let (n, a) = (net.n_params(), net.ambient_dim());
    if a == 0 || k == 0 || !targets.len().is_multiple_of(a) {
        return Err(Error::Shape(format!("targets must have shape (B, {a}) and at least one start per target")));
    }
    let b = targets.len() / a;
    if starts.len() != b * k * n {
        return Err(Error::Shape(format!("starts must have shape ({b}, {k}, {n}), got {} numbers", starts.len())));
    }
    if let Some(&i) = support.iter().find(|&&i| i >= n) {
        return Err(Error::Shape(format!("support index {i} out of range for {n} parameters")));
    }
    if !targets.iter().chain(starts).all(|x| x.is_finite()) {
        return Err(Error::NonFinite("targets or starts contain NaN or infinity".into()));
    }
    let results: Vec<(f64, Vec<f64>)> = targets
        .par_chunks(a)
        .zip(starts.par_chunks(k * n))
        .map_init(Scratch::default, |s, (u, th)| s.solve(net, support, u, th, k, iterations))
        .collect();
    let mut best = Vec::with_capacity(b);
    let mut params = Vec::with_capacity(b * n);
    for (d, th) in results {
        best.push(d);
        params.extend_from_slice(&th);
    }
    Ok((best, params))
}

#[derive(Default)]
struct Scratch {
    theta: Vec<f64>,
    trial: Vec<f64>,
    mu: Vec<f64>,
    mu_trial: Vec<f64>,
    jac: Vec<f64>,
    regs: Vec<Dual<f64, LANES>>,
    seeds: Vec<Dual<f64, LANES>>,
    outs: Vec<Dual<f64, LANES>>,
    normal: Vec<f64>,
    rhs: Vec<f64>,
    residual: Vec<f64>,
}

impl Scratch {
    fn jacobians(&mut self, net: &Network, k: usize) {
        let (n, a) = (net.n_params(), net.ambient_dim());
        self.jac.resize(k * a * n, 0.0);
        match net.jacobian_program() {
            Some(prog) => prog.eval_batch(&self.theta, &mut self.jac),
            None => {
                for j in 0..k {
                    net.program().jacobian_with(
                        &self.theta[j * n..(j + 1) * n],
                        &mut self.regs,
                        &mut self.seeds,
                        &mut self.outs,
                        None,
                        &mut self.jac[j * a * n..(j + 1) * a * n],
                    );
                }
            }
        }
    }

    fn solve(
        &mut self,
        net: &Network,
        support: &[usize],
        u: &[f64],
        starts: &[f64],
        k: usize,
        iterations: usize,
    ) -> (f64, Vec<f64>) {
        let (n, a, m) = (net.n_params(), net.ambient_dim(), support.len());
        self.theta.clear();
        self.theta.extend_from_slice(starts);
        self.mu.resize(k * a, 0.0);
        self.mu_trial.resize(k * a, 0.0);
        net.program().eval_batch(&self.theta, &mut self.mu);
        let value = |mu: &[f64]| mu.iter().zip(u).map(|(x, y)| (x - y) * (x - y)).sum::<f64>();
        let mut f: Vec<f64> = (0..k).map(|j| value(&self.mu[j * a..(j + 1) * a])).collect();
        let mut lambda = vec![1e-2; k];
        let mut done = vec![false; k];
        for _ in 0..iterations {
            if done.iter().all(|&d| d) {
                break;
            }
            self.jacobians(net, k);
            self.trial.clear();
            self.trial.extend_from_slice(&self.theta);
            for j in 0..k {
                if done[j] {
                    continue;
                }
                // normal equations on the support: (J^T J + lambda max diag I) step = J^T r
                let jac = &self.jac[j * a * n..(j + 1) * a * n];
                self.residual.clear();
                self.residual.extend((0..a).map(|i| self.mu[j * a + i] - u[i]));
                let r = &self.residual;
                self.normal.clear();
                self.normal.resize(m * m, 0.0);
                self.rhs.clear();
                self.rhs.resize(m, 0.0);
                for i in 0..a {
                    let row = &jac[i * n..(i + 1) * n];
                    for (p, &sp) in support.iter().enumerate() {
                        let jp = row[sp];
                        self.rhs[p] += jp * r[i];
                        for (q, &sq) in support.iter().enumerate().skip(p) {
                            self.normal[p * m + q] += jp * row[sq];
                        }
                    }
                }
                let top = (0..m).map(|p| self.normal[p * m + p]).fold(0.0f64, f64::max).max(1e-300);
                for p in 0..m {
                    for q in 0..p {
                        self.normal[p * m + q] = self.normal[q * m + p];
                    }
                    self.normal[p * m + p] += lambda[j] * top;
                }
                if !cholesky_solve(&mut self.normal, &mut self.rhs, m) {
                    lambda[j] *= 4.0;
                    continue;
                }
                for (p, &sp) in support.iter().enumerate() {
                    self.trial[j * n + sp] -= self.rhs[p];
                }
            }
            net.program().eval_batch(&self.trial, &mut self.mu_trial);
            for j in 0..k {
                if done[j] {
                    continue;
                }
                let ft = value(&self.mu_trial[j * a..(j + 1) * a]);
                if ft < f[j] {
                    // converged: the decrease is at the rounding level of the value
                    if f[j] - ft <= 1e-15 * f[j] {
                        done[j] = true;
                    }
                    f[j] = ft;
                    self.theta[j * n..(j + 1) * n].copy_from_slice(&self.trial[j * n..(j + 1) * n]);
                    self.mu[j * a..(j + 1) * a].copy_from_slice(&self.mu_trial[j * a..(j + 1) * a]);
                    lambda[j] = (lambda[j] / 3.0).max(1e-12);
                } else {
                    lambda[j] *= 4.0;
                    if lambda[j] > 1e12 {
                        done[j] = true;
                    }
                }
            }
        }
        let best = (0..k).min_by(|&x, &y| f[x].total_cmp(&f[y])).unwrap_or(0);
        (f[best], self.theta[best * n..(best + 1) * n].to_vec())
    }
}

/// Solve S x = b in place (b becomes x) for symmetric positive definite S (m x m), by Cholesky;
/// false if S is not numerically positive definite.
fn cholesky_solve(s: &mut [f64], b: &mut [f64], m: usize) -> bool {
    for j in 0..m {
        let mut d = s[j * m + j];
        for p in 0..j {
            d -= s[j * m + p] * s[j * m + p];
        }
        if d.is_nan() || d <= 0.0 {
            return false;
        }
        let d = d.sqrt();
        s[j * m + j] = d;
        for i in j + 1..m {
            let mut v = s[i * m + j];
            for p in 0..j {
                v -= s[i * m + p] * s[j * m + p];
            }
            s[i * m + j] = v / d;
        }
    }
    for i in 0..m {
        let mut v = b[i];
        for p in 0..i {
            v -= s[i * m + p] * b[p];
        }
        b[i] = v / s[i * m + i];
    }
    for i in (0..m).rev() {
        let mut v = b[i];
        for p in i + 1..m {
            v -= s[p * m + i] * b[p];
        }
        b[i] = v / s[i * m + i];
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::LinearNetwork;

    #[test]
    fn rank_one_matrices_reach_the_eckart_young_distance() {
        // 2 x 2 matrices of rank <= 1 as products of a column and a row (linear (2, 1, 2)):
        // the squared distance to the nearest one is the smaller squared singular value
        let net = Network::new(LinearNetwork::new(&[2, 1, 2]).unwrap()).unwrap();
        let u = [3.0, 1.0, 0.5, 2.0];
        let starts: Vec<f64> = (0..4 * 4).map(|i| ((i * 37 % 11) as f64 - 5.0) / 4.0).collect();
        let support: Vec<usize> = (0..4).collect();
        let (d, theta) = local_least_squares(&net, &support, &u, &starts, 4, 200).unwrap();
        // singular values of [[3, 1], [0.5, 2]]: s1^2 + s2^2 = 14.25, s1 s2 = |det| = 5.5
        let (t, p) = (14.25f64, 5.5f64);
        let s2sq = (t - (t * t - 4.0 * p * p).sqrt()) / 2.0;
        assert!((d[0] - s2sq).abs() < 1e-10, "{} vs {}", d[0], s2sq);
        let mu = net.mu(&theta).unwrap();
        let dist: f64 = mu.iter().zip(&u).map(|(x, y)| (x - y) * (x - y)).sum();
        assert!((dist - d[0]).abs() < 1e-12);
    }
}
