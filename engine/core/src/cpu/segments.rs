//! Inflow and stage segments: stretches of the domain edge whose faces are overwritten after
//! the scheme's face pass. Each step, an inflow segment's mean discharge over the step is
//! spread over its faces by conveyance (`h^(5/3)`, Manning; the lowest cells while the segment
//! is dry) and imposed exactly as the mass flux; a stage segment stands a ghost cell at the
//! level of mid-step, with the interior velocity, beyond each face, and the scheme's own flux
//! decides (fv: hydrostatic reconstruction and HLLC, Audusse et al. 2004 and Toro 2001;
//! inertial: the face discharge of Bates et al. 2010 with de Almeida et al. 2012's theta).

use super::CpuBackend;
use super::boundary::edge_face_discharge;
use crate::forcing::{SegmentFace, SegmentKind};
use crate::numerics::{self, CellState, FaceFlux, fv1};
use crate::real::Real;

/// A boundary segment, resolved to faces, with this step's values.
#[derive(Debug)]
pub(super) struct Segment<R> {
    pub(super) faces: Vec<SegmentFace>,
    pub(super) kind: SegmentKind,
    pub(super) face_len_m: f64,
    /// Inflow: unit discharge into the domain through each face this step (m^2/s).
    pub(super) q: Vec<R>,
    /// Stage: the level this step (m).
    pub(super) stage: R,
}

impl<R: Real> CpuBackend<R> {
    /// This step's values of the boundary segments: the inflow's mean discharge over the step,
    /// spread by conveyance; the stage at mid-step.
    pub(super) fn update_segments(&mut self, t0: f64, t1: f64) {
        let h = &self.cur.h;
        let (z, h_dry) = (&self.z, self.p.h_dry);
        for seg in &mut self.segments {
            match &seg.kind {
                SegmentKind::Inflow(series) => {
                    let q_total = series.integral(t0, t1) / (t1 - t0);
                    let weight = |f: &SegmentFace| {
                        let d = h[f.cell].f64();
                        if d > h_dry.f64() {
                            d.powf(5.0 / 3.0)
                        } else {
                            0.0
                        }
                    };
                    let mut sum: f64 = seg.faces.iter().map(weight).sum();
                    let dry = sum <= 0.0;
                    let z_min = seg
                        .faces
                        .iter()
                        .map(|f| z[f.cell].f64())
                        .fold(f64::INFINITY, f64::min);
                    let low = |f: &SegmentFace| {
                        if z[f.cell].f64() <= z_min + crate::forcing::INFLOW_LOW_BAND_M {
                            1.0
                        } else {
                            0.0
                        }
                    };
                    if dry {
                        sum = seg.faces.iter().map(low).sum();
                    }
                    for (q, f) in seg.q.iter_mut().zip(&seg.faces) {
                        let w = if dry { low(f) } else { weight(f) };
                        *q = R::c(q_total * w / sum / seg.face_len_m);
                    }
                }
                SegmentKind::Stage(series) => {
                    seg.stage = R::c(series.at(0.5 * (t0 + t1)));
                }
            }
        }
    }

    /// fv: imposes the segments' fluxes on their faces (after the face pass).
    pub(super) fn apply_segments_fv(&mut self, from_stage: bool) {
        let src = if from_stage { &self.stage } else { &self.cur };
        let (p, z) = (self.p, &self.z);
        for seg in &self.segments {
            for (k, f) in seg.faces.iter().enumerate() {
                let c = f.cell;
                let h = src.h[c];
                let (qn, qt) = if f.y {
                    (src.qy[c], src.qx[c])
                } else {
                    (src.qx[c], src.qy[c])
                };
                let flux = match seg.kind {
                    SegmentKind::Inflow(_) => {
                        let q = seg.q[k];
                        // Deviation form: the cell's own pressure is left out (the
                        // inflow pushes with the cell's depth), so only the momentum the
                        // water brings in.
                        let mom = if h > R::c(crate::forcing::INFLOW_MOMENTUM_MIN_DEPTH_M) {
                            q * q / h
                        } else {
                            R::zero()
                        };
                        FaceFlux {
                            mass: if f.high { -q } else { q },
                            mom_l: mom,
                            mom_r: mom,
                            tan: R::zero(),
                        }
                    }
                    SegmentKind::Stage(_) => {
                        let inner = CellState { h, qn, qt, z: z[c] };
                        let hg = (seg.stage - z[c]).max(R::zero());
                        let ug = numerics::velocity(h, qn, p.h_dry);
                        let ghost = CellState {
                            h: hg,
                            qn: hg * ug,
                            qt: R::zero(),
                            z: z[c],
                        };
                        if f.high {
                            fv1::face_flux(inner, ghost, p)
                        } else {
                            fv1::face_flux(ghost, inner, p)
                        }
                    }
                };
                let arrays = if f.y { &mut self.fy } else { &mut self.fx };
                arrays.mass[f.face] = flux.mass;
                arrays.mom_l[f.face] = flux.mom_l;
                arrays.mom_r[f.face] = flux.mom_r;
                arrays.tan[f.face] = flux.tan;
            }
        }
    }

    /// inertial: imposes the segments' discharges on their faces.
    pub(super) fn apply_segments_inertial(&mut self, dt: R, theta: R) {
        let (p, z, h, g_n2) = (self.p, &self.z, &self.cur.h, &self.g_n2);
        let inv_dx = R::c(1.0 / self.grid.dx_m);
        let inv_dy = R::c(1.0 / self.grid.dy_m);
        for seg in &self.segments {
            for (k, f) in seg.faces.iter().enumerate() {
                let c = f.cell;
                let (old, new) = if f.y {
                    (&self.qfy, &mut self.qfy_new)
                } else {
                    (&self.qfx, &mut self.qfx_new)
                };
                new[f.face] = match seg.kind {
                    SegmentKind::Inflow(_) => {
                        if f.high {
                            -seg.q[k]
                        } else {
                            seg.q[k]
                        }
                    }
                    SegmentKind::Stage(_) => {
                        let inv_d = if f.y { inv_dy } else { inv_dx };
                        edge_face_discharge(
                            old[f.face],
                            (h[c] + z[c], z[c]),
                            (seg.stage, z[c]),
                            g_n2[c],
                            f.high,
                            dt,
                            inv_d,
                            theta,
                            p,
                        )
                    }
                };
            }
        }
    }
}
