//! The collector's store, opened by a command that reads it (`results`, `export`): a SQLite
//! file, which must exist, or a PostgreSQL URL; with the runtime its calls run on.

use cohort_collector::store::{is_postgres, Store};
use tokio::runtime::Runtime;

use crate::output::Result;

/// Opens `db` for reading, with a runtime to drive it.
pub fn open(db: &str) -> Result<(Runtime, Store)> {
    if !is_postgres(db) && !std::path::Path::new(db).exists() {
        return Err(format!("no database at {db}").into());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start: {e}"))?;
    let store = runtime.block_on(Store::open(db))?;
    Ok((runtime, store))
}
