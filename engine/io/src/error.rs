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

/// ": no space left on device (disk full)" (or the quota) when the folder of `path` has no room
/// left, else nothing: appended to write errors so that they say why. The library behind a
/// failed write (GDAL, HDF5) does not always keep the system's reason, so this probes the folder
/// with a 1 MiB write (less room than that counts as full).
pub(crate) fn space_hint(path: &std::path::Path) -> String {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let probe = dir.join(".basintwin-space-probe");
    let result = std::fs::write(&probe, vec![0u8; 1 << 20]);
    let _ = std::fs::remove_file(&probe);
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::StorageFull || e.raw_os_error() == Some(28) => {
            ": no space left on device (disk full)".into()
        }
        Err(e) if e.kind() == std::io::ErrorKind::QuotaExceeded => ": disk quota exceeded".into(),
        _ => String::new(),
    }
}
