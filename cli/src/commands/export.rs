//! `cohort export`: every record the collector stored, for other tools.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::output::{stdout, Result};
use crate::serve::store::Store;

/// Write every stored exposure and event as JSON lines, in the order they arrived: the
/// record as the page sent it, its time on the collector's clock (`time`) and on the page's
/// (`client_time`), and why it is kept out of the results (`excluded`), if it is.
#[derive(clap::Args)]
pub struct Args {
    /// The collector's SQLite database.
    #[arg(long, default_value = "cohort.db")]
    db: PathBuf,
}

pub fn run(args: Args) -> Result<ExitCode> {
    if !args.db.exists() {
        return Err(format!("no database at {}", args.db.display()).into());
    }
    let store = Store::open(&args.db)?;
    let mut out = stdout();
    store.for_each_record(|record| {
        serde_json::to_writer(&mut out, &record)?;
        out.write_all(b"\n")?;
        Ok::<_, crate::output::Error>(())
    })?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
