//! An experiment's results table: per group, users exposed and converted and the rate;
//! against Control, the lift with its interval and p-value; and the sample-ratio check.

use serde::{Deserialize, Serialize};

use crate::proportions::{compare, Comparison};
use crate::srm::{chi_square_fit, ChiSquare};
use crate::tally::GroupCounts;

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupResult {
    pub group: String,
    /// The configured share of allocated users, when known.
    pub weight: Option<f64>,
    pub exposed: u64,
    pub converted: u64,
    pub rate: Option<f64>,
    /// The rate's 95% interval.
    pub rate_ci: Option<(f64, f64)>,
    /// Against Control (`None` for Control itself, or without users).
    pub vs_control: Option<Comparison>,
}

/// The sample-ratio check.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SampleRatio {
    pub test: ChiSquare,
    /// `p < 0.001`: the split differs from the weights; do not trust the results.
    pub mismatch: bool,
}

/// The whole table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub experiment: String,
    pub event: String,
    pub control: String,
    pub total_exposed: u64,
    pub groups: Vec<GroupResult>,
    /// `None` without weights or users.
    pub sample_ratio: Option<SampleRatio>,
}

/// What `GET /api/results` answers: the table, the records the pages reported dropping from
/// their full queues, and the records kept out of the table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    pub analysis: Analysis,
    pub dropped_by_clients: u64,
    /// Records stored but left out of the table, by kind and reason.
    #[serde(default)]
    pub excluded: Vec<Excluded>,
}

/// Records of one kind left out of the results for one reason (for example exposures whose
/// group is not the one the rules give their user: forged, or from a page with other rules).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excluded {
    /// `"exposure"` or `"event"`.
    pub kind: String,
    pub reason: String,
    pub count: u64,
}

/// Analyses `counts` (one per group); `weights` are the configured shares in the same order
/// (groups without a weight, such as stray ones, are left out of the sample-ratio check).
pub fn analyze(
    experiment: &str,
    event: &str,
    control: &str,
    counts: &[GroupCounts],
    weights: &[Option<f64>],
) -> Analysis {
    let control_counts = counts.iter().find(|c| c.group == control);
    let groups: Vec<GroupResult> = counts
        .iter()
        .enumerate()
        .map(|(i, c)| GroupResult {
            group: c.group.clone(),
            weight: weights.get(i).copied().flatten(),
            exposed: c.exposed,
            converted: c.converted,
            rate: c.proportion().rate(),
            rate_ci: c.proportion().interval95(),
            vs_control: match control_counts {
                Some(ctl) if c.group != control => compare(c.proportion(), ctl.proportion()),
                _ => None,
            },
        })
        .collect();
    let (observed, shares): (Vec<u64>, Vec<f64>) = groups
        .iter()
        .filter_map(|g| g.weight.filter(|w| *w > 0.0).map(|w| (g.exposed, w)))
        .unzip();
    let sample_ratio = chi_square_fit(&observed, &shares).map(|test| SampleRatio {
        test,
        mismatch: test.mismatch(),
    });
    Analysis {
        experiment: experiment.to_owned(),
        event: event.to_owned(),
        control: control.to_owned(),
        total_exposed: counts.iter().map(|c| c.exposed).sum(),
        groups,
        sample_ratio,
    }
}

/// Analyses `counts` against the configured split: `planned` holds each group's name and
/// share in the experiment's order, and the first group is Control (`"Control"` without a
/// plan). What the collector and the results page both do.
pub fn analyze_planned(
    experiment: &str,
    event: &str,
    planned: &[(String, f64)],
    counts: &[GroupCounts],
) -> Analysis {
    let weights: Vec<Option<f64>> = counts
        .iter()
        .map(|c| planned.iter().find(|(g, _)| *g == c.group).map(|(_, s)| *s))
        .collect();
    let control = planned.first().map_or("Control", |(g, _)| g.as_str());
    analyze(experiment, event, control, counts, &weights)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(rows: &[(&str, u64, u64)]) -> Vec<GroupCounts> {
        rows.iter()
            .map(|&(group, exposed, converted)| GroupCounts {
                group: group.into(),
                exposed,
                converted,
            })
            .collect()
    }

    #[test]
    fn the_table_compares_each_group_with_control() {
        let a = analyze(
            "button_color_v3",
            "visited_signup",
            "Control",
            &counts(&[("Control", 1000, 50), ("Red", 1000, 60), ("Green", 0, 0)]),
            &[Some(0.5), Some(0.5), None],
        );
        assert_eq!(a.total_exposed, 2000);
        assert_eq!(a.groups[0].vs_control, None);
        assert_eq!(a.groups[0].rate, Some(0.05));
        let red = a.groups[1].vs_control.unwrap();
        assert!((red.absolute_lift - 0.01).abs() < 1e-12);
        assert_eq!(a.groups[2].rate, None);
        assert_eq!(a.groups[2].vs_control, None);
        let srm = a.sample_ratio.unwrap();
        assert_eq!(srm.test.degrees_of_freedom, 1);
        assert!(!srm.mismatch);
    }

    #[test]
    fn a_plan_gives_the_weights_and_control() {
        let planned = vec![("Base".to_string(), 0.6), ("T".to_string(), 0.4)];
        let a = analyze_planned(
            "e",
            "visited_signup",
            &planned,
            &counts(&[("Base", 600, 6), ("T", 400, 8), ("Stray", 3, 0)]),
        );
        assert_eq!(a.control, "Base");
        let weights: Vec<Option<f64>> = a.groups.iter().map(|g| g.weight).collect();
        assert_eq!(weights, vec![Some(0.6), Some(0.4), None]);
        assert!(a.groups[1].vs_control.is_some());
        assert_eq!(
            a.sample_ratio.unwrap().test.degrees_of_freedom,
            1,
            "stray groups are left out"
        );
        assert_eq!(
            analyze_planned("e", "x", &[], &counts(&[("Control", 1, 0)])).control,
            "Control"
        );
    }

    #[test]
    fn a_broken_split_is_flagged() {
        let a = analyze(
            "e",
            "visited_signup",
            "Control",
            &counts(&[("Control", 5300, 10), ("Red", 4700, 10)]),
            &[Some(0.5), Some(0.5)],
        );
        assert!(a.sample_ratio.unwrap().mismatch);
    }
}
