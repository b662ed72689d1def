//! Homotopy continuation finds every solution: Bezout counts, known roots, infinity, multiplicity.

use neuromanifold::scalar::Complex64 as C;
use neuromanifold::*;
use rand::{RngExt, SeedableRng};

fn dense(n: usize, degree: usize, seed: u64) -> System {
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    let mut monos: Vec<Vec<u32>> = vec![vec![]];
    for _ in 0..n {
        monos =
            monos.into_iter().flat_map(|m| (0..=degree as u32).map(move |k| [m.clone(), vec![k]].concat())).collect();
    }
    monos.retain(|m| m.iter().sum::<u32>() as usize <= degree);
    let eqs = (0..n)
        .map(|_| {
            monos
                .iter()
                .map(|m| Term {
                    coefficient: C::new(rng.random::<f64>() - 0.5, rng.random::<f64>() - 0.5),
                    exponents: m.clone(),
                })
                .collect()
        })
        .collect();
    System::new(n, 0, eqs).unwrap()
}

fn count(r: &[PathResult], s: PathStatus) -> usize {
    r.iter().filter(|p| p.status == s).count()
}

#[test]
fn random_dense_systems_have_bezout_many_solutions() {
    for (n, d, bezout) in [(2, 2, 4), (3, 3, 27), (4, 2, 16)] {
        let sys = dense(n, d, 11 + n as u64);
        let res = solve(&sys, &[], &SolveOptions::default()).unwrap();
        assert_eq!(res.len(), bezout);
        assert_eq!(count(&res, PathStatus::Nonsingular), bezout, "{n} equations of degree {d}");
        for p in &res {
            assert!(p.residual < 1e-10, "residual {}", p.residual);
        }
        // distinct solutions
        for i in 0..res.len() {
            for j in 0..i {
                let d: f64 = res[i].solution.iter().zip(&res[j].solution).map(|(a, b)| (a - b).norm()).sum();
                assert!(d > 1e-6);
            }
        }
    }
}

#[test]
fn deficient_system_reports_solutions_at_infinity() {
    // x y - 1 = 0, x y + x - 3 = 0: one finite solution (2, 1/2), Bezout number 4
    let t = |c: f64, e: [u32; 2]| Term { coefficient: C::new(c, 0.0), exponents: e.to_vec() };
    let sys = System::new(
        2,
        0,
        vec![vec![t(1.0, [1, 1]), t(-1.0, [0, 0])], vec![t(1.0, [1, 1]), t(1.0, [1, 0]), t(-3.0, [0, 0])]],
    )
    .unwrap();
    let total = SolveOptions { start: Start::TotalDegree, ..Default::default() };
    // the multihomogeneous start system for the groups {x}, {y} has 2 paths, one to infinity
    for (opts, paths) in [(total, 4), (SolveOptions::default(), 2)] {
        let res = solve(&sys, &[], &opts).unwrap();
        assert_eq!(res.len(), paths);
        assert_eq!(count(&res, PathStatus::Nonsingular), 1);
        assert_eq!(count(&res, PathStatus::AtInfinity), paths - 1);
        let x = &res.iter().find(|p| p.status == PathStatus::Nonsingular).unwrap().solution;
        assert!((x[0] - C::new(2.0, 0.0)).norm() < 1e-10 && (x[1] - C::new(0.5, 0.0)).norm() < 1e-10);
    }
}

#[test]
fn multihomogeneous_start_systems_find_every_solution() {
    // bilinear systems in groups {x1, x2}, {y1, y2} of random coefficients: the 2-homogeneous
    // Bezout number (coefficient of a^2 b^2 in (a + b)^4) = 6 solutions, total degree 16
    let mut rng = rand_pcg::Pcg64::seed_from_u64(5);
    let mut eqs = Vec::new();
    for _ in 0..4 {
        let mut eq = Vec::new();
        for (i, j) in [(0, 2), (0, 3), (1, 2), (1, 3), (0, 4), (1, 4), (4, 2), (4, 3), (4, 4)] {
            // exponents of x1 x2 y1 y2, index 4 standing for the constant 1 in each group
            let mut e = vec![0u32; 4];
            if i < 4 {
                e[i] += 1;
            }
            if j < 4 {
                e[j] += 1;
            }
            eq.push(Term { coefficient: C::new(rng.random::<f64>() - 0.5, rng.random::<f64>() - 0.5), exponents: e });
        }
        eqs.push(eq);
    }
    let sys = System::new(4, 0, eqs).unwrap();
    let groups = Start::Multihomogeneous(vec![vec![0, 1], vec![2, 3]]);
    let by_groups = solve(&sys, &[], &SolveOptions { start: groups, ..Default::default() }).unwrap();
    let by_degree = solve(&sys, &[], &SolveOptions { start: Start::TotalDegree, ..Default::default() }).unwrap();
    assert_eq!(by_groups.len(), 6);
    assert_eq!(by_degree.len(), 16);
    assert_eq!(count(&by_groups, PathStatus::Nonsingular), 6);
    assert_eq!(count(&by_degree, PathStatus::Nonsingular), 6);
    for p in by_groups.iter() {
        let close = by_degree
            .iter()
            .filter(|q| q.status == PathStatus::Nonsingular)
            .any(|q| p.solution.iter().zip(&q.solution).map(|(a, b)| (a - b).norm()).fold(0.0, f64::max) < 1e-8);
        assert!(close, "a solution of the linear-product homotopy is missing from the total-degree one");
    }
}

#[test]
fn double_root_is_singular_with_multiplicity_two() {
    // (x - 1)^2 = 0, y - 2 = 0
    let t = |c: f64, e: [u32; 2]| Term { coefficient: C::new(c, 0.0), exponents: e.to_vec() };
    let sys = System::new(
        2,
        0,
        vec![vec![t(1.0, [2, 0]), t(-2.0, [1, 0]), t(1.0, [0, 0])], vec![t(1.0, [0, 1]), t(-2.0, [0, 0])]],
    )
    .unwrap();
    let res = solve(&sys, &[], &SolveOptions::default()).unwrap();
    assert_eq!(res.len(), 2);
    for p in &res {
        assert_eq!(p.status, PathStatus::Singular);
        assert_eq!(p.multiplicity, 2, "{:?}", res.iter().map(|q| q.solution.clone()).collect::<Vec<_>>());
        assert!((p.solution[0] - C::new(1.0, 0.0)).norm() < 1e-6, "{:?}", p.solution);
        assert!((p.solution[1] - C::new(2.0, 0.0)).norm() < 1e-6);
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let sys = dense(3, 2, 5);
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let a = one.install(|| solve(&sys, &[], &SolveOptions::default()).unwrap());
    let b = solve(&sys, &[], &SolveOptions::default()).unwrap();
    for (p, q) in a.iter().zip(&b) {
        assert_eq!(p.solution, q.solution);
    }
}

#[test]
fn roots_of_a_product_of_linear_factors() {
    // (x - 1)(x + 2)(x - 3) = 0 and a random linear change of coordinates in two variables:
    // f1 = (u - 1)(u + 2), f2 = v - 0.5 u with u = x + 2y, v = 3x - y
    // solutions: u in {1, -2}, v = u / 2
    let t = |c: f64, e: [u32; 2]| Term { coefficient: C::new(c, 0.0), exponents: e.to_vec() };
    // u^2 + u - 2 with u = x + 2y: x^2 + 4xy + 4y^2 + x + 2y - 2
    let f1 = vec![t(1.0, [2, 0]), t(4.0, [1, 1]), t(4.0, [0, 2]), t(1.0, [1, 0]), t(2.0, [0, 1]), t(-2.0, [0, 0])];
    // v - u/2 = 3x - y - x/2 - y = 2.5 x - 2 y
    let f2 = vec![t(2.5, [1, 0]), t(-2.0, [0, 1])];
    let sys = System::new(2, 0, vec![f1, f2]).unwrap();
    let res = solve(&sys, &[], &SolveOptions::default()).unwrap();
    let mut us: Vec<f64> = res
        .iter()
        .filter(|p| p.status == PathStatus::Nonsingular)
        .map(|p| (p.solution[0] + p.solution[1] * 2.0).re)
        .collect();
    us.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(us.len(), 2);
    assert!((us[0] + 2.0).abs() < 1e-10 && (us[1] - 1.0).abs() < 1e-10);
}

#[test]
fn ill_conditioned_roots_are_polished_to_full_accuracy() {
    // a cubic with roots 0.3, 0.3 + 1e-5 and -2: the two close roots have condition ~ 1e5, where
    // Newton with residuals in double stalls near 1e-16 * 1e5; double-double residuals reach
    // them to about the unit roundoff. The reference roots of the (rounded) cubic come from
    // Newton's method in double-double arithmetic.
    use neuromanifold::ddouble::DoubleDouble as Dd;
    let (a, b, c) = (0.3, 0.3 + 1e-5, -2.0);
    let coeffs = [-a * b * c, a * b + a * c + b * c, -(a + b + c), 1.0];
    let eq = coeffs.iter().enumerate().map(|(k, &v)| Term { coefficient: C::new(v, 0.0), exponents: vec![k as u32] });
    let sys = System::new(1, 0, vec![eq.collect()]).unwrap();
    let res = solve(&sys, &[], &SolveOptions::default()).unwrap();
    assert_eq!(count(&res, PathStatus::Nonsingular), 3);
    let exact = |x0: f64| {
        let mut x = Dd::new(x0);
        for _ in 0..8 {
            let (mut f, mut df) = (Dd::new(0.0), Dd::new(0.0));
            for &cf in coeffs.iter().rev() {
                df = df * x + f;
                f = f * x + Dd::new(cf);
            }
            // x -= f / df, with the quotient rounded to double (it is tiny near the root)
            x = x - Dd::new(f.to_f64() / df.to_f64());
        }
        x
    };
    for r in [a, b, c] {
        let x = exact(r);
        let found =
            res.iter().map(|p| p.solution[0]).min_by(|u, v| (u.re - r).abs().total_cmp(&(v.re - r).abs())).unwrap();
        let error = ((Dd::new(found.re) - x).to_f64().powi(2) + found.im.powi(2)).sqrt();
        assert!(error < 1e-14, "root {r}: error {error:e}");
    }
}

#[test]
fn parameter_homotopy_tells_a_double_root_from_two_close_roots() {
    // (x - 1)^2 - a = 0, y - 2 = 0: roots x = 1 +- sqrt(a), which meet at a = 0
    let t = |c: f64, e: [u32; 3]| Term { coefficient: C::new(c, 0.0), exponents: e.to_vec() };
    let sys = System::new(
        2,
        1,
        vec![
            vec![t(1.0, [2, 0, 0]), t(-2.0, [1, 0, 0]), t(1.0, [0, 0, 0]), t(-1.0, [0, 0, 1])],
            vec![t(1.0, [0, 1, 0]), t(-2.0, [0, 0, 0])],
        ],
    )
    .unwrap();
    let a0 = C::new(0.37, -0.81);
    let r = a0.sqrt();
    let starts = vec![vec![C::new(1.0, 0.0) + r, C::new(2.0, 0.0)], vec![C::new(1.0, 0.0) - r, C::new(2.0, 0.0)]];
    let targets: Vec<Vec<C>> = [0.0, 0.64, 1e-12, 1e-16].iter().map(|&a| vec![C::new(a, 0.0)]).collect();
    let res = track_parameters(&sys, &starts, &[a0], &targets, &SolveOptions::default()).unwrap();
    // a = 0 and a = 1e-16 (roots 1e-8 apart, one root in double precision): a double root
    for row in [&res[0], &res[3]] {
        for p in row {
            assert_eq!(p.status, PathStatus::Singular, "condition {}", p.condition);
            assert_eq!(p.multiplicity, 2);
            assert!((p.solution[0] - C::new(1.0, 0.0)).norm() < 1e-6, "{:?}", p.solution);
        }
    }
    // a = 0.64 and a = 1e-12: two regular roots 1 +- sqrt(a), however close
    for (row, sqrt_a) in [(&res[1], 0.8), (&res[2], 1e-6)] {
        assert!(row.iter().all(|p| p.status == PathStatus::Nonsingular));
        let mut xs: Vec<f64> = row.iter().map(|p| p.solution[0].re).collect();
        xs.sort_by(f64::total_cmp);
        assert!((xs[0] - (1.0 - sqrt_a)).abs() < 1e-12 && (xs[1] - (1.0 + sqrt_a)).abs() < 1e-12, "{xs:?}");
    }
}
