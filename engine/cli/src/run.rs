//! `basintwin run`: a scenario from files to results.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use basintwin_core::{
    Backend, BoundarySegment, CoreError, CpuBackend, Forcing, Grid, Manning, Maxima,
    OutputSchedule, PointSource, Precision, Real, SegmentKind, Side, State, Terrain, run,
};
use basintwin_io::{
    Dem, Resample, SnapshotMeta, SnapshotWriter, Which, read_aligned, read_dem, read_snapshot,
};

use crate::scenario::{Field, Gauge, Initial, Scenario, Section, SegmentSpec};

/// How the run talks to the user.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub threads: Option<usize>,
    pub overwrite: bool,
    pub quiet: bool,
    pub json: bool,
    /// Continue from `checkpoint.bin` in the output folder.
    pub resume: bool,
    /// Set by the Ctrl-C handler: stop after the current step and save.
    pub interrupt: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// An error that is the user's input (exit code 2), as opposed to a failed simulation (1).
#[derive(Debug)]
pub struct InputError(pub String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

fn input(msg: impl Into<String>) -> anyhow::Error {
    anyhow!(InputError(msg.into()))
}

/// Everything the solver needs, loaded from the scenario's files.
#[derive(Debug)]
pub struct Model {
    pub dem: Dem,
    pub terrain: Terrain,
    pub depth_m: Vec<f64>,
    pub discharge: Option<(Vec<f64>, Vec<f64>)>,
    /// Cell index of each gauge.
    pub gauge_cells: Vec<usize>,
    pub forcing: Forcing,
    /// Per section: the faces it crosses, `(y face?, index, signed length m)`.
    pub section_faces: Vec<Vec<(bool, usize, f64)>>,
    /// Things found while loading that are allowed but worth saying.
    pub warnings: Vec<String>,
}

impl Model {
    /// The initial state in precision `R`: depths, and discharges when restarting.
    fn initial_state<R: Real>(&self) -> State<R> {
        let mut state = State::<R>::from_depth(&self.depth_m);
        if let Some((qx, qy)) = &self.discharge {
            state.qx = qx.iter().map(|&q| R::c(q)).collect();
            state.qy = qy.iter().map(|&q| R::c(q)).collect();
        }
        state
    }
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

/// Loads the DEM, roughness, initial water and gauges; every problem is an [`InputError`] that
/// names the file or the scenario line.
pub fn load_model(sc: &Scenario) -> Result<Model> {
    let file = sc.file.display().to_string();
    let dem = read_dem(&sc.dem, &sc.dem_options)
        .map_err(|e| input(format!("{file}: terrain.dem: {e}")))?;
    let grid = &dem.grid;
    let manning = if let Some((path, classes)) = &sc.landuse {
        let v = read_aligned(path, grid, Resample::Nearest, "landuse")
            .map_err(|e| input(format!("{file}: roughness.landuse: {e}")))?;
        let mut n = vec![0.0; v.len()];
        for k in 0..v.len() {
            if !dem.active[k] {
                continue;
            }
            let (x, y) = grid.cell_centre_m(k % grid.nx, k / grid.nx);
            let class = v[k].round();
            if v[k].is_nan() || (v[k] - class).abs() > 1e-6 {
                return Err(input(format!(
                    "{file}: roughness.landuse: {} has {} at ({x:.1}, {y:.1}): expected a whole class number",
                    path.display(),
                    if v[k].is_nan() {
                        "no value".to_string()
                    } else {
                        v[k].to_string()
                    }
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
        Manning::PerCell(n)
    } else {
        match &sc.manning {
            Field::Value(n) => Manning::Uniform(*n),
            Field::Raster(p, rs) => {
                let v = read_aligned(p, grid, *rs, "Manning")
                    .map_err(|e| input(format!("{file}: roughness.manning: {e}")))?;
                if let Some(k) = (0..v.len()).find(|&k| dem.active[k] && v[k].is_nan()) {
                    let (x, y) = grid.cell_centre_m(k % grid.nx, k / grid.nx);
                    return Err(input(format!(
                        "{file}: roughness.manning: {} has no value at ({x:.1}, {y:.1}), inside the DEM's domain",
                        p.display()
                    )));
                }
                Manning::PerCell(
                    v.iter()
                        .map(|x| if x.is_nan() { 0.0 } else { *x })
                        .collect(),
                )
            }
        }
    };
    let mut terrain = dem
        .terrain(manning)
        .map_err(|e| input(format!("{file}: {e}")))?;
    let field = |f: &Field, key: &str| -> Result<Vec<f64>> {
        Ok(match f {
            Field::Value(v) => vec![*v; grid.cells()],
            Field::Raster(p, rs) => read_aligned(p, grid, *rs, key)
                .map_err(|e| input(format!("{file}: initial.{key}: {e}")))?
                .into_iter()
                .map(|x| if x.is_nan() { 0.0 } else { x })
                .collect(),
        })
    };
    let mut discharge = None;
    let depth_m: Vec<f64> = match &sc.initial {
        Initial::Depth(f) => field(f, "depth")?,
        Initial::WaterLevel(f) => {
            // Depths (and, by less than half an ulp of the depth, beds) chosen so that depth +
            // bed is the level exactly in the precision of the run: a lake starts at rest.
            let levels: Vec<f64> = field(f, "water_level")?
                .iter()
                .zip(&terrain.bed_m)
                .map(|(&l, z)| if z.is_finite() { l } else { f64::NAN })
                .collect();
            match sc.precision {
                Precision::F32 => State::<f32>::from_levels(&mut terrain, &levels)
                    .h
                    .iter()
                    .map(|&h| f64::from(h))
                    .collect(),
                Precision::F64 => State::<f64>::from_levels(&mut terrain, &levels).h,
            }
        }
        Initial::Restart(p) => {
            let (t, s) = read_snapshot::<f64>(p, Which::Last)
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
            let _ = t;
            discharge = Some((s.qx.clone(), s.qy.clone()));
            s.h
        }
    };
    if let Some(k) = depth_m.iter().position(|d| !(d.is_finite() && *d >= 0.0)) {
        return Err(input(format!(
            "{file}: initial: depth {} at cell {k}: expected >= 0 m",
            depth_m[k]
        )));
    }
    let locate = |what: &str, name: &str, x: f64, y: f64, line: usize| -> Result<usize> {
        match grid.cell_at(x, y) {
            Some((i, j)) if dem.active[grid.index(i, j)] => Ok(grid.index(i, j)),
            Some(_) => Err(input(format!(
                "{file}: line {line}: {what} '{name}' at ({x}, {y}) lies on a nodata cell of the DEM"
            ))),
            None => Err(input(format!(
                "{file}: line {line}: {what} '{name}' at ({x}, {y}) is outside the DEM (x {:.1} .. {:.1}, y {:.1} .. {:.1})",
                grid.x_west_m,
                grid.x_west_m + grid.nx as f64 * grid.dx_m,
                grid.y_south_m,
                grid.y_south_m + grid.ny as f64 * grid.dy_m
            ))),
        }
    };
    let mut sources = Vec::new();
    for s in &sc.sources {
        sources.push(PointSource {
            name: s.name.clone(),
            cell: locate("source", &s.name, s.x, s.y, s.line)?,
            discharge_m3_s: s.discharge_m3_s.clone(),
        });
    }
    let mut segments = Vec::new();
    for sg in &sc.segments {
        segments.push(resolve_segment(sg, grid, &file)?);
    }
    let mut warnings = Vec::new();
    if let Some(w) = fv1_rain_warning(sc, &terrain, grid) {
        warnings.push(w);
    }
    // Gridded rain, onto the DEM grid.
    let rain_grid = match &sc.rain_grids {
        None => None,
        Some(rg) => {
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
            let (t_first, t_last) = (frames.times_s[0], frames.times_s[frames.times_s.len() - 1]);
            let last_max = frames.frames_mm_h[frames.frames_mm_h.len() - 1]
                .iter()
                .fold(0.0f64, |m, &v| m.max(v));
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
            let g = basintwin_core::RainGrid::new(
                frames.times_s,
                frames
                    .frames_mm_h
                    .iter()
                    .map(|f| f.iter().map(|&v| v as f32).collect())
                    .collect(),
                grid.cells(),
            )
            .map_err(|e| input(format!("{file}: rain.grids: {e}")))?;
            Some(g)
        }
    };
    // Infiltration parameters from rasters: one model per cell.
    let mut infiltration_cells = Vec::new();
    if let Some(inf) = &sc.infiltration_fields {
        let mut columns = Vec::with_capacity(inf.params.len());
        for (name, f) in inf.names.iter().zip(&inf.params) {
            columns.push(match f {
                Field::Value(v) => vec![*v; grid.cells()],
                Field::Raster(p, rs) => {
                    let v = read_aligned(p, grid, *rs, name)
                        .map_err(|e| input(format!("{file}: infiltration.{name}: {e}")))?;
                    if let Some(k) = (0..v.len()).find(|&k| dem.active[k] && v[k].is_nan()) {
                        let (x, y) = grid.cell_centre_m(k % grid.nx, k / grid.nx);
                        return Err(input(format!(
                            "{file}: infiltration.{name}: {} has no value at ({x:.1}, {y:.1}), inside the DEM's domain",
                            p.display()
                        )));
                    }
                    v
                }
            });
        }
        for k in 0..grid.cells() {
            if !dem.active[k] {
                infiltration_cells.push(basintwin_core::Infiltration::None);
                continue;
            }
            let values: Vec<f64> = columns.iter().map(|c| c[k]).collect();
            let m = crate::scenario::infiltration_model(&inf.model, &values);
            if let Err(e) = m.validate() {
                let (x, y) = grid.cell_centre_m(k % grid.nx, k / grid.nx);
                return Err(input(format!(
                    "{file}: infiltration: at ({x:.1}, {y:.1}) the parameters {} = {values:?} are invalid: {e}",
                    inf.names.join(", ")
                )));
            }
            infiltration_cells.push(m);
        }
    }
    let forcing = Forcing {
        rain_mm_h: sc.rain_mm_h.clone(),
        rain_grid,
        sources,
        boundaries: segments,
        infiltration: sc.infiltration,
        infiltration_cells,
    };
    let mut gauge_cells = Vec::new();
    for g in &sc.gauges {
        match grid.cell_at(g.x, g.y) {
            Some((i, j)) if dem.active[grid.index(i, j)] => gauge_cells.push(grid.index(i, j)),
            Some(_) => {
                return Err(input(format!(
                    "{file}: line {}: gauge '{}' at ({}, {}) lies on a nodata cell of the DEM",
                    g.line, g.name, g.x, g.y
                )));
            }
            None => {
                return Err(input(format!(
                    "{file}: line {}: gauge '{}' at ({}, {}) is outside the DEM (x {:.1} .. {:.1}, y {:.1} .. {:.1})",
                    g.line,
                    g.name,
                    g.x,
                    g.y,
                    grid.x_west_m,
                    grid.x_west_m + grid.nx as f64 * grid.dx_m,
                    grid.y_south_m,
                    grid.y_south_m + grid.ny as f64 * grid.dy_m
                )));
            }
        }
    }
    let mut section_faces_all = Vec::new();
    for sec in &sc.sections {
        section_faces_all.push(section_faces(sec, grid, &dem.active).map_err(|m| {
            input(format!(
                "{file}: line {}: section '{}': {m}",
                sec.line, sec.name
            ))
        })?);
    }
    Ok(Model {
        dem,
        terrain,
        depth_m,
        discharge,
        gauge_cells,
        forcing,
        section_faces: section_faces_all,
        warnings,
    })
}

/// The grid faces a section line crosses, with signed lengths: a face counts when the centres
/// of its two cells lie on opposite sides of a segment and the face's centre projects onto the
/// segment (half-open, so that joints are not counted twice). Positive: flow from the left of
/// the line (walking from its first point to its last) to its right.
fn section_faces(
    sec: &Section,
    grid: &Grid,
    active: &[bool],
) -> Result<Vec<(bool, usize, f64)>, String> {
    let (nx, ny) = (grid.nx, grid.ny);
    let centre = |i: usize, j: usize| grid.cell_centre_m(i, j);
    let mut faces = Vec::new();
    for w in sec.points.windows(2) {
        let ([x0, y0], [x1, y1]) = (w[0], w[1]);
        let len = ((x1 - x0).powi(2) + (y1 - y0).powi(2)).sqrt();
        if len == 0.0 {
            continue;
        }
        let (dx, dy) = ((x1 - x0) / len, (y1 - y0) / len);
        let (nrx, nry) = (dy, -dx); // right-hand normal
        let side = |(x, y): (f64, f64)| (x - x0) * nrx + (y - y0) * nry;
        let along = |(x, y): (f64, f64)| ((x - x0) * dx + (y - y0) * dy) / len;
        let mut consider = |y_face: bool,
                            k: usize,
                            a: (usize, usize),
                            b: (usize, usize),
                            face_centre: (f64, f64),
                            flen: f64| {
            let (sa, sb) = (side(centre(a.0, a.1)), side(centre(b.0, b.1)));
            let t = along(face_centre);
            if (sa <= 0.0) != (sb <= 0.0)
                && (0.0..1.0).contains(&t)
                && active[grid.index(a.0, a.1)]
                && active[grid.index(b.0, b.1)]
            {
                // The face normal points from a to b (+x or +y): positive when b is on the right.
                faces.push((y_face, k, if sb > 0.0 { flen } else { -flen }));
            }
        };
        for j in 0..ny {
            for a in 1..nx {
                let fc = (
                    grid.x_west_m + a as f64 * grid.dx_m,
                    grid.y_south_m + (j as f64 + 0.5) * grid.dy_m,
                );
                consider(false, j * (nx + 1) + a, (a - 1, j), (a, j), fc, grid.dy_m);
            }
        }
        for a in 1..ny {
            for i in 0..nx {
                let fc = (
                    grid.x_west_m + (i as f64 + 0.5) * grid.dx_m,
                    grid.y_south_m + a as f64 * grid.dy_m,
                );
                consider(true, a * nx + i, (i, a - 1), (i, a), fc, grid.dx_m);
            }
        }
    }
    if faces.is_empty() {
        return Err("the line crosses no face between two cells of the domain".into());
    }
    Ok(faces)
}

/// The cells of an inflow or stage boundary: a whole side, or the cells of a side whose centres
/// lie between the two points of `line` (which must lie on that edge, within half a cell).
fn resolve_segment(sg: &SegmentSpec, grid: &Grid, file: &str) -> Result<BoundarySegment> {
    let (x0, y0) = (grid.x_west_m, grid.y_south_m);
    let (x1, y1) = (
        x0 + grid.nx as f64 * grid.dx_m,
        y0 + grid.ny as f64 * grid.dy_m,
    );
    let (tx, ty) = (0.5 * grid.dx_m, 0.5 * grid.dy_m);
    let err = |m: String| {
        input(format!(
            "{file}: line {}: boundary '{}': {m}",
            sg.line_no, sg.name
        ))
    };
    let (side, cells) = match sg.line {
        None => {
            let side = sg.side.ok_or_else(|| err("needs side or line".into()))?;
            let len = if matches!(side, Side::West | Side::East) {
                grid.ny
            } else {
                grid.nx
            };
            (side, 0..len)
        }
        Some([[ax, ay], [bx, by]]) => {
            let on = |side: Side| match side {
                Side::West => (ax - x0).abs() <= tx && (bx - x0).abs() <= tx,
                Side::East => (ax - x1).abs() <= tx && (bx - x1).abs() <= tx,
                Side::South => (ay - y0).abs() <= ty && (by - y0).abs() <= ty,
                Side::North => (ay - y1).abs() <= ty && (by - y1).abs() <= ty,
            };
            let side = match sg.side {
                Some(s) if on(s) => s,
                Some(s) => return Err(err(format!(
                        "line [[{ax}, {ay}], [{bx}, {by}]] is not on the {} edge",
                        format!("{s:?}").to_lowercase()
                    ))),
                None => Side::ALL.into_iter().find(|s| on(*s)).ok_or_else(|| {
                    err(format!(
                        "line [[{ax}, {ay}], [{bx}, {by}]] is not on an edge of the domain (x {x0} .. {x1}, y {y0} .. {y1})"
                    ))
                })?,
            };
            let (lo, hi, origin, d, n) = match side {
                Side::West | Side::East => (ay.min(by), ay.max(by), y0, grid.dy_m, grid.ny),
                Side::South | Side::North => (ax.min(bx), ax.max(bx), x0, grid.dx_m, grid.nx),
            };
            let first = (((lo - origin) / d) - 0.5).ceil().max(0.0) as usize;
            let last = ((((hi - origin) / d) - 0.5).floor() + 1.0).clamp(0.0, n as f64) as usize;
            if last <= first {
                return Err(err(format!(
                    "line from {lo} to {hi} covers no cell centre along the edge"
                )));
            }
            (side, first..last)
        }
    };
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

/// Every file a run writes into its output folder.
const OUTPUT_FILES: [&str; 10] = [
    "snapshots.h5",
    "max_depth.tif",
    "max_speed.tif",
    "max_hazard.tif",
    "arrival_time.tif",
    "gauges.csv",
    "sections.csv",
    "hydrographs.png",
    "summary.json",
    CHECKPOINT,
];

/// The full-precision state saved on Ctrl-C (and at the end with `output.checkpoint_at_end`).
pub const CHECKPOINT: &str = "checkpoint.bin";

/// What the CLI keeps in a checkpoint besides the solver state: the series it has sampled.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct CliCheckpoint {
    gauge_names: Vec<String>,
    section_names: Vec<String>,
    series: Vec<(f64, GaugeRow)>,
    section_series: Vec<(f64, Vec<f64>)>,
    prev_tracked: Option<(f64, Vec<f64>)>,
    wall_s: f64,
}

/// Reads the checkpoint of an earlier run in `dir`.
fn read_checkpoint(dir: &Path) -> Result<basintwin_core::Checkpoint> {
    let p = dir.join(CHECKPOINT);
    let bytes = std::fs::read(&p).map_err(|e| {
        input(format!(
            "{}: cannot read the checkpoint to resume from: {e} (a checkpoint is written when a run is stopped with Ctrl-C, or at the end with output.checkpoint_at_end = true)",
            p.display()
        ))
    })?;
    basintwin_core::Checkpoint::from_bytes(&bytes)
        .map_err(|e| input(format!("{}: {e}", p.display())))
}

/// Writes `checkpoint.bin` through a temporary file, so a crash never leaves half of one.
fn write_checkpoint(dir: &Path, c: &basintwin_core::Checkpoint) -> Result<()> {
    let p = dir.join(CHECKPOINT);
    let tmp = dir.join(format!(".{CHECKPOINT}.tmp"));
    std::fs::write(&tmp, c.to_bytes())
        .and_then(|()| std::fs::rename(&tmp, &p))
        .with_context(|| format!("{}: cannot write the checkpoint", p.display()))
}

/// Refuses to write into an existing, non-empty output folder unless `overwrite`, and then
/// clears the earlier run's results from it.
fn prepare_output(dir: &Path, overwrite: bool) -> Result<()> {
    if dir.exists() {
        let non_empty = std::fs::read_dir(dir)
            .with_context(|| format!("{}: cannot list the output folder", dir.display()))?
            .next()
            .is_some();
        if non_empty && !overwrite {
            return Err(input(format!(
                "{}: the output folder exists and is not empty; pass --overwrite to replace its results, or choose another with --output",
                dir.display()
            )));
        }
        // Replacing: remove the results of the earlier run (only files basintwin writes), so
        // that none of them lingers next to the new ones.
        for f in OUTPUT_FILES {
            let p = dir.join(f);
            if p.is_file() {
                std::fs::remove_file(&p)
                    .map_err(|e| input(format!("{}: cannot replace: {e}", p.display())))?;
            }
        }
    } else {
        std::fs::create_dir_all(dir).map_err(|e| {
            input(format!(
                "{}: cannot create the output folder: {e}",
                dir.display()
            ))
        })?;
    }
    Ok(())
}

/// Runs the scenario; returns the path of `summary.json`.
pub fn run_scenario(sc: &Scenario, opts: RunOptions) -> Result<PathBuf> {
    if sc.backend == "gpu" && sc.precision == Precision::F64 {
        return Err(input(format!(
            "{}: solver.precision = \"f64\" with the GPU backend: the GPU computes in f32; use precision = \"f32\" or --backend cpu",
            sc.file.display()
        )));
    }
    let model = load_model(sc)?;
    if opts.resume {
        if !sc.output_dir.join(CHECKPOINT).is_file() {
            return Err(input(format!(
                "{}: no {CHECKPOINT} to resume from (a checkpoint is written when a run is stopped with Ctrl-C, or at its end with output.checkpoint_at_end = true)",
                sc.output_dir.display()
            )));
        }
    } else {
        prepare_output(&sc.output_dir, opts.overwrite)?;
    }
    if !opts.quiet && !opts.json {
        for w in sc.warnings.iter().chain(&model.warnings) {
            eprintln!("warning: {w}");
        }
    }
    if sc.backend == "gpu" {
        return execute_gpu(sc, &model, &opts);
    }
    match sc.precision {
        Precision::F32 => execute::<f32>(sc, &model, &opts),
        Precision::F64 => execute::<f64>(sc, &model, &opts),
    }
}

#[derive(Debug, Clone, serde::Serialize)]
struct GaugeSummary {
    name: String,
    x: f64,
    y: f64,
    peak_depth_m: f64,
    peak_level_m: f64,
    peak_time_s: f64,
    warning_level_m: Option<f64>,
    warning_exceeded_at_s: Option<f64>,
}

/// Depth, level and speed of each gauge at one output.
type GaugeRow = Vec<(f64, f64, f64)>;

fn execute<R: Real>(sc: &Scenario, model: &Model, opts: &RunOptions) -> Result<PathBuf> {
    let grid: &Grid = &model.dem.grid;
    let state = model.initial_state::<R>();
    let mut backend = CpuBackend::<R>::new(
        grid.clone(),
        &model.terrain,
        state,
        sc.solver.clone(),
        opts.threads,
    )
    .map_err(|e| input(format!("{}: {e}", sc.file.display())))?;
    if let Some(flag) = &opts.interrupt {
        backend.set_interrupt(flag.clone());
    }
    backend
        .set_forcing(model.forcing.clone())
        .map_err(|e| input(format!("{}: {e}", sc.file.display())))?;
    for faces in &model.section_faces {
        backend
            .track_faces(faces.clone())
            .map_err(|e| input(format!("{}: {e}", sc.file.display())))?;
    }
    drive(sc, model, opts, backend)
}

/// Runs the scenario on the GPU (f32): the adapter from `BASINTWIN_ADAPTER` or the best one.
fn execute_gpu(sc: &Scenario, model: &Model, opts: &RunOptions) -> Result<PathBuf> {
    let file = sc.file.display();
    let adapter = std::env::var("BASINTWIN_ADAPTER").ok();
    let ctx = basintwin_gpu::GpuContext::new(adapter.as_deref())
        .map_err(|e| input(format!("{file}: --backend gpu: {e}")))?;
    let state = model.initial_state::<f32>();
    let mut backend = basintwin_gpu::GpuBackend::new(
        ctx,
        model.dem.grid.clone(),
        &model.terrain,
        state,
        sc.solver.clone(),
    )
    .map_err(|e| input(format!("{file}: --backend gpu: {e}")))?;
    if let Some(flag) = &opts.interrupt {
        backend.set_interrupt(flag.clone());
    }
    backend
        .set_forcing(model.forcing.clone())
        .map_err(|e| input(format!("{file}: --backend gpu: {e}")))?;
    for faces in &model.section_faces {
        backend
            .track_faces(faces.clone())
            .map_err(|e| input(format!("{file}: --backend gpu: {e}")))?;
    }
    if !opts.quiet && !opts.json {
        eprintln!("  GPU adapter: {}", backend.adapter());
    }
    drive(sc, model, opts, backend)
}

/// The run itself, for any backend: resume, outputs, results.
fn drive<B: Backend>(
    sc: &Scenario,
    model: &Model,
    opts: &RunOptions,
    mut backend: B,
) -> Result<PathBuf> {
    let grid: &Grid = &model.dem.grid;
    let out = &sc.output_dir;
    let gauge_names: Vec<String> = sc.gauges.iter().map(|g| g.name.clone()).collect();
    let section_names: Vec<String> = sc.sections.iter().map(|s| s.name.clone()).collect();
    // Resuming: the solver state from the checkpoint, the series sampled before it.
    let mut saved = CliCheckpoint::default();
    if opts.resume {
        let ckpt = read_checkpoint(out)?;
        let where_ = out.join(CHECKPOINT);
        backend.restore(&ckpt).map_err(|e| {
            input(format!(
                "{}: cannot resume {}: {e}",
                where_.display(),
                sc.file.display()
            ))
        })?;
        saved = serde_json::from_str(&ckpt.header.extra).map_err(|e| {
            input(format!(
                "{}: the run's series are unreadable: {e}",
                where_.display()
            ))
        })?;
        if saved.gauge_names != gauge_names || saved.section_names != section_names {
            return Err(input(format!(
                "{}: the scenario's gauges or sections changed since the checkpoint (it has gauges {:?} and sections {:?}); resume with the same ones, or start again with --overwrite",
                where_.display(),
                saved.gauge_names,
                saved.section_names
            )));
        }
    }
    let t_resume = backend.time_s();
    // Snapshot times, merged with the (usually denser) gauge sampling times.
    let snaps = OutputSchedule::every(sc.output_interval_s, sc.duration_s)
        .map_err(|e| input(format!("{}: {e}", sc.file.display())))?;
    let samples = OutputSchedule::every(sc.gauge_interval_s, sc.duration_s)
        .map_err(|e| input(format!("{}: {e}", sc.file.display())))?;
    let tol = 1e-9 * sc.duration_s.max(1.0);
    let mut times: Vec<f64> = snaps
        .times_s()
        .iter()
        .chain(samples.times_s())
        .copied()
        .filter(|&t| !opts.resume || t > t_resume + tol)
        .collect();
    if times.is_empty() {
        return Err(input(format!(
            "{}: the checkpoint in {} is at t = {t_resume} s, the end of the run (time.duration_s = {}); lengthen the duration to continue",
            sc.file.display(),
            out.display(),
            sc.duration_s
        )));
    }
    times.sort_by(f64::total_cmp);
    times.dedup_by(|a, b| (*a - *b).abs() <= 1e-9 * sc.duration_s.max(1.0));
    let schedule =
        OutputSchedule::at(times).map_err(|e| input(format!("{}: {e}", sc.file.display())))?;
    let is_snapshot = |t: f64| {
        snaps
            .times_s()
            .iter()
            .any(|&s| (s - t).abs() <= 1e-9 * sc.duration_s.max(1.0))
    };
    let meta = SnapshotMeta {
        title: sc.name.clone(),
        scenario: sc.file.display().to_string(),
        scheme: sc.solver.scheme.name().into(),
        backend: backend.describe(),
        precision: <B::Real as Real>::NAME.into(),
        start: sc.start.clone(),
    };
    let mut snapshots = if opts.resume {
        SnapshotWriter::open_append(out.join("snapshots.h5"), grid, &model.dem.bed_m, t_resume)?
    } else {
        SnapshotWriter::create(
            out.join("snapshots.h5"),
            grid,
            &model.dem.bed_m,
            &meta,
            true,
        )?
    };
    if !opts.quiet && !opts.json {
        eprintln!(
            "{}: {} x {} cells of {} m, {} ({}), {} s to simulate, outputs every {} s -> {}",
            sc.name,
            grid.nx,
            grid.ny,
            grid.dx_m,
            sc.solver.scheme,
            backend.describe(),
            sc.duration_s,
            sc.output_interval_s,
            out.display()
        );
    }
    // Gauge series: time, then depth, level, speed of each gauge.
    let mut series: Vec<(f64, GaugeRow)> = std::mem::take(&mut saved.series);
    let mut section_series: Vec<(f64, Vec<f64>)> = std::mem::take(&mut saved.section_series);
    let mut prev_tracked: Option<(f64, Vec<f64>)> = saved.prev_tracked.take();
    let wall_before = saved.wall_s;
    if opts.resume && !opts.quiet && !opts.json {
        eprintln!(
            "  resuming at t = {t_resume} s after {} steps",
            backend.steps()
        );
    }
    let wall = Instant::now();
    let bed = &model.terrain.bed_m;
    // Progress: simulated time as a bar (per mille of the duration), ETA and speed.
    let bar = (!opts.quiet && !opts.json).then(|| {
        let bar = indicatif::ProgressBar::new(1000);
        let style =
            indicatif::ProgressStyle::with_template("  [{bar:40}] {percent:>3}%  ETA {eta}  {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> ");
        bar.set_style(style);
        bar
    });
    let result = run(&mut backend, &schedule, |o| -> Result<(), anyhow::Error> {
        if is_snapshot(o.time_s) {
            snapshots.append(o.time_s, o.state)?;
        }
        let row = model
            .gauge_cells
            .iter()
            .map(|&k| {
                let h = o.state.h[k].f64();
                let q = (o.state.qx[k].f64().powi(2) + o.state.qy[k].f64().powi(2)).sqrt();
                let v = if h > sc.solver.dry_depth_m {
                    q / h
                } else {
                    0.0
                };
                (h, bed[k] + h, v)
            })
            .collect();
        series.push((o.time_s, row));
        // Mean discharge since the previous output: the volume through the faces / the time.
        let flows: Vec<f64> = match prev_tracked.as_ref() {
            Some((t0, v0)) if o.time_s > *t0 => o
                .tracked_m3
                .iter()
                .zip(v0)
                .map(|(v, v0)| (v - v0) / (o.time_s - t0))
                .collect(),
            _ => vec![0.0; o.tracked_m3.len()],
        };
        prev_tracked = Some((o.time_s, o.tracked_m3.to_vec()));
        section_series.push((o.time_s, flows));
        let elapsed = wall.elapsed().as_secs_f64();
        let frac = o.time_s / sc.duration_s;
        if opts.json {
            let line = serde_json::json!({
                "event": "output", "index": o.index, "time_s": o.time_s, "steps": o.steps,
                "volume_m3": o.ledger.volume_m3, "mass_error": o.ledger.relative_error(),
                "wall_s": elapsed,
            });
            println!("{line}");
        } else if let Some(bar) = &bar {
            bar.set_position((1000.0 * frac).round() as u64);
            bar.set_message(format!(
                "t = {:.0} s, {} steps, {:.0}x real time",
                o.time_s,
                o.steps,
                if elapsed > 0.0 {
                    o.time_s / elapsed
                } else {
                    0.0
                }
            ));
        }
        Ok(())
    });
    if let Some(bar) = &bar {
        bar.finish();
    }
    let mut late_warnings: Vec<String> = Vec::new();
    // The solver's state with the series sampled so far (written on Ctrl-C, and at the end
    // with `output.checkpoint_at_end`); a backend without checkpoints leaves a warning.
    let save_checkpoint =
        |wall_s: f64, backend: &mut B, warnings: &mut Vec<String>| -> Result<()> {
            let extra = CliCheckpoint {
                gauge_names: gauge_names.clone(),
                section_names: section_names.clone(),
                series: series.clone(),
                section_series: section_series.clone(),
                prev_tracked: prev_tracked.clone(),
                wall_s,
            };
            match backend.checkpoint(serde_json::to_string(&extra)?) {
                Ok(ckpt) => write_checkpoint(out, &ckpt)?,
                Err(e) => warnings.push(format!("no checkpoint written: {e}")),
            }
            Ok(())
        };
    let (summary, interrupted) = match result {
        Ok(mut s) => {
            // Totals over the whole run, resumed or not.
            s.wall_s += wall_before;
            s.steps = backend.steps();
            s.cell_updates_per_s = if s.wall_s > 0.0 {
                s.steps as f64 * s.cells as f64 / s.wall_s
            } else {
                0.0
            };
            if sc.checkpoint_at_end {
                save_checkpoint(s.wall_s, &mut backend, &mut late_warnings)?;
            } else if opts.resume {
                // Used up: resuming from it again would redo what this run did.
                let _ = std::fs::remove_file(out.join(CHECKPOINT));
            }
            (s, None)
        }
        Err(e) => match e.downcast::<CoreError>() {
            // Ctrl-C: the state is a whole step; save it as a last snapshot and write every
            // result as at the end of a run.
            Ok(CoreError::Interrupted { time_s }) => {
                let mut last = State::<B::Real>::dry(grid.cells());
                backend.read_state(&mut last)?;
                // Outputs are written only after `advance_to` lands on them, so this time is later
                // than every snapshot in the file.
                snapshots.append(time_s, &last)?;
                let wall_s = wall_before + wall.elapsed().as_secs_f64();
                save_checkpoint(wall_s, &mut backend, &mut late_warnings)?;
                let steps = backend.steps();
                let s = basintwin_core::RunSummary {
                    backend: backend.describe(),
                    steps,
                    simulated_s: time_s,
                    wall_s,
                    cells: grid.cells(),
                    cell_updates_per_s: if wall_s > 0.0 {
                        steps as f64 * grid.cells() as f64 / wall_s
                    } else {
                        0.0
                    },
                    ledger: backend.ledger(),
                };
                (s, Some(time_s))
            }
            Ok(core) => {
                return Err(anyhow!(core)).context(format!(
                    "{}: the simulation failed; the snapshots up to the failure are in {}",
                    sc.file.display(),
                    out.join("snapshots.h5").display()
                ));
            }
            Err(other) => return Err(other),
        },
    };
    // Maps.
    let mut maxima = Maxima::new(grid.cells());
    backend.read_maxima(&mut maxima)?;
    basintwin_io::write_flood_maps(out, grid, &model.dem.active, &maxima, true)?;
    // Gauges.
    let mut gauges_out = Vec::new();
    if !sc.gauges.is_empty() {
        let mut csv = String::from("time_s");
        for g in &sc.gauges {
            csv.push_str(&format!(",{0}_depth_m,{0}_level_m,{0}_speed_m_s", g.name));
        }
        csv.push('\n');
        for (t, row) in &series {
            csv.push_str(&format!("{t}"));
            for (h, l, v) in row {
                csv.push_str(&format!(",{h:.6},{l:.6},{v:.6}"));
            }
            csv.push('\n');
        }
        std::fs::write(out.join("gauges.csv"), csv)
            .with_context(|| format!("{}: cannot write gauges.csv", out.display()))?;
        for (gi, g) in sc.gauges.iter().enumerate() {
            gauges_out.push(gauge_summary(g, gi, &series));
        }
    }
    let mut sections_out = Vec::new();
    if !sc.sections.is_empty() {
        let mut csv = String::from("time_s");
        for s in &sc.sections {
            csv.push_str(&format!(",{}_mean_discharge_m3_s", s.name));
        }
        csv.push('\n');
        for (t, row) in &section_series {
            csv.push_str(&format!("{t}"));
            for q in row {
                csv.push_str(&format!(",{q:.6}"));
            }
            csv.push('\n');
        }
        std::fs::write(out.join("sections.csv"), csv)
            .with_context(|| format!("{}: cannot write sections.csv", out.display()))?;
        for (k, s) in sc.sections.iter().enumerate() {
            let (mut peak, mut at) = (0.0f64, 0.0);
            for (t, row) in &section_series {
                if row[k].abs() > peak.abs() {
                    peak = row[k];
                    at = *t;
                }
            }
            sections_out.push(
                serde_json::json!({"name": s.name, "peak_discharge_m3_s": peak, "peak_time_s": at}),
            );
        }
    }
    // Plot.
    let mut warnings: Vec<String> = sc.warnings.clone();
    warnings.extend(model.warnings.iter().cloned());
    warnings.extend(late_warnings);
    let gauge_lines: Vec<crate::plot::Line> = sc
        .gauges
        .iter()
        .enumerate()
        .map(|(gi, g)| crate::plot::Line {
            name: g.name.clone(),
            points: series.iter().map(|(t, row)| (*t, row[gi].1)).collect(),
            warning: g.warning_level_m,
        })
        .collect();
    let section_lines: Vec<crate::plot::Line> = sc
        .sections
        .iter()
        .enumerate()
        .map(|(k, s)| crate::plot::Line {
            name: s.name.clone(),
            points: section_series
                .iter()
                .skip(1)
                .map(|(t, row)| (*t, row[k]))
                .collect(),
            warning: None,
        })
        .collect();
    if !(gauge_lines.is_empty() && section_lines.is_empty()) {
        match crate::plot::hydrographs(&out.join("hydrographs.png"), &sc.name, &gauge_lines, &section_lines, summary.simulated_s) {
            Ok(true) => {}
            Ok(false) => warnings.push("hydrographs.png not drawn: no DejaVu font found (Debian: apt-get install fonts-dejavu-core)".into()),
            Err(e) => warnings.push(format!("hydrographs.png not drawn: {e}")),
        }
    }
    let ledger = summary.ledger;
    let written: Vec<&str> = OUTPUT_FILES
        .into_iter()
        .filter(|f| *f == "summary.json" || out.join(f).is_file())
        .collect();
    let doc = serde_json::json!({
        "scenario": sc.file.display().to_string(),
        "name": sc.name,
        "start": sc.start,
        "scheme": sc.solver.scheme.name(),
        "backend": summary.backend,
        "precision": <B::Real as Real>::NAME,
        "grid": { "nx": grid.nx, "ny": grid.ny, "dx_m": grid.dx_m, "dy_m": grid.dy_m, "x_west_m": grid.x_west_m, "y_south_m": grid.y_south_m },
        "simulated_s": summary.simulated_s,
        "wall_s": summary.wall_s,
        "steps": summary.steps,
        "cells": summary.cells,
        "cell_updates_per_s": summary.cell_updates_per_s,
        "mass_balance": {
            "initial_m3": ledger.volume_initial_m3,
            "final_m3": ledger.volume_m3,
            "boundary_inflow_m3": ledger.boundary_inflow_m3,
            "boundary_outflow_m3": ledger.boundary_outflow_m3,
            "source_inflow_m3": ledger.source_inflow_m3,
            "rain_m3": ledger.rain_m3,
            "infiltration_m3": ledger.infiltration_m3,
            "positivity_correction_m3": ledger.positivity_correction_m3,
            "error_m3": ledger.error_m3(),
            "relative_error": ledger.relative_error(),
        },
        "gauges": gauges_out,
        "sections": sections_out,
        "warnings": warnings,
        "interrupted_at_s": interrupted,
        "resumed_from_s": opts.resume.then_some(t_resume),
        "outputs": written,
    });
    let path = out.join("summary.json");
    let text = serde_json::to_string_pretty(&doc)?;
    std::fs::write(&path, text).with_context(|| format!("{}: cannot write", path.display()))?;
    if opts.json {
        println!(
            "{}",
            serde_json::json!({"event": "done", "summary": path.display().to_string(), "steps": summary.steps, "wall_s": summary.wall_s, "mass_error": ledger.relative_error()})
        );
    } else if !opts.quiet {
        eprintln!("{ledger}");
        eprintln!(
            "{} steps in {:.1} s wall, {:.1} M cell updates/s; results in {}",
            summary.steps,
            summary.wall_s,
            summary.cell_updates_per_s / 1e6,
            out.display()
        );
    }
    if let Some(t) = interrupted {
        return Err(anyhow!(Interrupted(format!(
            "{}: interrupted at t = {t:.1} s; the results up to then (snapshots, maps, gauges, summary) are in {}; continue with: basintwin run {} --output {} --resume",
            sc.file.display(),
            out.display(),
            sc.file.display(),
            out.display()
        ))));
    }
    Ok(path)
}

/// The run stopped on Ctrl-C after saving its results (exit code 130).
#[derive(Debug)]
pub struct Interrupted(pub String);

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Interrupted {}

fn gauge_summary(g: &Gauge, gi: usize, series: &[(f64, GaugeRow)]) -> GaugeSummary {
    let (mut peak_h, mut peak_l, mut peak_t) = (0.0f64, f64::NEG_INFINITY, 0.0);
    let mut exceeded = None;
    for (t, row) in series {
        let (h, l, _) = row[gi];
        if h > peak_h || peak_l == f64::NEG_INFINITY {
            if h > peak_h {
                peak_t = *t;
            }
            peak_h = peak_h.max(h);
        }
        peak_l = peak_l.max(l);
        if let Some(w) = g.warning_level_m
            && exceeded.is_none()
            && l > w
            && h > 0.0
        {
            exceeded = Some(*t);
        }
    }
    GaugeSummary {
        name: g.name.clone(),
        x: g.x,
        y: g.y,
        peak_depth_m: peak_h,
        peak_level_m: peak_l,
        peak_time_s: peak_t,
        warning_level_m: g.warning_level_m,
        warning_exceeded_at_s: exceeded,
    }
}
