//! The conserved unknowns: depth `h` and unit discharges `qx = h u`, `qy = h v`, cell-centred,
//! as a structure of arrays.

use crate::error::{CoreError, Result};
use crate::grid::Grid;
use crate::real::Real;
use crate::terrain::Terrain;

/// Water on the grid at one time.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct State<R> {
    /// Depth, metres.
    pub h: Vec<R>,
    /// Unit discharge along x (east), m^2/s.
    pub qx: Vec<R>,
    /// Unit discharge along y (north), m^2/s.
    pub qy: Vec<R>,
}

impl<R: Real> State<R> {
    /// Dry everywhere.
    pub fn dry(cells: usize) -> Self {
        Self {
            h: vec![R::zero(); cells],
            qx: vec![R::zero(); cells],
            qy: vec![R::zero(); cells],
        }
    }

    /// Water at rest from depths in metres.
    pub fn from_depth(depth_m: &[f64]) -> Self {
        let n = depth_m.len();
        Self {
            h: depth_m.iter().map(|&d| R::c(d)).collect(),
            qx: vec![R::zero(); n],
            qy: vec![R::zero(); n],
        }
    }

    /// Water at rest at a free-surface level: depth `max(0, level - bed)` on active cells.
    ///
    /// In the working precision the depth is chosen (among the nearest representable values)
    /// so that `depth + bed` rounds to the level exactly wherever that is possible: the surface
    /// is then level to the last bit, and the well-balanced schemes keep it at rest exactly
    /// instead of starting waves from one-ulp ripples (which in f32 reach 1e-6 m/s).
    pub fn from_level(terrain: &Terrain, level_m: f64) -> Self {
        let level = R::c(level_m);
        let h: Vec<R> = terrain
            .bed_m
            .iter()
            .zip(&terrain.active)
            .map(|(&z, &a)| {
                if !a || level_m <= z {
                    return R::zero();
                }
                let (zr, h0) = (R::c(z), R::c(level_m - z));
                [h0, h0.next_up(), h0.next_down()]
                    .into_iter()
                    .find(|&h| h > R::zero() && h + zr == level)
                    .unwrap_or(h0)
            })
            .collect();
        let n = h.len();
        Self {
            h,
            qx: vec![R::zero(); n],
            qy: vec![R::zero(); n],
        }
    }

    pub fn cells(&self) -> usize {
        self.h.len()
    }

    /// Converts to another precision.
    pub fn cast<S: Real>(&self) -> State<S> {
        let cv = |v: &Vec<R>| v.iter().map(|&x| S::c(x.f64())).collect();
        State {
            h: cv(&self.h),
            qx: cv(&self.qx),
            qy: cv(&self.qy),
        }
    }

    /// Checks sizes and values against the grid: finite values, non-negative depth.
    pub fn validate(&self, grid: &Grid) -> Result<()> {
        for (what, len) in [
            ("depth", self.h.len()),
            ("discharge qx", self.qx.len()),
            ("discharge qy", self.qy.len()),
        ] {
            if len != grid.cells() {
                return Err(CoreError::SizeMismatch {
                    what,
                    got: len,
                    nx: grid.nx,
                    ny: grid.ny,
                    cells: grid.cells(),
                });
            }
        }
        for k in 0..grid.cells() {
            let (h, qx, qy) = (self.h[k], self.qx[k], self.qy[k]);
            let bad = !(h.is_finite() && qx.is_finite() && qy.is_finite()) || h < R::zero();
            if bad {
                return Err(CoreError::Invalid {
                    what: "initial state",
                    detail: format!(
                        "cell ({}, {}) has h = {h}, qx = {qx}, qy = {qy}",
                        k % grid.nx,
                        k / grid.nx
                    ),
                    expected: "finite values and a non-negative depth",
                });
            }
        }
        Ok(())
    }

    /// Total water volume (m^3), summed in `f64` in a fixed order.
    pub fn volume_m3(&self, grid: &Grid) -> f64 {
        self.h.iter().map(|&h| h.f64()).sum::<f64>() * grid.cell_area_m2()
    }
}
