//! Cohort's evaluation engine: assigns users to gates, experiments and layers exactly as
//! Statsig's SDKs do, from bundled rules, with no network and no web dependencies.
//!
//! The layers, each built only on the ones before it (`tests/layers.rs` checks every import):
//! - [`python`]'s value semantics, [`model`]: the shared vocabulary (spec kinds, ID types,
//!   field names, operators), [`diagnostics`] for what is wrong and where, [`hash`] (the
//!   sharder: Statsig's SHA-256 buckets), [`params`] and [`User`];
//! - [`rules`]: the compiled form evaluation runs on ([`Rules`]), with the type of its
//!   operator table;
//! - [`eval`]: evaluation for a [`User`], as Statsig's reference SDK does it, and the operator
//!   functions that fill the table;
//! - [`compile`](mod@compile): the compiler, from a spec file's JSON to [`Rules`] (with every
//!   operator evaluation has);
//! - [`read`]: the readers (Statsig spec files, Cohort's TOML) and the file loader;
//! - [`codegen`]: compiled rules written as Rust, for applications that bundle them (with only
//!   the operators they use), and [`build`]: the build-script entry point that compiles a
//!   rules directory into them.
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

pub mod build;
pub mod codegen;
pub mod compile;
pub mod diagnostics;
pub mod eval;
pub mod hash;
pub mod model;
pub mod params;
pub mod python;
pub mod read;
pub mod rules;
pub mod user;

pub use compile::CompileOptions;
pub use diagnostics::{Diagnostic, Diagnostics, Location, Severity};
pub use eval::{Evaluation, Evaluator, Exposure, PrimaryExposure, Reason, Snapshot, StickyGroup};
pub use model::{IdType, SpecKind};
pub use params::Param;
pub use read::{bundle, compile, Format, RulesFile};
pub use rules::{GroupPlan, Plan, Rules, Spec};
pub use user::User;
