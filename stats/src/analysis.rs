//! An experiment's results: who was exposed (and the sample-ratio check), and for each of its
//! metrics, each group's figures and each treatment against control by every engine, with
//! p-values adjusted over the experiment's comparisons, planning, and a verdict.
//!
//! The input is a few numbers per group and metric ([`ArmStats`]): the collector computes
//! them in SQL, the results page from its own log ([`crate::tally`]).

use serde::{Deserialize, Serialize};

use crate::compare::{compare, Comparison, Options};
use crate::correction::{benjamini_hochberg, holm_bonferroni};
use crate::effect::{Difference, Pair};
use crate::moments::ArmStats;
use crate::power::{plan, Planning};
use crate::srm::{check_srm, SRM_THRESHOLD};

/// The engines results can be read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    /// Always-valid intervals and p-values: safe to watch (the live page's default).
    Sequential,
    /// The fixed-horizon t-test: valid when looked at once, at a size fixed in advance.
    Fixed,
    /// GrowthBook's default: chance to win, credible interval, risk.
    Bayesian,
}

impl Engine {
    pub const ALL: [Engine; 3] = [Engine::Sequential, Engine::Fixed, Engine::Bayesian];

    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Sequential => "sequential",
            Engine::Fixed => "fixed",
            Engine::Bayesian => "bayesian",
        }
    }

    pub fn parse(name: &str) -> Option<Engine> {
        Engine::ALL.into_iter().find(|e| e.as_str() == name)
    }
}

/// A group's configured share and exposed users.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupExposure {
    pub group: String,
    /// The configured share of allocated users (`None`: a group the rules do not have).
    pub weight: Option<f64>,
    pub users: u64,
}

/// The sample-ratio check over exposed users.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SampleRatio {
    /// gbstats' `check_srm`: 1 without users.
    pub p_value: f64,
    /// `p < 0.001`: the split differs from the weights; do not trust the results.
    pub mismatch: bool,
}

/// Records stored but kept out of the results, by kind and reason (for example exposures
/// whose group is not the one the rules give their user: forged, or from a page with other
/// rules).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excluded {
    /// `"exposure"` or `"event"`.
    pub kind: String,
    pub reason: String,
    pub count: u64,
}

/// How the results were computed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub alpha: f64,
    pub sequential_tuning: f64,
    pub target_lift: f64,
}

/// What a metric is, as results describe it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricInfo {
    pub name: String,
    /// The event it counts (a ratio: its numerator's).
    pub event: String,
    /// `conversion`, `count`, `sum` or `ratio`.
    pub kind: String,
    pub inverse: bool,
    pub description: Option<String>,
    /// A guardrail: must not get worse; judged apart and left out of the corrections.
    #[serde(default)]
    pub guardrail: bool,
    /// CUPED's lookback before the first exposure, in days (`None`: CUPED is off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cuped_lookback_days: Option<f64>,
    /// A ratio's numerator and denominator metrics (their names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<(String, String)>,
    /// How each user's value is capped, and where the cap fell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<Capping>,
}

/// A metric's cap, and the bounds it put on users' values in these results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capping {
    /// `absolute` or `percentile`.
    pub kind: String,
    /// The bound, or the quantile (0.99: the 99th percentile).
    pub value: f64,
    pub ignore_zeros: bool,
    /// The bound on each user's value (and covariate) in effect; `None` without values yet.
    pub bound: Option<f64>,
    /// A ratio's bound on each user's denominator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denominator_bound: Option<f64>,
}

/// What CUPED did for a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CupedEffect {
    /// The regression coefficient of the metric on its pre-exposure value, over both groups.
    pub theta: f64,
    /// How much narrower the relative lift's interval is than without CUPED: 0.3 is 30%
    /// narrower (negative: wider, when the covariate is noise).
    pub narrower: f64,
}

/// One group's figures for one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricGroup {
    pub group: String,
    pub stats: ArmStats,
    /// The mean per user (the conversion rate of a conversion metric).
    pub mean: f64,
}

/// Both corrections of one p-value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Corrections {
    pub holm_bonferroni: f64,
    pub benjamini_hochberg: f64,
}

/// A treatment against control for one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricComparison {
    pub group: String,
    pub result: Comparison,
    /// The relative p-values adjusted over the experiment's goal comparisons (every goal
    /// metric, every treatment: GrowthBook's family), for the fixed and the sequential test;
    /// a guardrail's are its own.
    pub adjusted_fixed: Corrections,
    pub adjusted_sequential: Corrections,
    /// CUPED's adjustment, when it applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cuped: Option<CupedEffect>,
    /// `None` while control has no mean or no variance.
    pub planning: Option<Planning>,
}

/// One metric's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricResults {
    pub metric: MetricInfo,
    /// Whether this is the experiment's primary metric (its first goal).
    pub primary: bool,
    pub groups: Vec<MetricGroup>,
    pub comparisons: Vec<MetricComparison>,
}

/// An experiment's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentResults {
    pub experiment: String,
    pub control: String,
    pub groups: Vec<GroupExposure>,
    pub total_users: u64,
    pub sample_ratio: SampleRatio,
    pub settings: Settings,
    pub metrics: Vec<MetricResults>,
    /// Records the pages reported dropping from their full queues.
    #[serde(default)]
    pub dropped_by_clients: u64,
    #[serde(default)]
    pub excluded: Vec<Excluded>,
    /// Metrics that could not be computed this time, with why: left out of `metrics` (and of
    /// the corrections), while the others are served.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unavailable: Vec<UnavailableMetric>,
    /// The results at the end of each UTC day with new users, cumulated
    /// ([`crate::over_time`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub over_time: Vec<crate::over_time::DayResults>,
}

/// A metric an answer leaves out because its figures could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnavailableMetric {
    /// The metric's name.
    pub metric: String,
    /// Why, in a sentence.
    pub reason: String,
}

impl UnavailableMetric {
    /// What the answer leaves out and why, for people.
    ///
    /// ```
    /// # use cohort_stats::UnavailableMetric;
    /// let part = UnavailableMetric { metric: "revenue".into(), reason: "the query timed out".into() };
    /// assert_eq!(part.sentence(), "Metric revenue is not shown: the query timed out.");
    /// ```
    pub fn sentence(&self) -> String {
        format!("Metric {} is not shown: {}.", self.metric, self.reason)
    }
}

/// What an analysis needs: the groups (control first, with their configured shares), each
/// metric with its groups' statistics (in the same order), and the settings.
pub struct ExperimentInput<'a> {
    pub experiment: &'a str,
    /// The groups, control first; `None` weights for groups the rules do not have.
    pub groups: Vec<(String, Option<f64>)>,
    /// Users exposed to each group.
    pub exposed: Vec<u64>,
    /// Each metric, with each group's statistics.
    pub metrics: Vec<(MetricInfo, Vec<ArmStats>)>,
    pub settings: Settings,
}

/// Analyses an experiment.
pub fn analyze(input: ExperimentInput<'_>) -> ExperimentResults {
    let control = input
        .groups
        .first()
        .map_or_else(|| "Control".to_owned(), |(g, _)| g.clone());
    let total_users = input.exposed.iter().sum();
    let weights: Vec<f64> = input.groups.iter().map(|(_, w)| w.unwrap_or(0.0)).collect();
    let p_value = if input.groups.len() >= 2 {
        check_srm(&input.exposed, &weights)
    } else {
        1.0
    };
    let settings = input.settings;
    let mut metrics: Vec<MetricResults> = Vec::with_capacity(input.metrics.len());
    for (i, (info, arms)) in input.metrics.into_iter().enumerate() {
        let options = Options {
            alpha: settings.alpha,
            sequential_tuning: settings.sequential_tuning,
            inverse: info.inverse,
            ..Options::default()
        };
        let groups = input
            .groups
            .iter()
            .zip(&arms)
            .map(|((group, _), stats)| MetricGroup {
                group: group.clone(),
                stats: *stats,
                mean: stats.mean_value(),
            })
            .collect();
        let no_correction = Corrections {
            holm_bonferroni: 1.0,
            benjamini_hochberg: 1.0,
        };
        let comparisons = match arms.first() {
            Some(control_arm) => input
                .groups
                .iter()
                .zip(&arms)
                .skip(1)
                .filter(|((_, weight), _)| weight.is_some())
                .map(|((group, _), arm)| MetricComparison {
                    group: group.clone(),
                    result: compare(control_arm, arm, &options),
                    adjusted_fixed: no_correction,
                    adjusted_sequential: no_correction,
                    cuped: cuped_effect(control_arm, arm),
                    planning: plan(
                        control_arm,
                        arm,
                        settings.alpha,
                        settings.sequential_tuning,
                        settings.target_lift,
                    ),
                })
                .collect(),
            None => Vec::new(),
        };
        metrics.push(MetricResults {
            metric: info,
            primary: i == 0,
            groups,
            comparisons,
        });
    }
    adjust(&mut metrics);
    ExperimentResults {
        experiment: input.experiment.to_owned(),
        control,
        groups: input
            .groups
            .iter()
            .zip(&input.exposed)
            .map(|((group, weight), &users)| GroupExposure {
                group: group.clone(),
                weight: *weight,
                users,
            })
            .collect(),
        total_users,
        sample_ratio: SampleRatio {
            p_value,
            mismatch: p_value < SRM_THRESHOLD,
        },
        settings,
        metrics,
        dropped_by_clients: 0,
        excluded: Vec::new(),
        unavailable: Vec::new(),
        over_time: Vec::new(),
    }
}

/// CUPED's coefficient and how much narrower it made the relative lift's interval, when the
/// groups carry covariates and it applied.
fn cuped_effect(control: &ArmStats, treatment: &ArmStats) -> Option<CupedEffect> {
    let theta = Pair::new(control, treatment).theta?;
    let plain = |a: &ArmStats| ArmStats {
        covariate: None,
        ..*a
    };
    let with = Pair::new(control, treatment).variance(Difference::Relative);
    let without = Pair::new(&plain(control), &plain(treatment)).variance(Difference::Relative);
    let narrower = 1.0 - (with / without).sqrt();
    Some(CupedEffect {
        theta,
        narrower: if narrower.is_finite() { narrower } else { 0.0 },
    })
}

/// Holm-Bonferroni and Benjamini-Hochberg over every comparison of every goal metric (the
/// family GrowthBook corrects over: the goal metrics times the variations); a guardrail's
/// p-values are left as they are.
fn adjust(metrics: &mut [MetricResults]) {
    for m in metrics.iter_mut().filter(|m| m.metric.guardrail) {
        for c in &mut m.comparisons {
            let own = |p: f64| Corrections {
                holm_bonferroni: p,
                benjamini_hochberg: p,
            };
            c.adjusted_fixed = own(c.result.fixed.relative.p_value);
            c.adjusted_sequential = own(c.result.sequential.relative.p_value);
        }
    }
    let goals = || metrics.iter().filter(|m| !m.metric.guardrail);
    let fixed: Vec<f64> = goals()
        .flat_map(|m| {
            m.comparisons
                .iter()
                .map(|c| c.result.fixed.relative.p_value)
        })
        .collect();
    let sequential: Vec<f64> = goals()
        .flat_map(|m| {
            m.comparisons
                .iter()
                .map(|c| c.result.sequential.relative.p_value)
        })
        .collect();
    let (fixed_holm, fixed_bh) = (holm_bonferroni(&fixed), benjamini_hochberg(&fixed));
    let (seq_holm, seq_bh) = (
        holm_bonferroni(&sequential),
        benjamini_hochberg(&sequential),
    );
    let comparisons = metrics
        .iter_mut()
        .filter(|m| !m.metric.guardrail)
        .flat_map(|m| m.comparisons.iter_mut());
    for (i, c) in comparisons.enumerate() {
        c.adjusted_fixed = Corrections {
            holm_bonferroni: fixed_holm[i],
            benjamini_hochberg: fixed_bh[i],
        };
        c.adjusted_sequential = Corrections {
            holm_bonferroni: seq_holm[i],
            benjamini_hochberg: seq_bh[i],
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &str, kind: &str) -> MetricInfo {
        MetricInfo {
            name: name.into(),
            event: name.into(),
            kind: kind.into(),
            ..MetricInfo::default()
        }
    }

    fn settings() -> Settings {
        Settings {
            alpha: 0.05,
            sequential_tuning: 5000.0,
            target_lift: 0.1,
        }
    }

    #[test]
    fn every_metric_is_compared_and_corrected_over_the_experiment() {
        let groups = vec![
            ("Control".to_string(), Some(0.5)),
            ("Red".to_string(), Some(0.5)),
            ("Stray".to_string(), None),
        ];
        let results = analyze(ExperimentInput {
            experiment: "e",
            groups,
            exposed: vec![5418, 5462, 3],
            metrics: vec![
                (
                    info("signup", "conversion"),
                    vec![
                        ArmStats::proportion(5418, 138),
                        ArmStats::proportion(5462, 184),
                        ArmStats::proportion(3, 0),
                    ],
                ),
                (
                    info("clicks", "count"),
                    vec![
                        ArmStats::mean(5418, 600.0, 900.0),
                        ArmStats::mean(5462, 610.0, 920.0),
                        ArmStats::mean(3, 0.0, 0.0),
                    ],
                ),
            ],
            settings: settings(),
        });
        assert_eq!(results.control, "Control");
        assert_eq!(results.total_users, 5418 + 5462 + 3);
        assert_eq!(results.groups[2].weight, None);
        assert!(results.metrics[0].primary && !results.metrics[1].primary);
        // The stray group is shown but not compared.
        assert_eq!(results.metrics[0].groups.len(), 3);
        assert_eq!(results.metrics[0].comparisons.len(), 1);
        // SPEC.md's worked example: Red vs Control, fixed relative p = 0.027966970.
        let red = &results.metrics[0].comparisons[0];
        assert!((red.result.fixed.relative.p_value - 0.027966970).abs() < 1e-8);
        // Two comparisons in the family: Holm doubles the smaller p-value.
        let clicks = &results.metrics[1].comparisons[0];
        let (a, b) = (
            red.result.fixed.relative.p_value,
            clicks.result.fixed.relative.p_value,
        );
        let smaller = a.min(b);
        let adjusted = if a <= b { red } else { clicks };
        assert!((adjusted.adjusted_fixed.holm_bonferroni - (2.0 * smaller).min(1.0)).abs() < 1e-15);
        assert!(red.planning.is_some());
        assert!(!results.sample_ratio.mismatch);
    }

    #[test]
    fn guardrails_are_left_out_of_the_corrections_and_their_failures_are_said() {
        let guardrail = MetricInfo {
            guardrail: true,
            ..info("tasks_added", "count")
        };
        let results = analyze(ExperimentInput {
            experiment: "e",
            groups: vec![("Control".into(), Some(0.5)), ("Red".into(), Some(0.5))],
            exposed: vec![50_000, 50_000],
            metrics: vec![
                (
                    info("signup", "conversion"),
                    vec![
                        ArmStats::proportion(50_000, 2500),
                        ArmStats::proportion(50_000, 2600),
                    ],
                ),
                (
                    guardrail,
                    vec![
                        ArmStats::mean(50_000, 100_000.0, 300_000.0),
                        ArmStats::mean(50_000, 90_000.0, 270_000.0),
                    ],
                ),
            ],
            settings: settings(),
        });
        // One goal comparison: Holm leaves its p-value as it is; the guardrail keeps its own.
        for m in &results.metrics {
            let c = &m.comparisons[0];
            assert_eq!(
                c.adjusted_fixed.holm_bonferroni,
                c.result.fixed.relative.p_value
            );
        }
        assert_eq!(
            results.guardrail_failures(Engine::Sequential),
            [("Red", "tasks_added")]
        );
        let said = crate::verdict::metric_sentences(
            &results.metrics[1],
            Engine::Sequential,
            0.05,
            "Control",
        );
        assert!(
            said[0]
                .sentence
                .starts_with("Guardrail tasks_added fails for Red: -10.0%"),
            "{}",
            said[0].sentence
        );
    }

    #[test]
    fn cuped_says_how_much_narrower_it_made_the_interval() {
        use crate::moments::Joint;
        // Users whose post value is their pre value plus a little noise.
        let control = ArmStats::mean(1000, 3000.0, 13_000.0)
            .with_covariate(Joint::mean(2900.0, 12_000.0, 12_400.0));
        let treatment = ArmStats::mean(1000, 3300.0, 15_000.0)
            .with_covariate(Joint::mean(2950.0, 12_300.0, 13_300.0));
        let effect = cuped_effect(&control, &treatment).unwrap();
        assert!(effect.theta > 0.5, "{effect:?}");
        let plain = |a: &ArmStats| ArmStats {
            covariate: None,
            ..*a
        };
        let with = compare(&control, &treatment, &Options::default());
        let without = compare(&plain(&control), &plain(&treatment), &Options::default());
        let width = |c: &Comparison| c.sequential.relative.ci.1 - c.sequential.relative.ci.0;
        let narrower = 1.0 - width(&with) / width(&without);
        assert!(
            (effect.narrower - narrower).abs() < 1e-12 && narrower > 0.3,
            "{} vs {narrower}",
            effect.narrower
        );
        assert_eq!(cuped_effect(&plain(&control), &plain(&treatment)), None);
    }

    #[test]
    fn nothing_exposed_is_no_mismatch_and_no_result() {
        let results = analyze(ExperimentInput {
            experiment: "e",
            groups: vec![("Control".into(), Some(0.5)), ("Red".into(), Some(0.5))],
            exposed: vec![0, 0],
            metrics: vec![(
                info("signup", "conversion"),
                vec![ArmStats::proportion(0, 0), ArmStats::proportion(0, 0)],
            )],
            settings: settings(),
        });
        assert_eq!(results.sample_ratio.p_value, 1.0);
        assert!(!results.sample_ratio.mismatch);
        let c = &results.metrics[0].comparisons[0];
        assert!(c.result.sequential.relative.error.is_some());
        assert!(c.planning.is_none());
    }
}
