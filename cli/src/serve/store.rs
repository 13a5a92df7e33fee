//! The collector's store: exposures and events in SQLite (rusqlite), one row per record ID.
//!
//! A batch is inserted in one transaction with `INSERT OR IGNORE`, so a retried batch is
//! stored once; the collector acknowledges only after the commit. The database runs in WAL
//! mode with `synchronous = FULL`: an acknowledged batch survives the process being killed
//! (and the machine losing power).

use std::path::Path;

use cohort::Plan;
use cohort_protocol::{Ack, Batch, Record};
use cohort_stats::{analyze, Tally};
use rusqlite::{params, Connection};

/// An open store.
pub struct Store {
    conn: Connection,
}

pub use cohort_stats::Results;

impl Store {
    /// Opens (and creates) the database at `path`.
    pub fn open(path: &Path) -> Result<Store, String> {
        let conn = Connection::open(path)
            .map_err(|e| format!("cannot open the database {}: {e}", path.display()))?;
        let store = Store { conn };
        store
            .conn
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = FULL;
                 PRAGMA busy_timeout = 5000;
                 CREATE TABLE IF NOT EXISTS records (
                     id TEXT PRIMARY KEY,
                     kind TEXT NOT NULL CHECK (kind IN ('exposure', 'event')),
                     user_id TEXT NOT NULL,
                     experiment TEXT,
                     grp TEXT,
                     name TEXT,
                     time INTEGER NOT NULL,
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
                 );",
            )
            .map_err(|e| format!("cannot prepare the database {}: {e}", path.display()))?;
        Ok(store)
    }

    /// Stores a (validated) batch in one transaction; returns what is new.
    pub fn insert(&mut self, batch: &Batch, received_at: i64) -> Result<Ack, rusqlite::Error> {
        let tx = self.conn.transaction()?;
        let mut stored = 0;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO records
                 (id, kind, user_id, experiment, grp, name, time, record, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for record in &batch.records {
                let json = serde_json::to_string(record).unwrap_or_default();
                let (kind, experiment, group, name) = match record {
                    Record::Exposure {
                        experiment, group, ..
                    } => (
                        "exposure",
                        Some(experiment.as_str()),
                        Some(group.as_str()),
                        None,
                    ),
                    Record::Event { name, .. } => ("event", None, None, Some(name.as_str())),
                };
                stored += insert.execute(params![
                    record.id(),
                    kind,
                    record.user_id(),
                    experiment,
                    group,
                    name,
                    record.time(),
                    json,
                    received_at
                ])? as u64;
            }
            if batch.dropped > 0 {
                tx.execute(
                    "INSERT INTO client_drops (received_at, dropped) VALUES (?1, ?2)",
                    params![received_at, batch.dropped as i64],
                )?;
            }
        }
        tx.commit()?;
        Ok(Ack {
            stored,
            duplicates: batch.records.len() as u64 - stored,
        })
    }

    /// The results table of `experiment` for conversions to `event`.
    pub fn results(
        &self,
        experiment: &str,
        event: &str,
        plan: Option<&Plan>,
    ) -> Result<Results, rusqlite::Error> {
        let groups: Vec<&str> = plan
            .map(|p| p.groups.iter().map(|g| g.name.as_str()).collect())
            .unwrap_or_default();
        let mut tally = Tally::new(&groups);
        let mut exposures = self.conn.prepare_cached(
            "SELECT user_id, grp, time FROM records WHERE kind = 'exposure' AND experiment = ?1",
        )?;
        let mut rows = exposures.query(params![experiment])?;
        while let Some(row) = rows.next()? {
            let user: String = row.get(0)?;
            let group: String = row.get(1)?;
            tally.exposure(&user, &group, row.get(2)?);
        }
        let mut events = self.conn.prepare_cached(
            "SELECT user_id, time FROM records WHERE kind = 'event' AND name = ?1",
        )?;
        let mut rows = events.query(params![event])?;
        while let Some(row) = rows.next()? {
            let user: String = row.get(0)?;
            tally.event(&user, row.get(1)?);
        }
        let counts = tally.counts();
        let weights: Vec<Option<f64>> = counts
            .iter()
            .map(|c| {
                plan.and_then(|p| p.groups.iter().find(|g| g.name == c.group))
                    .map(|g| g.share)
            })
            .collect();
        let control = plan
            .and_then(|p| p.groups.first())
            .map_or("Control", |g| g.name.as_str());
        let dropped: i64 = self.conn.query_row(
            "SELECT COALESCE(SUM(dropped), 0) FROM client_drops",
            [],
            |row| row.get(0),
        )?;
        Ok(Results {
            analysis: analyze(experiment, event, control, &counts, &weights),
            dropped_by_clients: dropped as u64,
        })
    }
}
