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
//! slices that the compiler vectorises. The general path ([`view::View`], with ghost cells at the
//! domain edge and at inactive cells) then recomputes the few faces and cells listed in
//! [`Fixups`] (built once at start-up): the domain edges and the neighbours of inactive cells.
//! Both paths call the same pointwise functions on the same numbers, so they agree bitwise.
//!
//! A step is a few passes over memory:
//! - fv1 / fv2: fluxes through every x face, then every y face (each face computed once, so the
//!   flux leaving one cell is exactly the flux entering its neighbour), then the cell update with
//!   friction, positivity, velocities, the CFL rate, maxima and the volume fused in. fv2 first
//!   computes limited slopes per cell, and does all this twice (SSP-RK2).
//! - inertial: new face discharges, the outflow-limiting scale of each cell, the scaled faces,
//!   then the fused depth update.

mod rows;
pub mod simd;
mod view;

use std::sync::Arc;

use rayon::prelude::*;

use crate::backend::Backend;
use crate::checkpoint::{self, Checkpoint};
use crate::config::{BoundaryKind, Scheme, SolverConfig};
use crate::error::{CoreError, Result};
use crate::forcing::{Forcing, SegmentKind};
use crate::grid::Grid;
use crate::ledger::MassLedger;
use crate::maxima::{self, Maxima};
use crate::numerics::CellState;
use crate::numerics::fv2::Slopes;
use crate::numerics::riemann::select;
use crate::numerics::{self, FaceFlux, Params, cfl, fv1, fv2, velocity};
use crate::real::Real;
use crate::state::State;
use crate::terrain::Terrain;
use view::View;

/// Lanes of the per-row reductions (fixed, so the summation order never changes).
const LANES: usize = 8;

/// Per-row partial reductions of a cell pass.
#[derive(Debug, Clone, Copy, Default)]
struct RowSums {
    max_rate: f64,
    depth_sum: f64,
    correction_depth: f64,
    bad: bool,
}

/// One state buffer and the velocities derived from it (zero in dry and inactive cells).
#[derive(Debug, Clone, Default)]
struct Fields<R> {
    h: Vec<R>,
    qx: Vec<R>,
    qy: Vec<R>,
    u: Vec<R>,
    v: Vec<R>,
}

impl<R: Real> Fields<R> {
    fn from_state(s: State<R>, h_dry: R) -> Self {
        let u =
            s.h.iter()
                .zip(&s.qx)
                .map(|(&h, &q)| velocity(h, q, h_dry))
                .collect();
        let v =
            s.h.iter()
                .zip(&s.qy)
                .map(|(&h, &q)| velocity(h, q, h_dry))
                .collect();
        Self {
            h: s.h,
            qx: s.qx,
            qy: s.qy,
            u,
            v,
        }
    }

    fn zeros(n: usize) -> Self {
        Self::from_state(State::dry(n), R::one())
    }
}

/// Numerical fluxes through one family of faces, structure of arrays.
#[derive(Debug, Clone, Default)]
struct FaceArrays<R> {
    mass: Vec<R>,
    mom_l: Vec<R>,
    mom_r: Vec<R>,
    tan: Vec<R>,
}

impl<R: Real> FaceArrays<R> {
    fn zeros(n: usize) -> Self {
        Self {
            mass: vec![R::zero(); n],
            mom_l: vec![R::zero(); n],
            mom_r: vec![R::zero(); n],
            tan: vec![R::zero(); n],
        }
    }

    fn line(&self, r: std::ops::Range<usize>) -> rows::FaceLine<'_, R> {
        rows::FaceLine {
            mass: &self.mass[r.clone()],
            mom_l: &self.mom_l[r.clone()],
            mom_r: &self.mom_r[r.clone()],
            tan: &self.tan[r],
        }
    }

    fn par_rows(&mut self, width: usize) -> impl IndexedParallelIterator<Item = FaceRow<'_, R>> {
        self.mass
            .par_chunks_mut(width)
            .zip(self.mom_l.par_chunks_mut(width))
            .zip(self.mom_r.par_chunks_mut(width))
            .zip(self.tan.par_chunks_mut(width))
            .map(|(((mass, mom_l), mom_r), tan)| FaceRow {
                mass,
                mom_l,
                mom_r,
                tan,
            })
    }
}

struct FaceRow<'a, R> {
    mass: &'a mut [R],
    mom_l: &'a mut [R],
    mom_r: &'a mut [R],
    tan: &'a mut [R],
}

impl<R: Copy> FaceRow<'_, R> {
    #[inline(always)]
    fn set(&mut self, k: usize, f: FaceFlux<R>) {
        self.mass[k] = f.mass;
        self.mom_l[k] = f.mom_l;
        self.mom_r[k] = f.mom_r;
        self.tan[k] = f.tan;
    }
}

/// fv2: limited slopes of each cell along one direction, structure of arrays. `du` is the slope
/// of the velocity normal to that direction's faces, `dv` of the tangential one.
#[derive(Debug, Clone, Default)]
struct SlopeArrays<R> {
    dh: Vec<R>,
    deta: Vec<R>,
    du: Vec<R>,
    dv: Vec<R>,
}

impl<R: Real> SlopeArrays<R> {
    fn zeros(n: usize) -> Self {
        Self {
            dh: vec![R::zero(); n],
            deta: vec![R::zero(); n],
            du: vec![R::zero(); n],
            dv: vec![R::zero(); n],
        }
    }

    /// The slopes of cells `r`; empty when `enabled` is false (fv1 has no slopes).
    fn line(&self, r: std::ops::Range<usize>, enabled: bool) -> rows::SlopeLine<'_, R> {
        if enabled {
            rows::SlopeLine {
                dh: &self.dh[r.clone()],
                deta: &self.deta[r.clone()],
                du: &self.du[r.clone()],
                dv: &self.dv[r],
            }
        } else {
            rows::SlopeLine {
                dh: &[],
                deta: &[],
                du: &[],
                dv: &[],
            }
        }
    }

    fn par_rows(&mut self, width: usize) -> impl IndexedParallelIterator<Item = SlopeRow<'_, R>> {
        self.dh
            .par_chunks_mut(width)
            .zip(self.deta.par_chunks_mut(width))
            .zip(self.du.par_chunks_mut(width))
            .zip(self.dv.par_chunks_mut(width))
            .map(|(((dh, deta), du), dv)| SlopeRow { dh, deta, du, dv })
    }
}

struct SlopeRow<'a, R> {
    dh: &'a mut [R],
    deta: &'a mut [R],
    du: &'a mut [R],
    dv: &'a mut [R],
}

impl<R: Copy> SlopeRow<'_, R> {
    #[inline(always)]
    fn set(&mut self, k: usize, s: Slopes<R>) {
        self.dh[k] = s.dh;
        self.deta[k] = s.deta;
        self.du[k] = s.du;
        self.dv[k] = s.dv;
    }
}

/// For each row, the positions the general path must recompute (compressed rows).
#[derive(Debug, Clone, Default)]
struct Fixups {
    start: Vec<usize>,
    pos: Vec<u32>,
}

impl Fixups {
    fn build(rows: usize, width: usize, needs: impl Fn(usize, usize) -> bool) -> Self {
        let mut start = Vec::with_capacity(rows + 1);
        let mut pos = Vec::new();
        start.push(0);
        for r in 0..rows {
            pos.extend((0..width).filter(|&c| needs(r, c)).map(|c| c as u32));
            start.push(pos.len());
        }
        Self { start, pos }
    }

    #[inline]
    fn row(&self, r: usize) -> &[u32] {
        &self.pos[self.start[r]..self.start[r + 1]]
    }
}

/// Mutable row slices of the cell outputs of a pass.
struct CellRow<'a, R> {
    h: &'a mut [R],
    qx: &'a mut [R],
    qy: &'a mut [R],
    u: &'a mut [R],
    v: &'a mut [R],
    rate: &'a mut [R],
    max_depth: &'a mut [R],
    max_speed: &'a mut [R],
    max_hazard: &'a mut [R],
    arrival: &'a mut [R],
}

fn par_cell_rows<'a, R: Real>(
    out: &'a mut Fields<R>,
    rate: &'a mut [R],
    m: &'a mut Maxima<R>,
    nx: usize,
) -> impl IndexedParallelIterator<Item = CellRow<'a, R>> {
    out.h
        .par_chunks_mut(nx)
        .zip(out.qx.par_chunks_mut(nx))
        .zip(out.qy.par_chunks_mut(nx))
        .zip(out.u.par_chunks_mut(nx))
        .zip(out.v.par_chunks_mut(nx))
        .zip(rate.par_chunks_mut(nx))
        .zip(m.depth_m.par_chunks_mut(nx))
        .zip(m.speed_m_s.par_chunks_mut(nx))
        .zip(m.hazard_m2_s.par_chunks_mut(nx))
        .zip(m.arrival_s.par_chunks_mut(nx))
        .map(
            |(((((((((h, qx), qy), u), v), rate), max_depth), max_speed), max_hazard), arrival)| {
                CellRow {
                    h,
                    qx,
                    qy,
                    u,
                    v,
                    rate,
                    max_depth,
                    max_speed,
                    max_hazard,
                    arrival,
                }
            },
        )
}

/// Folds a finished row: clamps round-off negative depths to zero (booking the water added),
/// sums the volume and takes the largest CFL rate, in `LANES` fixed lanes.
fn fold_row<R: Real>(h: &mut [R], rate: &[R], with_rate: bool) -> RowSums {
    let mut sum = [0.0f64; LANES];
    let mut corr = [0.0f64; LANES];
    let mut max = [R::zero(); LANES];
    let mut bad = [false; LANES];
    let mut hc = h.chunks_exact_mut(LANES);
    let mut rc = rate.chunks_exact(LANES);
    for (hs, rs) in (&mut hc).zip(&mut rc) {
        for l in 0..LANES {
            let x = hs[l];
            bad[l] |= !x.is_finite();
            corr[l] += (-x).max(R::zero()).f64();
            // NaN stays NaN, so that the caller can point at the cell.
            let y = select(x.is_nan(), x, x.max(R::zero()));
            hs[l] = y;
            sum[l] += y.f64();
            if with_rate {
                max[l] = max[l].max(rs[l]);
            }
        }
    }
    for (x, &r) in hc.into_remainder().iter_mut().zip(rc.remainder()) {
        bad[0] |= !x.is_finite();
        corr[0] += (-*x).max(R::zero()).f64();
        *x = select(x.is_nan(), *x, x.max(R::zero()));
        sum[0] += x.f64();
        if with_rate {
            max[0] = max[0].max(r);
        }
    }
    RowSums {
        max_rate: max.iter().fold(0.0f64, |m, &r| m.max(r.f64())),
        depth_sum: sum.iter().sum(),
        correction_depth: corr.iter().sum(),
        bad: bad.iter().any(|&b| b),
    }
}

use crate::forcing::SegmentFace as SegFace;

/// A boundary segment, resolved to faces, with this step's values.
#[derive(Debug)]
struct Segment<R> {
    faces: Vec<SegFace>,
    kind: SegmentKind,
    face_len_m: f64,
    /// Inflow: unit discharge into the domain through each face this step (m^2/s).
    q: Vec<R>,
    /// Stage: the level this step (m).
    stage: R,
}

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
        let pool = match threads {
            None => None,
            Some(0) => {
                return Err(CoreError::Invalid {
                    what: "threads",
                    detail: "0".into(),
                    expected: "at least one thread",
                });
            }
            Some(n) => Some(Arc::new(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .map_err(|e| CoreError::Backend {
                        backend: "cpu".into(),
                        detail: format!("cannot start {n} threads: {e}"),
                    })?,
            )),
        };
        let g = cfg.gravity_m_s2;
        let p = Params {
            g: R::c(g),
            h_dry: R::c(cfg.dry_depth_m),
        };
        let active = terrain.active.clone();
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
        let mut state = initial;
        for (k, _) in active.iter().enumerate().filter(|(_, a)| !**a) {
            state.h[k] = R::zero();
            state.qx[k] = R::zero();
            state.qy[k] = R::zero();
        }
        let (nx, ny) = (grid.nx, grid.ny);
        let fv = matches!(cfg.scheme, Scheme::Fv1 | Scheme::Fv2);
        let second = cfg.scheme == Scheme::Fv2;
        let inertial = cfg.scheme == Scheme::Inertial;
        let sized = |cond: bool, n: usize| {
            if cond { vec![R::zero(); n] } else { Vec::new() }
        };
        let act = |i: usize, j: usize| active[j * nx + i];
        // x face `a` of row `j` lies between cells a-1 and a.
        let fx_fix = Fixups::build(ny, nx + 1, |j, a| {
            a == 0 || a == nx || !(act(a - 1, j) && act(a, j))
        });
        // y face row `a` lies between cell rows a-1 and a.
        let fy_fix = Fixups::build(ny + 1, nx, |a, i| {
            a == 0 || a == ny || !(act(i, a - 1) && act(i, a))
        });
        let sx_fix = Fixups::build(if second { ny } else { 0 }, nx, |j, i| {
            act(i, j) && (i == 0 || i == nx - 1 || !act(i - 1, j) || !act(i + 1, j))
        });
        let sy_fix = Fixups::build(if second { ny } else { 0 }, nx, |j, i| {
            act(i, j) && (j == 0 || j == ny - 1 || !act(i, j - 1) || !act(i, j + 1))
        });
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
        let mut backend = Self {
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
            fx_fix,
            fy_fix,
            sx_fix,
            sy_fix,
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
        };
        if inertial {
            backend.init_inertial_faces();
        }
        backend.install(|b| {
            b.max_rate = b.initial_rate();
            b.initial_track();
        });
        Ok(backend)
    }

    /// A flag that, once true, makes [`Backend::advance_to`] stop after the step it is taking
    /// and return [`CoreError::Interrupted`]; the state is then a whole step, ready to save.
    pub fn set_interrupt(&mut self, flag: Arc<std::sync::atomic::AtomicBool>) {
        self.interrupt = Some(flag);
    }

    /// Sets the rain and point sources (validated against the domain).
    pub fn set_forcing(&mut self, forcing: Forcing) -> Result<()> {
        forcing.validate(self.grid.cells(), &self.active)?;
        let ny = self.grid.ny;
        let mut segments = Vec::new();
        for b in &forcing.boundaries {
            let (faces, face_len_m) = b.faces(&self.grid, &self.active)?;
            segments.push(Segment {
                q: vec![R::zero(); faces.len()],
                faces,
                kind: b.kind.clone(),
                face_len_m,
                stage: R::zero(),
            });
        }
        self.segments = segments;
        let none = crate::numerics::infiltration::Infiltration::None;
        let infiltrates =
            forcing.infiltration != none || forcing.infiltration_cells.iter().any(|m| *m != none);
        if infiltrates {
            self.infiltrated = vec![0.0; self.grid.cells()];
            self.infil_rows = vec![0.0; ny];
        }
        if let Some(g) = &forcing.rain_grid {
            self.rain_w = Vec::with_capacity(g.times_s.len() + 2);
            self.rain_cum = vec![0.0; self.grid.cells()];
        }
        if forcing.rain_mm_h.is_some() || forcing.rain_grid.is_some() {
            self.rain_rows = vec![(0.0, 0.0, 0.0); ny];
            self.rain_carry = vec![R::zero(); self.grid.cells()];
        }
        self.forcing = forcing;
        Ok(())
    }

    /// Accumulates, every step, the volume of water through a group of faces (a cross-section):
    /// `(y_face, index, signed_length_m)` with `index` into the x faces (`(nx + 1) * ny`, face
    /// `a` of row `j` at `j * (nx + 1) + a`) or the y faces (`nx * (ny + 1)`), and the sign
    /// saying which way counts as positive. Returns the tracker's number for
    /// [`Backend::tracked_volumes_m3`].
    pub fn track_faces(&mut self, faces: Vec<(bool, usize, f64)>) -> Result<usize> {
        let (nx, ny) = (self.grid.nx, self.grid.ny);
        if let Some(&(y, k, _)) = faces.iter().find(|(y, k, _)| {
            if *y {
                *k >= nx * (ny + 1)
            } else {
                *k >= (nx + 1) * ny
            }
        }) {
            return Err(CoreError::Invalid {
                what: "tracked face",
                detail: format!("{} face {k} does not exist", if y { "y" } else { "x" }),
                expected: "faces of the grid",
            });
        }
        self.trackers.push(faces);
        self.tracked_m3.push(0.0);
        Ok(self.trackers.len() - 1)
    }

    /// Adds the flow of this (stage of the) step through the tracked faces.
    fn book_trackers(&mut self, dt_s: f64, weight: f64) {
        let inertial = self.cfg.scheme == Scheme::Inertial;
        for (faces, total) in self.trackers.iter().zip(self.tracked_m3.iter_mut()) {
            let mut q = 0.0;
            for &(y, k, len) in faces {
                let unit = match (inertial, y) {
                    (true, false) => self.qfx_new[k],
                    (true, true) => self.qfy_new[k],
                    (false, false) => self.fx.mass[k],
                    (false, true) => self.fy.mass[k],
                };
                q += unit.f64() * len;
            }
            *total += q * dt_s * weight;
        }
    }

    /// Cumulative infiltration per cell (m); empty without an infiltration model.
    pub fn infiltrated_m(&self) -> &[f64] {
        &self.infiltrated
    }

    /// Takes this step's infiltration out of every active cell: `min(potential, depth)`, with
    /// the discharge scaled with the depth (the velocity does not change, so the CFL rate found
    /// by the update stays a safe bound). Returns the volume taken (m^3).
    fn apply_infiltration(&mut self, t0: f64, t1: f64) -> f64 {
        let nx = self.grid.nx;
        let model = self.forcing.infiltration;
        let (p0, p1) = (
            self.forcing.rain_depth_m(0.0, t0),
            self.forcing.rain_depth_m(0.0, t1),
        );
        let dt = t1 - t0;
        let h_dry = self.p.h_dry;
        let active = &self.active;
        let per_cell = &self.forcing.infiltration_cells;
        // Gridded rain: each cell's own cumulative rain (after this step's) and this step's.
        let (cum, w) = (&self.rain_cum, &self.rain_w);
        let frames = self.forcing.rain_grid.as_ref().map(|g| &g.frames_mm_h);
        let c = &mut self.cur;
        c.h.par_chunks_mut(nx)
            .zip(c.qx.par_chunks_mut(nx))
            .zip(c.qy.par_chunks_mut(nx))
            .zip(c.u.par_chunks_mut(nx))
            .zip(c.v.par_chunks_mut(nx))
            .zip(self.infiltrated.par_chunks_mut(nx))
            .zip(self.infil_rows.par_iter_mut())
            .enumerate()
            .for_each(|(j, ((((((h, qx), qy), u), v), f), sum))| {
                let mut taken = 0.0;
                for i in 0..nx {
                    let d = h[i].f64();
                    if !active[j * nx + i] || d <= 0.0 {
                        continue;
                    }
                    let k = j * nx + i;
                    let model = if per_cell.is_empty() {
                        model
                    } else {
                        per_cell[k]
                    };
                    let (p0, p1) = match frames {
                        Some(fr) => {
                            let step: f64 = w
                                .iter()
                                .map(|&(m, wt)| wt * f64::from(fr[m][k]))
                                .sum::<f64>()
                                / 3.6e6;
                            (p0 + cum[k] - step, p1 + cum[k])
                        }
                        None => (p0, p1),
                    };
                    let loss = model.potential_loss_m(f[i], dt, p0, p1).clamp(0.0, d);
                    if loss <= 0.0 {
                        continue;
                    }
                    let new = R::c(d - loss);
                    let removed = d - new.f64();
                    let ratio = if d > 0.0 {
                        R::c(new.f64() / d)
                    } else {
                        R::zero()
                    };
                    h[i] = new;
                    if new > h_dry {
                        qx[i] = qx[i] * ratio;
                        qy[i] = qy[i] * ratio;
                    } else {
                        qx[i] = R::zero();
                        qy[i] = R::zero();
                        u[i] = R::zero();
                        v[i] = R::zero();
                    }
                    f[i] += removed;
                    taken += removed;
                }
                *sum = taken;
            });
        self.infil_rows.iter().sum::<f64>() * self.grid.cell_area_m2()
    }

    /// This step's values of the boundary segments: the inflow's mean discharge over the step,
    /// spread by conveyance; the stage at mid-step.
    fn update_segments(&mut self, t0: f64, t1: f64) {
        let h = &self.cur.h;
        let (z, h_dry) = (&self.z, self.p.h_dry);
        for seg in &mut self.segments {
            match &seg.kind {
                SegmentKind::Inflow(series) => {
                    let q_total = series.integral(t0, t1) / (t1 - t0);
                    let weight = |f: &SegFace| {
                        let d = h[f.cell].f64();
                        if d > h_dry.f64() {
                            d.powf(5.0 / 3.0)
                        } else {
                            0.0
                        }
                    };
                    let mut sum: f64 = seg.faces.iter().map(weight).sum();
                    let dry = sum <= 0.0;
                    let z_min = seg
                        .faces
                        .iter()
                        .map(|f| z[f.cell].f64())
                        .fold(f64::INFINITY, f64::min);
                    let low = |f: &SegFace| {
                        if z[f.cell].f64() <= z_min + 0.01 {
                            1.0
                        } else {
                            0.0
                        }
                    };
                    if dry {
                        sum = seg.faces.iter().map(low).sum();
                    }
                    for (q, f) in seg.q.iter_mut().zip(&seg.faces) {
                        let w = if dry { low(f) } else { weight(f) };
                        *q = R::c(q_total * w / sum / seg.face_len_m);
                    }
                }
                SegmentKind::Stage(series) => {
                    seg.stage = R::c(series.at(0.5 * (t0 + t1)));
                }
            }
        }
    }

    /// fv: imposes the segments' fluxes on their faces (after the face pass).
    fn apply_segments_fv(&mut self, from_stage: bool) {
        let src = if from_stage { &self.stage } else { &self.cur };
        let (p, z) = (self.p, &self.z);
        for seg in &self.segments {
            for (k, f) in seg.faces.iter().enumerate() {
                let c = f.cell;
                let h = src.h[c];
                let (qn, qt) = if f.y {
                    (src.qy[c], src.qx[c])
                } else {
                    (src.qx[c], src.qy[c])
                };
                let flux = match seg.kind {
                    SegmentKind::Inflow(_) => {
                        let q = seg.q[k];
                        // Deviation form: the cell's own pressure is left out (the
                        // inflow pushes with the cell's depth), so only the momentum the
                        // water brings in.
                        let mom = if h > R::c(1e-3) { q * q / h } else { R::zero() };
                        FaceFlux {
                            mass: if f.high { -q } else { q },
                            mom_l: mom,
                            mom_r: mom,
                            tan: R::zero(),
                        }
                    }
                    SegmentKind::Stage(_) => {
                        let inner = CellState { h, qn, qt, z: z[c] };
                        let hg = (seg.stage - z[c]).max(R::zero());
                        let ug = numerics::velocity(h, qn, p.h_dry);
                        let ghost = CellState {
                            h: hg,
                            qn: hg * ug,
                            qt: R::zero(),
                            z: z[c],
                        };
                        if f.high {
                            fv1::face_flux(inner, ghost, p)
                        } else {
                            fv1::face_flux(ghost, inner, p)
                        }
                    }
                };
                let arrays = if f.y { &mut self.fy } else { &mut self.fx };
                arrays.mass[f.face] = flux.mass;
                arrays.mom_l[f.face] = flux.mom_l;
                arrays.mom_r[f.face] = flux.mom_r;
                arrays.tan[f.face] = flux.tan;
            }
        }
    }

    /// inertial: imposes the segments' discharges on their faces.
    fn apply_segments_inertial(&mut self, dt: R, theta: R) {
        let (p, z, h, g_n2) = (self.p, &self.z, &self.cur.h, &self.g_n2);
        let inv_dx = R::c(1.0 / self.grid.dx_m);
        let inv_dy = R::c(1.0 / self.grid.dy_m);
        for seg in &self.segments {
            for (k, f) in seg.faces.iter().enumerate() {
                let c = f.cell;
                let (old, new) = if f.y {
                    (&self.qfy, &mut self.qfy_new)
                } else {
                    (&self.qfx, &mut self.qfx_new)
                };
                new[f.face] = match seg.kind {
                    SegmentKind::Inflow(_) => {
                        if f.high {
                            -seg.q[k]
                        } else {
                            seg.q[k]
                        }
                    }
                    SegmentKind::Stage(_) => {
                        let inv_d = if f.y { inv_dy } else { inv_dx };
                        edge_face_discharge(
                            old[f.face],
                            (h[c] + z[c], z[c]),
                            (seg.stage, z[c]),
                            g_n2[c],
                            f.high,
                            dt,
                            inv_d,
                            theta,
                            p,
                        )
                    }
                };
            }
        }
    }

    /// Fingerprint of the bed, mask and roughness, for checkpoints.
    fn terrain_fingerprint(&self) -> u64 {
        let z: Vec<f64> = self.z.iter().map(|x| x.f64()).collect();
        let n: Vec<f64> = self.g_n2.iter().map(|x| x.f64()).collect();
        let a: Vec<f64> = self
            .active
            .iter()
            .map(|&a| f64::from(u8::from(a)))
            .collect();
        checkpoint::fingerprint(&[&z, &n, &a])
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

    /// Takes one time step of exactly `dt_s` seconds (no CFL check: for benchmarks and tests;
    /// [`Backend::advance_to`] is the normal way to run).
    pub fn step_fixed(&mut self, dt_s: f64) -> Result<()> {
        self.install(|b| {
            let t_new = b.t_s + dt_s;
            b.step(dt_s, t_new)?;
            b.t_s = t_new;
            b.steps += 1;
            Ok(())
        })
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

    fn install<T: Send>(&mut self, f: impl FnOnce(&mut Self) -> T + Send) -> T {
        match self.pool.clone() {
            Some(pool) => pool.install(|| f(self)),
            None => f(self),
        }
    }

    fn initial_rate(&self) -> f64 {
        let inv_dx = R::c(1.0 / self.grid.dx_m);
        let inv_dy = R::c(1.0 / self.grid.dy_m);
        let inv_dmin = R::c(1.0 / self.grid.dx_m.min(self.grid.dy_m));
        let (g, h_dry) = (self.p.g, self.p.h_dry);
        let s = &self.cur;
        let scheme = self.cfg.scheme;
        (0..self.grid.cells())
            .into_par_iter()
            .map(|k| {
                match scheme {
                    Scheme::Inertial => cfl::inertial_rate(s.h[k], inv_dmin, g, h_dry),
                    _ => cfl::fv_rate(s.h[k], s.qx[k], s.qy[k], inv_dx, inv_dy, g, h_dry),
                }
                .f64()
            })
            .reduce(|| 0.0, f64::max)
    }

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

    fn init_inertial_faces(&mut self) {
        let (nx, ny) = (self.grid.nx, self.grid.ny);
        let s = &self.cur;
        for j in 0..ny {
            for a in 1..nx {
                let (kl, kr) = (j * nx + a - 1, j * nx + a);
                if self.active[kl] && self.active[kr] {
                    self.qfx[j * (nx + 1) + a] = R::c(0.5) * (s.qx[kl] + s.qx[kr]);
                }
            }
        }
        for a in 1..ny {
            for i in 0..nx {
                let (kl, kr) = ((a - 1) * nx + i, a * nx + i);
                if self.active[kl] && self.active[kr] {
                    self.qfy[a * nx + i] = R::c(0.5) * (s.qy[kl] + s.qy[kr]);
                }
            }
        }
    }

    /// One step of `dt_s` ending at `t_new_s`: scheme, ledger, maxima, next CFL rate.
    fn step(&mut self, dt_s: f64, t_new_s: f64) -> Result<()> {
        let t0 = t_new_s - dt_s;
        self.rain_step = R::c(self.forcing.rain_depth_m(t0, t_new_s));
        if !self.segments.is_empty() {
            self.update_segments(t0, t_new_s);
        }
        match self.cfg.scheme {
            Scheme::Fv1 => self.step_fv1(dt_s, t_new_s),
            Scheme::Fv2 => self.step_fv2(dt_s, t_new_s),
            Scheme::Inertial => self.step_inertial(dt_s, t_new_s),
        }
        std::mem::swap(&mut self.cur, &mut self.next);
        // Fold the per-row reductions in a fixed order.
        let mut rate = 0.0f64;
        let mut depth_sum = 0.0;
        let mut correction = 0.0;
        let mut bad = false;
        for r in &self.rows {
            rate = rate.max(r.max_rate);
            depth_sum += r.depth_sum;
            correction += r.correction_depth;
            bad |= r.bad;
        }
        if bad {
            let k = self.cur.h.iter().position(|h| !h.is_finite());
            let at = match k {
                Some(k) => format!("at cell ({}, {})", k % self.grid.nx, k / self.grid.nx),
                None => "in the domain".to_string(),
            };
            return Err(CoreError::Unstable {
                time_s: t_new_s,
                detail: format!(
                    "non-finite depth {at} after step {} (dt = {dt_s:.3e} s)",
                    self.steps + 1
                ),
            });
        }
        let area = self.grid.cell_area_m2();
        self.max_rate = rate;
        self.ledger.volume_m3 = depth_sum * area;
        self.ledger.positivity_correction_m3 += correction * area;
        if self.rain_step > R::zero() || self.forcing.rain_grid.is_some() {
            let (fallen, added) = self.apply_rain(t0, t_new_s);
            self.ledger.rain_m3 += fallen * area;
            self.ledger.volume_m3 += added * area;
        }
        self.apply_sources(t0, t_new_s);
        if !self.infiltrated.is_empty() {
            let taken = self.apply_infiltration(t0, t_new_s);
            self.ledger.infiltration_m3 += taken;
            self.ledger.volume_m3 -= taken;
        }
        Ok(())
    }

    /// Adds the rain of `[t0, t1]` — the uniform depth of this step and the gridded rain (the
    /// exact integral of the time-interpolated fields) — to every active cell, with velocities
    /// and the CFL rate brought up to date, as the point sources are. Returns the rain fallen
    /// and the depth actually added, each summed over cells (m).
    ///
    /// In f32 a step's rain is often below the resolution of a deep cell's depth (1 mm/h for
    /// 1 s is 2.8e-7 m, a third of an ulp at 10 m): plain `h + r` dropped it all on a 10 m lake,
    /// and rounded it up by 7.5 % on a 1 m one. Each cell keeps the part of its rain that
    /// rounding left out (`rain_carry`, exact by Knuth's TwoSum) and adds it to the next step's,
    /// so no rain is lost or made beyond half an ulp per cell.
    fn apply_rain(&mut self, t0: f64, t1: f64) -> (f64, f64) {
        let grid_rain = self.forcing.rain_grid.as_ref();
        if let Some(g) = grid_rain {
            g.weights(t0, t1, &mut self.rain_w);
        }
        let nx = self.grid.nx;
        let w = &self.rain_w;
        let frames = grid_rain.map(|g| &g.frames_mm_h);
        let active = &self.active;
        let (p, inertial) = (self.p, self.cfg.scheme == Scheme::Inertial);
        let uniform = self.rain_step;
        let inv_dx = R::c(1.0 / self.grid.dx_m);
        let inv_dy = R::c(1.0 / self.grid.dy_m);
        let inv_dmin = R::c(1.0 / self.grid.dx_m.min(self.grid.dy_m));
        let c = &mut self.cur;
        // One row: rain fallen, depth added, largest CFL rate. `cum_row` is empty without
        // gridded rain.
        let row = |j: usize,
                   h: &mut [R],
                   qx: &[R],
                   qy: &[R],
                   u: &mut [R],
                   v: &mut [R],
                   carry: &mut [R],
                   cum_row: &mut [f64]|
         -> (f64, f64, f64) {
            let (mut fallen, mut added, mut rate) = (0.0f64, 0.0f64, 0.0f64);
            for i in 0..nx {
                let k = j * nx + i;
                if !active[k] {
                    continue;
                }
                let mut dh = uniform;
                if let Some(frames) = frames {
                    let mut r = 0.0f64;
                    for &(f, wt) in w {
                        r += wt * f64::from(frames[f][k]);
                    }
                    let g = R::c(r / 3.6e6);
                    dh = dh + g;
                    cum_row[i] += g.f64();
                }
                if dh <= R::zero() {
                    // Not raining here: the carry waits (it is at most half an ulp).
                    continue;
                }
                fallen += dh.f64();
                // A carry from rounding up is negative; where the cell has drained since
                // (infiltration), it is dropped rather than taken from the bed.
                let (sum, err) = two_sum(h[i], dh + carry[i]);
                let (sum, err) = if sum < R::zero() {
                    (R::zero(), R::zero())
                } else {
                    (sum, err)
                };
                added += (sum - h[i]).f64();
                h[i] = sum;
                carry[i] = err;
                u[i] = numerics::velocity(h[i], qx[i], p.h_dry);
                v[i] = numerics::velocity(h[i], qy[i], p.h_dry);
                let rk = if inertial {
                    cfl::inertial_rate(h[i], inv_dmin, p.g, p.h_dry)
                } else {
                    cfl::fv_rate(h[i], qx[i], qy[i], inv_dx, inv_dy, p.g, p.h_dry)
                };
                rate = rate.max(rk.f64());
            }
            (fallen, added, rate)
        };
        let rows =
            c.h.par_chunks_mut(nx)
                .zip(c.qx.par_chunks(nx))
                .zip(c.qy.par_chunks(nx))
                .zip(c.u.par_chunks_mut(nx))
                .zip(c.v.par_chunks_mut(nx))
                .zip(self.rain_rows.par_iter_mut())
                .zip(self.rain_carry.par_chunks_mut(nx))
                .enumerate();
        if self.rain_cum.is_empty() {
            rows.for_each(|(j, ((((((h, qx), qy), u), v), sums), carry))| {
                *sums = row(j, h, qx, qy, u, v, carry, &mut []);
            });
        } else {
            rows.zip(self.rain_cum.par_chunks_mut(nx)).for_each(
                |((j, ((((((h, qx), qy), u), v), sums), carry)), cum_row)| {
                    *sums = row(j, h, qx, qy, u, v, carry, cum_row);
                },
            );
        }
        let (mut fallen, mut added) = (0.0, 0.0);
        for &(f, a, rate) in &self.rain_rows {
            fallen += f;
            added += a;
            self.max_rate = self.max_rate.max(rate);
        }
        (fallen, added)
    }

    /// Adds the point sources' water of `[t0, t1]` to their cells, with the velocity and CFL
    /// rate of those cells brought up to date, and books it.
    fn apply_sources(&mut self, t0: f64, t1: f64) {
        let area = self.grid.cell_area_m2();
        let inv_dx = R::c(1.0 / self.grid.dx_m);
        let inv_dy = R::c(1.0 / self.grid.dy_m);
        let inv_dmin = R::c(1.0 / self.grid.dx_m.min(self.grid.dy_m));
        for s in &self.forcing.sources {
            let dh = R::c(s.discharge_m3_s.integral(t0, t1) / area);
            let k = s.cell;
            let c = &mut self.cur;
            c.h[k] = c.h[k] + dh;
            c.u[k] = numerics::velocity(c.h[k], c.qx[k], self.p.h_dry);
            c.v[k] = numerics::velocity(c.h[k], c.qy[k], self.p.h_dry);
            let rate = match self.cfg.scheme {
                Scheme::Inertial => cfl::inertial_rate(c.h[k], inv_dmin, self.p.g, self.p.h_dry),
                _ => cfl::fv_rate(
                    c.h[k],
                    c.qx[k],
                    c.qy[k],
                    inv_dx,
                    inv_dy,
                    self.p.g,
                    self.p.h_dry,
                ),
            };
            self.max_rate = self.max_rate.max(rate.f64());
            let added = dh.f64() * area;
            self.ledger.source_inflow_m3 += added;
            self.ledger.volume_m3 += added;
        }
    }

    /// Adds the flow through the domain edges over `dt_s` (weighted, for Runge–Kutta stages).
    fn book_boundary_fv(&mut self, dt_s: f64, weight: f64) {
        let (inflow, outflow) = edge_flows(&self.grid, &self.fx.mass, &self.fy.mass);
        self.ledger.boundary_inflow_m3 += inflow * dt_s * weight;
        self.ledger.boundary_outflow_m3 += outflow * dt_s * weight;
        if !self.trackers.is_empty() {
            self.book_trackers(dt_s, weight);
        }
    }

    /// fv2: limited slopes of every cell of the state (`from_stage = false`) or of the stage.
    fn fv2_slopes(&mut self, from_stage: bool) {
        let (nx, ny) = (self.grid.nx, self.grid.ny);
        let p = self.p;
        let src = if from_stage { &self.stage } else { &self.cur };
        let view = View {
            nx,
            ny,
            h: &src.h,
            qx: &src.qx,
            qy: &src.qy,
            z: &self.z,
            active: &self.active,
            bc: self.cfg.boundaries,
            dx: R::c(self.grid.dx_m),
            dy: R::c(self.grid.dy_m),
            h_dry: self.p.h_dry,
        };
        let (view, z, sx_fix, sy_fix) = (&view, &self.z, &self.sx_fix, &self.sy_fix);
        let line_x = |r: std::ops::Range<usize>| rows::Line {
            h: &src.h[r.clone()],
            un: &src.u[r.clone()],
            ut: &src.v[r.clone()],
            z: &z[r],
        };
        let line_y = |r: std::ops::Range<usize>| rows::Line {
            h: &src.h[r.clone()],
            un: &src.v[r.clone()],
            ut: &src.u[r.clone()],
            z: &z[r],
        };
        self.sx
            .par_rows(nx)
            .zip(self.sy.par_rows(nx))
            .enumerate()
            .for_each(|(j, (mut sx, mut sy))| {
                let row = j * nx;
                if nx > 2 {
                    rows::fv2_slopes(
                        line_x(row..row + nx - 2),
                        line_x(row + 1..row + nx - 1),
                        line_x(row + 2..row + nx),
                        SlopeRow {
                            dh: &mut sx.dh[1..nx - 1],
                            deta: &mut sx.deta[1..nx - 1],
                            du: &mut sx.du[1..nx - 1],
                            dv: &mut sx.dv[1..nx - 1],
                        },
                        p.h_dry,
                    );
                }
                for &i in sx_fix.row(j) {
                    let i = i as usize;
                    if let Some([a, c, b]) = view.triple::<false>(i, j) {
                        sx.set(i, fv2::slopes(a, c, b, p));
                    }
                }
                if j >= 1 && j + 1 < ny {
                    rows::fv2_slopes(
                        line_y(row - nx..row),
                        line_y(row..row + nx),
                        line_y(row + nx..row + 2 * nx),
                        SlopeRow {
                            dh: &mut sy.dh[..],
                            deta: &mut sy.deta[..],
                            du: &mut sy.du[..],
                            dv: &mut sy.dv[..],
                        },
                        p.h_dry,
                    );
                }
                for &i in sy_fix.row(j) {
                    let i = i as usize;
                    if let Some([a, c, b]) = view.triple::<true>(j, i) {
                        sy.set(i, fv2::slopes(a, c, b, p));
                    }
                }
            });
    }

    /// Fluxes through every face, from the state or (fv2 second stage) the stage.
    fn fv_faces<const SECOND: bool>(&mut self, from_stage: bool) {
        let p = self.p;
        let (nx, ny) = (self.grid.nx, self.grid.ny);
        let src = if from_stage { &self.stage } else { &self.cur };
        let view = View {
            nx,
            ny,
            h: &src.h,
            qx: &src.qx,
            qy: &src.qy,
            z: &self.z,
            active: &self.active,
            bc: self.cfg.boundaries,
            dx: R::c(self.grid.dx_m),
            dy: R::c(self.grid.dy_m),
            h_dry: self.p.h_dry,
        };
        let (view, z, sx, sy) = (&view, &self.z, &self.sx, &self.sy);
        let (fx_fix, fy_fix) = (&self.fx_fix, &self.fy_fix);
        let line_x = |r: std::ops::Range<usize>| rows::Line {
            h: &src.h[r.clone()],
            un: &src.u[r.clone()],
            ut: &src.v[r.clone()],
            z: &z[r],
        };
        let line_y = |r: std::ops::Range<usize>| rows::Line {
            h: &src.h[r.clone()],
            un: &src.v[r.clone()],
            ut: &src.u[r.clone()],
            z: &z[r],
        };
        let slope_line = |s, r| SlopeArrays::line(s, r, SECOND);
        self.fx
            .par_rows(nx + 1)
            .enumerate()
            .for_each(|(j, mut out)| {
                let row = j * nx;
                if nx > 1 {
                    let (l, r) = (row..row + nx - 1, row + 1..row + nx);
                    let interior = FaceRow {
                        mass: &mut out.mass[1..nx],
                        mom_l: &mut out.mom_l[1..nx],
                        mom_r: &mut out.mom_r[1..nx],
                        tan: &mut out.tan[1..nx],
                    };
                    if SECOND {
                        rows::fv2_faces(
                            line_x(l.clone()),
                            slope_line(sx, l),
                            line_x(r.clone()),
                            slope_line(sx, r),
                            interior,
                            p,
                        );
                    } else {
                        rows::fv1_faces(line_x(l), line_x(r), interior, p);
                    }
                }
                for &a in fx_fix.row(j) {
                    let a = a as usize;
                    let f = if SECOND {
                        view.quad::<false>(a, j)
                            .map(|[ll, l, r, rr]| fv2::face_flux(ll, l, r, rr, p))
                    } else {
                        view.pair::<false>(a, j)
                            .map(|(l, r)| fv1::face_flux(l, r, p))
                    };
                    out.set(a, f.unwrap_or_default());
                }
            });
        self.fy.par_rows(nx).enumerate().for_each(|(a, mut out)| {
            if a >= 1 && a < ny {
                let (lo, up) = ((a - 1) * nx..a * nx, a * nx..(a + 1) * nx);
                let all = FaceRow {
                    mass: &mut out.mass[..],
                    mom_l: &mut out.mom_l[..],
                    mom_r: &mut out.mom_r[..],
                    tan: &mut out.tan[..],
                };
                if SECOND {
                    rows::fv2_faces(
                        line_y(lo.clone()),
                        slope_line(sy, lo),
                        line_y(up.clone()),
                        slope_line(sy, up),
                        all,
                        p,
                    );
                } else {
                    rows::fv1_faces(line_y(lo), line_y(up), all, p);
                }
            }
            for &i in fy_fix.row(a) {
                let i = i as usize;
                let f = if SECOND {
                    view.quad::<true>(a, i)
                        .map(|[ll, l, r, rr]| fv2::face_flux(ll, l, r, rr, p))
                } else {
                    view.pair::<true>(a, i)
                        .map(|(l, r)| fv1::face_flux(l, r, p))
                };
                out.set(i, f.unwrap_or_default());
            }
        });
    }

    /// The finite-volume cell update from the face fluxes of the state (or the fv2 stage).
    /// `SECOND`: add the fv2 bed sources. `FINISH`: last stage of the step (fv1, or fv2's second
    /// stage, which also averages with the state at the start of the step): friction, CFL rate
    /// and maxima.
    fn fv_cells<const SECOND: bool, const FINISH: bool>(&mut self, dt_s: f64, t_new_s: f64) {
        let nx = self.grid.nx;
        let p = self.p;
        let rx = R::c(dt_s / self.grid.dx_m);
        let ry = R::c(dt_s / self.grid.dy_m);
        let inv_dx = R::c(1.0 / self.grid.dx_m);
        let inv_dy = R::c(1.0 / self.grid.dy_m);
        let dt = R::c(dt_s);
        let t_new = R::c(t_new_s);
        let thr = R::c(self.cfg.arrival_depth_m);
        // fv1: cur -> next. fv2 stage 1: cur -> stage. fv2 stage 2: stage (+ cur) -> next.
        let (src, base, out) = if SECOND && !FINISH {
            (&self.cur, &self.cur, &mut self.stage)
        } else if SECOND {
            (&self.stage, &self.cur, &mut self.next)
        } else {
            (&self.cur, &self.cur, &mut self.next)
        };
        let (fx, fy, sx, sy) = (&self.fx, &self.fy, &self.sx, &self.sy);
        let (active, g_n2) = (&self.active, &self.g_n2);
        let consts = rows::CellConsts {
            p,
            rx,
            ry,
            inv_dx,
            inv_dy,
            dt,
            t_new,
            arrival_depth: thr,
        };
        let face_line = FaceArrays::line;
        let slope_line = |s, r| SlopeArrays::line(s, r, SECOND);
        par_cell_rows(out, &mut self.rate, &mut self.maxima, nx)
            .zip(self.rows.par_iter_mut())
            .enumerate()
            .for_each(|(j, (mut o, sums))| {
                let c = j * nx..(j + 1) * nx;
                let xf = j * (nx + 1);
                let inp = rows::FvRowIn {
                    h: &src.h[c.clone()],
                    qx: &src.qx[c.clone()],
                    qy: &src.qy[c.clone()],
                    base_h: &base.h[c.clone()],
                    base_qx: &base.qx[c.clone()],
                    base_qy: &base.qy[c.clone()],
                    faces: rows::Around {
                        west: face_line(fx, xf..xf + nx),
                        east: face_line(fx, xf + 1..xf + nx + 1),
                        south: face_line(fy, c.clone()),
                        north: face_line(fy, c.start + nx..c.end + nx),
                    },
                    sx: slope_line(sx, c.clone()),
                    sy: slope_line(sy, c.clone()),
                    active: &active[c.clone()],
                    g_n2: &g_n2[c],
                };
                rows::fv_cells::<R, SECOND, FINISH>(inp, &mut o, consts);
                *sums = fold_row(o.h, o.rate, FINISH);
            });
    }

    /// Positivity of the finite-volume update: a cell whose fluxes would take out more water
    /// than it holds has its outgoing faces scaled down to exactly its content (each face by its
    /// upwind cell, so the scaling is conservative). With the CFL condition this only happens at
    /// drying fronts and for thin sheets (rain on slopes); everywhere else the pass changes
    /// nothing and the second half is skipped.
    fn fv_limit(&mut self, dt_s: f64, from_stage: bool) {
        let (nx, ny) = (self.grid.nx, self.grid.ny);
        let dt = R::c(dt_s);
        let inv_dx = R::c(1.0 / self.grid.dx_m);
        let inv_dy = R::c(1.0 / self.grid.dy_m);
        let h = if from_stage {
            &self.stage.h
        } else {
            &self.cur.h
        };
        let (fxm, fym) = (&self.fx.mass, &self.fy.mass);
        self.scale
            .par_chunks_mut(nx)
            .zip(self.row_limited.par_iter_mut())
            .enumerate()
            .for_each(|(j, (out, limited))| {
                let (f, c) = (j * (nx + 1), j * nx..(j + 1) * nx);
                rows::inertial_scale(
                    &h[c.clone()],
                    &fxm[f..f + nx],
                    &fxm[f + 1..f + nx + 1],
                    &fym[c.clone()],
                    &fym[c.start + nx..c.end + nx],
                    out,
                    dt,
                    inv_dx,
                    inv_dy,
                );
                *limited = out.iter().any(|&s| s < R::one());
            });
        if !self.row_limited.iter().any(|&l| l) {
            return;
        }
        let (scale, limited) = (&self.scale, &self.row_limited);
        let one = R::one();
        let scale_face = |row: &mut FaceRow<'_, R>, k: usize, s: R| {
            row.mass[k] = row.mass[k] * s;
            row.mom_l[k] = row.mom_l[k] * s;
            row.mom_r[k] = row.mom_r[k] * s;
            row.tan[k] = row.tan[k] * s;
        };
        self.fx
            .par_rows(nx + 1)
            .enumerate()
            .for_each(|(j, mut row)| {
                if !limited[j] {
                    return;
                }
                let sc = &scale[j * nx..(j + 1) * nx];
                for a in 0..=nx {
                    let up = if row.mass[a] > R::zero() {
                        a.checked_sub(1)
                    } else {
                        Some(a)
                    };
                    let s = up.filter(|&i| i < nx).map_or(one, |i| sc[i]);
                    if s < one {
                        scale_face(&mut row, a, s);
                    }
                }
            });
        self.fy.par_rows(nx).enumerate().for_each(|(a, mut row)| {
            let below = a.checked_sub(1).is_some_and(|j| limited[j]);
            let above = a < ny && limited[a];
            if !(below || above) {
                return;
            }
            for i in 0..nx {
                let up = if row.mass[i] > R::zero() {
                    a.checked_sub(1)
                } else {
                    Some(a)
                };
                let s = up.filter(|&j| j < ny).map_or(one, |j| scale[j * nx + i]);
                if s < one {
                    scale_face(&mut row, i, s);
                }
            }
        });
    }

    fn step_fv1(&mut self, dt_s: f64, t_new_s: f64) {
        self.fv_faces::<false>(false);
        self.apply_segments_fv(false);
        self.fv_limit(dt_s, false);
        self.book_boundary_fv(dt_s, 1.0);
        self.fv_cells::<false, true>(dt_s, t_new_s);
    }

    fn step_fv2(&mut self, dt_s: f64, t_new_s: f64) {
        // Stage 1: U1 = U + dt L(U)
        self.fv2_slopes(false);
        self.fv_faces::<true>(false);
        self.apply_segments_fv(false);
        self.fv_limit(dt_s, false);
        self.book_boundary_fv(dt_s, 0.5);
        self.fv_cells::<true, false>(dt_s, t_new_s);
        // Positivity fixes of the first stage enter the result with weight 1/2.
        let c1: f64 = self.rows.iter().map(|r| r.correction_depth).sum();
        self.ledger.positivity_correction_m3 += 0.5 * c1 * self.grid.cell_area_m2();
        // Stage 2: U' = (U + U1 + dt L(U1)) / 2
        self.fv2_slopes(true);
        self.fv_faces::<true>(true);
        self.apply_segments_fv(true);
        self.fv_limit(dt_s, true);
        self.book_boundary_fv(dt_s, 0.5);
        self.fv_cells::<true, true>(dt_s, t_new_s);
    }

    fn step_inertial(&mut self, dt_s: f64, t_new_s: f64) {
        let (nx, ny) = (self.grid.nx, self.grid.ny);
        let p = self.p;
        let dt = R::c(dt_s);
        let inv_dx = R::c(1.0 / self.grid.dx_m);
        let inv_dy = R::c(1.0 / self.grid.dy_m);
        let theta = R::c(self.cfg.theta);
        let bc = self.cfg.boundaries;
        let (h, z, active, g_n2) = (&self.cur.h, &self.z, &self.active, &self.g_n2);
        let (fx_fix, fy_fix) = (&self.fx_fix, &self.fy_fix);
        // 1. New face discharges: every interior face, then the faces at walls and edges.
        let qfx = &self.qfx;
        self.qfx_new
            .par_chunks_mut(nx + 1)
            .enumerate()
            .for_each(|(j, out)| {
                let (f, row) = (j * (nx + 1), j * nx);
                if nx > 1 {
                    let (l, r) = (row..row + nx - 1, row + 1..row + nx);
                    let inp = rows::InertialFacesIn {
                        q: &qfx[f + 1..f + nx],
                        q_behind: &qfx[f..f + nx - 1],
                        q_ahead: &qfx[f + 2..f + nx + 1],
                        h_l: &h[l.clone()],
                        z_l: &z[l.clone()],
                        gn2_l: &g_n2[l],
                        h_r: &h[r.clone()],
                        z_r: &z[r.clone()],
                        gn2_r: &g_n2[r],
                    };
                    rows::inertial_faces(inp, &mut out[1..nx], dt, inv_dx, theta, p);
                }
                for &a in fx_fix.row(j) {
                    out[a as usize] = R::zero();
                }
                // Free outflow copies the neighbouring face, outward only.
                if nx > 1 {
                    if bc.west == BoundaryKind::Free && active[row] {
                        out[0] = out[1].min(R::zero());
                    }
                    if bc.east == BoundaryKind::Free && active[row + nx - 1] {
                        out[nx] = out[nx - 1].max(R::zero());
                    }
                }
                // Normal depth: the surface falls on at the given slope beyond the edge.
                let (w, e) = (row, row + nx - 1);
                if let BoundaryKind::NormalDepth { slope } = bc.west
                    && active[w]
                {
                    let q = normal_depth_face(
                        qfx[f],
                        h[w],
                        z[w],
                        g_n2[w],
                        R::c(slope) / inv_dx,
                        false,
                        dt,
                        inv_dx,
                        theta,
                        p,
                    );
                    out[0] = q;
                }
                if let BoundaryKind::NormalDepth { slope } = bc.east
                    && active[e]
                {
                    let q = normal_depth_face(
                        qfx[f + nx],
                        h[e],
                        z[e],
                        g_n2[e],
                        R::c(slope) / inv_dx,
                        true,
                        dt,
                        inv_dx,
                        theta,
                        p,
                    );
                    out[nx] = q;
                }
            });
        let qfy = &self.qfy;
        self.qfy_new
            .par_chunks_mut(nx)
            .enumerate()
            .for_each(|(a, out)| {
                if a >= 1 && a < ny {
                    let (lo, up) = ((a - 1) * nx..a * nx, a * nx..(a + 1) * nx);
                    let inp = rows::InertialFacesIn {
                        q: &qfy[up.clone()],
                        q_behind: &qfy[lo.clone()],
                        q_ahead: &qfy[up.start + nx..up.end + nx],
                        h_l: &h[lo.clone()],
                        z_l: &z[lo.clone()],
                        gn2_l: &g_n2[lo],
                        h_r: &h[up.clone()],
                        z_r: &z[up.clone()],
                        gn2_r: &g_n2[up],
                    };
                    rows::inertial_faces(inp, out, dt, inv_dy, theta, p);
                }
                for &i in fy_fix.row(a) {
                    out[i as usize] = R::zero();
                }
            });
        for i in 0..nx {
            let (s, n) = (i, (ny - 1) * nx + i);
            if let BoundaryKind::NormalDepth { slope } = bc.south
                && active[s]
            {
                self.qfy_new[i] = normal_depth_face(
                    self.qfy[i],
                    h[s],
                    z[s],
                    g_n2[s],
                    R::c(slope) / inv_dy,
                    false,
                    dt,
                    inv_dy,
                    theta,
                    p,
                );
            }
            if let BoundaryKind::NormalDepth { slope } = bc.north
                && active[n]
            {
                let f = ny * nx + i;
                self.qfy_new[f] = normal_depth_face(
                    self.qfy[f],
                    h[n],
                    z[n],
                    g_n2[n],
                    R::c(slope) / inv_dy,
                    true,
                    dt,
                    inv_dy,
                    theta,
                    p,
                );
            }
        }
        if ny > 1 {
            for i in 0..nx {
                if bc.south == BoundaryKind::Free && active[i] {
                    self.qfy_new[i] = self.qfy_new[nx + i].min(R::zero());
                }
                if bc.north == BoundaryKind::Free && active[(ny - 1) * nx + i] {
                    self.qfy_new[ny * nx + i] = self.qfy_new[(ny - 1) * nx + i].max(R::zero());
                }
            }
        }
        if !self.segments.is_empty() {
            self.apply_segments_inertial(dt, theta);
        }
        // 2. Outflow-limiting factor of each cell.
        let h = &self.cur.h;
        let (qfx_new, qfy_new) = (&self.qfx_new, &self.qfy_new);
        self.scale
            .par_chunks_mut(nx)
            .enumerate()
            .for_each(|(j, out)| {
                let (f, c) = (j * (nx + 1), j * nx..(j + 1) * nx);
                rows::inertial_scale(
                    &h[c.clone()],
                    &qfx_new[f..f + nx],
                    &qfx_new[f + 1..f + nx + 1],
                    &qfy_new[c.clone()],
                    &qfy_new[c.start + nx..c.end + nx],
                    out,
                    dt,
                    inv_dx,
                    inv_dy,
                );
            });
        // 3. Scale each face by its upwind cell.
        let scale = &self.scale;
        self.qfx_new
            .par_chunks_mut(nx + 1)
            .enumerate()
            .for_each(|(j, row)| {
                let sc = &scale[j * nx..(j + 1) * nx];
                if nx > 1 {
                    rows::inertial_apply_scale(&mut row[1..nx], &sc[..nx - 1], &sc[1..]);
                }
                // Edges: only outflow is limited (its upwind cell is inside).
                let zero = R::zero();
                row[0] = row[0] * select(row[0] < zero, sc[0], R::one());
                row[nx] = row[nx] * select(row[nx] > zero, sc[nx - 1], R::one());
            });
        self.qfy_new
            .par_chunks_mut(nx)
            .enumerate()
            .for_each(|(a, row)| {
                if a >= 1 && a < ny {
                    rows::inertial_apply_scale(
                        row,
                        &scale[(a - 1) * nx..a * nx],
                        &scale[a * nx..(a + 1) * nx],
                    );
                } else {
                    // Edges: only outflow is limited (its upwind cell is inside).
                    let (sc, out_sign) = if a == 0 {
                        (&scale[..nx], -R::one())
                    } else {
                        (&scale[(ny - 1) * nx..], R::one())
                    };
                    for (q, s) in row.iter_mut().zip(sc) {
                        *q = *q * select(*q * out_sign > R::zero(), *s, R::one());
                    }
                }
            });
        // Boundary flow, booked after limiting.
        let (inflow, outflow) = edge_flows(&self.grid, &self.qfx_new, &self.qfy_new);
        self.ledger.boundary_inflow_m3 += inflow * dt_s;
        self.ledger.boundary_outflow_m3 += outflow * dt_s;
        if !self.trackers.is_empty() {
            self.book_trackers(dt_s, 1.0);
        }
        // 4. Depth update, cell-centred discharges and velocities, CFL rate, maxima, volume.
        let consts = rows::CellConsts {
            p,
            rx: R::c(dt_s / self.grid.dx_m),
            ry: R::c(dt_s / self.grid.dy_m),
            inv_dx,
            inv_dy,
            dt,
            t_new: R::c(t_new_s),
            arrival_depth: R::c(self.cfg.arrival_depth_m),
        };
        let inv_dmin = R::c(1.0 / self.grid.dx_m.min(self.grid.dy_m));
        let (qfx_new, qfy_new) = (&self.qfx_new, &self.qfy_new);
        let (h, active) = (&self.cur.h, &self.active);
        par_cell_rows(&mut self.next, &mut self.rate, &mut self.maxima, nx)
            .zip(self.rows.par_iter_mut())
            .enumerate()
            .for_each(|(j, (mut o, sums))| {
                let (f, c) = (j * (nx + 1), j * nx..(j + 1) * nx);
                let inp = rows::InertialCellsIn {
                    h: &h[c.clone()],
                    west: &qfx_new[f..f + nx],
                    east: &qfx_new[f + 1..f + nx + 1],
                    south: &qfy_new[c.clone()],
                    north: &qfy_new[c.start + nx..c.end + nx],
                    active: &active[c],
                };
                rows::inertial_cells(inp, &mut o, consts, inv_dmin);
                *sums = fold_row(o.h, o.rate, true);
            });
        std::mem::swap(&mut self.qfx, &mut self.qfx_new);
        std::mem::swap(&mut self.qfy, &mut self.qfy_new);
    }
}

/// Knuth's TwoSum: `a + b` rounded and its exact rounding error. WGSL twin:
/// `forcing.wgsl::two_sum`.
#[inline(always)]
fn two_sum<R: Real>(a: R, b: R) -> (R, R) {
    let s = a + b;
    let bp = s - a;
    let err = (a - (s - bp)) + (b - bp);
    (s, err)
}

/// Inertial discharge through an edge face between an interior cell and a ghost, each given as
/// `(eta, z)`: the momentum equation with the face's own old discharge standing in for its
/// missing neighbours. `high`: the ghost is east / north of the interior cell.
#[allow(clippy::too_many_arguments)]
#[inline]
fn edge_face_discharge<R: Real>(
    q_old: R,
    inner: (R, R),
    ghost: (R, R),
    g_n2: R,
    high: bool,
    dt: R,
    inv_d: R,
    theta: R,
    p: Params<R>,
) -> R {
    let ((eta_l, z_l), (eta_r, z_r)) = if high { (inner, ghost) } else { (ghost, inner) };
    let input = numerics::inertial::FaceInput {
        q: q_old,
        q_behind: q_old,
        q_ahead: q_old,
        eta_l,
        eta_r,
        z_l,
        z_r,
        g_n2,
    };
    numerics::inertial::face_discharge(input, dt, inv_d, theta, p.g, p.h_dry)
}

/// Inertial discharge through a normal-depth edge face: a ghost with the interior depth on a
/// bed `drop` lower (slope x cell size); outflow only.
#[allow(clippy::too_many_arguments)]
#[inline]
fn normal_depth_face<R: Real>(
    q_old: R,
    h: R,
    z: R,
    g_n2: R,
    drop: R,
    high: bool,
    dt: R,
    inv_d: R,
    theta: R,
    p: Params<R>,
) -> R {
    let ghost = (h + z - drop, z - drop);
    let q = edge_face_discharge(q_old, (h + z, z), ghost, g_n2, high, dt, inv_d, theta, p);
    if high {
        q.max(R::zero())
    } else {
        q.min(R::zero())
    }
}

/// Flow through the domain edges (m^3/s), `(inflow, outflow)`, from the unit discharges through
/// the x faces (`(nx + 1) * ny`, positive east) and y faces (`nx * (ny + 1)`, positive north).
fn edge_flows<R: Real>(grid: &Grid, x_faces: &[R], y_faces: &[R]) -> (f64, f64) {
    let (nx, ny) = (grid.nx, grid.ny);
    let (dx, dy) = (grid.dx_m, grid.dy_m);
    // (discharge into the domain per metre, edge length)
    let edges = (0..ny)
        .flat_map(|j| {
            [
                (x_faces[j * (nx + 1)].f64(), dy),
                (-x_faces[j * (nx + 1) + nx].f64(), dy),
            ]
        })
        .chain((0..nx).flat_map(|i| [(y_faces[i].f64(), dx), (-y_faces[ny * nx + i].f64(), dx)]));
    let (mut inflow, mut outflow) = (0.0, 0.0);
    for (q_in, len) in edges {
        if q_in >= 0.0 {
            inflow += q_in * len;
        } else {
            outflow -= q_in * len;
        }
    }
    (inflow, outflow)
}

impl<R: Real> Backend for CpuBackend<R> {
    type Real = R;

    fn describe(&self) -> String {
        format!(
            "cpu (rayon, {} threads, {}, {}, {})",
            self.threads(),
            simd::vector_isa(),
            self.cfg.scheme,
            R::NAME
        )
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn time_s(&self) -> f64 {
        self.t_s
    }

    fn steps(&self) -> u64 {
        self.steps
    }

    fn advance_to(&mut self, t_target_s: f64) -> Result<()> {
        if !t_target_s.is_finite() || t_target_s < self.t_s {
            return Err(CoreError::Invalid {
                what: "target time",
                detail: format!("{t_target_s} s while the model is at {} s", self.t_s),
                expected: "a finite time not before the current one",
            });
        }
        self.install(|b| {
            while b.t_s < t_target_s {
                let (dt, last) =
                    cfl::next_dt(b.courant, b.max_rate, b.cfg.max_dt_s, b.t_s, t_target_s);
                if !last && (dt.is_nan() || dt < b.cfg.min_dt_s) {
                    return Err(CoreError::Unstable {
                        time_s: b.t_s,
                        detail: format!(
                            "time step collapsed to {dt:.3e} s (minimum {:.1e} s)",
                            b.cfg.min_dt_s
                        ),
                    });
                }
                let t_new = if last { t_target_s } else { b.t_s + dt };
                b.step(dt, t_new)?;
                b.t_s = t_new;
                b.steps += 1;
                if b.interrupt
                    .as_ref()
                    .is_some_and(|f| f.load(std::sync::atomic::Ordering::Relaxed))
                {
                    return Err(CoreError::Interrupted { time_s: b.t_s });
                }
            }
            Ok(())
        })
    }

    fn read_state(&mut self, out: &mut State<R>) -> Result<()> {
        out.h.clone_from(&self.cur.h);
        out.qx.clone_from(&self.cur.qx);
        out.qy.clone_from(&self.cur.qy);
        Ok(())
    }

    fn read_maxima(&mut self, out: &mut Maxima<R>) -> Result<()> {
        out.clone_from(&self.maxima);
        Ok(())
    }

    fn ledger(&self) -> MassLedger {
        self.ledger
    }

    fn tracked_volumes_m3(&self) -> &[f64] {
        &self.tracked_m3
    }

    fn checkpoint(&mut self, extra: String) -> Result<Checkpoint> {
        let f = |v: &[R]| v.iter().map(|x| x.f64()).collect::<Vec<f64>>();
        let mut arrays = vec![
            ("h".to_string(), f(&self.cur.h)),
            ("qx".to_string(), f(&self.cur.qx)),
            ("qy".to_string(), f(&self.cur.qy)),
            // The velocities the next fluxes use: after infiltration or a positivity limit
            // they are not recomputed from h and q, so they are part of the state.
            ("u".to_string(), f(&self.cur.u)),
            ("v".to_string(), f(&self.cur.v)),
            ("max_depth_m".to_string(), f(&self.maxima.depth_m)),
            ("max_speed_m_s".to_string(), f(&self.maxima.speed_m_s)),
            ("max_hazard_m2_s".to_string(), f(&self.maxima.hazard_m2_s)),
            ("arrival_s".to_string(), f(&self.maxima.arrival_s)),
        ];
        if self.cfg.scheme == Scheme::Inertial {
            arrays.push(("qfx".to_string(), f(&self.qfx)));
            arrays.push(("qfy".to_string(), f(&self.qfy)));
        }
        if !self.infiltrated.is_empty() {
            arrays.push(("infiltrated_m".to_string(), self.infiltrated.clone()));
        }
        if !self.rain_cum.is_empty() {
            arrays.push(("rain_cum_m".to_string(), self.rain_cum.clone()));
        }
        if !self.rain_carry.is_empty() {
            arrays.push(("rain_carry_m".to_string(), f(&self.rain_carry)));
        }
        Ok(Checkpoint {
            header: checkpoint::Header {
                scheme: self.cfg.scheme.name().into(),
                precision: R::NAME.into(),
                nx: self.grid.nx,
                ny: self.grid.ny,
                terrain_fingerprint: self.terrain_fingerprint(),
                time_s: self.t_s,
                steps: self.steps,
                max_rate: self.max_rate,
                ledger: self.ledger,
                tracked_m3: self.tracked_m3.clone(),
                arrays: Vec::new(),
                extra,
            },
            arrays,
        })
    }

    fn restore(&mut self, c: &Checkpoint) -> Result<()> {
        let h = &c.header;
        let mismatch = |detail: String| CoreError::Invalid {
            what: "checkpoint",
            detail,
            expected: "a checkpoint of the same terrain, grid, scheme and precision",
        };
        if (h.nx, h.ny) != (self.grid.nx, self.grid.ny) {
            return Err(mismatch(format!(
                "it holds {} x {} cells, the model {} x {}",
                h.nx, h.ny, self.grid.nx, self.grid.ny
            )));
        }
        if h.scheme != self.cfg.scheme.name() || h.precision != R::NAME {
            return Err(mismatch(format!(
                "it was written by {} in {}, the model runs {} in {}",
                h.scheme,
                h.precision,
                self.cfg.scheme.name(),
                R::NAME
            )));
        }
        if h.terrain_fingerprint != self.terrain_fingerprint() {
            return Err(mismatch(
                "the bed, mask or roughness differ from the run that wrote it".into(),
            ));
        }
        if h.tracked_m3.len() != self.tracked_m3.len() {
            return Err(mismatch(format!(
                "it tracks {} cross-sections, the model {}",
                h.tracked_m3.len(),
                self.tracked_m3.len()
            )));
        }
        if c.array("infiltrated_m").is_some() == self.infiltrated.is_empty() {
            return Err(mismatch(
                "one of the two has an infiltration model and the other not".into(),
            ));
        }
        let cells = self.grid.cells();
        let get = |name: &str, n: usize| -> Result<Vec<R>> {
            match c.array(name) {
                Some(v) if v.len() == n => Ok(v.iter().map(|&x| R::c(x)).collect()),
                Some(v) => Err(mismatch(format!(
                    "{name} has {} values, expected {n}",
                    v.len()
                ))),
                None => Err(mismatch(format!("{name} is missing"))),
            }
        };
        let state = State {
            h: get("h", cells)?,
            qx: get("qx", cells)?,
            qy: get("qy", cells)?,
        };
        let maxima = Maxima {
            depth_m: get("max_depth_m", cells)?,
            speed_m_s: get("max_speed_m_s", cells)?,
            hazard_m2_s: get("max_hazard_m2_s", cells)?,
            arrival_s: get("arrival_s", cells)?,
        };
        if self.cfg.scheme == Scheme::Inertial {
            self.qfx = get("qfx", self.qfx.len())?;
            self.qfy = get("qfy", self.qfy.len())?;
        }
        if let Some(v) = c.array("infiltrated_m") {
            if v.len() != cells {
                return Err(mismatch(format!("infiltrated_m has {} values", v.len())));
            }
            self.infiltrated = v.to_vec();
        }
        match c.array("rain_cum_m") {
            Some(v) if v.len() == cells && !self.rain_cum.is_empty() => {
                self.rain_cum = v.to_vec();
            }
            None if self.rain_cum.is_empty() => {}
            _ => {
                return Err(mismatch(
                    "one of the two has gridded rain and the other not".into(),
                ));
            }
        }
        if !self.rain_carry.is_empty() {
            // Absent from a checkpoint of a run without rain: nothing was carried.
            self.rain_carry = match c.array("rain_carry_m") {
                Some(_) => get("rain_carry_m", cells)?,
                None => vec![R::zero(); cells],
            };
        }
        let (u, v) = (get("u", cells)?, get("v", cells)?);
        self.cur = Fields {
            h: state.h,
            qx: state.qx,
            qy: state.qy,
            u,
            v,
        };
        self.maxima = maxima;
        self.t_s = h.time_s;
        self.steps = h.steps;
        self.max_rate = h.max_rate;
        self.ledger = h.ledger;
        self.tracked_m3.clone_from(&h.tracked_m3);
        Ok(())
    }
}
