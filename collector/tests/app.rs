//! The collector's [`app`] in process, as axum's examples test theirs: requests sent with
//! `oneshot` to the router over a temporary SQLite file, no socket, no binary.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use cohort::{CompileOptions, Rules, User};
use cohort_collector::listen::Limits;
use cohort_collector::server::{app, Config};
use serde_json::{json, Value};
use tower::ServiceExt;

const EXPERIMENT: &str = "button_color_v3";

fn rules() -> Rules {
    Rules::from_statsig_json(
        include_str!("../../experiments/button_color_v3.json"),
        CompileOptions::STRICT,
    )
    .unwrap()
}

async fn collector(dir: &tempfile::TempDir) -> Router {
    let config = Config {
        rules: rules(),
        db: dir.path().join("app.db").to_str().unwrap().to_owned(),
        listen: "127.0.0.1:0".parse().unwrap(),
        dist: None,
        allow_origins: Vec::new(),
        trusted_proxies: Vec::new(),
        secret_file: None,
        rate_limit: 1000,
        read_rate_limit: 1000,
        hsts: false,
        limits: Limits::default(),
        results_token: None,
        public_results: false,
        keep_bots: false,
    };
    app(config)
        .await
        .unwrap()
        .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 50_000))))
}

/// Sends `request` to `app`; the status and the body as JSON (`Null` when empty).
async fn send(app: &Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, body)
}

fn post(records: Value) -> Request<Body> {
    Request::post("/api/events")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({ "records": records }).to_string()))
        .unwrap()
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

/// The group the rules give `user`.
fn group_of(user: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    rules()
        .at(now)
        .get_experiment(&User::with_id(user.to_owned()), EXPERIMENT)
        .group()
        .unwrap()
        .to_owned()
}

fn id(n: usize) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

#[tokio::test]
async fn a_batch_is_stored_once_and_its_users_are_in_the_results_and_the_listing() {
    let dir = tempfile::tempdir().unwrap();
    let app = collector(&dir).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let mut records = Vec::new();
    for u in 0..40 {
        let user = format!("app-user-{u}");
        let browser = if u % 4 == 0 { "Firefox" } else { "Chrome" };
        records.push(json!({ "exposure": { "id": id(2 * u), "user_id": user,
            "experiment": EXPERIMENT, "group": group_of(&user), "rule_id": "r", "time": now,
            "dimensions": { "browser": browser, "visitor": "new" } } }));
        if u % 2 == 0 {
            records.push(json!({ "event": { "id": id(2 * u + 1), "user_id": user,
                "name": "visited_signup", "time": now + 1 } }));
        }
    }
    // A forged exposure: stored apart, not counted.
    let forged = if group_of("app-user-0") == "Red" {
        "Green"
    } else {
        "Red"
    };
    records.push(
        json!({ "exposure": { "id": id(999), "user_id": "app-user-0",
        "experiment": EXPERIMENT, "group": forged, "rule_id": "r", "time": now } }),
    );
    let batch = Value::Array(records);
    let (status, ack) = send(&app, post(batch.clone())).await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(
        (ack["stored"].as_u64(), ack["excluded"].as_u64()),
        (Some(61), Some(1))
    );
    // The same batch again: nothing new.
    let (status, ack) = send(&app, post(batch)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (ack["stored"].as_u64(), ack["duplicates"].as_u64()),
        (Some(0), Some(61))
    );

    let (status, results) = send(&app, get(&format!("/api/results?experiment={EXPERIMENT}"))).await;
    assert_eq!(status, StatusCode::OK, "{results}");
    assert_eq!(results["total_users"], 40);
    let signup = &results["metrics"][0];
    assert_eq!(signup["metric"]["name"], "signup");
    let converted: f64 = signup["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["stats"]["sum"].as_f64().unwrap())
        .sum();
    assert_eq!(converted, 20.0);
    // Over time: today, everyone.
    let days = results["over_time"].as_array().unwrap();
    assert_eq!(days.len(), 1);
    let users: u64 = days[0]["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(users, 40);
    assert_eq!(results["excluded"][0]["reason"], "group_mismatch");

    // By browser: a slice each, the most users first, each with its own sample-ratio check.
    let (status, breakdown) = send(
        &app,
        get(&format!(
            "/api/results?experiment={EXPERIMENT}&dimension=browser"
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{breakdown}");
    let slices: Vec<(&str, u64)> = breakdown["slices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["value"].as_str().unwrap(),
                s["results"]["total_users"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(slices, [("Chrome", 30), ("Firefox", 10)]);
    assert!(breakdown["slices"][1]["results"]["sample_ratio"]["p_value"].is_number());

    let (status, listing) = send(&app, get("/api/experiments")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listing["experiments"][0]["exposures"], 40);
    let (status, _) = send(&app, get("/api/health")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn bad_requests_get_a_status_that_says_what_happened() {
    let dir = tempfile::tempdir().unwrap();
    let app = collector(&dir).await;
    let not_json = Request::post("/api/events")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{ not json"))
        .unwrap();
    let (status, body) = send(&app, not_json).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
    let (status, body) = send(&app, get("/api/results?experiment=nope")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = send(&app, get("/api/results")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = send(
        &app,
        get("/api/results?experiment=button_color_v3&dimension=not%20a%20name"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"].as_str().unwrap().contains("is not a name"),
        "{body}"
    );
    let (status, _) = send(&app, get("/api/nothing-here")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
