//! Manning bed friction, implicit (backward Euler).
//!
//! The friction term `dq/dt = -g n^2 |q| q / h^(7/3)` is integrated over a step with `h` frozen
//! and `q` fully implicit: `q' (1 + B |q'|) = q*`, `B = dt g n^2 / h^(7/3)`, whose root is
//! `q' = q* 2 / (1 + sqrt(1 + 4 B |q*|))`, with `q*` the discharge the other terms give.
//!
//! The factor lies in (0, 1], so friction slows the flow down to rest but never reverses it.
//! Its fixed point under a constant driving force `A` (`q' = f(q' + A)`) is `B q^2 = A`: uniform
//! flow obeys Manning's law for any time step. The semi-implicit form of Bates et al. (2010),
//! `q' = q* / (1 + B |q|)`, has the fixed point `B q (q + A) = A` (fv) or a slowly damped
//! two-step oscillation when `B |q| > 1` (inertial); on thin overland flow, where the friction
//! time `h^(7/3) / (g n^2 |q|)` is shorter than the time step, that gave rain-on-slope depths
//! 13–30 % off the kinematic-wave solution that depend on the time step (measured on a 1 %
//! plane, 10 m cells, 30 mm/h). Xia, Liang, Ming & Hou (2017), *Water Resour. Res.* 53,
//! 3730–3759, discuss the same stiffness on overland flow.

use super::riemann::select;
use crate::real::Real;

/// The implicit friction factor `2 / (1 + sqrt(1 + 4 B q_abs))`, `B = dt g n^2 / h^(7/3)`, for
/// depth `h` (m) and the discharge magnitude `q_abs` (m^2/s) before friction. `g_n2 = g n^2`.
/// Exactly one when there is no friction. WGSL twin: `numerics/friction.wgsl::manning_factor`.
#[inline(always)]
pub fn manning_factor<R: Real>(h: R, q_abs: R, g_n2: R, dt_s: R) -> R {
    // h^(7/3) = h^2 * h^(1/3)
    let h73 = h * h * h.cbrt_fast();
    let b4q = R::c(4.0) * dt_s * g_n2 * q_abs / h73;
    R::c(2.0) / (R::one() + (R::one() + b4q).sqrt())
}

/// Applies friction to a cell's discharges (fv schemes). Cells shallower than `h_dry` stop.
/// Branch-free: with `g_n2 = 0` the factor is exactly one. WGSL twin:
/// `numerics/friction.wgsl::apply_manning`.
#[inline(always)]
pub fn apply_manning<R: Real>(h: R, qx: R, qy: R, g_n2: R, dt_s: R, h_dry: R) -> (R, R) {
    let wet = h > h_dry;
    let q_abs = (qx * qx + qy * qy).sqrt();
    let f = manning_factor(select(wet, h, R::one()), q_abs, g_n2, dt_s);
    (
        select(wet, qx * f, R::zero()),
        select(wet, qy * f, R::zero()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_flow_obeys_manning_for_any_time_step() {
        // Uniform flow on slope S: g h S = g n^2 q^2 / h^(7/3) => q = h^(5/3) S^(1/2) / n. Deep
        // slow flow and a thin sheet on a 1 % slope, with steps from well under to far over the
        // friction time.
        let (n, g): (f64, f64) = (0.03, 9.81);
        for (h, s) in [(1.3f64, 1e-3f64), (0.01, 1e-2)] {
            let q_manning = h.powf(5.0 / 3.0) * s.sqrt() / n;
            for dt in [0.1, 10.0, 1000.0] {
                let mut q = 0.0;
                for _ in 0..100_000 {
                    q += dt * g * h * s;
                    q *= manning_factor(h, q.abs(), g * n * n, dt);
                }
                assert!(
                    (q - q_manning).abs() / q_manning < 1e-9,
                    "h {h} dt {dt}: {q} vs {q_manning}"
                );
            }
        }
    }

    #[test]
    fn solves_the_implicit_step() {
        // q' (1 + B |q'|) = q*
        let (h, q_star, g_n2, dt): (f64, f64, f64, f64) = (0.02, -0.3, 9.81 * 0.04f64.powi(2), 7.0);
        let q = q_star * manning_factor(h, q_star.abs(), g_n2, dt);
        let b = dt * g_n2 / h.powf(7.0 / 3.0);
        assert!((q * (1.0 + b * q.abs()) - q_star).abs() < 1e-12);
        assert_eq!(manning_factor(0.5, 3.0, 0.0, 10.0), 1.0);
    }

    #[test]
    fn never_reverses_and_stops_dry_cells() {
        let (qx, qy) = apply_manning(0.01, 5.0, -5.0, 9.81 * 0.1 * 0.1, 100.0, 1e-6);
        assert!(qx > 0.0 && qy < 0.0 && qx < 5.0);
        assert_eq!(apply_manning(1e-7, 1.0, 1.0, 0.01, 1.0, 1e-6), (0.0, 0.0));
        assert_eq!(apply_manning(0.0, 0.0, 0.0, 0.01, 1.0, 1e-6), (0.0, 0.0));
    }
}
