//! `[ensemble]` and its `[[ensemble.perturb]]` entries: how many members, the seed they are
//! drawn from, whether member 0 is the unperturbed control, and what each member perturbs
//! (rain, inflows, sources, roughness, the initial level) with which distribution.

use basintwin_core::ensemble::Distribution;
use serde::Deserialize;
use toml::Spanned;

use super::boundary::SegmentSpec;
use super::diagnostics::Diagnostics;
use super::source::Source;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    members: Option<Spanned<i64>>,
    seed: Option<Spanned<i64>>,
    control: Option<bool>,
    #[serde(default)]
    perturb: Vec<Spanned<PerturbRaw>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PerturbRaw {
    what: Spanned<String>,
    boundary: Option<Spanned<String>>,
    source: Option<Spanned<String>>,
    distribution: Spanned<String>,
    sigma: Option<Spanned<f64>>,
    sd: Option<Spanned<f64>>,
    low: Option<Spanned<f64>>,
    high: Option<Spanned<f64>>,
    correlation_time_s: Option<Spanned<f64>>,
    correlation_length_m: Option<Spanned<f64>>,
}

/// The most members a run may have.
pub const MAX_MEMBERS: usize = 10_000;

/// An ensemble: `members` runs, member `k` perturbed by draws from the streams of `seed`.
#[derive(Debug, Clone, PartialEq)]
pub struct EnsembleSpec {
    pub members: usize,
    pub seed: u64,
    /// Member 0 is the unperturbed (deterministic) run.
    pub control: bool,
    pub perturbations: Vec<Perturbation>,
    /// Line of `[ensemble]`, for messages.
    pub line: usize,
}

/// What a perturbation changes.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// Uniform and gridded rain intensities.
    Rain,
    /// The discharge of every inflow boundary, or of the one named.
    Inflow(Option<String>),
    /// The discharge of every point source, or of the one named.
    Source(Option<String>),
    /// Manning's n of every cell.
    Manning,
    /// The initial water level (an offset) or depth (a factor) of every wet cell.
    InitialLevel,
}

impl Target {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Rain => "rain",
            Self::Inflow(_) => "inflow",
            Self::Source(_) => "source",
            Self::Manning => "manning",
            Self::InitialLevel => "initial_level",
        }
    }
}

/// How a member's perturbation varies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Variation {
    /// One draw per member for the whole run.
    Fixed,
    /// A factor (or offset) wandering in time as AR(1) with this correlation time.
    InTime { correlation_time_s: f64 },
    /// A spatially correlated field (gridded rain) with this correlation length.
    InSpace { correlation_length_m: f64 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Perturbation {
    pub target: Target,
    pub distribution: Distribution,
    pub variation: Variation,
    pub line: usize,
}

/// What the perturbations may refer to: the scenario's forcing, already validated.
pub(super) struct Forcings<'a> {
    pub rain: bool,
    pub rain_grids: bool,
    pub segments: &'a [SegmentSpec],
    pub sources: &'a [Source],
}

pub(super) fn validate(
    raw: Option<&Spanned<Raw>>,
    forcings: &Forcings<'_>,
    dx: &mut Diagnostics,
) -> Option<EnsembleSpec> {
    let table = raw?;
    let r = table.get_ref();
    let members = match &r.members {
        None => {
            dx.problem(
                table,
                "ensemble.members",
                "missing: expected the number of members (>= 1)",
            );
            1
        }
        Some(m) => {
            let n = *m.get_ref();
            if n < 1 || n as usize > MAX_MEMBERS {
                dx.problem(
                    m,
                    "ensemble.members",
                    format!("{n}: expected a whole number from 1 to {MAX_MEMBERS}"),
                );
            }
            n.clamp(1, MAX_MEMBERS as i64) as usize
        }
    };
    let seed = match &r.seed {
        None => 0,
        Some(s) if *s.get_ref() < 0 => {
            dx.problem(
                s,
                "ensemble.seed",
                format!("{}: expected a whole number >= 0", s.get_ref()),
            );
            0
        }
        Some(s) => *s.get_ref() as u64,
    };
    let perturbations = r
        .perturb
        .iter()
        .filter_map(|p| perturbation(p, forcings, dx))
        .collect();
    Some(EnsembleSpec {
        members,
        seed,
        control: r.control.unwrap_or(true),
        perturbations,
        line: dx.line(table),
    })
}

fn perturbation(
    p: &Spanned<PerturbRaw>,
    forcings: &Forcings<'_>,
    dx: &mut Diagnostics,
) -> Option<Perturbation> {
    let r = p.get_ref();
    let target = target(r, forcings, dx);
    let distribution = distribution(p, dx);
    let variation = variation(r, dx);
    let (target, distribution, variation) = (target?, distribution?, variation?);
    let line = dx.line(p);
    let allowed = allowed(&target, distribution, variation, forcings);
    if let Err(m) = allowed {
        dx.problem_on_line(line, "ensemble.perturb", m);
        return None;
    }
    Some(Perturbation {
        target,
        distribution,
        variation,
        line,
    })
}

/// `what`, and the boundary or source it names; each must exist in the scenario.
fn target(r: &PerturbRaw, forcings: &Forcings<'_>, dx: &mut Diagnostics) -> Option<Target> {
    let what = r.what.get_ref().as_str();
    if let (Some(b), false) = (&r.boundary, what == "inflow") {
        dx.problem(
            b,
            "ensemble.perturb.boundary",
            "only with what = \"inflow\"",
        );
    }
    if let (Some(s), false) = (&r.source, what == "source") {
        dx.problem(s, "ensemble.perturb.source", "only with what = \"source\"");
    }
    let named = |n: &Option<Spanned<String>>| n.as_ref().map(|s| s.get_ref().clone());
    let t = match what {
        "rain" => Target::Rain,
        "inflow" => Target::Inflow(named(&r.boundary)),
        "source" => Target::Source(named(&r.source)),
        "manning" => Target::Manning,
        "initial_level" => Target::InitialLevel,
        other => {
            dx.problem(
                &r.what,
                "ensemble.perturb.what",
                format!(
                    "unknown '{other}': expected rain, inflow, source, manning or initial_level"
                ),
            );
            return None;
        }
    };
    exists(&t, r, forcings, dx).then_some(t)
}

/// Whether what a perturbation names is in the scenario (a problem when not).
fn exists(t: &Target, r: &PerturbRaw, f: &Forcings<'_>, dx: &mut Diagnostics) -> bool {
    let inflows: Vec<&str> = f
        .segments
        .iter()
        .filter(|s| s.inflow)
        .map(|s| s.name.as_str())
        .collect();
    let sources: Vec<&str> = f.sources.iter().map(|s| s.name.as_str()).collect();
    let (key, at, problem) = match t {
        Target::Rain if !f.rain => (
            "ensemble.perturb.what",
            &r.what,
            "rain: the scenario has no [rain] to perturb".to_string(),
        ),
        Target::Inflow(None) if inflows.is_empty() => (
            "ensemble.perturb.what",
            &r.what,
            "inflow: the scenario has no inflow boundary to perturb".to_string(),
        ),
        Target::Inflow(Some(name)) if !inflows.contains(&name.as_str()) => (
            "ensemble.perturb.boundary",
            r.boundary.as_ref().unwrap_or(&r.what),
            format!("no inflow boundary '{name}' in the scenario; its inflows are {inflows:?}"),
        ),
        Target::Source(None) if sources.is_empty() => (
            "ensemble.perturb.what",
            &r.what,
            "source: the scenario has no [[source]] to perturb".to_string(),
        ),
        Target::Source(Some(name)) if !sources.contains(&name.as_str()) => (
            "ensemble.perturb.source",
            r.source.as_ref().unwrap_or(&r.what),
            format!("no source '{name}' in the scenario; its sources are {sources:?}"),
        ),
        _ => return true,
    };
    dx.problem(at, key, problem);
    false
}

/// `distribution` and its parameters (only its own).
fn distribution(p: &Spanned<PerturbRaw>, dx: &mut Diagnostics) -> Option<Distribution> {
    let r = p.get_ref();
    let name = r.distribution.get_ref().as_str();
    let key = |k: &str| format!("ensemble.perturb.{k}");
    let (wanted, d): (&[&str], _) = match name {
        "lognormal" => (
            &["sigma"],
            r.sigma.as_ref().map(|s| Distribution::LogNormal {
                sigma: *s.get_ref(),
            }),
        ),
        "normal" => (
            &["sd"],
            r.sd.as_ref()
                .map(|s| Distribution::Normal { sd: *s.get_ref() }),
        ),
        "uniform" => (
            &["low", "high"],
            r.low
                .as_ref()
                .zip(r.high.as_ref())
                .map(|(l, h)| Distribution::Uniform {
                    low: *l.get_ref(),
                    high: *h.get_ref(),
                }),
        ),
        other => {
            dx.problem(
                &r.distribution,
                &key("distribution"),
                format!("unknown '{other}': expected lognormal (sigma), normal (sd) or uniform (low, high)"),
            );
            return None;
        }
    };
    let given = [
        ("sigma", &r.sigma),
        ("sd", &r.sd),
        ("low", &r.low),
        ("high", &r.high),
    ];
    for (k, v) in given {
        if let (Some(v), false) = (v, wanted.contains(&k)) {
            dx.problem(
                v,
                &key(k),
                format!(
                    "not a parameter of {name}: expected {}",
                    wanted.join(" and ")
                ),
            );
        }
    }
    let Some(d) = d else {
        dx.problem(
            p,
            &key("distribution"),
            format!("{name} needs {}", wanted.join(" and ")),
        );
        return None;
    };
    if let Err(m) = d.validate() {
        // On the line of the distribution's first parameter.
        let (k, at) = given
            .iter()
            .find_map(|(k, v)| v.as_ref().filter(|_| wanted.contains(k)).map(|v| (*k, v)))
            .map_or(("distribution", None), |(k, v)| (k, Some(v)));
        match at {
            Some(v) => dx.problem(v, &key(k), m),
            None => dx.problem(&r.distribution, &key(k), m),
        }
        return None;
    }
    Some(d)
}

/// Fixed, or varying in time or in space (not both).
fn variation(r: &PerturbRaw, dx: &mut Diagnostics) -> Option<Variation> {
    match (&r.correlation_time_s, &r.correlation_length_m) {
        (None, None) => Some(Variation::Fixed),
        (Some(t), None) => {
            let v = dx.positive(
                t,
                "ensemble.perturb.correlation_time_s",
                "a positive time in seconds",
            );
            (v.is_finite() && v > 0.0).then_some(Variation::InTime {
                correlation_time_s: v,
            })
        }
        (None, Some(l)) => {
            let v = dx.positive(
                l,
                "ensemble.perturb.correlation_length_m",
                "a positive length in metres",
            );
            (v.is_finite() && v > 0.0).then_some(Variation::InSpace {
                correlation_length_m: v,
            })
        }
        (Some(_), Some(l)) => {
            dx.problem(
                l,
                "ensemble.perturb.correlation_length_m",
                "give correlation_time_s or correlation_length_m, not both",
            );
            None
        }
    }
}

/// The combinations that mean something.
fn allowed(t: &Target, d: Distribution, v: Variation, f: &Forcings<'_>) -> Result<(), String> {
    let what = t.name();
    match v {
        Variation::InTime { .. } if matches!(t, Target::Manning | Target::InitialLevel) => Err(
            format!("{what} does not vary in time: remove correlation_time_s"),
        ),
        Variation::InSpace { .. } if *t != Target::Rain || !f.rain_grids => Err(format!(
            "correlation_length_m perturbs gridded rain ([rain] grids) only; {}",
            if *t == Target::Rain {
                "this scenario's rain is uniform".to_string()
            } else {
                format!("not {what}")
            }
        )),
        Variation::InTime { .. } | Variation::InSpace { .. }
            if matches!(d, Distribution::Uniform { .. }) =>
        {
            Err(
                "uniform draws one factor per member: use lognormal or normal with a correlation"
                    .into(),
            )
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::diagnostics::Problem;
    use super::super::testing::check;
    use super::*;
    use basintwin_core::Series;

    fn inflow(name: &str) -> SegmentSpec {
        SegmentSpec {
            name: name.into(),
            inflow: true,
            series: Series::constant(1.0),
            side: Some(basintwin_core::Side::West),
            line: None,
            line_no: 1,
        }
    }

    fn ensemble(text: &str) -> (Option<EnsembleSpec>, Vec<Problem>) {
        let segments = [inflow("river")];
        let sources = [Source {
            name: "pump".into(),
            x: 0.0,
            y: 0.0,
            discharge_m3_s: Series::constant(1.0),
            line: 1,
        }];
        let f = Forcings {
            rain: true,
            rain_grids: false,
            segments: &segments,
            sources: &sources,
        };
        check(text, "ensemble", |r: &Spanned<Raw>, dx| {
            validate(Some(r), &f, dx)
        })
    }

    #[test]
    fn every_target_and_distribution() {
        let (e, p) = ensemble(
            "[ensemble]\nmembers = 20\nseed = 7\n\n[[ensemble.perturb]]\nwhat = \"rain\"\ndistribution = \"lognormal\"\nsigma = 0.3\ncorrelation_time_s = 3600\n\n[[ensemble.perturb]]\nwhat = \"inflow\"\nboundary = \"river\"\ndistribution = \"uniform\"\nlow = 0.8\nhigh = 1.2\n\n[[ensemble.perturb]]\nwhat = \"initial_level\"\ndistribution = \"normal\"\nsd = 0.1\n\n[[ensemble.perturb]]\nwhat = \"manning\"\ndistribution = \"lognormal\"\nsigma = 0.1\n\n[[ensemble.perturb]]\nwhat = \"source\"\ndistribution = \"normal\"\nsd = 0.5\n",
        );
        assert!(p.is_empty(), "{p:?}");
        let e = e.unwrap();
        assert_eq!((e.members, e.seed, e.control), (20, 7, true));
        let got: Vec<_> = e
            .perturbations
            .iter()
            .map(|p| (p.target.clone(), p.distribution, p.variation, p.line))
            .collect();
        assert_eq!(
            got,
            [
                (
                    Target::Rain,
                    Distribution::LogNormal { sigma: 0.3 },
                    Variation::InTime {
                        correlation_time_s: 3600.0
                    },
                    5
                ),
                (
                    Target::Inflow(Some("river".into())),
                    Distribution::Uniform {
                        low: 0.8,
                        high: 1.2
                    },
                    Variation::Fixed,
                    11
                ),
                (
                    Target::InitialLevel,
                    Distribution::Normal { sd: 0.1 },
                    Variation::Fixed,
                    18
                ),
                (
                    Target::Manning,
                    Distribution::LogNormal { sigma: 0.1 },
                    Variation::Fixed,
                    23
                ),
                (
                    Target::Source(None),
                    Distribution::Normal { sd: 0.5 },
                    Variation::Fixed,
                    28
                ),
            ]
        );
    }

    #[test]
    fn bad_input_is_named_with_its_line() {
        let cases: [(&str, Problem); 8] = [
            (
                "[ensemble]\nmembers = 0\n",
                Problem::new(
                    2,
                    "ensemble.members",
                    "0: expected a whole number from 1 to 10000",
                ),
            ),
            (
                "[ensemble]\nseed = 1\n",
                Problem::new(
                    1,
                    "ensemble.members",
                    "missing: expected the number of members (>= 1)",
                ),
            ),
            (
                "[ensemble]\nmembers = 5\n[[ensemble.perturb]]\nwhat = \"rain\"\ndistribution = \"lognormal\"\nsigma = -0.2\n",
                Problem::new(
                    6,
                    "ensemble.perturb.sigma",
                    "sigma = -0.2: expected a finite value >= 0",
                ),
            ),
            (
                "[ensemble]\nmembers = 5\n[[ensemble.perturb]]\nwhat = \"wind\"\ndistribution = \"normal\"\nsd = 1\n",
                Problem::new(
                    4,
                    "ensemble.perturb.what",
                    "unknown 'wind': expected rain, inflow, source, manning or initial_level",
                ),
            ),
            (
                "[ensemble]\nmembers = 5\n[[ensemble.perturb]]\nwhat = \"inflow\"\nboundary = \"creek\"\ndistribution = \"normal\"\nsd = 1\n",
                Problem::new(
                    5,
                    "ensemble.perturb.boundary",
                    "no inflow boundary 'creek' in the scenario; its inflows are [\"river\"]",
                ),
            ),
            (
                "[ensemble]\nmembers = 5\n[[ensemble.perturb]]\nwhat = \"rain\"\ndistribution = \"normal\"\nsigma = 1\n",
                Problem::new(
                    6,
                    "ensemble.perturb.sigma",
                    "not a parameter of normal: expected sd",
                ),
            ),
            (
                "[ensemble]\nmembers = 5\n[[ensemble.perturb]]\nwhat = \"manning\"\ndistribution = \"lognormal\"\nsigma = 0.1\ncorrelation_time_s = 60\n",
                Problem::new(
                    3,
                    "ensemble.perturb",
                    "manning does not vary in time: remove correlation_time_s",
                ),
            ),
            (
                "[ensemble]\nmembers = 5\n[[ensemble.perturb]]\nwhat = \"rain\"\ndistribution = \"lognormal\"\nsigma = 0.1\ncorrelation_length_m = 500\n",
                Problem::new(
                    3,
                    "ensemble.perturb",
                    "correlation_length_m perturbs gridded rain ([rain] grids) only; this scenario's rain is uniform",
                ),
            ),
        ];
        for (text, want) in cases {
            let (_, p) = ensemble(text);
            assert_eq!(p.first(), Some(&want), "{text}\n{p:?}");
        }
    }
}
