//! Deterministic reductions and the CFL rate of one cell.
//!
//! A cell pass folds each finished row in `LANES` fixed lanes ([`fold_row`]); the step then
//! folds the rows in order ([`fold_rows`]). Neither order depends on the thread count or on the
//! vector width, so volumes and time steps are bitwise reproducible. The CFL rate of a cell is
//! the scheme's bound of `numerics::cfl` (Audusse et al. 2004 for fv; Bates et al. 2010, eq. 12,
//! for inertial).

use crate::config::Scheme;
use crate::grid::Grid;
use crate::numerics::riemann::select;
use crate::numerics::{Params, cfl};
use crate::real::Real;

/// Lanes of the per-row reductions (fixed, so the summation order never changes).
const LANES: usize = 8;

/// Per-row partial reductions of a cell pass.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct RowSums {
    pub(super) max_rate: f64,
    pub(super) depth_sum: f64,
    pub(super) correction_depth: f64,
    pub(super) bad: bool,
}

/// Folds a finished row: clamps round-off negative depths to zero (booking the water added),
/// sums the volume and takes the largest CFL rate, in `LANES` fixed lanes.
pub(super) fn fold_row<R: Real>(h: &mut [R], rate: &[R], with_rate: bool) -> RowSums {
    let mut sum = [0.0f64; LANES];
    let mut corr = [0.0f64; LANES];
    let mut max = [R::zero(); LANES];
    let mut bad = [false; LANES];
    let mut hc = h.chunks_exact_mut(LANES);
    let mut rc = rate.chunks_exact(LANES);
    for (hs, rs) in (&mut hc).zip(&mut rc) {
        for l in 0..LANES {
            let x = hs[l];
            bad[l] |= !x.is_finite();
            corr[l] += (-x).max(R::zero()).f64();
            // NaN stays NaN, so that the caller can point at the cell.
            let y = select(x.is_nan(), x, x.max(R::zero()));
            hs[l] = y;
            sum[l] += y.f64();
            if with_rate {
                max[l] = max[l].max(rs[l]);
            }
        }
    }
    for (x, &r) in hc.into_remainder().iter_mut().zip(rc.remainder()) {
        bad[0] |= !x.is_finite();
        corr[0] += (-*x).max(R::zero()).f64();
        *x = select(x.is_nan(), *x, x.max(R::zero()));
        sum[0] += x.f64();
        if with_rate {
            max[0] = max[0].max(r);
        }
    }
    RowSums {
        max_rate: max.iter().fold(0.0f64, |m, &r| m.max(r.f64())),
        depth_sum: sum.iter().sum(),
        correction_depth: corr.iter().sum(),
        bad: bad.iter().any(|&b| b),
    }
}

/// Folds the rows' partial reductions, in row order.
pub(super) fn fold_rows(rows: &[RowSums]) -> RowSums {
    let mut rate = 0.0f64;
    let mut depth_sum = 0.0;
    let mut correction = 0.0;
    let mut bad = false;
    for r in rows {
        rate = rate.max(r.max_rate);
        depth_sum += r.depth_sum;
        correction += r.correction_depth;
        bad |= r.bad;
    }
    RowSums {
        max_rate: rate,
        depth_sum,
        correction_depth: correction,
        bad,
    }
}

/// The CFL rate of one cell (1/s) under the scheme in use, for passes that change a few cells'
/// depths after the update (rain, sources) and for the initial state.
#[derive(Debug, Clone, Copy)]
pub(super) struct CellRate<R> {
    inertial: bool,
    inv_dx: R,
    inv_dy: R,
    inv_dmin: R,
    p: Params<R>,
}

impl<R: Real> CellRate<R> {
    pub(super) fn new(scheme: Scheme, grid: &Grid, p: Params<R>) -> Self {
        Self {
            inertial: scheme == Scheme::Inertial,
            inv_dx: R::c(1.0 / grid.dx_m),
            inv_dy: R::c(1.0 / grid.dy_m),
            inv_dmin: R::c(1.0 / grid.dx_m.min(grid.dy_m)),
            p,
        }
    }

    #[inline]
    pub(super) fn of(&self, h: R, qx: R, qy: R) -> R {
        let p = self.p;
        if self.inertial {
            cfl::inertial_rate(h, self.inv_dmin, p.g, p.h_dry)
        } else {
            cfl::fv_rate(h, qx, qy, self.inv_dx, self.inv_dy, p.g, p.h_dry)
        }
    }
}
