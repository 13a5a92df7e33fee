//! The breakdown: the results by one dimension of the users (browser, device, where their ID
//! came from, new or returning), a row per value with its users, its own sample-ratio check and
//! each treatment's lift on the metric chosen (else the primary one); from the collector
//! (`results?experiment=NAME&dimension=D`), or from this browser's log.

use cohort_leptos::fetch::{get_json_if_changed, Fetched};
use cohort_leptos::Rules;
use cohort_stats::breakdown::{breakdown_tally, Breakdown};
use cohort_stats::format::signed_percent;
use cohort_stats::verdict::thousands;
use cohort_stats::Engine;
use leptos::prelude::*;

use crate::local_log::LocalLog;

/// The dimensions the Cohort kit sends with each exposure, as the picker offers them.
pub const DIMENSIONS: [(&str, &str); 4] = [
    ("browser", "Browser"),
    ("device", "Device"),
    ("source", "ID source"),
    ("visitor", "New or returning"),
];

/// `experiment`'s results by `dimension`: the collector's if it answers, else this browser's
/// log analysed with `rules`.
pub async fn load(
    collector: Option<String>,
    token: Option<String>,
    experiment: String,
    dimension: String,
    rules: &Rules,
) -> Result<Breakdown, String> {
    if let Some(base) = collector {
        let url = format!(
            "{}/results?experiment={}&dimension={}",
            base.trim_end_matches('/'),
            String::from(js_sys::encode_uri_component(&experiment)),
            String::from(js_sys::encode_uri_component(&dimension)),
        );
        match get_json_if_changed::<Breakdown>(&url, token.as_deref(), None).await {
            Ok(Fetched::Changed { value, .. }) => return Ok(value),
            Ok(Fetched::Unchanged) => {}
            Err(why) => cohort_leptos::console::warn(&format!(
                "the collector's breakdown is unavailable ({why}); using this browser's log"
            )),
        }
    }
    let log = LocalLog::new();
    breakdown_tally(
        rules,
        &experiment,
        &log.tally(rules, &experiment),
        &dimension,
    )
    .ok_or_else(|| format!("No breakdown of {experiment}: the page was built without it."))
}

/// The breakdown picker: none, or one of [`DIMENSIONS`].
#[component]
pub fn BreakdownPicker(dimension: RwSignal<String>) -> impl IntoView {
    let options = DIMENSIONS
        .into_iter()
        .map(|(name, label)| {
            view! { <option value=name prop:selected=move || dimension.get() == name>{label}</option> }
        })
        .collect_view();
    view! {
        <label for="breakdown">"Break down by"</label>
        <select
            id="breakdown"
            data-testid="breakdown"
            on:change=move |ev| dimension.set(event_target_value(&ev))
        >
            <option value="" prop:selected=move || dimension.get().is_empty()>
                "Nothing"
            </option>
            {options}
        </select>
    }
}

/// A breakdown as a table: a row per slice with its users, its sample-ratio check and each
/// treatment's lift on `metric` (empty: the primary one) read with `engine`.
#[component]
pub fn BreakdownTable(breakdown: Breakdown, metric: String, engine: Engine) -> impl IntoView {
    let label = DIMENSIONS
        .iter()
        .find(|(name, _)| *name == breakdown.dimension)
        .map_or(breakdown.dimension.clone(), |(_, label)| {
            (*label).to_owned()
        });
    let first = breakdown.slices.first().map(|s| &s.results);
    let shown_metric = first
        .and_then(|r| {
            r.metrics.iter().find(|m| {
                if metric.is_empty() {
                    m.primary
                } else {
                    m.metric.name == metric
                }
            })
        })
        .map(|m| m.metric.name.clone())
        .unwrap_or_default();
    let treatments: Vec<String> = first
        .and_then(|r| r.metrics.iter().find(|m| m.metric.name == shown_metric))
        .map(|m| m.comparisons.iter().map(|c| c.group.clone()).collect())
        .unwrap_or_default();
    let headings = treatments
        .iter()
        .map(|g| view! { <th scope="col" role="columnheader">{g.clone()}</th> })
        .collect_view();
    let rows = breakdown
        .slices
        .iter()
        .map(|slice| {
            let r = &slice.results;
            let srm = if r.total_users == 0 {
                "–".to_owned()
            } else if r.sample_ratio.mismatch {
                format!("mismatch (p = {:.1e})", r.sample_ratio.p_value)
            } else {
                format!("ok (p = {:.3})", r.sample_ratio.p_value)
            };
            let metric = r.metrics.iter().find(|m| m.metric.name == shown_metric);
            let cells = treatments
                .iter()
                .map(|group| {
                    let comparison =
                        metric.and_then(|m| m.comparisons.iter().find(|c| c.group == *group));
                    let (lift, verdict) = match (metric, comparison) {
                        (Some(m), Some(c)) => {
                            let verdict = c.verdict(engine, r.settings.alpha, m.metric.inverse);
                            let (estimate, _) = c.lift(engine);
                            if verdict.label() == "no result" {
                                ("–".to_owned(), verdict.label())
                            } else {
                                (signed_percent(estimate, 1), verdict.label())
                            }
                        }
                        _ => ("–".to_owned(), ""),
                    };
                    view! {
                        <td role="cell" data-label=format!("{group} vs control") data-group=group.clone()>
                            <span class="figure">{lift}</span>
                            <span class="ci">{verdict}</span>
                        </td>
                    }
                })
                .collect_view();
            view! {
                <tr
                    role="row"
                    data-testid="slice"
                    data-value=slice.value.clone()
                    data-users=r.total_users.to_string()
                    data-mismatch=r.sample_ratio.mismatch.to_string()
                >
                    <th scope="row" role="rowheader">{slice.value.clone()}</th>
                    <td role="cell" data-label="Users">{thousands(r.total_users)}</td>
                    <td role="cell" data-label="Sample ratio">{srm}</td>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card breakdown" aria-labelledby="breakdown-title" data-testid="breakdown-card">
            <h2 id="breakdown-title">{format!("By {}", label.to_lowercase())}</h2>
            <p class="hint">
                "Each value's users analysed apart, with their own sample-ratio check; each group's lift over control on "
                <code>{shown_metric.clone()}</code>
                ". A user counts with the value of their first exposure."
            </p>
            <table class="results-table" role="table" data-testid="breakdown-table">
                <thead role="rowgroup">
                    <tr role="row">
                        <th scope="col" role="columnheader">{label}</th>
                        <th scope="col" role="columnheader">"Users"</th>
                        <th scope="col" role="columnheader">"Sample ratio"</th>
                        {headings}
                    </tr>
                </thead>
                <tbody role="rowgroup">{rows}</tbody>
            </table>
        </section>
    }
}
