//! Reactive values of one type: `Arc<dyn Fn() -> T>`, which tachys renders as it renders a
//! closure. Every closure type in a view compiles its own copy of the renderer's code; erased
//! to [`Derived`], all reactive texts and attributes of a type share one, which keeps the
//! page's Wasm within its size budget.

use std::sync::Arc;

/// A reactive value, erased.
pub type Derived<T> = Arc<dyn Fn() -> T + Send + Sync>;

/// Erases `f` to a [`Derived`].
pub fn derived<T>(f: impl Fn() -> T + Send + Sync + 'static) -> Derived<T> {
    Arc::new(f)
}
