// fv.wgsl — the finite-volume schemes `fv1` (first order) and `fv2` (MUSCL + SSP-RK2), the GPU
// twins of `CpuBackend::step_fv1` / `step_fv2`, which share their passes as here:
//   slopes            fv2: limited slopes of h, eta, u, v of every cell in x and y
//                     (Rust twin: `CpuBackend::fv2_slopes`, `numerics::fv2::slopes`)
//   faces_x, faces_y  fluxes through every face, x written once (y swaps the discharges);
//                     fv1 from cell averages, fv2 from the extrapolated states
//                     (Rust twin: `CpuBackend::fv_faces`, `View::pair` / `View::quad`)
//   limit             outflow-limiting factor of each cell (Rust twin: `CpuBackend::fv_limit`)
//   update            the cell update; fv2 stage 1 writes the stage, the last stage adds rain,
//                     friction, maxima and the CFL rate (Rust twin: `cpu::rows::fv_cells`)
// Stage 2 of fv2 reads the stage arrays where stage 1 read the state (`control.stage`).
// Also: segment_faces (inflow and stage segments). Prepended: common.wgsl (with the bindings
// every scheme shares); appended:
// step.wgsl, forcing.wgsl and segments.wgsl.

// Fluxes (mass, mom_l, mom_r, tan) through x faces, (nx + 1) ny, and y faces, nx (ny + 1).
@group(0) @binding(8) var<storage, read_write> fx: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read_write> fy: array<vec4<f32>>;
// fv2: the Runge-Kutta stage (h, qx, qy) and the slopes (dh, deta, du, dv) along x and y.
@group(0) @binding(14) var<storage, read_write> hs: array<f32>;
@group(0) @binding(15) var<storage, read_write> qxs: array<f32>;
@group(0) @binding(16) var<storage, read_write> qys: array<f32>;
@group(0) @binding(17) var<storage, read_write> slope_x: array<vec4<f32>>;
@group(0) @binding(18) var<storage, read_write> slope_y: array<vec4<f32>>;

// The state the current stage works from: the stage arrays in fv2's second stage.
fn src_h(k: u32) -> f32 {
    return select(h[k], hs[k], control.stage == 1u);
}

// Discharges of the current stage's source, as `src_h`.
fn src_q(k: u32) -> vec2<f32> {
    return select(vec2<f32>(qx[k], qy[k]), vec2<f32>(qxs[k], qys[k]), control.stage == 1u);
}

// The CFL rate of a cell (for the forcing passes). Rust twin: `numerics::cfl::fv_rate`.
fn cell_rate(hc: f32, qxc: f32, qyc: f32) -> f32 {
    return fv_rate(hc, qxc, qyc, 1.0 / params.dx, 1.0 / params.dy, params.g, params.h_dry);
}

// (h, qn, qt, z) of cell (i, j), with qn along x (`y_dir` false) or y.
fn cell_state(k: u32, y_dir: bool) -> vec4<f32> {
    let q = src_q(k);
    return vec4<f32>(src_h(k), select(q.x, q.y, y_dir), select(q.y, q.x, y_dir), z[k]);
}

// Rust twin: `cpu::view::View::ghost_kind` — how the ghost beyond a missing neighbour of
// `cell` is made: 1 a copy behind a free edge while water leaves, 2 a copy on a bed lowered by
// `drop` behind a normal-depth edge while water leaves, 0 a mirror otherwise (walls, inactive
// cells, inflow through free edges). `side`: 0 low end (west/south), 1 high end (east/north),
// 2 an inactive cell inside the grid. Returns (kind, drop).
fn ghost_kind(cell: vec4<f32>, side: u32, y_dir: bool) -> vec2<f32> {
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
        return vec2<f32>(1.0, 0.0);
    }
    if kind == 2u && outward {
        return vec2<f32>(2.0, slope * d);
    }
    return vec2<f32>(0.0, 0.0);
}

// Rust twin: `View::make` — the ghost of `cell` of kind `k` (from `ghost_kind`).
fn make_ghost(k: vec2<f32>, cell: vec4<f32>) -> vec4<f32> {
    if k.x == 1.0 {
        return cell;
    }
    if k.x == 2.0 {
        return vec4<f32>(cell.x, cell.y, cell.z, cell.w - k.y);
    }
    return vec4<f32>(cell.x, -cell.y, cell.z, cell.w);
}

// Rust twin: `View::continued` — in second-order stencils a free edge's copy continues a
// surface falling towards it from a wet `inner` cell: a ghost on a bed lowered by the drop.
fn continued(kind: vec2<f32>, edge: vec4<f32>, inner: vec4<f32>) -> vec2<f32> {
    let fall = (inner.x + inner.w) - (edge.x + edge.w);
    if kind.x == 1.0 && inner.x > params.h_dry && fall > 0.0 {
        return vec2<f32>(2.0, fall);
    }
    return kind;
}

// The ghost beyond a missing neighbour of `cell` (Rust twin: `View::ghost`).
fn ghost(cell: vec4<f32>, side: u32, y_dir: bool) -> vec4<f32> {
    return make_ghost(ghost_kind(cell, side, y_dir), cell);
}

// Rust twin: `numerics::fv2::slopes_uv`, from (h, eta, u_n, u_t) of the cells behind, at and
// ahead; zero where the centre is dry. Limiter: `reconstruction::limited_slope` (theta 1.3).
fn limited_slope(a: f32, b: f32) -> f32 {
    return minmod(1.3 * a, minmod(0.5 * (a + b), 1.3 * b));
}

// Rust twin: `numerics::reconstruction::minmod`.
fn minmod(a: f32, b: f32) -> f32 {
    return select(select(0.0, max(a, b), a < 0.0 && b < 0.0), min(a, b), a > 0.0 && b > 0.0);
}

// (h, eta, u_n, u_t) of a cell state (h, qn, qt, z).
fn uv_of(c: vec4<f32>) -> vec4<f32> {
    let hd = params.h_dry;
    return vec4<f32>(c.x, c.x + c.w, velocity(c.x, c.y, hd), velocity(c.x, c.z, hd));
}

// Slopes of `c` from `a` behind and `b` ahead (Rust twin: `numerics::fv2::slopes`).
fn slopes_of(a: vec4<f32>, c: vec4<f32>, b: vec4<f32>) -> vec4<f32> {
    let ua = uv_of(a);
    let uc = uv_of(c);
    let ub = uv_of(b);
    let wet = c.x > params.h_dry;
    let s = vec4<f32>(
        limited_slope(uc.x - ua.x, ub.x - uc.x),
        limited_slope(uc.y - ua.y, ub.y - uc.y),
        limited_slope(uc.z - ua.z, ub.z - uc.z),
        limited_slope(uc.w - ua.w, ub.w - uc.w),
    );
    return select(vec4<f32>(0.0), s, wet);
}

// Cell `p` of line `line` if it exists and is active.
fn line_cell(p: i32, line: u32, y_dir: bool, out: ptr<function, vec4<f32>>) -> bool {
    let n = i32(select(params.nx, params.ny, y_dir));
    if p < 0 || p >= n {
        return false;
    }
    let k = select(line * params.nx + u32(p), u32(p) * params.nx + line, y_dir);
    if mask[k] == 0u {
        return false;
    }
    *out = cell_state(k, y_dir);
    return true;
}

// Side code of a missing position `p` for `ghost_kind`.
fn side_of(p: i32, line: u32, y_dir: bool) -> u32 {
    let n = i32(select(params.nx, params.ny, y_dir));
    return select(select(2u, 1u, p >= n), 0u, p < 0);
}

// The cell at `p` or, where it is missing, the ghost of `near` (Rust twin: `View::or_ghost`).
fn or_ghost(p: i32, line: u32, y_dir: bool, near: vec4<f32>) -> vec4<f32> {
    var c: vec4<f32>;
    if line_cell(p, line, y_dir, &c) {
        return c;
    }
    return ghost(near, side_of(p, line, y_dir), y_dir);
}

@compute @workgroup_size(256)
fn slopes(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let k = cell_index(wg, lid, params.groups_x);
    if k >= params.cells || control.dt <= 0.0 || mask[k] == 0u {
        return;
    }
    let i = i32(k % params.nx);
    let j = i32(k / params.nx);
    slope_x[k] = cell_slopes(i, u32(j), false, cell_state(k, false));
    slope_y[k] = cell_slopes(j, u32(i), true, cell_state(k, true));
}

// Rust twin: `View::triple` + `numerics::fv2::slopes` — the slopes of cell `c` at position `p`
// of `line`; a missing neighbour's ghost is continued from the cell on the other side (or that
// side's plain ghost).
fn cell_slopes(p: i32, line: u32, y_dir: bool, c: vec4<f32>) -> vec4<f32> {
    var a: vec4<f32>;
    var b: vec4<f32>;
    let has_a = line_cell(p - 1, line, y_dir, &a);
    let has_b = line_cell(p + 1, line, y_dir, &b);
    let side_a = side_of(p - 1, line, y_dir);
    let side_b = side_of(p + 1, line, y_dir);
    let inner_a = select(ghost(c, side_b, y_dir), b, has_b);
    let inner_b = select(ghost(c, side_a, y_dir), a, has_a);
    if !has_a {
        a = make_ghost(continued(ghost_kind(c, side_a, y_dir), c, inner_a), c);
    }
    if !has_b {
        b = make_ghost(continued(ghost_kind(c, side_b, y_dir), c, inner_b), c);
    }
    return slopes_of(a, c, b);
}

// Rust twin: `numerics::fv2::face_flux_sloped` — extrapolate half a cell, then the fv1 flux.
// Sides are (h, u_n, u_t, z); slopes (dh, deta, du, dv).
fn face_flux_sloped(l: vec4<f32>, sl: vec4<f32>, r: vec4<f32>, sr: vec4<f32>) -> vec4<f32> {
    let eta_l = l.x + l.w + 0.5 * sl.y;
    let eta_r = r.x + r.w - 0.5 * sr.y;
    return face_flux_eta(
        vec4<f32>(eta_l, l.y + 0.5 * sl.z, l.z + 0.5 * sl.w, eta_l - (l.x + 0.5 * sl.x)),
        vec4<f32>(eta_r, r.y - 0.5 * sr.z, r.z - 0.5 * sr.w, eta_r - (r.x - 0.5 * sr.x)),
        params.g,
    );
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
    let hd = params.h_dry;
    if params.rk_stages == 2u {
        // fv2 (Rust twin: `View::quad`): a missing side is the ghost of the other, and its
        // slopes come from the two cells it mirrors.
        var sl: vec4<f32>;
        var sr: vec4<f32>;
        let slope_buf_y = y_dir;
        if has_l && has_r {
            sl = select(slope_x[base + (a - 1u) * stride], slope_y[base + (a - 1u) * stride], slope_buf_y);
            sr = select(slope_x[base + a * stride], slope_y[base + a * stride], slope_buf_y);
        } else if has_l {
            let ll = or_ghost(i32(a) - 2, line, y_dir, l);
            let kind = continued(ghost_kind(l, select(2u, 1u, a == n), y_dir), l, ll);
            r = make_ghost(kind, l);
            var rr = make_ghost(kind, ll);
            if kind.x == 2.0 {
                rr = vec4<f32>(l.x, l.y, l.z, l.w - 2.0 * kind.y);
            }
            sl = select(slope_x[base + (a - 1u) * stride], slope_y[base + (a - 1u) * stride], slope_buf_y);
            sr = slopes_of(l, r, rr);
        } else {
            let rr = or_ghost(i32(a) + 1, line, y_dir, r);
            let kind = continued(ghost_kind(r, select(2u, 0u, a == 0u), y_dir), r, rr);
            l = make_ghost(kind, r);
            var ll = make_ghost(kind, rr);
            if kind.x == 2.0 {
                ll = vec4<f32>(r.x, r.y, r.z, r.w - 2.0 * kind.y);
            }
            sr = select(slope_x[base + a * stride], slope_y[base + a * stride], slope_buf_y);
            sl = slopes_of(ll, l, r);
        }
        let lu = vec4<f32>(l.x, velocity(l.x, l.y, hd), velocity(l.x, l.z, hd), l.w);
        let ru = vec4<f32>(r.x, velocity(r.x, r.y, hd), velocity(r.x, r.z, hd), r.w);
        return face_flux_sloped(lu, sl, ru, sr);
    }
    if !has_r {
        r = ghost(l, select(2u, 1u, a == n), y_dir);
    }
    if !has_l {
        l = ghost(r, select(2u, 0u, a == 0u), y_dir);
    }
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
    scale[k] = outflow_scale(src_h(k), out_depth);
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
        // Rust twin: `numerics::update_cell`, with fv2's centred bed source.
        let rx = dt / params.dx;
        let ry = dt / params.dy;
        let h0 = src_h(k);
        let q0 = src_q(k);
        var src_x = 0.0;
        var src_y = 0.0;
        let second = params.rk_stages == 2u;
        if second {
            let sx = slope_x[k];
            let sy = slope_y[k];
            // Rust twin: `numerics::fv2::bed_source` (deviation form: -g h deta).
            src_x = -(params.g * h0 * sx.y);
            src_y = -(params.g * h0 * sy.y);
        }
        var hn = h0 - rx * (fe.x - fw.x) - ry * (fn_.x - fs.x);
        var qxn = q0.x - rx * (fe.y - fw.z - src_x) - ry * (fn_.w - fs.w);
        var qyn = q0.y - rx * (fe.w - fw.w) - ry * (fn_.y - fs.z - src_y);
        // Friction (implicit) on every Euler stage, before fv2's average (Rust twin:
        // `cpu::rows::fv_cells`).
        let qf = apply_manning(max(hn, 0.0), qxn, qyn, gn2[k], dt, params.h_dry);
        qxn = qf.x;
        qyn = qf.y;
        // fv2: the first stage stops here; the second averages with the state (Heun).
        let last = !second || control.stage == 1u;
        if second && last {
            hn = 0.5 * (h[k] + hn);
            qxn = 0.5 * (qx[k] + qxn);
            qyn = 0.5 * (qy[k] + qyn);
        }
        let hc = max(hn, 0.0);
        let wet = hc > params.h_dry;
        qxn = select(0.0, qxn, wet);
        qyn = select(0.0, qyn, wet);
        let u = select(0.0, qxn / select(1.0, hc, wet), wet);
        let v = select(0.0, qyn / select(1.0, hc, wet), wet);
        let cel = sqrt(params.g * hc);
        let rate = select(0.0, (abs(u) + cel) / params.dx + (abs(v) + cel) / params.dy, wet);
        let finite = hn == hn && abs(hn) < 1e30;
        if last {
            h[k] = hc;
            qx[k] = qxn;
            qy[k] = qyn;
            let t_new = control.t_base + control.elapsed + dt;
            maxima[k] = track(hc, sqrt(u * u + v * v), t_new, params.arrival_depth, maxima[k]);
        } else {
            hs[k] = hc;
            qxs[k] = qxn;
            qys[k] = qyn;
        }
        part = vec4<f32>(rate, max(-hn, 0.0), 0.0, select(1.0, 0.0, finite));
    }
    reduce_partials(part, lid, wg.y * params.groups_x + wg.x);
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

// Rust twin: `CpuBackend::apply_segments_fv` — the flux through each inflow or stage segment
// face: an inflow imposes its mass flux (with the momentum of water entering at the cell's
// depth), a stage is a ghost at that level with the interior velocity.
@compute @workgroup_size(256)
fn segment_faces(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = cell_index(wg, lid, params.groups_x);
    if i >= params.n_seg_faces || control.dt <= 0.0 {
        return;
    }
    let sf = seg_faces[i];
    let c = sf.y;
    let y_dir = (sf.z & 1u) != 0u;
    let high = (sf.z & 2u) != 0u;
    let inner = cell_state(c, y_dir);
    var flux: vec4<f32>;
    if seg_info[sf.w].x == 0.0 {
        let q = seg_q[i];
        // Deviation form: only the momentum the water brings in.
        let mom = select(0.0, q * q / inner.x, inner.x > 1e-3);
        flux = vec4<f32>(select(q, -q, high), mom, mom, 0.0);
    } else {
        let stage = seg_q[params.n_seg_faces + sf.w];
        let hg = max(stage - z[c], 0.0);
        let hd = params.h_dry;
        let ug = velocity(inner.x, inner.y, hd);
        let iu = vec4<f32>(inner.x, ug, velocity(inner.x, inner.z, hd), inner.w);
        let gu = vec4<f32>(hg, velocity(hg, hg * ug, hd), 0.0, z[c]);
        flux = select(face_flux_uv(gu, iu, params.g), face_flux_uv(iu, gu, params.g), high);
    }
    if y_dir {
        fy[sf.x] = flux;
    } else {
        fx[sf.x] = flux;
    }
}

// Unit mass flux (m^2/s, along +x or +y) through face `f` as the update applied it (scaled by
// the outflow factor of the cell the water leaves). Rust twin: the face arrays after
// `CpuBackend::fv_limit`.
fn face_unit_flow(f: u32, y_dir: bool) -> f32 {
    let nx = params.nx;
    let none = 0xffffffffu;
    if y_dir {
        let a = f / nx;
        let i = f % nx;
        let behind = select(none, (a - 1u) * nx + i, a > 0u);
        let ahead = select(none, a * nx + i, a < params.ny);
        return scaled(fy[f], behind, ahead).x;
    }
    let a = f % (nx + 1u);
    let j = f / (nx + 1u);
    let behind = select(none, j * nx + a - 1u, a > 0u);
    let ahead = select(none, j * nx + a, a < nx);
    return scaled(fx[f], behind, ahead).x;
}
