//! The durable client log in headless Chrome: exposures logged once however often the log is
//! reopened on the same storage, a queue read back from localStorage when the log is reopened
//! (real reloads are `e2e/events.test.mjs`'s), a failing collector retried without loss, a full queue dropping the
//! oldest and counting them, the page's clock sent with each batch, and refusals: a refused
//! record dropped while the rest of its batch is delivered, a batch refused as a whole sent
//! again one record at a time. `fetch` is replaced by a scripted collector.

#![cfg(target_arch = "wasm32")]

use cohort_leptos::events::{Queue, QUEUE_CAPACITY, RECORD_PREFIX};
use cohort_leptos::{EventLog, Store};
use cohort_protocol::{Batch, Dimensions, Groups, Record};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
export function script_collector(answers) {
  // answers: a list of statuses, the last one repeating. 0 is a network error. 200 answers
  // as the collector does: it refuses each record named "bad_event" (with its index) and
  // stores the others. 400 refuses the whole batch if it holds a "bad_event", else is a 200.
  // Any other status is an error answer.
  window.__collector = { bodies: [], stored: [], answers: Array.from(answers) };
  window.fetch = async (url, init) => {
    const c = window.__collector;
    c.bodies.push(init.body);
    let status = c.answers.length > 1 ? c.answers.shift() : c.answers[0];
    if (status === 0) throw new TypeError("Failed to fetch");
    const records = JSON.parse(init.body).records;
    const bad = (r) => r.event && r.event.name === "bad_event";
    if (status === 400 && !records.some(bad)) status = 200;
    if (status !== 200) {
      const body = JSON.stringify({ error: "the batch holds a record the collector cannot read" });
      return new Response(body, { status });
    }
    const refused = [];
    records.forEach((r, index) => {
      if (bad(r)) refused.push({ index, id: r.event.id, reason: "unknown event \"bad_event\"" });
      else c.stored.push((r.event || r.exposure).id);
    });
    const body = { stored: records.length - refused.length, duplicates: 0, excluded: 0, refused };
    return new Response(JSON.stringify(body), { status });
  };
}
export function sent_bodies() { return window.__collector.bodies.slice(); }
export function stored_ids() { return window.__collector.stored.slice(); }
export function capture_console() {
  window.__cohortLog = [];
  for (const level of ["warn", "error"]) {
    const original = console[level];
    console[level] = (...args) => { window.__cohortLog.push(args.join(" ")); original.apply(console, args); };
  }
}
export function console_text() { return (window.__cohortLog || []).join("\n"); }
export function clear_local_storage() { localStorage.clear(); }
"#)]
extern "C" {
    fn script_collector(answers: Vec<u32>);
    fn sent_bodies() -> Vec<String>;
    fn stored_ids() -> Vec<String>;
    fn capture_console();
    fn console_text() -> String;
    fn clear_local_storage();
}

async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// A user in a group of experiment "exp" (the log does not evaluate anything).
struct Someone {
    user_id: String,
    group: &'static str,
    rule_id: &'static str,
}

fn someone(n: u32) -> Someone {
    Someone {
        user_id: format!("{n:08x}-7f4c-4d2a-9e51-6b3a2c1d0e9f"),
        group: if n.is_multiple_of(2) { "Red" } else { "Green" },
        rule_id: "rule-of-the-group",
    }
}

impl Someone {
    fn exposed(&self, log: EventLog) -> bool {
        let dimensions = Dimensions::from([("source", "stored"), ("visitor", "returning")]);
        log.exposure(
            &self.user_id,
            "exp",
            self.group,
            self.rule_id,
            &[],
            &dimensions,
        )
    }

    fn did(&self, log: EventLog, event: &str) {
        let groups = Groups::from([("exp", self.group)]);
        log.event(&self.user_id, event, None, groups);
    }
}

/// The records the scripted collector received, in order.
fn received() -> Vec<Record> {
    sent_bodies()
        .iter()
        .flat_map(|body| serde_json::from_str::<Batch>(body).unwrap().records)
        .collect()
}

#[wasm_bindgen_test]
async fn an_exposure_is_logged_once_however_often_the_log_is_reopened_on_the_same_storage() {
    clear_local_storage();
    let store = Store::open();
    let user = someone(1);
    let mut logged = Vec::new();
    for _reopen in 0..3 {
        let log = EventLog::open(store, None, QUEUE_CAPACITY);
        logged.push(user.exposed(log));
        logged.push(user.exposed(log));
    }
    assert_eq!(logged, [true, false, false, false, false, false]);
    let queued = Queue::new(&store).records();
    assert_eq!(queued.len(), 1);
    let record: Record = serde_json::from_str(&queued[0]).unwrap();
    let Record::Exposure {
        user_id,
        experiment,
        group,
        rule_id,
        dimensions,
        ..
    } = record
    else {
        panic!("not an exposure: {record:?}");
    };
    assert_eq!(dimensions.get("visitor"), Some("returning"));
    assert_eq!(
        (user_id.as_str(), experiment.as_str()),
        (user.user_id.as_str(), "exp")
    );
    assert_eq!(group, user.group);
    assert_eq!(rule_id, user.rule_id);
    // Another user is another exposure.
    assert!(someone(2).exposed(EventLog::open(store, None, QUEUE_CAPACITY)));
    assert_eq!(Queue::new(&store).len(), 2);
}

#[wasm_bindgen_test]
async fn a_reopened_log_reads_the_queue_from_storage_and_delivers_it_once_the_collector_answers() {
    clear_local_storage();
    capture_console();
    let store = Store::open();
    let user = someone(3);
    script_collector(vec![0, 503, 200]);
    let log = EventLog::open(store, Some("/api".into()), QUEUE_CAPACITY);
    user.did(log, "cta_click");
    sleep(50).await;
    assert_eq!(log.pending(), (1, 0), "kept after a network error");
    // Reopened (as a reload does, in this Wasm instance): the queue is read back from storage.
    let log = EventLog::open(store, Some("/api".into()), QUEUE_CAPACITY);
    user.did(log, "visited_signup");
    assert_eq!(log.pending().0, 2);
    // Backoff: 1 s, then 2 s; the third attempt is acknowledged.
    for _ in 0..40 {
        if log.pending().0 == 0 {
            break;
        }
        sleep(100).await;
    }
    assert_eq!(log.pending(), (0, 0), "{}", console_text());
    let delivered = received();
    let last_batch: Batch = serde_json::from_str(sent_bodies().last().unwrap()).unwrap();
    assert_eq!(last_batch.records.len(), 2);
    assert!(delivered
        .iter()
        .any(|r| matches!(r, Record::Event { name, .. } if name == "cta_click")));
    assert!(console_text().contains("retrying in"), "{}", console_text());
    assert!(store.keys(RECORD_PREFIX).is_empty());
}

#[wasm_bindgen_test]
async fn a_full_queue_drops_the_oldest_and_reports_how_many() {
    clear_local_storage();
    capture_console();
    let store = Store::open();
    let user = someone(4);
    let log = EventLog::open(store, None, 3);
    for _ in 0..5 {
        user.did(log, "cta_click");
    }
    assert_eq!(log.pending(), (3, 2));
    assert!(
        console_text().contains("the event queue is full"),
        "{}",
        console_text()
    );
    script_collector(vec![200]);
    let log = EventLog::open(store, Some("/api".into()), 3);
    for _ in 0..20 {
        if log.pending().0 == 0 {
            break;
        }
        sleep(50).await;
    }
    assert_eq!(log.pending(), (0, 0));
    let batch: Batch = serde_json::from_str(&sent_bodies()[0]).unwrap();
    assert_eq!((batch.records.len(), batch.dropped), (3, 2));
}

/// Waits until nothing is pending (or 4 s have passed).
async fn drained(log: EventLog) {
    for _ in 0..80 {
        if log.pending().0 == 0 {
            return;
        }
        sleep(50).await;
    }
}

/// The IDs of the queued records, oldest first.
fn queued_ids(store: &Store) -> Vec<String> {
    Queue::new(store)
        .records()
        .iter()
        .map(|r| serde_json::from_str::<Record>(r).unwrap().id().to_owned())
        .collect()
}

/// A fresh store with three events queued offline, the middle one bad; their IDs.
fn queue_a_bad_event_between_good_ones(n: u32) -> (Store, Vec<String>) {
    clear_local_storage();
    capture_console();
    let store = Store::open();
    let user = someone(n);
    let log = EventLog::open(store, None, QUEUE_CAPACITY);
    for name in ["cta_click", "bad_event", "visited_signup"] {
        user.did(log, name);
    }
    let ids = queued_ids(&store);
    (store, ids)
}

#[wasm_bindgen_test]
async fn a_refused_record_is_dropped_and_the_rest_of_its_batch_delivered() {
    let (store, ids) = queue_a_bad_event_between_good_ones(5);
    script_collector(vec![200]);
    let before = js_sys::Date::now() as i64;
    let log = EventLog::open(store, Some("/api".into()), QUEUE_CAPACITY);
    drained(log).await;
    assert_eq!(log.pending().0, 0, "{}", console_text());
    assert_eq!(sent_bodies().len(), 1, "one batch");
    assert_eq!(stored_ids(), vec![ids[0].clone(), ids[2].clone()]);
    assert!(
        console_text().contains(
            "the collector refused record 1 of a batch of 3: unknown event \"bad_event\"; it is dropped"
        ),
        "{}",
        console_text()
    );
    let batch: Batch = serde_json::from_str(&sent_bodies()[0]).unwrap();
    let sent_at = batch
        .sent_at
        .expect("the page's clock travels with the batch");
    assert!(
        (before..=before + 5000).contains(&sent_at),
        "{sent_at} vs {before}"
    );
}

#[wasm_bindgen_test]
async fn a_batch_refused_whole_is_sent_again_one_record_at_a_time() {
    let (store, ids) = queue_a_bad_event_between_good_ones(6);
    script_collector(vec![400]);
    let log = EventLog::open(store, Some("/api".into()), QUEUE_CAPACITY);
    drained(log).await;
    assert_eq!(log.pending().0, 0, "{}", console_text());
    let sizes: Vec<usize> = sent_bodies()
        .iter()
        .map(|b| serde_json::from_str::<Batch>(b).unwrap().records.len())
        .collect();
    assert_eq!(sizes, vec![3, 1, 1, 1], "the batch, then each record");
    assert_eq!(stored_ids(), vec![ids[0].clone(), ids[2].clone()]);
    let console = console_text();
    assert!(console.contains("sending them one at a time"), "{console}");
    assert!(
        console.contains("the collector refused a record (status 400"),
        "{console}"
    );
}

#[wasm_bindgen_test]
async fn transient_failures_drop_nothing_and_a_missing_collector_keeps_events_local() {
    clear_local_storage();
    capture_console();
    let store = Store::open();
    let user = someone(7);
    script_collector(vec![500]);
    let log = EventLog::open(store, Some("/api".into()), QUEUE_CAPACITY);
    user.did(log, "cta_click");
    user.did(log, "bad_event");
    sleep(200).await;
    assert_eq!(log.pending().0, 2, "a 500 drops nothing");

    clear_local_storage();
    script_collector(vec![404]);
    let log = EventLog::open(store, Some("/api".into()), QUEUE_CAPACITY);
    user.did(log, "cta_click");
    sleep(100).await;
    user.did(log, "visited_signup");
    sleep(100).await;
    assert_eq!(log.pending().0, 2, "kept locally");
    assert_eq!(
        sent_bodies().len(),
        1,
        "no second attempt at a missing collector"
    );
    assert!(
        console_text().contains("no collector answers at /api/events"),
        "{}",
        console_text()
    );
}

#[wasm_bindgen_test]
async fn without_a_collector_nothing_is_sent() {
    clear_local_storage();
    let store = Store::open();
    let user = someone(8);
    script_collector(vec![200]);
    let log = EventLog::open(store, None, QUEUE_CAPACITY);
    user.exposed(log);
    user.did(log, "visited_signup");
    sleep(50).await;
    assert_eq!(sent_bodies().len(), 0);
    assert_eq!(log.pending().0, 2);
}

/// The queue reads its records in key order, whatever order the store lists its keys in:
/// keys written newest first come back oldest first, from localStorage and from memory, and
/// keys of other prefixes are left out.
#[wasm_bindgen_test]
fn store_keys_come_back_sorted_and_filtered() {
    for store in [Store::open(), Store::memory()] {
        let prefix = "cohort.test.sorted.";
        let written = [
            "000000000010",
            "000000000002",
            "000000000001",
            "000000000100",
        ];
        for n in written {
            assert!(store.set_raw(&format!("{prefix}{n}"), "{}"));
        }
        assert!(store.set_raw("cohort.test.other", "{}"));
        let keys = store.keys(prefix);
        let expected: Vec<String> = [
            "000000000001",
            "000000000002",
            "000000000010",
            "000000000100",
        ]
        .iter()
        .map(|n| format!("{prefix}{n}"))
        .collect();
        assert_eq!(keys, expected, "persistent: {}", store.is_persistent());
        for key in keys {
            store.remove(&key);
        }
        store.remove("cohort.test.other");
        assert!(store.keys(prefix).is_empty());
    }
}
