// numerics/fv2.wgsl — Rust twin: `engine/core/src/numerics/fv2.rs`.
//
// MUSCL slopes of (h, eta, u_n, u_t), the half-cell extrapolation to the faces and the
// deviation-form bed source. Slopes are vec4 (dh, deta, du, dv).

// Rust twin: `engine/core/src/numerics/fv2.rs::slopes` — of the cell state `c` (h, qn, qt, z)
// from `a` behind and `b` ahead along the normal.
fn slopes(a: vec4<f32>, c: vec4<f32>, b: vec4<f32>, h_dry: f32) -> vec4<f32> {
    return slopes_uv(
        vec4<f32>(a.x, a.x + a.w, velocity(a.x, a.y, h_dry), velocity(a.x, a.z, h_dry)),
        vec4<f32>(c.x, c.x + c.w, velocity(c.x, c.y, h_dry), velocity(c.x, c.z, h_dry)),
        vec4<f32>(b.x, b.x + b.w, velocity(b.x, b.y, h_dry), velocity(b.x, b.z, h_dry)),
        h_dry,
    );
}

// Rust twin: `engine/core/src/numerics/fv2.rs::slopes_uv` — from (h, eta, u_n, u_t) of the
// three cells; zero where the centre is dry.
fn slopes_uv(a: vec4<f32>, c: vec4<f32>, b: vec4<f32>, h_dry: f32) -> vec4<f32> {
    let s = vec4<f32>(
        limited_slope(c.x - a.x, b.x - c.x),
        limited_slope(c.y - a.y, b.y - c.y),
        limited_slope(c.z - a.z, b.z - c.z),
        limited_slope(c.w - a.w, b.w - c.w),
    );
    return select(vec4<f32>(0.0), s, c.x > h_dry);
}

// Rust twin: `engine/core/src/numerics/fv2.rs::bed_source` — -g h deta, per unit length.
fn bed_source(h: f32, s: vec4<f32>, g: f32) -> f32 {
    return -(g * h * s.y);
}

// Rust twin: `engine/core/src/numerics/fv2.rs::face_flux_sloped` — extrapolate half a cell,
// then the fv1 flux. Sides are (h, u_n, u_t, z), slopes (dh, deta, du, dv).
fn face_flux_sloped(l: vec4<f32>, sl: vec4<f32>, r: vec4<f32>, sr: vec4<f32>, g: f32) -> vec4<f32> {
    let eta_l = l.x + l.w + 0.5 * sl.y;
    let eta_r = r.x + r.w - 0.5 * sr.y;
    return face_flux_eta(
        vec4<f32>(eta_l, l.y + 0.5 * sl.z, l.z + 0.5 * sl.w, eta_l - (l.x + 0.5 * sl.x)),
        vec4<f32>(eta_r, r.y - 0.5 * sr.z, r.z - 0.5 * sr.w, eta_r - (r.x - 0.5 * sr.x)),
        g,
    );
}
