//! When a run hands its state out: the output plan, snapshot times and sampling times merged
//! once, with the outputs at which a checkpoint is taken marked on it.

use crate::error::{CoreError, Result};

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

/// What is due at one output of a plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Due {
    /// A snapshot of the fields (on the snapshot interval, and when a run is interrupted).
    pub snapshot: bool,
    /// A sample of gauges and sections: every output of a plan (snapshot times included), not
    /// the extra output written when a run is interrupted.
    pub sample: bool,
    /// A checkpoint, once every output of the plan up to this one has been recorded.
    pub checkpoint: bool,
}

/// The outputs of a run in time order, each with what is due at it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputPlan {
    outputs: Vec<(f64, Due)>,
}

impl OutputPlan {
    /// The plan of a run of `duration_s`: snapshots every `snapshot_interval_s` and samples every
    /// `sample_interval_s` (each from 0 and at the end), merged into one list of times; times
    /// closer than `1e-9 duration` are one output. With `checkpoint_interval_s`, the first output
    /// at or after each multiple of the interval (but the last) also takes a checkpoint: the
    /// run's time steps land on outputs only, so they do not depend on the checkpoint interval.
    pub fn new(
        duration_s: f64,
        snapshot_interval_s: f64,
        sample_interval_s: f64,
        checkpoint_interval_s: Option<f64>,
    ) -> Result<Self> {
        let snaps = OutputSchedule::every(snapshot_interval_s, duration_s)?;
        let samples = OutputSchedule::every(sample_interval_s, duration_s)?;
        let tol = 1e-9 * duration_s.max(1.0);
        let mut times: Vec<f64> = snaps
            .times_s()
            .iter()
            .chain(samples.times_s())
            .copied()
            .collect();
        times.sort_by(f64::total_cmp);
        times.dedup_by(|a, b| (*a - *b).abs() <= tol);
        let is_snapshot = |t: f64| snaps.times_s().iter().any(|&s| (s - t).abs() <= tol);
        let mut outputs: Vec<(f64, Due)> = times
            .into_iter()
            .map(|t| {
                let due = Due {
                    snapshot: is_snapshot(t),
                    sample: true,
                    checkpoint: false,
                };
                (t, due)
            })
            .collect();
        if let Some(every) = checkpoint_interval_s {
            mark_checkpoints(&mut outputs, every, tol)?;
        }
        Ok(Self { outputs })
    }

    /// Every time of `schedule` as an output with a snapshot and a sample due.
    pub fn from_schedule(schedule: &OutputSchedule) -> Self {
        let due = Due {
            snapshot: true,
            sample: true,
            checkpoint: false,
        };
        Self {
            outputs: schedule.times_s().iter().map(|&t| (t, due)).collect(),
        }
    }

    /// The outputs strictly after `t_s` (by more than `1e-9` of the run's end), for a run
    /// resumed at `t_s`: what is due at each is unchanged.
    pub fn after(&self, t_s: f64) -> Self {
        let tol = 1e-9 * self.end_s().max(1.0);
        Self {
            outputs: self
                .outputs
                .iter()
                .copied()
                .filter(|(t, _)| *t > t_s + tol)
                .collect(),
        }
    }

    /// `(time_s, due)` of every output, in time order.
    pub fn outputs(&self) -> &[(f64, Due)] {
        &self.outputs
    }

    pub fn len(&self) -> usize {
        self.outputs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.outputs.is_empty()
    }

    /// The time of the last output (0 for an empty plan).
    pub fn end_s(&self) -> f64 {
        self.outputs.last().map_or(0.0, |(t, _)| *t)
    }
}

/// Marks the first output at or after each multiple of `every` (the last output excepted).
fn mark_checkpoints(outputs: &mut [(f64, Due)], every: f64, tol: f64) -> Result<()> {
    if !(every > 0.0 && every.is_finite()) {
        return Err(CoreError::Invalid {
            what: "checkpoint_interval_s",
            detail: format!("{every}"),
            expected: "a positive, finite interval in seconds",
        });
    }
    let last = outputs.len().saturating_sub(1);
    let mut next = every;
    for (t, due) in outputs.iter_mut().take(last) {
        if *t >= next - tol {
            due.checkpoint = true;
            next = (((*t + tol) / every).floor() + 1.0) * every;
        }
    }
    Ok(())
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

    fn times(p: &OutputPlan, f: impl Fn(Due) -> bool) -> Vec<f64> {
        p.outputs()
            .iter()
            .filter(|(_, d)| f(*d))
            .map(|(t, _)| *t)
            .collect()
    }

    #[test]
    fn snapshots_and_samples_merge_into_one_list() {
        let p = OutputPlan::new(250.0, 100.0, 60.0, None).unwrap();
        assert_eq!(
            times(&p, |_| true),
            [0.0, 60.0, 100.0, 120.0, 180.0, 200.0, 240.0, 250.0]
        );
        assert_eq!(times(&p, |d| d.snapshot), [0.0, 100.0, 200.0, 250.0]);
        assert_eq!(times(&p, |d| d.sample).len(), 8);
        assert!(times(&p, |d| d.checkpoint).is_empty());
    }

    #[test]
    fn checkpoints_fall_on_the_first_output_of_each_interval_but_the_last() {
        let p = OutputPlan::new(1000.0, 300.0, 300.0, Some(250.0)).unwrap();
        // Outputs 0, 300, 600, 900, 1000: multiples 250, 500, 750 land on 300, 600, 900.
        assert_eq!(times(&p, |d| d.checkpoint), [300.0, 600.0, 900.0]);
        let p = OutputPlan::new(1000.0, 100.0, 100.0, Some(300.0)).unwrap();
        assert_eq!(times(&p, |d| d.checkpoint), [300.0, 600.0, 900.0]);
        // An interval longer than the run: none (the end is not a checkpoint).
        let p = OutputPlan::new(1000.0, 100.0, 100.0, Some(5000.0)).unwrap();
        assert!(times(&p, |d| d.checkpoint).is_empty());
        assert!(OutputPlan::new(1000.0, 100.0, 100.0, Some(0.0)).is_err());
    }

    #[test]
    fn a_resumed_plan_keeps_what_is_due() {
        let p = OutputPlan::new(1000.0, 100.0, 50.0, Some(200.0)).unwrap();
        let r = p.after(400.0);
        assert_eq!(r.outputs()[0].0, 450.0);
        assert_eq!(r.outputs(), &p.outputs()[9..]);
        assert!(p.after(1000.0).is_empty());
    }
}
