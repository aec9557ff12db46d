//! JUnit XML and JSON reports: well-formed, complete, and free of the secret.

use crate::common;
use common::*;

#[test]
fn junit_is_well_formed_with_one_testcase_per_case_and_no_token_anywhere() {
    let token = "tok-report-secret-5d1e";
    // A defect makes failure messages and reproductions appear in every artifact.
    let server = serve(token, &["--defect", "password-returned"]);
    let dir = temp_dir("reports");
    let (junit, json) = (dir.join("out/results.xml"), dir.join("out/results.json"));
    let out = scimitar()
        .args(["run", "--target", &server.base_url])
        .args(["--report", &format!("junit={}", junit.display())])
        .args(["--report", &format!("json={}", json.display())])
        .env("SCIM_TOKEN", token)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    let listed = run(&["list"]);
    let cases = String::from_utf8_lossy(&listed.stdout).lines().count();
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("JUnit XML is well-formed");
    // One test case per case, and one per response invariant broken (a password returned).
    let testcases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase") && n.attribute("classname") != Some("invariants"))
        .collect();
    assert_eq!(testcases.len(), cases);
    let invariants: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase") && n.attribute("classname") == Some("invariants"))
        .filter_map(|n| n.attribute("name"))
        .collect();
    assert!(
        invariants.iter().any(|n| n.starts_with("C-attributes-02 ")),
        "{invariants:?}"
    );
    let failing: Vec<_> = testcases
        .iter()
        .filter(|t| t.children().any(|c| c.has_tag_name("failure")))
        .collect();
    let mut names: Vec<_> = failing.iter().filter_map(|t| t.attribute("name")).collect();
    names.sort();
    // The same cases the JSON report calls failed (tests/defects.rs pins which ones).
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let mut in_json: Vec<&str> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "failed")
        .map(|c| c["case"].as_str().unwrap())
        .collect();
    in_json.sort();
    assert_eq!(names, in_json);
    assert!(names.contains(&"password_is_never_returned"), "{names:?}");
    let password = failing
        .iter()
        .find(|t| t.attribute("name") == Some("password_is_never_returned"))
        .unwrap();
    let props: Vec<_> = password
        .descendants()
        .filter(|n| n.has_tag_name("property"))
        .map(|p| (p.attribute("name").unwrap(), p.attribute("value").unwrap()))
        .collect();
    assert!(props.contains(&("requirement", "C-user-03")), "{props:?}");
    assert!(props.contains(&("level", "MUST")), "{props:?}");

    assert_eq!(report["cases"].as_array().unwrap().len(), cases);
    assert_eq!(report["failed"], in_json.len());
    let spc = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "discovery::service_provider_config")
        .unwrap();
    let headers = spc["steps"][0]["exchange"]["request"]["headers"].to_string();
    assert!(
        headers.contains(r#"["Authorization","Bearer [REDACTED]"]"#),
        "the credential is recorded as redacted: {headers}"
    );

    for (what, content) in [
        ("junit", xml),
        ("json", std::fs::read_to_string(&json).unwrap()),
        ("terminal", text(&out)),
    ] {
        assert!(
            !content.contains(token),
            "the token leaked into the {what} output"
        );
    }
}

#[test]
fn the_deviation_report_shows_each_finding_with_its_evidence_in_markdown_and_html() {
    let dir = temp_dir("deviation-report");
    let (out, _) = run_with_defects(
        &["delete-200"],
        &["--profile", "newrelic", "--emulate", "newrelic"],
        &dir,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let (md, html) = (dir.join("r.md"), dir.join("r.html"));
    let out = run(&[
        "report",
        dir.join("report.json").to_str().unwrap(),
        "--to",
        &format!("markdown={}", md.display()),
        "--to",
        &format!("html={}", html.display()),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let md = std::fs::read_to_string(md).unwrap();
    let html = std::fs::read_to_string(html).unwrap();
    for text in [&md, &html] {
        assert!(text.contains("SCIM deviation report: New Relic"));
        assert!(text.contains("users::delete_answers_204_then_404"));
        assert!(text.contains("RFC 7644 §3.6"), "the RFC section is named");
        assert!(text.contains("stale") || text.contains("documented and observed"));
        assert!(
            text.contains("$SCIM_TOKEN"),
            "curl reproductions use the variable"
        );
        assert!(
            text.contains("DELETE http://127.0.0.1"),
            "the evidence exchange"
        );
    }
    assert!(md.contains("## Requirements by area and level"));
    assert!(md.contains("- **Not documented** by profile `newrelic`."));
    assert!(html.starts_with("<!doctype html>") && html.contains("<style>"));
    assert!(
        !html.contains("<script"),
        "one self-contained page, no scripts"
    );
    assert!(html.contains("badge bad\">undocumented deviation"));

    let bad = run(&["report", "Cargo.toml", "--to", "html=/dev/null"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).contains("not a scimitar JSON report"));
}
