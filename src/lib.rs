//! Cohort's experiment page: the course's `button_color_v3` page, the first user of the
//! `cohort-leptos` kit.
//!
//! What is the course's and nothing else: its experiment's parameters and defaults
//! ([`course`]), the button colours ([`colors`]), the task list ([`tasks`]), its two routes
//! ([`route`]) and its views ([`components`]). Who the user is, the assignment, exposures,
//! events, sticky groups and forcing are the kit's; the evaluation is the engine's.

pub mod bundle;
pub mod components;
pub mod course;
pub mod route;
pub mod tasks;

pub use cohort_course::colors;
use cohort_leptos::{Cohort, CohortProvider, Config};
use components::App;

/// Talc, an allocator made for WebAssembly: smaller than the default dlmalloc, which matters
/// to a page with a size budget.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

use leptos::prelude::*;

/// Starts the page: decides who the user is and what they see (or takes what the first-paint
/// module decided, see [`first_paint`]), then mounts in place of the prerendered screen.
/// Nothing is drawn before the decision, so the first paint already shows the user's variant.
pub fn start() {
    wasm_bindgen_futures::spawn_local(async {
        let cohort = Cohort::start(Config::from_document(bundle::rules())).await;
        leptos::mount::mount_to_body(
            move || view! { <CohortProvider cohort><App /></CohortProvider> },
        );
        take_over();
    });
}

/// Removes the prerendered first screen (see `cohort_course::first_paint`), once the app has
/// drawn its own: in the same task, so no frame is drawn between them.
fn take_over() {
    if let Some(screen) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(cohort_course::first_paint::SCREEN_ID))
    {
        screen.remove();
    }
}
