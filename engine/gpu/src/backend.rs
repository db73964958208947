//! [`GpuBackend`]: the core's [`Backend`] on wgpu. The state lives on the device for the whole
//! run; the time step is chosen, used and reduced there (`step.wgsl`), many steps go into one
//! submission, and the host reads back a 112-byte control block per batch of steps and the
//! fields only at output times.
//!
//! The buffers are bound by the names of the bindings the shader module declares, read from the
//! module with naga ([`crate::bindings`]); each one is made for a binding (no fillers) and
//! checked against it (usage, and size against what the kernels index) whenever the bind group
//! is built. Construction is in [`crate::setup`].

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use basintwin_core::{
    Backend, Checkpoint, CoreError, Forcing, Grid, MassLedger, Maxima, Scheme, SolverConfig, State,
    Terrain,
};

use crate::bindings::{self, Binding, Buffers};
use crate::context::{GpuContext, describe};
use crate::error::GpuError;
use crate::layout::{
    Control, FAILED_DT_COLLAPSED, FAILED_NON_FINITE, LEDGER_CORRECTION, LEDGER_INFILTRATION,
    LEDGER_INFLOW, LEDGER_OUTFLOW, LEDGER_RAIN, LEDGER_SOURCES, Params,
};
use crate::setup::{Dims, Fields, ForcingArrays, Span, name, required_bytes};

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
            ("fv2_slopes", Span::Cells, Always),
            ("faces_x", Span::FacesX, Always),
            ("faces_y", Span::FacesY, Always),
            ("segment_faces", Span::SegFaces, Segments),
            ("limit", Span::Cells, Always),
            ("update", Span::Cells, Always),
            ("track_sections", Span::One, Tracking),
            ("finish_stage", Span::One, Always),
            ("fv2_slopes", Span::Cells, Always),
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

/// Every kernel the backend may dispatch for `scheme`.
fn kernels(scheme: Scheme) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = program(scheme).iter().map(|p| p.0).collect();
    names.extend(FORCING_KERNELS.iter().map(|p| p.0));
    names.push("volume");
    names.sort_unstable();
    names.dedup();
    names
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
    dims: Dims,
    params: Params,
    control: Control,
    /// The bindings the module declares (naga reflection), and a buffer for each, by name.
    bindings: Vec<Binding>,
    buffers: Buffers,
    /// The bed and the active-cell mask as uploaded (for validating and setting up forcing).
    bed: Vec<f32>,
    mask: Vec<bool>,
    /// Fingerprint of the bed, mask and roughness as uploaded, for checkpoints.
    fingerprint: u64,
    layout: wgpu::BindGroupLayout,
    bind_group: wgpu::BindGroup,
    /// Every kernel of the module, by name.
    pipelines: HashMap<&'static str, wgpu::ComputePipeline>,
    /// The step program: kernel and dispatch size, in order.
    steps_program: Vec<(&'static str, (u32, u32))>,
    /// Series as given (seconds since the start): rain, then the point sources, then the
    /// segments; uploaded relative to the start of each `advance_to`.
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
        let dims = Dims::new(&grid, &ctx)?;
        let params = crate::setup::params(&grid, terrain, &cfg, &dims);
        let fields = Fields::new(&grid, terrain, state, &cfg);
        let control = Control {
            max_rate: fields.max_rate as f32,
            ..Control::default()
        };
        let bindings = bindings::reflect(&src)?;
        let dev = &ctx.device;
        let buffers = crate::setup::create_buffers(dev, &bindings, &params, &control, &fields)?;
        let compiled = crate::setup::compile(dev, cfg.scheme, src, &bindings, &kernels(cfg.scheme));
        let bind_group = Self::checked_bind_group(
            dev,
            cfg.scheme,
            &compiled.layout,
            &bindings,
            &buffers,
            &params,
            &[],
        )?;
        let as_f64 = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>();
        let mask_f64: Vec<f64> = fields.mask.iter().map(|&m| f64::from(m)).collect();
        let mut backend = Self {
            ledger: MassLedger::new(fields.depth_sum_m * grid.cell_area_m2()),
            fingerprint: basintwin_core::checkpoint::fingerprint(&[
                &as_f64(&fields.z),
                &as_f64(&fields.gn2),
                &mask_f64,
            ]),
            bed: fields.z,
            mask: terrain.active.clone(),
            ctx,
            grid,
            cfg,
            dims,
            params,
            control,
            bindings,
            buffers,
            layout: compiled.layout,
            bind_group,
            pipelines: compiled.pipelines,
            steps_program: Vec::new(),
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
            self.buffer(name::CONTROL)?,
            0,
            bytemuck::bytes_of(&self.control),
        );
        if self.control_ring.len() < 2 {
            self.control_ring = self.new_control_ring();
        }
        let index = self.submit_batch(n, &self.control_ring[0])?;
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
    /// cell), inflow and stage boundary segments. Every forcing buffer is replaced (by an empty
    /// one for what the model does not have).
    pub fn set_forcing(&mut self, forcing: Forcing) -> Result<(), GpuError> {
        let cells = self.grid.cells();
        forcing
            .validate(cells, &self.mask)
            .map_err(|e| GpuError::Unsupported(e.to_string()))?;
        let a = ForcingArrays::new(&forcing, &self.grid, &self.mask, &self.bed)?;
        if a.infil.is_some() {
            self.check_binding("infiltration parameters", 16 * cells as u64)?;
        }
        if let Some((fields, _)) = &a.frames {
            self.check_binding("gridded rain fields", 4 * fields.len() as u64)?;
        }
        let p = &mut self.params;
        p.n_segments = a.seg_info.len() as u32;
        p.n_seg_faces = a.seg_faces.len() as u32;
        p.n_sources = a.source_cells.len() as u32;
        p.infiltration = u32::from(a.infil.is_some());
        p.n_frames = a.frames.as_ref().map_or(0, |f| f.1.len()) as u32;
        p.rain = u32::from(a.rains);
        let points: usize = a.series.iter().map(Vec::len).sum();
        let cast = |v: &[[f32; 4]]| bytemuck::cast_slice::<[f32; 4], u8>(v).to_vec();
        let mut data: Vec<(&'static str, Vec<u8>)> = vec![
            (name::SERIES, vec![0u8; 8 * points]),
            (name::SERIES_INDEX, bytemuck::cast_slice(&a.index).to_vec()),
            (
                name::SOURCE_CELL,
                bytemuck::cast_slice(&a.source_cells).to_vec(),
            ),
            (name::SEG_FACES, bytemuck::cast_slice(&a.seg_faces).to_vec()),
            (name::SEG_INFO, cast(&a.seg_info)),
            (
                name::SEG_Q,
                vec![0u8; 4 * (a.seg_faces.len() + a.seg_info.len())],
            ),
            (
                name::INFIL,
                a.infil.as_deref().map(cast).unwrap_or_default(),
            ),
            (
                name::INFILTRATED,
                vec![0u8; 4 * cells * usize::from(a.infil.is_some())],
            ),
            (
                name::RAIN_CARRY,
                vec![0u8; 4 * cells * usize::from(a.rains)],
            ),
        ];
        let n_frames = self.params.n_frames as usize;
        let frames = a
            .frames
            .as_ref()
            .map(|f| f.0.as_slice())
            .unwrap_or_default();
        data.push((name::FRAMES, bytemuck::cast_slice(frames).to_vec()));
        data.push((name::FRAME_TW, vec![0u8; 8 * n_frames]));
        data.push((
            name::RAIN_CUM,
            vec![0u8; 4 * cells * usize::from(n_frames > 0)],
        ));
        for (n, bytes) in data {
            let buf = crate::setup::storage_init(&self.ctx.device, n, &bytes);
            self.buffers.insert(n.to_string(), buf);
        }
        self.frame_times = a.frames.map(|f| f.1).unwrap_or_default();
        self.series = a.series;
        self.forcing = forcing;
        self.build_program();
        self.rebind()
    }

    /// The step program for this model: the scheme's kernels it needs, then its forcing
    /// passes.
    fn build_program(&mut self) {
        let p = &self.params;
        let needed = |need: Need| match need {
            Need::Always => true,
            Need::Segments => p.n_segments > 0,
            Need::Tracking => p.n_track_faces > 0,
        };
        let mut prog: Vec<(&'static str, (u32, u32))> = program(self.cfg.scheme)
            .iter()
            .filter(|k| needed(k.2))
            .map(|k| (k.0, self.dims.dispatch(k.1, p.n_seg_faces)))
            .collect();
        let (rains, infiltrates) = (p.rain != 0, p.infiltration != 0);
        let wanted = [
            p.n_frames > 0,
            rains,
            p.n_sources > 0,
            infiltrates,
            rains || infiltrates,
        ];
        for ((name, span), want) in FORCING_KERNELS.iter().zip(wanted) {
            if want {
                prog.push((name, self.dims.dispatch(*span, 0)));
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
        let faces_buf =
            crate::setup::storage_init(dev, name::TRACK_FACES, bytemuck::cast_slice(&packed));
        let tracked_buf =
            crate::setup::storage_init(dev, name::TRACKED, &vec![0u8; 8 * self.track.len()]);
        self.buffers.insert(name::TRACK_FACES.into(), faces_buf);
        self.buffers.insert(name::TRACKED.into(), tracked_buf);
        self.params.n_track_faces = packed.len() as u32;
        self.params.n_sections = self.track.len() as u32;
        self.build_program();
        self.rebind()?;
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
                "{what} need {} MiB, over this adapter's storage-binding limit of {} MiB ({}); \
                 use the CPU backend",
                bytes >> 20,
                limit >> 20,
                describe(&self.ctx.info)
            )));
        }
        Ok(())
    }

    /// The bind group of `buffers`, after checking them against the module's bindings: a buffer
    /// for every binding, of the usage its access needs and at least the size the kernels
    /// index for `params` and `series` (points per series), and no buffer bound to nothing.
    fn checked_bind_group(
        dev: &wgpu::Device,
        scheme: Scheme,
        layout: &wgpu::BindGroupLayout,
        bindings: &[Binding],
        buffers: &Buffers,
        params: &Params,
        series: &[usize],
    ) -> Result<wgpu::BindGroup, GpuError> {
        bindings::check(bindings, buffers, |n| required_bytes(n, params, series))
            .map_err(|e| GpuError::Runtime(format!("{scheme} bindings: {e}")))?;
        bindings::bind_group(dev, scheme.name(), layout, bindings, buffers)
    }

    /// After a buffer or the parameters changed: upload the parameters, check the buffers and
    /// rebuild the bind group.
    fn rebind(&mut self) -> Result<(), GpuError> {
        let series: Vec<usize> = self.series.iter().map(Vec::len).collect();
        self.bind_group = Self::checked_bind_group(
            &self.ctx.device,
            self.cfg.scheme,
            &self.layout,
            &self.bindings,
            &self.buffers,
            &self.params,
            &series,
        )?;
        self.ctx.queue.write_buffer(
            self.buffer(name::PARAMS)?,
            0,
            bytemuck::bytes_of(&self.params),
        );
        Ok(())
    }

    /// The buffer bound to `name` (every binding has one, checked when bound).
    fn buffer(&self, name: &str) -> Result<&wgpu::Buffer, GpuError> {
        self.buffers
            .get(name)
            .ok_or_else(|| GpuError::Runtime(format!("no buffer is bound to `{name}`")))
    }

    /// [`Self::buffer`] for the `Backend` methods.
    fn buf(&self, name: &str) -> basintwin_core::Result<&wgpu::Buffer> {
        self.buffer(name).map_err(Self::runtime)
    }

    /// The device memory this backend's buffers take (bytes): an ensemble's memory per member.
    pub fn device_bytes(&self) -> u64 {
        self.buffers.values().map(wgpu::Buffer::size).sum()
    }

    /// The module's bindings and the buffers bound to them, for tests:
    /// (name, binding, buffer size, usage).
    #[cfg(test)]
    fn bound(&self) -> Vec<(String, u32, u64, wgpu::BufferUsages)> {
        self.bindings
            .iter()
            .filter_map(|b| {
                let buf = self.buffers.get(&b.name)?;
                Some((b.name.clone(), b.number, buf.size(), buf.usage()))
            })
            .collect()
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
    fn submit_batch(
        &self,
        n: u32,
        staging: &wgpu::Buffer,
    ) -> Result<wgpu::SubmissionIndex, GpuError> {
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
            self.buffer(name::CONTROL)?,
            0,
            staging,
            0,
            std::mem::size_of::<Control>() as u64,
        );
        Ok(self.ctx.queue.submit([enc.finish()]))
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
            let (x, y) = self.dims.dispatch(Span::Cells, 0);
            pass.dispatch_workgroups(x, y, 1);
        }
        self.ctx.queue.submit([enc.finish()]);
        let n = u64::from(self.params.n_partials) * 16;
        let bytes = self.read_back(&[(self.buffer(name::PARTIALS)?, n)])?;
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
            self.buf(name::CONTROL)?,
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
            q.write_buffer(self.buf(name::SERIES)?, 0, bytemuck::cast_slice(&pts));
        }
        if !self.frame_times.is_empty() {
            let ft: Vec<f32> = self
                .frame_times
                .iter()
                .map(|&t| (t - call_start) as f32)
                .collect();
            q.write_buffer(self.buf(name::FRAME_TW)?, 0, bytemuck::cast_slice(&ft));
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
        self.submit_more(&mut call).map_err(Self::runtime)?;
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
    fn submit_more(&self, call: &mut Call) -> Result<(), GpuError> {
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
            let index = self.submit_batch(n, &call.ring[call.free_slot])?;
            call.pending.push_back((call.free_slot, index, n));
            call.free_slot = 1 - call.free_slot;
            call.left -= n;
        }
        Ok(())
    }

    /// Runs a call to its end: two batches in flight, so that while the host reads the control
    /// block of one the device runs the next and never waits for the host. Batches after the
    /// target are reached are no-ops on the device (dt = 0).
    fn pump(&mut self, call: &mut Call) -> Result<(), GpuError> {
        loop {
            self.submit_more(call)?;
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
        let l = |k: u32| {
            let [hi, lo] = c.ledger[k as usize];
            f64::from(hi) + f64::from(lo)
        };
        self.ledger.boundary_inflow_m3 += l(LEDGER_INFLOW);
        self.ledger.boundary_outflow_m3 += l(LEDGER_OUTFLOW);
        self.ledger.rain_m3 += l(LEDGER_RAIN);
        self.ledger.positivity_correction_m3 += l(LEDGER_CORRECTION);
        self.ledger.source_inflow_m3 += l(LEDGER_SOURCES);
        self.ledger.infiltration_m3 += l(LEDGER_INFILTRATION);
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
                .read_back(&[(self.buf(name::TRACKED)?, n)])
                .map_err(Self::runtime)?;
            let v: Vec<[f32; 2]> = bytemuck::pod_collect_to_vec(&bytes[0]);
            self.tracked_m3 = v
                .iter()
                .map(|p| f64::from(p[0]) + f64::from(p[1]))
                .collect();
        }
        match c.failed {
            FAILED_NON_FINITE => {
                return Err(CoreError::Unstable {
                    time_s: self.t_s,
                    detail: "non-finite depth on the GPU".into(),
                });
            }
            FAILED_DT_COLLAPSED => {
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

    fn device_bytes(&self) -> Option<u64> {
        Some(GpuBackend::device_bytes(self))
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
        for (k, b) in [name::H, name::QX, name::QY].into_iter().enumerate() {
            enc.copy_buffer_to_buffer(self.buf(b)?, 0, &staging, k as u64 * n, n);
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
                (self.buf(name::H)?, n),
                (self.buf(name::QX)?, n),
                (self.buf(name::QY)?, n),
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
            .read_back(&[(self.buf(name::MAXIMA)?, n)])
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
        let mut want: Vec<(&str, &str, u64)> = vec![
            ("h", name::H, 4 * cells),
            ("qx", name::QX, 4 * cells),
            ("qy", name::QY, 4 * cells),
            ("maxima", name::MAXIMA, 16 * cells),
        ];
        let (nx, ny) = (self.grid.nx as u64, self.grid.ny as u64);
        if self.cfg.scheme == Scheme::Inertial {
            want.push(("qfx", name::QFX, 4 * (nx + 1) * ny));
            want.push(("qfy", name::QFY, 4 * nx * (ny + 1)));
        }
        if self.params.infiltration != 0 {
            want.push(("infiltrated_m", name::INFILTRATED, 4 * cells));
        }
        if self.params.n_frames > 0 {
            want.push(("rain_cum_m", name::RAIN_CUM, 4 * cells));
        }
        if self.params.rain != 0 {
            want.push(("rain_carry_m", name::RAIN_CARRY, 4 * cells));
        }
        let srcs = want
            .iter()
            .map(|(_, b, n)| Ok((self.buf(b)?, *n)))
            .collect::<basintwin_core::Result<Vec<(&wgpu::Buffer, u64)>>>()?;
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
        for (name, b) in [("h", name::H), ("qx", name::QX), ("qy", name::QY)] {
            q.write_buffer(self.buf(b)?, 0, bytemuck::cast_slice(&get(name, cells)?));
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
        q.write_buffer(self.buf(name::MAXIMA)?, 0, bytemuck::cast_slice(&packed));
        let (nx, ny) = (self.grid.nx, self.grid.ny);
        if self.cfg.scheme == Scheme::Inertial {
            q.write_buffer(
                self.buf(name::QFX)?,
                0,
                bytemuck::cast_slice(&get("qfx", (nx + 1) * ny)?),
            );
            q.write_buffer(
                self.buf(name::QFY)?,
                0,
                bytemuck::cast_slice(&get("qfy", nx * (ny + 1))?),
            );
        }
        for (on, name, b) in [
            (
                self.params.infiltration != 0,
                "infiltrated_m",
                name::INFILTRATED,
            ),
            (self.params.n_frames > 0, "rain_cum_m", name::RAIN_CUM),
        ] {
            match (on, c.array(name).is_some()) {
                (true, true) => {
                    q.write_buffer(self.buf(b)?, 0, bytemuck::cast_slice(&get(name, cells)?));
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
            q.write_buffer(self.buf(name::RAIN_CARRY)?, 0, bytemuck::cast_slice(&carry));
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
            q.write_buffer(self.buf(name::TRACKED)?, 0, bytemuck::cast_slice(&tracked));
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

#[cfg(test)]
mod tests {
    use super::*;
    use basintwin_core::{
        Boundaries, BoundaryKind, BoundarySegment, Infiltration, PointSource, RainGrid,
        SegmentKind, Series, Side, cases,
    };

    fn context() -> Option<GpuContext> {
        match GpuContext::from_env() {
            Ok(c) => Some(c),
            Err(e) => {
                if std::env::var("BASINTWIN_REQUIRE_GPU").is_ok_and(|v| v == "1") {
                    panic!("BASINTWIN_REQUIRE_GPU=1 but: {e}");
                }
                eprintln!("skipped: {e}");
                None
            }
        }
    }

    /// Every kind of forcing at once, so that every binding holds data.
    fn all_forcing(grid: &Grid) -> Forcing {
        let n = grid.cells();
        let series = |pts: Vec<(f64, f64)>| Series::new(pts, "series").unwrap();
        Forcing {
            rain_mm_h: Some(series(vec![(0.0, 20.0), (400.0, 0.0)])),
            rain_grid: Some(
                RainGrid::new(
                    vec![0.0, 300.0],
                    vec![(0..n).map(|k| (k % 7) as f32).collect(), vec![0.0; n]],
                    n,
                )
                .unwrap(),
            ),
            sources: vec![PointSource {
                name: "culvert".into(),
                cell: grid.index(30, 15),
                discharge_m3_s: series(vec![(0.0, 1.0), (600.0, 0.5)]),
            }],
            infiltration: Infiltration::Constant { rate_m_s: 1e-6 },
            boundaries: vec![
                BoundarySegment {
                    name: "upstream".into(),
                    side: Side::West,
                    cells: 10..20,
                    kind: SegmentKind::Inflow(series(vec![(0.0, 0.0), (200.0, 15.0)])),
                },
                BoundarySegment {
                    name: "lake".into(),
                    side: Side::North,
                    cells: 40..50,
                    kind: SegmentKind::Stage(series(vec![(0.0, 12.0), (600.0, 12.5)])),
                },
            ],
            ..Forcing::default()
        }
    }

    /// Every binding every kernel of every scheme declares is bound with a buffer of the
    /// usage its access needs and of at least the size the kernels index, before and after
    /// forcing and cross-sections are set; no buffer is bound to nothing; the device reports
    /// no validation error while the model is built and run.
    #[test]
    fn every_binding_is_bound_with_a_buffer_that_fits() {
        let case = cases::river_basin(60, 30, 10.0).unwrap();
        for scheme in schemes() {
            let Some(ctx) = context() else {
                return;
            };
            let scope = ctx.device.push_error_scope(wgpu::ErrorFilter::Validation);
            let cfg = SolverConfig::new(scheme).with_boundaries(Boundaries {
                east: BoundaryKind::NormalDepth { slope: 0.003 },
                ..Boundaries::walls()
            });
            let state = State::from_depth(&case.depth_m);
            let mut gpu =
                GpuBackend::new(ctx, case.grid.clone(), &case.terrain, state, cfg).unwrap();
            let reflected = bindings::reflect(&crate::shaders::source(scheme)).unwrap();
            let check = |gpu: &GpuBackend, when: &str| {
                let bound = gpu.bound();
                assert_eq!(bound.len(), reflected.len(), "{scheme} {when}: {bound:?}");
                assert_eq!(gpu.buffers.len(), reflected.len(), "{scheme} {when}");
                let series: Vec<usize> = gpu.series.iter().map(Vec::len).collect();
                for (b, (name, number, size, usage)) in reflected.iter().zip(&bound) {
                    assert_eq!((&b.name, b.number), (name, *number));
                    let need = required_bytes(name, &gpu.params, &series).unwrap();
                    assert!(*size >= need.max(b.min_bytes), "{scheme} {when}: {name}");
                    let want = match b.access {
                        bindings::Access::Uniform => wgpu::BufferUsages::UNIFORM,
                        _ => wgpu::BufferUsages::STORAGE,
                    };
                    assert!(usage.contains(want), "{scheme} {when}: {name} {usage:?}");
                }
            };
            check(&gpu, "new");
            gpu.set_forcing(all_forcing(&case.grid)).unwrap();
            gpu.track_faces((0..30).map(|j| (false, j * 61 + 30, 10.0)).collect())
                .unwrap();
            check(&gpu, "with forcing");
            // Forcing the kernels index is not empty any more.
            let series: Vec<usize> = gpu.series.iter().map(Vec::len).collect();
            for name in [
                name::SERIES,
                name::INFIL,
                name::FRAMES,
                name::SEG_FACES,
                name::TRACKED,
            ] {
                assert!(
                    required_bytes(name, &gpu.params, &series).unwrap() > 0,
                    "{name}"
                );
            }
            gpu.advance_to(120.0).unwrap();
            let error = pollster::block_on(scope.pop());
            assert!(error.is_none(), "{scheme}: {error:?}");
        }
    }

    /// The check refuses a binding without a buffer, a buffer too small for the kernels and a
    /// buffer bound to nothing (the old "unused" fillers).
    #[test]
    fn a_missing_small_or_unbound_buffer_is_refused() {
        let Some(ctx) = context() else {
            return;
        };
        let case = cases::valley_dam_break(20, 10, 20.0).unwrap();
        let state = State::from_depth(&case.depth_m);
        let cfg = SolverConfig::new(Scheme::Fv1);
        let mut gpu = GpuBackend::new(ctx, case.grid.clone(), &case.terrain, state, cfg).unwrap();
        let dev = gpu.ctx.device.clone();
        let small = crate::setup::storage_zeros(&dev, name::H, 16);
        let h = gpu.buffers.insert(name::H.into(), small).unwrap();
        let e = gpu.rebind().unwrap_err().to_string();
        assert!(
            e.contains("`h`") && e.contains("the kernels need 800"),
            "{e}"
        );
        gpu.buffers.remove(name::H);
        let e = gpu.rebind().unwrap_err().to_string();
        assert!(e.contains("`h` has no buffer"), "{e}");
        gpu.buffers.insert(name::H.into(), h);
        gpu.rebind().unwrap();
        let filler = crate::setup::storage_zeros(&dev, "unused 16", 16);
        gpu.buffers.insert("unused 16".into(), filler);
        let e = gpu.rebind().unwrap_err().to_string();
        assert!(e.contains("`unused 16` is bound to nothing"), "{e}");
    }
}
