//! UK Environment Agency benchmark Test 4 (Néelz & Pender 2013, EA report SC120002): flood
//! propagation over a flat, dry 1000 m x 2000 m floodplain from a 20 m breach in the middle of
//! its western side (inflow hydrograph `BC.csv`: 0 until 5 min, 20 m3/s from 60 to 240 min, 0 at
//! 300 min), Manning n = 0.05, 5 hours, output points 1–6 (`gauge_loc.csv`; both from
//! `../shared/validation/ea-benchmark/test4_flood_speed`). There is no closed form: the report
//! compares packages with each other, and its peer results are not available here, so the
//! section gives our arrival times and peak levels per resolution, their convergence, and the
//! water budget.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use basintwin_core::{
    Boundaries, BoundarySegment, Forcing, Grid, Scheme, SegmentKind, Series, Side, Terrain,
};
use basintwin_runner::plot::Curve;
use basintwin_runner::run::InputError;

use super::args::Plan;
use super::checks::Check;
use super::gauges::{self, Model, run_model, validation_data};
use super::report::{Report, plot_file};
use super::runs::Row;

pub const DURATION_S: f64 = 18_000.0;
pub const SAMPLE_S: f64 = 30.0;
/// Arrival: the depth first reaches this (m).
pub const ARRIVAL_M: f64 = 0.1;

pub fn data_dir() -> Option<PathBuf> {
    validation_data(
        "ea-benchmark/test4_flood_speed",
        &["BC.csv", "gauge_loc.csv"],
    )
}

fn rows(path: &Path) -> Result<Vec<Vec<f64>>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split(',')
                .map(|v| v.trim().parse::<f64>())
                .collect::<Result<Vec<f64>, _>>()
                .map_err(|e| anyhow!("{}: {l:?}: {e}", path.display()))
        })
        .collect()
}

/// Pairs of numbers: (time s, inflow m3/s) or (x m, y m).
pub type Pairs = Vec<(f64, f64)>;

/// The inflow hydrograph (s, m3/s) and the six output points (m).
pub fn inputs(dir: &Path) -> Result<(Pairs, Pairs)> {
    let bc = rows(&dir.join("BC.csv"))?
        .into_iter()
        .filter_map(|r| (r.len() >= 2).then(|| (r[0] * 60.0, r[1])))
        .collect::<Vec<_>>();
    let pts = rows(&dir.join("gauge_loc.csv"))?
        .into_iter()
        .filter_map(|r| (r.len() >= 3).then(|| (r[1], r[2])))
        .collect::<Vec<_>>();
    if bc.len() < 2 || pts.len() != 6 {
        return Err(anyhow!(
            "{}: expected an inflow series and six output points",
            dir.display()
        ));
    }
    Ok((bc, pts))
}

/// The floodplain at `cell_m`; the breach is the western cells the 20 m line
/// y = 990..1010 m overlaps (exactly 20 m at 10 m cells; two cells, 80 m, at 40 m).
pub fn model(cell_m: f64, bc: &[(f64, f64)], pts: &[(f64, f64)]) -> Result<Model> {
    let input = |e: basintwin_core::CoreError| anyhow!(InputError(e.to_string()));
    let (nx, ny) = (
        (1000.0 / cell_m).round() as usize,
        (2000.0 / cell_m).round() as usize,
    );
    let grid = Grid::new(nx, ny, cell_m, cell_m).map_err(input)?;
    let terrain = Terrain::new(&grid, vec![0.0; grid.cells()], 0.05).map_err(input)?;
    let j0 = (990.0 / cell_m).floor() as usize;
    let j1 = (1010.0 / cell_m).ceil() as usize;
    let gauge_cells = pts
        .iter()
        .map(|&(x, y)| {
            let i = ((x / cell_m).floor() as usize).min(nx - 1);
            let j = ((y / cell_m).floor() as usize).min(ny - 1);
            j * nx + i
        })
        .collect();
    Ok(Model {
        depth: vec![0.0; grid.cells()],
        forcing: Forcing {
            boundaries: vec![BoundarySegment {
                name: "breach".into(),
                side: Side::West,
                cells: j0..j1,
                kind: SegmentKind::Inflow(Series::new(bc.to_vec(), "inflow").map_err(input)?),
            }],
            ..Default::default()
        },
        grid,
        terrain,
        gauge_cells,
        boundaries: Boundaries::walls(),
        duration_s: DURATION_S,
        sample_s: SAMPLE_S,
    })
}

/// First time the depth reaches [`ARRIVAL_M`] at gauge `g`, and the peak depth and its time.
pub fn arrival_and_peak(series: &[(f64, [f64; 6])], g: usize) -> (Option<f64>, f64, f64) {
    let arrival = series
        .iter()
        .find(|(_, h)| h[g] >= ARRIVAL_M)
        .map(|(t, _)| *t);
    let (tp, hp) = series
        .iter()
        .map(|(t, h)| (*t, h[g]))
        .fold(
            (0.0, f64::NEG_INFINITY),
            |a, b| if b.1 > a.1 { b } else { a },
        );
    (arrival, hp, tp)
}

/// EA Test 4's section of the report, or a note that its inputs are not on this machine.
pub fn section(plan: &Plan, report: &mut Report) -> Result<()> {
    match data_dir() {
        None => report.md.push_str("## EA Test 4\n\nSkipped: its inflow hydrograph and output points (`../shared/validation/ea-benchmark/test4_flood_speed`, or `BASINTWIN_VALIDATION_DATA`) are not on this machine.\n\n"),
        Some(dir) => {
            eprintln!("EA Test 4 ...");
            run_and_report(&dir, plan, report)?;
        }
    }
    Ok(())
}

/// EA Test 4 at 40, 20 and 10 m cells (100, 50, 40 in quick mode): arrival time (depth 0.1 m)
/// and peak depth at the six output points per run, their change between the two finest
/// grids, the water budget, and the depth series at the finest grid. Checks: the budget.
fn run_and_report(dir: &Path, plan: &Plan, report: &mut Report) -> Result<()> {
    let data = inputs(dir)?;
    // 5 m cells change arrival times by at most 3 min and peaks by 4 mm against 10 m, at 8 times
    // the cost (measured 2026-11-29).
    let sizes: [f64; 3] = if plan.quick {
        [100.0, 50.0, 40.0]
    } else {
        [40.0, 20.0, 10.0]
    };
    let md = &mut report.md;
    md.push_str("## EA Test 4: flood propagation over a flat floodplain (Néelz & Pender 2013)\n\n");
    md.push_str(&format!(
        "A 1000 m x 2000 m dry plain, n = 0.05, fed by the hydrograph of `BC.csv` (peak 20 m³/s) through a 20 m breach in the middle of its west side (the western cells the breach overlaps: exactly 20 m at 10 m cells, wider on coarser grids); 5 h; depths sampled every {} s at output points 1–6 (`gauge_loc.csv`). Arrival: depth first ≥ {} m. **No reference:** the EA report judges packages against each other and its peer results are not available to the project, so these are our numbers, with their change between the two finest grids.\n\n",
        SAMPLE_S,
        ARRIVAL_M
    ));
    md.push_str("| scheme | backend | precision | cell (m) | cells | steps | arrival P1..P6 (min) | peak depth P1..P6 (m) | mass error | wall (s) | cell updates/s |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    let mut finest: Vec<(String, gauges::Series)> = Vec::new();
    let mut spread: Vec<String> = Vec::new();
    for scheme in &plan.schemes {
        for (b, p) in &plan.combos {
            let mut per: Vec<gauges::Series> = Vec::new();
            let mut worst_mass = 0.0f64;
            for &cell in &sizes {
                let (series, mass) = one_run(cell, &data, *scheme, b, p, report)?;
                worst_mass = worst_mass.max(mass.abs());
                per.push(series);
            }
            spread.push(format!(
                "- {scheme} {b} {p}: {}",
                change(&per[1], &per[2], sizes[1], sizes[2])
            ));
            let bound: f64 = if p == "f64" { 1e-10 } else { 1e-4 };
            report.checks.push(Check {
                what: format!(
                    "ea_test4, {scheme} {b} {p}: mass error {worst_mass:.1e} < {bound:.0e}"
                ),
                ok: worst_mass < bound,
            });
            finest.push((format!("{scheme} {b} {p}"), per.pop().unwrap_or_default()));
        }
    }
    let md = &mut report.md;
    md.push('\n');
    for l in spread {
        md.push_str(&l);
        md.push('\n');
    }
    md.push('\n');
    plots(&finest, sizes[2], plan, report);
    Ok(())
}

/// One run of EA Test 4 at `cell` (m) with the inflow and output points `(bc, pts)`: its table
/// line and its row; its gauge series and mass error.
fn one_run(
    cell: f64,
    (bc, pts): &(Pairs, Pairs),
    scheme: Scheme,
    b: &str,
    p: &str,
    report: &mut Report,
) -> Result<(gauges::Series, f64)> {
    let m = model(cell, bc, pts)?;
    let (series, steps, wall, mass) = run_model(&m, scheme, b, p)
        .with_context(|| format!("ea_test4 {scheme} {b} {p} {cell} m"))?;
    let (mut arr, mut peak) = (Vec::new(), Vec::new());
    for g in 0..6 {
        let (a, hp, _) = arrival_and_peak(&series, g);
        arr.push(a.map_or("-".into(), |t| format!("{:.0}", t / 60.0)));
        peak.push(format!("{hp:.3}"));
    }
    let cells = m.grid.cells();
    let cups = steps as f64 * cells as f64 / wall.max(1e-9);
    report.md.push_str(&format!(
        "| {scheme} | {b} | {p} | {cell} | {cells} | {steps} | {} | {} | {mass:.1e} | {wall:.2} | {cups:.3e} |\n",
        arr.join(" "),
        peak.join(" ")
    ));
    report.rows.push(Row::measured(
        "ea_test4",
        scheme,
        b,
        p,
        (cells, steps),
        f64::NAN,
        mass,
        wall,
    ));
    Ok((series, mass))
}

/// How much the arrival times and peak depths change from the run `a` at `cell_a` (m) to the
/// run `c` at `cell_c`.
fn change(a: &[(f64, [f64; 6])], c: &[(f64, [f64; 6])], cell_a: f64, cell_c: f64) -> String {
    let (mut dt, mut dh) = (0.0f64, 0.0f64);
    for g in 0..6 {
        let (ta, ha, _) = arrival_and_peak(a, g);
        let (tc, hc, _) = arrival_and_peak(c, g);
        if let (Some(ta), Some(tc)) = (ta, tc) {
            dt = dt.max((ta - tc).abs());
        }
        dh = dh.max((ha - hc).abs());
    }
    format!(
        "from {cell_a} m to {cell_c} m cells, arrival times change by up to {:.0} min, peak depths by up to {:.3} m",
        dt / 60.0,
        dh
    )
}

/// The depth at output points 1, 4 and 6 over time at the finest grid (`cell_m`).
fn plots(finest: &[(String, gauges::Series)], cell_m: f64, plan: &Plan, report: &mut Report) {
    for g in [0usize, 3, 5] {
        let curves: Vec<Curve> = finest
            .iter()
            .map(|(label, series)| Curve {
                name: format!("{label}, {cell_m} m cells"),
                points: series.iter().map(|(t, h)| (*t / 3600.0, h[g])).collect(),
                dashed: false,
            })
            .collect();
        report.images(plot_file(
            &plan.out,
            format!("ea_test4_P{}.png", g + 1),
            &format!("EA Test 4: depth at output point {}", g + 1),
            ("time (h)", "depth (m)"),
            &curves,
            false,
        ));
    }
}
