//! The `cohort` command, run as a user runs it.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// The reference conformance suite (`engine/tests/vectors/statsig.*`).
fn reference(path: &str) -> PathBuf {
    repo("engine/tests/vectors").join(path)
}

fn cohort() -> Command {
    Command::cargo_bin("cohort").unwrap()
}

#[test]
fn every_command_has_help() {
    for command in ["check", "eval", "assign", "simulate"] {
        cohort()
            .args([command, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Usage: cohort"));
    }
    cohort()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("simulate"));
}

#[test]
fn check_summarises_valid_rules() {
    cohort()
        .arg("check")
        .arg(repo("experiments/button_color_v3.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "experiment button_color_v3: enabled",
        ))
        .stdout(predicate::str::contains("100% allocated, 4 group(s)"))
        .stdout(predicate::str::contains(
            "Control 25%, Red 25%, Green 25%, Orange 25%",
        ));
    cohort()
        .arg("check")
        .arg(reference("statsig.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "experiment paragraph_copy_v1: enabled, 4 rule(s), 60% allocated",
        ))
        .stdout(predicate::str::contains(
            "layer landing_page: enabled, 2 rule(s), experiments: hero_image_v2, cta_size_v1",
        ));
}

#[test]
fn check_fails_with_every_error_located() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[experiment]]\nname = \"e\"\ngroups = [{ name = \"A\", weight = 60 }, { name = \"B\", weight = 30 }]\n\n[[gate]]\nname = \"g\"\nrules = [{ when = [{ field = \"email\", op = \"has\", value = 1 }] }]\n",
    )
    .unwrap();
    let assert = cohort().arg("check").arg(&bad).assert().code(1);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains(
            "bad.toml: line 1: experiment \"e\": the group weights add up to 90, not 100"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "bad.toml: line 7: gate \"g\" > rule \"rule1\" > condition: unknown operator \"has\""
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("cohort: 2 error(s) in 1 file(s)"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
}

#[test]
fn eval_reproduces_the_official_sdk() {
    let users: String = std::fs::read_to_string(reference("statsig.expected.jsonl"))
        .unwrap()
        .lines()
        .take(300)
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["user"].to_string() + "\n")
        .collect();
    let expected: Vec<Value> = std::fs::read_to_string(reference("statsig.expected.jsonl"))
        .unwrap()
        .lines()
        .take(300)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let out = cohort()
        .arg("eval")
        .arg("--rules")
        .arg(reference("statsig.json"))
        .write_stdin(users)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let got: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn eval_reports_bad_lines_and_goes_on() {
    let assert = cohort()
        .arg("eval")
        .arg("--rules")
        .arg(repo("experiments/button_color_v3.json"))
        .write_stdin("{\"userID\": \"a\"}\n{broken\n\n42\n{\"userID\": \"b\"}\n")
        .assert()
        .code(1);
    let out = assert.get_output();
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["user"]["userID"], "a");
    assert_eq!(lines[1]["user"]["userID"], "b");
    assert!(lines[1]["configs"]["button_color_v3"]["group_name"].is_string());
    assert!(stderr.contains("line 2: not a user"), "{stderr}");
    assert!(
        stderr.contains("line 4: not a user: a user must be a JSON object"),
        "{stderr}"
    );
}

#[test]
fn eval_strict_refuses_what_check_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.json");
    std::fs::write(
        &file,
        r#"{"feature_gates": [{"name": "g", "enabled": true, "salt": "s", "rules": [
            {"id": "r", "passPercentage": 100, "conditions": [{"type": "pass_gate", "targetValue": "missing"}]}]}]}"#,
    )
    .unwrap();
    // As Statsig: the missing gate is false (with a warning).
    cohort()
        .args(["eval", "--rules"])
        .arg(&file)
        .write_stdin("{\"userID\": \"u\"}\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("\"g\":false"))
        .stderr(
            predicate::str::contains("warning:").and(predicate::str::contains("does not exist")),
        );
    cohort()
        .args(["eval", "--strict", "--rules"])
        .arg(&file)
        .write_stdin("{\"userID\": \"u\"}\n")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cohort: error: error: ").not())
        .stderr(predicate::str::contains("gate \"missing\" does not exist"));
}

#[test]
fn assign_shows_group_parameters_and_reason() {
    let assign = |extra: &[&str]| -> Value {
        let out = cohort()
            .args([
                "assign",
                "--json",
                "--experiment",
                "button_color_v3",
                "--user",
                "abc",
            ])
            .args(extra)
            .arg("--rules")
            .arg(repo("experiments/button_color_v3.json"))
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice(&out).unwrap()
    };
    let v = assign(&[]);
    let group = v["group"].as_str().unwrap();
    assert!(["Control", "Red", "Green", "Orange"].contains(&group));
    assert_eq!(v["reason"], "matched");
    let color = v["params"]["Button Color"].as_str().unwrap();
    assert_eq!(if group == "Control" { "Blue" } else { group }, color);
    // The bundled experiment is sticky (version 1): a kept group holds at that version only.
    let other = ["Control", "Red", "Green", "Orange"]
        .into_iter()
        .find(|g| *g != group)
        .unwrap();
    let kept = assign(&["--sticky", &format!("{other}:1")]);
    assert_eq!(
        (kept["group"].as_str(), kept["reason"].as_str()),
        (Some(other), Some("sticky"))
    );
    let bumped = assign(&["--sticky", &format!("{other}:2")]);
    assert_eq!(
        (bumped["group"].as_str(), bumped["reason"].as_str()),
        (Some(group), Some("matched"))
    );
    let forced = assign(&["--force", other]);
    assert_eq!(
        (forced["group"].as_str(), forced["reason"].as_str()),
        (Some(other), Some("forced"))
    );
    cohort()
        .args([
            "assign",
            "--experiment",
            "button_color_v3",
            "--user",
            "abc",
            "--force",
            "Purple",
        ])
        .arg("--rules")
        .arg(repo("experiments/button_color_v3.json"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "button_color_v3 has no group \"Purple\" (its groups: Control, Red, Green, Orange)",
        ));
    cohort()
        .args(["assign", "--experiment", "nope", "--user", "abc", "--rules"])
        .arg(repo("experiments/button_color_v3.json"))
        .assert()
        .code(1)
        .stderr(predicate::str::diff(
            "cohort: error: no experiment or dynamic config named \"nope\" in the rules\n",
        ));
}

#[test]
fn simulate_reports_shares_and_the_chi_square_test() {
    cohort()
        .args([
            "simulate",
            "--experiment",
            "button_color_v3",
            "-n",
            "40000",
            "--seed",
            "7",
            "--rules",
        ])
        .arg(repo("experiments/examples/button_color_v3.toml"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "40000 users (seed 7), 40000 in the experiment",
        ))
        .stdout(predicate::str::is_match(r"Orange\s+\d+\s+2[45]\.\d\d%\s+25\.00%").unwrap())
        .stdout(predicate::str::contains("the split matches the weights"));
}

#[test]
fn errors_are_one_line_never_a_panic() {
    for args in [
        vec!["check", "no-such-file.json"],
        vec!["check", "README.md"],
        vec!["eval", "--rules", "no-such-file.toml"],
    ] {
        let out = cohort().current_dir(repo("")).args(&args).assert().code(1);
        let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("cohort: error: "), "{stderr}");
    }
    cohort().arg("frobnicate").assert().code(2);
}

/// Runs `cohort args`, reads one line of its output, then closes the pipe as `head -1` does.
fn first_line_then_close(args: &[&str]) -> (std::process::ExitStatus, String, String) {
    use std::io::{BufRead, BufReader, Read};
    use std::process::Stdio;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cohort"))
        .current_dir(repo(""))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    drop(stdout); // the reader goes away
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (child.wait().unwrap(), first, stderr)
}

#[test]
fn a_closed_pipe_ends_a_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    // A database with a record, for `results` and `export`.
    let conn = rusqlite::Connection::open(&db).unwrap();
    drop(conn);
    let db = db.to_str().unwrap().to_owned();
    let many_users: String = (0..20_000)
        .map(|i| format!("{{\"userID\": \"u{i}\"}}\n"))
        .collect();
    let rules = "experiments/button_color_v3.json";
    for args in [
        vec![
            "simulate",
            "--rules",
            rules,
            "--experiment",
            "button_color_v3",
            "-n",
            "60000",
            "--seed",
            "1",
        ],
        vec!["check", "engine/tests/vectors/statsig.json"],
        vec![
            "assign",
            "--rules",
            rules,
            "--experiment",
            "button_color_v3",
            "--user",
            "u",
        ],
        vec!["results", "--db", &db, "--experiment", "button_color_v3"],
    ] {
        // Repeated: whether the pipe closes before or after the last write is a race.
        for _ in 0..5 {
            let (status, first, stderr) = first_line_then_close(&args);
            assert!(!first.is_empty(), "{args:?}: no output");
            assert!(status.success(), "{args:?}: {status} {stderr}");
            assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        }
    }
    // eval reads stdin while it writes.
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cohort"))
        .current_dir(repo(""))
        .args(["eval", "--rules", rules])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(many_users.as_bytes());
    });
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(first.contains("button_color_v3"), "{first}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn eval_reports_a_line_that_is_not_utf8_and_goes_on() {
    let mut input = b"{\"userID\": \"a\"}\n{\"userID\": \"".to_vec();
    input.extend_from_slice(&[0xff, 0xfe]);
    input.extend_from_slice(b"\"}\n{\"userID\": \"b\"}\n");
    let assert = cohort()
        .arg("eval")
        .arg("--rules")
        .arg(repo("experiments/button_color_v3.json"))
        .write_stdin(input)
        .assert()
        .code(1);
    let out = assert.get_output();
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    let users: Vec<String> = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["user"]["userID"].to_string())
        .collect();
    assert_eq!(users, ["\"a\"", "\"b\""]);
    assert!(
        stderr.contains("cohort: line 2: not a user: not UTF-8"),
        "{stderr}"
    );
    assert!(stderr.contains("cohort: 1 line(s) skipped"), "{stderr}");
}

#[test]
fn analyze_agrees_with_gbstats_and_reports_bad_lines() {
    let cases: Vec<&str> = include_str!("../../stats/tests/fixtures/gbstats/cases.jsonl")
        .lines()
        .take(30)
        .collect();
    let expected: Vec<Value> = include_str!("../../stats/tests/fixtures/gbstats/expected.jsonl")
        .lines()
        .take(30)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut input = cases.join("\n");
    input.push_str("\n{\"groups\": []}\n");
    let assert = cohort().arg("analyze").write_stdin(input).assert().code(1);
    let out = assert.get_output();
    let lines: Vec<Value> = String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 30);
    for (got, want) in lines.iter().zip(&expected) {
        assert_eq!(got["id"], want["id"]);
        let close =
            |a: &Value, b: &Value| (a.as_f64().unwrap() - b.as_f64().unwrap()).abs() <= 1e-12;
        assert!(
            close(&got["srm_p_value"], &want["srm_p_value"]),
            "{}",
            got["id"]
        );
        for (g, w) in got["comparisons"]
            .as_array()
            .unwrap()
            .iter()
            .zip(want["comparisons"].as_array().unwrap())
        {
            for engine in ["frequentist", "sequential"] {
                assert!(
                    close(
                        &g[engine]["relative"]["p_value"],
                        &w[engine]["relative"]["p_value"]
                    ),
                    "{}",
                    got["id"]
                );
            }
            assert!(close(
                &g["bayesian"]["relative"]["chance_to_win"],
                &w["bayesian"]["relative"]["chance_to_win"]
            ));
        }
    }
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert!(
        stderr.contains("cohort: line 31: a case needs at least two groups"),
        "{stderr}"
    );
}

/// Rules with two experiments (one disabled) and a gate, for `results` without `--experiment`.
const LISTED_RULES: &str = r#"
[[metric]]
name = "signup"
event = "visited_signup"
kind = "conversion"

[[metric]]
name = "clicks"
event = "cta_click"
kind = "count"

[[gate]]
name = "new_checkout"
rules = [{ id = "half", pass = 50 }]

[[experiment]]
name = "checkout_copy"
metrics = ["signup", "clicks"]
groups = [{ name = "Control", weight = 50 }, { name = "Short", weight = 50 }]

[[experiment]]
name = "paused_banner"
enabled = false
metrics = ["clicks"]
groups = [{ name = "Control", weight = 50 }, { name = "Banner", weight = 50 }]
"#;

/// A collector's database holding, for `checkout_copy`, two users (one exposed twice), a
/// forged exposure, and a gate exposure.
fn listed_database(db: &Path) {
    use cohort_collector::store::{Accepted, Store};
    use cohort_collector::verify::Exclusion;
    use cohort_protocol::Record;
    let exposure = |id: &str, user: &str, experiment: &str, group: &str| Accepted {
        record: Record::Exposure {
            id: id.into(),
            user_id: user.into(),
            experiment: experiment.into(),
            group: group.into(),
            rule_id: "r".into(),
            secondary_exposures: Vec::new(),
            dimensions: Default::default(),
            time: 1_795_651_200_000,
        },
        time: 1_795_651_200_000,
        exclusion: None,
    };
    let mut forged = exposure("4", "c", "checkout_copy", "Short");
    forged.exclusion = Some(Exclusion {
        experiment: "checkout_copy".into(),
        reason: cohort_protocol::ExclusionReason::GroupMismatch,
        detail: "claims checkout_copy/Short; the rules give checkout_copy/Control".into(),
    });
    let records = vec![
        exposure("1", "a", "checkout_copy", "Control"),
        exposure("2", "b", "checkout_copy", "Short"),
        exposure("3", "a", "checkout_copy", "Control"),
        forged,
        exposure("5", "a", "new_checkout", "true"),
    ];
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = Store::open(db.to_str().unwrap()).await.unwrap();
        store.insert(records, 0, 1_795_651_200_000).await.unwrap();
    });
}

#[test]
fn results_without_an_experiment_lists_the_rules_experiments() {
    let dir = tempfile::tempdir().unwrap();
    let (db, rules) = (dir.path().join("c.db"), dir.path().join("rules.toml"));
    std::fs::write(&rules, LISTED_RULES).unwrap();
    listed_database(&db);
    let results = |extra: &[&str]| {
        cohort()
            .arg("results")
            .arg("--db")
            .arg(&db)
            .arg("--rules")
            .arg(&rules)
            .args(extra)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    assert_eq!(
        String::from_utf8(results(&[])).unwrap(),
        "\
experiment     status    exposures  groups           metrics
checkout_copy  running           2  Control, Short   signup (primary), clicks
paused_banner  disabled          0  Control, Banner  clicks (primary)
"
    );
    let listing: Value = serde_json::from_slice(&results(&["--json"])).unwrap();
    assert_eq!(
        listing,
        serde_json::json!({"experiments": [
            {"name": "checkout_copy", "groups": ["Control", "Short"], "status": "running",
             "exposures": 2, "metrics": ["signup", "clicks"]},
            {"name": "paused_banner", "groups": ["Control", "Banner"], "status": "disabled",
             "exposures": 0, "metrics": ["clicks"]},
        ]})
    );
    // With --experiment, one experiment's results, as before.
    let one = String::from_utf8(results(&["--experiment", "checkout_copy"])).unwrap();
    assert!(
        one.starts_with("checkout_copy: 2 users exposed (Control 1, Short 1)"),
        "{one}"
    );
    assert!(
        one.contains("excluded: 1 exposure(s) kept out of these results"),
        "{one}"
    );
    cohort()
        .arg("results")
        .arg("--db")
        .arg(&db)
        .arg("--rules")
        .arg(&rules)
        .args(["--experiment", "new_checkout"])
        .assert()
        .code(1)
        .stderr(predicate::str::diff(
            "cohort: error: no experiment named \"new_checkout\" in the rules\n",
        ));
}

#[test]
fn results_name_a_metric_the_database_cannot_compute_and_print_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let (db, rules) = (dir.path().join("c.db"), dir.path().join("rules.toml"));
    // The clicks' values, summed too.
    let with_spend = LISTED_RULES.replace(
        "metrics = [\"signup\", \"clicks\"]",
        "metrics = [\"signup\", \"clicks\", \"spend\"]",
    ) + "\n[[metric]]\nname = \"spend\"\nevent = \"cta_click\"\nkind = \"sum\"\n";
    std::fs::write(&rules, with_spend).unwrap();
    listed_database(&db);
    // A value far past the collector's bound, written behind its back: its square overflows.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(
            "INSERT INTO records (id, kind, user_id, name, value, time, client_time, record, received_at)
             VALUES ('x1', 'event', 'a', 'cta_click', 1e300, 1795651200001, 0, '{}', 0)",
        )
        .unwrap();
    let out = cohort()
        .arg("results")
        .arg("--db")
        .arg(&db)
        .arg("--rules")
        .arg(&rules)
        .args(["--experiment", "checkout_copy"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains(
            "Metric spend is not shown: the database could not compute it (the sums of group \"Control\" are out of range"
        ),
        "{out}"
    );
    assert!(
        out.contains("\nsignup (primary): conversion of visited_signup"),
        "{out}"
    );
    // Counting the clicks does not read their values: that metric is whole.
    assert!(out.contains("\nclicks: count of cta_click"), "{out}");
    assert!(!out.contains("\nspend: sum"), "{out}");
}

#[test]
fn results_without_an_experiment_says_when_the_rules_have_none() {
    let dir = tempfile::tempdir().unwrap();
    let (db, rules) = (dir.path().join("c.db"), dir.path().join("rules.toml"));
    std::fs::write(
        &rules,
        "[[gate]]\nname = \"new_checkout\"\nrules = [{ id = \"half\", pass = 50 }]\n",
    )
    .unwrap();
    listed_database(&db);
    let run = |json: bool| {
        let mut command = cohort();
        command
            .arg("results")
            .arg("--db")
            .arg(&db)
            .arg("--rules")
            .arg(&rules);
        if json {
            command.arg("--json");
        }
        String::from_utf8(command.assert().success().get_output().stdout.clone()).unwrap()
    };
    assert_eq!(run(false), "no experiments in the rules\n");
    let listing: Value = serde_json::from_str(&run(true)).unwrap();
    assert_eq!(listing, serde_json::json!({"experiments": []}));
}
