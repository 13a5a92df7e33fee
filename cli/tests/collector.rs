//! The collector (`cohort serve`) over real HTTP on 127.0.0.1: batches stored once, bad ones
//! refused with nothing stored, acknowledged batches surviving a kill, the IP never revealed
//! or stored, rate limits, CORS and graceful shutdown.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use reqwest::blocking::Client;
use serde_json::{json, Value};
use sha2::Sha256;

const SECRET: &str = "a-test-secret-of-some-length";

use common::{repo, spawn_collector};

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

fn batch(first: u32, users: u32) -> Value {
    let mut records = Vec::new();
    for i in 0..users {
        let group = ["Control", "Red", "Green", "Orange"][(i % 4) as usize];
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
    results["analysis"]["total_exposed"].as_u64().unwrap()
}

#[test]
fn a_batch_sent_twice_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("c.db"), &[]);
    let body = batch(0, 8).to_string();
    assert_eq!(
        server.post(body.clone()),
        (200, json!({"stored": 16, "duplicates": 0}))
    );
    assert_eq!(
        server.post(body),
        (200, json!({"stored": 0, "duplicates": 16}))
    );
    let results = server.results();
    assert_eq!(exposed(&results), 8);
    let groups = results["analysis"]["groups"].as_array().unwrap();
    assert!(
        groups
            .iter()
            .all(|g| g["exposed"] == 2 && g["converted"] == 2),
        "{results}"
    );
}

#[test]
fn bad_batches_are_refused_with_a_reason_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("c.db"), &[]);
    let mut unknown = batch(100, 2);
    unknown["records"][2]["exposure"]["experiment"] = json!("no_such_experiment");
    let mut future = batch(200, 2);
    future["records"][3]["event"]["time"] = json!(now_ms() + 3_600_000);
    let mut bad_group = batch(300, 1);
    bad_group["records"][0]["exposure"]["group"] = json!("Purple");
    let mut unknown_event = batch(400, 1);
    unknown_event["records"][1]["event"]["name"] = json!("bought_a_boat");
    let oversized = json!({"records": [{"event": {"id": uuid(1), "user_id": "x".repeat(600_000),
                                        "name": "cta_click", "time": now_ms()}}]});
    let cases: Vec<(String, u16, &str)> = vec![
        ("{not json".into(), 400, "not a batch"),
        (
            json!({"records": [], "extra": 1}).to_string(),
            400,
            "unknown field",
        ),
        (
            unknown.to_string(),
            422,
            "record 2: unknown experiment \"no_such_experiment\"",
        ),
        (future.to_string(), 422, "record 3: time"),
        (bad_group.to_string(), 422, "has no group \"Purple\""),
        (
            unknown_event.to_string(),
            422,
            "unknown event \"bought_a_boat\"",
        ),
        (json!({"records": []}).to_string(), 422, "no records"),
    ];
    for (body, status, reason) in cases {
        let (got, answer) = server.post(body);
        assert_eq!(got, status, "{answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(reason),
            "{answer} lacks {reason}"
        );
    }
    let (status, _) = server.post(oversized.to_string());
    assert_eq!(status, 413);
    assert_eq!(
        exposed(&server.results()),
        0,
        "nothing of a refused batch is stored"
    );
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
    let page = reqwest::blocking::get(format!("{}/signup", server.url)).unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert_eq!(page.text().unwrap(), "<p>the page</p>");
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
