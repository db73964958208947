// inertial.wgsl — Rust twin: `engine/core/src/cpu/inertial.rs` (`CpuBackend::step_inertial`).
//
// The kernels of the local inertial scheme (Bates et al. 2010; de Almeida et al. 2012, theta
// weighting) on the staggered grid:
//   faces          new discharges through every interior face of both directions, from the
//                  old ones
//   edges          the faces on the domain edge: free outflow copies the inner face outward
//                  only, normal depth drives outflow against a lowered ghost
//   limit          outflow-limiting factor of each cell
//   update         depth update, cell discharges, CFL rate, maxima
//   commit         the limited new discharges become the old ones of the next step
//   segment_faces  the discharges of inflow and stage segment faces
// The pointwise physics is in `numerics/*.wgsl`; the module also has common.wgsl, step.wgsl,
// forcing.wgsl and segments.wgsl.

// Unit discharges through x faces ((nx + 1) ny, positive east) and y faces (nx (ny + 1),
// positive north): old (8, 9) and new (14, 15).
@group(0) @binding(8) var<storage, read_write> qfx: array<f32>;
@group(0) @binding(9) var<storage, read_write> qfy: array<f32>;
@group(0) @binding(14) var<storage, read_write> qfx_new: array<f32>;
@group(0) @binding(15) var<storage, read_write> qfy_new: array<f32>;

// The inertial face discharge with this run's theta, g and dry depth. Rust twin:
// `engine/core/src/numerics/inertial.rs::face_discharge`.
fn run_face_discharge(q: vec3<f32>, lr: vec4<f32>, g_n2: f32, dt: f32, inv_d: f32) -> f32 {
    return face_discharge(q, lr, g_n2, dt, inv_d, params.theta, params.g, params.h_dry);
}

// The CFL rate of a cell, for the forcing passes. Rust twin:
// `engine/core/src/numerics/cfl.rs::inertial_rate`.
fn cell_rate(hc: f32, qxc: f32, qyc: f32) -> f32 {
    return inertial_rate(hc, 1.0 / min(params.dx, params.dy), params.g, params.h_dry);
}

// GPU only: whether cell `k` is active (the CPU keeps a bool per cell).
fn is_active(k: u32) -> bool {
    return mask[k] != 0u;
}

// Rust twin: `engine/core/src/cpu/rows.rs::inertial_faces` — the new discharge of interior
// face `a` of line `line` (between positions a - 1 and a), zero next to inactive cells; edge
// faces are left to `edges`.
fn interior_face(a: u32, line: u32, y_dir: bool, dt: f32) -> f32 {
    let n = select(params.nx, params.ny, y_dir);
    if a == 0u || a >= n {
        return 0.0;
    }
    let stride = select(1u, params.nx, y_dir);
    let base = select(line * params.nx, line, y_dir);
    let kl = base + (a - 1u) * stride;
    let kr = base + a * stride;
    if !is_active(kl) || !is_active(kr) {
        return 0.0;
    }
    // Faces along the line: x faces of row `line` are line * (nx + 1) + a; y faces of column
    // `line` are a * nx + line.
    var q: vec3<f32>;
    if y_dir {
        let nx = params.nx;
        q = vec3<f32>(qfy[a * nx + line], qfy[(a - 1u) * nx + line], qfy[(a + 1u) * nx + line]);
    } else {
        let f = line * (params.nx + 1u) + a;
        q = vec3<f32>(qfx[f], qfx[f - 1u], qfx[f + 1u]);
    }
    let lr = vec4<f32>(h[kl] + z[kl], h[kr] + z[kr], z[kl], z[kr]);
    let inv_d = 1.0 / select(params.dx, params.dy, y_dir);
    return run_face_discharge(q, lr, 0.5 * (gn2[kl] + gn2[kr]), dt, inv_d);
}

// Rust twin: `engine/core/src/cpu/rows.rs::inertial_faces` — every interior face of both
// directions.
@compute @workgroup_size(WORKGROUP)
fn faces(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let f = cell_index(wg, lid, params.groups_x);
    let dt = control.dt;
    if dt <= 0.0 {
        return;
    }
    let nfx = (params.nx + 1u) * params.ny;
    let nfy = params.nx * (params.ny + 1u);
    if f < nfx {
        qfx_new[f] = interior_face(f % (params.nx + 1u), f / (params.nx + 1u), false, dt);
    }
    if f < nfy {
        qfy_new[f] = interior_face(f / params.nx, f % params.nx, true, dt);
    }
}

// Rust twin: `engine/core/src/cpu/boundary.rs::normal_depth_face` — outflow through an edge face
// against a ghost with the interior depth on a bed lower by `drop`; `high`: the ghost is east
// / north.
fn normal_depth_face(q_old: f32, k: u32, drop: f32, high: bool, dt: f32, inv_d: f32) -> f32 {
    let eta = h[k] + z[k];
    var lr = vec4<f32>(eta - drop, eta, z[k] - drop, z[k]);
    if high {
        lr = vec4<f32>(eta, eta - drop, z[k], z[k] - drop);
    }
    let q = run_face_discharge(vec3<f32>(q_old), lr, gn2[k], dt, inv_d);
    return select(min(q, 0.0), max(q, 0.0), high);
}

// Rust twin: `engine/core/src/cpu/boundary.rs::CpuBackend::inertial_edges` — one
// edge face per invocation: west faces of rows 0..ny, east, south of columns 0..nx, north.
@compute @workgroup_size(WORKGROUP)
fn edges(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let e = cell_index(wg, lid, params.groups_x);
    let nx = params.nx;
    let ny = params.ny;
    let dt = control.dt;
    if e >= 2u * (nx + ny) || dt <= 0.0 {
        return;
    }
    if e < 2u * ny {
        let j = e % ny;
        let high = e >= ny;
        let k = select(j * nx, j * nx + nx - 1u, high);
        let f = select(j * (nx + 1u), j * (nx + 1u) + nx, high);
        let kind = select(params.bc_west, params.bc_east, high);
        var q = 0.0;
        if is_active(k) {
            if kind == BC_FREE && nx > 1u {
                q = select(min(qfx_new[f + 1u], 0.0), max(qfx_new[f - 1u], 0.0), high);
            } else if kind == BC_NORMAL_DEPTH {
                let slope = select(params.slope_west, params.slope_east, high);
                q = normal_depth_face(qfx[f], k, slope * params.dx, high, dt, 1.0 / params.dx);
            }
        }
        qfx_new[f] = q;
    } else {
        let i = (e - 2u * ny) % nx;
        let high = e - 2u * ny >= nx;
        let k = select(i, (ny - 1u) * nx + i, high);
        let f = select(i, ny * nx + i, high);
        let kind = select(params.bc_south, params.bc_north, high);
        var q = 0.0;
        if is_active(k) {
            if kind == BC_FREE && ny > 1u {
                q = select(min(qfy_new[nx + i], 0.0), max(qfy_new[(ny - 1u) * nx + i], 0.0), high);
            } else if kind == BC_NORMAL_DEPTH {
                let slope = select(params.slope_south, params.slope_north, high);
                q = normal_depth_face(qfy[f], k, slope * params.dy, high, dt, 1.0 / params.dy);
            }
        }
        qfy_new[f] = q;
    }
}

// Rust twin: `engine/core/src/cpu/rows.rs::inertial_scale` — the outflow-limiting factor of
// each cell (`numerics/inertial.wgsl::outflow_scale`).
@compute @workgroup_size(WORKGROUP)
fn limit(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let k = cell_index(wg, lid, params.groups_x);
    if k >= params.cells || control.dt <= 0.0 {
        return;
    }
    let i = k % params.nx;
    let j = k / params.nx;
    let w = qfx_new[j * (params.nx + 1u) + i];
    let e = qfx_new[j * (params.nx + 1u) + i + 1u];
    let s = qfy_new[k];
    let nn = qfy_new[k + params.nx];
    let out_depth = control.dt * ((max(e, 0.0) - min(w, 0.0)) / params.dx
        + (max(nn, 0.0) - min(s, 0.0)) / params.dy);
    scale[k] = outflow_scale(h[k], out_depth);
}

// Rust twin: `engine/core/src/cpu/rows.rs::inertial_apply_scale` — the new discharge of x
// face `f` (or y face, `y_dir`) scaled by its upwind cell's factor (at edges only outflow is
// limited).
fn limited(f: u32, y_dir: bool) -> f32 {
    let nx = params.nx;
    var q: f32;
    var behind = 0xffffffffu;
    var ahead = 0xffffffffu;
    if y_dir {
        q = qfy_new[f];
        let a = f / nx;
        let i = f % nx;
        if a > 0u {
            behind = (a - 1u) * nx + i;
        }
        if a < params.ny {
            ahead = a * nx + i;
        }
    } else {
        q = qfx_new[f];
        let a = f % (nx + 1u);
        let j = f / (nx + 1u);
        if a > 0u {
            behind = j * nx + a - 1u;
        }
        if a < nx {
            ahead = j * nx + a;
        }
    }
    var s = 1.0;
    if q > 0.0 && behind != 0xffffffffu {
        s = scale[behind];
    }
    if q < 0.0 && ahead != 0xffffffffu {
        s = scale[ahead];
    }
    return q * s;
}

// Rust twin: `engine/core/src/cpu/rows.rs::inertial_cells` — depth update, cell discharges,
// CFL rate and maxima.
@compute @workgroup_size(WORKGROUP)
fn update(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let k = cell_index(wg, lid, params.groups_x);
    let dt = control.dt;
    var part = vec4<f32>(0.0);
    if k < params.cells && dt > 0.0 && is_active(k) {
        let nx = params.nx;
        let i = k % nx;
        let j = k / nx;
        let w = limited(j * (nx + 1u) + i, false);
        let e = limited(j * (nx + 1u) + i + 1u, false);
        let s = limited(k, true);
        let nn = limited(k + nx, true);
        let hn = h[k] + dt / params.dx * (w - e) + dt / params.dy * (s - nn);
        let hc = max(hn, 0.0);
        let wet = hc > params.h_dry;
        let qxn = select(0.0, 0.5 * (w + e), wet);
        let qyn = select(0.0, 0.5 * (s + nn), wet);
        let hs = select(1.0, hc, wet);
        let u = select(0.0, qxn / hs, wet);
        let v = select(0.0, qyn / hs, wet);
        let inv_dmin = 1.0 / min(params.dx, params.dy);
        let rate = select(0.0, inertial_rate(hc, inv_dmin, params.g, params.h_dry), wet);
        let finite = hn == hn && abs(hn) < 1e30;
        h[k] = hc;
        qx[k] = qxn;
        qy[k] = qyn;
        let t_new = control.t_base + control.elapsed + dt;
        maxima[k] = track(hc, sqrt(u * u + v * v), t_new, params.arrival_depth, maxima[k]);
        part = vec4<f32>(rate, max(-hn, 0.0), 0.0, select(1.0, 0.0, finite));
    }
    reduce_partials(part, lid, wg.y * params.groups_x + wg.x);
}

// Rust twin: `engine/core/src/cpu/inertial.rs::CpuBackend::step_inertial` (its swap of the face
// arrays) — the limited new discharges become the old ones.
@compute @workgroup_size(WORKGROUP)
fn commit(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let f = cell_index(wg, lid, params.groups_x);
    if control.dt <= 0.0 {
        return;
    }
    if f < (params.nx + 1u) * params.ny {
        qfx[f] = limited(f, false);
    }
    if f < params.nx * (params.ny + 1u) {
        qfy[f] = limited(f, true);
    }
}

// Rust twin: `engine/core/src/cpu/boundary.rs::edge_flows` — inflow and outflow (m^3/s) through
// edge face `f` (order as in `edges`), after limiting.
fn boundary_flow(f: u32) -> vec2<f32> {
    let nx = params.nx;
    let ny = params.ny;
    var q_in = 0.0;
    var len = params.dy;
    if f < ny {
        q_in = limited(f * (nx + 1u), false);
    } else if f < 2u * ny {
        q_in = -limited((f - ny) * (nx + 1u) + nx, false);
    } else if f < 2u * ny + nx {
        q_in = limited(f - 2u * ny, true);
        len = params.dx;
    } else {
        q_in = -limited(ny * nx + (f - 2u * ny - nx), true);
        len = params.dx;
    }
    return vec2<f32>(max(q_in, 0.0) * len, max(-q_in, 0.0) * len);
}

// Rust twin: `engine/core/src/cpu/segments.rs::CpuBackend::apply_segments_inertial` — inflow faces
// carry the segment's discharge, stage faces the momentum equation against a ghost at the
// stage level (as `edge_face_discharge`).
@compute @workgroup_size(WORKGROUP)
fn segment_faces(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = cell_index(wg, lid, params.groups_x);
    let dt = control.dt;
    if i >= params.n_seg_faces || dt <= 0.0 {
        return;
    }
    let sf = seg_faces[i];
    let c = sf.y;
    let y_dir = (sf.z & SEG_FACE_Y) != 0u;
    let high = (sf.z & SEG_FACE_HIGH) != 0u;
    var q: f32;
    if u32(seg_info[sf.w].x) == SEG_INFLOW {
        q = select(seg_q[i], -seg_q[i], high);
    } else {
        let stage = seg_q[params.n_seg_faces + sf.w];
        let old = select(qfx[sf.x], qfy[sf.x], y_dir);
        let eta = h[c] + z[c];
        var lr = vec4<f32>(stage, eta, z[c], z[c]);
        if high {
            lr = vec4<f32>(eta, stage, z[c], z[c]);
        }
        let inv_d = 1.0 / select(params.dx, params.dy, y_dir);
        q = run_face_discharge(vec3<f32>(old), lr, gn2[c], dt, inv_d);
    }
    if y_dir {
        qfy_new[sf.x] = q;
    } else {
        qfx_new[sf.x] = q;
    }
}

// Rust twin: `engine/core/src/cpu/tracking.rs::CpuBackend::book_trackers` — the unit discharge
// (m^2/s, along +x or +y) through face `f` after limiting.
fn face_unit_flow(f: u32, y_dir: bool) -> f32 {
    return limited(f, y_dir);
}
