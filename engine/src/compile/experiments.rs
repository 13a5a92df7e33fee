//! Compiling Cohort's additions to the rules: metrics, and experiments' analysis settings.
//! They are Cohort's own format, so anything wrong in them is an error in both modes.

use serde_json::{Map, Value};

use super::fields::Fields;
use super::Compiler;
use crate::diagnostics::Location;
use crate::rules::experiments::{DEFAULT_SEQUENTIAL_TUNING, DEFAULT_TARGET_LIFT};
use crate::rules::{ExperimentSettings, Metric, MetricKind};

const METRIC_KEYS: &[&str] = &[
    "name",
    "event",
    "kind",
    "inverse",
    "window_hours",
    "description",
];
const SETTINGS_KEYS: &[&str] = &[
    "metrics",
    "sequential_tuning",
    "target_lift",
    "sticky_version",
];

/// Whether `name` is a metric or event name: 1 to 64 letters, digits, `_`, `-` or `.`.
pub fn is_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

impl Compiler {
    /// The metrics and experiment settings of every file's `"cohort"` section.
    pub(super) fn compile_experiments(
        &mut self,
        extensions: &[(Value, Location)],
    ) -> (Vec<Metric>, Vec<(String, ExperimentSettings)>) {
        let mut metrics: Vec<Metric> = Vec::new();
        let mut declared: Vec<(&Map<String, Value>, String, Location)> = Vec::new();
        for (value, at) in extensions {
            let Some(section) = value.as_object() else {
                self.diagnostics
                    .error(at.clone(), "the \"cohort\" section must be an object");
                continue;
            };
            self.unknown_keys(section, &["metrics", "experiments"], at);
            let mut fields = Fields::new(section, at, &mut self.diagnostics);
            let list = fields.list("metrics");
            for (i, json) in list.iter().enumerate() {
                let step = match json.get("name").and_then(Value::as_str) {
                    Some(name) => format!("metrics[{i}] \"{name}\""),
                    None => format!("metrics[{i}]"),
                };
                let metric_at = at.child(step);
                if let Some(metric) = self.compile_metric(json, &metric_at) {
                    if metrics.iter().any(|m| m.name == metric.name) {
                        self.diagnostics.error(
                            metric_at,
                            format!("duplicate metric name \"{}\"", metric.name),
                        );
                    } else {
                        metrics.push(metric);
                    }
                }
            }
            match section.get("experiments") {
                None | Some(Value::Null) => {}
                Some(Value::Object(experiments)) => {
                    for (name, settings) in experiments {
                        let settings_at = at.child(format!("experiments \"{name}\""));
                        match settings.as_object() {
                            Some(obj) => declared.push((obj, name.clone(), settings_at)),
                            None => self
                                .diagnostics
                                .error(settings_at, "an experiment's settings must be an object"),
                        }
                    }
                }
                Some(_) => self.diagnostics.error(
                    at.child("experiments"),
                    "must be an object of experiment names to settings",
                ),
            }
        }
        let mut settings: Vec<(String, ExperimentSettings)> = Vec::new();
        for (obj, name, at) in declared {
            if settings.iter().any(|(n, _)| *n == name) {
                self.diagnostics
                    .error(at, format!("settings for \"{name}\" are given twice"));
                continue;
            }
            if self.config_id(&name).is_none() {
                self.diagnostics.error(
                    at.clone(),
                    format!("\"{name}\" is not an experiment or dynamic config in these rules"),
                );
            }
            if let Some(s) = self.compile_settings(obj, &at, &metrics) {
                settings.push((name, s));
            }
        }
        (metrics, settings)
    }

    fn unknown_keys(&mut self, obj: &Map<String, Value>, known: &[&str], at: &Location) {
        for key in obj.keys() {
            if !known.contains(&key.as_str()) {
                self.diagnostics.error(
                    at.child(key),
                    format!("unknown key \"{key}\" (known: {})", known.join(", ")),
                );
            }
        }
    }

    fn compile_metric(&mut self, json: &Value, at: &Location) -> Option<Metric> {
        let Some(obj) = json.as_object() else {
            self.diagnostics
                .error(at.clone(), "a metric must be an object");
            return None;
        };
        let errors = self.diagnostics.errors().count();
        self.unknown_keys(obj, METRIC_KEYS, at);
        let mut fields = Fields::new(obj, at, &mut self.diagnostics);
        let name = fields.required_str("name");
        let event = fields.required_str("event");
        let kind_name = fields.required_str("kind");
        let inverse = fields.bool_or("inverse", false);
        let window_hours = match obj.get("window_hours") {
            None | Some(Value::Null) => None,
            Some(_) => Some(fields.number_or("window_hours", 0.0)),
        };
        let description = fields.opt_str("description").flatten();
        for (key, value) in [("name", &name), ("event", &event)] {
            if !value.is_empty() && !is_name(value) {
                self.diagnostics.error(
                    at.child(key),
                    format!("\"{value}\" is not a name: 1 to 64 letters, digits, '_', '-' or '.'"),
                );
            }
        }
        let kind = MetricKind::parse(&kind_name);
        if kind.is_none() && !kind_name.is_empty() {
            self.diagnostics.error(
                at.child("kind"),
                format!("unknown metric kind \"{kind_name}\" (one of: conversion, count, sum)"),
            );
        }
        if let Some(hours) = window_hours {
            if !(hours.is_finite() && hours > 0.0) {
                self.diagnostics.error(
                    at.child("window_hours"),
                    format!("{hours} is not a positive number of hours"),
                );
            }
        }
        if self.diagnostics.errors().count() > errors {
            return None;
        }
        Some(Metric {
            name,
            event,
            kind: kind?,
            inverse,
            window_ms: window_hours.map(|h| (h * 3_600_000.0).round() as i64),
            description,
        })
    }

    fn compile_settings(
        &mut self,
        obj: &Map<String, Value>,
        at: &Location,
        metrics: &[Metric],
    ) -> Option<ExperimentSettings> {
        let errors = self.diagnostics.errors().count();
        self.unknown_keys(obj, SETTINGS_KEYS, at);
        let mut fields = Fields::new(obj, at, &mut self.diagnostics);
        let names = obj.get("metrics").map(|_| fields.str_list("metrics"));
        let tuning = fields.number_or("sequential_tuning", DEFAULT_SEQUENTIAL_TUNING);
        let target_lift = fields.number_or("target_lift", DEFAULT_TARGET_LIFT);
        let sticky = match obj.get("sticky_version") {
            None | Some(Value::Null) => None,
            Some(v) => match v
                .as_u64()
                .filter(|&n| (1..=u64::from(u32::MAX)).contains(&n))
            {
                Some(n) => Some(n as u32),
                None => {
                    self.diagnostics.error(
                        at.child("sticky_version"),
                        format!("{v} is not a version number (1 or more)"),
                    );
                    None
                }
            },
        };
        let names = match names {
            Some(names) => {
                if names.is_empty() {
                    self.diagnostics
                        .error(at.child("metrics"), "name at least one metric");
                }
                for name in &names {
                    if !metrics.iter().any(|m| m.name == *name) {
                        let known: Vec<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
                        self.diagnostics.error(
                            at.child("metrics"),
                            format!(
                                "no metric named \"{name}\" (metrics: {})",
                                if known.is_empty() {
                                    "none".to_owned()
                                } else {
                                    known.join(", ")
                                }
                            ),
                        );
                    }
                }
                names
            }
            None => metrics.iter().map(|m| m.name.clone()).collect(),
        };
        if !(tuning.is_finite() && tuning > 0.0) {
            self.diagnostics.error(
                at.child("sequential_tuning"),
                format!("{tuning} is not a positive number of units"),
            );
        }
        if !(target_lift.is_finite() && target_lift > 0.0) {
            self.diagnostics.error(
                at.child("target_lift"),
                format!("{target_lift} is not a positive relative lift (0.1 is 10%)"),
            );
        }
        if self.diagnostics.errors().count() > errors {
            return None;
        }
        Some(ExperimentSettings {
            metrics: names,
            sequential_tuning: tuning,
            target_lift,
            sticky_version: sticky,
        })
    }
}
