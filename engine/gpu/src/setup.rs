//! Building a [`GpuBackend`](crate::GpuBackend), one concern per function: the sizes and
//! dispatch shapes of the grid ([`Dims`]), the run constants ([`params`]), the initial fields
//! ([`Fields`]), one buffer per binding the module declares ([`create_buffers`], sized by
//! [`required_bytes`]), the pipelines ([`compile`]) and the forcing as device arrays
//! ([`ForcingArrays`]).

use std::collections::HashMap;

use basintwin_core::{
    BoundaryKind, Forcing, Grid, Infiltration, Scheme, SegmentKind, SolverConfig, State, Terrain,
};
use wgpu::util::DeviceExt;

use crate::bindings::{Binding, Buffers};
use crate::context::{GpuContext, describe};
use crate::error::GpuError;
use crate::layout::{
    ARRIVAL_NOT_YET, BC_FREE, BC_NORMAL_DEPTH, BC_WALL, Control, INFIL_CONSTANT, INFIL_GREEN_AMPT,
    INFIL_HORTON, INFIL_NONE, INFIL_SCS, Params, SEG_FACE_HIGH, SEG_FACE_Y, SEG_INFLOW, SEG_STAGE,
    SERIES_FIRST_SOURCE, WORKGROUP,
};

/// The names of the bindings (the WGSL variables, see the `@binding` lines of the shaders), by
/// which buffers are made, found and bound. A test checks that each is declared by a module.
pub mod name {
    pub const PARAMS: &str = "params";
    pub const CONTROL: &str = "control";
    pub const H: &str = "h";
    pub const QX: &str = "qx";
    pub const QY: &str = "qy";
    pub const Z: &str = "z";
    pub const GN2: &str = "gn2";
    pub const MASK: &str = "mask";
    pub const SCALE: &str = "scale";
    pub const MAXIMA: &str = "maxima";
    pub const PARTIALS: &str = "partials";
    /// fv: fluxes through x and y faces.
    pub const FX: &str = "fx";
    pub const FY: &str = "fy";
    /// fv2: the Runge-Kutta stage and the slopes.
    pub const HS: &str = "hs";
    pub const QXS: &str = "qxs";
    pub const QYS: &str = "qys";
    pub const SLOPE_X: &str = "slope_x";
    pub const SLOPE_Y: &str = "slope_y";
    /// inertial: face discharges, old and new.
    pub const QFX: &str = "qfx";
    pub const QFY: &str = "qfy";
    pub const QFX_NEW: &str = "qfx_new";
    pub const QFY_NEW: &str = "qfy_new";
    /// Forcing.
    pub const SERIES: &str = "series";
    pub const SERIES_INDEX: &str = "series_index";
    pub const SOURCE_CELL: &str = "source_cell";
    pub const INFIL: &str = "infil";
    pub const INFILTRATED: &str = "infiltrated";
    pub const FRAMES: &str = "frames";
    pub const FRAME_TW: &str = "frame_tw";
    pub const RAIN_CUM: &str = "rain_cum";
    pub const RAIN_CARRY: &str = "rain_carry";
    pub const SEG_FACES: &str = "seg_faces";
    pub const SEG_INFO: &str = "seg_info";
    pub const SEG_Q: &str = "seg_q";
    pub const TRACK_FACES: &str = "track_faces";
    pub const TRACKED: &str = "tracked";

    /// Every name above.
    pub const ALL: [&str; 36] = [
        PARAMS,
        CONTROL,
        H,
        QX,
        QY,
        Z,
        GN2,
        MASK,
        SCALE,
        MAXIMA,
        PARTIALS,
        FX,
        FY,
        HS,
        QXS,
        QYS,
        SLOPE_X,
        SLOPE_Y,
        QFX,
        QFY,
        QFX_NEW,
        QFY_NEW,
        SERIES,
        SERIES_INDEX,
        SOURCE_CELL,
        INFIL,
        INFILTRATED,
        FRAMES,
        FRAME_TW,
        RAIN_CUM,
        RAIN_CARRY,
        SEG_FACES,
        SEG_INFO,
        SEG_Q,
        TRACK_FACES,
        TRACKED,
    ];
}

/// Largest number of workgroups along one dispatch dimension (WebGPU's limit).
const MAX_GROUPS: u32 = 65_535;

/// How many invocations a kernel of the step program runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Span {
    /// One workgroup.
    One,
    Cells,
    FacesX,
    FacesY,
    /// Both face directions in one dispatch (the larger count).
    FacesXY,
    /// The 2 (nx + ny) faces on the domain edge.
    Edges,
    /// The faces of the boundary segments.
    SegFaces,
}

/// The grid's sizes on the device and the shape of its 2D dispatches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dims {
    pub nx: u64,
    pub ny: u64,
    pub cells: u64,
    /// Workgroups along x of every 2D dispatch.
    pub groups_x: u32,
}

impl Dims {
    /// Checks that the grid fits the device (32-bit indices, one storage binding per array,
    /// the dispatch limits).
    pub fn new(grid: &Grid, ctx: &GpuContext) -> Result<Self, GpuError> {
        let (nx, ny) = (grid.nx as u64, grid.ny as u64);
        let cells = nx * ny;
        let faces = (nx + 1) * ny.max(1) + nx * (ny + 1);
        let limit = ctx
            .limits
            .max_storage_buffer_binding_size
            .min(ctx.limits.max_buffer_size);
        let largest = 16 * ((nx + 1) * ny).max(nx * (ny + 1));
        if faces >= u64::from(u32::MAX) / 2 {
            return Err(GpuError::Unsupported(format!(
                "{nx} x {ny} cells: too many for 32-bit indices on the GPU"
            )));
        }
        if largest > limit {
            return Err(GpuError::Unsupported(format!(
                "{nx} x {ny} cells need {} MiB per face array, over this adapter's \
                 storage-binding limit of {} MiB ({}); split the domain or use the CPU backend",
                largest >> 20,
                limit >> 20,
                describe(&ctx.info)
            )));
        }
        let groups = cells.div_ceil(u64::from(WORKGROUP));
        let dims = Self {
            nx,
            ny,
            cells,
            groups_x: groups.min(u64::from(MAX_GROUPS)) as u32,
        };
        if [Span::Cells, Span::FacesXY, Span::Edges]
            .iter()
            .any(|&s| dims.dispatch(s, 0).1 > MAX_GROUPS)
        {
            return Err(GpuError::Unsupported(format!(
                "{nx} x {ny} cells: more workgroups than one dispatch allows"
            )));
        }
        Ok(dims)
    }

    /// Workgroups (x, y) of a kernel over `span`.
    pub fn dispatch(&self, span: Span, seg_faces: u32) -> (u32, u32) {
        let (nx, ny) = (self.nx, self.ny);
        let n = match span {
            Span::One => return (1, 1),
            Span::Cells => self.cells,
            Span::FacesX => (nx + 1) * ny,
            Span::FacesY => nx * (ny + 1),
            Span::FacesXY => ((nx + 1) * ny).max(nx * (ny + 1)),
            Span::Edges => 2 * (nx + ny),
            Span::SegFaces => u64::from(seg_faces),
        };
        let groups = n.div_ceil(u64::from(WORKGROUP));
        let y = groups.div_ceil(u64::from(self.groups_x.max(1)));
        (self.groups_x, y.max(1) as u32)
    }
}

fn bc(kind: BoundaryKind) -> (u32, f32) {
    match kind {
        BoundaryKind::Wall => (BC_WALL, 0.0),
        BoundaryKind::Free => (BC_FREE, 0.0),
        BoundaryKind::NormalDepth { slope } => (BC_NORMAL_DEPTH, slope as f32),
    }
}

/// The run constants before any forcing is set.
pub fn params(grid: &Grid, terrain: &Terrain, cfg: &SolverConfig, dims: &Dims) -> Params {
    let d_cells = dims.dispatch(Span::Cells, 0);
    let b = &cfg.boundaries;
    let (bw, sw) = bc(b.west);
    let (be, se) = bc(b.east);
    let (bs, ss) = bc(b.south);
    let (bn, sn) = bc(b.north);
    Params {
        nx: dims.nx as u32,
        ny: dims.ny as u32,
        cells: dims.cells as u32,
        groups_x: dims.groups_x,
        dx: grid.dx_m as f32,
        dy: grid.dy_m as f32,
        g: cfg.gravity_m_s2 as f32,
        h_dry: cfg.dry_depth_m as f32,
        courant: cfg.courant() as f32,
        max_dt: cfg.max_dt_s as f32,
        min_dt: cfg.min_dt_s as f32,
        arrival_depth: cfg.arrival_depth_m as f32,
        bc_west: bw,
        bc_east: be,
        bc_south: bs,
        bc_north: bn,
        slope_west: sw,
        slope_east: se,
        slope_south: ss,
        slope_north: sn,
        n_partials: d_cells.0 * d_cells.1,
        active_cells: terrain.active.iter().filter(|a| **a).count() as u32,
        theta: cfg.theta as f32,
        rk_stages: if cfg.scheme == Scheme::Fv2 { 2 } else { 1 },
        ..Params::default()
    }
}

/// The fields as uploaded: inactive cells dry, on a zero bed.
#[derive(Debug, Clone, PartialEq)]
pub struct Fields {
    pub h: Vec<f32>,
    pub qx: Vec<f32>,
    pub qy: Vec<f32>,
    pub z: Vec<f32>,
    /// `g n^2` per cell.
    pub gn2: Vec<f32>,
    /// 1 for active cells.
    pub mask: Vec<u32>,
    /// Per cell: depth, speed, hazard, arrival (as the CPU backend starts them).
    pub maxima: Vec<[f32; 4]>,
    /// The largest CFL rate of the initial state (1/s).
    pub max_rate: f64,
    /// The sum of the initial depths (m; times the cell area, the volume).
    pub depth_sum_m: f64,
    /// inertial: the initial discharges through x and y faces (empty otherwise).
    pub face_x: Vec<f32>,
    pub face_y: Vec<f32>,
}

impl Fields {
    pub fn new(grid: &Grid, terrain: &Terrain, state: State<f32>, cfg: &SolverConfig) -> Self {
        let cells = grid.cells();
        let g = cfg.gravity_m_s2;
        let active = |k: usize| terrain.active[k];
        let mut f = Self {
            mask: terrain.active.iter().map(|&a| u32::from(a)).collect(),
            z: (0..cells)
                .map(|k| {
                    if active(k) {
                        terrain.bed_m[k] as f32
                    } else {
                        0.0
                    }
                })
                .collect(),
            gn2: (0..cells)
                .map(|k| {
                    let n = terrain.manning_at(k);
                    (g * n * n) as f32
                })
                .collect(),
            h: state.h,
            qx: state.qx,
            qy: state.qy,
            maxima: Vec::new(),
            max_rate: 0.0,
            depth_sum_m: 0.0,
            face_x: Vec::new(),
            face_y: Vec::new(),
        };
        for k in (0..cells).filter(|&k| !active(k)) {
            (f.h[k], f.qx[k], f.qy[k]) = (0.0, 0.0, 0.0);
        }
        f.start_maxima(grid, cfg);
        if cfg.scheme == Scheme::Inertial {
            f.start_face_discharges(grid, terrain);
        }
        f
    }

    /// Maxima, CFL rate and volume of the initial state, as the CPU backend starts them.
    fn start_maxima(&mut self, grid: &Grid, cfg: &SolverConfig) {
        let (g, hd) = (cfg.gravity_m_s2, cfg.dry_depth_m);
        let inertial = cfg.scheme == Scheme::Inertial;
        self.maxima = Vec::with_capacity(self.h.len());
        for k in 0..self.h.len() {
            let h = f64::from(self.h[k]);
            self.depth_sum_m += h;
            let (u, v) = if h > hd {
                (f64::from(self.qx[k]) / h, f64::from(self.qy[k]) / h)
            } else {
                (0.0, 0.0)
            };
            if h > hd {
                let c = (g * h).sqrt();
                self.max_rate = self.max_rate.max(if inertial {
                    c / grid.dx_m.min(grid.dy_m)
                } else {
                    (u.abs() + c) / grid.dx_m + (v.abs() + c) / grid.dy_m
                });
            }
            let speed = (u * u + v * v).sqrt();
            let arrival = if h > cfg.arrival_depth_m {
                0.0
            } else {
                ARRIVAL_NOT_YET
            };
            self.maxima
                .push([h as f32, speed as f32, (h * (speed + 0.5)) as f32, arrival]);
        }
    }

    /// inertial: face discharges start as the mean of the two cells' (interior faces between
    /// active cells), as on the CPU.
    fn start_face_discharges(&mut self, grid: &Grid, terrain: &Terrain) {
        let (nx, ny) = (grid.nx, grid.ny);
        let act = |i: usize, j: usize| terrain.active[j * nx + i];
        self.face_x = vec![0.0; (nx + 1) * ny];
        self.face_y = vec![0.0; nx * (ny + 1)];
        for j in 0..ny {
            for a in 1..nx {
                if act(a - 1, j) && act(a, j) {
                    self.face_x[j * (nx + 1) + a] =
                        0.5 * (self.qx[j * nx + a - 1] + self.qx[j * nx + a]);
                }
            }
        }
        for a in 1..ny {
            for i in 0..nx {
                if act(i, a - 1) && act(i, a) {
                    self.face_y[a * nx + i] =
                        0.5 * (self.qy[(a - 1) * nx + i] + self.qy[a * nx + i]);
                }
            }
        }
    }
}

/// The bytes the kernels index in binding `name` for a model with these parameters and
/// `series` (points per series); `None` for a binding the backend has no rule for. A forcing
/// the model does not have needs none (its kernel is not dispatched), except the rain series,
/// which `plan` reads every step.
pub fn required_bytes(name: &str, p: &Params, series: &[usize]) -> Option<u64> {
    use name::*;
    let cells = u64::from(p.cells);
    let (nx, ny) = (u64::from(p.nx), u64::from(p.ny));
    let (nfx, nfy) = ((nx + 1) * ny, nx * (ny + 1));
    let when = |on: bool, bytes: u64| if on { bytes } else { 0 };
    let frames = u64::from(p.n_frames);
    Some(match name {
        PARAMS => std::mem::size_of::<Params>() as u64,
        CONTROL => std::mem::size_of::<Control>() as u64,
        H | QX | QY | Z | GN2 | MASK | SCALE | HS | QXS | QYS => 4 * cells,
        MAXIMA | SLOPE_X | SLOPE_Y => 16 * cells,
        PARTIALS => 16 * u64::from(p.n_partials),
        FX => 16 * nfx,
        FY => 16 * nfy,
        QFX | QFX_NEW => 4 * nfx,
        QFY | QFY_NEW => 4 * nfy,
        SERIES => 8 * series.iter().sum::<usize>() as u64,
        SERIES_INDEX => 8 * series.len().max(1) as u64,
        SOURCE_CELL => 4 * u64::from(p.n_sources),
        INFIL => when(p.infiltration != 0, 16 * cells),
        INFILTRATED => when(p.infiltration != 0, 4 * cells),
        FRAMES => 4 * frames * cells,
        FRAME_TW => 8 * frames,
        RAIN_CUM => when(frames > 0, 4 * cells),
        RAIN_CARRY => when(p.rain != 0, 4 * cells),
        SEG_FACES => 16 * u64::from(p.n_seg_faces),
        SEG_INFO => 16 * u64::from(p.n_segments),
        SEG_Q => 4 * u64::from(p.n_seg_faces + p.n_segments),
        TRACK_FACES => 16 * u64::from(p.n_track_faces),
        TRACKED => 8 * u64::from(p.n_sections),
        _ => return None,
    })
}

/// A storage buffer holding `data` (padded to 16 bytes), labelled with its binding's name.
pub fn storage_init(dev: &wgpu::Device, name: &str, data: &[u8]) -> wgpu::Buffer {
    let mut contents = data.to_vec();
    contents.resize(data.len().max(16), 0);
    dev.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(name),
        contents: &contents,
        usage: wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_SRC
            | wgpu::BufferUsages::COPY_DST,
    })
}

/// A zeroed storage buffer of `bytes` (at least 16), labelled with its binding's name.
pub fn storage_zeros(dev: &wgpu::Device, name: &str, bytes: u64) -> wgpu::Buffer {
    dev.create_buffer(&wgpu::BufferDescriptor {
        label: Some(name),
        size: bytes.max(16),
        usage: wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_SRC
            | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

/// One buffer per binding of the module, found by name: the uniform parameters, the fields
/// that start with data, and zeros of the size the kernels index for everything else
/// (the forcing's until `set_forcing`).
pub fn create_buffers(
    dev: &wgpu::Device,
    bindings: &[Binding],
    params: &Params,
    control: &Control,
    f: &Fields,
) -> Result<Buffers, GpuError> {
    use name::*;
    let mut out = Buffers::new();
    for b in bindings {
        let n = b.name.as_str();
        let data: Option<&[u8]> = match n {
            CONTROL => Some(bytemuck::bytes_of(control)),
            H => Some(bytemuck::cast_slice(&f.h)),
            QX => Some(bytemuck::cast_slice(&f.qx)),
            QY => Some(bytemuck::cast_slice(&f.qy)),
            Z => Some(bytemuck::cast_slice(&f.z)),
            GN2 => Some(bytemuck::cast_slice(&f.gn2)),
            MASK => Some(bytemuck::cast_slice(&f.mask)),
            MAXIMA => Some(bytemuck::cast_slice(&f.maxima)),
            QFX => Some(bytemuck::cast_slice(&f.face_x)),
            QFY => Some(bytemuck::cast_slice(&f.face_y)),
            _ => None,
        };
        let buf = if n == PARAMS {
            dev.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(PARAMS),
                contents: bytemuck::bytes_of(params),
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            })
        } else if let Some(d) = data {
            storage_init(dev, n, d)
        } else {
            let bytes = required_bytes(n, params, &[]).ok_or_else(|| {
                GpuError::Runtime(format!("the backend has no buffer for binding `{n}`"))
            })?;
            storage_zeros(dev, n, bytes.max(b.min_bytes))
        };
        out.insert(b.name.clone(), buf);
    }
    Ok(out)
}

/// A module's bind group layout (from its bindings) and a pipeline per kernel, each labelled
/// with its kernel's name.
#[derive(Debug)]
pub struct Compiled {
    pub layout: wgpu::BindGroupLayout,
    pub pipelines: HashMap<&'static str, wgpu::ComputePipeline>,
}

/// Compiles `src` (the module of `scheme`) and the pipelines of `kernels`.
pub fn compile(
    dev: &wgpu::Device,
    scheme: Scheme,
    src: String,
    bindings: &[Binding],
    kernels: &[&'static str],
) -> Compiled {
    let module = dev.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(scheme.name()),
        source: wgpu::ShaderSource::Wgsl(src.into()),
    });
    let layout = crate::bindings::layout(dev, &format!("{scheme} bindings"), bindings);
    let pl = dev.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(scheme.name()),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let pipelines = kernels
        .iter()
        .map(|&k| {
            let p = dev.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(k),
                layout: Some(&pl),
                module: &module,
                entry_point: Some(k),
                compilation_options: wgpu::PipelineCompilationOptions::default(),
                cache: None,
            });
            (k, p)
        })
        .collect();
    Compiled { layout, pipelines }
}

/// The forcing as the shaders read it.
#[derive(Debug, Clone, PartialEq)]
pub struct ForcingArrays {
    /// Per segment face: (face, cell, flags, segment).
    pub seg_faces: Vec<[u32; 4]>,
    /// Per segment: (kind, series id, face length m, lowest bed m).
    pub seg_info: Vec<[f32; 4]>,
    /// The series as given (seconds since the start): rain (possibly empty), point sources,
    /// segments; uploaded relative to each call's start.
    pub series: Vec<Vec<(f64, f64)>>,
    /// Per series: (offset, count) into the points.
    pub index: Vec<[u32; 2]>,
    pub source_cells: Vec<u32>,
    /// Per cell (model, a, b, c), when any cell infiltrates.
    pub infil: Option<Vec<[f32; 4]>>,
    /// Gridded rain: the fields (frame after frame) and the frame times.
    pub frames: Option<(Vec<f32>, Vec<f64>)>,
    pub rains: bool,
}

impl ForcingArrays {
    /// Packs `forcing` (validated) for a grid with this bed and mask.
    pub fn new(
        forcing: &Forcing,
        grid: &Grid,
        mask: &[bool],
        bed: &[f32],
    ) -> Result<Self, GpuError> {
        let mut out = Self {
            seg_faces: Vec::new(),
            seg_info: Vec::new(),
            series: vec![
                forcing
                    .rain_mm_h
                    .as_ref()
                    .map(|r| r.points().to_vec())
                    .unwrap_or_default(),
            ],
            index: Vec::new(),
            source_cells: forcing.sources.iter().map(|s| s.cell as u32).collect(),
            infil: infiltration_params(forcing, grid.cells()),
            frames: forcing
                .rain_grid
                .as_ref()
                .map(|g| (g.frames_mm_h.concat(), g.times_s.clone())),
            rains: forcing.rain_mm_h.is_some() || forcing.rain_grid.is_some(),
        };
        out.series.extend(
            forcing
                .sources
                .iter()
                .map(|s| s.discharge_m3_s.points().to_vec()),
        );
        for (s, b) in forcing.boundaries.iter().enumerate() {
            let (faces, face_len) = b
                .faces(grid, mask)
                .map_err(|e| GpuError::Unsupported(e.to_string()))?;
            let z_min = faces
                .iter()
                .map(|f| bed[f.cell])
                .fold(f32::INFINITY, f32::min);
            let (kind, points) = match &b.kind {
                SegmentKind::Inflow(q) => (SEG_INFLOW, q.points()),
                SegmentKind::Stage(l) => (SEG_STAGE, l.points()),
            };
            let id = SERIES_FIRST_SOURCE as usize + forcing.sources.len() + s;
            out.seg_info
                .push([kind as f32, id as f32, face_len as f32, z_min]);
            out.series.push(points.to_vec());
            for f in faces {
                let flags = (u32::from(f.y) * SEG_FACE_Y) | (u32::from(f.high) * SEG_FACE_HIGH);
                out.seg_faces
                    .push([f.face as u32, f.cell as u32, flags, s as u32]);
            }
        }
        let mut offset = 0u32;
        for s in &out.series {
            out.index.push([offset, s.len() as u32]);
            offset += s.len() as u32;
        }
        Ok(out)
    }
}

/// Infiltration per cell in SI units, `None` when no cell infiltrates.
fn infiltration_params(forcing: &Forcing, cells: usize) -> Option<Vec<[f32; 4]>> {
    let none = Infiltration::None;
    if forcing.infiltration == none && forcing.infiltration_cells.iter().all(|m| *m == none) {
        return None;
    }
    let code = |m: &Infiltration| -> [f32; 4] {
        match *m {
            Infiltration::None => [INFIL_NONE as f32, 0.0, 0.0, 0.0],
            Infiltration::Constant { rate_m_s } => {
                [INFIL_CONSTANT as f32, rate_m_s as f32, 0.0, 0.0]
            }
            Infiltration::Horton {
                f0_m_s,
                fc_m_s,
                k_per_s,
            } => [
                INFIL_HORTON as f32,
                f0_m_s as f32,
                fc_m_s as f32,
                k_per_s as f32,
            ],
            Infiltration::GreenAmpt {
                ks_m_s,
                suction_m,
                moisture_deficit,
            } => [
                INFIL_GREEN_AMPT as f32,
                ks_m_s as f32,
                suction_m as f32,
                moisture_deficit as f32,
            ],
            Infiltration::ScsCurveNumber { cn } => [
                INFIL_SCS as f32,
                (0.0254 * (1000.0 / cn - 10.0)) as f32,
                0.0,
                0.0,
            ],
        }
    };
    Some(if forcing.infiltration_cells.is_empty() {
        vec![code(&forcing.infiltration); cells]
    } else {
        forcing.infiltration_cells.iter().map(code).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every binding name the backend uses is declared by some module, and every binding of
    /// every module has a size rule (so no buffer is made by guess).
    #[test]
    fn binding_names_and_size_rules_match_the_shaders() {
        let mut declared = Vec::new();
        for scheme in Scheme::ALL {
            let src = crate::shaders::source(scheme);
            for b in crate::bindings::reflect(&src).unwrap() {
                assert!(
                    required_bytes(&b.name, &Params::default(), &[]).is_some(),
                    "{scheme}: binding `{}` has no size rule",
                    b.name
                );
                declared.push(b.name);
            }
        }
        for n in name::ALL {
            assert!(
                declared.iter().any(|d| d == n),
                "`{n}` is not a binding of any module"
            );
        }
    }
}
