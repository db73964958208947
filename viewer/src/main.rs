//! `basintwin-viewer`: watch a basintwin run in 3D.
//!
//! ```text
//! basintwin-viewer out/                      replay a finished run
//! basintwin-viewer --follow out/             watch a run another process is writing
//! basintwin-viewer --live scenario.toml      run a scenario here and watch it
//! basintwin-viewer out/ --time 3600 --screenshot frame.png [--width W --height H]
//! ```
//!
//! Exit codes: 0 done, 1 failure (rendering, a failed live run), 2 bad input.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use basintwin_viewer::colormap::ColorMode;
use basintwin_viewer::data::RunData;
use basintwin_viewer::source::LiveRun;
use basintwin_viewer::{Options, ViewerConfig};
use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "basintwin-viewer",
    version,
    about = "The basin twin in 3D: replay, follow or run a flood scenario and watch it"
)]
struct Cli {
    /// A run's output folder (or its snapshots.h5).
    run: Option<PathBuf>,
    /// Watch a run that another `basintwin run` is writing into this folder.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["run", "live"])]
    follow: Option<PathBuf>,
    /// Run this scenario in-process and show each output as it arrives.
    #[arg(long, value_name = "SCENARIO", conflicts_with = "run")]
    live: Option<PathBuf>,
    /// With --live: cpu or gpu (default: the scenario's).
    #[arg(long)]
    backend: Option<String>,
    /// With --live: replace the results of an earlier run of the scenario.
    #[arg(long)]
    overwrite: bool,
    /// Start at this simulated time (s since the start of the run).
    #[arg(long)]
    time: Option<f64>,
    /// Render one frame headless to this PNG and exit.
    #[arg(long, value_name = "PNG")]
    screenshot: Option<PathBuf>,
    /// Headless: render this many frames, print the frame time and exit.
    #[arg(long, value_name = "N")]
    bench_frames: Option<u32>,
    #[arg(long, default_value_t = 1280)]
    width: u32,
    #[arg(long, default_value_t = 720)]
    height: u32,
    /// Water colour: depth, speed, hazard, or (an ensemble run) exceedance.
    #[arg(long, default_value = "depth")]
    color: String,
    /// With --color exceedance: the depth (m) of the exceedance map shown (default: the first).
    #[arg(long, value_name = "M")]
    exceedance_depth: Option<f64>,
    /// Top of the colour bar (m or m/s; default: from the run).
    #[arg(long)]
    legend_max: Option<f32>,
    /// Vertical exaggeration (default: chosen from the relief).
    #[arg(long)]
    exaggeration: Option<f32>,
    /// Show flow arrows.
    #[arg(long)]
    arrows: bool,
    /// Start at this viewpoint (overview, a gauge's name, or one of the config's).
    #[arg(long)]
    viewpoint: Option<String>,
    /// Viewer config with viewpoints (default: viewer.toml in the run folder, if any).
    #[arg(long, value_name = "TOML")]
    config: Option<PathBuf>,
}

/// Bad input: exit code 2.
#[derive(Debug)]
struct InputError(String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

fn main() -> ExitCode {
    // Read snapshots that another process is still writing: HDF5 (1.10+) locks files for the
    // writer, so readers must not ask for the lock.
    if std::env::var_os("HDF5_USE_FILE_LOCKING").is_none() {
        // SAFETY: first thing in main, before any other thread exists.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var("HDF5_USE_FILE_LOCKING", "FALSE");
        }
    }
    let cli = Cli::parse();
    match start(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            let input = e.downcast_ref::<InputError>().is_some()
                || e.downcast_ref::<basintwin_runner::scenario::Problems>()
                    .is_some()
                || e.downcast_ref::<basintwin_io::IoError>()
                    .is_some_and(|i| i.is_input_error());
            ExitCode::from(if input { 2 } else { 1 })
        }
    }
}

fn start(cli: Cli) -> Result<ExitCode> {
    use basintwin_io::run_folder::SNAPSHOTS;
    let input = |m: String| anyhow!(InputError(m));
    let color_mode = ColorMode::parse(&cli.color).ok_or_else(|| {
        input(format!(
            "--color {}: expected depth, speed, hazard or exceedance",
            cli.color
        ))
    })?;
    if cli.width < 16 || cli.height < 16 || cli.width > 16384 || cli.height > 16384 {
        return Err(input(format!(
            "--width {} --height {}: expected 16 to 16384 pixels",
            cli.width, cli.height
        )));
    }
    if let Some(e) = cli.exaggeration
        && !(e.is_finite() && e > 0.0)
    {
        return Err(input(format!(
            "--exaggeration {e}: expected a positive number"
        )));
    }
    if let Some(t) = cli.time
        && !t.is_finite()
    {
        return Err(input(format!(
            "--time {t}: expected seconds since the start of the run"
        )));
    }
    if let Some(m) = cli.legend_max
        && !(m.is_finite() && m > 0.0)
    {
        return Err(input(format!(
            "--legend-max {m}: expected a positive number"
        )));
    }
    if cli.bench_frames == Some(0) {
        return Err(input(
            "--bench-frames 0: expected at least one frame".into(),
        ));
    }
    if let Some(p) = &cli.screenshot
        && p.extension().and_then(|e| e.to_str()) != Some("png")
    {
        return Err(input(format!(
            "--screenshot {}: expected a .png file",
            p.display()
        )));
    }
    let (dir, live, scenario) = match (&cli.run, &cli.follow, &cli.live) {
        (Some(r), None, None) => (r.clone(), None, None),
        (None, Some(f), None) => (f.clone(), None, None),
        (None, None, Some(s)) => {
            let live = LiveRun::start(s, cli.backend.as_deref(), cli.overwrite)?;
            (live.out.clone(), Some(live), Some(s.clone()))
        }
        _ => {
            return Err(input(
                "expected a run folder, --follow DIR or --live SCENARIO.toml (see --help)".into(),
            ));
        }
    };
    if cli.run.is_some() && !basintwin_viewer::data::snapshots_path(&dir).exists() {
        return Err(input(format!(
            "{}: no {SNAPSHOTS} there (expected a basintwin run's output folder or its {SNAPSHOTS})",
            dir.display()
        )));
    }
    if cli.follow.is_some() {
        wait_for_snapshots(&dir)?;
    }
    let run = RunData::open(&dir, scenario.as_deref())?;
    let config_path = cli.config.clone().or_else(|| {
        let p = run.dir.join("viewer.toml");
        p.is_file().then_some(p)
    });
    let viewpoints = match config_path {
        Some(p) => {
            ViewerConfig::load(&p)
                .map_err(|e| input(format!("{e:#}")))?
                .viewpoint
        }
        None => Vec::new(),
    };
    let opts = Options {
        color_mode,
        legend_max: cli.legend_max,
        exaggeration: cli.exaggeration,
        arrows: cli.arrows,
        exceedance_depth: cli.exceedance_depth,
        time: cli.time,
        viewpoint: cli.viewpoint,
        viewpoints,
        screenshot: cli.screenshot,
        bench_frames: cli.bench_frames,
        width: cli.width,
        height: cli.height,
        follow: cli.follow.is_some() || live.is_some(),
        live,
        fixed_frame_s: None,
    };
    let mut app = basintwin_viewer::app(run, opts).map_err(|e| input(format!("{e:#}")))?;
    Ok(match app.run() {
        bevy::app::AppExit::Success => ExitCode::SUCCESS,
        bevy::app::AppExit::Error(_) => ExitCode::from(1),
    })
}

/// `--follow`: wait until the run has written its first snapshot.
fn wait_for_snapshots(dir: &std::path::Path) -> Result<()> {
    let path = basintwin_viewer::data::snapshots_path(dir);
    let mut told = false;
    loop {
        if let Ok(r) = basintwin_io::SnapshotReader::open(&path)
            && !r.times.is_empty()
        {
            return Ok(());
        }
        if !told {
            eprintln!("waiting for {} ...", path.display());
            told = true;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}
