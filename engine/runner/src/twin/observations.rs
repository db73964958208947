//! Observed gauge levels, read as they arrive: a CSV with the columns of `gauges.csv`
//! (`time_s`, then `<gauge>_level_m` for the observed gauges; other columns are ignored) that
//! grows row by row, or a folder of such files (read in name order, new files picked up).
//!
//! Only complete lines are read (a row still being written waits for its newline). A row that
//! cannot be used (text or NaN where a number belongs, the wrong number of values, a time not
//! after the previous row's) is reported with its file and line and skipped; the twin goes on.
//! An empty value is a gauge not observed at that time.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// One time's observations, one per scenario gauge (`None`: not observed then).
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationRow {
    pub time_s: f64,
    pub levels_m: Vec<Option<f64>>,
}

/// Where a file's columns go: per column, the scenario gauge it observes (if any).
#[derive(Debug, Clone)]
struct Columns {
    gauge: Vec<Option<usize>>,
}

/// How far one file has been read.
#[derive(Debug, Clone)]
struct Cursor {
    path: PathBuf,
    /// Bytes consumed (complete lines).
    offset: usize,
    /// Lines consumed.
    lines: usize,
    columns: Option<Columns>,
}

/// The observation source of a twin.
#[derive(Debug)]
pub struct Observations {
    source: PathBuf,
    gauges: Vec<String>,
    files: Vec<Cursor>,
    last_time_s: Option<f64>,
}

impl Observations {
    /// Observations of the scenario's `gauges` (by name) from `source` (a file or a folder).
    pub fn new(source: &Path, gauges: Vec<String>) -> Self {
        Self {
            source: source.to_path_buf(),
            gauges,
            files: Vec::new(),
            last_time_s: None,
        }
    }

    /// The rows that arrived since the last call, in time order, and a warning for each thing
    /// skipped. Fails only when the source cannot be read at all.
    pub fn poll(&mut self) -> Result<(Vec<ObservationRow>, Vec<String>)> {
        self.discover()?;
        let (mut rows, mut warnings) = (Vec::new(), Vec::new());
        for k in 0..self.files.len() {
            let text = read_new(&self.files[k])?;
            self.consume(k, &text, &mut rows, &mut warnings);
        }
        Ok((rows, warnings))
    }

    /// The files of the source: itself, or the folder's CSVs in name order.
    fn discover(&mut self) -> Result<()> {
        let mut paths = if self.source.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(&self.source)
                .with_context(|| {
                    format!("{}: cannot list the observations", self.source.display())
                })?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")))
                .collect();
            v.sort();
            v
        } else {
            vec![self.source.clone()]
        };
        paths.retain(|p| p.is_file() && !self.files.iter().any(|c| c.path == *p));
        self.files.extend(paths.into_iter().map(|path| Cursor {
            path,
            offset: 0,
            lines: 0,
            columns: None,
        }));
        Ok(())
    }

    /// Parses the complete lines of `text` (new bytes of file `k`).
    fn consume(
        &mut self,
        k: usize,
        text: &str,
        rows: &mut Vec<ObservationRow>,
        warnings: &mut Vec<String>,
    ) {
        let complete = text.rfind('\n').map_or(0, |i| i + 1);
        for line in text[..complete].split_inclusive('\n') {
            let cursor = &mut self.files[k];
            cursor.offset += line.len();
            cursor.lines += 1;
            let (no, name) = (cursor.lines, cursor.path.display().to_string());
            let line = line.trim_end_matches(['\n', '\r']);
            if line.trim().is_empty() {
                continue;
            }
            let Some(columns) = cursor.columns.clone() else {
                match header(line, &self.gauges) {
                    Ok((c, unknown)) => {
                        for u in unknown {
                            warnings.push(format!("{name}: line {no}: column {u}: no gauge of that name in the scenario; ignored"));
                        }
                        self.files[k].columns = Some(c);
                    }
                    Err(e) => warnings.push(format!(
                        "{name}: line {no}: {e}; the file is ignored until it has one"
                    )),
                }
                continue;
            };
            match self.row(line, &columns) {
                Ok(r) => {
                    self.last_time_s = Some(r.time_s);
                    rows.push(r);
                }
                Err(e) => warnings.push(format!("{name}: line {no}: {e}; row skipped")),
            }
        }
    }

    /// One data row.
    fn row(&self, line: &str, columns: &Columns) -> Result<ObservationRow, String> {
        let values: Vec<&str> = line.split(',').map(str::trim).collect();
        if values.len() != columns.gauge.len() {
            return Err(format!(
                "{} values for {} columns",
                values.len(),
                columns.gauge.len()
            ));
        }
        let number = |v: &str, what: &str| -> Result<f64, String> {
            match v.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(x),
                _ => Err(format!("{what}: '{v}' is not a finite number")),
            }
        };
        let time_s = number(values[0], "time_s")?;
        if let Some(last) = self.last_time_s.filter(|&l| time_s <= l) {
            return Err(format!(
                "time {time_s} s is not after the previous row's ({last} s)"
            ));
        }
        let mut levels_m = vec![None; self.gauges.len()];
        for (v, g) in values.iter().zip(&columns.gauge).skip(1) {
            if let (Some(g), false) = (g, v.is_empty()) {
                levels_m[*g] = Some(number(v, &format!("{}_level_m", self.gauges[*g]))?);
            }
        }
        Ok(ObservationRow { time_s, levels_m })
    }
}

/// A header: `time_s` first; which columns observe which gauge, and the observed-level columns
/// of gauges the scenario does not have.
fn header(line: &str, gauges: &[String]) -> Result<(Columns, Vec<String>), String> {
    let names: Vec<&str> = line.split(',').map(str::trim).collect();
    if names.first() != Some(&"time_s") {
        return Err(format!(
            "expected a header starting with time_s, found '{line}'"
        ));
    }
    let mut unknown = Vec::new();
    let gauge = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let g = n.strip_suffix("_level_m").filter(|_| i > 0)?;
            let found = gauges.iter().position(|x| x == g);
            if found.is_none() {
                unknown.push(n.to_string());
            }
            found
        })
        .collect();
    Ok((Columns { gauge }, unknown))
}

/// The bytes of a file after what was consumed (a file that shrank is read from its start).
fn read_new(c: &Cursor) -> Result<String> {
    let bytes =
        std::fs::read(&c.path).with_context(|| format!("{}: cannot read", c.path.display()))?;
    let from = if bytes.len() < c.offset { 0 } else { c.offset };
    Ok(String::from_utf8_lossy(&bytes[from..]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("basintwin-obs-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn gauges() -> Vec<String> {
        vec!["bridge".into(), "town".into()]
    }

    #[test]
    fn rows_arrive_as_complete_lines_and_bad_ones_are_skipped_with_file_and_line() {
        let d = dir("rows");
        let p = d.join("obs.csv");
        std::fs::write(
            &p,
            "time_s,town_level_m,weir_level_m,bridge_depth_m\n0,4.1,1.0,0.5\n60,4.2,",
        )
        .unwrap();
        let mut o = Observations::new(&p, gauges());
        let (rows, warnings) = o.poll().unwrap();
        assert_eq!(
            rows,
            [ObservationRow {
                time_s: 0.0,
                levels_m: vec![None, Some(4.1)]
            }]
        );
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].ends_with("obs.csv: line 1: column weir_level_m: no gauge of that name in the scenario; ignored"), "{warnings:?}");
        // The half-written row completes; bad rows follow.
        let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        use std::io::Write;
        write!(
            f,
            "1.1,0.4\n30,4.0,1,1\n120,abc,1,1\n180,NaN,1,1\n240,4.3\n300,,1,1\n"
        )
        .unwrap();
        let (rows, warnings) = o.poll().unwrap();
        assert_eq!(
            rows,
            [
                ObservationRow {
                    time_s: 60.0,
                    levels_m: vec![None, Some(4.2)]
                },
                ObservationRow {
                    time_s: 300.0,
                    levels_m: vec![None, None]
                },
            ]
        );
        let tails: Vec<&str> = warnings
            .iter()
            .map(|w| w.rsplit("obs.csv: ").next().unwrap())
            .collect();
        assert_eq!(
            tails,
            [
                "line 4: time 30 s is not after the previous row's (60 s); row skipped",
                "line 5: town_level_m: 'abc' is not a finite number; row skipped",
                "line 6: town_level_m: 'NaN' is not a finite number; row skipped",
                "line 7: 2 values for 4 columns; row skipped",
            ]
        );
        assert_eq!(o.poll().unwrap(), (vec![], vec![]));
    }

    /// Replay equals live: the same rows read at once or as they are appended, line by line.
    #[test]
    fn reading_at_once_or_as_rows_arrive_gives_the_same_rows() {
        let d = dir("replay");
        let text = "time_s,bridge_level_m,town_level_m\n0,2.5,4.0\n600,2.6,\n1200,2.8,4.4\n1800,bad,4.5\n2400,3.0,4.6\n";
        std::fs::write(d.join("all.csv"), text).unwrap();
        let (at_once, w1) = Observations::new(&d.join("all.csv"), gauges())
            .poll()
            .unwrap();
        let live_path = d.join("live.csv");
        std::fs::write(&live_path, "").unwrap();
        let mut live = Observations::new(&live_path, gauges());
        let (mut rows, mut w2) = (Vec::new(), Vec::new());
        for ch in text.as_bytes().chunks(7) {
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&live_path)
                .unwrap();
            use std::io::Write;
            f.write_all(ch).unwrap();
            let (r, w) = live.poll().unwrap();
            rows.extend(r);
            w2.extend(w);
        }
        assert_eq!(rows, at_once);
        assert_eq!(at_once.len(), 4);
        assert_eq!(w1.len(), 1);
        assert_eq!(w2.len(), 1);
    }

    #[test]
    fn a_folder_is_read_file_by_file_in_name_order() {
        let d = dir("folder");
        std::fs::write(d.join("b.csv"), "time_s,bridge_level_m\n600,2.6\n").unwrap();
        std::fs::write(d.join("a.csv"), "time_s,bridge_level_m\n0,2.5\n").unwrap();
        std::fs::write(d.join("notes.txt"), "not observations").unwrap();
        let mut o = Observations::new(&d, gauges());
        let (rows, w) = o.poll().unwrap();
        assert_eq!(
            rows.iter().map(|r| r.time_s).collect::<Vec<_>>(),
            [0.0, 600.0]
        );
        assert!(w.is_empty(), "{w:?}");
        std::fs::write(d.join("c.csv"), "time_s,bridge_level_m\n1200,2.7\n").unwrap();
        let (rows, _) = o.poll().unwrap();
        assert_eq!(rows.iter().map(|r| r.time_s).collect::<Vec<_>>(), [1200.0]);
    }
}
