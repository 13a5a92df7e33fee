//! One treatment against control, by every engine: fixed-horizon and sequential frequentist
//! tests and the Bayesian posterior, each for the relative and the absolute difference.

use serde::{Deserialize, Serialize};

use crate::bayesian::{bayesian, BayesResult, Prior};
use crate::effect::{Difference, Pair};
use crate::frequentist::{fixed, sequential, TestResult};
use crate::moments::ArmStats;

/// How a comparison is made (GrowthBook's defaults).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Options {
    /// The level of the tests and intervals: 0.05 for 95%.
    pub alpha: f64,
    /// The sequential test's tuning parameter: the units, over the two groups compared, at
    /// which decisions tend to be made.
    pub sequential_tuning: f64,
    pub prior: Prior,
    /// Lower is better.
    pub inverse: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            alpha: 0.05,
            sequential_tuning: 5000.0,
            prior: Prior::default(),
            inverse: false,
        }
    }
}

/// A result for the relative and for the absolute difference.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ByDifference<T> {
    pub relative: T,
    pub absolute: T,
}

impl<T> ByDifference<T> {
    fn each(f: impl Fn(Difference) -> T) -> ByDifference<T> {
        ByDifference {
            relative: f(Difference::Relative),
            absolute: f(Difference::Absolute),
        }
    }

    pub fn get(&self, difference: Difference) -> &T {
        match difference {
            Difference::Relative => &self.relative,
            Difference::Absolute => &self.absolute,
        }
    }
}

/// A treatment against control by every engine.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Control's mean, adjusted by CUPED when it applies.
    pub control_mean: f64,
    /// The treatment's mean, adjusted by CUPED when it applies.
    pub mean: f64,
    /// CUPED's coefficient, when the groups carry a covariate and it is not 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theta: Option<f64>,
    pub fixed: ByDifference<TestResult>,
    pub sequential: ByDifference<TestResult>,
    pub bayesian: ByDifference<BayesResult>,
}

/// Compares `treatment` with `control`.
pub fn compare(control: &ArmStats, treatment: &ArmStats, options: &Options) -> Comparison {
    let pair = Pair::new(control, treatment);
    Comparison {
        control_mean: pair.control.mean,
        mean: pair.treatment.mean,
        theta: pair.theta,
        fixed: ByDifference::each(|d| fixed(&pair, d, options.alpha)),
        sequential: ByDifference::each(|d| {
            sequential(&pair, d, options.alpha, options.sequential_tuning)
        }),
        bayesian: ByDifference::each(|d| {
            bayesian(&pair, d, options.alpha, options.prior, options.inverse)
        }),
    }
}
