//! # basintwin-core
//!
//! The numerics of basintwin, in pure Rust: a two-dimensional shallow-water solver over a uniform
//! raster, parallel with rayon, with no GDAL, HDF5 or GPU dependency.
//!
//! - [`grid`], [`terrain`], [`state`]: geometry, bed and roughness, the conserved unknowns.
//! - [`numerics`]: pointwise physics (Riemann solver, reconstruction, friction, CFL) and the
//!   three schemes `inertial`, `fv1`, `fv2`.
//! - [`backend::Backend`]: the contract a compute backend fulfils; [`cpu::CpuBackend`] is the
//!   rayon one.
//! - [`simulation`]: the run lifecycle written once against the trait: output plan, recorders,
//!   outcome (finished or interrupted).
//! - [`geometry`]: points, polylines and edge lines onto the grid.
//! - [`ledger`] and [`maxima`]: the water budget and flood maps tracked every step.
//! - [`ensemble`] and [`assimilation`]: perturbed members and the ensemble Kalman analysis.
//! - [`analytic`]: closed-form solutions used by the tests and the validation reports.

pub mod analytic;
pub mod assimilation;
pub mod backend;
pub mod cases;
pub mod checkpoint;
pub mod config;
pub mod cpu;
pub mod ensemble;
pub mod error;
pub mod forcing;
pub mod geometry;
pub mod grid;
pub mod ledger;
pub mod maxima;
pub mod numerics;
pub mod real;
pub mod simulation;
pub mod state;
pub mod terrain;

pub use backend::Backend;
pub use checkpoint::Checkpoint;
pub use config::{Boundaries, BoundaryKind, Scheme, SolverConfig};
pub use cpu::CpuBackend;
pub use error::{CoreError, Result};
pub use forcing::{
    BoundarySegment, Forcing, PointSource, RainGrid, SegmentFace, SegmentKind, Series,
};
pub use geometry::{CrossedFace, PointError};
pub use grid::{Grid, Side};
pub use ledger::MassLedger;
pub use maxima::Maxima;
pub use numerics::infiltration::Infiltration;
pub use real::{Precision, Real};
pub use simulation::{
    CheckpointStore, Due, FnRecorder, Outcome, Output, OutputPlan, OutputSchedule, RecordError,
    Recorder, Recorders, RunError, RunSummary, run,
};
pub use state::State;
pub use terrain::{Manning, Terrain};
