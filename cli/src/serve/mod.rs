//! `cohort serve`: the collector. It stores the page's exposures and events in SQLite,
//! answers the IP-hash identity, and serves results (and, with `--dist`, the built site).
//!
//! - `POST /api/events`: a batch, read record by record ([`ingest`]): each record is checked
//!   against the rules' experiments, groups and events, placed on the collector's clock, and
//!   compared with the group the rules give its user ([`verify`]); stored idempotently by
//!   record ID in one transaction and acknowledged only once committed.
//! - `GET /api/whoami`: `{"ip_hash": ...}`, HMAC-SHA256 of the client's address.
//! - `GET /api/results?experiment=...`: the experiment's results, every metric by every
//!   engine (cohort-stats).
//! - Everything else: [`site`].

mod client_ip;
mod ingest;
mod secret;
mod site;
pub mod store;
pub mod verify;

use std::future::Future;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cohort::SpecKind;
use cohort_protocol::{Catalog, MAX_BODY_BYTES};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Deserialize;
use serde_json::json;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::rules::{load_reporting, options};
use store::Store;
use verify::Verifier;

/// Run the collector: store exposures and events, hash client IPs, serve results.
#[derive(clap::Args)]
pub struct Args {
    /// Rules files or directories: the experiments and groups records may name, the metrics
    /// whose events they may carry, and the assignments records are checked against.
    #[arg(long = "rules", default_value = "experiments")]
    rules: Vec<PathBuf>,
    /// The SQLite database (created if missing).
    #[arg(long, default_value = "cohort.db")]
    db: PathBuf,
    /// The address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// Also serve this directory (the built dist/): compressed, cached by content hash, with
    /// index.html for the app's routes.
    #[arg(long)]
    dist: Option<PathBuf>,
    /// An origin allowed to call the API from another site (CORS); repeat for several.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allow_origins: Vec<String>,
    /// A proxy whose X-Forwarded-For header is trusted; repeat for several.
    #[arg(long = "trust-proxy", value_name = "IP")]
    trusted_proxies: Vec<IpAddr>,
    /// A file holding the secret IP hashes are keyed with (else $COHORT_SECRET, else a new
    /// secret saved as DB.secret).
    #[arg(long, value_name = "FILE")]
    secret_file: Option<PathBuf>,
    /// Batches a client may send per second (bursts of twice as many).
    #[arg(long, default_value_t = 20)]
    rate_limit: u32,
}

struct AppState {
    writer: Mutex<Store>,
    reader: Mutex<Store>,
    catalog: Catalog,
    verifier: Verifier,
    secret: Vec<u8>,
    trusted: Vec<IpAddr>,
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

type Shared = Arc<AppState>;

pub fn run(args: Args) -> Result<std::process::ExitCode, String> {
    let rules = load_reporting(&args.rules, options(true))?;
    let mut catalog = Catalog::default();
    for spec in rules
        .evaluated_specs()
        .filter(|s| s.kind == SpecKind::Config)
    {
        if let Some(plan) = spec.plan() {
            catalog.add(&spec.name, plan.groups.iter().map(|g| g.name.clone()));
        }
    }
    for metric in rules.metrics() {
        catalog.add_event(&metric.event);
    }
    if let Some(dist) = &args.dist {
        site::check_dist(dist)?;
    }
    let secret = secret::load(args.secret_file.as_deref(), &args.db.display().to_string())?;
    let rate = NonZeroU32::new(args.rate_limit.max(1)).expect("at least 1");
    let burst = NonZeroU32::new(args.rate_limit.max(1).saturating_mul(2)).expect("at least 2");
    let state = Arc::new(AppState {
        writer: Mutex::new(Store::open(&args.db)?),
        reader: Mutex::new(Store::open(&args.db)?),
        catalog,
        verifier: Verifier::new(rules),
        secret,
        trusted: args.trusted_proxies.clone(),
        limiter: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
    });

    let mut api = Router::new()
        .route("/api/events", post(post_events))
        .route("/api/whoami", get(whoami))
        .route("/api/results", get(results))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state.clone());
    if !args.allow_origins.is_empty() {
        let origins: Vec<HeaderValue> = args
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
    let app = api.merge(site::routes(args.dist.clone()));

    let runtime = tokio::runtime::Runtime::new().map_err(|e| format!("cannot start: {e}"))?;
    runtime.block_on(async move {
        let stop = shutdown_signal()?;
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        println!("cohort: listening on http://{address}");
        let _ = std::io::stdout().flush();
        eprintln!(
            "cohort: storing in {}, {} experiment(s) and {} event(s) known",
            args.db.display(),
            state.catalog.experiments.len(),
            state.catalog.events.len()
        );
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stop)
        .await
        .map_err(|e| format!("the server failed: {e}"))
    })?;
    eprintln!("cohort: stopped; every acknowledged batch is on disk");
    Ok(std::process::ExitCode::SUCCESS)
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
    let sorted = match ingest::sort(&body, &state.catalog, &state.verifier, received_at) {
        Ok(sorted) => sorted,
        Err(reason) => return error(StatusCode::BAD_REQUEST, reason),
    };
    let stored = tokio::task::spawn_blocking(move || {
        let mut store = state.writer.lock().unwrap_or_else(|e| e.into_inner());
        store
            .insert(&sorted.accepted, sorted.dropped, received_at)
            .map(|inserted| ingest::ack(inserted, sorted.refused))
    })
    .await;
    match stored {
        Ok(Ok(ack)) => Json(ack).into_response(),
        Ok(Err(e)) => {
            eprintln!("cohort: a batch could not be stored: {e}");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the batch could not be stored; send it again",
            )
        }
        Err(e) => {
            eprintln!("cohort: storing a batch failed: {e}");
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

#[derive(Deserialize)]
struct ResultsQuery {
    experiment: String,
}

async fn results(State(state): State<Shared>, Query(q): Query<ResultsQuery>) -> Response {
    let answer = tokio::task::spawn_blocking(move || {
        let store = state.reader.lock().unwrap_or_else(|e| e.into_inner());
        store
            .results(state.verifier.rules(), &q.experiment)
            .map(|r| (r, q.experiment))
    })
    .await;
    let mut response = match answer {
        Ok(Ok((Some(results), _))) => Json(results).into_response(),
        Ok(Ok((None, experiment))) => error(
            StatusCode::NOT_FOUND,
            format!("no experiment {experiment:?}"),
        ),
        Ok(Err(e)) => {
            eprintln!("cohort: results could not be read: {e}");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the results could not be read",
            )
        }
        Err(e) => {
            eprintln!("cohort: reading results failed: {e}");
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
