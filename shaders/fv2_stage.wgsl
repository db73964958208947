// fv2_stage.wgsl — Rust twin: `engine/core/src/cpu/fv.rs` (`CpuBackend::step_fv2`).
//
// fv2's part of the finite-volume module (with fv.wgsl): the Runge-Kutta stage arrays and the
// limited slopes, what the shared passes read and write through them, and the slopes pass:
//   fv2_slopes   limited slopes of h, eta, u, v of every cell in x and y
// Stage 2 reads the stage arrays where stage 1 read the state (`control.stage`).
// fv1_stage.wgsl defines the same functions for fv1.

// fv2: the Runge-Kutta stage (h, qx, qy) and the slopes (dh, deta, du, dv) along x and y.
@group(0) @binding(14) var<storage, read_write> hs: array<f32>;
@group(0) @binding(15) var<storage, read_write> qxs: array<f32>;
@group(0) @binding(16) var<storage, read_write> qys: array<f32>;
@group(0) @binding(17) var<storage, read_write> slope_x: array<vec4<f32>>;
@group(0) @binding(18) var<storage, read_write> slope_y: array<vec4<f32>>;

// GPU only (the CPU passes the stage's arrays): the depth the current stage works from, the
// stage arrays in fv2's second stage.
fn src_h(k: u32) -> f32 {
    return select(h[k], hs[k], control.stage == 1u);
}

// GPU only: the discharges of the current stage's source, as `src_h`.
fn src_q(k: u32) -> vec2<f32> {
    return select(vec2<f32>(qx[k], qy[k]), vec2<f32>(qxs[k], qys[k]), control.stage == 1u);
}

// GPU only (the CPU passes the slope arrays): the slopes of cell `k` along y (`y_dir`) or x.
fn stage_slopes(k: u32, y_dir: bool) -> vec4<f32> {
    return select(slope_x[k], slope_y[k], y_dir);
}

// GPU only (the CPU passes the stage arrays): the end of the first stage, (h, qx, qy) of cell
// `k`.
fn store_stage(k: u32, s: vec3<f32>) {
    hs[k] = s.x;
    qxs[k] = s.y;
    qys[k] = s.z;
}

// Rust twin: `engine/core/src/cpu/fv.rs::CpuBackend::fv2_slopes` — the slopes of every
// active cell along x and y.
@compute @workgroup_size(WORKGROUP)
fn fv2_slopes(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let k = cell_index(wg, lid, params.groups_x);
    if k >= params.cells || control.dt <= 0.0 || mask[k] == 0u {
        return;
    }
    let i = i32(k % params.nx);
    let j = i32(k / params.nx);
    slope_x[k] = cell_slopes(i, u32(j), false, cell_state(k, false));
    slope_y[k] = cell_slopes(j, u32(i), true, cell_state(k, true));
}

// Rust twin: `engine/core/src/cpu/view.rs::View::triple` (then `numerics/fv2.wgsl::slopes`) —
// the slopes of cell `c` at position `p` of `line`; a missing neighbour's ghost is continued
// from the cell on the other side (or that side's plain ghost).
fn cell_slopes(p: i32, line: u32, y_dir: bool, c: vec4<f32>) -> vec4<f32> {
    var a: vec4<f32>;
    var b: vec4<f32>;
    let has_a = line_cell(p - 1, line, y_dir, &a);
    let has_b = line_cell(p + 1, line, y_dir, &b);
    let side_a = side_of(p - 1, line, y_dir);
    let side_b = side_of(p + 1, line, y_dir);
    let inner_a = select(ghost(c, side_b, y_dir), b, has_b);
    let inner_b = select(ghost(c, side_a, y_dir), a, has_a);
    if !has_a {
        a = make_ghost(continued(ghost_kind(c, side_a, y_dir), c, inner_a), c);
    }
    if !has_b {
        b = make_ghost(continued(ghost_kind(c, side_b, y_dir), c, inner_b), c);
    }
    return slopes(a, c, b, params.h_dry);
}
