//! Benchmarks of basintwin's kernels (see `schemes.rs`).
