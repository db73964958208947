//! The GPU backend against the CPU backend (both f32) and against the physics, on whatever
//! adapter the machine has (Mesa's lavapipe in CI). Without an adapter the tests say so and
//! pass, unless `BASINTWIN_REQUIRE_GPU=1` (set by `make test`, which installs lavapipe).

#![allow(clippy::unwrap_used)]

use basintwin_core::{
    Backend, Boundaries, BoundaryKind, CpuBackend, Forcing, Grid, Manning, Maxima, Scheme, Series,
    SolverConfig, State, Terrain, cases,
};
use basintwin_gpu::GpuBackend;

mod common;
use common::context;

/// fv1 on the GPU from a case's depths (None without an adapter).
fn fv1_from_depths(case: &cases::Case) -> Option<GpuBackend> {
    let b = GpuBackend::new(
        context()?,
        case.grid.clone(),
        &case.terrain,
        State::from_depth(&case.depth_m),
        SolverConfig::new(Scheme::Fv1),
    );
    Some(b.unwrap())
}

fn pair(
    grid: &Grid,
    terrain: &Terrain,
    state: State<f32>,
    cfg: SolverConfig,
) -> Option<(CpuBackend<f32>, GpuBackend)> {
    let ctx = context()?;
    let cpu = CpuBackend::new(grid.clone(), terrain, state.clone(), cfg.clone(), None).unwrap();
    let gpu = GpuBackend::new(ctx, grid.clone(), terrain, state, cfg).unwrap();
    Some((cpu, gpu))
}

fn max_diff(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from((x - y).abs()))
        .fold(0.0, f64::max)
}

/// Valley dam break: the GPU follows the CPU. Both are f32 with the same scheme; they differ
/// by rounding (fused multiply-adds, the GPU's cube root and square root, the order of the
/// flux sums), which a dam break's shock amplifies locally, so the bound is on the depth error
/// relative to the 8 m of water behind the dam, in the mean and at the worst cell.
#[test]
fn dam_break_matches_the_cpu() {
    for scheme in basintwin_gpu::backend::schemes() {
        dam_break(scheme);
    }
}

fn dam_break(scheme: Scheme) {
    let case = cases::valley_dam_break(160, 60, 20.0).unwrap();
    let cfg = SolverConfig::new(scheme).with_boundaries(Boundaries {
        east: BoundaryKind::Free,
        ..Boundaries::walls()
    });
    let Some((mut cpu, mut gpu)) = pair(
        &case.grid,
        &case.terrain,
        State::from_depth(&case.depth_m),
        cfg,
    ) else {
        return;
    };
    println!("adapter: {}", gpu.describe());
    for t in [60.0, 300.0] {
        cpu.advance_to(t).unwrap();
        gpu.advance_to(t).unwrap();
    }
    let n = case.grid.cells();
    let (mut a, mut b) = (State::dry(n), State::dry(n));
    cpu.read_state(&mut a).unwrap();
    gpu.read_state(&mut b).unwrap();
    let worst = max_diff(&a.h, &b.h);
    let mean: f64 =
        a.h.iter()
            .zip(&b.h)
            .map(|(x, y)| f64::from((x - y).abs()))
            .sum::<f64>()
            / n as f64;
    let (la, lb) = (cpu.ledger(), gpu.ledger());
    println!(
        "{scheme} dam break at 300 s: steps cpu {} gpu {}; depth difference mean {mean:.2e} m, worst {worst:.2e} m; volume cpu {:.3} gpu {:.3} m3; outflow cpu {:.3} gpu {:.3}; gpu mass error {:.2e}",
        cpu.steps(),
        gpu.steps(),
        la.volume_m3,
        lb.volume_m3,
        la.boundary_outflow_m3,
        lb.boundary_outflow_m3,
        lb.relative_error()
    );
    assert!(mean < 1e-4, "mean depth difference {mean}");
    assert!(worst < 0.05, "worst depth difference {worst}");
    assert!((la.volume_m3 - lb.volume_m3).abs() < 1e-4 * la.volume_m3);
    assert!(lb.relative_error().abs() < 1e-5, "{lb}");
    let (steps_cpu, steps_gpu) = (cpu.steps() as f64, gpu.steps() as f64);
    assert!((steps_cpu - steps_gpu).abs() <= 0.02 * steps_cpu + 2.0);
    let (mut ma, mut mb) = (Maxima::new(n), Maxima::new(n));
    cpu.read_maxima(&mut ma).unwrap();
    gpu.read_maxima(&mut mb).unwrap();
    assert!(max_diff(&ma.depth_m, &mb.depth_m) < 0.05);
    let arrived = |m: &Maxima<f32>| m.arrival_s.iter().filter(|a| !a.is_nan()).count();
    let (na, nb) = (arrived(&ma), arrived(&mb));
    assert!(
        na.abs_diff(nb) <= n / 200 + 2,
        "flooded cells cpu {na} gpu {nb}"
    );
}

/// Lake at rest over a bumpy bed with dry islands and a masked block: well-balanced in f32 on
/// the GPU as on the CPU, near the datum (where the f32 bed is finer than the depth) and 250 m
/// above it (where the depth is finer than the bed).
#[test]
fn lake_at_rest_stays_at_rest() {
    let grid = Grid::new(40, 36, 1.0, 1.0).unwrap();
    for datum in [0.0, 250.0] {
        let bed = grid.map_centres(|x, y| {
            datum
                + 0.3 * (x / 3.0).sin() * (y / 4.0).cos()
                + 1.6 * (-((x - 12.0).powi(2) + (y - 10.0).powi(2)) / 12.0).exp()
        });
        let mut terrain = Terrain::with_mask(
            &grid,
            bed,
            (0..grid.cells())
                .map(|k| !((20..24).contains(&(k % 40)) && (14..18).contains(&(k / 40))))
                .collect(),
            Manning::Uniform(0.03),
        )
        .unwrap();
        let state = State::<f32>::from_level(&mut terrain, datum + 1.0);
        println!("lake at {} m:", datum + 1.0);
        for scheme in basintwin_gpu::backend::schemes() {
            lake(scheme, &grid, &terrain, &state);
        }
    }
}

fn lake(scheme: Scheme, grid: &Grid, terrain: &Terrain, state: &State<f32>) {
    let state = state.clone();
    let mut cpu = CpuBackend::new(
        grid.clone(),
        terrain,
        state.clone(),
        SolverConfig::new(scheme),
        None,
    )
    .unwrap();
    cpu.advance_to(20.0).unwrap();
    let c = cpu.state();
    let cpu_speed = (0..grid.cells())
        .filter(|&k| c.h[k] > 1e-3)
        .map(|k| f64::from((c.qx[k].powi(2) + c.qy[k].powi(2)).sqrt() / c.h[k]))
        .fold(0.0, f64::max);
    println!(
        "{scheme} lake at rest on the CPU in f32: {} steps, largest speed {cpu_speed:.2e} m/s",
        cpu.steps()
    );
    let Some(ctx) = context() else { return };
    let mut gpu =
        GpuBackend::new(ctx, grid.clone(), terrain, state, SolverConfig::new(scheme)).unwrap();
    gpu.advance_to(20.0).unwrap();
    let mut s = State::dry(grid.cells());
    gpu.read_state(&mut s).unwrap();
    let speed = (0..grid.cells())
        .filter(|&k| s.h[k] > 1e-3)
        .map(|k| f64::from((s.qx[k].powi(2) + s.qy[k].powi(2)).sqrt() / s.h[k]))
        .fold(0.0, f64::max);
    println!(
        "{scheme} lake at rest on the GPU: {} steps, largest speed {speed:.2e} m/s",
        gpu.steps()
    );
    // The surface is level to the last bit (`State::from_level`), every face of a lake at rest
    // gives exactly zero (deviation-form fluxes, the level reconstructed as itself) and fv2's
    // bed source is zero for a flat surface: nothing moves, in f32, on either backend. The
    // bound is the 1e-6 m/s; the CPU must not do worse either.
    assert!(cpu_speed < 1e-6, "{scheme} cpu {cpu_speed}");
    assert!(speed < 1e-6, "{scheme} gpu {speed}");
}

/// A closed box with rain: the GPU's ledger balances (f32 state, compensated sums).
#[test]
fn closed_box_with_rain_conserves_mass() {
    for scheme in basintwin_gpu::backend::schemes() {
        closed_box(scheme);
    }
}

fn closed_box(scheme: Scheme) {
    let case = cases::flat_dam_break(64, 48, 5.0).unwrap();
    let Some(ctx) = context() else { return };
    let mut gpu = GpuBackend::new(
        ctx,
        case.grid.clone(),
        &case.terrain,
        State::from_depth(&case.depth_m),
        SolverConfig::new(scheme),
    )
    .unwrap();
    gpu.set_forcing(Forcing {
        rain_mm_h: Some(
            Series::new(vec![(0.0, 0.0), (100.0, 50.0), (300.0, 0.0)], "rain").unwrap(),
        ),
        ..Forcing::default()
    })
    .unwrap();
    for t in [50.0, 150.0, 400.0] {
        gpu.advance_to(t).unwrap();
    }
    let l = gpu.ledger();
    let rain = 0.5 * 50.0 * 300.0 / 3.6e6 * case.grid.cells() as f64 * 25.0;
    println!(
        "{scheme} closed box: {l}\nrain expected {rain:.4} m3, relative error {:.2e}",
        l.relative_error()
    );
    assert!(
        (l.rain_m3 - rain).abs() < 1e-5 * rain,
        "{} vs {rain}",
        l.rain_m3
    );
    assert!(l.relative_error().abs() < 1e-5, "{l}");
    assert_eq!(l.boundary_outflow_m3, 0.0);
}

/// Two runs of the same model give bitwise the same fields.
#[test]
fn runs_are_deterministic() {
    for scheme in basintwin_gpu::backend::schemes() {
        deterministic(scheme);
    }
}

fn deterministic(scheme: Scheme) {
    let case = cases::valley_dam_break(120, 50, 20.0).unwrap();
    let run = || {
        let ctx = context()?;
        let mut gpu = GpuBackend::new(
            ctx,
            case.grid.clone(),
            &case.terrain,
            State::from_depth(&case.depth_m),
            SolverConfig::new(scheme),
        )
        .unwrap();
        gpu.advance_to(120.0).unwrap();
        let mut s = State::dry(case.grid.cells());
        gpu.read_state(&mut s).unwrap();
        Some((s, gpu.steps()))
    };
    let Some((a, na)) = run() else { return };
    let (b, nb) = run().unwrap();
    assert_eq!(na, nb);
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a.h), bits(&b.h));
    assert_eq!(bits(&a.qx), bits(&b.qx));
}

/// Bad forcing and grids beyond the adapter's limits are refused with a message.
#[test]
fn unsupported_features_are_refused() {
    let case = cases::flat_dam_break(16, 8, 5.0).unwrap();
    let Some(ctx) = context() else { return };
    let mut gpu = GpuBackend::new(
        ctx,
        case.grid.clone(),
        &case.terrain,
        State::from_depth(&case.depth_m),
        SolverConfig::new(Scheme::Fv1),
    )
    .unwrap();
    let e = gpu
        .set_forcing(Forcing {
            sources: vec![basintwin_core::PointSource {
                name: "outside".into(),
                cell: 10_000,
                discharge_m3_s: Series::constant(1.0),
            }],
            ..Forcing::default()
        })
        .unwrap_err()
        .to_string();
    assert!(e.contains("point source"), "{e}");
    // A grid whose face arrays exceed one storage binding is refused, naming the limit.
    let ctx = context().unwrap();
    let limit = ctx.limits.max_storage_buffer_binding_size;
    let (nx, ny) = (4096usize, ((limit / 16 / 4097) + 1) as usize);
    if (nx * ny) < 20_000_000 {
        let grid = Grid::new(nx, ny, 1.0, 1.0).unwrap();
        let terrain = Terrain::new(&grid, vec![0.0; grid.cells()], 0.03).unwrap();
        let e = GpuBackend::new(
            ctx,
            grid.clone(),
            &terrain,
            State::dry(grid.cells()),
            SolverConfig::new(Scheme::Fv1),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("storage-binding limit") && e.contains(&format!("{nx} x {ny}")),
            "{e}"
        );
    }
}

/// Rain (uniform and gridded), point sources, every infiltration model and the outflow
/// boundaries on a river basin: the GPU books the same water as the CPU and ends in the same
/// state. The two differ by f32 rounding only; volumes agree to 1e-5 relative, depths to
/// a few millimetres at worst (wetting fronts move a cell earlier or later).
#[test]
fn forcing_matches_the_cpu() {
    use basintwin_core::{Infiltration, PointSource, RainGrid};
    let case = cases::river_basin(60, 30, 10.0).unwrap();
    let grid = case.grid.clone();
    let n = grid.cells();
    let models = [
        Infiltration::Constant { rate_m_s: 2e-6 },
        Infiltration::Horton {
            f0_m_s: 2e-5,
            fc_m_s: 2e-6,
            k_per_s: 1e-3,
        },
        Infiltration::GreenAmpt {
            ks_m_s: 3e-6,
            suction_m: 0.11,
            moisture_deficit: 0.3,
        },
        Infiltration::ScsCurveNumber { cn: 80.0 },
    ];
    for (m, scheme) in models
        .iter()
        .zip([Scheme::Fv1, Scheme::Inertial, Scheme::Fv2, Scheme::Fv1])
    {
        let forcing = Forcing {
            rain_mm_h: Some(
                Series::new(vec![(0.0, 20.0), (400.0, 60.0), (800.0, 0.0)], "rain").unwrap(),
            ),
            rain_grid: Some(
                RainGrid::new(
                    vec![0.0, 300.0, 900.0],
                    vec![
                        (0..n).map(|k| (k % 7) as f32 * 4.0).collect(),
                        (0..n).map(|k| (k % 5) as f32 * 10.0).collect(),
                        vec![0.0; n],
                    ],
                    n,
                )
                .unwrap(),
            ),
            sources: vec![PointSource {
                name: "culvert".into(),
                cell: grid.index(30, 15),
                discharge_m3_s: Series::new(vec![(0.0, 0.0), (200.0, 3.0), (700.0, 0.5)], "q")
                    .unwrap(),
            }],
            infiltration: *m,
            ..Forcing::default()
        };
        let cfg = SolverConfig::new(scheme).with_boundaries(Boundaries {
            east: BoundaryKind::NormalDepth { slope: 0.003 },
            west: BoundaryKind::Free,
            ..Boundaries::walls()
        });
        let Some((mut cpu, mut gpu)) =
            pair(&grid, &case.terrain, State::from_depth(&case.depth_m), cfg)
        else {
            return;
        };
        cpu.set_forcing(forcing.clone()).unwrap();
        gpu.set_forcing(forcing).unwrap();
        for t in [300.0, 600.0, 1000.0] {
            cpu.advance_to(t).unwrap();
            gpu.advance_to(t).unwrap();
        }
        let (a, b) = (cpu.ledger(), gpu.ledger());
        let (mut sa, mut sb) = (State::dry(n), State::dry(n));
        cpu.read_state(&mut sa).unwrap();
        gpu.read_state(&mut sb).unwrap();
        let worst = max_diff(&sa.h, &sb.h);
        println!(
            "{scheme} {m:?}: rain {:.3}/{:.3}, sources {:.3}/{:.3}, infiltration {:.3}/{:.3}, outflow {:.3}/{:.3}, volume {:.3}/{:.3} m3 (cpu/gpu); worst depth difference {worst:.2e} m; gpu mass error {:.1e}",
            a.rain_m3,
            b.rain_m3,
            a.source_inflow_m3,
            b.source_inflow_m3,
            a.infiltration_m3,
            b.infiltration_m3,
            a.boundary_outflow_m3,
            b.boundary_outflow_m3,
            a.volume_m3,
            b.volume_m3,
            b.relative_error()
        );
        let close = |x: f64, y: f64, what: &str| {
            assert!(
                (x - y).abs() <= 1e-5 * x.abs().max(1.0),
                "{scheme} {m:?}: {what} cpu {x} gpu {y}"
            );
        };
        close(a.rain_m3, b.rain_m3, "rain");
        close(a.source_inflow_m3, b.source_inflow_m3, "sources");
        assert!(
            (a.infiltration_m3 - b.infiltration_m3).abs() <= 1e-4 * a.infiltration_m3,
            "{scheme} {m:?}: infiltration cpu {} gpu {}",
            a.infiltration_m3,
            b.infiltration_m3
        );
        assert!((a.volume_m3 - b.volume_m3).abs() <= 1e-4 * a.volume_m3);
        assert!(b.relative_error().abs() < 1e-5, "{b}");
        assert!(worst < 0.02, "{scheme}: worst depth difference {worst}");
    }
}

/// Inflow and stage segments, a normal-depth outlet and a cross-section, every scheme: the GPU
/// books the inflow hydrograph's volume and measures the section's flow as the CPU does.
#[test]
fn segments_and_sections_match_the_cpu() {
    use basintwin_core::{BoundarySegment, SegmentKind, Side};
    let case = cases::river_basin(60, 30, 10.0).unwrap();
    let grid = case.grid.clone();
    let n = grid.cells();
    for scheme in basintwin_gpu::backend::schemes() {
        let q = Series::new(vec![(0.0, 0.0), (200.0, 15.0), (600.0, 5.0)], "inflow").unwrap();
        let forcing = Forcing {
            boundaries: vec![
                BoundarySegment {
                    name: "upstream".into(),
                    side: Side::West,
                    cells: 10..20,
                    kind: SegmentKind::Inflow(q.clone()),
                },
                BoundarySegment {
                    name: "lake".into(),
                    side: Side::North,
                    cells: 40..50,
                    kind: SegmentKind::Stage(
                        Series::new(vec![(0.0, 12.0), (600.0, 12.5)], "stage").unwrap(),
                    ),
                },
            ],
            ..Forcing::default()
        };
        let cfg = SolverConfig::new(scheme).with_boundaries(Boundaries {
            east: BoundaryKind::NormalDepth { slope: 0.003 },
            ..Boundaries::walls()
        });
        let Some((mut cpu, mut gpu)) =
            pair(&grid, &case.terrain, State::from_depth(&case.depth_m), cfg)
        else {
            return;
        };
        let section: Vec<(bool, usize, f64)> =
            (0..30).map(|j| (false, j * 61 + 30, 10.0)).collect();
        cpu.set_forcing(forcing.clone()).unwrap();
        gpu.set_forcing(forcing).unwrap();
        cpu.track_faces(section.clone()).unwrap();
        gpu.track_faces(section).unwrap();
        for t in [200.0, 600.0, 900.0] {
            cpu.advance_to(t).unwrap();
            gpu.advance_to(t).unwrap();
        }
        let (a, b) = (cpu.ledger(), gpu.ledger());
        let (sa, sb) = (cpu.tracked_volumes_m3()[0], gpu.tracked_volumes_m3()[0]);
        let (mut xa, mut xb) = (State::dry(n), State::dry(n));
        cpu.read_state(&mut xa).unwrap();
        gpu.read_state(&mut xb).unwrap();
        let worst = max_diff(&xa.h, &xb.h);
        println!(
            "{scheme}: inflow {:.3}/{:.3} (hydrograph {:.3}), outflow {:.3}/{:.3}, section {sa:.3}/{sb:.3} m3 (cpu/gpu); worst depth difference {worst:.2e} m; gpu mass error {:.1e}",
            a.boundary_inflow_m3,
            b.boundary_inflow_m3,
            q.integral(0.0, 900.0),
            a.boundary_outflow_m3,
            b.boundary_outflow_m3,
            b.relative_error()
        );
        assert!((a.boundary_inflow_m3 - b.boundary_inflow_m3).abs() < 1e-4 * a.boundary_inflow_m3);
        assert!(
            (a.boundary_outflow_m3 - b.boundary_outflow_m3).abs()
                < 1e-3 * a.boundary_outflow_m3.max(1.0)
        );
        assert!(sa.abs() > 100.0, "water crossed the section");
        assert!(
            (sa - sb).abs() < 1e-3 * sa.abs(),
            "{scheme}: section cpu {sa} gpu {sb}"
        );
        assert!(b.relative_error().abs() < 1e-5, "{b}");
        assert!(worst < 0.02, "{scheme}: {worst}");
    }
}

/// A run stopped between outputs (Ctrl-C) and resumed from its checkpoint ends bitwise as the
/// uninterrupted run: the fields are restored exactly and the stopped call continues with its
/// own f32 clock, so the steps are the same. (The water budget is summed per call, so its
/// totals may differ in the 7th digit.)
#[test]
fn checkpoint_resume_continues_the_run() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let case = cases::valley_dam_break(100, 40, 20.0).unwrap();
    for scheme in basintwin_gpu::backend::schemes() {
        let make = || {
            let ctx = context()?;
            let mut g = GpuBackend::new(
                ctx,
                case.grid.clone(),
                &case.terrain,
                State::from_depth(&case.depth_m),
                SolverConfig::new(scheme),
            )
            .unwrap();
            g.set_forcing(Forcing {
                rain_mm_h: Some(Series::constant(30.0)),
                infiltration: basintwin_core::Infiltration::Constant { rate_m_s: 1e-6 },
                ..Forcing::default()
            })
            .unwrap();
            Some(g)
        };
        let Some(mut a) = make() else { return };
        a.advance_to(150.0).unwrap();
        a.advance_to(300.0).unwrap();
        let mut b = make().unwrap();
        let flag = Arc::new(AtomicBool::new(true));
        b.set_interrupt(flag.clone());
        let e = b.advance_to(150.0).unwrap_err();
        assert!(
            matches!(e, basintwin_core::CoreError::Interrupted { .. }),
            "{e}"
        );
        let t_stop = b.time_s();
        assert!(t_stop > 0.0 && t_stop < 150.0);
        let ckpt =
            basintwin_core::Checkpoint::from_bytes(&b.checkpoint("x".into()).unwrap().to_bytes())
                .unwrap();
        flag.store(false, Ordering::Relaxed);
        let mut r = make().unwrap();
        r.restore(&ckpt).unwrap();
        r.advance_to(150.0).unwrap();
        r.advance_to(300.0).unwrap();
        let n = case.grid.cells();
        let (mut sa, mut sr) = (State::dry(n), State::dry(n));
        a.read_state(&mut sa).unwrap();
        r.read_state(&mut sr).unwrap();
        let d = max_diff(&sa.h, &sr.h);
        let (la, lr) = (a.ledger(), r.ledger());
        println!(
            "{scheme}: stopped at {t_stop:.2} s; steps {} vs {}; worst depth difference {d:.2e} m; rain {:.4} vs {:.4}, infiltration {:.4} vs {:.4} m3",
            a.steps(),
            r.steps(),
            la.rain_m3,
            lr.rain_m3,
            la.infiltration_m3,
            lr.infiltration_m3
        );
        assert_eq!(a.steps(), r.steps());
        assert_eq!(d, 0.0, "{scheme}: fields differ after resume");
        assert!((la.rain_m3 - lr.rain_m3).abs() < 1e-6 * la.rain_m3);
        assert!((la.infiltration_m3 - lr.infiltration_m3).abs() < 1e-5 * la.infiltration_m3);
        // A CPU checkpoint does not restore into the GPU backend.
        let mut cpu = CpuBackend::<f32>::new(
            case.grid.clone(),
            &case.terrain,
            State::from_depth(&case.depth_m),
            SolverConfig::new(scheme),
            None,
        )
        .unwrap();
        let cc = cpu.checkpoint(String::new()).unwrap();
        assert!(make().unwrap().restore(&cc).is_err());
    }
}

/// Thacker's planar bowl (moving shorelines, Thacker 1981) after one period, every scheme:
/// the GPU's error against the analytic surface is the CPU's (both f32), within 5 % plus
/// 1e-5 m, and the water is conserved.
#[test]
fn thacker_bowl_matches_the_cpu_and_the_analytic_solution() {
    use basintwin_core::analytic::ThackerPlanar;
    let th = ThackerPlanar::default();
    let n = 64;
    let d = th.l_m / n as f64;
    let grid = Grid::new(n, n, d, d).unwrap();
    let terrain = Terrain::new(&grid, grid.map_centres(|x, y| th.bed_m(x, y)), 0.0).unwrap();
    let sol = |f: fn((f64, f64, f64)) -> f64| grid.map_centres(|x, y| f(th.solution(x, y, 0.0)));
    let state = State::<f32> {
        h: sol(|s| s.0).iter().map(|&v| v as f32).collect(),
        qx: sol(|s| s.0 * s.1).iter().map(|&v| v as f32).collect(),
        qy: sol(|s| s.0 * s.2).iter().map(|&v| v as f32).collect(),
    };
    let t = th.period_s();
    let exact = grid.map_centres(|x, y| th.solution(x, y, t).0);
    for scheme in basintwin_gpu::backend::schemes() {
        let Some((mut cpu, mut gpu)) =
            pair(&grid, &terrain, state.clone(), SolverConfig::new(scheme))
        else {
            return;
        };
        cpu.advance_to(t).unwrap();
        gpu.advance_to(t).unwrap();
        let err = |b: &mut dyn Backend<Real = f32>| {
            let mut s = State::dry(grid.cells());
            b.read_state(&mut s).unwrap();
            (0..grid.cells())
                .map(|k| (f64::from(s.h[k]) - exact[k]).abs())
                .sum::<f64>()
                / grid.cells() as f64
        };
        let (ec, eg) = (err(&mut cpu), err(&mut gpu));
        let l = gpu.ledger();
        println!(
            "Thacker bowl, {scheme}: mean depth error cpu {ec:.3e} m, gpu {eg:.3e} m; gpu mass error {:.1e}",
            l.relative_error()
        );
        assert!(
            (ec - eg).abs() <= 0.05 * ec + 1e-5,
            "{scheme}: cpu {ec} gpu {eg}"
        );
        assert!(l.relative_error().abs() < 1e-5, "{l}");
    }
}

/// `simulation::run` on the GPU writes each output while the next interval is computed (the
/// state is captured on the device first): it hands over exactly the states that stopping at
/// every output and reading gives.
#[test]
fn overlapped_outputs_are_the_states_at_their_times() {
    let case = cases::valley_dam_break(80, 30, 20.0).unwrap();
    let make = || fv1_from_depths(&case);
    let Some(mut a) = make() else { return };
    let schedule = basintwin_core::OutputSchedule::every(30.0, 120.0).unwrap();
    let mut seen: Vec<(f64, Vec<u32>, f64)> = Vec::new();
    let plan = basintwin_core::OutputPlan::from_schedule(&schedule);
    let mut rec = basintwin_core::FnRecorder(
        |o: &basintwin_core::Output<'_, f32>| -> Result<(), basintwin_core::RecordError> {
            seen.push((
                o.time_s,
                o.state.h.iter().map(|x| x.to_bits()).collect(),
                o.ledger.volume_m3,
            ));
            Ok(())
        },
    );
    basintwin_core::run(
        &mut a,
        &plan,
        &mut basintwin_core::Recorders::new().with(&mut rec),
    )
    .unwrap();
    let mut b = make().unwrap();
    assert_eq!(seen.len(), schedule.times_s().len());
    for (t, bits, volume) in &seen {
        b.advance_to(*t).unwrap();
        let mut s = State::dry(case.grid.cells());
        b.read_state(&mut s).unwrap();
        let expect: Vec<u32> = s.h.iter().map(|x| x.to_bits()).collect();
        assert!(*bits == expect, "output at {t} s differs");
        assert_eq!(*volume, b.ledger().volume_m3);
    }
}

/// Rain on a tilted plane draining through free edges on two sides (east and north, both
/// downhill), every scheme: the GPU continues the surface beyond a free edge in fv2's
/// stencils as the CPU does (`View::continued`), and books the same outflow.
#[test]
fn rain_on_a_plane_drains_through_free_edges_like_the_cpu() {
    let grid = Grid::new(60, 12, 10.0, 10.0).unwrap();
    let bed = grid.map_centres(|x, y| 0.01 * (600.0 - x) + 0.005 * (120.0 - y));
    let terrain = Terrain::new(&grid, bed, 0.03).unwrap();
    for scheme in basintwin_gpu::backend::schemes() {
        let mut bc = Boundaries::walls();
        bc.east = BoundaryKind::Free;
        bc.north = BoundaryKind::Free;
        let cfg = SolverConfig::new(scheme).with_boundaries(bc);
        let Some((mut cpu, mut gpu)) = pair(&grid, &terrain, State::dry(grid.cells()), cfg) else {
            return;
        };
        let rain = Forcing {
            rain_mm_h: Some(Series::constant(30.0)),
            ..Forcing::default()
        };
        cpu.set_forcing(rain.clone()).unwrap();
        gpu.set_forcing(rain).unwrap();
        cpu.advance_to(1800.0).unwrap();
        gpu.advance_to(1800.0).unwrap();
        let mut s = State::dry(grid.cells());
        gpu.read_state(&mut s).unwrap();
        let c = cpu.state();
        let d = max_diff(&c.h, &s.h);
        let (oc, og) = (
            cpu.ledger().boundary_outflow_m3,
            gpu.ledger().boundary_outflow_m3,
        );
        println!(
            "{scheme} rain on a plane, free edges: outflow cpu {oc:.3} gpu {og:.3} m3, worst depth difference {d:.2e} m"
        );
        // Depths about 1.5 cm; f32 rounding of a few ulps, and the outflow to 1e-4.
        assert!(
            oc > 300.0,
            "{scheme}: the plane drains ({oc} of 1080 m3 of rain)"
        );
        assert!((oc - og).abs() < 1e-4 * oc, "{scheme}: {oc} vs {og}");
        assert!(d < 1e-5, "{scheme}: {d}");
    }
}

/// Light rain (1 mm/h for an hour) on a 10 m deep lake: the GPU adds it with the same per-cell
/// carry as the CPU (without it, f32 dropped all of it: each step's 3e-7 m is a third of an
/// ulp of 10 m).
#[test]
fn light_rain_on_a_deep_lake_arrives() {
    let grid = Grid::new(20, 20, 10.0, 10.0).unwrap();
    let terrain = Terrain::new(&grid, vec![0.0; grid.cells()], 0.03).unwrap();
    for scheme in basintwin_gpu::backend::schemes() {
        let cfg = SolverConfig::new(scheme);
        let state = State::from_depth(&vec![
            std::env::var("DEPTH")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(10.0);
            grid.cells()
        ]);
        let Some((mut cpu, mut gpu)) = pair(&grid, &terrain, state, cfg) else {
            return;
        };
        let rain = Forcing {
            rain_mm_h: Some(Series::constant(1.0)),
            ..Forcing::default()
        };
        cpu.set_forcing(rain.clone()).unwrap();
        gpu.set_forcing(rain).unwrap();
        cpu.advance_to(3600.0).unwrap();
        gpu.advance_to(3600.0).unwrap();
        let mut s = State::dry(grid.cells());
        gpu.read_state(&mut s).unwrap();
        let gained = |s: &State<f32>| s.h.iter().map(|&h| f64::from(h) - 10.0).sum::<f64>() * 100.0;
        let (gc, gg) = (gained(&cpu.state()), gained(&s));
        println!("{scheme} light rain on a 10 m lake: cpu {gc:.3}, gpu {gg:.3} of 40 m^3");
        assert!(
            (gg - 40.0).abs() < 0.04,
            "{scheme}: gpu gained {gg} of 40 m^3"
        );
        assert!((gc - gg).abs() < 0.02, "{scheme}: cpu {gc} gpu {gg}");
    }
}

/// Checkpoints marked on the plan, taken by `simulation::run` in its overlapped loop (it waits at
/// a checkpoint output so that the checkpoint holds every output up to it): a fresh backend
/// restored from one goes on to hand over bitwise the states of the uninterrupted run.
#[test]
fn checkpoints_in_the_overlapped_loop_resume_bitwise() {
    use basintwin_core::{
        Checkpoint, CheckpointStore, FnRecorder, Output, OutputPlan, RecordError, Recorders, run,
    };
    struct Keep(Vec<Checkpoint>);
    impl CheckpointStore for Keep {
        fn store(&mut self, c: &Checkpoint) -> Result<(), RecordError> {
            self.0.push(c.clone());
            Ok(())
        }
    }
    let case = cases::valley_dam_break(80, 30, 20.0).unwrap();
    let make = || fv1_from_depths(&case);
    let Some(mut a) = make() else { return };
    let plan = OutputPlan::new(120.0, 30.0, 15.0, Some(45.0)).unwrap();
    let collect = |backend: &mut GpuBackend, plan: &OutputPlan, keep: &mut Keep| {
        let mut seen: Vec<(f64, Vec<u32>)> = Vec::new();
        let mut rec = FnRecorder(|o: &Output<'_, f32>| -> Result<(), RecordError> {
            seen.push((o.time_s, o.state.h.iter().map(|x| x.to_bits()).collect()));
            Ok(())
        });
        let mut recorders = Recorders::new().with(&mut rec).checkpoint_to(keep);
        run(backend, plan, &mut recorders).unwrap();
        drop(recorders);
        seen
    };
    let mut keep = Keep(Vec::new());
    let whole = collect(&mut a, &plan, &mut keep);
    let times: Vec<f64> = keep.0.iter().map(|c| c.header.time_s).collect();
    assert_eq!(times, vec![45.0, 90.0]);
    for c in &keep.0 {
        let mut b = make().unwrap();
        b.restore(c).unwrap();
        let rest = collect(&mut b, &plan.after(c.header.time_s), &mut Keep(Vec::new()));
        let expect: Vec<_> = whole
            .iter()
            .filter(|(t, _)| *t > c.header.time_s)
            .cloned()
            .collect();
        assert_eq!(rest.len(), expect.len());
        for ((t, x), (_, y)) in rest.iter().zip(&expect) {
            assert!(
                x == y,
                "resumed from {} s: output at {t} s differs",
                c.header.time_s
            );
        }
    }
}
