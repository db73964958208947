//! The [`Backend`] contract on the CPU: the time loop (`advance_to`: CFL-limited steps that land
//! exactly on the target, stopping at an instability or an interrupt), reads of the state and
//! the maxima, the ledger, the tracked volumes, and checkpoints (`checkpoint`).

use super::{CpuBackend, simd};
use crate::backend::Backend;
use crate::checkpoint::Checkpoint;
use crate::error::{CoreError, Result};
use crate::grid::Grid;
use crate::ledger::MassLedger;
use crate::maxima::Maxima;
use crate::numerics::cfl;
use crate::real::Real;
use crate::state::State;

impl<R: Real> Backend for CpuBackend<R> {
    type Real = R;

    fn describe(&self) -> String {
        format!(
            "cpu (rayon, {} threads, {}, {}, {})",
            self.threads(),
            simd::vector_isa(),
            self.cfg.scheme,
            R::NAME
        )
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn time_s(&self) -> f64 {
        self.t_s
    }

    fn steps(&self) -> u64 {
        self.steps
    }

    fn advance_to(&mut self, t_target_s: f64) -> Result<()> {
        if !t_target_s.is_finite() || t_target_s < self.t_s {
            return Err(CoreError::Invalid {
                what: "target time",
                detail: format!("{t_target_s} s while the model is at {} s", self.t_s),
                expected: "a finite time not before the current one",
            });
        }
        self.install(|b| {
            while b.t_s < t_target_s {
                let (dt, last) =
                    cfl::next_dt(b.courant, b.max_rate, b.cfg.max_dt_s, b.t_s, t_target_s);
                if !last && (dt.is_nan() || dt < b.cfg.min_dt_s) {
                    return Err(CoreError::Unstable {
                        time_s: b.t_s,
                        detail: format!(
                            "time step collapsed to {dt:.3e} s (minimum {:.1e} s)",
                            b.cfg.min_dt_s
                        ),
                    });
                }
                let t_new = if last { t_target_s } else { b.t_s + dt };
                b.step(dt, t_new)?;
                b.t_s = t_new;
                b.steps += 1;
                if b.interrupt
                    .as_ref()
                    .is_some_and(|f| f.load(std::sync::atomic::Ordering::Relaxed))
                {
                    return Err(CoreError::Interrupted { time_s: b.t_s });
                }
            }
            Ok(())
        })
    }

    fn read_state(&mut self, out: &mut State<R>) -> Result<()> {
        out.h.clone_from(&self.cur.h);
        out.qx.clone_from(&self.cur.qx);
        out.qy.clone_from(&self.cur.qy);
        Ok(())
    }

    fn read_maxima(&mut self, out: &mut Maxima<R>) -> Result<()> {
        out.clone_from(&self.maxima);
        Ok(())
    }

    fn ledger(&self) -> MassLedger {
        self.ledger
    }

    fn tracked_volumes_m3(&self) -> &[f64] {
        &self.tracked_m3
    }

    fn checkpoint(&mut self, extra: String) -> Result<Checkpoint> {
        Ok(self.write_checkpoint(extra))
    }

    fn restore(&mut self, c: &Checkpoint) -> Result<()> {
        self.restore_checkpoint(c)
    }
}
