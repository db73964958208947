//! Gridded rain: intensity fields over time (radar, nowcasts, climate-model output) brought onto
//! the DEM grid, from a folder of rasters named by their time or from a NetCDF file.
//!
//! - A folder: every `*.tif` / `*.tiff` in it is one frame. Its time is read from the file name:
//!   a date and time (`20260601T0130.tif`, `rain_202606010130.tif`, `2026-06-01T01-30-00.tif`,
//!   `2026-06-01T01:30:00Z.tif`; UTC) counts from the scenario's `start`, which it then needs;
//!   otherwise the last number in the name is seconds since the start (`rain_3600.tif`,
//!   `t5400s.tif`).
//! - A NetCDF file (CF): a variable with a time dimension, read through GDAL's netCDF driver; the
//!   times come from the time coordinate and its `units` (`hours since 2026-06-01 00:00:00`).
//!
//! Frames are resampled onto the DEM grid like every parameter raster ([`crate::read_aligned`]);
//! intensities are converted to mm/h from the units given (the scenario's `units`, else the
//! NetCDF variable's `units` attribute, else mm/h for rasters). Cells a frame does not cover get
//! no rain; their number is reported. The core interpolates linearly in time between frames.

use std::path::{Path, PathBuf};

use basintwin_core::Grid;
use gdal::{Dataset, Metadata};

use crate::error::IoError;
use crate::raster::{Resample, read_band_aligned};

/// Rain frames on the DEM grid.
#[derive(Debug, Clone, PartialEq)]
pub struct RainFrames {
    /// Seconds since the start of the run, increasing.
    pub times_s: Vec<f64>,
    /// Intensity (mm/h) per cell, core order (row 0 south), one field per time.
    pub frames_mm_h: Vec<Vec<f64>>,
    /// Where each frame came from (a file, or `file:variable[band]`).
    pub sources: Vec<String>,
    /// Cells (of all frames together) the data did not cover, given no rain.
    pub uncovered_cells: usize,
}

/// Seconds since 1970-01-01T00:00:00Z of a date and time: `YYYY-MM-DD`, optionally followed by
/// `T` or a space and `HH:MM[:SS[.fff]]`, optionally by `Z` or an offset `+HH:MM` / `-HH:MM`.
/// Month and day may have one digit (as some NetCDF units write them).
pub fn parse_datetime(s: &str) -> Option<f64> {
    let s = s.trim();
    let (date, rest) = match s.find(['T', ' ']) {
        Some(k) => (&s[..k], s[k + 1..].trim()),
        None => (s, ""),
    };
    let mut d = date.split('-');
    let y: i64 = d.next()?.parse().ok()?;
    let m: i64 = d.next()?.parse().ok()?;
    let day: i64 = d.next()?.parse().ok()?;
    if d.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    let (mut secs, mut offset) = (0.0, 0.0);
    if !rest.is_empty() {
        let (clock, tz) = if let Some(c) = rest.strip_suffix('Z') {
            (c, 0.0)
        } else if let Some(k) = rest.rfind(['+', '-']).filter(|&k| k > 0) {
            let (c, z) = rest.split_at(k);
            let sign = if z.starts_with('-') { -1.0 } else { 1.0 };
            let mut p = z[1..].split(':');
            let hh: f64 = p.next()?.parse().ok()?;
            let mm: f64 = p.next().unwrap_or("0").parse().ok()?;
            (c, sign * (hh * 3600.0 + mm * 60.0))
        } else {
            (rest, 0.0)
        };
        let mut p = clock.split(':');
        let hh: f64 = p.next()?.parse().ok()?;
        let mm: f64 = p.next().unwrap_or("0").parse().ok()?;
        let ss: f64 = p.next().unwrap_or("0").parse().ok()?;
        if !(0.0..24.0).contains(&hh) || !(0.0..60.0).contains(&mm) || !(0.0..61.0).contains(&ss) {
            return None;
        }
        secs = hh * 3600.0 + mm * 60.0 + ss;
        offset = tz;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days as f64 * 86_400.0 + secs - offset)
}

/// Time of a frame from its file name.
#[derive(Debug, Clone, Copy, PartialEq)]
enum NameTime {
    /// Seconds since 1970 (a date and time in the name).
    Absolute(f64),
    /// Seconds since the start of the run.
    Relative(f64),
}

fn digits(s: &[u8]) -> Option<i64> {
    std::str::from_utf8(s).ok()?.parse().ok()
}

fn time_in_name(stem: &str) -> Option<NameTime> {
    let b = stem.as_bytes();
    // `YYYY-MM-DD[T_ ]HH[-:]MM[[-:]SS]`.
    for k in 0..b.len() {
        let rest = &stem[k..];
        let r = rest.as_bytes();
        if r.len() >= 10
            && r[..4].iter().all(u8::is_ascii_digit)
            && r[4] == b'-'
            && r[5..7].iter().all(u8::is_ascii_digit)
            && r[7] == b'-'
            && r[8..10].iter().all(u8::is_ascii_digit)
        {
            let date = &rest[..10];
            let mut clock = String::new();
            if r.len() > 11 && matches!(r[10], b'T' | b'_' | b' ') {
                let t: String = rest[11..]
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || matches!(c, '-' | ':'))
                    .collect();
                clock = t.replace('-', ":");
            }
            let iso = if clock.is_empty() {
                date.to_string()
            } else {
                format!("{date}T{clock}")
            };
            return parse_datetime(&iso).map(NameTime::Absolute);
        }
    }
    // `YYYYMMDD[T]HHMM[SS]`.
    let mut k = 0;
    while k < b.len() {
        if b[k].is_ascii_digit() {
            let s = k;
            while k < b.len() && b[k].is_ascii_digit() {
                k += 1;
            }
            let run = &b[s..k];
            let (date, clock): (&[u8], Vec<u8>) = if run.len() == 8
                && k < b.len()
                && b[k] == b'T'
                && b[k + 1..].iter().take_while(|c| c.is_ascii_digit()).count() >= 4
            {
                let c: Vec<u8> = b[k + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .copied()
                    .collect();
                (run, c)
            } else if run.len() == 12 || run.len() == 14 {
                (&run[..8], run[8..].to_vec())
            } else {
                continue;
            };
            if clock.len() != 4 && clock.len() != 6 {
                continue;
            }
            let (y, m, d) = (
                digits(&date[..4])?,
                digits(&date[4..6])?,
                digits(&date[6..8])?,
            );
            let (hh, mm) = (digits(&clock[..2])?, digits(&clock[2..4])?);
            let ss = if clock.len() == 6 {
                digits(&clock[4..6])?
            } else {
                0
            };
            return parse_datetime(&format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z"))
                .map(NameTime::Absolute);
        }
        k += 1;
    }
    // The last number: seconds since the start.
    let mut end = b.len();
    while end > 0 && !b[end - 1].is_ascii_digit() {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && (b[start - 1].is_ascii_digit() || b[start - 1] == b'.') {
        start -= 1;
    }
    stem.get(start..end)?
        .trim_matches('.')
        .parse()
        .ok()
        .map(NameTime::Relative)
}

/// Factor from `units` to mm/h; `None` for units that are not an intensity.
pub fn intensity_factor(units: &str) -> Option<f64> {
    let u: String = units
        .trim()
        .to_ascii_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Some(match u.as_str() {
        "mm/h" | "mm h-1" | "mm/hr" | "mm hr-1" | "mm.h-1" | "mm h^-1" | "mm per hour" => 1.0,
        "mm/min" | "mm min-1" => 60.0,
        "mm/s" | "mm s-1" | "kg m-2 s-1" | "kg/m2/s" | "kg m**-2 s**-1" => 3600.0,
        "m/s" | "m s-1" | "m s**-1" => 3.6e6,
        "m/h" | "m h-1" => 1000.0,
        _ => return None,
    })
}

fn invalid(path: &Path, what: impl Into<String>) -> IoError {
    IoError::Invalid {
        path: path.to_path_buf(),
        what: what.into(),
    }
}

/// Checks the values of a frame and converts them to mm/h; NaN (not covered) becomes 0.
fn to_mm_h(
    mut v: Vec<f64>,
    factor: f64,
    path: &Path,
    uncovered: &mut usize,
) -> Result<Vec<f64>, IoError> {
    for x in &mut v {
        if x.is_nan() {
            *uncovered += 1;
            *x = 0.0;
        } else if *x < 0.0 {
            return Err(invalid(
                path,
                format!("a rain intensity of {x}: expected values >= 0"),
            ));
        } else {
            *x *= factor;
        }
    }
    Ok(v)
}

fn sort_frames(
    mut f: Vec<(f64, String, Vec<f64>)>,
    path: &Path,
) -> Result<Vec<(f64, String, Vec<f64>)>, IoError> {
    f.sort_by(|a, b| a.0.total_cmp(&b.0));
    for w in f.windows(2) {
        if w[0].0 == w[1].0 {
            return Err(invalid(
                path,
                format!(
                    "{} and {} have the same time ({} s)",
                    w[0].1, w[1].1, w[0].0
                ),
            ));
        }
    }
    Ok(f)
}

fn frames(f: Vec<(f64, String, Vec<f64>)>, uncovered_cells: usize) -> RainFrames {
    let mut out = RainFrames {
        times_s: Vec::with_capacity(f.len()),
        frames_mm_h: Vec::with_capacity(f.len()),
        sources: Vec::with_capacity(f.len()),
        uncovered_cells,
    };
    for (t, s, v) in f {
        out.times_s.push(t);
        out.sources.push(s);
        out.frames_mm_h.push(v);
    }
    out
}

/// Reads a folder of rain rasters (see the module documentation for the names). `start` is the
/// scenario's ISO 8601 start, needed when the names carry dates; `units` overrides mm/h.
pub fn read_rain_folder(
    dir: impl AsRef<Path>,
    grid: &Grid,
    start: Option<&str>,
    units: Option<&str>,
    method: Resample,
) -> Result<RainFrames, IoError> {
    let dir = dir.as_ref();
    let factor = match units {
        Some(u) => intensity_factor(u).ok_or_else(|| {
            invalid(
                dir,
                format!(
                    "units '{u}': expected an intensity such as mm/h, mm s-1, kg m-2 s-1 or m s-1"
                ),
            )
        })?,
        None => 1.0,
    };
    let entries = std::fs::read_dir(dir).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => IoError::NotFound {
            path: dir.to_path_buf(),
        },
        _ => invalid(dir, format!("cannot list the folder: {e}")),
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("tif") || e.eq_ignore_ascii_case("tiff"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(invalid(
            dir,
            "the rain folder holds no GeoTIFF (*.tif) frame",
        ));
    }
    let start_epoch = match start {
        Some(s) => Some(
            parse_datetime(s)
                .ok_or_else(|| invalid(dir, format!("the start '{s}' is not a date and time")))?,
        ),
        None => None,
    };
    let mut out = Vec::with_capacity(files.len());
    let mut uncovered = 0;
    for f in files {
        let stem = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let t = match time_in_name(&stem) {
            Some(NameTime::Relative(t)) => t,
            Some(NameTime::Absolute(e)) => match start_epoch {
                Some(s0) => e - s0,
                None => {
                    return Err(invalid(
                        &f,
                        "the name carries a date and time, so the scenario needs `start` (ISO 8601) to place it",
                    ));
                }
            },
            None => {
                return Err(invalid(
                    &f,
                    "no time in the file name: expected a date and time (20260601T0130.tif) or seconds since the start (rain_3600.tif)",
                ));
            }
        };
        let values = crate::read_aligned(&f, grid, method, "rain")?;
        let v = to_mm_h(values, factor, &f, &mut uncovered)?;
        out.push((t, f.display().to_string(), v));
    }
    Ok(frames(sort_frames(out, dir)?, uncovered))
}

/// Seconds per unit of a CF time `units` string (`hours since ...`), and the reference date.
fn cf_time_units(units: &str) -> Option<(f64, f64)> {
    let (unit, since) = units.split_once(" since ")?;
    let f = match unit.trim().to_ascii_lowercase().as_str() {
        "seconds" | "second" | "secs" | "sec" | "s" => 1.0,
        "minutes" | "minute" | "mins" | "min" => 60.0,
        "hours" | "hour" | "hrs" | "hr" | "h" => 3600.0,
        "days" | "day" | "d" => 86_400.0,
        _ => return None,
    };
    Some((f, parse_datetime(since)?))
}

/// Reads rain frames from a NetCDF file: `variable` (needed when the file has several),
/// times from its time coordinate. Without a scenario `start`, the time units' reference date
/// is taken as the start of the run.
pub fn read_rain_netcdf(
    path: impl AsRef<Path>,
    variable: Option<&str>,
    grid: &Grid,
    start: Option<&str>,
    units: Option<&str>,
    method: Resample,
) -> Result<RainFrames, IoError> {
    let path = path.as_ref();
    if !path.exists() {
        return Err(IoError::NotFound {
            path: path.to_path_buf(),
        });
    }
    let gdal_err = |what: String| {
        let p = path.to_path_buf();
        move |e: gdal::errors::GdalError| IoError::Invalid {
            path: p.clone(),
            what: format!("{what}: {e}"),
        }
    };
    let ds = match variable {
        Some(v) => Dataset::open(format!("NETCDF:\"{}\":{v}", path.display()))
            .map_err(gdal_err(format!("cannot read variable '{v}'")))?,
        None => {
            let ds = Dataset::open(path).map_err(|e| IoError::NotARaster {
                path: path.to_path_buf(),
                detail: e.to_string(),
            })?;
            let subs: Vec<String> = ds
                .metadata_domain("SUBDATASETS")
                .unwrap_or_default()
                .into_iter()
                .filter_map(|kv| {
                    let (k, v) = kv.split_once('=')?;
                    k.ends_with("_NAME")
                        .then(|| v.rsplit(':').next().unwrap_or(v).to_string())
                })
                .collect();
            if !subs.is_empty() || ds.raster_count() == 0 {
                return Err(invalid(
                    path,
                    format!(
                        "the file has several variables ({}); name the rain with rain.variable",
                        subs.join(", ")
                    ),
                ));
            }
            ds
        }
    };
    let what = match variable {
        Some(v) => format!("{}:{v}", path.display()),
        None => path.display().to_string(),
    };
    let n = ds.raster_count();
    if n == 0 {
        return Err(invalid(path, "the rain variable has no field"));
    }
    // The variable's units, unless overridden.
    let var_units = ds
        .rasterband(1)
        .ok()
        .map(|b| b.unit())
        .filter(|u| !u.trim().is_empty());
    let units_used = match (units, var_units.as_deref()) {
        (Some(u), _) | (None, Some(u)) => u.to_string(),
        (None, None) => {
            return Err(invalid(
                path,
                "the rain variable has no units attribute: give rain.units (e.g. \"mm/h\")",
            ));
        }
    };
    let factor = intensity_factor(&units_used).ok_or_else(|| {
        invalid(
            path,
            format!("units '{units_used}': expected an intensity such as mm/h, mm s-1, kg m-2 s-1 or m s-1 (an accumulation per interval is not supported; divide it by the interval)"),
        )
    })?;
    // Times: the extra dimension, its values per band and its units.
    let dim = ds
        .metadata_item("NETCDF_DIM_EXTRA", "")
        .map(|s| {
            s.trim_matches(['{', '}'])
                .split(',')
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .filter(|s| !s.is_empty());
    let time_units = dim
        .as_ref()
        .and_then(|d| ds.metadata_item(&format!("{d}#units"), ""));
    let (unit_s, ref_epoch) = match (&dim, time_units.as_deref()) {
        (Some(_), Some(u)) => cf_time_units(u).ok_or_else(|| {
            invalid(
                path,
                format!("time units '{u}': expected '<seconds|minutes|hours|days> since <date>'"),
            )
        })?,
        (Some(d), None) => return Err(invalid(path, format!("the coordinate '{d}' has no units"))),
        (None, _) if n == 1 => (1.0, 0.0),
        (None, _) => return Err(invalid(path, "the rain variable has no time dimension")),
    };
    let offset = match start {
        Some(s) => {
            ref_epoch
                - parse_datetime(s).ok_or_else(|| {
                    invalid(path, format!("the start '{s}' is not a date and time"))
                })?
        }
        None => 0.0,
    };
    let mut out = Vec::with_capacity(n);
    let mut uncovered = 0;
    for b in 1..=n {
        let t = match &dim {
            Some(d) => {
                let rb = ds
                    .rasterband(b)
                    .map_err(gdal_err(format!("opening field {b}")))?;
                let v = rb
                    .metadata_item(&format!("NETCDF_DIM_{d}"), "")
                    .and_then(|s| s.trim().parse::<f64>().ok())
                    .ok_or_else(|| invalid(path, format!("field {b} has no {d} value")))?;
                v * unit_s + offset
            }
            None => 0.0,
        };
        let values = read_band_aligned(&ds, b, path, grid, method, "rain")?;
        let v = to_mm_h(values, factor, path, &mut uncovered)?;
        out.push((t, format!("{what}[{}]", b - 1), v));
    }
    Ok(frames(sort_frames(out, path)?, uncovered))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_to_epoch_seconds() {
        assert_eq!(parse_datetime("1970-01-01"), Some(0.0));
        assert_eq!(parse_datetime("1970-01-02T00:00:00Z"), Some(86_400.0));
        assert_eq!(parse_datetime("2000-03-01 00:00:00"), Some(951_868_800.0));
        assert_eq!(
            parse_datetime("2026-06-01T01:30:00Z"),
            Some(1_780_277_400.0)
        );
        assert_eq!(parse_datetime("2026-6-1 1:30"), Some(1_780_277_400.0));
        assert_eq!(
            parse_datetime("2026-06-01T03:30:00+02:00"),
            Some(1_780_277_400.0)
        );
        assert_eq!(parse_datetime("2026-13-01"), None);
        assert_eq!(parse_datetime("tomorrow"), None);
    }

    #[test]
    fn frame_times_come_from_names() {
        let e = parse_datetime("2026-06-01T01:30:00Z").unwrap();
        for name in [
            "20260601T0130",
            "rain_202606010130",
            "radar_20260601013000_v2",
            "2026-06-01T01-30-00",
            "2026-06-01T01:30:00Z",
            "rain_2026-06-01_01-30",
        ] {
            assert_eq!(time_in_name(name), Some(NameTime::Absolute(e)), "{name}");
        }
        assert_eq!(time_in_name("rain_3600"), Some(NameTime::Relative(3600.0)));
        assert_eq!(time_in_name("t5400s"), Some(NameTime::Relative(5400.0)));
        assert_eq!(
            time_in_name("frame2_900.5"),
            Some(NameTime::Relative(900.5))
        );
        assert_eq!(time_in_name("rain"), None);
    }

    #[test]
    fn units_convert_to_mm_per_hour() {
        assert_eq!(intensity_factor("mm h-1"), Some(1.0));
        assert_eq!(intensity_factor(" MM/H "), Some(1.0));
        assert_eq!(intensity_factor("kg m-2 s-1"), Some(3600.0));
        assert_eq!(intensity_factor("m s-1"), Some(3.6e6));
        assert_eq!(intensity_factor("mm"), None);
        assert_eq!(
            cf_time_units("minutes since 2026-06-01 00:00:00").map(|x| x.0),
            Some(60.0)
        );
        assert!(cf_time_units("fortnights since 2026-06-01").is_none());
    }
}
