//! The secret the IP hashes are keyed with: from a file, the environment, or made once and
//! kept beside the database (mode 0600).

use std::io::Write;
use std::path::{Path, PathBuf};

/// The secret: `--secret-file`, else `$COHORT_SECRET`, else `<db>.secret` (made if missing).
pub fn load(file: Option<&Path>, db: &str) -> Result<Vec<u8>, String> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the secret file {}: {e}", path.display()))?;
        return from_text(text.trim(), &path.display().to_string());
    }
    if let Ok(text) = std::env::var("COHORT_SECRET") {
        return from_text(text.trim(), "COHORT_SECRET");
    }
    let path = PathBuf::from(format!("{db}.secret"));
    if let Ok(text) = std::fs::read_to_string(&path) {
        return from_text(text.trim(), &path.display().to_string());
    }
    let secret: [u8; 32] = rand::random();
    let text = hex::encode(secret);
    write_private(&path, &text)
        .map_err(|e| format!("cannot save a new secret to {}: {e}", path.display()))?;
    eprintln!("cohort: made a new IP-hash secret in {}", path.display());
    Ok(text.into_bytes())
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
