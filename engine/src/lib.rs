//! Cohort's evaluation engine: assigns users to gates, experiments and layers exactly as
//! Statsig's SDKs do, from bundled rules, with no network and no web dependencies.
//!
//! - [`compile`] reads Statsig spec files (and Cohort's hand-written TOML, [`toml_rules`]) and
//!   validates them once into [`Rules`];
//! - [`eval`] evaluates those rules for a [`User`], as Statsig's reference SDK does;
//! - [`hash`] is the sharder: Statsig's SHA-256 buckets;
//! - [`python`] holds the Python value semantics the reference SDK applies to operands.
//!
//! ```
//! use cohort::{CompileOptions, Rules, User};
//!
//! let rules = Rules::from_statsig_json(r#"{"dynamic_configs": [{
//!     "name": "button_color_v3", "salt": "f3c95789-ace1-a954-2c5d-6baed2eac902",
//!     "enabled": true, "defaultValue": {"Button Color": "Blue"},
//!     "rules": [{"id": "red", "passPercentage": 100, "groupName": "Red",
//!                "isExperimentGroup": true, "returnValue": {"Button Color": "Red"},
//!                "conditions": [{"type": "user_bucket", "operator": "lt", "targetValue": 500,
//!                                "additionalValues": {"salt": "f3c95789-ace1-a954-2c5d-6baed2eac902"}}]}]
//! }]}"#, CompileOptions::STRICT).unwrap();
//! let result = rules.at(0).get_experiment(&User::with_id("user-1"), "button_color_v3");
//! let color: &str = result.get("Button Color", "blue");
//! assert!(color == "Blue" || color == "Red");
//! ```

pub mod codegen;
pub mod compile;
pub mod eval;
pub mod hash;
pub mod params;
pub mod python;
#[cfg(feature = "toml")]
pub mod toml_rules;
pub mod user;

pub use compile::{
    bundle, compile, CompileOptions, Diagnostic, Diagnostics, Format, GroupPlan, Location, Plan,
    Rules, RulesFile, Severity, Spec, SpecKind,
};
pub use eval::{Evaluation, Evaluator, Exposure, PrimaryExposure, Reason, Snapshot};
pub use params::Param;
pub use user::User;
