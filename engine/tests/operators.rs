//! Every operator and condition type, with the edge cases Statsig's reference evaluator has:
//! numeric strings, versions like `2.3` and `2.3.0`, case rules, missing fields, empty IDs,
//! fractional pass percentages, and the values that make evaluation raise.

use cohort::{hash, CompileOptions, Reason, Rules, User};
use serde_json::{json, Value};

/// A one-gate spec file whose only rule has `condition`.
fn gate_with(condition: Value) -> Rules {
    rules(json!({"feature_gates": [gate("g", vec![condition])]}))
}

fn gate(name: &str, conditions: Vec<Value>) -> Value {
    json!({"name": name, "enabled": true, "salt": format!("salt-{name}"), "defaultValue": false,
           "rules": [{"id": format!("{name}-rule"), "passPercentage": 100, "returnValue": true,
                      "conditions": conditions}]})
}

fn rules(dcs: Value) -> Rules {
    Rules::from_statsig_json(&dcs.to_string(), CompileOptions::LENIENT)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn field(op: &str, field: &str, target: Value) -> Value {
    json!({"type": "user_field", "operator": op, "field": field, "targetValue": target})
}

fn user(v: Value) -> User {
    serde_json::from_value(v).unwrap()
}

/// The gate's value and rule ID for a user with `custom.x = value`.
fn check(condition: Value, value: Value) -> (bool, String) {
    let rules = gate_with(condition);
    let u = user(json!({"userID": "u", "custom": {"x": value}}));
    let e = rules.at(0).check_gate(&u, "g");
    (e.passed, e.rule_id.to_owned())
}

fn passes(op: &str, target: Value, value: Value) -> bool {
    let (passed, rule) = check(field(op, "x", target.clone()), value.clone());
    assert_ne!(rule, "error", "{op} {target} on {value} raised");
    passed
}

fn raises(op: &str, target: Value, value: Value) -> bool {
    check(field(op, "x", target), value).1 == "error"
}

#[test]
fn numeric_comparisons_read_both_sides_as_floats() {
    assert!(passes("gt", json!(9), json!(10)));
    assert!(passes("gt", json!(9), json!("10")));
    assert!(passes("gt", json!("9.5"), json!(" 10 ")));
    assert!(!passes("gt", json!(10), json!(10)));
    assert!(passes("gte", json!(10), json!(10.0)));
    assert!(passes("lt", json!(1.5), json!(true)), "True is 1.0");
    assert!(passes("lte", json!("1_000"), json!(1000)));
    assert!(
        !passes("lt", json!(5), Value::Null),
        "missing value never passes"
    );
    assert!(raises("gt", json!(5), json!("abc")), "float('abc') raises");
    assert!(raises("gt", json!("abc"), json!(5)));
    assert!(raises("gt", json!(5), json!([1])));
    assert!(!passes("gt", json!(5), json!("nan")));
}

#[test]
fn versions_compare_numerically_part_by_part() {
    assert!(passes("version_eq", json!("2.3"), json!("2.3.0")));
    assert!(passes("version_eq", json!("2.3.0"), json!("2.3")));
    assert!(passes("version_gt", json!("9.9"), json!("10.0")));
    assert!(
        passes("version_lt", json!("2.3.1"), json!("2.3")),
        "2.3 is 2.3.0 < 2.3.1"
    );
    assert!(
        passes("version_gte", json!("2.3"), json!("2.3-beta")),
        "from '-' on is dropped"
    );
    assert!(passes("version_lte", json!("2.3.0"), json!("2.3.0.0")));
    assert!(passes("version_neq", json!("1.2"), json!("1.3")));
    assert!(
        !passes("version_eq", json!("1.x"), json!("1.x")),
        "a non-numeric part is false"
    );
    assert!(
        passes("version_gt", json!("1.x"), json!("2.0")),
        "decided before the bad part"
    );
    assert!(!passes("version_eq", json!("1"), Value::Null));
    assert!(
        passes("version_eq", json!(2), json!("2.0")),
        "numbers are versions too"
    );
    assert!(
        raises("version_eq", json!("1"), json!("inf")),
        "int(float('inf')) raises"
    );
}

#[test]
fn any_and_none_compare_text_case_insensitively() {
    assert!(passes("any", json!(["US", "CA"]), json!("us")));
    assert!(
        passes("any", json!([1, 2]), json!("1")),
        "targets are compared as text"
    );
    assert!(passes("any", json!(["1"]), json!(1)));
    assert!(
        !passes("any", json!(["1"]), json!(1.0)),
        "str(1.0) is '1.0'"
    );
    assert!(
        passes("any", json!(["true"]), json!(true)),
        "str(True) folds to 'true'"
    );
    assert!(
        passes("any", json!(["STRASSE"]), json!("Straße")),
        "full case folding"
    );
    assert!(
        !passes("any", json!("US"), json!("US")),
        "a non-list target never matches"
    );
    assert!(passes("none", json!(["US"]), json!("FR")));
    assert!(
        passes("none", json!(["US"]), Value::Null),
        "a missing value is in no list"
    );
    assert!(passes("any_case_sensitive", json!(["US"]), json!("US")));
    assert!(!passes("any_case_sensitive", json!(["US"]), json!("us")));
    assert!(passes("none_case_sensitive", json!(["US"]), json!("us")));
}

#[test]
fn string_operators_fold_case_and_iterate_targets() {
    assert!(passes("str_starts_with_any", json!(["ab"]), json!("ABC")));
    assert!(passes(
        "str_ends_with_any",
        json!(["@EXAMPLE.org"]),
        json!("a@example.ORG")
    ));
    assert!(passes("str_contains_any", json!(["mid"]), json!("a-MID-b")));
    assert!(passes("str_contains_none", json!(["x"]), json!("abc")));
    assert!(passes("str_contains_none", json!(["x"]), Value::Null));
    assert!(
        passes("str_contains_any", json!("zq"), json!("quiz")),
        "a text target is its characters"
    );
    assert!(passes("str_contains_any", json!([1]), json!(10)));
    assert!(
        raises("str_contains_any", json!(5), json!("x")),
        "iterating a number raises"
    );
    assert!(
        !raises("str_contains_any", json!(5), Value::Null),
        "unless the value is missing"
    );
}

#[test]
fn str_matches_searches_without_anchors() {
    assert!(passes("str_matches", json!("[0-9]+"), json!("abc123")));
    assert!(!passes("str_matches", json!("^[0-9]+$"), json!("abc123")));
    assert!(passes("str_matches", json!("(?i)^ABC"), json!("abc")));
    assert!(raises("str_matches", json!("(unclosed"), json!("x")));
    assert!(!passes("str_matches", Value::Null, json!("x")));
    // What the page's build script asks before it bundles rules without regular expressions.
    assert!(gate_with(field("str_matches", "x", json!("a"))).uses_regex());
    assert!(!gate_with(field("str_contains_any", "x", json!(["a"]))).uses_regex());
}

#[test]
fn eq_and_neq_are_python_equality() {
    assert!(passes("eq", json!(1), json!(1.0)));
    assert!(passes("eq", json!(1), json!(true)));
    assert!(!passes("eq", json!("1"), json!(1)));
    assert!(passes(
        "eq",
        json!([1, {"a": "b"}]),
        json!([1.0, {"a": "b"}])
    ));
    assert!(
        passes("eq", Value::Null, Value::Null),
        "a missing field equals null"
    );
    assert!(passes("neq", json!("a"), json!("A")));
}

#[test]
fn dates_are_seconds_or_milliseconds() {
    let day = 1_764_028_800; // 2025-11-25T00:00:00Z
    assert!(passes("before", json!(day + 10), json!(day)));
    assert!(
        passes("after", json!((day as i64 - 10) * 1000), json!(day)),
        "13 digits are ms"
    );
    assert!(passes(
        "on",
        json!(day as i64 * 1000 + 3_600_000),
        json!(day + 80_000)
    ));
    assert!(!passes("on", json!(day), json!(day + 86_400)));
    assert!(raises("after", json!(day), json!("tomorrow")));
    assert!(!passes("after", json!(day), Value::Null));
}

#[test]
fn arrays_are_matched_as_integers_or_text() {
    assert!(passes("array_contains_any", json!(["5", "x"]), json!([5])));
    assert!(passes(
        "array_contains_any",
        json!(["x"]),
        json!(["x", "y"])
    ));
    assert!(
        !passes("array_contains_any", json!(["0"]), json!([0])),
        "0 is skipped as an int"
    );
    assert!(passes("array_contains_none", json!(["z"]), json!(["x"])));
    assert!(passes(
        "array_contains_all",
        json!(["1", "x"]),
        json!([1, "x"])
    ));
    assert!(!passes(
        "array_contains_all",
        json!(["1", "y"]),
        json!([1, "x"])
    ));
    assert!(passes(
        "not_array_contains_all",
        json!(["1", "y"]),
        json!([1, "x"])
    ));
    assert!(
        !passes("array_contains_any", json!(["x"]), json!("x")),
        "a non-list value is false"
    );
    assert!(
        raises("array_contains_any", json!("x"), json!(["x"])),
        "a non-list target raises"
    );
}

#[test]
fn segment_lists_hold_hashed_ids() {
    let key = String::from_utf8(hash::id_list_key("vip-user").to_vec()).unwrap();
    let rules = rules(json!({
        "feature_gates": [gate("g", vec![json!({"type": "unit_id", "operator": "in_segment_list",
                                                 "targetValue": "vips"})])],
        "id_lists": {"vips": {"name": "vips", "ids": [key]}}
    }));
    let at = rules.at(0);
    assert!(at.check_gate(&User::with_id("vip-user"), "g").passed);
    assert!(!at.check_gate(&User::with_id("someone"), "g").passed);
}

#[test]
fn user_fields_fall_back_to_custom_then_private_attributes() {
    let rules = gate_with(field("any", "Plan", json!(["pro"])));
    let at = rules.at(0);
    assert!(
        at.check_gate(
            &user(json!({"userID": "u", "custom": {"plan": "PRO"}})),
            "g"
        )
        .passed
    );
    assert!(
        at.check_gate(
            &user(json!({"userID": "u", "privateAttributes": {"Plan": "pro"}})),
            "g"
        )
        .passed
    );
    assert!(!at.check_gate(&user(json!({"userID": "u"})), "g").passed);
    let email = gate_with(field("str_ends_with_any", "EMAIL", json!(["@x.io"])));
    let empty_top = user(json!({"userID": "u", "email": "", "custom": {"email": "a@x.io"}}));
    assert!(
        email.at(0).check_gate(&empty_top, "g").passed,
        "\"\" at the top falls through"
    );
    let user_id = gate_with(field("any", "user_id", json!(["abc"])));
    assert!(user_id.at(0).check_gate(&User::with_id("ABC"), "g").passed);
}

#[test]
fn environment_fields_keep_statsigs_key_quirk() {
    let env = |field_name: &str, env: Value| {
        let rules = gate_with(json!({"type": "environment_field", "operator": "any",
                                     "field": field_name, "targetValue": ["production"]}));
        let e = rules.at(0).check_gate(
            &user(json!({"userID": "u", "statsigEnvironment": env})),
            "g",
        );
        (e.passed, e.rule_id.to_owned())
    };
    assert_eq!(
        env("tier", json!({"tier": "production"})),
        (true, "g-rule".into())
    );
    assert_eq!(
        env("tier", json!({"tier": "staging"})),
        (false, "default".into())
    );
    // Found under the lower-case name, then read under the original one: a KeyError.
    assert_eq!(env("TIER", json!({"tier": "production"})).1, "error");
    // The spec file's default environment applies to users without one.
    let rules = rules(
        json!({"feature_gates": [gate("g", vec![json!({"type": "environment_field",
        "operator": "any", "field": "tier", "targetValue": ["staging"]})])],
        "default_environment": "staging"}),
    );
    assert!(rules.at(0).check_gate(&User::with_id("u"), "g").passed);
}

#[test]
fn time_bucket_unit_and_app_conditions() {
    let now = gate_with(json!({"type": "current_time", "operator": "gt", "targetValue": 1000}));
    assert!(now.at(1001).check_gate(&User::with_id("u"), "g").passed);
    assert!(!now.at(1000).check_gate(&User::with_id("u"), "g").passed);

    let bucket_rule = |op: &str, target: Value| {
        gate_with(
            json!({"type": "user_bucket", "operator": op, "targetValue": target,
                         "additionalValues": {"salt": "s"}}),
        )
    };
    for id in ["", "a", "user-42", "ünï"] {
        let b = hash::user_bucket("s", id);
        let u = User::with_id(id);
        assert!(
            bucket_rule("lt", json!(b + 1))
                .at(0)
                .check_gate(&u, "g")
                .passed,
            "{id}"
        );
        assert!(
            !bucket_rule("lt", json!(b)).at(0).check_gate(&u, "g").passed,
            "{id}"
        );
        assert!(
            bucket_rule("any", json!([b]))
                .at(0)
                .check_gate(&u, "g")
                .passed
        );
        assert!(
            bucket_rule("none", json!([b + 1]))
                .at(0)
                .check_gate(&u, "g")
                .passed
        );
    }
    // A user without a user ID is hashed as "".
    let anonymous = user(json!({"customIDs": {"deviceID": "d"}}));
    let b = hash::user_bucket("s", "");
    assert!(
        bucket_rule("any", json!([b]))
            .at(0)
            .check_gate(&anonymous, "g")
            .passed
    );

    let unit = gate_with(
        json!({"type": "unit_id", "operator": "any", "targetValue": ["c-9"],
                                "idType": "companyID"}),
    );
    assert!(
        unit.at(0)
            .check_gate(
                &user(json!({"userID": "u", "customIDs": {"companyid": "C-9"}})),
                "g"
            )
            .passed
    );
    assert!(!unit.at(0).check_gate(&User::with_id("c-9"), "g").passed);

    let ip = gate_with(
        json!({"type": "ip_based", "operator": "any", "field": "country",
                              "targetValue": ["FR"]}),
    );
    assert!(
        ip.at(0)
            .check_gate(&user(json!({"userID": "u", "country": "fr"})), "g")
            .passed
    );
    assert!(
        !ip.at(0)
            .check_gate(&user(json!({"userID": "u", "ip": "1.2.3.4"})), "g")
            .passed
    );

    let app = rules(
        json!({"feature_gates": [gate("g", vec![json!({"type": "target_app",
        "operator": "any", "targetValue": ["web"]})])], "app_id": "web"}),
    );
    assert!(app.at(0).check_gate(&User::with_id("u"), "g").passed);
}

#[test]
fn nested_gates_log_secondary_exposures() {
    let rules = rules(json!({"feature_gates": [
        gate("outer", vec![json!({"type": "pass_gate", "targetValue": "inner"}),
                           json!({"type": "fail_gate", "targetValue": "blocked"})]),
        gate("inner", vec![field("any", "email", json!(["a@x.io"]))]),
        gate("blocked", vec![field("any", "country", json!(["XX"]))]),
        gate("multi", vec![json!({"type": "multi_pass_gate", "targetValue": ["blocked", "inner"]})]),
        gate("segment", vec![json!({"type": "pass_gate", "targetValue": "segment:inner"})]),
        gate("segment:inner", vec![json!({"type": "public"})]),
    ]}));
    let at = rules.at(0);
    let u = user(json!({"userID": "u", "email": "a@x.io"}));
    let e = at.check_gate(&u, "outer");
    assert!(e.passed);
    let exposures: Vec<(&str, bool, &str)> = e
        .secondary_exposures
        .iter()
        .map(|x| (x.gate, x.gate_value, x.rule_id))
        .collect();
    assert_eq!(
        exposures,
        vec![("inner", true, "inner-rule"), ("blocked", false, "default")]
    );
    let primary = e.exposure("outer");
    assert_eq!(
        (primary.name, primary.rule_id, primary.group_name),
        ("outer", "outer-rule", None)
    );
    assert_eq!(
        serde_json::to_value(primary).unwrap(),
        json!({"name": "outer", "ruleID": "outer-rule", "group_name": null})
    );
    assert!(at.check_gate(&u, "multi").passed);
    assert_eq!(at.check_gate(&u, "multi").secondary_exposures.len(), 2);
    let segment = at.check_gate(&u, "segment");
    assert!(segment.passed);
    assert!(
        segment.secondary_exposures.is_empty(),
        "segment: gates are not exposures"
    );
}

#[test]
fn pass_percentages_hash_config_rule_and_unit() {
    let spec = |pct: f64, salt: Option<&str>| {
        let mut rule = json!({"id": "r", "passPercentage": pct, "returnValue": true,
                              "conditions": [{"type": "public"}]});
        if let Some(s) = salt {
            rule["salt"] = json!(s);
        }
        rules(
            json!({"feature_gates": [{"name": "g", "enabled": true, "salt": "cs",
                                        "rules": [rule]}]}),
        )
    };
    let (eighth, third) = (spec(12.5, None), spec(33.3, Some("")));
    for i in 0..300 {
        let id = format!("user-{i}");
        let bucket = hash::hash_joined(&["cs", "r", &id]) % 10_000;
        let with_id_salt = eighth.at(0).check_gate(&User::with_id(id.clone()), "g");
        assert_eq!(with_id_salt.passed, (bucket as f64) < 1250.0, "{id}");
        assert_eq!(with_id_salt.rule_id, "r");
        let empty = hash::hash_joined(&["cs", "", &id]) % 10_000;
        let with_empty_salt = third.at(0).check_gate(&User::with_id(id.clone()), "g");
        assert_eq!(
            with_empty_salt.passed,
            (empty as f64) < 33.3 * 100.0,
            "salt \"\" is used"
        );
        assert!(
            !spec(0.0, None)
                .at(0)
                .check_gate(&User::with_id(id.clone()), "g")
                .passed
        );
        assert!(
            spec(100.0, None)
                .at(0)
                .check_gate(&User::with_id(id), "g")
                .passed
        );
    }
}

#[test]
fn disabled_unknown_unsupported_and_erroring_specs() {
    let rules = rules(json!({"dynamic_configs": [
        {"name": "off", "enabled": false, "salt": "s", "defaultValue": {"v": 0}, "rules": []},
        {"name": "none", "enabled": true, "salt": "s", "defaultValue": {"v": 0},
         "rules": [{"id": "r", "passPercentage": 100, "returnValue": {"v": 1},
                    "conditions": [{"type": "user_field", "operator": "any", "field": "plan",
                                    "targetValue": ["pro"]}]}]},
        {"name": "dropped", "enabled": true, "salt": "s", "defaultValue": {"v": 0},
         "rules": [{"id": "r", "passPercentage": 100, "returnValue": {"v": 1},
                    "conditions": [{"type": "user_field", "operator": "bogus", "field": "x"}]}]},
        {"name": "boom", "enabled": true, "salt": "s", "defaultValue": {"v": 0},
         "rules": [{"id": "r", "passPercentage": 100, "returnValue": {"v": 1},
                    "conditions": [{"type": "user_field", "operator": "gt", "field": "plan",
                                    "targetValue": 1}]}]}
    ]}));
    let at = rules.at(0);
    let u = user(json!({"userID": "u", "custom": {"plan": "free"}}));
    let off = at.get_config(&u, "off");
    assert_eq!(
        (off.rule_id, off.reason, off.value),
        ("disabled", Reason::Disabled, &json!({"v": 0}))
    );
    let none = at.get_config(&u, "none");
    assert_eq!((none.rule_id, none.reason), ("default", Reason::Default));
    let missing = at.get_config(&u, "missing");
    assert_eq!(
        (missing.rule_id, missing.reason, missing.value),
        ("", Reason::Unrecognized, &json!({}))
    );
    let dropped = at.get_config(&u, "dropped");
    assert_eq!(
        (dropped.rule_id, dropped.reason, dropped.value),
        ("", Reason::Unsupported, &json!({}))
    );
    let boom = at.get_config(&u, "boom");
    assert_eq!((boom.rule_id, boom.reason), ("error", Reason::Error));
    assert_eq!(at.get_config(&u, "none").get("v", -1_i64), 0);
    assert_eq!(
        at.get_config(&u, "none").get("v", "text"),
        "text",
        "another type: the default"
    );
    assert_eq!(at.get_config(&u, "none").get("absent", 7_i64), 7);
}

/// A `user_bucket` compared with `gt gte lt lte` is compiled to a bucket comparison that
/// parses nothing; it must agree with the general numeric comparison of the same integer.
#[test]
fn bucket_comparisons_agree_with_numeric_comparisons_of_the_bucket() {
    for id in ["", "a", "user-42", "ünï", "7"] {
        let b = hash::user_bucket("s", id);
        let near = b as f64;
        let targets = [
            json!(b),
            json!(near - 0.5),
            json!(near + 0.5),
            json!(b + 1),
            json!(b.saturating_sub(1)),
            json!(b.to_string()),
            json!(format!(" {near}5 ")),
            json!(0),
            json!(-3),
            json!(1e9),
            json!("nan"),
            json!("-inf"),
            json!(null),
            json!("abc"),
            json!([1]),
        ];
        let u = User::with_id(id);
        let with_field = user(json!({"userID": id, "custom": {"bucket": b}}));
        for op in ["gt", "gte", "lt", "lte"] {
            for target in &targets {
                let on_bucket = gate_with(json!({"type": "user_bucket", "operator": op,
                    "targetValue": target, "additionalValues": {"salt": "s"}}));
                let on_field = gate_with(field(op, "bucket", target.clone()));
                let by_bucket = on_bucket.at(0).check_gate(&u, "g");
                let by_field = on_field.at(0).check_gate(&with_field, "g");
                assert_eq!(
                    (by_bucket.passed, by_bucket.rule_id),
                    (by_field.passed, by_field.rule_id),
                    "{op} {target} for bucket {b}"
                );
            }
        }
    }
}

/// Rules rebuilt with an operator table that lacks one of their operators: the condition
/// raises, the spec evaluates as an error, nothing panics.
#[test]
fn an_operator_missing_from_the_table_is_an_evaluation_error() {
    let compiled = gate_with(field("any", "x", json!(["a"])));
    let u = user(json!({"userID": "u", "custom": {"x": "A"}}));
    assert!(compiled.at(0).check_gate(&u, "g").passed);
    assert_eq!(compiled.operator_kinds(), [cohort::rules::OpKind::AnyOf]);

    let rebuild =
        |operators| Rules::from_parts(compiled.specs().to_vec(), Vec::new(), None, None, operators);
    let covered = rebuild(cohort::eval::operator_table(&compiled.operator_kinds()));
    assert!(covered.at(0).check_gate(&u, "g").passed);

    let lacking = rebuild(cohort::rules::Operators::NONE);
    let e = lacking.at(0).check_gate(&u, "g");
    assert!(!e.passed);
    assert_eq!(e.reason, Reason::Error);
}
