//! Time-step control (Courant–Friedrichs–Lewy).
//!
//! Finite volume: `dt = C / max_cells((|u| + c)/dx + (|v| + c)/dy)`, `c = sqrt(g h)`, the
//! two-dimensional bound under which the first-order scheme with hydrostatic reconstruction keeps
//! depths non-negative for `C <= 1/2` (Audusse et al. 2004).
//! Inertial: `dt = alpha min(dx, dy) / sqrt(g h_max)` (Bates et al. 2010, eq. 12).

use super::riemann::select;
use crate::real::Real;

/// Wave-speed term of one cell for the finite-volume CFL: `(|u|+c)/dx + (|v|+c)/dy` (1/s).
/// WGSL twin: `numerics/cfl.wgsl::fv_rate`.
#[inline(always)]
pub fn fv_rate<R: Real>(h: R, qx: R, qy: R, inv_dx: R, inv_dy: R, g: R, h_dry: R) -> R {
    let c = (g * h).sqrt();
    let u = qx / h;
    let v = qy / h;
    select(
        h > h_dry,
        (u.abs() + c) * inv_dx + (v.abs() + c) * inv_dy,
        R::zero(),
    )
}

/// Wave-speed term of one cell for the inertial CFL: `sqrt(g h) / min(dx, dy)` (1/s).
/// WGSL twin: `numerics/cfl.wgsl::inertial_rate`.
#[inline(always)]
pub fn inertial_rate<R: Real>(h: R, inv_dmin: R, g: R, h_dry: R) -> R {
    select(h > h_dry, (g * h).sqrt() * inv_dmin, R::zero())
}

/// The time step to take from `t_s`, given the largest rate over the domain, so that the step
/// never passes `t_target_s` and lands on it exactly (the caller sets `t = t_target` when the
/// returned flag is true). A step that would leave a sliver shorter than half a step before the
/// target is split into two equal steps instead. WGSL twin: `step.wgsl::plan` (in f32, with
/// the collapse check of the time loop).
pub fn next_dt(
    courant: f64,
    max_rate: f64,
    max_dt_s: f64,
    t_s: f64,
    t_target_s: f64,
) -> (f64, bool) {
    let dt_cfl = if max_rate > 0.0 {
        (courant / max_rate).min(max_dt_s)
    } else {
        max_dt_s
    };
    let remaining = t_target_s - t_s;
    if dt_cfl >= remaining {
        (remaining, true)
    } else if dt_cfl > 0.5 * remaining {
        (0.5 * remaining, false)
    } else {
        (dt_cfl, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_the_target_exactly() {
        let (dt, last) = next_dt(0.5, 1.0, 60.0, 9.8, 10.0);
        assert!(last);
        assert!((dt - 0.2).abs() < 1e-15);
        let (dt, last) = next_dt(0.5, 1.0, 60.0, 9.2, 10.0);
        assert!(!last);
        assert!((dt - 0.4).abs() < 1e-12); // 0.8 split into 0.4 + 0.4 rather than 0.5 + 0.3
        let (dt, last) = next_dt(0.5, 1.0, 60.0, 0.0, 10.0);
        assert_eq!((dt, last), (0.5, false));
    }

    #[test]
    fn dry_domain_uses_max_dt() {
        assert_eq!(next_dt(0.5, 0.0, 5.0, 0.0, 100.0), (5.0, false));
    }

    #[test]
    fn rate_of_still_water_is_the_celerity() {
        let r = fv_rate(1.0, 0.0, 0.0, 1.0, 1.0, 9.81, 1e-6);
        assert!((r - 2.0 * 9.81f64.sqrt()).abs() < 1e-12);
        assert_eq!(fv_rate(0.0, 0.0, 0.0, 1.0, 1.0, 9.81, 1e-6), 0.0);
    }
}
