//! The page's first-paint module: a second, small Wasm (the engine, the bundled rules and the
//! identity, no Leptos) that shows the prerendered screen with the user's variant before the
//! app's Wasm arrives (see `cohort_course::first_paint`). `scripts/trunk/first-paint` builds it.

/// Talc, as in the app: smaller than the default allocator.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

fn main() {
    cohort_course::first_paint::paint();
}
