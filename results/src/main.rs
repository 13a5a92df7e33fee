//! The results page's entry point (`results/index.html`; Trunk builds this binary to Wasm). It
//! is a page of its own, so that visitors of the experiment page never download statistics
//! and charts.

fn main() {
    cohort_app::results::start();
}
