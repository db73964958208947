//! The recorders of a run from a scenario, one job each: snapshots into `snapshots.h5`, gauge
//! and section samples into their tables (row by row, so they can be followed), progress on the
//! terminal, the wall clock across resumes, and checkpoints written atomically.

mod checkpoint;
mod clock;
mod gauges;
mod progress;
mod sections;
mod snapshots;

pub use checkpoint::{CheckpointFile, MembersCheckpoint, read_checkpoint, read_members_checkpoint};
pub use clock::WallClock;
pub use gauges::GaugeRecorder;
pub use progress::Progress;
pub use sections::SectionRecorder;
pub use snapshots::SnapshotRecorder;

use basintwin_core::RecordError;

/// A recorder's saved data back from a checkpoint, as its own type.
fn saved<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, RecordError> {
    serde_json::from_value(v)
        .map_err(|e| format!("its data in the checkpoint is unreadable: {e}").into())
}

/// A recorder's data as JSON.
fn to_json<T: serde::Serialize>(v: &T) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}
