//! `[[source]]`: point inflows (culverts, outfalls, pumps) with a discharge series.

use basintwin_core::Series;
use serde::Deserialize;
use toml::Spanned;

use super::diagnostics::Diagnostics;
use super::gauge::{POINT_RULE, point};
use super::series::{self, Quantity};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    name: Spanned<String>,
    at: Spanned<Vec<f64>>,
    discharge_m3_s: Option<Spanned<toml::Value>>,
    hydrograph: Option<Spanned<String>>,
    series: Option<Spanned<toml::Value>>,
}

/// A point inflow as read from the scenario (mapped to a cell when the DEM is loaded).
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub name: String,
    pub x: f64,
    pub y: f64,
    pub discharge_m3_s: Series,
    pub line: usize,
}

pub(super) fn validate(raw: &[Spanned<Raw>], dx: &mut Diagnostics) -> Vec<Source> {
    let mut sources = Vec::new();
    for src in raw {
        let r = src.get_ref();
        let q = match (&r.discharge_m3_s, &r.hydrograph, &r.series) {
            (Some(v), None, None) => read(dx, v, "source.discharge_m3_s"),
            (None, None, Some(v)) => read(dx, v, "source.series"),
            (None, Some(h), None) => {
                series::read_csv(dx, h, "source.hydrograph", Quantity::SourceDischarge)
            }
            _ => {
                dx.problem(
                    src,
                    "source",
                    "give exactly one of discharge_m3_s, hydrograph or series",
                );
                continue;
            }
        };
        let Some((x, y)) = point(&r.at) else {
            dx.problem(&r.at, "source.at", POINT_RULE);
            continue;
        };
        if let Some(q) = q {
            sources.push(Source {
                name: r.name.get_ref().clone(),
                x,
                y,
                discharge_m3_s: q,
                line: dx.line(src),
            });
        }
    }
    sources
}

fn read(dx: &mut Diagnostics, v: &Spanned<toml::Value>, key: &str) -> Option<Series> {
    series::read(dx, v, key, Quantity::SourceDischarge)
}

#[cfg(test)]
mod tests {
    use super::super::diagnostics::Problem;
    use super::super::testing::check;
    use super::*;

    fn sources(text: &str) -> (Vec<Source>, Vec<Problem>) {
        check(text, "source", |r: &Vec<Spanned<Raw>>, dx| validate(r, dx))
    }

    #[test]
    fn a_constant_or_a_series_at_a_point() {
        let (s, p) = sources(
            "[[source]]\nname = \"pump\"\nat = [10, 20]\ndischarge_m3_s = 2\n\n[[source]]\nname = \"outfall\"\nat = [1.5, 2.5]\nseries = [[0, 0.0], [600, 4.0]]\n",
        );
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(
            s,
            [
                Source {
                    name: "pump".into(),
                    x: 10.0,
                    y: 20.0,
                    discharge_m3_s: Series::constant(2.0),
                    line: 1
                },
                Source {
                    name: "outfall".into(),
                    x: 1.5,
                    y: 2.5,
                    discharge_m3_s: Series::new(vec![(0.0, 0.0), (600.0, 4.0)], "q").unwrap(),
                    line: 6
                },
            ]
        );
    }

    #[test]
    fn exactly_one_series() {
        let (s, p) = sources(
            "[[source]]\nname = \"a\"\nat = [0, 0]\ndischarge_m3_s = 2.0\nseries = [[0, 0.0]]\n",
        );
        assert_eq!(
            p,
            [Problem::new(
                1,
                "source",
                "give exactly one of discharge_m3_s, hydrograph or series"
            )]
        );
        assert!(s.is_empty());
    }

    #[test]
    fn a_negative_discharge_is_refused() {
        let (_, p) =
            sources("[[source]]\nname = \"a\"\nat = [0, 0]\nseries = [[0, 1.0], [60, -1.0]]\n");
        assert_eq!(
            p,
            [Problem::new(
                4,
                "source.series",
                "-1 at 60 s: expected values >= 0"
            )]
        );
    }

    #[test]
    fn the_point_is_finite() {
        for at in ["[1.0]", "[nan, 0.0]"] {
            let (s, p) = sources(&format!(
                "[[source]]\nname = \"a\"\nat = {at}\ndischarge_m3_s = 1\n"
            ));
            assert_eq!(
                p,
                [Problem::new(
                    3,
                    "source.at",
                    "expected [x, y] in map units of the DEM"
                )]
            );
            assert!(s.is_empty());
        }
    }
}
