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
        if self.ghost_is_copy::<Y>(p, of) {
            of
        } else {
            of.mirrored()
        }
    }

    #[inline(always)]
    fn ghost_is_copy<const Y: bool>(&self, p: isize, of: CellState<R>) -> bool {
        let n = if Y { self.ny } else { self.nx } as isize;
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
        kind == BoundaryKind::Free && outward
    }

    #[inline(always)]
    fn or_ghost<const Y: bool>(&self, p: isize, line: usize, of: CellState<R>) -> CellState<R> {
        match self.raw::<Y>(p, line) {
            Some(c) => c,
            None => self.ghost::<Y>(p, of),
        }
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
                self.or_ghost::<Y>(ai - 2, line, l),
                l,
                r,
                self.or_ghost::<Y>(ai + 1, line, r),
            ]),
            (Some(l), None) => {
                let ll = self.or_ghost::<Y>(ai - 2, line, l);
                let (r, rr) = if self.ghost_is_copy::<Y>(ai, l) {
                    (l, ll)
                } else {
                    (l.mirrored(), ll.mirrored())
                };
                Some([ll, l, r, rr])
            }
            (None, Some(r)) => {
                let rr = self.or_ghost::<Y>(ai + 1, line, r);
                let (l, ll) = if self.ghost_is_copy::<Y>(ai - 1, r) {
                    (r, rr)
                } else {
                    (r.mirrored(), rr.mirrored())
                };
                Some([ll, l, r, rr])
            }
        }
    }

    /// An active cell at position `p` with its neighbours behind and ahead (ghosts where missing),
    /// exactly as [`Self::quad`] sees them.
    #[inline(always)]
    pub fn triple<const Y: bool>(&self, p: usize, line: usize) -> Option<[CellState<R>; 3]> {
        let pi = p as isize;
        let c = self.raw::<Y>(pi, line)?;
        Some([
            self.or_ghost::<Y>(pi - 1, line, c),
            c,
            self.or_ghost::<Y>(pi + 1, line, c),
        ])
    }
}
