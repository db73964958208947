//! Checkpoint and restore: the full state at a step boundary, so that a resumed run continues
//! bitwise as if it had never stopped. Besides `h`, `qx`, `qy` and the maxima this is every
//! field a step reads that is not recomputed from them: the velocities, the inertial face
//! discharges, the cumulative infiltration and gridded rain, the rain carry; and the clock, the
//! CFL rate, the ledger and the tracked volumes. A checkpoint of another terrain, grid, scheme
//! or precision is refused.

use super::CpuBackend;
use super::buffers::Fields;
use crate::checkpoint::{self, Checkpoint};
use crate::config::Scheme;
use crate::error::{CoreError, Result};
use crate::maxima::Maxima;
use crate::real::Real;
use crate::state::State;

impl<R: Real> CpuBackend<R> {
    /// Fingerprint of the bed, mask and roughness, for checkpoints.
    fn terrain_fingerprint(&self) -> u64 {
        let z: Vec<f64> = self.z.iter().map(|x| x.f64()).collect();
        let n: Vec<f64> = self.g_n2.iter().map(|x| x.f64()).collect();
        let a: Vec<f64> = self
            .active
            .iter()
            .map(|&a| f64::from(u8::from(a)))
            .collect();
        checkpoint::fingerprint(&[&z, &n, &a])
    }

    /// [`crate::backend::Backend::checkpoint`]: everything a step reads, as `f64` arrays.
    pub(super) fn write_checkpoint(&self, extra: String) -> Checkpoint {
        let f = |v: &[R]| v.iter().map(|x| x.f64()).collect::<Vec<f64>>();
        let mut arrays = vec![
            ("h".to_string(), f(&self.cur.h)),
            ("qx".to_string(), f(&self.cur.qx)),
            ("qy".to_string(), f(&self.cur.qy)),
            // The velocities the next fluxes use: after infiltration or a positivity limit
            // they are not recomputed from h and q, so they are part of the state.
            ("u".to_string(), f(&self.cur.u)),
            ("v".to_string(), f(&self.cur.v)),
            ("max_depth_m".to_string(), f(&self.maxima.depth_m)),
            ("max_speed_m_s".to_string(), f(&self.maxima.speed_m_s)),
            ("max_hazard_m2_s".to_string(), f(&self.maxima.hazard_m2_s)),
            ("arrival_s".to_string(), f(&self.maxima.arrival_s)),
        ];
        if self.cfg.scheme == Scheme::Inertial {
            arrays.push(("qfx".to_string(), f(&self.qfx)));
            arrays.push(("qfy".to_string(), f(&self.qfy)));
        }
        if !self.infiltrated.is_empty() {
            arrays.push(("infiltrated_m".to_string(), self.infiltrated.clone()));
        }
        if !self.rain_cum.is_empty() {
            arrays.push(("rain_cum_m".to_string(), self.rain_cum.clone()));
        }
        if !self.rain_carry.is_empty() {
            arrays.push(("rain_carry_m".to_string(), f(&self.rain_carry)));
        }
        Checkpoint {
            header: checkpoint::Header {
                scheme: self.cfg.scheme.name().into(),
                precision: R::NAME.into(),
                nx: self.grid.nx,
                ny: self.grid.ny,
                terrain_fingerprint: self.terrain_fingerprint(),
                time_s: self.t_s,
                steps: self.steps,
                max_rate: self.max_rate,
                ledger: self.ledger,
                tracked_m3: self.tracked_m3.clone(),
                arrays: Vec::new(),
                extra,
            },
            arrays,
        }
    }

    /// [`crate::backend::Backend::restore`]: checks that `c` was written by this model, then
    /// takes its state.
    pub(super) fn restore_checkpoint(&mut self, c: &Checkpoint) -> Result<()> {
        self.check_checkpoint(c)?;
        let h = &c.header;
        let cells = self.grid.cells();
        let get = |name: &str, n: usize| -> Result<Vec<R>> {
            match c.array(name) {
                Some(v) if v.len() == n => Ok(v.iter().map(|&x| R::c(x)).collect()),
                Some(v) => Err(mismatch(format!(
                    "{name} has {} values, expected {n}",
                    v.len()
                ))),
                None => Err(mismatch(format!("{name} is missing"))),
            }
        };
        let state = State {
            h: get("h", cells)?,
            qx: get("qx", cells)?,
            qy: get("qy", cells)?,
        };
        let maxima = Maxima {
            depth_m: get("max_depth_m", cells)?,
            speed_m_s: get("max_speed_m_s", cells)?,
            hazard_m2_s: get("max_hazard_m2_s", cells)?,
            arrival_s: get("arrival_s", cells)?,
        };
        if self.cfg.scheme == Scheme::Inertial {
            self.qfx = get("qfx", self.qfx.len())?;
            self.qfy = get("qfy", self.qfy.len())?;
        }
        if let Some(v) = c.array("infiltrated_m") {
            if v.len() != cells {
                return Err(mismatch(format!("infiltrated_m has {} values", v.len())));
            }
            self.infiltrated = v.to_vec();
        }
        match c.array("rain_cum_m") {
            Some(v) if v.len() == cells && !self.rain_cum.is_empty() => {
                self.rain_cum = v.to_vec();
            }
            None if self.rain_cum.is_empty() => {}
            _ => {
                return Err(mismatch(
                    "one of the two has gridded rain and the other not".into(),
                ));
            }
        }
        if !self.rain_carry.is_empty() {
            // Absent from a checkpoint of a run without rain: nothing was carried.
            self.rain_carry = match c.array("rain_carry_m") {
                Some(_) => get("rain_carry_m", cells)?,
                None => vec![R::zero(); cells],
            };
        }
        let (u, v) = (get("u", cells)?, get("v", cells)?);
        self.cur = Fields {
            h: state.h,
            qx: state.qx,
            qy: state.qy,
            u,
            v,
        };
        self.maxima = maxima;
        self.t_s = h.time_s;
        self.steps = h.steps;
        self.max_rate = h.max_rate;
        self.ledger = h.ledger;
        self.tracked_m3.clone_from(&h.tracked_m3);
        Ok(())
    }

    /// Refuses a checkpoint of another grid, scheme, precision, terrain, set of tracked
    /// cross-sections, or infiltration setting.
    fn check_checkpoint(&self, c: &Checkpoint) -> Result<()> {
        let h = &c.header;
        if (h.nx, h.ny) != (self.grid.nx, self.grid.ny) {
            return Err(mismatch(format!(
                "it holds {} x {} cells, the model {} x {}",
                h.nx, h.ny, self.grid.nx, self.grid.ny
            )));
        }
        if h.scheme != self.cfg.scheme.name() || h.precision != R::NAME {
            return Err(mismatch(format!(
                "it was written by {} in {}, the model runs {} in {}",
                h.scheme,
                h.precision,
                self.cfg.scheme.name(),
                R::NAME
            )));
        }
        if h.terrain_fingerprint != self.terrain_fingerprint() {
            return Err(mismatch(
                "the bed, mask or roughness differ from the run that wrote it".into(),
            ));
        }
        if h.tracked_m3.len() != self.tracked_m3.len() {
            return Err(mismatch(format!(
                "it tracks {} cross-sections, the model {}",
                h.tracked_m3.len(),
                self.tracked_m3.len()
            )));
        }
        if c.array("infiltrated_m").is_some() == self.infiltrated.is_empty() {
            return Err(mismatch(
                "one of the two has an infiltration model and the other not".into(),
            ));
        }
        Ok(())
    }
}

/// The error of a checkpoint that does not belong to this model.
fn mismatch(detail: String) -> CoreError {
    CoreError::Invalid {
        what: "checkpoint",
        detail,
        expected: "a checkpoint of the same terrain, grid, scheme and precision",
    }
}
