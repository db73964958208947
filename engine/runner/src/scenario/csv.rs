//! Time series in CSV files: `time_s,value` lines.

use std::path::Path;

/// The `(time_s, value)` pairs of a CSV file: a first line that is not numbers is a header, `#`
/// starts a comment, columns are separated by `,`, `;` or a tab and columns after the second
/// are ignored. The error names the file (and the line) and what was expected.
pub(super) fn read_series(path: &Path) -> Result<Vec<(f64, f64)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read {}: {e} (paths are relative to the scenario file)",
            path.display()
        )
    })?;
    parse_series(&text).map_err(|e| format!("{}{e}", path.display()))
}

/// The pairs of a CSV text; the error starts with `:<line>: ` or `: `, to follow a file name.
fn parse_series(text: &str) -> Result<Vec<(f64, f64)>, String> {
    let mut pts = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split([',', ';', '\t']).map(str::trim).collect();
        let parsed = match cols.as_slice() {
            [t, v, ..] => t.parse::<f64>().ok().zip(v.parse::<f64>().ok()),
            _ => None,
        };
        match parsed {
            Some(p) => pts.push(p),
            None if pts.is_empty() && n == 0 => {} // header
            None => return Err(format!(":{}: '{raw}': expected time_s,value", n + 1)),
        }
    }
    if pts.is_empty() {
        return Err(": no time_s,value lines".into());
    }
    Ok(pts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_comments_and_separators_are_allowed() {
        let text =
            "time_s,discharge_m3_s\n# rising limb\n0,0\n600; 4 # peak\n3600\t4\t(ignored)\n\n";
        assert_eq!(
            parse_series(text),
            Ok(vec![(0.0, 0.0), (600.0, 4.0), (3600.0, 4.0)])
        );
    }

    #[test]
    fn a_bad_line_is_named_with_its_number() {
        assert_eq!(
            parse_series("time_s,q\n0,1\nten,2\n"),
            Err(":3: 'ten,2': expected time_s,value".into())
        );
        // Only the first line may be a header.
        assert_eq!(
            parse_series("\nt,q\n0,1\n"),
            Err(":2: 't,q': expected time_s,value".into())
        );
        assert_eq!(parse_series("t,q\n"), Err(": no time_s,value lines".into()));
    }

    #[test]
    fn a_missing_file_says_paths_are_relative_to_the_scenario() {
        let e = read_series(Path::new("/no/such/q.csv")).unwrap_err();
        assert!(e.starts_with("cannot read /no/such/q.csv: "), "{e}");
        assert!(
            e.ends_with("(paths are relative to the scenario file)"),
            "{e}"
        );
    }
}
