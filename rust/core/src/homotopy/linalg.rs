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
    piv.clear();
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
            for j in 0..n {
                a.swap(p * n + j, col * n + j);
            }
        }
        let inv = Complex64::new(1.0, 0.0) / a[col * n + col];
        for r in col + 1..n {
            let f = a[r * n + col] * inv;
            a[r * n + col] = f;
            if f == Complex64::new(0.0, 0.0) {
                continue;
            }
            for j in col + 1..n {
                let v = a[col * n + j];
                a[r * n + j] -= f * v;
            }
        }
    }
    true
}

/// Solve A x = b in place with the factors of [`lu_factor`].
pub fn lu_solve(lu: &[Complex64], piv: &[usize], b: &mut [Complex64], n: usize) -> bool {
    // the factorization swapped whole rows, so the multipliers are in the final row order
    for (k, &p) in piv.iter().enumerate() {
        if p != k {
            b.swap(p, k);
        }
    }
    for k in 0..n {
        let v = b[k];
        for r in k + 1..n {
            b[r] -= lu[r * n + k] * v;
        }
    }
    for col in (0..n).rev() {
        let mut acc = b[col];
        for j in col + 1..n {
            acc -= lu[col * n + j] * b[j];
        }
        b[col] = acc / lu[col * n + col];
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
