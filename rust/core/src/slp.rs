//! Straight-line programs: a network's parametrization compiled once into a list of
//! sums of products, then evaluated over any [`Scalar`].
//!
//! Registers `0..n_inputs` hold the inputs (the parameters theta); every instruction writes
//! one new register. Polynomial arithmetic reduces to sums of products (coefficients of a
//! product of polynomials, a linear layer), so a single instruction kind does the work and
//! the inner loop runs without dispatch.

use crate::scalar::{Dual, Scalar};

/// Index of a register.
pub type Reg = u32;

#[derive(Clone, Debug, PartialEq)]
enum Instr {
    /// A real constant.
    Const(f64),
    /// `sum a * b` over the pairs `pairs[start..end]`.
    Dot { start: u32, end: u32 },
}

/// A compiled polynomial map C^n -> C^m.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Slp {
    n_inputs: usize,
    instrs: Vec<Instr>,
    pairs: Vec<(Reg, Reg)>,
    outputs: Vec<Reg>,
}

/// Number of tangent directions propagated at once when differentiating.
pub const LANES: usize = 8;

impl Slp {
    pub fn n_inputs(&self) -> usize {
        self.n_inputs
    }
    pub fn n_outputs(&self) -> usize {
        self.outputs.len()
    }
    pub fn n_registers(&self) -> usize {
        self.n_inputs + self.instrs.len()
    }
    /// Number of multiplications in one evaluation.
    pub fn n_products(&self) -> usize {
        self.pairs.len()
    }

    /// Evaluate into `out` (length `n_outputs`), using `regs` as scratch space.
    pub fn eval_with<S: Scalar>(&self, input: &[S], regs: &mut Vec<S>, out: &mut [S]) {
        debug_assert_eq!(input.len(), self.n_inputs);
        debug_assert_eq!(out.len(), self.outputs.len());
        regs.clear();
        regs.extend_from_slice(input);
        for instr in &self.instrs {
            let v = match *instr {
                Instr::Const(c) => S::from_f64(c),
                Instr::Dot { start, end } => {
                    let mut acc = S::zero();
                    for &(a, b) in &self.pairs[start as usize..end as usize] {
                        // SAFETY-free indexing: registers refer only to earlier registers,
                        // which the builder guarantees.
                        acc += regs[a as usize] * regs[b as usize];
                    }
                    acc
                }
            };
            regs.push(v);
        }
        for (o, &r) in out.iter_mut().zip(&self.outputs) {
            *o = regs[r as usize];
        }
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

/// Incremental construction of an [`Slp`]; registers are handed out as instructions are added.
#[derive(Debug)]
pub struct SlpBuilder {
    slp: Slp,
    constants: std::collections::HashMap<u64, Reg>,
    zero: Reg,
    one: Reg,
}

impl SlpBuilder {
    pub fn new(n_inputs: usize) -> Self {
        let mut b = SlpBuilder {
            slp: Slp { n_inputs, ..Slp::default() },
            constants: Default::default(),
            zero: 0,
            one: 0,
        };
        b.zero = b.constant(0.0);
        b.one = b.constant(1.0);
        b
    }
    pub fn input(&self, i: usize) -> Reg {
        debug_assert!(i < self.slp.n_inputs);
        i as Reg
    }
    pub fn zero(&self) -> Reg {
        self.zero
    }
    pub fn one(&self) -> Reg {
        self.one
    }
    pub fn n_products(&self) -> usize {
        self.slp.pairs.len()
    }
    fn push(&mut self, instr: Instr) -> Reg {
        self.slp.instrs.push(instr);
        (self.slp.n_inputs + self.slp.instrs.len() - 1) as Reg
    }
    pub fn constant(&mut self, c: f64) -> Reg {
        // -0.0 and 0.0 are the same constant
        let key = if c == 0.0 { 0.0f64.to_bits() } else { c.to_bits() };
        if let Some(&r) = self.constants.get(&key) {
            return r;
        }
        let r = self.push(Instr::Const(c));
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
                let start = self.slp.pairs.len() as u32;
                self.slp.pairs.extend_from_slice(pairs);
                let end = self.slp.pairs.len() as u32;
                self.push(Instr::Dot { start, end })
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
    pub fn finish(mut self, outputs: Vec<Reg>) -> Slp {
        self.slp.outputs = outputs;
        self.slp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::{Complex64, Fp};

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
    fn jacobian_by_dual_numbers() {
        let p = sample();
        let j = p.jacobian(&[2.0, 5.0]);
        assert_eq!(j, vec![20.0, 4.0, 1.0, -1.0]);
    }
}
