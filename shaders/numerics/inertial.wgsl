// numerics/inertial.wgsl — Rust twin: `engine/core/src/numerics/inertial.rs`.
//
// The local inertial face discharge (Bates et al. 2010; de Almeida et al. 2012, theta
// weighting) with implicit friction, and the outflow-limiting factor of a cell.

// Rust twin: `engine/core/src/numerics/inertial.rs::face_discharge` — the new unit discharge
// through a face. `q` = (old q, q behind, q ahead) is `FaceInput`'s q, q_behind, q_ahead;
// `lr` = (eta_l, eta_r, z_l, z_r); `g_n2` = g n^2 at the face.
fn face_discharge(
    q: vec3<f32>,
    lr: vec4<f32>,
    g_n2: f32,
    dt_s: f32,
    inv_d: f32,
    theta: f32,
    g: f32,
    h_dry: f32,
) -> f32 {
    let h_f = max(lr.x, lr.y) - max(lr.z, lr.w);
    let q_avg = theta * q.x + 0.5 * (1.0 - theta) * (q.y + q.z);
    let num = q_avg - g * h_f * dt_s * (lr.y - lr.x) * inv_d;
    let wet = h_f > h_dry;
    let qn = num * manning_factor(select(1.0, h_f, wet), abs(num), g_n2, dt_s);
    return select(0.0, qn, wet);
}

// Rust twin: `engine/core/src/numerics/inertial.rs::outflow_scale` — min(1, h / out_depth).
fn outflow_scale(h: f32, out_depth: f32) -> f32 {
    return select(1.0, h / out_depth, out_depth > h);
}
