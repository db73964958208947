//! `[initial]`: the water at the start, as a depth, a water level or a restart file.

use std::path::PathBuf;

use basintwin_io::Resample;
use serde::Deserialize;
use toml::Spanned;

use super::diagnostics::Diagnostics;
use super::paths::{self, Field};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    depth: Option<Spanned<toml::Value>>,
    water_level: Option<Spanned<toml::Value>>,
    restart: Option<Spanned<String>>,
    resample: Option<Spanned<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Initial {
    Depth(Field),
    WaterLevel(Field),
    Restart(PathBuf),
}

/// Dry when the table is absent.
pub(super) fn validate(raw: Option<&Raw>, dx: &mut Diagnostics) -> Initial {
    let dry = Initial::Depth(Field::Value(0.0));
    let Some(i) = raw else { return dry };
    let rs = dx.resample(&i.resample, "initial.resample", Resample::Bilinear);
    let given = [
        i.depth.is_some(),
        i.water_level.is_some(),
        i.restart.is_some(),
    ];
    if given.iter().filter(|b| **b).count() > 1 {
        // On the line of the first of them (depth or water_level: two are given).
        let line = i
            .depth
            .as_ref()
            .or(i.water_level.as_ref())
            .map_or(1, |v| dx.line(v));
        dx.problem_on_line(line, "initial", "give one of depth, water_level or restart");
    }
    if let Some(d) = &i.depth {
        let key = "initial.depth";
        let f = paths::field(dx, d, key, rs, "a depth in metres or a raster path");
        if let Some(Field::Value(x)) = f
            && !(x.is_finite() && x >= 0.0)
        {
            dx.problem(d, key, format!("{x}: expected a depth >= 0 m"));
        }
        Initial::Depth(f.unwrap_or(Field::Value(0.0)))
    } else if let Some(l) = &i.water_level {
        let rule = "a level in metres or a raster path";
        let f = paths::field(dx, l, "initial.water_level", rs, rule);
        Initial::WaterLevel(f.unwrap_or(Field::Value(0.0)))
    } else if let Some(r) = &i.restart {
        Initial::Restart(paths::existing_file(dx, r, "initial.restart"))
    } else {
        dry
    }
}

#[cfg(test)]
mod tests {
    use super::super::diagnostics::Problem;
    use super::super::testing::{check_in, scratch_dir};
    use super::*;

    fn initial(text: &str) -> (Initial, Vec<Problem>) {
        let dir = scratch_dir("initial");
        std::fs::write(dir.join("h.tif"), "").unwrap();
        check_in(&dir, text, "initial", |r: &Raw, dx| validate(Some(r), dx))
    }

    #[test]
    fn dry_without_the_table() {
        let mut dx = Diagnostics::new("", PathBuf::new());
        assert_eq!(validate(None, &mut dx), Initial::Depth(Field::Value(0.0)));
    }

    #[test]
    fn a_depth_a_level_or_a_restart() {
        let (i, p) = initial("[initial]\ndepth = 0.5\n");
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(i, Initial::Depth(Field::Value(0.5)));
        // A level may lie below the datum.
        let (i, p) = initial("[initial]\nwater_level = -2.5\n");
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(i, Initial::WaterLevel(Field::Value(-2.5)));
        let (i, p) = initial("[initial]\ndepth = \"h.tif\"\n");
        assert!(p.is_empty(), "{p:?}");
        assert!(matches!(
            i,
            Initial::Depth(Field::Raster(_, Resample::Bilinear))
        ));
        let (i, p) = initial("[initial]\nrestart = \"h.tif\"\n");
        assert!(p.is_empty(), "{p:?}");
        assert!(matches!(i, Initial::Restart(_)));
    }

    #[test]
    fn a_negative_depth_is_refused() {
        let (_, p) = initial("[initial]\ndepth = -1\n");
        assert_eq!(
            p,
            [Problem::new(
                2,
                "initial.depth",
                "-1: expected a depth >= 0 m"
            )]
        );
        let (_, p) = initial("[initial]\nwater_level = [1]\n");
        assert_eq!(
            p,
            [Problem::new(
                2,
                "initial.water_level",
                "got array: expected a level in metres or a raster path"
            )]
        );
    }

    #[test]
    fn only_one_of_them() {
        let (_, p) = initial("[initial]\nrestart = \"h.tif\"\nwater_level = 3.0\n");
        assert_eq!(
            p,
            [Problem::new(
                3,
                "initial",
                "give one of depth, water_level or restart"
            )]
        );
    }

    #[test]
    fn a_missing_restart_is_named() {
        let (_, p) = initial("[initial]\nresample = \"nearest\"\nrestart = \"r.h5\"\n");
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].line, p[0].key.as_str()), (3, "initial.restart"));
        assert!(p[0].message.starts_with("no such file: "));
    }
}
