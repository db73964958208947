//! The WGSL sources and how a module is assembled from them.
//!
//! `shaders/` is laid out like `basintwin-core`: `numerics/<module>.wgsl` holds the pointwise
//! functions of `engine/core/src/numerics/<module>.rs` under the same names, `maxima.wgsl` those
//! of `maxima.rs`; these are pure (no bindings). The kernels are in separate files:
//! `common.wgsl` (the structs and bindings every module shares), the scheme's kernels (`fv.wgsl`
//! for fv1 and fv2 with `fv1_stage.wgsl` or `fv2_stage.wgsl`, `inertial.wgsl`), `step.wgsl` (time step and water budget on the device),
//! `forcing.wgsl` (gridded rain, point sources, infiltration) and `segments.wgsl` (inflow and
//! stage boundary segments, cross-sections).
//!
//! WGSL has no includes, so a module is the concatenation, after a [`prelude`] of constants
//! generated from their Rust definitions (no `.wgsl` file declares them; a test checks). `cargo
//! test` validates every module with naga, and `tests/twins.rs` checks that every twin named
//! in a comment, Rust or WGSL, exists.

use basintwin_core::Scheme;

/// `(path under shaders/, source)` of one file.
pub type ShaderFile = (&'static str, &'static str);

macro_rules! shader {
    ($path:literal) => {
        ($path, include_str!(concat!("../../../shaders/", $path)))
    };
}

/// The pointwise functions, one file per module of `basintwin-core` (twins of the same names).
pub const NUMERICS: [ShaderFile; 10] = [
    shader!("numerics/mod.wgsl"),
    shader!("numerics/riemann.wgsl"),
    shader!("numerics/reconstruction.wgsl"),
    shader!("numerics/fv1.wgsl"),
    shader!("numerics/fv2.wgsl"),
    shader!("numerics/inertial.wgsl"),
    shader!("numerics/friction.wgsl"),
    shader!("numerics/cfl.wgsl"),
    shader!("numerics/infiltration.wgsl"),
    shader!("maxima.wgsl"),
];
pub const COMMON: ShaderFile = shader!("common.wgsl");
pub const STEP: ShaderFile = shader!("step.wgsl");
pub const FORCING: ShaderFile = shader!("forcing.wgsl");
pub const SEGMENTS: ShaderFile = shader!("segments.wgsl");
/// fv1 and fv2 share their passes (as on the CPU); what a stage reads and writes is each one's.
pub const FV: ShaderFile = shader!("fv.wgsl");
pub const FV1_STAGE: ShaderFile = shader!("fv1_stage.wgsl");
pub const FV2_STAGE: ShaderFile = shader!("fv2_stage.wgsl");
pub const INERTIAL: ShaderFile = shader!("inertial.wgsl");

/// Every `.wgsl` file of `shaders/`.
pub fn files() -> Vec<ShaderFile> {
    let mut all = NUMERICS.to_vec();
    all.extend([
        COMMON, FV, FV1_STAGE, FV2_STAGE, INERTIAL, STEP, FORCING, SEGMENTS,
    ]);
    all
}

/// The value of a constant shared with the shaders, as WGSL sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    F32(f32),
    U32(u32),
}

/// How a Rust constant becomes a WGSL one: f64 constants are rounded to f32 as the CPU backend's
/// `Real::c` does for its f32 kernels.
trait IntoValue {
    fn into_value(self) -> Value;
}

impl IntoValue for f64 {
    fn into_value(self) -> Value {
        Value::F32(self as f32)
    }
}

impl IntoValue for f32 {
    fn into_value(self) -> Value {
        Value::F32(self)
    }
}

impl IntoValue for u32 {
    fn into_value(self) -> Value {
        Value::U32(self)
    }
}

/// A constant that Rust and WGSL share: it is defined in Rust only and reaches the shaders
/// through the [`prelude`], under the same name.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SharedConst {
    pub name: &'static str,
    pub value: Value,
    /// Where it is defined, e.g. `basintwin_core::numerics::reconstruction::LIMITER_THETA`.
    pub rust_path: &'static str,
}

macro_rules! shared {
    ($($module:ident)::+ ; $name:ident) => {
        SharedConst {
            name: stringify!($name),
            value: IntoValue::into_value($($module)::+::$name),
            rust_path: concat!($(stringify!($module), "::",)+ stringify!($name)),
        }
    };
}

/// Every constant shared by the Rust code and the shaders.
pub fn shared_constants() -> Vec<SharedConst> {
    vec![
        shared!(basintwin_core::numerics::reconstruction; LIMITER_THETA),
        shared!(basintwin_core::numerics::infiltration; SCS_INITIAL_ABSTRACTION_RATIO),
        shared!(basintwin_core::numerics::infiltration; HORTON_NEWTON_ITERATIONS),
        shared!(basintwin_core::numerics::infiltration; GREEN_AMPT_NEWTON_ITERATIONS),
        shared!(basintwin_core::maxima; HAZARD_SPEED_OFFSET_M_S),
        shared!(basintwin_core::forcing; MM_H_PER_M_S),
        shared!(basintwin_core::forcing; INFLOW_LOW_BAND_M),
        shared!(basintwin_core::forcing; INFLOW_MOMENTUM_MIN_DEPTH_M),
        shared!(crate::layout; WORKGROUP),
        shared!(crate::layout; BC_WALL),
        shared!(crate::layout; BC_FREE),
        shared!(crate::layout; BC_NORMAL_DEPTH),
        shared!(crate::layout; INFIL_NONE),
        shared!(crate::layout; INFIL_CONSTANT),
        shared!(crate::layout; INFIL_HORTON),
        shared!(crate::layout; INFIL_GREEN_AMPT),
        shared!(crate::layout; INFIL_SCS),
        shared!(crate::layout; SEG_INFLOW),
        shared!(crate::layout; SEG_STAGE),
        shared!(crate::layout; SEG_FACE_Y),
        shared!(crate::layout; SEG_FACE_HIGH),
        shared!(crate::layout; SERIES_RAIN),
        shared!(crate::layout; SERIES_FIRST_SOURCE),
        shared!(crate::layout; FAILED_NON_FINITE),
        shared!(crate::layout; FAILED_DT_COLLAPSED),
        shared!(crate::layout; LEDGER_INFLOW),
        shared!(crate::layout; LEDGER_OUTFLOW),
        shared!(crate::layout; LEDGER_RAIN),
        shared!(crate::layout; LEDGER_CORRECTION),
        shared!(crate::layout; LEDGER_SOURCES),
        shared!(crate::layout; LEDGER_INFILTRATION),
        shared!(crate::layout; ARRIVAL_NOT_YET),
    ]
}

/// The WGSL literal of `v`, exact: Rust's shortest round-trip decimal with the `f` suffix, so
/// that the shader compiler parses it straight to the same f32 (checked by a test).
fn literal(v: Value) -> String {
    match v {
        Value::F32(x) => format!("{x:?}f"),
        Value::U32(n) => format!("{n}u"),
    }
}

/// The WGSL declarations of [`shared_constants`], which every module starts with.
pub fn prelude() -> String {
    let mut out = String::from(
        "// Prelude generated by `basintwin_gpu::shaders::prelude` from the Rust constants;\n\
         // no .wgsl file declares these itself.\n",
    );
    for c in shared_constants() {
        let ty = match c.value {
            Value::F32(_) => "f32",
            Value::U32(_) => "u32",
        };
        out.push_str(&format!(
            "// {}\nconst {}: {ty} = {};\n",
            c.rust_path,
            c.name,
            literal(c.value)
        ));
    }
    out
}

/// The prelude and the pointwise functions alone (no bindings, no entry points): what a kernel
/// of its own can call, e.g. the pointwise test's.
pub fn numerics_source() -> String {
    let mut out = prelude();
    for (_, src) in NUMERICS {
        out.push('\n');
        out.push_str(src);
    }
    out
}

/// The complete module of `scheme`, or `None` when the GPU backend does not have it yet.
pub fn scheme_source(scheme: Scheme) -> Option<String> {
    let kernels: &[ShaderFile] = match scheme {
        Scheme::Fv1 => &[FV, FV1_STAGE],
        Scheme::Fv2 => &[FV, FV2_STAGE],
        Scheme::Inertial => &[INERTIAL],
    };
    let mut out = numerics_source();
    let files = [COMMON]
        .iter()
        .chain(kernels)
        .chain(&[STEP, FORCING, SEGMENTS]);
    for (_, src) in files {
        out.push('\n');
        out.push_str(src);
    }
    Some(out)
}

/// Like [`scheme_source`], for tests: the fv1 module stands in for schemes not ported yet.
#[cfg(test)]
pub fn source(scheme: Scheme) -> String {
    scheme_source(scheme).unwrap_or_else(|| scheme_source(Scheme::Fv1).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(what: &str, src: &str) -> naga::Module {
        match naga::front::wgsl::parse_str(src) {
            Ok(m) => m,
            Err(e) => panic!("{what}: {}", e.emit_to_string(src)),
        }
    }

    fn validate(what: &str, src: &str, module: &naga::Module) {
        let mut v = naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::empty(),
        );
        if let Err(e) = v.validate(module) {
            panic!("{what}: {}", e.emit_to_string(src));
        }
    }

    /// Every module parses and validates with naga, on any machine (no adapter needed).
    #[test]
    fn every_module_validates() {
        for scheme in Scheme::ALL {
            let Some(src) = scheme_source(scheme) else {
                continue;
            };
            let module = parse(scheme.name(), &src);
            validate(scheme.name(), &src, &module);
            for entry in ["plan", "finish", "update", "volume"] {
                assert!(
                    module.entry_points.iter().any(|e| e.name == entry),
                    "{scheme}: entry point {entry}"
                );
            }
        }
    }

    /// The pointwise files are pure: with the prelude alone they validate, and they declare no
    /// bindings, no global variables and no entry points.
    #[test]
    fn numerics_are_pure_functions() {
        let src = numerics_source();
        let module = parse("numerics", &src);
        validate("numerics", &src, &module);
        assert!(
            module.global_variables.is_empty(),
            "the numerics files declare global variables: {:?}",
            module
                .global_variables
                .iter()
                .map(|(_, g)| g.name.clone())
                .collect::<Vec<_>>()
        );
        assert!(module.entry_points.is_empty());
    }

    /// The list of files is the folder: no `.wgsl` file is left out of the modules and tests.
    #[test]
    fn every_shader_file_is_listed() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shaders");
        let mut on_disk = Vec::new();
        let mut dirs = vec![root.clone()];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "wgsl") {
                    let rel = p
                        .strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/");
                    on_disk.push(rel);
                }
            }
        }
        on_disk.sort();
        let mut listed: Vec<String> = files().iter().map(|f| f.0.to_string()).collect();
        listed.sort();
        assert_eq!(on_disk, listed);
    }

    /// The prelude's constants are exactly the Rust values, bit for bit, as naga reads them.
    #[test]
    fn prelude_values_are_the_rust_values() {
        let src = prelude();
        let module = parse("prelude", &src);
        let shared = shared_constants();
        assert_eq!(module.constants.len(), shared.len());
        for c in &shared {
            let (_, k) = module
                .constants
                .iter()
                .find(|(_, k)| k.name.as_deref() == Some(c.name))
                .unwrap_or_else(|| panic!("{} is not in the prelude", c.name));
            let lit = match module.global_expressions[k.init] {
                naga::Expression::Literal(l) => l,
                ref other => panic!("{}: {other:?}", c.name),
            };
            match (c.value, lit) {
                (Value::F32(x), naga::Literal::F32(y)) => {
                    assert_eq!(x.to_bits(), y.to_bits(), "{}: {x} vs {y}", c.name);
                }
                (Value::U32(x), naga::Literal::U32(y)) => assert_eq!(x, y, "{}", c.name),
                (v, l) => panic!("{}: {v:?} became {l:?}", c.name),
            }
        }
        let mut names: Vec<&str> = shared.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), shared.len(), "a shared name twice");
    }

    /// The code of a WGSL file without its comments.
    fn code(src: &str) -> String {
        src.lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// No `.wgsl` file declares a shared constant itself: it comes from the prelude only.
    #[test]
    fn no_shader_declares_a_shared_constant() {
        let shared = shared_constants();
        for (file, src) in files() {
            for line in code(src).lines() {
                let t = line.trim_start();
                for kw in ["const ", "override ", "var ", "let ", "alias "] {
                    let Some(rest) = t.strip_prefix(kw) else {
                        continue;
                    };
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    assert!(
                        !shared.iter().any(|c| c.name == name),
                        "{file} declares {name} itself: it is generated from Rust ({})",
                        shared
                            .iter()
                            .find(|c| c.name == name)
                            .map_or("", |c| c.rust_path)
                    );
                }
            }
        }
    }

    /// No `.wgsl` file writes the value of a shared f32 constant as a literal (the copy a
    /// comment used to keep in step): a GPU-only constant of the same value must be a named
    /// `const` of its own.
    #[test]
    fn shared_values_are_not_written_as_literals() {
        let values: Vec<(f32, &str)> = shared_constants()
            .iter()
            .filter_map(|c| match c.value {
                Value::F32(x) => Some((x, c.name)),
                Value::U32(_) => None,
            })
            // A half is arithmetic too (g h^2 / 2, cell centres): the hazard's 0.5 m/s is
            // used by name, but a 0.5 elsewhere is not a copy of it.
            .filter(|(x, _)| *x != 0.5)
            .collect();
        for (file, src) in files() {
            for line in code(src).lines() {
                if line.trim_start().starts_with("const ") {
                    continue;
                }
                let mut rest = line;
                while !rest.is_empty() {
                    let start = rest
                        .find(|c: char| c.is_ascii_digit())
                        .unwrap_or(rest.len());
                    let before = rest[..start].chars().last();
                    rest = &rest[start..];
                    let len = rest
                        .find(|c: char| {
                            !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+'))
                        })
                        .unwrap_or(rest.len());
                    let token = &rest[..len];
                    rest = &rest[len..];
                    // Digits inside an identifier (vec4, f32) are not literals.
                    if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                        continue;
                    }
                    let number = token.trim_end_matches('f');
                    if !(number.contains('.') || number.contains('e')) {
                        continue;
                    }
                    let Ok(x) = number.parse::<f64>() else {
                        continue;
                    };
                    if let Some((_, name)) = values.iter().find(|(v, _)| *v == x as f32) {
                        panic!("{file}: the literal {token} is {name}: use the constant");
                    }
                }
            }
        }
    }
}
