//! `inertial`: the local inertial approximation on a staggered grid.
//!
//! Bates, Horritt & Fewtrell (2010), *J. Hydrol.* 387, 33–45, with the theta weighting of
//! de Almeida, Bates, Freer & Souvaliotis (2012), *Water Resour. Res.* 48, W05528 (eq. 8):
//!
//! ```text
//! q_{i+1/2}' = [theta q_{i+1/2} + (1-theta)/2 (q_{i-1/2} + q_{i+3/2})
//!               - g h_f dt (eta_{i+1} - eta_i) / dx]
//!              * 2 / [1 + sqrt(1 + 4 g dt n^2 |num| / h_f^(7/3))]
//! h_f = max(eta_i, eta_{i+1}) - max(z_i, z_{i+1})
//! h_i' = h_i + dt/dx (q_{i-1/2}' - q_{i+1/2}') + dt/dy (...)
//! ```
//!
//! with `num` the bracket above: the friction is implicit in the new discharge
//! (`numerics::friction`), not lagged as in Bates et al. (`/ [1 + g dt n^2 |q_{i+1/2}| /
//! h_f^(7/3)]`), which oscillates step to step on thin overland flow when the time step exceeds
//! the friction time.
//!
//! Discharges live on faces; depths on cells. The advection term is neglected, so the scheme suits
//! slow floodplain flow. Positivity: the outflow of a cell in one step is scaled down so that it
//! never exceeds the water the cell holds ([`outflow_scale`]); the scaling is conservative since
//! each face is scaled once, by its upwind cell.
//!
//! WGSL twins: `numerics/inertial.wgsl::face_discharge`,
//! `numerics/inertial.wgsl::outflow_scale`.

use super::friction::manning_factor;
use super::riemann::select;
use crate::real::Real;

/// What a face sees of its two cells.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceInput<R> {
    /// Discharge through this face at the old time (m^2/s, positive from `l` to `r`).
    pub q: R,
    /// Discharges through the faces behind and ahead along the normal (for the theta average).
    pub q_behind: R,
    pub q_ahead: R,
    pub eta_l: R,
    pub eta_r: R,
    pub z_l: R,
    pub z_r: R,
    /// `g n^2` at the face.
    pub g_n2: R,
}

/// The new unit discharge through a face. WGSL twin: `numerics/inertial.wgsl::face_discharge`.
#[inline(always)]
pub fn face_discharge<R: Real>(f: FaceInput<R>, dt_s: R, inv_d: R, theta: R, g: R, h_dry: R) -> R {
    let h_f = f.eta_l.max(f.eta_r) - f.z_l.max(f.z_r);
    let q_avg = theta * f.q + R::c(0.5) * (R::one() - theta) * (f.q_behind + f.q_ahead);
    let num = q_avg - g * h_f * dt_s * (f.eta_r - f.eta_l) * inv_d;
    let wet = h_f > h_dry;
    let q = num * manning_factor(select(wet, h_f, R::one()), num.abs(), f.g_n2, dt_s);
    select(wet, q, R::zero())
}

/// Factor in (0, 1] by which the outgoing discharges of a cell are scaled so that it does not
/// lose more water than it holds: `min(1, h / out_depth)` with `out_depth` the depth the
/// unscaled outflow would remove in this step. WGSL twin:
/// `numerics/inertial.wgsl::outflow_scale`.
#[inline(always)]
pub fn outflow_scale<R: Real>(h: R, out_depth: R) -> R {
    select(out_depth > h, h / out_depth, R::one())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(eta_l: f64, eta_r: f64) -> FaceInput<f64> {
        FaceInput {
            q: 0.0,
            q_behind: 0.0,
            q_ahead: 0.0,
            eta_l,
            eta_r,
            z_l: 0.0,
            z_r: 0.0,
            g_n2: 0.0,
        }
    }

    #[test]
    fn flows_downhill() {
        let q = face_discharge(input(1.1, 1.0), 0.1, 1.0, 0.7, 9.81, 1e-6);
        // q = -g h_f dt d(eta)/dx = -9.81 * 1.1 * 0.1 * (-0.1)
        assert!((q - 9.81 * 1.1 * 0.1 * 0.1).abs() < 1e-12);
    }

    #[test]
    fn lake_at_rest_and_dry_banks_stay_still() {
        assert_eq!(
            face_discharge(input(2.0, 2.0), 0.1, 1.0, 0.7, 9.81, 1e-6),
            0.0
        );
        let bank = FaceInput {
            z_r: 3.0,
            eta_r: 3.0,
            ..input(2.0, 3.0)
        };
        assert_eq!(face_discharge(bank, 0.1, 1.0, 0.7, 9.81, 1e-6), 0.0);
    }

    #[test]
    fn outflow_never_exceeds_storage() {
        assert_eq!(outflow_scale(1.0, 0.5), 1.0);
        assert_eq!(outflow_scale(1.0, 4.0), 0.25);
    }
}
