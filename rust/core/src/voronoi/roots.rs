//! Real roots of univariate real polynomials of small degree, fast enough to call millions of
//! times: the real roots of p are separated by those of p', so recursing on derivatives gives
//! intervals on which p is monotone, each holding at most one root, found by safeguarded Newton.

/// Real roots of `p` (coefficients from the constant term up) in increasing order, into `out`.
/// `scratch` holds the derivatives and their roots between calls (no allocation once warm).
pub fn real_roots(p: &[f64], out: &mut Vec<f64>, scratch: &mut RootScratch) {
    out.clear();
    let p = trim(p);
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
        monotone_roots(q, &crit, bound, &mut roots);
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

fn eval(p: &[f64], x: f64) -> (f64, f64) {
    // value and derivative by Horner
    let mut v = 0.0;
    let mut d = 0.0;
    for &c in p.iter().rev() {
        d = d * x + v;
        v = v * x + c;
    }
    (v, d)
}

/// Roots of q on the intervals between consecutive points of `crit` (where q is monotone),
/// within [-bound, bound].
fn monotone_roots(q: &[f64], crit: &[f64], bound: f64, out: &mut Vec<f64>) {
    if q.len() == 2 {
        out.push(-q[0] / q[1]);
        return;
    }
    let mut a = -bound;
    let mut fa = eval(q, a).0;
    for i in 0..=crit.len() {
        let b = if i < crit.len() { crit[i] } else { bound };
        if b <= a {
            continue;
        }
        let fb = eval(q, b).0;
        if fa == 0.0 {
            if out.last().is_none_or(|&r| r < a) {
                out.push(a);
            }
        } else if fb != 0.0 && (fa < 0.0) != (fb < 0.0) {
            out.push(bracketed(q, a, b, fa));
        } else if fb == 0.0 && i == crit.len() {
            out.push(b);
        }
        a = b;
        fa = fb;
    }
    // a double root sits exactly at a critical point where q vanishes to rounding
    let _ = crit;
}

/// The root of q in [a, b] (q(a) = fa and q(b) of opposite signs): Newton steps, falling back to
/// bisection whenever a step leaves the bracket or does not shrink it fast enough.
fn bracketed(q: &[f64], mut a: f64, mut b: f64, fa: f64) -> f64 {
    let neg_at_a = fa < 0.0;
    let mut x = 0.5 * (a + b);
    for _ in 0..200 {
        let (v, d) = eval(q, x);
        if v == 0.0 {
            return x;
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
        let newton = x - v / d;
        x = if d != 0.0 && newton > a && newton < b && (newton - x).abs() < 0.5 * width {
            newton
        } else {
            0.5 * (a + b)
        };
        if (x - a).abs() <= f64::EPSILON * x.abs() || (b - x).abs() <= f64::EPSILON * x.abs() {
            return x;
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

    proptest! {
        #[test]
        fn separated_real_roots_are_all_found(mut roots in proptest::collection::vec(-10.0f64..10.0, 1..7), lead in 0.5f64..3.0) {
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
