//! The results page: an experiment's results for every metric, read with a chosen engine
//! (sequential by default: valid however often the page is watched), with the sample-ratio
//! check, forest plots, planning and verdicts in words.
//!
//! Results come from the collector when the page has one (`GET <collector>/results`), else
//! from this browser's own log (with `?random` one browser plays many users, as in the
//! course), computed with the same `cohort-stats` code the collector runs.

mod forest;
mod metric;
mod source;
mod summary;

use cohort_stats::Engine;
use leptos::prelude::*;

use crate::config::AppConfig;
use metric::MetricCard;
use source::{load, Loaded};
use summary::Summary;

/// Mounts the results page.
pub fn start() {
    let config = AppConfig::from_document();
    leptos::mount::mount_to_body(
        move || view! { <ResultsPage collector=config.collector_url.clone() /> },
    );
}

/// What each engine means, in a sentence.
fn engine_note(engine: Engine) -> &'static str {
    match engine {
        Engine::Sequential => {
            "Sequential testing: intervals and p-values stay valid however often you look, so \
             you may stop as soon as a result is clear."
        }
        Engine::Fixed => {
            "Fixed horizon: valid only if you look once, at a sample size fixed in advance. \
             Watching it and stopping at the first p < 0.05 finds effects that are not there."
        }
        Engine::Bayesian => {
            "Bayesian: the chance that each group beats control, with a flat prior; a group \
             wins at 95%."
        }
    }
}

/// The page.
#[component]
fn ResultsPage(collector: Option<String>) -> impl IntoView {
    let loaded = RwSignal::new(None::<Result<Loaded, String>>);
    let engine = RwSignal::new(Engine::Sequential);
    // Empty: every metric, stacked.
    let metric = RwSignal::new(String::new());
    // Each request takes a ticket; only the latest one's answer is shown, so a slow answer
    // to an earlier request never overwrites a newer one.
    let latest = StoredValue::new(0u64);
    let refresh = move || {
        let collector = collector.clone();
        let ticket = latest.get_value() + 1;
        latest.set_value(ticket);
        loaded.set(None);
        wasm_bindgen_futures::spawn_local(async move {
            let answer = load(collector.as_deref()).await;
            if latest.get_value() == ticket {
                loaded.set(Some(answer));
            }
        });
    };
    refresh();
    let metric_options = move || {
        loaded.with(|l| match l {
            Some(Ok(l)) => l
                .results
                .metrics
                .iter()
                .map(|m| {
                    let name = m.metric.name.clone();
                    view! { <option value=name.clone()>{name.clone()}</option> }
                })
                .collect_view()
                .into_any(),
            _ => ().into_any(),
        })
    };
    let engines = Engine::ALL
        .into_iter()
        .map(|e| {
            let label = match e {
                Engine::Sequential => "Sequential",
                Engine::Fixed => "Fixed horizon",
                Engine::Bayesian => "Bayesian",
            };
            view! {
                <label class="choice">
                    <input
                        type="radio"
                        name="engine"
                        value=e.as_str()
                        data-testid=format!("engine-{}", e.as_str())
                        prop:checked=move || engine.get() == e
                        on:change=move |_| engine.set(e)
                    />
                    {label}
                </label>
            }
        })
        .collect_view();
    let body = move || match loaded.get() {
        None => view! { <p class="hint" data-testid="results-loading">"Loading…"</p> }.into_any(),
        Some(Err(why)) => {
            view! { <p class="notice bad" data-testid="results-error">{why}</p> }.into_any()
        }
        Some(Ok(loaded)) => {
            let engine = engine.get();
            let chosen = metric.get();
            let results = loaded.results;
            let (alpha, control) = (results.settings.alpha, results.control.clone());
            let cards = results
                .metrics
                .iter()
                .filter(|m| chosen.is_empty() || m.metric.name == chosen)
                .cloned()
                .map(|m| view! { <MetricCard metric=m control=control.clone() alpha engine /> })
                .collect_view();
            view! {
                <Summary results=results.clone() source=loaded.source note=loaded.note />
                <p class="notice engine-note" data-testid="engine-note">{engine_note(engine)}</p>
                {cards}
            }
            .into_any()
        }
    };
    view! {
        <header class="topbar">
            <div class="container topbar-inner">
                <a class="brand" href="/">
                    "Cohort"
                </a>
                <span class="tag">"results: " {crate::variant::EXPERIMENT}</span>
            </div>
        </header>
        <main class="container">
            <section class="card" aria-labelledby="results-title">
                <h1 id="results-title">"Results: " {crate::variant::EXPERIMENT}</h1>
                <div class="controls">
                    <label for="metric">"Metric"</label>
                    <select
                        id="metric"
                        data-testid="metric"
                        on:change=move |ev| metric.set(event_target_value(&ev))
                    >
                        <option value="" selected>"All metrics"</option>
                        {metric_options}
                    </select>
                    <fieldset class="engines">
                        <legend>"Engine"</legend>
                        {engines}
                    </fieldset>
                    <button
                        type="button"
                        class="secondary"
                        data-testid="refresh"
                        on:click=move |_| refresh()
                    >
                        "Refresh"
                    </button>
                    <a href="/">"← Back to the experiment"</a>
                </div>
            </section>
            {body}
        </main>
    }
}
