//! Real roots of univariate real polynomials of small degree, fast enough to call millions of
//! times: the real roots of p are separated by those of p', so recursing on derivatives gives
//! intervals on which p is monotone, each holding at most one root, found by safeguarded Newton.

/// Real roots of `p` (coefficients from the constant term up) in increasing order, into `out`.
/// `scratch` holds the derivatives and their roots between calls (no allocation once warm).
pub fn real_roots(p: &[f64], out: &mut Vec<f64>, scratch: &mut RootScratch) {
    real_roots_probed(p, out, scratch, |_| false);
}

/// [`real_roots`], but before each root of p is searched for, `probe` sees a point of the
/// interval that holds it alone (the search's start, usually near it): where the caller needs no more roots once some point passes its test
/// (a point of a curve nearer than a target), `probe` returning true stops the search, and
/// false is returned (`out` then holds no complete list).
pub fn real_roots_probed(
    p: &[f64],
    out: &mut Vec<f64>,
    scratch: &mut RootScratch,
    mut probe: impl FnMut(f64) -> bool,
) -> bool {
    out.clear();
    let p = trim(p);
    // a factor x^z (exact zeros at the low end, as where a parametrization is singular at 0):
    // the root 0, and the other roots those of p / x^z, of lower degree
    let z = p.iter().take_while(|&&c| c == 0.0).count();
    if z > 0 && z < p.len() {
        if probe(0.0) || !real_roots_probed(&p[z..], out, scratch, probe) {
            return false;
        }
        let at = out.partition_point(|&r| r < 0.0);
        out.insert(at, 0.0);
        return true;
    }
    if p.len() <= 1 {
        return true;
    }
    scratch.prepare(p);
    let n = p.len() - 1;
    // bound on the moduli of all roots (Cauchy)
    let lead = p[n].abs();
    let bound = 1.0 + p[..n].iter().fold(0.0f64, |m, c| m.max(c.abs() / lead));
    // roots of the (n-1)-th derivative (linear), then upwards
    let mut crit: Vec<f64> = Vec::new();
    std::mem::swap(&mut crit, &mut scratch.crit);
    crit.clear();
    for k in (0..n).rev() {
        let q = &scratch.derivs[k];
        let mut roots = std::mem::take(&mut scratch.found);
        roots.clear();
        // roots of derivatives only bound intervals: to 1e-9 they are as good as exact
        let tol = if k == 0 { 2.0 * f64::EPSILON } else { 1e-9 };
        let complete = if k == 0 {
            monotone_roots(q, &crit, bound, tol, &mut roots, &mut probe)
        } else {
            monotone_roots(q, &crit, bound, tol, &mut roots, &mut |_| false)
        };
        crit.clear();
        crit.extend_from_slice(&roots);
        scratch.found = roots;
        if !complete {
            scratch.crit = crit;
            return false;
        }
    }
    out.extend_from_slice(&crit);
    scratch.crit = crit;
    true
}

/// Drop leading coefficients that are zero (exactly, or negligibly small next to the rest).
fn trim(p: &[f64]) -> &[f64] {
    let scale = p.iter().fold(0.0f64, |m, c| m.max(c.abs()));
    let mut n = p.len();
    while n > 0 && p[n - 1].abs() <= 1e-14 * scale {
        n -= 1;
    }
    &p[..n]
}

/// Scratch space: the derivatives of the current polynomial and root lists.
#[derive(Default, Debug)]
pub struct RootScratch {
    /// derivs[k] is the k-th derivative (derivs[0] = p).
    derivs: Vec<Vec<f64>>,
    crit: Vec<f64>,
    found: Vec<f64>,
}

impl RootScratch {
    fn prepare(&mut self, p: &[f64]) {
        let n = p.len() - 1;
        self.derivs.resize_with(n, Vec::new);
        self.derivs[0].clear();
        self.derivs[0].extend_from_slice(p);
        for k in 1..n {
            let (lo, hi) = self.derivs.split_at_mut(k);
            let prev = &lo[k - 1];
            let d = &mut hi[0];
            d.clear();
            d.extend((1..prev.len()).map(|i| prev[i] * i as f64));
        }
    }
}

/// Value and second derivative.
fn eval2(p: &[f64], x: f64) -> (f64, f64) {
    let (mut v, mut d, mut dd) = (0.0, 0.0, 0.0);
    for &c in p.iter().rev() {
        dd = dd * x + 2.0 * d;
        d = d * x + v;
        v = v * x + c;
    }
    (v, dd)
}

/// Roots of q on the intervals between consecutive points of `crit` (where q is monotone),
/// within [-bound, bound]; `probe` sees each search's start first, and true there stops (false
/// returned).
fn monotone_roots(
    q: &[f64],
    crit: &[f64],
    bound: f64,
    tol: f64,
    out: &mut Vec<f64>,
    probe: &mut impl FnMut(f64) -> bool,
) -> bool {
    if q.len() == 2 {
        let root = -q[0] / q[1];
        out.push(root);
        return !probe(root);
    }
    if q.len() == 3 {
        quadratic_roots(q, out);
        return !out.iter().any(|&r| probe(r));
    }
    // the signs at +-bound are those at +-infinity: no evaluation needed there
    let deg = q.len() - 1;
    let at_inf = q[deg].signum();
    let mut a = -bound;
    let mut fa = if deg.is_multiple_of(2) { at_inf } else { -at_inf };
    let mut dda = 0.0;
    for i in 0..=crit.len() {
        let (b, fb, ddb) = if i < crit.len() {
            let (v, dd) = eval2(q, crit[i]);
            (crit[i], v, dd)
        } else {
            (bound, at_inf, 0.0)
        };
        if b <= a {
            continue;
        }
        if fa == 0.0 {
            if out.last().is_none_or(|&r| r < a) {
                out.push(a);
                if probe(a) {
                    return false;
                }
            }
        } else if fb != 0.0 && (fa < 0.0) != (fb < 0.0) {
            // a start near the root: next to a critical point c the quadratic Taylor model
            // q(c) + q''(c) h^2 / 2 has its root at |h| = sqrt(2 |q(c) / q''(c)|); with no
            // critical point at all, the centroid of the roots
            let start = if crit.is_empty() && deg == 3 {
                monotone_cubic_root(q)
            } else if crit.is_empty() {
                -q[deg - 1] / (deg as f64 * q[deg])
            } else if i == 0 {
                b - (2.0 * (fb / ddb).abs()).sqrt()
            } else if i == crit.len() {
                a + (2.0 * (fa / dda).abs()).sqrt()
            } else {
                a - fa * (b - a) / (fb - fa)
            };
            if probe(start) {
                return false;
            }
            out.push(bracketed(q, a, b, fa, start, tol));
        }
        a = b;
        fa = fb;
        dda = ddb;
    }
    true
}

/// The real root of a cubic without critical points (its only one) by Cardano's formula, as
/// a start: shifted to s^3 + A s + B (A > 0), s = w - A / (3 w) with w the cube root of
/// -B/2 - sign(B) sqrt(B^2/4 + A^3/27), the larger of the two (no cancellation).
fn monotone_cubic_root(q: &[f64]) -> f64 {
    let (c0, c1, c2, c3) = (q[0], q[1], q[2], q[3]);
    let shift = -c2 / (3.0 * c3);
    let a = (3.0 * c3 * c1 - c2 * c2) / (3.0 * c3 * c3);
    let b = (2.0 * c2 * c2 * c2 - 9.0 * c3 * c2 * c1 + 27.0 * c3 * c3 * c0) / (27.0 * c3 * c3 * c3);
    let d = (0.25 * b * b + a * a * a / 27.0).max(0.0).sqrt();
    let w = (-0.5 * b - if b < 0.0 { -d } else { d }).cbrt();
    if w == 0.0 {
        return shift;
    }
    shift + w - a / (3.0 * w)
}

/// Real roots of c0 + c1 x + c2 x^2 in increasing order (a double root once), by the formula
/// that avoids cancellation.
fn quadratic_roots(q: &[f64], out: &mut Vec<f64>) {
    let (c0, c1, c2) = (q[0], q[1], q[2]);
    let disc = c1 * c1 - 4.0 * c2 * c0;
    if disc < 0.0 {
        return;
    }
    let h = -0.5 * (c1 + c1.signum() * disc.sqrt());
    if h == 0.0 {
        out.push(0.0);
        return;
    }
    let (r1, r2) = (h / c2, c0 / h);
    let (lo, hi) = if r1 <= r2 { (r1, r2) } else { (r2, r1) };
    out.push(lo);
    if hi > lo {
        out.push(hi);
    }
}

/// Value, first and second derivative, and a bound on the rounding error of the value
/// (Horner's: the absolute-value polynomial at |x| times 2 n u).
fn eval_with_error(p: &[f64], x: f64) -> (f64, f64, f64, f64) {
    let (mut v, mut d, mut dd, mut m) = (0.0, 0.0, 0.0, 0.0);
    let ax = x.abs();
    for &c in p.iter().rev() {
        dd = dd * x + 2.0 * d;
        d = d * x + v;
        v = v * x + c;
        m = m * ax + c.abs();
    }
    (v, d, dd, m * (2 * p.len()) as f64 * f64::EPSILON)
}

/// The root of q in [a, b] (q(a) = fa and q(b) of opposite signs): Halley steps (cubic
/// convergence) from `start`, falling back to bisection whenever a step leaves the bracket or
/// does not shrink it fast enough; stops when a step is below `tol` (relative) or the value is
/// rounding noise.
fn bracketed(q: &[f64], mut a: f64, mut b: f64, fa: f64, start: f64, tol: f64) -> f64 {
    let neg_at_a = fa < 0.0;
    let mut x = start;
    if !(x > a && x < b) {
        x = 0.5 * (a + b);
    }
    for _ in 0..200 {
        let (v, d, dd, err) = eval_with_error(q, x);
        if v.abs() <= err {
            // the value is rounding noise: one last Newton step, kept inside the bracket
            let newton = x - v / d;
            return if d != 0.0 && newton > a && newton < b { newton } else { x };
        }
        if (v < 0.0) == neg_at_a {
            a = x;
        } else {
            b = x;
        }
        let width = b - a;
        if width <= 4.0 * f64::EPSILON * x.abs().max(f64::MIN_POSITIVE) {
            return x;
        }
        let denom = 2.0 * d * d - v * dd;
        let step = if denom != 0.0 { 2.0 * v * d / denom } else { v / d };
        let next = x - step;
        if step.is_finite() && next > a && next < b && step.abs() < 0.5 * width {
            if step.abs() <= tol * next.abs().max(1.0) {
                return next;
            }
            x = next;
        } else {
            x = 0.5 * (a + b);
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn from_roots(roots: &[f64], lead: f64) -> Vec<f64> {
        let mut p = vec![lead];
        for &r in roots {
            let mut q = vec![0.0; p.len() + 1];
            for (i, &c) in p.iter().enumerate() {
                q[i + 1] += c;
                q[i] -= r * c;
            }
            p = q;
        }
        p
    }

    #[test]
    fn quartic_with_two_real_roots() {
        // (x^2 + 1)(x - 2)(x + 3)
        let p = [-6.0, 1.0, -5.0, 1.0, 1.0];
        let (mut out, mut s) = (Vec::new(), RootScratch::default());
        real_roots(&p, &mut out, &mut s);
        assert_eq!(out.len(), 2);
        assert!((out[0] + 3.0).abs() < 1e-13 && (out[1] - 2.0).abs() < 1e-13);
    }

    #[test]
    fn constants_and_zero_leading_coefficients() {
        let (mut out, mut s) = (Vec::new(), RootScratch::default());
        real_roots(&[1.0], &mut out, &mut s);
        assert!(out.is_empty());
        real_roots(&[2.0, -1.0, 0.0, 0.0], &mut out, &mut s);
        assert_eq!(out, vec![2.0]);
    }

    #[test]
    fn a_factor_of_a_power_of_x_gives_the_root_zero_once() {
        // x^2 (x - 1)(x + 2)(x^2 + 1): the roots -2, 0, 1
        let p = from_roots(&[1.0, -2.0], 1.0);
        let mut q = vec![0.0, 0.0];
        q.extend_from_slice(&p);
        let mut r = vec![0.0; q.len() + 2];
        for (i, &c) in q.iter().enumerate() {
            r[i] += c;
            r[i + 2] += c;
        }
        let (mut out, mut s) = (Vec::new(), RootScratch::default());
        real_roots(&r, &mut out, &mut s);
        assert_eq!(out.len(), 3);
        assert!((out[0] + 2.0).abs() < 1e-13 && out[1] == 0.0 && (out[2] - 1.0).abs() < 1e-13);
        real_roots(&[0.0, 3.0], &mut out, &mut s);
        assert_eq!(out, vec![0.0]);
    }

    proptest! {
        #[test]
        fn the_one_real_root_of_a_monotone_cubic(a in 1e-6f64..1e3, b in -1e3f64..1e3, lead in 0.1f64..10.0, shift in -5.0f64..5.0) {
            // lead ((x - shift)^3 + a (x - shift) + b): one real root, x - shift the real cube-root
            // expression, which the start gives to rounding and the search keeps
            let p = [
                lead * (-shift * shift * shift - a * shift + b),
                lead * (3.0 * shift * shift + a),
                lead * (-3.0 * shift),
                lead,
            ];
            let (mut out, mut s) = (Vec::new(), RootScratch::default());
            real_roots(&p, &mut out, &mut s);
            prop_assert_eq!(out.len(), 1);
            let x = out[0];
            let value = p[0] + x * (p[1] + x * (p[2] + x * p[3]));
            let slope = p[1] + x * (2.0 * p[2] + 3.0 * x * p[3]);
            let scale = p.iter().zip(0..).map(|(c, i)| c.abs() * x.abs().powi(i)).sum::<f64>();
            prop_assert!(value.abs() <= 64.0 * f64::EPSILON * scale, "residual {} at {}", value, x);
            prop_assert!(slope > 0.0);
            let start = monotone_cubic_root(&p);
            prop_assert!((start - x).abs() <= 1e-6 * (1.0 + x.abs()), "start {} root {}", start, x);
        }

        #[test]
        fn separated_real_roots_are_all_found(mut roots in proptest::collection::vec(-10.0f64..10.0, 1..7), lead in 0.5f64..3.0, zero in proptest::bool::ANY) {
            if zero {
                roots.push(0.0); // an exact factor x
            }
            roots.sort_by(|a, b| a.partial_cmp(b).unwrap());
            prop_assume!(roots.windows(2).all(|w| w[1] - w[0] > 1e-2));
            let p = from_roots(&roots, lead);
            // a probe that never stops the search sees a point next to each root and changes
            // nothing; one that stops at the first stops the search
            let (mut seen, mut probed, mut sp) = (Vec::new(), Vec::new(), RootScratch::default());
            let complete = real_roots_probed(&p, &mut probed, &mut sp, |t| {
                seen.push(t);
                false
            });
            prop_assert!(complete);
            seen.sort_by(|a, b| a.total_cmp(b));
            prop_assert_eq!(seen.len(), roots.len());
            for (i, t) in seen.iter().enumerate().filter(|_| !zero) {
                // in the interval of the i-th root: between its neighbours (with a factor x,
                // those of the other factor's roots)
                let (lo, hi) = (if i > 0 { roots[i - 1] } else { f64::NEG_INFINITY }, roots.get(i + 1).copied().unwrap_or(f64::INFINITY));
                prop_assert!(lo < *t && *t < hi, "probe at {} for the root {}", t, roots[i]);
            }
            let mut again = Vec::new();
            prop_assert!(!real_roots_probed(&p, &mut again, &mut sp, |_| true));
            let (mut out, mut s) = (Vec::new(), RootScratch::default());
            real_roots(&p, &mut out, &mut s);
            prop_assert_eq!(out.len(), roots.len());
            prop_assert_eq!(&out, &probed);
            for (a, b) in out.iter().zip(&roots) {
                prop_assert!((a - b).abs() < 1e-7 * (1.0 + b.abs()), "{} vs {}", a, b);
            }
        }
    }
}
