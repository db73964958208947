//! The end of an ensemble run: exceedance and percentile maps of the maximum depth, the plume
//! plot, and `summary.json` with each gauge's warning probability and every member's budget.

use anyhow::Result;
use basintwin_core::{Backend, Maxima, Real, RunSummary};
use basintwin_io::run_folder::{
    EnsembleSummary, GaugeProbability, HYDROGRAPHS, MassBalance, MemberRun, PercentileValue,
    RunFolder, exceedance_map, max_depth_percentile_map,
};

use crate::model::Model;
use crate::plume::{Plume, plume};
use crate::recorders::GaugeRecorder;
use crate::run::{RunEnd, RunOptions};
use crate::scenario::{EnsembleSpec, Perturbation, Scenario, Variation};
use crate::summary::{self, Ending};

use super::lockstep::{EnsembleRecorders, Reached};
use super::stats::{depth_maps, percentile, sorted, warning_probability};

/// What the end needs to know of the run.
pub struct Context<'a> {
    pub sc: &'a Scenario,
    pub spec: &'a EnsembleSpec,
    pub model: &'a Model,
    pub opts: &'a RunOptions,
    pub folder: &'a RunFolder,
}

/// Maps, plot and summary.
pub fn finish<B: Backend>(
    cx: &Context<'_>,
    members: &mut [B],
    rec: &EnsembleRecorders,
    reached: &Reached,
    resumed_from_s: Option<f64>,
    wall_s: f64,
) -> Result<RunEnd> {
    write_maps(cx, members)?;
    let mut warnings: Vec<String> = cx.sc.warnings.clone();
    warnings.extend(cx.model.warnings.iter().cloned());
    draw_plume(cx, &rec.gauges, reached.time_s, &mut warnings);
    let ensemble = ensemble_summary(cx, members, &rec.gauges);
    let run = totals(members, reached.time_s, wall_s);
    let member0 = rec.gauges.first().map(|g| g.series()).unwrap_or_default();
    let ending = Ending {
        gauges: cx
            .sc
            .gauges
            .iter()
            .enumerate()
            .map(|(gi, g)| summary::gauge_summary(g, gi, member0))
            .collect(),
        sections: Vec::new(),
        warnings,
        interrupted_at_s: reached.interrupted.then_some(reached.time_s),
        resumed_from_s,
        ensemble: Some(ensemble.clone()),
    };
    let path = summary::write_summary::<B::Real>(cx.sc, cx.model, cx.folder, &run, ending)?;
    report(cx, &run, &ensemble, &path);
    Ok(RunEnd {
        summary: path,
        interrupted_at_s: reached.interrupted.then_some(reached.time_s),
    })
}

/// `exceedance_<d>m.tif` and `max_depth_p<q>.tif` from every member's maximum depths.
fn write_maps<B: Backend>(cx: &Context<'_>, members: &mut [B]) -> Result<()> {
    let grid = &cx.model.dem.grid;
    let mut maxima = Maxima::<B::Real>::new(grid.cells());
    let mut depths = Vec::with_capacity(members.len());
    for b in members.iter_mut() {
        b.read_maxima(&mut maxima)?;
        depths.push(
            maxima
                .depth_m
                .iter()
                .map(|d| d.f64() as f32)
                .collect::<Vec<f32>>(),
        );
    }
    let out = &cx.sc.ensemble_output;
    let maps = depth_maps(
        &depths,
        &cx.model.dem.active,
        &out.exceedance_depths_m,
        &out.percentiles,
    );
    let named = out
        .exceedance_depths_m
        .iter()
        .map(|&d| exceedance_map(d))
        .zip(&maps.exceedance)
        .chain(
            out.percentiles
                .iter()
                .map(|&q| max_depth_percentile_map(q))
                .zip(&maps.percentiles),
        );
    for (name, values) in named {
        basintwin_io::write_map(cx.folder.file(&name), grid, values, -9999.0, true)?;
    }
    Ok(())
}

/// `hydrographs.png` as a plume per gauge; problems become warnings.
fn draw_plume(cx: &Context<'_>, gauges: &[GaugeRecorder], end_s: f64, warnings: &mut Vec<String>) {
    let qs = &cx.sc.ensemble_output.percentiles;
    let (Some(&q_lo), Some(&q_hi)) = (qs.first(), qs.last()) else {
        return;
    };
    let samples = gauges.first().map_or(0, |g| g.series().len());
    let plumes: Vec<Plume> = cx
        .sc
        .gauges
        .iter()
        .enumerate()
        .map(|(gi, g)| {
            let members = gauges
                .iter()
                .map(|m| {
                    m.series()
                        .iter()
                        .map(|(t, r)| (*t, r[gi].level_m))
                        .collect()
                })
                .collect();
            let band = (0..samples)
                .map(|s| {
                    let t = gauges[0].series()[s].0;
                    let v = sorted(gauges.iter().map(|m| m.series()[s].1[gi].level_m).collect());
                    (
                        t,
                        percentile(&v, q_lo),
                        percentile(&v, q_hi),
                        percentile(&v, 50.0),
                    )
                })
                .collect();
            Plume {
                name: g.name.clone(),
                members,
                band,
                band_label: format!("p{q_lo}-p{q_hi} of {} members", gauges.len()),
                warning: g.warning_level_m,
            }
        })
        .collect();
    let path = cx.folder.file(HYDROGRAPHS);
    match plume(&path, &cx.sc.name, &plumes, end_s) {
        Ok(_) => {}
        Err(e) => warnings.push(format!("{HYDROGRAPHS} not drawn: {e}")),
    }
}

/// The ensemble block of `summary.json`.
fn ensemble_summary<B: Backend>(
    cx: &Context<'_>,
    members: &[B],
    gauges: &[GaugeRecorder],
) -> EnsembleSummary {
    let out = &cx.sc.ensemble_output;
    let gauge_probabilities = cx
        .sc
        .gauges
        .iter()
        .enumerate()
        .map(|(gi, g)| {
            let first: Vec<Option<f64>> = gauges
                .iter()
                .map(|m| summary::gauge_summary(g, gi, m.series()).warning_exceeded_at_s)
                .collect();
            let (p, above_half) = warning_probability(&first);
            let peaks = sorted(
                gauges
                    .iter()
                    .map(|m| summary::gauge_summary(g, gi, m.series()).peak_level_m)
                    .collect(),
            );
            GaugeProbability {
                name: g.name.clone(),
                warning_level_m: g.warning_level_m,
                warning_probability: g.warning_level_m.map(|_| p),
                warning_probability_above_half_at_s: above_half,
                peak_level_m: out
                    .percentiles
                    .iter()
                    .map(|&q| PercentileValue {
                        percentile: q,
                        value: percentile(&peaks, q),
                    })
                    .collect(),
            }
        })
        .collect();
    EnsembleSummary {
        members: members.len(),
        seed: cx.spec.seed,
        control: cx.spec.control,
        perturbations: cx.spec.perturbations.iter().map(describe).collect(),
        exceedance_depths_m: out.exceedance_depths_m.clone(),
        percentiles: out.percentiles.clone(),
        gauges: gauge_probabilities,
        member_runs: members
            .iter()
            .enumerate()
            .map(|(k, b)| MemberRun {
                member: k,
                steps: b.steps(),
                mass_balance: MassBalance::from(&b.ledger()),
            })
            .collect(),
        device_bytes_per_member: members.first().and_then(|b| b.device_bytes()),
    }
}

/// A perturbation as the scenario gives it.
fn describe(p: &Perturbation) -> String {
    use crate::scenario::Target;
    use basintwin_core::ensemble::Distribution;
    let what = match &p.target {
        Target::Inflow(Some(n)) => format!("inflow '{n}'"),
        Target::Source(Some(n)) => format!("source '{n}'"),
        t => t.name().to_string(),
    };
    let d = match p.distribution {
        Distribution::LogNormal { sigma } => format!("lognormal sigma {sigma}"),
        Distribution::Normal { sd } => format!("normal sd {sd}"),
        Distribution::Uniform { low, high } => format!("uniform {low}..{high}"),
    };
    let v = match p.variation {
        Variation::Fixed => String::new(),
        Variation::InTime { correlation_time_s } => {
            format!(", correlation time {correlation_time_s} s")
        }
        Variation::InSpace {
            correlation_length_m,
        } => format!(", correlation length {correlation_length_m} m"),
    };
    format!("{what}: {d}{v}")
}

/// The run's totals: all members' steps, member 0's budget.
fn totals<B: Backend>(members: &[B], simulated_s: f64, wall_s: f64) -> RunSummary {
    let steps: u64 = members.iter().map(|b| b.steps()).sum();
    let cells = members.first().map_or(0, |b| b.grid().cells());
    RunSummary {
        backend: members.first().map(|b| b.describe()).unwrap_or_default(),
        steps,
        simulated_s,
        wall_s,
        cells,
        cell_updates_per_s: if wall_s > 0.0 {
            steps as f64 * cells as f64 / wall_s
        } else {
            0.0
        },
        ledger: members.first().map(|b| b.ledger()).unwrap_or_default(),
    }
}

fn report(cx: &Context<'_>, run: &RunSummary, e: &EnsembleSummary, path: &std::path::Path) {
    if cx.opts.json {
        println!(
            "{}",
            serde_json::json!({"event": "done", "summary": path.display().to_string(), "steps": run.steps, "wall_s": run.wall_s})
        );
        return;
    }
    if cx.opts.quiet {
        return;
    }
    for g in &e.gauges {
        if let (Some(w), Some(p)) = (g.warning_level_m, g.warning_probability) {
            let when = g
                .warning_probability_above_half_at_s
                .map(|t| format!(", more than half by t = {t:.0} s"))
                .unwrap_or_default();
            eprintln!(
                "  {}: {:.0} % of the members pass the warning level {w} m{when}",
                g.name,
                100.0 * p
            );
        }
    }
    eprintln!(
        "{} members, {} steps in {:.1} s wall, {:.1} M cell updates/s; results in {}",
        cx.spec.members,
        run.steps,
        run.wall_s,
        run.cell_updates_per_s / 1e6,
        cx.sc.output_dir.display()
    );
}
