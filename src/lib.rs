//! Cohort's experiment page: the course's `button_color_v3` page, the first user of the
//! `cohort-leptos` kit.
//!
//! What is the course's and nothing else: its experiment's parameters and defaults
//! ([`course`]), the button colours ([`colors`]), the task list ([`tasks`]), its two routes
//! ([`route`]) and its views ([`components`]). Who the user is, the assignment, exposures,
//! events, sticky groups and forcing are the kit's; the evaluation is the engine's.

pub mod bundle;
pub mod colors;
pub mod components;
pub mod course;
pub mod route;
pub mod tasks;

use cohort_leptos::{Cohort, CohortProvider, Config};
use components::App;

/// Talc, an allocator made for WebAssembly: smaller than the default dlmalloc, which matters
/// to a page with a size budget.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

use leptos::prelude::*;

/// Starts the page: decides who the user is and what they see, then mounts. Nothing is drawn
/// before the decision, so the first paint already shows the user's variant.
pub fn start() {
    wasm_bindgen_futures::spawn_local(async {
        let cohort = Cohort::start(Config::from_document(bundle::rules())).await;
        leptos::mount::mount_to_body(
            move || view! { <CohortProvider cohort><App /></CohortProvider> },
        );
    });
}
