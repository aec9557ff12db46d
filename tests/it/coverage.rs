//! `scimitar coverage` reports the requirement matrix, and the suites keep their promise:
//! at least 90% of the testable MUST rows and 70% of the testable SHOULD rows are checked.

use crate::common;
use common::*;

fn figure(out: &str, level: &str) -> f64 {
    let line = out
        .lines()
        .find(|l| l.starts_with(&format!("testable {level} covered:")))
        .unwrap_or_else(|| panic!("no {level} figure in:\n{out}"));
    let pct = line.rsplit('(').next().unwrap().trim_end_matches("%)");
    pct.parse().unwrap()
}

#[test]
fn coverage_meets_the_promise_and_explains_the_gaps() {
    let out = run(&["coverage"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(figure(&out, "MUST") >= 90.0, "{out}");
    assert!(figure(&out, "SHOULD") >= 70.0, "{out}");
    assert!(out.contains("uncovered ("), "{out}");
    assert!(out.lines().any(|l| l.starts_with("filter ")), "{out}");
}

#[test]
fn coverage_follows_the_suites_loaded() {
    let out = run(&["coverage", "--suite", "suites/rfc7644/auth.yaml"]);
    let out = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(figure(&out, "MUST") < 10.0, "{out}");
    assert!(
        out.contains("P-create-01"),
        "uncovered rows are listed: {out}"
    );
}
