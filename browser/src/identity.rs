//! Who the user is: a random ID kept in localStorage, a fresh one with `?random`, or a salted
//! IP hash echoed by a server.
//!
//! The decision is made before the page is first drawn, so the variant never changes on
//! screen. Precedence: `?random` (any value), then an ID the app gives (a signed-in user, see
//! `cohort-leptos`'s `Config::user`), then the IP echo when one is configured and answers
//! in time, then the stored ID (created on the first visit). A malformed stored ID is
//! replaced; without localStorage the ID lasts for the visit.

use std::time::Duration;

use crate::console;
use crate::fetch::{fetch, Request};
use crate::json::Json;
use crate::storage::Store;

/// The localStorage key of the user ID.
pub const USER_ID_KEY: &str = "cohort.user_id";

/// How long the IP echo may take before the stored ID is used instead.
pub const ECHO_DEADLINE: Duration = Duration::from_millis(300);

/// Where the user ID came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdSource {
    /// Read from localStorage: a returning visitor.
    Stored,
    /// Created on this visit and stored.
    Created,
    /// `?random`: fresh for this page load, not stored.
    Random,
    /// The salted IP hash from the echo server.
    IpHash,
    /// localStorage is unavailable: fresh, kept in memory for this visit.
    Session,
    /// Given by the app (a signed-in user's ID).
    App,
}

impl IdSource {
    /// A stable code (for tests and events).
    pub fn code(self) -> &'static str {
        match self {
            IdSource::Stored => "stored",
            IdSource::Created => "created",
            IdSource::Random => "random",
            IdSource::IpHash => "ip-hash",
            IdSource::Session => "session",
            IdSource::App => "app",
        }
    }

    /// The source whose [`code`](IdSource::code) is `code`.
    pub fn from_code(code: &str) -> Option<IdSource> {
        Some(match code {
            "stored" => IdSource::Stored,
            "created" => IdSource::Created,
            "random" => IdSource::Random,
            "ip-hash" => IdSource::IpHash,
            "session" => IdSource::Session,
            "app" => IdSource::App,
            _ => return None,
        })
    }

    /// How the source is described on the page.
    pub fn label(self) -> &'static str {
        match self {
            IdSource::Stored => "stored in this browser",
            IdSource::Created => "new, stored in this browser",
            IdSource::Random => "random for this load (?random)",
            IdSource::IpHash => "hash of your IP address",
            IdSource::Session => "this visit only (no storage)",
            IdSource::App => "given by the app",
        }
    }
}

/// Who the user is: their ID and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub user_id: String,
    pub source: IdSource,
}

/// A stored ID is trusted only in canonical form: a lower-case hyphenated UUID.
pub fn is_valid_user_id(id: &str) -> bool {
    uuid::Uuid::try_parse(id).is_ok_and(|u| !u.is_nil() && u.hyphenated().to_string() == id)
}

/// An IP hash is trusted when it is 16 to 128 lower-case hex digits.
pub fn is_valid_ip_hash(hash: &str) -> bool {
    (16..=128).contains(&hash.len())
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A UUID from 16 random bytes.
pub fn user_id_from_bytes(bytes: [u8; 16]) -> String {
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// A new random user ID: 128 bits from `crypto.getRandomValues`, as a UUID.
pub fn new_user_id() -> String {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        console::warn("crypto.getRandomValues is unavailable; using Math.random for the user ID");
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    user_id_from_bytes(bytes)
}

/// Whether the query string asks for a random user (`?random`, with any value).
pub fn wants_random(search: &str) -> bool {
    web_sys::UrlSearchParams::new_with_str(search).is_ok_and(|p| p.has("random"))
}

/// The stored ID, or a new one (stored when storage works).
pub fn stored_or_new(store: &Store) -> Identity {
    if !store.is_persistent() {
        return Identity {
            user_id: new_user_id(),
            source: IdSource::Session,
        };
    }
    match store.get_json(USER_ID_KEY).map(|json| json.as_string()) {
        Some(Some(id)) if is_valid_user_id(&id) => {
            return Identity {
                user_id: id,
                source: IdSource::Stored,
            }
        }
        Some(Some(bad)) => console::warn(&format!(
            "the stored user ID \"{bad}\" is malformed; replacing it with a new one"
        )),
        Some(None) => {
            console::warn("the stored user ID is not a string; replacing it with a new one")
        }
        None => {}
    }
    let user_id = new_user_id();
    let source = if store.set(USER_ID_KEY, &user_id) {
        IdSource::Created
    } else {
        IdSource::Session
    };
    Identity { user_id, source }
}

/// Decides who the user is, before anything is drawn: `?random` in `search`, else the ID the
/// app `given`, else the IP echo's hash, else the stored ID.
pub async fn resolve(
    store: &Store,
    search: &str,
    given: Option<&str>,
    ip_echo_url: Option<&str>,
) -> Identity {
    if let Some(identity) = random_or_given(search, given) {
        return identity;
    }
    if let Some(url) = ip_echo_url {
        match fetch_ip_hash(url, ECHO_DEADLINE).await {
            Ok(hash) => {
                return Identity {
                    user_id: hash,
                    source: IdSource::IpHash,
                }
            }
            Err(why) => console::warn(&format!(
                "the IP echo at {url} did not give an ID ({why}); using the stored ID"
            )),
        }
    }
    stored_or_new(store)
}

/// [`resolve`] without an IP echo, which needs no wait: `?random`, else the ID the app
/// `given`, else the stored ID.
pub fn resolve_here(store: &Store, search: &str, given: Option<&str>) -> Identity {
    random_or_given(search, given).unwrap_or_else(|| stored_or_new(store))
}

/// A fresh ID for `?random`, else the ID the app `given`.
fn random_or_given(search: &str, given: Option<&str>) -> Option<Identity> {
    if wants_random(search) {
        return Some(Identity {
            user_id: new_user_id(),
            source: IdSource::Random,
        });
    }
    given.map(|id| Identity {
        user_id: id.to_owned(),
        source: IdSource::App,
    })
}

/// Reads the echo's `{ "ip_hash": "..." }`.
pub fn parse_echo_body(body: &str) -> Result<String, String> {
    let json = Json::parse(body).ok_or("bad body: not JSON")?;
    let hash = json
        .get("ip_hash")
        .ok_or("bad body: no ip_hash")?
        .as_string()
        .ok_or("bad body: ip_hash is not a string")?;
    if is_valid_ip_hash(&hash) {
        Ok(hash)
    } else {
        Err(format!(
            "ip_hash \"{hash}\" is not 16 to 128 lower-case hex digits"
        ))
    }
}

/// Fetches the IP hash, giving up after `deadline`.
async fn fetch_ip_hash(url: &str, deadline: Duration) -> Result<String, String> {
    let request = Request {
        deadline: Some(deadline),
        ..Request::default()
    };
    let reply = fetch(url, request).await.map_err(|e| e.to_string())?;
    if !reply.ok() {
        return Err(format!("status {}", reply.status));
    }
    parse_echo_body(&reply.text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sources_code_reads_back_and_nothing_else_does() {
        for source in [
            IdSource::Stored,
            IdSource::Created,
            IdSource::Random,
            IdSource::IpHash,
            IdSource::Session,
            IdSource::App,
        ] {
            assert_eq!(IdSource::from_code(source.code()), Some(source));
        }
        for other in ["", "Stored", "ip_hash", "stored ", "anything"] {
            assert_eq!(IdSource::from_code(other), None, "{other:?}");
        }
    }

    #[test]
    fn only_canonical_uuids_are_valid_ids() {
        assert!(is_valid_user_id("0f8fad5b-d9cb-469f-a165-70867728950e"));
        for bad in [
            "",
            "not-a-uuid",
            "0F8FAD5B-D9CB-469F-A165-70867728950E",
            "0f8fad5bd9cb469fa16570867728950e",
            "{0f8fad5b-d9cb-469f-a165-70867728950e}",
            "00000000-0000-0000-0000-000000000000",
            "0f8fad5b-d9cb-469f-a165-70867728950e ",
            "<script>",
        ] {
            assert!(!is_valid_user_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn random_bytes_make_version_4_uuids() {
        let id = user_id_from_bytes([0xab; 16]);
        assert!(is_valid_user_id(&id), "{id}");
        assert_eq!(&id[14..15], "4");
        assert_ne!(user_id_from_bytes([1; 16]), user_id_from_bytes([2; 16]));
    }
}
