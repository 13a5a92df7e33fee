//! The user's assignment: group, user ID and where the ID came from, the button that plays
//! the next random visitor in place, and the kit's QA panel that forces a group.

use cohort_leptos::{use_cohort, ForcePanel, IdSource};
use leptos::prelude::*;

use super::derived;
use crate::course::Course;

/// The "Your assignment" card.
#[component]
pub fn IdentityPanel(course: Course) -> impl IntoView {
    let cohort = use_cohort();
    let identity = cohort.identity();
    let source = move |f: fn(IdSource) -> &'static str| {
        derived(move || f(identity.with(|i| i.source)).to_owned())
    };
    view! {
        <section class="card" aria-labelledby="assignment-title">
            <h2 id="assignment-title">"Your assignment"</h2>
            <dl class="facts">
                <dt>"Group"</dt>
                <dd data-testid="group">{derived(move || course.group_label())}</dd>
                <dt>"User ID"</dt>
                <dd>
                    <code data-testid="user-id">{derived(move || identity.with(|i| i.user_id.clone()))}</code>
                </dd>
                <dt>"ID source"</dt>
                <dd data-testid="id-source" data-source=source(|s| s.code())>
                    {source(|s| s.label())}
                </dd>
            </dl>
            <button
                type="button"
                class="secondary"
                data-testid="next-visitor"
                on:click=move |_| cohort.next_visitor()
            >
                "Next random visitor"
            </button>
            <p class="hint">
                "Plays a new random user here, as a load with ?random does in the course."
            </p>
            <ForcePanel />
        </section>
    }
}
