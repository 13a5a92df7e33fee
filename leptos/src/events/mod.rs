//! Exposures and events: the durable client log. Records are queued in localStorage
//! (surviving reloads and offline time) and sent to the collector in batches.
//!
//! One job a module: building records ([`record`](self)), logging an exposure once (`dedupe`),
//! the queue ([`queue`]) and its batches (`batch`), delivery and its answers (`delivery`,
//! `answer`), solo mode after a refused batch (`solo`), retries (`backoff`), the beacon when the
//! page is hidden (`beacon`) and the DOM listeners (`listeners`).
//!
//! Sending uses `fetch` with `keepalive`; when the page is hidden, `navigator.sendBeacon`
//! takes what is queued (the records stay queued: only an answer removes them, and the
//! collector stores a record once however often it arrives). Each batch carries the page's
//! clock (`sent_at`), so that the collector can place records on its own. Failures are
//! retried with exponential backoff and nothing is dropped for them. The collector answers
//! for every record: stored, or refused for its own content (dropped, with the reason in the
//! console). Without a collector, everything stays local.

mod answer;
mod backoff;
mod batch;
mod beacon;
mod dedupe;
mod delivery;
mod listeners;
pub mod queue;
mod record;
mod solo;

use std::cell::RefCell;

use cohort::Exposure;
use cohort_protocol::{Dimensions, Groups, Record};

pub use backoff::backoff_ms;
pub use batch::Sent;
pub use dedupe::{first_exposure, EXPOSED_CAPACITY, EXPOSED_PREFIX};
pub use queue::{Queue, Shelf, DROPPED_KEY, QUEUE_CAPACITY, RECORD_PREFIX};
pub use solo::BATCH_RECORDS;

use crate::console;
use crate::storage::Store;

/// A handle on the page's log (the state lives in a thread-local: the page has one thread).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventLog;

struct State {
    store: Store,
    /// Where batches go (`<collector>/events`), unless there is no collector here.
    endpoint: Option<String>,
    capacity: usize,
    sending: bool,
    solo: solo::Solo,
    backoff: backoff::Backoff,
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

impl EventLog {
    /// Opens the log kept in `store`, sending to `collector` (the API's base URL) if any, with
    /// a queue of `capacity` records at most. Opening again replaces the settings (the page has
    /// one log).
    pub fn open(store: Store, collector: Option<String>, capacity: usize) -> EventLog {
        let state = State {
            store,
            endpoint: collector.map(|base| format!("{}/events", base.trim_end_matches('/'))),
            capacity,
            sending: false,
            solo: solo::Solo::default(),
            backoff: backoff::Backoff::default(),
        };
        let first_open = STATE.with(|s| s.borrow_mut().replace(state).is_none());
        if first_open {
            listeners::install();
        }
        EventLog.flush();
        EventLog
    }

    /// Logs the exposure of `user_id` to `group` of `experiment`, decided by `rule_id` with the
    /// gates evaluated on the way, with what results can be broken down by (`dimensions`, see
    /// [`crate::dimensions`]), the first time (per user, experiment and group); `true` if it
    /// was logged now. The caller never logs a forced view.
    pub fn exposure(
        self,
        user_id: &str,
        experiment: &str,
        group: &str,
        rule_id: &str,
        secondary: &[Exposure<'_>],
        dimensions: &Dimensions,
    ) -> bool {
        let first = with_state(|s| first_exposure(&s.store, user_id, experiment, group));
        if first != Some(true) {
            return false;
        }
        self.push(record::exposure(
            user_id, experiment, group, rule_id, secondary, dimensions,
        ));
        true
    }

    /// Logs the event `name` by `user_id`, with a number it carries (for `sum` metrics; a value
    /// that is not finite is left out) and the user's groups (experiment to group).
    pub fn event(self, user_id: &str, name: &str, value: Option<f64>, groups: Groups) {
        self.push(record::event(user_id, name, value, groups));
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
                || s.backoff.waiting()
                || s.endpoint.is_none()
                || Queue::new(&s.store).is_empty()
            {
                return false;
            }
            s.sending = true;
            true
        });
        if start == Some(true) {
            wasm_bindgen_futures::spawn_local(delivery::send_all());
        }
    }
}
