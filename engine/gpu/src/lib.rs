//! # basintwin-gpu
//!
//! The GPU backend: the core's schemes as WGSL compute shaders (`shaders/*.wgsl`) on wgpu,
//! implementing [`basintwin_core::Backend`]. The state stays on the device for the whole run;
//! the time step is reduced and used there; the host reads back only a small control block per
//! batch of steps and the fields at output times. Precision: f32.
//!
//! `shaders/numerics/*.wgsl` are the pointwise numerics of `basintwin-core` under the same names,
//! compared with them value by value on a GPU (`tests/pointwise.rs`); every WGSL function names
//! its Rust twin and the Rust docs name theirs, both checked (`tests/twins.rs`). Constants
//! shared with Rust reach the shaders through a prelude generated from the Rust definitions
//! ([`shaders::prelude`]); the parameter structs are `#[repr(C)]` bytemuck types checked against
//! the shader with naga ([`layout`]); buffers are bound by the names of the bindings naga reads
//! from the module ([`bindings`]). [`setup`] builds a backend, [`backend`] runs it.

pub mod backend;
pub mod bindings;
pub mod context;
pub mod error;
pub mod layout;
pub mod setup;
pub mod shaders;

pub use backend::GpuBackend;
pub use context::GpuContext;
pub use error::GpuError;
