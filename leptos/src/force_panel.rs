//! The QA panel: every experiment of the rules with a choice of its groups, and a label while
//! any group is forced. Choosing forces the group in place and in the URL's `?force`; a forced
//! view is labelled, never logged as an exposure, and its events carry no group for it.

use leptos::prelude::*;

use crate::force;
use crate::provider::use_cohort;

/// The value of the "as assigned" choice.
const ASSIGNED: &str = "";

/// "Force a group (QA)": a `<select>` per experiment (`data-testid="force-<experiment>"`), and a
/// status line naming the forced groups (`data-testid="forced"`, `data-on="true"` while any is
/// forced). Unstyled: its classes are `force`, `force-choice` and `forced`.
#[component]
pub fn ForcePanel() -> impl IntoView {
    let cohort = use_cohort();
    let forced = cohort.forced;
    // Each select keeps its own state once shown: only the first choice comes from the signal.
    let initial = forced.get_untracked();
    let choices = force::experiments(cohort.rules)
        .into_iter()
        .map(|experiment| {
            let current = initial
                .iter()
                .find(|(e, _)| *e == experiment)
                .map(|(_, g)| *g);
            let options = cohort
                .rules
                .group_names(experiment)
                .into_iter()
                .map(|group| {
                    view! { <option value=group selected=current == Some(group)>{group}</option> }
                })
                .collect_view();
            let id = format!("force-{experiment}");
            let choose = move |ev: leptos::ev::Event| {
                let group = event_target_value(&ev);
                cohort.force(experiment, (group != ASSIGNED).then_some(group.as_str()));
            };
            view! {
                <span class="force-choice">
                    <label for=id.clone()>{experiment}</label>
                    <select id=id.clone() data-testid=id on:change=choose>
                        <option value=ASSIGNED selected=current.is_none()>
                            "As assigned"
                        </option>
                        {options}
                    </select>
                </span>
            }
        })
        .collect_view();
    let label = move || {
        forced.with(|f| {
            f.iter()
                .map(|(e, g)| format!("{e} = {g}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    view! {
        <fieldset class="force">
            <legend>"Force a group (QA)"</legend>
            {choices}
            <p
                class="forced"
                data-testid="forced"
                data-on=move || forced.with(|f| (!f.is_empty()).to_string())
                role="status"
            >
                "Forced: "
                {label}
                " (QA view: no exposure logged, events carry no group)"
            </p>
        </fieldset>
    }
}
