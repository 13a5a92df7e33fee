//! The effect of a treatment against control and its variance, shared by every engine: the
//! absolute difference of means, or the relative one (over the control mean's absolute value,
//! with a delta-method variance), with CUPED's adjustment when the groups carry a covariate, and
//! the reasons there is no result.

use serde::{Deserialize, Serialize};

use crate::moments::{self, ArmStats, Statistic};

/// Which difference is estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Difference {
    /// `(m_T - m_C) / |m_C|`: GrowthBook's default.
    Relative,
    /// `m_T - m_C`.
    Absolute,
}

/// Why a comparison has no result (gbstats' error messages, which its `default output`
/// carries: estimate 0, interval [0, 0], p-value 1, chance to win 0.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoResult {
    /// Control's mean is 0: a relative lift over it is undefined.
    #[serde(rename = "ZERO_NEGATIVE_BASELINE_VARIATION")]
    ZeroBaseline,
    /// A group has no variance (no users, one user, all converted, none converted).
    #[serde(rename = "ZERO_NEGATIVE_VARIANCE")]
    ZeroVariance,
    /// A group has no users.
    #[serde(rename = "NO_UNITS_IN_VARIATION")]
    NoUnits,
}

impl NoResult {
    /// gbstats' message.
    pub fn code(self) -> &'static str {
        match self {
            NoResult::ZeroBaseline => "ZERO_NEGATIVE_BASELINE_VARIATION",
            NoResult::ZeroVariance => "ZERO_NEGATIVE_VARIANCE",
            NoResult::NoUnits => "NO_UNITS_IN_VARIATION",
        }
    }

    /// In words, for people.
    pub fn explain(self) -> &'static str {
        match self {
            NoResult::ZeroBaseline => "control's mean is zero, so there is no lift to compute yet",
            NoResult::ZeroVariance => {
                "a group has no variation yet (no users, or all of them alike)"
            }
            NoResult::NoUnits => "a group has no users yet",
        }
    }
}

/// A comparison's two groups as the tests read them: CUPED's coefficient computed once from
/// both (gbstats' `BaseABTest`), then each group's adjusted mean and variance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    pub control: Statistic,
    pub treatment: Statistic,
    /// CUPED's coefficient: `None` without covariates, or when it is 0 (the unadjusted
    /// figures are read).
    pub theta: Option<f64>,
}

impl Pair {
    /// `treatment` against `control`.
    pub fn new(control: &ArmStats, treatment: &ArmStats) -> Pair {
        let theta = moments::theta(control, treatment);
        Pair {
            control: control.statistic(theta),
            treatment: treatment.statistic(theta),
            theta: (theta != 0.0).then_some(theta),
        }
    }

    /// The estimated difference: of adjusted means, over the control's observed mean for the
    /// relative one.
    pub fn estimate(&self, difference: Difference) -> f64 {
        let (c, t) = (&self.control, &self.treatment);
        match difference {
            // GrowthBook divides by |m_C| (gbstats 0.8.0 by the signed mean): a lift keeps
            // its sign when the baseline is negative.
            Difference::Relative => (t.mean - c.mean) / c.unadjusted_mean.abs(),
            Difference::Absolute => t.mean - c.mean,
        }
    }

    /// The variance of [`Pair::estimate`] (unpooled; the delta method for the relative
    /// difference, on the observed means, as gbstats 0.8.0 computes it).
    pub fn variance(&self, difference: Difference) -> f64 {
        let (c, t) = (&self.control, &self.treatment);
        match difference {
            Difference::Relative => {
                let m_c = c.unadjusted_mean;
                t.variance / (m_c.powi(2) * t.n)
                    + c.variance * t.unadjusted_mean.powi(2) / (m_c.powi(4) * c.n)
            }
            Difference::Absolute => t.variance / t.n + c.variance / c.n,
        }
    }

    /// Whether either group's unit variance is zero (or negative, from rounding).
    pub fn has_zero_variance(&self) -> bool {
        self.control.variance <= 0.0 || self.treatment.variance <= 0.0
    }

    /// Whether control's mean, adjusted or observed, is 0: no lift over it.
    pub fn zero_baseline(&self) -> bool {
        self.control.mean == 0.0 || self.control.unadjusted_mean == 0.0
    }

    /// Welch–Satterthwaite degrees of freedom, on the groups' unit variances.
    pub fn welch_dof(&self) -> f64 {
        let (c, t) = (&self.control, &self.treatment);
        (t.variance / t.n + c.variance / c.n).powi(2)
            / (t.variance.powi(2) / (t.n.powi(2) * (t.n - 1.0))
                + c.variance.powi(2) / (c.n.powi(2) * (c.n - 1.0)))
    }

    /// The units in both groups.
    pub fn units(&self) -> f64 {
        self.control.n + self.treatment.n
    }
}
