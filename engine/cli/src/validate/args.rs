//! The command line of `basintwin validate` and what it asks for: the cases, schemes, backends
//! and precisions to run, and the report folder.

use std::path::PathBuf;

use anyhow::{Result, anyhow};
use basintwin_core::Scheme;
use basintwin_runner::run::InputError;
use clap::Args;

use super::cases::Case;

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Case(s): lake_at_rest, ritter, stoker, dam_break_step, thacker, thacker_radial,
    /// macdonald, macdonald_rain, macdonald_jump, rain_plane, radial_dam_break, soares_frazao (measured
    /// flume data) and ea_test4 (EA benchmark Test 4) — the last two when ../shared/validation
    /// is present, not in --quick unless named — or all (repeatable).
    #[arg(long, default_value = "all")]
    case: Vec<String>,
    /// Scheme(s): inertial, fv1, fv2 or all.
    #[arg(long, default_value = "all")]
    scheme: Vec<String>,
    /// Backend(s): cpu, gpu or all (the GPU runs f32 only).
    #[arg(long, default_value = "cpu")]
    backend: Vec<String>,
    /// Precision(s): f32, f64 or all.
    #[arg(long, default_value = "f64")]
    precision: Vec<String>,
    /// Coarse grids (under two minutes on 2 cores; what CI runs).
    #[arg(long)]
    quick: bool,
    /// Report folder.
    #[arg(long, default_value = "validation")]
    out: PathBuf,
    /// Replace an existing report.
    #[arg(long)]
    overwrite: bool,
}

/// What a `validate` command runs.
#[derive(Debug)]
pub(super) struct Plan {
    /// The cases with a closed form (or a symmetry), in the order of [`Case::ALL`] asked.
    pub cases: Vec<Case>,
    /// The Soares-Frazão flume (measured data).
    pub flume: bool,
    /// EA Test 4.
    pub ea4: bool,
    pub schemes: Vec<Scheme>,
    /// (backend, precision) pairs: the GPU computes in f32 only.
    pub combos: Vec<(String, String)>,
    pub quick: bool,
    /// The report folder.
    pub out: PathBuf,
}

impl Plan {
    /// The plan of `args` (an unknown case, scheme, backend or precision is an input error).
    pub fn new(args: &ValidateArgs) -> Result<Plan> {
        let mut case_names: Vec<&str> = Case::ALL.iter().map(|c| c.name()).collect();
        case_names.push("soares_frazao");
        case_names.push("ea_test4");
        let wanted = expand(&args.case, &case_names, "case")?;
        let cases: Vec<Case> = wanted
            .iter()
            .filter_map(|n| Case::ALL.into_iter().find(|c| c.name() == n))
            .collect();
        let named_flume = args.case.iter().any(|c| c.contains("soares_frazao"));
        let flume = wanted.iter().any(|c| c == "soares_frazao") && (!args.quick || named_flume);
        let named_ea4 = args.case.iter().any(|c| c.contains("ea_test4"));
        let ea4 = wanted.iter().any(|c| c == "ea_test4") && (!args.quick || named_ea4);
        let schemes: Vec<Scheme> = expand(&args.scheme, &["inertial", "fv1", "fv2"], "scheme")?
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect();
        let backends = expand(&args.backend, &["cpu", "gpu"], "backend")?;
        let precisions = expand(&args.precision, &["f32", "f64"], "precision")?;
        let mut combos: Vec<(String, String)> = Vec::new();
        for b in &backends {
            for p in &precisions {
                if b == "gpu" && p == "f64" {
                    continue; // the GPU computes in f32
                }
                combos.push((b.clone(), p.clone()));
            }
        }
        Ok(Plan {
            cases,
            flume,
            ea4,
            schemes,
            combos,
            quick: args.quick,
            out: args.out.clone(),
        })
    }
}

/// Creates the report folder of `args`; a report already there is an input error unless
/// `--overwrite`.
pub(super) fn create_report_folder(args: &ValidateArgs) -> Result<()> {
    let (out, overwrite) = (&args.out, args.overwrite);
    if out.join("index.md").exists() && !overwrite {
        return Err(anyhow!(InputError(format!(
            "{}: a report is already there; pass --overwrite to replace it, or choose another with --out",
            out.display()
        ))));
    }
    std::fs::create_dir_all(out).map_err(|e| {
        anyhow!(InputError(format!(
            "{}: cannot create the report folder: {e}",
            out.display()
        )))
    })
}

/// The values of a repeatable, comma-separated option, `all` expanded to `all`, each once.
fn expand(values: &[String], all: &[&str], what: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        for part in v.split(',').map(str::trim) {
            if part == "all" {
                out.extend(all.iter().map(|s| s.to_string()));
            } else if all.contains(&part) {
                out.push(part.to_string());
            } else {
                return Err(anyhow!(InputError(format!(
                    "--{what} {part}: expected one of {} or all",
                    all.join(", ")
                ))));
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|x| seen.insert(x.clone()));
    Ok(out)
}

/// The backend of a `--backend` and `--precision` pair.
pub(super) fn choice(backend: &str, precision: &str) -> Result<basintwin_runner::BackendChoice> {
    let p = if precision == "f64" {
        basintwin_core::Precision::F64
    } else {
        basintwin_core::Precision::F32
    };
    basintwin_runner::BackendChoice::new(backend, p).map_err(|m| anyhow!(InputError(m)))
}
