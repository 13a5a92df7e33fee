//! Typed reads of a spec file's JSON objects, with Statsig's defaults and located errors.

use serde_json::{Map, Value};

use crate::diagnostics::{Diagnostics, Location};
use crate::python::Py;

/// Typed reads of an object's fields, with Statsig's defaults and located errors.
pub(crate) struct Fields<'a, 'd> {
    obj: &'a Map<String, Value>,
    at: &'a Location,
    diagnostics: &'d mut Diagnostics,
}

impl<'a, 'd> Fields<'a, 'd> {
    pub(crate) fn new(
        obj: &'a Map<String, Value>,
        at: &'a Location,
        diagnostics: &'d mut Diagnostics,
    ) -> Self {
        Fields {
            obj,
            at,
            diagnostics,
        }
    }

    fn wrong(&mut self, key: &str, expected: &str) {
        self.diagnostics
            .error(self.at.child(key), format!("must be {expected}"));
    }

    /// A string that must be present.
    pub(crate) fn required_str(&mut self, key: &str) -> String {
        match self.obj.get(key) {
            Some(Value::String(s)) => s.clone(),
            None => {
                self.diagnostics
                    .error(self.at.clone(), format!("\"{key}\" is missing"));
                String::new()
            }
            Some(_) => {
                self.wrong(key, "a string");
                String::new()
            }
        }
    }

    /// A string with a default for a missing key; `null` is an error.
    pub(crate) fn str_or(&mut self, key: &str, default: &str) -> String {
        match self.obj.get(key) {
            None => default.to_owned(),
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                self.wrong(key, "a string");
                default.to_owned()
            }
        }
    }

    /// `None` when missing, `Some(None)` when `null`.
    pub(crate) fn opt_str(&mut self, key: &str) -> Option<Option<String>> {
        match self.obj.get(key) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s.clone())),
            Some(_) => {
                self.wrong(key, "a string");
                None
            }
        }
    }

    pub(crate) fn bool_or(&mut self, key: &str, default: bool) -> bool {
        match self.obj.get(key) {
            None | Some(Value::Null) => default,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.wrong(key, "true or false");
                default
            }
        }
    }

    pub(crate) fn number_or(&mut self, key: &str, default: f64) -> f64 {
        match self.obj.get(key) {
            None => default,
            Some(v @ Value::Number(_)) => Py::from(v).to_float().ok().flatten().unwrap_or(default),
            Some(_) => {
                self.wrong(key, "a number");
                default
            }
        }
    }

    /// Any JSON value; missing or `null` is `{}` (as Statsig's `DynamicConfig` makes it).
    pub(crate) fn value_or_empty(&mut self, key: &str) -> Value {
        match self.obj.get(key) {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(v) => v.clone(),
        }
    }

    pub(crate) fn list(&mut self, key: &str) -> &'a [Value] {
        match self.obj.get(key) {
            None | Some(Value::Null) => &[],
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.wrong(key, "a list");
                &[]
            }
        }
    }

    pub(crate) fn str_list(&mut self, key: &str) -> Vec<String> {
        let items = self.list(key);
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item.as_str() {
                Some(s) => out.push(s.to_owned()),
                None => {
                    self.wrong(key, "a list of strings");
                    break;
                }
            }
        }
        out
    }
}
