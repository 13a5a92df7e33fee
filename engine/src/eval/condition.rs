//! One condition: read its value from the user (or a nested gate), then apply its operator.

use serde_json::Value;

use super::{Context, Exposure, State, Stop};
use crate::hash;
use crate::python::date::{epoch_seconds, same_day};
use crate::python::version::{version_part, version_parts};
use crate::python::{casefold, Py, PyError};
use crate::rules::{ArrayTarget, ArrayTest, Cmp, Condition, DateCmp, Op, Source, StrTest};

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
        Ok(self.apply(&condition.op, value)?)
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

    fn apply(&self, op: &'r Op, value: Py<'_>) -> Result<bool, PyError> {
        Ok(match op {
            Op::Never => false,
            Op::Numeric { cmp, target } => {
                let value = value.to_float()?;
                match (value, (*target)?) {
                    (Some(v), Some(t)) => match cmp {
                        Cmp::Gt => v > t,
                        Cmp::Gte => v >= t,
                        Cmp::Lt => v < t,
                        Cmp::Lte => v <= t,
                        Cmp::Eq => v == t,
                        Cmp::Neq => v != t,
                    },
                    _ => false,
                }
            }
            Op::Version { cmp, target } => match (value.to_str(), target) {
                (Some(v), Some(t)) => compare_versions(&v, &t.0, *cmp)?,
                _ => false,
            },
            Op::AnyOf { set, negate } => {
                let found = match (value.to_str(), set) {
                    (Some(v), Some(set)) => set.contains(casefold(&v).as_ref()),
                    _ => false,
                };
                found != *negate
            }
            Op::AnyOfExact { set, negate } => {
                let found = match (value.to_str(), set) {
                    (Some(v), Some(set)) => set.contains(v.as_ref()),
                    _ => false,
                };
                found != *negate
            }
            Op::BucketIn { set, negate } => {
                let found = match value {
                    Py::Int(b) => u16::try_from(b).is_ok_and(|b| set.contains(b)),
                    _ => false,
                };
                found != *negate
            }
            Op::StrAny {
                test,
                targets,
                negate,
            } => {
                let found = match value.to_str() {
                    None => false,
                    Some(v) => match targets {
                        Ok(None) => false,
                        Err(e) => return Err(*e),
                        Ok(Some(targets)) => {
                            let v = casefold(&v);
                            targets.iter().any(|t| match test {
                                StrTest::StartsWith => v.starts_with(t.as_str()),
                                StrTest::EndsWith => v.ends_with(t.as_str()),
                                StrTest::Contains => v.contains(t.as_str()),
                            })
                        }
                    },
                };
                found != *negate
            }
            #[cfg(feature = "regex")]
            Op::Matches { regex } => match (value.to_str(), regex) {
                (Some(v), Some(Ok(re))) => re.is_match(&v),
                (Some(_), Some(Err(_))) => return Err(PyError::Value),
                _ => false,
            },
            Op::Equals { target, negate } => value.py_eq(&Py::from(target)) != *negate,
            Op::Date { cmp, target } => {
                if value.is_none() && matches!(target, Ok(None)) {
                    return Ok(false);
                }
                match (epoch_seconds(value)?, (*target)?) {
                    (Some(a), Some(b)) => match cmp {
                        DateCmp::Before => a < b,
                        DateCmp::After => a > b,
                        DateCmp::On => same_day(a, b),
                    },
                    _ => false,
                }
            }
            Op::Segment { list, negate } => {
                let found = match (*list)? {
                    None => false,
                    Some(index) => {
                        let text = value.to_str();
                        let key = hash::id_list_key(text.as_deref().unwrap_or("None"));
                        let key = std::str::from_utf8(&key).unwrap_or_default();
                        self.rules.id_lists[index].contains(key)
                    }
                };
                found != *negate
            }
            Op::ArrayContains { test, targets } => {
                let Py::List(items) = value else {
                    return Ok(false);
                };
                let targets = targets.as_deref().ok_or(PyError::Type)?;
                match test {
                    ArrayTest::Any => contains_any(items, targets),
                    ArrayTest::None => !contains_any(items, targets),
                    ArrayTest::All => contains_all(items, targets),
                    ArrayTest::NotAll => !contains_all(items, targets),
                }
            }
        })
    }
}

/// `__version_compare`: part by part, missing parts are 0; a part that is not a number ends
/// the comparison as false, one that is infinite raises.
fn compare_versions(
    value: &str,
    target: &[Result<f64, PyError>],
    cmp: Cmp,
) -> Result<bool, PyError> {
    let value_len = version_parts(value).count();
    let mut value_parts = version_parts(value);
    for i in 0..value_len.max(target.len()) {
        let mine = if i < value_len {
            let part = value_parts.next().unwrap_or_default();
            match version_part(part) {
                Ok(n) => n,
                Err(PyError::Value) => return Ok(false),
                Err(e) => return Err(e),
            }
        } else {
            0.0
        };
        let theirs = match target.get(i) {
            None => 0.0,
            Some(Ok(n)) => *n,
            Some(Err(PyError::Value)) => return Ok(false),
            Some(Err(e)) => return Err(*e),
        };
        if mine < theirs {
            return Ok(cmp.holds(std::cmp::Ordering::Less));
        }
        if mine > theirs {
            return Ok(cmp.holds(std::cmp::Ordering::Greater));
        }
    }
    Ok(cmp.holds(std::cmp::Ordering::Equal))
}

/// `__arrays_have_common_value`: a target matches as an integer (when nonzero) or as text.
fn contains_any(items: &[Value], targets: &[ArrayTarget]) -> bool {
    targets.iter().any(|t| {
        t.int.is_some_and(|i| i != 0 && Py::Int(i).is_in(items)) || Py::Str(&t.text).is_in(items)
    })
}

/// `__arrays_have_all_values`: every target is there as an integer or as text (a target that
/// is not an integer counts as present when the array holds a `null`).
fn contains_all(items: &[Value], targets: &[ArrayTarget]) -> bool {
    targets.iter().all(|t| {
        let as_int = match t.int {
            Some(i) => Py::Int(i),
            None => Py::None,
        };
        as_int.is_in(items) || Py::Str(&t.text).is_in(items)
    })
}
