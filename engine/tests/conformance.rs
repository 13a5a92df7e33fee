//! Statsig conformance: every user of every suite in `tests/vectors/` gets exactly what the
//! official Statsig SDK returned. `statsig.*` is the course's reference suite (2,000 users
//! against the `button_color_v3` spec file, handed to the project with the official SDK's
//! answers); the others were generated here with the same SDK (`tools/statsig-oracle/`).
//! Everything a test reads is in the repository.

use std::path::{Path, PathBuf};

use cohort::{CompileOptions, Rules, User};
use serde_json::Value;

/// The instant the generated vectors were evaluated at (`current_time` conditions).
const VECTORS_NOW_MS: i64 = 1_764_000_000_000;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// Evaluates every user of `users` against `expected`, returning the mismatches.
fn mismatches(dcs: &Path, expected: &Path, now_ms: i64) -> (usize, Vec<String>) {
    let text = std::fs::read_to_string(dcs)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dcs.display()));
    let rules = Rules::from_statsig_json(&text, CompileOptions::LENIENT)
        .unwrap_or_else(|e| panic!("{}: {e}", dcs.display()));
    let evaluator = rules.at(now_ms);
    let expected = std::fs::read_to_string(expected)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", expected.display()));
    let mut bad = Vec::new();
    let mut count = 0;
    for (i, line) in expected.lines().enumerate() {
        let mut want: Value = serde_json::from_str(line).expect("expected line is JSON");
        let user: User = serde_json::from_value(want["user"].clone()).expect("user");
        want.as_object_mut().unwrap().remove("user");
        let got = serde_json::to_value(evaluator.snapshot(&user)).unwrap();
        count += 1;
        if got != want {
            bad.push(format!(
                "line {}: user {}\n  want {want}\n  got  {got}",
                i + 1,
                serde_json::to_string(&user).unwrap()
            ));
        }
    }
    (count, bad)
}

fn assert_conformant(dcs: &Path, expected: &Path, now_ms: i64) {
    let (count, bad) = mismatches(dcs, expected, now_ms);
    assert!(count > 0, "{} has no vectors", expected.display());
    assert!(
        bad.is_empty(),
        "{} of {count} users differ from Statsig:\n{}",
        bad.len(),
        bad.iter().take(5).cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_reference_suite_matches_statsig_exactly() {
    let dir = vectors_dir();
    let (count, bad) = mismatches(
        &dir.join("statsig.json"),
        &dir.join("statsig.expected.jsonl"),
        VECTORS_NOW_MS,
    );
    assert_eq!(count, 2000, "the reference suite has 2,000 users");
    assert!(
        bad.is_empty(),
        "{} users differ from Statsig:\n{}",
        bad.len(),
        bad[..bad.len().min(5)].join("\n")
    );
}

#[test]
fn every_suite_matches_statsig_exactly() {
    let dir = vectors_dir();
    let mut suites = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/vectors exists") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let expected = path.with_extension("expected.jsonl");
            assert_conformant(&path, &expected, VECTORS_NOW_MS);
            suites += 1;
        }
    }
    assert!(
        suites >= 5,
        "expected the reference suite and four generated ones in {}",
        dir.display()
    );
}
