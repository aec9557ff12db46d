//! Verdicts on what the RFC allows: an optional feature not offered is a row of the optional
//! features table, not a warning; a probe expecting an error proves nothing; `/Me` without a
//! resource to alias is skipped; a PUT may default what it omits; a server may alter the case
//! of a caseExact=false value. Each against the bundled server doing what the RFC allows,
//! and, to show the check still bites, doing what it does not.

use serde_json::Value;

use crate::common::*;

/// The strict profile with `edit` applied, written as `NAME.yaml` in `dir`, for `--emulate`.
fn profile(dir: &std::path::Path, name: &str, edit: impl Fn(String) -> String) -> String {
    let rfc = std::fs::read_to_string(root().join("fixtures/profiles/rfc.yaml")).unwrap();
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(
        &path,
        edit(rfc.replace("name: rfc", &format!("name: {name}"))),
    )
    .unwrap();
    path.display().to_string()
}

/// The strict profile with one emulation line replaced (`key: ...` up to its comment).
fn with_line(rfc: String, key: &str, line: &str) -> String {
    rfc.lines()
        .map(|l| {
            if l.trim_start().starts_with(&format!("{key}:")) {
                format!("  {line}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The status of case `name` in a run with `defect` on.
fn status_with(defect: &str, args: &[&str], dir: &std::path::Path, name: &str) -> Value {
    let (_, report) = run_with_defects(&[defect], args, dir);
    case(&report, name)["status"].clone()
}

/// The response to the last of a case's own steps.
fn last_answer(case: &Value) -> &Value {
    let steps = case["steps"].as_array().unwrap();
    let last = steps.iter().rev().find(|s| s["teardown"] == false);
    &last.unwrap()["exchange"]["response"]
}

/// A response's body, parsed.
fn body(response: &Value) -> Value {
    serde_json::from_str(response["body"].as_str().unwrap()).unwrap()
}

/// The optional features table's row for `feature`.
fn row<'a>(report: &'a Value, feature: &str) -> &'a Value {
    report["optional_features"]
        .as_array()
        .expect("an optional_features table")
        .iter()
        .find(|r| r["feature"] == feature)
        .unwrap_or_else(|| panic!("no row {feature}: {}", report["optional_features"]))
}

/// `.search` is optional (RFC 7644 lines 1465-1469: the MAY is the client's, no rule obliges
/// a server), and so is a user's `groups` (RFC 7643 lines 1326-1327): a server without them
/// (`narrow` answers .search 501; `user-groups-missing` never fills groups) gets skipped
/// cases and "not offered" rows in the terminal, JSON and HTML reports, and no warning.
/// Offered and broken (`start-index-zero-based` breaks .search's paging), it is a warning.
#[test]
fn optional_features_not_offered_are_a_table_not_warnings() {
    let dir = temp_dir("verdicts-optional");
    let html = dir.join("report.html");
    let html_arg = format!("html={}", html.display());
    let md = dir.join("report.md");
    let md_arg = format!("markdown={}", md.display());
    let suites = [
        "--suite",
        "suites/rfc7644/search.yaml",
        "--suite",
        "suites/rfc7644/groups.yaml",
    ];
    let reports = ["--report", &html_arg, "--report", &md_arg];
    let args = [&suites[..], &["--emulate", "narrow"], &reports[..]].concat();
    let (out, report) = run_with_defects(&["user-groups-missing"], &args, &dir);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert_eq!(warned(&report), Vec::<String>::new(), "{t}");
    // Each feature's row lists every case about it.
    let search = [
        "search::search_honours_the_body",
        "search::search_on_a_resource_type",
    ];
    for (name, feature, row_cases) in [
        (
            "search::search_on_a_resource_type",
            "POST .search on a resource type",
            &search[..],
        ),
        (
            "search::search_at_the_root",
            "POST /.search at the root",
            &["search::search_at_the_root"][..],
        ),
        (
            "groups::user_groups_reflect_membership",
            "groups on users",
            &["groups::user_groups_reflect_membership"][..],
        ),
    ] {
        let c = case(&report, name);
        assert_eq!(c["status"], "skipped", "{c}");
        let why = c["message"].as_str().unwrap();
        assert!(
            why.starts_with(&format!("skipped: not offered: {feature}")),
            "{why}"
        );
        let r = row(&report, feature);
        assert_eq!(r["status"], "not_offered", "{r}");
        assert_eq!(r["cases"], serde_json::json!(row_cases), "{r}");
    }
    // What the server does offer is listed as offered.
    assert_eq!(row(&report, "nested groups")["status"], "offered");
    assert_eq!(row(&report, "patch")["advertised"], true);
    assert!(
        t.contains("optional features (a target may leave them out"),
        "{t}"
    );
    assert!(
        t.lines()
            .any(|l| l.contains("groups on users") && l.contains("not offered")),
        "{t}"
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<h2>Optional features</h2>"), "{page}");
    assert!(page.contains("groups on users"), "{page}");
    let page = std::fs::read_to_string(&md).unwrap();
    assert!(
        page.contains("| groups on users | not offered | groups::user_groups_reflect_membership |"),
        "{page}"
    );

    let (out, report) = run_with_defects(&["start-index-zero-based"], &suites, &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        warned(&report),
        ["search::search_on_a_resource_type"],
        "{}",
        text(&out)
    );
    let r = row(&report, "POST .search on a resource type");
    assert_eq!(r["status"], "broken", "{r}");
    assert_eq!(
        r["cases"],
        serde_json::json!(["search::search_on_a_resource_type"])
    );
}

/// A case needing a feature the target does not advertise runs as a probe, and a probe that
/// works is a warning (C-discovery-05: RFC 7643 §5 advertises what is supported). But a probe
/// whose steps expect an error proves nothing by passing: a target without cursors that
/// declines the cursor suite's filter answers 400 (RFC 7644 Table 9, lines 3821-3826, lets it
/// refuse "the specified attribute and filter comparison combination"), as RFC 9865 §2.1 asks
/// of an invalid cursor. Such a case is skipped; a probe expecting success still warns.
#[test]
fn a_probe_expecting_an_error_proves_nothing() {
    let dir = temp_dir("verdicts-probe");
    let emulate = profile(&dir, "no-cursor", |rfc| {
        let rfc = with_line(rfc, "filter", "filter: {attributes: [userName]}");
        // No `pagination` block: index paging only.
        let cut = rfc.find("  pagination:").unwrap();
        rfc[..cut].to_string()
    });
    let args = [
        "--emulate",
        &emulate,
        "--suite",
        "suites/rfc9865/cursor.yaml",
    ];
    let (out, report) = run_with_defects(&[], &args, &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(warned(&report), Vec::<String>::new(), "{}", text(&out));
    let c = case(&report, "cursor::invalid_cursor_is_400");
    assert_eq!(c["status"], "skipped", "{c}");
    let why = c["message"].as_str().unwrap();
    assert!(
        why.contains("not advertised: pagination.cursor") && why.contains("proves nothing"),
        "{why}"
    );
    // The 400 came from the declined filter: the probe did pass.
    assert_eq!(last_answer(c)["status"], 400);
    assert_eq!(row(&report, "pagination.cursor")["status"], "not_offered");

    // Bulk advertised as unsupported, though it works: a probe expecting success warns, one
    // expecting 413 is skipped.
    let bulk = ["--suite", "suites/rfc7644/bulk.yaml"];
    let (out, report) = run_with_defects(&["understated-features"], &bulk, &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let c = case(&report, "bulk::bulk_id_references_resolve");
    assert_eq!(c["status"], "warning", "{c}");
    assert!(c["message"].as_str().unwrap().contains("C-discovery-05"));
    let c = case(&report, "bulk::more_operations_than_max_operations_is_413");
    assert_eq!(c["status"], "skipped", "{c}");
    let r = row(&report, "bulk");
    assert_eq!(
        (&r["status"], &r["advertised"]),
        (&"broken".into(), &false.into())
    );
}

/// `/Me` is an alias of "the User or other resource associated with the currently
/// authenticated subject" (RFC 7644 lines 3669-3671). A 404 with a SCIM error says the
/// token's subject has none: support can be told neither way, so the case is skipped with
/// that reason, not read as "unsupported" (lines 3674-3675 ask 501 of a server without /Me).
/// A bare 404, without a SCIM error, still warns.
#[test]
fn me_without_a_resource_to_alias_is_skipped() {
    let dir = temp_dir("verdicts-me");
    let emulate = profile(&dir, "me-404", |rfc| with_line(rfc, "me", "me: not_found"));
    let args = [
        "--emulate",
        &emulate,
        "--suite",
        "suites/rfc7644/search.yaml",
    ];
    let (out, report) = run_with_defects(&[], &args, &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let c = case(&report, "search::me_unsupported_is_501");
    assert_eq!(c["status"], "skipped", "{c}");
    let why = c["message"].as_str().unwrap();
    assert!(
        why.contains("3669-3671") && why.contains("no resource"),
        "{why}"
    );
    assert!(
        text(&out)
            .contains("skipped 1: 1 /Me answered 404 with a SCIM error: the token's subject has no resource for /Me to alias"),
        "{}",
        text(&out)
    );

    let name = "search::me_unsupported_is_501";
    assert_eq!(
        status_with("not-found-without-body", &args, &dir, name),
        "warning"
    );
}

/// "The service provider MAY assume that any existing values are to be cleared, or the
/// service provider MAY assign a default value" to readWrite attributes a PUT omits (RFC
/// 7644 lines 1647-1651). A server giving `name` a default passes; one keeping the old
/// values (`put-keeps-omitted`) still warns.
#[test]
fn put_may_clear_or_default_what_it_omits() {
    let dir = temp_dir("verdicts-put");
    let emulate = profile(&dir, "put-default", |rfc| {
        with_line(rfc, "put", "put: default")
    });
    let args = [
        "--emulate",
        &emulate,
        "--suite",
        "suites/rfc7644/users.yaml",
    ];
    let (out, report) = run_with_defects(&[], &args, &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let c = case(&report, "users::put_clears_omitted_attributes");
    assert_eq!(c["status"], "passed", "{c}");
    // The server did give a default: the read-back has a name the PUT did not send.
    let body = body(last_answer(c));
    assert!(body["name"]["formatted"].is_string(), "{body}");

    let name = "users::put_clears_omitted_attributes";
    assert_eq!(
        status_with("put-keeps-omitted", &args, &dir, name),
        "warning"
    );
}

/// userName's caseExact is false (RFC 7643 §4.1.1), and "if the attribute is case
/// insensitive, the server MAY alter case for a submitted value" (RFC 7643 lines 1750-1752):
/// a server keeping userNames in upper case fails nothing of the RFC suites (it failed ten
/// cases when expectations compared exactly). Exact comparison stays where caseExact is
/// true: see `check::tests::values_compare_without_case_only_where_case_exact_is_false`.
#[test]
fn a_server_may_alter_the_case_of_a_user_name() {
    let dir = temp_dir("verdicts-case");
    let emulate = profile(&dir, "upper", |rfc| rfc + "  upper_case_user_names: true\n");
    let (out, report) = run_with_defects(&[], &["--emulate", &emulate], &dir);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert_eq!(failed(&report), Vec::<String>::new(), "{t}");
    assert_eq!(warned(&report), Vec::<String>::new(), "{t}");
    let c = case(&report, "users::get_by_id");
    assert_eq!(c["status"], "passed");
    let user = body(last_answer(c));
    let name = user["userName"].as_str().unwrap();
    assert_eq!(
        name,
        name.to_uppercase(),
        "the server kept the userName's case"
    );
    assert_ne!(name, name.to_lowercase());
}

/// `optional` and `skip_if` answers are judged after the case, against the step that failed:
/// one naming a step the case does not have, or using a variable, is a load error (exit 2).
#[test]
fn answers_name_a_step_of_the_case_and_use_no_variables() {
    let dir = temp_dir("verdicts-load");
    for (answer, says) in [
        ("{step: 2, answer: {status: 501}}", "the case has no step 2"),
        (
            "{step: 1, answer: {json: {/id: \"{{unique}}\"}}}",
            "cannot use variables",
        ),
    ] {
        let suite = dir.join("bad.yaml");
        std::fs::write(
            &suite,
            format!(
                "name: bad\ncases:\n  - name: c\n    level: MAY\n    optional: {{feature: f, unoffered: [{answer}]}}\n    steps:\n      - request: {{method: GET, path: /Users}}\n"
            ),
        )
        .unwrap();
        let out = run(&["list", "--suite", suite.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(text(&out).contains(says), "{}", text(&out));
    }
}
