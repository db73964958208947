//! Statistics over the members: percentiles (linear between order statistics, numpy's default
//! `linear` method: Hyndman & Fan 1996, *Am. Stat.* 50(4), definition 7), exceedance
//! probabilities of the maximum depth per cell, and the warning probabilities of a gauge.

use rayon::prelude::*;

/// Percentile `q` (0..100) of `sorted` (ascending, not empty).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 1 {
        return sorted[0];
    }
    let pos = q / 100.0 * (n - 1) as f64;
    let lo = (pos.floor() as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let w = pos - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * w
}

/// `values` sorted ascending (NaN last).
pub fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    values
}

/// The maps of an ensemble's maximum depths: per threshold, the share of members whose maximum
/// depth exceeds it; per percentile, that percentile of the maximum depths. NaN outside the
/// domain.
#[derive(Debug, Clone, PartialEq)]
pub struct DepthMaps {
    pub exceedance: Vec<Vec<f32>>,
    pub percentiles: Vec<Vec<f32>>,
}

/// `max_depths[member][cell]`.
pub fn depth_maps(
    max_depths: &[Vec<f32>],
    active: &[bool],
    thresholds_m: &[f64],
    percentiles: &[f64],
) -> DepthMaps {
    let n = max_depths.len();
    let per_cell: Vec<(Vec<f32>, Vec<f32>)> = (0..active.len())
        .into_par_iter()
        .map(|k| {
            if !active[k] || n == 0 {
                return (
                    vec![f32::NAN; thresholds_m.len()],
                    vec![f32::NAN; percentiles.len()],
                );
            }
            let v = sorted(max_depths.iter().map(|m| f64::from(m[k])).collect());
            let exceed = thresholds_m
                .iter()
                .map(|&d| (v.iter().filter(|&&h| h > d).count() as f64 / n as f64) as f32)
                .collect();
            let pct = percentiles
                .iter()
                .map(|&q| percentile(&v, q) as f32)
                .collect();
            (exceed, pct)
        })
        .collect();
    let (exceedance, pct): (Vec<Vec<f32>>, Vec<Vec<f32>>) = per_cell.into_iter().unzip();
    let column = |rows: &[Vec<f32>], i: usize| -> Vec<f32> { rows.iter().map(|c| c[i]).collect() };
    DepthMaps {
        exceedance: (0..thresholds_m.len())
            .map(|i| column(&exceedance, i))
            .collect(),
        percentiles: (0..percentiles.len()).map(|i| column(&pct, i)).collect(),
    }
}

/// A gauge's warning over the members, from each member's first sample above the warning
/// level (`None`: never): the share of members that pass it, and the first time by which more
/// than half of them have.
pub fn warning_probability(first_passed_s: &[Option<f64>]) -> (f64, Option<f64>) {
    let n = first_passed_s.len();
    let times = sorted(first_passed_s.iter().flatten().copied().collect());
    let p = times.len() as f64 / n.max(1) as f64;
    // More than half: the (floor(n/2) + 1)-th earliest passage.
    (p, times.get(n / 2).copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_between_order_statistics() {
        let v = sorted(vec![4.0, 1.0, 3.0, 2.0, 5.0]);
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&v, 50.0), 3.0);
        assert_eq!(percentile(&v, 100.0), 5.0);
        // numpy.percentile([1, 2, 3, 4, 5], 10) = 1.4, 90 -> 4.6.
        assert!((percentile(&v, 10.0) - 1.4).abs() < 1e-12);
        assert!((percentile(&v, 90.0) - 4.6).abs() < 1e-12);
        assert_eq!(percentile(&[7.0], 90.0), 7.0);
    }

    #[test]
    fn exceedance_counts_members_and_percentiles_are_ordered() {
        let members = vec![
            vec![0.0, 0.2, 2.0],
            vec![0.0, 0.6, 1.0],
            vec![0.0, 1.2, 0.5],
            vec![0.0, 0.0, 3.0],
        ];
        let m = depth_maps(
            &members,
            &[false, true, true],
            &[0.1, 0.5, 1.0],
            &[10.0, 50.0, 90.0],
        );
        assert!(m.exceedance[0][0].is_nan() && m.percentiles[1][0].is_nan());
        assert_eq!(
            (m.exceedance[0][1], m.exceedance[1][1], m.exceedance[2][1]),
            (0.75, 0.5, 0.25)
        );
        assert_eq!(
            (m.exceedance[0][2], m.exceedance[1][2], m.exceedance[2][2]),
            (1.0, 0.75, 0.5)
        );
        // [0, 0.2, 0.6, 1.2]: p50 = 0.4.
        assert!((m.percentiles[1][1] - 0.4).abs() < 1e-6);
        assert!(
            m.percentiles[0][2] <= m.percentiles[1][2]
                && m.percentiles[1][2] <= m.percentiles[2][2]
        );
    }

    #[test]
    fn warning_probability_and_the_time_more_than_half_have_passed() {
        let (p, t) = warning_probability(&[Some(300.0), None, Some(100.0), Some(200.0)]);
        assert_eq!((p, t), (0.75, Some(300.0)));
        let (p, t) = warning_probability(&[Some(300.0), None, None, Some(200.0)]);
        assert_eq!((p, t), (0.5, None));
        assert_eq!(warning_probability(&[None]), (0.0, None));
    }
}
