//! Monodromy: all solutions of a parametrized system at generic complex parameters, found by
//! moving the parameters around random loops, which permutes the solutions.

use rand::RngExt;

use super::linalg::{norm, solve_in_place};
use super::refine::converges_to_solution;
use super::{track_parameters, PathStatus, SolveOptions};
use crate::error::{Error, Result};
use crate::random::rng_stream;
use crate::scalar::Complex64;
use crate::system::{System, Workspace};

type C = Complex64;

/// Settings of `monodromy_solve`.
#[derive(Clone, Debug)]
pub struct MonodromyOptions {
    pub solve: SolveOptions,
    /// Stop after this many consecutive loops that found nothing new.
    pub loops_without_new: usize,
    pub max_loops: usize,
    /// Stop as soon as this many solutions are known (e.g. a known generic root count).
    pub target_count: Option<usize>,
}

impl Default for MonodromyOptions {
    fn default() -> Self {
        MonodromyOptions { solve: SolveOptions::default(), loops_without_new: 5, max_loops: 500, target_count: None }
    }
}

/// The solutions at `parameters`, and the loops it took.
#[derive(Clone, Debug)]
pub struct MonodromyResult {
    pub parameters: Vec<C>,
    pub solutions: Vec<Vec<C>>,
    pub loops: usize,
}

fn random_complex(rng: &mut impl RngExt) -> C {
    // standard complex Gaussian, by Box-Muller
    let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random::<f64>());
    let r = (-u.ln()).sqrt();
    let a = 2.0 * std::f64::consts::PI * v;
    C::new(r * a.cos(), r * a.sin())
}

/// A start pair: random x0, then parameters p0 with F(x0; p0) = 0 by minimum-norm Newton steps
/// in the parameters (possible when the parameters can move every equation).
fn start_pair(sys: &System, rng: &mut impl RngExt) -> Result<(Vec<C>, Vec<C>)> {
    let (n, np) = (sys.n_vars(), sys.n_params());
    let x0: Vec<C> = (0..n).map(|_| random_complex(rng)).collect();
    let mut p: Vec<C> = (0..np).map(|_| random_complex(rng)).collect();
    let z: Vec<C> = std::iter::once(C::new(1.0, 0.0)).chain(x0.iter().copied()).collect();
    let mut ws = Workspace::default();
    let w = n + 1 + np;
    let mut f = vec![C::default(); n];
    let mut jac = vec![C::default(); n * w];
    for _ in 0..50 {
        sys.eval_homogeneous_with_params(&z, &p, &mut ws, &mut f, &mut jac);
        if norm(&f) < 1e-13 * (1.0 + norm(&p)) {
            return Ok((x0, p));
        }
        // dp = J_p^H (J_p J_p^H)^-1 f
        let jp = |i: usize, k: usize| jac[i * w + n + 1 + k];
        let mut g = vec![C::default(); n * n];
        for i in 0..n {
            for j in 0..n {
                g[i * n + j] = (0..np).map(|k| jp(i, k) * jp(j, k).conj()).sum();
            }
        }
        let mut y = f.clone();
        if !solve_in_place(&mut g, &mut y, n) {
            break;
        }
        for (k, pk) in p.iter_mut().enumerate() {
            let d: C = (0..n).map(|i| jp(i, k).conj() * y[i]).sum();
            *pk -= d;
        }
    }
    Err(Error::Unsupported(
        "cannot construct a start pair: the parameters do not move every equation; give start solutions".into(),
    ))
}

/// The known solutions, indexed by a random real projection for the search for duplicates: a
/// point within the tolerance of x has its projection within the tolerance of x's (the
/// projection has norm 1), so only a narrow window of the sorted projections is compared.
struct Known {
    solutions: Vec<Vec<C>>,
    direction: Vec<C>,
    sorted: Vec<(f64, usize)>,
}

impl Known {
    fn new(x0: Vec<C>, rng: &mut impl RngExt) -> Self {
        let mut direction: Vec<C> = x0.iter().map(|_| random_complex(rng)).collect();
        let scale = norm(&direction);
        direction.iter_mut().for_each(|z| *z /= scale);
        let mut known = Known { solutions: Vec::new(), direction, sorted: Vec::new() };
        known.push(x0);
        known
    }

    fn key(&self, x: &[C]) -> f64 {
        // Re <direction, x>, a real functional of norm 1 on C^n as R^2n
        self.direction.iter().zip(x).map(|(d, z)| d.re * z.re + d.im * z.im).sum()
    }

    fn len(&self) -> usize {
        self.solutions.len()
    }

    fn is_new(&self, x: &[C]) -> bool {
        let tol = 1e-6 * (1.0 + norm(x));
        let key = self.key(x);
        let from = self.sorted.partition_point(|&(k, _)| k < key - tol);
        self.sorted[from..].iter().take_while(|&&(k, _)| k <= key + tol).all(|&(_, i)| {
            let d: f64 = self.solutions[i].iter().zip(x).map(|(a, b)| (a - b).norm_sqr()).sum();
            d.sqrt() > tol
        })
    }

    fn push(&mut self, x: Vec<C>) {
        let key = self.key(&x);
        let at = self.sorted.partition_point(|&(k, _)| k < key);
        self.sorted.insert(at, (key, self.solutions.len()));
        self.solutions.push(x);
    }
}

/// All solutions at random complex parameters, by monodromy loops from a constructed start pair.
pub fn monodromy_solve(sys: &System, opts: &MonodromyOptions) -> Result<MonodromyResult> {
    if sys.n_params() == 0 {
        return Err(Error::Unsupported("monodromy needs a system with parameters".into()));
    }
    let mut rng = rng_stream(opts.solve.seed, 9);
    // a path that fails in one loop is dropped, not tracked again carefully (seconds in extended
    // precision): other loops reach its solution by other routes
    let solve = SolveOptions { retry_failed: false, ..opts.solve.clone() };
    let (x0, p0) = start_pair(sys, &mut rng)?;
    let mut known = Known::new(x0, &mut rng_stream(opts.solve.seed, 10));
    let mut quiet = 0;
    let mut loops = 0;
    while loops < opts.max_loops && quiet < opts.loops_without_new {
        if opts.target_count.is_some_and(|t| known.len() >= t) {
            break;
        }
        loops += 1;
        // a triangle p0 -> p1 -> p2 -> p0 through random complex parameters
        let p1: Vec<C> = p0.iter().map(|_| random_complex(&mut rng)).collect();
        let p2: Vec<C> = p0.iter().map(|_| random_complex(&mut rng)).collect();
        let mut current = known.solutions.clone();
        for (a, b) in [(&p0, &p1), (&p1, &p2), (&p2, &p0)] {
            let res = track_parameters(sys, &current, a, std::slice::from_ref(b), &solve)?;
            current =
                res[0].iter().filter(|r| r.status == PathStatus::Nonsingular).map(|r| r.solution.clone()).collect();
            if current.is_empty() {
                break;
            }
        }
        let before = known.len();
        for x in current {
            if known.is_new(&x) && converges_to_solution(sys, &x, &p0) {
                known.push(x);
            }
        }
        quiet = if known.len() > before { 0 } else { quiet + 1 };
    }
    Ok(MonodromyResult { parameters: p0, solutions: known.solutions, loops })
}

#[cfg(test)]
mod tests {
    use super::super::refine::tests::circle_hyperbola;
    use super::*;
    use crate::system::Term;

    /// Three dense cubics in three variables with every coefficient a parameter: Bezout's 27
    /// solutions at generic parameters.
    fn dense_cubics() -> System {
        let monomials: Vec<[u32; 3]> =
            (0..4).flat_map(|a| (0..4 - a).flat_map(move |b| (0..4 - a - b).map(move |c| [a, b, c]))).collect();
        let n_params = 3 * monomials.len();
        let equations = (0..3)
            .map(|i| {
                monomials
                    .iter()
                    .enumerate()
                    .map(|(j, m)| {
                        let mut exponents = vec![0; 3 + n_params];
                        exponents[..3].copy_from_slice(m);
                        exponents[3 + i * monomials.len() + j] = 1;
                        Term { coefficient: C::new(1.0, 0.0), exponents }
                    })
                    .collect()
            })
            .collect();
        System::new(3, n_params, equations).unwrap()
    }

    /// Monodromy from `seed` with `quiet` loops without news: `count` solutions, each a root
    /// (residual below `tol`, times 1 + |x| where `relative`).
    fn solved(
        sys: &System,
        seed: u64,
        quiet: usize,
        count: usize,
        tol: f64,
        relative: bool,
    ) -> (MonodromyOptions, MonodromyResult) {
        let opts = MonodromyOptions {
            solve: SolveOptions { seed, ..Default::default() },
            loops_without_new: quiet,
            ..Default::default()
        };
        let res = monodromy_solve(sys, &opts).unwrap();
        assert_eq!(res.solutions.len(), count, "seed {seed}");
        for x in &res.solutions {
            let scale = if relative { 1.0 + norm(x) } else { 1.0 };
            assert!(norm(&sys.evaluate(x, &res.parameters)) < tol * scale);
        }
        (opts, res)
    }

    #[test]
    fn loops_find_all_bezout_solutions() {
        let sys = dense_cubics();
        for seed in 0..3 {
            let (opts, res) = solved(&sys, seed, 3, 27, 1e-9, true);
            // the same at a known count, with no more loops than the search without it (the
            // same loops up to there)
            let counted = monodromy_solve(&sys, &MonodromyOptions { target_count: Some(27), ..opts.clone() }).unwrap();
            assert_eq!(counted.solutions.len(), 27);
            assert!(counted.loops <= res.loops);
        }
    }

    #[test]
    fn duplicates_are_found_within_the_tolerance_only() {
        let mut rng = rng_stream(1, 2);
        let points: Vec<Vec<C>> = (0..200).map(|_| (0..3).map(|_| random_complex(&mut rng)).collect()).collect();
        let mut known = Known::new(points[0].clone(), &mut rng);
        for x in &points[1..] {
            assert!(known.is_new(x));
            known.push(x.clone());
        }
        for x in &points {
            // moved by well under the tolerance 1e-6 (1 + |x|) in a random direction: known
            let nudged: Vec<C> = x.iter().map(|z| z + random_complex(&mut rng) * 1e-7).collect();
            assert!(!known.is_new(&nudged));
            // moved by more: new (the points are far apart from each other)
            let moved: Vec<C> = x.iter().map(|z| z + C::new(1e-4, 0.0)).collect();
            assert!(known.is_new(&moved));
        }
    }

    #[test]
    fn monodromy_finds_every_solution_and_only_solutions() {
        let sys = circle_hyperbola();
        for seed in 0..5 {
            // (a loop permutes the solutions only if it winds around the branch locus: enough
            // loops without news)
            solved(&sys, seed, 20, 4, 1e-10, false);
        }
    }
}
