//! The course's page: the paragraph and call to action of the user's group.

use leptos::prelude::*;

use super::{derived, IdentityPanel, Session, TaskList};
use crate::route::{Link, Route, Router};

/// `/`: the experiment's variant, the user's assignment and their tasks. The paragraph and
/// the button follow the session's variant.
#[component]
pub fn ExperimentPage(session: Session, router: Router) -> impl IntoView {
    let (log, identity, variant) = (session.log, session.identity, session.variant);
    let enroll = move |_| {
        identity.with_untracked(|identity| {
            variant
                .with_untracked(|variant| log.event(cohort_protocol::CTA_CLICK, identity, variant))
        });
        router.navigate(Route::Signup);
    };
    let color = move |f: fn(&crate::colors::ButtonColor) -> &str| {
        derived(move || variant.with(|v| f(&v.color).to_owned()))
    };
    view! {
        <section class="card hero" aria-labelledby="headline">
            <p class="eyebrow">"A/B test · assigned in your browser"</p>
            <h1 class="lead" id="headline" data-testid="paragraph">
                {derived(move || variant.with(|v| v.paragraph.clone()))}
            </h1>
            <div class="actions">
                <button
                    type="button"
                    class="cta"
                    data-testid="cta"
                    data-color=color(|c| c.label())
                    style:background-color=color(|c| c.background())
                    style:color=color(|c| c.foreground())
                    on:click=enroll
                >
                    "Enroll now"
                </button>
                <Link
                    router
                    to=Route::Signup
                    label="Go to Signup"
                    class="secondary-link"
                    testid="signup-link"
                />
            </div>
        </section>
        <div class="grid">
            <IdentityPanel session />
            <TaskList session />
        </div>
    }
}
