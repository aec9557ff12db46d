//! Servers that support less than the RFC offers, as it allows: a filter operator declined
//! is a skipped case named once in the summary, not a failure; a vendor's required attribute
//! is one blocked finding that quotes the server and says how to supply the value.

use crate::common::*;

fn ran(report: &serde_json::Value) -> (usize, usize) {
    let total = report["cases"].as_array().unwrap().len();
    (total - with_status(report, "skipped").len(), total)
}

#[test]
fn a_narrow_server_fails_nothing_and_its_declined_operators_are_listed_once() {
    let dir = temp_dir("narrow");
    let (out, report) = run_with_defects(&[], &["--emulate", "narrow"], &dir);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert_eq!(failed(&report), Vec::<String>::new());
    assert_eq!(
        t.matches("filter operators and PATCH path forms declined")
            .count(),
        1,
        "{t}"
    );
    let declined = report["declined"].as_array().unwrap();
    for op in ["userName sw", "name.familyName co", "or"] {
        assert!(declined.iter().any(|d| d == op), "{op} not in {declined:?}");
    }
    // Its `eq` on userName is supported: no case about it is declined.
    assert!(!declined.iter().any(|d| d == "userName eq"), "{declined:?}");
    let c = case(&report, "filters::sw_matches_a_prefix");
    assert_eq!(c["status"], "skipped");
    assert!(
        c["message"].as_str().unwrap().contains("userName sw"),
        "{c}"
    );
    assert_eq!(
        case(&report, "users::filter_username_eq_finds_the_user")["status"],
        "passed"
    );
    // Most cases run; those about the operators, sorting and .search it leaves out cannot.
    let (ran, total) = ran(&report);
    assert!(
        ran * 10 >= total * 6,
        "only {ran} of {total} cases ran:\n{t}"
    );
}

/// A vendor emulation that requires `attribute` of a user beyond the RFC.
fn requiring(dir: &std::path::Path, attribute: &str) -> std::path::PathBuf {
    let rfc = std::fs::read_to_string(root().join("fixtures/profiles/rfc.yaml")).unwrap();
    let profile = dir.join("vendor.yaml");
    let required = format!("  required:\n    User: [{attribute}]\n");
    std::fs::write(
        &profile,
        rfc.replace("name: rfc", "name: vendor") + &required,
    )
    .unwrap();
    profile
}

/// A run against `emulate` that fails with most cases blocked by its creates.
fn blocked_run(emulate: &str, dir: &std::path::Path) -> String {
    let (out, report) = run_with_defects(&[], &["--emulate", emulate], dir);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(report["blocked"].as_u64().unwrap() > 50, "{t}");
    t
}

#[test]
fn a_vendor_attribute_is_one_blocked_finding_until_filled() {
    let dir = temp_dir("vendor-attribute");
    let profile = requiring(&dir, "nickName");
    let emulate = profile.to_str().unwrap();
    let t = blocked_run(emulate, &dir);
    assert!(t.contains("blocked by 1 setup failure"), "{t}");
    assert_eq!(
        t.matches("the server said: \"`nickName` is required\"")
            .count(),
        1,
        "{t}"
    );
    assert!(t.contains("--fill 'nickName={{fill_id}}'"), "{t}");

    let filled = dir.join("filled");
    std::fs::create_dir_all(&filled).unwrap();
    let fill = ["--emulate", emulate, "--fill", "nickName={{fill_id}}"];
    let (out, report) = run_with_defects(&[], &fill, &filled);
    assert_eq!(report["blocked"], 0, "{}", text(&out));
    let (ran, total) = ran(&report);
    assert_eq!(ran + 1, total, "{}", text(&out));
}

/// A server that names a required sub-attribute bare (`formatted`, "in `name`") gets a hint
/// with its whole path, read from the target's `/Schemas`, and that hint unblocks the run.
#[test]
fn a_required_sub_attribute_is_hinted_by_its_whole_path() {
    let dir = temp_dir("sub-attribute");
    let profile = requiring(&dir, "name.formatted");
    let emulate = profile.to_str().unwrap();
    let t = blocked_run(emulate, &dir);
    assert!(
        t.contains("the server said: \"`formatted` is required in `name`\""),
        "{t}"
    );
    assert!(t.contains("--fill 'name.formatted={{fill_id}}'"), "{t}");
    assert!(!t.contains("--fill 'formatted="), "{t}");

    let filled = dir.join("filled");
    std::fs::create_dir_all(&filled).unwrap();
    let fill = ["--emulate", emulate, "--fill", "name.formatted={{fill_id}}"];
    let (out, report) = run_with_defects(&[], &fill, &filled);
    assert_eq!(report["blocked"], 0, "{}", text(&out));
}

/// The strict and the other built-in profiles run as many cases as before the fixtures
/// looked like an identity provider's, and fail none.
#[test]
fn the_built_in_profiles_still_fail_nothing() {
    for (emulate, profile, at_least) in [
        ("rfc", "rfc", 143),
        ("minimal", "rfc", 96),
        ("newrelic", "newrelic", 109),
    ] {
        let dir = temp_dir(&format!("profiles-{emulate}"));
        let (out, report) =
            run_with_defects(&[], &["--emulate", emulate, "--profile", profile], &dir);
        assert_eq!(out.status.code(), Some(0), "{emulate}: {}", text(&out));
        assert_eq!(failed(&report), Vec::<String>::new(), "{emulate}");
        let (ran, _) = ran(&report);
        assert!(ran >= at_least, "{emulate}: {ran} ran");
    }
}
