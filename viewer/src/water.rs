//! The water: a semi-transparent surface at the free-surface elevation over wet cells, coloured
//! by depth, speed or hazard class, drawn per terrain chunk at that chunk's level of detail (dry
//! corners sink just under the bed so the shoreline is where the surface meets the terrain),
//! and flow arrows on a coarse lattice when asked for.

use std::sync::Arc;

use bevy::prelude::*;

use crate::colormap::{ColorMode, linear, water_srgb};
use crate::data::{Frame, RunData, WET_M};
use crate::mesh::{MeshData, Patch, surface};
use crate::terrain::Chunks;
use crate::timeline::{Timeline, ViewerSet};
use crate::{Basin, ViewSettings};

/// Opacity of the water surface.
pub const WATER_ALPHA: f32 = 0.8;

/// The snapshot on screen.
#[derive(Debug, Resource, Default)]
pub struct CurrentFrame {
    pub index: Option<usize>,
    pub frame: Option<Arc<Frame>>,
    /// Bumped whenever what the water shows changes.
    pub version: u64,
}

#[derive(Debug, Component)]
struct WaterChunk {
    ci: usize,
    cj: usize,
    built: Option<(u64, u8)>,
}

#[derive(Debug, Component)]
struct Arrows {
    built: Option<u64>,
}

#[derive(Debug)]
pub struct WaterPlugin;

impl Plugin for WaterPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<CurrentFrame>()
            .add_systems(Startup, spawn_water)
            .add_systems(
                Update,
                (load_frame, (rebuild_water, rebuild_arrows))
                    .chain()
                    .in_set(ViewerSet::Scene),
            );
    }
}

fn spawn_water(
    mut commands: Commands,
    run: Res<RunData>,
    basin: Res<Basin>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let material = materials.add(StandardMaterial {
        base_color: Color::WHITE,
        alpha_mode: AlphaMode::Blend,
        unlit: true,
        double_sided: true,
        cull_mode: None,
        ..default()
    });
    let chunks = Chunks::new(run.nx, run.ny);
    for cj in 0..chunks.cy {
        for ci in 0..chunks.cx {
            let e = commands
                .spawn((
                    WaterChunk {
                        ci,
                        cj,
                        built: None,
                    },
                    Mesh3d::default(),
                    MeshMaterial3d(material.clone()),
                    Transform::default(),
                    Visibility::Hidden,
                ))
                .id();
            commands.entity(basin.root).add_child(e);
        }
    }
    let arrows = materials.add(StandardMaterial {
        base_color: Color::srgb(0.98, 0.98, 0.98),
        unlit: true,
        double_sided: true,
        cull_mode: None,
        ..default()
    });
    let e = commands
        .spawn((
            Arrows { built: None },
            Mesh3d::default(),
            MeshMaterial3d(arrows),
            Transform::default(),
            Visibility::Hidden,
        ))
        .id();
    commands.entity(basin.root).add_child(e);
}

fn load_frame(
    mut run: ResMut<RunData>,
    timeline: Res<Timeline>,
    settings: Res<ViewSettings>,
    mut current: ResMut<CurrentFrame>,
    mut last_settings: Local<Option<ViewSettings>>,
) {
    if timeline.times.is_empty() {
        return;
    }
    let k = timeline.index();
    let settings_changed = last_settings.as_ref() != Some(&*settings);
    if settings_changed {
        *last_settings = Some(settings.clone());
        current.version += 1;
    }
    if current.index == Some(k) {
        return;
    }
    match run.frame(k) {
        Ok(f) => {
            current.index = Some(k);
            current.frame = Some(f);
            current.version += 1;
        }
        Err(e) => {
            error!("snapshot {k}: {e:#}");
        }
    }
}

/// The water surface over `patch`.
pub fn water_mesh(
    run: &RunData,
    basin: &Basin,
    frame: &Frame,
    settings: &ViewSettings,
    patch: Patch,
) -> MeshData {
    if settings.color_mode == ColorMode::Exceedance
        && let Some(p) = run
            .ensemble
            .as_ref()
            .and_then(|e| e.exceedance.get(settings.exceedance))
    {
        return exceedance_mesh(run, basin, frame, p, patch);
    }
    let nx = run.nx;
    let (z, h) = (&run.z, &frame.h);
    let wet = |c: usize| h[c].is_finite() && h[c] > WET_M;
    // Most chunks of a large basin are dry: skip them before building any vertex.
    let any_wet = (patch.j0..=patch.j1).any(|j| (patch.i0..=patch.i1).any(|i| wet(j * nx + i)));
    if !any_wet {
        return MeshData::default();
    }
    // Dry corners sink under the bed (a tenth of a metre, or more on coarse levels).
    let sink = (0.1f64).max(patch.stride as f64 * run.dx.abs() * 0.02) as f32;
    let height = |i: usize, j: usize| {
        let c = j * nx + i;
        let zc = z[c];
        if !zc.is_finite() {
            return None;
        }
        Some(if wet(c) { zc + h[c] } else { zc - sink })
    };
    let color = |i: usize, j: usize| {
        let c = j * nx + i;
        let (d, s) = if wet(c) {
            (h[c], frame.speed[c])
        } else {
            (0.0, 0.0)
        };
        linear(
            water_srgb(settings.color_mode, d, s, settings.legend_max),
            WATER_ALPHA,
        )
    };
    let keep = |corners: [(usize, usize); 4]| corners.iter().any(|&(i, j)| wet(j * nx + i));
    surface(&basin.geo, patch, &height, &color, &keep, None)
}

/// An ensemble's exceedance probability over `patch`: a surface over every cell some member
/// floods beyond the depth, coloured by the probability, at the mean water level (or just
/// above the bed where the mean is dry).
fn exceedance_mesh(
    run: &RunData,
    basin: &Basin,
    frame: &Frame,
    p: &[f32],
    patch: Patch,
) -> MeshData {
    let nx = run.nx;
    let (z, h) = (&run.z, &frame.h);
    let hit = |c: usize| p[c].is_finite() && p[c] > 0.0;
    if !(patch.j0..=patch.j1).any(|j| (patch.i0..=patch.i1).any(|i| hit(j * nx + i))) {
        return MeshData::default();
    }
    let sink = (0.1f64).max(patch.stride as f64 * run.dx.abs() * 0.02) as f32;
    let height = |i: usize, j: usize| {
        let c = j * nx + i;
        let zc = z[c];
        if !zc.is_finite() {
            return None;
        }
        let above = if h[c].is_finite() {
            h[c].max(0.05)
        } else {
            0.05
        };
        Some(if hit(c) { zc + above } else { zc - sink })
    };
    let color = |i: usize, j: usize| {
        let c = j * nx + i;
        let pc = if hit(c) { p[c] } else { 0.0 };
        linear(water_srgb(ColorMode::Exceedance, pc, 0.0, 1.0), WATER_ALPHA)
    };
    let keep = |corners: [(usize, usize); 4]| corners.iter().any(|&(i, j)| hit(j * nx + i));
    surface(&basin.geo, patch, &height, &color, &keep, None)
}

fn rebuild_water(
    run: Res<RunData>,
    basin: Res<Basin>,
    settings: Res<ViewSettings>,
    current: Res<CurrentFrame>,
    chunks: Option<Res<Chunks>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut query: Query<(&mut WaterChunk, &mut Mesh3d, &mut Visibility)>,
) {
    let (Some(frame), Some(chunks)) = (current.frame.as_ref(), chunks) else {
        return;
    };
    let start = std::time::Instant::now();
    let mut rebuilt = 0;
    for (mut wc, mut mesh3d, mut vis) in &mut query {
        let level = chunks.levels[wc.cj * chunks.cx + wc.ci];
        let key = (current.version, level);
        if wc.built == Some(key) {
            continue;
        }
        wc.built = Some(key);
        rebuilt += 1;
        let patch = chunks.patch(run.nx, run.ny, wc.ci, wc.cj, level);
        let data = water_mesh(&run, &basin, frame, &settings, patch);
        if data.is_empty() {
            *vis = Visibility::Hidden;
            continue;
        }
        mesh3d.0 = meshes.add(data.into_mesh());
        *vis = Visibility::Inherited;
    }
    if rebuilt > 0 {
        debug!(
            "water: {rebuilt} chunks rebuilt in {:.1} ms",
            start.elapsed().as_secs_f64() * 1e3
        );
    }
}

/// Arrows along the flow on a lattice of about 60 along the longer side: flat triangles on the
/// water surface, as long as the lattice spacing at the legend's top speed.
pub fn arrow_mesh(run: &RunData, basin: &Basin, frame: &Frame) -> MeshData {
    let (nx, ny) = (run.nx, run.ny);
    let step = (nx.max(ny) / 60).max(1);
    let spacing = (step as f64 * run.dx.abs().max(run.dy.abs())) as f32;
    let vmax = frame
        .speed
        .iter()
        .zip(&frame.h)
        .filter(|(s, h)| s.is_finite() && **h > WET_M)
        .map(|(s, _)| *s)
        .fold(0.0f32, f32::max)
        .max(1e-3);
    let mut m = MeshData::default();
    for j in (step / 2..ny).step_by(step) {
        for i in (step / 2..nx).step_by(step) {
            let c = j * nx + i;
            let (h, z) = (frame.h[c], run.z[c]);
            let s = frame.speed[c];
            if !(h.is_finite() && z.is_finite() && h > WET_M && s > 0.02 * vmax) {
                continue;
            }
            let (x, y) = run.centre(i, j);
            let p = basin.geo.world(x, y, z + h + 0.05);
            // World direction: east = +x, north = -z.
            let (ux, uz) = (frame.u[c] / s, -frame.v[c] / s);
            let len = 0.9 * spacing * (s / vmax).sqrt();
            let w = 0.25 * len;
            let tip = [p[0] + ux * len * 0.5, p[1], p[2] + uz * len * 0.5];
            let back = [p[0] - ux * len * 0.5, p[2] - uz * len * 0.5];
            let (nx_, nz_) = (-uz, ux);
            let base = m.positions.len() as u32;
            m.positions.push(tip);
            m.positions
                .push([back[0] + nx_ * w, p[1], back[1] + nz_ * w]);
            m.positions
                .push([back[0] - nx_ * w, p[1], back[1] - nz_ * w]);
            for _ in 0..3 {
                m.normals.push([0.0, 1.0, 0.0]);
                m.colors.push([1.0; 4]);
            }
            m.indices.extend_from_slice(&[base, base + 1, base + 2]);
        }
    }
    m
}

fn rebuild_arrows(
    run: Res<RunData>,
    basin: Res<Basin>,
    settings: Res<ViewSettings>,
    current: Res<CurrentFrame>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut query: Query<(&mut Arrows, &mut Mesh3d, &mut Visibility)>,
) {
    let Some(frame) = current.frame.as_ref() else {
        return;
    };
    for (mut a, mut mesh3d, mut vis) in &mut query {
        if !settings.arrows {
            *vis = Visibility::Hidden;
            continue;
        }
        if a.built != Some(current.version) {
            a.built = Some(current.version);
            let data = arrow_mesh(&run, &basin, frame);
            if data.is_empty() {
                *vis = Visibility::Hidden;
                continue;
            }
            mesh3d.0 = meshes.add(data.into_mesh());
        }
        *vis = Visibility::Inherited;
    }
}
