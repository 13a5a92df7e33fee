//! What Cohort adds to the rules, beside Statsig's specs: the metrics experiments are judged
//! by, and each experiment's analysis settings.
//!
//! In a Statsig spec file they sit under a top-level `"cohort"` key (which Statsig's SDKs
//! ignore); in the TOML format they are `[[metric]]` tables and keys of `[[experiment]]`.

use serde::Serialize;

/// How a metric turns a user's events into a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    /// 1 if the user did the event at least once (at or after their first exposure), else 0:
    /// a proportion.
    Conversion,
    /// How many times the user did the event: a mean per exposed user.
    Count,
    /// The total of the event's numeric values: a mean per exposed user.
    Sum,
}

impl MetricKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MetricKind::Conversion => "conversion",
            MetricKind::Count => "count",
            MetricKind::Sum => "sum",
        }
    }

    /// The kind a name names.
    pub fn parse(name: &str) -> Option<MetricKind> {
        match name {
            "conversion" => Some(MetricKind::Conversion),
            "count" => Some(MetricKind::Count),
            "sum" => Some(MetricKind::Sum),
            _ => None,
        }
    }
}

/// A metric: an event, and how it is counted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    pub name: String,
    /// The event it counts.
    pub event: String,
    pub kind: MetricKind,
    /// Lower is better (a bounce, a cost).
    pub inverse: bool,
    /// Only events within this long of the user's first exposure count.
    pub window_ms: Option<i64>,
    pub description: Option<String>,
}

/// How an experiment's results are analysed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExperimentSettings {
    /// The metrics it is judged by, the primary one first.
    pub metrics: Vec<String>,
    /// The sequential test's tuning parameter: the units (over two groups) at which decisions
    /// tend to be made (GrowthBook's default, 5000).
    pub sequential_tuning: f64,
    /// The smallest relative lift worth detecting, for planning: 0.1 is 10%.
    pub target_lift: f64,
    /// Sticky assignment: users keep the first group they saw while this version stays.
    pub sticky_version: Option<u32>,
}

/// The default tuning parameter.
pub const DEFAULT_SEQUENTIAL_TUNING: f64 = 5000.0;
/// The default target lift.
pub const DEFAULT_TARGET_LIFT: f64 = 0.1;

impl ExperimentSettings {
    /// The settings of an experiment that declares none: judged by every metric.
    pub fn defaults(metrics: &[Metric]) -> ExperimentSettings {
        ExperimentSettings {
            metrics: metrics.iter().map(|m| m.name.clone()).collect(),
            sequential_tuning: DEFAULT_SEQUENTIAL_TUNING,
            target_lift: DEFAULT_TARGET_LIFT,
            sticky_version: None,
        }
    }
}
