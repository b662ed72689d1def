//! Voronoi cells of the strata of a plane curve, by Monte Carlo: the share of random data whose
//! nearest point on the curve lies in a target (a singular point, all of them, a given point).
//!
//! The nearest point is the global one. The critical points of the distance from data (u, v)
//! to the smooth part of the curve are the real roots of one univariate *critical polynomial*
//! whose coefficients are polynomials in (u, v), prepared once: for a parametrized curve
//! t -> (x(t), y(t)) it is (x - u) x' + (y - v) y' in t; for an implicit curve F = 0 it is the
//! resultant in y of F and (x - u) F_y - (y - v) F_x, in x, and the points over each real root
//! are the real roots of F(x, .) where the second polynomial vanishes. Every real critical point
//! is compared with every singular point; a decision (is the nearest point in a target?) stops
//! as soon as some point of the curve is strictly nearer than the target.
//!
//! Samples come in chunks; chunk c draws from its own random stream (seed, c), so counts do not
//! depend on the number of threads or machines that process the chunks.

pub mod cone_pairs;
pub mod local;
pub mod polyhedral;
pub mod rank_one;
pub mod roots;

use rand::RngExt;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::random::rng_stream;
use roots::{real_roots, real_roots_probed, RootScratch};

/// A polynomial sum c x^a y^b in two variables.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Poly2 {
    pub terms: Vec<(u32, u32, f64)>,
}

impl Poly2 {
    pub fn eval(&self, x: f64, y: f64) -> f64 {
        self.terms.iter().map(|&(a, b, c)| c * x.powi(a as i32) * y.powi(b as i32)).sum()
    }
    fn degree_in_y(&self) -> usize {
        self.terms.iter().map(|t| t.1 as usize).max().unwrap_or(0)
    }
    /// Coefficients (constant first) of y -> self(x, y).
    fn in_y(&self, x: f64, out: &mut Vec<f64>) {
        out.clear();
        out.resize(self.degree_in_y() + 1, 0.0);
        for &(a, b, c) in &self.terms {
            out[b as usize] += c * x.powi(a as i32);
        }
    }
    fn dx(&self) -> Poly2 {
        Poly2 { terms: self.terms.iter().filter(|t| t.0 > 0).map(|&(a, b, c)| (a - 1, b, c * a as f64)).collect() }
    }
    fn dy(&self) -> Poly2 {
        Poly2 { terms: self.terms.iter().filter(|t| t.1 > 0).map(|&(a, b, c)| (a, b - 1, c * b as f64)).collect() }
    }
}

/// How a root of the critical polynomial becomes points of the curve.
#[derive(Clone, Debug)]
pub enum CurveForm {
    /// t -> (x(t), y(t)), polynomial coefficients from the constant term up.
    Parametrized { x: Vec<f64>, y: Vec<f64> },
    /// F(x, y) = 0; the root is x.
    Implicit { f: Poly2 },
}

/// The data a Voronoi estimate needs about a plane curve.
#[derive(Clone, Debug)]
pub struct PlaneCurveProblem {
    /// Coefficient k of the critical polynomial as a polynomial in (u, v).
    critical: Vec<Poly2>,
    form: CurveForm,
    fx: Poly2,
    fy: Poly2,
    /// The real singular points (the strata besides the smooth part).
    singular: Vec<[f64; 2]>,
}

/// Which points of the curve count as hits.
#[derive(Clone, Debug)]
pub enum Target {
    /// These singular points (indices into the problem's list).
    Singular(Vec<usize>),
    /// A point of the curve.
    Point([f64; 2]),
}

/// Where the samples come from.
#[derive(Clone, Copy, Debug)]
pub enum Distribution {
    Gaussian { center: [f64; 2], scale: f64 },
    UniformBox { low: [f64; 2], high: [f64; 2] },
}

impl Distribution {
    /// Reject parameters that do not define a distribution.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Distribution::Gaussian { center, scale } => {
                if !scale.is_finite() || scale <= 0.0 || !center.iter().all(|c| c.is_finite()) {
                    return Err(Error::Shape(format!("Gaussian scale must be positive and finite, got {scale}")));
                }
            }
            Distribution::UniformBox { low, high } => {
                if !(0..2).all(|i| low[i].is_finite() && high[i].is_finite() && low[i] < high[i]) {
                    return Err(Error::Shape(format!("uniform box needs finite low < high, got {low:?} and {high:?}")));
                }
            }
        }
        Ok(())
    }
}

/// The samples of chunk `c` of a run of `n` samples in chunks of `chunk_size` (row-major
/// pairs): exactly those the counts of that chunk are made of.
pub fn chunk_samples(dist: &Distribution, seed: u64, c: u64, chunk_size: u64, n: u64) -> Vec<f64> {
    let len = chunk_size.min(n.saturating_sub(c * chunk_size));
    let mut rng = rng_stream(seed, c);
    let mut out = Vec::with_capacity(2 * len as usize);
    for _ in 0..len {
        let (u, v) = sample(dist, &mut rng);
        out.push(u);
        out.push(v);
    }
    out
}

/// Counts of one chunk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChunkCounts {
    pub hits: u64,
    pub failed: u64,
    pub n: u64,
}

/// The nearest point of the curve to one sample.
#[derive(Clone, Copy, Debug)]
pub struct Nearest {
    /// Squared distance to the nearest critical point of the smooth part (infinite if none).
    pub smooth_d2: f64,
    pub smooth_point: [f64; 2],
    /// Index and squared distance of the nearest singular point (None if there is none).
    pub singular: Option<(usize, f64)>,
}

/// Relative width of the band in which two squared distances count as a tie: the nearest
/// point is then not decided and the sample is counted as failed.
pub const TIE_BAND: f64 = 1e-9;

#[derive(Default)]
struct Scratch {
    coeffs: Vec<f64>,
    roots: Vec<f64>,
    ycoeffs: Vec<f64>,
    yroots: Vec<f64>,
    rs: RootScratch,
    rs_y: RootScratch,
}

impl PlaneCurveProblem {
    /// `critical[k]` is the coefficient of s^k of the critical polynomial; `f` is the implicit
    /// equation (also for parametrized curves: it identifies points with singular points).
    pub fn new(critical: Vec<Poly2>, form: CurveForm, f: Poly2, singular: Vec<[f64; 2]>) -> Result<Self> {
        if critical.len() < 2 {
            return Err(Error::Unsupported("the critical polynomial of the curve is constant".into()));
        }
        let finite = |p: &Poly2| p.terms.iter().all(|t| t.2.is_finite());
        if !critical.iter().all(finite) || !finite(&f) || !singular.iter().all(|p| p[0].is_finite() && p[1].is_finite())
        {
            return Err(Error::NonFinite("curve data contain NaN or infinity".into()));
        }
        Ok(PlaneCurveProblem { critical, fx: f.dx(), fy: f.dy(), form, singular })
    }

    pub fn singular_points(&self) -> &[[f64; 2]] {
        &self.singular
    }

    fn near_singular(&self, p: [f64; 2]) -> bool {
        self.singular.iter().any(|s| next_to_singular(p, *s))
    }

    /// The nearest critical point of the smooth part and the nearest singular point.
    fn nearest_with(&self, u: f64, v: f64, s: &mut Scratch) -> Nearest {
        s.coeffs.clear();
        s.coeffs.extend(self.critical.iter().map(|c| c.eval(u, v)));
        real_roots(&s.coeffs, &mut s.roots, &mut s.rs);
        self.nearest_from_roots(u, v, s)
    }

    /// [`Self::nearest_with`] for the roots of the critical polynomial in `s.roots`.
    fn nearest_from_roots(&self, u: f64, v: f64, s: &mut Scratch) -> Nearest {
        let mut best = (f64::INFINITY, [f64::NAN, f64::NAN]);
        let consider = |p: [f64; 2], best: &mut (f64, [f64; 2])| {
            if self.near_singular(p) {
                return;
            }
            let d2 = (p[0] - u).powi(2) + (p[1] - v).powi(2);
            if d2 < best.0 {
                *best = (d2, p);
            }
        };
        match &self.form {
            CurveForm::Parametrized { x, y } => {
                for &t in &s.roots {
                    let p = [horner(x, t), horner(y, t)];
                    consider(p, &mut best);
                }
            }
            CurveForm::Implicit { f } => {
                for &x in &s.roots {
                    f.in_y(x, &mut s.ycoeffs);
                    real_roots(&s.ycoeffs, &mut s.yroots, &mut s.rs_y);
                    for &y in &s.yroots {
                        // keep the points where the gradient is normal to the data direction
                        let (fx, fy) = (self.fx.eval(x, y), self.fy.eval(x, y));
                        let g = (x - u) * fy - (y - v) * fx;
                        let scale = ((x - u).abs() + (y - v).abs()) * (fx.abs() + fy.abs());
                        if g.abs() <= 1e-6 * scale.max(1e-300) {
                            consider([x, y], &mut best);
                        }
                    }
                }
            }
        }
        let singular = self
            .singular
            .iter()
            .enumerate()
            .map(|(i, p)| (i, (p[0] - u).powi(2) + (p[1] - v).powi(2)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        Nearest { smooth_d2: best.0, smooth_point: best.1, singular }
    }

    /// Nearest points for a batch of samples (row-major B x 2).
    pub fn nearest(&self, samples: &[f64]) -> Vec<Nearest> {
        samples.par_chunks(2).map_init(Scratch::default, |s, uv| self.nearest_with(uv[0], uv[1], s)).collect()
    }

    /// Decisions for a batch of samples (row-major B x 2): 1 hit, 0 miss, -1 undecided.
    pub fn decide_batch(&self, samples: &[f64], target: &Target) -> Result<Vec<i8>> {
        self.check_target(target)?;
        Ok(samples
            .par_chunks(2)
            .map_init(Scratch::default, |s, uv| match self.decide(uv[0], uv[1], target, s) {
                Some(true) => 1,
                Some(false) => 0,
                None => -1,
            })
            .collect())
    }

    fn check_target(&self, target: &Target) -> Result<()> {
        match target {
            Target::Singular(ix) => {
                if let Some(&i) = ix.iter().find(|&&i| i >= self.singular.len()) {
                    return Err(Error::Shape(format!(
                        "singular point {i} does not exist ({} known)",
                        self.singular.len()
                    )));
                }
            }
            Target::Point(q) => {
                if !(q[0].is_finite() && q[1].is_finite()) {
                    return Err(Error::NonFinite("target point must be finite".into()));
                }
            }
        }
        Ok(())
    }

    /// Some(true) if the nearest point of the curve to (u, v) is in the target, Some(false) if
    /// not, None inside the tie band.
    fn decide(&self, u: f64, v: f64, target: &Target, s: &mut Scratch) -> Option<bool> {
        // any point of the curve strictly nearer than the target decides the sample: the root
        // searches stop at the first start that gives one (about half the work where the sample
        // is no hit)
        let d2t = self.target_d2(u, v, target);
        let in_target = |p: [f64; 2]| match target {
            Target::Singular(indices) => indices.iter().any(|&i| next_to_singular(p, self.singular[i])),
            Target::Point(q) => same_point(p, *q),
        };
        let nearer = |p: [f64; 2]| (p[0] - u).powi(2) + (p[1] - v).powi(2) < d2t * (1.0 - TIE_BAND) && !in_target(p);
        let Scratch { coeffs, roots, ycoeffs, yroots, rs, rs_y } = s;
        coeffs.clear();
        coeffs.extend(self.critical.iter().map(|c| c.eval(u, v)));
        let complete = match &self.form {
            CurveForm::Parametrized { x, y } => {
                real_roots_probed(coeffs, roots, rs, |t| nearer([horner(x, t), horner(y, t)]))
            }
            // the points of the curve over the start: the real roots of F(x, .)
            CurveForm::Implicit { f } => real_roots_probed(coeffs, roots, rs, |x| {
                f.in_y(x, ycoeffs);
                real_roots(ycoeffs, yroots, rs_y);
                yroots.iter().any(|&y| nearer([x, y]))
            }),
        };
        if !complete {
            return Some(false);
        }
        let near = self.nearest_from_roots(u, v, s);
        self.verdict(u, v, &near, target)
    }

    /// The decision for (u, v) from its nearest points.
    fn verdict(&self, u: f64, v: f64, near: &Nearest, target: &Target) -> Option<bool> {
        match target {
            Target::Singular(indices) => {
                let mut t = f64::INFINITY;
                let mut other = near.smooth_d2;
                for (i, p) in self.singular.iter().enumerate() {
                    let d2 = (p[0] - u).powi(2) + (p[1] - v).powi(2);
                    if indices.contains(&i) {
                        t = t.min(d2);
                    } else {
                        other = other.min(d2);
                    }
                }
                compare(t, other)
            }
            Target::Point(q) => {
                let d2q = (q[0] - u).powi(2) + (q[1] - v).powi(2);
                let mut other = f64::INFINITY;
                let far = |p: [f64; 2]| !same_point(p, *q);
                if far(near.smooth_point) {
                    other = other.min(near.smooth_d2);
                }
                for p in &self.singular {
                    if far(*p) {
                        other = other.min((p[0] - u).powi(2) + (p[1] - v).powi(2));
                    }
                }
                compare(d2q, other)
            }
        }
    }

    /// The number of real roots of the critical polynomial at (u, v).
    #[cfg(test)]
    fn nearest_roots(&self, u: f64, v: f64) -> usize {
        let mut s = Scratch::default();
        self.nearest_with(u, v, &mut s);
        s.roots.len()
    }

    /// The squared distance from (u, v) to the nearest point of the target.
    fn target_d2(&self, u: f64, v: f64, target: &Target) -> f64 {
        match target {
            Target::Singular(indices) => indices
                .iter()
                .map(|&i| (self.singular[i][0] - u).powi(2) + (self.singular[i][1] - v).powi(2))
                .fold(f64::INFINITY, f64::min),
            Target::Point(q) => (q[0] - u).powi(2) + (q[1] - v).powi(2),
        }
    }

    /// Counts for chunks `chunks` of `chunk_size` samples each (the last chunk of a run of `n`
    /// samples may be shorter), in parallel; one entry per chunk.
    pub fn count(
        &self,
        target: &Target,
        dist: &Distribution,
        seed: u64,
        chunks: std::ops::Range<u64>,
        chunk_size: u64,
        n: u64,
    ) -> Result<Vec<ChunkCounts>> {
        self.check_target(target)?;
        dist.validate()?;
        if chunk_size == 0 {
            return Err(Error::Shape("chunk size must be positive".into()));
        }
        let out = chunks
            .into_par_iter()
            .map_init(Scratch::default, |s, c| {
                let start = c * chunk_size;
                let len = chunk_size.min(n.saturating_sub(start));
                let mut rng = rng_stream(seed, c);
                let mut counts = ChunkCounts { n: len, ..Default::default() };
                for _ in 0..len {
                    let (u, v) = sample(dist, &mut rng);
                    match self.decide(u, v, target, s) {
                        Some(true) => counts.hits += 1,
                        Some(false) => {}
                        None => counts.failed += 1,
                    }
                }
                counts
            })
            .collect();
        Ok(out)
    }
}

/// A point of the curve this close to a singular point is taken for it (a critical point of the
/// smooth part found there is the singular point, which is compared on its own).
fn next_to_singular(p: [f64; 2], singular: [f64; 2]) -> bool {
    (p[0] - singular[0]).abs() + (p[1] - singular[1]).abs() <= 1e-7 * (1.0 + p[0].abs() + p[1].abs())
}

/// A point this close to a target point is the target point.
fn same_point(p: [f64; 2], q: [f64; 2]) -> bool {
    (p[0] - q[0]).abs() + (p[1] - q[1]).abs() <= 1e-9 * (1.0 + q[0].abs() + q[1].abs())
}

fn compare(target_d2: f64, other_d2: f64) -> Option<bool> {
    if target_d2 < other_d2 * (1.0 - TIE_BAND) {
        Some(true)
    } else if other_d2 < target_d2 * (1.0 - TIE_BAND) {
        Some(false)
    } else {
        None
    }
}

fn horner(p: &[f64], t: f64) -> f64 {
    p.iter().rev().fold(0.0, |acc, &c| acc * t + c)
}

fn sample(dist: &Distribution, rng: &mut impl RngExt) -> (f64, f64) {
    match *dist {
        Distribution::Gaussian { center, scale } => {
            let (a, b) = gaussian_pair(rng);
            (center[0] + scale * a, center[1] + scale * b)
        }
        Distribution::UniformBox { low, high } => {
            let a: f64 = rng.random();
            let b: f64 = rng.random();
            (low[0] + (high[0] - low[0]) * a, low[1] + (high[1] - low[1]) * b)
        }
    }
}

/// Two independent standard normal numbers (Box-Muller).
fn gaussian_pair(rng: &mut impl RngExt) -> (f64, f64) {
    let u1: f64 = 1.0 - rng.random::<f64>(); // in (0, 1]
    let u2: f64 = rng.random();
    let r = (-2.0 * u1.ln()).sqrt();
    let a = 2.0 * std::f64::consts::PI * u2;
    (r * a.cos(), r * a.sin())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cusp y^2 = x^3 as t -> (t^2, t^3): critical polynomial
    /// (t^2 - u) 2t + (t^3 - v) 3t^2 = 3t^5 + 2t^3 - 3v t^2 - 2u t.
    fn cusp() -> PlaneCurveProblem {
        let p = |terms: Vec<(u32, u32, f64)>| Poly2 { terms };
        let critical = vec![
            p(vec![]),
            p(vec![(1, 0, -2.0)]),
            p(vec![(0, 1, -3.0)]),
            p(vec![(0, 0, 2.0)]),
            p(vec![]),
            p(vec![(0, 0, 3.0)]),
        ];
        let f = p(vec![(0, 2, 1.0), (3, 0, -1.0)]);
        let form = CurveForm::Parametrized { x: vec![0.0, 0.0, 1.0], y: vec![0.0, 0.0, 0.0, 1.0] };
        PlaneCurveProblem::new(critical, form, f, vec![[0.0, 0.0]]).unwrap()
    }

    #[test]
    fn points_left_of_the_cusp_are_nearest_to_it() {
        let c = cusp();
        let mut s = Scratch::default();
        // far to the left on the axis: the cusp is the nearest point
        assert_eq!(c.decide(-1.0, 0.0, &Target::Singular(vec![0]), &mut s), Some(true));
        // on the right near the curve: a smooth point is nearer
        assert_eq!(c.decide(1.0, 1.1, &Target::Singular(vec![0]), &mut s), Some(false));
    }

    #[test]
    fn stopping_at_a_nearer_point_of_the_curve_decides_as_all_critical_points_do() {
        // the cusp with its singular point, and the nodal cubic t -> (t^2 - 1, t^3 - t) (the
        // node (0, 0) at t = +-1) with the node and a smooth point as target points
        let p = |terms: Vec<(u32, u32, f64)>| Poly2 { terms };
        let nodal = {
            // (t^2 - 1 - u) 2t + (t^3 - t - v)(3t^2 - 1) = 3t^5 - 2t^3 - 3v t^2 + (-1 - 2u) t + v
            let critical = vec![
                p(vec![(0, 1, 1.0)]),
                p(vec![(0, 0, -1.0), (1, 0, -2.0)]),
                p(vec![(0, 1, -3.0)]),
                p(vec![(0, 0, -2.0)]),
                p(vec![]),
                p(vec![(0, 0, 3.0)]),
            ];
            let f = p(vec![(0, 2, 1.0), (3, 0, -1.0), (2, 0, -1.0)]);
            let form = CurveForm::Parametrized { x: vec![-1.0, 0.0, 1.0], y: vec![0.0, -1.0, 0.0, 1.0] };
            PlaneCurveProblem::new(critical, form, f, vec![[0.0, 0.0]]).unwrap()
        };
        // the cusp given by y^2 = x^3: the resultant in y of F and (x - u) F_y - (y - v) F_x,
        // 9 x^4 v^2 - x^3 (3x^2 + 2x - 2u)^2, less the root x = 0 of the singular point
        let implicit = {
            let critical = vec![
                p(vec![(2, 0, -4.0)]),
                p(vec![(1, 0, 8.0), (0, 2, 9.0)]),
                p(vec![(0, 0, -4.0), (1, 0, 12.0)]),
                p(vec![(0, 0, -12.0)]),
                p(vec![(0, 0, -9.0)]),
            ];
            let f = p(vec![(0, 2, 1.0), (3, 0, -1.0)]);
            PlaneCurveProblem::new(critical, CurveForm::Implicit { f: f.clone() }, f, vec![[0.0, 0.0]]).unwrap()
        };
        let dist = Distribution::Gaussian { center: [0.0, 0.0], scale: 1.0 };
        // (the cusp attracts data; a node, by the Morse lemma, and a smooth point have null
        // Voronoi cells: no hits)
        let cases = [
            (cusp(), Target::Singular(vec![0]), true),
            (implicit, Target::Singular(vec![0]), true),
            (nodal.clone(), Target::Singular(vec![0]), false),
            (nodal.clone(), Target::Point([0.0, 0.0]), false),
            (nodal, Target::Point([3.0, 6.0]), false), // t = 2
        ];
        for (curve, target, attracts) in &cases {
            let samples = chunk_samples(&dist, 11, 0, 20_000, 20_000);
            let mut s = Scratch::default();
            let (mut hits, mut stopped) = (0, 0);
            for uv in samples.chunks(2) {
                let all = curve.nearest_with(uv[0], uv[1], &mut s);
                let expected = curve.verdict(uv[0], uv[1], &all, target);
                let decided = curve.decide(uv[0], uv[1], target, &mut s);
                assert_eq!(decided, expected, "at {uv:?}");
                hits += usize::from(decided == Some(true));
                stopped += usize::from(s.roots.len() < curve.nearest_roots(uv[0], uv[1]));
            }
            // the searches stopped early for some samples
            assert!((hits > 0) == *attracts && hits < 20_000 && stopped > 0, "{hits} hits, {stopped} stopped");
        }
    }

    #[test]
    fn counts_do_not_depend_on_the_thread_count() {
        let c = cusp();
        let dist = Distribution::UniformBox { low: [-1.0, -1.0], high: [1.0, 1.0] };
        let t = Target::Singular(vec![0]);
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let a = one.install(|| c.count(&t, &dist, 7, 0..16, 1000, 15_500).unwrap());
        let b = c.count(&t, &dist, 7, 0..16, 1000, 15_500).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.iter().map(|c| c.n).sum::<u64>(), 15_500);
        assert!(a.iter().map(|c| c.hits).sum::<u64>() > 0);
    }
}
