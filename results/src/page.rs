//! The results page: the experiment picker, the metric picker, the engine (sequential by
//! default: valid however often the page is watched) and Refresh, above what one load shows.
//!
//! One `LocalResource` loads the page's data ([`loaded::load`]): the experiments and the
//! results of the one `?experiment=` names (else the first), from the collector when the page
//! has one, else from this browser's log. It reloads when another experiment is picked (which
//! also goes into the address) and on Refresh. Inside a `<Transition>` the previous results
//! stay up (marked busy) while the next load runs; loads run one at a time and the latest
//! one's answer is the one left shown, so a slow earlier answer never replaces a newer one.
//!
//! While the results shown are the collector's, the page asks every second whether they
//! changed ([`live`](crate::live)) and loads again when they did.
//!
//! A collector that guards its results with a token answers 401: the page then asks for the
//! token ([`TokenForm`]), keeps it for the tab, and loads again with it.

use cohort_leptos::bundled_rules;
use cohort_protocol::ExperimentSummary;
use cohort_stats::Engine;
use leptos::prelude::*;

use crate::address;
use crate::breakdown::{self, BreakdownPicker, BreakdownTable};
use crate::live::{self, Live, LiveStatus};
use crate::loaded::{self, Loaded, Shown};
use crate::picker::{ExperimentFacts, ExperimentPicker};
use crate::shown::ShownView;

/// Mounts the results page.
pub fn start() {
    let collector = address::collector_url();
    leptos::mount::mount_to_body(move || view! { <ResultsPage collector /> });
}

/// The page.
#[component]
fn ResultsPage(collector: Option<String>) -> impl IntoView {
    let requested = RwSignal::new(address::requested_experiment());
    let token = RwSignal::new(address::kept_token());
    let breakdown_collector = collector.clone();
    let page = LocalResource::new(move || {
        loaded::load(
            collector.clone(),
            token.get(),
            requested.get(),
            bundled_rules!(analysis),
        )
    });
    let engine = RwSignal::new(Engine::Sequential);
    // Empty: every metric, stacked.
    let metric = RwSignal::new(String::new());
    // Empty: no breakdown.
    let dimension = RwSignal::new(String::new());
    let updating = RwSignal::new(false);
    let live_state = RwSignal::new(Live::Idle);
    live::watch(page, token, updating, live_state);
    // The experiment asked for, else the one the last load showed.
    let shown_name = Signal::derive(move || {
        requested.get().or_else(|| {
            page.read()
                .as_ref()
                .and_then(|l| l.shown.name().map(str::to_owned))
        })
    });
    let experiments =
        Signal::derive(move || page.read().as_ref().map(|l| l.listing.experiments.clone()));
    let choose = Callback::new(move |name: String| {
        address::show_in_address(&name);
        metric.set(String::new());
        requested.set(Some(name));
    });
    let title = move || shown_name.get().map(|name| format!(": {name}"));
    // The breakdown chosen, loaded with the page's results (Refresh loads it again).
    let sliced = LocalResource::new(move || {
        let (collector, token) = (breakdown_collector.clone(), token.get());
        let (experiment, dimension) = (shown_name.get(), dimension.get());
        page.track();
        async move {
            match experiment.filter(|_| !dimension.is_empty()) {
                Some(experiment) => Some(
                    breakdown::load(
                        collector,
                        token,
                        experiment,
                        dimension,
                        bundled_rules!(analysis),
                    )
                    .await,
                ),
                None => None,
            }
        }
    });
    view! {
        <header class="topbar">
            <div class="container topbar-inner">
                <a class="brand" href="/">
                    "Cohort"
                </a>
                <span class="tag">"results" {title}</span>
            </div>
        </header>
        <main class="container">
            <section class="card" aria-labelledby="results-title">
                <h1 id="results-title" data-testid="results-title">
                    "Results"
                    {title}
                </h1>
                <div class="controls">
                    <ExperimentPicker experiments chosen=shown_name on_choose=choose />
                    <MetricPicker page metric />
                    <BreakdownPicker dimension />
                    <EnginePicker engine />
                    <button
                        type="button"
                        class="secondary"
                        data-testid="refresh"
                        on:click=move |_| page.refetch()
                    >
                        "Refresh"
                    </button>
                    <span class="hint" role="status" data-testid="updating">
                        {move || updating.get().then_some("Updating…")}
                    </span>
                    <a href="/">"← Back to the app"</a>
                </div>
                <ListingFacts page shown_name />
                <LiveStatus live=live_state />
                <TokenForm page token />
            </section>
            <div
                data-testid="results-body"
                aria-busy=move || updating.get().to_string()
                class:stale=move || matches!(live_state.get(), Live::Unreachable { .. })
            >
                <Transition
                    fallback=|| {
                        view! { <p class="hint" data-testid="results-loading">"Loading…"</p> }
                    }
                    set_pending=updating.write_only()
                >
                    {move || {
                        let (engine, metric) = (engine.get(), metric.get());
                        Suspend::new(async move {
                            let loaded = page.await;
                            let sliced = sliced.await;
                            view! {
                                {match sliced {
                                    Some(Ok(breakdown)) => {
                                        view! {
                                            <BreakdownTable breakdown metric=metric.clone() engine />
                                        }
                                            .into_any()
                                    }
                                    Some(Err(why)) => {
                                        view! {
                                            <p class="notice bad" data-testid="breakdown-error">
                                                {why}
                                            </p>
                                        }
                                            .into_any()
                                    }
                                    None => ().into_any(),
                                }}
                                <ShownView loaded engine metric />
                            }
                        })
                    }}
                </Transition>
            </div>
        </main>
    }
}

/// The experiment shown as the listing describes it, where the listing came from, and why the
/// collector's was not used.
#[component]
fn ListingFacts(page: LocalResource<Loaded>, shown_name: Signal<Option<String>>) -> impl IntoView {
    move || {
        let name = shown_name.get();
        page.read().as_ref().map(|loaded| {
            let listing = &loaded.listing;
            let facts: Option<ExperimentSummary> =
                name.as_deref().and_then(|n| listing.find(n)).cloned();
            view! {
                {facts.map(|experiment| view! { <ExperimentFacts experiment /> })}
                <p class="hint" data-testid="experiments-source">
                    "Experiments from " {listing.source.clone()} "."
                </p>
                {listing.note.clone().map(|n| view! { <p class="notice bad">{n}</p> })}
            }
        })
    }
}

/// The collector's results token, asked for when the collector wants one (or refused the one
/// given): kept for the tab, and the page loads again with it.
#[component]
fn TokenForm(page: LocalResource<Loaded>, token: RwSignal<Option<String>>) -> impl IntoView {
    let locked = move || page.read().as_ref().is_some_and(|l| l.listing.locked);
    let input: NodeRef<leptos::html::Input> = NodeRef::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(input) = input.get() else {
            return;
        };
        let given = input.value().trim().to_owned();
        if !given.is_empty() {
            address::keep_token(&given);
            token.set(Some(given));
        }
    };
    view! {
        <Show when=locked>
            <form class="token" data-testid="token-form" on:submit=submit>
                <label for="results-token">"The collector's results token"</label>
                <input
                    id="results-token"
                    type="password"
                    autocomplete="off"
                    data-testid="token"
                    node_ref=input
                />
                <button type="submit">"Show results"</button>
                <p class="hint">"Kept for this tab only."</p>
            </form>
        </Show>
    }
}

/// One metric, or every one: the metrics of the results shown.
#[component]
fn MetricPicker(page: LocalResource<Loaded>, metric: RwSignal<String>) -> impl IntoView {
    let options = move || {
        let chosen = metric.get();
        page.read()
            .as_ref()
            .and_then(|loaded| match &loaded.shown {
                Shown::Experiment {
                    results: Ok(results),
                    ..
                } => Some(
                    results
                        .results
                        .metrics
                        .iter()
                        .map(|m| m.metric.name.clone())
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .unwrap_or_default()
            .into_iter()
            .map(|name| {
                let (selected, label) = (name == chosen, name.clone());
                view! { <option value=name selected=selected>{label}</option> }
            })
            .collect_view()
    };
    view! {
        <label for="metric">"Metric"</label>
        <select id="metric" data-testid="metric" on:change=move |ev| metric.set(event_target_value(&ev))>
            <option value="" prop:selected=move || metric.get().is_empty()>
                "All metrics"
            </option>
            {options}
        </select>
    }
}

/// The engine results are read with.
#[component]
fn EnginePicker(engine: RwSignal<Engine>) -> impl IntoView {
    let choices = Engine::ALL
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
    view! {
        <fieldset class="engines">
            <legend>"Engine"</legend>
            {choices}
        </fieldset>
    }
}
