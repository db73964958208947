//! Errors of the GPU backend.

/// What can go wrong on the GPU side.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// No adapter, or none with the requested name; the text says how to get one.
    #[error("{0}")]
    NoAdapter(String),
    #[error("cannot open the GPU device: {0}")]
    Device(String),
    /// The model needs something the GPU backend does not do (yet), or the adapter's limits.
    #[error("{0}")]
    Unsupported(String),
    #[error("GPU: {0}")]
    Runtime(String),
}
