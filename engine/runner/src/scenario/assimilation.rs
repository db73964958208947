//! `[assimilation]`: where gauge observations come from and how the twin pulls its members
//! towards them (method, observation error, cycle length, inflation, forcing multipliers to
//! estimate).

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::diagnostics::Diagnostics;
use super::paths;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    observations: Spanned<String>,
    method: Option<Spanned<String>>,
    localization_m: Option<Spanned<f64>>,
    obs_error_m: Spanned<f64>,
    cycle_s: Spanned<f64>,
    inflation: Option<Spanned<f64>>,
    #[serde(default)]
    estimate: Vec<Spanned<String>>,
}

/// How the analysis is made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// Ensemble transform Kalman filter (every observation updates every cell).
    Etkf,
    /// Local ETKF: each cell sees the observations within `localization_m`.
    Letkf { localization_m: f64 },
    /// One deterministic run nudged by optimal interpolation.
    Oi,
}

/// A forcing multiplier appended to the state and estimated by the analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Estimated {
    Rain,
    Inflow,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AssimilationSpec {
    /// A CSV (`time_s`, `<gauge>_level_m`, ...) or a folder of them.
    pub observations: PathBuf,
    pub method: Method,
    pub obs_error_m: f64,
    pub cycle_s: f64,
    /// Multiplicative inflation of the members' spread (>= 1).
    pub inflation: f64,
    pub estimate: Vec<Estimated>,
    pub line: usize,
}

/// What the table needs to know of the rest of the scenario.
pub(super) struct Context {
    pub ensemble_members: Option<usize>,
    pub rain: bool,
    pub inflow: bool,
    pub duration_s: f64,
}

pub(super) fn validate(
    raw: Option<&Spanned<Raw>>,
    cx: &Context,
    dx: &mut Diagnostics,
) -> Option<AssimilationSpec> {
    let table = raw?;
    let r = table.get_ref();
    let observations = paths::resolve(dx, r.observations.get_ref());
    if !observations.exists() {
        dx.problem(
            &r.observations,
            "assimilation.observations",
            format!(
                "{} does not exist: expected a CSV of observed levels (time_s, <gauge>_level_m, ...) or a folder of them",
                observations.display()
            ),
        );
    }
    let method = method(r, cx, dx);
    let obs_error_m = dx.positive(
        &r.obs_error_m,
        "assimilation.obs_error_m",
        "a positive standard deviation in metres",
    );
    let cycle_s = dx.positive(
        &r.cycle_s,
        "assimilation.cycle_s",
        "a positive time in seconds",
    );
    if cycle_s.is_finite() && cycle_s > cx.duration_s {
        dx.problem(
            &r.cycle_s,
            "assimilation.cycle_s",
            format!(
                "{cycle_s} s: expected at most the run's duration ({} s)",
                cx.duration_s
            ),
        );
    }
    let inflation = match &r.inflation {
        None => 1.0,
        Some(i) => {
            let v = *i.get_ref();
            if !(v.is_finite() && v >= 1.0) {
                dx.problem(
                    i,
                    "assimilation.inflation",
                    format!("{v}: expected a factor >= 1 (1: none)"),
                );
            }
            v
        }
    };
    let estimate = r
        .estimate
        .iter()
        .filter_map(|e| estimated(e, cx, dx))
        .collect();
    Some(AssimilationSpec {
        observations,
        method: method.unwrap_or(Method::Etkf),
        obs_error_m,
        cycle_s,
        inflation,
        estimate,
        line: dx.line(table),
    })
}

/// `method` (default etkf) with `localization_m` for letkf only, and the ensemble it needs.
fn method(r: &Raw, cx: &Context, dx: &mut Diagnostics) -> Option<Method> {
    let name = r.method.as_ref().map_or("etkf", |m| m.get_ref().as_str());
    let at = r.method.as_ref().unwrap_or(&r.observations);
    let m = match (name, &r.localization_m) {
        ("etkf", None) => Method::Etkf,
        ("oi", None) => Method::Oi,
        ("letkf", Some(l)) => {
            let v = dx.positive(
                l,
                "assimilation.localization_m",
                "a positive length in metres",
            );
            Method::Letkf { localization_m: v }
        }
        ("letkf", None) => {
            dx.problem(
                at,
                "assimilation.localization_m",
                "missing: letkf needs the localization length in metres",
            );
            return None;
        }
        ("etkf" | "oi", Some(l)) => {
            dx.problem(
                l,
                "assimilation.localization_m",
                format!("only with method = \"letkf\", not {name}"),
            );
            return None;
        }
        (other, _) => {
            dx.problem(
                at,
                "assimilation.method",
                format!("unknown '{other}': expected etkf, letkf or oi"),
            );
            return None;
        }
    };
    match (m, cx.ensemble_members) {
        (Method::Oi, Some(_)) => dx.problem(
            at,
            "assimilation.method",
            "oi nudges one deterministic run: remove [ensemble], or use etkf or letkf",
        ),
        (Method::Etkf | Method::Letkf { .. }, None) => dx.problem(
            at,
            "assimilation.method",
            format!("{name} analyses an ensemble: add [ensemble] with members >= 2 (or use oi)"),
        ),
        (Method::Etkf | Method::Letkf { .. }, Some(n)) if n < 2 => dx.problem(
            at,
            "assimilation.method",
            format!("{name} needs at least 2 members; ensemble.members = {n}"),
        ),
        _ => {}
    }
    Some(m)
}

/// One entry of `estimate`: a forcing the scenario has.
fn estimated(e: &Spanned<String>, cx: &Context, dx: &mut Diagnostics) -> Option<Estimated> {
    let key = "assimilation.estimate";
    let (what, present) = match e.get_ref().as_str() {
        "rain" => (Estimated::Rain, cx.rain),
        "inflow" => (Estimated::Inflow, cx.inflow),
        other => {
            dx.problem(
                e,
                key,
                format!("unknown '{other}': expected rain or inflow"),
            );
            return None;
        }
    };
    if !present {
        let name = e.get_ref();
        dx.problem(
            e,
            key,
            format!("{name}: the scenario has no {name} to estimate a multiplier of"),
        );
        return None;
    }
    Some(what)
}

#[cfg(test)]
mod tests {
    use super::super::diagnostics::Problem;
    use super::super::testing::{check_in, scratch_dir};
    use super::*;

    const ENSEMBLE: Context = Context {
        ensemble_members: Some(20),
        rain: true,
        inflow: false,
        duration_s: 7200.0,
    };

    fn assimilation(text: &str, cx: &Context) -> (Option<AssimilationSpec>, Vec<Problem>) {
        let dir = scratch_dir("assimilation");
        std::fs::write(dir.join("obs.csv"), "time_s,bridge_level_m\n").unwrap();
        check_in(&dir, text, "assimilation", |r: &Spanned<Raw>, dx| {
            validate(Some(r), cx, dx)
        })
    }

    #[test]
    fn every_key() {
        let (a, p) = assimilation(
            "[assimilation]\nobservations = \"obs.csv\"\nmethod = \"letkf\"\nlocalization_m = 3000\nobs_error_m = 0.05\ncycle_s = 1800\ninflation = 1.1\nestimate = [\"rain\"]\n",
            &ENSEMBLE,
        );
        assert!(p.is_empty(), "{p:?}");
        let a = a.unwrap();
        assert!(a.observations.ends_with("obs.csv"));
        assert_eq!(
            a.method,
            Method::Letkf {
                localization_m: 3000.0
            }
        );
        assert_eq!((a.obs_error_m, a.cycle_s, a.inflation), (0.05, 1800.0, 1.1));
        assert_eq!((a.estimate.as_slice(), a.line), (&[Estimated::Rain][..], 1));
    }

    #[test]
    fn bad_input_is_named_with_its_line() {
        let base =
            "[assimilation]\nobservations = \"obs.csv\"\nobs_error_m = 0.05\ncycle_s = 1800\n";
        let cases: [(String, &Context, Problem); 7] = [
            (
                base.replace("obs.csv", "none.csv"),
                &ENSEMBLE,
                // The message names the resolved path (checked below).
                Problem::new(2, "assimilation.observations", ""),
            ),
            (
                base.replace("0.05", "0"),
                &ENSEMBLE,
                Problem::new(
                    3,
                    "assimilation.obs_error_m",
                    "0: expected a positive standard deviation in metres",
                ),
            ),
            (
                format!("{base}method = \"enkf\"\n"),
                &ENSEMBLE,
                Problem::new(
                    5,
                    "assimilation.method",
                    "unknown 'enkf': expected etkf, letkf or oi",
                ),
            ),
            (
                format!("{base}method = \"letkf\"\n"),
                &ENSEMBLE,
                Problem::new(
                    5,
                    "assimilation.localization_m",
                    "missing: letkf needs the localization length in metres",
                ),
            ),
            (
                format!("{base}inflation = 0.9\n"),
                &ENSEMBLE,
                Problem::new(
                    5,
                    "assimilation.inflation",
                    "0.9: expected a factor >= 1 (1: none)",
                ),
            ),
            (
                format!("{base}estimate = [\"inflow\"]\n"),
                &ENSEMBLE,
                Problem::new(
                    5,
                    "assimilation.estimate",
                    "inflow: the scenario has no inflow to estimate a multiplier of",
                ),
            ),
            (
                base.to_string(),
                &Context {
                    ensemble_members: None,
                    ..ENSEMBLE
                },
                Problem::new(
                    2,
                    "assimilation.method",
                    "etkf analyses an ensemble: add [ensemble] with members >= 2 (or use oi)",
                ),
            ),
        ];
        for (text, cx, want) in cases {
            let (_, p) = assimilation(&text, cx);
            if want.key == "assimilation.observations" {
                assert_eq!(
                    (p[0].line, p[0].key.as_str()),
                    (2, "assimilation.observations"),
                    "{p:?}"
                );
                assert!(p[0].message.contains("none.csv does not exist"), "{p:?}");
                continue;
            }
            assert_eq!(p.first(), Some(&want), "{text}\n{p:?}");
        }
    }
}
