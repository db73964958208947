//! The CPU backend: the schemes of [`crate::numerics`] looped over the grid with rayon.
//!
//! Parallelism is over rows (or rows of faces); every value is computed by one thread from
//! inputs that do not depend on the thread count, and the reductions (largest wave rate, volume)
//! are folded per row and then over rows in a fixed order, so results are bitwise identical
//! whatever the number of threads. All buffers are allocated in [`CpuBackend::new`]; the time loop
//! allocates nothing.
//!
//! Each step is a few passes over memory:
//! - fv1 / fv2: fluxes through every x face, then every y face (each face computed once, so the
//!   flux leaving one cell is exactly the flux entering its neighbour), then the cell update with
//!   friction, positivity, the CFL rate and the volume fused in. fv2 does this twice (SSP-RK2).
//! - inertial: new face discharges, the outflow-limiting scale of each cell, the scaled faces,
//!   then the depth update.

mod view;

use std::sync::Arc;

use rayon::prelude::*;

use crate::backend::Backend;
use crate::config::{BoundaryKind, Scheme, SolverConfig};
use crate::error::{CoreError, Result};
use crate::grid::Grid;
use crate::ledger::MassLedger;
use crate::maxima::{self, Maxima};
use crate::numerics::{self, FaceFlux, Params, cfl, friction, fv1, fv2, inertial};
use crate::real::Real;
use crate::state::State;
use crate::terrain::Terrain;
use view::View;

/// Per-row partial reductions of a cell pass.
#[derive(Debug, Clone, Copy, Default)]
struct RowSums {
    max_rate: f64,
    depth_sum: f64,
    correction_depth: f64,
    bad_cell: Option<usize>,
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
    any_friction: bool,
    state: State<R>,
    next: State<R>,
    /// fv2: the first Runge–Kutta stage.
    stage: State<R>,
    /// fv: fluxes through x faces, `(nx + 1) * ny`, and y faces, `nx * (ny + 1)`.
    fx: Vec<FaceFlux<R>>,
    fy: Vec<FaceFlux<R>>,
    /// inertial: face discharges, old and new.
    qfx: Vec<R>,
    qfy: Vec<R>,
    qfx_new: Vec<R>,
    qfy_new: Vec<R>,
    /// inertial: outflow-limiting factor per cell.
    scale: Vec<R>,
    rows: Vec<RowSums>,
    maxima: Maxima<R>,
    ledger: MassLedger,
    t_s: f64,
    max_rate: f64,
    steps: u64,
    pool: Option<Arc<rayon::ThreadPool>>,
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
        let any_friction = g_n2.iter().any(|&v| v > R::zero());
        let mut state = initial;
        for (k, _) in active.iter().enumerate().filter(|(_, a)| !**a) {
            state.h[k] = R::zero();
            state.qx[k] = R::zero();
            state.qy[k] = R::zero();
        }
        let (nx, ny) = (grid.nx, grid.ny);
        let fv = matches!(cfg.scheme, Scheme::Fv1 | Scheme::Fv2);
        let inertial = cfg.scheme == Scheme::Inertial;
        let sized = |cond: bool, n: usize| if cond { vec![R::zero(); n] } else { Vec::new() };
        let faces = |cond: bool, n: usize| {
            if cond {
                vec![FaceFlux::default(); n]
            } else {
                Vec::new()
            }
        };
        let mut backend = Self {
            p: Params {
                g: R::c(g),
                h_dry: R::c(cfg.dry_depth_m),
            },
            courant: cfg.courant(),
            z,
            active,
            g_n2,
            any_friction,
            next: State::dry(cells),
            stage: if cfg.scheme == Scheme::Fv2 {
                State::dry(cells)
            } else {
                State::default()
            },
            fx: faces(fv, (nx + 1) * ny),
            fy: faces(fv, nx * (ny + 1)),
            qfx: sized(inertial, (nx + 1) * ny),
            qfy: sized(inertial, nx * (ny + 1)),
            qfx_new: sized(inertial, (nx + 1) * ny),
            qfy_new: sized(inertial, nx * (ny + 1)),
            scale: sized(inertial, cells),
            rows: vec![RowSums::default(); ny],
            maxima: Maxima::new(cells),
            ledger: MassLedger::new(state.volume_m3(&grid)),
            state,
            t_s: 0.0,
            max_rate: 0.0,
            steps: 0,
            pool,
            grid,
            cfg,
        };
        if inertial {
            backend.init_inertial_faces();
        }
        backend.install(|b| {
            b.max_rate = b.initial_rate();
            b.track(0.0);
        });
        Ok(backend)
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
    pub fn state(&self) -> &State<R> {
        &self.state
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
        let s = &self.state;
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

    fn init_inertial_faces(&mut self) {
        let (nx, ny) = (self.grid.nx, self.grid.ny);
        let s = &self.state;
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
        match self.cfg.scheme {
            Scheme::Fv1 => self.step_fv1(dt_s),
            Scheme::Fv2 => self.step_fv2(dt_s),
            Scheme::Inertial => self.step_inertial(dt_s),
        }
        std::mem::swap(&mut self.state, &mut self.next);
        // Fold the per-row reductions in a fixed order.
        let mut rate = 0.0f64;
        let mut depth_sum = 0.0;
        let mut correction = 0.0;
        let mut bad = None;
        for r in &self.rows {
            rate = rate.max(r.max_rate);
            depth_sum += r.depth_sum;
            correction += r.correction_depth;
            bad = bad.or(r.bad_cell);
        }
        if let Some(k) = bad {
            return Err(CoreError::Unstable {
                time_s: t_new_s,
                detail: format!(
                    "non-finite depth at cell ({}, {}) after step {} (dt = {dt_s:.3e} s)",
                    k % self.grid.nx,
                    k / self.grid.nx,
                    self.steps + 1
                ),
            });
        }
        let area = self.grid.cell_area_m2();
        self.max_rate = rate;
        self.ledger.volume_m3 = depth_sum * area;
        self.ledger.positivity_correction_m3 += correction * area;
        self.track(t_new_s);
        Ok(())
    }

    fn track(&mut self, t_s: f64) {
        let (h_dry, thr, t) = (self.p.h_dry, R::c(self.cfg.arrival_depth_m), R::c(t_s));
        let s = &self.state;
        let m = &mut self.maxima;
        m.depth_m
            .par_iter_mut()
            .zip(m.speed_m_s.par_iter_mut())
            .zip(m.hazard_m2_s.par_iter_mut())
            .zip(m.arrival_s.par_iter_mut())
            .enumerate()
            .with_min_len(4096)
            .for_each(|(k, (((d, v), z), a))| {
                maxima::track(s.h[k], s.qx[k], s.qy[k], t, thr, h_dry, (d, v, z, a));
            });
    }

    /// Adds the flow through the domain edges over `dt_s` (weighted, for Runge–Kutta stages).
    fn book_boundary_fv(&mut self, dt_s: f64, weight: f64) {
        let (nx, ny) = (self.grid.nx, self.grid.ny);
        let mut into = 0.0f64; // m^2/s * length: positive = into the domain
        let mut book = |q_in_per_m: f64, len: f64| {
            if q_in_per_m >= 0.0 {
                into += q_in_per_m * len;
            } else {
                self.ledger.boundary_outflow_m3 += -q_in_per_m * len * dt_s * weight;
            }
        };
        let (dx, dy) = (self.grid.dx_m, self.grid.dy_m);
        for j in 0..ny {
            book(self.fx[j * (nx + 1)].mass.f64(), dy);
            book(-self.fx[j * (nx + 1) + nx].mass.f64(), dy);
        }
        for i in 0..nx {
            book(self.fy[i].mass.f64(), dx);
            book(-self.fy[ny * nx + i].mass.f64(), dx);
        }
        self.ledger.boundary_inflow_m3 += into * dt_s * weight;
    }

    fn fv_faces<const SECOND: bool>(&mut self, from_stage: bool) {
        let p = self.p;
        let nx = self.grid.nx;
        let src = if from_stage { &self.stage } else { &self.state };
        let view = View {
            nx,
            ny: self.grid.ny,
            h: &src.h,
            qx: &src.qx,
            qy: &src.qy,
            z: &self.z,
            active: &self.active,
            bc: self.cfg.boundaries,
        };
        let view = &view;
        self.fx
            .par_chunks_mut(nx + 1)
            .enumerate()
            .for_each(|(j, row)| {
                for (a, f) in row.iter_mut().enumerate() {
                    *f = if SECOND {
                        view.quad::<false>(a, j)
                            .map(|[ll, l, r, rr]| fv2::face_flux(ll, l, r, rr, p))
                    } else {
                        view.pair::<false>(a, j)
                            .map(|(l, r)| fv1::face_flux(l, r, p))
                    }
                    .unwrap_or_default();
                }
            });
        self.fy.par_chunks_mut(nx).enumerate().for_each(|(a, row)| {
            for (i, f) in row.iter_mut().enumerate() {
                *f = if SECOND {
                    view.quad::<true>(a, i)
                        .map(|[ll, l, r, rr]| fv2::face_flux(ll, l, r, rr, p))
                } else {
                    view.pair::<true>(a, i)
                        .map(|(l, r)| fv1::face_flux(l, r, p))
                }
                .unwrap_or_default();
            }
        });
    }

    /// The finite-volume cell update from the face fluxes of `src` (the state, or the fv2 stage).
    /// `combine` = fv2's final stage (average with the state at the start of the step);
    /// `finish` = last stage of the step (friction, CFL rate).
    fn fv_cells<const SECOND: bool>(
        &mut self,
        dt_s: f64,
        src_is_stage: bool,
        combine: bool,
        finish: bool,
    ) {
        let nx = self.grid.nx;
        let p = self.p;
        let rx = R::c(dt_s / self.grid.dx_m);
        let ry = R::c(dt_s / self.grid.dy_m);
        let inv_dx = R::c(1.0 / self.grid.dx_m);
        let inv_dy = R::c(1.0 / self.grid.dy_m);
        let dt = R::c(dt_s);
        let half = R::c(0.5);
        let friction_on = finish && self.any_friction;
        let (src, base, out) = if src_is_stage {
            (&self.stage, &self.state, &mut self.next)
        } else if SECOND {
            // fv2 first stage writes the stage buffer
            (&self.state, &self.state, &mut self.stage)
        } else {
            (&self.state, &self.state, &mut self.next)
        };
        let view = View {
            nx,
            ny: self.grid.ny,
            h: &src.h,
            qx: &src.qx,
            qy: &src.qy,
            z: &self.z,
            active: &self.active,
            bc: self.cfg.boundaries,
        };
        let (view, fx, fy, active, g_n2) = (&view, &self.fx, &self.fy, &self.active, &self.g_n2);
        out.h
            .par_chunks_mut(nx)
            .zip(out.qx.par_chunks_mut(nx))
            .zip(out.qy.par_chunks_mut(nx))
            .zip(self.rows.par_iter_mut())
            .enumerate()
            .for_each(|(j, (((oh, oqx), oqy), sums))| {
                let mut rs = RowSums::default();
                for i in 0..nx {
                    let k = j * nx + i;
                    if !active[k] {
                        oh[i] = R::zero();
                        oqx[i] = R::zero();
                        oqy[i] = R::zero();
                        continue;
                    }
                    let w = fx[j * (nx + 1) + i];
                    let e = fx[j * (nx + 1) + i + 1];
                    let s = fy[j * nx + i];
                    let n = fy[(j + 1) * nx + i];
                    let (sx, sy) = if SECOND {
                        match (view.triple::<false>(i, j), view.triple::<true>(j, i)) {
                            (Some([a, c, b]), Some([a2, c2, b2])) => (
                                fv2::bed_source(c.h, fv2::slopes(a, c, b, p), p.g),
                                fv2::bed_source(c2.h, fv2::slopes(a2, c2, b2, p), p.g),
                            ),
                            _ => (R::zero(), R::zero()),
                        }
                    } else {
                        (R::zero(), R::zero())
                    };
                    let (mut h, mut qx, mut qy) = numerics::update_cell(
                        src.h[k], src.qx[k], src.qy[k], w, e, s, n, rx, ry, sx, sy,
                    );
                    if combine {
                        h = half * (base.h[k] + h);
                        qx = half * (base.qx[k] + qx);
                        qy = half * (base.qy[k] + qy);
                    }
                    if !h.is_finite() {
                        rs.bad_cell = rs.bad_cell.or(Some(k));
                    }
                    if h < R::zero() {
                        rs.correction_depth -= h.f64();
                        h = R::zero();
                    }
                    if friction_on {
                        (qx, qy) = friction::apply_manning(h, qx, qy, g_n2[k], dt, p.h_dry);
                    } else if h <= p.h_dry {
                        qx = R::zero();
                        qy = R::zero();
                    }
                    if finish {
                        let rate = cfl::fv_rate(h, qx, qy, inv_dx, inv_dy, p.g, p.h_dry);
                        rs.max_rate = rs.max_rate.max(rate.f64());
                    }
                    rs.depth_sum += h.f64();
                    oh[i] = h;
                    oqx[i] = qx;
                    oqy[i] = qy;
                }
                *sums = rs;
            });
    }

    fn step_fv1(&mut self, dt_s: f64) {
        self.fv_faces::<false>(false);
        self.book_boundary_fv(dt_s, 1.0);
        self.fv_cells::<false>(dt_s, false, false, true);
    }

    fn step_fv2(&mut self, dt_s: f64) {
        // Stage 1: U1 = U + dt L(U)
        self.fv_faces::<true>(false);
        self.book_boundary_fv(dt_s, 0.5);
        self.fv_cells::<true>(dt_s, false, false, false);
        // Positivity fixes of the first stage enter the result with weight 1/2.
        let c1: f64 = self.rows.iter().map(|r| r.correction_depth).sum();
        self.ledger.positivity_correction_m3 += 0.5 * c1 * self.grid.cell_area_m2();
        // Stage 2: U' = (U + U1 + dt L(U1)) / 2
        self.fv_faces::<true>(true);
        self.book_boundary_fv(dt_s, 0.5);
        self.fv_cells::<true>(dt_s, true, true, true);
    }

    fn step_inertial(&mut self, dt_s: f64) {
        let (nx, ny) = (self.grid.nx, self.grid.ny);
        let p = self.p;
        let dt = R::c(dt_s);
        let inv_dx = R::c(1.0 / self.grid.dx_m);
        let inv_dy = R::c(1.0 / self.grid.dy_m);
        let theta = R::c(self.cfg.theta);
        let bc = self.cfg.boundaries;
        let (h, z, active, g_n2) = (&self.state.h, &self.z, &self.active, &self.g_n2);
        let half = R::c(0.5);
        // 1. New face discharges.
        let qfx = &self.qfx;
        self.qfx_new
            .par_chunks_mut(nx + 1)
            .enumerate()
            .for_each(|(j, row)| {
                let old = &qfx[j * (nx + 1)..(j + 1) * (nx + 1)];
                for a in 1..nx {
                    let (kl, kr) = (j * nx + a - 1, j * nx + a);
                    row[a] = if active[kl] && active[kr] {
                        let f = inertial::FaceInput {
                            q: old[a],
                            q_behind: old[a - 1],
                            q_ahead: old[a + 1],
                            eta_l: h[kl] + z[kl],
                            eta_r: h[kr] + z[kr],
                            z_l: z[kl],
                            z_r: z[kr],
                            g_n2: half * (g_n2[kl] + g_n2[kr]),
                        };
                        inertial::face_discharge(f, dt, inv_dx, theta, p.g, p.h_dry)
                    } else {
                        R::zero()
                    };
                }
                // Edges: walls carry nothing; free outflow copies the neighbouring face,
                // outward only.
                let (k0, k1) = (j * nx, j * nx + nx - 1);
                row[0] = if bc.west == BoundaryKind::Free && active[k0] && nx > 1 {
                    row[1].min(R::zero())
                } else {
                    R::zero()
                };
                row[nx] = if bc.east == BoundaryKind::Free && active[k1] && nx > 1 {
                    row[nx - 1].max(R::zero())
                } else {
                    R::zero()
                };
            });
        let qfy = &self.qfy;
        self.qfy_new
            .par_chunks_mut(nx)
            .enumerate()
            .for_each(|(a, row)| {
                if a == 0 || a == ny {
                    row.iter_mut().for_each(|q| *q = R::zero());
                    return;
                }
                for (i, q) in row.iter_mut().enumerate() {
                    let (kl, kr) = ((a - 1) * nx + i, a * nx + i);
                    *q = if active[kl] && active[kr] {
                        let f = inertial::FaceInput {
                            q: qfy[a * nx + i],
                            q_behind: qfy[(a - 1) * nx + i],
                            q_ahead: qfy[(a + 1) * nx + i],
                            eta_l: h[kl] + z[kl],
                            eta_r: h[kr] + z[kr],
                            z_l: z[kl],
                            z_r: z[kr],
                            g_n2: half * (g_n2[kl] + g_n2[kr]),
                        };
                        inertial::face_discharge(f, dt, inv_dy, theta, p.g, p.h_dry)
                    } else {
                        R::zero()
                    };
                }
            });
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
        // 2. Outflow-limiting factor of each cell.
        let (qfx_new, qfy_new) = (&self.qfx_new, &self.qfy_new);
        self.scale
            .par_chunks_mut(nx)
            .enumerate()
            .for_each(|(j, row)| {
                for (i, s) in row.iter_mut().enumerate() {
                    let k = j * nx + i;
                    let (w, e) = (qfx_new[j * (nx + 1) + i], qfx_new[j * (nx + 1) + i + 1]);
                    let (so, no) = (qfy_new[j * nx + i], qfy_new[(j + 1) * nx + i]);
                    let zero = R::zero();
                    let out = dt
                        * ((e.max(zero) - w.min(zero)) * inv_dx
                            + (no.max(zero) - so.min(zero)) * inv_dy);
                    *s = inertial::outflow_scale(h[k], out);
                }
            });
        // 3. Scale each face by its upwind cell.
        let scale = &self.scale;
        self.qfx_new
            .par_chunks_mut(nx + 1)
            .enumerate()
            .for_each(|(j, row)| {
                for (a, q) in row.iter_mut().enumerate() {
                    if *q > R::zero() && a >= 1 {
                        *q = *q * scale[j * nx + a - 1];
                    } else if *q < R::zero() && a < nx {
                        *q = *q * scale[j * nx + a];
                    }
                }
            });
        self.qfy_new
            .par_chunks_mut(nx)
            .enumerate()
            .for_each(|(a, row)| {
                for (i, q) in row.iter_mut().enumerate() {
                    if *q > R::zero() && a >= 1 {
                        *q = *q * scale[(a - 1) * nx + i];
                    } else if *q < R::zero() && a < ny {
                        *q = *q * scale[a * nx + i];
                    }
                }
            });
        // Boundary flow, booked after limiting.
        {
            let (dx, dy) = (self.grid.dx_m, self.grid.dy_m);
            let mut into = 0.0f64;
            let mut out = 0.0f64;
            let mut book = |q_in: f64, len: f64| {
                if q_in >= 0.0 {
                    into += q_in * len;
                } else {
                    out -= q_in * len;
                }
            };
            for j in 0..ny {
                book(self.qfx_new[j * (nx + 1)].f64(), dy);
                book(-self.qfx_new[j * (nx + 1) + nx].f64(), dy);
            }
            for i in 0..nx {
                book(self.qfy_new[i].f64(), dx);
                book(-self.qfy_new[ny * nx + i].f64(), dx);
            }
            self.ledger.boundary_inflow_m3 += into * dt_s;
            self.ledger.boundary_outflow_m3 += out * dt_s;
        }
        // 4. Depth update, cell-centred discharges, CFL rate and volume.
        let inv_dmin = R::c(1.0 / self.grid.dx_m.min(self.grid.dy_m));
        let rx = R::c(dt_s / self.grid.dx_m);
        let ry = R::c(dt_s / self.grid.dy_m);
        let (qfx_new, qfy_new) = (&self.qfx_new, &self.qfy_new);
        let out = &mut self.next;
        out.h
            .par_chunks_mut(nx)
            .zip(out.qx.par_chunks_mut(nx))
            .zip(out.qy.par_chunks_mut(nx))
            .zip(self.rows.par_iter_mut())
            .enumerate()
            .for_each(|(j, (((oh, oqx), oqy), sums))| {
                let mut rs = RowSums::default();
                for i in 0..nx {
                    let k = j * nx + i;
                    if !active[k] {
                        oh[i] = R::zero();
                        oqx[i] = R::zero();
                        oqy[i] = R::zero();
                        continue;
                    }
                    let (w, e) = (qfx_new[j * (nx + 1) + i], qfx_new[j * (nx + 1) + i + 1]);
                    let (s, n) = (qfy_new[j * nx + i], qfy_new[(j + 1) * nx + i]);
                    let mut hk = h[k] + rx * (w - e) + ry * (s - n);
                    if !hk.is_finite() {
                        rs.bad_cell = rs.bad_cell.or(Some(k));
                    }
                    if hk < R::zero() {
                        rs.correction_depth -= hk.f64();
                        hk = R::zero();
                    }
                    oh[i] = hk;
                    oqx[i] = half * (w + e);
                    oqy[i] = half * (s + n);
                    rs.max_rate = rs
                        .max_rate
                        .max(cfl::inertial_rate(hk, inv_dmin, p.g, p.h_dry).f64());
                    rs.depth_sum += hk.f64();
                }
                *sums = rs;
            });
        std::mem::swap(&mut self.qfx, &mut self.qfx_new);
        std::mem::swap(&mut self.qfy, &mut self.qfy_new);
    }
}

impl<R: Real> Backend for CpuBackend<R> {
    type Real = R;

    fn describe(&self) -> String {
        format!(
            "cpu (rayon, {} threads, {}, {})",
            self.threads(),
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
            }
            Ok(())
        })
    }

    fn read_state(&mut self, out: &mut State<R>) -> Result<()> {
        out.h.clone_from(&self.state.h);
        out.qx.clone_from(&self.state.qx);
        out.qy.clone_from(&self.state.qy);
        Ok(())
    }

    fn read_maxima(&mut self, out: &mut Maxima<R>) -> Result<()> {
        out.clone_from(&self.maxima);
        Ok(())
    }

    fn ledger(&self) -> MassLedger {
        self.ledger
    }
}
