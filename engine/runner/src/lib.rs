//! The run pipeline behind both binaries (`basintwin` and `basintwin-viewer --live`): scenario
//! files validated table by table ([`scenario`]), the model loaded from them ([`model`]), one
//! backend dispatcher ([`dispatch`]), the recorders that write a run folder ([`recorders`]),
//! and the run lifecycle ([`run`]: start or resume, checkpoints, interruption, [`summary`]).

pub mod dispatch;
pub mod ensemble;
pub mod error;
pub mod model;
pub mod plot;
pub mod plume;
pub mod recorders;
pub mod run;
pub mod scenario;
pub mod summary;
pub mod twin;

pub use dispatch::{BackendChoice, BackendInput, BackendJob, dispatch};
pub use error::InputError;
pub use model::{Model, load_model};
pub use run::{RunEnd, RunOptions, run_scenario};
