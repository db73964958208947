//! The ensemble transform Kalman filter (Bishop, Etherton & Majumdar 2001, *Mon. Wea. Rev.*
//! 129; in the form of Hunt, Kostelich & Szunyogh 2007, *Physica D* 230, sec. 2.3, which LETKF
//! localises), with multiplicative inflation of the prior spread.
//!
//! With `N` members, `p` observations `y` of error standard deviations `sd` (uncorrelated), and
//! the members' predicted observations `Yb` (p x N, mean `yb`, anomalies `Yb'`):
//!
//! ```text
//! C   = Yb'^T R^-1                                   (N x p)
//! Pa~ = [ (N - 1) / rho I + C Yb' ]^-1               (N x N, symmetric positive definite)
//! wa  = Pa~ C (y - yb)                                (the mean's weights)
//! Wa  = [ (N - 1) Pa~ ]^(1/2)                         (symmetric square root: the anomalies)
//! x_j = xb + X' (wa + Wa[:, j])                       (member j after the analysis)
//! ```
//!
//! The analysis mean and covariance of the members are then exactly the Kalman filter's update
//! of the ensemble's own mean and (inflated) covariance, whatever `N` (a deterministic square
//! root filter: the tests check it to rounding). The inverse and the square root come from one
//! symmetric eigendecomposition of the N x N matrix.

use nalgebra::{DMatrix, DVector, SymmetricEigen};

/// The analysis in ensemble space: member `j` after the analysis is
/// `mean + sum_i (x_i - mean) w[(i, j)]`, for any quantity of the state.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    pub w: DMatrix<f64>,
}

impl Weights {
    /// The members' values of one quantity (one per member) after the analysis.
    pub fn apply(&self, values: &[f64]) -> Vec<f64> {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        (0..self.w.ncols())
            .map(|j| {
                mean + values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (v - mean) * self.w[(i, j)])
                    .sum::<f64>()
            })
            .collect()
    }
}

/// The ETKF weights for predicted observations `hx` (p x N: observation `o` of member `j` at
/// `(o, j)`), observations `y` with error standard deviations `sd`, and multiplicative
/// inflation `inflation` (>= 1; 1: none).
pub fn etkf_weights(
    hx: &DMatrix<f64>,
    y: &[f64],
    sd: &[f64],
    inflation: f64,
) -> Result<Weights, String> {
    localized_weights(hx, y, sd, inflation, None)
}

/// The LETKF weights of one place: [`etkf_weights`] with each observation's inverse error
/// variance multiplied by its taper in [0, 1] (`localization::gaspari_cohn` of its distance;
/// 0: the observation is not seen here).
pub fn letkf_weights(
    hx: &DMatrix<f64>,
    y: &[f64],
    sd: &[f64],
    inflation: f64,
    taper: &[f64],
) -> Result<Weights, String> {
    if taper.len() != y.len() || taper.iter().any(|t| !(0.0..=1.0).contains(t)) {
        return Err(format!(
            "{} taper values in [0, 1] expected for {} observations",
            taper.len(),
            y.len()
        ));
    }
    localized_weights(hx, y, sd, inflation, Some(taper))
}

fn localized_weights(
    hx: &DMatrix<f64>,
    y: &[f64],
    sd: &[f64],
    inflation: f64,
    taper: Option<&[f64]>,
) -> Result<Weights, String> {
    let (p, n) = hx.shape();
    if n < 2 {
        return Err(format!("{n} member(s): the analysis needs at least 2"));
    }
    if y.len() != p || sd.len() != p {
        return Err(format!(
            "{} observations and {} errors for {p} predicted observations",
            y.len(),
            sd.len()
        ));
    }
    if let Some(s) = sd.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
        return Err(format!(
            "observation error {s}: expected a positive standard deviation"
        ));
    }
    if !(inflation.is_finite() && inflation >= 1.0) {
        return Err(format!("inflation {inflation}: expected a factor >= 1"));
    }
    if y.iter().chain(hx.iter()).any(|v| !v.is_finite()) {
        return Err("a non-finite observation or predicted observation".into());
    }
    let nf = n as f64;
    let yb = hx.column_mean();
    let mut yp = hx.clone();
    for mut col in yp.column_iter_mut() {
        col -= &yb;
    }
    // C = Yb'^T R^-1.
    let mut c = yp.transpose();
    for (o, s) in sd.iter().enumerate() {
        let t = taper.map_or(1.0, |t| t[o]);
        c.column_mut(o).scale_mut(t / (s * s));
    }
    let mut a = &c * &yp;
    for k in 0..n {
        a[(k, k)] += (nf - 1.0) / inflation;
    }
    let a = (&a + a.transpose()) * 0.5;
    let eig = SymmetricEigen::new(a);
    if let Some(l) = eig
        .eigenvalues
        .iter()
        .find(|l| !(l.is_finite() && **l > 0.0))
    {
        return Err(format!(
            "the ensemble-space matrix has eigenvalue {l}: expected positive"
        ));
    }
    let q = &eig.eigenvectors;
    let with = |f: &dyn Fn(f64) -> f64| {
        let d = DMatrix::from_diagonal(&eig.eigenvalues.map(f));
        q * d * q.transpose()
    };
    let pa = with(&|l| 1.0 / l);
    let wa_anom = with(&|l| ((nf - 1.0) / l).sqrt());
    let innovation = DVector::from_column_slice(y) - &yb;
    let wa_mean = &pa * (&c * innovation);
    let mut w = wa_anom;
    for mut col in w.column_iter_mut() {
        col += &wa_mean;
    }
    Ok(Weights { w })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ensemble::Stream;

    /// Sample mean (n) and covariance (n x n, divided by N - 1) of members in columns.
    fn moments(x: &DMatrix<f64>) -> (DVector<f64>, DMatrix<f64>) {
        let n = x.ncols() as f64;
        let mean = x.column_mean();
        let mut a = x.clone();
        for mut col in a.column_iter_mut() {
            col -= &mean;
        }
        let cov = &a * a.transpose() / (n - 1.0);
        (mean, cov)
    }

    /// The Kalman filter's update of mean `m` and covariance `p` by observations `y` = H x + e,
    /// e ~ N(0, diag(sd^2)).
    fn kalman(
        m: &DVector<f64>,
        p: &DMatrix<f64>,
        h: &DMatrix<f64>,
        y: &[f64],
        sd: &[f64],
    ) -> (DVector<f64>, DMatrix<f64>) {
        let r = DMatrix::from_diagonal(&DVector::from_iterator(sd.len(), sd.iter().map(|s| s * s)));
        let s = h * p * h.transpose() + r;
        let k = p * h.transpose() * s.try_inverse().unwrap();
        let ma = m + &k * (DVector::from_column_slice(y) - h * m);
        let pa = (DMatrix::identity(m.len(), m.len()) - &k * h) * p;
        (ma, pa)
    }

    /// Members of a 3-value state with correlated prior errors, drawn from `stream`.
    fn prior(n: usize, seed: u64) -> DMatrix<f64> {
        let mut s = Stream::new(seed, 0, 0);
        let l = DMatrix::from_row_slice(3, 3, &[1.0, 0.0, 0.0, 0.6, 0.8, 0.0, -0.3, 0.4, 0.5]);
        let mu = DVector::from_column_slice(&[2.0, 1.0, -0.5]);
        let mut x = DMatrix::zeros(3, n);
        for j in 0..n {
            let z = DVector::from_fn(3, |_, _| s.normal());
            x.set_column(j, &(&mu + &l * z));
        }
        x
    }

    fn analyse(
        x: &DMatrix<f64>,
        h: &DMatrix<f64>,
        y: &[f64],
        sd: &[f64],
        rho: f64,
    ) -> DMatrix<f64> {
        let w = etkf_weights(&(h * x), y, sd, rho).unwrap();
        let mut xa = DMatrix::zeros(x.nrows(), x.ncols());
        for k in 0..x.nrows() {
            let row: Vec<f64> = x.row(k).iter().copied().collect();
            for (j, v) in w.apply(&row).into_iter().enumerate() {
                xa[(k, j)] = v;
            }
        }
        xa
    }

    /// A linear Gaussian case: observing the first value and the sum of the last two. The
    /// members' analysis mean and covariance are the Kalman filter's update of their prior
    /// mean and covariance (inflated by rho), to rounding, for a small and a large ensemble.
    #[test]
    fn the_etkf_is_the_kalman_filter_of_the_ensemble_statistics() {
        let h = DMatrix::from_row_slice(2, 3, &[1.0, 0.0, 0.0, 0.0, 1.0, 1.0]);
        let (y, sd) = ([2.7, 0.2], [0.3, 0.5]);
        for (n, rho) in [(5, 1.0), (40, 1.0), (40, 1.3)] {
            let x = prior(n, n as u64);
            let (m, p) = moments(&x);
            let (ma, pa) = kalman(&m, &(&p * rho), &h, &y, &sd);
            let (ea, epa) = moments(&analyse(&x, &h, &y, &sd, rho));
            assert!((&ea - &ma).amax() < 1e-10, "N = {n}: mean {ea} vs {ma}");
            assert!(
                (&epa - &pa).amax() < 1e-10,
                "N = {n}: covariance {epa} vs {pa}"
            );
        }
    }

    /// As the ensemble grows, its analysis approaches the Kalman filter of the true prior
    /// (mean and covariance known in closed form): with N = 1000 the sampling error of the
    /// prior is about 1/sqrt(N) = 3.2 % of its spread; the bounds are three of them.
    #[test]
    fn a_large_ensemble_approaches_the_exact_kalman_filter() {
        let l = DMatrix::from_row_slice(3, 3, &[1.0, 0.0, 0.0, 0.6, 0.8, 0.0, -0.3, 0.4, 0.5]);
        let (m0, p0) = (
            DVector::from_column_slice(&[2.0, 1.0, -0.5]),
            &l * l.transpose(),
        );
        let h = DMatrix::from_row_slice(2, 3, &[1.0, 0.0, 0.0, 0.0, 1.0, 1.0]);
        let (y, sd) = ([2.7, 0.2], [0.3, 0.5]);
        let (ma, pa) = kalman(&m0, &p0, &h, &y, &sd);
        let (ea, epa) = moments(&analyse(&prior(1000, 9), &h, &y, &sd, 1.0));
        assert!((&ea - &ma).amax() < 0.095, "mean {ea} vs {ma}");
        assert!((&epa - &pa).amax() < 0.095, "covariance {epa} vs {pa}");
        // A small ensemble is further off than the large one (sampling error).
        let (es, eps) = moments(&analyse(&prior(8, 9), &h, &y, &sd, 1.0));
        let err = |m: &DVector<f64>, p: &DMatrix<f64>| (m - &ma).amax().max((p - &pa).amax());
        assert!(
            err(&ea, &epa) < err(&es, &eps),
            "{} vs {}",
            err(&ea, &epa),
            err(&es, &eps)
        );
    }

    /// A taper of one everywhere is the ETKF; a taper of zero removes an observation.
    #[test]
    fn the_letkf_tapers_observations() {
        let x = prior(12, 4);
        let h = DMatrix::from_row_slice(2, 3, &[1.0, 0.0, 0.0, 0.0, 1.0, 1.0]);
        let hx = &h * &x;
        let (y, sd) = ([2.7, 0.2], [0.3, 0.5]);
        let all = etkf_weights(&hx, &y, &sd, 1.1).unwrap();
        assert_eq!(letkf_weights(&hx, &y, &sd, 1.1, &[1.0, 1.0]).unwrap(), all);
        let first = etkf_weights(&hx.rows(0, 1).into_owned(), &y[..1], &sd[..1], 1.1).unwrap();
        let tapered = letkf_weights(&hx, &y, &sd, 1.1, &[1.0, 0.0]).unwrap();
        assert!((&tapered.w - &first.w).amax() < 1e-12);
        assert!(letkf_weights(&hx, &y, &sd, 1.1, &[1.0]).is_err());
        assert!(letkf_weights(&hx, &y, &sd, 1.1, &[1.0, 1.5]).is_err());
    }

    #[test]
    fn without_information_the_members_stay_and_bad_input_is_refused() {
        // A huge observation error: the members are left as they are.
        let x = prior(6, 1);
        let h = DMatrix::from_row_slice(1, 3, &[1.0, 0.0, 0.0]);
        let xa = analyse(&x, &h, &[100.0], &[1e9], 1.0);
        assert!((&xa - &x).amax() < 1e-6);
        let hx = &h * &x;
        assert!(etkf_weights(&hx, &[1.0], &[0.0], 1.0).is_err());
        assert!(etkf_weights(&hx, &[1.0, 2.0], &[1.0, 1.0], 1.0).is_err());
        assert!(etkf_weights(&hx, &[f64::NAN], &[1.0], 1.0).is_err());
        assert!(etkf_weights(&hx, &[1.0], &[1.0], 0.9).is_err());
        assert!(etkf_weights(&hx.columns(0, 1).into_owned(), &[1.0], &[1.0], 1.0).is_err());
    }
}
