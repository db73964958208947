//! `fv1`: first-order Godunov finite volume.
//!
//! Interface states are the cell averages, made well-balanced and depth-positive by the
//! hydrostatic reconstruction of Audusse et al. (2004); the flux is HLLC (Toro 2001). The bed
//! slope enters only through the reconstruction's pressure correction, so a lake at rest over any
//! bed stays at rest, and with `C <= 1/2` depths never go negative.
//!
//! The momentum flux is kept in deviation form (the "pre-balanced" idea of Rogers, Borthwick &
//! Taylor 2003, *J. Comput. Phys.* 192, 422–451; Liang & Marche 2009, *Adv. Water Resour.* 32,
//! 873–884): each side's flux minus the hydrostatic pressure `g h*^2 / 2` of its reconstructed
//! depth. Audusse's correction adds back the pressure of the cell's own depth, which is the same
//! on every face of a cell (fv1) or balanced by the cell's bed source (fv2), so it is left out
//! of the flux and out of the update alike (`numerics::update_cell`): a lake at rest then gives
//! every face exactly zero, in f32 as in f64, instead of `p(h) - p(h)` of two differently
//! rounded sums.
//!
//! WGSL twins: `numerics/fv1.wgsl::face_flux`, `numerics/fv1.wgsl::face_flux_uv`,
//! `numerics/fv1.wgsl::face_flux_eta`.

use super::reconstruction::hydrostatic_eta;
use super::riemann::{hllc, pressure};
use super::{CellState, FaceFlux, Params, velocity};

use crate::real::Real;

/// Flux through the interface between cells `l` and `r` (normal pointing from `l` to `r`).
/// WGSL twin: `numerics/fv1.wgsl::face_flux`.
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

/// The same flux from `[depth, normal velocity, tangential velocity, bed]` of each side.
/// WGSL twin: `numerics/fv1.wgsl::face_flux_uv`.
#[inline(always)]
pub fn face_flux_uv<R: Real>(l: [R; 4], r: [R; 4], p: Params<R>) -> FaceFlux<R> {
    let [hl, ul, vl, zl] = l;
    let [hr, ur, vr, zr] = r;
    face_flux_eta([hl + zl, ul, vl, zl], [hr + zr, ur, vr, zr], p)
}

/// The flux from `[surface level, normal velocity, tangential velocity, bed]` of each side
/// (fv2 extrapolates the level itself, so that a flat surface stays bitwise flat at the face).
/// WGSL twin: `numerics/fv1.wgsl::face_flux_eta`.
#[inline(always)]
pub fn face_flux_eta<R: Real>(l: [R; 4], r: [R; 4], p: Params<R>) -> FaceFlux<R> {
    let [eta_l, ul, vl, zl] = l;
    let [eta_r, ur, vr, zr] = r;
    let (_, hl, hr) = hydrostatic_eta(eta_l, zl, eta_r, zr);
    let f = hllc(hl, ul, vl, hr, ur, vr, p.g);
    // Each side: the flux minus the pressure of its reconstructed depth (Audusse's correction
    // without the cell's own pressure, see the module doc). Between equal states at rest the
    // HLLC momentum flux is exactly p(h*), so both are exactly zero.
    FaceFlux {
        mass: f[0],
        mom_l: f[1] - pressure(hl, p.g),
        mom_r: f[1] - pressure(hr, p.g),
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
        // eta = 3 on both sides of a bed step: the face pushes neither cell beyond its own
        // hydrostatic pressure (left out of the deviation form): exactly zero.
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
        assert_eq!((f.mass, f.mom_l, f.mom_r, f.tan), (0.0, 0.0, 0.0, 0.0));
    }

    #[test]
    fn uniform_flow_carries_its_momentum_without_the_pressure() {
        // Equal states over a flat bed: the physical flux h u^2 + g h^2 / 2 less the side's own
        // pressure, on both sides.
        let c = CellState {
            h: 1.5,
            qn: 1.5 * 0.8,
            qt: 1.5 * -0.3,
            z: 0.2,
        };
        let f = face_flux(c, c, P);
        assert!((f.mass - 1.2).abs() < 1e-12);
        assert!((f.mom_l - 1.5 * 0.64).abs() < 1e-12, "{f:?}");
        assert!((f.mom_r - 1.5 * 0.64).abs() < 1e-12, "{f:?}");
        assert!((f.tan - 1.2 * -0.3).abs() < 1e-12);
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
