//! Why the store failed: a kind a caller branches on (the collector answers with its
//! [`code`](StoreError::code); a client waits and retries on `unavailable`, `busy` or `full`),
//! and a sentence for people.

/// Why the store failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The database cannot be reached: refused, dropped, restarting, shutting down.
    Unavailable(String),
    /// The database stayed busy past the timeout (SQLite's write lock; a PostgreSQL lock or
    /// statement timeout).
    Busy(String),
    /// The disk (or the database's space) is full.
    Full(String),
    /// A stored value cannot be used: a sum out of range over values written behind the
    /// collector's back.
    OutOfRange(String),
    /// The database cannot be used as given: a bad URL, a file that cannot be opened, a schema
    /// from a newer version.
    Setup(String),
    /// Writing what was read failed (an export's file, a closed output).
    Output(String),
    /// The collector's own task failed (a blocking task that panicked or was cancelled).
    Internal(String),
    /// Anything else the database said.
    Database(String),
}

impl StoreError {
    /// A short stable code for the kind: `unavailable`, `busy`, `full`, `out_of_range`,
    /// `setup`, `output`, `internal` or `database`.
    ///
    /// ```
    /// use cohort_collector::store::StoreError;
    /// let e = StoreError::Busy("database is locked".into());
    /// assert_eq!((e.code(), e.to_string().as_str()), ("busy", "database is locked"));
    /// assert!(e.is_transient());
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Unavailable(_) => "unavailable",
            StoreError::Busy(_) => "busy",
            StoreError::Full(_) => "full",
            StoreError::OutOfRange(_) => "out_of_range",
            StoreError::Setup(_) => "setup",
            StoreError::Output(_) => "output",
            StoreError::Internal(_) => "internal",
            StoreError::Database(_) => "database",
        }
    }

    /// The sentence.
    pub fn message(&self) -> &str {
        match self {
            StoreError::Unavailable(m)
            | StoreError::Busy(m)
            | StoreError::Full(m)
            | StoreError::OutOfRange(m)
            | StoreError::Setup(m)
            | StoreError::Output(m)
            | StoreError::Internal(m)
            | StoreError::Database(m) => m,
        }
    }

    /// Whether the same request may succeed later, unchanged (the database comes back, a lock
    /// is released, space is freed).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable(_) | StoreError::Busy(_) | StoreError::Full(_)
        )
    }

    /// The same kind, its sentence after `what` (`"cannot prepare db: ..."`).
    pub fn context(self, what: impl std::fmt::Display) -> StoreError {
        let message = format!("{what}: {}", self.message());
        self.with_message(message)
    }

    fn with_message(&self, m: String) -> StoreError {
        match self {
            StoreError::Unavailable(_) => StoreError::Unavailable(m),
            StoreError::Busy(_) => StoreError::Busy(m),
            StoreError::Full(_) => StoreError::Full(m),
            StoreError::OutOfRange(_) => StoreError::OutOfRange(m),
            StoreError::Setup(_) => StoreError::Setup(m),
            StoreError::Output(_) => StoreError::Output(m),
            StoreError::Internal(_) => StoreError::Internal(m),
            StoreError::Database(_) => StoreError::Database(m),
        }
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        use rusqlite::ErrorCode;
        let message = e.to_string();
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy(message),
            Some(ErrorCode::DiskFull) => StoreError::Full(message),
            Some(ErrorCode::CannotOpen | ErrorCode::NotADatabase | ErrorCode::ReadOnly) => {
                StoreError::Setup(message)
            }
            _ => StoreError::Database(message),
        }
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> StoreError {
        use tokio_postgres::error::SqlState;
        // The server's own message (with its detail) says more than the driver's summary.
        let Some(db) = e.as_db_error() else {
            // No answer from the server: the connection failed or closed.
            return StoreError::Unavailable(e.to_string());
        };
        let message = format!("{}: {}", db.severity(), db.message());
        let code = db.code();
        let class = &code.code()[..2.min(code.code().len())];
        if *code == SqlState::DISK_FULL || *code == SqlState::INSUFFICIENT_RESOURCES {
            StoreError::Full(message)
        } else if *code == SqlState::LOCK_NOT_AVAILABLE || *code == SqlState::QUERY_CANCELED {
            StoreError::Busy(message)
        } else if *code == SqlState::NUMERIC_VALUE_OUT_OF_RANGE {
            StoreError::OutOfRange(message)
        } else if class == "08"
            || *code == SqlState::ADMIN_SHUTDOWN
            || *code == SqlState::CRASH_SHUTDOWN
            || *code == SqlState::CANNOT_CONNECT_NOW
            || *code == SqlState::TOO_MANY_CONNECTIONS
        {
            StoreError::Unavailable(message)
        } else {
            StoreError::Database(message)
        }
    }
}

impl From<tokio::task::JoinError> for StoreError {
    fn from(e: tokio::task::JoinError) -> StoreError {
        StoreError::Internal(format!("the store's task failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_errors_are_sorted_by_what_a_caller_can_do() {
        let busy = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            Some("database is locked".into()),
        );
        assert_eq!(StoreError::from(busy).code(), "busy");
        let full = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            None,
        );
        let full = StoreError::from(full);
        assert_eq!(full.code(), "full");
        assert!(full.is_transient());
        let other = StoreError::from(rusqlite::Error::InvalidQuery);
        assert_eq!(other.code(), "database");
        assert!(!other.is_transient());
    }

    #[test]
    fn context_keeps_the_kind_and_prefixes_the_sentence() {
        let e = StoreError::Unavailable("connection refused".into()).context("cannot prepare db");
        assert_eq!(
            e,
            StoreError::Unavailable("cannot prepare db: connection refused".into())
        );
    }
}
