//! The Bayesian engine, as gbstats computes it (GrowthBook's default engine): a normal model
//! of the effect with a Gaussian prior on the relative lift (improper by default, so the
//! posterior is the data), giving the chance to win, a credible interval and the risk of each
//! choice.

use serde::{Deserialize, Serialize};

use crate::dist::{log_normal_cdf, normal_cdf, normal_ppf};
use crate::effect::{Difference, NoResult, Pair};

/// A Gaussian prior on the relative lift.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prior {
    /// `false`: improper (flat); the posterior is the data alone.
    pub proper: bool,
    pub mean: f64,
    pub stddev: f64,
}

impl Default for Prior {
    /// GrowthBook's default: improper (with the UI's N(0, 0.3²) for when it is made proper).
    fn default() -> Prior {
        Prior {
            proper: false,
            mean: 0.0,
            stddev: 0.3,
        }
    }
}

/// What the Bayesian engine gives for one comparison.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BayesResult {
    /// P(lift > 0), or P(lift < 0) for a metric where lower is better.
    pub chance_to_win: f64,
    /// The posterior mean of the lift.
    pub expected: f64,
    /// The `1 - alpha` credible interval.
    pub ci: (f64, f64),
    /// The posterior standard deviation.
    pub stddev: f64,
    /// The expected loss of keeping control and of shipping the treatment.
    pub risk: (f64, f64),
    /// Why there is no result; then chance to win 0.5, estimate 0, interval [0, 0].
    pub error: Option<NoResult>,
}

impl BayesResult {
    fn none(error: NoResult) -> BayesResult {
        BayesResult {
            chance_to_win: 0.5,
            expected: 0.0,
            ci: (0.0, 0.0),
            stddev: 0.0,
            risk: (0.0, 0.0),
            error: Some(error),
        }
    }
}

/// The posterior of the lift, and what follows from it.
pub fn bayesian(
    pair: &Pair,
    difference: Difference,
    alpha: f64,
    prior: Prior,
    inverse: bool,
) -> BayesResult {
    if pair.zero_baseline() && difference == Difference::Relative {
        return BayesResult::none(NoResult::ZeroBaseline);
    }
    if pair.control.n == 0.0 || pair.treatment.n == 0.0 {
        return BayesResult::none(NoResult::NoUnits);
    }
    if pair.has_zero_variance() {
        return BayesResult::none(NoResult::ZeroVariance);
    }
    // The prior is on the relative lift; an absolute analysis scales it by the control's
    // observed mean.
    let m_c = pair.control.unadjusted_mean;
    if m_c == 0.0 {
        // Nothing to scale the prior by: gbstats divides by zero here (and raises); there is
        // no result, as for a relative lift.
        return BayesResult::none(NoResult::ZeroBaseline);
    }
    let (prior_mean, prior_variance) = match difference {
        Difference::Relative => (prior.mean, prior.stddev.powi(2)),
        Difference::Absolute => (prior.mean * m_c.abs(), prior.stddev.powi(2) * m_c.powi(2)),
    };
    let data_variance = pair.variance(difference);
    let data_mean = pair.estimate(difference);
    let proper = if prior.proper { 1.0 } else { 0.0 };
    let precision = 1.0 / data_variance + proper / prior_variance;
    let mean = if prior.proper {
        (data_mean / data_variance + prior_mean / prior_variance) / precision
    } else {
        data_mean
    };
    let sd = (1.0 / precision).sqrt();
    let beats = normal_cdf(-((0.0 - mean) / sd));
    let chance_to_win = if inverse { 1.0 - beats } else { beats };
    let ci = (
        normal_ppf(alpha / 2.0) * sd + mean,
        normal_ppf(1.0 - alpha / 2.0) * sd + mean,
    );
    let (control_risk, treatment_risk) = risk(mean, sd);
    BayesResult {
        chance_to_win,
        expected: mean,
        ci,
        stddev: sd,
        risk: if inverse {
            (treatment_risk, control_risk)
        } else {
            (control_risk, treatment_risk)
        },
        error: None,
    }
}

/// gbstats' risk: P(lift > 0)·E[lift | lift > 0] for keeping control, and
/// -P(lift < 0)·E[lift | lift < 0] for shipping the treatment.
fn risk(mu: f64, sigma: f64) -> (f64, f64) {
    let control_better = normal_cdf((0.0 - mu) / sigma);
    let mean_negative = truncated_normal_mean(mu, sigma, f64::NEG_INFINITY, 0.0);
    let mean_positive = truncated_normal_mean(mu, sigma, 0.0, f64::INFINITY);
    (
        (1.0 - control_better) * mean_positive,
        -(control_better * mean_negative),
    )
}

/// The mean of N(mu, sigma²) truncated to [a, b] (one end infinite), as scipy's `truncnorm`
/// computes it: the density at the finite end over the log of the mass, in the tail where
/// that is exact.
fn truncated_normal_mean(mu: f64, sigma: f64, a: f64, b: f64) -> f64 {
    let (a, b) = ((a - mu) / sigma, (b - mu) / sigma);
    let log_mass = if b <= 0.0 {
        log_normal_cdf(b) // a is -inf
    } else if a > 0.0 {
        log_normal_cdf(-a) // b is +inf
    } else {
        (-normal_cdf(a) - normal_cdf(-b)).ln_1p()
    };
    let density = |x: f64| {
        if x.is_infinite() {
            0.0
        } else {
            (-x * x / 2.0 - 0.918_938_533_204_672_8 - log_mass).exp()
        }
    };
    mu + sigma * (density(a) - density(b))
}
