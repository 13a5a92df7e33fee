//! What an evaluation returns: the value, the rule, the group, why, and the exposures.

use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;
use serde_json::Value;

use crate::model::SpecKind;
use crate::params::Param;

/// Why an evaluation ended as it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A rule matched (its pass percentage decides between its value and the default).
    Matched,
    /// No rule matched: the default value, rule ID `"default"`.
    Default,
    /// The spec is disabled: the default value, rule ID `"disabled"`.
    Disabled,
    /// No spec of that name: `{}` (or `false`), rule ID `""`.
    Unrecognized,
    /// A spec Statsig's SDK drops (unsupported operator or condition type): as unrecognized.
    Unsupported,
    /// Evaluation raised (e.g. a numeric operator on text): rule ID `"error"`.
    Error,
    /// A sticky experiment kept the user in the group they were first exposed to
    /// ([`Evaluator::get_experiment_sticky`](super::Evaluator::get_experiment_sticky)).
    Sticky,
    /// The caller forced the group (QA): the group's value and rule, never an exposure
    /// ([`Evaluator::get_experiment_forced`](super::Evaluator::get_experiment_forced)).
    Forced,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Matched => "matched",
            Reason::Default => "default",
            Reason::Disabled => "disabled",
            Reason::Unrecognized => "unrecognized",
            Reason::Unsupported => "unsupported",
            Reason::Error => "error",
            Reason::Sticky => "sticky",
            Reason::Forced => "forced",
        }
    }
}

/// A gate evaluated on the way to a result: Statsig logs these as secondary exposures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exposure<'r> {
    pub gate: &'r str,
    pub gate_value: bool,
    pub rule_id: &'r str,
}

impl Serialize for Exposure<'_> {
    /// Statsig's wire shape: `{"gate": ..., "gateValue": "true", "ruleID": ...}`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Exposure", 3)?;
        st.serialize_field("gate", self.gate)?;
        st.serialize_field("gateValue", if self.gate_value { "true" } else { "false" })?;
        st.serialize_field("ruleID", self.rule_id)?;
        st.end()
    }
}

/// The exposure Statsig logs for an evaluation: what was evaluated, the deciding rule and
/// the group (the secondary exposures travel beside it, in [`Evaluation`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PrimaryExposure<'a> {
    pub name: &'a str,
    #[serde(rename = "ruleID")]
    pub rule_id: &'a str,
    pub group_name: Option<&'a str>,
}

/// The result of evaluating a gate, config, experiment or layer for one user.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation<'r> {
    pub kind: SpecKind,
    /// The config's value (for a gate, the JSON of the deciding rule, which Statsig ignores).
    pub value: &'r Value,
    /// For a gate, its value; otherwise whether the deciding rule's pass percentage passed.
    pub passed: bool,
    pub rule_id: &'r str,
    pub group_name: Option<&'r str>,
    /// Whether the deciding rule is an experiment group (the user is *in* the experiment).
    pub is_experiment_group: bool,
    pub reason: Reason,
    pub secondary_exposures: Vec<Exposure<'r>>,
    /// For a layer: the exposures from before it delegated to an experiment.
    pub undelegated_secondary_exposures: Vec<Exposure<'r>>,
    /// For a layer: the experiment it delegated to.
    pub allocated_experiment: Option<&'r str>,
    /// For a layer: the parameters the allocated experiment owns.
    pub explicit_parameters: &'r [String],
}

impl<'r> Evaluation<'r> {
    /// A parameter of the value, if it is there and of the default's type; else the default.
    /// This is Statsig's `DynamicConfig.get_typed(name, default)`; as in Python, an integer
    /// and a float are different types.
    pub fn get<T: Param<'r>>(&self, name: &str, default: T) -> T {
        self.value
            .get(name)
            .and_then(T::from_json)
            .unwrap_or(default)
    }

    /// The primary exposure of this evaluation of `name`.
    pub fn exposure<'a>(&'a self, name: &'a str) -> PrimaryExposure<'a> {
        PrimaryExposure {
            name,
            rule_id: self.rule_id,
            group_name: self.group_name,
        }
    }

    /// The experiment group the user is in: the deciding rule's group name, when that rule
    /// is one of the experiment's groups. (`group_name` alone also names rules that are not
    /// groups, such as `layerAssignment` for users the experiment does not allocate.)
    pub fn group(&self) -> Option<&'r str> {
        self.group_name.filter(|_| self.is_experiment_group)
    }
}
