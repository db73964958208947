//! Cell updates per second of every scheme on the GPU backend (f32), on the flat dam break of
//! `basintwin_core::cases` (every cell wet), at 1024^2 and 4096^2 cells — or the sizes in
//! `BASINTWIN_BENCH_SIZES`. An iteration is 20 time steps in one submission, each with its time
//! step chosen and reduced on the device, as in a run.
//!
//! `cargo bench -p basintwin-benches --bench gpu`; `-- --test` or `BASINTWIN_BENCH_QUICK=1`
//! runs each scheme once on 64^2 (what CI runs, on lavapipe). `BASINTWIN_ADAPTER` picks the
//! adapter; without one the bench says so and measures nothing.

use basintwin_core::{SolverConfig, State, cases};
use basintwin_gpu::{GpuBackend, GpuContext};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const STEPS: u32 = 20;

fn quick() -> bool {
    std::env::args().any(|a| a == "--test") || std::env::var_os("BASINTWIN_BENCH_QUICK").is_some()
}

fn gpu(c: &mut Criterion) {
    let sizes: Vec<usize> = if quick() {
        vec![64]
    } else if let Ok(list) = std::env::var("BASINTWIN_BENCH_SIZES") {
        list.split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect()
    } else {
        vec![1024, 4096]
    };
    for n in sizes {
        for scheme in basintwin_gpu::backend::schemes() {
            let ctx = match GpuContext::from_env() {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("gpu bench skipped: {e}");
                    return;
                }
            };
            let case = match cases::flat_dam_break(n, n, 1.0) {
                Ok(c) => c,
                Err(e) => panic!("bench case: {e}"),
            };
            let mut b = match GpuBackend::new(
                ctx,
                case.grid.clone(),
                &case.terrain,
                State::from_depth(&case.depth_m),
                SolverConfig::new(scheme),
            ) {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("{scheme} {n}^2 skipped: {e}");
                    continue;
                }
            };
            let mut group = c.benchmark_group(format!("gpu/{scheme}/f32"));
            group.throughput(Throughput::Elements((n * n) as u64 * u64::from(STEPS)));
            group.sample_size(10);
            group.bench_function(BenchmarkId::from_parameter(format!("{n}x{n}")), |bench| {
                bench.iter(|| {
                    if let Err(e) = b.run_steps(STEPS) {
                        panic!("{e}");
                    }
                })
            });
            group.finish();
            eprintln!("({})", b.adapter());
        }
    }
}

criterion_group!(benches, gpu);
criterion_main!(benches);
