//! `[solver]`: the scheme, where it runs and in which precision, and its parameters.

use basintwin_core::{Precision, Scheme, SolverConfig};
use serde::Deserialize;
use toml::Spanned;

use super::diagnostics::Diagnostics;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    scheme: Option<Spanned<String>>,
    backend: Option<Spanned<String>>,
    precision: Option<Spanned<String>>,
    courant: Option<Spanned<f64>>,
    theta: Option<Spanned<f64>>,
    dry_depth_m: Option<Spanned<f64>>,
    arrival_depth_m: Option<Spanned<f64>>,
    max_dt_s: Option<Spanned<f64>>,
}

#[derive(Debug, Clone)]
pub(super) struct Solver {
    /// With walls all round: the boundaries come from `[[boundary]]`.
    pub config: SolverConfig,
    pub precision: Precision,
    /// `cpu` or `gpu`.
    pub backend: String,
}

/// Whether `backend` (`cpu` or `gpu`) computes in `precision`; the error says what to change.
/// `check` and `run` (whose `--backend` overrides the file's) both ask this.
pub fn backend_supports(backend: &str, precision: Precision) -> Result<(), String> {
    crate::dispatch::BackendChoice::new(backend, precision).map(|_| ())
}

/// Sets one parameter of a configuration.
type Setter = fn(&mut SolverConfig, f64);

/// fv1 in f32 on the CPU with the scheme's defaults when the table is absent.
pub(super) fn validate(raw: Option<&Raw>, dx: &mut Diagnostics) -> Solver {
    let mut out = Solver {
        config: SolverConfig::new(Scheme::Fv1),
        precision: Precision::F32,
        backend: "cpu".into(),
    };
    let Some(s) = raw else { return out };
    if let Some(v) = &s.scheme {
        match v.get_ref().parse::<Scheme>() {
            Ok(x) => out.config = SolverConfig::new(x),
            Err(e) => dx.problem(v, "solver.scheme", e),
        }
    }
    if let Some(v) = &s.precision {
        match v.get_ref().parse::<Precision>() {
            Ok(x) => out.precision = x,
            Err(e) => dx.problem(v, "solver.precision", e),
        }
    }
    if let Some(v) = &s.backend {
        match v.get_ref().as_str() {
            "cpu" | "gpu" => out.backend = v.get_ref().clone(),
            other => dx.problem(
                v,
                "solver.backend",
                format!("unknown backend '{other}': expected cpu or gpu"),
            ),
        }
    }
    let params: [(&str, &Option<Spanned<f64>>, Setter); 5] = [
        ("solver.courant", &s.courant, |c, x| c.courant = Some(x)),
        ("solver.theta", &s.theta, |c, x| c.theta = x),
        ("solver.dry_depth_m", &s.dry_depth_m, |c, x| {
            c.dry_depth_m = x
        }),
        ("solver.arrival_depth_m", &s.arrival_depth_m, |c, x| {
            c.arrival_depth_m = x;
        }),
        ("solver.max_dt_s", &s.max_dt_s, |c, x| c.max_dt_s = x),
    ];
    for (key, v, set) in params {
        let Some(v) = v else { continue };
        set(&mut out.config, *v.get_ref());
        // Each parameter is checked alone, so that its problem names it.
        let mut trial = SolverConfig::new(out.config.scheme);
        set(&mut trial, *v.get_ref());
        if let Err(e) = trial.validate() {
            dx.problem(v, key, e.to_string());
        }
    }
    if let (Some(p), Err(e)) = (&s.precision, backend_supports(&out.backend, out.precision)) {
        dx.problem(p, "", e);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::diagnostics::Problem;
    use super::super::testing::check;
    use super::*;

    fn solver(text: &str) -> (Solver, Vec<Problem>) {
        check(text, "solver", |r: &Raw, dx| validate(Some(r), dx))
    }

    #[test]
    fn defaults_without_the_table() {
        let mut dx = Diagnostics::new("", Default::default());
        let s = validate(None, &mut dx);
        assert_eq!(s.config.scheme, Scheme::Fv1);
        assert_eq!((s.precision, s.backend.as_str()), (Precision::F32, "cpu"));
    }

    #[test]
    fn scheme_precision_backend_and_parameters() {
        let (s, p) = solver(
            "[solver]\nscheme = \"inertial\"\nprecision = \"f64\"\ncourant = 0.7\ntheta = 0.8\ndry_depth_m = 1e-4\narrival_depth_m = 0.05\nmax_dt_s = 10\n",
        );
        assert!(p.is_empty(), "{p:?}");
        let c = &s.config;
        assert_eq!(c.scheme, Scheme::Inertial);
        assert_eq!(s.precision, Precision::F64);
        assert_eq!(c.courant, Some(0.7));
        assert_eq!(
            (c.theta, c.dry_depth_m, c.arrival_depth_m, c.max_dt_s),
            (0.8, 1e-4, 0.05, 10.0)
        );
    }

    #[test]
    fn unknown_names_are_refused() {
        let (_, p) = solver("[solver]\nscheme = \"roe\"\nprecision = \"f16\"\nbackend = \"tpu\"\n");
        assert_eq!(
            p,
            [
                Problem::new(
                    2,
                    "solver.scheme",
                    "unknown scheme 'roe': expected inertial, fv1 or fv2"
                ),
                Problem::new(
                    3,
                    "solver.precision",
                    "unknown precision 'f16': expected f32 or f64"
                ),
                Problem::new(
                    4,
                    "solver.backend",
                    "unknown backend 'tpu': expected cpu or gpu"
                ),
            ]
        );
    }

    #[test]
    fn each_parameter_is_checked_against_the_scheme() {
        // 0.7 is fine for the inertial scheme, too large for fv1.
        let (_, p) = solver("[solver]\nscheme = \"fv1\"\ncourant = 0.7\ntheta = 2.0\n");
        assert_eq!(
            p,
            [
                Problem::new(
                    3,
                    "solver.courant",
                    "invalid courant: 0.7 (expected a Courant number in (0, 0.5] for fv1 and fv2)"
                ),
                Problem::new(
                    4,
                    "solver.theta",
                    "invalid theta: 2 (expected a weighting in [0, 1] (0.7 recommended, 1 = Bates et al. 2010))"
                ),
            ]
        );
        let (_, p) = solver("[solver]\ndry_depth_m = 0.5\narrival_depth_m = -1\nmax_dt_s = 0\n");
        let keys: Vec<_> = p.iter().map(|p| (p.line, p.key.as_str())).collect();
        assert_eq!(
            keys,
            [
                (2, "solver.dry_depth_m"),
                (3, "solver.arrival_depth_m"),
                (4, "solver.max_dt_s")
            ]
        );
    }

    #[test]
    fn the_gpu_does_not_compute_in_f64() {
        let msg = "solver.precision = \"f64\" with the GPU backend: the GPU computes in f32; use precision = \"f32\" or --backend cpu";
        let (_, p) = solver("[solver]\nbackend = \"gpu\"\nprecision = \"f64\"\n");
        assert_eq!(p, [Problem::new(3, "", msg)]);
        assert_eq!(backend_supports("gpu", Precision::F64), Err(msg.into()));
        assert_eq!(backend_supports("gpu", Precision::F32), Ok(()));
        assert_eq!(backend_supports("cpu", Precision::F64), Ok(()));
        let (_, p) = solver("[solver]\nbackend = \"gpu\"\nprecision = \"f32\"\n");
        assert!(p.is_empty(), "{p:?}");
    }
}
