//! The contract between the time loop and a compute backend (CPU here, GPU in `basintwin-gpu`).
//!
//! A backend owns the state for the whole run (on the device, for the GPU), chooses its own time
//! steps with [`crate::numerics::cfl::next_dt`] so that it lands exactly on the requested time,
//! tracks maxima and the water budget every step, and hands the state back only when asked.

use crate::checkpoint::Checkpoint;
use crate::error::{CoreError, Result};
use crate::grid::Grid;
use crate::ledger::MassLedger;
use crate::maxima::Maxima;
use crate::real::Real;
use crate::state::State;

/// A solver that can advance a model in time.
pub trait Backend {
    type Real: Real;

    /// Human-readable description, e.g. `cpu (rayon, 2 threads)`.
    fn describe(&self) -> String;
    fn grid(&self) -> &Grid;
    /// Simulated time, seconds since the start of the run.
    fn time_s(&self) -> f64;
    /// Time steps taken so far.
    fn steps(&self) -> u64;
    /// Steps until the simulated time equals `t_target_s` exactly.
    fn advance_to(&mut self, t_target_s: f64) -> Result<()>;
    /// Starts advancing to `t_target_s`; [`Backend::finish_advance`] waits for it. A backend
    /// that overlaps work with the host (the GPU) returns at once, and [`Backend::read_state`]
    /// then returns the state captured by [`Backend::capture_state`] before the start, so that
    /// the caller writes one output while the next interval is computed. Default: all the work
    /// here.
    fn start_advance(&mut self, t_target_s: f64) -> Result<()> {
        self.advance_to(t_target_s)
    }
    /// Waits for the advance started by [`Backend::start_advance`].
    fn finish_advance(&mut self) -> Result<()> {
        Ok(())
    }
    /// Device memory the backend holds (bytes), where it has its own (the GPU's buffers): what
    /// each ensemble member costs there. `None`: host memory only.
    fn device_bytes(&self) -> Option<u64> {
        None
    }
    /// Whether `start_advance` returns before the work is done (and `capture_state` is used).
    fn overlaps_outputs(&self) -> bool {
        false
    }
    /// Captures the current state for the next `read_state` (a device-side copy that the host
    /// collects later). Default: nothing (`read_state` reads the current state).
    fn capture_state(&mut self) -> Result<()> {
        Ok(())
    }
    /// Copies the state into `out` (sized to the grid): the state captured by
    /// `capture_state` if one is pending, else the current one.
    fn read_state(&mut self, out: &mut State<Self::Real>) -> Result<()>;
    /// Copies the maxima tracked so far into `out`.
    fn read_maxima(&mut self, out: &mut Maxima<Self::Real>) -> Result<()>;
    /// The water budget up to now.
    fn ledger(&self) -> MassLedger;
    /// Cumulative volumes (m^3) through the tracked face groups (cross-sections), in the order
    /// they were registered; empty when none are tracked.
    fn tracked_volumes_m3(&self) -> &[f64] {
        &[]
    }

    /// The full state at the current step boundary, at working precision, with `extra` (the
    /// caller's own data) stored alongside; see [`crate::checkpoint`].
    fn checkpoint(&mut self, extra: String) -> Result<Checkpoint> {
        let _ = extra;
        Err(CoreError::Backend {
            backend: self.describe(),
            detail: "checkpoints are not supported".into(),
        })
    }
    /// Continues from `checkpoint` (written by [`Backend::checkpoint`] for the same terrain,
    /// scheme and precision): the run then goes on exactly as if it had never stopped.
    fn restore(&mut self, checkpoint: &Checkpoint) -> Result<()> {
        let _ = checkpoint;
        Err(CoreError::Backend {
            backend: self.describe(),
            detail: "checkpoints are not supported".into(),
        })
    }
}
