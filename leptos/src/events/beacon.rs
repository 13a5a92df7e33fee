//! The beacon: when the page is hidden (and may be about to go away), what is queued goes out
//! with `navigator.sendBeacon`. The records stay queued until a fetch is acknowledged; the
//! collector stores each record once however often it arrives.

use crate::console;

/// Sends the next batch with `navigator.sendBeacon`.
pub(crate) fn send() {
    let Some((endpoint, body, _)) = super::delivery::next_batch() else {
        return;
    };
    let sent = web_sys::window().and_then(|w| {
        w.navigator()
            .send_beacon_with_opt_str(&endpoint, Some(&body))
            .ok()
    });
    if sent != Some(true) {
        console::warn("the browser did not accept the event beacon; the events stay queued");
    }
}
