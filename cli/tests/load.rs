//! Load tests of the collector on loopback, bounded in count and time: 8 clients send
//! 50-record batches (1,600 batches, 80,000 records, or 60 seconds, whichever comes first), to
//! one collector on SQLite, and spread over two collectors sharing one PostgreSQL (a throwaway
//! cluster), each with every batch committed alone and with group commit. Each prints records
//! ingested per second and the p50 and p99 latency of a batch.
//! Ignored by default; `scripts/bench` runs them in release.

mod common;

use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;

const CLIENTS: u64 = 8;
const BATCHES_PER_CLIENT: u64 = 200;
const RECORDS_PER_BATCH: u64 = 50;
const TIME_LIMIT: Duration = Duration::from_secs(60);
const USERS_PER_CLIENT: u64 = 5000;

/// The collector's two ways to commit: each batch in a transaction of its own (as before
/// group commit), and up to 64 batches that arrive together in one (the default).
const COMMITS: [(&str, &str); 2] = [("each batch its own commit", "1"), ("group commit", "64")];

#[test]
#[ignore = "a load test: scripts/bench runs it in release"]
fn collector_throughput_and_latency() {
    let dir = tempfile::tempdir().unwrap();
    for (how, group) in COMMITS {
        let (mut server, base) = common::spawn_collector(
            dir.path().join(format!("load-{group}.db")),
            &["--rate-limit", "1000000", "--commit-group", group],
            Some("load-test-secret-0000"),
            Stdio::null(),
        );
        load(&format!("one collector on SQLite, {how}"), &[base]);
        server.kill().unwrap();
        server.wait().unwrap();
    }
}

#[test]
#[ignore = "a load test: scripts/bench runs it in release"]
fn two_collectors_on_postgres_throughput_and_latency() {
    let cluster = cohort_throwaway_postgres::ThrowawayPostgres::start().unwrap();
    for (how, group) in COMMITS {
        let db = cluster.database(&format!("load{group}")).unwrap();
        let servers: Vec<_> = (0..2)
            .map(|_| {
                common::spawn_collector(
                    &db,
                    &["--rate-limit", "1000000", "--commit-group", group],
                    Some("load-test-secret-0000"),
                    Stdio::null(),
                )
            })
            .collect();
        let urls: Vec<String> = servers.iter().map(|(_, url)| url.clone()).collect();
        load(&format!("two collectors on PostgreSQL, {how}"), &urls);
        for (mut server, _) in servers {
            server.kill().unwrap();
            server.wait().unwrap();
        }
    }
}

/// Sends the load to `bases` (client `i` to `bases[i % n]`) and prints the figures.
fn load(label: &str, bases: &[String]) {
    // Each user's real group, so that every exposure is counted (as from real pages).
    let rules = {
        let text =
            std::fs::read_to_string(common::repo("experiments/button_color_v3.json")).unwrap();
        cohort::Rules::from_statsig_json(&text, cohort::CompileOptions::STRICT).unwrap()
    };
    let groups: Arc<Vec<Vec<String>>> = Arc::new(
        (0..CLIENTS)
            .map(|client| {
                (0..USERS_PER_CLIENT)
                    .map(|k| {
                        let user = cohort::User::with_id(format!("user-{client}-{k}"));
                        let e = rules.evaluator().get_experiment(&user, "button_color_v3");
                        e.group().unwrap().to_owned()
                    })
                    .collect()
            })
            .collect(),
    );

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let next_id = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let url = format!("{}/api/events", bases[client as usize % bases.len()]);
            let (next_id, groups) = (next_id.clone(), groups.clone());
            std::thread::spawn(move || {
                let http = reqwest::blocking::Client::new();
                let mut latencies = Vec::new();
                for _ in 0..BATCHES_PER_CLIENT {
                    if started.elapsed() > TIME_LIMIT {
                        break;
                    }
                    let records: Vec<_> = (0..RECORDS_PER_BATCH)
                        .map(|_| {
                            let n = next_id.fetch_add(1, Ordering::Relaxed);
                            let k = n % USERS_PER_CLIENT;
                            let user = format!("user-{client}-{k}");
                            let group = &groups[client as usize][k as usize];
                            if n % 2 == 0 {
                                json!({"exposure": {"id": format!("{n:08x}-0000-4000-8000-000000000000"),
                                       "user_id": user, "experiment": "button_color_v3",
                                       "group": group, "rule_id": "r", "time": now}})
                            } else {
                                json!({"event": {"id": format!("{n:08x}-0000-4000-8000-000000000000"),
                                       "user_id": user, "name": "cta_click", "time": now}})
                            }
                        })
                        .collect();
                    let body = json!({"records": records}).to_string();
                    let sent = Instant::now();
                    let response = http.post(&url).header("content-type", "application/json").body(body).send().unwrap();
                    assert_eq!(response.status().as_u16(), 200);
                    let ack: serde_json::Value = response.json().unwrap();
                    assert_eq!(ack["stored"], RECORDS_PER_BATCH, "{ack}");
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    let elapsed = started.elapsed();

    latencies.sort();
    let batches = latencies.len() as f64;
    let records = batches * RECORDS_PER_BATCH as f64;
    let p50 = latencies[latencies.len() / 2];
    let p99 = latencies[(latencies.len() * 99 / 100).min(latencies.len() - 1)];
    println!(
        "collector ({label}): {records:.0} records in {batches:.0} batches of {RECORDS_PER_BATCH} from {CLIENTS} clients in {:.2} s: \
         {:.0} records/s, batch latency p50 {:.1} ms, p99 {:.1} ms",
        elapsed.as_secs_f64(),
        records / elapsed.as_secs_f64(),
        p50.as_secs_f64() * 1000.0,
        p99.as_secs_f64() * 1000.0
    );
    assert!(batches > 0.0);
}
