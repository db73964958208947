//! `basintwin bench`: the researchers' matrix of scheme x backend x precision x size on the
//! synthetic flat dam break (every cell wet), in cell updates per second.

use std::time::Instant;

use anyhow::{Result, anyhow};
use basintwin_core::{CpuBackend, Real, Scheme, SolverConfig, State, cases};
use clap::Args;

use basintwin_runner::run::InputError;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Scheme(s): inertial, fv1, fv2 or all (repeatable).
    #[arg(long, default_value = "all")]
    scheme: Vec<String>,
    /// Backend(s): cpu, gpu (f32; BASINTWIN_ADAPTER picks the adapter) or all.
    #[arg(long, default_value = "cpu")]
    backend: Vec<String>,
    /// Precision(s): f32, f64 or all.
    #[arg(long, default_value = "all")]
    precision: Vec<String>,
    /// Grid side(s) in cells (n x n), or all (256, 1024, 2048).
    #[arg(long, default_value = "1024")]
    size: Vec<String>,
    /// Time steps measured per case (after one warm-up step).
    #[arg(long, default_value_t = 20)]
    steps: usize,
    /// CPU threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Print the results as JSON (with the machine: CPU, cores, threads, GPU adapter).
    #[arg(long)]
    json: bool,
    /// An earlier `bench --json` output: print each case's speed as a ratio to it.
    #[arg(long, value_name = "OLD.json")]
    baseline: Option<std::path::PathBuf>,
}

/// One earlier result: scheme, backend, precision, cells, cell updates per second.
type BaselineRow = (String, String, String, u64, f64);

/// The earlier results of `--baseline`.
fn read_baseline(path: &std::path::Path) -> Result<Vec<BaselineRow>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        anyhow!(InputError(format!(
            "--baseline {}: cannot read: {e}",
            path.display()
        )))
    })?;
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        anyhow!(InputError(format!(
            "--baseline {}: not JSON ({e}); expected the output of basintwin bench --json",
            path.display()
        )))
    })?;
    let rows = doc["results"].as_array().ok_or_else(|| {
        anyhow!(InputError(format!(
            "--baseline {}: no \"results\" list; expected the output of basintwin bench --json",
            path.display()
        )))
    })?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some((
                r["scheme"].as_str()?.to_string(),
                r["backend"].as_str()?.to_string(),
                r["precision"].as_str()?.to_string(),
                r["cells"].as_u64()?,
                r["cell_updates_per_s"].as_f64()?,
            ))
        })
        .collect())
}

fn expand(values: &[String], all: &[&str], what: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for v in values {
        for part in v.split(',') {
            let part = part.trim();
            if part == "all" {
                out.extend(all.iter().map(|s| s.to_string()));
            } else if all.contains(&part) || what == "size" {
                out.push(part.to_string());
            } else {
                return Err(anyhow!(InputError(format!(
                    "--{what} {part}: expected one of {} or all",
                    all.join(", ")
                ))));
            }
        }
    }
    out.dedup();
    Ok(out)
}

#[derive(Debug, serde::Serialize)]
struct Row {
    scheme: String,
    backend: String,
    precision: String,
    cells: usize,
    steps: usize,
    seconds: f64,
    cell_updates_per_s: f64,
}

impl Row {
    /// One line of the text table.
    fn print(&self, n: usize) {
        println!(
            "{:<9} {:<4} {:<4} {:>6}^2 {:>9.1} M cell updates/s",
            self.scheme,
            self.backend,
            self.precision,
            n,
            self.cell_updates_per_s / 1e6
        );
    }
}

fn measure<R: Real>(
    scheme: Scheme,
    n: usize,
    steps: usize,
    threads: Option<usize>,
) -> Result<(f64, String)> {
    let case = cases::flat_dam_break(n, n, 1.0).map_err(|e| anyhow!(InputError(e.to_string())))?;
    let mut b = CpuBackend::<R>::new(
        case.grid.clone(),
        &case.terrain,
        State::from_depth(&case.depth_m),
        SolverConfig::new(scheme),
        threads,
    )
    .map_err(|e| anyhow!(InputError(e.to_string())))?;
    let dt = b.stable_dt_s();
    b.step_fixed(dt)?;
    let t0 = Instant::now();
    for _ in 0..steps {
        b.step_fixed(dt)?;
    }
    let secs = t0.elapsed().as_secs_f64();
    Ok((secs, basintwin_core::Backend::describe(&b)))
}

/// Time on the GPU: the same case, advanced by CFL steps (chosen and reduced on the device, as
/// in a run) until about `steps` steps are done; returns (seconds, steps, adapter).
fn measure_gpu(
    ctx: basintwin_gpu::GpuContext,
    scheme: Scheme,
    n: usize,
    steps: usize,
) -> Result<(f64, u64, String)> {
    use basintwin_core::Backend;
    let case = cases::flat_dam_break(n, n, 1.0).map_err(|e| anyhow!(InputError(e.to_string())))?;
    let mut b = basintwin_gpu::GpuBackend::new(
        ctx,
        case.grid.clone(),
        &case.terrain,
        State::from_depth(&case.depth_m),
        SolverConfig::new(scheme),
    )
    .map_err(|e| anyhow!(InputError(format!("--backend gpu: {e}"))))?;
    // Warm up (pipelines, first submission); the CFL step of this case is about 0.09 s.
    b.advance_to(0.5)?;
    let (t0, s0) = (b.time_s(), b.steps());
    let dt = (t0 / s0.max(1) as f64).max(1e-6);
    let start = Instant::now();
    b.advance_to(t0 + dt * steps as f64)?;
    let secs = start.elapsed().as_secs_f64();
    Ok((secs, b.steps() - s0, b.adapter()))
}

pub fn run(args: BenchArgs) -> Result<()> {
    let baseline = match &args.baseline {
        Some(p) => Some(read_baseline(p)?),
        None => None,
    };
    let schemes = expand(&args.scheme, &["inertial", "fv1", "fv2"], "scheme")?;
    let backends = expand(&args.backend, &["cpu", "gpu"], "backend")?;
    let precisions = expand(&args.precision, &["f32", "f64"], "precision")?;
    let sizes = grid_sides(&args.size)?;
    if args.steps == 0 {
        return Err(anyhow!(InputError(
            "--steps 0: expected at least one step".into()
        )));
    }
    let matrix = Matrix {
        schemes: &schemes,
        precisions: &precisions,
        sizes: &sizes,
    };
    let mut rows = Vec::new();
    let mut adapter = None;
    if backends.iter().any(|b| b == "gpu") {
        adapter = Some(gpu_rows(&args, &matrix, &mut rows)?);
    }
    let mut machine = String::new();
    if backends.iter().any(|b| b == "cpu") {
        machine = cpu_rows(&args, &matrix, &mut rows)?;
    }
    let baseline = baseline.as_deref();
    if args.json {
        print_json(&args, &rows, baseline, machine, adapter)?;
    } else {
        if let (Some(old), Some(path)) = (baseline, &args.baseline) {
            print_ratios(&rows, old, path);
        }
        if !machine.is_empty() {
            println!("({machine})");
        }
        if let Some(a) = &adapter {
            println!("(gpu: {a})");
        }
    }
    Ok(())
}

/// The grid sides of `--size` (cells; `all` is 256, 1024 and 2048).
fn grid_sides(values: &[String]) -> Result<Vec<usize>> {
    let mut sizes = Vec::new();
    for s in expand(values, &["256", "1024", "2048"], "size")? {
        let n: usize = s.parse().map_err(|_| {
            anyhow!(InputError(format!(
                "--size {s}: expected a grid side in cells, e.g. 1024, or all"
            )))
        })?;
        if !(4..=32768).contains(&n) {
            return Err(anyhow!(InputError(format!(
                "--size {n}: expected 4 to 32768 cells"
            ))));
        }
        sizes.push(n);
    }
    Ok(sizes)
}

/// The schemes, precisions and grid sides asked for.
struct Matrix<'a> {
    schemes: &'a [String],
    precisions: &'a [String],
    sizes: &'a [usize],
}

/// Measures every scheme the GPU has at every size (f32), printing each result unless
/// `--json`; the adapter (`BASINTWIN_ADAPTER` picks it).
fn gpu_rows(args: &BenchArgs, m: &Matrix, rows: &mut Vec<Row>) -> Result<String> {
    // Probe once, so that a missing adapter is one clear error.
    let ctx = basintwin_gpu::GpuContext::from_env()
        .map_err(|e| anyhow!(InputError(format!("--backend gpu: {e}"))))?;
    let adapter = basintwin_gpu::context::describe(&ctx.info);
    drop(ctx);
    let gpu_schemes = basintwin_gpu::backend::schemes();
    for &n in m.sizes {
        for s in m.schemes {
            let scheme: Scheme = s.parse().map_err(|e: String| anyhow!(InputError(e)))?;
            if !gpu_schemes.contains(&scheme) {
                eprintln!("{s:<9} gpu: not on the GPU yet, skipped");
                continue;
            }
            if !m.precisions.iter().any(|p| p == "f32") {
                eprintln!("gpu: computes in f32 only; add --precision f32");
                continue;
            }
            let ctx = basintwin_gpu::GpuContext::from_env()
                .map_err(|e| anyhow!(InputError(format!("--backend gpu: {e}"))))?;
            let (secs, steps, _) = measure_gpu(ctx, scheme, n, args.steps)?;
            let row = Row {
                scheme: s.clone(),
                backend: "gpu".into(),
                precision: "f32".into(),
                cells: n * n,
                steps: steps as usize,
                seconds: secs,
                cell_updates_per_s: (n * n) as f64 * steps as f64 / secs,
            };
            if !args.json {
                row.print(n);
            }
            rows.push(row);
        }
    }
    Ok(adapter)
}

/// Measures every scheme in every precision at every size on the CPU, printing each result
/// unless `--json`; the backend's description.
fn cpu_rows(args: &BenchArgs, m: &Matrix, rows: &mut Vec<Row>) -> Result<String> {
    let mut machine = String::new();
    for &n in m.sizes {
        for s in m.schemes {
            let scheme: Scheme = s.parse().map_err(|e: String| anyhow!(InputError(e)))?;
            for p in m.precisions {
                let (secs, desc) = if p == "f32" {
                    measure::<f32>(scheme, n, args.steps, args.threads)?
                } else {
                    measure::<f64>(scheme, n, args.steps, args.threads)?
                };
                machine = desc;
                let row = Row {
                    scheme: s.clone(),
                    backend: "cpu".into(),
                    precision: p.clone(),
                    cells: n * n,
                    steps: args.steps,
                    seconds: secs,
                    cell_updates_per_s: (n * n * args.steps) as f64 / secs,
                };
                if !args.json {
                    row.print(n);
                }
                rows.push(row);
            }
        }
    }
    Ok(machine)
}

/// The speed of `r` as a ratio to the same case in `baseline`, if it was measured there.
fn ratio(baseline: Option<&[BaselineRow]>, r: &Row) -> Option<f64> {
    baseline?.iter().find_map(|(s, b, p, c, v)| {
        (*s == r.scheme && *b == r.backend && *p == r.precision && *c == r.cells as u64 && *v > 0.0)
            .then(|| r.cell_updates_per_s / v)
    })
}

/// Each case's speed as a ratio to the baseline read from `path`, case by case.
fn print_ratios(rows: &[Row], baseline: &[BaselineRow], path: &std::path::Path) {
    println!("against {}:", path.display());
    for r in rows {
        match ratio(Some(baseline), r) {
            Some(x) => println!(
                "{:<9} {:<4} {:<4} {:>9} cells  {:>6.2}x{}",
                r.scheme,
                r.backend,
                r.precision,
                r.cells,
                x,
                if x < 0.9 {
                    "  slower"
                } else if x > 1.1 {
                    "  faster"
                } else {
                    ""
                }
            ),
            None => println!(
                "{:<9} {:<4} {:<4} {:>9} cells  (not in the baseline)",
                r.scheme, r.backend, r.precision, r.cells
            ),
        }
    }
}

/// The results as JSON, with the machine (CPU, cores, threads, the CPU backend's description,
/// the GPU adapter) and the ratios to the baseline when there is one.
fn print_json(
    args: &BenchArgs,
    rows: &[Row],
    baseline: Option<&[BaselineRow]>,
    machine: String,
    adapter: Option<String>,
) -> Result<()> {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let doc = serde_json::json!({
        "machine": {
            "cpu": cpu,
            "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            "threads": args.threads.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)),
            "backend": machine,
            "gpu_adapter": adapter,
        },
        "case": "flat dam break, every cell wet, 1 m cells",
        "results": rows,
        "ratios_to_baseline": args.baseline.as_ref().map(|_| rows.iter().map(|r| ratio(baseline, r)).collect::<Vec<_>>()),
    });
    println!("{}", serde_json::to_string_pretty(&doc)?);
    Ok(())
}
