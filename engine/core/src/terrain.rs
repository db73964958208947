//! Bed elevation, the domain mask and Manning's roughness.

use crate::error::{CoreError, Result};
use crate::grid::Grid;

/// Manning's roughness coefficient n (s m^-1/3).
#[derive(Debug, Clone, PartialEq)]
pub enum Manning {
    Uniform(f64),
    PerCell(Vec<f64>),
}

/// What the water flows over.
#[derive(Debug, Clone, PartialEq)]
pub struct Terrain {
    /// Bed elevation of each cell, metres; ignored (may be NaN) where the cell is inactive.
    pub bed_m: Vec<f64>,
    /// `true` for cells inside the domain; inactive cells act as walls.
    pub active: Vec<bool>,
    pub manning: Manning,
}

impl Terrain {
    /// A fully active terrain with uniform roughness.
    pub fn new(grid: &Grid, bed_m: Vec<f64>, manning_n: f64) -> Result<Self> {
        let active = vec![true; grid.cells()];
        Self::with_mask(grid, bed_m, active, Manning::Uniform(manning_n))
    }

    /// A terrain with a mask and any roughness; validated against the grid.
    pub fn with_mask(
        grid: &Grid,
        bed_m: Vec<f64>,
        active: Vec<bool>,
        manning: Manning,
    ) -> Result<Self> {
        let cells = grid.cells();
        check_len("bed elevation", bed_m.len(), grid)?;
        check_len("domain mask", active.len(), grid)?;
        if let Some(k) = (0..cells).find(|&k| active[k] && !bed_m[k].is_finite()) {
            return Err(CoreError::Invalid {
                what: "bed elevation",
                detail: format!(
                    "cell ({}, {}) is inside the domain but its elevation is {}",
                    k % grid.nx,
                    k / grid.nx,
                    bed_m[k]
                ),
                expected: "finite elevations on every active cell (mask nodata cells out)",
            });
        }
        if !active.iter().any(|&a| a) {
            return Err(CoreError::Invalid {
                what: "domain mask",
                detail: "no active cell".into(),
                expected: "at least one cell inside the domain",
            });
        }
        match &manning {
            Manning::Uniform(n) => check_manning(*n, None)?,
            Manning::PerCell(v) => {
                check_len("Manning raster", v.len(), grid)?;
                for (k, &n) in v.iter().enumerate() {
                    if active[k] {
                        check_manning(n, Some((k % grid.nx, k / grid.nx)))?;
                    }
                }
            }
        }
        Ok(Self {
            bed_m,
            active,
            manning,
        })
    }

    /// Manning's n of cell `k`.
    pub fn manning_at(&self, k: usize) -> f64 {
        match &self.manning {
            Manning::Uniform(n) => *n,
            Manning::PerCell(v) => v[k],
        }
    }
}

fn check_len(what: &'static str, got: usize, grid: &Grid) -> Result<()> {
    if got != grid.cells() {
        return Err(CoreError::SizeMismatch {
            what,
            got,
            nx: grid.nx,
            ny: grid.ny,
            cells: grid.cells(),
        });
    }
    Ok(())
}

fn check_manning(n: f64, cell: Option<(usize, usize)>) -> Result<()> {
    if n.is_finite() && (0.0..=1.0).contains(&n) {
        return Ok(());
    }
    let detail = match cell {
        Some((i, j)) => format!("n = {n} at cell ({i}, {j})"),
        None => format!("n = {n}"),
    };
    Err(CoreError::Invalid {
        what: "Manning's n",
        detail,
        expected: "a value in [0, 1] s/m^(1/3) (typical 0.01-0.15)",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_sizes_nan_and_roughness() {
        let g = Grid::new(2, 2, 1.0, 1.0).unwrap();
        assert!(Terrain::new(&g, vec![0.0; 3], 0.03).is_err());
        assert!(Terrain::new(&g, vec![0.0, f64::NAN, 0.0, 0.0], 0.03).is_err());
        assert!(Terrain::new(&g, vec![0.0; 4], -0.1).is_err());
        let masked = Terrain::with_mask(
            &g,
            vec![0.0, f64::NAN, 0.0, 0.0],
            vec![true, false, true, true],
            Manning::PerCell(vec![0.03, f64::NAN, 0.05, 0.0]),
        );
        assert!(
            masked.is_ok(),
            "NaN on inactive cells is nodata, not an error"
        );
        assert!(
            Terrain::with_mask(&g, vec![0.0; 4], vec![false; 4], Manning::Uniform(0.0)).is_err()
        );
    }
}
