//! Who took part: users exposed per group against their weights, the sample-ratio check, and
//! what was kept out of the results or dropped before it arrived; and at a glance, what the
//! primary metric says of each group.

use cohort_stats::format::percent;
use cohort_stats::verdict::thousands;
use cohort_stats::{Engine, Excluded, ExperimentResults};

use crate::metric::verdict_items;
use leptos::prelude::*;

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
                cohort_protocol::exclusion_sentence(&e.reason)
            )
        })
        .collect();
    Some(format!(
        "Kept out of these results: {}. Forged, or sent by a page built from other rules.",
        parts.join("; ")
    ))
}

/// The summary card.
#[component]
pub fn Summary(
    results: ExperimentResults,
    source: String,
    note: Option<String>,
    engine: Engine,
) -> impl IntoView {
    // At a glance: the primary metric's verdicts (else the first metric's).
    let glance = results
        .metrics
        .iter()
        .find(|m| m.primary)
        .or(results.metrics.first())
        .map(|metric| {
            let items = verdict_items(metric, engine, results.settings.alpha, &results.control);
            view! {
                <div class="glance" data-testid="glance" data-glance-metric=metric.metric.name.clone()>
                    <h3>"At a glance: " {metric.metric.name.clone()}</h3>
                    <ul class="verdicts">{items}</ul>
                </div>
            }
        });
    let srm = results.sample_ratio;
    let banner = if results.total_users == 0 {
        view! {
            <p class="hint" data-testid="srm" data-mismatch="unknown">
                "No exposures yet: open the experiment page (add ?random to play a new user each time)."
            </p>
        }
        .into_any()
    } else if srm.mismatch {
        view! {
            <p class="notice bad" data-testid="srm" data-mismatch="true" role="alert">
                <strong>"Sample ratio mismatch. "</strong>
                "The groups' sizes differ from their weights (p = "
                {format!("{:.1e}", srm.p_value)}
                "): assignment or logging is losing users of some group. Do not trust these results."
            </p>
        }
        .into_any()
    } else {
        view! {
            <p class="notice" data-testid="srm" data-mismatch="false">
                "Sample ratio OK: the groups' sizes match their weights (p = "
                {format!("{:.3}", srm.p_value)}
                ")."
            </p>
        }
        .into_any()
    };
    let groups = results
        .groups
        .iter()
        .map(|g| {
            let weight = g
                .weight
                .map_or("not in the rules".to_owned(), |w| percent(w, 0));
            view! {
                <li data-group=g.group.clone()>
                    <span class="group-name">{g.group.clone()}</span>
                    " "
                    <span data-testid="exposed">{thousands(g.users)}</span>
                    <span class="hint">" users · weight " {weight}</span>
                </li>
            }
        })
        .collect_view();
    let dropped = results.dropped_by_clients;
    view! {
        <section class="card" aria-labelledby="summary-title">
            <h2 id="summary-title">
                <span data-testid="total-users">{thousands(results.total_users)}</span>
                " users exposed"
            </h2>
            <p class="hint" data-testid="results-source">"From " {source} "."</p>
            {glance}
            {note.map(|n| view! { <p class="notice bad">{n}</p> })}
            {banner}
            <ul class="exposure">{groups}</ul>
            {excluded_note(&results.excluded)
                .map(|n| view! { <p class="notice bad" data-testid="excluded">{n}</p> })}
            {(dropped > 0)
                .then(|| {
                    view! {
                        <p class="hint" data-testid="dropped">
                            {thousands(dropped)}
                            {if dropped == 1 { " record was" } else { " records were" }}
                            " dropped by full queues before they could be sent."
                        </p>
                    }
                })}
        </section>
    }
}
