//! The application shell: the session and the router in context, the header and the page of
//! the current route.

use leptos::either::Either;
use leptos::prelude::*;

use super::{ExperimentPage, SignupPage};
use crate::route::{Link, Route, Router};
use crate::session::Session;

/// The whole page.
#[component]
pub fn App(session: Session) -> impl IntoView {
    provide_context(session);
    let router = Router::provide();
    let page = move || match router.current() {
        Route::Signup => Either::Right(view! { <SignupPage /> }),
        Route::Home => Either::Left(view! { <ExperimentPage /> }),
    };
    view! {
        <header class="topbar">
            <div class="container topbar-inner">
                <Link to=Route::Home label="Cohort" class="brand" />
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
