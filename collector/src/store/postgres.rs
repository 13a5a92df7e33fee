//! The PostgreSQL store (tokio-postgres with a deadpool pool): several collectors may share one
//! database. A batch is one transaction: its records inserted in one statement
//! (`UNNEST` arrays, `ON CONFLICT (id) DO NOTHING RETURNING id`, so a record sent to two
//! collectors is stored once), then the kept results it changes ([`super::incremental`]),
//! under an advisory lock the collectors take in turn and in key order; it is acknowledged
//! after the commit, which PostgreSQL makes durable (`synchronous_commit`). A transaction
//! that loses a deadlock or serialization race is run again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use cohort::rules::Metric;
use cohort_stats::Excluded;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{IsolationLevel, NoTls};

use super::aggregate::{self, Figures, GroupRow, MetricRows};
use super::incremental::{
    self, Event, First, GroupSums, Kept, Measure, NewExposure, Step, UserFigures, UserValue,
};
use super::schema;
use super::{Batch, Inserted, Row, StoreError, StoredRecord};

/// An arbitrary key for the advisory lock that serialises schema changes between collectors
/// starting at once.
const SCHEMA_LOCK: i64 = 0x636f_686f_7274;

/// The key of the advisory lock a transaction holds while it brings the kept results up to
/// date: collectors sharing the database take turns, so that each sees the others' committed
/// records (an event stored by one while another stores its user's first exposure is counted
/// by whichever comes second).
const RESULTS_LOCK: i64 = 0x636f_686f_7275;

/// What a batch that stores new records tells the collectors listening on the database.
const NOTIFY: &str = "NOTIFY cohort_records";

/// How often at most a collector tells the others that it stored records. A `NOTIFY` inside
/// the batches' transactions would serialise every commit of every collector behind
/// PostgreSQL's notification lock (held through the commit's `fsync`): told after, at most
/// this often, the commits run side by side, and a reader learns of new records within this
/// much of their commit.
const NOTIFY_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// Calls `changed` soon after a batch that stores new records commits (within [`NOTIFY_EVERY`]), by any collector on the
/// database at `url` (PostgreSQL's `LISTEN`), for as long as the process runs. While the
/// listening connection is down (and it is made again every second), `changed` is called
/// every second: a reader then asks again rather than take old figures for current ones.
pub fn listen(url: &str, changed: std::sync::Arc<dyn Fn() + Send + Sync>) {
    let Ok(config) = url.parse::<tokio_postgres::Config>() else {
        return;
    };
    tokio::spawn(async move {
        loop {
            if let Ok((client, mut connection)) = config.connect(NoTls).await {
                let notified = changed.clone();
                let messages = tokio::spawn(async move {
                    while let Some(Ok(message)) =
                        std::future::poll_fn(|cx| connection.poll_message(cx)).await
                    {
                        if matches!(message, tokio_postgres::AsyncMessage::Notification(_)) {
                            notified();
                        }
                    }
                });
                if client.batch_execute("LISTEN cohort_records").await.is_ok() {
                    changed();
                    let _ = messages.await;
                } else {
                    messages.abort();
                }
            }
            changed();
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    });
}

/// How many rows of changes an experiment's kept sums may have before [`PostgresStore::fold`]
/// folds them (a results answer adds them up).
const FOLD_PAST: i64 = 512;

/// An open PostgreSQL store.
pub struct PostgresStore {
    pool: Pool,
    /// The URL without its password, for messages.
    shown: String,
    /// The URL, for the listening connection.
    url: String,
    /// The measures whose results are kept as records arrive.
    kept: Arc<RwLock<Arc<Kept>>>,
    /// Set when a commit stored records the other collectors have not been told of
    /// ([`NOTIFY_EVERY`]); the telling task runs while the store lives.
    untold: Arc<AtomicBool>,
    telling: Arc<std::sync::OnceLock<()>>,
}

impl PostgresStore {
    /// Connects to `url` and creates the tables if they are missing.
    pub async fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Setup(format!("bad PostgreSQL URL: {e}")))?;
        // Statements are prepared once per connection and run for its life: a plan chosen
        // while the tables were empty (a scan of every row) would stay as they grow. Custom
        // plans are made with the tables' size at each run.
        let options = config.get_options().unwrap_or_default();
        config.options(format!("{options} -c plan_cache_mode=force_custom_plan").trim());
        let shown = describe(&config);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(16)
            .build()
            .map_err(|e| StoreError::Setup(format!("cannot make a connection pool: {e}")))?;
        let client = pool
            .get()
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot connect to {shown}: {e}")))?;
        client
            .batch_execute(&format!("SELECT pg_advisory_lock({SCHEMA_LOCK})"))
            .await
            .map_err(|e| StoreError::from(e).context(format!("cannot prepare {shown}")))?;
        drop_kept_before_days(&client)
            .await
            .map_err(|e| StoreError::from(e).context(format!("cannot prepare {shown}")))?;
        client
            .batch_execute(&format!(
                "{}
                 CREATE TABLE IF NOT EXISTS cohort_schema (version BIGINT NOT NULL);
                 CREATE TABLE IF NOT EXISTS cohort_secret (
                     id INT PRIMARY KEY CHECK (id = 1),
                     secret TEXT NOT NULL
                 );
                 INSERT INTO cohort_schema (version)
                     SELECT {} WHERE NOT EXISTS (SELECT 1 FROM cohort_schema);",
                schema::postgres(),
                schema::VERSION
            ))
            .await
            .map_err(|e| StoreError::from(e).context(format!("cannot prepare {shown}")))?;
        let migrated = migrate(&client).await;
        let unlocked = client
            .batch_execute(&format!("SELECT pg_advisory_unlock({SCHEMA_LOCK})"))
            .await;
        migrated
            .and(unlocked)
            .map_err(|e| StoreError::from(e).context(format!("cannot prepare {shown}")))?;
        Ok(PostgresStore {
            pool,
            shown,
            url: url.to_owned(),
            kept: Arc::default(),
            untold: Arc::default(),
            telling: Arc::default(),
        })
    }

    /// Marks that records were stored, to be told to every collector listening (see
    /// [`listen`]) within [`NOTIFY_EVERY`], by a task started on the first call and ended once
    /// the store is dropped.
    fn tell_others(&self) {
        self.untold.store(true, Ordering::Release);
        self.telling.get_or_init(|| {
            let (pool, untold) = (self.pool.clone(), Arc::downgrade(&self.untold));
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(NOTIFY_EVERY).await;
                    let Some(untold) = untold.upgrade() else {
                        return;
                    };
                    if untold.swap(false, Ordering::AcqRel) {
                        let told = match pool.get().await {
                            Ok(client) => client.batch_execute(NOTIFY).await.is_ok(),
                            Err(_) => false,
                        };
                        if !told {
                            // Told next time: a reader meanwhile polls as it always does.
                            untold.store(true, Ordering::Release);
                        }
                    }
                }
            });
        });
    }

    fn kept(&self) -> Arc<Kept> {
        self.kept.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Folds experiment `experiment`'s rows of changes in `group_users` and `group_values`
    /// into one row per key, once there are more than [`FOLD_PAST`] (rows committed meanwhile
    /// are left for the next time: a transaction deletes only what it sees).
    pub async fn fold(&self, experiment: &str) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let rows: i64 = client
            .query_one(
                "SELECT (SELECT COUNT(*) FROM group_users WHERE experiment = $1)
                      + (SELECT COUNT(*) FROM group_values WHERE experiment = $1)",
                &[&experiment],
            )
            .await?
            .get(0);
        if rows <= FOLD_PAST {
            return Ok(());
        }
        let tx = client.transaction().await?;
        tx.execute(
            "WITH gone AS (DELETE FROM group_users WHERE experiment = $1
                           RETURNING grp, day, users)
             INSERT INTO group_users (experiment, grp, day, users)
             SELECT $1, grp, day, SUM(users) FROM gone GROUP BY grp, day",
            &[&experiment],
        )
        .await?;
        tx.execute(
            "WITH gone AS (DELETE FROM group_values WHERE experiment = $1 RETURNING *)
             INSERT INTO group_values
                 (experiment, measure, grp, day, sum, squares, pre_sum, pre_squares,
                  pre_product, den_sum, den_squares, den_product, positive, negative,
                  den_positive, den_negative)
             SELECT experiment, measure, grp, day, SUM(sum), SUM(squares), SUM(pre_sum),
                    SUM(pre_squares), SUM(pre_product), SUM(den_sum), SUM(den_squares),
                    SUM(den_product), SUM(positive), SUM(negative), SUM(den_positive),
                    SUM(den_negative)
             FROM gone GROUP BY experiment, measure, grp, day",
            &[&experiment],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// As [`super::SqliteStore::use_kept`].
    pub async fn use_kept(&self, measures: Vec<Measure>) -> Result<(), StoreError> {
        let client = self.client().await?;
        let users: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM group_users)
                    OR NOT EXISTS (SELECT 1 FROM first_exposures)",
                &[],
            )
            .await?
            .get(0);
        let kept = Kept::as_stored(measures, &stored_measures(&**client).await?, users);
        *self.kept.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(kept);
        Ok(())
    }

    /// As [`super::SqliteStore::keep`], under the results lock.
    pub async fn keep(&self, measures: Vec<Measure>) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&RESULTS_LOCK])
            .await?;
        let row = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM first_exposures), NOT EXISTS (SELECT 1 FROM group_users)",
                &[],
            )
            .await?;
        let (has_exposures, unbuilt): (bool, bool) = (row.get(0), row.get(1));
        let unbuilt = unbuilt && has_exposures;
        if unbuilt {
            let started = std::time::Instant::now();
            let groups = tx.execute(schema::GROUP_USERS_BUILD, &[]).await?;
            eprintln!(
                "cohort: counted the users of {groups} group(s) from the first exposures in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        let stored = stored_measures(&*tx).await?;
        for old in stored.iter().filter(|s| !measures.iter().any(|m| m.is(s))) {
            for table in ["measures", "user_values", "group_values"] {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE experiment = $1 AND measure = $2"),
                    &[&old.0, &old.1],
                )
                .await?;
            }
        }
        for new in measures.iter().filter(|m| !stored.iter().any(|s| m.is(s))) {
            let started = std::time::Instant::now();
            let (event, window, lookback, den_event, den_window) =
                aggregate::counter_parameters(new);
            let den_kind = new.denominator.as_ref().map_or("", |d| d.kind.as_str());
            let capped = i32::from(new.capped);
            let users = tx
                .execute(
                    schema::USER_VALUES_BUILD,
                    &[
                        &new.experiment,
                        &event,
                        &window,
                        &lookback,
                        &den_event,
                        &den_window,
                        &new.value.kind.as_str(),
                        &den_kind,
                        &new.key,
                        &capped,
                    ],
                )
                .await?;
            let p: [&(dyn ToSql + Sync); 2] = [&new.experiment, &new.key];
            tx.execute(schema::GROUP_VALUES_BUILD, &p).await?;
            tx.execute(
                "INSERT INTO measures (experiment, measure) VALUES ($1, $2)",
                &p,
            )
            .await?;
            // Said of a database with exposures already (a new one has nothing to build).
            if has_exposures {
                eprintln!("cohort: {}", new.built(users as u64, started.elapsed()));
            }
        }
        tx.commit().await?;
        *self.kept.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(Kept::new(measures));
        Ok(())
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn describe(&self) -> &str {
        &self.shown
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool
            .get()
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot connect to {}: {e}", self.shown)))
    }

    /// The IP-hash secret every collector on this database shares: `fresh` if there was
    /// none yet.
    pub async fn shared_secret(&self, fresh: &str) -> Result<String, StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO cohort_secret (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
                &[&fresh],
            )
            .await?;
        Ok(client
            .query_one("SELECT secret FROM cohort_secret WHERE id = 1", &[])
            .await?
            .get(0))
    }

    /// The group of `user_id`'s first (not excluded) exposure to `experiment`, if any.
    pub async fn first_group(
        &self,
        experiment: &str,
        user_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let client = self.client().await?;
        Ok(client
            .query_opt(super::FIRST_GROUP, &[&experiment, &user_id])
            .await?
            .map(|row| row.get(0)))
    }

    /// Stores accepted records in one transaction, run again if it loses a race.
    /// Stores `batches` in one transaction (see [`super::Store::insert_batches`]); run again
    /// when it loses a deadlock or a serialization race.
    pub async fn insert(&self, batches: &[Batch]) -> Result<Vec<Inserted>, StoreError> {
        let mut client = self.client().await?;
        let mut attempt = 0;
        loop {
            match insert_once(&mut client, &self.kept(), batches).await {
                Ok(answers) => {
                    if answers.iter().any(|a| a.stored > 0) {
                        self.tell_others();
                    }
                    return Ok(answers);
                }
                Err(e)
                    if attempt < 5
                        && matches!(
                            e.code(),
                            Some(&SqlState::T_R_DEADLOCK_DETECTED)
                                | Some(&SqlState::T_R_SERIALIZATION_FAILURE)
                        ) =>
                {
                    attempt += 1;
                }
                other => return other.map_err(StoreError::from),
            }
        }
    }

    /// Reads the records table.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .query_one(
                "SELECT COUNT(*) FROM (SELECT 1 FROM records LIMIT 1) AS one",
                &[],
            )
            .await?;
        Ok(())
    }

    /// The users exposed to each of `experiments`, from one snapshot.
    pub async fn exposed_users(&self, experiments: &[String]) -> Result<Vec<u64>, StoreError> {
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let statement = tx
            .prepare(if self.kept().users {
                aggregate::EXPOSED_USERS_KEPT
            } else {
                aggregate::EXPOSED_USERS
            })
            .await?;
        let mut counts = Vec::with_capacity(experiments.len());
        for experiment in experiments {
            let count: i64 = tx.query_one(&statement, &[experiment]).await?.get(0);
            counts.push(count as u64);
        }
        tx.commit().await?;
        Ok(counts)
    }

    /// The raw numbers of an experiment's results (see [`aggregate`]), from one snapshot: as
    /// kept, or (with `recompute`, and for metrics not kept) recomputed from the records.
    pub async fn raw(
        &self,
        experiment: &str,
        metrics: &[Metric],
        recompute: bool,
    ) -> Result<Figures, StoreError> {
        let kept = self.kept();
        if !recompute && kept.users {
            self.fold(experiment).await?;
        }
        let mut client = self.client().await?;
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        // The recomputation reads whole tables: hash or merge joins are right for it. Right
        // after a bulk load, before autovacuum has analysed the tables, the planner may pick a
        // nested loop that rescans the events for every user (minutes instead of seconds).
        tx.batch_execute("SET LOCAL enable_nestloop = off").await?;
        let exposed: Vec<aggregate::Exposed> = tx
            .query(
                if recompute || !kept.users {
                    aggregate::EXPOSED
                } else {
                    aggregate::EXPOSED_KEPT
                },
                &[&experiment],
            )
            .await?
            .iter()
            .map(|row| aggregate::Exposed {
                group: row.get(0),
                day: row.get(1),
                users: row.get::<_, i64>(2) as u64,
            })
            .collect();
        // Each metric is a part of its own, behind a savepoint: one whose query fails (an
        // overflow over values written behind the collector's back) is named, the others
        // served. Only a failure of the connection fails the whole answer.
        let mut per_metric = Vec::with_capacity(metrics.len());
        for metric in metrics {
            let measure = Measure::of(experiment, metric);
            let is_kept = !recompute && kept.contains(&measure);
            let part = tx.savepoint("metric").await?;
            let rows = if is_kept {
                kept_rows(&part, metric, &measure, &exposed).await
            } else {
                recomputed_rows(&part, metric, &measure).await
            };
            match rows {
                Ok(rows) => {
                    part.commit().await?;
                    per_metric.push(aggregate::finite(rows));
                }
                Err(e) => {
                    part.rollback().await?;
                    per_metric.push(Err(StoreError::from(e)));
                }
            }
        }
        let excluded = tx
            .query(aggregate::EXCLUDED, &[&experiment])
            .await?
            .iter()
            .map(|row| Excluded {
                kind: row.get(0),
                reason: row.get(1),
                count: row.get::<_, i64>(2) as u64,
            })
            .collect();
        let dropped: i64 = tx.query_one(aggregate::DROPPED, &[]).await?.get(0);
        tx.commit().await?;
        Ok(Figures {
            exposed,
            metrics: per_metric,
            excluded,
            dropped: dropped as u64,
        })
    }

    /// As [`super::SqliteStore::breakdown`].
    pub async fn breakdown(
        &self,
        experiment: &str,
        dimension: &str,
        metrics: &[Metric],
        bounds: &[aggregate::Bounds],
    ) -> Result<aggregate::BreakdownFigures, StoreError> {
        let kept = self.kept();
        let mut client = self.client().await?;
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let users = tx
            .query(aggregate::BREAKDOWN_USERS, &[&experiment, &dimension])
            .await?
            .iter()
            .map(|row| (row.get(0), row.get(1), row.get::<_, i64>(2) as u64))
            .collect();
        let mut per_metric = Vec::with_capacity(metrics.len());
        for (metric, bounds) in metrics.iter().zip(bounds) {
            let measure = Measure::of(experiment, metric);
            if !kept.contains(&measure) {
                per_metric.push(Err(super::sqlite::not_kept()));
                continue;
            }
            let part = tx.savepoint("metric").await?;
            match breakdown_rows(&part, &measure, dimension, *bounds).await {
                Ok(rows) => {
                    part.commit().await?;
                    per_metric.push(Ok(rows));
                }
                Err(e) => {
                    part.rollback().await?;
                    per_metric.push(Err(StoreError::from(e)));
                }
            }
        }
        tx.commit().await?;
        Ok(aggregate::BreakdownFigures {
            users,
            metrics: per_metric,
        })
    }

    /// Every stored record, in time order, read through a cursor.
    pub async fn for_each_record(
        &self,
        each: &mut dyn FnMut(StoredRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let statement = tx
            .prepare(
                "SELECT id, kind, user_id, experiment, grp, name, value, time, client_time,
                        received_at, excluded, note, record
                 FROM records ORDER BY time, id",
            )
            .await?;
        let portal = tx.bind(&statement, &[]).await?;
        loop {
            let rows = tx.query_portal(&portal, 10_000).await?;
            if rows.is_empty() {
                break;
            }
            for row in rows {
                each(StoredRecord {
                    id: row.get(0),
                    kind: row.get(1),
                    user_id: row.get(2),
                    experiment: row.get(3),
                    group: row.get(4),
                    name: row.get(5),
                    value: row.get(6),
                    time: row.get(7),
                    client_time: row.get(8),
                    received_at: row.get(9),
                    excluded: row.get(10),
                    note: row.get(11),
                    record: row.get(12),
                })?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The measures the database keeps: experiments and keys.
async fn stored_measures(
    client: &impl tokio_postgres::GenericClient,
) -> Result<Vec<(String, String)>, tokio_postgres::Error> {
    Ok(client
        .query("SELECT experiment, measure FROM measures", &[])
        .await?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect())
}

/// A float column that may be NULL (read as NaN).
fn real(row: &tokio_postgres::Row, i: usize) -> f64 {
    row.get::<_, Option<f64>>(i).unwrap_or(f64::NAN)
}

/// A kept measure's rows, one per exposed group and day, with `metric`'s caps applied (see
/// [`aggregate::capped`]): each percentile placed by reading the values at its offsets, then
/// the users above the bounds read and corrected for.
async fn kept_rows(
    tx: &deadpool_postgres::Transaction<'_>,
    metric: &Metric,
    measure: &Measure,
    exposed: &[aggregate::Exposed],
) -> Result<MetricRows, tokio_postgres::Error> {
    let sums = tx
        .query(aggregate::METRIC_KEPT, &[&measure.experiment, &measure.key])
        .await?
        .iter()
        .map(|row| {
            let figures: [f64; 12] = std::array::from_fn(|i| real(row, i + 2));
            ((row.get(0), row.get(1)), GroupSums::from_array(figures))
        })
        .collect();
    let rows = aggregate::with_users(sums, exposed);
    let plans = aggregate::cap_plan(metric, &rows);
    if aggregate::caps_nothing(&plans) {
        return Ok(MetricRows::uncapped(rows));
    }
    let mut read = Vec::new();
    for (column, pick) in aggregate::to_read(&plans) {
        let Some(sql) = aggregate::nth_value(column, pick) else {
            continue;
        };
        let row = tx
            .query_one(sql, &[&measure.experiment, &measure.key, &pick.offset()])
            .await?;
        read.push(((column, pick), row.get::<_, f64>(0)));
    }
    let bounds = aggregate::bounds(&plans, &read);
    let tail: Vec<(String, i64, UserFigures)> = tx
        .query(
            &aggregate::TAIL.replace("{greatest}", "GREATEST"),
            &[
                &measure.experiment,
                &measure.key,
                &bounds.value,
                &bounds.denominator,
            ],
        )
        .await?
        .iter()
        .map(|row| {
            (
                row.get(1),
                row.get(2),
                UserFigures {
                    value: row.get(3),
                    pre: row.get(4),
                    denominator: row.get(5),
                },
            )
        })
        .collect();
    Ok(aggregate::capped(rows, bounds, &tail))
}

/// A kept measure's sums by dimension value and group, capped at `bounds`.
async fn breakdown_rows(
    tx: &deadpool_postgres::Transaction<'_>,
    measure: &Measure,
    dimension: &str,
    bounds: aggregate::Bounds,
) -> Result<aggregate::ValueRows, tokio_postgres::Error> {
    let rows: aggregate::ValueRows = tx
        .query(
            aggregate::BREAKDOWN_METRIC,
            &[&measure.experiment, &measure.key, &dimension],
        )
        .await?
        .iter()
        .map(|row| {
            let figures: [f64; 12] = std::array::from_fn(|i| real(row, i + 2));
            (row.get(0), row.get(1), GroupSums::from_array(figures))
        })
        .collect();
    if bounds == aggregate::Bounds::NONE {
        return Ok(rows);
    }
    let tail: Vec<(String, String, UserFigures)> = tx
        .query(
            &aggregate::BREAKDOWN_TAIL.replace("{greatest}", "GREATEST"),
            &[
                &measure.experiment,
                &measure.key,
                &bounds.value,
                &bounds.denominator,
                &dimension,
            ],
        )
        .await?
        .iter()
        .map(|row| {
            (
                row.get(2),
                row.get(1),
                UserFigures {
                    value: row.get(3),
                    pre: row.get(4),
                    denominator: row.get(5),
                },
            )
        })
        .collect();
    Ok(aggregate::capped_by_value(rows, bounds, &tail))
}

/// As the SQLite store's: summed by the database, capped after reading the percentiles.
async fn recomputed_rows(
    tx: &deadpool_postgres::Transaction<'_>,
    metric: &Metric,
    measure: &Measure,
) -> Result<MetricRows, tokio_postgres::Error> {
    let (event, window, lookback, den_event, den_window) = aggregate::counter_parameters(measure);
    let sum = |bounds: aggregate::Bounds| {
        let sql = aggregate::recount(measure);
        let (value, denominator) = (
            aggregate::bound_parameter(bounds.value),
            aggregate::bound_parameter(bounds.denominator),
        );
        async move {
            let rows = tx
                .query(
                    &sql,
                    &[
                        &measure.experiment,
                        &event,
                        &window,
                        &lookback,
                        &den_event,
                        &den_window,
                        &value,
                        &denominator,
                    ],
                )
                .await?;
            Ok::<_, tokio_postgres::Error>(
                rows.iter()
                    .map(|row| {
                        let figures: [f64; 12] = std::array::from_fn(|i| real(row, i + 3));
                        GroupRow {
                            group: row.get(0),
                            day: row.get(1),
                            users: row.get::<_, i64>(2) as u64,
                            sums: GroupSums::from_array(figures),
                        }
                    })
                    .collect::<Vec<_>>(),
            )
        }
    };
    let rows = sum(aggregate::Bounds::NONE).await?;
    let plans = aggregate::cap_plan(metric, &rows);
    if aggregate::caps_nothing(&plans) {
        return Ok(MetricRows::uncapped(rows));
    }
    let mut read = Vec::new();
    for (column, pick) in aggregate::to_read(&plans) {
        let Some(sql) = aggregate::recount_nth(measure, column, pick) else {
            continue;
        };
        let row = tx
            .query_one(
                &sql,
                &[
                    &measure.experiment,
                    &event,
                    &window,
                    &lookback,
                    &den_event,
                    &den_window,
                    &pick.offset(),
                ],
            )
            .await?;
        read.push(((column, pick), row.get::<_, f64>(0)));
    }
    let bounds = aggregate::bounds(&plans, &read);
    Ok(MetricRows {
        rows: sum(bounds).await?,
        bounds,
    })
}

/// Drops the kept results of a database of a version before 5, which kept its sums per group
/// and not per group and day (before the tables are created in this version's shape; they are
/// built again from the records at start), under the schema lock `open` holds.
async fn drop_kept_before_days(
    client: &deadpool_postgres::Object,
) -> Result<(), tokio_postgres::Error> {
    let versioned: bool = client
        .query_one("SELECT to_regclass('cohort_schema') IS NOT NULL", &[])
        .await?
        .get(0);
    if !versioned {
        return Ok(());
    }
    let version: Option<i64> = client
        .query_one("SELECT MAX(version) FROM cohort_schema", &[])
        .await?
        .get(0);
    if version.is_some_and(|v| v < 5) {
        for table in schema::KEPT_TABLES {
            client
                .batch_execute(&format!("DROP TABLE IF EXISTS {table}"))
                .await?;
        }
        client.batch_execute(schema::OLD_EVENTS_INDEX).await?;
    }
    if version.is_some_and(|v| v < 6) {
        // Version 5 kept measures by event and window alone: built again at start.
        for table in schema::KEPT_MEASURE_TABLES {
            client
                .batch_execute(&format!("DROP TABLE IF EXISTS {table}"))
                .await?;
        }
    }
    Ok(())
}

/// Brings a database written by an older version up to this one's schema, under the schema
/// lock `open` holds.
async fn migrate(client: &deadpool_postgres::Object) -> Result<(), tokio_postgres::Error> {
    let version: i64 = client
        .query_one("SELECT MAX(version) FROM cohort_schema", &[])
        .await?
        .get(0);
    if version < 4 {
        // Version 3: reasons stored as sentences; now as codes.
        for reason in cohort_protocol::ExclusionReason::ALL {
            client
                .execute(
                    "UPDATE records SET excluded = $1 WHERE excluded = $2",
                    &[&reason.code(), &reason.sentence()],
                )
                .await?;
        }
    }
    client
        .batch_execute(&format!(
            "UPDATE cohort_schema SET version = GREATEST(version, {})",
            schema::VERSION
        ))
        .await
}

/// One attempt at storing a batch.
async fn insert_once(
    client: &mut deadpool_postgres::Object,
    kept: &Kept,
    batches: &[Batch],
) -> Result<Vec<Inserted>, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    // Every batch's rows with their arrival, in ID order: concurrent transactions that share
    // records lock them in the same order.
    let batch_rows: Vec<Vec<Row<'_>>> = batches.iter().map(|b| b.rows().collect()).collect();
    let mut rows: Vec<(&Row<'_>, i64)> = batches
        .iter()
        .zip(&batch_rows)
        .flat_map(|(b, rows)| rows.iter().map(|r| (r, b.received_at)))
        .collect();
    rows.sort_unstable_by(|a, b| a.0.id.cmp(b.0.id));
    let ids: Vec<&str> = rows.iter().map(|(r, _)| r.id).collect();
    let kinds: Vec<&str> = rows.iter().map(|(r, _)| r.kind).collect();
    let users: Vec<&str> = rows.iter().map(|(r, _)| r.user_id).collect();
    let experiments: Vec<Option<&str>> = rows.iter().map(|(r, _)| r.experiment).collect();
    let groups: Vec<Option<&str>> = rows.iter().map(|(r, _)| r.group).collect();
    let names: Vec<Option<&str>> = rows.iter().map(|(r, _)| r.name).collect();
    let values: Vec<Option<f64>> = rows.iter().map(|(r, _)| r.value).collect();
    let times: Vec<i64> = rows.iter().map(|(r, _)| r.time).collect();
    let client_times: Vec<i64> = rows.iter().map(|(r, _)| r.client_time).collect();
    let excluded: Vec<Option<&str>> = rows.iter().map(|(r, _)| r.excluded).collect();
    let notes: Vec<Option<&str>> = rows.iter().map(|(r, _)| r.note).collect();
    let texts: Vec<&str> = rows.iter().map(|(r, _)| r.record).collect();
    let received: Vec<i64> = rows.iter().map(|(_, at)| *at).collect();
    let params: [&(dyn ToSql + Sync); 13] = [
        &ids,
        &kinds,
        &users,
        &experiments,
        &groups,
        &names,
        &values,
        &times,
        &client_times,
        &excluded,
        &notes,
        &texts,
        &received,
    ];
    let new: Vec<String> = tx
        .query(
            &tx.prepare_cached(
                "INSERT INTO records
             (id, kind, user_id, experiment, grp, name, value, time, client_time, excluded,
              note, record, received_at)
             SELECT *
             FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::text[], $7::float8[], $8::int8[], $9::int8[], $10::text[],
                         $11::text[], $12::text[], $13::int8[])
                  AS u(id, kind, user_id, experiment, grp, name, value, time, client_time,
                       excluded, note, record, received_at)
             ON CONFLICT (id) DO NOTHING
             RETURNING id",
            )
            .await?,
            &params,
        )
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    // Each new ID once, to the first batch that carries it (a batch, or two batches
    // committed together, may carry the same record twice).
    let mut new: std::collections::HashSet<&str> = new.iter().map(String::as_str).collect();
    let mut exposures = Vec::new();
    let mut events = Vec::new();
    let mut answers = Vec::with_capacity(batches.len());
    for (batch, rows) in batches.iter().zip(&batch_rows) {
        let mut done = Inserted::default();
        for row in rows {
            if !new.remove(row.id) {
                done.duplicates += 1;
                continue;
            }
            done.stored += 1;
            if row.excluded.is_some() {
                done.excluded += 1;
                continue;
            }
            row.sort_into(&mut exposures, &mut events);
        }
        if let Some(dropped) = super::dropped_to_count(batch.dropped, done.stored) {
            tx.execute(
                &tx.prepare_cached(
                    "INSERT INTO client_drops (received_at, dropped) VALUES ($1, $2)",
                )
                .await?,
                &[&batch.received_at, &dropped],
            )
            .await?;
        }
        answers.push(done);
    }
    keep_results(&tx, kept, &exposures, &events).await?;
    tx.commit().await?;
    Ok(answers)
}

/// `user@host:port/db`, without a password.
fn describe(config: &tokio_postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_default();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{}@{host}:{port}/{}",
        config.get_user().unwrap_or(""),
        config.get_dbname().unwrap_or("")
    )
}

/// Brings the kept results up to date with a batch's new records (already inserted), in its
/// transaction, under the results lock ([`incremental`]).
async fn keep_results(
    tx: &deadpool_postgres::Transaction<'_>,
    kept: &Kept,
    exposures: &[NewExposure<'_>],
    events: &[Event<'_>],
) -> Result<(), tokio_postgres::Error> {
    let users: Vec<&str> = incremental::users(kept, exposures, events)
        .into_iter()
        .collect();
    if users.is_empty() {
        return Ok(());
    }
    // Sent together (the server runs them in turn): the users' locks, then what is stored
    // of them.
    let (lock, firsts, values) = tokio::try_join!(
        tx.prepare_cached(
            "SELECT pg_advisory_xact_lock(hashtextextended(u, 0))
             FROM (SELECT u FROM UNNEST($1::text[]) AS u ORDER BY hashtextextended(u, 0)) AS users",
        ),
        tx.prepare_cached(
            "SELECT experiment, user_id, grp, time FROM first_exposures WHERE user_id = ANY($1)"
        ),
        tx.prepare_cached(
            "SELECT user_id, experiment, measure, events, total, pre_events, pre_total,
                    den_events, den_total
             FROM user_values WHERE user_id = ANY($1)",
        ),
    )?;
    let params: [&(dyn ToSql + Sync); 1] = [&users];
    let (_, firsts, values) = tokio::try_join!(
        tx.execute(&lock, &params),
        tx.query(&firsts, &params),
        tx.query(&values, &params),
    )?;
    let old_first: HashMap<(String, String), First> = firsts
        .iter()
        .map(|row| {
            (
                (row.get(0), row.get(1)),
                First {
                    group: row.get(2),
                    time: row.get(3),
                },
            )
        })
        .collect();
    let mut old_values = HashMap::new();
    for row in &values {
        let (experiment, key): (&str, &str) = (row.get(1), row.get(2));
        if let Some(i) = kept.index_of(experiment, key) {
            let value = UserValue {
                events: row.get(3),
                total: row.get(4),
                pre_events: row.get(5),
                pre_total: row.get(6),
                den_events: row.get(7),
                den_total: row.get(8),
            };
            old_values.insert((i, row.get::<_, String>(0)), value);
        }
    }
    let step = Step::new(kept, old_first, exposures, events);
    let (history_users, names) = step.history_users();
    let stored = if history_users.is_empty() {
        Vec::new()
    } else {
        tx.query(
            &tx.prepare_cached(
                "SELECT user_id, name, time, value FROM records
             WHERE kind = 'event' AND excluded IS NULL
               AND name = ANY($2) AND user_id = ANY($1)",
            )
            .await?,
            &[&history_users, &names],
        )
        .await?
    };
    let history: Vec<Event<'_>> = stored
        .iter()
        .map(|row| Event {
            user: row.get(0),
            name: row.get(1),
            time: row.get(2),
            value: row.get(3),
        })
        .collect();
    let changes = step.finish(&history, &old_values);
    // Each table in one statement (arrays unnested), rows in key order; the groups' sums as
    // rows of changes (see [`schema`]), which no other transaction waits on.
    if !changes.first.is_empty() {
        let experiments: Vec<&str> = changes.first.iter().map(|(e, _, _)| e.as_str()).collect();
        let users: Vec<&str> = changes.first.iter().map(|(_, u, _)| u.as_str()).collect();
        let groups: Vec<&str> = changes
            .first
            .iter()
            .map(|(_, _, f)| f.group.as_str())
            .collect();
        let times: Vec<i64> = changes.first.iter().map(|(_, _, f)| f.time).collect();
        tx.execute(&tx.prepare_cached("INSERT INTO first_exposures (experiment, user_id, grp, time)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int8[])
             ON CONFLICT (experiment, user_id) DO UPDATE SET grp = excluded.grp, time = excluded.time").await?,
            &[&experiments, &users, &groups, &times],
        )
        .await?;
        // The dimensions of the new first exposures replace those of the old.
        tx.execute(
            &tx.prepare_cached(
                "DELETE FROM user_dimensions d
             USING UNNEST($1::text[], $2::text[]) AS g(e, u)
             WHERE d.experiment = g.e AND d.user_id = g.u",
            )
            .await?,
            &[&experiments, &users],
        )
        .await?;
        let mut named: [Vec<&str>; 4] = Default::default();
        for ((experiment, user, _), dimensions) in changes.first.iter().zip(&changes.dimensions) {
            for (name, value) in dimensions.iter() {
                named[0].push(experiment);
                named[1].push(user);
                named[2].push(name);
                named[3].push(value);
            }
        }
        if !named[0].is_empty() {
            tx.execute(
                &tx.prepare_cached(
                    "INSERT INTO user_dimensions (experiment, user_id, name, value)
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[])",
                )
                .await?,
                &[&named[0], &named[1], &named[2], &named[3]],
            )
            .await?;
        }
    }
    if !changes.group_users.is_empty() {
        let experiments: Vec<&str> = changes
            .group_users
            .keys()
            .map(|(e, _, _)| e.as_str())
            .collect();
        let groups: Vec<&str> = changes
            .group_users
            .keys()
            .map(|(_, g, _)| g.as_str())
            .collect();
        let days: Vec<i64> = changes.group_users.keys().map(|(_, _, d)| *d).collect();
        let users: Vec<i64> = changes.group_users.values().copied().collect();
        tx.execute(
            &tx.prepare_cached(
                "INSERT INTO group_users (experiment, grp, day, users)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::int8[], $4::int8[])",
            )
            .await?,
            &[&experiments, &groups, &days, &users],
        )
        .await?;
    }
    let measure = |i: &usize| &kept.list()[*i];
    let (gone, set): (Vec<_>, Vec<_>) = changes
        .user_values
        .iter()
        .partition(|(_, value)| value.is_empty());
    if !gone.is_empty() {
        let users: Vec<&str> = gone.iter().map(|((_, u), _)| u.as_str()).collect();
        let experiments: Vec<&str> = gone
            .iter()
            .map(|((i, _), _)| measure(i).experiment.as_str())
            .collect();
        let keys: Vec<&str> = gone
            .iter()
            .map(|((i, _), _)| measure(i).key.as_str())
            .collect();
        tx.execute(
            &tx.prepare_cached(
                "DELETE FROM user_values v
             USING UNNEST($1::text[], $2::text[], $3::text[]) AS g(u, e, m)
             WHERE v.user_id = g.u AND v.experiment = g.e AND v.measure = g.m",
            )
            .await?,
            &[&users, &experiments, &keys],
        )
        .await?;
    }
    if !set.is_empty() {
        let users: Vec<&str> = set.iter().map(|((_, u), _)| u.as_str()).collect();
        let experiments: Vec<&str> = set
            .iter()
            .map(|((i, _), _)| measure(i).experiment.as_str())
            .collect();
        let keys: Vec<&str> = set
            .iter()
            .map(|((i, _), _)| measure(i).key.as_str())
            .collect();
        let figures: Vec<_> = set
            .iter()
            .map(|((i, _), v)| measure(i).figures(v))
            .collect();
        let column = |f: fn(&UserValue) -> i64| set.iter().map(|(_, v)| f(v)).collect::<Vec<i64>>();
        let real = |f: fn(&UserValue) -> f64| set.iter().map(|(_, v)| f(v)).collect::<Vec<f64>>();
        let values: Vec<f64> = figures.iter().map(|f| f.value).collect();
        let pre_values: Vec<f64> = figures.iter().map(|f| f.pre).collect();
        let den_values: Vec<f64> = figures.iter().map(|f| f.denominator).collect();
        let capped: Vec<i32> = set
            .iter()
            .map(|((i, _), _)| i32::from(measure(i).capped))
            .collect();
        tx.execute(
            &tx.prepare_cached(
                "INSERT INTO user_values (user_id, experiment, measure, events, total, pre_events,
                                          pre_total, den_events, den_total, value, pre_value,
                                          den_value, capped)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int8[], $5::float8[],
                                  $6::int8[], $7::float8[], $8::int8[], $9::float8[],
                                  $10::float8[], $11::float8[], $12::float8[], $13::int4[])
             ON CONFLICT (user_id, experiment, measure) DO UPDATE SET
                 events = excluded.events, total = excluded.total,
                 pre_events = excluded.pre_events, pre_total = excluded.pre_total,
                 den_events = excluded.den_events, den_total = excluded.den_total,
                 value = excluded.value, pre_value = excluded.pre_value,
                 den_value = excluded.den_value",
            )
            .await?,
            &[
                &users,
                &experiments,
                &keys,
                &column(|v| v.events),
                &real(|v| v.total),
                &column(|v| v.pre_events),
                &real(|v| v.pre_total),
                &column(|v| v.den_events),
                &real(|v| v.den_total),
                &values,
                &pre_values,
                &den_values,
                &capped,
            ],
        )
        .await?;
    }
    if !changes.group_values.is_empty() {
        let rows = &changes.group_values;
        let experiments: Vec<&str> = rows
            .keys()
            .map(|(i, _, _)| measure(i).experiment.as_str())
            .collect();
        let keys: Vec<&str> = rows
            .keys()
            .map(|(i, _, _)| measure(i).key.as_str())
            .collect();
        let groups: Vec<&str> = rows.keys().map(|(_, g, _)| g.as_str()).collect();
        let days: Vec<i64> = rows.keys().map(|(_, _, d)| *d).collect();
        let sums: Vec<[f64; 12]> = rows.values().map(GroupSums::to_array).collect();
        let columns: Vec<Vec<f64>> = (0..12)
            .map(|c| sums.iter().map(|s| s[c]).collect())
            .collect();
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&experiments, &keys, &groups, &days];
        params.extend(columns.iter().map(|c| c as &(dyn ToSql + Sync)));
        tx.execute(
            &tx.prepare_cached(
                "INSERT INTO group_values
                 (experiment, measure, grp, day, sum, squares, pre_sum, pre_squares, pre_product,
                  den_sum, den_squares, den_product, positive, negative, den_positive,
                  den_negative)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int8[],
                                  $5::float8[], $6::float8[], $7::float8[], $8::float8[],
                                  $9::float8[], $10::float8[], $11::float8[], $12::float8[],
                                  $13::float8[], $14::float8[], $15::float8[], $16::float8[])",
            )
            .await?,
            &params,
        )
        .await?;
    }
    Ok(())
}
