//! Writing snapshots: one append (h, u, v, eta as compressed float32, then a flush) of a 2048^2
//! grid, to compare with the cost of the solver steps between two outputs.
//!
//! `cargo bench -p basintwin-benches --bench io`; `-- --test` or `BASINTWIN_BENCH_QUICK=1` runs a
//! 64^2 smoke test.

use basintwin_core::{State, cases};
use basintwin_io::{SnapshotMeta, SnapshotWriter};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn quick() -> bool {
    std::env::args().any(|a| a == "--test") || std::env::var_os("BASINTWIN_BENCH_QUICK").is_some()
}

fn snapshots(c: &mut Criterion) {
    let n = if quick() { 64 } else { 2048 };
    let case = match cases::valley_dam_break(n, n, 10.0) {
        Ok(c) => c,
        Err(e) => panic!("bench case: {e}"),
    };
    let dir = std::env::temp_dir().join(format!("basintwin-bench-io-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("{}: {e}", dir.display());
    }
    let path = dir.join(basintwin_io::run_folder::SNAPSHOTS);
    let meta = SnapshotMeta {
        title: "bench".into(),
        ..Default::default()
    };
    let mut writer =
        match SnapshotWriter::create(&path, &case.grid, &case.terrain.bed_m, &meta, true) {
            Ok(w) => w,
            Err(e) => panic!("{e}"),
        };
    // A realistic state: the reservoir plus a wave of varying depth and velocity.
    let mut state = State::<f32>::from_depth(&case.depth_m);
    for (k, q) in state.qx.iter_mut().enumerate() {
        *q = state.h[k] * (0.3 + 0.001 * (k % 997) as f32);
    }
    let mut group = c.benchmark_group("io");
    group.throughput(Throughput::Elements((n * n) as u64));
    group.sample_size(10);
    let mut t = 0.0;
    group.bench_function(
        BenchmarkId::new("snapshot_append", format!("{n}x{n}")),
        |b| {
            b.iter(|| {
                t += 60.0;
                if let Err(e) = writer.append(t, &state) {
                    panic!("{e}");
                }
            })
        },
    );
    group.finish();
    drop(writer);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, snapshots);
criterion_main!(benches);
