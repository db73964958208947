//! Hydrostatic reconstruction (Audusse, Bouchut, Bristeau, Klein & Perthame 2004, *SIAM J. Sci.
//! Comput.* 25(6), 2050–2065) and limited MUSCL slopes (van Leer 1979; minmod limiter).
//!
//! At an interface with bed `z_f = max(z_l, z_r)`, each side's depth is reconstructed as
//! `h* = max(0, h + z - z_f)`: a lake at rest (`h + z` constant) gives equal states and no flow,
//! and depths stay non-negative.

use crate::real::Real;

/// Interface bed and the two reconstructed depths `(z_f, h*_l, h*_r)` from the surface levels
/// `eta` and beds of the two sides: `h* = max(0, eta - z_f)`.
/// Two sides at one level get bitwise equal depths whatever the beds (the same subtraction),
/// which is what keeps a lake at rest exactly at rest in f32.
#[inline(always)]
pub fn hydrostatic_eta<R: Real>(eta_l: R, zl: R, eta_r: R, zr: R) -> (R, R, R) {
    let zf = zl.max(zr);
    let hl_star = (eta_l - zf).max(R::zero());
    let hr_star = (eta_r - zf).max(R::zero());
    (zf, hl_star, hr_star)
}

/// Minmod limiter of two one-sided differences: the smaller in magnitude when they share a
/// sign, zero otherwise (so reconstructed values stay between neighbouring cell values).
#[inline(always)]
pub fn minmod<R: Real>(a: R, b: R) -> R {
    let zero = R::zero();
    if a > zero && b > zero {
        a.min(b)
    } else if a < zero && b < zero {
        a.max(b)
    } else {
        zero
    }
}

/// Weight of the one-sided differences in [`limited_slope`]: 1 is minmod (most diffusive),
/// 2 is the monotonised-central limiter of van Leer (1977) (least diffusive of the family).
/// 1.3 is a value common with central-upwind schemes (e.g. Kurganov & Petrova 2007): with 2,
/// fv2 never settles at a standing hydraulic jump (MacDonald's transcritical channel oscillates
/// in a limit cycle, its inflow cell carrying 60 % of the discharge), while 1.3 reaches the
/// steady state and converges at order 0.8–1.5 there; dam breaks lose about 30 % of fv2's
/// accuracy against theta 2. WGSL twin: the literal in `fv.wgsl::limited_slope`.
pub const LIMITER_THETA: f64 = 1.3;

/// Generalised minmod slope (van Leer 1979; Kurganov & Tadmor 2000):
/// `minmod(theta a, (a + b) / 2, theta b)` of the backward and forward differences `a`, `b`.
/// For `theta <= 2` the interface values `c +/- slope/2` stay between the neighbouring cell
/// values, so limited depths stay non-negative. WGSL twin: `fv2.wgsl::limited_slope`.
#[inline(always)]
pub fn limited_slope<R: Real>(a: R, b: R) -> R {
    let theta = R::c(LIMITER_THETA);
    minmod(theta * a, minmod(R::c(0.5) * (a + b), theta * b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lake_at_rest_is_reconstructed_exactly() {
        let (zf, hl, hr) = hydrostatic_eta(3.0, 2.0, 3.0, 2.5);
        assert_eq!((zf, hl, hr), (2.5, 0.5, 0.5));
    }

    #[test]
    fn never_negative() {
        let (_, hl, hr) = hydrostatic_eta(0.1, 0.0, 3.0, 3.0);
        assert_eq!((hl, hr), (0.0, 0.0));
    }

    #[test]
    fn minmod_is_tvd() {
        assert_eq!(minmod(1.0, 2.0), 1.0);
        assert_eq!(minmod(-1.0, -0.5), -0.5);
        assert_eq!(minmod(-1.0, 2.0), 0.0);
        assert_eq!(minmod(0.0, 2.0), 0.0);
    }
}
