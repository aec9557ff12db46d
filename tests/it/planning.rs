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
