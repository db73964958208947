//! Manning bed friction, semi-implicit.
//!
//! The friction term `dq/dt = -g n^2 |q| q / h^(7/3)` is integrated with `|q|` and `h` frozen and
//! `q` implicit (as in Bates et al. 2010 and LISFLOOD-FP):
//! `q_new = q / (1 + dt g n^2 |q| / h^(7/3))`. The divisor is at least one, so friction can slow
//! the flow down to rest but never reverse it, and thin sheets of water stay stable.

use super::riemann::select;
use crate::real::Real;

/// The semi-implicit friction divisor for depth `h` (m) and discharge magnitude `q_abs` (m^2/s).
/// `g_n2 = g n^2`. Returns 1 when there is no friction.
#[inline(always)]
pub fn manning_divisor<R: Real>(h: R, q_abs: R, g_n2: R, dt_s: R) -> R {
    // h^(7/3) = h^2 * h^(1/3)
    let h73 = h * h * h.cbrt_fast();
    R::one() + dt_s * g_n2 * q_abs / h73
}

/// Applies friction to a cell's discharges (fv schemes). Cells shallower than `h_dry` stop.
/// Branch-free: with `g_n2 = 0` the divisor is exactly one.
#[inline(always)]
pub fn apply_manning<R: Real>(h: R, qx: R, qy: R, g_n2: R, dt_s: R, h_dry: R) -> (R, R) {
    let wet = h > h_dry;
    let q_abs = (qx * qx + qy * qy).sqrt();
    let d = manning_divisor(h, q_abs, g_n2, dt_s);
    (
        select(wet, qx / d, R::zero()),
        select(wet, qy / d, R::zero()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converges_to_uniform_flow() {
        // Uniform flow on slope S: g h S = g n^2 q^2 / h^(7/3) => q = h^(5/3) S^(1/2) / n.
        let (h, n, s, g): (f64, f64, f64, f64) = (1.3, 0.03, 1e-3, 9.81);
        let q_manning = h.powf(5.0 / 3.0) * s.sqrt() / n;
        let mut q = 0.0;
        // The divisor uses the predicted discharge, so the fixed point is off by O(dt).
        let dt = 0.1;
        for _ in 0..20_000 {
            q += dt * g * h * s;
            let d = manning_divisor(h, q.abs(), g * n * n, dt);
            q /= d;
        }
        assert!(
            (q - q_manning).abs() / q_manning < 1e-3,
            "{q} vs {q_manning}"
        );
    }

    #[test]
    fn never_reverses_and_stops_dry_cells() {
        let (qx, qy) = apply_manning(0.01, 5.0, -5.0, 9.81 * 0.1 * 0.1, 100.0, 1e-6);
        assert!(qx > 0.0 && qy < 0.0 && qx < 5.0);
        assert_eq!(apply_manning(1e-7, 1.0, 1.0, 0.01, 1.0, 1e-6), (0.0, 0.0));
    }
}
