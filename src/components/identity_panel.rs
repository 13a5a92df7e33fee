//! The user's assignment: group, user ID and where the ID came from, and the switch that
//! impersonates a random user.

use leptos::prelude::*;

use super::Session;
use crate::identity::IdSource;

/// The "Your assignment" card.
#[component]
pub fn IdentityPanel() -> impl IntoView {
    let session = expect_context::<Session>();
    let identity = session.identity;
    let is_random = identity.source == IdSource::Random;
    view! {
        <section class="card" aria-labelledby="assignment-title">
            <h2 id="assignment-title">"Your assignment"</h2>
            <dl class="facts">
                <dt>"Group"</dt>
                <dd data-testid="group">{session.variant.group_label()}</dd>
                <dt>"User ID"</dt>
                <dd>
                    <code data-testid="user-id">{identity.user_id}</code>
                </dd>
                <dt>"ID source"</dt>
                <dd data-testid="id-source" data-source=identity.source.code()>
                    {identity.source.label()}
                </dd>
            </dl>
            <label class="switch">
                <input
                    type="checkbox"
                    role="switch"
                    data-testid="random-toggle"
                    prop:checked=is_random
                    on:change=move |_| set_random(!is_random)
                />
                <span>"Impersonate a random user"</span>
            </label>
            <p class="hint">"Each load with ?random plays a new user, as in the course."</p>
        </section>
    }
}

/// Sets or clears `?random` (keeping other parameters) and reloads: the identity is decided
/// before the first paint, so a new one needs a new page load.
fn set_random(on: bool) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let search = location.search().unwrap_or_default();
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else {
        return;
    };
    if on {
        params.set("random", "");
    } else {
        params.delete("random");
    }
    let query: String = params.to_string().into();
    let _ = location.set_search(&query);
}
