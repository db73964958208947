//! Synthetic cases shared by the benchmarks, the examples, the physics tests and the validation
//! reports, so that every figure refers to the same, reproducible terrain and water.
//!
//! Two kinds: a [`Case`] (grid, terrain, water at rest) for benchmarks and demos, and an
//! [`Analytic`] case, set up as its closed-form solution in [`crate::analytic`] assumes
//! (starting discharges, edges, forcing), which the physics tests (`engine/tests`) and
//! `basintwin validate` both run: channel dam breaks, Thacker's paraboloids, rain on a plane.

use crate::analytic::{KinematicPlane, ThackerPlanar, ThackerRadial};
use crate::config::{Boundaries, BoundaryKind};
use crate::error::Result;
use crate::forcing::{Forcing, Series};
use crate::grid::Grid;
use crate::real::Real;
use crate::state::State;
use crate::terrain::{Manning, Terrain};

/// A model without a state type: grid, terrain and initial depths (metres).
#[derive(Debug, Clone)]
pub struct Case {
    pub name: &'static str,
    pub grid: Grid,
    pub terrain: Terrain,
    pub depth_m: Vec<f64>,
}

/// The benchmark case: a dam break on a flat bed, `nx` x `ny` cells of `cell_m` metres, 2 m of
/// water west of the middle and 1 m east of it, Manning n = 0.03. Every cell is wet, so every
/// cell update does the full work (no dry-cell shortcuts flatter the figure).
pub fn flat_dam_break(nx: usize, ny: usize, cell_m: f64) -> Result<Case> {
    let grid = Grid::new(nx, ny, cell_m, cell_m)?;
    let terrain = Terrain::new(&grid, vec![0.0; grid.cells()], 0.03)?;
    let half = 0.5 * nx as f64 * cell_m;
    let depth_m = grid.map_centres(|x, _| if x < half { 2.0 } else { 1.0 });
    Ok(Case {
        name: "flat dam break",
        grid,
        terrain,
        depth_m,
    })
}

/// The demo case: a reservoir behind a breached dam at the head of a winding valley with a dry
/// floodplain, a village mound and a roughness contrast between channel and banks.
/// Size `nx` x `ny` cells of `cell_m` metres.
pub fn valley_dam_break(nx: usize, ny: usize, cell_m: f64) -> Result<Case> {
    let grid = Grid::new(nx, ny, cell_m, cell_m)?;
    let (lx, ly) = (nx as f64 * cell_m, ny as f64 * cell_m);
    let centre = |x: f64| 0.5 * ly + 0.15 * ly * (2.0 * std::f64::consts::PI * x / lx).sin();
    let bed = grid.map_centres(|x, y| {
        let across = (y - centre(x)) / (0.5 * ly);
        let valley = 10.0 * across * across; // V-shaped cross-section, 10 m high sides
        let slope = 5.0 * (1.0 - x / lx); // 5 m drop along the valley
        let mound = 3.0
            * (-((x - 0.7 * lx).powi(2) + (y - centre(0.7 * lx) - 0.12 * ly).powi(2))
                / (0.002 * lx * lx))
                .exp();
        let dam = if (0.2 * lx..0.22 * lx).contains(&x) && across.abs() > 0.15 {
            8.0
        } else {
            0.0
        };
        valley + slope + mound + dam
    });
    let manning = grid.map_centres(|x, y| {
        if ((y - centre(x)) / (0.5 * ly)).abs() < 0.1 {
            0.03
        } else {
            0.06
        }
    });
    let terrain = Terrain::with_mask(
        &grid,
        bed.clone(),
        vec![true; grid.cells()],
        Manning::PerCell(manning),
    )?;
    // Reservoir: level 12 m upstream of the dam.
    let depth_m = grid
        .map_centres(|x, _| x < 0.2 * lx)
        .into_iter()
        .zip(&bed)
        .map(|(upstream, z)| if upstream { (12.0 - z).max(0.0) } else { 0.0 })
        .collect();
    Ok(Case {
        name: "valley dam break",
        grid,
        terrain,
        depth_m,
    })
}

/// A river basin for the flood example: a meandering trapezoidal channel (2 m deep, about 8
/// cells wide) across a floodplain that rises gently towards the valley sides, falling 3 m over
/// the length, with a road embankment (1.5 m) across the floodplain at 60 % of the length
/// (broken by a bridge opening over the channel). `nx` x `ny` cells of `cell_m`; no water.
pub fn river_basin(nx: usize, ny: usize, cell_m: f64) -> Result<Case> {
    let grid = Grid::new(nx, ny, cell_m, cell_m)?;
    let (lx, ly) = (nx as f64 * cell_m, ny as f64 * cell_m);
    let centre = |x: f64| 0.5 * ly + 0.2 * ly * (3.0 * std::f64::consts::PI * x / lx).sin();
    let half_width = 4.0 * cell_m;
    let bed = grid.map_centres(|x, y| {
        let d = (y - centre(x)).abs();
        let fall = 3.0 * (1.0 - x / lx);
        let valley = 4.0 * (d / (0.5 * ly)).powi(2);
        let channel = if d < half_width {
            -2.0
        } else if d < half_width + 2.0 * cell_m {
            -2.0 * (1.0 - (d - half_width) / (2.0 * cell_m))
        } else {
            0.0
        };
        let road =
            if (0.6 * lx..0.6 * lx + 2.0 * cell_m).contains(&x) && d > half_width + 3.0 * cell_m {
                1.5
            } else {
                0.0
            };
        10.0 + fall + valley + channel + road
    });
    let manning = grid.map_centres(|x, y| {
        if (y - centre(x)).abs() < half_width {
            0.035
        } else {
            0.06
        }
    });
    let terrain = Terrain::with_mask(
        &grid,
        bed,
        vec![true; grid.cells()],
        Manning::PerCell(manning),
    )?;
    Ok(Case {
        name: "river basin",
        depth_m: vec![0.0; grid.cells()],
        grid,
        terrain,
    })
}

/// A case with a closed-form solution: the [`Case`] (grid, terrain, starting depths) with the
/// starting discharges, the edges and the forcing the solution assumes. The time it is compared
/// at is the caller's: the solutions hold at any time.
#[derive(Debug, Clone)]
pub struct Analytic {
    pub case: Case,
    /// Starting discharge along x per cell (m^2/s).
    pub qx_m2_s: Vec<f64>,
    /// Starting discharge along y per cell (m^2/s).
    pub qy_m2_s: Vec<f64>,
    pub boundaries: Boundaries,
    pub forcing: Forcing,
}

impl Analytic {
    /// The starting state in the working precision.
    pub fn state<R: Real>(&self) -> State<R> {
        let cast = |v: &[f64]| v.iter().map(|&x| R::c(x)).collect();
        State {
            h: cast(&self.case.depth_m),
            qx: cast(&self.qx_m2_s),
            qy: cast(&self.qy_m2_s),
        }
    }
}

/// A dam break in a frictionless channel `length_m` long, `n` cells along x and one across:
/// still water `h_left_m` deep upstream of `dam_m` and `h_right_m` downstream, over the bed
/// `bed_m(x)`, free outflow at both ends. On a flat bed: Ritter's (dry downstream) and Stoker's
/// (wet) solutions, [`crate::analytic::dam_break`]; over a step:
/// [`crate::analytic::StepDamBreak`].
pub fn channel_dam_break(
    n: usize,
    length_m: f64,
    dam_m: f64,
    (h_left_m, h_right_m): (f64, f64),
    bed_m: impl Fn(f64) -> f64,
) -> Result<Analytic> {
    let d = length_m / n as f64;
    let grid = Grid::new(n, 1, d, d)?;
    let terrain = Terrain::new(&grid, grid.map_centres(|x, _| bed_m(x)), 0.0)?;
    let depth_m = grid.map_centres(|x, _| if x < dam_m { h_left_m } else { h_right_m });
    Ok(Analytic {
        case: Case {
            name: "channel dam break",
            grid,
            terrain,
            depth_m,
        },
        qx_m2_s: vec![0.0; n],
        qy_m2_s: vec![0.0; n],
        boundaries: Boundaries::all(BoundaryKind::Free),
        forcing: Forcing::default(),
    })
}

/// Thacker's (1981) planar surface oscillating in a paraboloid
/// ([`crate::analytic::ThackerPlanar`], default parameters): `n` x `n` cells over its square,
/// frictionless, walls, the water as the solution has it at t = 0 (moving).
pub fn thacker_planar(n: usize) -> Result<Analytic> {
    let th = ThackerPlanar::default();
    paraboloid(
        "Thacker planar",
        n,
        th.l_m,
        |x, y| th.bed_m(x, y),
        |x, y| th.solution(x, y, 0.0),
    )
}

/// Thacker's (1981) radially symmetric breathing paraboloid
/// ([`crate::analytic::ThackerRadial`], default parameters), set up as [`thacker_planar`].
pub fn thacker_radial(n: usize) -> Result<Analytic> {
    let th = ThackerRadial::default();
    paraboloid(
        "Thacker radial",
        n,
        th.l_m,
        |x, y| th.bed_m(x, y),
        |x, y| th.solution(x, y, 0.0),
    )
}

/// `n` x `n` cells over a square of side `l_m` with the bed `bed_m`, frictionless, walls, from
/// the solution `start(x, y) = (h, u, v)`.
fn paraboloid(
    name: &'static str,
    n: usize,
    l_m: f64,
    bed_m: impl Fn(f64, f64) -> f64,
    start: impl Fn(f64, f64) -> (f64, f64, f64),
) -> Result<Analytic> {
    let d = l_m / n as f64;
    let grid = Grid::new(n, n, d, d)?;
    let terrain = Terrain::new(&grid, grid.map_centres(&bed_m), 0.0)?;
    let at = |f: fn((f64, f64, f64)) -> f64| grid.map_centres(|x, y| f(start(x, y)));
    let (depth_m, qx_m2_s, qy_m2_s) = (at(|s| s.0), at(|s| s.0 * s.1), at(|s| s.0 * s.2));
    Ok(Analytic {
        case: Case {
            name,
            grid,
            terrain,
            depth_m,
        },
        qx_m2_s,
        qy_m2_s,
        boundaries: Boundaries::walls(),
        forcing: Forcing::default(),
    })
}

/// The plane of [`rain_plane`]: 30 mm/h of rain on a 1 % slope, Manning n = 0.03.
pub const RAIN_PLANE: KinematicPlane = KinematicPlane {
    rain_m_s: 30.0 / 3.6e6,
    slope: 0.01,
    manning_n: 0.03,
};

/// The length of [`rain_plane`] (m).
pub const RAIN_PLANE_LENGTH_M: f64 = 1000.0;

/// Rain on a plane (Wooding 1965; [`crate::analytic::KinematicPlane`]): [`RAIN_PLANE`] falling
/// from t = 0 on a dry plane [`RAIN_PLANE_LENGTH_M`] long, `n` cells down the slope (along x)
/// and one across, a wall at its top (west) and an outlet at normal depth at its foot (east),
/// as the kinematic wave assumes.
pub fn rain_plane(n: usize) -> Result<Analytic> {
    let (k, l) = (RAIN_PLANE, RAIN_PLANE_LENGTH_M);
    let d = l / n as f64;
    let grid = Grid::new(n, 1, d, d)?;
    let terrain = Terrain::new(
        &grid,
        grid.map_centres(|x, _| k.slope * (l - x)),
        k.manning_n,
    )?;
    let mut boundaries = Boundaries::walls();
    boundaries.east = BoundaryKind::NormalDepth { slope: k.slope };
    Ok(Analytic {
        case: Case {
            name: "rain on a plane",
            grid,
            terrain,
            depth_m: vec![0.0; n],
        },
        qx_m2_s: vec![0.0; n],
        qy_m2_s: vec![0.0; n],
        boundaries,
        forcing: Forcing {
            rain_mm_h: Some(Series::constant(k.rain_m_s * 3.6e6)),
            ..Forcing::default()
        },
    })
}
