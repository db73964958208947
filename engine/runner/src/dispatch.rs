//! One backend dispatcher: the choice of CPU in f32, CPU in f64 or GPU (f32) is matched here
//! once; callers hand over a [`BackendJob`] written once for any [`Backend`].

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Result;
use basintwin_core::{
    Backend, CpuBackend, CrossedFace, Forcing, Grid, Precision, Real, SolverConfig, State, Terrain,
};

use crate::error::input;

/// Which backend runs a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendChoice {
    /// The rayon backend, in f32 or f64.
    Cpu(Precision),
    /// The wgpu backend (f32).
    Gpu,
}

impl BackendChoice {
    /// The backend named `backend` (`cpu` or `gpu`) at `precision`; the GPU computes in f32 only.
    pub fn new(backend: &str, precision: Precision) -> Result<Self, String> {
        match (backend, precision) {
            ("cpu", p) => Ok(Self::Cpu(p)),
            ("gpu", Precision::F32) => Ok(Self::Gpu),
            ("gpu", Precision::F64) => Err(
                "solver.precision = \"f64\" with the GPU backend: the GPU computes in f32; use precision = \"f32\" or --backend cpu".into(),
            ),
            (other, _) => Err(format!("unknown backend '{other}': expected cpu or gpu")),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Cpu(_) => "cpu",
            Self::Gpu => "gpu",
        }
    }

    pub fn precision(&self) -> Precision {
        match self {
            Self::Cpu(p) => *p,
            Self::Gpu => Precision::F32,
        }
    }
}

/// What a backend is built from.
#[derive(Debug, Clone)]
pub struct BackendInput<'a> {
    pub grid: &'a Grid,
    pub terrain: &'a Terrain,
    pub solver: &'a SolverConfig,
    pub forcing: Option<&'a Forcing>,
    /// Face groups whose volumes are tracked (cross-sections).
    pub tracked: &'a [Vec<CrossedFace>],
    /// CPU threads (default: all cores).
    pub threads: Option<usize>,
    /// Set to stop after the current step (Ctrl-C).
    pub interrupt: Option<Arc<AtomicBool>>,
    /// Put before every message of a failed set-up (e.g. the scenario file and ": ").
    pub context: String,
}

/// Work done with a backend of any kind.
pub trait BackendJob {
    type Output;
    /// The initial state at the backend's precision; may adjust `terrain` (a lake given by its
    /// level moves beds by less than half an ulp of the depth, `State::from_levels`).
    fn initial_state<R: Real>(&self, terrain: &mut Terrain) -> State<R>;
    /// The work itself.
    fn run<B: Backend>(self, backend: B) -> Result<Self::Output>;
}

/// Work done with the backends of an ensemble's members (all of one kind).
pub trait MembersJob {
    type Output;
    /// Member `member`'s initial state (as [`BackendJob::initial_state`]).
    fn initial_state<R: Real>(&self, member: usize, terrain: &mut Terrain) -> State<R>;
    /// The work itself, with one backend per member, in member order.
    fn run<B: Backend + Send>(self, members: Vec<B>) -> Result<Self::Output>;
}

/// Builds the chosen backend from `input` and hands it to `job`. Set-up failures are input
/// errors (exit code 2).
pub fn dispatch<J: BackendJob>(
    choice: BackendChoice,
    input: &BackendInput<'_>,
    job: J,
) -> Result<J::Output> {
    match choice {
        BackendChoice::Cpu(Precision::F32) => {
            let b = cpu::<f32>(input, |t| job.initial_state(t))?;
            job.run(b)
        }
        BackendChoice::Cpu(Precision::F64) => {
            let b = cpu::<f64>(input, |t| job.initial_state(t))?;
            job.run(b)
        }
        BackendChoice::Gpu => {
            let b = gpu(context(input)?, input, |t| job.initial_state(t))?;
            job.run(b)
        }
    }
}

/// Builds one backend per member from `inputs` (member order) and hands them to `job`; the
/// GPU members share one device.
pub fn dispatch_members<J: MembersJob>(
    choice: BackendChoice,
    inputs: &[BackendInput<'_>],
    job: J,
) -> Result<J::Output> {
    fn all<B>(
        inputs: &[BackendInput<'_>],
        mut build: impl FnMut(usize, &BackendInput<'_>) -> Result<B>,
    ) -> Result<Vec<B>> {
        inputs
            .iter()
            .enumerate()
            .map(|(k, i)| build(k, i))
            .collect()
    }
    match choice {
        BackendChoice::Cpu(Precision::F32) => {
            let members = all(inputs, |k, i| cpu::<f32>(i, |t| job.initial_state(k, t)))?;
            job.run(members)
        }
        BackendChoice::Cpu(Precision::F64) => {
            let members = all(inputs, |k, i| cpu::<f64>(i, |t| job.initial_state(k, t)))?;
            job.run(members)
        }
        BackendChoice::Gpu => {
            let Some(first) = inputs.first() else {
                return job.run(Vec::<basintwin_gpu::GpuBackend>::new());
            };
            let ctx = context(first)?;
            let mut members = Vec::with_capacity(inputs.len());
            for (k, i) in inputs.iter().enumerate() {
                let (b, oom) =
                    ctx.out_of_memory_check(|| gpu(ctx.clone(), i, |t| job.initial_state(k, t)));
                if let Some(e) = oom {
                    return Err(out_of_memory(first, &members, k, inputs.len(), &e));
                }
                members.push(b?);
            }
            job.run(members)
        }
    }
}

/// The adapter could not hold member `k`: how much each member takes and how many fit.
fn out_of_memory(
    inp: &BackendInput<'_>,
    built: &[basintwin_gpu::GpuBackend],
    k: usize,
    n: usize,
    e: &str,
) -> anyhow::Error {
    let per = built.first().map(|b| b.device_bytes() as f64 / 1e6);
    let each = per
        .map(|mb| format!(" (each member takes {mb:.0} MB of device memory)"))
        .unwrap_or_default();
    let advice = if k == 0 {
        "the model does not fit even once: run it on the CPU".to_string()
    } else {
        format!("run at most {k} members (--members {k}) or on the CPU")
    };
    input(format!(
        "{}--backend gpu: the adapter ran out of memory at member {k} of {n}{each}: {advice} ({e})",
        inp.context
    ))
}

fn cpu<R: Real>(
    inp: &BackendInput<'_>,
    initial_state: impl FnOnce(&mut Terrain) -> State<R>,
) -> Result<CpuBackend<R>> {
    let fail = |e: basintwin_core::CoreError| input(format!("{}{e}", inp.context));
    let mut terrain = inp.terrain.clone();
    let state = initial_state(&mut terrain);
    let mut b = CpuBackend::<R>::new(
        inp.grid.clone(),
        &terrain,
        state,
        inp.solver.clone(),
        inp.threads,
    )
    .map_err(fail)?;
    if let Some(flag) = &inp.interrupt {
        b.set_interrupt(flag.clone());
    }
    if let Some(f) = inp.forcing {
        b.set_forcing(f.clone()).map_err(fail)?;
    }
    for faces in inp.tracked {
        b.track_faces(faces.clone()).map_err(fail)?;
    }
    Ok(b)
}

fn gpu_error(inp: &BackendInput<'_>) -> impl Fn(basintwin_gpu::GpuError) -> anyhow::Error {
    let context = inp.context.clone();
    move |e| input(format!("{context}--backend gpu: {e}"))
}

fn context(inp: &BackendInput<'_>) -> Result<basintwin_gpu::GpuContext> {
    basintwin_gpu::GpuContext::from_env().map_err(gpu_error(inp))
}

fn gpu(
    ctx: basintwin_gpu::GpuContext,
    inp: &BackendInput<'_>,
    initial_state: impl FnOnce(&mut Terrain) -> State<f32>,
) -> Result<basintwin_gpu::GpuBackend> {
    let fail = gpu_error(inp);
    let mut terrain = inp.terrain.clone();
    let state = initial_state(&mut terrain);
    let mut b =
        basintwin_gpu::GpuBackend::new(ctx, inp.grid.clone(), &terrain, state, inp.solver.clone())
            .map_err(&fail)?;
    if let Some(flag) = &inp.interrupt {
        b.set_interrupt(flag.clone());
    }
    if let Some(f) = inp.forcing {
        b.set_forcing(f.clone()).map_err(&fail)?;
    }
    for faces in inp.tracked {
        b.track_faces(faces.clone()).map_err(&fail)?;
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gpu_computes_in_f32_only() {
        assert_eq!(
            BackendChoice::new("cpu", Precision::F64),
            Ok(BackendChoice::Cpu(Precision::F64))
        );
        assert_eq!(
            BackendChoice::new("gpu", Precision::F32),
            Ok(BackendChoice::Gpu)
        );
        let e = BackendChoice::new("gpu", Precision::F64).unwrap_err();
        assert!(e.contains("the GPU computes in f32"), "{e}");
        assert!(BackendChoice::new("tpu", Precision::F32).is_err());
    }

    /// A job that reports the precision and steps of the backend it got.
    struct Probe;

    impl BackendJob for Probe {
        type Output = (&'static str, u64);
        fn initial_state<R: Real>(&self, _: &mut Terrain) -> State<R> {
            State::from_depth(&[1.0; 16])
        }
        fn run<B: Backend>(self, mut b: B) -> Result<Self::Output> {
            b.advance_to(0.5)?;
            Ok((<B::Real as Real>::NAME, b.steps()))
        }
    }

    #[test]
    fn each_cpu_precision_gets_its_backend() {
        let grid = Grid::new(4, 4, 1.0, 1.0).unwrap();
        let terrain = Terrain::new(&grid, vec![0.0; 16], 0.03).unwrap();
        let solver = SolverConfig::new(basintwin_core::Scheme::Fv1);
        let inp = BackendInput {
            grid: &grid,
            terrain: &terrain,
            solver: &solver,
            forcing: None,
            tracked: &[],
            threads: Some(1),
            interrupt: None,
            context: String::new(),
        };
        for p in [Precision::F32, Precision::F64] {
            let (name, steps) = dispatch(BackendChoice::Cpu(p), &inp, Probe).unwrap();
            assert_eq!(name, p.name());
            assert!(steps > 0);
        }
    }
}
