//! Each response invariant fails where a bundled-server switch breaks it, whichever case met
//! the answer, and under its own row; a correct server (the bundled one here, scim2-server in
//! `independent::`) breaks none.

use crate::common;
use common::*;

use serde_json::Value;

/// The switch that breaks each invariant, and the row it is reported under.
const BROKEN: [(&str, &str); 17] = [
    ("json-content-type", "P-media-01"),
    ("not-found-without-body", "P-errors-01"),
    ("error-without-schemas", "P-errors-01"),
    ("error-status-number", "P-errors-02"),
    ("conflict-without-scim-type", "P-create-05"),
    ("list-schemas-missing", "P-list-01"),
    ("total-results-zero", "P-list-02"),
    ("items-per-page-requested", "P-paging-07"),
    ("start-index-always-one", "P-paging-01"),
    ("list-resources-without-id", "C-schema-02"),
    ("undeclared-extension-echoed", "C-schema-01"),
    ("resource-type-missing", "C-schema-07"),
    ("modified-before-created", "C-schema-09"),
    ("meta-location-wrong", "P-create-04"),
    ("content-location-wrong", "C-schema-11"),
    ("case-exact-lowered", "C-schema-06"),
    ("password-returned", "C-attributes-02"),
];

fn invariant_rules(report: &Value) -> Vec<String> {
    report["invariants"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["level"] == "MUST")
        .map(|i| i["rule"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn every_invariant_fails_under_the_switch_that_breaks_it() {
    let missed: Vec<String> = in_parallel(&BROKEN, |(switch, rule)| {
        let rules = invariant_rules(&run_switched(switch));
        (!rules.iter().any(|r| r == rule)).then(|| format!("{switch}: {rule} not among {rules:?}"))
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(missed.is_empty(), "{missed:#?}");
}

#[test]
fn the_bundled_server_breaks_no_invariant() {
    let dir = temp_dir("invariants-none");
    let (out, report) = run_with_defects(&[], &[], &dir);
    assert_eq!(report.get("invariants"), None, "{}", text(&out));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// One invariant met in many cases is one finding, in JUnit too, and a broken MUST fails the
/// run even where every case passed.
#[test]
fn a_broken_invariant_is_one_finding_that_fails_the_run() {
    let dir = temp_dir("invariants-once");
    let junit = dir.join("junit.xml");
    let junit_arg = format!("junit={}", junit.display());
    let (out, report) = run_with_defects(&["case-exact-lowered"], &["--report", &junit_arg], &dir);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    let found = report["invariants"].as_array().expect("invariants");
    assert_eq!(found.len(), 1, "{t}");
    assert!(found[0]["cases"].as_array().unwrap().len() > 10, "{t}");
    assert_eq!(
        found[0]["signature"], "POST /Users · externalId case",
        "{t}"
    );
    assert!(
        t.contains("C-schema-06 [MUST] POST /Users · externalId case"),
        "{t}"
    );
    // A CI gate's JUnit says why the run failed.
    let xml = std::fs::read_to_string(&junit).unwrap();
    let case = xml
        .split("<testcase ")
        .find(|c| c.contains("C-schema-06 POST /Users · externalId case"))
        .unwrap_or_else(|| panic!("no test case for the invariant:\n{xml}"));
    assert!(case.contains("<failure"), "{case}");
    // No case checks Content-Location: every case passes, and the run fails all the same.
    let dir = temp_dir("invariants-alone");
    let (out, report) = run_with_defects(&["content-location-wrong"], &[], &dir);
    assert_eq!(failed(&report), Vec::<String>::new(), "{}", text(&out));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

/// A create conflict answered 400 passes the MUST case and warns, citing both RFCs' texts.
#[test]
fn a_uniqueness_conflict_answered_400_is_a_warning_citing_both_texts() {
    let dir = temp_dir("invariants-400");
    let (out, report) = run_with_defects(&["uniqueness-as400"], &[], &dir);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert_eq!(
        warned(&report),
        ["users-create::duplicate_username_answers_409_rather_than_400"],
        "{t}"
    );
    let case = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == "warning")
        .unwrap();
    let m = case["message"].as_str().unwrap();
    assert!(
        m.contains("RFC 7644 lines 623-627") && m.contains("RFC 7643 lines 1812-1814"),
        "{m}"
    );
}

/// A break the profile's deviations declare is documented by it, and fails nothing.
#[test]
fn a_break_the_profile_declares_is_documented() {
    let dir = temp_dir("invariants-documented");
    let (out, report) =
        run_with_defects(&["meta-location-wrong"], &["--profile", "newrelic"], &dir);
    let found = report["invariants"].as_array().expect("invariants");
    assert!(!found.is_empty(), "{}", text(&out));
    for i in found {
        assert_eq!(i["rule"], "P-create-04", "{i}");
        assert_eq!(i["documented"], "meta-location-unset", "{i}");
    }
    assert!(text(&out).contains("0 failing the run"), "{}", text(&out));
}
