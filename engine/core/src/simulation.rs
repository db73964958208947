//! The time loop, written once against [`Backend`]: the output schedule, the hand-over of each
//! output to the caller (snapshots, gauges, progress), and the run summary.
//!
//! The backend chooses its own time steps and lands exactly on every output time, so the driver
//! never reads the state between outputs (on the GPU the state stays on the device).

use std::time::Instant;

use crate::backend::Backend;
use crate::error::{CoreError, Result};
use crate::ledger::MassLedger;
use crate::state::State;

/// Simulated times (seconds since the start) at which the state is handed to the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSchedule {
    times_s: Vec<f64>,
}

impl OutputSchedule {
    /// Outputs at 0, `interval`, `2 interval`, ... and at `duration` itself. Times are computed
    /// as `k * interval`, so they do not drift over a long run.
    pub fn every(interval_s: f64, duration_s: f64) -> Result<Self> {
        if !(duration_s > 0.0 && duration_s.is_finite()) {
            return Err(CoreError::Invalid {
                what: "duration_s",
                detail: format!("{duration_s}"),
                expected: "a positive, finite duration in seconds",
            });
        }
        if !(interval_s > 0.0 && interval_s.is_finite()) {
            return Err(CoreError::Invalid {
                what: "output_interval_s",
                detail: format!("{interval_s}"),
                expected: "a positive, finite interval in seconds",
            });
        }
        let n = (duration_s / interval_s).floor() as usize;
        if n > 1_000_000 {
            return Err(CoreError::Invalid {
                what: "output_interval_s",
                detail: format!("{interval_s} s over {duration_s} s is {n} outputs"),
                expected: "at most a million outputs",
            });
        }
        let mut times_s: Vec<f64> = (0..=n).map(|k| k as f64 * interval_s).collect();
        if duration_s - times_s[n] > 1e-9 * duration_s {
            times_s.push(duration_s);
        }
        Ok(Self { times_s })
    }

    /// Outputs at the given times (must increase strictly and start at or after 0).
    pub fn at(times_s: Vec<f64>) -> Result<Self> {
        let ok = !times_s.is_empty()
            && times_s.iter().all(|t| t.is_finite() && *t >= 0.0)
            && times_s.windows(2).all(|w| w[1] > w[0]);
        if !ok {
            return Err(CoreError::Invalid {
                what: "output times",
                detail: format!("{times_s:?}"),
                expected: "a non-empty, strictly increasing list of times >= 0",
            });
        }
        Ok(Self { times_s })
    }

    pub fn times_s(&self) -> &[f64] {
        &self.times_s
    }

    pub fn end_s(&self) -> f64 {
        self.times_s.last().copied().unwrap_or(0.0)
    }
}

/// One output handed to the caller.
#[derive(Debug)]
pub struct Output<'a, R> {
    pub index: usize,
    pub time_s: f64,
    pub steps: u64,
    pub state: &'a State<R>,
    pub ledger: MassLedger,
    /// Cumulative volumes through the tracked cross-sections (m^3).
    pub tracked_m3: &'a [f64],
}

/// What a finished run reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunSummary {
    pub backend: String,
    pub steps: u64,
    pub simulated_s: f64,
    pub wall_s: f64,
    pub cells: usize,
    /// Cells times steps per wall-clock second.
    pub cell_updates_per_s: f64,
    pub ledger: MassLedger,
}

/// An output whose state is captured but not yet handed to the caller.
struct Pending {
    index: usize,
    time_s: f64,
    steps: u64,
    ledger: crate::ledger::MassLedger,
    tracked_m3: Vec<f64>,
}

/// Reads the captured state of `p` and hands it to `on_output`.
fn deliver<B: Backend, E: From<CoreError>>(
    backend: &mut B,
    state: &mut State<B::Real>,
    p: Pending,
    on_output: &mut impl FnMut(Output<'_, B::Real>) -> Result<(), E>,
) -> Result<(), E> {
    backend.read_state(state)?;
    on_output(Output {
        index: p.index,
        time_s: p.time_s,
        steps: p.steps,
        state,
        ledger: p.ledger,
        tracked_m3: &p.tracked_m3,
    })
}

/// Runs `backend` through `schedule`, calling `on_output` at each output time. The callback's
/// error stops the run and is returned as is.
pub fn run<B, E>(
    backend: &mut B,
    schedule: &OutputSchedule,
    mut on_output: impl FnMut(Output<'_, B::Real>) -> Result<(), E>,
) -> Result<RunSummary, E>
where
    B: Backend,
    E: From<CoreError>,
{
    let start = Instant::now();
    let steps0 = backend.steps();
    let cells = backend.grid().cells();
    let mut state = State::dry(cells);
    if backend.overlaps_outputs() {
        // Output k is written while the backend computes towards output k + 1: its state is
        // captured on the device first and read back while the next steps run.
        let mut pending: Option<Pending> = None;
        for (index, &t) in schedule.times_s().iter().enumerate() {
            if t > backend.time_s()
                && let Err(e) = backend.start_advance(t)
            {
                if let Some(p) = pending.take() {
                    deliver(backend, &mut state, p, &mut on_output)?;
                }
                return Err(e.into());
            }
            if let Some(p) = pending.take() {
                deliver(backend, &mut state, p, &mut on_output)?;
            }
            backend.finish_advance()?;
            backend.capture_state()?;
            pending = Some(Pending {
                index,
                time_s: backend.time_s(),
                steps: backend.steps(),
                ledger: backend.ledger(),
                tracked_m3: backend.tracked_volumes_m3().to_vec(),
            });
        }
        if let Some(p) = pending.take() {
            deliver(backend, &mut state, p, &mut on_output)?;
        }
    } else {
        for (index, &t) in schedule.times_s().iter().enumerate() {
            if t > backend.time_s() {
                backend.advance_to(t)?;
            }
            backend.read_state(&mut state)?;
            on_output(Output {
                index,
                time_s: backend.time_s(),
                steps: backend.steps(),
                state: &state,
                ledger: backend.ledger(),
                tracked_m3: backend.tracked_volumes_m3(),
            })?;
        }
    }
    let wall_s = start.elapsed().as_secs_f64();
    let steps = backend.steps() - steps0;
    Ok(RunSummary {
        backend: backend.describe(),
        steps,
        simulated_s: backend.time_s(),
        wall_s,
        cells,
        cell_updates_per_s: if wall_s > 0.0 {
            (steps as f64) * (cells as f64) / wall_s
        } else {
            0.0
        },
        ledger: backend.ledger(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_ends_on_the_duration() {
        let s = OutputSchedule::every(300.0, 1000.0).unwrap();
        assert_eq!(s.times_s(), &[0.0, 300.0, 600.0, 900.0, 1000.0]);
        let s = OutputSchedule::every(0.1, 0.3).unwrap();
        assert_eq!(s.times_s().len(), 4);
        assert!(OutputSchedule::every(0.0, 10.0).is_err());
        assert!(OutputSchedule::every(1.0, -1.0).is_err());
        assert!(OutputSchedule::at(vec![1.0, 1.0]).is_err());
    }
}
