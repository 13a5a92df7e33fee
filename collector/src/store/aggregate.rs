//! Results as SQL aggregates: the queries that reduce an experiment's records to a few numbers
//! per group, run by the database (SQLite or PostgreSQL: the same text), so that nothing per
//! user ever reaches the collector. The README prints them for data engineers to run on an
//! export in their warehouse.
//!
//! A user belongs to the group of their first exposure (the earliest not excluded, and of
//! those at the same millisecond the least group name). An event counts for a metric when it is the
//! metric's event, not excluded, at or after that first exposure (and within the metric's
//! window, if it has one). Per user, a conversion metric's value is 1 if the user did the
//! event, a count metric's the number of events, a sum metric's the total of their values;
//! per group, the query returns the users and the sum and sum of squares of those values.

use cohort::rules::{Metric, MetricKind};
use cohort_stats::ArmStats;

use super::StoreError;

/// Each user's first exposure to experiment `$1`, from the records alone: the earliest
/// not excluded, and of those at the same millisecond the least group name.
macro_rules! firsts {
    () => {
        "WITH earliest AS (
    SELECT user_id, MIN(time) AS time
    FROM records
    WHERE kind = 'exposure' AND excluded IS NULL AND experiment = $1
    GROUP BY user_id
), firsts AS (
    SELECT r.user_id, MIN(r.grp) AS grp, r.time
    FROM records r
    JOIN earliest x ON x.user_id = r.user_id AND x.time = r.time
    WHERE r.kind = 'exposure' AND r.excluded IS NULL AND r.experiment = $1
    GROUP BY r.user_id, r.time
)
"
    };
}

/// Users exposed to each group of experiment `$1` per UTC day of their first exposure,
/// recomputed from the records.
pub const EXPOSED: &str = concat!(
    firsts!(),
    "SELECT grp, time / 86400000 AS day, COUNT(*) AS users
FROM firsts
GROUP BY grp, time / 86400000"
);

/// Users exposed to experiment `$1`, whatever their group: the listing's count (one range of
/// `first_exposures`' key).
pub const EXPOSED_USERS: &str = "SELECT COUNT(*) FROM first_exposures WHERE experiment = $1";

/// Each group's users and the sums of one metric's per-user values per UTC day of the users'
/// first exposures, for experiment `$1`,
/// event `$2` and window `$3` (milliseconds, or NULL for none), recomputed from the records
/// alone. (SQLite binds these by name: it numbers `$n` parameters in the order they first
/// appear.)
pub const METRIC: &str = concat!(
    firsts!(),
    "SELECT grp, day,
       COUNT(*) AS users,
       CAST(SUM(CASE WHEN events > 0 THEN 1 ELSE 0 END) AS BIGINT) AS converted,
       CAST(SUM(events) AS DOUBLE PRECISION) AS count_sum,
       CAST(SUM(events * events) AS DOUBLE PRECISION) AS count_squares,
       CAST(SUM(total) AS DOUBLE PRECISION) AS value_sum,
       CAST(SUM(total * total) AS DOUBLE PRECISION) AS value_squares
FROM (
    SELECT f.grp AS grp,
           f.time / 86400000 AS day,
           COUNT(e.id) AS events,
           COALESCE(SUM(e.value), 0) AS total
    FROM firsts f
    LEFT JOIN records e
           ON e.kind = 'event' AND e.excluded IS NULL AND e.name = $2
          AND e.user_id = f.user_id AND e.time >= f.time
          AND (CAST($3 AS BIGINT) IS NULL OR e.time < f.time + CAST($3 AS BIGINT))
    GROUP BY f.user_id, f.grp, f.time
) per_user
GROUP BY grp, day"
);

/// Users exposed to each group of experiment `$1` per day, as kept ([`super::incremental`];
/// the rows of a group and day added up, as PostgreSQL keeps changes in rows of their own).
pub const EXPOSED_KEPT: &str = "\
SELECT grp, day, CAST(SUM(users) AS BIGINT)
FROM group_users
WHERE experiment = $1
GROUP BY grp, day
HAVING SUM(users) <> 0";

/// Users exposed to experiment `$1`, as kept.
pub const EXPOSED_USERS_KEPT: &str =
    "SELECT CAST(COALESCE(SUM(users), 0) AS BIGINT) FROM group_users WHERE experiment = $1";

/// Each group's sums for a measure (`$1` experiment, `$2` event, `$3` window or 0) per day,
/// as kept: a few rows, whatever the number of users.
pub const METRIC_KEPT: &str = "\
SELECT grp, day,
       CAST(SUM(converted) AS BIGINT),
       CAST(SUM(count_sum) AS BIGINT),
       CAST(SUM(count_squares) AS BIGINT),
       CAST(SUM(value_sum) AS DOUBLE PRECISION),
       CAST(SUM(value_squares) AS DOUBLE PRECISION)
FROM group_values
WHERE experiment = $1 AND event = $2 AND window_ms = $3
GROUP BY grp, day";

/// Records kept out of experiment `$1`'s results, by kind and reason.
pub const EXCLUDED: &str = "\
SELECT kind, excluded, COUNT(*) AS records
FROM records
WHERE experiment = $1 AND excluded IS NOT NULL
GROUP BY kind, excluded
ORDER BY kind DESC, excluded";

/// Records the pages reported dropping from their full queues.
pub const DROPPED: &str = "SELECT CAST(COALESCE(SUM(dropped), 0) AS BIGINT) FROM client_drops";

/// Everything the queries return for one experiment, from one snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// [`EXPOSED`]: each group's exposed users per day.
    pub exposed: Vec<Exposed>,
    /// [`METRIC`], for each of the experiment's metrics in order: its rows, or why the
    /// database could not give them (that metric alone is then left out of the answer).
    pub metrics: Vec<Result<Vec<GroupRow>, StoreError>>,
    /// [`EXCLUDED`].
    pub excluded: Vec<cohort_stats::Excluded>,
    /// [`DROPPED`].
    pub dropped: u64,
}

/// One group's users first exposed on one day (a row of [`EXPOSED`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Exposed {
    pub group: String,
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    pub users: u64,
}

/// One group's and day's row of [`METRIC`].
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRow {
    pub group: String,
    /// Days since 1970-01-01 (UTC) of the users' first exposures.
    pub day: i64,
    pub users: u64,
    pub converted: u64,
    pub count_sum: f64,
    pub count_squares: f64,
    pub value_sum: f64,
    pub value_squares: f64,
}

/// A kept measure's rows: one per exposed group and day, with its users, and its sums (zero
/// for one none of whose users has a counted event).
pub fn with_users(
    mut sums: std::collections::HashMap<(String, i64), GroupRow>,
    exposed: &[Exposed],
) -> Vec<GroupRow> {
    exposed
        .iter()
        .map(|exposed| {
            let key = (exposed.group.clone(), exposed.day);
            let mut row = sums
                .remove(&key)
                .unwrap_or_else(|| GroupRow::empty(exposed.group.clone(), exposed.day));
            row.users = exposed.users;
            row
        })
        .collect()
}

/// `rows` as an answer may use them: every figure a finite number, or why not. The collector
/// bounds the values it stores ([`cohort_protocol::MAX_EVENT_VALUE`]), but a database also
/// holds what was written behind its back (an import, an older version, a hand edit), and a
/// sum of squares over such values leaves the range of a double: SQLite then sums to infinity
/// (or to NULL, read as NaN), where PostgreSQL raises an error of its own.
pub fn finite(rows: Vec<GroupRow>) -> Result<Vec<GroupRow>, StoreError> {
    let out_of_range = rows.iter().find(|r| {
        ![r.count_sum, r.count_squares, r.value_sum, r.value_squares]
            .iter()
            .all(|x| x.is_finite())
    });
    match out_of_range {
        Some(row) => Err(StoreError::OutOfRange(format!(
            "the sums of group {:?} are out of range: a stored value is too large",
            row.group
        ))),
        None => Ok(rows),
    }
}

/// The rows of one group (of several days) added up.
pub fn total<'r>(rows: impl Iterator<Item = &'r GroupRow>) -> GroupRow {
    let mut total = GroupRow::empty(String::new(), 0);
    for row in rows {
        total.users += row.users;
        total.converted += row.converted;
        total.count_sum += row.count_sum;
        total.count_squares += row.count_squares;
        total.value_sum += row.value_sum;
        total.value_squares += row.value_squares;
    }
    total
}

impl GroupRow {
    /// `group`'s row for `day` with no users.
    pub fn empty(group: String, day: i64) -> GroupRow {
        GroupRow {
            group,
            day,
            users: 0,
            converted: 0,
            count_sum: 0.0,
            count_squares: 0.0,
            value_sum: 0.0,
            value_squares: 0.0,
        }
    }

    /// The group's statistics for `metric`.
    pub fn arm(&self, metric: &Metric) -> ArmStats {
        match metric.kind {
            MetricKind::Conversion => ArmStats::proportion(self.users, self.converted),
            MetricKind::Count => ArmStats::mean(self.users, self.count_sum, self.count_squares),
            MetricKind::Sum => ArmStats::mean(self.users, self.value_sum, self.value_squares),
        }
    }
}
