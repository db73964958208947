//! The `basintwin` binary, driven as a user would: the demo runs and leaves plausible results,
//! malformed scenarios are each refused with a specific message and exit code 2, results are
//! never overwritten by surprise.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{
    ascii_tif, assert_same_snapshots, bin, example, root, run_and_interrupt, text, tmpdir,
};

/// The demo scenario (examples/dam_break.toml) with `edits`.
fn scenario(dir: &Path, edits: &[(&str, &str)]) -> PathBuf {
    example("dam_break", dir, edits)
}

#[test]
fn the_demo_runs_and_leaves_every_output() {
    let d = tmpdir("demo");
    // f64 and a shorter run, so that the mass balance is checked at f64 round-off.
    let sc = scenario(
        &d,
        &[
            ("precision = \"f32\"", "precision = \"f64\""),
            ("duration_s = 3600", "duration_s = 1200"),
        ],
    );
    let o = bin()
        .args(["run"])
        .arg(&sc)
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let out = d.join("out");
    for f in [
        "snapshots.h5",
        "max_depth.tif",
        "max_speed.tif",
        "max_hazard.tif",
        "arrival_time.tif",
        "gauges.csv",
        "summary.json",
    ] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let err = summary["mass_balance"]["relative_error"].as_f64().unwrap();
    assert!(err.abs() < 1e-10, "mass balance {err}");
    let bridge = &summary["gauges"][0];
    assert_eq!(bridge["name"], "bridge");
    let peak = bridge["peak_depth_m"].as_f64().unwrap();
    assert!(peak > 0.5 && peak < 12.0, "bridge peak depth {peak} m");
    let csv = std::fs::read_to_string(out.join("gauges.csv")).unwrap();
    assert_eq!(
        csv.lines().count(),
        1 + 1200 / 60 + 1,
        "gauges every minute"
    );
    // The hydrograph plot: a PNG with something drawn on it (a blank 1100 x 450 PNG compresses
    // to a few hundred bytes).
    let png = std::fs::read(out.join("hydrographs.png")).unwrap();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 20_000,
        "{} bytes",
        png.len()
    );
    assert_eq!(
        summary["warnings"].as_array().map(Vec::len),
        Some(0),
        "{}",
        summary["warnings"]
    );
    assert!(csv.starts_with("time_s,bridge_depth_m,bridge_level_m,bridge_speed_m_s,town_depth_m"));
    // The maps open in GDAL with the DEM's CRS.
    let info = bin()
        .arg("info")
        .arg(out.join("max_depth.tif"))
        .output()
        .unwrap();
    assert!(
        info.status.success() && text(&info).contains("UTM zone 31N"),
        "{}",
        text(&info)
    );
    // Results are never overwritten by surprise...
    let before = std::fs::read(out.join("summary.json")).unwrap();
    let o = bin()
        .args(["run"])
        .arg(&sc)
        .arg("--quiet")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--overwrite"), "{}", text(&o));
    assert_eq!(std::fs::read(out.join("summary.json")).unwrap(), before);
    // ... but replaced when asked, with --json progress on stdout.
    let o = bin()
        .args(["run"])
        .arg(&sc)
        .args(["--overwrite", "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let last = String::from_utf8_lossy(&o.stdout)
        .lines()
        .last()
        .unwrap()
        .to_string();
    let done: serde_json::Value = serde_json::from_str(&last).unwrap();
    assert_eq!(done["event"], "done");
}

#[test]
fn results_do_not_depend_on_threads() {
    let d = tmpdir("threads");
    let sc = scenario(&d, &[("duration_s = 3600", "duration_s = 600")]);
    let run = |threads: &str, out: &str| {
        let o = bin()
            .args(["run"])
            .arg(&sc)
            .args(["--quiet", "--threads", threads, "--output"])
            .arg(d.join(out))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        let s: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(d.join(out).join("summary.json")).unwrap(),
        )
        .unwrap();
        (s["steps"].clone(), s["mass_balance"]["final_m3"].clone())
    };
    assert_eq!(run("1", "one"), run("2", "two"));
}

#[test]
fn malformed_scenarios_are_refused_with_a_specific_message() {
    let d = tmpdir("malformed");
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        (
            "missing DEM",
            &[("valley.tif\"", "nope.tif\"")],
            "terrain.dem: no such file",
        ),
        (
            "unknown key",
            &[("[time]", "[time]\nspeed = 3")],
            "unknown field `speed`",
        ),
        (
            "wrong type",
            &[("duration_s = 3600", "duration_s = \"an hour\"")],
            "invalid type",
        ),
        (
            "negative duration",
            &[("duration_s = 3600", "duration_s = -5.0")],
            "time.duration_s: -5: expected a positive duration",
        ),
        (
            "zero interval",
            &[("output_interval_s = 300", "output_interval_s = 0.0")],
            "time.output_interval_s",
        ),
        (
            "unknown scheme",
            &[("scheme = \"fv1\"", "scheme = \"roe\"")],
            "unknown scheme 'roe'",
        ),
        (
            "unknown precision",
            &[("precision = \"f32\"", "precision = \"f16\"")],
            "unknown precision 'f16'",
        ),
        (
            "unknown backend",
            &[("[solver]", "[solver]\nbackend = \"tpu\"")],
            "unknown backend 'tpu'",
        ),
        (
            "courant too large",
            &[("courant = 0.5", "courant = 0.9")],
            "solver.courant",
        ),
        (
            "theta out of range",
            &[("[solver]", "[solver]\ntheta = 2.0")],
            "solver.theta",
        ),
        (
            "bad crop",
            &[("[terrain]", "[terrain]\ncrop = [10.0, 0.0, 5.0]")],
            "terrain.crop: expected [xmin, ymin, xmax, ymax]",
        ),
        (
            "coarsen zero",
            &[("[terrain]", "[terrain]\ncoarsen = 0")],
            "terrain.coarsen: 0",
        ),
        (
            "negative Manning",
            &[("manning = \"", "manning = -0.1 #\"")],
            "roughness.manning: -0.1",
        ),
        (
            "missing Manning raster",
            &[("valley_manning.tif\"", "missing_n.tif\"")],
            "roughness.manning: no such raster",
        ),
        (
            "depth and level",
            &[("[initial]", "[initial]\nwater_level = 3.0")],
            "give one of depth, water_level or restart",
        ),
        (
            "missing restart",
            &[("depth = \"", "restart = \"nothing.h5\" #\"")],
            "initial.restart: no such file",
        ),
        (
            "unknown boundary kind",
            &[("kind = \"free\"", "kind = \"sponge\"")],
            "unknown kind 'sponge'",
        ),
        (
            "inflow without hydrograph",
            &[("kind = \"free\"", "kind = \"inflow\"")],
            "give exactly one of hydrograph (CSV), series",
        ),
        (
            "normal depth without slope",
            &[("kind = \"free\"", "kind = \"normal_depth\"")],
            "normal_depth needs slope",
        ),
        (
            "inflow line off the edge",
            &[(
                "kind = \"free\"           # the valley drains out to the east\nside = \"east\"",
                "kind = \"inflow\"\nvalue = 5.0\nline = [[504000.0, 4001000.0], [504000.0, 4001200.0]]",
            )],
            "is not on an edge of the domain",
        ),
        (
            "unknown side",
            &[("side = \"east\"", "side = \"up\"")],
            "unknown side 'up'",
        ),
        (
            "side twice",
            &[(
                "[[gauge]]",
                "[[boundary]]\nkind = \"wall\"\nside = \"east\"\n\n[[gauge]]",
            )],
            "east is given twice",
        ),
        (
            "gauge outside",
            &[("at = [504000.0, 4001500.0]", "at = [1.0, 2.0]")],
            "gauge 'bridge' at (1, 2) is outside the DEM",
        ),
        (
            "gauge coordinates",
            &[("at = [504000.0, 4001500.0]", "at = [504000.0]")],
            "gauge.at: expected [x, y]",
        ),
        (
            "gauge name twice",
            &[("name = \"town\"", "name = \"bridge\"")],
            "'bridge' is used twice",
        ),
        (
            "bad start",
            &[("start = \"2026-06-01T00:00:00Z\"", "start = \"June 1st\"")],
            "start: 'June 1st': expected an ISO 8601 time",
        ),
        ("TOML syntax", &[("[time]", "[time")], "line"),
        (
            "rain grids missing",
            &[("[output]", "[rain]\ngrids = \"radar/\"\n\n[output]")],
            "rain.grids: no such folder or NetCDF file",
        ),
        (
            "rain without intensity",
            &[("[output]", "[rain]\n\n[output]")],
            "rain: give intensity_mm_h",
        ),
        (
            "rain variable without NetCDF",
            &[(
                "[output]",
                "[rain]\ngrids = \".\"\nvariable = \"precip\"\n\n[output]",
            )],
            "rain.variable: only for a NetCDF file",
        ),
        (
            "rain units",
            &[(
                "[output]",
                "[rain]\ngrids = \".\"\nunits = \"inches\"\n\n[output]",
            )],
            "rain.units: 'inches': expected an intensity",
        ),
        (
            "infiltration raster missing",
            &[(
                "[output]",
                "[infiltration]\nmodel = \"constant\"\nrate_mm_h = \"soil.tif\"\n\n[output]",
            )],
            "infiltration.rate_mm_h: no such raster",
        ),
    ];
    let mut seen = std::collections::HashSet::new();
    for (what, edits, want) in cases {
        let dir = d.join(what.replace(' ', "_"));
        std::fs::create_dir_all(&dir).unwrap();
        let sc = scenario(&dir, edits);
        let o = bin().arg("check").arg(&sc).output().unwrap();
        let t = text(&o);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{what}: expected exit 2, got {:?}\n{t}",
            o.status.code()
        );
        assert!(t.contains(want), "{what}: expected `{want}` in\n{t}");
        assert!(
            t.contains("dam_break.toml"),
            "{what}: the message names the file\n{t}"
        );
        seen.insert(*want);
    }
    assert!(seen.len() >= 20);
    // Several problems at once, each with its line.
    let sc = scenario(
        &d,
        &[
            ("scheme = \"fv1\"", "scheme = \"roe\""),
            ("duration_s = 3600", "duration_s = -1.0"),
        ],
    );
    let t = text(&bin().arg("check").arg(&sc).output().unwrap());
    assert!(
        t.contains("2 problems")
            && t.contains("line 16: time.duration_s")
            && t.contains("solver.scheme"),
        "{t}"
    );
}

#[test]
fn info_and_bench() {
    let o = bin()
        .arg("info")
        .arg(root().join("datasets/valley.tif"))
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(text(&o).contains("400 x 150 cells"), "{}", text(&o));
    let o = bin()
        .arg("info")
        .arg("/no/such/raster.tif")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("/no/such/raster.tif: no such file"));
    let o = bin()
        .args([
            "bench",
            "--size",
            "32",
            "--steps",
            "2",
            "--scheme",
            "fv1,inertial",
            "--precision",
            "f32",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["results"].as_array().unwrap().len(), 2);
    assert!(v["results"][0]["cell_updates_per_s"].as_f64().unwrap() > 0.0);
    assert!(v["machine"]["cpu"].is_string() && v["machine"]["threads"].as_u64().unwrap() >= 1);
    // A later run against that one prints a ratio per case.
    let d = tmpdir("bench");
    let old = d.join("old.json");
    std::fs::write(&old, &o.stdout).unwrap();
    let o = bin()
        .args([
            "bench",
            "--size",
            "32",
            "--steps",
            "2",
            "--scheme",
            "fv1,fv2",
            "--precision",
            "f32",
            "--baseline",
        ])
        .arg(&old)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("against") && t.contains("x"), "{t}");
    assert!(
        t.contains("(not in the baseline)"),
        "fv2 was not measured before: {t}"
    );
    let o = bin()
        .args(["bench", "--baseline", "/no/such.json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = bin().args(["bench", "--scheme", "roe"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    for sub in ["run", "check", "info", "bench", "make-dem"] {
        let o = bin().args([sub, "--help"]).output().unwrap();
        assert!(text(&o).contains("Example:"), "{sub} --help has an example");
    }
}

/// The storm example (examples/valley_rain.toml) with `edits`.
fn storm(dir: &Path, edits: &[(&str, &str)]) -> PathBuf {
    example("valley_rain", dir, edits)
}

/// `check` warns when a scenario rains on a sloping DEM with fv1 (which underestimates sheet
/// flow there, physics test `t17`), and not with the example's own scheme.
#[test]
fn fv1_with_rain_on_slopes_is_warned_about() {
    let d = tmpdir("fv1rain");
    let sc = storm(&d, &[]);
    let t = text(&bin().arg("check").arg(&sc).output().unwrap());
    assert!(!t.contains("warning"), "{t}");
    let sc = storm(&d, &[("scheme = \"inertial\"", "scheme = \"fv1\"")]);
    let o = bin().arg("check").arg(&sc).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("warning: solver.scheme: fv1 with rain") && t.contains("fv2"),
        "{t}"
    );
}

#[test]
fn rain_and_sources_balance_and_bad_series_are_refused() {
    let d = tmpdir("storm");
    // A hydrograph from a CSV file for the outfall.
    let csv = d.join("outfall.csv");
    std::fs::write(&csv, "time_s,discharge_m3_s\n0,0\n600,4\n3600,4\n4200,0\n").unwrap();
    let sc = storm(
        &d,
        &[
            ("precision = \"f32\"", "precision = \"f64\""),
            ("duration_s = 7200", "duration_s = 2400"),
            (
                "series = [[0, 0.0], [600, 4.0], [3600, 4.0], [4200, 0.0]]",
                "hydrograph = \"outfall.csv\"",
            ),
        ],
    );
    let o = bin().arg("run").arg(&sc).arg("--quiet").output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out/summary.json")).unwrap())
            .unwrap();
    let mb = &s["mass_balance"];
    // 2400 s of rain: (30+60)/2 * 1800 + (60 + 60 - 50*600/1800... ) -> compare with the exact integral.
    let rain_mm = 0.5 * (30.0 + 60.0) * 1800.0 / 3600.0
        + 0.5 * (60.0 + (60.0 - 50.0 * 600.0 / 1800.0)) * 600.0 / 3600.0;
    let rain_m3 = rain_mm / 1000.0 * 8000.0 * 3000.0;
    assert!(
        (mb["rain_m3"].as_f64().unwrap() - rain_m3).abs() < 1e-6 * rain_m3,
        "{mb}"
    );
    let source_m3 = 0.5 * 4.0 * 600.0 + 4.0 * 1800.0;
    assert!(
        (mb["source_inflow_m3"].as_f64().unwrap() - source_m3).abs() < 1e-6 * source_m3,
        "{mb}"
    );
    assert!(mb["relative_error"].as_f64().unwrap().abs() < 1e-10, "{mb}");
    // A hydrograph ending before the run on a non-zero value is held, with a warning.
    let sc_w = storm(
        &d,
        &[(
            "[[0, 0.0], [600, 4.0], [3600, 4.0], [4200, 0.0]]",
            "[[0, 0.0], [600, 4.0]]",
        )],
    );
    let o = bin().arg("check").arg(&sc_w).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("warning: source 'outfall': the series ends at 600 s"),
        "{}",
        text(&o)
    );
    // Malformed forcing.
    let bad = d.join("bad.csv");
    std::fs::write(&bad, "time_s,q\n0,1\nten,2\n").unwrap();
    let cases: &[(&str, &str, &str)] = &[
        (
            "model = \"green_ampt\"",
            "model = \"philip\"",
            "unknown model 'philip'",
        ),
        (
            "ks_mm_h = 5.0",
            "cn = 70.0",
            "infiltration.ks_mm_h: missing: the green_ampt model needs it",
        ),
        (
            "suction_m = 0.09",
            "suction_m = 0.09\nrate_mm_h = 3.0",
            "infiltration.rate_mm_h: not used by the green_ampt model",
        ),
        (
            "moisture_deficit = 0.25",
            "moisture_deficit = 1.5",
            "expected a fraction in [0, 1]",
        ),
        (
            "[[0, 30.0], [1800, 60.0]",
            "[[0, 30.0], [0, 60.0]",
            "does not increase",
        ),
        (
            "intensity_mm_h = [[0, 30.0]",
            "intensity_mm_h = [[0, -30.0]",
            "expected values >= 0",
        ),
        (
            "series = [[0, 0.0], [600, 4.0], [3600, 4.0], [4200, 0.0]]",
            "hydrograph = \"bad.csv\"",
            "bad.csv:3: 'ten,2': expected time_s,value",
        ),
        (
            "at = [502000.0, 4001900.0]",
            "at = [0.0, 0.0]",
            "source 'outfall' at (0, 0) is outside the DEM",
        ),
        (
            "series = [[0, 0.0]",
            "discharge_m3_s = 2.0\nseries = [[0, 0.0]",
            "give exactly one of discharge_m3_s, hydrograph or series",
        ),
    ];
    for (old, new, want) in cases {
        let sc = storm(&d, &[(old, new)]);
        let o = bin().arg("check").arg(&sc).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{want}: {}", text(&o));
        assert!(
            text(&o).contains(want),
            "expected `{want}` in\n{}",
            text(&o)
        );
    }
}

#[test]
fn ea_test4_inflow_enters_through_the_breach() {
    let d = tmpdir("ea4");
    let ds = root().join("datasets");
    let s = std::fs::read_to_string(root().join("examples/ea_test4.toml"))
        .unwrap()
        .replace("../datasets", &ds.display().to_string())
        .replace("../out/ea_test4", &d.join("out").display().to_string())
        .replace("[terrain]", "[terrain]\ncoarsen = 4")
        .replace("duration_s = 18000", "duration_s = 3600")
        .replace("output_interval_s = 60", "output_interval_s = 600")
        .replace("precision = \"f32\"", "precision = \"f64\"");
    let sc = d.join("ea4.toml");
    std::fs::write(&sc, s).unwrap();
    let o = bin().arg("run").arg(&sc).arg("--quiet").output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out/summary.json")).unwrap())
            .unwrap();
    let mb = &v["mass_balance"];
    // 0 until 300 s, then a ramp to 20 m3/s at 3600 s: 20 * 3300 / 2 = 33000 m3.
    assert!(
        (mb["boundary_inflow_m3"].as_f64().unwrap() - 33000.0).abs() < 1e-6,
        "{mb}"
    );
    assert!(mb["relative_error"].as_f64().unwrap().abs() < 1e-10, "{mb}");
    // The flood front reached P1 (50 m from the breach) but the water is deepest near the breach.
    let g = v["gauges"].as_array().unwrap();
    let p1 = g[0]["peak_depth_m"].as_f64().unwrap();
    let p5 = g[4]["peak_depth_m"].as_f64().unwrap();
    assert!(p1 > 0.05 && p1 > p5, "P1 {p1} m, P5 {p5} m");
}

#[test]
fn steady_channel_section_carries_the_inflow() {
    let d = tmpdir("section");
    let dem = d.join("flat.tif");
    let o = bin()
        .args(["make-dem", "flat"])
        .arg(&dem)
        .args([
            "--nx", "60", "--ny", "10", "--cell", "5", "--x0", "0", "--y0", "0",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let sc = d.join("channel.toml");
    std::fs::write(
        &sc,
        format!(
            r#"
[terrain]
dem = "{dem}"
[roughness]
manning = 0.03
[initial]
depth = 0.5
[time]
duration_s = 20000
output_interval_s = 2000
[solver]
scheme = "fv1"
precision = "f64"
[[boundary]]
kind = "inflow"
side = "west"
value = 5.0
[[boundary]]
kind = "normal_depth"
side = "east"
slope = 0.001
[[section]]
name = "middle"
line = [[150.0, 0.0], [150.0, 50.0]]
[output]
dir = "{out}"
"#,
            dem = dem.display(),
            out = d.join("out").display()
        ),
    )
    .unwrap();
    let o = bin().arg("run").arg(&sc).arg("--quiet").output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let csv = std::fs::read_to_string(d.join("out/sections.csv")).unwrap();
    let last = csv.lines().last().unwrap();
    let q: f64 = last.split(',').nth(1).unwrap().parse().unwrap();
    assert!(
        (q - 5.0).abs() < 1e-4,
        "steady discharge through the middle {q} m3/s, inflow 5\n{csv}"
    );
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out/summary.json")).unwrap())
            .unwrap();
    assert_eq!(s["sections"][0]["name"], "middle");
}

#[test]
fn river_flood_balances_in_f64() {
    let d = tmpdir("river");
    let sc = example(
        "river_flood",
        &d,
        &[
            ("precision = \"f32\"", "precision = \"f64\""),
            ("duration_s = 14400", "duration_s = 5400"),
            ("[terrain]", "[terrain]\ncoarsen = 2"),
        ],
    );
    let o = bin().arg("run").arg(&sc).arg("--quiet").output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out/summary.json")).unwrap())
            .unwrap();
    let mb = &s["mass_balance"];
    let err = mb["relative_error"].as_f64().unwrap();
    assert!(err.abs() < 1e-6, "river flood mass balance {err}: {mb}");
    for key in ["boundary_inflow_m3", "rain_m3", "infiltration_m3"] {
        assert!(mb[key].as_f64().unwrap() > 0.0, "{key} is booked: {mb}");
    }
    // Inflow: 20 -> 350 m3/s over the first hour, then down towards 250 at 2 h: exact volume.
    let inflow = 0.5 * (20.0 + 350.0) * 3600.0 + 0.5 * (350.0 + 300.0) * 1800.0;
    assert!(
        (mb["boundary_inflow_m3"].as_f64().unwrap() - inflow).abs() < 1e-6 * inflow,
        "{mb}"
    );
    let bridge = s["sections"][0]["peak_discharge_m3_s"].as_f64().unwrap();
    assert!(bridge > 50.0 && bridge < 350.0, "bridge peak {bridge} m3/s");
}

#[test]
fn rain_on_the_real_dem_when_present() {
    let dem = root().join("../shared/validation/real-dem-pysheds-fortworth/dem.tif");
    if !dem.exists() {
        eprintln!("skipped: {} is not on this machine", dem.display());
        return;
    }
    let d = tmpdir("realdem");
    let sc = example(
        "real_dem_rain",
        &d,
        &[
            (
                "../../shared/validation/real-dem-pysheds-fortworth/dem.tif",
                &dem.display().to_string(),
            ),
            ("precision = \"f32\"", "precision = \"f64\""),
            ("[terrain]", "[terrain]\ncoarsen = 2"),
            ("duration_s = 7200", "duration_s = 3600"),
        ],
    );
    let o = bin().arg("run").arg(&sc).arg("--quiet").output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out/summary.json")).unwrap())
            .unwrap();
    let mb = &s["mass_balance"];
    assert!(mb["relative_error"].as_f64().unwrap().abs() < 1e-6, "{mb}");
    // 50 mm on the active cells of the reprojected (UTM) grid, about 2 x 85 m after coarsening.
    let dx = s["grid"]["dx_m"].as_f64().unwrap();
    assert!((160.0..180.0).contains(&dx), "cell {dx} m");
    let info = bin()
        .arg("info")
        .arg(d.join("out/max_depth.tif"))
        .output()
        .unwrap();
    assert!(text(&info).contains("UTM zone 14N"), "{}", text(&info));
}

#[test]
fn ctrl_c_stops_after_a_step_and_saves_everything() {
    use std::io::{BufRead, BufReader};
    let d = tmpdir("ctrlc");
    let sc = example(
        "river_flood",
        &d,
        &[("output_interval_s = 900", "output_interval_s = 60")],
    );
    let mut child = bin()
        .arg("run")
        .arg(&sc)
        .arg("--json")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut outputs = 0;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if line.contains("\"event\":\"output\"") {
            outputs += 1;
            if outputs == 3 {
                let ok = Command::new("kill")
                    .args(["-INT", &child.id().to_string()])
                    .status()
                    .unwrap();
                assert!(ok.success());
            }
        }
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "exit status after Ctrl-C");
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out/summary.json")).unwrap())
            .unwrap();
    let t = s["interrupted_at_s"]
        .as_f64()
        .expect("summary says where the run stopped");
    assert!(t > 120.0 && t < 14400.0, "stopped at {t}");
    assert!((s["simulated_s"].as_f64().unwrap() - t).abs() < 1e-9);
    assert!(s["mass_balance"]["relative_error"].as_f64().unwrap().abs() < 1e-4);
    for f in [
        "max_depth.tif",
        "gauges.csv",
        "sections.csv",
        "hydrographs.png",
    ] {
        assert!(d.join("out").join(f).is_file(), "{f} written after Ctrl-C");
    }
    // The last snapshot is the state where the run stopped.
    let dump = Command::new("ncdump")
        .args(["-v", "time"])
        .arg(d.join("out/snapshots.h5"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&dump.stdout);
    let times = text.rsplit("time =").next().unwrap_or("");
    let last: f64 = times
        .trim()
        .trim_end_matches(['}', ';', '\n', ' '])
        .rsplit(',')
        .next()
        .unwrap()
        .trim()
        .trim_end_matches(" ;")
        .trim()
        .parse()
        .unwrap_or(f64::NAN);
    assert!(
        (last - t).abs() < 1e-6,
        "last snapshot at {last}, stopped at {t}\n{text}"
    );
}

#[test]
fn ctrl_c_then_resume_ends_bitwise_as_an_uninterrupted_run() {
    use basintwin_core::Checkpoint;
    let d = tmpdir("resume");
    let edits = [
        ("precision = \"f32\"", "precision = \"f64\""),
        ("duration_s = 14400", "duration_s = 3600"),
        ("output_interval_s = 900", "output_interval_s = 60"),
        ("[terrain]", "[terrain]\ncoarsen = 2"),
        ("[output]", "[output]\ncheckpoint_at_end = true"),
    ];
    let whole = d.join("whole");
    std::fs::create_dir_all(&whole).unwrap();
    let sc = example("river_flood", &whole, &edits);
    let o = bin().arg("run").arg(&sc).arg("--quiet").output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let parts = d.join("parts");
    std::fs::create_dir_all(&parts).unwrap();
    let sc2 = example("river_flood", &parts, &edits);
    // Nothing to resume from yet.
    let o = bin().arg("run").arg(&sc2).arg("--resume").output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("checkpoint.bin"), "{}", text(&o));
    assert_eq!(run_and_interrupt(&sc2, &[] as &[&str], 3), Some(130));
    let out2 = parts.join("out");
    let first: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out2.join("summary.json")).unwrap()).unwrap();
    let t_stop = first["interrupted_at_s"].as_f64().unwrap();
    assert!(t_stop > 60.0 && t_stop < 3600.0, "stopped at {t_stop}");
    assert!(out2.join("checkpoint.bin").is_file());
    // Stopped twice: the second resume goes on from the second checkpoint.
    assert_eq!(run_and_interrupt(&sc2, &["--resume"], 4), Some(130));
    let second: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out2.join("summary.json")).unwrap()).unwrap();
    assert!(second["interrupted_at_s"].as_f64().unwrap() > t_stop);
    let o = bin()
        .arg("run")
        .arg(&sc2)
        .arg("--resume")
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    // The final full-precision state, ledger, maxima and series are those of the whole run.
    let read = |p: &Path| {
        Checkpoint::from_bytes(&std::fs::read(p.join("out/checkpoint.bin")).unwrap()).unwrap()
    };
    let (a, b) = (read(&whole), read(&parts));
    assert_eq!(a.header.time_s, 3600.0);
    assert_eq!(a.header.steps, b.header.steps);
    assert_eq!(a.header.ledger, b.header.ledger);
    assert_eq!(a.header.tracked_m3, b.header.tracked_m3);
    assert_eq!(a.arrays.len(), b.arrays.len());
    for ((name, x), (_, y)) in a.arrays.iter().zip(&b.arrays) {
        let differ = x
            .iter()
            .zip(y)
            .filter(|(p, q)| p.to_bits() != q.to_bits())
            .count();
        assert_eq!(differ, 0, "{name}: {differ} values differ");
    }
    for f in ["gauges.csv", "sections.csv"] {
        assert_eq!(
            std::fs::read_to_string(whole.join("out").join(f)).unwrap(),
            std::fs::read_to_string(out2.join(f)).unwrap(),
            "{f}"
        );
    }
    let sa: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(whole.join("out/summary.json")).unwrap())
            .unwrap();
    let sb: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out2.join("summary.json")).unwrap()).unwrap();
    assert_eq!(sa["mass_balance"], sb["mass_balance"]);
    assert_eq!(sa["gauges"], sb["gauges"]);
    assert_eq!(sa["steps"], sb["steps"]);
    assert!(sb["resumed_from_s"].as_f64().unwrap() > t_stop);
    // The whole run ended at its duration: nothing left to resume.
    let o = bin().arg("run").arg(&sc).arg("--resume").output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("lengthen the duration"), "{}", text(&o));
    // Extending it: a longer duration continues from the end checkpoint.
    let longer = std::fs::read_to_string(&sc)
        .unwrap()
        .replace("duration_s = 3600", "duration_s = 3900");
    std::fs::write(&sc, longer).unwrap();
    let o = bin()
        .arg("run")
        .arg(&sc)
        .arg("--resume")
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(read(&whole).header.time_s, 3900.0);
    // A checkpoint of another scheme is refused with exit code 2.
    let other = std::fs::read_to_string(&sc)
        .unwrap()
        .replace("scheme = \"fv2\"", "scheme = \"fv1\"")
        .replace("duration_s = 3900", "duration_s = 4200");
    std::fs::write(&sc, other).unwrap();
    let o = bin().arg("run").arg(&sc).arg("--resume").output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("checkpoint") && text(&o).contains("fv2"),
        "{}",
        text(&o)
    );
}

#[test]
fn gridded_rain_and_infiltration_rasters() {
    let d = tmpdir("gridrain");
    let base = [
        ("precision = \"f32\"", "precision = \"f64\""),
        ("[terrain]", "[terrain]\ncoarsen = 4"),
        ("duration_s = 7200", "duration_s = 1800"),
    ];
    let run = |name: &str, edits: &[(&str, &str)]| -> serde_json::Value {
        let dir = d.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let mut all: Vec<(&str, &str)> = base.to_vec();
        all.extend_from_slice(edits);
        let sc = example("valley_rain", &dir, &all);
        let o = bin().arg("run").arg(&sc).arg("--quiet").output().unwrap();
        assert!(o.status.success(), "{name}: {}", text(&o));
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/summary.json")).unwrap())
            .unwrap()
    };
    let series =
        "intensity_mm_h = [[0, 30.0], [1800, 60.0], [3600, 10.0], [5400, 0.0]]   # [time_s, mm/h]";
    // Uniform rain as a series, and the same rain as 1 km radar frames named by date (start is
    // 15:00), and as a NetCDF variable with its time in minutes.
    let uniform = run(
        "uniform",
        &[(series, "intensity_mm_h = [[0, 30.0], [1800, 60.0]]")],
    );
    let radar = d.join("radar");
    std::fs::create_dir_all(&radar).unwrap();
    for (name, v) in [
        ("rain_20260714T1500.tif", 30.0),
        ("rain_20260714T1530.tif", 60.0),
    ] {
        ascii_tif(
            &radar.join(name),
            500000.0,
            4000000.0,
            1000.0,
            &vec![vec![v; 8]; 3],
        );
    }
    let folder = run(
        "folder",
        &[(series, &format!("grids = \"{}\"", radar.display()))],
    );
    let cdl = d.join("rain.cdl");
    let xs: Vec<String> = (0..8).map(|i| (500500 + 1000 * i).to_string()).collect();
    let ys: Vec<String> = (0..3).map(|j| (4002500 - 1000 * j).to_string()).collect();
    let field = |v: f64| vec![v.to_string(); 24].join(", ");
    std::fs::write(
        &cdl,
        format!(
            "netcdf rain {{\ndimensions:\n time = 2 ;\n y = 3 ;\n x = 8 ;\nvariables:\n double time(time) ;\n  time:units = \"minutes since 2026-07-14 15:00:00\" ;\n double y(y) ;\n  y:standard_name = \"projection_y_coordinate\" ;\n  y:units = \"m\" ;\n double x(x) ;\n  x:standard_name = \"projection_x_coordinate\" ;\n  x:units = \"m\" ;\n float precip(time, y, x) ;\n  precip:units = \"kg m-2 s-1\" ;\n float other(time, y, x) ;\ndata:\n time = 0, 30 ;\n y = {} ;\n x = {} ;\n precip = {}, {} ;\n other = {}, {} ;\n}}\n",
            ys.join(", "),
            xs.join(", "),
            field(30.0 / 3600.0),
            field(60.0 / 3600.0),
            field(0.0),
            field(0.0)
        ),
    )
    .unwrap();
    let nc = d.join("rain.nc");
    let o = Command::new("ncgen")
        .args(["-k", "nc4", "-o"])
        .arg(&nc)
        .arg(&cdl)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let netcdf = run(
        "netcdf",
        &[(
            series,
            &format!("grids = \"{}\"\nvariable = \"precip\"", nc.display()),
        )],
    );
    let rain = |s: &serde_json::Value| s["mass_balance"]["rain_m3"].as_f64().unwrap();
    println!(
        "rain: uniform {:.3} m3, raster frames {:.3} m3, NetCDF {:.3} m3",
        rain(&uniform),
        rain(&folder),
        rain(&netcdf)
    );
    for s in [&folder, &netcdf] {
        assert!(
            (rain(s) - rain(&uniform)).abs() < 1e-6 * rain(&uniform),
            "{}",
            rain(s)
        );
        assert!(s["mass_balance"]["relative_error"].as_f64().unwrap().abs() < 1e-9);
        let inf = s["mass_balance"]["infiltration_m3"].as_f64().unwrap();
        let inf0 = uniform["mass_balance"]["infiltration_m3"].as_f64().unwrap();
        assert!((inf - inf0).abs() < 1e-6 * inf0, "{inf} vs {inf0}");
    }
    // A NetCDF file with several variables needs rain.variable.
    let dir = d.join("novar");
    std::fs::create_dir_all(&dir).unwrap();
    let sc = example(
        "valley_rain",
        &dir,
        &[(series, &format!("grids = \"{}\"", nc.display()))],
    );
    let o = bin().arg("check").arg(&sc).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("name the rain with rain.variable"),
        "{}",
        text(&o)
    );
    // Frames named by date need the scenario's start.
    let sc = example(
        "valley_rain",
        &dir,
        &[
            (series, &format!("grids = \"{}\"", radar.display())),
            ("start = \"2026-07-14T15:00:00Z\"\n", ""),
        ],
    );
    let o = bin().arg("check").arg(&sc).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("needs `start`"), "{}", text(&o));

    // Infiltration parameters as rasters: a raster of 5 mm/h everywhere gives the same losses as
    // the number; a negative conductivity is refused naming the place.
    let soil = d.join("ks.tif");
    ascii_tif(&soil, 500000.0, 4000000.0, 500.0, &vec![vec![5.0; 16]; 6]);
    let from_raster = run(
        "soil",
        &[(
            "ks_mm_h = 5.0 ",
            &format!("ks_mm_h = \"{}\" ", soil.display()),
        )],
    );
    let a = uniform["mass_balance"]["infiltration_m3"].as_f64().unwrap();
    let b = from_raster["mass_balance"]["infiltration_m3"]
        .as_f64()
        .unwrap();
    println!("infiltration: number {a:.6} m3, raster {b:.6} m3");
    assert!(a > 0.0);
    let (ru, rr) = (rain(&uniform), rain(&from_raster));
    assert!((ru - rr).abs() < 1e-9 * ru);
    assert!((a - b).abs() < 1e-9 * a, "{a} vs {b}");
    let mut rows = vec![vec![5.0; 16]; 6];
    rows[2][3] = -1.0;
    ascii_tif(&soil, 500000.0, 4000000.0, 500.0, &rows);
    let sc = example(
        "valley_rain",
        &dir,
        &[(
            "ks_mm_h = 5.0 ",
            &format!("ks_mm_h = \"{}\" ", soil.display()),
        )],
    );
    let o = bin().arg("check").arg(&sc).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("infiltration: at (") && text(&o).contains("invalid"),
        "{}",
        text(&o)
    );
}

/// `--backend gpu` runs the demo on whatever adapter there is (lavapipe in CI) and gives the
/// CPU's gauge peaks; what the GPU backend cannot do yet is refused with exit code 2.
#[test]
fn gpu_backend_runs_the_demo_like_the_cpu() {
    let d = tmpdir("gpu");
    let edits = [
        ("[terrain]", "[terrain]\ncoarsen = 2"),
        ("duration_s = 3600", "duration_s = 1200"),
    ];
    let sc = scenario(&d, &edits);
    let gpu = bin()
        .arg("run")
        .arg(&sc)
        .args(["--backend", "gpu", "--quiet", "--output"])
        .arg(d.join("gpu"))
        .output()
        .unwrap();
    if gpu.status.code() == Some(2) && text(&gpu).contains("no GPU adapter") {
        assert!(
            std::env::var("BASINTWIN_REQUIRE_GPU").as_deref() != Ok("1"),
            "BASINTWIN_REQUIRE_GPU=1 but {}",
            text(&gpu)
        );
        eprintln!("skipped: {}", text(&gpu));
        return;
    }
    assert!(gpu.status.success(), "{}", text(&gpu));
    let cpu = bin()
        .arg("run")
        .arg(&sc)
        .args(["--quiet", "--output"])
        .arg(d.join("cpu"))
        .output()
        .unwrap();
    assert!(cpu.status.success(), "{}", text(&cpu));
    let read = |w: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(d.join(w).join("summary.json")).unwrap())
            .unwrap()
    };
    let (c, g) = (read("cpu"), read("gpu"));
    assert!(
        g["backend"].as_str().unwrap().starts_with("gpu"),
        "{}",
        g["backend"]
    );
    for (a, b) in c["gauges"]
        .as_array()
        .unwrap()
        .iter()
        .zip(g["gauges"].as_array().unwrap())
    {
        let (la, lb) = (
            a["peak_level_m"].as_f64().unwrap(),
            b["peak_level_m"].as_f64().unwrap(),
        );
        println!("{}: peak level cpu {la:.4} m, gpu {lb:.4} m", a["name"]);
        assert!((la - lb).abs() < 1e-3, "{a} vs {b}");
        assert_eq!(a["peak_time_s"], b["peak_time_s"]);
    }
    assert!(g["mass_balance"]["relative_error"].as_f64().unwrap().abs() < 1e-5);
    assert!(d.join("gpu/max_depth.tif").is_file() && d.join("gpu/snapshots.h5").is_file());
    // Run to run, the GPU writes bitwise the same snapshots.
    let again = bin()
        .arg("run")
        .arg(&sc)
        .args(["--backend", "gpu", "--quiet", "--output"])
        .arg(d.join("gpu2"))
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", text(&again));
    let (f1, f2) = (d.join("gpu/snapshots.h5"), d.join("gpu2/snapshots.h5"));
    let times = basintwin_io::snapshot_times(&f1).unwrap();
    assert_eq!(times, basintwin_io::snapshot_times(&f2).unwrap());
    for &t in &times {
        let (_, a) = basintwin_io::read_snapshot::<f32>(&f1, basintwin_io::Which::At(t)).unwrap();
        let (_, b) = basintwin_io::read_snapshot::<f32>(&f2, basintwin_io::Which::At(t)).unwrap();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a.h), bits(&b.h), "snapshot at {t} s");
        assert_eq!(bits(&a.qx), bits(&b.qx), "snapshot at {t} s");
    }
    // An adapter asked for by a name none has is an input error that says so.
    let o = bin()
        .arg("run")
        .arg(&sc)
        .args(["--backend", "gpu", "--output"])
        .arg(d.join("none"))
        .env("BASINTWIN_ADAPTER", "no-such-gpu-9000")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no-such-gpu-9000"), "{}", text(&o));
    // f64 on the GPU is an input error.
    let sc64 = scenario(&d, &[("precision = \"f32\"", "precision = \"f64\"")]);
    let o = bin()
        .arg("run")
        .arg(&sc64)
        .args(["--backend", "gpu"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("f32"), "{}", text(&o));
    // The river flood (inflow segment, rain, Horton, normal depth, a section) on the GPU books
    // the same water as on the CPU.
    let dir = d.join("river");
    std::fs::create_dir_all(&dir).unwrap();
    let edits = [
        ("duration_s = 14400", "duration_s = 1800"),
        ("[terrain]", "[terrain]\ncoarsen = 2"),
    ];
    let sc = example("river_flood", &dir, &edits);
    for (backend, out) in [("gpu", "gpu"), ("cpu", "cpu")] {
        let o = bin()
            .arg("run")
            .arg(&sc)
            .args(["--backend", backend, "--quiet", "--output"])
            .arg(dir.join(out))
            .output()
            .unwrap();
        assert!(o.status.success(), "{backend}: {}", text(&o));
    }
    let read = |w: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(w).join("summary.json")).unwrap())
            .unwrap()
    };
    let (c, g) = (read("cpu"), read("gpu"));
    for key in [
        "boundary_inflow_m3",
        "rain_m3",
        "infiltration_m3",
        "final_m3",
    ] {
        let (a, b) = (
            c["mass_balance"][key].as_f64().unwrap(),
            g["mass_balance"][key].as_f64().unwrap(),
        );
        println!("river flood {key}: cpu {a:.3}, gpu {b:.3}");
        assert!(
            (a - b).abs() <= 1e-4 * a.abs().max(1.0),
            "{key}: cpu {a} gpu {b}"
        );
    }
    let (qa, qb) = (
        c["sections"][0]["peak_discharge_m3_s"].as_f64().unwrap(),
        g["sections"][0]["peak_discharge_m3_s"].as_f64().unwrap(),
    );
    assert!(
        (qa - qb).abs() < 1e-3 * qa.abs().max(1.0),
        "bridge peak cpu {qa} gpu {qb}"
    );
}

/// A lake at rest from `initial.water_level` over the valley (a real-shaped bed near the datum,
/// with dry banks and islands) stays at rest in f32, every scheme, CPU and GPU: the issue's
/// bound is 1e-6 m/s, and the schemes are exactly balanced.
#[test]
fn a_lake_from_a_water_level_stays_at_rest_in_f32() {
    let d = tmpdir("lake");
    for scheme in ["inertial", "fv1", "fv2"] {
        let dir = d.join(scheme);
        std::fs::create_dir_all(&dir).unwrap();
        let sc = scenario(
            &dir,
            &[
                ("[terrain]", "[terrain]\ncoarsen = 4"),
                ("[initial]\ndepth", "[initial]\nwater_level = 5.3\n# depth"),
                ("duration_s = 3600", "duration_s = 1800"),
                ("scheme = \"fv1\"", &format!("scheme = \"{scheme}\"")),
            ],
        );
        for backend in ["cpu", "gpu"] {
            let out = dir.join(backend);
            let o = bin()
                .arg("run")
                .arg(&sc)
                .args(["--backend", backend, "--quiet", "--output"])
                .arg(&out)
                .output()
                .unwrap();
            if backend == "gpu" && o.status.code() == Some(2) && text(&o).contains("no GPU adapter")
            {
                eprintln!("skipped: {}", text(&o));
                continue;
            }
            assert!(o.status.success(), "{scheme} {backend}: {}", text(&o));
            let (t, s) = basintwin_io::read_snapshot::<f32>(
                out.join("snapshots.h5"),
                basintwin_io::Which::Last,
            )
            .unwrap();
            let wet: Vec<usize> = (0..s.h.len()).filter(|&k| s.h[k] > 1e-3).collect();
            let speed = wet
                .iter()
                .map(|&k| (s.qx[k].hypot(s.qy[k]) / s.h[k]) as f64)
                .fold(0.0, f64::max);
            println!(
                "lake at 5.3 m, {scheme} on the {backend}: {} wet cells, largest speed at {t} s {speed:.2e} m/s",
                wet.len()
            );
            assert!(t == 1800.0 && wet.len() > 500 && wet.len() < s.h.len());
            assert!(speed < 1e-6, "{scheme} {backend}: {speed} m/s");
        }
    }
}

/// `validate --quick` runs every case, passes its checks, and writes a report whose plots are
/// real images and whose links resolve.
#[test]
fn validate_quick_writes_a_report_that_passes() {
    let d = tmpdir("validate");
    let out = d.join("report");
    let o = bin()
        .args(["validate", "--quick", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let md = std::fs::read_to_string(out.join("index.md")).unwrap();
    assert!(
        md.contains("checks passed") || md.contains("passed."),
        "{md}"
    );
    assert!(!md.contains("FAILED"), "{md}");
    let mut images = 0;
    for part in md.split("](").skip(1) {
        let target = part.split(')').next().unwrap();
        let p = out.join(target);
        let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert!(bytes.starts_with(b"\x89PNG"), "{target} is a PNG");
        // A blank 900 x 600 plot compresses to a few kB; curves, labels and grid make tens.
        assert!(bytes.len() > 20_000, "{target}: {} bytes", bytes.len());
        images += 1;
    }
    assert!(images >= 7, "{images} images linked");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(json["results"].as_array().unwrap().len(), 99);
    // No overwriting by surprise; bad arguments are input errors.
    let o = bin()
        .args(["validate", "--quick", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = bin().args(["validate", "--case", "nope"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// The Soares-Frazão flume against its measured gauges, when the data is on this machine.
#[test]
fn validate_flume_against_measurements_when_present() {
    let data = root().join("../shared/validation/isolated-building-soares-frazao");
    if !data.is_dir() {
        eprintln!("skipped: {} is not on this machine", data.display());
        return;
    }
    let d = tmpdir("flume");
    let o = bin()
        .args([
            "validate",
            "--quick",
            "--case",
            "soares_frazao",
            "--scheme",
            "fv1",
            "--out",
        ])
        .arg(d.join("r"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("r/results.json")).unwrap()).unwrap();
    let rows = json["results"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for r in rows {
        // Mean RMSE over G1-G5 against the measured depths (m).
        let e = r["l1_m"].as_f64().unwrap();
        println!(
            "flume fv1, {} cells: mean RMSE {:.1} cm",
            r["cells"],
            100.0 * e
        );
        assert!(e < 0.05, "{r}");
    }
    assert!(d.join("r/soares_frazao_G1.png").is_file());
}

#[test]
fn validate_ea_test4_when_present() {
    let data = root().join("../shared/validation/ea-benchmark/test4_flood_speed");
    if !data.is_dir() {
        eprintln!("skipped: {} is not on this machine", data.display());
        return;
    }
    let d = tmpdir("ea4");
    let o = bin()
        .args([
            "validate", "--quick", "--case", "ea_test4", "--scheme", "fv1", "--out",
        ])
        .arg(d.join("r"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let md = std::fs::read_to_string(d.join("r/index.md")).unwrap();
    // On the finest quick grid (40 m): the flood reaches the points along the centre line
    // (50, 100, 200, 300, 400 m from the breach) in that order, ever shallower.
    let row = md
        .lines()
        .find(|l| l.starts_with("| fv1 | cpu | f64 | 40 |"))
        .unwrap_or_else(|| panic!("{md}"));
    let cols: Vec<&str> = row.split('|').map(str::trim).collect();
    let nums = |c: &str| -> Vec<f64> { c.split(' ').map(|v| v.parse().unwrap()).collect() };
    let (arrival, peak) = (nums(cols[7]), nums(cols[8]));
    println!("EA Test 4, fv1 40 m: arrival {arrival:?} min, peak {peak:?} m");
    for k in 0..4 {
        assert!(arrival[k] < arrival[k + 1], "{row}");
        assert!(peak[k] > peak[k + 1], "{row}");
    }
    assert!(md.contains("ea_test4, fv1 cpu f64: mass error"));
    assert!(d.join("r/ea_test4_P1.png").is_file());
}

#[test]
fn landuse_classes_give_the_same_roughness_as_the_manning_raster() {
    let d = tmpdir("landuse");
    let lu = d.join("landuse.tif");
    let o = bin()
        .args(["make-dem", "valley-landuse"])
        .arg(&lu)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let manning_line = format!(
        "manning = \"{}\"",
        root().join("datasets/valley_manning.tif").display()
    );
    // The Manning raster stores float32: give the classes the same float32 values, so that the
    // two runs see bitwise the same roughness.
    let (n1, n2) = (f64::from(0.03f32), f64::from(0.06f32));
    let with_classes = format!(
        "landuse = \"{}\"\nclasses = {{ \"1\" = {n1:?}, \"2\" = {n2:?} }}",
        lu.display()
    );
    let run = |sub: &str, edits: &[(&str, &str)]| {
        let dir = d.join(sub);
        std::fs::create_dir_all(&dir).unwrap();
        let mut all = vec![("duration_s = 3600", "duration_s = 600")];
        all.extend_from_slice(edits);
        let sc = scenario(&dir, &all);
        let o = bin().arg("run").arg(&sc).arg("--quiet").output().unwrap();
        assert!(o.status.success(), "{}", text(&o));
        let s: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("out/summary.json")).unwrap())
                .unwrap();
        (s["steps"].clone(), s["mass_balance"]["final_m3"].clone())
    };
    let sc0 = scenario(&d, &[]);
    let raster_line = std::fs::read_to_string(&sc0)
        .unwrap()
        .lines()
        .find(|l| l.starts_with("manning = "))
        .unwrap()
        .to_string();
    assert!(
        raster_line.contains("valley_manning.tif"),
        "{raster_line} vs {manning_line}"
    );
    let a = run("raster", &[]);
    let b = run("classes", &[(raster_line.as_str(), with_classes.as_str())]);
    assert_eq!(
        a, b,
        "landuse + classes must reproduce the Manning raster exactly"
    );
    // Errors: a class without n, classes missing, both given.
    let cases = [
        (
            format!(
                "landuse = \"{}\"\nclasses = {{ \"1\" = 0.03 }}",
                lu.display()
            ),
            "class 2",
        ),
        (
            format!("landuse = \"{}\"", lu.display()),
            "landuse needs classes",
        ),
        (
            format!("{raster_line}\nlanduse = \"{}\"", lu.display()),
            "give manning or landuse, not both",
        ),
    ];
    for (k, (new, want)) in cases.iter().enumerate() {
        let dir = d.join(format!("bad{k}"));
        std::fs::create_dir_all(&dir).unwrap();
        let sc = scenario(&dir, &[(raster_line.as_str(), new.as_str())]);
        let o = bin().arg("check").arg(&sc).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(
            text(&o).contains(want),
            "expected `{want}` in\n{}",
            text(&o)
        );
    }
}

/// Rules of the scenario validators that `check` applies: stage levels below the datum are
/// levels, a value of the wrong type or an unknown key names where it is, `check` refuses what
/// `run` would (f64 on the GPU), and checkpoints may be asked for at an interval.
#[test]
fn check_names_keys_and_refuses_what_run_would() {
    let d = tmpdir("check-rules");
    let check = |what: &str, edits: &[(&str, &str)]| {
        let dir = d.join(what);
        std::fs::create_dir_all(&dir).unwrap();
        bin()
            .arg("check")
            .arg(scenario(&dir, edits))
            .output()
            .unwrap()
    };
    // A tide below mean sea level at the outlet.
    let o = check(
        "tide",
        &[(
            "kind = \"free\"           # the valley drains out to the east",
            "kind = \"stage\"\nseries = [[0, -1.5], [1800, 0.5], [3600, -1.5]]",
        )],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = check(
        "checkpoints",
        &[("[output]", "[output]\ncheckpoint_interval_s = 600")],
    );
    assert!(o.status.success(), "{}", text(&o));
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        (
            "type",
            &[("duration_s = 3600", "duration_s = \"an hour\"")],
            "line 16: time.duration_s: invalid type: string \"an hour\", expected f64",
        ),
        (
            "unknown",
            &[("[solver]", "[solver]\nfoo = 1")],
            "solver: unknown field `foo`, expected one of",
        ),
        (
            "gpu64",
            &[(
                "precision = \"f32\"",
                "precision = \"f64\"\nbackend = \"gpu\"",
            )],
            "solver.precision = \"f64\" with the GPU backend: the GPU computes in f32",
        ),
        (
            "checkpoint",
            &[("[output]", "[output]\ncheckpoint_interval_s = -60")],
            "output.checkpoint_interval_s: -60: expected a positive interval in seconds",
        ),
        (
            "inflow",
            &[(
                "kind = \"free\"           # the valley drains out to the east",
                "kind = \"inflow\"\nvalue = -5.0",
            )],
            "boundary.value: -5 at 0 s: expected values >= 0",
        ),
    ];
    for (what, edits, want) in cases {
        let o = check(what, edits);
        assert_eq!(o.status.code(), Some(2), "{what}: {}", text(&o));
        assert!(
            text(&o).contains(want),
            "{what}: expected `{want}` in\n{}",
            text(&o)
        );
    }
}

/// Runs `sc` with `--json` and sends SIGKILL (no warning, no chance to save) right after the
/// output at `kill_at_s` is reported; returns whether the run was killed.
fn run_and_kill(sc: &Path, extra: &[&str], kill_at_s: f64) -> bool {
    use std::io::{BufRead, BufReader};
    let mut child = bin()
        .arg("run")
        .arg(sc)
        .args(extra)
        .arg("--json")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if v["event"] == "output" && v["time_s"].as_f64() == Some(kill_at_s) {
            child.kill().unwrap();
            break;
        }
    }
    child.wait().unwrap().code().is_none()
}

/// `output.checkpoint_interval_s`: a run killed with SIGKILL at any moment after its first
/// periodic checkpoint resumes from the last one (snapshots and tables written after it are cut
/// back) and ends bitwise equal to the uninterrupted run, also when a resumed run is killed again.
#[test]
fn a_run_killed_without_warning_resumes_from_its_last_periodic_checkpoint() {
    let d = tmpdir("sigkill");
    let edits = [
        ("duration_s = 14400", "duration_s = 1800"),
        ("output_interval_s = 900", "output_interval_s = 120"),
        ("[terrain]", "[terrain]\ncoarsen = 2"),
        (
            "[output]",
            "[output]\ngauge_interval_s = 60\ncheckpoint_interval_s = 300",
        ),
    ];
    let whole = d.join("whole");
    std::fs::create_dir_all(&whole).unwrap();
    let sc = example("river_flood", &whole, &edits);
    let o = bin().arg("run").arg(&sc).arg("--quiet").output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    // Finished without checkpoint_at_end: no checkpoint is left behind.
    assert!(!whole.join("out/checkpoint.bin").exists());
    // Killed between checkpoints, right at one (the checkpoint may or may not be on disk), late;
    // and killed twice.
    for (k, kills) in [vec![360.0], vec![600.0], vec![1320.0], vec![420.0, 960.0]]
        .into_iter()
        .enumerate()
    {
        let part = d.join(format!("part{k}"));
        std::fs::create_dir_all(&part).unwrap();
        let sc2 = example("river_flood", &part, &edits);
        for (n, &t) in kills.iter().enumerate() {
            let extra: &[&str] = if n == 0 { &[] } else { &["--resume"] };
            assert!(
                run_and_kill(&sc2, extra, t),
                "run {k} was not killed at {t} s"
            );
            assert!(
                part.join("out/checkpoint.bin").is_file(),
                "run {k}: no checkpoint at {t} s"
            );
            assert!(!part.join("out/summary.json").exists());
        }
        let o = bin()
            .arg("run")
            .arg(&sc2)
            .arg("--resume")
            .arg("--quiet")
            .output()
            .unwrap();
        assert!(o.status.success(), "run {k}: {}", text(&o));
        for f in ["gauges.csv", "sections.csv"] {
            assert_eq!(
                std::fs::read_to_string(whole.join("out").join(f)).unwrap(),
                std::fs::read_to_string(part.join("out").join(f)).unwrap(),
                "run {k}: {f}"
            );
        }
        assert_same_snapshots(
            &whole.join("out/snapshots.h5"),
            &part.join("out/snapshots.h5"),
        );
        let read = |p: &Path| -> serde_json::Value {
            serde_json::from_str(&std::fs::read_to_string(p.join("out/summary.json")).unwrap())
                .unwrap()
        };
        let (sa, sb) = (read(&whole), read(&part));
        assert_eq!(sa["mass_balance"], sb["mass_balance"], "run {k}");
        assert_eq!(sa["steps"], sb["steps"], "run {k}");
        assert_eq!(sa["gauges"], sb["gauges"], "run {k}");
        assert_eq!(sa["sections"], sb["sections"], "run {k}");
        assert!(sb["resumed_from_s"].as_f64().unwrap() >= 300.0);
    }
}

/// A negative value in an initial-depth raster is named with the raster file, the cell's row and
/// column (from the north-west corner) and its map coordinates; `check` and `run` both refuse it.
#[test]
fn a_negative_initial_depth_names_the_raster_and_the_cell() {
    let dir = tmpdir("negative-depth");
    let mut rows = vec![vec![0.0; 400]; 150];
    rows[10][25] = -0.99;
    let depth = dir.join("depth.tif");
    ascii_tif(&depth, 500000.0, 4000000.0, 20.0, &rows);
    let sc = example(
        "dam_break",
        &dir,
        // The example's own depth raster becomes a comment.
        &[(
            "depth = \"",
            &format!("depth = \"{}\"\n# ", depth.display()),
        )],
    );
    for cmd in ["check", "run"] {
        let o = bin().arg(cmd).arg(&sc).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{cmd}: {}", text(&o));
        let t = text(&o);
        for want in [
            "initial.depth",
            &depth.display().to_string(),
            "depth -0.99",
            "row 10, column 25",
            "x 500510.0, y 4002790.0",
        ] {
            assert!(t.contains(want), "{cmd}: '{want}' not in {t}");
        }
    }
}
