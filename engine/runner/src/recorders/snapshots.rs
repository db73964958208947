//! Snapshots of the fields into `snapshots.h5`, at the outputs the plan marks.

use basintwin_core::{Output, Real, RecordError, Recorder};
use basintwin_io::SnapshotWriter;

/// Appends the state at each snapshot output.
#[derive(Debug)]
pub struct SnapshotRecorder {
    writer: SnapshotWriter,
}

impl SnapshotRecorder {
    pub fn new(writer: SnapshotWriter) -> Self {
        Self { writer }
    }
}

impl<R: Real> Recorder<R> for SnapshotRecorder {
    fn name(&self) -> &'static str {
        "snapshots"
    }

    fn record(&mut self, out: &Output<'_, R>) -> Result<(), RecordError> {
        if out.due.snapshot {
            self.writer.append(out.time_s, out.state)?;
        }
        Ok(())
    }
}
