//! Scalars over which networks are evaluated: one evaluation serves every use.
//!
//! * `f64` gives values, `Complex64` serves homotopy continuation and complex-step checks,
//! * [`Fp`] (integers modulo the Mersenne prime 2^61 - 1) gives exact ranks,
//! * [`Dual`] numbers over any of these give Jacobians by forward-mode differentiation,
//! * [`Lanes`] of any of these run one program for several inputs at once (SIMD).

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Mul, Neg, Sub};

pub use num_complex::Complex64;

/// A commutative ring with the constants a network needs.
pub trait Scalar:
    Copy
    + Debug
    + Send
    + Sync
    + PartialEq
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + 'static
{
    fn zero() -> Self;
    fn one() -> Self;
    /// The image of a real constant. Exact for [`Fp`]: every finite f64 is a dyadic rational.
    fn from_f64(x: f64) -> Self;
    /// False for NaN or infinite parts (always true in a finite field).
    fn is_finite(self) -> bool {
        true
    }
}

impl Scalar for f64 {
    #[inline(always)]
    fn zero() -> Self {
        0.0
    }
    #[inline(always)]
    fn one() -> Self {
        1.0
    }
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
}

impl Scalar for Complex64 {
    #[inline(always)]
    fn zero() -> Self {
        Complex64::new(0.0, 0.0)
    }
    #[inline(always)]
    fn one() -> Self {
        Complex64::new(1.0, 0.0)
    }
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        Complex64::new(x, 0.0)
    }
    #[inline(always)]
    fn is_finite(self) -> bool {
        self.re.is_finite() && self.im.is_finite()
    }
}

/// The prime 2^61 - 1: large enough that a random evaluation point drops the rank of a
/// polynomial matrix only with negligible probability, and reduction is two shifts and an add.
pub const PRIME: u64 = (1u64 << 61) - 1;

/// An element of the prime field Z / (2^61 - 1), in canonical form `0 <= value < PRIME`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Fp(u64);

impl Fp {
    #[inline(always)]
    pub fn new(x: u64) -> Self {
        Fp(reduce64(x))
    }
    #[inline(always)]
    pub fn value(self) -> u64 {
        self.0
    }
    pub fn from_i64(x: i64) -> Self {
        let r = Fp::new(x.unsigned_abs());
        if x < 0 {
            -r
        } else {
            r
        }
    }
    pub fn pow(self, mut e: u64) -> Self {
        let mut base = self;
        let mut acc = Fp(1);
        while e > 0 {
            if e & 1 == 1 {
                acc = acc * base;
            }
            base = base * base;
            e >>= 1;
        }
        acc
    }
    /// Multiplicative inverse (Fermat); `None` for zero.
    pub fn inv(self) -> Option<Self> {
        if self.0 == 0 {
            None
        } else {
            Some(self.pow(PRIME - 2))
        }
    }
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

#[inline(always)]
fn reduce64(x: u64) -> u64 {
    let r = (x & PRIME) + (x >> 61);
    if r >= PRIME {
        r - PRIME
    } else {
        r
    }
}

impl Add for Fp {
    type Output = Fp;
    #[inline(always)]
    fn add(self, o: Fp) -> Fp {
        let s = self.0 + o.0;
        Fp(if s >= PRIME { s - PRIME } else { s })
    }
}
impl AddAssign for Fp {
    #[inline(always)]
    fn add_assign(&mut self, o: Fp) {
        *self = *self + o;
    }
}
impl Sub for Fp {
    type Output = Fp;
    #[inline(always)]
    fn sub(self, o: Fp) -> Fp {
        Fp(if self.0 >= o.0 { self.0 - o.0 } else { self.0 + PRIME - o.0 })
    }
}
impl Neg for Fp {
    type Output = Fp;
    #[inline(always)]
    fn neg(self) -> Fp {
        Fp(if self.0 == 0 { 0 } else { PRIME - self.0 })
    }
}
impl Mul for Fp {
    type Output = Fp;
    #[inline(always)]
    fn mul(self, o: Fp) -> Fp {
        let p = (self.0 as u128) * (o.0 as u128);
        let lo = (p as u64) & PRIME;
        let hi = (p >> 61) as u64;
        Fp(reduce64(lo + hi))
    }
}

impl Scalar for Fp {
    #[inline(always)]
    fn zero() -> Self {
        Fp(0)
    }
    #[inline(always)]
    fn one() -> Self {
        Fp(1)
    }
    /// x = m * 2^e exactly; since 2^61 = 1 in this field, 2^e = 2^(e mod 61).
    fn from_f64(x: f64) -> Self {
        debug_assert!(x.is_finite(), "Fp::from_f64 of a non-finite value");
        if !x.is_finite() {
            return Fp(0);
        }
        if x == 0.0 {
            return Fp(0);
        }
        let bits = x.to_bits();
        let negative = bits >> 63 == 1;
        let exponent = ((bits >> 52) & 0x7ff) as i64;
        let fraction = bits & ((1u64 << 52) - 1);
        let (mantissa, e) = if exponent == 0 { (fraction, -1074) } else { (fraction | (1u64 << 52), exponent - 1075) };
        let shift = e.rem_euclid(61) as u64;
        let r = Fp::new(mantissa) * Fp(1u64 << shift);
        if negative {
            -r
        } else {
            r
        }
    }
}

/// A dual number with `K` independent tangent directions: `re + sum_k eps[k] e_k`, e_j e_k = 0.
/// Evaluating a program over `Dual<S, K>` yields its value and K directional derivatives at once.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dual<S: Scalar, const K: usize> {
    pub re: S,
    pub eps: [S; K],
}

impl<S: Scalar, const K: usize> Dual<S, K> {
    #[inline(always)]
    pub fn constant(re: S) -> Self {
        Dual { re, eps: [S::zero(); K] }
    }
    /// The value `re` varying along direction `k`.
    #[inline(always)]
    pub fn variable(re: S, k: usize) -> Self {
        let mut d = Self::constant(re);
        d.eps[k] = S::one();
        d
    }
}

impl<S: Scalar, const K: usize> Add for Dual<S, K> {
    type Output = Self;
    #[inline(always)]
    fn add(mut self, o: Self) -> Self {
        self += o;
        self
    }
}
impl<S: Scalar, const K: usize> AddAssign for Dual<S, K> {
    #[inline(always)]
    fn add_assign(&mut self, o: Self) {
        self.re += o.re;
        for k in 0..K {
            self.eps[k] += o.eps[k];
        }
    }
}
impl<S: Scalar, const K: usize> Sub for Dual<S, K> {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        let mut eps = self.eps;
        for k in 0..K {
            eps[k] = self.eps[k] - o.eps[k];
        }
        Dual { re: self.re - o.re, eps }
    }
}
impl<S: Scalar, const K: usize> Neg for Dual<S, K> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        let mut eps = self.eps;
        for e in eps.iter_mut() {
            *e = -*e;
        }
        Dual { re: -self.re, eps }
    }
}
impl<S: Scalar, const K: usize> Mul for Dual<S, K> {
    type Output = Self;
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        let mut eps = [S::zero(); K];
        for k in 0..K {
            eps[k] = self.re * o.eps[k] + o.re * self.eps[k];
        }
        Dual { re: self.re * o.re, eps }
    }
}

impl<S: Scalar, const K: usize> Scalar for Dual<S, K> {
    #[inline(always)]
    fn zero() -> Self {
        Self::constant(S::zero())
    }
    #[inline(always)]
    fn one() -> Self {
        Self::constant(S::one())
    }
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        Self::constant(S::from_f64(x))
    }
    fn is_finite(self) -> bool {
        self.re.is_finite() && self.eps.iter().all(|e| e.is_finite())
    }
}

/// `W` independent values computed in lockstep (the product ring S^W): evaluating a program
/// over `Lanes` runs it for W parameter vectors at once, in SIMD registers.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(transparent)]
pub struct Lanes<S: Scalar, const W: usize>(pub [S; W]);

impl<S: Scalar, const W: usize> Add for Lanes<S, W> {
    type Output = Self;
    #[inline(always)]
    fn add(mut self, o: Self) -> Self {
        self += o;
        self
    }
}
impl<S: Scalar, const W: usize> AddAssign for Lanes<S, W> {
    #[inline(always)]
    fn add_assign(&mut self, o: Self) {
        for k in 0..W {
            self.0[k] += o.0[k];
        }
    }
}
impl<S: Scalar, const W: usize> Sub for Lanes<S, W> {
    type Output = Self;
    #[inline(always)]
    fn sub(mut self, o: Self) -> Self {
        for k in 0..W {
            self.0[k] = self.0[k] - o.0[k];
        }
        self
    }
}
impl<S: Scalar, const W: usize> Neg for Lanes<S, W> {
    type Output = Self;
    #[inline(always)]
    fn neg(mut self) -> Self {
        for k in 0..W {
            self.0[k] = -self.0[k];
        }
        self
    }
}
impl<S: Scalar, const W: usize> Mul for Lanes<S, W> {
    type Output = Self;
    #[inline(always)]
    fn mul(mut self, o: Self) -> Self {
        for k in 0..W {
            self.0[k] = self.0[k] * o.0[k];
        }
        self
    }
}
impl<S: Scalar, const W: usize> Scalar for Lanes<S, W> {
    #[inline(always)]
    fn zero() -> Self {
        Lanes([S::zero(); W])
    }
    #[inline(always)]
    fn one() -> Self {
        Lanes([S::one(); W])
    }
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        Lanes([S::from_f64(x); W])
    }
    fn is_finite(self) -> bool {
        self.0.iter().all(|x| x.is_finite())
    }
}

/// W complex numbers with their real and imaginary parts in separate arrays, so that complex
/// arithmetic on all of them runs in SIMD registers (W path trackers evaluate at once). Each
/// lane is rounded exactly as a [`Complex64`] would be.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ComplexLanes<const W: usize> {
    pub re: [f64; W],
    pub im: [f64; W],
}

impl<const W: usize> ComplexLanes<W> {
    #[inline(always)]
    pub fn lane(&self, k: usize) -> Complex64 {
        Complex64::new(self.re[k], self.im[k])
    }
    #[inline(always)]
    pub fn set_lane(&mut self, k: usize, z: Complex64) {
        self.re[k] = z.re;
        self.im[k] = z.im;
    }
    /// Lane k of `a` where `first[k]`, else of `b`.
    #[inline(always)]
    pub fn select(first: [bool; W], a: Self, b: Self) -> Self {
        let mut out = b;
        for k in 0..W {
            if first[k] {
                out.re[k] = a.re[k];
                out.im[k] = a.im[k];
            }
        }
        out
    }
}

impl<const W: usize> Add for ComplexLanes<W> {
    type Output = Self;
    #[inline(always)]
    fn add(mut self, o: Self) -> Self {
        self += o;
        self
    }
}
impl<const W: usize> AddAssign for ComplexLanes<W> {
    #[inline(always)]
    fn add_assign(&mut self, o: Self) {
        for k in 0..W {
            self.re[k] += o.re[k];
            self.im[k] += o.im[k];
        }
    }
}
impl<const W: usize> Sub for ComplexLanes<W> {
    type Output = Self;
    #[inline(always)]
    fn sub(mut self, o: Self) -> Self {
        for k in 0..W {
            self.re[k] -= o.re[k];
            self.im[k] -= o.im[k];
        }
        self
    }
}
impl<const W: usize> Neg for ComplexLanes<W> {
    type Output = Self;
    #[inline(always)]
    fn neg(mut self) -> Self {
        for k in 0..W {
            self.re[k] = -self.re[k];
            self.im[k] = -self.im[k];
        }
        self
    }
}
impl<const W: usize> Mul for ComplexLanes<W> {
    type Output = Self;
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        // the operations of Complex64's product, in its order
        let mut out = self;
        for k in 0..W {
            out.re[k] = self.re[k] * o.re[k] - self.im[k] * o.im[k];
            out.im[k] = self.re[k] * o.im[k] + self.im[k] * o.re[k];
        }
        out
    }
}
impl<const W: usize> Scalar for ComplexLanes<W> {
    #[inline(always)]
    fn zero() -> Self {
        ComplexLanes { re: [0.0; W], im: [0.0; W] }
    }
    #[inline(always)]
    fn one() -> Self {
        ComplexLanes { re: [1.0; W], im: [0.0; W] }
    }
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        ComplexLanes { re: [x; W], im: [0.0; W] }
    }
    fn is_finite(self) -> bool {
        self.re.iter().chain(&self.im).all(|x| x.is_finite())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn fp_is_a_field(a in 0u64..PRIME, b in 0u64..PRIME, c in 0u64..PRIME) {
            let (a, b, c) = (Fp::new(a), Fp::new(b), Fp::new(c));
            prop_assert_eq!((a + b) * c, a * c + b * c);
            prop_assert_eq!(a - b + b, a);
            if !a.is_zero() {
                prop_assert_eq!(a * a.inv().unwrap(), Fp::one());
            }
        }

        #[test]
        fn fp_from_f64_is_a_ring_map_on_dyadics(m in -1_000_000i64..1_000_000, n in -1_000_000i64..1_000_000, e in -30i32..30) {
            let x = m as f64 * 2f64.powi(e);
            let y = n as f64;
            // x * y and x + y are exact in f64 for these sizes
            prop_assert_eq!(Fp::from_f64(x * y), Fp::from_f64(x) * Fp::from_f64(y));
            prop_assert_eq!(Fp::from_f64(x + y), Fp::from_f64(x) + Fp::from_f64(y));
        }

        #[test]
        fn complex_lanes_round_as_complex64(v in proptest::collection::vec(-1e3f64..1e3, 16)) {
            // each lane of a product and sum equals Complex64 arithmetic bit for bit
            let c = |k: usize| Complex64::new(v[2 * k], v[2 * k + 1]);
            let mut a = ComplexLanes::<2>::zero();
            let mut b = ComplexLanes::<2>::zero();
            let mut acc = ComplexLanes::<2>::zero();
            for l in 0..2 {
                a.set_lane(l, c(l));
                b.set_lane(l, c(2 + l));
                acc.set_lane(l, c(4 + l));
            }
            let r = acc + a * b - b;
            for l in 0..2 {
                prop_assert_eq!(r.lane(l), c(4 + l) + c(l) * c(2 + l) - c(2 + l));
            }
        }

        #[test]
        fn dual_product_rule(a in -10.0f64..10.0, b in -10.0f64..10.0) {
            let x = Dual::<f64, 2>::variable(a, 0);
            let y = Dual::<f64, 2>::variable(b, 1);
            let p = x * x * y;
            prop_assert!((p.eps[0] - 2.0 * a * b).abs() < 1e-9);
            prop_assert!((p.eps[1] - a * a).abs() < 1e-9);
        }
    }

    #[test]
    fn fp_half() {
        let half = Fp::from_f64(0.5);
        assert_eq!(half * Fp::from_f64(2.0), Fp::one());
        assert_eq!(Fp::from_f64(-3.0), -Fp::from_f64(3.0));
    }
}
