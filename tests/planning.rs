//! Capability-aware planning: a case needing a feature the target does not advertise is
//! skipped with the reason, not failed; the requirement catalogue matches the shared one.

mod common;
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
    assert!(printed.contains("4 ignored"), "{printed}");
    assert!(
        printed.contains("not advertised: bulk.supported"),
        "{printed}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(with_status(&json, "skipped").len(), 4, "{json}");
    assert_eq!(json["skipped"], 4);

    // The same cases run, and pass, where bulk is advertised.
    let out = run(&["run", "--suite", "suites/rfc7644/bulk.yaml"]);
    assert!(text(&out).contains("4 passed"), "{}", text(&out));
}

#[test]
fn requirement_catalogue_equals_the_shared_one() {
    let shared = root().join("../shared/rfc-requirements.csv");
    let Ok(theirs) = std::fs::read_to_string(&shared) else {
        eprintln!("{} is not here; nothing to compare", shared.display());
        return;
    };
    let ours = std::fs::read_to_string(root().join("fixtures/rfc-requirements.csv")).unwrap();
    assert_eq!(
        ours, theirs,
        "fixtures/rfc-requirements.csv drifted from the shared copy"
    );
}
