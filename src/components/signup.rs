//! The signup view the course's "Go to Signup" link leads to. Opening it is the conversion
//! the experiment measures (`visited_signup`).

use cohort_leptos::use_cohort;
use leptos::prelude::*;

use super::{derived, IdentityPanel};
use crate::course::Course;
use crate::route::{Link, Route, Router};

/// `/signup`: logs `visited_signup` and thanks the user, in their variant's colours.
#[component]
pub fn SignupPage(course: Course, router: Router) -> impl IntoView {
    use_cohort().track(cohort_protocol::VISITED_SIGNUP, None);
    let color = move |f: fn(&crate::colors::ButtonColor) -> &str| {
        derived(move || f(&course.color()).to_owned())
    };
    view! {
        <section class="card hero" aria-labelledby="signup-title" data-testid="signup">
            <p class="eyebrow">"Data Engineering Boot Camp"</p>
            <h1 id="signup-title" class="lead">
                "You're on the list"
            </h1>
            <p>
                "Thanks for signing up. This visit is the conversion the experiment counts: "
                "it is logged as " <code>"visited_signup"</code> " for your group."
            </p>
            <p
                class="badge"
                style:background-color=color(|c| c.background())
                style:color=color(|c| c.foreground())
            >
                {derived(move || course.group_label())}
            </p>
            <p>
                <Link router to=Route::Home label="← Back to the course" testid="back-link" />
            </p>
        </section>
        <IdentityPanel course />
    }
}
