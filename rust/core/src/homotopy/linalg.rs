//! Small dense complex linear algebra for path tracking (no allocation in the hot loop).

use crate::scalar::Complex64;

/// Solve A x = b in place by Gaussian elimination with partial pivoting (A row-major n x n,
/// destroyed). Returns false if A is numerically singular.
pub fn solve_in_place(a: &mut [Complex64], b: &mut [Complex64], n: usize) -> bool {
    for col in 0..n {
        let mut piv = col;
        let mut best = a[col * n + col].norm_sqr();
        for r in col + 1..n {
            let v = a[r * n + col].norm_sqr();
            if v > best {
                best = v;
                piv = r;
            }
        }
        if best == 0.0 || !best.is_finite() {
            return false;
        }
        if piv != col {
            for j in 0..n {
                a.swap(piv * n + j, col * n + j);
            }
            b.swap(piv, col);
        }
        let inv = Complex64::new(1.0, 0.0) / a[col * n + col];
        for r in col + 1..n {
            let f = a[r * n + col] * inv;
            if f == Complex64::new(0.0, 0.0) {
                continue;
            }
            for j in col..n {
                let v = a[col * n + j];
                a[r * n + j] -= f * v;
            }
            let v = b[col];
            b[r] -= f * v;
        }
    }
    for col in (0..n).rev() {
        let mut acc = b[col];
        for j in col + 1..n {
            acc -= a[col * n + j] * b[j];
        }
        b[col] = acc / a[col * n + col];
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
