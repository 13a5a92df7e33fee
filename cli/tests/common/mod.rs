//! Starting the collector for a test (`cohort serve` on a free port of 127.0.0.1), and the
//! groups the repository's rules give users.

pub mod traffic;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The repository's `path`.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// Spawns `cohort serve` on `db` with the repository's rules and `extra` arguments, keyed
/// with `secret` (none: the collector makes its own), and returns it with its base URL.
#[allow(dead_code)] // not every test file uses it
pub fn spawn_collector(
    db: impl AsRef<std::ffi::OsStr>,
    extra: &[&str],
    secret: Option<&str>,
    logs: Stdio,
) -> (Child, String) {
    spawn_collector_with_rules(db, &repo("experiments"), extra, secret, logs)
}

/// As [`spawn_collector`], with the rules in `rules`.
#[allow(dead_code)] // not every test file uses it
pub fn spawn_collector_with_rules(
    db: impl AsRef<std::ffi::OsStr>,
    rules: &Path,
    extra: &[&str],
    secret: Option<&str>,
    logs: Stdio,
) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cohort"));
    command
        .arg("serve")
        .arg("--db")
        .arg(db.as_ref())
        .arg("--rules")
        .arg(rules)
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(logs);
    match secret {
        Some(secret) => command.env("COHORT_SECRET", secret),
        None => command.env_remove("COHORT_SECRET"),
    };
    let mut child = command.spawn().expect("cohort serve starts");
    let url = listening_url(&mut child);
    (child, url)
}

/// The base URL a starting `cohort serve` says it listens on (its first line on stdout).
pub fn listening_url(child: &mut Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    line.trim()
        .strip_prefix("cohort: listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned()
}

/// The group the repository's rules give `user` in the course's experiment.
#[allow(dead_code)] // not every test file uses it
pub fn group_of(user: &str) -> String {
    static RULES: std::sync::OnceLock<cohort::Rules> = std::sync::OnceLock::new();
    let rules = RULES.get_or_init(|| {
        let text = std::fs::read_to_string(repo("experiments/button_color_v3.json")).unwrap();
        cohort::Rules::from_statsig_json(&text, cohort::CompileOptions::STRICT).unwrap()
    });
    rules
        .evaluator()
        .get_experiment(&cohort::User::with_id(user), "button_color_v3")
        .group()
        .expect("everyone is in the experiment")
        .to_owned()
}
