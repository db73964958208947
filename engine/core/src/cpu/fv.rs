//! The finite-volume schemes' step: `fv1`, first-order Godunov (hydrostatic reconstruction of
//! Audusse et al. 2004, HLLC flux of Toro 2001), and `fv2`, MUSCL with minmod-limited slopes
//! (van Leer 1979) and Audusse et al.'s second-order bed source, stepped by Heun's SSP-RK2
//! (Shu & Osher 1988): `U1 = U + dt L(U)`, `U' = (U + U1 + dt L(U1)) / 2`. The pointwise
//! numerics are `numerics::{fv1, fv2}`.
//!
//! Each stage: (fv2) slopes of every cell, fluxes through every x face then every y face (fast
//! path per row, then the general path at the positions of `fixups`), the segments' faces,
//! positivity limiting (`fv_limit`), booking of the edge flows, and the fused cell update.

use std::ops::Range;

use rayon::prelude::*;

use super::buffers::{FaceArrays, FaceRow, Fields, SlopeArrays, SlopeRow, par_cell_rows};
use super::fixups::Fixups;
use super::reduce::fold_row;
use super::view::View;
use super::{CpuBackend, rows};
use crate::config::SolverConfig;
use crate::grid::Grid;
use crate::numerics::{Params, fv1, fv2};
use crate::real::Real;

impl<R: Real> CpuBackend<R> {
    pub(super) fn step_fv1(&mut self, dt_s: f64, t_new_s: f64) {
        self.fv_faces::<false>(false);
        self.apply_segments_fv(false);
        self.fv_limit(dt_s, false);
        self.book_boundary(dt_s, 1.0);
        self.fv_cells::<false, true>(dt_s, t_new_s);
    }

    pub(super) fn step_fv2(&mut self, dt_s: f64, t_new_s: f64) {
        // Stage 1: U1 = U + dt L(U)
        self.fv2_slopes(false);
        self.fv_faces::<true>(false);
        self.apply_segments_fv(false);
        self.fv_limit(dt_s, false);
        self.book_boundary(dt_s, 0.5);
        self.fv_cells::<true, false>(dt_s, t_new_s);
        // Positivity fixes of the first stage enter the result with weight 1/2.
        let c1: f64 = self.rows.iter().map(|r| r.correction_depth).sum();
        self.ledger.positivity_correction_m3 += 0.5 * c1 * self.grid.cell_area_m2();
        // Stage 2: U' = (U + U1 + dt L(U1)) / 2
        self.fv2_slopes(true);
        self.fv_faces::<true>(true);
        self.apply_segments_fv(true);
        self.fv_limit(dt_s, true);
        self.book_boundary(dt_s, 0.5);
        self.fv_cells::<true, true>(dt_s, t_new_s);
    }

    /// fv2: limited slopes of every cell of the state (`from_stage = false`) or of the stage,
    /// along x and y, row by row.
    fn fv2_slopes(&mut self, from_stage: bool) {
        let nx = self.grid.nx;
        let src = if from_stage { &self.stage } else { &self.cur };
        let input = Input::new(src, &self.z, &self.active, &self.grid, &self.cfg, self.p);
        let (input, sx_fix, sy_fix) = (&input, &self.sx_fix, &self.sy_fix);
        self.sx
            .par_rows(nx)
            .zip(self.sy.par_rows(nx))
            .enumerate()
            .for_each(|(j, (sx, sy))| {
                slopes_row::<R, false>(input, j, sx, sx_fix);
                slopes_row::<R, true>(input, j, sy, sy_fix);
            });
    }

    /// Fluxes through every face, from the state or (fv2 second stage) the stage: the x faces,
    /// then the y faces.
    fn fv_faces<const SECOND: bool>(&mut self, from_stage: bool) {
        let src = if from_stage { &self.stage } else { &self.cur };
        let input = Input::new(src, &self.z, &self.active, &self.grid, &self.cfg, self.p);
        faces::<R, false, SECOND>(&input, &self.sx, &self.fx_fix, &mut self.fx);
        faces::<R, true, SECOND>(&input, &self.sy, &self.fy_fix, &mut self.fy);
    }

    /// The finite-volume cell update from the face fluxes of the state (or the fv2 stage).
    /// `SECOND`: add the fv2 bed sources. `FINISH`: last stage of the step (fv1, or fv2's second
    /// stage, which also averages with the state at the start of the step): friction, CFL rate
    /// and maxima.
    fn fv_cells<const SECOND: bool, const FINISH: bool>(&mut self, dt_s: f64, t_new_s: f64) {
        let nx = self.grid.nx;
        let consts = self.cell_consts(dt_s, t_new_s);
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
}

/// What the slope and flux passes read: one state buffer (the state or the fv2 stage) with the
/// bed, as lines for the fast path and as a [`View`] for the general path.
struct Input<'a, R> {
    src: &'a Fields<R>,
    z: &'a [R],
    view: View<'a, R>,
    p: Params<R>,
}

impl<'a, R: Real> Input<'a, R> {
    fn new(
        src: &'a Fields<R>,
        z: &'a [R],
        active: &'a [bool],
        grid: &Grid,
        cfg: &SolverConfig,
        p: Params<R>,
    ) -> Self {
        let view = View {
            nx: grid.nx,
            ny: grid.ny,
            h: &src.h,
            qx: &src.qx,
            qy: &src.qy,
            z,
            active,
            bc: cfg.boundaries,
            dx: R::c(grid.dx_m),
            dy: R::c(grid.dy_m),
            h_dry: p.h_dry,
        };
        Self { src, z, view, p }
    }

    /// Cells `r` as a line of x faces (`Y = false`: normal velocity `u`) or of y faces (`v`).
    #[inline]
    fn line<const Y: bool>(&self, r: Range<usize>) -> rows::Line<'a, R> {
        let (un, ut) = if Y {
            (&self.src.v, &self.src.u)
        } else {
            (&self.src.u, &self.src.v)
        };
        rows::Line {
            h: &self.src.h[r.clone()],
            un: &un[r.clone()],
            ut: &ut[r.clone()],
            z: &self.z[r],
        }
    }
}

/// fv2: the slopes along x (`Y = false`) or y of the cells of row `j`: the cells whose stencil
/// lies inside the grid by the row kernel, then the general path's cells with ghost cells.
fn slopes_row<R: Real, const Y: bool>(
    input: &Input<'_, R>,
    j: usize,
    mut out: SlopeRow<'_, R>,
    fix: &Fixups,
) {
    let (nx, ny) = (input.view.nx, input.view.ny);
    let (p, view, row) = (input.p, &input.view, j * nx);
    // The stencils (behind, centre, ahead) of the row's inner cells, and where those cells are.
    let inner = if Y {
        (j >= 1 && j + 1 < ny)
            .then(|| (row - nx..row, row..row + nx, row + nx..row + 2 * nx, 0..nx))
    } else {
        (nx > 2).then(|| {
            (
                row..row + nx - 2,
                row + 1..row + nx - 1,
                row + 2..row + nx,
                1..nx - 1,
            )
        })
    };
    if let Some((behind, centre, ahead, cells)) = inner {
        rows::fv2_slopes(
            input.line::<Y>(behind),
            input.line::<Y>(centre),
            input.line::<Y>(ahead),
            SlopeRow {
                dh: &mut out.dh[cells.clone()],
                deta: &mut out.deta[cells.clone()],
                du: &mut out.du[cells.clone()],
                dv: &mut out.dv[cells],
            },
            p.h_dry,
        );
    }
    for &i in fix.row(j) {
        let i = i as usize;
        // Along x, cell i of row j; along y, cell j of column i.
        let (pos, line) = if Y { (j, i) } else { (i, j) };
        if let Some([a, c, b]) = view.triple::<Y>(pos, line) {
            out.set(i, fv2::slopes(a, c, b, p));
        }
    }
}

/// Fluxes through the x faces (`Y = false`), row by row, or the y faces, face row by face row
/// (row `a` between cell rows a-1 and a): the interior faces by the row kernel, then the
/// general path's faces (edges, next to inactive cells) with ghost cells.
fn faces<R: Real, const Y: bool, const SECOND: bool>(
    input: &Input<'_, R>,
    slopes: &SlopeArrays<R>,
    fix: &Fixups,
    out: &mut FaceArrays<R>,
) {
    let (nx, ny) = (input.view.nx, input.view.ny);
    let (p, view) = (input.p, &input.view);
    let slope_line = |r| SlopeArrays::line(slopes, r, SECOND);
    let width = if Y { nx } else { nx + 1 };
    out.par_rows(width).enumerate().for_each(|(row, mut out)| {
        // The cells behind and ahead of the row's interior faces, and where those faces are.
        let interior = if Y {
            (row >= 1 && row < ny)
                .then(|| ((row - 1) * nx..row * nx, row * nx..(row + 1) * nx, 0..nx))
        } else {
            let c = row * nx;
            (nx > 1).then(|| (c..c + nx - 1, c + 1..c + nx, 1..nx))
        };
        if let Some((behind, ahead, f)) = interior {
            let dst = FaceRow {
                mass: &mut out.mass[f.clone()],
                mom_l: &mut out.mom_l[f.clone()],
                mom_r: &mut out.mom_r[f.clone()],
                tan: &mut out.tan[f],
            };
            if SECOND {
                rows::fv2_faces(
                    input.line::<Y>(behind.clone()),
                    slope_line(behind),
                    input.line::<Y>(ahead.clone()),
                    slope_line(ahead),
                    dst,
                    p,
                );
            } else {
                rows::fv1_faces(input.line::<Y>(behind), input.line::<Y>(ahead), dst, p);
            }
        }
        for &k in fix.row(row) {
            let k = k as usize;
            // Along x, face k of row `row`; along y, face `row` of column k.
            let (a, line) = if Y { (row, k) } else { (k, row) };
            let flux = if SECOND {
                view.quad::<Y>(a, line)
                    .map(|[ll, l, r, rr]| fv2::face_flux(ll, l, r, rr, p))
            } else {
                view.pair::<Y>(a, line)
                    .map(|(l, r)| fv1::face_flux(l, r, p))
            };
            out.set(k, flux.unwrap_or_default());
        }
    });
}
