//! The page's entry point (Trunk builds this binary to Wasm).

fn main() {
    cohort_app::start();
}
