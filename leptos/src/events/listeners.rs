//! The DOM listeners of the log: a beacon when the page is hidden, and sending again at once
//! when the browser is back online.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::EventLog;

/// Installs the listeners (once per page).
pub(crate) fn install() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let hidden = Closure::<dyn Fn()>::new(|| {
        let is_hidden = web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Hidden);
        if is_hidden {
            super::beacon::send();
        }
    });
    if let Some(document) = window.document() {
        let _ = document
            .add_event_listener_with_callback("visibilitychange", hidden.as_ref().unchecked_ref());
    }
    hidden.forget();
    let online = Closure::<dyn Fn()>::new(|| {
        super::with_state(|s| s.backoff.reset());
        EventLog.flush();
    });
    let _ = window.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
    online.forget();
}
