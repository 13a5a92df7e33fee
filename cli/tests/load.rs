//! Load tests of the collector on loopback, bounded in count and time: 8 clients send
//! 50-record batches (1,600 batches, 80,000 records, or 60 seconds, whichever comes first), to
//! one collector on SQLite, and spread over two collectors sharing one PostgreSQL (a throwaway
//! cluster), each with every batch committed alone and with group commit; SQLite again with its
//! file in memory (a tmpfs), where syncs cost nothing: the ceiling without a disk. Each prints
//! records ingested per second and the p50 and p99 latency of a batch. The clients share the
//! collector's cores, so they cost it as little as they can: every body is written before the
//! clock starts, and the 8 clients are tasks on one thread.
//! Ignored by default; `scripts/bench` runs them in release.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;

const CLIENTS: u64 = 8;
const BATCHES_PER_CLIENT: u64 = 200;
const RECORDS_PER_BATCH: u64 = 50;
const TIME_LIMIT: Duration = Duration::from_secs(60);
const USERS_PER_CLIENT: u64 = 5000;

/// The collector's two ways to commit: each batch in a transaction of its own (as before
/// group commit; on SQLite one sync of the log may now cover several such commits), and up to
/// 64 batches that arrive together in one (the default).
const COMMITS: [(&str, &str); 2] = [("each batch its own commit", "1"), ("group commit", "64")];

/// Runs of each configuration, each on a new database; the median (by records per second) is
/// reported with the range, since one short run on a shared machine says little.
const RUNS: usize = 3;

/// Where the SQLite runs keep their database: on disk (as deployed), and in memory (a tmpfs,
/// where `fsync` costs nothing and every write is a copy): what the collector stores with no
/// disk at all, the ceiling that fewer or cheaper syncs can approach.
fn sqlite_places() -> Vec<(&'static str, tempfile::TempDir)> {
    let mut places = vec![("", tempfile::tempdir().unwrap())];
    let memory = std::path::Path::new("/dev/shm");
    if memory.is_dir() {
        places.push((
            " on a RAM disk (tmpfs), the ceiling without syncs",
            tempfile::tempdir_in(memory).unwrap(),
        ));
    }
    places
}

#[test]
#[ignore = "a load test: scripts/bench runs it in release"]
fn collector_throughput_and_latency() {
    let bodies = bodies();
    for (place, dir) in sqlite_places() {
        for (how, group) in COMMITS {
            let runs = (0..RUNS)
                .map(|run| {
                    let (mut server, base) = common::spawn_collector(
                        dir.path().join(format!("load-{group}-{run}.db")),
                        &["--rate-limit", "1000000", "--commit-group", group],
                        Some("load-test-secret-0000"),
                        Stdio::null(),
                    );
                    let figures = load(&bodies, &[base]);
                    server.kill().unwrap();
                    server.wait().unwrap();
                    figures
                })
                .collect();
            report(&format!("one collector on SQLite{place}, {how}"), runs);
        }
    }
}

#[test]
#[ignore = "a load test: scripts/bench runs it in release"]
fn two_collectors_on_postgres_throughput_and_latency() {
    let cluster = cohort_throwaway_postgres::ThrowawayPostgres::start().unwrap();
    let bodies = bodies();
    for (how, group) in COMMITS {
        let runs = (0..RUNS)
            .map(|run| {
                let db = cluster.database(&format!("load{group}_{run}")).unwrap();
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
                let figures = load(&bodies, &urls);
                for (mut server, _) in servers {
                    server.kill().unwrap();
                    server.wait().unwrap();
                }
                figures
            })
            .collect();
        report(&format!("two collectors on PostgreSQL, {how}"), runs);
    }
}

/// What one run measured.
struct Figures {
    batches: usize,
    elapsed: Duration,
    p50: Duration,
    p99: Duration,
}

impl Figures {
    fn records(&self) -> u64 {
        self.batches as u64 * RECORDS_PER_BATCH
    }

    fn records_per_second(&self) -> f64 {
        self.records() as f64 / self.elapsed.as_secs_f64()
    }
}

/// Prints the median of `runs` (by records per second), and their range.
fn report(label: &str, mut runs: Vec<Figures>) {
    runs.sort_by(|a, b| a.records_per_second().total_cmp(&b.records_per_second()));
    let median = &runs[runs.len() / 2];
    println!(
        "collector ({label}): {} records in {} batches of {RECORDS_PER_BATCH} from {CLIENTS} clients in {:.2} s: \
         {:.0} records/s, batch latency p50 {:.1} ms, p99 {:.1} ms; the median of {} runs, {:.0} to {:.0} records/s",
        median.records(),
        median.batches,
        median.elapsed.as_secs_f64(),
        median.records_per_second(),
        median.p50.as_secs_f64() * 1000.0,
        median.p99.as_secs_f64() * 1000.0,
        runs.len(),
        runs[0].records_per_second(),
        runs[runs.len() - 1].records_per_second(),
    );
}

/// Each client's batch bodies, in order, written once for every run (each run stores them in a
/// new database).
fn bodies() -> Vec<Vec<String>> {
    // Each user's real group, so that every exposure is counted (as from real pages).
    let rules = {
        let text =
            std::fs::read_to_string(common::repo("experiments/button_color_v3.json")).unwrap();
        cohort::Rules::from_statsig_json(&text, cohort::CompileOptions::STRICT).unwrap()
    };
    let groups: Vec<Vec<String>> = (0..CLIENTS)
        .map(|client| {
            (0..USERS_PER_CLIENT)
                .map(|k| {
                    let user = cohort::User::with_id(format!("user-{client}-{k}"));
                    let e = rules.evaluator().get_experiment(&user, "button_color_v3");
                    e.group().unwrap().to_owned()
                })
                .collect()
        })
        .collect();

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    // Every body is written before any clock starts: the clients share the collector's two
    // cores, and what they spend is not the collector's. Record `n` (unique, and increasing
    // with the batch) is an exposure when even, an event when odd, of user `n % USERS_PER_CLIENT`
    // of its client.
    (0..CLIENTS)
        .map(|client| {
            (0..BATCHES_PER_CLIENT)
                .map(|batch| {
                    let first = (batch * CLIENTS + client) * RECORDS_PER_BATCH;
                    let records: Vec<_> = (first..first + RECORDS_PER_BATCH)
                        .map(|n| {
                            let k = n % USERS_PER_CLIENT;
                            let user = format!("user-{client}-{k}");
                            let id = format!("{n:08x}-0000-4000-8000-000000000000");
                            if n % 2 == 0 {
                                let group = &groups[client as usize][k as usize];
                                json!({"exposure": {"id": id, "user_id": user,
                                       "experiment": "button_color_v3", "group": group,
                                       "rule_id": "r", "time": now}})
                            } else {
                                json!({"event": {"id": id, "user_id": user,
                                       "name": "cta_click", "time": now}})
                            }
                        })
                        .collect();
                    json!({"records": records}).to_string()
                })
                .collect()
        })
        .collect()
}

/// Sends `bodies` (client `i`'s to `bases[i % n]`); returns what it measured.
fn load(bodies: &[Vec<String>], bases: &[String]) -> Figures {
    let bodies = bodies.to_vec();
    // The 8 clients are tasks on one thread (one Tokio runtime of its own): light enough
    // that what is measured is the collector.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let mut latencies: Vec<Duration> = runtime.block_on(async {
        let http = reqwest::Client::new();
        let clients: Vec<_> = bodies
            .into_iter()
            .enumerate()
            .map(|(client, bodies)| {
                let url = format!("{}/api/events", bases[client % bases.len()]);
                let http = http.clone();
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    for body in bodies {
                        if started.elapsed() > TIME_LIMIT {
                            break;
                        }
                        let sent = Instant::now();
                        let response = http
                            .post(&url)
                            .header("content-type", "application/json")
                            .body(body)
                            .send()
                            .await
                            .unwrap();
                        assert_eq!(response.status().as_u16(), 200);
                        let ack: serde_json::Value = response.json().await.unwrap();
                        assert_eq!(ack["stored"], RECORDS_PER_BATCH, "{ack}");
                        latencies.push(sent.elapsed());
                    }
                    latencies
                })
            })
            .collect();
        let mut latencies = Vec::new();
        for client in clients {
            latencies.extend(client.await.unwrap());
        }
        latencies
    });
    let elapsed = started.elapsed();

    latencies.sort();
    assert!(!latencies.is_empty(), "no batch was answered");
    Figures {
        batches: latencies.len(),
        elapsed,
        p50: latencies[latencies.len() / 2],
        p99: latencies[(latencies.len() * 99 / 100).min(latencies.len() - 1)],
    }
}
