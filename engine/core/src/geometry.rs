//! Where scenario geometry lands on the grid: the cell of a map point, the faces a polyline
//! crosses (cross-sections, later weirs and gates), and the edge cells a line along the
//! domain's border covers (inflow and stage boundaries). Written once here, used by every
//! front end (the CLI's scenarios, the library API) and, with MPI, to tell which rank owns what.

use std::ops::Range;

use crate::grid::{Grid, Side};

/// Why a map point has no cell.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PointError {
    #[error("is outside the DEM (x {x0:.1} .. {x1:.1}, y {y0:.1} .. {y1:.1})")]
    Outside { x0: f64, x1: f64, y0: f64, y1: f64 },
    #[error("lies on a nodata cell of the DEM")]
    Nodata,
}

/// A grid face crossed by a line: `y_face` (a face between rows) or an x face, its index in the
/// face arrays (`j (nx + 1) + i` for x faces, `j nx + i` for y faces) and its length in metres,
/// signed: positive when the flow through it crosses the line from its left to its right.
pub type CrossedFace = (bool, usize, f64);

impl Grid {
    /// Map x and y of the grid's edges: `(x_west, x_east, y_south, y_north)`.
    pub fn extent_m(&self) -> (f64, f64, f64, f64) {
        (
            self.x_west_m,
            self.x_west_m + self.nx as f64 * self.dx_m,
            self.y_south_m,
            self.y_south_m + self.ny as f64 * self.dy_m,
        )
    }

    /// The index of the active cell holding map point `(x, y)`.
    pub fn locate(&self, active: &[bool], x_m: f64, y_m: f64) -> Result<usize, PointError> {
        let (x0, x1, y0, y1) = self.extent_m();
        match self.cell_at(x_m, y_m) {
            Some((i, j)) if active.get(self.index(i, j)) == Some(&true) => Ok(self.index(i, j)),
            Some(_) => Err(PointError::Nodata),
            None => Err(PointError::Outside { x0, x1, y0, y1 }),
        }
    }

    /// The faces between two active cells that the polyline `points` crosses, with signed
    /// lengths ([`CrossedFace`]): a face counts when the centres of its two cells lie on
    /// opposite sides of a segment and the face's centre projects onto the segment (half-open,
    /// so that joints are not counted twice).
    pub fn faces_crossed(
        &self,
        active: &[bool],
        points: &[[f64; 2]],
    ) -> Result<Vec<CrossedFace>, String> {
        let mut faces = Vec::new();
        for w in points.windows(2) {
            self.faces_crossed_by_segment(active, w[0], w[1], &mut faces);
        }
        if faces.is_empty() {
            return Err("the line crosses no face between two cells of the domain".into());
        }
        Ok(faces)
    }

    fn faces_crossed_by_segment(
        &self,
        active: &[bool],
        [x0, y0]: [f64; 2],
        [x1, y1]: [f64; 2],
        faces: &mut Vec<CrossedFace>,
    ) {
        let (nx, ny) = (self.nx, self.ny);
        let len = ((x1 - x0).powi(2) + (y1 - y0).powi(2)).sqrt();
        if len == 0.0 {
            return;
        }
        let (dx, dy) = ((x1 - x0) / len, (y1 - y0) / len);
        let (nrx, nry) = (dy, -dx); // right-hand normal
        let side = |(x, y): (f64, f64)| (x - x0) * nrx + (y - y0) * nry;
        let along = |(x, y): (f64, f64)| ((x - x0) * dx + (y - y0) * dy) / len;
        let wet = |(i, j): (usize, usize)| active.get(self.index(i, j)) == Some(&true);
        let mut consider = |y_face: bool,
                            k: usize,
                            a: (usize, usize),
                            b: (usize, usize),
                            face_centre: (f64, f64),
                            flen: f64| {
            let (sa, sb) = (
                side(self.cell_centre_m(a.0, a.1)),
                side(self.cell_centre_m(b.0, b.1)),
            );
            let t = along(face_centre);
            if (sa <= 0.0) != (sb <= 0.0) && (0.0..1.0).contains(&t) && wet(a) && wet(b) {
                // The face normal points from a to b (+x or +y): positive when b is on the right.
                faces.push((y_face, k, if sb > 0.0 { flen } else { -flen }));
            }
        };
        for j in 0..ny {
            for a in 1..nx {
                let fc = (
                    self.x_west_m + a as f64 * self.dx_m,
                    self.y_south_m + (j as f64 + 0.5) * self.dy_m,
                );
                consider(false, j * (nx + 1) + a, (a - 1, j), (a, j), fc, self.dy_m);
            }
        }
        for a in 1..ny {
            for i in 0..nx {
                let fc = (
                    self.x_west_m + (i as f64 + 0.5) * self.dx_m,
                    self.y_south_m + a as f64 * self.dy_m,
                );
                consider(true, a * nx + i, (i, a - 1), (i, a), fc, self.dx_m);
            }
        }
    }

    /// The cells along one side of the domain that an edge line covers: a whole `side`, or the
    /// cells of a side whose centres lie between the two points of `line` (which must lie on
    /// that edge, within half a cell; the side is found from the line when not given).
    pub fn edge_cells(
        &self,
        side: Option<Side>,
        line: Option<[[f64; 2]; 2]>,
    ) -> Result<(Side, Range<usize>), String> {
        let Some([[ax, ay], [bx, by]]) = line else {
            let side = side.ok_or("needs side or line")?;
            return Ok((side, 0..self.side_len(side)));
        };
        let (x0, x1, y0, y1) = self.extent_m();
        let (tx, ty) = (0.5 * self.dx_m, 0.5 * self.dy_m);
        let on = |side: Side| match side {
            Side::West => (ax - x0).abs() <= tx && (bx - x0).abs() <= tx,
            Side::East => (ax - x1).abs() <= tx && (bx - x1).abs() <= tx,
            Side::South => (ay - y0).abs() <= ty && (by - y0).abs() <= ty,
            Side::North => (ay - y1).abs() <= ty && (by - y1).abs() <= ty,
        };
        let side = match side {
            Some(s) if on(s) => s,
            Some(s) => {
                return Err(format!(
                    "line [[{ax}, {ay}], [{bx}, {by}]] is not on the {} edge",
                    format!("{s:?}").to_lowercase()
                ));
            }
            None => Side::ALL.into_iter().find(|s| on(*s)).ok_or_else(|| {
                format!(
                    "line [[{ax}, {ay}], [{bx}, {by}]] is not on an edge of the domain (x {x0} .. {x1}, y {y0} .. {y1})"
                )
            })?,
        };
        let (lo, hi, origin, d) = match side {
            Side::West | Side::East => (ay.min(by), ay.max(by), y0, self.dy_m),
            Side::South | Side::North => (ax.min(bx), ax.max(bx), x0, self.dx_m),
        };
        let n = self.side_len(side);
        let first = (((lo - origin) / d) - 0.5).ceil().max(0.0) as usize;
        let last = ((((hi - origin) / d) - 0.5).floor() + 1.0).clamp(0.0, n as f64) as usize;
        if last <= first {
            return Err(format!(
                "line from {lo} to {hi} covers no cell centre along the edge"
            ));
        }
        Ok((side, first..last))
    }

    /// Cells along a side: `ny` on the west and east, `nx` on the south and north.
    pub fn side_len(&self, side: Side) -> usize {
        match side {
            Side::West | Side::East => self.ny,
            Side::South | Side::North => self.nx,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Grid {
        Grid::georeferenced(4, 3, 10.0, 10.0, 100.0, 200.0, String::new()).unwrap()
    }

    #[test]
    fn a_point_is_in_an_active_cell_outside_or_on_nodata() {
        let g = grid();
        let mut active = vec![true; 12];
        active[5] = false;
        assert_eq!(g.locate(&active, 135.0, 225.0), Ok(11));
        assert_eq!(g.locate(&active, 115.0, 215.0), Err(PointError::Nodata));
        let e = g.locate(&active, 99.0, 215.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "is outside the DEM (x 100.0 .. 140.0, y 200.0 .. 230.0)"
        );
    }

    #[test]
    fn a_vertical_line_crosses_one_x_face_per_row_signed_by_direction() {
        let g = grid();
        let active = vec![true; 12];
        // Northwards along x = 120: the cells west of it are on the left, so flow +x (west to
        // east) crosses from left to right: positive.
        let f = g
            .faces_crossed(&active, &[[120.0, 195.0], [120.0, 235.0]])
            .unwrap();
        assert_eq!(
            f,
            vec![(false, 2, 10.0), (false, 7, 10.0), (false, 12, 10.0)]
        );
        let f = g
            .faces_crossed(&active, &[[120.0, 235.0], [120.0, 195.0]])
            .unwrap();
        assert!(f.iter().all(|&(_, _, l)| l == -10.0));
        // Faces next to an inactive cell are not counted; a line that crosses none is refused.
        let mut holes = active.clone();
        holes[5] = false;
        let f = g
            .faces_crossed(&holes, &[[120.0, 195.0], [120.0, 235.0]])
            .unwrap();
        assert_eq!(f.len(), 2);
        assert!(
            g.faces_crossed(&active, &[[101.0, 201.0], [104.0, 204.0]])
                .is_err()
        );
    }

    #[test]
    fn a_horizontal_polyline_counts_each_face_once_at_its_joint() {
        let g = grid();
        let active = vec![true; 12];
        let f = g
            .faces_crossed(&active, &[[95.0, 220.0], [120.0, 220.0], [145.0, 220.0]])
            .unwrap();
        let ks: Vec<usize> = f
            .iter()
            .map(|&(y, k, _)| {
                assert!(y);
                k
            })
            .collect();
        assert_eq!(ks, vec![8, 9, 10, 11]);
    }

    #[test]
    fn edge_lines_cover_the_cells_whose_centres_they_span() {
        let g = grid();
        assert_eq!(g.edge_cells(Some(Side::West), None), Ok((Side::West, 0..3)));
        assert_eq!(
            g.edge_cells(None, Some([[100.0, 205.0], [100.0, 220.0]])),
            Ok((Side::West, 0..2))
        );
        assert_eq!(
            g.edge_cells(None, Some([[112.0, 230.0], [138.0, 230.0]])),
            Ok((Side::North, 1..4))
        );
        let e = g
            .edge_cells(Some(Side::East), Some([[100.0, 205.0], [100.0, 220.0]]))
            .unwrap_err();
        assert_eq!(e, "line [[100, 205], [100, 220]] is not on the east edge");
        assert!(
            g.edge_cells(None, Some([[120.0, 215.0], [130.0, 215.0]]))
                .is_err()
        );
        assert!(
            g.edge_cells(None, Some([[100.0, 201.0], [100.0, 203.0]]))
                .is_err()
        );
    }
}
