//! `[terrain]`: the DEM and how it is cropped, coarsened and reprojected.

use std::path::PathBuf;

use basintwin_io::DemOptions;
use serde::Deserialize;
use toml::Spanned;

use super::diagnostics::Diagnostics;
use super::paths;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    dem: Spanned<String>,
    crop: Option<Spanned<Vec<f64>>>,
    coarsen: Option<Spanned<i64>>,
    crs: Option<Spanned<String>>,
    assume_crs: Option<Spanned<String>>,
}

#[derive(Debug, Clone)]
pub(super) struct Terrain {
    pub dem: PathBuf,
    pub options: DemOptions,
}

pub(super) fn validate(raw: &Raw, dx: &mut Diagnostics) -> Terrain {
    let dem = paths::existing_file(dx, &raw.dem, "terrain.dem");
    let mut options = DemOptions::default();
    if let Some(c) = &raw.crop {
        match c.get_ref().as_slice() {
            [x0, y0, x1, y1] if x0 < x1 && y0 < y1 => options.crop = Some([*x0, *y0, *x1, *y1]),
            _ => dx.problem(
                c,
                "terrain.crop",
                "expected [xmin, ymin, xmax, ymax] with xmin < xmax and ymin < ymax",
            ),
        }
    }
    if let Some(k) = &raw.coarsen {
        let v = *k.get_ref();
        match usize::try_from(v) {
            Ok(f) if (1..=1024).contains(&f) => options.coarsen = Some(f),
            _ => dx.problem(
                k,
                "terrain.coarsen",
                format!("{v}: expected a whole factor from 1 to 1024"),
            ),
        }
    }
    options.target_crs = raw.crs.as_ref().map(|s| s.get_ref().clone());
    options.assume_crs = raw.assume_crs.as_ref().map(|s| s.get_ref().clone());
    Terrain { dem, options }
}

#[cfg(test)]
mod tests {
    use super::super::diagnostics::Problem;
    use super::super::testing::{check_in, scratch_dir};
    use super::*;

    fn terrain(text: &str) -> (Terrain, Vec<Problem>) {
        let dir = scratch_dir("terrain");
        std::fs::write(dir.join("dem.tif"), "").unwrap();
        check_in(&dir, text, "terrain", |r: &Spanned<Raw>, dx| {
            validate(r.get_ref(), dx)
        })
    }

    #[test]
    fn crop_coarsen_and_crs_pass_through() {
        let (t, p) = terrain(
            "[terrain]\ndem = \"dem.tif\"\ncrop = [0, 1, 10, 11]\ncoarsen = 4\ncrs = \"EPSG:32631\"\n",
        );
        assert!(p.is_empty(), "{p:?}");
        assert!(t.dem.ends_with("dem.tif"));
        assert_eq!(t.options.crop, Some([0.0, 1.0, 10.0, 11.0]));
        assert_eq!(t.options.coarsen, Some(4));
        assert_eq!(t.options.target_crs.as_deref(), Some("EPSG:32631"));
        assert_eq!(t.options.assume_crs, None);
    }

    #[test]
    fn a_missing_dem_is_named() {
        let (t, p) = terrain("[terrain]\n\ndem = \"nope.tif\"\n");
        assert_eq!(
            p,
            [Problem::new(
                3,
                "terrain.dem",
                format!(
                    "no such file: {} (paths are relative to the scenario file)",
                    t.dem.display()
                )
            )]
        );
    }

    #[test]
    fn an_empty_crop_window_is_refused() {
        let (_, p) = terrain("[terrain]\ndem = \"dem.tif\"\ncrop = [10.0, 0.0, 5.0, 1.0]\n");
        assert_eq!(
            p,
            [Problem::new(
                3,
                "terrain.crop",
                "expected [xmin, ymin, xmax, ymax] with xmin < xmax and ymin < ymax"
            )]
        );
        let (_, p) = terrain("[terrain]\ndem = \"dem.tif\"\ncrop = [0.0, 0.0, 5.0]\n");
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn coarsen_is_a_whole_factor_up_to_1024() {
        for bad in ["0", "-2", "1025"] {
            let (_, p) = terrain(&format!("[terrain]\ndem = \"dem.tif\"\ncoarsen = {bad}\n"));
            assert_eq!(
                p,
                [Problem::new(
                    3,
                    "terrain.coarsen",
                    format!("{bad}: expected a whole factor from 1 to 1024")
                )]
            );
        }
    }
}
