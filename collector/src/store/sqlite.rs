//! The SQLite store (rusqlite): one file in WAL mode, each batch acknowledged only once its
//! commit is synced to disk (it survives the process being killed, and the machine losing
//! power). The writer does not wait for the disk: its log is synced by a thread of its own
//! ([`super::log_sync`]) and copied into the database by another ([`super::checkpoint`]),
//! while it writes the next group. One connection writes, one reads for ingestion (a sticky
//! user's first group, asked while a batch is checked), and one reads results and listings, so
//! that however long results take, they never hold up a batch (WAL readers do not block the
//! writer or each other).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use cohort::rules::Metric;
use cohort_stats::Excluded;
use rusqlite::{named_params, params, Connection, OptionalExtension};

use super::aggregate::{self, Figures, GroupRow, MetricRows};
use super::checkpoint::Checkpointer;
use super::incremental::{
    self, Event, First, GroupSums, Kept, Measure, NewExposure, Step, UserFigures, UserValue,
};
use super::log_sync::{self, LogSync, Synced};
use super::schema;
use super::{Batch, Inserted, StoreError, StoredRecord};

/// An open SQLite store (a cheap handle: clones share the connections).
#[derive(Clone)]
pub struct SqliteStore {
    path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    /// For ingestion's reads: the sticky check.
    ingest_reader: Arc<Mutex<Connection>>,
    /// For results and listings.
    reader: Arc<Mutex<Connection>>,
    /// The measures whose results are kept as records arrive.
    kept: Arc<RwLock<Arc<Kept>>>,
    /// Syncs the log after the writer's commits ([`super::log_sync`]).
    log_sync: Arc<LogSync>,
    /// Copies the log into the database on a thread of its own ([`super::checkpoint`]).
    checkpointer: Arc<Checkpointer>,
}

/// How long a connection waits for a lock another holds.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(|e| {
        StoreError::from(e).context(format!("cannot open the database {}", path.display()))
    })?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;",
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (and creates, or brings up to date) the database at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let writer = connect(path)?;
        migrate(&writer).map_err(|e| {
            StoreError::from(e).context(format!("cannot prepare the database {}", path.display()))
        })?;
        // The writer's commits no longer wait for the disk: the log's sync thread does.
        writer.pragma_update(None, "synchronous", "NORMAL")?;
        writer.pragma_update(None, "wal_autocheckpoint", 0)?;
        let checkpointer = Checkpointer::start(connect(path)?).map_err(|e| {
            StoreError::Setup(format!("cannot start the SQLite checkpoint thread: {e}"))
        })?;
        // The file as SQLite resolved it (absolute, through symbolic links): its log is beside.
        let resolved = match writer.path() {
            Some(file) if !file.is_empty() => PathBuf::from(file),
            _ => std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned()),
        };
        let log_sync = LogSync::start(&resolved).map_err(|e| {
            StoreError::Setup(format!("cannot start the SQLite log's sync thread: {e}"))
        })?;
        Ok(SqliteStore {
            path: path.to_owned(),
            writer: Arc::new(Mutex::new(writer)),
            ingest_reader: Arc::new(Mutex::new(connect(path)?)),
            reader: Arc::new(Mutex::new(connect(path)?)),
            kept: Arc::default(),
            log_sync: Arc::new(log_sync),
            checkpointer: Arc::new(checkpointer),
        })
    }

    fn kept(&self) -> Arc<Kept> {
        self.kept.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reads what the database keeps (for a command that reads results while collectors
    /// keep them): of `measures`, those kept; and whether the users per group are.
    pub fn use_kept(&self, measures: Vec<Measure>) -> Result<(), StoreError> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let users: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM group_users)
                OR NOT EXISTS (SELECT 1 FROM first_exposures)",
            [],
            |row| row.get(0),
        )?;
        let kept = Kept::as_stored(measures, &stored_measures(&conn)?, users);
        *self.kept.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(kept);
        Ok(())
    }

    /// Keeps the results of `measures` as records arrive from now on: builds those not kept
    /// before from the stored records (and the users per group, for a database from before
    /// they were kept), and forgets those kept before that are not among them.
    pub fn keep(&self, measures: Vec<Measure>) -> Result<(), StoreError> {
        let mut conn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let (has_exposures, unbuilt): (bool, bool) = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM first_exposures), NOT EXISTS (SELECT 1 FROM group_users)",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        let unbuilt = unbuilt && has_exposures;
        if unbuilt {
            let started = std::time::Instant::now();
            let groups = tx.execute(schema::GROUP_USERS_BUILD, [])?;
            eprintln!(
                "cohort: counted the users of {groups} group(s) from the first exposures in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        let stored = stored_measures(&tx)?;
        for old in stored.iter().filter(|s| !measures.iter().any(|m| m.is(s))) {
            let p = named_params! {"$1": old.0, "$2": old.1};
            for table in ["measures", "user_values", "group_values"] {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE experiment = $1 AND measure = $2"),
                    p,
                )?;
            }
        }
        for new in measures.iter().filter(|m| !stored.iter().any(|s| m.is(s))) {
            let started = std::time::Instant::now();
            let (event, window, lookback, den_event, den_window) =
                aggregate::counter_parameters(new);
            let users = tx.execute(
                schema::USER_VALUES_BUILD,
                named_params! {
                    "$1": new.experiment, "$2": event, "$3": window, "$4": lookback,
                    "$5": den_event, "$6": den_window, "$7": new.value.kind.as_str(),
                    "$8": new.denominator.as_ref().map_or("", |d| d.kind.as_str()),
                    "$9": new.key, "$10": i64::from(new.capped)
                },
            )?;
            let p = named_params! {"$1": new.experiment, "$2": new.key};
            tx.execute(schema::GROUP_VALUES_BUILD, p)?;
            tx.execute(
                "INSERT INTO measures (experiment, measure) VALUES ($1, $2)",
                p,
            )?;
            // Said of a database with exposures already (a new one has nothing to build).
            if has_exposures {
                eprintln!("cohort: {}", new.built(users as u64, started.elapsed()));
            }
        }
        tx.commit()?;
        self.checkpointer.committed();
        // Set before another batch can be written: it counts what the database now keeps.
        *self.kept.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(Kept::new(measures));
        let synced = self.log_sync.after_commit();
        drop(conn);
        log_sync::wait_blocking(synced)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stores `batches` in one transaction (see [`super::Store::write_batches`]); returns
    /// once it is committed, with where its sync to disk is answered.
    pub fn insert(&self, batches: &[Batch]) -> Result<(Vec<Inserted>, Synced), StoreError> {
        let mut conn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        // Immediate: the write lock is taken first, through the busy handler (a transaction
        // that read first could not wait for it).
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut answers = Vec::with_capacity(batches.len());
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO records
                 (id, kind, user_id, experiment, grp, name, value, time, client_time, excluded,
                  note, record, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                 ON CONFLICT (id) DO NOTHING",
            )?;
            let mut exposures = Vec::new();
            let mut events = Vec::new();
            for batch in batches {
                let mut done = Inserted::default();
                for row in batch.rows() {
                    let new = insert.execute(params![
                        row.id,
                        row.kind,
                        row.user_id,
                        row.experiment,
                        row.group,
                        row.name,
                        row.value,
                        row.time,
                        row.client_time,
                        row.excluded,
                        row.note,
                        row.record,
                        batch.received_at
                    ])? as u64;
                    done.stored += new;
                    done.duplicates += 1 - new;
                    if new == 1 {
                        match row.excluded {
                            Some(_) => done.excluded += 1,
                            None => row.sort_into(&mut exposures, &mut events),
                        }
                    }
                }
                if let Some(dropped) = super::dropped_to_count(batch.dropped, done.stored) {
                    tx.execute(
                        "INSERT INTO client_drops (received_at, dropped) VALUES (?1, ?2)",
                        params![batch.received_at, dropped],
                    )?;
                }
                answers.push(done);
            }
            keep_results(&tx, &self.kept(), &exposures, &events)?;
        }
        tx.commit()?;
        let synced = self.log_sync.after_commit();
        self.checkpointer.committed();
        Ok((answers, synced))
    }

    /// Reads the records table (on the ingestion's connection, so that a long results query
    /// never makes a collector look down).
    pub fn ping(&self) -> Result<(), StoreError> {
        if let Some(failed) = self.log_sync.failure() {
            return Err(failed);
        }
        let conn = self.ingest_reader.lock().unwrap_or_else(|e| e.into_inner());
        conn.query_row(
            "SELECT COUNT(*) FROM (SELECT 1 FROM records LIMIT 1)",
            [],
            |_| Ok(()),
        )?;
        Ok(())
    }

    /// The group of `user_id`'s first (not excluded) exposure to `experiment`, if any.
    pub fn first_group(
        &self,
        experiment: &str,
        user_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let conn = self.ingest_reader.lock().unwrap_or_else(|e| e.into_inner());
        let mut statement = conn.prepare_cached(super::FIRST_GROUP)?;
        let group = statement
            .query_map(named_params! {"$1": experiment, "$2": user_id}, |row| {
                row.get(0)
            })?
            .next()
            .transpose()?;
        Ok(group)
    }

    /// The users exposed to each of `experiments`, from one read transaction.
    pub fn exposed_users(&self, experiments: &[String]) -> Result<Vec<u64>, StoreError> {
        let kept = self.kept();
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        conn.execute_batch("BEGIN")?;
        let result = (|| {
            let mut statement = conn.prepare_cached(if kept.users {
                aggregate::EXPOSED_USERS_KEPT
            } else {
                aggregate::EXPOSED_USERS
            })?;
            experiments
                .iter()
                .map(|experiment| {
                    statement.query_row(named_params! {"$1": experiment}, |row| {
                        Ok(row.get::<_, i64>(0)? as u64)
                    })
                })
                .collect::<rusqlite::Result<Vec<u64>>>()
        })();
        conn.execute_batch("COMMIT")?;
        Ok(result?)
    }

    /// The raw numbers of an experiment's results (see [`aggregate`]): as kept, or (with
    /// `recompute`, and for metrics not kept) recomputed from the records.
    pub fn raw(
        &self,
        experiment: &str,
        metrics: &[Metric],
        recompute: bool,
    ) -> Result<Figures, StoreError> {
        let kept = self.kept();
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        // One read transaction: every figure from the same snapshot.
        conn.execute_batch("BEGIN")?;
        let result = (|| {
            let exposed = conn
                .prepare_cached(if recompute || !kept.users {
                    aggregate::EXPOSED
                } else {
                    aggregate::EXPOSED_KEPT
                })?
                .query_map(named_params! {"$1": experiment}, |row| {
                    Ok(aggregate::Exposed {
                        group: row.get(0)?,
                        day: row.get(1)?,
                        users: row.get::<_, i64>(2)? as u64,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            // Each metric is a part of its own: one that fails is named, the others served.
            let mut per_metric = Vec::with_capacity(metrics.len());
            for metric in metrics {
                let measure = Measure::of(experiment, metric);
                let rows = if !recompute && kept.contains(&measure) {
                    kept_rows(&conn, &measure, &exposed)
                        .and_then(|rows| capped_rows(&conn, metric, &measure, rows))
                } else {
                    recomputed_rows(&conn, metric, &measure)
                };
                per_metric.push(rows.map_err(StoreError::from).and_then(aggregate::finite));
            }
            let excluded = conn
                .prepare_cached(aggregate::EXCLUDED)?
                .query_map(named_params! {"$1": experiment}, |row| {
                    Ok(Excluded {
                        kind: row.get(0)?,
                        reason: row.get(1)?,
                        count: row.get::<_, i64>(2)? as u64,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let dropped: i64 = conn.query_row(aggregate::DROPPED, [], |row| row.get(0))?;
            Ok::<_, rusqlite::Error>(Figures {
                exposed,
                metrics: per_metric,
                excluded,
                dropped: dropped as u64,
            })
        })();
        conn.execute_batch("COMMIT")?;
        Ok(result?)
    }

    /// What a breakdown of `experiment` by `dimension` reads (see
    /// [`aggregate::BreakdownFigures`]), the metrics capped at the whole experiment's `bounds`;
    /// a metric this database does not keep is named unavailable.
    pub fn breakdown(
        &self,
        experiment: &str,
        dimension: &str,
        metrics: &[Metric],
        bounds: &[aggregate::Bounds],
    ) -> Result<aggregate::BreakdownFigures, StoreError> {
        let kept = self.kept();
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        conn.execute_batch("BEGIN")?;
        let result = (|| {
            let users = conn
                .prepare_cached(aggregate::BREAKDOWN_USERS)?
                .query_map(named_params! {"$1": experiment, "$2": dimension}, |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get::<_, i64>(2)? as u64))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut per_metric = Vec::with_capacity(metrics.len());
            for (metric, bounds) in metrics.iter().zip(bounds) {
                let measure = Measure::of(experiment, metric);
                if !kept.contains(&measure) {
                    per_metric.push(Err(not_kept()));
                    continue;
                }
                let rows = breakdown_rows(&conn, &measure, dimension, *bounds);
                per_metric.push(rows.map_err(StoreError::from));
            }
            Ok::<_, rusqlite::Error>(aggregate::BreakdownFigures {
                users,
                metrics: per_metric,
            })
        })();
        conn.execute_batch("COMMIT")?;
        Ok(result?)
    }

    /// Every stored record, in time order.
    pub fn for_each_record(
        &self,
        each: &mut dyn FnMut(StoredRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let mut statement = conn.prepare(
            "SELECT id, kind, user_id, experiment, grp, name, value, time, client_time,
                    received_at, excluded, note, record
             FROM records ORDER BY time, id",
        )?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            each(StoredRecord {
                id: row.get(0)?,
                kind: row.get(1)?,
                user_id: row.get(2)?,
                experiment: row.get(3)?,
                group: row.get(4)?,
                name: row.get(5)?,
                value: row.get(6)?,
                time: row.get(7)?,
                client_time: row.get(8)?,
                received_at: row.get(9)?,
                excluded: row.get(10)?,
                note: row.get(11)?,
                record: row.get(12)?,
            })?;
        }
        Ok(())
    }
}

/// Creates the tables, or brings an older database up to date.
/// A kept measure's rows, one per exposed group and day (those without events too).
fn kept_rows(
    conn: &Connection,
    measure: &Measure,
    exposed: &[aggregate::Exposed],
) -> rusqlite::Result<Vec<GroupRow>> {
    let mut statement = conn.prepare_cached(aggregate::METRIC_KEPT)?;
    let mut sums: HashMap<(String, i64), GroupSums> = HashMap::new();
    let mut rows = statement.query(named_params! {"$1": measure.experiment, "$2": measure.key})?;
    while let Some(row) = rows.next()? {
        let mut figures = [0.0; 12];
        for (i, figure) in figures.iter_mut().enumerate() {
            *figure = real(row, i + 2)?;
        }
        sums.insert((row.get(0)?, row.get(1)?), GroupSums::from_array(figures));
    }
    Ok(aggregate::with_users(sums, exposed))
}

/// A column that is NULL where a sum is not a number (+inf and -inf summed).
fn real(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<f64> {
    Ok(row.get::<_, Option<f64>>(i)?.unwrap_or(f64::NAN))
}

/// A kept measure's rows with `metric`'s caps applied (see [`aggregate::capped`]): each
/// percentile placed by reading the values at its offsets, then the users above the bounds
/// read and corrected for.
fn capped_rows(
    conn: &Connection,
    metric: &Metric,
    measure: &Measure,
    rows: Vec<GroupRow>,
) -> rusqlite::Result<MetricRows> {
    let plans = aggregate::cap_plan(metric, &rows);
    if aggregate::caps_nothing(&plans) {
        return Ok(MetricRows::uncapped(rows));
    }
    let mut read = Vec::new();
    for (column, pick) in aggregate::to_read(&plans) {
        let Some(sql) = aggregate::nth_value(column, pick) else {
            continue;
        };
        let value = conn.prepare_cached(sql)?.query_row(
            named_params! {"$1": measure.experiment, "$2": measure.key, "$3": pick.offset()},
            |row| row.get::<_, f64>(0),
        )?;
        read.push(((column, pick), value));
    }
    let bounds = aggregate::bounds(&plans, &read);
    let tail = conn
        .prepare_cached(&aggregate::TAIL.replace("{greatest}", "max"))?
        .query_map(
            named_params! {
                "$1": measure.experiment, "$2": measure.key,
                "$3": bounds.value, "$4": bounds.denominator
            },
            |row| {
                Ok((
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                    UserFigures {
                        value: row.get(3)?,
                        pre: row.get(4)?,
                        denominator: row.get(5)?,
                    },
                ))
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(aggregate::capped(rows, bounds, &tail))
}

/// Why a breakdown leaves a metric out on a database that does not keep it.
pub(super) fn not_kept() -> StoreError {
    StoreError::Setup(
        "this database does not keep it (a collector with these rules keeps it from its start)"
            .into(),
    )
}

/// A kept measure's sums by dimension value and group, capped at `bounds`.
fn breakdown_rows(
    conn: &Connection,
    measure: &Measure,
    dimension: &str,
    bounds: aggregate::Bounds,
) -> rusqlite::Result<aggregate::ValueRows> {
    let mut statement = conn.prepare_cached(aggregate::BREAKDOWN_METRIC)?;
    let mut rows = statement
        .query(named_params! {"$1": measure.experiment, "$2": measure.key, "$3": dimension})?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut figures = [0.0; 12];
        for (i, figure) in figures.iter_mut().enumerate() {
            *figure = real(row, i + 2)?;
        }
        out.push((row.get(0)?, row.get(1)?, GroupSums::from_array(figures)));
    }
    if bounds == aggregate::Bounds::NONE {
        return Ok(out);
    }
    let tail = conn
        .prepare_cached(&aggregate::BREAKDOWN_TAIL.replace("{greatest}", "max"))?
        .query_map(
            named_params! {
                "$1": measure.experiment, "$2": measure.key,
                "$3": bounds.value, "$4": bounds.denominator, "$5": dimension
            },
            |row| {
                Ok((
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(1)?,
                    UserFigures {
                        value: row.get(3)?,
                        pre: row.get(4)?,
                        denominator: row.get(5)?,
                    },
                ))
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(aggregate::capped_by_value(out, bounds, &tail))
}

/// A metric's rows recomputed from the records ([`aggregate::recount`]): summed by the
/// database, then, for a capped metric, its percentiles placed by reading the values at their
/// offsets, and summed again with the caps.
fn recomputed_rows(
    conn: &Connection,
    metric: &Metric,
    measure: &Measure,
) -> rusqlite::Result<MetricRows> {
    let (event, window, lookback, den_event, den_window) = aggregate::counter_parameters(measure);
    let sum = |bounds: aggregate::Bounds| -> rusqlite::Result<Vec<GroupRow>> {
        conn.prepare_cached(&aggregate::recount(measure))?
            .query_map(
                named_params! {
                    "$1": measure.experiment, "$2": event, "$3": window, "$4": lookback,
                    "$5": den_event, "$6": den_window,
                    "$7": aggregate::bound_parameter(bounds.value),
                    "$8": aggregate::bound_parameter(bounds.denominator)
                },
                |row| {
                    let mut figures = [0.0; 12];
                    for (i, figure) in figures.iter_mut().enumerate() {
                        *figure = real(row, i + 3)?;
                    }
                    Ok(GroupRow {
                        group: row.get(0)?,
                        day: row.get(1)?,
                        users: row.get::<_, i64>(2)? as u64,
                        sums: GroupSums::from_array(figures),
                    })
                },
            )?
            .collect()
    };
    let rows = sum(aggregate::Bounds::NONE)?;
    let plans = aggregate::cap_plan(metric, &rows);
    if aggregate::caps_nothing(&plans) {
        return Ok(MetricRows::uncapped(rows));
    }
    let mut read = Vec::new();
    for (column, pick) in aggregate::to_read(&plans) {
        let Some(sql) = aggregate::recount_nth(measure, column, pick) else {
            continue;
        };
        let value = conn.prepare_cached(&sql)?.query_row(
            named_params! {
                "$1": measure.experiment, "$2": event, "$3": window, "$4": lookback,
                "$5": den_event, "$6": den_window, "$7": pick.offset()
            },
            |row| row.get::<_, f64>(0),
        )?;
        read.push(((column, pick), value));
    }
    let bounds = aggregate::bounds(&plans, &read);
    Ok(MetricRows {
        rows: sum(bounds)?,
        bounds,
    })
}

/// The measures the database keeps: experiments and keys.
fn stored_measures(conn: &Connection) -> rusqlite::Result<Vec<(String, String)>> {
    conn.prepare("SELECT experiment, measure FROM measures")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect()
}

/// The JSON array of `items`, for `json_each` (SQLite's way to bind a list).
fn json_list(items: &[&str]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

/// Brings the kept results up to date with a batch's new records (already inserted), in its
/// transaction ([`incremental`]).
fn keep_results(
    tx: &Connection,
    kept: &Kept,
    exposures: &[NewExposure<'_>],
    events: &[Event<'_>],
) -> rusqlite::Result<()> {
    let users: Vec<&str> = incremental::users(kept, exposures, events)
        .into_iter()
        .collect();
    if users.is_empty() {
        return Ok(());
    }
    let old_first: HashMap<(String, String), First> = tx
        .prepare_cached(
            "SELECT experiment, user_id, grp, time FROM first_exposures
             WHERE user_id IN (SELECT value FROM json_each($1))",
        )?
        .query_map(named_params! {"$1": json_list(&users)}, |row| {
            Ok((
                (row.get(0)?, row.get(1)?),
                First {
                    group: row.get(2)?,
                    time: row.get(3)?,
                },
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let step = Step::new(kept, old_first, exposures, events);
    let (history_users, names) = step.history_users();
    let stored: Vec<(String, String, i64, Option<f64>)> = if history_users.is_empty() {
        Vec::new()
    } else {
        tx.prepare_cached(
            "SELECT user_id, name, time, value FROM records
             WHERE kind = 'event' AND excluded IS NULL
               AND name IN (SELECT value FROM json_each($2))
               AND user_id IN (SELECT value FROM json_each($1))",
        )?
        .query_map(
            named_params! {"$1": json_list(&history_users), "$2": json_list(&names)},
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )?
        .collect::<rusqlite::Result<_>>()?
    };
    let history: Vec<Event<'_>> = stored
        .iter()
        .map(|(user, name, time, value)| Event {
            user,
            name,
            time: *time,
            value: *value,
        })
        .collect();
    let value_users = step.value_users();
    let mut old_values = HashMap::new();
    if !value_users.is_empty() {
        let mut statement = tx.prepare_cached(
            "SELECT user_id, experiment, measure, events, total, pre_events, pre_total,
                    den_events, den_total
             FROM user_values WHERE user_id IN (SELECT value FROM json_each($1))",
        )?;
        let mut rows = statement.query(named_params! {"$1": json_list(&value_users)})?;
        while let Some(row) = rows.next()? {
            let (experiment, key): (String, String) = (row.get(1)?, row.get(2)?);
            if let Some(i) = kept.index_of(&experiment, &key) {
                let value = UserValue {
                    events: row.get(3)?,
                    total: row.get(4)?,
                    pre_events: row.get(5)?,
                    pre_total: row.get(6)?,
                    den_events: row.get(7)?,
                    den_total: row.get(8)?,
                };
                old_values.insert((i, row.get::<_, String>(0)?), value);
            }
        }
    }
    let changes = step.finish(&history, &old_values);
    let mut statement = tx.prepare_cached(schema::FIRST_EXPOSURE_SET)?;
    let mut forget = tx.prepare_cached(schema::USER_DIMENSIONS_DELETE)?;
    let mut dimension = tx.prepare_cached(schema::USER_DIMENSION_SET)?;
    for ((experiment, user, first), dimensions) in changes.first.iter().zip(&changes.dimensions) {
        statement.execute(
            named_params! {"$1": experiment, "$2": user, "$3": first.group, "$4": first.time},
        )?;
        forget.execute(named_params! {"$1": experiment, "$2": user})?;
        for (name, value) in dimensions.iter() {
            dimension
                .execute(named_params! {"$1": experiment, "$2": user, "$3": name, "$4": value})?;
        }
    }
    let mut statement = tx.prepare_cached(schema::GROUP_USERS_ADD)?;
    for ((experiment, group, day), users) in &changes.group_users {
        statement.execute(named_params! {"$1": experiment, "$2": group, "$3": day, "$4": users})?;
    }
    let (mut set, mut delete) = (
        tx.prepare_cached(schema::USER_VALUE_SET)?,
        tx.prepare_cached(schema::USER_VALUE_DELETE)?,
    );
    for ((i, user), value) in &changes.user_values {
        let m = &kept.list()[*i];
        if value.is_empty() {
            delete.execute(named_params! {"$1": user, "$2": m.experiment, "$3": m.key})?;
        } else {
            let figures = m.figures(value);
            set.execute(named_params! {
                "$1": user, "$2": m.experiment, "$3": m.key,
                "$4": value.events, "$5": value.total, "$6": value.pre_events,
                "$7": value.pre_total, "$8": value.den_events, "$9": value.den_total,
                "$10": figures.value, "$11": figures.pre, "$12": figures.denominator,
                "$13": i64::from(m.capped)
            })?;
        }
    }
    let mut statement = tx.prepare_cached(schema::GROUP_VALUES_ADD)?;
    for ((i, group, day), d) in &changes.group_values {
        let m = &kept.list()[*i];
        let mut params: Vec<&dyn rusqlite::ToSql> = vec![&m.experiment, &m.key, group, day];
        let sums = d.to_array();
        params.extend(sums.iter().map(|x| x as &dyn rusqlite::ToSql));
        statement.execute(params.as_slice())?;
    }
    Ok(())
}

fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    // IMMEDIATE: the write lock is taken before the version is read, so a collector writing
    // meanwhile (or a second process migrating) waits on the busy timeout instead of making
    // this transaction fail when it first writes.
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let has_records = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'records'",
            [],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if has_records && version < 2 {
        // Version 1: times were the pages' own, and nothing was excluded.
        conn.execute_batch(
            "ALTER TABLE records ADD COLUMN client_time INTEGER;
             UPDATE records SET client_time = time;
             ALTER TABLE records ADD COLUMN excluded TEXT;
             ALTER TABLE records ADD COLUMN note TEXT;",
        )?;
    }
    if has_records && version < 3 {
        // Version 2: event values only in the JSON, results computed in memory.
        conn.execute_batch(
            "ALTER TABLE records ADD COLUMN value REAL;
             UPDATE records SET value = json_extract(record, '$.event.value') WHERE kind = 'event';
             DROP INDEX IF EXISTS exposures;
             DROP INDEX IF EXISTS events;",
        )?;
    }
    if has_records && version < 5 {
        // Version 4 kept the sums per group, not per group and day: built again at start.
        for table in schema::KEPT_TABLES {
            conn.execute_batch(&format!("DROP TABLE IF EXISTS {table}"))?;
        }
        conn.execute_batch(schema::OLD_EVENTS_INDEX)?;
    }
    if has_records && version < 6 {
        // Version 5 kept measures by event and window alone: built again at start.
        for table in schema::KEPT_MEASURE_TABLES {
            conn.execute_batch(&format!("DROP TABLE IF EXISTS {table}"))?;
        }
    }
    conn.execute_batch(&schema::sqlite())?;
    if has_records && version < 3 {
        conn.execute_batch(&format!(
            "INSERT INTO first_exposures (experiment, user_id, grp, time)
             SELECT experiment, user_id, grp, time FROM records
             WHERE kind = 'exposure' AND excluded IS NULL {}",
            schema::FIRST_EXPOSURE_UPSERT
        ))?;
    }
    if has_records && version < 4 {
        // Version 3: reasons stored as sentences; now as codes.
        for reason in cohort_protocol::ExclusionReason::ALL {
            conn.execute(
                "UPDATE records SET excluded = ?1 WHERE excluded = ?2",
                params![reason.code(), reason.sentence()],
            )?;
        }
    }
    conn.execute_batch(&format!("PRAGMA user_version = {};", schema::VERSION))?;
    conn.execute_batch("COMMIT")
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_sticky_check_is_answered_while_results_hold_their_connection() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("s.db")).unwrap();
        // A results query under way holds the results connection.
        let busy = store.reader.lock().unwrap();
        let (done, answered) = mpsc::channel();
        let ingest = store.clone();
        std::thread::spawn(move || {
            let _ = done.send(ingest.first_group("e", "u").map_err(|e| e.to_string()));
        });
        let answer = answered.recv_timeout(Duration::from_secs(20));
        drop(busy);
        assert_eq!(
            answer.expect("answered without waiting for results"),
            Ok(None)
        );
    }
}
