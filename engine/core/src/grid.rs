//! The uniform raster the solver works on.
//!
//! Cells are indexed `(i, j)` with `i` growing east and `j` growing **north**, stored row by row:
//! `index = j * nx + i`. Row 0 is the southern edge. Readers of north-up rasters (GeoTIFF) flip
//! the rows when they build a [`Grid`]. Cell `(i, j)` covers
//! `[x_west_m + i dx, x_west_m + (i+1) dx] x [y_south_m + j dy, y_south_m + (j+1) dy]`.

use crate::error::{CoreError, Result};

/// A side of the rectangular domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    West,
    East,
    South,
    North,
}

impl Side {
    pub const ALL: [Side; 4] = [Side::West, Side::East, Side::South, Side::North];
}

/// Geometry of a uniform, north-up raster.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub nx: usize,
    pub ny: usize,
    /// Cell size along x (east), metres.
    pub dx_m: f64,
    /// Cell size along y (north), metres.
    pub dy_m: f64,
    /// Map x of the western edge of the grid.
    pub x_west_m: f64,
    /// Map y of the southern edge of the grid.
    pub y_south_m: f64,
    /// Coordinate reference system as WKT; empty when unknown (synthetic cases).
    pub crs_wkt: String,
}

impl Grid {
    /// A grid with its south-west corner at the origin and no CRS.
    pub fn new(nx: usize, ny: usize, dx_m: f64, dy_m: f64) -> Result<Self> {
        Self::georeferenced(nx, ny, dx_m, dy_m, 0.0, 0.0, String::new())
    }

    /// A grid placed on the map.
    pub fn georeferenced(
        nx: usize,
        ny: usize,
        dx_m: f64,
        dy_m: f64,
        x_west_m: f64,
        y_south_m: f64,
        crs_wkt: String,
    ) -> Result<Self> {
        if nx == 0 || ny == 0 {
            return Err(CoreError::Invalid {
                what: "grid size",
                detail: format!("{nx} x {ny} cells"),
                expected: "at least one cell in each direction",
            });
        }
        // Indices are u32 on the GPU: refuse grids whose face count would overflow.
        if (nx + 1)
            .checked_mul(ny + 1)
            .is_none_or(|n| n > u32::MAX as usize)
        {
            return Err(CoreError::Invalid {
                what: "grid size",
                detail: format!("{nx} x {ny} cells"),
                expected: "fewer than 2^32 cells and faces",
            });
        }
        for (what, v) in [("cell size dx", dx_m), ("cell size dy", dy_m)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(CoreError::Invalid {
                    what,
                    detail: format!("{v} m"),
                    expected: "a finite positive length in metres",
                });
            }
        }
        if !(x_west_m.is_finite() && y_south_m.is_finite()) {
            return Err(CoreError::Invalid {
                what: "grid origin",
                detail: format!("({x_west_m}, {y_south_m})"),
                expected: "finite map coordinates",
            });
        }
        Ok(Self {
            nx,
            ny,
            dx_m,
            dy_m,
            x_west_m,
            y_south_m,
            crs_wkt,
        })
    }

    pub fn cells(&self) -> usize {
        self.nx * self.ny
    }

    #[inline]
    pub fn index(&self, i: usize, j: usize) -> usize {
        j * self.nx + i
    }

    pub fn cell_area_m2(&self) -> f64 {
        self.dx_m * self.dy_m
    }

    /// Map coordinates of the centre of cell `(i, j)`.
    pub fn cell_centre_m(&self, i: usize, j: usize) -> (f64, f64) {
        (
            self.x_west_m + (i as f64 + 0.5) * self.dx_m,
            self.y_south_m + (j as f64 + 0.5) * self.dy_m,
        )
    }

    /// The cell containing map point `(x, y)`, if inside the grid.
    pub fn cell_at(&self, x_m: f64, y_m: f64) -> Option<(usize, usize)> {
        let fi = ((x_m - self.x_west_m) / self.dx_m).floor();
        let fj = ((y_m - self.y_south_m) / self.dy_m).floor();
        if fi >= 0.0 && fj >= 0.0 && (fi as usize) < self.nx && (fj as usize) < self.ny {
            Some((fi as usize, fj as usize))
        } else {
            None
        }
    }

    /// Fills a vector with a function of the cell-centre coordinates, row by row.
    pub fn map_centres<T>(&self, mut f: impl FnMut(f64, f64) -> T) -> Vec<T> {
        let mut v = Vec::with_capacity(self.cells());
        for j in 0..self.ny {
            for i in 0..self.nx {
                let (x, y) = self.cell_centre_m(i, j);
                v.push(f(x, y));
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_empty_and_non_positive_sizes() {
        assert!(Grid::new(0, 3, 1.0, 1.0).is_err());
        assert!(Grid::new(3, 3, 0.0, 1.0).is_err());
        assert!(Grid::new(3, 3, 1.0, f64::NAN).is_err());
        assert!(Grid::new(3, 3, 1.0, 2.0).is_ok());
    }

    #[test]
    fn centres_and_lookup_agree() {
        let g = Grid::georeferenced(4, 3, 2.0, 5.0, 100.0, 200.0, String::new()).unwrap();
        let (x, y) = g.cell_centre_m(3, 2);
        assert_eq!((x, y), (107.0, 212.5));
        assert_eq!(g.cell_at(x, y), Some((3, 2)));
        assert_eq!(g.cell_at(99.9, 201.0), None);
        assert_eq!(g.index(3, 2), 11);
    }
}
