//! The collector as a web server: the API's unknown paths, `robots.txt` and `favicon.ico`, and,
//! with `--dist`, the built site.
//!
//! - `/api/<anything unknown>` is a 404 with a JSON reason, never the page.
//! - `/robots.txt` and `/favicon.ico` come from the site when it has them, else built in.
//! - The site's files are served compressed (brotli or gzip, as the browser accepts): the
//!   build's own `FILE.br` and `FILE.gz` when it wrote them (`scripts/trunk/precompress`), with
//!   their length and no work per request, else compressed on the way out; with
//!   `Cache-Control: immutable` for a year when the name carries a content hash (what Trunk
//!   writes), `no-cache` for HTML (so a new build is picked up at once), an hour otherwise.
//! - A path without a file extension that is not a file is the single-page app's route
//!   (`/signup`): `index.html`. A missing file (`/app-1234.js`) is a 404, not the page, and so
//!   is a path with a segment longer than any file name (the file system's "name too long"
//!   would otherwise be a 500).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::handler::HandlerWithoutStateExt;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use serde_json::json;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::services::ServeDir;

/// The robots file when the site has none: crawl the pages, not the API.
pub const ROBOTS: &str = "User-agent: *\nDisallow: /api/\n";
/// The icon when the site has none: the four groups' colours.
pub const FAVICON: &[u8] = include_bytes!("../../assets/favicon.ico");

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const NO_CACHE: &str = "no-cache";
const AN_HOUR: &str = "public, max-age=3600";
/// The longest file name the site can have: 255 bytes on Linux and most file systems.
const MAX_NAME_BYTES: usize = 255;

/// Routes for everything but the API's own endpoints: merge it after them.
pub fn routes(dist: Option<PathBuf>) -> Router {
    let dist = dist.map(Arc::new);
    let router = Router::new()
        .route("/api/{*rest}", any(unknown_api))
        .route("/api", any(unknown_api))
        .route("/robots.txt", get(robots))
        .route("/favicon.ico", get(favicon))
        .with_state(dist.clone());
    let router = match dist {
        Some(dist) => {
            let index = Arc::new(dist.join("index.html"));
            let app_route = move |uri: Uri| app_route(uri, index.clone());
            router
                .fallback_service(
                    ServeDir::new(dist.as_path())
                        .precompressed_br()
                        .precompressed_gzip()
                        .fallback(app_route.into_service()),
                )
                .layer(middleware::from_fn(long_names_are_missing))
        }
        None => router.fallback(nothing_here),
    };
    router
        .layer(middleware::from_fn(cache_control))
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(5)))
}

/// Whether a file name carries a content hash, as Trunk writes them: `name-<16 hex>.ext`, or
/// `name-<16 hex>_bg.wasm`.
pub fn is_content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    let stem = name.split('.').next().unwrap_or("");
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

async fn cache_control(request: Request, next: Next) -> Response {
    let hashed = is_content_hashed(request.uri().path());
    let mut response = next.run(request).await;
    if response.status().is_success() && !response.headers().contains_key(header::CACHE_CONTROL) {
        let html = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"));
        let value = if html {
            NO_CACHE
        } else if hashed {
            IMMUTABLE
        } else {
            AN_HOUR
        };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    response
}

/// A site path with a segment longer than a file name can be names no file: 404 at once.
async fn long_names_are_missing(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let site = !(path == "/api" || path.starts_with("/api/"));
    if site
        && path
            .split('/')
            .any(|segment| segment.len() > MAX_NAME_BYTES)
    {
        return (StatusCode::NOT_FOUND, "Not found.\n").into_response();
    }
    next.run(request).await
}

async fn unknown_api(method: Method, uri: Uri) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "error": format!("no API endpoint {method} {}", uri.path()) })),
    )
        .into_response()
}

async fn nothing_here() -> Response {
    (
        StatusCode::NOT_FOUND,
        "Not found. This collector serves no site: start it with --dist to serve one.\n",
    )
        .into_response()
}

/// `path` inside the site, if the site has that file.
async fn site_file(dist: Option<&Arc<PathBuf>>, name: &str) -> Option<Vec<u8>> {
    let path = dist?.join(name);
    tokio::fs::read(path).await.ok()
}

async fn robots(State(dist): State<Option<Arc<PathBuf>>>) -> Response {
    let body = site_file(dist.as_ref(), "robots.txt")
        .await
        .unwrap_or_else(|| ROBOTS.as_bytes().to_vec());
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

async fn favicon(State(dist): State<Option<Arc<PathBuf>>>) -> Response {
    let body = site_file(dist.as_ref(), "favicon.ico")
        .await
        .unwrap_or_else(|| FAVICON.to_vec());
    ([(header::CONTENT_TYPE, "image/x-icon")], body).into_response()
}

/// A path that is not a file: the app's route (`index.html`) unless it names a file.
async fn app_route(uri: Uri, index: Arc<PathBuf>) -> Response {
    let last = uri.path().rsplit('/').next().unwrap_or("");
    if last.contains('.') {
        return (StatusCode::NOT_FOUND, "Not found.\n").into_response();
    }
    match tokio::fs::read(index.as_path()).await {
        Ok(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "Not found.\n").into_response(),
    }
}

/// Whether `dist` looks like a built site.
pub fn check_dist(dist: &Path) -> Result<(), String> {
    if dist.join("index.html").is_file() {
        Ok(())
    } else {
        Err(format!(
            "{} has no index.html: build the site first (scripts/build)",
            dist.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunk_names_are_content_hashed() {
        for hashed in [
            "/cohort-app-3f1c2a9b8e7d6c5b_bg.wasm",
            "/cohort-app-3f1c2a9b8e7d6c5b.js",
            "/results/main-0123456789abcdef.css",
        ] {
            assert!(is_content_hashed(hashed), "{hashed}");
        }
        for plain in [
            "/",
            "/index.html",
            "/favicon.ico",
            "/cohort-app.js",
            "/a-123.js",
            "/signup",
        ] {
            assert!(!is_content_hashed(plain), "{plain}");
        }
    }
}
