//! A dam break in a winding valley, run through the library API: prints progress, the mass
//! balance and the speed in cell updates per second.
//!
//! `cargo run --release -p basintwin-examples --bin dam_break -- [SCHEME] [f32|f64] [NX NY]`

use std::process::ExitCode;

use basintwin_core::{
    Backend, CpuBackend, FnRecorder, Output, OutputPlan, OutputSchedule, Precision, Real,
    RecordError, Recorders, RunSummary, Scheme, SolverConfig, State, cases, run,
};

fn main() -> ExitCode {
    match main_inner() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn main_inner() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let scheme: Scheme = args.first().map_or(Ok(Scheme::Fv1), |s| s.parse())?;
    let precision: Precision = args.get(1).map_or(Ok(Precision::F32), |s| s.parse())?;
    let parse = |k: usize, d: usize| -> Result<usize, String> {
        args.get(k).map_or(Ok(d), |s| {
            s.parse().map_err(|e| format!("grid size '{s}': {e}"))
        })
    };
    let (nx, ny) = (parse(2, 400)?, parse(3, 150)?);
    let summary = match precision {
        Precision::F32 => simulate::<f32>(scheme, nx, ny),
        Precision::F64 => simulate::<f64>(scheme, nx, ny),
    }
    .map_err(|e| e.to_string())?;
    println!("{}", summary.ledger);
    println!(
        "{} steps on {} cells in {:.2} s wall: {:.1} M cell updates/s ({})",
        summary.steps,
        summary.cells,
        summary.wall_s,
        summary.cell_updates_per_s / 1e6,
        summary.backend
    );
    Ok(())
}

fn simulate<R: Real>(
    scheme: Scheme,
    nx: usize,
    ny: usize,
) -> Result<RunSummary, Box<dyn std::error::Error>> {
    let case = cases::valley_dam_break(nx, ny, 20.0)?;
    println!(
        "{}: {} x {} cells of 20 m, scheme {scheme}, {}",
        case.name,
        nx,
        ny,
        R::NAME
    );
    let mut backend = CpuBackend::<R>::new(
        case.grid.clone(),
        &case.terrain,
        State::from_depth(&case.depth_m),
        SolverConfig::new(scheme),
        None,
    )?;
    let schedule = OutputSchedule::every(300.0, 1800.0)?;
    let plan = OutputPlan::from_schedule(&schedule);
    let mut progress = FnRecorder(|out: &Output<'_, R>| -> Result<(), RecordError> {
        let wet = out.state.h.iter().filter(|h| h.f64() > 0.01).count();
        println!(
            "  t = {:>6.0} s  steps {:>6}  flooded cells {:>7}  volume {:>12.1} m^3  balance error {:.1e}",
            out.time_s,
            out.steps,
            wet,
            out.ledger.volume_m3,
            out.ledger.relative_error()
        );
        Ok(())
    });
    let outcome = run(
        &mut backend,
        &plan,
        &mut Recorders::new().with(&mut progress),
    )?;
    let summary = outcome.summary().clone();
    let mut maxima = basintwin_core::Maxima::new(case.grid.cells());
    backend.read_maxima(&mut maxima)?;
    let reached = maxima.arrival_s.iter().filter(|a| !a.is_nan()).count();
    let deepest = maxima.depth_m.iter().fold(0.0f64, |m, d| m.max(d.f64()));
    println!("  flooded at some time: {reached} cells; deepest water {deepest:.2} m");
    Ok(summary)
}
