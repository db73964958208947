//! The water budget, kept every step (after SERGHEI's `DomainIntegrator`).
//!
//! `volume = initial + boundary inflow - boundary outflow + sources + rain - infiltration +
//! positivity corrections + assimilation increments`, all in cubic metres and accumulated in
//! `f64`. The positivity
//! correction is the water added when round-off leaves a depth slightly below zero and it is
//! reset to zero; it is reported so that nothing is hidden.

/// Cumulative volumes since the start of the run, in m^3.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MassLedger {
    pub volume_initial_m3: f64,
    /// Water in the domain now.
    pub volume_m3: f64,
    pub boundary_inflow_m3: f64,
    pub boundary_outflow_m3: f64,
    pub source_inflow_m3: f64,
    pub rain_m3: f64,
    pub infiltration_m3: f64,
    pub positivity_correction_m3: f64,
    /// Water added (or, negative, taken) by data assimilation: the analyses' increments.
    #[serde(default)]
    pub assimilation_m3: f64,
}

impl MassLedger {
    pub fn new(volume_initial_m3: f64) -> Self {
        Self {
            volume_initial_m3,
            volume_m3: volume_initial_m3,
            ..Self::default()
        }
    }

    /// The volume the budget says the domain should hold.
    pub fn expected_volume_m3(&self) -> f64 {
        self.volume_initial_m3 + self.boundary_inflow_m3 - self.boundary_outflow_m3
            + self.source_inflow_m3
            + self.rain_m3
            - self.infiltration_m3
            + self.positivity_correction_m3
            + self.assimilation_m3
    }

    /// Volume in the domain minus the volume the budget expects (m^3).
    pub fn error_m3(&self) -> f64 {
        self.volume_m3 - self.expected_volume_m3()
    }

    /// The error relative to the largest volume that took part in the budget.
    pub fn relative_error(&self) -> f64 {
        let scale = self
            .volume_initial_m3
            .max(
                self.volume_initial_m3
                    + self.boundary_inflow_m3
                    + self.source_inflow_m3
                    + self.rain_m3,
            )
            .max(self.volume_m3);
        if scale > 0.0 {
            self.error_m3() / scale
        } else {
            0.0
        }
    }
}

impl std::fmt::Display for MassLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "mass balance (m^3)")?;
        writeln!(
            f,
            "  initial volume        {:>16.6}",
            self.volume_initial_m3
        )?;
        writeln!(
            f,
            "  boundary inflow     + {:>16.6}",
            self.boundary_inflow_m3
        )?;
        writeln!(
            f,
            "  boundary outflow    - {:>16.6}",
            self.boundary_outflow_m3
        )?;
        writeln!(f, "  point sources       + {:>16.6}", self.source_inflow_m3)?;
        writeln!(f, "  rain                + {:>16.6}", self.rain_m3)?;
        writeln!(f, "  infiltration        - {:>16.6}", self.infiltration_m3)?;
        writeln!(
            f,
            "  positivity fix      + {:>16.6}",
            self.positivity_correction_m3
        )?;
        if self.assimilation_m3 != 0.0 {
            writeln!(f, "  assimilation        + {:>16.6}", self.assimilation_m3)?;
        }
        writeln!(f, "  final volume          {:>16.6}", self.volume_m3)?;
        write!(
            f,
            "  error                 {:>16.6e} ({:.3e} relative)",
            self.error_m3(),
            self.relative_error()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balances() {
        let mut l = MassLedger::new(100.0);
        l.boundary_inflow_m3 = 10.0;
        l.boundary_outflow_m3 = 30.0;
        l.volume_m3 = 80.0;
        assert_eq!(l.error_m3(), 0.0);
        l.volume_m3 = 81.1;
        assert!((l.relative_error() - 1.1 / 110.0).abs() < 1e-12);
    }
}
