//! Dates as Statsig's `before`, `after` and `on` operators read them.
//!
//! A value is `int()`-ed; when its text has 11 or more characters it is taken as milliseconds
//! and floor-divided by 1000. Dates outside Python's `datetime` range (years 1 to 9999) raise.
//! Days are compared in UTC.

use crate::python::{Py, PyError};

/// 0001-01-01T00:00:00Z.
const MIN_EPOCH_SECONDS: i128 = -62_135_596_800;
/// 9999-12-31T23:59:59Z.
const MAX_EPOCH_SECONDS: i128 = 253_402_300_799;
const SECONDS_PER_DAY: i64 = 86_400;

/// The value as epoch seconds; `None` for `None`.
pub(crate) fn epoch_seconds(value: Py<'_>) -> Result<Option<i64>, PyError> {
    let Some(n) = value.to_int()? else {
        return Ok(None);
    };
    let chars = value.to_str().map_or(0, |s| s.chars().count());
    let seconds = if chars >= 11 { n.div_euclid(1000) } else { n };
    if !(MIN_EPOCH_SECONDS..=MAX_EPOCH_SECONDS).contains(&seconds) {
        return Err(PyError::Value);
    }
    Ok(Some(seconds as i64))
}

/// Whether two instants fall on the same UTC day.
pub(crate) fn same_day(a: i64, b: i64) -> bool {
    a.div_euclid(SECONDS_PER_DAY) == b.div_euclid(SECONDS_PER_DAY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secs(v: serde_json::Value) -> Result<Option<i64>, PyError> {
        epoch_seconds(Py::from(&v))
    }

    #[test]
    fn eleven_digits_or_more_are_milliseconds() {
        assert_eq!(secs(json!(1_700_000_000)), Ok(Some(1_700_000_000)));
        assert_eq!(secs(json!(1_700_000_000_123_i64)), Ok(Some(1_700_000_000)));
        assert_eq!(secs(json!("1700000000123")), Ok(Some(1_700_000_000)));
        // "1700000000.5" has 12 characters: int() gives 1700000000, then // 1000.
        assert_eq!(secs(json!(1_700_000_000.5)), Ok(Some(1_700_000)));
        assert_eq!(secs(json!(null)), Ok(None));
    }

    #[test]
    fn bad_dates_raise() {
        assert_eq!(secs(json!("soon")), Err(PyError::Value));
        assert_eq!(secs(json!([1])), Err(PyError::Type));
        assert_eq!(secs(json!(99_999_999_999_999_999_i64)), Err(PyError::Value));
    }

    #[test]
    fn days_are_utc() {
        assert!(same_day(0, 86_399));
        assert!(!same_day(86_399, 86_400));
        assert!(same_day(-1, -86_400));
    }
}
