//! Cohort in any Leptos app: experiments assigned in the browser, exactly as Statsig's SDKs
//! assign them, from rules bundled into the Wasm at build time.
//!
//! The crate holds the browser machinery: who the user is (a stored ID, a fresh one with
//! `?random`, the app's own ID, or a salted IP hash echoed by a server), the reactive
//! assignment of every experiment, gate and dynamic config in the rules, exposures logged once
//! per (user, experiment, group), the event queue in localStorage and its delivery to the
//! collector, sticky groups, forcing (`?force=<experiment>:<group>`, repeatable) and a
//! [`ForcePanel`]. The evaluation itself is the `cohort` engine's.
//!
//! ```no_run
//! use cohort_leptos::{use_cohort, use_experiment, use_gate, Cohort, CohortProvider, Config, Rules};
//! use leptos::prelude::*;
//!
//! /// In an app, `rules` is `cohort_leptos::bundled_rules!()`, compiled from `experiments/` by
//! /// the app's `build.rs`: `fn main() { cohort::build::bundle_rules("experiments") }`.
//! fn start(rules: &'static Rules) {
//!     // (wasm-bindgen-futures' spawn_local: Leptos's own task runner starts with the mount.)
//!     wasm_bindgen_futures::spawn_local(async move {
//!         // Decide who the user is and their groups before the first paint: no flicker.
//!         let cohort = Cohort::start(Config::from_document(rules)).await;
//!         leptos::mount::mount_to_body(move || view! { <CohortProvider cohort><App/></CohortProvider> });
//!     });
//! }
//!
//! #[component]
//! fn App() -> impl IntoView {
//!     let exp = use_experiment("checkout_button"); // exposure logged once per user and group
//!     let color = exp.get("Color", "blue"); // Signal<String>
//!     let beta = use_gate("beta_users"); // Signal<bool>
//!     let cohort = use_cohort();
//!     view! {
//!         <button style:background-color=color on:click=move |_| cohort.track("clicked", None)>
//!             "Go"
//!         </button>
//!         <Show when=move || beta.get()>
//!             <p>"Beta"</p>
//!         </Show>
//!         <cohort_leptos::ForcePanel />
//!     }
//! }
//! ```
//!
//! `examples/pricing/` in the repository is a whole app built this way.
//!
//! Nothing here panics on bad storage, a missing collector, an unknown experiment or an unknown
//! parameter: the page gets the defaults and the console a line naming the choices.

mod client;
pub mod config;
pub mod dimensions;
pub mod events;
mod experiment;
mod force_panel;
mod provider;

/// The browser machinery without Leptos (storage, identity, forcing, sticky groups, the
/// first paint), from `cohort-browser`.
pub use cohort_browser::{
    assign, bundled_rules, console, fetch, first_paint, force, identity, json, page, sticky,
    storage,
};

pub use client::Cohort;
pub use cohort_browser::FirstPaint;
pub use config::Config;
pub use events::EventLog;
pub use experiment::Experiment;
pub use force_panel::ForcePanel;
pub use identity::{IdSource, Identity};
pub use provider::{
    use_cohort, use_config, use_experiment, use_experiment_manual, use_gate, CohortProvider,
};
pub use storage::Store;

/// The engine, for the types an app may name (`User`, `Reason`, `Rules`...).
pub use ::cohort as engine;
pub use ::cohort::{Reason, Rules, User};

#[doc(hidden)]
pub use cohort_browser::__bundled;
