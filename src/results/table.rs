//! The results table, the sample-ratio verdict and the chart, for loaded results.

use cohort_stats::format::{percent, signed_percent};
use cohort_stats::{Excluded, GroupResult};
use leptos::prelude::*;

use super::chart::Chart;
use super::source::Loaded;

/// A percentage with two decimals.
pub(crate) fn pct(x: f64) -> String {
    percent(x, 2)
}

fn signed_pct(x: f64) -> String {
    signed_percent(x, 2)
}

/// What was kept out of the results, in words.
fn excluded_note(excluded: &[Excluded]) -> Option<String> {
    if excluded.is_empty() {
        return None;
    }
    let parts: Vec<String> = excluded
        .iter()
        .map(|e| {
            format!(
                "{} {}{} ({})",
                e.count,
                e.kind,
                if e.count == 1 { "" } else { "s" },
                e.reason
            )
        })
        .collect();
    Some(format!(
        "Kept out of these results: {}. Forged, or sent by a page built from other rules.",
        parts.join("; ")
    ))
}

/// The report: source, sample-ratio check, table and chart.
#[component]
pub fn Report(loaded: Loaded) -> impl IntoView {
    let analysis = loaded.results.analysis.clone();
    let dropped = loaded.results.dropped_by_clients;
    let srm = match analysis.sample_ratio {
        Some(s) if s.mismatch => view! {
            <p class="notice bad" data-testid="srm" data-mismatch="true">
                "Sample ratio mismatch: the groups' sizes differ from their weights (chi-square "
                {format!("{:.2}", s.test.statistic)} ", p = " {format!("{:.2e}", s.test.p_value)}
                "). Assignment or logging is losing users of some group: do not trust these results."
            </p>
        }
        .into_any(),
        Some(s) => view! {
            <p class="notice" data-testid="srm" data-mismatch="false">
                "Sample ratio OK: the groups' sizes match their weights (chi-square "
                {format!("{:.2}", s.test.statistic)} ", p = " {format!("{:.3}", s.test.p_value)} ")."
            </p>
        }
        .into_any(),
        None => view! {
            <p class="hint" data-testid="srm" data-mismatch="unknown">
                "Sample ratio: not enough users yet to check."
            </p>
        }
        .into_any(),
    };
    let rows = analysis
        .groups
        .iter()
        .map(|g| row(g, &analysis.control))
        .collect_view();
    let empty = analysis.total_exposed == 0;
    view! {
        <section class="card" aria-labelledby="table-title">
            <h2 id="table-title">
                "Conversion to " <code>{analysis.event.clone()}</code> ", "
                {analysis.total_exposed} " users exposed"
            </h2>
            <p class="hint" data-testid="results-source">"From " {loaded.source.clone()} "."</p>
            {loaded.note.clone().map(|n| view! { <p class="notice bad">{n}</p> })}
            {srm}
            {excluded_note(&loaded.results.excluded).map(|note| view! {
                <p class="notice bad" data-testid="excluded">{note}</p>
            })}
            {(dropped > 0).then(|| view! {
                <p class="hint">{dropped} " records were dropped by full queues before they could be sent."</p>
            })}
            {empty.then(|| view! {
                <p class="hint">"No exposures yet: open the experiment page (add ?random to play a new user each time)."</p>
            })}
            <table class="results-table" role="table" data-testid="results-table">
                <thead role="rowgroup">
                    <tr role="row">
                        <th scope="col" role="columnheader">"Group"</th>
                        <th scope="col" role="columnheader">"Weight"</th>
                        <th scope="col" role="columnheader">"Exposed"</th>
                        <th scope="col" role="columnheader">"Converted"</th>
                        <th scope="col" role="columnheader">"Rate (95% CI)"</th>
                        <th scope="col" role="columnheader">
                            "Lift vs " {analysis.control.clone()} " (95% CI)"
                        </th>
                        <th scope="col" role="columnheader">"p-value"</th>
                    </tr>
                </thead>
                <tbody role="rowgroup">{rows}</tbody>
            </table>
        </section>
        <section class="card" aria-labelledby="chart-title">
            <h2 id="chart-title">"Conversion rate by group"</h2>
            <Chart analysis=analysis.clone() />
        </section>
    }
}

/// One group's row. Each cell says what it is (`data-label`), for the narrow layout where
/// rows become cards; the ARIA roles keep the table's meaning when its display changes.
fn row(g: &GroupResult, control: &str) -> impl IntoView + use<> {
    let (rate, rate_ci) = match (g.rate, g.rate_ci) {
        (Some(r), Some((lo, hi))) => (pct(r), format!("{} to {}", pct(lo), pct(hi))),
        _ => ("–".into(), String::new()),
    };
    let lift_label = format!("Lift vs {control} (95% CI)");
    let (lift, lift_ci, p, significant) = match &g.vs_control {
        Some(c) => (
            format!(
                "{} ({})",
                signed_pct(c.absolute_lift),
                c.relative_lift.map_or("–".into(), signed_pct)
            ),
            format!(
                "{} to {}",
                signed_pct(c.absolute_ci.0),
                signed_pct(c.absolute_ci.1)
            ),
            format!("{:.4}", c.p_value),
            c.p_value < 0.05,
        ),
        None if g.group == control => ("control".into(), String::new(), "–".into(), false),
        None => ("–".into(), String::new(), "–".into(), false),
    };
    view! {
        <tr role="row" data-group=g.group.clone() class:significant=significant>
            <th scope="row" role="rowheader">{g.group.clone()}</th>
            <td role="cell" data-label="Weight">{g.weight.map_or("–".into(), pct)}</td>
            <td role="cell" data-label="Exposed" data-testid="exposed">{g.exposed}</td>
            <td role="cell" data-label="Converted" data-testid="converted">{g.converted}</td>
            <td role="cell" data-label="Rate (95% CI)">
                <span class="figure">{rate}</span>
                <span class="ci">{rate_ci}</span>
            </td>
            <td role="cell" data-label=lift_label>
                <span class="figure">{lift}</span>
                <span class="ci">{lift_ci}</span>
            </td>
            <td role="cell" data-label="p-value">{p}</td>
        </tr>
    }
}
