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

/// Builds the chosen backend from `input` and hands it to `job`. Set-up failures are input
/// errors (exit code 2).
pub fn dispatch<J: BackendJob>(
    choice: BackendChoice,
    input: &BackendInput<'_>,
    job: J,
) -> Result<J::Output> {
    match choice {
        BackendChoice::Cpu(Precision::F32) => cpu::<f32, J>(input, job),
        BackendChoice::Cpu(Precision::F64) => cpu::<f64, J>(input, job),
        BackendChoice::Gpu => gpu(input, job),
    }
}

fn cpu<R: Real, J: BackendJob>(inp: &BackendInput<'_>, job: J) -> Result<J::Output> {
    let fail = |e: basintwin_core::CoreError| input(format!("{}{e}", inp.context));
    let mut terrain = inp.terrain.clone();
    let state = job.initial_state::<R>(&mut terrain);
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
    job.run(b)
}

fn gpu<J: BackendJob>(inp: &BackendInput<'_>, job: J) -> Result<J::Output> {
    let fail = |e: basintwin_gpu::GpuError| input(format!("{}--backend gpu: {e}", inp.context));
    let ctx = basintwin_gpu::GpuContext::from_env().map_err(fail)?;
    let mut terrain = inp.terrain.clone();
    let state = job.initial_state::<f32>(&mut terrain);
    let mut b =
        basintwin_gpu::GpuBackend::new(ctx, inp.grid.clone(), &terrain, state, inp.solver.clone())
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
    job.run(b)
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
