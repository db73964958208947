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
