//! Real roots of univariate real polynomials of small degree, fast enough to call millions of
//! times: the real roots of p are separated by those of p', so recursing on derivatives gives
//! intervals on which p is monotone, each holding at most one root, found by safeguarded Newton.

/// Real roots of `p` (coefficients from the constant term up) in increasing order, into `out`.
/// `scratch` holds the derivatives and their roots between calls (no allocation once warm).
pub fn real_roots(p: &[f64], out: &mut Vec<f64>, scratch: &mut RootScratch) {
    out.clear();
    let p = trim(p);
    // a factor x^z (exact zeros at the low end, as where a parametrization is singular at 0):
    // the root 0, and the other roots those of p / x^z, of lower degree
    let z = p.iter().take_while(|&&c| c == 0.0).count();
    if z > 0 && z < p.len() {
        real_roots(&p[z..], out, scratch);
        let at = out.partition_point(|&r| r < 0.0);
        out.insert(at, 0.0);
        return;
    }
    if p.len() <= 1 {
        return;
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
        monotone_roots(q, &crit, bound, tol, &mut roots);
        crit.clear();
        crit.extend_from_slice(&roots);
        scratch.found = roots;
    }
    out.extend_from_slice(&crit);
    scratch.crit = crit;
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
/// within [-bound, bound].
fn monotone_roots(q: &[f64], crit: &[f64], bound: f64, tol: f64, out: &mut Vec<f64>) {
    if q.len() == 2 {
        out.push(-q[0] / q[1]);
        return;
    }
    if q.len() == 3 {
        quadratic_roots(q, out);
        return;
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
            }
        } else if fb != 0.0 && (fa < 0.0) != (fb < 0.0) {
            // a start near the root: next to a critical point c the quadratic Taylor model
            // q(c) + q''(c) h^2 / 2 has its root at |h| = sqrt(2 |q(c) / q''(c)|); with no
            // critical point at all, the centroid of the roots
            let start = if crit.is_empty() {
                -q[deg - 1] / (deg as f64 * q[deg])
            } else if i == 0 {
                b - (2.0 * (fb / ddb).abs()).sqrt()
            } else if i == crit.len() {
                a + (2.0 * (fa / dda).abs()).sqrt()
            } else {
                a - fa * (b - a) / (fb - fa)
            };
            out.push(bracketed(q, a, b, fa, start, tol));
        }
        a = b;
        fa = fb;
        dda = ddb;
    }
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
        fn separated_real_roots_are_all_found(mut roots in proptest::collection::vec(-10.0f64..10.0, 1..7), lead in 0.5f64..3.0, zero in proptest::bool::ANY) {
            if zero {
                roots.push(0.0); // an exact factor x
            }
            roots.sort_by(|a, b| a.partial_cmp(b).unwrap());
            prop_assume!(roots.windows(2).all(|w| w[1] - w[0] > 1e-2));
            let p = from_roots(&roots, lead);
            let (mut out, mut s) = (Vec::new(), RootScratch::default());
            real_roots(&p, &mut out, &mut s);
            prop_assert_eq!(out.len(), roots.len());
            for (a, b) in out.iter().zip(&roots) {
                prop_assert!((a - b).abs() < 1e-7 * (1.0 + b.abs()), "{} vs {}", a, b);
            }
        }
    }
}
