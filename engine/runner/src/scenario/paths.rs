//! Paths in a scenario file (relative to the file's folder) and the values that may be a number
//! or a raster path.

use std::path::{Path, PathBuf};

use basintwin_io::Resample;
use toml::Spanned;

use super::diagnostics::Diagnostics;

/// A number or a raster path.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Value(f64),
    Raster(PathBuf, Resample),
}

/// `p` as given when absolute, else relative to the scenario file's folder.
pub(super) fn resolve(dx: &Diagnostics, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        dx.dir().join(p)
    }
}

/// The path of a file that must exist (a problem when it does not; the path anyway).
pub(super) fn existing_file(dx: &mut Diagnostics, s: &Spanned<String>, key: &str) -> PathBuf {
    let p = resolve(dx, s.get_ref());
    if !p.is_file() {
        dx.problem(
            s,
            key,
            format!(
                "no such file: {} (paths are relative to the scenario file)",
                p.display()
            ),
        );
    }
    p
}

/// A number, or a string naming a raster read with `resample`; anything else is a problem
/// saying `got <type>: expected {rule}`. A raster that does not exist is a problem too (but its
/// field is returned).
pub(super) fn field(
    dx: &mut Diagnostics,
    v: &Spanned<toml::Value>,
    key: &str,
    resample: Resample,
    rule: &str,
) -> Option<Field> {
    match v.get_ref() {
        toml::Value::Float(x) => Some(Field::Value(*x)),
        toml::Value::Integer(i) => Some(Field::Value(*i as f64)),
        toml::Value::String(s) => {
            let p = resolve(dx, s);
            if !p.is_file() {
                dx.problem(
                    v,
                    key,
                    format!(
                        "no such raster: {} (paths are relative to the scenario file)",
                        p.display()
                    ),
                );
            }
            Some(Field::Raster(p, resample))
        }
        other => {
            dx.problem(v, key, format!("got {}: expected {rule}", other.type_str()));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::diagnostics::Problem;
    use super::super::testing::{scratch_dir, spanned};
    use super::*;

    #[test]
    fn relative_paths_are_relative_to_the_scenario_and_must_exist() {
        let dir = scratch_dir("paths");
        std::fs::write(dir.join("dem.tif"), "").unwrap();
        let text = "dem = \"dem.tif\"\nother = \"nope.tif\"\n";
        let mut dx = Diagnostics::new(text, dir.clone());
        let found = existing_file(&mut dx, &spanned(text, "dem.tif"), "terrain.dem");
        assert_eq!(found, dir.join("dem.tif"));
        existing_file(&mut dx, &spanned(text, "nope.tif"), "terrain.dem");
        assert_eq!(
            dx.into_problems(),
            [Problem::new(
                2,
                "terrain.dem",
                format!(
                    "no such file: {} (paths are relative to the scenario file)",
                    dir.join("nope.tif").display()
                )
            )]
        );
        let dx = Diagnostics::new("", dir);
        assert_eq!(resolve(&dx, "/abs/x.tif"), PathBuf::from("/abs/x.tif"));
    }

    #[test]
    fn a_field_is_a_number_or_a_raster() {
        let dir = scratch_dir("field");
        let text = "a = 0.5\nb = 3\nc = \"n.tif\"\nd = true\n";
        let t: toml::Table = toml::from_str(text).unwrap();
        let value = |k: &str| {
            let at = text.find(&format!("{k} = ")).unwrap() + 4;
            Spanned::new(at..at + 1, t[k].clone())
        };
        let mut dx = Diagnostics::new(text, dir.clone());
        let f = |dx: &mut Diagnostics, k| field(dx, &value(k), "k", Resample::Nearest, "a rule");
        assert_eq!(f(&mut dx, "a"), Some(Field::Value(0.5)));
        assert_eq!(f(&mut dx, "b"), Some(Field::Value(3.0)));
        assert_eq!(
            f(&mut dx, "c"),
            Some(Field::Raster(dir.join("n.tif"), Resample::Nearest))
        );
        assert_eq!(f(&mut dx, "d"), None);
        let problems = dx.into_problems();
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].line, 3);
        assert!(problems[0].message.starts_with("no such raster: "));
        assert_eq!(
            problems[1],
            Problem::new(4, "k", "got boolean: expected a rule")
        );
    }
}
