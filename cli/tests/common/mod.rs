//! Starting the collector for a test: `cohort serve` on a free port of 127.0.0.1.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The repository's `path`.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// Spawns `cohort serve` on `db` with the repository's rules and `extra` arguments, keyed
/// with `secret` (none: the collector makes its own), and returns it with its base URL.
pub fn spawn_collector(
    db: &Path,
    extra: &[&str],
    secret: Option<&str>,
    logs: Stdio,
) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cohort"));
    command
        .arg("serve")
        .arg("--db")
        .arg(db)
        .arg("--rules")
        .arg(repo("experiments"))
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(logs);
    match secret {
        Some(secret) => command.env("COHORT_SECRET", secret),
        None => command.env_remove("COHORT_SECRET"),
    };
    let mut child = command.spawn().expect("cohort serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("cohort: listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, url)
}
