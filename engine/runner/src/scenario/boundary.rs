//! `[[boundary]]`: what each side of the domain does (wall, free outflow, normal depth), and
//! inflow or stage segments along the edges.

use basintwin_core::{Boundaries, BoundaryKind, Series, Side};
use serde::Deserialize;
use toml::Spanned;

use super::diagnostics::Diagnostics;
use super::series::{self, Quantity};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    name: Option<Spanned<String>>,
    value: Option<Spanned<toml::Value>>,
    kind: Spanned<String>,
    side: Option<Spanned<String>>,
    line: Option<Spanned<Vec<Vec<f64>>>>,
    hydrograph: Option<Spanned<String>>,
    series: Option<Spanned<toml::Value>>,
    slope: Option<Spanned<f64>>,
}

/// An inflow or stage boundary as read from the scenario (resolved to cells when the DEM is
/// loaded).
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentSpec {
    pub name: String,
    /// Inflow (m^3/s) when true, stage (m) when false.
    pub inflow: bool,
    pub series: Series,
    pub side: Option<Side>,
    /// Two points on the edge, in map units.
    pub line: Option<[[f64; 2]; 2]>,
    pub line_no: usize,
}

/// The edges of the domain.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Edges {
    /// What each whole side does (walls where not given).
    pub sides: Boundaries,
    pub segments: Vec<SegmentSpec>,
}

enum Kind {
    /// Applies to a whole side.
    Side(BoundaryKind),
    Segment(Quantity),
}

pub(super) fn validate(raw: &[Spanned<Raw>], dx: &mut Diagnostics) -> Edges {
    let mut out = Edges {
        sides: Boundaries::walls(),
        segments: Vec::new(),
    };
    let mut seen: Vec<Side> = Vec::new();
    for b in raw {
        let r = b.get_ref();
        let kind = kind(r, dx);
        let side = side(r, dx);
        let line = line(r, dx);
        if r.side.is_none() && r.line.is_none() {
            dx.problem(b, "boundary.side", "missing: expected side = west, east, south or north (or line = [[x1, y1], [x2, y2]] along an edge)");
        }
        match kind {
            Some(Kind::Side(k)) => {
                not_for_whole_sides(r, dx);
                if let (Some(sd), Some(s)) = (side, &r.side) {
                    if seen.contains(&sd) {
                        let twice = format!("{sd:?} is given twice").to_lowercase();
                        dx.problem(s, "boundary.side", twice);
                    }
                    seen.push(sd);
                    out.sides.set(sd, k);
                }
            }
            Some(Kind::Segment(what)) => {
                if let Some(series) = segment_series(b, what, dx) {
                    let line_no = dx.line(b);
                    let name = r
                        .name
                        .as_ref()
                        .map(|n| n.get_ref().clone())
                        .unwrap_or_else(|| format!("{} (line {line_no})", r.kind.get_ref()));
                    out.segments.push(SegmentSpec {
                        name,
                        inflow: what == Quantity::Inflow,
                        series,
                        side,
                        line,
                        line_no,
                    });
                }
            }
            None => {}
        }
    }
    out
}

fn kind(r: &Raw, dx: &mut Diagnostics) -> Option<Kind> {
    match r.kind.get_ref().as_str() {
        "wall" => Some(Kind::Side(BoundaryKind::Wall)),
        "free" => Some(Kind::Side(BoundaryKind::Free)),
        "inflow" => Some(Kind::Segment(Quantity::Inflow)),
        "stage" => Some(Kind::Segment(Quantity::Stage)),
        "normal_depth" => match &r.slope {
            Some(sl) if sl.get_ref().is_finite() && *sl.get_ref() > 0.0 && *sl.get_ref() < 1.0 => {
                Some(Kind::Side(BoundaryKind::NormalDepth {
                    slope: *sl.get_ref(),
                }))
            }
            Some(sl) => {
                let msg = format!("{}: expected a slope in (0, 1) m/m", sl.get_ref());
                dx.problem(sl, "boundary.slope", msg);
                None
            }
            None => {
                dx.problem(&r.kind, "boundary.slope", "missing: normal_depth needs slope = the energy slope beyond the edge (m/m), e.g. the bed slope near the outlet");
                None
            }
        },
        other => {
            dx.problem(
                &r.kind,
                "boundary.kind",
                format!(
                    "unknown kind '{other}': expected wall, free, inflow, stage or normal_depth"
                ),
            );
            None
        }
    }
}

fn side(r: &Raw, dx: &mut Diagnostics) -> Option<Side> {
    let s = r.side.as_ref()?;
    match s.get_ref().as_str() {
        "west" => Some(Side::West),
        "east" => Some(Side::East),
        "south" => Some(Side::South),
        "north" => Some(Side::North),
        other => {
            dx.problem(
                s,
                "boundary.side",
                format!("unknown side '{other}': expected west, east, south or north"),
            );
            None
        }
    }
}

/// Two finite points (checked against the edges when the DEM is loaded).
fn line(r: &Raw, dx: &mut Diagnostics) -> Option<[[f64; 2]; 2]> {
    let l = r.line.as_ref()?;
    match l.get_ref().as_slice() {
        [a, b] if a.len() == 2 && b.len() == 2 && a.iter().chain(b).all(|v| v.is_finite()) => {
            Some([[a[0], a[1]], [b[0], b[1]]])
        }
        _ => {
            dx.problem(
                l,
                "boundary.line",
                "expected [[x1, y1], [x2, y2]]: two points on one edge of the domain",
            );
            None
        }
    }
}

/// Wall and free boundaries (and normal depth) take nothing but their side.
fn not_for_whole_sides(r: &Raw, dx: &mut Diagnostics) {
    let given = [
        (
            r.hydrograph.as_ref().map(|s| dx.line(s)),
            "boundary.hydrograph",
        ),
        (r.series.as_ref().map(|s| dx.line(s)), "boundary.series"),
        (r.value.as_ref().map(|s| dx.line(s)), "boundary.value"),
        (r.line.as_ref().map(|s| dx.line(s)), "boundary.line"),
    ];
    for (line, key) in given {
        if let Some(line) = line {
            dx.problem_on_line(
                line,
                key,
                "not used by wall and free boundaries, which apply to whole sides",
            );
        }
    }
}

/// The series of an inflow or stage segment: exactly one of hydrograph, series or value.
fn segment_series(b: &Spanned<Raw>, what: Quantity, dx: &mut Diagnostics) -> Option<Series> {
    let r = b.get_ref();
    match (&r.hydrograph, &r.series, &r.value) {
        (Some(h), None, None) => series::read_csv(dx, h, "boundary.hydrograph", what),
        (None, Some(v), None) => series::read(dx, v, "boundary.series", what),
        (None, None, Some(v)) => series::read(dx, v, "boundary.value", what),
        _ => {
            let unit = match what {
                Quantity::Inflow => "m3/s",
                _ => "level in m",
            };
            dx.problem(b, "boundary", format!("give exactly one of hydrograph (CSV), series ([[time_s, {unit}], ...]) or value (a constant {unit})"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::diagnostics::Problem;
    use super::super::testing::check;
    use super::*;

    fn edges(text: &str) -> (Edges, Vec<Problem>) {
        check(text, "boundary", |r: &Vec<Spanned<Raw>>, dx| {
            validate(r, dx)
        })
    }

    #[test]
    fn whole_sides_and_segments() {
        let (e, p) = edges(
            "[[boundary]]\nkind = \"free\"\nside = \"east\"\n\n[[boundary]]\nkind = \"normal_depth\"\nside = \"north\"\nslope = 0.001\n\n[[boundary]]\nname = \"river\"\nkind = \"inflow\"\nside = \"west\"\nvalue = 5\n\n[[boundary]]\nkind = \"stage\"\nline = [[0, 0], [0, 10]]\nseries = [[0, 1.0], [60, 2.0]]\n",
        );
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(e.sides.side(Side::East), BoundaryKind::Free);
        assert_eq!(
            e.sides.side(Side::North),
            BoundaryKind::NormalDepth { slope: 0.001 }
        );
        assert_eq!(e.sides.side(Side::South), BoundaryKind::Wall);
        let [river, stage] = e.segments.as_slice() else {
            panic!("{:?}", e.segments)
        };
        assert_eq!(
            (river.name.as_str(), river.inflow, river.side, river.line_no),
            ("river", true, Some(Side::West), 10)
        );
        assert_eq!(river.series.points(), [(0.0, 5.0)]);
        assert_eq!(
            (stage.name.as_str(), stage.inflow, stage.line_no),
            ("stage (line 16)", false, 16)
        );
        assert_eq!(stage.line, Some([[0.0, 0.0], [0.0, 10.0]]));
    }

    #[test]
    fn a_stage_below_the_datum_is_allowed() {
        // A tide around mean sea level.
        let (e, p) = edges(
            "[[boundary]]\nkind = \"stage\"\nside = \"east\"\nseries = [[0, -1.2], [22350, 1.1], [44700, -1.2]]\n",
        );
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(e.segments[0].series.points()[0], (0.0, -1.2));
        let (_, p) = edges("[[boundary]]\nkind = \"stage\"\nside = \"east\"\nvalue = -3\n");
        assert!(p.is_empty(), "{p:?}");
    }

    #[test]
    fn a_negative_inflow_is_refused() {
        let (e, p) = edges("[[boundary]]\nkind = \"inflow\"\nside = \"west\"\nvalue = -3\n");
        assert_eq!(
            p,
            [Problem::new(
                4,
                "boundary.value",
                "-3 at 0 s: expected values >= 0"
            )]
        );
        assert_eq!(e.segments.len(), 1);
    }

    #[test]
    fn kind_side_and_line_are_checked() {
        let (_, p) = edges(
            "[[boundary]]\nkind = \"sponge\"\nside = \"up\"\n\n[[boundary]]\nkind = \"inflow\"\nvalue = 1\nline = [[0, 0]]\n",
        );
        assert_eq!(
            p,
            [
                Problem::new(
                    2,
                    "boundary.kind",
                    "unknown kind 'sponge': expected wall, free, inflow, stage or normal_depth"
                ),
                Problem::new(
                    3,
                    "boundary.side",
                    "unknown side 'up': expected west, east, south or north"
                ),
                Problem::new(
                    8,
                    "boundary.line",
                    "expected [[x1, y1], [x2, y2]]: two points on one edge of the domain"
                ),
            ]
        );
        let (_, p) = edges("\n[[boundary]]\nkind = \"wall\"\n");
        assert_eq!(
            p,
            [Problem::new(
                2,
                "boundary.side",
                "missing: expected side = west, east, south or north (or line = [[x1, y1], [x2, y2]] along an edge)"
            )]
        );
    }

    #[test]
    fn normal_depth_needs_a_slope_in_0_1() {
        let (_, p) = edges("[[boundary]]\nkind = \"normal_depth\"\nside = \"east\"\n");
        assert_eq!(
            p,
            [Problem::new(
                2,
                "boundary.slope",
                "missing: normal_depth needs slope = the energy slope beyond the edge (m/m), e.g. the bed slope near the outlet"
            )]
        );
        let (_, p) = edges("[[boundary]]\nkind = \"normal_depth\"\nside = \"east\"\nslope = 1.5\n");
        assert_eq!(
            p,
            [Problem::new(
                4,
                "boundary.slope",
                "1.5: expected a slope in (0, 1) m/m"
            )]
        );
    }

    #[test]
    fn a_side_is_given_once_and_whole_sides_take_no_series() {
        let (_, p) = edges(
            "[[boundary]]\nkind = \"free\"\nside = \"east\"\nvalue = 2\n\n[[boundary]]\nkind = \"wall\"\nside = \"east\"\n",
        );
        assert_eq!(
            p,
            [
                Problem::new(
                    4,
                    "boundary.value",
                    "not used by wall and free boundaries, which apply to whole sides"
                ),
                Problem::new(8, "boundary.side", "east is given twice"),
            ]
        );
    }

    #[test]
    fn a_segment_has_exactly_one_series() {
        let (e, p) = edges("[[boundary]]\nkind = \"inflow\"\nside = \"west\"\n");
        assert_eq!(
            p,
            [Problem::new(
                1,
                "boundary",
                "give exactly one of hydrograph (CSV), series ([[time_s, m3/s], ...]) or value (a constant m3/s)"
            )]
        );
        assert!(e.segments.is_empty());
        let (_, p) = edges(
            "[[boundary]]\nkind = \"stage\"\nside = \"west\"\nvalue = 1\nseries = [[0, 1]]\n",
        );
        assert_eq!(
            p,
            [Problem::new(
                1,
                "boundary",
                "give exactly one of hydrograph (CSV), series ([[time_s, level in m], ...]) or value (a constant level in m)"
            )]
        );
    }
}
