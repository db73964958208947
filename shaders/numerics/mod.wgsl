// numerics/mod.wgsl — Rust twin: `engine/core/src/numerics/mod.rs`.
//
// The pointwise numerics on the GPU, one file per module of `basintwin_core::numerics` with the
// functions of the same names: pure functions of one interface or one cell, no bindings (the
// kernels that loop over cells and faces are in `shaders/*.wgsl`). A `FaceFlux` is a
// vec4 (mass, mom_l, mom_r, tan); a `CellState` a vec4 (h, qn, qt, z).

// Rust twin: `engine/core/src/numerics/mod.rs::velocity` — zero below the dry depth.
fn velocity(h: f32, q: f32, h_dry: f32) -> f32 {
    return select(0.0, q / h, h > h_dry);
}

// Rust twin: `engine/core/src/numerics/mod.rs::update_cell` — the finite-volume update of one
// cell from the deviation-form fluxes of its west, east, south and north faces and the
// cell-centred bed sources; rx = dt/dx, ry = dt/dy. Returns (h, qx, qy).
fn update_cell(
    h: f32,
    qx: f32,
    qy: f32,
    w: vec4<f32>,
    e: vec4<f32>,
    s: vec4<f32>,
    n: vec4<f32>,
    rx: f32,
    ry: f32,
    src_x: f32,
    src_y: f32,
) -> vec3<f32> {
    let h1 = h - rx * (e.x - w.x) - ry * (n.x - s.x);
    let qx1 = qx - rx * (e.y - w.z - src_x) - ry * (n.w - s.w);
    let qy1 = qy - rx * (e.w - w.w) - ry * (n.y - s.z - src_y);
    return vec3<f32>(h1, qx1, qy1);
}
