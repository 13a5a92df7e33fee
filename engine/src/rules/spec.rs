//! The compiled form of a spec: what evaluation runs on.
//!
//! Everything evaluation needs is decided once, by the compiler: operators are enums, target
//! lists are sorted sets or bitsets, regular expressions are built, field names are pre-folded,
//! gate and delegate names are resolved to indexes, and every `user_bucket` salt has a cache
//! slot.

use serde_json::Value;

use super::sets::{BucketSet, StrSet};
use crate::model::{FieldName, IdType, SpecKind};
use crate::python::PyError;

/// Index of a spec in [`crate::Rules`].
pub type SpecId = u32;

/// A gate, dynamic config, experiment or layer.
#[derive(Debug, Clone)]
pub struct Spec {
    pub name: String,
    pub kind: SpecKind,
    /// Statsig's `entity` (`experiment`, `dynamic_config`, `layer`, `feature_gate`, ...).
    pub entity: Option<String>,
    pub salt: String,
    pub enabled: bool,
    pub default_value: Value,
    pub id_type: IdType,
    pub rules: Vec<Rule>,
    pub explicit_parameters: Vec<String>,
    /// Why Statsig's SDK would drop this spec (an operator or condition type it does not
    /// support); such a spec evaluates as if it were absent. Only in lenient compilation.
    pub unsupported: Option<String>,
    /// The file the spec came from, for messages.
    pub file: Option<String>,
}

impl Spec {
    /// The rules that assign experiment groups (`isExperimentGroup`).
    pub fn groups(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| r.is_experiment_group)
    }
}

/// One rule of a spec: conditions, a pass percentage and what the rule returns.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub name: Option<String>,
    /// The salt of the pass-percentage hash: the rule's `salt` when present, else its `id`.
    pub salt: String,
    pub group_name: Option<String>,
    pub pass_percentage: f64,
    pub return_value: Value,
    pub id_type: IdType,
    pub is_experiment_group: bool,
    /// A layer rule's `configDelegate`: the experiment that decides instead of the rule.
    pub delegate: Option<Delegate>,
    pub conditions: Vec<Condition>,
}

/// A layer rule's delegation to an experiment.
#[derive(Debug, Clone)]
pub struct Delegate {
    pub name: String,
    /// The config it names; `None` when the file has no such config, in which case Statsig
    /// ignores the delegation and the rule decides by itself.
    pub target: Option<SpecId>,
}

/// One condition: where its value comes from and how it is compared.
#[derive(Debug, Clone)]
pub struct Condition {
    pub source: Source,
    pub op: Op,
}

/// Where a condition's value comes from (Statsig's condition `type`).
#[derive(Debug, Clone)]
pub enum Source {
    /// `public`: always passes.
    Public,
    /// `pass_gate` (`pass: true`) or `fail_gate` on another gate.
    Gate {
        name: String,
        target: Option<SpecId>,
        pass: bool,
    },
    /// `multi_pass_gate` / `multi_fail_gate`: any of several gates.
    MultiGate {
        gates: Vec<(String, Option<SpecId>)>,
        pass: bool,
    },
    /// `user_field`.
    UserField(FieldName),
    /// `environment_field` (`user.statsigEnvironment`); `None` for a `null` field name.
    EnvironmentField(Option<FieldName>),
    /// `current_time`, in milliseconds.
    CurrentTime,
    /// `user_bucket`: `h(salt.unit_id) % 1000`; `slot` caches the bucket per evaluation.
    UserBucket {
        salt: String,
        id_type: IdType,
        slot: u32,
    },
    /// `unit_id`.
    UnitId(IdType),
    /// `ua_based`: a user field, else parsed from the user agent.
    UaBased(FieldName),
    /// `ip_based`: a user field; the IP-to-country lookup is not supported.
    IpBased(FieldName),
    /// `target_app`: the spec file's `app_id`.
    TargetApp,
    /// A condition without a `type`: its value is `None`.
    Nothing,
    /// Reading the value raises in the reference SDK (e.g. `field: null`): evaluation errors.
    Raise(PyError),
}

/// Comparison of two ordered values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
    Neq,
}

impl Cmp {
    pub fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Cmp::Gt => ordering == Greater,
            Cmp::Gte => ordering != Less,
            Cmp::Lt => ordering == Less,
            Cmp::Lte => ordering != Greater,
            Cmp::Eq => ordering == Equal,
            Cmp::Neq => ordering != Equal,
        }
    }

    /// Python's comparison of two floats (false both ways with a NaN, but `!=`).
    pub fn holds_f64(self, a: f64, b: f64) -> bool {
        match self {
            Cmp::Gt => a > b,
            Cmp::Gte => a >= b,
            Cmp::Lt => a < b,
            Cmp::Lte => a <= b,
            Cmp::Eq => a == b,
            Cmp::Neq => a != b,
        }
    }
}

/// Substring tests of the `str_*_any` operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrTest {
    StartsWith,
    EndsWith,
    Contains,
}

/// Date comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateCmp {
    Before,
    After,
    On,
}

/// The `array_contains_*` operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrayTest {
    Any,
    None,
    All,
    NotAll,
}

/// One target of an `array_contains_*` operator: `str(target)` and `int()` of that string.
#[derive(Debug, Clone)]
pub struct ArrayTarget {
    pub text: String,
    pub int: Option<i128>,
}

/// A version target split into its numeric parts (`int(float(part))`, or the exception).
#[derive(Debug, Clone)]
pub struct VersionTarget(pub Vec<Result<f64, PyError>>);

/// The comparison a condition applies (Statsig's `operator`), with its target prepared.
#[derive(Debug, Clone)]
pub enum Op {
    /// No operator, or one the reference evaluator does not recognise in this spelling:
    /// the value is still read (and may raise), then the condition fails.
    Never,
    /// `gt gte lt lte`: both sides as floats.
    Numeric {
        cmp: Cmp,
        target: Result<Option<f64>, PyError>,
    },
    /// `gt gte lt lte` on a `user_bucket` with a numeric target: the bucket is an integer, so
    /// nothing is parsed (how Statsig's experiments split their groups).
    BucketCmp { cmp: Cmp, target: f64 },
    /// `version_*`.
    Version {
        cmp: Cmp,
        target: Option<VersionTarget>,
    },
    /// `any` / `none`: case-insensitive membership; `None` when the target is not a list.
    AnyOf { set: Option<StrSet>, negate: bool },
    /// `any_case_sensitive` / `none_case_sensitive`.
    AnyOfExact { set: Option<StrSet>, negate: bool },
    /// `any` / `none` on a `user_bucket`.
    BucketIn { set: BucketSet, negate: bool },
    /// `str_starts_with_any str_ends_with_any str_contains_any str_contains_none`:
    /// case-folded targets; `Ok(None)` when the target is `None`.
    StrAny {
        test: StrTest,
        targets: Result<Option<Vec<String>>, PyError>,
        negate: bool,
    },
    /// `str_matches`: `None` when the target is `None`; `Err` holds why the pattern is bad.
    #[cfg(feature = "regex")]
    Matches {
        regex: Option<Result<Box<regex_lite::Regex>, String>>,
    },
    /// `eq` / `neq`: Python equality of the JSON values.
    Equals { target: Value, negate: bool },
    /// `before after on`: the target in epoch seconds.
    Date {
        cmp: DateCmp,
        target: Result<Option<i64>, PyError>,
    },
    /// `in_segment_list` / `not_in_segment_list`: the index of the ID list.
    Segment {
        list: Result<Option<usize>, PyError>,
        negate: bool,
    },
    /// `array_contains_*`: `None` when the target is not a list.
    ArrayContains {
        test: ArrayTest,
        targets: Option<Vec<ArrayTarget>>,
    },
}

/// The kind of an [`Op`]: which operator function applies it (see
/// [`crate::rules::Operators`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OpKind {
    Never,
    Numeric,
    BucketCmp,
    Version,
    AnyOf,
    AnyOfExact,
    BucketIn,
    StrAny,
    Equals,
    Date,
    Segment,
    ArrayContains,
    #[cfg(feature = "regex")]
    Matches,
}

impl OpKind {
    /// Every kind, in order.
    pub const ALL: &'static [OpKind] = &[
        OpKind::Never,
        OpKind::Numeric,
        OpKind::BucketCmp,
        OpKind::Version,
        OpKind::AnyOf,
        OpKind::AnyOfExact,
        OpKind::BucketIn,
        OpKind::StrAny,
        OpKind::Equals,
        OpKind::Date,
        OpKind::Segment,
        OpKind::ArrayContains,
        #[cfg(feature = "regex")]
        OpKind::Matches,
    ];
}

impl Op {
    pub fn kind(&self) -> OpKind {
        match self {
            Op::Never => OpKind::Never,
            Op::Numeric { .. } => OpKind::Numeric,
            Op::BucketCmp { .. } => OpKind::BucketCmp,
            Op::Version { .. } => OpKind::Version,
            Op::AnyOf { .. } => OpKind::AnyOf,
            Op::AnyOfExact { .. } => OpKind::AnyOfExact,
            Op::BucketIn { .. } => OpKind::BucketIn,
            Op::StrAny { .. } => OpKind::StrAny,
            Op::Equals { .. } => OpKind::Equals,
            Op::Date { .. } => OpKind::Date,
            Op::Segment { .. } => OpKind::Segment,
            Op::ArrayContains { .. } => OpKind::ArrayContains,
            #[cfg(feature = "regex")]
            Op::Matches { .. } => OpKind::Matches,
        }
    }
}
