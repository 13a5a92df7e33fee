//! The tables, the same in SQLite and PostgreSQL (PostgreSQL's types in brackets):
//!
//! - `records`: every exposure and event by ID: kind, user, experiment and group (an
//!   exposure's; an event's only when it is excluded for that experiment), event name and
//!   value, time on the collector's clock and on the page's, why it is excluded (if it is)
//!   and a note, the record as sent, and when it arrived;
//! - `first_exposures`: each user's first exposure to each experiment (or gate, its value as
//!   the group), of those not excluded; `user_dimensions`: the dimensions it came with (results
//!   are broken down by them);
//! - `client_drops`: how many records pages reported dropping from full queues;
//! - `group_users`, `measures`, `user_values`, `group_values`: results kept as records arrive
//!   (see [`super::incremental`]).

/// The kept results' tables, dropped by the migrations to version 5 (which keeps the sums per
/// day too) and 6 (which keeps CUPED's covariates and ratios' denominators, per measure) and
/// built again from the records at the collector's start.
pub const KEPT_TABLES: [&str; 4] = ["group_users", "group_values", "user_values", "measures"];

/// Version 6 keeps measures by their definitions: its kept measure tables are built again.
pub const KEPT_MEASURE_TABLES: [&str; 3] = ["group_values", "user_values", "measures"];

/// The index of events by name first, which version 5 replaces with one by user first
/// (`records_user_events`: a batch looks up its users' events, and a planner without
/// statistics read the old one by name and filtered every user's events of that name).
pub const OLD_EVENTS_INDEX: &str = "DROP INDEX IF EXISTS records_events";

/// The schema version this code writes.
pub const VERSION: i64 = 6;

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
CREATE TABLE IF NOT EXISTS user_dimensions (
    experiment TEXT NOT NULL,
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (experiment, user_id, name)
);
CREATE TABLE IF NOT EXISTS measures (
    experiment TEXT NOT NULL,
    measure TEXT NOT NULL,
    PRIMARY KEY (experiment, measure)
);
CREATE TABLE IF NOT EXISTS user_values (
    user_id TEXT NOT NULL,
    experiment TEXT NOT NULL,
    measure TEXT NOT NULL,
    events BIGINT NOT NULL,
    total {real} NOT NULL,
    pre_events BIGINT NOT NULL,
    pre_total {real} NOT NULL,
    den_events BIGINT NOT NULL,
    den_total {real} NOT NULL,
    value {real} NOT NULL,
    pre_value {real} NOT NULL,
    den_value {real} NOT NULL,
    capped INTEGER NOT NULL,
    PRIMARY KEY (user_id, experiment, measure)
);
CREATE INDEX IF NOT EXISTS user_values_value ON user_values (experiment, measure, value)
    WHERE capped = 1;
CREATE INDEX IF NOT EXISTS user_values_tail
    ON user_values (experiment, measure, {greatest}(value, pre_value)) WHERE capped = 1;
CREATE INDEX IF NOT EXISTS user_values_den ON user_values (experiment, measure, den_value)
    WHERE capped = 1;";

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
    measure TEXT NOT NULL,
    grp TEXT NOT NULL,
    day BIGINT NOT NULL,
    sum {real} NOT NULL,
    squares {real} NOT NULL,
    pre_sum {real} NOT NULL,
    pre_squares {real} NOT NULL,
    pre_product {real} NOT NULL,
    den_sum {real} NOT NULL,
    den_squares {real} NOT NULL,
    den_product {real} NOT NULL,
    positive {real} NOT NULL,
    negative {real} NOT NULL,
    den_positive {real} NOT NULL,
    den_negative {real} NOT NULL{key_values}
);";

/// The tables for SQLite.
pub fn sqlite() -> String {
    let groups = GROUP_TABLES
        .replace("{key_users}", ",\n    PRIMARY KEY (experiment, grp, day)")
        .replace(
            "{key_values}",
            ",\n    PRIMARY KEY (experiment, measure, grp, day)",
        );
    (TABLES.to_owned() + &groups)
        .replace("{real}", "REAL")
        .replace("{greatest}", "max")
}

/// The tables for PostgreSQL.
pub fn postgres() -> String {
    let groups = GROUP_TABLES
        .replace("{key_users}", "")
        .replace("{key_values}", "")
        + "
CREATE INDEX IF NOT EXISTS group_users_key ON group_users (experiment, grp, day);
CREATE INDEX IF NOT EXISTS group_values_key ON group_values (experiment, measure, grp, day);";
    (TABLES.to_owned() + &groups)
        .replace("{real}", "DOUBLE PRECISION")
        .replace("{greatest}", "GREATEST")
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

/// Sets a user's counters and values for a measure.
pub const USER_VALUE_SET: &str = "
INSERT INTO user_values (user_id, experiment, measure, events, total, pre_events, pre_total,
                         den_events, den_total, value, pre_value, den_value, capped)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (user_id, experiment, measure) DO UPDATE SET
    events = excluded.events, total = excluded.total,
    pre_events = excluded.pre_events, pre_total = excluded.pre_total,
    den_events = excluded.den_events, den_total = excluded.den_total,
    value = excluded.value, pre_value = excluded.pre_value, den_value = excluded.den_value";

/// Deletes a user's row for a measure (none of their events counts any more).
pub const USER_VALUE_DELETE: &str =
    "DELETE FROM user_values WHERE user_id = $1 AND experiment = $2 AND measure = $3";

/// Adds to a group's sums for a measure (`$1` experiment, `$2` measure, `$3` group, `$4` day,
/// then the sums in [`GroupSums::COLUMNS`](super::incremental::GroupSums::COLUMNS)' order).
pub const GROUP_VALUES_ADD: &str = "
INSERT INTO group_values
    (experiment, measure, grp, day, sum, squares, pre_sum, pre_squares, pre_product, den_sum,
     den_squares, den_product, positive, negative, den_positive, den_negative)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
ON CONFLICT (experiment, measure, grp, day) DO UPDATE SET
    sum = group_values.sum + excluded.sum,
    squares = group_values.squares + excluded.squares,
    pre_sum = group_values.pre_sum + excluded.pre_sum,
    pre_squares = group_values.pre_squares + excluded.pre_squares,
    pre_product = group_values.pre_product + excluded.pre_product,
    den_sum = group_values.den_sum + excluded.den_sum,
    den_squares = group_values.den_squares + excluded.den_squares,
    den_product = group_values.den_product + excluded.den_product,
    positive = group_values.positive + excluded.positive,
    negative = group_values.negative + excluded.negative,
    den_positive = group_values.den_positive + excluded.den_positive,
    den_negative = group_values.den_negative + excluded.den_negative";

/// `group_users` from `first_exposures`, for a database from before it was kept.
pub const GROUP_USERS_BUILD: &str = "
INSERT INTO group_users (experiment, grp, day, users)
SELECT experiment, grp, time / 86400000, COUNT(*) FROM first_exposures
GROUP BY experiment, grp, time / 86400000";

/// A measure's `user_values` from the stored records, for a measure not kept before: the
/// counters of [`crate::counters!`] over the kept first exposures (parameters
/// `$1` to `$6` as there), with the values they make (`$7` the value's kind, `$8` the
/// denominator's), `$9` the measure's key and `$10` whether it is capped (0 or 1).
pub const USER_VALUES_BUILD: &str = concat!(
    "INSERT INTO user_values (user_id, experiment, measure, events, total, pre_events, pre_total,
                         den_events, den_total, value, pre_value, den_value, capped)
SELECT user_id, $1, CAST($9 AS TEXT), events, total, pre_events, pre_total, den_events, den_total,
       CASE CAST($7 AS TEXT) WHEN 'conversion' THEN (CASE WHEN events > 0 THEN 1 ELSE 0 END)
            WHEN 'count' THEN events ELSE total END,
       CASE CAST($7 AS TEXT) WHEN 'conversion' THEN (CASE WHEN pre_events > 0 THEN 1 ELSE 0 END)
            WHEN 'count' THEN pre_events ELSE pre_total END,
       CASE CAST($8 AS TEXT) WHEN 'conversion' THEN (CASE WHEN den_events > 0 THEN 1 ELSE 0 END)
            WHEN 'count' THEN den_events ELSE den_total END,
       CAST($10 AS INTEGER)
FROM (
",
    crate::counters!("first_exposures f", "WHERE f.experiment = $1"),
    ") c
WHERE events > 0 OR pre_events > 0 OR den_events > 0"
);

/// A measure's `group_values` from its `user_values` (`$1` experiment, `$2` measure).
pub const GROUP_VALUES_BUILD: &str = "
INSERT INTO group_values
    (experiment, measure, grp, day, sum, squares, pre_sum, pre_squares, pre_product, den_sum,
     den_squares, den_product, positive, negative, den_positive, den_negative)
SELECT v.experiment, v.measure, f.grp, f.time / 86400000,
       SUM(v.value), SUM(v.value * v.value), SUM(v.pre_value), SUM(v.pre_value * v.pre_value),
       SUM(v.value * v.pre_value), SUM(v.den_value), SUM(v.den_value * v.den_value),
       SUM(v.value * v.den_value),
       SUM(CASE WHEN v.value > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN v.value < 0 THEN 1 ELSE 0 END),
       SUM(CASE WHEN v.den_value > 0 THEN 1 ELSE 0 END),
       SUM(CASE WHEN v.den_value < 0 THEN 1 ELSE 0 END)
FROM user_values v
JOIN first_exposures f ON f.experiment = v.experiment AND f.user_id = v.user_id
WHERE v.experiment = $1 AND v.measure = $2
GROUP BY v.experiment, v.measure, f.grp, f.time / 86400000";

/// Forgets the dimensions of a user's first exposure (`$1` experiment, `$2` user), before
/// those of an earlier one are written.
pub const USER_DIMENSIONS_DELETE: &str =
    "DELETE FROM user_dimensions WHERE experiment = $1 AND user_id = $2";

/// Writes one dimension of a user's first exposure.
pub const USER_DIMENSION_SET: &str = "
INSERT INTO user_dimensions (experiment, user_id, name, value) VALUES ($1, $2, $3, $4)
ON CONFLICT (experiment, user_id, name) DO UPDATE SET value = excluded.value";
