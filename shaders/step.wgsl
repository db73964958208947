// step.wgsl — Rust twin: `engine/core/src/cpu/step.rs` (`CpuBackend::step`) and
// `engine/core/src/numerics/cfl.rs` (`next_dt`).
//
// The time step on the device: `plan` chooses it before a step, `finish` reduces
// the cell kernels' partials after it (largest CFL rate, positivity corrections, a non-finite
// depth) and books the water budget; `finish_stage` does the bookkeeping between fv2's two
// Runge-Kutta stages; `volume` sums the depth for the ledger at output times. Deterministic:
// every reduction runs in a fixed order.
//
// Expects from the scheme's module: `params`, `control`, `partials` (bindings) and
// `boundary_flow(face)` (inflow and outflow in m^3/s through edge face `face` of
// 2 (nx + ny)).

// Rust twin: `engine/core/src/numerics/cfl.rs::next_dt` (with the collapse check of
// `CpuBackend::advance_to`) — the next step from the last step's CFL rate, and its uniform
// rain.
@compute @workgroup_size(1)
fn plan() {
    control.stage = 0u;
    if control.done != 0u {
        control.dt = 0.0;
        control.rain_step = 0.0;
        return;
    }
    var dt = params.max_dt;
    if control.max_rate > 0.0 {
        dt = min(params.courant / control.max_rate, params.max_dt);
    }
    let rem = control.remaining - control.elapsed;
    if dt >= rem {
        dt = rem;
        control.done = 1u;
    } else if dt > 0.5 * rem {
        dt = 0.5 * rem;
    } else if !(dt >= params.min_dt) {
        control.failed = FAILED_DT_COLLAPSED;
        control.done = 1u;
        dt = 0.0;
    }
    control.dt = max(dt, 0.0);
    control.rain_step = series_integral(SERIES_RAIN, control.elapsed, control.elapsed + control.dt)
        / MM_H_PER_M_S;
}

// Partial sums of the cell kernels, one vec4 per workgroup: x = largest CFL rate (max),
// y = positivity correction or rain depth added (sum), z = infiltrated depth or water depth
// (sum), w = a non-finite depth was seen (max).
var<workgroup> wg_part: array<vec4<f32>, WORKGROUP>;

// GPU only (the CPU folds per row in fixed lanes): reduces `part` over the workgroup in a fixed
// order into partials[group].
fn reduce_partials(part: vec4<f32>, lid: u32, group: u32) {
    wg_part[lid] = part;
    workgroupBarrier();
    for (var st = WORKGROUP / 2u; st > 0u; st = st >> 1u) {
        if lid < st {
            let a = wg_part[lid];
            let b = wg_part[lid + st];
            wg_part[lid] = vec4<f32>(max(a.x, b.x), a.y + b.y, a.z + b.z, max(a.w, b.w));
        }
        workgroupBarrier();
    }
    if lid == 0u {
        partials[group] = wg_part[0];
    }
}

// GPU only (the CPU sums its depths in f64): per-workgroup sums of the water depth in z; the
// host sums them in f64.
@compute @workgroup_size(WORKGROUP)
fn volume(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let k = cell_index(wg, lid, params.groups_x);
    var d = 0.0;
    if k < params.cells && mask[k] != 0u {
        d = h[k];
    }
    reduce_partials(vec4<f32>(0.0, 0.0, d, 0.0), lid, wg.y * params.groups_x + wg.x);
}

var<workgroup> red_rate: array<f32, WORKGROUP>;
var<workgroup> red_sum: array<vec4<f32>, WORKGROUP>;

// GPU only: the reductions of `finish` and `finish_stage`: thread 0 ends with (rate) in
// red_rate[0] and (correction depth, inflow, outflow, bad) in red_sum[0].
fn reduce_step(lid: u32) {
    var rate = 0.0;
    var corr = 0.0;
    var bad = 0.0;
    for (var i = lid; i < params.n_partials; i = i + WORKGROUP) {
        let p = partials[i];
        rate = max(rate, p.x);
        corr = corr + p.y;
        bad = max(bad, p.w);
    }
    var inflow = 0.0;
    var outflow = 0.0;
    let n_edge = 2u * (params.nx + params.ny);
    for (var f = lid; f < n_edge; f = f + WORKGROUP) {
        let q = boundary_flow(f);
        inflow = inflow + q.x;
        outflow = outflow + q.y;
    }
    red_rate[lid] = rate;
    red_sum[lid] = vec4<f32>(corr, inflow, outflow, bad);
    workgroupBarrier();
    for (var s = WORKGROUP / 2u; s > 0u; s = s >> 1u) {
        if lid < s {
            red_rate[lid] = max(red_rate[lid], red_rate[lid + s]);
            let a = red_sum[lid];
            let b = red_sum[lid + s];
            red_sum[lid] = vec4<f32>(a.xyz + b.xyz, max(a.w, b.w));
        }
        workgroupBarrier();
    }
}

// Rust twin: `engine/core/src/cpu/fv.rs::CpuBackend::step_fv2` (between its stages) — fv2,
// after its first stage: books that stage's boundary flow and positivity corrections (each
// with weight 1/2) and switches to the second stage.
@compute @workgroup_size(WORKGROUP)
fn finish_stage(@builtin(local_invocation_index) lid: u32) {
    reduce_step(lid);
    if lid == 0u {
        let dt = control.dt;
        if dt > 0.0 {
            let tot = red_sum[0];
            let area = params.dx * params.dy;
            control.ledger[LEDGER_INFLOW] =
                two_sum_add(control.ledger[LEDGER_INFLOW], 0.5 * tot.y * dt);
            control.ledger[LEDGER_OUTFLOW] =
                two_sum_add(control.ledger[LEDGER_OUTFLOW], 0.5 * tot.z * dt);
            control.ledger[LEDGER_CORRECTION] =
                two_sum_add(control.ledger[LEDGER_CORRECTION], 0.5 * tot.x * area);
            if tot.w > 0.0 {
                control.failed = FAILED_NON_FINITE;
                control.done = 1u;
            }
        }
        control.stage = 1u;
    }
}

// Rust twin: `engine/core/src/cpu/step.rs::CpuBackend::step` (its bookkeeping) — after the
// last stage: the largest CFL rate, the water budget, the clock.
@compute @workgroup_size(WORKGROUP)
fn finish(@builtin(local_invocation_index) lid: u32) {
    reduce_step(lid);
    if lid == 0u {
        let dt = control.dt;
        if dt > 0.0 {
            let tot = red_sum[0];
            let area = params.dx * params.dy;
            let w = 1.0 / f32(params.rk_stages);
            control.ledger[LEDGER_INFLOW] =
                two_sum_add(control.ledger[LEDGER_INFLOW], w * tot.y * dt);
            control.ledger[LEDGER_OUTFLOW] =
                two_sum_add(control.ledger[LEDGER_OUTFLOW], w * tot.z * dt);
            control.ledger[LEDGER_RAIN] = two_sum_add(
                control.ledger[LEDGER_RAIN],
                control.rain_step * f32(params.active_cells) * area,
            );
            control.ledger[LEDGER_CORRECTION] =
                two_sum_add(control.ledger[LEDGER_CORRECTION], tot.x * area);
            control.max_rate = red_rate[0];
            control.rain_before = control.rain_before + control.rain_step;
            control.elapsed = control.elapsed + dt;
            control.steps = control.steps + 1u;
            if tot.w > 0.0 {
                control.failed = FAILED_NON_FINITE;
                control.done = 1u;
            }
        }
    }
}
