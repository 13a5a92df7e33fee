//! Cohort's experiment page: the course's `button_color_v3` page as a Leptos single-page app
//! that assigns the user in the browser, with the bundled rules and the `cohort` engine.
//!
//! Browser concerns only: who the user is ([`identity`], [`storage`]), the deployment's
//! settings ([`config`]), the bundled rules ([`bundle`]), what the variant looks like
//! ([`variant`], [`colors`]), the task list ([`tasks`]), the exposures and events sent to the
//! collector ([`events`]), talking to servers ([`fetch`]) and the components. The evaluation itself is the engine's.

pub mod bundle;
pub mod colors;
pub mod components;
pub mod config;
pub mod console;
pub mod events;
pub mod fetch;
pub mod identity;
pub mod results;
pub mod route;
pub mod storage;
pub mod tasks;
pub mod variant;

use components::{App, Session};

/// Talc, an allocator made for WebAssembly: smaller than the default dlmalloc, which matters
/// to a page with a size budget.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

use leptos::prelude::*;

/// Starts the page: decides who the user is and what they see, then mounts. Nothing is drawn
/// before the decision, so the first paint already shows the user's variant.
pub fn start() {
    let config = config::AppConfig::from_document();
    let store = storage::Store::open();
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    wasm_bindgen_futures::spawn_local(async move {
        let identity = identity::resolve(&store, &search, config.ip_echo_url.as_deref()).await;
        // (Without the rules when `scripts/bench` measures the engine's share of the Wasm.)
        let rules = (!cfg!(cohort_size_probe)).then(bundle::bundled_rules);
        let log = events::EventLog::open(store, config.collector_url);
        let session = session_for(identity, store, log, rules);
        let (seen_by, seen) = (session.identity.clone(), session.variant.clone());
        leptos::mount::mount_to_body(move || view! { <App session /> });
        // The user has now seen their group.
        log.exposure(&seen_by, &seen);
    });
}

/// The session of a user: their variant under `rules`, evaluated now.
pub fn session_for(
    identity: identity::Identity,
    store: storage::Store,
    log: events::EventLog,
    rules: Option<&cohort::Rules>,
) -> Session {
    let variant = variant::Variant::assign(rules, &identity.user_id, js_sys::Date::now() as i64);
    if let Some(problem) = &variant.color_problem {
        console::warn(&problem.to_string());
    }
    Session {
        identity,
        variant,
        store,
        log,
    }
}
