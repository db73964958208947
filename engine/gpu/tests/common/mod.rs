//! What the GPU integration tests share.

use basintwin_gpu::GpuContext;

/// The adapter of `BASINTWIN_ADAPTER` (or the best one); without one the test says so and
/// passes, unless `BASINTWIN_REQUIRE_GPU=1` (set by `make test`, which installs lavapipe).
pub fn context() -> Option<GpuContext> {
    match GpuContext::from_env() {
        Ok(c) => Some(c),
        Err(e) => {
            if std::env::var("BASINTWIN_REQUIRE_GPU").is_ok_and(|v| v == "1") {
                panic!("BASINTWIN_REQUIRE_GPU=1 but: {e}");
            }
            eprintln!("skipped: {e}");
            None
        }
    }
}
