//! Headless screenshots: the camera renders into an image (no window, no display server), and
//! once the scene has settled a screenshot of it is saved as PNG and the app exits (status 0;
//! 1 if the PNG cannot be written or the frame never settles).

use std::path::PathBuf;

use bevy::prelude::*;
use bevy::render::render_resource::{TextureFormat, TextureUsages};
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};

use crate::water::CurrentFrame;

/// The image the camera renders into.
pub fn target_image(app: &mut App, width: u32, height: u32) -> Handle<Image> {
    let mut image = Image::new_target_texture(
        width.max(16),
        height.max(16),
        TextureFormat::Rgba8UnormSrgb,
        None,
    );
    image.texture_descriptor.usage |= TextureUsages::COPY_SRC;
    app.world_mut().resource_mut::<Assets<Image>>().add(image)
}

#[derive(Debug)]
pub struct CapturePlugin {
    /// Where the screenshot goes (none: only time frames).
    pub path: Option<PathBuf>,
    pub image: Handle<Image>,
    /// Time this many frames after the scene has settled and print the frame time.
    pub bench_frames: Option<u32>,
}

#[derive(Debug, Resource)]
struct Capture {
    path: Option<PathBuf>,
    image: Handle<Image>,
    frames: u32,
    requested: bool,
    bench_frames: Option<u32>,
    frame_ms: Vec<f64>,
}

/// Frames rendered after the water is in place before the capture (egui lays out its text in
/// the first frames).
const SETTLE_FRAMES: u32 = 8;
/// Give up after this many frames.
const MAX_FRAMES: u32 = 2000;

impl Plugin for CapturePlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(Capture {
            path: self.path.clone(),
            image: self.image.clone(),
            frames: 0,
            requested: false,
            bench_frames: self.bench_frames,
            frame_ms: Vec::new(),
        })
        .add_systems(Last, take);
        if self.bench_frames.is_some() {
            app.add_systems(Update, turn_camera);
        }
    }
}

/// While frames are timed the camera circles the focus (a quarter turn over 100 frames), so the
/// terrain's levels of detail change as they would under a user's hand.
fn turn_camera(cap: Res<Capture>, mut cams: Query<&mut crate::camera::OrbitCamera>) {
    if cap.frames < SETTLE_FRAMES {
        return;
    }
    for mut c in &mut cams {
        c.yaw += std::f32::consts::FRAC_PI_2 / 100.0;
    }
}

/// Mean and median of frame times (ms).
pub fn frame_stats(ms: &[f64]) -> (f64, f64) {
    if ms.is_empty() {
        return (0.0, 0.0);
    }
    let mut v = ms.to_vec();
    v.sort_by(f64::total_cmp);
    (v.iter().sum::<f64>() / v.len() as f64, v[v.len() / 2])
}

fn take(
    mut commands: Commands,
    mut cap: ResMut<Capture>,
    current: Res<CurrentFrame>,
    time: Res<Time<Real>>,
    mut exit: MessageWriter<AppExit>,
) {
    cap.frames += 1;
    if cap.frames > MAX_FRAMES + cap.bench_frames.unwrap_or(0) {
        error!("the frame did not settle after {MAX_FRAMES} frames");
        exit.write(AppExit::error());
        return;
    }
    if cap.requested || current.frame.is_none() {
        return;
    }
    if cap.frames < SETTLE_FRAMES {
        return;
    }
    if let Some(n) = cap.bench_frames
        && (cap.frame_ms.len() as u32) < n
    {
        cap.frame_ms.push(time.delta_secs_f64() * 1e3);
        if cap.frame_ms.len() as u32 == n {
            let (mean, median) = frame_stats(&cap.frame_ms);
            println!(
                "frame time over {n} frames: mean {mean:.1} ms, median {median:.1} ms ({:.1} frames/s)",
                1e3 / mean.max(1e-9)
            );
        } else {
            return;
        }
    }
    cap.requested = true;
    let Some(path) = cap.path.clone() else {
        exit.write(AppExit::Success);
        return;
    };
    commands
        .spawn(Screenshot::image(cap.image.clone()))
        .observe(
            move |shot: On<ScreenshotCaptured>, mut exit: MessageWriter<AppExit>| {
                let saved = shot
                    .image
                    .clone()
                    .try_into_dynamic()
                    .map_err(|e| e.to_string())
                    .and_then(|img| img.to_rgb8().save(&path).map_err(|e| e.to_string()));
                match saved {
                    Ok(()) => {
                        info!("screenshot saved to {}", path.display());
                        exit.write(AppExit::Success);
                    }
                    Err(e) => {
                        error!("{}: cannot write the screenshot: {e}", path.display());
                        exit.write(AppExit::error());
                    }
                }
            },
        );
}
