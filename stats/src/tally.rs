//! Per-user values of an experiment's metrics, from its exposures and events, in memory: for
//! the results page's own log (the collector computes the same in SQL).
//!
//! A user belongs to the group of their first exposure (by time). An event counts for a
//! metric when it is the metric's event, at or after that first exposure (and within the
//! metric's window, if it has one), whatever order the records come in.

use std::collections::{BTreeMap, HashMap};

use cohort::rules::{Metric, MetricKind};

use crate::moments::ArmStats;
use crate::over_time::{day_of, DayCells};

#[derive(Default)]
struct UserLog {
    /// Group index and time of the first exposure.
    first: Option<(usize, i64)>,
    /// Events: name index, time, value.
    events: Vec<(usize, i64, f64)>,
}

/// Accumulates the records of one experiment.
pub struct Tally {
    groups: Vec<String>,
    events: Vec<String>,
    users: HashMap<String, UserLog>,
}

impl Tally {
    /// A tally over the experiment's groups, in the order results are reported.
    pub fn new<S: AsRef<str>>(groups: impl IntoIterator<Item = S>) -> Tally {
        Tally {
            groups: groups.into_iter().map(|g| g.as_ref().to_owned()).collect(),
            events: Vec::new(),
            users: HashMap::new(),
        }
    }

    /// An exposure of `user` to `group` at `time`; groups the tally does not know are kept
    /// too, after the known ones.
    pub fn exposure(&mut self, user: &str, group: &str, time: i64) {
        let index = match self.groups.iter().position(|g| g == group) {
            Some(i) => i,
            None => {
                self.groups.push(group.to_owned());
                self.groups.len() - 1
            }
        };
        let log = self.users.entry(user.to_owned()).or_default();
        // The earliest; at the same millisecond, the least group name (as the collector).
        let earlier = |(i, t): (usize, i64)| (time, group) < (t, self.groups[i].as_str());
        if log.first.is_none_or(earlier) {
            log.first = Some((index, time));
        }
    }

    /// An event `name` by `user` at `time`, carrying `value` (0 when it carries none).
    pub fn event(&mut self, user: &str, name: &str, time: i64, value: Option<f64>) {
        let index = match self.events.iter().position(|e| e == name) {
            Some(i) => i,
            None => {
                self.events.push(name.to_owned());
                self.events.len() - 1
            }
        };
        let log = self.users.entry(user.to_owned()).or_default();
        log.events.push((index, time, value.unwrap_or(0.0)));
    }

    /// The groups, in order.
    pub fn groups(&self) -> &[String] {
        &self.groups
    }

    /// Users exposed to each group.
    pub fn exposed(&self) -> Vec<u64> {
        let mut counts = vec![0u64; self.groups.len()];
        for log in self.users.values() {
            if let Some((group, _)) = log.first {
                counts[group] += 1;
            }
        }
        counts
    }

    /// Each group's statistics for `metric`.
    pub fn arms(&self, metric: &Metric) -> Vec<ArmStats> {
        let mut sums = vec![(0u64, 0.0f64, 0.0f64); self.groups.len()];
        for (group, _, value) in self.values(metric) {
            add(&mut sums[group], value);
        }
        sums.into_iter().map(|s| arm(metric, s)).collect()
    }

    /// Per UTC day with new users, in day order: each group's users first exposed that day
    /// and, for each of `metrics`, their statistics (see [`crate::over_time`]).
    pub fn days(&self, metrics: &[&Metric]) -> Vec<DayCells> {
        let groups = self.groups.len();
        let mut days: BTreeMap<i64, (Vec<u64>, Vec<Vec<Sums>>)> = BTreeMap::new();
        let empty = || {
            (
                vec![0; groups],
                vec![vec![(0, 0.0, 0.0); groups]; metrics.len()],
            )
        };
        for log in self.users.values() {
            if let Some((group, first)) = log.first {
                days.entry(day_of(first)).or_insert_with(empty).0[group] += 1;
            }
        }
        for (m, metric) in metrics.iter().enumerate() {
            for (group, first, value) in self.values(metric) {
                add(
                    &mut days.entry(day_of(first)).or_insert_with(empty).1[m][group],
                    value,
                );
            }
        }
        days.into_iter()
            .map(|(day, (users, sums))| DayCells {
                day,
                users,
                metrics: sums
                    .into_iter()
                    .zip(metrics)
                    .map(|(sums, metric)| sums.into_iter().map(|s| arm(metric, s)).collect())
                    .collect(),
            })
            .collect()
    }

    /// Each exposed user's group, first exposure time and value for `metric`.
    fn values<'s>(&'s self, metric: &'s Metric) -> impl Iterator<Item = (usize, i64, f64)> + 's {
        let event = self.events.iter().position(|e| *e == metric.event);
        self.users.values().filter_map(move |log| {
            let (group, first) = log.first?;
            let counted = log.events.iter().filter(|(e, time, _)| {
                Some(*e) == event
                    && *time >= first
                    && metric
                        .window_ms
                        .is_none_or(|w| *time < first.saturating_add(w))
            });
            let value = match metric.kind {
                MetricKind::Conversion => f64::from(u8::from(counted.count() > 0)),
                MetricKind::Count => counted.count() as f64,
                MetricKind::Sum => counted.map(|(_, _, v)| v).sum(),
            };
            Some((group, first, value))
        })
    }
}

/// A group's users, and the sum and sum of squares of their values.
type Sums = (u64, f64, f64);

/// Adds a user's `value` to a group's users, sum and sum of squares.
fn add((users, sum, squares): &mut Sums, value: f64) {
    *users += 1;
    *sum += value;
    *squares += value * value;
}

/// A group's statistics for `metric` from its users, sum and sum of squares.
fn arm(metric: &Metric, (users, sum, squares): Sums) -> ArmStats {
    match metric.kind {
        MetricKind::Conversion => ArmStats::proportion(users, sum as u64),
        _ => ArmStats::mean(users, sum, squares),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(kind: MetricKind, window_ms: Option<i64>) -> Metric {
        Metric {
            name: "m".into(),
            event: "e".into(),
            kind,
            inverse: false,
            window_ms,
            description: None,
        }
    }

    #[test]
    fn users_count_once_and_only_after_their_first_exposure() {
        let mut t = Tally::new(["Control", "Red"]);
        t.exposure("a", "Control", 10);
        t.exposure("a", "Control", 20); // a reload: same user, counted once
        t.event("a", "e", 15, None);
        t.event("b", "e", 5, None); // before b's exposure: does not count
        t.exposure("b", "Red", 8);
        t.exposure("c", "Red", 30);
        t.event("c", "e", 30, None); // at the exposure: counts
        t.event("c", "e", 31, None);
        t.event("c", "other", 32, None);
        t.event("d", "e", 1, None); // never exposed
        t.exposure("e", "Red", 50);
        t.exposure("e", "Control", 40); // earlier, though it arrives later: e is Control
        assert_eq!(t.exposed(), vec![2, 2]);
        let conversion = t.arms(&metric(MetricKind::Conversion, None));
        assert_eq!(conversion[0], ArmStats::proportion(2, 1));
        assert_eq!(conversion[1], ArmStats::proportion(2, 1));
        let count = t.arms(&metric(MetricKind::Count, None));
        assert_eq!(
            count[1],
            ArmStats::mean(2, 2.0, 4.0),
            "c did it twice, b not after"
        );
        // Within 1 ms of the exposure: only c's first.
        let windowed = t.arms(&metric(MetricKind::Count, Some(1)));
        assert_eq!(windowed[1], ArmStats::mean(2, 1.0, 1.0));
    }

    #[test]
    fn sums_add_values_and_strays_come_last() {
        let mut t = Tally::new(["Control"]);
        t.exposure("a", "Legacy", 1);
        t.exposure("b", "Control", 1);
        t.event("b", "e", 2, Some(2.5));
        t.event("b", "e", 3, Some(1.5));
        t.event("b", "e", 4, None);
        assert_eq!(t.groups(), ["Control", "Legacy"]);
        let sums = t.arms(&metric(MetricKind::Sum, None));
        assert_eq!(sums[0], ArmStats::mean(1, 4.0, 16.0));
        assert_eq!(sums[1], ArmStats::mean(1, 0.0, 0.0));
    }

    #[test]
    fn days_split_users_by_the_day_of_their_first_exposure_and_add_up_to_the_whole() {
        use crate::over_time::DAY_MS;
        let mut t = Tally::new(["Control", "Red"]);
        t.exposure("a", "Control", DAY_MS - 1);
        t.event("a", "e", 3 * DAY_MS, None); // days later: counts on a's first day
        t.exposure("b", "Red", DAY_MS);
        t.exposure("b", "Red", 2 * DAY_MS); // a later exposure does not move b
        t.exposure("c", "Red", 2 * DAY_MS + 5);
        t.event("c", "e", 2 * DAY_MS + 6, None);
        t.exposure("c", "Control", DAY_MS + 7); // earlier, arriving later: c moves to day 1
        let m = metric(MetricKind::Conversion, None);
        let days = t.days(&[&m]);
        let found: Vec<(i64, Vec<u64>)> = days.iter().map(|d| (d.day, d.users.clone())).collect();
        assert_eq!(found, [(0, vec![1, 0]), (1, vec![1, 1])]);
        assert_eq!(days[0].metrics[0][0], ArmStats::proportion(1, 1));
        assert_eq!(
            days[1].metrics[0][0],
            ArmStats::proportion(1, 1),
            "c, in Control"
        );
        assert_eq!(days[1].metrics[0][1], ArmStats::proportion(1, 0), "b");
        let whole = t.arms(&m);
        for (g, whole) in whole.iter().enumerate() {
            let users: u64 = days.iter().map(|d| d.metrics[0][g].users).sum();
            let sum: f64 = days.iter().map(|d| d.metrics[0][g].sum).sum();
            assert_eq!((users, sum), (whole.users, whole.sum));
        }
    }
}
