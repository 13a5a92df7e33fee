//! The collector's store: exposures and events in SQLite (rusqlite), one row per record ID.
//!
//! What a batch brings is inserted in one transaction with `INSERT OR IGNORE`, so a retried
//! batch is stored once; the collector acknowledges only after the commit. The database runs
//! in WAL mode with `synchronous = FULL`: an acknowledged batch survives the process being
//! killed (and the machine losing power).
//!
//! Each row keeps the record's time on the collector's clock (`time`, what results use) and
//! as the page gave it (`client_time`). Records whose groups are not the rules' assignment are
//! stored with the reason in `excluded` and left out of the results.

use std::path::Path;

use cohort::Rules;
use cohort_protocol::Record;
use cohort_stats::experiment::{analyze_tally, tally_for};
use cohort_stats::{Excluded, ExperimentResults};
use rusqlite::{params, Connection, OptionalExtension};

use super::verify::Exclusion;

/// The schema version this code writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 2;

/// An open store.
pub struct Store {
    conn: Connection,
}

/// A record the collector accepted, placed on its clock.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub record: Record,
    /// The record's time on the collector's clock.
    pub time: i64,
    /// Why it is kept out of the results, if it is.
    pub exclusion: Option<Exclusion>,
}

/// A record as stored: where the collector placed it, and what it thought of it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoredRecord {
    pub id: String,
    pub kind: String,
    pub user_id: String,
    /// On the collector's clock.
    pub time: i64,
    /// As the page gave it.
    pub client_time: Option<i64>,
    pub received_at: i64,
    /// Why it is kept out of the results, if it is.
    pub excluded: Option<String>,
    pub note: Option<String>,
    /// The record as the page sent it.
    pub record: Record,
}

/// What an insert did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Inserted {
    /// Records new to the store.
    pub stored: u64,
    /// Records it already held.
    pub duplicates: u64,
    /// Of the new records, those kept out of the results.
    pub excluded: u64,
}

impl Store {
    /// Opens (and creates, or brings up to date) the database at `path`.
    pub fn open(path: &Path) -> Result<Store, String> {
        let conn = Connection::open(path)
            .map_err(|e| format!("cannot open the database {}: {e}", path.display()))?;
        let store = Store { conn };
        store
            .prepare()
            .map_err(|e| format!("cannot prepare the database {}: {e}", path.display()))?;
        Ok(store)
    }

    fn prepare(&self) -> rusqlite::Result<()> {
        self.conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA busy_timeout = 5000;",
        )?;
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))?;
        let has_records: bool = self
            .conn
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'records'",
                [],
                |_| Ok(true),
            )
            .optional()?
            .unwrap_or(false);
        if has_records && version < 2 {
            // Version 1 (before records were placed on the collector's clock and checked
            // against the rules): its times are the pages' own, and nothing was excluded.
            self.conn.execute_batch(
                "BEGIN;
                 ALTER TABLE records ADD COLUMN client_time INTEGER;
                 UPDATE records SET client_time = time;
                 ALTER TABLE records ADD COLUMN excluded TEXT;
                 ALTER TABLE records ADD COLUMN note TEXT;
                 COMMIT;",
            )?;
        }
        self.conn.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS records (
                 id TEXT PRIMARY KEY,
                 kind TEXT NOT NULL CHECK (kind IN ('exposure', 'event')),
                 user_id TEXT NOT NULL,
                 experiment TEXT,
                 grp TEXT,
                 name TEXT,
                 time INTEGER NOT NULL,
                 client_time INTEGER,
                 excluded TEXT,
                 note TEXT,
                 record TEXT NOT NULL,
                 received_at INTEGER NOT NULL
             );
             CREATE INDEX IF NOT EXISTS exposures ON records (experiment, time)
                 WHERE kind = 'exposure';
             CREATE INDEX IF NOT EXISTS events ON records (name, time)
                 WHERE kind = 'event';
             CREATE TABLE IF NOT EXISTS client_drops (
                 received_at INTEGER NOT NULL,
                 dropped INTEGER NOT NULL
             );
             PRAGMA user_version = {SCHEMA_VERSION};"
        ))
    }

    /// Stores accepted records (and the count of records a page dropped) in one
    /// transaction.
    pub fn insert(
        &mut self,
        records: &[Accepted],
        dropped: u64,
        received_at: i64,
    ) -> rusqlite::Result<Inserted> {
        let tx = self.conn.transaction()?;
        let mut done = Inserted::default();
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO records
                 (id, kind, user_id, experiment, grp, name, time, client_time, excluded, note,
                  record, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?;
            for accepted in records {
                let record = &accepted.record;
                let json = serde_json::to_string(record).unwrap_or_default();
                let (experiment, group, name) = match record {
                    Record::Exposure {
                        experiment, group, ..
                    } => (Some(experiment.as_str()), Some(group.as_str()), None),
                    // An event names its experiment only when it is kept out for it.
                    Record::Event { name, .. } => (
                        accepted.exclusion.as_ref().map(|e| e.experiment.as_str()),
                        None,
                        Some(name.as_str()),
                    ),
                };
                let new = insert.execute(params![
                    record.id(),
                    record.kind(),
                    record.user_id(),
                    experiment,
                    group,
                    name,
                    accepted.time,
                    record.time(),
                    accepted.exclusion.as_ref().map(|e| e.reason),
                    accepted.exclusion.as_ref().map(|e| e.detail.as_str()),
                    json,
                    received_at
                ])? as u64;
                done.stored += new;
                done.duplicates += 1 - new;
                if new == 1 && accepted.exclusion.is_some() {
                    done.excluded += 1;
                }
            }
            if dropped > 0 {
                tx.execute(
                    "INSERT INTO client_drops (received_at, dropped) VALUES (?1, ?2)",
                    params![received_at, dropped as i64],
                )?;
            }
        }
        tx.commit()?;
        Ok(done)
    }

    /// Every stored record, in the order they arrived, to `each`.
    pub fn for_each_record<E>(
        &self,
        mut each: impl FnMut(StoredRecord) -> Result<(), E>,
    ) -> Result<(), E>
    where
        E: From<rusqlite::Error> + From<serde_json::Error>,
    {
        let mut statement = self.conn.prepare(
            "SELECT id, kind, user_id, time, client_time, received_at, excluded, note, record
             FROM records ORDER BY received_at, rowid",
        )?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let record: String = row.get(8)?;
            each(StoredRecord {
                id: row.get(0)?,
                kind: row.get(1)?,
                user_id: row.get(2)?,
                time: row.get(3)?,
                client_time: row.get(4)?,
                received_at: row.get(5)?,
                excluded: row.get(6)?,
                note: row.get(7)?,
                record: serde_json::from_str(&record)?,
            })?;
        }
        Ok(())
    }

    /// The results of `experiment` under `rules` (`None` if the rules have no such
    /// experiment): every metric, from the records that are not excluded, with the counts of
    /// those that are and of what pages dropped.
    pub fn results(
        &self,
        rules: &Rules,
        experiment: &str,
    ) -> rusqlite::Result<Option<ExperimentResults>> {
        let mut tally = tally_for(rules, experiment);
        let mut exposures = self.conn.prepare_cached(
            "SELECT user_id, grp, time FROM records
             WHERE kind = 'exposure' AND experiment = ?1 AND excluded IS NULL",
        )?;
        let mut rows = exposures.query(params![experiment])?;
        while let Some(row) = rows.next()? {
            let user: String = row.get(0)?;
            let group: String = row.get(1)?;
            tally.exposure(&user, &group, row.get(2)?);
        }
        let mut events = self.conn.prepare_cached(
            "SELECT user_id, time, json_extract(record, '$.event.value') FROM records
             WHERE kind = 'event' AND name = ?1 AND excluded IS NULL",
        )?;
        let mut names: Vec<&str> = rules
            .experiment_metrics(experiment)
            .iter()
            .map(|m| m.event.as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        for name in names {
            let mut rows = events.query(params![name])?;
            while let Some(row) = rows.next()? {
                let user: String = row.get(0)?;
                tally.event(&user, name, row.get(1)?, row.get(2)?);
            }
        }
        let Some(mut results) = analyze_tally(rules, experiment, &tally) else {
            return Ok(None);
        };
        let dropped: i64 = self.conn.query_row(
            "SELECT COALESCE(SUM(dropped), 0) FROM client_drops",
            [],
            |row| row.get(0),
        )?;
        let mut excluded_counts = self.conn.prepare_cached(
            "SELECT kind, excluded, COUNT(*) FROM records
             WHERE experiment = ?1 AND excluded IS NOT NULL
             GROUP BY kind, excluded ORDER BY kind DESC, excluded",
        )?;
        results.excluded = excluded_counts
            .query_map(params![experiment], |row| {
                Ok(Excluded {
                    kind: row.get(0)?,
                    reason: row.get(1)?,
                    count: row.get::<_, i64>(2)? as u64,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        results.dropped_by_clients = dropped as u64;
        Ok(Some(results))
    }
}
