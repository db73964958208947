//! Scenario files: TOML, parsed into raw serde structs, then validated into a [`Scenario`] with
//! every problem reported at once, each with its line in the file, the key and what was
//! expected.

use std::path::{Path, PathBuf};

use basintwin_core::{
    Boundaries, BoundaryKind, Infiltration, Precision, Scheme, Series, Side, SolverConfig,
};
use basintwin_io::{DemOptions, Resample};
use serde::Deserialize;
use toml::Spanned;

// ------------------------------------------------------------------------------------------
// Raw file

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Option<Spanned<String>>,
    start: Option<Spanned<String>>,
    terrain: Spanned<RawTerrain>,
    roughness: Option<RawRoughness>,
    initial: Option<RawInitial>,
    time: Spanned<RawTime>,
    solver: Option<RawSolver>,
    #[serde(default)]
    boundary: Vec<Spanned<RawBoundary>>,
    #[serde(default)]
    gauge: Vec<Spanned<RawGauge>>,
    #[serde(default)]
    section: Vec<Spanned<RawSection>>,
    rain: Option<Spanned<RawRain>>,
    infiltration: Option<Spanned<RawInfiltration>>,
    #[serde(default)]
    source: Vec<Spanned<RawSource>>,
    output: Option<RawOutput>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    name: Spanned<String>,
    line: Spanned<Vec<Vec<f64>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInfiltration {
    model: Spanned<String>,
    rate_mm_h: Option<Spanned<toml::Value>>,
    f0_mm_h: Option<Spanned<toml::Value>>,
    fc_mm_h: Option<Spanned<toml::Value>>,
    k_per_h: Option<Spanned<toml::Value>>,
    ks_mm_h: Option<Spanned<toml::Value>>,
    suction_m: Option<Spanned<toml::Value>>,
    moisture_deficit: Option<Spanned<toml::Value>>,
    cn: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRain {
    intensity_mm_h: Option<Spanned<toml::Value>>,
    grids: Option<Spanned<String>>,
    variable: Option<Spanned<String>>,
    units: Option<Spanned<String>>,
    resample: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: Spanned<String>,
    at: Spanned<Vec<f64>>,
    discharge_m3_s: Option<Spanned<toml::Value>>,
    hydrograph: Option<Spanned<String>>,
    series: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTerrain {
    dem: Spanned<String>,
    crop: Option<Spanned<Vec<f64>>>,
    coarsen: Option<Spanned<i64>>,
    crs: Option<Spanned<String>>,
    assume_crs: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoughness {
    manning: Option<Spanned<toml::Value>>,
    landuse: Option<Spanned<String>>,
    classes: Option<Spanned<toml::Table>>,
    resample: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInitial {
    depth: Option<Spanned<toml::Value>>,
    water_level: Option<Spanned<toml::Value>>,
    restart: Option<Spanned<String>>,
    resample: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTime {
    duration_s: Spanned<f64>,
    output_interval_s: Spanned<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSolver {
    scheme: Option<Spanned<String>>,
    backend: Option<Spanned<String>>,
    precision: Option<Spanned<String>>,
    courant: Option<Spanned<f64>>,
    theta: Option<Spanned<f64>>,
    dry_depth_m: Option<Spanned<f64>>,
    arrival_depth_m: Option<Spanned<f64>>,
    max_dt_s: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBoundary {
    name: Option<Spanned<String>>,
    value: Option<Spanned<toml::Value>>,
    kind: Spanned<String>,
    side: Option<Spanned<String>>,
    line: Option<Spanned<Vec<Vec<f64>>>>,
    hydrograph: Option<Spanned<String>>,
    series: Option<Spanned<toml::Value>>,
    slope: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGauge {
    name: Spanned<String>,
    at: Spanned<Vec<f64>>,
    warning_level_m: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    dir: Option<Spanned<String>>,
    gauge_interval_s: Option<Spanned<f64>>,
    checkpoint_at_end: Option<bool>,
}

// ------------------------------------------------------------------------------------------
// Validated model

/// A number or a raster path.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Value(f64),
    Raster(PathBuf, Resample),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Initial {
    Depth(Field),
    WaterLevel(Field),
    Restart(PathBuf),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Gauge {
    pub name: String,
    pub x: f64,
    pub y: f64,
    pub warning_level_m: Option<f64>,
    /// Line of the gauge in the scenario file, for messages found when the DEM is loaded.
    pub line: usize,
}

/// An inflow or stage boundary as read from the scenario (resolved to cells when the DEM is
/// loaded).
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentSpec {
    pub name: String,
    /// Inflow (m^3/s) when true, stage (m) when false.
    pub inflow: bool,
    pub series: Series,
    pub side: Option<Side>,
    /// Two points on the edge, in map units.
    pub line: Option<[[f64; 2]; 2]>,
    pub line_no: usize,
}

/// A cross-section whose discharge is reported: a polyline in map units. Positive discharge
/// crosses the line from its left to its right (walking from the first point to the last).
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub name: String,
    pub points: Vec<[f64; 2]>,
    pub line: usize,
}

/// A point inflow as read from the scenario (mapped to a cell when the DEM is loaded).
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub name: String,
    pub x: f64,
    pub y: f64,
    pub discharge_m3_s: Series,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub file: PathBuf,
    pub name: String,
    pub start: Option<String>,
    pub dem: PathBuf,
    pub dem_options: DemOptions,
    pub manning: Field,
    /// A landuse raster and its class table (class -> Manning's n); overrides `manning`.
    pub landuse: Option<(PathBuf, Vec<(i64, f64)>)>,
    pub initial: Initial,
    pub duration_s: f64,
    pub output_interval_s: f64,
    pub solver: SolverConfig,
    pub precision: Precision,
    pub backend: String,
    pub gauges: Vec<Gauge>,
    /// Uniform rain intensity (mm/h).
    pub rain_mm_h: Option<Series>,
    /// Rain fields over time (added to the uniform rain).
    pub rain_grids: Option<RainGrids>,
    pub sources: Vec<Source>,
    pub segments: Vec<SegmentSpec>,
    pub infiltration: Infiltration,
    /// Set when a parameter is a raster: the parameters per cell come from it.
    pub infiltration_fields: Option<InfiltrationFields>,
    pub sections: Vec<Section>,
    pub output_dir: PathBuf,
    /// Gauges and sections are sampled this often (defaults to the output interval).
    pub gauge_interval_s: f64,
    /// Write `checkpoint.bin` at the end too, so that the run can later be extended.
    pub checkpoint_at_end: bool,
    /// Things that are allowed but probably not meant (e.g. a hydrograph ending before the run).
    pub warnings: Vec<String>,
}

/// The infiltration model from its parameters in scenario units (mm/h, 1/h, m, -), in the
/// order the model lists them; `Infiltration::None` for an unknown model.
pub fn infiltration_model(model: &str, values: &[f64]) -> Infiltration {
    match (model, values) {
        ("constant", [rate]) => Infiltration::Constant {
            rate_m_s: rate / 3.6e6,
        },
        ("horton", [f0, fc, k]) => Infiltration::Horton {
            f0_m_s: f0 / 3.6e6,
            fc_m_s: fc / 3.6e6,
            k_per_s: k / 3600.0,
        },
        ("green_ampt", [ks, psi, dth]) => Infiltration::GreenAmpt {
            ks_m_s: ks / 3.6e6,
            suction_m: *psi,
            moisture_deficit: *dth,
        },
        ("scs_cn", [cn]) => Infiltration::ScsCurveNumber { cn: *cn },
        _ => Infiltration::None,
    }
}

/// Infiltration parameters of which at least one is a raster.
#[derive(Debug, Clone, PartialEq)]
pub struct InfiltrationFields {
    pub model: String,
    /// Parameter names (scenario keys), in the model's order.
    pub names: Vec<String>,
    pub params: Vec<Field>,
}

/// Where gridded rain comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct RainGrids {
    /// A folder of rasters named by time, or a NetCDF file.
    pub path: PathBuf,
    pub netcdf: bool,
    pub variable: Option<String>,
    /// Overrides the units of the data (mm/h for rasters, the variable's attribute for NetCDF).
    pub units: Option<String>,
    pub resample: Resample,
}

/// One thing wrong with a scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub line: usize,
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.key.is_empty() {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            write!(f, "line {}: {}: {}", self.line, self.key, self.message)
        }
    }
}

/// Every problem of a scenario file, with the file's name.
#[derive(Debug, Clone)]
pub struct Problems {
    pub file: PathBuf,
    pub list: Vec<Problem>,
}

impl std::fmt::Display for Problems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.list.len();
        writeln!(
            f,
            "{}: {n} problem{}",
            self.file.display(),
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.list {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

struct Ctx<'a> {
    text: &'a str,
    dir: PathBuf,
    problems: Vec<Problem>,
}

impl Ctx<'_> {
    fn line_of(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())]
            .matches('\n')
            .count()
            + 1
    }

    fn problem<T>(&mut self, at: &Spanned<T>, key: &str, message: impl Into<String>) {
        let line = self.line_of(at.span().start);
        self.problems.push(Problem {
            line,
            key: key.into(),
            message: message.into(),
        });
    }

    fn path(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        }
    }

    fn existing_file(&mut self, s: &Spanned<String>, key: &str) -> PathBuf {
        let p = self.path(s.get_ref());
        if !p.is_file() {
            self.problem(
                s,
                key,
                format!(
                    "no such file: {} (paths are relative to the scenario file)",
                    p.display()
                ),
            );
        }
        p
    }

    fn positive(&mut self, v: &Spanned<f64>, key: &str, what: &str) -> f64 {
        let x = *v.get_ref();
        if !(x.is_finite() && x > 0.0) {
            self.problem(v, key, format!("{x}: expected {what}"));
        }
        x
    }

    fn resample(&mut self, s: &Option<Spanned<String>>, key: &str, default: Resample) -> Resample {
        match s {
            None => default,
            Some(s) => match s.get_ref().parse::<Resample>() {
                Ok(r) => r,
                Err(e) => {
                    self.problem(s, key, e);
                    default
                }
            },
        }
    }

    /// A time series from a number (constant), an inline `[[t, value], ...]` array or a CSV file
    /// of `time_s,value` lines (a header line and `#` comments are allowed).
    fn series(
        &mut self,
        v: &Spanned<toml::Value>,
        key: &str,
        what: &'static str,
    ) -> Option<Series> {
        let points: Vec<(f64, f64)> = match v.get_ref() {
            toml::Value::Float(x) => vec![(0.0, *x)],
            toml::Value::Integer(i) => vec![(0.0, *i as f64)],
            toml::Value::Array(rows) => {
                let mut pts = Vec::with_capacity(rows.len());
                for (k, r) in rows.iter().enumerate() {
                    let pair = r.as_array().and_then(|a| match a.as_slice() {
                        [t, x] => Some((num(t)?, num(x)?)),
                        _ => None,
                    });
                    match pair {
                        Some(p) => pts.push(p),
                        None => {
                            self.problem(
                                v,
                                key,
                                format!("entry {} is {r}: expected [time_s, value] pairs", k + 1),
                            );
                            return None;
                        }
                    }
                }
                pts
            }
            toml::Value::String(p) => {
                let path = self.path(p);
                match read_csv_series(&path) {
                    Ok(pts) => pts,
                    Err(e) => {
                        self.problem(v, key, e);
                        return None;
                    }
                }
            }
            other => {
                self.problem(
                    v,
                    key,
                    format!(
                        "got {}: expected a number, [[time_s, value], ...] or a CSV path",
                        other.type_str()
                    ),
                );
                return None;
            }
        };
        match Series::new(points, what) {
            Ok(s) => {
                if let Some(&(t, x)) = s.points().iter().find(|(_, x)| *x < 0.0) {
                    self.problem(v, key, format!("{x} at {t} s: expected values >= 0"));
                }
                Some(s)
            }
            Err(e) => {
                self.problem(v, key, e.to_string());
                None
            }
        }
    }

    fn field(
        &mut self,
        v: &Spanned<toml::Value>,
        key: &str,
        resample: Resample,
        rule: &str,
    ) -> Option<Field> {
        match v.get_ref() {
            toml::Value::Float(x) => Some(Field::Value(*x)),
            toml::Value::Integer(i) => Some(Field::Value(*i as f64)),
            toml::Value::String(s) => {
                let p = self.path(s);
                if !p.is_file() {
                    self.problem(
                        v,
                        key,
                        format!(
                            "no such raster: {} (paths are relative to the scenario file)",
                            p.display()
                        ),
                    );
                }
                Some(Field::Raster(p, resample))
            }
            other => {
                self.problem(v, key, format!("got {}: expected {rule}", other.type_str()));
                None
            }
        }
    }
}

/// Reads and validates a scenario file. `Err` carries every problem found.
pub fn load(path: &Path) -> Result<Scenario, Problems> {
    let fail = |line: usize, message: String| Problems {
        file: path.to_path_buf(),
        list: vec![Problem {
            line,
            key: String::new(),
            message,
        }],
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| fail(0, format!("cannot read the scenario: {e}")))?;
    let raw: RawScenario = toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
            .unwrap_or(0);
        fail(line, e.message().to_string())
    })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut cx = Ctx {
        text: &text,
        dir,
        problems: Vec::new(),
    };
    // [terrain]
    let t = raw.terrain.get_ref();
    let dem = cx.existing_file(&t.dem, "terrain.dem");
    let mut dem_options = DemOptions::default();
    if let Some(c) = &t.crop {
        match c.get_ref().as_slice() {
            [x0, y0, x1, y1] if x0 < x1 && y0 < y1 => dem_options.crop = Some([*x0, *y0, *x1, *y1]),
            _ => cx.problem(
                c,
                "terrain.crop",
                "expected [xmin, ymin, xmax, ymax] with xmin < xmax and ymin < ymax",
            ),
        }
    }
    if let Some(k) = &t.coarsen {
        let v = *k.get_ref();
        if (1..=1024).contains(&v) {
            dem_options.coarsen = Some(v as usize);
        } else {
            cx.problem(
                k,
                "terrain.coarsen",
                format!("{v}: expected a whole factor from 1 to 1024"),
            );
        }
    }
    dem_options.target_crs = t.crs.as_ref().map(|s| s.get_ref().clone());
    dem_options.assume_crs = t.assume_crs.as_ref().map(|s| s.get_ref().clone());
    // [roughness]
    let mut landuse = None;
    let manning = match &raw.roughness {
        None => Field::Value(0.035),
        Some(r) => {
            let rs = cx.resample(&r.resample, "roughness.resample", Resample::Nearest);
            match (&r.manning, &r.landuse) {
                (Some(m), None) => {
                    if let Some(c) = &r.classes {
                        cx.problem(
                            c,
                            "roughness.classes",
                            "only used with landuse = \"raster\"",
                        );
                    }
                    let f = cx.field(
                        m,
                        "roughness.manning",
                        rs,
                        "a number (s/m^(1/3)) or a raster path",
                    );
                    if let Some(Field::Value(n)) = f
                        && !(n.is_finite() && (0.0..=1.0).contains(&n))
                    {
                        cx.problem(
                            m,
                            "roughness.manning",
                            format!("{n}: expected Manning's n in [0, 1] (typical 0.01-0.15)"),
                        );
                    }
                    f.unwrap_or(Field::Value(0.035))
                }
                (None, Some(lu)) => {
                    let path = cx.existing_file(lu, "roughness.landuse");
                    let mut table = Vec::new();
                    match &r.classes {
                        None => cx.problem(lu, "roughness.classes", "missing: landuse needs classes = { \"1\" = 0.03, \"2\" = 0.06, ... } (class -> Manning's n)"),
                        Some(c) => {
                            for (k, v) in c.get_ref() {
                                let n = num(v);
                                match (k.trim().parse::<i64>(), n) {
                                    (Ok(class), Some(n)) if n.is_finite() && (0.0..=1.0).contains(&n) => table.push((class, n)),
                                    (Err(_), _) => cx.problem(c, "roughness.classes", format!("class '{k}': expected a whole number")),
                                    (_, _) => cx.problem(c, "roughness.classes", format!("class {k} = {v}: expected Manning's n in [0, 1]")),
                                }
                            }
                            if table.is_empty() {
                                cx.problem(c, "roughness.classes", "empty: expected at least one class");
                            }
                        }
                    }
                    landuse = Some((path, table));
                    Field::Value(0.035)
                }
                (Some(m), Some(_)) => {
                    cx.problem(m, "roughness", "give manning or landuse, not both");
                    Field::Value(0.035)
                }
                (None, None) => {
                    let line = cx.line_of(r.resample.as_ref().map_or(0, |x| x.span().start));
                    cx.problems.push(Problem {
                        line,
                        key: "roughness".into(),
                        message:
                            "give manning (a number or raster) or landuse (a raster) with classes"
                                .into(),
                    });
                    Field::Value(0.035)
                }
            }
        }
    };
    // [initial]
    let initial = match &raw.initial {
        None => Initial::Depth(Field::Value(0.0)),
        Some(i) => {
            let given = [
                i.depth.is_some(),
                i.water_level.is_some(),
                i.restart.is_some(),
            ]
            .iter()
            .filter(|b| **b)
            .count();
            let rs = cx.resample(&i.resample, "initial.resample", Resample::Bilinear);
            if given > 1 {
                let at = i
                    .depth
                    .as_ref()
                    .map(|s| s.span())
                    .or(i.water_level.as_ref().map(|s| s.span()))
                    .unwrap_or(0..0);
                let line = cx.line_of(at.start);
                cx.problems.push(Problem {
                    line,
                    key: "initial".into(),
                    message: "give one of depth, water_level or restart".into(),
                });
            }
            if let Some(d) = &i.depth {
                let f = cx.field(d, "initial.depth", rs, "a depth in metres or a raster path");
                if let Some(Field::Value(x)) = f
                    && !(x.is_finite() && x >= 0.0)
                {
                    cx.problem(d, "initial.depth", format!("{x}: expected a depth >= 0 m"));
                }
                Initial::Depth(f.unwrap_or(Field::Value(0.0)))
            } else if let Some(l) = &i.water_level {
                let f = cx.field(
                    l,
                    "initial.water_level",
                    rs,
                    "a level in metres or a raster path",
                );
                Initial::WaterLevel(f.unwrap_or(Field::Value(0.0)))
            } else if let Some(r) = &i.restart {
                Initial::Restart(cx.existing_file(r, "initial.restart"))
            } else {
                Initial::Depth(Field::Value(0.0))
            }
        }
    };
    // [time]
    let tm = raw.time.get_ref();
    let duration_s = cx.positive(
        &tm.duration_s,
        "time.duration_s",
        "a positive duration in seconds",
    );
    let output_interval_s = cx.positive(
        &tm.output_interval_s,
        "time.output_interval_s",
        "a positive interval in seconds",
    );
    if duration_s.is_finite()
        && output_interval_s.is_finite()
        && output_interval_s > 0.0
        && duration_s / output_interval_s > 100_000.0
    {
        cx.problem(
            &tm.output_interval_s,
            "time.output_interval_s",
            format!(
                "{} outputs: expected at most 100000",
                (duration_s / output_interval_s) as u64
            ),
        );
    }
    // [solver]
    let mut scheme = Scheme::Fv1;
    let mut precision = Precision::F32;
    let mut backend = "cpu".to_string();
    let mut cfg_courant = None;
    let mut solver_fields: Vec<(&'static str, Option<&Spanned<f64>>)> = Vec::new();
    if let Some(s) = &raw.solver {
        if let Some(v) = &s.scheme {
            match v.get_ref().parse::<Scheme>() {
                Ok(x) => scheme = x,
                Err(e) => cx.problem(v, "solver.scheme", e),
            }
        }
        if let Some(v) = &s.precision {
            match v.get_ref().parse::<Precision>() {
                Ok(x) => precision = x,
                Err(e) => cx.problem(v, "solver.precision", e),
            }
        }
        if let Some(v) = &s.backend {
            match v.get_ref().as_str() {
                "cpu" | "gpu" => backend = v.get_ref().clone(),
                other => cx.problem(
                    v,
                    "solver.backend",
                    format!("unknown backend '{other}': expected cpu or gpu"),
                ),
            }
        }
        cfg_courant = s.courant.as_ref();
        solver_fields = vec![
            ("solver.theta", s.theta.as_ref()),
            ("solver.dry_depth_m", s.dry_depth_m.as_ref()),
            ("solver.arrival_depth_m", s.arrival_depth_m.as_ref()),
            ("solver.max_dt_s", s.max_dt_s.as_ref()),
        ];
    }
    let mut solver = SolverConfig::new(scheme);
    if let Some(c) = cfg_courant {
        solver.courant = Some(*c.get_ref());
        let trial = SolverConfig {
            courant: Some(*c.get_ref()),
            ..SolverConfig::new(scheme)
        };
        if let Err(e) = trial.validate() {
            cx.problem(c, "solver.courant", e.to_string());
        }
    }
    for (key, v) in solver_fields {
        let Some(v) = v else { continue };
        let x = *v.get_ref();
        let mut trial = SolverConfig::new(scheme);
        match key {
            "solver.theta" => {
                solver.theta = x;
                trial.theta = x;
            }
            "solver.dry_depth_m" => {
                solver.dry_depth_m = x;
                trial.dry_depth_m = x;
            }
            "solver.arrival_depth_m" => {
                solver.arrival_depth_m = x;
                trial.arrival_depth_m = x;
            }
            _ => {
                solver.max_dt_s = x;
                trial.max_dt_s = x;
            }
        }
        if let Err(e) = trial.validate() {
            cx.problem(v, key, e.to_string());
        }
    }
    // [[boundary]]
    let mut boundaries = Boundaries::walls();
    let mut seen: Vec<Side> = Vec::new();
    let mut segments = Vec::new();
    for b in &raw.boundary {
        let r = b.get_ref();
        let line_no = cx.line_of(b.span().start);
        enum K {
            Side(BoundaryKind),
            Inflow,
            Stage,
        }
        let kind = match r.kind.get_ref().as_str() {
            "wall" => Some(K::Side(BoundaryKind::Wall)),
            "free" => Some(K::Side(BoundaryKind::Free)),
            "inflow" => Some(K::Inflow),
            "stage" => Some(K::Stage),
            "normal_depth" => match &r.slope {
                Some(sl)
                    if sl.get_ref().is_finite() && *sl.get_ref() > 0.0 && *sl.get_ref() < 1.0 =>
                {
                    Some(K::Side(BoundaryKind::NormalDepth {
                        slope: *sl.get_ref(),
                    }))
                }
                Some(sl) => {
                    cx.problem(
                        sl,
                        "boundary.slope",
                        format!("{}: expected a slope in (0, 1) m/m", sl.get_ref()),
                    );
                    None
                }
                None => {
                    cx.problem(&r.kind, "boundary.slope", "missing: normal_depth needs slope = the energy slope beyond the edge (m/m), e.g. the bed slope near the outlet");
                    None
                }
            },
            other => {
                cx.problem(
                    &r.kind,
                    "boundary.kind",
                    format!(
                        "unknown kind '{other}': expected wall, free, inflow, stage or normal_depth"
                    ),
                );
                None
            }
        };
        let side = match &r.side {
            None => None,
            Some(s) => match s.get_ref().as_str() {
                "west" => Some(Side::West),
                "east" => Some(Side::East),
                "south" => Some(Side::South),
                "north" => Some(Side::North),
                other => {
                    cx.problem(
                        s,
                        "boundary.side",
                        format!("unknown side '{other}': expected west, east, south or north"),
                    );
                    None
                }
            },
        };
        let line = match &r.line {
            None => None,
            Some(l) => match l.get_ref().as_slice() {
                [a, b]
                    if a.len() == 2 && b.len() == 2 && a.iter().chain(b).all(|v| v.is_finite()) =>
                {
                    Some([[a[0], a[1]], [b[0], b[1]]])
                }
                _ => {
                    cx.problem(
                        l,
                        "boundary.line",
                        "expected [[x1, y1], [x2, y2]]: two points on one edge of the domain",
                    );
                    None
                }
            },
        };
        if r.side.is_none() && r.line.is_none() {
            cx.problem(b, "boundary.side", "missing: expected side = west, east, south or north (or line = [[x1, y1], [x2, y2]] along an edge)");
        }
        match kind {
            Some(K::Side(k)) => {
                for (v, key) in [
                    (
                        r.hydrograph.as_ref().map(|s| s.span()),
                        "boundary.hydrograph",
                    ),
                    (r.series.as_ref().map(|s| s.span()), "boundary.series"),
                    (r.value.as_ref().map(|s| s.span()), "boundary.value"),
                    (r.line.as_ref().map(|s| s.span()), "boundary.line"),
                ] {
                    if let Some(span) = v {
                        let line = cx.line_of(span.start);
                        cx.problems.push(Problem {
                            line,
                            key: key.into(),
                            message:
                                "not used by wall and free boundaries, which apply to whole sides"
                                    .into(),
                        });
                    }
                }
                if let Some(sd) = side {
                    if seen.contains(&sd)
                        && let Some(s) = &r.side
                    {
                        cx.problem(
                            s,
                            "boundary.side",
                            format!("{sd:?} is given twice").to_lowercase(),
                        );
                    }
                    seen.push(sd);
                    boundaries.set(sd, k);
                }
            }
            Some(k @ (K::Inflow | K::Stage)) => {
                let inflow = matches!(k, K::Inflow);
                let what: &'static str = if inflow {
                    "inflow hydrograph"
                } else {
                    "stage hydrograph"
                };
                let given = [
                    r.hydrograph.is_some(),
                    r.series.is_some(),
                    r.value.is_some(),
                ]
                .iter()
                .filter(|b| **b)
                .count();
                let series = if given != 1 {
                    cx.problem(b, "boundary", format!("give exactly one of hydrograph (CSV), series ([[time_s, {0}], ...]) or value (a constant {0})", if inflow { "m3/s" } else { "level in m" }));
                    None
                } else if let Some(h) = &r.hydrograph {
                    let v = Spanned::new(h.span(), toml::Value::String(h.get_ref().clone()));
                    cx.series(&v, "boundary.hydrograph", what)
                } else if let Some(v) = &r.series {
                    cx.series(v, "boundary.series", what)
                } else if let Some(v) = &r.value {
                    cx.series(v, "boundary.value", what)
                } else {
                    None
                };
                if let Some(series) = series {
                    let name = r
                        .name
                        .as_ref()
                        .map(|n| n.get_ref().clone())
                        .unwrap_or_else(|| format!("{} (line {line_no})", r.kind.get_ref()));
                    segments.push(SegmentSpec {
                        name,
                        inflow,
                        series,
                        side,
                        line,
                        line_no,
                    });
                }
            }
            None => {}
        }
    }
    solver.boundaries = boundaries;
    // [[gauge]]
    let mut gauges = Vec::new();
    for g in &raw.gauge {
        let r = g.get_ref();
        let line = cx.line_of(g.span().start);
        match r.at.get_ref().as_slice() {
            [x, y] if x.is_finite() && y.is_finite() => {
                if gauges.iter().any(|o: &Gauge| o.name == *r.name.get_ref()) {
                    cx.problem(
                        &r.name,
                        "gauge.name",
                        format!("'{}' is used twice", r.name.get_ref()),
                    );
                }
                gauges.push(Gauge {
                    name: r.name.get_ref().clone(),
                    x: *x,
                    y: *y,
                    warning_level_m: r.warning_level_m.as_ref().map(|w| *w.get_ref()),
                    line,
                })
            }
            _ => cx.problem(&r.at, "gauge.at", "expected [x, y] in map units of the DEM"),
        }
    }
    // [rain]
    let rain_mm_h = raw.rain.as_ref().and_then(|r| {
        r.get_ref()
            .intensity_mm_h
            .as_ref()
            .and_then(|v| cx.series(v, "rain.intensity_mm_h", "rain intensity"))
    });
    let mut rain_grids = None;
    if let Some(rain) = raw.rain.as_ref() {
        let r = rain.get_ref();
        if let Some(g) = &r.grids {
            let p = cx.path(g.get_ref());
            let netcdf = p.is_file();
            if !p.exists() {
                cx.problem(
                    g,
                    "rain.grids",
                    format!(
                        "no such folder or NetCDF file: {} (paths are relative to the scenario file)",
                        p.display()
                    ),
                );
            }
            if let Some(v) = &r.variable
                && !netcdf
            {
                cx.problem(
                    v,
                    "rain.variable",
                    "only for a NetCDF file: rain.grids is a folder of rasters",
                );
            }
            if let Some(u) = &r.units
                && basintwin_io::rain::intensity_factor(u.get_ref()).is_none()
            {
                cx.problem(
                    u,
                    "rain.units",
                    format!(
                        "'{}': expected an intensity such as mm/h, mm s-1, kg m-2 s-1 or m s-1",
                        u.get_ref()
                    ),
                );
            }
            let resample = cx.resample(&r.resample, "rain.resample", Resample::Bilinear);
            rain_grids = Some(RainGrids {
                path: p,
                netcdf,
                variable: r.variable.as_ref().map(|v| v.get_ref().clone()),
                units: r.units.as_ref().map(|v| v.get_ref().clone()),
                resample,
            });
        } else {
            for (k, v) in [
                ("variable", &r.variable),
                ("units", &r.units),
                ("resample", &r.resample),
            ] {
                if let Some(v) = v {
                    cx.problem(v, &format!("rain.{k}"), "only with rain.grids");
                }
            }
        }
        if r.intensity_mm_h.is_none() && r.grids.is_none() {
            cx.problem(
                rain,
                "rain",
                "give intensity_mm_h (a number, a series or a CSV file) or grids (a folder of rasters or a NetCDF file)",
            );
        }
    }
    // [[section]]
    let mut sections = Vec::new();
    for sec in &raw.section {
        let r = sec.get_ref();
        let line = cx.line_of(sec.span().start);
        let pts: Option<Vec<[f64; 2]>> = r
            .line
            .get_ref()
            .iter()
            .map(|p| match p.as_slice() {
                [x, y] if x.is_finite() && y.is_finite() => Some([*x, *y]),
                _ => None,
            })
            .collect();
        match pts {
            Some(p) if p.len() >= 2 => {
                if sections
                    .iter()
                    .any(|o: &Section| o.name == *r.name.get_ref())
                {
                    cx.problem(
                        &r.name,
                        "section.name",
                        format!("'{}' is used twice", r.name.get_ref()),
                    );
                }
                sections.push(Section {
                    name: r.name.get_ref().clone(),
                    points: p,
                    line,
                })
            }
            _ => cx.problem(
                &r.line,
                "section.line",
                "expected [[x1, y1], [x2, y2], ...]: at least two points",
            ),
        }
    }
    // [infiltration]
    let mut infiltration_fields: Option<InfiltrationFields> = None;
    let infiltration = match &raw.infiltration {
        None => Infiltration::None,
        Some(inf) => {
            let r = inf.get_ref();
            let fields: [(&str, &Option<Spanned<toml::Value>>); 8] = [
                ("rate_mm_h", &r.rate_mm_h),
                ("f0_mm_h", &r.f0_mm_h),
                ("fc_mm_h", &r.fc_mm_h),
                ("k_per_h", &r.k_per_h),
                ("ks_mm_h", &r.ks_mm_h),
                ("suction_m", &r.suction_m),
                ("moisture_deficit", &r.moisture_deficit),
                ("cn", &r.cn),
            ];
            let model_name = r.model.get_ref().clone();
            let needs: &[&str] = match model_name.as_str() {
                "none" => &[],
                "constant" => &["rate_mm_h"],
                "horton" => &["f0_mm_h", "fc_mm_h", "k_per_h"],
                "green_ampt" => &["ks_mm_h", "suction_m", "moisture_deficit"],
                "scs_cn" => &["cn"],
                other => {
                    cx.problem(&r.model, "infiltration.model", format!("unknown model '{other}': expected none, constant, horton, green_ampt or scs_cn"));
                    &[]
                }
            };
            let mut params: Vec<Field> = Vec::new();
            for name in needs {
                match fields
                    .iter()
                    .find(|(n, _)| n == name)
                    .and_then(|(_, v)| v.as_ref())
                {
                    Some(v) => {
                        // Soil parameters are usually classes: nearest neighbour onto the grid.
                        let f = cx.field(
                            v,
                            &format!("infiltration.{name}"),
                            Resample::Nearest,
                            "a number or a raster path",
                        );
                        params.push(f.unwrap_or(Field::Value(f64::NAN)));
                    }
                    None => {
                        cx.problem(
                            inf,
                            &format!("infiltration.{name}"),
                            format!("missing: the {model_name} model needs it"),
                        );
                        params.push(Field::Value(f64::NAN));
                    }
                }
            }
            for (name, v) in fields {
                if let Some(v) = v
                    && !needs.contains(&name)
                {
                    cx.problem(
                        v,
                        &format!("infiltration.{name}"),
                        format!("not used by the {model_name} model"),
                    );
                }
            }
            let values: Option<Vec<f64>> = params
                .iter()
                .map(|f| match f {
                    Field::Value(v) => Some(*v),
                    Field::Raster(..) => None,
                })
                .collect();
            match values {
                Some(values) => {
                    let model = infiltration_model(&model_name, &values);
                    if values.iter().all(|v| !v.is_nan())
                        && let Err(e) = model.validate()
                    {
                        cx.problem(inf, "infiltration", e);
                    }
                    model
                }
                None => {
                    // Checked cell by cell once the rasters are read.
                    infiltration_fields = Some(InfiltrationFields {
                        model: model_name,
                        names: needs.iter().map(|n| n.to_string()).collect(),
                        params,
                    });
                    Infiltration::None
                }
            }
        }
    };
    // [[source]]
    let mut sources = Vec::new();
    for src in &raw.source {
        let r = src.get_ref();
        let line = cx.line_of(src.span().start);
        let given = [
            r.discharge_m3_s.is_some(),
            r.hydrograph.is_some(),
            r.series.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if given != 1 {
            cx.problem(
                src,
                "source",
                "give exactly one of discharge_m3_s, hydrograph or series",
            );
            continue;
        }
        let q = if let Some(v) = &r.discharge_m3_s {
            cx.series(v, "source.discharge_m3_s", "source discharge")
        } else if let Some(v) = &r.series {
            cx.series(v, "source.series", "source discharge")
        } else if let Some(h) = &r.hydrograph {
            let as_value = Spanned::new(h.span(), toml::Value::String(h.get_ref().clone()));
            cx.series(&as_value, "source.hydrograph", "source discharge")
        } else {
            None
        };
        match (r.at.get_ref().as_slice(), q) {
            ([x, y], Some(q)) if x.is_finite() && y.is_finite() => sources.push(Source {
                name: r.name.get_ref().clone(),
                x: *x,
                y: *y,
                discharge_m3_s: q,
                line,
            }),
            ([_, _], _) => {}
            _ => cx.problem(
                &r.at,
                "source.at",
                "expected [x, y] in map units of the DEM",
            ),
        }
    }
    // [output]
    let output_dir = match raw.output.as_ref().and_then(|o| o.dir.as_ref()) {
        Some(d) => cx.path(d.get_ref()),
        None => cx.dir.join("out"),
    };
    let gauge_interval_s = match raw
        .output
        .as_ref()
        .and_then(|o| o.gauge_interval_s.as_ref())
    {
        None => output_interval_s,
        Some(g) => {
            let v = cx.positive(
                g,
                "output.gauge_interval_s",
                "a positive interval in seconds",
            );
            if v.is_finite() && v > 0.0 && duration_s / v > 1_000_000.0 {
                cx.problem(
                    g,
                    "output.gauge_interval_s",
                    "more than a million gauge samples: expected a longer interval",
                );
            }
            v
        }
    };
    let name = raw
        .name
        .as_ref()
        .map(|n| n.get_ref().clone())
        .unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
    if let Some(s) = &raw.start
        && !looks_like_iso8601(s.get_ref())
    {
        cx.problem(
            s,
            "start",
            format!(
                "'{}': expected an ISO 8601 time such as 2026-06-01T00:00:00Z",
                s.get_ref()
            ),
        );
    }
    // A time series that ends before the run does, on a value other than zero, holds that value
    // to the end: allowed, but worth saying.
    let mut warnings = Vec::new();
    let mut ends_early = |what: String, series: &Series, unit: &str| {
        if let Some(&(t, v)) = series.points().last()
            && series.points().len() > 1
            && t < duration_s
            && v != 0.0
        {
            warnings.push(format!(
                "{what}: the series ends at {t} s, before the end of the run ({duration_s} s); its last value ({v} {unit}) is held"
            ));
        }
    };
    if let Some(r) = &rain_mm_h {
        ends_early("rain".into(), r, "mm/h");
    }
    for s in &sources {
        ends_early(format!("source '{}'", s.name), &s.discharge_m3_s, "m3/s");
    }
    for s in &segments {
        ends_early(
            format!("boundary '{}'", s.name),
            &s.series,
            if s.inflow { "m3/s" } else { "m" },
        );
    }
    if !cx.problems.is_empty() {
        return Err(Problems {
            file: path.to_path_buf(),
            list: cx.problems,
        });
    }
    Ok(Scenario {
        file: path.to_path_buf(),
        name,
        start: raw.start.map(|s| s.into_inner()),
        dem,
        dem_options,
        manning,
        landuse,
        initial,
        duration_s,
        output_interval_s,
        solver,
        precision,
        backend,
        gauges,
        rain_mm_h,
        rain_grids,
        sources,
        segments,
        infiltration,
        infiltration_fields,
        sections,
        output_dir,
        checkpoint_at_end: raw
            .output
            .as_ref()
            .and_then(|o| o.checkpoint_at_end)
            .unwrap_or(false),
        gauge_interval_s,
        warnings,
    })
}

fn num(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Float(x) => Some(*x),
        toml::Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

/// `time_s,value` lines; a first line that is not numbers is a header; `#` starts a comment.
fn read_csv_series(path: &Path) -> Result<Vec<(f64, f64)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read {}: {e} (paths are relative to the scenario file)",
            path.display()
        )
    })?;
    let mut pts = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split([',', ';', '\t']).map(str::trim).collect();
        let parsed = match cols.as_slice() {
            [t, v, ..] => t.parse::<f64>().ok().zip(v.parse::<f64>().ok()),
            _ => None,
        };
        match parsed {
            Some(p) => pts.push(p),
            None if pts.is_empty() && n == 0 => {} // header
            None => {
                return Err(format!(
                    "{}:{}: '{raw}': expected time_s,value",
                    path.display(),
                    n + 1
                ));
            }
        }
    }
    if pts.is_empty() {
        return Err(format!("{}: no time_s,value lines", path.display()));
    }
    Ok(pts)
}

/// `YYYY-MM-DDTHH:MM:SS` with an optional fraction and zone (`Z` or `+hh:mm`).
fn looks_like_iso8601(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    b.len() >= 19
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && (b[10] == b'T' || b[10] == b' ')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
}
