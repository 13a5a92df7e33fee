//! Syncing SQLite's log off the writer's path. The writer commits with `synchronous = NORMAL`:
//! a commit writes its pages to the log (the `-wal` file) and returns without waiting for the
//! disk, and the writer goes on with the next group of batches at once. A thread of this
//! module then syncs the log (`fdatasync`) and only then are the committed batches answered:
//! the sync of one group runs while the next is written, instead of after it.
//!
//! Nothing acknowledged can be lost. A sync that starts after a commit has returned covers its
//! pages (`fdatasync` writes out every page of the file, whichever descriptor wrote it), and a
//! batch is answered only after such a sync. The log's frames are chained by checksums, so
//! after a crash SQLite keeps the log up to the first frame that did not reach the disk: a
//! later commit never survives without an earlier one. A checkpoint ([`super::checkpoint`])
//! syncs the log before it copies it, and the database before the log can start again.
//!
//! A failed sync is final. Linux reports a write-back error once and may then count the lost
//! pages as clean, so a later sync that succeeds proves nothing about the commits before it:
//! from the first failure on, every batch is refused and the collector's health check fails
//! (saying why) until it is restarted and SQLite reads its log again. The log is opened when
//! the thread starts, so that its descriptor sees every write-back error from then on (one
//! opened after an error was reported elsewhere would not). Failing to find or open the log
//! loses nothing: those batches are refused, and the next sync tries again.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};

use tokio::sync::oneshot;

use super::StoreError;

/// Where a committed write's durability is reported.
pub type Synced = oneshot::Receiver<Result<(), StoreError>>;

/// A commit's request for a sync: where its answer goes.
type Request = oneshot::Sender<Result<(), StoreError>>;

/// Why a sync failed, and whether writes may have been lost (then it is final).
#[derive(Debug)]
struct Failure {
    error: StoreError,
    lost_writes: bool,
}

/// The log's syncing thread, as the writer sees it.
pub struct LogSync {
    requests: mpsc::Sender<Request>,
    /// The failed sync that stopped it, if one did.
    failed: Arc<Mutex<Option<StoreError>>>,
}

impl LogSync {
    /// Starts the thread that syncs the log of the database file `db` (the path SQLite opened,
    /// as it resolved it: [`rusqlite::Connection::path`]).
    pub fn start(db: &Path) -> std::io::Result<LogSync> {
        let mut log = db.as_os_str().to_owned();
        log.push("-wal");
        let log = PathBuf::from(log);
        // Opened now (the writer has made it): from here on its descriptor sees every error.
        let mut file = File::open(&log).ok();
        LogSync::start_with(move || sync(&mut file, &log))
    }

    /// Starts the thread with `sync` as what syncs the log.
    fn start_with(
        sync: impl FnMut() -> Result<(), Failure> + Send + 'static,
    ) -> std::io::Result<LogSync> {
        let (requests, waiting) = mpsc::channel();
        let failed = Arc::new(Mutex::new(None));
        let failure = failed.clone();
        std::thread::Builder::new()
            .name("sqlite-log-sync".into())
            .spawn(move || answer_requests(&waiting, sync, &failure))?;
        Ok(LogSync { requests, failed })
    }

    /// The failed sync that stopped the store, if one did (for the health check).
    pub fn failure(&self) -> Option<StoreError> {
        self.failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Asks for a sync of everything committed so far; the answer comes once it is on disk.
    pub fn after_commit(&self) -> Synced {
        let (answer, synced) = oneshot::channel();
        if let Err(mpsc::SendError(answer)) = self.requests.send(answer) {
            let _ = answer.send(Err(stopped()));
        }
        synced
    }
}

/// Waits for `synced` (in an async task).
pub async fn wait(synced: Synced) -> Result<(), StoreError> {
    synced.await.map_err(|_| stopped())?
}

/// Waits for `synced` (on a blocking thread).
pub fn wait_blocking(synced: Synced) -> Result<(), StoreError> {
    synced.blocking_recv().map_err(|_| stopped())?
}

/// The thread ended before it answered (it does not, while the store lives).
fn stopped() -> StoreError {
    StoreError::Unavailable("the SQLite log's sync thread stopped".into())
}

/// The thread: takes every request waiting, syncs once (the sync covers every commit made
/// before it starts), answers them, and so on until the store (the sender) is dropped. After
/// a sync that may have lost writes, answers every request with that failure (kept in
/// `failed`).
fn answer_requests(
    waiting: &mpsc::Receiver<Request>,
    mut sync: impl FnMut() -> Result<(), Failure>,
    failed: &Mutex<Option<StoreError>>,
) {
    let mut stopped: Option<StoreError> = None;
    while let Ok(first) = waiting.recv() {
        let mut answers = vec![first];
        answers.extend(waiting.try_iter());
        let synced = match &stopped {
            Some(e) => Err(e.clone()),
            None => sync().map_err(|f| {
                if f.lost_writes {
                    // Not `full` even if the disk was: freeing space cannot bring the pages back.
                    let e = StoreError::Unavailable(format!(
                        "{}; the collector refuses batches until it is restarted (a failed \
                         sync may have lost pages the disk will not report again)",
                        f.error.message()
                    ));
                    stopped = Some(e.clone());
                    *failed.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.clone());
                    e
                } else {
                    f.error
                }
            }),
        };
        for answer in answers {
            let _ = answer.send(synced.clone());
        }
    }
}

/// Syncs the log at `path`, through `file` (opened again if the log was made anew since).
fn sync(file: &mut Option<File>, path: &Path) -> Result<(), Failure> {
    let failed = |lost_writes: bool| {
        move |e: std::io::Error| {
            let message = format!("cannot sync the log {}: {e}", path.display());
            let error = match e.kind() {
                std::io::ErrorKind::StorageFull => StoreError::Full(message),
                _ => StoreError::Unavailable(message),
            };
            Failure { error, lost_writes }
        }
    };
    let now = std::fs::metadata(path).map_err(failed(false))?;
    let stale = match file {
        Some(f) => {
            let open = f.metadata().map_err(failed(false))?;
            (open.dev(), open.ino()) != (now.dev(), now.ino())
        }
        None => true,
    };
    if stale {
        *file = Some(File::open(path).map_err(failed(false))?);
    }
    match file {
        Some(f) => f.sync_data().map_err(failed(true)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;

    /// The test's side of a gated sync: when it starts, and how it ends.
    struct Gate {
        starts: mpsc::Receiver<()>,
        finish: mpsc::Sender<Result<(), Failure>>,
    }

    /// A sync that says when it starts and returns only when the gate's `finish` says how.
    fn gated() -> (impl FnMut() -> Result<(), Failure> + Send + 'static, Gate) {
        let (started, starts) = mpsc::channel();
        let (finish, finished) = mpsc::channel();
        let sync = move || {
            started.send(()).unwrap();
            finished.recv().unwrap()
        };
        (sync, Gate { starts, finish })
    }

    #[test]
    fn a_commit_is_answered_only_after_a_sync_that_started_after_it() {
        let (sync, Gate { starts, finish }) = gated();
        let log = LogSync::start_with(sync).unwrap();
        let mut first = log.after_commit();
        starts.recv().unwrap();
        // Asked while the first sync is under way: that sync may not cover it.
        let mut second = log.after_commit();
        std::thread::sleep(Duration::from_millis(20));
        assert!(
            first.try_recv().is_err(),
            "answered before its sync returned"
        );
        finish.send(Ok(())).unwrap();
        assert_eq!(first.blocking_recv().unwrap(), Ok(()));
        starts
            .recv_timeout(Duration::from_secs(5))
            .expect("a second sync, for the commit asked for during the first");
        assert!(second.try_recv().is_err(), "answered by the sync before it");
        finish.send(Ok(())).unwrap();
        assert_eq!(second.blocking_recv().unwrap(), Ok(()));
    }

    #[test]
    fn commits_waiting_together_share_one_sync() {
        let syncs = Arc::new(Mutex::new(0));
        let (sync, Gate { starts, finish }) = gated();
        let mut sync = sync;
        let counted = syncs.clone();
        let log = LogSync::start_with(move || {
            *counted.lock().unwrap() += 1;
            sync()
        })
        .unwrap();
        let first = log.after_commit();
        starts.recv().unwrap();
        let waiting: Vec<Synced> = (0..3).map(|_| log.after_commit()).collect();
        finish.send(Ok(())).unwrap();
        assert_eq!(first.blocking_recv().unwrap(), Ok(()));
        starts.recv().unwrap();
        finish.send(Ok(())).unwrap();
        for synced in waiting {
            assert_eq!(synced.blocking_recv().unwrap(), Ok(()));
        }
        assert_eq!(*syncs.lock().unwrap(), 2);
    }

    fn failure(message: &str, lost_writes: bool) -> Failure {
        Failure {
            error: StoreError::Full(message.into()),
            lost_writes,
        }
    }

    #[test]
    fn after_a_sync_that_may_have_lost_writes_every_commit_is_refused_and_health_fails() {
        let (sync, Gate { starts, finish }) = gated();
        let log = LogSync::start_with(sync).unwrap();
        assert_eq!(log.failure(), None);
        let first = log.after_commit();
        starts.recv().unwrap();
        finish.send(Err(failure("ENOSPC", true))).unwrap();
        let Err(e) = first.blocking_recv().unwrap() else {
            panic!("a failed sync answered Ok");
        };
        assert_eq!(e.code(), "unavailable", "{e}");
        assert!(
            e.message().contains("ENOSPC") && e.message().contains("restarted"),
            "{e}"
        );
        // The disk would say yes now; what it lost before is not known.
        let _ = finish.send(Ok(()));
        let later = log.after_commit().blocking_recv().unwrap();
        assert_eq!(later, Err(e.clone()));
        assert_eq!(log.failure(), Some(e));
    }

    #[test]
    fn a_log_that_could_not_be_opened_refuses_only_the_commits_of_that_sync() {
        let (sync, Gate { starts, finish }) = gated();
        let log = LogSync::start_with(sync).unwrap();
        let first = log.after_commit();
        starts.recv().unwrap();
        finish.send(Err(failure("EMFILE", false))).unwrap();
        assert!(first.blocking_recv().unwrap().is_err());
        let second = log.after_commit();
        starts.recv().unwrap();
        finish.send(Ok(())).unwrap();
        assert_eq!(second.blocking_recv().unwrap(), Ok(()));
        assert_eq!(log.failure(), None);
    }

    #[test]
    fn the_log_of_a_real_file_is_synced_and_a_missing_one_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("c.db-wal"), b"frames").unwrap();
        let log = LogSync::start(&dir.path().join("c.db")).unwrap();
        assert_eq!(log.after_commit().blocking_recv().unwrap(), Ok(()));
        let log = LogSync::start(&dir.path().join("gone.db")).unwrap();
        match log.after_commit().blocking_recv().unwrap() {
            Err(StoreError::Unavailable(m)) => assert!(m.contains("gone.db-wal"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_log_made_anew_is_opened_again_before_it_is_synced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db-wal");
        std::fs::write(&path, b"old").unwrap();
        let mut file = None;
        sync(&mut file, &path).unwrap();
        let old = file.as_ref().unwrap().metadata().unwrap().ino();
        // A new file, made while the old one is still open (so it cannot reuse its inode).
        std::fs::rename(&path, dir.path().join("old-wal")).unwrap();
        std::fs::write(&path, b"new").unwrap();
        sync(&mut file, &path).unwrap();
        let new = file.as_ref().unwrap().metadata().unwrap().ino();
        assert_ne!(old, new);
        assert_eq!(new, std::fs::metadata(&path).unwrap().ino());
    }
}
