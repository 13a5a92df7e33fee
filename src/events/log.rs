//! The durable client log in the browser: exposures and events are queued in localStorage
//! (surviving reloads and offline time) and sent to the collector in batches.
//!
//! Sending uses `fetch` with `keepalive`; when the page is hidden, `navigator.sendBeacon`
//! takes what is queued (the records stay queued: only an answer removes them, and the
//! collector stores a record once however often it arrives). Each batch carries the page's
//! clock (`sent_at`), so that the collector can place records on its own. Failures are
//! retried with exponential backoff and nothing is dropped for them. The collector answers
//! for every record: stored, or refused for its own content (dropped, with the reason in the
//! console). A batch refused as a whole is sent again one record at a time, so that only
//! the bad record is dropped. Without a collector, everything stays local.

use std::cell::RefCell;
use std::collections::BTreeMap;

use cohort_protocol::{Record, SecondaryExposure};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::queue::{first_exposure, Queue, Sent, Shelf, BATCH_RECORDS, QUEUE_CAPACITY};
use crate::console;
use crate::fetch::{fetch, Request};
use crate::identity::{new_user_id, Identity};
use crate::json::Json;
use crate::storage::Store;
use crate::variant::{Variant, EXPERIMENT};

/// A handle on the page's log (the state lives in a thread-local: the page has one thread).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventLog;

struct State {
    store: Store,
    /// Where batches go (`<collector>/events`), unless there is no collector here.
    endpoint: Option<String>,
    capacity: usize,
    sending: bool,
    /// After a batch was refused as a whole: send one record at a time through this key.
    solo_through: Option<String>,
    attempt: u32,
    retry: Option<gloo_timers::callback::Timeout>,
}

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
}

fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> Option<R> {
    STATE.with(|s| s.borrow_mut().as_mut().map(f))
}

impl Shelf for Store {
    fn get(&self, key: &str) -> Option<String> {
        self.get_raw(key)
    }
    fn set(&self, key: &str, value: &str) -> bool {
        self.set_raw(key, value)
    }
    fn remove(&self, key: &str) {
        Store::remove(self, key);
    }
    fn keys(&self, prefix: &str) -> Vec<String> {
        Store::keys(self, prefix)
    }
}

/// How long to wait before retry number `attempt` (1, 2, ...): 1 s doubling up to a minute.
pub fn backoff_ms(attempt: u32) -> u32 {
    1000u32
        .saturating_mul(1 << attempt.saturating_sub(1).min(6))
        .min(60_000)
}

impl EventLog {
    /// Opens the log kept in `store`, sending to `collector` (the API's base URL) if any.
    pub fn open(store: Store, collector: Option<String>) -> EventLog {
        EventLog::open_with_capacity(store, collector, QUEUE_CAPACITY)
    }

    /// As [`EventLog::open`], with a smaller queue (tests).
    pub fn open_with_capacity(
        store: Store,
        collector: Option<String>,
        capacity: usize,
    ) -> EventLog {
        let state = State {
            store,
            endpoint: collector.map(|base| format!("{}/events", base.trim_end_matches('/'))),
            capacity,
            sending: false,
            solo_through: None,
            attempt: 0,
            retry: None,
        };
        let first_open = STATE.with(|s| s.borrow_mut().replace(state).is_none());
        if first_open {
            install_listeners();
        }
        EventLog.flush();
        EventLog
    }

    /// Logs the user's exposure to their group, the first time (per user, experiment and group).
    pub fn exposure(self, identity: &Identity, variant: &Variant) {
        // A forced view (QA) is never an exposure.
        let Some(group) = variant.group.as_ref().filter(|_| !variant.is_forced()) else {
            return;
        };
        let first = with_state(|s| first_exposure(&s.store, &identity.user_id, EXPERIMENT, group));
        if first != Some(true) {
            return;
        }
        self.push(Record::Exposure {
            id: new_user_id(),
            user_id: identity.user_id.clone(),
            experiment: EXPERIMENT.to_owned(),
            group: group.clone(),
            rule_id: variant.rule_id.clone(),
            secondary_exposures: variant
                .secondary_exposures
                .iter()
                .map(|(gate, value, rule)| SecondaryExposure {
                    gate: gate.clone(),
                    gate_value: value.to_string(),
                    rule_id: rule.clone(),
                })
                .collect(),
            time: js_sys::Date::now() as i64,
        });
    }

    /// Logs an event by the user, with their groups (none in a forced view, so that nothing
    /// forced reaches the results).
    pub fn event(self, name: &str, identity: &Identity, variant: &Variant) {
        self.event_with_value(name, None, identity, variant);
    }

    /// Logs an event by the user carrying a number (for `sum` metrics), with their groups.
    pub fn event_with_value(
        self,
        name: &str,
        value: Option<f64>,
        identity: &Identity,
        variant: &Variant,
    ) {
        let mut groups = BTreeMap::new();
        if let Some(group) = variant.group.as_ref().filter(|_| !variant.is_forced()) {
            groups.insert(EXPERIMENT.to_owned(), group.clone());
        }
        self.push(Record::Event {
            id: new_user_id(),
            user_id: identity.user_id.clone(),
            name: name.to_owned(),
            time: js_sys::Date::now() as i64,
            groups,
            value: value.filter(|v| v.is_finite()),
        });
    }

    fn push(self, record: Record) {
        let Ok(json) = serde_json::to_string(&record) else {
            return;
        };
        with_state(|s| {
            let queue = Queue::new(&s.store);
            if let Some(dropped) = queue.push(&json, s.capacity).filter(|&d| d > 0) {
                console::warn(&format!(
                    "the event queue is full ({} records): dropped the {dropped} oldest ({} unreported)",
                    s.capacity,
                    queue.dropped()
                ));
            }
        });
        self.flush();
    }

    /// Records waiting to be sent, and how many the queue dropped.
    pub fn pending(self) -> (usize, u64) {
        with_state(|s| {
            let queue = Queue::new(&s.store);
            (queue.len(), queue.dropped())
        })
        .unwrap_or((0, 0))
    }

    /// Sends what is queued, unless a send is under way or a retry is scheduled.
    pub fn flush(self) {
        let start = with_state(|s| {
            if s.sending
                || s.retry.is_some()
                || s.endpoint.is_none()
                || Queue::new(&s.store).is_empty()
            {
                return false;
            }
            s.sending = true;
            true
        });
        if start == Some(true) {
            wasm_bindgen_futures::spawn_local(send_all());
        }
    }
}

/// What the collector said to a batch.
enum Answer {
    /// Every record is accounted for: stored, already stored, or refused for its content
    /// (each with its position and reason).
    Stored { refused: Vec<Refused> },
    /// 4xx: the batch as a whole is invalid and will stay so.
    Refused(String),
    /// No collector at this URL (404, 405, or a static host's page).
    NotHere,
    /// Try again later (network error, 5xx, 408, 429).
    Later(String),
}

/// The endpoint, the next batch's body and what it holds, if there is anything to send.
/// After a batch was refused as a whole, its records go one at a time, so that only the bad
/// one is dropped.
fn next_batch() -> Option<(String, String, Sent)> {
    with_state(|s| {
        let endpoint = s.endpoint.clone()?;
        let queue = Queue::new(&s.store);
        let solo = match (&s.solo_through, queue.first_key()) {
            (Some(last), Some(first)) if first <= *last => true,
            _ => {
                s.solo_through = None;
                false
            }
        };
        let size = if solo { 1 } else { BATCH_RECORDS };
        let (body, sent) = queue.next_batch(size, js_sys::Date::now() as i64)?;
        Some((endpoint, body, sent))
    })
    .flatten()
}

async fn send_all() {
    while let Some((endpoint, body, batch)) = next_batch() {
        match post(&endpoint, &body).await {
            Answer::Stored { refused } => with_state(|s| {
                for r in &refused {
                    console::error(&format!(
                        "the collector refused record {} of a batch of {}: {}; it is dropped",
                        r.index,
                        batch.keys.len(),
                        r.reason
                    ));
                }
                Queue::new(&s.store).remove(&batch);
                s.attempt = 0;
            }),
            Answer::Refused(reason) if batch.keys.len() > 1 => with_state(|s| {
                console::warn(&format!(
                    "the collector refused a batch of {} records ({reason}); sending them one \
                     at a time",
                    batch.keys.len()
                ));
                s.solo_through = batch.keys.last().cloned();
            }),
            Answer::Refused(reason) => with_state(|s| {
                console::error(&format!(
                    "the collector refused a record ({reason}); it is dropped"
                ));
                Queue::new(&s.store).remove(&batch);
            }),
            Answer::NotHere => {
                console::warn(&format!(
                    "no collector answers at {endpoint}; events stay in this browser"
                ));
                with_state(|s| s.endpoint = None);
                break;
            }
            Answer::Later(why) => {
                with_state(|s| {
                    s.attempt += 1;
                    let delay = backoff_ms(s.attempt) + (js_sys::Math::random() * 250.0) as u32;
                    console::warn(&format!(
                        "sending events failed ({why}); retrying in {delay} ms"
                    ));
                    s.retry = Some(gloo_timers::callback::Timeout::new(delay, || {
                        with_state(|s| s.retry = None);
                        EventLog.flush();
                    }));
                });
                break;
            }
        };
    }
    with_state(|s| s.sending = false);
}

async fn post(endpoint: &str, body: &str) -> Answer {
    let request = Request {
        body: Some(body),
        keepalive: true,
        deadline: None,
    };
    let reply = match fetch(endpoint, request).await {
        Ok(reply) => reply,
        Err(e) => return Answer::Later(e.to_string()),
    };
    let status = reply.status;
    let answer = Json::parse(&reply.text);
    match status {
        // A 2xx that is not an acknowledgement is a static host's page, not a collector.
        200..=299 => match answer.as_ref().and_then(acknowledged) {
            Some(refused) => Answer::Stored { refused },
            None => Answer::NotHere,
        },
        404 | 405 => Answer::NotHere,
        408 | 429 => Answer::Later(format!("status {status}")),
        400..=499 => Answer::Refused(match answer.and_then(|a| a.get("error")?.as_string()) {
            Some(error) => format!("status {status}: {error}"),
            None => format!("status {status}"),
        }),
        _ => Answer::Later(format!("status {status}")),
    }
}

/// A record the collector refused (`cohort_protocol::Refusal`).
struct Refused {
    index: usize,
    reason: String,
}

/// The records an acknowledgement (`cohort_protocol::Ack`: `{"stored": n, "refused": [...]}`)
/// refuses; `None` if `answer` is not one.
fn acknowledged(answer: &Json) -> Option<Vec<Refused>> {
    answer.get("stored")?.as_f64()?;
    let Some(refused) = answer.get("refused") else {
        return Some(Vec::new());
    };
    refused
        .items()?
        .iter()
        .map(|r| {
            Some(Refused {
                index: r.get("index")?.as_f64()? as usize,
                reason: r.get("reason")?.as_string()?,
            })
        })
        .collect()
}

/// Sends what is queued with `navigator.sendBeacon` (the page may be about to go away). The
/// records stay queued until a fetch is acknowledged; the collector ignores duplicates.
fn beacon() {
    let Some((endpoint, body, _)) = next_batch() else {
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

/// Beacon when the page is hidden; send again when the browser is back online.
fn install_listeners() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let hidden = Closure::<dyn Fn()>::new(|| {
        let is_hidden = web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Hidden);
        if is_hidden {
            beacon();
        }
    });
    if let Some(document) = window.document() {
        let _ = document
            .add_event_listener_with_callback("visibilitychange", hidden.as_ref().unchecked_ref());
    }
    hidden.forget();
    let online = Closure::<dyn Fn()>::new(|| {
        with_state(|s| {
            s.retry = None;
            s.attempt = 0;
        });
        EventLog.flush();
    });
    let _ = window.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
    online.forget();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_minute() {
        assert_eq!(
            (1..=9).map(backoff_ms).collect::<Vec<_>>(),
            vec![1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]
        );
    }
}
