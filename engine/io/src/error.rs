//! Errors of `basintwin-io`: each names the file and says what was wrong and what was expected.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum IoError {
    #[error("{path}: no such file")]
    NotFound { path: PathBuf },
    #[error("{path}: not a raster GDAL can read ({detail})")]
    NotARaster { path: PathBuf, detail: String },
    #[error("{path}: {what}")]
    Invalid { path: PathBuf, what: String },
    #[error("{path}: GDAL failed {what}: {detail}")]
    Gdal {
        path: PathBuf,
        what: String,
        detail: String,
    },
    #[error("{path}: already exists; pass --overwrite (or choose another output) to replace it")]
    Exists { path: PathBuf },
    #[error("{path}: cannot write: {detail}")]
    Write { path: PathBuf, detail: String },
}

impl IoError {
    /// Whether the error is the user's input (exit code 2) rather than a failure of the machine.
    pub fn is_input_error(&self) -> bool {
        !matches!(self, IoError::Gdal { .. })
    }
}
