//! The frequentist engines, as gbstats computes them: the fixed-horizon two-sided Welch t-test
//! (valid when the data are looked at once, at a size fixed in advance), and sequential testing
//! with asymptotic confidence sequences (Waudby-Smith et al. 2023), whose intervals and
//! p-values stay valid however often they are looked at.

use serde::{Deserialize, Serialize};

use crate::dist::{t_cdf, t_ppf};
use crate::effect::{Difference, NoResult, Pair};

/// What a frequentist test gives for one comparison.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    /// The estimated difference.
    pub estimate: f64,
    /// The two-sided `1 - alpha` interval (a confidence sequence for the sequential test).
    pub ci: (f64, f64),
    pub p_value: f64,
    /// The standard error of the estimate.
    pub stddev: f64,
    /// Welch's degrees of freedom (the fixed-horizon test only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dof: Option<f64>,
    /// Why there is no result; then estimate 0, interval [0, 0] and p-value 1.
    pub error: Option<NoResult>,
}

impl TestResult {
    fn none(error: NoResult) -> TestResult {
        TestResult {
            estimate: 0.0,
            ci: (0.0, 0.0),
            p_value: 1.0,
            stddev: 0.0,
            dof: None,
            error: Some(error),
        }
    }
}

/// gbstats' guards, in its order: a zero control mean (adjusted or observed), then a zero
/// variance.
fn guard(pair: &Pair) -> Option<NoResult> {
    if pair.zero_baseline() {
        Some(NoResult::ZeroBaseline)
    } else if pair.has_zero_variance() {
        Some(NoResult::ZeroVariance)
    } else {
        None
    }
}

/// The fixed-horizon two-sided Welch t-test at level `alpha`.
pub fn fixed(pair: &Pair, difference: Difference, alpha: f64) -> TestResult {
    if let Some(error) = guard(pair) {
        return TestResult::none(error);
    }
    let estimate = pair.estimate(difference);
    let variance = pair.variance(difference);
    let stddev = variance.sqrt();
    let dof = pair.welch_dof();
    let t = estimate / stddev;
    let width = t_ppf(1.0 - alpha / 2.0, dof) * stddev;
    TestResult {
        estimate,
        ci: (estimate - width, estimate + width),
        // Written as gbstats writes it: 0 once the CDF rounds to 1.
        p_value: 2.0 * (1.0 - t_cdf(t.abs(), dof)),
        stddev,
        dof: Some(dof),
        error: None,
    }
}

/// `rho` of the confidence sequence for level `alpha` and tuning parameter `tuning` (the
/// number of units, over the two groups compared, at which decisions tend to be made).
pub fn sequential_rho(alpha: f64, tuning: f64) -> f64 {
    ((-2.0 * alpha.ln() + (-2.0 * alpha.ln() + 1.0).ln()) / tuning).sqrt()
}

/// The half-width of the confidence sequence around an estimate of variance `variance`,
/// after `units` units in the two groups (eq. 9 of Waudby-Smith et al.).
pub fn sequential_half_width(variance: f64, units: f64, alpha: f64, tuning: f64) -> f64 {
    let rho = sequential_rho(alpha, tuning);
    let s2 = variance * units;
    let n_rho2 = units * rho.powi(2);
    s2.sqrt()
        * ((2.0 * (n_rho2 + 1.0)) * ((n_rho2 + 1.0).sqrt() / alpha).ln() / (units * rho).powi(2))
            .sqrt()
}

/// Sequential testing at level `alpha`: an always-valid interval and p-value.
pub fn sequential(pair: &Pair, difference: Difference, alpha: f64, tuning: f64) -> TestResult {
    if let Some(error) = guard(pair) {
        return TestResult::none(error);
    }
    let estimate = pair.estimate(difference);
    let variance = pair.variance(difference);
    let units = pair.units();
    let width = sequential_half_width(variance, units, alpha, tuning);
    // The always-valid p-value: 1 / the e-value (eq. 155).
    let rho = sequential_rho(alpha, tuning);
    let st2 = estimate.powi(2) * units / variance;
    let tr2p1 = units * rho.powi(2) + 1.0;
    let e_value = (rho.powi(2) * st2 / (2.0 * tr2p1)).exp() / tr2p1.sqrt();
    TestResult {
        estimate,
        ci: (estimate - width, estimate + width),
        p_value: (1.0 / e_value).min(1.0),
        stddev: variance.sqrt(),
        dof: None,
        error: None,
    }
}
