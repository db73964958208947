//! Closed-form solutions the solver is checked against.
//!
//! - Dam breaks on a flat frictionless bed: the exact Riemann solution of the shallow-water
//!   equations (Stoker 1957, *Water Waves*, ch. 10; Ritter 1892 for a dry downstream bed), as
//!   laid out in Toro (2001), ch. 5, and in SWASHES (Delestre et al. 2013, *Int. J. Numer. Meth.
//!   Fluids* 72, 269–300, sec. 4.1).
//! - Thacker's (1981, *J. Fluid Mech.* 107, 499–508) planar surface oscillating in a
//!   paraboloid, in the form of SWASHES sec. 4.2.2.

/// Depth and velocity `(h, u)` of the dam break released at `x0` at `t = 0` with still water of
/// depth `h_left` for `x < x0` and `h_right` (0 for a dry bed, Ritter) for `x > x0`;
/// `h_left > h_right`.
pub fn dam_break(h_left: f64, h_right: f64, x0: f64, x: f64, t: f64, g: f64) -> (f64, f64) {
    if t <= 0.0 {
        return if x < x0 {
            (h_left, 0.0)
        } else {
            (h_right, 0.0)
        };
    }
    let s = (x - x0) / t;
    let cl = (g * h_left).sqrt();
    let rarefaction = |s: f64| {
        let c = (2.0 * cl - s) / 3.0;
        (c * c / g, 2.0 * (cl + s) / 3.0)
    };
    if s <= -cl {
        return (h_left, 0.0);
    }
    if h_right <= 0.0 {
        // Ritter: a single rarefaction reaching the dry front at 2 c_l.
        return if s < 2.0 * cl {
            rarefaction(s)
        } else {
            (0.0, 0.0)
        };
    }
    let h_star = stoker_middle_depth(h_left, h_right, g);
    let c_star = (g * h_star).sqrt();
    let u_star = 2.0 * (cl - c_star);
    let shock = h_star * u_star / (h_star - h_right);
    if s <= u_star - c_star {
        rarefaction(s)
    } else if s <= shock {
        (h_star, u_star)
    } else {
        (h_right, 0.0)
    }
}

/// Depth between the rarefaction and the shock of a wet-bed dam break: the root of
/// `f_l(h) + f_r(h) = 0` (Toro 2001, eq. 5.5), by bisection (the function increases in `h`).
pub fn stoker_middle_depth(h_left: f64, h_right: f64, g: f64) -> f64 {
    let f = |h: f64, hk: f64| {
        if h <= hk {
            2.0 * ((g * h).sqrt() - (g * hk).sqrt())
        } else {
            (h - hk) * (0.5 * g * (h + hk) / (h * hk)).sqrt()
        }
    };
    let (mut lo, mut hi) = (h_right, h_left);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid, h_left) + f(mid, h_right) > 0.0 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The bowl of Thacker's cases: `z = -h0 (1 - r^2 / a^2)` around the centre of an `l x l`
/// square.
fn paraboloid_bed(h0: f64, a: f64, l: f64, x: f64, y: f64) -> f64 {
    let (dx, dy) = (x - 0.5 * l, y - 0.5 * l);
    -h0 * (1.0 - (dx * dx + dy * dy) / (a * a))
}

/// Thacker's planar surface in a paraboloid (SWASHES 4.2.2): bed
/// `z = -h0 (1 - r^2 / a^2)` centred at `(L/2, L/2)`, a flat free surface tilting around the
/// centre with angular frequency `omega = sqrt(2 g h0) / a`, no friction.
#[derive(Debug, Clone, Copy)]
pub struct ThackerPlanar {
    /// Radius of the paraboloid at `z = 0` (m).
    pub a_m: f64,
    /// Depth of the paraboloid at its centre (m).
    pub h0_m: f64,
    /// Amplitude parameter eta (m).
    pub eta_m: f64,
    /// Side of the square domain (m).
    pub l_m: f64,
    pub g: f64,
}

impl Default for ThackerPlanar {
    /// The SWASHES case: a = 1 m, h0 = 0.1 m, eta = 0.5, L = 4 m.
    fn default() -> Self {
        Self {
            a_m: 1.0,
            h0_m: 0.1,
            eta_m: 0.5,
            l_m: 4.0,
            g: 9.81,
        }
    }
}

impl ThackerPlanar {
    pub fn omega(&self) -> f64 {
        (2.0 * self.g * self.h0_m).sqrt() / self.a_m
    }

    pub fn period_s(&self) -> f64 {
        2.0 * std::f64::consts::PI / self.omega()
    }

    pub fn bed_m(&self, x: f64, y: f64) -> f64 {
        paraboloid_bed(self.h0_m, self.a_m, self.l_m, x, y)
    }

    /// `(h, u, v)` at `(x, y, t)`.
    pub fn solution(&self, x: f64, y: f64, t: f64) -> (f64, f64, f64) {
        let w = self.omega();
        let (dx, dy) = (x - 0.5 * self.l_m, y - 0.5 * self.l_m);
        let k = self.eta_m * self.h0_m / (self.a_m * self.a_m);
        let h = k * (2.0 * dx * (w * t).cos() + 2.0 * dy * (w * t).sin() - self.eta_m)
            - self.bed_m(x, y);
        if h > 0.0 {
            (
                h,
                -self.eta_m * w * (w * t).sin(),
                self.eta_m * w * (w * t).cos(),
            )
        } else {
            (0.0, 0.0, 0.0)
        }
    }
}

/// Thacker's radially symmetric paraboloid (SWASHES 4.2.1): the same bowl as
/// [`ThackerPlanar`], with a curved surface that breathes in and out, period `2 pi / omega`,
/// `omega = sqrt(8 g h0) / a`, `A = (a^2 - r0^2) / (a^2 + r0^2)`:
/// `h = h0 [ sqrt(1 - A^2) / (1 - A cos wt) - 1 - r^2/a^2 ((1 - A^2)/(1 - A cos wt)^2 - 1) ] - z`.
#[derive(Debug, Clone, Copy)]
pub struct ThackerRadial {
    pub a_m: f64,
    pub h0_m: f64,
    /// Radius of the initial shoreline's reference circle (m).
    pub r0_m: f64,
    pub l_m: f64,
    pub g: f64,
}

impl Default for ThackerRadial {
    /// The SWASHES case: a = 1 m, h0 = 0.1 m, r0 = 0.8 m, L = 4 m.
    fn default() -> Self {
        Self {
            a_m: 1.0,
            h0_m: 0.1,
            r0_m: 0.8,
            l_m: 4.0,
            g: 9.81,
        }
    }
}

impl ThackerRadial {
    pub fn omega(&self) -> f64 {
        (8.0 * self.g * self.h0_m).sqrt() / self.a_m
    }

    pub fn period_s(&self) -> f64 {
        2.0 * std::f64::consts::PI / self.omega()
    }

    pub fn bed_m(&self, x: f64, y: f64) -> f64 {
        paraboloid_bed(self.h0_m, self.a_m, self.l_m, x, y)
    }

    /// `(h, u, v)` at `(x, y, t)`.
    pub fn solution(&self, x: f64, y: f64, t: f64) -> (f64, f64, f64) {
        let (a2, r02) = (self.a_m * self.a_m, self.r0_m * self.r0_m);
        let big_a = (a2 - r02) / (a2 + r02);
        let w = self.omega();
        let (dx, dy) = (x - 0.5 * self.l_m, y - 0.5 * self.l_m);
        let r2 = dx * dx + dy * dy;
        let c = 1.0 - big_a * (w * t).cos();
        let s1 = (1.0 - big_a * big_a).sqrt();
        let eta = self.h0_m * (s1 / c - 1.0 - r2 / a2 * ((1.0 - big_a * big_a) / (c * c) - 1.0));
        let h = eta - self.bed_m(x, y);
        if h > 0.0 {
            // Radial velocity u_r = w r A sin(wt) / (2 c).
            let k = w * big_a * (w * t).sin() / (2.0 * c);
            (h, k * dx, k * dy)
        } else {
            (0.0, 0.0, 0.0)
        }
    }
}

/// MacDonald's steady subcritical flow in a long channel with Manning friction (MacDonald et
/// al. 1997; SWASHES 3.1.1): the depth is given, `h(x) = (4/g)^(1/3) (1 + exp(-16 (x/L -
/// 1/2)^2) / 2)`, with unit discharge `q`, and the bed is what makes it steady:
/// `z'(x) = (q^2 / (g h^3) - 1) h'(x) - n^2 q^2 / h^(10/3)`, `z(L) = 0`.
///
/// With rain `r` (m/s) the discharge grows along the channel, `q(x) = q + r x` (SWASHES 3.1.5,
/// "with rain"), and the steady momentum balance gives
/// `z' = -(2 q q' / h - q^2 h' / h^2) / (g h) - h' - n^2 q^2 / h^(10/3)`, `q' = r`.
#[derive(Debug, Clone, Copy)]
pub struct MacDonald {
    pub length_m: f64,
    pub q_m2_s: f64,
    pub manning: f64,
    pub g: f64,
    /// Rain on the channel (m/s); 0 for the classic case.
    pub rain_m_s: f64,
}

impl Default for MacDonald {
    /// L = 1000 m, q = 2 m^2/s, n = 0.033.
    fn default() -> Self {
        Self {
            length_m: 1000.0,
            q_m2_s: 2.0,
            manning: 0.033,
            g: 9.81,
            rain_m_s: 0.0,
        }
    }
}

impl MacDonald {
    pub fn depth_m(&self, x: f64) -> f64 {
        let s = x / self.length_m - 0.5;
        (4.0 / self.g).cbrt() * (1.0 + 0.5 * (-16.0 * s * s).exp())
    }

    /// Unit discharge at `x` (m^2/s).
    pub fn discharge_m2_s(&self, x: f64) -> f64 {
        self.q_m2_s + self.rain_m_s * x
    }

    fn bed_slope(&self, x: f64) -> f64 {
        let (n, g, r) = (self.manning, self.g, self.rain_m_s);
        let q = self.discharge_m2_s(x);
        let h = self.depth_m(x);
        let s = x / self.length_m - 0.5;
        let dh = (4.0 / g).cbrt() * 0.5 * (-16.0 * s * s).exp() * (-32.0 * s / self.length_m);
        -(2.0 * q * r / h - q * q * dh / (h * h)) / (g * h)
            - dh
            - n * n * q * q / h.powf(10.0 / 3.0)
    }

    /// The bed at `x`: `z(L) - integral from x to L of z'`, by Simpson's rule on a fine grid.
    pub fn bed_m(&self, x: f64) -> f64 {
        let n = 2000; // even
        let (a, b) = (x, self.length_m);
        let hstep = (b - a) / n as f64;
        if hstep == 0.0 {
            return 0.0;
        }
        let mut sum = self.bed_slope(a) + self.bed_slope(b);
        for k in 1..n {
            let w = if k % 2 == 1 { 4.0 } else { 2.0 };
            sum += w * self.bed_slope(a + k as f64 * hstep);
        }
        -sum * hstep / 3.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stoker_satisfies_the_rankine_hugoniot_conditions() {
        let (hl, hr, g) = (2.0, 0.5, 9.81);
        let hs = stoker_middle_depth(hl, hr, g);
        let us = 2.0 * ((g * hl).sqrt() - (g * hs).sqrt());
        let s = hs * us / (hs - hr);
        // Momentum jump: s (h* u* - 0) = h* u*^2 + g h*^2/2 - g hr^2/2
        let lhs = s * hs * us;
        let rhs = hs * us * us + 0.5 * g * (hs * hs - hr * hr);
        assert!((lhs - rhs).abs() < 1e-9 * rhs, "{lhs} {rhs}");
        assert!(hs > hr && hs < hl);
    }

    #[test]
    fn ritter_front_and_undisturbed_states() {
        let (h0, g): (f64, f64) = (1.0, 9.81);
        let c = (g * h0).sqrt();
        assert_eq!(dam_break(h0, 0.0, 0.0, -1.01 * c, 1.0, g), (h0, 0.0));
        assert_eq!(dam_break(h0, 0.0, 0.0, 2.01 * c, 1.0, g).0, 0.0);
        // At the dam site the depth is 4/9 h0 (Ritter).
        let (h, u) = dam_break(h0, 0.0, 0.0, 0.0, 1.0, g);
        assert!((h - 4.0 / 9.0).abs() < 1e-12 && (u - 2.0 * c / 3.0).abs() < 1e-12);
    }

    #[test]
    fn thacker_surface_is_planar_and_volume_is_constant() {
        let th = ThackerPlanar::default();
        let vol = |t: f64| {
            let n = 400;
            let d = th.l_m / n as f64;
            let mut v = 0.0;
            for j in 0..n {
                for i in 0..n {
                    v += th.solution((i as f64 + 0.5) * d, (j as f64 + 0.5) * d, t).0 * d * d;
                }
            }
            v
        };
        let (v0, v1) = (vol(0.0), vol(0.3 * th.period_s()));
        assert!((v0 - v1).abs() / v0 < 1e-3, "{v0} {v1}");
    }

    #[test]
    fn thacker_radial_conserves_volume_and_breathes_back() {
        let th = ThackerRadial::default();
        let vol = |t: f64| {
            let n = 400;
            let d = th.l_m / n as f64;
            let mut v = 0.0;
            for j in 0..n {
                for i in 0..n {
                    v += th.solution((i as f64 + 0.5) * d, (j as f64 + 0.5) * d, t).0 * d * d;
                }
            }
            v
        };
        let (v0, v1) = (vol(0.0), vol(0.37 * th.period_s()));
        assert!((v0 - v1).abs() / v0 < 2e-3, "{v0} {v1}");
        let c = 0.5 * th.l_m;
        let (h0, _, _) = th.solution(c, c, 0.0);
        let (h1, _, _) = th.solution(c, c, th.period_s());
        assert!((h0 - h1).abs() < 1e-12);
    }

    #[test]
    fn macdonald_bed_makes_the_flow_steady() {
        // Steady momentum: d/dx (q^2/h + g h^2/2) = -g h z' - g n^2 q^2 / h^(7/3), with and
        // without rain (q = q0 + r x).
        for (q0, rain) in [(2.0, 0.0), (1.0, 5e-4)] {
            let m = MacDonald {
                q_m2_s: q0,
                rain_m_s: rain,
                ..MacDonald::default()
            };
            let (g, n) = (m.g, m.manning);
            for x in [100.0, 400.0, 500.0, 777.0] {
                let d = 1e-3;
                let flux = |x: f64| {
                    let (h, q) = (m.depth_m(x), m.discharge_m2_s(x));
                    q * q / h + 0.5 * g * h * h
                };
                let lhs = (flux(x + d) - flux(x - d)) / (2.0 * d);
                let dz = (m.bed_m(x + d) - m.bed_m(x - d)) / (2.0 * d);
                let (h, q) = (m.depth_m(x), m.discharge_m2_s(x));
                let rhs = -g * h * dz - g * n * n * q * q / h.powf(7.0 / 3.0);
                assert!(
                    (lhs - rhs).abs() < 1e-5,
                    "rain {rain}, x {x}: {lhs} vs {rhs}"
                );
            }
            assert_eq!(m.bed_m(1000.0), 0.0);
            let (h, q) = (m.depth_m(1000.0), m.discharge_m2_s(1000.0));
            assert!(h * h * h * g > q * q, "subcritical");
        }
    }
}
