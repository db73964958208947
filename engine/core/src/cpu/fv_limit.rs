//! Positivity of the finite-volume update: a cell whose fluxes would take out more water than
//! it holds has its outgoing faces scaled down to exactly its content, each face by its upwind
//! cell, so the scaling is conservative. The factor is the inertial scheme's outflow limiter
//! (`numerics::inertial::outflow_scale`, through the row kernel `rows::inertial_scale`) applied
//! to the mass fluxes; the momentum fluxes are scaled alike. Under the CFL bound of Audusse et
//! al. (2004) this only happens at drying fronts and for thin sheets (rain on slopes), so the
//! faces are rescaled only in rows where some cell needed it.

use rayon::prelude::*;

use super::buffers::FaceRow;
use super::{CpuBackend, rows};
use crate::real::Real;

impl<R: Real> CpuBackend<R> {
    /// Positivity of the finite-volume update: a cell whose fluxes would take out more water
    /// than it holds has its outgoing faces scaled down to exactly its content (each face by its
    /// upwind cell, so the scaling is conservative). With the CFL condition this only happens at
    /// drying fronts and for thin sheets (rain on slopes); everywhere else the pass changes
    /// nothing and the second half is skipped.
    pub(super) fn fv_limit(&mut self, dt_s: f64, from_stage: bool) {
        if self.fv_limit_scales(dt_s, from_stage) {
            self.fv_limit_faces();
        }
    }

    /// The outflow-limiting factor of every cell, and which rows have one below 1; whether any
    /// does.
    fn fv_limit_scales(&mut self, dt_s: f64, from_stage: bool) -> bool {
        let nx = self.grid.nx;
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
        self.row_limited.iter().any(|&l| l)
    }

    /// Scales each face of the limited rows by its upwind cell's factor.
    fn fv_limit_faces(&mut self) {
        let (nx, ny) = (self.grid.nx, self.grid.ny);
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
}
