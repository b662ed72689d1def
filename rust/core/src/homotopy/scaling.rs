//! Coefficient scaling of a system before a start-system homotopy: x = s * y (per variable)
//! and equation i multiplied by r_i, with s and r chosen so that the coefficients of the
//! scaled system are as close to 1 in size as possible (least squares on log |c|).
//!
//! Why: a system whose solutions have coordinates of very different sizes (one unknown
//! around 100, the others around 0.3) has its finite solutions close to the hyperplane at
//! infinity in the projective patch of the homotopy, among the paths that go there. Paths to
//! them then end at infinity instead; in the scaled unknowns the solutions have similar sizes.

use std::collections::HashMap;

use faer::linalg::solvers::Solve;
use faer::Mat;

use crate::error::Result;
use crate::scalar::Complex64;
use crate::system::{System, Term};

type C = Complex64;

/// Scalings whose factors all lie within this ratio of 1 change nothing worth a new system.
const NEGLIGIBLE: f64 = 4.0;

/// Terms smaller than this times the largest of their equation do not enter the fit.
const NOISE: f64 = 1e-10;

/// The unknowns' factors stay within 1e-8 and 1e8.
const LARGEST_LOG: f64 = 18.420680743952367;

/// x = variables * y, equation i times equations[i].
#[derive(Clone, Debug, PartialEq)]
pub struct Scaling {
    pub variables: Vec<f64>,
    pub equations: Vec<f64>,
}

/// The monomials of each equation (exponents of the variables) with their coefficients at
/// the parameters p: terms with the same monomial combined.
fn instance_terms(sys: &System, p: &[C]) -> Vec<Vec<(Vec<u32>, C)>> {
    let n = sys.n_vars();
    sys.equations()
        .iter()
        .map(|eq| {
            let mut index: HashMap<&[u32], usize> = HashMap::new();
            let mut terms: Vec<(Vec<u32>, C)> = Vec::new();
            for t in eq {
                let value = t.exponents[n..].iter().zip(p).fold(t.coefficient, |acc, (&k, v)| acc * v.powu(k));
                let monomial = &t.exponents[..n];
                match index.get(monomial) {
                    Some(&k) => terms[k].1 += value,
                    None => {
                        index.insert(monomial, terms.len());
                        terms.push((monomial.to_vec(), value));
                    }
                }
            }
            terms
        })
        .collect()
}

impl Scaling {
    /// The scaling that minimizes sum (log|c| + log r_i + a . log s)^2 over the nonzero terms
    /// c x^a of equation i at parameters p, with a small ridge: directions that leave every
    /// term's size unchanged (a homogeneous equation's degree against its variables) stay at 1.
    pub fn of(sys: &System, p: &[C]) -> Scaling {
        let n = sys.n_vars();
        let m = 2 * n;
        let mut normal = Mat::<f64>::zeros(m, m);
        let mut rhs = Mat::<f64>::zeros(m, 1);
        let mut rows = 0usize;
        let mut row = vec![0.0; m];
        for (i, eq) in instance_terms(sys, p).iter().enumerate() {
            // terms far below the equation's largest are rounding noise (or nearly cancelled):
            // their sizes say nothing about the scales of the unknowns
            let largest = eq.iter().map(|(_, c)| c.norm()).fold(0.0, f64::max);
            for (a, c) in eq {
                let size = c.norm();
                if !(size > NOISE * largest && size.is_finite()) {
                    continue;
                }
                row.iter_mut().for_each(|v| *v = 0.0);
                for (k, &e) in a.iter().enumerate() {
                    row[k] = e as f64;
                }
                row[n + i] = 1.0;
                for j in 0..m {
                    if row[j] == 0.0 {
                        continue;
                    }
                    for l in 0..m {
                        normal[(j, l)] += row[j] * row[l];
                    }
                    rhs[(j, 0)] -= row[j] * size.ln();
                }
                rows += 1;
            }
        }
        let ridge = 1e-6 * (0..m).map(|j| normal[(j, j)]).fold(1.0, f64::max);
        for j in 0..m {
            normal[(j, j)] += ridge;
        }
        let identity = Scaling { variables: vec![1.0; n], equations: vec![1.0; n] };
        if rows == 0 {
            return identity;
        }
        let u = normal.partial_piv_lu().solve(&rhs);
        let logs: Vec<f64> = (0..m).map(|j| u[(j, 0)]).collect();
        if logs.iter().any(|v| !v.is_finite()) {
            return identity;
        }
        // (factors beyond 1e8 would trade one imbalance for another in double precision)
        let factor = |v: &f64| v.clamp(-LARGEST_LOG, LARGEST_LOG).exp();
        Scaling {
            variables: logs[..n].iter().map(factor).collect(),
            equations: logs[n..].iter().map(|v| v.exp()).collect(),
        }
    }

    /// Are the variables' factors all within a factor [`NEGLIGIBLE`] of 1? (The equations'
    /// factors alone do not move the solutions.)
    pub fn is_negligible(&self) -> bool {
        self.variables.iter().all(|&s| (1.0 / NEGLIGIBLE..=NEGLIGIBLE).contains(&s))
    }

    /// The system in the scaled unknowns y at parameters p: r_i F_i(s * y; p), with no
    /// parameters.
    pub fn apply(&self, sys: &System, p: &[C]) -> Result<System> {
        let equations = instance_terms(sys, p)
            .into_iter()
            .zip(&self.equations)
            .map(|(eq, &r)| {
                eq.into_iter()
                    .map(|(a, c)| {
                        let factor = a.iter().zip(&self.variables).fold(r, |acc, (&k, &s)| acc * s.powi(k as i32));
                        Term { coefficient: c * factor, exponents: a }
                    })
                    .collect()
            })
            .collect();
        System::new(sys.n_vars(), 0, equations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(c: f64, exponents: &[u32]) -> Term {
        Term { coefficient: C::new(c, 0.0), exponents: exponents.to_vec() }
    }

    #[test]
    fn scaling_recovers_the_sizes_of_the_unknowns() {
        // (x - 100)(x + 200) = 0 and y^2 = 1e-2 y + 2e-4, after x = 100 u, y = 0.01 v, become
        // equations with coefficients of size 1: the scaling finds factors of those sizes
        let sys = System::new(
            2,
            0,
            vec![
                vec![term(1.0, &[2, 0]), term(100.0, &[1, 0]), term(-2e4, &[0, 0])],
                vec![term(1.0, &[0, 2]), term(-1e-2, &[0, 1]), term(-2e-4, &[0, 0])],
            ],
        )
        .unwrap();
        let s = Scaling::of(&sys, &[]);
        assert!(!s.is_negligible());
        assert!((s.variables[0] / 100.0).ln().abs() < 0.5, "{s:?}");
        assert!((s.variables[1] / 0.01).ln().abs() < 0.5, "{s:?}");
        let scaled = s.apply(&sys, &[]).unwrap();
        // the scaled system vanishes at y = x / s
        for x in [[100.0, 0.02], [-200.0, -0.01]] {
            let y: Vec<C> = x.iter().zip(&s.variables).map(|(v, s)| C::new(v / s, 0.0)).collect();
            let f = scaled.evaluate(&y, &[]);
            assert!(f.iter().all(|v| v.norm() < 1e-10), "{f:?}");
        }
    }

    #[test]
    fn a_well_scaled_system_is_left_alone() {
        let sys = System::new(
            2,
            1,
            vec![
                vec![term(1.0, &[2, 0, 0]), term(-2.0, &[0, 1, 1]), term(0.5, &[0, 0, 0])],
                vec![term(1.5, &[1, 1, 0]), term(-1.0, &[0, 0, 1])],
            ],
        )
        .unwrap();
        assert!(Scaling::of(&sys, &[C::new(0.7, -0.3)]).is_negligible());
        // terms at the level of rounding noise (or subnormal) do not move the scales
        let noisy = System::new(
            2,
            1,
            vec![
                vec![term(1.0, &[2, 0, 0]), term(-2.0, &[0, 1, 1]), term(0.5, &[0, 0, 0]), term(8e-19, &[1, 1, 0])],
                vec![term(1.5, &[1, 1, 0]), term(-1.0, &[0, 0, 1]), term(2.2e-311, &[0, 2, 0])],
            ],
        )
        .unwrap();
        assert!(Scaling::of(&noisy, &[C::new(0.7, -0.3)]).is_negligible());
    }
}
