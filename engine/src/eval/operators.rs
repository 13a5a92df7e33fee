//! The operators a condition applies, one function each, and the tables of them evaluation
//! fills for the compiled form's [`Operators`]: [`operator_table`] for some kinds,
//! [`ALL_OPERATORS`] for every kind (what the compiler gives the rules it makes).

use serde_json::Value;

use crate::hash;
use crate::python::date::{epoch_seconds, same_day};
use crate::python::version::{version_part, version_parts};
use crate::python::{casefold, Py, PyError};
use crate::rules::{
    ArrayTarget, ArrayTest, Cmp, DateCmp, Op, OpKind, OperatorFn, Operators, Rules, StrTest,
};

/// Every operator: what the rules the compiler makes carry.
pub const ALL_OPERATORS: Operators = operator_table(OpKind::ALL);

/// A table of the operators of `kinds` only. Build it in a `const` (as generated code does):
/// then the operators it leaves out are not linked.
///
/// ```
/// use cohort::eval::operator_table;
/// use cohort::rules::OpKind;
///
/// const BUCKETS: cohort::rules::Operators = operator_table(&[OpKind::BucketIn, OpKind::BucketCmp]);
/// assert!(BUCKETS.has(OpKind::BucketIn) && !BUCKETS.has(OpKind::Numeric));
/// ```
pub const fn operator_table(kinds: &[OpKind]) -> Operators {
    let mut table = Operators::NONE;
    let mut i = 0;
    while i < kinds.len() {
        table = table.with(kinds[i], function(kinds[i]));
        i += 1;
    }
    table
}

const fn function(kind: OpKind) -> OperatorFn {
    match kind {
        OpKind::Never => never,
        OpKind::Numeric => numeric,
        OpKind::BucketCmp => bucket_cmp,
        OpKind::Version => version,
        OpKind::AnyOf => any_of,
        OpKind::AnyOfExact => any_of_exact,
        OpKind::BucketIn => bucket_in,
        OpKind::StrAny => str_any,
        OpKind::Equals => equals,
        OpKind::Date => date,
        OpKind::Segment => segment,
        OpKind::ArrayContains => array_contains,
        #[cfg(feature = "regex")]
        OpKind::Matches => matches,
    }
}

/// No operator, or one the reference evaluator does not recognise: fails.
fn never(_: &Op, _: Py<'_>, _: &Rules) -> Result<bool, PyError> {
    Ok(false)
}

/// `gt gte lt lte`: both sides as floats.
fn numeric(op: &Op, value: Py<'_>, _: &Rules) -> Result<bool, PyError> {
    let Op::Numeric { cmp, target } = op else {
        return Ok(false);
    };
    let value = value.to_float()?;
    Ok(match (value, (*target)?) {
        (Some(v), Some(t)) => cmp.holds_f64(v, t),
        _ => false,
    })
}

/// `gt gte lt lte` on a `user_bucket`, which is an integer: nothing to parse.
fn bucket_cmp(op: &Op, value: Py<'_>, _: &Rules) -> Result<bool, PyError> {
    let Op::BucketCmp { cmp, target } = op else {
        return Ok(false);
    };
    Ok(match value {
        // A bucket is below 10,000, so the clamp never changes it: through `i64` the
        // conversion is one instruction (`i128` to `f64` is a library call, and converting
        // only when it does not fit still computes it).
        Py::Int(bucket) => cmp.holds_f64(
            bucket.clamp(i64::MIN.into(), i64::MAX.into()) as i64 as f64,
            *target,
        ),
        _ => false,
    })
}

/// `version_*`.
fn version(op: &Op, value: Py<'_>, _: &Rules) -> Result<bool, PyError> {
    let Op::Version { cmp, target } = op else {
        return Ok(false);
    };
    match (value.to_str(), target) {
        (Some(v), Some(t)) => compare_versions(&v, &t.0, *cmp),
        _ => Ok(false),
    }
}

/// `any` / `none`: case-insensitive membership.
fn any_of(op: &Op, value: Py<'_>, _: &Rules) -> Result<bool, PyError> {
    let Op::AnyOf { set, negate } = op else {
        return Ok(false);
    };
    let found = match (value.to_str(), set) {
        (Some(v), Some(set)) => set.contains(casefold(&v).as_ref()),
        _ => false,
    };
    Ok(found != *negate)
}

/// `any_case_sensitive` / `none_case_sensitive`.
fn any_of_exact(op: &Op, value: Py<'_>, _: &Rules) -> Result<bool, PyError> {
    let Op::AnyOfExact { set, negate } = op else {
        return Ok(false);
    };
    let found = match (value.to_str(), set) {
        (Some(v), Some(set)) => set.contains(v.as_ref()),
        _ => false,
    };
    Ok(found != *negate)
}

/// `any` / `none` on a `user_bucket`.
fn bucket_in(op: &Op, value: Py<'_>, _: &Rules) -> Result<bool, PyError> {
    let Op::BucketIn { set, negate } = op else {
        return Ok(false);
    };
    let found = match value {
        Py::Int(b) => u16::try_from(b).is_ok_and(|b| set.contains(b)),
        _ => false,
    };
    Ok(found != *negate)
}

/// `str_starts_with_any str_ends_with_any str_contains_any str_contains_none`.
fn str_any(op: &Op, value: Py<'_>, _: &Rules) -> Result<bool, PyError> {
    let Op::StrAny {
        test,
        targets,
        negate,
    } = op
    else {
        return Ok(false);
    };
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
    Ok(found != *negate)
}

/// `str_matches`.
#[cfg(feature = "regex")]
fn matches(op: &Op, value: Py<'_>, _: &Rules) -> Result<bool, PyError> {
    let Op::Matches { regex } = op else {
        return Ok(false);
    };
    match (value.to_str(), regex) {
        (Some(v), Some(Ok(re))) => Ok(re.is_match(&v)),
        (Some(_), Some(Err(_))) => Err(PyError::Value),
        _ => Ok(false),
    }
}

/// `eq` / `neq`: Python equality of the JSON values.
fn equals(op: &Op, value: Py<'_>, _: &Rules) -> Result<bool, PyError> {
    let Op::Equals { target, negate } = op else {
        return Ok(false);
    };
    Ok(value.py_eq(&Py::from(target)) != *negate)
}

/// `before after on`.
fn date(op: &Op, value: Py<'_>, _: &Rules) -> Result<bool, PyError> {
    let Op::Date { cmp, target } = op else {
        return Ok(false);
    };
    if value.is_none() && matches!(target, Ok(None)) {
        return Ok(false);
    }
    Ok(match (epoch_seconds(value)?, (*target)?) {
        (Some(a), Some(b)) => match cmp {
            DateCmp::Before => a < b,
            DateCmp::After => a > b,
            DateCmp::On => same_day(a, b),
        },
        _ => false,
    })
}

/// `in_segment_list` / `not_in_segment_list`.
fn segment(op: &Op, value: Py<'_>, rules: &Rules) -> Result<bool, PyError> {
    let Op::Segment { list, negate } = op else {
        return Ok(false);
    };
    let found = match (*list)? {
        None => false,
        Some(index) => {
            let text = value.to_str();
            let key = hash::id_list_key(text.as_deref().unwrap_or("None"));
            let key = std::str::from_utf8(&key).unwrap_or_default();
            rules.id_lists[index].contains(key)
        }
    };
    Ok(found != *negate)
}

/// `array_contains_*`.
fn array_contains(op: &Op, value: Py<'_>, _: &Rules) -> Result<bool, PyError> {
    let Op::ArrayContains { test, targets } = op else {
        return Ok(false);
    };
    let Py::List(items) = value else {
        return Ok(false);
    };
    let targets = targets.as_deref().ok_or(PyError::Type)?;
    Ok(match test {
        ArrayTest::Any => contains_any(items, targets),
        ArrayTest::None => !contains_any(items, targets),
        ArrayTest::All => contains_all(items, targets),
        ArrayTest::NotAll => !contains_all(items, targets),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_has_exactly_the_kinds_it_was_built_with() {
        const SOME: Operators = operator_table(&[OpKind::BucketIn, OpKind::BucketCmp]);
        assert_eq!(
            SOME.kinds().collect::<Vec<_>>(),
            [OpKind::BucketCmp, OpKind::BucketIn]
        );
        assert_eq!(ALL_OPERATORS.kinds().count(), OpKind::ALL.len());
    }
}
