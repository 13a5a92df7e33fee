//! From the rules to an analysis: an experiment's groups and weights (its plan), its metrics
//! and settings, and each group's statistics however they were counted (in memory from a
//! [`Tally`](crate::tally::Tally), or in SQL by the collector).

use cohort::rules::Metric;
use cohort::{Rules, SpecKind};

use crate::analysis::{
    analyze, Capping, ExperimentInput, ExperimentResults, MetricInfo, Settings, UnavailableMetric,
};
use crate::moments::ArmStats;
use crate::over_time::over_time;
use crate::tally::Tally;

/// The level results are read at.
pub const ALPHA: f64 = 0.05;

impl From<&Metric> for MetricInfo {
    fn from(m: &Metric) -> MetricInfo {
        let cap = m.parts().iter().find_map(|p| p.cap);
        MetricInfo {
            name: m.name.clone(),
            event: m.event.clone(),
            kind: m.kind.as_str().to_owned(),
            inverse: m.inverse,
            description: m.description.clone(),
            guardrail: false,
            cuped_lookback_days: m.lookback_ms.map(|ms| ms as f64 / 86_400_000.0),
            ratio: m
                .ratio
                .as_ref()
                .map(|r| (r.numerator.name.clone(), r.denominator.name.clone())),
            cap: cap.map(|cap| Capping {
                kind: cap.kind.as_str().to_owned(),
                value: cap.value,
                ignore_zeros: cap.ignore_zeros,
                bound: None,
                denominator_bound: None,
            }),
        }
    }
}

/// A metric's groups' statistics as counted, with where its caps fell.
#[derive(Debug, Clone, PartialEq)]
pub struct Counted {
    /// Each group's statistics, in the groups' order.
    pub arms: Vec<ArmStats>,
    /// The bound on each user's value (`None`: no cap, or no values yet).
    pub bound: Option<f64>,
    /// A ratio's bound on each user's denominator.
    pub denominator_bound: Option<f64>,
}

impl Counted {
    /// Statistics of an uncapped metric.
    pub fn uncapped(arms: Vec<ArmStats>) -> Counted {
        Counted {
            arms,
            bound: None,
            denominator_bound: None,
        }
    }
}

/// An experiment's groups with their configured shares, control first; `None` when the rules
/// have no such experiment with groups on user buckets.
pub fn planned_groups(rules: &Rules, experiment: &str) -> Option<Vec<(String, f64)>> {
    let plan = rules.spec(SpecKind::Config, experiment)?.plan()?;
    Some(plan.groups.into_iter().map(|g| (g.name, g.share)).collect())
}

/// Analyses `experiment`: `groups` are the groups counted (the planned ones first, in order,
/// then any others), `exposed` their users, and `arms(metric)` each group's statistics for a
/// metric, in the same order (with where its caps fell), or why they could not be had (the
/// metric is then listed in [`ExperimentResults::unavailable`] and the others analysed
/// without it).
pub fn analyze_experiment(
    rules: &Rules,
    experiment: &str,
    groups: &[String],
    exposed: Vec<u64>,
    arms: impl Fn(&Metric) -> Result<Counted, String>,
) -> Option<ExperimentResults> {
    let planned = planned_groups(rules, experiment)?;
    let settings = rules.experiment_settings(experiment);
    let groups = groups
        .iter()
        .map(|g| {
            let weight = planned.iter().find(|(p, _)| p == g).map(|(_, w)| *w);
            (g.clone(), weight)
        })
        .collect();
    let mut metrics = Vec::new();
    let mut unavailable = Vec::new();
    for metric in rules.experiment_metrics(experiment) {
        match arms(metric) {
            Ok(counted) => {
                let mut info = MetricInfo::from(metric);
                info.guardrail = settings.guardrails.contains(&metric.name);
                if let Some(cap) = &mut info.cap {
                    cap.bound = counted.bound;
                    cap.denominator_bound = counted.denominator_bound;
                }
                metrics.push((info, counted.arms));
            }
            Err(reason) => unavailable.push(UnavailableMetric {
                metric: metric.name.clone(),
                reason,
            }),
        }
    }
    let mut results = analyze(ExperimentInput {
        experiment,
        groups,
        exposed,
        metrics,
        settings: Settings {
            alpha: ALPHA,
            sequential_tuning: settings.sequential_tuning,
            target_lift: settings.target_lift,
        },
    });
    results.unavailable = unavailable;
    Some(results)
}

/// A tally over `experiment`'s planned groups (empty when it has none).
pub fn tally_for(rules: &Rules, experiment: &str) -> Tally {
    Tally::new(
        planned_groups(rules, experiment)
            .unwrap_or_default()
            .into_iter()
            .map(|(g, _)| g),
    )
}

/// Analyses `experiment` from a tally of its records.
pub fn analyze_tally(rules: &Rules, experiment: &str, tally: &Tally) -> Option<ExperimentResults> {
    let mut results =
        analyze_experiment(rules, experiment, tally.groups(), tally.exposed(), |m| {
            let (arms, (bound, denominator_bound)) = tally.counted(m);
            Ok(Counted {
                arms,
                bound,
                denominator_bound,
            })
        })?;
    let metrics = rules.experiment_metrics(experiment);
    results.over_time = over_time(&results, &tally.days(&metrics));
    Some(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cohort::CompileOptions;

    #[test]
    fn a_tally_of_the_course_experiment() {
        let rules = Rules::from_statsig_json(
            include_str!("../../experiments/button_color_v3.json"),
            CompileOptions::STRICT,
        )
        .unwrap();
        let mut tally = tally_for(&rules, "button_color_v3");
        assert_eq!(tally.groups(), ["Control", "Red", "Green", "Orange"]);
        for i in 0..40 {
            let group = ["Control", "Red", "Green", "Orange"][i % 4];
            let user = format!("u{i}");
            tally.exposure(&user, group, 10);
            if i % 3 == 0 {
                tally.event(&user, "visited_signup", 11, None);
            }
            tally.event(&user, "cta_click", 12, None);
        }
        let results = analyze_tally(&rules, "button_color_v3", &tally).unwrap();
        let names: Vec<&str> = results
            .metrics
            .iter()
            .map(|m| m.metric.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "signup",
                "clicks",
                "tasks_completed",
                "completion_rate",
                "tasks_added"
            ]
        );
        assert!(results.metrics[4].metric.guardrail);
        assert_eq!(
            results.metrics[3].metric.ratio,
            Some(("tasks_completed".into(), "tasks_added".into()))
        );
        // Clicks are capped at their 99th percentile: 1 here, as every user clicked once.
        assert_eq!(
            results.metrics[1].metric.cap.as_ref().unwrap().bound,
            Some(1.0)
        );
        assert_eq!(results.total_users, 40);
        assert_eq!(results.groups[0].weight, Some(0.25));
        // CUPED is on by default: nobody did anything before their exposure here.
        assert_eq!(
            results.metrics[0].groups[0].stats,
            ArmStats::proportion(10, 4).with_covariate(crate::moments::Joint::proportion(0.0, 0.0))
        );
        assert_eq!(results.metrics[0].comparisons.len(), 3);
        assert!(analyze_tally(&rules, "nope", &tally).is_none());
    }
}
