// maxima.wgsl — Rust twin: `engine/core/src/maxima.rs`.
//
// The flood map's per-cell extremes, pointwise (no bindings; the kernels store them).

// Rust twin: `engine/core/src/maxima.rs::track` — `m` is (depth, speed, hazard, arrival); an
// arrival below zero (`ARRIVAL_NOT_YET`) means "not yet": WGSL may assume there are no NaNs,
// so the CPU's NaN is -1 here.
fn track(h: f32, speed: f32, t: f32, arrival_depth: f32, m: vec4<f32>) -> vec4<f32> {
    let first = m.w < 0.0 && h > arrival_depth;
    return vec4<f32>(
        max(m.x, h),
        max(m.y, speed),
        max(m.z, h * (speed + HAZARD_SPEED_OFFSET_M_S)),
        select(m.w, t, first),
    );
}
