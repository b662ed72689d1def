//! The one place where core errors become Python exceptions.

use neuromanifold::Error;
use pyo3::exceptions::{PyNotImplementedError, PyValueError};
use pyo3::prelude::*;

pyo3::create_exception!(
    _core,
    NeuromanifoldError,
    PyValueError,
    "Invalid input or a failed computation in neuromanifold (a ValueError)."
);

pub fn to_py(e: Error) -> PyErr {
    match e {
        Error::Unsupported(msg) => PyNotImplementedError::new_err(msg),
        other => NeuromanifoldError::new_err(other.to_string()),
    }
}

pub trait IntoPyResult<T> {
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Error> {
    fn py(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}
