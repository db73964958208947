//! The CPU backend: the schemes of [`crate::numerics`] looped over the grid with rayon.
//!
//! Parallelism is over rows (or rows of faces); every value is computed by one thread from
//! inputs that do not depend on the thread count, and the reductions (largest wave rate, volume)
//! are folded per row in fixed lanes and then over rows in a fixed order, so results are bitwise
//! identical whatever the number of threads. All buffers are allocated in [`CpuBackend::new`];
//! the time loop allocates nothing.
//!
//! Every pass has a fast path and a general path. The fast path treats each row as if all its
//! cells were active and inside the domain: straight-line, branch-free code over contiguous
//! slices that the compiler vectorises. The general path (`view::View`, with ghost cells at the
//! domain edge and at inactive cells) then recomputes the few faces and cells listed in
//! `fixups::Fixups` (built once at start-up): the domain edges and the neighbours of inactive
//! cells. Both paths call the same pointwise functions on the same numbers, so they agree
//! bitwise.
//!
//! A step is a few passes over memory:
//! - fv1 / fv2: fluxes through every x face, then every y face (each face computed once, so the
//!   flux leaving one cell is exactly the flux entering its neighbour), then the cell update with
//!   friction, positivity, velocities, the CFL rate, maxima and the volume fused in. fv2 first
//!   computes limited slopes per cell, and does all this twice (SSP-RK2).
//! - inertial: new face discharges, the outflow-limiting scale of each cell, the scaled faces,
//!   then the fused depth update.
//!
//! This file holds the backend's struct, its construction and its accessors. The rest, one
//! concern per file:
//!
//! | file | what |
//! |---|---|
//! | `step` | one time step: the scheme, the reductions, the ledger, the forcing |
//! | `fv` | fv1 / fv2: slopes, face fluxes, cell update, the Runge–Kutta stages |
//! | `fv_limit` | fv: positivity, outgoing fluxes scaled to a cell's content |
//! | `inertial` | the local inertial scheme's step |
//! | `boundary` | the domain edges: inertial edge faces, edge flows into the ledger |
//! | `forcing`, `rain`, `infiltration`, `segments` | water added or taken besides the fluxes |
//! | `tracking` | flow volumes through groups of faces (cross-sections) |
//! | `checkpoint` | writing and restoring the full state |
//! | `backend_impl` | the [`Backend`] trait |
//! | `buffers`, `fixups`, `reduce` | structure-of-arrays buffers, general-path lists, reductions |
//! | `rows`, `view`, `simd` | fast-path row kernels, general-path ghost cells, vector width |

mod backend_impl;
mod boundary;
mod buffers;
mod checkpoint;
mod fixups;
mod forcing;
mod fv;
mod fv_limit;
mod inertial;
mod infiltration;
mod rain;
mod reduce;
mod rows;
mod segments;
pub mod simd;
mod step;
mod tracking;
mod view;

use std::sync::Arc;

use rayon::prelude::*;

#[cfg(doc)]
use crate::backend::Backend;
use crate::config::{Scheme, SolverConfig};
use crate::error::{CoreError, Result};
use crate::forcing::Forcing;
use crate::grid::Grid;
use crate::ledger::MassLedger;
use crate::maxima::{self, Maxima};
use crate::numerics::{Params, cfl};
use crate::real::Real;
use crate::state::State;
use crate::terrain::Terrain;
use buffers::{FaceArrays, Fields, SlopeArrays};
use fixups::{AllFixups, Fixups};
use reduce::{CellRate, RowSums};
use segments::Segment;

/// Shallow-water solver on the CPU, generic over precision.
#[derive(Debug)]
pub struct CpuBackend<R: Real> {
    grid: Grid,
    cfg: SolverConfig,
    p: Params<R>,
    courant: f64,
    z: Vec<R>,
    active: Vec<bool>,
    /// `g n^2` per cell.
    g_n2: Vec<R>,
    cur: Fields<R>,
    next: Fields<R>,
    /// fv2: the first Runge–Kutta stage.
    stage: Fields<R>,
    /// fv: fluxes through x faces, `(nx + 1) * ny`, and y faces, `nx * (ny + 1)`.
    fx: FaceArrays<R>,
    fy: FaceArrays<R>,
    /// fv2: slopes along x and y.
    sx: SlopeArrays<R>,
    sy: SlopeArrays<R>,
    /// General-path positions: x faces per cell row, y faces per face row, fv2 slopes per row.
    fx_fix: Fixups,
    fy_fix: Fixups,
    sx_fix: Fixups,
    sy_fix: Fixups,
    /// inertial: face discharges, old and new.
    qfx: Vec<R>,
    qfy: Vec<R>,
    qfx_new: Vec<R>,
    qfy_new: Vec<R>,
    /// Outflow-limiting factor per cell (inertial: every step; fv: when a cell would run dry).
    scale: Vec<R>,
    /// fv: rows with a cell whose outflow had to be limited in the current stage.
    row_limited: Vec<bool>,
    /// CFL rate per cell of the last pass.
    rate: Vec<R>,
    rows: Vec<RowSums>,
    maxima: Maxima<R>,
    ledger: MassLedger,
    t_s: f64,
    max_rate: f64,
    steps: u64,
    pool: Option<Arc<rayon::ThreadPool>>,
    forcing: Forcing,
    /// When set to true (e.g. by a Ctrl-C handler), `advance_to` stops after the current step.
    interrupt: Option<Arc<std::sync::atomic::AtomicBool>>,
    segments: Vec<Segment<R>>,
    /// Cumulative infiltration per cell (m), when a model is set.
    infiltrated: Vec<f64>,
    /// Face groups whose flow volume is accumulated: (y face?, face index, signed length m).
    trackers: Vec<Vec<(bool, usize, f64)>>,
    tracked_m3: Vec<f64>,
    /// Per-row sums of the water infiltrated in a step (m of depth).
    infil_rows: Vec<f64>,
    /// Rain depth of the step being taken (m), as the cells receive it.
    rain_step: R,
    /// Rain: this step's weights of the gridded fields, per-row (rain fallen, depth added, max
    /// CFL rate), and the cumulative gridded rain per cell (m; the SCS curve number needs it).
    rain_w: Vec<(usize, f64)>,
    rain_rows: Vec<(f64, f64, f64)>,
    rain_cum: Vec<f64>,
    /// Per cell, the rain that rounding has not yet added to the depth (`apply_rain`).
    rain_carry: Vec<R>,
}

impl<R: Real> CpuBackend<R> {
    /// The constants of a cell pass (fv or inertial) for a step of `dt_s` ending at `t_new_s`.
    fn cell_consts(&self, dt_s: f64, t_new_s: f64) -> rows::CellConsts<R> {
        rows::CellConsts {
            p: self.p,
            rx: R::c(dt_s / self.grid.dx_m),
            ry: R::c(dt_s / self.grid.dy_m),
            inv_dx: R::c(1.0 / self.grid.dx_m),
            inv_dy: R::c(1.0 / self.grid.dy_m),
            dt: R::c(dt_s),
            t_new: R::c(t_new_s),
            arrival_depth: R::c(self.cfg.arrival_depth_m),
        }
    }

    /// Builds a solver. `threads = None` uses rayon's global pool (all cores).
    pub fn new(
        grid: Grid,
        terrain: &Terrain,
        initial: State<R>,
        cfg: SolverConfig,
        threads: Option<usize>,
    ) -> Result<Self> {
        cfg.validate()?;
        let cells = grid.cells();
        if terrain.bed_m.len() != cells || terrain.active.len() != cells {
            return Err(CoreError::SizeMismatch {
                what: "terrain",
                got: terrain.bed_m.len(),
                nx: grid.nx,
                ny: grid.ny,
                cells,
            });
        }
        initial.validate(&grid)?;
        let pool = thread_pool(threads)?;
        let (z, g_n2) = bed_and_friction(terrain, cells, cfg.gravity_m_s2);
        let active = terrain.active.clone();
        let mut state = initial;
        for (k, _) in active.iter().enumerate().filter(|(_, a)| !**a) {
            state.h[k] = R::zero();
            state.qx[k] = R::zero();
            state.qy[k] = R::zero();
        }
        let inertial = cfg.scheme == Scheme::Inertial;
        let mut backend = Self::allocate(grid, cfg, z, active, g_n2, state, pool);
        if inertial {
            backend.init_inertial_faces();
        }
        backend.install(|b| {
            b.max_rate = b.initial_rate();
            b.initial_track();
        });
        Ok(backend)
    }

    /// The backend with every buffer its scheme needs, at time zero.
    fn allocate(
        grid: Grid,
        cfg: SolverConfig,
        z: Vec<R>,
        active: Vec<bool>,
        g_n2: Vec<R>,
        state: State<R>,
        pool: Option<Arc<rayon::ThreadPool>>,
    ) -> Self {
        let p = Params {
            g: R::c(cfg.gravity_m_s2),
            h_dry: R::c(cfg.dry_depth_m),
        };
        let (nx, ny, cells) = (grid.nx, grid.ny, grid.cells());
        let fv = matches!(cfg.scheme, Scheme::Fv1 | Scheme::Fv2);
        let second = cfg.scheme == Scheme::Fv2;
        let inertial = cfg.scheme == Scheme::Inertial;
        let sized = |cond: bool, n: usize| {
            if cond { vec![R::zero(); n] } else { Vec::new() }
        };
        let face_arrays = |cond: bool, n: usize| {
            if cond {
                FaceArrays::zeros(n)
            } else {
                FaceArrays::default()
            }
        };
        let slope_arrays = |cond: bool| {
            if cond {
                SlopeArrays::zeros(cells)
            } else {
                SlopeArrays::default()
            }
        };
        let fix = AllFixups::build(nx, ny, &active, second);
        Self {
            courant: cfg.courant(),
            z,
            active,
            g_n2,
            next: Fields::zeros(cells),
            stage: if second {
                Fields::zeros(cells)
            } else {
                Fields::default()
            },
            fx: face_arrays(fv, (nx + 1) * ny),
            fy: face_arrays(fv, nx * (ny + 1)),
            sx: slope_arrays(second),
            sy: slope_arrays(second),
            fx_fix: fix.fx,
            fy_fix: fix.fy,
            sx_fix: fix.sx,
            sy_fix: fix.sy,
            qfx: sized(inertial, (nx + 1) * ny),
            qfy: sized(inertial, nx * (ny + 1)),
            qfx_new: sized(inertial, (nx + 1) * ny),
            qfy_new: sized(inertial, nx * (ny + 1)),
            scale: vec![R::zero(); cells],
            row_limited: vec![false; ny],
            rate: vec![R::zero(); cells],
            rows: vec![RowSums::default(); ny],
            maxima: Maxima::new(cells),
            ledger: MassLedger::new(state.volume_m3(&grid)),
            cur: Fields::from_state(state, p.h_dry),
            p,
            t_s: 0.0,
            max_rate: 0.0,
            steps: 0,
            pool,
            forcing: Forcing::default(),
            interrupt: None,
            segments: Vec::new(),
            infiltrated: Vec::new(),
            infil_rows: Vec::new(),
            trackers: Vec::new(),
            tracked_m3: Vec::new(),
            rain_step: R::zero(),
            rain_w: Vec::new(),
            rain_rows: Vec::new(),
            rain_cum: Vec::new(),
            rain_carry: Vec::new(),
            grid,
            cfg,
        }
    }

    /// The largest CFL rate of the initial state.
    fn initial_rate(&self) -> f64 {
        let rate = CellRate::new(self.cfg.scheme, &self.grid, self.p);
        let s = &self.cur;
        (0..self.grid.cells())
            .into_par_iter()
            .map(|k| rate.of(s.h[k], s.qx[k], s.qy[k]).f64())
            .reduce(|| 0.0, f64::max)
    }

    /// The maxima of the initial state (arrival at time zero where it is already deep enough).
    fn initial_track(&mut self) {
        let thr = R::c(self.cfg.arrival_depth_m);
        let s = &self.cur;
        let m = &mut self.maxima;
        for k in 0..s.h.len() {
            let speed = (s.u[k] * s.u[k] + s.v[k] * s.v[k]).sqrt();
            maxima::track(
                s.h[k],
                speed,
                R::zero(),
                thr,
                (
                    &mut m.depth_m[k],
                    &mut m.speed_m_s[k],
                    &mut m.hazard_m2_s[k],
                    &mut m.arrival_s[k],
                ),
            );
        }
    }

    /// A flag that, once true, makes [`Backend::advance_to`] stop after the step it is taking
    /// and return [`CoreError::Interrupted`]; the state is then a whole step, ready to save.
    pub fn set_interrupt(&mut self, flag: Arc<std::sync::atomic::AtomicBool>) {
        self.interrupt = Some(flag);
    }

    /// Number of threads the backend runs on.
    pub fn threads(&self) -> usize {
        match &self.pool {
            Some(p) => p.current_num_threads(),
            None => rayon::current_num_threads(),
        }
    }

    pub fn config(&self) -> &SolverConfig {
        &self.cfg
    }

    /// The state now, without copying.
    pub fn state(&self) -> State<R> {
        State {
            h: self.cur.h.clone(),
            qx: self.cur.qx.clone(),
            qy: self.cur.qy.clone(),
        }
    }

    /// Depths now, without copying.
    pub fn depth(&self) -> &[R] {
        &self.cur.h
    }

    /// The largest stable time step for the current state (seconds).
    pub fn stable_dt_s(&self) -> f64 {
        cfl::next_dt(
            self.courant,
            self.max_rate,
            self.cfg.max_dt_s,
            0.0,
            f64::INFINITY,
        )
        .0
    }

    /// Runs `f` on the backend's thread pool (rayon's global pool when none was asked for).
    fn install<T: Send>(&mut self, f: impl FnOnce(&mut Self) -> T + Send) -> T {
        match self.pool.clone() {
            Some(pool) => pool.install(|| f(self)),
            None => f(self),
        }
    }
}

/// A pool of `threads` threads; `None` for rayon's global pool.
fn thread_pool(threads: Option<usize>) -> Result<Option<Arc<rayon::ThreadPool>>> {
    match threads {
        None => Ok(None),
        Some(0) => Err(CoreError::Invalid {
            what: "threads",
            detail: "0".into(),
            expected: "at least one thread",
        }),
        Some(n) => Ok(Some(Arc::new(
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| CoreError::Backend {
                    backend: "cpu".into(),
                    detail: format!("cannot start {n} threads: {e}"),
                })?,
        ))),
    }
}

/// The bed (zero at inactive cells) and `g n^2` (zero at inactive cells) of `cells` cells.
fn bed_and_friction<R: Real>(terrain: &Terrain, cells: usize, g: f64) -> (Vec<R>, Vec<R>) {
    let active = &terrain.active;
    let z: Vec<R> = (0..cells)
        .map(|k| {
            if active[k] {
                R::c(terrain.bed_m[k])
            } else {
                R::zero()
            }
        })
        .collect();
    let g_n2: Vec<R> = (0..cells)
        .map(|k| {
            let n = if active[k] {
                terrain.manning_at(k)
            } else {
                0.0
            };
            R::c(g * n * n)
        })
        .collect();
    (z, g_n2)
}
