//! Adaptive predictor-corrector tracking of a solution path of H(z, t) = 0 along a path
//! t(s) in the complex plane: Hermite predictor through the last accepted points and their
//! tangents (Runge-Kutta 4 for the first step, cubic for the second, quintic after), Newton
//! corrector, step-size control. A path is a machine that stops at every evaluation
//! it needs, so that several paths can share one evaluation pass.

use super::linalg::{lu_factor, lu_factor_lanes, lu_solve, norm, pivot_ratio};
use crate::scalar::Complex64;

type C = Complex64;

/// A square homotopy in n unknowns: values H, Jacobian H_z (row-major) and H_t.
pub trait Homotopy: Sync {
    fn n(&self) -> usize;
    fn eval(&self, z: &[C], t: C, ws: &mut Scratch, h: &mut [C], hz: &mut [C], ht: &mut [C]);
    /// H(z, t) evaluated in extended precision and rounded, into `h`; false if the homotopy
    /// does not offer it.
    fn residual_extended(&self, _z: &[C], _t: C, _ws: &mut Scratch, _h: &mut [C]) -> bool {
        false
    }
}

/// Per-path scratch buffers.
#[derive(Default, Debug)]
pub struct Scratch {
    pub(crate) system: crate::system::Workspace,
    pub(crate) f: Vec<C>,
    pub(crate) jf: Vec<C>,
    pub(crate) wide: Vec<crate::ddouble::ComplexDd>,
    pub(crate) grad: Vec<C>,
    h: Vec<C>,
    /// H_z, LU-factored after each evaluation
    hz: Vec<C>,
    ht: Vec<C>,
    piv: Vec<usize>,
    /// `hz` and `ht` belong to the current point of the path being tracked (the last Newton
    /// iterate of the accepted step): the next step's first predictor stage reuses them.
    factored_here: bool,
    /// `hz` was factored, with this verdict, together with other paths' (see
    /// [`factor_in_lanes`]) after the evaluation now in `ws`: the next factorization is done.
    prefactored: Option<bool>,
    k: [Vec<C>; 4],
}

/// Tracking settings.
#[derive(Clone, Debug)]
pub struct TrackerOptions {
    pub initial_step: f64,
    pub min_step: f64,
    pub max_step: f64,
    pub max_steps: usize,
    /// Newton must reach this relative accuracy.
    pub corrector_tolerance: f64,
    /// Largest relative first Newton correction accepted (guards against path jumping).
    pub max_first_correction: f64,
    /// The step size is chosen so that the predictor's relative error (the first Newton
    /// correction) is about this.
    pub predictor_error: f64,
    /// Newton must reach the corrector tolerance at every step: no acceptance at the noise
    /// floor or on predicted convergence. Near t = 0 this keeps a path to a singular endpoint
    /// from passing for a regular one.
    pub strict: bool,
    /// Newton's residuals in double-double precision at ill-conditioned points (about ten
    /// times the cost of an evaluation in double; for paths that failed in double).
    pub extended: bool,
    /// Predict by cubic Hermite extrapolation through the last two points (no evaluations)
    /// instead of Runge-Kutta 4 (three evaluations), once two points are known.
    pub hermite: bool,
}

/// Largest relative Newton correction taken for rounding noise: where H_z is ill-conditioned,
/// Newton stalls above the tolerance at about cond(H_z) times the unit roundoff.
const NOISE_FLOOR: f64 = 1e-7;

/// Corrections below this (relative) may be rounding noise: they do not measure Newton's
/// contraction.
const MEASURABLE: f64 = 1e-8;
/// Relative accuracy, times the condition number, that Newton must reach while tracking (not
/// strictly) away from the end of a path.
const TRACKING_ACCURACY: f64 = 1e-6;
/// Pivot ratio above which Newton's residuals are computed in double-double precision.
const EXTENDED_CONDITION: f64 = 1e4;
/// Newton iterations per step at most (ill-conditioned stretches of a path need more than
/// well-conditioned ones, where one or two reach the tolerance).
const CORRECTOR_ITERATIONS: usize = 4;
/// Largest accepted ratio of the second Newton correction to the first.
const MAX_CONTRACTION: f64 = 0.25;
/// The step size aims at this ratio of the second Newton correction to the first.
const CONTRACTION: f64 = 0.02;

impl Default for TrackerOptions {
    fn default() -> Self {
        TrackerOptions {
            initial_step: 0.02,
            min_step: 1e-14,
            max_step: 0.25,
            max_steps: 3_000,
            corrector_tolerance: 1e-10,
            max_first_correction: 1e-2,
            predictor_error: 3e-3,
            strict: false,
            extended: false,
            hermite: true,
        }
    }
}

/// Whether a tracking run reached its end, and its effort.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tracked {
    pub ok: bool,
    pub steps: usize,
}

/// Evaluate H at (z, t) into `ws.h`, `ws.hz` and `ws.ht` (H_z not factored).
fn eval_into<Hm: Homotopy>(hm: &Hm, z: &[C], t: C, ws: &mut Scratch) {
    let n = hm.n();
    let (mut h, mut hz, mut ht) = (std::mem::take(&mut ws.h), std::mem::take(&mut ws.hz), std::mem::take(&mut ws.ht));
    h.resize(n, C::default());
    hz.resize(n * n, C::default());
    ht.resize(n, C::default());
    hm.eval(z, t, ws, &mut h, &mut hz, &mut ht);
    ws.h = h;
    ws.hz = hz;
    ws.ht = ht;
    ws.prefactored = None;
}

/// LU-factor H_z in `ws` after its evaluation: already done if it was factored in lanes.
fn factor_evaluation(ws: &mut Scratch, n: usize) -> bool {
    match ws.prefactored.take() {
        Some(ok) => ok,
        None => lu_factor(&mut ws.hz, &mut ws.piv, n),
    }
}

/// Factor the H_z of the scratches marked in `pending` (n x n each, written with
/// [`Scratch::evaluation`]) in one run over all lanes; the trackers' next factorization then
/// takes these factors.
pub fn factor_in_lanes<const W: usize>(scratch: &mut [Scratch; W], pending: [bool; W], n: usize) {
    let mut mats: [Option<&mut [C]>; W] = std::array::from_fn(|_| None);
    let mut pivs: [Option<&mut Vec<usize>>; W] = std::array::from_fn(|_| None);
    for (l, ws) in scratch.iter_mut().enumerate() {
        if pending[l] {
            mats[l] = Some(&mut ws.hz[..n * n]);
            pivs[l] = Some(&mut ws.piv);
        }
    }
    let ok = lu_factor_lanes(&mut mats, &mut pivs, n);
    for (l, ws) in scratch.iter_mut().enumerate() {
        if pending[l] {
            ws.prefactored = Some(ok[l]);
        }
    }
}

impl Scratch {
    /// The buffers for H, H_z (row-major) and H_t of an n x n homotopy, for evaluations made
    /// outside the tracker (several paths at once) before [`PathTracker::resume`].
    pub fn evaluation(&mut self, n: usize) -> (&mut [C], &mut [C], &mut [C]) {
        self.h.resize(n, C::default());
        self.hz.resize(n * n, C::default());
        self.ht.resize(n, C::default());
        self.prefactored = None;
        (&mut self.h, &mut self.hz, &mut self.ht)
    }
}

/// dz/ds = -H_z^{-1} H_t dt/ds into `ws.k[slot]`, with the factors in `ws`.
fn velocity_from_factors(n: usize, dtds: C, ws: &mut Scratch, slot: usize) -> bool {
    let mut v = std::mem::take(&mut ws.k[slot]);
    v.clear();
    v.extend(ws.ht.iter().map(|&x| -x * dtds));
    let ok = lu_solve(&ws.hz, &ws.piv, &mut v, n);
    ws.k[slot] = v;
    ok
}

/// The velocity at the point whose evaluation is in `ws`: factors H_z, then solves.
fn velocity_from_evaluation(n: usize, dtds: C, ws: &mut Scratch, slot: usize) -> bool {
    ws.factored_here = false;
    factor_evaluation(ws, n) && velocity_from_factors(n, dtds, ws, slot)
}

/// Newton's method on H(., t) from z; returns (converged, first correction norm). On
/// convergence the factors in `ws` are those of the last iterate. Converges only where Newton
/// reaches `tol` (never at the noise floor), so that it tells regular solutions from singular
/// ones.
pub fn newton<Hm: Homotopy>(hm: &Hm, z: &mut [C], t: C, ws: &mut Scratch, iterations: usize, tol: f64) -> (bool, f64) {
    let mut omega = f64::INFINITY;
    let c = corrector(hm, z, t, ws, iterations, tol, &mut omega, 0.0, true);
    (c.converged, c.first)
}

/// What one run of the corrector found.
#[derive(Clone, Copy, Debug)]
struct Correction {
    converged: bool,
    /// Relative size of the first Newton correction: the predictor's error.
    first: f64,
}

/// Settings of a corrector run and what its iterations have seen so far.
#[derive(Clone, Copy, Debug)]
struct CorrectorRun {
    iterations: usize,
    tol: f64,
    noise_floor: f64,
    extended: bool,
    first: f64,
    last: f64,
    measured: bool,
}

impl CorrectorRun {
    fn new(iterations: usize, tol: f64, noise_floor: f64, extended: bool) -> Self {
        CorrectorRun {
            iterations,
            tol,
            noise_floor,
            extended,
            first: f64::INFINITY,
            last: f64::INFINITY,
            measured: false,
        }
    }
}

/// Newton's method that also stops after one iteration when the next correction, predicted
/// from the contraction `omega` (|second correction| / |first|^2, relative, measured on
/// earlier steps of the path and updated here), is below the tolerance.
#[allow(clippy::too_many_arguments)]
fn corrector<Hm: Homotopy>(
    hm: &Hm,
    z: &mut [C],
    t: C,
    ws: &mut Scratch,
    iterations: usize,
    tol: f64,
    omega: &mut f64,
    noise_floor: f64,
    extended: bool,
) -> Correction {
    ws.factored_here = false;
    let mut run = CorrectorRun::new(iterations, tol, noise_floor, extended);
    for it in 0..iterations {
        eval_into(hm, z, t, ws);
        if let Some(c) = corrector_iteration(hm, z, t, ws, it, omega, &mut run) {
            return c;
        }
    }
    Correction { converged: false, first: run.first }
}

/// Iteration `it` of the corrector at z, whose evaluation is in `ws`: the result once the
/// corrector has finished, None while it goes on.
fn corrector_iteration<Hm: Homotopy>(
    hm: &Hm,
    z: &mut [C],
    t: C,
    ws: &mut Scratch,
    it: usize,
    omega: &mut f64,
    run: &mut CorrectorRun,
) -> Option<Correction> {
    let n = hm.n();
    let fail = |run: &CorrectorRun| Some(Correction { converged: false, first: run.first });
    if !factor_evaluation(ws, n) {
        return fail(run);
    }
    if run.extended && pivot_ratio(&ws.hz, n) > EXTENDED_CONDITION {
        // rounding in H would stall Newton at about cond * unit roundoff
        let mut h = std::mem::take(&mut ws.h);
        hm.residual_extended(z, t, ws, &mut h);
        ws.h = h;
    }
    let ok = lu_solve(&ws.hz, &ws.piv, &mut ws.h, n);
    let dn = norm(&ws.h);
    if !ok || !dn.is_finite() {
        return fail(run);
    }
    for (zi, d) in z.iter_mut().zip(&ws.h) {
        *zi -= *d;
    }
    let scale = 1.0 + norm(z);
    let rel = dn / scale;
    if it == 0 {
        run.first = rel;
    } else if it == 1 && run.first > MEASURABLE {
        // the contraction of this step, for the step-size control and early stops
        *omega = rel / (run.first * run.first);
        run.measured = true;
    }
    // away from t = 0, an accuracy matched to the conditioning: an error e in z moves the
    // next predictor by about cond * e
    // Convergence predicted from the contraction only once it has been measured on this step:
    // the next step's tangent comes from the factors of the last iterate, and after a single
    // iteration they belong to the predicted point, whose error would spoil the next prediction
    // (and shorten the steps more than the saved evaluation gains).
    let noise_floor = run.noise_floor;
    let tol = if noise_floor > 0.0 { run.tol.max(TRACKING_ACCURACY / pivot_ratio(&ws.hz, n)) } else { run.tol };
    if rel <= tol || (noise_floor > 0.0 && run.measured && 2.0 * *omega * rel * rel <= tol) {
        if !run.measured {
            // not measured on this step: let an old, large contraction fade, so that one
            // ill-conditioned stretch does not hold the steps small for the rest of the path
            *omega *= 0.5;
        }
        return Some(Correction { converged: true, first: run.first });
    }
    if it > 0 && dn > 0.5 * run.last {
        // not contracting: either the corrections have reached the rounding noise of an
        // ill-conditioned point (accept, undoing the noisy update) or Newton diverges
        if run.last <= noise_floor * scale && dn <= 2.0 * run.last {
            for (zi, d) in z.iter_mut().zip(&ws.h) {
                *zi += *d;
            }
            return Some(Correction { converged: true, first: run.first });
        }
        return fail(run);
    }
    run.last = dn;
    if it + 1 >= run.iterations {
        return fail(run);
    }
    None
}

/// Track z along t = path(s) for s from s0 to s1 (path returns t and dt/ds).
///
/// Each step: a predictor (cubic Hermite extrapolation through the last two points, or
/// Runge-Kutta 4 on dz/ds = -H_z^{-1} H_t dt/ds at the start), then Newton's method. The
/// next step size follows from the size of the first Newton correction, which estimates the
/// predictor's error, and from Newton's measured contraction.
pub fn track<Hm: Homotopy>(
    hm: &Hm,
    z: &mut Vec<C>,
    path: &dyn Fn(f64) -> (C, C),
    s0: f64,
    s1: f64,
    opts: &TrackerOptions,
    ws: &mut Scratch,
) -> Tracked {
    track_with_checkpoint(hm, z, path, s0, s1, opts, ws, None)
}

/// [`track`] that also lands a step on the checkpoint s = `checkpoint.0` (between s0 and s1)
/// and stores the point there in `checkpoint.1` (left empty if tracking fails before it).
#[allow(clippy::too_many_arguments)]
pub fn track_with_checkpoint<Hm: Homotopy>(
    hm: &Hm,
    z: &mut Vec<C>,
    path: &dyn Fn(f64) -> (C, C),
    s0: f64,
    s1: f64,
    opts: &TrackerOptions,
    ws: &mut Scratch,
    checkpoint: Option<(f64, &mut Vec<C>)>,
) -> Tracked {
    let (at, saved) = match checkpoint {
        Some((c, saved)) => (Some(c), Some(saved)),
        None => (None, None),
    };
    let mut tracker = PathTracker::new(std::mem::take(z), path, s0, s1, opts, at, ws);
    tracker.resume(hm, ws);
    while let Some((point, t)) = tracker.pending() {
        eval_into(hm, point, t, ws);
        tracker.resume(hm, ws);
    }
    let result = tracker.result().expect("the tracker runs until it is done");
    let (end, at_checkpoint) = tracker.into_points();
    *z = end;
    if let Some(saved) = saved {
        *saved = at_checkpoint;
    }
    result
}

/// Where a [`PathTracker`] is in its step.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// a new step begins (no evaluation pending)
    Begin,
    /// waiting for the evaluation at the current point, for its velocity
    Velocity,
    /// waiting for the evaluation at a Runge-Kutta stage
    Stage(usize),
    /// waiting for the evaluation for Newton iteration k
    Correct(usize),
    Done(bool),
}

/// The polynomial of degree 5 through three points with their derivatives (nodes x doubled:
/// x[0] = x[1], x[2] = x[3], x[4] = x[5]), at `at`: Newton's divided differences, where a
/// difference on a doubled node is the derivative there.
fn hermite_quintic(x: &[f64; 6], points: &[C; 3], velocities: &[C; 3], at: f64) -> C {
    let mut d = [C::default(); 6];
    for k in 1..6 {
        d[k] = if k % 2 == 1 { velocities[k / 2] } else { (points[k / 2] - points[k / 2 - 1]) / (x[k] - x[k - 1]) };
    }
    let mut coefficients = [points[0], d[1], C::default(), C::default(), C::default(), C::default()];
    for j in 2..6 {
        for k in (j..6).rev() {
            d[k] = (d[k] - d[k - 1]) / (x[k] - x[k - j]);
        }
        coefficients[j] = d[j];
    }
    coefficients[..5].iter().zip(&x[..5]).rev().fold(coefficients[5], |acc, (&c, &xj)| acc * (at - xj) + c)
}

/// Runge-Kutta 4 stages after the first: (fraction of the step, slope used, slot written).
const STAGES: [(f64, usize, usize); 3] = [(0.5, 0, 1), (0.5, 1, 2), (1.0, 2, 3)];

/// One path being tracked, as a machine that stops wherever it needs an evaluation of the
/// homotopy: [`PathTracker::pending`] names the point, the caller evaluates it into the
/// path's [`Scratch`] (alone, or together with other paths), and [`PathTracker::resume`]
/// goes on. Every path takes the same steps whichever way it is evaluated.
pub struct PathTracker<'p> {
    path: &'p dyn Fn(f64) -> (C, C),
    opts: &'p TrackerOptions,
    s1: f64,
    length: f64,
    dir: f64,
    noise_floor: f64,
    checkpoint: Option<f64>,
    saved: Vec<C>,
    z: Vec<C>,
    s: f64,
    h: f64,
    steps: usize,
    trial: Vec<C>,
    rejected: bool,
    omega: f64,
    // the last accepted point and its velocity (for the Hermite predictor), and the velocity
    // at the current point (empty until computed)
    previous: Vec<C>,
    previous_v: Vec<C>,
    // the accepted point before the last one and its velocity (quintic Hermite predictor)
    older: Vec<C>,
    older_v: Vec<C>,
    s_older: f64,
    quintic: bool,
    here: Vec<C>,
    s_previous: f64,
    // the step under way
    step: f64,
    hermite: bool,
    t_eval: C,
    run: CorrectorRun,
    first: f64,
    converged: bool,
    phase: Phase,
}

impl<'p> PathTracker<'p> {
    pub fn new(
        z: Vec<C>,
        path: &'p dyn Fn(f64) -> (C, C),
        s0: f64,
        s1: f64,
        opts: &'p TrackerOptions,
        checkpoint: Option<f64>,
        ws: &mut Scratch,
    ) -> Self {
        let length = (s1 - s0).abs();
        let dir = if s1 >= s0 { 1.0 } else { -1.0 };
        let mut saved = Vec::new();
        if let Some(c) = checkpoint {
            if (c - s0) * (s1 - s0) <= 0.0 {
                saved.extend_from_slice(&z);
            }
        }
        ws.factored_here = false;
        let noise_floor = if opts.strict { 0.0 } else { NOISE_FLOOR };
        let n = z.len();
        PathTracker {
            path,
            opts,
            s1,
            length,
            dir,
            noise_floor,
            checkpoint,
            saved,
            z,
            s: s0,
            h: (opts.initial_step * length.max(1e-300)).min(opts.max_step * length.max(1e-300)),
            steps: 0,
            trial: vec![C::default(); n],
            rejected: false,
            omega: f64::INFINITY,
            previous: Vec::new(),
            previous_v: Vec::new(),
            older: Vec::new(),
            older_v: Vec::new(),
            s_older: s0,
            quintic: false,
            here: Vec::new(),
            s_previous: s0,
            step: 0.0,
            hermite: false,
            t_eval: C::default(),
            run: CorrectorRun::new(CORRECTOR_ITERATIONS, opts.corrector_tolerance, noise_floor, opts.extended),
            first: f64::INFINITY,
            converged: false,
            phase: Phase::Begin,
        }
    }

    /// The point (z, t) whose evaluation the tracker waits for; None once it is done.
    pub fn pending(&self) -> Option<(&[C], C)> {
        match self.phase {
            Phase::Velocity => Some((&self.z, self.t_eval)),
            Phase::Stage(_) | Phase::Correct(_) => Some((&self.trial, self.t_eval)),
            Phase::Begin | Phase::Done(_) => None,
        }
    }

    /// Whether tracking reached s1, once done.
    pub fn result(&self) -> Option<Tracked> {
        match self.phase {
            Phase::Done(ok) => Some(Tracked { ok, steps: self.steps }),
            _ => None,
        }
    }

    /// The last point reached, and the point at the checkpoint (empty if not reached).
    pub fn into_points(self) -> (Vec<C>, Vec<C>) {
        (self.z, self.saved)
    }

    /// Go on after the evaluation at [`PathTracker::pending`] has been written into `ws`
    /// (or at the start, with nothing pending), up to the next evaluation needed or the end.
    pub fn resume<Hm: Homotopy>(&mut self, hm: &Hm, ws: &mut Scratch) {
        let n = hm.n();
        loop {
            match self.phase {
                Phase::Done(_) => return,
                Phase::Begin => {
                    if !self.begin_step() {
                        return;
                    }
                    if self.here.is_empty() {
                        let (t, dtds) = (self.path)(self.s);
                        if !ws.factored_here {
                            // no factors at this point: evaluate it
                            self.t_eval = t;
                            self.phase = Phase::Velocity;
                            return;
                        }
                        if !velocity_from_factors(n, dtds, ws, 0) {
                            self.end_step(false, ws);
                            continue;
                        }
                        self.here.clone_from(&ws.k[0]);
                    }
                    if self.predict(ws) {
                        return;
                    }
                }
                Phase::Velocity => {
                    let (_, dtds) = (self.path)(self.s);
                    if !velocity_from_evaluation(n, dtds, ws, 0) {
                        self.end_step(false, ws);
                        continue;
                    }
                    self.here.clone_from(&ws.k[0]);
                    if self.predict(ws) {
                        return;
                    }
                }
                Phase::Stage(i) => {
                    let (c, _, slot) = STAGES[i];
                    let (_, dtds) = (self.path)(self.s + c * self.step * self.dir);
                    if !velocity_from_evaluation(n, dtds, ws, slot) {
                        self.end_step(false, ws);
                        continue;
                    }
                    if i + 1 < STAGES.len() {
                        self.stage(i + 1, ws);
                    } else {
                        let (z, k) = (&self.z, &ws.k);
                        let w = self.step * self.dir / 6.0;
                        self.trial.clear();
                        for i in 0..n {
                            self.trial.push(z[i] + (k[0][i] + k[1][i] * 2.0 + k[2][i] * 2.0 + k[3][i]) * w);
                        }
                        self.start_correction(ws);
                    }
                    return;
                }
                Phase::Correct(it) => {
                    let t = self.t_eval;
                    match corrector_iteration(hm, &mut self.trial, t, ws, it, &mut self.omega, &mut self.run) {
                        None => {
                            self.phase = Phase::Correct(it + 1);
                            return;
                        }
                        Some(c) => {
                            (self.first, self.converged) = (c.first, c.converged);
                            // inside Newton's region of quadratic convergence (omega * first is
                            // the ratio of the second correction to the first): no jump to
                            // another path
                            let ok = c.converged
                                && c.first <= self.opts.max_first_correction
                                && !(self.omega.is_finite() && self.omega * c.first > MAX_CONTRACTION);
                            self.end_step(ok, ws);
                        }
                    }
                }
            }
        }
    }

    /// Start a step: false (and done) at the end of the path or out of steps.
    fn begin_step(&mut self) -> bool {
        let (s1, s, dir) = (self.s1, self.s, self.dir);
        if (s1 - s) * dir <= 1e-15 * self.length.max(1.0) {
            self.phase = Phase::Done(true);
            return false;
        }
        if self.steps >= self.opts.max_steps || self.h < self.opts.min_step * self.length.max(1e-300) {
            self.phase = Phase::Done(false);
            return false;
        }
        self.steps += 1;
        self.step = self.h.min((s1 - s) * dir);
        if let Some(c) = self.checkpoint {
            let gap = (c - s) * dir;
            if self.saved.is_empty() && gap > 0.0 && self.step > gap {
                self.step = gap;
            }
        }
        self.first = f64::INFINITY;
        self.converged = false;
        true
    }

    /// The predictor, from the velocity `here`: true when it waits for an evaluation.
    fn predict(&mut self, ws: &mut Scratch) -> bool {
        self.hermite = self.opts.hermite && !self.previous.is_empty();
        self.quintic = self.hermite && !self.older.is_empty();
        if self.quintic {
            // quintic Hermite extrapolation through the last three points and their
            // velocities: error of order h^6, still without evaluations
            let x = [self.s_older, self.s_older, self.s_previous, self.s_previous, self.s, self.s];
            let target = self.s + self.step * self.dir;
            self.trial.clear();
            for i in 0..self.z.len() {
                let points = [self.older[i], self.previous[i], self.z[i]];
                let velocities = [self.older_v[i], self.previous_v[i], self.here[i]];
                self.trial.push(hermite_quintic(&x, &points, &velocities, target));
            }
            self.start_correction(ws);
        } else if self.hermite {
            // cubic Hermite extrapolation through the last two points and their velocities:
            // no evaluation at all, error of order h^4
            let hp = self.s - self.s_previous;
            let tau = (self.s + self.step * self.dir - self.s_previous) / hp;
            let (t2, t3) = (tau * tau, tau * tau * tau);
            let (h00, h10, h01, h11) = (2.0 * t3 - 3.0 * t2 + 1.0, t3 - 2.0 * t2 + tau, -2.0 * t3 + 3.0 * t2, t3 - t2);
            self.trial.clear();
            for i in 0..self.z.len() {
                self.trial.push(
                    self.previous[i] * h00
                        + self.previous_v[i] * (h10 * hp)
                        + self.z[i] * h01
                        + self.here[i] * (h11 * hp),
                );
            }
            self.start_correction(ws);
        } else {
            ws.k[0].clone_from(&self.here);
            self.stage(0, ws);
        }
        true
    }

    /// Runge-Kutta stage i: its point, waiting for its evaluation.
    fn stage(&mut self, i: usize, ws: &mut Scratch) {
        let (c, prev, _) = STAGES[i];
        let h = c * self.step * self.dir;
        self.t_eval = (self.path)(self.s + h).0;
        self.trial.clear();
        let kp = &ws.k[prev];
        self.trial.extend(self.z.iter().zip(kp).map(|(zi, ki)| *zi + *ki * h));
        ws.factored_here = false;
        self.phase = Phase::Stage(i);
    }

    fn start_correction(&mut self, ws: &mut Scratch) {
        ws.factored_here = false;
        self.t_eval = (self.path)(self.s + self.step * self.dir).0;
        self.run = CorrectorRun::new(
            CORRECTOR_ITERATIONS,
            self.opts.corrector_tolerance,
            self.noise_floor,
            self.opts.extended,
        );
        self.phase = Phase::Correct(0);
    }

    /// Accept or reject the step and size the next one.
    fn end_step(&mut self, ok: bool, ws: &mut Scratch) {
        let (first, omega, step) = (self.first, self.omega, self.step);
        // error ~ h^5 (h^4 for Hermite): the step at which the predictor's error meets its
        // target, and the step at which Newton's contraction meets its target
        let order = if self.quintic {
            1.0 / 6.0
        } else if self.hermite {
            0.25
        } else {
            0.2
        };
        let by_error = if first > 0.0 { (self.opts.predictor_error / first).powf(order) } else { 2.0 };
        let by_contraction =
            if omega.is_finite() && omega * first > 0.0 { (CONTRACTION / (omega * first)).powf(order) } else { 2.0 };
        let factor = 0.9 * by_error.min(by_contraction);
        if ok {
            std::mem::swap(&mut self.older, &mut self.previous);
            std::mem::swap(&mut self.older_v, &mut self.previous_v);
            self.s_older = self.s_previous;
            std::mem::swap(&mut self.previous, &mut self.z);
            std::mem::swap(&mut self.previous_v, &mut self.here);
            self.here.clear();
            self.s_previous = self.s;
            self.z.clone_from(&self.trial);
            self.s += step * self.dir;
            if let Some(c) = self.checkpoint {
                // landed on it: the step was cut to reach it, up to rounding of s (a gap of a
                // few ulps left over would cut the next step to nothing)
                if self.saved.is_empty() && (c - self.s) * self.dir <= 1e-12 * self.length.max(1.0) {
                    self.s = c;
                    self.saved.extend_from_slice(&self.z);
                }
            }
            ws.factored_here = true;
            // no growth right after a rejection: the step that failed was not much longer
            let grow = if self.rejected { 1.0 } else { 2.0 };
            // a step cut short (to land on the checkpoint or the end) says little about the
            // planned one, which is kept unless the short step's error was already too large
            let next = if step < self.h { self.h * factor.clamp(0.5, 1.0) } else { step * factor.clamp(0.5, grow) };
            self.h = next.min(self.opts.max_step * self.length);
            self.rejected = false;
        } else {
            ws.factored_here = false;
            self.h = if self.converged && factor.is_finite() { step * factor.clamp(0.1, 0.5) } else { step * 0.5 };
            self.rejected = true;
        }
        self.phase = Phase::Begin;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn quintic_hermite_is_exact_for_quintics(
            c in proptest::collection::vec(-2.0f64..2.0, 12),
            gaps in proptest::collection::vec(0.05f64..1.0, 3),
        ) {
            // p(s) = sum c_k s^k (complex coefficients) from its values and derivatives at
            // three nodes, extrapolated one step further
            let coef: Vec<C> = c.chunks(2).map(|w| C::new(w[0], w[1])).collect();
            let p = |s: f64| coef.iter().rev().fold(C::default(), |acc, &ck| acc * s + ck);
            let dp = |s: f64| coef.iter().enumerate().skip(1).rev().fold(C::default(), |acc, (k, &ck)| acc * s + ck * k as f64);
            let (a, b, c) = (-gaps[0] - gaps[1], -gaps[1], 0.0);
            let x = [a, a, b, b, c, c];
            let at = gaps[2];
            let got = hermite_quintic(&x, &[p(a), p(b), p(c)], &[dp(a), dp(b), dp(c)], at);
            proptest::prop_assert!((got - p(at)).norm() < 1e-8 * (1.0 + p(at).norm()), "{} vs {}", got, p(at));
        }
    }
}
