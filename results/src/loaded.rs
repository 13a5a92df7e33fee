//! What one load of the page brings: the experiments on offer, which one is shown (the one
//! `?experiment=` names, else the first), and its results, or why there are none.

use cohort_leptos::Rules;

use crate::listing::{self, Listing};
use crate::local_log::LocalLog;
use crate::source::{self, Results};

/// The page's data.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub listing: Listing,
    pub shown: Shown,
}

/// What the page shows below its controls.
#[derive(Debug, Clone, PartialEq)]
pub enum Shown {
    /// An experiment of the listing, with its results or why they could not be had.
    Experiment {
        name: String,
        results: Result<Box<Results>, String>,
    },
    /// `?experiment=` names an experiment the listing does not have.
    Unknown { name: String },
    /// The rules have no experiment.
    NoExperiments,
}

impl Shown {
    /// The experiment's name, if one was asked for or chosen.
    pub fn name(&self) -> Option<&str> {
        match self {
            Shown::Experiment { name, .. } | Shown::Unknown { name } => Some(name),
            Shown::NoExperiments => None,
        }
    }
}

/// The experiment to show, or why there is none.
#[derive(Debug, PartialEq)]
enum Choice {
    Experiment(String),
    Unknown(String),
    NoExperiments,
}

/// The experiment to show: the one `requested` names, else the listing's first.
fn choose(listing: &Listing, requested: Option<&str>) -> Choice {
    match requested {
        Some(name) if listing.find(name).is_some() => Choice::Experiment(name.to_owned()),
        Some(name) => Choice::Unknown(name.to_owned()),
        None => listing
            .experiments
            .first()
            .map_or(Choice::NoExperiments, |e| {
                Choice::Experiment(e.name.clone())
            }),
    }
}

impl Loaded {
    /// The collector's results shown, to watch for changes, if they are the collector's.
    pub fn watch(&self) -> Option<&crate::source::Watch> {
        match &self.shown {
            Shown::Experiment {
                results: Ok(results),
                ..
            } => results.watch.as_ref(),
            _ => None,
        }
    }
}

/// Loads the listing and the results of the experiment `requested` names (or the first),
/// from the collector at `collector` if it answers (given `token`, if any), else from this
/// browser's log and `rules`. A collector that wants a token is not asked for results.
pub async fn load(
    collector: Option<String>,
    token: Option<String>,
    requested: Option<String>,
    rules: &Rules,
) -> Loaded {
    let log = LocalLog::new();
    let token = token.as_deref();
    let listing = listing::load(collector.as_deref(), token, rules, &log).await;
    let collector = collector.as_deref().filter(|_| !listing.locked);
    let shown = match choose(&listing, requested.as_deref()) {
        Choice::Experiment(name) => Shown::Experiment {
            results: source::load(collector, token, &name, rules, &log)
                .await
                .map(Box::new),
            name,
        },
        Choice::Unknown(name) => Shown::Unknown { name },
        Choice::NoExperiments => Shown::NoExperiments,
    };
    Loaded { listing, shown }
}

#[cfg(test)]
mod tests {
    use cohort_protocol::{ExperimentStatus, ExperimentSummary};

    use super::*;

    fn listing(names: &[&str]) -> Listing {
        Listing {
            experiments: names
                .iter()
                .map(|n| ExperimentSummary {
                    name: (*n).to_owned(),
                    groups: vec!["Control".to_owned()],
                    status: ExperimentStatus::Running,
                    exposures: 0,
                    metrics: vec![],
                })
                .collect(),
            source: String::new(),
            note: None,
            locked: false,
        }
    }

    #[test]
    fn the_address_picks_an_experiment_else_the_first_is_shown() {
        let two = listing(&["first", "second"]);
        assert_eq!(
            choose(&two, Some("second")),
            Choice::Experiment("second".to_owned())
        );
        assert_eq!(choose(&two, None), Choice::Experiment("first".to_owned()));
    }

    #[test]
    fn an_unknown_name_or_empty_rules_show_no_experiment() {
        assert_eq!(
            choose(&listing(&["first"]), Some("nope")),
            Choice::Unknown("nope".to_owned())
        );
        assert_eq!(choose(&listing(&[]), None), Choice::NoExperiments);
    }
}
