//! Nearest points of a neuromanifold (or of a subnetwork stratum) to data by local search:
//! Levenberg-Marquardt on ||mu(theta) - u||^2 over the parameters of a support, from several
//! starts per data point. Not exhaustive: the best value found is an upper bound on the
//! squared distance, attained by the parameters returned.

use faer::linalg::solvers::Solve;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::network::{Network, ReLUNetwork, ReluScratch};
use crate::scalar::Dual;
use crate::slp::LANES;

/// A map theta -> mu(theta) whose nearest points are searched: an algebraic network (its
/// coefficients), or a ReLU network through its values at fixed input points.
pub trait Parametrization: Sync {
    fn n_params(&self) -> usize;
    fn ambient_dim(&self) -> usize;
    /// mu at k parameter vectors (k x N) into `out` (k x A).
    fn values(&self, thetas: &[f64], out: &mut [f64], s: &mut Buffers);
    /// D mu at k parameter vectors into `out` (k x A x N).
    fn jacobians(&self, thetas: &[f64], out: &mut [f64], s: &mut Buffers);
    /// `values` and `jacobians` where only the vectors flagged in `active` are needed (the
    /// others may be left as they are): maps evaluated in batches compute them all.
    fn active_values(&self, thetas: &[f64], _active: &[bool], out: &mut [f64], s: &mut Buffers) {
        self.values(thetas, out, s);
    }
    fn active_jacobians(&self, thetas: &[f64], _active: &[bool], out: &mut [f64], s: &mut Buffers) {
        self.jacobians(thetas, out, s);
    }
    /// A last step from the best point of the search (its squared distance `value`), moving
    /// only the parameters in `support`; returns the new squared distance. Smooth maps keep it.
    fn polish(&self, _u: &[f64], _support: &[usize], _theta: &mut [f64], value: f64, _s: &mut Buffers) -> f64 {
        value
    }
}

/// Buffers of the evaluations, one set per worker thread.
#[derive(Default)]
pub struct Buffers {
    regs: Vec<Dual<f64, LANES>>,
    seeds: Vec<Dual<f64, LANES>>,
    outs: Vec<Dual<f64, LANES>>,
    relu: ReluScratch,
}

impl Parametrization for Network {
    fn n_params(&self) -> usize {
        Network::n_params(self)
    }
    fn ambient_dim(&self) -> usize {
        Network::ambient_dim(self)
    }
    fn values(&self, thetas: &[f64], out: &mut [f64], _: &mut Buffers) {
        self.program().eval_batch(thetas, out);
    }
    fn jacobians(&self, thetas: &[f64], out: &mut [f64], s: &mut Buffers) {
        let (n, a) = (Network::n_params(self), Network::ambient_dim(self));
        match self.jacobian_program() {
            Some(prog) => prog.eval_batch(thetas, out),
            None => {
                for (theta, jac) in thetas.chunks(n).zip(out.chunks_mut(a * n)) {
                    self.program().jacobian_with(theta, &mut s.regs, &mut s.seeds, &mut s.outs, None, jac);
                }
            }
        }
    }
}

/// A ReLU network seen through its values at input points (row-major d_0 x n_points):
/// mu(theta) = f_theta(X), d_L x n_points.
pub struct ValuesAtPoints<'a> {
    net: &'a ReLUNetwork,
    points: &'a [f64],
    n_points: usize,
}

impl<'a> ValuesAtPoints<'a> {
    pub fn new(net: &'a ReLUNetwork, points: &'a [f64], n_points: usize) -> Result<Self> {
        if n_points == 0 {
            return Err(Error::Shape("at least one input point is needed".into()));
        }
        net.check_points(points, n_points)?;
        Ok(ValuesAtPoints { net, points, n_points })
    }
}

/// Ends of local searches with squared distances up to this factor of the best are polished.
const POLISH_RANGE: f64 = 1.5;

/// Relative size below which a hidden pre-activation is at its kink (a search that ends there
/// has the kink at a data point, where ReLU is not differentiable).
const KINK: f64 = 1e-6;
const POLISH_STEPS: usize = 60;

impl ValuesAtPoints<'_> {
    /// The minimum on the face of the kinks where a local search ended: ReLU is not
    /// differentiable at its kinks, so a search whose minimum has a kink at a data point stalls
    /// next to it with the other parameters unsettled. With the pattern of the other units
    /// fixed, the values are a polynomial map and the kinks equations z = 0; damped
    /// Gauss-Newton steps on the KKT system stay on that face, and a step is kept when no other
    /// unit changes sign and the true squared distance decreases.
    fn polish_on_kinks(&self, u: &[f64], support: &[usize], theta: &mut [f64], value: f64, s: &mut ReluScratch) -> f64 {
        let (n, a, np, h) = (self.n_params(), self.ambient_dim(), self.n_points, self.net.hidden_units());
        let m = support.len();
        if h == 0 || m == 0 {
            return value;
        }
        let mut pre = Vec::new();
        self.net.preactivations_into(theta, self.points, np, &mut pre, s);
        let global = pre.iter().fold(0.0f64, |acc, z| acc.max(z.abs()));
        let mut kinks = Vec::new();
        let mut pattern = vec![false; np * h];
        for unit in 0..h {
            let scale = (0..np).map(|p| pre[p * h + unit].abs()).fold(0.0f64, f64::max);
            for p in 0..np {
                let z = pre[p * h + unit];
                if scale > 1e-12 * global && z.abs() <= KINK * scale {
                    kinks.push((p, unit));
                } else {
                    pattern[p * h + unit] = z > 0.0;
                }
            }
        }
        let k = kinks.len();
        if k == 0 || k >= m {
            return value;
        }
        let (mut values, mut jac) = (vec![0.0; a], vec![0.0; a * n]);
        let (mut kv, mut kj) = (vec![0.0; k], vec![0.0; k * n]);
        let (mut trial, mut trial_values, mut trial_pre) = (theta.to_vec(), vec![0.0; a], Vec::new());
        let mut best = value;
        let mut lambda = 1e-6;
        for _ in 0..POLISH_STEPS {
            self.net.pattern_jacobians(
                theta,
                self.points,
                np,
                &pattern,
                &kinks,
                &mut values,
                &mut jac,
                &mut kv,
                &mut kj,
                s,
            );
            let size = m + k;
            let mut kkt = faer::Mat::<f64>::zeros(size, size);
            let mut rhs = faer::Mat::<f64>::zeros(size, 1);
            let mut top = 0.0f64;
            for (pi, &sp) in support.iter().enumerate() {
                let mut g = 0.0;
                for i in 0..a {
                    g += jac[i * n + sp] * (values[i] - u[i]);
                }
                rhs[(pi, 0)] = -g;
                for (qi, &sq) in support.iter().enumerate().skip(pi) {
                    let v: f64 = (0..a).map(|i| jac[i * n + sp] * jac[i * n + sq]).sum();
                    kkt[(pi, qi)] = v;
                    kkt[(qi, pi)] = v;
                }
                top = top.max(kkt[(pi, pi)]);
            }
            for pi in 0..m {
                kkt[(pi, pi)] += lambda * top.max(1e-300);
            }
            for c in 0..k {
                for (pi, &sp) in support.iter().enumerate() {
                    kkt[(m + c, pi)] = kj[c * n + sp];
                    kkt[(pi, m + c)] = kj[c * n + sp];
                }
                rhs[(m + c, 0)] = -kv[c];
            }
            let step = kkt.partial_piv_lu().solve(&rhs);
            if !(0..m).all(|pi| step[(pi, 0)].is_finite()) {
                break;
            }
            trial.copy_from_slice(theta);
            for (pi, &sp) in support.iter().enumerate() {
                trial[sp] += step[(pi, 0)];
            }
            self.net.preactivations_into(&trial, self.points, np, &mut trial_pre, s);
            let kept = (0..np * h)
                .all(|i| kinks.contains(&(i / h, i % h)) || (trial_pre[i] > 0.0) == pattern[i] && trial_pre[i] != 0.0);
            let f = if kept {
                self.net.values_into(&trial, self.points, np, &mut trial_values, s);
                trial_values.iter().zip(u).map(|(x, y)| (x - y) * (x - y)).sum::<f64>()
            } else {
                f64::INFINITY
            };
            if f < best {
                let small = best - f <= 1e-15 * best;
                best = f;
                theta.copy_from_slice(&trial);
                lambda = (lambda / 3.0).max(1e-12);
                if small {
                    break;
                }
            } else {
                lambda *= 4.0;
                if lambda > 1e8 {
                    break;
                }
            }
        }
        best
    }
}

impl Parametrization for ValuesAtPoints<'_> {
    fn n_params(&self) -> usize {
        self.net.n_params()
    }
    fn ambient_dim(&self) -> usize {
        self.net.n_outputs() * self.n_points
    }
    fn values(&self, thetas: &[f64], out: &mut [f64], s: &mut Buffers) {
        let (n, a) = (self.n_params(), self.ambient_dim());
        for (theta, mu) in thetas.chunks(n).zip(out.chunks_mut(a)) {
            self.net.values_into(theta, self.points, self.n_points, mu, &mut s.relu);
        }
    }
    fn jacobians(&self, thetas: &[f64], out: &mut [f64], s: &mut Buffers) {
        let (n, a) = (self.n_params(), self.ambient_dim());
        for (theta, jac) in thetas.chunks(n).zip(out.chunks_mut(a * n)) {
            self.net.jacobian_into(theta, self.points, self.n_points, jac, &mut s.relu);
        }
    }
    fn polish(&self, u: &[f64], support: &[usize], theta: &mut [f64], value: f64, s: &mut Buffers) -> f64 {
        self.polish_on_kinks(u, support, theta, value, &mut s.relu)
    }
    fn active_values(&self, thetas: &[f64], active: &[bool], out: &mut [f64], s: &mut Buffers) {
        let (n, a) = (self.n_params(), self.ambient_dim());
        for ((theta, mu), _) in thetas.chunks(n).zip(out.chunks_mut(a)).zip(active).filter(|(_, &on)| on) {
            self.net.values_into(theta, self.points, self.n_points, mu, &mut s.relu);
        }
    }
    fn active_jacobians(&self, thetas: &[f64], active: &[bool], out: &mut [f64], s: &mut Buffers) {
        let (n, a) = (self.n_params(), self.ambient_dim());
        for ((theta, jac), _) in thetas.chunks(n).zip(out.chunks_mut(a * n)).zip(active).filter(|(_, &on)| on) {
            self.net.jacobian_into(theta, self.points, self.n_points, jac, &mut s.relu);
        }
    }
}

/// Best squared distance (B) and its parameters (B x N) for targets (B x A) and starts
/// (B x K x N, row-major); coordinates outside `support` keep their start values.
pub fn local_least_squares<P: Parametrization>(
    net: &P,
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
    active: Vec<bool>, // the starts still running
    buffers: Buffers,
    normal: Vec<f64>,
    rhs: Vec<f64>,
    residual: Vec<f64>,
}

impl Scratch {
    fn solve<P: Parametrization>(
        &mut self,
        net: &P,
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
        net.values(&self.theta, &mut self.mu, &mut self.buffers);
        let value = |mu: &[f64]| mu.iter().zip(u).map(|(x, y)| (x - y) * (x - y)).sum::<f64>();
        let mut f: Vec<f64> = (0..k).map(|j| value(&self.mu[j * a..(j + 1) * a])).collect();
        let mut lambda = vec![1e-2; k];
        let mut done = vec![false; k];
        for _ in 0..iterations {
            if done.iter().all(|&d| d) {
                break;
            }
            self.jac.resize(k * a * n, 0.0);
            self.active.clear();
            self.active.extend(done.iter().map(|&d| !d));
            net.active_jacobians(&self.theta, &self.active, &mut self.jac, &mut self.buffers);
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
            net.active_values(&self.trial, &self.active, &mut self.mu_trial, &mut self.buffers);
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
        // the ends within a factor POLISH_RANGE of the best are polished (a ReLU search can
        // stall next to a kink with a value above that of another start's end that polishing
        // does not improve)
        let least = f.iter().copied().fold(f64::INFINITY, f64::min);
        for (j, fj) in f.iter_mut().enumerate() {
            if *fj <= POLISH_RANGE * least {
                *fj = net.polish(u, support, &mut self.theta[j * n..(j + 1) * n], *fj, &mut self.buffers);
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

    #[test]
    fn relu_values_at_points_reach_the_projection_onto_their_span() {
        // x -> a1 relu(w1 x) + a2 relu(w2 x) at the points (1, -2, 0.5): the image is the plane
        // spanned by relu(X) = (1, 0, 0.5) and relu(-X) = (0, 2, 0), so the nearest point is the
        // orthogonal projection
        let net = ReLUNetwork::new(&[1, 2, 1], false).unwrap();
        let points = [1.0, -2.0, 0.5];
        let model = ValuesAtPoints::new(&net, &points, 3).unwrap();
        let u = [0.3, -1.2, 2.0];
        let (p, q) = ([1.0, 0.0, 0.5], [0.0, 1.0, 0.0]); // orthogonal spanning vectors
        let dot = |x: &[f64; 3], y: &[f64]| x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>();
        let expected = dot(&u, &u) - dot(&p, &u).powi(2) / dot(&p, &p) - dot(&q, &u).powi(2);
        let k = 8;
        let starts: Vec<f64> = (0..k * 4).map(|i| ((i * 53 % 17) as f64 - 8.0) / 5.0).collect();
        let (d, theta) = local_least_squares(&model, &[0, 1, 2, 3], &u, &starts, k, 300).unwrap();
        assert!((d[0] - expected).abs() < 1e-10, "{} vs {}", d[0], expected);
        let f = net.evaluate(&theta, &points, 3).unwrap();
        let dist: f64 = f.iter().zip(&u).map(|(x, y)| (x - y) * (x - y)).sum();
        assert!((dist - d[0]).abs() < 1e-12);
        assert!(ValuesAtPoints::new(&net, &points, 2).is_err() && ValuesAtPoints::new(&net, &[], 0).is_err());
    }

    #[test]
    fn relu_subnetworks_drop_one_neuron_and_keep_its_function() {
        // switching off the last neuron of a hidden layer (zero outgoing weights) gives the
        // subnetwork's function at the embedded parameters
        let net = ReLUNetwork::new(&[2, 3, 2, 1], true).unwrap();
        let points = [0.5, -1.0, 2.0, 1.5, 0.3, -0.7];
        for (layer, sub, emb) in net.subnetworks() {
            assert_eq!(emb.len(), sub.n_params());
            let theta_sub: Vec<f64> = (0..sub.n_params()).map(|i| ((i * 29 % 13) as f64 - 6.0) / 4.0).collect();
            let mut theta = vec![0.0; net.n_params()];
            for (&i, &v) in emb.iter().zip(&theta_sub) {
                theta[i] = v;
            }
            assert_eq!(
                net.evaluate(&theta, &points, 3).unwrap(),
                sub.evaluate(&theta_sub, &points, 3).unwrap(),
                "layer {layer}"
            );
        }
        assert_eq!(net.subnetworks().len(), 2);
    }
}
