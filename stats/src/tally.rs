//! Per-user values of an experiment's metrics, from its exposures and events, in memory: for
//! the results page's own log (the collector computes the same in SQL).
//!
//! A user belongs to the group of their first exposure (by time). An event counts for a
//! metric when it is the metric's event, at or after that first exposure (and within the
//! metric's window, if it has one), whatever order the records come in. With CUPED, the
//! same event over the lookback before the first exposure (`[first - lookback, first)`) makes
//! the covariate; a ratio counts its numerator and denominator metrics per user; a cap bounds
//! each user's value (and covariate; a ratio's denominator by its own bound).

use std::collections::{BTreeMap, HashMap};

use cohort::rules::{Cap, CapKind, Metric, MetricKind};

use crate::moments::{ArmStats, Joint};
use crate::over_time::{day_of, DayCells};

#[derive(Default, Clone)]
struct UserLog {
    /// Group index and time of the first exposure.
    first: Option<(usize, i64)>,
    /// The dimensions the first exposure came with.
    dimensions: Vec<(String, String)>,
    /// Events: name index, time, value.
    events: Vec<(usize, i64, f64)>,
}

/// Accumulates the records of one experiment.
#[derive(Clone)]
pub struct Tally {
    groups: Vec<String>,
    events: Vec<String>,
    users: HashMap<String, UserLog>,
    /// Cap bounds given from outside, by metric name (a slice's are the whole experiment's).
    bounds: HashMap<String, (Option<f64>, Option<f64>)>,
}

impl Tally {
    /// A tally over the experiment's groups, in the order results are reported.
    pub fn new<S: AsRef<str>>(groups: impl IntoIterator<Item = S>) -> Tally {
        Tally {
            groups: groups.into_iter().map(|g| g.as_ref().to_owned()).collect(),
            events: Vec::new(),
            users: HashMap::new(),
            bounds: HashMap::new(),
        }
    }

    /// An exposure of `user` to `group` at `time`; groups the tally does not know are kept
    /// too, after the known ones.
    pub fn exposure(&mut self, user: &str, group: &str, time: i64) {
        self.exposure_with(user, group, time, std::iter::empty::<(&str, &str)>());
    }

    /// An exposure that came with `dimensions` (name, value): a user's first exposure's are
    /// the ones results are broken down by.
    pub fn exposure_with<'d>(
        &mut self,
        user: &str,
        group: &str,
        time: i64,
        dimensions: impl IntoIterator<Item = (&'d str, &'d str)>,
    ) {
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
            log.dimensions = dimensions
                .into_iter()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect();
        }
    }

    /// The exposed users of each value `dimension` takes ('' for users whose first exposure
    /// did not give it), by value.
    pub fn users_by_dimension(&self, dimension: &str) -> Vec<(String, u64)> {
        let mut users: BTreeMap<&str, u64> = BTreeMap::new();
        for log in self.users.values().filter(|log| log.first.is_some()) {
            *users.entry(dimension_of(log, dimension)).or_default() += 1;
        }
        users.into_iter().map(|(v, n)| (v.to_owned(), n)).collect()
    }

    /// The users whose first exposure gave `dimension` one of `values` ('' for none), counted
    /// with the cap bounds given by metric name (a slice keeps the whole experiment's:
    /// GrowthBook caps over the whole population).
    pub fn slice(
        &self,
        dimension: &str,
        values: &[String],
        bounds: &HashMap<String, (Option<f64>, Option<f64>)>,
    ) -> Tally {
        Tally {
            groups: self.groups.clone(),
            events: self.events.clone(),
            users: self
                .users
                .iter()
                .filter(|(_, log)| {
                    log.first.is_none() || values.iter().any(|v| v == dimension_of(log, dimension))
                })
                .map(|(user, log)| (user.clone(), log.clone()))
                .collect(),
            bounds: bounds.clone(),
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
        self.counted(metric).0
    }

    /// Each group's statistics for `metric`, and the bounds its caps put on the values (see
    /// [`Tally::cap_bounds`]): every user counted once.
    pub fn counted(&self, metric: &Metric) -> (Vec<ArmStats>, (Option<f64>, Option<f64>)) {
        let (users, bounds) = self.capped(metric);
        let mut sums = vec![Sums::default(); self.groups.len()];
        for user in &users {
            sums[user.group].add(user);
        }
        (sums.into_iter().map(|s| s.arm(metric)).collect(), bounds)
    }

    /// Per UTC day with new users, in day order: each group's users first exposed that day
    /// and, for each of `metrics`, their statistics (see [`crate::over_time`]). A percentile
    /// cap is the whole experiment's, every day.
    pub fn days(&self, metrics: &[&Metric]) -> Vec<DayCells> {
        let groups = self.groups.len();
        let mut days: BTreeMap<i64, (Vec<u64>, Vec<Vec<Sums>>)> = BTreeMap::new();
        let empty = || {
            (
                vec![0; groups],
                vec![vec![Sums::default(); groups]; metrics.len()],
            )
        };
        for log in self.users.values() {
            if let Some((group, first)) = log.first {
                days.entry(day_of(first)).or_insert_with(empty).0[group] += 1;
            }
        }
        for (m, metric) in metrics.iter().enumerate() {
            for user in self.capped(metric).0 {
                days.entry(day_of(user.first)).or_insert_with(empty).1[m][user.group].add(&user);
            }
        }
        days.into_iter()
            .map(|(day, (users, sums))| DayCells {
                day,
                users,
                metrics: sums
                    .into_iter()
                    .zip(metrics)
                    .map(|(sums, metric)| sums.into_iter().map(|s| s.arm(metric)).collect())
                    .collect(),
            })
            .collect()
    }

    /// The bounds `metric`'s caps put on the values here: the value's (and for a ratio the
    /// denominator's), from [`cap_bound`] over every exposed user's value; for a slice, those
    /// [`Tally::slice`] was given.
    pub fn cap_bounds(&self, metric: &Metric) -> (Option<f64>, Option<f64>) {
        self.bounds_of(metric, &self.figures(metric))
    }

    fn bounds_of(&self, metric: &Metric, users: &[UserFigures]) -> (Option<f64>, Option<f64>) {
        if let Some(bounds) = self.bounds.get(&metric.name) {
            return *bounds;
        }
        let parts = metric.parts();
        let bound = |part: &Metric, pick: fn(&UserFigures) -> f64| {
            part.cap
                .and_then(|cap| cap_bound(&cap, users.iter().map(pick).collect()))
        };
        match parts.as_slice() {
            [numerator, denominator] => (
                bound(numerator, |u| u.value),
                bound(denominator, |u| u.denominator),
            ),
            _ => (bound(metric, |u| u.value), None),
        }
    }

    /// Every exposed user's figures for `metric`, capped, and the bounds.
    fn capped(&self, metric: &Metric) -> (Vec<UserFigures>, (Option<f64>, Option<f64>)) {
        let mut users = self.figures(metric);
        let bounds = self.bounds_of(metric, &users);
        let (value_bound, denominator_bound) = bounds;
        for user in &mut users {
            if let Some(bound) = value_bound {
                // The covariate is capped at the metric's bound (GrowthBook's).
                user.value = user.value.min(bound);
                user.pre = user.pre.min(bound);
            }
            if let Some(bound) = denominator_bound {
                user.denominator = user.denominator.min(bound);
            }
        }
        (users, bounds)
    }

    /// Every exposed user's figures for `metric`, uncapped.
    fn figures(&self, metric: &Metric) -> Vec<UserFigures> {
        let parts = metric.parts();
        let positions: Vec<Option<usize>> = parts
            .iter()
            .map(|p| self.events.iter().position(|e| *e == p.event))
            .collect();
        self.users
            .values()
            .filter_map(|log| {
                let (group, first) = log.first?;
                let (value, pre) =
                    part_value(log, parts[0], positions[0], first, metric.lookback_ms);
                let denominator = match parts.get(1) {
                    Some(part) => part_value(log, part, positions[1], first, None).0,
                    None => 0.0,
                };
                Some(UserFigures {
                    group,
                    first,
                    value,
                    pre,
                    denominator,
                })
            })
            .collect()
    }
}

/// The value a user's first exposure gave `dimension` ('' for none).
fn dimension_of<'l>(log: &'l UserLog, dimension: &str) -> &'l str {
    log.dimensions
        .iter()
        .find(|(n, _)| n == dimension)
        .map_or("", |(_, v)| v.as_str())
}

/// One exposed user's figures for one metric.
#[derive(Debug, Clone, Copy)]
struct UserFigures {
    group: usize,
    first: i64,
    value: f64,
    /// CUPED's covariate: the value over the lookback before the first exposure.
    pre: f64,
    /// A ratio's denominator.
    denominator: f64,
}

/// A user's value for one counted `part` (at or after `first`, within the window) and, with a
/// `lookback`, the same over `[first - lookback, first)`.
fn part_value(
    log: &UserLog,
    part: &Metric,
    event: Option<usize>,
    first: i64,
    lookback: Option<i64>,
) -> (f64, f64) {
    let mut value = Counted::default();
    let mut pre = Counted::default();
    for &(e, time, v) in &log.events {
        if Some(e) != event {
            continue;
        }
        if time >= first
            && part
                .window_ms
                .is_none_or(|w| time < first.saturating_add(w))
        {
            value.add(v);
        } else if lookback.is_some_and(|l| time < first && time >= first.saturating_sub(l)) {
            pre.add(v);
        }
    }
    (value.of(part.kind), pre.of(part.kind))
}

/// A user's counted events and the total of their values.
#[derive(Default)]
struct Counted {
    events: u64,
    total: f64,
}

impl Counted {
    fn add(&mut self, value: f64) {
        self.events += 1;
        self.total += value;
    }

    fn of(&self, kind: MetricKind) -> f64 {
        match kind {
            MetricKind::Conversion => f64::from(u8::from(self.events > 0)),
            MetricKind::Count => self.events as f64,
            MetricKind::Sum | MetricKind::Ratio => self.total,
        }
    }
}

/// The bound a cap puts on values, given every exposed user's value: the cap's own
/// (absolute), or their quantile (PostgreSQL's `PERCENTILE_CONT`, linear between the two
/// nearest values, as GrowthBook computes it), zeros left out with `ignore_zeros`; `None`
/// without values.
pub fn cap_bound(cap: &Cap, mut values: Vec<f64>) -> Option<f64> {
    match cap.kind {
        CapKind::Absolute => Some(cap.value),
        CapKind::Percentile => {
            if cap.ignore_zeros {
                values.retain(|&v| v != 0.0);
            }
            if values.is_empty() {
                return None;
            }
            values.sort_by(f64::total_cmp);
            let position = cap.value * (values.len() - 1) as f64;
            let low = position.floor() as usize;
            let high = (low + 1).min(values.len() - 1);
            Some(values[low] + (position - low as f64) * (values[high] - values[low]))
        }
    }
}

/// A group's sums for one metric, however they were counted (here, or by the collector's
/// database): its users, the sum and sum of squares of their values, of their covariates
/// (CUPED) and of their denominators (a ratio), and the sums of each with the value.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MetricSums {
    pub users: u64,
    pub sum: f64,
    pub squares: f64,
    pub pre_sum: f64,
    pub pre_squares: f64,
    pub pre_products: f64,
    pub den_sum: f64,
    pub den_squares: f64,
    pub den_products: f64,
}

type Sums = MetricSums;

impl MetricSums {
    fn add(&mut self, user: &UserFigures) {
        self.users += 1;
        self.sum += user.value;
        self.squares += user.value * user.value;
        self.pre_sum += user.pre;
        self.pre_squares += user.pre * user.pre;
        self.pre_products += user.value * user.pre;
        self.den_sum += user.denominator;
        self.den_squares += user.denominator * user.denominator;
        self.den_products += user.value * user.denominator;
    }

    /// A group's statistics for `metric`: a proportion or a mean of the values, with the
    /// covariate when the metric has CUPED, or over the denominator for a ratio.
    pub fn arm(&self, metric: &Metric) -> ArmStats {
        let parts = metric.parts();
        let base = match parts[0].kind {
            MetricKind::Conversion => ArmStats::proportion(self.users, self.sum as u64),
            _ => ArmStats::mean(self.users, self.sum, self.squares),
        };
        if let Some(denominator) = parts.get(1) {
            let joint = match denominator.kind {
                MetricKind::Conversion => Joint::proportion(self.den_sum, self.den_products),
                _ => Joint::mean(self.den_sum, self.den_squares, self.den_products),
            };
            return base.with_denominator(joint);
        }
        match (metric.lookback_ms, metric.kind) {
            (None, _) => base,
            (Some(_), MetricKind::Conversion) => {
                base.with_covariate(Joint::proportion(self.pre_sum, self.pre_products))
            }
            (Some(_), _) => base.with_covariate(Joint::mean(
                self.pre_sum,
                self.pre_squares,
                self.pre_products,
            )),
        }
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
            lookback_ms: None,
            cap: None,
            ratio: None,
        }
    }

    #[test]
    fn the_covariate_counts_the_lookback_before_the_first_exposure_and_not_its_millisecond() {
        let mut t = Tally::new(["Control"]);
        t.exposure("a", "Control", 1000);
        t.event("a", "e", 899, None); // before the lookback: nowhere
        t.event("a", "e", 900, None); // the lookback's first millisecond: covariate
        t.event("a", "e", 999, None); // just before the exposure: covariate
        t.event("a", "e", 1000, None); // at it: the metric
        t.event("a", "e", 1001, None);
        t.event("a", "e", 1002, None);
        let cuped = Metric {
            lookback_ms: Some(100),
            ..metric(MetricKind::Count, None)
        };
        let arm = t.arms(&cuped)[0];
        assert_eq!((arm.sum, arm.sum_squares), (3.0, 9.0));
        assert_eq!(arm.covariate, Some(Joint::mean(2.0, 4.0, 6.0)));
        let conversion = Metric {
            kind: MetricKind::Conversion,
            ..cuped
        };
        assert_eq!(
            t.arms(&conversion)[0].covariate,
            Some(Joint::proportion(1.0, 1.0))
        );
    }

    #[test]
    fn a_ratio_sums_its_parts_per_user_and_their_products() {
        let mut t = Tally::new(["Control"]);
        for (user, done, added) in [("a", 1, 2), ("b", 0, 3), ("c", 2, 2)] {
            t.exposure(user, "Control", 10);
            for _ in 0..done {
                t.event(user, "done", 11, None);
            }
            for _ in 0..added {
                t.event(user, "added", 11, None);
            }
        }
        let part = |name: &str| Metric {
            name: name.into(),
            event: name.into(),
            ..metric(MetricKind::Count, None)
        };
        let ratio = Metric {
            kind: MetricKind::Ratio,
            event: "done".into(),
            ratio: Some(Box::new(cohort::rules::Ratio {
                numerator: part("done"),
                denominator: part("added"),
            })),
            ..metric(MetricKind::Count, None)
        };
        let arm = t.arms(&ratio)[0];
        assert_eq!((arm.users, arm.sum, arm.sum_squares), (3, 3.0, 5.0));
        assert_eq!(arm.denominator, Some(Joint::mean(7.0, 17.0, 6.0)));
        assert_eq!(arm.mean_value(), 3.0 / 7.0);
    }

    #[test]
    fn a_percentile_cap_interpolates_like_postgres_and_can_leave_zeros_out() {
        let cap = |value, ignore_zeros| Cap {
            kind: CapKind::Percentile,
            value,
            ignore_zeros,
        };
        // PERCENTILE_CONT(0.5) of 1, 2, 3, 10 is 2.5; of 0, 0, 0, 4, 8 is 0, or 6 without zeros.
        assert_eq!(
            cap_bound(&cap(0.5, false), vec![10.0, 1.0, 3.0, 2.0]),
            Some(2.5)
        );
        let zeros = vec![0.0, 8.0, 0.0, 4.0, 0.0];
        assert_eq!(cap_bound(&cap(0.5, false), zeros.clone()), Some(0.0));
        assert_eq!(cap_bound(&cap(0.5, true), zeros), Some(6.0));
        assert_eq!(cap_bound(&cap(0.9, true), vec![0.0]), None);
        let mut t = Tally::new(["Control"]);
        for (user, total) in [("a", 1.0), ("b", 2.0), ("c", 3.0), ("d", 1000.0)] {
            t.exposure(user, "Control", 10);
            t.event(user, "e", 10, Some(total));
            t.event(user, "e", 5, Some(total)); // the covariate is capped at the same bound
        }
        let capped = Metric {
            cap: Some(cap(0.5, false)),
            lookback_ms: Some(100),
            ..metric(MetricKind::Sum, None)
        };
        assert_eq!(t.cap_bounds(&capped), (Some(2.5), None));
        let arm = t.arms(&capped)[0];
        assert_eq!(arm.sum, 1.0 + 2.0 + 2.5 + 2.5);
        assert_eq!(arm.covariate.unwrap().sum, 1.0 + 2.0 + 2.5 + 2.5);
        let absolute = Metric {
            cap: Some(Cap {
                kind: CapKind::Absolute,
                value: 2.0,
                ignore_zeros: false,
            }),
            ..metric(MetricKind::Sum, None)
        };
        assert_eq!(t.arms(&absolute)[0].sum_squares, 1.0 + 4.0 + 4.0 + 4.0);
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
