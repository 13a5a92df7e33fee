//! Checking what a record claims against the rules: assignment is deterministic, so the
//! collector evaluates each exposure's experiment (and each experiment an event names) for the
//! record's user, at the record's time, and compares the group. A claim naming a gate (a gate
//! exposure: the page read the gate) is checked the same way, the group being the gate's value
//! for the user, `"true"` or `"false"`.
//!
//! A record whose group differs (forged, or sent by a page built from other rules) is stored
//! apart: kept, with the reason, and left out of the results. A sticky experiment keeps users
//! in the group they were first exposed to, so there a claim of the group of the user's first
//! stored exposure is honoured too ([`honour_sticky`]).

use std::collections::BTreeSet;

use cohort::{Evaluator, Rules, User};
use cohort_protocol::{ExclusionReason, Record};

use crate::experiments;
pub use crate::store::Exclusion;
use crate::store::{Accepted, Store, StoreError};

/// The rules the collector checks records against.
pub struct Verifier {
    rules: Rules,
    /// The gates records may name as they name experiments ([`experiments::gates`]).
    gates: BTreeSet<String>,
}

/// What the rules give a user in an experiment or a gate a record names.
struct Given<'r> {
    /// The experiment's group, or the gate's value (`"true"` or `"false"`); none when the
    /// experiment gives the user no group.
    group: Option<&'r str>,
    /// Why there is no group (the evaluation's reason).
    reason: &'static str,
}

impl Verifier {
    pub fn new(rules: Rules) -> Verifier {
        let gates = experiments::gates(&rules).map(str::to_owned).collect();
        Verifier { rules, gates }
    }

    /// The rules records are checked against.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// What the rules give `user` in `name` at `evaluator`'s time: for a gate, its value;
    /// otherwise the experiment's group.
    fn given<'r>(&self, evaluator: &Evaluator<'r>, user: &User, name: &str) -> Given<'r> {
        if self.gates.contains(name) {
            let gate = evaluator.check_gate(user, name);
            Given {
                group: Some(if gate.passed { "true" } else { "false" }),
                reason: gate.reason.as_str(),
            }
        } else {
            let experiment = evaluator.get_experiment(user, name);
            Given {
                group: experiment.group(),
                reason: experiment.reason.as_str(),
            }
        }
    }

    /// Why `record` must be kept out of the results, if it must: a group it claims is not
    /// the one the rules give its user at `time` (the record's time on the collector's
    /// clock), or a gate's value it claims is not the gate's for its user.
    pub fn check(&self, record: &Record, time: i64) -> Option<Exclusion> {
        let user = User::with_id(record.user_id());
        let evaluator = self.rules.at(time);
        claims(record).find_map(|(experiment, claimed)| {
            let given = self.given(&evaluator, &user, experiment);
            (given.group != Some(claimed)).then(|| Exclusion {
                experiment: experiment.to_owned(),
                reason: ExclusionReason::GroupMismatch,
                detail: format!(
                    "claims {experiment}/{claimed}; the rules give {}",
                    given.group.map_or_else(
                        || format!("no group ({})", given.reason),
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
                self.given(&evaluator, &user, experiment).group != Some(*claimed)
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
        Record::Event { groups, .. } => Box::new(groups.iter()),
    }
}

/// Sets apart every record of a batch sent with `user_agent`, a crawler's or a headless
/// browser's ([`ExclusionReason::Bot`]; Statsig and GrowthBook filter bots out of their
/// results the same way): stored, counted as excluded, left out of results. An exposure is counted under
/// its experiment; an event under the first experiment it names, if any.
pub fn set_apart_as_bot(accepted: &mut [Accepted], user_agent: &str) {
    let shown: String = user_agent.chars().take(200).collect();
    for record in accepted {
        let experiment = match &record.record {
            Record::Exposure { experiment, .. } => experiment.clone(),
            Record::Event { groups, .. } => groups
                .iter()
                .next()
                .map(|(e, _)| e.to_owned())
                .unwrap_or_default(),
        };
        record.exclusion = Some(Exclusion {
            experiment,
            reason: ExclusionReason::Bot,
            detail: format!("User-Agent {shown:?}"),
        });
    }
}

/// Where [`honour_sticky`] finds the group of a user's first stored exposure: the [`Store`]
/// (or, in a test, a map: the check needs no database).
pub trait FirstGroups {
    /// The group of `user_id`'s first (not excluded) exposure to `experiment`, if any.
    fn first_group(
        &self,
        experiment: &str,
        user_id: &str,
    ) -> impl std::future::Future<Output = Result<Option<String>, StoreError>> + Send;
}

impl FirstGroups for Store {
    async fn first_group(
        &self,
        experiment: &str,
        user_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Store::first_group(self, experiment, user_id).await
    }
}

/// Accepts the records excluded only for claiming, in sticky experiments, the group of the
/// user's first stored exposure: the group the page keeps them in after the rules changed.
/// (A version bump re-assigns users on the page; the collector does not know when a version
/// began, so it honours the first group whatever its version.)
pub async fn honour_sticky(
    accepted: &mut [Accepted],
    verifier: &Verifier,
    store: &impl FirstGroups,
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

#[cfg(test)]
mod tests {
    use cohort_protocol::Groups;

    use cohort::CompileOptions;

    use super::*;

    const T0: i64 = 1_795_651_200_000;

    const RULES: &str = r#"
[[gate]]
name = "new_checkout"
rules = [{ id = "half", pass = 50 }]

[[experiment]]
name = "e"
groups = [{ name = "Control", weight = 50 }, { name = "Red", weight = 50 }]
"#;

    fn verifier() -> Verifier {
        Verifier::new(Rules::from_toml(RULES, CompileOptions::STRICT).unwrap())
    }

    /// A user for whom the gate is `value`, and their group in `e`.
    fn user_with(verifier: &Verifier, value: bool) -> (String, String) {
        let evaluator = verifier.rules().at(T0);
        (0..)
            .map(|i| format!("user-{i}"))
            .find_map(|id| {
                let user = User::with_id(id.as_str());
                let gate = evaluator.check_gate(&user, "new_checkout");
                let group = evaluator.get_experiment(&user, "e").group()?.to_owned();
                (gate.passed == value).then_some((id, group))
            })
            .unwrap()
    }

    fn exposure(user: &str, name: &str, group: &str) -> Record {
        Record::Exposure {
            id: "0f8fad5b-d9cb-469f-a165-70867728950e".into(),
            user_id: user.into(),
            experiment: name.into(),
            group: group.into(),
            rule_id: "half".into(),
            secondary_exposures: Vec::new(),
            dimensions: Default::default(),
            time: T0,
        }
    }

    #[test]
    fn an_honest_gate_exposure_is_not_excluded() {
        let verifier = verifier();
        for value in [true, false] {
            let (user, _) = user_with(&verifier, value);
            let record = exposure(&user, "new_checkout", &value.to_string());
            assert_eq!(verifier.check(&record, T0), None, "{user}: {value}");
            assert!(verifier.failing_claims(&record, T0).is_empty());
        }
    }

    #[test]
    fn a_forged_gate_value_is_excluded_with_what_it_claimed() {
        let verifier = verifier();
        let (user, _) = user_with(&verifier, false);
        let record = exposure(&user, "new_checkout", "true");
        assert_eq!(
            verifier.check(&record, T0),
            Some(Exclusion {
                experiment: "new_checkout".into(),
                reason: ExclusionReason::GroupMismatch,
                detail: "claims new_checkout/true; the rules give new_checkout/false".into(),
            })
        );
        assert_eq!(
            verifier.failing_claims(&record, T0),
            [("new_checkout", "true")]
        );
    }

    #[test]
    fn an_event_naming_a_gate_is_checked_by_the_gates_value() {
        let verifier = verifier();
        let (user, group) = user_with(&verifier, true);
        let event = |value: &str| Record::Event {
            id: "1f8fad5b-d9cb-469f-a165-70867728950e".into(),
            user_id: user.clone(),
            name: "cta_click".into(),
            time: T0,
            groups: Groups::from([
                ("e".to_owned(), group.clone()),
                ("new_checkout".to_owned(), value.to_owned()),
            ]),
            value: None,
        };
        assert_eq!(verifier.check(&event("true"), T0), None);
        let forged = verifier.check(&event("false"), T0).expect("excluded");
        assert_eq!(forged.experiment, "new_checkout");
        assert_eq!(
            forged.detail,
            "claims new_checkout/false; the rules give new_checkout/true"
        );
    }

    #[test]
    fn an_experiment_claim_is_still_checked_as_an_experiment() {
        let verifier = verifier();
        let (user, group) = user_with(&verifier, true);
        let other = if group == "Red" { "Control" } else { "Red" };
        assert_eq!(verifier.check(&exposure(&user, "e", &group), T0), None);
        let forged = verifier.check(&exposure(&user, "e", other), T0).unwrap();
        assert_eq!(
            forged.detail,
            format!("claims e/{other}; the rules give e/{group}")
        );
        // "true" is no group of an experiment's.
        assert!(verifier.check(&exposure(&user, "e", "true"), T0).is_some());
    }

    /// First groups from a map: [`honour_sticky`] checked without a database.
    struct Firsts(std::collections::HashMap<(String, String), String>);

    impl FirstGroups for Firsts {
        async fn first_group(
            &self,
            experiment: &str,
            user_id: &str,
        ) -> Result<Option<String>, StoreError> {
            Ok(self
                .0
                .get(&(experiment.to_owned(), user_id.to_owned()))
                .cloned())
        }
    }

    #[tokio::test]
    async fn a_sticky_experiment_honours_the_first_stored_group_and_nothing_else() {
        let sticky = RULES.replace("name = \"e\"\n", "name = \"e\"\nsticky = 1\n");
        let verifier = Verifier::new(Rules::from_toml(&sticky, CompileOptions::STRICT).unwrap());
        let (user, group) = user_with(&verifier, true);
        let other = if group == "Red" { "Control" } else { "Red" };
        let accepted = |claimed: &str| {
            let record = exposure(&user, "e", claimed);
            Accepted {
                exclusion: verifier.check(&record, T0),
                record,
                time: T0,
            }
        };
        let mut batch = [accepted(other), accepted(other)];
        assert!(
            batch.iter().all(|a| a.exclusion.is_some()),
            "forged as sent"
        );
        // Nothing stored for the user: the claim stays excluded.
        honour_sticky(&mut batch[..1], &verifier, &Firsts(Default::default()))
            .await
            .unwrap();
        assert!(batch[0].exclusion.is_some());
        // The user's first stored exposure is in the claimed group: honoured.
        let mut firsts = std::collections::HashMap::new();
        firsts.insert(("e".to_owned(), user.clone()), other.to_owned());
        honour_sticky(&mut batch[1..], &verifier, &Firsts(firsts.clone()))
            .await
            .unwrap();
        assert_eq!(batch[1].exclusion, None);
        // Not sticky: the same stored group honours nothing.
        let plain = verifier_of(RULES);
        let record = exposure(&user, "e", other);
        let mut batch = [Accepted {
            exclusion: plain.check(&record, T0),
            record,
            time: T0,
        }];
        honour_sticky(&mut batch, &plain, &Firsts(firsts))
            .await
            .unwrap();
        assert!(batch[0].exclusion.is_some());
    }

    fn verifier_of(rules: &str) -> Verifier {
        Verifier::new(Rules::from_toml(rules, CompileOptions::STRICT).unwrap())
    }
}
