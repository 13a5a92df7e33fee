//! Cohort's experiment statistics: one implementation for the app's results page, the CLI
//! and the collector.
//!
//! - [`tally`]: unique users exposed to each group, and converted after their first exposure;
//! - [`proportions`]: a group against Control: lift, 95% interval, p-value;
//! - [`srm`]: the sample-ratio check (chi-square against the configured weights);
//! - [`analysis`]: the results table that puts them together;
//! - [`format`]: percentages as the page and the CLI print them.
//!
//! `tests/scipy.rs` checks the figures against ones computed with scipy and statsmodels.

pub mod analysis;
pub mod bayesian;
pub mod case;
pub mod compare;
pub mod correction;
pub mod dist;
pub mod effect;
pub mod format;
pub mod frequentist;
pub mod moments;
pub mod proportions;
pub mod srm;
pub mod tally;

pub use analysis::{
    analyze, analyze_planned, Analysis, Excluded, GroupResult, Results, SampleRatio,
};
pub use proportions::{compare, Comparison, Proportion};
pub use srm::{chi_square_fit, chi_square_independence, ChiSquare, SRM_THRESHOLD};
pub use tally::{GroupCounts, Tally};
