//! Nearest points of a finite union of polyhedral cones, given as unions of faces: the least
//! residual of the least-squares projections onto the spans of independent generators whose
//! coefficients have one sign on each face (the image of a ReLU network with one hidden layer
//! and one output at input points is such a union; the faces come from Python).
//!
//! A projection whose coefficients have one sign per face is a point of the union; the nearest
//! point lies in the relative interior of a face of some cone and is such a projection
//! (Caratheodory), so the least feasible residual is the distance.

use rayon::prelude::*;

use crate::error::{Error, Result};

/// Unions of faces with one column layout: `m` columns (a free first column when `free_first`,
/// then the faces' generators, `sizes[i]` of them for face i); for each union the rows of the
/// pseudo-inverse of its generator matrix G (m x dim) and its generators (the columns of G,
/// m x dim), stacked union by union, and its index among all unions.
#[derive(Clone, Debug)]
pub struct FaceUnions {
    pub sizes: Vec<usize>,
    pub free_first: bool,
    pub pinv_rows: Vec<f64>,
    pub generator_rows: Vec<f64>,
    pub index: Vec<usize>,
}

impl FaceUnions {
    fn columns(&self) -> usize {
        self.sizes.iter().sum::<usize>() + usize::from(self.free_first)
    }

    fn check(&self, dim: usize) -> Result<()> {
        let rows = self.index.len() * self.columns() * dim;
        if self.pinv_rows.len() != rows || self.generator_rows.len() != rows {
            return Err(Error::Shape(format!(
                "{} unions of {} columns in dimension {dim} need {rows} entries, got {} and {}",
                self.index.len(),
                self.columns(),
                self.pinv_rows.len(),
                self.generator_rows.len()
            )));
        }
        Ok(())
    }

    /// Are the coefficients of every face of one sign (zeros allowed)?
    fn feasible(&self, coef: &[f64]) -> bool {
        let mut at = usize::from(self.free_first);
        for &size in &self.sizes {
            let face = &coef[at..at + size];
            at += size;
            if size > 1 && face.iter().any(|&c| c > 0.0) && face.iter().any(|&c| c < 0.0) {
                return false;
            }
        }
        true
    }
}

/// For one data point: the least squared distance over the unions of at most `counts[t]` faces,
/// for each t; for at most `counts[0]` faces, the nearest union and the second best one.
#[derive(Clone, Debug, PartialEq)]
pub struct NearestUnion {
    pub best: Vec<f64>,
    pub first: Option<usize>,
    pub runner: Option<(usize, f64)>,
}

/// Nearest unions for each row of `data` (B x dim, row-major), in parallel over the rows.
pub fn nearest_unions(groups: &[FaceUnions], data: &[f64], dim: usize, counts: &[usize]) -> Result<Vec<NearestUnion>> {
    check_data(data, dim, counts)?;
    for g in groups {
        g.check(dim)?;
    }
    Ok(data.par_chunks(dim).map(|u| nearest_one(groups, u, counts)).collect())
}

/// The running least values of one data point: over at most `counts[t]` faces for each t, and
/// the nearest union of at most `counts[0]` faces with its runner-up.
pub(crate) struct Tally<'a> {
    counts: &'a [usize],
    best: Vec<f64>,
    first: Option<(usize, f64)>,
    runner: Option<(usize, f64)>,
}

impl<'a> Tally<'a> {
    pub(crate) fn new(counts: &'a [usize]) -> Self {
        Tally { counts, best: vec![f64::INFINITY; counts.len()], first: None, runner: None }
    }

    /// A feasible point of union `index` (of `faces` faces) at squared distance `value`.
    pub(crate) fn record(&mut self, index: usize, faces: usize, value: f64) {
        for (b, &n) in self.best.iter_mut().zip(self.counts) {
            if faces <= n && value < *b {
                *b = value;
            }
        }
        if faces > self.counts[0] {
            return;
        }
        match self.first {
            Some((_, f)) if value >= f => {
                if self.runner.is_none_or(|(_, r)| value < r) {
                    self.runner = Some((index, value));
                }
            }
            _ => {
                self.runner = self.first.or(self.runner);
                self.first = Some((index, value));
            }
        }
    }

    /// Whether no union of `faces` faces at squared distance `value` or more could change the
    /// tally any more: it would beat neither a least value nor the runner-up.
    pub(crate) fn settled(&self, faces: usize, value: f64) -> bool {
        let bests = self.best.iter().zip(self.counts).all(|(&b, &n)| faces > n || value >= b);
        bests && (faces > self.counts[0] || self.runner.is_some_and(|(_, r)| value >= r))
    }

    pub(crate) fn finish(self) -> NearestUnion {
        NearestUnion { best: self.best, first: self.first.map(|(i, _)| i), runner: self.runner }
    }
}

/// The checks shared by the nearest-point queries: rows of length `dim`, finite, some counts.
pub(crate) fn check_data(data: &[f64], dim: usize, counts: &[usize]) -> Result<()> {
    if dim == 0 || !data.len().is_multiple_of(dim) {
        return Err(Error::Shape(format!("{} data entries are no rows of length {dim}", data.len())));
    }
    if counts.is_empty() {
        return Err(Error::Shape("no face counts to minimize over".into()));
    }
    if data.iter().any(|v| !v.is_finite()) {
        return Err(Error::NonFinite("data with NaN or infinity".into()));
    }
    Ok(())
}

fn nearest_one(groups: &[FaceUnions], u: &[f64], counts: &[usize]) -> NearestUnion {
    let dim = u.len();
    let mut tally = Tally::new(counts);
    let (mut coef, mut residual) = (Vec::new(), Vec::new());
    for g in groups {
        let m = g.columns();
        let faces = g.sizes.len();
        coef.resize(m, 0.0);
        residual.resize(dim, 0.0);
        for (c, &index) in g.index.iter().enumerate() {
            let block = c * m * dim;
            for (j, cj) in coef.iter_mut().enumerate() {
                let row = block + j * dim;
                *cj = g.pinv_rows[row..row + dim].iter().zip(u).map(|(a, b)| a * b).sum();
            }
            if !g.feasible(&coef) {
                continue;
            }
            // |u - G coef|^2 itself: the shortcut |u|^2 - coef . G^T u loses digits to
            // cancellation where G is ill-conditioned or u is near its span
            residual.copy_from_slice(u);
            for (j, &cj) in coef.iter().enumerate() {
                let row = block + j * dim;
                residual.iter_mut().zip(&g.generator_rows[row..row + dim]).for_each(|(r, gk)| *r -= cj * gk);
            }
            tally.record(index, faces, residual.iter().map(|r| r * r).sum());
        }
    }
    tally.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quadrant cone(e1, e2) in the plane, as the unions {e1}, {e2}, {e1, e2} (no free
    /// column): a face of one generator allows either sign, so {e1} is the whole first axis.
    fn quadrant() -> Vec<FaceUnions> {
        let single = FaceUnions {
            sizes: vec![1],
            free_first: false,
            // e1 and e2 are orthonormal: pinv = G^T
            pinv_rows: vec![1.0, 0.0, 0.0, 1.0],
            generator_rows: vec![1.0, 0.0, 0.0, 1.0],
            index: vec![0, 1],
        };
        let pair = FaceUnions {
            sizes: vec![2],
            free_first: false,
            pinv_rows: vec![1.0, 0.0, 0.0, 1.0],
            generator_rows: vec![1.0, 0.0, 0.0, 1.0],
            index: vec![2],
        };
        vec![single, pair]
    }

    #[test]
    fn nearest_point_of_a_quadrant_and_its_axes() {
        let groups = quadrant();
        // inside the quadrant: distance 0 through the pair; (-1, -2) too (one sign: both
        // negative), (2, -1) only through the axes: its nearest point is (2, 0)
        let data = [0.5, 0.25, -1.0, -2.0, 2.0, -1.0];
        let out = nearest_unions(&groups, &data, 2, &[1, 0]).unwrap();
        assert_eq!(out[0].best[0], 0.0);
        assert_eq!(out[0].first, Some(2));
        assert_eq!(out[1].best[0], 0.0);
        assert_eq!(out[2].best[0], 1.0);
        assert_eq!(out[2].first, Some(0));
        assert_eq!(out[2].runner, Some((1, 4.0)));
        // no faces at all: nothing feasible
        assert!(out.iter().all(|r| r.best[1] == f64::INFINITY));
    }

    #[test]
    fn bad_shapes_and_values_are_refused() {
        let groups = quadrant();
        assert!(nearest_unions(&groups, &[1.0, 2.0, 3.0], 2, &[1]).is_err());
        assert!(nearest_unions(&groups, &[1.0, f64::NAN], 2, &[1]).is_err());
        let mut broken = groups.clone();
        broken[0].pinv_rows.pop();
        assert!(nearest_unions(&broken, &[1.0, 2.0], 2, &[1]).is_err());
    }
}
