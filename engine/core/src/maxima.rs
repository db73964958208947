//! Flood maps tracked every step: maximum depth, speed and hazard, and first arrival time.
//!
//! Hazard is `h (|v| + 0.5)` (m^2/s), the depth–velocity product of the UK flood hazard rating
//! (DEFRA/Environment Agency FD2320/FD2321, 2006) without its debris factor. Arrival time is the
//! first time the depth exceeds the configured threshold; NaN where it never did.

use crate::real::Real;

/// The speed (m/s) added to the flow speed in the hazard `h (|v| + 0.5)` (FD2320's 0.5 m/s).
pub const HAZARD_SPEED_OFFSET_M_S: f64 = 0.5;

/// Per-cell extremes since the start of the run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Maxima<R> {
    pub depth_m: Vec<R>,
    pub speed_m_s: Vec<R>,
    pub hazard_m2_s: Vec<R>,
    /// Seconds since the start of the run; NaN where the flood never arrived.
    pub arrival_s: Vec<R>,
}

impl<R: Real> Maxima<R> {
    pub fn new(cells: usize) -> Self {
        Self {
            depth_m: vec![R::zero(); cells],
            speed_m_s: vec![R::zero(); cells],
            hazard_m2_s: vec![R::zero(); cells],
            arrival_s: vec![R::nan(); cells],
        }
    }
}

/// Updates one cell's extremes with its depth and speed at time `t_s`. Branch-free.
/// WGSL twin: `maxima.wgsl::track`.
#[inline(always)]
pub fn track<R: Real>(
    h: R,
    speed: R,
    t_s: R,
    arrival_depth: R,
    max: (&mut R, &mut R, &mut R, &mut R),
) {
    let (depth, v_max, hazard, arrival) = max;
    *depth = depth.max(h);
    *v_max = v_max.max(speed);
    *hazard = hazard.max(h * (speed + R::c(HAZARD_SPEED_OFFSET_M_S)));
    let first = arrival.is_nan() && h > arrival_depth;
    *arrival = if first { t_s } else { *arrival };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_extremes_and_first_arrival() {
        let (mut d, mut s, mut z, mut a) = (0.0f64, 0.0, 0.0, f64::NAN);
        track(0.005, 0.0, 1.0, 0.01, (&mut d, &mut s, &mut z, &mut a));
        assert!(a.is_nan());
        track(0.5, 1.0, 2.0, 0.01, (&mut d, &mut s, &mut z, &mut a));
        track(0.2, 0.0, 3.0, 0.01, (&mut d, &mut s, &mut z, &mut a));
        assert_eq!((d, s, a), (0.5, 1.0, 2.0));
        assert!((z - 0.75).abs() < 1e-15);
    }
}
