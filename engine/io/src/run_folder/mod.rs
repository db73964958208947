//! The run-folder contract: every file a run writes into its output folder, the typed
//! [`Summary`] (`summary.json`), and the gauge and section tables (`gauges.csv`,
//! `sections.csv`). The command line writes through this module; the viewer and `validate`
//! read through it. Each file name is written here once.
//!
//! Tables grow while the run goes (one row per sample, flushed), so a control room can follow
//! them; a resumed run cuts them back to its checkpoint before appending ([`TableWriter`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::IoError;

mod ensemble;

pub use ensemble::{
    EnsembleSummary, GaugeEnsembleTable, GaugeProbability, MemberRun, PercentileValue,
};

/// Snapshots of the fields, NetCDF-4/CF in HDF5.
pub const SNAPSHOTS: &str = "snapshots.h5";
/// Maximum depth (m) over the run, Cloud-Optimized GeoTIFF.
pub const MAX_DEPTH: &str = "max_depth.tif";
/// Maximum speed (m/s).
pub const MAX_SPEED: &str = "max_speed.tif";
/// Maximum hazard `h (v + 0.5)` (m^2/s).
pub const MAX_HAZARD: &str = "max_hazard.tif";
/// First arrival time (s since the start).
pub const ARRIVAL_TIME: &str = "arrival_time.tif";
/// Gauge depth, level and speed per sample.
pub const GAUGES: &str = "gauges.csv";
/// Mean discharge through each cross-section between samples.
pub const SECTIONS: &str = "sections.csv";
/// Plots of the gauge levels and section discharges.
pub const HYDROGRAPHS: &str = "hydrographs.png";
/// The run's summary ([`Summary`]).
pub const SUMMARY: &str = "summary.json";
/// The full-precision state to resume from.
pub const CHECKPOINT: &str = "checkpoint.bin";

/// Ensemble runs: percentiles and mean of the gauge levels over the members, per sample.
pub const GAUGES_ENSEMBLE: &str = "gauges_ensemble.csv";

/// Twins: per cycle, each gauge's analysed level (members' mean and spread).
pub const ANALYSIS: &str = "analysis.csv";

/// Ensemble runs with `output.members = "all"`: every member's snapshots, with a `member`
/// dimension (`snapshots.h5` holds the ensemble mean and the depth's spread).
pub const MEMBER_SNAPSHOTS: &str = "snapshots_members.h5";

/// Ensemble runs: the probability (0..1) that a member's maximum depth exceeds `depth_m`.
pub fn exceedance_map(depth_m: f64) -> String {
    format!("{EXCEEDANCE_PREFIX}{depth_m}m.tif")
}

/// Ensemble runs: percentile `q` (0..100) of the members' maximum depths.
pub fn max_depth_percentile_map(q: f64) -> String {
    format!("{PERCENTILE_PREFIX}{q}.tif")
}

const EXCEEDANCE_PREFIX: &str = "exceedance_";
const PERCENTILE_PREFIX: &str = "max_depth_p";

/// Whether `name` is a file a run writes (a fixed name, or one of an ensemble's maps): the
/// files `--overwrite` replaces.
pub fn is_output_file(name: &str) -> bool {
    OUTPUT_FILES.contains(&name)
        || name == GAUGES_ENSEMBLE
        || name == MEMBER_SNAPSHOTS
        || name == ANALYSIS
        || (name.ends_with(".tif")
            && (name.starts_with(EXCEEDANCE_PREFIX) || name.starts_with(PERCENTILE_PREFIX)))
}

/// The flood maps, in the order `write_flood_maps` writes them.
pub const FLOOD_MAPS: [&str; 4] = [MAX_DEPTH, MAX_SPEED, MAX_HAZARD, ARRIVAL_TIME];

/// Every file a run writes into its folder (replaced together by `--overwrite`).
pub const OUTPUT_FILES: [&str; 10] = [
    SNAPSHOTS,
    MAX_DEPTH,
    MAX_SPEED,
    MAX_HAZARD,
    ARRIVAL_TIME,
    GAUGES,
    SECTIONS,
    HYDROGRAPHS,
    SUMMARY,
    CHECKPOINT,
];

/// A run's output folder.
#[derive(Debug, Clone, PartialEq)]
pub struct RunFolder {
    dir: PathBuf,
}

impl RunFolder {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of one of the folder's files (one of this module's names).
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn snapshots(&self) -> PathBuf {
        self.file(SNAPSHOTS)
    }

    pub fn summary(&self) -> PathBuf {
        self.file(SUMMARY)
    }

    pub fn gauges(&self) -> PathBuf {
        self.file(GAUGES)
    }

    pub fn sections(&self) -> PathBuf {
        self.file(SECTIONS)
    }

    pub fn checkpoint(&self) -> PathBuf {
        self.file(CHECKPOINT)
    }

    /// Reads `summary.json`.
    pub fn read_summary(&self) -> Result<Summary, IoError> {
        let path = self.summary();
        let text = std::fs::read_to_string(&path).map_err(|e| read_error(&path, e))?;
        serde_json::from_str(&text).map_err(|e| IoError::Invalid {
            path,
            what: format!("not a basintwin run summary ({e})"),
        })
    }

    /// Writes `summary.json` (through a temporary file, so a reader never sees half of one).
    pub fn write_summary(&self, summary: &Summary) -> Result<PathBuf, IoError> {
        let path = self.summary();
        let text = serde_json::to_string_pretty(summary).map_err(|e| IoError::Write {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        write_atomically(&path, text.as_bytes())?;
        Ok(path)
    }

    /// Reads `gauges.csv`.
    pub fn read_gauges(&self) -> Result<GaugeTable, IoError> {
        GaugeTable::read(&self.gauges())
    }
}

fn read_error(path: &Path, e: std::io::Error) -> IoError {
    if e.kind() == std::io::ErrorKind::NotFound {
        IoError::NotFound {
            path: path.to_path_buf(),
        }
    } else {
        IoError::Write {
            path: path.to_path_buf(),
            detail: format!("cannot read: {e}"),
        }
    }
}

fn write_error(path: &Path) -> impl Fn(std::io::Error) -> IoError + '_ {
    move |e| IoError::Write {
        path: path.to_path_buf(),
        detail: format!("{e}{}", crate::error::space_hint(path)),
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder that is synced to disk
/// and renamed over `path`: after a crash at any moment `path` holds the old or the new content,
/// never part of one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), IoError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename itself reaches the disk with the folder's entry.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(d) = std::fs::File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(())
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        write_error(path)(e)
    })
}

// ------------------------------------------------------------------------------------------
// summary.json

/// `summary.json`: what a run did, its water budget, gauge peaks and warnings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The scenario file.
    pub scenario: String,
    pub name: String,
    /// ISO 8601 time of t = 0, when the scenario gives one.
    pub start: Option<String>,
    pub scheme: String,
    pub backend: String,
    pub precision: String,
    pub grid: GridSummary,
    pub simulated_s: f64,
    pub wall_s: f64,
    pub steps: u64,
    pub cells: usize,
    pub cell_updates_per_s: f64,
    pub mass_balance: MassBalance,
    pub gauges: Vec<GaugeSummary>,
    pub sections: Vec<SectionSummary>,
    pub warnings: Vec<String>,
    /// Set when the run was stopped (Ctrl-C) before its end.
    pub interrupted_at_s: Option<f64>,
    /// Set when the run continued from a checkpoint.
    pub resumed_from_s: Option<f64>,
    /// The files of the run folder written by the run.
    pub outputs: Vec<String>,
    /// An ensemble run's probabilities and members (the fields above are member 0's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ensemble: Option<EnsembleSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridSummary {
    pub nx: usize,
    pub ny: usize,
    pub dx_m: f64,
    pub dy_m: f64,
    pub x_west_m: f64,
    pub y_south_m: f64,
}

/// The water budget of the run (m^3): the ledger at its end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MassBalance {
    pub initial_m3: f64,
    pub final_m3: f64,
    pub boundary_inflow_m3: f64,
    pub boundary_outflow_m3: f64,
    pub source_inflow_m3: f64,
    pub rain_m3: f64,
    pub infiltration_m3: f64,
    pub positivity_correction_m3: f64,
    /// The analyses' increments of a twin (0 for a run without assimilation).
    #[serde(default)]
    pub assimilation_m3: f64,
    pub error_m3: f64,
    pub relative_error: f64,
}

impl From<&basintwin_core::MassLedger> for MassBalance {
    fn from(l: &basintwin_core::MassLedger) -> Self {
        Self {
            initial_m3: l.volume_initial_m3,
            final_m3: l.volume_m3,
            boundary_inflow_m3: l.boundary_inflow_m3,
            boundary_outflow_m3: l.boundary_outflow_m3,
            source_inflow_m3: l.source_inflow_m3,
            rain_m3: l.rain_m3,
            infiltration_m3: l.infiltration_m3,
            positivity_correction_m3: l.positivity_correction_m3,
            assimilation_m3: l.assimilation_m3,
            error_m3: l.error_m3(),
            relative_error: l.relative_error(),
        }
    }
}

/// A gauge's place, warning level and peak.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaugeSummary {
    pub name: String,
    pub x: f64,
    pub y: f64,
    pub peak_depth_m: f64,
    pub peak_level_m: f64,
    pub peak_time_s: f64,
    pub warning_level_m: Option<f64>,
    /// The first sample at which the level was above the warning level (with water there).
    pub warning_exceeded_at_s: Option<f64>,
}

/// A cross-section's peak mean discharge (signed; the largest in magnitude).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionSummary {
    pub name: String,
    pub peak_discharge_m3_s: f64,
    pub peak_time_s: f64,
}

// ------------------------------------------------------------------------------------------
// gauges.csv and sections.csv

/// One gauge at one sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GaugeSample {
    pub depth_m: f64,
    pub level_m: f64,
    pub speed_m_s: f64,
}

/// `gauges.csv`: `time_s`, then `<name>_depth_m,<name>_level_m,<name>_speed_m_s` per gauge.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GaugeTable {
    pub names: Vec<String>,
    /// Per row: the time and one sample per gauge (NaN where a file's cell was empty).
    pub rows: Vec<(f64, Vec<GaugeSample>)>,
}

impl GaugeTable {
    pub fn header(names: &[String]) -> String {
        let mut h = String::from("time_s");
        for n in names {
            h.push_str(&format!(",{n}_depth_m,{n}_level_m,{n}_speed_m_s"));
        }
        h
    }

    pub fn row(time_s: f64, samples: &[GaugeSample]) -> String {
        let mut r = format!("{time_s}");
        for s in samples {
            r.push_str(&format!(
                ",{:.6},{:.6},{:.6}",
                s.depth_m, s.level_m, s.speed_m_s
            ));
        }
        r
    }

    /// Reads a gauges table; the gauges are the header's `<name>_level_m` columns.
    pub fn read(path: &Path) -> Result<Self, IoError> {
        let text = std::fs::read_to_string(path).map_err(|e| read_error(path, e))?;
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
        if header.first() != Some(&"time_s") {
            return Err(IoError::Invalid {
                path: path.to_path_buf(),
                what: "expected a header starting with time_s".into(),
            });
        }
        let names: Vec<String> = header
            .iter()
            .filter_map(|h| h.strip_suffix("_level_m"))
            .map(str::to_string)
            .collect();
        let col = |suffix: &str, n: &str| header.iter().position(|h| *h == format!("{n}{suffix}"));
        let cols: Vec<[Option<usize>; 3]> = names
            .iter()
            .map(|n| [col("_depth_m", n), col("_level_m", n), col("_speed_m_s", n)])
            .collect();
        let mut rows = Vec::new();
        for line in lines {
            let f: Vec<&str> = line.split(',').collect();
            let Some(t) = f.first().and_then(|s| s.parse::<f64>().ok()) else {
                continue;
            };
            let value = |c: Option<usize>| {
                c.and_then(|c| f.get(c))
                    .and_then(|s| s.parse::<f64>().ok())
                    .unwrap_or(f64::NAN)
            };
            let samples = cols
                .iter()
                .map(|[d, l, s]| GaugeSample {
                    depth_m: value(*d),
                    level_m: value(*l),
                    speed_m_s: value(*s),
                })
                .collect();
            rows.push((t, samples));
        }
        Ok(Self { names, rows })
    }

    /// The `(time_s, level_m)` series of gauge `k`, without the rows where it has no value.
    pub fn levels(&self, k: usize) -> Vec<(f64, f64)> {
        self.rows
            .iter()
            .filter_map(|(t, s)| s.get(k).map(|s| (*t, s.level_m)))
            .filter(|(_, l)| !l.is_nan())
            .collect()
    }
}

/// `sections.csv`: `time_s`, then `<name>_mean_discharge_m3_s` per section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionTable;

impl SectionTable {
    pub fn header(names: &[String]) -> String {
        let mut h = String::from("time_s");
        for n in names {
            h.push_str(&format!(",{n}_mean_discharge_m3_s"));
        }
        h
    }

    pub fn row(time_s: f64, discharges_m3_s: &[f64]) -> String {
        let mut r = format!("{time_s}");
        for q in discharges_m3_s {
            r.push_str(&format!(",{q:.6}"));
        }
        r
    }
}

/// A table written row by row as a run goes: the header first, each row flushed.
#[derive(Debug)]
pub struct TableWriter {
    path: PathBuf,
    file: std::fs::File,
}

impl TableWriter {
    /// Starts a new table at `path` (replacing any earlier one) with `header`.
    pub fn create(path: &Path, header: &str) -> Result<Self, IoError> {
        write_atomically(path, format!("{header}\n").as_bytes())?;
        Self::append_to(path)
    }

    /// Opens the table of an interrupted run to go on with it: the header must be `header`
    /// (the same gauges or sections), and the rows later than `keep_until_s` (written after the
    /// checkpoint the run resumes from) are removed first.
    pub fn resume(path: &Path, header: &str, keep_until_s: f64) -> Result<Self, IoError> {
        let text = std::fs::read_to_string(path).map_err(|e| read_error(path, e))?;
        let mut lines = text.lines();
        if lines.next() != Some(header) {
            return Err(IoError::Invalid {
                path: path.to_path_buf(),
                what: format!(
                    "its header is not '{header}' (the scenario's gauges or sections changed)"
                ),
            });
        }
        let tol = 1e-9 * keep_until_s.abs().max(1.0);
        let mut kept = format!("{header}\n");
        for line in lines {
            let t = line.split(',').next().and_then(|s| s.parse::<f64>().ok());
            match t {
                Some(t) if t <= keep_until_s + tol => {
                    kept.push_str(line);
                    kept.push('\n');
                }
                _ => break,
            }
        }
        write_atomically(path, kept.as_bytes())?;
        Self::append_to(path)
    }

    fn append_to(path: &Path) -> Result<Self, IoError> {
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(write_error(path))?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Appends one row (without its newline) and flushes it.
    pub fn push(&mut self, row: &str) -> Result<(), IoError> {
        let mut line = String::with_capacity(row.len() + 1);
        line.push_str(row);
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(write_error(&self.path))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("basintwin-runfolder-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn every_output_file_is_named_once() {
        let mut names = OUTPUT_FILES.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), OUTPUT_FILES.len());
    }

    #[test]
    fn a_gauge_table_reads_back_what_was_written() {
        let d = dir("gauges");
        let names = vec!["town".to_string(), "dam".to_string()];
        let header = GaugeTable::header(&names);
        assert_eq!(
            header,
            "time_s,town_depth_m,town_level_m,town_speed_m_s,dam_depth_m,dam_level_m,dam_speed_m_s"
        );
        let s = |h: f64| GaugeSample {
            depth_m: h,
            level_m: 10.0 + h,
            speed_m_s: 0.5,
        };
        let p = d.join(GAUGES);
        let mut w = TableWriter::create(&p, &header).unwrap();
        w.push(&GaugeTable::row(0.0, &[s(0.0), s(1.0)])).unwrap();
        w.push(&GaugeTable::row(60.0, &[s(0.25), s(1.5)])).unwrap();
        let t = GaugeTable::read(&p).unwrap();
        assert_eq!(t.names, names);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[1].1[1], s(1.5));
        assert_eq!(t.levels(0), vec![(0.0, 10.0), (60.0, 10.25)]);
    }

    #[test]
    fn a_resumed_table_drops_the_rows_after_the_checkpoint() {
        let d = dir("resume");
        let p = d.join(SECTIONS);
        let names = vec!["weir".to_string()];
        let header = SectionTable::header(&names);
        let mut w = TableWriter::create(&p, &header).unwrap();
        for t in [0.0, 10.0, 20.0, 30.0] {
            w.push(&SectionTable::row(t, &[t / 10.0])).unwrap();
        }
        drop(w);
        let mut w = TableWriter::resume(&p, &header, 10.0).unwrap();
        w.push(&SectionTable::row(20.0, &[7.0])).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(
            text,
            "time_s,weir_mean_discharge_m3_s\n0,0.000000\n10,1.000000\n20,7.000000\n"
        );
        let other = SectionTable::header(&["gate".to_string()]);
        assert!(TableWriter::resume(&p, &other, 10.0).is_err());
    }

    #[test]
    fn a_summary_round_trips() {
        let d = dir("summary");
        let f = RunFolder::new(&d);
        let s = Summary {
            scenario: "s.toml".into(),
            name: "s".into(),
            start: None,
            scheme: "fv1".into(),
            backend: "cpu".into(),
            precision: "f64".into(),
            grid: GridSummary {
                nx: 2,
                ny: 3,
                dx_m: 1.0,
                dy_m: 1.0,
                x_west_m: 0.0,
                y_south_m: 0.0,
            },
            simulated_s: 10.0,
            wall_s: 0.1,
            steps: 5,
            cells: 6,
            cell_updates_per_s: 300.0,
            mass_balance: MassBalance::from(&basintwin_core::MassLedger::new(2.0)),
            gauges: vec![],
            sections: vec![],
            warnings: vec!["w".into()],
            interrupted_at_s: Some(5.0),
            resumed_from_s: None,
            outputs: vec![SUMMARY.into()],
            ensemble: None,
        };
        f.write_summary(&s).unwrap();
        assert_eq!(f.read_summary().unwrap(), s);
    }
}
