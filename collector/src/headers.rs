//! The security headers every answer carries (OWASP's secure headers), and the site's
//! Content-Security-Policy.
//!
//! Every answer: `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin` (a page's
//! address may carry `?force`: other sites never see it, and the site's own requests keep
//! their `Origin`, which the collector checks), `X-Frame-Options: DENY`, and with `--hsts`
//! `Strict-Transport-Security`. HTML pages also get a strict policy: scripts from the site
//! itself and, by their SHA-256, the inline loaders Trunk writes into the site's pages (read
//! again whenever a page of the site changes, so a new build needs no restart), WebAssembly
//! compiled from the site's own files (`'wasm-unsafe-eval'`),
//! requests to the site's own origin only, no plugins, no framing, no `<base>` elsewhere; and
//! `text/html` says its charset. Style attributes stay allowed: the pages set colours through
//! them, and styles run no code.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The headers a collector adds.
#[derive(Debug)]
pub struct SecurityHeaders {
    dist: Option<PathBuf>,
    /// The policy, and the pages it was made from.
    policy: Mutex<(Pages, HeaderValue)>,
    hsts: bool,
}

const HSTS: &str = "max-age=31536000; includeSubDomains";

impl SecurityHeaders {
    /// The headers for a collector serving `dist` (the hashes of its pages' inline scripts go
    /// into the policy), with `Strict-Transport-Security` when `hsts` (the site is served
    /// over TLS, by a proxy in front).
    pub fn new(dist: Option<&Path>, hsts: bool) -> Result<SecurityHeaders, String> {
        let pages = match dist {
            Some(dist) => {
                pages(dist).map_err(|e| format!("cannot read {}: {e}", dist.display()))?
            }
            None => Vec::new(),
        };
        let made = policy_of(&pages)?;
        Ok(SecurityHeaders {
            dist: dist.map(Path::to_owned),
            policy: Mutex::new((pages, made)),
            hsts,
        })
    }

    /// The Content-Security-Policy of the site's pages as they are now: made again when a
    /// page was added, removed or rewritten (a new build); the one before if the site cannot
    /// be read.
    pub fn policy(&self) -> HeaderValue {
        let mut kept = self.policy.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(now) = self.dist.as_deref().and_then(|d| pages(d).ok()) {
            if now != kept.0 {
                if let Ok(made) = policy_of(&now) {
                    *kept = (now, made);
                }
            }
        }
        kept.1.clone()
    }
}

/// The site's pages and when each was last written.
type Pages = Vec<(PathBuf, Option<SystemTime>)>;

/// The site's pages now.
fn pages(dist: &Path) -> std::io::Result<Pages> {
    Ok(html_files(dist)?
        .into_iter()
        .map(|page| {
            let written = std::fs::metadata(&page).and_then(|m| m.modified()).ok();
            (page, written)
        })
        .collect())
}

/// The policy allowing the inline scripts of `pages`.
fn policy_of(pages: &Pages) -> Result<HeaderValue, String> {
    let mut hashes = Vec::new();
    for (page, _) in pages {
        let html = std::fs::read_to_string(page)
            .map_err(|e| format!("cannot read {}: {e}", page.display()))?;
        for hash in inline_script_hashes(&html) {
            if !hashes.contains(&hash) {
                hashes.push(hash);
            }
        }
    }
    HeaderValue::from_str(&policy(&hashes)).map_err(|e| e.to_string())
}

/// The policy allowing the inline scripts of `hashes` (`'sha256-...'`).
fn policy(hashes: &[String]) -> String {
    let mut scripts = String::from("'self' 'wasm-unsafe-eval'");
    for hash in hashes {
        scripts.push(' ');
        scripts.push_str(hash);
    }
    format!(
        "default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// `'sha256-<base64>'` of each inline `<script>` (one without `src`) of a page, in order.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let tag_and_after = &rest[start + "<script".len()..];
        let Some(tag_end) = tag_and_after.find('>') else {
            break;
        };
        let attributes = &tag_and_after[..tag_end];
        let body = &tag_and_after[tag_end + 1..];
        let Some(body_end) = body.find("</script") else {
            break;
        };
        let is_tag = attributes.is_empty() || attributes.starts_with(char::is_whitespace);
        if is_tag && !attributes.contains("src=") {
            let digest = Sha256::digest(&body.as_bytes()[..body_end]);
            let encoded = base64::engine::general_purpose::STANDARD.encode(digest);
            hashes.push(format!("'sha256-{encoded}'"));
        }
        rest = &body[body_end..];
    }
    hashes
}

/// The `.html` files under `dir`, in any folder.
fn html_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let path = entry?.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "html") {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Adds the headers to every answer (a middleware for the whole app).
pub async fn apply(
    State(headers): State<Arc<SecurityHeaders>>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    let out = response.headers_mut();
    out.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    out.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    out.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if headers.hsts {
        out.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    if html {
        out.insert(header::CONTENT_SECURITY_POLICY, headers.policy());
        if out
            .get(header::CONTENT_TYPE)
            .is_some_and(|t| t == "text/html")
        {
            out.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_hashed_and_scripts_with_a_source_are_not() {
        let html = r#"<head><script src="/a.js"></script><script type="module">
import init from '/x.js';
</script><noscript>no</noscript><scripts>x</scripts><script>1</script></head>"#;
        let hashes = inline_script_hashes(html);
        let expect = |body: &str| {
            let digest = Sha256::digest(body.as_bytes());
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        };
        assert_eq!(
            hashes,
            [expect("\nimport init from '/x.js';\n"), expect("1")]
        );
        // A known digest: SHA-256 of "1" in base64.
        assert_eq!(
            hashes[1],
            "'sha256-a4ayc/80/OGda4BO/1o/V0etpOqiLx1JwB5S3beHW0s='"
        );
    }

    #[test]
    fn a_rebuilt_page_gets_a_policy_with_its_new_loaders_hash_without_a_restart() {
        let dist = tempfile::tempdir().unwrap();
        let page = dist.path().join("index.html");
        let write = |script: &str, seconds: u64| {
            std::fs::write(&page, format!("<script type=\"module\">{script}</script>")).unwrap();
            let file = std::fs::File::options().write(true).open(&page).unwrap();
            let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(seconds);
            file.set_modified(at).unwrap();
        };
        write("import '/app-1.js';", 1_000);
        let headers = SecurityHeaders::new(Some(dist.path()), false).unwrap();
        let first = inline_script_hashes("<script>import '/app-1.js';</script>").remove(0);
        assert!(headers.policy().to_str().unwrap().contains(&first));
        write("import '/app-2.js';", 2_000);
        let second = inline_script_hashes("<script>import '/app-2.js';</script>").remove(0);
        let now = headers.policy();
        assert!(
            now.to_str().unwrap().contains(&second),
            "the new build's loader"
        );
        assert!(!now.to_str().unwrap().contains(&first), "not the old one's");
        // A site that cannot be read keeps the policy it had.
        drop(dist);
        assert_eq!(headers.policy(), now);
    }

    #[test]
    fn the_policy_names_each_hash_and_forbids_framing_plugins_and_other_origins() {
        let policy = policy(&["'sha256-AAA='".into(), "'sha256-BBB='".into()]);
        assert!(
            policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-AAA=' 'sha256-BBB=';")
        );
        for directive in [
            "default-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'self'",
        ] {
            assert!(policy.contains(directive), "{directive}");
        }
        assert!(!policy.contains("'unsafe-eval'") && !policy.contains("script-src *"));
    }
}
