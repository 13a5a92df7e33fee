//! `cohort serve`: runs the collector (the `cohort-collector` crate) with the rules given.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use cohort_collector::listen::Limits;
use cohort_collector::server::{serve, Config};

use crate::output::Result;
use crate::rules::{load_reporting, options};

/// Run the collector: store exposures and events, hash client IPs, serve results.
#[derive(clap::Args)]
pub struct Args {
    /// Rules files or directories: the experiments and groups records may name, the metrics
    /// whose events they may carry, and the assignments records are checked against.
    #[arg(long = "rules", default_value = "experiments")]
    rules: Vec<PathBuf>,
    /// Where to store: a SQLite file (created if missing) or a PostgreSQL URL
    /// (`postgres://user:password@host:port/database`) that several collectors may share.
    #[arg(long, default_value = "cohort.db")]
    db: String,
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
    /// A file holding the secret IP hashes are keyed with (else $COHORT_SECRET, else the
    /// store's: DB.secret beside a SQLite file, a table in PostgreSQL, made if missing).
    #[arg(long, value_name = "FILE")]
    secret_file: Option<PathBuf>,
    /// Batches a client may send per second (bursts of twice as many).
    #[arg(long, default_value_t = 20)]
    rate_limit: u32,
    /// Reads of results and listings a client may make per second (bursts of twice as many).
    #[arg(long, default_value_t = 10)]
    read_rate_limit: u32,
    /// Send Strict-Transport-Security: the site is served over HTTPS (by a proxy in front).
    #[arg(long)]
    hsts: bool,
    /// Connections open at once; past it, new ones are answered 503 and closed.
    #[arg(long, default_value_t = Limits::default().max_connections)]
    max_connections: usize,
    /// Seconds for a request's headers to arrive (and for an idle keep-alive connection's next
    /// request).
    #[arg(long, value_name = "SECONDS", default_value_t = Limits::default().header_timeout.as_secs_f64())]
    header_timeout: f64,
    /// Seconds for a batch's body to arrive and be stored (408 after it).
    #[arg(long, value_name = "SECONDS", default_value_t = Limits::default().request_timeout.as_secs_f64())]
    request_timeout: f64,
    /// The token reading results needs (GET /api/results and /api/experiments, with
    /// `Authorization: Bearer TOKEN`); also $COHORT_RESULTS_TOKEN.
    #[arg(long, value_name = "TOKEN")]
    results_token: Option<String>,
    /// Count records sent by crawlers and headless browsers like the others (by default they
    /// are stored apart as `bot` and left out of results).
    #[arg(long)]
    keep_bots: bool,
    /// Let anyone read results on an address other than loopback (without it, such an address
    /// needs --results-token).
    #[arg(long)]
    public_results: bool,
    /// Batches stored together in one commit at most, when they arrive together (group
    /// commit); 1 commits each batch in a transaction of its own.
    #[arg(long, value_name = "BATCHES", default_value_t = Limits::default().commit_group)]
    commit_group: usize,
    /// Seconds that requests under way get to finish after Ctrl-C or SIGTERM.
    #[arg(long, value_name = "SECONDS", default_value_t = Limits::default().shutdown_deadline.as_secs_f64())]
    shutdown_deadline: f64,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let limits = Limits {
        max_connections: args.max_connections.clamp(1, 1_000_000),
        header_timeout: seconds("--header-timeout", args.header_timeout)?,
        request_timeout: seconds("--request-timeout", args.request_timeout)?,
        shutdown_deadline: seconds("--shutdown-deadline", args.shutdown_deadline)?,
        commit_group: args.commit_group.clamp(1, 1024),
    };
    let rules = load_reporting(&args.rules, options(true))?;
    serve(Config {
        rules,
        db: args.db,
        listen: args.listen,
        dist: args.dist,
        allow_origins: args.allow_origins,
        trusted_proxies: args.trusted_proxies,
        secret_file: args.secret_file,
        rate_limit: args.rate_limit,
        read_rate_limit: args.read_rate_limit,
        hsts: args.hsts,
        limits,
        results_token: args
            .results_token
            .or_else(|| std::env::var("COHORT_RESULTS_TOKEN").ok())
            .filter(|t| !t.is_empty()),
        public_results: args.public_results,
        keep_bots: args.keep_bots,
    })?;
    Ok(ExitCode::SUCCESS)
}

/// A duration given in seconds: positive and finite (a fraction is fine).
fn seconds(option: &str, value: f64) -> Result<Duration> {
    const A_DAY: f64 = 86_400.0;
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero() && value <= A_DAY)
        .ok_or_else(|| {
            format!("{option} must be a positive number of seconds, at most a day, not {value}")
                .into()
        })
}
