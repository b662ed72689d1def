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

/// Most threads a pool may have: more is a mistake, not a machine.
const MAX_THREADS: i64 = 4096;

/// Use `n` threads for parallel work (n = 0: one per core).
#[pyfunction]
pub fn set_num_threads(n: i64) -> PyResult<()> {
    if !(0..=MAX_THREADS).contains(&n) {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "the number of threads must be between 0 (one per core) and {MAX_THREADS}, got {n}"
        )));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n as usize)
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
