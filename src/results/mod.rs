//! The results page: per group, users exposed and converted, the conversion rate, the lift
//! against Control with its 95% interval and p-value, the sample-ratio check, and a chart.
//!
//! Results come from the collector when the page has one (`GET <collector>/results`), else
//! from this browser's own log (with `?random` one browser plays many users, as in the
//! course), computed with the same `cohort-stats` code the collector runs.

mod chart;
mod source;
mod table;

use leptos::prelude::*;

use crate::config::AppConfig;
use source::{load, Loaded};

/// Mounts the results page.
pub fn start() {
    let config = AppConfig::from_document();
    leptos::mount::mount_to_body(
        move || view! { <ResultsPage collector=config.collector_url.clone() /> },
    );
}

/// The page.
#[component]
fn ResultsPage(collector: Option<String>) -> impl IntoView {
    let event = RwSignal::new(cohort_protocol::VISITED_SIGNUP.to_owned());
    let loaded = RwSignal::new(None::<Result<Loaded, String>>);
    // Each request takes a ticket; only the latest one's answer is shown, so a slow answer
    // to an earlier choice never overwrites a newer one.
    let latest = StoredValue::new(0u64);
    let refresh = move || {
        let (event, collector) = (event.get_untracked(), collector.clone());
        let ticket = latest.get_value() + 1;
        latest.set_value(ticket);
        loaded.set(None);
        wasm_bindgen_futures::spawn_local(async move {
            let answer = load(collector.as_deref(), &event).await;
            if latest.get_value() == ticket {
                loaded.set(Some(answer));
            }
        });
    };
    refresh();
    let on_event = {
        let refresh = refresh.clone();
        move |ev: leptos::ev::Event| {
            event.set(event_target_value(&ev));
            refresh();
        }
    };
    let body = move || match loaded.get() {
        None => view! { <p class="hint" data-testid="results-loading">"Loading…"</p> }.into_any(),
        Some(Err(why)) => {
            view! { <p class="notice bad" data-testid="results-error">{why}</p> }.into_any()
        }
        Some(Ok(loaded)) => view! { <table::Report loaded /> }.into_any(),
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
                    <label for="metric">"Conversion event"</label>
                    <select id="metric" data-testid="metric" on:change=on_event>
                        <option value="visited_signup" selected>"visited_signup"</option>
                        <option value="cta_click">"cta_click"</option>
                    </select>
                    <button type="button" class="secondary" on:click=move |_| refresh()>
                        "Refresh"
                    </button>
                    <a href="/">"← Back to the experiment"</a>
                </div>
            </section>
            {body}
        </main>
    }
}
