//! The application shell: the session and the router, the header and the page of the current
//! route. Components get the session and the router as props (both are `Copy` handles).

use leptos::either::Either;
use leptos::prelude::*;

use super::{ExperimentPage, SignupPage};
use crate::route::{Link, Route, Router};
use crate::session::Session;

/// The whole page.
#[component]
pub fn App(session: Session) -> impl IntoView {
    let router = Router::provide();
    let page = move || match router.current() {
        Route::Signup => Either::Right(view! { <SignupPage session router /> }),
        Route::Home => Either::Left(view! { <ExperimentPage session router /> }),
    };
    view! {
        <header class="topbar">
            <div class="container topbar-inner">
                <Link router to=Route::Home label="Cohort" class="brand" />
                <nav class="nav">
                    <span class="tag">"experiment: " {crate::variant::EXPERIMENT}</span>
                    <a href="/results/" class="nav-link" data-testid="results-link">
                        "Results"
                    </a>
                </nav>
            </div>
        </header>
        <main class="container">{page}</main>
    }
}
