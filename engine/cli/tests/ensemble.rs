//! Ensembles through the command line: the maps, tables and summary of an ensemble are
//! consistent probabilities, the control member is the deterministic run, a seed reproduces its
//! ensemble, and bad `[ensemble]` input is refused with its line and exit code 2.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

mod common;
use common::{bin, example, text, tmpdir};

/// examples/valley_ensemble.toml, 40 minutes, with `edits`.
fn ensemble(dir: &Path, edits: &[(&str, &str)]) -> PathBuf {
    let mut all = vec![("duration_s = 7200", "duration_s = 2400")];
    all.extend_from_slice(edits);
    example("valley_ensemble", dir, &all)
}

fn run<S: AsRef<std::ffi::OsStr>>(sc: &Path, out: &Path, extra: &[S]) -> std::process::Output {
    let o = bin()
        .arg("run")
        .arg(sc)
        .arg("--output")
        .arg(out)
        .args(["--quiet", "--overwrite"])
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    o
}

/// A map's values (NaN outside the domain).
fn map(path: &Path) -> Vec<f64> {
    basintwin_io::read_dem(path, &Default::default())
        .unwrap()
        .bed_m
}

fn summary(out: &Path) -> basintwin_io::run_folder::Summary {
    basintwin_io::run_folder::RunFolder::new(out)
        .read_summary()
        .unwrap()
}

#[test]
fn an_ensemble_writes_consistent_probabilities() {
    let d = tmpdir("ens-maps");
    let sc = ensemble(
        &d,
        &[(
            "gauge_interval_s = 120",
            "gauge_interval_s = 120\nmembers = \"all\"",
        )],
    );
    let out = d.join("out");
    run(&sc, &out, &["--members", "6"]);
    let exceed: Vec<Vec<f64>> = ["0.1", "0.3", "1"]
        .iter()
        .map(|x| map(&out.join(format!("exceedance_{x}m.tif"))))
        .collect();
    let pct: Vec<Vec<f64>> = ["10", "50", "90"]
        .iter()
        .map(|q| map(&out.join(format!("max_depth_p{q}.tif"))))
        .collect();
    let mut wet = 0;
    for k in 0..exceed[0].len() {
        if exceed[0][k].is_nan() {
            continue;
        }
        let e: Vec<f64> = exceed.iter().map(|m| m[k]).collect();
        for p in &e {
            assert!((0.0..=1.0).contains(p), "cell {k}: {e:?}");
            // A share of 6 members.
            assert!(
                (p * 6.0 - (p * 6.0).round()).abs() < 1e-5,
                "cell {k}: {e:?}"
            );
        }
        assert!(
            e[0] >= e[1] && e[1] >= e[2],
            "not monotone at cell {k}: {e:?}"
        );
        let q: Vec<f64> = pct.iter().map(|m| m[k]).collect();
        assert!(
            q[0] <= q[1] && q[1] <= q[2],
            "percentiles out of order at cell {k}: {q:?}"
        );
        // P(max > 0.1 m) > 0.5 exactly when the median exceeds 0.1 m (between order statistics).
        if e[0] == 1.0 {
            assert!(q[0] > 0.1, "cell {k}");
        }
        wet += usize::from(e[0] > 0.0);
    }
    assert!(wet > 100, "only {wet} cells ever flooded");
    let s = summary(&out);
    let e = s.ensemble.as_ref().unwrap();
    assert_eq!((e.members, e.member_runs.len(), e.seed), (6, 6, 2026));
    for m in &e.member_runs {
        assert!(
            m.mass_balance.relative_error.abs() < 1e-5,
            "member {}: {:?}",
            m.member,
            m.mass_balance
        );
        assert!(m.mass_balance.rain_m3 > 0.0);
    }
    let g = &e.gauges[0];
    let p = g.warning_probability.unwrap();
    assert!((0.0..=1.0).contains(&p));
    assert_eq!(g.warning_probability_above_half_at_s.is_some(), p > 0.5);
    assert!(g.peak_level_m.windows(2).all(|w| w[0].value <= w[1].value));
    for f in [
        "gauges_ensemble.csv",
        "hydrographs.png",
        "snapshots.h5",
        "summary.json",
    ] {
        assert!(
            s.outputs.contains(&f.to_string()),
            "{f} not in {:?}",
            s.outputs
        );
    }
    let table = std::fs::read_to_string(out.join("gauges_ensemble.csv")).unwrap();
    let mut lines = table.lines();
    assert_eq!(
        lines.next().unwrap(),
        "time_s,bridge_level_p10_m,bridge_level_p50_m,bridge_level_p90_m,bridge_level_mean_m"
    );
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 21, "a row every 120 s from 0 to 2400 s");
    for r in &rows {
        assert!(r[1] <= r[2] && r[2] <= r[3], "{r:?}");
        assert!(r[1] <= r[4] && r[4] <= r[3] + 1e-6, "{r:?}");
    }

    // The same seed, the same ensemble; another seed, another.
    let again = d.join("again");
    run(&sc, &again, &["--members", "6"]);
    assert_eq!(summary(&again).ensemble.unwrap().member_runs, e.member_runs);
    assert_eq!(map(&again.join("exceedance_0.1m.tif")), exceed[0]);
    let other = d.join("other");
    let sc2 = ensemble(&d, &[("seed = 2026", "seed = 7")]);
    run(&sc2, &other, &["--members", "6"]);
    assert_ne!(summary(&other).ensemble.unwrap().member_runs, e.member_runs);
}

/// The control member (member 0) is the deterministic run: run alone with `--member 0`, or as
/// an ensemble of one, it gives the scenario without `[ensemble]` bitwise.
#[test]
fn the_control_member_is_the_deterministic_run() {
    let d = tmpdir("ens-control");
    let sc = ensemble(&d, &[]);
    let full = std::fs::read_to_string(&sc).unwrap();
    let (head, tail) = full.split_at(full.find("[ensemble]").unwrap());
    let plain = d.join("plain.toml");
    std::fs::write(
        &plain,
        format!("{head}{}", &tail[tail.find("[output]").unwrap()..]),
    )
    .unwrap();
    run(&plain, &d.join("plain"), &[] as &[&str]);
    run(&sc, &d.join("member0"), &["--member", "0"]);
    run(&sc, &d.join("one"), &["--members", "1"]);
    let read = |p: PathBuf| std::fs::read_to_string(p).unwrap();
    assert_eq!(
        read(d.join("member0/gauges.csv")),
        read(d.join("plain/gauges.csv"))
    );
    let plain_levels: Vec<String> = read(d.join("plain/gauges.csv"))
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().to_string())
        .collect();
    let one_levels: Vec<String> = read(d.join("one/gauges_ensemble.csv"))
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().to_string())
        .collect();
    assert_eq!(one_levels, plain_levels);
    let (a, b) = (
        basintwin_io::SnapshotReader::open(d.join("plain/snapshots.h5")).unwrap(),
        basintwin_io::SnapshotReader::open(d.join("one/snapshots.h5")).unwrap(),
    );
    assert_eq!(a.times, b.times);
    let last = a.times.len() - 1;
    let (fa, fb) = (a.fields(last).unwrap(), b.fields(last).unwrap());
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&fa.h), bits(&fb.h));
    // Another member is another run; without --output it goes beside the ensemble's results.
    let o = bin()
        .arg("run")
        .arg(&sc)
        .args(["--member", "3", "--quiet"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    std::fs::rename(d.join("out/member_3"), d.join("member3")).unwrap();
    assert_ne!(
        read(d.join("member3/gauges.csv")),
        read(d.join("plain/gauges.csv"))
    );
}

#[test]
fn bad_ensemble_input_is_refused_with_its_line() {
    let d = tmpdir("ens-bad");
    let cases: [(&str, &str, &str); 4] = [
        (
            "members = 20 ",
            "members = 0 ",
            "line 49: ensemble.members: 0: expected a whole number from 1 to 10000",
        ),
        (
            "sigma = 0.35",
            "sigma = -0.35",
            "line 56: ensemble.perturb.sigma: sigma = -0.35: expected a finite value >= 0",
        ),
        (
            "what = \"manning\"",
            "what = \"wind\"",
            "line 67: ensemble.perturb.what: unknown 'wind': expected rain, inflow, source, manning or initial_level",
        ),
        (
            "source = \"outfall\"",
            "source = \"weir\"",
            "line 61: ensemble.perturb.source: no source 'weir' in the scenario; its sources are [\"outfall\"]",
        ),
    ];
    for (old, new, want) in cases {
        let sc = ensemble(&d, &[(old, new)]);
        for cmd in ["check", "run"] {
            let o = bin().arg(cmd).arg(&sc).output().unwrap();
            assert_eq!(o.status.code(), Some(2), "{cmd} {new}: {}", text(&o));
            assert!(text(&o).contains(want), "{cmd} {new}: {}", text(&o));
        }
    }
    // A perturbed boundary that does not exist.
    let sc = ensemble(
        &d,
        &[(
            "what = \"manning\"",
            "what = \"inflow\"\nboundary = \"creek\"",
        )],
    );
    let o = bin().arg("check").arg(&sc).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let want = "line 68: ensemble.perturb.boundary: no inflow boundary 'creek' in the scenario; its inflows are []";
    assert!(text(&o).contains(want), "{}", text(&o));
    let sc = ensemble(&d, &[]);
    for (args, want) in [
        (
            vec!["--members", "0"],
            "--members 0: expected a number of members from 1 to 10000",
        ),
        (
            vec!["--member", "20"],
            "--member 20: the ensemble has members 0 to 19",
        ),
    ] {
        let o = bin().arg("run").arg(&sc).args(&args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(want), "{args:?}: {}", text(&o));
    }
    // An output "folder" that is a file.
    let file = d.join("not_a_folder");
    std::fs::write(&file, "x").unwrap();
    let o = bin()
        .arg("run")
        .arg(&sc)
        .arg("--output")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("the output folder is a file"),
        "{}",
        text(&o)
    );
    let plain = example("valley_rain", &d, &[]);
    let o = bin()
        .arg("run")
        .arg(&plain)
        .args(["--members", "5"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("--members 5: the scenario has no [ensemble] table"),
        "{}",
        text(&o)
    );
}

/// On the GPU (lavapipe in CI) an ensemble states each member's device memory, and its control
/// member ends where the GPU's deterministic run does.
#[test]
fn a_gpu_ensemble_states_its_memory_per_member() {
    if !gpu_available() {
        return;
    }
    let d = tmpdir("ens-gpu");
    let sc = ensemble(&d, &[("duration_s = 2400", "duration_s = 1200")]);
    let out = d.join("out");
    run(&sc, &out, &["--backend", "gpu", "--members", "2"]);
    let e = summary(&out).ensemble.unwrap();
    let bytes = e.device_bytes_per_member.unwrap();
    // h, q, the bed, roughness, maxima and the scheme's face arrays: tens of bytes per cell.
    let per_cell = bytes as f64 / (400.0 * 150.0);
    assert!(
        (20.0..400.0).contains(&per_cell),
        "{per_cell} bytes per cell"
    );
    run(
        &sc,
        &d.join("member0"),
        &["--backend", "gpu", "--member", "0"],
    );
    let table = std::fs::read_to_string(out.join("gauges_ensemble.csv")).unwrap();
    let gauges = std::fs::read_to_string(d.join("member0/gauges.csv")).unwrap();
    let last = |t: &str, col: usize| {
        t.lines()
            .last()
            .unwrap()
            .split(',')
            .nth(col)
            .unwrap()
            .to_string()
    };
    // Two members: with member 0's level from its single GPU run, member 1's follows from
    // the mean, and p10 and p90 from both (to the table's six decimals).
    let num = |t: &str, col: usize| -> f64 { last(t, col).parse().unwrap() };
    let (p10, p90, mean, l0) = (
        num(&table, 1),
        num(&table, 3),
        num(&table, 4),
        num(&gauges, 2),
    );
    let l1 = 2.0 * mean - l0;
    let (a, b) = (l0.min(l1), l0.max(l1));
    assert!(
        (p10 - (a + 0.1 * (b - a))).abs() < 3e-6,
        "{p10} from {l0}, {l1}"
    );
    assert!(
        (p90 - (a + 0.9 * (b - a))).abs() < 3e-6,
        "{p90} from {l0}, {l1}"
    );
}

/// Gridded rain perturbed by a spatially correlated field: every member rains differently
/// (by a factor varying over the basin), each member's water budget still closes, and the
/// control member rains what the unperturbed frames give.
#[test]
fn gridded_rain_takes_a_correlated_field_per_member() {
    let d = tmpdir("ens-grid");
    let radar = d.join("radar");
    std::fs::create_dir_all(&radar).unwrap();
    for (name, v) in [("rain_0.tif", 30.0), ("rain_1800.tif", 60.0)] {
        common::ascii_tif(
            &radar.join(name),
            500000.0,
            4000000.0,
            1000.0,
            &vec![vec![v; 8]; 3],
        );
    }
    let rain =
        "intensity_mm_h = [[0, 30.0], [1800, 60.0], [3600, 10.0], [5400, 0.0]]   # [time_s, mm/h]";
    let perturb = "what = \"rain\"\ndistribution = \"lognormal\"   # factor exp(sigma z), median 1\nsigma = 0.35\ncorrelation_time_s = 1800    # the factor wanders (AR(1)) instead of one per member";
    let sc = ensemble(
        &d,
        &[
            ("duration_s = 2400", "duration_s = 1200"),
            ("[terrain]", "[terrain]\ncoarsen = 4"),
            (rain, &format!("grids = \"{}\"", radar.display())),
            (
                perturb,
                "what = \"rain\"\ndistribution = \"lognormal\"\nsigma = 0.5\ncorrelation_length_m = 1500",
            ),
        ],
    );
    let out = d.join("out");
    run(&sc, &out, &["--members", "4"]);
    let e = summary(&out).ensemble.unwrap();
    assert!(
        e.perturbations[0].contains("correlation length 1500 m"),
        "{:?}",
        e.perturbations
    );
    let rains: Vec<f64> = e
        .member_runs
        .iter()
        .map(|m| m.mass_balance.rain_m3)
        .collect();
    for (k, m) in e.member_runs.iter().enumerate() {
        assert!(
            m.mass_balance.relative_error.abs() < 1e-5,
            "member {k}: {:?}",
            m.mass_balance
        );
    }
    for k in 1..4 {
        assert!(
            (rains[k] / rains[0] - 1.0).abs() > 1e-3,
            "member {k} rains as the control: {rains:?}"
        );
    }
    // The control: 30 -> 40 mm/h over 20 minutes on the 8 km x 3 km valley's active cells,
    // as the unperturbed frames give it (the single run of member 0 books the same).
    run(&sc, &d.join("m0"), &["--member", "0"]);
    let single = summary(&d.join("m0")).mass_balance.rain_m3;
    assert_eq!(single, rains[0]);
}

/// Ctrl-C stops every member at a step boundary and saves them all; `--resume` (twice here)
/// ends bitwise where the uninterrupted ensemble does: the same percentile table, maps,
/// snapshots and every member's steps and water budget.
#[test]
fn an_ensemble_stopped_with_ctrl_c_resumes_exactly() {
    stop_and_resume("ens-resume", &[]);
}

/// The same on the GPU (lavapipe in CI), where members are started together and an
/// interruption must still leave every one of them at a step boundary (the fields and steps
/// exact; the budget's terms to f32 rounding).
#[test]
fn a_gpu_ensemble_stopped_with_ctrl_c_resumes_exactly() {
    if !gpu_available() {
        return;
    }
    stop_and_resume("ens-resume-gpu", &["--backend", "gpu"]);
}

/// Whether a GPU adapter runs here (required with `BASINTWIN_REQUIRE_GPU=1`).
fn gpu_available() -> bool {
    let probe = bin()
        .arg("bench")
        .args(["--backend", "gpu", "--size", "8", "--steps", "1"])
        .output()
        .unwrap();
    if !probe.status.success() {
        let required = std::env::var("BASINTWIN_REQUIRE_GPU").is_ok_and(|v| v == "1");
        assert!(!required, "BASINTWIN_REQUIRE_GPU=1 but: {}", text(&probe));
        eprintln!("skipped: no GPU adapter");
    }
    probe.status.success()
}

fn stop_and_resume(name: &str, backend: &[&str]) {
    let args = |extra: &[&str]| -> Vec<String> {
        let head = ["--members", "3"].iter().chain(backend);
        head.chain(extra).map(|s| s.to_string()).collect()
    };
    let d = tmpdir(name);
    let edits = [(
        "gauge_interval_s = 120",
        "gauge_interval_s = 120\nmembers = \"all\"",
    )];
    let whole = d.join("whole");
    std::fs::create_dir_all(&whole).unwrap();
    let sc = ensemble(&whole, &edits);
    run(&sc, &whole.join("out"), &args(&[]));
    let parts = d.join("parts");
    std::fs::create_dir_all(&parts).unwrap();
    let sc2 = ensemble(&parts, &edits);
    let o = bin()
        .arg("run")
        .arg(&sc2)
        .args(args(&["--resume"]))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("no checkpoint.bin to resume from"),
        "{}",
        text(&o)
    );
    assert_eq!(common::run_and_interrupt(&sc2, &args(&[]), 4), Some(130));
    let out = parts.join("out");
    let first = summary(&out).interrupted_at_s.unwrap();
    assert!(first > 0.0 && first < 2400.0, "stopped at {first}");
    assert!(out.join("checkpoint.bin").is_file());
    // Resuming with another number of members is refused.
    let o = bin()
        .arg("run")
        .arg(&sc2)
        .args(["--members", "4", "--resume"])
        .args(backend)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("the checkpoint holds 3 members and the run asks for 4"),
        "{}",
        text(&o)
    );
    assert_eq!(
        common::run_and_interrupt(&sc2, &args(&["--resume"]), 6),
        Some(130)
    );
    let second = summary(&out).interrupted_at_s.unwrap();
    assert!(second > first, "{first} then {second}");
    let o = bin()
        .arg("run")
        .arg(&sc2)
        .args(args(&["--resume", "--quiet"]))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let s = summary(&out);
    assert_eq!(s.resumed_from_s, Some(second));
    assert!(
        !out.join("checkpoint.bin").exists(),
        "a finished run removes its checkpoint"
    );
    let (a, b) = (
        summary(&whole.join("out")).ensemble.unwrap(),
        s.ensemble.unwrap(),
    );
    if backend.is_empty() {
        assert_eq!(a.member_runs, b.member_runs);
    } else {
        // The GPU sums its water budget per call in compensated f32, so a stopped call's terms
        // may differ in the 7th digit (GPU test `checkpoint_resume_continues_the_run`); the
        // state and the steps are exact.
        for (x, y) in a.member_runs.iter().zip(&b.member_runs) {
            assert_eq!(
                (x.steps, x.mass_balance.final_m3),
                (y.steps, y.mass_balance.final_m3)
            );
            let close = |p: f64, q: f64| (p - q).abs() <= 1e-6 * p.abs().max(1.0);
            assert!(
                close(x.mass_balance.rain_m3, y.mass_balance.rain_m3),
                "{x:?} {y:?}"
            );
        }
    }
    assert_eq!(a.gauges, b.gauges);
    let read = |p: PathBuf| std::fs::read_to_string(p).unwrap();
    assert_eq!(
        read(whole.join("out/gauges_ensemble.csv")),
        read(out.join("gauges_ensemble.csv"))
    );
    for m in ["exceedance_0.1m.tif", "max_depth_p90.tif"] {
        assert_eq!(map(&whole.join("out").join(m)), map(&out.join(m)), "{m}");
    }
    common::assert_same_snapshots(&whole.join("out/snapshots.h5"), &out.join("snapshots.h5"));
    let sizes = |p: &Path| basintwin_io::snapshot_times(p).unwrap();
    assert_eq!(
        sizes(&whole.join("out/snapshots_members.h5")),
        sizes(&out.join("snapshots_members.h5"))
    );
}

/// A lake given by its level, with the level perturbed: each member's lake starts level at its
/// own height (shores flooding or drying with it) and stays at rest, in f32.
#[test]
fn a_perturbed_lake_level_rests_at_each_members_level() {
    let d = tmpdir("ens-lake");
    let sc = example(
        "dam_break",
        &d,
        &[
            ("[terrain]", "[terrain]\ncoarsen = 4"),
            ("[initial]\ndepth", "[initial]\nwater_level = 5.3\n# depth"),
            ("duration_s = 3600", "duration_s = 600"),
            (
                "[output]",
                "[ensemble]\nmembers = 3\nseed = 11\ncontrol = false\n\n[[ensemble.perturb]]\nwhat = \"initial_level\"\ndistribution = \"normal\"\nsd = 0.5\n\n[output]",
            ),
        ],
    );
    let mut wet_counts = Vec::new();
    for k in 0..3 {
        let out = d.join(format!("m{k}"));
        let k = k.to_string();
        run(&sc, &out, &["--member", k.as_str()]);
        let (_, s) =
            basintwin_io::read_snapshot::<f32>(out.join("snapshots.h5"), basintwin_io::Which::Last)
                .unwrap();
        let reader = basintwin_io::SnapshotReader::open(out.join("snapshots.h5")).unwrap();
        let z = &reader.z;
        let wet: Vec<usize> = (0..s.h.len()).filter(|&c| s.h[c] > 1e-3).collect();
        let levels: Vec<f64> = wet
            .iter()
            .map(|&c| f64::from(z[c]) + f64::from(s.h[c]))
            .collect();
        let (lo, hi) = levels
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &l| (a.min(l), b.max(l)));
        let speed = wet
            .iter()
            .map(|&c| f64::from(s.qx[c].hypot(s.qy[c]) / s.h[c]))
            .fold(0.0, f64::max);
        println!(
            "member {k}: level {lo:.4}..{hi:.4} m over {} wet cells, speed {speed:.1e} m/s",
            wet.len()
        );
        assert!(
            hi - lo < 1e-4,
            "member {k}: the lake is not level: {lo}..{hi}"
        );
        assert!(
            (lo - 5.3).abs() > 1e-3,
            "member {k}: the level was not perturbed"
        );
        assert!(speed < 1e-6, "member {k}: {speed} m/s");
        wet_counts.push(wet.len());
    }
    // The shores moved with the levels.
    wet_counts.dedup();
    assert!(wet_counts.len() > 1, "{wet_counts:?}");
}
