//! The page's first-paint module: a second, small Wasm (the engine, the bundled rules and the
//! identity, no Leptos) that shows the prerendered screen with the user's variant before the
//! app's Wasm arrives (see `cohort_course::first_paint`). `scripts/trunk/first-paint` builds it.
//!
//! No `main`: the module's start function paints, without the standard library's start-up (its
//! thread and standard-output machinery would be most of what it adds to the module).

#![no_main]

/// Talc, as in the app: smaller than the default allocator.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
fn start() {
    cohort_course::first_paint::paint();
}

/// Natively (where the workspace's tests build every binary) there is no page to paint.
#[cfg(not(target_arch = "wasm32"))]
#[no_mangle]
pub extern "C" fn main() -> i32 {
    0
}
