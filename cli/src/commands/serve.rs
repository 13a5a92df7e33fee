//! `cohort serve`: runs the collector (the `cohort-collector` crate) with the rules given.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

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
    /// Send Strict-Transport-Security: the site is served over HTTPS (by a proxy in front).
    #[arg(long)]
    hsts: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
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
        hsts: args.hsts,
    })?;
    Ok(ExitCode::SUCCESS)
}
