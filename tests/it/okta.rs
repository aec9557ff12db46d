//! `scimitar replay --idp okta`: what Okta's provisioning sends passes against the bundled
//! server in both Okta behaviours, with an Okta attribute mapping's round trips, and a server
//! answering creates without a body fails Okta's creates and blocks the rest.

use crate::common;
use common::*;
use serde_json::Value;

fn replay(args: &[&str], name: &str) -> (std::process::Output, Value) {
    let mut all = vec!["replay", "--idp", "okta"];
    all.extend(args);
    with_report(&all, &format!("okta-{name}"))
}

#[test]
fn both_behaviours_pass_with_the_sample_mapping() {
    let mapping = "fixtures/okta/scim-2-0-test-app.yaml";
    for (behaviour, own, other) in [
        (
            "put-updates",
            "okta-users::profile_update_by_put",
            "okta-users::profile_update_by_patch",
        ),
        (
            "patch-updates",
            "okta-users::profile_update_by_patch",
            "okta-users::profile_update_by_put",
        ),
    ] {
        let (out, report) = replay(&["--behaviour", behaviour, "--mapping", mapping], behaviour);
        assert_eq!(out.status.code(), Some(0), "{behaviour}: {}", text(&out));
        let passed = with_status(&report, "passed");
        let all = names(&report);
        assert_eq!(passed, all, "{behaviour}: everything passes");
        assert!(all.iter().any(|n| n == own), "{all:?}");
        assert!(!all.iter().any(|n| n == other), "{all:?}");
        assert!(all.iter().any(|n| n == "okta-users::password_sync"));
        let mapped: Vec<&String> = all
            .iter()
            .filter(|n| n.starts_with("okta-mapping-scim-2-0-test-app::"))
            .collect();
        assert_eq!(mapped.len(), 12, "{mapped:?}");
    }
    // The PUT behaviour's round trips send the whole user; the PATCH one only the change.
    let (_, report) = replay(&["--mapping", mapping], "default-behaviour");
    let sent = case(&report, "okta-mapping-scim-2-0-test-app::user_title")["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["exchange"]["request"]["method"].as_str())
        .any(|m| m == "PUT");
    assert!(sent, "put-updates is the default behaviour");
}

#[test]
fn an_unknown_behaviour_is_a_usage_error() {
    let out = run(&["replay", "--idp", "okta", "--behaviour", "compliant"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out)
            .contains("Okta has no behaviour `compliant`: give one of put-updates, patch-updates"),
        "{}",
        text(&out)
    );
    let out = run(&["replay", "--idp", "ping"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("give one of entra, okta"),
        "{}",
        text(&out)
    );
}

#[test]
fn an_empty_create_body_fails_okta_s_creates_and_blocks_the_rest() {
    let (out, report) = replay(&["--defect", "empty-create-body"], "empty-create");
    assert_eq!(out.status.code(), Some(1), "blocked cases fail the run");
    let mut got = with_status(&report, "warning");
    got.extend(with_status(&report, "failed"));
    got.sort();
    assert_eq!(
        got,
        [
            "okta-create::create_user_answers_201_with_the_user",
            "okta-create::push_group_answers_201_with_the_group",
        ]
    );
    let msg = case(
        &report,
        "okta-create::create_user_answers_201_with_the_user",
    )["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("Okta's Create user would fail: POST answered 201"),
        "{msg}"
    );
    // Every other case needs an id from a create's body: blocked, and says which create.
    let blocked = with_status(&report, "blocked");
    assert_eq!(blocked.len() + got.len(), names(&report).len());
    let msg = case(&report, "okta-users::deactivate_and_reactivate")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("Okta's Create user would fail"), "{msg}");
}
