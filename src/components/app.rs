//! The application shell: the session and the router in context, the header and the page of
//! the current route.

use leptos::either::EitherOf3;
use leptos::prelude::*;

use super::{ExperimentPage, NotFound, SignupPage};
use crate::identity::Identity;
use crate::route::{Link, Route, Router};
use crate::storage::Store;
use crate::variant::Variant;

/// Everything decided before the first paint: who the user is and what they see.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub identity: Identity,
    pub variant: Variant,
    pub store: Store,
}

/// The whole page.
#[component]
pub fn App(session: Session) -> impl IntoView {
    provide_context(session);
    let router = Router::provide();
    let page = move || match router.current() {
        Route::Home => EitherOf3::A(view! { <ExperimentPage /> }),
        Route::Signup => EitherOf3::B(view! { <SignupPage /> }),
        Route::NotFound => EitherOf3::C(view! { <NotFound /> }),
    };
    view! {
        <header class="topbar">
            <div class="container topbar-inner">
                <Link to=Route::Home label="Cohort" class="brand" />
                <span class="tag">"experiment: " {crate::variant::EXPERIMENT}</span>
            </div>
        </header>
        <main class="container">{page}</main>
    }
}
