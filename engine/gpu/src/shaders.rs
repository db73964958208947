//! The WGSL sources, assembled per scheme: `common.wgsl` (types and pointwise physics), the
//! scheme's kernels, `step.wgsl` (time step and water budget on the device) and `forcing.wgsl`
//! (gridded rain, point sources, infiltration) and `segments.wgsl` (inflow and stage
//! boundary segments, cross-sections). WGSL has no
//! includes, so a module is the concatenation; `cargo test` validates each with naga.

use basintwin_core::Scheme;

pub const COMMON: &str = include_str!("../../../shaders/common.wgsl");
pub const STEP: &str = include_str!("../../../shaders/step.wgsl");
pub const FORCING: &str = include_str!("../../../shaders/forcing.wgsl");
pub const SEGMENTS: &str = include_str!("../../../shaders/segments.wgsl");
/// fv1 and fv2 share one module (as they share their passes on the CPU).
pub const FV: &str = include_str!("../../../shaders/fv.wgsl");
pub const INERTIAL: &str = include_str!("../../../shaders/inertial.wgsl");

/// The complete module of `scheme`, or `None` when the GPU backend does not have it yet.
pub fn scheme_source(scheme: Scheme) -> Option<String> {
    let body = match scheme {
        Scheme::Fv1 | Scheme::Fv2 => FV,
        Scheme::Inertial => INERTIAL,
    };
    Some(format!("{COMMON}\n{body}\n{STEP}\n{FORCING}\n{SEGMENTS}"))
}

/// Like [`scheme_source`], for tests: the fv1 module stands in for schemes not ported yet.
#[cfg(test)]
pub fn source(scheme: Scheme) -> String {
    scheme_source(scheme).unwrap_or_else(|| format!("{COMMON}\n{FV}\n{STEP}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every module parses and validates with naga, on any machine (no adapter needed).
    #[test]
    fn every_module_validates() {
        for scheme in Scheme::ALL {
            let Some(src) = scheme_source(scheme) else {
                continue;
            };
            let module = match naga::front::wgsl::parse_str(&src) {
                Ok(m) => m,
                Err(e) => panic!("{scheme}: {}", e.emit_to_string(&src)),
            };
            let mut v = naga::valid::Validator::new(
                naga::valid::ValidationFlags::all(),
                naga::valid::Capabilities::empty(),
            );
            if let Err(e) = v.validate(&module) {
                panic!("{scheme}: {}", e.emit_to_string(&src));
            }
            for entry in ["plan", "finish", "update", "volume"] {
                assert!(
                    module.entry_points.iter().any(|e| e.name == entry),
                    "{scheme}: entry point {entry}"
                );
            }
        }
    }

    /// Each WGSL function that has a Rust twin names it in a comment right above it.
    #[test]
    fn wgsl_functions_name_their_rust_twins() {
        for (file, src) in [
            ("common.wgsl", COMMON),
            ("fv.wgsl", FV),
            ("step.wgsl", STEP),
            ("forcing.wgsl", FORCING),
            ("segments.wgsl", SEGMENTS),
        ] {
            let lines: Vec<&str> = src.lines().collect();
            for (k, l) in lines.iter().enumerate() {
                let Some(name) = l.strip_prefix("fn ") else {
                    continue;
                };
                let name = name.split('(').next().unwrap_or("");
                let entry = k > 0 && lines[k - 1].starts_with("@compute");
                if entry {
                    // Entry points are listed, with their twins, in the file's header.
                    let header: String = lines
                        .iter()
                        .take_while(|l| l.starts_with("//"))
                        .copied()
                        .collect::<Vec<_>>()
                        .join("\n");
                    assert!(
                        header.contains(name),
                        "{file}: entry point {name} is not described in the header"
                    );
                } else {
                    assert!(
                        lines[k.saturating_sub(3)..k]
                            .iter()
                            .any(|l| l.starts_with("//")),
                        "{file}: fn {name} has no comment saying what it is (and its Rust twin)"
                    );
                }
            }
        }
    }
}
