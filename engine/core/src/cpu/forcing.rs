//! Forcing: water added or taken besides the fluxes between cells. Installing it
//! ([`CpuBackend::set_forcing`] sizes the buffers, so the time loop allocates nothing), this
//! step's values before the update (uniform rain depth, segment values), and after the update,
//! in order: rain (`rain`), point sources (here), infiltration (`infiltration`), each booked in
//! the ledger. Inflow and stage segments act on the faces during the update (`segments`).

use super::CpuBackend;
use super::reduce::CellRate;
use super::segments::Segment;
use crate::error::Result;
use crate::forcing::Forcing;
use crate::numerics::{self, infiltration::Infiltration};
use crate::real::Real;

impl<R: Real> CpuBackend<R> {
    /// Sets the rain and point sources (validated against the domain).
    pub fn set_forcing(&mut self, forcing: Forcing) -> Result<()> {
        forcing.validate(self.grid.cells(), &self.active)?;
        let ny = self.grid.ny;
        let mut segments = Vec::new();
        for b in &forcing.boundaries {
            let (faces, face_len_m) = b.faces(&self.grid, &self.active)?;
            segments.push(Segment {
                q: vec![R::zero(); faces.len()],
                faces,
                kind: b.kind.clone(),
                face_len_m,
                stage: R::zero(),
            });
        }
        self.segments = segments;
        let none = Infiltration::None;
        let infiltrates =
            forcing.infiltration != none || forcing.infiltration_cells.iter().any(|m| *m != none);
        if infiltrates {
            self.infiltrated = vec![0.0; self.grid.cells()];
            self.infil_rows = vec![0.0; ny];
        }
        if let Some(g) = &forcing.rain_grid {
            self.rain_w = Vec::with_capacity(g.times_s.len() + 2);
            self.rain_cum = vec![0.0; self.grid.cells()];
        }
        if forcing.rain_mm_h.is_some() || forcing.rain_grid.is_some() {
            self.rain_rows = vec![(0.0, 0.0, 0.0); ny];
            self.rain_carry = vec![R::zero(); self.grid.cells()];
        }
        self.forcing = forcing;
        Ok(())
    }

    /// This step's values, before the update: the uniform rain depth, the segments' values.
    pub(super) fn prepare_forcing(&mut self, t0: f64, t1: f64) {
        self.rain_step = R::c(self.forcing.rain_depth_m(t0, t1));
        if !self.segments.is_empty() {
            self.update_segments(t0, t1);
        }
    }

    /// After the update: rain, point sources, infiltration of `[t0, t1]`, booked.
    pub(super) fn apply_forcing(&mut self, t0: f64, t1: f64) {
        let area = self.grid.cell_area_m2();
        if self.rain_step > R::zero() || self.forcing.rain_grid.is_some() {
            let (fallen, added) = self.apply_rain(t0, t1);
            self.ledger.rain_m3 += fallen * area;
            self.ledger.volume_m3 += added * area;
        }
        self.apply_sources(t0, t1);
        if !self.infiltrated.is_empty() {
            let taken = self.apply_infiltration(t0, t1);
            self.ledger.infiltration_m3 += taken;
            self.ledger.volume_m3 -= taken;
        }
    }

    /// Adds the point sources' water of `[t0, t1]` to their cells, with the velocity and CFL
    /// rate of those cells brought up to date, and books it.
    fn apply_sources(&mut self, t0: f64, t1: f64) {
        let area = self.grid.cell_area_m2();
        let cell_rate = CellRate::new(self.cfg.scheme, &self.grid, self.p);
        for s in &self.forcing.sources {
            let dh = R::c(s.discharge_m3_s.integral(t0, t1) / area);
            let k = s.cell;
            let c = &mut self.cur;
            c.h[k] = c.h[k] + dh;
            c.u[k] = numerics::velocity(c.h[k], c.qx[k], self.p.h_dry);
            c.v[k] = numerics::velocity(c.h[k], c.qy[k], self.p.h_dry);
            let rate = cell_rate.of(c.h[k], c.qx[k], c.qy[k]);
            self.max_rate = self.max_rate.max(rate.f64());
            let added = dh.f64() * area;
            self.ledger.source_inflow_m3 += added;
            self.ledger.volume_m3 += added;
        }
    }
}
