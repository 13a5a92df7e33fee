//! Checking what a record claims against the rules: assignment is deterministic, so the
//! collector evaluates each exposure's experiment (and each experiment an event names) for the
//! record's user, at the record's time, and compares the group.
//!
//! A record whose group differs (forged, or sent by a page built from other rules) is stored
//! apart: kept, with the reason, and left out of the results. A sticky experiment keeps users
//! in the group they were first exposed to, so there a claim of the group of the user's first
//! stored exposure is honoured too ([`honour_sticky`]).

use cohort::{Rules, User};
use cohort_protocol::Record;

use crate::store::{Accepted, Store, StoreError};

/// The reason stored with a record whose group is not the rules' assignment.
pub const GROUP_MISMATCH: &str = "its group is not the one the rules give its user";

/// Why a record is kept out of the results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exclusion {
    /// The experiment whose group did not match.
    pub experiment: String,
    /// A fixed reason (results count records by it).
    pub reason: &'static str,
    /// What was claimed and what the rules give.
    pub detail: String,
}

/// The rules the collector checks records against.
pub struct Verifier {
    rules: Rules,
}

impl Verifier {
    pub fn new(rules: Rules) -> Verifier {
        Verifier { rules }
    }

    /// The rules records are checked against.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Why `record` must be kept out of the results, if it must: a group it claims is not
    /// the one the rules give its user at `time` (the record's time on the collector's
    /// clock).
    pub fn check(&self, record: &Record, time: i64) -> Option<Exclusion> {
        let user = User::with_id(record.user_id());
        let evaluator = self.rules.at(time);
        claims(record).find_map(|(experiment, claimed)| {
            let evaluation = evaluator.get_experiment(&user, experiment);
            let given = evaluation.group();
            (given != Some(claimed)).then(|| Exclusion {
                experiment: experiment.to_owned(),
                reason: GROUP_MISMATCH,
                detail: format!(
                    "claims {experiment}/{claimed}; the rules give {}",
                    given.map_or_else(
                        || format!("no group ({})", evaluation.reason.as_str()),
                        |g| format!("{experiment}/{g}")
                    )
                ),
            })
        })
    }

    /// The (experiment, group) claims of `record` that are not the rules' assignment at `time`.
    pub fn failing_claims<'a>(&self, record: &'a Record, time: i64) -> Vec<(&'a str, &'a str)> {
        let user = User::with_id(record.user_id());
        let evaluator = self.rules.at(time);
        claims(record)
            .filter(|(experiment, claimed)| {
                evaluator.get_experiment(&user, experiment).group() != Some(*claimed)
            })
            .collect()
    }
}

/// The (experiment, group) pairs a record claims.
fn claims(record: &Record) -> Box<dyn Iterator<Item = (&str, &str)> + '_> {
    match record {
        Record::Exposure {
            experiment, group, ..
        } => Box::new(std::iter::once((experiment.as_str(), group.as_str()))),
        Record::Event { groups, .. } => {
            Box::new(groups.iter().map(|(e, g)| (e.as_str(), g.as_str())))
        }
    }
}

/// Accepts the records excluded only for claiming, in sticky experiments, the group of the
/// user's first stored exposure: the group the page keeps them in after the rules changed.
/// (A version bump re-assigns users on the page; the collector does not know when a version
/// began, so it honours the first group whatever its version.)
pub async fn honour_sticky(
    accepted: &mut [Accepted],
    verifier: &Verifier,
    store: &Store,
) -> Result<(), StoreError> {
    for record in accepted.iter_mut().filter(|a| a.exclusion.is_some()) {
        let failing = verifier.failing_claims(&record.record, record.time);
        let mut kept = !failing.is_empty();
        for (experiment, claimed) in failing {
            kept = kept
                && verifier.rules().sticky_version(experiment).is_some()
                && store
                    .first_group(experiment, record.record.user_id())
                    .await?
                    .as_deref()
                    == Some(claimed);
            if !kept {
                break;
            }
        }
        if kept {
            record.exclusion = None;
        }
    }
    Ok(())
}
