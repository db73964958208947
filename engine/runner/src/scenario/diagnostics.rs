//! Problems found in a scenario file, each with its line, its key and what was expected, and the
//! collector the table validators report them to.

use std::path::{Path, PathBuf};

use basintwin_io::Resample;
use toml::Spanned;

/// One thing wrong with a scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub line: usize,
    pub key: String,
    pub message: String,
}

impl Problem {
    pub fn new(line: usize, key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            line,
            key: key.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.key.is_empty() {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            write!(f, "line {}: {}: {}", self.line, self.key, self.message)
        }
    }
}

/// Every problem of a scenario file, with the file's name.
#[derive(Debug, Clone)]
pub struct Problems {
    pub file: PathBuf,
    pub list: Vec<Problem>,
}

impl std::fmt::Display for Problems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.list.len();
        writeln!(
            f,
            "{}: {n} problem{}",
            self.file.display(),
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.list {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// The line (from 1) of byte `offset` in `text`.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// What the table validators report to: the file's text (for line numbers), its folder (paths in
/// the file are relative to it) and the problems found so far, in the order found.
#[derive(Debug)]
pub(super) struct Diagnostics<'a> {
    text: &'a str,
    dir: PathBuf,
    problems: Vec<Problem>,
}

impl<'a> Diagnostics<'a> {
    pub(super) fn new(text: &'a str, dir: PathBuf) -> Self {
        Self {
            text,
            dir,
            problems: Vec::new(),
        }
    }

    /// The scenario file's folder.
    pub(super) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The line (from 1) where `at` starts.
    pub(super) fn line<T>(&self, at: &Spanned<T>) -> usize {
        line_of(self.text, at.span().start)
    }

    /// A problem on the line where `at` starts.
    pub(super) fn problem<T>(&mut self, at: &Spanned<T>, key: &str, message: impl Into<String>) {
        let line = self.line(at);
        self.problem_on_line(line, key, message);
    }

    pub(super) fn problem_on_line(&mut self, line: usize, key: &str, message: impl Into<String>) {
        self.problems.push(Problem::new(line, key, message));
    }

    pub(super) fn into_problems(self) -> Vec<Problem> {
        self.problems
    }

    /// `v` when it is finite and > 0; else a problem `"{v}: expected {what}"` (and `v` anyway).
    pub(super) fn positive(&mut self, v: &Spanned<f64>, key: &str, what: &str) -> f64 {
        let x = *v.get_ref();
        if !(x.is_finite() && x > 0.0) {
            self.problem(v, key, format!("{x}: expected {what}"));
        }
        x
    }

    /// A resampling method by name; `default` when not given or unknown (then a problem).
    pub(super) fn resample(
        &mut self,
        s: &Option<Spanned<String>>,
        key: &str,
        default: Resample,
    ) -> Resample {
        let Some(s) = s else { return default };
        s.get_ref().parse::<Resample>().unwrap_or_else(|e| {
            self.problem(s, key, e);
            default
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_count_from_one_and_clamp_to_the_text() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }

    #[test]
    fn problems_print_their_line_and_key() {
        assert_eq!(
            Problem::new(4, "time.duration_s", "-5: expected a positive duration").to_string(),
            "line 4: time.duration_s: -5: expected a positive duration"
        );
        assert_eq!(Problem::new(2, "", "bad").to_string(), "line 2: bad");
        let all = Problems {
            file: "a.toml".into(),
            list: vec![Problem::new(1, "k", "m"), Problem::new(3, "", "n")],
        };
        assert_eq!(
            all.to_string(),
            "a.toml: 2 problems\n  line 1: k: m\n  line 3: n\n"
        );
    }
}
