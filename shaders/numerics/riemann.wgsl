// numerics/riemann.wgsl — Rust twin: `engine/core/src/numerics/riemann.rs`.
//
// HLLC approximate Riemann solver (Toro 2001, ch. 10), written for the x direction; the y
// direction swaps (u, v). Branch-free as in Rust: every case is computed and selected.

// Rust twin: `engine/core/src/numerics/riemann.rs::pressure` — g h^2 / 2, evaluated the same
// way everywhere.
fn pressure(h: f32, g: f32) -> f32 {
    return 0.5 * g * h * h;
}

// Rust twin: `engine/core/src/numerics/riemann.rs::hllc` — the flux (mass, normal momentum,
// tangential momentum) per metre of interface between (hl, ul, vl) and (hr, ur, vr). Where
// both sides are dry the divisions are by a stand-in 1 (WGSL has no NaN to select away).
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
