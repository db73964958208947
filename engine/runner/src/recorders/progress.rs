//! Progress: a bar on the terminal (simulated time, ETA, speed), or JSON lines on stdout.

use std::time::Instant;

use basintwin_core::{Output, RecordError, Recorder};

/// How progress is shown.
#[derive(Debug)]
pub enum Progress {
    Quiet,
    /// One `{"event": "output", ...}` line per sample on stdout.
    Json {
        start: Instant,
    },
    Bar {
        bar: indicatif::ProgressBar,
        duration_s: f64,
        start: Instant,
    },
}

impl Progress {
    pub fn new(quiet: bool, json: bool, duration_s: f64) -> Self {
        let start = Instant::now();
        if json {
            return Self::Json { start };
        }
        if quiet {
            return Self::Quiet;
        }
        let bar = indicatif::ProgressBar::new(1000);
        let style =
            indicatif::ProgressStyle::with_template("  [{bar:40}] {percent:>3}%  ETA {eta}  {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> ");
        bar.set_style(style);
        Self::Bar {
            bar,
            duration_s,
            start,
        }
    }

    /// Ends the bar (a no-op otherwise).
    pub fn finish(&self) {
        if let Self::Bar { bar, .. } = self {
            bar.finish();
        }
    }
}

impl<R> Recorder<R> for Progress {
    fn name(&self) -> &'static str {
        "progress"
    }

    fn record(&mut self, o: &Output<'_, R>) -> Result<(), RecordError> {
        if !o.due.sample {
            return Ok(());
        }
        match self {
            Self::Quiet => {}
            Self::Json { start } => {
                let line = serde_json::json!({
                    "event": "output", "index": o.index, "time_s": o.time_s, "steps": o.steps,
                    "volume_m3": o.ledger.volume_m3, "mass_error": o.ledger.relative_error(),
                    "wall_s": start.elapsed().as_secs_f64(),
                });
                println!("{line}");
            }
            Self::Bar {
                bar,
                duration_s,
                start,
            } => {
                let elapsed = start.elapsed().as_secs_f64();
                bar.set_position((1000.0 * o.time_s / *duration_s).round() as u64);
                let speed = if elapsed > 0.0 {
                    o.time_s / elapsed
                } else {
                    0.0
                };
                bar.set_message(format!(
                    "t = {:.0} s, {} steps, {speed:.0}x real time",
                    o.time_s, o.steps
                ));
            }
        }
        Ok(())
    }
}
