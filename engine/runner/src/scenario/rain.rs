//! `[rain]`: a uniform intensity series, rain grids (a folder of rasters or a NetCDF file), or
//! both (added).

use std::path::PathBuf;

use basintwin_core::Series;
use basintwin_io::Resample;
use serde::Deserialize;
use toml::Spanned;

use super::diagnostics::Diagnostics;
use super::paths;
use super::series::{self, Quantity};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    intensity_mm_h: Option<Spanned<toml::Value>>,
    grids: Option<Spanned<String>>,
    variable: Option<Spanned<String>>,
    units: Option<Spanned<String>>,
    resample: Option<Spanned<String>>,
}

/// Where gridded rain comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct RainGrids {
    /// A folder of rasters named by time, or a NetCDF file.
    pub path: PathBuf,
    pub netcdf: bool,
    pub variable: Option<String>,
    /// Overrides the units of the data (mm/h for rasters, the variable's attribute for NetCDF).
    pub units: Option<String>,
    pub resample: Resample,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Rain {
    /// Uniform rain intensity (mm/h).
    pub intensity_mm_h: Option<Series>,
    /// Rain fields over time (added to the uniform rain).
    pub grids: Option<RainGrids>,
}

pub(super) fn validate(raw: Option<&Spanned<Raw>>, dx: &mut Diagnostics) -> Rain {
    let Some(rain) = raw else {
        return Rain::default();
    };
    let r = rain.get_ref();
    let intensity_mm_h = r
        .intensity_mm_h
        .as_ref()
        .and_then(|v| series::read(dx, v, "rain.intensity_mm_h", Quantity::RainIntensity));
    let grids = match &r.grids {
        Some(g) => Some(grids(r, g, dx)),
        None => {
            for (k, v) in [
                ("variable", &r.variable),
                ("units", &r.units),
                ("resample", &r.resample),
            ] {
                if let Some(v) = v {
                    dx.problem(v, &format!("rain.{k}"), "only with rain.grids");
                }
            }
            None
        }
    };
    if r.intensity_mm_h.is_none() && r.grids.is_none() {
        dx.problem(
            rain,
            "rain",
            "give intensity_mm_h (a number, a series or a CSV file) or grids (a folder of rasters or a NetCDF file)",
        );
    }
    Rain {
        intensity_mm_h,
        grids,
    }
}

/// Rain grids: a folder of rasters or a NetCDF file (then a variable may be named).
fn grids(r: &Raw, g: &Spanned<String>, dx: &mut Diagnostics) -> RainGrids {
    let path = paths::resolve(dx, g.get_ref());
    let netcdf = path.is_file();
    if !path.exists() {
        dx.problem(
            g,
            "rain.grids",
            format!(
                "no such folder or NetCDF file: {} (paths are relative to the scenario file)",
                path.display()
            ),
        );
    }
    if let Some(v) = &r.variable
        && !netcdf
    {
        dx.problem(
            v,
            "rain.variable",
            "only for a NetCDF file: rain.grids is a folder of rasters",
        );
    }
    if let Some(u) = &r.units
        && basintwin_io::rain::intensity_factor(u.get_ref()).is_none()
    {
        dx.problem(
            u,
            "rain.units",
            format!(
                "'{}': expected an intensity such as mm/h, mm s-1, kg m-2 s-1 or m s-1",
                u.get_ref()
            ),
        );
    }
    RainGrids {
        path,
        netcdf,
        variable: r.variable.as_ref().map(|v| v.get_ref().clone()),
        units: r.units.as_ref().map(|v| v.get_ref().clone()),
        resample: dx.resample(&r.resample, "rain.resample", Resample::Bilinear),
    }
}

#[cfg(test)]
mod tests {
    use super::super::diagnostics::Problem;
    use super::super::testing::{check_in, scratch_dir};
    use super::*;

    fn rain(text: &str) -> (Rain, Vec<Problem>) {
        let dir = scratch_dir("rain");
        std::fs::create_dir_all(dir.join("radar")).unwrap();
        std::fs::write(dir.join("rain.nc"), "").unwrap();
        check_in(&dir, text, "rain", |r: &Spanned<Raw>, dx| {
            validate(Some(r), dx)
        })
    }

    #[test]
    fn an_intensity_series() {
        let (r, p) = rain("[rain]\nintensity_mm_h = [[0, 30.0], [1800, 60.0]]\n");
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(
            r.intensity_mm_h.unwrap().points(),
            [(0.0, 30.0), (1800.0, 60.0)]
        );
        assert_eq!(r.grids, None);
    }

    #[test]
    fn a_negative_intensity_is_refused() {
        let (_, p) = rain("[rain]\nintensity_mm_h = [[0, -30.0]]\n");
        assert_eq!(
            p,
            [Problem::new(
                2,
                "rain.intensity_mm_h",
                "-30 at 0 s: expected values >= 0"
            )]
        );
    }

    #[test]
    fn grids_from_a_folder_or_a_netcdf_file() {
        let (r, p) = rain("[rain]\ngrids = \"radar\"\nresample = \"nearest\"\n");
        assert!(p.is_empty(), "{p:?}");
        let g = r.grids.unwrap();
        assert!(!g.netcdf && g.path.ends_with("radar"));
        assert_eq!(g.resample, Resample::Nearest);
        let (r, p) =
            rain("[rain]\ngrids = \"rain.nc\"\nvariable = \"precip\"\nunits = \"kg m-2 s-1\"\n");
        assert!(p.is_empty(), "{p:?}");
        let g = r.grids.unwrap();
        assert!(g.netcdf);
        assert_eq!(g.variable.as_deref(), Some("precip"));
        assert_eq!(g.units.as_deref(), Some("kg m-2 s-1"));
        assert_eq!(g.resample, Resample::Bilinear);
    }

    #[test]
    fn grid_keys_are_checked() {
        let (r, p) = rain("[rain]\ngrids = \"radar\"\nvariable = \"precip\"\nunits = \"inches\"\n");
        assert_eq!(
            p,
            [
                Problem::new(
                    3,
                    "rain.variable",
                    "only for a NetCDF file: rain.grids is a folder of rasters"
                ),
                Problem::new(
                    4,
                    "rain.units",
                    "'inches': expected an intensity such as mm/h, mm s-1, kg m-2 s-1 or m s-1"
                ),
            ]
        );
        assert!(r.grids.is_some());
        let (_, p) = rain("[rain]\ngrids = \"nowhere\"\n");
        assert_eq!((p[0].line, p[0].key.as_str()), (2, "rain.grids"));
        assert!(p[0].message.starts_with("no such folder or NetCDF file: "));
    }

    #[test]
    fn grid_keys_need_grids_and_rain_needs_something() {
        let (_, p) = rain("[rain]\nintensity_mm_h = 5\nunits = \"mm/h\"\nresample = \"nearest\"\n");
        assert_eq!(
            p,
            [
                Problem::new(3, "rain.units", "only with rain.grids"),
                Problem::new(4, "rain.resample", "only with rain.grids"),
            ]
        );
        let (_, p) = rain("\n[rain]\n");
        assert_eq!(
            p,
            [Problem::new(
                2,
                "rain",
                "give intensity_mm_h (a number, a series or a CSV file) or grids (a folder of rasters or a NetCDF file)"
            )]
        );
    }
}
