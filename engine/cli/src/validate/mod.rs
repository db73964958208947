//! `basintwin validate`: the built-in validation cases, each at three resolutions, against
//! their closed-form solutions, with a report (`index.md`, PNG plots) giving the two numbers a
//! researcher picks a model by: how wrong it is and how long it takes.
//!
//! Cases and references (the formulas are in `basintwin_core::analytic`):
//! - `lake_at_rest`: a lake over a bed with an emerged bump and a dry island — must stay at rest
//!   to round-off (well-balancing; Audusse et al. 2004).
//! - `ritter`: dam break on a dry bed (Ritter 1892); `stoker`: on a wet bed (Stoker 1957);
//!   `dam_break_step`: over a step up in the bed (Alcrudo & Benkhaldoun 2001) — discharge and
//!   energy conserved across the step.
//! - `thacker`: Thacker's (1981) planar surface in a paraboloid, after one period (moving
//!   shorelines; SWASHES, Delestre et al. 2013); `thacker_radial`: his radially symmetric
//!   breathing paraboloid, after one period.
//! - `macdonald`: MacDonald et al.'s (1997) steady subcritical flow with Manning friction over
//!   the bed that makes a given depth profile steady, inflow and stage boundaries (SWASHES
//!   3.1.1), after 1500 s; `macdonald_rain`: the same with rain growing the discharge along
//!   the channel (SWASHES 3.1.5 in spirit: q = 1 + 5e-4 x m^2/s), after 2500 s;
//!   `macdonald_jump`: the short channel with a transcritical flow and a standing hydraulic
//!   jump (SWASHES 3.1.4), after 600 s.
//! - `rain_plane`: rain (30 mm/h) on a dry 1000 m plane of 1 % slope, n = 0.03, draining at
//!   normal depth, after 1800 s (rising limb): the kinematic-wave solution of overland flow
//!   (Wooding 1965; `analytic::KinematicPlane`); the cells drop 4–15 times the sheet's depth.
//! - `soares_frazao`: the Soares-Frazão & Zech (2007) flume against its measured gauges;
//!   `ea_test4`: the UK EA benchmark Test 4 (Néelz & Pender 2013), our arrival times and peak
//!   depths at its output points per resolution (its peer results are not available).
//! - `radial_dam_break`: a cylinder of water released on a flat bed — no closed form, but the
//!   solution keeps the square grid's symmetries: the "error" is the largest difference between
//!   the depth and its transposed and mirrored images.
//!
//! Each row: case, scheme, backend, precision, cells, steps, L1 and L-infinity depth errors,
//! relative mass error, wall time, cell updates per second; observed orders between successive
//! resolutions. Checks (the `--quick` mode runs them in CI): well-balanced to round-off, mass
//! error below its bound, fv1 and fv2 orders within stated ranges on the dam breaks, fv2 more
//! accurate than fv1 on the smooth Thacker case. A failed check is reported and gives exit 1.

//!
//! The module by concern: `args` (the command line and what it asks for), `cases` (the cases and
//! their set-ups; those the physics tests share come from `basintwin_core::cases`), `runs` (one
//! run through `basintwin_runner::dispatch` and its numbers), `checks`, `report` (`index.md`,
//! `results.json`, plots), and the measured cases `flume` and `ea4` (with what they share,
//! `gauges`).

use std::time::Instant;

use anyhow::{Context, Result};

mod args;
mod cases;
mod checks;
mod ea4;
mod flume;
mod gauges;
mod report;
mod runs;

pub use args::ValidateArgs;

use args::Plan;
use cases::Case;
use checks::ErrorsBy;
use report::{Curves, Report};
use runs::{Row, run_one};

/// Runs what `args` asks for and writes the report; an error when an argument is wrong, a run
/// fails or a check fails.
pub fn run(args: ValidateArgs) -> Result<()> {
    let plan = Plan::new(&args)?;
    args::create_report_folder(&args)?;
    let started = Instant::now();
    let mut report = Report::new(plan.quick);
    for case in &plan.cases {
        case_section(*case, &plan, &mut report)?;
    }
    if plan.flume {
        flume::section(&plan, &mut report)?;
    }
    if plan.ea4 {
        ea4::section(&plan, &mut report)?;
    }
    report.write(&plan.out, plan.quick, started)
}

/// Runs `case` at its three resolutions for every scheme, backend and precision, and writes its
/// section: the table, the checks, the plots.
fn case_section(case: Case, plan: &Plan, report: &mut Report) -> Result<()> {
    eprintln!("{} ...", case.title());
    report.open_case(case);
    let mut curves = Curves::default();
    let mut l1_at = ErrorsBy::default();
    for scheme in &plan.schemes {
        for (b, p) in &plan.combos {
            let mut series: Vec<Row> = Vec::new();
            for n in case.sizes(plan.quick) {
                let row = run_one(case, *scheme, b, p, n)
                    .with_context(|| format!("{} {scheme} {b} {p} {n}", case.name()))?;
                series.push(row);
            }
            report.table(case, &series);
            curves.add(case, format!("{scheme} {b} {p}"), &series);
            checks::of_series(case, *scheme, b, p, &series, &mut report.checks);
            l1_at.insert(
                (scheme.name().to_string(), b.clone(), p.clone()),
                series.iter().map(|r| r.l1_m).collect(),
            );
            report.rows.extend(series);
        }
    }
    checks::fv2_beats_fv1(case, &plan.combos, &l1_at, &mut report.checks);
    report.md.push('\n');
    let images = curves.plot(case, plan.quick, &plan.out)?;
    report.images(images);
    Ok(())
}
