//! `basintwin`: the command line of the basin twin.
//!
//! Exit codes: 0 done, 1 the simulation failed (e.g. instability), 2 bad input, 130 stopped by
//! Ctrl-C after saving the results up to then.

use basintwin_cli::{bench, validate};
use basintwin_runner::{run, scenario};

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "basintwin",
    version,
    about = "A digital twin of a river basin: 2D shallow-water flood simulation"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario to its end and write its results.
    #[command(after_help = run_help())]
    Run {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Compute backend (overrides solver.backend).
        #[arg(long, value_parser = ["cpu", "gpu"])]
        backend: Option<String>,
        /// CPU threads (default: all cores). Results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// Output folder (overrides output.dir).
        #[arg(long)]
        output: Option<PathBuf>,
        /// Replace the results in an existing output folder.
        #[arg(long, conflicts_with = "resume")]
        overwrite: bool,
        /// Continue a run stopped with Ctrl-C (or extend one written with
        /// output.checkpoint_at_end) from checkpoint.bin in its output folder; it ends exactly
        /// as the run would have without the stop.
        #[arg(long)]
        resume: bool,
        /// No progress, only errors.
        #[arg(long)]
        quiet: bool,
        /// Progress and the final summary as JSON lines on stdout.
        #[arg(long)]
        json: bool,
        /// The number of ensemble members (overrides ensemble.members).
        #[arg(long)]
        members: Option<usize>,
        /// Run only member K of the scenario's ensemble, as a single run (bitwise what the
        /// ensemble computes for it), into member_K/ of the output folder unless --output.
        #[arg(long, value_name = "K", conflicts_with = "members")]
        member: Option<usize>,
    },
    /// Cycle a scenario's ensemble through the gauge observations of its [assimilation] table
    /// (ETKF), writing analysis.csv; replays the observations up to --until.
    #[command(
        after_help = "Example:\n  basintwin twin examples/valley_twin.toml --until 7200 --overwrite"
    )]
    Twin {
        scenario: PathBuf,
        /// Replay the observations up to this time (s since the start).
        #[arg(long)]
        until: Option<f64>,
        /// Output folder (overrides output.dir).
        #[arg(long)]
        output: Option<PathBuf>,
        /// Replace the results in an existing output folder.
        #[arg(long)]
        overwrite: bool,
        /// Only errors.
        #[arg(long)]
        quiet: bool,
    },
    /// Validate a scenario and its files without running it; reports every problem at once.
    #[command(after_help = "Example:\n  basintwin check examples/dam_break.toml")]
    Check { scenario: PathBuf },
    /// Describe a raster: size, cell size, CRS, extent, nodata share, value range.
    #[command(after_help = "Example:\n  basintwin info dem.tif")]
    Info { raster: PathBuf },
    /// Benchmark the solver: cell updates per second per scheme x precision x size.
    #[command(
        after_help = "Example:\n  basintwin bench --scheme fv1 --scheme fv2 --precision f32 --size 1024 --json"
    )]
    Bench(bench::BenchArgs),
    /// Run the built-in validation cases at three resolutions against their closed-form
    /// solutions and write a report (index.md, PNG plots, results.json).
    #[command(
        after_help = "Example:\n  basintwin validate --quick --out validation\n  basintwin validate --case ritter --scheme fv1 --scheme fv2 --precision all --out report"
    )]
    Validate(validate::ValidateArgs),
    /// Write the synthetic demo rasters (bed, initial depth, Manning's n) as GeoTIFF.
    #[command(
        after_help = "Example:\n  basintwin make-dem valley datasets/valley.tif --nx 400 --ny 150 --cell 20\n\n\
        Kinds: valley (bed of a winding valley with a dam and a town mound), valley-depth (the\n\
        reservoir behind the dam, 12 m level), valley-manning (0.03 channel, 0.06 banks), flat."
    )]
    MakeDem {
        /// valley, valley-depth, valley-manning, valley-landuse, river, river-manning or flat.
        kind: String,
        /// Output GeoTIFF.
        out: PathBuf,
        #[arg(long, default_value_t = 400)]
        nx: usize,
        #[arg(long, default_value_t = 150)]
        ny: usize,
        /// Cell size in metres.
        #[arg(long, default_value_t = 20.0)]
        cell: f64,
        /// Map x of the western edge (UTM zone 31N).
        #[arg(long, default_value_t = 500_000.0)]
        x0: f64,
        /// Map y of the southern edge (UTM zone 31N).
        #[arg(long, default_value_t = 4_000_000.0)]
        y0: f64,
        /// Replace an existing file.
        #[arg(long)]
        overwrite: bool,
    },
}

/// `run --help`'s example and the files a run writes (named by the run-folder contract).
fn run_help() -> String {
    use basintwin_io::run_folder::{CHECKPOINT, FLOOD_MAPS, GAUGES, SNAPSHOTS, SUMMARY};
    format!(
        "Example:\n  basintwin run examples/dam_break.toml --output out/dam_break --overwrite\n\n\
        Writes {SNAPSHOTS} (NetCDF-4/CF), {}, {GAUGES} (when the scenario has gauges) and\n\
        {SUMMARY}. Ctrl-C stops after the current step and saves {CHECKPOINT} (so do\n\
        output.checkpoint_interval_s, periodically); continue with\n  \
        basintwin run examples/dam_break.toml --output out/dam_break --resume",
        FLOOD_MAPS.join(", ")
    )
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            let input = e.downcast_ref::<run::InputError>().is_some()
                || e.downcast_ref::<scenario::Problems>().is_some()
                || e.downcast_ref::<basintwin_io::IoError>()
                    .is_some_and(|i| i.is_input_error())
                || e.downcast_ref::<basintwin_core::CoreError>()
                    .is_some_and(|c| c.is_input_error());
            eprintln!("error: {e:#}");
            if input {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

/// `--members N`: the ensemble's size, for a scenario that has one.
fn override_members(sc: &mut scenario::Scenario, n: usize) -> anyhow::Result<()> {
    let file = sc.file.display().to_string();
    let Some(e) = &mut sc.ensemble else {
        return Err(anyhow::anyhow!(run::InputError(format!(
            "{file}: --members {n}: the scenario has no [ensemble] table"
        ))));
    };
    if n == 0 || n > scenario::MAX_MEMBERS {
        return Err(anyhow::anyhow!(run::InputError(format!(
            "--members {n}: expected a number of members from 1 to {}",
            scenario::MAX_MEMBERS
        ))));
    }
    e.members = n;
    Ok(())
}

fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run {
            scenario,
            backend,
            threads,
            output,
            overwrite,
            resume,
            quiet,
            json,
            members,
            member,
        } => {
            let mut sc = scenario::load(&scenario)?;
            if let Some(n) = members {
                override_members(&mut sc, n)?;
            }
            if let Some(b) = backend {
                sc.backend = b;
            }
            match (output, member) {
                (Some(o), _) => sc.output_dir = o,
                // One member beside the ensemble's results, never over them.
                (None, Some(k)) => sc.output_dir = sc.output_dir.join(format!("member_{k}")),
                (None, None) => {}
            }
            if threads == Some(0) {
                return Err(anyhow::anyhow!(run::InputError(
                    "--threads 0: expected at least one thread".into()
                )));
            }
            // Ctrl-C: finish the current step, save everything, exit with 130.
            let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let handler_flag = flag.clone();
            let interrupt = ctrlc::set_handler(move || {
                handler_flag.store(true, std::sync::atomic::Ordering::Relaxed);
            })
            .ok()
            .map(|_| flag);
            let end = run::run_scenario(
                &sc,
                run::RunOptions {
                    threads,
                    overwrite,
                    resume,
                    quiet,
                    json,
                    interrupt,
                    member,
                },
            )?;
            match end.interrupted_at_s {
                Some(t) => {
                    eprintln!("{}", run::interrupted_message(&sc, t, member));
                    Ok(ExitCode::from(130))
                }
                None => Ok(ExitCode::SUCCESS),
            }
        }
        Command::Check { scenario } => check(&scenario),
        Command::Twin {
            scenario,
            until,
            output,
            overwrite,
            quiet,
        } => {
            let mut sc = scenario::load(&scenario)?;
            if let Some(o) = output {
                sc.output_dir = o;
            }
            let opts = basintwin_runner::twin::TwinOptions {
                until_s: until,
                overwrite,
                quiet,
            };
            basintwin_runner::twin::run_twin(&sc, &opts)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Info { raster } => {
            let info = basintwin_io::raster_info(&raster)?;
            println!("{info}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(args) => bench::run(args).map(|()| ExitCode::SUCCESS),
        Command::Validate(args) => validate::run(args).map(|()| ExitCode::SUCCESS),
        Command::MakeDem {
            kind,
            out,
            nx,
            ny,
            cell,
            x0,
            y0,
            overwrite,
        } => make_dem(&kind, &out, (nx, ny, cell), (x0, y0), overwrite),
    }
}

/// `basintwin check`: every problem of the scenario and its files, or a one-line description.
fn check(scenario: &std::path::Path) -> anyhow::Result<ExitCode> {
    let sc = scenario::load(scenario)?;
    let model = basintwin_runner::load_model(&sc)?;
    for w in sc.warnings.iter().chain(&model.warnings) {
        println!("{}: warning: {w}", scenario.display());
    }
    let g = &model.dem.grid;
    println!(
        "{}: ok — {} x {} cells of {} m ({:.1} % nodata), {} ({}), {} s, outputs every {} s, {} gauge(s)",
        scenario.display(),
        g.nx,
        g.ny,
        g.dx_m,
        100.0 * model.dem.nodata_share(),
        sc.solver.scheme,
        sc.precision.name(),
        sc.duration_s,
        sc.output_interval_s,
        sc.gauges.len()
    );
    if let Some(e) = &sc.ensemble {
        println!(
            "{}: ensemble of {} members (seed {}{}), {} perturbation(s)",
            scenario.display(),
            e.members,
            e.seed,
            if e.control {
                ", member 0 unperturbed"
            } else {
                ""
            },
            e.perturbations.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `basintwin make-dem`: a synthetic raster (`nx`, `ny`, cell size) placed at `(x0, y0)` in UTM 31N.
fn make_dem(
    kind: &str,
    out: &std::path::Path,
    (nx, ny, cell): (usize, usize, f64),
    (x0, y0): (f64, f64),
    overwrite: bool,
) -> anyhow::Result<ExitCode> {
    let case = match kind {
        "valley" | "valley-depth" | "valley-manning" | "valley-landuse" => {
            basintwin_core::cases::valley_dam_break(nx, ny, cell)
        }
        "flat" => basintwin_core::cases::flat_dam_break(nx, ny, cell),
        "river" | "river-manning" => basintwin_core::cases::river_basin(nx, ny, cell),
        other => {
            return Err(anyhow::anyhow!(run::InputError(format!(
                "unknown kind '{other}': expected valley, valley-depth, valley-manning, valley-landuse, river, river-manning or flat"
            ))));
        }
    }
    .map_err(|e| anyhow::anyhow!(run::InputError(e.to_string())))?;
    let values: Vec<f64> = match kind {
        "valley-depth" => case.depth_m.clone(),
        "valley-landuse" => (0..case.grid.cells())
            .map(|k| {
                if case.terrain.manning_at(k) < 0.045 {
                    1.0
                } else {
                    2.0
                }
            })
            .collect(),
        "valley-manning" | "river-manning" => (0..case.grid.cells())
            .map(|k| case.terrain.manning_at(k))
            .collect(),
        _ => case.terrain.bed_m.clone(),
    };
    // Place it on the map in UTM 31N so that the file carries a real CRS.
    let mut grid = case.grid.clone();
    grid.x_west_m = x0;
    grid.y_south_m = y0;
    grid.crs_wkt = UTM31N_WKT.into();
    let values: Vec<f32> = values.iter().map(|&z| z as f32).collect();
    basintwin_io::write_map(out, &grid, &values, -9999.0, overwrite)?;
    println!(
        "{}: {kind} terrain, {nx} x {ny} cells of {cell} m (UTM zone 31N)",
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

const UTM31N_WKT: &str = r#"PROJCS["WGS 84 / UTM zone 31N",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",3],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","32631"]]"#;
