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

    /// Water at rest at a free-surface level: depth `max(0, level - bed)` on active cells
    /// ([`State::from_levels`] with one level everywhere).
    pub fn from_level(terrain: &mut Terrain, level_m: f64) -> Self {
        let levels = vec![level_m; terrain.bed_m.len()];
        Self::from_levels(terrain, &levels)
    }

    /// Water at rest at a free-surface level per cell: depth `max(0, level - bed)` on active
    /// cells (a NaN level is dry).
    ///
    /// In the working precision the depth is chosen (among the nearest representable values)
    /// so that `depth + bed` rounds to the level exactly. Where no depth does (in f32, about one
    /// wet cell in ten over an irregular bed near the datum), the bed itself is moved to the
    /// working-precision value `level - depth`: by at most half an ulp of the depth (6e-8 m at
    /// 1 m in f32, 1e-16 m in f64), far below any survey's precision. The surface is then level
    /// to the last bit, and the well-balanced schemes keep it exactly at rest instead of
    /// starting waves from one-ulp steps (which in f32 grow to several 1e-6 m/s).
    pub fn from_levels(terrain: &mut Terrain, level_m: &[f64]) -> Self {
        let h: Vec<R> = terrain
            .bed_m
            .iter_mut()
            .zip(&terrain.active)
            .zip(level_m)
            .map(|((bed, &a), &level_m)| {
                let z = *bed;
                if !a || level_m.is_nan() || level_m <= z {
                    return R::zero();
                }
                let (level, zr, h0) = (R::c(level_m), R::c(z), R::c(level_m - z));
                let sums_to = |h: R, zr: R| h > R::zero() && h + zr == level;
                if let Some(h) = [h0, h0.next_up(), h0.next_down()]
                    .into_iter()
                    .find(|&h| sums_to(h, zr))
                {
                    return h;
                }
                let moved = level - h0;
                if sums_to(h0, moved) {
                    *bed = moved.f64();
                }
                h0
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terrain::Manning;

    fn bumpy(grid: &Grid) -> Terrain {
        let bed = grid.map_centres(|x, y| {
            0.3 * (x / 3.0).sin() * (y / 4.0).cos() + 1.2 * (-(x - 12.0).powi(2) / 20.0).exp()
        });
        let active = (0..grid.cells()).map(|k| k % 7 != 3).collect();
        Terrain::with_mask(grid, bed, active, Manning::Uniform(0.03)).unwrap()
    }

    #[test]
    fn a_level_is_exact_in_the_working_precision() {
        let grid = Grid::new(30, 20, 1.0, 1.0).unwrap();
        let original = bumpy(&grid);
        let mut terrain = original.clone();
        let s = State::<f32>::from_level(&mut terrain, 1.0);
        let (mut wet, mut moved, mut largest) = (0, 0, 0.0f64);
        for k in 0..grid.cells() {
            let (z0, z) = (original.bed_m[k], terrain.bed_m[k]);
            if !original.active[k] || z0 >= 1.0 {
                assert_eq!(s.h[k], 0.0);
                assert_eq!(z, z0);
                continue;
            }
            wet += 1;
            assert_eq!(s.h[k] + z as f32, 1.0f32, "cell {k}");
            if z != z0 {
                assert_eq!(f64::from(z as f32), z, "a moved bed is an f32 value");
                moved += 1;
                largest = largest.max((z - z0).abs());
                // Half an ulp of the depth and the bed's own rounding to f32.
                let ulp = f64::from(s.h[k].next_up() - s.h[k]);
                assert!((z - z0).abs() <= 0.5 * ulp + (z0 - f64::from(z0 as f32)).abs() + 1e-12);
            }
        }
        assert!(wet > 400 && moved > 0 && moved < wet / 3, "{wet} {moved}");
        assert!(largest < 1e-7, "{largest}");
    }

    #[test]
    fn levels_per_cell_and_nan_is_dry() {
        let grid = Grid::new(30, 20, 1.0, 1.0).unwrap();
        let mut terrain = bumpy(&grid);
        let levels: Vec<f64> = (0..grid.cells())
            .map(|k| if k % 30 < 15 { 0.8 } else { f64::NAN })
            .collect();
        let s = State::<f64>::from_levels(&mut terrain, &levels);
        for k in 0..grid.cells() {
            if k % 30 >= 15 || !terrain.active[k] {
                assert_eq!(s.h[k], 0.0);
            } else if terrain.bed_m[k] < 0.8 {
                assert_eq!(s.h[k] + terrain.bed_m[k], 0.8);
            }
        }
    }
}
