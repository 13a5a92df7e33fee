//! Python's value semantics, as Statsig's reference evaluator applies them to JSON values.
//!
//! The reference SDK converts operands with Python's `str()`, `float()` and `int()` and compares
//! them with `==`. Matching it exactly means matching those conversions: `str(True)` is
//! `"True"`, `str(1.0)` is `"1.0"`, `float(" 1_0 ")` is `10.0`, `1 == 1.0 == True`, and a
//! conversion that raises (`float("abc")`, `float([1])`) turns the whole evaluation into the
//! `"error"` result. [`Py`] is a borrowed view of a value in Python's terms and the functions
//! here are those conversions.

#[cfg(feature = "unicode")]
mod casefold_table;
pub(crate) mod date;
pub(crate) mod version;

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::{Map, Value};

/// A value as Python's `json` module would have produced it, borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Py<'a> {
    None,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(&'a str),
    List(&'a [Value]),
    Dict(&'a Map<String, Value>),
}

/// A Python exception raised by a conversion: evaluation ends with the `"error"` result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PyError {
    /// `ValueError`, e.g. `float("abc")`.
    Value,
    /// `TypeError`, e.g. `float([1])` or iterating over a number.
    Type,
    /// `OverflowError`, e.g. `int(float("inf"))` or a date past year 9999.
    Overflow,
    /// `KeyError` or `AttributeError`: a lookup the reference evaluator gets wrong, such as an
    /// `environment_field` found only under its lower-case name, or a `null` field name.
    Lookup,
}

impl std::fmt::Display for PyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PyError::Value => "a value could not be converted (Python ValueError)",
            PyError::Type => "a value has the wrong type (Python TypeError)",
            PyError::Overflow => "a value is out of range (Python OverflowError)",
            PyError::Lookup => "a field lookup failed (Python KeyError or AttributeError)",
        })
    }
}

impl<'a> From<&'a Value> for Py<'a> {
    fn from(value: &'a Value) -> Self {
        match value {
            Value::Null => Py::None,
            Value::Bool(b) => Py::Bool(*b),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Py::Int(i128::from(i))
                } else if let Some(u) = n.as_u64() {
                    Py::Int(i128::from(u))
                } else {
                    Py::Float(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => Py::Str(s),
            Value::Array(items) => Py::List(items),
            Value::Object(map) => Py::Dict(map),
        }
    }
}

impl<'a> From<Option<&'a Value>> for Py<'a> {
    fn from(value: Option<&'a Value>) -> Self {
        value.map_or(Py::None, Py::from)
    }
}

impl<'a> Py<'a> {
    pub fn is_none(&self) -> bool {
        matches!(self, Py::None)
    }

    /// `str(value)`, or `None` for `None` (Statsig's `__get_value_as_string`).
    pub fn to_str(&self) -> Option<Cow<'a, str>> {
        match *self {
            Py::None => None,
            Py::Str(s) => Some(Cow::Borrowed(s)),
            _ => {
                let mut out = String::new();
                self.write_repr(&mut out, false);
                Some(Cow::Owned(out))
            }
        }
    }

    /// `float(value)`, or `None` for `None` (Statsig's `__get_value_as_float`).
    pub fn to_float(&self) -> Result<Option<f64>, PyError> {
        match *self {
            Py::None => Ok(None),
            Py::Bool(b) => Ok(Some(if b { 1.0 } else { 0.0 })),
            Py::Int(i) => Ok(Some(i as f64)),
            Py::Float(f) => Ok(Some(f)),
            Py::Str(s) => parse_float(s).map(Some).ok_or(PyError::Value),
            Py::List(_) | Py::Dict(_) => Err(PyError::Type),
        }
    }

    /// `int(value)` (used for dates), or `None` for `None`.
    pub fn to_int(&self) -> Result<Option<i128>, PyError> {
        match *self {
            Py::None => Ok(None),
            Py::Bool(b) => Ok(Some(i128::from(b))),
            Py::Int(i) => Ok(Some(i)),
            Py::Float(f) if f.is_nan() => Err(PyError::Value),
            Py::Float(f) if f.is_infinite() => Err(PyError::Overflow),
            // Floats beyond i128 are far outside any date Python accepts.
            Py::Float(f) if f.abs() >= 1e38 => Err(PyError::Overflow),
            Py::Float(f) => Ok(Some(f.trunc() as i128)),
            Py::Str(s) => parse_int(s).map(Some),
            Py::List(_) | Py::Dict(_) => Err(PyError::Type),
        }
    }

    /// The items of `for x in value`: a list's elements, a string's characters, a dict's keys.
    pub fn iter_items(&self) -> Result<PyIter<'a>, PyError> {
        match *self {
            Py::List(items) => Ok(PyIter::List(items.iter())),
            Py::Str(s) => Ok(PyIter::Chars(s.char_indices(), s)),
            Py::Dict(map) => Ok(PyIter::Keys(map.keys())),
            _ => Err(PyError::Type),
        }
    }

    /// `self == other` with Python's rules: `1 == 1.0 == True`, containers compared deeply.
    pub fn py_eq(&self, other: &Py<'_>) -> bool {
        match (*self, *other) {
            (Py::None, Py::None) => true,
            (Py::Str(a), Py::Str(b)) => a == b,
            (Py::List(a), Py::List(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|(x, y)| Py::from(x).py_eq(&Py::from(y)))
            }
            (Py::Dict(a), Py::Dict(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| b.get(k).is_some_and(|w| Py::from(v).py_eq(&Py::from(w))))
            }
            (a, b) => match (a.as_number(), b.as_number()) {
                (Some(x), Some(y)) => x.num_eq(y),
                _ => false,
            },
        }
    }

    /// `self in items`, where `items` is a JSON list: membership by Python `==`.
    pub fn is_in(&self, items: &[Value]) -> bool {
        items.iter().any(|item| self.py_eq(&Py::from(item)))
    }

    fn as_number(&self) -> Option<Number> {
        match *self {
            Py::Bool(b) => Some(Number::Int(i128::from(b))),
            Py::Int(i) => Some(Number::Int(i)),
            Py::Float(f) => Some(Number::Float(f)),
            _ => None,
        }
    }

    /// Python's `repr` (inside containers) or `str` (at the top level) of the value.
    fn write_repr(&self, out: &mut String, nested: bool) {
        match *self {
            Py::None => out.push_str("None"),
            Py::Bool(true) => out.push_str("True"),
            Py::Bool(false) => out.push_str("False"),
            Py::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Py::Float(f) => out.push_str(&float_repr(f)),
            Py::Str(s) if nested => write_str_repr(out, s),
            Py::Str(s) => out.push_str(s),
            Py::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    Py::from(item).write_repr(out, true);
                }
                out.push(']');
            }
            Py::Dict(map) => {
                out.push('{');
                for (i, (key, value)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_str_repr(out, key);
                    out.push_str(": ");
                    Py::from(value).write_repr(out, true);
                }
                out.push('}');
            }
        }
    }
}

/// Iteration over a Python value, see [`Py::iter_items`].
pub enum PyIter<'a> {
    List(std::slice::Iter<'a, Value>),
    Chars(std::str::CharIndices<'a>, &'a str),
    Keys(serde_json::map::Keys<'a>),
}

impl<'a> Iterator for PyIter<'a> {
    type Item = Py<'a>;

    fn next(&mut self) -> Option<Py<'a>> {
        match self {
            PyIter::List(items) => items.next().map(Py::from),
            PyIter::Chars(chars, s) => chars.next().map(|(i, c)| Py::Str(&s[i..i + c.len_utf8()])),
            PyIter::Keys(keys) => keys.next().map(|k| Py::Str(k)),
        }
    }
}

#[derive(Clone, Copy)]
enum Number {
    Int(i128),
    Float(f64),
}

impl Number {
    /// Python compares ints and floats exactly, not by converting the int to a float.
    fn num_eq(self, other: Number) -> bool {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a == b,
            (Number::Float(a), Number::Float(b)) => a == b,
            (Number::Int(i), Number::Float(f)) | (Number::Float(f), Number::Int(i)) => {
                f.is_finite() && f.fract() == 0.0 && f.abs() < 1.7e38 && f as i128 == i
            }
        }
    }
}

/// Python's `str.casefold()`: full Unicode case folding (`"ß"` folds to `"ss"`). Lower case,
/// except for the characters Python folds differently (the generated `casefold_table`).
/// Without the `unicode` feature only ASCII letters are folded.
pub fn casefold(s: &str) -> Cow<'_, str> {
    if s.is_ascii() || cfg!(not(feature = "unicode")) {
        return if s.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(s.to_ascii_lowercase())
        } else {
            Cow::Borrowed(s)
        };
    }
    #[cfg(feature = "unicode")]
    {
        use casefold_table::CASEFOLD_EXCEPTIONS;
        let mut out = String::with_capacity(s.len());
        for c in s.chars() {
            match CASEFOLD_EXCEPTIONS.binary_search_by_key(&c, |&(k, _)| k) {
                Ok(i) => out.push_str(CASEFOLD_EXCEPTIONS[i].1),
                Err(_) => out.extend(c.to_lowercase()),
            }
        }
        Cow::Owned(out)
    }
    #[cfg(not(feature = "unicode"))]
    unreachable!("non-ASCII text is folded above without the unicode feature")
}

/// Python's `str.lower()` (ASCII only without the `unicode` feature).
pub fn lower(s: &str) -> Cow<'_, str> {
    if !s.bytes().any(|b| b.is_ascii_uppercase())
        && (s.is_ascii() || cfg!(not(feature = "unicode")))
    {
        Cow::Borrowed(s)
    } else if cfg!(feature = "unicode") {
        Cow::Owned(s.to_lowercase())
    } else {
        Cow::Owned(s.to_ascii_lowercase())
    }
}

/// `float(s)` for a string: surrounding whitespace, a sign, `inf`/`infinity`/`nan` in any case,
/// exponents, and `_` between digits are accepted; anything else is a `ValueError` (`None`).
pub fn parse_float(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || !underscores_between_digits(t) {
        return None;
    }
    let cleaned: Cow<'_, str> = if t.contains('_') {
        Cow::Owned(t.replace('_', ""))
    } else {
        Cow::Borrowed(t)
    };
    let body = cleaned.trim_start_matches(['+', '-']);
    if cleaned.len() - body.len() > 1 {
        return None;
    }
    let lowered = body.to_ascii_lowercase();
    if matches!(lowered.as_str(), "inf" | "infinity" | "nan") {
        let negative = cleaned.starts_with('-');
        return Some(match (lowered.as_str(), negative) {
            ("nan", _) => f64::NAN,
            (_, false) => f64::INFINITY,
            (_, true) => f64::NEG_INFINITY,
        });
    }
    // Python's grammar: digits with an optional point and an optional exponent, at least one
    // digit in the mantissa; Rust's parser accepts the same set once the specials are handled.
    if !body
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    parse_decimal(&cleaned)
}

/// A decimal number in Rust's (and Python's) syntax, correctly rounded.
#[cfg(feature = "exact-floats")]
fn parse_decimal(text: &str) -> Option<f64> {
    text.parse().ok()
}

/// A decimal number in Rust's (and Python's) syntax, read by serde_json's parser (JSON's
/// syntax is stricter: no `+`, no bare `.5` or `5.`, so those are rewritten first).
#[cfg(not(feature = "exact-floats"))]
fn parse_decimal(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    let (sign, digits) = match unsigned.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", unsigned),
    };
    let (mantissa, exponent) = match digits.find(['e', 'E']) {
        Some(i) => (&digits[..i], &digits[i..]),
        None => (digits, ""),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if (int.is_empty() && frac.is_empty()) || exponent.len() == 1 {
        return None;
    }
    let int = if int.is_empty() { "0" } else { int };
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let json = if frac.is_empty() {
        format!("{sign}{int}{exponent}")
    } else {
        format!("{sign}{int}.{frac}{exponent}")
    };
    serde_json::from_str::<f64>(&json).ok()
}

/// `int(s)` for a string: base 10, surrounding whitespace, a sign and `_` between digits.
pub fn parse_int(s: &str) -> Result<i128, PyError> {
    let t = s.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'_')
        || !underscores_between_digits(digits)
    {
        return Err(PyError::Value);
    }
    let mut n: i128 = 0;
    for b in digits.bytes().filter(u8::is_ascii_digit) {
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(i128::from(b - b'0')))
            .ok_or(PyError::Overflow)?;
    }
    Ok(if t.starts_with('-') { -n } else { n })
}

fn underscores_between_digits(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| {
        b != b'_'
            || (i > 0
                && i + 1 < bytes.len()
                && bytes[i - 1].is_ascii_digit()
                && bytes[i + 1].is_ascii_digit())
    })
}

/// Python's `repr(float)`: the shortest digits that round-trip, in fixed notation when the
/// decimal exponent is in `-4..16`, else in scientific notation with a two-digit exponent.
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // The shortest round-trip digits (the same algorithm serde_json writes floats with), then
    // laid out as Python lays them out.
    let mut buffer = zmij::Buffer::new();
    let text = buffer.format_finite(f.abs());
    let (mantissa, exp_part) = text.split_once(['e', 'E']).unwrap_or((text, "0"));
    let exp_part: i32 = exp_part.parse().unwrap_or(0);
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: String = int_part.chars().chain(frac_part.chars()).collect();
    // The value is 0.DIGITS x 10^point.
    let mut point = int_part.len() as i32 + exp_part;
    let leading = digits.len() - digits.trim_start_matches('0').len();
    digits.drain(..leading);
    point -= leading as i32;
    let trimmed = digits.trim_end_matches('0').len();
    digits.truncate(trimmed);
    if digits.is_empty() {
        digits.push('0');
        point = 1;
    }
    // Python's exponent is that of d.ddd x 10^exp.
    let exp = point - 1;
    let mut out = String::new();
    if f.is_sign_negative() {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
    out
}

/// Python's `repr(str)`: single quotes unless the text has a single quote and no double one.
fn write_str_repr(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn py(v: &Value) -> Py<'_> {
        Py::from(v)
    }

    #[test]
    fn str_matches_python() {
        let cases = [
            (json!(true), "True"),
            (json!(false), "False"),
            (json!(12), "12"),
            (json!(-3), "-3"),
            (json!(1.0), "1.0"),
            (json!(2.5), "2.5"),
            (json!(1e16), "1e+16"),
            (json!(1.5e-5), "1.5e-05"),
            (json!(0.0001), "0.0001"),
            (json!(123456789012345.0), "123456789012345.0"),
            (json!(0.1), "0.1"),
            (json!(-0.0), "-0.0"),
            (json!("text"), "text"),
            (
                json!([1, "a", true, null, 1.5]),
                "[1, 'a', True, None, 1.5]",
            ),
            (json!({"k": "it's"}), "{'k': \"it's\"}"),
        ];
        for (value, expected) in cases {
            assert_eq!(py(&value).to_str().as_deref(), Some(expected), "{value}");
        }
        assert_eq!(Py::None.to_str(), None);
    }

    #[test]
    fn float_matches_python() {
        for (s, expected) in [
            ("1", 1.0),
            (" 2.5 ", 2.5),
            ("1_000", 1000.0),
            ("-1e3", -1000.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("+7", 7.0),
        ] {
            assert_eq!(parse_float(s), Some(expected), "{s}");
        }
        assert!(parse_float("inf").unwrap().is_infinite());
        assert!(parse_float("-Infinity").unwrap().is_infinite());
        assert!(parse_float("NaN").unwrap().is_nan());
        for bad in [
            "", "abc", "1__0", "_1", "1_", "1,5", "0x10", "1e", "--1", "in f",
        ] {
            assert_eq!(parse_float(bad), None, "{bad}");
        }
        assert_eq!(py(&json!(true)).to_float(), Ok(Some(1.0)));
        assert_eq!(py(&json!("x")).to_float(), Err(PyError::Value));
        assert_eq!(py(&json!([1])).to_float(), Err(PyError::Type));
        assert_eq!(Py::None.to_float(), Ok(None));
    }

    #[test]
    fn int_matches_python() {
        assert_eq!(parse_int(" 42 "), Ok(42));
        assert_eq!(parse_int("-1_000"), Ok(-1000));
        assert_eq!(parse_int("1.5"), Err(PyError::Value));
        assert_eq!(parse_int(""), Err(PyError::Value));
        assert_eq!(py(&json!(1.9)).to_int(), Ok(Some(1)));
        assert_eq!(py(&json!(-1.9)).to_int(), Ok(Some(-1)));
        assert_eq!(py(&json!({})).to_int(), Err(PyError::Type));
    }

    #[test]
    fn equality_matches_python() {
        assert!(py(&json!(1)).py_eq(&py(&json!(1.0))));
        assert!(py(&json!(true)).py_eq(&py(&json!(1))));
        assert!(!py(&json!("1")).py_eq(&py(&json!(1))));
        assert!(py(&json!([1, {"a": 2}])).py_eq(&py(&json!([1.0, {"a": 2}]))));
        assert!(!py(&json!([1])).py_eq(&py(&json!([1, 2]))));
        assert!(Py::None.py_eq(&py(&Value::Null)));
        assert!(!py(&json!(9007199254740993_i64)).py_eq(&py(&json!(9007199254740992.0))));
    }

    #[test]
    fn iteration_matches_python() {
        let s = json!("ab");
        let items: Vec<_> = py(&s).iter_items().unwrap().collect();
        assert_eq!(items, vec![Py::Str("a"), Py::Str("b")]);
        assert_eq!(py(&json!(3)).iter_items().err(), Some(PyError::Type));
    }

    #[test]
    #[cfg(not(feature = "unicode"))]
    fn without_unicode_only_ascii_is_folded() {
        assert_eq!(casefold("ABC"), "abc");
        assert_eq!(casefold("StraßE"), "straße");
        assert_eq!(lower("ÀB"), "Àb");
    }

    #[test]
    #[cfg(feature = "unicode")]
    fn casefold_is_full_folding() {
        assert_eq!(casefold("ABC"), "abc");
        assert_eq!(casefold("Straße"), "strasse");
        assert_eq!(casefold("ΣΊΣΥΦΟΣ"), "σίσυφοσ");
        assert_eq!(casefold("ﬃ"), "ffi");
        assert_eq!(casefold("ſ"), "s");
        assert_eq!(casefold("İ"), "i\u{307}");
        assert_eq!(lower("ÀB"), "àb");
    }

    #[test]
    fn float_repr_matches_python() {
        for (f, expected) in [
            (0.0, "0.0"),
            (1.0, "1.0"),
            (100.0, "100.0"),
            (0.1, "0.1"),
            (2.5, "2.5"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789.125, "123456789.125"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e300, "1e+300"),
            (5e-324, "5e-324"),
            (1764000000000.0, "1764000000000.0"),
            (-3.25, "-3.25"),
        ] {
            assert_eq!(float_repr(f), expected, "{f:e}");
        }
    }
}
