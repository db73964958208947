//! What the viewer shows, read from a run's output folder: the snapshots (terrain, times, one
//! frame at a time, cached), the gauges (positions and warning levels from `summary.json` or the
//! scenario; hydrographs from `gauges.csv` or sampled from the snapshots). No numerics here: the
//! viewer consumes what `basintwin run` wrote.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Result, anyhow};
use basintwin_io::run_folder::RunFolder;
use basintwin_io::{SnapshotFields, SnapshotReader};
use bevy::prelude::Resource;

use crate::ensemble::EnsembleData;

/// Below this depth (m) a cell is drawn dry.
pub const WET_M: f32 = 0.01;

/// One gauge: where, its warning level, and its water level series `(time_s, level_m)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Gauge {
    pub name: String,
    pub x: f64,
    pub y: f64,
    pub warning_level_m: Option<f64>,
    /// The cell it samples (row-major index), if inside the grid.
    pub cell: Option<usize>,
    pub series: Vec<(f64, f64)>,
}

impl Gauge {
    /// The level at time `t` (the last sample at or before `t`).
    pub fn level_at(&self, t: f64) -> Option<f64> {
        let k = self.series.partition_point(|&(s, _)| s <= t + 1e-9);
        k.checked_sub(1).map(|k| self.series[k].1)
    }

    /// Whether the level at `t` is above the warning level.
    pub fn over_warning(&self, t: f64) -> bool {
        matches!((self.level_at(t), self.warning_level_m), (Some(l), Some(w)) if l > w)
    }
}

/// One snapshot's fields, as drawn: depth and speed per cell (NaN outside the domain).
#[derive(Debug, Clone, Default)]
pub struct Frame {
    pub h: Vec<f32>,
    pub speed: Vec<f32>,
    pub u: Vec<f32>,
    pub v: Vec<f32>,
}

impl From<SnapshotFields> for Frame {
    fn from(f: SnapshotFields) -> Self {
        let speed =
            f.u.iter()
                .zip(&f.v)
                .map(|(u, v)| (u * u + v * v).sqrt())
                .collect();
        Frame {
            h: f.h,
            speed,
            u: f.u,
            v: f.v,
        }
    }
}

/// A run opened for viewing.
#[derive(Debug, Resource)]
pub struct RunData {
    pub dir: PathBuf,
    reader: SnapshotReader,
    pub nx: usize,
    pub ny: usize,
    pub dx: f64,
    pub dy: f64,
    /// Bed elevation per cell, NaN outside the domain.
    pub z: Vec<f32>,
    pub gauges: Vec<Gauge>,
    /// The `gauges.csv` series are complete (a finished run); otherwise they are sampled from
    /// the snapshots as they arrive.
    gauges_from_csv: bool,
    cache: BTreeMap<usize, Arc<Frame>>,
    /// An ensemble run's exceedance maps and gauge bands (the snapshots are its mean).
    pub ensemble: Option<EnsembleData>,
}

/// The snapshot file of a run folder (which may not exist yet) or the file itself.
pub fn snapshots_path(arg: &Path) -> PathBuf {
    if arg.is_file() || arg.extension().is_some_and(|e| e == "h5") {
        arg.to_path_buf()
    } else {
        RunFolder::new(arg).snapshots()
    }
}

impl RunData {
    /// Opens `out/` (or `out/snapshots.h5`). `scenario` gives the gauges when the run has no
    /// `summary.json` yet.
    pub fn open(arg: &Path, scenario: Option<&Path>) -> Result<Self> {
        let path = snapshots_path(arg);
        let reader = SnapshotReader::open(&path)?;
        let (nx, ny) = (reader.x.len(), reader.y.len());
        if nx < 2 || ny < 2 {
            return Err(anyhow!(
                "{}: the grid is {nx} x {ny} cells; the viewer needs at least 2 x 2",
                path.display()
            ));
        }
        let dx = reader.x[1] - reader.x[0];
        let dy = reader.y[1] - reader.y[0];
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let z = reader.z.clone();
        let mut run = RunData {
            dir,
            reader,
            nx,
            ny,
            dx,
            dy,
            z,
            gauges: Vec::new(),
            gauges_from_csv: false,
            cache: BTreeMap::new(),
            ensemble: None,
        };
        run.gauges = run.load_gauges(scenario)?;
        run.gauges_from_csv = run.read_gauges_csv()?;
        if !run.gauges_from_csv {
            run.sample_gauges()?;
        }
        run.load_ensemble()?;
        Ok(run)
    }

    pub fn times(&self) -> &[f64] {
        &self.reader.times
    }

    pub fn title(&self) -> &str {
        &self.reader.meta.title
    }

    /// ISO 8601 start of the run, when the scenario has one.
    pub fn start(&self) -> Option<&str> {
        self.reader.meta.start.as_deref()
    }

    /// Centre of cell `(i, j)` (m, the DEM's CRS).
    pub fn centre(&self, i: usize, j: usize) -> (f64, f64) {
        (self.reader.x[i], self.reader.y[j])
    }

    /// The cell holding the point `(x, y)`.
    pub fn cell_at(&self, x: f64, y: f64) -> Option<usize> {
        let i = ((x - self.reader.x[0]) / self.dx + 0.5).floor();
        let j = ((y - self.reader.y[0]) / self.dy + 0.5).floor();
        (i >= 0.0 && j >= 0.0 && (i as usize) < self.nx && (j as usize) < self.ny)
            .then(|| j as usize * self.nx + i as usize)
    }

    /// The lowest and highest bed elevation in the domain.
    pub fn z_range(&self) -> (f32, f32) {
        let mut r = (f32::INFINITY, f32::NEG_INFINITY);
        for &z in self.z.iter().filter(|z| z.is_finite()) {
            r = (r.0.min(z), r.1.max(z));
        }
        if r.0 > r.1 { (0.0, 1.0) } else { r }
    }

    /// Snapshot `k`, read once and kept (the last few are cached).
    pub fn frame(&mut self, k: usize) -> Result<Arc<Frame>> {
        if let Some(f) = self.cache.get(&k) {
            return Ok(f.clone());
        }
        let f = Arc::new(Frame::from(self.reader.fields(k)?));
        // Keep about 256 MB of frames.
        let per = (self.nx * self.ny * 16).max(1);
        let keep = (256 << 20) / per;
        while self.cache.len() >= keep.max(2) {
            let far = self
                .cache
                .keys()
                .copied()
                .max_by_key(|&c| c.abs_diff(k))
                .unwrap_or(k);
            self.cache.remove(&far);
        }
        self.cache.insert(k, f.clone());
        Ok(f)
    }

    /// Looks for snapshots another process (or the in-process live run) has appended since;
    /// returns whether there are new ones.
    pub fn refresh(&mut self) -> Result<bool> {
        let before = self.reader.times.len();
        let now = self.reader.refresh()?;
        if now != before {
            if !self.gauges_from_csv {
                self.sample_gauges()?;
            }
            return Ok(true);
        }
        // A run that has just finished: its complete gauge series.
        if !self.gauges_from_csv && RunFolder::new(&self.dir).summary().is_file() {
            if self.gauges.is_empty() {
                self.gauges = self.load_gauges(None)?;
            }
            self.gauges_from_csv = self.read_gauges_csv()?;
            self.load_ensemble()?;
            return Ok(self.gauges_from_csv || self.ensemble.is_some());
        }
        Ok(false)
    }

    /// An ensemble run's maps and bands; its gauges' lines become the ensemble mean.
    fn load_ensemble(&mut self) -> Result<()> {
        let names: Vec<String> = self.gauges.iter().map(|g| g.name.clone()).collect();
        self.ensemble = EnsembleData::load(&self.dir, &names, self.nx * self.ny)?;
        if let Some(e) = &self.ensemble {
            for (g, band) in self.gauges.iter_mut().zip(&e.bands) {
                if let Some(b) = band {
                    g.series = b.points.iter().map(|p| (p[0], p[3])).collect();
                }
            }
            self.gauges_from_csv = self.gauges_from_csv || e.bands.iter().any(Option::is_some);
        }
        Ok(())
    }

    fn load_gauges(&self, scenario: Option<&Path>) -> Result<Vec<Gauge>> {
        let folder = RunFolder::new(&self.dir);
        let mut out = Vec::new();
        if folder.summary().is_file() {
            for g in folder.read_summary()?.gauges {
                out.push(self.gauge(&g.name, g.x, g.y, g.warning_level_m));
            }
            return Ok(out);
        }
        // A run in progress: its scenario (given, or named in the snapshot file).
        let named = PathBuf::from(&self.reader.meta.scenario);
        let path = scenario.map(Path::to_path_buf).or_else(|| {
            [named.clone(), self.dir.join(&named)]
                .into_iter()
                .find(|p| p.is_file())
        });
        if let Some(p) = path
            && let Ok(sc) = basintwin_runner::scenario::load(&p)
        {
            for g in &sc.gauges {
                out.push(self.gauge(&g.name, g.x, g.y, g.warning_level_m));
            }
        }
        Ok(out)
    }

    fn gauge(&self, name: &str, x: f64, y: f64, warning: Option<f64>) -> Gauge {
        Gauge {
            name: name.to_string(),
            x,
            y,
            warning_level_m: warning,
            cell: self.cell_at(x, y),
            series: Vec::new(),
        }
    }

    /// Reads the run's gauge table (levels by gauge name); false when there is none.
    fn read_gauges_csv(&mut self) -> Result<bool> {
        let folder = RunFolder::new(&self.dir);
        if !folder.gauges().is_file() || self.gauges.is_empty() {
            return Ok(false);
        }
        let table = folder.read_gauges()?;
        for g in &mut self.gauges {
            g.series = table
                .names
                .iter()
                .position(|n| *n == g.name)
                .map(|k| table.levels(k))
                .unwrap_or_default();
        }
        Ok(true)
    }

    /// Gauge levels at each snapshot time (a run without `gauges.csv` yet).
    fn sample_gauges(&mut self) -> Result<()> {
        let cells: Vec<Option<usize>> = self.gauges.iter().map(|g| g.cell).collect();
        if cells.iter().all(Option::is_none) {
            return Ok(());
        }
        let times = self.reader.times.clone();
        for (gi, cell) in cells.iter().enumerate() {
            let Some(c) = *cell else { continue };
            let depths = self.reader.point_series("h", c / self.nx, c % self.nx)?;
            let z = f64::from(self.z[c]);
            self.gauges[gi].series = times
                .iter()
                .zip(depths)
                .filter(|(_, h)| h.is_finite())
                .map(|(&t, h)| (t, z + f64::from(h)))
                .collect();
        }
        Ok(())
    }
}

/// `2026-06-01 01:30 UTC` for a run with a start date, `1 h 30 min` (simulated time) without.
pub fn clock_label(start: Option<&str>, t_s: f64) -> String {
    let elapsed = {
        let s = t_s.max(0.0).round() as i64;
        let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
        if h > 0 {
            format!("{h} h {m:02} min")
        } else if sec != 0 {
            format!("{m} min {sec:02} s")
        } else {
            format!("{m} min")
        }
    };
    match start.and_then(basintwin_io::rain::parse_datetime) {
        Some(t0) => {
            let t = (t0 + t_s).round() as i64;
            let (days, secs) = (t.div_euclid(86400), t.rem_euclid(86400));
            let (y, mo, d) = civil_from_days(days);
            format!(
                "{y:04}-{mo:02}-{d:02} {:02}:{:02} UTC (+{elapsed})",
                secs / 3600,
                (secs % 3600) / 60
            )
        }
        None => format!("t = {elapsed}"),
    }
}

/// Year, month, day of a count of days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_labels() {
        assert_eq!(clock_label(None, 5400.0), "t = 1 h 30 min");
        assert_eq!(clock_label(None, 90.0), "t = 1 min 30 s");
        assert_eq!(
            clock_label(Some("2026-06-01T00:00:00Z"), 5400.0),
            "2026-06-01 01:30 UTC (+1 h 30 min)"
        );
        // Across a month and a leap day.
        assert_eq!(
            clock_label(Some("2028-02-28T23:00:00Z"), 7200.0),
            "2028-02-29 01:00 UTC (+2 h 00 min)"
        );
    }

    #[test]
    fn gauge_level_is_the_last_sample_at_or_before() {
        let g = Gauge {
            name: "g".into(),
            x: 0.0,
            y: 0.0,
            warning_level_m: Some(2.0),
            cell: None,
            series: vec![(0.0, 1.0), (60.0, 2.5), (120.0, 1.5)],
        };
        assert_eq!(g.level_at(-1.0), None);
        assert_eq!(g.level_at(59.0), Some(1.0));
        assert_eq!(g.level_at(60.0), Some(2.5));
        assert!(g.over_warning(100.0) && !g.over_warning(130.0));
    }
}
