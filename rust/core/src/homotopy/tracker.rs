//! Adaptive predictor-corrector tracking of a solution path of H(z, t) = 0 along a path
//! t(s) in the complex plane: Runge-Kutta 4 predictor, Newton corrector, step-size control.

use super::linalg::{norm, solve_in_place};
use crate::scalar::Complex64;

type C = Complex64;

/// A square homotopy in n unknowns: values H, Jacobian H_z (row-major) and H_t.
pub trait Homotopy: Sync {
    fn n(&self) -> usize;
    fn eval(&self, z: &[C], t: C, ws: &mut Scratch, h: &mut [C], hz: &mut [C], ht: &mut [C]);
}

/// Per-path scratch buffers.
#[derive(Default, Debug)]
pub struct Scratch {
    pub(crate) system: crate::system::Workspace,
    pub(crate) f: Vec<C>,
    pub(crate) jf: Vec<C>,
    pub(crate) params: Vec<C>,
    h: Vec<C>,
    hz: Vec<C>,
    ht: Vec<C>,
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
}

impl Default for TrackerOptions {
    fn default() -> Self {
        TrackerOptions {
            initial_step: 0.02,
            min_step: 1e-14,
            max_step: 0.1,
            max_steps: 20_000,
            corrector_tolerance: 1e-10,
            max_first_correction: 1e-3,
        }
    }
}

/// Whether a tracking run reached its end, and its effort.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tracked {
    pub ok: bool,
    pub steps: usize,
}

fn velocity<Hm: Homotopy>(hm: &Hm, z: &[C], t: C, dtds: C, ws: &mut Scratch, out_slot: usize) -> bool {
    let n = hm.n();
    let (mut h, mut hz, mut ht) = (std::mem::take(&mut ws.h), std::mem::take(&mut ws.hz), std::mem::take(&mut ws.ht));
    h.resize(n, C::default());
    hz.resize(n * n, C::default());
    ht.resize(n, C::default());
    hm.eval(z, t, ws, &mut h, &mut hz, &mut ht);
    let mut v: Vec<C> = std::mem::take(&mut ws.k[out_slot]);
    v.clear();
    v.extend(ht.iter().map(|&x| -x * dtds));
    let ok = solve_in_place(&mut hz, &mut v, n);
    ws.k[out_slot] = v;
    ws.h = h;
    ws.hz = hz;
    ws.ht = ht;
    ok
}

/// Newton's method on H(., t) from z; returns (converged, first correction norm).
pub fn newton<Hm: Homotopy>(hm: &Hm, z: &mut [C], t: C, ws: &mut Scratch, iterations: usize, tol: f64) -> (bool, f64) {
    let n = hm.n();
    let mut first = f64::INFINITY;
    let mut last = f64::INFINITY;
    for it in 0..iterations {
        let (mut h, mut hz, mut ht) = (std::mem::take(&mut ws.h), std::mem::take(&mut ws.hz), std::mem::take(&mut ws.ht));
        h.resize(n, C::default());
        hz.resize(n * n, C::default());
        ht.resize(n, C::default());
        hm.eval(z, t, ws, &mut h, &mut hz, &mut ht);
        let ok = solve_in_place(&mut hz, &mut h, n);
        let dn = norm(&h);
        if ok {
            for (zi, d) in z.iter_mut().zip(&h) {
                *zi -= *d;
            }
        }
        ws.h = h;
        ws.hz = hz;
        ws.ht = ht;
        if !ok || !dn.is_finite() {
            return (false, first);
        }
        if it == 0 {
            first = dn;
        } else if dn > 0.5 * last && dn > tol * (1.0 + norm(z)) {
            return (false, first); // not contracting
        }
        last = dn;
        if dn <= tol * (1.0 + norm(z)) {
            return (true, first);
        }
    }
    (false, first)
}

/// Track z along t = path(s) for s from s0 to s1 (path returns t and dt/ds).
pub fn track<Hm: Homotopy>(
    hm: &Hm,
    z: &mut Vec<C>,
    path: &dyn Fn(f64) -> (C, C),
    s0: f64,
    s1: f64,
    opts: &TrackerOptions,
    ws: &mut Scratch,
) -> Tracked {
    let n = hm.n();
    let mut s = s0;
    let length = (s1 - s0).abs();
    let dir = if s1 >= s0 { 1.0 } else { -1.0 };
    let mut h = (opts.initial_step * length.max(1e-300)).min(opts.max_step * length.max(1e-300));
    let mut steps = 0;
    let mut successes = 0;
    let mut trial = vec![C::default(); n];
    while (s1 - s) * dir > 1e-15 * length.max(1.0) {
        if steps >= opts.max_steps || h < opts.min_step * length.max(1e-300) {
            return Tracked { ok: false, steps };
        }
        steps += 1;
        let step = h.min((s1 - s) * dir);
        // Runge-Kutta 4 on dz/ds = -H_z^{-1} H_t dt/ds
        let mut ok = true;
        let nodes = [(0.0, 0usize), (0.5, 0), (0.5, 1), (1.0, 2)];
        for (slot, &(c, prev)) in nodes.iter().enumerate() {
            trial.clear();
            if slot == 0 {
                trial.extend_from_slice(z);
            } else {
                let kp = &ws.k[prev];
                trial.extend(z.iter().zip(kp).map(|(zi, ki)| *zi + *ki * (c * step * dir)));
            }
            let (t, dtds) = path(s + c * step * dir);
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
            let (t1, _) = path(s + step * dir);
            let (conv, first) = newton(hm, &mut trial, t1, ws, 3, opts.corrector_tolerance);
            ok = conv && first <= opts.max_first_correction * (1.0 + norm(&trial));
        }
        if ok {
            z.copy_from_slice(&trial);
            s += step * dir;
            successes += 1;
            if successes >= 2 {
                h = (h * 2.0).min(opts.max_step * length);
                successes = 0;
            }
        } else {
            h *= 0.5;
            successes = 0;
        }
    }
    Tracked { ok: true, steps }
}
