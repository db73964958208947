// fv1.wgsl — first-order Godunov finite volume (HLLC + hydrostatic reconstruction), the GPU
// twin of `basintwin_core::numerics::fv1` driven as `cpu::CpuBackend` drives it:
//   faces_x, faces_y  fluxes through every face, x written once (y swaps the discharges);
//                     Rust twin: the face passes of `CpuBackend::step_fv1` (`View::pair`)
//   limit             outflow-limiting factor of each cell (Rust twin: `CpuBackend::fv_limit`)
//   update            the cell update with rain, friction, maxima and CFL rate
//                     (Rust twin: `cpu::rows::fv_cells`)
//   volume            per-workgroup water depth sums, for the ledger at output times
// Prepended: common.wgsl; appended: step.wgsl.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> control: Control;
@group(0) @binding(2) var<storage, read_write> h: array<f32>;
@group(0) @binding(3) var<storage, read_write> qx: array<f32>;
@group(0) @binding(4) var<storage, read_write> qy: array<f32>;
@group(0) @binding(5) var<storage, read> z: array<f32>;
@group(0) @binding(6) var<storage, read> gn2: array<f32>;
@group(0) @binding(7) var<storage, read> mask: array<u32>;
// Fluxes (mass, mom_l, mom_r, tan) through x faces, (nx + 1) ny, and y faces, nx (ny + 1).
@group(0) @binding(8) var<storage, read_write> fx: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read_write> fy: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read_write> scale: array<f32>;
// Per cell: max depth, max speed, max hazard, first arrival (-1: not yet).
@group(0) @binding(11) var<storage, read_write> maxima: array<vec4<f32>>;
// Per workgroup of the cell kernels: (max rate, correction depth, bad, volume depth).
@group(0) @binding(12) var<storage, read_write> partials: array<vec4<f32>>;
// Uniform rain intensity (time relative to t_base, mm/h).
@group(0) @binding(13) var<storage, read> rain: array<vec2<f32>>;

// (h, qn, qt, z) of cell (i, j), with qn along x (`y_dir` false) or y.
fn cell_state(k: u32, y_dir: bool) -> vec4<f32> {
    let a = qx[k];
    let b = qy[k];
    return vec4<f32>(h[k], select(a, b, y_dir), select(b, a, y_dir), z[k]);
}

// Rust twin: `cpu::view::View::ghost` — the ghost beyond a missing neighbour of `cell`: a copy
// behind a free edge while water leaves, a copy on a lowered bed behind a normal-depth edge
// while water leaves, a mirror otherwise (walls, inactive cells, inflow through free edges).
// `side`: 0 low end (west/south), 1 high end (east/north), 2 an inactive cell inside the grid.
fn ghost(cell: vec4<f32>, side: u32, y_dir: bool) -> vec4<f32> {
    var kind = 0u;
    var slope = 0.0;
    var outward = false;
    if side == 0u {
        kind = select(params.bc_west, params.bc_south, y_dir);
        slope = select(params.slope_west, params.slope_south, y_dir);
        outward = cell.y <= 0.0;
    } else if side == 1u {
        kind = select(params.bc_east, params.bc_north, y_dir);
        slope = select(params.slope_east, params.slope_north, y_dir);
        outward = cell.y >= 0.0;
    }
    let d = select(params.dx, params.dy, y_dir);
    if kind == 1u && outward {
        return cell;
    }
    if kind == 2u && outward {
        return vec4<f32>(cell.x, cell.y, cell.z, cell.w - slope * d);
    }
    return vec4<f32>(cell.x, -cell.y, cell.z, cell.w);
}

// Flux through face `a` of line `line` (a row for x, a column for y): between positions a - 1
// and a. Rust twin: `View::pair` + `numerics::fv1::face_flux`.
fn line_face(a: u32, line: u32, y_dir: bool) -> vec4<f32> {
    let n = select(params.nx, params.ny, y_dir);
    let stride = select(1u, params.nx, y_dir);
    let base = select(line * params.nx, line, y_dir);
    let has_l = a > 0u && mask[base + (a - 1u) * stride] != 0u;
    let has_r = a < n && mask[base + a * stride] != 0u;
    if !has_l && !has_r {
        return vec4<f32>(0.0);
    }
    var l: vec4<f32>;
    var r: vec4<f32>;
    if has_l {
        l = cell_state(base + (a - 1u) * stride, y_dir);
    }
    if has_r {
        r = cell_state(base + a * stride, y_dir);
    }
    if !has_r {
        r = ghost(l, select(2u, 1u, a == n), y_dir);
    }
    if !has_l {
        l = ghost(r, select(2u, 0u, a == 0u), y_dir);
    }
    let hd = params.h_dry;
    let lu = vec4<f32>(l.x, velocity(l.x, l.y, hd), velocity(l.x, l.z, hd), l.w);
    let ru = vec4<f32>(r.x, velocity(r.x, r.y, hd), velocity(r.x, r.z, hd), r.w);
    return face_flux_uv(lu, ru, params.g);
}

@compute @workgroup_size(256)
fn faces_x(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let f = cell_index(wg, lid, params.groups_x);
    let n = (params.nx + 1u) * params.ny;
    if f >= n || control.dt <= 0.0 {
        return;
    }
    fx[f] = line_face(f % (params.nx + 1u), f / (params.nx + 1u), false);
}

@compute @workgroup_size(256)
fn faces_y(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let f = cell_index(wg, lid, params.groups_x);
    let n = params.nx * (params.ny + 1u);
    if f >= n || control.dt <= 0.0 {
        return;
    }
    fy[f] = line_face(f / params.nx, f % params.nx, true);
}

@compute @workgroup_size(256)
fn limit(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let k = cell_index(wg, lid, params.groups_x);
    if k >= params.cells || control.dt <= 0.0 {
        return;
    }
    let i = k % params.nx;
    let j = k / params.nx;
    let w = fx[j * (params.nx + 1u) + i].x;
    let e = fx[j * (params.nx + 1u) + i + 1u].x;
    let s = fy[k].x;
    let nn = fy[k + params.nx].x;
    let out_depth = control.dt * ((max(e, 0.0) - min(w, 0.0)) / params.dx
        + (max(nn, 0.0) - min(s, 0.0)) / params.dy);
    scale[k] = outflow_scale(h[k], out_depth);
}

// The flux of a face scaled by the outflow factor of the cell the water leaves (ghosts: 1).
fn scaled(f: vec4<f32>, donor_pos: u32, donor_neg: u32) -> vec4<f32> {
    var s = 1.0;
    if f.x > 0.0 && donor_pos != 0xffffffffu {
        s = scale[donor_pos];
    }
    if f.x < 0.0 && donor_neg != 0xffffffffu {
        s = scale[donor_neg];
    }
    return f * s;
}

var<workgroup> wg_part: array<vec4<f32>, 256>;

@compute @workgroup_size(256)
fn update(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let k = cell_index(wg, lid, params.groups_x);
    let dt = control.dt;
    var part = vec4<f32>(0.0);
    if k < params.cells && dt > 0.0 && mask[k] != 0u {
        let nx = params.nx;
        let i = k % nx;
        let j = k / nx;
        let none = 0xffffffffu;
        let west = select(none, k - 1u, i > 0u);
        let east = select(none, k + 1u, i + 1u < nx);
        let south = select(none, k - nx, j > 0u);
        let north = select(none, k + nx, j + 1u < params.ny);
        let fw = scaled(fx[j * (nx + 1u) + i], west, k);
        let fe = scaled(fx[j * (nx + 1u) + i + 1u], k, east);
        let fs = scaled(fy[k], south, k);
        let fn_ = scaled(fy[k + nx], k, north);
        // Rust twin: `numerics::update_cell` (fv1: no bed source beyond the reconstruction).
        let rx = dt / params.dx;
        let ry = dt / params.dy;
        var hn = h[k] - rx * (fe.x - fw.x) - ry * (fn_.x - fs.x);
        var qxn = qx[k] - rx * (fe.y - fw.z) - ry * (fn_.w - fs.w);
        var qyn = qy[k] - rx * (fe.w - fw.w) - ry * (fn_.y - fs.z);
        hn = hn + control.rain_step;
        let hc = max(hn, 0.0);
        let wet = hc > params.h_dry;
        let q = apply_manning(hc, qxn, qyn, gn2[k], dt, params.h_dry);
        qxn = select(0.0, q.x, wet);
        qyn = select(0.0, q.y, wet);
        let u = select(0.0, qxn / select(1.0, hc, wet), wet);
        let v = select(0.0, qyn / select(1.0, hc, wet), wet);
        let cel = sqrt(params.g * hc);
        let rate = select(0.0, (abs(u) + cel) / params.dx + (abs(v) + cel) / params.dy, wet);
        let finite = hn == hn && abs(hn) < 1e30;
        h[k] = hc;
        qx[k] = qxn;
        qy[k] = qyn;
        let t_new = control.t_base + control.elapsed + dt;
        maxima[k] = track(hc, sqrt(u * u + v * v), t_new, params.arrival_depth, maxima[k]);
        part = vec4<f32>(rate, max(-hn, 0.0), select(1.0, 0.0, finite), 0.0);
    }
    wg_part[lid] = part;
    workgroupBarrier();
    for (var s = WORKGROUP / 2u; s > 0u; s = s >> 1u) {
        if lid < s {
            let a = wg_part[lid];
            let b = wg_part[lid + s];
            wg_part[lid] = vec4<f32>(max(a.x, b.x), a.y + b.y, max(a.z, b.z), 0.0);
        }
        workgroupBarrier();
    }
    if lid == 0u {
        partials[wg.y * params.groups_x + wg.x] = wg_part[0];
    }
}

// Per-workgroup sums of the depth (the volume is summed on the host in f64).
@compute @workgroup_size(256)
fn volume(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let k = cell_index(wg, lid, params.groups_x);
    var d = 0.0;
    if k < params.cells && mask[k] != 0u {
        d = h[k];
    }
    wg_part[lid] = vec4<f32>(d, 0.0, 0.0, 0.0);
    workgroupBarrier();
    for (var s = WORKGROUP / 2u; s > 0u; s = s >> 1u) {
        if lid < s {
            wg_part[lid] = wg_part[lid] + wg_part[lid + s];
        }
        workgroupBarrier();
    }
    if lid == 0u {
        partials[wg.y * params.groups_x + wg.x].w = wg_part[0].x;
    }
}

// Inflow and outflow (m^3/s) through edge face `f`: the west faces of rows 0..ny, then east,
// south faces of columns 0..nx, then north. Rust twin: `cpu::edge_flows`.
fn boundary_flow(f: u32) -> vec2<f32> {
    let nx = params.nx;
    let ny = params.ny;
    var m = 0.0;
    var len = params.dy;
    var donor_out = 0u;
    var sign = 1.0;
    if f < ny {
        m = fx[f * (nx + 1u)].x;
        donor_out = f * nx;
    } else if f < 2u * ny {
        let j = f - ny;
        m = -fx[j * (nx + 1u) + nx].x;
        donor_out = j * nx + nx - 1u;
    } else if f < 2u * ny + nx {
        let i = f - 2u * ny;
        m = fy[i].x;
        donor_out = i;
        len = params.dx;
    } else {
        let i = f - 2u * ny - nx;
        m = -fy[ny * nx + i].x;
        donor_out = (ny - 1u) * nx + i;
        len = params.dx;
    }
    // m > 0: into the domain (from a ghost, unscaled); m < 0: out of it, scaled like the update.
    let s = select(1.0, scale[donor_out], m < 0.0);
    return vec2<f32>(max(m, 0.0) * len, max(-m, 0.0) * s * len);
}
