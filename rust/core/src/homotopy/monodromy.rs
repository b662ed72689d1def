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

fn is_new(known: &[Vec<C>], x: &[C]) -> bool {
    known.iter().all(|k| {
        let d: Vec<C> = k.iter().zip(x).map(|(a, b)| a - b).collect();
        norm(&d) > 1e-6 * (1.0 + norm(x))
    })
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
    let mut known = vec![x0];
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
        let mut current = known.clone();
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
            if is_new(&known, &x) && converges_to_solution(sys, &x, &p0) {
                known.push(x);
            }
        }
        quiet = if known.len() > before { 0 } else { quiet + 1 };
    }
    Ok(MonodromyResult { parameters: p0, solutions: known, loops })
}

#[cfg(test)]
mod tests {
    use super::super::refine::tests::circle_hyperbola;
    use super::*;

    #[test]
    fn monodromy_finds_every_solution_and_only_solutions() {
        let sys = circle_hyperbola();
        for seed in 0..5 {
            // (a loop permutes the solutions only if it winds around the branch locus: enough
            // loops without news)
            let opts = MonodromyOptions {
                solve: SolveOptions { seed, ..Default::default() },
                loops_without_new: 20,
                ..Default::default()
            };
            let res = monodromy_solve(&sys, &opts).unwrap();
            assert_eq!(res.solutions.len(), 4, "seed {seed}");
            for x in &res.solutions {
                assert!(norm(&sys.evaluate(x, &res.parameters)) < 1e-10);
            }
        }
    }
}
