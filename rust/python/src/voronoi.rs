//! Voronoi cells of plane curves by Monte Carlo: numpy in, numpy out, the GIL released.

use neuromanifold::voronoi::{chunk_samples, CurveForm, Distribution, PlaneCurveProblem, Poly2, Target};
use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods,
};
use pyo3::prelude::*;

use crate::errors::{to_py, IntoPyResult};
use crate::threads::run;

/// A plane curve prepared for nearest-point queries.
#[pyclass(frozen, module = "neuromanifold._core")]
pub struct PlaneCurve {
    inner: PlaneCurveProblem,
}

fn poly(terms: Vec<(u32, u32, f64)>) -> Poly2 {
    Poly2 { terms }
}

fn distribution(kind: &str, a: [f64; 2], b: [f64; 2]) -> PyResult<Distribution> {
    let d = match kind {
        "gaussian" => Distribution::Gaussian { center: a, scale: b[0] },
        "uniform_box" => Distribution::UniformBox { low: a, high: b },
        other => return Err(pyo3::exceptions::PyValueError::new_err(format!("unknown distribution {other:?}"))),
    };
    d.validate().py()?;
    Ok(d)
}

fn target(indices: Option<Vec<usize>>, point: Option<[f64; 2]>) -> PyResult<Target> {
    match (indices, point) {
        (Some(ix), None) => Ok(Target::Singular(ix)),
        (None, Some(q)) => Ok(Target::Point(q)),
        _ => Err(pyo3::exceptions::PyValueError::new_err("give singular point indices or a point, not both")),
    }
}

fn samples_slice<'a>(a: &'a PyReadonlyArray2<'_, f64>) -> PyResult<&'a [f64]> {
    if a.shape()[1] != 2 {
        return Err(to_py(neuromanifold::Error::Shape(format!("samples must have shape (B, 2), got {:?}", a.shape()))));
    }
    a.as_slice().map_err(|_| pyo3::exceptions::PyValueError::new_err("array must be C-contiguous"))
}

#[pymethods]
impl PlaneCurve {
    /// `critical[k]`: terms (a, b, c) of the coefficient of s^k of the critical polynomial as a
    /// polynomial in the data (u, v); `implicit`: terms of F(x, y); a parametrization
    /// (x(t), y(t)) by coefficients from the constant term up, or None for an implicit curve.
    #[new]
    #[pyo3(signature = (critical, implicit, singular, parametrization=None))]
    fn new(
        critical: Vec<Vec<(u32, u32, f64)>>,
        implicit: Vec<(u32, u32, f64)>,
        singular: Vec<[f64; 2]>,
        parametrization: Option<(Vec<f64>, Vec<f64>)>,
    ) -> PyResult<Self> {
        let f = poly(implicit);
        let form = match parametrization {
            Some((x, y)) => CurveForm::Parametrized { x, y },
            None => CurveForm::Implicit { f: f.clone() },
        };
        let inner = PlaneCurveProblem::new(critical.into_iter().map(poly).collect(), form, f, singular).py()?;
        Ok(PlaneCurve { inner })
    }

    #[getter]
    fn singular_points(&self) -> Vec<[f64; 2]> {
        self.inner.singular_points().to_vec()
    }

    /// Counts (hits, undecided, samples) for chunks chunk_start..chunk_end, one row each.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (indices, point, distribution_kind, a, b, seed, chunk_start, chunk_end, chunk_size, n))]
    fn count<'py>(
        &self,
        py: Python<'py>,
        indices: Option<Vec<usize>>,
        point: Option<[f64; 2]>,
        distribution_kind: &str,
        a: [f64; 2],
        b: [f64; 2],
        seed: u64,
        chunk_start: u64,
        chunk_end: u64,
        chunk_size: u64,
        n: u64,
    ) -> PyResult<Bound<'py, PyArray2<u64>>> {
        let t = target(indices, point)?;
        let d = distribution(distribution_kind, a, b)?;
        let counts =
            py.detach(|| run(|| self.inner.count(&t, &d, seed, chunk_start..chunk_end, chunk_size, n))).py()?;
        let flat: Vec<u64> = counts.iter().flat_map(|c| [c.hits, c.failed, c.n]).collect();
        let rows = counts.len();
        flat.into_pyarray(py).reshape([rows, 3])
    }

    /// Decisions on given samples (B, 2): 1 nearest point in the target, 0 not, -1 undecided.
    #[pyo3(signature = (samples, indices=None, point=None))]
    fn decide<'py>(
        &self,
        py: Python<'py>,
        samples: PyReadonlyArray2<'py, f64>,
        indices: Option<Vec<usize>>,
        point: Option<[f64; 2]>,
    ) -> PyResult<Bound<'py, PyArray1<i8>>> {
        let t = target(indices, point)?;
        let s = samples_slice(&samples)?;
        let out = py.detach(|| run(|| self.inner.decide_batch(s, &t))).py()?;
        Ok(out.into_pyarray(py))
    }

    /// Nearest points of samples (B, 2): squared distance and point of the nearest critical
    /// point on the smooth part, index (-1: none) and squared distance of the nearest singular point.
    #[allow(clippy::type_complexity)]
    fn nearest<'py>(
        &self,
        py: Python<'py>,
        samples: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<(
        Bound<'py, PyArray1<f64>>,
        Bound<'py, PyArray2<f64>>,
        Bound<'py, PyArray1<i64>>,
        Bound<'py, PyArray1<f64>>,
    )> {
        let s = samples_slice(&samples)?;
        let near = py.detach(|| run(|| self.inner.nearest(s)));
        let d2: Vec<f64> = near.iter().map(|r| r.smooth_d2).collect();
        let pts: Vec<f64> = near.iter().flat_map(|r| r.smooth_point).collect();
        let idx: Vec<i64> = near.iter().map(|r| r.singular.map_or(-1, |(i, _)| i as i64)).collect();
        let sd2: Vec<f64> = near.iter().map(|r| r.singular.map_or(f64::INFINITY, |(_, d)| d)).collect();
        let rows = near.len();
        Ok((d2.into_pyarray(py), pts.into_pyarray(py).reshape([rows, 2])?, idx.into_pyarray(py), sd2.into_pyarray(py)))
    }
}

/// The samples (B, 2) of chunk `chunk` of a run: those its counts are made of.
#[pyfunction]
#[pyo3(signature = (distribution_kind, a, b, seed, chunk, chunk_size, n))]
#[allow(clippy::too_many_arguments)]
pub fn voronoi_chunk_samples<'py>(
    py: Python<'py>,
    distribution_kind: &str,
    a: [f64; 2],
    b: [f64; 2],
    seed: u64,
    chunk: u64,
    chunk_size: u64,
    n: u64,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let d = distribution(distribution_kind, a, b)?;
    let out = chunk_samples(&d, seed, chunk, chunk_size, n);
    let rows = out.len() / 2;
    out.into_pyarray(py).reshape([rows, 2])
}

/// Unions of faces of polyhedral cones, for nearest-point queries.
#[pyclass(frozen, module = "neuromanifold._core")]
pub struct FaceUnions {
    groups: Vec<neuromanifold::voronoi::polyhedral::FaceUnions>,
    dim: usize,
}

#[pymethods]
impl FaceUnions {
    /// `groups`: for each column layout (face sizes, a free first column, pseudo-inverse rows
    /// (C m, dim), generators (C m, dim), indices (C,)).
    #[new]
    #[allow(clippy::type_complexity)]
    fn new(
        dim: usize,
        groups: Vec<(Vec<usize>, bool, PyReadonlyArray2<'_, f64>, PyReadonlyArray2<'_, f64>, Vec<usize>)>,
    ) -> PyResult<Self> {
        let groups = groups
            .into_iter()
            .map(|(sizes, free_first, pinv, generators, index)| {
                Ok(neuromanifold::voronoi::polyhedral::FaceUnions {
                    sizes,
                    free_first,
                    pinv_rows: array_rows(&pinv, dim)?,
                    generator_rows: array_rows(&generators, dim)?,
                    index,
                })
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok(FaceUnions { groups, dim })
    }

    /// For data (B, dim): the least squared distance over unions of at most counts[t] faces
    /// (B, T), and for counts[0] the nearest union, the second best (-1: none) and its distance.
    fn nearest<'py>(
        &self,
        py: Python<'py>,
        data: PyReadonlyArray2<'py, f64>,
        counts: Vec<usize>,
    ) -> PyResult<NearestArrays<'py>> {
        let flat = data_rows(&data, self.dim)?;
        let dim = self.dim;
        let out = py
            .detach(|| run(|| neuromanifold::voronoi::polyhedral::nearest_unions(&self.groups, &flat, dim, &counts)))
            .py()?;
        nearest_arrays(py, &out, counts.len())
    }
}

/// Nearest unions as numpy: the least values (B, T), the nearest union, the second best (-1:
/// none) and its value.
type NearestArrays<'py> =
    (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<f64>>);

/// The rows of data (B, dim), flattened, or a shape error.
fn data_rows(data: &PyReadonlyArray2<'_, f64>, dim: usize) -> PyResult<Vec<f64>> {
    if data.shape()[1] != dim {
        return Err(to_py(neuromanifold::Error::Shape(format!(
            "data must have shape (B, {dim}), got {:?}",
            data.shape()
        ))));
    }
    Ok(data.as_array().iter().copied().collect())
}

/// The rows (n, width) of an array, flattened (no rows: any width), or a shape error.
fn array_rows(a: &PyReadonlyArray2<'_, f64>, width: usize) -> PyResult<Vec<f64>> {
    if a.shape()[0] > 0 && a.shape()[1] != width {
        return Err(to_py(neuromanifold::Error::Shape(format!(
            "rows of length {width} expected, got {:?}",
            a.shape()
        ))));
    }
    Ok(a.as_array().iter().copied().collect())
}

fn nearest_arrays<'py>(
    py: Python<'py>,
    out: &[neuromanifold::voronoi::polyhedral::NearestUnion],
    counts: usize,
) -> PyResult<NearestArrays<'py>> {
    let rows = out.len();
    let best: Vec<f64> = out.iter().flat_map(|r| r.best.iter().copied()).collect();
    let first: Vec<i64> = out.iter().map(|r| r.first.map_or(-1, |f| f as i64)).collect();
    let runner: Vec<i64> = out.iter().map(|r| r.runner.map_or(-1, |(i, _)| i as i64)).collect();
    let runner_value: Vec<f64> = out.iter().map(|r| r.runner.map_or(f64::INFINITY, |(_, v)| v)).collect();
    Ok((
        best.into_pyarray(py).reshape([rows, counts])?,
        first.into_pyarray(py),
        runner.into_pyarray(py),
        runner_value.into_pyarray(py),
    ))
}

/// The nearest point of a union of two 2-dimensional cones (rows (p_1, q_1, p_2, q_2), 4 x
/// points) to data (outputs x points, flattened): its squared distance and (z_1, z_2), or None.
#[pyfunction]
pub fn cone_pair_point(
    data: PyReadonlyArray1<'_, f64>,
    rows: PyReadonlyArray2<'_, f64>,
    outputs: usize,
) -> PyResult<Option<(f64, (f64, f64))>> {
    let points = rows.shape()[1];
    let (y, h) = (data.as_array().to_vec(), rows.as_array().iter().copied().collect::<Vec<f64>>());
    if rows.shape()[0] != 4 || y.len() != outputs * points {
        return Err(to_py(neuromanifold::Error::Shape(format!(
            "rows must have shape (4, K) and data K * outputs entries, got {:?} and {}",
            rows.shape(),
            y.len()
        ))));
    }
    if y.iter().chain(&h).any(|v| !v.is_finite()) {
        return Err(to_py(neuromanifold::Error::NonFinite("data or rows with NaN or infinity".into())));
    }
    let found = neuromanifold::voronoi::cone_pairs::pair_distance(&y, &h, points, outputs).py()?;
    Ok(found.map(|(d, z)| (d, (z[0], z[1]))))
}

/// The unions of faces of one or two neurons' cones, for nearest points with several outputs.
#[pyclass(frozen, module = "neuromanifold._core")]
pub struct RankOneFaces {
    groups: Vec<neuromanifold::voronoi::rank_one::RankOneFaces>,
    pairs: Vec<neuromanifold::voronoi::cone_pairs::ConePairs>,
    points: usize,
    outputs: usize,
}

#[pymethods]
impl RankOneFaces {
    /// `groups`: per layout (cone size k, free directions f, free bases (C f, points), cone bases
    /// (C k, points), generator coefficients of the basis vectors (C k, k), neurons (C,),
    /// indices (C,)); `pairs`: unions of two 2-dimensional cones (centred, rows (p_1, q_1, p_2,
    /// q_2) (C 4, points), indices (C,)).
    #[new]
    #[pyo3(signature = (points, outputs, groups, pairs = Vec::new()))]
    #[allow(clippy::type_complexity)]
    fn new(
        points: usize,
        outputs: usize,
        groups: Vec<(
            usize,
            usize,
            PyReadonlyArray2<'_, f64>,
            PyReadonlyArray2<'_, f64>,
            PyReadonlyArray2<'_, f64>,
            Vec<usize>,
            Vec<usize>,
        )>,
        pairs: Vec<(bool, PyReadonlyArray2<'_, f64>, Vec<usize>)>,
    ) -> PyResult<Self> {
        let groups = groups
            .into_iter()
            .map(|(size, free, free_rows, basis, coefficients, neurons, index)| {
                Ok(neuromanifold::voronoi::rank_one::RankOneFaces {
                    size,
                    free,
                    free_rows: array_rows(&free_rows, points)?,
                    basis_rows: array_rows(&basis, points)?,
                    coefficient_rows: array_rows(&coefficients, size)?,
                    neurons,
                    index,
                })
            })
            .collect::<PyResult<Vec<_>>>()?;
        let pairs = pairs
            .into_iter()
            .map(|(centre, generators, index)| {
                Ok(neuromanifold::voronoi::cone_pairs::ConePairs {
                    centre,
                    rows: array_rows(&generators, points)?,
                    index,
                })
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok(RankOneFaces { groups, pairs, points, outputs })
    }

    /// For data (B, outputs * points), output by output: as ``FaceUnions.nearest``.
    fn nearest<'py>(
        &self,
        py: Python<'py>,
        data: PyReadonlyArray2<'py, f64>,
        counts: Vec<usize>,
    ) -> PyResult<NearestArrays<'py>> {
        let flat = data_rows(&data, self.points * self.outputs)?;
        let (points, outputs) = (self.points, self.outputs);
        let out = py
            .detach(|| {
                run(|| {
                    neuromanifold::voronoi::rank_one::nearest_rank_one(
                        &self.groups,
                        &self.pairs,
                        &flat,
                        points,
                        outputs,
                        &counts,
                    )
                })
            })
            .py()?;
        nearest_arrays(py, &out, counts.len())
    }
}
