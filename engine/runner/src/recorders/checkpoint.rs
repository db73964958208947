//! `checkpoint.bin`: written atomically (temporary file, fsync, rename), so that a run killed at
//! any moment leaves the last complete checkpoint.

use std::path::{Path, PathBuf};

use anyhow::Result;
use basintwin_core::{Checkpoint, CheckpointStore, RecordError};
use basintwin_io::run_folder::write_atomically;

use crate::error::input;

/// Checkpoints into one file of the run folder.
#[derive(Debug)]
pub struct CheckpointFile {
    path: PathBuf,
}

impl CheckpointFile {
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }
}

impl CheckpointStore for CheckpointFile {
    fn store(&mut self, c: &Checkpoint) -> Result<(), RecordError> {
        write_atomically(&self.path, &c.to_bytes())?;
        Ok(())
    }
}

/// Reads the checkpoint of an earlier run from `path`.
pub fn read_checkpoint(path: &Path) -> Result<Checkpoint> {
    let bytes = std::fs::read(path).map_err(|e| {
        input(format!(
            "{}: cannot read the checkpoint to resume from: {e} (a checkpoint is written every output.checkpoint_interval_s, when a run is stopped with Ctrl-C, or at the end with output.checkpoint_at_end = true)",
            path.display()
        ))
    })?;
    Checkpoint::from_bytes(&bytes).map_err(|e| input(format!("{}: {e}", path.display())))
}
