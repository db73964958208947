//! `basintwin validate`: the built-in validation cases, each at three resolutions, against
//! their closed-form solutions, with a report (`index.md`, PNG plots) giving the two numbers a
//! researcher picks a model by: how wrong it is and how long it takes.
//!
//! Cases and references (the formulas are in `basintwin_core::analytic`):
//! - `lake_at_rest`: a lake over a bed with an emerged bump and a dry island — must stay at rest
//!   to round-off (well-balancing; Audusse et al. 2004).
//! - `ritter`: dam break on a dry bed (Ritter 1892); `stoker`: on a wet bed (Stoker 1957);
//!   `dam_break_step`: over a step up in the bed (Alcrudo & Benkhaldoun 2001) — discharge and
//!   energy conserved across the step.
//! - `thacker`: Thacker's (1981) planar surface in a paraboloid, after one period (moving
//!   shorelines; SWASHES, Delestre et al. 2013); `thacker_radial`: his radially symmetric
//!   breathing paraboloid, after one period.
//! - `macdonald`: MacDonald et al.'s (1997) steady subcritical flow with Manning friction over
//!   the bed that makes a given depth profile steady, inflow and stage boundaries (SWASHES
//!   3.1.1), after 1500 s; `macdonald_rain`: the same with rain growing the discharge along
//!   the channel (SWASHES 3.1.5 in spirit: q = 1 + 5e-4 x m^2/s), after 2500 s;
//!   `macdonald_jump`: the short channel with a transcritical flow and a standing hydraulic
//!   jump (SWASHES 3.1.4), after 600 s.
//! - `rain_plane`: rain (30 mm/h) on a dry 1000 m plane of 1 % slope, n = 0.03, draining at
//!   normal depth, after 1800 s (rising limb): the kinematic-wave solution of overland flow
//!   (Wooding 1965; `analytic::KinematicPlane`); the cells drop 4–15 times the sheet's depth.
//! - `soares_frazao`: the Soares-Frazão & Zech (2007) flume against its measured gauges;
//!   `ea_test4`: the UK EA benchmark Test 4 (Néelz & Pender 2013), our arrival times and peak
//!   depths at its output points per resolution (its peer results are not available).
//! - `radial_dam_break`: a cylinder of water released on a flat bed — no closed form, but the
//!   solution keeps the square grid's symmetries: the "error" is the largest difference between
//!   the depth and its transposed and mirrored images.
//!
//! Each row: case, scheme, backend, precision, cells, steps, L1 and L-infinity depth errors,
//! relative mass error, wall time, cell updates per second; observed orders between successive
//! resolutions. Checks (the `--quick` mode runs them in CI): well-balanced to round-off, mass
//! error below its bound, fv1 and fv2 orders within stated ranges on the dam breaks, fv2 more
//! accurate than fv1 on the smooth Thacker case. A failed check is reported and gives exit 1.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use basintwin_core::analytic::{MacDonald, StepDamBreak, ThackerPlanar, dam_break};
use basintwin_core::{
    Backend, Boundaries, BoundaryKind, Grid, Real, Scheme, SolverConfig, State, Terrain,
};
use clap::Args;

use basintwin_runner::run::InputError;

const G: f64 = 9.81;

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Case(s): lake_at_rest, ritter, stoker, dam_break_step, thacker, thacker_radial,
    /// macdonald, macdonald_rain, macdonald_jump, rain_plane, radial_dam_break, soares_frazao (measured
    /// flume data) and ea_test4 (EA benchmark Test 4) — the last two when ../shared/validation
    /// is present, not in --quick unless named — or all (repeatable).
    #[arg(long, default_value = "all")]
    case: Vec<String>,
    /// Scheme(s): inertial, fv1, fv2 or all.
    #[arg(long, default_value = "all")]
    scheme: Vec<String>,
    /// Backend(s): cpu, gpu or all (the GPU runs f32 only).
    #[arg(long, default_value = "cpu")]
    backend: Vec<String>,
    /// Precision(s): f32, f64 or all.
    #[arg(long, default_value = "f64")]
    precision: Vec<String>,
    /// Coarse grids (under two minutes on 2 cores; what CI runs).
    #[arg(long)]
    quick: bool,
    /// Report folder.
    #[arg(long, default_value = "validation")]
    out: PathBuf,
    /// Replace an existing report.
    #[arg(long)]
    overwrite: bool,
}

/// One validation case.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Case {
    LakeAtRest,
    Ritter,
    Stoker,
    StepDamBreak,
    Thacker,
    ThackerRadial,
    MacDonald,
    MacDonaldRain,
    MacDonaldJump,
    RainPlane,
    RadialDamBreak,
}

impl Case {
    const ALL: [Case; 11] = [
        Case::LakeAtRest,
        Case::Ritter,
        Case::Stoker,
        Case::StepDamBreak,
        Case::Thacker,
        Case::ThackerRadial,
        Case::MacDonald,
        Case::MacDonaldRain,
        Case::MacDonaldJump,
        Case::RainPlane,
        Case::RadialDamBreak,
    ];

    fn name(self) -> &'static str {
        match self {
            Case::LakeAtRest => "lake_at_rest",
            Case::Ritter => "ritter",
            Case::Stoker => "stoker",
            Case::StepDamBreak => "dam_break_step",
            Case::Thacker => "thacker",
            Case::ThackerRadial => "thacker_radial",
            Case::MacDonald => "macdonald",
            Case::MacDonaldRain => "macdonald_rain",
            Case::MacDonaldJump => "macdonald_jump",
            Case::RainPlane => "rain_plane",
            Case::RadialDamBreak => "radial_dam_break",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Case::LakeAtRest => "Lake at rest over an emerged bump (well-balancing)",
            Case::Ritter => "Ritter: dam break on a dry bed, 1 m / 0 m, t = 5 s",
            Case::Stoker => "Stoker: dam break on a wet bed, 1 m / 0.1 m, t = 5 s",
            Case::StepDamBreak => "Dam break over a 0.5 m step: 2 m / 0.5 m of water, t = 5 s",
            Case::Thacker => "Thacker: planar surface in a paraboloid, one period",
            Case::ThackerRadial => "Thacker: radially symmetric paraboloid, one period",
            Case::MacDonald => "MacDonald: steady subcritical flow with Manning friction",
            Case::MacDonaldRain => "MacDonald with rain: discharge growing along the channel",
            Case::MacDonaldJump => "MacDonald: transcritical flow with a standing hydraulic jump",
            Case::RainPlane => "Rain on a 1 % plane: kinematic wave, rising limb at 1800 s",
            Case::RadialDamBreak => "Radial dam break on a flat bed (symmetry), t = 1 s",
        }
    }

    /// The three resolutions (cells along x).
    fn sizes(self, quick: bool) -> [usize; 3] {
        match (self, quick) {
            (Case::LakeAtRest, true) => [20, 40, 80],
            (Case::LakeAtRest, false) => [40, 80, 160],
            (Case::Ritter | Case::Stoker | Case::StepDamBreak, true) => [100, 200, 400],
            (Case::Ritter | Case::Stoker | Case::StepDamBreak, false) => [200, 400, 800],
            (Case::Thacker | Case::ThackerRadial, true) => [24, 48, 96],
            (Case::Thacker | Case::ThackerRadial, false) => [50, 100, 200],
            (Case::MacDonald | Case::MacDonaldRain | Case::MacDonaldJump, true) => [50, 100, 200],
            (Case::MacDonald | Case::MacDonaldRain | Case::MacDonaldJump, false) => [100, 200, 400],
            (Case::RainPlane, true) => [25, 50, 100],
            (Case::RainPlane, false) => [50, 100, 200],
            (Case::RadialDamBreak, true) => [20, 40, 80],
            (Case::RadialDamBreak, false) => [50, 100, 200],
        }
    }

    /// One-dimensional (a profile is drawn).
    fn is_1d(self) -> bool {
        matches!(
            self,
            Case::Ritter
                | Case::Stoker
                | Case::StepDamBreak
                | Case::MacDonald
                | Case::MacDonaldRain
                | Case::MacDonaldJump
                | Case::RainPlane
        )
    }

    /// Measured by symmetry rather than against a closed form.
    fn by_symmetry(self) -> bool {
        self == Case::RadialDamBreak
    }
}

/// Grid, terrain, initial depths and discharges, boundaries, end time, and the exact depth at
/// the end at each cell centre.
struct Setup {
    grid: Grid,
    terrain: Terrain,
    h: Vec<f64>,
    qx: Vec<f64>,
    qy: Vec<f64>,
    boundaries: Boundaries,
    t_end: f64,
    exact: Vec<f64>,
    forcing: basintwin_core::Forcing,
    /// Water at rest at this level: the initial state comes from `State::from_level` in the
    /// working precision (instead of `h`), as `initial.water_level` does.
    level: Option<f64>,
}

fn setup(case: Case, n: usize) -> Result<Setup> {
    let input = |e: basintwin_core::CoreError| anyhow!(InputError(e.to_string()));
    match case {
        Case::LakeAtRest => {
            let l = 20.0;
            let d = l / n as f64;
            let grid = Grid::new(n, n, d, d).map_err(input)?;
            let bed = grid.map_centres(|x, y| {
                0.8 * (-((x - 7.0).powi(2) + (y - 10.0).powi(2)) / 6.0).exp()
                    + 1.3 * (-((x - 14.0).powi(2) + (y - 9.0).powi(2)) / 3.0).exp()
                    + 0.1 * (x / 3.0).sin()
            });
            let terrain = Terrain::new(&grid, bed.clone(), 0.03).map_err(input)?;
            let h: Vec<f64> = bed.iter().map(|z| (1.0 - z).max(0.0)).collect();
            let cells = grid.cells();
            Ok(Setup {
                level: Some(1.0),
                exact: h.clone(),
                h,
                qx: vec![0.0; cells],
                qy: vec![0.0; cells],
                grid,
                terrain,
                boundaries: Boundaries::walls(),
                t_end: 20.0,
                forcing: Default::default(),
            })
        }
        Case::Ritter | Case::Stoker => {
            let (x0, t, hl) = (50.0, 5.0, 1.0);
            let hr = if case == Case::Ritter { 0.0 } else { 0.1 };
            channel_dam_break(
                n,
                t,
                |_| 0.0,
                |x| if x < x0 { hl } else { hr },
                |x| dam_break(hl, hr, x0, x, t, G).0,
            )
        }
        Case::StepDamBreak => {
            let sd = StepDamBreak {
                h_left: 2.0,
                h_right: 0.5,
                step_m: 0.5,
                x0: 50.0,
                g: G,
            };
            let st = sd
                .states()
                .ok_or_else(|| anyhow!("dam_break_step: no rarefaction-step-shock solution"))?;
            let t = 5.0;
            channel_dam_break(
                n,
                t,
                |x| sd.bed_m(x),
                |x| if x < sd.x0 { sd.h_left } else { sd.h_right },
                |x| sd.solution(&st, x, t).0,
            )
        }
        Case::Thacker => {
            let th = ThackerPlanar::default();
            paraboloid(
                n,
                th.l_m,
                th.period_s(),
                |x, y| th.bed_m(x, y),
                |x, y, t| th.solution(x, y, t),
            )
        }
        Case::ThackerRadial => {
            let th = basintwin_core::analytic::ThackerRadial::default();
            paraboloid(
                n,
                th.l_m,
                th.period_s(),
                |x, y| th.bed_m(x, y),
                |x, y, t| th.solution(x, y, t),
            )
        }
        Case::MacDonald | Case::MacDonaldRain | Case::MacDonaldJump => {
            use basintwin_core::{BoundarySegment, Forcing, SegmentKind, Series, Side};
            let m = match case {
                Case::MacDonaldRain => MacDonald {
                    q_m2_s: 1.0,
                    rain_m_s: 5e-4,
                    ..Default::default()
                },
                Case::MacDonaldJump => MacDonald::transcritical_jump(),
                _ => MacDonald::default(),
            };
            let d = m.length_m / n as f64;
            let grid = Grid::new(n, 1, d, d).map_err(input)?;
            let bed = grid.map_centres(|x, _| m.bed_m(x));
            let terrain = Terrain::new(&grid, bed, m.manning).map_err(input)?;
            let h = grid.map_centres(|x, _| m.depth_m(x));
            let forcing = Forcing {
                boundaries: vec![
                    BoundarySegment {
                        name: "inflow".into(),
                        side: Side::West,
                        cells: 0..1,
                        kind: SegmentKind::Inflow(Series::constant(m.q_m2_s * d)),
                    },
                    BoundarySegment {
                        name: "outlet".into(),
                        side: Side::East,
                        cells: 0..1,
                        kind: SegmentKind::Stage(Series::constant(m.depth_m(m.length_m))),
                    },
                ],
                rain_mm_h: (m.rain_m_s > 0.0).then(|| Series::constant(m.rain_m_s * 3.6e6)),
                ..Default::default()
            };
            Ok(Setup {
                level: None,
                exact: h.clone(),
                qx: grid.map_centres(|x, _| m.discharge_m2_s(x)),
                qy: vec![0.0; n],
                h,
                grid,
                terrain,
                boundaries: Boundaries::walls(),
                t_end: match case {
                    Case::MacDonaldRain => 2500.0,
                    Case::MacDonaldJump => 600.0,
                    _ => 1500.0,
                },
                forcing,
            })
        }
        Case::RainPlane => {
            let (k, l, t) = (rain_plane(), RAIN_PLANE_M, RAIN_PLANE_S);
            let d = l / n as f64;
            let grid = Grid::new(n, 1, d, d).map_err(input)?;
            let terrain = Terrain::new(
                &grid,
                grid.map_centres(|x, _| k.slope * (l - x)),
                k.manning_n,
            )
            .map_err(input)?;
            let mut boundaries = Boundaries::walls();
            boundaries.east = BoundaryKind::NormalDepth { slope: k.slope };
            Ok(Setup {
                level: None,
                exact: grid.map_centres(|x, _| k.depth_m(x, t)),
                h: vec![0.0; n],
                qx: vec![0.0; n],
                qy: vec![0.0; n],
                grid,
                terrain,
                boundaries,
                t_end: t,
                forcing: basintwin_core::Forcing {
                    rain_mm_h: Some(basintwin_core::Series::constant(k.rain_m_s * 3.6e6)),
                    ..Default::default()
                },
            })
        }
        Case::RadialDamBreak => {
            let l = 40.0;
            let d = l / n as f64;
            let grid = Grid::new(n, n, d, d).map_err(input)?;
            let terrain = Terrain::new(&grid, vec![0.0; grid.cells()], 0.0).map_err(input)?;
            let h = grid.map_centres(|x, y| {
                if (x - 20.0).powi(2) + (y - 20.0).powi(2) < 64.0 {
                    2.0
                } else {
                    1.0
                }
            });
            let cells = grid.cells();
            Ok(Setup {
                level: None,
                exact: Vec::new(),
                h,
                qx: vec![0.0; cells],
                qy: vec![0.0; cells],
                grid,
                terrain,
                boundaries: Boundaries::walls(),
                t_end: 1.0,
                forcing: Default::default(),
            })
        }
    }
}

/// The raining plane of the `rain_plane` case, its length (m) and the time compared (s).
fn rain_plane() -> basintwin_core::analytic::KinematicPlane {
    basintwin_core::analytic::KinematicPlane {
        rain_m_s: 30.0 / 3.6e6,
        slope: 0.01,
        manning_n: 0.03,
    }
}
const RAIN_PLANE_M: f64 = 1000.0;
const RAIN_PLANE_S: f64 = 1800.0;

/// A 100 m channel of `n` cells released at rest from depths `h0` over `bed`, free outflow at
/// both ends, compared with `exact` at `t`.
fn channel_dam_break(
    n: usize,
    t: f64,
    bed: impl Fn(f64) -> f64,
    h0: impl Fn(f64) -> f64,
    exact: impl Fn(f64) -> f64,
) -> Result<Setup> {
    let input = |e: basintwin_core::CoreError| anyhow!(InputError(e.to_string()));
    let d = 100.0 / n as f64;
    let grid = Grid::new(n, 1, d, d).map_err(input)?;
    let terrain = Terrain::new(&grid, grid.map_centres(|x, _| bed(x)), 0.0).map_err(input)?;
    Ok(Setup {
        level: None,
        h: grid.map_centres(|x, _| h0(x)),
        qx: vec![0.0; n],
        qy: vec![0.0; n],
        exact: grid.map_centres(|x, _| exact(x)),
        grid,
        terrain,
        boundaries: Boundaries::all(BoundaryKind::Free),
        t_end: t,
        forcing: Default::default(),
    })
}

/// Thacker's paraboloids: `n x n` cells over a square of side `l`, one period, walls.
fn paraboloid(
    n: usize,
    l: f64,
    period_s: f64,
    bed: impl Fn(f64, f64) -> f64,
    solution: impl Fn(f64, f64, f64) -> (f64, f64, f64),
) -> Result<Setup> {
    let input = |e: basintwin_core::CoreError| anyhow!(InputError(e.to_string()));
    let d = l / n as f64;
    let grid = Grid::new(n, n, d, d).map_err(input)?;
    let terrain = Terrain::new(&grid, grid.map_centres(&bed), 0.0).map_err(input)?;
    let at = |t: f64, f: fn((f64, f64, f64)) -> f64| grid.map_centres(|x, y| f(solution(x, y, t)));
    Ok(Setup {
        level: None,
        h: at(0.0, |s| s.0),
        qx: at(0.0, |s| s.0 * s.1),
        qy: at(0.0, |s| s.0 * s.2),
        exact: at(period_s, |s| s.0),
        grid,
        terrain,
        boundaries: Boundaries::walls(),
        t_end: period_s,
        forcing: Default::default(),
    })
}

/// One run's numbers.
#[derive(Debug, Clone, serde::Serialize)]
struct Row {
    case: String,
    scheme: String,
    backend: String,
    precision: String,
    cells: usize,
    steps: u64,
    l1_m: f64,
    linf_m: f64,
    /// Largest speed (m/s) at the end (the lake at rest's error).
    max_speed_m_s: f64,
    mass_error: f64,
    wall_s: f64,
    cell_updates_per_s: f64,
    #[serde(skip)]
    profile: Vec<(f64, f64)>,
}

impl Row {
    /// A run of a case without a closed form (the flume, EA Test 4): `l1_m` holds the case's own
    /// error measure (NaN when there is none).
    #[allow(clippy::too_many_arguments)]
    fn measured(
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

/// Draws `curves` into `out/file`; the file name when a plot was written (a failure is a
/// warning: the report goes on without the picture).
fn plot_file(
    out: &Path,
    file: String,
    title: &str,
    labels: (&str, &str),
    curves: &[basintwin_runner::plot::Curve],
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
    let cells = s.grid.cells();
    let mut st = State::<B::Real>::dry(cells);
    b.read_state(&mut st)?;
    let (mut l1, mut linf, mut vmax) = (0.0f64, 0.0f64, 0.0f64);
    let nx = s.grid.nx;
    for k in 0..cells {
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
    let profile = if case.is_1d() {
        (0..s.grid.nx)
            .map(|i| (s.grid.cell_centre_m(i, 0).0, st.h[i].f64()))
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

fn run_one(case: Case, scheme: Scheme, backend: &str, precision: &str, n: usize) -> Result<Row> {
    let s = setup(case, n)?;
    let cfg = SolverConfig::new(scheme).with_boundaries(s.boundaries);
    fn state<R: Real>(s: &Setup) -> (State<R>, Terrain) {
        let mut terrain = s.terrain.clone();
        if let Some(level) = s.level {
            return (State::from_level(&mut terrain, level), terrain);
        }
        let state = State {
            h: s.h.iter().map(|&v| R::c(v)).collect(),
            qx: s.qx.iter().map(|&v| R::c(v)).collect(),
            qy: s.qy.iter().map(|&v| R::c(v)).collect(),
        };
        (state, terrain)
    }
    struct Case1<'a> {
        s: &'a Setup,
        case: Case,
        scheme: Scheme,
        backend: &'a str,
    }
    impl basintwin_runner::BackendJob for Case1<'_> {
        type Output = Row;
        fn initial_state<R: Real>(&self, terrain: &mut Terrain) -> State<R> {
            let (st, t) = state::<R>(self.s);
            *terrain = t;
            st
        }
        fn run<B: Backend>(self, b: B) -> Result<Row> {
            finish(b, self.s, self.case, self.scheme, self.backend)
        }
    }
    let inp = basintwin_runner::BackendInput {
        grid: &s.grid,
        terrain: &s.terrain,
        solver: &cfg,
        forcing: Some(&s.forcing),
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

/// The backend of a `--backend` and `--precision` pair.
fn choice(backend: &str, precision: &str) -> Result<basintwin_runner::BackendChoice> {
    let p = if precision == "f64" {
        basintwin_core::Precision::F64
    } else {
        basintwin_core::Precision::F32
    };
    basintwin_runner::BackendChoice::new(backend, p).map_err(|m| anyhow!(InputError(m)))
}

/// Cases where a scheme does not reach its order, measured and explained: the L1 bound it is
/// held to at the finest grid, and why.
fn known_limit(case: Case, scheme: Scheme) -> Option<(f64, &'static str)> {
    match (case, scheme) {
        // Hydrostatic reconstruction (Audusse et al. 2004) at a bed discontinuity does not
        // conserve energy across the step: the states on both sides converge to values 1-2 %
        // off the exact (energy-conserving) ones, so the error stalls near 1e-2 (fv1) and
        // 5e-3 m (fv2) instead of halving.
        (Case::StepDamBreak, Scheme::Fv1) => {
            Some((1.5e-2, "error plateaus: the step's states are 1-2 % off"))
        }
        (Case::StepDamBreak, Scheme::Fv2) => {
            Some((8e-3, "error plateaus: the step's states are 1-2 % off"))
        }
        _ => None,
    }
}

fn expand(values: &[String], all: &[&str], what: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        for part in v.split(',').map(str::trim) {
            if part == "all" {
                out.extend(all.iter().map(|s| s.to_string()));
            } else if all.contains(&part) {
                out.push(part.to_string());
            } else {
                return Err(anyhow!(InputError(format!(
                    "--{what} {part}: expected one of {} or all",
                    all.join(", ")
                ))));
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|x| seen.insert(x.clone()));
    Ok(out)
}

/// Observed order between errors at resolutions `n` and `2n`.
fn order(e_coarse: f64, e_fine: f64) -> f64 {
    (e_coarse / e_fine).ln() / 2f64.ln()
}

/// One check of the report.
struct Check {
    what: String,
    ok: bool,
}

pub fn run(args: ValidateArgs) -> Result<()> {
    let mut case_names: Vec<&str> = Case::ALL.iter().map(|c| c.name()).collect();
    case_names.push("soares_frazao");
    case_names.push("ea_test4");
    let wanted = expand(&args.case, &case_names, "case")?;
    let cases: Vec<Case> = wanted
        .iter()
        .filter_map(|n| Case::ALL.into_iter().find(|c| c.name() == n))
        .collect();
    let named_flume = args.case.iter().any(|c| c.contains("soares_frazao"));
    let flume = wanted.iter().any(|c| c == "soares_frazao") && (!args.quick || named_flume);
    let named_ea4 = args.case.iter().any(|c| c.contains("ea_test4"));
    let ea4 = wanted.iter().any(|c| c == "ea_test4") && (!args.quick || named_ea4);
    let schemes: Vec<Scheme> = expand(&args.scheme, &["inertial", "fv1", "fv2"], "scheme")?
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    let backends = expand(&args.backend, &["cpu", "gpu"], "backend")?;
    let precisions = expand(&args.precision, &["f32", "f64"], "precision")?;
    let out = &args.out;
    if out.join("index.md").exists() && !args.overwrite {
        return Err(anyhow!(InputError(format!(
            "{}: a report is already there; pass --overwrite to replace it, or choose another with --out",
            out.display()
        ))));
    }
    std::fs::create_dir_all(out).map_err(|e| {
        anyhow!(InputError(format!(
            "{}: cannot create the report folder: {e}",
            out.display()
        )))
    })?;
    let mut combos: Vec<(String, String)> = Vec::new();
    for b in &backends {
        for p in &precisions {
            if b == "gpu" && p == "f64" {
                continue; // the GPU computes in f32
            }
            combos.push((b.clone(), p.clone()));
        }
    }
    let started = Instant::now();
    let mut rows: Vec<Row> = Vec::new();
    let mut checks: Vec<Check> = Vec::new();
    let mut md = String::new();
    md.push_str(&format!(
        "# basintwin validation report\n\n`basintwin validate{}` — {} mode. Each case runs at three resolutions; errors are in the depth against the closed-form solution at the end time (L1: mean over cells; L-inf: largest). Orders are observed between successive resolutions. Wall time is this machine's ({} threads).\n\n",
        std::env::args().skip(2).map(|a| format!(" {a}")).collect::<String>(),
        if args.quick { "quick" } else { "full" },
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    ));
    for case in &cases {
        eprintln!("{} ...", case.title());
        md.push_str(&format!("## {}\n\n", case.title()));
        md.push_str("| scheme | backend | precision | cells | steps | L1 (m) | L-inf (m) | max speed (m/s) | mass error | wall (s) | cell updates/s | order (L1) |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        let mut err_curves = Vec::new();
        let mut cost_curves = Vec::new();
        let mut profile_curves = Vec::new();
        let mut l1_at: std::collections::HashMap<(String, String, String), Vec<f64>> =
            Default::default();
        for scheme in &schemes {
            for (b, p) in &combos {
                let mut series: Vec<Row> = Vec::new();
                for n in case.sizes(args.quick) {
                    let row = run_one(*case, *scheme, b, p, n)
                        .with_context(|| format!("{} {scheme} {b} {p} {n}", case.name()))?;
                    series.push(row);
                }
                for (k, r) in series.iter().enumerate() {
                    let ord = if k > 0
                        && *case != Case::LakeAtRest
                        && !case.by_symmetry()
                        && r.l1_m > 0.0
                        && series[k - 1].l1_m > 0.0
                    {
                        format!("{:.2}", order(series[k - 1].l1_m, r.l1_m))
                    } else {
                        "".into()
                    };
                    md.push_str(&format!(
                        "| {} | {} | {} | {} | {} | {:.3e} | {:.3e} | {:.2e} | {:.1e} | {:.3} | {:.3e} | {} |\n",
                        r.scheme, r.backend, r.precision, r.cells, r.steps, r.l1_m, r.linf_m, r.max_speed_m_s, r.mass_error, r.wall_s, r.cell_updates_per_s, ord
                    ));
                }
                let label = format!("{scheme} {b} {p}");
                err_curves.push(basintwin_runner::plot::Curve {
                    name: label.clone(),
                    points: series.iter().map(|r| (r.cells as f64, r.l1_m)).collect(),
                    dashed: false,
                });
                cost_curves.push(basintwin_runner::plot::Curve {
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
                    profile_curves.push(basintwin_runner::plot::Curve {
                        name: label,
                        points: last.profile.clone(),
                        dashed: false,
                    });
                }
                // Checks.
                if *case == Case::LakeAtRest {
                    let v = series.iter().map(|r| r.max_speed_m_s).fold(0.0, f64::max);
                    // The schemes balance exactly, and the level is exact in the working
                    // precision (`State::from_level`): 1e-6 m/s is the bound asked of f32.
                    let bound = if p == "f64" { 1e-10 } else { 1e-6 };
                    checks.push(Check {
                        what: format!("lake at rest, {scheme} {b} {p}: largest speed {v:.1e} m/s < {bound:.0e}"),
                        ok: v < bound,
                    });
                }
                let m = series
                    .iter()
                    .map(|r| r.mass_error.abs())
                    .fold(0.0, f64::max);
                if case.by_symmetry() {
                    let a = series.iter().map(|r| r.linf_m).fold(0.0, f64::max);
                    let bound = if p == "f64" { 1e-12 } else { 1e-5 };
                    checks.push(Check {
                        what: format!("radial dam break, {scheme} {b} {p}: largest asymmetry {a:.1e} m < {bound:.0e}"),
                        ok: a < bound,
                    });
                }
                // f32: every step rounds each cell's update (6e-8 relative); over the 20 000
                // steps of the long cases that random walk reaches a few 1e-5.
                let mass_bound: f64 = if p == "f64" { 1e-10 } else { 1e-4 };
                checks.push(Check {
                    what: format!(
                        "{}, {scheme} {b} {p}: mass error {m:.1e} < {mass_bound:.0e}",
                        case.name()
                    ),
                    ok: m < mass_bound,
                });
                // Where a scheme is known not to converge at its order, it is held to an error
                // bound instead, and the report says why (see `known_limit`).
                let limit = known_limit(*case, *scheme);
                if let Some((bound, why)) = limit {
                    let finest = series.last().map_or(f64::INFINITY, |r| r.l1_m);
                    checks.push(Check {
                        what: format!(
                            "{}, {scheme} {b} {p}: L1 {finest:.2e} m at the finest grid < {bound:.0e} m ({why})",
                            case.name()
                        ),
                        ok: finest < bound,
                    });
                }
                if *case == Case::RainPlane {
                    // Relative to the mean exact depth. The kinematic wave is the shallow-water
                    // solution only where friction balances gravity (not in the top cells), so
                    // the errors level off rather than halve; fv1 is held to its known limit.
                    let k = rain_plane();
                    let mean = (0..1000)
                        .map(|i| k.depth_m((i as f64 + 0.5) * RAIN_PLANE_M / 1000.0, RAIN_PLANE_S))
                        .sum::<f64>()
                        / 1000.0;
                    let (bound, why) = if *scheme == Scheme::Fv1 {
                        (
                            0.12,
                            " (known limit: cells drop more than the sheet is deep, Delestre et al. 2012)",
                        )
                    } else {
                        (0.03, "")
                    };
                    for r in &series {
                        let e = r.l1_m / mean;
                        checks.push(Check {
                            what: format!(
                                "rain_plane, {scheme} {b} {p}: L1 {:.2} % of the mean depth at {} cells < {:.0} %{why}",
                                100.0 * e,
                                r.cells,
                                100.0 * bound
                            ),
                            ok: e < bound,
                        });
                    }
                }
                if case.is_1d()
                    && *scheme != Scheme::Inertial
                    && limit.is_none()
                    && *case != Case::RainPlane
                {
                    // Shocks and dry fronts hold both schemes near order 1; MacDonald's jump
                    // is a single shock in an otherwise smooth flow, where fv2 gains more.
                    let (lo, hi) = match (scheme, case) {
                        (Scheme::Fv1, _) => (0.6, 1.1),
                        (_, Case::MacDonaldJump) => (0.7, 2.1),
                        _ => (0.7, 1.5),
                    };
                    for k in 1..series.len() {
                        let o = order(series[k - 1].l1_m, series[k].l1_m);
                        checks.push(Check {
                            what: format!(
                                "{}, {scheme} {b} {p}: order {o:.2} between {} and {} cells in ({lo}, {hi})",
                                case.name(),
                                series[k - 1].cells,
                                series[k].cells
                            ),
                            ok: o > lo && o < hi,
                        });
                    }
                }
                l1_at.insert(
                    (scheme.name().to_string(), b.clone(), p.clone()),
                    series.iter().map(|r| r.l1_m).collect(),
                );
                rows.extend(series);
            }
        }
        if matches!(
            case,
            Case::Thacker | Case::ThackerRadial | Case::MacDonald | Case::MacDonaldRain
        ) {
            for (b, p) in &combos {
                let k = |s: &str| (s.to_string(), b.clone(), p.clone());
                if let (Some(e1), Some(e2)) = (l1_at.get(&k("fv1")), l1_at.get(&k("fv2"))) {
                    for (i, (a, c)) in e1.iter().zip(e2).enumerate() {
                        checks.push(Check {
                            what: format!(
                                "{}, {b} {p}: fv2 ({c:.2e} m) more accurate than fv1 ({a:.2e} m) at resolution {}",
                                case.name(),
                                i + 1
                            ),
                            ok: c < a,
                        });
                    }
                }
            }
        }
        md.push('\n');
        let name = case.name();
        let mut images = Vec::new();
        if *case != Case::LakeAtRest && !case.by_symmetry() {
            images.extend(plot_file(
                out,
                format!("{name}_convergence.png"),
                &format!("{}: L1 depth error against cells", case.title()),
                ("cells", "L1 depth error (m)"),
                &err_curves,
                true,
            ));
            images.extend(plot_file(
                out,
                format!("{name}_cost.png"),
                &format!("{}: accuracy per cost", case.title()),
                ("wall time (s)", "L1 depth error (m)"),
                &cost_curves,
                true,
            ));
        }
        if case.is_1d() {
            let s = setup(*case, case.sizes(args.quick)[2])?;
            let mut curves = vec![basintwin_runner::plot::Curve {
                name: "exact".into(),
                points: (0..s.grid.nx)
                    .map(|i| (s.grid.cell_centre_m(i, 0).0, s.exact[i]))
                    .collect(),
                dashed: true,
            }];
            curves.extend(profile_curves);
            images.extend(plot_file(
                out,
                format!("{name}_profile.png"),
                &format!("{}: depth at the finest grid", case.title()),
                ("x (m)", "depth (m)"),
                &curves,
                false,
            ));
        }
        for img in images {
            md.push_str(&format!("![{img}]({img})\n\n"));
        }
    }
    if flume {
        match flume::data_dir() {
            None => md.push_str("## Soares-Frazão & Zech (2007) flume\n\nSkipped: the measured data (`../shared/validation/isolated-building-soares-frazao`, or `BASINTWIN_VALIDATION_DATA`) is not on this machine.\n\n"),
            Some(dir) => {
                eprintln!("Soares-Frazão flume ...");
                flume_section(&dir, &schemes, &combos, args.quick, out, &mut md, &mut rows)?;
            }
        }
    }
    if ea4 {
        match ea4::data_dir() {
            None => md.push_str("## EA Test 4\n\nSkipped: its inflow hydrograph and output points (`../shared/validation/ea-benchmark/test4_flood_speed`, or `BASINTWIN_VALIDATION_DATA`) are not on this machine.\n\n"),
            Some(dir) => {
                eprintln!("EA Test 4 ...");
                ea4_section(&dir, &schemes, &combos, args.quick, out, &mut md, &mut rows, &mut checks)?;
            }
        }
    }
    let failed: Vec<&Check> = checks.iter().filter(|c| !c.ok).collect();
    md.push_str(&format!(
        "## Checks\n\n{} of {} passed.\n\n",
        checks.len() - failed.len(),
        checks.len()
    ));
    for c in &checks {
        md.push_str(&format!(
            "- {} {}\n",
            if c.ok { "ok" } else { "**FAILED**" },
            c.what
        ));
    }
    md.push_str(&format!(
        "\nTotal wall time {:.1} s. The numbers are also in `results.json`.\n",
        started.elapsed().as_secs_f64()
    ));
    std::fs::write(out.join("index.md"), md)
        .with_context(|| format!("{}: cannot write index.md", out.display()))?;
    let json = serde_json::json!({ "quick": args.quick, "results": rows, "checks": checks.iter().map(|c| serde_json::json!({"check": c.what, "ok": c.ok})).collect::<Vec<_>>() });
    std::fs::write(
        out.join("results.json"),
        serde_json::to_string_pretty(&json)?,
    )
    .with_context(|| format!("{}: cannot write results.json", out.display()))?;
    println!(
        "{}: {} runs, {} of {} checks passed",
        out.join("index.md").display(),
        rows.len(),
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
            path_str(&out.join("index.md"))
        ));
    }
    Ok(())
}

/// Runs the flume at three cell sizes for every combination and writes its section: per-gauge
/// RMSE and bore arrival against the measurements, and the depth series over the measured.
fn flume_section(
    dir: &Path,
    schemes: &[Scheme],
    combos: &[(String, String)],
    quick: bool,
    out: &Path,
    md: &mut String,
    rows: &mut Vec<Row>,
) -> Result<()> {
    let measured = flume::measured(dir)?;
    let sizes: [f64; 3] = if quick {
        [0.2, 0.15, 0.1]
    } else {
        [0.1, 0.075, 0.05]
    };
    md.push_str(
        "## Soares-Frazão & Zech (2007): dam break against an isolated building (measured)\n\n",
    );
    md.push_str("Depth at gauges G1–G6 over 30 s against the flume measurements (J. Hydraulic Research 45, 2007; data from the authors, `../shared/validation`). RMSE over the run (cm); bore arrival = the steepest rise over 0.2 s in the first 10 s, computed minus measured (s).\n\n");
    md.push_str("| scheme | backend | precision | cell (m) | cells | steps | RMSE G1..G6 (cm) | arrival G1..G5 (s) | mass error | wall (s) | cell updates/s |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    let mut finest: Vec<(String, flume::Series)> = Vec::new();
    for scheme in schemes {
        for (b, p) in combos {
            for (k, &cell) in sizes.iter().enumerate() {
                let m = flume::model(cell)?;
                let (series, steps, wall, mass) = flume::run_model(&m, *scheme, b, p)?;
                let mut rmse = Vec::new();
                let mut arr = Vec::new();
                for g in 0..6 {
                    let (r, tc, tm) = flume::compare(&series, &measured, g);
                    rmse.push(format!("{:.1}", 100.0 * r));
                    if g < 5 {
                        arr.push(match (tc, tm) {
                            (Some(a), Some(b)) => format!("{:+.2}", a - b),
                            _ => "–".into(),
                        });
                    }
                }
                let cells = m.grid.cells();
                let cups = steps as f64 * cells as f64 / wall.max(1e-9);
                md.push_str(&format!(
                    "| {scheme} | {b} | {p} | {cell} | {cells} | {steps} | {} | {} | {mass:.1e} | {wall:.2} | {cups:.3e} |\n",
                    rmse.join(" "),
                    arr.join(" ")
                ));
                let mean_rmse = (0..5)
                    .map(|g| flume::compare(&series, &measured, g).0)
                    .sum::<f64>()
                    / 5.0;
                rows.push(Row::measured(
                    "soares_frazao",
                    *scheme,
                    b,
                    p,
                    (cells, steps),
                    mean_rmse,
                    mass,
                    wall,
                ));
                if k == sizes.len() - 1 {
                    finest.push((format!("{scheme} {b} {p}"), series));
                }
            }
        }
    }
    md.push('\n');
    for (g, (name, _, _)) in flume::GAUGES.iter().enumerate() {
        let mut curves = vec![basintwin_runner::plot::Curve {
            name: "measured".into(),
            points: measured
                .iter()
                .step_by(5)
                .map(|(t, h)| (*t, h[g]))
                .collect(),
            dashed: true,
        }];
        for (label, series) in &finest {
            curves.push(basintwin_runner::plot::Curve {
                name: format!("{label}, {} m cells", sizes[2]),
                points: series.iter().map(|(t, h)| (*t, h[g])).collect(),
                dashed: false,
            });
        }
        if let Some(file) = plot_file(
            out,
            format!("soares_frazao_{name}.png"),
            &format!("Soares-Frazão flume: depth at {name}"),
            ("time (s)", "depth (m)"),
            &curves,
            false,
        ) {
            md.push_str(&format!("![{file}]({file})\n\n"));
        }
    }
    Ok(())
}

/// EA Test 4 at 40, 20 and 10 m cells (100, 50, 40 in quick mode): arrival time (depth 0.1 m)
/// and peak depth at the six output points per run, their change between the two finest
/// grids, the water budget, and the depth series at the finest grid. Checks: the budget.
#[allow(clippy::too_many_arguments)]
fn ea4_section(
    dir: &Path,
    schemes: &[Scheme],
    combos: &[(String, String)],
    quick: bool,
    out: &Path,
    md: &mut String,
    rows: &mut Vec<Row>,
    checks: &mut Vec<Check>,
) -> Result<()> {
    let (bc, pts) = ea4::inputs(dir)?;
    // 5 m cells change arrival times by at most 3 min and peaks by 4 mm against 10 m, at 8 times
    // the cost (measured 2026-11-29).
    let sizes: [f64; 3] = if quick {
        [100.0, 50.0, 40.0]
    } else {
        [40.0, 20.0, 10.0]
    };
    md.push_str("## EA Test 4: flood propagation over a flat floodplain (Néelz & Pender 2013)\n\n");
    md.push_str(&format!(
        "A 1000 m x 2000 m dry plain, n = 0.05, fed by the hydrograph of `BC.csv` (peak 20 m³/s) through a 20 m breach in the middle of its west side (the western cells the breach overlaps: exactly 20 m at 10 m cells, wider on coarser grids); 5 h; depths sampled every {} s at output points 1–6 (`gauge_loc.csv`). Arrival: depth first ≥ {} m. **No reference:** the EA report judges packages against each other and its peer results are not available to the project, so these are our numbers, with their change between the two finest grids.\n\n",
        ea4::SAMPLE_S,
        ea4::ARRIVAL_M
    ));
    md.push_str("| scheme | backend | precision | cell (m) | cells | steps | arrival P1..P6 (min) | peak depth P1..P6 (m) | mass error | wall (s) | cell updates/s |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    let mut finest: Vec<(String, flume::Series)> = Vec::new();
    let mut spread: Vec<String> = Vec::new();
    for scheme in schemes {
        for (b, p) in combos {
            let mut per: Vec<flume::Series> = Vec::new();
            let mut worst_mass = 0.0f64;
            for &cell in &sizes {
                let m = ea4::model(cell, &bc, &pts)?;
                let (series, steps, wall, mass) = flume::run_model(&m, *scheme, b, p)
                    .with_context(|| format!("ea_test4 {scheme} {b} {p} {cell} m"))?;
                worst_mass = worst_mass.max(mass.abs());
                let (mut arr, mut peak) = (Vec::new(), Vec::new());
                for g in 0..6 {
                    let (a, hp, _) = ea4::arrival_and_peak(&series, g);
                    arr.push(a.map_or("-".into(), |t| format!("{:.0}", t / 60.0)));
                    peak.push(format!("{hp:.3}"));
                }
                let cells = m.grid.cells();
                let cups = steps as f64 * cells as f64 / wall.max(1e-9);
                md.push_str(&format!(
                    "| {scheme} | {b} | {p} | {cell} | {cells} | {steps} | {} | {} | {mass:.1e} | {wall:.2} | {cups:.3e} |\n",
                    arr.join(" "),
                    peak.join(" ")
                ));
                rows.push(Row::measured(
                    "ea_test4",
                    *scheme,
                    b,
                    p,
                    (cells, steps),
                    f64::NAN,
                    mass,
                    wall,
                ));
                per.push(series);
            }
            // Change between the two finest grids.
            let (a, c) = (&per[1], &per[2]);
            let (mut dt, mut dh) = (0.0f64, 0.0f64);
            for g in 0..6 {
                let (ta, ha, _) = ea4::arrival_and_peak(a, g);
                let (tc, hc, _) = ea4::arrival_and_peak(c, g);
                if let (Some(ta), Some(tc)) = (ta, tc) {
                    dt = dt.max((ta - tc).abs());
                }
                dh = dh.max((ha - hc).abs());
            }
            spread.push(format!(
                "- {scheme} {b} {p}: from {} m to {} m cells, arrival times change by up to {:.0} min, peak depths by up to {:.3} m",
                sizes[1],
                sizes[2],
                dt / 60.0,
                dh
            ));
            let bound: f64 = if p == "f64" { 1e-10 } else { 1e-4 };
            checks.push(Check {
                what: format!(
                    "ea_test4, {scheme} {b} {p}: mass error {worst_mass:.1e} < {bound:.0e}"
                ),
                ok: worst_mass < bound,
            });
            finest.push((format!("{scheme} {b} {p}"), per.pop().unwrap_or_default()));
        }
    }
    md.push('\n');
    for l in spread {
        md.push_str(&l);
        md.push('\n');
    }
    md.push('\n');
    for g in [0usize, 3, 5] {
        let curves: Vec<basintwin_runner::plot::Curve> = finest
            .iter()
            .map(|(label, series)| basintwin_runner::plot::Curve {
                name: format!("{label}, {} m cells", sizes[2]),
                points: series.iter().map(|(t, h)| (*t / 3600.0, h[g])).collect(),
                dashed: false,
            })
            .collect();
        if let Some(file) = plot_file(
            out,
            format!("ea_test4_P{}.png", g + 1),
            &format!("EA Test 4: depth at output point {}", g + 1),
            ("time (h)", "depth (m)"),
            &curves,
            false,
        ) {
            md.push_str(&format!("![{file}]({file})\n\n"));
        }
    }
    Ok(())
}

/// The folder `sub` of the public validation data (`BASINTWIN_VALIDATION_DATA`, or
/// `../shared/validation` beside the repository or the working directory) when it holds `files`.
fn validation_data(sub: &str, files: &[&str]) -> Option<PathBuf> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    [
        std::env::var_os("BASINTWIN_VALIDATION_DATA").map(PathBuf::from),
        Some(here.join("../../../shared/validation")),
        Some(PathBuf::from("../shared/validation")),
    ]
    .into_iter()
    .flatten()
    .map(|d| d.join(sub))
    .find(|d| files.iter().all(|f| d.join(f).is_file()))
}

fn path_str(p: &Path) -> String {
    p.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_of_halving_errors() {
        assert!((order(1.0, 0.5) - 1.0).abs() < 1e-12);
        assert!((order(1.0, 0.25) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn every_case_sets_up_at_every_size() {
        for c in Case::ALL {
            for n in c.sizes(true) {
                let s = setup(c, n).unwrap();
                if !c.by_symmetry() {
                    assert_eq!(s.exact.len(), s.grid.cells());
                }
                assert!(s.t_end > 0.0);
            }
        }
    }
}

/// The Soares-Frazão & Zech (2007) flume (EA Test 6A at lab scale): a dam-break bore through a
/// 1 m gate against a rotated building, with the depths measured at gauges G1–G6 for 30 s.
/// Geometry from the set-up sketch shipped with the data (`UCL_obstacle.TIF`): reservoir
/// 6.75 m long, 0.40 m deep; dam wall 0.80 m thick with a central 1.0 m gate; channel 3.6 m
/// wide with 0.34 m side banks rising 0.155 m, 0.02 m of water; building 0.80 m x 0.40 m, its
/// long sides at 64 degrees to the flume axis, its upstream corner 3.44 m downstream of the dam
/// and 1.75 m from the right bank (the short side runs downstream from it at -26 degrees);
/// Manning n = 0.01. The channel is cut at x = 12 m with free outflow: modelling the whole
/// 35.8 m flume closed at its end gave the same gauge series to the printed digits (as the
/// sketch says, the end wall has no influence within 30 s) at twice the cost.
mod flume {
    use std::path::{Path, PathBuf};

    use anyhow::{Result, anyhow};
    use basintwin_core::{
        Backend, Boundaries, BoundaryKind, Grid, Manning, Real, Scheme, SolverConfig, State,
        Terrain,
    };

    use basintwin_runner::run::InputError;

    /// Depths at the six gauges over time: (t, [h at G1..G6]).
    pub type Series = Vec<(f64, [f64; 6])>;
    /// A run's gauge series, steps, wall time (s) and relative mass error.
    pub type Outcome = (Series, u64, f64, f64);

    pub const GAUGES: [(&str, f64, f64); 6] = [
        ("G1", 2.65, 1.15),
        ("G2", 2.65, -0.60),
        ("G3", 4.00, 1.15),
        ("G4", 4.00, -0.80),
        ("G5", 5.20, 0.30),
        ("G6", -1.87, 1.10),
    ];
    const X0: f64 = -7.55;
    const X1: f64 = 12.0;
    const Y0: f64 = -1.8;
    const WIDTH: f64 = 3.6;
    pub const DURATION_S: f64 = 30.0;
    pub const SAMPLE_S: f64 = 0.1;

    /// The data folder, when this machine has it.
    pub fn data_dir() -> Option<PathBuf> {
        super::validation_data(
            "isolated-building-soares-frazao",
            &["building_gauges_h.txt.gz"],
        )
    }

    /// Measured depths: (t, [h at G1..G6]).
    pub fn measured(dir: &Path) -> Result<Vec<(f64, [f64; 6])>> {
        use std::io::Read;
        let p = dir.join("building_gauges_h.txt.gz");
        let f = std::fs::File::open(&p).map_err(|e| anyhow!("{}: {e}", p.display()))?;
        let mut text = String::new();
        flate2::read::GzDecoder::new(f)
            .read_to_string(&mut text)
            .map_err(|e| anyhow!("{}: {e}", p.display()))?;
        let mut out = Vec::new();
        for line in text.lines().skip(2) {
            let v: Vec<f64> = line
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            if v.len() == 7 {
                out.push((v[0], [v[1], v[2], v[3], v[4], v[5], v[6]]));
            }
        }
        if out.len() < 100 {
            return Err(anyhow!(
                "{}: expected time and six depths per line",
                p.display()
            ));
        }
        Ok(out)
    }

    /// Is `(x, y)` inside the building?
    fn in_building(x: f64, y: f64) -> bool {
        let (c, s) = (64f64.to_radians().cos(), 64f64.to_radians().sin());
        // Upstream corner; long side (0.80) along (c, s), short side (0.40) along (s, -c).
        let (bx, by) = (3.44, Y0 + 1.75);
        let (dx, dy) = (x - bx, y - by);
        let along = dx * c + dy * s;
        let across = dx * s - dy * c;
        (0.0..=0.80).contains(&along) && (0.0..=0.40).contains(&across)
    }

    pub struct Model {
        pub grid: Grid,
        pub terrain: Terrain,
        pub depth: Vec<f64>,
        pub gauge_cells: Vec<usize>,
        pub boundaries: Boundaries,
        pub forcing: basintwin_core::Forcing,
        pub duration_s: f64,
        pub sample_s: f64,
    }

    pub fn model(cell_m: f64) -> Result<Model> {
        let input = |e: basintwin_core::CoreError| anyhow!(InputError(e.to_string()));
        let nx = ((X1 - X0) / cell_m).round() as usize;
        let ny = (WIDTH / cell_m).round() as usize;
        let grid =
            Grid::georeferenced(nx, ny, cell_m, cell_m, X0, Y0, String::new()).map_err(input)?;
        let bank = |y: f64| {
            let d = y.abs() - (WIDTH / 2.0 - 0.34);
            if d > 0.0 { 0.155 * d / 0.34 } else { 0.0 }
        };
        let bed = grid.map_centres(|_, y| bank(y));
        let active: Vec<bool> = (0..grid.cells())
            .map(|k| {
                let (x, y) = grid.cell_centre_m(k % nx, k / nx);
                let dam = (-0.80..0.0).contains(&x) && y.abs() > 0.5;
                !(dam || in_building(x, y))
            })
            .collect();
        let depth: Vec<f64> = (0..grid.cells())
            .map(|k| {
                let (x, y) = grid.cell_centre_m(k % nx, k / nx);
                let level = if x < -0.80 { 0.40 } else { 0.02 };
                if active[k] {
                    (level - bank(y)).max(0.0)
                } else {
                    0.0
                }
            })
            .collect();
        let terrain =
            Terrain::with_mask(&grid, bed, active, Manning::Uniform(0.01)).map_err(input)?;
        let gauge_cells = GAUGES
            .iter()
            .map(|&(_, x, y)| {
                grid.cell_at(x, y)
                    .map(|(i, j)| grid.index(i, j))
                    .ok_or_else(|| anyhow!("gauge at ({x}, {y}) outside the flume grid"))
            })
            .collect::<Result<_>>()?;
        Ok(Model {
            grid,
            terrain,
            depth,
            gauge_cells,
            boundaries: Boundaries {
                east: BoundaryKind::Free,
                ..Boundaries::walls()
            },
            forcing: Default::default(),
            duration_s: DURATION_S,
            sample_s: SAMPLE_S,
        })
    }

    /// Runs `m` with one scheme on one backend and precision, sampling the depth at its six
    /// gauges every `m.sample_s` (the flume and EA Test 4 share it).
    pub fn run_model(m: &Model, scheme: Scheme, backend: &str, precision: &str) -> Result<Outcome> {
        let cfg = SolverConfig::new(scheme).with_boundaries(m.boundaries);
        fn go<B: Backend>(mut b: B, m: &Model) -> Result<Outcome> {
            let start = std::time::Instant::now();
            let mut out = Vec::new();
            let mut s = State::<B::Real>::dry(m.grid.cells());
            let n = (m.duration_s / m.sample_s).round() as usize;
            for k in 0..=n {
                let t = k as f64 * m.sample_s;
                b.advance_to(t)?;
                b.read_state(&mut s)?;
                let mut row = [0.0; 6];
                for (g, &c) in m.gauge_cells.iter().enumerate().take(6) {
                    row[g] = s.h[c].f64();
                }
                out.push((t, row));
            }
            Ok((
                out,
                b.steps(),
                start.elapsed().as_secs_f64(),
                b.ledger().relative_error(),
            ))
        }
        struct Gauges<'a>(&'a Model);
        impl basintwin_runner::BackendJob for Gauges<'_> {
            type Output = Outcome;
            fn initial_state<R: Real>(&self, _: &mut basintwin_core::Terrain) -> State<R> {
                State::from_depth(&self.0.depth)
            }
            fn run<B: Backend>(self, b: B) -> Result<Outcome> {
                go(b, self.0)
            }
        }
        let inp = basintwin_runner::BackendInput {
            grid: &m.grid,
            terrain: &m.terrain,
            solver: &cfg,
            forcing: Some(&m.forcing),
            tracked: &[],
            threads: None,
            interrupt: None,
            context: String::new(),
        };
        basintwin_runner::dispatch(super::choice(backend, precision)?, &inp, Gauges(m))
    }

    /// Root-mean-square difference over the run and the bore's arrival time (the steepest rise
    /// over 0.2 s in the first 10 s) of gauge `g`, computed against measured (nearest measured
    /// sample in time).
    pub fn compare(
        computed: &[(f64, [f64; 6])],
        measured: &[(f64, [f64; 6])],
        g: usize,
    ) -> (f64, Option<f64>, Option<f64>) {
        let at = |t: f64| -> f64 {
            let k = measured
                .partition_point(|(tm, _)| *tm < t)
                .min(measured.len() - 1);
            measured[k].1[g]
        };
        let mut sq = 0.0;
        for (t, h) in computed {
            let d = h[g] - at(*t);
            sq += d * d;
        }
        let rmse = (sq / computed.len() as f64).sqrt();
        let times: Vec<f64> = computed
            .iter()
            .map(|(t, _)| *t)
            .filter(|&t| t <= 10.0)
            .collect();
        let bore = |h: &dyn Fn(f64) -> f64| -> Option<f64> {
            times
                .iter()
                .map(|&t| (t, h(t + 0.2) - h(t)))
                .filter(|&(_, rise)| rise > 0.02)
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(t, _)| t + 0.1)
        };
        let comp = |t: f64| -> f64 {
            let k = computed
                .partition_point(|(tc, _)| *tc < t - 1e-9)
                .min(computed.len() - 1);
            computed[k].1[g]
        };
        (rmse, bore(&comp), bore(&at))
    }
}

/// UK Environment Agency benchmark Test 4 (Néelz & Pender 2013, EA report SC120002): flood
/// propagation over a flat, dry 1000 m x 2000 m floodplain from a 20 m breach in the middle of
/// its western side (inflow hydrograph `BC.csv`: 0 until 5 min, 20 m3/s from 60 to 240 min, 0 at
/// 300 min), Manning n = 0.05, 5 hours, output points 1–6 (`gauge_loc.csv`; both from
/// `../shared/validation/ea-benchmark/test4_flood_speed`). There is no closed form: the report
/// compares packages with each other, and its peer results are not available here, so the
/// section gives our arrival times and peak levels per resolution, their convergence, and the
/// water budget.
mod ea4 {
    use std::path::{Path, PathBuf};

    use anyhow::{Context, Result, anyhow};
    use basintwin_core::{
        Boundaries, BoundarySegment, Forcing, Grid, SegmentKind, Series, Side, Terrain,
    };

    use super::flume::Model;
    use basintwin_runner::run::InputError;

    pub const DURATION_S: f64 = 18_000.0;
    pub const SAMPLE_S: f64 = 30.0;
    /// Arrival: the depth first reaches this (m).
    pub const ARRIVAL_M: f64 = 0.1;

    pub fn data_dir() -> Option<PathBuf> {
        super::validation_data(
            "ea-benchmark/test4_flood_speed",
            &["BC.csv", "gauge_loc.csv"],
        )
    }

    fn rows(path: &Path) -> Result<Vec<Vec<f64>>> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        text.lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                l.split(',')
                    .map(|v| v.trim().parse::<f64>())
                    .collect::<Result<Vec<f64>, _>>()
                    .map_err(|e| anyhow!("{}: {l:?}: {e}", path.display()))
            })
            .collect()
    }

    /// Pairs of numbers: (time s, inflow m3/s) or (x m, y m).
    pub type Pairs = Vec<(f64, f64)>;

    /// The inflow hydrograph (s, m3/s) and the six output points (m).
    pub fn inputs(dir: &Path) -> Result<(Pairs, Pairs)> {
        let bc = rows(&dir.join("BC.csv"))?
            .into_iter()
            .filter_map(|r| (r.len() >= 2).then(|| (r[0] * 60.0, r[1])))
            .collect::<Vec<_>>();
        let pts = rows(&dir.join("gauge_loc.csv"))?
            .into_iter()
            .filter_map(|r| (r.len() >= 3).then(|| (r[1], r[2])))
            .collect::<Vec<_>>();
        if bc.len() < 2 || pts.len() != 6 {
            return Err(anyhow!(
                "{}: expected an inflow series and six output points",
                dir.display()
            ));
        }
        Ok((bc, pts))
    }

    /// The floodplain at `cell_m`; the breach is the western cells the 20 m line
    /// y = 990..1010 m overlaps (exactly 20 m at 10 m cells; two cells, 80 m, at 40 m).
    pub fn model(cell_m: f64, bc: &[(f64, f64)], pts: &[(f64, f64)]) -> Result<Model> {
        let input = |e: basintwin_core::CoreError| anyhow!(InputError(e.to_string()));
        let (nx, ny) = (
            (1000.0 / cell_m).round() as usize,
            (2000.0 / cell_m).round() as usize,
        );
        let grid = Grid::new(nx, ny, cell_m, cell_m).map_err(input)?;
        let terrain = Terrain::new(&grid, vec![0.0; grid.cells()], 0.05).map_err(input)?;
        let j0 = (990.0 / cell_m).floor() as usize;
        let j1 = (1010.0 / cell_m).ceil() as usize;
        let gauge_cells = pts
            .iter()
            .map(|&(x, y)| {
                let i = ((x / cell_m).floor() as usize).min(nx - 1);
                let j = ((y / cell_m).floor() as usize).min(ny - 1);
                j * nx + i
            })
            .collect();
        Ok(Model {
            depth: vec![0.0; grid.cells()],
            forcing: Forcing {
                boundaries: vec![BoundarySegment {
                    name: "breach".into(),
                    side: Side::West,
                    cells: j0..j1,
                    kind: SegmentKind::Inflow(Series::new(bc.to_vec(), "inflow").map_err(input)?),
                }],
                ..Default::default()
            },
            grid,
            terrain,
            gauge_cells,
            boundaries: Boundaries::walls(),
            duration_s: DURATION_S,
            sample_s: SAMPLE_S,
        })
    }

    /// First time the depth reaches [`ARRIVAL_M`] at gauge `g`, and the peak depth and its time.
    pub fn arrival_and_peak(series: &[(f64, [f64; 6])], g: usize) -> (Option<f64>, f64, f64) {
        let arrival = series
            .iter()
            .find(|(_, h)| h[g] >= ARRIVAL_M)
            .map(|(t, _)| *t);
        let (tp, hp) =
            series
                .iter()
                .map(|(t, h)| (*t, h[g]))
                .fold(
                    (0.0, f64::NEG_INFINITY),
                    |a, b| if b.1 > a.1 { b } else { a },
                );
        (arrival, hp, tp)
    }
}
