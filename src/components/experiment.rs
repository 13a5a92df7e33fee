//! The course's page: the paragraph and call to action of the user's group.

use cohort_leptos::use_cohort;
use leptos::prelude::*;

use super::{derived, IdentityPanel, TaskList};
use crate::course::Course;
use crate::route::{Link, Route, Router};

/// `/`: the experiment's variant, the user's assignment and their tasks. The paragraph and
/// the button follow the user's group.
#[component]
pub fn ExperimentPage(course: Course, router: Router) -> impl IntoView {
    let cohort = use_cohort();
    let enroll = move |_| {
        cohort.track(cohort_protocol::CTA_CLICK, None);
        router.navigate(Route::Signup);
    };
    let color = move |f: fn(&crate::colors::ButtonColor) -> &str| {
        derived(move || f(&course.color()).to_owned())
    };
    view! {
        <section class="card hero" aria-labelledby="headline">
            <p class="eyebrow">"A/B test · assigned in your browser"</p>
            <h1 class="lead" id="headline" data-testid="paragraph">
                {derived(move || course.paragraph())}
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
            <IdentityPanel course />
            <TaskList course />
        </div>
    }
}
