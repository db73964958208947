//! What the command-line tests share: the binary, the repository's root, a scratch folder per
//! test, an example scenario with edits.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_basintwin"))
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("basintwin-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Example `name` (e.g. `dam_break`), with the dataset paths made absolute, its output folder
/// moved into `dir` and `edits` applied (replacements `(old, new)`), written into `dir`.
pub fn example(name: &str, dir: &Path, edits: &[(&str, &str)]) -> PathBuf {
    let ds = root().join("datasets");
    let mut s = std::fs::read_to_string(root().join(format!("examples/{name}.toml")))
        .unwrap()
        .replace("../datasets", &ds.display().to_string())
        .replace(
            &format!("../out/{name}"),
            &dir.join("out").display().to_string(),
        );
    for (old, new) in edits {
        assert!(s.contains(old), "edit target `{old}` not in the scenario");
        s = s.replacen(old, new, 1);
    }
    let p = dir.join(format!("{name}.toml"));
    std::fs::write(&p, s).unwrap();
    p
}

/// Writes an ESRI ASCII grid with `rows` (north first) and converts it to a GeoTIFF in the
/// valley's CRS.
pub fn ascii_tif(path: &Path, x0: f64, y0: f64, cell: f64, rows: &[Vec<f64>]) {
    let asc = path.with_extension("asc");
    let mut t = format!(
        "ncols {}\nnrows {}\nxllcorner {x0}\nyllcorner {y0}\ncellsize {cell}\nNODATA_value -9999\n",
        rows[0].len(),
        rows.len()
    );
    for r in rows {
        t.push_str(
            &r.iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(" "),
        );
        t.push('\n');
    }
    std::fs::write(&asc, t).unwrap();
    let srs = Command::new("gdalsrsinfo")
        .args(["-o", "wkt1"])
        .arg(root().join("datasets/valley.tif"))
        .output()
        .unwrap();
    let wkt = String::from_utf8_lossy(&srs.stdout).trim().to_string();
    let o = Command::new("gdal_translate")
        .args(["-q", "-of", "GTiff", "-a_srs", &wkt])
        .arg(&asc)
        .arg(path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    std::fs::remove_file(&asc).unwrap();
}

/// Runs `sc` with `--json` and sends SIGINT after the `after`-th output; returns the exit code.
pub fn run_and_interrupt<S: AsRef<std::ffi::OsStr>>(
    sc: &Path,
    extra: &[S],
    after: usize,
) -> Option<i32> {
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
    let mut outputs = 0;
    for line in BufReader::new(stdout).lines() {
        if line.unwrap().contains("\"event\":\"output\"") {
            outputs += 1;
            if outputs == after {
                let ok = Command::new("kill")
                    .args(["-INT", &child.id().to_string()])
                    .status()
                    .unwrap();
                assert!(ok.success());
            }
        }
    }
    child.wait().unwrap().code()
}

/// Every snapshot of two runs: the same times and bitwise the same fields.
pub fn assert_same_snapshots(a: &Path, b: &Path) {
    let (ra, rb) = (
        basintwin_io::SnapshotReader::open(a).unwrap(),
        basintwin_io::SnapshotReader::open(b).unwrap(),
    );
    assert_eq!(ra.times, rb.times, "snapshot times");
    for k in 0..ra.times.len() {
        let (fa, fb) = (ra.fields(k).unwrap(), rb.fields(k).unwrap());
        for (name, x, y) in [
            ("h", &fa.h, &fb.h),
            ("u", &fa.u, &fb.u),
            ("v", &fa.v, &fb.v),
        ] {
            let differ = x
                .iter()
                .zip(y.iter())
                .filter(|(p, q)| p.to_bits() != q.to_bits())
                .count();
            assert_eq!(
                differ, 0,
                "snapshot {k} (t = {} s): {name} differs",
                ra.times[k]
            );
        }
    }
}
