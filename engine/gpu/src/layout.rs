//! What the host and the shaders share: the structs, byte for byte, and the codes the shaders
//! compare with. The structs' WGSL twins are `common.wgsl::Params` and `common.wgsl::Control`; a
//! test compares every member's offset with naga's layout of the shader (`tests` below). The
//! constants reach the shaders through the generated prelude (`crate::shaders::prelude`), so
//! the two cannot drift apart silently.

use bytemuck::{Pod, Zeroable};

/// Run constants (a uniform buffer). WGSL twin: `common.wgsl::Params`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Pod, Zeroable)]
pub struct Params {
    pub nx: u32,
    pub ny: u32,
    pub cells: u32,
    pub groups_x: u32,
    pub dx: f32,
    pub dy: f32,
    pub g: f32,
    pub h_dry: f32,
    pub courant: f32,
    pub max_dt: f32,
    pub min_dt: f32,
    pub arrival_depth: f32,
    pub bc_west: u32,
    pub bc_east: u32,
    pub bc_south: u32,
    pub bc_north: u32,
    pub slope_west: f32,
    pub slope_east: f32,
    pub slope_south: f32,
    pub slope_north: f32,
    pub n_partials: u32,
    pub active_cells: u32,
    pub n_sources: u32,
    pub theta: f32,
    /// Runge–Kutta stages per step: 2 for fv2, 1 otherwise.
    pub rk_stages: u32,
    /// 1 when an infiltration model is set.
    pub infiltration: u32,
    pub n_frames: u32,
    pub n_segments: u32,
    pub n_seg_faces: u32,
    pub n_track_faces: u32,
    pub n_sections: u32,
    /// 1 when the model has rain (uniform or gridded).
    pub rain: u32,
}

/// Time-step state on the device. WGSL twin: `common.wgsl::Control`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct Control {
    pub remaining: f32,
    pub elapsed: f32,
    pub t_base: f32,
    pub dt: f32,
    pub rain_step: f32,
    pub max_rate: f32,
    pub done: u32,
    pub steps: u32,
    pub failed: u32,
    /// fv2: 0 in the first Runge–Kutta stage, 1 in the second.
    pub stage: u32,
    pub frame_lo: u32,
    pub frame_hi: u32,
    /// Uniform rain fallen since the start of the run (m), up to the end of the last step.
    pub rain_before: f32,
    /// Always 1.0: an opaque one for the shaders' error-free sums (see `common.wgsl`).
    pub one: f32,
    pub pad1: u32,
    pub pad2: u32,
    /// Inflow, outflow, rain, positivity correction, point sources, infiltration (m^3) of
    /// this call, as (hi, lo) pairs (indices `LEDGER_*`).
    pub ledger: [[f32; 2]; 6],
}

impl Default for Control {
    /// Everything zero but `one`.
    fn default() -> Self {
        Self {
            one: 1.0,
            ..Zeroable::zeroed()
        }
    }
}

/// Boundary kinds as the shaders number them (`Params::bc_west` ...).
pub const BC_WALL: u32 = 0;
pub const BC_FREE: u32 = 1;
pub const BC_NORMAL_DEPTH: u32 = 2;

/// Infiltration models as the shaders number them (the first member of each cell's parameters,
/// stored as f32): see `numerics/infiltration.wgsl::potential_loss_m`.
pub const INFIL_NONE: u32 = 0;
pub const INFIL_CONSTANT: u32 = 1;
pub const INFIL_HORTON: u32 = 2;
pub const INFIL_GREEN_AMPT: u32 = 3;
pub const INFIL_SCS: u32 = 4;

/// Boundary segment kinds (the first member of a segment's info, stored as f32).
pub const SEG_INFLOW: u32 = 0;
pub const SEG_STAGE: u32 = 1;
/// Flags of a segment face: a y face; the ghost is on the high (east or north) side.
pub const SEG_FACE_Y: u32 = 1;
pub const SEG_FACE_HIGH: u32 = 2;

/// Series ids: the uniform rain, then the point sources (then the segments' hydrographs).
pub const SERIES_RAIN: u32 = 0;
pub const SERIES_FIRST_SOURCE: u32 = 1;

/// Why a run stopped on the device (`Control::failed`; 0 while it runs).
pub const FAILED_NON_FINITE: u32 = 1;
pub const FAILED_DT_COLLAPSED: u32 = 2;

/// The terms of `Control::ledger`.
pub const LEDGER_INFLOW: u32 = 0;
pub const LEDGER_OUTFLOW: u32 = 1;
pub const LEDGER_RAIN: u32 = 2;
pub const LEDGER_CORRECTION: u32 = 3;
pub const LEDGER_SOURCES: u32 = 4;
pub const LEDGER_INFILTRATION: u32 = 5;

/// A cell's arrival time in the maxima while the flood has not reached it (the CPU's NaN: WGSL
/// may assume there are no NaNs).
pub const ARRIVAL_NOT_YET: f32 = -1.0;

/// Threads per workgroup of every cell and face kernel (`@workgroup_size(WORKGROUP)`).
pub const WORKGROUP: u32 = 256;

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    /// Offsets and size of struct `name` in the shader module, from naga's layouter.
    fn wgsl_layout(name: &str) -> (Vec<(String, u32)>, u32) {
        let src = crate::shaders::source(basintwin_core::Scheme::Fv1);
        let module = naga::front::wgsl::parse_str(&src).unwrap();
        let mut layouter = naga::proc::Layouter::default();
        layouter.update(module.to_ctx()).unwrap();
        let (handle, ty) = module
            .types
            .iter()
            .find(|(_, t)| t.name.as_deref() == Some(name))
            .unwrap();
        match &ty.inner {
            naga::TypeInner::Struct { members, span } => (
                members
                    .iter()
                    .map(|m| (m.name.clone().unwrap_or_default(), m.offset))
                    .collect(),
                {
                    let _ = handle;
                    *span
                },
            ),
            other => panic!("{name} is not a struct: {other:?}"),
        }
    }

    macro_rules! rust_offsets {
        ($t:ty, $($f:ident),*) => {
            vec![$((stringify!($f).to_string(), offset_of!($t, $f) as u32)),*]
        };
    }

    #[test]
    fn params_match_the_shader() {
        let (wgsl, size) = wgsl_layout("Params");
        let rust = rust_offsets!(
            Params,
            nx,
            ny,
            cells,
            groups_x,
            dx,
            dy,
            g,
            h_dry,
            courant,
            max_dt,
            min_dt,
            arrival_depth,
            bc_west,
            bc_east,
            bc_south,
            bc_north,
            slope_west,
            slope_east,
            slope_south,
            slope_north,
            n_partials,
            active_cells,
            n_sources,
            theta,
            rk_stages,
            infiltration,
            n_frames,
            n_segments,
            n_seg_faces,
            n_track_faces,
            n_sections,
            rain
        );
        assert_eq!(wgsl, rust);
        assert_eq!(size as usize, size_of::<Params>());
    }

    #[test]
    fn control_matches_the_shader() {
        let (wgsl, size) = wgsl_layout("Control");
        let rust = rust_offsets!(
            Control,
            remaining,
            elapsed,
            t_base,
            dt,
            rain_step,
            max_rate,
            done,
            steps,
            failed,
            stage,
            frame_lo,
            frame_hi,
            rain_before,
            one,
            pad1,
            pad2,
            ledger
        );
        assert_eq!(wgsl, rust);
        assert_eq!(size as usize, size_of::<Control>());
    }
}
