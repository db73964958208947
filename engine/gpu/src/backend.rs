//! [`GpuBackend`]: the core's [`Backend`] on wgpu. The state lives on the device for the whole
//! run; the time step is chosen, used and reduced there (`step.wgsl`), many steps go into one
//! submission, and the host reads back a 80-byte control block per batch of steps and the
//! fields only at output times.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use basintwin_core::{
    Backend, BoundaryKind, Checkpoint, CoreError, Forcing, Grid, MassLedger, Maxima, Scheme,
    SolverConfig, State, Terrain,
};
use wgpu::util::DeviceExt;

use crate::context::{GpuContext, describe};
use crate::error::GpuError;
use crate::layout::{BC_FREE, BC_NORMAL_DEPTH, BC_WALL, Control, Params, WORKGROUP};

/// Largest number of workgroups along one dispatch dimension (WebGPU's limit).
const MAX_GROUPS: u32 = 65_535;

fn bc(kind: BoundaryKind) -> (u32, f32) {
    match kind {
        BoundaryKind::Wall => (BC_WALL, 0.0),
        BoundaryKind::Free => (BC_FREE, 0.0),
        BoundaryKind::NormalDepth { slope } => (BC_NORMAL_DEPTH, slope as f32),
    }
}

/// 2D dispatch size covering `n` invocations with rows of `groups_x` workgroups.
fn dispatch(n: u64, groups_x: u32) -> (u32, u32) {
    let groups = n.div_ceil(u64::from(WORKGROUP));
    let y = groups.div_ceil(u64::from(groups_x.max(1)));
    (groups_x, y.max(1) as u32)
}

/// How many invocations a kernel of the step program runs.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Span {
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

/// When a kernel of the step program runs.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Need {
    Always,
    /// The model has inflow or stage segments.
    Segments,
    /// Cross-sections are tracked.
    Tracking,
}

/// The kernels of one time step of `scheme`, in order (see each `.wgsl` file's header); the
/// forcing passes ([`FORCING_KERNELS`]) follow.
fn program(scheme: Scheme) -> &'static [(&'static str, Span, Need)] {
    use Need::{Always, Segments, Tracking};
    match scheme {
        Scheme::Fv1 => &[
            ("plan", Span::One, Always),
            ("segments", Span::One, Segments),
            ("faces_x", Span::FacesX, Always),
            ("faces_y", Span::FacesY, Always),
            ("segment_faces", Span::SegFaces, Segments),
            ("limit", Span::Cells, Always),
            ("update", Span::Cells, Always),
            ("track_sections", Span::One, Tracking),
            ("finish", Span::One, Always),
        ],
        Scheme::Inertial => &[
            ("plan", Span::One, Always),
            ("segments", Span::One, Segments),
            ("faces", Span::FacesXY, Always),
            ("edges", Span::Edges, Always),
            ("segment_faces", Span::SegFaces, Segments),
            ("limit", Span::Cells, Always),
            ("update", Span::Cells, Always),
            ("track_sections", Span::One, Tracking),
            ("commit", Span::FacesXY, Always),
            ("finish", Span::One, Always),
        ],
        Scheme::Fv2 => &[
            ("plan", Span::One, Always),
            ("segments", Span::One, Segments),
            ("slopes", Span::Cells, Always),
            ("faces_x", Span::FacesX, Always),
            ("faces_y", Span::FacesY, Always),
            ("segment_faces", Span::SegFaces, Segments),
            ("limit", Span::Cells, Always),
            ("update", Span::Cells, Always),
            ("track_sections", Span::One, Tracking),
            ("finish_stage", Span::One, Always),
            ("slopes", Span::Cells, Always),
            ("faces_x", Span::FacesX, Always),
            ("faces_y", Span::FacesY, Always),
            ("segment_faces", Span::SegFaces, Segments),
            ("limit", Span::Cells, Always),
            ("update", Span::Cells, Always),
            ("track_sections", Span::One, Tracking),
            ("finish", Span::One, Always),
        ],
    }
}

/// The forcing passes after a step, each dispatched only when the model has that forcing.
const FORCING_KERNELS: [(&str, Span); 5] = [
    ("rain_weights", Span::One),
    ("rain", Span::Cells),
    ("sources", Span::One),
    ("infiltration", Span::Cells),
    ("forcing_finish", Span::One),
];

/// Binding numbers shared by every scheme's module (see the `@binding` lines of the shaders).
mod bind {
    pub const PARAMS: usize = 0;
    pub const CONTROL: usize = 1;
    pub const H: usize = 2;
    pub const QX: usize = 3;
    pub const QY: usize = 4;
    pub const MAXIMA: usize = 11;
    pub const PARTIALS: usize = 12;
    pub const SERIES: usize = 13;
    pub const SERIES_INDEX: usize = 19;
    pub const SOURCE_CELL: usize = 20;
    pub const INFIL: usize = 21;
    pub const INFILTRATED: usize = 22;
    pub const FRAMES: usize = 23;
    pub const FRAME_TW: usize = 24;
    pub const RAIN_CUM: usize = 25;
    pub const SEG_FACES: usize = 26;
    pub const SEG_INFO: usize = 27;
    pub const SEG_Q: usize = 28;
    pub const TRACK_FACES: usize = 29;
    pub const TRACKED: usize = 30;
    pub const RAIN_CARRY: usize = 31;
    pub const COUNT: usize = 32;
    /// Read-only bindings; the rest are read-write (0 is uniform).
    pub const READ_ONLY: [usize; 11] = [5, 6, 7, 13, 19, 20, 21, 23, 26, 27, 29];
}

/// The bind group of every buffer, binding `i` = `buf[i]`.
fn bind_group(
    dev: &wgpu::Device,
    layout: &wgpu::BindGroupLayout,
    buf: &[wgpu::Buffer],
) -> wgpu::BindGroup {
    let entries: Vec<wgpu::BindGroupEntry> = buf
        .iter()
        .enumerate()
        .map(|(i, b)| wgpu::BindGroupEntry {
            binding: i as u32,
            resource: b.as_entire_binding(),
        })
        .collect();
    dev.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("bind group"),
        layout,
        entries: &entries,
    })
}

/// A call of `advance_to` in progress: its target and clock, the control-block staging
/// buffers and the batches in flight.
#[derive(Debug)]
struct Call {
    target_s: f64,
    start_s: f64,
    ring: Vec<wgpu::Buffer>,
    pending: std::collections::VecDeque<(usize, wgpu::SubmissionIndex, u32)>,
    free_slot: usize,
    left: u32,
    stop: bool,
    c: Control,
}

/// A call of `advance_to` stopped by an interrupt: its clock, to continue it exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
struct StoppedCall {
    target_s: f64,
    start_s: f64,
    remaining: f32,
    elapsed: f32,
    rain_before: f32,
}

/// The shallow-water solver on a GPU, in f32.
#[derive(Debug)]
pub struct GpuBackend {
    ctx: GpuContext,
    grid: Grid,
    cfg: SolverConfig,
    params: Params,
    control: Control,
    /// Every buffer, by binding number.
    buf: Vec<wgpu::Buffer>,
    /// The bed and the active-cell mask as uploaded (for validating and setting up forcing).
    bed: Vec<f32>,
    mask: Vec<bool>,
    /// Fingerprint of the bed, mask and roughness as uploaded, for checkpoints.
    fingerprint: u64,
    layout: wgpu::BindGroupLayout,
    bind_group: wgpu::BindGroup,
    /// Workgroups along x of every 2D dispatch.
    groups_x: u32,
    /// Every entry point of the module, by name.
    pipelines: std::collections::HashMap<&'static str, wgpu::ComputePipeline>,
    /// The step program: kernel and dispatch size, in order.
    steps_program: Vec<(&'static str, (u32, u32))>,
    d_cells: (u32, u32),
    /// Series as given (seconds since the start): rain, then the point sources; uploaded
    /// relative to the start of each `advance_to`.
    series: Vec<Vec<(f64, f64)>>,
    /// Gridded-rain frame times (seconds since the start).
    frame_times: Vec<f64>,
    /// Tracked faces per cross-section: (y face?, index, signed length m).
    track: Vec<Vec<(bool, usize, f64)>>,
    tracked_m3: Vec<f64>,
    stopped_call: Option<StoppedCall>,
    /// The call started by `start_advance`, until `finish_advance`.
    active: Option<Call>,
    /// A state captured for the next `read_state` (its copy's submission) and its buffer.
    captured: Option<wgpu::SubmissionIndex>,
    state_staging: Option<wgpu::Buffer>,
    /// Staging buffers of the control blocks read back per batch (see `advance_to`).
    control_ring: Vec<wgpu::Buffer>,
    t_s: f64,
    steps: u64,
    ledger: MassLedger,
    forcing: Forcing,
    interrupt: Option<Arc<AtomicBool>>,
}

impl GpuBackend {
    /// Uploads the model to the device of `ctx`. Schemes, forcing and grid sizes the GPU backend
    /// cannot run are refused with a message that says why.
    pub fn new(
        ctx: GpuContext,
        grid: Grid,
        terrain: &Terrain,
        state: State<f32>,
        cfg: SolverConfig,
    ) -> Result<Self, GpuError> {
        cfg.validate()
            .map_err(|e| GpuError::Unsupported(e.to_string()))?;
        state
            .validate(&grid)
            .map_err(|e| GpuError::Unsupported(e.to_string()))?;
        let Some(src) = crate::shaders::scheme_source(cfg.scheme) else {
            let have: Vec<String> = schemes().iter().map(|s| s.to_string()).collect();
            return Err(GpuError::Unsupported(format!(
                "the GPU backend does not have the {} scheme yet (it has: {}); use --backend cpu",
                cfg.scheme,
                have.join(", ")
            )));
        };
        let inertial = cfg.scheme == Scheme::Inertial;
        let (nx, ny) = (grid.nx, grid.ny);
        let cells = grid.cells();
        // Sizes: every index is a u32 on the device, every array one storage binding.
        let faces = (nx + 1) * ny.max(1) + nx * (ny + 1);
        let limit_bind = ctx.limits.max_storage_buffer_binding_size;
        let limit_buf = ctx.limits.max_buffer_size;
        let largest = 16 * ((nx + 1) * ny).max(nx * (ny + 1)) as u64;
        if faces as u64 >= u64::from(u32::MAX) / 2 {
            return Err(GpuError::Unsupported(format!(
                "{nx} x {ny} cells: too many for 32-bit indices on the GPU"
            )));
        }
        if largest > limit_bind.min(limit_buf) {
            return Err(GpuError::Unsupported(format!(
                "{nx} x {ny} cells need {} MiB per face array, over this adapter's storage-binding limit of {} MiB ({}); split the domain or use the CPU backend",
                largest >> 20,
                limit_bind.min(limit_buf) >> 20,
                describe(&ctx.info)
            )));
        }
        let groups = (cells as u64).div_ceil(u64::from(WORKGROUP));
        let groups_x = (groups.min(u64::from(MAX_GROUPS))) as u32;
        let (nfx, nfy) = ((nx + 1) * ny, nx * (ny + 1));
        let size_of = |span: Span| -> (u32, u32) {
            match span {
                Span::One => (1, 1),
                Span::Cells => dispatch(cells as u64, groups_x),
                Span::FacesX => dispatch(nfx as u64, groups_x),
                Span::FacesY => dispatch(nfy as u64, groups_x),
                Span::FacesXY => dispatch(nfx.max(nfy) as u64, groups_x),
                Span::Edges | Span::SegFaces => dispatch(2 * (nx + ny) as u64, groups_x),
            }
        };
        let d_cells = size_of(Span::Cells);
        if [Span::Cells, Span::FacesXY, Span::Edges]
            .iter()
            .any(|&s| size_of(s).1 > MAX_GROUPS)
        {
            return Err(GpuError::Unsupported(format!(
                "{nx} x {ny} cells: more workgroups than one dispatch allows"
            )));
        }
        let n_partials = d_cells.0 * d_cells.1;
        let g = cfg.gravity_m_s2;
        let b = &cfg.boundaries;
        let (bw, sw) = bc(b.west);
        let (be, se) = bc(b.east);
        let (bs, ss) = bc(b.south);
        let (bn, sn) = bc(b.north);
        let courant = cfg.courant.unwrap_or(cfg.scheme.default_courant());
        let params = Params {
            nx: nx as u32,
            ny: ny as u32,
            cells: cells as u32,
            groups_x,
            dx: grid.dx_m as f32,
            dy: grid.dy_m as f32,
            g: g as f32,
            h_dry: cfg.dry_depth_m as f32,
            courant: courant as f32,
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
            n_partials,
            active_cells: terrain.active.iter().filter(|a| **a).count() as u32,
            n_sources: 0,
            theta: cfg.theta as f32,
            rk_stages: if cfg.scheme == Scheme::Fv2 { 2 } else { 1 },
            ..Params::default()
        };
        // Initial fields; inactive cells are dry with a zero bed.
        let active: Vec<u32> = terrain.active.iter().map(|&a| u32::from(a)).collect();
        let z: Vec<f32> = (0..cells)
            .map(|k| {
                if terrain.active[k] {
                    terrain.bed_m[k] as f32
                } else {
                    0.0
                }
            })
            .collect();
        let gn2: Vec<f32> = (0..cells)
            .map(|k| {
                let n = terrain.manning_at(k);
                (g * n * n) as f32
            })
            .collect();
        let mut h0 = state.h.clone();
        let mut qx0 = state.qx.clone();
        let mut qy0 = state.qy.clone();
        for k in 0..cells {
            if !terrain.active[k] {
                (h0[k], qx0[k], qy0[k]) = (0.0, 0.0, 0.0);
            }
        }
        // Initial maxima and CFL rate, as the CPU backend starts them.
        let hd = cfg.dry_depth_m;
        let mut max_rate = 0.0f64;
        let mut maxima0 = vec![[0.0f32, 0.0, 0.0, -1.0]; cells];
        let mut volume = 0.0f64;
        for k in 0..cells {
            let h = f64::from(h0[k]);
            volume += h;
            let (u, v) = if h > hd {
                (f64::from(qx0[k]) / h, f64::from(qy0[k]) / h)
            } else {
                (0.0, 0.0)
            };
            if h > hd {
                let c = (g * h).sqrt();
                max_rate = max_rate.max(if inertial {
                    c / grid.dx_m.min(grid.dy_m)
                } else {
                    (u.abs() + c) / grid.dx_m + (v.abs() + c) / grid.dy_m
                });
            }
            let speed = (u * u + v * v).sqrt();
            let a = if h > cfg.arrival_depth_m { 0.0 } else { -1.0 };
            maxima0[k] = [h as f32, speed as f32, (h * (speed + 0.5)) as f32, a];
        }
        let dev = &ctx.device;
        let storage = |label: &str, data: &[u8]| {
            dev.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: data,
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST,
            })
        };
        let zeros = |label: &str, bytes: u64| {
            dev.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: bytes.max(16),
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        };
        let control = Control {
            max_rate: max_rate as f32,
            ..Control::default()
        };
        // Inertial: face discharges start as the mean of the two cells' (interior faces
        // between active cells), as on the CPU.
        let (face_x, face_y): (Vec<f32>, Vec<f32>) = if inertial {
            let act = |i: usize, j: usize| terrain.active[j * nx + i];
            let mut fxv = vec![0.0f32; nfx];
            let mut fyv = vec![0.0f32; nfy];
            for j in 0..ny {
                for a in 1..nx {
                    if act(a - 1, j) && act(a, j) {
                        fxv[j * (nx + 1) + a] = 0.5 * (qx0[j * nx + a - 1] + qx0[j * nx + a]);
                    }
                }
            }
            for a in 1..ny {
                for i in 0..nx {
                    if act(i, a - 1) && act(i, a) {
                        fyv[a * nx + i] = 0.5 * (qy0[(a - 1) * nx + i] + qy0[a * nx + i]);
                    }
                }
            }
            (fxv, fyv)
        } else {
            (Vec::new(), Vec::new())
        };
        let mut buf: Vec<wgpu::Buffer> = Vec::with_capacity(bind::COUNT);
        buf.push(dev.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("params"),
            contents: bytemuck::bytes_of(&params),
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        }));
        buf.push(storage("control", bytemuck::bytes_of(&control)));
        buf.push(storage("h", bytemuck::cast_slice(&h0)));
        buf.push(storage("qx", bytemuck::cast_slice(&qx0)));
        buf.push(storage("qy", bytemuck::cast_slice(&qy0)));
        buf.push(storage("z", bytemuck::cast_slice(&z)));
        buf.push(storage("g n^2", bytemuck::cast_slice(&gn2)));
        buf.push(storage("mask", bytemuck::cast_slice(&active)));
        if inertial {
            buf.push(storage(
                "inertial discharge x faces",
                bytemuck::cast_slice(&face_x),
            ));
            buf.push(storage(
                "inertial discharge y faces",
                bytemuck::cast_slice(&face_y),
            ));
        } else {
            buf.push(zeros("fluxes x faces", 16 * nfx as u64));
            buf.push(zeros("fluxes y faces", 16 * nfy as u64));
        }
        buf.push(zeros("outflow scale", 4 * cells as u64));
        buf.push(storage("maxima", bytemuck::cast_slice(&maxima0)));
        buf.push(zeros("partials", 16 * u64::from(n_partials)));
        buf.push(zeros("rain series", 16));
        if inertial {
            buf.push(zeros("inertial new discharge x faces", 4 * nfx as u64));
            buf.push(zeros("inertial new discharge y faces", 4 * nfy as u64));
            for k in 16..19 {
                buf.push(zeros(&format!("unused {k}"), 16));
            }
        } else if cfg.scheme == Scheme::Fv2 {
            buf.push(zeros("fv2 stage h", 4 * cells as u64));
            buf.push(zeros("fv2 stage qx", 4 * cells as u64));
            buf.push(zeros("fv2 stage qy", 4 * cells as u64));
            buf.push(zeros("fv2 slopes x", 16 * cells as u64));
            buf.push(zeros("fv2 slopes y", 16 * cells as u64));
        } else {
            for k in 14..19 {
                buf.push(zeros(&format!("unused {k}"), 16));
            }
        }
        // Forcing buffers: sized by `set_forcing`.
        for k in 19..bind::COUNT {
            buf.push(zeros(&format!("forcing {k} (unset)"), 16));
        }
        let module = dev.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(cfg.scheme.name()),
            source: wgpu::ShaderSource::Wgsl(src.into()),
        });
        let entry = |binding: u32, ty: wgpu::BufferBindingType| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let rw = wgpu::BufferBindingType::Storage { read_only: false };
        let ro = wgpu::BufferBindingType::Storage { read_only: true };
        let kinds: Vec<wgpu::BufferBindingType> = (0..bind::COUNT)
            .map(|i| {
                if i == bind::PARAMS {
                    wgpu::BufferBindingType::Uniform
                } else if bind::READ_ONLY.contains(&i) {
                    ro
                } else {
                    rw
                }
            })
            .collect();
        let entries: Vec<wgpu::BindGroupLayoutEntry> = kinds
            .iter()
            .enumerate()
            .map(|(i, t)| entry(i as u32, *t))
            .collect();
        let layout = dev.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("bindings"),
            entries: &entries,
        });
        let bind_group = bind_group(dev, &layout, &buf);
        let pl = dev.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("pipeline layout"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipe = |name: &str| {
            dev.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(name),
                layout: Some(&pl),
                module: &module,
                entry_point: Some(name),
                compilation_options: wgpu::PipelineCompilationOptions::default(),
                cache: None,
            })
        };
        let mut names: Vec<&'static str> = program(cfg.scheme).iter().map(|p| p.0).collect();
        names.extend(FORCING_KERNELS.iter().map(|p| p.0));
        names.push("volume");
        names.sort_unstable();
        names.dedup();
        let pipelines = names.iter().map(|&n| (n, pipe(n))).collect();
        let area = grid.cell_area_m2();
        let mut backend = Self {
            ledger: MassLedger::new(volume * area),
            ctx,
            grid,
            cfg,
            params,
            control,
            buf,
            layout,
            bind_group,
            groups_x,
            bed: z.clone(),
            mask: terrain.active.clone(),
            fingerprint: basintwin_core::checkpoint::fingerprint(&[
                &z.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(),
                &gn2.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(),
                &active.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(),
            ]),
            pipelines,
            steps_program: Vec::new(),
            d_cells,
            track: Vec::new(),
            tracked_m3: Vec::new(),
            stopped_call: None,
            active: None,
            captured: None,
            state_staging: None,
            control_ring: Vec::new(),
            series: Vec::new(),
            frame_times: Vec::new(),
            t_s: 0.0,
            steps: 0,
            forcing: Forcing::default(),
            interrupt: None,
        };
        backend.build_program();
        backend.control_ring = backend.new_control_ring();
        Ok(backend)
    }

    /// Takes exactly `n` CFL-limited steps in one submission, with no target time (for
    /// benchmarks: the time step is still chosen and reduced on the device each step).
    pub fn run_steps(&mut self, n: u32) -> Result<(), GpuError> {
        self.control = Control {
            remaining: f32::MAX,
            t_base: self.t_s as f32,
            max_rate: self.control.max_rate,
            rain_before: self.forcing.rain_depth_m(0.0, self.t_s) as f32,
            ..Control::default()
        };
        self.ctx.queue.write_buffer(
            &self.buf[bind::CONTROL],
            0,
            bytemuck::bytes_of(&self.control),
        );
        if self.control_ring.len() < 2 {
            self.control_ring = self.new_control_ring();
        }
        let index = self.submit_batch(n, &self.control_ring[0]);
        let c = self.wait_control(&self.control_ring[0], index)?;
        if c.failed != 0 {
            return Err(GpuError::Runtime(format!(
                "the run failed after {} steps (code {})",
                c.steps, c.failed
            )));
        }
        self.t_s += f64::from(c.elapsed);
        self.steps += u64::from(c.steps);
        self.control = c;
        Ok(())
    }

    /// The adapter this backend runs on.
    pub fn adapter(&self) -> String {
        describe(&self.ctx.info)
    }

    /// See `CpuBackend::set_interrupt`.
    pub fn set_interrupt(&mut self, flag: Arc<AtomicBool>) {
        self.interrupt = Some(flag);
    }

    /// Sets the forcing: uniform and gridded rain, point sources, infiltration (uniform or per
    /// cell). Inflow and stage boundary segments are refused with their name, never dropped.
    pub fn set_forcing(&mut self, forcing: Forcing) -> Result<(), GpuError> {
        let cells = self.grid.cells();
        forcing
            .validate(cells, &self.mask)
            .map_err(|e| GpuError::Unsupported(e.to_string()))?;
        // Boundary segments: faces, kinds, series ids (after the rain and the sources).
        let mut seg_faces: Vec<[u32; 4]> = Vec::new();
        let mut seg_info: Vec<[f32; 4]> = Vec::new();
        let mut seg_series: Vec<Vec<(f64, f64)>> = Vec::new();
        for (s, b) in forcing.boundaries.iter().enumerate() {
            let (faces, face_len) = b
                .faces(&self.grid, &self.mask)
                .map_err(|e| GpuError::Unsupported(e.to_string()))?;
            let z_min = faces
                .iter()
                .map(|f| self.bed[f.cell])
                .fold(f32::INFINITY, f32::min);
            let (kind, points) = match &b.kind {
                basintwin_core::SegmentKind::Inflow(q) => (0.0, q.points().to_vec()),
                basintwin_core::SegmentKind::Stage(l) => (1.0, l.points().to_vec()),
            };
            let id = 1 + forcing.sources.len() + s;
            seg_info.push([kind, id as f32, face_len as f32, z_min]);
            seg_series.push(points);
            for f in faces {
                let flags = u32::from(f.y) | (u32::from(f.high) << 1);
                seg_faces.push([f.face as u32, f.cell as u32, flags, s as u32]);
            }
        }
        let dev = &self.ctx.device;
        let make = |label: &str, data: &[u8]| {
            let mut contents = data.to_vec();
            contents.resize(data.len().max(16), 0);
            dev.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: &contents,
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_DST
                    | wgpu::BufferUsages::COPY_SRC,
            })
        };
        // Series: the rain (id 0, possibly empty), then each point source.
        let mut series: Vec<Vec<(f64, f64)>> = vec![
            forcing
                .rain_mm_h
                .as_ref()
                .map(|r| r.points().to_vec())
                .unwrap_or_default(),
        ];
        series.extend(
            forcing
                .sources
                .iter()
                .map(|s| s.discharge_m3_s.points().to_vec()),
        );
        series.extend(seg_series);
        let mut index: Vec<[u32; 2]> = Vec::with_capacity(series.len());
        let mut offset = 0u32;
        for s in &series {
            index.push([offset, s.len() as u32]);
            offset += s.len() as u32;
        }
        let points = offset.max(1) as usize;
        let new_series = make("series", &vec![0u8; 8 * points]);
        let new_index = make("series index", bytemuck::cast_slice(&index));
        let source_cells: Vec<u32> = forcing.sources.iter().map(|s| s.cell as u32).collect();
        let new_sources = make("source cells", bytemuck::cast_slice(&source_cells));
        // Infiltration per cell, SI units (see forcing.wgsl).
        let none = basintwin_core::Infiltration::None;
        let infiltrates =
            forcing.infiltration != none || forcing.infiltration_cells.iter().any(|m| *m != none);
        let mut infil_bufs = None;
        if infiltrates {
            let code = |m: &basintwin_core::Infiltration| -> [f32; 4] {
                use basintwin_core::Infiltration as I;
                match *m {
                    I::None => [0.0; 4],
                    I::Constant { rate_m_s } => [1.0, rate_m_s as f32, 0.0, 0.0],
                    I::Horton {
                        f0_m_s,
                        fc_m_s,
                        k_per_s,
                    } => [2.0, f0_m_s as f32, fc_m_s as f32, k_per_s as f32],
                    I::GreenAmpt {
                        ks_m_s,
                        suction_m,
                        moisture_deficit,
                    } => [
                        3.0,
                        ks_m_s as f32,
                        suction_m as f32,
                        moisture_deficit as f32,
                    ],
                    I::ScsCurveNumber { cn } => {
                        [4.0, (0.0254 * (1000.0 / cn - 10.0)) as f32, 0.0, 0.0]
                    }
                }
            };
            let per_cell: Vec<[f32; 4]> = if forcing.infiltration_cells.is_empty() {
                vec![code(&forcing.infiltration); cells]
            } else {
                forcing.infiltration_cells.iter().map(code).collect()
            };
            self.check_binding("infiltration parameters", 16 * cells as u64)?;
            infil_bufs = Some((
                make("infiltration parameters", bytemuck::cast_slice(&per_cell)),
                make("infiltrated", &vec![0u8; 4 * cells]),
            ));
        }
        // Gridded rain.
        let mut grid_bufs = None;
        let mut frame_times = Vec::new();
        if let Some(g) = &forcing.rain_grid {
            let n = g.times_s.len();
            self.check_binding("gridded rain fields", 4 * (n * cells) as u64)?;
            let flat: Vec<f32> = g.frames_mm_h.iter().flatten().copied().collect();
            grid_bufs = Some((
                make("rain fields", bytemuck::cast_slice(&flat)),
                make("rain field times and weights", &vec![0u8; 8 * n]),
                make("cumulative gridded rain", &vec![0u8; 4 * cells]),
            ));
            frame_times = g.times_s.clone();
        }
        self.buf[bind::SERIES] = new_series;
        let n_seg_faces = seg_faces.len();
        self.buf[bind::SEG_FACES] = make("segment faces", bytemuck::cast_slice(&seg_faces));
        self.buf[bind::SEG_INFO] = make("segments", bytemuck::cast_slice(&seg_info));
        self.buf[bind::SEG_Q] = make(
            "segment discharges and stages",
            &vec![0u8; 4 * (n_seg_faces + seg_info.len())],
        );
        self.params.n_segments = seg_info.len() as u32;
        self.params.n_seg_faces = n_seg_faces as u32;
        self.buf[bind::SERIES_INDEX] = new_index;
        self.buf[bind::SOURCE_CELL] = new_sources;
        self.params.n_sources = source_cells.len() as u32;
        if let Some((p, f)) = infil_bufs {
            self.buf[bind::INFIL] = p;
            self.buf[bind::INFILTRATED] = f;
        }
        self.params.infiltration = u32::from(infiltrates);
        self.params.n_frames = frame_times.len() as u32;
        let rains = forcing.rain_mm_h.is_some() || forcing.rain_grid.is_some();
        self.params.rain = u32::from(rains);
        if rains {
            self.buf[bind::RAIN_CARRY] = make("rain carry", &vec![0u8; 4 * cells]);
        }
        if let Some((f, tw, cum)) = grid_bufs {
            self.buf[bind::FRAMES] = f;
            self.buf[bind::FRAME_TW] = tw;
            self.buf[bind::RAIN_CUM] = cum;
        }
        self.frame_times = frame_times;
        self.series = series;
        self.forcing = forcing;
        self.build_program();
        self.rebind();
        Ok(())
    }

    /// The step program for this model: the scheme's kernels it needs, then its forcing
    /// passes.
    fn build_program(&mut self) {
        let (nx, ny) = (self.grid.nx as u64, self.grid.ny as u64);
        let gx = self.groups_x;
        let size_of = |span: Span, seg_faces: u32| -> (u32, u32) {
            match span {
                Span::One => (1, 1),
                Span::Cells => dispatch(nx * ny, gx),
                Span::FacesX => dispatch((nx + 1) * ny, gx),
                Span::FacesY => dispatch(nx * (ny + 1), gx),
                Span::FacesXY => dispatch(((nx + 1) * ny).max(nx * (ny + 1)), gx),
                Span::Edges => dispatch(2 * (nx + ny), gx),
                Span::SegFaces => dispatch(u64::from(seg_faces), gx),
            }
        };
        let p = &self.params;
        let gridded = p.n_frames > 0;
        let infiltrates = p.infiltration != 0;
        let needed = |need: Need| match need {
            Need::Always => true,
            Need::Segments => p.n_segments > 0,
            Need::Tracking => p.n_track_faces > 0,
        };
        let mut prog: Vec<(&'static str, (u32, u32))> = program(self.cfg.scheme)
            .iter()
            .filter(|k| needed(k.2))
            .map(|k| (k.0, size_of(k.1, p.n_seg_faces)))
            .collect();
        let rains = p.rain != 0;
        let wanted = [
            gridded,
            rains,
            p.n_sources > 0,
            infiltrates,
            rains || infiltrates,
        ];
        for ((name, span), want) in FORCING_KERNELS.iter().zip(wanted) {
            if want {
                prog.push((name, size_of(*span, 0)));
            }
        }
        self.steps_program = prog;
    }

    /// Accumulates, every step, the volume through a group of faces (a cross-section):
    /// `(y face?, index, signed length m)` as `CpuBackend::track_faces`. Returns its number.
    pub fn track_faces(&mut self, faces: Vec<(bool, usize, f64)>) -> Result<usize, GpuError> {
        let (nx, ny) = (self.grid.nx, self.grid.ny);
        if let Some(&(y, k, _)) = faces.iter().find(|(y, k, _)| {
            if *y {
                *k >= nx * (ny + 1)
            } else {
                *k >= (nx + 1) * ny
            }
        }) {
            return Err(GpuError::Unsupported(format!(
                "tracked {} face {k} does not exist",
                if y { "y" } else { "x" }
            )));
        }
        self.track.push(faces);
        self.tracked_m3.push(0.0);
        let packed: Vec<[u32; 4]> = self
            .track
            .iter()
            .enumerate()
            .flat_map(|(s, faces)| {
                faces.iter().map(move |&(y, k, len)| {
                    [k as u32, u32::from(y), s as u32, (len as f32).to_bits()]
                })
            })
            .collect();
        let dev = &self.ctx.device;
        let init = |label: &str, data: Vec<u8>| {
            let mut contents = data;
            let n = contents.len().max(16);
            contents.resize(n, 0);
            dev.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: &contents,
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_DST
                    | wgpu::BufferUsages::COPY_SRC,
            })
        };
        self.buf[bind::TRACK_FACES] = init("tracked faces", bytemuck::cast_slice(&packed).to_vec());
        self.buf[bind::TRACKED] = init("tracked volumes", vec![0u8; 8 * self.track.len()]);
        self.params.n_track_faces = packed.len() as u32;
        self.params.n_sections = self.track.len() as u32;
        self.build_program();
        self.rebind();
        Ok(self.track.len() - 1)
    }

    /// Refuses a buffer larger than one storage binding of this adapter.
    fn check_binding(&self, what: &str, bytes: u64) -> Result<(), GpuError> {
        let limit = self
            .ctx
            .limits
            .max_storage_buffer_binding_size
            .min(self.ctx.limits.max_buffer_size);
        if bytes > limit {
            return Err(GpuError::Unsupported(format!(
                "{what} need {} MiB, over this adapter's storage-binding limit of {} MiB ({}); use the CPU backend",
                bytes >> 20,
                limit >> 20,
                describe(&self.ctx.info)
            )));
        }
        Ok(())
    }

    /// After a buffer or the parameters changed: upload the parameters, rebuild the bind group.
    fn rebind(&mut self) {
        self.ctx
            .queue
            .write_buffer(&self.buf[bind::PARAMS], 0, bytemuck::bytes_of(&self.params));
        self.bind_group = bind_group(&self.ctx.device, &self.layout, &self.buf);
    }

    /// Reads `bytes` bytes of `src` back to the host (blocking).
    fn read_back(&self, srcs: &[(&wgpu::Buffer, u64)]) -> Result<Vec<Vec<u8>>, GpuError> {
        let total: u64 = srcs.iter().map(|(_, n)| n).sum();
        let staging = self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("read-back staging"),
            size: total.max(4),
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut enc = self
            .ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("read-back"),
            });
        let mut off = 0;
        for (b, n) in srcs {
            enc.copy_buffer_to_buffer(b, 0, &staging, off, *n);
            off += n;
        }
        self.ctx.queue.submit([enc.finish()]);
        let slice = staging.slice(..);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.ctx
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::Runtime(format!("waiting for the device: {e}")))?;
        rx.recv()
            .map_err(|e| GpuError::Runtime(format!("read-back lost: {e}")))?
            .map_err(|e| GpuError::Runtime(format!("read-back failed: {e}")))?;
        let data = slice.get_mapped_range();
        let mut out = Vec::with_capacity(srcs.len());
        let mut off = 0usize;
        for (_, n) in srcs {
            out.push(data[off..off + *n as usize].to_vec());
            off += *n as usize;
        }
        drop(data);
        staging.unmap();
        Ok(out)
    }

    /// Two staging buffers for control blocks, used in turn.
    fn new_control_ring(&self) -> Vec<wgpu::Buffer> {
        (0..2)
            .map(|k| {
                self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some(if k == 0 {
                        "control read-back 0"
                    } else {
                        "control read-back 1"
                    }),
                    size: std::mem::size_of::<Control>() as u64,
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                })
            })
            .collect()
    }

    /// Encodes `n` time steps and a copy of the control block into `staging`, submits them.
    fn submit_batch(&self, n: u32, staging: &wgpu::Buffer) -> wgpu::SubmissionIndex {
        let mut enc = self
            .ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("time steps"),
            });
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("time steps"),
                timestamp_writes: None,
            });
            pass.set_bind_group(0, &self.bind_group, &[]);
            for _ in 0..n {
                for (name, (x, y)) in &self.steps_program {
                    if let Some(pipeline) = self.pipelines.get(name) {
                        pass.set_pipeline(pipeline);
                        pass.dispatch_workgroups(*x, *y, 1);
                    }
                }
            }
        }
        enc.copy_buffer_to_buffer(
            &self.buf[bind::CONTROL],
            0,
            staging,
            0,
            std::mem::size_of::<Control>() as u64,
        );
        self.ctx.queue.submit([enc.finish()])
    }

    /// Waits for submission `index` only (not for later ones) and reads its control block.
    fn wait_control(
        &self,
        staging: &wgpu::Buffer,
        index: wgpu::SubmissionIndex,
    ) -> Result<Control, GpuError> {
        let slice = staging.slice(..);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.ctx
            .device
            .poll(wgpu::PollType::Wait {
                submission_index: Some(index),
                timeout: None,
            })
            .map_err(|e| GpuError::Runtime(format!("waiting for the device: {e}")))?;
        rx.recv()
            .map_err(|e| GpuError::Runtime(format!("read-back lost: {e}")))?
            .map_err(|e| GpuError::Runtime(format!("read-back failed: {e}")))?;
        let c: Control = bytemuck::pod_read_unaligned(&slice.get_mapped_range());
        staging.unmap();
        Ok(c)
    }

    /// Water in the domain now (m^3), summed on the host in f64 from per-workgroup sums.
    fn volume_m3(&mut self) -> Result<f64, GpuError> {
        let mut enc = self
            .ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("volume"),
            });
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("volume"),
                timestamp_writes: None,
            });
            pass.set_bind_group(0, &self.bind_group, &[]);
            if let Some(p) = self.pipelines.get("volume") {
                pass.set_pipeline(p);
            }
            pass.dispatch_workgroups(self.d_cells.0, self.d_cells.1, 1);
        }
        self.ctx.queue.submit([enc.finish()]);
        let n = u64::from(self.params.n_partials) * 16;
        let bytes = self.read_back(&[(&self.buf[bind::PARTIALS], n)])?;
        let parts: &[[f32; 4]] = bytemuck::cast_slice(&bytes[0]);
        let depth: f64 = parts.iter().map(|p| f64::from(p[2])).sum();
        Ok(depth * self.grid.cell_area_m2())
    }

    fn runtime(e: GpuError) -> CoreError {
        CoreError::Backend {
            backend: "gpu".into(),
            detail: e.to_string(),
        }
    }
}

impl GpuBackend {
    /// Sets up a call of `advance_to` (control block, series relative to its start) and submits
    /// its first batches; `None` when there is nothing to do.
    fn begin_call(&mut self, t_target_s: f64) -> basintwin_core::Result<Option<Call>> {
        if !t_target_s.is_finite() || t_target_s < self.t_s {
            return Err(CoreError::Invalid {
                what: "target time",
                detail: format!("{t_target_s} s while the model is at {} s", self.t_s),
                expected: "a finite time not before the current one",
            });
        }
        if t_target_s == self.t_s {
            return Ok(None);
        }
        // This call's control block: how far to go, from where; the CFL rate carries over. A
        // call stopped by an interrupt (and checkpointed) continues with its own clock, so that
        // the resumed run takes bitwise the steps the uninterrupted one took.
        let call_start = match self.stopped_call.take() {
            Some(call) if call.target_s == t_target_s => {
                self.control = Control {
                    remaining: call.remaining,
                    elapsed: call.elapsed,
                    t_base: call.start_s as f32,
                    max_rate: self.control.max_rate,
                    rain_before: call.rain_before,
                    ..Control::default()
                };
                call.start_s
            }
            _ => {
                self.control = Control {
                    remaining: (t_target_s - self.t_s) as f32,
                    t_base: self.t_s as f32,
                    max_rate: self.control.max_rate,
                    rain_before: self.forcing.rain_depth_m(0.0, self.t_s) as f32,
                    ..Control::default()
                };
                self.t_s
            }
        };
        let q = &self.ctx.queue;
        q.write_buffer(
            &self.buf[bind::CONTROL],
            0,
            bytemuck::bytes_of(&self.control),
        );
        // Times relative to the start of this call keep f32 precise over long runs.
        let pts: Vec<[f32; 2]> = self
            .series
            .iter()
            .flatten()
            .map(|&(t, v)| [(t - call_start) as f32, v as f32])
            .collect();
        if !pts.is_empty() {
            q.write_buffer(&self.buf[bind::SERIES], 0, bytemuck::cast_slice(&pts));
        }
        if !self.frame_times.is_empty() {
            let ft: Vec<f32> = self
                .frame_times
                .iter()
                .map(|&t| (t - call_start) as f32)
                .collect();
            q.write_buffer(&self.buf[bind::FRAME_TW], 0, bytemuck::cast_slice(&ft));
        }
        let mut ring = std::mem::take(&mut self.control_ring);
        if ring.len() < 2 {
            ring = self.new_control_ring();
        }
        let left = self.estimate_steps(&self.control).max(1);
        let mut call = Call {
            target_s: t_target_s,
            start_s: call_start,
            ring,
            pending: std::collections::VecDeque::new(),
            free_slot: 0,
            left,
            stop: false,
            c: self.control,
        };
        self.submit_more(&mut call);
        Ok(Some(call))
    }

    /// Steps still to take, estimated from the CFL rate (the device decides the real ones).
    fn estimate_steps(&self, c: &Control) -> u32 {
        let (courant, max_dt) = (
            f64::from(self.params.courant),
            f64::from(self.params.max_dt),
        );
        let rem = f64::from(c.remaining - c.elapsed).max(0.0);
        let dt = if c.max_rate > 0.0 {
            (courant / f64::from(c.max_rate)).min(max_dt)
        } else {
            max_dt
        };
        ((rem / dt.max(1e-9)).ceil() as u32).saturating_add(1)
    }

    fn interrupted(&self) -> bool {
        self.interrupt
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
    }

    /// Keeps up to two batches in flight, sized to the steps estimated to be left; once
    /// interrupted, no more than the one already running (and before anything ran, one step,
    /// as the CPU backend would take).
    fn submit_more(&self, call: &mut Call) {
        let interrupted = self.interrupted();
        while !call.stop
            && call.pending.len() < 2
            && call.left > 0
            && (call.pending.is_empty() || !interrupted)
        {
            let n = if interrupted {
                1
            } else {
                call.left.clamp(1, 256)
            };
            let index = self.submit_batch(n, &call.ring[call.free_slot]);
            call.pending.push_back((call.free_slot, index, n));
            call.free_slot = 1 - call.free_slot;
            call.left -= n;
        }
    }

    /// Runs a call to its end: two batches in flight, so that while the host reads the control
    /// block of one the device runs the next and never waits for the host. Batches after the
    /// target are reached are no-ops on the device (dt = 0).
    fn pump(&mut self, call: &mut Call) -> Result<(), GpuError> {
        loop {
            self.submit_more(call);
            let Some((slot, index, _)) = call.pending.pop_front() else {
                return Ok(());
            };
            call.c = self.wait_control(&call.ring[slot], index)?;
            if call.stop {
                continue; // draining: the last block read is the final state
            }
            if call.c.done != 0 || self.interrupted() {
                call.stop = true;
                continue;
            }
            let in_flight: u32 = call.pending.iter().map(|p| p.2).sum();
            call.left = self.estimate_steps(&call.c).saturating_sub(in_flight);
            if call.pending.is_empty() {
                call.left = call.left.max(1);
            }
        }
    }

    /// Books a finished call: water budget, steps, time, where an interrupted call stopped.
    fn end_call(&mut self, call: Call) -> basintwin_core::Result<()> {
        let (t_target_s, call_start, c) = (call.target_s, call.start_s, call.c);
        self.control_ring = call.ring;

        // Book this call's budget.
        let l = |k: usize| f64::from(c.ledger[k][0]) + f64::from(c.ledger[k][1]);
        self.ledger.boundary_inflow_m3 += l(0);
        self.ledger.boundary_outflow_m3 += l(1);
        self.ledger.rain_m3 += l(2);
        self.ledger.positivity_correction_m3 += l(3);
        self.ledger.source_inflow_m3 += l(4);
        self.ledger.infiltration_m3 += l(5);
        self.steps += u64::from(c.steps);
        let reached = c.done != 0 && c.failed == 0;
        self.t_s = if reached {
            t_target_s
        } else {
            call_start + f64::from(c.elapsed)
        };
        if !reached && c.failed == 0 {
            self.stopped_call = Some(StoppedCall {
                target_s: t_target_s,
                start_s: call_start,
                remaining: c.remaining,
                elapsed: c.elapsed,
                rain_before: c.rain_before,
            });
        }
        self.control = c;
        self.ledger.volume_m3 = self.volume_m3().map_err(Self::runtime)?;
        if !self.track.is_empty() {
            let n = 8 * self.track.len() as u64;
            let bytes = self
                .read_back(&[(&self.buf[bind::TRACKED], n)])
                .map_err(Self::runtime)?;
            let v: Vec<[f32; 2]> = bytemuck::pod_collect_to_vec(&bytes[0]);
            self.tracked_m3 = v
                .iter()
                .map(|p| f64::from(p[0]) + f64::from(p[1]))
                .collect();
        }
        match c.failed {
            1 => {
                return Err(CoreError::Unstable {
                    time_s: self.t_s,
                    detail: "non-finite depth on the GPU".into(),
                });
            }
            2 => {
                return Err(CoreError::Unstable {
                    time_s: self.t_s,
                    detail: format!("time step collapsed below {:.1e} s", self.cfg.min_dt_s),
                });
            }
            _ => {}
        }
        if !reached {
            return Err(CoreError::Interrupted { time_s: self.t_s });
        }
        Ok(())
    }
}

impl Backend for GpuBackend {
    type Real = f32;

    fn describe(&self) -> String {
        format!("gpu ({})", describe(&self.ctx.info))
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn time_s(&self) -> f64 {
        self.t_s
    }

    fn steps(&self) -> u64 {
        self.steps
    }

    fn advance_to(&mut self, t_target_s: f64) -> basintwin_core::Result<()> {
        self.start_advance(t_target_s)?;
        self.finish_advance()
    }

    fn start_advance(&mut self, t_target_s: f64) -> basintwin_core::Result<()> {
        if self.active.is_some() {
            self.finish_advance()?;
        }
        self.active = self.begin_call(t_target_s)?;
        Ok(())
    }

    fn finish_advance(&mut self) -> basintwin_core::Result<()> {
        let Some(mut call) = self.active.take() else {
            return Ok(());
        };
        let pumped = self.pump(&mut call);
        if let Err(e) = pumped {
            self.control_ring = call.ring;
            return Err(Self::runtime(e));
        }
        self.end_call(call)
    }

    fn overlaps_outputs(&self) -> bool {
        true
    }

    fn capture_state(&mut self) -> basintwin_core::Result<()> {
        let n = 4 * self.grid.cells() as u64;
        let staging = match self.state_staging.take() {
            Some(b) => b,
            None => self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("captured state"),
                size: 3 * n,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
        };
        let mut enc = self
            .ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("capture state"),
            });
        for (k, b) in [bind::H, bind::QX, bind::QY].into_iter().enumerate() {
            enc.copy_buffer_to_buffer(&self.buf[b], 0, &staging, k as u64 * n, n);
        }
        let index = self.ctx.queue.submit([enc.finish()]);
        self.state_staging = Some(staging);
        self.captured = Some(index);
        Ok(())
    }

    fn read_state(&mut self, out: &mut State<f32>) -> basintwin_core::Result<()> {
        let n = 4 * self.grid.cells() as u64;
        if let (Some(index), Some(staging)) = (self.captured.take(), self.state_staging.as_ref()) {
            // The copy was queued before any later steps: wait for it alone.
            let slice = staging.slice(..);
            let (tx, rx) = std::sync::mpsc::channel();
            slice.map_async(wgpu::MapMode::Read, move |r| {
                let _ = tx.send(r);
            });
            self.ctx
                .device
                .poll(wgpu::PollType::Wait {
                    submission_index: Some(index),
                    timeout: None,
                })
                .map_err(|e| {
                    Self::runtime(GpuError::Runtime(format!("waiting for the device: {e}")))
                })?;
            rx.recv()
                .map_err(|e| Self::runtime(GpuError::Runtime(format!("read-back lost: {e}"))))?
                .map_err(|e| Self::runtime(GpuError::Runtime(format!("read-back failed: {e}"))))?;
            {
                let data = slice.get_mapped_range();
                let n = n as usize;
                out.h = bytemuck::pod_collect_to_vec(&data[..n]);
                out.qx = bytemuck::pod_collect_to_vec(&data[n..2 * n]);
                out.qy = bytemuck::pod_collect_to_vec(&data[2 * n..3 * n]);
            }
            staging.unmap();
            return Ok(());
        }
        let bytes = self
            .read_back(&[
                (&self.buf[bind::H], n),
                (&self.buf[bind::QX], n),
                (&self.buf[bind::QY], n),
            ])
            .map_err(Self::runtime)?;
        out.h = bytemuck::pod_collect_to_vec(&bytes[0]);
        out.qx = bytemuck::pod_collect_to_vec(&bytes[1]);
        out.qy = bytemuck::pod_collect_to_vec(&bytes[2]);
        Ok(())
    }

    fn read_maxima(&mut self, out: &mut Maxima<f32>) -> basintwin_core::Result<()> {
        let n = 16 * self.grid.cells() as u64;
        let bytes = self
            .read_back(&[(&self.buf[bind::MAXIMA], n)])
            .map_err(Self::runtime)?;
        let m: Vec<[f32; 4]> = bytemuck::pod_collect_to_vec(&bytes[0]);
        out.depth_m = m.iter().map(|v| v[0]).collect();
        out.speed_m_s = m.iter().map(|v| v[1]).collect();
        out.hazard_m2_s = m.iter().map(|v| v[2]).collect();
        out.arrival_s = m
            .iter()
            .map(|v| if v[3] < 0.0 { f32::NAN } else { v[3] })
            .collect();
        Ok(())
    }

    fn ledger(&self) -> MassLedger {
        self.ledger
    }

    fn tracked_volumes_m3(&self) -> &[f64] {
        &self.tracked_m3
    }

    fn checkpoint(&mut self, extra: String) -> basintwin_core::Result<Checkpoint> {
        let cells = self.grid.cells() as u64;
        let mut want: Vec<(&str, usize, u64)> = vec![
            ("h", bind::H, 4 * cells),
            ("qx", bind::QX, 4 * cells),
            ("qy", bind::QY, 4 * cells),
            ("maxima", bind::MAXIMA, 16 * cells),
        ];
        let (nx, ny) = (self.grid.nx as u64, self.grid.ny as u64);
        if self.cfg.scheme == Scheme::Inertial {
            want.push(("qfx", 8, 4 * (nx + 1) * ny));
            want.push(("qfy", 9, 4 * nx * (ny + 1)));
        }
        if self.params.infiltration != 0 {
            want.push(("infiltrated_m", bind::INFILTRATED, 4 * cells));
        }
        if self.params.n_frames > 0 {
            want.push(("rain_cum_m", bind::RAIN_CUM, 4 * cells));
        }
        if self.params.rain != 0 {
            want.push(("rain_carry_m", bind::RAIN_CARRY, 4 * cells));
        }
        let srcs: Vec<(&wgpu::Buffer, u64)> =
            want.iter().map(|(_, b, n)| (&self.buf[*b], *n)).collect();
        let bytes = self.read_back(&srcs).map_err(Self::runtime)?;
        let mut arrays = Vec::new();
        for ((name, _, _), b) in want.iter().zip(&bytes) {
            let v: Vec<f32> = bytemuck::pod_collect_to_vec(b);
            if *name == "maxima" {
                for (k, label) in [
                    "max_depth_m",
                    "max_speed_m_s",
                    "max_hazard_m2_s",
                    "arrival_s",
                ]
                .iter()
                .enumerate()
                {
                    arrays.push((
                        label.to_string(),
                        v.chunks_exact(4).map(|m| f64::from(m[k])).collect(),
                    ));
                }
            } else {
                arrays.push((name.to_string(), v.iter().map(|&x| f64::from(x)).collect()));
            }
        }
        if let Some(call) = self.stopped_call {
            arrays.push((
                "gpu_call".to_string(),
                vec![
                    call.target_s,
                    call.start_s,
                    f64::from(call.remaining),
                    f64::from(call.elapsed),
                    f64::from(call.rain_before),
                ],
            ));
        }
        Ok(Checkpoint {
            header: basintwin_core::checkpoint::Header {
                scheme: self.cfg.scheme.name().into(),
                precision: "f32 (gpu)".into(),
                nx: self.grid.nx,
                ny: self.grid.ny,
                terrain_fingerprint: self.fingerprint,
                time_s: self.t_s,
                steps: self.steps,
                max_rate: f64::from(self.control.max_rate),
                ledger: self.ledger,
                tracked_m3: self.tracked_m3.clone(),
                arrays: Vec::new(),
                extra,
            },
            arrays,
        })
    }

    fn restore(&mut self, c: &Checkpoint) -> basintwin_core::Result<()> {
        let h = &c.header;
        let bad = |detail: String| CoreError::Invalid {
            what: "checkpoint",
            detail,
            expected: "a checkpoint of the GPU backend with the same terrain, grid and scheme",
        };
        if (h.nx, h.ny) != (self.grid.nx, self.grid.ny)
            || h.scheme != self.cfg.scheme.name()
            || h.precision != "f32 (gpu)"
        {
            return Err(bad(format!(
                "it was written by {} in {} on {} x {} cells",
                h.scheme, h.precision, h.nx, h.ny
            )));
        }
        if h.terrain_fingerprint != self.fingerprint {
            return Err(bad("the bed, mask or roughness differ".into()));
        }
        if h.tracked_m3.len() != self.tracked_m3.len() {
            return Err(bad(format!(
                "it tracks {} cross-sections, the model {}",
                h.tracked_m3.len(),
                self.tracked_m3.len()
            )));
        }
        let cells = self.grid.cells();
        let get = |name: &str, n: usize| -> basintwin_core::Result<Vec<f32>> {
            match c.array(name) {
                Some(v) if v.len() == n => Ok(v.iter().map(|&x| x as f32).collect()),
                _ => Err(bad(format!("{name} is missing or has the wrong size"))),
            }
        };
        let q = &self.ctx.queue;
        for (name, b) in [("h", bind::H), ("qx", bind::QX), ("qy", bind::QY)] {
            q.write_buffer(&self.buf[b], 0, bytemuck::cast_slice(&get(name, cells)?));
        }
        let m: Vec<Vec<f32>> = [
            "max_depth_m",
            "max_speed_m_s",
            "max_hazard_m2_s",
            "arrival_s",
        ]
        .iter()
        .map(|n| get(n, cells))
        .collect::<basintwin_core::Result<_>>()?;
        let packed: Vec<[f32; 4]> = (0..cells)
            .map(|k| [m[0][k], m[1][k], m[2][k], m[3][k]])
            .collect();
        q.write_buffer(&self.buf[bind::MAXIMA], 0, bytemuck::cast_slice(&packed));
        let (nx, ny) = (self.grid.nx, self.grid.ny);
        if self.cfg.scheme == Scheme::Inertial {
            q.write_buffer(
                &self.buf[8],
                0,
                bytemuck::cast_slice(&get("qfx", (nx + 1) * ny)?),
            );
            q.write_buffer(
                &self.buf[9],
                0,
                bytemuck::cast_slice(&get("qfy", nx * (ny + 1))?),
            );
        }
        for (on, name, b) in [
            (
                self.params.infiltration != 0,
                "infiltrated_m",
                bind::INFILTRATED,
            ),
            (self.params.n_frames > 0, "rain_cum_m", bind::RAIN_CUM),
        ] {
            match (on, c.array(name).is_some()) {
                (true, true) => {
                    q.write_buffer(&self.buf[b], 0, bytemuck::cast_slice(&get(name, cells)?));
                }
                (false, false) => {}
                _ => {
                    return Err(bad(format!(
                        "{name}: one of the two runs has it, the other not"
                    )));
                }
            }
        }
        if self.params.rain != 0 {
            // Absent from a checkpoint of a run without rain: nothing was carried.
            let carry = match c.array("rain_carry_m") {
                Some(_) => get("rain_carry_m", cells)?,
                None => vec![0.0f32; cells],
            };
            q.write_buffer(&self.buf[bind::RAIN_CARRY], 0, bytemuck::cast_slice(&carry));
        }
        let tracked: Vec<[f32; 2]> = h
            .tracked_m3
            .iter()
            .map(|&v| {
                let hi = v as f32;
                [hi, (v - f64::from(hi)) as f32]
            })
            .collect();
        if !tracked.is_empty() {
            q.write_buffer(&self.buf[bind::TRACKED], 0, bytemuck::cast_slice(&tracked));
        }
        self.tracked_m3.clone_from(&h.tracked_m3);
        self.stopped_call = match c.array("gpu_call") {
            Some(&[target_s, start_s, remaining, elapsed, rain_before]) => Some(StoppedCall {
                target_s,
                start_s,
                remaining: remaining as f32,
                elapsed: elapsed as f32,
                rain_before: rain_before as f32,
            }),
            _ => None,
        };
        self.t_s = h.time_s;
        self.steps = h.steps;
        self.ledger = h.ledger;
        self.control.max_rate = h.max_rate as f32;
        Ok(())
    }
}

/// The GPU backend's scheme list, for messages.
pub fn schemes() -> Vec<Scheme> {
    Scheme::ALL
        .into_iter()
        .filter(|s| crate::shaders::scheme_source(*s).is_some())
        .collect()
}
