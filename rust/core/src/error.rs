//! The one error type of the core. The Python binding maps it to exceptions in one place.

/// Everything that can go wrong in the core, named so that a user can act on it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// An architecture description that does not define a network (zero widths, empty lists...).
    #[error("invalid architecture: {0}")]
    InvalidArchitecture(String),
    /// An array with the wrong length or shape.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// NaN or infinity where finite numbers are required.
    #[error("non-finite input: {0}")]
    NonFinite(String),
    /// A computation whose size would not fit in memory.
    #[error("too large: {0}")]
    TooLarge(String),
    /// A text specification that cannot be parsed.
    #[error("cannot parse specification {spec:?}: {reason}")]
    Parse { spec: String, reason: String },
    /// A question the core cannot answer for this architecture.
    #[error("not supported: {0}")]
    Unsupported(String),
    /// A numerical routine that did not converge.
    #[error("numerical failure: {0}")]
    Numerical(String),
}

pub type Result<T> = std::result::Result<T, Error>;
