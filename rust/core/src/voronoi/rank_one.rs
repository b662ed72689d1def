//! Nearest points of {c 1^T + sum_i a_i u_i^T : a_i in R^m, u_i in a polyhedral cone}, for data
//! with m rows (outputs) over K points: the image of a ReLU network with one or two hidden
//! neurons and m outputs at input points (c the output biases, when free).
//!
//! The cone is the union of the relative interiors of its faces, each spanned by independent
//! generators G (k of them). With u = G t, t > 0, the best a for a fixed u is the least-squares
//! one, which captures the energy |Y~ u~|^2 / |u~|^2 of the data Y~ with the free directions
//! removed (the constant; rays whose own output weights are free) and u~ likewise. In an
//! orthonormal basis Q (k x K) of the projected span with u~ = Q^T s, that is the Rayleigh
//! quotient of A = Z^T Z, Z = Y~ Q^T. A nearest point inside the face is a critical point of it:
//! an eigenvector s of A whose generator coefficients t = C s (C: the basis in terms of the
//! generators) have one sign. So on each union of a cone beside free directions the distance is
//! the least residual over those eigenvectors (the free directions alone: the projection), an
//! exact minimum, as for one output (where A has rank one and s is the projection). Unions of two
//! 2-dimensional cones have their own critical points (`cone_pairs`).

use faer::{Mat, Side};
use rayon::prelude::*;

use super::cone_pairs::{pair_distance, span_residual, ConePairs};
use super::polyhedral::{check_data, NearestUnion, Tally};
use crate::error::{Error, Result};

/// Unions of one layout: a cone of k generators (k = 0: none) beside f free directions. Per
/// union an orthonormal basis of the free directions (f rows of length K), one of the cone's
/// span projected off them (k rows), the generator coefficients of its vectors (k x k,
/// row-major: t = C s), stacked; the hidden neurons it uses and its index among all unions.
#[derive(Clone, Debug)]
pub struct RankOneFaces {
    pub size: usize,
    pub free: usize,
    pub free_rows: Vec<f64>,
    pub basis_rows: Vec<f64>,
    pub coefficient_rows: Vec<f64>,
    pub neurons: Vec<usize>,
    pub index: Vec<usize>,
}

impl RankOneFaces {
    fn check(&self, points: usize) -> Result<()> {
        let (k, f, n) = (self.size, self.free, self.index.len());
        let sizes = [n * f * points, n * k * points, n * k * k, n];
        let got = [self.free_rows.len(), self.basis_rows.len(), self.coefficient_rows.len(), self.neurons.len()];
        if sizes != got {
            return Err(Error::Shape(format!(
                "{n} unions of {k} generators and {f} free directions at {points} points need {sizes:?} entries (free, basis, coefficients, neurons), got {got:?}"
            )));
        }
        if self.free_rows.iter().chain(&self.basis_rows).chain(&self.coefficient_rows).any(|v| !v.is_finite()) {
            return Err(Error::NonFinite("face bases with NaN or infinity".into()));
        }
        Ok(())
    }
}

/// For each row of `data` (B rows of `outputs` x `points` values, output by output), the least
/// squared distance over the unions of at most `counts[t]` neurons, and for `counts[0]` the
/// nearest union and the second best; in parallel over the rows.
pub fn nearest_rank_one(
    groups: &[RankOneFaces],
    pairs: &[ConePairs],
    data: &[f64],
    points: usize,
    outputs: usize,
    counts: &[usize],
) -> Result<Vec<NearestUnion>> {
    check_data(data, points * outputs, counts)?;
    for g in groups {
        g.check(points)?;
    }
    for p in pairs {
        p.check(points)?;
    }
    data.par_chunks(points * outputs).map(|y| nearest_one(groups, pairs, y, points, outputs, counts)).collect()
}

fn nearest_one(
    groups: &[RankOneFaces],
    pairs: &[ConePairs],
    y: &[f64],
    points: usize,
    outputs: usize,
    counts: &[usize],
) -> Result<NearestUnion> {
    let mut tally = Tally::new(counts);
    let (mut data, mut residual) = (vec![0.0; y.len()], vec![0.0; y.len()]);
    for g in groups {
        let (k, f) = (g.size, g.free);
        for (c, &index) in g.index.iter().enumerate() {
            // the data off the free directions
            data.copy_from_slice(y);
            let free = &g.free_rows[c * f * points..(c + 1) * f * points];
            for row in data.chunks_mut(points) {
                for q in free.chunks(points) {
                    let w = dot(row, q);
                    row.iter_mut().zip(q).for_each(|(r, qp)| *r -= w * qp);
                }
            }
            if k == 0 {
                tally.record(index, g.neurons[c], data.iter().map(|v| v * v).sum());
                continue;
            }
            let basis = &g.basis_rows[c * k * points..(c + 1) * k * points];
            let coefficients = &g.coefficient_rows[c * k * k..(c + 1) * k * k];
            // Z = Y~ Q^T (m x k), A = Z^T Z (k x k)
            let z = Mat::<f64>::from_fn(outputs, k, |o, j| {
                dot(&data[o * points..(o + 1) * points], &basis[j * points..(j + 1) * points])
            });
            let a = z.transpose() * &z;
            let eigen = a
                .self_adjoint_eigen(Side::Lower)
                .map_err(|e| Error::Numerical(format!("eigenvectors of a face's captured energy: {e:?}")))?;
            let vectors = eigen.U();
            for e in 0..k {
                let s: Vec<f64> = (0..k).map(|j| vectors[(j, e)]).collect();
                let t: Vec<f64> = (0..k).map(|i| dot(&coefficients[i * k..(i + 1) * k], &s)).collect();
                if t.iter().any(|&v| v > 0.0) && t.iter().any(|&v| v < 0.0) {
                    continue; // u leaves the cone
                }
                // |Y~ - (Z s)(Q^T s)^T|^2 itself: no cancellation where the energy is nearly all of Y~
                residual.copy_from_slice(&data);
                for o in 0..outputs {
                    let weight: f64 = (0..k).map(|j| z[(o, j)] * s[j]).sum();
                    let row = &mut residual[o * points..(o + 1) * points];
                    for (j, &sj) in s.iter().enumerate() {
                        let q = &basis[j * points..(j + 1) * points];
                        row.iter_mut().zip(q).for_each(|(r, qp)| *r -= weight * sj * qp);
                    }
                }
                tally.record(index, g.neurons[c], residual.iter().map(|r| r * r).sum());
            }
        }
    }
    // centred once, and only where a pair asks for it
    let centered =
        if pairs.iter().any(|p| p.centre && !p.index.is_empty()) { centered_rows(y, points) } else { vec![] };
    // a union's distance is at least that to the span of its four rows: taken in the order of
    // these bounds, the unions end where no bound could change the tally
    let data_of = |p: &ConePairs| if p.centre { &centered[..] } else { y };
    let mut order: Vec<(f64, usize, usize)> = pairs
        .iter()
        .enumerate()
        .flat_map(|(k, p)| (0..p.index.len()).map(move |c| (k, c)))
        .map(|(k, c)| (span_residual(data_of(&pairs[k]), pairs[k].union_rows(c, points), points), k, c))
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    let scale: f64 = y.iter().map(|v| v * v).sum();
    for (bound, k, c) in order {
        // rounding: the bound and a distance computed in another way may differ in the last digits
        if tally.settled(2, bound * (1.0 - 1e-9) - 1e-12 * scale) {
            break;
        }
        let p = &pairs[k];
        if let Some((value, _)) = pair_distance(data_of(p), p.union_rows(c, points), points, outputs)? {
            tally.record(p.index[c], 2, value);
        }
    }
    Ok(tally.finish())
}

/// Each row of `points` values minus its mean.
fn centered_rows(y: &[f64], points: usize) -> Vec<f64> {
    y.chunks(points)
        .flat_map(|row| {
            let mean = row.iter().sum::<f64>() / points as f64;
            row.iter().map(move |v| v - mean)
        })
        .collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quadrant cone(e1, e2) in R^2 (no constant): its faces {e1}, {e2} and {e1, e2}.
    fn quadrant() -> Vec<RankOneFaces> {
        let axes = RankOneFaces {
            size: 1,
            free: 0,
            free_rows: vec![],
            basis_rows: vec![1.0, 0.0, 0.0, 1.0],
            coefficient_rows: vec![1.0, 1.0],
            neurons: vec![1, 1],
            index: vec![0, 1],
        };
        let pair = RankOneFaces {
            size: 2,
            free: 0,
            free_rows: vec![],
            basis_rows: vec![1.0, 0.0, 0.0, 1.0],
            coefficient_rows: vec![1.0, 0.0, 0.0, 1.0],
            neurons: vec![1],
            index: vec![2],
        };
        vec![axes, pair]
    }

    #[test]
    fn one_output_is_the_projection_onto_the_cone() {
        // (0.5, 0.25) lies in the quadrant; (2, -1) is nearest to (2, 0); (-1, -2) lies in -quadrant
        let out = nearest_rank_one(&quadrant(), &[], &[0.5, 0.25, 2.0, -1.0, -1.0, -2.0], 2, 1, &[1]).unwrap();
        assert!(out[0].best[0].abs() < 1e-14 && out[0].first == Some(2));
        assert!((out[1].best[0] - 1.0).abs() < 1e-14 && out[1].first == Some(0));
        assert!(out[2].best[0].abs() < 1e-14);
    }

    #[test]
    fn two_outputs_keep_the_best_rank_one_fit_inside_the_cone() {
        // Y = [[3, 0], [0, 1]]: over u in the quadrant, the best rank-one a u^T is 3 e1 e1^T
        // (distance 1); Y = [[1, 1], [1, -1]] / 2: its top eigenvector u ~ (1, 0.414) lies inside,
        // the second (leaving the quadrant) does not count
        let out = nearest_rank_one(&quadrant(), &[], &[3.0, 0.0, 0.0, 1.0], 2, 2, &[1, 0]).unwrap();
        assert!((out[0].best[0] - 1.0).abs() < 1e-12);
        assert_eq!(out[0].best[1], f64::INFINITY);
        let y = [1.0, 1.0, 1.0, -1.0];
        let sv = nearest_rank_one(&quadrant(), &[], &y, 2, 2, &[1]).unwrap();
        // singular values of [[1, 1], [1, -1]] are both sqrt 2: any unit u captures 2 of the 4
        assert!((sv[0].best[0] - 2.0).abs() < 1e-12);
        let y = [2.0, 1.0, 0.0, 0.0];
        let inside = nearest_rank_one(&quadrant(), &[], &y, 2, 2, &[1]).unwrap();
        assert!(inside[0].best[0].abs() < 1e-12 && inside[0].first == Some(2));
        let y = [2.0, -1.0, 0.0, 0.0];
        let outside = nearest_rank_one(&quadrant(), &[], &y, 2, 2, &[1]).unwrap();
        assert!((outside[0].best[0] - 1.0).abs() < 1e-12 && outside[0].first == Some(0));
        assert_eq!(outside[0].runner.map(|(i, _)| i), Some(1));
    }

    #[test]
    fn a_free_constant_is_removed_first() {
        let r = std::f64::consts::FRAC_1_SQRT_2;
        let constants = RankOneFaces {
            size: 0,
            free: 1,
            free_rows: vec![r, r],
            basis_rows: vec![],
            coefficient_rows: vec![],
            neurons: vec![0],
            index: vec![0],
        };
        let out = nearest_rank_one(&[constants], &[], &[1.0, 3.0, 5.0, 5.0], 2, 2, &[0]).unwrap();
        assert!((out[0].best[0] - 2.0).abs() < 1e-14);
    }

    /// The faces of the simplicial cone of `gens` (rows of length K): every nonempty subset,
    /// with a Gram-Schmidt basis Q (G^T = Q R) and C = R^-1, grouped by size.
    #[allow(clippy::needless_range_loop)] // triangular solves read best with indices
    fn simplicial_cone(gens: &[Vec<f64>]) -> Vec<RankOneFaces> {
        let (n, points) = (gens.len(), gens[0].len());
        let mut groups: Vec<RankOneFaces> = (1..=n)
            .map(|size| RankOneFaces {
                size,
                free: 0,
                free_rows: vec![],
                basis_rows: vec![],
                coefficient_rows: vec![],
                neurons: vec![],
                index: vec![],
            })
            .collect();
        for mask in 1..(1usize << n) {
            let face: Vec<&Vec<f64>> = (0..n).filter(|i| mask >> i & 1 == 1).map(|i| &gens[i]).collect();
            let k = face.len();
            let (mut q, mut r) = (vec![vec![0.0; points]; k], vec![vec![0.0; k]; k]);
            for j in 0..k {
                let mut v = face[j].clone();
                for i in 0..j {
                    r[i][j] = dot(&q[i], face[j]);
                    v.iter_mut().zip(&q[i]).for_each(|(x, qi)| *x -= r[i][j] * qi);
                }
                r[j][j] = dot(&v, &v).sqrt();
                q[j] = v.iter().map(|x| x / r[j][j]).collect();
            }
            let mut inverse = vec![vec![0.0; k]; k]; // R^-1 by back substitution, column by column
            for c in 0..k {
                for i in (0..k).rev() {
                    let e = if i == c { 1.0 } else { 0.0 };
                    inverse[i][c] = (e - (i + 1..k).map(|l| r[i][l] * inverse[l][c]).sum::<f64>()) / r[i][i];
                }
            }
            let g = &mut groups[k - 1];
            g.basis_rows.extend(q.concat());
            g.coefficient_rows.extend(inverse.concat());
            g.index.push(mask);
            g.neurons.push(1);
        }
        groups
    }

    proptest::proptest! {
        /// Against rank-one fits a u^T with u in the cone (points of the set: upper bounds) and
        /// the best rank-one fit in the cone's span without the sign (a lower bound).
        #[test]
        fn the_distance_lies_between_the_relaxation_and_every_point(
            gens in proptest::collection::vec(proptest::collection::vec(-1.0f64..1.0, 5), 3),
            y in proptest::collection::vec(-1.0f64..1.0, 10),
            ts in proptest::collection::vec(proptest::collection::vec(0.0f64..1.0, 3), 50),
        ) {
            let groups = simplicial_cone(&gens);
            proptest::prop_assume!(groups[2].coefficient_rows.iter().all(|c| c.is_finite() && c.abs() < 1e6));
            let value = nearest_rank_one(&groups, &[], &y, 5, 2, &[1]).unwrap()[0].best[0];
            // C = 0: every eigenvector of the whole span counts
            let whole = RankOneFaces { coefficient_rows: vec![0.0; 9], ..groups[2].clone() };
            let relaxed = nearest_rank_one(&[whole], &[], &y, 5, 2, &[1]).unwrap()[0].best[0];
            let total: f64 = y.iter().map(|v| v * v).sum();
            proptest::prop_assert!(value >= relaxed - 1e-9 * total);
            for t in &ts {
                let u: Vec<f64> = (0..5).map(|p| (0..3).map(|i| t[i] * gens[i][p]).sum()).collect();
                let norm = dot(&u, &u);
                if norm < 1e-12 {
                    continue;
                }
                let fit: f64 = (0..2).map(|o| dot(&y[o * 5..(o + 1) * 5], &u).powi(2) / norm).sum();
                proptest::prop_assert!(value <= total - fit + 1e-9 * total);
            }
        }
    }

    proptest::proptest! {
        /// Unions of two cones taken in the order of their span bounds, and left out once no
        /// bound could change the result, give what all of them give in turn.
        #[test]
        fn bounded_unions_agree_with_all_unions(
            rows in proptest::collection::vec(-1.0f64..1.0, 8 * 4 * 6),
            y in proptest::collection::vec(-1.0f64..1.0, 12),
        ) {
            let pairs: Vec<ConePairs> = (0..2)
                .map(|k| ConePairs {
                    centre: k == 1,
                    rows: rows[k * 4 * 4 * 6..(k + 1) * 4 * 4 * 6].to_vec(),
                    index: (4 * k..4 * k + 4).collect(),
                })
                .collect();
            let got = &nearest_rank_one(&[], &pairs, &y, 6, 2, &[2, 1]).unwrap()[0];
            let mut tally = Tally::new(&[2, 1]);
            for p in &pairs {
                let data = if p.centre { centered_rows(&y, 6) } else { y.clone() };
                for (c, &index) in p.index.iter().enumerate() {
                    let found = pair_distance(&data, p.union_rows(c, 6), 6, 2).unwrap();
                    if let Some((value, _)) = found {
                        proptest::prop_assert!(span_residual(&data, p.union_rows(c, 6), 6) <= value * (1.0 + 1e-9) + 1e-12);
                        tally.record(index, 2, value);
                    }
                }
            }
            let all = tally.finish();
            proptest::prop_assert_eq!(&got.best, &all.best);
            proptest::prop_assert_eq!(got.runner.map(|r| r.1), all.runner.map(|r| r.1));
            if all.runner.is_none_or(|(_, r)| r > all.best[0]) {
                proptest::prop_assert_eq!(got.first, all.first);
            }
        }
    }

    #[test]
    fn bad_shapes_and_values_are_refused() {
        let groups = quadrant();
        assert!(nearest_rank_one(&groups, &[], &[1.0, 2.0, 3.0], 2, 2, &[1]).is_err());
        assert!(nearest_rank_one(&groups, &[], &[1.0, f64::NAN, 0.0, 0.0], 2, 2, &[1]).is_err());
        let mut broken = groups.clone();
        broken[1].coefficient_rows.pop();
        assert!(nearest_rank_one(&broken, &[], &[1.0, 2.0, 0.0, 0.0], 2, 2, &[1]).is_err());
    }
}
