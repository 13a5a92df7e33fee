//! One condition: read its value from the user (or a nested gate), then apply its operator
//! (through the rules' [`crate::rules::Operators`]).

use super::{Context, Exposure, State, Stop};
use crate::hash;
use crate::python::{Py, PyError};
use crate::rules::{Condition, Source};

impl<'r> Context<'r, '_> {
    /// `__evaluate_condition`.
    pub(super) fn condition(
        &mut self,
        condition: &'r Condition,
        state: &mut State<'r>,
        depth: u32,
    ) -> Result<bool, Stop> {
        // Values computed rather than borrowed (a parsed user agent) live here.
        let computed: Option<String>;
        let value: Py<'_> = match &condition.source {
            Source::Public => return Ok(true),
            Source::Gate { name, target, pass } => {
                // `check_gate(user, target, end_result, is_nested=True)`: the same state.
                self.eval_config(*target, state, true, depth + 1)?;
                state.secondary.push(Exposure {
                    gate: name,
                    gate_value: state.passed,
                    rule_id: state.rule_id,
                });
                return Ok(state.passed == *pass);
            }
            Source::MultiGate { gates, pass } => {
                let mut any = false;
                for (name, target) in gates {
                    let mut inner = State::new(state.empty);
                    self.eval_config(*target, &mut inner, false, depth + 1)?;
                    state.secondary.push(Exposure {
                        gate: name,
                        gate_value: inner.passed,
                        rule_id: inner.rule_id,
                    });
                    any = any || inner.passed == *pass;
                    if any {
                        break;
                    }
                }
                return Ok(any);
            }
            Source::UserField(field) => self.user.field(field),
            Source::EnvironmentField(field) => match (self.environment, field) {
                (None, _) => Py::None,
                (Some(_), None) => return Err(PyError::Lookup.into()),
                (Some(env), Some(field)) => match env.get(&field.exact) {
                    Some(v) => Py::from(v),
                    // Statsig finds the lower-case key, then reads the original one: KeyError.
                    None if env.contains_key(&field.lowered) => return Err(PyError::Lookup.into()),
                    None => Py::None,
                },
            },
            Source::CurrentTime => Py::Int(i128::from(self.now_ms)),
            Source::UserBucket {
                salt,
                id_type,
                slot,
            } => {
                let unit_id = self.user.unit_id(id_type).unwrap_or("");
                let bucket = self
                    .buckets
                    .get_or_compute(*slot, || hash::user_bucket(salt, unit_id));
                Py::Int(i128::from(bucket))
            }
            Source::UnitId(id_type) => self.user.unit_id(id_type).map_or(Py::None, Py::Str),
            Source::UaBased(field) => match self.user.field(field) {
                Py::None => {
                    computed = self.user_agent_field(&field.exact);
                    computed.as_deref().map_or(Py::None, Py::Str)
                }
                v => v,
            },
            Source::IpBased(field) => match self.user.field(field) {
                // The IP-to-country lookup is not supported: no value, no match.
                Py::None => return Ok(false),
                v => v,
            },
            Source::TargetApp => self.rules.app_id.as_deref().map_or(Py::None, Py::Str),
            Source::Nothing => Py::None,
            Source::Raise(e) => return Err((*e).into()),
        };
        Ok(self
            .rules
            .operators
            .apply(&condition.op, value, self.rules)?)
    }

    /// A field Statsig parses from the user agent (`userAgent`, through the user-field
    /// lookup).
    #[cfg(feature = "user-agent")]
    fn user_agent_field(&self, field: &str) -> Option<String> {
        use crate::model::FieldName;
        match self.user.field(&FieldName::new("userAgent")) {
            Py::Str(ua) => super::user_agent::field(ua, field),
            _ => None,
        }
    }

    /// Without the `user-agent` feature, fields parsed from the user agent are absent.
    #[cfg(not(feature = "user-agent"))]
    fn user_agent_field(&self, _field: &str) -> Option<String> {
        None
    }
}
