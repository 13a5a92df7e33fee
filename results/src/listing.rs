//! The experiments the page offers: the collector's list (`GET <collector>/experiments`: every
//! experiment of its rules with its status and the users exposed so far), or, when the page
//! has no collector or it does not answer, every experiment of the rules bundled into the
//! page, with the users this browser's log exposed to it.

use cohort_leptos::fetch::{get_json, GetError};
use cohort_leptos::{console, Rules};
use cohort_protocol::{ExperimentSummary, Experiments};

use crate::local_log::LocalLog;

/// The experiments, in the rules' order, and where they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    pub experiments: Vec<ExperimentSummary>,
    /// Where the list came from, in words.
    pub source: String,
    /// Why the collector's list was not used, if it was asked for it.
    pub note: Option<String>,
    /// Whether the collector asked for a results token (or refused the one given).
    pub locked: bool,
}

impl Listing {
    /// The experiment named `name`.
    pub fn find(&self, name: &str) -> Option<&ExperimentSummary> {
        self.experiments.iter().find(|e| e.name == name)
    }

    /// The experiments' names, for sentences: `a, b and c`.
    pub fn names(&self) -> String {
        let names: Vec<&str> = self.experiments.iter().map(|e| e.name.as_str()).collect();
        match names.split_last() {
            None => String::new(),
            Some((last, [])) => (*last).to_owned(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        }
    }
}

/// The collector's list if it answers (given `token`, if any), else the bundled rules' with
/// `log`'s exposures.
pub async fn load(
    collector: Option<&str>,
    token: Option<&str>,
    rules: &Rules,
    log: &LocalLog,
) -> Listing {
    let mut note = None;
    let mut locked = false;
    if let Some(base) = collector {
        let url = format!("{}/experiments", base.trim_end_matches('/'));
        match get_json::<Experiments>(&url, token).await {
            Ok(listing) => {
                return Listing {
                    experiments: listing.experiments,
                    source: format!("the collector at {base}"),
                    note: None,
                    locked: false,
                }
            }
            Err(GetError::Status(401)) => {
                locked = true;
                note = Some(match token {
                    Some(_) => "That token is not this collector's: these are the experiments \
                                this page was built with."
                        .to_owned(),
                    None => "The collector's results need its token: these are the experiments \
                             this page was built with."
                        .to_owned(),
                });
            }
            Err(why) => {
                console::warn(&format!(
                    "the collector's experiments are unavailable ({why}); listing the bundled rules'"
                ));
                note = Some(format!(
                    "The collector did not list its experiments ({why}): these are the experiments \
                     this page was built with."
                ));
            }
        }
    }
    Listing {
        experiments: from_rules(rules, log),
        source: "this page's rules, with the users this browser's log exposed".to_owned(),
        note,
        locked,
    }
}

/// Every experiment of `rules`, in their order, with the users `log` exposed to it.
pub fn from_rules(rules: &Rules, log: &LocalLog) -> Vec<ExperimentSummary> {
    let exposed = log.exposed_users();
    Experiments::of(rules, |name| exposed.get(name).copied().unwrap_or(0)).experiments
}

#[cfg(test)]
mod tests {
    use cohort_leptos::engine::CompileOptions;

    use super::*;
    use crate::local_log::tests::exposure;
    use cohort_protocol::ExperimentStatus;

    const RULES: &str = r#"
[[metric]]
name = "paid"
event = "paid"
kind = "conversion"

[[experiment]]
name = "price_v1"
metrics = ["paid"]
groups = [{ name = "Control", weight = 50 }, { name = "Low", weight = 50 }]

[[gate]]
name = "beta"
rules = [{ id = "half", pass = 50 }]

[[experiment]]
name = "paused"
enabled = false
groups = [{ name = "Control", weight = 100 }]
"#;

    #[test]
    fn every_experiment_of_the_rules_is_listed_in_order_with_its_status_and_this_logs_exposures_and_no_gate(
    ) {
        let rules = Rules::from_toml(RULES, CompileOptions::STRICT).unwrap();
        let records = [
            exposure("u1", "price_v1", "Low"),
            exposure("u2", "price_v1", "Control"),
        ];
        let texts: Vec<&str> = records.iter().map(String::as_str).collect();
        let experiments = from_rules(&rules, &LocalLog::of(&texts, 0));
        let summary = |name: &str, groups: &[&str], status, exposures| ExperimentSummary {
            name: name.to_owned(),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            status,
            exposures,
            metrics: vec!["paid".to_owned()],
        };
        assert_eq!(
            experiments,
            [
                summary(
                    "price_v1",
                    &["Control", "Low"],
                    ExperimentStatus::Running,
                    2
                ),
                summary("paused", &["Control"], ExperimentStatus::Disabled, 0),
            ],
            "the gate is not an experiment; `paused` is judged by every metric"
        );
    }

    #[test]
    fn the_course_rules_bundled_into_this_page_list_button_color_v3() {
        let experiments = from_rules(cohort_leptos::bundled_rules!(), &LocalLog::of(&[], 0));
        let names: Vec<&str> = experiments.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["button_color_v3"]);
        assert_eq!(experiments[0].groups, ["Control", "Red", "Green", "Orange"]);
    }

    #[test]
    fn names_read_as_a_sentence() {
        let listing = |names: &[&str]| Listing {
            experiments: names
                .iter()
                .map(|n| ExperimentSummary {
                    name: (*n).to_owned(),
                    groups: vec![],
                    status: ExperimentStatus::Running,
                    exposures: 0,
                    metrics: vec![],
                })
                .collect(),
            source: String::new(),
            note: None,
            locked: false,
        };
        assert_eq!(listing(&[]).names(), "");
        assert_eq!(listing(&["a"]).names(), "a");
        assert_eq!(listing(&["a", "b", "c"]).names(), "a, b and c");
        assert!(listing(&["a", "b"]).find("b").is_some());
        assert!(listing(&["a", "b"]).find("c").is_none());
    }
}
