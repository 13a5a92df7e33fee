//! What the page knows of the user that results can be broken down by, sent with each
//! exposure: where the user ID came from (`source`), the browser family and the kind of device
//! (from the user agent), and whether the browser was here before (`visitor`).

use cohort_protocol::Dimensions;

use crate::identity::{IdSource, Identity};

/// The browser family a user agent names: the few that matter for a breakdown (a full parser
/// would cost the page kilobytes). Order matters: Edge and Opera say "Chrome" too, and Chrome
/// says "Safari".
///
/// ```
/// use cohort_leptos::dimensions::browser_family;
/// let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
/// assert_eq!(browser_family(firefox), "Firefox");
/// ```
pub fn browser_family(user_agent: &str) -> &'static str {
    first_named(user_agent, BROWSERS, "Other")
}

/// Each browser family by the tokens that name it, in the order they are looked for.
const BROWSERS: &[(&str, &str)] = &[
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("CriOS/", "Chrome"),
    ("Safari/", "Safari"),
];

/// Each kind of device by the tokens that name it, in the order they are looked for.
const DEVICES: &[(&str, &str)] = &[
    ("iPad", "tablet"),
    ("Tablet", "tablet"),
    ("Mobi", "mobile"),
    ("Android", "mobile"),
];

/// The name of the first of `named` whose token is in `text`, else `otherwise` (a plain scan:
/// `str::contains` would link the two-way searcher into the page, a kilobyte for a user agent
/// of a hundred bytes).
fn first_named(
    text: &str,
    named: &[(&str, &'static str)],
    otherwise: &'static str,
) -> &'static str {
    named
        .iter()
        .find(|(token, _)| {
            text.as_bytes()
                .windows(token.len())
                .any(|w| w == token.as_bytes())
        })
        .map_or(otherwise, |(_, name)| name)
}

/// The kind of device a user agent names: `mobile`, `tablet` or `desktop`.
pub fn device(user_agent: &str) -> &'static str {
    first_named(user_agent, DEVICES, "desktop")
}

/// The dimensions of a user with `identity` in a browser whose user agent is `user_agent`: a
/// stored ID is a returning visitor, a new one (or one for this load only) a new visitor; an
/// ID from the app or an IP hash says nothing of the browser, and no `visitor` is sent.
pub fn dimensions(identity: &Identity, user_agent: &str) -> Dimensions {
    let mut pairs: Vec<(String, String)> = Vec::with_capacity(4);
    let mut add = |name: &str, value: &str| pairs.push((name.to_owned(), value.to_owned()));
    // In name order.
    if !user_agent.is_empty() {
        add("browser", browser_family(user_agent));
        add("device", device(user_agent));
    }
    add("source", identity.source.code());
    match identity.source {
        IdSource::Stored => add("visitor", "returning"),
        IdSource::Created | IdSource::Random | IdSource::Session => add("visitor", "new"),
        IdSource::IpHash | IdSource::App => {}
    }
    Dimensions::from_sorted(pairs)
}

/// The dimensions of a user with `identity` in this browser (one copy of the code for every
/// kind of exposure).
#[inline(never)]
pub(crate) fn of_this_page(identity: &Identity) -> Dimensions {
    let user_agent = web_sys::window()
        .and_then(|w| w.navigator().user_agent().ok())
        .unwrap_or_default();
    dimensions(identity, &user_agent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_that_say_chrome_or_safari_too_are_told_apart() {
        let cases = [
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge", "desktop"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0", "Opera", "desktop"),
            ("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", "Samsung Internet", "mobile"),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome", "desktop"),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1", "Chrome", "mobile"),
            ("Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", "Safari", "tablet"),
            ("Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0", "Firefox", "mobile"),
            ("curl/8.5.0", "Other", "desktop"),
        ];
        for (ua, browser, kind) in cases {
            assert_eq!((browser_family(ua), device(ua)), (browser, kind), "{ua}");
        }
    }

    #[test]
    fn a_stored_id_is_a_returning_visitor_and_an_ip_hash_says_nothing_of_it() {
        let ua = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
        let of = |source| {
            dimensions(
                &Identity {
                    user_id: "u".into(),
                    source,
                },
                ua,
            )
        };
        let stored = of(IdSource::Stored);
        assert_eq!(
            stored.iter().collect::<Vec<_>>(),
            [
                ("browser", "Firefox"),
                ("device", "desktop"),
                ("source", "stored"),
                ("visitor", "returning")
            ]
        );
        assert_eq!(of(IdSource::Created).get("visitor"), Some("new"));
        assert_eq!(of(IdSource::Random).get("visitor"), Some("new"));
        assert_eq!(of(IdSource::IpHash).get("visitor"), None);
        assert_eq!(of(IdSource::IpHash).get("source"), Some("ip-hash"));
        let blank = dimensions(
            &Identity {
                user_id: "u".into(),
                source: IdSource::Session,
            },
            "",
        );
        assert_eq!(blank.get("browser"), None);
    }
}
