//! Where the general path works: the faces and cells that the branch-free row kernels get wrong
//! and that [`super::view::View`] recomputes with ghost cells after each fast pass. They are
//! listed once, at start-up: faces on the domain edge or next to an inactive cell, and (fv2)
//! active cells whose slope stencil reaches outside the domain or into an inactive cell.
//!
//! The rules are written once for a line of cells; x lines are rows, y lines columns.

/// For each row, the positions the general path must recompute (compressed rows).
#[derive(Debug, Clone, Default)]
pub(super) struct Fixups {
    start: Vec<usize>,
    pos: Vec<u32>,
}

impl Fixups {
    fn build(rows: usize, width: usize, needs: impl Fn(usize, usize) -> bool) -> Self {
        let mut start = Vec::with_capacity(rows + 1);
        let mut pos = Vec::new();
        start.push(0);
        for r in 0..rows {
            pos.extend((0..width).filter(|&c| needs(r, c)).map(|c| c as u32));
            start.push(pos.len());
        }
        Self { start, pos }
    }

    #[inline]
    pub(super) fn row(&self, r: usize) -> &[u32] {
        &self.pos[self.start[r]..self.start[r + 1]]
    }
}

/// The general-path positions of a grid with mask `active`.
#[derive(Debug)]
pub(super) struct AllFixups {
    /// x faces per cell row (positions `0..=nx`).
    pub(super) fx: Fixups,
    /// y faces per face row (rows `0..=ny`, positions `0..nx`).
    pub(super) fy: Fixups,
    /// fv2 (`slopes`): cells per row whose x or y slope stencil is incomplete; empty otherwise.
    pub(super) sx: Fixups,
    pub(super) sy: Fixups,
}

impl AllFixups {
    pub(super) fn build(nx: usize, ny: usize, active: &[bool], slopes: bool) -> Self {
        // Cell `p` of line `line`: along x cell (p, line), along y cell (line, p).
        let at = |y: bool, p: usize, line: usize| {
            if y {
                active[p * nx + line]
            } else {
                active[line * nx + p]
            }
        };
        let len = |y: bool| if y { ny } else { nx };
        // Face `a` of a line lies between its cells a-1 and a.
        let face = |y: bool, a: usize, line: usize| {
            a == 0 || a == len(y) || !(at(y, a - 1, line) && at(y, a, line))
        };
        let slope = |y: bool, p: usize, line: usize| {
            at(y, p, line)
                && (p == 0 || p == len(y) - 1 || !at(y, p - 1, line) || !at(y, p + 1, line))
        };
        let slope_rows = if slopes { ny } else { 0 };
        Self {
            fx: Fixups::build(ny, nx + 1, |j, a| face(false, a, j)),
            fy: Fixups::build(ny + 1, nx, |a, i| face(true, a, i)),
            sx: Fixups::build(slope_rows, nx, |j, i| slope(false, i, j)),
            sy: Fixups::build(slope_rows, nx, |j, i| slope(true, j, i)),
        }
    }
}
