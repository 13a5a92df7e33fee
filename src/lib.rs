//! Cohort's experiment page: the course's `button_color_v3` page as a Leptos single-page app
//! that assigns the user in the browser, with the bundled rules and the `cohort` engine.
//!
//! Browser concerns only: who the user is ([`identity`], [`storage`]), the deployment's
//! settings ([`config`]), the bundled rules ([`bundle`]), the session's signals
//! ([`session`]), forced and sticky groups ([`force`], [`sticky`]), what the variant looks
//! like ([`variant`], [`colors`]), the task list ([`tasks`]), the exposures and events sent to
//! the collector ([`events`]), talking to servers ([`fetch`]), reading JSON ([`json`]) and the
//! components. The evaluation itself is the engine's.

pub mod bundle;
pub mod colors;
pub mod components;
pub mod config;
pub mod console;
pub mod events;
pub mod fetch;
pub mod force;
pub mod identity;
pub mod json;
pub mod results;
pub mod route;
pub mod session;
pub mod sticky;
pub mod storage;
pub mod tasks;
pub mod variant;

use components::App;
pub use session::Session;

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
        let forced = rules.and_then(|rules| {
            force::forced_group(&search, rules, variant::EXPERIMENT, console::warn)
        });
        let log = events::EventLog::open(store, config.collector_url);
        let session = Session::new(identity, forced, store, log, rules);
        leptos::mount::mount_to_body(move || view! { <App session /> });
        // The user has now seen their group.
        session.expose();
    });
}
