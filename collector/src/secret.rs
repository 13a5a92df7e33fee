//! The secret the IP hashes are keyed with: from a file, the environment, or made once and
//! kept: beside a SQLite database (mode 0600), or in a PostgreSQL database, where every
//! collector sharing it finds the same one (so that a user's IP hash does not depend on the
//! collector the load balancer picks).

use std::io::Write;
use std::path::Path;

use crate::store::Store;

/// The secret: `--secret-file`, else `$COHORT_SECRET`, else the store's (made if missing).
pub async fn load(file: Option<&Path>, store: &Store) -> Result<Vec<u8>, String> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the secret file {}: {e}", path.display()))?;
        return from_text(text.trim(), &path.display().to_string());
    }
    if let Ok(text) = std::env::var("COHORT_SECRET") {
        return from_text(text.trim(), "COHORT_SECRET");
    }
    let fresh = hex::encode(rand::random::<[u8; 32]>());
    match store {
        Store::Sqlite(sqlite) => {
            let path = format!("{}.secret", sqlite.path().display());
            if let Ok(text) = std::fs::read_to_string(&path) {
                return from_text(text.trim(), &path);
            }
            write_private(Path::new(&path), &fresh)
                .map_err(|e| format!("cannot save a new secret to {path}: {e}"))?;
            eprintln!("cohort: made a new IP-hash secret in {path}");
            Ok(fresh.into_bytes())
        }
        Store::Postgres(postgres) => {
            let text = postgres
                .shared_secret(&fresh)
                .await
                .map_err(|e| format!("cannot read or keep the IP-hash secret: {e}"))?;
            from_text(&text, "the database")
        }
    }
}

fn from_text(text: &str, source: &str) -> Result<Vec<u8>, String> {
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
