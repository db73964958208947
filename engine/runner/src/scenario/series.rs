//! Time series in a scenario file: a number (constant), an inline `[[time_s, value], ...]` array
//! or a CSV file of `time_s,value` lines.

use basintwin_core::Series;
use toml::Spanned;

use super::diagnostics::Diagnostics;
use super::{csv, paths};

/// What a series holds: it names the series in messages and says which values are allowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Quantity {
    /// Discharge into the domain through a boundary segment (m^3/s).
    Inflow,
    /// Free-surface level outside a boundary segment (m): below the datum too (a tide below mean
    /// sea level, a lake level on a local datum).
    Stage,
    /// Discharge of a point source (m^3/s).
    SourceDischarge,
    /// Uniform rain intensity (mm/h).
    RainIntensity,
}

impl Quantity {
    pub(super) fn name(self) -> &'static str {
        match self {
            Quantity::Inflow => "inflow hydrograph",
            Quantity::Stage => "stage hydrograph",
            Quantity::SourceDischarge => "source discharge",
            Quantity::RainIntensity => "rain intensity",
        }
    }

    /// Discharges and intensities only add water; a level may be any finite number.
    fn non_negative(self) -> bool {
        !matches!(self, Quantity::Stage)
    }
}

/// The series of `v` (see the module), checked: finite, strictly increasing times, values >= 0
/// where `what` requires it. `None` (with a problem) when it cannot be built.
pub(super) fn read(
    dx: &mut Diagnostics,
    v: &Spanned<toml::Value>,
    key: &str,
    what: Quantity,
) -> Option<Series> {
    let points = points(dx, v, key)?;
    match Series::new(points, what.name()) {
        Ok(s) => {
            if what.non_negative()
                && let Some(&(t, x)) = s.points().iter().find(|(_, x)| *x < 0.0)
            {
                dx.problem(v, key, format!("{x} at {t} s: expected values >= 0"));
            }
            Some(s)
        }
        Err(e) => {
            dx.problem(v, key, e.to_string());
            None
        }
    }
}

/// The series in the CSV file `path` names (a hydrograph key).
pub(super) fn read_csv(
    dx: &mut Diagnostics,
    path: &Spanned<String>,
    key: &str,
    what: Quantity,
) -> Option<Series> {
    let v = Spanned::new(path.span(), toml::Value::String(path.get_ref().clone()));
    read(dx, &v, key, what)
}

/// The `(time_s, value)` pairs as written, unchecked.
fn points(dx: &mut Diagnostics, v: &Spanned<toml::Value>, key: &str) -> Option<Vec<(f64, f64)>> {
    let result = match v.get_ref() {
        toml::Value::Float(x) => Ok(vec![(0.0, *x)]),
        toml::Value::Integer(i) => Ok(vec![(0.0, *i as f64)]),
        toml::Value::Array(rows) => pairs(rows),
        toml::Value::String(p) => csv::read_series(&paths::resolve(dx, p)),
        other => Err(format!(
            "got {}: expected a number, [[time_s, value], ...] or a CSV path",
            other.type_str()
        )),
    };
    result.map_err(|e| dx.problem(v, key, e)).ok()
}

/// `[[t, x], ...]` as pairs.
fn pairs(rows: &[toml::Value]) -> Result<Vec<(f64, f64)>, String> {
    rows.iter()
        .enumerate()
        .map(|(k, r)| {
            r.as_array()
                .and_then(|a| match a.as_slice() {
                    [t, x] => Some((num(t)?, num(x)?)),
                    _ => None,
                })
                .ok_or_else(|| format!("entry {} is {r}: expected [time_s, value] pairs", k + 1))
        })
        .collect()
}

/// A TOML number as f64 (integers too).
pub(super) fn num(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Float(x) => Some(*x),
        toml::Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::diagnostics::Problem;
    use super::super::testing::scratch_dir;
    use super::*;

    /// The series of `s = <value>` (line 2 of the text), and the problems.
    fn series(value: &str, what: Quantity) -> (Option<Series>, Vec<Problem>) {
        series_in(&scratch_dir("series"), value, what)
    }

    fn series_in(
        dir: &std::path::Path,
        value: &str,
        what: Quantity,
    ) -> (Option<Series>, Vec<Problem>) {
        let text = format!("# a series\ns = {value}\n");
        let mut t: toml::Table = toml::from_str(&text).unwrap();
        let at = text.find("s = ").unwrap() + 4;
        let v = Spanned::new(at..text.len() - 1, t.remove("s").unwrap());
        let mut dx = Diagnostics::new(&text, dir.to_path_buf());
        let s = read(&mut dx, &v, "k.s", what);
        (s, dx.into_problems())
    }

    #[test]
    fn a_number_is_a_constant_and_an_array_is_piecewise_linear() {
        let (s, p) = series("3", Quantity::Inflow);
        assert_eq!(s.unwrap().points(), [(0.0, 3.0)]);
        assert!(p.is_empty());
        let (s, p) = series("[[0, 1.5], [60, 2]]", Quantity::Inflow);
        assert_eq!(s.unwrap().points(), [(0.0, 1.5), (60.0, 2.0)]);
        assert!(p.is_empty());
    }

    #[test]
    fn negative_discharges_and_intensities_are_refused() {
        for what in [
            Quantity::Inflow,
            Quantity::SourceDischarge,
            Quantity::RainIntensity,
        ] {
            let (_, p) = series("[[0, 1.0], [60, -2.5]]", what);
            assert_eq!(
                p,
                [Problem::new(2, "k.s", "-2.5 at 60 s: expected values >= 0")],
                "{what:?}"
            );
        }
    }

    #[test]
    fn a_stage_below_the_datum_is_allowed() {
        let (s, p) = series("[[0, -1.2], [3600, 0.8], [7200, -1.2]]", Quantity::Stage);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(s.unwrap().points()[0], (0.0, -1.2));
        let (s, p) = series("-0.5", Quantity::Stage);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(s.unwrap().points(), [(0.0, -0.5)]);
        // But levels are finite.
        let (s, p) = series("[[0, nan]]", Quantity::Stage);
        assert!(s.is_none());
        assert_eq!(
            p,
            [Problem::new(
                2,
                "k.s",
                "invalid stage hydrograph: point 1 is (0, NaN) (expected finite times and values)"
            )]
        );
    }

    #[test]
    fn malformed_series_say_what_was_expected() {
        let (s, p) = series("[[0, 1.0], [60]]", Quantity::Inflow);
        assert!(s.is_none());
        assert_eq!(
            p,
            [Problem::new(
                2,
                "k.s",
                "entry 2 is [60]: expected [time_s, value] pairs"
            )]
        );
        let (_, p) = series("true", Quantity::Inflow);
        assert_eq!(
            p,
            [Problem::new(
                2,
                "k.s",
                "got boolean: expected a number, [[time_s, value], ...] or a CSV path"
            )]
        );
        let (_, p) = series("[[0, 1.0], [0, 2.0]]", Quantity::RainIntensity);
        assert_eq!(
            p,
            [Problem::new(
                2,
                "k.s",
                "invalid rain intensity: time 0 s at point 2 does not increase (previous 0 s) (expected strictly increasing times)"
            )]
        );
    }

    #[test]
    fn a_string_is_a_csv_file_next_to_the_scenario() {
        let dir = scratch_dir("series-csv");
        std::fs::write(dir.join("q.csv"), "time_s,q\n0,1\n60,-1\n").unwrap();
        let (s, p) = series_in(&dir, "\"q.csv\"", Quantity::Stage);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(s.unwrap().points(), [(0.0, 1.0), (60.0, -1.0)]);
        let (s, p) = series_in(&dir, "\"q.csv\"", Quantity::Inflow);
        assert!(s.is_some());
        assert_eq!(
            p,
            [Problem::new(2, "k.s", "-1 at 60 s: expected values >= 0")]
        );
        let (s, p) = series_in(&dir, "\"none.csv\"", Quantity::Inflow);
        assert!(s.is_none());
        assert!(
            p[0].message
                .starts_with(&format!("cannot read {}: ", dir.join("none.csv").display())),
            "{p:?}"
        );
    }
}
