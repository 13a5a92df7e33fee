//! The application shell: the course's experiment, the router, the header and the page of
//! the current route. Components get the course's view and the router as props (both are
//! `Copy` handles).

use cohort_leptos::use_experiment;
use leptos::either::Either;
use leptos::prelude::*;

use super::{ExperimentPage, SignupPage};
use crate::course::{Course, EXPERIMENT, EXPERIMENT_TAG};
use crate::route::{Link, Route, Router};

/// The whole page. It reads the course's experiment once (its exposure is logged as it is
/// shown) and hands what it shows to the routes.
#[component]
pub fn App() -> impl IntoView {
    let course = Course::of(&use_experiment(EXPERIMENT));
    let router = Router::provide();
    let page = move || match router.current() {
        Route::Signup => Either::Right(view! { <SignupPage course router /> }),
        Route::Home => Either::Left(view! { <ExperimentPage course router /> }),
    };
    view! {
        <header class="topbar">
            <div class="container topbar-inner">
                <Link router to=Route::Home label="Cohort" class="brand" />
                <nav class="nav">
                    // One text node, as in the prerendered first screen (index.html): two
                    // would be laid out a fraction of a pixel apart.
                    <span class="tag">{EXPERIMENT_TAG}</span>
                    <a href="/results/" class="nav-link" data-testid="results-link">
                        "Results"
                    </a>
                </nav>
            </div>
        </header>
        <main class="container">{page}</main>
    }
}
