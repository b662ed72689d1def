//! Double-double arithmetic: a number as an unevaluated sum hi + lo of two f64 (about 106
//! bits), for residuals of ill-conditioned points of a homotopy path. Newton's method with the
//! residual in double-double and the Jacobian in double converges to full double accuracy
//! where plain double stalls at about cond * unit roundoff.

use std::ops::{Add, AddAssign, Mul, Neg, Sub};

use crate::scalar::{Complex64, Scalar};

/// hi + lo with |lo| <= ulp(hi) / 2.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DoubleDouble {
    pub hi: f64,
    pub lo: f64,
}

#[inline(always)]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

#[inline(always)]
fn quick_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    (s, b - (s - a))
}

impl DoubleDouble {
    pub fn new(x: f64) -> Self {
        DoubleDouble { hi: x, lo: 0.0 }
    }
    /// The nearest f64.
    pub fn to_f64(self) -> f64 {
        self.hi + self.lo
    }
}

impl Add for DoubleDouble {
    type Output = Self;
    #[inline(always)]
    fn add(self, y: Self) -> Self {
        let (s, e) = two_sum(self.hi, y.hi);
        let (t, f) = two_sum(self.lo, y.lo);
        let (s, e) = quick_two_sum(s, e + t);
        let (hi, lo) = quick_two_sum(s, e + f);
        DoubleDouble { hi, lo }
    }
}

impl Neg for DoubleDouble {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        DoubleDouble { hi: -self.hi, lo: -self.lo }
    }
}

impl Sub for DoubleDouble {
    type Output = Self;
    #[inline(always)]
    fn sub(self, y: Self) -> Self {
        self + (-y)
    }
}

impl Mul for DoubleDouble {
    type Output = Self;
    #[inline(always)]
    fn mul(self, y: Self) -> Self {
        let p = self.hi * y.hi;
        let e = self.hi.mul_add(y.hi, -p);
        let e = e + (self.hi * y.lo + self.lo * y.hi);
        let (hi, lo) = quick_two_sum(p, e);
        DoubleDouble { hi, lo }
    }
}

impl AddAssign for DoubleDouble {
    #[inline(always)]
    fn add_assign(&mut self, y: Self) {
        *self = *self + y;
    }
}

/// A complex number with double-double parts.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ComplexDd {
    pub re: DoubleDouble,
    pub im: DoubleDouble,
}

impl ComplexDd {
    pub fn new(z: Complex64) -> Self {
        ComplexDd { re: DoubleDouble::new(z.re), im: DoubleDouble::new(z.im) }
    }
    /// The nearest complex double.
    pub fn to_complex(self) -> Complex64 {
        Complex64::new(self.re.to_f64(), self.im.to_f64())
    }
}

impl Add for ComplexDd {
    type Output = Self;
    #[inline(always)]
    fn add(self, y: Self) -> Self {
        ComplexDd { re: self.re + y.re, im: self.im + y.im }
    }
}

impl Sub for ComplexDd {
    type Output = Self;
    #[inline(always)]
    fn sub(self, y: Self) -> Self {
        ComplexDd { re: self.re - y.re, im: self.im - y.im }
    }
}

impl Neg for ComplexDd {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        ComplexDd { re: -self.re, im: -self.im }
    }
}

impl Mul for ComplexDd {
    type Output = Self;
    #[inline(always)]
    fn mul(self, y: Self) -> Self {
        ComplexDd { re: self.re * y.re - self.im * y.im, im: self.re * y.im + self.im * y.re }
    }
}

impl AddAssign for ComplexDd {
    #[inline(always)]
    fn add_assign(&mut self, y: Self) {
        *self = *self + y;
    }
}

impl Scalar for ComplexDd {
    #[inline(always)]
    fn zero() -> Self {
        ComplexDd::default()
    }
    #[inline(always)]
    fn one() -> Self {
        ComplexDd::new(Complex64::new(1.0, 0.0))
    }
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        ComplexDd::new(Complex64::new(x, 0.0))
    }
    #[inline(always)]
    fn is_finite(self) -> bool {
        self.re.hi.is_finite() && self.im.hi.is_finite()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keeps_what_double_loses() {
        // (1 + 2^-60) - 1 is 2^-60, lost entirely in double
        let tiny = 2f64.powi(-60);
        let x = DoubleDouble::new(1.0) + DoubleDouble::new(tiny) - DoubleDouble::new(1.0);
        assert_eq!(x.to_f64(), tiny);
        assert_eq!((1.0 + tiny) - 1.0, 0.0);
    }

    proptest! {
        #[test]
        fn products_are_exact_to_106_bits(a in -1e3f64..1e3, b in -1e3f64..1e3) {
            // the exact product of two doubles is hi + lo
            let p = DoubleDouble::new(a) * DoubleDouble::new(b);
            prop_assert_eq!(p.hi, a * b);
            prop_assert_eq!(p.lo, a.mul_add(b, -(a * b)));
        }

        #[test]
        fn complex_arithmetic_agrees_with_double(ar in -10f64..10.0, ai in -10f64..10.0, br in -10f64..10.0, bi in -10f64..10.0) {
            let (a, b) = (Complex64::new(ar, ai), Complex64::new(br, bi));
            let p = (ComplexDd::new(a) * ComplexDd::new(b) - ComplexDd::new(a)).to_complex();
            prop_assert!((p - (a * b - a)).norm() <= 1e-13 * (1.0 + (a * b).norm()));
        }
    }
}
