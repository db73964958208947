//! What an ensemble run adds to its folder's contract: the `ensemble` block of `summary.json`
//! and `gauges_ensemble.csv` (`time_s`, then per gauge `<name>_level_p<q>_m` for each
//! percentile and `<name>_level_mean_m`).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{MassBalance, read_error};
use crate::error::IoError;

/// What an ensemble run adds to `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnsembleSummary {
    pub members: usize,
    pub seed: u64,
    /// Member 0 is the unperturbed run.
    pub control: bool,
    /// Each perturbation, as the scenario gives it.
    pub perturbations: Vec<String>,
    pub exceedance_depths_m: Vec<f64>,
    pub percentiles: Vec<f64>,
    pub gauges: Vec<GaugeProbability>,
    /// Every member's steps and water budget.
    pub member_runs: Vec<MemberRun>,
    /// The device memory each member takes (GPU runs), bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_bytes_per_member: Option<u64>,
}

/// A gauge over the ensemble.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaugeProbability {
    pub name: String,
    pub warning_level_m: Option<f64>,
    /// The share of members whose level passes the warning level at some sample.
    pub warning_probability: Option<f64>,
    /// The first sample by which more than half of the members have passed the warning level.
    pub warning_probability_above_half_at_s: Option<f64>,
    /// Percentiles of the members' peak levels.
    pub peak_level_m: Vec<PercentileValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PercentileValue {
    pub percentile: f64,
    pub value: f64,
}

/// One member's run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberRun {
    pub member: usize,
    pub steps: u64,
    pub mass_balance: MassBalance,
}

/// `gauges_ensemble.csv`, read back.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GaugeEnsembleTable {
    pub names: Vec<String>,
    pub percentiles: Vec<f64>,
    pub times_s: Vec<f64>,
    /// `levels[gauge][percentile][row]`.
    pub levels: Vec<Vec<Vec<f64>>>,
    /// `mean[gauge][row]`.
    pub mean: Vec<Vec<f64>>,
}

impl GaugeEnsembleTable {
    pub fn header(names: &[String], percentiles: &[f64]) -> String {
        let mut h = String::from("time_s");
        for n in names {
            for q in percentiles {
                h.push_str(&format!(",{n}_level_p{q}_m"));
            }
            h.push_str(&format!(",{n}_level_mean_m"));
        }
        h
    }

    /// One row: per gauge its percentiles, then its mean.
    pub fn row(time_s: f64, gauges: &[(Vec<f64>, f64)]) -> String {
        let mut r = format!("{time_s}");
        for (pct, mean) in gauges {
            for v in pct {
                r.push_str(&format!(",{v:.6}"));
            }
            r.push_str(&format!(",{mean:.6}"));
        }
        r
    }

    /// Reads a table written with [`Self::header`] and [`Self::row`].
    pub fn read(path: &Path) -> Result<Self, IoError> {
        let text = std::fs::read_to_string(path).map_err(|e| read_error(path, e))?;
        let invalid = |what: String| IoError::Invalid {
            path: path.to_path_buf(),
            what,
        };
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
        if header.first() != Some(&"time_s") {
            return Err(invalid("expected a header starting with time_s".into()));
        }
        let names: Vec<String> = header
            .iter()
            .filter_map(|h| h.strip_suffix("_level_mean_m"))
            .map(str::to_string)
            .collect();
        let percentiles: Vec<f64> = names
            .first()
            .map(|n| {
                header
                    .iter()
                    .filter_map(|h| h.strip_prefix(&format!("{n}_level_p"))?.strip_suffix("_m"))
                    .filter_map(|q| q.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        let per = percentiles.len() + 1;
        if header.len() != 1 + names.len() * per {
            return Err(invalid(format!(
                "{} columns for {} gauges with {} percentiles and a mean",
                header.len(),
                names.len(),
                percentiles.len()
            )));
        }
        let mut t = Self {
            levels: vec![vec![Vec::new(); percentiles.len()]; names.len()],
            mean: vec![Vec::new(); names.len()],
            names,
            percentiles,
            times_s: Vec::new(),
        };
        for (i, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let v: Vec<f64> = line
                .split(',')
                .map(|x| x.trim().parse::<f64>())
                .collect::<Result<_, _>>()
                .map_err(|e| invalid(format!("row {}: {e}", i + 2)))?;
            if v.len() != header.len() {
                return Err(invalid(format!(
                    "row {}: {} values for {} columns",
                    i + 2,
                    v.len(),
                    header.len()
                )));
            }
            t.times_s.push(v[0]);
            for g in 0..t.names.len() {
                let base = 1 + g * per;
                for q in 0..per - 1 {
                    t.levels[g][q].push(v[base + q]);
                }
                t.mean[g].push(v[base + per - 1]);
            }
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ensemble_gauge_table_reads_back() {
        let d = std::env::temp_dir().join(format!("basintwin-ens-table-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join("gauges_ensemble.csv");
        let names = vec!["bridge".to_string(), "town".to_string()];
        let text = [
            GaugeEnsembleTable::header(&names, &[10.0, 50.0, 90.0]),
            GaugeEnsembleTable::row(
                0.0,
                &[(vec![1.0, 1.5, 2.0], 1.4), (vec![3.0, 3.0, 3.25], 3.1)],
            ),
            GaugeEnsembleTable::row(
                60.0,
                &[(vec![1.1, 1.6, 2.1], 1.5), (vec![3.0, 3.5, 4.0], 3.5)],
            ),
        ]
        .join("\n");
        std::fs::write(&p, text).unwrap();
        let t = GaugeEnsembleTable::read(&p).unwrap();
        assert_eq!(t.names, names);
        assert_eq!(t.percentiles, [10.0, 50.0, 90.0]);
        assert_eq!(t.times_s, [0.0, 60.0]);
        assert_eq!(t.levels[1][2], [3.25, 4.0]);
        assert_eq!(t.mean[0], [1.4, 1.5]);
        std::fs::write(&p, "time_s,x_level_p10_m\n").unwrap();
        assert!(GaugeEnsembleTable::read(&p).is_err());
    }
}
