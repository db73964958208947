//! The model a scenario describes, loaded from its files: the DEM, roughness, initial water,
//! forcing, gauge cells and section faces. Every problem is an [`InputError`] that names the
//! scenario file and key, the data file and where in it.
//!
//! [`InputError`]: crate::error::InputError

use anyhow::Result;
use basintwin_core::{
    BoundarySegment, CrossedFace, Forcing, Grid, Infiltration, Manning, PointSource, Precision,
    RainGrid, Real, SegmentKind, State, Terrain,
};
use basintwin_io::{Dem, Resample, Which, read_aligned, read_dem, read_snapshot};

use crate::error::input;
use crate::scenario::{Field, InfiltrationFields, Initial, RainGrids, Scenario, SegmentSpec};

/// Everything the solver needs, loaded from the scenario's files.
#[derive(Debug)]
pub struct Model {
    pub dem: Dem,
    pub terrain: Terrain,
    pub depth_m: Vec<f64>,
    pub discharge: Option<(Vec<f64>, Vec<f64>)>,
    /// The initial water level of each cell when the scenario gives levels (NaN where none):
    /// ensemble members offset it.
    pub initial_level_m: Option<Vec<f64>>,
    /// Cell index of each gauge.
    pub gauge_cells: Vec<usize>,
    pub forcing: Forcing,
    /// Per section: the faces it crosses.
    pub section_faces: Vec<Vec<CrossedFace>>,
    /// Things found while loading that are allowed but worth saying.
    pub warnings: Vec<String>,
}

impl Model {
    /// The initial state in precision `R`: depths, and discharges when restarting.
    pub fn initial_state<R: Real>(&self) -> State<R> {
        self.state_with_depths(&self.depth_m)
    }

    /// The state in precision `R` with depths `depth_m` (an ensemble member's) and the model's
    /// discharges when restarting.
    pub fn state_with_depths<R: Real>(&self, depth_m: &[f64]) -> State<R> {
        let mut state = State::<R>::from_depth(depth_m);
        if let Some((qx, qy)) = &self.discharge {
            state.qx = qx.iter().map(|&q| R::c(q)).collect();
            state.qy = qy.iter().map(|&q| R::c(q)).collect();
        }
        state
    }
}

/// Loads the DEM, roughness, initial water, forcing, gauges and sections; every problem is an
/// [`crate::error::InputError`] that names the file or the scenario line.
pub fn load_model(sc: &Scenario) -> Result<Model> {
    let file = sc.file.display().to_string();
    let dem = read_dem(&sc.dem, &sc.dem_options)
        .map_err(|e| input(format!("{file}: terrain.dem: {e}")))?;
    let manning = roughness(sc, &dem)?;
    let mut terrain = dem
        .terrain(manning)
        .map_err(|e| input(format!("{file}: {e}")))?;
    let (depth_m, discharge, initial_level_m) = initial_water(sc, &dem.grid, &mut terrain)?;
    let mut warnings = Vec::new();
    if let Some(w) = fv1_rain_warning(sc, &terrain, &dem.grid) {
        warnings.push(w);
    }
    let forcing = forcing(sc, &dem, &mut warnings)?;
    let gauge_cells = sc
        .gauges
        .iter()
        .map(|g| locate(sc, &dem, "gauge", &g.name, g.x, g.y, g.line))
        .collect::<Result<Vec<_>>>()?;
    let section_faces = sc
        .sections
        .iter()
        .map(|s| {
            dem.grid.faces_crossed(&dem.active, &s.points).map_err(|m| {
                input(format!(
                    "{file}: line {}: section '{}': {m}",
                    s.line, s.name
                ))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Model {
        dem,
        terrain,
        depth_m,
        discharge,
        initial_level_m,
        gauge_cells,
        forcing,
        section_faces,
        warnings,
    })
}

/// The cell of a point of the scenario (a gauge, a source).
fn locate(
    sc: &Scenario,
    dem: &Dem,
    what: &str,
    name: &str,
    x: f64,
    y: f64,
    line: usize,
) -> Result<usize> {
    dem.grid.locate(&dem.active, x, y).map_err(|e| {
        input(format!(
            "{}: line {line}: {what} '{name}' at ({x}, {y}) {e}",
            sc.file.display()
        ))
    })
}

/// Where a cell is, for messages: map coordinates of its centre.
fn at(grid: &Grid, k: usize) -> (f64, f64) {
    grid.cell_centre_m(k % grid.nx, k / grid.nx)
}

/// Manning's n: uniform, a raster, or a landuse raster through its class table.
fn roughness(sc: &Scenario, dem: &Dem) -> Result<Manning> {
    let file = sc.file.display();
    let grid = &dem.grid;
    if let Some((path, classes)) = &sc.landuse {
        let v = read_aligned(path, grid, Resample::Nearest, "landuse")
            .map_err(|e| input(format!("{file}: roughness.landuse: {e}")))?;
        let mut n = vec![0.0; v.len()];
        for k in (0..v.len()).filter(|&k| dem.active[k]) {
            let (x, y) = at(grid, k);
            let class = v[k].round();
            if v[k].is_nan() || (v[k] - class).abs() > 1e-6 {
                let value = if v[k].is_nan() {
                    "no value".to_string()
                } else {
                    v[k].to_string()
                };
                return Err(input(format!(
                    "{file}: roughness.landuse: {} has {value} at ({x:.1}, {y:.1}): expected a whole class number",
                    path.display(),
                )));
            }
            match classes.iter().find(|(c, _)| *c as f64 == class) {
                Some((_, m)) => n[k] = *m,
                None => {
                    return Err(input(format!(
                        "{file}: roughness.classes: class {class} (at ({x:.1}, {y:.1}) in {}) has no Manning's n; the table has {:?}",
                        path.display(),
                        classes.iter().map(|(c, _)| *c).collect::<Vec<_>>()
                    )));
                }
            }
        }
        return Ok(Manning::PerCell(n));
    }
    match &sc.manning {
        Field::Value(n) => Ok(Manning::Uniform(*n)),
        Field::Raster(p, rs) => {
            let v = read_aligned(p, grid, *rs, "Manning")
                .map_err(|e| input(format!("{file}: roughness.manning: {e}")))?;
            if let Some(k) = (0..v.len()).find(|&k| dem.active[k] && v[k].is_nan()) {
                let (x, y) = at(grid, k);
                return Err(input(format!(
                    "{file}: roughness.manning: {} has no value at ({x:.1}, {y:.1}), inside the DEM's domain",
                    p.display()
                )));
            }
            Ok(Manning::PerCell(
                v.iter()
                    .map(|x| if x.is_nan() { 0.0 } else { *x })
                    .collect(),
            ))
        }
    }
}

/// A number or a raster onto the grid (no value: 0).
fn field_values(sc: &Scenario, grid: &Grid, f: &Field, key: &str) -> Result<Vec<f64>> {
    Ok(match f {
        Field::Value(v) => vec![*v; grid.cells()],
        Field::Raster(p, rs) => read_aligned(p, grid, *rs, key)
            .map_err(|e| input(format!("{}: initial.{key}: {e}", sc.file.display())))?
            .into_iter()
            .map(|x| if x.is_nan() { 0.0 } else { x })
            .collect(),
    })
}

/// Depths (and, by less than half an ulp of the depth, beds) chosen so that depth + bed is the
/// level exactly in the precision of the run: a lake starts at rest.
pub fn depths_from_levels(precision: Precision, terrain: &mut Terrain, levels: &[f64]) -> Vec<f64> {
    match precision {
        Precision::F32 => State::<f32>::from_levels(terrain, levels)
            .h
            .iter()
            .map(|&h| f64::from(h))
            .collect(),
        Precision::F64 => State::<f64>::from_levels(terrain, levels).h,
    }
}

/// The initial depths (and discharges, from a restart snapshot; levels, when given).
#[allow(clippy::type_complexity)]
fn initial_water(
    sc: &Scenario,
    grid: &Grid,
    terrain: &mut Terrain,
) -> Result<(Vec<f64>, Option<(Vec<f64>, Vec<f64>)>, Option<Vec<f64>>)> {
    let file = sc.file.display();
    let mut levels_given = None;
    let (depth_m, discharge) = match &sc.initial {
        Initial::Depth(f) => (field_values(sc, grid, f, "depth")?, None),
        Initial::WaterLevel(f) => {
            let levels: Vec<f64> = field_values(sc, grid, f, "water_level")?
                .iter()
                .zip(&terrain.bed_m)
                .map(|(&l, z)| if z.is_finite() { l } else { f64::NAN })
                .collect();
            let h = depths_from_levels(sc.precision, terrain, &levels);
            levels_given = Some(levels);
            (h, None)
        }
        Initial::Restart(p) => {
            let (_, s) = read_snapshot::<f64>(p, Which::Last)
                .map_err(|e| input(format!("{file}: initial.restart: {e}")))?;
            if s.cells() != grid.cells() {
                return Err(input(format!(
                    "{file}: initial.restart: {} holds {} cells, the DEM {} x {}",
                    p.display(),
                    s.cells(),
                    grid.nx,
                    grid.ny
                )));
            }
            (s.h, Some((s.qx, s.qy)))
        }
    };
    if let Some(k) = depth_m.iter().position(|d| !(d.is_finite() && *d >= 0.0)) {
        return Err(input(bad_depth_message(sc, grid, k, depth_m[k])));
    }
    Ok((depth_m, discharge, levels_given))
}

/// A negative or non-finite initial depth: which key, which file, which cell (raster row and
/// column from the north-west corner, and map coordinates).
fn bad_depth_message(sc: &Scenario, grid: &Grid, k: usize, depth: f64) -> String {
    let (i, j) = (k % grid.nx, k / grid.nx);
    let (x, y) = grid.cell_centre_m(i, j);
    let row = grid.ny - 1 - j;
    let (key, source) = match &sc.initial {
        Initial::Depth(Field::Raster(p, _)) => ("initial.depth", format!("{}: ", p.display())),
        Initial::Depth(Field::Value(_)) => ("initial.depth", String::new()),
        Initial::WaterLevel(Field::Raster(p, _)) => {
            ("initial.water_level", format!("{}: ", p.display()))
        }
        Initial::WaterLevel(Field::Value(_)) => ("initial.water_level", String::new()),
        Initial::Restart(p) => ("initial.restart", format!("{}: ", p.display())),
    };
    format!(
        "{}: {key}: {source}depth {depth} at row {row}, column {i} of the DEM grid (map x {x:.1}, y {y:.1}): expected >= 0 m",
        sc.file.display()
    )
}

/// Rain, sources, boundary segments and infiltration.
fn forcing(sc: &Scenario, dem: &Dem, warnings: &mut Vec<String>) -> Result<Forcing> {
    let file = sc.file.display().to_string();
    let grid = &dem.grid;
    let sources = sc
        .sources
        .iter()
        .map(|s| {
            Ok(PointSource {
                name: s.name.clone(),
                cell: locate(sc, dem, "source", &s.name, s.x, s.y, s.line)?,
                discharge_m3_s: s.discharge_m3_s.clone(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let boundaries = sc
        .segments
        .iter()
        .map(|sg| resolve_segment(sg, grid, &file))
        .collect::<Result<Vec<_>>>()?;
    let rain_grid = match &sc.rain_grids {
        None => None,
        Some(rg) => Some(rain_grid(sc, rg, grid, warnings)?),
    };
    let infiltration_cells = match &sc.infiltration_fields {
        None => Vec::new(),
        Some(inf) => infiltration_cells(sc, inf, dem)?,
    };
    Ok(Forcing {
        rain_mm_h: sc.rain_mm_h.clone(),
        rain_grid,
        sources,
        boundaries,
        infiltration: sc.infiltration,
        infiltration_cells,
    })
}

/// Gridded rain, onto the DEM grid, with warnings about the data's coverage in space and time.
fn rain_grid(
    sc: &Scenario,
    rg: &RainGrids,
    grid: &Grid,
    warnings: &mut Vec<String>,
) -> Result<RainGrid> {
    let file = sc.file.display();
    let frames = if rg.netcdf {
        basintwin_io::read_rain_netcdf(
            &rg.path,
            rg.variable.as_deref(),
            grid,
            sc.start.as_deref(),
            rg.units.as_deref(),
            rg.resample,
        )
    } else {
        basintwin_io::read_rain_folder(
            &rg.path,
            grid,
            sc.start.as_deref(),
            rg.units.as_deref(),
            rg.resample,
        )
    }
    .map_err(|e| input(format!("{file}: rain.grids: {e}")))?;
    if frames.uncovered_cells > 0 {
        warnings.push(format!(
            "rain.grids: {} cell values (over all {} fields) lie outside the rain data and get no rain",
            frames.uncovered_cells,
            frames.times_s.len()
        ));
    }
    let (Some(&t_first), Some(&t_last), Some(last)) = (
        frames.times_s.first(),
        frames.times_s.last(),
        frames.frames_mm_h.last(),
    ) else {
        return Err(input(format!("{file}: rain.grids: no rain fields")));
    };
    let last_max = last.iter().fold(0.0f64, |m, &v| m.max(v));
    if t_last < sc.duration_s && last_max > 0.0 {
        warnings.push(format!(
            "rain.grids: the last field is at {t_last} s, before the end of the run ({} s); its rain (up to {last_max:.2} mm/h) is held to the end",
            sc.duration_s
        ));
    }
    if t_first > 0.0 {
        warnings.push(format!(
            "rain.grids: the first field is at {t_first} s; it is held back to the start"
        ));
    }
    RainGrid::new(
        frames.times_s,
        frames
            .frames_mm_h
            .iter()
            .map(|f| f.iter().map(|&v| v as f32).collect())
            .collect(),
        grid.cells(),
    )
    .map_err(|e| input(format!("{file}: rain.grids: {e}")))
}

/// Infiltration parameters from rasters: one model per cell, each checked.
fn infiltration_cells(
    sc: &Scenario,
    inf: &InfiltrationFields,
    dem: &Dem,
) -> Result<Vec<Infiltration>> {
    let file = sc.file.display();
    let grid = &dem.grid;
    let mut columns = Vec::with_capacity(inf.params.len());
    for (name, f) in inf.names.iter().zip(&inf.params) {
        columns.push(match f {
            Field::Value(v) => vec![*v; grid.cells()],
            Field::Raster(p, rs) => {
                let v = read_aligned(p, grid, *rs, name)
                    .map_err(|e| input(format!("{file}: infiltration.{name}: {e}")))?;
                if let Some(k) = (0..v.len()).find(|&k| dem.active[k] && v[k].is_nan()) {
                    let (x, y) = at(grid, k);
                    return Err(input(format!(
                        "{file}: infiltration.{name}: {} has no value at ({x:.1}, {y:.1}), inside the DEM's domain",
                        p.display()
                    )));
                }
                v
            }
        });
    }
    let mut cells = Vec::with_capacity(grid.cells());
    for k in 0..grid.cells() {
        if !dem.active[k] {
            cells.push(Infiltration::None);
            continue;
        }
        let values: Vec<f64> = columns.iter().map(|c| c[k]).collect();
        let m = crate::scenario::infiltration_model(&inf.model, &values);
        if let Err(e) = m.validate() {
            let (x, y) = at(grid, k);
            return Err(input(format!(
                "{file}: infiltration: at ({x:.1}, {y:.1}) the parameters {} = {values:?} are invalid: {e}",
                inf.names.join(", ")
            )));
        }
        cells.push(m);
    }
    Ok(cells)
}

/// The cells of an inflow or stage boundary (a whole side or a stretch of one).
fn resolve_segment(sg: &SegmentSpec, grid: &Grid, file: &str) -> Result<BoundarySegment> {
    let (side, cells) = grid.edge_cells(sg.side, sg.line).map_err(|m| {
        input(format!(
            "{file}: line {}: boundary '{}': {m}",
            sg.line_no, sg.name
        ))
    })?;
    let kind = if sg.inflow {
        SegmentKind::Inflow(sg.series.clone())
    } else {
        SegmentKind::Stage(sg.series.clone())
    };
    Ok(BoundarySegment {
        name: sg.name.clone(),
        side,
        cells,
        kind,
    })
}

/// fv1 under rain on a bed that drops more between neighbouring cells than sheet flow is deep:
/// the first-order hydrostatic reconstruction lets the water fall from cell to cell instead of
/// following the slope (README, "rain on slopes"; physics test `t17`).
fn fv1_rain_warning(sc: &Scenario, terrain: &Terrain, grid: &Grid) -> Option<String> {
    let rain = sc.rain_mm_h.is_some() || sc.rain_grids.is_some();
    if sc.solver.scheme != basintwin_core::Scheme::Fv1 || !rain {
        return None;
    }
    let (nx, ny) = (grid.nx, grid.ny);
    let (bed, active) = (&terrain.bed_m, &terrain.active);
    let (mut cells, mut steep) = (0usize, 0usize);
    for j in 0..ny {
        for i in 0..nx {
            let k = j * nx + i;
            if !active[k] {
                continue;
            }
            cells += 1;
            let near = [
                (i > 0).then(|| k - 1),
                (i + 1 < nx).then(|| k + 1),
                (j > 0).then(|| k - nx),
                (j + 1 < ny).then(|| k + nx),
            ];
            let drop = near
                .into_iter()
                .flatten()
                .filter(|&n| active[n])
                .map(|n| (bed[k] - bed[n]).abs())
                .fold(0.0f64, f64::max);
            if drop > 0.02 {
                steep += 1;
            }
        }
    }
    let share = steep as f64 / cells.max(1) as f64;
    (share > 0.05).then(|| {
        format!(
            "solver.scheme: fv1 with rain, and on {:.0} % of the cells the bed drops more than 2 cm to a neighbour: fv1 lets thin overland flow fall from cell to cell instead of following the slope and underestimates its depth (16 % on a 1 % plane with 10 m cells); scheme = \"fv2\" or \"inertial\" follow the slope",
            100.0 * share
        )
    })
}
