//! Localisation for the local ETKF (LETKF, Hunt, Kostelich & Szunyogh 2007, *Physica D* 230,
//! sec. 2.3): each cell is analysed with the observations near it, each observation's inverse
//! error variance tapered by its distance (R-localisation, Greybush et al. 2011, *Mon. Wea.
//! Rev.* 139) with the compactly supported fifth-order function of Gaspari & Cohn (1999, *Q. J.
//! R. Meteorol. Soc.* 125, eq. 4.10), which is 1 at distance 0 and 0 from `cutoff_m` on.

/// The Gaspari–Cohn taper at distance `r_m` for a cutoff (support) `cutoff_m`: a correlation
/// function with half-width `c = cutoff_m / 2`.
pub fn gaspari_cohn(r_m: f64, cutoff_m: f64) -> f64 {
    let z = 2.0 * r_m.abs() / cutoff_m;
    if z >= 2.0 || !z.is_finite() {
        return 0.0;
    }
    let (z2, z3) = (z * z, z * z * z);
    let (z4, z5) = (z3 * z, z3 * z2);
    if z <= 1.0 {
        -0.25 * z5 + 0.5 * z4 + 0.625 * z3 - 5.0 / 3.0 * z2 + 1.0
    } else {
        z5 / 12.0 - 0.5 * z4 + 0.625 * z3 + 5.0 / 3.0 * z2 - 5.0 * z + 4.0 - 2.0 / (3.0 * z)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_taper_is_one_at_the_point_zero_at_the_cutoff_continuous_and_decreasing() {
        let l = 1000.0;
        assert_eq!(gaspari_cohn(0.0, l), 1.0);
        assert_eq!(gaspari_cohn(l, l), 0.0);
        assert_eq!(gaspari_cohn(5.0 * l, l), 0.0);
        // Both pieces meet at the half-width: 5/24 there.
        assert!((gaspari_cohn(0.5 * l - 1e-9, l) - 5.0 / 24.0).abs() < 1e-8);
        assert!((gaspari_cohn(0.5 * l + 1e-9, l) - 5.0 / 24.0).abs() < 1e-8);
        let v: Vec<f64> = (0..=100)
            .map(|i| gaspari_cohn(i as f64 * 10.0, l))
            .collect();
        assert!(v.windows(2).all(|w| w[1] <= w[0]), "{v:?}");
        assert!(v[99] >= 0.0 && v[99] < 1e-3);
        assert_eq!(gaspari_cohn(-300.0, l), gaspari_cohn(300.0, l));
    }
}
