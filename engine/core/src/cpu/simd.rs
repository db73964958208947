//! Run-time choice of the vector width of the row kernels.
//!
//! The kernels are compiled for the target's baseline (SSE2 on x86-64) and, on x86-64, once more
//! with AVX2; the AVX2 version runs when the CPU has it. Both perform the same IEEE operations in
//! the same order, so results do not depend on the choice (a test checks this). Setting
//! `BASINTWIN_CPU_BASELINE=1` in the environment, or calling [`set_vector_extensions`]`(false)`,
//! forces the baseline version.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

/// 0 = undecided, 1 = baseline forced, 2 = extensions allowed.
static MODE: AtomicU8 = AtomicU8::new(0);

/// Allows (`true`) or forbids (`false`) the AVX2 kernels for the rest of the process.
pub fn set_vector_extensions(enabled: bool) {
    MODE.store(if enabled { 2 } else { 1 }, Ordering::Relaxed);
}

/// Whether the AVX2 kernels run.
pub fn avx2_enabled() -> bool {
    let mode = match MODE.load(Ordering::Relaxed) {
        0 => {
            static ENV: OnceLock<bool> = OnceLock::new();
            let baseline = *ENV.get_or_init(|| {
                std::env::var_os("BASINTWIN_CPU_BASELINE")
                    .is_some_and(|v| v != "0" && !v.is_empty())
            });
            if baseline { 1 } else { 2 }
        }
        m => m,
    };
    mode == 2 && has_avx2()
}

#[cfg(target_arch = "x86_64")]
fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

#[cfg(not(target_arch = "x86_64"))]
fn has_avx2() -> bool {
    false
}

/// The instruction set the kernels use now, for reports.
pub fn vector_isa() -> &'static str {
    if avx2_enabled() {
        "avx2"
    } else if cfg!(target_arch = "x86_64") {
        "sse2"
    } else {
        "baseline"
    }
}
