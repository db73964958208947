//! Run-time choice of the vector width of the row kernels.
//!
//! The kernels are compiled for the target's baseline (SSE2 on x86-64) and, on x86-64, twice
//! more, with AVX2 and with AVX-512; the widest the CPU supports runs. All versions perform the
//! same IEEE operations in the same order, so results do not depend on the choice (a test checks
//! this). `BASINTWIN_CPU_BASELINE=1` in the environment, or [`set_vector_extensions`]`(false)`,
//! forces the baseline.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

/// The instruction-set level the kernels run at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Baseline,
    Avx2,
    Avx512,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Baseline if cfg!(target_arch = "x86_64") => "sse2",
            Level::Baseline => "baseline",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
        }
    }
}

/// 0 = undecided, 1 = baseline forced, 2 = extensions allowed.
static MODE: AtomicU8 = AtomicU8::new(0);

/// Allows (`true`) or forbids (`false`) the vector-extension kernels for the rest of the process.
pub fn set_vector_extensions(enabled: bool) {
    MODE.store(if enabled { 2 } else { 1 }, Ordering::Relaxed);
}

/// The level the kernels run at now.
#[inline]
pub fn level() -> Level {
    let allowed = match MODE.load(Ordering::Relaxed) {
        0 => {
            static ENV: OnceLock<bool> = OnceLock::new();
            !*ENV.get_or_init(|| {
                std::env::var_os("BASINTWIN_CPU_BASELINE")
                    .is_some_and(|v| !v.is_empty() && v != "0")
            })
        }
        m => m == 2,
    };
    if allowed { best() } else { Level::Baseline }
}

#[cfg(target_arch = "x86_64")]
fn best() -> Level {
    static BEST: OnceLock<Level> = OnceLock::new();
    *BEST.get_or_init(|| {
        use std::arch::is_x86_feature_detected as has;
        if has!("avx512f") && has!("avx512vl") && has!("avx512bw") && has!("avx512dq") {
            Level::Avx512
        } else if has!("avx2") {
            Level::Avx2
        } else {
            Level::Baseline
        }
    })
}

#[cfg(not(target_arch = "x86_64"))]
fn best() -> Level {
    Level::Baseline
}

/// The instruction set the kernels use now, for reports.
pub fn vector_isa() -> &'static str {
    level().name()
}
