//! One group's sufficient statistics for one metric, and the mean and unit variance derived
//! from them, as gbstats' `ProportionStatistic` and `SampleMeanStatistic` compute them.

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

/// A group's users, and the sum and sum of squares of their values (for a proportion, the
/// users who converted, twice).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ArmStats {
    pub metric: MetricType,
    pub users: u64,
    pub sum: f64,
    pub sum_squares: f64,
}

impl ArmStats {
    /// `converted` of `users`.
    pub fn proportion(users: u64, converted: u64) -> ArmStats {
        ArmStats {
            metric: MetricType::Proportion,
            users,
            sum: converted as f64,
            sum_squares: converted as f64,
        }
    }

    /// `users` whose values add up to `sum`, and their squares to `sum_squares`.
    pub fn mean(users: u64, sum: f64, sum_squares: f64) -> ArmStats {
        ArmStats {
            metric: MetricType::Mean,
            users,
            sum,
            sum_squares,
        }
    }

    pub fn n(&self) -> f64 {
        self.users as f64
    }

    /// The mean value per user (0 without users).
    pub fn mean_value(&self) -> f64 {
        if self.users == 0 {
            0.0
        } else {
            self.sum / self.n()
        }
    }

    /// The unit variance: `m(1 - m)` for a proportion; `(ss - s²/n) / (n - 1)` for a mean,
    /// 0 for one user or none.
    pub fn variance(&self) -> f64 {
        match self.metric {
            MetricType::Proportion => {
                let m = self.mean_value();
                m * (1.0 - m)
            }
            MetricType::Mean => {
                if self.users <= 1 {
                    0.0
                } else {
                    (self.sum_squares - self.sum * self.sum / self.n()) / (self.n() - 1.0)
                }
            }
        }
    }
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
}
