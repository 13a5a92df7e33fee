//! What Cohort adds to the rules, beside Statsig's specs: the metrics experiments are judged
//! by, and each experiment's analysis settings.
//!
//! In a Statsig spec file they sit under a top-level `"cohort"` key (which Statsig's SDKs
//! ignore); in the TOML format they are `[[metric]]` tables and keys of `[[experiment]]`.

use serde::Serialize;

/// How a metric turns a user's events into a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    /// 1 if the user did the event at least once (at or after their first exposure), else 0:
    /// a proportion.
    Conversion,
    /// How many times the user did the event: a mean per exposed user.
    Count,
    /// The total of the event's numeric values: a mean per exposed user.
    Sum,
    /// One metric's total over all users divided by another's (tasks completed per task
    /// added): see [`Metric::ratio`].
    Ratio,
}

impl MetricKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MetricKind::Conversion => "conversion",
            MetricKind::Count => "count",
            MetricKind::Sum => "sum",
            MetricKind::Ratio => "ratio",
        }
    }

    /// The kind a name names.
    pub fn parse(name: &str) -> Option<MetricKind> {
        match name {
            "conversion" => Some(MetricKind::Conversion),
            "count" => Some(MetricKind::Count),
            "sum" => Some(MetricKind::Sum),
            "ratio" => Some(MetricKind::Ratio),
            _ => None,
        }
    }
}

/// A metric: an event, and how it is counted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    pub name: String,
    /// The event it counts (a ratio: its numerator's).
    pub event: String,
    pub kind: MetricKind,
    /// Lower is better (a bounce, a cost).
    pub inverse: bool,
    /// Only events within this long of the user's first exposure count.
    pub window_ms: Option<i64>,
    pub description: Option<String>,
    /// CUPED: the covariate is the same metric over this long before the user's first
    /// exposure (`None`: off).
    pub lookback_ms: Option<i64>,
    /// How each user's value is capped before it is summed (a ratio: its numerator's and its
    /// denominator's values, each).
    pub cap: Option<Cap>,
    /// A ratio metric's numerator and denominator (`Some` exactly when the kind is
    /// [`MetricKind::Ratio`]).
    pub ratio: Option<Box<Ratio>>,
}

/// A ratio metric's two parts: metrics counted per user as usual, whose totals over a group's
/// users are divided (GrowthBook's ratio metrics, analysed with the delta method).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ratio {
    pub numerator: Metric,
    pub denominator: Metric,
}

/// Winsorization: each user's value is capped at most at a bound, so that one user cannot
/// drown a metric (GrowthBook's capping; values below are untouched).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Cap {
    pub kind: CapKind,
    /// The bound itself (absolute), or the quantile of the experiment's users' values it is
    /// taken at, between 0 and 1 (percentile: 0.99 caps at the 99th percentile).
    pub value: f64,
    /// A percentile cap leaves users whose value is 0 out of the distribution it is taken
    /// from (they are still capped, which changes nothing for them).
    pub ignore_zeros: bool,
}

/// How a cap's bound is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CapKind {
    /// A fixed value.
    Absolute,
    /// A quantile of the values of every user exposed to the experiment, all groups pooled.
    Percentile,
}

impl CapKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CapKind::Absolute => "absolute",
            CapKind::Percentile => "percentile",
        }
    }
}

/// How far back CUPED looks by default: 14 days, GrowthBook's.
pub const DEFAULT_LOOKBACK_MS: i64 = 14 * 86_400_000;

impl Metric {
    /// What is counted per user for this metric: itself, or a ratio's numerator and
    /// denominator.
    pub fn parts(&self) -> Vec<&Metric> {
        match &self.ratio {
            Some(ratio) => vec![&ratio.numerator, &ratio.denominator],
            None => vec![self],
        }
    }
}

/// How an experiment's results are analysed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExperimentSettings {
    /// The metrics it is judged by, the primary one first.
    pub metrics: Vec<String>,
    /// Metrics that must not get worse: shown apart, left out of the multiple-testing
    /// corrections, and a verdict of their own when one does.
    pub guardrails: Vec<String>,
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
            guardrails: Vec::new(),
            sequential_tuning: DEFAULT_SEQUENTIAL_TUNING,
            target_lift: DEFAULT_TARGET_LIFT,
            sticky_version: None,
        }
    }
}
