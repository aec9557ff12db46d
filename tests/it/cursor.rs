//! Cursor paging (RFC 9865): the cases pass where the bundled server offers cursors, are
//! skipped with the reason where it does not, and the fuzzer's walks agree with its model.

use crate::common::*;

/// Runs the cursor suite against the bundled server emulating `profile`.
fn cursor_cases(profile: &str) -> serde_json::Value {
    let dir = temp_dir(&format!("cursor-{profile}"));
    let (out, report) = run_with_defects(&[], &["--emulate", profile, "--tag", "cursor"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(failed(&report), Vec::<String>::new());
    assert_eq!(warned(&report), Vec::<String>::new());
    report
}

#[test]
fn every_cursor_case_passes_where_cursors_are_offered() {
    // `rfc` pages by index unless asked, `cursor` by cursor: each skips the other's default.
    for (profile, other_default) in [("rfc", "cursor"), ("cursor", "index")] {
        let report = cursor_cases(profile);
        let skipped = with_status(&report, "skipped");
        assert_eq!(
            skipped,
            [format!("cursor::default_method_{other_default}_is_used")],
            "{profile}"
        );
        assert_eq!(with_status(&report, "passed").len(), 11, "{profile}");
    }
}

#[test]
fn a_server_without_cursors_skips_every_cursor_case_with_the_reason() {
    let report = cursor_cases("minimal");
    let cases = report["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 12);
    for c in cases {
        assert_eq!(c["status"], "skipped", "{c}");
        let why = c["message"].as_str().unwrap_or_default();
        assert!(
            why.contains("not advertised: pagination.cursor")
                || why.contains("/pagination/index absent"),
            "{c}"
        );
    }
}

#[test]
fn fuzzed_cursor_walks_agree_with_the_model() {
    let out = scimitar()
        .args([
            "fuzz",
            "--profile",
            "cursor",
            "--seed",
            "5",
            "--cases",
            "300",
        ])
        .output()
        .expect("runs");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("no divergence from the cursor model"), "{t}");
}
