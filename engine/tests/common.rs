//! Shared helpers for the engine's physics tests: model builders, error norms, a seeded random
//! generator (so every test is reproducible).

use basintwin_core::{
    Backend, Boundaries, CpuBackend, Grid, Real, Result, Scheme, SolverConfig, State, Terrain,
};

/// SplitMix64: a tiny, seeded generator for reproducible random terrain and water.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// A CPU backend from plain parts; panics on invalid input (tests build valid models).
pub fn backend<R: Real>(
    grid: &Grid,
    terrain: &Terrain,
    state: State<R>,
    scheme: Scheme,
    boundaries: Boundaries,
    threads: Option<usize>,
) -> CpuBackend<R> {
    let cfg = SolverConfig::new(scheme).with_boundaries(boundaries);
    match CpuBackend::new(grid.clone(), terrain, state, cfg, threads) {
        Ok(b) => b,
        Err(e) => panic!("test model rejected: {e}"),
    }
}

/// Advances by CFL-limited steps until at least `steps` steps have been taken.
pub fn run_steps<R: Real>(b: &mut CpuBackend<R>, steps: u64) -> Result<()> {
    while b.steps() < steps {
        let t = b.time_s() + b.stable_dt_s();
        b.advance_to(t)?;
    }
    Ok(())
}

/// Largest speed |q| / h over cells deeper than `h_min`.
pub fn max_speed<R: Real>(s: &State<R>, h_min: f64) -> f64 {
    (0..s.cells())
        .filter(|&k| s.h[k].f64() > h_min)
        .map(|k| {
            let (h, qx, qy) = (s.h[k].f64(), s.qx[k].f64(), s.qy[k].f64());
            (qx * qx + qy * qy).sqrt() / h
        })
        .fold(0.0, f64::max)
}

/// Observed order of convergence between two errors on grids refined by `ratio`.
pub fn order(e_coarse: f64, e_fine: f64, ratio: f64) -> f64 {
    (e_coarse / e_fine).ln() / ratio.ln()
}
