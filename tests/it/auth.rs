//! Authentication modes against a server that checks each: bearer, HTTP basic, a custom
//! header and OAuth2 client credentials (a fresh token fetched once the old one nears its
//! expiry, the old one refused); no secret in any artifact, even echoed twice in a body and a
//! header; warnings for insecure set-ups.

use crate::common;
use common::*;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

#[derive(Clone, Default)]
struct Issued {
    count: Arc<AtomicUsize>,
    current: Arc<Mutex<String>>,
}

const PASSWORD: &str = "pw-basic-7f3a";
const API_KEY: &str = "key-header-91c2";
const CLIENT_SECRET: &str = "client-secret-55de";

async fn token(
    State(s): State<Issued>,
    Form(f): Form<Vec<(String, String)>>,
) -> (StatusCode, String) {
    let has = |k: &str, v: &str| f.iter().any(|(a, b)| a == k && b == v);
    if !(has("grant_type", "client_credentials")
        && has("client_id", "app")
        && has("client_secret", CLIENT_SECRET))
    {
        return (
            StatusCode::UNAUTHORIZED,
            json!({"error": "invalid_client"}).to_string(),
        );
    }
    let n = s.count.fetch_add(1, Ordering::SeqCst);
    let t = format!("access-{n}-b81e");
    *s.current.lock().unwrap() = t.clone();
    // Shorter than scimitar's renewal margin: every request needs a fresh token.
    (
        StatusCode::OK,
        json!({"access_token": t, "token_type": "Bearer", "expires_in": 5}).to_string(),
    )
}

/// The media type of SCIM answers (RFC 7644 §8.1), which every answer is held to.
const SCIM_JSON: &str = "application/scim+json";

async fn users(State(s): State<Issued>, headers: HeaderMap) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // base64("ann:pw-basic-7f3a")
    let ok = auth == "Basic YW5uOnB3LWJhc2ljLTdmM2E="
        || key == API_KEY
        || auth == format!("Bearer {}", s.current.lock().unwrap());
    if ok {
        // The credentials echoed twice, in the body and in a header, so that a scrub missing
        // either, or stopping at the first occurrence, leaks them into the report.
        let echo = format!("{auth}{key} {auth}{key}");
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0, "echo": echo});
        let headers = [("x-echo", echo), ("content-type", SCIM_JSON.into())];
        (StatusCode::OK, headers, body.to_string()).into_response()
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [("content-type", SCIM_JSON)],
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "401"})
                .to_string(),
        )
            .into_response()
    }
}

/// The checking server on an ephemeral port, on its own thread; its base URL and counters.
fn server() -> (String, Issued) {
    let issued = Issued::default();
    let app = Router::new()
        .route("/oauth/token", post(token))
        .route("/scim/v2/Users", get(users))
        .with_state(issued.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(l, app).await.unwrap();
        });
    });
    (format!("http://{addr}"), issued)
}

fn run_auth(
    base: &str,
    args: &[&str],
    env: &[(&str, &str)],
    name: &str,
) -> (std::process::Output, String) {
    let dir = temp_dir(&format!("auth-{name}"));
    let report = dir.join("r.json");
    let out = scimitar()
        .args([
            "run",
            "--target",
            &format!("{base}/scim/v2"),
            "--suite",
            "tests/data/auth-suite.yaml",
        ])
        .args(args)
        .arg("--report")
        .arg(format!("json={}", report.display()))
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let json = std::fs::read_to_string(report).unwrap();
    (out, json)
}

/// A way to authenticate: its name, arguments, environment and the secret to look for.
type Mode<'a> = (&'a str, Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);

#[test]
fn every_mode_authenticates_and_no_secret_is_kept() {
    let (base, issued) = server();
    let token_url = format!("{base}/oauth/token");
    let cases: [Mode; 3] = [
        (
            "basic",
            vec!["--auth", "basic", "--user", "ann"],
            vec![("SCIM_PASSWORD", PASSWORD)],
            PASSWORD,
        ),
        (
            "header",
            vec!["--auth", "header", "--auth-header", "X-API-Key"],
            vec![("SCIM_TOKEN", API_KEY)],
            API_KEY,
        ),
        (
            "oauth",
            vec![
                "--auth",
                "oauth",
                "--token-url",
                &token_url,
                "--client-id",
                "app",
            ],
            vec![("SCIM_CLIENT_SECRET", CLIENT_SECRET)],
            CLIENT_SECRET,
        ),
    ];
    for (name, args, env, secret) in cases {
        let (out, report) = run_auth(&base, &args, &env, name);
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(0), "{name}: {shown}");
        assert!(shown.contains("2 passed"), "{name}: {shown}");
        assert!(
            report.contains("x-echo") && report.contains("[REDACTED] "),
            "{name}: the echo was not recorded"
        );
        for artifact in [&shown, &report] {
            assert!(!artifact.contains(secret), "{name}: the secret leaked");
            assert!(
                !artifact.contains("access-"),
                "{name}: an access token leaked"
            );
            assert!(
                !artifact.contains("YW5uOnB3"),
                "{name}: the encoded pair leaked"
            );
        }
    }
    // Two authenticated requests, each needing a fresh token (discovery asked for more).
    assert!(issued.count.load(Ordering::SeqCst) >= 2);
}

#[test]
fn a_refused_client_secret_is_a_clear_failure_and_missing_settings_are_usage_errors() {
    let (base, _) = server();
    let token_url = format!("{base}/oauth/token");
    let args = [
        "--auth",
        "oauth",
        "--token-url",
        &token_url,
        "--client-id",
        "app",
    ];
    let (out, report) = run_auth(
        &base,
        &args,
        &[("SCIM_CLIENT_SECRET", "wrong-secret-0a1b")],
        "oauth-bad",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        report.contains("the token endpoint") && report.contains("401"),
        "{report}"
    );
    assert!(!report.contains("wrong-secret-0a1b"));

    let out = run(&[
        "run",
        "--target",
        "http://127.0.0.1:9/scim",
        "--auth",
        "basic",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("--auth basic needs --user"),
        "{}",
        text(&out)
    );
}

#[test]
fn insecure_set_ups_are_warned_about() {
    let out = scimitar()
        .args([
            "run",
            "--target",
            "http://scim.invalid/v2?token=abc",
            "--timeout",
            "1",
            "--suite",
            "tests/data/auth-suite.yaml",
        ])
        .env("SCIM_TOKEN", "t")
        .output()
        .unwrap();
    let shown = text(&out);
    assert!(
        shown.contains("warning: http://scim.invalid/v2 is plain http to another machine"),
        "{shown}"
    );
    assert!(
        shown.contains("carries `token` in its query string"),
        "{shown}"
    );
}
