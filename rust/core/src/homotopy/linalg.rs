//! Small dense complex linear algebra for path tracking (no allocation in the hot loop).

use crate::scalar::{Complex64, ComplexLanes, Scalar};

/// Solve A x = b in place (A row-major n x n, destroyed). Returns false if A is
/// numerically singular.
pub fn solve_in_place(a: &mut [Complex64], b: &mut [Complex64], n: usize) -> bool {
    let mut piv = Vec::with_capacity(n);
    lu_factor(a, &mut piv, n) && lu_solve(a, &piv, b, n)
}

/// LU factorization with partial pivoting in place (A row-major n x n): `piv[k]` is the row
/// swapped with row k at step k; the multipliers are stored below the diagonal, U above it
/// and the reciprocals of the pivots on it (so that solving divides by nothing). Returns
/// false if A is numerically singular.
pub fn lu_factor(a: &mut [Complex64], piv: &mut Vec<usize>, n: usize) -> bool {
    // small sizes compiled with the size known, so that the loops unroll (path tracking
    // factors thousands of small matrices per second)
    match n {
        2 => lu_factor_sized::<2>(a, piv),
        3 => lu_factor_sized::<3>(a, piv),
        4 => lu_factor_sized::<4>(a, piv),
        5 => lu_factor_sized::<5>(a, piv),
        6 => lu_factor_sized::<6>(a, piv),
        7 => lu_factor_sized::<7>(a, piv),
        8 => lu_factor_sized::<8>(a, piv),
        _ => lu_factor_any(a, piv, n),
    }
}

fn lu_factor_sized<const N: usize>(a: &mut [Complex64], piv: &mut Vec<usize>) -> bool {
    lu_factor_any(a, piv, N)
}

#[inline(always)]
fn lu_factor_any(a: &mut [Complex64], piv: &mut Vec<usize>, n: usize) -> bool {
    piv.clear();
    let a = &mut a[..n * n];
    for col in 0..n {
        let mut p = col;
        let mut best = a[col * n + col].norm_sqr();
        for r in col + 1..n {
            let v = a[r * n + col].norm_sqr();
            if v > best {
                best = v;
                p = r;
            }
        }
        piv.push(p);
        if best == 0.0 || !best.is_finite() {
            return false;
        }
        if p != col {
            let (top, bottom) = a.split_at_mut(p * n);
            top[col * n..col * n + n].swap_with_slice(&mut bottom[..n]);
        }
        let (upper, lower) = a.split_at_mut((col + 1) * n);
        let pivot_row = &mut upper[col * n + col..col * n + n];
        let inv = Complex64::new(1.0, 0.0) / pivot_row[0];
        pivot_row[0] = inv;
        let pivot_row = &upper[col * n + col..col * n + n];
        for row in lower.chunks_exact_mut(n) {
            let f = row[col] * inv;
            row[col] = f;
            // (Jacobians of sparse systems have many zeros)
            if f == Complex64::new(0.0, 0.0) {
                continue;
            }
            for (x, &v) in row[col + 1..].iter_mut().zip(&pivot_row[1..]) {
                *x -= f * v;
            }
        }
    }
    true
}

/// Largest size factored in lanes (larger ones: one lane after another).
const LANE_LU_MAX: usize = 8;

/// [`lu_factor`] of up to `W` matrices at once (`mats[l]` row-major n x n, None for an idle
/// lane), their entries interleaved so that the elimination runs on all lanes in one vector
/// operation: the tracker factors a Jacobian per path and step. Each lane pivots on its own
/// and rounds exactly as `lu_factor` does, so a path's factors do not depend on its lane.
/// Returns `lu_factor`'s result per lane (false for idle lanes).
pub fn lu_factor_lanes<const W: usize>(
    mats: &mut [Option<&mut [Complex64]>; W],
    pivs: &mut [Option<&mut Vec<usize>>; W],
    n: usize,
) -> [bool; W] {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor supports the features the function was compiled for.
        return unsafe { lu_factor_lanes_avx2(mats, pivs, n) };
    }
    lu_factor_lanes_any(mats, pivs, n)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn lu_factor_lanes_avx2<const W: usize>(
    mats: &mut [Option<&mut [Complex64]>; W],
    pivs: &mut [Option<&mut Vec<usize>>; W],
    n: usize,
) -> [bool; W] {
    lu_factor_lanes_any(mats, pivs, n)
}

#[inline(always)]
fn lu_factor_lanes_any<const W: usize>(
    mats: &mut [Option<&mut [Complex64]>; W],
    pivs: &mut [Option<&mut Vec<usize>>; W],
    n: usize,
) -> [bool; W] {
    if n > LANE_LU_MAX {
        return std::array::from_fn(|l| match (mats[l].as_mut(), pivs[l].as_mut()) {
            (Some(m), Some(p)) => lu_factor(m, p, n),
            _ => false,
        });
    }
    let zero = Complex64::new(0.0, 0.0);
    let mut store = [ComplexLanes::<W>::zero(); LANE_LU_MAX * LANE_LU_MAX];
    let a = &mut store[..n * n];
    let mut live = [false; W];
    for (l, m) in mats.iter().enumerate() {
        if let Some(m) = m {
            live[l] = true;
            for (x, &v) in a.iter_mut().zip(m.iter()) {
                x.set_lane(l, v);
            }
        }
    }
    for p in pivs.iter_mut().flatten() {
        p.clear();
    }
    let mut ok = live;
    for col in 0..n {
        let mut inv = ComplexLanes::<W>::zero();
        for l in 0..W {
            if !ok[l] {
                continue;
            }
            let mut p = col;
            let mut best = a[col * n + col].lane(l).norm_sqr();
            for r in col + 1..n {
                let v = a[r * n + col].lane(l).norm_sqr();
                if v > best {
                    best = v;
                    p = r;
                }
            }
            if let Some(piv) = pivs[l].as_mut() {
                piv.push(p);
            }
            if best == 0.0 || !best.is_finite() {
                ok[l] = false;
                continue;
            }
            if p != col {
                for j in 0..n {
                    let (x, y) = (a[col * n + j].lane(l), a[p * n + j].lane(l));
                    a[col * n + j].set_lane(l, y);
                    a[p * n + j].set_lane(l, x);
                }
            }
            let i = Complex64::new(1.0, 0.0) / a[col * n + col].lane(l);
            inv.set_lane(l, i);
            a[col * n + col].set_lane(l, i);
        }
        for r in col + 1..n {
            let f = a[r * n + col] * inv;
            a[r * n + col] = f;
            // lanes whose multiplier is zero keep their row as it is, as in `lu_factor`
            let skip: [bool; W] = std::array::from_fn(|l| !ok[l] || f.lane(l) == zero);
            if skip.iter().any(|&k| k) {
                for j in col + 1..n {
                    let updated = a[r * n + j] - f * a[col * n + j];
                    a[r * n + j] = ComplexLanes::select(skip, a[r * n + j], updated);
                }
            } else {
                for j in col + 1..n {
                    a[r * n + j] = a[r * n + j] - f * a[col * n + j];
                }
            }
        }
    }
    for (l, m) in mats.iter_mut().enumerate() {
        if let Some(m) = m {
            for (x, v) in m.iter_mut().zip(a.iter()) {
                *x = v.lane(l);
            }
        }
    }
    ok
}

/// Solve A x = b in place with the factors of [`lu_factor`].
pub fn lu_solve(lu: &[Complex64], piv: &[usize], b: &mut [Complex64], n: usize) -> bool {
    match n {
        2 => lu_solve_sized::<2>(lu, piv, b),
        3 => lu_solve_sized::<3>(lu, piv, b),
        4 => lu_solve_sized::<4>(lu, piv, b),
        5 => lu_solve_sized::<5>(lu, piv, b),
        6 => lu_solve_sized::<6>(lu, piv, b),
        7 => lu_solve_sized::<7>(lu, piv, b),
        8 => lu_solve_sized::<8>(lu, piv, b),
        _ => lu_solve_any(lu, piv, b, n),
    }
}

fn lu_solve_sized<const N: usize>(lu: &[Complex64], piv: &[usize], b: &mut [Complex64]) -> bool {
    lu_solve_any(lu, piv, b, N)
}

#[inline(always)]
fn lu_solve_any(lu: &[Complex64], piv: &[usize], b: &mut [Complex64], n: usize) -> bool {
    let (lu, b) = (&lu[..n * n], &mut b[..n]);
    // the factorization swapped whole rows, so the multipliers are in the final row order
    for (k, &p) in piv.iter().enumerate().take(n) {
        if p != k {
            b.swap(p, k);
        }
    }
    for r in 1..n {
        let mut acc = b[r];
        for (l, x) in lu[r * n..r * n + r].iter().zip(&b[..r]) {
            acc -= l * x;
        }
        b[r] = acc;
    }
    for col in (0..n).rev() {
        let row = &lu[col * n..col * n + n];
        let mut acc = b[col];
        for (u, x) in row[col + 1..].iter().zip(&b[col + 1..]) {
            acc -= u * x;
        }
        b[col] = acc * row[col];
    }
    b.iter().all(|z| z.re.is_finite() && z.im.is_finite())
}

/// Largest over smallest modulus of the pivots of an LU factorization from [`lu_factor`]
/// (whose diagonal holds their reciprocals): a cheap estimate of the condition number (a lower
/// bound on that of U).
pub fn pivot_ratio(lu: &[Complex64], n: usize) -> f64 {
    let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
    for i in 0..n {
        let d = lu[i * n + i].norm_sqr();
        lo = lo.min(d);
        hi = hi.max(d);
    }
    (hi / lo).sqrt()
}

pub fn norm(v: &[Complex64]) -> f64 {
    v.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt()
}

/// Singular values (descending) of a complex row-major matrix.
pub fn singular_values(a: &[Complex64], rows: usize, cols: usize) -> Vec<f64> {
    if rows == 0 || cols == 0 {
        return vec![];
    }
    let m = faer::Mat::<faer::c64>::from_fn(rows, cols, |i, j| {
        let z = a[i * cols + j];
        faer::c64::new(z.re, z.im)
    });
    m.singular_values().unwrap_or_default()
}

/// The condition number ||A||_1 ||A^-1||_1 of a square matrix (infinite if it is singular),
/// with the inverse from one LU factorization: cheap for the small Jacobians at the ends of
/// paths, and within a factor n of the 2-norm condition number.
pub fn condition_number(a: Vec<Complex64>, n: usize) -> f64 {
    let column_sums =
        |m: &[Complex64]| (0..n).map(|j| (0..n).map(|i| m[i * n + j].norm()).sum::<f64>()).fold(0.0, f64::max);
    let norm_a = column_sums(&a);
    let (mut lu, mut piv) = (a, Vec::with_capacity(n));
    if !lu_factor(&mut lu, &mut piv, n) {
        return f64::INFINITY;
    }
    let mut inverse_norm = 0.0f64;
    let mut e = vec![Complex64::new(0.0, 0.0); n];
    for j in 0..n {
        e.iter_mut().enumerate().for_each(|(i, x)| *x = Complex64::new(if i == j { 1.0 } else { 0.0 }, 0.0));
        if !lu_solve(&lu, &piv, &mut e, n) {
            return f64::INFINITY;
        }
        inverse_norm = inverse_norm.max(e.iter().map(|z| z.norm()).sum());
    }
    let c = norm_a * inverse_norm;
    if c.is_finite() {
        c
    } else {
        f64::INFINITY
    }
}

/// Condition number (largest over smallest singular value) of a square matrix after its rows
/// and columns are scaled to balance (Ruiz's iteration: divide each by the square root of its
/// largest modulus until all are near 1): close to the smallest condition number over all such
/// scalings, so it measures how near the matrix is to a singular one, not how badly its
/// unknowns or equations are scaled. A zero row or column stays zero (infinite condition).
pub fn equilibrated_condition(mut a: Vec<Complex64>, n: usize) -> f64 {
    // largest squared moduli of the rows and columns
    let (mut rows, mut cols) = (vec![0.0f64; n], vec![0.0f64; n]);
    for _ in 0..30 {
        rows.iter_mut().chain(cols.iter_mut()).for_each(|x| *x = 0.0);
        for (i, row) in a.chunks_exact(n).enumerate() {
            for (j, z) in row.iter().enumerate() {
                let m = z.norm_sqr();
                rows[i] = rows[i].max(m);
                cols[j] = cols[j].max(m);
            }
        }
        if rows.iter().chain(&cols).all(|&x| x == 0.0 || (0.25..=4.0).contains(&x)) {
            break;
        }
        for (i, row) in a.chunks_exact_mut(n).enumerate() {
            for (j, z) in row.iter_mut().enumerate() {
                let s = (rows[i] * cols[j]).sqrt().sqrt();
                if s > 0.0 {
                    *z /= s;
                }
            }
        }
    }
    let s = singular_values(&a, n, n);
    match (s.first(), s.last()) {
        (Some(&hi), Some(&lo)) if lo > 0.0 => hi / lo,
        _ => f64::INFINITY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lu_solves_with_row_swaps() {
        let n = 4;
        let mut a: Vec<Complex64> =
            (0..n * n).map(|k| Complex64::new((k * 7 % 5) as f64 - 2.0, (k * 3 % 4) as f64 * 0.5)).collect();
        a[0] = Complex64::new(0.0, 0.0); // forces a row swap in the first column
        let b: Vec<Complex64> = (0..n).map(|k| Complex64::new(k as f64, 1.0)).collect();
        let (mut lu, mut piv, mut x) = (a.clone(), Vec::new(), b.clone());
        assert!(lu_factor(&mut lu, &mut piv, n) && lu_solve(&lu, &piv, &mut x, n));
        assert!(piv.iter().enumerate().any(|(k, &p)| p != k));
        for i in 0..n {
            let r: Complex64 = (0..n).map(|j| a[i * n + j] * x[j]).sum();
            assert!((r - b[i]).norm() < 1e-12);
        }
    }

    fn random_matrix(n: usize, seed: u64) -> Vec<Complex64> {
        let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let mut next = move || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        };
        (0..n * n).map(|_| Complex64::new(next(), next())).collect()
    }

    #[test]
    fn one_norm_condition_is_within_n_of_the_two_norm_one() {
        for seed in 0..50 {
            let n = 2 + (seed as usize) % 7;
            let a = random_matrix(n, seed);
            let s = singular_values(&a, n, n);
            let (two, one) = (s[0] / s[n - 1], condition_number(a, n));
            assert!(one >= two / n as f64 * (1.0 - 1e-9) && one <= two * n as f64 * (1.0 + 1e-9), "{one} {two}");
        }
        let mut singular = random_matrix(4, 3);
        let row: Vec<Complex64> = singular[..4].to_vec();
        singular[4..8].copy_from_slice(&row);
        assert!(condition_number(singular, 4) > 1e14);
    }

    proptest::proptest! {
        #[test]
        fn lu_solves_every_size(n in 1usize..11, seed in 0u64..1000) {
            let a = random_matrix(n, seed);
            let b: Vec<Complex64> = (0..n).map(|k| Complex64::new(1.0 + k as f64, -0.5)).collect();
            let (mut lu, mut piv, mut x) = (a.clone(), Vec::new(), b.clone());
            proptest::prop_assert!(lu_factor(&mut lu, &mut piv, n) && lu_solve(&lu, &piv, &mut x, n));
            let scale = 1.0 + norm(&x);
            for i in 0..n {
                let r: Complex64 = (0..n).map(|j| a[i * n + j] * x[j]).sum();
                proptest::prop_assert!((r - b[i]).norm() < 1e-10 * scale, "residual {}", (r - b[i]).norm());
            }
            // the pivots' ratio bounds the condition number of U from below (its eigenvalues
            // are the pivots), and that of A up to the growth of L's inverse
            let s = singular_values(&a, n, n);
            proptest::prop_assert!(pivot_ratio(&lu, n) <= s[0] / s[n - 1] * 2f64.powi(n as i32));
        }

        #[test]
        fn lanes_factor_exactly_as_one_matrix_at_a_time(
            n in 1usize..10,
            seed in 0u64..1000,
            idle in 0usize..5,
            zeros in proptest::collection::vec(0usize..100, 0..12),
            singular in 0usize..5,
        ) {
            // four matrices (one lane idle, some entries zero, one lane singular): the lanes'
            // factors, pivots and verdicts are bit for bit those of `lu_factor`
            let mut mats: Vec<Vec<Complex64>> = (0..4).map(|l| random_matrix(n, seed * 4 + l as u64)).collect();
            for (l, m) in mats.iter_mut().enumerate() {
                for &z in &zeros {
                    if z % 4 == l {
                        m[(z / 4) % (n * n)] = Complex64::new(0.0, 0.0);
                    }
                }
            }
            if singular < 4 && n > 1 {
                let row: Vec<Complex64> = mats[singular][..n].to_vec();
                mats[singular][n..2 * n].copy_from_slice(&row);
                mats[singular][..n].iter_mut().for_each(|x| *x = Complex64::new(0.0, 0.0));
            }
            let expected: Vec<(bool, Vec<Complex64>, Vec<usize>)> = mats
                .iter()
                .map(|m| {
                    let (mut lu, mut piv) = (m.clone(), Vec::new());
                    let ok = lu_factor(&mut lu, &mut piv, n);
                    (ok, lu, piv)
                })
                .collect();
            let mut lanes = mats.clone();
            let mut pivs: Vec<Vec<usize>> = vec![Vec::new(); 4];
            let ok = {
                let mut it = lanes.iter_mut();
                let mut ms: [Option<&mut [Complex64]>; 4] = std::array::from_fn(|_| it.next().map(|m| m.as_mut_slice()));
                let mut ip = pivs.iter_mut();
                let mut ps: [Option<&mut Vec<usize>>; 4] = std::array::from_fn(|_| ip.next());
                if idle < 4 {
                    ms[idle] = None;
                    ps[idle] = None;
                }
                lu_factor_lanes(&mut ms, &mut ps, n)
            };
            for l in 0..4 {
                if l == idle {
                    proptest::prop_assert!(!ok[l]);
                    proptest::prop_assert_eq!(&lanes[l], &mats[l]);
                    continue;
                }
                let (e_ok, e_lu, e_piv) = &expected[l];
                proptest::prop_assert_eq!(ok[l], *e_ok);
                if *e_ok {
                    let bits = |v: &[Complex64]| v.iter().map(|z| (z.re.to_bits(), z.im.to_bits())).collect::<Vec<_>>();
                    proptest::prop_assert_eq!(bits(&lanes[l]), bits(e_lu));
                    proptest::prop_assert_eq!(&pivs[l], e_piv);
                }
            }
        }

        #[test]
        fn equilibrated_condition_ignores_scales(seed in 0u64..1000, e in -8i32..8) {
            // scaling the rows and columns of a matrix changes its condition number but not
            // its distance to the singular ones
            let n = 5;
            let a = random_matrix(n, seed);
            let mut scaled = a.clone();
            for i in 0..n {
                for j in 0..n {
                    scaled[i * n + j] *= 10f64.powi(e * (i as i32 - 2)) * 10f64.powi(-e * (j as i32 - 2));
                }
            }
            let (plain, rescaled) = (equilibrated_condition(a, n), equilibrated_condition(scaled.clone(), n));
            proptest::prop_assert!(rescaled < plain * 1e3 && plain < rescaled * 1e3, "{plain} {rescaled}");
            // ... while the condition number itself grows like the spread of the scales
            let s = singular_values(&scaled, n, n);
            if e.abs() >= 2 {
                proptest::prop_assert!(s[0] / s[n - 1] > 1e6 * rescaled);
            }
            let mut singular = random_matrix(n, seed + 1);
            let row: Vec<Complex64> = singular[..n].iter().map(|z| z * 3.0).collect();
            singular[n..2 * n].copy_from_slice(&row);
            proptest::prop_assert!(equilibrated_condition(singular, n) > 1e13);
        }
    }
}
