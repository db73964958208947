//! The domain edges. Each rule is written once and looped over the four sides ([`Edge`]: x
//! sides are rows seen from their west / east end, y sides columns seen from their south /
//! north end, as in [`super::view::View`]).
//!
//! - inertial edge faces, after the interior pass ([`CpuBackend::inertial_edges`]): walls stay
//!   closed; a free edge copies the face next inside, outward only (zero gradient); a
//!   normal-depth edge takes the face discharge of Bates et al. (2010) with the theta weighting
//!   of de Almeida et al. (2012) against a ghost with the interior depth on a bed lowered by
//!   `slope` times the cell size, so that steady flow leaves at Manning's normal depth; outflow
//!   only.
//! - inertial outflow limiting at the edges ([`CpuBackend::limit_inertial_edges`]): an edge
//!   face is scaled by its interior cell only when water leaves through it.
//! - the flow through the edges, booked in the ledger every step ([`CpuBackend::book_boundary`],
//!   [`edge_flows`]).
//!
//! The fv schemes meet the edges through the ghost cells of `view` (same rules, as states).

use super::CpuBackend;
use crate::config::{BoundaryKind, Scheme};
use crate::grid::{Grid, Side};
use crate::numerics::riemann::select;
use crate::numerics::{self, Params};
use crate::real::Real;

/// One side of the domain as the ends of the lines of cells that meet it.
#[derive(Debug, Clone, Copy)]
struct Edge {
    /// South or north: the lines are columns and the faces y faces.
    y: bool,
    /// East or north: the outward normal points along +x / +y.
    high: bool,
    nx: usize,
    ny: usize,
}

impl Edge {
    fn new(side: Side, nx: usize, ny: usize) -> Self {
        let (y, high) = match side {
            Side::West => (false, false),
            Side::East => (false, true),
            Side::South => (true, false),
            Side::North => (true, true),
        };
        Self { y, high, nx, ny }
    }

    /// Lines meeting the side (faces along it).
    fn lines(&self) -> usize {
        if self.y { self.nx } else { self.ny }
    }

    /// Cells along each line.
    fn across(&self) -> usize {
        if self.y { self.ny } else { self.nx }
    }

    /// The index of face `a` of line `line` in the x- or y-face array.
    fn face(&self, line: usize, a: usize) -> usize {
        if self.y {
            a * self.nx + line
        } else {
            line * (self.nx + 1) + a
        }
    }

    /// The index of cell `i` of line `line`.
    fn cell(&self, line: usize, i: usize) -> usize {
        if self.y {
            i * self.nx + line
        } else {
            line * self.nx + i
        }
    }

    /// On line `line`: the edge face, the interior cell next to it, and the face on that cell's
    /// far side.
    fn at(&self, line: usize) -> (usize, usize, usize) {
        let n = self.across();
        let (face, cell, inner) = if self.high {
            (n, n - 1, n - 1)
        } else {
            (0, 0, 1)
        };
        (
            self.face(line, face),
            self.cell(line, cell),
            self.face(line, inner),
        )
    }
}

/// The outward part of discharge `q` through an edge face (`high`: east / north edge).
#[inline]
fn outward<R: Real>(q: R, high: bool) -> R {
    if high {
        q.max(R::zero())
    } else {
        q.min(R::zero())
    }
}

impl<R: Real> CpuBackend<R> {
    /// inertial: the new discharges through the edge faces of free and normal-depth sides
    /// (walls keep the zero of the interior pass), after the interior faces.
    pub(super) fn inertial_edges(&mut self, dt: R, theta: R) {
        let (nx, ny) = (self.grid.nx, self.grid.ny);
        let p = self.p;
        let (h, z, active, g_n2) = (&self.cur.h, &self.z, &self.active, &self.g_n2);
        for side in Side::ALL {
            let e = Edge::new(side, nx, ny);
            let (old, new, inv_d) = if e.y {
                (&self.qfy, &mut self.qfy_new, R::c(1.0 / self.grid.dy_m))
            } else {
                (&self.qfx, &mut self.qfx_new, R::c(1.0 / self.grid.dx_m))
            };
            let kind = self.cfg.boundaries.side(side);
            for line in 0..e.lines() {
                let (f, k, inner) = e.at(line);
                if !active[k] {
                    continue;
                }
                match kind {
                    // Free outflow copies the neighbouring face, outward only.
                    BoundaryKind::Free if e.across() > 1 => new[f] = outward(new[inner], e.high),
                    // Normal depth: the surface falls on at the given slope beyond the edge.
                    BoundaryKind::NormalDepth { slope } => {
                        new[f] = normal_depth_face(
                            old[f],
                            h[k],
                            z[k],
                            g_n2[k],
                            R::c(slope) / inv_d,
                            e.high,
                            dt,
                            inv_d,
                            theta,
                            p,
                        );
                    }
                    _ => {}
                }
            }
        }
    }

    /// inertial: scales the edge faces by their interior cell's outflow-limiting factor where
    /// water leaves (its upwind cell is inside); inflow is not limited.
    pub(super) fn limit_inertial_edges(&mut self) {
        let (nx, ny) = (self.grid.nx, self.grid.ny);
        let scale = &self.scale;
        let (zero, one) = (R::zero(), R::one());
        for side in Side::ALL {
            let e = Edge::new(side, nx, ny);
            let faces = if e.y {
                &mut self.qfy_new
            } else {
                &mut self.qfx_new
            };
            for line in 0..e.lines() {
                let (f, k, _) = e.at(line);
                let q = faces[f];
                let leaves = if e.high { q > zero } else { q < zero };
                faces[f] = q * select(leaves, scale[k], one);
            }
        }
    }

    /// Adds the flow through the domain edges over `dt_s` (weighted, for Runge–Kutta stages),
    /// and through the tracked faces, from the fluxes of the step (fv) or the limited face
    /// discharges (inertial).
    pub(super) fn book_boundary(&mut self, dt_s: f64, weight: f64) {
        let (inflow, outflow) = if self.cfg.scheme == Scheme::Inertial {
            edge_flows(&self.grid, &self.qfx_new, &self.qfy_new)
        } else {
            edge_flows(&self.grid, &self.fx.mass, &self.fy.mass)
        };
        self.ledger.boundary_inflow_m3 += inflow * dt_s * weight;
        self.ledger.boundary_outflow_m3 += outflow * dt_s * weight;
        if !self.trackers.is_empty() {
            self.book_trackers(dt_s, weight);
        }
    }
}

/// Flow through the domain edges (m^3/s), `(inflow, outflow)`, from the unit discharges through
/// the x faces (`(nx + 1) * ny`, positive east) and y faces (`nx * (ny + 1)`, positive north).
/// Summed in a fixed order: opposite sides in turn, line by line (west and east of each row,
/// then south and north of each column).
pub(super) fn edge_flows<R: Real>(grid: &Grid, x_faces: &[R], y_faces: &[R]) -> (f64, f64) {
    let (nx, ny) = (grid.nx, grid.ny);
    let (mut inflow, mut outflow) = (0.0, 0.0);
    for (low, high) in [(Side::West, Side::East), (Side::South, Side::North)] {
        let (low, high) = (Edge::new(low, nx, ny), Edge::new(high, nx, ny));
        // Unit discharges through the faces of this pair of sides, and each face's length.
        let (faces, len) = if low.y {
            (y_faces, grid.dx_m)
        } else {
            (x_faces, grid.dy_m)
        };
        for line in 0..low.lines() {
            for e in [low, high] {
                let q = faces[e.at(line).0].f64();
                // Discharge into the domain per metre.
                let q_in = if e.high { -q } else { q };
                if q_in >= 0.0 {
                    inflow += q_in * len;
                } else {
                    outflow -= q_in * len;
                }
            }
        }
    }
    (inflow, outflow)
}

/// Inertial discharge through an edge face between an interior cell and a ghost, each given as
/// `(eta, z)`: the momentum equation with the face's own old discharge standing in for its
/// missing neighbours. `high`: the ghost is east / north of the interior cell.
#[allow(clippy::too_many_arguments)]
#[inline]
pub(super) fn edge_face_discharge<R: Real>(
    q_old: R,
    inner: (R, R),
    ghost: (R, R),
    g_n2: R,
    high: bool,
    dt: R,
    inv_d: R,
    theta: R,
    p: Params<R>,
) -> R {
    let ((eta_l, z_l), (eta_r, z_r)) = if high { (inner, ghost) } else { (ghost, inner) };
    let input = numerics::inertial::FaceInput {
        q: q_old,
        q_behind: q_old,
        q_ahead: q_old,
        eta_l,
        eta_r,
        z_l,
        z_r,
        g_n2,
    };
    numerics::inertial::face_discharge(input, dt, inv_d, theta, p.g, p.h_dry)
}

/// Inertial discharge through a normal-depth edge face: a ghost with the interior depth on a
/// bed `drop` lower (slope x cell size); outflow only.
#[allow(clippy::too_many_arguments)]
#[inline]
fn normal_depth_face<R: Real>(
    q_old: R,
    h: R,
    z: R,
    g_n2: R,
    drop: R,
    high: bool,
    dt: R,
    inv_d: R,
    theta: R,
    p: Params<R>,
) -> R {
    let ghost = (h + z - drop, z - drop);
    let q = edge_face_discharge(q_old, (h + z, z), ghost, g_n2, high, dt, inv_d, theta, p);
    outward(q, high)
}
