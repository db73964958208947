//! `[output]`: where the run folder goes, how often gauges are sampled, and checkpoints.

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::diagnostics::Diagnostics;
use super::paths;
use super::time::Time;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    dir: Option<Spanned<String>>,
    gauge_interval_s: Option<Spanned<f64>>,
    checkpoint_at_end: Option<bool>,
    checkpoint_interval_s: Option<Spanned<f64>>,
    exceedance_depths_m: Option<Spanned<Vec<f64>>>,
    percentiles: Option<Spanned<Vec<f64>>>,
    members: Option<Spanned<String>>,
}

/// At most this many gauge samples over the run.
const MAX_GAUGE_SAMPLES: f64 = 1_000_000.0;

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Output {
    pub dir: PathBuf,
    /// Gauges and sections are sampled this often (defaults to the output interval).
    pub gauge_interval_s: f64,
    /// Write `checkpoint.bin` at the end too, so that the run can later be extended.
    pub checkpoint_at_end: bool,
    /// Write `checkpoint.bin` this often during the run.
    pub checkpoint_interval_s: Option<f64>,
    pub ensemble: EnsembleOutput,
}

/// What an ensemble run writes beyond a single run's files.
#[derive(Debug, Clone, PartialEq)]
pub struct EnsembleOutput {
    /// One `exceedance_<d>m.tif` per depth, increasing.
    pub exceedance_depths_m: Vec<f64>,
    /// One `max_depth_p<q>.tif` per percentile, and the gauge percentiles; increasing.
    pub percentiles: Vec<f64>,
    /// Every member's snapshots (a `member` dimension), not only the mean and spread.
    pub all_members: bool,
}

impl Default for EnsembleOutput {
    fn default() -> Self {
        Self {
            exceedance_depths_m: vec![0.1, 0.5, 1.0],
            percentiles: vec![10.0, 50.0, 90.0],
            all_members: false,
        }
    }
}

/// `time` gives the default gauge interval and bounds the number of gauge samples.
pub(super) fn validate(raw: Option<&Raw>, time: &Time, dx: &mut Diagnostics) -> Output {
    let dir = match raw.and_then(|o| o.dir.as_ref()) {
        Some(d) => paths::resolve(dx, d.get_ref()),
        None => dx.dir().join("out"),
    };
    let gauge_interval_s = match raw.and_then(|o| o.gauge_interval_s.as_ref()) {
        None => time.output_interval_s,
        Some(g) => {
            let key = "output.gauge_interval_s";
            let v = dx.positive(g, key, "a positive interval in seconds");
            if v.is_finite() && v > 0.0 && time.duration_s / v > MAX_GAUGE_SAMPLES {
                dx.problem(
                    g,
                    key,
                    "more than a million gauge samples: expected a longer interval",
                );
            }
            v
        }
    };
    let checkpoint_interval_s = raw.and_then(|o| o.checkpoint_interval_s.as_ref()).map(|c| {
        dx.positive(
            c,
            "output.checkpoint_interval_s",
            "a positive interval in seconds",
        )
    });
    Output {
        dir,
        gauge_interval_s,
        checkpoint_at_end: raw.and_then(|o| o.checkpoint_at_end).unwrap_or(false),
        checkpoint_interval_s,
        ensemble: raw.map(|r| ensemble_output(r, dx)).unwrap_or_default(),
    }
}

fn ensemble_output(raw: &Raw, dx: &mut Diagnostics) -> EnsembleOutput {
    let mut out = EnsembleOutput::default();
    if let Some(d) = &raw.exceedance_depths_m {
        out.exceedance_depths_m = increasing(
            dx,
            d,
            "output.exceedance_depths_m",
            |v| v.is_finite() && v > 0.0,
            "depths > 0 m",
        );
    }
    if let Some(p) = &raw.percentiles {
        out.percentiles = increasing(
            dx,
            p,
            "output.percentiles",
            |v| v > 0.0 && v < 100.0,
            "percentiles between 0 and 100",
        );
    }
    if let Some(m) = &raw.members {
        match m.get_ref().as_str() {
            "all" => out.all_members = true,
            "summary" => {}
            other => dx.problem(
                m,
                "output.members",
                format!("unknown '{other}': expected \"summary\" (mean and spread) or \"all\""),
            ),
        }
    }
    out
}

/// A non-empty list of distinct values that pass `ok`, sorted.
fn increasing(
    dx: &mut Diagnostics,
    list: &Spanned<Vec<f64>>,
    key: &str,
    ok: impl Fn(f64) -> bool,
    what: &str,
) -> Vec<f64> {
    let mut v = list.get_ref().clone();
    if let Some(bad) = v.iter().find(|x| !ok(**x)) {
        dx.problem(list, key, format!("{bad}: expected {what}"));
    }
    v.sort_by(f64::total_cmp);
    v.dedup();
    if v.is_empty() {
        dx.problem(list, key, format!("empty: expected a list of {what}"));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::super::diagnostics::Problem;
    use super::super::testing::{check_in, scratch_dir};
    use super::*;

    const HOUR: Time = Time {
        duration_s: 3600.0,
        output_interval_s: 300.0,
    };

    fn output(text: &str) -> (Output, Vec<Problem>) {
        check_in(&scratch_dir("output"), text, "output", |r: &Raw, dx| {
            validate(Some(r), &HOUR, dx)
        })
    }

    #[test]
    fn defaults() {
        let mut dx = Diagnostics::new("", PathBuf::from("/runs"));
        assert_eq!(
            validate(None, &HOUR, &mut dx),
            Output {
                dir: PathBuf::from("/runs/out"),
                gauge_interval_s: 300.0,
                checkpoint_at_end: false,
                checkpoint_interval_s: None,
                ensemble: EnsembleOutput::default(),
            }
        );
    }

    #[test]
    fn every_key() {
        let (o, p) = output(
            "[output]\ndir = \"/tmp/run\"\ngauge_interval_s = 60\ncheckpoint_at_end = true\ncheckpoint_interval_s = 900\n",
        );
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(
            o,
            Output {
                dir: PathBuf::from("/tmp/run"),
                gauge_interval_s: 60.0,
                checkpoint_at_end: true,
                checkpoint_interval_s: Some(900.0),
                ensemble: EnsembleOutput::default(),
            }
        );
    }

    #[test]
    fn gauge_interval_is_positive_and_not_too_short() {
        let (_, p) = output("[output]\ngauge_interval_s = 0\n");
        assert_eq!(
            p,
            [Problem::new(
                2,
                "output.gauge_interval_s",
                "0: expected a positive interval in seconds"
            )]
        );
        let (_, p) = output("[output]\ngauge_interval_s = 0.001\n");
        assert_eq!(
            p,
            [Problem::new(
                2,
                "output.gauge_interval_s",
                "more than a million gauge samples: expected a longer interval"
            )]
        );
    }

    #[test]
    fn ensemble_outputs() {
        let (o, p) = output(
            "[output]\nexceedance_depths_m = [1.0, 0.25]\npercentiles = [5, 95, 50]\nmembers = \"all\"\n",
        );
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(
            o.ensemble,
            EnsembleOutput {
                exceedance_depths_m: vec![0.25, 1.0],
                percentiles: vec![5.0, 50.0, 95.0],
                all_members: true,
            }
        );
        let (_, p) = output("[output]\npercentiles = [50, 100]\nmembers = \"some\"\n");
        assert_eq!(
            p,
            [
                Problem::new(
                    2,
                    "output.percentiles",
                    "100: expected percentiles between 0 and 100"
                ),
                Problem::new(
                    3,
                    "output.members",
                    "unknown 'some': expected \"summary\" (mean and spread) or \"all\""
                ),
            ]
        );
    }

    #[test]
    fn checkpoint_interval_is_positive_and_finite() {
        for bad in ["0", "-60", "inf", "nan"] {
            let (_, p) = output(&format!("[output]\n\ncheckpoint_interval_s = {bad}\n"));
            let shown = bad.parse::<f64>().unwrap();
            assert_eq!(
                p,
                [Problem::new(
                    3,
                    "output.checkpoint_interval_s",
                    format!("{shown}: expected a positive interval in seconds")
                )],
                "{bad}"
            );
        }
    }
}
