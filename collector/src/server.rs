//! The collector's HTTP server (axum on tokio):
//!
//! - `POST /api/events`: a batch, read record by record ([`crate::ingest`]): each record is
//!   checked against the rules' experiments, groups and events, placed on the collector's
//!   clock, and compared with the group the rules give its user ([`crate::verify`]); stored
//!   idempotently by record ID in one transaction and acknowledged only once committed. An
//!   exposure may name a gate the page read, with its value as the group (`"true"`,
//!   `"false"`).
//! - `GET /api/whoami`: `{"ip_hash": ...}`, HMAC-SHA256 of the client's address.
//! - `GET /api/experiments`: every experiment of the rules, in their order, with its groups,
//!   status, exposed users and metrics ([`cohort_protocol::Experiments`]).
//! - `GET /api/results?experiment=...`: the experiment's results, every metric by every
//!   engine, computed by the database.
//! - Everything else: [`crate::site`].
//!
//! Every answer carries the security headers of [`crate::headers`].

use std::future::Future;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cohort::Rules;
use cohort_protocol::{Catalog, MAX_BODY_BYTES};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Deserialize;
use serde_json::json;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::TimeoutLayer;

use crate::headers::{self, SecurityHeaders};
use crate::listen::{self, Limits};
use crate::store::Store;
use crate::verify::{self, Verifier};
use crate::{client_ip, experiments, ingest, secret, site};

/// How to run a collector.
pub struct Config {
    /// The compiled rules: experiments, groups, metrics.
    pub rules: Rules,
    /// A SQLite file or a `postgres://` URL.
    pub db: String,
    pub listen: SocketAddr,
    /// The built site to serve beside the API.
    pub dist: Option<PathBuf>,
    /// Origins allowed to call the API from another site (CORS).
    pub allow_origins: Vec<String>,
    /// Proxies whose `X-Forwarded-For` is trusted.
    pub trusted_proxies: Vec<IpAddr>,
    /// A file holding the IP-hash secret.
    pub secret_file: Option<PathBuf>,
    /// Batches a client may send per second (bursts of twice as many).
    pub rate_limit: u32,
    /// Whether answers carry `Strict-Transport-Security` (the site is served over TLS).
    pub hsts: bool,
    /// Connections at once, and the timeouts of every phase of a request.
    pub limits: Limits,
}

struct AppState {
    store: Store,
    catalog: Catalog,
    verifier: Verifier,
    secret: Vec<u8>,
    trusted: Vec<IpAddr>,
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

type Shared = Arc<AppState>;

/// The experiments and groups records may name, the gates (whose groups are `"true"` and
/// `"false"`), and the events their metrics count.
pub fn catalog(rules: &Rules) -> Catalog {
    let mut catalog = Catalog::default();
    for (spec, plan) in rules.experiments() {
        catalog.add(&spec.name, plan.groups.into_iter().map(|g| g.name));
    }
    for gate in experiments::gates(rules) {
        catalog.add_gate(gate);
    }
    for metric in rules.metrics() {
        catalog.add_event(&metric.event);
    }
    catalog
}

/// Runs a collector until Ctrl-C or SIGTERM. The first line on stdout is
/// `cohort: listening on http://ADDRESS`.
pub fn serve(config: Config) -> Result<(), String> {
    if let Some(dist) = &config.dist {
        site::check_dist(dist)?;
    }
    let security = Arc::new(SecurityHeaders::new(config.dist.as_deref(), config.hsts)?);
    let catalog = catalog(&config.rules);
    let rate = NonZeroU32::new(config.rate_limit.max(1)).expect("at least 1");
    let burst = NonZeroU32::new(config.rate_limit.max(1).saturating_mul(2)).expect("at least 2");
    let mut api = Router::new()
        .route(
            "/api/events",
            post(post_events).layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                config.limits.request_timeout,
            )),
        )
        .route("/api/whoami", get(whoami))
        .route("/api/experiments", get(list_experiments))
        .route("/api/results", get(results))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    if !config.allow_origins.is_empty() {
        let origins: Vec<HeaderValue> = config
            .allow_origins
            .iter()
            .map(|o| HeaderValue::from_str(o).map_err(|_| format!("bad origin {o:?}")))
            .collect::<Result<_, _>>()?;
        api = api.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::CONTENT_TYPE]),
        );
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|e| format!("cannot start: {e}"))?;
    runtime.block_on(async move {
        let stop = shutdown_signal()?;
        let store = Store::open(&config.db).await.map_err(|e| e.to_string())?;
        let secret = secret::load(config.secret_file.as_deref(), &store).await?;
        let state = Arc::new(AppState {
            store,
            catalog,
            verifier: Verifier::new(config.rules),
            secret,
            trusted: config.trusted_proxies,
            limiter: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
        });
        let app = api
            .with_state(state.clone())
            .merge(site::routes(config.dist))
            .layer(middleware::from_fn_with_state(security, headers::apply));
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        println!("cohort: listening on http://{address}");
        let _ = std::io::stdout().flush();
        eprintln!(
            "cohort: storing in {}, {} experiment(s), {} gate(s) and {} event(s) known",
            state.store.describe(),
            state.catalog.experiments.len(),
            state.catalog.gates.len(),
            state.catalog.events.len()
        );
        let still_open = listen::serve(listener, app, config.limits, stop).await;
        if still_open > 0 {
            eprintln!(
                "cohort: {still_open} connection(s) still open after the {} s shutdown deadline: \
                 closed; what they had not committed was not acknowledged",
                config.limits.shutdown_deadline.as_secs_f64()
            );
        }
        Ok::<(), String>(())
    })?;
    eprintln!("cohort: stopped; every acknowledged batch is on disk");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed now: a handler that cannot be
/// installed is an error at start-up, not a shutdown the moment the server starts.
fn shutdown_signal() -> Result<impl Future<Output = ()>, String> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut interrupt =
            signal(SignalKind::interrupt()).map_err(|e| format!("cannot handle SIGINT: {e}"))?;
        let mut terminate =
            signal(SignalKind::terminate()).map_err(|e| format!("cannot handle SIGTERM: {e}"))?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            if let Err(e) = tokio::signal::ctrl_c().await {
                eprintln!("cohort: cannot handle Ctrl-C ({e}); stop the process another way");
                std::future::pending::<()>().await;
            }
        })
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

async fn post_events(
    State(state): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ip = client_ip::client_ip(peer, &headers, &state.trusted);
    if state.limiter.check_key(&ip).is_err() {
        let mut response = error(StatusCode::TOO_MANY_REQUESTS, "too many batches: slow down");
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    }
    let received_at = now_ms();
    let mut sorted = match ingest::sort(&body, &state.catalog, &state.verifier, received_at) {
        Ok(sorted) => sorted,
        Err(reason) => return error(StatusCode::BAD_REQUEST, reason),
    };
    if let Err(e) = verify::honour_sticky(&mut sorted.accepted, &state.verifier, &state.store).await
    {
        eprintln!("cohort: a batch could not be checked: {e}");
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the batch could not be checked; send it again",
        );
    }
    match state
        .store
        .insert(sorted.accepted, sorted.dropped, received_at)
        .await
    {
        Ok(inserted) => Json(ingest::ack(inserted, sorted.refused)).into_response(),
        Err(e) => {
            eprintln!("cohort: a batch could not be stored: {e}");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the batch could not be stored; send it again",
            )
        }
    }
}

async fn whoami(
    State(state): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let ip = client_ip::client_ip(peer, &headers, &state.trusted);
    let mut response =
        Json(json!({ "ip_hash": client_ip::ip_hash(&state.secret, ip) })).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn list_experiments(State(state): State<Shared>) -> Response {
    let mut response = match experiments::list(state.verifier.rules(), &state.store).await {
        Ok(listing) => Json(listing).into_response(),
        Err(e) => {
            eprintln!("cohort: the experiments could not be read: {e}");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the experiments could not be read",
            )
        }
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Deserialize)]
struct ResultsQuery {
    experiment: String,
}

async fn results(State(state): State<Shared>, Query(q): Query<ResultsQuery>) -> Response {
    let answer = state
        .store
        .results(state.verifier.rules(), &q.experiment)
        .await;
    let mut response = match answer {
        Ok(Some(results)) => Json(results).into_response(),
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            format!("no experiment {:?}", q.experiment),
        ),
        Err(e) => {
            eprintln!("cohort: results could not be read: {e}");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the results could not be read",
            )
        }
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
