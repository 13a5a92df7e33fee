//! The results page (`results/index.html`; Trunk builds this binary to Wasm): every experiment
//! of the rules, each with its status and the users exposed so far, and the chosen one's
//! results for every metric. It is a page of its own, so that visitors of an experiment page
//! never download statistics and charts.
//!
//! - [`page`]: the page, its controls and its loading (one `LocalResource` in a `Transition`).
//! - [`loaded`]: what one load brings: the experiments, the one shown and its results.
//! - [`listing`]: the experiments, from the collector or from the bundled rules.
//! - [`source`]: one experiment's results, from the collector or from this browser's log.
//! - [`live`]: the collector asked every second whether the results shown changed.
//! - [`local_log`]: this browser's own records.
//! - [`address`]: `?experiment=` and the collector's `<meta>` tag.
//! - [`breakdown`]: the results by a dimension of the users, a row per value.
//! - [`picker`], [`shown`], [`summary`], [`metric`], [`forest`], [`palette`]: what is drawn.

mod address;
mod breakdown;
mod forest;
mod listing;
mod live;
mod loaded;
mod local_log;
mod metric;
mod over_time;
mod page;
mod palette;
mod picker;
mod shown;
mod source;
mod summary;

/// Talc, an allocator made for WebAssembly: smaller than the default dlmalloc.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

fn main() {
    page::start();
}
