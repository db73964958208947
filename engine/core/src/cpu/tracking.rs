//! Tracked faces: the volume of water through groups of faces (cross-sections), accumulated
//! every step from the fluxes the update used (fv: the mass fluxes, after positivity limiting
//! and the segments; inertial: the new face discharges, after limiting).

use super::CpuBackend;
use crate::config::Scheme;
use crate::error::{CoreError, Result};
use crate::real::Real;

impl<R: Real> CpuBackend<R> {
    /// Accumulates, every step, the volume of water through a group of faces (a cross-section):
    /// `(y_face, index, signed_length_m)` with `index` into the x faces (`(nx + 1) * ny`, face
    /// `a` of row `j` at `j * (nx + 1) + a`) or the y faces (`nx * (ny + 1)`), and the sign
    /// saying which way counts as positive. Returns the tracker's number for
    /// [`crate::backend::Backend::tracked_volumes_m3`].
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
    pub(super) fn book_trackers(&mut self, dt_s: f64, weight: f64) {
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
}
