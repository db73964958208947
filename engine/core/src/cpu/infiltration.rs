//! Infiltration: after the update, each active cell loses `min(potential, depth)` of its water
//! to the ground, the potential from the cell's model in `numerics::infiltration` (constant
//! rate; Horton 1940; Green & Ampt 1911; SCS curve number, USDA-NRCS 1986, TR-55, which reads
//! the cell's cumulative rain). The discharge is scaled with the depth, so the velocity, and
//! with it the CFL rate the update found, does not change.

use rayon::prelude::*;

use super::CpuBackend;
use crate::real::Real;

impl<R: Real> CpuBackend<R> {
    /// Cumulative infiltration per cell (m); empty without an infiltration model.
    pub fn infiltrated_m(&self) -> &[f64] {
        &self.infiltrated
    }

    /// Takes this step's infiltration out of every active cell: `min(potential, depth)`, with
    /// the discharge scaled with the depth (the velocity does not change, so the CFL rate found
    /// by the update stays a safe bound). Returns the volume taken (m^3).
    pub(super) fn apply_infiltration(&mut self, t0: f64, t1: f64) -> f64 {
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
                                / crate::forcing::MM_H_PER_M_S;
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
}
