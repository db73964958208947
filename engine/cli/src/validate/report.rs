//! The report: `index.md` (a section per case with its table and plots, then the checks),
//! `results.json` (every run's numbers and every check) and the PNG plots.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use basintwin_runner::plot::Curve;

use super::cases::{Case, setup};
use super::checks::{Check, order};
use super::runs::Row;

/// The report as it is written: the Markdown so far, every run and every check.
#[derive(Debug, Default)]
pub(super) struct Report {
    pub md: String,
    pub rows: Vec<Row>,
    pub checks: Vec<Check>,
}

impl Report {
    /// A report that opens with what was run, in `quick` or full mode.
    pub fn new(quick: bool) -> Report {
        let md = format!(
            "# basintwin validation report\n\n`basintwin validate{}` — {} mode. Each case runs at three resolutions; errors are in the depth against the closed-form solution at the end time (L1: mean over cells; L-inf: largest). Orders are observed between successive resolutions. Wall time is this machine's ({} threads).\n\n",
            std::env::args()
                .skip(2)
                .map(|a| format!(" {a}"))
                .collect::<String>(),
            if quick { "quick" } else { "full" },
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        );
        Report {
            md,
            ..Default::default()
        }
    }

    /// Opens the section of a case with a closed form: its title and the head of its table.
    pub fn open_case(&mut self, case: Case) {
        self.md.push_str(&format!("## {}\n\n", case.title()));
        self.md.push_str("| scheme | backend | precision | cells | steps | L1 (m) | L-inf (m) | max speed (m/s) | mass error | wall (s) | cell updates/s | order (L1) |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    }

    /// The table lines of one scheme, backend and precision over a case's resolutions, with the
    /// observed orders (not for the lake at rest or a case measured by symmetry).
    pub fn table(&mut self, case: Case, series: &[Row]) {
        for (k, r) in series.iter().enumerate() {
            let ord = if k > 0
                && case != Case::LakeAtRest
                && !case.by_symmetry()
                && r.l1_m > 0.0
                && series[k - 1].l1_m > 0.0
            {
                format!("{:.2}", order(series[k - 1].l1_m, r.l1_m))
            } else {
                "".into()
            };
            self.md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {:.3e} | {:.3e} | {:.2e} | {:.1e} | {:.3} | {:.3e} | {} |\n",
                r.scheme, r.backend, r.precision, r.cells, r.steps, r.l1_m, r.linf_m, r.max_speed_m_s, r.mass_error, r.wall_s, r.cell_updates_per_s, ord
            ));
        }
    }

    /// Links the images `files` (in the report folder).
    pub fn images(&mut self, files: impl IntoIterator<Item = String>) {
        for img in files {
            self.md.push_str(&format!("![{img}]({img})\n\n"));
        }
    }

    /// Ends the report with its checks and writes `index.md` and `results.json` into `out`;
    /// prints a summary, and an error when a check failed.
    pub fn write(mut self, out: &Path, quick: bool, started: Instant) -> Result<()> {
        let checks = &self.checks;
        let failed: Vec<&Check> = checks.iter().filter(|c| !c.ok).collect();
        self.md.push_str(&format!(
            "## Checks\n\n{} of {} passed.\n\n",
            checks.len() - failed.len(),
            checks.len()
        ));
        for c in checks {
            self.md.push_str(&format!(
                "- {} {}\n",
                if c.ok { "ok" } else { "**FAILED**" },
                c.what
            ));
        }
        self.md.push_str(&format!(
            "\nTotal wall time {:.1} s. The numbers are also in `results.json`.\n",
            started.elapsed().as_secs_f64()
        ));
        std::fs::write(out.join("index.md"), &self.md)
            .with_context(|| format!("{}: cannot write index.md", out.display()))?;
        let json = serde_json::json!({ "quick": quick, "results": self.rows, "checks": checks.iter().map(|c| serde_json::json!({"check": c.what, "ok": c.ok})).collect::<Vec<_>>() });
        std::fs::write(
            out.join("results.json"),
            serde_json::to_string_pretty(&json)?,
        )
        .with_context(|| format!("{}: cannot write results.json", out.display()))?;
        println!(
            "{}: {} runs, {} of {} checks passed",
            out.join("index.md").display(),
            self.rows.len(),
            checks.len() - failed.len(),
            checks.len()
        );
        if !failed.is_empty() {
            for c in &failed {
                eprintln!("FAILED: {}", c.what);
            }
            return Err(anyhow!(
                "{} validation check(s) failed (see {})",
                failed.len(),
                out.join("index.md").display()
            ));
        }
        Ok(())
    }
}

/// The curves of a case's plots: L1 error against cells and against wall time, and the depth
/// profile at the finest grid; one of each per scheme, backend and precision.
#[derive(Debug, Default)]
pub(super) struct Curves {
    error: Vec<Curve>,
    cost: Vec<Curve>,
    profile: Vec<Curve>,
}

impl Curves {
    /// Adds the runs `series` (coarsest first) of `label`.
    pub fn add(&mut self, case: Case, label: String, series: &[Row]) {
        self.error.push(Curve {
            name: label.clone(),
            points: series.iter().map(|r| (r.cells as f64, r.l1_m)).collect(),
            dashed: false,
        });
        self.cost.push(Curve {
            name: label.clone(),
            points: series
                .iter()
                .map(|r| (r.wall_s.max(1e-6), r.l1_m))
                .collect(),
            dashed: false,
        });
        if let Some(last) = series.last()
            && case.is_1d()
        {
            self.profile.push(Curve {
                name: label,
                points: last.profile.clone(),
                dashed: false,
            });
        }
    }

    /// Draws the plots of `case` into `out`: convergence and cost (not for the lake at rest or a
    /// case measured by symmetry), and the profile against the exact one (one-dimensional
    /// cases); the files written.
    pub fn plot(self, case: Case, quick: bool, out: &Path) -> Result<Vec<String>> {
        let name = case.name();
        let mut images = Vec::new();
        if case != Case::LakeAtRest && !case.by_symmetry() {
            images.extend(plot_file(
                out,
                format!("{name}_convergence.png"),
                &format!("{}: L1 depth error against cells", case.title()),
                ("cells", "L1 depth error (m)"),
                &self.error,
                true,
            ));
            images.extend(plot_file(
                out,
                format!("{name}_cost.png"),
                &format!("{}: accuracy per cost", case.title()),
                ("wall time (s)", "L1 depth error (m)"),
                &self.cost,
                true,
            ));
        }
        if case.is_1d() {
            let s = setup(case, case.sizes(quick)[2])?;
            let mut curves = vec![Curve {
                name: "exact".into(),
                points: (0..s.grid().nx)
                    .map(|i| (s.grid().cell_centre_m(i, 0).0, s.exact[i]))
                    .collect(),
                dashed: true,
            }];
            curves.extend(self.profile);
            images.extend(plot_file(
                out,
                format!("{name}_profile.png"),
                &format!("{}: depth at the finest grid", case.title()),
                ("x (m)", "depth (m)"),
                &curves,
                false,
            ));
        }
        Ok(images)
    }
}

/// Draws `curves` into `out/file`; the file name when a plot was written (a failure is a
/// warning: the report goes on without the picture).
pub(super) fn plot_file(
    out: &Path,
    file: String,
    title: &str,
    labels: (&str, &str),
    curves: &[Curve],
    log: bool,
) -> Option<String> {
    if curves.is_empty() {
        return None;
    }
    match basintwin_runner::plot::xy(&out.join(&file), title, labels, curves, log) {
        Ok(true) => Some(file),
        Ok(false) => None,
        Err(e) => {
            eprintln!("warning: {file}: {e}");
            None
        }
    }
}
