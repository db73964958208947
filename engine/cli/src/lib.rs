//! The library behind the `basintwin` command line: scenario files, the run driver (outputs,
//! gauges, checkpoints), benchmarks and the validation report. The viewer uses it to run a
//! scenario in-process (`basintwin-viewer --live`).

pub mod bench;
pub mod plot;
pub mod run;
pub mod scenario;
pub mod validate;
