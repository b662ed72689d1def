//! Small dense complex linear algebra for path tracking (no allocation in the hot loop).

use crate::scalar::Complex64;

/// Solve A x = b in place (A row-major n x n, destroyed). Returns false if A is
/// numerically singular.
pub fn solve_in_place(a: &mut [Complex64], b: &mut [Complex64], n: usize) -> bool {
    let mut piv = Vec::with_capacity(n);
    lu_factor(a, &mut piv, n) && lu_solve(a, &piv, b, n)
}

/// LU factorization with partial pivoting in place (A row-major n x n): `piv[k]` is the row
/// swapped with row k at step k. Returns false if A is numerically singular.
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
        let pivot_row = &upper[col * n + col..col * n + n];
        let inv = Complex64::new(1.0, 0.0) / pivot_row[0];
        for row in lower.chunks_exact_mut(n) {
            let f = row[col] * inv;
            row[col] = f;
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
    for (k, &p) in piv.iter().enumerate() {
        if p != k {
            b.swap(p, k);
        }
    }
    for r in 1..n {
        let row = &lu[r * n..r * n + r];
        let acc: Complex64 = row.iter().zip(&b[..r]).map(|(l, x)| l * x).sum();
        b[r] -= acc;
    }
    for col in (0..n).rev() {
        let row = &lu[col * n..col * n + n];
        let acc: Complex64 = row[col + 1..].iter().zip(&b[col + 1..]).map(|(u, x)| u * x).sum();
        b[col] = (b[col] - acc) / row[col];
    }
    b.iter().all(|z| z.re.is_finite() && z.im.is_finite())
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
}
