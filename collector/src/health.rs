//! How the collector is: `GET /api/health` for load balancers (the database answers a read; the
//! free space beside a SQLite file), and a warning when that space runs low, at start and
//! whenever it crosses the threshold. SQLite needs room beyond the records themselves: its
//! write-ahead log grows until a checkpoint copies it into the database, so a volume with a few
//! megabytes left fills before the records do.

use std::path::Path;

use serde::Serialize;

use crate::store::Store;

/// Free space below which the collector warns: the WAL of a busy hour, with room to spare.
pub const LOW_SPACE_BYTES: u64 = 256 * 1024 * 1024;

/// What `GET /api/health` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    /// `"ok"`, or why the database did not answer.
    pub database: String,
    /// Bytes free for a SQLite file's folder (none for PostgreSQL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_bytes: Option<u64>,
    /// Whether the free space is under [`LOW_SPACE_BYTES`].
    pub low_space: bool,
}

impl Health {
    /// Whether a load balancer should send traffic here: the database answers.
    pub fn is_ok(&self) -> bool {
        self.database == "ok"
    }
}

/// The bytes an unprivileged process may still write in `folder`'s file system.
pub fn free_bytes(folder: &Path) -> Option<u64> {
    let stats = rustix::fs::statvfs(folder).ok()?;
    Some(stats.f_bavail.saturating_mul(stats.f_frsize))
}

/// The store's health now.
pub async fn check(store: &Store) -> Health {
    let database = match store.ping().await {
        Ok(()) => "ok".to_owned(),
        Err(e) => format!("unreachable: {e}"),
    };
    let free_bytes = store.local_folder().as_deref().and_then(free_bytes);
    Health {
        database,
        free_bytes,
        low_space: free_bytes.is_some_and(|b| b < LOW_SPACE_BYTES),
    }
}

/// The warning for `free` bytes left in `folder`, if that is low.
pub fn low_space_warning(folder: &Path, free: u64) -> Option<String> {
    (free < LOW_SPACE_BYTES).then(|| {
        format!(
            "cohort: warning: only {} MB free for {} (under {} MB): SQLite's write-ahead log \
             needs room to grow, and batches are refused (503) once the disk is full",
            free / (1024 * 1024),
            folder.display(),
            LOW_SPACE_BYTES / (1024 * 1024)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_space_is_read_and_a_low_figure_is_warned_about() {
        let dir = tempfile::tempdir().unwrap();
        let free = free_bytes(dir.path()).expect("a real folder has a figure");
        assert!(free > 0);
        assert_eq!(free_bytes(Path::new("/no/such/folder")), None);
        let warning = low_space_warning(Path::new("/data"), 3 * 1024 * 1024).unwrap();
        assert!(
            warning.contains("only 3 MB free for /data (under 256 MB)"),
            "{warning}"
        );
        assert_eq!(low_space_warning(Path::new("/data"), LOW_SPACE_BYTES), None);
    }
}
