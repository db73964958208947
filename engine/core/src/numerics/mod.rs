//! Pointwise numerics: one pure function per interface or cell. Loops, threads and dispatch live
//! in the backends (`crate::cpu` here). The GPU has them in WGSL under the same names, one file
//! per module in `shaders/numerics/` (e.g. `numerics/riemann.wgsl::hllc`); each function's doc
//! names its twin, and the GPU crate's `tests/twins.rs` checks both directions.
//!
//! The shallow-water equations in conservative form, with `U = (h, hu, hv)`:
//!
//! ```text
//! d/dt U + d/dx F(U) + d/dy G(U) = S_bed + S_friction
//! F = (hu, hu^2 + g h^2 / 2, huv),  G = (hv, huv, hv^2 + g h^2 / 2)
//! S_bed = (0, -g h dz/dx, -g h dz/dy),  S_friction = (0, -g n^2 |u| hu / h^(4/3), ...)
//! ```
//!
//! Every interface function is written for the x direction. The y direction calls the same
//! function with the roles of the discharges swapped (`qn` = normal, `qt` = tangential).

pub mod cfl;
pub mod friction;
pub mod fv1;
pub mod fv2;
pub mod inertial;
pub mod infiltration;
pub mod reconstruction;
pub mod riemann;

use crate::real::Real;

/// Constants every kernel needs.
#[derive(Debug, Clone, Copy)]
pub struct Params<R> {
    /// Gravitational acceleration, m/s^2.
    pub g: R,
    /// Below this depth the velocity of a cell is zero.
    pub h_dry: R,
}

/// A cell seen from an interface: depth, normal and tangential unit discharge, bed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CellState<R> {
    pub h: R,
    pub qn: R,
    pub qt: R,
    pub z: R,
}

impl<R: Real> CellState<R> {
    /// The ghost cell behind a wall: same depth and bed, normal discharge reversed.
    #[inline(always)]
    pub fn mirrored(self) -> Self {
        Self {
            qn: -self.qn,
            ..self
        }
    }
}

/// Numerical flux through an interface, per metre of interface.
///
/// With hydrostatic reconstruction the normal-momentum flux differs on the two sides of the
/// interface (`mom_l` enters the balance of the left cell, `mom_r` of the right one); the
/// difference is the bed-slope source (Audusse et al. 2004, eq. 2.10). Both are in deviation
/// form: the flux less the hydrostatic pressure of the cell's own depth at the face, which
/// cancels in the cell's update (see `fv1`'s module doc).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FaceFlux<R> {
    pub mass: R,
    pub mom_l: R,
    pub mom_r: R,
    pub tan: R,
}

/// Velocity from discharge, zero in cells shallower than `h_dry` (desingularisation).
/// WGSL twin: `numerics/mod.wgsl::velocity`.
#[inline(always)]
pub fn velocity<R: Real>(h: R, q: R, h_dry: R) -> R {
    if h > h_dry { q / h } else { R::zero() }
}

/// The finite-volume update of one cell from the (deviation-form) fluxes through its four faces
/// and the cell-centred bed-slope sources (zero for fv1).
///
/// ```text
/// h'  = h  - dt/dx (E.mass  - W.mass)  - dt/dy (N.mass  - S.mass)
/// qx' = qx - dt/dx (E.mom_l - W.mom_r - Sx) - dt/dy (N.tan   - S.tan)
/// qy' = qy - dt/dx (E.tan   - W.tan)   - dt/dy (N.mom_l - S.mom_r - Sy)
/// ```
/// `rx = dt/dx`, `ry = dt/dy`. WGSL twin: `numerics/mod.wgsl::update_cell`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn update_cell<R: Real>(
    h: R,
    qx: R,
    qy: R,
    w: FaceFlux<R>,
    e: FaceFlux<R>,
    s: FaceFlux<R>,
    n: FaceFlux<R>,
    rx: R,
    ry: R,
    src_x: R,
    src_y: R,
) -> (R, R, R) {
    let h1 = h - rx * (e.mass - w.mass) - ry * (n.mass - s.mass);
    let qx1 = qx - rx * (e.mom_l - w.mom_r - src_x) - ry * (n.tan - s.tan);
    let qy1 = qy - rx * (e.tan - w.tan) - ry * (n.mom_l - s.mom_r - src_y);
    (h1, qx1, qy1)
}
