// common.wgsl — Rust twin: `engine/gpu/src/layout.rs` (the structs) and
// `engine/core/src/cpu/mod.rs` (what the kernels do).
//
// The structs and bindings every scheme's module shares, and the helpers of the kernels. The
// pointwise physics is in `numerics/*.wgsl` and `maxima.wgsl`, the constants shared with Rust
// in the prelude that `basintwin_gpu::shaders::prelude` generates. The Rust `Params` and
// `Control` structs are checked against these with naga reflection (`layout.rs`), the bindings
// against the buffers the backend binds (`backend.rs`).

// Run constants (uniform). Rust twin: `engine/gpu/src/layout.rs::Params`.
struct Params {
    nx: u32,
    ny: u32,
    cells: u32,
    // Workgroups along x of a 2D dispatch over cells (rows of workgroups when one row is
    // not enough: a dispatch dimension is limited to 65535 workgroups).
    groups_x: u32,
    dx: f32,
    dy: f32,
    g: f32,
    h_dry: f32,
    courant: f32,
    max_dt: f32,
    min_dt: f32,
    arrival_depth: f32,
    // Boundary kinds per side (`BC_WALL`, `BC_FREE`, `BC_NORMAL_DEPTH`) and their bed slopes.
    bc_west: u32,
    bc_east: u32,
    bc_south: u32,
    bc_north: u32,
    slope_west: f32,
    slope_east: f32,
    slope_south: f32,
    slope_north: f32,
    // Partial sums written by the cell kernels (one per workgroup).
    n_partials: u32,
    active_cells: u32,
    // Point sources, and the number of gridded-rain frames.
    n_sources: u32,
    theta: f32,
    // Runge-Kutta stages per step: 2 for fv2, 1 otherwise.
    rk_stages: u32,
    // 1 when an infiltration model is set.
    infiltration: u32,
    n_frames: u32,
    // Boundary segments, their faces, the tracked (cross-section) faces and sections.
    n_segments: u32,
    n_seg_faces: u32,
    n_track_faces: u32,
    n_sections: u32,
    // 1 when the model has rain (uniform or gridded): the `rain` pass runs after each step.
    rain: u32,
}

// Time-step state, read and written on the device only; the host resets it per target time and
// reads it back after each batch of steps. Rust twin: `engine/gpu/src/layout.rs::Control`.
struct Control {
    // Seconds to advance in this call, and how far it got.
    remaining: f32,
    elapsed: f32,
    // Time at the start of this call (seconds since the run's start), for arrival times.
    t_base: f32,
    // The step being taken (0: no step) and its uniform rain depth (m).
    dt: f32,
    rain_step: f32,
    // Largest CFL rate (1/s) of the last step.
    max_rate: f32,
    done: u32,
    steps: u32,
    // `FAILED_NON_FINITE` or `FAILED_DT_COLLAPSED` (0: running).
    failed: u32,
    // fv2: 0 in the first Runge-Kutta stage, 1 in the second.
    stage: u32,
    // Gridded rain: the frames with a weight in this step.
    frame_lo: u32,
    frame_hi: u32,
    // Uniform rain fallen since the start of the run up to the end of the last step (m).
    rain_before: f32,
    // Always 1.0 (set by the host): an opaque one for `two_sum_add` and `forcing::two_sum`.
    one: f32,
    pad1: u32,
    pad2: u32,
    // Water budget of this call as compensated sums (hi, lo), m^3, indexed by `LEDGER_*`:
    // boundary inflow, boundary outflow, rain, positivity correction, point sources,
    // infiltration.
    ledger: array<vec2<f32>, 6>,
}

// The bindings every scheme's module shares (numbers as in `basintwin_gpu::backend::bind`);
// 8, 9 and 14 to 18 are each scheme's own, 13 and 19 on are in forcing.wgsl and segments.wgsl.
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> control: Control;
@group(0) @binding(2) var<storage, read_write> h: array<f32>;
@group(0) @binding(3) var<storage, read_write> qx: array<f32>;
@group(0) @binding(4) var<storage, read_write> qy: array<f32>;
@group(0) @binding(5) var<storage, read> z: array<f32>;
@group(0) @binding(6) var<storage, read> gn2: array<f32>;
@group(0) @binding(7) var<storage, read> mask: array<u32>;
// Outflow-limiting factor per cell.
@group(0) @binding(10) var<storage, read_write> scale: array<f32>;
// Per cell: max depth, max speed, max hazard, first arrival (`ARRIVAL_NOT_YET`: not yet).
@group(0) @binding(11) var<storage, read_write> maxima: array<vec4<f32>>;
// Per workgroup of the cell kernels (see `reduce_partials` in step.wgsl).
@group(0) @binding(12) var<storage, read_write> partials: array<vec4<f32>>;

// GPU only: the cell index of an invocation in a 2D dispatch over cells of `groups_x`
// workgroups per row.
fn cell_index(wg: vec3<u32>, lid: u32, groups_x: u32) -> u32 {
    return (wg.y * groups_x + wg.x) * WORKGROUP + lid;
}

// GPU only (the CPU books its ledger in f64): error-free sum of two f32 (Knuth's TwoSum). The
// ledger's running totals are kept as (hi, lo) pairs so that a long run does not lose the
// small terms of late steps.
// The sum is multiplied by `control.one` (1.0, unknown to the compiler): shader compilers may
// treat float arithmetic as associative (Mesa's NIR does unless an operation is marked exact,
// which WGSL cannot say) and cancel `(a + x) - a` to `x`, which zeroes the error term.
fn two_sum_add(acc: vec2<f32>, x: f32) -> vec2<f32> {
    let s = (acc.x + x) * control.one;
    let bp = s - acc.x;
    let err = (acc.x - (s - bp)) + (x - bp);
    let lo = acc.y + err;
    let hi = s + lo;
    return vec2<f32>(hi, lo - (hi - s));
}
