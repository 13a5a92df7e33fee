//! What a comparison says, in plain words: a treatment wins or loses, there is no difference
//! worth finding, there is not enough data yet, or there is no result yet and why. While the
//! data cannot yet detect the target lift, there is no verdict: "not enough data yet".

use serde::{Deserialize, Serialize};

use crate::analysis::{Engine, MetricComparison, MetricInfo, MetricResults};
use crate::effect::NoResult;
use crate::format::{short_percent, signed_percent};

/// What one comparison, read with one engine, comes to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Significantly better than control.
    Better { lift: f64, ci: (f64, f64) },
    /// Significantly worse than control.
    Worse { lift: f64, ci: (f64, f64) },
    /// Not significant, and the data could have detected the target lift: any effect is
    /// likely smaller.
    NoDifference { target_lift: f64 },
    /// Not significant, and the data cannot yet detect the target lift.
    NotEnoughData {
        target_lift: f64,
        /// More users, in the two groups compared, to detect it (when that can be said).
        more_users: Option<u64>,
    },
    /// No result yet.
    NoResult { reason: NoResult },
}

impl MetricComparison {
    /// The relative lift and its interval read with `engine` (the Bayesian posterior's
    /// expected lift and credible interval).
    pub fn lift(&self, engine: Engine) -> (f64, (f64, f64)) {
        let r = &self.result;
        match engine {
            Engine::Sequential => (r.sequential.relative.estimate, r.sequential.relative.ci),
            Engine::Fixed => (r.fixed.relative.estimate, r.fixed.relative.ci),
            Engine::Bayesian => (r.bayesian.relative.expected, r.bayesian.relative.ci),
        }
    }

    /// The verdict of this comparison read with `engine`, at level `alpha`; `inverse`
    /// metrics (as the comparison was computed for) are better when lower.
    pub fn verdict(&self, engine: Engine, alpha: f64, inverse: bool) -> Verdict {
        let r = &self.result;
        let (error, significant, lift, ci) = match engine {
            Engine::Sequential => {
                let s = &r.sequential.relative;
                (s.error, s.p_value < alpha, s.estimate, s.ci)
            }
            Engine::Fixed => {
                let f = &r.fixed.relative;
                (f.error, f.p_value < alpha, f.estimate, f.ci)
            }
            Engine::Bayesian => {
                let b = &r.bayesian.relative;
                let ctw = b.chance_to_win;
                (
                    b.error,
                    ctw >= 1.0 - alpha || ctw <= alpha,
                    b.expected,
                    b.ci,
                )
            }
        };
        if let Some(reason) = error {
            return Verdict::NoResult { reason };
        }
        if significant {
            let better = match engine {
                // The chance to win is already flipped for inverse metrics.
                Engine::Bayesian => r.bayesian.relative.chance_to_win >= 1.0 - alpha,
                _ => (lift > 0.0) != inverse,
            };
            return if better {
                Verdict::Better { lift, ci }
            } else {
                Verdict::Worse { lift, ci }
            };
        }
        match &self.planning {
            Some(p) => {
                let (mde, more) = match engine {
                    Engine::Sequential => (p.mde_sequential, p.more_users_sequential),
                    Engine::Fixed | Engine::Bayesian => (p.mde_fixed, Some(p.more_users_fixed)),
                };
                if mde <= p.target_lift {
                    Verdict::NoDifference {
                        target_lift: p.target_lift,
                    }
                } else {
                    Verdict::NotEnoughData {
                        target_lift: p.target_lift,
                        more_users: more,
                    }
                }
            }
            None => Verdict::NoResult {
                reason: NoResult::ZeroVariance,
            },
        }
    }
}

impl Verdict {
    /// A short label: `wins`, `loses`, `no difference`, `not enough data yet`, `no result`.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Better { .. } => "wins",
            Verdict::Worse { .. } => "loses",
            Verdict::NoDifference { .. } => "no difference",
            Verdict::NotEnoughData { .. } => "not enough data yet",
            Verdict::NoResult { .. } => "no result",
        }
    }

    /// The verdict as a sentence about `group` against `control` on `metric`.
    pub fn sentence(&self, group: &str, control: &str, metric: &MetricInfo) -> String {
        let name = &metric.name;
        match self {
            Verdict::Better { lift, ci } => format!(
                "{group} beats {control} on {name}: {} (95% interval {} to {}).",
                signed_percent(*lift, 1),
                signed_percent(ci.0, 1),
                signed_percent(ci.1, 1)
            ),
            Verdict::Worse { lift, ci } if metric.guardrail => format!(
                "Guardrail {name} fails for {group}: {} against {control} (95% interval {} to \
                 {}). Do not ship {group} as it is.",
                signed_percent(*lift, 1),
                signed_percent(ci.0, 1),
                signed_percent(ci.1, 1)
            ),
            Verdict::Worse { lift, ci } => format!(
                "{group} does worse than {control} on {name}: {} (95% interval {} to {}).",
                signed_percent(*lift, 1),
                signed_percent(ci.0, 1),
                signed_percent(ci.1, 1)
            ),
            Verdict::NoDifference { target_lift } => format!(
                "No difference between {group} and {control} on {name}: a lift of {} or more \
                 would most likely have shown by now.",
                short_percent(*target_lift)
            ),
            Verdict::NotEnoughData {
                target_lift,
                more_users,
            } => match more_users {
                Some(n) => format!(
                    "Not enough data yet for {group} on {name}: about {} more users in these two \
                     groups to detect a lift of {}.",
                    thousands(*n),
                    short_percent(*target_lift)
                ),
                None => format!(
                    "Not enough data yet for {group} on {name}: far more users are needed to \
                     detect a lift of {}.",
                    short_percent(*target_lift)
                ),
            },
            Verdict::NoResult { reason } => {
                format!("No result yet for {group} on {name}: {}.", reason.explain())
            }
        }
    }
}

impl crate::analysis::ExperimentResults {
    /// The guardrails a treatment makes significantly worse, read with `engine`: (treatment,
    /// guardrail metric) pairs, in the results' order.
    pub fn guardrail_failures(&self, engine: Engine) -> Vec<(&str, &str)> {
        let alpha = self.settings.alpha;
        self.metrics
            .iter()
            .filter(|m| m.metric.guardrail)
            .flat_map(|m| {
                m.comparisons.iter().filter_map(move |c| {
                    matches!(
                        c.verdict(engine, alpha, m.metric.inverse),
                        Verdict::Worse { .. }
                    )
                    .then_some((c.group.as_str(), m.metric.name.as_str()))
                })
            })
            .collect()
    }
}

/// One thing said of a metric: of which treatments, their verdict's label, and the sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub groups: Vec<String>,
    pub label: &'static str,
    pub sentence: String,
}

/// A metric's verdicts in words, read with `engine` at `alpha`: a sentence per treatment, but
/// said once for all of them when every treatment has no result for the same reason, or
/// every one is still short of data (then with the most users any of them needs).
pub fn metric_sentences(
    metric: &MetricResults,
    engine: Engine,
    alpha: f64,
    control: &str,
) -> Vec<Said> {
    let info = &metric.metric;
    let verdicts: Vec<(&str, Verdict)> = metric
        .comparisons
        .iter()
        .map(|c| (c.group.as_str(), c.verdict(engine, alpha, info.inverse)))
        .collect();
    let all = || verdicts.iter().map(|(g, _)| (*g).to_owned()).collect();
    let name = &info.name;
    if verdicts.len() >= 2 {
        if let Verdict::NoResult { reason } = verdicts[0].1 {
            if verdicts
                .iter()
                .all(|(_, v)| *v == Verdict::NoResult { reason })
            {
                return vec![Said {
                    groups: all(),
                    label: "no result",
                    sentence: format!(
                        "No result yet on {name} for any group: {}.",
                        reason.explain()
                    ),
                }];
            }
        }
        let short: Option<Vec<(f64, Option<u64>)>> = verdicts
            .iter()
            .map(|(_, v)| match v {
                Verdict::NotEnoughData {
                    target_lift,
                    more_users,
                } => Some((*target_lift, *more_users)),
                _ => None,
            })
            .collect();
        if let Some(short) = short {
            let target = short[0].0;
            let most = short
                .iter()
                .map(|(_, n)| *n)
                .try_fold(0u64, |most, n| n.map(|n| most.max(n)));
            let needs = match most {
                Some(n) => format!("about {} more users in each pair of groups", thousands(n)),
                None => "far more users".to_owned(),
            };
            return vec![Said {
                groups: all(),
                label: "not enough data yet",
                sentence: format!(
                    "Not enough data yet on {name} for any group against {control}: {needs} \
                     to detect a lift of {}.",
                    short_percent(target)
                ),
            }];
        }
    }
    verdicts
        .iter()
        .map(|(group, verdict)| Said {
            groups: vec![(*group).to_owned()],
            label: verdict.label(),
            sentence: verdict.sentence(group, control, info),
        })
        .collect()
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{analyze, ExperimentInput, Settings};
    use crate::moments::ArmStats;

    fn comparison(control: ArmStats, treatment: ArmStats) -> (MetricComparison, MetricInfo) {
        compared(control, treatment, false)
    }

    fn compared(
        control: ArmStats,
        treatment: ArmStats,
        inverse: bool,
    ) -> (MetricComparison, MetricInfo) {
        let info = MetricInfo {
            name: "signup".into(),
            event: "visited_signup".into(),
            kind: "conversion".into(),
            inverse,
            description: None,
            ..MetricInfo::default()
        };
        let results = analyze(ExperimentInput {
            experiment: "e",
            groups: vec![("Control".into(), Some(0.5)), ("Red".into(), Some(0.5))],
            exposed: vec![control.users, treatment.users],
            metrics: vec![(info.clone(), vec![control, treatment])],
            settings: Settings {
                alpha: 0.05,
                sequential_tuning: 5000.0,
                target_lift: 0.1,
            },
        });
        (results.metrics[0].comparisons[0].clone(), info)
    }

    #[test]
    fn verdicts_in_words() {
        // A large, clear win.
        let (win, lose) = (
            ArmStats::proportion(50_000, 2500),
            ArmStats::proportion(50_000, 3000),
        );
        let (c, info) = comparison(win, lose);
        let (inverse, _) = compared(win, lose, true);
        for engine in Engine::ALL {
            let v = c.verdict(engine, 0.05, false);
            assert_eq!(v.label(), "wins", "{engine:?}");
            assert!(v
                .sentence("Red", "Control", &info)
                .starts_with("Red beats Control on signup: +20.0%"));
            // For a metric where lower is better the same data is a loss.
            assert_eq!(
                inverse.verdict(engine, 0.05, true).label(),
                "loses",
                "{engine:?}"
            );
        }
        // Little data, no effect: not enough data yet, with how many more users.
        let (c, info) = comparison(ArmStats::proportion(200, 10), ArmStats::proportion(200, 10));
        let v = c.verdict(Engine::Sequential, 0.05, false);
        assert_eq!(v.label(), "not enough data yet");
        assert!(v
            .sentence("Red", "Control", &info)
            .contains("more users in these two groups to detect a lift of 10%"));
        // Much data, no effect: no difference.
        let (c, _) = comparison(
            ArmStats::proportion(400_000, 20_000),
            ArmStats::proportion(400_000, 20_050),
        );
        assert_eq!(
            c.verdict(Engine::Fixed, 0.05, false).label(),
            "no difference"
        );
        // No conversions anywhere: no result, and why.
        let (c, info) = comparison(ArmStats::proportion(100, 0), ArmStats::proportion(100, 0));
        let v = c.verdict(Engine::Bayesian, 0.05, false);
        assert_eq!(v.label(), "no result");
        assert!(v
            .sentence("Red", "Control", &info)
            .contains("control's mean is zero"));
    }

    /// A metric over three treatments and control.
    fn three_treatments(arms: [ArmStats; 4]) -> MetricResults {
        let info = MetricInfo {
            name: "signup".into(),
            event: "visited_signup".into(),
            kind: "conversion".into(),
            inverse: false,
            description: None,
            ..MetricInfo::default()
        };
        let groups = ["Control", "Red", "Green", "Orange"];
        analyze(ExperimentInput {
            experiment: "e",
            groups: groups.iter().map(|g| ((*g).into(), Some(0.25))).collect(),
            exposed: arms.iter().map(|a| a.users).collect(),
            metrics: vec![(info, arms.to_vec())],
            settings: Settings {
                alpha: 0.05,
                sequential_tuning: 5000.0,
                target_lift: 0.1,
            },
        })
        .metrics
        .remove(0)
    }

    #[test]
    fn a_metric_without_a_result_or_short_of_data_for_every_group_says_so_once() {
        let none = three_treatments([ArmStats::proportion(4, 0); 4]);
        let said = metric_sentences(&none, Engine::Sequential, 0.05, "Control");
        assert_eq!(said.len(), 1, "{said:?}");
        assert_eq!(said[0].groups, ["Red", "Green", "Orange"]);
        assert_eq!(
            said[0].sentence,
            format!(
                "No result yet on signup for any group: {}.",
                NoResult::ZeroBaseline.explain()
            )
        );
        let short = three_treatments([
            ArmStats::proportion(200, 10),
            ArmStats::proportion(200, 11),
            ArmStats::proportion(200, 9),
            ArmStats::proportion(200, 12),
        ]);
        let said = metric_sentences(&short, Engine::Sequential, 0.05, "Control");
        assert_eq!(said.len(), 1, "{said:?}");
        assert_eq!(said[0].label, "not enough data yet");
        let most = short
            .comparisons
            .iter()
            .filter_map(|c| c.planning.as_ref()?.more_users_sequential)
            .max()
            .unwrap();
        assert!(
            said[0].sentence.starts_with(&format!(
                "Not enough data yet on signup for any group against Control: about {} more users",
                thousands(most)
            )),
            "{}",
            said[0].sentence
        );
        // A clear result for one group: each group said on its own.
        let mixed = three_treatments([
            ArmStats::proportion(50_000, 2500),
            ArmStats::proportion(50_000, 3000),
            ArmStats::proportion(200, 10),
            ArmStats::proportion(200, 10),
        ]);
        let said = metric_sentences(&mixed, Engine::Fixed, 0.05, "Control");
        assert_eq!(said.len(), 3);
        assert_eq!(said[0].label, "wins");
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
