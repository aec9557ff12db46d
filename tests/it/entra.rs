//! `scimitar entra`: the replay of what Entra's provisioning sends passes against the bundled
//! server in both Entra behaviours, fails clearly against a server refusing Entra's default
//! spellings, and attribute mappings become one round-trip case per attribute.

use crate::common;
use common::*;
use serde_json::Value;

fn entra(args: &[&str], name: &str) -> (std::process::Output, Value) {
    let mut all = vec!["entra"];
    all.extend(args);
    with_report(&all, &format!("entra-{name}"))
}

#[test]
fn both_behaviours_pass_against_the_bundled_server() {
    for behaviour in ["default", "compliant"] {
        let nr = "fixtures/entra/new-relic-by-organization.yaml";
        let (out, report) = entra(&["--behaviour", behaviour, "--mapping", nr], behaviour);
        assert_eq!(out.status.code(), Some(0), "{behaviour}: {}", text(&out));
        assert_eq!(report["failed"], 0);
        // The other behaviour's own cases are left out; each behaviour has its own.
        let other = if behaviour == "default" {
            "by_filter"
        } else {
            "by_value"
        };
        let names: Vec<&str> = report["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert!(!names.iter().any(|n| n.ends_with(other)), "{names:?}");
        // 10 mapped attributes, each its own case.
        let mapped = names
            .iter()
            .filter(|n| n.starts_with("entra-mapping-"))
            .count();
        assert_eq!(mapped, 10, "{names:?}");
    }
}

#[test]
fn a_server_refusing_capitalised_ops_fails_the_default_behaviour_only() {
    let (out, report) = entra(&["--defect", "patch-op-case-sensitive"], "op-case");
    assert_eq!(out.status.code(), Some(1));
    let failed = with_status(&report, "failed");
    assert!(
        failed.contains(&"entra-groups::rename".to_string()),
        "{failed:?}"
    );
    let msg = case(&report, "entra-groups::rename")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("unknown op `Replace`"), "{msg}");
    assert!(
        msg.contains(r#""op": "Replace""#),
        "the request is shown: {msg}"
    );

    let (out, _) = entra(
        &[
            "--defect",
            "patch-op-case-sensitive",
            "--behaviour",
            "compliant",
        ],
        "op-case-c",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_server_refusing_string_booleans_is_warned_of_the_soft_delete() {
    // An RFC server may refuse "False" for a boolean (C-user-05 is MAY): a warning that
    // Entra's soft delete will fail, not a failure of the server.
    let (out, report) = entra(&["--defect", "string-booleans-rejected"], "bool");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(with_status(&report, "failed"), Vec::<String>::new());
    assert_eq!(
        with_status(&report, "warning"),
        ["entra-users::disable_and_enable"]
    );
    let msg = case(&report, "entra-users::disable_and_enable")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains(r#""value": "False""#) && msg.contains("is a string, not a boolean"),
        "{msg}"
    );
}

#[test]
fn the_global_relay_mapping_yields_sixty_passing_attribute_cases() {
    let gr = "fixtures/entra/global-relay-identity-sync.yaml";
    for behaviour in ["default", "compliant"] {
        let (out, report) = entra(
            &[
                "--emulate",
                "globalrelay",
                "--behaviour",
                behaviour,
                "--mapping",
                gr,
            ],
            &format!("gr-{behaviour}"),
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let mapped: Vec<&Value> = report["cases"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["suite"] == "entra-mapping-global-relay-identity-sync")
            .collect();
        assert!(mapped.len() >= 60, "{}", mapped.len());
        assert!(mapped.iter().all(|c| c["status"] == "passed"));
    }
    // Without Global Relay's extension schema its 16 attributes cannot round-trip.
    let (out, report) = entra(&["--mapping", gr], "gr-strict");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(with_status(&report, "failed").len(), 16);
}

/// `tests/data/entra-before.json` holds what `scimitar entra --mapping` (the New Relic
/// mapping) gave on the bundled server, per defect switch and behaviour, before Entra became
/// a provider profile of data (commit d2de3c6's binary, run once per switch and behaviour); `entra`
/// and `replay --idp entra` must give the same case results and exit codes.
#[test]
fn entra_gives_the_results_it_gave_before_providers_were_data() {
    let before: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/data/entra-before.json")).unwrap(),
    )
    .unwrap();
    let runs: Vec<(String, Value)> = before
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let results = std::sync::Mutex::new(Vec::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some((key, want)) = runs.get(i) else {
                        break;
                    };
                    let (defect, behaviour) = key.split_once(' ').unwrap();
                    let mut args = vec!["--behaviour", behaviour];
                    args.extend(["--mapping", "fixtures/entra/new-relic-by-organization.yaml"]);
                    if defect != "none" {
                        args.extend(["--defect", defect]);
                    }
                    let (out, report) = entra(&args, &format!("before-{i}"));
                    let got: serde_json::Map<String, Value> = report["cases"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| (c["name"].as_str().unwrap().to_string(), c["status"].clone()))
                        .collect();
                    // A response invariant broken at MUST fails the run since the invariants
                    // are checked on every answer (issue 28): the exit code of such a run
                    // says so, whatever it was before; the cases' results stay as they were.
                    let invariants: Vec<&str> = report["invariants"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|i| i["level"] == "MUST")
                        .filter_map(|i| i["rule"].as_str())
                        .collect();
                    let mut want = want.clone();
                    if !invariants.is_empty() {
                        eprintln!("{key}: exit 1 for the invariants of {invariants:?}");
                        want["exit"] = 1.into();
                    }
                    let got = serde_json::json!({"exit": out.status.code(), "cases": got});
                    results.lock().unwrap().push((key.clone(), got, want));
                }
            });
        }
    });
    let results = results.into_inner().unwrap();
    assert_eq!(results.len(), runs.len());
    for (key, got, want) in results {
        assert_eq!(got, want, "{key}");
    }
    // `replay --idp entra` is the same command.
    let (out, report) = with_report(
        &["replay", "--idp", "entra", "--behaviour", "compliant"],
        "entra-replay",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (_, entra_report) = entra(&["--behaviour", "compliant"], "replay-same");
    assert_eq!(
        with_status(&report, "passed"),
        with_status(&entra_report, "passed")
    );
}
