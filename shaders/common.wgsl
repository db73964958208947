// common.wgsl — types and pointwise physics shared by every scheme's module.
//
// Each function names its Rust twin in basintwin-core; the two are kept equal by the tests that
// run both backends on the same cases (engine/gpu/tests). The Rust `Params` and `Control`
// structs (engine/gpu/src/layout.rs) are checked against these with naga reflection.

// Run constants (uniform). Rust twin: `basintwin_gpu::layout::Params`.
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
    // Boundary kinds per side (0 wall, 1 free outflow, 2 normal depth) and their bed slopes.
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
// reads it back after each batch of steps. Rust twin: `basintwin_gpu::layout::Control`.
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
    // 1: a non-finite depth appeared; 2: the time step collapsed below min_dt.
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
    // Water budget of this call as compensated sums (hi, lo), m^3: boundary inflow, boundary
    // outflow, rain, positivity correction, point sources, infiltration.
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
// Per cell: max depth, max speed, max hazard, first arrival (-1: not yet).
@group(0) @binding(11) var<storage, read_write> maxima: array<vec4<f32>>;
// Per workgroup of the cell kernels (see `reduce_partials` in step.wgsl).
@group(0) @binding(12) var<storage, read_write> partials: array<vec4<f32>>;

const WORKGROUP: u32 = 256u;

// Cell index of an invocation in a 2D dispatch over cells of `params.groups_x` columns.
fn cell_index(wg: vec3<u32>, lid: u32, groups_x: u32) -> u32 {
    return (wg.y * groups_x + wg.x) * WORKGROUP + lid;
}

// Rust twin: `numerics::velocity`.
fn velocity(h: f32, q: f32, h_dry: f32) -> f32 {
    return select(0.0, q / h, h > h_dry);
}

// Rust twin: `numerics::reconstruction::hydrostatic_eta` (Audusse et al. 2004), from the
// surface levels and beds of the two sides. Returns (z_f, h*_l, h*_r).
fn hydrostatic_eta(eta_l: f32, zl: f32, eta_r: f32, zr: f32) -> vec3<f32> {
    let zf = max(zl, zr);
    return vec3<f32>(zf, max(eta_l - zf, 0.0), max(eta_r - zf, 0.0));
}

// Rust twin: `numerics::riemann::pressure` — g h^2 / 2, evaluated the same way everywhere.
fn pressure(h: f32, g: f32) -> f32 {
    return 0.5 * g * h * h;
}

// Rust twin: `numerics::riemann::hllc` (Toro 2001, ch. 10). Returns the flux
// (mass, normal momentum, tangential momentum) per metre of interface.
fn hllc(hl: f32, ul: f32, vl: f32, hr: f32, ur: f32, vr: f32, g: f32) -> vec3<f32> {
    let cl = sqrt(g * hl);
    let cr = sqrt(g * hr);
    let u_star = 0.5 * (ul + ur) + cl - cr;
    let c_star = 0.5 * (cl + cr) + 0.25 * (ul - ur);
    let sl = select(min(ul - cl, u_star - c_star), ur - 2.0 * cr, hl <= 0.0);
    let sr = select(max(ur + cr, u_star + c_star), ul + 2.0 * cl, hr <= 0.0);
    let fl0 = hl * ul;
    let fl1 = hl * ul * ul + pressure(hl, g);
    let fr0 = hr * ur;
    let fr1 = hr * ur * ur + pressure(hr, g);
    let dry = hl <= 0.0 && hr <= 0.0;
    // Both dry: sr - sl is zero; the result is selected away below.
    let inv = 1.0 / select(sr - sl, 1.0, dry);
    // Mass in the textbook form (exactly zero through a wall), momentum as the left flux plus
    // a correction (exactly the hydrostatic pressure between equal states at rest).
    let hll0 = (sr * fl0 - sl * fr0 + sl * sr * (hr - hl)) * inv;
    let hll1 = fl1 + sl * (sr * (fr0 - fl0) - (fr1 - fl1)) * inv;
    let f0 = select(select(hll0, fr0, sr <= 0.0), fl0, sl >= 0.0);
    let f1 = select(select(hll1, fr1, sr <= 0.0), fl1, sl >= 0.0);
    let den = hr * (ur - sr) - hl * (ul - sl);
    let s_m = (sl * hr * (ur - sr) - sr * hl * (ul - sl)) / select(den, -1.0, dry);
    let f2 = f0 * select(vr, vl, s_m >= 0.0);
    return select(vec3<f32>(f0, f1, f2), vec3<f32>(0.0), dry);
}

// Rust twin: `numerics::fv1::face_flux_uv`. Sides are (depth, normal velocity, tangential
// velocity, bed); returns (mass, mom_l, mom_r, tan), momentum in deviation form.
fn face_flux_uv(l: vec4<f32>, r: vec4<f32>, g: f32) -> vec4<f32> {
    return face_flux_eta(
        vec4<f32>(l.x + l.w, l.y, l.z, l.w),
        vec4<f32>(r.x + r.w, r.y, r.z, r.w),
        g,
    );
}

// Rust twin: `numerics::fv1::face_flux_eta`. Sides are (surface level, normal velocity,
// tangential velocity, bed); each side's momentum flux less the pressure of its reconstructed
// depth (the cell's own pressure cancels in the update; exactly zero for a lake at rest).
fn face_flux_eta(l: vec4<f32>, r: vec4<f32>, g: f32) -> vec4<f32> {
    let rec = hydrostatic_eta(l.x, l.w, r.x, r.w);
    let hl = rec.y;
    let hr = rec.z;
    let f = hllc(hl, l.y, l.z, hr, r.y, r.z, g);
    return vec4<f32>(f.x, f.y - pressure(hl, g), f.y - pressure(hr, g), f.z);
}

// Rust twin: `numerics::friction::manning_factor` — implicit friction, 2 / (1 + sqrt(1 + 4 B |q|)),
// B = dt g n^2 / h^(7/3) (h^(7/3) = h^2 h^(1/3)).
fn manning_factor(h: f32, q_abs: f32, g_n2: f32, dt: f32) -> f32 {
    let h73 = h * h * pow(max(h, 1e-30), 1.0 / 3.0);
    return 2.0 / (1.0 + sqrt(1.0 + 4.0 * dt * g_n2 * q_abs / h73));
}

// Rust twin: `numerics::friction::apply_manning`.
fn apply_manning(h: f32, qx: f32, qy: f32, g_n2: f32, dt: f32, h_dry: f32) -> vec2<f32> {
    let wet = h > h_dry;
    let q_abs = sqrt(qx * qx + qy * qy);
    let f = manning_factor(select(1.0, h, wet), q_abs, g_n2, dt);
    return select(vec2<f32>(0.0), vec2<f32>(qx, qy) * f, wet);
}

// Rust twin: `numerics::cfl::fv_rate`.
fn fv_rate(h: f32, qx: f32, qy: f32, inv_dx: f32, inv_dy: f32, g: f32, h_dry: f32) -> f32 {
    let wet = h > h_dry;
    let hs = select(1.0, h, wet);
    let c = sqrt(g * hs);
    return select(0.0, (abs(qx / hs) + c) * inv_dx + (abs(qy / hs) + c) * inv_dy, wet);
}

// Rust twin: `numerics::inertial::outflow_scale`.
fn outflow_scale(h: f32, out_depth: f32) -> f32 {
    return select(1.0, h / out_depth, out_depth > h);
}

// Rust twin: `maxima::track`. `m` is (depth, speed, hazard, arrival); an arrival below zero
// means "not yet" (WGSL may assume there are no NaNs, so the CPU's NaN is -1 here).
fn track(h: f32, speed: f32, t: f32, arrival_depth: f32, m: vec4<f32>) -> vec4<f32> {
    let first = m.w < 0.0 && h > arrival_depth;
    return vec4<f32>(
        max(m.x, h),
        max(m.y, speed),
        max(m.z, h * (speed + 0.5)),
        select(m.w, t, first),
    );
}

// Error-free sum of two f32 (Knuth's TwoSum): the ledger's running totals are kept as
// (hi, lo) pairs so that a long run does not lose the small terms of late steps.
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
