//! Closed-form solutions the solver is checked against.
//!
//! - Dam breaks on a flat frictionless bed: the exact Riemann solution of the shallow-water
//!   equations (Stoker 1957, *Water Waves*, ch. 10; Ritter 1892 for a dry downstream bed), as
//!   laid out in Toro (2001), ch. 5, and in SWASHES (Delestre et al. 2013, *Int. J. Numer. Meth.
//!   Fluids* 72, 269–300, sec. 4.1).
//! - Thacker's (1981, *J. Fluid Mech.* 107, 499–508) planar surface oscillating in a
//!   paraboloid, in the form of SWASHES sec. 4.2.2.
//! - A dam break over a step in the bed: the exact Riemann solution with a bottom
//!   discontinuity (Alcrudo & Benkhaldoun 2001, *Computers & Fluids* 30, 643–671): a
//!   rarefaction, a stationary contact at the step across which discharge and energy are
//!   conserved, and a shock.
//! - MacDonald et al.'s (1997, *J. Hydraul. Eng.* 123(11), 1041–1045) steady flows with Manning
//!   friction: subcritical, with rain, and transcritical with a hydraulic jump (SWASHES 3.1.1,
//!   3.1.4 and 3.1.5).
//! - Rain on a plane: the kinematic-wave solution of overland flow (Lighthill & Whitham 1955;
//!   Wooding 1965, *J. Hydrol.* 3, 254–267; Singh 1996, *Kinematic Wave Modeling in Water
//!   Resources*, ch. 7), the rising limb and the steady state of a uniformly raining plane.

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

/// The states of a dam break over a step (Alcrudo & Benkhaldoun 2001): still water of depth
/// `h_left` on a bed at 0 for `x < x0`, still water of depth `h_right` on a bed raised by
/// `step_m` for `x > x0`. For a high enough reservoir the solution is a left rarefaction, the
/// state `(h1, u1)` just upstream of the step, the state `(h2, u2)` on top of it (same
/// discharge, same energy `u^2/2 + g (h + z)`), and a shock into the right state.
#[derive(Debug, Clone, Copy)]
pub struct StepDamBreak {
    pub h_left: f64,
    pub h_right: f64,
    pub step_m: f64,
    pub x0: f64,
    pub g: f64,
}

/// The intermediate states of [`StepDamBreak`] and the shock speed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepStates {
    pub h1: f64,
    pub u1: f64,
    pub h2: f64,
    pub u2: f64,
    pub shock_m_s: f64,
}

impl StepDamBreak {
    pub fn bed_m(&self, x: f64) -> f64 {
        if x < self.x0 { 0.0 } else { self.step_m }
    }

    /// The depth on the step carrying discharge `q` with energy head `e` (m^2/s^2, over the
    /// step's top): the subcritical root of `q^2 / (2 h^2) + g h = e`, by bisection; `None`
    /// when the energy cannot carry the discharge over the step.
    fn subcritical_depth(&self, q: f64, e: f64) -> Option<f64> {
        let g = self.g;
        let hc = (q * q / g).cbrt();
        let spec = |h: f64| q * q / (2.0 * h * h) + g * h;
        if hc > 0.0 && spec(hc) > e {
            return None;
        }
        let (mut lo, mut hi) = (hc.max(1e-12), e / g + 1.0);
        for _ in 0..200 {
            let m = 0.5 * (lo + hi);
            if spec(m) > e {
                hi = m;
            } else {
                lo = m;
            }
        }
        Some(0.5 * (lo + hi))
    }

    /// The intermediate states, or `None` when the wave pattern is not rarefaction — step —
    /// shock with subcritical flow upstream of the step (other patterns are not covered).
    pub fn states(&self) -> Option<StepStates> {
        let g = self.g;
        let cl = (g * self.h_left).sqrt();
        let hr = self.h_right;
        // For h1 on the rarefaction: u1 = 2 (cl - c1); subcritical (u1 < c1) for h1 > 4/9 hl.
        let on_step = |h1: f64| {
            let u1 = 2.0 * (cl - (g * h1).sqrt());
            let q = h1 * u1;
            let e = 0.5 * u1 * u1 + g * (h1 - self.step_m);
            self.subcritical_depth(q, e).map(|h2| (u1, h2, q / h2))
        };
        // Residual: the velocity on the step minus the one the right shock allows.
        let residual = |h1: f64| {
            on_step(h1).map(|(_, h2, u2)| {
                u2 - if h2 > hr {
                    (h2 - hr) * (0.5 * g * (h2 + hr) / (h2 * hr)).sqrt()
                } else {
                    f64::NAN
                }
            })
        };
        // Walk down from the still reservoir (h1 = hl: residual < 0) towards critical flow at
        // the step (h1 = 4/9 hl) until the residual changes sign, then bisect.
        let (h_min, mut hi) = (4.0 / 9.0 * self.h_left, self.h_left);
        let r_still = residual(hi)?;
        if !r_still.is_finite() || r_still >= 0.0 {
            return None;
        }
        let mut lo = hi;
        let walk = 1000;
        for k in 1..=walk {
            let h1 = self.h_left - (self.h_left - h_min) * k as f64 / walk as f64;
            match residual(h1) {
                Some(r) if r.is_finite() && r > 0.0 => {
                    lo = h1;
                    break;
                }
                Some(r) if r.is_finite() => hi = h1,
                _ => return None,
            }
        }
        if lo == self.h_left {
            return None;
        }
        for _ in 0..200 {
            let m = 0.5 * (lo + hi);
            let rm = residual(m)?;
            if !rm.is_finite() {
                return None;
            }
            if rm > 0.0 {
                lo = m;
            } else {
                hi = m;
            }
        }
        let h1 = 0.5 * (lo + hi);
        let (u1, h2, u2) = on_step(h1)?;
        Some(StepStates {
            h1,
            u1,
            h2,
            u2,
            shock_m_s: h2 * u2 / (h2 - hr),
        })
    }

    /// Depth and velocity at `x` and time `t > 0`.
    pub fn solution(&self, st: &StepStates, x: f64, t: f64) -> (f64, f64) {
        let g = self.g;
        let cl = (g * self.h_left).sqrt();
        let s = (x - self.x0) / t.max(1e-300);
        if x < self.x0 {
            let c1 = (g * st.h1).sqrt();
            if s <= -cl {
                (self.h_left, 0.0)
            } else if s < st.u1 - c1 {
                let c = (2.0 * cl - s) / 3.0;
                (c * c / g, 2.0 * (cl + s) / 3.0)
            } else {
                (st.h1, st.u1)
            }
        } else if s < st.shock_m_s {
            (st.h2, st.u2)
        } else {
            (self.h_right, 0.0)
        }
    }
}

/// MacDonald's steady flows in a channel with Manning friction (MacDonald et al. 1997;
/// SWASHES 3.1): the depth profile is given, with unit discharge `q`, and the bed is what makes
/// it steady: `z'(x) = (q^2 / (g h^3) - 1) h'(x) - n^2 q^2 / h^(10/3)`, `z(L) = 0`.
///
/// - [`MacDonaldProfile::Subcritical`] (SWASHES 3.1.1): `h(x) = (4/g)^(1/3) (1 + exp(-16 (x/L -
///   1/2)^2) / 2)`, L = 1000 m, q = 2 m^2/s, n = 0.033.
/// - [`MacDonaldProfile::TranscriticalJump`] (SWASHES 3.1.4, short channel with a shock):
///   L = 100 m, q = 2 m^2/s, n = 0.0328; subcritical inflow accelerating through critical depth,
///   `h(x) = (4/g)^(1/3) (4/3 - x/100) - 9 x/1000 (x/100 - 2/3)` up to the hydraulic jump at
///   `x_s = 200/3` m, then `h = (4/g)^(1/3) (a1 r^4 + a1 r^3 - a2 r^2 + a3 r + a4)` with
///   `r = x/100 - 2/3`; the coefficients make the two depths at `x_s` conjugate (equal momentum
///   flux `q^2/h + g h^2/2`), so the jump stands still.
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
    pub profile: MacDonaldProfile,
}

/// The depth profile of a [`MacDonald`] flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacDonaldProfile {
    Subcritical,
    TranscriticalJump,
}

impl Default for MacDonald {
    /// L = 1000 m, q = 2 m^2/s, n = 0.033, subcritical.
    fn default() -> Self {
        Self {
            length_m: 1000.0,
            q_m2_s: 2.0,
            manning: 0.033,
            g: 9.81,
            rain_m_s: 0.0,
            profile: MacDonaldProfile::Subcritical,
        }
    }
}

/// Coefficients of the downstream branch of the transcritical profile (SWASHES 3.1.4).
const JUMP_A: [f64; 4] = [0.674202, 21.7112, 14.492, 1.4305];

impl MacDonald {
    /// SWASHES 3.1.4: L = 100 m, q = 2 m^2/s, n = 0.0328, a standing jump at x = 200/3 m.
    pub fn transcritical_jump() -> Self {
        Self {
            length_m: 100.0,
            q_m2_s: 2.0,
            manning: 0.0328,
            g: 9.81,
            rain_m_s: 0.0,
            profile: MacDonaldProfile::TranscriticalJump,
        }
    }

    /// Where the hydraulic jump stands (m), if the profile has one.
    pub fn jump_m(&self) -> Option<f64> {
        (self.profile == MacDonaldProfile::TranscriticalJump).then_some(200.0 / 3.0)
    }

    /// Depth and its derivative at `x` (at the jump, the upstream side's).
    fn depth_and_slope(&self, x: f64) -> (f64, f64) {
        let hc = (4.0 / self.g).cbrt();
        match self.profile {
            MacDonaldProfile::Subcritical => {
                let s = x / self.length_m - 0.5;
                let e = (-16.0 * s * s).exp();
                (
                    hc * (1.0 + 0.5 * e),
                    hc * 0.5 * e * (-32.0 * s / self.length_m),
                )
            }
            MacDonaldProfile::TranscriticalJump => {
                if x <= 200.0 / 3.0 {
                    (
                        hc * (4.0 / 3.0 - x / 100.0) - 9.0 * x / 1000.0 * (x / 100.0 - 2.0 / 3.0),
                        -hc / 100.0 - 9.0 / 1000.0 * (x / 100.0 - 2.0 / 3.0) - 9.0 * x / 1e5,
                    )
                } else {
                    let [a1, a2, a3, a4] = JUMP_A;
                    let r = x / 100.0 - 2.0 / 3.0;
                    (
                        hc * (a1 * r.powi(4) + a1 * r.powi(3) - a2 * r * r + a3 * r + a4),
                        hc * (4.0 * a1 * r.powi(3) + 3.0 * a1 * r * r - 2.0 * a2 * r + a3) / 100.0,
                    )
                }
            }
        }
    }

    pub fn depth_m(&self, x: f64) -> f64 {
        self.depth_and_slope(x).0
    }

    /// Unit discharge at `x` (m^2/s).
    pub fn discharge_m2_s(&self, x: f64) -> f64 {
        self.q_m2_s + self.rain_m_s * x
    }

    fn bed_slope(&self, x: f64) -> f64 {
        let (n, g, r) = (self.manning, self.g, self.rain_m_s);
        let q = self.discharge_m2_s(x);
        let (h, dh) = self.depth_and_slope(x);
        -(2.0 * q * r / h - q * q * dh / (h * h)) / (g * h)
            - dh
            - n * n * q * q / h.powf(10.0 / 3.0)
    }

    /// The bed at `x`: `z(L) - integral from x to L of z'`, by Simpson's rule on a fine grid
    /// (split at the jump, where `z'` is discontinuous; the bed itself is continuous).
    pub fn bed_m(&self, x: f64) -> f64 {
        let simpson = |a: f64, b: f64, upstream: bool| {
            let n = 2000; // even
            let hstep = (b - a) / n as f64;
            if hstep <= 0.0 {
                return 0.0;
            }
            // At the jump itself, the side of the interval being integrated.
            let f = |x: f64| match self.jump_m() {
                Some(xs) if x == xs && !upstream => self.bed_slope(xs + 1e-12),
                _ => self.bed_slope(x),
            };
            let mut sum = f(a) + f(b);
            for k in 1..n {
                let w = if k % 2 == 1 { 4.0 } else { 2.0 };
                sum += w * f(a + k as f64 * hstep);
            }
            sum * hstep / 3.0
        };
        match self.jump_m() {
            Some(xs) if x < xs => -(simpson(x, xs, true) + simpson(xs, self.length_m, false)),
            _ => -simpson(x, self.length_m, false),
        }
    }
}

/// Overland flow on a plane of slope `slope` (m/m) and Manning roughness `manning_n` under
/// rain `rain_m_s` (m/s) starting at `t = 0` on a dry plane, a wall at its top (`x = 0`): the
/// kinematic wave `q = alpha h^m`, `alpha = S^(1/2) / n`, `m = 5/3`. Characteristics from the
/// top reach `x` at the time `h` reaches `(r x / alpha)^(1/m)`; below that, `h = r t`. Valid
/// where friction balances gravity (the kinematic number `S L / (h F^2)` large), i.e. away from
/// the top few cells.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KinematicPlane {
    pub rain_m_s: f64,
    pub slope: f64,
    pub manning_n: f64,
}

impl KinematicPlane {
    const M: f64 = 5.0 / 3.0;

    fn alpha(&self) -> f64 {
        self.slope.sqrt() / self.manning_n
    }

    /// Depth (m) at distance `x` (m) down the plane at time `t` (s).
    pub fn depth_m(&self, x: f64, t: f64) -> f64 {
        let r = self.rain_m_s;
        (r * t.max(0.0)).min((r * x.max(0.0) / self.alpha()).powf(1.0 / Self::M))
    }

    /// Unit discharge (m^2/s) leaving a plane of length `l` (m) at time `t`.
    pub fn unit_outflow_m2_s(&self, l: f64, t: f64) -> f64 {
        self.alpha() * self.depth_m(l, t).powf(Self::M)
    }

    /// Time (s) at which a plane of length `l` reaches its steady state (`q = r l`).
    pub fn equilibrium_s(&self, l: f64) -> f64 {
        (self.rain_m_s * l / self.alpha()).powf(1.0 / Self::M) / self.rain_m_s
    }

    /// Volume per metre of width (m^2) that has left a plane of length `l` by time `t`.
    pub fn outflow_volume_m2(&self, l: f64, t: f64) -> f64 {
        let (r, m) = (self.rain_m_s, Self::M);
        let tc = self.equilibrium_s(l);
        let rising = |t: f64| self.alpha() * r.powf(m) * t.powf(m + 1.0) / (m + 1.0);
        if t <= tc {
            rising(t)
        } else {
            rising(tc) + r * l * (t - tc)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinematic_plane_conserves_the_rain() {
        // On the rising limb the plane stores r t over most of its length; at any time the
        // rain fallen equals what is stored plus what has left.
        let k = KinematicPlane {
            rain_m_s: 30.0 / 3.6e6,
            slope: 0.01,
            manning_n: 0.03,
        };
        let l = 1000.0;
        assert!(
            (k.equilibrium_s(l) - 3290.0).abs() < 10.0,
            "{}",
            k.equilibrium_s(l)
        );
        for t in [600.0, 1800.0, 3000.0, 5000.0] {
            let n = 100_000;
            let stored: f64 = (0..n)
                .map(|i| k.depth_m((i as f64 + 0.5) * l / n as f64, t) * l / n as f64)
                .sum();
            let total = stored + k.outflow_volume_m2(l, t);
            assert!(
                (total - k.rain_m_s * t * l).abs() < 1e-4 * total,
                "{t}: {total}"
            );
        }
        // Steady: the outflow is the rain on the plane.
        assert!((k.unit_outflow_m2_s(l, 5000.0) - k.rain_m_s * l).abs() < 1e-12);
    }

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

    #[test]
    fn macdonald_jump_is_a_standing_hydraulic_jump() {
        let m = MacDonald::transcritical_jump();
        let (g, q) = (m.g, m.q_m2_s);
        let xs = m.jump_m().unwrap();
        let h1 = m.depth_m(xs);
        let h2 = m.depth_m(xs + 1e-9);
        let fr = |h: f64| q / (h * (g * h).sqrt());
        assert!(
            fr(h1) > 1.0 && fr(h2) < 1.0,
            "Froude {} -> {}",
            fr(h1),
            fr(h2)
        );
        assert!(fr(m.depth_m(0.0)) < 1.0 && fr(m.depth_m(100.0)) < 1.0);
        // Conjugate depths: the momentum flux is the same on both sides (to the 6 digits of
        // the published coefficients).
        let mflux = |h: f64| q * q / h + 0.5 * g * h * h;
        assert!(
            (mflux(h1) - mflux(h2)).abs() / mflux(h1) < 1e-5,
            "{} vs {}",
            mflux(h1),
            mflux(h2)
        );
        // Steady away from the jump, and the bed is continuous across it.
        for x in [20.0, 50.0, 80.0] {
            let d = 1e-3;
            let flux = |x: f64| mflux(m.depth_m(x));
            let lhs = (flux(x + d) - flux(x - d)) / (2.0 * d);
            let dz = (m.bed_m(x + d) - m.bed_m(x - d)) / (2.0 * d);
            let h = m.depth_m(x);
            let rhs = -g * h * dz - g * m.manning.powi(2) * q * q / h.powf(7.0 / 3.0);
            assert!((lhs - rhs).abs() < 1e-5, "x {x}: {lhs} vs {rhs}");
        }
        assert!((m.bed_m(xs - 1e-7) - m.bed_m(xs + 1e-7)).abs() < 1e-6);
    }

    #[test]
    fn step_dam_break_conserves_discharge_energy_and_momentum() {
        let sd = StepDamBreak {
            h_left: 2.0,
            h_right: 0.5,
            step_m: 0.5,
            x0: 0.0,
            g: 9.81,
        };
        let g = sd.g;
        let st = sd.states().unwrap();
        // Across the step: same discharge, same energy.
        assert!((st.h1 * st.u1 - st.h2 * st.u2).abs() < 1e-9);
        let e1 = 0.5 * st.u1 * st.u1 + g * st.h1;
        let e2 = 0.5 * st.u2 * st.u2 + g * (st.h2 + sd.step_m);
        assert!((e1 - e2).abs() < 1e-9, "{e1} {e2}");
        // Rarefaction: the Riemann invariant u + 2c is that of the reservoir.
        assert!((st.u1 + 2.0 * (g * st.h1).sqrt() - 2.0 * (g * 2.0f64).sqrt()).abs() < 1e-9);
        // Shock: Rankine-Hugoniot for mass and momentum.
        let s = st.shock_m_s;
        assert!((s * (st.h2 - 0.5) - st.h2 * st.u2).abs() < 1e-9);
        let mom = |h: f64, u: f64| h * u * u + 0.5 * g * h * h;
        assert!((s * st.h2 * st.u2 - (mom(st.h2, st.u2) - mom(0.5, 0.0))).abs() < 1e-9);
        // The wave pattern: the rarefaction's tail left of the step, the shock right of it.
        assert!(st.u1 < (g * st.h1).sqrt() && s > 0.0);
        let (h, _) = sd.solution(&st, -0.1, 1.0);
        assert_eq!(h, st.h1);
        assert_eq!(sd.solution(&st, 0.1, 1.0).0, st.h2);
        assert_eq!(sd.solution(&st, 1.01 * s, 1.0).0, 0.5);
        assert_eq!(sd.solution(&st, -1.01 * (2.0 * g).sqrt(), 1.0).0, 2.0);
    }
}
