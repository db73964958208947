//! The backend's buffers, structure of arrays, and their per-row views: the state with its
//! velocities ([`Fields`]), the face fluxes of fv1/fv2 ([`FaceArrays`]), the limited slopes of
//! fv2 ([`SlopeArrays`]), and the mutable rows a cell pass writes ([`CellRow`]). Rows are
//! handed to rayon as zipped `par_chunks_mut`, so each row is written by one thread.

use rayon::prelude::*;

use super::rows;
use crate::maxima::Maxima;
use crate::numerics::fv2::Slopes;
use crate::numerics::{FaceFlux, velocity};
use crate::real::Real;
use crate::state::State;

/// One state buffer and the velocities derived from it (zero in dry and inactive cells).
#[derive(Debug, Clone, Default)]
pub(super) struct Fields<R> {
    pub(super) h: Vec<R>,
    pub(super) qx: Vec<R>,
    pub(super) qy: Vec<R>,
    pub(super) u: Vec<R>,
    pub(super) v: Vec<R>,
}

impl<R: Real> Fields<R> {
    pub(super) fn from_state(s: State<R>, h_dry: R) -> Self {
        let u =
            s.h.iter()
                .zip(&s.qx)
                .map(|(&h, &q)| velocity(h, q, h_dry))
                .collect();
        let v =
            s.h.iter()
                .zip(&s.qy)
                .map(|(&h, &q)| velocity(h, q, h_dry))
                .collect();
        Self {
            h: s.h,
            qx: s.qx,
            qy: s.qy,
            u,
            v,
        }
    }

    pub(super) fn zeros(n: usize) -> Self {
        Self::from_state(State::dry(n), R::one())
    }
}

/// Numerical fluxes through one family of faces, structure of arrays.
#[derive(Debug, Clone, Default)]
pub(super) struct FaceArrays<R> {
    pub(super) mass: Vec<R>,
    pub(super) mom_l: Vec<R>,
    pub(super) mom_r: Vec<R>,
    pub(super) tan: Vec<R>,
}

impl<R: Real> FaceArrays<R> {
    pub(super) fn zeros(n: usize) -> Self {
        Self {
            mass: vec![R::zero(); n],
            mom_l: vec![R::zero(); n],
            mom_r: vec![R::zero(); n],
            tan: vec![R::zero(); n],
        }
    }

    pub(super) fn line(&self, r: std::ops::Range<usize>) -> rows::FaceLine<'_, R> {
        rows::FaceLine {
            mass: &self.mass[r.clone()],
            mom_l: &self.mom_l[r.clone()],
            mom_r: &self.mom_r[r.clone()],
            tan: &self.tan[r],
        }
    }

    pub(super) fn par_rows(
        &mut self,
        width: usize,
    ) -> impl IndexedParallelIterator<Item = FaceRow<'_, R>> {
        self.mass
            .par_chunks_mut(width)
            .zip(self.mom_l.par_chunks_mut(width))
            .zip(self.mom_r.par_chunks_mut(width))
            .zip(self.tan.par_chunks_mut(width))
            .map(|(((mass, mom_l), mom_r), tan)| FaceRow {
                mass,
                mom_l,
                mom_r,
                tan,
            })
    }
}

/// One row of [`FaceArrays`], mutable.
pub(super) struct FaceRow<'a, R> {
    pub(super) mass: &'a mut [R],
    pub(super) mom_l: &'a mut [R],
    pub(super) mom_r: &'a mut [R],
    pub(super) tan: &'a mut [R],
}

impl<R: Copy> FaceRow<'_, R> {
    #[inline(always)]
    pub(super) fn set(&mut self, k: usize, f: FaceFlux<R>) {
        self.mass[k] = f.mass;
        self.mom_l[k] = f.mom_l;
        self.mom_r[k] = f.mom_r;
        self.tan[k] = f.tan;
    }
}

/// fv2: limited slopes of each cell along one direction, structure of arrays. `du` is the slope
/// of the velocity normal to that direction's faces, `dv` of the tangential one.
#[derive(Debug, Clone, Default)]
pub(super) struct SlopeArrays<R> {
    pub(super) dh: Vec<R>,
    pub(super) deta: Vec<R>,
    pub(super) du: Vec<R>,
    pub(super) dv: Vec<R>,
}

impl<R: Real> SlopeArrays<R> {
    pub(super) fn zeros(n: usize) -> Self {
        Self {
            dh: vec![R::zero(); n],
            deta: vec![R::zero(); n],
            du: vec![R::zero(); n],
            dv: vec![R::zero(); n],
        }
    }

    /// The slopes of cells `r`; empty when `enabled` is false (fv1 has no slopes).
    pub(super) fn line(&self, r: std::ops::Range<usize>, enabled: bool) -> rows::SlopeLine<'_, R> {
        if enabled {
            rows::SlopeLine {
                dh: &self.dh[r.clone()],
                deta: &self.deta[r.clone()],
                du: &self.du[r.clone()],
                dv: &self.dv[r],
            }
        } else {
            rows::SlopeLine {
                dh: &[],
                deta: &[],
                du: &[],
                dv: &[],
            }
        }
    }

    pub(super) fn par_rows(
        &mut self,
        width: usize,
    ) -> impl IndexedParallelIterator<Item = SlopeRow<'_, R>> {
        self.dh
            .par_chunks_mut(width)
            .zip(self.deta.par_chunks_mut(width))
            .zip(self.du.par_chunks_mut(width))
            .zip(self.dv.par_chunks_mut(width))
            .map(|(((dh, deta), du), dv)| SlopeRow { dh, deta, du, dv })
    }
}

/// One row of [`SlopeArrays`], mutable.
pub(super) struct SlopeRow<'a, R> {
    pub(super) dh: &'a mut [R],
    pub(super) deta: &'a mut [R],
    pub(super) du: &'a mut [R],
    pub(super) dv: &'a mut [R],
}

impl<R: Copy> SlopeRow<'_, R> {
    #[inline(always)]
    pub(super) fn set(&mut self, k: usize, s: Slopes<R>) {
        self.dh[k] = s.dh;
        self.deta[k] = s.deta;
        self.du[k] = s.du;
        self.dv[k] = s.dv;
    }
}

/// Mutable row slices of the cell outputs of a pass.
pub(super) struct CellRow<'a, R> {
    pub(super) h: &'a mut [R],
    pub(super) qx: &'a mut [R],
    pub(super) qy: &'a mut [R],
    pub(super) u: &'a mut [R],
    pub(super) v: &'a mut [R],
    pub(super) rate: &'a mut [R],
    pub(super) max_depth: &'a mut [R],
    pub(super) max_speed: &'a mut [R],
    pub(super) max_hazard: &'a mut [R],
    pub(super) arrival: &'a mut [R],
}

/// The rows of a cell pass's outputs: the new state, the CFL rate and the maxima.
pub(super) fn par_cell_rows<'a, R: Real>(
    out: &'a mut Fields<R>,
    rate: &'a mut [R],
    m: &'a mut Maxima<R>,
    nx: usize,
) -> impl IndexedParallelIterator<Item = CellRow<'a, R>> {
    out.h
        .par_chunks_mut(nx)
        .zip(out.qx.par_chunks_mut(nx))
        .zip(out.qy.par_chunks_mut(nx))
        .zip(out.u.par_chunks_mut(nx))
        .zip(out.v.par_chunks_mut(nx))
        .zip(rate.par_chunks_mut(nx))
        .zip(m.depth_m.par_chunks_mut(nx))
        .zip(m.speed_m_s.par_chunks_mut(nx))
        .zip(m.hazard_m2_s.par_chunks_mut(nx))
        .zip(m.arrival_s.par_chunks_mut(nx))
        .map(
            |(((((((((h, qx), qy), u), v), rate), max_depth), max_speed), max_hazard), arrival)| {
                CellRow {
                    h,
                    qx,
                    qy,
                    u,
                    v,
                    rate,
                    max_depth,
                    max_speed,
                    max_hazard,
                    arrival,
                }
            },
        )
}
