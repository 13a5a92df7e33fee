//! What the page reads from its document: the experiment the address asks for
//! (`?experiment=NAME`), and the collector's API (`<meta name="cohort:collector-url">`, empty
//! or absent: no collector). It also writes the chosen experiment back into the address
//! (`history.replaceState`), so that a reload or a shared link shows the same experiment, and
//! keeps the collector's results token for the tab (`sessionStorage`: gone when the tab closes,
//! never in the address or in a shared link).

use cohort_leptos::config::COLLECTOR_META;
use cohort_leptos::console;
use wasm_bindgen::JsValue;

/// The query parameter naming the experiment shown.
pub const EXPERIMENT_PARAM: &str = "experiment";
/// Where the tab keeps the results token.
pub const TOKEN_KEY: &str = "cohort.results-token";

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// The results token this tab was given, if any.
pub fn kept_token() -> Option<String> {
    non_empty(&session_storage()?.get_item(TOKEN_KEY).ok()??)
}

/// Keeps `token` for this tab (a console warning if the tab cannot keep it: it is then used
/// until the page is left).
pub fn keep_token(token: &str) {
    let kept = session_storage().is_some_and(|s| s.set_item(TOKEN_KEY, token).is_ok());
    if !kept {
        console::warn("the results token cannot be kept for this tab (no session storage)");
    }
}

/// The collector's API base (`/api`), if the page has one.
pub fn collector_url() -> Option<String> {
    let document = web_sys::window()?.document()?;
    let element = document
        .query_selector(&format!("meta[name=\"{COLLECTOR_META}\"]"))
        .ok()??;
    non_empty(&element.get_attribute("content")?)
}

/// The experiment `?experiment=` names, if it names one.
pub fn requested_experiment() -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    non_empty(&params.get(EXPERIMENT_PARAM)?)
}

/// Replaces the address's `?experiment=` with `experiment`, keeping its other parameters and
/// its fragment, without reloading.
pub fn show_in_address(experiment: &str) {
    if let Err(why) = replace_experiment(experiment) {
        console::warn(&format!(
            "the address could not be updated: {}",
            console::describe(&why)
        ));
    }
}

fn replace_experiment(experiment: &str) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    let location = window.location();
    let params = web_sys::UrlSearchParams::new_with_str(&location.search()?)?;
    params.set(EXPERIMENT_PARAM, experiment);
    let query = String::from(params.to_string());
    let address = format!("{}?{query}{}", location.pathname()?, location.hash()?);
    window
        .history()?
        .replace_state_with_url(&JsValue::NULL, "", Some(&address))
}

/// `text` trimmed, if anything is left.
fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}
