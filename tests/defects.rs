//! Every defect switch of the bundled server must make exactly the cases about its rule
//! fail: a check that cannot fail is a defect, and so is one that fails for the wrong reason.

mod common;
use common::*;

fn assert_fails_exactly(defect: &str, expected: &[&str]) {
    let dir = temp_dir(&format!("defect-{defect}"));
    let (out, report) = run_with_defects(&[defect], &dir);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{defect}: the run must fail\n{}",
        text(&out)
    );
    let mut got = failed(&report);
    got.sort();
    let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(
        got, want,
        "{defect}: the failing cases differ from the cases about its rule"
    );
    for case in report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "failed")
    {
        let msg = case["message"].as_str().unwrap_or_default();
        assert!(
            msg.contains("✗") && msg.contains("request:") && msg.contains("reproduce:"),
            "{defect}: thin message: {msg}"
        );
    }
}

macro_rules! defect_tests {
    ($($test:ident: $defect:literal => [$($case:literal),+ $(,)?];)+) => {
        $(#[test] fn $test() { assert_fails_exactly($defect, &[$($case),+]); })+

        #[test]
        fn every_defect_switch_has_a_test() {
            let out = run(&["serve", "--list-defects"]);
            let listed: Vec<String> = String::from_utf8_lossy(&out.stdout)
                .lines().map(|l| l.split_whitespace().next().unwrap().to_string()).collect();
            let tested = [$($defect),+];
            assert_eq!(listed.len(), tested.len(), "listed: {listed:?}");
            for d in &listed { assert!(tested.contains(&d.as_str()), "no test for defect {d}"); }
        }
    };
}

defect_tests! {
    create_200: "create-200" => [
        "users-create::create_answers_201_with_the_resource",
        "groups::create_group_answers_201",
    ];
    no_location_header: "no-location-header" => ["users-create::create_answers_201_with_the_resource"];
    duplicate_user_name: "duplicate-user-name" => [
        "users-create::duplicate_username_is_409_uniqueness",
        "users-create::username_uniqueness_ignores_case",
    ];
    list_ignores_filter: "list-ignores-filter" => [
        "users::filter_username_eq_finds_the_user",
        "users::filter_externalid_eq_finds_the_user",
        "users::filter_matching_nothing_is_200_and_empty",
        "users::deleted_user_leaves_query_results",
        "groups::filter_displayname_eq",
    ];
    json_content_type: "json-content-type" => [
        "discovery::service_provider_config",
        "users-create::create_answers_201_with_the_resource",
        "users::get_by_id",
    ];
    not_found_without_body: "not-found-without-body" => [
        "users::get_unknown_id_is_404_with_error_body",
        "users::delete_answers_204_then_404",
    ];
    auth_ignored: "auth-ignored" => [
        "auth::missing_token_is_401",
        "auth::wrong_token_is_401",
        "auth::unauthorized_has_scim_error_body",
    ];
    patch_remove_ignored: "patch-remove-ignored" => [
        "users::patch_remove_unassigns",
        "groups::patch_remove_member_by_value_filter",
    ];
    delete_200: "delete-200" => [
        "users::delete_answers_204_then_404",
        "users::deleted_user_leaves_query_results",
        "groups::delete_group_answers_204",
    ];
    password_returned: "password-returned" => ["users-create::password_is_never_returned"];
    delete_keeps_resource: "delete-keeps-resource" => [
        "users::delete_answers_204_then_404",
        "users::deleted_user_leaves_query_results",
        "groups::delete_group_answers_204",
    ];
}
