//! The run lifecycle, written once against [`Backend`]: an [`OutputPlan`] (snapshot and sampling
//! times merged once, checkpoints marked on it), [`Recorders`] that each do one thing with the
//! outputs, and an [`Outcome`]: finished, or interrupted at a step boundary after saving.
//!
//! The backend chooses its own time steps and lands exactly on every output time, so the loop
//! never reads the state between outputs (on the GPU the state stays on the device). A backend
//! that overlaps work with the host has output k recorded while it computes towards output
//! k + 1; at a checkpoint the loop waits, so the checkpoint holds every output up to its time.

mod plan;
mod recorder;

use std::time::Instant;

pub use plan::{Due, OutputPlan, OutputSchedule};
pub use recorder::{
    CheckpointStore, FnRecorder, Output, RecordError, Recorder, Recorders, restore_recorders,
};

use crate::backend::Backend;
use crate::error::CoreError;
use crate::ledger::MassLedger;
use crate::state::State;

/// What a run reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunSummary {
    pub backend: String,
    /// Steps taken by this call (a resumed run: since the resume).
    pub steps: u64,
    pub simulated_s: f64,
    pub wall_s: f64,
    pub cells: usize,
    /// Cells times steps per wall-clock second.
    pub cell_updates_per_s: f64,
    pub ledger: MassLedger,
}

/// How a run ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Every output of the plan was recorded.
    Finished(RunSummary),
    /// The backend was asked to stop (Ctrl-C) and did after a whole step at `time_s`; that
    /// state was recorded as a snapshot and, with a checkpoint store, checkpointed.
    Interrupted { time_s: f64, summary: RunSummary },
}

impl Outcome {
    pub fn summary(&self) -> &RunSummary {
        match self {
            Outcome::Finished(s) | Outcome::Interrupted { summary: s, .. } => s,
        }
    }
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error("{recorder}: {source}")]
    Recorder {
        recorder: &'static str,
        source: RecordError,
    },
}

/// An output whose state is captured but not yet handed to the recorders.
struct Pending {
    index: usize,
    time_s: f64,
    steps: u64,
    ledger: MassLedger,
    tracked_m3: Vec<f64>,
    due: Due,
}

impl Pending {
    fn now<B: Backend>(backend: &B, index: usize, due: Due) -> Self {
        Self {
            index,
            time_s: backend.time_s(),
            steps: backend.steps(),
            ledger: backend.ledger(),
            tracked_m3: backend.tracked_volumes_m3().to_vec(),
            due,
        }
    }
}

/// The loop's working parts: the backend, the recorders, a state buffer.
struct Runner<'b, 'r, B: Backend> {
    backend: &'b mut B,
    recorders: &'b mut Recorders<'r, B::Real>,
    state: State<B::Real>,
    start: Instant,
    steps0: u64,
}

impl<B: Backend> Runner<'_, '_, B> {
    /// Reads the captured (or current) state and hands it to the recorders.
    fn deliver(&mut self, p: Pending) -> Result<(), RunError> {
        self.backend.read_state(&mut self.state)?;
        self.recorders.record(&Output {
            index: p.index,
            time_s: p.time_s,
            steps: p.steps,
            state: &self.state,
            ledger: p.ledger,
            tracked_m3: &p.tracked_m3,
            due: p.due,
        })
    }

    fn flush(&mut self, pending: &mut Option<Pending>) -> Result<(), RunError> {
        match pending.take() {
            Some(p) => self.deliver(p),
            None => Ok(()),
        }
    }

    fn summary(&self) -> RunSummary {
        let wall_s = self.start.elapsed().as_secs_f64();
        let steps = self.backend.steps() - self.steps0;
        let cells = self.backend.grid().cells();
        RunSummary {
            backend: self.backend.describe(),
            steps,
            simulated_s: self.backend.time_s(),
            wall_s,
            cells,
            cell_updates_per_s: if wall_s > 0.0 {
                (steps as f64) * (cells as f64) / wall_s
            } else {
                0.0
            },
            ledger: self.backend.ledger(),
        }
    }

    /// A failed advance: an interruption records the state it stopped at as a snapshot and
    /// takes a checkpoint; anything else is the run's error.
    fn stopped(&mut self, index: usize, e: CoreError) -> Result<Outcome, RunError> {
        let CoreError::Interrupted { time_s } = e else {
            return Err(e.into());
        };
        let due = Due {
            snapshot: true,
            sample: false,
            checkpoint: self.recorders.takes_checkpoints(),
        };
        let p = Pending::now(&*self.backend, index, due);
        self.deliver(p)?;
        if due.checkpoint {
            self.recorders.checkpoint(self.backend)?;
        }
        Ok(Outcome::Interrupted {
            time_s,
            summary: self.summary(),
        })
    }
}

/// Runs `backend` through `plan`, handing each output to `recorders` and taking the
/// checkpoints the plan marks. A recorder's error stops the run and is returned.
pub fn run<B: Backend>(
    backend: &mut B,
    plan: &OutputPlan,
    recorders: &mut Recorders<'_, B::Real>,
) -> Result<Outcome, RunError> {
    let overlap = backend.overlaps_outputs();
    let cells = backend.grid().cells();
    let steps0 = backend.steps();
    let mut r = Runner {
        backend,
        recorders,
        state: State::dry(cells),
        start: Instant::now(),
        steps0,
    };
    let mut pending: Option<Pending> = None;
    for (index, &(t, due)) in plan.outputs().iter().enumerate() {
        if t > r.backend.time_s()
            && let Err(e) = r.backend.start_advance(t)
        {
            r.flush(&mut pending)?;
            return r.stopped(index, e);
        }
        // The previous output is written while the backend computes this interval.
        r.flush(&mut pending)?;
        if let Err(e) = r.backend.finish_advance() {
            return r.stopped(index, e);
        }
        r.backend.capture_state()?;
        let p = Pending::now(&*r.backend, index, due);
        if overlap && !due.checkpoint {
            pending = Some(p);
        } else {
            r.deliver(p)?;
            if due.checkpoint && r.recorders.takes_checkpoints() {
                r.recorders.checkpoint(r.backend)?;
            }
        }
    }
    r.flush(&mut pending)?;
    Ok(Outcome::Finished(r.summary()))
}
