//! Data assimilation: pulling an ensemble towards observations. The first method is the
//! ensemble transform Kalman filter ([`etkf`]), whose analysis is a linear combination of the
//! members computed in ensemble space (N x N for N members), so that a basin of millions of
//! cells is updated cell by cell without forming any state-space matrix.

pub mod etkf;
pub mod localization;

pub use etkf::{Weights, etkf_weights, letkf_weights};
pub use localization::gaspari_cohn;
