//! Python bindings of the neuromanifold core: convert, release the GIL, call.

mod errors;
mod network;
mod system;
mod threads;
mod voronoi;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("NeuromanifoldError", m.py().get_type::<errors::NeuromanifoldError>())?;
    m.add("PRIME", neuromanifold::scalar::PRIME)?;
    m.add_class::<network::Network>()?;
    m.add_class::<network::ReluNetwork>()?;
    m.add_class::<system::System>()?;
    m.add_class::<voronoi::PlaneCurve>()?;
    m.add_class::<voronoi::FaceUnions>()?;
    m.add_class::<voronoi::RankOneFaces>()?;
    m.add_function(wrap_pyfunction!(voronoi::voronoi_chunk_samples, m)?)?;
    m.add_function(wrap_pyfunction!(voronoi::cone_pair_point, m)?)?;
    m.add_function(wrap_pyfunction!(network::parse_spec, m)?)?;
    m.add_function(wrap_pyfunction!(threads::set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(threads::get_num_threads, m)?)?;
    Ok(())
}
