//! Gauges in 3D: a pole with a ball at each gauge, green below its warning level and red above
//! it at the clock's time (names and hydrographs are drawn by the interface).

use bevy::prelude::*;

use crate::data::RunData;
use crate::timeline::{Timeline, ViewerSet};
use crate::{Basin, ViewSettings};

#[derive(Debug, Component)]
pub struct GaugeMarker {
    pub index: usize,
}

#[derive(Debug, Resource)]
struct GaugeMaterials {
    normal: Handle<StandardMaterial>,
    warning: Handle<StandardMaterial>,
}

#[derive(Debug)]
pub struct GaugePlugin;

impl Plugin for GaugePlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Startup, spawn_gauges)
            .add_systems(Update, update_gauges.in_set(ViewerSet::Scene));
    }
}

/// Height of a marker (m): a few percent of the domain's larger extent.
pub fn marker_size(basin: &Basin) -> f32 {
    let (w, d) = basin.geo.extent();
    (w.max(d) * 0.025).max(1.0) as f32
}

fn spawn_gauges(
    mut commands: Commands,
    run: Res<RunData>,
    basin: Res<Basin>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let size = marker_size(&basin);
    let pole = meshes.add(Cylinder::new(size * 0.05, size));
    let ball = meshes.add(Sphere::new(size * 0.18));
    let normal = materials.add(StandardMaterial {
        base_color: Color::srgb(0.1, 0.75, 0.25),
        unlit: true,
        ..default()
    });
    let warning = materials.add(StandardMaterial {
        base_color: Color::srgb(0.95, 0.1, 0.1),
        unlit: true,
        ..default()
    });
    for (index, _) in run.gauges.iter().enumerate() {
        commands
            .spawn((
                GaugeMarker { index },
                Transform::default(),
                Visibility::default(),
            ))
            .with_children(|p| {
                p.spawn((
                    Mesh3d(pole.clone()),
                    MeshMaterial3d(normal.clone()),
                    Transform::from_xyz(0.0, size * 0.5, 0.0),
                ));
                p.spawn((
                    Mesh3d(ball.clone()),
                    MeshMaterial3d(normal.clone()),
                    Transform::from_xyz(0.0, size, 0.0),
                ));
            });
    }
    commands.insert_resource(GaugeMaterials { normal, warning });
}

/// World position of a gauge's foot (the water level, or the bed when dry) at time `t`.
pub fn gauge_foot(run: &RunData, basin: &Basin, k: usize, t: f64, exaggeration: f32) -> Vec3 {
    let g = &run.gauges[k];
    let bed = g.cell.map(|c| run.z[c]).filter(|z| z.is_finite());
    let level = g.level_at(t).map(|l| l as f32);
    let z = match (level, bed) {
        (Some(l), Some(b)) => l.max(b),
        (Some(l), None) => l,
        (None, Some(b)) => b,
        (None, None) => basin.geo.zc,
    };
    let p = basin.geo.world(g.x, g.y, z);
    Vec3::new(p[0], p[1] * exaggeration, p[2])
}

#[allow(clippy::too_many_arguments)] // a bevy system: one parameter per resource and query
fn update_gauges(
    run: Res<RunData>,
    basin: Res<Basin>,
    settings: Res<ViewSettings>,
    timeline: Res<Timeline>,
    mats: Res<GaugeMaterials>,
    camera: Query<&GlobalTransform, With<Camera3d>>,
    mut markers: Query<(&GaugeMarker, &mut Transform, &Children), Without<Camera3d>>,
    mut parts: Query<&mut MeshMaterial3d<StandardMaterial>>,
) {
    let cam = camera.iter().next().map(GlobalTransform::translation);
    let (w, d) = basin.geo.extent();
    for (m, mut t, children) in &mut markers {
        if m.index >= run.gauges.len() {
            continue;
        }
        let foot = gauge_foot(
            &run,
            &basin,
            m.index,
            timeline.clock_s,
            settings.exaggeration,
        );
        // Markers keep about the same size on screen: full size from the overview's distance,
        // smaller closer in.
        let scale = cam.map_or(1.0, |c| {
            (c.distance(foot) / (0.75 * w.max(d)) as f32).clamp(0.02, 1.5)
        });
        if t.translation != foot || t.scale.x != scale {
            t.translation = foot;
            t.scale = Vec3::splat(scale);
        }
        let over = run.gauges[m.index].over_warning(timeline.clock_s);
        let want = if over { &mats.warning } else { &mats.normal };
        for c in children.iter() {
            if let Ok(mut mat) = parts.get_mut(c)
                && mat.0 != *want
            {
                mat.0 = want.clone();
            }
        }
    }
}
