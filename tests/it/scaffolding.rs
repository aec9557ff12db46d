//! A case rests only on what the target has shown it does: what it sends is fitted to what
//! the target declares, what it created is read back before it is leant on, and a fault in
//! what it leans on is reported once, under its own rule, with the case blocked.

use serde_json::Value;

use crate::common;
use common::*;

/// Runs every suite against the bundled server emulating `profile`, which must pass: exit
/// 0, nothing failed, nothing blocked. Returns the output and the JSON report.
fn passes_on(profile: &str, name: &str) -> (String, Value) {
    let dir = temp_dir(name);
    let (out, report) = run_with_defects(&[], &["--emulate", profile], &dir);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert_eq!(failed(&report), Vec::<String>::new(), "{all}");
    assert_eq!(
        with_status(&report, "blocked"),
        Vec::<String>::new(),
        "{all}"
    );
    (all, report)
}

/// A server whose ids are numbers (`17`), as one keyed by database rows: no case leans on
/// an id having letters or a UUID's form.
#[test]
fn ids_that_are_numbers_fail_nothing() {
    let (all, serial) = passes_on("tests/data/profiles/serial-ids.yaml", "scaffolding-serial");
    let (_, uuid) = passes_on("rfc", "scaffolding-uuid");
    assert_eq!(skips(&serial), skips(&uuid), "{all}");
}

/// A server that declares emails with only `value` and `primary` and refuses any member it
/// does not declare with 400 invalidSyntax (RFC 7644 §3.3 lets it): what the identity
/// provider's defaults and the profile add is fitted before it leaves, so nothing fails or
/// is blocked, most cases run, and no skip blames an attribute RFC 7643 requires.
#[test]
fn a_server_refusing_what_it_does_not_declare_passes() {
    let (all, report) = passes_on("strict", "scaffolding-strict");
    let total = names(&report).len();
    let skipped = skips(&report);
    assert!(
        (total - skipped.len()) * 10 >= total * 7,
        "{} of {total} skipped:\n{all}",
        skipped.len()
    );
    for (name, why) in &skipped {
        assert!(!why.is_empty(), "{name} is skipped without a reason");
        for required in ["userName", "displayName", "schemas"] {
            assert!(
                !why.contains(&format!("declared by the target: {required}")),
                "{name}: {why}"
            );
        }
    }
}

/// A server keeping one email of two (RFC 7644 §3.3): the cases leaning on the second (carol's
/// home address, the paging users' primary addresses) are skipped with what the create's
/// answer showed, not failed.
#[test]
fn data_the_target_did_not_keep_skips_what_leans_on_it() {
    let (all, report) = passes_on(
        "tests/data/profiles/one-email.yaml",
        "scaffolding-one-email",
    );
    let lost: Vec<String> = skips(&report)
        .into_iter()
        .filter(|(_, why)| why.contains("the target kept 1 of 2 emails"))
        .map(|(name, _)| name)
        .collect();
    for name in [
        "filters::sub_attributes_and_multi_valued",
        "paging::sort_by_a_multi_valued_attribute_uses_the_primary_value",
    ] {
        assert!(lost.contains(&name.to_string()), "{name}: {lost:?}\n{all}");
    }
}

/// A server whose email validator takes letters, digits, dots and hyphens only: the suites'
/// own data passes it, the paging suite's decoys included.
#[test]
fn setup_data_passes_a_strict_email_validator() {
    let (all, report) = passes_on(
        "tests/data/profiles/plain-emails.yaml",
        "scaffolding-plain-emails",
    );
    assert_eq!(
        case(&report, "paging::sort_descending")["status"],
        "passed",
        "{all}"
    );
}

/// Runs every suite against the bundled server with `defect` on, which breaks the filter
/// rule: the run fails (exit 1) with exactly one fault under P-filter-03 and nothing failed
/// under its own rule; every blocked case (there is one at least) is blocked by that fault.
/// Returns the output, the report and the fault.
fn one_filter_fault(defect: &str, name: &str) -> (String, Value, Value) {
    let dir = temp_dir(name);
    let (out, report) = run_with_defects(&[defect], &[], &dir);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert_eq!(failed(&report), Vec::<String>::new(), "{all}");
    let faults = report["faults"].as_array().expect("faults");
    assert_eq!(faults.len(), 1, "{all}");
    assert_eq!(faults[0]["rule"], "P-filter-03");
    let blocked = with_status(&report, "blocked");
    assert!(!blocked.is_empty(), "{all}");
    for name in &blocked {
        assert_eq!(case(&report, name)["fault"], "P-filter-03", "{name}");
    }
    let fault = faults[0].clone();
    (all, report, fault)
}

/// A filter that answers 400 while any stored resource lacks an attribute it names (a
/// fault: RFC 7644 lines 931-932 return the resources matching): one finding under the
/// filter rule, the cases leaning on the filter blocked (and counted so), none failed under
/// its own rule.
#[test]
fn a_filter_answered_by_the_data_stored_is_one_fault() {
    let (all, report, fault) =
        one_filter_fault("filter-fails-on-missing", "scaffolding-filter-fault");
    let blocked = with_status(&report, "blocked");
    let by_fault: Vec<String> = fault["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(by_fault, blocked, "{all}");
    assert_eq!(report["blocked"], blocked.len());
    assert!(
        all.contains(&format!(
            "{} blocked by 1 fault in what",
            if blocked.len() == 1 {
                "1 case".to_string()
            } else {
                format!("{} cases", blocked.len())
            }
        )),
        "{all}"
    );
}

/// A server taking plain PATCH paths only (RFC 7644 Table 9: 400 invalidPath for a path it
/// cannot act on): each case using a value filter in a path is skipped with the form the
/// probe found declined, listed once, and nothing fails; the same cases fail on a server that
/// takes the form but gets it wrong.
#[test]
fn a_declined_patch_path_form_skips_the_cases_that_need_it() {
    let (_, report) = passes_on(
        "tests/data/profiles/plain-patch-paths.yaml",
        "scaffolding-patch-paths",
    );
    for name in [
        "patch::replace_with_a_value_filter",
        "users::patch_replace_filtered_sub_attribute",
        "patch::value_filter_matching_nothing_is_no_target",
    ] {
        let c = case(&report, name);
        assert_eq!(c["status"], "skipped", "{c}");
        assert!(
            c["message"]
                .as_str()
                .unwrap()
                .contains("declines the PATCH path forms the value filter"),
            "{c}"
        );
    }
    let declined = report["declined"].as_array().unwrap();
    assert!(
        declined.contains(&Value::from("PATCH path the value filter (emails[…])")),
        "{declined:?}"
    );
    let dir = temp_dir("scaffolding-patch-paths-widens");
    let (out, report) = run_with_defects(&["patch-filtered-replace-widens"], &[], &dir);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(failed(&report).contains(&"patch::replace_with_a_value_filter".to_string()));
}

/// A valid filter naming a sub-attribute answered 500 (its matches are what RFC 7644 lines
/// 931-932 return): one finding under the filter rule, with the cases scoped by such a
/// filter blocked, none failed under its own rule; invalid filters answered 500 stay their
/// own case's failure (`bad-filter-500`, tests/it/defects.rs).
#[test]
fn a_filter_answered_with_a_server_error_is_one_fault() {
    let (_, report, fault) = one_filter_fault("sub-attribute-filter-500", "scaffolding-filter-500");
    assert!(
        fault["summary"].as_str().unwrap().contains("server error"),
        "{fault}"
    );
    let blocked = with_status(&report, "blocked");
    assert!(
        blocked.contains(&"paging::sort_by_username_ascending".to_string()),
        "{blocked:?}"
    );
}
