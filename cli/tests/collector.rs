//! The collector (`cohort serve`) over real HTTP on 127.0.0.1: batches stored once, bad
//! records refused without costing the good ones, records placed on the collector's clock,
//! forged groups kept out of the results, gate exposures checked by the gate's value, the
//! experiments listed with their exposed users, acknowledged batches surviving a kill, the IP
//! never revealed or stored, rate limits, CORS, the site's files and graceful shutdown.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use reqwest::blocking::Client;
use serde_json::{json, Value};
use sha2::Sha256;

const SECRET: &str = "a-test-secret-of-some-length";

use common::{group_of, repo, spawn_collector, spawn_collector_with_rules};

struct Server {
    child: Option<Child>,
    url: String,
}

impl Server {
    fn start(db: &Path, extra: &[&str]) -> Server {
        let (child, url) = spawn_collector(db, extra, Some(SECRET), Stdio::piped());
        Server {
            child: Some(child),
            url,
        }
    }

    fn start_with_rules(db: &Path, rules: &Path) -> Server {
        let (child, url) = spawn_collector_with_rules(db, rules, &[], Some(SECRET), Stdio::piped());
        Server {
            child: Some(child),
            url,
        }
    }

    fn post(&self, body: impl Into<reqwest::blocking::Body>) -> (u16, Value) {
        let response = Client::new()
            .post(format!("{}/api/events", self.url))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().unwrap_or(Value::Null))
    }

    /// A GET of `path`: the status and the JSON answered.
    fn get(&self, path: &str) -> (u16, Value) {
        let response = reqwest::blocking::get(format!("{}{path}", self.url)).unwrap();
        let status = response.status().as_u16();
        (status, response.json().unwrap_or(Value::Null))
    }

    fn results(&self) -> Value {
        reqwest::blocking::get(format!(
            "{}/api/results?experiment=button_color_v3",
            self.url
        ))
        .unwrap()
        .json()
        .unwrap()
    }

    /// SIGKILL: no chance to clean up.
    fn kill(mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// SIGTERM, then the exit status and what the server wrote to stderr.
    fn terminate(mut self) -> (bool, String) {
        let child = self.child.take().unwrap();
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        let output = child.wait_with_output().unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn uuid(n: u32) -> String {
    format!("{n:08x}-d9cb-469f-a165-70867728950e")
}

/// A user the rules put in `group`, other than those in `but`.
fn user_in(group: &str, but: &[&str]) -> String {
    (0..)
        .map(|i| format!("someone-{i}"))
        .find(|u| group_of(u) == group && !but.contains(&u.as_str()))
        .unwrap()
}

/// Exposures of `users` users (`user-0`, ...) to their groups, and a signup by each.
fn batch(first: u32, users: u32) -> Value {
    let mut records = Vec::new();
    for i in 0..users {
        let group = group_of(&format!("user-{i}"));
        records.push(json!({"exposure": {"id": uuid(first + 2 * i), "user_id": format!("user-{i}"),
            "experiment": "button_color_v3", "group": group, "rule_id": "r", "time": now_ms() - 10_000}}));
        records.push(
            json!({"event": {"id": uuid(first + 2 * i + 1), "user_id": format!("user-{i}"),
            "name": "visited_signup", "time": now_ms(), "groups": {"button_color_v3": group}}}),
        );
    }
    json!({"records": records})
}

fn exposed(results: &Value) -> u64 {
    results["total_users"].as_u64().unwrap()
}

/// Each group's exposed users and signups (the primary metric), by name.
fn rows(results: &Value) -> Vec<(String, u64, u64)> {
    let signup = &results["metrics"][0];
    assert_eq!(signup["metric"]["name"], "signup");
    results["groups"]
        .as_array()
        .unwrap()
        .iter()
        .zip(signup["groups"].as_array().unwrap())
        .map(|(g, m)| {
            (
                g["group"].as_str().unwrap().to_owned(),
                g["users"].as_u64().unwrap(),
                m["stats"]["sum"].as_f64().unwrap() as u64,
            )
        })
        .collect()
}

#[test]
fn a_batch_sent_twice_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("c.db"), &[]);
    let body = batch(0, 8).to_string();
    assert_eq!(
        server.post(body.clone()),
        (
            200,
            json!({"stored": 16, "duplicates": 0, "excluded": 0, "refused": []})
        )
    );
    assert_eq!(
        server.post(body),
        (
            200,
            json!({"stored": 0, "duplicates": 16, "excluded": 0, "refused": []})
        )
    );
    let results = server.results();
    assert_eq!(exposed(&results), 8);
    for (name, users, converted) in rows(&results) {
        let members = (0..8)
            .filter(|i| group_of(&format!("user-{i}")) == name)
            .count() as u64;
        assert_eq!((users, converted), (members, members), "{name}: {results}");
    }
}

#[test]
fn a_body_that_is_not_a_batch_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("c.db"), &[]);
    let oversized = json!({"records": [{"event": {"id": uuid(1), "user_id": "x".repeat(600_000),
                                        "name": "cta_click", "time": now_ms()}}]});
    let cases: Vec<(String, &str)> = vec![
        ("{not json".into(), "not a batch"),
        (
            json!({"records": [], "extra": 1}).to_string(),
            "unknown field",
        ),
        (json!({"records": []}).to_string(), "no records"),
        (
            json!({"records": [1], "sent_at": -5}).to_string(),
            "sent_at",
        ),
    ];
    for (body, reason) in cases {
        let (got, answer) = server.post(body);
        assert_eq!(got, 400, "{answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(reason),
            "{answer} lacks {reason}"
        );
    }
    let (status, _) = server.post(oversized.to_string());
    assert_eq!(status, 413);
    assert_eq!(exposed(&server.results()), 0);
}

#[test]
fn bad_records_are_refused_and_the_good_ones_of_their_batch_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("c.db"), &[]);
    let mut body = batch(100, 6);
    let records = body["records"].as_array_mut().unwrap();
    records[2]["exposure"]["experiment"] = json!("no_such_experiment");
    records[3]["event"]["time"] = json!(now_ms() + 3_600_000);
    records[4]["exposure"]["group"] = json!("Purple");
    records[7]["event"]["name"] = json!("bought_a_boat");
    records[8] = json!({"event": {"id": uuid(9000), "user_id": "u", "name": "cta_click",
                                   "time": now_ms(), "ip": "203.0.113.7"}});
    records[9] = json!("not a record");
    let (status, ack) = server.post(body.to_string());
    assert_eq!(status, 200, "{ack}");
    let refused: Vec<(u64, &str)> = ack["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["index"].as_u64().unwrap(), r["reason"].as_str().unwrap()))
        .collect();
    let expect = [
        (2, "unknown experiment \"no_such_experiment\""),
        (3, "in the future"),
        (4, "has no group \"Purple\""),
        (7, "unknown event \"bought_a_boat\""),
        (8, "unknown field `ip`"),
        (9, "not a record"),
    ];
    assert_eq!(refused.len(), expect.len(), "{ack}");
    for ((index, reason), (want_index, want)) in refused.iter().zip(expect) {
        assert_eq!(*index, want_index, "{ack}");
        assert!(
            reason.contains(want),
            "record {index}: {reason:?} lacks {want:?}"
        );
    }
    assert_eq!(ack["refused"][0]["id"], uuid(102));
    assert_eq!(ack["stored"], 12 - 6, "{ack}");
    // Users 0 and 5 are whole, user 3 keeps its exposure; users 1, 2 and 4 lost theirs.
    let results = server.results();
    assert_eq!(exposed(&results), 3, "{results}");
}

#[test]
fn records_are_placed_on_the_collectors_clock() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let server = Server::start(&db, &[]);
    const MINUTE: i64 = 60_000;
    let mut ids = Vec::new();
    for (n, skew) in [
        (0u32, 10 * MINUTE),
        (10, -10 * MINUTE),
        (20, 2 * 24 * 60 * MINUTE),
    ] {
        // A page whose clock is `skew` off: its records and its batch are on that clock.
        let user = format!("skewed-{n}");
        let page_now = now_ms() + skew;
        let body = json!({"sent_at": page_now, "records": [
            {"exposure": {"id": uuid(n), "user_id": user, "experiment": "button_color_v3",
                          "group": group_of(&user), "rule_id": "r", "time": page_now - 5000}},
            {"event": {"id": uuid(n + 1), "user_id": user, "name": "visited_signup",
                       "time": page_now - 1000}},
        ]});
        let before = now_ms();
        let (status, ack) = server.post(body.to_string());
        let after = now_ms();
        assert_eq!(
            (status, ack["stored"].as_u64()),
            (200, Some(2)),
            "skew {skew}: {ack}"
        );
        ids.push((uuid(n), page_now - 5000, before - 5000, after - 5000));
        ids.push((uuid(n + 1), page_now - 1000, before - 1000, after - 1000));
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    for (id, client_time, earliest, latest) in ids {
        let (time, kept): (i64, i64) = conn
            .query_row(
                "SELECT time, client_time FROM records WHERE id = ?1",
                [&id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        assert_eq!(kept, client_time, "the page's own time is kept");
        assert!(
            (earliest..=latest).contains(&time),
            "{id}: placed at {time}, not within [{earliest}, {latest}]"
        );
    }
    let results = server.results();
    assert_eq!(exposed(&results), 3, "{results}");
    let converted: u64 = rows(&results).iter().map(|(_, _, c)| c).sum();
    assert_eq!(converted, 3, "every signup follows its exposure: {results}");
}

#[test]
fn forged_groups_are_stored_apart_and_not_counted() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let server = Server::start(&db, &[]);
    let green = user_in("Green", &[]);
    let honest = user_in("Red", &[]);
    let t = now_ms();
    let exposure = |id: u32, user: &str, group: &str, time: i64| {
        json!({"exposure": {"id": uuid(id), "user_id": user, "experiment": "button_color_v3",
                            "group": group, "rule_id": "r", "time": time}})
    };
    let signup = |id: u32, user: &str, group: &str| {
        json!({"event": {"id": uuid(id), "user_id": user, "name": "visited_signup", "time": t,
                         "groups": {"button_color_v3": group}}})
    };
    // The real page's records: the Green user and a Red user, both exposed.
    let (status, ack) = server.post(
        json!({"records": [exposure(1, &green, "Green", t - 60_000),
                           exposure(2, &honest, "Red", t - 60_000)]})
        .to_string(),
    );
    assert_eq!((status, ack["excluded"].as_u64()), (200, Some(0)), "{ack}");
    let before = server.results();
    // Forgeries over plain HTTP: the Green user claimed as Red, with a signup as Red, and a
    // back-dated exposure to Orange that would come first.
    let (status, ack) = server.post(
        json!({"records": [exposure(3, &green, "Red", t - 30_000), signup(4, &green, "Red"),
                           exposure(5, &green, "Orange", t - 3_600_000)]})
        .to_string(),
    );
    assert_eq!(status, 200, "{ack}");
    assert_eq!(
        (ack["stored"].as_u64(), ack["excluded"].as_u64()),
        (Some(3), Some(3)),
        "{ack}"
    );
    let after = server.results();
    assert_eq!(
        after["metrics"], before["metrics"],
        "the forgeries change nothing"
    );
    assert_eq!(after["groups"], before["groups"]);
    let row = |name: &str| {
        rows(&after)
            .into_iter()
            .find(|(g, _, _)| g == name)
            .map(|(_, users, converted)| (users, converted))
            .unwrap()
    };
    assert_eq!(row("Green").0, 1, "the Green user stays Green");
    assert_eq!(row("Red"), (1, 0));
    assert_eq!(row("Orange").0, 0);
    assert_eq!(
        after["excluded"],
        json!([
            {"kind": "exposure", "reason": "group_mismatch", "count": 2},
            {"kind": "event", "reason": "group_mismatch", "count": 1},
        ])
    );
    // They are kept, with what they claimed.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let note: String = conn
        .query_row("SELECT note FROM records WHERE id = ?1", [uuid(5)], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(
        note,
        "claims button_color_v3/Orange; the rules give button_color_v3/Green"
    );
    // And `cohort results` says so.
    let out = Command::new(env!("CARGO_BIN_EXE_cohort"))
        .args(["results", "--experiment", "button_color_v3", "--db"])
        .arg(&db)
        .arg("--rules")
        .arg(repo("experiments"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("users exposed"), "{text}");
    assert!(
        text.contains("signup (primary): conversion of visited_signup"),
        "{text}"
    );
    assert!(text.contains("clicks: count of cta_click"), "{text}");
    assert!(
        text.contains("No result yet on signup for any group: control's mean is zero"),
        "{text}"
    );
    assert!(
        text.contains("excluded: 2 exposure(s) kept out of these results: its group is not the one the rules give its user"),
        "{text}"
    );
}

#[test]
fn a_sticky_users_first_group_is_honoured_after_the_rules_move_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let bundle = std::fs::read_to_string(repo("experiments/button_color_v3.json")).unwrap();
    assert!(
        bundle.contains("\"sticky_version\": 1"),
        "the course's experiment is sticky"
    );
    // The rules after a change: Red's buckets from 300 on go to Green; the same not sticky.
    let narrowed = bundle.replacen("\"targetValue\": 500,", "\"targetValue\": 300,", 1);
    assert_ne!(narrowed, bundle);
    let not_sticky = narrowed.replace(",\n        \"sticky_version\": 1", "");
    assert_ne!(not_sticky, narrowed);
    let rules_dir = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("button_color_v3.json"), text).unwrap();
        path
    };
    let (changed, plain) = (
        rules_dir("changed", &narrowed),
        rules_dir("plain", &not_sticky),
    );
    let changed_rules =
        cohort::Rules::from_statsig_json(&narrowed, cohort::CompileOptions::STRICT).unwrap();
    let moved = |u: &String| {
        group_of(u) == "Red"
            && changed_rules
                .evaluator()
                .get_experiment(&cohort::User::with_id(u.as_str()), "button_color_v3")
                .group()
                == Some("Green")
    };
    let mut movers = (0..).map(|i| format!("mover-{i}")).filter(moved);
    let (kept, never_exposed) = (movers.next().unwrap(), movers.next().unwrap());
    let t = now_ms();
    let signup = |id: u32, user: &str, group: &str| {
        json!({"records": [{"event": {"id": uuid(id), "user_id": user, "name": "visited_signup",
               "time": t, "groups": {"button_color_v3": group}}}]})
        .to_string()
    };

    // Under the first rules, the user is exposed to Red.
    let server = Server::start(&db, &[]);
    let exposure = json!({"records": [{"exposure": {"id": uuid(1), "user_id": kept,
        "experiment": "button_color_v3", "group": "Red", "rule_id": "r", "time": t - 60_000}}]});
    let (status, ack) = server.post(exposure.to_string());
    assert_eq!((status, ack["excluded"].as_u64()), (200, Some(0)), "{ack}");
    drop(server);

    // The rules move them to Green; the page keeps them in Red, and so does the collector.
    let server = Server::start_with_rules(&db, &changed);
    let (_, ack) = server.post(signup(2, &kept, "Red"));
    assert_eq!(
        (ack["stored"].as_u64(), ack["excluded"].as_u64()),
        (Some(1), Some(0)),
        "{ack}"
    );
    // Not for a group they were never exposed to, nor for a user never exposed.
    let (_, ack) = server.post(signup(3, &kept, "Orange"));
    assert_eq!(ack["excluded"].as_u64(), Some(1), "{ack}");
    let (_, ack) = server.post(signup(4, &never_exposed, "Red"));
    assert_eq!(ack["excluded"].as_u64(), Some(1), "{ack}");
    // The Red user's signup counts for Red.
    let results = server.results();
    let red = rows(&results)
        .into_iter()
        .find(|(g, _, _)| g == "Red")
        .unwrap();
    assert_eq!((red.1, red.2), (1, 1), "{results}");
    drop(server);

    // Without sticky assignment, the same claim is a mismatch.
    let server = Server::start_with_rules(&db, &plain);
    let (_, ack) = server.post(signup(5, &kept, "Red"));
    assert_eq!(ack["excluded"].as_u64(), Some(1), "{ack}");
}

/// A gate the page reads: `new_checkout`, for half the users.
const GATE: &str = r#"
[[gate]]
name = "new_checkout"
rules = [{ id = "half", pass = 50 }]
"#;

/// A disabled experiment, judged by the course's `clicks`.
const PAUSED: &str = r#"
[[experiment]]
name = "paused_banner"
enabled = false
metrics = ["clicks"]
groups = [{ name = "Control", weight = 50 }, { name = "Banner", weight = 50 }]
"#;

/// A directory with the course's rules and, in a file beside them, [`GATE`] and [`PAUSED`].
fn rules_with_a_gate(dir: &Path) -> std::path::PathBuf {
    let rules = dir.join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::copy(
        repo("experiments/button_color_v3.json"),
        rules.join("button_color_v3.json"),
    )
    .unwrap();
    std::fs::write(rules.join("more.toml"), format!("{GATE}{PAUSED}")).unwrap();
    rules
}

/// The value of the gate `new_checkout` for `user`.
fn gate_value(user: &str) -> bool {
    static RULES: std::sync::OnceLock<cohort::Rules> = std::sync::OnceLock::new();
    RULES
        .get_or_init(|| cohort::Rules::from_toml(GATE, cohort::CompileOptions::STRICT).unwrap())
        .evaluator()
        .check_gate(&cohort::User::with_id(user), "new_checkout")
        .passed
}

/// A user for whom the gate `new_checkout` is `value`.
fn user_with_gate(value: bool) -> String {
    (0..)
        .map(|i| format!("reader-{i}"))
        .find(|u| gate_value(u) == value)
        .unwrap()
}

#[test]
fn experiments_are_listed_in_rules_order_with_their_exposed_users() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let rules = rules_with_a_gate(dir.path());
    let server = Server::start_with_rules(&db, &rules);
    let listing = |button: u64| {
        json!({"experiments": [
            {"name": "button_color_v3", "groups": ["Control", "Red", "Green", "Orange"],
             "status": "running", "exposures": button,
             "metrics": ["signup", "clicks", "tasks_completed", "completion_rate", "tasks_added"]},
            {"name": "paused_banner", "groups": ["Control", "Banner"], "status": "disabled",
             "exposures": 0, "metrics": ["clicks"]},
        ]})
    };
    assert_eq!(server.get("/api/experiments"), (200, listing(0)));
    // Eight users, sent twice; a forged exposure of a ninth; gate exposures of two of them.
    let body = batch(0, 8).to_string();
    assert_eq!(server.post(body.clone()).0, 200);
    assert_eq!(server.post(body).0, 200);
    let ninth = user_in("Red", &[]);
    let t = now_ms();
    let (_, ack) = server.post(
        json!({"records": [
            {"exposure": {"id": uuid(100), "user_id": ninth, "experiment": "button_color_v3",
                          "group": "Green", "rule_id": "r", "time": t}},
            {"exposure": {"id": uuid(101), "user_id": "user-0", "experiment": "new_checkout",
                          "group": gate_value("user-0").to_string(), "rule_id": "half", "time": t}},
            {"exposure": {"id": uuid(102), "user_id": "user-1", "experiment": "new_checkout",
                          "group": gate_value("user-1").to_string(), "rule_id": "half", "time": t}},
        ]})
        .to_string(),
    );
    assert_eq!(
        (ack["stored"].as_u64(), ack["excluded"].as_u64()),
        (Some(3), Some(1)),
        "{ack}"
    );
    let response = reqwest::blocking::get(format!("{}/api/experiments", server.url)).unwrap();
    assert_eq!(
        response.headers().get("cache-control").unwrap(),
        "no-store",
        "counts change as records arrive"
    );
    let served: Value = response.json().unwrap();
    assert_eq!(served, listing(8));
    assert_eq!(
        exposed(&server.results()),
        8,
        "the listing counts what the results count"
    );

    // `cohort results` without --experiment lists the same, as JSON and as a table.
    let cli = |json: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cohort"));
        command
            .args(["results", "--db"])
            .arg(&db)
            .arg("--rules")
            .arg(&rules);
        if json {
            command.arg("--json");
        }
        let out = command.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let printed: Value = serde_json::from_str(&cli(true)).unwrap();
    assert_eq!(printed, served);
    let table = cli(false);
    assert!(
        table.contains("button_color_v3  running           8  Control, Red, Green, Orange"),
        "{table}"
    );
    assert!(
        table.contains("paused_banner    disabled          0  Control, Banner"),
        "{table}"
    );
}

/// A GET of `path` with `If-None-Match: tag`: the status, the body and the `ETag`.
fn get_if_changed(server: &Server, path: &str, tag: Option<&str>) -> (u16, String, String) {
    let mut request = Client::new().get(format!("{}{path}", server.url));
    if let Some(tag) = tag {
        request = request.header("if-none-match", tag);
    }
    let response = request.send().unwrap();
    let status = response.status().as_u16();
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, etag, response.text().unwrap())
}

#[test]
fn results_asked_again_with_their_etag_are_304_until_a_batch_stores_records() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("c.db"), &[]);
    assert_eq!(server.post(batch(0, 3).to_string()).0, 200);
    for path in [
        "/api/results?experiment=button_color_v3",
        "/api/experiments",
    ] {
        let (status, tag, body) = get_if_changed(&server, path, None);
        assert_eq!(status, 200, "{body}");
        assert!(tag.starts_with('"') && tag.ends_with('"'), "{tag}");
        let (status, again, body) = get_if_changed(&server, path, Some(&tag));
        assert_eq!(
            (status, again.as_str(), body.as_str()),
            (304, tag.as_str(), "")
        );
        // A batch of records already stored changes nothing.
        assert_eq!(server.post(batch(0, 3).to_string()).0, 200);
        assert_eq!(get_if_changed(&server, path, Some(&tag)).0, 304);
        // New records: the figures are answered again, with a new tag.
        assert_eq!(
            server
                .post(batch(100 + path.len() as u32 * 10, 2).to_string())
                .0,
            200
        );
        let (status, newer, body) = get_if_changed(&server, path, Some(&tag));
        assert_eq!(status, 200, "{body}");
        assert_ne!(newer, tag);
    }
    let results = server.results();
    assert_eq!(results["total_users"], 3, "{results}");
}

#[test]
fn the_listing_answers_503_while_the_store_fails_and_the_log_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let server = Server::start(&db, &[]);
    assert_eq!(server.post(batch(0, 3).to_string()).0, 200);
    // Take the table away from outside, as a broken database would.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("ALTER TABLE group_users RENAME TO mislaid;")
        .unwrap();
    assert_eq!(
        server.get("/api/experiments"),
        (
            503,
            json!({"error": "the experiments could not be read", "code": "database"})
        )
    );
    conn.execute_batch("ALTER TABLE mislaid RENAME TO group_users;")
        .unwrap();
    let (status, listing) = server.get("/api/experiments");
    assert_eq!(status, 200, "answered once the store works: {listing}");
    assert_eq!(listing["experiments"][0]["exposures"], 3);
    let (_, logs) = server.terminate();
    assert!(
        logs.contains("cohort: the experiments could not be read: no such table: group_users"),
        "{logs}"
    );
}

#[test]
fn gate_exposures_are_checked_by_the_gates_value_and_leave_results_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let server = Server::start_with_rules(&db, &rules_with_a_gate(dir.path()));
    assert_eq!(server.post(batch(0, 8).to_string()).0, 200);
    let before = server.results();
    let on = user_with_gate(true);
    let off = user_with_gate(false);
    let t = now_ms();
    // IDs from 1000: the batch took 0 to 15.
    let gate = |id: u32, user: &str, value: &str, gate: &str| {
        json!({"exposure": {"id": uuid(1000 + id), "user_id": user, "experiment": gate,
                            "group": value, "rule_id": "half", "time": t - 1000}})
    };
    let click = |id: u32, user: &str, value: &str| {
        json!({"event": {"id": uuid(1000 + id), "user_id": user, "name": "cta_click", "time": t,
                         "groups": {"new_checkout": value}}})
    };
    let (status, ack) = server.post(
        json!({"records": [
            gate(1, &on, "true", "new_checkout"),
            gate(2, &off, "false", "new_checkout"),
            gate(3, &off, "true", "new_checkout"),
            gate(4, &on, "true", "old_checkout"),
            gate(5, &on, "maybe", "new_checkout"),
            click(6, &on, "true"),
            click(7, &off, "true"),
            // The experiment's users read the gate too.
            gate(8, "user-0", &gate_value("user-0").to_string(), "new_checkout"),
        ]})
        .to_string(),
    );
    assert_eq!(status, 200, "{ack}");
    let refused: Vec<(u64, &str)> = ack["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["index"].as_u64().unwrap(), r["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        refused,
        [
            (3, "unknown experiment \"old_checkout\""),
            (
                4,
                "gate \"new_checkout\" has no group \"maybe\" (a gate's is \"true\" or \"false\")"
            ),
        ]
    );
    assert_eq!(
        (ack["stored"].as_u64(), ack["excluded"].as_u64()),
        (Some(6), Some(2)),
        "{ack}"
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    let kept = |id: u32| -> (Option<String>, Option<String>) {
        conn.query_row(
            "SELECT excluded, note FROM records WHERE id = ?1",
            [uuid(1000 + id)],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap()
    };
    assert_eq!(kept(1), (None, None), "the honest true");
    assert_eq!(kept(2), (None, None), "the honest false");
    assert_eq!(kept(6), (None, None), "an event with the honest value");
    assert_eq!(kept(8), (None, None), "an experiment's user");
    let mismatch = Some("group_mismatch".to_owned());
    assert_eq!(
        kept(3),
        (
            mismatch.clone(),
            Some("claims new_checkout/true; the rules give new_checkout/false".to_owned())
        )
    );
    assert_eq!(kept(7).0, mismatch);
    // The experiment's results are what they were; the gate has none.
    assert_eq!(server.results(), before);
    let (status, answer) = server.get("/api/results?experiment=new_checkout");
    assert_eq!(status, 404, "{answer}");
}

#[test]
fn an_acknowledged_batch_survives_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let server = Server::start(&db, &[]);
    assert_eq!(server.post(batch(0, 40).to_string()).0, 200);
    server.kill(); // SIGKILL, right after the acknowledgement
    let again = Server::start(&db, &[]);
    assert_eq!(exposed(&again.results()), 40);
}

#[test]
fn shutdown_on_sigterm_is_graceful() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let server = Server::start(&db, &[]);
    assert_eq!(server.post(batch(0, 5).to_string()).0, 200);
    let (clean, stderr) = server.terminate();
    assert!(clean, "{stderr}");
    assert!(
        stderr.contains("every acknowledged batch is on disk"),
        "{stderr}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_cohort"))
        .args([
            "results",
            "--json",
            "--experiment",
            "button_color_v3",
            "--db",
        ])
        .arg(&db)
        .arg("--rules")
        .arg(repo("experiments"))
        .output()
        .unwrap();
    let results: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(exposed(&results), 5);
}

#[test]
fn whoami_hashes_the_address_and_never_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let server = Server::start(&db, &["--trust-proxy", "127.0.0.1"]);
    let hash_of = |ip: &str| {
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(ip.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    };
    let direct: Value = reqwest::blocking::get(format!("{}/api/whoami", server.url))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(direct["ip_hash"], hash_of("127.0.0.1"));
    let forwarded: Value = Client::new()
        .get(format!("{}/api/whoami", server.url))
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(forwarded["ip_hash"], hash_of("203.0.113.7"));
    assert_eq!(
        forwarded.as_object().unwrap().len(),
        1,
        "only the hash: {forwarded}"
    );
    assert_eq!(server.post(batch(0, 3).to_string()).0, 200);
    let (_, logs) = server.terminate();
    let mut stored = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        stored.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    for ip in ["127.0.0.1", "203.0.113.7"] {
        assert!(!logs.contains(ip), "the logs name {ip}: {logs}");
        assert!(
            !stored.windows(ip.len()).any(|w| w == ip.as_bytes()),
            "the store holds {ip}"
        );
    }

    // Without a trusted proxy, the header is ignored.
    let untrusting = Server::start(&dir.path().join("d.db"), &[]);
    let spoofed: Value = Client::new()
        .get(format!("{}/api/whoami", untrusting.url))
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(spoofed["ip_hash"], hash_of("127.0.0.1"));
}

#[test]
fn clients_over_the_rate_limit_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("c.db"), &["--rate-limit", "1"]);
    let statuses: Vec<u16> = (0..6)
        .map(|i| server.post(batch(1000 * i, 1).to_string()).0)
        .collect();
    assert!(statuses.contains(&200), "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[test]
fn cors_only_for_configured_origins_and_the_page_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "<p>the page</p>").unwrap();
    let server = Server::start(
        &dir.path().join("c.db"),
        &[
            "--allow-origin",
            "https://course.example",
            "--dist",
            dist.to_str().unwrap(),
        ],
    );
    let preflight = |origin: &str| {
        Client::new()
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/api/events", server.url),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
            .unwrap()
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert_eq!(
        preflight("https://course.example").as_deref(),
        Some("https://course.example")
    );
    assert_eq!(preflight("https://elsewhere.example"), None);
    // A simple POST (text/plain, no preflight) from a page of another site is refused; from
    // an allowed origin or the collector's own, and without Origin (not a browser), it is read.
    let post = |origin: Option<String>| {
        let mut request = Client::new()
            .post(format!("{}/api/events", server.url))
            .header("content-type", "text/plain")
            .body(r#"{"records": []}"#);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let response = request.send().unwrap();
        let status = response.status().as_u16();
        (status, response.json::<Value>().unwrap_or(Value::Null))
    };
    let (status, refused) = post(Some("https://elsewhere.example".into()));
    assert_eq!(status, 403);
    assert!(refused["error"]
        .as_str()
        .unwrap()
        .contains("may not send events here"));
    for origin in [
        Some("https://course.example".into()),
        Some(server.url.clone()),
        None,
    ] {
        let (status, answer) = post(origin.clone());
        assert_eq!(
            status, 400,
            "{origin:?}: read, and refused as an empty batch: {answer}"
        );
    }
    let page = reqwest::blocking::get(format!("{}/signup", server.url)).unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert_eq!(page.text().unwrap(), "<p>the page</p>");
}

#[test]
fn files_the_build_compressed_are_sent_as_they_are_with_their_length() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "<p>the page</p>").unwrap();
    let script = "export const y = 2;\n".repeat(500);
    let name = "first-paint-0123456789abcdef.js";
    std::fs::write(dist.join(name), &script).unwrap();
    // Marked (a file name in its gzip header), so that it cannot be the server's own work.
    let mut packed = flate2::GzBuilder::new()
        .filename("built ahead")
        .write(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut packed, script.as_bytes()).unwrap();
    let packed = packed.finish().unwrap();
    std::fs::write(dist.join(format!("{name}.gz")), &packed).unwrap();
    let brotli = b"not really brotli, but the build's";
    std::fs::write(dist.join(format!("{name}.br")), brotli).unwrap();
    let server = Server::start(
        &dir.path().join("c.db"),
        &["--dist", dist.to_str().unwrap()],
    );
    let get = |encodings: &str| {
        let mut request = Client::builder()
            .no_gzip()
            .no_brotli()
            .build()
            .unwrap()
            .get(format!("{}/{name}", server.url));
        if !encodings.is_empty() {
            request = request.header("accept-encoding", encodings);
        }
        request.send().unwrap()
    };
    let header = |r: &reqwest::blocking::Response, name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };

    let gzipped = get("gzip");
    assert_eq!(
        header(&gzipped, "content-encoding").as_deref(),
        Some("gzip")
    );
    assert_eq!(
        header(&gzipped, "content-length"),
        Some(packed.len().to_string())
    );
    assert_eq!(gzipped.bytes().unwrap().as_ref(), &packed[..]);

    let brotlied = get("br, gzip");
    assert_eq!(header(&brotlied, "content-encoding").as_deref(), Some("br"));
    assert_eq!(brotlied.bytes().unwrap().as_ref(), &brotli[..]);

    let plain = get("");
    assert_eq!(header(&plain, "content-encoding"), None);
    assert_eq!(plain.text().unwrap(), script);
}

#[test]
fn the_site_is_served_compressed_and_cached_by_content_hash() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    let page = format!("<!doctype html><p>{}</p>", "the page ".repeat(200));
    std::fs::write(dist.join("index.html"), &page).unwrap();
    let script = "export const x = 1;\n".repeat(500);
    std::fs::write(dist.join("cohort-app-0123456789abcdef.js"), &script).unwrap();
    let server = Server::start(
        &dir.path().join("c.db"),
        &["--dist", dist.to_str().unwrap()],
    );
    let get = |path: &str| {
        Client::new()
            .get(format!("{}{path}", server.url))
            .header("accept-encoding", "gzip")
            .send()
            .unwrap()
    };
    let header = |r: &reqwest::blocking::Response, name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };

    let asset = get("/cohort-app-0123456789abcdef.js");
    assert_eq!(asset.status().as_u16(), 200);
    assert_eq!(header(&asset, "content-encoding").as_deref(), Some("gzip"));
    assert_eq!(
        header(&asset, "cache-control").as_deref(),
        Some("public, max-age=31536000, immutable")
    );
    let zipped = asset.bytes().unwrap();
    assert!(zipped.len() < script.len() / 10, "{} bytes", zipped.len());
    let mut unzipped = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(&zipped[..]),
        &mut unzipped,
    )
    .unwrap();
    assert_eq!(unzipped, script);

    for path in ["/", "/index.html", "/signup"] {
        let html = get(path);
        assert_eq!(html.status().as_u16(), 200, "{path}");
        assert_eq!(
            header(&html, "cache-control").as_deref(),
            Some("no-cache"),
            "{path}"
        );
    }
    assert_eq!(
        get("/cohort-app-ffffffffffffffff.js").status().as_u16(),
        404,
        "a missing file is not the page"
    );
    let long = "a".repeat(256);
    for path in [
        format!("/{long}"),
        format!("/{long}.js"),
        format!("/results/{long}"),
        format!("/{}/{long}", "b".repeat(255)),
    ] {
        assert_eq!(
            get(&path).status().as_u16(),
            404,
            "a name too long for a file"
        );
    }
    let long_api = reqwest::blocking::get(format!("{}/api/{long}", server.url)).unwrap();
    assert_eq!(long_api.status().as_u16(), 404);
    assert!(long_api.json::<Value>().unwrap()["error"]
        .as_str()
        .unwrap()
        .starts_with("no API endpoint"));

    let plain = |path: &str| reqwest::blocking::get(format!("{}{path}", server.url)).unwrap();
    let api = plain("/api/nope");
    assert_eq!(api.status().as_u16(), 404);
    let reason: Value = api.json().unwrap();
    assert_eq!(reason["error"], "no API endpoint GET /api/nope");

    let robots = plain("/robots.txt");
    assert_eq!(robots.status().as_u16(), 200);
    assert!(robots.text().unwrap().contains("Disallow: /api/"));
    let icon = plain("/favicon.ico");
    assert_eq!(icon.status().as_u16(), 200);
    assert_eq!(
        header(&icon, "content-type").as_deref(),
        Some("image/x-icon")
    );
    assert_eq!(&icon.bytes().unwrap()[..4], &[0, 0, 1, 0], "an ICO file");
}

#[test]
fn every_answer_has_the_security_headers_and_pages_a_policy_allowing_their_own_inline_loader() {
    use base64::Engine as _;
    use sha2::Digest as _;

    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(dist.join("results")).unwrap();
    let loader = "\nimport init from '/app-0123456789abcdef.js';\nawait init();\n";
    let other = "\nimport init from '/results/r-0123456789abcdef.js';\n";
    std::fs::write(
        dist.join("index.html"),
        format!("<!doctype html><script type=\"module\">{loader}</script><p>page</p>"),
    )
    .unwrap();
    std::fs::write(
        dist.join("results/index.html"),
        format!("<!doctype html><script src=\"/x.js\"></script><script type=\"module\">{other}</script>"),
    )
    .unwrap();
    std::fs::write(dist.join("app-0123456789abcdef.js"), "export default 1;").unwrap();
    let hash = |script: &str| {
        let digest = sha2::Sha256::digest(script.as_bytes());
        format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(digest)
        )
    };
    let header = |r: &reqwest::blocking::Response, name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    for (extra, hsts) in [
        (&[][..], None),
        (&["--hsts"][..], Some("max-age=31536000; includeSubDomains")),
    ] {
        let mut args = vec!["--dist", dist.to_str().unwrap()];
        args.extend_from_slice(extra);
        let server = Server::start(&dir.path().join("h.db"), &args);
        let get = |path: &str| reqwest::blocking::get(format!("{}{path}", server.url)).unwrap();
        for path in [
            "/",
            "/signup",
            "/results/",
            "/app-0123456789abcdef.js",
            "/api/experiments",
            "/api/nope",
            "/robots.txt",
        ] {
            let answer = get(path);
            assert_eq!(
                header(&answer, "x-content-type-options").as_deref(),
                Some("nosniff"),
                "{path}"
            );
            assert_eq!(
                header(&answer, "referrer-policy").as_deref(),
                Some("same-origin"),
                "{path}"
            );
            assert_eq!(
                header(&answer, "x-frame-options").as_deref(),
                Some("DENY"),
                "{path}"
            );
            assert_eq!(
                header(&answer, "strict-transport-security").as_deref(),
                hsts,
                "{path}"
            );
            let html = path == "/" || path == "/signup" || path == "/results/";
            assert_eq!(
                header(&answer, "content-security-policy").is_some(),
                html,
                "{path}"
            );
            if html {
                assert_eq!(
                    header(&answer, "content-type").as_deref(),
                    Some("text/html; charset=utf-8"),
                    "{path}"
                );
                let policy = header(&answer, "content-security-policy").unwrap();
                let scripts = policy
                    .split(';')
                    .find(|d| d.trim().starts_with("script-src"))
                    .unwrap();
                assert_eq!(
                    scripts.trim(),
                    format!(
                        "script-src 'self' 'wasm-unsafe-eval' {} {}",
                        hash(loader),
                        hash(other)
                    ),
                    "both pages' loaders, by hash, and nothing inline else"
                );
                assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
            }
        }
    }
}

#[test]
fn without_a_site_unknown_paths_are_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("c.db"), &[]);
    for (path, status) in [
        ("/", 404),
        ("/signup", 404),
        ("/api/x/y", 404),
        ("/robots.txt", 200),
        ("/favicon.ico", 200),
    ] {
        let got = reqwest::blocking::get(format!("{}{path}", server.url))
            .unwrap()
            .status()
            .as_u16();
        assert_eq!(got, status, "{path}");
    }
}

#[test]
fn a_missing_secret_is_made_once_and_kept_private() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let hash = || {
        let (mut child, url) = spawn_collector(&db, &[], None, Stdio::null());
        let v: Value = reqwest::blocking::get(format!("{url}/api/whoami"))
            .unwrap()
            .json()
            .unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        v["ip_hash"].as_str().unwrap().to_owned()
    };
    let first = hash();
    assert_eq!(hash(), first, "the saved secret is reused");
    let secret = dir.path().join("c.db.secret");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "only the owner can read the secret");
    }
}

#[test]
fn a_store_that_fails_answers_503_and_the_log_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let server = Server::start(&db, &[]);
    // Make every insert fail, from outside, as a full disk or a broken database would.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER broken BEFORE INSERT ON records BEGIN SELECT RAISE(ABORT, 'the disk is on fire'); END;",
    )
    .unwrap();
    let (status, answer) = server.post(batch(0, 2).to_string());
    assert_eq!(status, 503, "{answer}");
    assert_eq!(
        answer["error"],
        "the batch could not be stored; send it again"
    );
    conn.execute_batch("DROP TRIGGER broken;").unwrap();
    assert_eq!(
        server.post(batch(0, 2).to_string()).0,
        200,
        "stored once the store works"
    );
    let (_, logs) = server.terminate();
    assert!(
        logs.contains("cohort: a batch could not be stored: the disk is on fire"),
        "{logs}"
    );
}

#[test]
fn health_answers_200_with_the_free_space_and_503_once_the_database_cannot_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("health.db");
    let server = Server::start(&db, &[]);
    let (status, health) = server.get("/api/health");
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["database"], "ok");
    assert!(health["free_bytes"].as_u64().unwrap() > 0, "{health}");
    assert!(health["low_space"].is_boolean());
    // The records table gone behind the collector's back: the database does not answer.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("DROP TABLE records")
        .unwrap();
    let (status, health) = server.get("/api/health");
    assert_eq!(status, 503, "{health}");
    assert!(
        health["database"]
            .as_str()
            .unwrap()
            .starts_with("unreachable: "),
        "{health}"
    );
}

#[test]
fn results_and_the_listing_need_the_token_when_one_is_set_and_events_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &dir.path().join("t.db"),
        &["--results-token", "s3cret-token"],
    );
    let read = |path: &str, token: Option<&str>| {
        let mut request = Client::new().get(format!("{}{path}", server.url));
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = request.send().unwrap();
        let challenge = response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned());
        let status = response.status().as_u16();
        (
            status,
            challenge,
            response.json::<Value>().unwrap_or(Value::Null),
        )
    };
    for path in [
        "/api/results?experiment=button_color_v3",
        "/api/experiments",
    ] {
        let (status, challenge, body) = read(path, None);
        assert_eq!(status, 401, "{path}");
        assert_eq!(
            challenge.as_deref(),
            Some("Bearer realm=\"cohort results\"")
        );
        assert!(
            body["error"].as_str().unwrap().contains("need a token"),
            "{body}"
        );
        let (status, _, body) = read(path, Some("s3cret-tokeN"));
        assert_eq!(status, 401, "{path}");
        assert!(body["error"]
            .as_str()
            .unwrap()
            .contains("not this collector's"));
        let (status, _, body) = read(path, Some("s3cret-token"));
        assert_eq!(status, 200, "{path}: {body}");
    }
    // Pages send events without any token.
    let (status, body) = server.post(r#"{"records": []}"#);
    assert_eq!(status, 400, "{body}");
    assert_eq!(server.get("/api/health").0, 200);
}

#[test]
fn reads_of_results_past_the_rate_are_answered_429() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("r.db"), &[]);
    let statuses: Vec<u16> = (0..60).map(|_| server.get("/api/experiments").0).collect();
    assert_eq!(statuses[0], 200);
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 429));
}

#[test]
fn a_collector_on_an_address_other_than_loopback_needs_a_results_token_or_public_results() {
    let output = Command::new(env!("CARGO_BIN_EXE_cohort"))
        .args(["serve", "--listen", "0.0.0.0:0", "--rules"])
        .arg(repo("experiments"))
        .env_remove("COHORT_RESULTS_TOKEN")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("listening on 0.0.0.0:0 (not loopback) without a results token"),
        "{stderr}"
    );
    assert!(stderr.contains("--public-results"), "{stderr}");
}

#[test]
fn records_a_crawler_or_headless_browser_sends_are_stored_apart_unless_bots_are_kept() {
    const GOOGLEBOT: &str =
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    const HEADLESS: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like \
                            Gecko) HeadlessChrome/156.0.0.0 Safari/537.36";
    const PERSON: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like \
                          Gecko) Chrome/156.0.0.0 Safari/537.36";
    let post_as = |server: &Server, user_agent: &str, first: u32, user: usize| {
        let body = batch(first, 3)["records"].as_array().unwrap()[2 * user..2 * user + 2].to_vec();
        let response = Client::new()
            .post(format!("{}/api/events", server.url))
            .header("content-type", "application/json")
            .header("user-agent", user_agent)
            .body(json!({ "records": body }).to_string())
            .send()
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let ack: Value = response.json().unwrap();
        (
            ack["stored"].as_u64().unwrap(),
            ack["excluded"].as_u64().unwrap(),
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("bots.db"), &[]);
    assert_eq!(post_as(&server, GOOGLEBOT, 100, 0), (2, 2));
    assert_eq!(post_as(&server, HEADLESS, 200, 1), (2, 2));
    assert_eq!(post_as(&server, PERSON, 300, 2), (2, 0));
    let results = server.results();
    assert_eq!(
        exposed(&results),
        1,
        "only the person is counted: {results}"
    );
    assert_eq!(
        results["excluded"],
        json!([
            {"kind": "exposure", "reason": "bot", "count": 2},
            {"kind": "event", "reason": "bot", "count": 2},
        ])
    );
    drop(server);

    let kept = Server::start(&dir.path().join("kept.db"), &["--keep-bots"]);
    assert_eq!(post_as(&kept, GOOGLEBOT, 100, 0), (2, 0));
    assert_eq!(exposed(&kept.results()), 1);
}

/// The course's metrics as `/api/results` and `cohort results` give them: CUPED from each
/// user's activity before their exposure, clicks capped at their 99th percentile (one user
/// pressing 60 times counts as the bound), tasks completed per task added as a ratio, and
/// tasks added as a guardrail in a section of its own.
#[test]
fn results_show_cuped_the_cap_the_ratio_and_the_guardrail() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let server = Server::start(&db, &[]);
    let t = now_ms();
    let mut records = Vec::new();
    let mut n = 0;
    let mut id = || {
        n += 1;
        uuid(n)
    };
    for i in 0..80u32 {
        let user = format!("user-{i}");
        let group = group_of(&user);
        let groups = json!({ "button_color_v3": group });
        let activity = 1 + i % 5;
        let event = |id: String, name: &str, time: i64| {
            json!({"event": {"id": id, "user_id": user, "name": name, "time": time,
                             "groups": groups}})
        };
        // Before the exposure: as active as after, which CUPED uses.
        for _ in 0..activity {
            records.push(event(id(), "task_added", t - 7_200_000));
        }
        for _ in 0..activity / 2 + i % 2 {
            records.push(event(id(), "task_completed", t - 7_000_000));
        }
        let browser = ["Firefox", "Chrome", "Safari"][(i % 3) as usize];
        records.push(json!({"exposure": {"id": id(), "user_id": user,
            "experiment": "button_color_v3", "group": group, "rule_id": "r",
            "time": t - 3_600_000, "dimensions": {"browser": browser}}}));
        for _ in 0..activity + u32::from(group == "Red") {
            records.push(event(id(), "task_added", t - 1_000_000));
        }
        for _ in 0..activity / 2 + i % 3 {
            records.push(event(id(), "task_completed", t - 900_000));
        }
        let clicks = if i == 0 { 60 } else { 1 + i % 2 };
        for _ in 0..clicks {
            records.push(event(id(), "cta_click", t - 800_000));
        }
    }
    for chunk in records.chunks(400) {
        let (status, ack) = server.post(json!({ "records": chunk }).to_string());
        assert_eq!(status, 200, "{ack}");
    }
    let results = server.results();
    let metric = |name: &str| {
        results["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["metric"]["name"] == name)
            .unwrap()
            .clone()
    };
    // Clicks: capped at their 99th percentile, which the one heavy user is above.
    let clicks = metric("clicks");
    let bound = clicks["metric"]["cap"]["bound"].as_f64().unwrap();
    assert!((2.0..60.0).contains(&bound), "{bound}");
    let total: f64 = clicks["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["stats"]["sum"].as_f64().unwrap())
        .sum();
    assert!(total < 60.0 + 79.0 * 1.5, "{total}");
    // Tasks completed: CUPED applied, with the pre-exposure activity as covariate.
    let completed = metric("tasks_completed");
    let cuped = &completed["comparisons"][0]["cuped"];
    assert!(cuped["theta"].as_f64().unwrap() > 0.0, "{completed}");
    assert!(
        completed["groups"][0]["stats"]["covariate"]["sum"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    // The ratio: completed over added, per group.
    let rate = metric("completion_rate");
    assert_eq!(rate["metric"]["kind"], "ratio");
    let control = &rate["groups"][0];
    let ratio = control["stats"]["sum"].as_f64().unwrap()
        / control["stats"]["denominator"]["sum"].as_f64().unwrap();
    assert!((control["mean"].as_f64().unwrap() - ratio).abs() < 1e-12);
    // The guardrail: last, marked.
    let last = results["metrics"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["metric"]["name"], "tasks_added");
    assert_eq!(last["metric"]["guardrail"], true);
    drop(server);
    let out = Command::new(env!("CARGO_BIN_EXE_cohort"))
        .args(["results", "--experiment", "button_color_v3", "--db"])
        .arg(&db)
        .arg("--rules")
        .arg(repo("experiments"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for line in [
        "clicks: count of cta_click, CUPED over 14 days before exposure, capped at the 99th \
         percentile (now ",
        "completion_rate: ratio of tasks_completed over tasks_added\n",
        "\nGuardrails (must not get worse; judged apart, left out of the corrections)\n\ntasks_added: count of task_added",
        "  CUPED: Red's interval ",
    ] {
        assert!(text.contains(line), "{line:?} not in:\n{text}");
    }
    // By browser: three slices, each with its users and sample-ratio check.
    let out = Command::new(env!("CARGO_BIN_EXE_cohort"))
        .args([
            "results",
            "--experiment",
            "button_color_v3",
            "--dimension",
            "browser",
            "--db",
        ])
        .arg(&db)
        .arg("--rules")
        .arg(repo("experiments"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("button_color_v3 by browser: 3 slice(s)\n"),
        "{text}"
    );
    for browser in ["Firefox", "Chrome", "Safari"] {
        assert!(
            text.contains(&format!("\nbrowser = {browser}: ")),
            "{browser} not in:\n{text}"
        );
    }
    assert!(text.contains("  tasks_added (guardrail): Red "), "{text}");
}
