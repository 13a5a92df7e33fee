//! Compiling Cohort's additions to the rules: metrics, and experiments' analysis settings.
//! They are Cohort's own format, so anything wrong in them is an error in both modes.

use serde_json::{Map, Value};

use super::fields::Fields;
use super::Compiler;
use crate::diagnostics::Location;
use crate::rules::experiments::{
    Cap, CapKind, Ratio, DEFAULT_LOOKBACK_MS, DEFAULT_SEQUENTIAL_TUNING, DEFAULT_TARGET_LIFT,
};
use crate::rules::{ExperimentSettings, Metric, MetricKind};

const METRIC_KEYS: &[&str] = &[
    "name",
    "event",
    "kind",
    "inverse",
    "window_hours",
    "description",
    "cuped",
    "lookback_days",
    "cap",
    "numerator",
    "denominator",
];
const CAP_KEYS: &[&str] = &["type", "value", "ignore_zeros"];
const SETTINGS_KEYS: &[&str] = &[
    "metrics",
    "guardrails",
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
        let mut pending: Vec<(Metric, Location)> = Vec::new();
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
                    let metric = (metric, metric_at.clone());
                    if pending.iter().any(|(m, _)| m.name == metric.0.name) {
                        self.diagnostics.error(
                            metric_at,
                            format!("duplicate metric name \"{}\"", metric.0.name),
                        );
                    } else {
                        pending.push(metric);
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
        let metrics = self.resolve_ratios(pending);
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
        let kind_name = fields.required_str("kind");
        let kind = MetricKind::parse(&kind_name);
        let ratio = kind == Some(MetricKind::Ratio);
        // A ratio names its parts; any other metric counts an event.
        let (event, parts) = if ratio {
            let numerator = fields.required_str("numerator");
            let denominator = fields.required_str("denominator");
            (String::new(), Some((numerator, denominator)))
        } else {
            (fields.required_str("event"), None)
        };
        let inverse = fields.bool_or("inverse", false);
        let window_hours = match obj.get("window_hours") {
            None | Some(Value::Null) => None,
            Some(_) => Some(fields.number_or("window_hours", 0.0)),
        };
        let description = fields.opt_str("description").flatten();
        let cuped = match obj.get("cuped") {
            None | Some(Value::Null) => None,
            Some(_) => Some(fields.bool_or("cuped", true)),
        };
        let lookback_days = match obj.get("lookback_days") {
            None | Some(Value::Null) => None,
            Some(_) => Some(fields.number_or("lookback_days", 0.0)),
        };
        for (key, value) in [("name", &name), ("event", &event)] {
            if !value.is_empty() && !is_name(value) {
                self.diagnostics.error(
                    at.child(key),
                    format!("\"{value}\" is not a name: 1 to 64 letters, digits, '_', '-' or '.'"),
                );
            }
        }
        if kind.is_none() && !kind_name.is_empty() {
            self.diagnostics.error(
                at.child("kind"),
                format!(
                    "unknown metric kind \"{kind_name}\" (one of: conversion, count, sum, ratio)"
                ),
            );
        }
        if ratio {
            for key in ["event", "window_hours"] {
                if obj.contains_key(key) {
                    self.diagnostics.error(
                        at.child(key),
                        "a ratio metric counts no event of its own: its numerator and \
                         denominator metrics do",
                    );
                }
            }
        } else if kind.is_some() {
            for key in ["numerator", "denominator"] {
                if obj.contains_key(key) {
                    self.diagnostics.error(
                        at.child(key),
                        format!("only a ratio metric has a {key} (kind = \"ratio\")"),
                    );
                }
            }
        }
        if let Some(hours) = window_hours {
            if !(hours.is_finite() && hours > 0.0) {
                self.diagnostics.error(
                    at.child("window_hours"),
                    format!("{hours} is not a positive number of hours"),
                );
            }
        }
        // CUPED: on by default, except for ratios (gbstats 0.8.0 has no CUPED for them).
        if ratio && cuped == Some(true) {
            self.diagnostics.error(
                at.child("cuped"),
                "CUPED is not available for ratio metrics (GrowthBook's gbstats 0.8.0 has none)",
            );
        }
        let cuped = cuped.unwrap_or(!ratio);
        if let Some(days) = lookback_days {
            if !cuped {
                self.diagnostics.error(
                    at.child("lookback_days"),
                    "lookback_days is CUPED's: this metric has CUPED off",
                );
            } else if !(days.is_finite() && days > 0.0 && days <= 3650.0) {
                self.diagnostics.error(
                    at.child("lookback_days"),
                    format!("{days} is not a number of days between 0 and 3650"),
                );
            }
        }
        let cap = match obj.get("cap") {
            None | Some(Value::Null) => None,
            Some(cap) => self.compile_cap(cap, kind, &at.child("cap")),
        };
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
            lookback_ms: cuped.then(|| {
                lookback_days.map_or(DEFAULT_LOOKBACK_MS, |d| (d * 86_400_000.0).round() as i64)
            }),
            cap,
            // Filled in once every metric is known (a part may be declared later).
            ratio: parts.map(|(numerator, denominator)| {
                let named = |name: String| Metric {
                    name,
                    event: String::new(),
                    kind: MetricKind::Count,
                    inverse: false,
                    window_ms: None,
                    description: None,
                    lookback_ms: None,
                    cap: None,
                    ratio: None,
                };
                Box::new(Ratio {
                    numerator: named(numerator),
                    denominator: named(denominator),
                })
            }),
        })
    }

    /// A metric's `cap`: `{"type": "absolute" | "percentile", "value": ..., "ignore_zeros":
    /// ...}`.
    fn compile_cap(
        &mut self,
        json: &Value,
        kind: Option<MetricKind>,
        at: &Location,
    ) -> Option<Cap> {
        let Some(obj) = json.as_object() else {
            self.diagnostics.error(
                at.clone(),
                "a cap is an object: {\"type\": \"absolute\" or \"percentile\", \"value\": ...}",
            );
            return None;
        };
        let errors = self.diagnostics.errors().count();
        self.unknown_keys(obj, CAP_KEYS, at);
        let mut fields = Fields::new(obj, at, &mut self.diagnostics);
        let type_name = fields.required_str("type");
        let value = match obj.get("value") {
            None => {
                fields.required_str("value");
                f64::NAN
            }
            Some(_) => fields.number_or("value", f64::NAN),
        };
        let ignore_zeros = fields.bool_or("ignore_zeros", false);
        let cap_kind = match type_name.as_str() {
            "absolute" => Some(CapKind::Absolute),
            "percentile" => Some(CapKind::Percentile),
            "" => None,
            other => {
                self.diagnostics.error(
                    at.child("type"),
                    format!("unknown cap type \"{other}\" (absolute or percentile)"),
                );
                None
            }
        };
        if kind == Some(MetricKind::Conversion) {
            self.diagnostics.error(
                at.clone(),
                "a conversion is 0 or 1 per user: there is nothing to cap",
            );
        }
        match cap_kind {
            Some(CapKind::Absolute) if !(value.is_finite() && value > 0.0) => {
                self.diagnostics.error(
                    at.child("value"),
                    format!("{value} is not a positive bound"),
                );
            }
            Some(CapKind::Percentile) if !(value > 0.0 && value < 1.0) => {
                self.diagnostics.error(
                    at.child("value"),
                    format!(
                        "{value} is not a quantile between 0 and 1 (0.99: the 99th percentile)"
                    ),
                );
            }
            Some(CapKind::Absolute) if ignore_zeros => {
                self.diagnostics.error(
                    at.child("ignore_zeros"),
                    "ignore_zeros is for a percentile cap",
                );
            }
            _ => {}
        }
        if self.diagnostics.errors().count() > errors {
            return None;
        }
        Some(Cap {
            kind: cap_kind?,
            value,
            ignore_zeros,
        })
    }

    /// The metrics, with each ratio's parts resolved to the metrics they name (which must
    /// be declared, and not ratios themselves): a part counts as its metric does, capped as
    /// the ratio says, without CUPED. A ratio whose parts do not resolve is left out.
    fn resolve_ratios(&mut self, pending: Vec<(Metric, Location)>) -> Vec<Metric> {
        let ratios: Vec<String> = pending
            .iter()
            .filter(|(m, _)| m.ratio.is_some())
            .map(|(m, _)| m.name.clone())
            .collect();
        let plain: Vec<Metric> = pending
            .iter()
            .filter(|(m, _)| m.ratio.is_none())
            .map(|(m, _)| m.clone())
            .collect();
        let mut metrics = Vec::with_capacity(pending.len());
        for (mut metric, at) in pending {
            let cap = metric.cap;
            let Some(ratio) = metric.ratio.as_mut() else {
                metrics.push(metric);
                continue;
            };
            let mut ok = true;
            for (key, part) in [
                ("numerator", &mut ratio.numerator),
                ("denominator", &mut ratio.denominator),
            ] {
                match plain.iter().find(|m| m.name == part.name) {
                    Some(found) => {
                        *part = Metric {
                            lookback_ms: None,
                            cap,
                            description: None,
                            inverse: false,
                            ..found.clone()
                        };
                    }
                    None => {
                        ok = false;
                        self.diagnostics.error(
                            at.child(key),
                            if ratios.contains(&part.name) {
                                format!(
                                    "\"{}\" is a ratio: a ratio's parts count events",
                                    part.name
                                )
                            } else {
                                format!(
                                    "no metric named \"{}\" (metrics: {})",
                                    part.name,
                                    plain
                                        .iter()
                                        .map(|m| m.name.as_str())
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                )
                            },
                        );
                    }
                }
            }
            if ok {
                metric.event = ratio.numerator.event.clone();
                metric.window_ms = ratio.numerator.window_ms;
                metrics.push(metric);
            }
        }
        metrics
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
        let guardrails = fields.str_list("guardrails");
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
        let known = |name: &str| metrics.iter().any(|m| m.name == name);
        let list = if metrics.is_empty() {
            "none".to_owned()
        } else {
            metrics
                .iter()
                .map(|m| m.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let names = match names {
            Some(names) => {
                if names.is_empty() {
                    self.diagnostics
                        .error(at.child("metrics"), "name at least one metric");
                }
                names
            }
            // Every metric that is not a guardrail.
            None => metrics
                .iter()
                .map(|m| m.name.clone())
                .filter(|name| !guardrails.contains(name))
                .collect(),
        };
        for (key, list_names) in [("metrics", &names), ("guardrails", &guardrails)] {
            for (i, name) in list_names.iter().enumerate() {
                if !known(name) {
                    self.diagnostics.error(
                        at.child(key),
                        format!("no metric named \"{name}\" (metrics: {list})"),
                    );
                } else if list_names[..i].contains(name) {
                    self.diagnostics
                        .error(at.child(key), format!("\"{name}\" is named twice"));
                }
            }
        }
        for name in &guardrails {
            if names.contains(name) {
                self.diagnostics.error(
                    at.child("guardrails"),
                    format!(
                        "\"{name}\" is a goal metric: a guardrail is judged apart, so name it in \
                         one list"
                    ),
                );
            }
        }
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
            guardrails,
            sequential_tuning: tuning,
            target_lift,
            sticky_version: sticky,
        })
    }
}
