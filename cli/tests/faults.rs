//! The collector when its database fails, over real HTTP: PostgreSQL stopped and started again
//! under load (503 meanwhile, recovery without restarting the collector), a SQLite write lock
//! held past the busy timeout (503, then the same batch stored once), and a full disk (a file
//! size limit on the collector stands in for it: 503 once nothing more fits). Every batch
//! acknowledged is in the database exactly once, and the collector never panics.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cohort_throwaway_postgres::ThrowawayPostgres;
use reqwest::blocking::Client;

use common::traffic::{batch, drain_stderr, each_once, post, send, stop};
use common::{listening_url, repo, spawn_collector};

#[test]
fn postgres_stopped_and_started_again_under_load_loses_nothing_acknowledged() {
    let cluster = ThrowawayPostgres::start().unwrap_or_else(|e| panic!("{e}"));
    let db = cluster.database("faults").unwrap();
    let (mut child, url) = spawn_collector(&db, &["--rate-limit", "100000"], None, Stdio::piped());
    let stderr = drain_stderr(&mut child);
    let acked = Arc::new(Mutex::new(Vec::new()));
    let unavailable = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicU64::new(1));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (acked, unavailable, done, next, url) = (
                acked.clone(),
                unavailable.clone(),
                done.clone(),
                next.clone(),
                url.clone(),
            );
            std::thread::spawn(move || {
                let http = Client::new();
                while !done.load(Ordering::Relaxed) {
                    let (ids, body) = batch(&next, 10, 0);
                    match send(&http, &url, &body, 10) {
                        Some(200) => acked.lock().unwrap().extend(ids),
                        Some(503) => {
                            unavailable.fetch_add(1, Ordering::Relaxed);
                        }
                        other => panic!("answered {other:?}"),
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        })
        .collect();
    let acked_len = || acked.lock().unwrap().len();
    std::thread::sleep(Duration::from_millis(800));
    assert!(
        acked_len() > 0,
        "batches are stored while the database runs"
    );
    cluster.stop().unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let refused_while_down = unavailable.load(Ordering::Relaxed);
    let stored_while_down = acked_len();
    cluster.resume().unwrap();
    let back = Instant::now();
    while acked_len() <= stored_while_down && back.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let recovery = back.elapsed();
    std::thread::sleep(Duration::from_millis(500));
    done.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().unwrap();
    }
    let stderr = stop(child, stderr);
    assert!(refused_while_down > 0, "503 while the database is down");
    assert!(
        acked_len() > stored_while_down,
        "the collector recovers without a restart (waited {recovery:?})"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    each_once(&acked.lock().unwrap(), &db);
}

#[test]
fn a_sqlite_lock_held_past_the_busy_timeout_gives_503_and_the_batch_is_stored_once_after() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("lock.db");
    let (mut child, url) = spawn_collector(&db, &[], None, Stdio::piped());
    let stderr = drain_stderr(&mut child);
    let http = Client::new();
    let next = AtomicU64::new(1);
    let (mut acked, first) = batch(&next, 5, 0);
    assert_eq!(send(&http, &url, &first, 5), Some(200));
    let (ids, held_up) = batch(&next, 5, 0);
    let lock = rusqlite::Connection::open(&db).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let answer = post(&http, &url, &held_up).unwrap();
    assert_eq!(answer.status().as_u16(), 503, "the busy timeout is 5 s");
    let answer: serde_json::Value = answer.json().unwrap();
    assert_eq!(answer["code"], "busy", "the answer says why: {answer}");
    lock.execute_batch("COMMIT").unwrap();
    assert_eq!(
        send(&http, &url, &held_up, 5),
        Some(200),
        "sent again once the lock is gone"
    );
    acked.extend(ids);
    let stderr = stop(child, stderr);
    assert!(
        stderr.contains("could not be stored"),
        "the log says why: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    each_once(&acked, db.to_str().unwrap());
}

/// `cohort serve` on `db` with a file size limit of `kib` KiB, as a full disk: writes past it
/// fail (the signal that would end the process is ignored, so the write returns an error).
fn spawn_with_file_limit(db: &Path, kib: u64) -> (Child, String) {
    let script = format!(
        "trap '' XFSZ; ulimit -f {kib}; exec \"$0\" serve --listen 127.0.0.1:0 --db \"$1\" \
         --rules \"$2\" --rate-limit 100000"
    );
    let mut child = Command::new("bash")
        .args(["-c", &script])
        .arg(env!("CARGO_BIN_EXE_cohort"))
        .arg(db)
        .arg(repo("experiments"))
        .env("COHORT_SECRET", "a-secret-for-the-full-disk")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = listening_url(&mut child);
    (child, url)
}

#[test]
fn a_full_disk_gives_503_and_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("full.db");
    let (mut child, url) = spawn_with_file_limit(&db, 2048);
    let stderr = drain_stderr(&mut child);
    let http = Client::new();
    let next = AtomicU64::new(1);
    let mut acked = Vec::new();
    let mut full = 0;
    for _ in 0..400 {
        let (ids, body) = batch(&next, 100, 150);
        match send(&http, &url, &body, 100) {
            Some(200) => acked.extend(ids),
            Some(503) => {
                full += 1;
                if full == 3 {
                    break;
                }
            }
            other => panic!("answered {other:?}"),
        }
    }
    let stderr = stop(child, stderr);
    assert_eq!(
        full,
        3,
        "the disk fills: 503 ({} records stored before)",
        acked.len()
    );
    assert!(!acked.is_empty());
    assert!(
        stderr.contains("could not be stored"),
        "the log says why: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Reopened without the limit (room made on the disk), everything acknowledged is there.
    each_once(&acked, db.to_str().unwrap());
}
