//! Results kept as records arrive: what each batch changes in the aggregates the statistics
//! read, worked out in memory from what the store loads for the batch's users, so that the
//! same code serves SQLite and PostgreSQL and is tested without a database.
//!
//! The store keeps, beside the records:
//! - `first_exposures`: each user's first exposure to each experiment (its group and time);
//! - `group_users`: per experiment, group and day, the users whose first exposure is in it;
//! - `user_values`: per [`Measure`] and user, the events that count for the user (at or after
//!   the first exposure, within the window) and the total of their values, for users with at
//!   least one;
//! - `group_values`: per measure, group and day (of the users' first exposures), the sums the statistics need (users converted,
//!   the sum and sum of squares of the per-user counts and totals).
//!
//! A batch's new exposures may create a user's first exposure or move it earlier (so that
//! other events count, and perhaps in another group): such a user is computed again from
//! their stored events, never the experiment. A new event adds to the users whose first
//! exposure it follows. What changes for a user is the difference between their new and old
//! contributions, added to their groups' rows. The figures are the ones a recomputation from
//! every record gives ([`super::aggregate::METRIC`]); tests prove it on both stores.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use cohort::Rules;

/// What the statistics of one metric of one experiment need kept: the events named `event`
/// within `window_ms` of the first exposure (`0`: no window). Metrics with the same event and
/// window share one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Measure {
    pub experiment: String,
    pub event: String,
    pub window_ms: i64,
}

impl Measure {
    /// The measure of a metric of `experiment` with `event` and an optional window.
    pub fn new(experiment: &str, event: &str, window_ms: Option<i64>) -> Measure {
        Measure {
            experiment: experiment.to_owned(),
            event: event.to_owned(),
            // A window rounds to at least a millisecond: 0 means none.
            window_ms: window_ms.map_or(0, |w| w.max(1)),
        }
    }

    /// What the log says once the measure is built from the stored records: for `users`
    /// users with events, in `took`.
    pub fn built(&self, users: u64, took: std::time::Duration) -> String {
        let window = if self.window_ms > 0 {
            format!(" within {} ms", self.window_ms)
        } else {
            String::new()
        };
        format!(
            "results of {} on {}{window} kept from now on: built from the stored records \
             ({users} user(s) with events) in {:.1} s",
            self.experiment,
            self.event,
            took.as_secs_f64()
        )
    }

    /// Whether an event at `time` counts for a user first exposed at `first`.
    pub fn counts(&self, first: i64, time: i64) -> bool {
        time >= first && (self.window_ms == 0 || time < first.saturating_add(self.window_ms))
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
                .map(|m| Measure::new(&spec.name, &m.event, m.window_ms))
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

/// What counts for one user in one measure.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UserValue {
    pub events: i64,
    pub total: f64,
}

/// What a group's row of `group_values` changes by.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GroupDelta {
    pub converted: i64,
    pub count_sum: i64,
    pub count_squares: i64,
    pub value_sum: f64,
    pub value_squares: f64,
}

impl GroupDelta {
    fn add(&mut self, value: UserValue, sign: i64) {
        let s = sign as f64;
        self.converted += sign * i64::from(value.events > 0);
        self.count_sum += sign * value.events;
        self.count_squares += sign * value.events.saturating_mul(value.events);
        self.value_sum += s * value.total;
        self.value_squares += s * value.total * value.total;
    }
}

/// A new exposure of a batch (stored, not excluded).
#[derive(Debug, Clone)]
pub struct NewExposure<'a> {
    pub experiment: &'a str,
    pub user: &'a str,
    pub group: &'a str,
    pub time: i64,
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
            by_event.entry(m.event.clone()).or_default().push(i);
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
    /// keeps (`stored`), and whether it keeps the users per group (`users`).
    pub fn as_stored(measures: Vec<Measure>, stored: &[Measure], users: bool) -> Kept {
        let mut kept = Kept::new(
            measures
                .into_iter()
                .filter(|m| stored.contains(m))
                .collect(),
        );
        kept.users = users;
        kept
    }

    pub fn list(&self) -> &[Measure] {
        &self.list
    }

    pub fn contains(&self, measure: &Measure) -> bool {
        self.index_of(measure).is_some()
    }

    /// Where `measure` is in [`Kept::list`].
    pub fn index_of(&self, measure: &Measure) -> Option<usize> {
        self.by_experiment
            .get(&measure.experiment)?
            .iter()
            .copied()
            .find(|&i| self.list[i] == *measure)
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
    /// Per (measure, user), what the batch's events add (for users whose first exposure
    /// stays).
    added: BTreeMap<(usize, String), UserValue>,
}

/// What a batch writes.
#[derive(Debug, Default, PartialEq)]
pub struct Changes {
    /// First exposures to write (new or earlier), in key order.
    pub first: Vec<(String, String, First)>,
    /// Per experiment, group and day (of the users' first exposures), the change in users.
    pub group_users: BTreeMap<(String, String, i64), i64>,
    /// Per (measure, user), the new value (events 0: delete the row), in key order.
    pub user_values: BTreeMap<(usize, String), UserValue>,
    /// Per (measure, group, day), the change, in key order.
    pub group_values: BTreeMap<(usize, String, i64), GroupDelta>,
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
        for e in exposures {
            let key = (e.experiment.to_owned(), e.user.to_owned());
            match new_first.get(&key) {
                // The earliest wins; at the same millisecond, the least group name.
                Some(first) if (first.time, first.group.as_str()) <= (e.time, e.group) => {}
                _ => {
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
                    if measure.counts(first.time, event.time) {
                        let value = added.entry((m, key.1)).or_default();
                        value.events += 1;
                        value.total += event.value.unwrap_or(0.0);
                    }
                }
            }
        }
        Step {
            kept,
            old_first,
            new_first,
            moved,
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
                names.extend(ids.iter().map(|&m| self.kept.list[m].event.as_str()));
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
            for &m in self.kept.of_experiment(experiment) {
                let measure = &self.kept.list[m];
                let mut value = UserValue::default();
                let stored = events_of.get(user.as_str()).map_or(&[][..], Vec::as_slice);
                for event in stored {
                    if event.name == measure.event && measure.counts(first.time, event.time) {
                        value.events += 1;
                        value.total += event.value.unwrap_or(0.0);
                    }
                }
                let value_key = (m, user.clone());
                let was = old(&value_key);
                if let Some(before) = before {
                    changes
                        .group_values
                        .entry((m, before.group.clone(), before.day()))
                        .or_default()
                        .add(was, -1);
                }
                changes
                    .group_values
                    .entry((m, first.group.clone(), first.day()))
                    .or_default()
                    .add(value, 1);
                if value != was {
                    changes.user_values.insert(value_key, value);
                }
            }
        }
        for (key, added) in &self.added {
            let measure = &self.kept.list[key.0];
            let first = &self.new_first[&(measure.experiment.clone(), key.1.clone())];
            let was = old(key);
            let now = UserValue {
                events: was.events + added.events,
                total: was.total + added.total,
            };
            let delta = changes
                .group_values
                .entry((key.0, first.group.clone(), first.day()))
                .or_default();
            delta.add(was, -1);
            delta.add(now, 1);
            changes.user_values.insert(key.clone(), now);
        }
        changes.group_users.retain(|_, d| *d != 0);
        changes
            .group_values
            .retain(|_, d| *d != GroupDelta::default());
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept() -> Kept {
        Kept::new(vec![
            Measure::new("e", "click", None),
            Measure::new("e", "click", Some(10)),
            Measure::new("e", "buy", None),
        ])
    }

    fn first(group: &str, time: i64) -> First {
        First {
            group: group.into(),
            time,
        }
    }

    #[test]
    fn an_event_at_the_exposure_counts_and_one_at_the_window_end_does_not() {
        let m = Measure::new("e", "click", Some(10));
        assert!(m.counts(100, 100) && m.counts(100, 109));
        assert!(!m.counts(100, 110) && !m.counts(100, 99));
        let none = Measure::new("e", "click", None);
        assert!(none.counts(100, i64::MAX) && !none.counts(100, 99));
        assert_eq!(Measure::new("e", "x", Some(0)).window_ms, 1);
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
        }];
        let step = Step::new(&kept, old, &exposures, &[]);
        assert_eq!(step.history_users(), (vec!["u"], vec!["buy", "click"]));
        // Stored: a click at 55 (now inside the window from 50, before 100) and at 105.
        let history = [
            Event {
                user: "u",
                name: "click",
                time: 55,
                value: None,
            },
            Event {
                user: "u",
                name: "click",
                time: 105,
                value: None,
            },
        ];
        let mut values = HashMap::new();
        values.insert(
            (0, "u".to_owned()),
            UserValue {
                events: 1,
                total: 0.0,
            },
        );
        values.insert(
            (1, "u".to_owned()),
            UserValue {
                events: 1,
                total: 0.0,
            },
        );
        let changes = step.finish(&history, &values);
        assert_eq!(changes.first, [("e".into(), "u".into(), first("Blue", 50))]);
        let users: Vec<_> = changes.group_users.into_iter().collect();
        assert_eq!(
            users,
            [
                (("e".into(), "Blue".into(), 0), 1),
                (("e".into(), "Red".into(), 0), -1)
            ]
        );
        assert_eq!(
            changes.user_values[&(0, "u".to_owned())],
            UserValue {
                events: 2,
                total: 0.0
            }
        );
        // The windowed measure: 55 is inside [50, 60), 105 is not: still one event.
        assert!(!changes.user_values.contains_key(&(1, "u".to_owned())));
        assert_eq!(
            changes.group_values[&(1, "Red".to_owned(), 0)].converted,
            -1
        );
        assert_eq!(
            changes.group_values[&(1, "Blue".to_owned(), 0)].converted,
            1
        );
        assert_eq!(
            changes.group_values[&(0, "Blue".to_owned(), 0)].count_squares,
            4
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
        }];
        let events = [
            Event {
                user: "u",
                name: "buy",
                time: 99,
                value: Some(3.0),
            },
            Event {
                user: "u",
                name: "buy",
                time: 100,
                value: Some(4.0),
            },
            Event {
                user: "v",
                name: "buy",
                time: 100,
                value: Some(4.0),
            },
        ];
        let step = Step::new(&kept, old, &exposures, &events);
        assert_eq!(step.history_users(), (vec![], vec![]));
        assert_eq!(step.value_users(), ["u"]);
        let changes = step.finish(&[], &HashMap::new());
        assert!(changes.first.is_empty() && changes.group_users.is_empty());
        assert_eq!(
            changes.user_values[&(2, "u".to_owned())],
            UserValue {
                events: 1,
                total: 4.0
            }
        );
        assert_eq!(
            changes.group_values[&(2, "Red".to_owned(), 0)].value_squares,
            16.0
        );
    }
}
