//! # basintwin-gpu
//!
//! The GPU backend: the core's schemes as WGSL compute shaders (`shaders/*.wgsl`) on wgpu,
//! implementing [`basintwin_core::Backend`]. The state stays on the device for the whole run;
//! the time step is reduced and used there; the host reads back only a small control block per
//! batch of steps and the fields at output times. Precision: f32.
//!
//! Every WGSL function names its Rust twin in `basintwin-core`; the parameter structs are
//! `#[repr(C)]` bytemuck types checked against the shader with naga ([`layout`]).

pub mod backend;
pub mod context;
pub mod error;
pub mod layout;
pub mod shaders;

pub use backend::GpuBackend;
pub use context::GpuContext;
pub use error::GpuError;
