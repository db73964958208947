//! Scenario files: TOML, parsed into raw serde structs, then validated into a [`Scenario`] with
//! every problem reported at once, each with its line in the file, the key and what was
//! expected.
//!
//! Each table has its module with its raw struct and its `validate(raw, &mut Diagnostics)`,
//! which returns what the table means (with defaults where something is wrong, so that the
//! tables after it are still checked); [`load`] runs them in the order of the file's usual
//! layout, then the rules that span tables.

mod assimilation;
mod boundary;
mod csv;
mod diagnostics;
mod ensemble;
mod gauge;
mod infiltration;
mod initial;
mod output;
mod parse;
mod paths;
mod rain;
mod roughness;
mod section;
mod series;
pub mod solver;
mod source;
mod terrain;
mod time;
mod top_level;

use std::path::{Path, PathBuf};

use basintwin_core::{Infiltration, Precision, Series, SolverConfig};
use basintwin_io::DemOptions;
use serde::Deserialize;
use toml::Spanned;

pub use assimilation::{AssimilationSpec, Estimated, Method};
pub use boundary::SegmentSpec;
use diagnostics::Diagnostics;
pub use diagnostics::{Problem, Problems};
pub use ensemble::{EnsembleSpec, MAX_MEMBERS, Perturbation, Target, Variation};
pub use gauge::Gauge;
pub use infiltration::{InfiltrationFields, infiltration_model};
pub use initial::Initial;
pub use output::EnsembleOutput;
pub use paths::Field;
pub use rain::RainGrids;
pub use section::Section;
pub use source::Source;

/// The file as written: one field per table, in the order of the usual layout.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Option<Spanned<String>>,
    start: Option<Spanned<String>>,
    terrain: Spanned<terrain::Raw>,
    roughness: Option<Spanned<roughness::Raw>>,
    initial: Option<initial::Raw>,
    time: Spanned<time::Raw>,
    solver: Option<solver::Raw>,
    #[serde(default)]
    boundary: Vec<Spanned<boundary::Raw>>,
    #[serde(default)]
    gauge: Vec<Spanned<gauge::Raw>>,
    #[serde(default)]
    section: Vec<Spanned<section::Raw>>,
    rain: Option<Spanned<rain::Raw>>,
    infiltration: Option<Spanned<infiltration::Raw>>,
    #[serde(default)]
    source: Vec<Spanned<source::Raw>>,
    output: Option<output::Raw>,
    ensemble: Option<Spanned<ensemble::Raw>>,
    assimilation: Option<Spanned<assimilation::Raw>>,
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
    /// Write `checkpoint.bin` this often during the run (seconds of simulated time).
    pub checkpoint_interval_s: Option<f64>,
    /// An ensemble of perturbed runs instead of one run.
    pub ensemble: Option<EnsembleSpec>,
    /// What an ensemble run writes (exceedance depths, percentiles, members).
    pub ensemble_output: EnsembleOutput,
    /// Gauge observations the twin assimilates (`basintwin twin`).
    pub assimilation: Option<AssimilationSpec>,
    /// Things that are allowed but probably not meant (e.g. a hydrograph ending before the run).
    pub warnings: Vec<String>,
}

/// Reads and validates a scenario file. `Err` carries every problem found.
pub fn load(path: &Path) -> Result<Scenario, Problems> {
    let problems = |list| Problems {
        file: path.to_path_buf(),
        list,
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        problems(vec![Problem::new(
            0,
            "",
            format!("cannot read the scenario: {e}"),
        )])
    })?;
    let raw: RawScenario = parse::parse(&text).map_err(|p| problems(vec![p]))?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut dx = Diagnostics::new(&text, dir);
    let scenario = validate(path, &raw, &mut dx);
    let list = dx.into_problems();
    if list.is_empty() {
        Ok(scenario)
    } else {
        Err(problems(list))
    }
}

/// Every table, then the rules across tables.
fn validate(path: &Path, raw: &RawScenario, dx: &mut Diagnostics) -> Scenario {
    let terrain = terrain::validate(raw.terrain.get_ref(), dx);
    let roughness = roughness::validate(raw.roughness.as_ref(), dx);
    let initial = initial::validate(raw.initial.as_ref(), dx);
    let time = time::validate(raw.time.get_ref(), dx);
    let solver = solver::validate(raw.solver.as_ref(), dx);
    let edges = boundary::validate(&raw.boundary, dx);
    let gauges = gauge::validate(&raw.gauge, dx);
    let rain = rain::validate(raw.rain.as_ref(), dx);
    let sections = section::validate(&raw.section, dx);
    let losses = infiltration::validate(raw.infiltration.as_ref(), dx);
    let sources = source::validate(&raw.source, dx);
    let output = output::validate(raw.output.as_ref(), &time, dx);
    let forcings = ensemble::Forcings {
        rain: rain.intensity_mm_h.is_some() || rain.grids.is_some(),
        rain_grids: rain.grids.is_some(),
        segments: &edges.segments,
        sources: &sources,
    };
    let ensemble = ensemble::validate(raw.ensemble.as_ref(), &forcings, dx);
    let links = assimilation::Context {
        ensemble_members: ensemble.as_ref().map(|e| e.members),
        rain: forcings.rain,
        inflow: forcings.segments.iter().any(|s| s.inflow),
        duration_s: time.duration_s,
    };
    let assimilation = assimilation::validate(raw.assimilation.as_ref(), &links, dx);
    let top = top_level::validate(raw.name.as_ref(), raw.start.as_ref(), dx);
    let name = top.name.unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let mut scenario = Scenario {
        file: path.to_path_buf(),
        name,
        start: top.start,
        dem: terrain.dem,
        dem_options: terrain.options,
        manning: roughness.manning,
        landuse: roughness.landuse,
        initial,
        duration_s: time.duration_s,
        output_interval_s: time.output_interval_s,
        solver: solver.config.with_boundaries(edges.sides),
        precision: solver.precision,
        backend: solver.backend,
        gauges,
        rain_mm_h: rain.intensity_mm_h,
        rain_grids: rain.grids,
        sources,
        segments: edges.segments,
        infiltration: losses.model,
        infiltration_fields: losses.fields,
        sections,
        output_dir: output.dir,
        gauge_interval_s: output.gauge_interval_s,
        checkpoint_at_end: output.checkpoint_at_end,
        checkpoint_interval_s: output.checkpoint_interval_s,
        ensemble,
        ensemble_output: output.ensemble,
        assimilation,
        warnings: Vec::new(),
    };
    scenario.warnings = series_ending_early(&scenario);
    if scenario.assimilation.is_some() {
        scenario.warnings.push(
            "assimilation: the table is for `basintwin twin` (forecast cycling, still to come); `basintwin run` runs the scenario without assimilating".into(),
        );
    }
    if scenario.ensemble.is_some() && !scenario.sections.is_empty() {
        scenario.warnings.push(
            "section: an ensemble run does not record cross-sections yet; run one member with --member K for its sections.csv".into(),
        );
    }
    scenario
}

/// A time series that ends before the run does, on a value other than zero, holds that value to
/// the end: allowed, but worth saying.
fn series_ending_early(sc: &Scenario) -> Vec<String> {
    let duration_s = sc.duration_s;
    let rain = sc.rain_mm_h.iter().map(|r| ("rain".to_string(), r, "mm/h"));
    let sources = sc
        .sources
        .iter()
        .map(|s| (format!("source '{}'", s.name), &s.discharge_m3_s, "m3/s"));
    let segments = sc.segments.iter().map(|s| {
        let unit = if s.inflow { "m3/s" } else { "m" };
        (format!("boundary '{}'", s.name), &s.series, unit)
    });
    rain.chain(sources)
        .chain(segments)
        .filter_map(|(what, series, unit)| {
            let &(t, v) = series.points().last()?;
            (series.points().len() > 1 && t < duration_s && v != 0.0).then(|| {
                format!(
                    "{what}: the series ends at {t} s, before the end of the run ({duration_s} s); its last value ({v} {unit}) is held"
                )
            })
        })
        .collect()
}

/// Helpers for the tables' tests: a TOML snippet in, what the table means and its problems out.
#[cfg(test)]
mod testing {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering};

    use serde::de::DeserializeOwned;
    use toml::Spanned;

    use super::diagnostics::{Diagnostics, Problem};

    /// An empty folder of its own for a test.
    pub(super) fn scratch_dir(name: &str) -> PathBuf {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let d = std::env::temp_dir().join(format!(
            "basintwin-scenario-{}-{name}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// The first `"needle"` (a quoted string) in `text`, spanned where it is.
    pub(super) fn spanned(text: &str, needle: &str) -> Spanned<String> {
        let at = text.find(&format!("\"{needle}\"")).unwrap();
        Spanned::new(at..at + needle.len() + 2, needle.to_string())
    }

    /// Runs `validate` on the table `name` of `text` (a scenario fragment, so that lines are
    /// the fragment's) with paths relative to `dir`.
    pub(super) fn check_in<T: DeserializeOwned, S>(
        dir: &Path,
        text: &str,
        name: &str,
        validate: impl FnOnce(&T, &mut Diagnostics) -> S,
    ) -> (S, Vec<Problem>) {
        let mut tables: BTreeMap<String, T> = toml::from_str(text).unwrap();
        let raw = tables.remove(name).unwrap();
        let mut dx = Diagnostics::new(text, dir.to_path_buf());
        let spec = validate(&raw, &mut dx);
        (spec, dx.into_problems())
    }

    /// [`check_in`] in a folder of its own.
    pub(super) fn check<T: DeserializeOwned, S>(
        text: &str,
        name: &str,
        validate: impl FnOnce(&T, &mut Diagnostics) -> S,
    ) -> (S, Vec<Problem>) {
        check_in(&scratch_dir("check"), text, name, validate)
    }
}

#[cfg(test)]
mod tests {
    use super::testing::scratch_dir;
    use super::*;

    const MINIMAL: &str =
        "[terrain]\ndem = \"dem.tif\"\n\n[time]\nduration_s = 3600\noutput_interval_s = 300\n";

    /// `text` written as `s.toml` in a folder with `dem.tif`, loaded.
    fn load_text(text: &str) -> Result<Scenario, Problems> {
        let dir = scratch_dir("load");
        std::fs::write(dir.join("dem.tif"), "").unwrap();
        let p = dir.join("s.toml");
        std::fs::write(&p, text).unwrap();
        load(&p)
    }

    fn problems(text: &str) -> Vec<Problem> {
        load_text(text).unwrap_err().list
    }

    #[test]
    fn a_minimal_scenario_takes_the_defaults() {
        let sc = load_text(MINIMAL).unwrap();
        assert_eq!(sc.name, "s");
        assert_eq!(sc.manning, Field::Value(0.035));
        assert_eq!(sc.initial, Initial::Depth(Field::Value(0.0)));
        assert_eq!((sc.duration_s, sc.output_interval_s), (3600.0, 300.0));
        assert_eq!(sc.gauge_interval_s, 300.0);
        assert_eq!(sc.backend, "cpu");
        assert_eq!(sc.output_dir, sc.file.parent().unwrap().join("out"));
        assert_eq!(sc.checkpoint_interval_s, None);
        assert!(!sc.checkpoint_at_end);
        assert!(sc.warnings.is_empty());
    }

    #[test]
    fn problems_of_every_table_come_together_in_file_order() {
        let text = format!(
            "start = \"soon\"\n{MINIMAL}\n[solver]\nscheme = \"roe\"\n\n[[gauge]]\nname = \"g\"\nat = [1]\n"
        );
        assert_eq!(
            problems(&text),
            [
                Problem::new(
                    10,
                    "solver.scheme",
                    "unknown scheme 'roe': expected inertial, fv1 or fv2"
                ),
                Problem::new(14, "gauge.at", "expected [x, y] in map units of the DEM"),
                Problem::new(
                    1,
                    "start",
                    "'soon': expected an ISO 8601 time such as 2026-06-01T00:00:00Z"
                ),
            ]
        );
    }

    #[test]
    fn a_type_error_names_the_key() {
        let text = MINIMAL.replace("duration_s = 3600", "duration_s = \"long\"");
        assert_eq!(
            problems(&text),
            [Problem::new(
                5,
                "time.duration_s",
                "invalid type: string \"long\", expected f64"
            )]
        );
        let text = format!("{MINIMAL}\n[solver]\nfoo = 1\n");
        let p = problems(&text);
        assert_eq!((p[0].line, p[0].key.as_str()), (9, "solver"));
        assert!(
            p[0].message
                .starts_with("unknown field `foo`, expected one of `scheme`, ")
        );
    }

    #[test]
    fn the_boundaries_go_into_the_solver_configuration() {
        let text = format!("{MINIMAL}\n[[boundary]]\nkind = \"free\"\nside = \"east\"\n");
        let sc = load_text(&text).unwrap();
        assert_eq!(
            sc.solver.boundaries.side(basintwin_core::Side::East),
            basintwin_core::BoundaryKind::Free
        );
    }

    #[test]
    fn gpu_with_f64_is_refused_by_check_too() {
        let text = format!("{MINIMAL}\n[solver]\nbackend = \"gpu\"\nprecision = \"f64\"\n");
        assert_eq!(
            problems(&text),
            [Problem::new(
                10,
                "",
                "solver.precision = \"f64\" with the GPU backend: the GPU computes in f32; use precision = \"f32\" or --backend cpu"
            )]
        );
    }

    #[test]
    fn a_tide_below_the_datum_loads() {
        let text = format!(
            "{MINIMAL}\n[[boundary]]\nname = \"sea\"\nkind = \"stage\"\nside = \"east\"\nseries = [[0, -1.2], [1800, 0.9], [3600, -1.2]]\n"
        );
        let sc = load_text(&text).unwrap();
        assert_eq!(sc.segments[0].series.points()[2], (3600.0, -1.2));
        // Ends with the run: nothing to warn about.
        assert!(sc.warnings.is_empty(), "{:?}", sc.warnings);
    }

    #[test]
    fn checkpoint_interval_is_read() {
        let text = format!("{MINIMAL}\n[output]\ncheckpoint_interval_s = 600\n");
        assert_eq!(load_text(&text).unwrap().checkpoint_interval_s, Some(600.0));
    }

    #[test]
    fn series_ending_before_the_run_are_warned_about() {
        let text = format!(
            "{MINIMAL}\n[rain]\nintensity_mm_h = [[0, 10], [600, 5]]\n\n[[source]]\nname = \"pump\"\nat = [0, 0]\nseries = [[0, 1], [600, 0]]\n\n[[boundary]]\nname = \"sea\"\nkind = \"stage\"\nside = \"east\"\nseries = [[0, -1], [60, -2]]\n"
        );
        assert_eq!(
            load_text(&text).unwrap().warnings,
            [
                "rain: the series ends at 600 s, before the end of the run (3600 s); its last value (5 mm/h) is held",
                "boundary 'sea': the series ends at 60 s, before the end of the run (3600 s); its last value (-2 m) is held",
            ]
        );
    }

    #[test]
    fn an_unreadable_file_is_one_problem() {
        let e = load(Path::new("/no/such/scenario.toml")).unwrap_err();
        assert_eq!(e.list.len(), 1);
        assert_eq!((e.list[0].line, e.list[0].key.as_str()), (0, ""));
        assert!(e.list[0].message.starts_with("cannot read the scenario: "));
    }
}
