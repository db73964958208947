//! The scenario text into its raw tables. When a value has the wrong type or a key is unknown,
//! serde's message says so with a place in the text but not the key; the problem names it: the
//! dotted path of the value (`time.duration_s`, `boundary.slope` in any `[[boundary]]`), or of
//! the table that has no such key (`solver: unknown field ...`).

use std::ops::Range;

use serde::de::DeserializeOwned;
use toml_edit::{ImDocument, InlineTable, Item, Table, Value};

use super::diagnostics::{Problem, line_of};

/// The typed tables of `text`, or the one problem that stops the parse.
pub(super) fn parse<T: DeserializeOwned>(text: &str) -> Result<T, Problem> {
    toml::from_str(text).map_err(|e| {
        let (line, key) = match e.span() {
            Some(span) => (line_of(text, span.start), key_at(text, &span)),
            None => (0, String::new()),
        };
        Problem::new(line, key, e.message())
    })
}

/// A key of the file with the places of its name and of its value.
struct Entry {
    path: String,
    key: Range<usize>,
    value: Range<usize>,
}

/// The key an error at `span` is about: the table of a key named at exactly `span` (an unknown
/// key), else the innermost key whose value holds `span`; empty when none (a syntax error, a
/// top-level key missing).
fn key_at(text: &str, span: &Range<usize>) -> String {
    let Ok(doc) = ImDocument::parse(text) else {
        return String::new();
    };
    let mut entries = Vec::new();
    table_entries(doc.as_table(), "", &mut entries);
    if let Some(e) = entries.iter().find(|e| e.key == *span) {
        return match e.path.rsplit_once('.') {
            Some((table, _)) => table.to_string(),
            None => String::new(),
        };
    }
    entries
        .iter()
        .filter(|e| e.value.start <= span.start && span.end <= e.value.end)
        .min_by_key(|e| e.value.len())
        .map(|e| e.path.clone())
        .unwrap_or_default()
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Every key under `table`, depth first; entries of arrays of tables share their array's path.
fn table_entries(table: &Table, path: &str, out: &mut Vec<Entry>) {
    for (name, item) in table.iter() {
        let path = join(path, name);
        if let Some((key, _)) = table.get_key_value(name) {
            push(out, &path, key.span(), item.span());
        }
        match item {
            Item::Table(t) => table_entries(t, &path, out),
            Item::ArrayOfTables(a) => a.iter().for_each(|t| table_entries(t, &path, out)),
            Item::Value(v) => value_entries(v, &path, out),
            Item::None => {}
        }
    }
}

fn inline_entries(table: &InlineTable, path: &str, out: &mut Vec<Entry>) {
    for (name, v) in table.iter() {
        let path = join(path, name);
        if let Some((key, _)) = table.get_key_value(name) {
            push(out, &path, key.span(), v.span());
        }
        value_entries(v, &path, out);
    }
}

/// The keys inside a value (inline tables, also within arrays).
fn value_entries(v: &Value, path: &str, out: &mut Vec<Entry>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| value_entries(x, path, out)),
        Value::InlineTable(t) => inline_entries(t, path, out),
        _ => {}
    }
}

fn push(out: &mut Vec<Entry>, path: &str, key: Option<Range<usize>>, value: Option<Range<usize>>) {
    // A dotted key's intermediate tables (`a` in `a.b = 1`) have no value span of their own.
    out.push(Entry {
        path: path.to_string(),
        key: key.unwrap_or(usize::MAX..usize::MAX),
        value: value.unwrap_or(usize::MAX..usize::MAX),
    });
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use toml::Spanned;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Raw {
        name: Option<String>,
        time: Spanned<Time>,
        solver: Option<Solver>,
        #[serde(default)]
        boundary: Vec<Spanned<Boundary>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Time {
        duration_s: f64,
        output_interval_s: f64,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Solver {
        courant: Option<f64>,
        window: Option<Window>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Window {
        x: f64,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Boundary {
        kind: String,
        slope: Option<f64>,
        line: Option<Vec<Vec<f64>>>,
    }

    const TIME: &str = "[time]\nduration_s = 60\noutput_interval_s = 10\n";

    fn problem(text: &str) -> Problem {
        parse::<Raw>(text).unwrap_err()
    }

    #[test]
    fn a_value_of_the_wrong_type_names_its_key() {
        assert_eq!(
            problem("name = \"x\"\n\n[time]\nduration_s = \"long\"\noutput_interval_s = 10\n"),
            Problem::new(
                4,
                "time.duration_s",
                "invalid type: string \"long\", expected f64"
            )
        );
        assert_eq!(
            problem(&format!("{TIME}[solver]\ncourant = \"high\"\n")),
            Problem::new(
                5,
                "solver.courant",
                "invalid type: string \"high\", expected f64"
            )
        );
        assert_eq!(
            problem("time = { duration_s = 60, output_interval_s = [10] }\n"),
            Problem::new(
                1,
                "time.output_interval_s",
                "invalid type: sequence, expected f64"
            )
        );
        assert_eq!(
            problem(&format!("name = 3\n{TIME}")),
            Problem::new(1, "name", "invalid type: integer `3`, expected a string")
        );
    }

    #[test]
    fn a_value_in_an_array_of_tables_names_the_array() {
        let text = format!(
            "{TIME}\n[[boundary]]\nkind = \"free\"\n\n[[boundary]]\nkind = \"normal_depth\"\nslope = \"steep\"\n"
        );
        assert_eq!(
            problem(&text),
            Problem::new(
                10,
                "boundary.slope",
                "invalid type: string \"steep\", expected f64"
            )
        );
        // Inside an inline array, the key that holds it.
        let text = format!(
            "{TIME}[[boundary]]\nkind = \"stage\"\nline = [\n  [1, 2],\n  [3, \"x\"],\n]\n"
        );
        assert_eq!(
            problem(&text),
            Problem::new(
                8,
                "boundary.line",
                "invalid type: string \"x\", expected f64"
            )
        );
    }

    #[test]
    fn an_unknown_key_names_its_table() {
        assert_eq!(
            problem(&format!("{TIME}speed = 3\n")),
            Problem::new(
                4,
                "time",
                "unknown field `speed`, expected `duration_s` or `output_interval_s`"
            )
        );
        assert_eq!(
            problem(&format!("{TIME}[solver]\nfoo = 1\n")),
            Problem::new(
                5,
                "solver",
                "unknown field `foo`, expected `courant` or `window`"
            )
        );
        assert_eq!(
            problem(&format!("{TIME}[solver.window]\ny = 1\n")),
            Problem::new(5, "solver.window", "unknown field `y`, expected `x`")
        );
        assert_eq!(
            problem(&format!(
                "{TIME}[[boundary]]\nkind = \"free\"\nslop = 0.1\n"
            )),
            Problem::new(
                6,
                "boundary",
                "unknown field `slop`, expected one of `kind`, `slope`, `line`"
            )
        );
        // A top-level key has no table to name.
        assert_eq!(
            problem(&format!("tide = 1\n{TIME}")),
            Problem::new(
                1,
                "",
                "unknown field `tide`, expected one of `name`, `time`, `solver`, `boundary`"
            )
        );
    }

    #[test]
    fn a_missing_key_names_its_table() {
        assert_eq!(
            problem("[time]\nduration_s = 60\n"),
            Problem::new(1, "time", "missing field `output_interval_s`")
        );
        assert_eq!(
            problem("name = \"x\"\n"),
            Problem::new(1, "", "missing field `time`")
        );
    }

    #[test]
    fn a_syntax_error_has_its_line_and_no_key() {
        let p = problem("name = \"x\"\n[time\nduration_s = 60\n");
        assert_eq!((p.line, p.key.as_str()), (2, ""));
        assert!(!p.message.is_empty());
    }
}
