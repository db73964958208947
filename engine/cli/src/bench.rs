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
    let mut sizes = Vec::new();
    for s in expand(&args.size, &["256", "1024", "2048"], "size")? {
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
    if args.steps == 0 {
        return Err(anyhow!(InputError(
            "--steps 0: expected at least one step".into()
        )));
    }
    let mut rows = Vec::new();
    let mut machine = String::new();
    let mut adapter = None;
    if backends.iter().any(|b| b == "gpu") {
        let name = std::env::var("BASINTWIN_ADAPTER").ok();
        // Probe once, so that a missing adapter is one clear error.
        let ctx = basintwin_gpu::GpuContext::new(name.as_deref())
            .map_err(|e| anyhow!(InputError(format!("--backend gpu: {e}"))))?;
        adapter = Some(basintwin_gpu::context::describe(&ctx.info));
        drop(ctx);
        let gpu_schemes = basintwin_gpu::backend::schemes();
        for &n in &sizes {
            for s in &schemes {
                let scheme: Scheme = s.parse().map_err(|e: String| anyhow!(InputError(e)))?;
                if !gpu_schemes.contains(&scheme) {
                    eprintln!("{s:<9} gpu: not on the GPU yet, skipped");
                    continue;
                }
                if !precisions.iter().any(|p| p == "f32") {
                    eprintln!("gpu: computes in f32 only; add --precision f32");
                    continue;
                }
                let ctx = basintwin_gpu::GpuContext::new(name.as_deref())
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
    }
    for &n in &sizes {
        if !backends.iter().any(|b| b == "cpu") {
            break;
        }
        for s in &schemes {
            let scheme: Scheme = s.parse().map_err(|e: String| anyhow!(InputError(e)))?;
            for p in &precisions {
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
    // Ratios to the baseline, case by case.
    let ratio = |r: &Row| -> Option<f64> {
        baseline.as_ref()?.iter().find_map(|(s, b, p, c, v)| {
            (*s == r.scheme
                && *b == r.backend
                && *p == r.precision
                && *c == r.cells as u64
                && *v > 0.0)
                .then(|| r.cell_updates_per_s / v)
        })
    };
    if baseline.is_some() && !args.json {
        println!(
            "against {}:",
            args.baseline
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
        for r in &rows {
            match ratio(r) {
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
    if args.json {
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
            "ratios_to_baseline": args.baseline.as_ref().map(|_| rows.iter().map(ratio).collect::<Vec<_>>()),
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        if !machine.is_empty() {
            println!("({machine})");
        }
        if let Some(a) = &adapter {
            println!("(gpu: {a})");
        }
    }
    Ok(())
}
