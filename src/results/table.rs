//! The results table, the sample-ratio verdict and the chart, for loaded results.

use cohort_stats::GroupResult;
use leptos::prelude::*;

use super::chart::Chart;
use super::source::Loaded;

/// A percentage with two decimals.
pub(crate) fn pct(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

fn signed_pct(x: f64) -> String {
    format!("{}{:.2}%", if x > 0.0 { "+" } else { "" }, 100.0 * x)
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
            {(dropped > 0).then(|| view! {
                <p class="hint">{dropped} " records were dropped by full queues before they could be sent."</p>
            })}
            {empty.then(|| view! {
                <p class="hint">"No exposures yet: open the experiment page (add ?random to play a new user each time)."</p>
            })}
            <div class="table-wrap">
                <table data-testid="results-table">
                    <thead>
                        <tr>
                            <th scope="col">"Group"</th>
                            <th scope="col">"Weight"</th>
                            <th scope="col">"Exposed"</th>
                            <th scope="col">"Converted"</th>
                            <th scope="col">"Rate (95% CI)"</th>
                            <th scope="col">"Lift vs " {analysis.control.clone()}</th>
                            <th scope="col">"95% CI of the lift"</th>
                            <th scope="col">"p-value"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
        <section class="card" aria-labelledby="chart-title">
            <h2 id="chart-title">"Conversion rate by group"</h2>
            <Chart analysis=analysis.clone() />
        </section>
    }
}

fn row(g: &GroupResult, control: &str) -> impl IntoView + use<> {
    let rate = match (g.rate, g.rate_ci) {
        (Some(r), Some((lo, hi))) => format!("{} ({} to {})", pct(r), pct(lo), pct(hi)),
        _ => "–".into(),
    };
    let (lift, ci, p, significant) = match &g.vs_control {
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
        None if g.group == control => ("control".into(), "–".into(), "–".into(), false),
        None => ("–".into(), "–".into(), "–".into(), false),
    };
    view! {
        <tr data-group=g.group.clone() class:significant=significant>
            <th scope="row">{g.group.clone()}</th>
            <td>{g.weight.map_or("–".into(), pct)}</td>
            <td data-testid="exposed">{g.exposed}</td>
            <td data-testid="converted">{g.converted}</td>
            <td>{rate}</td>
            <td>{lift}</td>
            <td>{ci}</td>
            <td>{p}</td>
        </tr>
    }
}
