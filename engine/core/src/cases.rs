//! Synthetic cases shared by the benchmarks, the examples and the validation reports, so that
//! every figure refers to the same, reproducible terrain and water.

use crate::error::Result;
use crate::grid::Grid;
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
