//! The thread pool the core's parallel loops run in.

use std::sync::{Arc, RwLock};

use pyo3::prelude::*;

static POOL: RwLock<Option<Arc<rayon::ThreadPool>>> = RwLock::new(None);

/// Run `f` in the pool chosen by `set_num_threads`, or rayon's global pool.
pub fn run<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    let pool = POOL.read().ok().and_then(|p| p.clone());
    match pool {
        Some(p) => p.install(f),
        None => f(),
    }
}

/// Use `n` threads for parallel work (n = 0: one per core).
#[pyfunction]
pub fn set_num_threads(n: usize) -> PyResult<()> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    *POOL.write().map_err(|_| pyo3::exceptions::PyRuntimeError::new_err("thread pool lock poisoned"))? =
        Some(Arc::new(pool));
    Ok(())
}

/// Number of threads parallel work uses.
#[pyfunction]
pub fn get_num_threads() -> usize {
    run(rayon::current_num_threads)
}
