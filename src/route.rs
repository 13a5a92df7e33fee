//! Client-side routes: `/` (the experiment page) and `/signup`, on the History API.
//!
//! The page has two routes, so it keeps the current one in a signal, changes it with
//! `history.pushState`, and follows the back and forward buttons through `popstate`. (The
//! general-purpose `leptos_router` was measured at 49 KB gzip of Wasm here, 40% of the page's
//! budget, for the same two routes.) Paths are absolute from the site root, so `dist/` is
//! served at the root of its host, with `index.html` as the fallback for `/signup`.

use leptos::ev;
use leptos::prelude::*;

pub use cohort_course::route::Route;

/// The current route: a signal that follows navigation and the browser's history.
#[derive(Debug, Clone, Copy)]
pub struct Router {
    current: RwSignal<Route>,
}

impl Router {
    /// Starts following the browser's location.
    pub fn provide() -> Router {
        let router = Router {
            current: RwSignal::new(Route::from_path(&location_path())),
        };
        let handle = window_event_listener(ev::popstate, move |_| {
            router.current.set(Route::from_path(&location_path()));
        });
        on_cleanup(move || handle.remove());
        router
    }

    pub fn current(self) -> Route {
        self.current.get()
    }

    /// Goes to `route`, keeping the query string (so `?random` survives), as a new history
    /// entry.
    pub fn navigate(self, route: Route) {
        if let Some(window) = web_sys::window() {
            let search = window.location().search().unwrap_or_default();
            let url = format!("{}{search}", route.path());
            if let Ok(history) = window.history() {
                let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
            }
            window.scroll_to_with_x_and_y(0.0, 0.0);
        }
        self.current.set(route);
    }
}

/// A link to a route: a real `<a href>` (so it can be opened in a new tab or copied), which
/// navigates in place on a plain click. (The label is text, not children, which keeps type
/// erasure, and its code, out of the Wasm.)
#[component]
pub fn Link(
    router: Router,
    to: Route,
    label: &'static str,
    #[prop(optional)] class: &'static str,
    #[prop(optional)] testid: &'static str,
) -> impl IntoView {
    let on_click = move |ev: web_sys::MouseEvent| {
        let plain =
            ev.button() == 0 && !(ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.alt_key());
        if plain {
            ev.prevent_default();
            router.navigate(to);
        }
    };
    view! {
        <a href=to.path() class=class data-testid=testid on:click=on_click>
            {label}
        </a>
    }
}

fn location_path() -> String {
    web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_else(|| "/".into())
}
