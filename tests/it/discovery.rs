//! Discovery that never collapses the plan: a bundled server whose ResourceTypes write their
//! `endpoint` with the base path or as an absolute URL (RFC 7643 §6 defines it relative to
//! the base URL) is planned as the strict RFC server is, and the form is one finding for the
//! run, not a failure or a skip per case.

use serde_json::Value;

use crate::common::*;

/// The attributes no skip may call undeclared: RFC 7643 requires them of every User
/// (`userName`, §4.1.1), every Group (`displayName`, §4.2) and every resource (`schemas`,
/// `id`, §3).
const RFC_REQUIRED: [&str; 4] = ["userName", "displayName", "schemas", "id"];

/// Runs every suite against the bundled server under `emulate`; the output and the report.
fn run_emulating(emulate: &str, dir: &std::path::Path) -> (String, Value) {
    let (out, report) = run_with_defects(&[], &["--emulate", emulate], dir);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    (t, report)
}

/// Every skip has a reason, and none calls one of `required` undeclared.
fn none_undeclared(skipped: &[(String, String)], required: &[&str]) {
    for (name, why) in skipped {
        assert!(!why.is_empty(), "{name} is skipped without a reason");
        if let Some(names) = why.strip_prefix("not declared by the target: ") {
            for n in names.split(", ") {
                assert!(!required.contains(&n), "{name}: {why}");
            }
        }
    }
}

/// What every run against a server that is the RFC's but for its endpoints shows: nothing
/// failed or blocked, at least 70 % ran, every skip has a reason that names no RFC-required
/// attribute as undeclared, the summary counts the skips by reason, and the endpoint form is
/// one finding naming what was written.
fn assert_planned_as_rfc(t: &str, report: &Value, written: &str) {
    assert_eq!(failed(report), Vec::<String>::new(), "{t}");
    assert_eq!(report["blocked"], 0, "{t}");
    let total = report["cases"].as_array().unwrap().len();
    let skipped = skips(report);
    assert!(
        (total - skipped.len()) * 10 >= total * 7,
        "{} of {total} cases skipped:\n{t}",
        skipped.len()
    );
    none_undeclared(&skipped, &RFC_REQUIRED);
    if !skipped.is_empty() {
        assert_eq!(
            t.matches(&format!("skipped {}: ", skipped.len())).count(),
            1,
            "{t}"
        );
    }
    let findings = report["discovery"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["requirement"], "C-discovery-02");
    assert_eq!(findings[0]["level"], "SHOULD");
    let message = findings[0]["message"].as_str().unwrap();
    assert!(message.contains(written), "{message}");
    assert_eq!(
        t.matches("warning: discovery (SHOULD C-discovery-02)")
            .count(),
        1,
        "{t}"
    );
}

#[test]
fn absolute_and_base_path_endpoints_are_planned_as_relative_ones() {
    let dir = temp_dir("endpoints");
    let (t, rfc) = run_emulating("rfc", &dir);
    assert!(rfc.get("discovery").is_none(), "{t}");
    // The same server but for its endpoints skips the same cases for the same reasons.
    let want = skips(&rfc);

    let (t, report) = run_emulating("absolute-endpoints", &dir);
    assert_planned_as_rfc(&t, &report, "http://127.0.0.1:");
    assert!(t.contains("/scim/v2/Users"), "{t}");
    assert_eq!(skips(&report), want, "{t}");

    let profile = dir.join("base-path.yaml");
    let absolute =
        std::fs::read_to_string(root().join("fixtures/profiles/absolute-endpoints.yaml")).unwrap();
    std::fs::write(
        &profile,
        absolute
            .replace("name: absolute-endpoints", "name: base-path")
            .replace(
                "resource_type_endpoints: absolute",
                "resource_type_endpoints: base_path",
            ),
    )
    .unwrap();
    let (t, report) = run_emulating(profile.to_str().unwrap(), &dir);
    assert_planned_as_rfc(&t, &report, "\"/scim/v2/Users\"");
    assert_eq!(skips(&report), want, "{t}");
}

/// A server declaring less (`minimal`) skips for many reasons: the summary's head line counts
/// each, as the report's cases give it, each reason's cases follow, and no reason calls an
/// RFC-required attribute undeclared.
#[test]
fn the_summary_counts_the_skipped_cases_by_reason() {
    let dir = temp_dir("skips-by-reason");
    let (t, report) = run_emulating("minimal", &dir);
    let skipped = skips(&report);
    assert_eq!(report["skipped"], skipped.len());
    let head = t
        .lines()
        .find(|l| l.starts_with("skipped "))
        .unwrap_or_else(|| panic!("no skipped line:\n{t}"));
    assert!(
        head.starts_with(&format!("skipped {}: ", skipped.len())),
        "{head}"
    );
    let mut reasons: Vec<&str> = skipped.iter().map(|(_, why)| why.as_str()).collect();
    reasons.sort();
    reasons.dedup();
    assert!(reasons.len() > 3, "{reasons:?}");
    for why in reasons {
        let n = skipped.iter().filter(|(_, w)| w == why).count();
        assert!(
            head.contains(&format!("{n} {why}")),
            "{n} {why} not in {head}"
        );
        assert!(t.contains(&format!("\n    {why}: ")), "{why}:\n{t}");
    }
    // Its User does not declare the User's own, optional, displayName (RFC 7643 §4.1.1).
    none_undeclared(&skipped, &["userName", "schemas", "id"]);
}
