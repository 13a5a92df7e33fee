//! Whatever a rules file or a user holds, compiling and evaluating return a result or
//! diagnostics, never a panic (the fuzz targets in `fuzz/` push further).
//!
//! The generated spec files have Statsig's structure with arbitrary values where Statsig puts
//! values, and real condition types and operators most of the time, so that a good share of
//! them compile and are evaluated: the tests count how many did and fail if too few, so that a
//! generator that drifts into producing only rejected files cannot pass unnoticed. The seed is
//! fixed: every run checks the same cases.

use cohort::model::{CONDITION_TYPES, OPERATORS};
use cohort::{CompileOptions, Rules, User};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use serde_json::{json, Value};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (0i64..1000).prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[ -~]{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "g", "c", "l", "x", "userID", "email", "(", "1.2.3", "a@b.c", "US",
        ])
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A real name most of the time, anything at all otherwise.
fn mostly(names: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop_oneof![
        40 => prop::sample::select(names).prop_map(|s| Value::String(s.into())),
        1 => any_json(),
    ]
}

/// A target value: a gate name, a short list, a number, or anything.
fn target() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec!["g", "c", "nope"]).prop_map(|s| json!(s)),
        prop::collection::vec(any_json(), 0..4).prop_map(Value::Array),
        (0i64..1000).prop_map(Value::from),
        any_json(),
    ]
}

/// A spec with Statsig's structure, and arbitrary values where Statsig puts values.
fn spec() -> BoxedStrategy<Value> {
    let gate = prop::sample::select(vec!["g", "c", "nope"]);
    let condition = (
        mostly(CONDITION_TYPES),
        mostly(OPERATORS),
        (
            target(),
            gate.clone(),
            prop::collection::vec(gate, 0..3),
            0..20u8,
        ),
        mostly(&["email", "country", "userID", "plan"]),
        prop_oneof![Just(json!({"salt": "s"})), any_json()],
    )
        .prop_map(|(kind, op, (target, gate, gates, chaos), field, extra)| {
            // Gate conditions name gates (and now and then something else).
            let target = match kind.as_str() {
                _ if chaos == 0 => target,
                Some("pass_gate" | "fail_gate") => json!(gate),
                Some("multi_pass_gate" | "multi_fail_gate") => json!(gates),
                _ => target,
            };
            json!({"type": kind, "operator": op, "targetValue": target, "field": field,
                   "additionalValues": extra, "idType": "userID"})
        });
    let rule = (
        prop::collection::vec(condition, 0..4),
        prop_oneof![(0.0f64..=100.0).prop_map(|p| json!(p)), any_json()],
        any_json(),
        prop::sample::select(vec![None, Some("c"), Some("x")]),
    )
        .prop_map(|(conditions, pass, ret, delegate)| {
            let mut r = json!({"id": "r", "salt": "s", "conditions": conditions, "returnValue": ret,
                               "passPercentage": pass.as_f64().unwrap_or(50.0)});
            if let Some(d) = delegate {
                r["configDelegate"] = json!(d);
            }
            r
        });
    (
        prop::sample::select(vec!["g", "c", "l", "x"]),
        prop::collection::vec(rule, 0..4),
        any_json(),
    )
        .prop_map(|(name, rules, default)| {
            json!({"name": name, "enabled": true, "salt": "salt", "rules": rules, "defaultValue": default})
        })
        .boxed()
}

/// A spec file of such specs.
fn spec_file() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(spec(), 0..3),
        prop::collection::vec(spec(), 0..3),
        prop::collection::vec(spec(), 0..2),
    )
        .prop_map(|(gates, configs, layers)| {
            json!({"feature_gates": gates, "dynamic_configs": configs, "layer_configs": layers})
                .to_string()
        })
}

/// Draws `cases` values of `strategy` from a fixed seed.
fn cases<S: Strategy>(strategy: S, cases: usize, seed: u64) -> Vec<S::Value> {
    let mut runner = TestRunner::new(Config {
        rng_seed: RngSeed::Fixed(seed),
        ..Config::default()
    });
    (0..cases)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect()
}

#[test]
fn compiling_and_evaluating_never_panics_and_most_files_are_evaluated() {
    const CASES: usize = 600;
    let files = cases((spec_file(), any_json()), CASES, 7);
    let (mut strict, mut lenient, mut evaluated_specs) = (0, 0, 0);
    for (text, user) in &files {
        let user: User =
            serde_json::from_value(user.clone()).unwrap_or_else(|_| User::with_id("u"));
        if Rules::from_statsig_json(text, CompileOptions::STRICT).is_ok() {
            strict += 1;
        }
        if let Ok(rules) = Rules::from_statsig_json(text, CompileOptions::LENIENT) {
            lenient += 1;
            let snapshot = rules.at(0).snapshot(&user);
            evaluated_specs +=
                snapshot.gates.len() + snapshot.configs.len() + snapshot.layers.len();
        }
    }
    println!("{CASES} files: {strict} compile strictly, {lenient} leniently; {evaluated_specs} specs evaluated");
    assert!(
        lenient * 3 >= CASES,
        "only {lenient} of {CASES} generated files compile leniently: the generator no longer reaches evaluation"
    );
    assert!(
        strict * 10 >= CASES,
        "only {strict} of {CASES} generated files compile strictly"
    );
    assert!(
        evaluated_specs >= 2 * lenient,
        "evaluation produced too few results: {evaluated_specs} from {lenient} files"
    );
}

#[test]
fn any_text_is_rules_or_diagnostics() {
    for text in cases("[ -~\n]{0,300}", 400, 11) {
        for options in [CompileOptions::STRICT, CompileOptions::LENIENT] {
            let json = Rules::from_statsig_json(&text, options);
            let toml = Rules::from_toml(&text, options);
            // Anything that is not a spec file is refused with at least one located error.
            if let Err(diagnostics) = json {
                assert!(diagnostics.has_errors(), "{text:?}");
            }
            if let Err(diagnostics) = toml {
                assert!(diagnostics.has_errors(), "{text:?}");
            }
        }
    }
}
