//! The end of a run: flood maps, `hydrographs.png` and `summary.json`, from the recorders'
//! series and the backend's ledger and maxima.

use anyhow::Result;
use basintwin_core::{Backend, Maxima, Real, RunSummary};
use basintwin_io::run_folder::{
    GaugeSample, GaugeSummary, GridSummary, HYDROGRAPHS, MassBalance, RunFolder, SUMMARY,
    SectionSummary, Summary,
};

use crate::model::Model;
use crate::plot;
use crate::scenario::{Gauge, Scenario};

/// The peak depth and level of gauge `gi` and when its warning level was first passed.
pub fn gauge_summary(g: &Gauge, gi: usize, series: &[(f64, Vec<GaugeSample>)]) -> GaugeSummary {
    let (mut peak_h, mut peak_l, mut peak_t) = (0.0f64, f64::NEG_INFINITY, 0.0);
    let mut exceeded = None;
    for (t, row) in series {
        let GaugeSample {
            depth_m: h,
            level_m: l,
            ..
        } = row[gi];
        if h > peak_h {
            peak_t = *t;
        }
        peak_h = peak_h.max(h);
        peak_l = peak_l.max(l);
        if let Some(w) = g.warning_level_m
            && exceeded.is_none()
            && l > w
            && h > 0.0
        {
            exceeded = Some(*t);
        }
    }
    GaugeSummary {
        name: g.name.clone(),
        x: g.x,
        y: g.y,
        peak_depth_m: peak_h,
        peak_level_m: peak_l,
        peak_time_s: peak_t,
        warning_level_m: g.warning_level_m,
        warning_exceeded_at_s: exceeded,
    }
}

/// The largest mean discharge (in magnitude) through section `k` and when.
pub fn section_summary(name: &str, k: usize, series: &[(f64, Vec<f64>)]) -> SectionSummary {
    let (mut peak, mut at) = (0.0f64, 0.0);
    for (t, row) in series {
        if row[k].abs() > peak.abs() {
            peak = row[k];
            at = *t;
        }
    }
    SectionSummary {
        name: name.to_string(),
        peak_discharge_m3_s: peak,
        peak_time_s: at,
    }
}

/// Writes the four flood maps from the backend's maxima.
pub fn write_maps<B: Backend>(backend: &mut B, model: &Model, folder: &RunFolder) -> Result<()> {
    let grid = &model.dem.grid;
    let mut maxima = Maxima::new(grid.cells());
    backend.read_maxima(&mut maxima)?;
    basintwin_io::write_flood_maps(folder.dir(), grid, &model.dem.active, &maxima, true)?;
    Ok(())
}

/// Draws `hydrographs.png` (gauge levels, section discharges); problems become warnings.
pub fn write_plot(
    sc: &Scenario,
    folder: &RunFolder,
    gauges: &[(f64, Vec<GaugeSample>)],
    sections: &[(f64, Vec<f64>)],
    end_s: f64,
    warnings: &mut Vec<String>,
) {
    let gauge_lines: Vec<plot::Line> = sc
        .gauges
        .iter()
        .enumerate()
        .map(|(gi, g)| plot::Line {
            name: g.name.clone(),
            points: gauges
                .iter()
                .map(|(t, row)| (*t, row[gi].level_m))
                .collect(),
            warning: g.warning_level_m,
        })
        .collect();
    let section_lines: Vec<plot::Line> = sc
        .sections
        .iter()
        .enumerate()
        .map(|(k, s)| plot::Line {
            name: s.name.clone(),
            points: sections
                .iter()
                .skip(1)
                .map(|(t, row)| (*t, row[k]))
                .collect(),
            warning: None,
        })
        .collect();
    if gauge_lines.is_empty() && section_lines.is_empty() {
        return;
    }
    let path = folder.file(HYDROGRAPHS);
    match plot::hydrographs(&path, &sc.name, &gauge_lines, &section_lines, end_s) {
        Ok(true) => {}
        Ok(false) => warnings.push(format!("{HYDROGRAPHS} not drawn: no DejaVu font found (Debian: apt-get install fonts-dejavu-core)")),
        Err(e) => warnings.push(format!("{HYDROGRAPHS} not drawn: {e}")),
    }
}

/// What `summary.json` says beyond the run's own summary.
#[derive(Debug)]
pub struct Ending {
    pub gauges: Vec<GaugeSummary>,
    pub sections: Vec<SectionSummary>,
    pub warnings: Vec<String>,
    pub interrupted_at_s: Option<f64>,
    pub resumed_from_s: Option<f64>,
    pub ensemble: Option<basintwin_io::run_folder::EnsembleSummary>,
}

/// Builds and writes `summary.json`; returns its path.
pub fn write_summary<R: Real>(
    sc: &Scenario,
    model: &Model,
    folder: &RunFolder,
    run: &RunSummary,
    ending: Ending,
) -> Result<std::path::PathBuf> {
    let grid = &model.dem.grid;
    let outputs = written(folder);
    let summary = Summary {
        scenario: sc.file.display().to_string(),
        name: sc.name.clone(),
        start: sc.start.clone(),
        scheme: sc.solver.scheme.name().into(),
        backend: run.backend.clone(),
        precision: R::NAME.into(),
        grid: GridSummary {
            nx: grid.nx,
            ny: grid.ny,
            dx_m: grid.dx_m,
            dy_m: grid.dy_m,
            x_west_m: grid.x_west_m,
            y_south_m: grid.y_south_m,
        },
        simulated_s: run.simulated_s,
        wall_s: run.wall_s,
        steps: run.steps,
        cells: run.cells,
        cell_updates_per_s: run.cell_updates_per_s,
        mass_balance: MassBalance::from(&run.ledger),
        gauges: ending.gauges,
        sections: ending.sections,
        warnings: ending.warnings,
        interrupted_at_s: ending.interrupted_at_s,
        resumed_from_s: ending.resumed_from_s,
        outputs,
        ensemble: ending.ensemble,
    };
    Ok(folder.write_summary(&summary)?)
}

/// The files of the run now in the folder, and the summary about to be: the fixed names in
/// their order, then the ensemble's maps by name.
fn written(folder: &RunFolder) -> Vec<String> {
    use basintwin_io::run_folder::{OUTPUT_FILES, is_output_file};
    let mut outputs: Vec<String> = OUTPUT_FILES
        .into_iter()
        .filter(|f| *f == SUMMARY || folder.file(f).is_file())
        .map(str::to_string)
        .collect();
    let mut more: Vec<String> = std::fs::read_dir(folder.dir())
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| is_output_file(n) && !OUTPUT_FILES.contains(&n.as_str()))
        .collect();
    more.sort();
    outputs.extend(more);
    outputs
}
