//! Results broken down by a dimension of the users (their browser, device, where their ID came
//! from, new or returning): each value's users analysed as an experiment of their own, with
//! its own sample-ratio check, as gbstats analyses each dimension row. The values with the most
//! users get a slice each; past [`MAX_SLICES`], the rest are added up as "(other)" (gbstats'
//! `max_dimensions`). A user's value is the one their first exposure came with; caps keep the
//! whole experiment's bounds.

use serde::{Deserialize, Serialize};

use cohort::Rules;

use crate::analysis::ExperimentResults;
use crate::experiment::analyze_tally;
use crate::tally::Tally;

/// The most slices a breakdown has.
pub const MAX_SLICES: usize = 20;
/// The slice of the values past the first [`MAX_SLICES`] - 1.
pub const OTHER: &str = "(other)";
/// The slice of users whose first exposure did not give the dimension.
pub const NOT_GIVEN: &str = "(not given)";

/// An experiment's results by the values of one dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    pub experiment: String,
    pub dimension: String,
    /// The slices, the most users first.
    pub slices: Vec<Slice>,
}

/// The users of one value (or of several, for "(other)").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slice {
    /// The value, [`NOT_GIVEN`], or [`OTHER`].
    pub value: String,
    /// The values it counts ('' for not given).
    pub values: Vec<String>,
    pub results: ExperimentResults,
}

/// The slices to make from each value's users: (label, values), the most users first; past
/// [`MAX_SLICES`] values, the smallest are merged into [`OTHER`].
///
/// ```
/// use cohort_stats::breakdown::slices;
/// let made = slices(vec![("Safari".into(), 30), ("".into(), 5), ("Chrome".into(), 60)]);
/// let labels: Vec<&str> = made.iter().map(|(label, _)| label.as_str()).collect();
/// assert_eq!(labels, ["Chrome", "Safari", "(not given)"]);
/// ```
pub fn slices(mut users: Vec<(String, u64)>) -> Vec<(String, Vec<String>)> {
    users.sort_by(|(a, n), (b, m)| m.cmp(n).then_with(|| a.cmp(b)));
    let label = |value: &str| {
        if value.is_empty() {
            NOT_GIVEN.to_owned()
        } else {
            value.to_owned()
        }
    };
    if users.len() <= MAX_SLICES {
        return users
            .into_iter()
            .map(|(value, _)| (label(&value), vec![value]))
            .collect();
    }
    let rest = users.split_off(MAX_SLICES - 1);
    let mut out: Vec<(String, Vec<String>)> = users
        .into_iter()
        .map(|(value, _)| (label(&value), vec![value]))
        .collect();
    out.push((OTHER.to_owned(), rest.into_iter().map(|(v, _)| v).collect()));
    out
}

/// `experiment`'s results by `dimension`, from a tally of its records (`None` when the rules
/// have no such experiment).
pub fn breakdown_tally(
    rules: &Rules,
    experiment: &str,
    tally: &Tally,
    dimension: &str,
) -> Option<Breakdown> {
    // The whole experiment's bounds, counted once for every slice.
    let bounds = rules
        .experiment_metrics(experiment)
        .into_iter()
        .map(|m| (m.name.clone(), tally.cap_bounds(m)))
        .collect();
    let mut out = Vec::new();
    for (label, values) in slices(tally.users_by_dimension(dimension)) {
        let slice = tally.slice(dimension, &values, &bounds);
        let mut results = analyze_tally(rules, experiment, &slice)?;
        results.over_time.clear();
        out.push(Slice {
            value: label,
            values,
            results,
        });
    }
    Some(Breakdown {
        experiment: experiment.to_owned(),
        dimension: dimension.to_owned(),
        slices: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_twenty_values_the_smallest_are_other() {
        let users: Vec<(String, u64)> = (0..25).map(|i| (format!("v{i:02}"), 100 - i)).collect();
        let made = slices(users);
        assert_eq!(made.len(), MAX_SLICES);
        assert_eq!(made[0], ("v00".to_owned(), vec!["v00".to_owned()]));
        assert_eq!(made[18].0, "v18");
        let (label, values) = &made[19];
        assert_eq!(label, OTHER);
        assert_eq!(values.len(), 6);
        assert_eq!(values[0], "v19");
    }
}
