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
//! - `GET /api/health`: 200 when the database answers, 503 when not, with the free space beside
//!   a SQLite file ([`crate::health`]).
//! - Everything else: [`crate::site`].
//!
//! Every answer carries the security headers of [`crate::headers`].

use std::future::Future;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cohort::Rules;
use cohort_protocol::{Catalog, Record, MAX_BODY_BYTES};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Deserialize;
use serde_json::json;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::TimeoutLayer;

use crate::changes::Changes;
use crate::commit::Committer;
use crate::headers::{self, SecurityHeaders};
use crate::health;
use crate::listen::{self, Limits};
use crate::store::{Batch, Store, StoreError};
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
    /// Reads of results and listings a client may make per second (bursts of twice as many).
    pub read_rate_limit: u32,
    /// Whether answers carry `Strict-Transport-Security` (the site is served over TLS).
    pub hsts: bool,
    /// Connections at once, and the timeouts of every phase of a request.
    pub limits: Limits,
    /// The token `GET /api/results` and `GET /api/experiments` need (`Authorization: Bearer`),
    /// if any.
    pub results_token: Option<String>,
    /// Whether results may be read without a token on an address other than loopback.
    pub public_results: bool,
    /// Whether records sent by crawlers and headless browsers count like the others (else they
    /// are stored apart, as `bot`).
    pub keep_bots: bool,
}

struct AppState {
    store: Arc<Store>,
    /// Stores batches, several to a commit under load.
    committer: Committer,
    /// The version results answers are tagged with.
    changes: Arc<Changes>,
    /// Origins besides the collector's own that may send events (`--allow-origin`).
    writers: Vec<String>,
    /// SHA-256 of the results token, if one is set (compared digest to digest, so the time a
    /// comparison takes tells nothing of the token).
    results_token: Option<[u8; 32]>,
    /// Reads of results and listings a client may make per second.
    readers: DefaultKeyedRateLimiter<IpAddr>,
    /// Records a user ID may send per minute.
    user_budget: DefaultKeyedRateLimiter<String>,
    /// The User-Agents of crawlers and headless browsers (none: bots are kept).
    bots: Option<isbot::Bots>,
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
    for part in rules.metrics().iter().flat_map(|m| m.parts()) {
        catalog.add_event(&part.event);
    }
    catalog
}

/// Runs a collector until Ctrl-C or SIGTERM. The first line on stdout is
/// `cohort: listening on http://ADDRESS`.
/// The collector as a [`Router`], over the store `config.db` names (opened, brought up to
/// date and keeping the results of `config.rules`): the API, the site and the security headers
/// of every answer. [`serve`] runs it on a listener with the background work a long-running
/// collector does; tests call it in process. The handlers read the client's address from
/// `ConnectInfo<SocketAddr>` (a test adds it with axum's `MockConnectInfo`).
pub async fn app(config: Config) -> Result<Router, String> {
    Ok(build(config).await?.0)
}

/// [`app`], with its shared state (for the background work of [`serve`]).
async fn build(config: Config) -> Result<(Router, Shared), String> {
    if let Some(dist) = &config.dist {
        site::check_dist(dist)?;
    }
    let security = Arc::new(SecurityHeaders::new(config.dist.as_deref(), config.hsts)?);
    let catalog = catalog(&config.rules);
    let rate = NonZeroU32::new(config.rate_limit.max(1)).expect("at least 1");
    let burst = NonZeroU32::new(config.rate_limit.max(1).saturating_mul(2)).expect("at least 2");
    let reads = NonZeroU32::new(config.read_rate_limit.max(1)).expect("at least 1");
    let read_burst =
        NonZeroU32::new(config.read_rate_limit.max(1).saturating_mul(2)).expect("at least 2");
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
        .route("/api/health", get(health))
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
                .allow_headers([
                    header::CONTENT_TYPE,
                    header::AUTHORIZATION,
                    header::IF_NONE_MATCH,
                ])
                .expose_headers([header::ETAG]),
        );
    }
    let store = Store::open(&config.db).await.map_err(|e| e.to_string())?;
    store
        .keep(&config.rules)
        .await
        .map_err(|e| format!("cannot keep the results in {}: {e}", store.describe()))?;
    let secret = secret::load(config.secret_file.as_deref(), &store).await?;
    let changes = Arc::new(Changes::default());
    let elsewhere = changes.clone();
    store.on_change_elsewhere(Arc::new(move || elsewhere.bump()));
    let store = Arc::new(store);
    let state = Arc::new(AppState {
        committer: Committer::start(store.clone(), config.limits.commit_group),
        store,
        changes,
        writers: config.allow_origins.clone(),
        results_token: config.results_token.as_deref().map(digest),
        bots: (!config.keep_bots).then(isbot::Bots::default),
        user_budget: RateLimiter::keyed(
            Quota::per_minute(NonZeroU32::new(USER_RECORDS_PER_MINUTE).expect("positive"))
                .allow_burst(NonZeroU32::new(USER_RECORDS_PER_MINUTE).expect("positive")),
        ),
        readers: RateLimiter::keyed(Quota::per_second(reads).allow_burst(read_burst)),
        catalog,
        verifier: Verifier::new(config.rules),
        secret,
        trusted: config.trusted_proxies,
        limiter: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
    });
    let router = api
        .with_state(state.clone())
        .merge(site::routes(config.dist))
        .layer(middleware::from_fn_with_state(security, headers::apply));
    Ok((router, state))
}

/// Runs a collector until Ctrl-C or SIGTERM: [`app`] on `config.listen`, with the background
/// work (watching the free space beside a SQLite file, forgetting idle clients' rate limits,
/// folding PostgreSQL's rows of changes).
pub fn serve(mut config: Config) -> Result<(), String> {
    if !config.listen.ip().is_loopback() && config.results_token.is_none() && !config.public_results
    {
        return Err(format!(
            "listening on {} (not loopback) without a results token would let anyone read every \
             result: set one with --results-token (or $COHORT_RESULTS_TOKEN), or say \
             --public-results",
            config.listen
        ));
    }
    if let Some(fit) = listen::connections_that_fit() {
        if config.limits.max_connections > fit {
            eprintln!(
                "cohort: warning: {} connections do not fit under this process's limit on open \
                 files; serving at most {fit} (raise the limit with ulimit -n)",
                config.limits.max_connections
            );
            config.limits.max_connections = fit.max(1);
        }
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|e| format!("cannot start: {e}"))?;
    let (deadline, limits, address) = (
        config.limits.shutdown_deadline,
        config.limits,
        config.listen,
    );
    let served = runtime.block_on(async move {
        let stop = shutdown_signal()?;
        let (app, state) = build(config).await?;
        if let Some(folder) = state.store.local_folder() {
            let free = health::free_bytes(&folder);
            if let Some(warning) = free.and_then(|f| health::low_space_warning(&folder, f)) {
                eprintln!("{warning}");
            }
            tokio::spawn(watch_free_space(folder, free));
        }
        tokio::spawn(forget_idle_clients(state.clone()));
        tokio::spawn(fold_kept_sums(state.clone()));
        let listener =
            listen::bind(address).map_err(|e| format!("cannot listen on {address}: {e}"))?;
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
        let still_open = listen::serve(listener, app, limits, stop).await;
        if still_open > 0 {
            eprintln!(
                "cohort: {still_open} connection(s) still open after the {} s shutdown deadline: \
                 closed; what they had not committed was not acknowledged",
                limits.shutdown_deadline.as_secs_f64()
            );
        }
        Ok::<(), String>(())
    });
    // Work still running on the blocking threads (a results query, an insert waiting on a
    // lock) gets what is left of the deadline, not forever.
    runtime.shutdown_timeout(deadline);
    served?;
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

/// 503 when the store failed: `{"error": what, "code": ...}`, the [`StoreError::code`] of the
/// failure (`unavailable`, `busy`, `full`, ...), so that a client can tell a database that is
/// away from one that is full. Nothing of the request was stored; it may be sent again.
fn store_failed(e: &StoreError, what: &str) -> Response {
    let body = json!({ "error": what, "code": e.code() });
    (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}

/// 429 with `Retry-After: 1`: the client is past its rate.
fn slow_down(message: &str) -> Response {
    let mut response = error(StatusCode::TOO_MANY_REQUESTS, message);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// `response`, never kept by a cache (an answer about this client or about now).
/// The current version's tag, unless the request's `If-None-Match` names it (nothing
/// stored since: the answer would be the same).
fn changed_since(state: &AppState, headers: &HeaderMap) -> Option<HeaderValue> {
    (!state.changes.unchanged(headers.get(header::IF_NONE_MATCH))).then(|| state.changes.etag())
}

/// `304 Not Modified`, with the tag.
fn not_modified(state: &AppState) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    response
        .headers_mut()
        .insert(header::ETAG, state.changes.etag());
    not_cached(response)
}

/// `response` with `tag` as its `ETag`: the version read before its figures were.
fn tagged(mut response: Response, tag: HeaderValue) -> Response {
    response.headers_mut().insert(header::ETAG, tag);
    response
}

fn not_cached(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn post_events(
    State(state): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(reason) = origin_may_write(&headers, &state.writers) {
        return error(StatusCode::FORBIDDEN, reason);
    }
    let ip = client_ip::client_ip(peer, &headers, &state.trusted);
    if state.limiter.check_key(&ip).is_err() {
        return slow_down("too many batches: slow down");
    }
    let received_at = now_ms();
    let budget = |record: &Record| {
        let user = record.user_id().to_owned();
        match state.user_budget.check_key(&user) {
            Ok(()) => Ok(()),
            Err(_) => Err(format!(
                "user {user:?} sent more than {USER_RECORDS_PER_MINUTE} records in a minute"
            )),
        }
    };
    let sorted = ingest::sort(&body, &state.catalog, &state.verifier, received_at, budget);
    let mut sorted = match sorted {
        Ok(sorted) => sorted,
        Err(reason) => return error(StatusCode::BAD_REQUEST, reason),
    };
    if let Err(e) =
        verify::honour_sticky(&mut sorted.accepted, &state.verifier, state.store.as_ref()).await
    {
        eprintln!("cohort: a batch could not be checked: {e}");
        return store_failed(&e, "the batch could not be checked; send it again");
    }
    if let Some(user_agent) = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .filter(|ua| state.bots.as_ref().is_some_and(|bots| bots.is_bot(ua)))
    {
        verify::set_apart_as_bot(&mut sorted.accepted, user_agent);
    }
    let batch = Batch::new(sorted.accepted, sorted.dropped, received_at);
    match state.committer.insert(batch).await {
        Ok(inserted) => {
            if inserted.stored > 0 {
                state.changes.bump();
            }
            Json(ingest::ack(inserted, sorted.refused)).into_response()
        }
        Err(e) => {
            eprintln!("cohort: a batch could not be stored: {e}");
            store_failed(&e, "the batch could not be stored; send it again")
        }
    }
}

/// How often the rate limiter forgets clients it no longer limits, and the free space is read.
const HOUSEKEEPING: Duration = Duration::from_secs(30);

/// Forgets, every [`HOUSEKEEPING`], the addresses whose allowance is whole again (they would
/// be let through as strangers anyway), so that the limiter's memory follows the clients of the
/// last seconds, not every address ever seen.
async fn forget_idle_clients(state: Shared) {
    loop {
        tokio::time::sleep(HOUSEKEEPING).await;
        prune(&state.limiter);
        prune(&state.readers);
        prune(&state.user_budget);
    }
}

/// Folds the rows of changes PostgreSQL keeps for the results every few seconds
/// ([`Store::fold`]): they stay few however long nobody reads the results.
async fn fold_kept_sums(state: Shared) {
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        if let Err(e) = state.store.fold(state.verifier.rules()).await {
            eprintln!("cohort: the kept results could not be folded (tried again soon): {e}");
        }
    }
}

fn prune<K: std::hash::Hash + Eq + Clone>(limiter: &DefaultKeyedRateLimiter<K>) {
    limiter.retain_recent();
    limiter.shrink_to_fit();
}

/// Reads the free space every [`HOUSEKEEPING`], and says when it falls low and when it is back.
async fn watch_free_space(folder: PathBuf, mut before: Option<u64>) {
    loop {
        tokio::time::sleep(HOUSEKEEPING).await;
        let now = health::free_bytes(&folder);
        let low = |free: Option<u64>| free.is_some_and(|f| f < health::LOW_SPACE_BYTES);
        match (low(before), now) {
            (false, Some(free)) => {
                if let Some(warning) = health::low_space_warning(&folder, free) {
                    eprintln!("{warning}");
                }
            }
            (true, Some(free)) if !low(now) => eprintln!(
                "cohort: {} MB free for {} again",
                free / (1024 * 1024),
                folder.display()
            ),
            _ => {}
        }
        before = now;
    }
}

async fn health(State(state): State<Shared>) -> Response {
    let health = health::check(&state.store).await;
    if !health.is_ok() {
        eprintln!("cohort: health check: the database {}", health.database);
    }
    let status = if health.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let response = (status, Json(health)).into_response();
    not_cached(response)
}

/// Whether a browser page may send events here. A browser names the page's origin on every
/// POST, `fetch` or beacon, and a `text/plain` one is sent without asking first (no CORS
/// preflight), so CORS alone would let any site write events. A page of the collector's own
/// origin may (the browser says `Sec-Fetch-Site: same-origin`, which no page can forge, or the
/// `Origin`'s host and port are the request's `Host`), and so may a page of an
/// `--allow-origin`; a request without `Origin` is not a browser page's, and is judged by its
/// records alone.
fn origin_may_write(headers: &HeaderMap, allowed: &[String]) -> Result<(), String> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let same_site = headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"same-origin");
    if same_site {
        return Ok(());
    }
    let origin = origin.to_str().unwrap_or_default();
    if allowed.iter().any(|a| a == origin) {
        return Ok(());
    }
    let authority = origin.split_once("://").map(|(_, rest)| rest);
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    match (authority, host) {
        (Some(authority), Some(host)) if authority.eq_ignore_ascii_case(host) => Ok(()),
        _ => Err(format!(
            "pages of {origin:?} may not send events here (this collector takes its own \
             origin's and those of --allow-origin)"
        )),
    }
}

async fn whoami(
    State(state): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let ip = client_ip::client_ip(peer, &headers, &state.trusted);
    not_cached(Json(json!({ "ip_hash": client_ip::ip_hash(&state.secret, ip) })).into_response())
}

/// Records one user ID may send in a minute: a person's page logs a handful; a script posing
/// as one user to skew results is refused past this, record by record, with the reason.
const USER_RECORDS_PER_MINUTE: u32 = 1_200;

fn digest(token: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes()).into()
}

/// Why a read of results may not go on, as the answer to give: without the token when one is
/// set, or past the client's rate. `None`: it may.
fn refuse_read(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> Option<Response> {
    // The rate first: a guess at the token costs a read like any other.
    let ip = client_ip::client_ip(peer, headers, &state.trusted);
    if state.readers.check_key(&ip).is_err() {
        return Some(slow_down("too many reads: slow down"));
    }
    if let Some(expected) = &state.results_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        if given.map(digest).as_ref() != Some(expected) {
            let why = if given.is_some() {
                "the results token is not this collector's"
            } else {
                "this collector's results need a token (Authorization: Bearer ...)"
            };
            let mut response = error(StatusCode::UNAUTHORIZED, why);
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"cohort results\""),
            );
            return Some(response);
        }
    }
    None
}

async fn list_experiments(
    State(state): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = refuse_read(&state, peer, &headers) {
        return refused;
    }
    let Some(tag) = changed_since(&state, &headers) else {
        return not_modified(&state);
    };
    let response = match experiments::list(state.verifier.rules(), &state.store).await {
        Ok(listing) => tagged(Json(listing).into_response(), tag),
        Err(e) => {
            eprintln!("cohort: the experiments could not be read: {e}");
            store_failed(&e, "the experiments could not be read")
        }
    };
    not_cached(response)
}

#[derive(Deserialize)]
struct ResultsQuery {
    experiment: String,
    /// Results by this dimension of the users, a slice per value.
    #[serde(default)]
    dimension: Option<String>,
}

async fn results(
    State(state): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<ResultsQuery>,
) -> Response {
    if let Some(refused) = refuse_read(&state, peer, &headers) {
        return refused;
    }
    if let Some(dimension) = &q.dimension {
        if !cohort_protocol::check::is_dimension_name(dimension) {
            return error(
                StatusCode::BAD_REQUEST,
                format!(
                    "dimension {dimension:?} is not a name: 1 to 32 letters, digits, '_', '-' or '.'"
                ),
            );
        }
    }
    let Some(tag) = changed_since(&state, &headers) else {
        return not_modified(&state);
    };
    let rules = state.verifier.rules();
    let response = match &q.dimension {
        Some(dimension) => answer(
            state.store.breakdown(rules, &q.experiment, dimension).await,
            &q.experiment,
            tag,
            "the breakdown",
        ),
        None => answer(
            state.store.results(rules, &q.experiment).await,
            &q.experiment,
            tag,
            "the results",
        ),
    };
    not_cached(response)
}

/// The store's answer about `experiment` as a response tagged `tag`: 404 when the rules have
/// no such experiment, the store's status when `what` could not be read.
fn answer<T: serde::Serialize>(
    read: Result<Option<T>, StoreError>,
    experiment: &str,
    tag: HeaderValue,
    what: &str,
) -> Response {
    match read {
        Ok(Some(value)) => tagged(Json(value).into_response(), tag),
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            format!("no experiment {experiment:?}"),
        ),
        Err(e) => {
            eprintln!("cohort: {what} could not be read: {e}");
            store_failed(&e, &format!("{what} could not be read"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn the_limiter_forgets_clients_whose_allowance_is_whole_again() {
        let rate = NonZeroU32::new(20).unwrap();
        let limiter: DefaultKeyedRateLimiter<IpAddr> =
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(rate));
        // 6,000 clients that each spent their whole allowance.
        for n in 0..6_000u32 {
            for _ in 0..20 {
                let _ = limiter.check_key(&IpAddr::from(n.to_be_bytes()));
            }
        }
        assert_eq!(limiter.len(), 6_000);
        prune(&limiter);
        // (However slow the machine, the clients of the last moment are still limited.)
        assert!(limiter.len() >= 1_000, "just seen: still limited");
        // A burst of 20 at 20 a second is whole again after one second.
        std::thread::sleep(Duration::from_millis(1200));
        prune(&limiter);
        assert_eq!(limiter.len(), 0);
    }

    #[test]
    fn only_the_collectors_own_origin_and_allowed_ones_may_write() {
        let allowed = ["https://course.example".to_owned()];
        let may = |pairs: &[(&str, &str)]| origin_may_write(&headers(pairs), &allowed).is_ok();
        assert!(
            may(&[("host", "127.0.0.1:3000")]),
            "no Origin: not a browser page"
        );
        assert!(may(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000")
        ]));
        assert!(may(&[
            ("host", "cohort.example"),
            ("origin", "https://Cohort.example")
        ]));
        assert!(may(&[("host", "x"), ("origin", "https://course.example")]));
        assert!(!may(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3001")
        ]));
        assert!(!may(&[
            ("host", "cohort.example"),
            ("origin", "https://evil.example")
        ]));
        assert!(!may(&[("host", "cohort.example"), ("origin", "null")]));
        assert!(
            !may(&[("origin", "https://cohort.example")]),
            "no Host to compare with"
        );
        // The browser's own word that the page is of this origin: a beacon from a page whose
        // referrer policy makes its Origin "null", or a proxy that rewrote Host.
        let proxied = [
            ("host", "10.0.0.5:3000"),
            ("origin", "https://cohort.example"),
        ];
        assert!(!may(&proxied));
        assert!(may(&[
            proxied[0],
            proxied[1],
            ("sec-fetch-site", "same-origin")
        ]));
        assert!(may(&[
            ("host", "a"),
            ("origin", "null"),
            ("sec-fetch-site", "same-origin")
        ]));
        assert!(!may(&[
            ("host", "a"),
            ("origin", "null"),
            ("sec-fetch-site", "cross-site")
        ]));
        let why = origin_may_write(
            &headers(&[("host", "a"), ("origin", "https://evil.example")]),
            &allowed,
        )
        .unwrap_err();
        assert!(
            why.contains("\"https://evil.example\" may not send events"),
            "{why}"
        );
    }
}
