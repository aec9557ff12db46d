//! Every testable MUST row can fail: each bundled-server switch that breaks one is run, in
//! parallel, and a case citing its row must fail; with no switch on, none does. What the runs
//! showed is `fixtures/switch-proof.csv`, which `scimitar coverage --proof` reads: the test
//! fails when a switch's verdict there is not what its run gave (`SCIMITAR_BLESS=1` rewrites
//! it from the runs; the cases named are those of the last rewrite).

use crate::common;
use common::*;

use std::collections::HashSet;

use clap::ValueEnum;
use scimitar::coverage::proof::{self, Catch, Exception};
use scimitar::server::defect::Defect;
use serde_json::Value;

/// What `report` shows of a break of `row`: the cases that failed citing it, and the faults
/// and the response invariants reported under it at MUST (`failed`), else the cases that only warned citing it (`warning`: the
/// case judges what it saw lower than the row, as for an optional feature or an ambiguous
/// reading), else nothing (`missed`).
fn caught_by(report: &Value, row: &str) -> (&'static str, Vec<String>) {
    let cites = |c: &&Value| {
        c["requirements"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r == row))
    };
    let cases = |status: &str| -> Vec<String> {
        let mut by: Vec<String> = report["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .filter(|c| c["status"] == status)
            .filter(cites)
            .map(|c| c["name"].as_str().expect("name").to_string())
            .collect();
        by.sort();
        by
    };
    let mut failed = cases("failed");
    if let Some(faults) = report["faults"].as_array() {
        failed.extend(
            faults
                .iter()
                .filter(|f| f["rule"] == row && f["level"] == "MUST")
                .map(|f| format!("fault: {}", f["summary"].as_str().unwrap_or_default())),
        );
    }
    if let Some(broken) = report["invariants"].as_array() {
        failed.extend(
            broken
                .iter()
                .filter(|i| i["rule"] == row && i["level"] == "MUST")
                .map(|i| format!("invariant: {}", i["signature"].as_str().unwrap_or_default())),
        );
    }
    if !failed.is_empty() {
        return ("failed", failed);
    }
    match cases("warning") {
        warned if !warned.is_empty() => ("warning", warned),
        _ => ("missed", Vec::new()),
    }
}

#[test]
fn every_switch_is_caught_by_its_row() {
    let testable: HashSet<&str> = proof::testable_must().map(|r| r.id.as_str()).collect();
    let switches: Vec<(String, &'static str)> = Defect::value_variants()
        .iter()
        .filter_map(|d| {
            let (row, _) = d.describe();
            let name = d.to_possible_value()?.get_name().to_string();
            testable.contains(row).then_some((name, row))
        })
        .collect();
    let mut found: Vec<(String, String, &str, Vec<String>)> =
        in_parallel(&switches, |(switch, row)| {
            let (verdict, by) = caught_by(&run_switched(switch), row);
            (row.to_string(), switch.clone(), verdict, by)
        });
    found.sort();
    let mut csv = String::from("id,switch,verdict,caught_by\n");
    for (row, switch, verdict, by) in &found {
        let mut by = by.clone();
        by.sort();
        let by = by.join(";").replace('"', "'");
        csv.push_str(&format!("{row},{switch},{verdict},\"{by}\"\n"));
    }
    let path = root().join(proof::CATCHES);
    if std::env::var_os("SCIMITAR_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &csv).unwrap();
    }
    let missed: Vec<String> = found
        .iter()
        .filter(|(_, _, verdict, _)| *verdict == "missed")
        .map(|(row, switch, _, _)| format!("{switch} ({row})"))
        .collect();
    assert!(
        missed.is_empty(),
        "no case citing its row failed with these switches on: {missed:?}"
    );
    // Which cases and answers caught a switch may vary with timing (a case confirmed alone);
    // what each switch's run amounted to may not.
    let verdicts = |text: &str| -> Vec<(String, String, String)> {
        csv::Reader::from_reader(text.as_bytes())
            .deserialize::<Catch>()
            .map(|c| c.expect("a row of the proof"))
            .map(|c| (c.id, c.switch, format!("{:?}", c.verdict)))
            .collect()
    };
    assert_eq!(
        verdicts(&std::fs::read_to_string(&path).unwrap()),
        verdicts(&csv),
        "{} is not what the runs showed; rewrite it with SCIMITAR_BLESS=1 cargo test --test it switches:: and commit it",
        proof::CATCHES
    );
}

/// With no switch on, no case fails and no answer breaks an invariant, so a catch above is
/// the switch's doing.
#[test]
fn with_no_switch_nothing_fails() {
    let report = run_switched("");
    assert_eq!(failed(&report), Vec::<String>::new(), "{report}");
    assert_eq!(report.get("invariants"), None, "{report}");
}

/// An exception names a testable MUST row that no switch breaks, and says why.
#[test]
fn exceptions_are_testable_rows_without_a_switch_and_with_a_reason() {
    let text = std::fs::read_to_string(root().join(proof::EXCEPTIONS)).unwrap();
    let switched: HashSet<&str> = Defect::value_variants()
        .iter()
        .map(|d| d.describe().0)
        .collect();
    let testable: HashSet<&str> = proof::testable_must().map(|r| r.id.as_str()).collect();
    for e in csv::Reader::from_reader(text.as_bytes()).deserialize::<Exception>() {
        let e = e.expect("an exception is an id and a reason");
        assert!(
            testable.contains(e.id.as_str()),
            "{} is no testable MUST row",
            e.id
        );
        assert!(!switched.contains(e.id.as_str()), "{} has a switch", e.id);
        assert!(
            e.reason.split_whitespace().count() >= 4,
            "{}: say why",
            e.id
        );
    }
}
