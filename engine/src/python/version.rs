//! Versions as Statsig's `version_*` operators read them: cut at the first `-` (unless it
//! leads), split on `.`, each part read as Python's `int(float(part))`.

use super::{parse_float, PyError};

/// The parts of a version, as text.
pub(crate) fn version_parts(s: &str) -> std::str::Split<'_, char> {
    let cut = match s.find('-') {
        Some(i) if i > 0 => &s[..i],
        _ => s,
    };
    cut.split('.')
}

/// `int(float(part))`: a `ValueError` ends the comparison as false, an `OverflowError`
/// (`inf`) raises.
pub(crate) fn version_part(part: &str) -> Result<f64, PyError> {
    match parse_float(part) {
        None => Err(PyError::Value),
        Some(f) if f.is_nan() => Err(PyError::Value),
        Some(f) if f.is_infinite() => Err(PyError::Overflow),
        Some(f) => Ok(f.trunc()),
    }
}
