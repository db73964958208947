//! The local inertial step (Bates, Horritt & Fewtrell 2010, with the theta weighting of
//! de Almeida, Bates, Freer & Souvaliotis 2012; the pointwise update is
//! `numerics::inertial`): discharges live on faces, depths on cells.
//!
//! 1. New discharge through every face: interior faces by the row kernels, walls and faces next
//!    to inactive cells set to zero, then the domain edges (`boundary`) and the segments.
//! 2. The outflow-limiting factor of each cell, so that no cell gives more water than it holds.
//! 3. Each face scaled by its upwind cell (conservative: each face is scaled once); the flow
//!    through the edges and the tracked faces is booked after limiting.
//! 4. The fused depth update: cell-centred discharges, velocities, CFL rate, maxima, volume.

use rayon::prelude::*;

use super::buffers::par_cell_rows;
use super::reduce::fold_row;
use super::{CpuBackend, rows};
use crate::real::Real;

impl<R: Real> CpuBackend<R> {
    pub(super) fn step_inertial(&mut self, dt_s: f64, t_new_s: f64) {
        let dt = R::c(dt_s);
        let theta = R::c(self.cfg.theta);
        // 1. New face discharges: every interior face, then the faces at walls and edges.
        self.inertial_faces(dt, theta);
        self.inertial_edges(dt, theta);
        if !self.segments.is_empty() {
            self.apply_segments_inertial(dt, theta);
        }
        // 2. and 3. Outflow limiting.
        self.inertial_limit(dt);
        // Boundary flow, booked after limiting.
        self.book_boundary(dt_s, 1.0);
        // 4. Depth update, cell-centred discharges and velocities, CFL rate, maxima, volume.
        self.inertial_cells(dt_s, t_new_s);
        std::mem::swap(&mut self.qfx, &mut self.qfx_new);
        std::mem::swap(&mut self.qfy, &mut self.qfy_new);
    }

    /// Initial face discharges: the mean of the two cells' discharges on faces between active
    /// cells, zero elsewhere.
    pub(super) fn init_inertial_faces(&mut self) {
        let (nx, ny) = (self.grid.nx, self.grid.ny);
        let s = &self.cur;
        // x faces of each row, then y faces of each column: face `a` of a line lies between its
        // cells a-1 and a.
        for y in [false, true] {
            let (q, faces, lines, n) = if y {
                (&s.qy, &mut self.qfy, nx, ny)
            } else {
                (&s.qx, &mut self.qfx, ny, nx)
            };
            let cell = |line: usize, i: usize| if y { i * nx + line } else { line * nx + i };
            let face = |line: usize, a: usize| {
                if y {
                    a * nx + line
                } else {
                    line * (nx + 1) + a
                }
            };
            for line in 0..lines {
                for a in 1..n {
                    let (kl, kr) = (cell(line, a - 1), cell(line, a));
                    if self.active[kl] && self.active[kr] {
                        faces[face(line, a)] = R::c(0.5) * (q[kl] + q[kr]);
                    }
                }
            }
        }
    }

    /// Step 1: the new discharge through every interior face (row kernels); faces on walls, on
    /// the domain edge and next to inactive cells are zero.
    fn inertial_faces(&mut self, dt: R, theta: R) {
        let (nx, ny) = (self.grid.nx, self.grid.ny);
        let p = self.p;
        let inv_dx = R::c(1.0 / self.grid.dx_m);
        let inv_dy = R::c(1.0 / self.grid.dy_m);
        let (h, z, g_n2) = (&self.cur.h, &self.z, &self.g_n2);
        let (fx_fix, fy_fix) = (&self.fx_fix, &self.fy_fix);
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
    }

    /// Steps 2 and 3: the outflow-limiting factor of each cell, then each interior face scaled
    /// by its upwind cell; the edge faces by `limit_inertial_edges`.
    fn inertial_limit(&mut self, dt: R) {
        let (nx, ny) = (self.grid.nx, self.grid.ny);
        let inv_dx = R::c(1.0 / self.grid.dx_m);
        let inv_dy = R::c(1.0 / self.grid.dy_m);
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
        let scale = &self.scale;
        self.qfx_new
            .par_chunks_mut(nx + 1)
            .enumerate()
            .for_each(|(j, row)| {
                if nx > 1 {
                    let sc = &scale[j * nx..(j + 1) * nx];
                    rows::inertial_apply_scale(&mut row[1..nx], &sc[..nx - 1], &sc[1..]);
                }
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
                }
            });
        self.limit_inertial_edges();
    }

    /// Step 4: the depth update from the limited face discharges, with the cell-centred
    /// discharges, velocities, CFL rate, maxima and the per-row volume.
    fn inertial_cells(&mut self, dt_s: f64, t_new_s: f64) {
        let nx = self.grid.nx;
        let consts = self.cell_consts(dt_s, t_new_s);
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
    }
}
