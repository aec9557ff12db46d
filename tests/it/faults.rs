//! Transport faults are not verdicts: scimitar through a proxy that faults a seeded share of
//! requests (`common::fault_proxy`) in front of the bundled server.

use crate::common;

use std::collections::BTreeMap;
use std::process::Stdio;

use common::fault_proxy::{Fault, FaultProxy, Plan, resources, send};
use common::{hostile, scimitar, serve, temp_dir, text};
use serde_json::{Value, json};

/// The proxy faults about its rate of requests, in each of the four ways, counts each, and
/// applies the requests it drops after forwarding.
#[test]
fn the_proxy_faults_a_seeded_share_in_each_way() {
    let token = "proxy-token";
    let server = serve(token, &[]);
    let proxy = FaultProxy::start(&server.base_url, Plan::new(0.2, 7));
    let (mut unavailable, mut too_many, mut dropped) = (0, 0, 0);
    for i in 0..200 {
        let body = format!(
            r#"{{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "proxied-{i}"}}"#
        );
        let answer = send(&proxy.base_url, "POST", "/Users", token, &body);
        match answer.as_deref().and_then(|a| a.lines().next()) {
            Some(l) if l.contains(" 201 ") => {}
            Some(l) if l.contains(" 503 ") => unavailable += 1,
            Some(l) if l.contains(" 429 ") => too_many += 1,
            None => dropped += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!(proxy.requests(), 200);
    assert_eq!(unavailable, proxy.faulted(Fault::Unavailable));
    assert_eq!(too_many, proxy.faulted(Fault::TooMany));
    assert_eq!(
        dropped,
        proxy.faulted(Fault::DropBefore) + proxy.faulted(Fault::DropAfter)
    );
    for kind in Fault::ALL {
        assert!(proxy.faulted(kind) > 0, "no {kind:?} among 200 requests");
    }
    let faulted = proxy.total_faulted();
    assert!(
        (20..=60).contains(&faulted),
        "{faulted} of 200 faulted at 20 %"
    );
    // Created: every request that reached the server, including those dropped after it.
    let created = 200 - faulted + proxy.faulted(Fault::DropAfter);
    assert_eq!(resources(&server.base_url, token), (created, 0));
}

/// `only` narrows the faults to the matching requests.
#[test]
fn the_proxy_faults_only_what_it_is_told_to() {
    let token = "proxy-token";
    let server = serve(token, &[]);
    let proxy = FaultProxy::start(
        &server.base_url,
        Plan::new(1.0, 1)
            .kinds(&[Fault::DropBefore])
            .only("/Groups"),
    );
    assert!(send(&proxy.base_url, "GET", "/Groups", token, "").is_none());
    let users = send(&proxy.base_url, "GET", "/Users", token, "");
    assert!(users.is_some_and(|l| l.contains(" 200 ")));
    assert_eq!((proxy.requests(), proxy.faulted(Fault::DropBefore)), (2, 1));
}

/// What one command did: its exit code, its output, its JSON report and its JUnit report.
struct Ran {
    code: Option<i32>,
    text: String,
    json: Value,
    junit: String,
}

/// Runs the scimitar command `args` (its name first, libtest's arguments last) against
/// `target` (token `token`), with a JSON and a JUnit report in a directory of its own named
/// after `name`.
fn ran(args: &[&str], target: &str, token: &str, name: &str) -> Ran {
    let dir = temp_dir(name);
    let (json, junit) = (dir.join("report.json"), dir.join("report.xml"));
    let out = scimitar()
        .arg(args[0])
        .args(["--target", target])
        .arg("--report")
        .arg(format!("json={}", json.display()))
        .arg("--report")
        .arg(format!("junit={}", junit.display()))
        .args(&args[1..])
        .env("SCIM_TOKEN", token)
        .output()
        .expect("scimitar runs");
    let text = text(&out);
    let read = |p: &std::path::Path| {
        std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}\n{text}", p.display()))
    };
    Ran {
        code: out.status.code(),
        json: serde_json::from_str(&read(&json)).expect("the JSON report"),
        junit: read(&junit),
        text,
    }
}

/// Each case's status, by name.
fn statuses(report: &Value) -> BTreeMap<String, String> {
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().into(),
                c["status"].as_str().unwrap().into(),
            )
        })
        .collect()
}

/// `args` against the bundled server straight, then through the proxy at 20 % faults: the
/// same cases, each with the same status or inconclusive, no case failed or blocked, the
/// same exit code (3 in place of 0 only with an inconclusive case), every kind of fault met,
/// and nothing left on the server after either.
fn same_verdicts_through_faults(args: &[&str], name: &str) -> Ran {
    let token = "faults-token";
    let server = serve(token, &[]);
    let plain = ran(args, &server.base_url, token, &format!("{name}-plain"));
    assert_eq!(resources(&server.base_url, token), (0, 0), "{}", plain.text);
    let proxy = FaultProxy::start(&server.base_url, Plan::new(0.2, 20));
    let faulted = ran(args, &proxy.base_url, token, name);
    let t = &faulted.text;
    let (before, after) = (statuses(&plain.json), statuses(&faulted.json));
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    let changed: Vec<String> = after
        .iter()
        .filter(|(case, status)| before[*case] != **status && *status != "inconclusive")
        .map(|(case, status)| format!("{case}: {} → {status}", before[case]))
        .collect();
    assert!(changed.is_empty(), "{changed:#?}\n{t}");
    assert_eq!(
        (&faulted.json["failed"], &faulted.json["blocked"]),
        (&json!(0), &json!(0)),
        "{t}"
    );
    let inconclusive = faulted.json["inconclusive"].as_u64().unwrap();
    eprintln!(
        "{name} through 20 % faults: exit {:?}, {inconclusive} inconclusive, {} requests, {} faulted",
        faulted.code,
        proxy.requests(),
        proxy.total_faulted()
    );
    let expected = match (plain.code, inconclusive) {
        (Some(0), n) if n > 0 => Some(3),
        (code, _) => code,
    };
    assert_eq!(faulted.code, expected, "{t}");
    for kind in Fault::ALL {
        assert!(
            proxy.faulted(kind) > 0,
            "no {kind:?} in {} requests",
            proxy.requests()
        );
    }
    assert_eq!(
        resources(&server.base_url, token),
        (0, 0),
        "left behind:\n{t}"
    );
    faulted
}

/// The suites through 20 % faults: no verdict changes but to inconclusive, and the cases
/// that got no answer and passed run again alone are one warning line.
#[test]
fn run_through_faults_gives_the_verdicts_it_gives_without() {
    let faulted = same_verdicts_through_faults(&["run"], "faults-run");
    let (t, unanswered) = (&faulted.text, &faulted.json["unanswered"]);
    let cases = unanswered["cases"].as_array().map_or(0, Vec::len);
    assert!(
        cases > 0,
        "POSTs were dropped, so cases were run again:\n{t}"
    );
    assert!(
        unanswered["drops"].as_u64().unwrap() >= cases as u64,
        "{unanswered}"
    );
    assert!(
        t.contains(&format!(
            "warning: transport, not conformance: {cases} case"
        )),
        "{t}"
    );
}

/// One case at a time, no failure is confirmed alone: a case that got no answer still is
/// (the users, groups and PATCH suites: many creates and deletes, a few seconds).
#[test]
fn run_one_case_at_a_time_through_faults_gives_the_verdicts_it_gives_without() {
    let args = [
        "run",
        "--suite",
        "suites/rfc7644/users.yaml",
        "--suite",
        "suites/rfc7644/groups.yaml",
        "--suite",
        "suites/rfc7644/patch.yaml",
        "--",
        "--test-threads",
        "1",
    ];
    same_verdicts_through_faults(&args, "faults-run-serial");
}

#[test]
fn replay_okta_through_faults_gives_the_verdicts_it_gives_without() {
    same_verdicts_through_faults(&["replay", "--idp", "okta"], "faults-okta");
}

/// Over plain http Entra's connection requirements fail the run either way (exit 1).
#[test]
fn replay_entra_through_faults_gives_the_verdicts_it_gives_without() {
    same_verdicts_through_faults(&["replay", "--idp", "entra"], "faults-entra");
}

/// Every create of a group is applied and never answered: the cases making groups (in their
/// own steps or their suite's setup) are inconclusive, not failed or blocked, the run exits
/// 3, and the groups the server made are found by their names and deleted.
#[test]
fn a_case_whose_requests_never_get_an_answer_is_inconclusive() {
    let token = "faults-token";
    let server = serve(token, &[]);
    let plan = Plan::new(1.0, 1)
        .kinds(&[Fault::DropAfter])
        .only("POST /scim/v2/Groups ");
    let proxy = FaultProxy::start(&server.base_url, plan);
    let r = ran(&["run"], &proxy.base_url, token, "faults-unanswered");
    let t = &r.text;
    assert_eq!(r.code, Some(3), "{t}");
    assert_eq!(
        (&r.json["failed"], &r.json["blocked"]),
        (&json!(0), &json!(0)),
        "{t}"
    );
    let inconclusive = common::with_status(&r.json, "inconclusive");
    assert_eq!(r.json["inconclusive"], json!(inconclusive.len()));
    // The groups suite makes groups in its setup.
    for case in [
        "groups::create_group_answers_201",
        "groups::get_group_by_id",
    ] {
        assert!(
            inconclusive.iter().any(|c| c == case),
            "{case}: {inconclusive:?}\n{t}"
        );
    }
    let message = common::case(&r.json, "groups::create_group_answers_201")["message"]
        .as_str()
        .unwrap();
    assert!(message.starts_with("inconclusive: no answer"), "{message}");
    assert!(t.contains("inconclusive: a request got no answer"), "{t}");
    assert!(
        proxy.faulted(Fault::DropAfter) > inconclusive.len() as u64,
        "each was sent twice"
    );
    // In JUnit: not a failure, kept apart by its outcome.
    let doc = roxmltree::Document::parse(&r.junit).expect("JUnit XML");
    let case = doc
        .descendants()
        .find(|n| n.attribute("name") == Some("create_group_answers_201"))
        .expect("the case in JUnit");
    assert!(
        case.children().any(|n| n.has_tag_name("skipped")),
        "{}",
        r.junit
    );
    assert!(
        case.descendants()
            .any(|n| n.attribute("value") == Some("inconclusive"))
    );
    assert_eq!(
        resources(&server.base_url, token),
        (0, 0),
        "groups left behind:\n{t}"
    );
}

/// A run against a slow server (each request 40 ms late), stopped by Ctrl-C once it has
/// created a few resources (`interrupt`) or by its `extra` options (`--run-timeout`): the
/// cases cut short are interrupted and none failed, the JSON, JUnit and Markdown reports are
/// written and say why the run stopped, and nothing is left on the server.
fn stopped_run(extra: &[&str], interrupt: bool, name: &str) -> (Option<i32>, String) {
    let token = "stopped-token";
    let server = serve(token, &[]);
    let up = server
        .base_url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap();
    let slow = hostile::start(Some(up));
    let dir = temp_dir(name);
    let (json, junit, markdown, ledger) = (
        dir.join("report.json"),
        dir.join("report.xml"),
        dir.join("report.md"),
        dir.join("ledger.jsonl"),
    );
    let child = scimitar()
        .args(["run", "--target", &format!("{}/slow/scim/v2", slow.base)])
        .args(extra)
        .arg("--ledger")
        .arg(&ledger)
        .arg("--report")
        .arg(format!("json={}", json.display()))
        .arg("--report")
        .arg(format!("junit={}", junit.display()))
        .arg("--report")
        .arg(format!("markdown={}", markdown.display()))
        .env("SCIM_TOKEN", token)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    if interrupt {
        common::await_creates(&ledger, 5);
        common::interrupt(&child);
    }
    let out = child.wait_with_output().expect("exits");
    let t = text(&out);
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(&json).unwrap_or_else(|e| panic!("no JSON report ({e}):\n{t}")),
    )
    .expect("the JSON report");
    let why = if interrupt {
        "interrupted"
    } else {
        "timed_out"
    };
    assert_eq!(report["stopped"], why, "{t}");
    let interrupted = common::with_status(&report, "interrupted");
    assert!(!interrupted.is_empty(), "{t}");
    assert_eq!(report["interrupted"], json!(interrupted.len()));
    assert_eq!(
        (&report["failed"], &report["blocked"]),
        (&json!(0), &json!(0)),
        "{t}"
    );
    assert!(t.contains("ignored (interrupted)"), "{t}");
    let junit = std::fs::read_to_string(&junit).unwrap_or_else(|e| panic!("no JUnit ({e}):\n{t}"));
    let doc = roxmltree::Document::parse(&junit).expect("JUnit XML");
    let stopped = doc
        .descendants()
        .find(|n| n.attribute("name") == Some("stopped"))
        .expect("the JUnit report says the run stopped");
    assert!(stopped.attribute("value").is_some());
    assert!(!junit.contains("<failure"), "{junit}");
    let markdown = std::fs::read_to_string(&markdown).expect("the Markdown report");
    let said = format!("{} cases interrupted", interrupted.len());
    assert!(markdown.contains(&said), "{markdown}");
    assert_eq!(
        resources(&server.base_url, token),
        (0, 0),
        "left behind:\n{t}"
    );
    assert!(!ledger.exists(), "a fully swept ledger is removed");
    (out.status.code(), t)
}

#[test]
fn an_interrupted_run_reports_its_cases_interrupted_and_leaves_nothing() {
    let (code, t) = stopped_run(&[], true, "faults-sigint");
    assert_eq!(code, Some(130), "{t}");
    assert!(t.contains("interrupted (Ctrl-C): "), "{t}");
}

#[test]
fn a_run_stopped_at_its_timeout_reports_its_cases_interrupted_and_leaves_nothing() {
    let (code, t) = stopped_run(&["--run-timeout", "2s"], false, "faults-timeout");
    assert_eq!(code, Some(124), "{t}");
    assert!(t.contains("stopped at --run-timeout: "), "{t}");
}

/// `scimitar sweep` through 20 % faults deletes all a ledger lists: each DELETE is sent
/// again through 503, 429 and dropped connections, and one applied but unanswered finds the
/// resource gone (404) when sent again.
#[test]
fn sweep_through_faults_deletes_all_the_ledger_lists() {
    let token = "sweep-token";
    let server = serve(token, &[]);
    let proxy = FaultProxy::start(&server.base_url, Plan::new(0.2, 4));
    let dir = temp_dir("faults-sweep");
    let ledger = dir.join("ledger.jsonl");
    let mut lines = String::new();
    for i in 0..40 {
        let (endpoint, body) = match i % 2 {
            0 => (
                "/Users",
                format!(
                    r#"{{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "left-{i}"}}"#
                ),
            ),
            _ => (
                "/Groups",
                format!(
                    r#"{{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "left-{i}"}}"#
                ),
            ),
        };
        let created = created(&server.base_url, endpoint, token, &body);
        let url = format!("{}{endpoint}/{created}", proxy.base_url);
        lines.push_str(&format!("{}\n", json!({"created": url})));
    }
    std::fs::write(&ledger, lines).unwrap();
    assert_eq!(resources(&server.base_url, token), (20, 20));
    let out = scimitar()
        .args(["sweep", "--target", &proxy.base_url, "--ledger"])
        .arg(&ledger)
        .env("SCIM_TOKEN", token)
        .output()
        .expect("runs");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("deleted 40 of the 40 resources"), "{t}");
    for kind in Fault::ALL {
        assert!(
            proxy.faulted(kind) > 0,
            "no {kind:?} in {} requests",
            proxy.requests()
        );
    }
    assert_eq!(resources(&server.base_url, token), (0, 0), "{t}");
    assert!(!ledger.exists());
}

/// The id of what a POST straight to the server created.
fn created(base_url: &str, endpoint: &str, token: &str, body: &str) -> String {
    let answer = send(base_url, "POST", endpoint, token, body).expect("an answer");
    let (_, json) = answer.split_once("\r\n\r\n").expect("a head and a body");
    let json: Value = serde_json::from_str(json).expect("JSON");
    json["id"].as_str().expect("an id").to_string()
}

/// A third of the DELETEs are applied and never answered: sent again, they find it gone
/// (404). That answer is to the dropped send, not a verdict: one case at a time (no failure
/// is confirmed alone), no case fails, and nothing is left.
#[test]
fn a_delete_applied_but_unanswered_is_no_failure() {
    let token = "faults-token";
    let server = serve(token, &[]);
    let plan = Plan::new(0.3, 9).kinds(&[Fault::DropAfter]).only("DELETE ");
    let proxy = FaultProxy::start(&server.base_url, plan);
    let args = [
        "run",
        "--suite",
        "suites/rfc7644/users.yaml",
        "--",
        "--test-threads",
        "1",
    ];
    let r = ran(&args, &proxy.base_url, token, "faults-delete");
    let t = &r.text;
    assert_eq!(
        (&r.json["failed"], &r.json["blocked"]),
        (&json!(0), &json!(0)),
        "{t}"
    );
    assert!(matches!(r.code, Some(0 | 3)), "{t}");
    assert!(
        proxy.faulted(Fault::DropAfter) > 5,
        "{}",
        proxy.faulted(Fault::DropAfter)
    );
    assert_eq!(
        resources(&server.base_url, token),
        (0, 0),
        "left behind:\n{t}"
    );
}
