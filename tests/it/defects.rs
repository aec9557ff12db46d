//! Every defect switch of the bundled server must make exactly the cases about its rule
//! fail: a check that cannot fail is a defect, and so is one that fails for the wrong reason.

use crate::common;
use common::*;

/// Runs the bundled server with `defect` on (and `extra` arguments) and checks that exactly
/// `expected` fail or warn.
fn assert_fails_exactly(defect: &str, extra: &[&str], expected: &[&str]) {
    let dir = temp_dir(&format!("defect-{defect}"));
    let (out, report) = run_with_defects(&[defect], extra, &dir);
    let mut got = failed(&report);
    got.extend(warned(&report));
    got.sort();
    let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(
        got, want,
        "{defect}: the failing cases differ from the cases about its rule"
    );
    // A broken MUST fails the run, a case's or a response invariant's; a broken SHOULD or
    // MAY is a warning that lets it pass.
    let invariants = report["invariants"]
        .as_array()
        .is_some_and(|i| i.iter().any(|i| i["level"] == "MUST"));
    let code = if failed(&report).is_empty() && !invariants {
        0
    } else {
        1
    };
    assert_eq!(out.status.code(), Some(code), "{defect}\n{}", text(&out));
    if code == 0 {
        assert!(
            text(&out).contains("warnings: "),
            "{defect}: warnings are shown"
        );
    }
    for case in report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "failed" || c["status"] == "warning")
    {
        let msg = case["message"].as_str().unwrap_or_default();
        // A failed check shows what was sent and what came back; a feature that works
        // though it is not advertised says which one.
        let explained =
            (msg.contains("✗") && msg.contains("request:")) || msg.contains("not advertise it");
        assert!(explained, "{defect}: thin message: {msg}");
        let script = case["reproduction"].as_str().unwrap_or_default();
        assert!(
            script.contains("curl "),
            "{defect}: no reproduction: {case}"
        );
    }
}

macro_rules! defect_tests {
    ($($test:ident: $defect:literal $(with [$($arg:literal),+])? => [$($case:literal),+ $(,)?];)+) => {
        $(#[test] fn $test() {
            assert_fails_exactly($defect, &[$($($arg),+)?], &[$($case),+]);
        })+

        #[test]
        fn every_precisely_tested_switch_exists() {
            let out = run(&["serve", "--list-defects"]);
            let listed: Vec<String> = String::from_utf8_lossy(&out.stdout)
                .lines().map(|l| l.split_whitespace().next().unwrap().to_string()).collect();
            // `overload` breaks no rule: tests/trust.rs shows it fails no case. An empty create
            // body blocks every case that creates: tests/okta.rs holds it to Okta's cases. A
            // filter failing on missing attributes, or answering 500 for sub-attributes, is
            // one fault that blocks cases: tests/scaffolding.rs holds them to that. A user's groups are optional:
            // tests/verdicts.rs shows them not offered.
            let tested = [$($defect),+, "overload", "empty-create-body", "filter-fails-on-missing", "sub-attribute-filter-500", "user-groups-missing"];
            // The others are held to their rows by switches::every_switch_is_caught_by_its_row.
            for d in &tested { assert!(listed.iter().any(|l| l == d), "no defect {d}"); }
        }
    };
}

defect_tests! {
    create_200: "create-200" => [
        "bulk::bulk_created_ids_hold_no_bulk_id",
        "bulk::bulk_id_references_resolve",
        "groups::create_group_answers_201",
        "resources::attribute_names_are_case_insensitive_on_input",
        "resources::enterprise_extension_round_trips",
        "resources::manager_display_name_is_not_taken_from_the_request",
        "resources::meta_and_ids_are_well_formed",
        "users-create::create_answers_201_with_the_resource",
        "users-create::meta_location_is_the_resource_uri",
        "users-create::read_only_id_in_a_create_is_ignored",
    ];
    no_location_header: "no-location-header" => ["users-create::create_answers_201_with_the_resource"];
    meta_location_wrong: "meta-location-wrong" => [
        "resources::meta_location_survives_a_replace",
        "users-create::meta_location_is_the_resource_uri",
    ];
    client_id_accepted: "client-id-accepted" => ["users-create::read_only_id_in_a_create_is_ignored"];
    duplicate_user_name: "duplicate-user-name" => [
        "resources::username_uniqueness_ignores_case",
        "users-create::duplicate_username_answers_409_rather_than_400",
        "users-create::duplicate_username_is_409_uniqueness",
        "users-create::duplicate_username_scim_type_is_uniqueness",
        "users::put_colliding_username_is_409",
    ];
    not_found_without_body: "not-found-without-body" => [
        "users::delete_answers_204_then_404",
        "users::get_unknown_id_is_404_with_error_body",
    ];
    error_status_number: "error-status-number" => [
        "auth::unauthorized_has_scim_error_body",
        "bulk::more_operations_than_max_operations_is_413",
        "bulk::payload_over_max_payload_size_is_413",
        "cursor::invalid_cursor_is_400",
        "cursor::tampered_cursor_is_400",
        "discovery::filter_on_discovery_is_403",
        "filters::invalid_filter_is_400_invalid_filter",
        "filters::malformed_filter_is_400",
        "patch::op_must_be_add_remove_or_replace",
        "patch::read_only_target_is_mutability",
        "patch::wrong_type_is_invalid_value",
        "resources::username_uniqueness_ignores_case",
        "users-create::duplicate_username_is_409_uniqueness",
        "users-create::invalid_json_is_400",
        "users-create::missing_username_is_400",
        "users::delete_answers_204_then_404",
        "users::get_unknown_id_is_404_with_error_body",
        "users::patch_is_atomic",
        "users::put_colliding_username_is_409",
    ];
    json_content_type: "json-content-type" => [
        "discovery::service_provider_config",
        "users-create::create_answers_201_with_the_resource",
        "users::get_by_id",
    ];
    auth_ignored: "auth-ignored" => [
        "auth::missing_token_is_401",
        "auth::unauthorized_has_scim_error_body",
        "auth::wrong_token_is_401",
    ];
    list_ignores_filter: "list-ignores-filter" => [
        "cursor::previous_cursor_leads_back",
        "cursor::search_walks_by_cursor",
        "cursor::walk_by_next_cursor_visits_each_match_once",
        "filters::and_before_or_with_and_without_parentheses",
        "filters::and_binds_tighter_than_or",
        "filters::attribute_names_are_case_insensitive",
        "filters::co_compares_per_case_exact",
        "filters::co_matches_a_substring",
        "filters::complex_value_filter",
        "filters::ew_compares_per_case_exact",
        "filters::ew_matches_a_suffix",
        "filters::extension_attributes_by_urn_qualified_name",
        "filters::gt_and_le_on_strings_per_case_exact",
        "filters::logical_operators_are_case_insensitive",
        "filters::ne_compares_per_case_exact",
        "filters::ne_matches_the_others",
        "filters::operators_are_case_insensitive",
        "filters::ordering_a_boolean_is_400",
        "filters::ordering_operators_compare_strings_and_dates",
        "filters::parentheses_and_not_group",
        "filters::pr_matches_assigned_values",
        "filters::strings_compare_per_case_exact",
        "filters::sub_attributes_and_multi_valued",
        "filters::sw_compares_per_case_exact",
        "filters::sw_matches_a_prefix",
        "filters::urn_qualified_names",
        "groups::filter_displayname_eq",
        "paging::count_limits_the_page",
        "paging::count_zero_gives_only_the_total",
        "paging::items_per_page_counts_the_page",
        "paging::negative_count_is_zero",
        "paging::pages_walk_every_match_once",
        "paging::sort_by_a_multi_valued_attribute_uses_the_primary_value",
        "paging::sort_by_username_ascending",
        "paging::sort_descending",
        "paging::start_index_below_one_is_one",
        "paging::start_index_is_one_based",
        "users::deleted_user_leaves_query_results",
        "users::filter_externalid_eq_finds_the_user",
        "users::filter_matching_nothing_is_200_and_empty",
        "users::filter_username_eq_finds_the_user",
    ];
    co_as_eq: "co-as-eq" => [
        "filters::co_compares_per_case_exact",
        "filters::co_matches_a_substring",
        "filters::complex_value_filter",
    ];
    filter_case_sensitive: "filter-case-sensitive" => [
        "filters::co_compares_per_case_exact",
        "filters::ew_compares_per_case_exact",
        "filters::gt_and_le_on_strings_per_case_exact",
        "filters::ne_compares_per_case_exact",
        "filters::strings_compare_per_case_exact",
        "filters::sw_compares_per_case_exact",
    ];
    filter_names_case_sensitive: "filter-names-case-sensitive" => ["filters::attribute_names_are_case_insensitive"];
    bad_filter_500: "bad-filter-500" => [
        "filters::invalid_filter_is_400_invalid_filter",
        "filters::malformed_filter_is_400",
    ];
    sort_ignored: "sort-ignored" => [
        "paging::pages_walk_every_match_once",
        "paging::resources_without_the_sort_value_come_last",
        "paging::sort_by_a_multi_valued_attribute_uses_the_primary_value",
        "paging::sort_by_username_ascending",
        "paging::sort_descending",
        "paging::start_index_below_one_is_one",
        "paging::start_index_is_one_based",
    ];
    total_results_page_size: "total-results-page-size" => [
        "paging::count_limits_the_page",
        "paging::count_zero_gives_only_the_total",
        "paging::items_per_page_counts_the_page",
        "paging::negative_count_is_zero",
        "paging::start_index_is_one_based",
    ];
    start_index_zero_based: "start-index-zero-based" => [
        "paging::items_per_page_counts_the_page",
        "paging::pages_walk_every_match_once",
        "paging::start_index_is_one_based",
        "search::search_on_a_resource_type",
    ];
    count_ignored: "count-ignored" => [
        "cursor::count_zero_gives_no_resources",
        "cursor::default_method_index_is_used",
        "cursor::first_page_has_no_previous_cursor",
        "cursor::first_page_with_an_empty_cursor",
        "cursor::negative_count_is_zero",
        "cursor::previous_cursor_leads_back",
        "cursor::search_walks_by_cursor",
        "cursor::tampered_cursor_is_400",
        "cursor::walk_by_next_cursor_visits_each_match_once",
        "paging::count_limits_the_page",
        "paging::count_zero_gives_only_the_total",
        "paging::negative_count_is_zero",
    ];
    excluded_attributes_ignored: "excluded-attributes-ignored" => [
        "attributes::excluded_attributes_removes_them",
        "groups::excluded_attributes_members",
        "search::search_honours_the_body",
    ];
    password_returned: "password-returned" => [
        "attributes::returned_never_is_never_returned",
        "resources::password_is_never_returned",
    ];
    put_keeps_omitted: "put-keeps-omitted" => ["users::put_clears_omitted_attributes"];
    patch_remove_ignored: "patch-remove-ignored" => [
        "groups::patch_remove_member_by_value_filter",
        "patch::remove_multi_valued_removes_all",
        "patch::remove_required_is_mutability",
        "patch::remove_sub_attribute_of_filtered_values",
        "patch::remove_with_a_value_filter",
        "users::patch_remove_unassigns",
    ];
    patch_not_atomic: "patch-not-atomic" => ["users::patch_is_atomic"];
    patch_filtered_remove_widens: "patch-filtered-remove-widens" => [
        "patch::remove_sub_attribute_of_filtered_values",
    ];
    patch_filtered_replace_merges: "patch-filtered-replace-merges" => [
        "patch::replace_with_a_value_filter_replaces_values_whole",
    ];
    patch_filtered_replace_widens: "patch-filtered-replace-widens" => [
        "patch::replace_with_a_value_filter",
    ];
    etag_unchanged: "etag-unchanged" => [
        "etag::stale_if_match_is_412",
        "etag::version_changes_with_the_resource",
    ];
    if_match_ignored: "if-match-ignored" => ["etag::stale_if_match_is_412"];
    delete_200: "delete-200" => [
        "groups::delete_group_answers_204",
        "groups::deleting_a_user_removes_its_memberships",
        "users::delete_answers_204_then_404",
        "users::deleted_user_leaves_query_results",
    ];
    delete_keeps_resource: "delete-keeps-resource" => [
        "groups::delete_group_answers_204",
        "users::delete_answers_204_then_404",
        "users::deleted_user_leaves_query_results",
    ];
    bulk_id_unresolved: "bulk-id-unresolved" => ["bulk::bulk_id_references_resolve"];
    bulk_limits_ignored: "bulk-limits-ignored" => [
        "bulk::more_operations_than_max_operations_is_413",
        "bulk::payload_over_max_payload_size_is_413",
    ];
    understated_features: "understated-features" => [
        "bulk::bulk_created_ids_hold_no_bulk_id",
        "bulk::bulk_id_references_resolve",
        "bulk::fail_on_errors_stops_processing",
        "bulk::unresolvable_bulk_id_is_409",
        "bulk::without_fail_on_errors_every_operation_is_tried",
        "etag::etag_header_is_meta_version",
        "etag::if_none_match_current_is_304",
        "etag::version_changes_with_the_resource",
        "paging::pages_walk_every_match_once",
        "paging::resources_without_the_sort_value_come_last",
        "paging::sort_by_a_multi_valued_attribute_uses_the_primary_value",
        "paging::sort_by_username_ascending",
        "paging::sort_descending",
        "paging::start_index_below_one_is_one",
        "paging::start_index_is_one_based",
    ];
    max_results_ignored: "max-results-ignored" with ["--emulate", "tests/data/profiles/small-limits.yaml"] => ["paging::count_above_max_results_is_reduced"];
    active_as_string: "active-as-string" => [
        "attributes::attributes_limits_the_response",
        "attributes::excluded_attributes_removes_them",
        "attributes::projection_applies_to_lists",
        "attributes::projection_applies_to_writes",
        "attributes::returned_never_is_never_returned",
        "attributes::sub_attributes_can_be_selected",
        "cursor::count_zero_gives_no_resources",
        "cursor::default_method_index_is_used",
        "cursor::first_page_has_no_previous_cursor",
        "cursor::first_page_with_an_empty_cursor",
        "cursor::invalid_cursor_is_400",
        "cursor::negative_count_is_zero",
        "cursor::pagination_is_published",
        "cursor::previous_cursor_leads_back",
        "cursor::search_walks_by_cursor",
        "cursor::tampered_cursor_is_400",
        "cursor::walk_by_next_cursor_visits_each_match_once",
        "discovery::resources_match_the_declared_schemas",
        "etag::etag_header_is_meta_version",
        "etag::if_none_match_current_is_304",
        "etag::stale_if_match_is_412",
        "etag::version_changes_with_the_resource",
        "filters::and_before_or_with_and_without_parentheses",
        "filters::and_binds_tighter_than_or",
        "filters::attribute_names_are_case_insensitive",
        "filters::co_compares_per_case_exact",
        "filters::co_matches_a_substring",
        "filters::complex_value_filter",
        "filters::ew_compares_per_case_exact",
        "filters::ew_matches_a_suffix",
        "filters::extension_attributes_by_urn_qualified_name",
        "filters::gt_and_le_on_strings_per_case_exact",
        "filters::invalid_filter_is_400_invalid_filter",
        "filters::logical_operators_are_case_insensitive",
        "filters::malformed_filter_is_400",
        "filters::ne_compares_per_case_exact",
        "filters::ne_matches_the_others",
        "filters::operators_are_case_insensitive",
        "filters::ordering_a_boolean_is_400",
        "filters::ordering_operators_compare_strings_and_dates",
        "filters::parentheses_and_not_group",
        "filters::pr_matches_assigned_values",
        "filters::strings_compare_per_case_exact",
        "filters::sub_attributes_and_multi_valued",
        "filters::sw_compares_per_case_exact",
        "filters::sw_matches_a_prefix",
        "filters::urn_qualified_names",
        "groups::create_group_answers_201",
        "groups::delete_group_answers_204",
        "groups::deleting_a_user_removes_its_memberships",
        "groups::excluded_attributes_members",
        "groups::filter_displayname_eq",
        "groups::get_group_by_id",
        "groups::groups_can_contain_groups",
        "groups::patch_add_member",
        "groups::patch_remove_member_by_value_filter",
        "groups::unknown_member_is_accepted_or_refused",
        "groups::user_groups_attribute_is_read_only",
        "groups::user_groups_reflect_membership",
        "paging::count_above_max_results_is_reduced",
        "paging::count_limits_the_page",
        "paging::count_zero_gives_only_the_total",
        "paging::items_per_page_counts_the_page",
        "paging::negative_count_is_zero",
        "paging::pages_walk_every_match_once",
        "paging::resources_without_the_sort_value_come_last",
        "paging::sort_by_a_multi_valued_attribute_uses_the_primary_value",
        "paging::sort_by_username_ascending",
        "paging::sort_descending",
        "paging::start_index_below_one_is_one",
        "paging::start_index_is_one_based",
        "patch::active_toggles",
        "patch::add_of_a_present_value_changes_nothing",
        "patch::add_of_a_present_value_succeeds",
        "patch::add_replaces_a_set_single_value",
        "patch::add_to_multi_valued_appends",
        "patch::add_without_path_merges",
        "patch::errors_name_the_table_9_scim_type",
        "patch::extension_urn_paths",
        "patch::last_modified_advances_on_change",
        "patch::op_must_be_add_remove_or_replace",
        "patch::operations_apply_in_order",
        "patch::patch_unknown_id_is_404",
        "patch::primary_is_exclusive",
        "patch::read_only_target_is_mutability",
        "patch::remove_multi_valued_removes_all",
        "patch::remove_required_is_mutability",
        "patch::remove_sub_attribute_of_filtered_values",
        "patch::remove_with_a_value_filter",
        "patch::remove_without_path_is_no_target",
        "patch::replace_complex_keeps_other_sub_attributes",
        "patch::replace_multi_valued_replaces_all",
        "patch::replace_of_a_missing_attribute_adds_it",
        "patch::replace_with_a_value_filter",
        "patch::replace_with_a_value_filter_replaces_values_whole",
        "patch::replace_without_path",
        "patch::unassigning_with_null_or_empty",
        "patch::value_filter_matching_nothing_is_no_target",
        "patch::wrong_type_is_invalid_value",
        "resources::attribute_names_are_case_insensitive_on_input",
        "resources::enterprise_extension_round_trips",
        "resources::extension_attributes_sit_under_their_urn",
        "resources::external_id_is_kept_as_sent",
        "resources::ids_are_unique_across_resource_types",
        "resources::manager_display_name_is_not_taken_from_the_request",
        "resources::meta_and_ids_are_well_formed",
        "resources::meta_location_survives_a_replace",
        "resources::multi_valued_types_are_canonical",
        "resources::password_is_never_returned",
        "resources::undeclared_extension_is_not_listed",
        "resources::username_uniqueness_ignores_case",
        "search::me_unsupported_is_501",
        "search::search_at_the_root",
        "search::search_honours_the_body",
        "search::search_on_a_resource_type",
        "users-create::accepts_application_json_requests",
        "users-create::create_answers_201_with_the_resource",
        "users-create::duplicate_username_answers_409_rather_than_400",
        "users-create::duplicate_username_is_409_uniqueness",
        "users-create::duplicate_username_scim_type_is_uniqueness",
        "users-create::meta_location_is_the_resource_uri",
        "users-create::non_ascii_values_are_accepted",
        "users-create::non_ascii_values_round_trip",
        "users-create::read_only_id_in_a_create_is_ignored",
        "users::delete_answers_204_then_404",
        "users::delete_unknown_id_is_404",
        "users::deleted_user_leaves_query_results",
        "users::filter_externalid_eq_finds_the_user",
        "users::filter_matching_nothing_is_200_and_empty",
        "users::filter_username_eq_finds_the_user",
        "users::get_by_id",
        "users::get_unknown_id_is_404_with_error_body",
        "users::optional_attributes_read_back",
        "users::patch_add_sets_a_missing_attribute",
        "users::patch_is_atomic",
        "users::patch_remove_unassigns",
        "users::patch_replace_filtered_sub_attribute",
        "users::patch_replace_single_valued",
        "users::put_answers_200_with_the_resource",
        "users::put_clears_omitted_attributes",
        "users::put_colliding_username_is_409",
        "users::put_ignores_read_only_values",
        "users::put_replaces_the_given_values",
        "users::put_unknown_id_is_404",
        "users::unknown_endpoint_is_404_or_501",
    ];
    patch_op_case_sensitive: "patch-op-case-sensitive" with ["--suite", "suites/entra/*.yaml"] => [
        "entra-groups::add_and_remove_members_by_value",
        "entra-groups::rename",
        "entra-users::disable_and_enable",
        "entra-users::manager_by_urn_path",
        "entra-users::update_attributes_one_operation_each",
    ];
    string_booleans_rejected: "string-booleans-rejected" with ["--suite", "suites/entra/*.yaml"] => ["entra-users::disable_and_enable"];
    next_cursor_on_last_page: "next-cursor-on-last-page" => [
        "cursor::previous_cursor_leads_back",
        "cursor::search_walks_by_cursor",
        "cursor::walk_by_next_cursor_visits_each_match_once",
    ];
    cursor_walk_repeats: "cursor-walk-repeats" => [
        "cursor::search_walks_by_cursor",
        "cursor::walk_by_next_cursor_visits_each_match_once",
    ];
    previous_cursor_on_first_page: "previous-cursor-on-first-page" => [
        "cursor::first_page_has_no_previous_cursor",
    ];
    invalid_cursor_500: "invalid-cursor-500" => [
        "cursor::invalid_cursor_is_400",
        "cursor::tampered_cursor_is_400",
    ];
    pathless_replace_refused: "pathless-replace-refused" with ["--suite", "suites/rfc*/*.yaml", "--suite", "suites/okta/*.yaml"] => [
        "okta-groups::rename_with_id_in_the_value",
        "okta-users::deactivate_and_reactivate",
        "okta-users::password_sync",
        "okta-users::profile_update_by_patch",
        "patch::replace_without_path",
    ];
    readonly_id_in_value_refused: "readonly-id-in-value-refused" with ["--suite", "suites/rfc*/*.yaml", "--suite", "suites/okta/*.yaml"] => ["okta-groups::rename_with_id_in_the_value"];
}
