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
