//! The SQLite store (rusqlite): one file, WAL mode with `synchronous = FULL` (an acknowledged
//! batch survives the process being killed, and the machine losing power); one connection
//! writes, one reads for ingestion (a sticky user's first group, asked while a batch is
//! checked), and one reads results and listings, so that however long results take, they never
//! hold up a batch (WAL readers do not block the writer or each other).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use cohort::rules::Metric;
use cohort_stats::Excluded;
use rusqlite::{named_params, params, Connection, OptionalExtension};

use super::aggregate::{self, Figures, GroupRow};
use super::schema;
use super::{Accepted, Inserted, Row, StoreError, StoredRecord};

/// An open SQLite store (a cheap handle: clones share the connections).
#[derive(Clone)]
pub struct SqliteStore {
    path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    /// For ingestion's reads: the sticky check.
    ingest_reader: Arc<Mutex<Connection>>,
    /// For results and listings.
    reader: Arc<Mutex<Connection>>,
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)
        .map_err(|e| StoreError(format!("cannot open the database {}: {e}", path.display())))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA busy_timeout = 5000;",
    )?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (and creates, or brings up to date) the database at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let writer = connect(path)?;
        migrate(&writer).map_err(|e| {
            StoreError(format!(
                "cannot prepare the database {}: {e}",
                path.display()
            ))
        })?;
        Ok(SqliteStore {
            path: path.to_owned(),
            writer: Arc::new(Mutex::new(writer)),
            ingest_reader: Arc::new(Mutex::new(connect(path)?)),
            reader: Arc::new(Mutex::new(connect(path)?)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stores accepted records in one transaction.
    pub fn insert(
        &self,
        records: &[Accepted],
        dropped: u64,
        received_at: i64,
    ) -> Result<Inserted, StoreError> {
        let mut conn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction()?;
        let mut done = Inserted::default();
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO records
                 (id, kind, user_id, experiment, grp, name, value, time, client_time, excluded,
                  note, record, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                 ON CONFLICT (id) DO NOTHING",
            )?;
            let mut first = tx.prepare_cached(&format!(
                "INSERT INTO first_exposures (experiment, user_id, grp, time)
                 VALUES (?1, ?2, ?3, ?4) {}",
                schema::FIRST_EXPOSURE_UPSERT
            ))?;
            for accepted in records {
                let row = Row::of(accepted);
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
                    received_at
                ])? as u64;
                done.stored += new;
                done.duplicates += 1 - new;
                if new == 1 && accepted.exclusion.is_some() {
                    done.excluded += 1;
                }
                if new == 1 && row.kind == "exposure" && row.excluded.is_none() {
                    first.execute(params![row.experiment, row.user_id, row.group, row.time])?;
                }
            }
            if let Some(dropped) = super::dropped_to_count(dropped, done.stored) {
                tx.execute(
                    "INSERT INTO client_drops (received_at, dropped) VALUES (?1, ?2)",
                    params![received_at, dropped],
                )?;
            }
        }
        tx.commit()?;
        Ok(done)
    }

    /// Reads the records table (on the ingestion's connection, so that a long results query
    /// never makes a collector look down).
    pub fn ping(&self) -> Result<(), StoreError> {
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
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        conn.execute_batch("BEGIN")?;
        let result = (|| {
            let mut statement = conn.prepare_cached(aggregate::EXPOSED_USERS)?;
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

    /// The raw numbers of an experiment's results (see [`aggregate`]).
    pub fn raw(&self, experiment: &str, metrics: &[Metric]) -> Result<Figures, StoreError> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        // One read transaction: every figure from the same snapshot.
        conn.execute_batch("BEGIN")?;
        let result = (|| {
            let exposed = conn
                .prepare_cached(aggregate::EXPOSED)?
                .query_map(named_params! {"$1": experiment}, |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)? as u64))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            // Each metric is a part of its own: one that fails is named, the others served.
            let mut per_metric = Vec::with_capacity(metrics.len());
            let mut statement = conn.prepare_cached(aggregate::METRIC)?;
            for metric in metrics {
                let rows = statement
                    .query_map(
                        named_params! {"$1": experiment, "$2": metric.event, "$3": metric.window_ms},
                        |row| {
                            // NULL where a sum is not a number (+inf and -inf summed).
                            let real = |i: usize| -> rusqlite::Result<f64> {
                                Ok(row.get::<_, Option<f64>>(i)?.unwrap_or(f64::NAN))
                            };
                            Ok(GroupRow {
                                group: row.get(0)?,
                                users: row.get::<_, i64>(1)? as u64,
                                converted: row.get::<_, i64>(2)? as u64,
                                count_sum: real(3)?,
                                count_squares: real(4)?,
                                value_sum: real(5)?,
                                value_squares: real(6)?,
                            })
                        },
                    )
                    .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>());
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
    conn.execute_batch(&schema::sqlite())?;
    if has_records && version < 3 {
        conn.execute_batch(&format!(
            "INSERT INTO first_exposures (experiment, user_id, grp, time)
             SELECT experiment, user_id, grp, time FROM records
             WHERE kind = 'exposure' AND excluded IS NULL {}",
            schema::FIRST_EXPOSURE_UPSERT
        ))?;
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
