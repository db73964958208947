//! `[[section]]`: polylines across which the discharge is reported.

use serde::Deserialize;
use toml::Spanned;

use super::diagnostics::Diagnostics;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    name: Spanned<String>,
    line: Spanned<Vec<Vec<f64>>>,
}

/// A cross-section whose discharge is reported: a polyline in map units. Positive discharge
/// crosses the line from its left to its right (walking from the first point to the last).
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub name: String,
    pub points: Vec<[f64; 2]>,
    pub line: usize,
}

pub(super) fn validate(raw: &[Spanned<Raw>], dx: &mut Diagnostics) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    for sec in raw {
        let r = sec.get_ref();
        let points: Option<Vec<[f64; 2]>> = r
            .line
            .get_ref()
            .iter()
            .map(|p| match p.as_slice() {
                [x, y] if x.is_finite() && y.is_finite() => Some([*x, *y]),
                _ => None,
            })
            .collect();
        let Some(points) = points.filter(|p| p.len() >= 2) else {
            dx.problem(
                &r.line,
                "section.line",
                "expected [[x1, y1], [x2, y2], ...]: at least two points",
            );
            continue;
        };
        let name = r.name.get_ref();
        if sections.iter().any(|o| o.name == *name) {
            dx.problem(&r.name, "section.name", format!("'{name}' is used twice"));
        }
        sections.push(Section {
            name: name.clone(),
            points,
            line: dx.line(sec),
        });
    }
    sections
}

#[cfg(test)]
mod tests {
    use super::super::diagnostics::Problem;
    use super::super::testing::check;
    use super::*;

    fn sections(text: &str) -> (Vec<Section>, Vec<Problem>) {
        check(text, "section", |r: &Vec<Spanned<Raw>>, dx| validate(r, dx))
    }

    #[test]
    fn a_polyline_of_two_points_or_more() {
        let (s, p) =
            sections("\n[[section]]\nname = \"weir\"\nline = [[0, 0], [0, 10.5], [2, 12]]\n");
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(
            s,
            [Section {
                name: "weir".into(),
                points: vec![[0.0, 0.0], [0.0, 10.5], [2.0, 12.0]],
                line: 2
            }]
        );
    }

    #[test]
    fn one_point_or_a_bad_point_is_refused_and_names_are_unique() {
        let (s, p) = sections(
            "[[section]]\nname = \"a\"\nline = [[0, 0]]\n[[section]]\nname = \"b\"\nline = [[0, 0], [1]]\n[[section]]\nname = \"c\"\nline = [[0, 0], [1, 1]]\n[[section]]\nname = \"c\"\nline = [[0, 0], [1, 1]]\n",
        );
        let rule = "expected [[x1, y1], [x2, y2], ...]: at least two points";
        assert_eq!(
            p,
            [
                Problem::new(3, "section.line", rule),
                Problem::new(6, "section.line", rule),
                Problem::new(11, "section.name", "'c' is used twice"),
            ]
        );
        assert_eq!(s.len(), 2);
    }
}
