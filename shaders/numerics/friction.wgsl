// numerics/friction.wgsl — Rust twin: `engine/core/src/numerics/friction.rs`.
//
// Manning bed friction, implicit (backward Euler): the factor 2 / (1 + sqrt(1 + 4 B |q|)),
// B = dt g n^2 / h^(7/3).

// Rust twin: `engine/core/src/numerics/friction.rs::manning_factor` — h^(7/3) = h^2 h^(1/3);
// the cube root is `pow` here where Rust has `Real::cbrt_fast` (a few ulp apart, see the
// pointwise test), and `max(h, 1e-30)` keeps `pow` defined at h = 0.
fn manning_factor(h: f32, q_abs: f32, g_n2: f32, dt_s: f32) -> f32 {
    let h73 = h * h * pow(max(h, 1e-30), 1.0 / 3.0);
    return 2.0 / (1.0 + sqrt(1.0 + 4.0 * dt_s * g_n2 * q_abs / h73));
}

// Rust twin: `engine/core/src/numerics/friction.rs::apply_manning` — a cell's discharges after
// friction; cells shallower than `h_dry` stop.
fn apply_manning(h: f32, qx: f32, qy: f32, g_n2: f32, dt_s: f32, h_dry: f32) -> vec2<f32> {
    let wet = h > h_dry;
    let q_abs = sqrt(qx * qx + qy * qy);
    let f = manning_factor(select(1.0, h, wet), q_abs, g_n2, dt_s);
    return select(vec2<f32>(0.0), vec2<f32>(qx, qy) * f, wet);
}
