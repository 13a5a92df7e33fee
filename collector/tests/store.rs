//! The store's guarantees, the same suite on SQLite and on a real PostgreSQL (a throwaway
//! cluster): records stored once by ID, whatever order and however often they come, by one
//! writer or many at once; a batch stored whole or not at all; forged records kept apart;
//! results computed in SQL equal to the same records counted in memory; experiments listed with
//! their exposed users; gate exposures beside experiments' without changing their results;
//! a metric the database cannot compute named while the others are served; records read back
//! in time order, and exported as Parquet by day.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use cohort::{CompileOptions, Rules};
use cohort_collector::commit::Committer;
use cohort_collector::experiments;
use cohort_collector::store::{Accepted, Batch, Inserted, Store};
use cohort_collector::verify::Exclusion;
use cohort_protocol::{
    ExperimentStatus, ExperimentSummary, Groups, Record, MAX_DROPPED, MAX_EVENT_VALUE,
};
use cohort_stats::breakdown::breakdown_tally;
use cohort_stats::experiment::{analyze_tally, tally_for};
use cohort_throwaway_postgres::ThrowawayPostgres;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;
/// 2026-11-26T00:00:00Z.
const T0: i64 = 1_795_651_200_000;

/// Rules with every kind of metric (CUPED by default, ratios, absolute and percentile caps), a
/// window, a guardrail, two experiments, a disabled one and a gate.
const RULES: &str = r#"
[[metric]]
name = "signup"
event = "visited_signup"
kind = "conversion"

[[metric]]
name = "clicks"
event = "cta_click"
kind = "count"

[[metric]]
name = "revenue"
event = "purchase"
kind = "sum"

[[metric]]
name = "quick_clicks"
event = "cta_click"
kind = "count"
window_hours = 1

# CUPED over one hour before the exposure, and each user's clicks capped at 2.
[[metric]]
name = "capped_clicks"
event = "cta_click"
kind = "count"
lookback_days = 0.041666666666666664
cap = { type = "absolute", value = 2 }

# Revenue capped at the 90th percentile of every exposed user's revenue (zeros and negative
# values among them).
[[metric]]
name = "capped_revenue"
event = "purchase"
kind = "sum"
cap = { type = "percentile", value = 0.9 }

# The median of the users who spent anything, without CUPED.
[[metric]]
name = "median_capped_revenue"
event = "purchase"
kind = "sum"
cuped = false
cap = { type = "percentile", value = 0.5, ignore_zeros = true }

# Ratios: clicks per signup (a conversion below), revenue per click capped at each part's
# 95th percentile.
[[metric]]
name = "clicks_per_signup"
kind = "ratio"
numerator = "clicks"
denominator = "signup"

[[metric]]
name = "revenue_per_click"
kind = "ratio"
numerator = "revenue"
denominator = "quick_clicks"
cap = { type = "percentile", value = 0.95 }

[[experiment]]
name = "e"
metrics = ["signup", "clicks", "revenue", "capped_clicks", "capped_revenue",
           "median_capped_revenue", "clicks_per_signup", "revenue_per_click"]
guardrails = ["quick_clicks"]
groups = [{ name = "Control", weight = 50 }, { name = "Red", weight = 25 }, { name = "Blue", weight = 25 }]

[[experiment]]
name = "other"
metrics = ["signup"]
groups = [{ name = "Control", weight = 50 }, { name = "Red", weight = 50 }]

[[gate]]
name = "new_checkout"
rules = [{ id = "half", pass = 50 }]

[[experiment]]
name = "paused"
enabled = false
metrics = ["clicks", "signup"]
groups = [{ name = "Control", weight = 50 }, { name = "Banner", weight = 50 }]
"#;

fn rules() -> Rules {
    Rules::from_toml(RULES, CompileOptions::STRICT).unwrap()
}

fn exposure(id: &str, user: &str, experiment: &str, group: &str, time: i64) -> Accepted {
    Accepted {
        record: Record::Exposure {
            id: id.into(),
            user_id: user.into(),
            experiment: experiment.into(),
            group: group.into(),
            rule_id: "r".into(),
            secondary_exposures: Vec::new(),
            dimensions: Default::default(),
            time: time - 5,
        },
        time,
        exclusion: None,
    }
}

fn event(id: &str, user: &str, name: &str, time: i64, value: Option<f64>) -> Accepted {
    Accepted {
        record: Record::Event {
            id: id.into(),
            user_id: user.into(),
            name: name.into(),
            time: time - 5,
            groups: Groups::new(),
            value,
        },
        time,
        exclusion: None,
    }
}

fn forged(mut record: Accepted) -> Accepted {
    record.exclusion = Some(Exclusion {
        experiment: "e".into(),
        reason: cohort_protocol::ExclusionReason::GroupMismatch,
        detail: "claimed Red, the rules give Control".into(),
    });
    record
}

/// A forged gate exposure: a value the gate does not give its user.
fn forged_gate(mut record: Accepted) -> Accepted {
    record.exclusion = Some(Exclusion {
        experiment: "new_checkout".into(),
        reason: cohort_protocol::ExclusionReason::GroupMismatch,
        detail: "claims new_checkout/true; the rules give new_checkout/false".into(),
    });
    record
}

/// A store the suite runs on, and a way to run SQL on it behind the store's back.
trait Backend {
    fn store(&self) -> Pin<Box<dyn Future<Output = Store> + '_>>;
    fn execute(&self, sql: &str) -> Pin<Box<dyn Future<Output = ()> + '_>>;
}

struct Sqlite(std::path::PathBuf);

impl Backend for Sqlite {
    fn store(&self) -> Pin<Box<dyn Future<Output = Store> + '_>> {
        Box::pin(async { Store::open(self.0.to_str().unwrap()).await.unwrap() })
    }
    fn execute(&self, sql: &str) -> Pin<Box<dyn Future<Output = ()> + '_>> {
        let conn = rusqlite::Connection::open(&self.0).unwrap();
        conn.execute_batch(sql).unwrap();
        Box::pin(async {})
    }
}

struct Postgres(String);

impl Backend for Postgres {
    fn store(&self) -> Pin<Box<dyn Future<Output = Store> + '_>> {
        Box::pin(async { Store::open(&self.0).await.unwrap() })
    }
    fn execute(&self, sql: &str) -> Pin<Box<dyn Future<Output = ()> + '_>> {
        let sql = sql.to_owned();
        Box::pin(async move {
            let (client, connection) = tokio_postgres::connect(&self.0, tokio_postgres::NoTls)
                .await
                .unwrap();
            let task = tokio::spawn(connection);
            client.batch_execute(&sql).await.unwrap();
            drop(client);
            let _ = task.await;
        })
    }
}

async fn exposed(store: &Store, experiment: &str) -> Vec<(String, u64)> {
    let results = store.results(&rules(), experiment).await.unwrap().unwrap();
    results
        .groups
        .iter()
        .map(|g| (g.group.clone(), g.users))
        .collect()
}

/// A batch sent again, alone or inside a bigger one, is stored once; an earlier exposure that
/// arrives later moves its user to that group.
async fn records_are_stored_once(backend: &dyn Backend) {
    let store = backend.store().await;
    let batch = vec![
        exposure("a1", "a", "e", "Red", T0 + 10),
        exposure("b1", "b", "e", "Control", T0 + 10),
        event("a2", "a", "visited_signup", T0 + 20, None),
    ];
    let first = store.insert(batch.clone(), 0, T0).await.unwrap();
    assert_eq!(
        first,
        Inserted {
            stored: 3,
            duplicates: 0,
            excluded: 0
        }
    );
    let mut bigger = batch.clone();
    bigger.push(exposure("a0", "a", "e", "Blue", T0 + 1));
    let again = store.insert(bigger, 2, T0).await.unwrap();
    assert_eq!(
        again,
        Inserted {
            stored: 1,
            duplicates: 3,
            excluded: 0
        }
    );
    assert_eq!(
        exposed(&store, "e").await,
        [("Control".into(), 1), ("Red".into(), 0), ("Blue".into(), 1)],
        "a's first exposure (Blue, at +1) wins though it came last"
    );
    let results = store.results(&rules(), "e").await.unwrap().unwrap();
    assert_eq!(results.dropped_by_clients, 2);
    let signup = &results.metrics[0];
    assert_eq!(signup.metric.name, "signup");
    let converted: Vec<f64> = signup.groups.iter().map(|g| g.stats.sum).collect();
    assert_eq!(converted, [0.0, 0.0, 1.0]);
    // A reopened store (a restarted collector) has the same.
    drop(store);
    let reopened = backend.store().await;
    assert_eq!(exposed(&reopened, "e").await[2], ("Blue".into(), 1));
    assert!(reopened.results(&rules(), "nope").await.unwrap().is_none());
}

async fn dropped(store: &Store) -> u64 {
    let results = store.results(&rules(), "e").await.unwrap().unwrap();
    results.dropped_by_clients
}

/// A page's claim of what it dropped counts once, with the batch that first stored its records
/// (a retry repeats it), bounded by `MAX_DROPPED`; a batch that stores nothing new counts
/// nothing. Values at `MAX_EVENT_VALUE` in magnitude leave every figure finite.
async fn dropped_claims_count_once_and_extreme_values_stay_finite(backend: &dyn Backend) {
    let store = backend.store().await;
    let batch = vec![
        exposure("d1", "d", "e", "Red", T0 + 10),
        event("d2", "d", "purchase", T0 + 20, Some(MAX_EVENT_VALUE)),
    ];
    for _ in 0..3 {
        store.insert(batch.clone(), 5, T0).await.unwrap();
    }
    assert_eq!(
        dropped(&store).await,
        5,
        "a batch sent three times counts once"
    );
    let huge = vec![exposure("d3", "f", "e", "Red", T0 + 10)];
    store.insert(huge.clone(), u64::MAX, T0).await.unwrap();
    assert_eq!(dropped(&store).await, 5 + MAX_DROPPED);
    store.insert(huge, u64::MAX, T0).await.unwrap();
    store.insert(Vec::new(), 7, T0).await.unwrap();
    assert_eq!(
        dropped(&store).await,
        5 + MAX_DROPPED,
        "nothing new, nothing counted"
    );

    // The largest values a record may carry, many times over, in both signs.
    let mut extreme = Vec::new();
    for k in 0..200 {
        let user = format!("x{k}");
        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
        extreme.push(exposure(&format!("xe{k}"), &user, "e", "Control", T0 + 10));
        for j in 0..3 {
            let id = format!("xv{k}-{j}");
            extreme.push(event(
                &id,
                &user,
                "purchase",
                T0 + 20,
                Some(sign * MAX_EVENT_VALUE),
            ));
        }
    }
    store.insert(extreme, 0, T0).await.unwrap();
    let results = store.results(&rules(), "e").await.unwrap().unwrap();
    let revenue = results
        .metrics
        .iter()
        .find(|m| m.metric.name == "revenue")
        .unwrap();
    for group in &revenue.groups {
        assert!(group.stats.sum.is_finite() && group.stats.sum_squares.is_finite());
    }
    let control = &revenue.groups[0];
    let expected = 200.0 * (3.0 * MAX_EVENT_VALUE).powi(2);
    assert!((control.stats.sum_squares / expected - 1.0).abs() < 1e-12);
    assert_eq!(control.stats.sum, 0.0);
}

/// A metric whose figures the database cannot compute (values written behind the collector's
/// back, past its bound: PostgreSQL overflows, SQLite sums to infinity) is named with why, and
/// the experiment's other metrics are served with the figures they had.
async fn a_metric_the_database_cannot_compute_is_named_and_the_others_served(
    backend: &dyn Backend,
) {
    let store = backend.store().await;
    store
        .insert(
            vec![
                exposure("u1", "a", "e", "Red", T0),
                exposure("u2", "b", "e", "Control", T0),
                exposure("u3", "c", "e", "Blue", T0),
                event("u4", "a", "visited_signup", T0 + 10, None),
                event("u5", "b", "cta_click", T0 + 10, None),
                event("u6", "b", "cta_click", T0 + 20, None),
                event("u7", "c", "purchase", T0 + 30, Some(5.0)),
            ],
            0,
            T0,
        )
        .await
        .unwrap();
    let before = store.results(&rules(), "e").await.unwrap().unwrap();
    assert!(before.unavailable.is_empty(), "{:?}", before.unavailable);
    backend
        .execute(&format!(
            "INSERT INTO records (id, kind, user_id, name, value, time, client_time, record, received_at)
             VALUES ('big1', 'event', 'a', 'purchase', 1e300, {t}, {t}, '{{}}', {t}),
                    ('big2', 'event', 'b', 'purchase', -1e300, {t}, {t}, '{{}}', {t})",
            t = T0 + 40
        ))
        .await;
    let after = store.results(&rules(), "e").await.unwrap().unwrap();
    let unavailable: Vec<&str> = after
        .unavailable
        .iter()
        .map(|u| u.metric.as_str())
        .collect();
    // Every metric that counts purchases, and only those.
    assert_eq!(
        unavailable,
        [
            "revenue",
            "capped_revenue",
            "median_capped_revenue",
            "revenue_per_click"
        ]
    );
    assert!(
        after.unavailable[0]
            .reason
            .starts_with("the database could not compute it ("),
        "{}",
        after.unavailable[0].reason
    );
    let served: Vec<&str> = after
        .metrics
        .iter()
        .map(|m| m.metric.name.as_str())
        .collect();
    assert_eq!(
        served,
        [
            "signup",
            "clicks",
            "capped_clicks",
            "clicks_per_signup",
            "quick_clicks"
        ]
    );
    for metric in &after.metrics {
        let was = before
            .metrics
            .iter()
            .find(|m| m.metric.name == metric.metric.name)
            .unwrap();
        assert_eq!(metric.groups, was.groups, "{}", metric.metric.name);
    }
    assert_eq!(after.total_users, 3);
    // The listing does not sum values: it is whole.
    let listing = experiments::list(&rules(), &store).await.unwrap();
    assert_eq!(listing.experiments[0].exposures, 3);
}

/// A random stream of records for `users`: exposures to both experiments in random groups
/// (some earlier than others, some forged), events of every metric's name at the edges of
/// the window and around the exposures (integer values, so that every sum is exact in
/// either order), every record possibly twice.
fn random_stream(rng: &mut StdRng, users: usize, tag: &str) -> Vec<Accepted> {
    let offsets = [-HOUR, -1, 0, 1, HOUR - 1, HOUR, HOUR + 1, 2 * HOUR, DAY];
    let mut records = Vec::new();
    let mut n = 0;
    let mut id = |records: &Vec<Accepted>| {
        n += 1;
        format!("{tag}-{n}-{}", records.len())
    };
    for u in 0..users {
        let user = format!("{tag}-u{u}");
        for _ in 0..rng.random_range(0..4) {
            let (experiment, groups): (&str, &[&str]) = if rng.random_bool(0.7) {
                ("e", &["Control", "Red", "Blue"])
            } else {
                ("other", &["Control", "Red"])
            };
            let group = groups[rng.random_range(0..groups.len())];
            let time = T0 + offsets[rng.random_range(0..offsets.len())];
            let mut record = exposure(&id(&records), &user, experiment, group, time);
            if rng.random_bool(0.1) {
                record = forged(record);
            }
            records.push(record);
        }
        for _ in 0..rng.random_range(0..6) {
            let name =
                ["visited_signup", "cta_click", "purchase", "unmeasured"][rng.random_range(0..4)];
            let time = T0 + offsets[rng.random_range(0..offsets.len())];
            let value = rng
                .random_bool(0.8)
                .then(|| rng.random_range(-50..500) as f64);
            let mut record = event(&id(&records), &user, name, time, value);
            if rng.random_bool(0.05) {
                record = forged(record);
            }
            records.push(record);
        }
    }
    let again: Vec<Accepted> = records
        .iter()
        .filter(|_| rng.random_bool(0.2))
        .cloned()
        .collect();
    records.extend(again);
    // Out of order: shuffled.
    for i in (1..records.len()).rev() {
        records.swap(i, rng.random_range(0..=i));
    }
    records
}

/// How many records the store holds.
async fn stored_records(store: &Store) -> u64 {
    let mut count = 0;
    store
        .records(&mut |_| {
            count += 1;
            Ok(())
        })
        .await
        .unwrap();
    count
}

/// Both experiments' results as kept and as recomputed from the records: the same, figure
/// for figure.
async fn assert_kept_equals_recomputed(store: &Store, when: &str) {
    for experiment in ["e", "other"] {
        let kept = store.results(&rules(), experiment).await.unwrap().unwrap();
        let recomputed = store
            .results_recomputed(&rules(), experiment)
            .await
            .unwrap()
            .unwrap();
        assert_close(&kept, &recomputed, &format!("{experiment}, {when}"));
    }
}

/// The results kept as records arrive equal a recomputation from the records, whatever the
/// order, duplication and batching of the records, with two stores writing at once (two
/// collectors on one database), and after a store that kept nothing yet builds them.
async fn kept_results_equal_a_recomputation(backend: &dyn Backend) {
    let mut rng = StdRng::seed_from_u64(17);
    // Records stored before anything was kept (a database from before), then built.
    let early = random_stream(&mut rng, 40, "early");
    let store = backend.store().await;
    store.insert(early, 0, T0).await.unwrap();
    store.keep(&rules()).await.unwrap();
    assert_kept_equals_recomputed(&store, "built from the stored records").await;
    // Two stores on the same database, each writing its own stream in random batches.
    let other = backend.store().await;
    other.keep(&rules()).await.unwrap();
    let store = std::sync::Arc::new(store);
    let other = std::sync::Arc::new(other);
    for round in 0..4 {
        let mut writers = Vec::new();
        for (w, writer) in [store.clone(), other.clone()].into_iter().enumerate() {
            let mut records = random_stream(&mut rng, 60, &format!("r{round}w{w}"));
            // Some of the other writer's users too: the same users from both at once.
            records.extend(random_stream(&mut rng, 10, &format!("r{round}shared")));
            let sizes: Vec<usize> = (0..records.len())
                .map(|_| rng.random_range(1..40))
                .collect();
            writers.push(tokio::spawn(async move {
                let mut rest = records.as_slice();
                let mut i = 0;
                while !rest.is_empty() {
                    let (batch, next) = rest.split_at(sizes[i].min(rest.len()));
                    writer.insert(batch.to_vec(), 0, T0).await.unwrap();
                    rest = next;
                    i += 1;
                }
            }));
        }
        for writer in writers {
            writer.await.unwrap();
        }
        assert_kept_equals_recomputed(&store, &format!("after round {round}")).await;
    }
    let results = store.results(&rules(), "e").await.unwrap().unwrap();
    assert!(results.total_users > 100, "{}", results.total_users);
    let clicks = results
        .metrics
        .iter()
        .find(|m| m.metric.name == "quick_clicks")
        .unwrap();
    assert!(clicks.groups.iter().any(|g| g.stats.sum > 0.0));
}

/// Forged records are stored, counted apart, and change nobody's group.
async fn forged_records_are_kept_apart(backend: &dyn Backend) {
    let store = backend.store().await;
    let inserted = store
        .insert(
            vec![
                exposure("x1", "x", "e", "Control", T0 + 50),
                forged(exposure("x0", "x", "e", "Red", T0)),
                forged(exposure("y0", "y", "e", "Red", T0)),
                forged(event("y1", "y", "visited_signup", T0 + 1, None)),
            ],
            0,
            T0,
        )
        .await
        .unwrap();
    assert_eq!(
        inserted,
        Inserted {
            stored: 4,
            duplicates: 0,
            excluded: 3
        }
    );
    assert_eq!(
        exposed(&store, "e").await,
        [("Control".into(), 1), ("Red".into(), 0), ("Blue".into(), 0)]
    );
    let results = store.results(&rules(), "e").await.unwrap().unwrap();
    let excluded: Vec<(String, String, u64)> = results
        .excluded
        .iter()
        .map(|e| (e.kind.clone(), e.reason.clone(), e.count))
        .collect();
    assert_eq!(
        excluded,
        [
            ("exposure".into(), "group_mismatch".into(), 2),
            ("event".into(), "group_mismatch".into(), 1)
        ]
    );
}

/// Every experiment of the rules, in their order, with the users first exposed to it: each
/// user once whatever their exposures, not those kept out, and never a gate's.
async fn experiments_are_listed_with_their_exposed_users(backend: &dyn Backend) {
    let store = backend.store().await;
    let rules = rules();
    let exposures = |listing: &cohort_protocol::Experiments| -> Vec<(String, u64)> {
        listing
            .experiments
            .iter()
            .map(|e| (e.name.clone(), e.exposures))
            .collect()
    };
    let empty = experiments::list(&rules, &store).await.unwrap();
    assert_eq!(
        exposures(&empty),
        [("e".into(), 0), ("other".into(), 0), ("paused".into(), 0)]
    );
    store
        .insert(
            vec![
                exposure("l1", "a", "e", "Red", T0 + 10),
                exposure("l2", "a", "e", "Blue", T0 + 5),
                exposure("l3", "b", "e", "Control", T0 + 10),
                forged(exposure("l4", "c", "e", "Red", T0)),
                exposure("l5", "a", "other", "Red", T0),
                exposure("l6", "a", "new_checkout", "true", T0),
                exposure("l7", "d", "new_checkout", "false", T0),
                event("l8", "b", "visited_signup", T0 + 20, None),
            ],
            0,
            T0,
        )
        .await
        .unwrap();
    // Sent again: the same users.
    store
        .insert(vec![exposure("l1", "a", "e", "Red", T0 + 10)], 0, T0)
        .await
        .unwrap();
    let listing = experiments::list(&rules, &store).await.unwrap();
    assert_eq!(
        exposures(&listing),
        [("e".into(), 2), ("other".into(), 1), ("paused".into(), 0)]
    );
    assert_eq!(
        listing.experiments[0],
        ExperimentSummary {
            name: "e".into(),
            groups: vec!["Control".into(), "Red".into(), "Blue".into()],
            status: ExperimentStatus::Running,
            exposures: 2,
            // The goals, then the guardrail.
            metrics: [
                "signup",
                "clicks",
                "revenue",
                "capped_clicks",
                "capped_revenue",
                "median_capped_revenue",
                "clicks_per_signup",
                "revenue_per_click",
                "quick_clicks"
            ]
            .map(String::from)
            .to_vec(),
        }
    );
    assert_eq!(listing.experiments[2].status, ExperimentStatus::Disabled);
    assert_eq!(listing.experiments[2].metrics, ["clicks", "signup"]);
    // The count is the results' own.
    let results = store.results(&rules, "e").await.unwrap().unwrap();
    assert_eq!(results.total_users, listing.experiments[0].exposures);
}

/// Gate exposures (honest and forged) stored beside an experiment's, by the same users, at
/// the same times: the experiment's results are what they were, to the last figure.
async fn gate_exposures_leave_experiment_results_alone(backend: &dyn Backend) {
    let store = backend.store().await;
    let rules = rules();
    let mut batch = Vec::new();
    for n in 0..60 {
        let user = format!("g{n}");
        let time = T0 + n * 1000;
        batch.push(exposure(
            &format!("ge{n}"),
            &user,
            "e",
            ["Control", "Red", "Blue"][n as usize % 3],
            time,
        ));
        batch.push(event(&format!("gv{n}"), &user, "cta_click", time + 1, None));
    }
    batch.push(forged(exposure("gf", "g0", "e", "Red", T0)));
    store.insert(batch, 0, T0).await.unwrap();
    let before = serde_json::to_value(store.results(&rules, "e").await.unwrap().unwrap()).unwrap();
    let mut gates = Vec::new();
    for n in 0..60 {
        let user = format!("g{n}");
        let value = if n % 2 == 0 { "true" } else { "false" };
        let record = exposure(
            &format!("gg{n}"),
            &user,
            "new_checkout",
            value,
            T0 + n * 1000,
        );
        gates.push(if n % 5 == 0 {
            forged_gate(record)
        } else {
            record
        });
    }
    let inserted = store.insert(gates, 0, T0).await.unwrap();
    assert_eq!(
        inserted,
        Inserted {
            stored: 60,
            duplicates: 0,
            excluded: 12
        }
    );
    let after = serde_json::to_value(store.results(&rules, "e").await.unwrap().unwrap()).unwrap();
    assert_eq!(after, before);
    assert_eq!(
        after["excluded"][0]["count"], 1,
        "only e's forgery: {after}"
    );
    // A gate has no results, and is not listed; its exposures are stored.
    assert!(store
        .results(&rules, "new_checkout")
        .await
        .unwrap()
        .is_none());
    let listing = experiments::list(&rules, &store).await.unwrap();
    assert!(listing.experiments.iter().all(|e| e.name != "new_checkout"));
    assert_eq!(
        store.exposed_users(&["new_checkout".into()]).await.unwrap(),
        [48]
    );
    let mut kept_apart = 0;
    store
        .records(&mut |r| {
            if r.experiment.as_deref() == Some("new_checkout") && r.excluded.is_some() {
                kept_apart += 1;
            }
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(kept_apart, 12);
}

/// Random records (users exposed more than once, to more than one experiment, events before
/// and after their exposure, within and past a window, with values): the database's
/// aggregates give exactly what counting the same records in memory gives.
async fn sql_aggregates_equal_counting_in_memory(backend: &dyn Backend) {
    let store = backend.store().await;
    let rules = rules();
    let mut rng = StdRng::seed_from_u64(20261126);
    let mut tally = tally_for(&rules, "e");
    let groups = ["Control", "Red", "Blue", "Legacy"];
    let events = ["visited_signup", "cta_click", "purchase", "unrelated"];
    let mut batch = Vec::new();
    let mut exposed_at: BTreeMap<String, i64> = BTreeMap::new();
    for n in 0..6000 {
        let user = format!("u{}", rng.random_range(0..700));
        let mut time = T0 + rng.random_range(0..3 * DAY);
        // Some events on the edges: at the very millisecond of an exposure (they count), the
        // one before; the last millisecond of the hour-long window, and the first past it.
        if let Some(&at) = exposed_at.get(&user).filter(|_| rng.random_bool(0.3)) {
            // And CUPED's hour-long lookback: its first millisecond, and the one before.
            time = at + [0, -1, HOUR - 1, HOUR, -HOUR, -HOUR - 1][rng.random_range(0..6)];
        }
        let id = format!("r{n}");
        let record = if rng.random_bool(0.3) {
            let group = groups[rng.random_range(0..groups.len())];
            if rng.random_bool(0.1) {
                exposure(&id, &user, "other", "Red", time)
            } else {
                tally.exposure(&user, group, time);
                exposed_at.insert(user.clone(), time);
                exposure(&id, &user, "e", group, time)
            }
        } else {
            let name = events[rng.random_range(0..events.len())];
            // Whole halves: sums are exact in any order.
            let value = rng
                .random_bool(0.8)
                .then(|| f64::from(rng.random_range(-20..200)) / 2.0);
            tally.event(&user, name, time, value);
            event(&id, &user, name, time, value)
        };
        batch.push(record);
        if batch.len() == 250 {
            store
                .insert(std::mem::take(&mut batch), 0, T0)
                .await
                .unwrap();
        }
    }
    store.insert(batch, 0, T0).await.unwrap();
    let in_memory = analyze_tally(&rules, "e", &tally).unwrap();
    let in_sql = store.results(&rules, "e").await.unwrap().unwrap();
    assert_eq!(in_sql.total_users, in_memory.total_users);
    assert!(in_sql.total_users > 300, "{}", in_sql.total_users);
    let stats = |r: &cohort_stats::ExperimentResults| {
        r.metrics
            .iter()
            .map(|m| {
                let rows: Vec<_> = m
                    .groups
                    .iter()
                    .map(|g| (g.group.clone(), g.stats))
                    .collect();
                (m.metric.name.clone(), rows)
            })
            .collect::<Vec<_>>()
    };
    let names: Vec<String> = stats(&in_sql).into_iter().map(|(m, _)| m).collect();
    assert_eq!(
        names,
        stats(&in_memory)
            .into_iter()
            .map(|(m, _)| m)
            .collect::<Vec<_>>()
    );
    // The whole analysis, down to the last p-value.
    assert_close(&in_sql, &in_memory, "SQL and memory");
    // Every kind was exercised: CUPED's covariates, the caps' tails, ratios' denominators.
    let metric = |name: &str| {
        in_sql
            .metrics
            .iter()
            .find(|m| m.metric.name == name)
            .unwrap()
    };
    let sum = |name: &str| metric(name).groups.iter().map(|g| g.stats.sum).sum::<f64>();
    assert!(sum("capped_revenue") < sum("revenue"));
    assert!(sum("capped_clicks") < sum("clicks"));
    assert!(metric("clicks").groups[0].stats.covariate.unwrap().sum > 0.0);
    assert!(
        metric("clicks_per_signup").groups[0]
            .stats
            .denominator
            .unwrap()
            .sum
            > 0.0
    );
    assert!(
        metric("revenue_per_click").groups[0]
            .stats
            .denominator
            .unwrap()
            .sum
            > 0.0
    );
}

/// Random records whose exposures carry a browser (or none, or one of 25 rare ones past the
/// twenty slices), kept as they arrive: the breakdown by browser equals counting each slice in
/// memory, figure for figure, each slice with its own sample-ratio check and the caps at the
/// whole experiment's bounds; the slices add up to the whole.
async fn a_breakdown_equals_counting_each_slice_in_memory(backend: &dyn Backend) {
    let store = backend.store().await;
    let rules = rules();
    store.keep(&rules).await.unwrap();
    let mut rng = StdRng::seed_from_u64(20261205);
    let mut tally = tally_for(&rules, "e");
    let groups = ["Control", "Red", "Blue"];
    let events = ["visited_signup", "cta_click", "purchase"];
    let mut batch = Vec::new();
    for n in 0..5000 {
        let user = format!("u{}", rng.random_range(0..800));
        let time = T0 + rng.random_range(0..2 * DAY);
        let id = format!("b{n}");
        let record = if rng.random_bool(0.3) {
            let group = groups[rng.random_range(0..groups.len())];
            let browser = match rng.random_range(0..10) {
                0 => None,
                1 => Some(format!("Rare{}", rng.random_range(0..25))),
                k => Some(["Chrome", "Firefox", "Safari", "Edge"][k % 4].to_owned()),
            };
            let mut record = exposure(&id, &user, "e", group, time);
            let dimensions = match &browser {
                Some(b) => {
                    cohort_protocol::Dimensions::from([("browser", b.as_str()), ("visitor", "new")])
                }
                None => cohort_protocol::Dimensions::from([("visitor", "returning")]),
            };
            if let Record::Exposure { dimensions: d, .. } = &mut record.record {
                *d = dimensions.clone();
            }
            tally.exposure_with(&user, group, time, dimensions.iter());
            record
        } else {
            let name = events[rng.random_range(0..events.len())];
            let value = rng
                .random_bool(0.8)
                .then(|| f64::from(rng.random_range(-20..200)) / 2.0);
            tally.event(&user, name, time, value);
            event(&id, &user, name, time, value)
        };
        batch.push(record);
        if batch.len() == 300 {
            store
                .insert(std::mem::take(&mut batch), 0, T0)
                .await
                .unwrap();
        }
    }
    store.insert(batch, 0, T0).await.unwrap();
    let in_sql = store
        .breakdown(&rules, "e", "browser")
        .await
        .unwrap()
        .unwrap();
    let in_memory = breakdown_tally(&rules, "e", &tally, "browser").unwrap();
    let labels: Vec<&str> = in_sql.slices.iter().map(|s| s.value.as_str()).collect();
    assert_eq!(labels.len(), 20, "{labels:?}");
    let mut top = labels[..4].to_vec();
    top.sort_unstable();
    assert_eq!(top, ["Chrome", "Edge", "Firefox", "Safari"], "{labels:?}");
    assert!(labels.contains(&"(not given)") && labels.last() == Some(&"(other)"));
    assert_close(&in_sql, &in_memory, "breakdown");
    let whole = store.results(&rules, "e").await.unwrap().unwrap();
    let sliced: u64 = in_sql.slices.iter().map(|s| s.results.total_users).sum();
    assert_eq!(sliced, whole.total_users);
    // The caps are the whole experiment's in every slice.
    let bound = |r: &cohort_stats::ExperimentResults| {
        r.metrics
            .iter()
            .find(|m| m.metric.name == "capped_revenue")
            .and_then(|m| m.metric.cap.as_ref()?.bound)
    };
    assert!(in_sql
        .slices
        .iter()
        .all(|s| bound(&s.results) == bound(&whole)));
    // By a dimension nobody gives: one slice, everyone in it.
    let nothing = store
        .breakdown(&rules, "e", "planet")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(nothing.slices.len(), 1);
    assert_eq!(nothing.slices[0].value, "(not given)");
    assert_eq!(nothing.slices[0].results.total_users, whole.total_users);
}

/// `got` and `want` as JSON: the same, every number within 1e-9 of the other (relative), the
/// rest equal. Capped sums are added in different orders on different paths (a cap's bound is
/// rarely a whole half, where sums are exact in any order).
fn assert_close<T: serde::Serialize>(got: &T, want: &T, what: &str) {
    fn walk(path: &str, got: &serde_json::Value, want: &serde_json::Value, bad: &mut Vec<String>) {
        use serde_json::Value;
        match (got, want) {
            (Value::Number(g), Value::Number(w)) => {
                let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
                if (g - w).abs() > 1e-9 * g.abs().max(w.abs()).max(1e-300) {
                    bad.push(format!("{path}: {g:e} vs {w:e}"));
                }
            }
            (Value::Array(g), Value::Array(w)) if g.len() == w.len() => {
                for (i, (g, w)) in g.iter().zip(w).enumerate() {
                    walk(&format!("{path}[{i}]"), g, w, bad);
                }
            }
            (Value::Object(g), Value::Object(w)) if g.len() == w.len() => {
                for (k, w) in w {
                    match g.get(k) {
                        Some(g) => walk(&format!("{path}.{k}"), g, w, bad),
                        None => bad.push(format!("{path}.{k}: missing")),
                    }
                }
            }
            (g, w) if g == w => {}
            (g, w) => bad.push(format!("{path}: {g} vs {w}")),
        }
    }
    let mut bad = Vec::new();
    walk(
        "",
        &serde_json::to_value(got).unwrap(),
        &serde_json::to_value(want).unwrap(),
        &mut bad,
    );
    assert!(
        bad.is_empty(),
        "{what}: {} differ: {:?}",
        bad.len(),
        &bad[..bad.len().min(8)]
    );
}

/// Eight writers at once, with overlapping batches in different orders: every record once, and
/// every user in the group of their earliest exposure.
async fn concurrent_writers_store_each_record_once(backend: &dyn Backend) {
    let store = std::sync::Arc::new(backend.store().await);
    let records: Vec<Accepted> = (0..2000)
        .map(|n| {
            let user = format!("c{}", n % 300);
            exposure(
                &format!("c-{n}"),
                &user,
                "e",
                ["Control", "Red", "Blue"][n % 3],
                T0 + n as i64,
            )
        })
        .collect();
    let mut writers = Vec::new();
    for writer in 0..8 {
        let (store, records) = (store.clone(), records.clone());
        writers.push(tokio::spawn(async move {
            let mut order: Vec<usize> = (0..records.len()).collect();
            if writer % 2 == 1 {
                order.reverse();
            }
            let mut inserted = Inserted::default();
            for chunk in order.chunks(100 + writer * 10) {
                let batch = chunk.iter().map(|&i| records[i].clone()).collect();
                let done = store.insert(batch, 0, T0).await.unwrap();
                inserted.stored += done.stored;
                inserted.duplicates += done.duplicates;
            }
            inserted
        }));
    }
    let mut stored = 0;
    for writer in writers {
        let done = writer.await.unwrap();
        assert_eq!(done.stored + done.duplicates, 2000);
        stored += done.stored;
    }
    assert_eq!(stored, 2000, "each record stored by exactly one writer");
    // Users c0..c299 first exposed at n = their number: group n % 3.
    let want: Vec<(String, u64)> = vec![
        ("Control".into(), 100),
        ("Red".into(), 100),
        ("Blue".into(), 100),
    ];
    assert_eq!(exposed(&store, "e").await, want);
    assert_eq!(stored_records(&store).await, 2000);
}

/// A batch that fails part-way leaves nothing behind, and answers an error.
async fn a_failed_batch_leaves_nothing(backend: &dyn Backend, trigger: &str) {
    let store = backend.store().await;
    backend.execute(trigger).await;
    let failed = store
        .insert(
            vec![
                exposure("f1", "fine", "e", "Red", T0),
                event("f2", "fine", "cta_click", T0 + 1, None),
                exposure("f3", "poison", "e", "Red", T0),
            ],
            3,
            T0,
        )
        .await;
    let error = failed.expect_err("the trigger fails the batch").to_string();
    assert!(error.contains("poisoned"), "{error}");
    let results = store.results(&rules(), "e").await.unwrap().unwrap();
    assert_eq!(results.total_users, 0);
    assert_eq!(results.dropped_by_clients, 0);
    assert_eq!(stored_records(&store).await, 0);
}

/// Records come back in time order (on the collector's clock), and export as Parquet files by
/// kind and UTC day that hold every record once.
async fn records_export_by_day(backend: &dyn Backend) {
    let store = backend.store().await;
    let mut batch = Vec::new();
    for day in 0..3 {
        for n in 0..40 {
            let time = T0 + day * DAY + (39 - n) * 1000;
            batch.push(exposure(
                &format!("x{day}-{n}"),
                &format!("u{n}"),
                "e",
                "Red",
                time,
            ));
            batch.push(event(
                &format!("v{day}-{n}"),
                &format!("u{n}"),
                "purchase",
                time + 1,
                Some(2.5),
            ));
        }
    }
    store.insert(batch, 0, T0).await.unwrap();
    let mut times = Vec::new();
    store
        .records(&mut |r| {
            times.push(r.time);
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(times.len(), 240);
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "in time order");

    let out = tempfile::tempdir().unwrap();
    let exported = cohort_collector::export::parquet(&store, out.path())
        .await
        .unwrap();
    assert_eq!((exported.exposures, exported.events), (120, 120));
    let mut found = Vec::new();
    for file in &exported.files {
        let relative = file
            .strip_prefix(out.path())
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let reader =
            parquet::file::reader::SerializedFileReader::new(std::fs::File::open(file).unwrap())
                .unwrap();
        use parquet::file::reader::FileReader;
        let rows = reader.metadata().file_metadata().num_rows();
        found.push((relative, rows));
    }
    assert_eq!(
        found,
        [
            ("events/day=2026-11-26/part-00000.parquet".to_owned(), 40),
            ("events/day=2026-11-27/part-00000.parquet".to_owned(), 40),
            ("events/day=2026-11-28/part-00000.parquet".to_owned(), 40),
            ("exposures/day=2026-11-26/part-00000.parquet".to_owned(), 40),
            ("exposures/day=2026-11-27/part-00000.parquet".to_owned(), 40),
            ("exposures/day=2026-11-28/part-00000.parquet".to_owned(), 40),
        ]
    );
    // The columns a warehouse needs, with their values.
    let file =
        std::fs::File::open(out.path().join("events/day=2026-11-27/part-00000.parquet")).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut total = 0.0;
    for batch in reader {
        let batch = batch.unwrap();
        let values = batch
            .column_by_name("value")
            .unwrap()
            .as_any()
            .downcast_ref::<arrow_array::Float64Array>()
            .unwrap();
        total += values.iter().flatten().sum::<f64>();
        assert!(batch.column_by_name("user_id").is_some());
        assert!(batch.column_by_name("time").is_some());
    }
    assert_eq!(total, 100.0);
}

/// Batches committed together (as the collector's group commit does): each answered with what
/// it stored (a record two of them carry, for the first), and the kept results equal to a
/// recomputation.
async fn batches_committed_together_count_each_record_once(backend: &dyn Backend) {
    let store = backend.store().await;
    store.keep(&rules()).await.unwrap();
    let mut rng = StdRng::seed_from_u64(19);
    let records = random_stream(&mut rng, 80, "grouped");
    let mut chunks: Vec<Vec<Accepted>> = records.chunks(25).map(<[_]>::to_vec).collect();
    // The second batch repeats the first's first record.
    let repeated = chunks[0][0].clone();
    chunks[1].push(repeated);
    let batches: Vec<Batch> = chunks
        .into_iter()
        .enumerate()
        .map(|(i, records)| Batch::new(records, (i % 3) as u64, T0 + i as i64))
        .collect();
    let sent: usize = batches.iter().map(|b| b.records().len()).sum();
    let answers = store
        .insert_batches(std::sync::Arc::from(batches))
        .await
        .unwrap();
    let stored: u64 = answers.iter().map(|a| a.stored).sum();
    let duplicates: u64 = answers.iter().map(|a| a.duplicates).sum();
    assert_eq!(stored + duplicates, sent as u64);
    assert!(answers[1].duplicates >= 1, "{:?}", answers[1]);
    assert_eq!(stored_records(&store).await, stored);
    assert_kept_equals_recomputed(&store, "batches committed together").await;
    // What the pages dropped: counted per batch that stored something.
    let claimed: u64 = answers
        .iter()
        .enumerate()
        .filter(|(_, a)| a.stored > 0)
        .map(|(i, _)| (i % 3) as u64)
        .sum();
    assert_eq!(dropped(&store).await, claimed);
}

/// Through the collector's group commit, many batches at once (up to 64 to a commit, then
/// each alone): a batch the database refuses fails alone, and every other batch is stored and
/// answered.
async fn a_refused_batch_in_a_group_costs_only_itself(backend: &dyn Backend, trigger: &str) {
    let store = std::sync::Arc::new(backend.store().await);
    store.keep(&rules()).await.unwrap();
    backend.execute(trigger).await;
    for (round, commit_group) in [64, 1].into_iter().enumerate() {
        let committer = std::sync::Arc::new(Committer::start(store.clone(), commit_group));
        let mut sent = Vec::new();
        for n in 0..40 {
            let user = if n == 17 {
                "poison".to_owned()
            } else {
                format!("g{round}-{n}")
            };
            let batch = Batch::new(
                vec![exposure(
                    &format!("grp-{round}-{n}"),
                    &user,
                    "e",
                    "Red",
                    T0 + n,
                )],
                0,
                T0,
            );
            let committer = committer.clone();
            sent.push(tokio::spawn(async move { committer.insert(batch).await }));
        }
        let mut answers = Vec::new();
        for task in sent {
            answers.push(task.await.unwrap());
        }
        for (n, answer) in answers.iter().enumerate() {
            if n == 17 {
                let error = answer.as_ref().expect_err("the poisoned batch fails");
                assert!(error.to_string().contains("poisoned"), "{error}");
            } else {
                assert_eq!(
                    answer.as_ref().map(|a| a.stored),
                    Ok(1),
                    "batch {n}, group {commit_group}"
                );
            }
        }
        let results = store.results(&rules(), "e").await.unwrap().unwrap();
        assert_eq!(results.total_users, 39 * (round as u64 + 1));
    }
}

async fn suite(fresh: impl Fn(&str) -> Box<dyn Backend>, trigger: &str) {
    records_are_stored_once(&*fresh("once")).await;
    forged_records_are_kept_apart(&*fresh("forged")).await;
    dropped_claims_count_once_and_extreme_values_stay_finite(&*fresh("dropped")).await;
    a_metric_the_database_cannot_compute_is_named_and_the_others_served(&*fresh("part")).await;
    kept_results_equal_a_recomputation(&*fresh("kept")).await;
    sql_aggregates_equal_counting_in_memory(&*fresh("aggregates")).await;
    a_breakdown_equals_counting_each_slice_in_memory(&*fresh("breakdown")).await;
    experiments_are_listed_with_their_exposed_users(&*fresh("listing")).await;
    gate_exposures_leave_experiment_results_alone(&*fresh("gates")).await;
    concurrent_writers_store_each_record_once(&*fresh("concurrent")).await;
    a_failed_batch_leaves_nothing(&*fresh("failed"), trigger).await;
    batches_committed_together_count_each_record_once(&*fresh("grouped")).await;
    a_refused_batch_in_a_group_costs_only_itself(&*fresh("refused"), trigger).await;
    records_export_by_day(&*fresh("export")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    suite(
        move |name| Box::new(Sqlite(path.join(format!("{name}.db")))),
        "CREATE TRIGGER poison BEFORE INSERT ON records WHEN NEW.user_id = 'poison'
         BEGIN SELECT RAISE(ABORT, 'poisoned record'); END;",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres() {
    let cluster = ThrowawayPostgres::start().unwrap_or_else(|e| panic!("{e}"));
    let urls: BTreeMap<&str, String> = [
        "once",
        "forged",
        "dropped",
        "part",
        "kept",
        "aggregates",
        "breakdown",
        "listing",
        "gates",
        "concurrent",
        "failed",
        "export",
        "grouped",
        "refused",
    ]
    .into_iter()
    .map(|name| (name, cluster.database(name).unwrap()))
    .collect();
    suite(
        move |name| Box::new(Postgres(urls[name].clone())),
        "CREATE FUNCTION poison() RETURNS trigger AS $$
         BEGIN
             IF NEW.user_id = 'poison' THEN RAISE EXCEPTION 'poisoned record'; END IF;
             RETURN NEW;
         END $$ LANGUAGE plpgsql;
         CREATE TRIGGER poison BEFORE INSERT ON records FOR EACH ROW EXECUTE FUNCTION poison();",
    )
    .await;
}

/// A database of version 3 stored why a record is kept out as a sentence: it is stored as
/// its code after, and counted with the records stored since. `downgrade` makes a store
/// written by this version look like one of version 3.
async fn reasons_stored_as_sentences_are_migrated_to_their_codes(
    backend: &dyn Backend,
    downgrade: &str,
) {
    let store = backend.store().await;
    store
        .insert(vec![forged(exposure("s1", "s", "e", "Red", T0))], 0, T0)
        .await
        .unwrap();
    drop(store);
    backend
        .execute(&format!(
            "UPDATE records SET excluded = 'its group is not the one the rules give its user';
             {downgrade}"
        ))
        .await;
    let store = backend.store().await;
    store
        .insert(vec![forged(exposure("s2", "t", "e", "Red", T0))], 0, T0)
        .await
        .unwrap();
    let results = store.results(&rules(), "e").await.unwrap().unwrap();
    assert_eq!(
        results.excluded,
        [cohort_stats::Excluded {
            kind: "exposure".into(),
            reason: "group_mismatch".into(),
            count: 2
        }]
    );
}

#[tokio::test]
async fn reasons_stored_as_sentences_are_migrated_to_their_codes_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Sqlite(dir.path().join("v3.db"));
    reasons_stored_as_sentences_are_migrated_to_their_codes(&backend, "PRAGMA user_version = 3;")
        .await;
}

#[tokio::test]
async fn reasons_stored_as_sentences_are_migrated_to_their_codes_on_postgres() {
    let cluster = ThrowawayPostgres::start().unwrap_or_else(|e| panic!("{e}"));
    let backend = Postgres(cluster.database("v3").unwrap());
    reasons_stored_as_sentences_are_migrated_to_their_codes(
        &backend,
        "UPDATE cohort_schema SET version = 3;",
    )
    .await;
}

/// A database of version 4 kept its sums per group, not per group and day: they are built
/// again from the records (wrong sums left in the old tables are not read), and the results
/// over time are there. `downgrade` makes a store written by this version look like one of
/// version 4.
async fn sums_kept_per_group_are_built_again_per_day(backend: &dyn Backend, downgrade: &str) {
    let store = backend.store().await;
    store.keep(&rules()).await.unwrap();
    let records = vec![
        exposure("d1", "a", "e", "Control", T0 - 1),
        exposure("d2", "b", "e", "Red", T0 + HOUR),
        exposure("d3", "c", "e", "Blue", T0 + DAY),
        event("d4", "b", "visited_signup", T0 + DAY + 1, None),
    ];
    store.insert(records, 0, T0).await.unwrap();
    drop(store);
    backend
        .execute(&format!(
            "DROP TABLE group_users; DROP TABLE group_values;
             CREATE TABLE group_users (experiment TEXT NOT NULL, grp TEXT NOT NULL,
                                       users BIGINT NOT NULL);
             CREATE TABLE group_values (experiment TEXT NOT NULL, event TEXT NOT NULL,
                 window_ms BIGINT NOT NULL, grp TEXT NOT NULL, converted BIGINT NOT NULL,
                 count_sum BIGINT NOT NULL, count_squares BIGINT NOT NULL,
                 value_sum DOUBLE PRECISION NOT NULL, value_squares DOUBLE PRECISION NOT NULL);
             INSERT INTO group_users VALUES ('e', 'Red', 999);
             {downgrade}"
        ))
        .await;
    let store = backend.store().await;
    store.keep(&rules()).await.unwrap();
    assert_kept_equals_recomputed(&store, "after the migration to version 5").await;
    let results = store.results(&rules(), "e").await.unwrap().unwrap();
    assert_eq!(results.total_users, 3);
    let days: Vec<(&str, &[u64])> = results
        .over_time
        .iter()
        .map(|d| (d.date.as_str(), d.users.as_slice()))
        .collect();
    assert_eq!(
        days,
        [
            ("2026-11-25", &[1, 0, 0][..]),
            ("2026-11-26", &[1, 1, 0][..]),
            ("2026-11-27", &[1, 1, 1][..])
        ]
    );
}

#[tokio::test]
async fn sums_kept_per_group_are_built_again_per_day_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Sqlite(dir.path().join("v4.db"));
    sums_kept_per_group_are_built_again_per_day(&backend, "PRAGMA user_version = 4;").await;
}

#[tokio::test]
async fn sums_kept_per_group_are_built_again_per_day_on_postgres() {
    let cluster = ThrowawayPostgres::start().unwrap_or_else(|e| panic!("{e}"));
    let backend = Postgres(cluster.database("v4").unwrap());
    sums_kept_per_group_are_built_again_per_day(&backend, "UPDATE cohort_schema SET version = 4;")
        .await;
}

/// A database of schema version 5 kept its measures by event and window alone, without
/// covariates or denominators: its kept measure tables are built again from the records at
/// start (what they held is not read), and the results have CUPED's covariates.
async fn measures_kept_by_event_are_built_again_by_definition(
    backend: &dyn Backend,
    downgrade: &str,
) {
    let store = backend.store().await;
    store.keep(&rules()).await.unwrap();
    let records = vec![
        exposure("m1", "a", "e", "Control", T0),
        exposure("m2", "b", "e", "Red", T0),
        event("m3", "a", "cta_click", T0 - 10, None),
        event("m4", "a", "cta_click", T0 + 10, None),
        event("m5", "b", "purchase", T0 + 10, Some(4.0)),
    ];
    store.insert(records, 0, T0).await.unwrap();
    drop(store);
    backend
        .execute(&format!(
            "DROP TABLE measures; DROP TABLE user_values; DROP TABLE group_values;
             CREATE TABLE measures (experiment TEXT NOT NULL, event TEXT NOT NULL,
                 window_ms BIGINT NOT NULL);
             CREATE TABLE user_values (user_id TEXT NOT NULL, experiment TEXT NOT NULL,
                 event TEXT NOT NULL, window_ms BIGINT NOT NULL, events BIGINT NOT NULL,
                 total DOUBLE PRECISION NOT NULL);
             CREATE TABLE group_values (experiment TEXT NOT NULL, event TEXT NOT NULL,
                 window_ms BIGINT NOT NULL, grp TEXT NOT NULL, day BIGINT NOT NULL,
                 converted BIGINT NOT NULL, count_sum BIGINT NOT NULL,
                 count_squares BIGINT NOT NULL, value_sum DOUBLE PRECISION NOT NULL,
                 value_squares DOUBLE PRECISION NOT NULL);
             INSERT INTO measures VALUES ('e', 'cta_click', 0);
             INSERT INTO user_values VALUES ('a', 'e', 'cta_click', 0, 99, 0);
             {downgrade}"
        ))
        .await;
    let store = backend.store().await;
    store.keep(&rules()).await.unwrap();
    assert_kept_equals_recomputed(&store, "after the migration to version 6").await;
    let results = store.results(&rules(), "e").await.unwrap().unwrap();
    let clicks = results
        .metrics
        .iter()
        .find(|m| m.metric.name == "clicks")
        .unwrap();
    assert_eq!(
        clicks.groups[0].stats.sum, 1.0,
        "a's click after the exposure"
    );
    assert_eq!(
        clicks.groups[0].stats.covariate.unwrap().sum,
        1.0,
        "and the one before"
    );
}

#[tokio::test]
async fn measures_kept_by_event_are_built_again_by_definition_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Sqlite(dir.path().join("v5.db"));
    measures_kept_by_event_are_built_again_by_definition(&backend, "PRAGMA user_version = 5;")
        .await;
}

#[tokio::test]
async fn measures_kept_by_event_are_built_again_by_definition_on_postgres() {
    let cluster = ThrowawayPostgres::start().unwrap_or_else(|e| panic!("{e}"));
    let backend = Postgres(cluster.database("v5").unwrap());
    measures_kept_by_event_are_built_again_by_definition(
        &backend,
        "UPDATE cohort_schema SET version = 5;",
    )
    .await;
}

/// A database written by the previous version (results computed in memory, event values only
/// in the JSON) is brought up to date: values and first exposures filled in from its records.
#[tokio::test]
async fn a_version_2_sqlite_database_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            r#"CREATE TABLE records (
                 id TEXT PRIMARY KEY, kind TEXT NOT NULL, user_id TEXT NOT NULL,
                 experiment TEXT, grp TEXT, name TEXT, time INTEGER NOT NULL,
                 client_time INTEGER, excluded TEXT, note TEXT, record TEXT NOT NULL,
                 received_at INTEGER NOT NULL);
               CREATE INDEX exposures ON records (experiment, time) WHERE kind = 'exposure';
               CREATE INDEX events ON records (name, time) WHERE kind = 'event';
               CREATE TABLE client_drops (received_at INTEGER NOT NULL, dropped INTEGER NOT NULL);
               INSERT INTO records VALUES
                 ('1', 'exposure', 'a', 'e', 'Red', NULL, 20, 20, NULL, NULL, '{}', 0),
                 ('2', 'exposure', 'a', 'e', 'Blue', NULL, 10, 10, NULL, NULL, '{}', 0),
                 ('3', 'exposure', 'b', 'e', 'Red', NULL, 10, 10, 'forged group', 'n', '{}', 0),
                 ('4', 'event', 'a', NULL, NULL, 'purchase', 30, 30, NULL, NULL,
                  '{"event":{"id":"4","user_id":"a","name":"purchase","time":30,"value":7.5}}', 0);
               PRAGMA user_version = 2;"#,
        )
        .unwrap();
    }
    let store = Store::open(path.to_str().unwrap()).await.unwrap();
    store.keep(&rules()).await.unwrap();
    assert_kept_equals_recomputed(&store, "migrated").await;
    assert_eq!(
        exposed(&store, "e").await,
        [("Control".into(), 0), ("Red".into(), 0), ("Blue".into(), 1)]
    );
    let results = store.results(&rules(), "e").await.unwrap().unwrap();
    let revenue = results
        .metrics
        .iter()
        .find(|m| m.metric.name == "revenue")
        .unwrap();
    assert_eq!(revenue.groups[2].stats.sum, 7.5);
    let version: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, 6);
}
