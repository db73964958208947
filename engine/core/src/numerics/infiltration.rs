//! Infiltration losses, pointwise: how much of a cell's water the ground takes in one step.
//!
//! Every model gives a potential loss over the step from the cumulative infiltration `F` of the
//! cell (m); the backend takes `min(potential, depth)`, so the ground never takes more water than
//! the cell holds, and scales the cell's discharge with its depth (the water leaves with its
//! momentum, the velocity is unchanged).
//!
//! - constant rate: `f = rate`.
//! - Horton (1940): `f(t) = fc + (f0 - fc) e^(-k t)`, applied with the equivalent time `t` at which
//!   the ponded Horton curve has infiltrated `F` (`F(t) = fc t + (f0 - fc)(1 - e^(-k t))/k`), so
//!   that the decay follows the water actually infiltrated (as in SWMM's Horton option).
//! - Green & Ampt (1911): `f = Ks (1 + psi dtheta / F)`, with `psi` the wetting-front suction head
//!   and `dtheta` the moisture deficit.
//! - SCS curve number (USDA-NRCS 1986, TR-55): of the cumulative rain `P`, the runoff is
//!   `Q = (P - Ia)^2 / (P - Ia + S)` for `P > Ia`, `S = 25.4 (1000/CN - 10)` mm, `Ia = 0.2 S`;
//!   the loss over a step is the rain minus the runoff increment.
//!
//! WGSL twins: `numerics/infiltration.wgsl::potential_loss_m`,
//! `numerics/infiltration.wgsl::scs_loss_m` (in f32, with the increments rewritten so that
//! f32 does not lose them; the constants below reach the shaders through the generated
//! prelude, `basintwin_gpu::shaders::prelude`).

/// SCS initial abstraction `Ia = ratio * S` (USDA-NRCS 1986, TR-55).
pub const SCS_INITIAL_ABSTRACTION_RATIO: f64 = 0.2;

/// Newton steps at most for the equivalent time of the Horton curve.
pub const HORTON_NEWTON_ITERATIONS: u32 = 30;

/// Newton steps at most for the Green-Ampt increment.
pub const GREEN_AMPT_NEWTON_ITERATIONS: u32 = 50;

/// Parameters of an infiltration model (SI units: metres, seconds).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Infiltration {
    #[default]
    None,
    Constant {
        rate_m_s: f64,
    },
    Horton {
        f0_m_s: f64,
        fc_m_s: f64,
        k_per_s: f64,
    },
    GreenAmpt {
        ks_m_s: f64,
        suction_m: f64,
        moisture_deficit: f64,
    },
    ScsCurveNumber {
        cn: f64,
    },
}

/// Cumulative infiltration of a Horton curve under ponding after time `t` (s).
fn horton_cumulative(f0: f64, fc: f64, k: f64, t: f64) -> f64 {
    fc * t + (f0 - fc) * (1.0 - (-k * t).exp()) / k
}

/// SCS runoff depth (m) from cumulative rain `p` (m) with potential retention `s` (m).
pub fn scs_runoff_m(p: f64, s: f64) -> f64 {
    let ia = SCS_INITIAL_ABSTRACTION_RATIO * s;
    if p > ia {
        (p - ia) * (p - ia) / (p - ia + s)
    } else {
        0.0
    }
}

/// SCS loss over a step: the rain `p1 - p0` minus the runoff increment, written without the
/// cancellation of `Q(p1) - Q(p0)`: with `x = p - Ia`, `Q = x^2 / (x + s)` and for `x0, x1 > 0`
/// the loss is `(x1 - x0) s^2 / ((x1 + s)(x0 + s))` (exact algebra, accurate in f32 too).
/// WGSL twin: `numerics/infiltration.wgsl::scs_loss_m`.
pub fn scs_loss_m(p0: f64, p1: f64, s: f64) -> f64 {
    let ia = SCS_INITIAL_ABSTRACTION_RATIO * s;
    let (x0, x1) = (p0 - ia, p1 - ia);
    let dp = p1 - p0;
    if x1 <= 0.0 {
        dp
    } else if x0 <= 0.0 {
        dp - scs_runoff_m(p1, s)
    } else {
        dp * s * s / ((x1 + s) * (x0 + s))
    }
}

impl Infiltration {
    /// Potential loss (m) over `[t, t + dt]` of a cell that has infiltrated `f_cum` (m) so far;
    /// `rain0_m` and `rain1_m` are the cumulative rain at the start and end of the step (used
    /// by the SCS method only). WGSL twin: `numerics/infiltration.wgsl::potential_loss_m`.
    pub fn potential_loss_m(&self, f_cum: f64, dt: f64, rain0_m: f64, rain1_m: f64) -> f64 {
        match *self {
            Infiltration::None => 0.0,
            Infiltration::Constant { rate_m_s } => rate_m_s * dt,
            Infiltration::Horton {
                f0_m_s,
                fc_m_s,
                k_per_s,
            } => {
                // Equivalent time: invert F(t) by Newton (F is increasing and concave).
                let mut t = f_cum / f0_m_s;
                for _ in 0..HORTON_NEWTON_ITERATIONS {
                    let g = horton_cumulative(f0_m_s, fc_m_s, k_per_s, t) - f_cum;
                    let rate = fc_m_s + (f0_m_s - fc_m_s) * (-k_per_s * t).exp();
                    let step = g / rate;
                    t -= step;
                    if step.abs() <= 1e-12 * (1.0 + t.abs()) {
                        break;
                    }
                }
                let t = t.max(0.0);
                horton_cumulative(f0_m_s, fc_m_s, k_per_s, t + dt)
                    - horton_cumulative(f0_m_s, fc_m_s, k_per_s, t)
            }
            Infiltration::GreenAmpt {
                ks_m_s,
                suction_m,
                moisture_deficit,
            } => {
                // Exact under ponding over the step: the implicit Green-Ampt relation
                // Ks dt = F1 - F0 - m ln((m + F1) / (m + F0)), m = psi dtheta, solved for F1.
                let m = suction_m * moisture_deficit;
                let f0 = f_cum.max(0.0);
                if m <= 0.0 {
                    return ks_m_s * dt;
                }
                let g = |f1: f64| f1 - f0 - m * ((m + f1) / (m + f0)).ln() - ks_m_s * dt;
                // Start above the root (F1 - F0 >= Ks dt) and take Newton steps down.
                let mut f1 = f0 + ks_m_s * dt + (2.0 * m * ks_m_s * dt).sqrt();
                for _ in 0..GREEN_AMPT_NEWTON_ITERATIONS {
                    let step = g(f1) / (1.0 - m / (m + f1));
                    f1 -= step;
                    if step.abs() <= 1e-14 * (1.0 + f1) {
                        break;
                    }
                }
                (f1 - f0).max(0.0)
            }
            Infiltration::ScsCurveNumber { cn } => {
                let s = 0.0254 * (1000.0 / cn - 10.0);
                scs_loss_m(rain0_m, rain1_m, s)
            }
        }
    }

    /// Checks the parameters; the message says which and what was expected.
    pub fn validate(&self) -> Result<(), String> {
        let pos = |v: f64, what: &str| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(format!("{what} = {v}: expected a value >= 0"))
            }
        };
        match *self {
            Infiltration::None => Ok(()),
            Infiltration::Constant { rate_m_s } => pos(rate_m_s, "rate"),
            Infiltration::Horton {
                f0_m_s,
                fc_m_s,
                k_per_s,
            } => {
                pos(fc_m_s, "fc")?;
                if !(f0_m_s.is_finite() && f0_m_s > 0.0 && f0_m_s >= fc_m_s) {
                    return Err(format!("f0 = {f0_m_s}: expected f0 > 0 and f0 >= fc"));
                }
                if !(k_per_s.is_finite() && k_per_s > 0.0) {
                    return Err(format!("k = {k_per_s}: expected a positive decay rate"));
                }
                Ok(())
            }
            Infiltration::GreenAmpt {
                ks_m_s,
                suction_m,
                moisture_deficit,
            } => {
                pos(ks_m_s, "ks")?;
                pos(suction_m, "suction")?;
                if !(0.0..=1.0).contains(&moisture_deficit) {
                    return Err(format!(
                        "moisture_deficit = {moisture_deficit}: expected a fraction in [0, 1]"
                    ));
                }
                Ok(())
            }
            Infiltration::ScsCurveNumber { cn } => {
                if cn.is_finite() && cn > 0.0 && cn <= 100.0 {
                    Ok(())
                } else {
                    Err(format!("curve number {cn}: expected 0 < CN <= 100"))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn horton_steps_add_up_to_the_ponded_curve() {
        let m = Infiltration::Horton {
            f0_m_s: 50e-3 / 3600.0,
            fc_m_s: 5e-3 / 3600.0,
            k_per_s: 2.0 / 3600.0,
        };
        let mut f = 0.0;
        for _ in 0..3600 {
            f += m.potential_loss_m(f, 1.0, 0.0, 0.0);
        }
        let exact = horton_cumulative(50e-3 / 3600.0, 5e-3 / 3600.0, 2.0 / 3600.0, 3600.0);
        assert!((f - exact).abs() < 1e-9, "{f} vs {exact}");
    }

    #[test]
    fn green_ampt_matches_the_implicit_solution() {
        let (ks, psi, dth) = (10e-3 / 3600.0, 0.11, 0.3);
        let m = Infiltration::GreenAmpt {
            ks_m_s: ks,
            suction_m: psi,
            moisture_deficit: dth,
        };
        // Large and small steps land on the same curve.
        for dt in [1.0, 60.0, 600.0] {
            let mut f = 0.0;
            let n = (7200.0 / dt) as usize;
            for _ in 0..n {
                f += m.potential_loss_m(f, dt, 0.0, 0.0);
            }
            let residual = f - psi * dth * (1.0 + f / (psi * dth)).ln() - ks * 7200.0;
            assert!(residual.abs() < 1e-12, "dt {dt}: residual {residual}");
        }
    }

    #[test]
    fn scs_loss_is_rain_minus_runoff() {
        let m = Infiltration::ScsCurveNumber { cn: 80.0 };
        let s = 0.0254 * (1000.0 / 80.0 - 10.0);
        let p = 0.1;
        let loss = m.potential_loss_m(0.0, 1.0, 0.0, p);
        assert!((loss - (p - scs_runoff_m(p, s))).abs() < 1e-15);
        assert_eq!(
            m.potential_loss_m(0.0, 1.0, 0.0, 0.2 * s * 0.5),
            0.2 * s * 0.5
        );
        assert!(Infiltration::ScsCurveNumber { cn: 0.0 }.validate().is_err());
    }
}
