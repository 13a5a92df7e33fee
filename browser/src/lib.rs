//! Cohort in a browser page, with no UI framework: what a page needs before and beside its
//! framework, and what `cohort-leptos` builds on.
//!
//! - [`storage`]: localStorage that never panics (memory when it does not work);
//! - [`identity`]: who the user is (a stored ID, a fresh one with `?random`, the app's own, or
//!   a salted IP hash echoed by a server, through [`fetch`]);
//! - [`force`]: `?force=<experiment>:<group>`; [`sticky`] groups, kept per user and version;
//!   [`assign`]: which of them, or the rules, gives the group a user sees;
//! - [`page`]: the page's query string, path and `<meta>` settings;
//! - [`first_paint`]: deciding the first screen's variant in a small module that loads before
//!   the app, exactly as the app will ([`FirstPaint`]);
//! - [`console`] and [`json`]: the developer's messages, and JSON through the browser's own
//!   parser;
//! - [`bundled_rules!`]: the rules the app's build script compiled.
//!
//! Nothing here panics on bad storage, a missing server or a malformed value: the page gets a
//! working default and the console a line saying why.

pub mod assign;
pub mod console;
pub mod fetch;
pub mod first_paint;
pub mod force;
pub mod identity;
pub mod json;
pub mod page;
pub mod sticky;
pub mod storage;

pub use first_paint::FirstPaint;
pub use identity::{IdSource, Identity};
pub use storage::Store;

/// The engine, for the types an app may name (`User`, `Reason`, `Rules`...).
pub use ::cohort as engine;
pub use ::cohort::{Reason, Rules, User};

/// The rules `cohort::build::bundle_rules` compiled into `$OUT_DIR` in the app's build
/// script, as `&'static Rules`, built once: what a page evaluating users needs (the specs and
/// sticky versions); `bundled_rules!(analysis)` adds the metrics and every experiment setting,
/// for a page that analyses results.
#[macro_export]
macro_rules! bundled_rules {
    () => {{
        static RULES: ::std::sync::OnceLock<$crate::Rules> = ::std::sync::OnceLock::new();
        $crate::__bundled(&RULES, || {
            use $crate::engine as cohort;
            include!(concat!(env!("OUT_DIR"), "/cohort_rules.rs"))
        })
    }};
    (analysis) => {{
        static RULES: ::std::sync::OnceLock<$crate::Rules> = ::std::sync::OnceLock::new();
        $crate::__bundled(&RULES, || {
            use $crate::engine as cohort;
            include!(concat!(env!("OUT_DIR"), "/cohort_rules_analysis.rs"))
        })
    }};
}

/// What [`bundled_rules!`] expands to call: the rules, built on first use. (Without them when
/// `scripts/bench` measures the engine's share of a page.)
#[doc(hidden)]
pub fn __bundled(
    cell: &'static std::sync::OnceLock<Rules>,
    build: fn() -> Rules,
) -> &'static Rules {
    if cfg!(cohort_size_probe) {
        return cell.get_or_init(|| {
            Rules::from_parts(
                Vec::new(),
                Vec::new(),
                None,
                None,
                engine::codegen::rt::Operators::NONE,
            )
        });
    }
    cell.get_or_init(build)
}
