//! The Soares-Frazão & Zech (2007) flume (EA Test 6A at lab scale): a dam-break bore through a
//! 1 m gate against a rotated building, with the depths measured at gauges G1–G6 for 30 s.
//! Geometry from the set-up sketch shipped with the data (`UCL_obstacle.TIF`): reservoir
//! 6.75 m long, 0.40 m deep; dam wall 0.80 m thick with a central 1.0 m gate; channel 3.6 m
//! wide with 0.34 m side banks rising 0.155 m, 0.02 m of water; building 0.80 m x 0.40 m, its
//! long sides at 64 degrees to the flume axis, its upstream corner 3.44 m downstream of the dam
//! and 1.75 m from the right bank (the short side runs downstream from it at -26 degrees);
//! Manning n = 0.01. The channel is cut at x = 12 m with free outflow: modelling the whole
//! 35.8 m flume closed at its end gave the same gauge series to the printed digits (as the
//! sketch says, the end wall has no influence within 30 s) at twice the cost.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use basintwin_core::{Boundaries, BoundaryKind, Grid, Manning, Scheme, Terrain};
use basintwin_runner::plot::Curve;
use basintwin_runner::run::InputError;

use super::args::Plan;
use super::gauges::{Model, Series, run_model, validation_data};
use super::report::{Report, plot_file};
use super::runs::Row;

pub const GAUGES: [(&str, f64, f64); 6] = [
    ("G1", 2.65, 1.15),
    ("G2", 2.65, -0.60),
    ("G3", 4.00, 1.15),
    ("G4", 4.00, -0.80),
    ("G5", 5.20, 0.30),
    ("G6", -1.87, 1.10),
];
const X0: f64 = -7.55;
const X1: f64 = 12.0;
const Y0: f64 = -1.8;
const WIDTH: f64 = 3.6;
pub const DURATION_S: f64 = 30.0;
pub const SAMPLE_S: f64 = 0.1;

/// The data folder, when this machine has it.
pub fn data_dir() -> Option<PathBuf> {
    validation_data(
        "isolated-building-soares-frazao",
        &["building_gauges_h.txt.gz"],
    )
}

/// Measured depths: (t, [h at G1..G6]).
pub fn measured(dir: &Path) -> Result<Vec<(f64, [f64; 6])>> {
    use std::io::Read;
    let p = dir.join("building_gauges_h.txt.gz");
    let f = std::fs::File::open(&p).map_err(|e| anyhow!("{}: {e}", p.display()))?;
    let mut text = String::new();
    flate2::read::GzDecoder::new(f)
        .read_to_string(&mut text)
        .map_err(|e| anyhow!("{}: {e}", p.display()))?;
    let mut out = Vec::new();
    for line in text.lines().skip(2) {
        let v: Vec<f64> = line
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        if v.len() == 7 {
            out.push((v[0], [v[1], v[2], v[3], v[4], v[5], v[6]]));
        }
    }
    if out.len() < 100 {
        return Err(anyhow!(
            "{}: expected time and six depths per line",
            p.display()
        ));
    }
    Ok(out)
}

/// Is `(x, y)` inside the building?
fn in_building(x: f64, y: f64) -> bool {
    let (c, s) = (64f64.to_radians().cos(), 64f64.to_radians().sin());
    // Upstream corner; long side (0.80) along (c, s), short side (0.40) along (s, -c).
    let (bx, by) = (3.44, Y0 + 1.75);
    let (dx, dy) = (x - bx, y - by);
    let along = dx * c + dy * s;
    let across = dx * s - dy * c;
    (0.0..=0.80).contains(&along) && (0.0..=0.40).contains(&across)
}

/// The flume at `cell_m`.
pub fn model(cell_m: f64) -> Result<Model> {
    let input = |e: basintwin_core::CoreError| anyhow!(InputError(e.to_string()));
    let nx = ((X1 - X0) / cell_m).round() as usize;
    let ny = (WIDTH / cell_m).round() as usize;
    let grid = Grid::georeferenced(nx, ny, cell_m, cell_m, X0, Y0, String::new()).map_err(input)?;
    let bank = |y: f64| {
        let d = y.abs() - (WIDTH / 2.0 - 0.34);
        if d > 0.0 { 0.155 * d / 0.34 } else { 0.0 }
    };
    let bed = grid.map_centres(|_, y| bank(y));
    let active: Vec<bool> = (0..grid.cells())
        .map(|k| {
            let (x, y) = grid.cell_centre_m(k % nx, k / nx);
            let dam = (-0.80..0.0).contains(&x) && y.abs() > 0.5;
            !(dam || in_building(x, y))
        })
        .collect();
    let depth: Vec<f64> = (0..grid.cells())
        .map(|k| {
            let (x, y) = grid.cell_centre_m(k % nx, k / nx);
            let level = if x < -0.80 { 0.40 } else { 0.02 };
            if active[k] {
                (level - bank(y)).max(0.0)
            } else {
                0.0
            }
        })
        .collect();
    let terrain = Terrain::with_mask(&grid, bed, active, Manning::Uniform(0.01)).map_err(input)?;
    let gauge_cells = GAUGES
        .iter()
        .map(|&(_, x, y)| {
            grid.cell_at(x, y)
                .map(|(i, j)| grid.index(i, j))
                .ok_or_else(|| anyhow!("gauge at ({x}, {y}) outside the flume grid"))
        })
        .collect::<Result<_>>()?;
    Ok(Model {
        grid,
        terrain,
        depth,
        gauge_cells,
        boundaries: Boundaries {
            east: BoundaryKind::Free,
            ..Boundaries::walls()
        },
        forcing: Default::default(),
        duration_s: DURATION_S,
        sample_s: SAMPLE_S,
    })
}

/// Root-mean-square difference over the run and the bore's arrival time (the steepest rise
/// over 0.2 s in the first 10 s) of gauge `g`, computed against measured (nearest measured
/// sample in time).
pub fn compare(
    computed: &[(f64, [f64; 6])],
    measured: &[(f64, [f64; 6])],
    g: usize,
) -> (f64, Option<f64>, Option<f64>) {
    let at = |t: f64| -> f64 {
        let k = measured
            .partition_point(|(tm, _)| *tm < t)
            .min(measured.len() - 1);
        measured[k].1[g]
    };
    let mut sq = 0.0;
    for (t, h) in computed {
        let d = h[g] - at(*t);
        sq += d * d;
    }
    let rmse = (sq / computed.len() as f64).sqrt();
    let times: Vec<f64> = computed
        .iter()
        .map(|(t, _)| *t)
        .filter(|&t| t <= 10.0)
        .collect();
    let bore = |h: &dyn Fn(f64) -> f64| -> Option<f64> {
        times
            .iter()
            .map(|&t| (t, h(t + 0.2) - h(t)))
            .filter(|&(_, rise)| rise > 0.02)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(t, _)| t + 0.1)
    };
    let comp = |t: f64| -> f64 {
        let k = computed
            .partition_point(|(tc, _)| *tc < t - 1e-9)
            .min(computed.len() - 1);
        computed[k].1[g]
    };
    (rmse, bore(&comp), bore(&at))
}

/// The flume's section of the report, or a note that its data is not on this machine.
pub fn section(plan: &Plan, report: &mut Report) -> Result<()> {
    match data_dir() {
        None => report.md.push_str("## Soares-Frazão & Zech (2007) flume\n\nSkipped: the measured data (`../shared/validation/isolated-building-soares-frazao`, or `BASINTWIN_VALIDATION_DATA`) is not on this machine.\n\n"),
        Some(dir) => {
            eprintln!("Soares-Frazão flume ...");
            run_and_report(&dir, plan, report)?;
        }
    }
    Ok(())
}

/// Runs the flume at three cell sizes for every combination and writes its section: per-gauge
/// RMSE and bore arrival against the measurements, and the depth series over the measured.
fn run_and_report(dir: &Path, plan: &Plan, report: &mut Report) -> Result<()> {
    let measured = measured(dir)?;
    let sizes: [f64; 3] = if plan.quick {
        [0.2, 0.15, 0.1]
    } else {
        [0.1, 0.075, 0.05]
    };
    let md = &mut report.md;
    md.push_str(
        "## Soares-Frazão & Zech (2007): dam break against an isolated building (measured)\n\n",
    );
    md.push_str("Depth at gauges G1–G6 over 30 s against the flume measurements (J. Hydraulic Research 45, 2007; data from the authors, `../shared/validation`). RMSE over the run (cm); bore arrival = the steepest rise over 0.2 s in the first 10 s, computed minus measured (s).\n\n");
    md.push_str("| scheme | backend | precision | cell (m) | cells | steps | RMSE G1..G6 (cm) | arrival G1..G5 (s) | mass error | wall (s) | cell updates/s |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    let mut finest: Vec<(String, Series)> = Vec::new();
    for scheme in &plan.schemes {
        for (b, p) in &plan.combos {
            for (k, &cell) in sizes.iter().enumerate() {
                let series = one_run(cell, *scheme, b, p, &measured, report)?;
                if k == sizes.len() - 1 {
                    finest.push((format!("{scheme} {b} {p}"), series));
                }
            }
        }
    }
    report.md.push('\n');
    plots(&measured, &finest, sizes[2], plan, report);
    Ok(())
}

/// One run of the flume at `cell` (m): its table line and its row (the mean RMSE over G1–G5 as
/// its error); its gauge series.
fn one_run(
    cell: f64,
    scheme: Scheme,
    b: &str,
    p: &str,
    measured: &[(f64, [f64; 6])],
    report: &mut Report,
) -> Result<Series> {
    let m = model(cell)?;
    let (series, steps, wall, mass) = run_model(&m, scheme, b, p)?;
    let mut rmse = Vec::new();
    let mut arr = Vec::new();
    for g in 0..6 {
        let (r, tc, tm) = compare(&series, measured, g);
        rmse.push(format!("{:.1}", 100.0 * r));
        if g < 5 {
            arr.push(match (tc, tm) {
                (Some(a), Some(b)) => format!("{:+.2}", a - b),
                _ => "–".into(),
            });
        }
    }
    let cells = m.grid.cells();
    let cups = steps as f64 * cells as f64 / wall.max(1e-9);
    report.md.push_str(&format!(
        "| {scheme} | {b} | {p} | {cell} | {cells} | {steps} | {} | {} | {mass:.1e} | {wall:.2} | {cups:.3e} |\n",
        rmse.join(" "),
        arr.join(" ")
    ));
    let mean_rmse = (0..5).map(|g| compare(&series, measured, g).0).sum::<f64>() / 5.0;
    report.rows.push(Row::measured(
        "soares_frazao",
        scheme,
        b,
        p,
        (cells, steps),
        mean_rmse,
        mass,
        wall,
    ));
    Ok(series)
}

/// The depth at each gauge over time, measured and computed at the finest grid (`cell_m`).
fn plots(
    measured: &[(f64, [f64; 6])],
    finest: &[(String, Series)],
    cell_m: f64,
    plan: &Plan,
    report: &mut Report,
) {
    for (g, (name, _, _)) in GAUGES.iter().enumerate() {
        let mut curves = vec![Curve {
            name: "measured".into(),
            points: measured
                .iter()
                .step_by(5)
                .map(|(t, h)| (*t, h[g]))
                .collect(),
            dashed: true,
        }];
        for (label, series) in finest {
            curves.push(Curve {
                name: format!("{label}, {cell_m} m cells"),
                points: series.iter().map(|(t, h)| (*t, h[g])).collect(),
                dashed: false,
            });
        }
        report.images(plot_file(
            &plan.out,
            format!("soares_frazao_{name}.png"),
            &format!("Soares-Frazão flume: depth at {name}"),
            ("time (s)", "depth (m)"),
            &curves,
            false,
        ));
    }
}
