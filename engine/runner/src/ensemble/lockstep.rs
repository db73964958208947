//! The members of an ensemble advanced together from output to output, each with its own time
//! steps (so member `k` is exactly the single run of its model), and what is recorded at each
//! output: every member's gauges, the mean state's snapshot, the gauge percentiles.
//!
//! CPU members run side by side on the thread pool (`par_iter` over members, each member's own
//! rows nested inside it: rayon's work stealing fills the cores either way); GPU members are
//! all started before any is waited for, so the device always has the next member's work.

use std::path::PathBuf;

use basintwin_core::{
    Backend, CoreError, Due, Output, OutputPlan, Real, Recorder, Recorders, State,
};
use basintwin_io::run_folder::{GaugeEnsembleTable, TableWriter};
use basintwin_io::{MemberSnapshotWriter, SnapshotWriter};
use rayon::prelude::*;

use crate::recorders::{GaugeRecorder, MembersCheckpoint, Progress};

use super::stats::{percentile, sorted};

/// Moves every member to `t_s`. When one stops (Ctrl-C), every member started is still
/// waited for, so that all of them are at a step boundary when the error is returned.
pub fn advance<B: Backend + Send>(members: &mut [B], t_s: f64) -> Result<(), CoreError> {
    if members.first().is_some_and(|b| b.overlaps_outputs()) {
        let mut first_error = None;
        let mut started = 0;
        for b in members.iter_mut() {
            if t_s > b.time_s()
                && let Err(e) = b.start_advance(t_s)
            {
                first_error = Some(e);
                break;
            }
            started += 1;
        }
        for b in members.iter_mut().take(started) {
            if let Err(e) = b.finish_advance() {
                first_error.get_or_insert(e);
            }
        }
        return first_error.map_or(Ok(()), Err);
    }
    members
        .par_iter_mut()
        .filter(|b| t_s > b.time_s())
        .try_for_each(|b| b.advance_to(t_s))
}

/// The ensemble's recorders.
#[derive(Debug)]
pub struct EnsembleRecorders {
    /// Each member's gauges.
    pub gauges: Vec<GaugeRecorder>,
    pub mean: MeanSnapshots,
    /// `gauges_ensemble.csv`.
    pub table: Option<TableWriter>,
    pub percentiles: Vec<f64>,
    pub progress: Progress,
    /// Where checkpoints go (`checkpoint.bin`).
    pub checkpoint: PathBuf,
}

/// How far the run got.
#[derive(Debug, Clone, Copy)]
pub struct Reached {
    /// The time of the last output every member reached.
    pub time_s: f64,
    /// Set when Ctrl-C stopped the run.
    pub interrupted: bool,
}

impl EnsembleRecorders {
    /// Runs every member from the output at `start_s` through `plan`, recording at each
    /// output and checkpointing where the plan says and when stopped (Ctrl-C).
    pub fn run<B: Backend + Send>(
        &mut self,
        members: &mut [B],
        plan: &OutputPlan,
        start_s: f64,
    ) -> anyhow::Result<Reached> {
        let cells = members.first().map_or(0, |b| b.grid().cells());
        let mut state = State::<B::Real>::dry(cells);
        let mut reached = start_s;
        for (index, &(t, due)) in plan.outputs().iter().enumerate() {
            match advance(members, t) {
                Ok(()) => {}
                Err(CoreError::Interrupted { .. }) => {
                    self.checkpoint(members, reached)?;
                    return Ok(Reached {
                        time_s: reached,
                        interrupted: true,
                    });
                }
                Err(e) => return Err(e.into()),
            }
            self.record(members, &mut state, index, t, due)?;
            reached = t;
            if due.checkpoint {
                self.checkpoint(members, reached)?;
            }
        }
        Ok(Reached {
            time_s: reached,
            interrupted: false,
        })
    }

    /// Every member's checkpoint (its gauge series in its `extra`, as a single run keeps them)
    /// and the last output all of them reached, written atomically.
    pub fn checkpoint<B: Backend>(
        &mut self,
        members: &mut [B],
        reached_s: f64,
    ) -> anyhow::Result<()> {
        let mut list = Vec::with_capacity(members.len());
        for (b, g) in members.iter_mut().zip(&mut self.gauges) {
            let extra = Recorders::<B::Real>::new().with(g).save();
            list.push(b.checkpoint(extra)?);
        }
        MembersCheckpoint {
            reached_s,
            members: list,
        }
        .store(&self.checkpoint)
    }

    fn record<B: Backend>(
        &mut self,
        members: &mut [B],
        state: &mut State<B::Real>,
        index: usize,
        t: f64,
        due: Due,
    ) -> anyhow::Result<()> {
        if due.snapshot {
            self.mean.clear();
        }
        let steps: u64 = members.iter().map(|b| b.steps()).sum();
        for (k, b) in members.iter_mut().enumerate() {
            b.read_state(state)?;
            let out = Output {
                index,
                time_s: t,
                steps,
                state,
                ledger: b.ledger(),
                tracked_m3: &[],
                due,
            };
            Recorder::<B::Real>::record(&mut self.gauges[k], &out)
                .map_err(|e| anyhow::anyhow!(e))?;
            if due.snapshot {
                self.mean.add(t, k, state)?;
            }
            if k == 0 {
                Recorder::<B::Real>::record(&mut self.progress, &out)
                    .map_err(|e| anyhow::anyhow!(e))?;
            }
        }
        if due.snapshot {
            self.mean.write(t)?;
        }
        if due.sample {
            self.gauge_row(t)?;
        }
        Ok(())
    }

    /// One row of `gauges_ensemble.csv`: per gauge its level's percentiles and mean.
    fn gauge_row(&mut self, t: f64) -> anyhow::Result<()> {
        let Some(table) = &mut self.table else {
            return Ok(());
        };
        let gauges = self
            .gauges
            .first()
            .map_or(0, |g| g.series().last().map_or(0, |r| r.1.len()));
        let row: Vec<(Vec<f64>, f64)> = (0..gauges)
            .map(|gi| {
                let levels = sorted(
                    self.gauges
                        .iter()
                        .filter_map(|g| g.series().last().map(|(_, r)| r[gi].level_m))
                        .collect(),
                );
                let pct = self
                    .percentiles
                    .iter()
                    .map(|&q| percentile(&levels, q))
                    .collect();
                (pct, levels.iter().sum::<f64>() / levels.len().max(1) as f64)
            })
            .collect();
        table.push(&GaugeEnsembleTable::row(t, &row))?;
        Ok(())
    }
}

/// The ensemble's snapshots: the mean state at each snapshot time, written as a single run's
/// snapshot (so the viewer and xarray read it as one: mean depth, mean discharges) with the
/// depth's spread over the members as `h_sd`; with `output.members = "all"` every member's
/// state too, in a file with a `member` dimension.
#[derive(Debug)]
pub struct MeanSnapshots {
    writer: SnapshotWriter,
    /// The number of the `h_sd` field in `writer`.
    spread: usize,
    sum: State<f64>,
    sum_sq_h: Vec<f64>,
    members: usize,
    all: Option<MemberSnapshotWriter>,
}

/// The spread's field in `snapshots.h5`.
pub const SPREAD: (&str, &str, &str) = (
    "h_sd",
    "m",
    "standard deviation of the water depth over the ensemble members",
);

impl MeanSnapshots {
    /// `writer` (created, or reopened to append when resuming) with its `h_sd` field number
    /// `spread`.
    pub fn new(
        writer: SnapshotWriter,
        spread: usize,
        cells: usize,
        all: Option<MemberSnapshotWriter>,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            writer,
            spread,
            sum: State::dry(cells),
            sum_sq_h: vec![0.0; cells],
            members: 0,
            all,
        })
    }

    fn clear(&mut self) {
        for v in [
            &mut self.sum.h,
            &mut self.sum.qx,
            &mut self.sum.qy,
            &mut self.sum_sq_h,
        ] {
            v.iter_mut().for_each(|x| *x = 0.0);
        }
        self.members = 0;
    }

    fn add<R: Real>(&mut self, t: f64, member: usize, s: &State<R>) -> anyhow::Result<()> {
        let pairs = [
            (&mut self.sum.h, &s.h),
            (&mut self.sum.qx, &s.qx),
            (&mut self.sum.qy, &s.qy),
        ];
        for (sum, v) in pairs {
            sum.iter_mut()
                .zip(v.iter())
                .for_each(|(a, b)| *a += b.f64());
        }
        self.sum_sq_h
            .iter_mut()
            .zip(&s.h)
            .for_each(|(a, h)| *a += h.f64() * h.f64());
        self.members += 1;
        if let Some(w) = &mut self.all {
            w.write(t, member, s)?;
        }
        Ok(())
    }

    fn write(&mut self, t: f64) -> anyhow::Result<()> {
        let n = self.members.max(1) as f64;
        let mean = State::<f64> {
            h: self.sum.h.iter().map(|x| x / n).collect(),
            qx: self.sum.qx.iter().map(|x| x / n).collect(),
            qy: self.sum.qy.iter().map(|x| x / n).collect(),
        };
        self.writer.append(t, &mean)?;
        // Population standard deviation (the members are the ensemble, not a sample of it).
        let sd: Vec<f32> = self
            .sum_sq_h
            .iter()
            .zip(&mean.h)
            .map(|(sq, m)| (sq / n - m * m).max(0.0).sqrt() as f32)
            .collect();
        self.writer.write_field(self.spread, &sd)?;
        Ok(())
    }
}
