//! The SQLite log's checkpoints, off the writer's path. In WAL mode every commit appends pages
//! to the log; a checkpoint copies them into the database file and syncs it, and once all are
//! copied the log starts again from its beginning (at the writer's next transaction). SQLite's
//! own checkpoints run inside the commit that crosses 1,000 pages, and their sync of the
//! database held every waiting batch for a few milliseconds: a batch's p99.
//!
//! Here the writer's automatic checkpoints are off. After each commit the writer nudges a
//! thread of its own, which copies what is in the log (a passive checkpoint: it never waits
//! for the writer or for readers, who go on meanwhile). A passive checkpoint rarely leaves the
//! log wholly copied at the moment the writer begins its next transaction, so once the log
//! holds [`RESTART_AT`] pages the thread runs a full one instead: it holds the writer back
//! while it copies the few pages left (most are copied already), so that the log starts again.
//! It waits at most [`RESTART_WAIT`] for the writer's transaction or for readers of older
//! pages; if they are not done, it tries again once the log has grown by half as much again.
//! Durability does not change: a batch is answered only once its pages are synced in the log
//! ([`super::log_sync`]), and a checkpoint syncs the log before it copies it.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::wal::CheckpointMode;
use rusqlite::Connection;

/// Pages in the log (4 KB each) at which a full checkpoint has the log start again.
pub const RESTART_AT: i32 = 4_000;

/// How long a full checkpoint waits for the writer's transaction or for readers.
pub const RESTART_WAIT: Duration = Duration::from_millis(20);

/// The checkpointing thread, as the writer sees it.
pub struct Checkpointer {
    nudge: SyncSender<()>,
    /// Pages in the log at the last checkpoint.
    #[cfg_attr(not(test), allow(dead_code))] // read by the tests
    log_pages: Arc<AtomicI32>,
}

impl Checkpointer {
    /// Starts the thread, on `conn` (its own connection to the database).
    pub fn start(conn: Connection) -> std::io::Result<Checkpointer> {
        conn.busy_timeout(RESTART_WAIT)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        // One nudge waiting is enough: the next checkpoint copies whatever is in the log.
        let (nudge, nudged) = mpsc::sync_channel::<()>(1);
        let log_pages = Arc::new(AtomicI32::new(0));
        let pages = log_pages.clone();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                let mut full_at = RESTART_AT;
                let mut reported = false;
                // Ends when the store (the sender) is dropped.
                while nudged.recv().is_ok() {
                    let full = pages.load(Ordering::Relaxed) >= full_at;
                    let mode = if full {
                        CheckpointMode::FULL
                    } else {
                        CheckpointMode::PASSIVE
                    };
                    match conn.wal_checkpoint_v2(None::<&str>, mode) {
                        Ok((log, copied)) => {
                            // After a full one the log starts again at the next transaction.
                            let left = if full && copied == log { 0 } else { log };
                            pages.store(left, Ordering::Relaxed);
                            if full {
                                full_at = RESTART_AT;
                            }
                            reported = false;
                        }
                        // The writer or a reader was not done: the log grows meanwhile.
                        Err(e) if is_busy(&e) => {
                            if full {
                                full_at = pages.load(Ordering::Relaxed) + RESTART_AT / 2;
                            }
                        }
                        Err(e) => {
                            if !reported {
                                eprintln!("cohort: a checkpoint of the SQLite log failed: {e}");
                                reported = true;
                            }
                        }
                    }
                }
            })?;
        Ok(Checkpointer { nudge, log_pages })
    }

    /// Called by the writer after each commit: the thread copies what is in the log.
    pub fn committed(&self) {
        // Full: a checkpoint is asked for already. Disconnected: the thread ended (the log
        // then grows: SQLite copies it when the last connection closes).
        match self.nudge.try_send(()) {
            Ok(()) | Err(TrySendError::Full(()) | TrySendError::Disconnected(())) => {}
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    const PAGE: u64 = 4096;

    fn open(path: &std::path::Path) -> Connection {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
            .unwrap();
        // As the store's writer: it waits while a full checkpoint holds it back.
        conn.busy_timeout(Duration::from_secs(5)).unwrap();
        conn
    }

    /// Commits `pages` pages' worth of rows, one 100 KB row (25 pages) a transaction, each
    /// followed by the checkpointer's nudge; returns the longest commit.
    fn write(writer: &Connection, checkpointer: &Checkpointer, pages: i64) -> Duration {
        let mut longest = Duration::ZERO;
        for _ in 0..pages / 25 {
            let started = Instant::now();
            writer
                .execute("INSERT INTO rows (data) VALUES (zeroblob(100000))", [])
                .unwrap();
            checkpointer.committed();
            longest = longest.max(started.elapsed());
            // As the collector's writer, which works a while on each group before its commit.
            std::thread::sleep(Duration::from_millis(1));
        }
        longest
    }

    #[test]
    fn the_log_starts_again_once_copied_and_stays_near_its_restart_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let writer = open(&path);
        writer
            .execute_batch("PRAGMA wal_autocheckpoint = 0; CREATE TABLE rows (data BLOB NOT NULL);")
            .unwrap();
        let checkpointer = Checkpointer::start(open(&path)).unwrap();
        // Three times the restart size: without restarts the log would hold all of it; with
        // them, the restart size and what was written while the thread caught up.
        write(&writer, &checkpointer, 3 * i64::from(RESTART_AT));
        let log = std::fs::metadata(dir.path().join("c.db-wal"))
            .unwrap()
            .len();
        assert!(
            log < 2 * u64::try_from(RESTART_AT).unwrap() * PAGE,
            "the log grew to {log} bytes"
        );
        let rows: i64 = writer
            .query_row("SELECT COUNT(*) FROM rows", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 3 * i64::from(RESTART_AT) / 25);
    }

    #[test]
    fn a_reader_on_the_log_delays_the_writer_by_no_more_than_the_restart_wait() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let writer = open(&path);
        writer
            .execute_batch("PRAGMA wal_autocheckpoint = 0; CREATE TABLE rows (data BLOB NOT NULL);")
            .unwrap();
        let checkpointer = Checkpointer::start(open(&path)).unwrap();
        write(&writer, &checkpointer, 25);
        // A reader holding a snapshot of the log: no restart can finish while it reads.
        let mut reader = open(&path);
        let snapshot = reader.transaction().unwrap();
        let _: i64 = snapshot
            .query_row("SELECT COUNT(*) FROM rows", [], |r| r.get(0))
            .unwrap();
        let longest = write(&writer, &checkpointer, i64::from(RESTART_AT) + 500);
        // The writer's own busy timeout (5 s) would hold it at every commit past the size.
        assert!(longest < Duration::from_secs(1), "held {longest:?}");
        drop(snapshot);
        // Once the reader is gone, a full checkpoint goes through and the log starts again.
        let mut written = 0;
        while checkpointer.log_pages.load(Ordering::Relaxed) >= RESTART_AT / 2 {
            assert!(written < 3 * RESTART_AT, "the log never started again");
            write(&writer, &checkpointer, 25);
            written += 25;
        }
    }
}
