//! Fast-path row kernels: straight-line loops over slices re-cut to one length (so the compiler
//! drops the bounds checks) calling the branch-free pointwise numerics (so it vectorises them).

use super::{CellRow, FaceRow, SlopeRow};
use crate::maxima;
use crate::numerics::fv2::{self, Slopes};
use crate::numerics::riemann::select;
use crate::numerics::{self, FaceFlux, Params, friction, fv1};
use crate::real::Real;

/// Cells along a line of faces: depth, normal and tangential velocity, bed.
#[derive(Clone, Copy)]
pub(super) struct Line<'a, R> {
    pub h: &'a [R],
    pub un: &'a [R],
    pub ut: &'a [R],
    pub z: &'a [R],
}

impl<'a, R> Line<'a, R> {
    #[inline(always)]
    fn cut(self, n: usize) -> Self {
        Self {
            h: &self.h[..n],
            un: &self.un[..n],
            ut: &self.ut[..n],
            z: &self.z[..n],
        }
    }
}

/// fv2 slopes of the cells of a line (normal velocity slope in `du`).
#[derive(Clone, Copy)]
pub(super) struct SlopeLine<'a, R> {
    pub dh: &'a [R],
    pub deta: &'a [R],
    pub du: &'a [R],
    pub dv: &'a [R],
}

impl<'a, R: Copy> SlopeLine<'a, R> {
    #[inline(always)]
    fn cut(self, n: usize) -> Self {
        Self {
            dh: &self.dh[..n],
            deta: &self.deta[..n],
            du: &self.du[..n],
            dv: &self.dv[..n],
        }
    }

    #[inline(always)]
    fn get(&self, k: usize) -> Slopes<R> {
        Slopes {
            dh: self.dh[k],
            deta: self.deta[k],
            du: self.du[k],
            dv: self.dv[k],
        }
    }
}

#[inline(always)]
fn put<R: Copy>(out: &mut FaceRow<'_, R>, k: usize, f: FaceFlux<R>) {
    out.mass[k] = f.mass;
    out.mom_l[k] = f.mom_l;
    out.mom_r[k] = f.mom_r;
    out.tan[k] = f.tan;
}

/// fv1 fluxes through the faces between `l[k]` and `r[k]`, into `out[k]`.
pub(super) fn fv1_faces<R: Real>(
    l: Line<'_, R>,
    r: Line<'_, R>,
    out: FaceRow<'_, R>,
    p: Params<R>,
) {
    let n = out.mass.len();
    let (l, r) = (l.cut(n), r.cut(n));
    let mut out = FaceRow {
        mass: &mut out.mass[..n],
        mom_l: &mut out.mom_l[..n],
        mom_r: &mut out.mom_r[..n],
        tan: &mut out.tan[..n],
    };
    for k in 0..n {
        let f = fv1::face_flux_uv(
            [l.h[k], l.un[k], l.ut[k], l.z[k]],
            [r.h[k], r.un[k], r.ut[k], r.z[k]],
            p,
        );
        put(&mut out, k, f);
    }
}

/// fv2 fluxes through the faces between `l[k]` and `r[k]`, into `out[k]`.
pub(super) fn fv2_faces<R: Real>(
    l: Line<'_, R>,
    sl: SlopeLine<'_, R>,
    r: Line<'_, R>,
    sr: SlopeLine<'_, R>,
    out: FaceRow<'_, R>,
    p: Params<R>,
) {
    let n = out.mass.len();
    let (l, r, sl, sr) = (l.cut(n), r.cut(n), sl.cut(n), sr.cut(n));
    let mut out = FaceRow {
        mass: &mut out.mass[..n],
        mom_l: &mut out.mom_l[..n],
        mom_r: &mut out.mom_r[..n],
        tan: &mut out.tan[..n],
    };
    for k in 0..n {
        let f = fv2::face_flux_sloped(
            [l.h[k], l.un[k], l.ut[k], l.z[k]],
            sl.get(k),
            [r.h[k], r.un[k], r.ut[k], r.z[k]],
            sr.get(k),
            p,
        );
        put(&mut out, k, f);
    }
}

/// fv2 slopes of cells `c[k]` with neighbours `a[k]` behind and `b[k]` ahead, into `out[k]`.
pub(super) fn fv2_slopes<R: Real>(
    a: Line<'_, R>,
    c: Line<'_, R>,
    b: Line<'_, R>,
    out: SlopeRow<'_, R>,
    h_dry: R,
) {
    let n = out.dh.len();
    let (a, c, b) = (a.cut(n), c.cut(n), b.cut(n));
    let (dh, deta, du, dv) = (
        &mut out.dh[..n],
        &mut out.deta[..n],
        &mut out.du[..n],
        &mut out.dv[..n],
    );
    let cell = |x: &Line<'_, R>, k: usize| [x.h[k], x.h[k] + x.z[k], x.un[k], x.ut[k]];
    for k in 0..n {
        let s = fv2::slopes_uv(cell(&a, k), cell(&c, k), cell(&b, k), h_dry);
        dh[k] = s.dh;
        deta[k] = s.deta;
        du[k] = s.du;
        dv[k] = s.dv;
    }
}

/// Face fluxes around the cells of one row: `west`/`east` are the row's x faces `0..nx` and
/// `1..=nx`, `south`/`north` the y faces below and above.
#[derive(Clone, Copy)]
pub(super) struct Around<'a, R> {
    pub west: FaceLine<'a, R>,
    pub east: FaceLine<'a, R>,
    pub south: FaceLine<'a, R>,
    pub north: FaceLine<'a, R>,
}

#[derive(Clone, Copy)]
pub(super) struct FaceLine<'a, R> {
    pub mass: &'a [R],
    pub mom_l: &'a [R],
    pub mom_r: &'a [R],
    pub tan: &'a [R],
}

impl<'a, R: Copy> FaceLine<'a, R> {
    #[inline(always)]
    fn cut(self, n: usize) -> Self {
        Self {
            mass: &self.mass[..n],
            mom_l: &self.mom_l[..n],
            mom_r: &self.mom_r[..n],
            tan: &self.tan[..n],
        }
    }

    #[inline(always)]
    fn get(&self, k: usize) -> FaceFlux<R> {
        FaceFlux {
            mass: self.mass[k],
            mom_l: self.mom_l[k],
            mom_r: self.mom_r[k],
            tan: self.tan[k],
        }
    }
}

/// Inputs of the finite-volume update of one row.
#[derive(Clone, Copy)]
pub(super) struct FvRowIn<'a, R> {
    /// The state the fluxes were computed from.
    pub h: &'a [R],
    pub qx: &'a [R],
    pub qy: &'a [R],
    /// fv2 second stage: the state at the start of the step.
    pub base_h: &'a [R],
    pub base_qx: &'a [R],
    pub base_qy: &'a [R],
    pub faces: Around<'a, R>,
    /// fv2: slopes along x and y.
    pub sx: SlopeLine<'a, R>,
    pub sy: SlopeLine<'a, R>,
    pub active: &'a [bool],
    pub g_n2: &'a [R],
}

/// Constants of a cell pass.
#[derive(Clone, Copy)]
pub(super) struct CellConsts<R> {
    pub p: Params<R>,
    pub rx: R,
    pub ry: R,
    pub inv_dx: R,
    pub inv_dy: R,
    pub dt: R,
    pub t_new: R,
    pub arrival_depth: R,
}

/// The finite-volume update of one row (see `CpuBackend::fv_cells`). Writes the unclamped depth;
/// `fold_row` clamps it.
pub(super) fn fv_cells<R: Real, const SECOND: bool, const FINISH: bool>(
    inp: FvRowIn<'_, R>,
    o: &mut CellRow<'_, R>,
    c: CellConsts<R>,
) {
    let n = o.h.len();
    let zero = R::zero();
    let half = R::c(0.5);
    let p = c.p;
    let (h0, qx0, qy0) = (&inp.h[..n], &inp.qx[..n], &inp.qy[..n]);
    let (bh, bqx, bqy) = (&inp.base_h[..n], &inp.base_qx[..n], &inp.base_qy[..n]);
    let (w, e) = (inp.faces.west.cut(n), inp.faces.east.cut(n));
    let (s, nn) = (inp.faces.south.cut(n), inp.faces.north.cut(n));
    let (sx, sy) = if SECOND {
        (inp.sx.cut(n), inp.sy.cut(n))
    } else {
        (inp.sx, inp.sy)
    };
    let (active, g_n2) = (&inp.active[..n], &inp.g_n2[..n]);
    let (oh, oqx, oqy, ou, ov) = (
        &mut o.h[..n],
        &mut o.qx[..n],
        &mut o.qy[..n],
        &mut o.u[..n],
        &mut o.v[..n],
    );
    let (orate, md, ms, mz, ma) = (
        &mut o.rate[..n],
        &mut o.max_depth[..n],
        &mut o.max_speed[..n],
        &mut o.max_hazard[..n],
        &mut o.arrival[..n],
    );
    for k in 0..n {
        let (src_x, src_y) = if SECOND {
            (
                fv2::bed_source(h0[k], sx.get(k), p.g),
                fv2::bed_source(h0[k], sy.get(k), p.g),
            )
        } else {
            (zero, zero)
        };
        let (mut h, mut qx, mut qy) = numerics::update_cell(
            h0[k],
            qx0[k],
            qy0[k],
            w.get(k),
            e.get(k),
            s.get(k),
            nn.get(k),
            c.rx,
            c.ry,
            src_x,
            src_y,
        );
        if SECOND && FINISH {
            h = half * (bh[k] + h);
            qx = half * (bqx[k] + qx);
            qy = half * (bqy[k] + qy);
        }
        let hc = h.max(zero);
        let wet = active[k] && hc > p.h_dry;
        if FINISH {
            (qx, qy) = friction::apply_manning(hc, qx, qy, g_n2[k], c.dt, p.h_dry);
        }
        let (qx, qy) = (select(wet, qx, zero), select(wet, qy, zero));
        let u = select(wet, qx / hc, zero);
        let v = select(wet, qy / hc, zero);
        oh[k] = select(active[k], h, zero);
        oqx[k] = qx;
        oqy[k] = qy;
        ou[k] = u;
        ov[k] = v;
        if FINISH {
            let cel = (p.g * hc).sqrt();
            orate[k] = select(
                wet,
                (u.abs() + cel) * c.inv_dx + (v.abs() + cel) * c.inv_dy,
                zero,
            );
            maxima::track(
                select(active[k], hc, zero),
                (u * u + v * v).sqrt(),
                c.t_new,
                c.arrival_depth,
                (&mut md[k], &mut ms[k], &mut mz[k], &mut ma[k]),
            );
        }
    }
}
