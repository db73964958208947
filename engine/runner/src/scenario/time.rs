//! `[time]`: how long the run lasts and how often snapshots are written.

use serde::Deserialize;
use toml::Spanned;

use super::diagnostics::Diagnostics;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    duration_s: Spanned<f64>,
    output_interval_s: Spanned<f64>,
}

/// At most this many snapshots.
const MAX_OUTPUTS: f64 = 100_000.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Time {
    pub duration_s: f64,
    pub output_interval_s: f64,
}

pub(super) fn validate(raw: &Raw, dx: &mut Diagnostics) -> Time {
    let duration_s = dx.positive(
        &raw.duration_s,
        "time.duration_s",
        "a positive duration in seconds",
    );
    let output_interval_s = dx.positive(
        &raw.output_interval_s,
        "time.output_interval_s",
        "a positive interval in seconds",
    );
    if duration_s.is_finite()
        && output_interval_s.is_finite()
        && output_interval_s > 0.0
        && duration_s / output_interval_s > MAX_OUTPUTS
    {
        dx.problem(
            &raw.output_interval_s,
            "time.output_interval_s",
            format!(
                "{} outputs: expected at most 100000",
                (duration_s / output_interval_s) as u64
            ),
        );
    }
    Time {
        duration_s,
        output_interval_s,
    }
}

#[cfg(test)]
mod tests {
    use super::super::diagnostics::Problem;
    use super::super::testing::check;
    use super::*;

    fn time(text: &str) -> (Time, Vec<Problem>) {
        check(text, "time", |r: &Spanned<Raw>, dx| {
            validate(r.get_ref(), dx)
        })
    }

    #[test]
    fn duration_and_interval() {
        let (t, p) = time("[time]\nduration_s = 3600\noutput_interval_s = 300.0\n");
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(
            t,
            Time {
                duration_s: 3600.0,
                output_interval_s: 300.0
            }
        );
    }

    #[test]
    fn both_are_positive() {
        let (_, p) = time("[time]\nduration_s = -5.0\noutput_interval_s = 0\n");
        assert_eq!(
            p,
            [
                Problem::new(
                    2,
                    "time.duration_s",
                    "-5: expected a positive duration in seconds"
                ),
                Problem::new(
                    3,
                    "time.output_interval_s",
                    "0: expected a positive interval in seconds"
                ),
            ]
        );
        let (_, p) = time("[time]\nduration_s = inf\noutput_interval_s = nan\n");
        assert_eq!(p.len(), 2);
    }

    #[test]
    fn at_most_100000_outputs() {
        let (_, p) = time("[time]\nduration_s = 1e6\noutput_interval_s = 1\n");
        assert_eq!(
            p,
            [Problem::new(
                3,
                "time.output_interval_s",
                "1000000 outputs: expected at most 100000"
            )]
        );
        let (_, p) = time("[time]\nduration_s = 1e5\noutput_interval_s = 1\n");
        assert!(p.is_empty(), "{p:?}");
    }
}
