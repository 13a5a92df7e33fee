//! `cohort export`: every record the collector stored, for other tools: JSON lines on stdout,
//! or Parquet files partitioned by day for warehouses.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use cohort_collector::export;

use crate::output::{stdout, Result};

/// Write every stored exposure and event, in time order (on the collector's clock): the
/// record as the page sent it, its time on the collector's clock (`time`) and on the page's
/// (`client_time`), and why it is kept out of the results (`excluded`), if it is.
#[derive(clap::Args)]
pub struct Args {
    /// The collector's store: a SQLite file or a PostgreSQL URL.
    #[arg(long, default_value = "cohort.db")]
    db: String,
    /// `jsonl`: one JSON object per line on stdout; `parquet`: files under `--out`,
    /// `exposures/day=YYYY-MM-DD/` and `events/day=YYYY-MM-DD/` (UTC days).
    #[arg(long, default_value = "jsonl", value_parser = ["jsonl", "parquet"])]
    format: String,
    /// The folder Parquet files are written to (created if missing).
    #[arg(long, required_if_eq("format", "parquet"))]
    out: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let (runtime, store) = crate::store::open(&args.db)?;
    if args.format == "parquet" {
        let out = args.out.expect("required with parquet");
        let exported = runtime.block_on(export::parquet(&store, &out))?;
        eprintln!(
            "cohort: wrote {} exposures and {} events in {} files under {}",
            exported.exposures,
            exported.events,
            exported.files.len(),
            out.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = stdout();
    let mut failure = None;
    let mut write = |record| {
        let written = serde_json::to_writer(&mut out, &record)
            .map_err(crate::output::Error::from)
            .and_then(|()| out.write_all(b"\n").map_err(Into::into));
        // A closed pipe (or a full disk) stops the export; the store is not to blame.
        written.map_err(|e| {
            failure = Some(e);
            cohort_collector::store::StoreError::Output("the output closed".into())
        })
    };
    let read = runtime.block_on(store.records(&mut write));
    if let Some(e) = failure {
        return Err(e);
    }
    read?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
