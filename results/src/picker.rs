//! Choosing the experiment: a labelled `<select>` of every experiment on offer, each with its
//! status and the users exposed to it so far, and a line of facts about the one shown.

use cohort_protocol::{ExperimentStatus, ExperimentSummary};
use cohort_stats::verdict::thousands;
use leptos::prelude::*;

/// An experiment as the picker names it: `price_v1 (running, 1,234 users exposed)`.
pub fn option_label(experiment: &ExperimentSummary) -> String {
    let users = match experiment.exposures {
        1 => "1 user".to_owned(),
        n => format!("{} users", thousands(n)),
    };
    format!(
        "{} ({}, {users} exposed)",
        experiment.name,
        experiment.status.as_str()
    )
}

/// The picker. `experiments` is `None` until the first load; `chosen` is the experiment the
/// address asks for or the page shows; `on_choose` gets the name picked.
#[component]
pub fn ExperimentPicker(
    #[prop(into)] experiments: Signal<Option<Vec<ExperimentSummary>>>,
    #[prop(into)] chosen: Signal<Option<String>>,
    on_choose: Callback<String>,
) -> impl IntoView {
    let options = move || {
        let chosen = chosen.get();
        let experiments = match experiments.get() {
            None => {
                return view! { <option value="" disabled selected>"Loading…"</option> }.into_any()
            }
            Some(e) if e.is_empty() => {
                return view! { <option value="" disabled selected>"No experiments"</option> }
                    .into_any()
            }
            Some(e) => e,
        };
        let known = experiments.iter().any(|e| Some(&e.name) == chosen.as_ref());
        let placeholder = (!known).then(|| {
            view! { <option value="" disabled selected>"Choose an experiment"</option> }
        });
        let options = experiments
            .into_iter()
            .map(|e| {
                let selected = Some(&e.name) == chosen.as_ref();
                view! {
                    <option
                        value=e.name.clone()
                        selected=selected
                        data-status=e.status.as_str()
                        data-exposures=e.exposures.to_string()
                    >
                        {option_label(&e)}
                    </option>
                }
            })
            .collect_view();
        view! { {placeholder} {options} }.into_any()
    };
    view! {
        <label for="experiment">"Experiment"</label>
        <select
            id="experiment"
            data-testid="experiment"
            // Its options name the experiments in full; on a phone the closed select is cut.
            style:max-width="100%"
            on:change=move |ev| on_choose.run(event_target_value(&ev))
        >
            {options}
        </select>
    }
}

/// What the listing says of the experiment shown: its status, groups, exposures and metrics.
#[component]
pub fn ExperimentFacts(experiment: ExperimentSummary) -> impl IntoView {
    let groups = experiment.groups.join(", ");
    let metrics = if experiment.metrics.is_empty() {
        "no metrics".to_owned()
    } else {
        format!("metrics {}", experiment.metrics.join(", "))
    };
    let (class, status) = match experiment.status {
        ExperimentStatus::Running => ("hint", "Running"),
        ExperimentStatus::Disabled => (
            "notice",
            "Disabled: everyone gets the defaults, and exposures claiming a group are kept out of \
             the results",
        ),
    };
    view! {
        <p class=class data-testid="experiment-facts" data-status=experiment.status.as_str()>
            {status}
            {format!(
                " · groups {groups} · {} users exposed so far · {metrics}.",
                thousands(experiment.exposures),
            )}
        </p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_option_names_the_experiment_its_status_and_its_exposures() {
        let mut experiment = ExperimentSummary {
            name: "price_v1".to_owned(),
            groups: vec!["Control".to_owned()],
            status: ExperimentStatus::Running,
            exposures: 1234,
            metrics: vec![],
        };
        assert_eq!(
            option_label(&experiment),
            "price_v1 (running, 1,234 users exposed)"
        );
        experiment.status = ExperimentStatus::Disabled;
        experiment.exposures = 1;
        assert_eq!(
            option_label(&experiment),
            "price_v1 (disabled, 1 user exposed)"
        );
    }
}
