//! Gauges: depth, level and speed at each gauge's cell at every sample, appended to
//! `gauges.csv` as the run goes and kept for the summary's peaks and the plot.

use basintwin_core::{Output, Real, RecordError, Recorder};
use basintwin_io::run_folder::{GaugeSample, GaugeTable, TableWriter};

/// The gauge series of a run.
#[derive(Debug)]
pub struct GaugeRecorder {
    names: Vec<String>,
    cells: Vec<usize>,
    bed_m: Vec<f64>,
    dry_depth_m: f64,
    series: Vec<(f64, Vec<GaugeSample>)>,
    table: Option<TableWriter>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Saved {
    names: Vec<String>,
    series: Vec<(f64, Vec<GaugeSample>)>,
}

impl GaugeRecorder {
    /// Gauges `names` at `cells` (with the bed there, for levels); speeds are 0 below
    /// `dry_depth_m`.
    pub fn new(names: Vec<String>, cells: Vec<usize>, bed_m: &[f64], dry_depth_m: f64) -> Self {
        let bed_m = cells.iter().map(|&k| bed_m[k]).collect();
        Self {
            names,
            cells,
            bed_m,
            dry_depth_m,
            series: Vec::new(),
            table: None,
        }
    }

    /// Writes rows into `table` from now on.
    pub fn write_to(&mut self, table: TableWriter) {
        self.table = Some(table);
    }

    pub fn header(&self) -> String {
        GaugeTable::header(&self.names)
    }

    /// `(time_s, one sample per gauge)` for every sample so far.
    pub fn series(&self) -> &[(f64, Vec<GaugeSample>)] {
        &self.series
    }
}

impl<R: Real> Recorder<R> for GaugeRecorder {
    fn name(&self) -> &'static str {
        "gauges"
    }

    fn record(&mut self, out: &Output<'_, R>) -> Result<(), RecordError> {
        if !out.due.sample || self.cells.is_empty() {
            return Ok(());
        }
        let row: Vec<GaugeSample> = self
            .cells
            .iter()
            .zip(&self.bed_m)
            .map(|(&k, &z)| {
                let h = out.state.h[k].f64();
                let q = (out.state.qx[k].f64().powi(2) + out.state.qy[k].f64().powi(2)).sqrt();
                let v = if h > self.dry_depth_m { q / h } else { 0.0 };
                GaugeSample {
                    depth_m: h,
                    level_m: z + h,
                    speed_m_s: v,
                }
            })
            .collect();
        if let Some(t) = &mut self.table {
            t.push(&GaugeTable::row(out.time_s, &row))?;
        }
        self.series.push((out.time_s, row));
        Ok(())
    }

    fn save(&self) -> Option<serde_json::Value> {
        super::to_json(&Saved {
            names: self.names.clone(),
            series: self.series.clone(),
        })
    }

    fn restore(&mut self, saved: serde_json::Value) -> Result<(), RecordError> {
        let s: Saved = super::saved(saved)?;
        if s.names != self.names {
            return Err(format!(
                "the scenario's gauges changed since the checkpoint (it has {:?}); resume with the same ones, or start again with --overwrite",
                s.names
            )
            .into());
        }
        self.series = s.series;
        Ok(())
    }
}
