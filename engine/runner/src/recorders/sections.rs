//! Cross-sections: the mean discharge through each since the previous sample (the volume
//! through its faces over the time), appended to `sections.csv` as the run goes.

use basintwin_core::{Output, RecordError, Recorder};
use basintwin_io::run_folder::{SectionTable, TableWriter};

/// The section series of a run.
#[derive(Debug)]
pub struct SectionRecorder {
    names: Vec<String>,
    series: Vec<(f64, Vec<f64>)>,
    /// Time and cumulative volumes at the previous sample.
    previous: Option<(f64, Vec<f64>)>,
    table: Option<TableWriter>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Saved {
    names: Vec<String>,
    series: Vec<(f64, Vec<f64>)>,
    previous: Option<(f64, Vec<f64>)>,
}

impl SectionRecorder {
    pub fn new(names: Vec<String>) -> Self {
        Self {
            names,
            series: Vec::new(),
            previous: None,
            table: None,
        }
    }

    /// Writes rows into `table` from now on.
    pub fn write_to(&mut self, table: TableWriter) {
        self.table = Some(table);
    }

    pub fn header(&self) -> String {
        SectionTable::header(&self.names)
    }

    /// `(time_s, mean discharge per section since the previous sample)`; 0 at the first.
    pub fn series(&self) -> &[(f64, Vec<f64>)] {
        &self.series
    }
}

impl<R> Recorder<R> for SectionRecorder {
    fn name(&self) -> &'static str {
        "sections"
    }

    fn record(&mut self, out: &Output<'_, R>) -> Result<(), RecordError> {
        if !out.due.sample || self.names.is_empty() {
            return Ok(());
        }
        let flows: Vec<f64> = match &self.previous {
            Some((t0, v0)) if out.time_s > *t0 => out
                .tracked_m3
                .iter()
                .zip(v0)
                .map(|(v, v0)| (v - v0) / (out.time_s - t0))
                .collect(),
            _ => vec![0.0; out.tracked_m3.len()],
        };
        self.previous = Some((out.time_s, out.tracked_m3.to_vec()));
        if let Some(t) = &mut self.table {
            t.push(&SectionTable::row(out.time_s, &flows))?;
        }
        self.series.push((out.time_s, flows));
        Ok(())
    }

    fn save(&self) -> Option<serde_json::Value> {
        super::to_json(&Saved {
            names: self.names.clone(),
            series: self.series.clone(),
            previous: self.previous.clone(),
        })
    }

    fn restore(&mut self, saved: serde_json::Value) -> Result<(), RecordError> {
        let s: Saved = super::saved(saved)?;
        if s.names != self.names {
            return Err(format!(
                "the scenario's sections changed since the checkpoint (it has {:?}); resume with the same ones, or start again with --overwrite",
                s.names
            )
            .into());
        }
        self.series = s.series;
        self.previous = s.previous;
        Ok(())
    }
}
