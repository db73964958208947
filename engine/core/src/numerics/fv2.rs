//! `fv2`: second-order MUSCL finite volume with two-stage SSP Runge–Kutta in time.
//!
//! Each cell carries minmod-limited slopes of depth `h`, free surface `eta = h + z` and the
//! velocities `u`, `v` (van Leer 1979). Interface values are extrapolated half a cell from the
//! centres; the bed at the interface is `z = eta - h`, so limiting `h` keeps interface depths
//! non-negative and limiting `eta` keeps a lake at rest exactly flat. The interface flux is the
//! fv1 one (hydrostatic reconstruction + HLLC) applied to the extrapolated states, and each cell
//! gets the centred bed-slope source of Audusse et al. (2004, sec. 2.3, second-order scheme):
//! `S = g/2 (h_{i-1/2+} + h_{i+1/2-}) (z_{i-1/2+} - z_{i+1/2-}) = g h_i (dh_i - deta_i)`.
//! Its `g h_i dh_i` part is exactly the difference of the cell's own face pressures
//! `g/2 (h_i + dh_i/2)^2 - g/2 (h_i - dh_i/2)^2`, which the deviation-form fluxes leave out
//! (`fv1` module doc), so the cell gets only `-g h_i deta_i`: zero for a flat surface, with no
//! two rounded pressures left to cancel. The surface is extrapolated as itself
//! (`eta_i +/- deta_i/2`), the face bed being `eta - h` there. Time stepping is Heun's SSP-RK2
//! (Shu & Osher 1988): `U1 = U + dt L(U)`, `U' = (U + U1 + dt L(U1)) / 2`.
//!
//! Cells shallower than the dry threshold have zero slopes (first order at wet/dry fronts).
//! WGSL twins: `numerics/fv2.wgsl::slopes`, `numerics/fv2.wgsl::face_flux_sloped` (the
//! kernels gather the stencil, so `face_flux` has none).

use super::fv1::face_flux_eta;
use super::reconstruction::limited_slope;
use super::riemann::select;
use super::{CellState, FaceFlux, Params, velocity};
use crate::real::Real;

/// Limited differences across one cell (full-cell increments; interface values are the centre
/// value plus or minus half of them).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Slopes<R> {
    pub dh: R,
    pub deta: R,
    pub du: R,
    pub dv: R,
}

/// Slopes of cell `c` from its neighbours behind (`a`) and ahead (`b`) along the normal.
/// WGSL twin: `numerics/fv2.wgsl::slopes`.
#[inline(always)]
pub fn slopes<R: Real>(
    a: CellState<R>,
    c: CellState<R>,
    b: CellState<R>,
    p: Params<R>,
) -> Slopes<R> {
    let uv = |x: CellState<R>| {
        [
            x.h,
            x.h + x.z,
            velocity(x.h, x.qn, p.h_dry),
            velocity(x.h, x.qt, p.h_dry),
        ]
    };
    slopes_uv(uv(a), uv(c), uv(b), p.h_dry)
}

/// Slopes from `[h, eta, u_normal, u_tangential]` of the three cells; zero where the centre is
/// dry. WGSL twin: `numerics/fv2.wgsl::slopes_uv`.
#[inline(always)]
pub fn slopes_uv<R: Real>(a: [R; 4], c: [R; 4], b: [R; 4], h_dry: R) -> Slopes<R> {
    let wet = c[0] > h_dry;
    let s = |k: usize| select(wet, limited_slope(c[k] - a[k], b[k] - c[k]), R::zero());
    Slopes {
        dh: s(0),
        deta: s(1),
        du: s(2),
        dv: s(3),
    }
}

/// Bed-slope source of a cell along one direction, per unit length, as the deviation-form
/// fluxes need it: `-g h deta` (the `g h dh` part of `g h (dh - deta)` is the cell's own
/// pressure difference, left out of the fluxes too); the caller multiplies by `dt/dx`.
/// WGSL twin: `numerics/fv2.wgsl::bed_source`.
#[inline(always)]
pub fn bed_source<R: Real>(h: R, s: Slopes<R>, g: R) -> R {
    -(g * h * s.deta)
}

/// Flux through the interface between `l` and `r`, with `ll` behind `l` and `rr` ahead of `r`.
#[inline(always)]
pub fn face_flux<R: Real>(
    ll: CellState<R>,
    l: CellState<R>,
    r: CellState<R>,
    rr: CellState<R>,
    p: Params<R>,
) -> FaceFlux<R> {
    let sl = slopes(ll, l, r, p);
    let sr = slopes(l, r, rr, p);
    let uv = |x: CellState<R>| {
        [
            x.h,
            velocity(x.h, x.qn, p.h_dry),
            velocity(x.h, x.qt, p.h_dry),
            x.z,
        ]
    };
    face_flux_sloped(uv(l), sl, uv(r), sr, p)
}

/// Flux from `[h, u_normal, u_tangential, z]` and the slopes of the two cells: extrapolate half a
/// cell to the interface, then the fv1 flux of the extrapolated states.
/// WGSL twin: `numerics/fv2.wgsl::face_flux_sloped`.
#[inline(always)]
pub fn face_flux_sloped<R: Real>(
    l: [R; 4],
    sl: Slopes<R>,
    r: [R; 4],
    sr: Slopes<R>,
    p: Params<R>,
) -> FaceFlux<R> {
    let half = R::c(0.5);
    let [hl, ul, vl, zl] = l;
    let [hr, ur, vr, zr] = r;
    let eta_l = hl + zl + half * sl.deta;
    let eta_r = hr + zr - half * sr.deta;
    face_flux_eta(
        [
            eta_l,
            ul + half * sl.du,
            vl + half * sl.dv,
            eta_l - (hl + half * sl.dh),
        ],
        [
            eta_r,
            ur - half * sr.du,
            vr - half * sr.dv,
            eta_r - (hr - half * sr.dh),
        ],
        p,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Params<f64> = Params {
        g: 9.81,
        h_dry: 1e-6,
    };

    fn cell(h: f64, z: f64) -> CellState<f64> {
        CellState {
            h,
            qn: 0.0,
            qt: 0.0,
            z,
        }
    }

    #[test]
    fn lake_at_rest_pressure_balances_the_source() {
        // eta = 2 over a linear bed: the middle cell gets no net force (faces and source all
        // exactly zero).
        let (a, c, b, d) = (
            cell(2.0, 0.0),
            cell(1.5, 0.5),
            cell(1.0, 1.0),
            cell(0.5, 1.5),
        );
        let z = cell(2.5, -0.5);
        let west = face_flux(z, a, c, b, P);
        let east = face_flux(a, c, b, d, P);
        let s = slopes(a, c, b, P);
        let residual = east.mom_l - west.mom_r - bed_source(c.h, s, P.g);
        assert_eq!(residual, 0.0);
        assert_eq!(east.mass, 0.0);
        assert!(s.dh != 0.0);
    }

    #[test]
    fn deviation_form_is_audusse_full_form() {
        // A flowing state over an uneven bed: leaving each cell's own face pressures out of the
        // fluxes and `g h dh` out of the source changes nothing in exact arithmetic.
        let c = |h: f64, u: f64, z: f64| CellState {
            h,
            qn: h * u,
            qt: 0.1 * h,
            z,
        };
        let (z, a, m, b, d) = (
            c(2.4, 0.4, -0.3),
            c(1.9, 0.7, 0.1),
            c(1.5, 1.1, 0.3),
            c(1.2, 1.3, 0.4),
            c(0.9, 1.6, 0.5),
        );
        let west = face_flux(z, a, m, b, P);
        let east = face_flux(a, m, b, d, P);
        let s = slopes(a, m, b, P);
        let p = |h: f64| 0.5 * P.g * h * h;
        let deviation = east.mom_l - west.mom_r - bed_source(m.h, s, P.g);
        let full = (east.mom_l + p(m.h + 0.5 * s.dh))
            - (west.mom_r + p(m.h - 0.5 * s.dh))
            - P.g * m.h * (s.dh - s.deta);
        assert!(s.dh != 0.0 && s.deta != 0.0);
        assert!((deviation - full).abs() < 1e-12, "{deviation} {full}");
    }

    #[test]
    fn limited_interface_depths_stay_non_negative() {
        let s = slopes(cell(0.0, 0.0), cell(1.0, 0.0), cell(5.0, 0.0), P);
        assert!(1.0 - 0.5 * s.dh >= 0.0 && 1.0 + 0.5 * s.dh >= 0.0);
    }
}
