//! The living twin (`basintwin twin`): forecast cycles that assimilate gauge observations.
//! What is here so far: the observations, read as they arrive ([`observations`]).

pub mod analysis;
pub mod cycle;
pub mod observations;

pub use observations::{ObservationRow, Observations};
