//! The vocabulary every layer shares: the families of specs, the IDs rules hash, user field
//! names as conditions spell them, and the condition types and operators Statsig's SDK knows.
//!
//! The readers, the compiler, the compiled rules and evaluation all build on these; these
//! build on nothing but Python's value semantics.

use crate::python::{casefold, lower};

/// The three families of specs in a Statsig spec file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpecKind {
    /// `feature_gates`: evaluated to a boolean.
    Gate,
    /// `dynamic_configs`: dynamic configs, experiments, autotunes, holdout-free configs.
    Config,
    /// `layer_configs`: layers, which delegate to the experiments they hold.
    Layer,
}

impl SpecKind {
    /// The spec file's key for this family.
    pub fn section(self) -> &'static str {
        match self {
            SpecKind::Gate => "feature_gates",
            SpecKind::Config => "dynamic_configs",
            SpecKind::Layer => "layer_configs",
        }
    }
}

/// Which ID a rule or condition hashes: `userID` or one of the user's custom IDs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IdType {
    UserId,
    Custom { exact: String, lowered: String },
}

impl IdType {
    /// `userID` in any case is the user ID; anything else names a custom ID.
    pub fn new(id_type: &str) -> IdType {
        if lower(id_type) == "userid" {
            IdType::UserId
        } else {
            IdType::Custom {
                exact: id_type.to_owned(),
                lowered: lower(id_type).into_owned(),
            }
        }
    }

    /// The name as written in the spec file.
    pub fn as_str(&self) -> &str {
        match self {
            IdType::UserId => "userID",
            IdType::Custom { exact, .. } => exact,
        }
    }
}

/// The fields Statsig reads from the top of the user before it looks in `custom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopField {
    UserId,
    Email,
    Ip,
    UserAgent,
    Country,
    Locale,
    AppVersion,
    None,
}

impl TopField {
    /// Which top-level field a condition's `field` names (case-insensitively).
    pub(crate) fn from_field(field: &str) -> TopField {
        match lower(field).as_ref() {
            "userid" | "user_id" => TopField::UserId,
            "email" => TopField::Email,
            "ip" | "ipaddress" | "ip_address" => TopField::Ip,
            "useragent" | "user_agent" => TopField::UserAgent,
            "country" => TopField::Country,
            "locale" => TopField::Locale,
            "appversion" | "app_version" => TopField::AppVersion,
            _ => TopField::None,
        }
    }
}

/// A field name as a condition uses it, with the spellings Statsig tries precomputed.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldName {
    pub exact: String,
    pub folded: String,
    pub lowered: String,
    pub top: TopField,
}

impl FieldName {
    pub fn new(field: &str) -> FieldName {
        FieldName {
            exact: field.to_owned(),
            folded: casefold(field).into_owned(),
            lowered: lower(field).into_owned(),
            top: TopField::from_field(field),
        }
    }
}

/// Condition types Statsig's SDK supports.
pub const CONDITION_TYPES: &[&str] = &[
    "public",
    "fail_gate",
    "pass_gate",
    "ip_based",
    "ua_based",
    "user_field",
    "environment_field",
    "current_time",
    "user_bucket",
    "unit_id",
    "multi_pass_gate",
    "multi_fail_gate",
    "target_app",
];

/// Operators Statsig's SDK supports.
pub const OPERATORS: &[&str] = &[
    "gt",
    "gte",
    "lt",
    "lte",
    "version_gt",
    "version_gte",
    "version_lt",
    "version_lte",
    "version_eq",
    "version_neq",
    "any",
    "none",
    "any_case_sensitive",
    "none_case_sensitive",
    "str_starts_with_any",
    "str_ends_with_any",
    "str_contains_any",
    "str_contains_none",
    "str_matches",
    "eq",
    "neq",
    "before",
    "after",
    "on",
    "in_segment_list",
    "not_in_segment_list",
    "array_contains_any",
    "array_contains_none",
    "array_contains_all",
    "not_array_contains_all",
];

/// The word messages use for a family of specs.
pub fn kind_noun(kind: SpecKind) -> &'static str {
    match kind {
        SpecKind::Gate => "gate",
        SpecKind::Config => "config",
        SpecKind::Layer => "layer",
    }
}
