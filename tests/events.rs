//! The durable client log in headless Chrome: exposures logged once across reloads, a queue
//! that survives reloads, a failing collector retried without loss, a full queue dropping the
//! oldest and counting them, and refusals. `fetch` is replaced by a scripted collector.

#![cfg(target_arch = "wasm32")]

use cohort_app::bundle::bundled_rules;
use cohort_app::events::queue::{Queue, RECORD_PREFIX};
use cohort_app::events::EventLog;
use cohort_app::identity::{IdSource, Identity};
use cohort_app::storage::Store;
use cohort_app::variant::Variant;
use cohort_protocol::{Batch, Record};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
export function script_collector(answers) {
  // answers: a list of statuses (0 = network error); the last one repeats.
  window.__collector = { bodies: [], answers: Array.from(answers) };
  window.fetch = async (url, init) => {
    const c = window.__collector;
    c.bodies.push(init.body);
    const status = c.answers.length > 1 ? c.answers.shift() : c.answers[0];
    if (status === 0) throw new TypeError("Failed to fetch");
    const records = JSON.parse(init.body).records.length;
    const body = status === 200 ? JSON.stringify({ stored: records, duplicates: 0 })
      : JSON.stringify({ error: "record 0: unknown event \"nope\"" });
    return new Response(body, { status });
  };
}
export function sent_bodies() { return window.__collector.bodies.slice(); }
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
    fn capture_console();
    fn console_text() -> String;
    fn clear_local_storage();
}

async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

fn someone(n: u32) -> (Identity, Variant) {
    let id = format!("{n:08x}-7f4c-4d2a-9e51-6b3a2c1d0e9f");
    let variant = Variant::assign(Some(bundled_rules()), &id, 0);
    (
        Identity {
            user_id: id,
            source: IdSource::Random,
        },
        variant,
    )
}

/// The records the scripted collector received, in order.
fn received() -> Vec<Record> {
    sent_bodies()
        .iter()
        .flat_map(|body| serde_json::from_str::<Batch>(body).unwrap().records)
        .collect()
}

#[wasm_bindgen_test]
async fn an_exposure_is_logged_once_across_reloads() {
    clear_local_storage();
    let store = Store::open();
    let (user, variant) = someone(1);
    for _reload in 0..3 {
        let log = EventLog::open(store, None);
        log.exposure(&user, &variant);
        log.exposure(&user, &variant);
    }
    let queued = Queue::new(&store).records();
    assert_eq!(queued.len(), 1);
    let record: Record = serde_json::from_str(&queued[0]).unwrap();
    let Record::Exposure {
        user_id,
        experiment,
        group,
        rule_id,
        ..
    } = record
    else {
        panic!("not an exposure: {record:?}");
    };
    assert_eq!(
        (user_id.as_str(), experiment.as_str()),
        (user.user_id.as_str(), "button_color_v3")
    );
    assert_eq!(Some(group), variant.group);
    assert_eq!(rule_id, variant.rule_id);
    // Another user is another exposure.
    let (other, other_variant) = someone(2);
    EventLog::open(store, None).exposure(&other, &other_variant);
    assert_eq!(Queue::new(&store).len(), 2);
}

#[wasm_bindgen_test]
async fn the_queue_survives_a_reload_and_is_delivered_once_the_collector_answers() {
    clear_local_storage();
    capture_console();
    let store = Store::open();
    let (user, variant) = someone(3);
    script_collector(vec![0, 503, 200]);
    let log = EventLog::open(store, Some("/api".into()));
    log.event("cta_click", &user, &variant);
    sleep(50).await;
    assert_eq!(log.pending(), (1, 0), "kept after a network error");
    // A reload: the queue is read back from localStorage.
    let log = EventLog::open(store, Some("/api".into()));
    log.event("visited_signup", &user, &variant);
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
    let (user, variant) = someone(4);
    let log = EventLog::open_with_capacity(store, None, 3);
    for _ in 0..5 {
        log.event("cta_click", &user, &variant);
    }
    assert_eq!(log.pending(), (3, 2));
    assert!(
        console_text().contains("the event queue is full"),
        "{}",
        console_text()
    );
    script_collector(vec![200]);
    let log = EventLog::open_with_capacity(store, Some("/api".into()), 3);
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

#[wasm_bindgen_test]
async fn a_refused_batch_is_dropped_and_said_so_and_a_missing_collector_keeps_events_local() {
    clear_local_storage();
    capture_console();
    let store = Store::open();
    let (user, variant) = someone(5);
    script_collector(vec![422]);
    let log = EventLog::open(store, Some("/api".into()));
    log.event("cta_click", &user, &variant);
    sleep(100).await;
    assert_eq!(log.pending().0, 0);
    assert!(
        console_text().contains(
            "the collector refused a batch of 1 records (status 422: record 0: unknown event"
        ),
        "{}",
        console_text()
    );

    script_collector(vec![404]);
    let log = EventLog::open(store, Some("/api".into()));
    log.event("cta_click", &user, &variant);
    sleep(100).await;
    log.event("visited_signup", &user, &variant);
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
    let (user, variant) = someone(6);
    script_collector(vec![200]);
    let log = EventLog::open(store, None);
    log.exposure(&user, &variant);
    log.event("visited_signup", &user, &variant);
    sleep(50).await;
    assert_eq!(sent_bodies().len(), 0);
    assert_eq!(log.pending().0, 2);
}
