//! The tables, the same in SQLite and PostgreSQL (PostgreSQL's types in brackets):
//!
//! - `records`: every exposure and event by ID: kind, user, experiment and group (an
//!   exposure's; an event's only when it is excluded for that experiment), event name and
//!   value, time on the collector's clock and on the page's, why it is excluded (if it is)
//!   and a note, the record as sent, and when it arrived;
//! - `first_exposures`: each user's first exposure to each experiment (or gate, its value as
//!   the group), of those not excluded;
//! - `client_drops`: how many records pages reported dropping from full queues.

/// The schema version this code writes.
pub const VERSION: i64 = 3;

/// The tables and indexes; `{real}` is the floating-point type's name.
const TABLES: &str = "
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('exposure', 'event')),
    user_id TEXT NOT NULL,
    experiment TEXT,
    grp TEXT,
    name TEXT,
    value {real},
    time BIGINT NOT NULL,
    client_time BIGINT,
    excluded TEXT,
    note TEXT,
    record TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_events ON records (name, user_id, time)
    WHERE kind = 'event' AND excluded IS NULL;
CREATE INDEX IF NOT EXISTS records_excluded ON records (experiment)
    WHERE excluded IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_time ON records (time);
CREATE TABLE IF NOT EXISTS first_exposures (
    experiment TEXT NOT NULL,
    user_id TEXT NOT NULL,
    grp TEXT NOT NULL,
    time BIGINT NOT NULL,
    PRIMARY KEY (experiment, user_id)
);
CREATE TABLE IF NOT EXISTS client_drops (
    received_at BIGINT NOT NULL,
    dropped BIGINT NOT NULL
);";

/// The tables for SQLite.
pub fn sqlite() -> String {
    TABLES.replace("{real}", "REAL")
}

/// The tables for PostgreSQL.
pub fn postgres() -> String {
    TABLES.replace("{real}", "DOUBLE PRECISION")
}

/// Keeps a user's first exposure: a new row, or an earlier time (and its group) than the one
/// kept. The same text works in SQLite and PostgreSQL.
pub const FIRST_EXPOSURE_UPSERT: &str = "
ON CONFLICT (experiment, user_id) DO UPDATE
SET grp = excluded.grp, time = excluded.time
WHERE excluded.time < first_exposures.time";
