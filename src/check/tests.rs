use serde_json::json;

use super::*;
use crate::suite::template::Vars;

fn expect(yaml: &str) -> Expect {
    serde_saphyr::from_str(yaml).unwrap()
}

fn response(status: u16, content_type: &str, body: &str) -> RecordedResponse {
    RecordedResponse {
        status,
        headers: vec![("content-type".into(), content_type.into())],
        body: body.into(),
        truncated: false,
    }
}

fn failures(yaml: &str, resp: &RecordedResponse) -> Vec<String> {
    let vars: Vars = [("id".to_string(), json!("u1"))].into_iter().collect();
    check(
        &expect(yaml),
        resp,
        &serde_json::from_str(&resp.body),
        &vars,
        &Schemas::builtin().unwrap(),
    )
}

#[test]
fn status_sets_and_media_type_parameters() {
    let ok = response(204, "application/scim+json; charset=utf-8", "");
    assert!(
        failures(
            "status: [200, 204]\nheaders: {Content-Type: application/scim+json}",
            &ok
        )
        .is_empty()
    );
    let f = failures("status: 201", &ok);
    assert_eq!(f, ["status: expected 201, got 204"]);
    let f = failures(
        "headers: {Content-Type: application/scim+json}",
        &response(200, "application/json", "{}"),
    );
    assert_eq!(
        f,
        [r#"header Content-Type: expected "application/scim+json", got "application/json""#]
    );
}

#[test]
fn unassigned_means_absent_null_or_empty() {
    for body in [r#"{}"#, r#"{"x": null}"#, r#"{"x": []}"#] {
        assert!(
            failures(
                "json: {/x: {absent: true}}",
                &response(200, "application/scim+json", body)
            )
            .is_empty(),
            "{body}"
        );
        assert_eq!(
            failures(
                "json: {/x: {exists: true}}",
                &response(200, "application/scim+json", body)
            )
            .len(),
            1,
            "{body}"
        );
    }
    assert_eq!(
        failures(
            "json: {/x: {absent: true}}",
            &response(200, "application/scim+json", r#"{"x": 0}"#)
        )
        .len(),
        1
    );
}

#[test]
fn json_operators() {
    let r = response(
        200,
        "application/scim+json",
        r#"{"id": "u1", "n": 1.0, "tags": [{"value": "u1", "type": "x"}], "s": "hello"}"#,
    );
    let yaml = r#"
json:
  /id: "{{id}}"
  /n: 1
  /tags: {contains: {value: "{{id}}"}}
  /s: {regex: "^h.l"}
"#;
    assert!(failures(yaml, &r).is_empty(), "{:?}", failures(yaml, &r));
    let bad = r#"
json:
  /id: {one_of: [a, b]}
  /tags: {length: 2}
  /s: {type: number}
  /missing: {contains: x}
"#;
    assert_eq!(failures(bad, &r).len(), 4);
    // An item holding only some of the wanted members is not a match.
    let partial = r#"
json:
  /tags: {contains: {value: "{{id}}", display: "x"}}
"#;
    assert_eq!(failures(partial, &r).len(), 1);
}

#[test]
fn non_json_body_is_a_clear_failure_not_a_crash() {
    let f = failures(
        "json: {/id: x}",
        &response(200, "text/html", "<html>oops</html>"),
    );
    assert_eq!(f.len(), 1);
    assert!(f[0].starts_with("body: the body is not JSON"), "{f:?}");
    let f = failures(
        "schema: user.json",
        &response(200, "application/scim+json", ""),
    );
    assert!(f[0].contains("the body is empty"), "{f:?}");
}

#[test]
fn schema_violations_name_the_place() {
    let f = failures(
        "schema: user.json",
        &response(
            200,
            "application/scim+json",
            r#"{"schemas": ["x"], "id": "", "userName": "a", "password": "p"}"#,
        ),
    );
    assert!(f.iter().any(|m| m.contains("/id")), "{f:?}");
    assert!(f.len() >= 2, "{f:?}");
}

/// Every operator, on JSON members and on headers, both ways: each row passes or fails as
/// marked, so an operator that always passes or never does is caught.
#[test]
fn every_operator_passes_and_fails() {
    let mut r = response(
        200,
        "application/scim+json; charset=utf-8",
        r#"{"id": "u1", "n": 1.0, "i": 3, "s": "hello", "nil": null,
            "arr": [1, 2, 3], "fl": [1.0, 2.0], "o": {"a": 1, "b": [1, 2]}, "of": {"a": 1.0}}"#,
    );
    r.headers.push(("x-tag".into(), "abc".into()));
    let rows: &[(&str, bool)] = &[
        ("json: {/id: u1}", true),
        ("json: {/id: u2}", false),
        ("json: {/i: 3}", true),
        ("json: {/i: 4}", false),
        ("json: {/n: 1}", true),
        ("json: {/n: 2}", false),
        ("json: {/fl: [1, 2]}", true),
        ("json: {/arr: [1, 2]}", false),
        ("json: {/arr: [1, 2, 4]}", false),
        ("json: {/of: {equals: {a: 1}}}", true),
        ("json: {/of: {equals: {a: 1, c: 2}}}", false),
        ("json: {/o: {equals: {a: 1}}}", false),
        ("json: {/id: {one_of: [x, u1]}}", true),
        ("json: {/id: {one_of: [x, y]}}", false),
        ("json: {/s: {contains: ell}}", true),
        ("json: {/s: {contains: xyz}}", false),
        ("json: {/s: {regex: '^h.l'}}", true),
        ("json: {/s: {regex: '^x'}}", false),
        ("json: {/s: {type: string}}", true),
        ("json: {/s: {type: number}}", false),
        ("json: {/id: {not_equals: u2}}", true),
        ("json: {/id: {not_equals: u1}}", false),
        ("json: {/i: {at_most: 3}}", true),
        ("json: {/i: {at_most: 2}}", false),
        ("json: {/arr: {at_most: 3}}", true),
        ("json: {/arr: {at_most: 2}}", false),
        ("json: {/s: {at_most: 9}}", false),
        ("json: {/arr: {length: 3}}", true),
        ("json: {/s: {length: 5}}", true),
        ("json: {/o: {length: 2}}", true),
        ("json: {/o: {length: 3}}", false),
        ("json: {/i: {length: 1}}", false),
        ("json: {/arr: {excludes: 4}}", true),
        ("json: {/arr: {excludes: 2}}", false),
        ("json: {/nil: {excludes: 2}}", true),
        ("json: {/s: {excludes: 2}}", false),
        ("headers: {X-Tag: abc}", true),
        ("headers: {X-Tag: abd}", false),
        ("headers: {Content-Type: application/scim+json}", true),
        ("headers: {X-Tag: {exists: true}}", true),
        ("headers: {X-Tag: {absent: true}}", false),
        ("headers: {X-Other: {exists: true}}", false),
        ("headers: {X-Other: {absent: true}}", true),
        ("headers: {X-Tag: {one_of: [x, abc]}}", true),
        ("headers: {X-Tag: {one_of: [x, y]}}", false),
        ("headers: {X-Tag: {contains: b}}", true),
        ("headers: {X-Tag: {contains: z}}", false),
        ("headers: {X-Tag: {regex: '^a'}}", true),
        ("headers: {X-Tag: {regex: '^b'}}", false),
        ("headers: {X-Tag: {not_equals: abd}}", true),
        ("headers: {X-Tag: {not_equals: abc}}", false),
        ("headers: {X-Tag: {length: 3}}", false),
    ];
    each_passes_as_marked(rows, &r);
}

/// A failure quotes what was wanted and what came, cut to a readable length on a character
/// boundary, saying how much was left out.
#[test]
fn failures_quote_both_sides_cut_to_length() {
    assert_eq!(cut("héllo wörld", 5), "héllo… (7 more bytes)");
    assert_eq!(cut("short", 5), "short");
    let long = "x".repeat(500);
    let r = response(
        200,
        "application/scim+json",
        &json!({"id": "u1", "long": long}).to_string(),
    );
    assert_eq!(
        failures("json: {/id: u2}", &r),
        [r#"/id: expected "u2", got "u1""#]
    );
    let f = failures("json: {/long: y}", &r);
    assert!(f[0].ends_with("… (302 more bytes)"), "{f:?}");
}

/// A value whose attribute has caseExact false compares without case: "If the attribute is
/// case insensitive, the server MAY alter case for a submitted value" (RFC 7643 lines
/// 1748-1752), and caseExact defaults to false (§2.2). `id`, `externalId`, `meta`'s members
/// (caseExact true, §3.1) and what is no attribute keep exact comparison.
#[test]
fn values_compare_without_case_only_where_case_exact_is_false() {
    let r = response(
        200,
        "application/scim+json",
        r#"{"id": "u1", "externalId": "EXT-1", "userName": "BJENSEN@EXAMPLE.COM",
            "name": {"givenName": "BARBARA"},
            "emails": [{"value": "BJ@EXAMPLE.COM", "type": "Work"}],
            "meta": {"resourceType": "User", "location": "https://x/Users/u1"},
            "detail": "Some Text",
            "Resources": [{"userName": "ALICE", "id": "U2"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "SALES"}}"#,
    );
    let rows: &[(&str, bool)] = &[
        ("json: {/userName: bjensen@example.com}", true),
        ("json: {/userName: bjensen@example.org}", false),
        (
            "json: {/userName: {one_of: [x, Bjensen@Example.com]}}",
            true,
        ),
        (
            "json: {/userName: {not_equals: bjensen@example.com}}",
            false,
        ),
        ("json: {/userName: {contains: jensen@}}", true),
        ("json: {/name/givenName: Barbara}", true),
        ("json: {/name: {equals: {givenName: barbara}}}", true),
        ("json: {/emails/0/value: bj@example.com}", true),
        (
            "json: {/emails: {contains: {value: bj@example.com, type: work}}}",
            true,
        ),
        (
            "json: {/emails: {excludes: {value: bj@example.com}}}",
            false,
        ),
        ("json: {/Resources/0/userName: alice}", true),
        (
            "json: {/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User/department: Sales}",
            true,
        ),
        ("json: {/id: U1}", false),
        ("json: {/Resources/0/id: u2}", false),
        ("json: {/externalId: ext-1}", false),
        ("json: {/meta/resourceType: user}", false),
        ("json: {/meta/location: 'https://X/Users/u1'}", false),
        ("json: {/detail: some text}", false),
        ("json: {/userName: {regex: '^bjensen'}}", false),
    ];
    each_passes_as_marked(rows, &r);
}

/// Each expectation passes or fails as marked.
fn each_passes_as_marked(rows: &[(&str, bool)], r: &RecordedResponse) {
    for (yaml, passes) in rows {
        let f = failures(yaml, r);
        assert_eq!(f.is_empty(), *passes, "{yaml}: {f:?}");
    }
}
