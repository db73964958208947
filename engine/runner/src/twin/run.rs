//! `basintwin twin SCENARIO --until T`: the scenario's ensemble cycled through the observations
//! of `[assimilation]` up to `T` (a replay or hindcast), writing `analysis.csv` (per cycle and
//! gauge, the members' mean level and its spread after the analysis). Following observations
//! live, forecasts from each analysis, forcing multipliers, LETKF over the grid and OI are
//! still to come; the command says so rather than ignore them.

use std::path::PathBuf;

use anyhow::Result;
use basintwin_core::{Backend, Real, State, Terrain};
use basintwin_io::run_folder::{ANALYSIS, RunFolder, TableWriter};

use super::analysis::Model as AnalysisModel;
use super::cycle::{CycleReport, CycleSettings, run_cycles};
use super::observations::Observations;
use crate::dispatch::{BackendChoice, MembersJob, dispatch_members};
use crate::ensemble::{MemberModel, member_inputs, member_models};
use crate::error::input;
use crate::model::{Model, load_model};
use crate::run::prepare_output;
use crate::scenario::{AssimilationSpec, Method, Scenario};

/// How the twin is run.
#[derive(Debug, Clone, Default)]
pub struct TwinOptions {
    /// Replay the observations up to this time (s); required until live following lands.
    pub until_s: Option<f64>,
    pub overwrite: bool,
    pub quiet: bool,
}

/// What a twin run did.
#[derive(Debug, Clone, PartialEq)]
pub struct TwinEnd {
    pub analysis: PathBuf,
    pub cycles: usize,
    /// Cycles that had observations.
    pub analysed: usize,
    /// Observation rows skipped and why.
    pub warnings: Vec<String>,
}

/// Runs the twin of `sc` and writes `analysis.csv`.
pub fn run_twin(sc: &Scenario, opts: &TwinOptions) -> Result<TwinEnd> {
    let file = sc.file.display().to_string();
    let (Some(spec), Some(asm)) = (&sc.ensemble, &sc.assimilation) else {
        return Err(input(format!(
            "{file}: twin needs an [ensemble] (the members) and an [assimilation] (the observations)"
        )));
    };
    if asm.method != Method::Etkf {
        return Err(input(format!(
            "{file}: assimilation.method: only etkf cycles in this version (letkf over the grid and oi are still to come)"
        )));
    }
    let Some(until_s) = opts.until_s else {
        return Err(input(format!(
            "{file}: following observations live is still to come: replay what is there with --until T"
        )));
    };
    if !(until_s.is_finite() && until_s > 0.0 && until_s <= sc.duration_s) {
        return Err(input(format!(
            "--until {until_s}: expected a time in (0, {}] s (time.duration_s)",
            sc.duration_s
        )));
    }
    let choice =
        BackendChoice::new(&sc.backend, sc.precision).map_err(|m| input(format!("{file}: {m}")))?;
    let model = load_model(sc)?;
    let folder = RunFolder::new(&sc.output_dir);
    prepare_output(&folder, opts.overwrite)?;
    let members = member_models(sc, spec, &model, choice.precision());
    let inputs = member_inputs(sc, &model, &members, None);
    let job = TwinJob {
        sc,
        asm,
        model: &model,
        members: &members,
        folder,
        until_s,
        quiet: opts.quiet,
    };
    dispatch_members(choice, &inputs, job)
}

struct TwinJob<'a> {
    sc: &'a Scenario,
    asm: &'a AssimilationSpec,
    model: &'a Model,
    members: &'a [MemberModel],
    folder: RunFolder,
    until_s: f64,
    quiet: bool,
}

impl MembersJob for TwinJob<'_> {
    type Output = TwinEnd;

    fn initial_state<R: Real>(&self, member: usize, _: &mut Terrain) -> State<R> {
        self.model.state_with_depths(&self.members[member].depth_m)
    }

    fn run<B: Backend + Send>(self, mut members: Vec<B>) -> Result<TwinEnd> {
        let (sc, asm, model) = (self.sc, self.asm, self.model);
        let names: Vec<String> = sc.gauges.iter().map(|g| g.name.clone()).collect();
        let (rows, warnings) = Observations::new(&asm.observations, names.clone()).poll()?;
        if !self.quiet {
            for w in &warnings {
                eprintln!("warning: {w}");
            }
        }
        let path = self.folder.file(ANALYSIS);
        let mut table = TableWriter::create(&path, &analysis_header(&names))?;
        let grid = &model.dem.grid;
        let analysis_model = AnalysisModel {
            nx: grid.nx,
            bed_m: &model.terrain.bed_m,
            active: &model.terrain.active,
            cell_area_m2: grid.cell_area_m2(),
            dry_depth_m: sc.solver.dry_depth_m,
        };
        let settings = CycleSettings {
            cycle_s: asm.cycle_s,
            obs_error_m: asm.obs_error_m,
            inflation: asm.inflation,
        };
        let cells = &model.gauge_cells;
        let bed = &model.terrain.bed_m;
        let reports = run_cycles(
            &mut members,
            analysis_model,
            cells,
            &rows,
            settings,
            self.until_s,
            |m, r| {
                let row = analysis_row(m, r, cells, bed)?;
                table.push(&row)?;
                Ok(())
            },
        )?;
        let analysed = reports.iter().filter(|r| r.analysis.is_some()).count();
        if !self.quiet {
            eprintln!(
                "{}: {} cycles to t = {} s, {analysed} with observations; analysis in {}",
                sc.name,
                reports.len(),
                self.until_s,
                path.display()
            );
        }
        Ok(TwinEnd {
            analysis: path,
            cycles: reports.len(),
            analysed,
            warnings,
        })
    }
}

/// `analysis.csv`'s header: `time_s`, then per gauge its mean and spread.
fn analysis_header(names: &[String]) -> String {
    let mut h = String::from("time_s");
    for n in names {
        h.push_str(&format!(",{n}_level_mean_m,{n}_level_sd_m"));
    }
    h
}

/// One row: per gauge the members' mean level and its standard deviation after the analysis.
fn analysis_row<B: Backend>(
    members: &mut [B],
    r: &CycleReport,
    cells: &[usize],
    bed: &[f64],
) -> Result<String> {
    let n = members.first().map_or(0, |b| b.grid().cells());
    let mut state = State::<B::Real>::dry(n);
    let mut levels = vec![Vec::with_capacity(members.len()); cells.len()];
    for b in members.iter_mut() {
        b.read_state(&mut state)?;
        for (g, &k) in cells.iter().enumerate() {
            levels[g].push(bed[k] + state.h[k].f64());
        }
    }
    let mut row = format!("{}", r.time_s);
    for l in &levels {
        let m = l.iter().sum::<f64>() / l.len() as f64;
        let var = l.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (l.len().max(2) - 1) as f64;
        row.push_str(&format!(",{m:.6},{:.6}", var.sqrt()));
    }
    Ok(row)
}
