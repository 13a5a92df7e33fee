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
//! later commit never survives without an earlier one. A checkpoint (SQLite's own, in the
//! commit that fills the log) syncs the log before it copies it, and the database after.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use tokio::sync::oneshot;

use super::StoreError;

/// Where a committed write's durability is reported.
pub type Synced = oneshot::Receiver<Result<(), StoreError>>;

/// The log's syncing thread, as the writer sees it.
pub struct LogSync {
    requests: mpsc::Sender<oneshot::Sender<Result<(), StoreError>>>,
}

impl LogSync {
    /// Starts the thread that syncs the log of the database at `db`.
    pub fn start(db: &Path) -> std::io::Result<LogSync> {
        let mut log = db.as_os_str().to_owned();
        log.push("-wal");
        let log = PathBuf::from(log);
        let (requests, waiting) = mpsc::channel::<oneshot::Sender<Result<(), StoreError>>>();
        std::thread::Builder::new()
            .name("sqlite-log-sync".into())
            .spawn(move || {
                let mut file = None;
                // Ends when the store (the sender) is dropped.
                while let Ok(first) = waiting.recv() {
                    // Every commit asked for so far is covered by one sync.
                    let mut answers = vec![first];
                    answers.extend(waiting.try_iter());
                    let synced = sync(&mut file, &log);
                    for answer in answers {
                        let _ = answer.send(synced.clone());
                    }
                }
            })?;
        Ok(LogSync { requests })
    }

    /// Asks for a sync of everything committed so far; the answer comes once it is on disk.
    pub fn after_commit(&self) -> Synced {
        let (answer, synced) = oneshot::channel();
        if let Err(mpsc::SendError(answer)) = self.requests.send(answer) {
            let _ = answer.send(Err(StoreError::Internal(
                "the SQLite log's sync thread stopped".into(),
            )));
        }
        synced
    }
}

/// Syncs the log at `path`, through `file` (opened at the first sync, and again if the log
/// was made anew since).
fn sync(file: &mut Option<File>, path: &Path) -> Result<(), StoreError> {
    let unavailable = |e: std::io::Error| {
        let message = format!("cannot sync the log {}: {e}", path.display());
        match e.kind() {
            std::io::ErrorKind::StorageFull => StoreError::Full(message),
            _ => StoreError::Unavailable(message),
        }
    };
    let current = std::fs::metadata(path).map_err(unavailable)?.ino();
    let stale = match file {
        Some(f) => f.metadata().map_err(unavailable)?.ino() != current,
        None => true,
    };
    if stale {
        *file = Some(File::open(path).map_err(unavailable)?);
    }
    match file {
        Some(f) => f.sync_data().map_err(unavailable),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_commit_asked_for_is_answered_once_the_log_is_synced() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("c.db");
        std::fs::write(dir.path().join("c.db-wal"), b"frames").unwrap();
        let log = LogSync::start(&db).unwrap();
        let asked: Vec<Synced> = (0..3).map(|_| log.after_commit()).collect();
        for synced in asked {
            assert_eq!(synced.blocking_recv().unwrap(), Ok(()));
        }
    }

    #[test]
    fn a_log_that_cannot_be_synced_is_answered_unavailable_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
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
