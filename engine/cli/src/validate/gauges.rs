//! What the measured cases (the Soares-Frazão flume, EA Test 4) share: their public data, a
//! model sampled at six gauges, and its run.

use std::path::{Path, PathBuf};

use anyhow::Result;
use basintwin_core::{Backend, Boundaries, Grid, Real, Scheme, SolverConfig, State, Terrain};

use super::args::choice;

/// Depths at the six gauges over time: (t, [h at G1..G6]).
pub type Series = Vec<(f64, [f64; 6])>;
/// A run's gauge series, steps, wall time (s) and relative mass error.
pub type Outcome = (Series, u64, f64, f64);

/// A model sampled at six gauges.
#[derive(Debug)]
pub struct Model {
    pub grid: Grid,
    pub terrain: Terrain,
    pub depth: Vec<f64>,
    pub gauge_cells: Vec<usize>,
    pub boundaries: Boundaries,
    pub forcing: basintwin_core::Forcing,
    pub duration_s: f64,
    pub sample_s: f64,
}

/// The folder `sub` of the public validation data (`BASINTWIN_VALIDATION_DATA`, or
/// `../shared/validation` beside the repository or the working directory) when it holds `files`.
pub fn validation_data(sub: &str, files: &[&str]) -> Option<PathBuf> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    [
        std::env::var_os("BASINTWIN_VALIDATION_DATA").map(PathBuf::from),
        Some(here.join("../../../shared/validation")),
        Some(PathBuf::from("../shared/validation")),
    ]
    .into_iter()
    .flatten()
    .map(|d| d.join(sub))
    .find(|d| files.iter().all(|f| d.join(f).is_file()))
}

/// Runs `m` with one scheme on one backend and precision, sampling the depth at its six
/// gauges every `m.sample_s` (the flume and EA Test 4 share it).
pub fn run_model(m: &Model, scheme: Scheme, backend: &str, precision: &str) -> Result<Outcome> {
    let cfg = SolverConfig::new(scheme).with_boundaries(m.boundaries);
    fn go<B: Backend>(mut b: B, m: &Model) -> Result<Outcome> {
        let start = std::time::Instant::now();
        let mut out = Vec::new();
        let mut s = State::<B::Real>::dry(m.grid.cells());
        let n = (m.duration_s / m.sample_s).round() as usize;
        for k in 0..=n {
            let t = k as f64 * m.sample_s;
            b.advance_to(t)?;
            b.read_state(&mut s)?;
            let mut row = [0.0; 6];
            for (g, &c) in m.gauge_cells.iter().enumerate().take(6) {
                row[g] = s.h[c].f64();
            }
            out.push((t, row));
        }
        Ok((
            out,
            b.steps(),
            start.elapsed().as_secs_f64(),
            b.ledger().relative_error(),
        ))
    }
    struct Gauges<'a>(&'a Model);
    impl basintwin_runner::BackendJob for Gauges<'_> {
        type Output = Outcome;
        fn initial_state<R: Real>(&self, _: &mut basintwin_core::Terrain) -> State<R> {
            State::from_depth(&self.0.depth)
        }
        fn run<B: Backend>(self, b: B) -> Result<Outcome> {
            go(b, self.0)
        }
    }
    let inp = basintwin_runner::BackendInput {
        grid: &m.grid,
        terrain: &m.terrain,
        solver: &cfg,
        forcing: Some(&m.forcing),
        tracked: &[],
        threads: None,
        interrupt: None,
        context: String::new(),
    };
    basintwin_runner::dispatch(choice(backend, precision)?, &inp, Gauges(m))
}
