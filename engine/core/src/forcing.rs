//! Forcing: water added to the domain by rain and by point sources (culverts, outfalls, pumps),
//! as time series.
//!
//! Rain is uniform in space here: an intensity series in mm/h, integrated exactly over each time
//! step (the series is piecewise linear) and added to the depth of every active cell in the
//! cell update, so that the ledger books exactly what the cells receive. Point sources add
//! `Q dt / cell area` to their cell after the update. Both only add water, so positivity holds.

use crate::error::{CoreError, Result};

/// A rain intensity of 1 m/s in mm/h: intensities in mm/h integrated over seconds, divided by
/// this, are depths in metres.
pub const MM_H_PER_M_S: f64 = 3.6e6;

/// An inflow segment that is dry spreads its discharge over the faces whose bed lies within
/// this height (m) of the segment's lowest bed (the channel), not over its whole width.
pub const INFLOW_LOW_BAND_M: f64 = 0.01;

/// An inflow face brings momentum `q^2 / h` only into a cell deeper than this (m); shallower
/// cells take the water without it.
pub const INFLOW_MOMENTUM_MIN_DEPTH_M: f64 = 1e-3;

/// A piecewise-linear time series: `(time_s, value)` with strictly increasing times. Before the
/// first time it holds the first value, after the last the last value.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    points: Vec<(f64, f64)>,
}

impl Series {
    /// Validates and builds a series; `what` names it in errors.
    pub fn new(points: Vec<(f64, f64)>, what: &'static str) -> Result<Self> {
        if points.is_empty() {
            return Err(CoreError::Invalid {
                what,
                detail: "no points".into(),
                expected: "at least one (time, value) pair",
            });
        }
        for (k, &(t, v)) in points.iter().enumerate() {
            if !(t.is_finite() && v.is_finite()) {
                return Err(CoreError::Invalid {
                    what,
                    detail: format!("point {} is ({t}, {v})", k + 1),
                    expected: "finite times and values",
                });
            }
            if k > 0 && t <= points[k - 1].0 {
                return Err(CoreError::Invalid {
                    what,
                    detail: format!(
                        "time {t} s at point {} does not increase (previous {} s)",
                        k + 1,
                        points[k - 1].0
                    ),
                    expected: "strictly increasing times",
                });
            }
        }
        Ok(Self { points })
    }

    /// A constant series.
    pub fn constant(value: f64) -> Self {
        Self {
            points: vec![(0.0, value)],
        }
    }

    pub fn points(&self) -> &[(f64, f64)] {
        &self.points
    }

    /// Value at time `t_s`. WGSL twin: `forcing.wgsl::series_at`.
    pub fn at(&self, t_s: f64) -> f64 {
        let p = &self.points;
        match p.iter().position(|&(t, _)| t > t_s) {
            Some(0) => p[0].1,
            None => p[p.len() - 1].1,
            Some(k) => {
                let ((t0, v0), (t1, v1)) = (p[k - 1], p[k]);
                v0 + (v1 - v0) * (t_s - t0) / (t1 - t0)
            }
        }
    }

    /// Exact integral of the series over `[t0, t1]` (value x seconds). WGSL twin:
    /// `forcing.wgsl::series_integral`.
    pub fn integral(&self, t0: f64, t1: f64) -> f64 {
        if t1 <= t0 {
            return 0.0;
        }
        // Breakpoints inside the interval split it into linear pieces (trapezoids are exact).
        let mut total = 0.0;
        let mut a = t0;
        for &(t, _) in self.points.iter().filter(|(t, _)| *t > t0 && *t < t1) {
            total += 0.5 * (self.at(a) + self.at(t)) * (t - a);
            a = t;
        }
        total + 0.5 * (self.at(a) + self.at(t1)) * (t1 - a)
    }
}

/// A point inflow into one cell.
#[derive(Debug, Clone, PartialEq)]
pub struct PointSource {
    pub name: String,
    /// Index of the receiving cell (`j * nx + i`).
    pub cell: usize,
    /// Discharge in m^3/s (negative values are refused: abstraction is not modelled).
    pub discharge_m3_s: Series,
}

/// What a boundary segment imposes.
#[derive(Debug, Clone, PartialEq)]
pub enum SegmentKind {
    /// Total discharge into the domain through the segment (m^3/s), spread over the wet faces
    /// by conveyance (`h^(5/3)`; over the lowest cells while the segment is dry). The mass flux
    /// is imposed exactly, so the ledger receives exactly the hydrograph's volume.
    Inflow(Series),
    /// Free-surface level outside the segment (m): a ghost cell at that level, with the interior
    /// velocity, and the scheme's own flux (water flows in or out).
    Stage(Series),
}

/// A stretch of one side of the domain with an inflow or stage condition.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundarySegment {
    pub name: String,
    pub side: crate::grid::Side,
    /// Cell positions along the side (i for south/north, j for west/east), half-open.
    pub cells: std::ops::Range<usize>,
    pub kind: SegmentKind,
}

/// A face of an inflow or stage segment, resolved on the grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmentFace {
    /// Index into the x-face (`y == false`, `(nx + 1) * ny`) or y-face (`nx * (ny + 1)`) arrays.
    pub face: usize,
    /// The interior cell.
    pub cell: usize,
    pub y: bool,
    /// East or north side: the outward normal points along +x / +y.
    pub high: bool,
}

impl BoundarySegment {
    /// The faces of the segment next to active cells, and the length of one face (m). A
    /// segment beyond its side or only along inactive cells is an error.
    pub fn faces(
        &self,
        grid: &crate::grid::Grid,
        active: &[bool],
    ) -> Result<(Vec<SegmentFace>, f64)> {
        use crate::grid::Side;
        let (nx, ny) = (grid.nx, grid.ny);
        let len = if matches!(self.side, Side::West | Side::East) {
            ny
        } else {
            nx
        };
        if self.cells.end > len {
            return Err(CoreError::Invalid {
                what: "boundary segment",
                detail: format!(
                    "'{}' covers cells {:?} of a side {len} cells long",
                    self.name, self.cells
                ),
                expected: "a segment within the side",
            });
        }
        let faces: Vec<SegmentFace> = self
            .cells
            .clone()
            .filter_map(|p| {
                let (face, cell, y, high) = match self.side {
                    Side::West => (p * (nx + 1), p * nx, false, false),
                    Side::East => (p * (nx + 1) + nx, p * nx + nx - 1, false, true),
                    Side::South => (p, p, true, false),
                    Side::North => (ny * nx + p, (ny - 1) * nx + p, true, true),
                };
                active
                    .get(cell)
                    .copied()
                    .unwrap_or(false)
                    .then_some(SegmentFace {
                        face,
                        cell,
                        y,
                        high,
                    })
            })
            .collect();
        if faces.is_empty() {
            return Err(CoreError::Invalid {
                what: "boundary segment",
                detail: format!("'{}' lies only along cells outside the domain", self.name),
                expected: "a segment touching at least one active cell",
            });
        }
        let face_len_m = if matches!(self.side, Side::West | Side::East) {
            grid.dy_m
        } else {
            grid.dx_m
        };
        Ok((faces, face_len_m))
    }
}

/// Rain that varies in space: intensity fields (mm/h per cell) at increasing times, linear in
/// time between them and held before the first and after the last (as a [`Series`] is).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RainGrid {
    pub times_s: Vec<f64>,
    /// One field per time, `cells` values each (core order).
    pub frames_mm_h: Vec<Vec<f32>>,
}

impl RainGrid {
    /// Checks the frames: times finite and increasing, one value per cell, intensities finite
    /// and >= 0.
    pub fn new(times_s: Vec<f64>, frames_mm_h: Vec<Vec<f32>>, cells: usize) -> Result<Self> {
        let g = Self {
            times_s,
            frames_mm_h,
        };
        g.check(cells)?;
        Ok(g)
    }

    fn check(&self, cells: usize) -> Result<()> {
        let (times_s, frames_mm_h) = (&self.times_s, &self.frames_mm_h);
        let bad = |detail: String, expected: &'static str| CoreError::Invalid {
            what: "gridded rain",
            detail,
            expected,
        };
        if times_s.is_empty() || times_s.len() != frames_mm_h.len() {
            return Err(bad(
                format!("{} times for {} fields", times_s.len(), frames_mm_h.len()),
                "one time per field, at least one field",
            ));
        }
        if let Some(t) = times_s.iter().find(|t| !t.is_finite()) {
            return Err(bad(format!("time {t}"), "finite times"));
        }
        if let Some(w) = times_s.windows(2).find(|w| w[1] <= w[0]) {
            return Err(bad(
                format!("time {} s after {} s", w[1], w[0]),
                "increasing times",
            ));
        }
        for (t, f) in times_s.iter().zip(frames_mm_h) {
            if f.len() != cells {
                return Err(bad(
                    format!(
                        "the field at {t} s has {} values for {cells} cells",
                        f.len()
                    ),
                    "one value per cell",
                ));
            }
            if let Some(v) = f.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
                return Err(bad(
                    format!("{v} mm/h in the field at {t} s"),
                    "finite intensities >= 0 mm/h",
                ));
            }
        }
        Ok(())
    }

    /// Weights `w_k` (seconds) such that the rain depth over `[t0, t1]` is
    /// `sum_k w_k frame_k / MM_H_PER_M_S` metres (the exact integral of the interpolated
    /// intensity); written into `out`, which is cleared first. WGSL twin:
    /// `forcing.wgsl::rain_weights`.
    pub fn weights(&self, t0: f64, t1: f64, out: &mut Vec<(usize, f64)>) {
        out.clear();
        let ts = &self.times_s;
        let last = ts.len() - 1;
        let mut add = |k: usize, w: f64| {
            if w == 0.0 {
                return;
            }
            match out.last_mut() {
                Some((j, x)) if *j == k => *x += w,
                _ => out.push((k, w)),
            }
        };
        // Held before the first time.
        if t0 < ts[0] {
            add(0, t1.min(ts[0]) - t0);
        }
        for k in 0..last {
            let (a, b) = (t0.max(ts[k]), t1.min(ts[k + 1]));
            if b > a {
                let d = ts[k + 1] - ts[k];
                let mid = 0.5 * (a + b);
                add(k, (b - a) * (ts[k + 1] - mid) / d);
                add(k + 1, (b - a) * (mid - ts[k]) / d);
            }
        }
        // Held after the last.
        if t1 > ts[last] {
            add(last, t1 - t0.max(ts[last]));
        }
    }
}

/// Everything that adds water besides the solid and free boundaries.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Forcing {
    /// Uniform rain intensity in mm/h.
    pub rain_mm_h: Option<Series>,
    /// Rain varying in space, added to the uniform rain.
    pub rain_grid: Option<RainGrid>,
    pub sources: Vec<PointSource>,
    pub boundaries: Vec<BoundarySegment>,
    /// Losses to the ground, uniform parameters.
    pub infiltration: crate::numerics::infiltration::Infiltration,
    /// Infiltration parameters per cell (overriding `infiltration`); empty for uniform ones.
    pub infiltration_cells: Vec<crate::numerics::infiltration::Infiltration>,
}

impl Forcing {
    /// Checks values: rain and discharges are never negative.
    pub fn validate(&self, cells: usize, active: &[bool]) -> Result<()> {
        if let Some(r) = &self.rain_mm_h
            && let Some(&(t, v)) = r.points().iter().find(|(_, v)| *v < 0.0)
        {
            return Err(CoreError::Invalid {
                what: "rain intensity",
                detail: format!("{v} mm/h at {t} s"),
                expected: "intensities >= 0 mm/h",
            });
        }
        if let Err(e) = self.infiltration.validate() {
            return Err(CoreError::Invalid {
                what: "infiltration",
                detail: e,
                expected: "valid infiltration parameters",
            });
        }
        if !self.infiltration_cells.is_empty() {
            if self.infiltration_cells.len() != cells {
                return Err(CoreError::Invalid {
                    what: "infiltration parameters per cell",
                    detail: format!("{} values for {cells} cells", self.infiltration_cells.len()),
                    expected: "one set of parameters per cell",
                });
            }
            for (k, m) in self.infiltration_cells.iter().enumerate() {
                if !active[k] {
                    continue;
                }
                if let Err(e) = m.validate() {
                    return Err(CoreError::Invalid {
                        what: "infiltration",
                        detail: format!("cell {k}: {e}"),
                        expected: "valid infiltration parameters in every active cell",
                    });
                }
            }
        }
        if let Some(g) = &self.rain_grid {
            g.check(cells)?;
        }
        for b in &self.boundaries {
            if b.cells.is_empty() {
                return Err(CoreError::Invalid {
                    what: "boundary segment",
                    detail: format!("'{}' covers no cell", b.name),
                    expected: "a segment at least one cell long",
                });
            }
            if let SegmentKind::Inflow(q) = &b.kind
                && let Some(&(t, v)) = q.points().iter().find(|(_, v)| *v < 0.0)
            {
                return Err(CoreError::Invalid {
                    what: "inflow hydrograph",
                    detail: format!("'{}': {v} m^3/s at {t} s", b.name),
                    expected: "discharges >= 0 m^3/s (use a stage boundary for outflow)",
                });
            }
        }
        for s in &self.sources {
            if s.cell >= cells || !active[s.cell] {
                return Err(CoreError::Invalid {
                    what: "point source",
                    detail: format!("'{}' is not on an active cell", s.name),
                    expected: "a source inside the domain",
                });
            }
            if let Some(&(t, v)) = s.discharge_m3_s.points().iter().find(|(_, v)| *v < 0.0) {
                return Err(CoreError::Invalid {
                    what: "point source discharge",
                    detail: format!("'{}': {v} m^3/s at {t} s", s.name),
                    expected: "discharges >= 0 m^3/s",
                });
            }
        }
        Ok(())
    }

    /// Rain depth (m) falling over `[t0, t1]`.
    pub fn rain_depth_m(&self, t0: f64, t1: f64) -> f64 {
        self.rain_mm_h
            .as_ref()
            .map_or(0.0, |r| r.integral(t0, t1) / MM_H_PER_M_S)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_and_integrates_exactly() {
        let s = Series::new(vec![(0.0, 0.0), (10.0, 10.0), (20.0, 0.0)], "test").unwrap();
        assert_eq!(s.at(5.0), 5.0);
        assert_eq!(s.at(-1.0), 0.0);
        assert_eq!(s.at(25.0), 0.0);
        assert!((s.integral(0.0, 20.0) - 100.0).abs() < 1e-12);
        assert!((s.integral(5.0, 15.0) - 75.0).abs() < 1e-12);
        assert!((s.integral(20.0, 30.0)).abs() < 1e-12);
        let parts: f64 = (0..20).map(|k| s.integral(k as f64, k as f64 + 1.0)).sum();
        assert!((parts - 100.0).abs() < 1e-12);
    }

    #[test]
    fn gridded_rain_weights_integrate_the_interpolation_exactly() {
        let g = RainGrid::new(
            vec![100.0, 200.0, 400.0],
            vec![vec![0.0], vec![10.0], vec![4.0]],
            1,
        )
        .unwrap();
        let mut w = Vec::new();
        let depth = |w: &Vec<(usize, f64)>| -> f64 {
            w.iter()
                .map(|&(k, x)| x * f64::from(g.frames_mm_h[k][0]))
                .sum()
        };
        // The same field as a series integrates the same.
        let s = Series::new(vec![(100.0, 0.0), (200.0, 10.0), (400.0, 4.0)], "r").unwrap();
        for (t0, t1) in [
            (0.0, 50.0),
            (0.0, 150.0),
            (120.0, 130.0),
            (150.0, 350.0),
            (50.0, 600.0),
            (450.0, 500.0),
        ] {
            g.weights(t0, t1, &mut w);
            assert!(
                (depth(&w) - s.integral(t0, t1)).abs() < 1e-9,
                "[{t0}, {t1}]: {w:?}"
            );
            let total: f64 = w.iter().map(|x| x.1).sum();
            assert!((total - (t1 - t0)).abs() < 1e-9, "weights sum to the step");
        }
        assert!(RainGrid::new(vec![1.0, 1.0], vec![vec![0.0], vec![0.0]], 1).is_err());
        assert!(RainGrid::new(vec![1.0], vec![vec![-1.0]], 1).is_err());
        assert!(RainGrid::new(vec![1.0], vec![vec![0.0, 1.0]], 1).is_err());
    }

    #[test]
    fn refuses_bad_series() {
        assert!(Series::new(vec![], "q").is_err());
        assert!(Series::new(vec![(0.0, 1.0), (0.0, 2.0)], "q").is_err());
        assert!(Series::new(vec![(0.0, f64::NAN)], "q").is_err());
        let f = Forcing {
            rain_mm_h: Some(Series::new(vec![(0.0, -1.0)], "rain").unwrap()),
            ..Forcing::default()
        };
        assert!(f.validate(1, &[true]).is_err());
    }
}
