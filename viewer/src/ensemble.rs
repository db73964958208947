//! An ensemble run in the viewer: its exceedance maps (the probability that a member's maximum
//! depth exceeds each depth, `exceedance_<d>m.tif`) and each gauge's percentile band over time
//! (`gauges_ensemble.csv`), read through the run-folder contract.

use std::path::Path;

use anyhow::Result;
use basintwin_io::run_folder::{GAUGES_ENSEMBLE, GaugeEnsembleTable, RunFolder, exceedance_map};

/// A gauge's band: the lowest and highest percentile and the mean, per sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// e.g. `p10-p90`.
    pub label: String,
    /// `[time_s, low, high, mean]`.
    pub points: Vec<[f64; 4]>,
}

/// What an ensemble run adds to the view.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EnsembleData {
    pub members: usize,
    pub depths_m: Vec<f64>,
    /// Per depth: the probability per cell (core order; NaN outside the domain).
    pub exceedance: Vec<Vec<f32>>,
    /// Per gauge of the run (by name), its band when the table has it.
    pub bands: Vec<Option<Band>>,
}

impl EnsembleData {
    /// The ensemble of the run in `dir`, or `None` for a single run (or one still running).
    pub fn load(dir: &Path, gauges: &[String], cells: usize) -> Result<Option<Self>> {
        let folder = RunFolder::new(dir);
        if !folder.summary().is_file() {
            return Ok(None);
        }
        let Some(e) = folder.read_summary()?.ensemble else {
            return Ok(None);
        };
        let mut exceedance = Vec::new();
        for &d in &e.exceedance_depths_m {
            let map = basintwin_io::read_dem(folder.file(&exceedance_map(d)), &Default::default())?;
            if map.bed_m.len() != cells {
                anyhow::bail!(
                    "{}: {} cells, the snapshots {cells}",
                    exceedance_map(d),
                    map.bed_m.len()
                );
            }
            exceedance.push(map.bed_m.iter().map(|&p| p as f32).collect());
        }
        let table_path = folder.file(GAUGES_ENSEMBLE);
        let table = if table_path.is_file() {
            Some(GaugeEnsembleTable::read(&table_path)?)
        } else {
            None
        };
        let bands = gauges
            .iter()
            .map(|name| table.as_ref().and_then(|t| band(t, name)))
            .collect();
        Ok(Some(Self {
            members: e.members,
            depths_m: e.exceedance_depths_m,
            exceedance,
            bands,
        }))
    }
}

fn band(t: &GaugeEnsembleTable, name: &str) -> Option<Band> {
    let g = t.names.iter().position(|n| n == name)?;
    let (lo, hi) = (t.levels[g].first()?, t.levels[g].last()?);
    let (qlo, qhi) = (t.percentiles.first()?, t.percentiles.last()?);
    Some(Band {
        label: format!("p{qlo}–p{qhi}"),
        points: (0..t.times_s.len())
            .map(|k| [t.times_s[k], lo[k], hi[k], t.mean[g][k]])
            .collect(),
    })
}
