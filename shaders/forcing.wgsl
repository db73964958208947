// forcing.wgsl — Rust twin: `engine/core/src/cpu/forcing.rs` (`CpuBackend::apply_forcing`, at the
// end of each step: `engine/core/src/cpu/rain.rs`, `engine/core/src/cpu/forcing.rs`,
// `engine/core/src/cpu/infiltration.rs`) and `engine/core/src/forcing.rs` (series, rain grids).
//
// What the CPU backend applies after a step's update, in the same order:
//   rain_weights, rain   uniform and gridded rain (the exact integral of the time-interpolated
//                        fields over the step), with a per-cell carry of what f32 rounding
//                        leaves out
//   sources              point inflows
//   infiltration         losses to the ground, never more than a cell holds
//                        (`numerics/infiltration.wgsl::potential_loss_m`)
//   forcing_finish       folds their CFL rates and volumes into the control block
// Shared by every scheme's module; each module defines `cell_rate(h, qx, qy)`.

// Piecewise-linear series (time relative to t_base, value): id 0 is the uniform rain (mm/h),
// ids 1..=n_sources the point sources (m^3/s) (`SERIES_RAIN`, `SERIES_FIRST_SOURCE`), then the
// boundary segments' hydrographs. `series_index[id]` = (offset, count).
@group(0) @binding(13) var<storage, read> series: array<vec2<f32>>;
@group(0) @binding(19) var<storage, read> series_index: array<vec2<u32>>;
@group(0) @binding(20) var<storage, read> source_cell: array<u32>;
// Infiltration per cell: (model, a, b, c) in SI units, `model` one of the `INFIL_*` ids (see
// `numerics/infiltration.wgsl`).
@group(0) @binding(21) var<storage, read> infil: array<vec4<f32>>;
@group(0) @binding(22) var<storage, read_write> infiltrated: array<f32>;
// Gridded rain: n_frames fields of `cells` intensities (mm/h); frame times relative to t_base
// followed by this step's weights (s); cumulative gridded rain per cell (m).
@group(0) @binding(23) var<storage, read> frames: array<f32>;
@group(0) @binding(24) var<storage, read_write> frame_tw: array<f32>;
@group(0) @binding(25) var<storage, read_write> rain_cum: array<f32>;
// Per cell, the rain that rounding has not yet added to the depth (the CPU's `rain_carry`).
@group(0) @binding(31) var<storage, read_write> rain_carry: array<f32>;

// Rust twin: `engine/core/src/forcing.rs::Series::at` — series `id` at time `t`, held
// constant before its first and after its last point.
fn series_at(id: u32, t: f32) -> f32 {
    let o = series_index[id].x;
    let n = series_index[id].y;
    if t <= series[o].x {
        return series[o].y;
    }
    if t >= series[o + n - 1u].x {
        return series[o + n - 1u].y;
    }
    var k = 1u;
    loop {
        if k >= n - 1u || series[o + k].x > t {
            break;
        }
        k = k + 1u;
    }
    let p0 = series[o + k - 1u];
    let p1 = series[o + k];
    return p0.y + (p1.y - p0.y) * (t - p0.x) / (p1.x - p0.x);
}

// Rust twin: `engine/core/src/forcing.rs::Series::integral` — exact integral over [a, b]
// (trapezoids between the breakpoints inside); 0 for a series without points.
fn series_integral(id: u32, a: f32, b: f32) -> f32 {
    let o = series_index[id].x;
    let n = series_index[id].y;
    if n == 0u || b <= a {
        return 0.0;
    }
    var total = 0.0;
    var s = a;
    for (var k = 0u; k < n; k = k + 1u) {
        let t = series[o + k].x;
        if t > a && t < b {
            total = total + 0.5 * (series_at(id, s) + series_at(id, t)) * (t - s);
            s = t;
        }
    }
    return total + 0.5 * (series_at(id, s) + series_at(id, b)) * (b - s);
}

// Rust twin: `engine/core/src/forcing.rs::RainGrid::weights` — this step's weight (s) of each
// gridded-rain frame, and the range of frames that have one.
@compute @workgroup_size(1)
fn rain_weights() {
    let n = params.n_frames;
    for (var k = 0u; k < n; k = k + 1u) {
        frame_tw[n + k] = 0.0;
    }
    control.frame_lo = 1u;
    control.frame_hi = 0u;
    if control.dt <= 0.0 || n == 0u {
        return;
    }
    let t1 = control.elapsed;
    let t0 = t1 - control.dt;
    let first = frame_tw[0];
    let last_t = frame_tw[n - 1u];
    if t0 < first {
        frame_tw[n] = frame_tw[n] + min(t1, first) - t0;
    }
    for (var k = 0u; k + 1u < n; k = k + 1u) {
        let a = max(t0, frame_tw[k]);
        let b = min(t1, frame_tw[k + 1u]);
        if b > a {
            let d = frame_tw[k + 1u] - frame_tw[k];
            let mid = 0.5 * (a + b);
            frame_tw[n + k] = frame_tw[n + k] + (b - a) * (frame_tw[k + 1u] - mid) / d;
            frame_tw[n + k + 1u] = frame_tw[n + k + 1u] + (b - a) * (mid - frame_tw[k]) / d;
        }
    }
    if t1 > last_t {
        frame_tw[2u * n - 1u] = frame_tw[2u * n - 1u] + t1 - max(t0, last_t);
    }
    var lo = n;
    var hi = 0u;
    for (var k = 0u; k < n; k = k + 1u) {
        if frame_tw[n + k] != 0.0 {
            lo = min(lo, k);
            hi = max(hi, k);
        }
    }
    control.frame_lo = lo;
    control.frame_hi = hi;
}

// GPU only (the CPU adds the frames in `apply_rain`): this step's gridded rain depth (m) on
// cell `k`.
fn grid_rain_depth(k: u32) -> f32 {
    var r = 0.0;
    let n = params.n_frames;
    for (var f = control.frame_lo; f <= control.frame_hi && f < n; f = f + 1u) {
        r = r + frame_tw[n + f] * frames[f * params.cells + k];
    }
    return r / MM_H_PER_M_S;
}

// Rust twin: `engine/core/src/cpu/rain.rs::two_sum` — Knuth's TwoSum: (a + b rounded, its
// exact rounding error). The sum is multiplied by the opaque `control.one`, as in
// `two_sum_add` (else the compiler may cancel the error term algebraically: on lavapipe all
// light rain on deep water was lost that way).
fn two_sum(a: f32, b: f32) -> vec2<f32> {
    let s = (a + b) * control.one;
    let bp = s - a;
    return vec2<f32>(s, (a - (s - bp)) + (b - bp));
}

// Rust twin: `engine/core/src/cpu/rain.rs::CpuBackend::apply_rain` — this step's uniform and
// gridded rain onto every active cell, with the part rounding leaves out carried to the cell's
// next rain (in f32 a step's light rain is a fraction of an ulp of a deep cell's depth). The
// partials carry the CFL rate and the gridded rain (the uniform rain is booked by `finish`).
@compute @workgroup_size(WORKGROUP)
fn rain(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let k = cell_index(wg, lid, params.groups_x);
    var part = vec4<f32>(0.0);
    if k < params.cells && control.dt > 0.0 && mask[k] != 0u {
        var g = 0.0;
        if params.n_frames > 0u {
            g = grid_rain_depth(k);
        }
        let dh = control.rain_step + g;
        if dh > 0.0 {
            let s = two_sum(h[k], dh + rain_carry[k]);
            var hn = s.x;
            var err = s.y;
            if hn < 0.0 {
                hn = 0.0;
                err = 0.0;
            }
            h[k] = hn;
            rain_carry[k] = err;
            if params.n_frames > 0u {
                rain_cum[k] = rain_cum[k] + g;
            }
            part = vec4<f32>(cell_rate(hn, qx[k], qy[k]), g, 0.0, 0.0);
        }
    }
    reduce_partials(part, lid, wg.y * params.groups_x + wg.x);
}

// Rust twin: `engine/core/src/cpu/forcing.rs::CpuBackend::apply_sources` — each point source's
// volume over the step into its cell.
@compute @workgroup_size(1)
fn sources() {
    let dt = control.dt;
    if dt <= 0.0 {
        return;
    }
    let t1 = control.elapsed;
    let t0 = t1 - dt;
    let area = params.dx * params.dy;
    for (var s = 0u; s < params.n_sources; s = s + 1u) {
        let k = source_cell[s];
        let dh = series_integral(SERIES_FIRST_SOURCE + s, t0, t1) / area;
        let hn = h[k] + dh;
        h[k] = hn;
        control.max_rate = max(control.max_rate, cell_rate(hn, qx[k], qy[k]));
        control.ledger[LEDGER_SOURCES] = two_sum_add(control.ledger[LEDGER_SOURCES], dh * area);
    }
}

// Rust twin: `engine/core/src/cpu/infiltration.rs::CpuBackend::apply_infiltration` — each cell's
// loss to the ground over the step (`potential_loss_m`), never more than it holds; the discharges
// scale with the depth.
@compute @workgroup_size(WORKGROUP)
fn infiltration(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let k = cell_index(wg, lid, params.groups_x);
    let group = wg.y * params.groups_x + wg.x;
    // Keep what `rain` reduced into this workgroup's slot.
    var part = vec4<f32>(0.0);
    if params.rain != 0u && lid == 0u {
        part = partials[group];
    }
    let dt = control.dt;
    if k < params.cells && dt > 0.0 && mask[k] != 0u {
        let d = h[k];
        if d > 0.0 {
            // Cumulative rain at the end and start of the step (uniform + this cell's grid).
            var p1 = control.rain_before;
            var p0 = p1 - control.rain_step;
            if params.n_frames > 0u {
                p1 = p1 + rain_cum[k];
                p0 = p0 + rain_cum[k] - grid_rain_depth(k);
            }
            let loss = clamp(potential_loss_m(infil[k], infiltrated[k], dt, p0, p1), 0.0, d);
            if loss > 0.0 {
                let hn = d - loss;
                let removed = d - hn;
                let ratio = hn / d;
                h[k] = hn;
                if hn > params.h_dry {
                    qx[k] = qx[k] * ratio;
                    qy[k] = qy[k] * ratio;
                } else {
                    qx[k] = 0.0;
                    qy[k] = 0.0;
                }
                infiltrated[k] = infiltrated[k] + removed;
                part.z = part.z + removed;
            }
        }
    }
    // Only lane 0 carries the rain part; the others add their losses.
    reduce_partials(part, lid, group);
}

// Rust twin: `engine/core/src/cpu/forcing.rs::CpuBackend::apply_forcing` (its booking) —
// folds the forcing passes' partials: the largest CFL rate, gridded rain and infiltration
// volumes.
@compute @workgroup_size(WORKGROUP)
fn forcing_finish(@builtin(local_invocation_index) lid: u32) {
    var part = vec4<f32>(0.0);
    for (var i = lid; i < params.n_partials; i = i + WORKGROUP) {
        let p = partials[i];
        part = vec4<f32>(max(part.x, p.x), part.y + p.y, part.z + p.z, 0.0);
    }
    wg_part[lid] = part;
    workgroupBarrier();
    for (var st = WORKGROUP / 2u; st > 0u; st = st >> 1u) {
        if lid < st {
            let a = wg_part[lid];
            let b = wg_part[lid + st];
            wg_part[lid] = vec4<f32>(max(a.x, b.x), a.y + b.y, a.z + b.z, 0.0);
        }
        workgroupBarrier();
    }
    if lid == 0u && control.dt > 0.0 {
        let tot = wg_part[0];
        let area = params.dx * params.dy;
        control.max_rate = max(control.max_rate, tot.x);
        control.ledger[LEDGER_RAIN] = two_sum_add(control.ledger[LEDGER_RAIN], tot.y * area);
        control.ledger[LEDGER_INFILTRATION] =
            two_sum_add(control.ledger[LEDGER_INFILTRATION], tot.z * area);
    }
}
