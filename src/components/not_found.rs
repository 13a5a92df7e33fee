//! Any other path.

use leptos::prelude::*;

use crate::route::{Link, Route};

/// The fallback route.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="card">
            <h1>"Page not found"</h1>
            <p>
                <Link to=Route::Home label="Back to the course" />
            </p>
        </section>
    }
}
