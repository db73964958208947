//! The camera: orbit (left drag), pan (right or middle drag), zoom (wheel) around a focus on
//! the ground, and saved viewpoints (an overview, one per gauge, and those of a viewer config).

use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll};
use bevy::prelude::*;

use crate::timeline::ViewerSet;
use crate::{Basin, ViewSettings};

/// A named view: what it looks at (map coordinates), from how far, from which direction.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Viewpoint {
    pub name: String,
    /// Map coordinates (m, the DEM's CRS) of the point looked at.
    pub at: [f64; 2],
    pub distance_m: f64,
    /// Direction the camera looks from, degrees clockwise from north (180: from the south).
    #[serde(default = "default_from")]
    pub from_deg: f64,
    /// Elevation angle of the camera above the horizon.
    #[serde(default = "default_pitch")]
    pub pitch_deg: f64,
}

fn default_from() -> f64 {
    180.0
}

fn default_pitch() -> f64 {
    40.0
}

/// The viewpoints offered in the interface.
#[derive(Debug, Clone, Resource, Default)]
pub struct Viewpoints(pub Vec<Viewpoint>);

/// Orbit state of the camera.
#[derive(Debug, Clone, Component)]
pub struct OrbitCamera {
    /// World point looked at (before the vertical exaggeration).
    pub focus: Vec3,
    /// Radians; 0 looks from the south (the camera is south of the focus).
    pub yaw: f32,
    pub pitch: f32,
    pub distance: f32,
}

impl OrbitCamera {
    pub fn from_viewpoint(v: &Viewpoint, basin: &Basin, ground_m: f32) -> Self {
        let p = basin.geo.world(v.at[0], v.at[1], ground_m);
        Self {
            focus: Vec3::from_array(p),
            // From the south (180 deg) is yaw 0; clockwise seen from above.
            yaw: (180.0 - v.from_deg).to_radians() as f32,
            pitch: v.pitch_deg.to_radians() as f32,
            distance: v.distance_m as f32,
        }
    }

    pub fn transform(&self, exaggeration: f32) -> Transform {
        let f = Vec3::new(self.focus.x, self.focus.y * exaggeration, self.focus.z);
        let dir = Vec3::new(
            self.pitch.cos() * self.yaw.sin(),
            self.pitch.sin(),
            self.pitch.cos() * self.yaw.cos(),
        );
        Transform::from_translation(f + dir * self.distance).looking_at(f, Vec3::Y)
    }
}

/// Request to fly to a viewpoint (set by the interface).
#[derive(Debug, Clone, Resource, Default)]
pub struct GoTo(pub Option<usize>);

#[derive(Debug)]
pub struct CameraPlugin;

impl Plugin for CameraPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<GoTo>().add_systems(
            Update,
            (go_to, orbit_input, place_camera)
                .chain()
                .in_set(ViewerSet::Scene),
        );
    }
}

/// Ground height (world y) under the map point of a viewpoint.
pub fn ground_at(run: &crate::data::RunData, basin: &Basin, x: f64, y: f64) -> f32 {
    run.cell_at(x, y)
        .map(|c| run.z[c])
        .filter(|z| z.is_finite())
        .unwrap_or(basin.geo.zc)
}

fn go_to(
    mut goto: ResMut<GoTo>,
    viewpoints: Res<Viewpoints>,
    run: Res<crate::data::RunData>,
    basin: Res<Basin>,
    mut cams: Query<&mut OrbitCamera>,
) {
    let Some(k) = goto.0.take() else { return };
    let Some(v) = viewpoints.0.get(k) else { return };
    let ground = ground_at(&run, &basin, v.at[0], v.at[1]);
    for mut c in &mut cams {
        *c = OrbitCamera::from_viewpoint(v, &basin, ground);
    }
}

fn orbit_input(
    buttons: Option<Res<ButtonInput<MouseButton>>>,
    motion: Option<Res<AccumulatedMouseMotion>>,
    scroll: Option<Res<AccumulatedMouseScroll>>,
    ui_has_pointer: Res<crate::ui::UiHasPointer>,
    mut cams: Query<&mut OrbitCamera>,
) {
    let (Some(buttons), Some(motion), Some(scroll)) = (buttons, motion, scroll) else {
        return;
    };
    if ui_has_pointer.0 {
        return;
    }
    let d = motion.delta;
    for mut c in &mut cams {
        if buttons.pressed(MouseButton::Left) {
            c.yaw -= d.x * 0.005;
            c.pitch = (c.pitch + d.y * 0.005).clamp(0.05, 1.55);
        }
        if buttons.pressed(MouseButton::Right) || buttons.pressed(MouseButton::Middle) {
            let k = c.distance * 0.0015;
            let (s, co) = c.yaw.sin_cos();
            // Screen right is (cos yaw, 0, -sin yaw); screen up moves the focus away.
            c.focus.x += (-d.x * co - d.y * s) * k;
            c.focus.z += (d.x * s - d.y * co) * k;
        }
        if scroll.delta.y != 0.0 {
            c.distance = (c.distance * 0.9f32.powf(scroll.delta.y)).max(1.0);
        }
    }
}

fn place_camera(settings: Res<ViewSettings>, mut cams: Query<(&OrbitCamera, &mut Transform)>) {
    for (c, mut t) in &mut cams {
        let want = c.transform(settings.exaggeration);
        if *t != want {
            *t = want;
        }
    }
}
