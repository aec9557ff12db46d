//! The CI gate: partitions, baselines, snapshots.

use crate::common;

use std::collections::BTreeSet;

use common::{run, temp_dir, text};
use serde_json::Value;

/// The case names of a run of the bundled server with `extra` arguments.
fn cases(dir: &std::path::Path, name: &str, extra: &[&str]) -> BTreeSet<String> {
    let report = dir.join(format!("{name}.json"));
    let spec = format!("json={}", report.display());
    let mut args = vec!["run", "--report", &spec];
    args.extend(extra);
    let out = run(&args);
    assert!(matches!(out.status.code(), Some(0)), "{}", text(&out));
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("JSON");
    v["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| c["name"].as_str().expect("name").to_string())
        .collect()
}

#[test]
fn partitions_are_disjoint_and_cover_every_case() {
    let dir = temp_dir("partitions");
    let all = cases(&dir, "all", &[]);
    for by in ["count", "hash"] {
        let mut union = BTreeSet::new();
        for k in 1..=3 {
            let share = format!("{by}:{k}/3");
            let part = cases(&dir, &format!("{by}-{k}"), &["--partition", &share]);
            assert!(!part.is_empty(), "{share} is empty");
            assert!(
                part.is_disjoint(&union),
                "{share} overlaps an earlier share"
            );
            union.extend(part);
        }
        assert_eq!(union, all, "the {by} shares do not cover the run");
    }
}

#[test]
fn a_bad_partition_is_a_usage_error() {
    let out = run(&["run", "--partition", "count:4/3"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("count:K/N"), "{}", text(&out));
}

/// A run of the bundled server with `defects` and `extra` arguments, writing `json`.
fn gate(defects: &[&str], extra: &[&str], json: &std::path::Path) -> (Option<i32>, String) {
    let spec = format!("json={}", json.display());
    let mut args = vec!["run", "--report", &spec];
    for d in defects {
        args.extend(["--defect", d]);
    }
    args.extend(extra);
    let out = run(&args);
    (out.status.code(), text(&out))
}

#[test]
fn a_baseline_passes_what_it_knows_and_fails_a_regression() {
    let dir = temp_dir("baseline");
    let base = dir.join("base.json");
    let (code, t) = gate(&["sort-ignored"], &[], &base);
    assert_eq!(code, Some(1), "the baseline run has failures:\n{t}");
    let base_arg = base.display().to_string();

    let (code, t) = gate(
        &["sort-ignored"],
        &["--baseline", &base_arg],
        &dir.join("same.json"),
    );
    assert_eq!(code, Some(0), "an unchanged run passes:\n{t}");
    assert!(t.contains("0 regressions"), "{t}");

    let (code, t) = gate(
        &["sort-ignored", "delete-200"],
        &["--baseline", &base_arg],
        &dir.join("worse.json"),
    );
    assert_eq!(code, Some(1), "a regression fails:\n{t}");
    assert!(
        t.contains("regressed: users::delete_answers_204_then_404 (passed → failed)"),
        "{t}"
    );

    let (code, t) = gate(&[], &["--baseline", &base_arg], &dir.join("better.json"));
    assert_eq!(code, Some(0), "{t}");
    assert!(t.contains("improved:  paging::sort_descending"), "{t}");

    // A response invariant broken where the baseline broke none is a regression as well,
    // though no case regressed.
    let (code, t) = gate(
        &["sort-ignored", "content-location-wrong"],
        &["--baseline", &base_arg],
        &dir.join("invariant.json"),
    );
    assert_eq!(code, Some(1), "{t}");
    assert!(
        t.contains("regressed: invariant C-schema-11 GET /Users/{id} · meta.location"),
        "{t}"
    );
}

#[test]
fn under_github_actions_failures_are_annotated_and_summarised() {
    let dir = temp_dir("github");
    let summary = dir.join("summary.md");
    let out = common::scimitar()
        .args(["run", "--defect", "delete-200"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .expect("runs");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    let line = t
        .lines()
        .find(|l| l.starts_with("::error file=suites/rfc7644/users.yaml,line="))
        .unwrap_or_else(|| panic!("no annotation:\n{t}"));
    assert!(
        line.contains("title=users%3A%3Adelete_answers_204_then_404 [MUST] P-delete-01"),
        "{line}"
    );
    let md = std::fs::read_to_string(&summary).expect("a job summary");
    assert!(
        md.contains("| `users::delete_answers_204_then_404` | MUST |"),
        "{md}"
    );
    let plain = run(&["run", "--defect", "delete-200"]);
    assert!(
        !text(&plain).lines().any(|l| l.starts_with("::error")),
        "annotations only under GitHub Actions"
    );
}

/// `run --snapshots MODE` of users::get_by_id in `dir`, with `defects`.
fn snapshots(mode: &str, dir: &std::path::Path, defects: &[&str]) -> (Option<i32>, String) {
    let dir_arg = dir.display().to_string();
    let mut args = vec!["run", "--snapshots", mode, "--snapshot-dir", &dir_arg];
    for d in defects {
        args.extend(["--defect", d]);
    }
    args.extend(["--", "users::get_by_id", "--exact"]);
    let out = run(&args);
    (out.status.code(), text(&out))
}

#[test]
fn a_changed_field_fails_the_snapshot_check_until_it_is_approved() {
    let dir = temp_dir("snapshots");
    let approved = dir.join("bundled/users__get_by_id__user.snap");
    std::fs::create_dir_all(approved.parent().unwrap()).unwrap();
    let root = common::root().join("snapshots/bundled/users__get_by_id__user.snap");
    std::fs::copy(root, &approved).expect("the committed snapshot");
    let pending = approved.with_extension("snap.new");

    let (code, t) = snapshots("check", &dir, &[]);
    assert_eq!(code, Some(0), "the committed snapshot holds:\n{t}");

    let (code, t) = snapshots("check", &dir, &["meta-location-wrong"]);
    assert_eq!(code, Some(1), "{t}");
    assert!(t.contains("snapshot user changed"), "{t}");
    assert!(
        t.contains(
            "-    \"location\": \"[base]/Users/[id-1]\",\n+    \"location\": \"[base]/[id-1]\","
        ),
        "{t}"
    );
    assert!(pending.exists(), "the new snapshot waits for review");

    // Approving writes the snapshot; the run itself fails on the location's invariant below.
    let (code, t) = snapshots("update", &dir, &["meta-location-wrong"]);
    assert_eq!(code, Some(1), "{t}");
    assert!(!pending.exists());
    let (code, t) = snapshots("check", &dir, &["meta-location-wrong"]);
    // The approved change passes the snapshot check; the run still fails, on the response
    // invariant that holds meta.location to the Location header (P-create-04), which no
    // approval can change.
    assert!(
        !t.contains("snapshot user changed"),
        "the approved change passes:\n{t}"
    );
    assert_eq!(code, Some(1), "{t}");
    assert!(
        t.contains("P-create-04 [MUST] POST /Users · meta.location"),
        "{t}"
    );
    let (code, t) = snapshots("check", &dir, &[]);
    assert_eq!(
        code,
        Some(1),
        "and the old behaviour is now the change:\n{t}"
    );
}

#[test]
fn a_snapshot_never_approved_fails_the_check() {
    let dir = temp_dir("no-snapshots");
    let (code, t) = snapshots("check", &dir, &[]);
    assert_eq!(code, Some(1), "{t}");
    assert!(
        t.contains("snapshot user has no approved version yet"),
        "{t}"
    );
}
