//! Polynomial systems and homotopy continuation: numpy in, numpy out, the GIL released.

use neuromanifold as core;
use neuromanifold::{Complex64, PathStatus};
use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::IntoPyResult;
use crate::threads::run;

/// A compiled square polynomial system F(x; p) = 0.
#[pyclass(frozen, module = "neuromanifold._core")]
pub struct System {
    inner: core::System,
}

fn contiguous<'a, T: numpy::Element, D: numpy::ndarray::Dimension>(
    a: &'a numpy::PyReadonlyArray<'_, T, D>,
) -> PyResult<&'a [T]> {
    a.as_slice().map_err(|_| pyo3::exceptions::PyValueError::new_err("array must be C-contiguous"))
}

#[pymethods]
impl System {
    /// `equations[i] = (coefficients (T,), exponents (T, n_vars + n_params))`.
    #[new]
    fn new(
        n_vars: usize,
        n_params: usize,
        equations: Vec<(PyReadonlyArray1<'_, Complex64>, PyReadonlyArray2<'_, u32>)>,
    ) -> PyResult<Self> {
        let mut eqs = Vec::with_capacity(equations.len());
        for (i, (c, e)) in equations.iter().enumerate() {
            let coeffs = contiguous(c)?;
            let exps = contiguous(e)?;
            let width = e.shape()[1];
            if e.shape()[0] != coeffs.len() {
                return Err(crate::errors::to_py(core::Error::Shape(format!(
                    "equation {i}: {} coefficients but {} exponent rows",
                    coeffs.len(),
                    e.shape()[0]
                ))));
            }
            let terms = coeffs
                .iter()
                .enumerate()
                .map(|(k, &coefficient)| core::Term {
                    coefficient,
                    exponents: exps[k * width..(k + 1) * width].to_vec(),
                })
                .collect();
            eqs.push(terms);
        }
        Ok(System { inner: core::System::new(n_vars, n_params, eqs).py()? })
    }
    #[getter]
    fn n_vars(&self) -> usize {
        self.inner.n_vars()
    }
    #[getter]
    fn n_params(&self) -> usize {
        self.inner.n_params()
    }
    /// The multihomogeneous Bezout number of a partition of the variables.
    fn multihomogeneous_bezout_number(&self, groups: Vec<Vec<usize>>) -> PyResult<f64> {
        let sizes: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        core::homotopy::start::check_partition(&groups, self.inner.n_vars()).map_err(crate::errors::to_py)?;
        Ok(core::homotopy::start::bezout_number(&core::homotopy::start::multidegrees(&self.inner, &groups), &sizes))
    }
    /// The partition with the smallest multihomogeneous Bezout number, and that number.
    fn best_variable_groups(&self) -> (Vec<Vec<usize>>, f64) {
        core::homotopy::start::best_partition(&self.inner)
    }
    #[getter]
    fn degrees(&self) -> Vec<usize> {
        self.inner.degrees().to_vec()
    }
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray1<'py, Complex64>,
        p: PyReadonlyArray1<'py, Complex64>,
    ) -> PyResult<Bound<'py, PyArray1<Complex64>>> {
        let (x, p) = (contiguous(&x)?, contiguous(&p)?);
        self.check(x, p)?;
        Ok(self.inner.evaluate(x, p).into_pyarray(py))
    }
    fn jacobian<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray1<'py, Complex64>,
        p: PyReadonlyArray1<'py, Complex64>,
    ) -> PyResult<Bound<'py, PyArray2<Complex64>>> {
        let (x, p) = (contiguous(&x)?, contiguous(&p)?);
        self.check(x, p)?;
        let n = self.inner.n_vars();
        self.inner.jacobian(x, p).into_pyarray(py).reshape([n, n])
    }
    /// Homotopy from a start system ("auto", "total_degree" or "multihomogeneous" with
    /// variable groups), in unknowns scaled by the coefficients' sizes if `scale`; a
    /// dictionary of per-path arrays.
    #[pyo3(signature = (p, seed, start="auto", groups=None, scale=true))]
    fn solve<'py>(
        &self,
        py: Python<'py>,
        p: PyReadonlyArray1<'py, Complex64>,
        seed: u64,
        start: &str,
        groups: Option<Vec<Vec<usize>>>,
        scale: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let p = contiguous(&p)?;
        let start = start_system(start, groups)?;
        let opts = core::SolveOptions { seed, start, scale, ..Default::default() };
        let sys = &self.inner;
        let res = py.detach(|| run(|| core::solve(sys, p, &opts))).py()?;
        paths_to_dict(py, &res, sys.n_vars())
    }

    /// Monodromy at random complex parameters: (parameters, solutions (S x n), loops).
    #[pyo3(signature = (seed, loops_without_new, max_loops, target_count=None))]
    fn monodromy<'py>(
        &self,
        py: Python<'py>,
        seed: u64,
        loops_without_new: usize,
        max_loops: usize,
        target_count: Option<usize>,
    ) -> PyResult<(Bound<'py, PyArray1<Complex64>>, Bound<'py, PyArray2<Complex64>>, usize)> {
        let opts = core::MonodromyOptions {
            solve: core::SolveOptions { seed, ..Default::default() },
            loops_without_new,
            max_loops,
            target_count,
        };
        let sys = &self.inner;
        let res = py.detach(|| run(|| core::monodromy_solve(sys, &opts))).py()?;
        let n = sys.n_vars();
        let s = res.solutions.len();
        let flat: Vec<Complex64> = res.solutions.into_iter().flatten().collect();
        Ok((res.parameters.into_pyarray(py), flat.into_pyarray(py).reshape([s, n])?, res.loops))
    }

    /// Parameter homotopy from `start_params` to each row of `targets`: one dictionary per target.
    fn track<'py>(
        &self,
        py: Python<'py>,
        start_solutions: PyReadonlyArray2<'py, Complex64>,
        start_params: PyReadonlyArray1<'py, Complex64>,
        targets: PyReadonlyArray2<'py, Complex64>,
        seed: u64,
        retry_failed: bool,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let n = self.inner.n_vars();
        let np = self.inner.n_params();
        if start_solutions.shape()[1] != n || targets.shape()[1] != np {
            return Err(crate::errors::to_py(core::Error::Shape(format!(
                "start solutions must have {n} columns and targets {np} columns"
            ))));
        }
        let starts: Vec<Vec<Complex64>> = contiguous(&start_solutions)?.chunks(n.max(1)).map(|c| c.to_vec()).collect();
        let tg: Vec<Vec<Complex64>> = if np == 0 {
            vec![vec![]; targets.shape()[0]]
        } else {
            contiguous(&targets)?.chunks(np).map(|c| c.to_vec()).collect()
        };
        let p0 = contiguous(&start_params)?;
        let opts = core::SolveOptions { seed, retry_failed, ..Default::default() };
        let sys = &self.inner;
        let res = py.detach(|| run(|| core::track_parameters(sys, &starts, p0, &tg, &opts))).py()?;
        res.iter().map(|r| paths_to_dict(py, r, n)).collect()
    }
}

fn start_system(start: &str, groups: Option<Vec<Vec<usize>>>) -> PyResult<core::Start> {
    let unknown = |what: String| crate::errors::to_py(core::Error::Shape(what));
    match (start, groups) {
        ("auto", None) => Ok(core::Start::Auto),
        ("total_degree", None) => Ok(core::Start::TotalDegree),
        ("multihomogeneous", Some(g)) => Ok(core::Start::Multihomogeneous(g)),
        ("multihomogeneous", None) => Ok(core::Start::Auto),
        (s, Some(_)) if s != "multihomogeneous" => {
            Err(unknown(format!("variable groups need start='multihomogeneous', got {s:?}")))
        }
        (s, _) => Err(unknown(format!("start must be 'auto', 'total_degree' or 'multihomogeneous', got {s:?}"))),
    }
}

fn paths_to_dict<'py>(py: Python<'py>, res: &[core::PathResult], n: usize) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let status: Vec<&str> = res.iter().map(|r| r.status.name()).collect();
    let mut sol = vec![Complex64::new(f64::NAN, f64::NAN); res.len() * n];
    for (k, r) in res.iter().enumerate() {
        if matches!(r.status, PathStatus::Nonsingular | PathStatus::Singular) {
            sol[k * n..(k + 1) * n].copy_from_slice(&r.solution);
        }
    }
    d.set_item("status", status)?;
    d.set_item("endpoints", sol.into_pyarray(py).reshape([res.len(), n])?)?;
    d.set_item("residual", res.iter().map(|r| r.residual).collect::<Vec<_>>().into_pyarray(py))?;
    d.set_item("condition", res.iter().map(|r| r.condition).collect::<Vec<_>>().into_pyarray(py))?;
    d.set_item("winding", res.iter().map(|r| r.winding as i64).collect::<Vec<_>>().into_pyarray(py))?;
    d.set_item("multiplicity", res.iter().map(|r| r.multiplicity as i64).collect::<Vec<_>>().into_pyarray(py))?;
    d.set_item("steps", res.iter().map(|r| r.steps as i64).collect::<Vec<_>>().into_pyarray(py))?;
    Ok(d)
}

impl System {
    fn check(&self, x: &[Complex64], p: &[Complex64]) -> PyResult<()> {
        if x.len() != self.inner.n_vars() {
            return Err(crate::errors::to_py(core::Error::Shape(format!(
                "x has length {}, the system has {} variables",
                x.len(),
                self.inner.n_vars()
            ))));
        }
        if x.iter().any(|z| !(z.re.is_finite() && z.im.is_finite())) {
            return Err(crate::errors::to_py(core::Error::NonFinite("x contains NaN or infinity".into())));
        }
        self.inner.check_params(p).py()
    }
}
