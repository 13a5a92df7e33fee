//! Results at scale: loads exposed users (first exposed over 30 days, so the answer carries
//! 30 points over time) and events through the store's bulk path (the same insert the
//! collector's HTTP API runs, in batches of 10,000 records, the results kept as they arrive),
//! then times the results answer in process (warm: median and p99 of 21), and
//! `cohort results` as a process, as kept and recomputed from the records, on SQLite and on
//! PostgreSQL (a throwaway cluster), reading the peak resident memory of the process answering
//! from the kernel (`wait4`). The test fails if the kept answer differs from the
//! recomputation, or if memory passes 100 MB. Ignored by default; `scripts/bench` runs it in
//! release (`COHORT_SCALE_USERS` users, a fifth as many events; 200,000 unless set).

mod common;

use std::process::Command;
use std::time::Instant;

use cohort_collector::store::{Accepted, Store};
use cohort_protocol::{Groups, Record};
use cohort_throwaway_postgres::ThrowawayPostgres;

const PEAK_BUDGET_BYTES: u64 = 100 * 1024 * 1024;
const BATCH: usize = 10_000;
/// 2026-11-26T00:00:00Z.
const T0: i64 = 1_795_651_200_000;
/// The exposures are spread evenly over this many UTC days (so many points over time).
const DAYS: i64 = 30;

/// When the `n`th of `users` users is first exposed.
fn exposed_at(n: u64, users: u64) -> i64 {
    let spacing = (DAYS * 86_400_000 / users.max(1) as i64).max(1);
    T0 + n as i64 * spacing
}

fn users() -> u64 {
    std::env::var("COHORT_SCALE_USERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200_000)
}

/// The repository's rules.
fn rules() -> cohort::Rules {
    let text = std::fs::read_to_string(common::repo("experiments/button_color_v3.json")).unwrap();
    cohort::Rules::from_statsig_json(&text, cohort::CompileOptions::STRICT).unwrap()
}

/// Loads `users` exposures and a fifth as many events into `db`, keeping the results as a
/// collector does; the rate in records/s.
fn load(db: &str, users: u64) -> f64 {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let started = Instant::now();
    runtime.block_on(async {
        let store = Store::open(db).await.unwrap();
        store.keep(&rules()).await.unwrap();
        let mut batch = Vec::with_capacity(BATCH);
        let mut total = 0u64;
        let events = users / 5;
        for n in 0..users + events {
            let record = if n < users {
                let user = format!("scale-{n}");
                let group = common::group_of(&user);
                Record::Exposure {
                    id: format!("x-{n}"),
                    user_id: user,
                    experiment: "button_color_v3".into(),
                    group,
                    rule_id: "r".into(),
                    secondary_exposures: Vec::new(),
                    dimensions: Default::default(),
                    time: exposed_at(n, users),
                }
            } else {
                let k = n - users;
                // Events from every fifth user, a minute to a few hours after their exposure.
                let user = k * 5 % users;
                Record::Event {
                    id: format!("e-{k}"),
                    user_id: format!("scale-{user}"),
                    name: ["visited_signup", "cta_click", "task_completed"][(k % 3) as usize]
                        .into(),
                    time: exposed_at(user, users) + 60_000 + (k % 7) as i64 * 3_600_000,
                    groups: Groups::new(),
                    value: None,
                }
            };
            let time = record.time();
            batch.push(Accepted {
                record,
                time,
                exclusion: None,
            });
            if batch.len() == BATCH {
                total += store
                    .insert(std::mem::take(&mut batch), 0, T0)
                    .await
                    .unwrap()
                    .stored;
            }
        }
        total += store.insert(batch, 0, T0).await.unwrap().stored;
        assert_eq!(total, users + events);
    });
    (users + users / 5) as f64 / started.elapsed().as_secs_f64()
}

/// The results answer's latency in process, warm: median and p99 of 21 answers, in ms.
fn latency(db: &str) -> (f64, f64) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let rules = rules();
        let store = Store::open(db).await.unwrap();
        store.keep(&rules).await.unwrap();
        let mut times: Vec<f64> = Vec::new();
        for _ in 0..22 {
            let started = Instant::now();
            let results = store
                .results(&rules, "button_color_v3")
                .await
                .unwrap()
                .unwrap();
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(results.over_time.len(), DAYS as usize, "a point a day");
        }
        times.remove(0); // the first warms the caches
        times.sort_by(f64::total_cmp);
        (times[times.len() / 2], times[times.len() - 1])
    })
}

/// Runs `cohort results` on `db` (with `--recompute` if asked): its wall time in seconds, its
/// peak resident memory in bytes, and its answer.
fn results(db: &str, recompute: bool) -> (f64, u64, serde_json::Value) {
    let started = Instant::now();
    // Waited for below with wait4, which std's Child cannot do (it gives no rusage).
    #[allow(clippy::zombie_processes)]
    let child = Command::new(env!("CARGO_BIN_EXE_cohort"))
        .args([
            "results",
            "--json",
            "--experiment",
            "button_color_v3",
            "--db",
            db,
        ])
        .args(recompute.then_some("--recompute"))
        .arg("--rules")
        .arg(common::repo("experiments"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut text).unwrap();
    let mut status = 0;
    // SAFETY: a zeroed rusage is valid, and `pid` is our child, not yet waited for.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid);
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "cohort results failed"
    );
    let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
    // ru_maxrss is in kilobytes on Linux.
    (seconds, usage.ru_maxrss as u64 * 1024, answer)
}

/// Where `got` and `want` differ: numbers by more than 1e-9 of the larger, anything else at
/// all.
fn differences(path: &str, got: &serde_json::Value, want: &serde_json::Value) -> Vec<String> {
    use serde_json::Value;
    match (got, want) {
        (Value::Number(g), Value::Number(w)) => {
            let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
            if (g - w).abs() > 1e-9 * g.abs().max(w.abs()) {
                vec![format!("{path}: {g} vs {w}")]
            } else {
                vec![]
            }
        }
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => g
            .iter()
            .zip(w)
            .enumerate()
            .flat_map(|(i, (g, w))| differences(&format!("{path}[{i}]"), g, w))
            .collect(),
        (Value::Object(g), Value::Object(w)) if g.len() == w.len() => w
            .iter()
            .flat_map(|(k, w)| match g.get(k) {
                Some(g) => differences(&format!("{path}.{k}"), g, w),
                None => vec![format!("{path}.{k}: missing")],
            })
            .collect(),
        (g, w) if g == w => vec![],
        (g, w) => vec![format!("{path}: {g} vs {w}")],
    }
}

fn report(label: &str, db: &str, users: u64) {
    let rate = load(db, users);
    let (median, p99) = latency(db);
    let (seconds, peak, kept) = results(db, false);
    let (recomputed_seconds, recomputed_peak, recomputed) = results(db, true);
    assert_eq!(
        kept["total_users"].as_u64(),
        Some(users),
        "{label}: every user counted"
    );
    let differ = differences("", &kept, &recomputed);
    assert!(
        differ.is_empty(),
        "{label}: the kept results are the recomputed ones (within 1e-9: a capped sum is added \
         in another order): {:?}",
        &differ[..differ.len().min(8)]
    );
    println!(
        "scale ({label}): {users} users and {} events loaded at {rate:.0} records/s; \
         results answer p50 {median:.1} ms, p99 {p99:.1} ms; \
         cohort results in {seconds:.2} s, peak resident memory {:.1} MB; \
         recomputed in {recomputed_seconds:.2} s, {:.1} MB",
        users / 5,
        peak as f64 / 1_048_576.0,
        recomputed_peak as f64 / 1_048_576.0
    );
    for peak in [peak, recomputed_peak] {
        assert!(
            peak < PEAK_BUDGET_BYTES,
            "{label}: cohort results peaked at {peak} bytes, past {PEAK_BUDGET_BYTES}"
        );
    }
}

#[test]
#[ignore = "a benchmark: scripts/bench runs it in release"]
fn results_at_scale_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("scale.db");
    report("SQLite", db.to_str().unwrap(), users());
}

#[test]
#[ignore = "a benchmark: scripts/bench runs it in release"]
fn results_at_scale_on_postgres() {
    let cluster = ThrowawayPostgres::start().unwrap();
    let db = cluster.database("scale").unwrap();
    report("PostgreSQL", &db, users());
}
