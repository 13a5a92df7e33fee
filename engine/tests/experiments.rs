//! Cohort's additions to the rules: metrics and experiment settings, in a Statsig spec file's
//! `"cohort"` section and in TOML, checked with the file, the place and the reason.

use cohort::rules::{Cap, CapKind, ExperimentSettings, MetricKind};
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
            guardrails: vec![],
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
         "rules: cohort > metrics[0] \"a\" > kind: unknown metric kind \"average\" (one of: conversion, count, sum, ratio)"),
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
        // CUPED, ratios, caps and guardrails.
        (json!({"metrics": [{"name": "a", "event": "e", "kind": "count", "lookback_days": 0}]}),
         "cohort > metrics[0] \"a\" > lookback_days: 0 is not a number of days between 0 and 3650"),
        (json!({"metrics": [{"name": "a", "event": "e", "kind": "count", "cuped": false,
                             "lookback_days": 7}]}),
         "lookback_days: lookback_days is CUPED's: this metric has CUPED off"),
        (json!({"metrics": [{"name": "a", "event": "e", "kind": "count", "cuped": "yes"}]}),
         "cohort > metrics[0] \"a\" > cuped: must be true or false"),
        (json!({"metrics": [{"name": "r", "kind": "ratio", "numerator": "a"}]}),
         "cohort > metrics[0] \"r\": \"denominator\" is missing"),
        (json!({"metrics": [{"name": "r", "kind": "ratio", "numerator": "a", "denominator": "b"}]}),
         "cohort > metrics[0] \"r\" > numerator: no metric named \"a\""),
        (json!({"metrics": [{"name": "a", "event": "e", "kind": "count"},
                            {"name": "r", "kind": "ratio", "numerator": "a", "denominator": "r2"},
                            {"name": "r2", "kind": "ratio", "numerator": "a", "denominator": "a"}]}),
         "cohort > metrics[1] \"r\" > denominator: \"r2\" is a ratio: a ratio's parts count events"),
        (json!({"metrics": [{"name": "a", "event": "e", "kind": "count"},
                            {"name": "r", "kind": "ratio", "event": "e", "numerator": "a",
                             "denominator": "a"}]}),
         "cohort > metrics[1] \"r\" > event: a ratio metric counts no event of its own"),
        (json!({"metrics": [{"name": "a", "event": "e", "kind": "count"},
                            {"name": "r", "kind": "ratio", "numerator": "a", "denominator": "a",
                             "cuped": true}]}),
         "cohort > metrics[1] \"r\" > cuped: CUPED is not available for ratio metrics"),
        (json!({"metrics": [{"name": "a", "event": "e", "kind": "count", "numerator": "x"}]}),
         "cohort > metrics[0] \"a\" > numerator: only a ratio metric has a numerator"),
        (json!({"metrics": [{"name": "a", "event": "e", "kind": "conversion",
                             "cap": {"type": "absolute", "value": 1}}]}),
         "cohort > metrics[0] \"a\" > cap: a conversion is 0 or 1 per user: there is nothing to cap"),
        (json!({"metrics": [{"name": "a", "event": "e", "kind": "sum",
                             "cap": {"type": "percentile", "value": 99}}]}),
         "cohort > metrics[0] \"a\" > cap > value: 99 is not a quantile between 0 and 1"),
        (json!({"metrics": [{"name": "a", "event": "e", "kind": "sum",
                             "cap": {"type": "absolute", "value": -3}}]}),
         "cap > value: -3 is not a positive bound"),
        (json!({"metrics": [{"name": "a", "event": "e", "kind": "sum",
                             "cap": {"type": "median", "value": 3}}]}),
         "cap > type: unknown cap type \"median\" (absolute or percentile)"),
        (json!({"metrics": [{"name": "a", "event": "e", "kind": "sum",
                             "cap": {"type": "absolute", "value": 3, "ignore_zeros": true}}]}),
         "cap > ignore_zeros: ignore_zeros is for a percentile cap"),
        (json!({"metrics": [{"name": "a", "event": "e", "kind": "sum", "cap": 3}]}),
         "cohort > metrics[0] \"a\" > cap: a cap is an object"),
        (json!({"metrics": [{"name": "a", "event": "e", "kind": "count"}],
                "experiments": {"button_color_v3": {"metrics": ["a"], "guardrails": ["a"]}}}),
         "guardrails: \"a\" is a goal metric: a guardrail is judged apart"),
        (json!({"metrics": [{"name": "a", "event": "e", "kind": "count"}],
                "experiments": {"button_color_v3": {"guardrails": ["z"]}}}),
         "cohort > experiments \"button_color_v3\" > guardrails: no metric named \"z\" (metrics: a)"),
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

#[test]
fn cuped_ratios_caps_and_guardrails_are_read_with_their_defaults() {
    let text = spec_file(json!({
        "metrics": [
            {"name": "signup", "event": "visited_signup", "kind": "conversion"},
            {"name": "done", "event": "task_completed", "kind": "count", "lookback_days": 7},
            {"name": "added", "event": "task_added", "kind": "count", "cuped": false,
             "window_hours": 24},
            {"name": "rate", "kind": "ratio", "numerator": "done", "denominator": "added",
             "cap": {"type": "percentile", "value": 0.99, "ignore_zeros": true}},
            {"name": "spend", "event": "purchase", "kind": "sum",
             "cap": {"type": "absolute", "value": 500}},
        ],
        "experiments": {"button_color_v3": {"guardrails": ["added"]}},
    }));
    let rules = Rules::from_statsig_json(&text, CompileOptions::STRICT).unwrap();
    let day = 86_400_000;
    // CUPED is on by default, over 14 days.
    assert_eq!(rules.metric("signup").unwrap().lookback_ms, Some(14 * day));
    assert_eq!(rules.metric("done").unwrap().lookback_ms, Some(7 * day));
    assert_eq!(rules.metric("added").unwrap().lookback_ms, None);
    // A ratio counts its parts as they count, capped as the ratio says, without CUPED.
    let rate = rules.metric("rate").unwrap();
    assert_eq!(rate.kind, MetricKind::Ratio);
    assert_eq!(rate.lookback_ms, None);
    let parts = rate.parts();
    assert_eq!(parts[0].event, "task_completed");
    assert_eq!(parts[1].event, "task_added");
    assert_eq!(parts[1].window_ms, Some(day));
    let cap = Cap {
        kind: CapKind::Percentile,
        value: 0.99,
        ignore_zeros: true,
    };
    assert!(parts
        .iter()
        .all(|p| p.cap == Some(cap) && p.lookback_ms.is_none()));
    assert_eq!(
        rules.metric("spend").unwrap().cap.unwrap().kind,
        CapKind::Absolute
    );
    // Guardrails are judged apart: the goals are the other metrics, and they come last.
    let settings = rules.experiment_settings("button_color_v3");
    assert_eq!(settings.metrics, ["signup", "done", "rate", "spend"]);
    assert_eq!(settings.guardrails, ["added"]);
    let judged: Vec<&str> = rules
        .experiment_metrics("button_color_v3")
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(judged, ["signup", "done", "rate", "spend", "added"]);
    assert!(rules.counts_event("task_added"));
    // Bundled as code, the rules come back equal.
    let source = cohort::codegen::rust_source(&rules);
    assert!(source.contains("Ratio { numerator: Metric"), "{source}");
}

#[test]
fn toml_writes_them_the_same_way() {
    let text = r#"
[[metric]]
name = "done"
event = "task_completed"
kind = "count"
lookback_days = 7

[[metric]]
name = "added"
event = "task_added"
kind = "count"

[[metric]]
name = "rate"
kind = "ratio"
numerator = "done"
denominator = "added"
cap = { type = "absolute", value = 10 }

[[experiment]]
name = "e"
metrics = ["rate", "done"]
guardrails = ["added"]
groups = [{ name = "Control", weight = 50 }, { name = "Red", weight = 50 }]
"#;
    let rules = Rules::from_toml(text, CompileOptions::STRICT).unwrap();
    assert_eq!(rules.experiment_settings("e").guardrails, ["added"]);
    assert_eq!(
        rules.metric("rate").unwrap().parts()[1].cap.unwrap().value,
        10.0
    );
    assert_eq!(
        rules.metric("done").unwrap().lookback_ms,
        Some(7 * 86_400_000)
    );
    let bad = text.replace("value = 10", "value = 0");
    let got = errors(&bad, Format::Toml);
    assert!(
        got.contains("rules: line 13: metric \"rate\" > metrics[0] \"rate\" > cap > value: 0 is not a positive bound"),
        "{got}"
    );
}
