//! Networks: numpy arrays in, numpy arrays out, the GIL released around every computation.

use std::sync::Arc;

use neuromanifold as core;
use neuromanifold::{Architecture, Complex64, Spec};
use numpy::{
    IntoPyArray, PyArray, PyArray1, PyArray2, PyArray3, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2,
    PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{to_py, IntoPyResult};
use crate::threads::run;

/// A numpy array of shape `dims` filled by `f` with the GIL released. numpy allocates it
/// (large arrays get huge pages, which makes writing them cheap).
fn computed<'py, T, ID>(
    py: Python<'py>,
    dims: ID,
    f: impl FnOnce(&mut [T]) -> core::Result<()> + Send,
) -> PyResult<Bound<'py, PyArray<T, ID::Dim>>>
where
    T: numpy::Element + Send,
    ID: numpy::ndarray::IntoDimension,
{
    // SAFETY: every `_into` function of the core writes every entry of its output before it
    // returns Ok; on error the array is dropped unread.
    let out = unsafe { PyArray::<T, ID::Dim>::new(py, dims, false) };
    {
        let mut view = out.readwrite();
        let o = view.as_slice_mut().map_err(|_| pyo3::exceptions::PyValueError::new_err("output not contiguous"))?;
        py.detach(|| run(|| f(o))).py()?;
    }
    Ok(out)
}

fn slice<'a, T: numpy::Element>(a: &'a PyReadonlyArray2<'_, T>) -> PyResult<&'a [T]> {
    a.as_slice().map_err(|_| pyo3::exceptions::PyValueError::new_err("array must be C-contiguous"))
}

fn describe<'py>(py: Python<'py>, spec: &Spec) -> PyResult<(String, Bound<'py, PyDict>)> {
    let d = PyDict::new(py);
    let family = match spec {
        Spec::Algebraic(Architecture::Linear(a)) => {
            d.set_item("widths", a.widths().to_vec())?;
            "linear"
        }
        Spec::Algebraic(Architecture::Polynomial(a)) => {
            d.set_item("widths", a.widths().to_vec())?;
            d.set_item("activation", a.activation().coefficients().to_vec())?;
            d.set_item("bias", a.bias())?;
            "poly"
        }
        Spec::Algebraic(Architecture::Conv(a)) => {
            d.set_item("filters", a.filters().to_vec())?;
            d.set_item("strides", a.strides().to_vec())?;
            d.set_item("activation", a.activation().map(|s| s.coefficients().to_vec()))?;
            "conv"
        }
        Spec::Algebraic(Architecture::Attention(a)) => {
            let (dd, dout, aa, t) = a.sizes();
            d.set_item("d", dd)?;
            d.set_item("d_out", dout)?;
            d.set_item("a", aa)?;
            d.set_item("t", t)?;
            "attention"
        }
        Spec::Algebraic(Architecture::Residual(a)) => {
            d.set_item("width", a.width())?;
            d.set_item("layers", a.layers())?;
            "residual"
        }
        Spec::Relu(a) => {
            d.set_item("widths", a.widths().to_vec())?;
            d.set_item("bias", a.bias())?;
            "relu"
        }
    };
    Ok((family.to_string(), d))
}

/// Parse a text specification into (family, keyword arguments).
#[pyfunction]
pub fn parse_spec<'py>(py: Python<'py>, spec: &str) -> PyResult<(String, Bound<'py, PyDict>)> {
    let s = core::parse(spec).py()?;
    describe(py, &s)
}

/// A compiled algebraic network (the parametrization mu as a straight-line program).
#[pyclass(frozen, module = "neuromanifold._core")]
pub struct Network {
    inner: Arc<core::Network>,
}

fn build(py: Python<'_>, arch: core::Result<Architecture>) -> PyResult<Network> {
    let arch = arch.py()?;
    let net = py.detach(|| core::Network::new(arch)).py()?;
    Ok(Network { inner: Arc::new(net) })
}

fn activation(coefficients: Vec<f64>) -> core::Result<core::Activation> {
    core::Activation::from_coefficients(&coefficients)
}

#[pymethods]
impl Network {
    #[staticmethod]
    fn linear(py: Python<'_>, widths: Vec<usize>) -> PyResult<Self> {
        build(py, core::LinearNetwork::new(&widths).map(Into::into))
    }
    #[staticmethod]
    fn polynomial(py: Python<'_>, widths: Vec<usize>, coefficients: Vec<f64>, bias: bool) -> PyResult<Self> {
        build(py, activation(coefficients).and_then(|a| core::PolynomialNetwork::new(&widths, a, bias)).map(Into::into))
    }
    #[staticmethod]
    #[pyo3(signature = (filters, strides, coefficients=None))]
    fn conv(
        py: Python<'_>,
        filters: Vec<usize>,
        strides: Vec<usize>,
        coefficients: Option<Vec<f64>>,
    ) -> PyResult<Self> {
        let arch = coefficients
            .map(activation)
            .transpose()
            .and_then(|a| core::ConvNetwork::new(&filters, &strides, a))
            .map(Into::into);
        build(py, arch)
    }
    #[staticmethod]
    fn attention(py: Python<'_>, d: usize, d_out: usize, a: usize, t: usize) -> PyResult<Self> {
        build(py, core::LightningAttention::new(d, d_out, a, t).map(Into::into))
    }
    #[staticmethod]
    fn residual(py: Python<'_>, width: usize, layers: usize) -> PyResult<Self> {
        build(py, core::ResidualLinearNetwork::new(width, layers).map(Into::into))
    }

    #[getter]
    fn n_params(&self) -> usize {
        self.inner.n_params()
    }
    #[getter]
    fn ambient_dim(&self) -> usize {
        self.inner.ambient_dim()
    }
    #[getter]
    fn n_inputs(&self) -> usize {
        self.inner.n_inputs()
    }
    #[getter]
    fn n_outputs(&self) -> usize {
        self.inner.n_outputs()
    }
    #[getter]
    fn symmetry_dim(&self) -> usize {
        self.inner.symmetry_dim()
    }
    #[getter]
    fn expected_dim(&self) -> usize {
        self.inner.expected_dim()
    }
    #[getter]
    fn spec(&self) -> String {
        self.inner.architecture().to_string()
    }
    /// Number of multiplications in one evaluation of mu.
    #[getter]
    fn n_products(&self) -> usize {
        self.inner.program().n_products()
    }
    fn symmetries(&self) -> Vec<String> {
        self.inner.symmetries()
    }
    fn monomials<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<i64>>> {
        let m = self.inner.monomials();
        let n = self.inner.n_inputs();
        let flat: Vec<i64> = m.iter().flat_map(|e| e.iter().map(|&x| x as i64)).collect();
        flat.into_pyarray(py).reshape([m.len(), n])
    }

    fn mu<'py>(&self, py: Python<'py>, theta: PyReadonlyArray2<'py, f64>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let b = theta.shape()[0];
        let t = slice(&theta)?;
        let net = &self.inner;
        computed(py, [b, net.ambient_dim()], |o| net.mu_batch_into(t, o))
    }
    fn mu_complex<'py>(
        &self,
        py: Python<'py>,
        theta: PyReadonlyArray2<'py, Complex64>,
    ) -> PyResult<Bound<'py, PyArray2<Complex64>>> {
        let b = theta.shape()[0];
        let t = slice(&theta)?;
        let net = &self.inner;
        computed(py, [b, net.ambient_dim()], |o| net.mu_batch_into(t, o))
    }
    fn jacobian<'py>(&self, py: Python<'py>, theta: PyReadonlyArray2<'py, f64>) -> PyResult<Bound<'py, PyArray3<f64>>> {
        let b = theta.shape()[0];
        let t = slice(&theta)?;
        let net = &self.inner;
        computed(py, [b, net.ambient_dim(), net.n_params()], |o| net.jacobian_batch_into(t, o))
    }
    fn jacobian_complex<'py>(
        &self,
        py: Python<'py>,
        theta: PyReadonlyArray2<'py, Complex64>,
    ) -> PyResult<Bound<'py, PyArray3<Complex64>>> {
        let b = theta.shape()[0];
        let t = slice(&theta)?;
        let net = &self.inner;
        computed(py, [b, net.ambient_dim(), net.n_params()], |o| net.jacobian_batch_into(t, o))
    }
    /// d^2 mu_a / d theta_i d theta_j at one theta: (A, N, N).
    fn hessian<'py>(&self, py: Python<'py>, theta: PyReadonlyArray1<'py, f64>) -> PyResult<Bound<'py, PyArray3<f64>>> {
        let t = theta.as_slice().map_err(|_| pyo3::exceptions::PyValueError::new_err("array must be C-contiguous"))?;
        let net = &self.inner;
        let (a, n) = (net.ambient_dim(), net.n_params());
        computed(py, [a, n, n], |o| {
            o.copy_from_slice(&net.hessian(t)?);
            Ok(())
        })
    }
    /// mu as explicit polynomials in theta: per ambient coordinate, (exponents (T, N), coefficients (T,)).
    #[allow(clippy::type_complexity)]
    fn mu_polynomials<'py>(
        &self,
        py: Python<'py>,
        max_terms: usize,
    ) -> PyResult<Vec<(Bound<'py, PyArray2<i64>>, Bound<'py, PyArray1<f64>>)>> {
        let net = &self.inner;
        let polys = py.detach(|| run(|| net.mu_polynomials(max_terms))).py()?;
        let n = net.n_params();
        polys
            .into_iter()
            .map(|p| {
                let coeffs: Vec<f64> = p.values().copied().collect();
                let exps: Vec<i64> = p.keys().flat_map(|e| e.iter().map(|&k| k as i64)).collect();
                let exps = numpy::ndarray::Array2::from_shape_vec((coeffs.len(), n), exps)
                    .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
                Ok((exps.into_pyarray(py), coeffs.into_pyarray(py)))
            })
            .collect()
    }
    /// f_theta at the columns of x, for a batch of theta: (B, n_outputs, n_points).
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        theta: PyReadonlyArray2<'py, f64>,
        x: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<Bound<'py, PyArray3<f64>>> {
        let b = theta.shape()[0];
        let n_points = x.shape()[1];
        if x.shape()[0] != self.inner.n_inputs() {
            return Err(to_py(core::Error::Shape(format!(
                "input points must have {} rows (one per input variable), got {}",
                self.inner.n_inputs(),
                x.shape()[0]
            ))));
        }
        let (t, xs) = (slice(&theta)?, slice(&x)?);
        let net = &self.inner;
        let out = py.detach(|| run(|| net.evaluate_batch(t, xs, n_points))).py()?;
        out.into_pyarray(py).reshape([b, net.n_outputs(), n_points])
    }
    fn random_params<'py>(&self, py: Python<'py>, n: usize, seed: u64) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let v = self.inner.random_params(n, seed);
        v.into_pyarray(py).reshape([n, self.inner.n_params()])
    }
    /// (numerical rank, singular values) of the Jacobian at theta.
    /// Levenberg-Marquardt from starts (B, K, N) towards targets (B, A) over the parameters in
    /// `support`: best squared distance (B,) and its parameters (B, N).
    fn local_least_squares<'py>(
        &self,
        py: Python<'py>,
        support: Vec<usize>,
        targets: PyReadonlyArray2<'py, f64>,
        starts: numpy::PyReadonlyArray3<'py, f64>,
        iterations: usize,
    ) -> PyResult<(Bound<'py, PyArray1<f64>>, Bound<'py, PyArray2<f64>>)> {
        let (b, k) = (starts.shape()[0], starts.shape()[1]);
        let t = slice(&targets)?;
        let st =
            starts.as_slice().map_err(|_| pyo3::exceptions::PyValueError::new_err("array must be C-contiguous"))?;
        let net = &self.inner;
        let (d, theta) = py
            .detach(|| run(|| core::voronoi::local::local_least_squares(net.as_ref(), &support, t, st, k, iterations)))
            .py()?;
        let n = net.n_params();
        if targets.shape()[0] != b {
            return Err(to_py(core::Error::Shape(format!("{} targets but starts for {b}", targets.shape()[0]))));
        }
        Ok((d.into_pyarray(py), theta.into_pyarray(py).reshape([b, n])?))
    }
    fn jacobian_rank<'py>(
        &self,
        py: Python<'py>,
        theta: PyReadonlyArray1<'py, f64>,
    ) -> PyResult<(usize, Bound<'py, PyArray1<f64>>)> {
        let t = theta.as_slice().map_err(|_| pyo3::exceptions::PyValueError::new_err("array must be C-contiguous"))?;
        let net = &self.inner;
        let (r, s) = py.detach(|| core::jacobian_rank(net, t)).py()?;
        Ok((r, s.into_pyarray(py)))
    }
    fn exact_rank(&self, py: Python<'_>, seed: u64) -> PyResult<usize> {
        let net = &self.inner;
        py.detach(|| core::exact_rank(net, seed)).py()
    }
    fn dimension<'py>(&self, py: Python<'py>, seed: u64) -> PyResult<Bound<'py, PyDict>> {
        let net = &self.inner;
        let r = py.detach(|| core::dimension(net, seed)).py()?;
        let d = PyDict::new(py);
        d.set_item("dim", r.dim)?;
        d.set_item("gap", r.gap)?;
        d.set_item("singular_values", r.singular_values.into_pyarray(py))?;
        d.set_item("exact_rank", r.exact_rank)?;
        d.set_item("prime", r.prime)?;
        d.set_item("expected", r.expected)?;
        d.set_item("ambient", r.ambient)?;
        d.set_item("n_params", r.n_params)?;
        d.set_item("fiber_dim", r.fiber_dim)?;
        d.set_item("filling", r.filling)?;
        d.set_item("complex_filling", r.complex_filling)?;
        d.set_item("defect", r.defect)?;
        d.set_item("certified", r.certified)?;
        Ok(d)
    }
    /// [(description, family, kwargs, embedding)] of the subnetworks.
    fn subnetworks<'py>(&self, py: Python<'py>) -> PyResult<Vec<(String, String, Bound<'py, PyDict>, Vec<usize>)>> {
        self.inner
            .subnetworks()
            .into_iter()
            .map(|s| {
                let (fam, kw) = describe(py, &Spec::Algebraic(s.architecture.clone()))?;
                Ok((s.description, fam, kw, s.embedding))
            })
            .collect()
    }
    /// Dimension of the stratum mu(embedded subnetwork parameters).
    fn stratum_dimension(&self, py: Python<'_>, embedding: Vec<usize>, seed: u64) -> PyResult<usize> {
        let net = &self.inner;
        let sub = core::Subnetwork { description: String::new(), architecture: net.architecture().clone(), embedding };
        py.detach(|| core::stratum_dimension(net, &sub, seed)).py()
    }
    fn contains(&self, py: Python<'_>, f: PyReadonlyArray1<'_, f64>, tol: f64) -> PyResult<bool> {
        let fs = f.as_slice().map_err(|_| pyo3::exceptions::PyValueError::new_err("array must be C-contiguous"))?;
        let net = &self.inner;
        py.detach(|| net.contains(fs, tol)).py()
    }
}

/// A ReLU network, seen through its values at input points.
#[pyclass(frozen, module = "neuromanifold._core")]
pub struct ReluNetwork {
    inner: core::ReLUNetwork,
}

#[pymethods]
impl ReluNetwork {
    #[new]
    fn new(widths: Vec<usize>, bias: bool) -> PyResult<Self> {
        Ok(ReluNetwork { inner: core::ReLUNetwork::new(&widths, bias).py()? })
    }
    #[getter]
    fn n_params(&self) -> usize {
        self.inner.n_params()
    }
    #[getter]
    fn n_inputs(&self) -> usize {
        self.inner.n_inputs()
    }
    #[getter]
    fn n_outputs(&self) -> usize {
        self.inner.n_outputs()
    }
    #[getter]
    fn spec(&self) -> String {
        self.inner.to_string()
    }
    fn random_params<'py>(&self, py: Python<'py>, n: usize, seed: u64) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let v = core::network::random_normal(n * self.inner.n_params(), seed);
        v.into_pyarray(py).reshape([n, self.inner.n_params()])
    }
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        theta: PyReadonlyArray1<'py, f64>,
        x: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let n_points = x.shape()[1];
        let t = theta.as_slice().map_err(|_| pyo3::exceptions::PyValueError::new_err("array must be C-contiguous"))?;
        let xs = slice(&x)?;
        let net = &self.inner;
        let out = py.detach(|| net.evaluate(t, xs, n_points)).py()?;
        out.into_pyarray(py).reshape([net.n_outputs(), n_points])
    }
    fn jacobian<'py>(
        &self,
        py: Python<'py>,
        theta: PyReadonlyArray1<'py, f64>,
        x: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<Bound<'py, PyArray3<f64>>> {
        let n_points = x.shape()[1];
        let t = theta.as_slice().map_err(|_| pyo3::exceptions::PyValueError::new_err("array must be C-contiguous"))?;
        let xs = slice(&x)?;
        let net = &self.inner;
        let out = py.detach(|| run(|| net.jacobian(t, xs, n_points))).py()?;
        out.into_pyarray(py).reshape([net.n_outputs(), n_points, net.n_params()])
    }
    /// (hidden layer, widths, parameter positions) of each subnetwork with one neuron off.
    fn subnetworks(&self) -> Vec<(usize, Vec<usize>, Vec<usize>)> {
        self.inner.subnetworks().into_iter().map(|(layer, sub, emb)| (layer, sub.widths().to_vec(), emb)).collect()
    }
    /// Levenberg-Marquardt on |f_theta(X) - u|^2 (values at the columns of X, row-major d_L x
    /// n_points) from starts (B, K, N) over the parameters in `support`: best squared distance
    /// (B,) and its parameters (B, N).
    fn local_least_squares<'py>(
        &self,
        py: Python<'py>,
        support: Vec<usize>,
        x: PyReadonlyArray2<'py, f64>,
        targets: PyReadonlyArray2<'py, f64>,
        starts: numpy::PyReadonlyArray3<'py, f64>,
        iterations: usize,
    ) -> PyResult<(Bound<'py, PyArray1<f64>>, Bound<'py, PyArray2<f64>>)> {
        let (b, k) = (starts.shape()[0], starts.shape()[1]);
        if targets.shape()[0] != b {
            return Err(to_py(core::Error::Shape(format!("{} targets but starts for {b}", targets.shape()[0]))));
        }
        let (n_points, xs, t) = (x.shape()[1], slice(&x)?, slice(&targets)?);
        let st =
            starts.as_slice().map_err(|_| pyo3::exceptions::PyValueError::new_err("array must be C-contiguous"))?;
        let net = &self.inner;
        let (d, theta) = py
            .detach(|| {
                run(|| {
                    let model = core::voronoi::local::ValuesAtPoints::new(net, xs, n_points)?;
                    core::voronoi::local::local_least_squares(&model, &support, t, st, k, iterations)
                })
            })
            .py()?;
        Ok((d.into_pyarray(py), theta.into_pyarray(py).reshape([b, net.n_params()])?))
    }
}
