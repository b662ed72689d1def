//! Homotopy continuation: all isolated complex solutions of a square polynomial system.
//!
//! `solve` runs the total-degree homotopy H(z, t) = (1 - t) F^h(z) + gamma t G(z) in
//! projective coordinates z = (z_0, ..., z_n) on a random affine patch a . z = 1, where
//! G_i = z_i^{d_i} - z_0^{d_i} has the prod d_i known start solutions and gamma is a random
//! complex number (the gamma trick: for all but finitely many gamma the paths are regular
//! for t in (0, 1]). In projective coordinates paths to solutions at infinity stay bounded and
//! end with z_0 = 0. Paths are tracked from t = 1 to `ENDGAME_START`, then directly to 0 if
//! the endpoint is regular, else by the Cauchy endgame, which also yields the winding number.

pub mod linalg;
pub mod monodromy;
pub mod refine;
pub mod scaling;
pub mod start;
pub mod tracker;

use std::f64::consts::PI;

use rand::RngExt;
use rayon::prelude::*;

use crate::ddouble::ComplexDd;
use crate::error::{Error, Result};
use crate::random::rng_stream;
use crate::scalar::Complex64;
use crate::system::{LineOutput, LinePoint, System, LINE_LANES};
use linalg::{condition_number, equilibrated_condition, norm};
use refine::{converges_to_solution, stays_near};
use scaling::Scaling;
pub use start::Start;
use start::StartSystem;
use tracker::{
    factor_in_lanes, newton, track, track_with_checkpoint, Homotopy, PathTracker, Scratch, Tracked, TrackerOptions,
};

type C = Complex64;

/// Where the Cauchy endgame takes over.
pub const ENDGAME_START: f64 = 0.1;

/// Steps of a path from a start system straight from t = ENDGAME_START to t = 0.
const DIRECT_STEPS: usize = 60;

/// Largest condition number of an endpoint reached by tracking straight to t = 0 that is
/// taken as regular without the endgame (near a double root, direct tracking gets to about
/// the square root of the unit roundoff, where the condition number is about 1e8).
const DIRECT_CONDITION: f64 = 1e6;

/// How a path ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathStatus {
    /// A finite solution where the Jacobian is regular.
    Nonsingular,
    /// A finite solution where the Jacobian is singular (a multiple root or a positive-
    /// dimensional component).
    Singular,
    /// The path went to a solution at infinity (z_0 = 0).
    AtInfinity,
    /// Tracking failed; the path is reported, never dropped.
    Failed,
}

impl PathStatus {
    pub fn name(self) -> &'static str {
        match self {
            PathStatus::Nonsingular => "nonsingular",
            PathStatus::Singular => "singular",
            PathStatus::AtInfinity => "at_infinity",
            PathStatus::Failed => "failed",
        }
    }
}

/// The end of one path.
#[derive(Clone, Debug)]
pub struct PathResult {
    pub status: PathStatus,
    /// Affine solution (meaningful for finite endpoints).
    pub solution: Vec<C>,
    /// Projective endpoint on the patch.
    pub projective: Vec<C>,
    /// |F(x)| at the solution, relative to the size of the coefficients.
    pub residual: f64,
    /// Condition number of dF/dx at the solution, relative to the scales of the equations'
    /// terms and of the unknowns (1 + |x_j|), in the 1-norm (infinite when singular).
    pub condition: f64,
    /// Winding number of the path around t = 0 (1 for regular endpoints).
    pub winding: usize,
    /// Number of paths ending at this solution (1 for nonsingular ones).
    pub multiplicity: usize,
    pub steps: usize,
}

/// Settings of `solve`.
#[derive(Clone, Debug)]
pub struct SolveOptions {
    pub seed: u64,
    /// The start system of `solve`.
    pub start: Start,
    pub tracker: TrackerOptions,
    /// Endpoints with |z_0| / |z| below this are at infinity.
    pub infinity_tolerance: f64,
    /// Endpoints whose Jacobian has a larger condition number are singular.
    pub singular_condition: f64,
    /// `solve` scales the unknowns and equations by the sizes of the coefficients first
    /// ([`scaling`]) when that changes the unknowns by more than a factor 4.
    pub scale: bool,
    /// Track a failed path again with smaller steps and corrections, in extended precision,
    /// before reporting it failed. Callers with a cheaper way round a hard path (another
    /// chart, other start parameters) turn this off.
    pub retry_failed: bool,
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions {
            seed: 0,
            start: Start::Auto,
            tracker: TrackerOptions::default(),
            infinity_tolerance: 1e-8,
            singular_condition: 1e10,
            scale: true,
            retry_failed: true,
        }
    }
}

/// H(z, t) = (1 - t) z_0^{e_i} F_i^h(z) + gamma t G_i(z) from a start system G.
struct StartHomotopy<'a> {
    sys: &'a System,
    params: &'a [C],
    gamma: C,
    patch: Vec<C>,
    start: StartSystem,
}

/// A homotopy in projective coordinates whose end (t = 0) is the system at `target()`.
pub trait ProjectiveHomotopy: Homotopy {
    fn system(&self) -> &System;
    fn target(&self) -> &[C];
    /// Steps allowed from t = ENDGAME_START straight to t = 0 before the tests for infinity
    /// and the endgame take over.
    fn direct_steps(&self) -> usize;
}

impl ProjectiveHomotopy for StartHomotopy<'_> {
    fn system(&self) -> &System {
        self.sys
    }
    fn direct_steps(&self) -> usize {
        // many paths from a start system go to infinity: decide those early
        DIRECT_STEPS
    }
    fn target(&self) -> &[C] {
        self.params
    }
}

impl Homotopy for StartHomotopy<'_> {
    fn n(&self) -> usize {
        self.sys.n_vars() + 1
    }
    fn eval(&self, z: &[C], t: C, ws: &mut Scratch, h: &mut [C], hz: &mut [C], ht: &mut [C]) {
        let n = self.sys.n_vars();
        let m = n + 1;
        let (mut f, mut jf) = (std::mem::take(&mut ws.f), std::mem::take(&mut ws.jf));
        f.resize(n, C::default());
        jf.resize(n * m, C::default());
        self.sys.eval_homogeneous(z, self.params, &mut ws.system, &mut f, &mut jf);
        let one = C::new(1.0, 0.0);
        let a = one - t;
        let b = self.gamma * t;
        let mut grad = std::mem::take(&mut ws.grad);
        grad.resize(m, C::default());
        for i in 0..n {
            let e = self.start.extra_degree(i);
            // z_0^e F_i^h and its gradient
            let (pe, dpe) =
                if e == 0 { (one, C::default()) } else { (z[0].powi(e as i32), z[0].powi(e as i32 - 1) * e as f64) };
            let fi = pe * f[i];
            let g = self.start.eval(i, self.sys.degrees()[i], z, &mut grad);
            h[i] = a * fi + b * g;
            ht[i] = self.gamma * g - fi;
            for j in 0..m {
                hz[i * m + j] = a * pe * jf[i * m + j] + b * grad[j];
            }
            hz[i * m] += a * dpe * f[i];
        }
        ws.grad = grad;
        // the patch a . z = 1
        let mut p = C::new(-1.0, 0.0);
        for j in 0..m {
            p += self.patch[j] * z[j];
            hz[n * m + j] = self.patch[j];
        }
        h[n] = p;
        ht[n] = C::default();
        ws.f = f;
        ws.jf = jf;
    }
    fn residual_extended(&self, z: &[C], t: C, ws: &mut Scratch, h: &mut [C]) -> bool {
        let n = self.sys.n_vars();
        let mut wide = std::mem::take(&mut ws.wide);
        wide.resize(n, ComplexDd::default());
        self.sys.eval_homogeneous_extended(z, self.params, &mut ws.system, &mut wide);
        let one = ComplexDd::new(C::new(1.0, 0.0));
        let (a, b) = (one - ComplexDd::new(t), ComplexDd::new(self.gamma) * ComplexDd::new(t));
        for i in 0..n {
            let pe = (0..self.start.extra_degree(i)).fold(one, |acc, _| acc * ComplexDd::new(z[0]));
            let g = self.start.eval_extended(i, self.sys.degrees()[i], z);
            h[i] = (a * pe * wide[i] + b * g).to_complex();
        }
        h[n] = patch_residual(&self.patch, z);
        ws.wide = wide;
        true
    }
}

fn random_unit(rng: &mut impl RngExt) -> C {
    let a: f64 = rng.random::<f64>() * 2.0 * PI;
    C::new(a.cos(), a.sin())
}

/// Largest number of paths `solve` accepts.
pub const MAX_PATHS: f64 = 1e8;

/// All isolated solutions of `sys` at parameters `params` by the homotopy from the start
/// system `opts.start` (total degree or multihomogeneous linear products), in scaled unknowns
/// where the coefficients call for it (`opts.scale`); the results are in the original ones.
pub fn solve(sys: &System, params: &[C], opts: &SolveOptions) -> Result<Vec<PathResult>> {
    sys.check_params(params)?;
    if opts.scale {
        let scaling = Scaling::of(sys, params);
        if !scaling.is_negligible() {
            let scaled = scaling.apply(sys, params)?;
            // (a coefficient that vanishes at these parameters could lower a degree: then the
            // instance is not the system whose paths were asked for)
            if scaled.degrees() == sys.degrees() {
                let mut results = solve_unscaled(&scaled, &[], opts)?;
                for r in &mut results {
                    unscale(r, sys, params, &scaling.variables);
                }
                // an end that does not solve the given system means the scaled one lost
                // accuracy (coefficients spread too far apart): solve the system as given
                if results.iter().all(|r| r.solution.is_empty() || r.residual <= SCALED_RESIDUAL) {
                    return Ok(results);
                }
            }
        }
    }
    solve_unscaled(sys, params, opts)
}

/// Largest residual in the original system of an end found in scaled unknowns.
const SCALED_RESIDUAL: f64 = 1e-6;

/// A path's end in the unknowns x = s * y of the original system; its residual is that of
/// the original system, its condition number the one in the unknowns it was solved in.
fn unscale(r: &mut PathResult, sys: &System, params: &[C], s: &[f64]) {
    for (x, &k) in r.solution.iter_mut().zip(s) {
        *x *= k;
    }
    if r.projective.len() == s.len() + 1 {
        for (z, &k) in r.projective[1..].iter_mut().zip(s) {
            *z *= k;
        }
    }
    if !r.solution.is_empty() {
        r.residual = norm(&sys.evaluate(&r.solution, params)) / coefficient_scale(sys);
    }
}

/// 1 + the largest coefficient: the residual reported for an endpoint is |F(x; p)| over it.
fn coefficient_scale(sys: &System) -> f64 {
    1.0 + sys.equations().iter().flatten().map(|t| t.coefficient.norm_sqr()).fold(0.0, f64::max).sqrt()
}

fn solve_unscaled(sys: &System, params: &[C], opts: &SolveOptions) -> Result<Vec<PathResult>> {
    let mut rng = rng_stream(opts.seed, 7);
    let gamma = random_unit(&mut rng);
    let patch: Vec<C> = (0..=sys.n_vars()).map(|_| random_unit(&mut rng)).collect();
    let (start, paths) = StartSystem::new(sys, &opts.start, &mut rng)?;
    if paths > MAX_PATHS {
        return Err(Error::TooLarge(format!("the homotopy would track {paths:.3e} paths")));
    }
    let starts = start.solutions(sys.degrees(), &patch);
    let hm = StartHomotopy { sys, params, gamma, patch, start };
    let hm = &hm;
    let mut results: Vec<PathResult> = starts
        .par_iter()
        .map_init(Scratch::default, |ws, z| match z {
            Some(z) => follow(hm, z.clone(), opts, ws),
            None => failed(vec![], 0),
        })
        .collect();
    retrack_jumped(&mut results, opts, |k, careful, ws| match &starts[k] {
        Some(z) => follow_once(hm, z.clone(), careful, ws),
        None => failed(vec![], 0),
    });
    count_multiplicities(&mut results, sys, params, opts);
    Ok(results)
}

/// Paths that end at the same regular-looking solution: a regular solution ends one path of a
/// homotopy from generic start data, so either all but one jumped from their own path onto
/// another one, or the end is a singular solution whose paths came so close (a double root
/// reached at about the square root of the unit roundoff) that it passed for regular. Each
/// is tracked again with the careful settings of a retry (`track(k, careful)`), which keeps
/// paths apart; an end still shared after that is singular, never two copies of a regular
/// solution.
fn retrack_jumped<F>(results: &mut [PathResult], opts: &SolveOptions, track: F)
where
    F: Fn(usize, &SolveOptions, &mut Scratch) -> PathResult + Sync,
{
    let jumped = shared_regular_ends(results);
    if jumped.is_empty() {
        return;
    }
    let careful = careful_options(opts);
    let again: Vec<(usize, PathResult)> = jumped
        .into_par_iter()
        .map_init(Scratch::default, |ws, k| {
            let mut r = track(k, &careful, ws);
            r.steps += results[k].steps;
            (k, r)
        })
        .collect();
    for (k, r) in again {
        // (a careful track that fails keeps the end found first)
        if r.status == PathStatus::Failed {
            results[k].steps = r.steps;
        } else {
            results[k] = r;
        }
    }
    for k in shared_regular_ends(results) {
        results[k].status = PathStatus::Singular;
    }
}

/// Singular endpoints reached by several paths: each gets the number of paths ending there.
/// An isolated singular solution attracts as many paths as its multiplicity, so a singular
/// end reached by one path with winding number 1 whose Jacobian is regular after scaling is
/// a regular solution, only badly scaled in the chart (large and small coordinates); it is
/// reported as nonsingular. (Points of positive-dimensional solution sets stay singular:
/// their Jacobians are singular at any scaling.)
fn count_multiplicities(results: &mut [PathResult], sys: &System, params: &[C], opts: &SolveOptions) {
    count_coinciding(results);
    for r in results.iter_mut() {
        if r.status == PathStatus::Singular
            && r.winding == 1
            && r.multiplicity == 1
            && equilibrated_condition(sys.jacobian(&r.solution, params), sys.n_vars()) < opts.singular_condition
        {
            r.status = PathStatus::Nonsingular;
        }
    }
}

/// The number of singular endpoints at each singular endpoint.
fn count_coinciding(results: &mut [PathResult]) {
    let singular: Vec<usize> = (0..results.len()).filter(|&i| results[i].status == PathStatus::Singular).collect();
    for &i in &singular {
        let xi = &results[i].solution;
        let m = singular
            .iter()
            .filter(|&&j| {
                let d: Vec<C> = xi.iter().zip(&results[j].solution).map(|(a, b)| a - b).collect();
                norm(&d) <= 1e-5 * (1.0 + norm(xi))
            })
            .count();
        results[i].multiplicity = m;
    }
}

/// F(z; p(t)) with p(t) = t p_start + (1 - t) p_target on a random patch: tracks the solutions
/// at generic (complex) start parameters to those at the target parameters.
struct ParameterHomotopy<'a> {
    sys: &'a System,
    target: &'a [C],
    /// start - target
    direction: &'a [C],
    patch: &'a [C],
}

impl ProjectiveHomotopy for ParameterHomotopy<'_> {
    fn system(&self) -> &System {
        self.sys
    }
    fn direct_steps(&self) -> usize {
        // generic targets: every path ends at a regular solution, if ill-conditioned
        usize::MAX
    }
    fn target(&self) -> &[C] {
        self.target
    }
}

impl ParameterHomotopy<'_> {
    /// The last row of H: the patch a . z = 1.
    fn patch_row(&self, z: &[C], h: &mut [C], hz: &mut [C], ht: &mut [C]) {
        let n = self.sys.n_vars();
        let m = n + 1;
        let mut pz = C::new(-1.0, 0.0);
        for j in 0..m {
            pz += self.patch[j] * z[j];
            hz[n * m + j] = self.patch[j];
        }
        h[n] = pz;
        ht[n] = C::default();
    }
}

impl Homotopy for ParameterHomotopy<'_> {
    fn n(&self) -> usize {
        self.sys.n_vars() + 1
    }
    fn eval(&self, z: &[C], t: C, ws: &mut Scratch, h: &mut [C], hz: &mut [C], ht: &mut [C]) {
        let n = self.sys.n_vars();
        let m = n + 1;
        // p(t) = target + t (start - target)
        self.sys.eval_on_line(z, t, self.target, self.direction, &mut ws.system, &mut h[..n], hz, m, &mut ht[..n]);
        self.patch_row(z, h, hz, ht);
    }
    fn residual_extended(&self, z: &[C], t: C, ws: &mut Scratch, h: &mut [C]) -> bool {
        let n = self.sys.n_vars();
        let mut wide = std::mem::take(&mut ws.wide);
        wide.resize(n, ComplexDd::default());
        self.sys.eval_on_line_extended(z, t, self.target, self.direction, &mut ws.system, &mut wide);
        for (hi, w) in h.iter_mut().zip(&wide) {
            *hi = w.to_complex();
        }
        h[n] = patch_residual(&self.patch, z);
        ws.wide = wide;
        true
    }
}

/// a . z - 1 in double-double precision.
fn patch_residual(patch: &[C], z: &[C]) -> C {
    let mut acc = ComplexDd::new(C::new(-1.0, 0.0));
    for (a, x) in patch.iter().zip(z) {
        acc += ComplexDd::new(*a) * ComplexDd::new(*x);
    }
    acc.to_complex()
}

/// Parameter homotopy: the solutions `start_solutions` (S x n, affine) of the system at
/// `start_params` tracked to each row of `targets` (T x n_params). Returns T x S results, row
/// by row. Start parameters should be generic complex numbers, so that no path meets the
/// discriminant (probability one).
pub fn track_parameters(
    sys: &System,
    start_solutions: &[Vec<C>],
    start_params: &[C],
    targets: &[Vec<C>],
    opts: &SolveOptions,
) -> Result<Vec<Vec<PathResult>>> {
    sys.check_params(start_params)?;
    for t in targets {
        sys.check_params(t)?;
    }
    let n = sys.n_vars();
    for x in start_solutions {
        if x.len() != n {
            return Err(Error::Shape(format!("a start solution has {} coordinates, expected {n}", x.len())));
        }
        if x.iter().any(|z| !(z.re.is_finite() && z.im.is_finite())) {
            return Err(Error::NonFinite("start solutions contain NaN or infinity".into()));
        }
    }
    let mut rng = rng_stream(opts.seed, 8);
    let patch: Vec<C> = (0..=n).map(|_| random_unit(&mut rng)).collect();
    let s = start_solutions.len();
    let directions: Vec<Vec<C>> =
        targets.iter().map(|t| start_params.iter().zip(t).map(|(a, b)| a - b).collect()).collect();
    let homotopies: Vec<ParameterHomotopy> = targets
        .iter()
        .zip(&directions)
        .map(|(target, direction)| ParameterHomotopy { sys, target, direction, patch: &patch })
        .collect();
    // start points on the patch
    let starts: Vec<Vec<C>> = start_solutions
        .iter()
        .map(|x| {
            let mut z: Vec<C> = std::iter::once(C::new(1.0, 0.0)).chain(x.iter().copied()).collect();
            let scale: C = patch.iter().zip(&z).map(|(a, b)| a * b).sum();
            z.iter_mut().for_each(|v| *v /= scale);
            z
        })
        .collect();
    // a split into chunks fixed by the problem, not by the threads: reproducible results
    let total = targets.len() * s;
    let chunks: Vec<std::ops::Range<usize>> =
        (0..total).step_by(LANE_CHUNK).map(|a| a..(a + LANE_CHUNK).min(total)).collect();
    let per_chunk: Vec<Vec<(PathResult, Option<Deferred>)>> =
        chunks.into_par_iter().map(|range| track_in_lanes(sys, &homotopies, &starts, range, opts)).collect();
    let (mut flat, deferred): (Vec<PathResult>, Vec<Option<Deferred>>) = per_chunk.into_iter().flatten().unzip();
    // the ill-conditioned regular ends that another path of the same target shares (paths
    // that jumped, or a cluster at a singular endpoint) go through the endgame after all
    let revisit: Vec<(usize, Deferred)> = deferred
        .into_iter()
        .enumerate()
        .filter_map(|(k, d)| Some((k, d?)))
        .filter(|(k, _)| {
            let row = &flat[k - k % s..k - k % s + s];
            near_another_end(row, k % s)
        })
        .collect();
    let revisited: Vec<(usize, PathResult)> = revisit
        .into_par_iter()
        .map_init(Scratch::default, |ws, (k, d)| {
            let hm = &homotopies[k / s];
            let first = finish_one_pass(hm, d.end, d.at_endgame, d.whole, opts, ws);
            (k, retry_if_failed(hm, starts[k % s].clone(), first, opts, ws))
        })
        .collect();
    for (k, r) in revisited {
        flat[k] = r;
    }
    let mut out: Vec<Vec<PathResult>> = Vec::with_capacity(targets.len());
    let mut it = flat.into_iter();
    for _ in 0..targets.len() {
        let mut row: Vec<PathResult> = it.by_ref().take(s).collect();
        let hm = &homotopies[out.len()];
        retrack_jumped(&mut row, opts, |i, careful, ws| follow_once(hm, starts[i].clone(), careful, ws));
        count_multiplicities(&mut row, sys, &targets[out.len()], opts);
        out.push(row);
    }
    Ok(out)
}

/// A path whose end was accepted as regular though ill-conditioned, kept to be finished in
/// full if its end turns out to be shared.
struct Deferred {
    end: Vec<C>,
    at_endgame: Vec<C>,
    whole: Tracked,
}

/// The regular ends that another regular end shares ([`same_end`]), in increasing order.
/// Sorted by the real part of the first coordinate, a pair is compared only if that differs
/// by less than the largest tolerance: nearly linear in the number of paths.
fn shared_regular_ends(row: &[PathResult]) -> Vec<usize> {
    let regular: Vec<usize> =
        (0..row.len()).filter(|&i| row[i].status == PathStatus::Nonsingular && !row[i].solution.is_empty()).collect();
    let key = |i: usize| row[i].solution[0].re;
    let widest = regular.iter().map(|&i| end_tolerance(&row[i])).fold(0.0, f64::max);
    let mut order = regular;
    order.sort_by(|&a, &b| key(a).total_cmp(&key(b)));
    let mut shared = vec![false; row.len()];
    for (a, &i) in order.iter().enumerate() {
        for &j in order[a + 1..].iter().take_while(|&&j| key(j) - key(i) <= widest) {
            if same_end(&row[i], &row[j]) || same_end(&row[j], &row[i]) {
                shared[i] = true;
                shared[j] = true;
            }
        }
    }
    (0..row.len()).filter(|&i| shared[i]).collect()
}

/// Does another path of the row end at the end of path i, up to the accuracy of that end
/// (its condition number times the rounding of the polished point)? Paths jumping onto each
/// other end there, as do the paths of a cluster at a singular endpoint, which the endgame
/// tells apart. A regular endpoint reached by one path alone is what it looks like, however
/// close the next root: there the endgame, whose loops cannot separate roots closer than its
/// smallest radius, would see one singular root instead of two.
fn near_another_end(row: &[PathResult], i: usize) -> bool {
    row.iter().enumerate().any(|(j, r)| j != i && same_end(&row[i], r))
}

/// Is the end of `b` that of `a`, up to the accuracy of `a`?
fn same_end(a: &PathResult, b: &PathResult) -> bool {
    let x = &a.solution;
    !x.is_empty() && b.solution.len() == x.len() && {
        let d: Vec<C> = x.iter().zip(&b.solution).map(|(p, q)| p - q).collect();
        norm(&d) <= end_tolerance(a)
    }
}

/// The accuracy of a path's end: its condition number times the rounding of the polished
/// point.
fn end_tolerance(r: &PathResult) -> f64 {
    (r.condition * 1e-13).clamp(1e-12, 1e-3) * (1.0 + norm(&r.solution))
}

/// Track one path; a path that fails is tracked again with smaller steps and corrections
/// before it is reported as failed.
fn follow<H: ProjectiveHomotopy>(hm: &H, z: Vec<C>, opts: &SolveOptions, ws: &mut Scratch) -> PathResult {
    let first = follow_once(hm, z.clone(), opts, ws);
    retry_if_failed(hm, z, first, opts, ws)
}

/// Paths of a parameter homotopy per lane driver (a multiple of the lane count).
const LANE_CHUNK: usize = 64;

/// The paths `range` (path k: start point k mod S, target k div S) of a parameter homotopy,
/// tracked [`LINE_LANES`] at a time: every evaluation of their first pass serves all lanes
/// in one run of the compiled program. A lane whose path is done takes the next one; the
/// rest of a path (its end, a careful retry) runs alone. Each path takes the steps it would
/// take alone.
fn track_in_lanes(
    sys: &System,
    homotopies: &[ParameterHomotopy],
    starts: &[Vec<C>],
    range: std::ops::Range<usize>,
    opts: &SolveOptions,
) -> Vec<(PathResult, Option<Deferred>)> {
    let s = starts.len();
    let m = sys.n_vars() + 1;
    let mut lanes = sys.line_lanes();
    let mut scratch: [Scratch; LINE_LANES] = std::array::from_fn(|_| Scratch::default());
    let mut active: [Option<(usize, PathTracker)>; LINE_LANES] = std::array::from_fn(|_| None);
    let mut results: Vec<Option<(PathResult, Option<Deferred>)>> = (0..range.len()).map(|_| None).collect();
    let mut next = range.start;
    loop {
        for (lane, ws) in active.iter_mut().zip(scratch.iter_mut()) {
            loop {
                if let Some((k, tracker)) = lane.take() {
                    let Some(whole) = tracker.result() else {
                        *lane = Some((k, tracker));
                        break;
                    };
                    let hm = &homotopies[k / s];
                    let (end, at_endgame) = tracker.into_points();
                    let (first, deferred) = finish_one_pass_deferring(hm, end, at_endgame, whole, opts, ws);
                    results[k - range.start] =
                        Some((retry_if_failed(hm, starts[k % s].clone(), first, opts, ws), deferred));
                }
                if next == range.end {
                    break;
                }
                let k = next;
                next += 1;
                let checkpoint = Some(1.0 - ENDGAME_START);
                let mut tracker =
                    PathTracker::new(starts[k % s].clone(), &segment, 0.0, 1.0, &opts.tracker, checkpoint, ws);
                tracker.resume(&homotopies[k / s], ws);
                *lane = Some((k, tracker));
            }
        }
        if active.iter().all(|a| a.is_none()) {
            break;
        }
        {
            let points: [Option<LinePoint>; LINE_LANES] = std::array::from_fn(|l| {
                let (k, tracker) = active[l].as_ref()?;
                let (z, t) = tracker.pending()?;
                let hm = &homotopies[*k / s];
                Some((z, t, hm.target, hm.direction))
            });
            let mut outs: [Option<LineOutput>; LINE_LANES] = std::array::from_fn(|_| None);
            for ((out, ws), point) in outs.iter_mut().zip(scratch.iter_mut()).zip(&points) {
                if point.is_some() {
                    let (h, hz, ht) = ws.evaluation(m);
                    *out = Some((&mut h[..m - 1], hz, &mut ht[..m - 1]));
                }
            }
            sys.eval_on_line_lanes(&points, &mut lanes, &mut outs, m);
        }
        let mut pending = [false; LINE_LANES];
        for ((lane, ws), p) in active.iter_mut().zip(scratch.iter_mut()).zip(pending.iter_mut()) {
            let Some((k, tracker)) = lane else { continue };
            if let Some((z, _)) = tracker.pending() {
                let (h, hz, ht) = ws.evaluation(m);
                homotopies[*k / s].patch_row(z, h, hz, ht);
                *p = true;
            }
        }
        factor_in_lanes(&mut scratch, pending, m);
        for ((lane, ws), &p) in active.iter_mut().zip(scratch.iter_mut()).zip(&pending) {
            if let (Some((k, tracker)), true) = (lane, p) {
                tracker.resume(&homotopies[*k / s], ws);
            }
        }
    }
    results.into_iter().map(|r| r.expect("every path of the chunk is tracked")).collect()
}

/// A failed path tracked again with smaller steps and corrections before it is reported as
/// failed.
fn retry_if_failed<H: ProjectiveHomotopy>(
    hm: &H,
    z: Vec<C>,
    first: PathResult,
    opts: &SolveOptions,
    ws: &mut Scratch,
) -> PathResult {
    if first.status != PathStatus::Failed || !opts.retry_failed {
        return first;
    }
    let mut second = follow_once(hm, z, &careful_options(opts), ws);
    second.steps += first.steps;
    second
}

/// Smaller steps and corrections, in extended precision: for a path tracked a second time.
fn careful_options(opts: &SolveOptions) -> SolveOptions {
    SolveOptions {
        tracker: TrackerOptions {
            max_first_correction: opts.tracker.max_first_correction * 1e-2,
            max_step: opts.tracker.max_step * 0.25,
            initial_step: opts.tracker.initial_step * 0.1,
            max_steps: opts.tracker.max_steps * 25,
            predictor_error: opts.tracker.predictor_error * 1e-3,
            strict: true,
            extended: true,
            ..opts.tracker.clone()
        },
        ..opts.clone()
    }
}

/// The homotopy parameter along a path: t = 1 - s.
fn segment(s: f64) -> (C, C) {
    (C::new(1.0 - s, 0.0), C::new(-1.0, 0.0))
}

/// Track one path from t = 1 to t = 0 and classify its end.
fn follow_once<H: ProjectiveHomotopy>(hm: &H, mut z: Vec<C>, opts: &SolveOptions, ws: &mut Scratch) -> PathResult {
    if hm.direct_steps() == usize::MAX {
        // generic targets, where paths end at regular solutions: one pass to t = 0 (no
        // restart of the step control at ENDGAME_START), keeping the point there for the
        // tests below in case the end is not regular after all
        let mut at_endgame = Vec::new();
        let mut end = z;
        let checkpoint = Some((1.0 - ENDGAME_START, &mut at_endgame));
        let whole = track_with_checkpoint(hm, &mut end, &segment, 0.0, 1.0, &opts.tracker, ws, checkpoint);
        return finish_one_pass(hm, end, at_endgame, whole, opts, ws);
    }
    let first = track(hm, &mut z, &segment, 0.0, 1.0 - ENDGAME_START, &opts.tracker, ws);
    if !first.ok {
        return failed(z, first.steps);
    }
    // regular endpoints: straight on to t = 0
    // strictly: near t = 0 a path to a singular endpoint must not pass for a regular one
    let mut end = z.clone();
    // a regular endpoint takes few steps from here; a path that needs many is going to a
    // singular endpoint or to infinity, which the tests below decide
    let budget = hm.direct_steps().min(opts.tracker.max_steps);
    let strict = TrackerOptions { strict: true, max_steps: budget, ..opts.tracker.clone() };
    let last = track(hm, &mut end, &segment, 1.0 - ENDGAME_START, 1.0, &strict, ws);
    // the step budget from ENDGAME_START ran out on a finite path
    let ran_out = !last.ok && last.steps >= budget && budget < opts.tracker.max_steps;
    finish_path(hm, z, end, last.ok, ran_out, first.steps + last.steps, opts, ws)
}

/// The end of a path tracked in one pass from t = 1 (to `end`; `at_endgame` is the point at
/// t = ENDGAME_START, empty if not reached).
fn finish_one_pass<H: ProjectiveHomotopy>(
    hm: &H,
    end: Vec<C>,
    at_endgame: Vec<C>,
    whole: Tracked,
    opts: &SolveOptions,
    ws: &mut Scratch,
) -> PathResult {
    if at_endgame.is_empty() {
        return failed(end, whole.steps);
    }
    finish_path(hm, at_endgame, end, whole.ok, false, whole.steps, opts, ws)
}

/// [`finish_one_pass`], except that an ill-conditioned regular end is accepted for now, with
/// what it takes to finish it in full later.
fn finish_one_pass_deferring<H: ProjectiveHomotopy>(
    hm: &H,
    end: Vec<C>,
    at_endgame: Vec<C>,
    whole: Tracked,
    opts: &SolveOptions,
    ws: &mut Scratch,
) -> (PathResult, Option<Deferred>) {
    if at_endgame.is_empty() || !whole.ok {
        return (finish_one_pass(hm, end, at_endgame, whole, opts, ws), None);
    }
    match regular_end(hm, &end, whole.steps, opts, ws) {
        Regular::Accept(r) => (r, None),
        Regular::Candidate(r) => (r, Some(Deferred { end, at_endgame, whole })),
        // (the end is not regular: no need to ask again)
        Regular::No => (finish_path(hm, at_endgame, end, false, false, whole.steps, opts, ws), None),
    }
}

/// Classify the end of a path from its point `z` at t = ENDGAME_START and the end `direct` of
/// its direct track to t = 0 (reached if `last_ok`): a regular end, a path to infinity, or the
/// endgame for a singular end.
#[allow(clippy::too_many_arguments)]
fn finish_path<H: ProjectiveHomotopy>(
    hm: &H,
    z: Vec<C>,
    direct: Vec<C>,
    last_ok: bool,
    ran_out: bool,
    mut steps: usize,
    opts: &SolveOptions,
    ws: &mut Scratch,
) -> PathResult {
    let mut candidate = None;
    if last_ok {
        match regular_end(hm, &direct, steps, opts, ws) {
            Regular::Accept(r) => return r,
            Regular::Candidate(r) => candidate = Some(r),
            Regular::No => {}
        }
    }
    let z_end = z.clone();
    // paths to infinity (often to positive-dimensional sets there) need no endpoint
    let infinity = goes_to_infinity(hm, z.clone(), opts, ws, &mut steps);
    if infinity == Infinity::Sure || (infinity == Infinity::Likely && !ran_out) {
        return unfinished(PathStatus::AtInfinity, direct, 0, steps);
    }
    if ran_out {
        // the budget ran out on a finite path: a regular endpoint that needs more steps
        // (close roots make it so) must be told from a singular one before the endgame,
        // whose loops cannot separate roots closer than its smallest radius
        let mut whole_path = z_end.clone();
        // (a cluster of large roots that looked like infinity is ill-conditioned all along:
        // residuals in extended precision)
        let whole = if infinity == Infinity::Likely {
            careful_options(opts).tracker
        } else {
            TrackerOptions { strict: true, ..opts.tracker.clone() }
        };
        let rest = track(hm, &mut whole_path, &segment, 1.0 - ENDGAME_START, 1.0, &whole, ws);
        steps += rest.steps;
        if rest.ok && infinity == Infinity::Likely {
            if let Some(r) = large_regular_end(hm, &whole_path, steps, opts, ws) {
                return r;
            }
        }
        if rest.ok {
            match regular_end(hm, &whole_path, steps, opts, ws) {
                Regular::Accept(r) => return r,
                Regular::Candidate(r) => candidate = Some(r),
                Regular::No => {}
            }
        }
    }
    if infinity == Infinity::Likely {
        // a finite end only if the whole track reached a solution
        return match candidate {
            Some(c) if converges_to_solution(hm.system(), &c.solution, hm.target()) => PathResult { steps, ..c },
            _ => unfinished(PathStatus::AtInfinity, direct, 0, steps),
        };
    }
    // Cauchy endgame for finite singular endpoints: loops around t = 0 at shrinking radii
    if let Some((end, winding)) = cauchy_endgame(hm, z, opts, ws, &mut steps) {
        let r = classify(hm, &end, winding, steps, opts, ws);
        match candidate {
            Some(c) if mean_of_distinct_roots(hm, &r, &c) => return PathResult { steps, ..c },
            // a winding number of 1 claims a regular root, which Newton's method must confirm:
            // with badly scaled coordinates the loops can settle at a point right in its large
            // coordinates only
            _ if r.status == PathStatus::Nonsingular
                && !converges_to_solution(hm.system(), &r.solution, hm.target()) =>
            {
                return failed(direct, steps)
            }
            _ => return r,
        }
    }
    if let Some(r) = candidate {
        return PathResult { steps, ..r };
    }
    failed(direct, steps)
}

/// A large regular solution of an ill-conditioned system, which a path reaches after looking
/// like a path to infinity: its terms cancel so much that Newton's method in double precision
/// does not converge there but wanders at the rounding level (within 1e-4 of it), while it
/// solves the system up to the rounding of its terms (a backward error of a few hundred units
/// in the last place) and its Jacobian is well conditioned after scaling. (A small backward
/// error alone is no proof: on the way to a solution at infinity the terms of top degree
/// dwarf the residual too, and Newton's method pushes such a point out.)
fn large_regular_end<H: ProjectiveHomotopy>(
    hm: &H,
    z: &[C],
    steps: usize,
    opts: &SolveOptions,
    ws: &mut Scratch,
) -> Option<PathResult> {
    let (r, backward_error) = classify_with_backward_error(hm, z, 1, steps, opts, ws);
    let (sys, p) = (hm.system(), hm.target());
    let settled = || scale_free_condition(hm, &r.solution) < DIRECT_CONDITION && stays_near(sys, &r.solution, p, 1e-4);
    (!r.solution.is_empty() && backward_error < 1e-13 && settled())
        .then_some(PathResult { status: PathStatus::Nonsingular, ..r })
}

/// Is the endgame's singular end `r` the mean of several regular roots rather than a root of
/// multiplicity r.winding? Two regular roots close in the projective patch (large solutions
/// of an ill-conditioned system) are joined by a branch point near t = 0: every loop outside
/// it winds twice and averages the two roots, at a point that solves nothing, with a small
/// backward error all the same. Newton's method leaves such a point, while it stays at a
/// singular root and converges at the regular root `candidate` of the direct track.
fn mean_of_distinct_roots<H: ProjectiveHomotopy>(hm: &H, r: &PathResult, candidate: &PathResult) -> bool {
    let (sys, p) = (hm.system(), hm.target());
    r.winding > 1
        && !r.solution.is_empty()
        && !converges_to_solution(sys, &r.solution, p)
        && converges_to_solution(sys, &candidate.solution, p)
}

enum Regular {
    /// a well-conditioned finite regular endpoint
    Accept(PathResult),
    /// regular but ill-conditioned: it may be a cluster of paths, which the endgame decides
    Candidate(PathResult),
    No,
}

/// Is the end of a direct track to t = 0 a finite regular solution?
fn regular_end<H: ProjectiveHomotopy>(
    hm: &H,
    end: &[C],
    steps: usize,
    opts: &SolveOptions,
    ws: &mut Scratch,
) -> Regular {
    let (r, backward_error) = classify_with_backward_error(hm, end, 1, steps, opts, ws);
    let finite = r.projective[0].norm() > 1e-6 * norm(&r.projective);
    // a large solution has a residual large against the coefficients alone, but not against
    // the size of the equations' terms there (its backward error); large cancelling terms can
    // give a small backward error at a point that solves nothing, which Newton's method tells
    let solves =
        r.residual < 1e-8 || (backward_error < 1e-8 && converges_to_solution(hm.system(), &r.solution, hm.target()));
    if !finite || !solves || r.winding != 1 || r.solution.is_empty() {
        return Regular::No;
    }
    if r.status == PathStatus::Nonsingular && r.condition < DIRECT_CONDITION {
        return Regular::Accept(r);
    }
    // ill-conditioned: a cluster of paths at a singular end, or a regular end badly scaled in
    // the chart (large and small coordinates), which its scale-free condition tells apart
    if r.status == PathStatus::Nonsingular || scale_free_condition(hm, &r.solution) < opts.singular_condition {
        Regular::Candidate(PathResult { status: PathStatus::Nonsingular, ..r })
    } else {
        Regular::No
    }
}

/// The condition number of dF/dx at x after the best scaling of its rows and columns: large
/// only near a singular solution, whatever the scales of the unknowns and equations.
fn scale_free_condition<H: ProjectiveHomotopy>(hm: &H, x: &[C]) -> f64 {
    equilibrated_condition(hm.system().jacobian(x, hm.target()), hm.system().n_vars())
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Infinity {
    Sure,
    /// z_0 / |z| was shrinking like a power of t where the path could be followed no further.
    /// A cluster of large roots (an ill-conditioned system) looks so until t is small enough
    /// to part them.
    Likely,
    No,
}

/// Does z_0 / |z| tend to 0 along t -> 0? Follows the path along real t from ENDGAME_START
/// down to 1e-12 geometrically and looks at the last checkpoints reached: the ratio must be
/// small and shrink like a positive power of t (its valuation).
fn goes_to_infinity<H: ProjectiveHomotopy>(
    hm: &H,
    mut z: Vec<C>,
    opts: &SolveOptions,
    ws: &mut Scratch,
    steps: &mut usize,
) -> Infinity {
    let decades = (ENDGAME_START / 1e-12f64).ln();
    let path = |s: f64| {
        let t = ENDGAME_START * (-s * decades).exp();
        (C::new(t, 0.0), C::new(-decades * t, 0.0))
    };
    let checkpoints = 11;
    let mut seen: Vec<(f64, f64)> = vec![(ENDGAME_START.ln(), (z[0].norm() / norm(&z)).ln())];
    let slope = |a: (f64, f64), b: (f64, f64)| (b.1 - a.1) / (b.0 - a.0);
    for k in 1..checkpoints {
        let (s0, s1) = ((k - 1) as f64 / (checkpoints - 1) as f64, k as f64 / (checkpoints - 1) as f64);
        let tr = track(hm, &mut z, &path, s0, s1, &opts.tracker, ws);
        *steps += tr.steps;
        if !tr.ok {
            break;
        }
        seen.push((path(s1).0.re.ln(), (z[0].norm() / norm(&z)).ln()));
        let k = seen.len();
        // decided early: z_0 / |z| already negligible, or shrinking like a fixed positive power
        // of t (the valuation) over the last three intervals, three decades of t (a finite
        // endpoint has valuation 0)
        if seen[k - 1].1.exp() < opts.infinity_tolerance {
            return Infinity::Sure;
        }
        // (and only after z_0 / |z| has shrunk a hundredfold: a large finite endpoint can look
        // like infinity for a while)
        if k >= 4 && seen[k - 1].1.exp() < 1e-3 && seen[k - 1].1 < seen[0].1 - 100f64.ln() {
            let v: Vec<f64> = (1..4).map(|i| slope(seen[k - 1 - i], seen[k - i])).collect();
            let (lo, hi) = v.iter().fold((f64::INFINITY, 0.0f64), |(a, b), &x| (a.min(x), b.max(x)));
            if lo > 0.1 && hi < 1.25 * lo {
                return Infinity::Sure;
            }
        }
    }
    if seen.len() < 4 {
        return Infinity::No;
    }
    let k = seen.len();
    let ratio = seen[k - 1].1.exp();
    // z_0 / |z| ~ t^v with v > 0 on the last two intervals (a finite endpoint has v -> 0)
    if ratio < opts.infinity_tolerance {
        Infinity::Sure
    } else if slope(seen[k - 3], seen[k - 2]) > 0.05 && slope(seen[k - 2], seen[k - 1]) > 0.05 && ratio < 0.1 {
        Infinity::Likely
    } else {
        Infinity::No
    }
}

fn failed(z: Vec<C>, steps: usize) -> PathResult {
    unfinished(PathStatus::Failed, z, 0, steps)
}

/// A path without a finite solution (at infinity or failed).
fn unfinished(status: PathStatus, projective: Vec<C>, winding: usize, steps: usize) -> PathResult {
    PathResult {
        status,
        solution: vec![],
        projective,
        residual: f64::NAN,
        condition: f64::NAN,
        winding,
        multiplicity: 0,
        steps,
    }
}

/// Samples per loop of the Cauchy integral (trapezoid rule, exact for low-order Puiseux terms).
const LOOP_SAMPLES: usize = 16;
const MAX_WINDING: usize = 16;

/// Cauchy endgame from z at t = ENDGAME_START: at radii r_k = ENDGAME_START * 0.25^k track one
/// loop after another around t = 0 until the path closes (winding number c); the endpoint is
/// the mean of z over the c loops. Stops when two radii agree.
fn cauchy_endgame<H: ProjectiveHomotopy>(
    hm: &H,
    mut z: Vec<C>,
    opts: &SolveOptions,
    ws: &mut Scratch,
    steps: &mut usize,
) -> Option<(Vec<C>, usize)> {
    let mut r = ENDGAME_START;
    let mut previous: Option<Vec<C>> = None;
    // near t = 0 the paths of a cluster come close: smaller corrections keep them apart
    let loop_opts = TrackerOptions { max_first_correction: 1e-5, max_step: 0.25, strict: true, ..opts.tracker.clone() };
    for _ in 0..10 {
        let start = z.clone();
        let mut sum = vec![C::default(); z.len()];
        let mut samples = 0;
        let mut winding = 0;
        'loops: while winding < MAX_WINDING {
            for k in 0..LOOP_SAMPLES {
                for (s, zi) in sum.iter_mut().zip(&z) {
                    *s += *zi;
                }
                samples += 1;
                let theta0 = 2.0 * PI * k as f64 / LOOP_SAMPLES as f64;
                let dtheta = 2.0 * PI / LOOP_SAMPLES as f64;
                let circle = |s: f64| {
                    let th = theta0 + s * dtheta;
                    let t = C::new(r * th.cos(), r * th.sin());
                    (t, C::new(0.0, dtheta) * t)
                };
                let tr = track(hm, &mut z, &circle, 0.0, 1.0, &loop_opts, ws);
                *steps += tr.steps;
                if !tr.ok {
                    return None;
                }
            }
            winding += 1;
            let dist: Vec<C> = z.iter().zip(&start).map(|(a, b)| a - b).collect();
            if norm(&dist) < 1e-6 * (1.0 + norm(&start)) {
                break 'loops;
            }
        }
        if winding >= MAX_WINDING {
            return None;
        }
        let estimate: Vec<C> = sum.iter().map(|s| s / samples as f64).collect();
        if let Some(prev) = &previous {
            let d: Vec<C> = estimate.iter().zip(prev).map(|(a, b)| a - b).collect();
            // two radii agree and the estimate solves the target system (a loop that jumped
            // to another path can agree with itself but does not solve it)
            if norm(&d) < 1e-8 * (1.0 + norm(&estimate)) && target_residual(hm, &estimate, ws) < 1e-8 {
                return Some((estimate, winding));
            }
        }
        previous = Some(estimate);
        // move inwards along the real axis
        let r_next = r * 0.25;
        let radial = |s: f64| (C::new(r - s * (r - r_next), 0.0), C::new(-(r - r_next), 0.0));
        let tr = track(hm, &mut z, &radial, 0.0, 1.0, &opts.tracker, ws);
        *steps += tr.steps;
        if !tr.ok {
            return None;
        }
        r = r_next;
    }
    None
}

/// |F^h(z)| relative to the coefficients and the size of z, at t = 0.
fn target_residual<H: ProjectiveHomotopy>(hm: &H, z: &[C], ws: &mut Scratch) -> f64 {
    let n = hm.system().n_vars();
    let mut f = vec![C::default(); n];
    let mut jf = vec![C::default(); n * (n + 1)];
    hm.system().eval_homogeneous(z, hm.target(), &mut ws.system, &mut f, &mut jf);
    let zn = norm(z).max(1e-300);
    let coeffs = 1.0 + hm.system().equations().iter().flatten().map(|t| t.coefficient.norm()).fold(0.0, f64::max);
    f.iter().zip(hm.system().degrees()).map(|(v, &d)| v.norm() / (coeffs * zn.powi(d as i32))).fold(0.0, f64::max)
}

/// J[i][j] (1 + |x_j|) / T_i, with T_i the size of the terms of equation i at x
/// ([`System::term_sizes`]): the Jacobian relative to the scale of x and of F. Returns the T_i.
fn weigh(jac: &mut [C], sys: &System, x: &[C], p: &[C]) -> Vec<f64> {
    let n = sys.n_vars();
    let sizes = sys.term_sizes(x, p);
    let columns: Vec<f64> = x.iter().map(|v| 1.0 + v.norm()).collect();
    for (row, &size) in jac.chunks_exact_mut(n).zip(&sizes) {
        for (v, &c) in row.iter_mut().zip(&columns) {
            *v *= c / size.max(1e-300);
        }
    }
    sizes
}

/// Classify a projective endpoint at t = 0, polishing regular finite ones by Newton's method.
fn classify<H: ProjectiveHomotopy>(
    hm: &H,
    z: &[C],
    winding: usize,
    steps: usize,
    opts: &SolveOptions,
    ws: &mut Scratch,
) -> PathResult {
    classify_with_backward_error(hm, z, winding, steps, opts, ws).0
}

/// [`classify`], and the backward error max_i |f_i(x)| / T_i of a finite endpoint (the relative
/// change of the coefficients that makes x exact; infinite at infinity).
fn classify_with_backward_error<H: ProjectiveHomotopy>(
    hm: &H,
    z: &[C],
    winding: usize,
    steps: usize,
    opts: &SolveOptions,
    ws: &mut Scratch,
) -> (PathResult, f64) {
    let n = hm.system().n_vars();
    let scale = z[1..].iter().map(|x| x.norm()).fold(z[0].norm(), f64::max);
    if z[0].norm() <= opts.infinity_tolerance * scale {
        return (unfinished(PathStatus::AtInfinity, z.to_vec(), winding, steps), f64::INFINITY);
    }
    let mut zz = z.to_vec();
    if winding == 1 {
        // polish, keeping the result only where Newton converges (not at singular points)
        let mut polished = zz.clone();
        if newton(hm, &mut polished, C::default(), ws, 3, 1e-14).0 {
            zz = polished;
        }
    }
    let x: Vec<C> = zz[1..].iter().map(|v| v / zz[0]).collect();
    let f = hm.system().evaluate(&x, hm.target());
    let residual = norm(&f) / coefficient_scale(hm.system());
    let mut jac = hm.system().jacobian(&x, hm.target());
    // relative condition: a large but regular solution is not singular, a vanishing row is
    let sizes = weigh(&mut jac, hm.system(), &x, hm.target());
    let backward_error = f.iter().zip(&sizes).map(|(v, t)| v.norm() / t.max(1e-300)).fold(0.0, f64::max);
    let condition = condition_number(jac, n);
    let status = if winding > 1 || !(condition < opts.singular_condition) {
        PathStatus::Singular
    } else {
        PathStatus::Nonsingular
    };
    (
        PathResult { status, solution: x, projective: zz, residual, condition, winding, multiplicity: 1, steps },
        backward_error,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::Term;

    #[test]
    fn an_end_with_cancelling_terms_that_solves_nothing_is_not_regular() {
        // x^2 + y^2 = p_0 and x^2 + (1 + e) y^2 = p_1, with p_0 = R^2 and p_1 = R^2 + e s^2: the
        // solutions have y = +-s. At (sqrt(R^2 - 1), 1) the first equation holds, the second is
        // off by e (1 - s^2), tiny against its terms of size 2 R^2, and the Jacobian is
        // regular: a small backward error, yet Newton's method moves y far, towards s.
        let (r, e, s) = (100.0_f64, 1e-4, 0.1);
        let t = |c: f64, ex: [u32; 4]| Term { coefficient: C::new(c, 0.0), exponents: ex.to_vec() };
        let sys = System::new(
            2,
            2,
            vec![
                vec![t(1.0, [2, 0, 0, 0]), t(1.0, [0, 2, 0, 0]), t(-1.0, [0, 0, 1, 0])],
                vec![t(1.0, [2, 0, 0, 0]), t(1.0 + e, [0, 2, 0, 0]), t(-1.0, [0, 0, 0, 1])],
            ],
        )
        .unwrap();
        let target = [C::new(r * r, 0.0), C::new(r * r + e * s * s, 0.0)];
        let direction = [C::new(0.3, 0.1), C::new(-0.2, 0.4)];
        let patch = [C::new(1.0, 0.0), C::default(), C::default()];
        let hm = ParameterHomotopy { sys: &sys, target: &target, direction: &direction, patch: &patch };
        let opts = SolveOptions::default();
        let mut ws = Scratch::default();
        let fake = [C::new(1.0, 0.0), C::new((r * r - 1.0).sqrt(), 0.0), C::new(1.0, 0.0)];
        let (end, backward_error) = classify_with_backward_error(&hm, &fake, 1, 0, &opts, &mut ws);
        assert!(backward_error < 1e-8 && end.residual > 1e-8 && end.status == PathStatus::Nonsingular);
        assert!(matches!(regular_end(&hm, &fake, 0, &opts, &mut ws), Regular::No));
        // the solution itself is a regular end
        let root = [C::new(1.0, 0.0), C::new((r * r - s * s).sqrt(), 0.0), C::new(s, 0.0)];
        assert!(!matches!(regular_end(&hm, &root, 0, &opts, &mut ws), Regular::No));
    }

    fn regular_end_at(x: &[f64]) -> PathResult {
        let solution: Vec<C> = x.iter().map(|&v| C::new(v, 0.0)).collect();
        let projective = std::iter::once(C::new(1.0, 0.0)).chain(solution.iter().copied()).collect();
        PathResult {
            status: PathStatus::Nonsingular,
            solution,
            projective,
            residual: 0.0,
            condition: 10.0,
            winding: 1,
            multiplicity: 1,
            steps: 5,
        }
    }

    #[test]
    fn a_regular_end_reached_twice_is_tracked_again() {
        // paths 0 and 2 end at the same regular point: tracked again, they part (one jumped)
        let mut row = vec![regular_end_at(&[1.0, 2.0]), regular_end_at(&[3.0, 4.0]), regular_end_at(&[1.0, 2.0])];
        let again = |k: usize, careful: &SolveOptions, _: &mut Scratch| {
            assert!(careful.tracker.strict && careful.tracker.max_step < SolveOptions::default().tracker.max_step);
            regular_end_at(&[1.0, 2.0 + k as f64])
        };
        retrack_jumped(&mut row, &SolveOptions::default(), again);
        let ends: Vec<(f64, f64)> = row.iter().map(|r| (r.solution[0].re, r.solution[1].re)).collect();
        assert_eq!(ends, vec![(1.0, 2.0), (3.0, 4.0), (1.0, 4.0)]);
        assert!(row.iter().all(|r| r.status == PathStatus::Nonsingular));
        assert!(shared_regular_ends(&row).is_empty());
    }

    #[test]
    fn a_regular_end_still_reached_twice_is_singular() {
        // the careful tracks fail or end there again: a singular end, never two regular copies
        for fails in [true, false] {
            let mut row =
                vec![regular_end_at(&[1.0, 2.0]), regular_end_at(&[1.0, 2.0 + 1e-13]), regular_end_at(&[5.0, 0.0])];
            let again = |k: usize, _: &SolveOptions, _: &mut Scratch| {
                if fails {
                    failed(vec![], 7)
                } else {
                    regular_end_at(&[1.0, 2.0 + k as f64 * 1e-13])
                }
            };
            retrack_jumped(&mut row, &SolveOptions::default(), again);
            let statuses: Vec<PathStatus> = row.iter().map(|r| r.status).collect();
            assert_eq!(statuses, vec![PathStatus::Singular, PathStatus::Singular, PathStatus::Nonsingular]);
            assert!(row[..2].iter().all(|r| !r.solution.is_empty() && r.steps > 5));
        }
    }
}
