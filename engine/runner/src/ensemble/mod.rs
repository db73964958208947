//! Ensemble runs: `members` perturbed copies of a scenario run as one job. The lifecycle: the
//! output folder prepared, every member's model drawn ([`perturb`]), one backend per member
//! from the dispatcher, the members advanced together output by output ([`lockstep`]), then
//! the maps, tables, plume plot and summary of the ensemble ([`outputs`]).
//!
//! Member `k` is exactly `basintwin run SCENARIO --member k`: the same model and the same
//! backend stepping on its own time steps, bitwise (no member sees another).

pub mod lockstep;
mod outputs;
pub mod perturb;
pub mod stats;

use anyhow::Result;
use basintwin_core::{Backend, OutputPlan, Real, State, Terrain};
use basintwin_io::run_folder::{
    CHECKPOINT, GAUGES_ENSEMBLE, GaugeEnsembleTable, MEMBER_SNAPSHOTS, RunFolder, TableWriter,
};
use basintwin_io::{MemberSnapshotWriter, SnapshotMeta, SnapshotWriter};

use crate::dispatch::{BackendChoice, BackendInput, MembersJob, dispatch_members};
use crate::error::input;
use crate::model::{Model, load_model};
use crate::recorders::{GaugeRecorder, MembersCheckpoint, Progress, read_members_checkpoint};
use crate::run::{RunEnd, RunOptions, prepare_output};
use crate::scenario::{EnsembleSpec, Scenario};

use lockstep::{EnsembleRecorders, MeanSnapshots};
pub use perturb::{MemberModel, member_model};

/// Runs the ensemble `spec` of scenario `sc` and writes its results.
pub fn run_ensemble(sc: &Scenario, spec: &EnsembleSpec, opts: RunOptions) -> Result<RunEnd> {
    let file = sc.file.display().to_string();
    let choice =
        BackendChoice::new(&sc.backend, sc.precision).map_err(|m| input(format!("{file}: {m}")))?;
    let model = load_model(sc)?;
    let folder = RunFolder::new(&sc.output_dir);
    if !opts.resume {
        prepare_output(&folder, opts.overwrite)?;
    } else if !folder.checkpoint().is_file() {
        return Err(input(format!(
            "{}: no {CHECKPOINT} to resume from (an ensemble writes one every output.checkpoint_interval_s, when stopped with Ctrl-C, or at its end with output.checkpoint_at_end = true)",
            sc.output_dir.display()
        )));
    }
    if !opts.quiet && !opts.json {
        for w in sc.warnings.iter().chain(&model.warnings) {
            eprintln!("warning: {w}");
        }
    }
    let members = member_models(sc, spec, &model, choice.precision());
    let inputs = member_inputs(sc, &model, &members, opts.interrupt.clone());
    let job = EnsembleRun {
        sc,
        spec,
        model: &model,
        members: &members,
        opts: &opts,
        folder,
    };
    match opts.threads {
        None => dispatch_members(choice, &inputs, job),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|e| input(format!("--threads {n}: cannot start the threads: {e}")))?
            .install(|| dispatch_members(choice, &inputs, job)),
    }
}

/// Every member's model, member 0 first.
pub fn member_models(
    sc: &Scenario,
    spec: &EnsembleSpec,
    model: &Model,
    precision: basintwin_core::Precision,
) -> Vec<MemberModel> {
    (0..spec.members)
        .map(|k| member_model(model, spec, k, sc.duration_s, precision))
        .collect()
}

/// What the dispatcher builds each member's backend from.
pub fn member_inputs<'a>(
    sc: &'a Scenario,
    model: &'a Model,
    members: &'a [MemberModel],
    interrupt: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
) -> Vec<BackendInput<'a>> {
    members
        .iter()
        .map(|m| BackendInput {
            grid: &model.dem.grid,
            terrain: &m.terrain,
            solver: &sc.solver,
            forcing: Some(&m.forcing),
            tracked: &[],
            threads: None,
            interrupt: interrupt.clone(),
            context: format!("{}: ", sc.file.display()),
        })
        .collect()
}

/// An ensemble's run on whichever backend the dispatcher built.
struct EnsembleRun<'a> {
    sc: &'a Scenario,
    spec: &'a EnsembleSpec,
    model: &'a Model,
    members: &'a [MemberModel],
    opts: &'a RunOptions,
    folder: RunFolder,
}

impl MembersJob for EnsembleRun<'_> {
    type Output = RunEnd;

    fn initial_state<R: Real>(&self, member: usize, _: &mut Terrain) -> State<R> {
        self.model.state_with_depths(&self.members[member].depth_m)
    }

    fn run<B: Backend + Send>(self, mut members: Vec<B>) -> Result<RunEnd> {
        let resumed = self.resume(&mut members)?;
        let t_resume = resumed.as_ref().map(|c| c.reached_s);
        let plan = self.plan(t_resume)?;
        let mut rec = self.recorders(&members, resumed.as_ref())?;
        self.announce(&members, t_resume);
        let start = std::time::Instant::now();
        let reached = rec.run(&mut members, &plan, t_resume.unwrap_or(0.0))?;
        rec.progress.finish();
        if !reached.interrupted {
            if self.sc.checkpoint_at_end {
                rec.checkpoint(&mut members, reached.time_s)?;
            } else {
                // Used up: resuming from it again would redo what this run did.
                let _ = std::fs::remove_file(self.folder.checkpoint());
            }
        }
        let wall_s = start.elapsed().as_secs_f64();
        outputs::finish(
            &self.context(),
            &mut members,
            &rec,
            &reached,
            t_resume,
            wall_s,
        )
    }
}

impl EnsembleRun<'_> {
    fn context(&self) -> outputs::Context<'_> {
        outputs::Context {
            sc: self.sc,
            spec: self.spec,
            model: self.model,
            opts: self.opts,
            folder: &self.folder,
        }
    }

    /// Resuming: every member's checkpoint, restored into its backend.
    fn resume<B: Backend>(&self, members: &mut [B]) -> Result<Option<MembersCheckpoint>> {
        if !self.opts.resume {
            return Ok(None);
        }
        let path = self.folder.checkpoint();
        let ckpt = read_members_checkpoint(&path)?;
        if ckpt.members.len() != members.len() {
            return Err(input(format!(
                "{}: the checkpoint holds {} members and the run asks for {}; resume with --members {}",
                path.display(),
                ckpt.members.len(),
                members.len(),
                ckpt.members.len()
            )));
        }
        for (k, (b, c)) in members.iter_mut().zip(&ckpt.members).enumerate() {
            b.restore(c).map_err(|e| {
                input(format!(
                    "{}: cannot resume member {k} of {}: {e}",
                    path.display(),
                    self.sc.file.display()
                ))
            })?;
        }
        Ok(Some(ckpt))
    }

    /// The outputs still to come (after `t_resume` when resuming).
    fn plan(&self, t_resume: Option<f64>) -> Result<OutputPlan> {
        let sc = self.sc;
        let file = sc.file.display();
        let plan = OutputPlan::new(
            sc.duration_s,
            sc.output_interval_s,
            sc.gauge_interval_s,
            sc.checkpoint_interval_s,
        )
        .map_err(|e| input(format!("{file}: {e}")))?;
        let Some(t) = t_resume else { return Ok(plan) };
        let rest = plan.after(t);
        if rest.is_empty() {
            return Err(input(format!(
                "{file}: the checkpoint in {} is at t = {t} s, the end of the run (time.duration_s = {}); lengthen the duration to continue",
                sc.output_dir.display(),
                sc.duration_s
            )));
        }
        Ok(rest)
    }

    /// Each member's gauges (given back their series when resuming).
    fn gauge_recorders(&self, resumed: Option<&MembersCheckpoint>) -> Result<Vec<GaugeRecorder>> {
        let (sc, model) = (self.sc, self.model);
        let names: Vec<String> = sc.gauges.iter().map(|g| g.name.clone()).collect();
        let mut gauges: Vec<GaugeRecorder> = self
            .members
            .iter()
            .map(|m| {
                let (cells, dry) = (model.gauge_cells.clone(), sc.solver.dry_depth_m);
                GaugeRecorder::new(names.clone(), cells, &m.terrain.bed_m, dry)
            })
            .collect();
        if let Some(c) = resumed {
            for (k, (g, m)) in gauges.iter_mut().zip(&c.members).enumerate() {
                let mut list: [&mut dyn basintwin_core::Recorder<f64>; 1] = [g];
                basintwin_core::simulation::restore_recorders(&m.header.extra, &mut list).map_err(
                    |e| {
                        let path = self.folder.checkpoint();
                        input(format!("{}: member {k}: {e}", path.display()))
                    },
                )?;
            }
        }
        Ok(gauges)
    }

    /// `gauges_ensemble.csv` (cut back to `t_resume` when resuming).
    fn gauge_table(&self, t_resume: Option<f64>) -> Result<Option<TableWriter>> {
        let sc = self.sc;
        if sc.gauges.is_empty() {
            return Ok(None);
        }
        let names: Vec<String> = sc.gauges.iter().map(|g| g.name.clone()).collect();
        let header = GaugeEnsembleTable::header(&names, &sc.ensemble_output.percentiles);
        let path = self.folder.file(GAUGES_ENSEMBLE);
        Ok(Some(match t_resume {
            Some(t) => TableWriter::resume(&path, &header, t)?,
            None => TableWriter::create(&path, &header)?,
        }))
    }

    /// `snapshots.h5` (the mean and its spread) and, with `output.members = "all"`,
    /// `snapshots_members.h5`; reopened and cut back to `t_resume` when resuming.
    fn snapshots<B: Backend>(&self, members: &[B], t_resume: Option<f64>) -> Result<MeanSnapshots> {
        let (sc, model) = (self.sc, self.model);
        let (grid, bed, n) = (&model.dem.grid, &model.dem.bed_m, self.spec.members);
        let meta = SnapshotMeta {
            title: format!("{} (ensemble mean of {n} members)", sc.name),
            scenario: sc.file.display().to_string(),
            scheme: sc.solver.scheme.name().into(),
            backend: members.first().map(|b| b.describe()).unwrap_or_default(),
            precision: <B::Real as Real>::NAME.into(),
            start: sc.start.clone(),
        };
        let path = self.folder.snapshots();
        let (writer, spread) = match t_resume {
            Some(t) => {
                let mut w = SnapshotWriter::open_append(path, grid, bed, t)?;
                let spread = w.reopen_field(lockstep::SPREAD.0)?;
                (w, spread)
            }
            None => {
                let mut w = SnapshotWriter::create(path, grid, bed, &meta, true)?;
                let (name, units, long) = lockstep::SPREAD;
                let spread = w.add_field(name, units, long)?;
                (w, spread)
            }
        };
        let all = if sc.ensemble_output.all_members {
            let path = self.folder.file(MEMBER_SNAPSHOTS);
            Some(match t_resume {
                Some(t) => MemberSnapshotWriter::open_append(path, grid, bed, n, t)?,
                None => {
                    let title = format!("{} ({n} ensemble members)", sc.name);
                    let meta = SnapshotMeta { title, ..meta };
                    MemberSnapshotWriter::create(path, grid, bed, &meta, n, true)?
                }
            })
        } else {
            None
        };
        MeanSnapshots::new(writer, spread, grid.cells(), all)
    }

    fn recorders<B: Backend>(
        &self,
        members: &[B],
        resumed: Option<&MembersCheckpoint>,
    ) -> Result<EnsembleRecorders> {
        let t_resume = resumed.map(|c| c.reached_s);
        Ok(EnsembleRecorders {
            gauges: self.gauge_recorders(resumed)?,
            mean: self.snapshots(members, t_resume)?,
            table: self.gauge_table(t_resume)?,
            percentiles: self.sc.ensemble_output.percentiles.clone(),
            progress: Progress::new(self.opts.quiet, self.opts.json, self.sc.duration_s),
            checkpoint: self.folder.checkpoint(),
        })
    }

    fn announce<B: Backend>(&self, members: &[B], t_resume: Option<f64>) {
        if self.opts.quiet || self.opts.json {
            return;
        }
        let (sc, grid) = (self.sc, &self.model.dem.grid);
        eprintln!(
            "{}: ensemble of {} members (seed {}{}), {} x {} cells of {} m, {} ({}), {} s to simulate -> {}",
            sc.name,
            self.spec.members,
            self.spec.seed,
            if self.spec.control {
                ", member 0 unperturbed"
            } else {
                ""
            },
            grid.nx,
            grid.ny,
            grid.dx_m,
            sc.solver.scheme,
            members.first().map(|b| b.describe()).unwrap_or_default(),
            sc.duration_s,
            sc.output_dir.display()
        );
        if let Some(t) = t_resume {
            eprintln!("  resuming at t = {t} s");
        }
        if let Some(bytes) = members.first().and_then(|b| b.device_bytes()) {
            eprintln!(
                "  device memory: {:.1} MB per member, {:.1} MB in all",
                bytes as f64 / 1e6,
                (bytes * members.len() as u64) as f64 / 1e6
            );
        }
    }
}
