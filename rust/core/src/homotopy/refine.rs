//! Whether an end of a path is a solution: Newton's method must converge on it. A small
//! backward error alone can come from large cancelling terms at a point that solves nothing.

use super::linalg::solve_in_place;
use crate::scalar::Complex64;
use crate::system::System;

type C = Complex64;

/// Does Newton's method at `p` converge from x to a solution near x (steps shrinking to the
/// rounding level, or to a floor below 1e-6 for an ill-conditioned one)? An end that is no
/// solution (a path that passed for regular, with large cancelling terms) would otherwise join
/// the known solutions and every later loop, or be counted as a regular end. Steps and
/// distances are measured coordinate by coordinate, each relative to its own size: solutions
/// whose coordinates differ by orders of magnitude (a slice through badly scaled weights) are
/// otherwise judged by their largest coordinate alone, and a point wrong in its small ones passes.
pub fn converges_to_solution(sys: &System, x: &[C], p: &[C]) -> bool {
    let n = x.len();
    let mut y = x.to_vec();
    let mut last = f64::INFINITY;
    let near = |y: &[C], tol: f64| relative_distance(y, x) <= tol;
    for _ in 0..8 {
        let mut jac = sys.jacobian(&y, p);
        let mut dx: Vec<C> = sys.evaluate(&y, p).into_iter().map(|v| -v).collect();
        if !solve_in_place(&mut jac, &mut dx, n) {
            return false;
        }
        let step = relative_step(&dx, &y);
        if step <= 1e-10 || !(step < last) {
            // converged, or stalled: at its floor if that is small
            return step.min(last) <= 1e-6 && near(&y, 1e-6);
        }
        y.iter_mut().zip(&dx).for_each(|(a, b)| *a += b);
        last = step;
    }
    last <= 1e-6 && near(&y, 1e-6)
}

/// The largest |dx_j| / (1 + |y_j|): a Newton step in the coordinates scaled to the point.
fn relative_step(dx: &[C], y: &[C]) -> f64 {
    dx.iter().zip(y).map(|(d, a)| d.norm() / (1.0 + a.norm())).fold(0.0, f64::max)
}

/// The largest |y_j - x_j| / (1 + max(|y_j|, |x_j|)).
fn relative_distance(y: &[C], x: &[C]) -> f64 {
    y.iter().zip(x).map(|(a, b)| (a - b).norm() / (1.0 + a.norm().max(b.norm()))).fold(0.0, f64::max)
}

/// Does Newton's method at `p` stay within `reach` of x (coordinate by coordinate, relative
/// to each one's size) for a few steps? At a solution whose evaluation is dominated by rounding
/// (large cancelling terms), Newton's steps are noise of about that size in every direction; at
/// a point on its way to infinity they push it out by a fraction of its size.
pub fn stays_near(sys: &System, x: &[C], p: &[C], reach: f64) -> bool {
    let n = x.len();
    let mut y = x.to_vec();
    for _ in 0..4 {
        let mut jac = sys.jacobian(&y, p);
        let mut dx: Vec<C> = sys.evaluate(&y, p).into_iter().map(|v| -v).collect();
        if !solve_in_place(&mut jac, &mut dx, n) {
            return false;
        }
        y.iter_mut().zip(&dx).for_each(|(a, b)| *a += b);
        if !(relative_distance(&y, x) <= reach) {
            return false;
        }
    }
    true
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::system::Term;

    /// x^2 + y^2 = p_0, x y = p_1: four solutions at generic parameters.
    pub(crate) fn circle_hyperbola() -> System {
        let t = |c: f64, e: [u32; 4]| Term { coefficient: C::new(c, 0.0), exponents: e.to_vec() };
        System::new(
            2,
            2,
            vec![
                vec![t(1.0, [2, 0, 0, 0]), t(1.0, [0, 2, 0, 0]), t(-1.0, [0, 0, 1, 0])],
                vec![t(1.0, [1, 1, 0, 0]), t(-1.0, [0, 0, 0, 1])],
            ],
        )
        .unwrap()
    }

    #[test]
    fn newton_tells_a_solution_from_a_point_near_none() {
        let sys = circle_hyperbola();
        let p = [C::new(2.0, 1.0), C::new(0.5, -0.3)];
        // a solution: y = p_1 / x with x^4 - p_0 x^2 + p_1^2 = 0
        let (p0, p1) = (p[0], p[1]);
        let x2 = (p0 + (p0 * p0 - 4.0 * p1 * p1).sqrt()) / 2.0;
        let x = x2.sqrt();
        let root = [x, p1 / x];
        assert!(converges_to_solution(&sys, &root, &p));
        // a slightly inaccurate end still converges to it
        assert!(converges_to_solution(&sys, &[root[0] * (1.0 + 1e-9), root[1]], &p));
        // a point that is no solution is rejected, even if Newton would go somewhere from it
        assert!(!converges_to_solution(&sys, &[root[0] + 0.3, root[1] - 0.2], &p));
    }

    #[test]
    fn newton_judges_each_coordinate_by_its_own_size() {
        // x = p_0, x y = p_1 with p_0 = 1e4, p_1 = 1: the root (1e4, 1e-4)
        let t = |c: f64, e: [u32; 4]| Term { coefficient: C::new(c, 0.0), exponents: e.to_vec() };
        let sys = System::new(
            2,
            2,
            vec![vec![t(1.0, [1, 0, 0, 0]), t(-1.0, [0, 0, 1, 0])], vec![t(1.0, [1, 1, 0, 0]), t(-1.0, [0, 0, 0, 1])]],
        )
        .unwrap();
        let p = [C::new(1e4, 0.0), C::new(1.0, 0.0)];
        assert!(converges_to_solution(&sys, &[C::new(1e4, 0.0), C::new(1e-4, 0.0)], &p));
        // right in its large coordinate, wrong by 1e-3 in the small one: no solution, though
        // the error is far below 1e-6 of the point's size
        assert!(!converges_to_solution(&sys, &[C::new(1e4, 0.0), C::new(1.1e-3, 0.0)], &p));
    }

    #[test]
    fn newton_stays_near_a_solution_and_pushes_a_large_non_solution_out() {
        // x^2 + y^2 = p_0, x y = p_1 with p_1 = 1e-8: roots near (sqrt(p_0), 1e-8 / sqrt(p_0))
        let sys = circle_hyperbola();
        let p = [C::new(4.0, 0.0), C::new(1e-8, 0.0)];
        let x = ((p[0] + (p[0] * p[0] - 4.0 * p[1] * p[1]).sqrt()) / 2.0).sqrt();
        let root = [x, p[1] / x];
        assert!(stays_near(&sys, &root, &p, 1e-4));
        assert!(stays_near(&sys, &[root[0] * (1.0 + 1e-7), root[1]], &p, 1e-4));
        // a large point that solves nothing: Newton moves it by a fraction of its size
        let far = [C::new(1e3, 0.0), C::new(1e-11, 0.0)];
        assert!(!stays_near(&sys, &far, &p, 1e-4));
    }
}
