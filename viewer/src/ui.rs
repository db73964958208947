//! The interface (egui): the clock and timeline on top, the gauges with their hydrographs and
//! warning levels on the right, display settings and viewpoints on the left, the legend at the
//! bottom left, and the gauges' names next to their markers.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use egui_plot::{HLine, Line, Plot, Polygon, VLine};

use crate::Basin;
use crate::ViewSettings;
use crate::camera::{GoTo, Viewpoints};
use crate::colormap::{ColorMode, HAZARD_CLASSES, water_srgb};
use crate::data::{RunData, clock_label};
use crate::gauges::gauge_foot;
use crate::timeline::Timeline;

/// Whether the pointer is over the interface (the camera ignores the mouse then).
#[derive(Debug, Resource, Default)]
pub struct UiHasPointer(pub bool);

/// Status line for a live or followed run.
#[derive(Debug, Resource, Default)]
pub struct SourceStatus(pub String);

#[derive(Debug)]
pub struct UiPlugin;

impl Plugin for UiPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<UiHasPointer>()
            .init_resource::<SourceStatus>()
            .add_systems(EguiPrimaryContextPass, interface);
    }
}

fn c32(rgb: [u8; 3]) -> egui::Color32 {
    egui::Color32::from_rgb(rgb[0], rgb[1], rgb[2])
}

#[allow(clippy::too_many_arguments)]
fn interface(
    mut contexts: EguiContexts,
    run: Res<RunData>,
    basin: Res<Basin>,
    mut timeline: ResMut<Timeline>,
    mut settings: ResMut<ViewSettings>,
    viewpoints: Res<Viewpoints>,
    mut goto: ResMut<GoTo>,
    status: Res<SourceStatus>,
    mut has_pointer: ResMut<UiHasPointer>,
    mut camera: Query<(&mut Camera, &GlobalTransform), With<Camera3d>>,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let mut root = egui::Ui::new(
        ctx.clone(),
        "viewer".into(),
        egui::UiBuilder::new()
            .layer_id(egui::LayerId::background())
            .max_rect(ctx.viewport_rect()),
    );
    let t = timeline.clock_s;
    timeline_panel(&mut root, &run, &mut timeline, &status);
    gauge_panel(&mut root, &run, &timeline, t);
    display_panel(&mut root, &run, &mut settings, &viewpoints, &mut goto);
    // The 3D view fills what the panels leave.
    let central = root.available_rect_before_wrap();
    fit_viewport(&mut camera, central, ctx.pixels_per_point());
    legend(&ctx, &run, &settings, central);
    gauge_labels(
        &ctx,
        &run,
        &basin,
        &camera,
        settings.exaggeration,
        t,
        central,
    );
    has_pointer.0 = ctx.egui_wants_pointer_input() || ctx.is_pointer_over_egui();
    Ok(())
}

/// The clock, the play controls and the time slider.
fn timeline_panel(
    root: &mut egui::Ui,
    run: &RunData,
    timeline: &mut Timeline,
    status: &SourceStatus,
) {
    egui::Panel::top("timeline").show(root, |ui| {
        ui.horizontal(|ui| {
            ui.strong(run.title());
            ui.separator();
            ui.monospace(clock_label(run.start(), timeline.clock_s));
            ui.separator();
            if ui.button("⏮").on_hover_text("first snapshot").clicked() {
                let n = timeline.times.len() as i64;
                timeline.step(-n);
            }
            if ui.button("◀").on_hover_text("previous snapshot").clicked() {
                timeline.step(-1);
            }
            let play = if timeline.playing { "⏸" } else { "▶" };
            if ui.button(play).on_hover_text("play / pause").clicked() {
                if !timeline.playing && timeline.clock_s >= timeline.end_s() {
                    let first = timeline.times.first().copied().unwrap_or(0.0);
                    timeline.seek(first);
                }
                timeline.playing = !timeline.playing;
                timeline.follow_latest = false;
            }
            if ui.button("▶|").on_hover_text("next snapshot").clicked() {
                timeline.step(1);
            }
            if ui.button("⏭").on_hover_text("last snapshot").clicked() {
                let n = timeline.times.len() as i64;
                timeline.step(n);
            }
            let mut speed = timeline.speed;
            egui::ComboBox::from_id_salt("speed")
                .selected_text(format!("× {speed:.0}"))
                .show_ui(ui, |ui| {
                    for s in [1.0, 10.0, 60.0, 300.0, 900.0, 3600.0] {
                        ui.selectable_value(&mut speed, s, format!("× {s:.0}"));
                    }
                });
            timeline.speed = speed;
            ui.checkbox(&mut timeline.follow_latest, "latest")
                .on_hover_text("keep showing the newest snapshot of a live run");
            ui.label(format!(
                "snapshot {}/{}",
                timeline.index() + 1,
                timeline.times.len()
            ));
            if !status.0.is_empty() {
                ui.separator();
                ui.label(&status.0);
            }
        });
        let (first, end) = (
            timeline.times.first().copied().unwrap_or(0.0),
            timeline.end_s(),
        );
        if end > first {
            let mut clock = timeline.clock_s;
            let w = ui.available_width();
            ui.spacing_mut().slider_width = (w - 80.0).max(100.0);
            if ui
                .add(egui::Slider::new(&mut clock, first..=end).show_value(false))
                .changed()
            {
                timeline.seek(clock);
                timeline.follow_latest = false;
            }
        }
    });
}

/// Each gauge: its level now, its warning level, and its hydrograph up to now.
fn gauge_panel(root: &mut egui::Ui, run: &RunData, timeline: &Timeline, t: f64) {
    egui::Panel::right("gauges")
        .default_size(320.0)
        .show(root, |ui| {
            ui.heading("Gauges");
            if run.gauges.is_empty() {
                ui.label("This run has no gauges.");
            }
            egui::ScrollArea::vertical().show(ui, |ui| {
                for (k, g) in run.gauges.iter().enumerate() {
                    let over = g.over_warning(t);
                    let level = g.level_at(t);
                    ui.horizontal(|ui| {
                        let dot = if over {
                            egui::Color32::from_rgb(230, 30, 30)
                        } else {
                            egui::Color32::from_rgb(30, 180, 70)
                        };
                        ui.colored_label(dot, "●");
                        ui.strong(&g.name);
                        match level {
                            Some(l) => ui.label(format!("{l:.2} m")),
                            None => ui.label("-"),
                        };
                        if let Some(w) = g.warning_level_m {
                            ui.label(format!("(warning {w:.2} m)"));
                        }
                        if over {
                            ui.colored_label(egui::Color32::from_rgb(230, 30, 30), "ABOVE WARNING");
                        }
                    });
                    let pts: Vec<[f64; 2]> = g
                        .series
                        .iter()
                        .take_while(|(s, _)| *s <= t + 1e-6)
                        .map(|&(s, l)| [s / 3600.0, l])
                        .collect();
                    Plot::new(("hydrograph", k))
                        .height(110.0)
                        .allow_drag(false)
                        .allow_zoom(false)
                        .allow_scroll(false)
                        .include_x(timeline.times.first().copied().unwrap_or(0.0) / 3600.0)
                        .include_x(timeline.end_s() / 3600.0)
                        .x_axis_label("h")
                        .y_axis_label("level (m)")
                        .show(ui, |p| {
                            if let Some(b) = band(run, k, t) {
                                p.polygon(b);
                            }
                            p.line(
                                Line::new("level", pts)
                                    .color(egui::Color32::from_rgb(40, 110, 220)),
                            );
                            if let Some(w) = g.warning_level_m {
                                p.hline(
                                    HLine::new("warning", w)
                                        .color(egui::Color32::from_rgb(230, 30, 30)),
                                );
                            }
                            p.vline(VLine::new("now", t / 3600.0).color(egui::Color32::GRAY));
                        });
                    ui.separator();
                }
            });
        });
}

/// Gauge `k`'s percentile band up to `t` (an ensemble run), drawn under its mean level.
fn band(run: &RunData, k: usize, t: f64) -> Option<Polygon<'static>> {
    let b = run.ensemble.as_ref()?.bands.get(k)?.as_ref()?;
    let shown: Vec<&[f64; 4]> = b.points.iter().take_while(|p| p[0] <= t + 1e-6).collect();
    let mut outline: Vec<[f64; 2]> = shown.iter().map(|p| [p[0] / 3600.0, p[2]]).collect();
    outline.extend(shown.iter().rev().map(|p| [p[0] / 3600.0, p[1]]));
    (outline.len() >= 4).then(|| {
        Polygon::new(b.label.clone(), outline)
            .fill_color(egui::Color32::from_rgba_unmultiplied(40, 110, 220, 60))
            .stroke(egui::Stroke::new(
                0.5,
                egui::Color32::from_rgb(40, 110, 220),
            ))
    })
}

/// Water colour, legend top, vertical exaggeration, arrows and viewpoints.
fn display_panel(
    root: &mut egui::Ui,
    run: &RunData,
    settings: &mut ViewSettings,
    viewpoints: &Viewpoints,
    goto: &mut GoTo,
) {
    egui::Panel::left("display")
        .default_size(190.0)
        .show(root, |ui| {
            ui.heading("Display");
            ui.label("Water colour");
            for m in ColorMode::ALL {
                if m != ColorMode::Exceedance || run.ensemble.is_some() {
                    ui.radio_value(&mut settings.color_mode, m, m.label());
                }
            }
            if let Some(e) = run
                .ensemble
                .as_ref()
                .filter(|_| settings.color_mode == ColorMode::Exceedance)
            {
                ui.label(format!("max depth over {} members above", e.members));
                for (k, d) in e.depths_m.iter().enumerate() {
                    ui.radio_value(&mut settings.exceedance, k, format!("{d} m"));
                }
            } else if settings.color_mode != ColorMode::Hazard {
                let unit = if settings.color_mode == ColorMode::Depth {
                    "m"
                } else {
                    "m/s"
                };
                ui.add(
                    egui::Slider::new(&mut settings.legend_max, 0.1..=50.0)
                        .logarithmic(true)
                        .text(format!("top ({unit})")),
                );
            }
            ui.add(egui::Slider::new(&mut settings.exaggeration, 1.0..=20.0).text("vertical ×"));
            ui.checkbox(&mut settings.arrows, "flow arrows");
            ui.separator();
            ui.label("Viewpoints");
            for (k, v) in viewpoints.0.iter().enumerate() {
                if ui.button(&v.name).clicked() {
                    goto.0 = Some(k);
                }
            }
        });
}

/// The 3D camera draws into `central` (the part of the window the panels leave).
fn fit_viewport(
    camera: &mut Query<(&mut Camera, &GlobalTransform), With<Camera3d>>,
    central: egui::Rect,
    ppp: f32,
) {
    if let Some((mut cam, _)) = camera.iter_mut().next()
        && central.width() >= 16.0
        && central.height() >= 16.0
    {
        let viewport = bevy::camera::Viewport {
            physical_position: UVec2::new(
                (central.min.x * ppp).round() as u32,
                (central.min.y * ppp).round() as u32,
            ),
            physical_size: UVec2::new(
                (central.width() * ppp).round() as u32,
                (central.height() * ppp).round() as u32,
            ),
            ..default()
        };
        let same = cam.viewport.as_ref().is_some_and(|v| {
            v.physical_position == viewport.physical_position
                && v.physical_size == viewport.physical_size
        });
        if !same {
            cam.viewport = Some(viewport);
        }
    }
}

/// Gauge names next to their markers (red over the warning level).
fn gauge_labels(
    ctx: &egui::Context,
    run: &RunData,
    basin: &Basin,
    camera: &Query<(&mut Camera, &GlobalTransform), With<Camera3d>>,
    exaggeration: f32,
    t: f64,
    central: egui::Rect,
) {
    if let Some((cam, cam_t)) = camera.iter().next() {
        for (k, g) in run.gauges.iter().enumerate() {
            let foot = gauge_foot(run, basin, k, t, exaggeration);
            let scale = {
                let (w, d) = basin.geo.extent();
                (cam_t.translation().distance(foot) / (0.75 * w.max(d)) as f32).clamp(0.02, 1.5)
            };
            let top = foot + Vec3::Y * crate::gauges::marker_size(basin) * 1.2 * scale;
            if let Ok(p) = cam.world_to_viewport(cam_t, top) {
                // Viewport coordinates count from the target's corner, as egui's do.
                let p = egui::pos2(p.x, p.y);
                if !central.contains(p) {
                    continue;
                }
                let fill = if g.over_warning(t) {
                    egui::Color32::from_rgba_unmultiplied(210, 20, 20, 220)
                } else {
                    egui::Color32::from_black_alpha(150)
                };
                egui::Area::new(egui::Id::new(("gauge-label", k)))
                    .fixed_pos(egui::pos2(p.x, p.y))
                    .pivot(egui::Align2::CENTER_BOTTOM)
                    .interactable(false)
                    .show(ctx, |ui| {
                        egui::Frame::new()
                            .fill(fill)
                            .inner_margin(3.0)
                            .corner_radius(3.0)
                            .show(ui, |ui| {
                                ui.colored_label(egui::Color32::WHITE, &g.name);
                            });
                    });
            }
        }
    }
}

/// The legend: a colour bar in metres (or m/s), the hazard classes, or an ensemble's
/// probability.
fn legend(ctx: &egui::Context, run: &RunData, settings: &ViewSettings, view: egui::Rect) {
    egui::Area::new(egui::Id::new("legend"))
        .pivot(egui::Align2::LEFT_BOTTOM)
        .fixed_pos(view.left_bottom() + egui::vec2(10.0, -10.0))
        .interactable(false)
        .show(ctx, |ui| {
            egui::Frame::new()
                .fill(egui::Color32::from_black_alpha(170))
                .inner_margin(8.0)
                .corner_radius(4.0)
                .show(ui, |ui| {
                    ui.visuals_mut().override_text_color = Some(egui::Color32::WHITE);
                    match settings.color_mode {
                        ColorMode::Hazard => {
                            ui.label("Hazard h (|v| + 0.5) (m²/s)");
                            let mut lo = 0.0;
                            for (upper, name, rgb) in HAZARD_CLASSES {
                                ui.horizontal(|ui| {
                                    let (r, _) = ui.allocate_exact_size(
                                        egui::vec2(18.0, 12.0),
                                        egui::Sense::hover(),
                                    );
                                    ui.painter().rect_filled(r, 0.0, c32(rgb));
                                    let range = if upper.is_finite() {
                                        format!("{lo:.2}–{upper:.2}")
                                    } else {
                                        format!("> {lo:.2}")
                                    };
                                    ui.label(format!("{range}  {name}"));
                                });
                                lo = upper;
                            }
                        }
                        ColorMode::Exceedance => {
                            let d = run
                                .ensemble
                                .as_ref()
                                .and_then(|e| e.depths_m.get(settings.exceedance))
                                .copied()
                                .unwrap_or(0.0);
                            ui.label(format!("Probability that the maximum depth exceeds {d} m"));
                            colour_bar(ui, ColorMode::Exceedance, 1.0, "");
                        }
                        mode => {
                            let (title, unit) = if mode == ColorMode::Depth {
                                ("Water depth", "m")
                            } else {
                                ("Speed", "m/s")
                            };
                            ui.label(title);
                            colour_bar(ui, mode, settings.legend_max, unit);
                        }
                    }
                });
        });
}

/// A colour bar from 0 to `max` with six ticks.
fn colour_bar(ui: &mut egui::Ui, mode: ColorMode, max: f32, unit: &str) {
    let (w, h) = (220.0, 16.0);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(w, h), egui::Sense::hover());
    let n = 64;
    for k in 0..n {
        let f0 = k as f32 / n as f32;
        let v = (f0 + 0.5 / n as f32) * max;
        let rgb = water_srgb(mode, v, v, max);
        let r = egui::Rect::from_min_size(
            rect.min + egui::vec2(f0 * w, 0.0),
            egui::vec2(w / n as f32 + 0.5, h),
        );
        ui.painter().rect_filled(r, 0.0, c32(rgb));
    }
    ui.horizontal(|ui| {
        ui.set_width(w);
        let ticks = 5;
        for k in 0..=ticks {
            let v = max * k as f32 / ticks as f32;
            ui.label(format!("{v:.1}"));
            if k < ticks {
                ui.add_space((w / ticks as f32 - 26.0).max(2.0));
            }
        }
        ui.label(format!(" {unit}"));
    });
}
