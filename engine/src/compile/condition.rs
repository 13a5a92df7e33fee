//! Compiling one condition: its value source and its operator with the target prepared.
//!
//! Statsig's SDK prepares targets when it loads a spec file (`fast_target_value`, the
//! `user_bucket` lookup) and reads the raw `targetValue` at evaluation; both readings are
//! reproduced here, including where a missing `targetValue` and an explicit `null` differ.

use std::collections::HashSet;

use serde_json::Value;

use super::fields::Fields;
use super::Compiler;
use crate::diagnostics::Location;
use crate::model::{FieldName, IdType, CONDITION_TYPES, OPERATORS};
use crate::python::date::epoch_seconds;
use crate::python::version::{version_part, version_parts};
use crate::python::{casefold, parse_int, Py, PyError};
use crate::rules::*;

const EMPTY_LIST: &Value = &Value::Array(Vec::new());

impl Compiler {
    pub(crate) fn compile_condition(
        &mut self,
        json: &Value,
        at: &Location,
        spec: &mut Spec,
    ) -> Option<Condition> {
        let Some(obj) = json.as_object() else {
            self.diagnostics
                .error(at.clone(), "a condition must be an object");
            return None;
        };
        let errors_before = self.diagnostics.errors().count();
        let mut fields = Fields::new(obj, at, &mut self.diagnostics);
        let kind = fields.opt_str("type");
        let operator = fields.opt_str("operator");
        let field = fields.opt_str("field");
        let id_type = match fields.opt_str("idType") {
            None | Some(None) => IdType::UserId,
            Some(Some(t)) => IdType::new(&t),
        };
        // What the SDK prepares at load (a missing target reads as []) and what it compares at
        // evaluation (a missing target reads as None).
        let load_target = obj.get("targetValue").unwrap_or(EMPTY_LIST);
        let target = obj.get("targetValue").unwrap_or(&Value::Null);
        if self.diagnostics.errors().count() > errors_before {
            return None;
        }

        let kind_lower = kind
            .as_ref()
            .map(|k| k.as_deref().map(str::to_ascii_lowercase));
        if let Some(Some(k)) = &kind_lower {
            if !CONDITION_TYPES.contains(&k.as_str()) {
                let message = format!("unknown condition type \"{k}\"");
                self.unsupported(spec, at.child("type"), message);
            }
        }
        let op_lower = operator
            .as_ref()
            .and_then(|o| o.as_deref().map(str::to_ascii_lowercase));
        if let Some(o) = &op_lower {
            if !OPERATORS.contains(&o.as_str()) {
                let message = format!("unknown operator \"{o}\"");
                self.unsupported(spec, at.child("operator"), message);
            }
        }

        let field_name = |f: &Option<Option<String>>| -> Option<FieldName> {
            match f {
                None => Some(FieldName::new("")),
                Some(None) => None,
                Some(Some(s)) => Some(FieldName::new(s)),
            }
        };
        let source = match kind_lower {
            None => Source::Nothing,
            Some(None) => Source::Raise(PyError::Lookup),
            Some(Some(k)) => match k.as_str() {
                "public" => Source::Public,
                "pass_gate" | "fail_gate" => self.gate_source(target, k == "pass_gate", at)?,
                "multi_pass_gate" | "multi_fail_gate" => {
                    self.multi_gate_source(target, k == "multi_pass_gate", at)?
                }
                "user_field" => {
                    field_name(&field).map_or(Source::Raise(PyError::Lookup), Source::UserField)
                }
                "environment_field" => Source::EnvironmentField(field_name(&field)),
                "ua_based" => {
                    field_name(&field).map_or(Source::Raise(PyError::Lookup), Source::UaBased)
                }
                "ip_based" => {
                    field_name(&field).map_or(Source::Raise(PyError::Lookup), Source::IpBased)
                }
                "current_time" => Source::CurrentTime,
                "unit_id" => Source::UnitId(id_type.clone()),
                "target_app" => Source::TargetApp,
                "user_bucket" => match bucket_salt(obj.get("additionalValues")) {
                    Ok(salt) => {
                        let slot = self.bucket_slot(&salt, &id_type);
                        Source::UserBucket {
                            salt,
                            id_type: id_type.clone(),
                            slot,
                        }
                    }
                    Err(e) => Source::Raise(e),
                },
                _ => Source::Nothing,
            },
        };

        let op = match (&operator, &op_lower) {
            (Some(Some(exact)), Some(lower)) if exact == lower => {
                self.compile_op(lower, &source, target, load_target, at)?
            }
            _ => Op::Never,
        };
        Some(fold_bucket(Condition { source, op }))
    }

    fn gate_source(&mut self, target: &Value, pass: bool, at: &Location) -> Option<Source> {
        let Some(name) = target.as_str() else {
            self.diagnostics
                .error(at.child("targetValue"), "must name a gate");
            return None;
        };
        Some(Source::Gate {
            name: name.to_owned(),
            target: self.referenced_gate(name, at),
            pass,
        })
    }

    /// The gate a condition names, or `None` (questionable: Statsig evaluates it as false).
    fn referenced_gate(&mut self, name: &str, at: &Location) -> Option<SpecId> {
        let id = self.gate_id(name);
        if id.is_none() {
            self.questionable(
                at.child("targetValue"),
                format!("gate \"{name}\" does not exist (Statsig evaluates it as false)"),
            );
        }
        id
    }

    fn multi_gate_source(&mut self, target: &Value, pass: bool, at: &Location) -> Option<Source> {
        let items = match Py::from(target) {
            Py::None => Vec::new(),
            py => match py.iter_items() {
                Ok(items) => items.collect(),
                Err(e) => return Some(Source::Raise(e)),
            },
        };
        let mut gates = Vec::with_capacity(items.len());
        for item in items {
            let Py::Str(name) = item else {
                self.diagnostics
                    .error(at.child("targetValue"), "must be a list of gate names");
                return None;
            };
            let id = self.referenced_gate(name, at);
            gates.push((name.to_owned(), id));
        }
        Some(Source::MultiGate { gates, pass })
    }

    /// The compiled form of the operator `op` (one of [`crate::model::OPERATORS`]): its
    /// target parsed once, as the SDK would read it at each evaluation.
    fn compile_op(
        &mut self,
        op: &str,
        source: &Source,
        target: &Value,
        load_target: &Value,
        at: &Location,
    ) -> Option<Op> {
        let py = Py::from(target);
        let negate = matches!(
            op,
            "none" | "none_case_sensitive" | "str_contains_none" | "neq" | "not_in_segment_list"
        );
        Some(match op {
            "gt" | "gte" | "lt" | "lte" => numeric_op(op, source, py),
            "version_gt" | "version_gte" | "version_lt" | "version_lte" | "version_eq"
            | "version_neq" => Op::Version {
                cmp: cmp(&op["version_".len()..]),
                target: py
                    .to_str()
                    .map(|s| VersionTarget(version_parts(&s).map(version_part).collect())),
            },
            "any" | "none" if matches!(source, Source::UserBucket { .. }) => {
                self.bucket_op(load_target, negate, at)?
            }
            "any" | "none" => Op::AnyOf {
                set: string_set(load_target, true),
                negate,
            },
            "any_case_sensitive" | "none_case_sensitive" => Op::AnyOfExact {
                set: string_set(load_target, false),
                negate,
            },
            "str_starts_with_any"
            | "str_ends_with_any"
            | "str_contains_any"
            | "str_contains_none" => str_any_op(op, py, negate),
            "str_matches" => self.matches_op(py, at)?,
            "eq" | "neq" => Op::Equals {
                target: target.clone(),
                negate,
            },
            "before" | "after" | "on" => Op::Date {
                cmp: match op {
                    "before" => DateCmp::Before,
                    "after" => DateCmp::After,
                    _ => DateCmp::On,
                },
                target: epoch_seconds(py),
            },
            "in_segment_list" | "not_in_segment_list" => self.segment_op(py, negate, at),
            "array_contains_any"
            | "array_contains_none"
            | "array_contains_all"
            | "not_array_contains_all" => Op::ArrayContains {
                test: match op {
                    "array_contains_any" => ArrayTest::Any,
                    "array_contains_none" => ArrayTest::None,
                    "array_contains_all" => ArrayTest::All,
                    _ => ArrayTest::NotAll,
                },
                targets: array_targets(load_target),
            },
            // Unknown operators were reported by the caller; the SDK would drop the spec.
            _ => Op::Never,
        })
    }

    /// `any` / `none` on a `user_bucket`: a set of integers, or an error for anything else.
    fn bucket_op(&mut self, load_target: &Value, negate: bool, at: &Location) -> Option<Op> {
        let Value::Array(items) = load_target else {
            self.diagnostics
                .error(at.child("targetValue"), "must be a list of buckets");
            return None;
        };
        let mut buckets = Vec::with_capacity(items.len());
        for item in items {
            match Py::from(item).to_int() {
                Ok(Some(b)) => buckets.push(b),
                _ => {
                    self.diagnostics.error(
                        at.child("targetValue"),
                        format!("bucket {item} is not an integer"),
                    );
                    return None;
                }
            }
        }
        Some(Op::BucketIn {
            set: BucketSet::new(buckets),
            negate,
        })
    }

    /// `str_matches`: the regular expression compiled once; a bad one is questionable (the
    /// SDK raises at each evaluation).
    #[cfg(feature = "regex")]
    fn matches_op(&mut self, py: Py<'_>, at: &Location) -> Option<Op> {
        Some(Op::Matches {
            regex: py.to_str().map(|pattern| {
                regex_lite::Regex::new(&pattern).map(Box::new).map_err(|e| {
                    let message = format!("bad regular expression \"{pattern}\": {e}");
                    self.questionable(at.child("targetValue"), message.clone());
                    message
                })
            }),
        })
    }

    /// `str_matches` without the `regex` feature: an error.
    #[cfg(not(feature = "regex"))]
    fn matches_op(&mut self, _: Py<'_>, at: &Location) -> Option<Op> {
        self.diagnostics.error(
            at.child("operator"),
            "str_matches needs regular expressions: enable the engine's `regex` feature",
        );
        None
    }

    /// `in_segment_list` / `not_in_segment_list`: the ID list by name (strict rules must
    /// define it).
    fn segment_op(&mut self, py: Py<'_>, negate: bool, at: &Location) -> Op {
        Op::Segment {
            list: match py {
                Py::List(_) | Py::Dict(_) => Err(PyError::Type),
                Py::Str(name) => {
                    let list = self.id_list(name);
                    if list.is_none() && self.strict() {
                        self.diagnostics.error(
                            at.child("targetValue"),
                            format!("ID list \"{name}\" is not in id_lists"),
                        );
                    }
                    Ok(list)
                }
                _ => Ok(None),
            },
            negate,
        }
    }
}

/// `gt gte lt lte`: on a bucket, which is an integer, compared as a float exactly as
/// `Numeric` would, with nothing to parse.
fn numeric_op(op: &str, source: &Source, py: Py<'_>) -> Op {
    match (source, py.to_float()) {
        (Source::UserBucket { .. }, Ok(Some(target))) => Op::BucketCmp {
            cmp: cmp(op),
            target,
        },
        (_, target) => Op::Numeric {
            cmp: cmp(op),
            target,
        },
    }
}

/// `str_starts_with_any`, `str_ends_with_any`, `str_contains_any` and `str_contains_none`:
/// the targets case-folded once.
fn str_any_op(op: &str, py: Py<'_>, negate: bool) -> Op {
    Op::StrAny {
        test: match op {
            "str_starts_with_any" => StrTest::StartsWith,
            "str_ends_with_any" => StrTest::EndsWith,
            _ => StrTest::Contains,
        },
        targets: match py {
            Py::None => Ok(None),
            _ => py.iter_items().map(|items| {
                Some(
                    items
                        .filter_map(|item| item.to_str().map(|s| casefold(&s).into_owned()))
                        .collect(),
                )
            }),
        },
        negate,
    }
}

fn cmp(op: &str) -> Cmp {
    match op {
        "gt" => Cmp::Gt,
        "gte" => Cmp::Gte,
        "lt" => Cmp::Lt,
        "lte" => Cmp::Lte,
        "eq" => Cmp::Eq,
        _ => Cmp::Neq,
    }
}

/// `additionalValues.salt` as the SDK reads it: missing is `""`, a non-object raises.
fn bucket_salt(additional: Option<&Value>) -> Result<String, PyError> {
    match additional {
        None => Ok(String::new()),
        Some(Value::Object(map)) => Ok(Py::from(map.get("salt"))
            .to_str()
            .map(|s| s.into_owned())
            .unwrap_or_default()),
        Some(_) => Err(PyError::Lookup),
    }
}

/// `{str(v).casefold()}` (or `{str(v)}`) over a list target; `None` for any other target.
fn string_set(target: &Value, fold: bool) -> Option<StrSet> {
    let Value::Array(items) = target else {
        return None;
    };
    Some(
        items
            .iter()
            .map(|item| {
                let text = python_str(item);
                if fold {
                    casefold(&text).into_owned()
                } else {
                    text
                }
            })
            .collect(),
    )
}

/// `str(v)`, where `str(None)` is `"None"`.
fn python_str(item: &Value) -> String {
    Py::from(item)
        .to_str()
        .map_or_else(|| "None".to_owned(), |s| s.into_owned())
}

fn array_targets(target: &Value) -> Option<Vec<ArrayTarget>> {
    let Value::Array(items) = target else {
        return None;
    };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for item in items {
        let text = python_str(item);
        if seen.insert(text.clone()) {
            let int = parse_int(&text).ok();
            out.push(ArrayTarget { text, int });
        }
    }
    Some(out)
}

/// A `user_bucket` condition that every bucket (0 to 999) answers alike needs no hash: it is
/// folded to a condition that passes (`Source::Public`) or fails (`Op::Never`) without one. An
/// allocation at 100% outside a layer is `any [-1]`, which no bucket matches: the course's
/// evaluation then hashes once, for its group, and gives what Statsig gives (the conformance
/// vectors check it).
fn fold_bucket(condition: Condition) -> Condition {
    let Condition {
        source: Source::UserBucket { .. },
        op: Op::BucketIn { set, negate },
    } = &condition
    else {
        return condition;
    };
    let matched = (0..1000u16).filter(|&b| set.contains(b)).count();
    let always = match matched {
        0 => *negate,
        1000 => !*negate,
        _ => return condition,
    };
    Condition {
        source: if always {
            Source::Public
        } else {
            Source::Nothing
        },
        op: Op::Never,
    }
}

#[cfg(test)]
mod fold_tests {
    use super::*;
    use crate::model::IdType;
    use crate::rules::BucketSet;

    fn bucket(set: BucketSet, negate: bool) -> Condition {
        fold_bucket(Condition {
            source: Source::UserBucket {
                salt: "s".into(),
                id_type: IdType::UserId,
                slot: 0,
            },
            op: Op::BucketIn { set, negate },
        })
    }

    #[test]
    fn a_bucket_condition_every_bucket_answers_alike_is_folded_and_others_are_kept() {
        let none = || BucketSet::new([-1]);
        let all = || BucketSet::new(0..1000);
        assert!(matches!(bucket(none(), false).source, Source::Nothing));
        assert!(matches!(bucket(none(), true).source, Source::Public));
        assert!(matches!(bucket(all(), false).source, Source::Public));
        assert!(matches!(bucket(all(), true).source, Source::Nothing));
        let half = BucketSet::new(0..500);
        assert!(matches!(
            bucket(half, false).source,
            Source::UserBucket { .. }
        ));
    }
}
