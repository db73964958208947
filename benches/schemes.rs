//! Cell updates per second of every scheme x precision on the CPU backend, on the flat dam break
//! of `basintwin_core::cases` (every cell wet), at 512^2 and 2048^2 cells.
//!
//! `cargo bench -p basintwin-benches` measures; `cargo bench -p basintwin-benches -- --test`
//! (what CI runs) or `BASINTWIN_BENCH_QUICK=1` runs each case once on a 64^2 grid as a smoke test.
//! `BASINTWIN_BENCH_SIZES=1000,4096` measures other sizes (e.g. 1000^2, the size peers were
//! measured at).

use basintwin_core::{CpuBackend, Real, Scheme, SolverConfig, State, cases};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn quick() -> bool {
    std::env::args().any(|a| a == "--test") || std::env::var_os("BASINTWIN_BENCH_QUICK").is_some()
}

fn bench_one<R: Real>(c: &mut Criterion, scheme: Scheme, n: usize) {
    let case = match cases::flat_dam_break(n, n, 1.0) {
        Ok(c) => c,
        Err(e) => panic!("bench case: {e}"),
    };
    let cfg = SolverConfig::new(scheme);
    let mut backend = match CpuBackend::<R>::new(
        case.grid.clone(),
        &case.terrain,
        State::from_depth(&case.depth_m),
        cfg,
        None,
    ) {
        Ok(b) => b,
        Err(e) => panic!("bench backend: {e}"),
    };
    let dt = backend.stable_dt_s();
    let mut group = c.benchmark_group(format!("step/{}/{}", scheme, R::NAME));
    group.throughput(Throughput::Elements((n * n) as u64));
    if n >= 2048 {
        group.sample_size(10);
    }
    group.bench_function(BenchmarkId::from_parameter(format!("{n}x{n}")), |b| {
        b.iter(|| {
            if let Err(e) = backend.step_fixed(dt) {
                panic!("step failed: {e}");
            }
        })
    });
    group.finish();
}

fn schemes(c: &mut Criterion) {
    let sizes: Vec<usize> = if quick() {
        vec![64]
    } else if let Ok(list) = std::env::var("BASINTWIN_BENCH_SIZES") {
        list.split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect()
    } else {
        vec![512, 2048]
    };
    for n in sizes {
        for scheme in Scheme::ALL {
            bench_one::<f32>(c, scheme, n);
            bench_one::<f64>(c, scheme, n);
        }
    }
}

criterion_group!(benches, schemes);
criterion_main!(benches);
