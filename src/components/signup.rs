//! The signup view the course's "Go to Signup" link leads to.

use leptos::prelude::*;

use super::{IdentityPanel, Session};
use crate::route::{Link, Route};

/// `/signup`: a signup form (nothing is sent anywhere) in the user's variant.
#[component]
pub fn SignupPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let variant = session.variant;
    let name = RwSignal::new(String::new());
    let submitted = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(Some(name.get_untracked().trim().to_owned()));
    };
    view! {
        <section class="card" aria-labelledby="signup-title" data-testid="signup">
            <h1 id="signup-title">"Sign up for the boot camp"</h1>
            <form class="form" on:submit=submit>
                <label for="signup-name">"Name"</label>
                <input
                    id="signup-name"
                    name="name"
                    autocomplete="name"
                    required
                    on:input:target=move |ev| name.set(ev.target().value())
                />
                <label for="signup-email">"Email"</label>
                <input id="signup-email" name="email" type="email" autocomplete="email" required />
                <button
                    type="submit"
                    class="cta"
                    style:background-color=variant.color.background().to_owned()
                    style:color=variant.color.foreground()
                >
                    "Create my account"
                </button>
            </form>
            {move || {
                submitted
                    .get()
                    .map(|who| {
                        view! {
                            <p role="status" class="notice">
                                "Thanks, " {who} "! This demo keeps nothing."
                            </p>
                        }
                    })
            }}
            <p>
                <Link to=Route::Home label="← Back to the course" testid="back-link" />
            </p>
        </section>
        <IdentityPanel />
    }
}
