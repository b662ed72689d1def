//! Polynomials in the input variables x whose coefficients are registers of a straight-line
//! program: running a network on these yields the program that computes mu(theta).

use std::collections::{BTreeMap, HashMap};

use crate::error::{Error, Result};
use crate::slp::{Reg, SlpBuilder};

/// Index of an interned monomial.
pub type Mono = u32;

/// Interns exponent vectors in `n_vars` variables.
#[derive(Debug, Clone)]
pub struct Monomials {
    n_vars: usize,
    exps: Vec<Vec<u16>>,
    index: HashMap<Vec<u16>, Mono>,
    products: HashMap<(Mono, Mono), Mono>,
}

impl Monomials {
    pub fn new(n_vars: usize) -> Self {
        let mut m = Monomials { n_vars, exps: vec![], index: HashMap::new(), products: HashMap::new() };
        m.intern(vec![0; n_vars]);
        m
    }
    pub fn n_vars(&self) -> usize {
        self.n_vars
    }
    pub fn intern(&mut self, e: Vec<u16>) -> Mono {
        if let Some(&i) = self.index.get(&e) {
            return i;
        }
        let i = self.exps.len() as Mono;
        self.exps.push(e.clone());
        self.index.insert(e, i);
        i
    }
    /// The monomial 1.
    pub fn unit(&self) -> Mono {
        0
    }
    pub fn variable(&mut self, i: usize) -> Mono {
        let mut e = vec![0u16; self.n_vars];
        e[i] = 1;
        self.intern(e)
    }
    pub fn exponents(&self, m: Mono) -> &[u16] {
        &self.exps[m as usize]
    }
    pub fn degree(&self, m: Mono) -> u32 {
        self.exps[m as usize].iter().map(|&e| e as u32).sum()
    }
    pub fn product(&mut self, a: Mono, b: Mono) -> Mono {
        let key = if a <= b { (a, b) } else { (b, a) };
        if let Some(&m) = self.products.get(&key) {
            return m;
        }
        let e: Vec<u16> = self.exps[a as usize].iter().zip(&self.exps[b as usize]).map(|(x, y)| x + y).collect();
        let m = self.intern(e);
        self.products.insert(key, m);
        m
    }
    /// Sort key of the documented basis order: total degree ascending, then
    /// lexicographically descending exponent vectors (x0^2, x0 x1, x0 x2, x1^2, ...).
    pub fn order_key(&self, m: Mono) -> (u32, std::cmp::Reverse<Vec<u16>>) {
        (self.degree(m), std::cmp::Reverse(self.exps[m as usize].clone()))
    }
}

/// A polynomial: monomials with the registers holding their coefficients (sorted by monomial).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Poly {
    pub terms: Vec<(Mono, Reg)>,
}

/// Upper bound on the products of one program, a guard against architectures whose
/// parametrization would not fit in memory (each product costs 8 bytes to store).
pub const MAX_PRODUCTS: usize = 200_000_000;

/// Symbolic polynomial arithmetic feeding an [`SlpBuilder`].
pub struct PolyBuilder {
    pub slp: SlpBuilder,
    pub monos: Monomials,
}

impl PolyBuilder {
    pub fn new(n_params: usize, n_vars: usize) -> Self {
        PolyBuilder { slp: SlpBuilder::new(n_params), monos: Monomials::new(n_vars) }
    }

    fn check_size(&self, extra: usize) -> Result<()> {
        if self.slp.n_products().saturating_add(extra) > MAX_PRODUCTS {
            return Err(Error::TooLarge(format!(
                "the parametrization needs more than {MAX_PRODUCTS} products; choose smaller widths or degrees"
            )));
        }
        Ok(())
    }

    fn collect(&mut self, acc: BTreeMap<Mono, Vec<(Reg, Reg)>>) -> Poly {
        let mut terms = Vec::with_capacity(acc.len());
        for (m, pairs) in acc {
            let r = self.slp.dot(&pairs);
            terms.push((m, r));
        }
        Poly { terms }
    }

    /// The input variable x_i.
    pub fn variable(&mut self, i: usize) -> Poly {
        let m = self.monos.variable(i);
        Poly { terms: vec![(m, self.slp.one())] }
    }

    /// `sum_k w_k p_k + bias` with registers `w_k` and an optional bias register.
    pub fn linear(&mut self, terms: &[(Reg, &Poly)], bias: Option<Reg>) -> Result<Poly> {
        let size: usize = terms.iter().map(|(_, p)| p.terms.len()).sum();
        self.check_size(size + 1)?;
        let mut acc: BTreeMap<Mono, Vec<(Reg, Reg)>> = BTreeMap::new();
        for (w, p) in terms {
            for &(m, c) in &p.terms {
                acc.entry(m).or_default().push((*w, c));
            }
        }
        if let Some(b) = bias {
            let one = self.slp.one();
            acc.entry(self.monos.unit()).or_default().push((b, one));
        }
        Ok(self.collect(acc))
    }

    pub fn mul(&mut self, p: &Poly, q: &Poly) -> Result<Poly> {
        self.check_size(p.terms.len().saturating_mul(q.terms.len()))?;
        let mut acc: BTreeMap<Mono, Vec<(Reg, Reg)>> = BTreeMap::new();
        for &(m1, c1) in &p.terms {
            for &(m2, c2) in &q.terms {
                let m = self.monos.product(m1, m2);
                acc.entry(m).or_default().push((c1, c2));
            }
        }
        Ok(self.collect(acc))
    }

    /// sigma(p) = sum_k a_k p^k for a polynomial activation with real coefficients `a`.
    pub fn activation(&mut self, p: &Poly, a: &[f64]) -> Result<Poly> {
        let degree = a.iter().rposition(|&c| c != 0.0);
        let Some(degree) = degree else {
            return Ok(Poly::default());
        };
        // a pure power z^r needs no linear combination
        if a[degree] == 1.0 && a[..degree].iter().all(|&c| c == 0.0) {
            return self.power(p, degree);
        }
        let mut powers: Vec<Poly> = Vec::with_capacity(degree + 1);
        let mut current = Poly { terms: vec![(self.monos.unit(), self.slp.one())] };
        powers.push(current.clone());
        for _ in 1..=degree {
            current = self.mul(&current, p)?;
            powers.push(current.clone());
        }
        let mut terms = Vec::new();
        let mut regs = Vec::new();
        for (k, &c) in a.iter().enumerate() {
            if c != 0.0 {
                regs.push(self.slp.constant(c));
                terms.push(k);
            }
        }
        let pairs: Vec<(Reg, &Poly)> = terms.iter().zip(&regs).map(|(&k, &r)| (r, &powers[k])).collect();
        self.linear(&pairs, None)
    }

    /// p^2 with each cross term once: sum_i c_i^2 m_i^2 + sum_{i<j} (2 c_i) c_j m_i m_j,
    /// half the products of p * p (and of its derivative).
    pub fn square(&mut self, p: &Poly) -> Result<Poly> {
        let k = p.terms.len();
        self.check_size(k * (k + 1) / 2 + k)?;
        let two = self.slp.constant(2.0);
        let doubled: Vec<Reg> = p.terms.iter().map(|&(_, c)| self.slp.mul(two, c)).collect();
        let mut acc: BTreeMap<Mono, Vec<(Reg, Reg)>> = BTreeMap::new();
        for i in 0..k {
            let (mi, ci) = p.terms[i];
            let m = self.monos.product(mi, mi);
            acc.entry(m).or_default().push((ci, ci));
            for j in i + 1..k {
                let (mj, cj) = p.terms[j];
                let m = self.monos.product(mi, mj);
                acc.entry(m).or_default().push((doubled[i], cj));
            }
        }
        Ok(self.collect(acc))
    }

    /// p^r (r >= 0), squaring where the exponent allows.
    pub fn power(&mut self, p: &Poly, r: usize) -> Result<Poly> {
        match r {
            0 => Ok(Poly { terms: vec![(self.monos.unit(), self.slp.one())] }),
            1 => Ok(p.clone()),
            _ if r % 2 == 0 => {
                let half = self.power(p, r / 2)?;
                self.square(&half)
            }
            _ => {
                let rest = self.power(p, r - 1)?;
                self.mul(&rest, p)
            }
        }
    }
}

/// Number of monomials of total degree exactly `d` in `n` variables, as f64 (it may be huge).
pub fn count_monomials(n: usize, d: usize) -> f64 {
    // binom(n + d - 1, d)
    if n == 0 {
        return if d == 0 { 1.0 } else { 0.0 };
    }
    let mut c = 1.0f64;
    for i in 0..d {
        c = c * (n - 1 + d - i) as f64 / (i + 1) as f64;
    }
    c.round()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_of_a_linear_form() {
        // (a x + b y)^2 = a^2 x^2 + 2ab xy + b^2 y^2
        let mut pb = PolyBuilder::new(2, 2);
        let (x, y) = (pb.variable(0), pb.variable(1));
        let (a, b) = (pb.slp.input(0), pb.slp.input(1));
        let l = pb.linear(&[(a, &x), (b, &y)], None).unwrap();
        let sq = pb.power(&l, 2).unwrap();
        let monos = pb.monos.clone();
        let outs: Vec<Reg> = sq.terms.iter().map(|t| t.1).collect();
        let prog = pb.slp.finish(outs);
        let v = prog.eval(&[3.0, 5.0]);
        for (k, &(m, _)) in sq.terms.iter().enumerate() {
            let e = monos.exponents(m);
            let expect = match (e[0], e[1]) {
                (2, 0) => 9.0,
                (1, 1) => 30.0,
                (0, 2) => 25.0,
                _ => unreachable!(),
            };
            assert_eq!(v[k], expect);
        }
    }

    #[test]
    fn monomial_counts() {
        assert_eq!(count_monomials(3, 4), 15.0);
        assert_eq!(count_monomials(3, 2), 6.0);
        assert_eq!(count_monomials(1, 7), 1.0);
    }
}
