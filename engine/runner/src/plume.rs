//! An ensemble's `hydrographs.png`: per gauge, every member's level (thin), the band between
//! the lowest and highest percentiles, the median and the warning level.

use std::path::Path;

use anyhow::{Result, anyhow};
use plotters::prelude::*;

/// One gauge over the ensemble.
#[derive(Debug)]
pub struct Plume {
    pub name: String,
    /// Each member's (time_s, level) points.
    pub members: Vec<Vec<(f64, f64)>>,
    /// Per sample: time_s, the lowest and highest percentile, the median.
    pub band: Vec<(f64, f64, f64, f64)>,
    /// The band's percentiles, for the legend.
    pub band_label: String,
    pub warning: Option<f64>,
}

/// Draws one panel per gauge. `Ok(false)` (nothing drawn) when no font is installed.
pub fn plume(path: &Path, title: &str, gauges: &[Plume], t_end_s: f64) -> Result<bool> {
    if !crate::plot::font() || gauges.is_empty() {
        return Ok(false);
    }
    let height = 120 + 330 * gauges.len() as u32;
    let root = BitMapBackend::new(path, (1100, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("plot: {e}"))?;
    let areas = root.split_evenly((gauges.len(), 1));
    for (g, area) in gauges.iter().zip(&areas) {
        panel(area, &format!("{title}: {}", g.name), g, t_end_s / 3600.0)?;
    }
    root.present()
        .map_err(|e| anyhow!("{}: cannot write the plot: {e}", path.display()))?;
    Ok(true)
}

fn panel(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    title: &str,
    g: &Plume,
    t_end_h: f64,
) -> Result<()> {
    let values = g.members.iter().flatten().map(|p| p.1).chain(g.warning);
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if !(lo.is_finite() && hi.is_finite()) {
        return Ok(());
    }
    let pad = ((hi - lo) * 0.08).max(0.05);
    let err = |e: DrawingAreaErrorKind<_>| anyhow!("plot: {e}");
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..t_end_h.max(1e-6), (lo - pad)..(hi + pad))
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("time since start (h)")
        .y_desc("level (m)")
        .draw()
        .map_err(err)?;
    let h = |t: f64| t / 3600.0;
    let band = RGBColor(70, 130, 180);
    let mut outline: Vec<(f64, f64)> = g.band.iter().map(|b| (h(b.0), b.2)).collect();
    outline.extend(g.band.iter().rev().map(|b| (h(b.0), b.1)));
    chart
        .draw_series(std::iter::once(Polygon::new(
            outline,
            band.mix(0.25).filled(),
        )))
        .map_err(err)?
        .label(g.band_label.clone())
        .legend(move |(x, y)| {
            Rectangle::new([(x, y - 5), (x + 20, y + 5)], band.mix(0.25).filled())
        });
    for m in &g.members {
        chart
            .draw_series(LineSeries::new(
                m.iter().map(|&(t, v)| (h(t), v)),
                RGBColor(90, 90, 90).mix(0.35).stroke_width(1),
            ))
            .map_err(err)?;
    }
    chart
        .draw_series(LineSeries::new(
            g.band.iter().map(|b| (h(b.0), b.3)),
            band.stroke_width(3),
        ))
        .map_err(err)?
        .label("median")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], band.stroke_width(3)));
    if let Some(w) = g.warning {
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, w), (t_end_h, w)],
                6,
                4,
                RED.stroke_width(2),
            ))
            .map_err(err)?
            .label("warning level")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    Ok(())
}
