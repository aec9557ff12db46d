//! `scimitar fuzz` on a flaky network: the fault proxy (`common::fault_proxy`) faults a
//! seeded 20 % of the requests in front of the bundled server. No fault is a finding, every
//! one shows in the transport table, and nothing is left on the server.

use crate::common;

use serde_json::Value;

use common::fault_proxy::{Fault, FaultProxy, Plan, resources};
use common::{scimitar, serve, temp_dir, text};

const TOKEN: &str = "fuzz-faults-token";

/// What a fuzz run through the proxy printed, its exit code, its JSON report, the proxy's
/// faults by kind (503, 429, dropped) and the resources left on the server.
struct Faulted {
    out: String,
    code: Option<i32>,
    report: Value,
    faults: (u64, u64, u64),
    left: (u64, u64),
}

/// `fuzz --cases N` through 20 % faults, with `extra` arguments.
fn fuzz_through_faults(name: &str, cases: u32, extra: &[&str]) -> Faulted {
    let server = serve(TOKEN, &[]);
    let proxy = FaultProxy::start(&server.base_url, Plan::new(0.2, 11));
    assert_eq!(resources(&server.base_url, TOKEN), (0, 0), "a fresh server");
    let dir = temp_dir(name);
    let report = dir.join("fuzz.json");
    let out = scimitar()
        .args(["fuzz", "--seed", "3", "--cases", &cases.to_string()])
        .args(["--target", &proxy.base_url, "--report"])
        .arg(format!("json={}", report.display()))
        .args(extra)
        .env("SCIM_TOKEN", TOKEN)
        .output()
        .expect("runs");
    let report = std::fs::read_to_string(&report)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| panic!("no JSON report:\n{}", text(&out)));
    Faulted {
        out: text(&out),
        code: out.status.code(),
        report,
        faults: (
            proxy.faulted(Fault::Unavailable),
            proxy.faulted(Fault::TooMany),
            proxy.faulted(Fault::DropBefore) + proxy.faulted(Fault::DropAfter),
        ),
        // Counted on the server itself, not through the proxy.
        left: resources(&server.base_url, TOKEN),
    }
}

/// 200 sequences through 20 % faults: no failing finding and exit 0; the transport table
/// counts every connection the proxy dropped and every 503 it answered, some sequences end
/// inconclusive, and what their creates left is swept: 0 resources left on the server.
#[test]
fn two_hundred_sequences_through_faults_fail_nothing_and_leave_nothing() {
    let f = fuzz_through_faults("fuzz-faults", 200, &[]);
    let t = &f.out;
    // The figures the issue asks for: throughput through faults, and what the table counts.
    for line in t
        .lines()
        .filter(|l| l.contains("requests/s") || l.starts_with("connections failed"))
    {
        eprintln!("{line}");
    }
    assert_eq!(f.code, Some(0), "{t}");
    let findings = f.report["findings"].as_array().expect("findings");
    assert!(
        findings.iter().all(|x| x["fails"] == false),
        "failing findings through faults: {findings:#?}\n{t}"
    );
    assert!(
        !t.contains("no answer") || t.contains("\ntransport ("),
        "a no-answer outside the transport table:\n{t}"
    );
    let (unavailable, too_many, dropped) = f.faults;
    assert!(
        unavailable > 0 && too_many > 0 && dropped > 0,
        "{:?}",
        f.faults
    );
    let transport = &f.report["transport"];
    assert_eq!(transport["connection_failures"], dropped, "{t}");
    assert_eq!(transport["server_errors"], unavailable, "{t}");
    assert!(
        t.contains(&format!("connections failed: {dropped} ")),
        "the table counts the {dropped} drops:\n{t}"
    );
    let rows = transport["requests"].as_array().expect("rows");
    let sum = |k: &str| rows.iter().map(|r| r[k].as_u64().unwrap()).sum::<u64>();
    let (retried, unanswered) = (sum("retried"), sum("unanswered"));
    // Each fault met by a sequence's request was either sent again or left it unanswered;
    // the rest were met by discovery and the sweep.
    assert!(retried > 0 && unanswered > 0, "{transport:#}");
    assert!(
        retried + unanswered <= unavailable + too_many + dropped,
        "{transport:#}"
    );
    // GET, PUT and DELETE are sent again after a drop: one left unanswered was sent again
    // five times (the default --retries).
    for r in rows {
        let request = r["request"].as_str().unwrap();
        if ["GET ", "PUT ", "DELETE "]
            .iter()
            .any(|m| request.starts_with(m))
        {
            let (retried, unanswered) = (r["retried"].as_u64(), r["unanswered"].as_u64());
            assert!(retried >= unanswered.map(|u| 5 * u), "{request}:\n{t}");
        }
    }
    let inconclusive = transport["inconclusive"].as_u64().unwrap();
    assert!(inconclusive > 0, "{transport:#}");
    assert!(
        t.contains("200 sequences, ") && t.contains(&format!(", {inconclusive} inconclusive")),
        "{t}"
    );
    assert!(t.contains("left on the target: 0 resources"), "{t}");
    assert_eq!(f.left, (0, 0), "users and groups left on the server:\n{t}");
}

/// `--strict-transport`: the same run fails on the connections it saw dropped.
#[test]
fn strict_transport_fails_the_same_run() {
    let f = fuzz_through_faults("fuzz-faults-strict", 200, &["--strict-transport"]);
    assert_eq!(f.code, Some(1), "{}", f.out);
    assert!(
        f.report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["fails"] == false),
        "{}",
        f.out
    );
    assert!(f.report["transport"]["connection_failures"].as_u64() > Some(0));
    assert_eq!(f.left, (0, 0), "{}", f.out);
}
