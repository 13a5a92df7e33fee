//! Traffic for the tests that break things under load: batches with fresh IDs, sending them
//! as a page does, and checking afterwards that every acknowledged record is stored once.
#![allow(dead_code)] // not every test file uses every helper

use std::io::Read;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::blocking::{Client, Response};
use serde_json::{json, Value};

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A batch of `size` events with fresh IDs (from `next`), and the IDs.
pub fn batch(next: &AtomicU64, size: u64, padding: usize) -> (Vec<String>, String) {
    let now = now_ms();
    let mut ids = Vec::new();
    let records: Vec<Value> = (0..size)
        .map(|_| {
            let n = next.fetch_add(1, Ordering::Relaxed);
            let id = format!("{n:08x}-0000-4000-8000-0000000000fa");
            ids.push(id.clone());
            let user = format!("fault-{n}-{}", "u".repeat(padding));
            json!({"event": {"id": id, "user_id": user, "name": "cta_click", "time": now}})
        })
        .collect();
    (ids, json!({"records": records, "sent_at": now}).to_string())
}

/// Posts the batch `body` to the collector at `url` (30 s at most).
pub fn post(http: &Client, url: &str, body: &str) -> reqwest::Result<Response> {
    http.post(format!("{url}/api/events"))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .timeout(Duration::from_secs(30))
        .send()
}

/// Posts `body`: the status, and whether every record was stored or already stored.
pub fn send(http: &Client, url: &str, body: &str, size: u64) -> Option<u16> {
    let response = post(http, url, body).ok()?;
    let status = response.status().as_u16();
    if status == 200 {
        let ack: Value = response.json().ok()?;
        let accounted = ack["stored"].as_u64()? + ack["duplicates"].as_u64()?;
        assert_eq!(
            accounted, size,
            "every record of an acknowledged batch is stored: {ack}"
        );
    }
    Some(status)
}

/// The IDs `cohort export` reads from `db`.
pub fn exported(db: &str) -> Vec<String> {
    let output = Command::new(env!("CARGO_BIN_EXE_cohort"))
        .args(["export", "--db", db])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// Every acknowledged ID is exported exactly once.
pub fn each_once(acked: &[String], db: &str) {
    let exported = exported(db);
    let mut seen = std::collections::BTreeMap::new();
    for id in &exported {
        *seen.entry(id.as_str()).or_insert(0u32) += 1;
    }
    assert!(seen.values().all(|n| *n == 1), "no record twice");
    let missing: Vec<&String> = acked
        .iter()
        .filter(|id| !seen.contains_key(id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged records missing",
        missing.len()
    );
}

/// Reads `child`'s stderr as it comes (a pipe nobody reads fills, and then the collector's
/// logging blocks it), for [`stop`].
pub fn drain_stderr(child: &mut Child) -> std::thread::JoinHandle<String> {
    let mut pipe = child.stderr.take().expect("stderr is piped");
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// Stops `child` and returns what it wrote to stderr.
pub fn stop(mut child: Child, stderr: std::thread::JoinHandle<String>) -> String {
    let _ = child.kill();
    let _ = child.wait();
    stderr.join().unwrap_or_default()
}
