//! Whatever a rules file or a user holds, compiling and evaluating return a result or
//! diagnostics, never a panic (the fuzz targets in `fuzz/` push further).

use cohort::{CompileOptions, Rules, User};
use proptest::prelude::*;
use serde_json::{json, Value};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[ -~]{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "any",
            "none",
            "gt",
            "version_gt",
            "str_matches",
            "user_bucket",
            "pass_gate",
            "multi_pass_gate",
            "on",
            "array_contains_all",
            "in_segment_list",
            "public",
            "unit_id",
            "environment_field",
            "userID",
            "g",
            "c",
            "(",
            "1.2.3"
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

/// A spec with Statsig's structure, and arbitrary values where Statsig puts values.
fn spec() -> BoxedStrategy<Value> {
    let condition = (any_json(), any_json(), any_json(), any_json(), any_json()).prop_map(
        |(kind, op, target, field, extra)| {
            json!({"type": kind, "operator": op, "targetValue": target, "field": field,
                   "additionalValues": extra, "idType": "userID"})
        },
    );
    let rule = (
        prop::collection::vec(condition, 0..4),
        any_json(),
        any_json(),
        any_json(),
    )
        .prop_map(|(conditions, pass, ret, delegate)| {
            let mut r = json!({"id": "r", "salt": "s", "conditions": conditions, "returnValue": ret,
                               "passPercentage": pass.as_f64().unwrap_or(50.0)});
            if let Some(d) = delegate.as_str() {
                r["configDelegate"] = json!(d);
            }
            r
        });
    (prop::sample::select(vec!["g", "c", "l", "x"]), prop::collection::vec(rule, 0..4), any_json())
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn compiling_and_evaluating_never_panics(text in spec_file(), user in any_json()) {
        for options in [CompileOptions::STRICT, CompileOptions::LENIENT] {
            if let Ok(rules) = Rules::from_statsig_json(&text, options) {
                let user: User = serde_json::from_value(user.clone()).unwrap_or_else(|_| User::with_id("u"));
                let _ = rules.at(0).snapshot(&user);
            }
        }
    }

    #[test]
    fn any_text_is_rules_or_diagnostics(text in "[ -~\n]{0,300}") {
        for options in [CompileOptions::STRICT, CompileOptions::LENIENT] {
            let _ = Rules::from_statsig_json(&text, options);
            let _ = Rules::from_toml(&text, options);
        }
    }
}
