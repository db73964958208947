//! `basintwin run`: a scenario from files to results. The lifecycle: the output folder
//! prepared (or the checkpoint read, resuming), the backend chosen by the dispatcher, the
//! recorders opened, `simulation::run` through the output plan, then maps, plot and summary.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result, anyhow};
use basintwin_core::{
    Backend, Checkpoint, Outcome, OutputPlan, Real, Recorder, Recorders, RunError, RunSummary,
    State, Terrain,
};
use basintwin_io::SnapshotMeta;
use basintwin_io::run_folder::{CHECKPOINT, RunFolder, TableWriter, is_output_file};

use crate::dispatch::{BackendChoice, BackendInput, BackendJob, dispatch};
pub use crate::error::InputError;
use crate::error::input;
use crate::model::{Model, load_model};
use crate::recorders::{
    CheckpointFile, GaugeRecorder, Progress, SectionRecorder, SnapshotRecorder, WallClock,
    read_checkpoint,
};
use crate::scenario::Scenario;
use crate::summary::{self, Ending};

/// How the run talks to the user.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub threads: Option<usize>,
    pub overwrite: bool,
    pub quiet: bool,
    pub json: bool,
    /// Continue from `checkpoint.bin` in the output folder.
    pub resume: bool,
    /// Set by the Ctrl-C handler: stop after the current step and save.
    pub interrupt: Option<Arc<AtomicBool>>,
    /// Of an ensemble scenario, run only this member, as a single run.
    pub member: Option<usize>,
}

/// How a run ended (its results are written either way).
#[derive(Debug, Clone, PartialEq)]
pub struct RunEnd {
    /// `summary.json`.
    pub summary: PathBuf,
    /// Set when the run was stopped (Ctrl-C) before its end; it can be resumed.
    pub interrupted_at_s: Option<f64>,
}

/// The message for a run stopped with Ctrl-C: where its results are, how to go on.
pub fn interrupted_message(sc: &Scenario, t: f64, member: Option<usize>) -> String {
    let (file, out) = (sc.file.display(), sc.output_dir.display());
    let member = member.map(|k| format!(" --member {k}")).unwrap_or_default();
    format!(
        "{file}: interrupted at t = {t:.1} s; the results up to then (snapshots, maps, gauges, summary) are in {out}; continue with: basintwin run {file}{member} --output {out} --resume"
    )
}

/// Refuses to write into an existing, non-empty output folder unless `overwrite`, and then
/// clears the earlier run's results from it.
pub(crate) fn prepare_output(folder: &RunFolder, overwrite: bool) -> Result<()> {
    let dir = folder.dir();
    if !dir.exists() {
        return std::fs::create_dir_all(dir).map_err(|e| {
            input(format!(
                "{}: cannot create the output folder: {e}",
                dir.display()
            ))
        });
    }
    if !dir.is_dir() {
        return Err(input(format!(
            "{}: the output folder is a file; choose a folder with --output or output.dir",
            dir.display()
        )));
    }
    let non_empty = std::fs::read_dir(dir)
        .map_err(|e| {
            input(format!(
                "{}: cannot list the output folder: {e}",
                dir.display()
            ))
        })?
        .next()
        .is_some();
    if non_empty && !overwrite {
        return Err(input(format!(
            "{}: the output folder exists and is not empty; pass --overwrite to replace its results, or choose another with --output",
            dir.display()
        )));
    }
    // Replacing: remove the results of the earlier run (only files basintwin writes), so that
    // none of them lingers next to the new ones.
    let listed = std::fs::read_dir(dir).map_err(|e| {
        input(format!(
            "{}: cannot list the output folder: {e}",
            dir.display()
        ))
    })?;
    for entry in listed.flatten() {
        let p = entry.path();
        if is_output_file(&entry.file_name().to_string_lossy()) && p.is_file() {
            std::fs::remove_file(&p)
                .map_err(|e| input(format!("{}: cannot replace: {e}", p.display())))?;
        }
    }
    Ok(())
}

/// Runs the scenario and writes its results; an interrupted run is `Ok` with
/// `interrupted_at_s` set.
pub fn run_scenario(sc: &Scenario, opts: RunOptions) -> Result<RunEnd> {
    if let (Some(spec), None) = (&sc.ensemble, opts.member) {
        return crate::ensemble::run_ensemble(sc, spec, opts);
    }
    let choice = BackendChoice::new(&sc.backend, sc.precision)
        .map_err(|m| input(format!("{}: {m}", sc.file.display())))?;
    let mut model = load_model(sc)?;
    if let Some(k) = opts.member {
        one_member(sc, &mut model, k, choice)?;
    }
    let folder = RunFolder::new(&sc.output_dir);
    if opts.resume {
        if !folder.checkpoint().is_file() {
            return Err(input(format!(
                "{}: no {CHECKPOINT} to resume from (a checkpoint is written every output.checkpoint_interval_s, when a run is stopped with Ctrl-C, or at its end with output.checkpoint_at_end = true)",
                sc.output_dir.display()
            )));
        }
    } else {
        prepare_output(&folder, opts.overwrite)?;
    }
    if !opts.quiet && !opts.json {
        for w in sc.warnings.iter().chain(&model.warnings) {
            eprintln!("warning: {w}");
        }
    }
    let inp = BackendInput {
        grid: &model.dem.grid,
        terrain: &model.terrain,
        solver: &sc.solver,
        forcing: Some(&model.forcing),
        tracked: &model.section_faces,
        threads: opts.threads,
        interrupt: opts.interrupt.clone(),
        context: format!("{}: ", sc.file.display()),
    };
    let job = ScenarioRun {
        sc,
        model: &model,
        opts: &opts,
        folder,
    };
    dispatch(choice, &inp, job)
}

/// `--member k`: the model of member `k` of the scenario's ensemble.
fn one_member(sc: &Scenario, model: &mut Model, k: usize, choice: BackendChoice) -> Result<()> {
    let file = sc.file.display();
    let Some(spec) = &sc.ensemble else {
        return Err(input(format!(
            "{file}: --member {k}: the scenario has no [ensemble] table"
        )));
    };
    if k >= spec.members {
        return Err(input(format!(
            "{file}: --member {k}: the ensemble has members 0 to {} (ensemble.members = {})",
            spec.members - 1,
            spec.members
        )));
    }
    let m = crate::ensemble::member_model(model, spec, k, sc.duration_s, choice.precision());
    model.terrain = m.terrain;
    model.forcing = m.forcing;
    model.depth_m = m.depth_m;
    Ok(())
}

/// A scenario's run on whichever backend the dispatcher built.
struct ScenarioRun<'a> {
    sc: &'a Scenario,
    model: &'a Model,
    opts: &'a RunOptions,
    folder: RunFolder,
}

impl BackendJob for ScenarioRun<'_> {
    type Output = RunEnd;

    fn initial_state<R: Real>(&self, _: &mut Terrain) -> State<R> {
        self.model.initial_state()
    }

    fn run<B: Backend>(self, mut backend: B) -> Result<RunEnd> {
        let resumed = self.resume(&mut backend)?;
        let t_resume = resumed.as_ref().map(|c| c.header.time_s);
        let plan = self.plan(t_resume)?;
        let mut rec = self.recorders(&backend, resumed.as_ref())?;
        self.announce(&backend, t_resume);
        let outcome = rec.run(&mut backend, &plan, self.sc.checkpoint_at_end);
        rec.progress.finish();
        let outcome = self.failed(outcome)?;
        self.finish(&mut backend, rec, outcome, t_resume)
    }
}

impl ScenarioRun<'_> {
    fn file(&self) -> String {
        self.sc.file.display().to_string()
    }

    /// Resuming: the checkpoint, restored into the backend.
    fn resume<B: Backend>(&self, backend: &mut B) -> Result<Option<Checkpoint>> {
        if !self.opts.resume {
            return Ok(None);
        }
        let path = self.folder.checkpoint();
        let ckpt = read_checkpoint(&path)?;
        backend.restore(&ckpt).map_err(|e| {
            input(format!(
                "{}: cannot resume {}: {e}",
                path.display(),
                self.file()
            ))
        })?;
        Ok(Some(ckpt))
    }

    /// The outputs still to come.
    fn plan(&self, t_resume: Option<f64>) -> Result<OutputPlan> {
        let sc = self.sc;
        let plan = OutputPlan::new(
            sc.duration_s,
            sc.output_interval_s,
            sc.gauge_interval_s,
            sc.checkpoint_interval_s,
        )
        .map_err(|e| input(format!("{}: {e}", self.file())))?;
        let Some(t) = t_resume else {
            return Ok(plan);
        };
        let rest = plan.after(t);
        if rest.is_empty() {
            return Err(input(format!(
                "{}: the checkpoint in {} is at t = {t} s, the end of the run (time.duration_s = {}); lengthen the duration to continue",
                self.file(),
                sc.output_dir.display(),
                sc.duration_s
            )));
        }
        Ok(rest)
    }

    /// The recorders, given back their data when resuming, then their files opened (a resumed
    /// run's snapshots and tables cut back to the checkpoint).
    fn recorders<B: Backend>(
        &self,
        backend: &B,
        resumed: Option<&Checkpoint>,
    ) -> Result<RunRecorders> {
        let (sc, model) = (self.sc, self.model);
        let mut gauges = GaugeRecorder::new(
            sc.gauges.iter().map(|g| g.name.clone()).collect(),
            model.gauge_cells.clone(),
            &model.terrain.bed_m,
            sc.solver.dry_depth_m,
        );
        let mut sections =
            SectionRecorder::new(sc.sections.iter().map(|s| s.name.clone()).collect());
        let mut clock = WallClock::default();
        if let Some(c) = resumed {
            let mut list: [&mut dyn Recorder<B::Real>; 3] =
                [&mut gauges, &mut sections, &mut clock];
            basintwin_core::simulation::restore_recorders(&c.header.extra, &mut list)
                .map_err(|e| input(format!("{}: {e}", self.folder.checkpoint().display())))?;
        }
        let t_resume = resumed.map(|c| c.header.time_s);
        let table = |path: PathBuf, header: String| match t_resume {
            Some(t) => TableWriter::resume(&path, &header, t),
            None => TableWriter::create(&path, &header),
        };
        if !sc.gauges.is_empty() {
            gauges.write_to(table(self.folder.gauges(), gauges.header())?);
        }
        if !sc.sections.is_empty() {
            sections.write_to(table(self.folder.sections(), sections.header())?);
        }
        let snapshots = self.snapshot_writer(backend, t_resume)?;
        Ok(RunRecorders {
            snapshots: SnapshotRecorder::new(snapshots),
            gauges,
            sections,
            progress: Progress::new(self.opts.quiet, self.opts.json, sc.duration_s),
            clock,
            store: CheckpointFile::new(self.folder.checkpoint()),
        })
    }

    fn snapshot_writer<B: Backend>(
        &self,
        backend: &B,
        t_resume: Option<f64>,
    ) -> Result<basintwin_io::SnapshotWriter> {
        let (grid, bed) = (&self.model.dem.grid, &self.model.dem.bed_m);
        let path = self.folder.snapshots();
        if let Some(t) = t_resume {
            return Ok(basintwin_io::SnapshotWriter::open_append(
                path, grid, bed, t,
            )?);
        }
        let meta = SnapshotMeta {
            title: self.sc.name.clone(),
            scenario: self.file(),
            scheme: self.sc.solver.scheme.name().into(),
            backend: backend.describe(),
            precision: <B::Real as Real>::NAME.into(),
            start: self.sc.start.clone(),
        };
        Ok(basintwin_io::SnapshotWriter::create(
            path, grid, bed, &meta, true,
        )?)
    }

    fn announce<B: Backend>(&self, backend: &B, t_resume: Option<f64>) {
        if self.opts.quiet || self.opts.json {
            return;
        }
        let (sc, grid) = (self.sc, &self.model.dem.grid);
        eprintln!(
            "{}: {} x {} cells of {} m, {} ({}), {} s to simulate, outputs every {} s -> {}",
            sc.name,
            grid.nx,
            grid.ny,
            grid.dx_m,
            sc.solver.scheme,
            backend.describe(),
            sc.duration_s,
            sc.output_interval_s,
            sc.output_dir.display()
        );
        if let Some(t) = t_resume {
            eprintln!("  resuming at t = {t} s after {} steps", backend.steps());
        }
    }

    /// A failed simulation keeps its snapshots up to the failure and says where they are.
    fn failed(&self, outcome: Result<Outcome, RunError>) -> Result<Outcome> {
        match outcome {
            Ok(o) => Ok(o),
            Err(RunError::Core(core)) => Err(anyhow!(core)).context(format!(
                "{}: the simulation failed; the snapshots up to the failure are in {}",
                self.file(),
                self.folder.snapshots().display()
            )),
            Err(e) => Err(anyhow!(e)),
        }
    }

    /// Maps, plot and summary, for a finished or an interrupted run.
    fn finish<B: Backend>(
        &self,
        backend: &mut B,
        rec: RunRecorders,
        outcome: Outcome,
        t_resume: Option<f64>,
    ) -> Result<RunEnd> {
        let (sc, model, folder) = (self.sc, self.model, &self.folder);
        let interrupted_at_s = match &outcome {
            Outcome::Interrupted { time_s, .. } => Some(*time_s),
            Outcome::Finished(_) => None,
        };
        if interrupted_at_s.is_none() && !sc.checkpoint_at_end {
            // Used up: resuming from it again would redo what this run did.
            let _ = std::fs::remove_file(folder.checkpoint());
        }
        let run = totals(outcome.summary(), backend, rec.clock.total_s());
        summary::write_maps(backend, model, folder)?;
        let mut warnings: Vec<String> = sc.warnings.clone();
        warnings.extend(model.warnings.iter().cloned());
        summary::write_plot(
            sc,
            folder,
            rec.gauges.series(),
            rec.sections.series(),
            run.simulated_s,
            &mut warnings,
        );
        let ending = Ending {
            gauges: sc
                .gauges
                .iter()
                .enumerate()
                .map(|(gi, g)| summary::gauge_summary(g, gi, rec.gauges.series()))
                .collect(),
            sections: sc
                .sections
                .iter()
                .enumerate()
                .map(|(k, s)| summary::section_summary(&s.name, k, rec.sections.series()))
                .collect(),
            warnings,
            interrupted_at_s,
            resumed_from_s: t_resume,
            ensemble: None,
        };
        let path = summary::write_summary::<B::Real>(sc, model, folder, &run, ending)?;
        self.report(&run, &path);
        Ok(RunEnd {
            summary: path,
            interrupted_at_s,
        })
    }

    fn report(&self, run: &RunSummary, path: &Path) {
        if self.opts.json {
            println!(
                "{}",
                serde_json::json!({"event": "done", "summary": path.display().to_string(), "steps": run.steps, "wall_s": run.wall_s, "mass_error": run.ledger.relative_error()})
            );
        } else if !self.opts.quiet {
            eprintln!("{}", run.ledger);
            eprintln!(
                "{} steps in {:.1} s wall, {:.1} M cell updates/s; results in {}",
                run.steps,
                run.wall_s,
                run.cell_updates_per_s / 1e6,
                self.sc.output_dir.display()
            );
        }
    }
}

/// The run's totals over all its processes (a resumed run counts the steps and wall time
/// before the resume).
fn totals<B: Backend>(s: &RunSummary, backend: &B, wall_s: f64) -> RunSummary {
    let steps = backend.steps();
    RunSummary {
        steps,
        wall_s,
        cell_updates_per_s: if wall_s > 0.0 {
            steps as f64 * s.cells as f64 / wall_s
        } else {
            0.0
        },
        ..s.clone()
    }
}

/// The recorders of a scenario's run.
struct RunRecorders {
    snapshots: SnapshotRecorder,
    gauges: GaugeRecorder,
    sections: SectionRecorder,
    progress: Progress,
    clock: WallClock,
    store: CheckpointFile,
}

impl RunRecorders {
    /// Runs `backend` through `plan` with every recorder; with `checkpoint_at_end` a finished
    /// run also leaves a checkpoint (so that a longer duration can continue it).
    fn run<B: Backend>(
        &mut self,
        backend: &mut B,
        plan: &OutputPlan,
        checkpoint_at_end: bool,
    ) -> Result<Outcome, RunError> {
        let mut recorders = Recorders::new()
            .with(&mut self.snapshots)
            .with(&mut self.gauges)
            .with(&mut self.sections)
            .with(&mut self.progress)
            .with(&mut self.clock)
            .checkpoint_to(&mut self.store);
        let outcome = basintwin_core::run(backend, plan, &mut recorders)?;
        if checkpoint_at_end && matches!(outcome, Outcome::Finished(_)) {
            recorders.checkpoint(backend)?;
        }
        Ok(outcome)
    }
}
