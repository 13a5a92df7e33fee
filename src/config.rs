//! Deployment settings, read from `<meta>` tags in `index.html`.
//!
//! They are part of the built `dist/` (Trunk copies `index.html`), so a deployment sets them
//! without rebuilding the Wasm:
//!
//! ```html
//! <meta name="cohort:ip-echo-url" content="/api/whoami">
//! <meta name="cohort:collector-url" content="/api">
//! ```
//!
//! An empty or absent `content` turns the feature off.

/// The page's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppConfig {
    /// Where to fetch `{ "ip_hash": ... }` for the IP-hash identity.
    pub ip_echo_url: Option<String>,
    /// The collector's API base URL (`POST <base>/events`, `GET <base>/results`).
    pub collector_url: Option<String>,
}

/// The meta tag naming the IP echo URL.
pub const IP_ECHO_META: &str = "cohort:ip-echo-url";
/// The meta tag naming the collector's API.
pub const COLLECTOR_META: &str = "cohort:collector-url";

impl AppConfig {
    /// Reads the settings from the current document.
    pub fn from_document() -> AppConfig {
        AppConfig {
            ip_echo_url: meta(IP_ECHO_META),
            collector_url: meta(COLLECTOR_META),
        }
    }
}

/// The trimmed, non-empty `content` of `<meta name="...">`.
fn meta(name: &str) -> Option<String> {
    let document = web_sys::window()?.document()?;
    let element = document
        .query_selector(&format!("meta[name=\"{name}\"]"))
        .ok()??;
    let content = element.get_attribute("content")?;
    let content = content.trim();
    (!content.is_empty()).then(|| content.to_owned())
}
