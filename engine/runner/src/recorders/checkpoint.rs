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

/// An ensemble's `checkpoint.bin`: the last output every member reached and each member's own
/// checkpoint (its state at a step boundary, its gauge series in `extra`).
///
/// Layout (little-endian): the magic line `BASINTWIN-ENSEMBLE-CHECKPOINT 1\n`, the reached time
/// as `f64`, the number of members as `u64`, then per member its length (`u64`) and its bytes
/// ([`Checkpoint::to_bytes`], each with its own checksum).
#[derive(Debug, Clone, PartialEq)]
pub struct MembersCheckpoint {
    pub reached_s: f64,
    pub members: Vec<Checkpoint>,
}

const MEMBERS_MAGIC: &[u8] = b"BASINTWIN-ENSEMBLE-CHECKPOINT 1\n";

impl MembersCheckpoint {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = MEMBERS_MAGIC.to_vec();
        out.extend_from_slice(&self.reached_s.to_le_bytes());
        out.extend_from_slice(&(self.members.len() as u64).to_le_bytes());
        for m in &self.members {
            let b = m.to_bytes();
            out.extend_from_slice(&(b.len() as u64).to_le_bytes());
            out.extend_from_slice(&b);
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let Some(mut rest) = bytes.strip_prefix(MEMBERS_MAGIC) else {
            return Err(
                "not an ensemble checkpoint (a single run's? resume one member with --member K)"
                    .into(),
            );
        };
        let mut take = |n: usize| -> Result<&[u8], String> {
            if rest.len() < n {
                return Err("truncated".into());
            }
            let (a, b) = rest.split_at(n);
            rest = b;
            Ok(a)
        };
        let word = |b: &[u8]| {
            let mut w = [0u8; 8];
            w.copy_from_slice(b);
            w
        };
        let reached_s = f64::from_le_bytes(word(take(8)?));
        let n = u64::from_le_bytes(word(take(8)?));
        let mut members = Vec::new();
        for k in 0..n {
            let len = usize::try_from(u64::from_le_bytes(word(take(8)?)))
                .map_err(|_| format!("member {k}: length"))?;
            let c = Checkpoint::from_bytes(take(len)?).map_err(|e| format!("member {k}: {e}"))?;
            members.push(c);
        }
        Ok(Self { reached_s, members })
    }

    /// Writes it atomically to `path`.
    pub fn store(&self, path: &Path) -> Result<()> {
        write_atomically(path, &self.to_bytes())?;
        Ok(())
    }
}

/// Reads an ensemble's checkpoint from `path`.
pub fn read_members_checkpoint(path: &Path) -> Result<MembersCheckpoint> {
    let bytes = std::fs::read(path).map_err(|e| {
        input(format!(
            "{}: cannot read the checkpoint to resume from: {e}",
            path.display()
        ))
    })?;
    MembersCheckpoint::from_bytes(&bytes).map_err(|e| input(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use basintwin_core::{Backend, CpuBackend, Grid, Scheme, SolverConfig, State, Terrain};

    #[test]
    fn an_ensemble_checkpoint_reads_back_and_refuses_damage() {
        let grid = Grid::new(4, 3, 1.0, 1.0).unwrap();
        let terrain = Terrain::new(&grid, vec![0.0; 12], 0.03).unwrap();
        let members: Vec<Checkpoint> = (0..3)
            .map(|k| {
                let state = State::<f64>::from_depth(&[0.1 * (k + 1) as f64; 12]);
                let cfg = SolverConfig::new(Scheme::Fv1);
                let mut b = CpuBackend::new(grid.clone(), &terrain, state, cfg, Some(1)).unwrap();
                b.advance_to(0.5).unwrap();
                b.checkpoint(format!("{{\"k\":{k}}}")).unwrap()
            })
            .collect();
        let c = MembersCheckpoint {
            reached_s: 0.5,
            members,
        };
        let bytes = c.to_bytes();
        let back = MembersCheckpoint::from_bytes(&bytes).unwrap();
        assert_eq!(back.to_bytes(), bytes);
        assert_eq!(back.members[2].header.extra, "{\"k\":2}");
        assert_eq!(back.members[1].arrays, c.members[1].arrays);
        assert!(MembersCheckpoint::from_bytes(&bytes[..bytes.len() - 3]).is_err());
        let single = c.members[0].to_bytes();
        let e = MembersCheckpoint::from_bytes(&single).unwrap_err();
        assert!(e.contains("--member K"), "{e}");
    }
}
