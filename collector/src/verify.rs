//! Checking what a record claims against the rules: assignment is deterministic, so the
//! collector evaluates each exposure's experiment (and each experiment an event names) for the
//! record's user, at the record's time, and compares the group.
//!
//! A record whose group differs (forged, or sent by a page built from other rules) is stored
//! apart: kept, with the reason, and left out of the results.

use cohort::{Rules, User};
use cohort_protocol::Record;

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
        let claims: Vec<(&str, &str)> = match record {
            Record::Exposure {
                experiment, group, ..
            } => vec![(experiment.as_str(), group.as_str())],
            Record::Event { groups, .. } => groups
                .iter()
                .map(|(e, g)| (e.as_str(), g.as_str()))
                .collect(),
        };
        claims.into_iter().find_map(|(experiment, claimed)| {
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
}
