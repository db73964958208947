//! Errors of the core crate: bad model input (caller's fault, exit code 2 in the CLI) and
//! simulation failures (exit code 1).

use thiserror::Error;

/// Everything that can go wrong in `basintwin-core`.
#[derive(Debug, Error)]
pub enum CoreError {
    /// A model field is out of its valid range; `what` names the field, `expected` the rule.
    #[error("invalid {what}: {detail} (expected {expected})")]
    Invalid {
        what: &'static str,
        detail: String,
        expected: &'static str,
    },
    /// An array does not match the grid.
    #[error("{what} has {got} values but the grid has {nx} x {ny} = {cells} cells")]
    SizeMismatch {
        what: &'static str,
        got: usize,
        nx: usize,
        ny: usize,
        cells: usize,
    },
    /// The solution blew up (NaN or infinite depth), or the time step collapsed.
    #[error("simulation unstable at t = {time_s:.6} s: {detail}")]
    Unstable { time_s: f64, detail: String },
    /// The run was asked to stop (Ctrl-C) and did, after a whole step.
    #[error("interrupted at t = {time_s:.3} s")]
    Interrupted { time_s: f64 },
    /// A backend-specific failure (used by other backends, e.g. the GPU).
    #[error("backend {backend}: {detail}")]
    Backend { backend: String, detail: String },
}

impl CoreError {
    /// Whether the error is the user's input (exit code 2) rather than a run failure (1).
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            CoreError::Invalid { .. } | CoreError::SizeMismatch { .. }
        )
    }
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;
