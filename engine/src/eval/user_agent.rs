//! Fields Statsig's `ua_based` conditions parse from the user agent: `os_name`, `os_version`,
//! `browser_name`, `browser_version`, with the reference SDK's rules: the uap-core parsers
//! (ua-parser, with the regexes of uap-core 0.18.0 in `data/uap-regexes.json`), "Other" when
//! nothing matches, versions as `major.minor.patch` with missing parts 0, and iPadOS versions
//! read from the text when the OS parser finds none.

use std::sync::OnceLock;

use ua_parser::{os, user_agent, Regexes};

const REGEXES: &str = include_str!("../../data/uap-regexes.json");

struct Parsers {
    browser: user_agent::Extractor<'static>,
    os: os::Extractor<'static>,
}

/// The parsers, built on first use (compiling the regexes takes a moment).
fn parsers() -> Option<&'static Parsers> {
    static PARSERS: OnceLock<Option<Parsers>> = OnceLock::new();
    PARSERS
        .get_or_init(|| {
            let regexes: Regexes<'static> = serde_json::from_str(REGEXES).ok()?;
            let browser = regexes
                .user_agent_parsers
                .into_iter()
                .try_fold(user_agent::Builder::new(), |b, p| b.push(p))
                .ok()?
                .build()
                .ok()?;
            let os = regexes
                .os_parsers
                .into_iter()
                .try_fold(os::Builder::new(), |b, p| b.push(p))
                .ok()?
                .build()
                .ok()?;
            Some(Parsers { browser, os })
        })
        .as_ref()
}

/// A version as the SDK writes it: `major.minor.patch`, a missing part 0, and no version at
/// all when a part is not an integer.
fn version(major: Option<&str>, minor: Option<&str>, patch: Option<&str>) -> Option<String> {
    let part = |p: Option<&str>| match p {
        None => Some(0i128),
        Some(text) => crate::python::parse_int(text).ok(),
    };
    Some(format!(
        "{}.{}.{}",
        part(major)?,
        part(minor)?,
        part(patch)?
    ))
}

/// `major.minor.patch` of "iPadOS X[.Y[.Z]]" in the user agent.
fn ipados_version(ua: &str) -> Option<(String, Option<String>, Option<String>)> {
    let at = ua.match_indices("iPadOS ").find(|(i, _)| {
        *i == 0
            || !ua[..*i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })?;
    let rest = &ua[at.0 + "iPadOS ".len()..];
    let mut parts = Vec::new();
    let mut text = rest;
    for i in 0..3 {
        if i > 0 {
            let Some(after_dot) = text.strip_prefix('.') else {
                break;
            };
            text = after_dot;
        }
        let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() {
            if i == 0 {
                return None;
            }
            break;
        }
        text = &text[digits.len()..];
        parts.push(digits);
    }
    let mut parts = parts.into_iter();
    Some((parts.next()?, parts.next(), parts.next()))
}

/// The user-agent field Statsig names `field`, or `None`.
pub(crate) fn field(ua: &str, field: &str) -> Option<String> {
    let parsers = parsers()?;
    match field.to_ascii_lowercase().as_str() {
        "osname" | "os_name" => Some(
            parsers
                .os
                .extract(ua)
                .map_or_else(|| "Other".to_owned(), |o| o.os.into_owned()),
        ),
        "os_version" | "osversion" => match parsers.os.extract(ua) {
            Some(o) if o.major.is_some() => {
                version(o.major.as_deref(), o.minor.as_deref(), o.patch.as_deref())
            }
            _ => match ipados_version(ua) {
                Some((major, minor, patch)) => {
                    version(Some(&major), minor.as_deref(), patch.as_deref())
                }
                None => version(None, None, None),
            },
        },
        "browser_name" | "browsername" => Some(
            parsers
                .browser
                .extract(ua)
                .map_or_else(|| "Other".to_owned(), |b| b.family.into_owned()),
        ),
        "browser_version" | "browserversion" => match parsers.browser.extract(ua) {
            Some(b) => version(b.major, b.minor, b.patch),
            None => version(None, None, None),
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36";

    #[test]
    fn browser_and_os_of_a_desktop_chrome() {
        assert_eq!(field(CHROME_MAC, "browser_name").as_deref(), Some("Chrome"));
        assert_eq!(
            field(CHROME_MAC, "browserVersion").as_deref(),
            Some("120.0.6099")
        );
        assert_eq!(field(CHROME_MAC, "os_name").as_deref(), Some("Mac OS X"));
        assert_eq!(field(CHROME_MAC, "os_version").as_deref(), Some("10.15.7"));
        assert_eq!(field(CHROME_MAC, "device"), None);
    }

    #[test]
    fn unknown_agents_are_other_zero() {
        assert_eq!(field("zzz", "browser_name").as_deref(), Some("Other"));
        assert_eq!(field("", "os_version").as_deref(), Some("0.0.0"));
    }

    #[test]
    fn ipados_versions_come_from_the_text() {
        assert_eq!(
            ipados_version("Foo iPadOS 17.2 Bar"),
            Some(("17".into(), Some("2".into()), None))
        );
        assert_eq!(ipados_version("xiPadOS 17"), None);
        assert_eq!(ipados_version("iPadOS x"), None);
    }
}
