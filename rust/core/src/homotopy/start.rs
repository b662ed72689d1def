//! Start systems of the homotopy G(z) = 0 with known solutions, in projective coordinates
//! z = (z_0, ..., z_n).
//!
//! * Total degree: G_i = z_i^{d_i} - z_0^{d_i}, with prod d_i solutions.
//! * Linear products (multihomogeneous): the variables are split into groups, F_i has degree
//!   d_ij in group j, and G_i is a product of d_ij random linear forms in (z_0, group j) over
//!   all groups. Its solutions are the linear systems that take n_j forms from group j (n_j
//!   the size of the group): as many as the multihomogeneous Bezout number, the coefficient
//!   of prod a_j^{n_j} in prod_i (sum_j d_ij a_j), often far fewer than the total degree (the
//!   critical equations of a product A B have degree 1 in A and 2 in B, or the reverse).

use rand::RngExt;

use super::linalg::solve_in_place;
use crate::ddouble::ComplexDd;
use crate::error::{Error, Result};
use crate::scalar::Complex64;
use crate::system::System;

type C = Complex64;

/// Which start system `solve` uses.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Start {
    /// The multihomogeneous start system of the variable partition with the smallest
    /// multihomogeneous Bezout number (searched over all partitions of up to
    /// [`PARTITION_SEARCH_LIMIT`] variables), or the total degree when that is no larger.
    #[default]
    Auto,
    TotalDegree,
    /// Linear products for this partition of the variables (indices 0..n).
    Multihomogeneous(Vec<Vec<usize>>),
}

/// Largest number of variables whose partitions `Start::Auto` searches (Bell(8) = 4140).
pub const PARTITION_SEARCH_LIMIT: usize = 8;

/// Degree of each equation in each group of variables: `d[i][j]`.
pub fn multidegrees(sys: &System, groups: &[Vec<usize>]) -> Vec<Vec<usize>> {
    sys.equations()
        .iter()
        .map(|eq| {
            groups
                .iter()
                .map(|g| {
                    eq.iter().map(|t| g.iter().map(|&k| t.exponents[k] as usize).sum::<usize>()).max().unwrap_or(0)
                })
                .collect()
        })
        .collect()
}

/// The multihomogeneous Bezout number: the coefficient of prod a_j^{n_j} in
/// prod_i (sum_j d_ij a_j), by dynamic programming over the equations.
pub fn bezout_number(degrees: &[Vec<usize>], sizes: &[usize]) -> f64 {
    // state: how many equations each group has taken so far, as a mixed-radix index
    let radix: Vec<usize> = sizes.iter().map(|&s| s + 1).collect();
    let states: usize = radix.iter().product();
    let mut count = vec![0.0f64; states];
    count[0] = 1.0;
    for d in degrees {
        let mut next = vec![0.0f64; states];
        for (state, &c) in count.iter().enumerate() {
            if c == 0.0 {
                continue;
            }
            let (mut rest, mut stride) = (state, 1);
            for (j, &r) in radix.iter().enumerate() {
                let used = rest % r;
                rest /= r;
                if used < sizes[j] && d[j] > 0 {
                    next[state + stride] += c * d[j] as f64;
                }
                stride *= r;
            }
        }
        count = next;
    }
    count[states - 1]
}

/// An error unless `groups` is a partition of 0..n into nonempty groups.
pub fn check_partition(groups: &[Vec<usize>], n: usize) -> Result<()> {
    let mut seen = vec![false; n];
    for g in groups {
        if g.is_empty() {
            return Err(Error::Shape("a variable group is empty".into()));
        }
        for &k in g {
            if k >= n {
                return Err(Error::Shape(format!("variable {k} does not exist (the system has {n})")));
            }
            if std::mem::replace(&mut seen[k], true) {
                return Err(Error::Shape(format!("variable {k} is in two groups")));
            }
        }
    }
    if let Some(k) = seen.iter().position(|s| !s) {
        return Err(Error::Shape(format!("variable {k} is in no group")));
    }
    Ok(())
}

/// All partitions of 0..n into nonempty groups (restricted growth strings).
fn partitions(n: usize) -> Vec<Vec<Vec<usize>>> {
    let mut out = Vec::new();
    let mut labels = vec![0usize; n];
    fn rec(k: usize, max: usize, labels: &mut Vec<usize>, out: &mut Vec<Vec<Vec<usize>>>) {
        if k == labels.len() {
            let mut groups = vec![Vec::new(); max + 1];
            for (v, &l) in labels.iter().enumerate() {
                groups[l].push(v);
            }
            out.push(groups);
            return;
        }
        for l in 0..=max + 1 {
            labels[k] = l;
            rec(k + 1, max.max(l), labels, out);
        }
    }
    if n > 0 {
        labels[0] = 0;
        rec(1, 0, &mut labels, &mut out);
    }
    out
}

/// The partition of the variables with the smallest multihomogeneous Bezout number and that
/// number (the one-group partition, the total degree, when nothing is smaller).
pub fn best_partition(sys: &System) -> (Vec<Vec<usize>>, f64) {
    let n = sys.n_vars();
    let mut best = (vec![(0..n).collect::<Vec<_>>()], sys.bezout_number());
    if n > PARTITION_SEARCH_LIMIT {
        return best;
    }
    for groups in partitions(n) {
        let sizes: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        let count = bezout_number(&multidegrees(sys, &groups), &sizes);
        if count < best.1 {
            best = (groups, count);
        }
    }
    best
}

/// The start system as it is evaluated along the homotopy.
#[derive(Clone, Debug)]
pub(crate) enum StartSystem {
    TotalDegree,
    LinearProduct(LinearProduct),
}

#[derive(Clone, Debug)]
pub(crate) struct LinearProduct {
    /// The linear forms of equation i, as dense coefficient vectors over z (length n + 1).
    forms: Vec<Vec<Vec<C>>>,
    /// The forms' group: forms[i][k] belongs to group[i][k].
    group: Vec<Vec<usize>>,
    sizes: Vec<usize>,
    /// deg G_i - deg F_i: F_i^h is multiplied by z_0 to this power.
    extra: Vec<usize>,
}

impl StartSystem {
    /// The start system for `start` (with random forms from `rng`) and its number of paths.
    pub(crate) fn new(sys: &System, start: &Start, rng: &mut impl RngExt) -> Result<(StartSystem, f64)> {
        let n = sys.n_vars();
        let groups = match start {
            Start::TotalDegree => return Ok((StartSystem::TotalDegree, sys.bezout_number())),
            Start::Auto => {
                let (groups, count) = best_partition(sys);
                if groups.len() == 1 || count >= sys.bezout_number() {
                    return Ok((StartSystem::TotalDegree, sys.bezout_number()));
                }
                groups
            }
            Start::Multihomogeneous(groups) => {
                check_partition(groups, n)?;
                groups.clone()
            }
        };
        let d = multidegrees(sys, &groups);
        let sizes: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        let count = bezout_number(&d, &sizes);
        let mut forms = Vec::with_capacity(n);
        let mut group = Vec::with_capacity(n);
        let mut extra = Vec::with_capacity(n);
        for (i, di) in d.iter().enumerate() {
            let (mut fi, mut gi) = (Vec::new(), Vec::new());
            for (j, &dij) in di.iter().enumerate() {
                for _ in 0..dij {
                    let mut form = vec![C::default(); n + 1];
                    form[0] = random_complex(rng);
                    for &k in &groups[j] {
                        form[k + 1] = random_complex(rng);
                    }
                    fi.push(form);
                    gi.push(j);
                }
            }
            extra.push(fi.len() - sys.degrees()[i]);
            forms.push(fi);
            group.push(gi);
        }
        Ok((StartSystem::LinearProduct(LinearProduct { forms, group, sizes, extra }), count))
    }

    /// Power of z_0 that multiplies F_i^h so that it has the degree of G_i.
    pub(crate) fn extra_degree(&self, i: usize) -> usize {
        match self {
            StartSystem::TotalDegree => 0,
            StartSystem::LinearProduct(lp) => lp.extra[i],
        }
    }

    /// G_i(z) and its gradient (into `grad`, length n + 1).
    pub(crate) fn eval(&self, i: usize, degree: usize, z: &[C], grad: &mut [C]) -> C {
        grad.iter_mut().for_each(|g| *g = C::default());
        match self {
            StartSystem::TotalDegree => {
                let d = degree as i32;
                let dd = C::new(degree as f64, 0.0);
                grad[i + 1] = dd * z[i + 1].powi(d - 1);
                grad[0] = -dd * z[0].powi(d - 1);
                z[i + 1].powi(d) - z[0].powi(d)
            }
            StartSystem::LinearProduct(lp) => {
                let forms = &lp.forms[i];
                let values: Vec<C> = forms.iter().map(|f| f.iter().zip(z).map(|(a, b)| a * b).sum()).collect();
                // d/dz prod_k v_k = sum_k (prod_{l != k} v_l) grad v_k, without division
                let mut prefix = C::new(1.0, 0.0);
                let mut suffix = vec![C::new(1.0, 0.0); values.len() + 1];
                for k in (0..values.len()).rev() {
                    suffix[k] = suffix[k + 1] * values[k];
                }
                for (k, f) in forms.iter().enumerate() {
                    let others = prefix * suffix[k + 1];
                    for (g, a) in grad.iter_mut().zip(f) {
                        *g += others * a;
                    }
                    prefix *= values[k];
                }
                suffix[0]
            }
        }
    }

    /// G_i(z) in double-double precision.
    pub(crate) fn eval_extended(&self, i: usize, degree: usize, z: &[C]) -> ComplexDd {
        let one = ComplexDd::new(C::new(1.0, 0.0));
        match self {
            StartSystem::TotalDegree => {
                let power = |x: C| (0..degree).fold(one, |acc, _| acc * ComplexDd::new(x));
                power(z[i + 1]) - power(z[0])
            }
            StartSystem::LinearProduct(lp) => lp.forms[i].iter().fold(one, |acc, f| {
                let v =
                    f.iter().zip(z).fold(ComplexDd::default(), |s, (a, b)| s + ComplexDd::new(*a) * ComplexDd::new(*b));
                acc * v
            }),
        }
    }

    /// The start solutions on the patch a . z = 1 (those of a singular linear system, which
    /// random forms make improbable, come back as None).
    pub(crate) fn solutions(&self, degrees: &[usize], patch: &[C]) -> Vec<Option<Vec<C>>> {
        match self {
            StartSystem::TotalDegree => {
                let total: f64 = degrees.iter().map(|&d| d as f64).product();
                (0..total as u64).map(|k| Some(total_degree_point(degrees, k, patch))).collect()
            }
            StartSystem::LinearProduct(lp) => {
                let mut out = Vec::new();
                let mut used = vec![0usize; lp.sizes.len()];
                let mut choice = Vec::with_capacity(lp.forms.len());
                lp.enumerate(0, &mut used, &mut choice, patch, &mut out);
                out
            }
        }
    }
}

impl LinearProduct {
    /// Every choice of one form per equation that takes n_j forms from each group j.
    fn enumerate(
        &self,
        i: usize,
        used: &mut [usize],
        choice: &mut Vec<usize>,
        patch: &[C],
        out: &mut Vec<Option<Vec<C>>>,
    ) {
        let n = self.forms.len();
        if i == n {
            let m = n + 1;
            let mut a = vec![C::default(); m * m];
            for (r, (&k, forms)) in choice.iter().zip(&self.forms).enumerate() {
                a[r * m..(r + 1) * m].copy_from_slice(&forms[k]);
            }
            a[n * m..].copy_from_slice(patch);
            let mut b = vec![C::default(); m];
            b[n] = C::new(1.0, 0.0);
            out.push(solve_in_place(&mut a, &mut b, m).then_some(b));
            return;
        }
        for (k, &j) in self.group[i].iter().enumerate() {
            if used[j] < self.sizes[j] {
                used[j] += 1;
                choice.push(k);
                self.enumerate(i + 1, used, choice, patch, out);
                choice.pop();
                used[j] -= 1;
            }
        }
    }
}

fn random_complex(rng: &mut impl RngExt) -> C {
    let a: f64 = rng.random::<f64>() * 2.0 * std::f64::consts::PI;
    let r: f64 = 0.5 + rng.random::<f64>();
    C::new(r * a.cos(), r * a.sin())
}

/// Start solution number `index` of z_i^{d_i} = z_0^{d_i} on the patch: z_0 = 1 and
/// z_i a root of unity, then scaled onto the patch.
pub(crate) fn total_degree_point(degrees: &[usize], index: u64, patch: &[C]) -> Vec<C> {
    let mut z = vec![C::new(1.0, 0.0)];
    let mut k = index;
    for &d in degrees {
        let j = k % d as u64;
        k /= d as u64;
        let a = 2.0 * std::f64::consts::PI * j as f64 / d as f64;
        z.push(C::new(a.cos(), a.sin()));
    }
    let s: C = patch.iter().zip(&z).map(|(a, b)| a * b).sum();
    z.iter().map(|v| v / s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::Term;

    fn term(e: &[u32]) -> Term {
        Term { coefficient: C::new(1.0, 0.0), exponents: e.to_vec() }
    }

    #[test]
    fn bezout_numbers_of_known_structures() {
        // degrees (1, 2) and (2, 1) in groups of sizes 2 and 3: the critical equations of a
        // rank-one matrix u v^T, coefficient of a^2 b^3 in (a + 2b)^2 (2a + b)^3 = 73
        let d = vec![vec![1, 2], vec![1, 2], vec![2, 1], vec![2, 1], vec![2, 1]];
        assert_eq!(bezout_number(&d, &[2, 3]), 73.0);
        // one group: the total degree
        assert_eq!(bezout_number(&[vec![2], vec![3]], &[2]), 6.0);
        // bilinear equations in two groups of one variable: 2
        assert_eq!(bezout_number(&[vec![1, 1], vec![1, 1]], &[1, 1]), 2.0);
    }

    #[test]
    fn partitions_are_counted_by_bell_numbers() {
        let bell = [1, 1, 2, 5, 15, 52, 203];
        for (n, &b) in bell.iter().enumerate().skip(1) {
            assert_eq!(partitions(n).len(), b);
        }
    }

    #[test]
    fn the_best_partition_of_a_bilinear_system_separates_the_variables() {
        // x y - 1, x y + x - 3: total degree 4, groups {x}, {y}: 2
        let sys = System::new(
            2,
            0,
            vec![vec![term(&[1, 1]), term(&[0, 0])], vec![term(&[1, 1]), term(&[1, 0]), term(&[0, 0])]],
        )
        .unwrap();
        let (groups, count) = best_partition(&sys);
        assert_eq!(count, 2.0);
        assert_eq!(groups.len(), 2);
    }

    #[test]
    fn linear_product_start_solutions_solve_the_start_system() {
        let sys =
            System::new(2, 0, vec![vec![term(&[1, 1]), term(&[0, 0])], vec![term(&[1, 2]), term(&[0, 0])]]).unwrap();
        let mut rng = crate::random::rng_stream(3, 0);
        let groups = vec![vec![0], vec![1]];
        let (start, count) = StartSystem::new(&sys, &Start::Multihomogeneous(groups), &mut rng).unwrap();
        // degrees (1, 1) and (1, 2): coefficient of a b in (a + b)(a + 2b) = 3
        assert_eq!(count, 3.0);
        let patch = vec![C::new(0.3, 0.1), C::new(-0.2, 0.7), C::new(0.5, -0.4)];
        let sols = start.solutions(sys.degrees(), &patch);
        assert_eq!(sols.len(), 3);
        let mut grad = vec![C::default(); 3];
        for z in sols.into_iter().map(Option::unwrap) {
            for i in 0..2 {
                assert!(start.eval(i, sys.degrees()[i], &z, &mut grad).norm() < 1e-12);
            }
            let p: C = patch.iter().zip(&z).map(|(a, b)| a * b).sum();
            assert!((p - C::new(1.0, 0.0)).norm() < 1e-12);
        }
    }
}
