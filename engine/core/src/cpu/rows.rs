//! Fast-path row kernels: straight-line loops over slices re-cut to one length (so the compiler
//! drops the bounds checks) calling the branch-free pointwise numerics (so it vectorises them).

use super::buffers::{CellRow, FaceRow, SlopeRow};

/// Defines `$name` to run `$body` compiled for the target's baseline and, on x86-64, twice more:
/// with AVX2 and with AVX-512 (two and four times the baseline vector width), chosen at run time
/// ([`super::simd::level`]). All versions perform the same IEEE operations (no fused
/// multiply-add), so they agree bitwise.
macro_rules! multiversion {
    ($(#[$m:meta])* $vis:vis fn $name:ident [$($gen:tt)*] [$($ga:tt)*]
        ($($arg:ident : $ty:ty),* $(,)?) => $body:ident) => {
        $(#[$m])*
        #[allow(clippy::too_many_arguments)]
        $vis fn $name<$($gen)*>($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                #[allow(clippy::too_many_arguments)]
                fn avx2<$($gen)*>($($arg: $ty),*) {
                    $body::<$($ga)*>($($arg),*)
                }
                #[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2")]
                #[allow(clippy::too_many_arguments)]
                fn avx512<$($gen)*>($($arg: $ty),*) {
                    $body::<$($ga)*>($($arg),*)
                }
                match super::simd::level() {
                    // SAFETY: `level` checked that this CPU supports AVX-512 F/VL/BW/DQ.
                    #[allow(unsafe_code)]
                    super::simd::Level::Avx512 => unsafe { avx512::<$($ga)*>($($arg),*) },
                    // SAFETY: `level` checked that this CPU supports AVX2.
                    #[allow(unsafe_code)]
                    super::simd::Level::Avx2 => unsafe { avx2::<$($ga)*>($($arg),*) },
                    super::simd::Level::Baseline => $body::<$($ga)*>($($arg),*),
                }
            }
            #[cfg(not(target_arch = "x86_64"))]
            $body::<$($ga)*>($($arg),*)
        }
    };
}

use crate::maxima;
use crate::numerics::fv2::{self, Slopes};
use crate::numerics::riemann::select;
use crate::numerics::{self, FaceFlux, Params, cfl, friction, fv1, inertial};
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

// The outputs of every row kernel are separate `&mut [R]` arguments: the compiler then knows
// that they alias nothing (it would otherwise need a run-time overlap check per pair of
// streams, and give up vectorising).

multiversion! {
    pub(super) fn fv1_faces [R: Real] [R] (l: Line<'_, R>, r: Line<'_, R>, out: FaceRow<'_, R>, p: Params<R>) => fv1_faces_body
}

/// fv1 fluxes through the faces between `l[k]` and `r[k]`, into `out[k]`.
#[inline(always)]
fn fv1_faces_body<R: Real>(l: Line<'_, R>, r: Line<'_, R>, out: FaceRow<'_, R>, p: Params<R>) {
    fv1_faces_into(l, r, out.mass, out.mom_l, out.mom_r, out.tan, p);
}

#[inline(always)]
fn fv1_faces_into<R: Real>(
    l: Line<'_, R>,
    r: Line<'_, R>,
    mass: &mut [R],
    mom_l: &mut [R],
    mom_r: &mut [R],
    tan: &mut [R],
    p: Params<R>,
) {
    let n = mass.len();
    let (l, r) = (l.cut(n), r.cut(n));
    let (mom_l, mom_r, tan) = (&mut mom_l[..n], &mut mom_r[..n], &mut tan[..n]);
    for k in 0..n {
        let f = fv1::face_flux_uv(
            [l.h[k], l.un[k], l.ut[k], l.z[k]],
            [r.h[k], r.un[k], r.ut[k], r.z[k]],
            p,
        );
        mass[k] = f.mass;
        mom_l[k] = f.mom_l;
        mom_r[k] = f.mom_r;
        tan[k] = f.tan;
    }
}

multiversion! {
    pub(super) fn fv2_faces [R: Real] [R] (l: Line<'_, R>, sl: SlopeLine<'_, R>, r: Line<'_, R>, sr: SlopeLine<'_, R>, out: FaceRow<'_, R>, p: Params<R>) => fv2_faces_body
}

/// fv2 fluxes through the faces between `l[k]` and `r[k]`, into `out[k]`.
#[inline(always)]
fn fv2_faces_body<R: Real>(
    l: Line<'_, R>,
    sl: SlopeLine<'_, R>,
    r: Line<'_, R>,
    sr: SlopeLine<'_, R>,
    out: FaceRow<'_, R>,
    p: Params<R>,
) {
    fv2_faces_into(l, sl, r, sr, out.mass, out.mom_l, out.mom_r, out.tan, p);
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn fv2_faces_into<R: Real>(
    l: Line<'_, R>,
    sl: SlopeLine<'_, R>,
    r: Line<'_, R>,
    sr: SlopeLine<'_, R>,
    mass: &mut [R],
    mom_l: &mut [R],
    mom_r: &mut [R],
    tan: &mut [R],
    p: Params<R>,
) {
    let n = mass.len();
    let (l, r, sl, sr) = (l.cut(n), r.cut(n), sl.cut(n), sr.cut(n));
    let (mom_l, mom_r, tan) = (&mut mom_l[..n], &mut mom_r[..n], &mut tan[..n]);
    for k in 0..n {
        let f = fv2::face_flux_sloped(
            [l.h[k], l.un[k], l.ut[k], l.z[k]],
            sl.get(k),
            [r.h[k], r.un[k], r.ut[k], r.z[k]],
            sr.get(k),
            p,
        );
        mass[k] = f.mass;
        mom_l[k] = f.mom_l;
        mom_r[k] = f.mom_r;
        tan[k] = f.tan;
    }
}

multiversion! {
    pub(super) fn fv2_slopes [R: Real] [R] (a: Line<'_, R>, c: Line<'_, R>, b: Line<'_, R>, out: SlopeRow<'_, R>, h_dry: R) => fv2_slopes_body
}

/// fv2 slopes of cells `c[k]` with neighbours `a[k]` behind and `b[k]` ahead, into `out[k]`.
#[inline(always)]
fn fv2_slopes_body<R: Real>(
    a: Line<'_, R>,
    c: Line<'_, R>,
    b: Line<'_, R>,
    out: SlopeRow<'_, R>,
    h_dry: R,
) {
    fv2_slopes_into(a, c, b, out.dh, out.deta, out.du, out.dv, h_dry);
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn fv2_slopes_into<R: Real>(
    a: Line<'_, R>,
    c: Line<'_, R>,
    b: Line<'_, R>,
    dh: &mut [R],
    deta: &mut [R],
    du: &mut [R],
    dv: &mut [R],
    h_dry: R,
) {
    let n = dh.len();
    let (a, c, b) = (a.cut(n), c.cut(n), b.cut(n));
    let (deta, du, dv) = (&mut deta[..n], &mut du[..n], &mut dv[..n]);
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

multiversion! {
    pub(super) fn fv_cells [R: Real, const SECOND: bool, const FINISH: bool] [R, SECOND, FINISH] (inp: FvRowIn<'_, R>, o: &mut CellRow<'_, R>, c: CellConsts<R>) => fv_cells_body
}

/// The finite-volume update of one row (see `CpuBackend::fv_cells`). Writes the unclamped depth;
/// `fold_row` clamps it.
#[inline(always)]
fn fv_cells_body<R: Real, const SECOND: bool, const FINISH: bool>(
    inp: FvRowIn<'_, R>,
    o: &mut CellRow<'_, R>,
    c: CellConsts<R>,
) {
    fv_cells_into::<R, SECOND, FINISH>(
        inp,
        o.h,
        o.qx,
        o.qy,
        o.u,
        o.v,
        o.rate,
        [o.max_depth, o.max_speed, o.max_hazard, o.arrival],
        c,
    );
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn fv_cells_into<R: Real, const SECOND: bool, const FINISH: bool>(
    inp: FvRowIn<'_, R>,
    oh: &mut [R],
    oqx: &mut [R],
    oqy: &mut [R],
    ou: &mut [R],
    ov: &mut [R],
    orate: &mut [R],
    [md, ms, mz, ma]: [&mut [R]; 4],
    c: CellConsts<R>,
) {
    let n = oh.len();
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
    let (oqx, oqy, ou, ov) = (&mut oqx[..n], &mut oqy[..n], &mut ou[..n], &mut ov[..n]);
    let (orate, md, ms, mz, ma) = if FINISH {
        (
            &mut orate[..n],
            &mut md[..n],
            &mut ms[..n],
            &mut mz[..n],
            &mut ma[..n],
        )
    } else {
        (orate, md, ms, mz, ma)
    };
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
        // Friction (implicit) on every Euler stage, before fv2's average: Heun's method
        // applied to the fluxes and the friction together, so that a steady flow is a fixed
        // point of each stage (friction after the average only left stage 1 frictionless, and
        // on thin overland flow its overshoot drove the second stage).
        (qx, qy) = friction::apply_manning(h.max(zero), qx, qy, g_n2[k], c.dt, p.h_dry);
        if SECOND && FINISH {
            h = half * (bh[k] + h);
            qx = half * (bqx[k] + qx);
            qy = half * (bqy[k] + qy);
        }
        let hc = h.max(zero);
        let wet = active[k] && hc > p.h_dry;
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

/// Inputs of the inertial face update along one line of faces.
#[derive(Clone, Copy)]
pub(super) struct InertialFacesIn<'a, R> {
    /// Old discharge through each face, and through the faces behind and ahead of it.
    pub q: &'a [R],
    pub q_behind: &'a [R],
    pub q_ahead: &'a [R],
    /// The cells on either side: depth, bed, `g n^2`.
    pub h_l: &'a [R],
    pub z_l: &'a [R],
    pub gn2_l: &'a [R],
    pub h_r: &'a [R],
    pub z_r: &'a [R],
    pub gn2_r: &'a [R],
}

multiversion! {
    pub(super) fn inertial_faces [R: Real] [R] (f: InertialFacesIn<'_, R>, out: &mut [R], dt: R, inv_d: R, theta: R, p: Params<R>) => inertial_faces_body
}

/// New inertial discharges through a line of faces.
#[inline(always)]
fn inertial_faces_body<R: Real>(
    f: InertialFacesIn<'_, R>,
    out: &mut [R],
    dt: R,
    inv_d: R,
    theta: R,
    p: Params<R>,
) {
    let n = out.len();
    let (q, qb, qa) = (&f.q[..n], &f.q_behind[..n], &f.q_ahead[..n]);
    let (hl, zl, nl) = (&f.h_l[..n], &f.z_l[..n], &f.gn2_l[..n]);
    let (hr, zr, nr) = (&f.h_r[..n], &f.z_r[..n], &f.gn2_r[..n]);
    let half = R::c(0.5);
    for k in 0..n {
        let input = inertial::FaceInput {
            q: q[k],
            q_behind: qb[k],
            q_ahead: qa[k],
            eta_l: hl[k] + zl[k],
            eta_r: hr[k] + zr[k],
            z_l: zl[k],
            z_r: zr[k],
            g_n2: half * (nl[k] + nr[k]),
        };
        out[k] = inertial::face_discharge(input, dt, inv_d, theta, p.g, p.h_dry);
    }
}

multiversion! {
    pub(super) fn inertial_scale [R: Real] [R] (h: &[R], west: &[R], east: &[R], south: &[R], north: &[R], out: &mut [R], dt: R, inv_dx: R, inv_dy: R) => inertial_scale_body
}

/// Outflow-limiting factor of the cells of one row, from their four faces.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn inertial_scale_body<R: Real>(
    h: &[R],
    west: &[R],
    east: &[R],
    south: &[R],
    north: &[R],
    out: &mut [R],
    dt: R,
    inv_dx: R,
    inv_dy: R,
) {
    let n = out.len();
    let (h, w, e, s, nn) = (&h[..n], &west[..n], &east[..n], &south[..n], &north[..n]);
    let zero = R::zero();
    for k in 0..n {
        let out_depth = dt
            * ((e[k].max(zero) - w[k].min(zero)) * inv_dx
                + (nn[k].max(zero) - s[k].min(zero)) * inv_dy);
        out[k] = inertial::outflow_scale(h[k], out_depth);
    }
}

multiversion! {
    pub(super) fn inertial_apply_scale [R: Real] [R] (q: &mut [R], behind: &[R], ahead: &[R]) => inertial_apply_scale_body
}

/// Scales each face of a line by the factor of its upwind cell (`behind` when the discharge is
/// positive, `ahead` otherwise).
#[inline(always)]
fn inertial_apply_scale_body<R: Real>(q: &mut [R], behind: &[R], ahead: &[R]) {
    let n = q.len();
    let (b, a) = (&behind[..n], &ahead[..n]);
    for k in 0..n {
        let x = q[k];
        q[k] = x * select(x > R::zero(), b[k], a[k]);
    }
}

/// Inputs of the inertial depth update of one row.
#[derive(Clone, Copy)]
pub(super) struct InertialCellsIn<'a, R> {
    pub h: &'a [R],
    pub west: &'a [R],
    pub east: &'a [R],
    pub south: &'a [R],
    pub north: &'a [R],
    pub active: &'a [bool],
}

multiversion! {
    pub(super) fn inertial_cells [R: Real] [R] (inp: InertialCellsIn<'_, R>, o: &mut CellRow<'_, R>, c: CellConsts<R>, inv_dmin: R) => inertial_cells_body
}

/// The inertial depth update of one row, with cell-centred discharges, velocities, CFL rate and
/// maxima. Writes the unclamped depth; `fold_row` clamps it.
#[inline(always)]
fn inertial_cells_body<R: Real>(
    inp: InertialCellsIn<'_, R>,
    o: &mut CellRow<'_, R>,
    c: CellConsts<R>,
    inv_dmin: R,
) {
    inertial_cells_into(
        inp,
        o.h,
        o.qx,
        o.qy,
        o.u,
        o.v,
        o.rate,
        [o.max_depth, o.max_speed, o.max_hazard, o.arrival],
        c,
        inv_dmin,
    );
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn inertial_cells_into<R: Real>(
    inp: InertialCellsIn<'_, R>,
    oh: &mut [R],
    oqx: &mut [R],
    oqy: &mut [R],
    ou: &mut [R],
    ov: &mut [R],
    orate: &mut [R],
    [md, ms, mz, ma]: [&mut [R]; 4],
    c: CellConsts<R>,
    inv_dmin: R,
) {
    let n = oh.len();
    let (h0, w, e, s, nn, active) = (
        &inp.h[..n],
        &inp.west[..n],
        &inp.east[..n],
        &inp.south[..n],
        &inp.north[..n],
        &inp.active[..n],
    );
    let (oqx, oqy, ou, ov, orate) = (
        &mut oqx[..n],
        &mut oqy[..n],
        &mut ou[..n],
        &mut ov[..n],
        &mut orate[..n],
    );
    let (md, ms, mz, ma) = (&mut md[..n], &mut ms[..n], &mut mz[..n], &mut ma[..n]);
    let zero = R::zero();
    let half = R::c(0.5);
    let p = c.p;
    for k in 0..n {
        let h = h0[k] + c.rx * (w[k] - e[k]) + c.ry * (s[k] - nn[k]);
        let hc = h.max(zero);
        let wet = active[k] && hc > p.h_dry;
        let qx = select(wet, half * (w[k] + e[k]), zero);
        let qy = select(wet, half * (s[k] + nn[k]), zero);
        let u = select(wet, qx / hc, zero);
        let v = select(wet, qy / hc, zero);
        oh[k] = select(active[k], h, zero);
        oqx[k] = qx;
        oqy[k] = qy;
        ou[k] = u;
        ov[k] = v;
        orate[k] = select(wet, cfl::inertial_rate(hc, inv_dmin, p.g, p.h_dry), zero);
        maxima::track(
            select(active[k], hc, zero),
            (u * u + v * v).sqrt(),
            c.t_new,
            c.arrival_depth,
            (&mut md[k], &mut ms[k], &mut mz[k], &mut ma[k]),
        );
    }
}
