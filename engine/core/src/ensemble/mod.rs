//! Ensemble perturbations, the first brick of probabilistic forecasts: reproducible random
//! streams per member (`seed`, member, what is perturbed), the distributions of a perturbation
//! (lognormal factors with median 1, additive normal offsets, uniform factors), and factors that
//! wander in time as a stationary AR(1) process (a first-order Gauss–Markov process with
//! correlation time `tau`: `z(t + dt) = phi z(t) + sqrt(1 - phi^2) e`, `phi = exp(-dt / tau)`,
//! Evensen 2009, *Data Assimilation: The Ensemble Kalman Filter*, sec. 4.3; used for forcing
//! perturbations in flood ensembles, e.g. Garcia-Pintado et al. 2015, *J. Hydrol.* 523).
//!
//! The generator is xoshiro256** (Blackman & Vigna 2021, *ACM TOMS* 47) seeded through
//! SplitMix64, written here so that a member's draws never depend on a dependency's version:
//! member `k` of an ensemble with seed `s` draws the same numbers on every machine and release.

mod field;

pub use field::RandomField;

/// A reproducible stream of random numbers (xoshiro256**).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    s: [u64; 4],
}

/// SplitMix64: the recommended seeding of xoshiro from one 64-bit value.
fn splitmix64(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Stream {
    /// The stream of `member` for perturbation number `what` of an ensemble seeded with `seed`:
    /// independent of the other members and perturbations, the same on every run.
    pub fn new(seed: u64, member: u64, what: u64) -> Self {
        let mut x = seed;
        let a = splitmix64(&mut x);
        let mut x = a ^ member.wrapping_mul(0xd1b5_4a32_d192_ed03);
        let b = splitmix64(&mut x);
        let mut x = b ^ what.wrapping_mul(0x8cb9_2ba7_2f3d_8dd7);
        let s = [
            splitmix64(&mut x),
            splitmix64(&mut x),
            splitmix64(&mut x),
            splitmix64(&mut x),
        ];
        Self { s }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let out = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        out
    }

    /// Uniform in [0, 1), 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal (Box–Muller; one of the pair, so each draw costs two uniforms and the
    /// stream's position does not depend on earlier calls' parity).
    pub fn normal(&mut self) -> f64 {
        // 1 - u is in (0, 1]: the logarithm is finite.
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// How a perturbed quantity is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Distribution {
    /// A factor `exp(sigma z)`: median 1, multiplicative (rain, discharges, roughness).
    LogNormal { sigma: f64 },
    /// An offset `sd z` added to the quantity, in its unit (levels).
    Normal { sd: f64 },
    /// A factor uniform in `[low, high)`.
    Uniform { low: f64, high: f64 },
}

impl Distribution {
    /// Checks the parameters: `sigma`, `sd` >= 0 and finite, `0 <= low <= high`.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            Self::LogNormal { sigma } if !(sigma.is_finite() && sigma >= 0.0) => {
                Err(format!("sigma = {sigma}: expected a finite value >= 0"))
            }
            Self::Normal { sd } if !(sd.is_finite() && sd >= 0.0) => {
                Err(format!("sd = {sd}: expected a finite value >= 0"))
            }
            Self::Uniform { low, high }
                if !(low.is_finite() && high.is_finite() && 0.0 <= low && low <= high) =>
            {
                Err(format!(
                    "low = {low}, high = {high}: expected 0 <= low <= high"
                ))
            }
            _ => Ok(()),
        }
    }

    /// The perturbation for a standard-normal draw `z` (and a uniform `u` for `Uniform`).
    pub fn perturbation(&self, z: f64, u: f64) -> f64 {
        match *self {
            Self::LogNormal { sigma } => (sigma * z).exp(),
            Self::Normal { sd } => sd * z,
            Self::Uniform { low, high } => low + (high - low) * u,
        }
    }

    /// Applies a perturbation to a value: a factor, or an offset for `Normal`.
    pub fn apply(&self, value: f64, perturbation: f64) -> f64 {
        match self {
            Self::Normal { .. } => value + perturbation,
            _ => value * perturbation,
        }
    }

    /// The perturbation that leaves a value unchanged (the control member's).
    pub fn identity(&self) -> f64 {
        match self {
            Self::Normal { .. } => 0.0,
            _ => 1.0,
        }
    }

    /// One draw from `stream`.
    pub fn draw(&self, stream: &mut Stream) -> f64 {
        match self {
            Self::Uniform { .. } => self.perturbation(0.0, stream.uniform()),
            _ => self.perturbation(stream.normal(), 0.0),
        }
    }
}

/// A standard-normal value that wanders in time: a stationary AR(1) process sampled every
/// `dt_s`, with correlation `exp(-lag / tau)` between values `lag` seconds apart.
#[derive(Debug, Clone)]
pub struct Ar1 {
    phi: f64,
    innovation: f64,
    z: f64,
    stream: Stream,
}

impl Ar1 {
    /// Starts from a draw of the stationary distribution (N(0, 1)).
    pub fn new(mut stream: Stream, correlation_time_s: f64, dt_s: f64) -> Result<Self, String> {
        if !(correlation_time_s.is_finite() && correlation_time_s > 0.0) {
            return Err(format!(
                "correlation_time_s = {correlation_time_s}: expected a positive time in seconds"
            ));
        }
        if !(dt_s.is_finite() && dt_s > 0.0) {
            return Err(format!("dt_s = {dt_s}: expected a positive time step"));
        }
        let phi = (-dt_s / correlation_time_s).exp();
        let z = stream.normal();
        Ok(Self {
            phi,
            innovation: (1.0 - phi * phi).sqrt(),
            z,
            stream,
        })
    }

    /// The current value.
    pub fn value(&self) -> f64 {
        self.z
    }

    /// Moves one `dt_s` on and returns the new value.
    pub fn step(&mut self) -> f64 {
        self.z = self.phi * self.z + self.innovation * self.stream.normal();
        self.z
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, var)
    }

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let draw = |s: u64, m: u64, w: u64| {
            let mut st = Stream::new(s, m, w);
            (0..4).map(|_| st.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(draw(42, 3, 0), draw(42, 3, 0));
        assert_ne!(draw(42, 3, 0), draw(42, 4, 0));
        assert_ne!(draw(42, 3, 0), draw(42, 3, 1));
        assert_ne!(draw(42, 3, 0), draw(43, 3, 0));
    }

    /// xoshiro256** from the state (1, 2, 3, 4): the reference implementation's first outputs.
    #[test]
    fn the_generator_is_xoshiro256_starstar() {
        let mut s = Stream { s: [1, 2, 3, 4] };
        let got: Vec<u64> = (0..3).map(|_| s.next_u64()).collect();
        assert_eq!(got, vec![11520, 0, 1509978240]);
    }

    /// With n = 200000 draws the sample mean's standard error is 1/sqrt(n) = 2.2e-3 and the
    /// variance's sqrt(2/n) = 3.2e-3: the bounds are five of them.
    #[test]
    fn normal_draws_have_mean_0_and_variance_1() {
        let mut s = Stream::new(7, 0, 0);
        let xs: Vec<f64> = (0..200_000).map(|_| s.normal()).collect();
        let (m, v) = moments(&xs);
        assert!(m.abs() < 0.011, "mean {m}");
        assert!((v - 1.0).abs() < 0.016, "variance {v}");
        let u: Vec<f64> = (0..200_000).map(|_| s.uniform()).collect();
        assert!(u.iter().all(|x| (0.0..1.0).contains(x)));
        let (mu, vu) = moments(&u);
        assert!(
            (mu - 0.5).abs() < 0.004 && (vu - 1.0 / 12.0).abs() < 0.002,
            "{mu} {vu}"
        );
    }

    #[test]
    fn lognormal_factors_have_median_1_and_the_log_spread_sigma() {
        let d = Distribution::LogNormal { sigma: 0.3 };
        let mut s = Stream::new(1, 2, 3);
        let mut xs: Vec<f64> = (0..100_001).map(|_| d.draw(&mut s)).collect();
        let logs: Vec<f64> = xs.iter().map(|x| x.ln()).collect();
        let (_, v) = moments(&logs);
        xs.sort_by(f64::total_cmp);
        let median = xs[50_000];
        assert!((median - 1.0).abs() < 0.01, "median {median}");
        assert!((v.sqrt() - 0.3).abs() < 0.005, "sigma {}", v.sqrt());
        assert_eq!(d.apply(10.0, 2.0), 20.0);
        assert_eq!(d.apply(10.0, d.identity()), 10.0);
        let n = Distribution::Normal { sd: 0.2 };
        assert_eq!(n.apply(-1.5, 0.5), -1.0);
        assert_eq!(n.apply(-1.5, n.identity()), -1.5);
    }

    #[test]
    fn bad_parameters_are_refused() {
        assert!(Distribution::LogNormal { sigma: -0.1 }.validate().is_err());
        assert!(Distribution::Normal { sd: f64::NAN }.validate().is_err());
        assert!(
            Distribution::Uniform {
                low: 1.2,
                high: 0.8
            }
            .validate()
            .is_err()
        );
        assert!(
            Distribution::Uniform {
                low: 0.8,
                high: 1.2
            }
            .validate()
            .is_ok()
        );
        assert!(Ar1::new(Stream::new(0, 0, 0), 0.0, 1.0).is_err());
    }

    /// The AR(1) factor is stationary N(0, 1) with lag-1 correlation exp(-dt / tau).
    #[test]
    fn an_ar1_factor_keeps_its_variance_and_correlation_time() {
        let (tau, dt) = (3600.0, 300.0);
        let mut a = Ar1::new(Stream::new(5, 1, 0), tau, dt).unwrap();
        let xs: Vec<f64> = (0..200_000).map(|_| a.step()).collect();
        let (m, v) = moments(&xs);
        let lag1 = xs.windows(2).map(|w| w[0] * w[1]).sum::<f64>() / (xs.len() - 1) as f64 / v;
        let phi = (-dt / tau).exp();
        // Strongly correlated samples: fewer effective draws, wider (but still tight) bounds.
        assert!(m.abs() < 0.05, "mean {m}");
        assert!((v - 1.0).abs() < 0.05, "variance {v}");
        assert!((lag1 - phi).abs() < 0.01, "lag-1 {lag1} vs {phi}");
    }
}
