//! What the page shows below its controls once a load is in: who took part, the chosen engine's note and a card per metric; or why there is nothing to show (an
//! unknown `?experiment=`, rules without experiments, results nobody could give).

use cohort_stats::Engine;
use leptos::prelude::*;

use crate::listing::Listing;
use crate::loaded::{Loaded, Shown};
use crate::metric::MetricCard;
use crate::source::Results;
use crate::summary::Summary;

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

/// The notice for `?experiment=` naming no experiment of `listing`.
pub fn unknown_notice(name: &str, listing: &Listing) -> String {
    if listing.experiments.is_empty() {
        format!("There is no experiment “{name}”: the rules have no experiments.")
    } else {
        format!(
            "There is no experiment “{name}” in the rules. Choose one of: {}.",
            listing.names()
        )
    }
}

/// The view of one load, read with `engine`, showing the metric `metric` (empty: every one).
#[component]
pub fn ShownView(loaded: Loaded, engine: Engine, metric: String) -> impl IntoView {
    let Loaded { listing, shown } = loaded;
    match shown {
        Shown::Experiment { results, .. } => match results {
            Ok(results) => view! { <ResultsView results=*results engine metric /> }.into_any(),
            Err(why) => {
                view! { <p class="notice bad" data-testid="results-error">{why}</p> }.into_any()
            }
        },
        Shown::Unknown { name } => view! {
            <p class="notice bad" role="alert" data-testid="unknown-experiment">
                {unknown_notice(&name, &listing)}
            </p>
        }
        .into_any(),
        Shown::NoExperiments => view! {
            <p class="notice" data-testid="no-experiments">
                "The rules have no experiments yet: add one, and its results appear here."
            </p>
        }
        .into_any(),
    }
}

/// An experiment's results: who took part, the engine's note and the metrics' cards.
#[component]
fn ResultsView(results: Results, engine: Engine, metric: String) -> impl IntoView {
    let Results {
        results,
        source,
        note,
        ..
    } = results;
    let (alpha, control) = (results.settings.alpha, results.control.clone());
    let cards = |guardrails: bool| {
        results
            .metrics
            .iter()
            .filter(|m| m.metric.guardrail == guardrails)
            .filter(|m| metric.is_empty() || m.metric.name == metric)
            .cloned()
            .map(|m| {
                view! {
                    <MetricCard
                        metric=m
                        control=control.clone()
                        alpha
                        engine
                        over_time=results.over_time.clone()
                    />
                }
            })
            .collect::<Vec<_>>()
    };
    let goals = cards(false);
    let guardrails = cards(true);
    let guardrails = (!guardrails.is_empty()).then(|| {
        view! {
            <section class="guardrails" aria-labelledby="guardrails-title" data-testid="guardrails">
                <h2 id="guardrails-title" class="section-title">"Guardrails"</h2>
                <p class="hint">
                    "Metrics that must not get worse. Judged apart: left out of the corrections \
                     for multiple testing."
                </p>
                {guardrails}
            </section>
        }
    });
    // A treatment that makes a guardrail significantly worse, said before anything else.
    let failures = results
        .guardrail_failures(engine)
        .into_iter()
        .map(|(group, metric)| {
            view! {
                <p class="notice bad" role="alert" data-testid="guardrail-failure" data-group=group.to_owned()>
                    <strong>"Guardrail failed. "</strong>
                    {format!("{group} makes {metric} significantly worse: do not ship it as it is.")}
                </p>
            }
        })
        .collect_view();
    // Metrics the collector could not compute this time: named, with why, above the others.
    let unavailable = results
        .unavailable
        .iter()
        .map(|part| view! { <p class="notice bad" data-testid="unavailable">{part.sentence()}</p> })
        .collect_view();
    view! {
        {failures}
        <Summary results source note engine />
        <p class="notice engine-note" data-testid="engine-note">{engine_note(engine)}</p>
        {unavailable}
        {goals}
        {guardrails}
    }
}

#[cfg(test)]
mod tests {
    use cohort_protocol::{ExperimentStatus, ExperimentSummary};

    use super::*;

    #[test]
    fn the_unknown_notice_names_the_experiment_asked_for_and_those_there_are() {
        let mut listing = Listing {
            experiments: ["price_v1", "checkout"]
                .into_iter()
                .map(|name| ExperimentSummary {
                    name: name.to_owned(),
                    groups: vec![],
                    status: ExperimentStatus::Running,
                    exposures: 0,
                    metrics: vec![],
                })
                .collect(),
            source: String::new(),
            note: None,
            locked: false,
        };
        assert_eq!(
            unknown_notice("nope", &listing),
            "There is no experiment “nope” in the rules. Choose one of: price_v1 and checkout."
        );
        listing.experiments.clear();
        assert_eq!(
            unknown_notice("nope", &listing),
            "There is no experiment “nope”: the rules have no experiments."
        );
    }
}
