//! The living twin (`basintwin twin`): forecast cycles that assimilate gauge observations —
//! the observations read as they arrive ([`observations`]), one analysis applied to the
//! members ([`analysis`]), the cycles ([`cycle`]) and the command's run ([`run`]: replay with
//! `--until`, `analysis.csv`).

pub mod analysis;
pub mod cycle;
pub mod observations;
pub mod run;

pub use observations::{ObservationRow, Observations};
pub use run::{TwinEnd, TwinOptions, run_twin};
