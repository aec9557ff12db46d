//! The CI gate: partitions, baselines, snapshots.

mod common;

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
