//! JSON the page reads: servers' answers and what it stored in localStorage, parsed by the
//! browser's own `JSON.parse` and read field by field. The page's Wasm carries no JSON parser
//! for them (serde_json's deserializers for the task list and the collector's answers were
//! 6 KB gzip of the page); it writes JSON with serde_json, whose serializer is small.

use wasm_bindgen::{JsCast, JsValue};

/// A JSON value parsed by the browser's `JSON.parse`, read field by field.
#[derive(Debug, Clone)]
pub struct Json(JsValue);

impl Json {
    /// `JSON.parse(text)`; `None` if it is not JSON.
    pub fn parse(text: &str) -> Option<Json> {
        js_sys::JSON::parse(text).ok().map(Json)
    }

    /// The member `key` of an object (`None` if absent, or not an object).
    pub fn get(&self, key: &str) -> Option<Json> {
        if !self.0.is_object() {
            return None;
        }
        js_sys::Reflect::get(&self.0, &JsValue::from_str(key))
            .ok()
            .filter(|v| !v.is_undefined())
            .map(Json)
    }

    /// The text, if this is a string.
    pub fn as_string(&self) -> Option<String> {
        self.0.as_string()
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        self.0.as_bool()
    }

    /// The number, if this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        self.0.as_f64()
    }

    /// The items, if this is an array.
    pub fn items(&self) -> Option<Vec<Json>> {
        self.0
            .dyn_ref::<js_sys::Array>()
            .map(|array| array.iter().map(Json).collect())
    }
}
