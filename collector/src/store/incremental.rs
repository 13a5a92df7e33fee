//! Results kept as records arrive: what each batch changes in the aggregates the statistics
//! read, worked out in memory from what the store loads for the batch's users, so that the
//! same code serves SQLite and PostgreSQL and is tested without a database.
//!
//! The store keeps, beside the records:
//! - `first_exposures`: each user's first exposure to each experiment (its group and time);
//! - `group_users`: per experiment, group and day, the users whose first exposure is in it;
//! - `user_values`: per [`Measure`] and user, the counters of the events that count for the
//!   user ([`UserValue`]: in the metric's window after the first exposure, in CUPED's
//!   lookback before it, and a ratio's denominator's), for users with at least one, and the
//!   per-user values they make ([`UserFigures`]), which a cap's tail is read by;
//! - `group_values`: per measure, group and day (of the users' first exposures), the sums the
//!   statistics need ([`GroupSums`]: of the values, the covariates, the denominators, their
//!   squares and products, and how many users are above and below zero).
//!
//! A batch's new exposures may create a user's first exposure or move it earlier (so that
//! other events count, and perhaps in another group): such a user is computed again from
//! their stored events, never the experiment. A new event adds to the users whose first
//! exposure it follows (or, with CUPED, precedes within the lookback). What changes for a user
//! is the difference between their new and old contributions, added to their groups' rows.
//! The figures are the ones a recomputation from every record gives
//! ([`super::aggregate::recount`]); tests prove it on both stores.
//!
//! Caps are not kept: the sums are of uncapped values, and an answer corrects them for the
//! users above the cap (see [`super::aggregate::capped`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use cohort::rules::{Metric, MetricKind};
use cohort::Rules;
use cohort_protocol::Dimensions;

/// One counted event of a measure: its name, how a user's events make a value, and the window
/// after the first exposure (`0`: none).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Counting {
    pub event: String,
    /// Conversion, count or sum (never ratio).
    pub kind: MetricKind,
    pub window_ms: i64,
}

impl Counting {
    fn of(part: &Metric) -> Counting {
        Counting {
            event: part.event.clone(),
            kind: part.kind,
            // A window rounds to at least a millisecond: 0 means none.
            window_ms: part.window_ms.map_or(0, |w| w.max(1)),
        }
    }

    /// Whether an event at `time` counts for a user first exposed at `first`.
    pub fn counts(&self, first: i64, time: i64) -> bool {
        time >= first && (self.window_ms == 0 || time < first.saturating_add(self.window_ms))
    }

    /// A user's value from their counted events and the total of their values.
    pub fn value(&self, events: i64, total: f64) -> f64 {
        match self.kind {
            MetricKind::Conversion => f64::from(u8::from(events > 0)),
            MetricKind::Count => events as f64,
            MetricKind::Sum | MetricKind::Ratio => total,
        }
    }

    fn key(&self) -> String {
        format!("{}:{}:{}", self.kind.as_str(), self.event, self.window_ms)
    }
}

/// What the statistics of one metric of one experiment need kept per user and group: its
/// counted event, with CUPED the same over a lookback before the first exposure, and a
/// ratio's denominator. Metrics alike share one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Measure {
    pub experiment: String,
    /// The measure within its experiment, as stored: its definition written out (metric names
    /// are letters, digits, `_`, `-` and `.`, so it reads back unambiguously).
    pub key: String,
    pub value: Counting,
    /// CUPED's lookback before the first exposure (`0`: none).
    pub lookback_ms: i64,
    pub denominator: Option<Counting>,
    /// Whether a metric caps it: its user rows are then indexed by value, for the tail an
    /// answer corrects.
    pub capped: bool,
}

impl Measure {
    /// Whether `(experiment, key)`, as a database lists its measures, is this one.
    pub fn is(&self, (experiment, key): &(String, String)) -> bool {
        self.experiment == *experiment && self.key == *key
    }
}

impl Measure {
    /// The measure of `metric` of `experiment`.
    pub fn of(experiment: &str, metric: &Metric) -> Measure {
        let parts = metric.parts();
        let value = Counting::of(parts[0]);
        let denominator = parts.get(1).map(|part| Counting::of(part));
        let lookback_ms = metric.lookback_ms.unwrap_or(0).max(0);
        let capped = parts.iter().any(|p| p.cap.is_some());
        let mut key = value.key();
        if lookback_ms > 0 {
            key += &format!("|pre:{lookback_ms}");
        }
        if let Some(d) = &denominator {
            key += &format!("/{}", d.key());
        }
        if capped {
            key += "|capped";
        }
        Measure {
            experiment: experiment.to_owned(),
            key,
            value,
            lookback_ms,
            denominator,
            capped,
        }
    }

    /// What the log says once the measure is built from the stored records: for `users`
    /// users with events, in `took`.
    pub fn built(&self, users: u64, took: std::time::Duration) -> String {
        format!(
            "results of {} on {} kept from now on: built from the stored records \
             ({users} user(s) with events) in {:.1} s",
            self.experiment,
            self.key,
            took.as_secs_f64()
        )
    }

    /// Whether an event at `time` is in CUPED's lookback of a user first exposed at `first`:
    /// `[first - lookback, first)`.
    pub fn counts_before(&self, first: i64, time: i64) -> bool {
        self.lookback_ms > 0 && time < first && time >= first.saturating_sub(self.lookback_ms)
    }

    /// The event names the measure counts.
    pub fn events(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.value.event.as_str())
            .chain(self.denominator.iter().map(|d| d.event.as_str()))
    }

    /// A user's values from their counters.
    pub fn figures(&self, value: &UserValue) -> UserFigures {
        UserFigures {
            value: self.value.value(value.events, value.total),
            pre: self.value.value(value.pre_events, value.pre_total),
            denominator: self
                .denominator
                .as_ref()
                .map_or(0.0, |d| d.value(value.den_events, value.den_total)),
        }
    }
}

/// Every measure of every experiment of `rules`, sorted, each once.
pub fn measures(rules: &Rules) -> Vec<Measure> {
    let set: BTreeSet<Measure> = rules
        .experiments()
        .flat_map(|(spec, _)| {
            rules
                .experiment_metrics(&spec.name)
                .into_iter()
                .map(|m| Measure::of(&spec.name, m))
        })
        .collect();
    set.into_iter().collect()
}

/// A user's first exposure to an experiment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct First {
    pub group: String,
    pub time: i64,
}

impl First {
    /// The UTC day of the first exposure: the kept sums are per group and day, so that the
    /// results over time read them too ([`cohort_stats::over_time`]).
    pub fn day(&self) -> i64 {
        cohort_stats::over_time::day_of(self.time)
    }
}

/// A user's counters for one measure: the events that count (and the total of their values)
/// after the first exposure, in CUPED's lookback before it, and a ratio's denominator's.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UserValue {
    pub events: i64,
    pub total: f64,
    pub pre_events: i64,
    pub pre_total: f64,
    pub den_events: i64,
    pub den_total: f64,
}

impl UserValue {
    /// Counts `event` for a user first exposed at `first`, where the measure says.
    fn add(&mut self, measure: &Measure, first: i64, event: &Event<'_>) {
        let value = event.value.unwrap_or(0.0);
        if event.name == measure.value.event {
            if measure.value.counts(first, event.time) {
                self.events += 1;
                self.total += value;
            } else if measure.counts_before(first, event.time) {
                self.pre_events += 1;
                self.pre_total += value;
            }
        }
        if let Some(d) = &measure.denominator {
            if event.name == d.event && d.counts(first, event.time) {
                self.den_events += 1;
                self.den_total += value;
            }
        }
    }

    /// Whether nothing counts (the user has no row).
    pub fn is_empty(&self) -> bool {
        self.events == 0 && self.pre_events == 0 && self.den_events == 0
    }

    fn plus(&self, other: &UserValue) -> UserValue {
        UserValue {
            events: self.events + other.events,
            total: self.total + other.total,
            pre_events: self.pre_events + other.pre_events,
            pre_total: self.pre_total + other.pre_total,
            den_events: self.den_events + other.den_events,
            den_total: self.den_total + other.den_total,
        }
    }
}

/// A user's values for one measure: the metric's, its covariate (0 without CUPED) and a
/// ratio's denominator (0 for other metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UserFigures {
    pub value: f64,
    pub pre: f64,
    pub denominator: f64,
}

/// The sums a group's row of `group_values` holds (or changes by), over its users' [`UserFigures`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GroupSums {
    pub sum: f64,
    pub squares: f64,
    pub pre_sum: f64,
    pub pre_squares: f64,
    pub pre_product: f64,
    pub den_sum: f64,
    pub den_squares: f64,
    pub den_product: f64,
    /// Users whose value is above zero, and below (a percentile cap's position among them).
    pub positive: f64,
    pub negative: f64,
    pub den_positive: f64,
    pub den_negative: f64,
}

impl GroupSums {
    /// The columns, in order (as stored, and as [`GroupSums::to_array`] gives them).
    pub const COLUMNS: [&'static str; 12] = [
        "sum",
        "squares",
        "pre_sum",
        "pre_squares",
        "pre_product",
        "den_sum",
        "den_squares",
        "den_product",
        "positive",
        "negative",
        "den_positive",
        "den_negative",
    ];

    /// Adds a user's figures (`sign` 1), or takes them away (`sign` -1).
    pub fn add(&mut self, f: &UserFigures, sign: f64) {
        let sign_of = |x: f64| (f64::from(u8::from(x > 0.0)), f64::from(u8::from(x < 0.0)));
        let (positive, negative) = sign_of(f.value);
        let (den_positive, den_negative) = sign_of(f.denominator);
        self.sum += sign * f.value;
        self.squares += sign * f.value * f.value;
        self.pre_sum += sign * f.pre;
        self.pre_squares += sign * f.pre * f.pre;
        self.pre_product += sign * f.value * f.pre;
        self.den_sum += sign * f.denominator;
        self.den_squares += sign * f.denominator * f.denominator;
        self.den_product += sign * f.value * f.denominator;
        self.positive += sign * positive;
        self.negative += sign * negative;
        self.den_positive += sign * den_positive;
        self.den_negative += sign * den_negative;
    }

    pub fn to_array(&self) -> [f64; 12] {
        [
            self.sum,
            self.squares,
            self.pre_sum,
            self.pre_squares,
            self.pre_product,
            self.den_sum,
            self.den_squares,
            self.den_product,
            self.positive,
            self.negative,
            self.den_positive,
            self.den_negative,
        ]
    }

    pub fn from_array(a: [f64; 12]) -> GroupSums {
        GroupSums {
            sum: a[0],
            squares: a[1],
            pre_sum: a[2],
            pre_squares: a[3],
            pre_product: a[4],
            den_sum: a[5],
            den_squares: a[6],
            den_product: a[7],
            positive: a[8],
            negative: a[9],
            den_positive: a[10],
            den_negative: a[11],
        }
    }

    /// These sums and `other`'s.
    pub fn plus(&self, other: &GroupSums) -> GroupSums {
        let (a, b) = (self.to_array(), other.to_array());
        GroupSums::from_array(std::array::from_fn(|i| a[i] + b[i]))
    }
}

/// A new exposure of a batch (stored, not excluded).
#[derive(Debug, Clone)]
pub struct NewExposure<'a> {
    pub experiment: &'a str,
    pub user: &'a str,
    pub group: &'a str,
    pub time: i64,
    /// What the page said of the user with it (kept for the first exposure, results are
    /// broken down by it).
    pub dimensions: &'a Dimensions,
}

/// A new event of a batch (stored, not excluded), or one of a user's stored events.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub user: &'a str,
    pub name: &'a str,
    pub time: i64,
    pub value: Option<f64>,
}

/// The measures kept, with what finds them fast.
#[derive(Debug, Clone, Default)]
pub struct Kept {
    /// Whether `group_users` is kept (false: exposed users are counted from
    /// `first_exposures`).
    pub users: bool,
    list: Vec<Measure>,
    by_event: HashMap<String, Vec<usize>>,
    by_experiment: HashMap<String, Vec<usize>>,
}

impl Kept {
    pub fn new(list: Vec<Measure>) -> Kept {
        let mut by_event: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_experiment: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, m) in list.iter().enumerate() {
            for event in m.events() {
                let list = by_event.entry(event.to_owned()).or_default();
                if !list.contains(&i) {
                    list.push(i);
                }
            }
            by_experiment
                .entry(m.experiment.clone())
                .or_default()
                .push(i);
        }
        Kept {
            users: true,
            list,
            by_event,
            by_experiment,
        }
    }

    /// What a reader beside running collectors uses: of `measures`, those the database
    /// keeps (`stored`: experiments and keys), and whether it keeps the users per group
    /// (`users`).
    pub fn as_stored(measures: Vec<Measure>, stored: &[(String, String)], users: bool) -> Kept {
        let mut kept = Kept::new(
            measures
                .into_iter()
                .filter(|m| {
                    stored
                        .iter()
                        .any(|(e, k)| *e == m.experiment && *k == m.key)
                })
                .collect(),
        );
        kept.users = users;
        kept
    }

    pub fn list(&self) -> &[Measure] {
        &self.list
    }

    pub fn contains(&self, measure: &Measure) -> bool {
        self.index_of(&measure.experiment, &measure.key).is_some()
    }

    /// Where the measure of `experiment` keyed `key` is in [`Kept::list`].
    pub fn index_of(&self, experiment: &str, key: &str) -> Option<usize> {
        self.by_experiment
            .get(experiment)?
            .iter()
            .copied()
            .find(|&i| self.list[i].key == key)
    }

    fn of_event(&self, event: &str) -> &[usize] {
        self.by_event.get(event).map_or(&[], Vec::as_slice)
    }

    fn of_experiment(&self, experiment: &str) -> &[usize] {
        self.by_experiment
            .get(experiment)
            .map_or(&[], Vec::as_slice)
    }

    /// Whether any measure counts events named `name`.
    pub fn counts_event(&self, name: &str) -> bool {
        self.by_event.contains_key(name)
    }
}

/// One batch's work, in three steps: [`Step::new`] from the batch and its users' first
/// exposures as stored; the store then loads what [`Step::history_users`] and
/// [`Step::value_users`] ask for; [`Step::finish`] says what to write.
pub struct Step<'a> {
    kept: &'a Kept,
    old_first: HashMap<(String, String), First>,
    new_first: HashMap<(String, String), First>,
    /// Pairs (experiment, user) whose first exposure is new or earlier, in key order.
    moved: BTreeSet<(String, String)>,
    /// The dimensions of the new first exposures.
    dimensions: HashMap<(String, String), Dimensions>,
    /// Per (measure, user), what the batch's events add (for users whose first exposure
    /// stays).
    added: BTreeMap<(usize, String), UserValue>,
}

/// What a batch writes.
#[derive(Debug, Default, PartialEq)]
pub struct Changes {
    /// First exposures to write (new or earlier), in key order.
    pub first: Vec<(String, String, First)>,
    /// The dimensions of those first exposures, in the same order: those stored for a user
    /// whose first exposure moved are replaced.
    pub dimensions: Vec<Dimensions>,
    /// Per experiment, group and day (of the users' first exposures), the change in users.
    pub group_users: BTreeMap<(String, String, i64), i64>,
    /// Per (measure, user), the new value (events 0: delete the row), in key order.
    pub user_values: BTreeMap<(usize, String), UserValue>,
    /// Per (measure, group, day), the change, in key order.
    pub group_values: BTreeMap<(usize, String, i64), GroupSums>,
}

/// The users a batch's new records concern: those of its exposures, and of its events some
/// measure counts.
pub fn users<'b>(
    kept: &Kept,
    exposures: &[NewExposure<'b>],
    events: &[Event<'b>],
) -> BTreeSet<&'b str> {
    exposures
        .iter()
        .map(|e| e.user)
        .chain(
            events
                .iter()
                .filter(|e| kept.counts_event(e.name))
                .map(|e| e.user),
        )
        .collect()
}

impl<'a> Step<'a> {
    /// `old_first`: every stored first exposure of the batch's [`users`] (before the batch).
    pub fn new(
        kept: &'a Kept,
        old_first: HashMap<(String, String), First>,
        exposures: &[NewExposure<'_>],
        events: &[Event<'_>],
    ) -> Step<'a> {
        let mut new_first = old_first.clone();
        let mut dimensions = HashMap::new();
        for e in exposures {
            let key = (e.experiment.to_owned(), e.user.to_owned());
            match new_first.get(&key) {
                // The earliest wins; at the same millisecond, the least group name.
                Some(first) if (first.time, first.group.as_str()) <= (e.time, e.group) => {}
                _ => {
                    dimensions.insert(key.clone(), e.dimensions.clone());
                    new_first.insert(
                        key,
                        First {
                            group: e.group.to_owned(),
                            time: e.time,
                        },
                    );
                }
            }
        }
        let moved: BTreeSet<(String, String)> = new_first
            .iter()
            .filter(|(key, first)| old_first.get(*key) != Some(*first))
            .map(|(key, _)| key.clone())
            .collect();
        let mut added: BTreeMap<(usize, String), UserValue> = BTreeMap::new();
        for event in events {
            for &m in kept.of_event(event.name) {
                let measure = &kept.list[m];
                let key = (measure.experiment.clone(), event.user.to_owned());
                if moved.contains(&key) {
                    continue; // computed again from the stored events, this one among them
                }
                if let Some(first) = new_first.get(&key) {
                    let mut value = UserValue::default();
                    value.add(measure, first.time, event);
                    if !value.is_empty() {
                        let sum = added.entry((m, key.1)).or_default();
                        *sum = sum.plus(&value);
                    }
                }
            }
        }
        Step {
            kept,
            old_first,
            new_first,
            moved,
            dimensions,
            added,
        }
    }

    /// The users whose stored events [`Step::finish`] needs (with the event names): those
    /// whose first exposure to an experiment with measures moved.
    pub fn history_users(&self) -> (Vec<&str>, Vec<&str>) {
        let mut users = BTreeSet::new();
        let mut names = BTreeSet::new();
        for (experiment, user) in &self.moved {
            let ids = self.kept.of_experiment(experiment);
            if !ids.is_empty() {
                users.insert(user.as_str());
                names.extend(ids.iter().flat_map(|&m| self.kept.list[m].events()));
            }
        }
        (users.into_iter().collect(), names.into_iter().collect())
    }

    /// The users whose stored `user_values` [`Step::finish`] needs.
    pub fn value_users(&self) -> Vec<&str> {
        let users: BTreeSet<&str> = self
            .moved
            .iter()
            .filter(|(e, _)| !self.kept.of_experiment(e).is_empty())
            .map(|(_, u)| u.as_str())
            .chain(self.added.keys().map(|(_, u)| u.as_str()))
            .collect();
        users.into_iter().collect()
    }

    /// What to write, from the [`Step::history_users`]' stored events (the batch's among
    /// them) and the [`Step::value_users`]' stored values (per measure index and user).
    pub fn finish(
        self,
        history: &[Event<'_>],
        old_values: &HashMap<(usize, String), UserValue>,
    ) -> Changes {
        let mut changes = Changes::default();
        let old = |key: &(usize, String)| old_values.get(key).copied().unwrap_or_default();
        // Each user's stored events, found once (not the whole history per user and measure).
        let mut events_of: HashMap<&str, Vec<&Event<'_>>> = HashMap::new();
        for event in history {
            events_of.entry(event.user).or_default().push(event);
        }
        for key in &self.moved {
            let (experiment, user) = key;
            let first = &self.new_first[key];
            let before = self.old_first.get(key);
            if let Some(before) = before {
                *changes
                    .group_users
                    .entry((experiment.clone(), before.group.clone(), before.day()))
                    .or_default() -= 1;
            }
            *changes
                .group_users
                .entry((experiment.clone(), first.group.clone(), first.day()))
                .or_default() += 1;
            changes
                .first
                .push((experiment.clone(), user.clone(), first.clone()));
            changes
                .dimensions
                .push(self.dimensions.get(key).cloned().unwrap_or_default());
            for &m in self.kept.of_experiment(experiment) {
                let measure = &self.kept.list[m];
                let mut value = UserValue::default();
                let stored = events_of.get(user.as_str()).map_or(&[][..], Vec::as_slice);
                for event in stored {
                    value.add(measure, first.time, event);
                }
                let value_key = (m, user.clone());
                let was = old(&value_key);
                if let Some(before) = before {
                    changes
                        .group_values
                        .entry((m, before.group.clone(), before.day()))
                        .or_default()
                        .add(&measure.figures(&was), -1.0);
                }
                changes
                    .group_values
                    .entry((m, first.group.clone(), first.day()))
                    .or_default()
                    .add(&measure.figures(&value), 1.0);
                if value != was {
                    changes.user_values.insert(value_key, value);
                }
            }
        }
        for (key, added) in &self.added {
            let measure = &self.kept.list[key.0];
            let first = &self.new_first[&(measure.experiment.clone(), key.1.clone())];
            let was = old(key);
            let now = was.plus(added);
            let delta = changes
                .group_values
                .entry((key.0, first.group.clone(), first.day()))
                .or_default();
            delta.add(&measure.figures(&was), -1.0);
            delta.add(&measure.figures(&now), 1.0);
            changes.user_values.insert(key.clone(), now);
        }
        changes.group_users.retain(|_, d| *d != 0);
        changes
            .group_values
            .retain(|_, d| *d != GroupSums::default());
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(
        event: &str,
        kind: MetricKind,
        window_ms: Option<i64>,
        lookback: Option<i64>,
    ) -> Metric {
        Metric {
            name: event.into(),
            event: event.into(),
            kind,
            inverse: false,
            window_ms,
            description: None,
            lookback_ms: lookback,
            cap: None,
            ratio: None,
        }
    }

    fn measure(event: &str, kind: MetricKind, window_ms: Option<i64>) -> Measure {
        Measure::of("e", &metric(event, kind, window_ms, None))
    }

    fn kept() -> Kept {
        Kept::new(vec![
            measure("click", MetricKind::Count, None),
            measure("click", MetricKind::Conversion, Some(10)),
            measure("buy", MetricKind::Sum, None),
        ])
    }

    fn first(group: &str, time: i64) -> First {
        First {
            group: group.into(),
            time,
        }
    }

    fn event<'a>(user: &'a str, name: &'a str, time: i64, value: Option<f64>) -> Event<'a> {
        Event {
            user,
            name,
            time,
            value,
        }
    }

    fn counted(events: i64, total: f64) -> UserValue {
        UserValue {
            events,
            total,
            ..UserValue::default()
        }
    }

    #[test]
    fn an_event_at_the_exposure_counts_and_one_at_the_window_end_does_not() {
        let m = measure("click", MetricKind::Count, Some(10)).value;
        assert!(m.counts(100, 100) && m.counts(100, 109));
        assert!(!m.counts(100, 110) && !m.counts(100, 99));
        let none = measure("click", MetricKind::Count, None).value;
        assert!(none.counts(100, i64::MAX) && !none.counts(100, 99));
        assert_eq!(measure("x", MetricKind::Count, Some(0)).value.window_ms, 1);
    }

    #[test]
    fn the_lookback_ends_just_before_the_exposure_and_measures_differ_by_their_definitions() {
        let m = Measure::of("e", &metric("click", MetricKind::Count, None, Some(10)));
        assert!(m.counts_before(100, 90) && m.counts_before(100, 99));
        assert!(!m.counts_before(100, 89) && !m.counts_before(100, 100));
        assert_eq!(m.key, "count:click:0|pre:10");
        assert_ne!(m, measure("click", MetricKind::Count, None));
        let mut value = UserValue::default();
        for e in [
            event("u", "click", 95, None),
            event("u", "click", 100, None),
        ] {
            value.add(&m, 100, &e);
        }
        assert_eq!((value.events, value.pre_events), (1, 1));
    }

    #[test]
    fn an_earlier_exposure_moves_the_user_to_its_group_and_counts_their_events_again() {
        let kept = kept();
        let mut old = HashMap::new();
        old.insert(("e".to_owned(), "u".to_owned()), first("Red", 100));
        let exposures = [NewExposure {
            experiment: "e",
            user: "u",
            group: "Blue",
            time: 50,
            dimensions: &Dimensions::from([("browser", "Firefox")]),
        }];
        let step = Step::new(&kept, old, &exposures, &[]);
        assert_eq!(step.history_users(), (vec!["u"], vec!["buy", "click"]));
        // Stored: a click at 55 (now inside the window from 50, before 100) and at 105.
        let history = [
            event("u", "click", 55, None),
            event("u", "click", 105, None),
        ];
        let mut values = HashMap::new();
        values.insert((0, "u".to_owned()), counted(1, 0.0));
        values.insert((1, "u".to_owned()), counted(1, 0.0));
        let changes = step.finish(&history, &values);
        assert_eq!(changes.first, [("e".into(), "u".into(), first("Blue", 50))]);
        assert_eq!(changes.dimensions[0].get("browser"), Some("Firefox"));
        let users: Vec<_> = changes.group_users.into_iter().collect();
        assert_eq!(
            users,
            [
                (("e".into(), "Blue".into(), 0), 1),
                (("e".into(), "Red".into(), 0), -1)
            ]
        );
        assert_eq!(changes.user_values[&(0, "u".to_owned())], counted(2, 0.0));
        // The windowed measure: 55 is inside [50, 60), 105 is not: still one event.
        assert!(!changes.user_values.contains_key(&(1, "u".to_owned())));
        assert_eq!(changes.group_values[&(1, "Red".to_owned(), 0)].sum, -1.0);
        assert_eq!(changes.group_values[&(1, "Blue".to_owned(), 0)].sum, 1.0);
        assert_eq!(
            changes.group_values[&(0, "Blue".to_owned(), 0)].squares,
            4.0
        );
    }

    #[test]
    fn an_exposure_no_earlier_changes_nothing_and_events_before_the_first_do_not_count() {
        let kept = kept();
        let mut old = HashMap::new();
        old.insert(("e".to_owned(), "u".to_owned()), first("Red", 100));
        // At the same millisecond, the least group name stays first.
        let exposures = [NewExposure {
            experiment: "e",
            user: "u",
            group: "Yellow",
            time: 100,
            dimensions: &Dimensions::default(),
        }];
        let events = [
            event("u", "buy", 99, Some(3.0)),
            event("u", "buy", 100, Some(4.0)),
            event("v", "buy", 100, Some(4.0)),
        ];
        let step = Step::new(&kept, old, &exposures, &events);
        assert_eq!(step.history_users(), (vec![], vec![]));
        assert_eq!(step.value_users(), ["u"]);
        let changes = step.finish(&[], &HashMap::new());
        assert!(changes.first.is_empty() && changes.group_users.is_empty());
        assert_eq!(changes.user_values[&(2, "u".to_owned())], counted(1, 4.0));
        assert_eq!(
            changes.group_values[&(2, "Red".to_owned(), 0)].squares,
            16.0
        );
    }

    #[test]
    fn a_covariate_event_and_a_denominator_event_add_to_their_sums_and_products() {
        let cuped = Measure::of("e", &metric("buy", MetricKind::Sum, None, Some(50)));
        let mut ratio = metric("done", MetricKind::Ratio, None, None);
        ratio.ratio = Some(Box::new(cohort::rules::Ratio {
            numerator: metric("done", MetricKind::Count, None, None),
            denominator: metric("added", MetricKind::Count, None, None),
        }));
        let ratio = Measure::of("e", &ratio);
        assert_eq!(ratio.key, "count:done:0/count:added:0");
        let kept = Kept::new(vec![cuped, ratio]);
        let mut old = HashMap::new();
        old.insert(("e".to_owned(), "u".to_owned()), first("Red", 100));
        let events = [
            event("u", "buy", 60, Some(2.0)),  // in the lookback [50, 100)
            event("u", "buy", 110, Some(5.0)), // after the exposure
            event("u", "added", 120, None),
            event("u", "added", 121, None),
            event("u", "done", 130, None),
        ];
        let step = Step::new(&kept, old, &[], &events);
        let mut values = HashMap::new();
        values.insert((0, "u".to_owned()), counted(1, 1.0)); // an earlier purchase of 1
        let changes = step.finish(&[], &values);
        let buy = changes.group_values[&(0, "Red".to_owned(), 0)];
        // Before: value 1, covariate 0; now value 6, covariate 2.
        assert_eq!((buy.sum, buy.squares), (5.0, 35.0));
        assert_eq!(
            (buy.pre_sum, buy.pre_squares, buy.pre_product),
            (2.0, 4.0, 12.0)
        );
        assert_eq!(buy.positive, 0.0, "positive before and after");
        let done = changes.group_values[&(1, "Red".to_owned(), 0)];
        assert_eq!(
            (done.sum, done.den_sum, done.den_squares, done.den_product),
            (1.0, 2.0, 4.0, 2.0)
        );
        assert_eq!((done.positive, done.den_positive), (1.0, 1.0));
    }
}
