//! The library behind the `basintwin` command line beyond the run pipeline (which is
//! `basintwin-runner`): benchmarks and the validation report.

pub mod bench;
pub mod validate;
