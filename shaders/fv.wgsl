// fv.wgsl — Rust twin: `engine/core/src/cpu/fv.rs` (`CpuBackend::step_fv1` / `step_fv2`).
//
// The kernels of the finite-volume schemes `fv1` (first order) and `fv2` (MUSCL + SSP-RK2),
// which share their passes as on the CPU (fv2's slopes pass is in fv2_stage.wgsl):
//   faces_x, faces_y  fluxes through every face, x written once (y swaps the discharges);
//                     fv1 from cell averages, fv2 from the extrapolated states
//   limit             outflow-limiting factor of each cell
//   update            the cell update; fv2 stage 1 writes the stage, the last stage adds
//                     friction, maxima and the CFL rate
//   segment_faces     the fluxes of inflow and stage segment faces
// What a stage reads and writes (`src_h`, `src_q`, `stage_slopes`, `store_stage`) is the
// scheme's own: fv1_stage.wgsl (the state, no slopes) or fv2_stage.wgsl (the Runge-Kutta stage
// arrays and the slopes, bound only in fv2's module). The pointwise physics is in
// `numerics/*.wgsl`; the module also has common.wgsl, step.wgsl, forcing.wgsl and
// segments.wgsl.

// Fluxes (mass, mom_l, mom_r, tan) through x faces, (nx + 1) ny, and y faces, nx (ny + 1).
@group(0) @binding(8) var<storage, read_write> fx: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read_write> fy: array<vec4<f32>>;
// The CFL rate of a cell, for the forcing passes. Rust twin:
// `engine/core/src/numerics/cfl.rs::fv_rate`.
fn cell_rate(hc: f32, qxc: f32, qyc: f32) -> f32 {
    return fv_rate(hc, qxc, qyc, 1.0 / params.dx, 1.0 / params.dy, params.g, params.h_dry);
}

// Rust twin: `engine/core/src/cpu/view.rs::View::raw` — (h, qn, qt, z) of cell `k`, with qn
// along x (`y_dir` false) or y.
fn cell_state(k: u32, y_dir: bool) -> vec4<f32> {
    let q = src_q(k);
    return vec4<f32>(src_h(k), select(q.x, q.y, y_dir), select(q.y, q.x, y_dir), z[k]);
}

// Rust twin: `engine/core/src/cpu/view.rs::View::ghost_kind` — how the ghost beyond a missing
// neighbour of `cell` is made: 1 a copy behind a free edge while water leaves, 2 a copy on a
// bed lowered by `drop` behind a normal-depth edge while water leaves, 0 a mirror otherwise
// (walls, inactive cells, inflow through free edges). `side`: 0 low end (west/south), 1 high
// end (east/north), 2 an inactive cell inside the grid. Returns (kind, drop).
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
    if kind == BC_FREE && outward {
        return vec2<f32>(1.0, 0.0);
    }
    if kind == BC_NORMAL_DEPTH && outward {
        return vec2<f32>(2.0, slope * d);
    }
    return vec2<f32>(0.0, 0.0);
}

// Rust twin: `engine/core/src/cpu/view.rs::View::make` — the ghost of `cell` of kind `k` (from
// `ghost_kind`).
fn make_ghost(k: vec2<f32>, cell: vec4<f32>) -> vec4<f32> {
    if k.x == 1.0 {
        return cell;
    }
    if k.x == 2.0 {
        return vec4<f32>(cell.x, cell.y, cell.z, cell.w - k.y);
    }
    return vec4<f32>(cell.x, -cell.y, cell.z, cell.w);
}

// Rust twin: `engine/core/src/cpu/view.rs::View::continued` — in second-order stencils a free
// edge's copy continues a surface falling towards it from a wet `inner` cell: a ghost on a bed
// lowered by the drop.
fn continued(kind: vec2<f32>, edge: vec4<f32>, inner: vec4<f32>) -> vec2<f32> {
    let fall = (inner.x + inner.w) - (edge.x + edge.w);
    if kind.x == 1.0 && inner.x > params.h_dry && fall > 0.0 {
        return vec2<f32>(2.0, fall);
    }
    return kind;
}

// Rust twin: `engine/core/src/cpu/view.rs::View::ghost` — the ghost beyond a missing
// neighbour of `cell`.
fn ghost(cell: vec4<f32>, side: u32, y_dir: bool) -> vec4<f32> {
    return make_ghost(ghost_kind(cell, side, y_dir), cell);
}

// GPU only (the CPU's `View` holds the line): cell `p` of line `line` if it exists and is
// active.
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

// GPU only: the side code of a missing position `p` for `ghost_kind`.
fn side_of(p: i32, line: u32, y_dir: bool) -> u32 {
    let n = i32(select(params.nx, params.ny, y_dir));
    return select(select(2u, 1u, p >= n), 0u, p < 0);
}

// Rust twin: `engine/core/src/cpu/view.rs::View::or_ghost` — the cell at `p` or, where it is
// missing, the ghost of `near`.
fn or_ghost(p: i32, line: u32, y_dir: bool, near: vec4<f32>) -> vec4<f32> {
    var c: vec4<f32>;
    if line_cell(p, line, y_dir, &c) {
        return c;
    }
    return ghost(near, side_of(p, line, y_dir), y_dir);
}

// Rust twin: `engine/core/src/cpu/view.rs::View::pair` (fv1) and `View::quad` (fv2), then the
// face flux — the flux through face `a` of line `line` (a row for x, a column for y), between
// positions a - 1 and a.
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
        let kl = base + (a - 1u) * stride;
        let kr = base + a * stride;
        if has_l && has_r {
            sl = stage_slopes(kl, y_dir);
            sr = stage_slopes(kr, y_dir);
        } else if has_l {
            let ll = or_ghost(i32(a) - 2, line, y_dir, l);
            let kind = continued(ghost_kind(l, select(2u, 1u, a == n), y_dir), l, ll);
            r = make_ghost(kind, l);
            var rr = make_ghost(kind, ll);
            if kind.x == 2.0 {
                rr = vec4<f32>(l.x, l.y, l.z, l.w - 2.0 * kind.y);
            }
            sl = stage_slopes(kl, y_dir);
            sr = slopes(l, r, rr, params.h_dry);
        } else {
            let rr = or_ghost(i32(a) + 1, line, y_dir, r);
            let kind = continued(ghost_kind(r, select(2u, 0u, a == 0u), y_dir), r, rr);
            l = make_ghost(kind, r);
            var ll = make_ghost(kind, rr);
            if kind.x == 2.0 {
                ll = vec4<f32>(r.x, r.y, r.z, r.w - 2.0 * kind.y);
            }
            sr = stage_slopes(kr, y_dir);
            sl = slopes(ll, l, r, params.h_dry);
        }
        let lu = vec4<f32>(l.x, velocity(l.x, l.y, hd), velocity(l.x, l.z, hd), l.w);
        let ru = vec4<f32>(r.x, velocity(r.x, r.y, hd), velocity(r.x, r.z, hd), r.w);
        return face_flux_sloped(lu, sl, ru, sr, params.g);
    }
    if !has_r {
        r = ghost(l, select(2u, 1u, a == n), y_dir);
    }
    if !has_l {
        l = ghost(r, select(2u, 0u, a == 0u), y_dir);
    }
    return face_flux(l, r, params.g, hd);
}

// Rust twin: `engine/core/src/cpu/fv.rs::CpuBackend::fv_faces` (x faces).
@compute @workgroup_size(WORKGROUP)
fn faces_x(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let f = cell_index(wg, lid, params.groups_x);
    let n = (params.nx + 1u) * params.ny;
    if f >= n || control.dt <= 0.0 {
        return;
    }
    fx[f] = line_face(f % (params.nx + 1u), f / (params.nx + 1u), false);
}

// Rust twin: `engine/core/src/cpu/fv.rs::CpuBackend::fv_faces` (y faces).
@compute @workgroup_size(WORKGROUP)
fn faces_y(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let f = cell_index(wg, lid, params.groups_x);
    let n = params.nx * (params.ny + 1u);
    if f >= n || control.dt <= 0.0 {
        return;
    }
    fy[f] = line_face(f / params.nx, f % params.nx, true);
}

// Rust twin: `engine/core/src/cpu/fv_limit.rs::CpuBackend::fv_limit` — the outflow-limiting factor
// of each cell (`numerics/inertial.wgsl::outflow_scale`).
@compute @workgroup_size(WORKGROUP)
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

// GPU only (the CPU scales its face arrays in place): the flux of a face scaled by the outflow
// factor of the cell the water leaves (ghosts: 1).
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

// Rust twin: `engine/core/src/cpu/rows.rs::fv_cells` — the cell update (`update_cell`), with
// fv2's centred bed source, friction, fv2's Heun average, maxima and the CFL rate.
@compute @workgroup_size(WORKGROUP)
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
        let rx = dt / params.dx;
        let ry = dt / params.dy;
        let h0 = src_h(k);
        let q0 = src_q(k);
        var src_x = 0.0;
        var src_y = 0.0;
        let second = params.rk_stages == 2u;
        if second {
            src_x = bed_source(h0, stage_slopes(k, false), params.g);
            src_y = bed_source(h0, stage_slopes(k, true), params.g);
        }
        let u1 = update_cell(h0, q0.x, q0.y, fw, fe, fs, fn_, rx, ry, src_x, src_y);
        var hn = u1.x;
        var qxn = u1.y;
        var qyn = u1.z;
        // Friction (implicit) on every Euler stage, before fv2's average.
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
            store_stage(k, vec3<f32>(hc, qxn, qyn));
        }
        part = vec4<f32>(rate, max(-hn, 0.0), 0.0, select(1.0, 0.0, finite));
    }
    reduce_partials(part, lid, wg.y * params.groups_x + wg.x);
}

// Rust twin: `engine/core/src/cpu/boundary.rs::edge_flows` — inflow and outflow (m^3/s) through
// edge face `f`: the west faces of rows 0..ny, then east, south faces of columns 0..nx, then
// north.
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

// Rust twin: `engine/core/src/cpu/segments.rs::CpuBackend::apply_segments_fv` — the flux through
// each inflow or stage segment face: an inflow imposes its mass flux (with the momentum of
// water entering at the cell's depth), a stage is a ghost at that level with the interior
// velocity.
@compute @workgroup_size(WORKGROUP)
fn segment_faces(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = cell_index(wg, lid, params.groups_x);
    if i >= params.n_seg_faces || control.dt <= 0.0 {
        return;
    }
    let sf = seg_faces[i];
    let c = sf.y;
    let y_dir = (sf.z & SEG_FACE_Y) != 0u;
    let high = (sf.z & SEG_FACE_HIGH) != 0u;
    let inner = cell_state(c, y_dir);
    var flux: vec4<f32>;
    if u32(seg_info[sf.w].x) == SEG_INFLOW {
        let q = seg_q[i];
        // Deviation form: only the momentum the water brings in.
        let mom = select(0.0, q * q / inner.x, inner.x > INFLOW_MOMENTUM_MIN_DEPTH_M);
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

// Rust twin: `engine/core/src/cpu/tracking.rs::CpuBackend::book_trackers` (which reads the face
// arrays after `fv_limit`) — the unit mass flux (m^2/s, along +x or +y) through face `f` as
// the update applied it.
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
