//! One group's sufficient statistics for one metric, and the mean and unit variance derived
//! from them, as gbstats' statistics compute them: `ProportionStatistic` and
//! `SampleMeanStatistic`, with a covariate (`RegressionAdjustedStatistic`, CUPED) or a
//! denominator (`RatioStatistic`) beside.
//!
//! CUPED's adjustment needs a coefficient, theta, computed from *both* groups of a comparison
//! ([`theta`]); a group's adjusted mean and variance ([`ArmStats::statistic`]) take it as given.

use serde::{Deserialize, Serialize};

/// How a metric's per-user values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricType {
    /// 0 or 1 per user (a conversion): variance `m(1 - m)`.
    Proportion,
    /// Any number per user (a count, a sum): the sample variance, with `n - 1`.
    Mean,
}

/// A second per-user value of the same users, as sums: CUPED's covariate (the metric's value
/// before exposure) or a ratio's denominator.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Joint {
    /// How the second value is read (a pre-exposure conversion is a proportion).
    pub metric: MetricType,
    /// The users' second values added up (for a proportion, the users with a 1).
    pub sum: f64,
    /// Their squares added up (for a proportion, the same as `sum`).
    pub sum_squares: f64,
    /// The sum over users of the metric's value times the second value.
    pub sum_product: f64,
}

impl Joint {
    /// A count covariate or denominator: `sum`, `sum_squares` and `sum_product` over users.
    pub fn mean(sum: f64, sum_squares: f64, sum_product: f64) -> Joint {
        Joint {
            metric: MetricType::Mean,
            sum,
            sum_squares,
            sum_product,
        }
    }

    /// A conversion covariate: `converted` users, `sum_product` of them also with the metric.
    pub fn proportion(converted: f64, sum_product: f64) -> Joint {
        Joint {
            metric: MetricType::Proportion,
            sum: converted,
            sum_squares: converted,
            sum_product,
        }
    }

    fn plus(&self, other: &Joint) -> Joint {
        Joint {
            metric: self.metric,
            sum: self.sum + other.sum,
            sum_squares: self.sum_squares + other.sum_squares,
            sum_product: self.sum_product + other.sum_product,
        }
    }
}

/// A group's users, and the sum and sum of squares of their values (for a proportion, the
/// users who converted, twice); with CUPED, its users' values before exposure
/// (`covariate`); for a ratio metric, the denominator's values (`denominator`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ArmStats {
    pub metric: MetricType,
    pub users: u64,
    pub sum: f64,
    pub sum_squares: f64,
    /// CUPED's covariate: the metric's value per user before their first exposure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covariate: Option<Joint>,
    /// A ratio metric's denominator (the value above is then its numerator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denominator: Option<Joint>,
}

/// What a test reads of a group (gbstats' `Statistic`): its mean (adjusted, with CUPED), the
/// mean as observed, the unit variance and the units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Statistic {
    pub mean: f64,
    pub unadjusted_mean: f64,
    pub variance: f64,
    pub n: f64,
}

/// The unit variance of a proportion or a mean of `n` values.
fn base_variance(metric: MetricType, n: f64, sum: f64, sum_squares: f64) -> f64 {
    match metric {
        MetricType::Proportion => {
            let m = if n == 0.0 { 0.0 } else { sum / n };
            m * (1.0 - m)
        }
        MetricType::Mean if n <= 1.0 => 0.0,
        MetricType::Mean => (sum_squares - sum * sum / n) / (n - 1.0),
    }
}

/// The sample covariance of two values of `n` users from their sums and the sum of their
/// products (0 for one user or none), as gbstats 0.8.0 computes it for any kind.
fn covariance(n: f64, sum_x: f64, sum_y: f64, sum_product: f64) -> f64 {
    if n <= 1.0 {
        0.0
    } else {
        (sum_product - sum_x * sum_y / n) / (n - 1.0)
    }
}

impl ArmStats {
    /// `converted` of `users`.
    pub fn proportion(users: u64, converted: u64) -> ArmStats {
        ArmStats {
            metric: MetricType::Proportion,
            users,
            sum: converted as f64,
            sum_squares: converted as f64,
            covariate: None,
            denominator: None,
        }
    }

    /// `users` whose values add up to `sum`, and their squares to `sum_squares`.
    pub fn mean(users: u64, sum: f64, sum_squares: f64) -> ArmStats {
        ArmStats {
            metric: MetricType::Mean,
            users,
            sum,
            sum_squares,
            covariate: None,
            denominator: None,
        }
    }

    /// These statistics with CUPED's covariate.
    ///
    /// ```
    /// use cohort_stats::moments::{theta, ArmStats, Joint};
    /// let control = ArmStats::mean(4, 10.0, 30.0).with_covariate(Joint::mean(8.0, 20.0, 24.0));
    /// let treatment = ArmStats::mean(4, 12.0, 40.0).with_covariate(Joint::mean(8.0, 18.0, 27.0));
    /// let theta = theta(&control, &treatment);
    /// assert!(theta > 0.0);
    /// // The adjusted variance is below the unadjusted one when the covariate correlates.
    /// assert!(control.statistic(theta).variance < control.variance());
    /// ```
    pub fn with_covariate(mut self, covariate: Joint) -> ArmStats {
        self.covariate = Some(covariate);
        self
    }

    /// A ratio metric's statistics: these (the numerator's) over `denominator`.
    ///
    /// ```
    /// use cohort_stats::moments::{ArmStats, Joint};
    /// // 3 users completed 6 tasks of the 12 they added: 0.5 per task added.
    /// let arm = ArmStats::mean(3, 6.0, 14.0).with_denominator(Joint::mean(12.0, 50.0, 26.0));
    /// assert_eq!(arm.mean_value(), 0.5);
    /// ```
    pub fn with_denominator(mut self, denominator: Joint) -> ArmStats {
        self.denominator = Some(denominator);
        self
    }

    pub fn n(&self) -> f64 {
        self.users as f64
    }

    /// The mean value per user (0 without users), or for a ratio metric the ratio of the sums
    /// (0 while the denominator's is 0): what was observed, without CUPED's adjustment.
    pub fn mean_value(&self) -> f64 {
        match self.denominator {
            Some(d) if d.sum == 0.0 => 0.0,
            Some(d) => self.sum / d.sum,
            None if self.users == 0 => 0.0,
            None => self.sum / self.n(),
        }
    }

    /// The unit variance without CUPED: `m(1 - m)` for a proportion; `(ss - s²/n) / (n - 1)`
    /// for a mean, 0 for one user or none; the delta method's for a ratio.
    pub fn variance(&self) -> f64 {
        let n = self.n();
        let own = base_variance(self.metric, n, self.sum, self.sum_squares);
        let Some(d) = self.denominator else {
            return own;
        };
        let (mean_m, mean_d) = if n == 0.0 {
            (0.0, 0.0)
        } else {
            (self.sum / n, d.sum / n)
        };
        if mean_d == 0.0 || n <= 1.0 {
            return 0.0;
        }
        let var_d = base_variance(d.metric, n, d.sum, d.sum_squares);
        let cov = covariance(n, self.sum, d.sum, d.sum_product);
        own / mean_d.powi(2) - 2.0 * cov * mean_m / mean_d.powi(3)
            + mean_m.powi(2) * var_d / mean_d.powi(4)
    }

    /// The group as a test reads it, with CUPED's coefficient `theta` (from [`theta`]; 0, or
    /// no covariate: the unadjusted figures).
    pub fn statistic(&self, theta: f64) -> Statistic {
        let unadjusted = Statistic {
            mean: self.mean_value(),
            unadjusted_mean: self.mean_value(),
            variance: self.variance(),
            n: self.n(),
        };
        match self.covariate {
            Some(pre) if theta != 0.0 && self.denominator.is_none() => {
                let n = self.n();
                let pre_mean = if n == 0.0 { 0.0 } else { pre.sum / n };
                let variance = if n <= 1.0 {
                    0.0
                } else {
                    let pre_variance = base_variance(pre.metric, n, pre.sum, pre.sum_squares);
                    let cov = covariance(n, self.sum, pre.sum, pre.sum_product);
                    unadjusted.variance + theta * theta * pre_variance - 2.0 * theta * cov
                };
                Statistic {
                    mean: unadjusted.mean - theta * pre_mean,
                    variance,
                    ..unadjusted
                }
            }
            _ => unadjusted,
        }
    }

    /// These statistics and `other`'s together (the same kind of metric, the same users'
    /// days or dimensions): every sum added.
    pub fn plus(&self, other: &ArmStats) -> ArmStats {
        let both = |a: Option<Joint>, b: Option<Joint>| match (a, b) {
            (Some(a), Some(b)) => Some(a.plus(&b)),
            (a, b) => a.or(b),
        };
        ArmStats {
            metric: self.metric,
            users: self.users + other.users,
            sum: self.sum + other.sum,
            sum_squares: self.sum_squares + other.sum_squares,
            covariate: both(self.covariate, other.covariate),
            denominator: both(self.denominator, other.denominator),
        }
    }

    /// No users, of the same kind (with a covariate or a denominator if these have one).
    pub fn zero(&self) -> ArmStats {
        let zero = |j: Option<Joint>| {
            j.map(|j| Joint {
                metric: j.metric,
                sum: 0.0,
                sum_squares: 0.0,
                sum_product: 0.0,
            })
        };
        ArmStats {
            metric: self.metric,
            users: 0,
            sum: 0.0,
            sum_squares: 0.0,
            covariate: zero(self.covariate),
            denominator: zero(self.denominator),
        }
    }
}

/// CUPED's coefficient for a comparison, from its two groups pooled as one sample (gbstats'
/// `compute_theta`): the covariance of the metric and its covariate over the covariate's
/// variance; 0 when either group has no covariate, or either pooled variance is 0 (the tests
/// then read the unadjusted figures). A ratio metric has none.
pub fn theta(control: &ArmStats, treatment: &ArmStats) -> f64 {
    let (Some(a), Some(b)) = (control.covariate, treatment.covariate) else {
        return 0.0;
    };
    if control.denominator.is_some() || treatment.denominator.is_some() {
        return 0.0;
    }
    let n = control.n() + treatment.n();
    let post_sum = control.sum + treatment.sum;
    let post_variance = base_variance(
        control.metric,
        n,
        post_sum,
        control.sum_squares + treatment.sum_squares,
    );
    let pre_sum = a.sum + b.sum;
    let pre_variance = base_variance(a.metric, n, pre_sum, a.sum_squares + b.sum_squares);
    if pre_variance == 0.0 || post_variance == 0.0 {
        return 0.0;
    }
    covariance(n, post_sum, pre_sum, a.sum_product + b.sum_product) / pre_variance
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportions_and_means() {
        let p = ArmStats::proportion(5418, 138);
        assert_eq!(p.mean_value(), 138.0 / 5418.0);
        assert!(
            (p.variance() - 0.024_821_899).abs() < 1e-9,
            "{}",
            p.variance()
        );
        let m = ArmStats::mean(4, 10.0, 30.0);
        assert_eq!(m.mean_value(), 2.5);
        assert!((m.variance() - (30.0 - 25.0) / 3.0).abs() < 1e-15);
        assert_eq!(ArmStats::mean(1, 3.0, 9.0).variance(), 0.0);
        assert_eq!(ArmStats::proportion(0, 0).mean_value(), 0.0);
    }

    #[test]
    fn theta_is_the_pooled_regression_slope_and_zero_without_covariate_variance() {
        // Two users a group: (post, pre) = (1, 1), (3, 2) and (2, 1), (4, 3).
        let a = ArmStats::mean(2, 4.0, 10.0).with_covariate(Joint::mean(3.0, 5.0, 7.0));
        let b = ArmStats::mean(2, 6.0, 20.0).with_covariate(Joint::mean(4.0, 10.0, 14.0));
        // Pooled: post 1, 3, 2, 4 and pre 1, 2, 1, 3.
        let cov = (21.0 - 10.0 * 7.0 / 4.0) / 3.0;
        let var = (15.0 - 49.0 / 4.0) / 3.0;
        assert!((theta(&a, &b) - cov / var).abs() < 1e-15);
        let flat = ArmStats::mean(2, 4.0, 10.0).with_covariate(Joint::mean(2.0, 2.0, 4.0));
        let flat_b = ArmStats::mean(2, 6.0, 20.0).with_covariate(Joint::mean(2.0, 2.0, 6.0));
        assert_eq!(theta(&flat, &flat_b), 0.0);
        assert_eq!(theta(&a, &ArmStats::mean(2, 6.0, 20.0)), 0.0);
    }

    #[test]
    fn a_ratio_is_the_ratio_of_sums_and_zero_over_an_empty_denominator() {
        let r = ArmStats::mean(3, 6.0, 14.0).with_denominator(Joint::mean(12.0, 50.0, 26.0));
        assert_eq!(r.mean_value(), 0.5);
        assert!(r.variance() > 0.0);
        let empty = ArmStats::mean(3, 6.0, 14.0).with_denominator(Joint::mean(0.0, 0.0, 0.0));
        assert_eq!((empty.mean_value(), empty.variance()), (0.0, 0.0));
    }
}
