// numerics/reconstruction.wgsl — Rust twin: `engine/core/src/numerics/reconstruction.rs`.
//
// Hydrostatic reconstruction (Audusse et al. 2004) and limited MUSCL slopes. The limiter's
// weight `LIMITER_THETA` comes from the generated prelude (`basintwin_gpu::shaders::prelude`).

// Rust twin: `engine/core/src/numerics/reconstruction.rs::hydrostatic_eta` — from the surface
// levels and beds of the two sides, returns (z_f, h*_l, h*_r).
fn hydrostatic_eta(eta_l: f32, zl: f32, eta_r: f32, zr: f32) -> vec3<f32> {
    let zf = max(zl, zr);
    return vec3<f32>(zf, max(eta_l - zf, 0.0), max(eta_r - zf, 0.0));
}

// Rust twin: `engine/core/src/numerics/reconstruction.rs::minmod`.
fn minmod(a: f32, b: f32) -> f32 {
    return select(select(0.0, max(a, b), a < 0.0 && b < 0.0), min(a, b), a > 0.0 && b > 0.0);
}

// Rust twin: `engine/core/src/numerics/reconstruction.rs::limited_slope` —
// minmod(theta a, (a + b) / 2, theta b) of the backward and forward differences.
fn limited_slope(a: f32, b: f32) -> f32 {
    return minmod(LIMITER_THETA * a, minmod(0.5 * (a + b), LIMITER_THETA * b));
}
