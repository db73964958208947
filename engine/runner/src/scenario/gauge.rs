//! `[[gauge]]`: points where depth, level and speed are recorded; and points in map units, which
//! sources use too.

use serde::Deserialize;
use toml::Spanned;

use super::diagnostics::Diagnostics;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    name: Spanned<String>,
    at: Spanned<Vec<f64>>,
    warning_level_m: Option<Spanned<f64>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Gauge {
    pub name: String,
    pub x: f64,
    pub y: f64,
    pub warning_level_m: Option<f64>,
    /// Line of the gauge in the scenario file, for messages found when the DEM is loaded.
    pub line: usize,
}

/// `[x, y]`, finite (whether it lies on the DEM is checked when the DEM is loaded).
pub(super) fn point(at: &Spanned<Vec<f64>>) -> Option<(f64, f64)> {
    match at.get_ref().as_slice() {
        [x, y] if x.is_finite() && y.is_finite() => Some((*x, *y)),
        _ => None,
    }
}

/// What [`point`] expects, for messages.
pub(super) const POINT_RULE: &str = "expected [x, y] in map units of the DEM";

pub(super) fn validate(raw: &[Spanned<Raw>], dx: &mut Diagnostics) -> Vec<Gauge> {
    let mut gauges: Vec<Gauge> = Vec::new();
    for g in raw {
        let r = g.get_ref();
        let Some((x, y)) = point(&r.at) else {
            dx.problem(&r.at, "gauge.at", POINT_RULE);
            continue;
        };
        let name = r.name.get_ref();
        if gauges.iter().any(|o| o.name == *name) {
            dx.problem(&r.name, "gauge.name", format!("'{name}' is used twice"));
        }
        gauges.push(Gauge {
            name: name.clone(),
            x,
            y,
            warning_level_m: r.warning_level_m.as_ref().map(|w| *w.get_ref()),
            line: dx.line(g),
        });
    }
    gauges
}

#[cfg(test)]
mod tests {
    use super::super::diagnostics::Problem;
    use super::super::testing::check;
    use super::*;

    fn gauges(text: &str) -> (Vec<Gauge>, Vec<Problem>) {
        check(text, "gauge", |r: &Vec<Spanned<Raw>>, dx| validate(r, dx))
    }

    #[test]
    fn gauges_keep_their_line() {
        let (g, p) = gauges(
            "[[gauge]]\nname = \"bridge\"\nat = [1, 2.5]\nwarning_level_m = 3.5\n\n[[gauge]]\nname = \"town\"\nat = [3.0, 4.0]\n",
        );
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(
            g,
            [
                Gauge {
                    name: "bridge".into(),
                    x: 1.0,
                    y: 2.5,
                    warning_level_m: Some(3.5),
                    line: 1
                },
                Gauge {
                    name: "town".into(),
                    x: 3.0,
                    y: 4.0,
                    warning_level_m: None,
                    line: 6
                },
            ]
        );
    }

    #[test]
    fn a_gauge_is_a_finite_point_with_its_own_name() {
        let (g, p) = gauges(
            "[[gauge]]\nname = \"a\"\nat = [1.0]\n[[gauge]]\nname = \"b\"\nat = [1.0, nan]\n[[gauge]]\nname = \"c\"\nat = [1, 2]\n[[gauge]]\nname = \"c\"\nat = [1, 2]\n",
        );
        assert_eq!(
            p,
            [
                Problem::new(3, "gauge.at", "expected [x, y] in map units of the DEM"),
                Problem::new(6, "gauge.at", "expected [x, y] in map units of the DEM"),
                Problem::new(11, "gauge.name", "'c' is used twice"),
            ]
        );
        assert_eq!(g.len(), 2);
    }
}
