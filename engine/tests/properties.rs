//! Properties of assignment, over many generated users and experiments (proptest):
//! evaluation is deterministic; group shares match the weights; experiments with different
//! salts assign independently; and a hand-written TOML experiment assigns every user exactly
//! as its Statsig encoding does.
//!
//! The statistical properties draw their experiments from a fixed seed, so every run tests the
//! same ones and a pass or a failure is never luck; their threshold (p > 1e-6) would wrongly
//! fail fewer than one experiment in a million if the seed changed.

use cohort::{CompileOptions, Rules, User};
use cohort_stats::{chi_square_fit, chi_square_independence};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use serde_json::json;

/// 2 to 5 weights in steps of 0.1%, summing to 100%.
fn weights() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(1u32..=600, 2..=5)
        .prop_map(|raw| {
            let total: u32 = raw.iter().sum();
            let mut per_mille: Vec<u32> = raw.iter().map(|w| (w * 1000 / total).max(1)).collect();
            let sum: u32 = per_mille.iter().sum();
            let last = per_mille.len() - 1;
            per_mille[last] = (per_mille[last] + 1000).saturating_sub(sum).max(1);
            per_mille
        })
        .prop_filter("weights add up to 1000", |w| w.iter().sum::<u32>() == 1000)
}

fn salt() -> impl Strategy<Value = String> {
    "[a-z0-9-]{1,36}"
}

fn toml_experiment(
    name: &str,
    salt: &str,
    layer_salt: &str,
    allocation: u32,
    weights: &[u32],
) -> String {
    let groups: Vec<String> = weights
        .iter()
        .enumerate()
        .map(|(i, w)| {
            format!(
                "{{ name = \"g{i}\", weight = {}, params = {{ v = \"{i}\" }} }}",
                f64::from(*w) / 10.0
            )
        })
        .collect();
    format!(
        "[[experiment]]\nname = \"{name}\"\nsalt = \"{salt}\"\nlayer_salt = \"{layer_salt}\"\nallocation = {}\ndefaults = {{ v = \"default\" }}\ngroups = [{}]\n",
        f64::from(allocation) / 10.0,
        groups.join(", ")
    )
}

/// The same experiment, encoded by hand the way Statsig's console writes it.
fn statsig_experiment(
    name: &str,
    salt: &str,
    layer_salt: &str,
    allocation: u32,
    weights: &[u32],
) -> String {
    let assignment = if allocation == 1000 {
        json!({"type": "user_bucket", "operator": "any", "targetValue": [-1],
               "additionalValues": {"salt": layer_salt}})
    } else {
        json!({"type": "user_bucket", "operator": "none",
               "targetValue": (0..allocation).collect::<Vec<u32>>(),
               "additionalValues": {"salt": layer_salt}})
    };
    let mut rules = vec![json!({"id": "layerAssignment", "name": "layerAssignment",
        "groupName": "layerAssignment", "salt": "", "passPercentage": 100,
        "returnValue": {"v": "default"}, "conditions": [assignment]})];
    let mut bound = 0;
    for (i, w) in weights.iter().enumerate() {
        bound += w;
        let id = format!("{name}.g{i}");
        rules.push(
            json!({"id": id, "salt": id, "name": id, "groupName": format!("g{i}"),
            "passPercentage": 100, "isExperimentGroup": true, "returnValue": {"v": i.to_string()},
            "conditions": [{"type": "user_bucket", "operator": "lt", "targetValue": bound,
                            "additionalValues": {"salt": salt}}]}),
        );
    }
    json!({"dynamic_configs": [{"name": name, "salt": salt, "enabled": true,
        "entity": "experiment", "defaultValue": {"v": "default"}, "rules": rules}]})
    .to_string()
}

fn group_of(rules: &Rules, experiment: &str, id: &str) -> Option<usize> {
    let e = rules.at(0).get_experiment(&User::with_id(id), experiment);
    e.is_experiment_group
        .then(|| e.group_name?.strip_prefix('g')?.parse().ok())
        .flatten()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, .. ProptestConfig::default() })]

    #[test]
    fn evaluation_is_deterministic(ids in prop::collection::vec(".{0,40}", 1..50)) {
        let dcs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/structure.json")).unwrap();
        let a = Rules::from_statsig_json(&dcs, CompileOptions::LENIENT).unwrap();
        let b = Rules::from_statsig_json(&dcs, CompileOptions::LENIENT).unwrap();
        for id in &ids {
            let user = User::with_id(id.clone());
            let first = a.at(7).snapshot(&user);
            prop_assert_eq!(&first, &a.at(7).snapshot(&user));
            prop_assert_eq!(&first, &b.at(7).snapshot(&user));
        }
    }

    #[test]
    fn a_toml_experiment_assigns_as_its_statsig_encoding(
        salt in salt(), layer_salt in salt(), allocation in 1u32..=1000, weights in weights(),
        ids in prop::collection::vec("[ -~]{0,30}", 200),
    ) {
        let toml = Rules::from_toml(&toml_experiment("e", &salt, &layer_salt, allocation, &weights), CompileOptions::STRICT).unwrap();
        let statsig = Rules::from_statsig_json(&statsig_experiment("e", &salt, &layer_salt, allocation, &weights), CompileOptions::STRICT).unwrap();
        for id in &ids {
            let user = User::with_id(id.clone());
            let (a, b) = (toml.at(0).get_experiment(&user, "e"), statsig.at(0).get_experiment(&user, "e"));
            prop_assert_eq!((a.value, a.rule_id, a.group_name, a.is_experiment_group),
                            (b.value, b.rule_id, b.group_name, b.is_experiment_group), "user {:?}", id);
        }
    }
}

/// The smallest p-value a statistical property accepts.
const P_MIN: f64 = 1e-6;

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 6,
        rng_seed: RngSeed::Fixed(20_261_126),
        failure_persistence: None,
        .. ProptestConfig::default()
    })]

    #[test]
    fn group_shares_over_100000_ids_match_the_weights(salt in salt(), weights in weights()) {
        let rules = Rules::from_toml(&toml_experiment("e", &salt, "layer", 1000, &weights), CompileOptions::STRICT).unwrap();
        let mut counts = vec![0u64; weights.len()];
        for i in 0..100_000 {
            counts[group_of(&rules, "e", &format!("user-{i}")).expect("everyone is allocated")] += 1;
        }
        let shares: Vec<f64> = weights.iter().map(|&w| f64::from(w)).collect();
        let test = chi_square_fit(&counts, &shares).unwrap();
        prop_assert!(test.p_value > P_MIN, "{:?} for weights {:?}: {:?}", counts, weights, test);
    }

    #[test]
    fn experiments_with_different_salts_assign_independently(
        a_salt in salt(), b_salt in salt(), a_weights in weights(), b_weights in weights(),
    ) {
        prop_assume!(a_salt != b_salt);
        let text = toml_experiment("a", &a_salt, "la", 1000, &a_weights)
            + &toml_experiment("b", &b_salt, "lb", 1000, &b_weights);
        let rules = Rules::from_toml(&text, CompileOptions::STRICT).unwrap();
        let mut table = vec![vec![0u64; b_weights.len()]; a_weights.len()];
        for i in 0..100_000 {
            let id = format!("user-{i}");
            table[group_of(&rules, "a", &id).unwrap()][group_of(&rules, "b", &id).unwrap()] += 1;
        }
        let test = chi_square_independence(&table).unwrap();
        prop_assert!(test.p_value > P_MIN, "{:?}", test);
    }
}
