//! `hydrographs.png`: gauge levels (with their warning levels) and section discharges against
//! time, because hydrologists look before they read.

use std::path::Path;

use anyhow::{Result, anyhow};
use plotters::prelude::*;

/// A series to draw: name, (time_s, value) points, optional warning level.
#[derive(Debug)]
pub struct Line {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub warning: Option<f64>,
}

const FONT_PATHS: [&str; 3] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
];

/// Registers a system font for the labels (once). Returns false when none is found.
pub(crate) fn font() -> bool {
    static READY: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *READY.get_or_init(|| {
        for p in FONT_PATHS {
            if let Ok(bytes) = std::fs::read(p) {
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                if plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok() {
                    return true;
                }
            }
        }
        false
    })
}

fn panel(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    title: &str,
    y_label: &str,
    lines: &[Line],
    t_end_h: f64,
) -> Result<()> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for l in lines {
        for &(_, v) in &l.points {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if let Some(w) = l.warning {
            lo = lo.min(w);
            hi = hi.max(w);
        }
    }
    if !(lo.is_finite() && hi.is_finite()) {
        return Ok(());
    }
    let pad = ((hi - lo) * 0.08).max(0.05);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..t_end_h.max(1e-6), (lo - pad)..(hi + pad))
        .map_err(|e| anyhow!("plot: {e}"))?;
    chart
        .configure_mesh()
        .x_desc("time since start (h)")
        .y_desc(y_label)
        .draw()
        .map_err(|e| anyhow!("plot: {e}"))?;
    for (k, l) in lines.iter().enumerate() {
        let color = Palette99::pick(k).to_rgba();
        chart
            .draw_series(LineSeries::new(
                l.points.iter().map(|&(t, v)| (t / 3600.0, v)),
                color.stroke_width(2),
            ))
            .map_err(|e| anyhow!("plot: {e}"))?
            .label(l.name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        if let Some(w) = l.warning {
            chart
                .draw_series(DashedLineSeries::new(
                    [(0.0, w), (t_end_h, w)],
                    6,
                    4,
                    color.stroke_width(1),
                ))
                .map_err(|e| anyhow!("plot: {e}"))?;
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| anyhow!("plot: {e}"))?;
    Ok(())
}

/// Draws the gauges' water levels (dashed: warning levels) and the sections' discharges.
/// Returns `Ok(false)` (and draws nothing) when no font is installed for the labels.
pub fn hydrographs(
    path: &Path,
    title: &str,
    gauges: &[Line],
    sections: &[Line],
    t_end_s: f64,
) -> Result<bool> {
    if !font() {
        return Ok(false);
    }
    let root = BitMapBackend::new(
        path,
        (
            1100,
            if sections.is_empty() || gauges.is_empty() {
                450
            } else {
                850
            },
        ),
    )
    .into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("plot: {e}"))?;
    let t_end_h = t_end_s / 3600.0;
    let panels: Vec<(&str, &str, &[Line])> = [
        (
            format!("{title}: water level at the gauges"),
            "level (m)",
            gauges,
        ),
        (
            format!("{title}: discharge through the sections"),
            "discharge (m3/s)",
            sections,
        ),
    ]
    .into_iter()
    .filter(|(_, _, l)| !l.is_empty())
    .map(|(t, y, l)| (Box::leak(t.into_boxed_str()) as &str, y, l))
    .collect();
    let areas = root.split_evenly((panels.len().max(1), 1));
    for ((t, y, l), area) in panels.iter().zip(&areas) {
        panel(area, t, y, l, t_end_h)?;
    }
    root.present()
        .map_err(|e| anyhow!("{}: cannot write the plot: {e}", path.display()))?;
    Ok(true)
}

/// A curve of an x-y plot: name, points, drawn dashed (a reference) or solid.
#[derive(Debug)]
pub struct Curve {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
}

/// Draws curves on linear or log-log axes (validation reports). Returns `Ok(false)` when no
/// font is installed for the labels.
pub fn xy(
    path: &Path,
    title: &str,
    (x_label, y_label): (&str, &str),
    curves: &[Curve],
    log: bool,
) -> Result<bool> {
    if !font() {
        return Ok(false);
    }
    let pts = || curves.iter().flat_map(|c| c.points.iter().copied());
    let ok = |v: f64| v.is_finite() && (!log || v > 0.0);
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for (x, y) in pts().filter(|&(x, y)| ok(x) && ok(y)) {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if !(x0.is_finite() && y0.is_finite()) {
        return Err(anyhow!("{}: nothing to plot", path.display()));
    }
    let root = BitMapBackend::new(path, (900, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("plot: {e}"))?;
    macro_rules! draw {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_desc(x_label)
                .y_desc(y_label)
                .draw()
                .map_err(|e| anyhow!("plot: {e}"))?;
            for (k, c) in curves.iter().enumerate() {
                let color = if c.dashed {
                    BLACK.to_rgba()
                } else {
                    Palette99::pick(k).to_rgba()
                };
                let points: Vec<(f64, f64)> = c
                    .points
                    .iter()
                    .copied()
                    .filter(|&(x, y)| ok(x) && ok(y))
                    .collect();
                let series = if c.dashed {
                    chart.draw_series(DashedLineSeries::new(
                        points.clone(),
                        6,
                        4,
                        color.stroke_width(2),
                    ))
                } else {
                    chart.draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                };
                series
                    .map_err(|e| anyhow!("plot: {e}"))?
                    .label(c.name.clone())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                    });
                if log {
                    chart
                        .draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))
                        .map_err(|e| anyhow!("plot: {e}"))?;
                }
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()
                .map_err(|e| anyhow!("plot: {e}"))?;
        }};
    }
    macro_rules! builder {
        () => {{
            let mut b = ChartBuilder::on(&root);
            b.caption(title, ("sans-serif", 20))
                .margin(14)
                .x_label_area_size(45)
                .y_label_area_size(70);
            b
        }};
    }
    if log {
        let chart = builder!()
            .build_cartesian_2d(
                (x0 * 0.8..x1 * 1.25).log_scale(),
                (y0 * 0.5..y1 * 2.0).log_scale(),
            )
            .map_err(|e| anyhow!("plot: {e}"))?;
        draw!(chart);
    } else {
        let (px, py) = (((x1 - x0) * 0.03).max(1e-9), ((y1 - y0) * 0.08).max(1e-9));
        let chart = builder!()
            .build_cartesian_2d((x0 - px)..(x1 + px), (y0 - py)..(y1 + py))
            .map_err(|e| anyhow!("plot: {e}"))?;
        draw!(chart);
    }
    root.present()
        .map_err(|e| anyhow!("{}: cannot write the plot: {e}", path.display()))?;
    Ok(true)
}
