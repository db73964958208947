//! One run of a case at one resolution, with one scheme, backend and precision (through
//! `basintwin_runner::dispatch`, which picks the backend), and its numbers.

use std::time::Instant;

use anyhow::Result;
use basintwin_core::{Backend, Real, Scheme, SolverConfig, State, Terrain};

use super::args::choice;
use super::cases::{Case, Setup, setup};

/// One run's numbers.
#[derive(Debug, Clone, serde::Serialize)]
pub(super) struct Row {
    pub case: String,
    pub scheme: String,
    pub backend: String,
    pub precision: String,
    pub cells: usize,
    pub steps: u64,
    pub l1_m: f64,
    pub linf_m: f64,
    /// Largest speed (m/s) at the end (the lake at rest's error).
    pub max_speed_m_s: f64,
    pub mass_error: f64,
    pub wall_s: f64,
    pub cell_updates_per_s: f64,
    #[serde(skip)]
    pub profile: Vec<(f64, f64)>,
}

impl Row {
    /// A run of a case without a closed form (the flume, EA Test 4): `l1_m` holds the case's own
    /// error measure (NaN when there is none).
    #[allow(clippy::too_many_arguments)]
    pub fn measured(
        case: &str,
        scheme: Scheme,
        backend: &str,
        precision: &str,
        (cells, steps): (usize, u64),
        l1_m: f64,
        mass_error: f64,
        wall_s: f64,
    ) -> Self {
        Row {
            case: case.into(),
            scheme: scheme.name().into(),
            backend: backend.into(),
            precision: precision.into(),
            cells,
            steps,
            l1_m,
            linf_m: f64::NAN,
            max_speed_m_s: f64::NAN,
            mass_error,
            wall_s,
            cell_updates_per_s: steps as f64 * cells as f64 / wall_s.max(1e-9),
            profile: Vec::new(),
        }
    }
}

/// Runs `case` at `n` cells along x with `scheme` on `backend` in `precision`.
pub(super) fn run_one(
    case: Case,
    scheme: Scheme,
    backend: &str,
    precision: &str,
    n: usize,
) -> Result<Row> {
    let s = setup(case, n)?;
    let cfg = SolverConfig::new(scheme).with_boundaries(s.model.boundaries);
    struct Case1<'a> {
        s: &'a Setup,
        case: Case,
        scheme: Scheme,
        backend: &'a str,
    }
    impl basintwin_runner::BackendJob for Case1<'_> {
        type Output = Row;
        fn initial_state<R: Real>(&self, terrain: &mut Terrain) -> State<R> {
            let mut t = self.s.model.case.terrain.clone();
            let st = match self.s.level {
                Some(level) => State::from_level(&mut t, level),
                None => self.s.model.state(),
            };
            *terrain = t;
            st
        }
        fn run<B: Backend>(self, b: B) -> Result<Row> {
            finish(b, self.s, self.case, self.scheme, self.backend)
        }
    }
    let inp = basintwin_runner::BackendInput {
        grid: s.grid(),
        terrain: &s.model.case.terrain,
        solver: &cfg,
        forcing: Some(&s.model.forcing),
        tracked: &[],
        threads: None,
        interrupt: None,
        context: String::new(),
    };
    let job = Case1 {
        s: &s,
        case,
        scheme,
        backend,
    };
    basintwin_runner::dispatch(choice(backend, precision)?, &inp, job)
}

/// Advances `b` to the end of `s` and measures its errors.
fn finish<B: Backend>(
    mut b: B,
    s: &Setup,
    case: Case,
    scheme: Scheme,
    backend: &str,
) -> Result<Row> {
    let start = Instant::now();
    b.advance_to(s.t_end)?;
    let wall_s = start.elapsed().as_secs_f64();
    let cells = s.grid().cells();
    let mut st = State::<B::Real>::dry(cells);
    b.read_state(&mut st)?;
    let (l1, linf, vmax) = errors(case, s, &st);
    let profile = if case.is_1d() {
        (0..s.grid().nx)
            .map(|i| (s.grid().cell_centre_m(i, 0).0, st.h[i].f64()))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Row {
        case: case.name().into(),
        scheme: scheme.name().into(),
        backend: backend.into(),
        precision: <B::Real as Real>::NAME.into(),
        cells,
        steps: b.steps(),
        l1_m: l1 / cells as f64,
        linf_m: linf,
        max_speed_m_s: vmax,
        mass_error: b.ledger().relative_error(),
        wall_s,
        cell_updates_per_s: if wall_s > 0.0 {
            b.steps() as f64 * cells as f64 / wall_s
        } else {
            0.0
        },
        profile,
    })
}

/// The summed and the largest depth error of `st` (against the exact depth, or against its own
/// transposed and mirrored images for a case measured by symmetry), and the largest speed where
/// deeper than 1 mm.
fn errors<R: Real>(case: Case, s: &Setup, st: &State<R>) -> (f64, f64, f64) {
    let (mut l1, mut linf, mut vmax) = (0.0f64, 0.0f64, 0.0f64);
    let nx = s.grid().nx;
    for k in 0..s.grid().cells() {
        let h = st.h[k].f64();
        let e = if case.by_symmetry() {
            // Differences to the transposed and the mirrored images of the field.
            let (i, j) = (k % nx, k / nx);
            let t = st.h[i * nx + j].f64();
            let m = st.h[j * nx + (nx - 1 - i)].f64();
            (h - t).abs().max((h - m).abs())
        } else {
            (h - s.exact[k]).abs()
        };
        l1 += e;
        linf = linf.max(e);
        if h > 1e-3 {
            let v = (st.qx[k].f64().powi(2) + st.qy[k].f64().powi(2)).sqrt() / h;
            vmax = vmax.max(v);
        }
    }
    (l1, linf, vmax)
}
