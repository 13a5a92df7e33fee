//! What the page's address and head say: its query string (`?random`, `?force`), its path,
//! and its `<meta>` settings.

/// The `<meta>` naming the URL of the IP echo (`{"ip_hash": "..."}`); empty or absent: none.
pub const IP_ECHO_META: &str = "cohort:ip-echo-url";
/// The `<meta>` naming the collector's API base (`POST <url>/events`); empty or absent: none.
pub const COLLECTOR_META: &str = "cohort:collector-url";

/// The page's query string, with its `?` (empty when there is none).
pub fn query() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

/// The page's path (`/` when it cannot be read).
pub fn path() -> String {
    web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_else(|| "/".into())
}

/// The trimmed, non-empty `content` of `<meta name="...">`.
pub fn meta(name: &str) -> Option<String> {
    let document = web_sys::window()?.document()?;
    let element = document
        .query_selector(&format!("meta[name=\"{name}\"]"))
        .ok()??;
    let content = element.get_attribute("content")?;
    let content = content.trim();
    (!content.is_empty()).then(|| content.to_owned())
}
