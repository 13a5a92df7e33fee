//! A pricing page: the second app built on `cohort-leptos`, and its documentation by example.
//!
//! Its rules are in `experiments/` (bundled by `build.rs`): two experiments in the layer
//! `pricing_layer` (`plan_layout` changes how the plans are laid out, `price_anchor` how their
//! prices are presented; a user is in one of them at most), `cta_copy` beside them (the
//! buttons' words), the gate `annual_billing` (yearly billing, for half of the users), and the
//! metrics `checkout` (started a checkout) and `revenue` (the sum of the purchases).
//!
//! Everything here is the kit's public API: [`Cohort::start`] before the first paint,
//! [`CohortProvider`] around the app, `use_experiment`, `use_gate` and `use_cohort().track` in
//! the components, and the kit's `ForcePanel` for QA.

mod components;
mod plans;

use cohort_leptos::{bundled_rules, Cohort, CohortProvider, Config};
use components::App;
use leptos::prelude::*;

fn main() {
    // wasm_bindgen_futures' spawn_local, not leptos::task's: Leptos sets up its executor in
    // mount_to_body, and spawning on it before that panics.
    wasm_bindgen_futures::spawn_local(async {
        // Decide who the user is and their groups before the first paint: no flicker.
        let cohort = Cohort::start(Config::from_document(bundled_rules!())).await;
        leptos::mount::mount_to_body(
            move || view! { <CohortProvider cohort><App /></CohortProvider> },
        );
    });
}
