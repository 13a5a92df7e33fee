//! `cohort serve`: the collector. It stores the page's exposures and events in SQLite,
//! answers the IP-hash identity, and serves results (and, with `--dist`, the built page).
//!
//! - `POST /api/events`: a batch, validated strictly against the rules (schema, sizes, known
//!   experiments, groups and events, times); stored idempotently by record ID in one
//!   transaction and acknowledged only once committed. Bodies over 512 KB, clients over the
//!   rate limit and bad batches get a 4xx with the reason, and nothing of them is stored.
//! - `GET /api/whoami`: `{"ip_hash": ...}`, HMAC-SHA256 of the client's address.
//! - `GET /api/results?experiment=...&event=...`: the results table (cohort-stats).

mod client_ip;
pub mod store;

use std::collections::HashMap;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cohort::{Plan, SpecKind};
use cohort_protocol::{validate, Batch, Catalog, MAX_BODY_BYTES, VISITED_SIGNUP};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Deserialize;
use serde_json::json;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::{ServeDir, ServeFile};

use crate::rules::{load_reporting, options};
use store::Store;

/// Run the collector: store exposures and events, hash client IPs, serve results.
#[derive(clap::Args)]
pub struct Args {
    /// Rules files or directories: the experiments, groups and events batches may name.
    #[arg(long = "rules", default_value = "experiments")]
    rules: Vec<PathBuf>,
    /// The SQLite database (created if missing).
    #[arg(long, default_value = "cohort.db")]
    db: PathBuf,
    /// The address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// Also serve this directory (the built dist/), with index.html for unknown paths.
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
    plans: HashMap<String, Plan>,
    secret: Vec<u8>,
    trusted: Vec<IpAddr>,
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

type Shared = Arc<AppState>;

pub fn run(args: Args) -> Result<std::process::ExitCode, String> {
    let rules = load_reporting(&args.rules, options(true))?;
    let mut catalog = Catalog::default();
    let mut plans = HashMap::new();
    for spec in rules
        .evaluated_specs()
        .filter(|s| s.kind == SpecKind::Config)
    {
        if let Some(plan) = spec.plan() {
            catalog.add(&spec.name, plan.groups.iter().map(|g| g.name.clone()));
            plans.insert(spec.name.clone(), plan);
        }
    }
    let secret = load_secret(args.secret_file.as_deref(), &args.db)?;
    let rate = NonZeroU32::new(args.rate_limit.max(1)).expect("at least 1");
    let burst = NonZeroU32::new(args.rate_limit.max(1).saturating_mul(2)).expect("at least 2");
    let state = Arc::new(AppState {
        writer: Mutex::new(Store::open(&args.db)?),
        reader: Mutex::new(Store::open(&args.db)?),
        catalog,
        plans,
        secret,
        trusted: args.trusted_proxies.clone(),
        limiter: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
    });

    let mut app = Router::new()
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
        app = app.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::CONTENT_TYPE]),
        );
    }
    if let Some(dist) = &args.dist {
        app = app.fallback_service(
            ServeDir::new(dist).fallback(ServeFile::new(dist.join("index.html"))),
        );
    }

    let runtime = tokio::runtime::Runtime::new().map_err(|e| format!("cannot start: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        println!("cohort: listening on http://{address}");
        let _ = std::io::stdout().flush();
        eprintln!(
            "cohort: storing in {}, {} experiment(s) known",
            args.db.display(),
            state.plans.len()
        );
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| format!("the server failed: {e}"))
    })?;
    eprintln!("cohort: stopped; every acknowledged batch is on disk");
    Ok(std::process::ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// The secret IP hashes are keyed with: from a file, the environment, or made and saved.
fn load_secret(file: Option<&Path>, db: &Path) -> Result<Vec<u8>, String> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the secret file {}: {e}", path.display()))?;
        return secret_from(text.trim(), &path.display().to_string());
    }
    if let Ok(text) = std::env::var("COHORT_SECRET") {
        return secret_from(text.trim(), "COHORT_SECRET");
    }
    let path = PathBuf::from(format!("{}.secret", db.display()));
    if let Ok(text) = std::fs::read_to_string(&path) {
        return secret_from(text.trim(), &path.display().to_string());
    }
    let secret: [u8; 32] = rand::random();
    let text = hex::encode(secret);
    write_private(&path, &text)
        .map_err(|e| format!("cannot save a new secret to {}: {e}", path.display()))?;
    eprintln!("cohort: made a new IP-hash secret in {}", path.display());
    Ok(text.into_bytes())
}

fn secret_from(text: &str, source: &str) -> Result<Vec<u8>, String> {
    if text.len() < 16 {
        return Err(format!(
            "the secret in {source} is shorter than 16 characters"
        ));
    }
    Ok(text.as_bytes().to_vec())
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
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
    let batch: Batch = match serde_json::from_slice(&body) {
        Ok(batch) => batch,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("not a batch: {e}")),
    };
    if let Err(rejection) = validate(&batch, &state.catalog, now_ms()) {
        return error(StatusCode::UNPROCESSABLE_ENTITY, rejection.to_string());
    }
    let stored = tokio::task::spawn_blocking(move || {
        let mut store = state.writer.lock().unwrap_or_else(|e| e.into_inner());
        store.insert(&batch, now_ms())
    })
    .await;
    match stored {
        Ok(Ok(ack)) => Json(ack).into_response(),
        _ => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the batch could not be stored; send it again",
        ),
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
    event: Option<String>,
}

async fn results(State(state): State<Shared>, Query(q): Query<ResultsQuery>) -> Response {
    let Some(plan) = state.plans.get(&q.experiment).cloned() else {
        return error(
            StatusCode::NOT_FOUND,
            format!("no experiment {:?}", q.experiment),
        );
    };
    let event = q.event.unwrap_or_else(|| VISITED_SIGNUP.to_owned());
    let answer = tokio::task::spawn_blocking(move || {
        let store = state.reader.lock().unwrap_or_else(|e| e.into_inner());
        store.results(&q.experiment, &event, Some(&plan))
    })
    .await;
    match answer {
        Ok(Ok(results)) => Json(results).into_response(),
        _ => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the results could not be read",
        ),
    }
}
