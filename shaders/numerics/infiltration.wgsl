// numerics/infiltration.wgsl — Rust twin: `engine/core/src/numerics/infiltration.rs`.
//
// The potential loss of a cell to the ground over one step. A model is a vec4 (model, a, b, c)
// in SI units, `model` one of the `INFIL_*` ids of the prelude: constant (rate), Horton
// (f0, fc, k), Green-Ampt (Ks, suction, moisture deficit), SCS (S = retention). The Rust twins
// work in f64 with tighter Newton tolerances; the f32 forms here are rewritten so that a
// step's increment is not lost against the cumulative amount.

// GPU only: below this |x|, `expm1_f` uses its Taylor polynomial.
const EXPM1_TAYLOR_BELOW: f32 = 1e-3;

// GPU only: e^x - 1 without cancellation for small |x| (the Rust twins use `f64::exp`).
fn expm1_f(x: f32) -> f32 {
    if abs(x) < EXPM1_TAYLOR_BELOW {
        return x * (1.0 + x * (0.5 + x / 6.0));
    }
    return exp(x) - 1.0;
}

// GPU only: ln(1 + x) accurate for small x, Kahan's trick (the Rust twins use `f64::ln`).
fn log1p_f(x: f32) -> f32 {
    let u = 1.0 + x;
    if u == 1.0 {
        return x;
    }
    return log(u) * x / (u - 1.0);
}

// Rust twin: `engine/core/src/numerics/infiltration.rs::scs_loss_m` — the rain p1 - p0 less
// the SCS runoff increment, without the cancellation of Q(p1) - Q(p0).
fn scs_loss_m(p0: f32, p1: f32, s: f32) -> f32 {
    let ia = SCS_INITIAL_ABSTRACTION_RATIO * s;
    let x0 = p0 - ia;
    let x1 = p1 - ia;
    let dp = p1 - p0;
    if x1 <= 0.0 {
        return dp;
    }
    if x0 <= 0.0 {
        return dp - x1 * x1 / (x1 + s);
    }
    return dp * s * s / ((x1 + s) * (x0 + s));
}

// Rust twin: `engine/core/src/numerics/infiltration.rs::Infiltration::potential_loss_m` — of a
// cell that has infiltrated `f_cum` (m), over `dt` (s), with the cumulative rain p0, p1 (m) at
// the start and end of the step (SCS only). The Horton and Green-Ampt increments are written in
// terms of the step's own infiltration.
fn potential_loss_m(m: vec4<f32>, f_cum: f32, dt: f32, p0: f32, p1: f32) -> f32 {
    let model = u32(m.x);
    if model == INFIL_CONSTANT {
        return m.y * dt;
    }
    if model == INFIL_HORTON {
        let f0 = m.y;
        let fc = m.z;
        let k = m.w;
        // Equivalent time of the ponded curve, by Newton (F increasing and concave).
        var t = f_cum / f0;
        for (var i = 0u; i < HORTON_NEWTON_ITERATIONS; i = i + 1u) {
            let g = fc * t + (f0 - fc) * (-expm1_f(-k * t)) / k - f_cum;
            let rate = fc + (f0 - fc) * exp(-k * t);
            let step = g / rate;
            t = t - step;
            if abs(step) <= 1e-7 * (1.0 + abs(t)) {
                break;
            }
        }
        t = max(t, 0.0);
        return fc * dt + (f0 - fc) / k * exp(-k * t) * (-expm1_f(-k * dt));
    }
    if model == INFIL_GREEN_AMPT {
        let ks = m.y;
        let mm = m.z * m.w;
        let fz = max(f_cum, 0.0);
        if mm <= 0.0 {
            return ks * dt;
        }
        // Newton on the increment d: d - mm ln(1 + d / (mm + F0)) = Ks dt.
        var d = ks * dt + sqrt(2.0 * mm * ks * dt);
        for (var i = 0u; i < GREEN_AMPT_NEWTON_ITERATIONS; i = i + 1u) {
            let g = d - mm * log1p_f(d / (mm + fz)) - ks * dt;
            let step = g / (1.0 - mm / (mm + fz + d));
            d = d - step;
            if abs(step) <= 1e-7 * (1e-9 + d) {
                break;
            }
        }
        return max(d, 0.0);
    }
    if model == INFIL_SCS {
        return scs_loss_m(p0, p1, m.y);
    }
    return 0.0;
}
