//! The wall-clock time of a run, summed over its interruptions.

use std::time::Instant;

use basintwin_core::{Output, RecordError, Recorder};

/// Wall time spent before this process (restored from checkpoints) plus this process's.
#[derive(Debug)]
pub struct WallClock {
    before_s: f64,
    start: Instant,
}

impl Default for WallClock {
    fn default() -> Self {
        Self {
            before_s: 0.0,
            start: Instant::now(),
        }
    }
}

impl WallClock {
    /// Seconds of wall time over the whole run so far.
    pub fn total_s(&self) -> f64 {
        self.before_s + self.start.elapsed().as_secs_f64()
    }
}

impl<R> Recorder<R> for WallClock {
    fn name(&self) -> &'static str {
        "wall_clock"
    }

    fn record(&mut self, _: &Output<'_, R>) -> Result<(), RecordError> {
        Ok(())
    }

    fn save(&self) -> Option<serde_json::Value> {
        Some(serde_json::json!(self.total_s()))
    }

    fn restore(&mut self, saved: serde_json::Value) -> Result<(), RecordError> {
        self.before_s = super::saved(saved)?;
        Ok(())
    }
}
