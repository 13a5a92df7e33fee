//! Typed reads of a config's parameters, as Statsig's `DynamicConfig.get_typed` does them:
//! the stored value when it has the requested type, else `None` (and the caller's default).

use serde_json::{Map, Value};

/// A Rust type a JSON parameter can be read as.
pub trait Param<'v>: Sized {
    fn from_json(value: &'v Value) -> Option<Self>;
}

impl<'v> Param<'v> for &'v str {
    fn from_json(value: &'v Value) -> Option<Self> {
        value.as_str()
    }
}

impl Param<'_> for String {
    fn from_json(value: &Value) -> Option<Self> {
        value.as_str().map(str::to_owned)
    }
}

impl Param<'_> for bool {
    fn from_json(value: &Value) -> Option<Self> {
        value.as_bool()
    }
}

impl Param<'_> for i64 {
    /// JSON integers only: `2.0` is a float, as in Python.
    fn from_json(value: &Value) -> Option<Self> {
        value.as_i64()
    }
}

impl Param<'_> for f64 {
    /// JSON floats only: `2` is an integer, as in Python.
    fn from_json(value: &Value) -> Option<Self> {
        value.is_f64().then(|| value.as_f64()).flatten()
    }
}

impl<'v> Param<'v> for &'v [Value] {
    fn from_json(value: &'v Value) -> Option<Self> {
        value.as_array().map(Vec::as_slice)
    }
}

impl<'v> Param<'v> for &'v Map<String, Value> {
    fn from_json(value: &'v Value) -> Option<Self> {
        value.as_object()
    }
}

impl<'v> Param<'v> for &'v Value {
    fn from_json(value: &'v Value) -> Option<Self> {
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_only_matching_types() {
        let v = json!({"s": "x", "i": 2, "f": 2.5, "b": true, "a": [1], "o": {}});
        assert_eq!(<&str>::from_json(&v["s"]), Some("x"));
        assert_eq!(<&str>::from_json(&v["i"]), None);
        assert_eq!(i64::from_json(&v["i"]), Some(2));
        assert_eq!(i64::from_json(&v["f"]), None);
        assert_eq!(f64::from_json(&v["f"]), Some(2.5));
        assert_eq!(f64::from_json(&v["i"]), None);
        assert_eq!(bool::from_json(&v["b"]), Some(true));
        assert_eq!(bool::from_json(&v["i"]), None);
        assert_eq!(<&[Value]>::from_json(&v["a"]).map(<[Value]>::len), Some(1));
        assert!(<&Map<String, Value>>::from_json(&v["o"]).is_some());
    }
}
