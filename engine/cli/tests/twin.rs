//! `basintwin twin`: the valley storm's ensemble cycled through observations of a truth 60 %
//! wetter than its forecast (datasets/valley_bridge_obs.csv, made from datasets/valley_truth.toml)
//! follows the truth at the observed gauge where the same ensemble without assimilation falls
//! behind; bad input is refused with exit code 2.

#![allow(clippy::unwrap_used)]

use std::path::Path;

mod common;
use common::{bin, example, root, text, tmpdir};

/// `time_s` -> the value in column `col` of a CSV.
fn column(path: &Path, col: usize) -> Vec<(f64, f64)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let v: Vec<f64> = l.split(',').map(|x| x.parse().unwrap()).collect();
            (v[0], v[col])
        })
        .collect()
}

#[test]
fn the_twin_follows_a_truth_the_forecast_misses() {
    let d = tmpdir("twin");
    let obs = root().join("datasets/valley_bridge_obs.csv");
    let edits = [
        ("duration_s = 7200", "duration_s = 3600"),
        ("members = 20 ", "members = 6 "),
    ];
    let sc = example("valley_twin", &d, &edits);
    let o = bin()
        .arg("twin")
        .arg(&sc)
        .args(["--until", "3600", "--quiet"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let analysis = column(&d.join("out/analysis.csv"), 1);
    assert_eq!(
        analysis.iter().map(|r| r.0).collect::<Vec<_>>(),
        [600.0, 1200.0, 1800.0, 2400.0, 3000.0, 3600.0]
    );
    let free_out = d.join("free");
    let o = bin()
        .arg("run")
        .arg(&sc)
        .arg("--output")
        .arg(&free_out)
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    // gauges_ensemble.csv: time_s, p10, p50, p90, mean.
    let free = column(&free_out.join("gauges_ensemble.csv"), 4);
    let truth = column(&obs, 1);
    let error = |series: &[(f64, f64)]| {
        let e: Vec<f64> = truth
            .iter()
            .filter(|(t, _)| *t >= 1800.0 && *t <= 3600.0)
            .map(|(t, y)| {
                let v = series.iter().find(|(s, _)| (s - t).abs() < 1e-6).unwrap().1;
                (v - y).powi(2)
            })
            .collect();
        (e.iter().sum::<f64>() / e.len() as f64).sqrt()
    };
    let (e_twin, e_free) = (error(&analysis), error(&free));
    println!(
        "bridge level RMSE over the second half hour: twin {e_twin:.4} m, free ensemble {e_free:.4} m"
    );
    assert!(e_twin < 0.5 * e_free, "{e_twin} vs {e_free}");
    assert!(e_twin < 0.03, "{e_twin}");
    // The spread stays positive.
    assert!(
        column(&d.join("out/analysis.csv"), 2)
            .iter()
            .all(|r| r.1 > 1e-4)
    );
}

#[test]
fn bad_twin_input_is_refused() {
    let d = tmpdir("twin-bad");
    let sc = example("valley_twin", &d, &[]);
    let cases: [(&[&str], &str); 2] = [
        (&[], "replay what is there with --until T"),
        (
            &["--until", "9000"],
            "--until 9000: expected a time in (0, 7200] s",
        ),
    ];
    for (args, want) in cases {
        let o = bin().arg("twin").arg(&sc).args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(want), "{args:?}: {}", text(&o));
    }
    let letkf = example(
        "valley_twin",
        &d,
        &[(
            "method = \"etkf\"",
            "method = \"letkf\"\nlocalization_m = 2000",
        )],
    );
    let o = bin()
        .arg("twin")
        .arg(&letkf)
        .args(["--until", "600"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("only etkf cycles"), "{}", text(&o));
    let plain = example("valley_rain", &d, &[]);
    let o = bin()
        .arg("twin")
        .arg(&plain)
        .args(["--until", "600"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("twin needs an [ensemble]"),
        "{}",
        text(&o)
    );
}
