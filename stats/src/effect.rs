//! The effect of a treatment against control and its variance, shared by every engine: the
//! absolute difference of means, or the relative one (over the control mean's absolute value,
//! with a delta-method variance), and the reasons there is no result.

use serde::{Deserialize, Serialize};

use crate::moments::ArmStats;

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

/// The estimated difference and its variance.
pub fn estimate(control: &ArmStats, treatment: &ArmStats, difference: Difference) -> f64 {
    let (m_c, m_t) = (control.mean_value(), treatment.mean_value());
    match difference {
        // GrowthBook divides by |m_C| (gbstats 0.8.0 by the signed mean): a lift keeps its
        // sign when the baseline is negative.
        Difference::Relative => (m_t - m_c) / m_c.abs(),
        Difference::Absolute => m_t - m_c,
    }
}

/// The variance of [`estimate`] (unpooled; the delta method for the relative difference).
pub fn variance(control: &ArmStats, treatment: &ArmStats, difference: Difference) -> f64 {
    let (v_c, m_c, n_c) = (control.variance(), control.mean_value(), control.n());
    let (v_t, m_t, n_t) = (treatment.variance(), treatment.mean_value(), treatment.n());
    match difference {
        Difference::Relative => v_t / (m_c.powi(2) * n_t) + v_c * m_t.powi(2) / (m_c.powi(4) * n_c),
        Difference::Absolute => v_t / n_t + v_c / n_c,
    }
}

/// Whether either group's unit variance is zero (or negative, from rounding).
pub fn has_zero_variance(control: &ArmStats, treatment: &ArmStats) -> bool {
    control.variance() <= 0.0 || treatment.variance() <= 0.0
}

/// Welch–Satterthwaite degrees of freedom, on the groups' unit variances.
pub fn welch_dof(control: &ArmStats, treatment: &ArmStats) -> f64 {
    let (v_c, n_c) = (control.variance(), control.n());
    let (v_t, n_t) = (treatment.variance(), treatment.n());
    (v_t / n_t + v_c / n_c).powi(2)
        / (v_t.powi(2) / (n_t.powi(2) * (n_t - 1.0)) + v_c.powi(2) / (n_c.powi(2) * (n_c - 1.0)))
}
