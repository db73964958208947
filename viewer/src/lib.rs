//! `basintwin-viewer`: the basin twin in 3D for the control room. It replays a finished run,
//! follows one being written, or runs a scenario in-process, and shows the terrain, the water
//! (by depth, speed or hazard, with a legend), the gauges with their warning levels and
//! hydrographs, and a timeline. It consumes snapshots; it never calls the numerics.
//!
//! One concern per plugin: [`terrain`], [`water`], [`gauges`], [`camera`], [`timeline`],
//! [`ui`], [`source`] (live and followed runs), [`capture`] (headless screenshots).

pub mod camera;
pub mod capture;
pub mod colormap;
pub mod data;
pub mod ensemble;
pub mod gauges;
pub mod mesh;
pub mod source;
pub mod terrain;
pub mod timeline;
pub mod ui;
pub mod water;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use bevy::app::ScheduleRunnerPlugin;
use bevy::core_pipeline::tonemapping::Tonemapping;
use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::window::{ExitCondition, WindowResolution};
use bevy::winit::WinitPlugin;

use crate::camera::{OrbitCamera, Viewpoint, Viewpoints};
use crate::colormap::{ColorMode, nice_ceiling};
use crate::data::RunData;
use crate::mesh::Geo;
use crate::timeline::Timeline;

/// What the user chose to see (the interface changes it).
#[derive(Debug, Clone, PartialEq, Resource)]
pub struct ViewSettings {
    pub color_mode: ColorMode,
    /// Top of the colour bar (m or m/s).
    pub legend_max: f32,
    pub exaggeration: f32,
    pub arrows: bool,
    /// Of an ensemble run, the exceedance map shown (index into its depths).
    pub exceedance: usize,
}

/// The world frame of the run and the entity the terrain and water hang from (its scale is
/// the vertical exaggeration).
#[derive(Debug, Clone, Resource)]
pub struct Basin {
    pub geo: Geo,
    pub root: Entity,
}

/// How the viewer was asked to start.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub color_mode: ColorMode,
    pub legend_max: Option<f32>,
    pub exaggeration: Option<f32>,
    pub arrows: bool,
    /// An ensemble run's exceedance map to show (its depth, m; default: the first).
    pub exceedance_depth: Option<f64>,
    /// Start at this simulated time (s).
    pub time: Option<f64>,
    /// Start at this viewpoint.
    pub viewpoint: Option<String>,
    /// More viewpoints (a viewer config file).
    pub viewpoints: Vec<Viewpoint>,
    /// Render one frame to this PNG and exit.
    pub screenshot: Option<PathBuf>,
    /// Headless: time this many frames and print the frame time.
    pub bench_frames: Option<u32>,
    pub width: u32,
    pub height: u32,
    /// Poll for new snapshots (live or followed runs).
    pub follow: bool,
    pub live: Option<source::LiveRun>,
    /// Advance the clock by this much per frame instead of by the wall clock (tests).
    pub fixed_frame_s: Option<f64>,
}

/// A viewer config: viewpoints (`[[viewpoint]] name, at = [x, y], distance_m, from_deg,
/// pitch_deg`).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewerConfig {
    #[serde(default)]
    pub viewpoint: Vec<Viewpoint>,
}

impl ViewerConfig {
    pub fn load(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read the viewer config", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
    }
}

/// The viewpoints of a run: an overview, one per gauge, then the configured ones.
pub fn default_viewpoints(run: &RunData, geo: &Geo, extra: &[Viewpoint]) -> Vec<Viewpoint> {
    let (w, d) = geo.extent();
    let mut v = vec![Viewpoint {
        name: "overview".into(),
        at: [geo.xc, geo.yc],
        distance_m: 0.75 * w.max(d),
        from_deg: 180.0,
        pitch_deg: 45.0,
    }];
    for g in &run.gauges {
        v.push(Viewpoint {
            name: g.name.clone(),
            at: [g.x, g.y],
            distance_m: 0.3 * w.max(d),
            from_deg: 180.0,
            pitch_deg: 35.0,
        });
    }
    v.extend(extra.iter().cloned());
    v
}

/// Builds the viewer's app for `run`.
pub fn app(mut run: RunData, opts: Options) -> Result<App> {
    if run.times().is_empty() {
        return Err(anyhow!(
            "{}: the run has no snapshots yet",
            run.dir.display()
        ));
    }
    let exceedance = exceedance_index(&run, &opts)?;
    let headless = opts.screenshot.is_some() || opts.bench_frames.is_some();
    let mut app = App::new();
    add_window_and_render(
        &mut app,
        headless,
        &opts,
        format!("basintwin — {}", run.title()),
    );
    // The interface has its own camera over the whole target; the 3D camera draws into what the
    // panels leave.
    app.insert_resource(bevy_egui::EguiGlobalSettings {
        auto_create_primary_context: false,
        ..default()
    })
    .add_plugins(bevy_egui::EguiPlugin::default());
    if let Some(dt) = opts.fixed_frame_s {
        app.insert_resource(bevy::time::TimeUpdateStrategy::ManualDuration(
            Duration::from_secs_f64(dt),
        ));
    }

    let geo = world_frame(&run);
    let mut timeline = Timeline::new(run.times().to_vec());
    if let Some(t) = opts.time {
        timeline.seek(t);
    }
    timeline.follow_latest = opts.follow && opts.time.is_none();
    let legend_max = opts
        .legend_max
        .unwrap_or_else(|| legend_top(&mut run, opts.color_mode));
    let (w, d) = geo.extent();
    let (lo, hi) = run.z_range();
    // Relief drawn at a visible fraction of the extent unless asked otherwise.
    let relief = f64::from((hi - lo).max(0.1));
    let exaggeration = opts
        .exaggeration
        .unwrap_or(((0.04 * w.max(d) / relief).clamp(1.0, 5.0)) as f32);
    let viewpoints = default_viewpoints(&run, &geo, &opts.viewpoints);
    let start_view = start_viewpoint(&viewpoints, opts.viewpoint.as_deref())?;
    let root = app
        .world_mut()
        .spawn((
            Name::new("basin"),
            Transform::from_scale(Vec3::new(1.0, exaggeration, 1.0)),
            Visibility::default(),
        ))
        .id();
    let basin = Basin { geo, root };
    let v = &viewpoints[start_view];
    let ground = camera::ground_at(&run, &basin, v.at[0], v.at[1]);
    let orbit = OrbitCamera::from_viewpoint(v, &basin, ground);
    let far = (3.0 * w.max(d)) as f32 + orbit.distance * 2.0;
    let capture_target = headless.then(|| capture::target_image(&mut app, opts.width, opts.height));
    spawn_cameras_and_light(&mut app, orbit, far, exaggeration, capture_target.as_ref());
    app.insert_resource(ClearColor(Color::srgb(0.86, 0.88, 0.89)));
    app.insert_resource(ViewSettings {
        color_mode: opts.color_mode,
        legend_max,
        exaggeration,
        arrows: opts.arrows,
        exceedance,
    })
    .insert_resource(Viewpoints(viewpoints))
    .insert_resource(timeline)
    .insert_resource(basin)
    .insert_resource(run)
    .add_plugins((
        timeline::TimelinePlugin,
        terrain::TerrainPlugin,
        water::WaterPlugin,
        gauges::GaugePlugin,
        camera::CameraPlugin,
        ui::UiPlugin,
        source::SourcePlugin,
    ))
    .add_systems(
        Update,
        apply_exaggeration.in_set(timeline::ViewerSet::Scene),
    );
    if opts.follow {
        app.insert_resource(source::Follow {
            every: Duration::from_millis(500),
        });
    }
    if let Some(live) = opts.live {
        app.insert_resource(live);
    }
    if let Some(image) = capture_target {
        app.add_plugins(capture::CapturePlugin {
            path: opts.screenshot,
            image,
            bench_frames: opts.bench_frames,
        });
    }
    Ok(app)
}

/// bevy's default plugins: a window, or none and a run loop for headless captures.
fn add_window_and_render(app: &mut App, headless: bool, opts: &Options, title: String) {
    let render = RenderPlugin {
        synchronous_pipeline_compilation: headless,
        ..default()
    };
    if headless {
        app.add_plugins(
            DefaultPlugins
                .set(WindowPlugin {
                    primary_window: None,
                    exit_condition: ExitCondition::DontExit,
                    ..default()
                })
                .set(render)
                .disable::<WinitPlugin>(),
        )
        .add_plugins(ScheduleRunnerPlugin::run_loop(Duration::ZERO));
    } else {
        app.add_plugins(
            DefaultPlugins
                .set(WindowPlugin {
                    primary_window: Some(Window {
                        title,
                        resolution: WindowResolution::new(opts.width, opts.height),
                        ..default()
                    }),
                    ..default()
                })
                .set(render),
        );
    }
}

/// The world frame: centred on the domain, heights above the lowest bed.
fn world_frame(run: &RunData) -> Geo {
    let (zlo, _) = run.z_range();
    let (nx, ny) = (run.nx, run.ny);
    let (x0, y0) = run.centre(0, 0);
    let (x1, y1) = run.centre(nx - 1, ny - 1);
    Geo {
        nx,
        ny,
        dx: run.dx,
        dy: run.dy,
        x0,
        y0,
        xc: (x0 + x1) / 2.0,
        yc: (y0 + y1) / 2.0,
        zc: zlo,
    }
}

/// The index of the viewpoint named by `--viewpoint` (the first without one).
/// Which of an ensemble run's exceedance maps to show; the exceedance colours need one.
fn exceedance_index(run: &RunData, opts: &Options) -> Result<usize> {
    let depths = run.ensemble.as_ref().map(|e| e.depths_m.as_slice());
    match (depths, opts.exceedance_depth) {
        (None, _) if opts.color_mode == ColorMode::Exceedance => Err(anyhow!(
            "--color exceedance: {} is not an ensemble run (no exceedance maps)",
            run.dir.display()
        )),
        (None, Some(d)) => Err(anyhow!(
            "--exceedance-depth {d}: {} is not an ensemble run",
            run.dir.display()
        )),
        (Some(ds), Some(d)) => ds
            .iter()
            .position(|&x| (x - d).abs() < 1e-9)
            .ok_or_else(|| {
                anyhow!("--exceedance-depth {d}: the run has exceedance maps for {ds:?} m")
            }),
        _ => Ok(0),
    }
}

fn start_viewpoint(viewpoints: &[Viewpoint], name: Option<&str>) -> Result<usize> {
    let Some(name) = name else { return Ok(0) };
    viewpoints
        .iter()
        .position(|v| v.name == name)
        .ok_or_else(|| {
            anyhow!(
                "--viewpoint {name}: no such viewpoint (there are: {})",
                viewpoints
                    .iter()
                    .map(|v| v.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// The 3D camera (orbiting), the interface's camera over it, the sun and the sky; both cameras
/// draw into `capture_target` when capturing headless.
fn spawn_cameras_and_light(
    app: &mut App,
    orbit: OrbitCamera,
    far: f32,
    exaggeration: f32,
    capture_target: Option<&Handle<Image>>,
) {
    let mut camera = app.world_mut().spawn((
        Camera3d::default(),
        Projection::Perspective(PerspectiveProjection {
            near: (far * 1e-5).max(0.01),
            far,
            ..default()
        }),
        Tonemapping::None,
        orbit.transform(exaggeration),
        orbit,
    ));
    if let Some(image) = capture_target {
        camera.insert(bevy::camera::RenderTarget::Image(image.clone().into()));
    }
    let mut ui_camera = app.world_mut().spawn((
        Camera2d,
        Camera {
            order: 1,
            clear_color: bevy::camera::ClearColorConfig::None,
            ..default()
        },
        bevy_egui::PrimaryEguiContext,
    ));
    if let Some(image) = capture_target {
        ui_camera.insert(bevy::camera::RenderTarget::Image(image.clone().into()));
    }
    app.world_mut().spawn((
        DirectionalLight {
            illuminance: 9000.0,
            shadow_maps_enabled: false,
            ..default()
        },
        // Sun from the north-west, 45 degrees up (world: north is -z).
        Transform::from_xyz(-1.0, 1.4, -1.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));
    app.insert_resource(GlobalAmbientLight {
        brightness: 400.0,
        ..default()
    });
}

/// The top of the colour bar: a round number above the 98th percentile of the wet cells' depth (or
/// speed) in the last snapshot.
fn legend_top(run: &mut RunData, mode: ColorMode) -> f32 {
    let Some(last) = run.times().len().checked_sub(1) else {
        return 1.0;
    };
    let Ok(f) = run.frame(last) else { return 1.0 };
    let v = match mode {
        ColorMode::Speed => &f.speed,
        _ => &f.h,
    };
    let mut vals: Vec<f32> = v
        .iter()
        .copied()
        .filter(|x| x.is_finite() && *x > data::WET_M)
        .collect();
    if vals.is_empty() {
        return 1.0;
    }
    vals.sort_by(f32::total_cmp);
    nice_ceiling(vals[(vals.len() - 1) * 98 / 100])
}

fn apply_exaggeration(
    settings: Res<ViewSettings>,
    basin: Res<Basin>,
    mut q: Query<&mut Transform>,
) {
    if let Ok(mut t) = q.get_mut(basin.root)
        && t.scale.y != settings.exaggeration
    {
        t.scale.y = settings.exaggeration;
    }
}
