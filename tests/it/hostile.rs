//! A misbehaving target becomes a failed check with a clear message: never a panic, never a
//! hang past the timeouts, memory bounded. A 429 storm completes through retries.

use crate::common;

use common::hostile;
use common::{scimitar, text};

/// Runs the one-case hostile suite against `behaviour` of `server` with `options`;
/// returns its exit code and output.
fn against(server: &hostile::Hostile, behaviour: &str, options: &[&str]) -> (Option<i32>, String) {
    let out = scimitar()
        .args(["run", "--suite", "tests/data/hostile-suite.yaml"])
        .args(options)
        .args(["--target", &format!("{}/{behaviour}", server.base)])
        .env("SCIM_TOKEN", "hostile-token")
        .output()
        .expect("runs");
    (out.status.code(), text(&out))
}

fn fails_with(behaviour: &str, message: &str) -> String {
    let options = ["--timeout", "1", "--run-timeout", "60s", "--retries", "1"];
    let (code, t) = against(&hostile::start(None), behaviour, &options);
    assert_eq!(
        code,
        Some(1),
        "{behaviour}: a failed check, not a crash or a usage error:\n{t}"
    );
    assert!(
        t.contains("hostile::read_a_user") && t.contains("FAILED"),
        "{t}"
    );
    assert!(t.contains(message), "{behaviour}: no `{message}` in:\n{t}");
    assert!(!t.contains("panicked"), "{t}");
    t
}

#[test]
fn malformed_json() {
    fails_with("malformed-json", "not JSON");
}

#[test]
fn wrong_content_type() {
    fails_with("wrong-content-type", "text/html");
}

#[test]
fn truncated_body() {
    fails_with("truncated", "reading the response body failed");
}

#[test]
fn ten_megabyte_body_is_cut() {
    fails_with("huge", "larger than 8388608 bytes");
}

#[test]
fn slow_drip_times_out() {
    fails_with("slow-drip", "timed out");
}

/// A request that never gets an answer, beside other cases and again alone, leaves its
/// case inconclusive: it showed nothing of the target's conformance (exit 3).
fn inconclusive_with(behaviour: &str, message: &str) {
    let options = ["--timeout", "1", "--run-timeout", "60s", "--retries", "1"];
    let (code, t) = against(&hostile::start(None), behaviour, &options);
    assert_eq!(code, Some(3), "{behaviour}: inconclusive:\n{t}");
    assert!(
        t.contains("hostile::read_a_user") && t.contains("ignored (inconclusive: no answer)"),
        "{t}"
    );
    assert!(t.contains(message), "{behaviour}: no `{message}` in:\n{t}");
    assert!(!t.contains("panicked"), "{t}");
}

#[test]
fn hang_times_out() {
    inconclusive_with("hang", "timed out");
}

#[test]
fn connection_reset() {
    inconclusive_with("reset", "no response");
}

#[test]
fn server_error() {
    fails_with("error-500", "500");
}

#[test]
fn redirect_loop_is_not_followed() {
    fails_with("redirect-loop", "302");
}

#[test]
fn a_redirect_to_another_origin_gets_no_credentials() {
    let server = hostile::start(None);
    let (code, t) = against(&server, "redirect-away", &["--timeout", "1"]);
    assert_eq!(code, Some(1), "{t}");
    assert_eq!(
        server
            .other_origin_hits
            .load(std::sync::atomic::Ordering::SeqCst),
        0,
        "nothing, credentials least of all, went to the other origin"
    );
}

#[test]
fn a_429_storm_completes_through_retries() {
    let upstream = common::serve("storm-token", &[]);
    let host = upstream
        .base_url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let storm = hostile::start(Some(&host));
    let out = scimitar()
        .args(["run", "--target", &format!("{}/storm/scim/v2", storm.base)])
        .env("SCIM_TOKEN", "storm-token")
        .output()
        .expect("runs");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let refused = storm.refused.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        refused > 300,
        "every request was refused once: {refused} 429s"
    );
}

#[test]
fn the_whole_run_stops_at_its_timeout() {
    let options = ["--timeout", "60", "--run-timeout", "1s"];
    let (code, t) = against(&hostile::start(None), "hang", &options);
    assert_eq!(code, Some(124), "{t}");
    assert!(t.contains("the run took longer than --run-timeout"), "{t}");
    assert!(t.contains("ignored (interrupted)"), "{t}");
}

/// 64 requests at once through the client to a server that serves four: the in-flight limit
/// stays at or comes down to four, and most of the second wave is served under it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crowded_server_brings_the_in_flight_limit_down() {
    use scimitar::client::{Auth, Client, Outcome, Outgoing};
    use scimitar::suite::Method;
    use std::sync::Arc;
    use std::time::Duration;

    let server = hostile::start(None);
    let client = Arc::new(
        Client::new(
            &format!("{}/crowded", server.base),
            Auth::None,
            Duration::from_secs(10),
        )
        .unwrap(),
    );
    let wave = || async {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..64 {
            let client = client.clone();
            tasks.spawn(async move {
                let x = client
                    .send(Outgoing {
                        method: Method::Get,
                        path: "/Users/x",
                        query: &[],
                        headers: &[],
                        body: None,
                        credentials: scimitar::client::Credentials::Target,
                    })
                    .await;
                matches!(x.outcome, Outcome::Response(r) if r.status == 200)
            });
        }
        tasks.join_all().await.into_iter().filter(|ok| *ok).count()
    };
    let first = wave().await;
    let load = client.load();
    assert!(
        load.lowest_limit <= hostile::CROWD,
        "the limit came down: {load:?}"
    );
    assert_eq!(load.server_errors, 64 - first as u64, "{load:?}");
    assert_eq!(load.connection_failures, 0, "{load:?}");
    let second = wave().await;
    assert!(
        second >= 48,
        "most of the second wave is served: {second} of 64 ({:?})",
        client.load()
    );
}
