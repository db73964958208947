//! The validation cases with a closed form (or a symmetry): their names, resolutions and
//! set-ups. The set-ups the physics tests (`engine/tests`) run as well come from the core's
//! [`basintwin_core::cases`]: the channel dam breaks, Thacker's paraboloids, rain on a plane.

use anyhow::{Result, anyhow};
use basintwin_core::analytic::{MacDonald, StepDamBreak, ThackerPlanar, ThackerRadial, dam_break};
use basintwin_core::cases::{self, Analytic};
use basintwin_core::{
    Boundaries, BoundarySegment, Forcing, Grid, SegmentKind, Series, Side, Terrain,
};
use basintwin_runner::run::InputError;

const G: f64 = 9.81;

/// The time the `rain_plane` case is compared at (s): the rising limb.
pub(super) const RAIN_PLANE_S: f64 = 1800.0;

/// One validation case.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Case {
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
    pub const ALL: [Case; 11] = [
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

    pub fn name(self) -> &'static str {
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

    pub fn title(self) -> &'static str {
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
    pub fn sizes(self, quick: bool) -> [usize; 3] {
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
    pub fn is_1d(self) -> bool {
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
    pub fn by_symmetry(self) -> bool {
        self == Case::RadialDamBreak
    }
}

/// A case at one resolution: grid, terrain, starting water, edges and forcing; the end time and
/// the exact depth at the end at each cell centre.
#[derive(Debug)]
pub(super) struct Setup {
    pub model: Analytic,
    /// Water at rest at this level: the initial state comes from `State::from_level` in the
    /// working precision (instead of the model's depths), as `initial.water_level` does.
    pub level: Option<f64>,
    pub t_end: f64,
    /// Empty for a case measured by symmetry.
    pub exact: Vec<f64>,
}

impl Setup {
    pub fn grid(&self) -> &Grid {
        &self.model.case.grid
    }

    /// `model` run to `t_end`, against `exact(x, y)` at the cell centres.
    fn against(model: Analytic, t_end: f64, exact: impl Fn(f64, f64) -> f64) -> Setup {
        Setup {
            exact: model.case.grid.map_centres(exact),
            model,
            level: None,
            t_end,
        }
    }
}

/// The set-up of `case` at `n` cells along x.
pub(super) fn setup(case: Case, n: usize) -> Result<Setup> {
    let input = |e: basintwin_core::CoreError| anyhow!(InputError(e.to_string()));
    match case {
        Case::LakeAtRest => lake_at_rest(n).map_err(input),
        Case::Ritter | Case::Stoker => {
            let (x0, t, hl) = (50.0, 5.0, 1.0);
            let hr = if case == Case::Ritter { 0.0 } else { 0.1 };
            let model = cases::channel_dam_break(n, 100.0, x0, (hl, hr), |_| 0.0).map_err(input)?;
            Ok(Setup::against(model, t, |x, _| {
                dam_break(hl, hr, x0, x, t, G).0
            }))
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
            let model =
                cases::channel_dam_break(n, 100.0, sd.x0, (sd.h_left, sd.h_right), |x| sd.bed_m(x))
                    .map_err(input)?;
            Ok(Setup::against(model, t, |x, _| sd.solution(&st, x, t).0))
        }
        Case::Thacker => {
            let (th, model) = (
                ThackerPlanar::default(),
                cases::thacker_planar(n).map_err(input)?,
            );
            let t = th.period_s();
            Ok(Setup::against(model, t, |x, y| th.solution(x, y, t).0))
        }
        Case::ThackerRadial => {
            let (th, model) = (
                ThackerRadial::default(),
                cases::thacker_radial(n).map_err(input)?,
            );
            let t = th.period_s();
            Ok(Setup::against(model, t, |x, y| th.solution(x, y, t).0))
        }
        Case::MacDonald | Case::MacDonaldRain | Case::MacDonaldJump => {
            macdonald(case, n).map_err(input)
        }
        Case::RainPlane => {
            let model = cases::rain_plane(n).map_err(input)?;
            Ok(Setup::against(model, RAIN_PLANE_S, |x, _| {
                cases::RAIN_PLANE.depth_m(x, RAIN_PLANE_S)
            }))
        }
        Case::RadialDamBreak => radial_dam_break(n).map_err(input),
    }
}

/// A lake at rest at 1 m over a 20 m square with an emerged bump and a submerged one, walls,
/// for 20 s: the exact depth is the starting one.
fn lake_at_rest(n: usize) -> basintwin_core::Result<Setup> {
    let l = 20.0;
    let d = l / n as f64;
    let grid = Grid::new(n, n, d, d)?;
    let bed = grid.map_centres(|x, y| {
        0.8 * (-((x - 7.0).powi(2) + (y - 10.0).powi(2)) / 6.0).exp()
            + 1.3 * (-((x - 14.0).powi(2) + (y - 9.0).powi(2)) / 3.0).exp()
            + 0.1 * (x / 3.0).sin()
    });
    let terrain = Terrain::new(&grid, bed.clone(), 0.03)?;
    let h: Vec<f64> = bed.iter().map(|z| (1.0 - z).max(0.0)).collect();
    Ok(Setup {
        level: Some(1.0),
        exact: h.clone(),
        model: at_rest("lake at rest", grid, terrain, h),
        t_end: 20.0,
    })
}

/// MacDonald's steady flows (subcritical; with rain; transcritical with a jump) in a channel of
/// `n` cells: the bed that makes the depth profile steady, started from the steady state, its
/// discharge flowing in at the west end and the exact depth held at the east end.
fn macdonald(case: Case, n: usize) -> basintwin_core::Result<Setup> {
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
    let grid = Grid::new(n, 1, d, d)?;
    let bed = grid.map_centres(|x, _| m.bed_m(x));
    let terrain = Terrain::new(&grid, bed, m.manning)?;
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
    let qx = grid.map_centres(|x, _| m.discharge_m2_s(x));
    let mut model = at_rest("MacDonald", grid, terrain, h.clone());
    model.qx_m2_s = qx;
    model.forcing = forcing;
    Ok(Setup {
        level: None,
        exact: h,
        model,
        t_end: match case {
            Case::MacDonaldRain => 2500.0,
            Case::MacDonaldJump => 600.0,
            _ => 1500.0,
        },
    })
}

/// A cylinder of water 2 m deep and 8 m in radius in 1 m of water at the middle of a flat,
/// frictionless 40 m square, walls, released for 1 s. No closed form: measured by symmetry.
fn radial_dam_break(n: usize) -> basintwin_core::Result<Setup> {
    let l = 40.0;
    let d = l / n as f64;
    let grid = Grid::new(n, n, d, d)?;
    let terrain = Terrain::new(&grid, vec![0.0; grid.cells()], 0.0)?;
    let h = grid.map_centres(|x, y| {
        if (x - 20.0).powi(2) + (y - 20.0).powi(2) < 64.0 {
            2.0
        } else {
            1.0
        }
    });
    Ok(Setup {
        level: None,
        exact: Vec::new(),
        model: at_rest("radial dam break", grid, terrain, h),
        t_end: 1.0,
    })
}

/// Still water `depth_m` deep over `terrain`, walls, no forcing.
fn at_rest(name: &'static str, grid: Grid, terrain: Terrain, depth_m: Vec<f64>) -> Analytic {
    let cells = grid.cells();
    Analytic {
        case: cases::Case {
            name,
            grid,
            terrain,
            depth_m,
        },
        qx_m2_s: vec![0.0; cells],
        qy_m2_s: vec![0.0; cells],
        boundaries: Boundaries::walls(),
        forcing: Forcing::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_sets_up_at_every_size() {
        for c in Case::ALL {
            for n in c.sizes(true) {
                let s = setup(c, n).unwrap();
                if !c.by_symmetry() {
                    assert_eq!(s.exact.len(), s.grid().cells());
                }
                assert!(s.t_end > 0.0);
            }
        }
    }
}
