//! The floating-point type of a run: one generic code path serves `f32` and `f64`.
//!
//! Kernels are written once against [`Real`]; the backend is instantiated with the precision the
//! scenario asks for. Accumulators that must not lose volume (the mass-balance ledger) are always
//! `f64`, whatever `Real` is.

use std::fmt::{Debug, Display};

use num_traits::Float;

/// A floating-point type the solver can run in (`f32` or `f64`).
pub trait Real: Float + Default + Debug + Display + Send + Sync + 'static {
    /// `"f32"` or `"f64"`, as scenario files and reports spell it.
    const NAME: &'static str;
    /// Converts a constant (rounding to nearest for `f32`).
    fn c(x: f64) -> Self;
    /// Widens to `f64` (exact for both types).
    fn f64(self) -> f64;
}

impl Real for f32 {
    const NAME: &'static str = "f32";
    #[inline(always)]
    fn c(x: f64) -> Self {
        x as f32
    }
    #[inline(always)]
    fn f64(self) -> f64 {
        f64::from(self)
    }
}

impl Real for f64 {
    const NAME: &'static str = "f64";
    #[inline(always)]
    fn c(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn f64(self) -> f64 {
        self
    }
}

/// Precision of a run, as chosen at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    F32,
    F64,
}

impl Precision {
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        }
    }
}

impl std::str::FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "f32" => Ok(Precision::F32),
            "f64" => Ok(Precision::F64),
            other => Err(format!("unknown precision '{other}': expected f32 or f64")),
        }
    }
}
