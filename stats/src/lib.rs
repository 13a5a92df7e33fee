//! Cohort's experiment statistics, GrowthBook's engine number for number: one implementation
//! for the results page, the CLI and the collector.
//!
//! - [`moments`]: a group's users, sum and sum of squares, and the mean and variance from them;
//! - [`effect`]: the relative or absolute difference and its variance, and why there may be
//!   no result;
//! - [`frequentist`]: the fixed-horizon Welch t-test and sequential testing (confidence
//!   sequences); [`bayesian`]: chance to win, credible interval, risk;
//! - [`compare`]: a treatment against control by every engine; [`correction`]: Holm and
//!   Benjamini-Hochberg; [`srm`]: the sample-ratio check; [`power`]: planning;
//! - [`analysis`]: an experiment's results over its metrics; [`verdict`]: what they say in
//!   words; [`tally`]: per-user metric values from records, in memory; [`experiment`]: from
//!   the rules (groups, weights, metrics, settings) to an analysis;
//! - [`breakdown`]: results by a dimension of the users, a slice per value;
//! - [`case`]: the gbstats oracle's format (`cohort analyze`); [`dist`]: the distributions;
//!   [`format`]: percentages.
//!
//! `tests/gbstats.rs` checks every figure against gbstats' own on 900 cases.

pub mod analysis;
pub mod bayesian;
pub mod breakdown;
pub mod case;
pub mod compare;
pub mod correction;
pub mod dist;
pub mod effect;
pub mod experiment;
pub mod format;
pub mod frequentist;
pub mod moments;
pub mod over_time;
pub mod power;
pub mod srm;
pub mod tally;
pub mod verdict;

pub use analysis::{
    analyze, Engine, Excluded, ExperimentInput, ExperimentResults, MetricInfo, MetricResults,
    Settings, UnavailableMetric,
};
pub use moments::ArmStats;
pub use srm::{chi_square_fit, chi_square_independence, ChiSquare, SRM_THRESHOLD};
pub use tally::{MetricSums, Tally};
pub use verdict::Verdict;
