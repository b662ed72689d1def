//! Adaptive predictor-corrector tracking of a solution path of H(z, t) = 0 along a path
//! t(s) in the complex plane: Runge-Kutta 4 predictor, Newton corrector, step-size control.

use super::linalg::{lu_factor, lu_solve, norm};
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

/// Evaluate H at (z, t) and factor H_z, into `ws.h`, `ws.hz` (LU) and `ws.ht`.
fn eval_factored<Hm: Homotopy>(hm: &Hm, z: &[C], t: C, ws: &mut Scratch) -> bool {
    let n = hm.n();
    let (mut h, mut hz, mut ht) = (std::mem::take(&mut ws.h), std::mem::take(&mut ws.hz), std::mem::take(&mut ws.ht));
    h.resize(n, C::default());
    hz.resize(n * n, C::default());
    ht.resize(n, C::default());
    hm.eval(z, t, ws, &mut h, &mut hz, &mut ht);
    let ok = lu_factor(&mut hz, &mut ws.piv, n);
    ws.h = h;
    ws.hz = hz;
    ws.ht = ht;
    ok
}

/// Largest over smallest modulus of the pivots of an LU factorization: a cheap lower bound
/// on the condition number.
fn pivot_ratio(lu: &[C], n: usize) -> f64 {
    let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
    for i in 0..n {
        let d = lu[i * n + i].norm_sqr();
        lo = lo.min(d);
        hi = hi.max(d);
    }
    (hi / lo).sqrt()
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

fn velocity<Hm: Homotopy>(hm: &Hm, z: &[C], t: C, dtds: C, ws: &mut Scratch, slot: usize) -> bool {
    ws.factored_here = false;
    eval_factored(hm, z, t, ws) && velocity_from_factors(hm.n(), dtds, ws, slot)
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
    let n = hm.n();
    ws.factored_here = false;
    let mut first = f64::INFINITY;
    let mut last = f64::INFINITY;
    let mut measured = false;
    let fail = |first: f64| Correction { converged: false, first };
    for it in 0..iterations {
        if !eval_factored(hm, z, t, ws) {
            return fail(first);
        }
        if extended && pivot_ratio(&ws.hz, n) > EXTENDED_CONDITION {
            // rounding in H would stall Newton at about cond * unit roundoff
            let mut h = std::mem::take(&mut ws.h);
            hm.residual_extended(z, t, ws, &mut h);
            ws.h = h;
        }
        let ok = lu_solve(&ws.hz, &ws.piv, &mut ws.h, n);
        let dn = norm(&ws.h);
        if !ok || !dn.is_finite() {
            return fail(first);
        }
        for (zi, d) in z.iter_mut().zip(&ws.h) {
            *zi -= *d;
        }
        let scale = 1.0 + norm(z);
        let rel = dn / scale;
        if it == 0 {
            first = rel;
        } else if it == 1 && first > MEASURABLE {
            // the contraction of this step, for the step-size control and early stops
            *omega = rel / (first * first);
            measured = true;
        }
        // away from t = 0, an accuracy matched to the conditioning: an error e in z moves the
        // next predictor by about cond * e
        let tol = if noise_floor > 0.0 { tol.max(TRACKING_ACCURACY / pivot_ratio(&ws.hz, n)) } else { tol };
        if rel <= tol || (noise_floor > 0.0 && (it == 0 || measured) && 2.0 * *omega * rel * rel <= tol) {
            if !measured {
                // not measured on this step: let an old, large contraction fade, so that one
                // ill-conditioned stretch does not hold the steps small for the rest of the path
                *omega *= 0.5;
            }
            return Correction { converged: true, first };
        }
        if it > 0 && dn > 0.5 * last {
            // not contracting: either the corrections have reached the rounding noise of an
            // ill-conditioned point (accept, undoing the noisy update) or Newton diverges
            if last <= noise_floor * scale && dn <= 2.0 * last {
                for (zi, d) in z.iter_mut().zip(&ws.h) {
                    *zi += *d;
                }
                return Correction { converged: true, first };
            }
            return fail(first);
        }
        last = dn;
    }
    fail(first)
}

/// Track z along t = path(s) for s from s0 to s1 (path returns t and dt/ds).
///
/// Each step: a Runge-Kutta 4 predictor on dz/ds = -H_z^{-1} H_t dt/ds (its first stage
/// reuses the factors of the previous step's last Newton iterate), then Newton's method. The
/// next step size follows from the size of the first Newton correction, which estimates the
/// predictor's error (of order h^5).
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
    mut checkpoint: Option<(f64, &mut Vec<C>)>,
) -> Tracked {
    let n = hm.n();
    if let Some((c, saved)) = checkpoint.as_mut() {
        saved.clear();
        if (*c - s0) * (s1 - s0) <= 0.0 {
            saved.extend_from_slice(z);
        }
    }
    let mut s = s0;
    let length = (s1 - s0).abs();
    let dir = if s1 >= s0 { 1.0 } else { -1.0 };
    let mut h = (opts.initial_step * length.max(1e-300)).min(opts.max_step * length.max(1e-300));
    let mut steps = 0;
    let mut trial = vec![C::default(); n];
    let mut rejected = false;
    let mut omega = f64::INFINITY;
    let noise_floor = if opts.strict { 0.0 } else { NOISE_FLOOR };
    // the last accepted point and its velocity (for the Hermite predictor), and the velocity
    // at the current point (empty until computed)
    let (mut previous, mut previous_v, mut here): (Vec<C>, Vec<C>, Vec<C>) = (Vec::new(), Vec::new(), Vec::new());
    let mut s_previous = s;
    ws.factored_here = false;
    while (s1 - s) * dir > 1e-15 * length.max(1.0) {
        if steps >= opts.max_steps || h < opts.min_step * length.max(1e-300) {
            return Tracked { ok: false, steps };
        }
        steps += 1;
        let mut step = h.min((s1 - s) * dir);
        let pending = checkpoint.as_ref().filter(|(_, saved)| saved.is_empty()).map(|&(c, _)| (c - s) * dir);
        if let Some(gap) = pending {
            if gap > 0.0 && step > gap {
                step = gap;
            }
        }
        let mut ok = true;
        // the velocity at the current point: from the factors of the last Newton iterate when
        // the previous step was accepted, kept across rejections
        if here.is_empty() {
            let (t, dtds) = path(s);
            ok = if ws.factored_here { velocity_from_factors(n, dtds, ws, 0) } else { velocity(hm, z, t, dtds, ws, 0) };
            if ok {
                here.clear();
                here.extend_from_slice(&ws.k[0]);
            }
        }
        let hermite = opts.hermite && !previous.is_empty();
        if ok && hermite {
            // cubic Hermite extrapolation through the last two points and their velocities:
            // no evaluation at all, error of order h^4
            let hp = s - s_previous;
            let tau = (s + step * dir - s_previous) / hp;
            let (t2, t3) = (tau * tau, tau * tau * tau);
            let (h00, h10, h01, h11) = (2.0 * t3 - 3.0 * t2 + 1.0, t3 - 2.0 * t2 + tau, -2.0 * t3 + 3.0 * t2, t3 - t2);
            trial.clear();
            for i in 0..n {
                trial.push(previous[i] * h00 + previous_v[i] * (h10 * hp) + z[i] * h01 + here[i] * (h11 * hp));
            }
        } else if ok {
            ws.k[0].clone_from(&here);
            let nodes = [(0.5, 0usize, 1usize), (0.5, 1, 2), (1.0, 2, 3)];
            for &(c, prev, slot) in &nodes {
                let (t, dtds) = path(s + c * step * dir);
                trial.clear();
                let kp = &ws.k[prev];
                trial.extend(z.iter().zip(kp).map(|(zi, ki)| *zi + *ki * (c * step * dir)));
                ok &= velocity(hm, &trial, t, dtds, ws, slot);
                if !ok {
                    break;
                }
            }
            if ok {
                trial.clear();
                for i in 0..n {
                    let incr = (ws.k[0][i] + ws.k[1][i] * 2.0 + ws.k[2][i] * 2.0 + ws.k[3][i]) * (step * dir / 6.0);
                    trial.push(z[i] + incr);
                }
            }
        }
        let mut first = f64::INFINITY;
        let mut converged = false;
        if ok {
            let (t1, _) = path(s + step * dir);
            let c = corrector(
                hm,
                &mut trial,
                t1,
                ws,
                CORRECTOR_ITERATIONS,
                opts.corrector_tolerance,
                &mut omega,
                noise_floor,
                opts.extended,
            );
            (first, converged) = (c.first, c.converged);
            // inside Newton's region of quadratic convergence (omega * first is the ratio of
            // the second correction to the first): no jump to another path
            ok = converged
                && first <= opts.max_first_correction
                && !(omega.is_finite() && omega * first > MAX_CONTRACTION);
        }
        // error ~ h^5: the step at which the predictor's error meets its target, and the
        // step at which Newton's contraction meets its target
        let order = if hermite { 0.25 } else { 0.2 };
        let by_error = if first > 0.0 { (opts.predictor_error / first).powf(order) } else { 2.0 };
        let by_contraction =
            if omega.is_finite() && omega * first > 0.0 { (CONTRACTION / (omega * first)).powf(order) } else { 2.0 };
        let factor = 0.9 * by_error.min(by_contraction);
        if ok {
            previous.clone_from(z);
            std::mem::swap(&mut previous_v, &mut here);
            here.clear();
            s_previous = s;
            z.copy_from_slice(&trial);
            s += step * dir;
            if let Some((c, saved)) = checkpoint.as_mut() {
                if saved.is_empty() && (*c - s) * dir <= 0.0 {
                    // landed on it (the step was cut to reach it exactly)
                    s = *c;
                    saved.extend_from_slice(z);
                }
            }
            ws.factored_here = true;
            // no growth right after a rejection: the step that failed was not much longer
            let grow = if rejected { 1.0 } else { 2.0 };
            h = (step * factor.clamp(0.5, grow)).min(opts.max_step * length);
            rejected = false;
        } else {
            ws.factored_here = false;
            h = if converged && factor.is_finite() { step * factor.clamp(0.1, 0.5) } else { step * 0.5 };
            rejected = true;
        }
    }
    Tracked { ok: true, steps }
}
