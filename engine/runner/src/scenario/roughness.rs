//! `[roughness]`: Manning's n as a number or a raster, or a landuse raster with a class table.

use std::path::PathBuf;

use basintwin_io::Resample;
use serde::Deserialize;
use toml::Spanned;

use super::diagnostics::Diagnostics;
use super::paths::{self, Field};
use super::series::num;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    manning: Option<Spanned<toml::Value>>,
    landuse: Option<Spanned<String>>,
    classes: Option<Spanned<toml::Table>>,
    resample: Option<Spanned<String>>,
}

/// Manning's n when the file gives none (s/m^(1/3)).
const DEFAULT_MANNING: f64 = 0.035;

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Roughness {
    pub manning: Field,
    /// A landuse raster and its class table (class -> Manning's n); overrides `manning`.
    pub landuse: Option<(PathBuf, Vec<(i64, f64)>)>,
}

pub(super) fn validate(raw: Option<&Spanned<Raw>>, dx: &mut Diagnostics) -> Roughness {
    let mut out = Roughness {
        manning: Field::Value(DEFAULT_MANNING),
        landuse: None,
    };
    let Some(table) = raw else { return out };
    let r = table.get_ref();
    let rs = dx.resample(&r.resample, "roughness.resample", Resample::Nearest);
    match (&r.manning, &r.landuse) {
        (Some(m), None) => {
            if let Some(c) = &r.classes {
                dx.problem(
                    c,
                    "roughness.classes",
                    "only used with landuse = \"raster\"",
                );
            }
            if let Some(f) = manning(m, rs, dx) {
                out.manning = f;
            }
        }
        (None, Some(lu)) => {
            let path = paths::existing_file(dx, lu, "roughness.landuse");
            out.landuse = Some((path, classes(lu, r.classes.as_ref(), dx)));
        }
        (Some(m), Some(_)) => dx.problem(m, "roughness", "give manning or landuse, not both"),
        (None, None) => dx.problem(
            table,
            "roughness",
            "give manning (a number or raster) or landuse (a raster) with classes",
        ),
    }
    out
}

/// Manning's n: a raster, or a number in [0, 1].
fn manning(m: &Spanned<toml::Value>, rs: Resample, dx: &mut Diagnostics) -> Option<Field> {
    let key = "roughness.manning";
    let f = paths::field(dx, m, key, rs, "a number (s/m^(1/3)) or a raster path");
    if let Some(Field::Value(n)) = f
        && !(n.is_finite() && (0.0..=1.0).contains(&n))
    {
        dx.problem(
            m,
            key,
            format!("{n}: expected Manning's n in [0, 1] (typical 0.01-0.15)"),
        );
    }
    f
}

/// The class table of a landuse raster: whole-number classes, each with n in [0, 1].
fn classes(
    landuse: &Spanned<String>,
    classes: Option<&Spanned<toml::Table>>,
    dx: &mut Diagnostics,
) -> Vec<(i64, f64)> {
    let key = "roughness.classes";
    let Some(c) = classes else {
        dx.problem(
            landuse,
            key,
            "missing: landuse needs classes = { \"1\" = 0.03, \"2\" = 0.06, ... } (class -> Manning's n)",
        );
        return Vec::new();
    };
    let mut table = Vec::new();
    for (k, v) in c.get_ref() {
        match (k.trim().parse::<i64>(), num(v)) {
            (Ok(class), Some(n)) if n.is_finite() && (0.0..=1.0).contains(&n) => {
                table.push((class, n));
            }
            (Err(_), _) => dx.problem(c, key, format!("class '{k}': expected a whole number")),
            (_, _) => dx.problem(
                c,
                key,
                format!("class {k} = {v}: expected Manning's n in [0, 1]"),
            ),
        }
    }
    if table.is_empty() {
        dx.problem(c, key, "empty: expected at least one class");
    }
    table
}

#[cfg(test)]
mod tests {
    use super::super::diagnostics::Problem;
    use super::super::testing::{check_in, scratch_dir};
    use super::*;

    fn roughness(text: &str) -> (Roughness, Vec<Problem>) {
        let dir = scratch_dir("roughness");
        for f in ["n.tif", "lu.tif"] {
            std::fs::write(dir.join(f), "").unwrap();
        }
        check_in(&dir, text, "roughness", |r: &Spanned<Raw>, dx| {
            validate(Some(r), dx)
        })
    }

    #[test]
    fn without_the_table_n_is_0_035() {
        let mut dx = Diagnostics::new("", PathBuf::new());
        assert_eq!(validate(None, &mut dx).manning, Field::Value(0.035));
        assert!(dx.into_problems().is_empty());
    }

    #[test]
    fn manning_is_a_number_in_0_1_or_a_raster() {
        let (r, p) = roughness("[roughness]\nmanning = 0.05\n");
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(r.manning, Field::Value(0.05));
        let (r, p) = roughness("[roughness]\nmanning = \"n.tif\"\nresample = \"bilinear\"\n");
        assert!(p.is_empty(), "{p:?}");
        assert!(matches!(r.manning, Field::Raster(_, Resample::Bilinear)));
        let (_, p) = roughness("[roughness]\nmanning = -0.1\n");
        assert_eq!(
            p,
            [Problem::new(
                2,
                "roughness.manning",
                "-0.1: expected Manning's n in [0, 1] (typical 0.01-0.15)"
            )]
        );
        let (_, p) = roughness("[roughness]\nmanning = 0.05\nclasses = { \"1\" = 0.03 }\n");
        assert_eq!(
            p,
            [Problem::new(
                3,
                "roughness.classes",
                "only used with landuse = \"raster\""
            )]
        );
    }

    #[test]
    fn landuse_needs_a_table_of_classes() {
        let (r, p) = roughness(
            "[roughness]\nlanduse = \"lu.tif\"\nclasses = { \"1\" = 0.03, \"2\" = 0.06 }\n",
        );
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(r.landuse.unwrap().1, [(1, 0.03), (2, 0.06)]);
        let (_, p) = roughness("[roughness]\nlanduse = \"lu.tif\"\n");
        assert_eq!(
            p,
            [Problem::new(
                2,
                "roughness.classes",
                "missing: landuse needs classes = { \"1\" = 0.03, \"2\" = 0.06, ... } (class -> Manning's n)"
            )]
        );
        let (_, p) = roughness(
            "[roughness]\nlanduse = \"lu.tif\"\nclasses = { \"x\" = 0.03, \"2\" = 2.0 }\n",
        );
        assert_eq!(
            p,
            [
                Problem::new(
                    3,
                    "roughness.classes",
                    "class 2 = 2.0: expected Manning's n in [0, 1]"
                ),
                Problem::new(3, "roughness.classes", "class 'x': expected a whole number"),
                Problem::new(3, "roughness.classes", "empty: expected at least one class"),
            ]
        );
    }

    #[test]
    fn manning_and_landuse_exclude_each_other() {
        let (_, p) = roughness("[roughness]\nmanning = 0.03\nlanduse = \"lu.tif\"\n");
        assert_eq!(
            p,
            [Problem::new(
                2,
                "roughness",
                "give manning or landuse, not both"
            )]
        );
        // Said on the table's line.
        let (_, p) = roughness("\n[roughness]\nresample = \"nearest\"\n");
        assert_eq!(
            p,
            [Problem::new(
                2,
                "roughness",
                "give manning (a number or raster) or landuse (a raster) with classes"
            )]
        );
    }
}
