//! `fv1`: first-order Godunov finite volume.
//!
//! Interface states are the cell averages, made well-balanced and depth-positive by the
//! hydrostatic reconstruction of Audusse et al. (2004); the flux is HLLC (Toro 2001). The bed
//! slope enters only through the reconstruction's pressure correction, so a lake at rest over any
//! bed stays at rest to round-off, and with `C <= 1/2` depths never go negative.
//!
//! WGSL twin: `fv1.wgsl::face_flux_fv1`.

use super::reconstruction::hydrostatic;
use super::riemann::{hllc, pressure};
use super::{CellState, FaceFlux, Params, velocity};

use crate::real::Real;

/// Flux through the interface between cells `l` and `r` (normal pointing from `l` to `r`).
#[inline(always)]
pub fn face_flux<R: Real>(l: CellState<R>, r: CellState<R>, p: Params<R>) -> FaceFlux<R> {
    face_flux_uv(
        [
            l.h,
            velocity(l.h, l.qn, p.h_dry),
            velocity(l.h, l.qt, p.h_dry),
            l.z,
        ],
        [
            r.h,
            velocity(r.h, r.qn, p.h_dry),
            velocity(r.h, r.qt, p.h_dry),
            r.z,
        ],
        p,
    )
}

/// The same flux from `[depth, normal velocity, tangential velocity, bed]` of each side; fv2
/// calls it with its reconstructed interface states.
#[inline(always)]
pub fn face_flux_uv<R: Real>(l: [R; 4], r: [R; 4], p: Params<R>) -> FaceFlux<R> {
    let [hl0, ul, vl, zl] = l;
    let [hr0, ur, vr, zr] = r;
    let (_, hl, hr) = hydrostatic(hl0, zl, hr0, zr);
    let f = hllc(hl, ul, vl, hr, ur, vr, p.g);
    // Audusse's correction: each side receives the pressure of its own cell depth instead of
    // the reconstructed one. Written as (flux - p(h*)) + p(h), so that a lake at rest (flux
    // exactly p(h*)) gives each cell exactly p(h) from both of its faces.
    FaceFlux {
        mass: f[0],
        mom_l: (f[1] - pressure(hl, p.g)) + pressure(hl0, p.g),
        mom_r: (f[1] - pressure(hr, p.g)) + pressure(hr0, p.g),
        tan: f[2],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Params<f64> = Params {
        g: 9.81,
        h_dry: 1e-6,
    };

    #[test]
    fn lake_at_rest_over_a_step_balances() {
        // eta = 3 on both sides of a bed step: the momentum each cell receives from this face is
        // exactly its own hydrostatic pressure g h^2 / 2.
        let l = CellState {
            h: 2.0,
            qn: 0.0,
            qt: 0.0,
            z: 1.0,
        };
        let r = CellState {
            h: 0.5,
            qn: 0.0,
            qt: 0.0,
            z: 2.5,
        };
        let f = face_flux(l, r, P);
        assert_eq!(f.mass, 0.0);
        assert!((f.mom_l - 0.5 * 9.81 * 4.0).abs() < 1e-12);
        assert!((f.mom_r - 0.5 * 9.81 * 0.25).abs() < 1e-12);
    }

    #[test]
    fn water_does_not_climb_a_dry_bank() {
        let l = CellState {
            h: 1.0,
            qn: 0.0,
            qt: 0.0,
            z: 0.0,
        };
        let r = CellState {
            h: 0.0,
            qn: 0.0,
            qt: 0.0,
            z: 5.0,
        };
        let f = face_flux(l, r, P);
        assert_eq!(f.mass, 0.0);
    }
}
