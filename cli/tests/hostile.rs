//! Hostile numbers over real HTTP, on SQLite and on a real PostgreSQL (a throwaway cluster):
//! extreme values in every numeric field a client sends (a record's `time`, an event's
//! `value`, a batch's `dropped` and `sent_at`) get a 200 with each record accounted for, or a
//! 400 that says why, and never cost the results: they answer 200 with finite figures after
//! every batch. A batch's claim of dropped records counts once however often it is retried,
//! and at most `MAX_DROPPED`; one UUID in upper and in lower case is one record.

mod common;

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use cohort_protocol::MAX_DROPPED;
use cohort_throwaway_postgres::ThrowawayPostgres;
use reqwest::blocking::Client;
use serde_json::Value;

use common::{group_of, spawn_collector};

/// Numbers as a client may write them: integers at and past `i64`'s and `u64`'s ends, floats
/// at and past `f64`'s, at and past the event value's bound, fractions, zero and negatives.
const EXTREMES: &[&str] = &[
    "0",
    "-1",
    "1",
    "1.5",
    "-0.0",
    "999999999999999",
    "1e15",
    "-1e15",
    "1000000000000001",
    "1e200",
    "-1e200",
    "1.7976931348623157e308",
    "-1.7976931348623157e308",
    "1e400",
    "5e-324",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
];

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A small seeded generator (xorshift), so every run sends the same batches.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// An extreme number, or (half the time) an ordinary value `usual`.
    fn number(&mut self, usual: String) -> String {
        if self.next().is_multiple_of(2) {
            usual
        } else {
            EXTREMES[(self.next() % EXTREMES.len() as u64) as usize].to_owned()
        }
    }
}

struct Collector {
    child: Child,
    url: String,
    http: Client,
}

impl Collector {
    fn start(db: &str) -> Collector {
        let limits = ["--rate-limit", "100000", "--read-rate-limit", "100000"];
        let (child, url) = spawn_collector(db, &limits, None, Stdio::null());
        Collector {
            child,
            url,
            http: Client::new(),
        }
    }

    fn post(&self, body: String) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/api/events", self.url))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().unwrap_or(Value::Null))
    }

    /// The course experiment's results: they must answer 200, with finite figures.
    fn results(&self) -> Value {
        let response = self
            .http
            .get(format!(
                "{}/api/results?experiment=button_color_v3",
                self.url
            ))
            .send()
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().unwrap();
        assert_eq!(status, 200, "results: {text}");
        assert!(!text.contains("NaN") && !text.contains("inf"), "{text}");
        serde_json::from_str(&text).unwrap()
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A batch of an exposure (in the user's real group) and an event, with `time`, `value`,
/// `dropped` and `sent_at` written as given.
fn batch(n: u64, user: &str, [time, value, dropped, sent_at]: [&str; 4]) -> String {
    let group = group_of(user);
    format!(
        r#"{{"records": [
            {{"exposure": {{"id": "{n:08x}-0000-4000-8000-000000000001", "user_id": "{user}",
              "experiment": "button_color_v3", "group": "{group}", "rule_id": "r", "time": {time}}}}},
            {{"event": {{"id": "{n:08x}-0000-4000-8000-000000000002", "user_id": "{user}",
              "name": "cta_click", "time": {time}, "value": {value}}}}}
        ], "dropped": {dropped}, "sent_at": {sent_at}}}"#
    )
}

fn dropped_by_clients(results: &Value) -> u64 {
    results["dropped_by_clients"].as_u64().unwrap()
}

/// The property, on the collector storing in `db`.
fn extreme_numbers_never_break_results(db: &str) {
    let collector = Collector::start(db);
    let mut draw = Draw(0x9e37_79b9_7f4a_7c15);
    let mut counted_batches = 0;
    for n in 0..120u64 {
        let now = now_ms();
        let user = format!("hostile-{}", n % 17);
        let fields = [
            draw.number(now.to_string()),
            draw.number("12.5".into()),
            draw.number("3".into()),
            draw.number(now.to_string()),
        ];
        let fields = [&*fields[0], &*fields[1], &*fields[2], &*fields[3]];
        let (status, answer) = collector.post(batch(n, &user, fields));
        match status {
            200 => {
                let stored = answer["stored"].as_u64().unwrap();
                let duplicates = answer["duplicates"].as_u64().unwrap();
                let refused = answer["refused"].as_array().unwrap();
                assert_eq!(
                    stored + duplicates + refused.len() as u64,
                    2,
                    "{fields:?}: {answer}"
                );
                for refusal in refused {
                    assert!(!refusal["reason"].as_str().unwrap().is_empty());
                }
                counted_batches += u64::from(stored > 0);
            }
            400 => assert!(
                !answer["error"].as_str().unwrap_or_default().is_empty(),
                "{fields:?}: a 400 says why: {answer}"
            ),
            other => panic!("{fields:?}: answered {other}: {answer}"),
        }
        let results = collector.results();
        assert!(dropped_by_clients(&results) <= counted_batches * MAX_DROPPED);
    }

    // A good batch claiming 5 dropped records, sent three times (its answer lost twice).
    let before = dropped_by_clients(&collector.results());
    let now = now_ms().to_string();
    let retried = batch(10_000, "retrying", [&now, "1", "5", &now]);
    for _ in 0..3 {
        assert_eq!(collector.post(retried.clone()).0, 200);
    }
    assert_eq!(dropped_by_clients(&collector.results()), before + 5);
    let huge = batch(
        10_001,
        "claiming",
        [&now, "1", "18446744073709551615", &now],
    );
    assert_eq!(collector.post(huge).0, 200);
    assert_eq!(
        dropped_by_clients(&collector.results()),
        before + 5 + MAX_DROPPED
    );
}

#[test]
fn extreme_numbers_never_break_results_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hostile.db");
    extreme_numbers_never_break_results(path(&db));
}

#[test]
fn extreme_numbers_never_break_results_on_postgres() {
    let cluster = ThrowawayPostgres::start().unwrap_or_else(|e| panic!("{e}"));
    extreme_numbers_never_break_results(&cluster.database("hostile").unwrap());
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn one_uuid_sent_in_upper_and_in_lower_case_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let collector = Collector::start(path(&dir.path().join("case.db")));
    let now = now_ms().to_string();
    let lower = batch(0xabcdef, "casey", [&now, "1", "0", &now]);
    let upper = lower.replace("00abcdef-0000-4000-8000", "00ABCDEF-0000-4000-8000");
    assert_ne!(upper, lower);
    let (status, first) = collector.post(upper);
    assert_eq!(
        (status, first["stored"].as_u64()),
        (200, Some(2)),
        "{first}"
    );
    let (status, again) = collector.post(lower);
    assert_eq!(status, 200);
    assert_eq!(
        (again["stored"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(2)),
        "{again}"
    );
}

#[test]
fn one_user_id_past_its_budget_of_records_a_minute_is_refused_and_others_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let collector = Collector::start(path(&dir.path().join("budget.db")));
    let now = now_ms();
    let (mut stored, mut refused) = (0, Vec::new());
    let started = std::time::Instant::now();
    for chunk in 0..3u64 {
        let records: Vec<String> = (0..500u64)
            .map(|k| {
                let n = chunk * 500 + k;
                // Every tenth record is another user's.
                let user = if k % 10 == 9 { format!("other-{n}") } else { "flood".into() };
                format!(
                    r#"{{"event": {{"id": "{n:08x}-0000-4000-8000-00000000000b", "user_id": "{user}",
                        "name": "cta_click", "time": {now}}}}}"#
                )
            })
            .collect();
        let body = format!(
            r#"{{"records": [{}], "sent_at": {now}}}"#,
            records.join(",")
        );
        let (status, answer) = collector.post(body);
        assert_eq!(status, 200, "{answer}");
        stored += answer["stored"].as_u64().unwrap();
        refused.extend(answer["refused"].as_array().unwrap().clone());
    }
    // 1,350 of "flood"'s records: 1,200 stored, and one more for each 50 ms the batches took
    // (the budget refills at 1,200 a minute), the rest refused; all 150 of the others stored.
    let refilled = started.elapsed().as_millis() as usize / 50 + 1;
    let flood_stored = stored as usize - 150;
    assert!(
        (1_200..=1_200 + refilled).contains(&flood_stored),
        "{flood_stored}"
    );
    assert_eq!(refused.len(), 1_350 - flood_stored);
    assert!(
        !refused.is_empty(),
        "the batches took {:?}",
        started.elapsed()
    );
    for refusal in &refused {
        assert_eq!(
            refusal["reason"],
            "user \"flood\" sent more than 1200 records in a minute"
        );
    }
}
