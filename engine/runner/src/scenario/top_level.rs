//! The keys at the top of the file: `name` and `start`.

use toml::Spanned;

use super::diagnostics::Diagnostics;

#[derive(Debug, Clone, PartialEq)]
pub(super) struct TopLevel {
    /// The title of the run, when given.
    pub name: Option<String>,
    /// The time the run starts (ISO 8601), which dates gridded rain and results.
    pub start: Option<String>,
}

pub(super) fn validate(
    name: Option<&Spanned<String>>,
    start: Option<&Spanned<String>>,
    dx: &mut Diagnostics,
) -> TopLevel {
    if let Some(s) = start
        && !looks_like_iso8601(s.get_ref())
    {
        dx.problem(
            s,
            "start",
            format!(
                "'{}': expected an ISO 8601 time such as 2026-06-01T00:00:00Z",
                s.get_ref()
            ),
        );
    }
    TopLevel {
        name: name.map(|n| n.get_ref().clone()),
        start: start.map(|s| s.get_ref().clone()),
    }
}

/// `YYYY-MM-DDTHH:MM:SS` (or a space for the `T`) with an optional fraction and zone (`Z` or
/// `+hh:mm`), which are not checked.
fn looks_like_iso8601(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let at = |k: usize, c: &[u8]| b.get(k).is_some_and(|x| c.contains(x));
    digits(0..4)
        && at(4, b"-")
        && digits(5..7)
        && at(7, b"-")
        && digits(8..10)
        && at(10, b"T ")
        && digits(11..13)
        && at(13, b":")
        && digits(14..16)
        && at(16, b":")
        && digits(17..19)
}

#[cfg(test)]
mod tests {
    use super::super::diagnostics::Problem;
    use super::*;

    fn top(text: &str) -> (TopLevel, Vec<Problem>) {
        #[derive(serde::Deserialize)]
        struct Raw {
            name: Option<Spanned<String>>,
            start: Option<Spanned<String>>,
        }
        let raw: Raw = toml::from_str(text).unwrap();
        let mut dx = Diagnostics::new(text, Default::default());
        let t = validate(raw.name.as_ref(), raw.start.as_ref(), &mut dx);
        (t, dx.into_problems())
    }

    #[test]
    fn name_and_start() {
        let (t, p) = top("name = \"Dam break\"\nstart = \"2026-06-01T00:00:00Z\"\n");
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(t.name.as_deref(), Some("Dam break"));
        assert_eq!(t.start.as_deref(), Some("2026-06-01T00:00:00Z"));
    }

    #[test]
    fn start_is_an_iso_8601_time() {
        let (_, p) = top("name = \"x\"\nstart = \"June 1st\"\n");
        assert_eq!(
            p,
            [Problem::new(
                2,
                "start",
                "'June 1st': expected an ISO 8601 time such as 2026-06-01T00:00:00Z"
            )]
        );
        for ok in [
            "2026-06-01 00:00:00",
            "2026-06-01T00:00:00.5+02:00",
            "1999-12-31T23:59:59Z",
        ] {
            assert!(looks_like_iso8601(ok), "{ok}");
        }
        for bad in [
            "2026-06-01",
            "2026/06/01T00:00:00",
            "2026-06-01T00:00",
            "２026-06-01T00:00:00",
        ] {
            assert!(!looks_like_iso8601(bad), "{bad}");
        }
    }
}
