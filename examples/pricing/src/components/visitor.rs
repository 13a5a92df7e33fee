//! What this visitor was assigned: their user ID, their group in each experiment ("none" when
//! the layer gave them its other experiment), the gate's value, and the kit's QA panel that
//! forces groups.

use cohort_leptos::{use_cohort, Experiment, ForcePanel};
use leptos::prelude::*;

/// The "This visitor" panel.
#[component]
pub fn Visitor(
    /// Each experiment the page reads, with its name.
    experiments: [(&'static str, Experiment); 3],
    /// The `annual_billing` gate.
    annual_billing: Signal<bool>,
) -> impl IntoView {
    let cohort = use_cohort();
    let user_id = cohort.user_id();
    let rows = experiments
        .into_iter()
        .map(|(name, experiment)| {
            let group = experiment.group();
            let forced = experiment.is_forced();
            view! {
                <dt>{name}</dt>
                <dd>
                    <span data-testid=format!("group-{name}")>
                        {move || group.get().unwrap_or_else(|| "none".to_owned())}
                    </span>
                    <Show when=move || forced.get()>
                        " "
                        <span class="forced-tag" data-testid=format!("forced-{name}")>
                            "forced"
                        </span>
                    </Show>
                    " · "
                    <a href=format!("/results/?experiment={name}")>
                        "results"
                        <span class="visually-hidden">" of " {name}</span>
                    </a>
                </dd>
            }
        })
        .collect_view();
    view! {
        <section class="visitor" aria-labelledby="visitor-title">
            <h2 id="visitor-title">"This visitor"</h2>
            <dl class="facts">
                <dt>"User ID"</dt>
                <dd>
                    <code data-testid="user-id">{user_id}</code>
                </dd>
                {rows}
                <dt>"annual_billing (gate)"</dt>
                <dd data-testid="gate-annual_billing">{move || annual_billing.get().to_string()}</dd>
            </dl>
            <button type="button" class="secondary" data-testid="next-visitor" on:click=move |_| cohort.next_visitor()>
                "Next random visitor"
            </button>
            <ForcePanel />
        </section>
    }
}
