//! One metric's results read with one engine: each group's value, each treatment's lift with
//! its interval and p-value (or chance to win), a forest plot, what the data can detect so
//! far, and a verdict in words.

use cohort_stats::analysis::{MetricComparison, MetricInfo};
use cohort_stats::format::{percent, short_percent, signed_percent};
use cohort_stats::verdict::{metric_sentences, thousands};
use cohort_stats::{Engine, MetricResults};
use leptos::prelude::*;

use crate::forest::{ForestPlot, Lift};
use crate::over_time::OverTimeChart;
use cohort_stats::over_time::DayResults;

/// A comparison's lift, interval and last column under `engine`.
fn figures(c: &MetricComparison, engine: Engine) -> (f64, (f64, f64), String, Option<String>) {
    match engine {
        Engine::Sequential => {
            let r = &c.result.sequential.relative;
            let adjusted = format!(
                "Holm {:.3} · BH {:.3}",
                c.adjusted_sequential.holm_bonferroni, c.adjusted_sequential.benjamini_hochberg
            );
            (
                r.estimate,
                r.ci,
                format!("{:.4}", r.p_value),
                Some(adjusted),
            )
        }
        Engine::Fixed => {
            let r = &c.result.fixed.relative;
            let adjusted = format!(
                "Holm {:.3} · BH {:.3}",
                c.adjusted_fixed.holm_bonferroni, c.adjusted_fixed.benjamini_hochberg
            );
            (
                r.estimate,
                r.ci,
                format!("{:.4}", r.p_value),
                Some(adjusted),
            )
        }
        Engine::Bayesian => {
            let r = &c.result.bayesian.relative;
            (r.expected, r.ci, percent(r.chance_to_win, 1), None)
        }
    }
}

/// The value of a metric for a group: a rate, or a mean per user.
fn value(info: &MetricInfo, mean: f64) -> String {
    if info.kind == "conversion" {
        percent(mean, 2)
    } else {
        format!("{mean:.3}")
    }
}

/// How a metric's figures are adjusted, in words: CUPED and a cap, each with a short name.
pub fn adjustments(info: &MetricInfo) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(days) = info.cuped_lookback_days {
        out.push((
            "cuped",
            format!(
                "CUPED: lifts are adjusted by each user's own value over the {} before their \
                 first exposure, which narrows the intervals.",
                days_text(days)
            ),
        ));
    }
    if let Some(cap) = &info.cap {
        let at = if cap.kind == "percentile" {
            format!(
                "the {} percentile of the users' values{}",
                short_percent(cap.value).trim_end_matches('%').to_owned() + "th",
                if cap.ignore_zeros {
                    " (zeros left out)"
                } else {
                    ""
                }
            )
        } else {
            format!("{}", cap.value)
        };
        let now = match (cap.kind.as_str(), cap.bound, cap.denominator_bound) {
            ("percentile", Some(b), Some(d)) => format!(": {b:.4} and {d:.4} now"),
            ("percentile", Some(b), None) => format!(": {b:.4} now"),
            _ => String::new(),
        };
        out.push((
            "cap",
            format!("Capped: each user's value counts at most {at}{now}, so that one user cannot drown the rest."),
        ));
    }
    out
}

/// A number of days in words.
fn days_text(days: f64) -> String {
    if days == 1.0 {
        "day".to_owned()
    } else if days.fract() == 0.0 {
        format!("{days} days")
    } else {
        format!("{:.1} hours", days * 24.0)
    }
}

/// A metric's verdicts as list items (said once for every group when they are all short of
/// data, or without a result for the same reason).
pub fn verdict_items(
    metric: &MetricResults,
    engine: Engine,
    alpha: f64,
    control: &str,
) -> impl IntoView {
    metric_sentences(metric, engine, alpha, control)
        .into_iter()
        .map(|said| {
            view! {
                <li data-group=said.groups.join(" ") data-verdict=said.label>
                    {said.sentence}
                </li>
            }
        })
        .collect_view()
}

/// What the data so far can detect, for one comparison.
fn planning_line(c: &MetricComparison, engine: Engine) -> Option<String> {
    let p = c.planning.as_ref()?;
    let (mde, more) = match engine {
        Engine::Sequential => (p.mde_sequential, p.more_users_sequential),
        _ => (p.mde_fixed, Some(p.more_users_fixed)),
    };
    let needs = match more {
        Some(0) => format!(
            "enough to detect a lift of {}",
            short_percent(p.target_lift)
        ),
        Some(n) => format!(
            "about {} more users to detect {}",
            thousands(n),
            short_percent(p.target_lift)
        ),
        None => format!("far more users to detect {}", short_percent(p.target_lift)),
    };
    Some(format!(
        "{}: can detect a lift of ±{} now (80% power); {needs}.",
        c.group,
        percent(mde, 1)
    ))
}

/// A metric's card; `over_time` is the experiment's results by day (charted when this metric
/// has lifts in it).
#[component]
pub fn MetricCard(
    metric: MetricResults,
    control: String,
    alpha: f64,
    engine: Engine,
    #[prop(optional)] over_time: Vec<DayResults>,
) -> impl IntoView {
    let info = metric.metric.clone();
    let title_id = format!("metric-{}", info.name);
    let labelled_by = title_id.clone();
    let last_heading = match engine {
        Engine::Bayesian => "Chance to win",
        _ => "p-value",
    };
    let lift_heading = format!("Lift vs {control} (95% CI)");
    let rows = metric
        .groups
        .iter()
        .map(|g| {
            let comparison = metric.comparisons.iter().find(|c| c.group == g.group);
            let (lift, ci, last, adjusted, verdict) = match comparison {
                Some(c) => {
                    let verdict = c.verdict(engine, alpha, info.inverse);
                    let (estimate, ci, last, adjusted) = figures(c, engine);
                    if verdict.label() == "no result" {
                        (
                            "–".to_owned(),
                            String::new(),
                            "–".to_owned(),
                            None,
                            verdict.label(),
                        )
                    } else {
                        (
                            signed_percent(estimate, 1),
                            format!("{} to {}", signed_percent(ci.0, 1), signed_percent(ci.1, 1)),
                            last,
                            adjusted,
                            verdict.label(),
                        )
                    }
                }
                None if g.group == control => (
                    "control".to_owned(),
                    String::new(),
                    "–".to_owned(),
                    None,
                    "",
                ),
                None => ("–".to_owned(), String::new(), "–".to_owned(), None, ""),
            };
            view! {
                <tr role="row" data-group=g.group.clone() data-verdict=verdict>
                    <th scope="row" role="rowheader">{g.group.clone()}</th>
                    <td role="cell" data-label="Users">{thousands(g.stats.users)}</td>
                    <td role="cell" data-label="Value" data-testid="value">
                        {value(&info, g.mean)}
                    </td>
                    <td role="cell" data-label=lift_heading.clone()>
                        <span class="figure">{lift}</span>
                        <span class="ci">{ci}</span>
                    </td>
                    <td role="cell" data-label=last_heading>
                        <span class="figure">{last}</span>
                        <span class="ci">{adjusted}</span>
                    </td>
                    <td role="cell" data-label="Verdict" class="verdict">{verdict}</td>
                </tr>
            }
        })
        .collect_view();
    let lifts: Vec<Lift> = metric
        .comparisons
        .iter()
        .filter(|c| c.verdict(engine, alpha, info.inverse).label() != "no result")
        .map(|c| {
            let (estimate, ci, _, _) = figures(c, engine);
            Lift {
                group: c.group.clone(),
                estimate,
                ci,
            }
        })
        .collect();
    let groups: Vec<String> = metric.groups.iter().map(|g| g.group.clone()).collect();
    let sentences = verdict_items(&metric, engine, alpha, &control);
    let planning = metric
        .comparisons
        .iter()
        .filter_map(|c| planning_line(c, engine))
        .map(|line| view! { <li>{line}</li> })
        .collect_view();
    let kind = match (info.kind.as_str(), &info.ratio) {
        (_, Some((numerator, denominator))) => view! {
            "A ratio: the group's total of "
            <code>{numerator.clone()}</code>
            " over its total of "
            <code>{denominator.clone()}</code>
        }
        .into_any(),
        ("conversion", _) => {
            view! { "The share of exposed users who did " <code>{info.event.clone()}</code> }
                .into_any()
        }
        ("count", _) => {
            view! { "Times per exposed user: " <code>{info.event.clone()}</code> }.into_any()
        }
        _ => {
            view! { "The total per exposed user of " <code>{info.event.clone()}</code> }.into_any()
        }
    };
    let adjustments = adjustments(&info);
    let cuped = metric
        .comparisons
        .iter()
        .filter_map(|c| {
            let effect = c.cuped?;
            let change = if effect.narrower >= 0.0 {
                format!("{} narrower", percent(effect.narrower, 0))
            } else {
                format!("{} wider", percent(-effect.narrower, 0))
            };
            Some(view! {
                <li data-group=c.group.clone() data-narrower=effect.narrower.to_string()>
                    {format!(
                        "{}: CUPED made the interval {change} than without it (θ = {:.3}).",
                        c.group, effect.theta
                    )}
                </li>
            })
        })
        .collect_view();
    view! {
        <section
            class="card metric"
            aria-labelledby=labelled_by
            data-testid="metric-card"
            data-metric=info.name.clone()
        >
            <h2 id=title_id>
                {info.name.clone()}
                {metric.primary.then(|| view! { <span class="badge small">"primary"</span> })}
                {info.guardrail.then(|| view! { <span class="badge small">"guardrail"</span> })}
            </h2>
            <p class="hint">
                {info.description.clone().map(|d| format!("{d}. "))}
                {kind}
                {info.inverse.then_some(" (lower is better)")}
            </p>
            {(!adjustments.is_empty())
                .then(|| {
                    view! {
                        <ul class="hint adjustments" data-testid="adjustments">
                            {adjustments
                                .into_iter()
                                .map(|(what, line)| view! { <li data-adjustment=what>{line}</li> })
                                .collect_view()}
                        </ul>
                    }
                })}
            <ul class="verdicts" data-testid="verdicts">{sentences}</ul>
            <table class="results-table" role="table" data-testid="results-table">
                <thead role="rowgroup">
                    <tr role="row">
                        <th scope="col" role="columnheader">"Group"</th>
                        <th scope="col" role="columnheader">"Users"</th>
                        <th scope="col" role="columnheader">"Value"</th>
                        <th scope="col" role="columnheader">{lift_heading.clone()}</th>
                        <th scope="col" role="columnheader">{last_heading}</th>
                        <th scope="col" role="columnheader">"Verdict"</th>
                    </tr>
                </thead>
                <tbody role="rowgroup">{rows}</tbody>
            </table>
            {if lifts.is_empty() {
                view! { <p class="hint" data-testid="no-lift">"No lift to plot yet."</p> }.into_any()
            } else {
                view! { <ForestPlot metric=info.name.clone() lifts groups=groups.clone() /> }
                    .into_any()
            }}
            <OverTimeChart metric=info.name.clone() days=over_time groups />
            <ul class="planning hint" data-testid="planning">{planning}</ul>
            <ul class="cuped hint" data-testid="cuped">{cuped}</ul>
        </section>
    }
}
