//! The PostgreSQL store (tokio-postgres with a deadpool pool): several collectors may share one
//! database. A batch is one transaction: its records inserted in one statement
//! (`UNNEST` arrays, `ON CONFLICT (id) DO NOTHING RETURNING id`, so a record sent to two
//! collectors is stored once), then the first exposures it changes, in key order (so that
//! concurrent batches cannot deadlock on each other's rows); it is acknowledged after the
//! commit, which PostgreSQL makes durable (`synchronous_commit`). A transaction that loses a
//! deadlock or serialization race is run again.

use std::collections::BTreeMap;

use cohort::rules::Metric;
use cohort_stats::Excluded;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{IsolationLevel, NoTls};

use super::aggregate::{self, Figures, GroupRow};
use super::schema;
use super::{Accepted, Inserted, Row, StoreError, StoredRecord};

/// An arbitrary key for the advisory lock that serialises schema changes between collectors
/// starting at once.
const SCHEMA_LOCK: i64 = 0x636f_686f_7274;

/// An open PostgreSQL store.
pub struct PostgresStore {
    pool: Pool,
    /// The URL without its password, for messages.
    shown: String,
}

impl PostgresStore {
    /// Connects to `url` and creates the tables if they are missing.
    pub async fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError(format!("bad PostgreSQL URL: {e}")))?;
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
            .map_err(|e| StoreError(format!("cannot make a connection pool: {e}")))?;
        let client = pool
            .get()
            .await
            .map_err(|e| StoreError(format!("cannot connect to {shown}: {e}")))?;
        client
            .batch_execute(&format!(
                "SELECT pg_advisory_lock({SCHEMA_LOCK});
                 {}
                 CREATE TABLE IF NOT EXISTS cohort_schema (version BIGINT NOT NULL);
                 CREATE TABLE IF NOT EXISTS cohort_secret (
                     id INT PRIMARY KEY CHECK (id = 1),
                     secret TEXT NOT NULL
                 );
                 INSERT INTO cohort_schema (version)
                     SELECT {} WHERE NOT EXISTS (SELECT 1 FROM cohort_schema);
                 SELECT pg_advisory_unlock({SCHEMA_LOCK});",
                schema::postgres(),
                schema::VERSION
            ))
            .await
            .map_err(|e| StoreError(format!("cannot prepare {shown}: {}", StoreError::from(e))))?;
        Ok(PostgresStore { pool, shown })
    }

    pub fn describe(&self) -> &str {
        &self.shown
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool
            .get()
            .await
            .map_err(|e| StoreError(format!("cannot connect to {}: {e}", self.shown)))
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
    pub async fn insert(
        &self,
        records: &[Accepted],
        dropped: u64,
        received_at: i64,
    ) -> Result<Inserted, StoreError> {
        let mut client = self.client().await?;
        let mut attempt = 0;
        loop {
            match insert_once(&mut client, records, dropped, received_at).await {
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
        let statement = tx.prepare(aggregate::EXPOSED_USERS).await?;
        let mut counts = Vec::with_capacity(experiments.len());
        for experiment in experiments {
            let count: i64 = tx.query_one(&statement, &[experiment]).await?.get(0);
            counts.push(count as u64);
        }
        tx.commit().await?;
        Ok(counts)
    }

    /// The raw numbers of an experiment's results (see [`aggregate`]), from one snapshot.
    pub async fn raw(&self, experiment: &str, metrics: &[Metric]) -> Result<Figures, StoreError> {
        let mut client = self.client().await?;
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        // The aggregation reads whole tables: hash or merge joins are right for it. Right
        // after a bulk load, before autovacuum has analysed the tables, the planner may pick a
        // nested loop that rescans the events for every user (minutes instead of seconds).
        tx.batch_execute("SET LOCAL enable_nestloop = off").await?;
        let exposed = tx
            .query(aggregate::EXPOSED, &[&experiment])
            .await?
            .iter()
            .map(|row| (row.get::<_, String>(0), row.get::<_, i64>(1) as u64))
            .collect();
        let statement = tx.prepare(aggregate::METRIC).await?;
        // Each metric is a part of its own, behind a savepoint: one whose query fails (an
        // overflow over values written behind the collector's back) is named, the others
        // served. Only a failure of the connection fails the whole answer.
        let mut per_metric = Vec::with_capacity(metrics.len());
        for metric in metrics {
            let part = tx.savepoint("metric").await?;
            let rows = part
                .query(&statement, &[&experiment, &metric.event, &metric.window_ms])
                .await;
            let rows = match rows {
                Ok(rows) => {
                    part.commit().await?;
                    rows
                }
                Err(e) => {
                    part.rollback().await?;
                    per_metric.push(Err(StoreError::from(e)));
                    continue;
                }
            };
            let real =
                |row: &tokio_postgres::Row, i| row.get::<_, Option<f64>>(i).unwrap_or(f64::NAN);
            let rows = rows
                .iter()
                .map(|row| GroupRow {
                    group: row.get(0),
                    users: row.get::<_, i64>(1) as u64,
                    converted: row.get::<_, i64>(2) as u64,
                    count_sum: real(row, 3),
                    count_squares: real(row, 4),
                    value_sum: real(row, 5),
                    value_squares: real(row, 6),
                })
                .collect();
            per_metric.push(aggregate::finite(rows));
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

/// One attempt at storing a batch.
async fn insert_once(
    client: &mut deadpool_postgres::Object,
    records: &[Accepted],
    dropped: u64,
    received_at: i64,
) -> Result<Inserted, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    // In ID order: concurrent batches that share records lock them in the same order.
    let mut rows: Vec<Row<'_>> = records.iter().map(Row::of).collect();
    rows.sort_unstable_by(|a, b| a.id.cmp(b.id));
    let ids: Vec<&str> = rows.iter().map(|r| r.id).collect();
    let kinds: Vec<&str> = rows.iter().map(|r| r.kind).collect();
    let users: Vec<&str> = rows.iter().map(|r| r.user_id).collect();
    let experiments: Vec<Option<&str>> = rows.iter().map(|r| r.experiment).collect();
    let groups: Vec<Option<&str>> = rows.iter().map(|r| r.group).collect();
    let names: Vec<Option<&str>> = rows.iter().map(|r| r.name).collect();
    let values: Vec<Option<f64>> = rows.iter().map(|r| r.value).collect();
    let times: Vec<i64> = rows.iter().map(|r| r.time).collect();
    let client_times: Vec<i64> = rows.iter().map(|r| r.client_time).collect();
    let excluded: Vec<Option<&str>> = rows.iter().map(|r| r.excluded).collect();
    let notes: Vec<Option<&str>> = rows.iter().map(|r| r.note).collect();
    let texts: Vec<&str> = rows.iter().map(|r| r.record.as_str()).collect();
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
        &received_at,
    ];
    let new: Vec<String> = tx
        .query(
            "INSERT INTO records
             (id, kind, user_id, experiment, grp, name, value, time, client_time, excluded,
              note, record, received_at)
             SELECT u.*, $13::int8
             FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::text[], $7::float8[], $8::int8[], $9::int8[], $10::text[],
                         $11::text[], $12::text[])
                  AS u(id, kind, user_id, experiment, grp, name, value, time, client_time,
                       excluded, note, record)
             ON CONFLICT (id) DO NOTHING
             RETURNING id",
            &params,
        )
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let mut done = Inserted {
        stored: new.len() as u64,
        duplicates: (records.len() - new.len()) as u64,
        excluded: 0,
    };
    // The first exposures the new records bring, one per user and experiment (the
    // earliest), in key order.
    let mut firsts: BTreeMap<(&str, &str), (&str, i64)> = BTreeMap::new();
    let new: std::collections::HashSet<&str> = new.iter().map(String::as_str).collect();
    for row in &rows {
        if !new.contains(row.id) {
            continue;
        }
        if row.excluded.is_some() {
            done.excluded += 1;
            continue;
        }
        if let (Some(experiment), Some(group)) = (row.experiment, row.group) {
            let entry = firsts
                .entry((experiment, row.user_id))
                .or_insert((group, row.time));
            if row.time < entry.1 {
                *entry = (group, row.time);
            }
        }
    }
    if !firsts.is_empty() {
        let experiments: Vec<&str> = firsts.keys().map(|(e, _)| *e).collect();
        let users: Vec<&str> = firsts.keys().map(|(_, u)| *u).collect();
        let groups: Vec<&str> = firsts.values().map(|(g, _)| *g).collect();
        let times: Vec<i64> = firsts.values().map(|(_, t)| *t).collect();
        tx.execute(
            &format!(
                "INSERT INTO first_exposures (experiment, user_id, grp, time)
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int8[])
                 {}",
                schema::FIRST_EXPOSURE_UPSERT
            ),
            &[&experiments, &users, &groups, &times],
        )
        .await?;
    }
    if let Some(dropped) = super::dropped_to_count(dropped, done.stored) {
        tx.execute(
            "INSERT INTO client_drops (received_at, dropped) VALUES ($1, $2)",
            &[&received_at, &dropped],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(done)
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
