// numerics/fv1.wgsl — Rust twin: `engine/core/src/numerics/fv1.rs`.
//
// The first-order face flux: hydrostatic reconstruction (Audusse et al. 2004) + HLLC, the
// momentum in deviation form (each side's flux less the pressure of its reconstructed depth).
// Sides are vec4: a cell state (h, qn, qt, z), or (h, u_n, u_t, z), or (eta, u_n, u_t, z).

// Rust twin: `engine/core/src/numerics/fv1.rs::face_flux` — the flux between cell states
// `l` and `r` (h, qn, qt, z), normal from `l` to `r`.
fn face_flux(l: vec4<f32>, r: vec4<f32>, g: f32, h_dry: f32) -> vec4<f32> {
    return face_flux_uv(
        vec4<f32>(l.x, velocity(l.x, l.y, h_dry), velocity(l.x, l.z, h_dry), l.w),
        vec4<f32>(r.x, velocity(r.x, r.y, h_dry), velocity(r.x, r.z, h_dry), r.w),
        g,
    );
}

// Rust twin: `engine/core/src/numerics/fv1.rs::face_flux_uv` — sides are (depth, normal
// velocity, tangential velocity, bed); returns (mass, mom_l, mom_r, tan).
fn face_flux_uv(l: vec4<f32>, r: vec4<f32>, g: f32) -> vec4<f32> {
    return face_flux_eta(
        vec4<f32>(l.x + l.w, l.y, l.z, l.w),
        vec4<f32>(r.x + r.w, r.y, r.z, r.w),
        g,
    );
}

// Rust twin: `engine/core/src/numerics/fv1.rs::face_flux_eta` — sides are (surface level,
// normal velocity, tangential velocity, bed); each side's momentum flux less the pressure of
// its reconstructed depth (exactly zero for a lake at rest).
fn face_flux_eta(l: vec4<f32>, r: vec4<f32>, g: f32) -> vec4<f32> {
    let rec = hydrostatic_eta(l.x, l.w, r.x, r.w);
    let hl = rec.y;
    let hr = rec.z;
    let f = hllc(hl, l.y, l.z, hr, r.y, r.z, g);
    return vec4<f32>(f.x, f.y - pressure(hl, g), f.y - pressure(hr, g), f.z);
}
