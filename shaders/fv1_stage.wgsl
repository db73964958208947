// fv1_stage.wgsl — Rust twin: `engine/core/src/cpu/fv.rs` (`CpuBackend::step_fv1`).
//
// fv1's part of the finite-volume module (with fv.wgsl): its one Euler stage works from the
// state itself and has no slopes, so fv1's module binds no stage arrays. fv2_stage.wgsl
// defines the same functions for fv2.

// GPU only (the CPU passes the state): the depth of cell `k` the stage works from.
fn src_h(k: u32) -> f32 {
    return h[k];
}

// GPU only: the discharges of cell `k` the stage works from.
fn src_q(k: u32) -> vec2<f32> {
    return vec2<f32>(qx[k], qy[k]);
}

// GPU only: fv1 has no slopes (the second-order branches that would read them do not run).
fn stage_slopes(k: u32, y_dir: bool) -> vec4<f32> {
    return vec4<f32>(0.0);
}

// GPU only: fv1 has a single stage, which writes the state; nothing is stored in between.
fn store_stage(k: u32, s: vec3<f32>) {
}
