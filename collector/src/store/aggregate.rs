//! Results from the database: the queries (SQLite and PostgreSQL read the same text) that give
//! an experiment's users per group and day and each measure's sums as kept, the capped tail
//! an answer corrects them by, and, for the reference recomputation, each user's counters
//! from the records alone. The README prints them for data engineers to run on an export in
//! their warehouse.
//!
//! A user belongs to the group of their first exposure (the earliest not excluded, and of
//! those at the same millisecond the least group name). An event counts for a metric when it
//! is the metric's event, not excluded, at or after that first exposure (and within the
//! metric's window, if it has one); with CUPED, the same event in the lookback before the
//! first exposure makes the covariate; a ratio counts its denominator's event the same way.
//! Per user, a conversion metric's value is 1 if the user did the event, a count metric's the
//! number of events, a sum metric's the total of their values; a cap bounds it (the covariate
//! too). Per group, the statistics read the sums of those values, their squares and products.

use std::collections::HashMap;

use cohort::rules::{CapKind, Metric, MetricKind};
use cohort_stats::{ArmStats, MetricSums};

use super::incremental::{Counting, GroupSums, Measure, UserFigures};
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

/// Each exposed user's counters for one measure, from the records of `$from` (first exposures)
/// filtered by `$where`: the events named `$2` at or after the first exposure and within the
/// window `$3` (0: none), and their values' total; the same over CUPED's lookback `$4` before
/// it (`[first - $4, first)`; 0: none); and a ratio's denominator's events `$5` ('' for none)
/// within its window `$6`. Users without events have zeros. (SQLite binds these by name: it
/// numbers `$n` parameters in the order they first appear.)
#[macro_export]
#[doc(hidden)]
macro_rules! counters {
    ($from:literal, $where:literal) => {
        concat!(
            "SELECT f.user_id AS user_id, f.grp AS grp, f.time AS first,
       SUM(CASE WHEN e.name = $2 AND e.time >= f.time
                 AND (CAST($3 AS BIGINT) = 0 OR e.time < f.time + CAST($3 AS BIGINT))
                THEN 1 ELSE 0 END) AS events,
       SUM(CASE WHEN e.name = $2 AND e.time >= f.time
                 AND (CAST($3 AS BIGINT) = 0 OR e.time < f.time + CAST($3 AS BIGINT))
                THEN COALESCE(e.value, 0) ELSE 0 END) AS total,
       SUM(CASE WHEN e.name = $2 AND e.time < f.time
                 AND e.time >= f.time - CAST($4 AS BIGINT)
                THEN 1 ELSE 0 END) AS pre_events,
       SUM(CASE WHEN e.name = $2 AND e.time < f.time
                 AND e.time >= f.time - CAST($4 AS BIGINT)
                THEN COALESCE(e.value, 0) ELSE 0 END) AS pre_total,
       SUM(CASE WHEN e.name = $5 AND e.time >= f.time
                 AND (CAST($6 AS BIGINT) = 0 OR e.time < f.time + CAST($6 AS BIGINT))
                THEN 1 ELSE 0 END) AS den_events,
       SUM(CASE WHEN e.name = $5 AND e.time >= f.time
                 AND (CAST($6 AS BIGINT) = 0 OR e.time < f.time + CAST($6 AS BIGINT))
                THEN COALESCE(e.value, 0) ELSE 0 END) AS den_total
FROM ",
            $from,
            "
LEFT JOIN records e
       ON e.kind = 'event' AND e.excluded IS NULL AND e.user_id = f.user_id
      AND (e.name = $2 OR e.name = $5) AND e.time >= f.time - CAST($4 AS BIGINT)
",
            $where,
            "
GROUP BY f.user_id, f.grp, f.time"
        )
    };
}

/// The parameters of [`counters!`] (in [`recount`] and in [`super::schema`]'s build) for
/// a measure: event, window, lookback, denominator event and window.
pub fn counter_parameters(measure: &Measure) -> (&str, i64, i64, &str, i64) {
    let denominator = measure.denominator.as_ref();
    (
        measure.value.event.as_str(),
        measure.value.window_ms,
        measure.lookback_ms,
        denominator.map_or("", |d| d.event.as_str()),
        denominator.map_or(0, |d| d.window_ms),
    )
}

/// Records kept out of experiment `$1`'s results, by kind and reason.
pub const EXCLUDED: &str = "\
SELECT kind, excluded, COUNT(*) AS records
FROM records
WHERE experiment = $1 AND excluded IS NOT NULL
GROUP BY kind, excluded
ORDER BY kind DESC, excluded";

/// Records the pages reported dropping from their full queues.
pub const DROPPED: &str = "SELECT CAST(COALESCE(SUM(dropped), 0) AS BIGINT) FROM client_drops";

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

/// Each group's sums for a measure (`$1` experiment, `$2` measure) per day, as kept (in
/// [`GroupSums::COLUMNS`]' order): a few rows, whatever the number of users.
pub const METRIC_KEPT: &str = "\
SELECT grp, day,
       CAST(SUM(sum) AS DOUBLE PRECISION), CAST(SUM(squares) AS DOUBLE PRECISION),
       CAST(SUM(pre_sum) AS DOUBLE PRECISION), CAST(SUM(pre_squares) AS DOUBLE PRECISION),
       CAST(SUM(pre_product) AS DOUBLE PRECISION), CAST(SUM(den_sum) AS DOUBLE PRECISION),
       CAST(SUM(den_squares) AS DOUBLE PRECISION), CAST(SUM(den_product) AS DOUBLE PRECISION),
       CAST(SUM(positive) AS DOUBLE PRECISION), CAST(SUM(negative) AS DOUBLE PRECISION),
       CAST(SUM(den_positive) AS DOUBLE PRECISION), CAST(SUM(den_negative) AS DOUBLE PRECISION)
FROM group_values
WHERE experiment = $1 AND measure = $2
GROUP BY grp, day";

/// Which of a user's values a cap bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// The value (and CUPED's covariate with it).
    Value,
    /// A ratio's denominator.
    Denominator,
}

/// One value of a capped measure's users in order (`$1` experiment, `$2` measure, `$3` the
/// offset): the `$3`th positive value from the largest down, or negative one from the
/// smallest up, read through the measure's index: what a percentile cap reads to place its
/// bound (see [`Quantile`]).
pub fn nth_value(column: Column, pick: Pick) -> Option<&'static str> {
    Some(match (column, pick) {
        (_, Pick::Zero) => return None,
        (Column::Value, Pick::Positive(_)) => {
            "SELECT value FROM user_values
WHERE experiment = $1 AND measure = $2 AND capped = 1 AND value > 0
ORDER BY value DESC LIMIT 1 OFFSET $3"
        }
        (Column::Value, Pick::Negative(_)) => {
            "SELECT value FROM user_values
WHERE experiment = $1 AND measure = $2 AND capped = 1 AND value < 0
ORDER BY value ASC LIMIT 1 OFFSET $3"
        }
        (Column::Denominator, Pick::Positive(_)) => {
            "SELECT den_value FROM user_values
WHERE experiment = $1 AND measure = $2 AND capped = 1 AND den_value > 0
ORDER BY den_value DESC LIMIT 1 OFFSET $3"
        }
        (Column::Denominator, Pick::Negative(_)) => {
            "SELECT den_value FROM user_values
WHERE experiment = $1 AND measure = $2 AND capped = 1 AND den_value < 0
ORDER BY den_value ASC LIMIT 1 OFFSET $3"
        }
    })
}

/// The users of a capped measure above its bounds (`$1` experiment, `$2` measure, `$3` the
/// value's bound, `$4` the denominator's; infinite for none), with their group, day and
/// values: what an answer corrects the kept sums by. Read through the measure's indexes;
/// `{greatest}` is the store's two-argument maximum (`max` in SQLite, `GREATEST` in
/// PostgreSQL).
pub const TAIL: &str = "\
SELECT v.user_id, f.grp, f.time / 86400000, v.value, v.pre_value, v.den_value
FROM user_values v
JOIN first_exposures f ON f.experiment = v.experiment AND f.user_id = v.user_id
WHERE v.experiment = $1 AND v.measure = $2 AND v.capped = 1
  AND {greatest}(v.value, v.pre_value) > $3
UNION
SELECT v.user_id, f.grp, f.time / 86400000, v.value, v.pre_value, v.den_value
FROM user_values v
JOIN first_exposures f ON f.experiment = v.experiment AND f.user_id = v.user_id
WHERE v.experiment = $1 AND v.measure = $2 AND v.capped = 1 AND v.den_value > $4";

/// Users exposed to experiment `$1` per value of dimension `$2` ('' for none) and group: a
/// breakdown's slices (the dimensions of each user's first exposure).
pub const BREAKDOWN_USERS: &str = "\
SELECT COALESCE(d.value, ''), f.grp, COUNT(*)
FROM first_exposures f
LEFT JOIN user_dimensions d
       ON d.experiment = f.experiment AND d.user_id = f.user_id AND d.name = $2
WHERE f.experiment = $1
GROUP BY COALESCE(d.value, ''), f.grp";

/// A kept measure's sums (`$1` experiment, `$2` measure) per value of dimension `$3` and group,
/// in [`GroupSums::COLUMNS`]' order: summed by the database over the users with events, a
/// few rows per value whatever their number.
pub const BREAKDOWN_METRIC: &str = "\
SELECT COALESCE(d.value, ''), f.grp,
       CAST(SUM(v.value) AS DOUBLE PRECISION), CAST(SUM(v.value * v.value) AS DOUBLE PRECISION),
       CAST(SUM(v.pre_value) AS DOUBLE PRECISION),
       CAST(SUM(v.pre_value * v.pre_value) AS DOUBLE PRECISION),
       CAST(SUM(v.value * v.pre_value) AS DOUBLE PRECISION),
       CAST(SUM(v.den_value) AS DOUBLE PRECISION),
       CAST(SUM(v.den_value * v.den_value) AS DOUBLE PRECISION),
       CAST(SUM(v.value * v.den_value) AS DOUBLE PRECISION),
       CAST(SUM(CASE WHEN v.value > 0 THEN 1 ELSE 0 END) AS DOUBLE PRECISION),
       CAST(SUM(CASE WHEN v.value < 0 THEN 1 ELSE 0 END) AS DOUBLE PRECISION),
       CAST(SUM(CASE WHEN v.den_value > 0 THEN 1 ELSE 0 END) AS DOUBLE PRECISION),
       CAST(SUM(CASE WHEN v.den_value < 0 THEN 1 ELSE 0 END) AS DOUBLE PRECISION)
FROM user_values v
JOIN first_exposures f ON f.experiment = v.experiment AND f.user_id = v.user_id
LEFT JOIN user_dimensions d
       ON d.experiment = v.experiment AND d.user_id = v.user_id AND d.name = $3
WHERE v.experiment = $1 AND v.measure = $2
GROUP BY COALESCE(d.value, ''), f.grp";

/// The users of a capped measure above its bounds, as [`TAIL`], with their value of dimension
/// `$5` ('' for none) instead of their day.
pub const BREAKDOWN_TAIL: &str = "\
SELECT v.user_id, f.grp, COALESCE(d.value, ''), v.value, v.pre_value, v.den_value
FROM user_values v
JOIN first_exposures f ON f.experiment = v.experiment AND f.user_id = v.user_id
LEFT JOIN user_dimensions d
       ON d.experiment = v.experiment AND d.user_id = v.user_id AND d.name = $5
WHERE v.experiment = $1 AND v.measure = $2 AND v.capped = 1
  AND ({greatest}(v.value, v.pre_value) > $3 OR v.den_value > $4)";

/// One metric's sums of a breakdown: (dimension value, group, sums).
pub type ValueRows = Vec<(String, String, GroupSums)>;

/// What a breakdown reads: users per dimension value and group, and each metric's sums per
/// value and group (capped), or why not.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakdownFigures {
    /// (value, group, users).
    pub users: Vec<(String, String, u64)>,
    /// For each metric: (value, group, sums).
    pub metrics: Vec<Result<ValueRows, StoreError>>,
}

/// A breakdown's rows of one metric with `bounds` applied to the users of the `tail` (value,
/// group and uncapped figures), as [`capped`] does per day.
pub fn capped_by_value(
    mut rows: ValueRows,
    bounds: Bounds,
    tail: &[(String, String, UserFigures)],
) -> ValueRows {
    for (value, group, figures) in tail {
        match rows.iter_mut().find(|(v, g, _)| v == value && g == group) {
            Some((_, _, sums)) => {
                sums.add(figures, -1.0);
                sums.add(&bounds.cap(figures), 1.0);
            }
            None => {
                let mut sums = GroupSums::default();
                sums.add(figures, -1.0);
                sums.add(&bounds.cap(figures), 1.0);
                rows.push((value.clone(), group.clone(), sums));
            }
        }
    }
    rows
}

/// Everything the queries return for one experiment, from one snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// [`EXPOSED`]: each group's exposed users per day.
    pub exposed: Vec<Exposed>,
    /// For each of the experiment's metrics in order: its rows (capped, if it is, with the
    /// bounds), or why the database could not give them (that metric alone is then left out
    /// of the answer).
    pub metrics: Vec<Result<MetricRows, StoreError>>,
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

/// A metric's rows, and the bounds its caps put on the users' values.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRows {
    pub rows: Vec<GroupRow>,
    pub bounds: Bounds,
}

impl MetricRows {
    /// The rows of a metric without caps.
    pub fn uncapped(rows: Vec<GroupRow>) -> MetricRows {
        MetricRows {
            rows,
            bounds: Bounds::NONE,
        }
    }
}

/// Whether `plans` cap nothing.
pub fn caps_nothing(plans: &[(Column, Option<CapPlan>)]) -> bool {
    plans.iter().all(|(_, plan)| plan.is_none())
}

/// One group's and day's sums for one measure.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRow {
    pub group: String,
    /// Days since 1970-01-01 (UTC) of the users' first exposures.
    pub day: i64,
    pub users: u64,
    pub sums: GroupSums,
}

/// A kept measure's rows: one per exposed group and day, with its users, and its sums (zero
/// for one none of whose users has a counted event).
pub fn with_users(
    mut sums: HashMap<(String, i64), GroupSums>,
    exposed: &[Exposed],
) -> Vec<GroupRow> {
    exposed
        .iter()
        .map(|exposed| GroupRow {
            group: exposed.group.clone(),
            day: exposed.day,
            users: exposed.users,
            sums: sums
                .remove(&(exposed.group.clone(), exposed.day))
                .unwrap_or_default(),
        })
        .collect()
}

/// `rows` as an answer may use them: every figure a finite number, or why not. The collector
/// bounds the values it stores ([`cohort_protocol::MAX_EVENT_VALUE`]), but a database also
/// holds what was written behind its back (an import, an older version, a hand edit), and a
/// sum of squares over such values leaves the range of a double: SQLite then sums to infinity
/// (or to NULL, read as NaN), where PostgreSQL raises an error of its own.
pub fn finite(rows: MetricRows) -> Result<MetricRows, StoreError> {
    let out_of_range = rows
        .rows
        .iter()
        .find(|r| !r.sums.to_array().iter().all(|x| x.is_finite()));
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
        total.sums = total.sums.plus(&row.sums);
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
            sums: GroupSums::default(),
        }
    }

    /// The group's statistics for `metric`.
    pub fn arm(&self, metric: &Metric) -> ArmStats {
        let s = &self.sums;
        MetricSums {
            users: self.users,
            sum: s.sum,
            squares: s.squares,
            pre_sum: s.pre_sum,
            pre_squares: s.pre_squares,
            pre_products: s.pre_product,
            den_sum: s.den_sum,
            den_squares: s.den_squares,
            den_products: s.den_product,
        }
        .arm(metric)
    }
}

/// The bounds a metric's caps put on a user's value and on a ratio's denominator (infinite:
/// none).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub value: f64,
    pub denominator: f64,
}

impl Bounds {
    /// A bound as results report it (`None`: no cap, or no values yet).
    pub fn reported(bound: f64) -> Option<f64> {
        bound.is_finite().then_some(bound)
    }

    /// No cap.
    pub const NONE: Bounds = Bounds {
        value: f64::INFINITY,
        denominator: f64::INFINITY,
    };

    /// A user's figures, capped: the covariate at the value's bound (GrowthBook's).
    pub fn cap(&self, f: &UserFigures) -> UserFigures {
        UserFigures {
            value: f.value.min(self.value),
            pre: f.pre.min(self.value),
            denominator: f.denominator.min(self.denominator),
        }
    }
}

/// Where a percentile falls among an experiment's users' values, and what must be read to
/// know it (PostgreSQL's `PERCENTILE_CONT`: linear between the two nearest values, as
/// GrowthBook computes its caps).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantile {
    pub low: Pick,
    pub high: Pick,
    /// How far from `low` to `high` the percentile is.
    pub fraction: f64,
}

/// One value among the users', by its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// A zero.
    Zero,
    /// The `n`th largest positive value (from 0).
    Positive(u64),
    /// The `n`th smallest negative value (from 0).
    Negative(u64),
}

impl Pick {
    /// The offset to read at (0 for a zero).
    pub fn offset(self) -> i64 {
        match self {
            Pick::Zero => 0,
            Pick::Positive(n) | Pick::Negative(n) => n as i64,
        }
    }
}

impl Quantile {
    /// The places of quantile `q` (between 0 and 1) among `users` exposed users, `positive`
    /// and `negative` of whom have a value above and below zero (the others are zeros, left
    /// out with `ignore_zeros`); `None` without values.
    pub fn of(
        q: f64,
        users: u64,
        positive: u64,
        negative: u64,
        ignore_zeros: bool,
    ) -> Option<Quantile> {
        let positive = positive.min(users);
        let negative = negative.min(users - positive);
        let count = if ignore_zeros {
            positive + negative
        } else {
            users
        };
        if count == 0 {
            return None;
        }
        let position = q * (count - 1) as f64;
        let low = position.floor() as u64;
        let high = (low + 1).min(count - 1);
        let pick = |i: u64| {
            if i < negative {
                Pick::Negative(i)
            } else if i < count - positive {
                Pick::Zero
            } else {
                Pick::Positive(count - 1 - i)
            }
        };
        Some(Quantile {
            low: pick(low),
            high: pick(high),
            fraction: position - low as f64,
        })
    }

    /// The bound, from the values at the places `read` gives.
    pub fn value<E>(&self, mut read: impl FnMut(Pick) -> Result<f64, E>) -> Result<f64, E> {
        let low = read(self.low)?;
        let high = if self.high == self.low {
            low
        } else {
            read(self.high)?
        };
        Ok(low + self.fraction * (high - low))
    }
}

/// How a kept measure's percentile caps are placed: for `metric`'s parts, the quantile each
/// cap asks for among `rows`' users, and the cap's bound where it is absolute. The kept sums
/// count the users above and below zero per group and day, so that reading a quantile costs
/// one or two index reads at a known offset, never a sort.
pub fn cap_plan(metric: &Metric, rows: &[GroupRow]) -> [(Column, Option<CapPlan>); 2] {
    let total = total(rows.iter());
    let parts = metric.parts();
    let plan = |part: Option<&&Metric>, positive: f64, negative: f64| {
        let cap = part?.cap?;
        Some(match cap.kind {
            CapKind::Absolute => CapPlan::Bound(cap.value),
            CapKind::Percentile => CapPlan::Read(Quantile::of(
                cap.value,
                total.users,
                positive as u64,
                negative as u64,
                cap.ignore_zeros,
            )),
        })
    };
    [
        (
            Column::Value,
            plan(parts.first(), total.sums.positive, total.sums.negative),
        ),
        (
            Column::Denominator,
            plan(
                parts.get(1),
                total.sums.den_positive,
                total.sums.den_negative,
            ),
        ),
    ]
}

/// The values `plans` need read to place their percentiles (no zero: a zero is known), each
/// once.
pub fn to_read(plans: &[(Column, Option<CapPlan>)]) -> Vec<(Column, Pick)> {
    let mut out = Vec::new();
    for (column, plan) in plans {
        if let Some(CapPlan::Read(Some(q))) = plan {
            for pick in [q.low, q.high] {
                if pick != Pick::Zero && !out.contains(&(*column, pick)) {
                    out.push((*column, pick));
                }
            }
        }
    }
    out
}

/// The bounds `plans` put, given the values [`to_read`] asked for (`read`: each with its
/// value).
pub fn bounds(plans: &[(Column, Option<CapPlan>)], read: &[((Column, Pick), f64)]) -> Bounds {
    let mut bounds = Bounds::NONE;
    for (column, plan) in plans {
        let bound = match plan {
            None | Some(CapPlan::Read(None)) => continue,
            Some(CapPlan::Bound(bound)) => *bound,
            Some(CapPlan::Read(Some(quantile))) => {
                let value = |pick: Pick| {
                    read.iter()
                        .find(|(key, _)| *key == (*column, pick))
                        .map_or(0.0, |(_, v)| *v)
                };
                quantile
                    .value(|pick| Ok::<f64, std::convert::Infallible>(value(pick)))
                    .unwrap_or(f64::INFINITY)
            }
        };
        match column {
            Column::Value => bounds.value = bound,
            Column::Denominator => bounds.denominator = bound,
        }
    }
    bounds
}

/// What one cap needs to be placed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CapPlan {
    /// Its bound, known.
    Bound(f64),
    /// A quantile to read (`None`: no values, no bound).
    Read(Option<Quantile>),
}

/// A measure's rows with `bounds` applied: for each user of the `tail` (those above a bound:
/// group, day and uncapped figures), their contribution taken away and their capped one
/// added. The cost of a cap at answer time is this tail: for a percentile cap at 0.99, a
/// hundredth of the users, read through the measure's indexes.
pub fn capped(
    mut rows: Vec<GroupRow>,
    bounds: Bounds,
    tail: &[(String, i64, UserFigures)],
) -> MetricRows {
    let at: HashMap<(String, i64), usize> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| ((row.group.clone(), row.day), i))
        .collect();
    for (group, day, figures) in tail {
        if let Some(&i) = at.get(&(group.clone(), *day)) {
            rows[i].sums.add(figures, -1.0);
            rows[i].sums.add(&bounds.cap(figures), 1.0);
        }
    }
    MetricRows { rows, bounds }
}

/// The start of a recomputation's query for `measure` (parameters as [`counters!`]): the
/// first exposures and each user's counters from the records, then `per_user`, each user's
/// group, first exposure and values (the measure's kinds decide how counters make values;
/// the texts are the code's own, never the rules').
fn per_user(measure: &Measure) -> String {
    let value = |counting: Option<&Counting>, events: &str, total: &str| match counting
        .map(|c| c.kind)
    {
        None => "CAST(0 AS DOUBLE PRECISION)".to_owned(),
        Some(MetricKind::Conversion) => {
            format!("CAST(CASE WHEN {events} > 0 THEN 1 ELSE 0 END AS DOUBLE PRECISION)")
        }
        Some(MetricKind::Count) => format!("CAST({events} AS DOUBLE PRECISION)"),
        Some(MetricKind::Sum | MetricKind::Ratio) => format!("CAST({total} AS DOUBLE PRECISION)"),
    };
    let pre = if measure.lookback_ms > 0 {
        value(Some(&measure.value), "pre_events", "pre_total")
    } else {
        value(None, "", "")
    };
    format!(
        "{FIRSTS}, counters AS (\n{COUNTERS}\n), per_user AS (\n    SELECT grp, first, {} AS value, \
         {pre} AS pre, {} AS den FROM counters\n)\n",
        value(Some(&measure.value), "events", "total"),
        value(measure.denominator.as_ref(), "den_events", "den_total"),
    )
}

const FIRSTS: &str = firsts!();
const COUNTERS: &str = counters!("firsts f", "");

/// A recomputation of `measure`'s sums per group and day from the records alone, each user's
/// values capped at `$7` (the value and covariate) and `$8` (the denominator): the database
/// adds them up, so that the collector holds a few rows per group whatever the number of
/// users (columns: group, day, users, then [`GroupSums::COLUMNS`]).
pub fn recount(measure: &Measure) -> String {
    per_user(measure)
        + "SELECT grp, first / 86400000 AS day, COUNT(*),
       CAST(SUM(cv) AS DOUBLE PRECISION), CAST(SUM(cv * cv) AS DOUBLE PRECISION),
       CAST(SUM(cp) AS DOUBLE PRECISION), CAST(SUM(cp * cp) AS DOUBLE PRECISION),
       CAST(SUM(cv * cp) AS DOUBLE PRECISION), CAST(SUM(cd) AS DOUBLE PRECISION),
       CAST(SUM(cd * cd) AS DOUBLE PRECISION), CAST(SUM(cv * cd) AS DOUBLE PRECISION),
       CAST(SUM(CASE WHEN cv > 0 THEN 1 ELSE 0 END) AS DOUBLE PRECISION),
       CAST(SUM(CASE WHEN cv < 0 THEN 1 ELSE 0 END) AS DOUBLE PRECISION),
       CAST(SUM(CASE WHEN cd > 0 THEN 1 ELSE 0 END) AS DOUBLE PRECISION),
       CAST(SUM(CASE WHEN cd < 0 THEN 1 ELSE 0 END) AS DOUBLE PRECISION)
FROM (
    SELECT grp, first,
           CASE WHEN value > $7 THEN $7 ELSE value END AS cv,
           CASE WHEN pre > $7 THEN $7 ELSE pre END AS cp,
           CASE WHEN den > $8 THEN $8 ELSE den END AS cd
    FROM per_user
) capped
GROUP BY grp, first / 86400000"
}

/// One value of `measure`'s users in order, recomputed from the records (`$7` the offset), as
/// [`nth_value`] reads the kept ones: the database sorts, the collector reads one row.
pub fn recount_nth(measure: &Measure, column: Column, pick: Pick) -> Option<String> {
    let name = match column {
        Column::Value => "value",
        Column::Denominator => "den",
    };
    let (sign, order) = match pick {
        Pick::Zero => return None,
        Pick::Positive(_) => (">", "DESC"),
        Pick::Negative(_) => ("<", "ASC"),
    };
    Some(per_user(measure) + &format!(
        "SELECT {name} FROM per_user WHERE {name} {sign} 0 ORDER BY {name} {order} LIMIT 1 OFFSET $7"
    ))
}

/// The bound standing for "no cap" in [`recount`]'s parameters (a finite number: every store
/// binds it the same way).
pub const NO_BOUND: f64 = f64::MAX;

/// A recount's bound parameter for `bound` (infinite: none).
pub fn bound_parameter(bound: f64) -> f64 {
    if bound.is_finite() {
        bound
    } else {
        NO_BOUND
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cohort::rules::Cap;
    use cohort_stats::tally::cap_bound;

    #[test]
    fn a_quantile_is_placed_among_negatives_zeros_and_positives() {
        // Values -5, -1, 0, 0, 0, 2, 7, 9 (8 users: 3 positive, 2 negative).
        let values = [-5.0, -1.0, 0.0, 0.0, 0.0, 2.0, 7.0, 9.0];
        let read = |pick: Pick| -> Result<f64, ()> {
            Ok(match pick {
                Pick::Zero => 0.0,
                Pick::Negative(n) => values[n as usize],
                Pick::Positive(n) => values[values.len() - 1 - n as usize],
            })
        };
        for q in [0.0, 0.1, 0.3, 0.5, 0.75, 0.9, 0.99, 1.0] {
            let want = cap_bound(
                &Cap {
                    kind: CapKind::Percentile,
                    value: q,
                    ignore_zeros: false,
                },
                values.to_vec(),
            );
            let got = Quantile::of(q, 8, 3, 2, false)
                .unwrap()
                .value(read)
                .unwrap();
            assert_eq!(Some(got), want, "q = {q}");
            let nonzero: Vec<f64> = values.iter().copied().filter(|v| *v != 0.0).collect();
            let read_nonzero = |pick: Pick| -> Result<f64, ()> {
                Ok(match pick {
                    Pick::Zero => unreachable!("zeros are left out"),
                    Pick::Negative(n) => nonzero[n as usize],
                    Pick::Positive(n) => nonzero[nonzero.len() - 1 - n as usize],
                })
            };
            let want = cap_bound(
                &Cap {
                    kind: CapKind::Percentile,
                    value: q,
                    ignore_zeros: true,
                },
                values.to_vec(),
            );
            let got = Quantile::of(q, 8, 3, 2, true)
                .unwrap()
                .value(read_nonzero)
                .unwrap();
            assert_eq!(Some(got), want, "q = {q}, zeros left out");
        }
        assert_eq!(Quantile::of(0.5, 4, 0, 0, true), None);
        assert_eq!(Quantile::of(0.5, 0, 0, 0, false), None);
    }
}
