//! Telling the developer what went wrong: console warnings and errors, prefixed `[cohort]`.

use wasm_bindgen::{JsCast, JsValue};

/// `console.warn("[cohort] ...")`.
pub fn warn(message: &str) {
    web_sys::console::warn_2(&JsValue::from_str("[cohort]"), &JsValue::from_str(message));
}

/// `console.error("[cohort] ...")`.
pub fn error(message: &str) {
    web_sys::console::error_2(&JsValue::from_str("[cohort]"), &JsValue::from_str(message));
}

/// A JavaScript exception as one line of text.
pub fn describe(value: &JsValue) -> String {
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        return format!(
            "{}: {}",
            String::from(error.name()),
            String::from(error.message())
        );
    }
    value
        .as_string()
        .unwrap_or_else(|| "an exception that is not an Error".to_owned())
}
