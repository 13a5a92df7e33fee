//! Cohort's additions to the rules: metrics and experiment settings, in a Statsig spec file's
//! `"cohort"` section and in TOML, checked with the file, the place and the reason.

use cohort::rules::{ExperimentSettings, MetricKind};
use cohort::{bundle, CompileOptions, Format, Rules, RulesFile};
use serde_json::json;

fn spec_file(cohort: serde_json::Value) -> String {
    json!({
        "dynamic_configs": [{"name": "button_color_v3", "salt": "s", "enabled": true,
                             "defaultValue": {}, "rules": []}],
        "cohort": cohort,
    })
    .to_string()
}

fn errors(text: &str, format: Format) -> String {
    let file = RulesFile {
        name: "rules",
        text,
        format,
    };
    match cohort::compile(&[file], CompileOptions::LENIENT) {
        Ok(_) => String::new(),
        Err(d) => d.to_string(),
    }
}

#[test]
fn metrics_and_settings_are_read_from_a_spec_file() {
    let text = spec_file(json!({
        "metrics": [
            {"name": "signup", "event": "visited_signup", "kind": "conversion",
             "description": "Signed up"},
            {"name": "clicks", "event": "cta_click", "kind": "count"},
            {"name": "revenue", "event": "purchase", "kind": "sum", "inverse": false,
             "window_hours": 72},
        ],
        "experiments": {"button_color_v3": {"metrics": ["signup", "clicks"],
                                            "sequential_tuning": 8000, "target_lift": 0.05,
                                            "sticky_version": 2}},
    }));
    let rules = Rules::from_statsig_json(&text, CompileOptions::STRICT).unwrap();
    let names: Vec<&str> = rules.metrics().iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["signup", "clicks", "revenue"]);
    let revenue = rules.metric("revenue").unwrap();
    assert_eq!(revenue.kind, MetricKind::Sum);
    assert_eq!(revenue.window_ms, Some(72 * 3_600_000));
    assert_eq!(
        rules.experiment_settings("button_color_v3"),
        ExperimentSettings {
            metrics: vec!["signup".into(), "clicks".into()],
            sequential_tuning: 8000.0,
            target_lift: 0.05,
            sticky_version: Some(2),
        }
    );
    let judged: Vec<&str> = rules
        .experiment_metrics("button_color_v3")
        .iter()
        .map(|m| m.event.as_str())
        .collect();
    assert_eq!(judged, ["visited_signup", "cta_click"]);
    assert!(rules.counts_event("purchase") && !rules.counts_event("nothing"));
    // An experiment without settings is judged by every metric, with the defaults.
    let other = rules.experiment_settings("elsewhere");
    assert_eq!(other.metrics.len(), 3);
    assert_eq!((other.sequential_tuning, other.target_lift), (5000.0, 0.1));
    assert_eq!(other.sticky_version, None);
}

#[test]
fn mistakes_are_errors_with_their_place() {
    let cases = [
        (json!({"metrics": [{"name": "a", "event": "e", "kind": "average"}]}),
         "rules: cohort > metrics[0] \"a\" > kind: unknown metric kind \"average\" (one of: conversion, count, sum)"),
        (json!({"metrics": [{"name": "a", "event": "e", "kind": "count"},
                            {"name": "a", "event": "f", "kind": "count"}]}),
         "rules: cohort > metrics[1] \"a\": duplicate metric name \"a\""),
        (json!({"metrics": [{"name": "a b", "event": "e", "kind": "count"}]}),
         "\"a b\" is not a name"),
        (json!({"metrics": [{"name": "a", "event": "e", "kind": "count", "colour": 1}]}),
         "cohort > metrics[0] \"a\" > colour: unknown key \"colour\""),
        (json!({"metrics": [{"name": "a", "event": "e", "kind": "count", "window_hours": -1}]}),
         "-1 is not a positive number of hours"),
        (json!({"experiments": {"nope": {}}}),
         "cohort > experiments \"nope\": \"nope\" is not an experiment or dynamic config in these rules"),
        (json!({"metrics": [{"name": "a", "event": "e", "kind": "count"}],
                "experiments": {"button_color_v3": {"metrics": ["b"]}}}),
         "cohort > experiments \"button_color_v3\" > metrics: no metric named \"b\" (metrics: a)"),
        (json!({"experiments": {"button_color_v3": {"target_lift": 0}}}),
         "0 is not a positive relative lift"),
        (json!({"experiments": {"button_color_v3": {"sticky_version": 0}}}),
         "0 is not a version number"),
        (json!({"sections": []}), "cohort > sections: unknown key \"sections\""),
    ];
    for (section, want) in cases {
        let got = errors(&spec_file(section.clone()), Format::StatsigJson);
        assert!(got.contains(want), "{section}: {got:?} lacks {want:?}");
    }
}

#[test]
fn toml_declares_them_beside_the_experiment_with_lines() {
    let text = r#"
[[metric]]
name = "signup"
event = "visited_signup"
kind = "conversion"

[[metric]]
name = "tasks"
event = "task_completed"
kind = "count"

[[experiment]]
name = "e"
metrics = ["signup", "tasks"]
target_lift = 5
sequential_tuning = 2000
sticky = 3
groups = [{ name = "Control", weight = 50 }, { name = "Red", weight = 50 }]
"#;
    let rules = Rules::from_toml(text, CompileOptions::STRICT).unwrap();
    assert_eq!(rules.metrics().len(), 2);
    let settings = rules.experiment_settings("e");
    assert_eq!(settings.metrics, ["signup", "tasks"]);
    assert!((settings.target_lift - 0.05).abs() < 1e-15);
    assert_eq!(
        (settings.sequential_tuning, settings.sticky_version),
        (2000.0, Some(3))
    );

    let bad = text.replace("kind = \"count\"", "kind = \"median\"");
    let got = errors(&bad, Format::Toml);
    assert!(
        got.contains("rules: line 7: metric \"tasks\" > metrics[0] \"tasks\" > kind: unknown metric kind \"median\""),
        "{got}"
    );
}

#[test]
fn a_bundle_keeps_them() {
    let toml = r#"
[[metric]]
name = "signup"
event = "visited_signup"
kind = "conversion"

[[experiment]]
name = "e"
metrics = ["signup"]
groups = [{ name = "Control", weight = 50 }, { name = "Red", weight = 50 }]
"#;
    let files = [RulesFile {
        name: "a.toml",
        text: toml,
        format: Format::Toml,
    }];
    let (json, rules) = bundle(&files, CompileOptions::STRICT).unwrap();
    let again = Rules::from_statsig_json(&json, CompileOptions::STRICT).unwrap();
    assert_eq!(again.metrics(), rules.metrics());
    assert_eq!(again.declared_settings(), rules.declared_settings());
    assert_eq!(again.experiment_settings("e").metrics, ["signup"]);
}
