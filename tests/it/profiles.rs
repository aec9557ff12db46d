//! Vendor profiles classify results: against a server that behaves as New Relic documents,
//! every declared deviation is observed and nothing else deviates; against the strict server
//! the same declarations are stale.

use crate::common;
use common::*;
use serde_json::Value;

fn run_profile(target: Option<&Served>, token: &str, name: &str) -> (std::process::Output, Value) {
    let dir = temp_dir(&format!("profile-{name}"));
    let report = dir.join("report.json");
    let mut cmd = scimitar();
    cmd.args(["run", "--profile", "newrelic", "--report"])
        .arg(format!("json={}", report.display()))
        .env("SCIM_TOKEN", token);
    if let Some(s) = target {
        cmd.args(["--target", &s.base_url]);
    }
    let out = cmd.output().unwrap();
    let json = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    (out, json)
}

fn standings(report: &Value) -> Vec<(String, String)> {
    report["declarations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap().to_string(),
                d["standing"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn newrelic_profile_against_newrelic_emulation_documents_every_deviation() {
    let token = "tok-profile-nr";
    let server = serve(token, &["--emulate", "newrelic"]);
    let (out, report) = run_profile(Some(&server), token, "nr");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(report["failed"], 0, "{}", text(&out));
    assert_eq!(report["undocumented"], 0, "{}", text(&out));
    assert!(with_status(&report, "warning").is_empty(), "{}", text(&out));
    for (id, standing) in standings(&report) {
        let want = if id == "tokens-never-expire" {
            "unobservable"
        } else {
            "documented"
        };
        assert_eq!(standing, want, "{id}");
    }
    // Every documented case names the declaration that explains it.
    for c in report["cases"].as_array().unwrap() {
        if c["status"] == "documented" {
            assert!(c["deviation"].is_string(), "{c}");
            assert!(
                c["message"]
                    .as_str()
                    .unwrap()
                    .contains("documented deviation")
            );
        }
    }
    assert!(
        report["documented"].as_u64().unwrap() >= 20,
        "{}",
        report["documented"]
    );
}

#[test]
fn newrelic_profile_against_the_strict_server_finds_the_declarations_stale() {
    let (out, report) = run_profile(None, "unused", "strict");
    for (id, standing) in standings(&report) {
        let want = if id == "tokens-never-expire" {
            "unobservable"
        } else {
            "stale"
        };
        assert_eq!(standing, want, "{id}");
    }
    assert_eq!(report["documented"], 0);
    // The strict server does not serve New Relic's extension: a broken promise is a failure.
    assert_eq!(
        with_status(&report, "failed"),
        ["newrelic::nr_user_type_round_trips"]
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("STALE (the server complies)"));
}

#[test]
fn an_undeclared_failure_under_a_vendor_profile_is_an_undocumented_deviation() {
    let dir = temp_dir("profile-undocumented");
    let (out, report) = run_with_defects(
        &["delete-200"],
        &["--profile", "newrelic", "--emulate", "newrelic"],
        &dir,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let undocumented = with_status(&report, "undocumented");
    assert!(
        undocumented.contains(&"users::delete_answers_204_then_404".to_string()),
        "{undocumented:?}"
    );
    // The vendor's own promise of a 204 is broken too (and so is the teardown of another of
    // its cases): those are plain failures.
    assert_eq!(
        with_status(&report, "failed"),
        [
            "newrelic::delete_answers_204",
            "newrelic::nr_user_type_round_trips"
        ]
    );
    assert!(
        text(&out).contains("undocumented deviations: failures profile newrelic does not declare")
    );
}
