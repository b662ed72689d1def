//! Ranks: numerical (singular values with a gap) and exact over the prime field; real roots.

use faer::Mat;

use crate::error::{Error, Result};
use crate::scalar::Fp;
#[cfg(test)]
use crate::scalar::Scalar;

/// Singular values (descending) of a row-major `rows x cols` matrix.
pub fn singular_values(mat: &[f64], rows: usize, cols: usize) -> Result<Vec<f64>> {
    if mat.len() != rows * cols {
        return Err(Error::Shape(format!("matrix of {} entries is not {rows} x {cols}", mat.len())));
    }
    if rows == 0 || cols == 0 {
        return Ok(vec![]);
    }
    let m = Mat::<f64>::from_fn(rows, cols, |i, j| mat[i * cols + j]);
    m.singular_values().map_err(|e| Error::Numerical(format!("singular value decomposition failed: {e:?}")))
}

/// Rank = number of singular values above `rel_tol` times the largest; also the values.
pub fn numerical_rank(mat: &[f64], rows: usize, cols: usize, rel_tol: f64) -> Result<(usize, Vec<f64>)> {
    let s = singular_values(mat, rows, cols)?;
    let rank = rank_from_singular_values(&s, rel_tol);
    Ok((rank, s))
}

pub fn rank_from_singular_values(s: &[f64], rel_tol: f64) -> usize {
    let top = s.first().copied().unwrap_or(0.0);
    if top == 0.0 {
        return 0;
    }
    s.iter().filter(|&&v| v > rel_tol * top).count()
}

/// Rank of a row-major matrix over the prime field, by Gaussian elimination.
pub fn rank_mod_p(mat: &[Fp], rows: usize, cols: usize) -> usize {
    let mut a = mat.to_vec();
    let mut rank = 0;
    for c in 0..cols {
        if rank == rows {
            break;
        }
        let Some(p) = (rank..rows).find(|&r| !a[r * cols + c].is_zero()) else {
            continue;
        };
        if p != rank {
            for j in 0..cols {
                a.swap(p * cols + j, rank * cols + j);
            }
        }
        let inv = a[rank * cols + c].inv().expect("pivot is nonzero");
        for r in rank + 1..rows {
            let f = a[r * cols + c] * inv;
            if f.is_zero() {
                continue;
            }
            for j in c..cols {
                let v = a[rank * cols + j];
                a[r * cols + j] = a[r * cols + j] - f * v;
            }
        }
        rank += 1;
    }
    rank
}

/// Number of real roots, with multiplicity, of the binary form of degree D = len - 1 with
/// coefficients `f[m]` of z^m; vanishing leading coefficients count as real roots at infinity.
/// A root is real when |Im z| <= sqrt(tol) max(1, |z|): a double root is only determined to
/// about the square root of the working precision.
pub fn real_root_count(f: &[f64], tol: f64) -> Result<usize> {
    let scale = f.iter().fold(0.0f64, |m, c| m.max(c.abs()));
    if scale == 0.0 {
        return Err(Error::Unsupported("the zero polynomial has no finite set of roots".into()));
    }
    let d = f.len() - 1;
    let Some(deg) = f.iter().rposition(|c| c.abs() > tol * scale) else {
        return Ok(d);
    };
    let at_infinity = d - deg;
    if deg == 0 {
        return Ok(at_infinity);
    }
    let roots = companion_roots(&f[..=deg])?;
    let real = roots.iter().filter(|z| z.im.abs() <= tol.sqrt() * z.norm().max(1.0)).count();
    Ok(real + at_infinity)
}

/// The roots of sum_m f[m] z^m (f's last entry nonzero): the eigenvalues of the companion
/// matrix of the monic polynomial.
pub(crate) fn companion_roots(f: &[f64]) -> Result<Vec<faer::c64>> {
    let deg = f.len() - 1;
    let lead = f[deg];
    let c = Mat::<f64>::from_fn(deg, deg, |i, j| {
        if j == deg - 1 {
            -f[i] / lead
        } else if i == j + 1 {
            1.0
        } else {
            0.0
        }
    });
    c.eigenvalues().map_err(|e| Error::Numerical(format!("eigenvalues of the companion matrix: {e:?}")))
}

/// Uniformly random field elements for exact rank computations.
pub fn random_field_elements(len: usize, seed: u64) -> Vec<Fp> {
    use rand::RngExt;
    let mut rng = crate::random::rng_stream(seed, 1);
    (0..len).map(|_| Fp::new(rng.random::<u64>() % crate::scalar::PRIME)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_mod_p_of_a_product() {
        // rank of (column) x (row) is 1
        let u = [1i64, 2, 3];
        let v = [4i64, -5];
        let m: Vec<Fp> = u.iter().flat_map(|a| v.iter().map(move |b| Fp::from_i64(a * b))).collect();
        assert_eq!(rank_mod_p(&m, 3, 2), 1);
        let id: Vec<Fp> = (0..9).map(|k| if k % 4 == 0 { Fp::one() } else { Fp::zero() }).collect();
        assert_eq!(rank_mod_p(&id, 3, 3), 3);
    }

    #[test]
    fn real_roots() {
        // (z - 1)(z + 2) = z^2 + z - 2
        assert_eq!(real_root_count(&[-2.0, 1.0, 1.0], 1e-8).unwrap(), 2);
        // z^2 + 1
        assert_eq!(real_root_count(&[1.0, 0.0, 1.0], 1e-8).unwrap(), 0);
        // degree drop: 1 + z as a form of degree 2 has a root at infinity
        assert_eq!(real_root_count(&[1.0, 1.0, 0.0], 1e-8).unwrap(), 2);
    }

    #[test]
    fn numerical_rank_of_rank_one() {
        let m = [1.0, 2.0, 2.0, 4.0, 3.0, 6.0];
        assert_eq!(numerical_rank(&m, 3, 2, 1e-10).unwrap().0, 1);
    }
}
