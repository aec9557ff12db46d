//! Capability-aware planning: a case needing a feature the target does not advertise is
//! probed — skipped with the reason when it fails, a warning when it works anyway — and the
//! advertised limits shape the cases; the requirement catalogue matches the shared one.

use crate::common;
use common::*;

#[test]
fn unadvertised_features_are_skipped_with_the_reason() {
    let dir = temp_dir("planning");
    let report = dir.join("report.json");
    let out = run(&[
        "run",
        "--emulate",
        "newrelic",
        "--suite",
        "suites/rfc7644/bulk.yaml",
        "--report",
        &format!("json={}", report.display()),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let printed = text(&out);
    assert!(printed.contains("7 ignored"), "{printed}");
    assert!(
        printed.contains("not advertised: bulk.supported"),
        "{printed}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(with_status(&json, "skipped").len(), 7, "{json}");
    assert_eq!(json["skipped"], 7);

    // The same cases run, and pass, where bulk is advertised.
    let out = run(&["run", "--suite", "suites/rfc7644/bulk.yaml"]);
    assert!(text(&out).contains("7 passed"), "{}", text(&out));
}

#[test]
fn unadvertised_features_that_work_are_warnings() {
    let dir = temp_dir("planning-understated");
    let (out, report) = run_with_defects(
        &["understated-features"],
        &["--suite", "suites/rfc7644/bulk.yaml"],
        &dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let warned = with_status(&report, "warning");
    assert_eq!(warned.len(), 5, "{report}");
    for name in &warned {
        let msg = case(&report, name)["message"].as_str().unwrap();
        assert!(
            msg.contains("not advertised: bulk.supported") && msg.contains("C-discovery-05"),
            "{msg}"
        );
    }
    // Those expecting 413 prove nothing by passing (see tests/verdicts.rs).
    assert_eq!(with_status(&report, "skipped").len(), 2, "{report}");
}

#[test]
fn advertised_limits_shape_the_cases() {
    let dir = temp_dir("planning-limits");
    let small = ["--emulate", "tests/data/profiles/small-limits.yaml"];
    let paging = ["--suite", "suites/rfc7644/paging.yaml"];
    let (out, report) = run_with_defects(&[], &[&small[..], &paging[..]].concat(), &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // The page holds two of the three matches: the limit was reached and kept.
    let reduced = case(&report, "paging::count_above_max_results_is_reduced");
    assert_eq!(reduced["status"], "passed");
    // The case's own step is the last: after the setup's users and decoys.
    let exchange = &reduced["steps"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|s| s["teardown"] == false)
        .unwrap()["exchange"];
    let body: serde_json::Value =
        serde_json::from_str(exchange["response"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["itemsPerPage"], 2, "{body}");
    assert!(
        exchange["request"]["url"]
            .as_str()
            .unwrap()
            .contains("count=3")
    );

    // A bulk request one operation over the advertised two is refused.
    let (out, report) = run_with_defects(
        &[],
        &[&small[..], &["--suite", "suites/rfc7644/bulk.yaml"][..]].concat(),
        &dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let case = case(&report, "bulk::more_operations_than_max_operations_is_413");
    let sent = &case["steps"][0]["exchange"]["request"]["body"]["Operations"];
    assert_eq!(sent.as_array().unwrap().len(), 3, "{case}");
}

/// The catalogue is copied from `../shared`, which only the project's own workspace has
/// beside the clone: where it is, the copy must not have drifted; where it is not (a user's
/// clone), there is nothing to compare, unless `SCIMITAR_REQUIRE_SHARED=1` (set by `.ci/run`)
/// says it must be there.
/// The same holds for the interop profile's catalogue.
#[test]
fn requirement_catalogue_equals_the_shared_one() {
    for name in ["rfc-requirements.csv", "interop-requirements.csv"] {
        let shared = root().join("../shared").join(name);
        let required = std::env::var_os("SCIMITAR_REQUIRE_SHARED").is_some_and(|v| v == "1");
        let theirs = match std::fs::read_to_string(&shared) {
            Ok(theirs) => theirs,
            Err(e) if required => panic!("{}: {e} (SCIMITAR_REQUIRE_SHARED=1)", shared.display()),
            Err(_) => {
                eprintln!("{} is not there: not compared", shared.display());
                continue;
            }
        };
        let ours = std::fs::read_to_string(root().join("fixtures").join(name)).unwrap();
        assert_eq!(ours, theirs, "fixtures/{name} drifted from the shared copy");
    }
}

/// Every case of the built-in suites cites rows that exist and is no stricter than the
/// highest of them (the loader refuses either, so listing them all proves it); and the
/// count is not zero, so the check checked something.
#[test]
fn no_case_is_stricter_than_its_rows_and_every_row_exists() {
    for pattern in [
        "suites/rfc*/*.yaml",
        "suites/entra/*.yaml",
        "suites/vendors/*.yaml",
        "suites/interop/*.yaml",
    ] {
        let out = run(&["list", "--suite", pattern]);
        assert_eq!(out.status.code(), Some(0), "{pattern}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).lines().count() > 5,
            "{pattern}: {}",
            text(&out)
        );
    }
}

/// `--read-only` runs only cases whose every request, setup and teardown included, reads:
/// nothing else is sent, and some cases do run.
#[test]
fn read_only_sends_nothing_but_reads() {
    let dir = temp_dir("planning-read-only");
    let (out, report) = run_with_defects(&[], &["--read-only"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let cases = report["cases"].as_array().unwrap();
    assert!(!with_status(&report, "passed").is_empty(), "{report}");
    for c in cases {
        let sent = c["steps"].as_array().unwrap().iter();
        for r in sent
            .map(|s| &s["exchange"]["request"])
            .filter(|r| !r.is_null())
        {
            let (method, url) = (r["method"].as_str().unwrap(), r["url"].as_str().unwrap());
            assert!(
                method == "GET" || (method == "POST" && url.ends_with("/.search")),
                "{} sent {method} {url} under --read-only",
                c["name"]
            );
        }
    }
}

/// A suite whose setup creates a user, three cases that only read it (one searching) and
/// one that changes it; the setup expects `status`.
fn sharing_suite(status: u16) -> String {
    format!(
        r#"name: sharing
setup:
  - request: {{method: POST, path: /Users, body: {{userName: "{{{{unique}}}}@example.com"}}}}
    expect: {{status: {status}}}
    capture: {{id: /id}}
teardown:
  - request: {{method: DELETE, path: "/Users/{{{{id}}}}"}}
    expect: {{status: 204}}
cases:
  - name: reads_by_id
    level: MUST
    steps:
      - request: {{method: GET, path: "/Users/{{{{id}}}}"}}
        expect: {{status: 200, json: {{/userName: "{{{{unique}}}}@example.com"}}}}
  - name: reads_by_filter
    level: MUST
    steps:
      - request: {{method: GET, path: /Users, query: {{filter: 'userName eq "{{{{unique}}}}@example.com"'}}}}
        expect: {{status: 200, json: {{/totalResults: 1}}}}
      - request: {{method: GET, path: "/Users/{{{{id}}}}"}}
        expect: {{status: 200}}
  - name: searches
    level: MUST
    steps:
      - request: {{method: POST, path: /Users/.search, body: {{schemas: [urn:ietf:params:scim:api:messages:2.0:SearchRequest], filter: 'userName eq "{{{{unique}}}}@example.com"'}}}}
        expect: {{status: 200, json: {{/totalResults: 1}}}}
  - name: writes
    level: MUST
    steps:
      - request: {{method: PATCH, path: "/Users/{{{{id}}}}", body: {{schemas: [urn:ietf:params:scim:api:messages:2.0:PatchOp], Operations: [{{op: replace, path: displayName, value: Renamed}}]}}}}
        expect: {{status: 200}}
"#
    )
}

/// Where each case's steps sent `method`: the URLs, in order.
fn sent(case: &serde_json::Value, method: &str) -> Vec<String> {
    case["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["exchange"]["request"])
        .filter(|r| r["method"] == method)
        .map(|r| r["url"].as_str().unwrap().to_string())
        .collect()
}

/// The id a case's create answered with.
fn created(case: &serde_json::Value) -> String {
    let create = &case["steps"][0]["exchange"];
    let body: serde_json::Value =
        serde_json::from_str(create["response"]["body"].as_str().unwrap()).unwrap();
    body["id"].as_str().unwrap().to_string()
}

/// The sharing suite, its setup expecting `status`, run against the bundled server with
/// `extra` arguments.
fn run_sharing(
    status: u16,
    extra: &[&str],
    name: &str,
) -> (std::process::Output, serde_json::Value) {
    let dir = temp_dir(name);
    let suite = dir.join("sharing.yaml");
    std::fs::write(&suite, sharing_suite(status)).unwrap();
    let args = [&["run", "--suite", suite.to_str().unwrap()], extra].concat();
    with_report(&args, &format!("{name}-report"))
}

/// The read-only cases share one run of the setup: one user, found by each through the
/// shared `{{unique}}`, deleted once, after the last of them; the writing case makes its own.
#[test]
fn read_only_cases_share_the_setup() {
    let (out, report) = run_sharing(201, &[], "planning-sharing");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(with_status(&report, "passed").len(), 4, "{report}");
    let readers = ["reads_by_id", "reads_by_filter", "searches"];
    let ids: Vec<String> = readers
        .iter()
        .map(|n| created(case(&report, &format!("sharing::{n}"))))
        .collect();
    assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
    let writer = case(&report, "sharing::writes");
    assert_ne!(created(writer), ids[0]);
    assert_eq!(sent(writer, "DELETE").len(), 1, "{writer}");
    let deletes: Vec<String> = readers
        .iter()
        .flat_map(|n| sent(case(&report, &format!("sharing::{n}")), "DELETE"))
        .collect();
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert!(deletes[0].ends_with(&ids[0]), "{deletes:?}");
}

/// A shared setup that fails blocks each read-only case as its own run of it would: by the
/// same setup step, with the step labelled among that case's own steps.
#[test]
fn a_failed_shared_setup_blocks_each_case_as_before() {
    let (out, report) = run_sharing(200, &[], "planning-sharing-failed");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(with_status(&report, "blocked").len(), 4, "{report}");
    let writer = &case(&report, "sharing::writes")["blocked_by"];
    for (name, total) in [("reads_by_id", 2), ("reads_by_filter", 3), ("searches", 2)] {
        let c = case(&report, &format!("sharing::{name}"));
        assert_eq!(&c["blocked_by"], writer, "{c}");
        let message = c["message"].as_str().unwrap();
        assert!(message.contains(&format!("step 1/{total} ")), "{message}");
        assert!(
            message.contains("status: expected 200, got 201"),
            "{message}"
        );
    }
}

/// A shared teardown that fails (DELETE answered 200 where the suite expects 204) fails every
/// case that shared it, whichever it ran after, as each case's own teardown did before.
#[test]
fn a_failed_shared_teardown_fails_each_case_that_shared_it() {
    let (out, report) = run_sharing(
        201,
        &["--defect", "delete-200"],
        "planning-sharing-teardown",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    for name in ["reads_by_id", "reads_by_filter", "searches", "writes"] {
        let c = case(&report, &format!("sharing::{name}"));
        assert_eq!(c["status"], "failed", "{c}");
        let message = c["message"].as_str().unwrap();
        assert!(
            message.contains("status: expected 204, got 200"),
            "{message}"
        );
    }
}
