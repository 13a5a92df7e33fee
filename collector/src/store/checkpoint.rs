//! The SQLite log's checkpoints, off the writer's path. In WAL mode every commit appends pages
//! to the log; a checkpoint copies them into the database file and syncs it, and once all are
//! copied (and no reader still reads older pages from the log) the log starts again from its
//! beginning at the writer's next transaction. SQLite's own checkpoints run inside the commit
//! that crosses 1,000 pages, and their sync of the database held every waiting batch for a few
//! milliseconds: a batch's p99.
//!
//! Here the writer's automatic checkpoints are off. After each commit the writer nudges a
//! thread of its own, which copies what is in the log (a passive checkpoint: it never waits
//! for the writer or for readers, who go on meanwhile). A passive checkpoint rarely leaves the
//! log wholly copied at the moment the writer begins its next transaction, so once the log
//! holds [`RESTART_AT`] pages the thread runs a restart checkpoint instead: it holds the
//! writer back while it copies what is left (most pages are copied already, but it syncs the
//! log and the database), and waits for readers of older pages, so that the log starts again.
//! It waits at most [`RESTART_WAIT`] in all for the writer's transaction and for readers; if
//! they are not done, it tries again once the log has grown by half as much again.
//! Durability does not change: a batch is answered only once its pages are synced in the log
//! ([`super::log_sync`]), and a checkpoint syncs the log before it copies it. A checkpoint
//! that fails for another reason than someone else's lock (an error of the disk) stops the
//! checkpoints, said once on standard error: pages it counted as copied might not be, and a
//! later restart would write over the only good copy in the log. The log then grows, whole,
//! until the collector is restarted and SQLite copies it.

use std::io::Write;
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::time::Duration;

use rusqlite::wal::CheckpointMode;
use rusqlite::Connection;

/// Pages in the log (4 KB each) at which a restart checkpoint has the log start again.
pub const RESTART_AT: i32 = 4_000;

/// How long a restart checkpoint waits for the writer's transaction and for readers.
pub const RESTART_WAIT: Duration = Duration::from_millis(20);

/// The checkpointing thread, as the writer sees it.
pub struct Checkpointer {
    nudge: SyncSender<()>,
}

impl Checkpointer {
    /// Starts the thread, on `conn` (its own connection to the database).
    pub fn start(conn: Connection) -> std::io::Result<Checkpointer> {
        conn.busy_timeout(RESTART_WAIT)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        // One nudge waiting is enough: the next checkpoint copies whatever is in the log.
        let (nudge, nudged) = mpsc::sync_channel::<()>(1);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                let mut rounds = Rounds::new();
                // Pages in the log at the last checkpoint.
                let mut pages = 0;
                // Ends when the store (the sender) is dropped.
                while nudged.recv().is_ok() {
                    pages = rounds.checkpoint(&conn, pages);
                }
            })?;
        Ok(Checkpointer { nudge })
    }

    /// Called by the writer after each commit: the thread copies what is in the log.
    pub fn committed(&self) {
        // Full: a checkpoint is asked for already. Disconnected: cannot happen while the store
        // (which holds the sender) lives, and the thread has nothing that panics.
        match self.nudge.try_send(()) {
            Ok(()) | Err(TrySendError::Full(()) | TrySendError::Disconnected(())) => {}
        }
    }
}

/// What the thread keeps from one checkpoint to the next.
struct Rounds {
    /// Pages in the log at which the next restart is tried.
    restart_at: i32,
    /// The log's size at the last restart, until the writer's next transaction starts it
    /// again (its header keeps the old size meanwhile).
    restarted: Option<i32>,
    /// Whether a checkpoint failed (then none is tried again).
    stopped: bool,
}

impl Rounds {
    fn new() -> Rounds {
        Rounds {
            restart_at: RESTART_AT,
            restarted: None,
            stopped: false,
        }
    }

    /// One checkpoint on `conn`, when the last one left `pages` pages in the log: passive, or a
    /// restart once they reach the restart size. Returns the pages left in the log (none after
    /// a restart: it starts again at the writer's next transaction).
    fn checkpoint(&mut self, conn: &Connection, pages: i32) -> i32 {
        if self.stopped {
            return pages;
        }
        let restart = pages >= self.restart_at;
        let mode = if restart {
            CheckpointMode::RESTART
        } else {
            CheckpointMode::PASSIVE
        };
        match conn.wal_checkpoint_v2(None::<&str>, mode) {
            Ok((log, copied)) => {
                let restarted = self.restarted.take();
                if restart {
                    self.restart_at = RESTART_AT;
                    self.restarted = Some(log);
                    0
                } else if restarted == Some(log) && copied == log {
                    // Nothing written since the restart: the log is empty for the writer.
                    self.restarted = restarted;
                    0
                } else {
                    log
                }
            }
            // The writer or a reader was not done: SQLite copied what it could, and the log
            // grows meanwhile.
            Err(e) if is_busy(&e) => {
                if restart {
                    self.restart_at = pages + RESTART_AT / 2;
                }
                pages
            }
            Err(e) => {
                self.stopped = true;
                // Said on standard error, whose own failure changes nothing.
                let _ = writeln!(
                    std::io::stderr(),
                    "cohort: a checkpoint of the SQLite log failed ({e}); no other is tried \
                     until the collector is restarted (the log keeps every page meanwhile)"
                );
                pages
            }
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

    fn open(path: &std::path::Path) -> Connection {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
            .unwrap();
        // As the store's writer: it waits while a restart holds it back.
        conn.busy_timeout(Duration::from_secs(5)).unwrap();
        conn
    }

    /// A database whose writer checkpoints nothing itself, and the checkpoints' connection.
    fn database(dir: &tempfile::TempDir) -> (Connection, Connection) {
        let path = dir.path().join("c.db");
        let writer = open(&path);
        writer
            .execute_batch("PRAGMA wal_autocheckpoint = 0; CREATE TABLE rows (data BLOB NOT NULL);")
            .unwrap();
        let checkpoints = open(&path);
        checkpoints.busy_timeout(RESTART_WAIT).unwrap();
        (writer, checkpoints)
    }

    /// Commits `pages` pages' worth of rows, one 100 KB row (25 pages) a transaction.
    fn write(writer: &Connection, pages: i32) {
        for _ in 0..pages / 25 {
            writer
                .execute("INSERT INTO rows (data) VALUES (zeroblob(100000))", [])
                .unwrap();
        }
    }

    #[test]
    fn a_log_at_the_restart_size_is_copied_and_starts_again() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, checkpoints) = database(&dir);
        let mut rounds = Rounds::new();
        write(&writer, RESTART_AT + 100);
        let pages = rounds.checkpoint(&checkpoints, 0);
        assert!(
            pages >= RESTART_AT,
            "a passive checkpoint reported {pages} pages"
        );
        assert_eq!(rounds.checkpoint(&checkpoints, pages), 0);
        // Before the writer's next transaction the log's header still gives the old size:
        // not a reason to restart again.
        assert_eq!(rounds.checkpoint(&checkpoints, 0), 0);
        write(&writer, 25);
        // The writer's next commit began the log again: only its own pages are in it.
        let pages = rounds.checkpoint(&checkpoints, 0);
        assert!(pages < 100, "the log still holds {pages} pages");
        let rows: i32 = writer
            .query_row("SELECT COUNT(*) FROM rows", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, (RESTART_AT + 100) / 25 + 1);
    }

    #[test]
    fn a_reader_of_older_pages_holds_a_restart_back_only_the_restart_wait() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, checkpoints) = database(&dir);
        let mut rounds = Rounds::new();
        write(&writer, 25);
        // A reader holding a snapshot of the log: no restart can finish while it reads.
        let mut reader = open(&dir.path().join("c.db"));
        let snapshot = reader.transaction().unwrap();
        let _: i64 = snapshot
            .query_row("SELECT COUNT(*) FROM rows", [], |r| r.get(0))
            .unwrap();
        write(&writer, RESTART_AT);
        let pages = rounds.checkpoint(&checkpoints, 0);
        let started = Instant::now();
        assert_eq!(rounds.checkpoint(&checkpoints, pages), pages);
        let held = started.elapsed();
        // The writer's own busy timeout (5 s) would hold it that long instead.
        assert!(held < 10 * RESTART_WAIT, "held {held:?}");
        // Not tried again at every commit, but once the log has grown by half as much again.
        assert_eq!(rounds.restart_at, pages + RESTART_AT / 2);
        drop(snapshot);
        assert_eq!(rounds.checkpoint(&checkpoints, pages), pages);
        assert_eq!(rounds.checkpoint(&checkpoints, pages + RESTART_AT / 2), 0);
    }

    #[test]
    fn the_thread_checkpoints_after_a_commit() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, checkpoints) = database(&dir);
        let checkpointer = Checkpointer::start(checkpoints).unwrap();
        write(&writer, 250);
        // Until a checkpoint copies them, the pages are only in the log.
        let copied = || std::fs::metadata(dir.path().join("c.db")).unwrap().len() >= 200 * 4096;
        assert!(!copied());
        checkpointer.committed();
        let started = Instant::now();
        while !copied() {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "no checkpoint ran"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}
