//! Cohort's experiment statistics: one implementation for the app, the CLI and the collector.
//!
//! - [`srm`]: the sample-ratio check, a chi-square goodness-of-fit test of the users each
//!   group received against the configured weights.

pub mod srm;

pub use srm::{chi_square_fit, chi_square_independence, ChiSquare, SRM_THRESHOLD};
