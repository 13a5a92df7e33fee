//! The course's page: the paragraph and call to action of the user's group.

use leptos::prelude::*;

use super::{IdentityPanel, Session, TaskList};
use crate::route::{Link, Route, Router};

/// `/`: the experiment's variant, the user's assignment and their tasks.
#[component]
pub fn ExperimentPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let (log, identity) = (session.log, session.identity.clone());
    let variant = session.variant;
    let clicked = variant.clone();
    let router = expect_context::<Router>();
    let enroll = move |_| {
        log.event(cohort_protocol::CTA_CLICK, &identity, &clicked);
        router.navigate(Route::Signup);
    };
    view! {
        <section class="card hero" aria-labelledby="hero-title">
            <p class="eyebrow" id="hero-title">
                "A/B test · assigned in your browser"
            </p>
            <p class="lead" data-testid="paragraph">
                {variant.paragraph.clone()}
            </p>
            <div class="actions">
                <button
                    type="button"
                    class="cta"
                    data-testid="cta"
                    data-color=variant.color.label().to_owned()
                    style:background-color=variant.color.background().to_owned()
                    style:color=variant.color.foreground()
                    on:click=enroll
                >
                    "Enroll now"
                </button>
                <Link
                    to=Route::Signup
                    label="Go to Signup"
                    class="secondary-link"
                    testid="signup-link"
                />
            </div>
        </section>
        <div class="grid">
            <IdentityPanel />
            <TaskList />
        </div>
    }
}
