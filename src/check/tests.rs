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
