//! The experiments a collector knows, as `GET /api/experiments` answers them (and `cohort
//! results --json` prints them without `--experiment`): every experiment of its rules, in the
//! rules' order, with its groups, whether it runs, the users exposed so far and the metrics
//! its results read.
//!
//! ```json
//! {"experiments": [{"name": "button_color_v3",
//!                   "groups": ["Control", "Red", "Green", "Orange"],
//!                   "status": "running", "exposures": 1234,
//!                   "metrics": ["signup", "clicks"]}]}
//! ```
//!
//! A page reads it as it is: fields it does not know are ignored, so a newer collector may
//! add some.

use cohort::Rules;
use serde::{Deserialize, Serialize};

/// Every experiment of the collector's rules, in the rules' order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Experiments {
    pub experiments: Vec<ExperimentSummary>,
}

impl Experiments {
    /// Every experiment of `rules` ([`Rules::experiments`]), in their order, with the users
    /// `exposures` counts for each (by name).
    pub fn of(rules: &Rules, mut exposures: impl FnMut(&str) -> u64) -> Experiments {
        let experiments = rules
            .experiments()
            .map(|(spec, plan)| ExperimentSummary {
                name: spec.name.clone(),
                groups: plan.groups.into_iter().map(|g| g.name).collect(),
                status: if spec.enabled {
                    ExperimentStatus::Running
                } else {
                    ExperimentStatus::Disabled
                },
                exposures: exposures(&spec.name),
                metrics: rules
                    .experiment_metrics(&spec.name)
                    .into_iter()
                    .map(|m| m.name.clone())
                    .collect(),
            })
            .collect();
        Experiments { experiments }
    }
}

/// One experiment of [`Experiments`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExperimentSummary {
    pub name: String,
    /// Its groups, in the rules' order (control first).
    pub groups: Vec<String>,
    pub status: ExperimentStatus,
    /// Users exposed so far, each once (the group of their first exposure that is not kept
    /// out of the results): the users its results count.
    pub exposures: u64,
    /// The metrics its results read, the primary one first.
    pub metrics: Vec<String>,
}

/// Whether an experiment assigns groups: `"running"`, or `"disabled"` (its spec is not
/// enabled: everyone gets the defaults, and exposures claiming a group are kept out of the
/// results).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExperimentStatus {
    Running,
    Disabled,
}

impl ExperimentStatus {
    /// `"running"` or `"disabled"`, as in the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ExperimentStatus::Running => "running",
            ExperimentStatus::Disabled => "disabled",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listing_has_the_documented_json_shape() {
        let listing = Experiments {
            experiments: vec![
                ExperimentSummary {
                    name: "button_color_v3".into(),
                    groups: vec!["Control".into(), "Red".into()],
                    status: ExperimentStatus::Running,
                    exposures: 1234,
                    metrics: vec!["signup".into(), "clicks".into()],
                },
                ExperimentSummary {
                    name: "paused".into(),
                    groups: vec!["Control".into()],
                    status: ExperimentStatus::Disabled,
                    exposures: 0,
                    metrics: vec![],
                },
            ],
        };
        let json = serde_json::to_value(&listing).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"experiments": [
                {"name": "button_color_v3", "groups": ["Control", "Red"], "status": "running",
                 "exposures": 1234, "metrics": ["signup", "clicks"]},
                {"name": "paused", "groups": ["Control"], "status": "disabled",
                 "exposures": 0, "metrics": []},
            ]})
        );
        assert_eq!(
            serde_json::from_value::<Experiments>(json).unwrap(),
            listing
        );
        assert_eq!(ExperimentStatus::Disabled.as_str(), "disabled");
    }

    #[test]
    fn a_page_reads_a_listing_with_fields_it_does_not_know() {
        let text = r#"{"experiments": [{"name": "e", "groups": ["A"], "status": "running",
                       "exposures": 3, "metrics": [], "started": "2026-11-26"}], "more": 1}"#;
        let listing: Experiments = serde_json::from_str(text).unwrap();
        assert_eq!(listing.experiments[0].exposures, 3);
        assert!(serde_json::from_str::<Experiments>(
            r#"{"experiments": [{"name": "e", "groups": [], "status": "paused",
                "exposures": 0, "metrics": []}]}"#
        )
        .is_err());
    }
}
