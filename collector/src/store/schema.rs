//! The tables, the same in SQLite and PostgreSQL (PostgreSQL's types in brackets):
//!
//! - `records`: every exposure and event by ID: kind, user, experiment and group (an
//!   exposure's; an event's only when it is excluded for that experiment), event name and
//!   value, time on the collector's clock and on the page's, why it is excluded (if it is)
//!   and a note, the record as sent, and when it arrived;
//! - `first_exposures`: each user's first exposure to each experiment (or gate, its value as
//!   the group), of those not excluded;
//! - `client_drops`: how many records pages reported dropping from full queues;
//! - `group_users`, `measures`, `user_values`, `group_values`: results kept as records arrive
//!   (see [`super::incremental`]).

/// The kept results' tables, dropped by the migration to version 5 (which keeps the sums per
/// day too) and built again from the records at the collector's start.
pub const KEPT_TABLES: [&str; 4] = ["group_users", "group_values", "user_values", "measures"];

/// The index of events by name first, which version 5 replaces with one by user first
/// (`records_user_events`: a batch looks up its users' events, and a planner without
/// statistics read the old one by name and filtered every user's events of that name).
pub const OLD_EVENTS_INDEX: &str = "DROP INDEX IF EXISTS records_events";

/// The schema version this code writes.
pub const VERSION: i64 = 5;

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
CREATE INDEX IF NOT EXISTS records_user_events ON records (user_id, name, time)
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
);
CREATE INDEX IF NOT EXISTS first_exposures_user ON first_exposures (user_id);
CREATE TABLE IF NOT EXISTS measures (
    experiment TEXT NOT NULL,
    event TEXT NOT NULL,
    window_ms BIGINT NOT NULL,
    PRIMARY KEY (experiment, event, window_ms)
);
CREATE TABLE IF NOT EXISTS user_values (
    user_id TEXT NOT NULL,
    experiment TEXT NOT NULL,
    event TEXT NOT NULL,
    window_ms BIGINT NOT NULL,
    events BIGINT NOT NULL,
    total {real} NOT NULL,
    PRIMARY KEY (user_id, experiment, event, window_ms)
);";

/// The kept sums per group: `group_users` and `group_values`. In SQLite, one row per key,
/// updated in place (one writer at a time). In PostgreSQL, rows of changes that a reader adds
/// up (`SUM ... GROUP BY`), so that collectors committing at once never wait on each other's
/// row locks; [`super::PostgresStore`] folds them into one row per key from time to time.
const GROUP_TABLES: &str = "
CREATE TABLE IF NOT EXISTS group_users (
    experiment TEXT NOT NULL,
    grp TEXT NOT NULL,
    day BIGINT NOT NULL,
    users BIGINT NOT NULL{key_users}
);
CREATE TABLE IF NOT EXISTS group_values (
    experiment TEXT NOT NULL,
    event TEXT NOT NULL,
    window_ms BIGINT NOT NULL,
    grp TEXT NOT NULL,
    day BIGINT NOT NULL,
    converted BIGINT NOT NULL,
    count_sum BIGINT NOT NULL,
    count_squares BIGINT NOT NULL,
    value_sum {real} NOT NULL,
    value_squares {real} NOT NULL{key_values}
);";

/// The tables for SQLite.
pub fn sqlite() -> String {
    let groups = GROUP_TABLES
        .replace("{key_users}", ",\n    PRIMARY KEY (experiment, grp, day)")
        .replace(
            "{key_values}",
            ",\n    PRIMARY KEY (experiment, event, window_ms, grp, day)",
        );
    (TABLES.to_owned() + &groups).replace("{real}", "REAL")
}

/// The tables for PostgreSQL.
pub fn postgres() -> String {
    let groups = GROUP_TABLES
        .replace("{key_users}", "")
        .replace("{key_values}", "")
        + "
CREATE INDEX IF NOT EXISTS group_users_key ON group_users (experiment, grp, day);
CREATE INDEX IF NOT EXISTS group_values_key ON group_values (experiment, event, window_ms, grp, day);";
    (TABLES.to_owned() + &groups).replace("{real}", "DOUBLE PRECISION")
}

/// Keeps a user's first exposure: a new row, or an earlier time (and its group) than the one
/// kept, or at the same millisecond a lesser group name (for a database migrated from version
/// 2; batches go through [`super::incremental`]). The same text works in SQLite and
/// PostgreSQL.
pub const FIRST_EXPOSURE_UPSERT: &str = "
ON CONFLICT (experiment, user_id) DO UPDATE
SET grp = excluded.grp, time = excluded.time
WHERE excluded.time < first_exposures.time
   OR (excluded.time = first_exposures.time AND excluded.grp < first_exposures.grp)";

/// Writes a user's first exposure as computed (new, or earlier than the one stored).
pub const FIRST_EXPOSURE_SET: &str = "
INSERT INTO first_exposures (experiment, user_id, grp, time) VALUES ($1, $2, $3, $4)
ON CONFLICT (experiment, user_id) DO UPDATE SET grp = excluded.grp, time = excluded.time";

/// Adds `$4` users to group `$2` of experiment `$1`, on day `$3`.
pub const GROUP_USERS_ADD: &str = "
INSERT INTO group_users (experiment, grp, day, users) VALUES ($1, $2, $3, $4)
ON CONFLICT (experiment, grp, day) DO UPDATE SET users = group_users.users + excluded.users";

/// Sets a user's value for a measure.
pub const USER_VALUE_SET: &str = "
INSERT INTO user_values (user_id, experiment, event, window_ms, events, total)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (user_id, experiment, event, window_ms)
DO UPDATE SET events = excluded.events, total = excluded.total";

/// Deletes a user's value for a measure (none of their events counts any more).
pub const USER_VALUE_DELETE: &str = "
DELETE FROM user_values WHERE user_id = $1 AND experiment = $2 AND event = $3 AND window_ms = $4";

/// Adds to a group's sums for a measure.
pub const GROUP_VALUES_ADD: &str = "
INSERT INTO group_values
    (experiment, event, window_ms, grp, day, converted, count_sum, count_squares, value_sum,
     value_squares)
VALUES ($1, $2, $3, $4, $10, $5, $6, $7, $8, $9)
ON CONFLICT (experiment, event, window_ms, grp, day) DO UPDATE SET
    converted = group_values.converted + excluded.converted,
    count_sum = group_values.count_sum + excluded.count_sum,
    count_squares = group_values.count_squares + excluded.count_squares,
    value_sum = group_values.value_sum + excluded.value_sum,
    value_squares = group_values.value_squares + excluded.value_squares";

/// `group_users` from `first_exposures`, for a database from before it was kept.
pub const GROUP_USERS_BUILD: &str = "
INSERT INTO group_users (experiment, grp, day, users)
SELECT experiment, grp, time / 86400000, COUNT(*) FROM first_exposures
GROUP BY experiment, grp, time / 86400000";

/// A measure's `user_values` from the stored records (`$1` experiment, `$2` event, `$3`
/// window or 0), for a measure not kept before.
pub const USER_VALUES_BUILD: &str = "
INSERT INTO user_values (user_id, experiment, event, window_ms, events, total)
SELECT f.user_id, f.experiment, $2, $3, COUNT(*), COALESCE(SUM(e.value), 0)
FROM first_exposures f
JOIN records e
  ON e.kind = 'event' AND e.excluded IS NULL AND e.name = $2
 AND e.user_id = f.user_id AND e.time >= f.time
 AND (CAST($3 AS BIGINT) = 0 OR e.time < f.time + CAST($3 AS BIGINT))
WHERE f.experiment = $1
GROUP BY f.user_id, f.experiment";

/// A measure's `group_values` from its `user_values`.
pub const GROUP_VALUES_BUILD: &str = "
INSERT INTO group_values
    (experiment, event, window_ms, grp, day, converted, count_sum, count_squares, value_sum,
     value_squares)
SELECT v.experiment, v.event, v.window_ms, f.grp, f.time / 86400000, COUNT(*), SUM(v.events),
       SUM(v.events * v.events), SUM(v.total), SUM(v.total * v.total)
FROM user_values v
JOIN first_exposures f ON f.experiment = v.experiment AND f.user_id = v.user_id
WHERE v.experiment = $1 AND v.event = $2 AND v.window_ms = $3
GROUP BY v.experiment, v.event, v.window_ms, f.grp, f.time / 86400000";
