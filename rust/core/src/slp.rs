//! Straight-line programs: a network's parametrization compiled once into a list of
//! sums of products, then evaluated over any [`Scalar`].
//!
//! Registers `0..n_inputs` hold the inputs (the parameters theta); every instruction writes
//! one new register. Polynomial arithmetic reduces to sums of products (coefficients of a
//! product of polynomials, a linear layer), so a single instruction kind does the work and
//! the inner loop runs without dispatch.

use std::collections::BTreeMap;

use crate::scalar::{Dual, Lanes, Scalar};

/// Index of a register.
pub type Reg = u32;

/// A sparse polynomial: exponent vector -> coefficient.
pub type SparsePoly = BTreeMap<Vec<u16>, f64>;

/// A compiled polynomial map C^n -> C^m.
///
/// Registers: the inputs, then the constants, then one per sum of products, each reading only
/// registers before it. Sum k covers `pairs[ends[k-1]..ends[k]]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Slp {
    n_inputs: usize,
    constants: Vec<f64>,
    ends: Vec<u32>,
    pairs: Vec<(Reg, Reg)>,
    outputs: Vec<Reg>,
}

/// Number of tangent directions propagated at once when differentiating with dual numbers.
pub const LANES: usize = 8;
/// Number of inputs evaluated at once in SIMD lanes by [`Slp::eval_batch`].
pub const BATCH_LANES: usize = 4;

impl Slp {
    pub fn n_inputs(&self) -> usize {
        self.n_inputs
    }
    pub fn n_outputs(&self) -> usize {
        self.outputs.len()
    }
    pub fn n_registers(&self) -> usize {
        self.n_inputs + self.constants.len() + self.ends.len()
    }
    /// Number of multiplications in one evaluation.
    pub fn n_products(&self) -> usize {
        self.pairs.len()
    }

    /// Evaluate into `out` (length `n_outputs`), using `regs` as scratch space.
    pub fn eval_with<S: Scalar>(&self, input: &[S], regs: &mut Vec<S>, out: &mut [S]) {
        self.eval_fast(input, regs, out)
    }

    /// The registers holding the outputs, after [`Slp::eval_registers`].
    pub fn output_registers(&self) -> &[Reg] {
        &self.outputs
    }

    /// Evaluate in place: `regs` (at least `n_registers` long) holds the inputs in its first
    /// `n_inputs` entries; every other register is written before it is read. Callers that
    /// evaluate often with few changing inputs write only those between calls.
    pub fn eval_registers<S: Scalar>(&self, regs: &mut [S]) {
        assert!(regs.len() >= self.n_registers(), "register file too short");
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the processor supports the features the function was compiled for.
            unsafe { self.run_avx2(regs) };
            return;
        }
        self.run(regs)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn run_avx2<S: Scalar>(&self, regs: &mut [S]) {
        self.run(regs)
    }

    #[inline(always)]
    fn eval_inline<S: Scalar>(&self, input: &[S], regs: &mut Vec<S>, out: &mut [S]) {
        debug_assert_eq!(input.len(), self.n_inputs);
        debug_assert_eq!(out.len(), self.outputs.len());
        regs.clear();
        regs.extend_from_slice(input);
        regs.resize(self.n_registers(), S::zero());
        self.run(regs);
        for (o, &r) in out.iter_mut().zip(&self.outputs) {
            *o = regs[r as usize];
        }
    }

    /// The constants and sums of products, over registers holding the inputs.
    #[inline(always)]
    fn run<S: Scalar>(&self, regs: &mut [S]) {
        assert!(regs.len() >= self.n_registers());
        let first = self.n_inputs + self.constants.len();
        for (r, &c) in regs[self.n_inputs..first].iter_mut().zip(&self.constants) {
            *r = S::from_f64(c);
        }
        let r = regs.as_mut_ptr();
        let mut start = 0usize;
        for (k, &end) in self.ends.iter().enumerate() {
            let pairs = &self.pairs[start..end as usize];
            start = end as usize;
            debug_assert!(pairs.iter().all(|&(a, b)| (a as usize) < first + k && (b as usize) < first + k));
            // SAFETY: every pair reads registers written before its sum (`SlpBuilder::dot`
            // asserts it and `finish` keeps the order), all within `regs`, and sum k writes
            // register first + k < n_registers.
            unsafe {
                let get = |q: Reg| *r.add(q as usize);
                let mut acc = S::zero();
                for &(x, y) in pairs {
                    acc += get(x) * get(y);
                }
                *r.add(first + k) = acc;
            }
        }
    }

    /// The same loop compiled for AVX2, so that [`Lanes`] arithmetic uses 256-bit registers.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn eval_avx2<S: Scalar>(&self, input: &[S], regs: &mut Vec<S>, out: &mut [S]) {
        self.eval_inline(input, regs, out)
    }

    /// Evaluate with the widest instruction set the processor has.
    fn eval_fast<S: Scalar>(&self, input: &[S], regs: &mut Vec<S>, out: &mut [S]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the processor supports the features the function was compiled for.
            unsafe { self.eval_avx2(input, regs, out) };
            return;
        }
        self.eval_inline(input, regs, out)
    }

    /// Evaluate for a row-major batch of inputs (B x n_inputs) into `out` (B x n_outputs),
    /// `BATCH_LANES` inputs at a time in SIMD lanes.
    pub fn eval_batch<S: Scalar>(&self, inputs: &[S], out: &mut [S]) {
        let (n, m) = (self.n_inputs, self.outputs.len());
        let b = if n == 0 { out.len() / m.max(1) } else { inputs.len() / n };
        debug_assert_eq!(out.len(), b * m);
        let mut regs: Vec<Lanes<S, BATCH_LANES>> = Vec::with_capacity(self.n_registers());
        let mut lane_in = vec![Lanes::<S, BATCH_LANES>::zero(); n];
        let mut lane_out = vec![Lanes::<S, BATCH_LANES>::zero(); m];
        for start in (0..b).step_by(BATCH_LANES) {
            let count = BATCH_LANES.min(b - start);
            for l in 0..BATCH_LANES {
                // short final chunks repeat their last input; the extra lanes are discarded
                let row = start + l.min(count - 1);
                for i in 0..n {
                    lane_in[i].0[l] = inputs[row * n + i];
                }
            }
            self.eval_fast(&lane_in, &mut regs, &mut lane_out);
            for l in 0..count {
                let row = &mut out[(start + l) * m..(start + l + 1) * m];
                for (o, v) in row.iter_mut().zip(&lane_out) {
                    *o = v.0[l];
                }
            }
        }
    }

    /// The program computing the Jacobian of this one (outputs row-major, n_outputs x n_inputs),
    /// by symbolic forward differentiation that keeps only structurally nonzero derivatives.
    /// `None` if it would need more than `max_products` products.
    pub fn derivative(&self, max_products: usize) -> Option<Slp> {
        self.derivative_wrt(self.n_inputs, max_products)
    }

    /// The Jacobian program with respect to the first `k` inputs only (outputs n_outputs x k):
    /// the remaining inputs are held constant (parameters, coefficients).
    pub fn derivative_wrt(&self, k: usize, max_products: usize) -> Option<Slp> {
        self.differentiate(k, max_products, false)
    }

    /// Values and Jacobian with respect to the first `k` inputs in one program: outputs are
    /// the `n_outputs` values, then the Jacobian (n_outputs x k, row-major). The values come
    /// for free, as the derivative program computes them anyway.
    pub fn value_and_derivative_wrt(&self, k: usize, max_products: usize) -> Option<Slp> {
        self.differentiate(k, max_products, true)
    }

    fn differentiate(&self, k: usize, max_products: usize, with_values: bool) -> Option<Slp> {
        let n = self.n_inputs;
        let k = k.min(n);
        let mut b = SlpBuilder::new(n);
        let mut val: Vec<Reg> = Vec::with_capacity(self.n_registers());
        // sparse tangent of each register: (input index, register of the derivative)
        let mut tan: Vec<Vec<(u32, Reg)>> = Vec::with_capacity(self.n_registers());
        for i in 0..n {
            val.push(b.input(i));
            tan.push(if i < k { vec![(i as u32, b.one())] } else { vec![] });
        }
        for &c in &self.constants {
            val.push(b.constant(c));
            tan.push(vec![]);
        }
        let mut pairs = Vec::new();
        let mut start = 0usize;
        for &end in &self.ends {
            let src = &self.pairs[start..end as usize];
            start = end as usize;
            pairs.clear();
            pairs.extend(src.iter().map(|&(x, y)| (val[x as usize], val[y as usize])));
            let v = b.dot(&pairs);
            let mut acc: BTreeMap<u32, Vec<(Reg, Reg)>> = BTreeMap::new();
            for &(x, y) in src {
                for &(p, dx) in &tan[x as usize] {
                    acc.entry(p).or_default().push((dx, val[y as usize]));
                }
                for &(p, dy) in &tan[y as usize] {
                    acc.entry(p).or_default().push((val[x as usize], dy));
                }
            }
            let t: Vec<(u32, Reg)> = acc.into_iter().map(|(p, prs)| (p, b.dot(&prs))).collect();
            val.push(v);
            tan.push(t);
            if b.n_products() > max_products {
                return None;
            }
        }
        let zero = b.zero();
        let m = self.outputs.len();
        let offset = if with_values { m } else { 0 };
        let mut outputs = vec![zero; offset + m * k];
        for (o, &r) in self.outputs.iter().enumerate() {
            if with_values {
                outputs[o] = val[r as usize];
            }
            for &(p, d) in &tan[r as usize] {
                outputs[offset + o * k + p as usize] = d;
            }
        }
        Some(b.finish(outputs))
    }

    /// The outputs as explicit sparse polynomials in the inputs (exponent vector -> coefficient,
    /// zero coefficients dropped). `None` if an intermediate polynomial has more than `max_terms`
    /// terms: expansion can blow up where the program stays small.
    pub fn expand(&self, max_terms: usize) -> Option<Vec<SparsePoly>> {
        let n = self.n_inputs;
        let mut regs: Vec<SparsePoly> = Vec::with_capacity(self.n_registers());
        for i in 0..n {
            let mut e = vec![0u16; n];
            e[i] = 1;
            regs.push(BTreeMap::from([(e, 1.0)]));
        }
        for &c in &self.constants {
            let mut p = BTreeMap::new();
            if c != 0.0 {
                p.insert(vec![0u16; n], c);
            }
            regs.push(p);
        }
        let mut start = 0usize;
        for &end in &self.ends {
            let mut acc: SparsePoly = BTreeMap::new();
            for &(a, b) in &self.pairs[start..end as usize] {
                for (ea, ca) in &regs[a as usize] {
                    for (eb, cb) in &regs[b as usize] {
                        let e: Vec<u16> = ea.iter().zip(eb).map(|(x, y)| x + y).collect();
                        *acc.entry(e).or_insert(0.0) += ca * cb;
                    }
                }
                if acc.len() > max_terms {
                    return None;
                }
            }
            acc.retain(|_, c| *c != 0.0);
            start = end as usize;
            regs.push(acc);
        }
        Some(self.outputs.iter().map(|&r| regs[r as usize].clone()).collect())
    }

    pub fn eval<S: Scalar>(&self, input: &[S]) -> Vec<S> {
        let mut regs = Vec::with_capacity(self.n_registers());
        let mut out = vec![S::zero(); self.n_outputs()];
        self.eval_with(input, &mut regs, &mut out);
        out
    }

    /// Jacobian (row-major, `n_outputs x n_inputs`) by forward mode, `LANES` directions per pass.
    pub fn jacobian_with<S: Scalar>(
        &self,
        input: &[S],
        regs: &mut Vec<Dual<S, LANES>>,
        seeds: &mut Vec<Dual<S, LANES>>,
        out: &mut Vec<Dual<S, LANES>>,
        values: Option<&mut [S]>,
        jac: &mut [S],
    ) {
        let n = self.n_inputs;
        let m = self.outputs.len();
        debug_assert_eq!(jac.len(), n * m);
        out.clear();
        out.resize(m, Dual::zero());
        let mut values = values;
        let passes = n.div_ceil(LANES).max(1);
        for pass in 0..passes {
            let lo = pass * LANES;
            let hi = (lo + LANES).min(n);
            seeds.clear();
            seeds.extend(input.iter().map(|&x| Dual::constant(x)));
            for j in lo..hi {
                seeds[j].eps[j - lo] = S::one();
            }
            self.eval_with(seeds, regs, out);
            for (i, o) in out.iter().enumerate() {
                let row = &mut jac[i * n..(i + 1) * n];
                row[lo..hi].copy_from_slice(&o.eps[..hi - lo]);
            }
            if pass == 0 {
                if let Some(v) = values.as_deref_mut() {
                    for (vi, o) in v.iter_mut().zip(out.iter()) {
                        *vi = o.re;
                    }
                }
            }
        }
    }

    pub fn jacobian<S: Scalar>(&self, input: &[S]) -> Vec<S> {
        let mut jac = vec![S::zero(); self.n_inputs * self.n_outputs()];
        self.jacobian_with(input, &mut Vec::new(), &mut Vec::new(), &mut Vec::new(), None, &mut jac);
        jac
    }
}

/// Incremental construction of an [`Slp`]; registers are handed out as values are added
/// (builder numbering: inputs, then values in order of creation; `finish` moves the
/// constants in front of the sums).
#[derive(Debug)]
pub struct SlpBuilder {
    n_inputs: usize,
    /// For each value after the inputs: `Ok(constant)` or `Err(end of its pairs)`.
    values: Vec<std::result::Result<f64, u32>>,
    pairs: Vec<(Reg, Reg)>,
    constants: std::collections::HashMap<u64, Reg>,
    zero: Reg,
    one: Reg,
}

impl SlpBuilder {
    pub fn new(n_inputs: usize) -> Self {
        let mut b = SlpBuilder {
            n_inputs,
            values: Vec::new(),
            pairs: Vec::new(),
            constants: Default::default(),
            zero: 0,
            one: 0,
        };
        b.zero = b.constant(0.0);
        b.one = b.constant(1.0);
        b
    }
    pub fn input(&self, i: usize) -> Reg {
        debug_assert!(i < self.n_inputs);
        i as Reg
    }
    pub fn zero(&self) -> Reg {
        self.zero
    }
    pub fn one(&self) -> Reg {
        self.one
    }
    pub fn n_products(&self) -> usize {
        self.pairs.len()
    }
    fn next(&self) -> Reg {
        (self.n_inputs + self.values.len()) as Reg
    }
    pub fn constant(&mut self, c: f64) -> Reg {
        // -0.0 and 0.0 are the same constant
        let key = if c == 0.0 { 0.0f64.to_bits() } else { c.to_bits() };
        if let Some(&r) = self.constants.get(&key) {
            return r;
        }
        let r = self.next();
        self.values.push(Ok(c));
        self.constants.insert(key, r);
        r
    }
    /// `sum a * b`; shortcuts an empty sum and a single product with the constant one.
    pub fn dot(&mut self, pairs: &[(Reg, Reg)]) -> Reg {
        match pairs {
            [] => self.zero,
            [(a, b)] if *b == self.one => *a,
            [(a, b)] if *a == self.one => *b,
            _ => {
                // the evaluator relies on this: only registers that already exist are read
                let next = self.next();
                assert!(pairs.iter().all(|&(a, b)| a < next && b < next), "operand register out of range");
                self.pairs.extend_from_slice(pairs);
                self.values.push(Err(self.pairs.len() as u32));
                next
            }
        }
    }
    pub fn mul(&mut self, a: Reg, b: Reg) -> Reg {
        self.dot(&[(a, b)])
    }
    pub fn add(&mut self, a: Reg, b: Reg) -> Reg {
        let one = self.one;
        self.dot(&[(a, one), (b, one)])
    }
    pub fn finish(self, outputs: Vec<Reg>) -> Slp {
        let n = self.n_inputs;
        let n_const = self.values.iter().filter(|v| v.is_ok()).count();
        let mut remap: Vec<Reg> = (0..n as Reg).collect();
        let (mut c, mut d) = (n, n + n_const);
        let mut constants = Vec::with_capacity(n_const);
        let mut ends = Vec::new();
        for v in &self.values {
            match *v {
                Ok(x) => {
                    remap.push(c as Reg);
                    constants.push(x);
                    c += 1;
                }
                Err(end) => {
                    remap.push(d as Reg);
                    ends.push(end);
                    d += 1;
                }
            }
        }
        let pairs = self.pairs.iter().map(|&(a, b)| (remap[a as usize], remap[b as usize])).collect();
        let outputs = outputs.iter().map(|&r| remap[r as usize]).collect();
        Slp { n_inputs: n, constants, ends, pairs, outputs }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::{Complex64, Fp};

    #[test]
    fn expansion_gives_the_polynomials_of_the_program() {
        let polys = sample().expand(100).unwrap();
        assert_eq!(polys[0], BTreeMap::from([(vec![2, 1], 1.0), (vec![0, 0], 3.0)]));
        assert_eq!(polys[1], BTreeMap::from([(vec![1, 0], 1.0), (vec![0, 1], -1.0)]));
        assert!(sample().expand(1).is_none());
    }

    /// f(x, y) = (x^2 y + 3, x - y) as a program.
    fn sample() -> Slp {
        let mut b = SlpBuilder::new(2);
        let (x, y) = (b.input(0), b.input(1));
        let x2 = b.mul(x, x);
        let x2y = b.mul(x2, y);
        let three = b.constant(3.0);
        let f0 = b.add(x2y, three);
        let m1 = b.constant(-1.0);
        let one = b.one();
        let f1 = b.dot(&[(x, one), (y, m1)]);
        b.finish(vec![f0, f1])
    }

    #[test]
    fn evaluates_over_every_scalar() {
        let p = sample();
        assert_eq!(p.eval(&[2.0, 5.0]), vec![23.0, -3.0]);
        let c = p.eval(&[Complex64::new(0.0, 1.0), Complex64::new(1.0, 0.0)]);
        assert_eq!(c, vec![Complex64::new(2.0, 0.0), Complex64::new(-1.0, 1.0)]);
        let f = p.eval(&[Fp::from_i64(2), Fp::from_i64(5)]);
        assert_eq!(f, vec![Fp::from_i64(23), Fp::from_i64(-3)]);
    }

    #[test]
    fn derivative_program_matches_dual_numbers() {
        let p = sample();
        let d = p.derivative(usize::MAX).unwrap();
        assert_eq!(d.eval(&[2.0, 5.0]), p.jacobian(&[2.0, 5.0]));
        // batches in lanes, with a short final chunk
        let inputs: Vec<f64> = (0..14).map(|k| k as f64 * 0.5 - 3.0).collect();
        let mut out = vec![0.0; 7 * 4];
        d.eval_batch(&inputs, &mut out);
        for b in 0..7 {
            assert_eq!(&out[b * 4..b * 4 + 4], &p.jacobian(&inputs[b * 2..b * 2 + 2])[..]);
        }
    }

    #[test]
    fn values_and_derivative_in_one_program() {
        let p = sample();
        let d = p.value_and_derivative_wrt(1, usize::MAX).unwrap();
        // values, then d/dx only
        assert_eq!(d.eval(&[2.0, 5.0]), vec![23.0, -3.0, 20.0, 1.0]);
    }

    #[test]
    fn jacobian_by_dual_numbers() {
        let p = sample();
        let j = p.jacobian(&[2.0, 5.0]);
        assert_eq!(j, vec![20.0, 4.0, 1.0, -1.0]);
    }
}
