//! The page's one way to talk to a server: `fetch`, with an optional deadline and an optional
//! `keepalive` body, answering the status and the body's text.
//!
//! The IP echo (a deadline), the event log (a body that may outlive the page) and the results
//! page all go through [`fetch`]. A deadline aborts the request, and the reading of its body,
//! through an `AbortController`. Answers in JSON are read with
//! [`Json`](crate::json::Json).

use std::time::Duration;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::console;

/// What to send.
#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    /// `POST` with this body (sent as text, which keeps the request "simple": no CORS
    /// preflight to a collector on another origin); `GET` without.
    pub body: Option<&'a str>,
    /// Let the request outlive the page (bodies up to 64 KB).
    pub keepalive: bool,
    /// Give up after this long.
    pub deadline: Option<Duration>,
    /// Send `Authorization: Bearer <token>` (a collector's results token).
    pub bearer: Option<&'a str>,
    /// Send `If-None-Match: <tag>`: a server whose answer has not changed since the one
    /// tagged so answers `304` with no body.
    pub if_none_match: Option<&'a str>,
}

/// A server's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub text: String,
    /// Its `ETag`, if it has one (and, across origins, the server lets the page read it).
    pub etag: Option<String>,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Why there is no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The deadline passed.
    TimedOut(Duration),
    /// The network or the browser failed the request.
    Failed(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::TimedOut(deadline) => {
                write!(f, "no answer within {} ms", deadline.as_millis())
            }
            Failure::Failed(why) => write!(f, "request failed: {why}"),
        }
    }
}

/// Fetches `url`.
pub async fn fetch(url: &str, request: Request<'_>) -> Result<Reply, Failure> {
    let window = web_sys::window().ok_or_else(|| Failure::Failed("no window".into()))?;
    let init = web_sys::RequestInit::new();
    if let Some(body) = request.body {
        init.set_method("POST");
        init.set_body(&JsValue::from_str(body));
    }
    let headers = js_sys::Object::new();
    let bearer = request.bearer.map(|token| format!("Bearer {token}"));
    let named = [
        ("Authorization", bearer.as_deref()),
        ("If-None-Match", request.if_none_match),
    ];
    for (name, value) in named {
        if let Some(value) = value {
            let _ = js_sys::Reflect::set(
                &headers,
                &JsValue::from_str(name),
                &JsValue::from_str(value),
            );
        }
    }
    if named.iter().any(|(_, v)| v.is_some()) {
        init.set_headers(&headers);
    }
    if request.keepalive {
        // web-sys has no setter for `keepalive` yet.
        let _ = js_sys::Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::TRUE);
    }
    let controller = match request.deadline {
        Some(_) => Some(
            web_sys::AbortController::new().map_err(|e| Failure::Failed(console::describe(&e)))?,
        ),
        None => None,
    };
    if let Some(controller) = &controller {
        init.set_signal(Some(&controller.signal()));
    }
    let _timer = request
        .deadline
        .zip(controller.clone())
        .map(|(deadline, controller)| {
            gloo_timers::callback::Timeout::new(deadline.as_millis() as u32, move || {
                controller.abort()
            })
        });
    let failure = |e: JsValue| match (&controller, request.deadline) {
        (Some(c), Some(deadline)) if c.signal().aborted() => Failure::TimedOut(deadline),
        _ => Failure::Failed(console::describe(&e)),
    };
    let response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(failure)?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| Failure::Failed("not a response".into()))?;
    let text = response.text().map_err(failure)?;
    let text = JsFuture::from(text).await.map_err(failure)?;
    Ok(Reply {
        status: response.status(),
        text: text.as_string().unwrap_or_default(),
        etag: response.headers().get("etag").ok().flatten(),
    })
}

/// Why [`get_json`] has no value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GetError {
    /// No answer.
    NoAnswer(Failure),
    /// The server answered a status that is not 2xx (401: a token is needed, or not this one).
    Status(u16),
    /// The answer was not what was expected.
    Unexpected(String),
}

impl std::fmt::Display for GetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GetError::NoAnswer(failure) => failure.fmt(f),
            GetError::Status(status) => write!(f, "status {status}"),
            GetError::Unexpected(why) => write!(f, "unexpected answer: {why}"),
        }
    }
}

/// An answer to a conditional `GET` ([`get_json_if_changed`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Fetched<T> {
    /// The same as the answer tagged with the tag sent (`304`).
    Unchanged,
    /// A new answer, and its tag.
    Changed { value: T, etag: Option<String> },
}

/// `GET url` (with `Authorization: Bearer <bearer>` if given, and `If-None-Match: <etag>` if
/// given): [`Fetched::Unchanged`] on `304`, else the JSON answer read with serde and its tag,
/// or why not. A page that watches a collector's results asks this way every second or so;
/// an unchanged answer costs the collector no query.
pub async fn get_json_if_changed<T: serde::de::DeserializeOwned>(
    url: &str,
    bearer: Option<&str>,
    etag: Option<&str>,
) -> Result<Fetched<T>, GetError> {
    let request = Request {
        bearer,
        if_none_match: etag,
        ..Request::default()
    };
    let reply = fetch(url, request).await.map_err(GetError::NoAnswer)?;
    if reply.status == 304 {
        return Ok(Fetched::Unchanged);
    }
    if !reply.ok() {
        return Err(GetError::Status(reply.status));
    }
    let value =
        serde_json::from_str(&reply.text).map_err(|e| GetError::Unexpected(e.to_string()))?;
    Ok(Fetched::Changed {
        value,
        etag: reply.etag,
    })
}

/// `GET url` (with `Authorization: Bearer <bearer>` if given) and its JSON answer read with
/// serde, or why not.
pub async fn get_json<T: serde::de::DeserializeOwned>(
    url: &str,
    bearer: Option<&str>,
) -> Result<T, GetError> {
    let request = Request {
        bearer,
        ..Request::default()
    };
    let reply = fetch(url, request).await.map_err(GetError::NoAnswer)?;
    if !reply.ok() {
        return Err(GetError::Status(reply.status));
    }
    serde_json::from_str(&reply.text).map_err(|e| GetError::Unexpected(e.to_string()))
}
