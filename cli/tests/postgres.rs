//! Several collectors sharing one PostgreSQL (a throwaway cluster): clients spread across two
//! `cohort serve` processes, batches resent to both, one collector killed with SIGKILL in the
//! middle of the stream, its clients moving to the other as a page would. Every acknowledged
//! record is stored exactly once, and `cohort results` and `cohort export` read the database.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cohort_throwaway_postgres::ThrowawayPostgres;
use serde_json::{json, Value};

use common::{group_of, spawn_collector};

const CLIENTS: u64 = 6;
const BATCHES_PER_CLIENT: u64 = 40;
const RECORDS_PER_BATCH: u64 = 20;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Client `client`'s batch `k`: an exposure (in the user's real group) and an event for each
/// of ten users.
fn batch(client: u64, k: u64, now: i64) -> (Vec<String>, String) {
    let mut ids = Vec::new();
    let mut records = Vec::new();
    for r in 0..RECORDS_PER_BATCH {
        let n = (client * BATCHES_PER_CLIENT + k) * RECORDS_PER_BATCH + r;
        let id = format!("{n:08x}-0000-4000-8000-000000000000");
        let user = format!("pg-user-{client}-{}", (k * RECORDS_PER_BATCH + r) / 2 % 97);
        records.push(if r % 2 == 0 {
            json!({"exposure": {"id": id, "user_id": user, "experiment": "button_color_v3",
                   "group": group_of(&user), "rule_id": "r", "time": now}})
        } else {
            json!({"event": {"id": id, "user_id": user, "name": "cta_click", "time": now}})
        });
        ids.push(id);
    }
    (ids, json!({"records": records, "sent_at": now}).to_string())
}

/// Sends `body` to `url`; the acknowledgement, or `None` if the collector did not answer 200.
fn send(http: &reqwest::blocking::Client, url: &str, body: &str) -> Option<Value> {
    let response = common::traffic::post(http, url, body).ok()?;
    (response.status().as_u16() == 200).then(|| response.json().ok())?
}

#[test]
fn two_collectors_share_one_database_and_a_kill_loses_nothing() {
    let cluster = ThrowawayPostgres::start().unwrap_or_else(|e| panic!("{e}"));
    let db = cluster.database("shared").unwrap();
    // No secret given: the first collector makes one and keeps it in the database, where the
    // second finds it.
    let spawn = || spawn_collector(&db, &["--rate-limit", "100000"], None, Stdio::null());
    let (mut doomed, doomed_url) = spawn();
    let (mut survivor, survivor_url) = spawn();
    let whoami = |url: &str| -> Value {
        reqwest::blocking::get(format!("{url}/api/whoami"))
            .unwrap()
            .json()
            .unwrap()
    };
    assert_eq!(
        whoami(&doomed_url),
        whoami(&survivor_url),
        "one secret for both"
    );

    let urls = Arc::new(Mutex::new(vec![doomed_url, survivor_url.clone()]));
    let acked = Arc::new(Mutex::new(BTreeMap::<String, u64>::new()));
    let batches_acked = Arc::new(AtomicU64::new(0));
    let now = now_ms();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (urls, acked, batches_acked) = (urls.clone(), acked.clone(), batches_acked.clone());
            std::thread::spawn(move || {
                let http = reqwest::blocking::Client::new();
                let mut moved = 0;
                for k in 0..BATCHES_PER_CLIENT {
                    let (ids, body) = batch(client, k, now);
                    // Every fifth batch is sent twice, once to each collector.
                    let copies = if k % 5 == 0 { 2 } else { 1 };
                    for copy in 0..copies {
                        let mut attempt = 0;
                        let ack = loop {
                            let choice = {
                                let urls = urls.lock().unwrap();
                                urls[((client + k + copy + attempt) % urls.len() as u64) as usize]
                                    .clone()
                            };
                            if let Some(ack) = send(&http, &choice, &body) {
                                break ack;
                            }
                            // As a page does: keep the batch, try again (here: the other one).
                            attempt += 1;
                            moved += 1;
                            assert!(attempt < 50, "client {client} batch {k} never stored");
                            std::thread::sleep(Duration::from_millis(20));
                        };
                        let answered =
                            ack["stored"].as_u64().unwrap() + ack["duplicates"].as_u64().unwrap();
                        assert_eq!(answered, RECORDS_PER_BATCH, "{ack}");
                        let mut acked = acked.lock().unwrap();
                        for id in &ids {
                            *acked.entry(id.clone()).or_default() += 1;
                        }
                    }
                    batches_acked.fetch_add(1, Ordering::SeqCst);
                }
                moved
            })
        })
        .collect();

    // A third of the way in, the first collector dies without a chance to clean up.
    while batches_acked.load(Ordering::SeqCst) < CLIENTS * BATCHES_PER_CLIENT / 3 {
        std::thread::sleep(Duration::from_millis(5));
    }
    doomed.kill().unwrap();
    doomed.wait().unwrap();
    let killed_at = batches_acked.load(Ordering::SeqCst);
    // Clients find out by failing; new clients would be sent to the survivor by a balancer.
    let moved: u64 = clients.into_iter().map(|c| c.join().unwrap()).sum();
    urls.lock().unwrap().remove(0);
    assert!(
        killed_at < CLIENTS * BATCHES_PER_CLIENT,
        "the kill came mid-stream ({killed_at} batches in)"
    );

    let acked = acked.lock().unwrap().clone();
    assert_eq!(
        acked.len() as u64,
        CLIENTS * BATCHES_PER_CLIENT * RECORDS_PER_BATCH
    );

    // Every acknowledged record is in the database exactly once.
    let export = Command::new(env!("CARGO_BIN_EXE_cohort"))
        .args(["export", "--db", &db])
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let stored: Vec<String> = String::from_utf8(export.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            v["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let unique: BTreeSet<&String> = stored.iter().collect();
    assert_eq!(unique.len(), stored.len(), "no record stored twice");
    let acked_ids: BTreeSet<&String> = acked.keys().collect();
    assert_eq!(unique, acked_ids, "every acknowledged record stored");

    // The survivor and the CLI give the same results: every user, counted once.
    let users: BTreeSet<String> = (0..CLIENTS)
        .flat_map(|c| (0..97).map(move |u| format!("pg-user-{c}-{u}")))
        .collect();
    let served: Value = reqwest::blocking::get(format!(
        "{survivor_url}/api/results?experiment=button_color_v3"
    ))
    .unwrap()
    .json()
    .unwrap();
    assert_eq!(served["total_users"].as_u64().unwrap(), users.len() as u64);
    let results = Command::new(env!("CARGO_BIN_EXE_cohort"))
        .args([
            "results",
            "--db",
            &db,
            "--experiment",
            "button_color_v3",
            "--json",
        ])
        .arg("--rules")
        .arg(common::repo("experiments"))
        .output()
        .unwrap();
    assert!(
        results.status.success(),
        "{}",
        String::from_utf8_lossy(&results.stderr)
    );
    let printed: Value = serde_json::from_slice(&results.stdout).unwrap();
    assert_eq!(printed, served);
    let clicks = printed["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"]["name"] == "clicks")
        .unwrap()["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["stats"]["sum"].as_f64().unwrap())
        .sum::<f64>();
    assert_eq!(
        clicks,
        (CLIENTS * BATCHES_PER_CLIENT * RECORDS_PER_BATCH / 2) as f64
    );
    println!("{killed_at} batches acknowledged before the kill; {moved} sends failed over");
    survivor.kill().unwrap();
    survivor.wait().unwrap();
}

/// A page watching one collector's results learns of records another collector stored: the
/// first collector's tag moves (PostgreSQL's `LISTEN`/`NOTIFY`) within two seconds.
#[test]
fn a_collector_tags_its_results_anew_when_another_one_stores_records() {
    let cluster = ThrowawayPostgres::start().unwrap_or_else(|e| panic!("{e}"));
    let db = cluster.database("watched").unwrap();
    let (mut watched, watched_url) = spawn_collector(&db, &[], None, Stdio::null());
    let (mut writer, writer_url) = spawn_collector(&db, &[], None, Stdio::null());
    let http = reqwest::blocking::Client::new();
    let results = format!("{watched_url}/api/results?experiment=button_color_v3");
    let ask = |tag: &str| {
        let response = http
            .get(&results)
            .header("if-none-match", tag)
            .send()
            .unwrap();
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        (response.status().as_u16(), etag)
    };
    let (_, tag) = ask("none");
    assert_eq!(ask(&tag).0, 304);
    let (_, body) = batch(0, 0, now_ms());
    assert!(send(&http, &writer_url, &body).is_some());
    let sent = std::time::Instant::now();
    let mut status = 304;
    while status == 304 && sent.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(50));
        status = ask(&tag).0;
    }
    assert_eq!(
        status, 200,
        "the watched collector's answer changed within 2 s"
    );
    for child in [&mut watched, &mut writer] {
        let _ = child.kill();
        let _ = child.wait();
    }
}
