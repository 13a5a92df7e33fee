//! Two proportions compared: the difference in conversion rate between a group and Control.
//!
//! - absolute lift `p_t - p_c`, with a 95% Wald interval (unpooled standard error);
//! - relative lift `p_t / p_c - 1`, with a 95% interval from the log of the ratio (Katz);
//! - a two-sided p-value from the pooled two-proportion z-test.
//!
//! These are the normal approximations Statsig, statsmodels and most dashboards report.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

/// Conversions out of users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proportion {
    pub converted: u64,
    pub users: u64,
}

impl Proportion {
    pub fn rate(self) -> Option<f64> {
        (self.users > 0).then(|| self.converted as f64 / self.users as f64)
    }

    /// The rate's 95% Wald interval, clamped to 0..1.
    pub fn interval95(self) -> Option<(f64, f64)> {
        let p = self.rate()?;
        let half = z_975() * (p * (1.0 - p) / self.users as f64).sqrt();
        Some(((p - half).max(0.0), (p + half).min(1.0)))
    }
}

/// A treatment group against Control.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub absolute_lift: f64,
    /// 95% interval of the absolute lift.
    pub absolute_ci: (f64, f64),
    /// `None` when Control has no conversions.
    pub relative_lift: Option<f64>,
    /// 95% interval of the relative lift; `None` when either group has no conversions.
    pub relative_ci: Option<(f64, f64)>,
    pub z: f64,
    pub p_value: f64,
}

/// The two-sided 95% quantile of the standard normal distribution.
pub fn z_975() -> f64 {
    standard_normal().inverse_cdf(0.975)
}

fn standard_normal() -> Normal {
    Normal::standard()
}

/// Compares `treatment` with `control`; `None` when either group has no users.
pub fn compare(treatment: Proportion, control: Proportion) -> Option<Comparison> {
    let (p_t, p_c) = (treatment.rate()?, control.rate()?);
    let (n_t, n_c) = (treatment.users as f64, control.users as f64);
    let z_crit = z_975();

    let diff = p_t - p_c;
    let se = (p_t * (1.0 - p_t) / n_t + p_c * (1.0 - p_c) / n_c).sqrt();
    let absolute_ci = (diff - z_crit * se, diff + z_crit * se);

    let pooled = (treatment.converted + control.converted) as f64 / (n_t + n_c);
    let se_pooled = (pooled * (1.0 - pooled) * (1.0 / n_t + 1.0 / n_c)).sqrt();
    let (z, p_value) = if se_pooled > 0.0 {
        let z = diff / se_pooled;
        (z, 2.0 * standard_normal().sf(z.abs()))
    } else {
        (0.0, 1.0)
    };

    let relative_lift = (p_c > 0.0).then(|| p_t / p_c - 1.0);
    let relative_ci = (treatment.converted > 0 && control.converted > 0).then(|| {
        let log_ratio = (p_t / p_c).ln();
        let se_log = ((1.0 - p_t) / treatment.converted as f64
            + (1.0 - p_c) / control.converted as f64)
            .sqrt();
        (
            (log_ratio - z_crit * se_log).exp() - 1.0,
            (log_ratio + z_crit * se_log).exp() - 1.0,
        )
    });

    Some(Comparison {
        absolute_lift: diff,
        absolute_ci,
        relative_lift,
        relative_ci,
        z,
        p_value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(converted: u64, users: u64) -> Proportion {
        Proportion { converted, users }
    }

    #[test]
    fn matches_statsmodels() {
        // proportions_ztest([60, 50], [1000, 1000]) = (0.980816477227499, 0.32668325124120545)
        // confint_proportions_2indep(60, 1000, 50, 1000, method="wald")
        //   = (-0.009978177381085591, 0.02997817738108558)
        let c = compare(p(60, 1000), p(50, 1000)).unwrap();
        assert!((c.z - 0.980_816_477_227_499).abs() < 1e-12);
        assert!(
            (c.p_value - 0.326_683_251_241_205_45).abs() < 1e-9,
            "{}",
            c.p_value
        );
        assert!((c.absolute_ci.0 + 0.009_978_177_381_085_591).abs() < 1e-12);
        assert!((c.absolute_ci.1 - 0.029_978_177_381_085_58).abs() < 1e-12);
        assert!((c.relative_lift.unwrap() - 0.2).abs() < 1e-12);
    }

    #[test]
    fn degenerate_groups() {
        assert!(compare(p(0, 0), p(1, 10)).is_none());
        let none_convert = compare(p(0, 100), p(0, 100)).unwrap();
        assert_eq!((none_convert.z, none_convert.p_value), (0.0, 1.0));
        assert_eq!(none_convert.relative_lift, None);
        assert_eq!(none_convert.relative_ci, None);
        let treatment_zero = compare(p(0, 100), p(10, 100)).unwrap();
        assert_eq!(treatment_zero.relative_lift, Some(-1.0));
        assert_eq!(treatment_zero.relative_ci, None);
        assert!(treatment_zero.p_value < 0.01);
    }
}
