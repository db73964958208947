//! One member's model: the scenario's terrain, forcing and initial water with the member's
//! perturbations applied. Perturbation `i` of member `k` draws from the stream
//! `Stream::new(seed, k, i)`, so a member is the same whatever the number of members, and
//! `basintwin run --member k` runs exactly the model member `k` of the ensemble runs.
//!
//! - A fixed perturbation is one draw per member; one with `correlation_time_s` is an AR(1)
//!   factor (or offset) sampled every tenth of the correlation time and interpolated linearly,
//!   multiplied into the series at the union of its own and the factor's times (gridded rain:
//!   each field by the factor at its time); one with `correlation_length_m` is a random field
//!   over the grid (gridded rain only; fixed in time).
//! - Rain and discharges never go below zero (an additive draw below is held at zero);
//!   Manning's n stays within [0, 1], the range a terrain accepts.
//! - `initial_level`: an offset (normal) moves the level of the water given by
//!   `initial.water_level` (shore cells flood or dry with it) or adds to the depth of the wet
//!   cells; a factor (lognormal, uniform) scales the wet cells' depths.

use basintwin_core::ensemble::{Ar1, Distribution, RandomField, Stream};
use basintwin_core::{Forcing, Manning, Precision, RainGrid, SegmentKind, Series, Terrain};

use crate::model::{Model, depths_from_levels};
use crate::scenario::{EnsembleSpec, Perturbation, Target, Variation};

/// What differs between members.
#[derive(Debug, Clone)]
pub struct MemberModel {
    pub terrain: Terrain,
    pub forcing: Forcing,
    pub depth_m: Vec<f64>,
}

/// A member's draw of one perturbation.
#[derive(Debug, Clone, PartialEq)]
pub enum Draw {
    Fixed(f64),
    /// The perturbation over time.
    InTime(Series),
    /// The perturbation per cell.
    InSpace(Vec<f64>),
}

/// AR(1) factors are sampled at a tenth of their correlation time, at most this many times.
const MAX_FACTOR_SAMPLES: f64 = 10_000.0;

/// Member `member`'s model (member 0 of an ensemble with a control is the model itself).
pub fn member_model(
    model: &Model,
    spec: &EnsembleSpec,
    member: usize,
    duration_s: f64,
    precision: Precision,
) -> MemberModel {
    let mut m = MemberModel {
        terrain: model.terrain.clone(),
        forcing: model.forcing.clone(),
        depth_m: model.depth_m.clone(),
    };
    if spec.control && member == 0 {
        return m;
    }
    for (i, p) in spec.perturbations.iter().enumerate() {
        let mut stream = Stream::new(spec.seed, member as u64, i as u64);
        let draw = draw(p, &mut stream, model, duration_s);
        apply(p, &draw, model, &mut m, precision);
    }
    m
}

/// Draws perturbation `p` from `stream`.
pub fn draw(p: &Perturbation, stream: &mut Stream, model: &Model, duration_s: f64) -> Draw {
    let d = p.distribution;
    match p.variation {
        Variation::Fixed => Draw::Fixed(d.draw(stream)),
        Variation::InTime { correlation_time_s } => {
            let dt = (correlation_time_s / 10.0).max(duration_s / MAX_FACTOR_SAMPLES);
            let n = (duration_s / dt).ceil().max(1.0) as usize;
            // The validator accepts only positive correlation times.
            let points = match Ar1::new(stream.clone(), correlation_time_s, dt) {
                Ok(mut a) => (0..=n)
                    .map(|i| {
                        let z = if i == 0 { a.value() } else { a.step() };
                        (i as f64 * dt, d.perturbation(z, 0.0))
                    })
                    .collect(),
                Err(_) => vec![(0.0, d.identity())],
            };
            Draw::InTime(
                Series::new(points, "perturbation").unwrap_or(Series::constant(d.identity())),
            )
        }
        Variation::InSpace {
            correlation_length_m,
        } => {
            let grid = &model.dem.grid;
            let Ok(field) = RandomField::new(stream, correlation_length_m) else {
                return Draw::Fixed(d.identity());
            };
            let xs: Vec<f64> = (0..grid.nx).map(|i| grid.cell_centre_m(i, 0).0).collect();
            let ys: Vec<f64> = (0..grid.ny).map(|j| grid.cell_centre_m(0, j).1).collect();
            let z = field.on_grid(&xs, &ys);
            Draw::InSpace(z.iter().map(|&z| d.perturbation(z, 0.0)).collect())
        }
    }
}

/// Applies one draw to the member's model.
fn apply(p: &Perturbation, draw: &Draw, model: &Model, m: &mut MemberModel, precision: Precision) {
    let d = p.distribution;
    let f = &mut m.forcing;
    match &p.target {
        Target::Rain => {
            if let Some(r) = &mut f.rain_mm_h
                && !matches!(draw, Draw::InSpace(_))
            {
                *r = series(r, d, draw, 0.0);
            }
            if let Some(g) = &mut f.rain_grid {
                rain_grid(g, d, draw);
            }
        }
        Target::Inflow(name) => {
            for b in f
                .boundaries
                .iter_mut()
                .filter(|b| name.as_ref().is_none_or(|n| *n == b.name))
            {
                if let SegmentKind::Inflow(q) = &mut b.kind {
                    *q = series(q, d, draw, 0.0);
                }
            }
        }
        Target::Source(name) => {
            for s in f
                .sources
                .iter_mut()
                .filter(|s| name.as_ref().is_none_or(|n| *n == s.name))
            {
                s.discharge_m3_s = series(&s.discharge_m3_s, d, draw, 0.0);
            }
        }
        Target::Manning => {
            let p = fixed(draw, d);
            let n = |v: f64| d.apply(v, p).clamp(0.0, 1.0);
            m.terrain.manning = match &m.terrain.manning {
                Manning::Uniform(v) => Manning::Uniform(n(*v)),
                Manning::PerCell(v) => Manning::PerCell(v.iter().map(|&x| n(x)).collect()),
            };
        }
        Target::InitialLevel => initial_level(model, d, fixed(draw, d), m, precision),
    }
}

/// The one value of a fixed draw (the others do not reach targets that take one).
fn fixed(draw: &Draw, d: Distribution) -> f64 {
    match draw {
        Draw::Fixed(p) => *p,
        _ => d.identity(),
    }
}

/// A series with the draw applied, held at or above `floor`.
fn series(s: &Series, d: Distribution, draw: &Draw, floor: f64) -> Series {
    let points: Vec<(f64, f64)> = match draw {
        Draw::Fixed(p) => s
            .points()
            .iter()
            .map(|&(t, v)| (t, d.apply(v, *p).max(floor)))
            .collect(),
        Draw::InTime(factor) => {
            let mut times: Vec<f64> = s
                .points()
                .iter()
                .chain(factor.points())
                .map(|&(t, _)| t)
                .collect();
            times.sort_by(f64::total_cmp);
            times.dedup();
            times
                .into_iter()
                .map(|t| (t, d.apply(s.at(t), factor.at(t)).max(floor)))
                .collect()
        }
        Draw::InSpace(_) => return s.clone(),
    };
    Series::new(points, "perturbed series").unwrap_or_else(|_| s.clone())
}

/// Gridded rain: every field by the draw (a fixed one, the factor at the field's time, or the
/// field's value per cell), never below zero.
fn rain_grid(g: &mut RainGrid, d: Distribution, draw: &Draw) {
    for (t, frame) in g.times_s.iter().zip(&mut g.frames_mm_h) {
        for (k, v) in frame.iter_mut().enumerate() {
            let p = match draw {
                Draw::Fixed(p) => *p,
                Draw::InTime(f) => f.at(*t),
                Draw::InSpace(cells) => cells[k],
            };
            *v = (d.apply(f64::from(*v), p).max(0.0)) as f32;
        }
    }
}

/// The initial water of a member: levels offset (then depths made to sum to them exactly in
/// the run's precision, as the scenario's own levels are), or wet depths offset or scaled.
fn initial_level(
    model: &Model,
    d: Distribution,
    p: f64,
    m: &mut MemberModel,
    precision: Precision,
) {
    if let (Distribution::Normal { .. }, Some(levels)) = (d, &model.initial_level_m) {
        let moved: Vec<f64> = levels.iter().map(|&l| l + p).collect();
        m.depth_m = depths_from_levels(precision, &mut m.terrain, &moved);
        return;
    }
    for h in m.depth_m.iter_mut().filter(|h| **h > 0.0) {
        *h = d.apply(*h, p).max(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_factor_in_time_multiplies_the_series_at_both_sets_of_times() {
        let s = Series::new(vec![(0.0, 10.0), (100.0, 20.0)], "s").unwrap();
        let f = Series::new(vec![(0.0, 1.0), (50.0, 2.0), (150.0, 0.5)], "f").unwrap();
        let d = Distribution::LogNormal { sigma: 0.3 };
        let got = series(&s, d, &Draw::InTime(f), 0.0);
        assert_eq!(
            got.points(),
            &[
                (0.0, 10.0),
                (50.0, 30.0),
                (100.0, 20.0 * 1.25),
                (150.0, 10.0)
            ]
        );
    }

    #[test]
    fn additive_draws_never_make_a_discharge_negative() {
        let s = Series::new(vec![(0.0, 1.0), (60.0, 5.0)], "s").unwrap();
        let got = series(
            &s,
            Distribution::Normal { sd: 1.0 },
            &Draw::Fixed(-2.0),
            0.0,
        );
        assert_eq!(got.points(), &[(0.0, 0.0), (60.0, 3.0)]);
    }

    #[test]
    fn gridded_rain_takes_a_field_per_cell() {
        let mut g =
            RainGrid::new(vec![0.0, 600.0], vec![vec![2.0, 4.0], vec![1.0, 0.0]], 2).unwrap();
        let d = Distribution::LogNormal { sigma: 0.5 };
        rain_grid(&mut g, d, &Draw::InSpace(vec![0.5, 3.0]));
        assert_eq!(g.frames_mm_h, vec![vec![1.0, 12.0], vec![0.5, 0.0]]);
    }
}
