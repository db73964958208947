//! Colours of the water (by depth, speed or hazard class) and of the terrain (elevation ramp
//! with hillshade), and the legend that explains them. Pure functions: the tests of the
//! screenshots look for these colours.

/// What the water's colour shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorMode {
    #[default]
    Depth,
    Speed,
    Hazard,
    /// An ensemble run's probability that the maximum depth exceeds a depth (0..1).
    Exceedance,
}

impl ColorMode {
    pub const ALL: [ColorMode; 4] = [
        ColorMode::Depth,
        ColorMode::Speed,
        ColorMode::Hazard,
        ColorMode::Exceedance,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ColorMode::Depth => "depth",
            ColorMode::Speed => "speed",
            ColorMode::Hazard => "hazard",
            ColorMode::Exceedance => "exceedance",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.label() == s)
    }
}

/// Hazard classes of `h (|v| + 0.5)` (m^2/s), the depth-velocity product of the UK flood
/// hazard rating (Defra/EA FD2320/TR2, 2006), as in `max_hazard.tif`.
pub const HAZARD_CLASSES: [(f32, &str, [u8; 3]); 4] = [
    (0.75, "low (caution)", [255, 236, 130]),
    (1.25, "moderate (danger for some)", [255, 165, 60]),
    (2.0, "significant (danger for most)", [230, 60, 40]),
    (f32::INFINITY, "extreme (danger for all)", [140, 20, 90]),
];

/// The continuous ramp of depth: light cyan (shallow) to deep navy.
const DEPTH_RAMP: [[u8; 3]; 5] = [
    [170, 230, 255],
    [90, 180, 240],
    [30, 120, 215],
    [15, 70, 170],
    [10, 30, 110],
];

/// Speed: pale yellow to green to dark teal.
const SPEED_RAMP: [[u8; 3]; 5] = [
    [235, 245, 190],
    [160, 215, 140],
    [70, 175, 130],
    [30, 120, 130],
    [20, 60, 100],
];

fn ramp(stops: &[[u8; 3]], f: f32) -> [u8; 3] {
    let f = f.clamp(0.0, 1.0) * (stops.len() - 1) as f32;
    let k = (f.floor() as usize).min(stops.len() - 2);
    let w = f - k as f32;
    let (a, b) = (stops[k], stops[k + 1]);
    std::array::from_fn(|c| (f32::from(a[c]) * (1.0 - w) + f32::from(b[c]) * w).round() as u8)
}

/// Probability: pale lilac to deep purple (ColorBrewer "Purples"), apart from the water's blues
/// and the terrain's greens and browns.
const PROBABILITY_RAMP: [[u8; 3]; 5] = [
    [218, 218, 235],
    [188, 189, 220],
    [128, 125, 186],
    [84, 39, 143],
    [63, 0, 125],
];

/// The water colour (sRGB) of a cell with depth `h` (m) and speed `speed` (m/s); `max` is the
/// top of the legend of the continuous modes.
pub fn water_srgb(mode: ColorMode, h: f32, speed: f32, max: f32) -> [u8; 3] {
    match mode {
        ColorMode::Depth => ramp(&DEPTH_RAMP, h / max.max(1e-6)),
        ColorMode::Speed => ramp(&SPEED_RAMP, speed / max.max(1e-6)),
        // `h` is the probability here.
        ColorMode::Exceedance => ramp(&PROBABILITY_RAMP, h),
        ColorMode::Hazard => {
            let hr = h * (speed + 0.5);
            HAZARD_CLASSES
                .iter()
                .find(|(upper, _, _)| hr < *upper)
                .map_or(HAZARD_CLASSES[3].2, |c| c.2)
        }
    }
}

/// Whether an sRGB colour is one the water can have in `mode` (within `tol` per channel):
/// the screenshot tests count these pixels, blended over the terrain by the water's opacity.
pub fn is_water_like(rgb: [u8; 3]) -> bool {
    let [r, g, b] = rgb.map(i32::from);
    // Blue dominates clearly: no terrain colour (greens, browns, greys, white) does this.
    b > r + 40 && b > g + 5
}

/// Whether an sRGB colour is purple like the probability ramp (red and blue over green), as
/// the screenshot tests of an ensemble's exceedance map count them.
pub fn is_probability_like(rgb: [u8; 3]) -> bool {
    let [r, g, b] = rgb.map(i32::from);
    b > g + 30 && r > g + 10
}

/// Terrain colour (sRGB) by elevation fraction `f` in 0..1 (lowland green, hills brown, tops
/// grey), shaded by `shade` in 0..1 (hillshade).
pub fn terrain_srgb(f: f32, shade: f32) -> [u8; 3] {
    const T: [[u8; 3]; 5] = [
        [96, 140, 78],
        [140, 160, 90],
        [170, 150, 100],
        [150, 120, 90],
        [200, 195, 190],
    ];
    let c = ramp(&T, f);
    let s = 0.45 + 0.55 * shade.clamp(0.0, 1.0);
    c.map(|v| (f32::from(v) * s).round().min(255.0) as u8)
}

/// Hillshade (0..1) of a surface with gradient `(dz/dx, dz/dy)` under a sun from the
/// north-west at 45 degrees (the cartographic convention).
pub fn hillshade(dzdx: f32, dzdy: f32) -> f32 {
    // Unit normal (x east, y north, z up) against the direction to the sun.
    let n = [-dzdx, -dzdy, 1.0];
    let len = (n[0] * n[0] + n[1] * n[1] + 1.0).sqrt();
    let (az, alt) = (315f32.to_radians(), 45f32.to_radians());
    let sun = [alt.cos() * az.sin(), alt.cos() * az.cos(), alt.sin()];
    ((n[0] * sun[0] + n[1] * sun[1] + n[2] * sun[2]) / len).clamp(0.0, 1.0)
}

/// sRGB bytes to linear floats (what vertex colours carry).
pub fn linear(rgb: [u8; 3], alpha: f32) -> [f32; 4] {
    let f = |c: u8| {
        let c = f32::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    [f(rgb[0]), f(rgb[1]), f(rgb[2]), alpha]
}

/// A round number at or above `v` (1, 2 or 5 times a power of ten): the top of a legend.
pub fn nice_ceiling(v: f32) -> f32 {
    if !(v.is_finite() && v > 0.0) {
        return 1.0;
    }
    let p = 10f32.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|&c| c >= v * 0.999)
        .unwrap_or(10.0 * p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn water_colours_are_water_like_and_terrain_colours_are_not() {
        for mode in [ColorMode::Depth, ColorMode::Speed] {
            for k in 0..=20 {
                let c = water_srgb(mode, k as f32 * 0.25, k as f32 * 0.25, 5.0);
                if mode == ColorMode::Depth {
                    assert!(is_water_like(c), "{mode:?} {k}: {c:?}");
                }
            }
        }
        for k in 0..=10 {
            for s in 0..=4 {
                let c = terrain_srgb(k as f32 / 10.0, s as f32 / 4.0);
                assert!(!is_water_like(c), "terrain {k} {s}: {c:?}");
            }
        }
        // The sky (the viewer's clear colour) is not water either.
        assert!(!is_water_like([219, 224, 227]));
    }

    #[test]
    fn hazard_classes_follow_the_rating() {
        assert_eq!(
            water_srgb(ColorMode::Hazard, 0.2, 0.5, 1.0),
            HAZARD_CLASSES[0].2
        );
        assert_eq!(
            water_srgb(ColorMode::Hazard, 1.0, 0.5, 1.0),
            HAZARD_CLASSES[1].2
        );
        assert_eq!(
            water_srgb(ColorMode::Hazard, 1.0, 1.0, 1.0),
            HAZARD_CLASSES[2].2
        );
        assert_eq!(
            water_srgb(ColorMode::Hazard, 2.0, 2.0, 1.0),
            HAZARD_CLASSES[3].2
        );
    }

    #[test]
    fn flat_ground_is_lit_by_the_sun_and_slopes_facing_it_more() {
        let flat = hillshade(0.0, 0.0);
        assert!((flat - 45f32.to_radians().sin()).abs() < 1e-6);
        // Ground rising to the south-east (z up with x, down with y) faces the north-western
        // sun; ground rising to the north-west turns away from it.
        assert!(hillshade(0.5, -0.5) > flat);
        assert!(hillshade(-0.5, 0.5) < flat);
    }

    #[test]
    fn nice_ceilings() {
        assert_eq!(nice_ceiling(3.3), 5.0);
        assert_eq!(nice_ceiling(0.7), 1.0);
        assert_eq!(nice_ceiling(12.0), 20.0);
        assert_eq!(nice_ceiling(0.0), 1.0);
    }
}
