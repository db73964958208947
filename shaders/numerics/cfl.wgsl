// numerics/cfl.wgsl — Rust twin: `engine/core/src/numerics/cfl.rs`.
//
// The wave-speed rate of one cell (1/s) whose largest value over the domain sets the time
// step (`step.wgsl::plan`, twin of `cfl.rs::next_dt`).

// Rust twin: `engine/core/src/numerics/cfl.rs::fv_rate` — (|u| + c)/dx + (|v| + c)/dy. The
// divisions by a dry depth are by a stand-in 1 (selected away), as WGSL has no NaN.
fn fv_rate(h: f32, qx: f32, qy: f32, inv_dx: f32, inv_dy: f32, g: f32, h_dry: f32) -> f32 {
    let wet = h > h_dry;
    let hs = select(1.0, h, wet);
    let c = sqrt(g * hs);
    return select(0.0, (abs(qx / hs) + c) * inv_dx + (abs(qy / hs) + c) * inv_dy, wet);
}

// Rust twin: `engine/core/src/numerics/cfl.rs::inertial_rate` — sqrt(g h) / min(dx, dy).
fn inertial_rate(h: f32, inv_dmin: f32, g: f32, h_dry: f32) -> f32 {
    return select(0.0, sqrt(g * h) * inv_dmin, h > h_dry);
}
