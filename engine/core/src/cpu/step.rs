//! One time step, in the order every scheme shares: this step's forcing values, the scheme's
//! update (`fv`, `inertial`), the per-row reductions folded in order (next CFL rate, volume,
//! positivity corrections; a non-finite depth stops the run), then the water added or taken
//! besides the fluxes (`forcing`).

use super::CpuBackend;
use super::reduce::fold_rows;
use crate::config::Scheme;
use crate::error::{CoreError, Result};
use crate::real::Real;

impl<R: Real> CpuBackend<R> {
    /// Takes one time step of exactly `dt_s` seconds (no CFL check: for benchmarks and tests;
    /// [`crate::backend::Backend::advance_to`] is the normal way to run).
    pub fn step_fixed(&mut self, dt_s: f64) -> Result<()> {
        self.install(|b| {
            let t_new = b.t_s + dt_s;
            b.step(dt_s, t_new)?;
            b.t_s = t_new;
            b.steps += 1;
            Ok(())
        })
    }

    /// One step of `dt_s` ending at `t_new_s`: scheme, ledger, maxima, next CFL rate.
    pub(super) fn step(&mut self, dt_s: f64, t_new_s: f64) -> Result<()> {
        let t0 = t_new_s - dt_s;
        self.prepare_forcing(t0, t_new_s);
        match self.cfg.scheme {
            Scheme::Fv1 => self.step_fv1(dt_s, t_new_s),
            Scheme::Fv2 => self.step_fv2(dt_s, t_new_s),
            Scheme::Inertial => self.step_inertial(dt_s, t_new_s),
        }
        std::mem::swap(&mut self.cur, &mut self.next);
        // Fold the per-row reductions in a fixed order.
        let sums = fold_rows(&self.rows);
        if sums.bad {
            return Err(self.unstable(dt_s, t_new_s));
        }
        let area = self.grid.cell_area_m2();
        self.max_rate = sums.max_rate;
        self.ledger.volume_m3 = sums.depth_sum * area;
        self.ledger.positivity_correction_m3 += sums.correction_depth * area;
        self.apply_forcing(t0, t_new_s);
        Ok(())
    }

    /// The error of a step that left a non-finite depth, pointing at the first such cell.
    fn unstable(&self, dt_s: f64, t_new_s: f64) -> CoreError {
        let k = self.cur.h.iter().position(|h| !h.is_finite());
        let at = match k {
            Some(k) => format!("at cell ({}, {})", k % self.grid.nx, k / self.grid.nx),
            None => "in the domain".to_string(),
        };
        CoreError::Unstable {
            time_s: t_new_s,
            detail: format!(
                "non-finite depth {at} after step {} (dt = {dt_s:.3e} s)",
                self.steps + 1
            ),
        }
    }
}
