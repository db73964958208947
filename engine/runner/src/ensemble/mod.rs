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
    GAUGES_ENSEMBLE, GaugeEnsembleTable, MEMBER_SNAPSHOTS, RunFolder, TableWriter,
};
use basintwin_io::{MemberSnapshotWriter, SnapshotMeta, SnapshotWriter};

use crate::dispatch::{BackendChoice, BackendInput, MembersJob, dispatch_members};
use crate::error::input;
use crate::model::{Model, load_model};
use crate::recorders::{GaugeRecorder, Progress};
use crate::run::{RunEnd, RunOptions, prepare_output};
use crate::scenario::{EnsembleSpec, Scenario};

use lockstep::{EnsembleRecorders, MeanSnapshots};
pub use perturb::{MemberModel, member_model};

/// Runs the ensemble `spec` of scenario `sc` and writes its results.
pub fn run_ensemble(sc: &Scenario, spec: &EnsembleSpec, opts: RunOptions) -> Result<RunEnd> {
    let file = sc.file.display().to_string();
    if opts.resume {
        return Err(input(format!(
            "{file}: --resume: ensemble runs are not resumable yet; run again with --overwrite (or one member with --member K --resume)"
        )));
    }
    let choice =
        BackendChoice::new(&sc.backend, sc.precision).map_err(|m| input(format!("{file}: {m}")))?;
    let model = load_model(sc)?;
    let folder = RunFolder::new(&sc.output_dir);
    prepare_output(&folder, opts.overwrite)?;
    if !opts.quiet && !opts.json {
        for w in sc.warnings.iter().chain(&model.warnings) {
            eprintln!("warning: {w}");
        }
    }
    let members: Vec<MemberModel> = (0..spec.members)
        .map(|k| member_model(&model, spec, k, sc.duration_s, choice.precision()))
        .collect();
    let inputs: Vec<BackendInput<'_>> = members
        .iter()
        .map(|m| BackendInput {
            grid: &model.dem.grid,
            terrain: &m.terrain,
            solver: &sc.solver,
            forcing: Some(&m.forcing),
            tracked: &[],
            threads: None,
            interrupt: opts.interrupt.clone(),
            context: format!("{file}: "),
        })
        .collect();
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
        let mut state = State::<R>::from_depth(&self.members[member].depth_m);
        if let Some((qx, qy)) = &self.model.discharge {
            state.qx = qx.iter().map(|&q| R::c(q)).collect();
            state.qy = qy.iter().map(|&q| R::c(q)).collect();
        }
        state
    }

    fn run<B: Backend + Send>(self, mut members: Vec<B>) -> Result<RunEnd> {
        let sc = self.sc;
        let plan = OutputPlan::new(
            sc.duration_s,
            sc.output_interval_s,
            sc.gauge_interval_s,
            None,
        )
        .map_err(|e| input(format!("{}: {e}", sc.file.display())))?;
        let mut rec = self.recorders(&members)?;
        self.announce(&members);
        let start = std::time::Instant::now();
        let reached = rec.run(&mut members, &plan)?;
        rec.progress.finish();
        let wall_s = start.elapsed().as_secs_f64();
        outputs::finish(&self.context(), &mut members, &rec, &reached, wall_s)
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

    fn recorders<B: Backend>(&self, members: &[B]) -> Result<EnsembleRecorders> {
        let (sc, model) = (self.sc, self.model);
        let names: Vec<String> = sc.gauges.iter().map(|g| g.name.clone()).collect();
        let gauges = self
            .members
            .iter()
            .map(|m| {
                GaugeRecorder::new(
                    names.clone(),
                    model.gauge_cells.clone(),
                    &m.terrain.bed_m,
                    sc.solver.dry_depth_m,
                )
            })
            .collect();
        let percentiles = sc.ensemble_output.percentiles.clone();
        let table = if names.is_empty() {
            None
        } else {
            let path = self.folder.file(GAUGES_ENSEMBLE);
            Some(TableWriter::create(
                &path,
                &GaugeEnsembleTable::header(&names, &percentiles),
            )?)
        };
        let backend = members.first().map(|b| b.describe()).unwrap_or_default();
        let meta = SnapshotMeta {
            title: format!(
                "{} (ensemble mean of {} members)",
                sc.name, self.spec.members
            ),
            scenario: sc.file.display().to_string(),
            scheme: sc.solver.scheme.name().into(),
            backend,
            precision: <B::Real as Real>::NAME.into(),
            start: sc.start.clone(),
        };
        let grid = &model.dem.grid;
        let writer =
            SnapshotWriter::create(self.folder.snapshots(), grid, &model.dem.bed_m, &meta, true)?;
        let all = if sc.ensemble_output.all_members {
            let path = self.folder.file(MEMBER_SNAPSHOTS);
            let meta = SnapshotMeta {
                title: format!("{} ({} ensemble members)", sc.name, self.spec.members),
                ..meta
            };
            let (bed, n) = (&model.dem.bed_m, self.spec.members);
            Some(MemberSnapshotWriter::create(
                path, grid, bed, &meta, n, true,
            )?)
        } else {
            None
        };
        Ok(EnsembleRecorders {
            gauges,
            mean: MeanSnapshots::new(writer, grid.cells(), all)?,
            table,
            percentiles,
            progress: Progress::new(self.opts.quiet, self.opts.json, sc.duration_s),
        })
    }

    fn announce<B: Backend>(&self, members: &[B]) {
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
        if let Some(bytes) = members.first().and_then(|b| b.device_bytes()) {
            eprintln!(
                "  device memory: {:.1} MB per member, {:.1} MB in all",
                bytes as f64 / 1e6,
                (bytes * members.len() as u64) as f64 / 1e6
            );
        }
    }
}
