//! HLLC approximate Riemann solver for the shallow-water equations.
//!
//! Toro, E. F. (2001) *Shock-Capturing Methods for Free-Surface Shallow Flows*, Wiley, ch. 10:
//! the HLL flux for mass and normal momentum; the contact wave `s_m` carries the tangential
//! velocity (passive scalar). Wave speeds after Toro (2001, eqs. 10.22–10.24), with the dry-bed
//! speeds `u -/+ 2c` when one side is dry.
//!
//! Written for the x direction; the y direction swaps (u, v). WGSL twin:
//! `numerics/riemann.wgsl::hllc`.

use crate::real::Real;

/// HLLC flux `[mass, normal momentum, tangential momentum]` per metre of interface between a left
/// state `(hl, ul, vl)` and a right state `(hr, ur, vr)` (depths in metres, velocities in m/s).
///
/// Branch-free (every case is computed and selected), so that loops over faces vectorise; the
/// divisions that are undefined when both sides are dry are selected away.
/// WGSL twin: `numerics/riemann.wgsl::hllc`.
#[inline(always)]
pub fn hllc<R: Real>(hl: R, ul: R, vl: R, hr: R, ur: R, vr: R, g: R) -> [R; 3] {
    let zero = R::zero();
    let half = R::c(0.5);
    let two = R::c(2.0);
    let cl = (g * hl).sqrt();
    let cr = (g * hr).sqrt();
    // Two-rarefaction estimate of the star region (Toro 2001, eq. 10.18).
    let u_star = half * (ul + ur) + cl - cr;
    let c_star = half * (cl + cr) + R::c(0.25) * (ul - ur);
    let sl = select(hl <= zero, ur - two * cr, (ul - cl).min(u_star - c_star));
    let sr = select(hr <= zero, ul + two * cl, (ur + cr).max(u_star + c_star));
    let fl0 = hl * ul;
    let fl1 = hl * ul * ul + pressure(hl, g);
    let fr0 = hr * ur;
    let fr1 = hr * ur * ur + pressure(hr, g);
    let inv = R::one() / (sr - sl);
    // Mass in the textbook form, which gives exactly zero through a wall (a mirror state);
    // momentum as the left flux plus a correction, which gives exactly the left flux (the
    // hydrostatic pressure) between equal states at rest: a lake at rest stays exactly
    // balanced in f32 as in f64.
    let hll0 = (sr * fl0 - sl * fr0 + sl * sr * (hr - hl)) * inv;
    let hll1 = fl1 + sl * (sr * (fr0 - fl0) - (fr1 - fl1)) * inv;
    let f0 = select(sl >= zero, fl0, select(sr <= zero, fr0, hll0));
    let f1 = select(sl >= zero, fl1, select(sr <= zero, fr1, hll1));
    // Speed of the contact wave (Toro 2001, eq. 10.27); the denominator is negative whenever
    // at least one side is wet.
    let s_m = (sl * hr * (ur - sr) - sr * hl * (ul - sl)) / (hr * (ur - sr) - hl * (ul - sl));
    let f2 = f0 * select(s_m >= zero, vl, vr);
    let dry = hl <= zero && hr <= zero;
    [
        select(dry, zero, f0),
        select(dry, zero, f1),
        select(dry, zero, f2),
    ]
}

/// Hydrostatic pressure force per metre, `g h^2 / 2`, evaluated the same way wherever it is
/// needed (so that terms that cancel in exact arithmetic cancel in floating point too).
/// WGSL twin: `numerics/riemann.wgsl::pressure`.
#[inline(always)]
pub fn pressure<R: Real>(h: R, g: R) -> R {
    R::c(0.5) * g * h * h
}

/// `if c { a } else { b }` for values already computed: compiles to a blend.
#[inline(always)]
pub fn select<R: Copy>(c: bool, a: R, b: R) -> R {
    if c { a } else { b }
}

#[cfg(test)]
mod tests {
    use super::*;

    const G: f64 = 9.81;

    fn physical(h: f64, u: f64, v: f64) -> [f64; 3] {
        [h * u, h * u * u + 0.5 * G * h * h, h * u * v]
    }

    #[test]
    fn consistent_with_the_physical_flux() {
        for (h, u, v) in [(1.0, 0.3, -0.2), (2.5, -4.0, 1.0), (0.1, 3.0, 0.0)] {
            let f = hllc(h, u, v, h, u, v, G);
            let p = physical(h, u, v);
            for k in 0..3 {
                assert!(
                    (f[k] - p[k]).abs() < 1e-12 * (1.0 + p[k].abs()),
                    "{f:?} {p:?}"
                );
            }
        }
    }

    #[test]
    fn mirror_state_gives_no_mass_flux() {
        // A wall is a mirror ghost: the mass flux must vanish exactly.
        for (h, u) in [(1.0, 0.7), (0.3, -2.0), (5.0, 0.0)] {
            let f = hllc(h, u, 0.1, h, -u, 0.1, G);
            assert_eq!(f[0], 0.0);
        }
    }

    #[test]
    fn dry_both_sides_gives_zero() {
        assert_eq!(hllc(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, G), [0.0; 3]);
    }

    #[test]
    fn x_and_y_are_the_same_function() {
        // Reflecting the problem (x -> -x) swaps sides and flips the normal velocity: the mass and
        // tangential fluxes change sign, the normal momentum flux does not.
        let a = hllc(1.2, 0.4, 0.3, 0.6, -0.1, -0.5, G);
        let b = hllc(0.6, 0.1, -0.5, 1.2, -0.4, 0.3, G);
        assert!((a[0] + b[0]).abs() < 1e-12);
        assert!((a[1] - b[1]).abs() < 1e-12);
        assert!((a[2] + b[2]).abs() < 1e-12);
    }

    #[test]
    fn upwinds_supercritical_flow() {
        let f = hllc(1.0, 10.0, 0.0, 0.5, 10.0, 0.0, G);
        assert_eq!(f, physical(1.0, 10.0, 0.0));
    }
}
