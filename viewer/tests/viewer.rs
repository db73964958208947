//! The viewer end to end, headless: screenshots of the dam-break example at two times (water
//! colours present and spreading, legend drawn), and bad input refused with exit code 2.
//! Rendering runs on any Vulkan adapter, Mesa's lavapipe included; without one the screenshot
//! test is skipped unless `BASINTWIN_REQUIRE_GPU=1`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use basintwin_viewer::colormap::{ColorMode, is_probability_like, is_water_like, water_srgb};

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("basintwin-viewer-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn viewer() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_basintwin-viewer"));
    c.env("RUST_LOG", "warn");
    c
}

/// Runs `sc` to its end, replacing earlier results, without progress.
fn run_quietly(sc: &basintwin_runner::scenario::Scenario) {
    let opts = basintwin_runner::run::RunOptions {
        threads: None,
        overwrite: true,
        resume: false,
        quiet: true,
        json: false,
        interrupt: None,
        member: None,
    };
    basintwin_runner::run::run_scenario(sc, opts).unwrap();
}

/// The dam-break example's first half hour, written to `dir`.
fn dam_break_run(dir: &Path) {
    let mut sc = basintwin_runner::scenario::load(&repo().join("examples/dam_break.toml")).unwrap();
    sc.output_dir = dir.to_path_buf();
    sc.duration_s = 1800.0;
    run_quietly(&sc);
}

/// Renders the run at time `t`; None when there is no adapter (and none is required).
fn screenshot(run: &Path, t: f64, png: &Path) -> Option<image::RgbImage> {
    screenshot_with(run, t, png, &[])
}

fn screenshot_with(run: &Path, t: f64, png: &Path, extra: &[&str]) -> Option<image::RgbImage> {
    let out = viewer()
        .arg(run)
        .args(extra)
        .args([
            "--time",
            &t.to_string(),
            "--width",
            "960",
            "--height",
            "540",
        ])
        .arg("--screenshot")
        .arg(png)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let no_adapter = err.contains("Unable to find a GPU") || err.contains("adapter");
        if no_adapter && std::env::var_os("BASINTWIN_REQUIRE_GPU").is_none() {
            eprintln!("skipped: no GPU adapter (install Mesa's lavapipe: mesa-vulkan-drivers)");
            return None;
        }
        panic!("viewer failed ({}): {err}", out.status);
    }
    Some(image::open(png).unwrap().to_rgb8())
}

fn water_pixels(img: &image::RgbImage) -> usize {
    img.pixels().filter(|p| is_water_like(p.0)).count()
}

/// A row holding the colour bar: its two ends' colours, at least 150 px apart.
fn legend_row(img: &image::RgbImage, max: f32) -> Option<u32> {
    let near = |a: [u8; 3], b: [u8; 3]| a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 3);
    let light = water_srgb(ColorMode::Depth, max * 0.5 / 64.0, 0.0, max);
    let dark = water_srgb(ColorMode::Depth, max * 63.5 / 64.0, 0.0, max);
    (0..img.height()).find(|&y| {
        let xs = |c: [u8; 3]| {
            (0..img.width())
                .filter(|&x| near(img.get_pixel(x, y).0, c))
                .collect::<Vec<_>>()
        };
        match (xs(light).first(), xs(dark).last()) {
            (Some(&a), Some(&b)) => b > a + 150,
            _ => false,
        }
    })
}

#[test]
fn dam_break_screenshots_show_the_flood_spreading_and_the_legend() {
    let d = tmpdir("shots");
    let run = d.join("run");
    dam_break_run(&run);
    let Some(early) = screenshot(&run, 300.0, &d.join("early.png")) else {
        return;
    };
    let late = screenshot(&run, 1800.0, &d.join("late.png")).unwrap();
    for img in [&early, &late] {
        assert_eq!(img.dimensions(), (960, 540));
        // Not blank: many colours and a spread of brightness.
        let mut colours: Vec<[u8; 3]> = img.pixels().map(|p| p.0).collect();
        colours.sort_unstable();
        colours.dedup();
        assert!(colours.len() > 500, "{} colours", colours.len());
    }
    let (w0, w1) = (water_pixels(&early), water_pixels(&late));
    eprintln!("water pixels: {w0} at 300 s, {w1} at 1800 s");
    assert!(w0 > 2000, "{w0} water pixels at 300 s");
    assert!(w1 > 2 * w0, "the flood grows: {w0} -> {w1}");
    // The legend: the colour bar's ends with the default top (5 m for this run's depths).
    for img in [&early, &late] {
        assert!(legend_row(img, 5.0).is_some(), "no legend colour bar");
    }
    // The same frame twice: identical pixels (deterministic rendering).
    let again = screenshot(&run, 1800.0, &d.join("again.png")).unwrap();
    assert!(again == late, "two renderings of the same frame differ");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn live_mode_runs_the_scenario_in_process_and_shows_its_snapshots() {
    let d = tmpdir("live");
    let text = std::fs::read_to_string(repo().join("examples/dam_break.toml"))
        .unwrap()
        .replace(
            "\"../datasets/",
            &format!("\"{}/datasets/", repo().display()),
        )
        .replace(
            "dir = \"../out/dam_break\"",
            &format!("dir = \"{}\"", d.join("out").display()),
        );
    let sc = d.join("live.toml");
    std::fs::write(&sc, text).unwrap();
    let png = d.join("live.png");
    let out = viewer()
        .arg("--live")
        .arg(&sc)
        .args(["--width", "640", "--height", "360", "--screenshot"])
        .arg(&png)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    if !out.status.success()
        && (err.contains("Unable to find a GPU") || err.contains("adapter"))
        && std::env::var_os("BASINTWIN_REQUIRE_GPU").is_none()
    {
        eprintln!("skipped: no GPU adapter");
        return;
    }
    assert!(out.status.success(), "{err}");
    // The run wrote its snapshots where the scenario says, and the frame shows water.
    assert!(d.join("out/snapshots.h5").is_file());
    let img = image::open(&png).unwrap().to_rgb8();
    assert!(water_pixels(&img) > 500);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn bad_input_is_refused_with_exit_code_2() {
    let d = tmpdir("bad");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![d.join("nothing").display().to_string()],
            "no snapshots.h5",
        ),
        (
            vec![d.display().to_string(), "--color".into(), "purple".into()],
            "--color purple",
        ),
        (
            vec![
                d.display().to_string(),
                "--screenshot".into(),
                "frame.jpg".into(),
            ],
            "expected a .png",
        ),
        (
            vec![
                "--live".into(),
                d.join("missing.toml").display().to_string(),
            ],
            "missing.toml",
        ),
        (
            vec![d.display().to_string(), "--time".into(), "NaN".into()],
            "--time NaN",
        ),
        (
            vec![d.display().to_string(), "--legend-max".into(), "0".into()],
            "--legend-max 0",
        ),
    ];
    // A single run has no exceedance maps.
    let single = d.join("single");
    dam_break_run(&single);
    let out = viewer()
        .arg(&single)
        .args(["--color", "exceedance"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("is not an ensemble run"), "{err}");
    for (args, want) in cases {
        let out = viewer().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

/// examples/valley_ensemble.toml, 4 members over 40 minutes, written to `dir`.
fn ensemble_run(dir: &Path) {
    let mut sc =
        basintwin_runner::scenario::load(&repo().join("examples/valley_ensemble.toml")).unwrap();
    sc.output_dir = dir.to_path_buf();
    sc.duration_s = 2400.0;
    if let Some(e) = &mut sc.ensemble {
        e.members = 4;
    }
    run_quietly(&sc);
}

/// An ensemble run: the viewer reads its exceedance maps and gauge bands, and paints the
/// probability in its own colours where the depth colours were; a single run has no
/// exceedance colours to show.
#[test]
fn an_ensemble_run_shows_its_exceedance_probability() {
    let d = tmpdir("ensemble");
    let run = d.join("run");
    ensemble_run(&run);
    let data = basintwin_viewer::data::RunData::open(&run, None).unwrap();
    let e = data.ensemble.as_ref().unwrap();
    assert_eq!(
        (e.members, e.depths_m.as_slice()),
        (4, &[0.1, 0.3, 1.0][..])
    );
    let band = e.bands[0].as_ref().unwrap();
    assert_eq!(band.label, "p10–p90");
    assert!(
        band.points
            .iter()
            .all(|p| p[1] <= p[3] + 1e-6 && p[3] <= p[2] + 1e-6)
    );
    // The gauge's line is the ensemble mean.
    assert_eq!(
        data.gauges[0].series.last().unwrap().1,
        band.points.last().unwrap()[3]
    );
    let Some(depth) = screenshot(&run, 2400.0, &d.join("depth.png")) else {
        return;
    };
    let prob = screenshot_with(
        &run,
        2400.0,
        &d.join("exceedance.png"),
        &["--color", "exceedance", "--exceedance-depth", "0.1"],
    )
    .unwrap();
    let purple = |img: &image::RgbImage| img.pixels().filter(|p| is_probability_like(p.0)).count();
    let (p_depth, p_prob) = (purple(&depth), purple(&prob));
    eprintln!("probability-coloured pixels: {p_depth} (depth colours), {p_prob} (exceedance)");
    assert!(
        p_prob > 1000 && p_prob > 10 * p_depth.max(1),
        "{p_depth} -> {p_prob}"
    );
    let out = viewer()
        .arg(&run)
        .args(["--color", "exceedance", "--exceedance-depth", "0.2"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("the run has exceedance maps for [0.1, 0.3, 1.0] m"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&d);
}
