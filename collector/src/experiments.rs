//! The rules' experiments as the collector sees them: what records may name (each experiment
//! and its groups, [`Rules::experiments`], and the gates a page reports reading, [`gates`]),
//! and the listing `GET /api/experiments` answers ([`list`]).
//!
//! An experiment is a dynamic config whose groups are drawn from user buckets: what has
//! results. A gate exposure names the gate as an exposure names an experiment, with the gate's
//! value for its user as the group (`"true"` or `"false"`); where a gate and an experiment
//! share a name, the name is the experiment's.

use cohort::{Rules, SpecKind};
use cohort_protocol::Experiments;

use crate::store::{Store, StoreError};

/// Whether `rules` have an experiment named `name`.
pub fn is_experiment(rules: &Rules, name: &str) -> bool {
    rules
        .spec(SpecKind::Config, name)
        .is_some_and(|spec| spec.plan().is_some())
}

/// The gates of `rules` a record may name as it names an experiment, in the rules' order:
/// every gate but one that shares its name with an experiment.
pub fn gates(rules: &Rules) -> impl Iterator<Item = &str> {
    rules
        .evaluated_specs()
        .filter(move |spec| spec.kind == SpecKind::Gate && !is_experiment(rules, &spec.name))
        .map(|spec| spec.name.as_str())
}

/// Every experiment of `rules`, in their order, with the users `store` holds exposed to it:
/// one count per experiment, from one snapshot of the store.
pub async fn list(rules: &Rules, store: &Store) -> Result<Experiments, StoreError> {
    let names: Vec<String> = rules
        .experiments()
        .map(|(spec, _)| spec.name.clone())
        .collect();
    let counts = store.exposed_users(&names).await?;
    Ok(Experiments::of(rules, |name| {
        names
            .iter()
            .position(|n| n == name)
            .map_or(0, |i| counts[i])
    }))
}

#[cfg(test)]
mod tests {
    use cohort::CompileOptions;

    use super::*;

    const RULES: &str = r#"
[[metric]]
name = "signup"
event = "visited_signup"
kind = "conversion"

[[gate]]
name = "new_checkout"
rules = [{ id = "half", pass = 50 }]

[[experiment]]
name = "e"
metrics = ["signup"]
groups = [{ name = "Control", weight = 50 }, { name = "Red", weight = 50 }]
targeting = [{ field = "country", op = "any", value = ["US"] }]

[[experiment]]
name = "paused"
enabled = false
groups = [{ name = "Control", weight = 100 }]
"#;

    #[test]
    fn experiments_and_gates_come_in_rules_order_and_never_overlap() {
        let rules = Rules::from_toml(RULES, CompileOptions::STRICT).unwrap();
        let experiments: Vec<(&str, Vec<String>, bool)> = rules
            .experiments()
            .map(|(spec, plan)| {
                let groups = plan.groups.into_iter().map(|g| g.name).collect();
                (spec.name.as_str(), groups, spec.enabled)
            })
            .collect();
        assert_eq!(
            experiments,
            [
                ("e", vec!["Control".to_owned(), "Red".to_owned()], true),
                ("paused", vec!["Control".to_owned()], false)
            ]
        );
        // The targeting of `e` is a gate of its own (`e_targeting`): a gate like any other.
        let gates: Vec<&str> = gates(&rules).collect();
        assert!(gates.contains(&"new_checkout"), "{gates:?}");
        assert!(!gates.contains(&"e") && !gates.contains(&"paused"));
        assert!(is_experiment(&rules, "e") && !is_experiment(&rules, "new_checkout"));
    }

    #[test]
    fn a_gate_named_as_an_experiment_is_not_one_records_may_name() {
        let both = format!("{RULES}\n[[gate]]\nname = \"paused\"\n");
        let rules = Rules::from_toml(&both, CompileOptions::STRICT).unwrap();
        assert!(rules.spec(SpecKind::Gate, "paused").is_some());
        let gates: Vec<&str> = gates(&rules).collect();
        assert!(!gates.contains(&"paused"), "{gates:?}");
        assert!(gates.contains(&"new_checkout"), "{gates:?}");
    }
}
