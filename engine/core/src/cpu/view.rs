//! Read-only access to the state along grid lines, with ghost cells at the domain edge and at
//! inactive cells. `X` lines are rows (normal = x, `qn = qx`); `Y` lines are columns (normal = y,
//! `qn = qy`): the same stencil code serves both directions.

use crate::config::{Boundaries, BoundaryKind};
use crate::numerics::CellState;
use crate::real::Real;

pub(crate) struct View<'a, R> {
    pub nx: usize,
    pub ny: usize,
    pub h: &'a [R],
    pub qx: &'a [R],
    pub qy: &'a [R],
    pub z: &'a [R],
    pub active: &'a [bool],
    pub bc: Boundaries,
    /// Cell sizes along x and y (for the normal-depth ghost's lowered bed).
    pub dx: R,
    pub dy: R,
    /// Below this depth a cell is dry (its surface is not continued beyond a free edge).
    pub h_dry: R,
}

/// How the ghost beyond a missing cell is made from the cell next to it.
#[derive(Clone, Copy)]
enum Ghost<R> {
    Copy,
    Mirror,
    /// Same depth and outward discharge on a bed lower by this much.
    Lowered(R),
}

impl<R: Real> View<'_, R> {
    /// The cell at position `p` along line `line` (a row for `X`, a column for `Y`), if it exists
    /// and is active.
    #[inline(always)]
    pub fn raw<const Y: bool>(&self, p: isize, line: usize) -> Option<CellState<R>> {
        let n = if Y { self.ny } else { self.nx };
        if p < 0 || p as usize >= n {
            return None;
        }
        let p = p as usize;
        let k = if Y {
            p * self.nx + line
        } else {
            line * self.nx + p
        };
        if !self.active[k] {
            return None;
        }
        let (qn, qt) = if Y {
            (self.qy[k], self.qx[k])
        } else {
            (self.qx[k], self.qy[k])
        };
        Some(CellState {
            h: self.h[k],
            qn,
            qt,
            z: self.z[k],
        })
    }

    /// The ghost standing at missing position `p` next to `of`: a mirror behind walls and
    /// inactive cells; behind a free-outflow edge a copy while the water leaves, a mirror while
    /// it would come in (a free edge lets water out, never in).
    #[inline(always)]
    pub fn ghost<const Y: bool>(&self, p: isize, of: CellState<R>) -> CellState<R> {
        Self::make(self.ghost_kind::<Y>(p, of), of)
    }

    #[inline(always)]
    fn make(kind: Ghost<R>, of: CellState<R>) -> CellState<R> {
        match kind {
            Ghost::Copy => of,
            Ghost::Mirror => of.mirrored(),
            Ghost::Lowered(dz) => CellState { z: of.z - dz, ..of },
        }
    }

    /// The second ghost out, for second-order stencils: the image of the second cell in for
    /// walls and free edges; for a normal-depth edge the bed keeps falling (two steps down from
    /// the edge cell), so that the surface slope runs on smoothly across the edge.
    #[inline(always)]
    fn second(kind: Ghost<R>, edge: CellState<R>, inner: CellState<R>) -> CellState<R> {
        match kind {
            Ghost::Lowered(dz) => CellState {
                z: edge.z - dz - dz,
                ..edge
            },
            other => Self::make(other, inner),
        }
    }

    /// For second-order stencils, a free edge's copy continues a surface that falls towards
    /// it: the ghost stands on a bed lowered by the surface drop from `inner` (the cell behind
    /// the edge cell, when wet) to `edge`, so that the edge cell's surface slope, and with it the
    /// bed-slope source that drives water out, is that of the interior (a flat copy left the
    /// edge cell without one: fv2 drained a raining 1 % plane 17 % too slowly). A level or
    /// rising surface, or a dry cell behind, gives the plain copy (so lakes rest, also against
    /// a dry bank behind the edge cell).
    #[inline(always)]
    fn continued(&self, kind: Ghost<R>, edge: CellState<R>, inner: CellState<R>) -> Ghost<R> {
        let fall = (inner.h + inner.z) - (edge.h + edge.z);
        match kind {
            Ghost::Copy if inner.h > self.h_dry && fall > R::zero() => Ghost::Lowered(fall),
            other => other,
        }
    }

    #[inline(always)]
    fn ghost_kind<const Y: bool>(&self, p: isize, of: CellState<R>) -> Ghost<R> {
        let n = if Y { self.ny } else { self.nx } as isize;
        let d = if Y { self.dy } else { self.dx };
        let (kind, outward) = if p < 0 {
            (
                if Y { self.bc.south } else { self.bc.west },
                of.qn <= R::zero(),
            )
        } else if p >= n {
            (
                if Y { self.bc.north } else { self.bc.east },
                of.qn >= R::zero(),
            )
        } else {
            (BoundaryKind::Wall, false) // an inactive cell inside the grid
        };
        match kind {
            BoundaryKind::Free if outward => Ghost::Copy,
            // The lowered bed drives outflow; water flowing in meets a wall.
            BoundaryKind::NormalDepth { slope } if outward => Ghost::Lowered(R::c(slope) * d),
            _ => Ghost::Mirror,
        }
    }

    #[inline(always)]
    fn or_ghost<const Y: bool>(&self, p: isize, line: usize, of: CellState<R>) -> CellState<R> {
        match self.raw::<Y>(p, line) {
            Some(c) => c,
            None => self.ghost::<Y>(p, of),
        }
    }

    /// The cell at position `p` or, where it is missing, the ghost of `edge` there as the
    /// second-order stencils make it (a free edge continued from `inner`, the cell on the far
    /// side of `edge`).
    #[inline(always)]
    fn or_continued<const Y: bool>(
        &self,
        p: isize,
        line: usize,
        edge: CellState<R>,
        inner: CellState<R>,
    ) -> CellState<R> {
        self.raw::<Y>(p, line).unwrap_or_else(|| {
            Self::make(
                self.continued(self.ghost_kind::<Y>(p, edge), edge, inner),
                edge,
            )
        })
    }

    /// The two cells on either side of face `a` (between positions `a-1` and `a`); `None` when
    /// neither is active.
    #[inline(always)]
    pub fn pair<const Y: bool>(
        &self,
        a: usize,
        line: usize,
    ) -> Option<(CellState<R>, CellState<R>)> {
        let a = a as isize;
        match (self.raw::<Y>(a - 1, line), self.raw::<Y>(a, line)) {
            (None, None) => None,
            (Some(l), Some(r)) => Some((l, r)),
            (Some(l), None) => Some((l, self.ghost::<Y>(a, l))),
            (None, Some(r)) => Some((self.ghost::<Y>(a - 1, r), r)),
        }
    }

    /// The four cells of the second-order stencil of face `a`: positions `a-2 .. a+1`. Where one
    /// side is missing, its two cells are the ghosts of the other side's two, so that the
    /// reconstructed states on a wall are exact mirrors and no water crosses it.
    #[inline(always)]
    pub fn quad<const Y: bool>(&self, a: usize, line: usize) -> Option<[CellState<R>; 4]> {
        let ai = a as isize;
        match (self.raw::<Y>(ai - 1, line), self.raw::<Y>(ai, line)) {
            (None, None) => None,
            (Some(l), Some(r)) => Some([
                self.or_continued::<Y>(ai - 2, line, l, r),
                l,
                r,
                self.or_continued::<Y>(ai + 1, line, r, l),
            ]),
            (Some(l), None) => {
                let ll = self.or_ghost::<Y>(ai - 2, line, l);
                let kind = self.continued(self.ghost_kind::<Y>(ai, l), l, ll);
                Some([ll, l, Self::make(kind, l), Self::second(kind, l, ll)])
            }
            (None, Some(r)) => {
                let rr = self.or_ghost::<Y>(ai + 1, line, r);
                let kind = self.continued(self.ghost_kind::<Y>(ai - 1, r), r, rr);
                Some([Self::second(kind, r, rr), Self::make(kind, r), r, rr])
            }
        }
    }

    /// An active cell at position `p` with its neighbours behind and ahead (ghosts where missing),
    /// exactly as [`Self::quad`] sees them.
    #[inline(always)]
    pub fn triple<const Y: bool>(&self, p: usize, line: usize) -> Option<[CellState<R>; 3]> {
        let pi = p as isize;
        let c = self.raw::<Y>(pi, line)?;
        // A missing side's ghost is continued from the other side's cell (or its plain ghost),
        // as in `quad`.
        let behind = self.or_ghost::<Y>(pi - 1, line, c);
        let ahead = self.or_ghost::<Y>(pi + 1, line, c);
        Some([
            self.or_continued::<Y>(pi - 1, line, c, ahead),
            c,
            self.or_continued::<Y>(pi + 1, line, c, behind),
        ])
    }
}
