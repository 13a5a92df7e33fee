//! The collector under faults at scale, measured: five SIGKILLs under 16 clients (SQLite and
//! PostgreSQL), PostgreSQL stopped for 10 s, a SQLite write lock held for 10 s and the process
//! stopped (SIGSTOP) for 5 s under 4 clients each, and 10,000 idle connections. Clients behave
//! as pages do: a batch is sent again until it is acknowledged. Each run asserts that every
//! acknowledged record is stored exactly once and that nothing panicked, and prints a row of
//! the table `scripts/soak` writes into docs/robustness.md.
//!
//! Ignored by default (a few minutes); `scripts/soak` runs them in release.

mod common;

use std::io::Read;
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cohort_throwaway_postgres::ThrowawayPostgres;
use reqwest::blocking::Client;

use common::spawn_collector;
use common::traffic::{batch, drain_stderr, each_once, exported, send, stop};

/// A collector that can be killed and started again on the same database.
struct Collector {
    db: String,
    extra: Vec<String>,
    child: Child,
    stderr: JoinHandle<String>,
    /// What the collectors before this one wrote to stderr.
    log: String,
}

impl Collector {
    fn start(db: &str, extra: &[&str]) -> (Collector, String) {
        let (mut child, url) = spawn_collector(
            db,
            extra,
            Some("a-secret-for-the-soak-runs"),
            Stdio::piped(),
        );
        let stderr = drain_stderr(&mut child);
        let collector = Collector {
            db: db.to_owned(),
            extra: extra.iter().map(|s| s.to_string()).collect(),
            child,
            stderr,
            log: String::new(),
        };
        (collector, url)
    }

    /// SIGKILL, then a new collector on the same database; its URL.
    fn kill_and_restart(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let extra: Vec<&str> = self.extra.iter().map(String::as_str).collect();
        let (mut child, url) = spawn_collector(
            &self.db,
            &extra,
            Some("a-secret-for-the-soak-runs"),
            Stdio::piped(),
        );
        let stderr = drain_stderr(&mut child);
        let old = std::mem::replace(&mut self.stderr, stderr);
        self.child = child;
        self.log.push_str(&old.join().unwrap_or_default());
        url
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Stops the collector; everything every collector wrote to stderr.
    fn finish(self) -> String {
        let mut log = self.log;
        log.push_str(&stop(self.child, self.stderr));
        log
    }
}

/// Clients sending batches of `size` records to the URL in `url` (read before each send),
/// each batch again until it is acknowledged, until `done`; every answer counted.
struct Load {
    url: Arc<RwLock<String>>,
    acked: Arc<Mutex<Vec<String>>>,
    statuses: Arc<Mutex<std::collections::BTreeMap<String, u64>>>,
    slowest: Arc<Mutex<Duration>>,
    done: Arc<AtomicBool>,
    clients: Vec<JoinHandle<()>>,
}

impl Load {
    fn start(url: String, clients: usize, size: u64, pause: Duration) -> Load {
        let load = Load {
            url: Arc::new(RwLock::new(url)),
            acked: Arc::default(),
            statuses: Arc::default(),
            slowest: Arc::default(),
            done: Arc::default(),
            clients: Vec::new(),
        };
        let next = Arc::new(AtomicU64::new(1));
        let clients = (0..clients)
            .map(|_| {
                let (url, acked, statuses, slowest, done, next) = (
                    load.url.clone(),
                    load.acked.clone(),
                    load.statuses.clone(),
                    load.slowest.clone(),
                    load.done.clone(),
                    next.clone(),
                );
                std::thread::spawn(move || {
                    let http = Client::new();
                    'batches: while !done.load(Ordering::Relaxed) {
                        let (ids, body) = batch(&next, size, 0);
                        loop {
                            let target = url.read().unwrap().clone();
                            let sent = Instant::now();
                            let status = send(&http, &target, &body, size);
                            let took = sent.elapsed();
                            let key = status.map_or("no answer".to_owned(), |s| s.to_string());
                            *statuses.lock().unwrap().entry(key).or_default() += 1;
                            if status == Some(200) {
                                let mut slowest = slowest.lock().unwrap();
                                *slowest = (*slowest).max(took);
                                acked.lock().unwrap().extend(ids);
                                break;
                            }
                            if done.load(Ordering::Relaxed) {
                                break 'batches;
                            }
                            std::thread::sleep(Duration::from_millis(20));
                        }
                        std::thread::sleep(pause);
                    }
                })
            })
            .collect();
        Load { clients, ..load }
    }

    fn acked(&self) -> usize {
        self.acked.lock().unwrap().len()
    }

    /// How long until a batch is acknowledged from now (at most `limit`).
    fn until_acked(&self, limit: Duration) -> Duration {
        let (from, start) = (self.acked(), Instant::now());
        while self.acked() <= from && start.elapsed() < limit {
            std::thread::sleep(Duration::from_millis(5));
        }
        start.elapsed()
    }

    /// Stops the clients; the acknowledged IDs, the answers counted and the slowest
    /// acknowledged batch.
    fn finish(self) -> (Vec<String>, String, Duration) {
        self.done.store(true, Ordering::Relaxed);
        for client in self.clients {
            client.join().unwrap();
        }
        let statuses = self.statuses.lock().unwrap();
        let answers = statuses
            .iter()
            .map(|(status, n)| format!("{} × {status}", thousands(*n as usize)))
            .collect::<Vec<_>>()
            .join(", ");
        let acked = std::mem::take(&mut *self.acked.lock().unwrap());
        let slowest = *self.slowest.lock().unwrap();
        (acked, answers, slowest)
    }
}

/// One row of the table: checks every acknowledged record is stored once, then prints it.
fn row(
    fault: &str,
    load: &str,
    acked: &[String],
    db: &str,
    answers: &str,
    recovery: &str,
    log: &str,
) {
    assert!(!log.contains("panicked"), "{log}");
    each_once(acked, db);
    let stored = exported(db).len();
    println!(
        "soak: | {fault} | {load} | {answers} | {recovery} | {} acknowledged, {} stored, 0 lost, 0 twice |",
        thousands(acked.len()),
        thousands(stored)
    );
}

fn thousands(n: usize) -> String {
    cohort_stats::verdict::thousands(n as u64)
}

fn millis(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

/// Five SIGKILLs, two seconds apart, under 16 clients sending 50-record batches.
fn five_kills(store: &str, db: &str) {
    let (mut collector, url) = Collector::start(db, &["--rate-limit", "1000000"]);
    let load = Load::start(url, 16, 50, Duration::ZERO);
    let mut back = Duration::ZERO;
    for _ in 0..5 {
        std::thread::sleep(Duration::from_secs(2));
        let url = collector.kill_and_restart();
        *load.url.write().unwrap() = url;
        back = back.max(load.until_acked(Duration::from_secs(60)));
    }
    std::thread::sleep(Duration::from_secs(2));
    let (acked, answers, _) = load.finish();
    let log = collector.finish();
    row(
        &format!("5 × SIGKILL, 2 s apart ({store})"),
        "16 clients, 50-record batches",
        &acked,
        db,
        &answers,
        &format!(
            "restart to next acknowledged batch: at most {}",
            millis(back)
        ),
        &log,
    );
}

#[test]
#[ignore = "minutes: scripts/soak runs it"]
fn five_sigkills_under_16_clients_on_sqlite_lose_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    five_kills("SQLite", dir.path().join("kills.db").to_str().unwrap());
}

#[test]
#[ignore = "minutes: scripts/soak runs it"]
fn five_sigkills_under_16_clients_on_postgres_lose_nothing_acknowledged() {
    let cluster = ThrowawayPostgres::start().unwrap_or_else(|e| panic!("{e}"));
    five_kills("PostgreSQL", &cluster.database("kills").unwrap());
}

#[test]
#[ignore = "minutes: scripts/soak runs it"]
fn postgres_stopped_for_10_s_under_4_clients_loses_nothing_acknowledged() {
    let cluster = ThrowawayPostgres::start().unwrap_or_else(|e| panic!("{e}"));
    let db = cluster.database("stopped").unwrap();
    let (collector, url) = Collector::start(&db, &["--rate-limit", "1000000"]);
    let load = Load::start(url, 4, 10, Duration::from_millis(20));
    std::thread::sleep(Duration::from_secs(2));
    cluster.stop().unwrap();
    std::thread::sleep(Duration::from_secs(10));
    cluster.resume().unwrap();
    let back = load.until_acked(Duration::from_secs(60));
    std::thread::sleep(Duration::from_secs(2));
    let (acked, answers, _) = load.finish();
    let log = collector.finish();
    row(
        "PostgreSQL stopped for 10 s",
        "4 clients, 10-record batches",
        &acked,
        &db,
        &answers,
        &format!(
            "restarted server to next acknowledged batch: {}",
            millis(back)
        ),
        &log,
    );
}

#[test]
#[ignore = "minutes: scripts/soak runs it"]
fn a_sqlite_lock_held_for_10_s_under_4_clients_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("lock.db");
    let db = db.to_str().unwrap();
    let (collector, url) = Collector::start(db, &["--rate-limit", "1000000"]);
    let load = Load::start(url, 4, 10, Duration::from_millis(20));
    std::thread::sleep(Duration::from_secs(2));
    let lock = rusqlite::Connection::open(db).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    std::thread::sleep(Duration::from_secs(10));
    lock.execute_batch("COMMIT").unwrap();
    let back = load.until_acked(Duration::from_secs(60));
    std::thread::sleep(Duration::from_secs(2));
    let (acked, answers, _) = load.finish();
    let log = collector.finish();
    row(
        "SQLite write lock held for 10 s",
        "4 clients, 10-record batches",
        &acked,
        db,
        &answers,
        &format!("lock released to next acknowledged batch: {}", millis(back)),
        &log,
    );
}

#[test]
#[ignore = "minutes: scripts/soak runs it"]
fn a_collector_stopped_for_5_s_under_4_clients_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sigstop.db");
    let db = db.to_str().unwrap();
    let (collector, url) = Collector::start(db, &["--rate-limit", "1000000"]);
    let load = Load::start(url, 4, 10, Duration::from_millis(20));
    std::thread::sleep(Duration::from_secs(2));
    // SAFETY: signals to a child process this test started and still holds.
    unsafe { libc::kill(collector.pid(), libc::SIGSTOP) };
    std::thread::sleep(Duration::from_secs(5));
    unsafe { libc::kill(collector.pid(), libc::SIGCONT) };
    let back = load.until_acked(Duration::from_secs(60));
    std::thread::sleep(Duration::from_secs(2));
    let (acked, answers, slowest) = load.finish();
    let log = collector.finish();
    row(
        "collector stopped (SIGSTOP) for 5 s",
        "4 clients, 10-record batches",
        &acked,
        db,
        &answers,
        &format!(
            "SIGCONT to next acknowledged batch: {}; slowest acknowledged batch {}",
            millis(back),
            millis(slowest)
        ),
        &log,
    );
}

/// Opens `n` connections to `url` that send nothing.
fn idle_connections(url: &str, n: usize) -> Vec<TcpStream> {
    let address = url.trim_start_matches("http://");
    (0..n)
        .map(|_| TcpStream::connect(address).expect("a connection"))
        .collect()
}

/// How the collector ended connections that sent nothing.
#[derive(Debug, Default, PartialEq, Eq)]
struct Ends {
    /// Answered 503 and closed.
    refused: usize,
    /// Closed without an answer (the header timeout).
    closed: usize,
    /// Reset.
    reset: usize,
    /// Still open after the wait.
    open: usize,
}

/// How the collector ended each of `streams`, waiting at most `wait` for each.
fn ends(streams: &mut [TcpStream], wait: Duration) -> Ends {
    let mut ends = Ends::default();
    for stream in streams {
        stream.set_read_timeout(Some(wait)).unwrap();
        let mut text = Vec::new();
        let mut buffer = [0u8; 512];
        loop {
            match stream.read(&mut buffer) {
                Ok(0) if text.starts_with(b"HTTP/1.1 503") => ends.refused += 1,
                Ok(0) => ends.closed += 1,
                Ok(n) => {
                    text.extend_from_slice(&buffer[..n]);
                    continue;
                }
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => ends.reset += 1,
                Err(_) => ends.open += 1,
            }
            break;
        }
    }
    ends
}

/// Posts one 10-record batch: its status and how long it took.
fn one_batch(url: &str) -> (Option<u16>, Duration) {
    let next = AtomicU64::new(1_000_000_000);
    let (_, body) = batch(&next, 10, 0);
    let http = Client::new();
    let start = Instant::now();
    let status = send(&http, url, &body, 10);
    (status, start.elapsed())
}

#[test]
#[ignore = "minutes: scripts/soak runs it"]
fn ten_thousand_idle_connections_are_held_or_refused_and_closed_and_batches_go_on() {
    let dir = tempfile::tempdir().unwrap();
    // Room for all of them: held, a batch served beside them, all closed at the header timeout.
    let db = dir.path().join("idle.db");
    let (collector, url) = Collector::start(
        db.to_str().unwrap(),
        &["--max-connections", "12000", "--header-timeout", "3"],
    );
    let start = Instant::now();
    let mut idle = idle_connections(&url, 10_000);
    let connected = start.elapsed();
    std::thread::sleep(Duration::from_millis(500));
    let (status, took) = one_batch(&url);
    assert_eq!(status, Some(200), "a batch beside 10,000 idle connections");
    let start = Instant::now();
    let ended = ends(&mut idle, Duration::from_secs(20));
    let all_closed = start.elapsed();
    assert_eq!(
        ended,
        Ends {
            closed: 10_000,
            ..Ends::default()
        }
    );
    drop(idle);
    let log = collector.finish();
    assert!(!log.contains("panicked"), "{log}");
    println!(
        "soak: | 10,000 idle connections, --max-connections 12000, --header-timeout 3 | one batch beside them | opened in {:.1} s; the batch: 200 in {}; all 10,000 closed by the server {:.1} s after the batch | nothing to lose |",
        connected.as_secs_f64(),
        millis(took),
        all_closed.as_secs_f64()
    );

    // The default cap: what is over it is answered 503 at once, not left hanging.
    let db = dir.path().join("capped.db");
    let (collector, url) = Collector::start(db.to_str().unwrap(), &["--header-timeout", "5"]);
    let start = Instant::now();
    let mut idle = idle_connections(&url, 10_000);
    let connected = start.elapsed();
    let (status, _) = one_batch(&url);
    assert_eq!(status, Some(503), "the cap is full of idle connections");
    let ended = ends(&mut idle, Duration::from_secs(60));
    let all_closed = start.elapsed();
    let (held, refused) = (ended.closed, ended.refused);
    assert_eq!(
        (held + refused, ended.reset, ended.open),
        (10_000, 0, 0),
        "every connection is answered 503 or closed at the timeout: {ended:?}"
    );
    assert!(held <= 1024, "{ended:?}");
    let (status, took) = one_batch(&url);
    assert_eq!(status, Some(200));
    drop(idle);
    let log = collector.finish();
    assert!(!log.contains("panicked"), "{log}");
    println!(
        "soak: | 10,000 idle connections, default cap (1,024), --header-timeout 5 | a batch while they are open, one after | {} × 503 at once (over the cap), {} held and closed at the timeout (opened in {:.1} s, all ended {:.1} s after the first); the batch meanwhile 503, after 200 in {} | nothing to lose |",
        thousands(refused),
        thousands(held),
        connected.as_secs_f64(),
        all_closed.as_secs_f64(),
        millis(took)
    );
}
