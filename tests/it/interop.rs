//! `--profile interop` (its catalogue is compared with the shared one in
//! `planning::requirement_catalogue_equals_the_shared_one`): the readiness summary of a
//! server that does not claim the profile, the three conflicts judged by the profile under it and by the
//! RFC under the RFC profile, the client rows holding scimitar's own requests, and coverage
//! counting the interop rows apart.

use serde_json::Value;

use crate::common;
use common::*;

/// The default bundled server does not claim the profile: the run prints the readiness
/// summary with its figure and each gap's I- row, and passes on the RFC's verdict although
/// profile MUST cases broke. The deviation report, Markdown and HTML, has the same section.
#[test]
fn a_server_not_claiming_the_profile_gets_the_readiness_summary() {
    let dir = temp_dir("interop-readiness-pages");
    let (md, html) = (dir.join("report.md"), dir.join("report.html"));
    let (md_arg, html_arg) = (
        format!("md={}", md.display()),
        format!("html={}", html.display()),
    );
    let (out, report) = with_report(
        &[
            "run",
            "--profile",
            "interop",
            "--report",
            &md_arg,
            "--report",
            &html_arg,
        ],
        "interop-readiness",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let line = stdout
        .lines()
        .find(|l| l.starts_with("interop readiness: "))
        .unwrap_or_else(|| panic!("no readiness line:\n{stdout}"));
    assert!(line.contains(" of 52 profile MUST rules hold"), "{line}");
    assert!(
        stdout.contains("gap I-patch-06 (draft-zollner-scim-interop-profile-01 §6.5.1.1)"),
        "{stdout}"
    );
    assert!(stdout.contains("#section-6.5.1.1>"), "{stdout}");
    let r = &report["interop"];
    assert_eq!(r["claim"], "not_claimed");
    assert_eq!(r["total"], 52);
    let gaps: Vec<&str> = r["areas"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["gaps"].as_array().unwrap())
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    for id in ["I-patch-06", "I-patch-11", "I-schema-02", "I-filter-06"] {
        assert!(gaps.contains(&id), "{id} in {gaps:?}");
    }
    let gap = case(
        &report,
        "interop-schema::a_create_with_an_undefined_attribute_is_refused",
    );
    assert_eq!(gap["status"], "warning");
    assert_eq!(gap["interop"]["held"], "broken");

    let md = std::fs::read_to_string(md).unwrap();
    assert!(
        md.contains(&format!("## SCIM Interoperability Profile\n\n{line}.\n")),
        "{md}"
    );
    assert!(
        md.contains("| patch | 5/7 | [I-patch-06](https://datatracker.ietf.org/doc/html/draft-zollner-scim-interop-profile-01#section-6.5.1.1) (draft-zollner-scim-interop-profile-01 §6.5.1.1): "),
        "{md}"
    );
    let html = std::fs::read_to_string(html).unwrap();
    assert!(
        html.contains("<h2>SCIM Interoperability Profile</h2>")
            && html.contains("<a href=\"https://datatracker.ietf.org/doc/html/draft-zollner-scim-interop-profile-01#section-6.5.1.1\">I-patch-06</a>"),
        "{html}"
    );
}

/// `--emulate interop` claims the profile and keeps it: 0 failed, no gap. The same server with
/// filtering broken (`list-ignores-filter`) still claims it: each broken profile MUST fails
/// the run, and the claim is called false (I-discovery-02).
#[test]
fn a_server_claiming_the_profile_is_held_to_every_must() {
    let (out, report) = with_report(
        &["run", "--profile", "interop", "--emulate", "interop"],
        "interop-claimed",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let r = &report["interop"];
    assert_eq!(r["claim"], "claimed", "{r}");
    assert_eq!(report["failed"], 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("gap I-"), "{stdout}");
    let (out, report) = with_report(
        &[
            "run",
            "--profile",
            "interop",
            "--emulate",
            "interop",
            "--defect",
            "list-ignores-filter",
        ],
        "interop-claim-broken",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("the claim is false (I-discovery-02)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("gap I-filter-02 (draft-zollner-scim-interop-profile-01 §6.3)"),
        "{stdout}"
    );
    let broken = case(&report, "interop-users::filter_eq_finds_exactly_the_user");
    assert_eq!(broken["status"], "failed", "{broken}");
}

/// I-patch-06 against P-patch-10/22/16: the bundled server with path-less replace refused
/// (`pathless-replace-refused`) fails the RFC, which defines that replace; under the profile
/// the RFC cases are not sent, with the line naming the rule the profile overrides, and the
/// run passes. The default server passes the RFC and shows the gap under the profile.
#[test]
fn the_path_less_patch_conflict_is_judged_by_each_profile() {
    let args = |profile: &'static str, defect: Option<&'static str>| {
        let mut a = vec!["run", "--profile", profile, "--tag", "patch"];
        if let Some(d) = defect {
            a.extend(["--defect", d]);
        }
        a
    };
    let (out, rfc) = with_report(&args("rfc", Some("pathless-replace-refused")), "ip-06-rfc");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(failed(&rfc).contains(&"patch::replace_without_path".to_string()));
    assert!(names(&rfc).iter().all(|n| !n.starts_with("interop-")));

    let (out, ip) = with_report(
        &args("interop", Some("pathless-replace-refused")),
        "ip-06-ip",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for name in [
        "patch::replace_without_path",
        "patch::add_without_path_merges",
        "patch::remove_without_path_is_no_target",
    ] {
        let why = &skips(&ip).into_iter().find(|(n, _)| n == name).unwrap().1;
        assert!(
            why.starts_with("conflict: under the interop profile I-patch-06 (draft-zollner-scim-interop-profile-01 §6.5.1.1) overrides P-patch-10"),
            "{name}: {why}"
        );
    }

    let (out, rfc) = with_report(&args("rfc", None), "ip-06-rfc-default");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        case(&rfc, "patch::replace_without_path")["status"],
        "passed"
    );
    let (_, ip) = with_report(&args("interop", None), "ip-06-ip-default");
    let own = case(&ip, "interop-patch::an_operation_without_a_path_is_refused");
    assert_eq!(own["interop"]["held"], "broken");
    let message = own["message"].as_str().unwrap();
    assert!(
        message.starts_with("conflict: under the interop profile I-patch-06"),
        "{message}"
    );
}

/// I-patch-11 against P-patch-26: a server replacing a whole `name` (the
/// `patch-replace-complex-whole` switch) fails the RFC and holds the profile's rule; the
/// default server the reverse.
#[test]
fn the_complex_replace_conflict_is_judged_by_each_profile() {
    let switched = ["--tag", "patch", "--defect", "patch-replace-complex-whole"];
    let (out, rfc) = with_report(
        &[&["run", "--profile", "rfc"][..], &switched].concat(),
        "ip-11-rfc",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        failed(&rfc).contains(&"patch::replace_complex_keeps_other_sub_attributes".to_string())
    );
    let (out, ip) = with_report(
        &[&["run", "--profile", "interop"][..], &switched].concat(),
        "ip-11-ip",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let own = case(
        &ip,
        "interop-patch::replace_of_a_complex_attribute_replaces_it_whole",
    );
    assert_eq!(own["interop"]["held"], "held");
    assert!(
        own["message"]
            .as_str()
            .unwrap()
            .contains("overrides P-patch-26")
    );
    let rfc_case = case(&ip, "patch::replace_complex_keeps_other_sub_attributes");
    assert_eq!(rfc_case["status"], "skipped");

    let (_, ip) = with_report(
        &["run", "--profile", "interop", "--tag", "patch"],
        "ip-11-default",
    );
    let own = case(
        &ip,
        "interop-patch::replace_of_a_complex_attribute_replaces_it_whole",
    );
    assert_eq!(own["interop"]["held"], "broken");
}

/// The client rows a recording of a run's requests can show broken, each with its row id.
fn client_rows_broken(request: &Value) -> Vec<&'static str> {
    let method = request["method"].as_str().unwrap();
    let headers: Vec<(String, String)> = request["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h[0].as_str().unwrap().to_lowercase(),
                h[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let body = &request["body"];
    let url = url::Url::parse(request["url"].as_str().unwrap()).unwrap();
    let mut filters: Vec<String> = url
        .query_pairs()
        .filter(|(k, _)| k == "filter")
        .map(|(_, v)| v.into_owned())
        .collect();
    let mut rows = Vec::new();
    if method == "PUT" {
        rows.push("I-patch-03");
    }
    if [
        "if-match",
        "if-none-match",
        "if-modified-since",
        "if-unmodified-since",
    ]
    .iter()
    .any(|h| header(h).is_some())
    {
        rows.push("I-etag-01");
    }
    if !body.is_null() {
        if !body.is_object() && !body.is_array() {
            rows.push("I-media-02");
        }
        let media = header("content-type").unwrap_or_default();
        if media.split(';').next().unwrap().trim() != "application/scim+json" {
            rows.push("I-media-04");
        }
    }
    if method != "GET" && !filters.is_empty() {
        rows.push("I-filter-05");
    }
    if let Some(f) = body["filter"].as_str() {
        filters.push(f.to_string());
    }
    let unquoted = |f: &str| -> String { f.split('"').step_by(2).collect::<Vec<_>>().join(" ") };
    let others = [
        "or", "not", "ne", "co", "sw", "ew", "pr", "gt", "ge", "lt", "le",
    ];
    if filters.iter().any(|f| {
        unquoted(f)
            .split(|c: char| c.is_whitespace() || "()[]".contains(c))
            .any(|w| others.contains(&w.to_lowercase().as_str()))
    }) {
        rows.push("I-filter-04");
    }
    if method == "PATCH"
        && let Some(ops) = body["Operations"].as_array()
    {
        rows.extend(ops.iter().filter_map(|o| value_shape_broken(url.path(), o)));
        let paths: Vec<Option<&str>> = ops.iter().map(|o| o["path"].as_str()).collect();
        if paths.iter().any(Option::is_none) {
            rows.push("I-patch-04");
        }
        if paths.iter().flatten().any(|p| p.trim_end().ends_with(']')) {
            rows.push("I-patch-19");
        }
        let mut lower: Vec<String> = paths.iter().flatten().map(|p| p.to_lowercase()).collect();
        let n = lower.len();
        lower.sort();
        lower.dedup();
        if lower.len() != n {
            rows.push("I-patch-07");
        }
    }
    rows
}

/// The client row a PATCH operation's value breaks by its shape (draft §6.5.2): an add or a
/// replace on a whole singular complex attribute carries an object, on a whole multi-valued
/// one an array. The attributes are RFC 7643's, listed here by hand.
fn value_shape_broken(url_path: &str, op: &Value) -> Option<&'static str> {
    const MULTI: [&str; 11] = [
        "emails",
        "phonenumbers",
        "ims",
        "photos",
        "addresses",
        "groups",
        "entitlements",
        "roles",
        "x509certificates",
        "members",
        "schemas",
    ];
    const COMPLEX: [&str; 3] = [
        "name",
        "urn:ietf:params:scim:schemas:core:2.0:user:name",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:manager",
    ];
    let path = op["path"].as_str()?.trim().to_lowercase();
    let on = |endpoint: &str| url_path.contains(endpoint);
    let multi = MULTI.contains(&path.as_str())
        && (on("/Users/") && path != "members" || on("/Groups/") && path == "members");
    let complex = on("/Users/") && COMPLEX.contains(&path.as_str());
    let value = &op["value"];
    match op["op"].as_str()?.to_lowercase().as_str() {
        "add" if complex && !value.is_object() => Some("I-patch-12"),
        "replace" if complex && !value.is_object() => Some("I-patch-10"),
        "add" if multi && !value.is_array() => Some("I-patch-16"),
        "replace" if multi && !value.is_array() => Some("I-patch-14"),
        _ => None,
    }
}

/// Every request of the recorded exchanges that breaks a client row, as `case: row`.
fn broken_client_rows(report: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for c in report["cases"].as_array().unwrap() {
        for s in c["steps"].as_array().unwrap() {
            if let Some(request) = s["exchange"].get("request") {
                for row in client_rows_broken(request) {
                    out.push(format!("{}: {row}", c["name"].as_str().unwrap()));
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Under `--profile interop` no request scimitar sends breaks a client row, except those
/// that test the server's refusal of that very form (a step expecting 400); under the RFC
/// profile the same check finds PUTs, conditional headers and other operators, and in
/// Entra's replay (which sends what Entra sends) a manager given as a bare id, so it can fail.
#[test]
fn requests_under_the_profile_keep_the_client_rows() {
    let (_, ip) = with_report(&["run", "--profile", "interop"], "ip-client-rows");
    let refusals = [
        "filters::ordering_a_boolean_is_400: I-filter-04",
        "interop-patch::an_operation_without_a_path_is_refused: I-patch-04",
        "users-create::invalid_json_is_400: I-media-02",
    ];
    let broken: Vec<String> = broken_client_rows(&ip)
        .into_iter()
        .filter(|b| !refusals.contains(&b.as_str()))
        .collect();
    assert!(broken.is_empty(), "client rows broken: {broken:#?}");
    let sent = ip["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["steps"].as_array().unwrap())
        .filter(|s| s["exchange"].get("request").is_some())
        .count();
    assert!(sent > 300, "{sent} requests recorded");

    let (_, rfc) = with_report(&["run"], "ip-client-rows-rfc");
    let broken = broken_client_rows(&rfc);
    for row in [
        "I-patch-03",
        "I-etag-01",
        "I-filter-04",
        "I-patch-04",
        "I-patch-19",
    ] {
        assert!(
            broken.iter().any(|b| b.ends_with(row)),
            "the RFC run breaks {row}: {broken:#?}"
        );
    }
    let (_, entra) = with_report(
        &["replay", "--idp", "entra", "--profile", "interop"],
        "ip-client-rows-entra",
    );
    let broken = broken_client_rows(&entra);
    assert!(
        broken.contains(&"entra-users::manager_by_urn_path: I-patch-12".to_string()),
        "{broken:#?}"
    );
}

#[test]
fn coverage_counts_the_interop_rows_apart() {
    let out = run(&["coverage"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("interop profile (draft-zollner-scim-interop-profile-01), counted apart"),
        "{stdout}"
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with("testable server MUST covered (interop): "))
        .unwrap_or_else(|| panic!("{stdout}"));
    let (covered, total) = line
        .split(": ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .split_once('/')
        .unwrap();
    assert_eq!(total, "52", "{line}");
    assert_eq!(
        covered, "52",
        "every testable server MUST row has a case: {line}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("server ") && l.contains("/52")),
        "{stdout}"
    );
}

/// I-case-03: an id with its letters in the other case names no resource, by GET or by
/// filter. A server finding it anyway breaks the claim; a server whose ids are numbers has no case to flip, so the
/// case is skipped with that reason, not passed and not failed.
#[test]
fn an_id_in_another_case_names_no_resource() {
    const CASE: &str = "interop-users::id_is_case_exact";
    let args = |emulate: &str, defect: &[&'static str]| {
        let mut a = vec!["run", "--profile", "interop", "--tag", "users"];
        a.extend(["--emulate", emulate]);
        a.extend(defect);
        a.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let run_as = |a: Vec<String>, name: &str| {
        with_report(&a.iter().map(String::as_str).collect::<Vec<_>>(), name)
    };
    let (out, report) = run_as(args("interop", &[]), "case-03-held");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(case(&report, CASE)["status"], "passed");

    // A GET that folds the id's case fails the first step; a filter that does, the second.
    for (defect, step) in [
        (
            "id-ignores-case",
            "`the id in another case names no resource`",
        ),
        (
            "id-filter-ignores-case",
            "`nor does a filter on it match A`",
        ),
    ] {
        let (out, report) = run_as(args("interop", &["--defect", defect]), defect);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let broken = case(&report, CASE);
        assert_eq!(broken["status"], "failed", "{broken}");
        assert!(
            broken["message"].as_str().unwrap().contains(step),
            "{defect}: {broken}"
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("gap I-case-03 (draft-zollner-scim-interop-profile-01 §5.2)"),
            "{stdout}"
        );
    }

    let (out, report) = run_as(
        args("tests/data/profiles/serial-ids.yaml", &[]),
        "case-03-serial",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let skipped = case(&report, CASE);
    assert_eq!(skipped["status"], "skipped", "{skipped}");
    assert!(
        skipped["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("skipped: the id has no ASCII letter")),
        "{skipped}"
    );
    assert_eq!(skipped["interop"]["held"], "unchecked", "{skipped}");
}

/// A replay under the profile says once, after the readiness, what the identity provider
/// sends that the profile refuses: what a conformant server must refuse (the two cannot
/// both be met), and what a client may not send but a server may still take (I-patch-20).
/// Under the RFC profile there is no clash to tell.
#[test]
fn a_replay_names_each_clash_with_the_profile_once() {
    let clashes = |idp: &str, profile: &str| {
        let (out, report) = with_report(
            &["replay", "--idp", idp, "--profile", profile],
            &format!("clash-{idp}-{profile}"),
        );
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let lines: Vec<String> = stdout
            .lines()
            .filter(|l| l.starts_with("clash: "))
            .map(str::to_string)
            .collect();
        (lines, report)
    };
    let (okta, report) = clashes("okta", "interop");
    let starts = [
        "clash: okta sends PATCH operations without a path, which I-patch-06 (draft §6.5.1.1: refused with 400 invalidSyntax) makes a conformant server refuse: a server cannot satisfy both",
        "clash: okta sends filtered paths addressing a whole element (`members[value eq \"…\"]`), which a client may not send under I-patch-19",
    ];
    assert_eq!(okta.len(), starts.len(), "{okta:#?}");
    for (line, start) in okta.iter().zip(starts) {
        assert!(line.starts_with(start), "{line}");
    }
    assert!(
        okta[0].contains("okta-users::deactivate_and_reactivate"),
        "{}",
        okta[0]
    );
    assert!(
        okta[1].contains("may refuse with 400 (I-patch-20"),
        "{}",
        okta[1]
    );
    let kept = report["interop"]["clashes"].as_array().unwrap();
    let refusals: Vec<&str> = kept
        .iter()
        .map(|c| c["refusal"].as_str().unwrap())
        .collect();
    assert_eq!(refusals, ["required", "allowed"]);

    let (entra, _) = clashes("entra", "interop");
    assert_eq!(entra.len(), 2, "{entra:#?}");
    assert!(
        entra[0].starts_with(
            "clash: entra sends `active` as the string \"True\"/\"False\", which I-schema-01"
        ),
        "{}",
        entra[0]
    );
    assert!(
        entra[1].starts_with("clash: entra sends values whose shape does not fit the whole attribute their path names, which a client may not send under I-patch-10, I-patch-12")
            && entra[1].ends_with("(sent by entra-users::manager_by_urn_path)"),
        "{}",
        entra[1]
    );

    let (rfc, _) = clashes("okta", "rfc");
    assert!(rfc.is_empty(), "{rfc:#?}");
}
