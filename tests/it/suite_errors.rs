//! A mistake in a suite file is an exit-2 error naming file, line and column.

use crate::common;
use common::*;

fn load_error(file: &str) -> String {
    let out = run(&["list", "--suite", &format!("tests/data/bad-suites/{file}")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn snapshot(name: &str, value: &str) {
    insta::with_settings!({snapshot_path => "../../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, value);
    });
}

#[test]
fn unknown_field_names_file_line_and_the_expected_fields() {
    let e = load_error("unknown-field.yaml");
    assert!(
        e.starts_with("tests/data/bad-suites/unknown-field.yaml:9:11:"),
        "{e}"
    );
    snapshot("suite_error_unknown_field", &e);
}

#[test]
fn broken_yaml_names_file_and_line() {
    let e = load_error("broken-yaml.yaml");
    assert!(
        e.starts_with("tests/data/bad-suites/broken-yaml.yaml:7:"),
        "{e}"
    );
    snapshot("suite_error_broken_yaml", &e);
}

#[test]
fn unknown_capture_is_reported_at_its_step() {
    let e = load_error("unknown-capture.yaml");
    assert!(
        e.starts_with("tests/data/bad-suites/unknown-capture.yaml:"),
        "{e}"
    );
    assert!(e.contains("`{{user_idd}}`") && e.contains("user_id"), "{e}");
}

#[test]
fn unknown_filter_is_reported_at_its_step_with_the_known_ones() {
    let e = load_error("unknown-filter.yaml");
    assert!(
        e.starts_with("tests/data/bad-suites/unknown-filter.yaml:11:"),
        "{e}"
    );
    assert!(
        e.contains("`{{user_id | flipcase}}` applies an unknown filter (known: flip_case)"),
        "{e}"
    );
}

#[test]
fn unknown_schema_and_requirement_are_reported() {
    let e = load_error("unknown-schema.yaml");
    assert!(
        e.contains("unknown schema `usr.json`") && e.contains("user.json"),
        "{e}"
    );
    let e = load_error("unknown-requirement.yaml");
    assert!(e.contains("unknown requirement id `P-create-99`"), "{e}");
}

#[test]
fn a_bad_file_fails_the_run_too() {
    let out = run(&["run", "--suite", "tests/data/bad-suites/unknown-field.yaml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_case_stricter_than_its_rows_is_refused_at_its_line() {
    let e = load_error("stricter-than-its-rows.yaml");
    assert!(
        e.starts_with("tests/data/bad-suites/stricter-than-its-rows.yaml:4:"),
        "{e}"
    );
    assert!(
        e.contains("is MUST but the rows it cites are at most SHOULD (P-errors-05)"),
        "{e}"
    );
}
