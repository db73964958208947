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
    /// Cube root of a positive finite number to within an ulp or two, without a libm call, so
    /// that loops using it vectorise: an exponent-halving bit guess refined by Newton steps
    /// (the guess of Kahan's cbrt; error squares at each step). Meaningless for `x <= 0`.
    fn cbrt_fast(self) -> Self;
    /// The neighbouring representable values (`f32::next_up` / `next_down`).
    fn next_up(self) -> Self;
    fn next_down(self) -> Self;
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
    #[inline(always)]
    fn cbrt_fast(self) -> Self {
        let mut y = f32::from_bits(self.to_bits() / 3 + 0x2a51_37a0);
        for _ in 0..3 {
            y = (2.0 * y + self / (y * y)) * (1.0 / 3.0);
        }
        y
    }
    #[inline(always)]
    fn next_up(self) -> Self {
        f32::next_up(self)
    }
    #[inline(always)]
    fn next_down(self) -> Self {
        f32::next_down(self)
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
    #[inline(always)]
    fn cbrt_fast(self) -> Self {
        let mut y = f64::from_bits(self.to_bits() / 3 + 0x2a9f_7893_782d_a1ce);
        for _ in 0..4 {
            y = (2.0 * y + self / (y * y)) * (1.0 / 3.0);
        }
        y
    }
    #[inline(always)]
    fn next_up(self) -> Self {
        f64::next_up(self)
    }
    #[inline(always)]
    fn next_down(self) -> Self {
        f64::next_down(self)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_cube_root_matches_libm() {
        let mut x = 1e-7f64;
        while x < 1e5 {
            let e64 = (x.cbrt_fast() - x.cbrt()).abs() / x.cbrt();
            assert!(e64 < 4e-16, "f64 cbrt({x}) off by {e64:e}");
            let xf = x as f32;
            let e32 = (xf.cbrt_fast() - xf.cbrt()).abs() / xf.cbrt();
            assert!(e32 < 4e-7, "f32 cbrt({xf}) off by {e32:e}");
            x *= 1.37;
        }
    }
}
