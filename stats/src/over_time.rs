//! Results over time: for each UTC day with new users, the experiment as it stands counting
//! the users first exposed by the end of that day (with everything they have done so far):
//! each group's users and each metric's lift with its sequential interval, the interval that
//! may be looked at every day. These are GrowthBook's cumulative "date" results: the lift's
//! interval narrows as days add users.
//!
//! The input is, per day, the figures of the users first exposed that day ([`DayCells`]); the
//! collector reads them per group and day from what it keeps, the results page's own log
//! counts them in memory ([`crate::Tally::days`]).

use serde::{Deserialize, Serialize};

use crate::analysis::ExperimentResults;
use crate::effect::{Difference, Pair};
use crate::frequentist::{sequential, TestResult};
use crate::moments::ArmStats;

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// The UTC day (days since 1970-01-01) of `time` (milliseconds since 1970-01-01), truncated
/// as SQL's integer division truncates (`time / 86400000`), so that the collector's queries and
/// this agree on every time.
pub fn day_of(time: i64) -> i64 {
    time / DAY_MS
}

/// The date of `day` (days since 1970-01-01) as `YYYY-MM-DD`.
///
/// ```
/// assert_eq!(cohort_stats::over_time::date_of(20_426), "2025-12-04");
/// assert_eq!(cohort_stats::over_time::date_of(0), "1970-01-01");
/// ```
pub fn date_of(day: i64) -> String {
    // The Julian day of 1970-01-01 is 2,440,588.
    day.checked_add(2_440_588)
        .and_then(|julian| i32::try_from(julian).ok())
        .and_then(|julian| time::Date::from_julian_day(julian).ok())
        .map_or_else(|| format!("day {day}"), |date| date.to_string())
}

/// The figures of the users first exposed on one day.
#[derive(Debug, Clone, PartialEq)]
pub struct DayCells {
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    /// The day's new users of each group, in the order of [`ExperimentResults::groups`].
    pub users: Vec<u64>,
    /// For each metric of [`ExperimentResults::metrics`], in order, each group's statistics
    /// over the day's new users.
    pub metrics: Vec<Vec<ArmStats>>,
}

/// The experiment as it stood at the end of one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayResults {
    /// The day (UTC), `YYYY-MM-DD`.
    pub date: String,
    /// Users first exposed by the end of the day, per group (in the order of
    /// [`ExperimentResults::groups`]).
    pub users: Vec<u64>,
    /// Each metric's lifts, in the order of [`ExperimentResults::metrics`].
    pub metrics: Vec<DayMetric>,
}

/// One metric's lifts at the end of a day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayMetric {
    pub metric: String,
    /// Each treatment against control (the comparisons of the metric's results).
    pub lifts: Vec<DayLift>,
}

/// A treatment's relative lift over control, with its sequential interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayLift {
    pub group: String,
    pub lift: TestResult,
}

/// The results at the end of each day of `days` (in day order, each day once), cumulated: a
/// day's figures count every user first exposed by its end. `results` gives the groups, the
/// metrics, their comparisons and the settings.
pub fn over_time(results: &ExperimentResults, days: &[DayCells]) -> Vec<DayResults> {
    let mut users = vec![0u64; results.groups.len()];
    let mut arms: Vec<Vec<ArmStats>> = results
        .metrics
        .iter()
        .map(|m| m.groups.iter().map(|g| g.stats.zero()).collect())
        .collect();
    let group_index = |name: &str| results.groups.iter().position(|g| g.group == name);
    let settings = &results.settings;
    days.iter()
        .map(|cells| {
            for (total, new) in users.iter_mut().zip(&cells.users) {
                *total += new;
            }
            for (totals, new) in arms.iter_mut().zip(&cells.metrics) {
                for (total, new) in totals.iter_mut().zip(new) {
                    *total = total.plus(new);
                }
            }
            let metrics = results
                .metrics
                .iter()
                .zip(&arms)
                .map(|(metric, arms)| DayMetric {
                    metric: metric.metric.name.clone(),
                    lifts: metric
                        .comparisons
                        .iter()
                        .filter_map(|c| {
                            let treatment = arms.get(group_index(&c.group)?)?;
                            let lift = sequential(
                                &Pair::new(arms.first()?, treatment),
                                Difference::Relative,
                                settings.alpha,
                                settings.sequential_tuning,
                            );
                            Some(DayLift {
                                group: c.group.clone(),
                                lift,
                            })
                        })
                        .collect(),
                })
                .collect();
            DayResults {
                date: date_of(cells.day),
                users: users.clone(),
                metrics,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{analyze, ExperimentInput, MetricInfo, Settings};

    fn results(arms: Vec<ArmStats>) -> ExperimentResults {
        analyze(ExperimentInput {
            experiment: "e",
            groups: vec![("Control".into(), Some(0.5)), ("Red".into(), Some(0.5))],
            exposed: arms.iter().map(|a| a.users).collect(),
            metrics: vec![(
                MetricInfo {
                    name: "signup".into(),
                    event: "signup".into(),
                    kind: "conversion".into(),
                    inverse: false,
                    description: None,
                    ..MetricInfo::default()
                },
                arms,
            )],
            settings: Settings {
                alpha: 0.05,
                sequential_tuning: 5000.0,
                target_lift: 0.1,
            },
        })
    }

    #[test]
    fn the_last_day_counts_every_user_and_gives_the_whole_analysis_lift() {
        let day1 = vec![ArmStats::proportion(400, 40), ArmStats::proportion(410, 60)];
        let day2 = vec![ArmStats::proportion(600, 66), ArmStats::proportion(590, 80)];
        let whole = results(vec![
            ArmStats::proportion(1000, 106),
            ArmStats::proportion(1000, 140),
        ]);
        let days = [
            DayCells {
                day: 20_000,
                users: vec![400, 410],
                metrics: vec![day1.clone()],
            },
            DayCells {
                day: 20_002,
                users: vec![600, 590],
                metrics: vec![day2],
            },
        ];
        let points = over_time(&whole, &days);
        assert_eq!(points.len(), 2);
        assert_eq!(points[0].date, "2024-10-04");
        assert_eq!(points[1].date, "2024-10-06");
        assert_eq!(points[0].users, [400, 410]);
        assert_eq!(points[1].users, [1000, 1000]);
        // The last day is the experiment as a whole: the same sequential lift.
        let last = &points[1].metrics[0].lifts[0];
        assert_eq!(last.group, "Red");
        assert_eq!(
            last.lift,
            whole.metrics[0].comparisons[0].result.sequential.relative
        );
        // The first day alone: its own users' lift, with a wider interval.
        let first = &points[0].metrics[0].lifts[0].lift;
        assert_eq!(
            *first,
            results(day1).metrics[0].comparisons[0]
                .result
                .sequential
                .relative
        );
        assert!(first.ci.1 - first.ci.0 > last.lift.ci.1 - last.lift.ci.0);
    }

    #[test]
    fn dates_are_utc_days_and_days_truncate_as_sql_does() {
        assert_eq!(day_of(DAY_MS - 1), 0);
        assert_eq!(day_of(DAY_MS), 1);
        assert_eq!(day_of(1_764_806_400_000), 20_426);
        assert_eq!(date_of(20_426), "2025-12-04");
        assert_eq!(date_of(-1), "1969-12-31");
        assert_eq!(date_of(i64::MAX), format!("day {}", i64::MAX));
    }
}
