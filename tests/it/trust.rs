//! Verdicts a server owner can trust: a failed setup blocks its cases once instead of failing
//! each; a server that supports less is tested on what it declares; load is told from
//! non-conformance.

use crate::common;
use common::*;

/// A target that refuses every user create (it requires `title`, which no setup sends).
#[test]
fn a_refused_setup_is_one_setup_failure_and_its_cases_are_blocked() {
    let dir = temp_dir("blocked");
    let junit = dir.join("junit.xml");
    let (out, report) = run_with_defects(
        &[],
        &[
            "--emulate",
            "tests/data/profiles/requires-title.yaml",
            "--report",
            &format!("junit={}", junit.display()),
        ],
        &dir,
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    let blocked = with_status(&report, "blocked");
    assert!(blocked.len() >= 40, "{blocked:?}\n{all}");
    assert!(
        all.contains(&format!(
            "{} cases blocked by 1 setup failure",
            blocked.len()
        )),
        "{all}"
    );
    assert!(all.contains("POST /Users status failed in"), "{all}");
    // The blocked cases are not failures, each with the same evidence.
    for name in &blocked {
        assert!(!failed(&report).contains(name), "{name}");
        let c = case(&report, name);
        assert!(c["blocked_by"].as_str().unwrap().contains(".yaml:"), "{c}");
    }
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let count = |tag: &str| doc.descendants().filter(|n| n.has_tag_name(tag)).count();
    assert_eq!(count("error"), blocked.len(), "{xml}");
    assert_eq!(count("failure"), failed(&report).len(), "{xml}");
}

/// A failure says which rule it breaks: level, RFC section and lines, basis, and the link.
#[test]
fn a_failure_names_the_rule_with_its_basis_and_section() {
    let dir = temp_dir("basis");
    let (out, report) = run_with_defects(&["no-location-header"], &[], &dir);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let c = case(
        &report,
        "users-create::create_answers_201_with_the_resource",
    );
    let m = c["message"].as_str().unwrap();
    assert!(
        m.contains("MUST, RFC 7644 §3.3 lines 604-607, keyword: the created resource URI is given in the Location header"),
        "{m}"
    );
    assert!(
        m.contains("https://www.rfc-editor.org/rfc/rfc7644#section-3.3"),
        "{m}"
    );
}

/// A server that answers 500 beyond four requests in flight is slow, not wrong: no case
/// fails, the cases that failed beside others passed alone, and that is one load finding.
#[test]
fn load_is_told_from_non_conformance() {
    let dir = temp_dir("overload");
    let (out, report) = run_with_defects(&["overload"], &["--concurrency", "64"], &dir);
    let all = text(&out);
    assert_eq!(failed(&report), Vec::<String>::new(), "{all}");
    assert_eq!(
        with_status(&report, "blocked"),
        Vec::<String>::new(),
        "{all}"
    );
    assert_eq!(out.status.code(), Some(0), "{all}");
    let load = &report["load"];
    let alone = load["cases"].as_array().expect("a load finding");
    assert!(!alone.is_empty(), "{load}");
    assert!(load["server_errors"].as_u64().unwrap() > 0, "{load}");
    assert!(load["lowest_limit"].as_u64().unwrap() < 64, "{load}");
    assert_eq!(all.matches("load, not conformance").count(), 1, "{all}");
    for name in alone {
        let c = case(&report, name.as_str().unwrap());
        assert_eq!(c["status"], "passed", "{c}");
        assert!(
            c["message"].as_str().unwrap().contains("passed alone"),
            "{c}"
        );
    }
}

/// The bundled server declaring a subset (`minimal`): the suites are fitted to it, nothing
/// fails, and what is skipped says which undeclared attribute it is about.
#[test]
fn a_server_that_declares_less_fails_nothing() {
    let dir = temp_dir("minimal");
    let (out, report) = run_with_defects(&[], &["--emulate", "minimal"], &dir);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert_eq!(failed(&report), Vec::<String>::new(), "{all}");
    // RFC 9865's cases are for servers with cursor paging, which `minimal` does not offer.
    let rfc_7643_7644 = |name: &String| !name.starts_with("cursor::");
    let skipped: Vec<String> = with_status(&report, "skipped")
        .into_iter()
        .filter(rfc_7643_7644)
        .collect();
    let total = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| rfc_7643_7644(&c["name"].as_str().unwrap().to_string()))
        .count();
    assert!(
        (total - skipped.len()) * 10 >= total * 7,
        "only {} of {total} cases ran:\n{all}",
        total - skipped.len()
    );
    let c = case(&report, "resources::enterprise_extension_round_trips");
    assert!(
        c["message"].as_str().unwrap().contains(
            "not declared by the target: urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ),
        "{c}"
    );
}
